/* test_overflow.c - queue rules: max length, max wait, join and leave empty, overflow targets. */
#include "acd/harness.h"

/*
 * tenant acme (DID 100 -> sales), tenant beta (DID 200 -> other):
 *   sales  max_len 2, max_wait 60 s, overflow queue:backup, joins when empty
 *   backup max_len 1, overflow voicemail, joins when empty
 *   strict max_len 1, no overflow: a full queue refuses
 *   vm     max_wait 30 s, overflow voicemail, join_empty false, leave_empty true
 *   loopa, loopb: overflow to each other, join_empty false (a loop: the moves are capped)
 *   other  (beta)
 *   sis    max_len 1, max_wait 1 s, overflow sister, join_empty false, leave_empty true
 *   a1: sales, backup   a2, a3: vm
 */
static const char *const ov_acme_dids[] = {"100"};
static const char *const ov_beta_dids[] = {"200"};
static const acd_core_tenant_cfg_t ov_tenants[] = {
    {.name = "acme", .dids = ov_acme_dids, .n_dids = 1, .queue = "sales"},
    {.name = "beta", .dids = ov_beta_dids, .n_dids = 1, .queue = "other"},
};
static acd_core_queue_cfg_t ov_queues[] = {
    {.name = "sales", .tenant = "acme", .ring_timeout_ms = 20000, .max_len = 2,
     .max_wait_ms = 60000, .overflow = "queue:backup", .join_empty = true},
    {.name = "backup", .tenant = "acme", .ring_timeout_ms = 20000, .max_len = 1,
     .overflow = "voicemail", .join_empty = true},
    {.name = "strict", .tenant = "acme", .ring_timeout_ms = 20000, .max_len = 1},
    {.name = "vm", .tenant = "acme", .ring_timeout_ms = 20000, .max_wait_ms = 30000,
     .overflow = "voicemail", .leave_empty = true},
    {.name = "loopa", .tenant = "acme", .ring_timeout_ms = 20000, .max_wait_ms = 1000,
     .overflow = "queue:loopb"},
    {.name = "loopb", .tenant = "acme", .ring_timeout_ms = 20000, .overflow = "queue:loopa"},
    {.name = "other", .tenant = "beta", .ring_timeout_ms = 20000},
    {.name = "sis", .tenant = "acme", .ring_timeout_ms = 20000, .max_len = 1,
     .max_wait_ms = 1000, .overflow = "sister", .leave_empty = true},
};
#define OV_NQ (sizeof(ov_queues) / sizeof(ov_queues[0]))
static const char *const ov_q_a1[] = {"sales", "backup"};
static const char *const ov_q_vm[] = {"vm"};
static const acd_core_agent_cfg_t ov_agents[] = {
    {.id = "a1", .sip_user = "u1", .queues = ov_q_a1, .n_queues = 2},
    {.id = "a2", .sip_user = "u2", .queues = ov_q_vm, .n_queues = 1},
    {.id = "a3", .sip_user = "u3", .queues = ov_q_vm, .n_queues = 1},
};
static const acd_core_cfg_t ov_cfg = {.tenants = ov_tenants, .n_tenants = 2,
                                      .queues = ov_queues, .n_queues = OV_NQ,
                                      .agents = ov_agents, .n_agents = 3};

static int ov_setup(void **state)
{
    return h_setup_with(state, &ov_cfg);
}

/* The i-th action is the OVERFLOW of call from queue for reason to target. */
static void ov_expect(const h_t *h, size_t i, const char *call, const char *queue,
                      const char *reason, const char *target)
{
    const acd_action_t *a = h_act(h, i, ACD_ACT_OVERFLOW);
    assert_string_equal(a->call_id, call);
    assert_string_equal(a->queue, queue);
    assert_string_equal(a->reason, reason);
    assert_string_equal(a->target, target);
}

/* The i-th action is call's CDR with disposition overflow, waited wait_ms, in queue. */
static void ov_expect_cdr(const h_t *h, size_t i, const char *call, const char *queue,
                          int64_t wait_ms)
{
    const acd_action_t *a = h_act(h, i, ACD_ACT_CDR);
    assert_string_equal(a->cdr.call_id, call);
    assert_string_equal(a->cdr.queue, queue);
    assert_int_equal(a->cdr.disposition, ACD_DISP_OVERFLOW);
    assert_int_equal(a->cdr.wait_ms, wait_ms);
    assert_string_equal(a->cdr.agent, "");
    acd_call_view_t v;
    assert_int_equal(acd_core_call(h->c, call, &v), -ENOENT); /* gone from the core */
}

