/* test_replica_random.c - a replica converges to its owners' state over a lossy transport. */
#include "replica_model.h"

#include "util/log.h"

/*
 * Two owner models ("A" and "B") make random changes to their own calls, agents,
 * bindings, dialogs and queue counts, publish decisions and heartbeats, and now and then
 * restart (a new incarnation that lost its calls). Their envelopes travel through a
 * transport that drops, duplicates and reorders them within a window; snapshot requests
 * are answered from the owner's state at the time (sometimes in parts, sometimes lost;
 * single parts of an answer are lost or repeated now and then, which the replica must
 * notice instead of installing a partial state).
 * After the stream ends and the channels drain, the replica must hold exactly what the
 * owners hold, and it must never have reported a decision twice or out of order.
 */

#define N_EVENTS 10000
#define N_OWNERS 2
#define WINDOW 4     /* reordering window of a publish channel */
#define BUFFER 8     /* replica's max_buffer: small, so overflows happen */
#define RETRY_MS 300 /* resync retry timeout */

/* ---- the transport ---- */

typedef struct frame {
    uint8_t *p;
    size_t n;
} frame_t;

typedef struct chan {
    frame_t v[8192];
    size_t n;
} chan_t;

typedef struct stats {
    uint64_t events, dropped, duplicated, delivered, snapshots, parts, lost_snapshots, restarts;
    uint64_t gaps, overflows, duplicates, stale, invalid, decisions, retries;
    uint64_t lost_parts, repeated_parts, torn, installs_checked;
} stats_t;

/* What a replica holds of an owner after installing one of its answers alone. */
#define N_ANSWERS 8
typedef struct answer_state {
    uint64_t inc, last_seq;
    char *dump; /* acd__replica_dump() lines of that owner's entities; NULL: unused */
} answer_state_t;

typedef struct sim {
    model_t m; /* rng and now */
    bool lossless;
    acd_replica_t *r;
    owner_t own[N_OWNERS];
    chan_t pub[N_OWNERS]; /* the owner's log: lossy, reordering */
    chan_t rep[N_OWNERS]; /* snapshot answers: in order */
    bool want[N_OWNERS];  /* a snapshot request is on its way to the owner */
    acd_ms_t due[N_OWNERS];
    bool reported[N_OWNERS][MAX_OFFERS];
    uint64_t dec_inc[N_OWNERS], dec_seq[N_OWNERS];
    /* The entities of the last answers each owner sent, keyed by (incarnation, last_seq). */
    answer_state_t answers[N_OWNERS][N_ANSWERS];
    size_t next_answer[N_OWNERS];
    stats_t st;
} sim_t;

static int owner_index(const char *site)
{
    return site[0] - 'A';
}

static void chan_push(chan_t *c, const acd_buf_t *b)
{
    assert_true(c->n < sizeof(c->v) / sizeof(c->v[0]));
    frame_t *f = &c->v[c->n++];
    f->p = malloc(b->n ? b->n : 1);
    assert_non_null(f->p);
    memcpy(f->p, b->p, b->n);
    f->n = b->n;
}

/* Takes frame i out of c (the others keep their order). */
static frame_t chan_take(chan_t *c, size_t i)
{
    frame_t f = c->v[i];
    memmove(c->v + i, c->v + i + 1, (c->n - i - 1) * sizeof(c->v[0]));
    c->n--;
    return f;
}

/* Publishes env (its seq is the owner's next) on o's log, through the lossy channel. */
static void publish(sim_t *s, owner_t *o, Acd__V1__Envelope *env)
{
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(env, &b), 0);
    s->st.events++;
    chan_t *c = &s->pub[owner_index(o->site)];
    if (!s->lossless && chance(&s->m.rng, 40)) {
        s->st.dropped++;
    } else {
        chan_push(c, &b);
        if (!s->lossless && chance(&s->m.rng, 40)) {
            chan_push(c, &b);
            s->st.duplicated++;
        }
    }
    acd_buf_fini(&b);
}

/* o's next random envelope, published. */
static void owner_event(sim_t *s, owner_t *o)
{
    Acd__V1__Envelope env;
    m_bodies_t b;
    owner_next(&s->m, o, &env, &b);
    publish(s, o, &env);
}

