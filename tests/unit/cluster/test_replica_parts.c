/* test_replica_parts.c - snapshots in parts: installed only complete and in order, else resynced.
 */
#include "replica_steps.h"

#include "util/log.h"

/* Runs steps on a new replica (max_buffer as given) and returns origin A's status. */
static acd_replica_status_t run_table(size_t max_buffer, const step_t *steps, size_t n)
{
    acd_replica_t *r = new_replica(max_buffer);
    run_steps(r, steps, n);
    acd_replica_status_t st = status_of(r, "A");
    st.origin = NULL; /* points into r */
    st.leader_site = NULL;
    acd_replica_free(r);
    return st;
}

static void test_parts_in_order(void **state)
{
    (void)state;
    static const step_t parts[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/3 c1 c2", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", INST, 0, 1, SY,
         "call:A/c1=queued call:A/c2=queued agent:A/a1=available reg:A/u1", NULL},
        /* a repeated last part after the install: the origin takes no snapshot */
        {NULL, 0, 0, "snap 0 2/3 u1", STALE, 0, 1, SY, NULL, NULL},
    };
    acd_replica_status_t st = run_table(0, parts, N(parts));
    assert_int_equal(st.snapshots, 1);
    assert_int_equal(st.torn, 0);
    assert_int_equal(st.resyncs, 1);

    static const step_t dead[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        /* ended calls, terminated dialogs and removed bindings are not entities */
        {NULL, 0, 0, "snap 1 c1=end d:c1=bye u1=removed c2=ring:a1 d:c2 u2", INST, 0, 1, SY,
         "call:A/c2=offered dialog:A/c2.1 reg:A/u2", NULL},
    };
    run_table(0, dead, N(dead));

    /* single-part snapshots: parts 0 (an older sender) and parts 1 are the same */
    static const step_t single[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 1 0/1 c1 a1", INST, 0, 1, SY, "call:A/c1=queued agent:A/a1=available",
         NULL},
        {NULL, 0, 3, "hb", BUF, 1, 1, RS, NULL, NULL},
        {NULL, 0, 0, "snap 3 c2", INST, 0, 3, SY, "call:A/c2=queued", NULL},
    };
    run_table(0, single, N(single));
}

static void test_parts_lost(void **state)
{
    (void)state;
    static const step_t middle[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/4 c1", PART, 0, 0, RS, "", NULL},
        /* 1/4 is lost: 2/4 shows it, the held part goes, a new snapshot is asked for */
        {NULL, 0, 0, "snap 0 2/4 a1", DROPPED, 1, 0, RS, "", NULL},
        /* the rest of the torn answer asks nothing more */
        {NULL, 0, 0, "snap 0 3/4 u1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/4 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/4 c2", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/4 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 3/4 u1", INST, 0, 1, SY,
         "call:A/c1=queued call:A/c2=queued agent:A/a1=available reg:A/u1", NULL},
    };
    acd_replica_status_t st = run_table(0, middle, N(middle));
    assert_int_equal(st.torn, 1);
    assert_int_equal(st.resyncs, 2);
    assert_int_equal(st.snapshots, 1);

    /* The parts of a restarted origin's old incarnation never complete the new one's. */
    static const step_t across_restart[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/2 c9", PART, 0, 0, RS, NULL, NULL},
        {NULL, 2, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 1, 0, "snap 0 1/2 c8", STALE, 0, 0, RS, NULL, NULL},
        /* same last_seq, next part number: but the part it would continue is gone */
        {NULL, 2, 0, "snap 0 1/2 c1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 2, 0, "snap 0 0/2 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 2, 0, "snap 0 1/2 c2", INST, 0, 1, SY, "call:A/c1=queued call:A/c2=queued", NULL},
        /* parts of a snapshot no longer needed are ignored */
        {NULL, 2, 0, "snap 1 0/2 c7", STALE, 0, 1, SY, "call:A/c1=queued call:A/c2=queued", NULL},
    };
    st = run_table(0, across_restart, N(across_restart));
    assert_int_equal(st.restarts, 1);
    assert_int_equal(st.torn, 0);
}

/* A lost first or last part is a lost answer: resync_retry asks again. */
typedef struct retries {
    int n;
} retries_t;

