/* test_replica.c - the replica: table-driven envelope sequences, invalid bodies, takeover. */
#include "replica_steps.h"

#include "util/log.h"

/* ---- sequences ---- */

static void test_in_order(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, "call:A/c1=queued", NULL},
        {NULL, 0, 3, "agent a1 available", APPLIED, 0, 3, SY, NULL, NULL},
        {NULL, 0, 4, "ring c1 a1", APPLIED, 0, 4, SY, "agent:A/a1=available call:A/c1=offered",
         NULL},
        {NULL, 0, 5, "agent a1 ringing:c1", APPLIED, 0, 5, SY, NULL, NULL},
        {NULL, 0, 6, "answer c1 a1", APPLIED, 0, 6, SY, NULL, NULL},
        {NULL, 0, 7, "reg u1", APPLIED, 0, 7, SY, NULL, NULL},
        {NULL, 0, 8, "dialog c1", APPLIED, 0, 8, SY, NULL, NULL},
        {NULL, 0, 9, "queue q1 2", APPLIED, 0, 9, SY,
         "agent:A/a1=ringing call:A/c1=connected dialog:A/c1.1 queue:A/q1=2 reg:A/u1", NULL},
        {NULL, 0, 10, "end c1", APPLIED, 0, 10, SY,
         "agent:A/a1=ringing dialog:A/c1.1 queue:A/q1=2 reg:A/u1", NULL},
        {NULL, 0, 11, "bye c1", APPLIED, 0, 11, SY, NULL, NULL},
        {NULL, 0, 12, "unreg u1", APPLIED, 0, 12, SY, "agent:A/a1=ringing queue:A/q1=2", NULL},
        SYNC("B"),
        {"B", 0, 2, "arrive c2 prio=3", APPLIED, 0, 2, SY,
         "agent:A/a1=ringing queue:A/q1=2 call:B/c2=queued", NULL},
        {"B", 0, 3, "agent a1 paused", APPLIED, 0, 3, SY, NULL, NULL},
        {NULL, 0, 13, "hb", APPLIED, 0, 13, SY, NULL, NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));

    const acd_replica_call_t *c = acd_replica_call(r, "c2");
    assert_non_null(c);
    assert_string_equal(c->origin, "B");
    assert_string_equal(c->tenant, "dental");
    assert_string_equal(c->did, "100");
    assert_string_equal(c->caller, "555");
    assert_string_equal(c->queue, "reception");
    assert_int_equal(c->priority, 3);
    assert_int_equal(c->enqueue_ms, fx_enq("c2"));
    assert_int_equal(c->kind, ACD__V1__CALL_KIND__CALL_KIND_ARRIVE);
    assert_int_equal(c->state, ACD_CALL_QUEUED);
    assert_null(acd_replica_call(r, "c1"));

    /* The same agent id under two origins: each origin keeps its own. */
    const acd_replica_agent_t *a = acd_replica_agent(r, "A", "a1");
    assert_non_null(a);
    assert_int_equal(a->state, ACD_AGENT_RINGING);
    assert_string_equal(a->call_id, "c1");
    assert_string_equal(a->sip_user, "a1");
    a = acd_replica_agent(r, "B", "a1");
    assert_non_null(a);
    assert_int_equal(a->state, ACD_AGENT_PAUSED);
    assert_string_equal(a->reason, "lunch");

    const acd_replica_queue_t *q = acd_replica_queue(r, "A", "q1");
    assert_non_null(q);
    assert_int_equal(q->waiting, 2);
    assert_string_equal(q->tenant, "dental");
    assert_null(acd_replica_queue(r, "B", "q1"));

    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.applied, 13);
    assert_int_equal(st.calls + st.agents + st.registrations + st.dialogs + st.queues, 2);
    assert_int_equal(st.duplicates + st.gaps + st.invalid + st.overflows + st.restarts, 0);
    assert_int_equal(st.snapshots, 1);
    acd_replica_free(r);
}