static void owner_heartbeat(sim_t *s, owner_t *o)
{
    Acd__V1__Envelope env;
    Acd__V1__Heartbeat hb;
    owner_envelope(&s->m, o, &env);
    acd__v1__heartbeat__init(&hb);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    publish(s, o, &env);
}

/* owner_snapshot()'s emit: frames go into a channel. */
static void emit_frame(void *ud, const acd_buf_t *frame)
{
    chan_push(ud, frame);
}

/* An answer on its way to the replica: the channel, and whether parts may go astray. */
typedef struct answer {
    sim_t *s;
    chan_t *c;
    bool in_parts;
} answer_t;

/* owner_snapshot()'s emit for serve(): a part of an answer in parts is sometimes lost
 * and sometimes sent twice; single-part answers are lost whole (serve() decides). */
static void emit_part(void *ud, const acd_buf_t *frame)
{
    answer_t *a = ud;
    if (a->in_parts && !a->s->lossless && chance(&a->s->m.rng, 60)) {
        a->s->st.lost_parts++;
        return;
    }
    chan_push(a->c, frame);
    if (a->in_parts && !a->s->lossless && chance(&a->s->m.rng, 20)) {
        chan_push(a->c, frame);
        a->s->st.repeated_parts++;
    }
}

/* ---- delivery ---- */

static void check_decisions(sim_t *s, const acd_replica_verdict_t *v)
{
    for (size_t i = 0; i < v->n_decisions; i++) {
        const Acd__V1__Envelope *d = v->decisions[i];
        const char *id = d->body_case == ACD__V1__ENVELOPE__BODY_OFFER ? d->offer->offer_id
                         : d->body_case == ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT
                             ? d->offer_accept->offer_id
                             : d->offer_reject->offer_id;
        int k = owner_index(d->origin_site);
        int n = atoi(strchr(id, 'o') + 1);
        assert_true(n >= 0 && n < MAX_OFFERS);
        if (s->reported[k][n])
            fail_msg("decision %s reported twice", id);
        s->reported[k][n] = true;
        if (d->incarnation == s->dec_inc[k] && d->seq <= s->dec_seq[k])
            fail_msg("decision %s (seq %" PRIu64 ") after seq %" PRIu64, id, d->seq, s->dec_seq[k]);
        s->dec_inc[k] = d->incarnation;
        s->dec_seq[k] = d->seq;
        s->st.decisions++;
    }
}

/* The lines of a replica dump about origin's entities ("KIND ORIGIN ..."); malloc'd. */
static char *origin_lines(const char *dump, const char *origin)
{
    acd_buf_t b = {0};
    size_t n = strlen(origin);
    assert_int_equal(acd_buf_append(&b, "", 0), 0);
    for (const char *line = dump; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        const char *sp = memchr(line, ' ', len);
        if (sp && len > (size_t)(sp - line) + n + 1 && !memcmp(sp + 1, origin, n) &&
            sp[n + 1] == ' ')
            assert_int_equal(acd_buf_append(&b, line, len), 0);
        line += len;
    }
    return acd_buf_steal(&b, NULL);
}

/* Remembers what installing the answer owner k sends now must give (its whole state). */
static void remember_answer(sim_t *s, int k)
{
    const owner_t *o = &s->own[k];
    acd_replica_t *fresh = NULL;
    acd_replica_cfg_t cfg = {.self = "S"};
    assert_int_equal(acd_replica_alloc(&fresh, &cfg), 0);
    chan_t *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(owner_snapshot(o, s->m.now, false, emit_frame, c), 1);
    Acd__V1__Envelope *env = NULL;
    assert_int_equal(acd_wire_decode(c->v[0].p, c->v[0].n, &env), 0);
    acd_replica_verdict_t v;
    assert_int_equal(acd_replica_apply(fresh, env, s->m.now, &v), 0);
    assert_int_equal(v.outcome, ACD_REPLICA_INSTALLED);
    answer_state_t *a = NULL;
    for (size_t i = 0; i < N_ANSWERS && !a; i++) {
        answer_state_t *x = &s->answers[k][i];
        if (x->dump && x->inc == o->inc && x->last_seq == o->seq)
            a = x;
    }
    if (!a)
        a = &s->answers[k][s->next_answer[k]++ % N_ANSWERS];
    free(a->dump);
    a->inc = o->inc;
    a->last_seq = o->seq;
    a->dump = fx_dump(fresh, ACD__REPLICA_DUMP_ENTITIES);
    acd_wire_free(env);
    free(c->v[0].p);
    free(c);
    acd_replica_free(fresh);
}

