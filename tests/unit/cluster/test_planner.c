/* test_planner.c - the leader's global planner: order, cross-site picks, pending offers, expiry,
 * skills with relaxation and the strategies, cluster-wide. */
#include "planner_world.h"

static const char *const q_sales[] = {"sales"};
static const char *const q_support[] = {"support"};
static const char *const q_both[] = {"sales", "support"};

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

/* ---- skills and strategies ---- */

static const char *const q_tech[] = {"tech"};

/* Only members with every required skill at its level; the best match first, any site. */
static void test_skills_best_match(void **state)
{
    world_t *w = *state;
    static const acd_core_skill_t tech[] = {{"net", 3}, {"unix", 2}};
    static const acd_core_skill_t s1[] = {{"unix", 2}, {"net", 3}}; /* 5 */
    static const acd_core_skill_t s2[] = {{"net", 5}, {"unix", 5}}; /* 10 */
    static const acd_core_skill_t s3[] = {{"net", 2}, {"unix", 9}}; /* not eligible */
    w_queue(w, "tech", NULL, tech, 2, NULL, 0);
    w_call(w, "X-1", "X", "tech", 0, 1000, 1);
    w_call(w, "X-2", "X", "tech", 0, 1100, 2);
    w_call(w, "X-3", "X", "tech", 0, 1200, 3);
    w_skills(w_agent(w, "t3", "Z", q_tech, 1, 10), s3, 2); /* idle longest */
    w_skills(w_agent(w, "t1", "X", q_tech, 1, 20), s1, 2);
    w_skills(w_agent(w, "t2", "Y", q_tech, 1, 30), s2, 2);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 2);
    w_expect(w, 0, "X-1", "X", "t2", "Y");
    w_expect(w, 1, "X-2", "X", "t1", "X");

    /* A call of a queue without a table entry needs nothing: t3 takes a sales call. */
    static const char *const both[] = {"tech", "sales"};
    w->agents[0].queues = both;
    w->agents[0].n_queues = 2;
    w_call(w, "Y-1", "Y", "sales", 0, 5000, 1);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 3);
    w_expect(w, 2, "Y-1", "Y", "t3", "Z");
}

/* Relaxation by the call's wait at now_ms: the requirement changes exactly at after_ms. */
static void test_relaxation(void **state)
{
    world_t *w = *state;
    static const acd_core_skill_t es[] = {{"spanish", 5}};
    static const acd_core_relax_t relax[] = {{60000, "spanish", 0}, {30000, "spanish", 2}};
    static const acd_core_skill_t some[] = {{"spanish", 3}};
    static const char *const q_es[] = {"es"};
    w_queue(w, "es", "longest-idle", es, 1, relax, 2);
    w_call(w, "X-1", "X", "es", 0, w->now - 29999, 1);
    w_skills(w_agent(w, "e2", "Y", q_es, 1, 10), some, 1);
    w_agent(w, "e3", "Z", q_es, 1, 5); /* no spanish at all */
    static const struct {
        int64_t waited;
        const char *agent; /* NULL: nobody */
    } rows[] = {{29999, NULL}, {30000, "e2"}, {59999, "e2"}, {60000, "e3"}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        w->calls[0].enqueue_ms = w->now - rows[i].waited;
        assert_int_equal(w_plan(w), 0);
        assert_int_equal(w->out.n, rows[i].agent ? 1 : 0);
        if (rows[i].agent)
            assert_string_equal(w->out.v[0].agent_id, rows[i].agent);
    }
}

