/* test_planner.c - the leader's global planner: order, cross-site picks, pending offers, expiry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/planner.h"

/* A small mutable world: calls, agents and pending offers, fed to the planner as is. */
enum { W_MAX = 64 };

typedef struct world {
    acd_planner_call_t calls[W_MAX];
    size_t n_calls;
    acd_planner_agent_t agents[W_MAX];
    size_t n_agents;
    acd_planner_pending_t pending[W_MAX];
    size_t n_pending;
    int64_t now;
    acd_planner_offers_t out;
} world_t;

static const char *const q_sales[] = {"sales"};
static const char *const q_support[] = {"support"};
static const char *const q_both[] = {"sales", "support"};

static void w_call(world_t *w, const char *id, const char *site, const char *queue, int prio,
                   int64_t enq, uint64_t seq)
{
    assert_true(w->n_calls < W_MAX);
    w->calls[w->n_calls++] = (acd_planner_call_t){.call_id = id,
                                                  .site = site,
                                                  .queue = queue,
                                                  .priority = prio,
                                                  .enqueue_ms = enq,
                                                  .arrival_seq = seq};
}

static acd_planner_agent_t *w_agent(world_t *w, const char *id, const char *site,
                                    const char *const *queues, size_t n_queues, int64_t idle)
{
    assert_true(w->n_agents < W_MAX);
    acd_planner_agent_t *a = &w->agents[w->n_agents++];
    *a = (acd_planner_agent_t){
        .agent_id = id, .site = site, .queues = queues, .n_queues = n_queues, .idle_since = idle};
    return a;
}

static void w_pending(world_t *w, const char *offer, const char *call, const char *agent,
                      int64_t deadline)
{
    assert_true(w->n_pending < W_MAX);
    w->pending[w->n_pending++] = (acd_planner_pending_t){
        .offer_id = offer, .call_id = call, .agent_id = agent, .deadline_ms = deadline};
}

static int w_plan(world_t *w)
{
    acd_planner_input_t in = {.calls = w->calls,
                              .n_calls = w->n_calls,
                              .agents = w->agents,
                              .n_agents = w->n_agents,
                              .pending = w->pending,
                              .n_pending = w->n_pending,
                              .now_ms = w->now};
    acd_planner_offers_reset(&w->out);
    return acd_planner_plan(&in, &w->out);
}

static void w_expect(const world_t *w, size_t i, const char *call, const char *call_site,
                     const char *agent, const char *agent_site)
{
    if (i >= w->out.n)
        fail_msg("offer %zu wanted, only %zu", i, w->out.n);
    const acd_planner_offer_t *o = &w->out.v[i];
    assert_string_equal(o->call_id, call);
    assert_string_equal(o->call_site, call_site);
    assert_string_equal(o->agent_id, agent);
    assert_string_equal(o->agent_site, agent_site);
}

static void w_remove_call(world_t *w, const char *id)
{
    for (size_t i = 0; i < w->n_calls; i++) {
        if (strcmp(w->calls[i].call_id, id) == 0) {
            w->calls[i] = w->calls[--w->n_calls];
            return;
        }
    }
    fail_msg("no call %s", id);
}

static int w_setup(void **state)
{
    world_t *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->now = 1000000;
    *state = w;
    return 0;
}

static int w_teardown(void **state)
{
    world_t *w = *state;
    acd_planner_offers_fini(&w->out);
    free(w);
    return 0;
}

/* ---- tests ---- */

/*
 * Calls of three sites, interleaved in time, one agent free at a time: they are
 * answered in global priority-then-arrival order; an exact tie in time goes by site
 * name, then by the owner's arrival sequence.
 */