/*
 * A snapshot env was installed with nothing buffered after it: the origin's entities must
 * be exactly the answer's whole state, never a part of it.
 */
static void check_install(sim_t *s, const Acd__V1__Envelope *env)
{
    int k = owner_index(env->origin_site);
    const answer_state_t *a = NULL;
    for (size_t i = 0; i < N_ANSWERS && !a; i++) {
        const answer_state_t *x = &s->answers[k][i];
        if (x->dump && x->inc == env->incarnation && x->last_seq == env->snapshot->last_seq)
            a = x;
    }
    if (!a)
        return; /* an answer older than the ones remembered */
    char *dump = fx_dump(s->r, ACD__REPLICA_DUMP_ENTITIES);
    char *got = origin_lines(dump, env->origin_site);
    if (strcmp(got, a->dump) != 0)
        fail_msg("%s installed at %" PRIu64 ":\n%s\nwant\n%s", env->origin_site,
                 env->snapshot->last_seq, got, a->dump);
    s->st.installs_checked++;
    free(got);
    free(dump);
}

static void deliver(sim_t *s, frame_t f)
{
    Acd__V1__Envelope *env = NULL;
    assert_int_equal(acd_wire_decode(f.p, f.n, &env), 0);
    free(f.p);
    acd_replica_verdict_t v;
    assert_int_equal(acd_replica_apply(s->r, env, s->m.now, &v), 0);
    s->st.delivered++;
    check_decisions(s, &v);
    if (v.outcome == ACD_REPLICA_INSTALLED && v.applied == 0)
        check_install(s, env);
    if (v.resync) {
        int k = owner_index(v.origin);
        s->want[k] = true;
        s->due[k] = s->m.now + below(&s->m.rng, 60);
    }
    acd_wire_free(env);
    fx_check(s->r);
}

/* Delivers one frame from a random non-empty channel; false when all are empty. */
static bool deliver_one(sim_t *s)
{
    chan_t *chans[2 * N_OWNERS];
    size_t n = 0;
    for (int k = 0; k < N_OWNERS; k++) {
        if (s->pub[k].n)
            chans[n++] = &s->pub[k];
        if (s->rep[k].n)
            chans[n++] = &s->rep[k];
    }
    if (!n)
        return false;
    chan_t *c = chans[below(&s->m.rng, (uint32_t)n)];
    bool is_pub = c == &s->pub[0] || c == &s->pub[1];
    size_t window = c->n < WINDOW ? c->n : WINDOW;
    deliver(s, chan_take(c, is_pub ? below(&s->m.rng, (uint32_t)window) : 0));
    return true;
}

static void on_retry(void *ud, const char *origin, uint64_t incarnation)
{
    sim_t *s = ud;
    (void)incarnation;
    int k = owner_index(origin);
    s->want[k] = true;
    s->due[k] = s->m.now;
    s->st.retries++;
}

/* Owners answer the snapshot requests that reached them. */
static void serve(sim_t *s)
{
    for (int k = 0; k < N_OWNERS; k++) {
        if (!s->want[k] || s->m.now < s->due[k])
            continue;
        s->want[k] = false;
        if (!s->lossless && chance(&s->m.rng, 50)) {
            s->st.lost_snapshots++;
            continue;
        }
        remember_answer(s, k);
        answer_t a = {.s = s, .c = &s->rep[k], .in_parts = chance(&s->m.rng, 300)};
        size_t parts = owner_snapshot(&s->own[k], s->m.now, a.in_parts, emit_part, &a);
        s->st.snapshots++;
        s->st.parts += parts > 1 ? parts : 0;
    }
}

/* ---- convergence ---- */

