/* test_dispatch.c - which call goes to which agent, ring timeouts, misses, stale answers. */
#include "acd/harness.h"

/* Priority first, then arrival, across queues: the agent's queues compete by their heads. */
static void test_order_priority_then_arrival(void **state)
{
    h_t *h = *state;
    /* a4 serves vip and sales. */
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    h->now += 1;
    assert_int_equal(h_arrive(h, "s2", "100", NULL, 5), 0);
    h->now += 1;
    assert_int_equal(h_arrive(h, "v1", "100", "vip", 0), 0); /* default priority 10 */
    h->now += 1;
    assert_int_equal(h_arrive(h, "s3", "100", NULL, 5), 0);
    h->now += 1;
    assert_int_equal(h_arrive(h, "v2", "100", "vip", 1), 0); /* 1 < 10: the default holds */
    h->now += 1;

    static const char *const order[] = {"v1", "v2", "s2", "s3", "s1"};
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    for (size_t i = 0; i < 5; i++) {
        /* The offer is always the next-to-last action, before a4's ringing state. */
        h_expect_offer(h, h->out.n - 2, order[i], "a4");
        h->now += 10;
        assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, order[i], "a4"), 0);
        h->now += 10;
        assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, order[i], "a4"), 0);
        if (h_agent(h, "a4").state == ACD_AGENT_WRAPUP) /* sales: 5 s, vip: none */
            assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    }
    assert_int_equal(h_agent(h, "a4").state, ACD_AGENT_AVAILABLE);
}

/* Between queues of equal priority, the earlier enqueue wins; an agent in several
 * queues is taken by whichever queue's head is first. */