static void test_global_order_three_sites(void **state)
{
    world_t *w = *state;
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_call(w, "Y-1", "Y", "sales", 0, 900, 1);
    w_call(w, "Z-1", "Z", "sales", 0, 1100, 1);
    w_call(w, "Z-2", "Z", "sales", 5, 1500, 2); /* priority beats arrival */
    w_call(w, "X-2", "X", "sales", 0, 1200, 3);
    w_call(w, "Y-2", "Y", "sales", 0, 1200, 2); /* tie with X-2: site X first */
    w_call(w, "Y-3", "Y", "sales", 5, 1500, 4); /* tie with Z-2: site Y first */
    w_call(w, "Z-3", "Z", "sales", 0, 1300, 8);
    w_call(w, "Z-4", "Z", "sales", 0, 1300, 7); /* same site and time: sequence 7 first */
    static const char *const want[] = {"Y-3", "Z-2", "Y-1", "X-1", "Z-1",
                                       "X-2", "Y-2", "Z-4", "Z-3"};
    w_agent(w, "b1", "Y", q_sales, 1, 0);
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        assert_int_equal(w_plan(w), 0);
        assert_int_equal(w->out.n, 1);
        assert_string_equal(w->out.v[0].call_id, want[k]);
        assert_string_equal(w->out.v[0].queue, "sales");
        w_remove_call(w, want[k]); /* answered: no longer waiting */
    }
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 0);

    /* All at once with enough agents: the same order, in decision order. */
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_call(w, "Y-1", "Y", "sales", 0, 900, 1);
    w_call(w, "Z-2", "Z", "sales", 5, 1500, 2);
    w_agent(w, "b2", "Z", q_sales, 1, 10);
    w_agent(w, "b3", "X", q_sales, 1, 20);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 3);
    w_expect(w, 0, "Z-2", "Z", "b1", "Y");
    w_expect(w, 1, "Y-1", "Y", "b2", "Z");
    w_expect(w, 2, "X-1", "X", "b3", "X");
}

/* The longest-idle member anywhere is chosen, even on another site. */
static void test_agent_on_another_site(void **state)
{
    world_t *w = *state;
    w_call(w, "X-1", "X", "support", 0, 1000, 1);
    w_agent(w, "x1", "X", q_sales, 1, 100); /* not a member */
    w_agent(w, "x2", "X", q_both, 2, 500);
    w_agent(w, "z1", "Z", q_support, 1, 400);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "X-1", "X", "z1", "Z");
    assert_string_equal(w->out.v[0].queue, "support");

    /* Equal idle times: the smaller agent id. */
    w->agents[2].idle_since = 500;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "x2", "X");

    /* A call of a queue nobody serves waits without holding up the others. */
    w_call(w, "Y-1", "Y", "nobody", 9, 10, 1);
    w_call(w, "Y-2", "Y", "sales", 0, 2000, 2);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-1", "X", "x2", "X");
    w_expect(w, 1, "Y-2", "Y", "x1", "X");
}

/* Pending offers hold their call and agent until answered or past their deadline. */
static void test_pending_offers_and_expiry(void **state)
{
    world_t *w = *state;
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_call(w, "X-2", "X", "sales", 0, 2000, 2);
    w_call(w, "Y-1", "Y", "sales", 0, 3000, 1);
    w_agent(w, "a1", "X", q_sales, 1, 100);
    w_agent(w, "a2", "Y", q_sales, 1, 200);
    w_agent(w, "a3", "Z", q_sales, 1, 300);
    w_pending(w, "L5-1", "X-1", "a1", w->now + 20000);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-2", "X", "a2", "Y");
    w_expect(w, 1, "Y-1", "Y", "a3", "Z");

    /* The planner keeps no state: the same input, the same answer. */
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-2", "X", "a2", "Y");

    /* Those two are pending now too: nothing left to plan. */
    w_pending(w, "L5-2", "X-2", "a2", w->now + 20000);
    w_pending(w, "L5-3", "Y-1", "a3", w->now + 15000);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 0);

    /* Y-1's offer expires first: Y-1 and a3 are planned again. */
    w->now += 15000;
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "Y-1", "Y", "a3", "Z");

    /* All expire: the original order again, X-1 first to the longest idle. */
    w->now += 5000;
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 3);
    w_expect(w, 0, "X-1", "X", "a1", "X");
    w_expect(w, 1, "X-2", "X", "a2", "Y");
    w_expect(w, 2, "Y-1", "Y", "a3", "Z");

    /* A pending offer naming only a busy agent (its call answered) holds the agent. */
    w->n_pending = 0;
    w_pending(w, "L6-1", "gone", "a1", w->now + 1);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-1", "X", "a2", "Y");
    w_expect(w, 1, "X-2", "X", "a3", "Z");
}

/* An agent that missed a call is passed over for it, unless it is the only one left. */
static void test_excluded_calls(void **state)
{
    world_t *w = *state;
    static const char *const missed[] = {"X-1"};
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    acd_planner_agent_t *a1 = w_agent(w, "a1", "X", q_sales, 1, 100);
    a1->excluded_calls = missed;
    a1->n_excluded = 1;
    w_agent(w, "a2", "Y", q_sales, 1, 200);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "X-1", "X", "a2", "Y");

    /* With a second call, a1 takes that one. */
    w_call(w, "X-2", "X", "sales", 0, 1500, 2);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-1", "X", "a2", "Y");
    w_expect(w, 1, "X-2", "X", "a1", "X");

    /* Alone, a1 is rung again (a new round), rather than the call waiting. */
    w->n_agents = 1;
    w->n_calls = 1;
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "X-1", "X", "a1", "X");
}