static void test_fields(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "reg u1", APPLIED, 0, 2, SY, NULL, NULL},
        {NULL, 0, 3, "dialog c1", APPLIED, 0, 3, SY, NULL, NULL},
        {NULL, 0, 4, "requeue c1", APPLIED, 0, 4, SY, "call:A/c1=queued dialog:A/c1.1 reg:A/u1",
         NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    const acd_replica_registration_t *g = acd_replica_registration(r, NULL, "u1");
    assert_non_null(g);
    assert_string_equal(g->origin, "A");
    assert_string_equal(g->aor, "sip:u1@example.com");
    assert_string_equal(g->contact, "<sip:u1@192.0.2.1:5060>");
    assert_string_equal(g->source, "192.0.2.1:5060");
    assert_string_equal(g->register_call_id, "reg-u1");
    assert_int_equal(g->transport, ACD__V1__TRANSPORT__TRANSPORT_UDP);
    assert_int_equal(g->expires_ms, 1800000000000);
    assert_int_equal(g->register_cseq, 2);
    const acd_replica_dialog_t *d =
        acd_replica_dialog(r, NULL, "c1", ACD__V1__LEG_ROLE__LEG_ROLE_CALLER);
    assert_non_null(d);
    assert_null(acd_replica_dialog(r, NULL, "c1", ACD__V1__LEG_ROLE__LEG_ROLE_AGENT));
    assert_string_equal(d->ev->sip_call_id, "sip-c1@carrier");
    assert_string_equal(d->ev->local_sdp, "v=0\r\ns=-\r\n");
    assert_int_equal(d->ev->remote_cseq, 7);
    const acd_replica_call_t *c = acd_replica_call(r, "c1");
    assert_int_equal(c->kind, ACD__V1__CALL_KIND__CALL_KIND_REQUEUED);
    assert_string_equal(c->reason, "timeout");
    assert_int_equal(c->offers, 1);
    acd_replica_free(r);
}

static void test_duplicates(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, "call:A/c1=queued", NULL},
        {NULL, 0, 2, "arrive c1", DUP, 0, 2, SY, "call:A/c1=queued", NULL},
        {NULL, 0, 1, "hb", DUP, 0, 2, SY, NULL, NULL},
        /* reordered: 5 and 4 before 3; 3 fills the gap without a snapshot */
        {NULL, 0, 5, "agent a1 available", BUF, 1, 2, RS, "call:A/c1=queued", NULL},
        {NULL, 0, 5, "agent a1 available", DUP, 0, 2, RS, NULL, NULL},
        {NULL, 0, 4, "agent a1 paused", BUF, 0, 2, RS, NULL, NULL},
        {NULL, 0, 4, "agent a1 paused", DUP, 0, 2, RS, NULL, NULL},
        {NULL, 0, 3, "ring c1 a1", APPLIED, 0, 5, SY, "agent:A/a1=available call:A/c1=offered",
         NULL},
        /* the snapshot asked for at the gap comes late: it would roll back, so it is ignored */
        {NULL, 0, 0, "snap 5 c1", STALE, 0, 5, SY, "agent:A/a1=available call:A/c1=offered", NULL},
        {NULL, 0, 4, "agent a1 paused", DUP, 0, 5, SY, NULL, NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.duplicates, 5);
    assert_int_equal(st.gaps, 1);
    assert_int_equal(st.stale, 1);
    assert_int_equal(st.invalid, 0);
    acd_replica_free(r);
}

static void test_gap(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
        /* 3 ("arrive c3") is lost */
        {NULL, 0, 4, "arrive c2", BUF, 1, 2, RS, "call:A/c1=queued", NULL},
        {NULL, 0, 5, "ring c1 a1", BUF, 0, 2, RS, "call:A/c1=queued", NULL},
        {NULL, 0, 6, "offer o1", BUF, 0, 2, RS, NULL, NULL},
        /* the snapshot has 1..4; only 5 and 6 are applied after it (4 again would be an
         * invalid second arrival) */
        {NULL, 0, 0, "snap 4 c1 c2 c3", INST, 0, 6, SY,
         "call:A/c1=offered call:A/c2=queued call:A/c3=queued", "o1"},
        {NULL, 0, 7, "end c3", APPLIED, 0, 7, SY, "call:A/c1=offered call:A/c2=queued", NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.invalid, 0);
    assert_int_equal(st.gaps, 1);
    assert_int_equal(st.snapshots, 2);
    assert_int_equal(st.buffered, 0);
    acd_replica_free(r);
}