static void test_order_across_queues(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "p1", "200", NULL, 0), 0); /* support */
    h->now += 1;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);       /* sales */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0); /* sales + support */
    h_expect_offer(h, 1, "p1", "a1");
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h_expect_offer(h, 1, "s1", "a2");
    assert_int_equal(h_hangup(h, "p1", false), 0);
    assert_int_equal(h_hangup(h, "s1", false), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a1"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);

    /* A higher priority beats an older call of another queue. */
    h->now += 100;
    assert_int_equal(h_arrive(h, "p2", "200", NULL, 0), 0);
    h->now += 100;
    assert_int_equal(h_arrive(h, "s2", "100", NULL, 0), 0);
    h->now += 100;
    assert_int_equal(h_arrive(h, "s3", "100", NULL, 2), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    h_expect_offer(h, 1, "s3", "a1");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "s3", "a1"), 0);
    /* The support-only agent takes p2; a2 (sales only) takes s2. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a3"), 0);
    h_expect_offer(h, 1, "p2", "a3");
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h_expect_offer(h, 1, "s2", "a2");
}

static void test_longest_idle(void **state)
{
    h_t *h = *state;
    /* a2 idle since T0, a4 since T0+100, a1 since T0+200. */
    static const char *const ids[] = {"a2", "a4", "a1"};
    h_login_all(h, ids, 3, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a2");
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a4");
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c3", "a1");

    /* a4 finishes first, then a2; both have 5 s of wrap-up (sales). */
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c2", "a4"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c2", "a4"), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h->now += 1000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(h_hangup(h, "c3", false), 0); /* a1 back, idle since T0+200 */
    assert_int_equal(h_tick_at(h, h->now + 10000), 0);
    /* a1: T0+200; a4: end of wrap-up T0+300+5000; a2: T0+1300+5000. */
    assert_int_equal(h_agent(h, "a1").idle_since, H_T0 + 200);
    assert_int_equal(h_agent(h, "a4").idle_since, H_T0 + 300 + 5000);
    assert_int_equal(h_agent(h, "a2").idle_since, H_T0 + 1300 + 5000);
    assert_int_equal(h_arrive(h, "c4", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c4", "a1");
    assert_int_equal(h_arrive(h, "c5", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c5", "a4");
}

static void test_longest_idle_tie_by_id(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a4", "a2", "a1"};
    h_login_all(h, ids, 3, 0); /* all idle since T0 */
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a1");
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a2");
}

static void test_ring_timeout_next_agent(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a4"};
    h_login_all(h, ids, 2, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a2");
    acd_ms_t offered_at = h->now;
    assert_int_equal(acd_core_next_deadline(h->c), offered_at + 20000);
    assert_int_equal(h_tick_at(h, offered_at + 19999), 0);
    assert_int_equal(h->out.n, 0);

    assert_int_equal(h_tick_at(h, offered_at + 20000), 0);
    assert_int_equal(h->out.n, 4);
    const acd_action_t *cancel = h_act(h, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->call_id, "c1");
    assert_string_equal(cancel->agent_id, "a2");
    assert_string_equal(cancel->reason, "timeout");
    h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    h_expect_offer(h, 2, "c1", "a4");
    h_expect_state(h, 3, "a4", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    acd_agent_view_t v = h_agent(h, "a2");
    assert_int_equal(v.missed_in_row, 1);
    assert_int_equal(v.idle_since, H_T0); /* a miss keeps the agent's place */

    /* The next call goes to a2 again: still longest idle, and it never missed c2. */
    h->now += 500;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a2");

    /* a4 times out too. It is the only available agent and it missed c1 in this round:
     * a new round starts and a4 is rung again rather than c1 waiting for a2. */
    assert_int_equal(h_tick_at(h, offered_at + 40000), 0);
    assert_int_equal(h->out.n, 4);
    assert_string_equal(h_act(h, 0, ACD_ACT_CANCEL_OFFER)->agent_id, "a4");
    h_expect_state(h, 1, "a4", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    h_expect_offer(h, 2, "c1", "a4");
    acd_call_view_t cv = h_call(h, "c1");
    assert_string_equal(cv.agent, "a4");
    assert_int_equal(cv.enqueue_ms, H_T0 + 200);
    assert_int_equal(h_agent(h, "a4").missed_in_row, 1);
}

/* After both agents missed a call, a new round starts with the longest idle again. */
static void test_miss_round_reset(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a4"};
    h_login_all(h, ids, 2, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a2");
    assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    h_expect_offer(h, 2, "c1", "a4");
    assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    assert_int_equal(h->out.n, 4);
    h_expect_offer(h, 2, "c1", "a2");
}

/* Two agents who both miss: the call alternates instead of sticking to the longest idle. */
static void test_miss_rounds_alternate(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a4"};
    h_login_all(h, ids, 2, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    static const char *const rung[] = {"a2", "a4", "a2", "a4"};
    h_expect_offer(h, 0, "c1", rung[0]);
    for (size_t i = 1; i < 4; i++) {
        acd_event_t ev = h_mkev(ACD_EV_OFFER_FAILED, "c1", rung[i - 1]);
        snprintf(ev.reason, sizeof(ev.reason), "busy");
        assert_int_equal(h_apply(h, &ev), 0);
        assert_int_equal(h_count(h, ACD_ACT_CANCEL_OFFER), 0); /* the leg already failed */
        h_expect_state(h, 0, rung[i - 1], ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
        h_expect_offer(h, 1, "c1", rung[i]);
    }
    acd_call_view_t cv = h_call(h, "c1");
    assert_int_equal(cv.state, ACD_CALL_OFFERED);
    assert_int_equal(h_agent(h, "a2").missed_in_row, 2);
}

static void test_misses_pause_no_answer(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
        h_act(h, 0, ACD_ACT_CANCEL_OFFER);
        if (i < 3) {
            h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
            h_expect_offer(h, 2, "c1", "a2"); /* alone: rung again */
        } else {
            assert_int_equal(h->out.n, 2);
            h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_PAUSED);
            assert_string_equal(h->out.v[1].reason, "no-answer");
        }
    }
    acd_agent_view_t v = h_agent(h, "a2");
    assert_int_equal(v.state, ACD_AGENT_PAUSED);
    assert_string_equal(v.pause_reason, "no-answer");
    assert_int_equal(v.missed_in_row, 3);
    acd_call_view_t cv = h_call(h, "c1");
    assert_int_equal(cv.state, ACD_CALL_QUEUED);
    assert_int_equal(cv.position, 1);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);

    /* Unpausing forgets the misses; answering resets them too. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_UNPAUSE, NULL, "a2"), 0);
    h_expect_offer(h, 1, "c1", "a2");
    assert_int_equal(h_agent(h, "a2").missed_in_row, 0);
    assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    assert_int_equal(h_agent(h, "a2").missed_in_row, 1);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    assert_int_equal(h_agent(h, "a2").missed_in_row, 0);
    acd_ms_t t = h->now;
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h_act(h, 2, ACD_ACT_CDR)->cdr.offers, 5);
    assert_int_equal(h_act(h, 2, ACD_ACT_CDR)->cdr.wait_ms, t - H_T0);
}

/* max_no_answer 0 never pauses. */
static void test_misses_never_pause_when_zero(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    assert_int_equal(h_arrive(h, "v1", "100", "vip", 0), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    assert_int_equal(h_agent(h, "a4").state, ACD_AGENT_RINGING);
    assert_int_equal(h_agent(h, "a4").missed_in_row, 10);
}

static void test_stale_answer(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a1"};
    h_login_all(h, ids, 2, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a2");
    assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    h_expect_offer(h, 2, "c1", "a1");

    static h_snap_t before, after;
    h_snapshot(h, &before);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0); /* timed out */
    assert_int_equal(h->out.n, 1);
    const acd_action_t *rej = h_act(h, 0, ACD_ACT_REJECT_ANSWER);
    assert_string_equal(rej->call_id, "c1");
    assert_string_equal(rej->agent_id, "a2");
    h_snapshot(h, &after);
    assert_string_equal(before.s, after.s);

    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "zz", "a2"), 0); /* no such call */
    assert_int_equal(h->out.n, 1);
    h_act(h, 0, ACD_ACT_REJECT_ANSWER);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "ghost"), 0); /* no such agent */
    h_act(h, 0, ACD_ACT_REJECT_ANSWER);

    /* Cancelled (caller left): the late answer is rejected too. */
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a1"), 0);
    assert_int_equal(h->out.n, 1);
    h_act(h, 0, ACD_ACT_REJECT_ANSWER);
    assert_int_equal(h_agent(h, "a1").state, ACD_AGENT_AVAILABLE);

    /* Answered twice: the second is stale. */
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a2");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c2", "a2"), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c2", "a2"), 0);
    assert_int_equal(h->out.n, 1);
    h_act(h, 0, ACD_ACT_REJECT_ANSWER);
    assert_int_equal(h_call(h, "c2").state, ACD_CALL_CONNECTED);
}

/* Several deadlines due at one tick fire in time order, each at its own time. */
static void test_tick_many_deadlines(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2", "a3", "a4"};
    h_login_all(h, ids, 3, 0);
    assert_int_equal(h_arrive(h, "p1", "200", NULL, 0), 0); /* a3, ring 15 s */
    h->now += 1000;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0); /* a2, ring 20 s */
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "s1", "a2"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "s1", "a2"), 0); /* wrap-up to T0+6000 */
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 6000);
    assert_int_equal(h_tick_at(h, H_T0 + 60000), 0);
    /* a2's wrap-up end (T0+6000) first, then a3's ring timeout (T0+15000): p1 is rung
     * again on a3, the only support agent. */
    h_expect_state(h, 0, "a2", ACD_AGENT_WRAPUP, ACD_AGENT_AVAILABLE);
    h_act(h, 1, ACD_ACT_CANCEL_OFFER);
    h_expect_state(h, 2, "a3", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    h_expect_offer(h, 3, "p1", "a3");
    assert_int_equal(h->out.n, 5);
    assert_int_equal(h_agent(h, "a2").idle_since, H_T0 + 6000);
    assert_int_equal(h_agent(h, "a3").missed_in_row, 1);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 60000 + 15000);
}

