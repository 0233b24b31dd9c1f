/* harness.h - shared fixture for the ACD core tests: a core, a clock, events, actions. */
#ifndef ACD_TEST_ACD_HARNESS_H
#define ACD_TEST_ACD_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acd/core.h"
#include "acd/core_int.h"
#include "util/err.h"

/*
 * The standard configuration:
 *   tenant acme: DIDs 100, 101 -> queue sales; tenant beta: DID 200 -> queue support.
 *   sales   (acme): ring 20 s, wrap-up 5 s, 3 misses pause, default priority 0
 *   vip     (acme): ring 10 s, wrap-up 0,   never pauses,   default priority 10
 *   support (beta): ring 15 s, wrap-up 2 s, 2 misses pause, default priority 0
 *   a1: sales, support   a2: sales   a3: support   a4: vip, sales
 */
typedef struct h {
    acd_core_t *c;
    acd_actions_t out;
    acd_ms_t now;
} h_t;

#define H_T0 1000000

static const char *const h_acme_dids[] = {"100", "101"};
static const char *const h_beta_dids[] = {"200"};
static const acd_core_tenant_cfg_t h_tenants[] = {
    {.name = "acme", .dids = h_acme_dids, .n_dids = 2, .queue = "sales", .language = "es"},
    {.name = "beta", .dids = h_beta_dids, .n_dids = 1, .queue = "support"},
};
static const acd_core_queue_cfg_t h_queues[] = {
    {.name = "sales",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 20000,
     .wrapup_ms = 5000,
     .max_no_answer = 3,
     .priority = 0},
    {.name = "vip",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 10000,
     .wrapup_ms = 0,
     .max_no_answer = 0,
     .priority = 10},
    {.name = "support",
     .tenant = "beta",
     .ring_timeout_ms = 15000,
     .wrapup_ms = 2000,
     .max_no_answer = 2},
};
static const char *const h_q_a1[] = {"sales", "support"};
static const char *const h_q_a2[] = {"sales"};
static const char *const h_q_a3[] = {"support"};
static const char *const h_q_a4[] = {"vip", "sales"};
static const acd_core_agent_cfg_t h_agents[] = {
    {.id = "a1", .sip_user = "u1", .queues = h_q_a1, .n_queues = 2},
    {.id = "a2", .sip_user = "u2", .queues = h_q_a2, .n_queues = 1},
    {.id = "a3", .sip_user = "u3", .queues = h_q_a3, .n_queues = 1},
    {.id = "a4", .sip_user = "u4", .queues = h_q_a4, .n_queues = 2},
};
static const acd_core_cfg_t h_cfg = {
    .tenants = h_tenants,
    .n_tenants = 2,
    .queues = h_queues,
    .n_queues = 3,
    .agents = h_agents,
    .n_agents = 4,
};

static inline void h_check(h_t *h)
{
    const char *err = acd__core_check(h->c);
    if (err)
        fail_msg("core invariant broken: %s", err);
}

static inline int h_setup(void **state)
{
    h_t *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(acd_core_alloc(&h->c), 0);
    h->now = H_T0;
    assert_int_equal(acd_core_configure(h->c, &h_cfg, h->now, &h->out), 0);
    assert_int_equal(h->out.n, 0);
    h_check(h);
    *state = h;
    return 0;
}

/* Like h_setup, with cfg instead of the standard configuration. */
static inline int h_setup_with(void **state, const acd_core_cfg_t *cfg)
{
    h_t *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(acd_core_alloc(&h->c), 0);
    h->now = H_T0;
    assert_int_equal(acd_core_configure(h->c, cfg, h->now, &h->out), 0);
    h_check(h);
    *state = h;
    return 0;
}

/* Applies cfg at h->now (the actions in h->out); checks the invariants. */
static inline void h_reconfigure(h_t *h, const acd_core_cfg_t *cfg)
{
    acd_actions_reset(&h->out);
    assert_int_equal(acd_core_configure(h->c, cfg, h->now, &h->out), 0);
    h_check(h);
}

