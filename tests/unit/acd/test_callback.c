/* test_callback.c - callback after a failed takeover: the core's side (restore.c, ADR 0019). */
#include "harness.h"

#include <errno.h>

#define T_WINDOW 120000
#define T_DELAY 5000
#define T_RING 30000

/* The harness's configuration with callback for acme (2 attempts) and none for beta. */
static acd_core_tenant_cfg_t t_tenants[2];

static acd_core_cfg_t t_cfg(int attempts, int delay_ms, int ring_ms)
{
    t_tenants[0] = h_tenants[0];
    t_tenants[1] = h_tenants[1];
    t_tenants[0].callback_attempts = attempts;
    t_tenants[0].callback_delay_ms = delay_ms;
    t_tenants[0].callback_ring_ms = ring_ms;
    acd_core_cfg_t cfg = h_cfg;
    cfg.tenants = t_tenants;
    return cfg;
}

static int t_setup(void **state)
{
    h_setup(state);
    h_t *h = *state;
    acd_core_cfg_t cfg = t_cfg(2, T_DELAY, T_RING);
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), 0);
    assert_int_equal(acd_core_set_redial_window(h->c, T_WINDOW), 0);
    return 0;
}

/* A waiting call of the dark site (entered there at enqueue_ms), adopted here, whose
 * takeover re-INVITE then fails. */
static void t_lost(h_t *h, const char *call, const char *did, const char *caller, const char *queue,
                   acd_ms_t enqueue_ms)
{
    assert_int_equal(h_adopt(h, call, did, caller, queue, enqueue_ms, 0), 0);
    assert_int_equal(h_takeover_failed(h, call), 0);
}

static int t_failed(h_t *h, const char *did, const char *caller, int attempt)
{
    acd_event_t ev = h_mkev(ACD_EV_CALLBACK_FAILED, NULL, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    snprintf(ev.reason, sizeof(ev.reason), "sip-486");
    ev.attempt = attempt;
    return h_apply(h, &ev);
}

/* Action i is a callback action of type t about caller's ticket, attempt n. */
static void t_expect(const h_t *h, size_t i, acd_action_type_t t, const char *caller, int n,
                     const char *reason)
{
    const acd_action_t *a = h_act(h, i, t);
    assert_string_equal(a->callback.tenant, "acme");
    assert_string_equal(a->callback.did, "100");
    assert_string_equal(a->callback.caller, caller);
    assert_int_equal(a->callback.attempt, n);
    assert_int_equal(a->callback.attempts, 2);
    assert_string_equal(a->call_id, "");
    assert_string_equal(a->reason, reason ? reason : "");
}

static acd_restore_view_t t_ticket(const h_t *h, const char *tenant, const char *caller)
{
    acd_restore_view_t v;
    assert_int_equal(acd_core_restore_ticket(h->c, tenant, caller, h->now, &v), 0);
    return v;
}

/* After the delay the core asks for a call; answered, it takes the original place. */
static void test_answered_in_place(void **state)
{
    h_t *h = *state;
    h->now = H_T0 + 5000;
    assert_int_equal(h_call_in(h, "b-later", "100", "+3460002", 0), 0); /* here at +5 s */
    h->now = H_T0 + 9000;
    t_lost(h, "a-1", "100", "+3460001", NULL, H_T0 + 2000); /* there at +2 s */
    acd_restore_view_t t = t_ticket(h, "acme", "+3460001");
    assert_string_equal(t.did, "100");
    assert_int_equal(t.callback_attempts, 2);
    assert_int_equal(t.callback_attempt, 0);
    assert_false(t.callback_ringing);
    assert_int_equal(t.callback_at, H_T0 + 9000 + T_DELAY);
    assert_int_equal(t.expires_ms, INT64_MAX);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 9000 + T_DELAY);

    assert_int_equal(h_tick_at(h, H_T0 + 9000 + T_DELAY - 1), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_tick_at(h, H_T0 + 9000 + T_DELAY), 0);
    assert_int_equal(h->out.n, 1);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3460001", 1, NULL);
    assert_string_equal(h->out.v[0].callback.old_call_id, "a-1");
    t = t_ticket(h, "acme", "+3460001");
    assert_true(t.callback_ringing);
    assert_int_equal(t.callback_at, H_T0 + 9000 + T_DELAY + T_RING);

    /* The caller answers 3 s later: the call waits where a-1 did, ahead of b-later. */
    h->now += 3000;
    assert_int_equal(h_call_in(h, "b-cb", "100", "+3460001", 1), 0);
    assert_int_equal(h_count(h, ACD_ACT_CALLBACK_CANCEL), 0);
    acd_call_view_t v = h_call(h, "b-cb");
    assert_int_equal(v.enqueue_ms, H_T0 + 2000);
    assert_string_equal(v.restored_from, "a-1");
    assert_true(v.callback);
    assert_int_equal(v.position, 1);
    assert_int_equal(h_call(h, "b-later").position, 2);
    assert_false(h_call(h, "b-later").callback);
    assert_false(h_has_ticket(h, "acme", "+3460001"));
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);

    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_OFFER)
            h_expect_offer(h, i, "b-cb", "a2");
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 1);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "b-cb", "a2"), 0);
    h->now += 10000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "b-cb", "a2"), 0);
    const acd_cdr_t *cdr = h_cdr(h);
    assert_true(cdr->callback);
    assert_string_equal(cdr->restored_from, "a-1");
    assert_int_equal(cdr->enqueue_ms, H_T0 + 2000);
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);
}