/* Duplicated entries count once; a queue listed twice by one agent too. */
static void test_duplicates(void **state)
{
    world_t *w = *state;
    static const char *const twice[] = {"sales", "sales"};
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_call(w, "X-2", "X", "sales", 0, 2000, 2);
    w_agent(w, "a1", "X", twice, 2, 100);
    w_agent(w, "a1", "Y", q_sales, 1, 100);
    w_agent(w, "a2", "Y", q_sales, 1, 200);
    w_agent(w, "a3", "Y", q_sales, 1, 300);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-1", "X", "a1", "X");
    w_expect(w, 1, "X-2", "X", "a2", "Y");
}

static void test_invalid_input(void **state)
{
    world_t *w = *state;
    w_call(w, "X-1", "X", "sales", 0, 1000, 1);
    w_agent(w, "a1", "X", q_sales, 1, 100);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    acd_planner_input_t in = {.calls = w->calls, .n_calls = 1};
    assert_int_equal(acd_planner_plan(NULL, &w->out), -EINVAL);
    assert_int_equal(acd_planner_plan(&in, NULL), -EINVAL);
    in.calls = NULL;
    assert_int_equal(acd_planner_plan(&in, &w->out), -EINVAL);
    w->calls[0].queue = NULL;
    assert_int_equal(
        acd_planner_plan(&(acd_planner_input_t){.calls = w->calls, .n_calls = 1}, &w->out),
        -EINVAL);
    w->calls[0].queue = "sales";
    w->agents[0].queues = NULL;
    in = (acd_planner_input_t){.agents = w->agents, .n_agents = 1};
    assert_int_equal(acd_planner_plan(&in, &w->out), -EINVAL);
    assert_int_equal(w->out.n, 1); /* untouched by refusals */
    assert_string_equal(w->out.v[0].call_id, "X-1");
}

/* ---- a randomised property check against the rules, one decision at a time ---- */

typedef struct r_rng {
    uint64_t s;
} r_rng_t;

static uint32_t r_next(r_rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 2685821657736338717ULL) >> 32);
}

static bool r_member(const acd_planner_agent_t *a, const char *queue)
{
    for (size_t i = 0; i < a->n_queues; i++) {
        if (strcmp(a->queues[i], queue) == 0)
            return true;
    }
    return false;
}

static bool r_excl(const acd_planner_agent_t *a, const char *call)
{
    for (size_t i = 0; i < a->n_excluded; i++) {
        if (strcmp(a->excluded_calls[i], call) == 0)
            return true;
    }
    return false;
}

static bool r_call_before(const acd_planner_call_t *a, const acd_planner_call_t *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (a->enqueue_ms != b->enqueue_ms)
        return a->enqueue_ms < b->enqueue_ms;
    int r = strcmp(a->site, b->site);
    if (r != 0)
        return r < 0;
    return a->arrival_seq < b->arrival_seq;
}

static bool r_agent_before(const acd_planner_agent_t *a, const acd_planner_agent_t *b)
{
    if (a->idle_since != b->idle_since)
        return a->idle_since < b->idle_since;
    return strcmp(a->agent_id, b->agent_id) < 0;
}

static bool r_busy(const world_t *w, const char *call, const char *agent)
{
    for (size_t i = 0; i < w->n_pending; i++) {
        const acd_planner_pending_t *o = &w->pending[i];
        if (w->now < o->deadline_ms &&
            ((call && strcmp(o->call_id, call) == 0) || (agent && strcmp(o->agent_id, agent) == 0)))
            return true;
    }
    return false;
}