static void test_gap_after_snapshot(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
        {NULL, 0, 4, "arrive c2", BUF, 1, 2, RS, NULL, NULL},
        {NULL, 0, 5, "arrive c3", BUF, 0, 2, RS, NULL, NULL},
        {NULL, 0, 7, "arrive c5", BUF, 0, 2, RS, NULL, NULL},
        /* 6 is still missing after the snapshot: ask again at once */
        {NULL, 0, 0, "snap 4 c1 c2", INST, 1, 5, RS,
         "call:A/c1=queued call:A/c2=queued "
         "call:A/c3=queued",
         NULL},
        {NULL, 0, 6, "arrive c4", APPLIED, 0, 7, SY,
         "call:A/c1=queued call:A/c2=queued call:A/c3=queued call:A/c4=queued call:A/c5=queued",
         NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_free(r);
}

static void test_new_incarnation(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
        {NULL, 0, 3, "arrive c2", APPLIED, 0, 3, SY, NULL, NULL},
        {NULL, 0, 4, "agent a1 available", APPLIED, 0, 4, SY, NULL, NULL},
        {NULL, 0, 5, "reg u1", APPLIED, 0, 5, SY, NULL, NULL},
        {NULL, 0, 6, "dialog c1", APPLIED, 0, 6, SY, NULL, NULL},
        {NULL, 0, 7, "queue q1 1", APPLIED, 0, 7, SY, NULL, NULL},
        /* A restarts: its old entities stay until the new snapshot replaces them */
        {NULL, 2, 1, "arrive c3", BUF, 1, 0, RS,
         "agent:A/a1=available call:A/c1=queued call:A/c2=queued dialog:A/c1.1 queue:A/q1=1 "
         "reg:A/u1",
         NULL},
        {NULL, 1, 8, "arrive c9", STALE, 0, 0, RS, NULL, NULL},
        {NULL, 2, 2, "agent a2 paused", BUF, 0, 0, RS, NULL, NULL},
        {NULL, 2, 1, "arrive c3", DUP, 0, 0, RS, NULL, NULL},
        {NULL, 1, 0, "snap 7 c1 c2", STALE, 0, 0, RS, NULL, NULL},
        {NULL, 2, 0, "snap 1 c2 c3 a1=paused", INST, 0, 2, SY,
         "agent:A/a1=paused agent:A/a2=paused call:A/c2=queued call:A/c3=queued", NULL},
        {NULL, 2, 3, "hb", APPLIED, 0, 3, SY, NULL, NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.invalid, 0);
    assert_int_equal(st.restarts, 1);
    assert_int_equal(st.stale, 2);
    assert_int_equal(st.incarnation, 2);
    assert_null(acd_replica_call(r, "c1"));
    assert_null(acd_replica_registration(r, "A", "u1"));
    acd_replica_free(r);
}

static void test_heartbeat_reveals_loss(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, "call:A/c1=queued", NULL},
        /* 3 ("end c1") is lost; without the heartbeat nothing would show it */
        {NULL, 0, 4, "hb draining", BUF, 1, 2, RS, "call:A/c1=queued", NULL},
        {NULL, 0, 0, "snap 3", INST, 0, 4, SY, "", NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_status_t st = status_of(r, "A");
    assert_true(st.draining);
    assert_int_equal(st.last_heartbeat_ms, test_now - 10);
    acd_replica_free(r);
}

static void test_overflow(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 3, "arrive c3", BUF, 1, 1, RS, NULL, NULL},
        {NULL, 0, 4, "arrive c4", BUF, 0, 1, RS, NULL, NULL},
        {NULL, 0, 5, "arrive c5", BUF, 0, 1, RS, NULL, NULL},
        {NULL, 0, 6, "arrive c6", BUF, 0, 1, RS, NULL, NULL},
        /* the fifth does not fit: the buffer goes and a new snapshot is asked for */
        {NULL, 0, 7, "arrive c7", DROPPED, 1, 1, RS, "", NULL},
        {NULL, 0, 8, "arrive c8", BUF, 0, 1, RS, NULL, NULL},
        {NULL, 0, 0, "snap 7 c2 c3 c4 c5 c6 c7", INST, 0, 8, SY,
         "call:A/c2=queued call:A/c3=queued call:A/c4=queued call:A/c5=queued call:A/c6=queued "
         "call:A/c7=queued call:A/c8=queued",
         NULL},
    };
    acd_replica_t *r = new_replica(4);
    run_steps(r, steps, N(steps));
    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.overflows, 1);
    assert_int_equal(st.buffered, 0);
    assert_int_equal(st.invalid, 0);
    acd_replica_free(r);
}