/* Busy on the first attempt, answered on the second; a stale report changes nothing. */
static void test_busy_then_answered(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-1", "100", "+3461", NULL, H_T0 - 1000);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3461", 1, NULL);
    h->now += 700;
    assert_int_equal(t_failed(h, "100", "+3461", 1), 0);
    assert_int_equal(h->out.n, 0);
    acd_restore_view_t t = t_ticket(h, "acme", "+3461");
    assert_false(t.callback_ringing);
    assert_int_equal(t.callback_attempt, 1);
    assert_int_equal(t.callback_at, h->now + T_DELAY);
    acd_event_t ev = h_mkev(ACD_EV_CALLBACK_FAILED, NULL, NULL);
    snprintf(ev.did, sizeof(ev.did), "101"); /* the tenant's other number: the same ticket */
    snprintf(ev.caller, sizeof(ev.caller), "+3461");
    ev.attempt = 1;
    h_refused(h, &ev, ACD_ESTATE); /* attempt 1 failed already */
    snprintf(ev.did, sizeof(ev.did), "999");
    h_refused(h, &ev, ACD_ESTATE); /* nobody's number */

    assert_int_equal(h_tick_at(h, t.callback_at), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3461", 2, NULL);
    h->now += 2000;
    assert_int_equal(h_call_in(h, "b-cb2", "101", "+3461", 2), 0);
    acd_call_view_t v = h_call(h, "b-cb2");
    assert_int_equal(v.enqueue_ms, H_T0 - 1000);
    assert_true(v.callback);
    assert_string_equal(v.restored_from, "a-1");
}