/* A full queue sends arrivals to its target queue; a full target to voicemail. */
static void test_max_len_chain(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    assert_int_equal(h_arrive(h, "s2", "100", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    h->now += 100;
    assert_int_equal(h_arrive(h, "s3", "100", NULL, 0), 0); /* sales holds 2 */
    assert_int_equal(h->out.n, 1);
    ov_expect(h, 0, "s3", "sales", "max-len", "queue:backup");
    acd_call_view_t v = h_call(h, "s3");
    assert_string_equal(v.queue, "backup");
    assert_int_equal(v.enqueue_ms, h->now);
    assert_int_equal(v.state, ACD_CALL_QUEUED);

    h->now += 100;
    assert_int_equal(h_arrive(h, "s4", "100", NULL, 0), 0); /* backup holds 1 too */
    assert_int_equal(h->out.n, 2);
    ov_expect(h, 0, "s4", "backup", "max-len", "voicemail");
    ov_expect_cdr(h, 1, "s4", "sales", 0);

    /* Once there is room again, arrivals wait in sales as before. */
    assert_int_equal(h_hangup(h, "s1", false), 0);
    assert_int_equal(h_arrive(h, "s5", "100", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    assert_string_equal(h_call(h, "s5").queue, "sales");
}

/* Without a target a full queue refuses the arrival, changing nothing. */
static void test_max_len_refuses(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "x1", "100", "strict", 0), 0);
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "x2", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.queue, sizeof(ev.queue), "strict");
    h_refused(h, &ev, -EBUSY);
    /* A takeover is not a new arrival: it is adopted into the full queue. */
    assert_int_equal(h_adopt(h, "x3", "100", "555", "strict", h->now - 5000, 0), 0);
    assert_int_equal(h_call(h, "x3").state, ACD_CALL_QUEUED);
}

/* max_wait fires exactly at its deadline, by TICK: to the target queue or to voicemail. */
static void test_max_wait_deadline(void **state)
{
    h_t *h = *state;
    acd_ms_t t0 = h->now;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    assert_int_equal(h_arrive(h, "v1", "100", "vm", 0), 0);
    /* vm has nobody logged in and join_empty false: v1 went to voicemail at once. */
    ov_expect(h, 0, "v1", "vm", "empty", "voicemail");
    ov_expect_cdr(h, 1, "v1", "vm", 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_pause(h, "a2", "lunch"), 0); /* paused counts as logged in */
    h->now += 1000;
    assert_int_equal(h_arrive(h, "v2", "100", "vm", 0), 0);
    assert_int_equal(h->out.n, 0);
    acd_ms_t t2 = h->now;
    assert_int_equal(acd_core_next_deadline(h->c), t2 + 30000);
    assert_int_equal(h_tick_at(h, t2 + 29999), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_tick_at(h, t2 + 30000), 0);
    assert_int_equal(h->out.n, 2);
    ov_expect(h, 0, "v2", "vm", "max-wait", "voicemail");
    ov_expect_cdr(h, 1, "v2", "vm", 30000);

    /* s1: 60 s in sales, then on to backup, keeping its enqueue time. */
    assert_int_equal(acd_core_next_deadline(h->c), t0 + 60000);
    assert_int_equal(h_tick_at(h, t0 + 60000), 0);
    assert_int_equal(h->out.n, 1);
    ov_expect(h, 0, "s1", "sales", "max-wait", "queue:backup");
    acd_call_view_t v = h_call(h, "s1");
    assert_string_equal(v.queue, "backup");
    assert_int_equal(v.enqueue_ms, t0);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX); /* backup has no max wait */
}

/* A call ringing at its max wait rings on; requeued after it, it overflows at once. */
static void test_max_wait_while_ringing(void **state)
{
    h_t *h = *state;
    acd_ms_t t0 = h->now;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "s1", "a1");
    h->now = t0 + 61000;
    assert_int_equal(h_ev(h, ACD_EV_OFFER_FAILED, "s1", "a1"), 0);
    ov_expect(h, h_find(h, ACD_ACT_OVERFLOW, 0), "s1", "sales", "max-wait", "queue:backup");
    assert_string_equal(h_call(h, "s1").queue, "backup");
    /* a1 (in backup too) is the only one there: it is rung again, a new round. */
    assert_string_equal(h_offered_to(h, "s1"), "a1");
}