/* The index of the first action of type t from index from on, or -1. */
static inline long h_find(const h_t *h, acd_action_type_t t, size_t from)
{
    for (size_t i = from; i < h->out.n; i++)
        if (h->out.v[i].type == t)
            return (long)i;
    return -1;
}

/* The agent the last actions offered call to ("" when none). */
static inline const char *h_offered_to(const h_t *h, const char *call)
{
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_OFFER && strcmp(h->out.v[i].call_id, call) == 0)
            return h->out.v[i].agent_id;
    return "";
}

static inline int h_teardown(void **state)
{
    h_t *h = *state;
    acd_core_free(h->c);
    acd_actions_fini(&h->out);
    free(h);
    return 0;
}

/* Applies ev at h->now after clearing the action list; checks the invariants. */
static inline int h_apply(h_t *h, const acd_event_t *ev)
{
    acd_actions_reset(&h->out);
    int rc = acd_core_apply(h->c, ev, h->now, &h->out);
    h_check(h);
    if (rc != 0)
        assert_int_equal(h->out.n, 0);
    return rc;
}

static inline int h_ev(h_t *h, acd_event_type_t type, const char *call, const char *agent)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    if (call)
        snprintf(ev.call_id, sizeof(ev.call_id), "%s", call);
    if (agent)
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent);
    return h_apply(h, &ev);
}

static inline int h_arrive(h_t *h, const char *call, const char *did, const char *queue,
                           int priority)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_CALL_ARRIVE;
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", call);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "555-%s", call);
    if (queue)
        snprintf(ev.queue, sizeof(ev.queue), "%s", queue);
    ev.priority = priority;
    return h_apply(h, &ev);
}

static inline int h_pause(h_t *h, const char *agent, const char *reason)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_AGENT_PAUSE;
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent);
    snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
    return h_apply(h, &ev);
}

static inline int h_hangup(h_t *h, const char *call, bool failed)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_CALL_HANGUP;
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", call);
    ev.failed = failed;
    return h_apply(h, &ev);
}

/* Advances the clock to t and sends a TICK. */
static inline int h_tick_at(h_t *h, acd_ms_t t)
{
    h->now = t;
    return h_ev(h, ACD_EV_TICK, NULL, NULL);
}

static inline void h_login_all(h_t *h, const char *const *ids, size_t n, acd_ms_t step)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, ids[i]), 0);
        h->now += step;
    }
}

/* The i-th action, checked to be of type t. */
static inline const acd_action_t *h_act(const h_t *h, size_t i, acd_action_type_t t)
{
    if (i >= h->out.n)
        fail_msg("action %zu of type %d wanted, only %zu actions", i, (int)t, h->out.n);
    assert_int_equal(h->out.v[i].type, t);
    return &h->out.v[i];
}

static inline void h_expect_state(const h_t *h, size_t i, const char *agent, acd_agent_state_t from,
                                  acd_agent_state_t to)
{
    const acd_action_t *a = h_act(h, i, ACD_ACT_AGENT_STATE);
    assert_string_equal(a->agent_id, agent);
    assert_int_equal(a->old_state, from);
    assert_int_equal(a->new_state, to);
}

static inline void h_expect_offer(const h_t *h, size_t i, const char *call, const char *agent)
{
    const acd_action_t *a = h_act(h, i, ACD_ACT_OFFER);
    assert_string_equal(a->call_id, call);
    assert_string_equal(a->agent_id, agent);
}

static inline acd_agent_view_t h_agent(const h_t *h, const char *id)
{
    acd_agent_view_t v;
    assert_int_equal(acd_core_agent(h->c, id, &v), 0);
    return v;
}

static inline acd_call_view_t h_call(const h_t *h, const char *id)
{
    acd_call_view_t v;
    assert_int_equal(acd_core_call(h->c, id, &v), 0);
    return v;
}

/* Counts actions of type t in the last action list. */
static inline size_t h_count(const h_t *h, acd_action_type_t t)
{
    size_t n = 0;
    for (size_t i = 0; i < h->out.n; i++)
        n += h->out.v[i].type == t;
    return n;
}

/* ---- snapshots: every view serialised, to prove a refused event changed nothing ---- */

typedef struct h_snap {
    char s[32768];
    size_t n;
} h_snap_t;