/* Many waiting calls with random priorities are served in exact queue order. */
static void test_many_calls_in_order(void **state)
{
    h_t *h = *state;
    enum { N = 2000 };
    static struct {
        char id[16];
        int prio;
        acd_ms_t t;
        unsigned seq;
    } calls[N];
    uint32_t x = 12345;
    for (unsigned i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        snprintf(calls[i].id, sizeof(calls[i].id), "m%u", i);
        calls[i].prio = 1 + (int)((x >> 16) % 5);
        x = x * 1103515245u + 12345u;
        if ((x >> 16) % 3 == 0)
            h->now += 1; /* several calls share a millisecond: arrival breaks the tie */
        calls[i].t = h->now;
        calls[i].seq = i;
        assert_int_equal(h_arrive(h, calls[i].id, "100", NULL, calls[i].prio), 0);
    }
    /* Expected order: priority desc, time asc, arrival asc (insertion sort is fine). */
    static unsigned order[N];
    for (unsigned i = 0; i < N; i++) {
        unsigned j = i;
        while (j > 0 && calls[order[j - 1]].prio < calls[i].prio)
            j--;
        memmove(&order[j + 1], &order[j], (i - j) * sizeof(order[0]));
        order[j] = i;
    }
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0); /* vip empty: sales only */
    for (unsigned k = 0; k < N; k++) {
        const char *id = calls[order[k]].id;
        h_expect_offer(h, h->out.n - 2, id, "a4");
        assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, id, "a4"), 0);
        assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, id, "a4"), 0);
        if (k + 1 < N)
            assert_int_equal(h_tick_at(h, acd_core_next_deadline(h->c)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_priority_then_arrival, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_order_across_queues, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_longest_idle, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_longest_idle_tie_by_id, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_ring_timeout_next_agent, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_miss_round_reset, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_miss_rounds_alternate, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_misses_pause_no_answer, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_misses_never_pause_when_zero, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_stale_answer, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_tick_many_deadlines, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_many_calls_in_order, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