/* join_empty false: with nobody logged in here or elsewhere, a call overflows at once. */
static void test_join_empty(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "v1", "100", "vm", 0), 0);
    assert_int_equal(h->out.n, 2);
    ov_expect(h, 0, "v1", "vm", "empty", "voicemail");
    /* A member logged in at another site is enough. */
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 1), 0);
    assert_int_equal(h_arrive(h, "v2", "100", "vm", 0), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_call(h, "v2").state, ACD_CALL_QUEUED);
    assert_int_equal(acd_core_set_remote_members(h->c, "nosuch", 1), ACD_ENOQUEUE);
    assert_int_equal(acd_core_set_remote_members(NULL, "vm", 1), -EINVAL);
}

/* leave_empty: the calls waiting overflow when the last logged-in member logs out. */
static void test_leave_empty(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a3"};
    h_login_all(h, ids, 2, 10);
    assert_int_equal(h_pause(h, "a2", "break"), 0);
    assert_int_equal(h_pause(h, "a3", "break"), 0);
    assert_int_equal(h_arrive(h, "v1", "100", "vm", 0), 0);
    h->now += 10;
    assert_int_equal(h_arrive(h, "v2", "100", "vm", 5), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h_count(h, ACD_ACT_OVERFLOW), 0); /* a3 is still logged in */
    h->now += 10;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a3"), 0);
    /* AGENT_STATE, then the waiting calls in arrival order. */
    h_expect_state(h, 0, "a3", ACD_AGENT_PAUSED, ACD_AGENT_LOGGED_OUT);
    assert_int_equal(h->out.n, 5);
    ov_expect(h, 1, "v1", "vm", "empty", "voicemail");
    ov_expect_cdr(h, 2, "v1", "vm", 20);
    ov_expect(h, 3, "v2", "vm", "empty", "voicemail");
    ov_expect_cdr(h, 4, "v2", "vm", 10);
}

/* Members at other sites count; their count dropping to 0 empties the queue at the next
 * entry point, which acd_core_next_deadline() asks for at once. */
static void test_leave_empty_remote(void **state)
{
    h_t *h = *state;
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 2), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_pause(h, "a2", "break"), 0);
    assert_int_equal(h_arrive(h, "v1", "100", "vm", 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h_count(h, ACD_ACT_OVERFLOW), 0);
    acd_queue_stats_t st;
    assert_int_equal(acd_core_queue_stats(h->c, "vm", h->now, &st), 0);
    assert_int_equal(st.logged_in, 2);
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 0), 0);
    assert_int_equal(acd_core_next_deadline(h->c), h->now);
    h_check(h);
    h->now += 5;
    assert_int_equal(h_tick_at(h, h->now), 0);
    assert_int_equal(h->out.n, 2);
    ov_expect(h, 0, "v1", "vm", "empty", "voicemail");
    assert_true(acd_core_next_deadline(h->c) > h->now);

    /* Back up to one and down again before any event: nothing is emptied twice. */
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 1), 0);
    assert_int_equal(h_arrive(h, "v2", "100", "vm", 0), 0);
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 0), 0);
    assert_int_equal(acd_core_set_remote_members(h->c, "vm", 1), 0);
    assert_int_equal(h_tick_at(h, h->now + 1), 0);
    assert_int_equal(h_count(h, ACD_ACT_OVERFLOW), 0); /* someone is back: it stays */
    assert_int_equal(h_call(h, "v2").state, ACD_CALL_QUEUED);
}

/* A loop of queues ends after ACD_OVERFLOW_MOVES_MAX moves: the call then waits. */
static void test_overflow_loop_capped(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "l1", "100", "loopa", 0), 0);
    /* 4 moves (loopb, loopa, loopb, loopa) lead back where it came: no overflow to tell. */
    assert_int_equal(h->out.n, 0);
    acd_call_view_t v = h_call(h, "l1");
    assert_string_equal(v.queue, "loopa");
    assert_int_equal(v.state, ACD_CALL_QUEUED);
    /* Its moves are spent: loopa's max wait no longer applies to it. */
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
    acd__call_t *call = acd__call_find(h->c, "l1");
    assert_int_equal(call->overflows, ACD_OVERFLOW_MOVES_MAX);
}