static void expect_converged(sim_t *s)
{
    acd_replica_t *fresh = NULL;
    acd_replica_cfg_t cfg = {.self = "S"};
    assert_int_equal(acd_replica_alloc(&fresh, &cfg), 0);
    for (int k = 0; k < N_OWNERS; k++) {
        const owner_t *o = &s->own[k];
        acd_replica_status_t st;
        assert_int_equal(acd_replica_status(s->r, o->site, s->m.now, &st), 0);
        assert_int_equal(st.incarnation, o->inc);
        assert_int_equal(st.last_seq, o->seq);
        assert_int_equal(st.state, ACD_REPLICA_SYNCED);
        assert_int_equal(st.buffered, 0);
        s->st.gaps += st.gaps;
        s->st.overflows += st.overflows;
        s->st.duplicates += st.duplicates;
        s->st.stale += st.stale;
        s->st.invalid += st.invalid;
        s->st.torn += st.torn;

        /* every fact of the owner, field by field */
        size_t calls = 0, agents = 0, regs = 0, dialogs = 0, queues = 0;
        for (int i = 0; i < MAX_CALLS; i++) {
            const m_call_t *m = &o->calls[i];
            if (!m->live)
                continue;
            calls++;
            const acd_replica_call_t *c = acd_replica_call(s->r, m->id);
            if (!c)
                fail_msg("call %s missing", m->id);
            assert_string_equal(c->origin, o->site);
            assert_int_equal(c->kind, m->kind);
            assert_string_equal(c->agent_id, m->agent);
            assert_int_equal(c->priority, m->prio);
            assert_int_equal(c->enqueue_ms, m->enq);
            assert_int_equal(c->answer_ms, m->ans);
            assert_int_equal(c->offers, m->offers);
            assert_string_equal(c->reason, m->reason ? m->reason : "");
        }
        for (int i = 0; i < N_AGENTS; i++) {
            const m_agent_t *m = &o->agents[i];
            if (!m->live)
                continue;
            agents++;
            const acd_replica_agent_t *a = acd_replica_agent(s->r, o->site, m->id);
            assert_non_null(a);
            assert_int_equal(a->state + 1, m->state);
            assert_string_equal(a->call_id, m->call);
            assert_int_equal(a->state_since_ms, m->since);
            assert_int_equal(a->idle_since_ms, m->idle);
            assert_int_equal(a->calls_handled, m->handled);
        }
        for (int i = 0; i < N_USERS; i++) {
            const m_reg_t *m = &o->regs[i];
            if (!m->live)
                continue;
            regs++;
            const acd_replica_registration_t *g = acd_replica_registration(s->r, o->site, m->user);
            assert_non_null(g);
            assert_string_equal(g->contact, m->contact);
            assert_int_equal(g->register_cseq, m->cseq);
            assert_int_equal(g->transport, m->transport);
        }
        for (int i = 0; i < MAX_DIALOGS; i++) {
            const m_dialog_t *m = &o->dialogs[i];
            if (!m->live)
                continue;
            dialogs++;
            const acd_replica_dialog_t *d = acd_replica_dialog(s->r, o->site, m->call, m->leg);
            assert_non_null(d);
            assert_int_equal(d->ev->state, m->state);
            assert_int_equal(d->ev->local_cseq, m->lcseq);
            assert_int_equal(d->ev->remote_cseq, m->rcseq);
            assert_string_equal(d->ev->remote_tag, m->rtag);
        }
        for (int i = 0; i < N_QUEUES; i++) {
            const m_queue_t *m = &o->queues[i];
            if (!m->live)
                continue;
            queues++;
            const acd_replica_queue_t *q = acd_replica_queue(s->r, o->site, m->name);
            assert_non_null(q);
            assert_int_equal(q->waiting, m->waiting);
            assert_int_equal(q->oldest_enqueue_ms, m->oldest);
        }
        /* and nothing else: no entity of an old incarnation, none twice */
        assert_int_equal(st.calls, calls);
        assert_int_equal(st.agents, agents);
        assert_int_equal(st.registrations, regs);
        assert_int_equal(st.dialogs, dialogs);
        assert_int_equal(st.queues, queues);

        /* the same state, every field, as a replica given only the owner's snapshot */
        chan_t *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        assert_int_equal(owner_snapshot(o, s->m.now, false, emit_frame, c), 1);
        Acd__V1__Envelope *env = NULL;
        assert_int_equal(acd_wire_decode(c->v[0].p, c->v[0].n, &env), 0);
        acd_replica_verdict_t v;
        assert_int_equal(acd_replica_apply(fresh, env, s->m.now, &v), 0);
        assert_int_equal(v.outcome, ACD_REPLICA_INSTALLED);
        acd_wire_free(env);
        free(c->v[0].p);
        free(c);
    }
    char *got = fx_dump(s->r, ACD__REPLICA_DUMP_ENTITIES);
    char *want = fx_dump(fresh, ACD__REPLICA_DUMP_ENTITIES);
    assert_string_equal(got, want);
    free(got);
    free(want);
    acd_replica_free(fresh);
}

