/* test_planner_sister.c - the leader's planner with overflow to the sister site: a queue's
 * calls go to their own site's agents for local_ms, then to every site's; when to re-plan. */
#include "planner_world.h"

static const char *const q_sales[] = {"sales"};
static const char *const q_support[] = {"support"};

/*
 * local_ms 5000: a remote agent is not offered a call that waited 4999 ms, even when it
 * has been idle longest; a local agent is, at any wait; at 5000 ms and after, the remote
 * one is a candidate like any other.
 */
static void test_local_then_everywhere(void **state)
{
    world_t *w = *state;
    w_queue(w, "sales", NULL, NULL, 0, NULL, 0)->local_ms = 5000;
    w_call(w, "X-1", "X", "sales", 0, 0, 1);
    w_agent(w, "r1", "Y", q_sales, 1, 10); /* idle longest */
    w_agent(w, "l1", "X", q_sales, 1, 20);
    static const struct {
        int64_t waited;
        size_t n_agents;          /* 2: r1 and l1; 1: r1 alone */
        const char *agent, *site; /* NULL: nobody */
    } rows[] = {
        {-50, 2, "l1", "X"}, /* the owner's clock ahead of the leader's */
        {0, 2, "l1", "X"},     {4999, 2, "l1", "X"}, {4999, 1, NULL, NULL},
        {5000, 1, "r1", "Y"},  {5000, 2, "r1", "Y"}, /* longest idle, now that it may */
        {90000, 1, "r1", "Y"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        w->calls[0].enqueue_ms = w->now - rows[i].waited;
        w->n_agents = rows[i].n_agents;
        assert_int_equal(w_plan(w), 0);
        if (w->out.n != (rows[i].agent ? 1u : 0u))
            fail_msg("row %zu: %zu offers", i, w->out.n);
        if (rows[i].agent)
            w_expect(w, 0, "X-1", "X", rows[i].agent, rows[i].site);
    }
    /* A call whose own site takes no new work (draining) goes everywhere at once. */
    w->calls[0].enqueue_ms = w->now;
    w->calls[0].anywhere = true;
    w->n_agents = 1;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "r1", "Y");
    w->calls[0].anywhere = false;
    w->n_agents = 2;
    /* Without local_ms every site at once, as before. */
    w->queues[0].local_ms = 0;
    w->calls[0].enqueue_ms = w->now;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "r1", "Y");
}

/*
 * A call kept to its own site does not hold up others: a newer call of the remote
 * agent's site takes that agent. Queues without local_ms (support) are not affected.
 */
static void test_local_does_not_block(void **state)
{
    world_t *w = *state;
    w_queue(w, "sales", NULL, NULL, 0, NULL, 0)->local_ms = 5000;
    w_call(w, "X-1", "X", "sales", 9, w->now - 100, 1); /* first in global order */
    w_call(w, "Y-1", "Y", "sales", 0, w->now - 10, 1);
    w_call(w, "X-2", "X", "support", 0, w->now - 5, 2);
    w_agent(w, "y1", "Y", q_sales, 1, 10);
    w_agent(w, "z1", "Z", q_support, 1, 10);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "Y-1", "Y", "y1", "Y");
    w_expect(w, 1, "X-2", "X", "z1", "Z");
}

/*
 * Misses count among the call's own site while it is kept there: a local agent that
 * missed it is rung again (the new round) rather than a free remote one; once widened,
 * the remote agent that did not miss it comes first.
 */
static void test_local_exclusions(void **state)
{
    world_t *w = *state;
    static const char *const missed[] = {"X-1"};
    w_queue(w, "sales", NULL, NULL, 0, NULL, 0)->local_ms = 5000;
    w_call(w, "X-1", "X", "sales", 0, w->now - 3000, 1);
    acd_planner_agent_t *l1 = w_agent(w, "l1", "X", q_sales, 1, 10);
    l1->excluded_calls = missed;
    l1->n_excluded = 1;
    w_agent(w, "r1", "Y", q_sales, 1, 50);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "X-1", "X", "l1", "X");
    w->calls[0].enqueue_ms = w->now - 5000;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "r1", "Y");
}

/* The re-plan instant: the first relaxation or end of local time after now, per call. */
static void test_replan_at(void **state)
{
    world_t *w = *state;
    static const acd_core_skill_t es[] = {{"spanish", 5}};
    static const acd_core_relax_t relax[] = {{8000, "spanish", 0}, {2000, "spanish", 3}};
    acd_planner_queue_t *q = w_queue(w, "sales", NULL, es, 1, relax, 2);
    q->local_ms = 5000;
    w_queue(w, "support", NULL, NULL, 0, NULL, 0); /* nothing changes with waiting */
    w_call(w, "X-1", "X", "sales", 0, 0, 1);
    w_call(w, "Y-1", "Y", "support", 0, w->now, 1);
    w_call(w, "Z-1", "Z", "nobody", 0, w->now, 1); /* not in the table */
    acd_planner_input_t in = {.calls = w->calls,
                              .n_calls = w->n_calls,
                              .queues = w->queues,
                              .n_queues = w->n_queues,
                              .now_ms = w->now};
    static const struct {
        int64_t waited, at; /* at: from the call's enqueue time; -1 none */
    } rows[] = {
        {0, 2000},    {1999, 2000}, {2000, 5000}, /* due now: this plan covers it */
        {4999, 5000}, {5000, 8000}, {7999, 8000}, {8000, -1}, {60000, -1},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        w->calls[0].enqueue_ms = w->now - rows[i].waited;
        int64_t at = 0;
        assert_int_equal(acd_planner_replan_at(&in, &at), 0);
        int64_t want = rows[i].at < 0 ? INT64_MAX : w->calls[0].enqueue_ms + rows[i].at;
        if (at != want)
            fail_msg("row %zu: at %lld, wanted %lld", i, (long long)at, (long long)want);
    }
    /* A call going everywhere at once has no local time to end: its relaxation only. */
    w->calls[0].enqueue_ms = w->now - 4000;
    w->calls[0].anywhere = true;
    int64_t at = 0;
    assert_int_equal(acd_planner_replan_at(&in, &at), 0);
    assert_int_equal(at, w->now + 4000); /* 8000 after enqueue, not 5000 */
    w->calls[0].anywhere = false;

    /* Of two calls the sooner instant; no queue rules at all: none. */
    w->calls[0].enqueue_ms = w->now - 1000;
    w_call(w, "X-2", "X", "sales", 0, w->now - 4500, 2);
    in.n_calls = w->n_calls;
    assert_int_equal(acd_planner_replan_at(&in, &at), 0);
    assert_int_equal(at, w->now + 500); /* X-2's local time ends */
    in.n_queues = 0;
    assert_int_equal(acd_planner_replan_at(&in, &at), 0);
    assert_int_equal(at, INT64_MAX);

    /* Refusals: at untouched. */
    in.n_queues = w->n_queues;
    at = 7;
    assert_int_equal(acd_planner_replan_at(&in, NULL), -EINVAL);
    assert_int_equal(acd_planner_replan_at(NULL, &at), -EINVAL);
    q->local_ms = -1;
    assert_int_equal(acd_planner_replan_at(&in, &at), -EINVAL);
    assert_int_equal(at, 7);
    assert_int_equal(w_plan(w), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_then_everywhere, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_local_does_not_block, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_local_exclusions, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_replan_at, w_setup, w_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