static void on_retry(void *ud, const char *origin, uint64_t incarnation)
{
    (void)incarnation;
    assert_string_equal(origin, "A");
    ((retries_t *)ud)->n++;
}

/* Feeds spec from A (incarnation 1, seq; 0 for a snapshot) and checks the verdict. */
static void expect_outcome(acd_replica_t *r, uint64_t seq, const char *spec,
                           acd_replica_outcome_t want, bool resync)
{
    acd_replica_verdict_t v;
    assert_int_equal(feed(r, "A", 1, seq, spec, &v), 0);
    if (v.outcome != want || v.resync != resync)
        fail_msg("\"%s\": outcome %s resync %d, want %s resync %d", spec,
                 acd_replica_outcome_name(v.outcome), v.resync, acd_replica_outcome_name(want),
                 resync);
}

/* Fires resync_retry 1000 ms after the last request and checks it asked (once more). */
static void retry_after_timeout(acd_replica_t *r, retries_t *t)
{
    acd_ms_t asked = status_of(r, "A").resync_requested_ms;
    int before = t->n;
    acd_replica_resync_retry(r, asked + 999, 1000, on_retry, t);
    assert_int_equal(t->n, before);
    acd_replica_resync_retry(r, asked + 1000, 1000, on_retry, t);
    assert_int_equal(t->n, before + 1);
    if (test_now < asked + 1000)
        test_now = asked + 1000;
}

static void test_parts_lost_ends(void **state)
{
    (void)state;
    acd_replica_t *r = new_replica(0);
    retries_t t = {0};
    expect_outcome(r, 1, "hb", BUF, true);
    /* 0/3 is lost: that answer is still outstanding, so the rest asks nothing */
    expect_outcome(r, 0, "snap 0 1/3 a1", DROPPED, false);
    expect_outcome(r, 0, "snap 0 2/3 u1", DROPPED, false);
    retry_after_timeout(r, &t);

    /* the last part is lost: the parts stay held until the next answer starts */
    expect_outcome(r, 0, "snap 0 0/3 c1", PART, false);
    expect_outcome(r, 0, "snap 0 1/3 a1", PART, false);
    retry_after_timeout(r, &t);
    expect_outcome(r, 0, "snap 0 0/3 c1", PART, false);
    assert_int_equal(status_of(r, "A").torn, 1);
    expect_outcome(r, 0, "snap 0 1/3 a1", PART, false);
    expect_outcome(r, 0, "snap 0 2/3 u1", INST, false);
    expect_summary(r, "call:A/c1=queued agent:A/a1=available reg:A/u1", "installed");

    /* A request made while parts are held (here by the retry timer) is outstanding: a
     * part missing after it asks nothing more. */
    expect_outcome(r, 3, "hb", BUF, true);
    expect_outcome(r, 0, "snap 2 0/3 c1", PART, false);
    retry_after_timeout(r, &t);
    expect_outcome(r, 0, "snap 2 2/3 u1", DROPPED, false);
    expect_outcome(r, 0, "snap 2 0/3 c2", PART, false);
    expect_outcome(r, 0, "snap 2 1/3 a2", PART, false);
    expect_outcome(r, 0, "snap 2 2/3 u2", INST, false);
    expect_summary(r, "call:A/c2=queued agent:A/a2=available reg:A/u2", "installed again");

    acd_replica_status_t st = status_of(r, "A");
    assert_int_equal(st.state, SY);
    assert_int_equal(st.last_seq, 3);
    assert_int_equal(st.torn, 2);
    assert_int_equal(st.resyncs, 5);
    assert_int_equal(st.snapshots, 2);
    assert_int_equal(t.n, 3);
    acd_replica_free(r);
}

