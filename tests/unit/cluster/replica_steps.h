/* replica_steps.h - the table runner of the replica tests: steps, verdicts, summaries. */
#ifndef ACD_TEST_REPLICA_STEPS_H
#define ACD_TEST_REPLICA_STEPS_H

#include "replica_fixture.h"

#define APPLIED ACD_REPLICA_APPLIED
#define INVALID ACD_REPLICA_INVALID
#define DUP ACD_REPLICA_DUPLICATE
#define STALE ACD_REPLICA_STALE
#define BUF ACD_REPLICA_BUFFERED
#define DROPPED ACD_REPLICA_DROPPED
#define PART ACD_REPLICA_PART
#define INST ACD_REPLICA_INSTALLED
#define SY ACD_REPLICA_SYNCED
#define RS ACD_REPLICA_RESYNCING

typedef struct step {
    const char *site;              /* NULL: "A" */
    uint64_t inc;                  /* 0: 1 */
    uint64_t seq;                  /* snapshots: 0 means their last_seq */
    const char *spec;              /* the body (replica_fixture.h) */
    acd_replica_outcome_t outcome; /* expected verdict */
    int resync;                    /* expected verdict.resync */
    uint64_t last_seq;             /* the origin's last_seq afterwards */
    acd_replica_state_t state;     /* and its state */
    const char *expect;            /* fx_summary() afterwards; NULL: not checked */
    const char *decisions;         /* offer ids reported, in order; NULL: none */
} step_t;

/* A new origin: its first envelope is buffered, an empty snapshot at 0 syncs it. */
#define SYNC(s)                                                                                    \
    {s, 0, 1, "hb", BUF, 1, 0, RS, NULL, NULL},                                                    \
    {                                                                                              \
        s, 0, 0, "snap 0", INST, 0, 1, SY, NULL, NULL                                              \
    }

#define N(a) (sizeof(a) / sizeof((a)[0]))

static inline acd_replica_t *new_replica(size_t max_buffer)
{
    acd_replica_t *r = NULL;
    acd_replica_cfg_t cfg = {.self = "S", .max_buffer = max_buffer};
    assert_int_equal(acd_replica_alloc(&r, &cfg), 0);
    assert_non_null(r);
    return r;
}

static inline void expect_summary(const acd_replica_t *r, const char *expect, const char *where)
{
    char *got = fx_summary(r);
    char *want = fx_sorted(expect);
    if (strcmp(got, want) != 0)
        fail_msg("%s: replica holds\n  [%s]\nwant\n  [%s]", where, got, want);
    free(got);
    free(want);
}

static acd_ms_t test_now = 1700000100000;

/* Applies envelope spec from site/inc/seq at a new now; returns the verdict and rc. */
static inline int feed(acd_replica_t *r, const char *site, uint64_t inc, uint64_t seq,
                       const char *spec, acd_replica_verdict_t *v)
{
    test_now += 10;
    Acd__V1__Envelope *env = fx_env(site, inc, seq, test_now - 3, spec);
    int rc = acd_replica_apply(r, env, test_now, v);
    fx_check(r);
    acd_wire_free(env);
    return rc;
}

static inline void run_steps(acd_replica_t *r, const step_t *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const step_t *s = &steps[i];
        const char *site = s->site ? s->site : "A";
        uint64_t inc = s->inc ? s->inc : 1;
        char where[160];
        snprintf(where, sizeof(where), "step %zu (%s %" PRIu64 "/%" PRIu64 " \"%s\")", i, site, inc,
                 s->seq, s->spec);
        test_now += 10;
        Acd__V1__Envelope *env = fx_env(site, inc, s->seq, test_now - 3, s->spec);
        acd_replica_verdict_t v;
        int rc = acd_replica_apply(r, env, test_now, &v);
        if (rc != 0 || v.outcome != s->outcome || v.resync != (s->resync != 0))
            fail_msg("%s: rc=%d outcome=%s resync=%d, want outcome=%s resync=%d", where, rc,
                     acd_replica_outcome_name(v.outcome), v.resync,
                     acd_replica_outcome_name(s->outcome), s->resync);
        char *dec = fx_decisions(&v);
        if (strcmp(dec, s->decisions ? s->decisions : "") != 0)
            fail_msg("%s: decisions [%s], want [%s]", where, dec, s->decisions ? s->decisions : "");
        free(dec);
        acd_replica_status_t st;
        assert_int_equal(acd_replica_status(r, site, test_now, &st), 0);
        if (st.last_seq != s->last_seq || st.state != s->state)
            fail_msg("%s: last_seq=%" PRIu64 " state=%s, want %" PRIu64 " %s", where, st.last_seq,
                     acd_replica_state_name(st.state), s->last_seq,
                     acd_replica_state_name(s->state));
        if (s->outcome != STALE)
            assert_int_equal(st.incarnation, inc);
        assert_string_equal(v.origin, site);
        fx_check(r);
        if (s->expect)
            expect_summary(r, s->expect, where);
        acd_wire_free(env);
    }
}

static inline acd_replica_status_t status_of(const acd_replica_t *r, const char *site)
{
    acd_replica_status_t st;
    assert_int_equal(acd_replica_status(r, site, test_now, &st), 0);
    return st;
}

#endif
