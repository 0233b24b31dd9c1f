/* kpi_fixture.h - a real core (the ACD test harness) with a KPI counter set watching it. */
#ifndef ACD_TEST_REPORT_KPI_FIXTURE_H
#define ACD_TEST_REPORT_KPI_FIXTURE_H

#include <math.h>

#include "acd/harness.h"
#include "report/kpi.h"

/* The harness's core and clock, and the counters fed every step it applies. */
typedef struct kt {
    h_t *h;
    acd_kpi_t *k;
} kt_t;

static inline int kt_setup_cfg(void **state, const acd_core_cfg_t *cfg)
{
    kt_t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    void *hs = NULL;
    h_setup_with(&hs, cfg);
    t->h = hs;
    assert_int_equal(acd_kpi_alloc(&t->k), 0);
    *state = t;
    return 0;
}

static inline int kt_setup(void **state)
{
    return kt_setup_cfg(state, &h_cfg);
}

static inline int kt_teardown(void **state)
{
    kt_t *t = *state;
    void *hs = t->h;
    h_teardown(&hs);
    acd_kpi_free(t->k);
    free(t);
    return 0;
}

/* Applies ev at the harness's now and lets the counters see it; returns the core's rc. */
static inline int kt_feed(kt_t *t, const acd_event_t *ev)
{
    int rc = h_apply(t->h, ev);
    assert_int_equal(acd_kpi_observe(t->k, t->h->c, ev, rc, &t->h->out, t->h->now), 0);
    return rc;
}

static inline int kt_ev(kt_t *t, acd_event_type_t type, const char *call, const char *agent)
{
    acd_event_t ev = h_mkev(type, call, agent);
    return kt_feed(t, &ev);
}

/* A caller of did (its number derived from call) arriving. */
static inline int kt_arrive(kt_t *t, const char *call, const char *did)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, call, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "555-%s", call);
    return kt_feed(t, &ev);
}

static inline int kt_pause(kt_t *t, const char *agent)
{
    acd_event_t ev = h_mkev(ACD_EV_AGENT_PAUSE, NULL, agent);
    snprintf(ev.reason, sizeof(ev.reason), "break");
    return kt_feed(t, &ev);
}

/* Moves the clock to at and ticks (deadlines fire). */
static inline void kt_at(kt_t *t, acd_ms_t at)
{
    t->h->now = at;
    assert_int_equal(kt_ev(t, ACD_EV_TICK, NULL, NULL), 0);
}

static inline acd_kpi_queue_t kt_queue(const kt_t *t, const char *queue)
{
    acd_kpi_queue_t q;
    assert_int_equal(acd_kpi_queue(t->k, t->h->c, queue, t->h->now, &q), 0);
    return q;
}

/* Asserts a double equal to want within 1e-9 (NAN equals NAN). */
#define kt_assert_double(got, want)                                                       \
    do {                                                                                  \
        double g_ = (got), w_ = (want);                                                   \
        if (!((isnan(g_) && isnan(w_)) || fabs(g_ - w_) < 1e-9))                          \
            fail_msg("%s = %.9f, wanted %.9f", #got, g_, w_);                             \
    } while (0)

#endif