static void test_parts_duplicated(void **state)
{
    (void)state;
    static const step_t middle[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", DROPPED, 1, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", INST, 0, 1, SY,
         "call:A/c1=queued agent:A/a1=available reg:A/u1", NULL},
    };
    acd_replica_status_t st = run_table(0, middle, N(middle));
    assert_int_equal(st.torn, 1);
    assert_int_equal(st.resyncs, 2);

    /* A first part starts over (it may be a newer answer); a repeated one then shows
     * as the next part missing. */
    static const step_t first[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", DROPPED, 1, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", INST, 0, 1, SY,
         "call:A/c1=queued agent:A/a1=available reg:A/u1", NULL},
    };
    st = run_table(0, first, N(first));
    assert_int_equal(st.torn, 2);
    assert_int_equal(st.resyncs, 2);
    assert_int_equal(st.invalid, 0);
}

static void test_parts_interleaved(void **state)
{
    (void)state;
    /* Two answers (at last_seq 1 and 2) interleave: neither is installed half-and-half. */
    static const step_t two[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 1 0/2 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 2 0/2 c1 c2", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 1 1/2 a1", DROPPED, 1, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 2 1/2 a1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 2 0/2 c1 c2", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 2 1/2 a2", INST, 0, 2, SY,
         "call:A/c1=queued call:A/c2=queued agent:A/a2=available", NULL},
    };
    acd_replica_status_t st = run_table(0, two, N(two));
    assert_int_equal(st.torn, 2);
    assert_int_equal(st.snapshots, 1);

    /* A single-part snapshot is whole by itself: held parts give way to it. */
    static const step_t single[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 1 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 1 c5", INST, 0, 1, SY, "call:A/c5=queued", NULL},
        {NULL, 0, 0, "snap 1 1/3 a1", STALE, 0, 1, SY, "call:A/c5=queued", NULL},
    };
    st = run_table(0, single, N(single));
    assert_int_equal(st.torn, 1);

    /* Held parts that a gap fill made unnecessary go when the origin is SYNCED again. */
    static const step_t filled[] = {
        SYNC(NULL),
        {NULL, 0, 2, "arrive c1", APPLIED, 0, 2, SY, NULL, NULL},
        {NULL, 0, 4, "arrive c3", BUF, 1, 2, RS, NULL, NULL},
        {NULL, 0, 0, "snap 3 0/2 c1", PART, 0, 2, RS, NULL, NULL},
        {NULL, 0, 3, "arrive c2", APPLIED, 0, 4, SY, NULL, NULL},
        {NULL, 0, 0, "snap 3 1/2 c2", STALE, 0, 4, SY,
         "call:A/c1=queued call:A/c2=queued call:A/c3=queued", NULL},
    };
    st = run_table(0, filled, N(filled));
    assert_int_equal(st.torn, 0);
}

static void test_parts_count_mismatch(void **state)
{
    (void)state;
    /* same last_seq, another number of parts: another split of the state */
    static const step_t more[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/3 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/2 a1 u1", DROPPED, 1, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/3 u1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/2 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/2 a1 u1", INST, 0, 1, SY,
         "call:A/c1=queued agent:A/a1=available reg:A/u1", NULL},
    };
    acd_replica_status_t st = run_table(0, more, N(more));
    assert_int_equal(st.torn, 1);
    static const step_t fewer[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/2 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/3 a1", DROPPED, 1, 0, RS, "", NULL},
    };
    st = run_table(0, fewer, N(fewer));
    assert_int_equal(st.torn, 1);

    /* more parts than the replica holds (max_buffer 4 holds 4, the fifth completes) */
    static const step_t too_many[] = {
        {NULL, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},
        {NULL, 0, 0, "snap 0 0/6 c1", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/6 c2", DROPPED, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 0/5 c1", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 1/5 c2", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 2/5 c3", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 3/5 c4", PART, 0, 0, RS, "", NULL},
        {NULL, 0, 0, "snap 0 4/5 c5", INST, 0, 1, SY,
         "call:A/c1=queued call:A/c2=queued call:A/c3=queued call:A/c4=queued call:A/c5=queued",
         NULL},
    };
    st = run_table(4, too_many, N(too_many));
    assert_int_equal(st.overflows, 1);
    assert_int_equal(st.torn, 0);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_WARN, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_in_order),    cmocka_unit_test(test_parts_lost),
        cmocka_unit_test(test_parts_lost_ends),   cmocka_unit_test(test_parts_duplicated),
        cmocka_unit_test(test_parts_interleaved), cmocka_unit_test(test_parts_count_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