static void test_decisions(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "offer o1", APPLIED, 0, 2, SY, "", "o1"},
        {NULL, 0, 2, "offer o1", DUP, 0, 2, SY, NULL, NULL},
        {NULL, 0, 4, "accept o3", BUF, 1, 2, RS, NULL, NULL},
        {NULL, 0, 5, "reject o4", BUF, 0, 2, RS, NULL, NULL},
        {NULL, 0, 3, "offer o2", APPLIED, 0, 5, SY, NULL, "o2 o3 o4"},
        {NULL, 0, 7, "offer o6", BUF, 1, 5, RS, NULL, NULL},
        {NULL, 0, 8, "offer o7", BUF, 0, 5, RS, NULL, NULL},
        /* 6 is lost and 7 is inside the snapshot: only 8 is reported */
        {NULL, 0, 0, "snap 7", INST, 0, 8, SY, NULL, "o7"},
        {NULL, 0, 9, "accept o8", APPLIED, 0, 9, SY, "", "o8"},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    acd_replica_free(r);
}

/* ---- invalid bodies ---- */

static const step_t invalid_base[] = {
    SYNC(NULL),
    {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
    {NULL, 0, 3, "agent a1 available", APPLIED, 0, 3, SY, NULL, NULL},
    {NULL, 0, 4, "reg u1", APPLIED, 0, 4, SY, NULL, NULL},
    {NULL, 0, 5, "dialog c1", APPLIED, 0, 5, SY, NULL, NULL},
};

static void test_invalid_bodies(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "arrive c1",               /* a call arrives only once */
        "requeue c1 tenant=other", /* its tenant never changes */
        "ring c1 a1 did=999",      /* nor the number dialled */
        "answer c1 a1 enq=5",      /* nor when it entered its queue */
        "end c1 tenant=other",     /* not even when it ends */
    };
    for (size_t i = 0; i < N(cases); i++) {
        acd_replica_t *r = new_replica(0);
        acd_replica_t *twin = new_replica(0);
        run_steps(r, invalid_base, N(invalid_base));
        run_steps(twin, invalid_base, N(invalid_base));
        char *before = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES);

        acd_replica_verdict_t v;
        assert_int_equal(feed(r, "A", 1, 6, cases[i], &v), 0);
        if (v.outcome != INVALID)
            fail_msg("\"%s\": outcome %s", cases[i], acd_replica_outcome_name(v.outcome));
        assert_int_equal(v.invalid, 1);
        assert_int_equal(v.applied, 1);
        assert_false(v.resync);
        char *after = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES);
        assert_string_equal(after, before);
        assert_int_equal(status_of(r, "A").invalid, 1);

        /* Apart from the counter, an invalid body is a heartbeat: its seq is consumed. */
        assert_int_equal(feed(twin, "A", 1, 6, "hb", &v), 0);
        assert_int_equal(v.outcome, APPLIED);
        char *full = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES | ACD__REPLICA_DUMP_ORIGINS);
        char *twin_full = fx_dump(twin, ACD__REPLICA_DUMP_ENTITIES | ACD__REPLICA_DUMP_ORIGINS);
        assert_string_equal(full, twin_full);

        /* and the log goes on */
        assert_int_equal(feed(r, "A", 1, 7, "ring c1 a1", &v), 0);
        assert_int_equal(v.outcome, APPLIED);
        assert_int_equal(acd_replica_call(r, "c1")->state, ACD_CALL_OFFERED);
        free(before);
        free(after);
        free(full);
        free(twin_full);
        acd_replica_free(r);
        acd_replica_free(twin);
    }
}