/* Unanswered attempts time out in the core; after the last one the ticket is given up. */
static void test_timeouts_then_gave_up(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-1", "100", "+3461", NULL, H_T0 - 1000);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3461", 1, NULL);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY + T_RING), 0);
    assert_int_equal(h->out.n, 1);
    t_expect(h, 0, ACD_ACT_CALLBACK_CANCEL, "+3461", 1, "timeout");
    /* The trunk's 487 to our CANCEL comes afterwards: the core counted it already. */
    acd_event_t ev = h_mkev(ACD_EV_CALLBACK_FAILED, NULL, NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "+3461");
    ev.attempt = 1;
    h_refused(h, &ev, ACD_ESTATE);
    assert_int_equal(h_tick_at(h, H_T0 + 2 * T_DELAY + T_RING), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3461", 2, NULL);
    h->now += 1000;
    assert_int_equal(t_failed(h, "100", "+3461", 2), 0);
    assert_int_equal(h->out.n, 1);
    t_expect(h, 0, ACD_ACT_CALLBACK_GAVE_UP, "+3461", 2, NULL);
    assert_false(h_has_ticket(h, "acme", "+3461"));
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);

    /* One late TICK fires every deadline missed, in order, each at its own time. */
    t_lost(h, "a-2", "100", "+3462", NULL, H_T0 - 1000);
    assert_int_equal(h_tick_at(h, h->now + 10 * (T_DELAY + T_RING)), 0);
    assert_int_equal(h->out.n, 5);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3462", 1, NULL);
    t_expect(h, 1, ACD_ACT_CALLBACK_CANCEL, "+3462", 1, "timeout");
    t_expect(h, 2, ACD_ACT_CALLBACK, "+3462", 2, NULL);
    t_expect(h, 3, ACD_ACT_CALLBACK_CANCEL, "+3462", 2, "timeout");
    t_expect(h, 4, ACD_ACT_CALLBACK_GAVE_UP, "+3462", 2, NULL);
    assert_false(h_has_ticket(h, "acme", "+3462"));
}

/* A redial wins over a ringing callback (cancelled) and over one still to come. */
static void test_redial_wins(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-1", "100", "+3461", NULL, H_T0 - 1000);
    t_lost(h, "a-2", "100", "+3462", NULL, H_T0 - 2000);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY), 0);
    assert_int_equal(h_count(h, ACD_ACT_CALLBACK), 2);
    h->now += 1000;
    assert_int_equal(h_call_in(h, "r-1", "101", "+3461", 0), 0);
    assert_int_equal(h_count(h, ACD_ACT_CALLBACK_CANCEL), 1);
    t_expect(h, 0, ACD_ACT_CALLBACK_CANCEL, "+3461", 1, "redial");
    acd_call_view_t v = h_call(h, "r-1");
    assert_string_equal(v.restored_from, "a-1");
    assert_false(v.callback);
    /* The cancelled attempt answered all the same: a call of its own, at the back. */
    h->now += 500;
    assert_int_equal(h_call_in(h, "cb-late", "100", "+3461", 1), 0);
    v = h_call(h, "cb-late");
    assert_int_equal(v.enqueue_ms, h->now);
    assert_string_equal(v.restored_from, "");
    assert_true(v.callback);

    /* Between attempts: the redial takes the ticket and no attempt follows. */
    assert_int_equal(t_failed(h, "100", "+3462", 1), 0);
    h->now += 1000;
    assert_int_equal(h_call_in(h, "r-2", "100", "+3462", 0), 0);
    assert_int_equal(h_count(h, ACD_ACT_CALLBACK_CANCEL), 0);
    assert_string_equal(h_call(h, "r-2").restored_from, "a-2");
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
    assert_int_equal(h_tick_at(h, h->now + 10 * T_DELAY), 0);
    assert_int_equal(h->out.n, 0);
}

/* A tenant without callback gets only the redial window; one with callback a ticket even
 * with the window off, which window 0 leaves alone. */
static void test_tenants_and_window(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-beta", "200", "+3461", NULL, H_T0 - 1000);
    acd_restore_view_t t = t_ticket(h, "beta", "+3461");
    assert_int_equal(t.callback_attempts, 0);
    assert_int_equal(t.callback_at, 0);
    assert_int_equal(t.expires_ms, h->now + T_WINDOW);
    assert_int_equal(h_tick_at(h, H_T0 + 10 * T_DELAY), 0);
    assert_int_equal(h->out.n, 0);

    t_lost(h, "a-acme", "100", "+3462", NULL, H_T0 - 1000);
    assert_int_equal(acd_core_set_redial_window(h->c, 0), 0);
    assert_false(h_has_ticket(h, "beta", "+3461"));
    assert_true(h_has_ticket(h, "acme", "+3462"));
    t_lost(h, "a-beta2", "200", "+3463", NULL, H_T0 - 1000);
    t_lost(h, "a-acme2", "100", "+3464", NULL, H_T0 - 1000);
    assert_false(h_has_ticket(h, "beta", "+3463"));
    assert_true(h_has_ticket(h, "acme", "+3464"));
    size_t held;
    acd_core_restore_counts(h->c, &held, NULL);
    assert_int_equal(held, 2);

    /* The same caller failing again keeps its callback as it was, and the better place. */
    t_lost(h, "a-acme3", "100", "+3464", NULL, H_T0 - 9000);
    t = t_ticket(h, "acme", "+3464");
    assert_string_equal(t.old_call_id, "a-acme3");
    assert_int_equal(t.callback_at, H_T0 + 10 * T_DELAY + T_DELAY);
}