/* A new, shorter max wait applies to the calls already waiting, at configure. */
static void test_reconfigure_max_wait(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    h->now += 40000;
    acd_core_queue_cfg_t queues[OV_NQ];
    memcpy(queues, ov_queues, sizeof(queues));
    queues[0].max_wait_ms = 30000;
    acd_core_cfg_t cfg = ov_cfg;
    cfg.queues = queues;
    h_reconfigure(h, &cfg);
    assert_int_equal(h->out.n, 1);
    ov_expect(h, 0, "s1", "sales", "max-wait", "queue:backup");
    /* Rules gone: nothing armed any more. */
    queues[1].max_len = 0;
    queues[0].overflow = NULL;
    h_reconfigure(h, &cfg);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
}

/*
 * "sister" widens a call to other sites' agents in the cluster's planner; the core has no
 * other site: the call just waits. No rule sends it anywhere (no OVERFLOW, no CDR), and a
 * full queue refuses arrivals as one without a target.
 */
static void test_sister_waits(void **state)
{
    h_t *h = *state;
    acd_ms_t t0 = h->now;
    assert_int_equal(h_arrive(h, "k1", "100", "sis", 0), 0); /* nobody logged in: joins */
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_call(h, "k1").state, ACD_CALL_QUEUED);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX); /* max_wait not armed */
    assert_int_equal(h_tick_at(h, t0 + 1000), 0);
    assert_int_equal(h_tick_at(h, t0 + 60000), 0);
    assert_int_equal(h->out.n, 0);
    acd_call_view_t v = h_call(h, "k1");
    assert_int_equal(v.state, ACD_CALL_QUEUED);
    assert_string_equal(v.queue, "sis");

    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "k2", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.queue, sizeof(ev.queue), "sis");
    h_refused(h, &ev, -EBUSY); /* max_len 1 */

    /* leave_empty: the last member (elsewhere) leaving sends nobody away either. */
    assert_int_equal(acd_core_set_remote_members(h->c, "sis", 1), 0);
    assert_int_equal(acd_core_set_remote_members(h->c, "sis", 0), 0);
    assert_int_equal(h_tick_at(h, h->now + 1), 0);
    assert_int_equal(h_count(h, ACD_ACT_OVERFLOW), 0);
    assert_int_equal(h_count(h, ACD_ACT_CDR), 0);
    assert_int_equal(h_call(h, "k1").state, ACD_CALL_QUEUED);
}

static void test_invalid_rules(void **state)
{
    h_t *h = *state;
    static const struct {
        const char *overflow;
        int max_len, max_wait_ms;
    } bad[] = {
        {"queue:nosuch", 0, 0}, {"queue:", 0, 0},   {"queue:sales", 0, 0}, /* itself */
        {"voice", 0, 0},        {"queue:other", 0, 0}, /* beta's */
        {"Sister", 0, 0},       {"sister:x", 0, 0},
        {NULL, -1, 0},          {NULL, 0, -1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_core_queue_cfg_t queues[OV_NQ];
        memcpy(queues, ov_queues, sizeof(queues));
        queues[0].overflow = bad[i].overflow;
        queues[0].max_len = bad[i].max_len;
        queues[0].max_wait_ms = bad[i].max_wait_ms;
        acd_core_cfg_t cfg = ov_cfg;
        cfg.queues = queues;
        acd_actions_reset(&h->out);
        if (acd_core_configure(h->c, &cfg, h->now, &h->out) != -EINVAL)
            fail_msg("bad rule %zu accepted", i);
    }
    static const char *const good[] = {"voicemail", "callback", "hangup", "sister", "", NULL};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        acd_core_queue_cfg_t queues[OV_NQ];
        memcpy(queues, ov_queues, sizeof(queues));
        queues[0].overflow = good[i];
        acd_core_cfg_t cfg = ov_cfg;
        cfg.queues = queues;
        h_reconfigure(h, &cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_max_len_chain, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_max_len_refuses, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_max_wait_deadline, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_max_wait_while_ringing, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_join_empty, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_leave_empty, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_leave_empty_remote, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_overflow_loop_capped, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_reconfigure_max_wait, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_sister_waits, ov_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_rules, ov_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