/* The strategies cluster-wide; round-robin's cursor moves with each offer of a run. */
static void test_strategies(void **state)
{
    world_t *w = *state;
    acd_planner_queue_t *q = w_queue(w, "sales", "round-robin", NULL, 0, NULL, 0);
    q->cursor = "b2";
    for (int i = 0; i < 3; i++) {
        static const char *const ids[] = {"c1", "c2", "c3"};
        w_call(w, ids[i], "X", "sales", 0, 1000 + i, (uint64_t)i + 1);
    }
    acd_planner_agent_t *b1 = w_agent(w, "b1", "X", q_sales, 1, 10);
    acd_planner_agent_t *b2 = w_agent(w, "b2", "Y", q_sales, 1, 20);
    acd_planner_agent_t *b3 = w_agent(w, "b3", "Z", q_sales, 1, 30);
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 3);
    w_expect(w, 0, "c1", "X", "b3", "Z"); /* after b2 */
    w_expect(w, 1, "c2", "X", "b1", "X"); /* wrapped */
    w_expect(w, 2, "c3", "X", "b2", "Y");
    assert_string_equal(acd_planner_cursor(&w->out, 0, "sales", "b2"), "b2");
    w->out.n = 2; /* the cursor after the first two offers */
    assert_string_equal(acd_planner_cursor(&w->out, 0, "sales", "b2"), "b1");
    w->out.n = 3;
    assert_string_equal(acd_planner_cursor(&w->out, 0, "support", "x9"), "x9");
    assert_null(acd_planner_cursor(&w->out, 3, "sales", NULL));
    q->cursor = NULL;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "c1", "X", "b1", "X");
    q->cursor = "b9"; /* past the last: wraps to the first */
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "c1", "X", "b1", "X");

    /* fewest-calls: handled calls, then longest idle. */
    q->strategy = "fewest-calls";
    b1->calls_handled = 7;
    b2->calls_handled = 3;
    b3->calls_handled = 3;
    w->n_calls = 1;
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "c1", "X", "b2", "Y");
    q->strategy = "longest-idle";
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "c1", "X", "b1", "X");
    q->strategy = NULL;
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "c1", "X", "b1", "X");
    q->strategy = "ring-all";
    assert_int_equal(w_plan(w), -EINVAL);
}

/* Exclusions count among the capable: a missed capable agent is rung again (a new round)
 * rather than a free agent without the skills. */
static void test_excluded_with_skills(void **state)
{
    world_t *w = *state;
    static const acd_core_skill_t need[] = {{"net", 3}};
    static const acd_core_skill_t good[] = {{"net", 4}};
    static const acd_core_skill_t better[] = {{"net", 9}};
    static const char *const missed[] = {"X-1"};
    w_queue(w, "tech", NULL, need, 1, NULL, 0);
    w_call(w, "X-1", "X", "tech", 0, 1000, 1);
    acd_planner_agent_t *a = w_agent(w, "a1", "X", q_tech, 1, 10);
    w_skills(a, good, 1);
    a->excluded_calls = missed;
    a->n_excluded = 1;
    w_agent(w, "a2", "Y", q_tech, 1, 5); /* free, no skills */
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
    w_expect(w, 0, "X-1", "X", "a1", "X");
    /* Another capable member that did not miss it comes first, whatever its score. */
    acd_planner_agent_t *b = w_agent(w, "a3", "Z", q_tech, 1, 50);
    w_skills(b, good, 1);
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "a3", "Z");
    w_skills(a, better, 1); /* the excluded one's better score does not count */
    assert_int_equal(w_plan(w), 0);
    w_expect(w, 0, "X-1", "X", "a3", "Z");
}