/* A callback ticket whose queue was removed: the answer enters the tenant's queue at now. */
static void test_queue_gone(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-vip", "100", "+3461", "vip", H_T0 - 1000);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+3461", 1, NULL);
    /* vip goes; a4 keeps sales only. */
    static const char *const q_a4[] = {"sales"};
    acd_core_agent_cfg_t agents[4];
    memcpy(agents, h_agents, sizeof(agents));
    agents[3].queues = q_a4;
    agents[3].n_queues = 1;
    acd_core_queue_cfg_t queues[2] = {h_queues[0], h_queues[2]};
    acd_core_cfg_t cfg = t_cfg(2, T_DELAY, T_RING);
    cfg.queues = queues;
    cfg.n_queues = 2;
    cfg.agents = agents;
    acd_actions_reset(&h->out);
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), 0);
    h->now += 1000;
    assert_int_equal(h_call_in(h, "b-cb", "100", "+3461", 1), 0);
    acd_call_view_t v = h_call(h, "b-cb");
    assert_string_equal(v.queue, "sales");
    assert_int_equal(v.enqueue_ms, h->now);
    assert_string_equal(v.restored_from, "");
    assert_false(h_has_ticket(h, "acme", "+3461"));
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
}

/* A full table drops the ticket closest to expiry; a ringing callback of it is cancelled. */
static void test_full_table(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-first", "100", "+34first", NULL, H_T0 - 1000);
    assert_int_equal(h_tick_at(h, H_T0 + T_DELAY), 0);
    t_expect(h, 0, ACD_ACT_CALLBACK, "+34first", 1, NULL);
    char id[32], num[32];
    for (int i = 1; i < ACD_RESTORE_MAX; i++) {
        snprintf(id, sizeof(id), "a-%d", i);
        snprintf(num, sizeof(num), "+34%d", i);
        t_lost(h, id, "100", num, NULL, H_T0 - 1000);
    }
    assert_true(h_has_ticket(h, "acme", "+34first"));
    t_lost(h, "a-last", "100", "+34last", NULL, H_T0 - 1000);
    t_expect(h, 0, ACD_ACT_CALLBACK_CANCEL, "+34first", 1, "dropped");
    assert_int_equal(h_count(h, ACD_ACT_CDR), 1);
    assert_false(h_has_ticket(h, "acme", "+34first"));
    assert_true(h_has_ticket(h, "acme", "+34last"));
    uint64_t dropped;
    acd_core_restore_counts(h->c, NULL, &dropped);
    assert_int_equal(dropped, 1);
}

/* Callback settings the core refuses: nothing changes. */
static void test_bad_settings(void **state)
{
    h_t *h = *state;
    acd_core_cfg_t cfg = t_cfg(-1, T_DELAY, T_RING);
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), -EINVAL);
    cfg = t_cfg(2, -1, T_RING);
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), -EINVAL);
    cfg = t_cfg(2, T_DELAY, 0);
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), -EINVAL);
    cfg = t_cfg(0, -1, 0); /* off: the other settings do not matter */
    assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), 0);
    t_lost(h, "a-1", "100", "+3461", NULL, H_T0 - 1000);
    assert_int_equal(t_ticket(h, "acme", "+3461").callback_attempts, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_in_place, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_busy_then_answered, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_then_gave_up, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_redial_wins, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_tenants_and_window, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_queue_gone, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_full_table, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_bad_settings, t_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