static void test_invalid_snapshot(void **state)
{
    (void)state;
    acd_replica_t *r = new_replica(0);
    run_steps(r, invalid_base, N(invalid_base));
    acd_replica_verdict_t v;
    assert_int_equal(feed(r, "A", 1, 8, "arrive c3", &v), 0);
    assert_int_equal(v.outcome, BUF);
    char *before = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES | ACD__REPLICA_DUMP_ORIGINS);

    /* the same call twice in one snapshot: refused whole */
    assert_int_equal(feed(r, "A", 1, 0, "snap 7 c1 c2 c1", &v), 0);
    assert_int_equal(v.outcome, INVALID);
    assert_int_equal(v.invalid, 1);
    char *after = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES | ACD__REPLICA_DUMP_ORIGINS);
    assert_string_equal(after, before);
    free(after);
    /* also across parts */
    assert_int_equal(feed(r, "A", 1, 0, "snap 7 0/2 a1 u1", &v), 0);
    assert_int_equal(v.outcome, PART);
    assert_int_equal(feed(r, "A", 1, 0, "snap 7 1/2 c1 a1", &v), 0);
    assert_int_equal(v.outcome, INVALID);
    after = fx_dump(r, ACD__REPLICA_DUMP_ENTITIES | ACD__REPLICA_DUMP_ORIGINS);
    assert_string_equal(after, before);

    assert_int_equal(feed(r, "A", 1, 0, "snap 7 c1 c2", &v), 0);
    assert_int_equal(v.outcome, INST);
    assert_int_equal(v.applied, 1);
    expect_summary(r, "call:A/c1=queued call:A/c2=queued call:A/c3=queued", "after snapshot");
    assert_int_equal(status_of(r, "A").state, SY);
    assert_int_equal(status_of(r, "A").invalid, 2);
    free(before);
    free(after);
    acd_replica_free(r);
}

static void test_invalid_buffered(void **state)
{
    (void)state;
    acd_replica_t *r = new_replica(0);
    run_steps(r, invalid_base, N(invalid_base));
    acd_replica_verdict_t v;
    assert_int_equal(feed(r, "A", 1, 7, "arrive c1", &v), 0);
    assert_int_equal(v.outcome, BUF);
    assert_int_equal(feed(r, "A", 1, 8, "ring c1 a1", &v), 0);
    assert_int_equal(feed(r, "A", 1, 0, "snap 6 c1 a1 u1 d:c1", &v), 0);
    assert_int_equal(v.outcome, INST);
    assert_int_equal(v.applied, 2);
    assert_int_equal(v.invalid, 1);
    expect_summary(r, "agent:A/a1=available call:A/c1=offered dialog:A/c1.1 reg:A/u1", "drained");
    acd_replica_free(r);
}

/* ---- takeover: moving calls, forgetting an origin ---- */

typedef struct seen {
    int calls, agents, regs, dialogs, queues;
    char last_call[ACD_ID_MAX];
} seen_t;

static void seen_call(void *ud, const acd_replica_call_t *c)
{
    seen_t *s = ud;
    s->calls++;
    snprintf(s->last_call, sizeof(s->last_call), "%s@%s", c->call_id, c->origin);
}

static void seen_agent(void *ud, const acd_replica_agent_t *a)
{
    (void)a;
    ((seen_t *)ud)->agents++;
}

static void seen_reg(void *ud, const acd_replica_registration_t *g)
{
    (void)g;
    ((seen_t *)ud)->regs++;
}

static void seen_dialog(void *ud, const acd_replica_dialog_t *d)
{
    (void)d;
    ((seen_t *)ud)->dialogs++;
}