static inline void h_snap_printf(h_snap_t *sn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(sn->s + sn->n, sizeof(sn->s) - sn->n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(sn->s) - sn->n);
    sn->n += (size_t)k;
}

static inline void h_snap_agent(void *ud, const acd_agent_view_t *v)
{
    h_snap_printf(ud, "A %s %s %d %s %lld %lld %s@%s %d %u\n", v->id, v->sip_user, (int)v->state,
                  v->pause_reason, (long long)v->state_since, (long long)v->idle_since, v->call_id,
                  v->call_site, v->missed_in_row, v->calls_handled);
}

static inline void h_snap_queue(void *ud, const acd_queue_view_t *v)
{
    h_snap_printf(ud, "Q %s %s %s %zu %zu %zu %zu %lld\n", v->name, v->tenant, v->strategy,
                  v->waiting, v->offered, v->agents_logged_in, v->agents_available,
                  (long long)v->oldest_enqueue);
}

static inline void h_snap_call(void *ud, const acd_call_view_t *v)
{
    h_snap_printf(ud, "C %s %s %s %s %s %d %s@%s %d %lld %lld %d\n", v->id, v->tenant, v->did,
                  v->caller, v->queue, (int)v->state, v->agent, v->agent_site, v->priority,
                  (long long)v->enqueue_ms, (long long)v->answer_ms, v->position);
}

static inline void h_snapshot(const h_t *h, h_snap_t *sn)
{
    sn->n = 0;
    sn->s[0] = '\0';
    acd_core_foreach_agent(h->c, h_snap_agent, sn);
    acd_core_foreach_queue(h->c, h_snap_queue, sn);
    acd_core_foreach_call(h->c, h_snap_call, sn);
    h_snap_printf(sn, "D %lld\n", (long long)acd_core_next_deadline(h->c));
}

/* Asserts that ev is refused with rc and that no view changed. */
static inline void h_refused(h_t *h, const acd_event_t *ev, int rc)
{
    static h_snap_t before, after;
    h_snapshot(h, &before);
    assert_int_equal(h_apply(h, ev), rc);
    assert_int_equal(h->out.n, 0);
    h_snapshot(h, &after);
    assert_string_equal(before.s, after.s);
}

static inline acd_event_t h_mkev(acd_event_type_t type, const char *call, const char *agent)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    if (call)
        snprintf(ev.call_id, sizeof(ev.call_id), "%s", call);
    if (agent)
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent);
    return ev;
}

/* ---- restore tickets (test_restore.c, test_callback.c) ---- */

/* A waiting call of a dark site, adopted here: it entered there at enqueue_ms. */
static inline int h_adopt(h_t *h, const char *call, const char *did, const char *caller,
                          const char *queue, acd_ms_t enqueue_ms, int priority)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_ADOPT, call, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue ? queue : "");
    ev.enqueue_ms = enqueue_ms;
    ev.priority = priority;
    return h_apply(h, &ev);
}

/* The takeover re-INVITE of call failed (adopt.c's failed branch). */
static inline int h_takeover_failed(h_t *h, const char *call)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_HANGUP, call, NULL);
    ev.failed = true;
    ev.restorable = true;
    return h_apply(h, &ev);
}

/* A call from caller to did: a new call or a redial, or (attempt > 0) the caller answering
 * that callback attempt. */
static inline int h_call_in(h_t *h, const char *call, const char *did, const char *caller,
                            int attempt)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, call, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    ev.callback = attempt > 0;
    ev.attempt = attempt;
    return h_apply(h, &ev);
}

/* Whether tenant and caller hold a live restore ticket at h->now. */
static inline bool h_has_ticket(const h_t *h, const char *tenant, const char *caller)
{
    acd_restore_view_t v;
    return acd_core_restore_ticket(h->c, tenant, caller, h->now, &v) == 0;
}

/* The CDR among the last actions (fails the test when there is none). */
static inline const acd_cdr_t *h_cdr(const h_t *h)
{
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_CDR)
            return &h->out.v[i].cdr;
    fail_msg("no CDR among %zu actions", h->out.n);
    return NULL;
}

#endif