static void run_seed(uint64_t seed, stats_t *total)
{
    sim_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->m.rng.s = seed * 0x9E3779B97F4A7C15ULL + 1;
    s->m.now = 1700000000000;
    acd_replica_cfg_t cfg = {.self = "S", .max_buffer = BUFFER};
    assert_int_equal(acd_replica_alloc(&s->r, &cfg), 0);
    for (int k = 0; k < N_OWNERS; k++)
        owner_init(&s->own[k], k == 0 ? "A" : "B", 1000 + seed);

    for (int i = 0; i < N_EVENTS; i++) {
        s->m.now += 1 + below(&s->m.rng, 3);
        owner_t *o = &s->own[below(&s->m.rng, N_OWNERS)];
        if (chance(&s->m.rng, 2)) {
            owner_restart(&s->m, o);
            s->st.restarts++;
        }
        owner_event(s, o);
        for (uint32_t j = below(&s->m.rng, 4); j > 0; j--)
            deliver_one(s);
        serve(s);
        acd_replica_resync_retry(s->r, s->m.now, RETRY_MS, on_retry, s);
    }

    /* The stream ends; the transport stops losing. A last heartbeat shows any lost tail. */
    s->lossless = true;
    for (int k = 0; k < N_OWNERS; k++)
        owner_heartbeat(s, &s->own[k]);
    for (int round = 0; round < 50; round++) {
        while (deliver_one(s))
            ;
        bool synced = true;
        for (int k = 0; k < N_OWNERS; k++) {
            acd_replica_status_t st;
            assert_int_equal(acd_replica_status(s->r, s->own[k].site, s->m.now, &st), 0);
            synced = synced && st.state == ACD_REPLICA_SYNCED;
        }
        if (synced)
            break;
        s->m.now += RETRY_MS;
        acd_replica_resync_retry(s->r, s->m.now, RETRY_MS, on_retry, s);
        s->m.now += 60;
        serve(s);
    }
    expect_converged(s);
    print_message(
        "seed %" PRIu64 ": %" PRIu64 " events, %" PRIu64 " dropped, %" PRIu64
        " duplicated, %" PRIu64 " restarts, %" PRIu64 " gaps, %" PRIu64 " snapshots (%" PRIu64
        " parts, %" PRIu64 " lost, %" PRIu64 " parts lost, %" PRIu64 " repeated, %" PRIu64
        " torn, %" PRIu64 " installs checked), %" PRIu64 " overflows, %" PRIu64 " decisions\n",
        seed, s->st.events, s->st.dropped, s->st.duplicated, s->st.restarts, s->st.gaps,
        s->st.snapshots, s->st.parts, s->st.lost_snapshots, s->st.lost_parts, s->st.repeated_parts,
        s->st.torn, s->st.installs_checked, s->st.overflows, s->st.decisions);
    uint64_t *t = (uint64_t *)total;
    const uint64_t *one = (const uint64_t *)&s->st;
    for (size_t i = 0; i < sizeof(*total) / sizeof(uint64_t); i++)
        t[i] += one[i];
    for (int k = 0; k < N_OWNERS; k++) {
        for (size_t i = 0; i < N_ANSWERS; i++)
            free(s->answers[k][i].dump);
    }
    acd_replica_free(s->r);
    free(s);
}

static void test_random_streams(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {1, 2, 3, 20261122, 77};
    stats_t total = {0};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        run_seed(seeds[i], &total);
    /* the runs went through every path that matters */
    assert_true(total.dropped > 0 && total.duplicated > 0 && total.restarts > 0);
    assert_true(total.gaps > 0 && total.overflows > 0 && total.stale > 0);
    assert_true(total.parts > 0 && total.lost_snapshots > 0 && total.retries > 0);
    assert_true(total.duplicates > 0 && total.decisions > 0);
    assert_true(total.lost_parts > 0 && total.repeated_parts > 0 && total.torn > 0);
    assert_true(total.installs_checked > 0);
    assert_int_equal(total.invalid, 0);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_WARN, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