static void seen_queue(void *ud, const acd_replica_queue_t *q)
{
    (void)q;
    ((seen_t *)ud)->queues++;
}

static const acd_replica_visitor_t seen_visitor = {
    .call = seen_call,
    .agent = seen_agent,
    .registration = seen_reg,
    .dialog = seen_dialog,
    .queue = seen_queue,
};

static void test_takeover(void **state)
{
    (void)state;
    static const step_t steps[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
        {NULL, 0, 3, "arrive c2", APPLIED, 0, 3, SY, NULL, NULL},
        {NULL, 0, 4, "agent a1 available", APPLIED, 0, 4, SY, NULL, NULL},
        {NULL, 0, 5, "dialog c2", APPLIED, 0, 5, SY, NULL, NULL},
        SYNC("B"),
        /* B took c1 over: the call moves, no call is held twice */
        {"B", 0, 2, "requeue c1", APPLIED, 0, 2, SY,
         "agent:A/a1=available call:B/c1=queued call:A/c2=queued dialog:A/c2.1", NULL},
        /* a takeover fact that contradicts the call's immutable facts is refused */
        {"B", 0, 3, "requeue c2 enq=7", INVALID, 0, 3, SY, NULL, NULL},
        {"B", 0, 4, "queue q1 4", APPLIED, 0, 4, SY, NULL, NULL},
    };
    acd_replica_t *r = new_replica(0);
    run_steps(r, steps, N(steps));
    assert_string_equal(acd_replica_call(r, "c1")->origin, "B");
    assert_int_equal(status_of(r, "A").calls, 1);

    seen_t all = {0};
    acd_replica_foreach(r, NULL, &seen_visitor, &all);
    assert_int_equal(all.calls + all.agents + all.dialogs + all.queues, 5);
    seen_t only_b = {0};
    acd_replica_foreach(r, "B", &seen_visitor, &only_b);
    assert_int_equal(only_b.calls, 1);
    assert_int_equal(only_b.queues, 1);
    assert_int_equal(only_b.agents, 0);
    assert_string_equal(only_b.last_call, "c1@B");

    /* A goes dark: its entities are handed over, then forgotten */
    seen_t gone = {0};
    assert_int_equal(acd_replica_forget_origin(r, "A", &seen_visitor, &gone), 0);
    assert_int_equal(gone.calls, 1);
    assert_string_equal(gone.last_call, "c2@A");
    assert_int_equal(gone.agents, 1);
    assert_int_equal(gone.dialogs, 1);
    fx_check(r);
    acd_replica_status_t st;
    assert_int_equal(acd_replica_status(r, "A", test_now, &st), -ENOENT);
    assert_int_equal(acd_replica_forget_origin(r, "A", NULL, NULL), -ENOENT);
    assert_null(acd_replica_call(r, "c2"));
    assert_null(acd_replica_agent(r, NULL, "a1"));
    expect_summary(r, "call:B/c1=queued queue:B/q1=4", "after forget");

    /* If A speaks again it is a new origin, resynced from scratch. */
    acd_replica_verdict_t v;
    assert_int_equal(feed(r, "A", 1, 6, "arrive c3", &v), 0);
    assert_int_equal(v.outcome, BUF);
    assert_true(v.resync);

    /* A snapshot of B's that lists a call A holds moves it as well. */
    assert_int_equal(feed(r, "A", 1, 0, "snap 6 c3", &v), 0);
    assert_int_equal(v.outcome, INST);
    assert_int_equal(feed(r, "B", 1, 6, "hb", &v), 0);
    assert_int_equal(v.outcome, BUF);
    assert_int_equal(feed(r, "B", 1, 0, "snap 6 c1 c3", &v), 0);
    assert_int_equal(v.outcome, INST);
    expect_summary(r, "call:B/c1=queued call:B/c3=queued", "snapshot moves");
    acd_replica_free(r);
}

/* ---- the rest of the API ---- */

typedef struct retried {
    int n;
    char origin[ACD_ID_MAX];
    uint64_t inc;
} retried_t;