static void test_invalid_rules(void **state)
{
    world_t *w = *state;
    w_call(w, "X-1", "X", "tech", 0, 1000, 1);
    w_agent(w, "a1", "X", q_tech, 1, 10);
    acd_planner_queue_t *q = w_queue(w, "tech", NULL, NULL, 1, NULL, 0);
    assert_int_equal(w_plan(w), -EINVAL); /* skills NULL with a count */
    static const acd_core_skill_t noname[] = {{NULL, 3}};
    q->skills = noname;
    assert_int_equal(w_plan(w), -EINVAL);
    static const acd_core_relax_t r[] = {{10, NULL, 1}};
    q->n_skills = 0;
    q->relax = r;
    q->n_relax = 1;
    assert_int_equal(w_plan(w), -EINVAL);
    q->n_relax = 0;
    q->name = NULL;
    assert_int_equal(w_plan(w), -EINVAL);
    q->name = "tech";
    w->agents[0].skills = noname;
    w->agents[0].n_skills = 1;
    assert_int_equal(w_plan(w), -EINVAL);
    w->agents[0].n_skills = 0;
    assert_int_equal(w_plan(w), 0);
    assert_int_equal(w->out.n, 1);
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

static bool r_fewer_calls(const acd_planner_agent_t *a, const acd_planner_agent_t *b)
{
    if (a->calls_handled != b->calls_handled)
        return a->calls_handled < b->calls_handled;
    return r_agent_before(a, b);
}

/* The table entry of queue (the first of its name), or NULL. */
static const acd_planner_queue_t *r_rules(const world_t *w, const char *queue)
{
    for (size_t i = 0; i < w->n_queues; i++) {
        if (strcmp(w->queues[i].name, queue) == 0)
            return &w->queues[i];
    }
    return NULL;
}

/* Naively: a's score for call in queue rules q at now, -1 when it lacks a skill. */
static int r_score(const acd_planner_queue_t *q, const acd_planner_agent_t *a,
                   const acd_planner_call_t *call, int64_t now)
{
    int sum = 0;
    for (size_t j = 0; q && j < q->n_skills; j++) {
        int need = q->skills[j].level;
        int64_t at = -1;
        for (size_t k = 0; k < q->n_relax; k++) {
            const acd_core_relax_t *r = &q->relax[k];
            if (strcmp(r->skill, q->skills[j].name) == 0 && r->after_ms <= now - call->enqueue_ms &&
                r->after_ms >= at) {
                at = r->after_ms;
                need = r->level;
            }
        }
        int have = 0;
        for (size_t k = 0; k < a->n_skills; k++) {
            if (strcmp(a->skills[k].name, q->skills[j].name) == 0)
                have = a->skills[k].level;
        }
        if (need == 0)
            continue;
        if (have < need)
            return -1;
        sum += have;
    }
    return sum;
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
    const char *cursor[8];
    for (size_t i = 0; i < w->n_queues; i++)
        cursor[i] = w->queues[i].cursor;
    for (size_t k = 0;; k++) {
        /* The globally first open call whose queue has a free member with its skills. */
        const acd_planner_call_t *first = NULL;
        size_t fi = 0;
        for (size_t i = 0; i < w->n_calls; i++) {
            const acd_planner_call_t *c = &w->calls[i];
            if (call_done[i] || r_busy(w, c->call_id, NULL))
                continue;
            const acd_planner_queue_t *q = r_rules(w, c->queue);
            bool served = false;
            for (size_t j = 0; j < w->n_agents && !served; j++)
                served = !agent_done[j] && !r_busy(w, NULL, w->agents[j].agent_id) &&
                         r_member(&w->agents[j], c->queue) &&
                         r_score(q, &w->agents[j], c, w->now) >= 0;
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
        /* Its agent: the capable free members, those not excluding it if any; the best
         * score; then the strategy. */
        const acd_planner_queue_t *q = r_rules(w, first->queue);
        size_t qi = q ? (size_t)(q - w->queues) : 0;
        const char *st = q && q->strategy && *q->strategy ? q->strategy : "longest-idle";
        bool cand[W_MAX] = {0};
        int best = -1;
        for (int pass = 0; pass < 2 && best < 0; pass++) {
            for (size_t j = 0; j < w->n_agents; j++) {
                const acd_planner_agent_t *a = &w->agents[j];
                int sc = r_score(q, a, first, w->now);
                cand[j] = !agent_done[j] && !r_busy(w, NULL, a->agent_id) &&
                          r_member(a, first->queue) && sc >= 0 &&
                          !(pass == 0 && r_excl(a, first->call_id));
                if (cand[j] && sc > best)
                    best = sc;
            }
        }
        const acd_planner_agent_t *pick = NULL, *after = NULL;
        size_t bi = 0, ai = 0;
        for (size_t j = 0; j < w->n_agents; j++) {
            const acd_planner_agent_t *a = &w->agents[j];
            if (!cand[j] || r_score(q, a, first, w->now) != best)
                continue;
            bool rr = strcmp(st, "round-robin") == 0;
            bool before = !pick || (rr ? strcmp(a->agent_id, pick->agent_id) < 0
                                       : strcmp(st, "fewest-calls") == 0 ? r_fewer_calls(a, pick)
                                                                          : r_agent_before(a, pick));
            if (before) {
                pick = a;
                bi = j;
            }
            if (rr && cursor[qi] && strcmp(a->agent_id, cursor[qi]) > 0 &&
                (!after || strcmp(a->agent_id, after->agent_id) < 0)) {
                after = a;
                ai = j;
            }
        }
        if (after) {
            pick = after;
            bi = ai;
        }
        assert_non_null(pick);
        assert_string_equal(o->agent_id, pick->agent_id);
        assert_string_equal(o->agent_site, pick->site);
        agent_done[bi] = true;
        if (q)
            cursor[qi] = pick->agent_id;
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
    static const char *const strategies[] = {NULL, "longest-idle", "round-robin", "fewest-calls"};
    static const char *const skill_names[] = {"en", "fr"};
    static acd_core_skill_t qskills[2][2], askills[W_MAX][2];
    static acd_core_relax_t qrelax[2][2];
    r_rng_t r = {.s = 0x2545f4914f6cdd1dULL};
    for (int round = 0; round < 600; round++) {
        memset(w->calls, 0, sizeof(w->calls));
        w->n_calls = w->n_agents = w->n_pending = w->n_queues = 0;
        /* Half the rounds have a queue table: strategies, skills, relaxations, cursors. */
        for (int qi = 0; round % 2 && qi < 2; qi++) {
            size_t ns = r_next(&r) % 3, nr = ns ? r_next(&r) % 3 : 0;
            for (size_t j = 0; j < ns; j++)
                qskills[qi][j] = (acd_core_skill_t){skill_names[j], 1 + (int)(r_next(&r) % 3)};
            for (size_t k = 0; k < nr; k++)
                qrelax[qi][k] = (acd_core_relax_t){10000 * (1 + (int)(r_next(&r) % 3)),
                                                   skill_names[r_next(&r) % ns],
                                                   (int)(r_next(&r) % 3)};
            acd_planner_queue_t *q = w_queue(w, qi ? "support" : "sales",
                                             strategies[r_next(&r) % 4], qskills[qi], ns,
                                             qrelax[qi], nr);
            if (r_next(&r) % 2)
                q->cursor = ids[W_MAX + r_next(&r) % 12]; /* a1..a11, maybe not present */
        }
        size_t nc = r_next(&r) % 20, na = r_next(&r) % 12;
        for (size_t i = 0; i < nc; i++) {
            snprintf(ids[i], sizeof(ids[i]), "c%zu", i);
            w_call(w, ids[i], sites[r_next(&r) % 3], r_next(&r) % 2 ? "sales" : "support",
                   (int)(r_next(&r) % 3), w->now - 10000 * (int64_t)(r_next(&r) % 4), i);
        }
        for (size_t j = 0; j < na; j++) {
            snprintf(ids[W_MAX + j], sizeof(ids[0]), "a%zu", j);
            unsigned qs = r_next(&r) % 3;
            acd_planner_agent_t *a = w_agent(w, ids[W_MAX + j], sites[r_next(&r) % 3], qsets[qs],
                                             qn[qs], (int64_t)(r_next(&r) % 4));
            size_t ns = r_next(&r) % 3;
            for (size_t k = 0; k < ns; k++)
                askills[j][k] = (acd_core_skill_t){skill_names[k], 1 + (int)(r_next(&r) % 4)};
            w_skills(a, askills[j], ns);
            a->calls_handled = r_next(&r) % 3;
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
        cmocka_unit_test_setup_teardown(test_skills_best_match, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_relaxation, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_strategies, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_excluded_with_skills, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_rules, w_setup, w_teardown),
        cmocka_unit_test_setup_teardown(test_random_against_rules, w_setup, w_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