/* Replays the plan decision by decision and checks each against a naive reading of the rules. */
static void r_verify(const world_t *w)
{
    bool call_done[W_MAX] = {0}, agent_done[W_MAX] = {0};
    for (size_t k = 0;; k++) {
        /* The globally first open call whose queue has a free member. */
        const acd_planner_call_t *first = NULL;
        size_t fi = 0;
        for (size_t i = 0; i < w->n_calls; i++) {
            const acd_planner_call_t *c = &w->calls[i];
            if (call_done[i] || r_busy(w, c->call_id, NULL))
                continue;
            bool served = false;
            for (size_t j = 0; j < w->n_agents && !served; j++)
                served = !agent_done[j] && !r_busy(w, NULL, w->agents[j].agent_id) &&
                         r_member(&w->agents[j], c->queue);
            if (served && (!first || r_call_before(c, first))) {
                first = c;
                fi = i;
            }
        }
        if (!first) {
            assert_int_equal(k, w->out.n);
            return;
        }
        assert_true(k < w->out.n);
        const acd_planner_offer_t *o = &w->out.v[k];
        assert_string_equal(o->call_id, first->call_id);
        call_done[fi] = true;
        /* Its agent: the first free member in pick order, excluded ones last. */
        const acd_planner_agent_t *best = NULL;
        size_t bi = 0;
        for (int pass = 0; pass < 2 && !best; pass++) {
            for (size_t j = 0; j < w->n_agents; j++) {
                const acd_planner_agent_t *a = &w->agents[j];
                if (agent_done[j] || r_busy(w, NULL, a->agent_id) || !r_member(a, first->queue) ||
                    (pass == 0 && r_excl(a, first->call_id)))
                    continue;
                if (!best || r_agent_before(a, best)) {
                    best = a;
                    bi = j;
                }
            }
        }
        assert_non_null(best);
        assert_string_equal(o->agent_id, best->agent_id);
        assert_string_equal(o->agent_site, best->site);
        agent_done[bi] = true;
    }
}

static void test_random_against_rules(void **state)
{
    world_t *w = *state;
    static const char *const sites[] = {"X", "Y", "Z"};
    static const char *const *const qsets[] = {q_sales, q_support, q_both};
    static const size_t qn[] = {1, 1, 2};
    static char ids[3 * W_MAX][16];
    static const char *excluded[W_MAX]; /* per agent, by creation: shuffles move the agents */
    r_rng_t r = {.s = 0x2545f4914f6cdd1dULL};
    for (int round = 0; round < 300; round++) {
        memset(w->calls, 0, sizeof(w->calls));
        w->n_calls = w->n_agents = w->n_pending = 0;
        size_t nc = r_next(&r) % 20, na = r_next(&r) % 12;
        for (size_t i = 0; i < nc; i++) {
            snprintf(ids[i], sizeof(ids[i]), "c%zu", i);
            w_call(w, ids[i], sites[r_next(&r) % 3], r_next(&r) % 2 ? "sales" : "support",
                   (int)(r_next(&r) % 3), 1000 + r_next(&r) % 5, i);
        }
        for (size_t j = 0; j < na; j++) {
            snprintf(ids[W_MAX + j], sizeof(ids[0]), "a%zu", j);
            unsigned qs = r_next(&r) % 3;
            acd_planner_agent_t *a = w_agent(w, ids[W_MAX + j], sites[r_next(&r) % 3], qsets[qs],
                                             qn[qs], (int64_t)(r_next(&r) % 4));
            if (nc && r_next(&r) % 4 == 0) {
                excluded[j] = ids[r_next(&r) % nc];
                a->excluded_calls = &excluded[j];
                a->n_excluded = 1;
            }
        }
        for (size_t i = 0; nc && na && i < 3; i++) {
            snprintf(ids[2 * W_MAX + i], sizeof(ids[0]), "o%zu", i);
            w_pending(w, ids[2 * W_MAX + i], w->calls[r_next(&r) % nc].call_id,
                      w->agents[r_next(&r) % na].agent_id, w->now - 1 + r_next(&r) % 3);
        }
        assert_int_equal(w_plan(w), 0);
        r_verify(w);

        /* The same world in another order gives the same plan. */
        acd_planner_offer_t first[W_MAX];
        size_t n = w->out.n;
        memcpy(first, w->out.v, n * sizeof(*first));
        for (size_t i = nc; i > 1; i--) {
            size_t j = r_next(&r) % i;
            acd_planner_call_t t = w->calls[i - 1];
            w->calls[i - 1] = w->calls[j];
            w->calls[j] = t;
        }
        for (size_t i = na; i > 1; i--) {
            size_t j = r_next(&r) % i;
            acd_planner_agent_t t = w->agents[i - 1];
            w->agents[i - 1] = w->agents[j];
            w->agents[j] = t;
        }
        assert_int_equal(w_plan(w), 0);
        assert_int_equal(w->out.n, n);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(w->out.v[i].call_id, first[i].call_id);
            assert_string_equal(w->out.v[i].agent_id, first[i].agent_id);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_global_order_three_sites, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_agent_on_another_site, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_pending_offers_and_expiry, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_excluded_calls, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_input, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_random_against_rules, w_setup, w_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