static void on_retry(void *ud, const char *origin, uint64_t incarnation)
{
    retried_t *t = ud;
    t->n++;
    snprintf(t->origin, sizeof(t->origin), "%s", origin);
    t->inc = incarnation;
}

static void count_origin(void *ud, const acd_replica_status_t *s)
{
    (void)s;
    (*(int *)ud)++;
}

static void test_api(void **state)
{
    (void)state;
    acd_replica_t *r = NULL;
    acd_replica_cfg_t cfg = {.self = NULL};
    assert_int_equal(acd_replica_alloc(&r, &cfg), -EINVAL);
    cfg.self = "";
    assert_int_equal(acd_replica_alloc(&r, &cfg), -EINVAL);
    cfg.self = "S";
    assert_int_equal(acd_replica_alloc(NULL, &cfg), -EINVAL);
    assert_int_equal(acd_replica_alloc(&r, NULL), -EINVAL);
    assert_null(r);
    r = new_replica(0);

    acd_replica_verdict_t v;
    assert_int_equal(acd_replica_apply(r, NULL, 1, &v), -EINVAL);
    Acd__V1__Envelope empty;
    acd_wire_envelope_init(&empty, "A", 1, 1, 1);
    assert_int_equal(acd_replica_apply(r, &empty, 1, &v), -EINVAL); /* no body */

    /* this site's own envelopes are not replicated */
    assert_int_equal(feed(r, "S", 1, 1, "arrive c1", &v), 0);
    assert_int_equal(v.outcome, ACD_REPLICA_OWN);
    assert_null(v.origin);
    expect_summary(r, "", "own");

    /* a RESYNCING origin is asked again only after the timeout */
    assert_int_equal(feed(r, "A", 7, 5, "hb", &v), 0);
    assert_true(v.resync);
    acd_ms_t asked = test_now;
    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.resync_requested_ms, asked);
    assert_int_equal(st.lag_ms, 3 + test_now - asked);
    assert_int_equal(st.last_sent_ms, asked - 3);
    retried_t t = {0};
    acd_replica_resync_retry(r, asked + 999, 1000, on_retry, &t);
    assert_int_equal(t.n, 0);
    acd_replica_resync_retry(r, asked + 1000, 1000, on_retry, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.origin, "A");
    assert_int_equal(t.inc, 7);
    acd_replica_resync_retry(r, asked + 1500, 1000, on_retry, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(status_of(r, "A").resyncs, 2);

    /* once synced, never */
    assert_int_equal(feed(r, "A", 7, 0, "snap 5 a1=logged-out", &v), 0);
    assert_int_equal(v.outcome, INST);
    assert_int_equal(feed(r, "B", 1, 1, "hb", &v), 0);
    assert_int_equal(feed(r, "B", 1, 0, "snap 1 a1", &v), 0);
    acd_replica_resync_retry(r, asked + 100000, 1000, on_retry, &t);
    assert_int_equal(t.n, 1);

    /* a re-homed agent: logged out at A, available at B; lookups prefer the live one */
    assert_string_equal(acd_replica_agent(r, NULL, "a1")->origin, "B");
    assert_int_equal(acd_replica_agent(r, "A", "a1")->state, ACD_AGENT_LOGGED_OUT);
    assert_null(acd_replica_agent(r, "C", "a1"));

    int origins = 0;
    acd_replica_foreach_origin(r, test_now, count_origin, &origins);
    assert_int_equal(origins, 2);
    assert_string_equal(acd_replica_outcome_name(ACD_REPLICA_INSTALLED), "installed");
    assert_string_equal(acd_replica_state_name(ACD_REPLICA_RESYNCING), "resyncing");
    acd_replica_free(r);
    acd_replica_free(NULL);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_WARN, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_gap_after_snapshot),
        cmocka_unit_test(test_new_incarnation),
        cmocka_unit_test(test_heartbeat_reveals_loss),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_invalid_bodies),
        cmocka_unit_test(test_invalid_snapshot),
        cmocka_unit_test(test_invalid_buffered),
        cmocka_unit_test(test_takeover),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
