/* test_strategy.c - the strategy table and the longest-idle pick on hand-built queues. */
#include "acd/harness.h"

static void test_lookup(void **state)
{
    (void)state;
    const acd_strategy_ops_t *s = acd__strategy_find("longest-idle");
    assert_non_null(s);
    assert_string_equal(s->name, "longest-idle");
    assert_non_null(s->pick);
    assert_ptr_equal(acd__strategy_find(NULL), s);
    assert_ptr_equal(acd__strategy_find(""), s);
    assert_ptr_equal(acd__strategy_find(ACD__STRATEGY_DEFAULT), s);
    assert_null(acd__strategy_find("no-such-strategy"));
    assert_null(acd__strategy_find("Longest-Idle"));
    static const char *const names[] = {"round-robin", "fewest-calls"};
    for (size_t i = 0; i < 2; i++) {
        const acd_strategy_ops_t *o = acd__strategy_find(names[i]);
        assert_non_null(o);
        assert_string_equal(o->name, names[i]);
        assert_non_null(o->pick);
    }
    assert_non_null(acd__strategy_find("round-robin")->offered);
    assert_null(acd__strategy_find("ring-all")); /* left out: one call, one agent */
}

/* Three members in id order: b1, b2, b3. */
typedef struct fix {
    acd__agent_t a[3];
    acd__agent_t *members[3];
    acd__queue_t q;
    acd__call_t call;
} fix_t;

static void fix_init(fix_t *f)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < 3; i++) {
        snprintf(f->a[i].id, sizeof(f->a[i].id), "b%d", i + 1);
        f->a[i].state = ACD_AGENT_AVAILABLE;
        f->a[i].idle_since = 1000;
        f->members[i] = &f->a[i];
    }
    f->q.members = f->members;
    f->q.n_members = 3;
    f->q.strategy = acd__strategy_find("longest-idle");
    f->call.seq = 7;
}

static acd__agent_t *fix_pick(fix_t *f)
{
    return f->q.strategy->pick(&f->q, &f->call, NULL);
}

static void test_longest_idle_pick(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    assert_ptr_equal(fix_pick(&f), &f.a[0]); /* tie: first by id */
    f.a[2].idle_since = 999;
    assert_ptr_equal(fix_pick(&f), &f.a[2]); /* oldest idle */
    f.a[2].state = ACD_AGENT_WRAPUP;
    assert_ptr_equal(fix_pick(&f), &f.a[0]);
    f.a[1].idle_since = 500;
    assert_ptr_equal(fix_pick(&f), &f.a[1]);

    /* Only available agents qualify. */
    static const acd_agent_state_t others[] = {ACD_AGENT_LOGGED_OUT, ACD_AGENT_RINGING,
                                               ACD_AGENT_ON_CALL, ACD_AGENT_WRAPUP,
                                               ACD_AGENT_PAUSED};
    for (size_t i = 0; i < 5; i++) {
        for (int j = 0; j < 3; j++)
            f.a[j].state = others[i];
        assert_null(fix_pick(&f));
    }
    f.q.n_members = 0;
    assert_null(fix_pick(&f));
}

static void test_pick_skips_missed(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.a[0].idle_since = 10;
    f.a[1].idle_since = 20;
    f.a[2].idle_since = 30;
    f.a[0].missed_call = 7; /* missed this call, this round */
    assert_ptr_equal(fix_pick(&f), &f.a[1]);
    assert_false(acd__agent_eligible(&f.a[0], &f.call));
    f.a[1].missed_call = 7;
    f.a[2].missed_call = 7;
    assert_null(fix_pick(&f));
    f.call.round = 1; /* a new round: everyone again, longest idle first */
    assert_ptr_equal(fix_pick(&f), &f.a[0]);
    f.a[0].missed_round = 1;
    assert_ptr_equal(fix_pick(&f), &f.a[1]);
    f.call.seq = 8; /* another call: misses of call 7 do not count */
    assert_ptr_equal(fix_pick(&f), &f.a[0]);
}

/* round-robin: id order, from the one after the last offered, wrapping around. */
static void test_round_robin_pick(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.q.strategy = acd__strategy_find("round-robin");
    f.a[0].idle_since = 1; /* longest idle: ignored by round-robin */
    static const struct {
        const char *cursor;
        int unavailable; /* member index not available, or -1 */
        int want;        /* member index picked, or -1 for none */
    } rows[] = {
        {"", -1, 0},    {"b1", -1, 1},  {"b2", -1, 2},  {"b3", -1, 0}, /* wraps */
        {"b1", 1, 2},   {"b3", 0, 1},   {"b15", -1, 1}, /* a gone member's place */
        {"a", -1, 0},   {"zz", 2, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int j = 0; j < 3; j++)
            f.a[j].state = j == rows[i].unavailable ? ACD_AGENT_PAUSED : ACD_AGENT_AVAILABLE;
        snprintf(f.q.strategy_cursor, sizeof(f.q.strategy_cursor), "%s", rows[i].cursor);
        acd__agent_t *a = fix_pick(&f);
        if (a != (rows[i].want < 0 ? NULL : &f.a[rows[i].want]))
            fail_msg("row %zu: picked %s", i, a ? a->id : "nobody");
    }
    /* offered() moves the cursor to the agent offered. */
    f.q.strategy_cursor[0] = '\0';
    for (int j = 0; j < 3; j++)
        f.a[j].state = ACD_AGENT_AVAILABLE;
    static const int turn[] = {0, 1, 2, 0, 1};
    for (size_t k = 0; k < 5; k++) {
        acd__agent_t *a = fix_pick(&f);
        assert_ptr_equal(a, &f.a[turn[k]]);
        f.q.strategy->offered(&f.q, a);
        assert_string_equal(f.q.strategy_cursor, a->id);
    }
}

/* fewest-calls: fewest handled, then longest idle, then id. */
static void test_fewest_calls_pick(void **state)
{
    (void)state;
    fix_t f;
    fix_init(&f);
    f.q.strategy = acd__strategy_find("fewest-calls");
    static const struct {
        unsigned handled[3];
        acd_ms_t idle[3];
        int want;
    } rows[] = {
        {{3, 1, 2}, {10, 20, 30}, 1},
        {{1, 1, 2}, {30, 20, 10}, 1}, /* tie on calls: longest idle */
        {{1, 1, 1}, {20, 20, 20}, 0}, /* all tied: first by id */
        {{0, 5, 0}, {50, 1, 40}, 2},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int j = 0; j < 3; j++) {
            f.a[j].calls_handled = rows[i].handled[j];
            f.a[j].idle_since = rows[i].idle[j];
        }
        assert_ptr_equal(fix_pick(&f), &f.a[rows[i].want]);
    }
    f.a[2].state = ACD_AGENT_RINGING; /* the best one busy: the next */
    assert_ptr_equal(fix_pick(&f), &f.a[0]);
}

/* With a match, only the members of the best score are candidates, for every strategy. */
static void test_pick_best_match_only(void **state)
{
    (void)state;
    static const char *const names[] = {"longest-idle", "round-robin", "fewest-calls"};
    for (size_t s = 0; s < 3; s++) {
        fix_t f;
        fix_init(&f);
        f.q.strategy = acd__strategy_find(names[s]);
        int levels[3] = {2, 5, 5}; /* one skill; b2 and b3 have it at 5 */
        f.q.sk.skills.n = 1;
        f.q.sk.member_level = levels;
        f.a[0].idle_since = 1;      /* b1 idle longest, fewest calls, first in turn */
        f.a[1].calls_handled = 4;
        f.a[2].idle_since = 500;    /* b3 idle longer than b2 */
        int need3[1] = {3};
        acd__match_t m = {.need = need3, .best = 5};
        acd__agent_t *a = f.q.strategy->pick(&f.q, &f.call, &m);
        static const int want[] = {2, 1, 2}; /* longest idle b3; turn b2; fewest b3 */
        if (a != &f.a[want[s]])
            fail_msg("%s picked %s", names[s], a ? a->id : "nobody");
        assert_false(acd__member_candidate(&f.q, 0, &f.call, &m)); /* level 2 < 3 */
        assert_int_equal(acd__skills_score(&f.q, 0, need3), -1);
        assert_int_equal(acd__skills_score(&f.q, 1, need3), 5);
        m.best = -1; /* nobody eligible */
        assert_null(f.q.strategy->pick(&f.q, &f.call, &m));
    }
}

typedef struct seen {
    acd_queue_view_t v[4];
    size_t n;
} seen_t;

static void collect_queue(void *ud, const acd_queue_view_t *v)
{
    seen_t *s = ud;
    if (s->n < 4)
        s->v[s->n] = *v;
    s->n++;
}

/* A queue without a strategy name gets the default; views report the strategy's name. */
static void test_queue_strategy_view(void **state)
{
    h_t *h = *state;
    seen_t s = {.n = 0};
    acd_core_foreach_queue(h->c, collect_queue, &s);
    assert_int_equal(s.n, 3);
    for (size_t i = 0; i < s.n; i++)
        assert_string_equal(s.v[i].strategy, "longest-idle");
}

static acd__agent_t *decline_pick(acd__queue_t *q, const acd__call_t *call, const acd__match_t *m)
{
    (void)q;
    (void)call;
    (void)m;
    return NULL;
}

static unsigned offered_seen;

static void count_offered(acd__queue_t *q, const acd__agent_t *agent)
{
    (void)agent;
    q->strategy_state++;
    offered_seen++;
}

/* A strategy that finds nobody holds back its own queue only: other queues still get
 * their calls out, and the queue is considered again at the next event. */
static void test_declining_strategy(void **state)
{
    h_t *h = *state;
    static const acd_strategy_ops_t decline = {.name = "decline", .pick = decline_pick};
    static const acd_strategy_ops_t counting = {
        .name = "counting", .pick = NULL, .offered = count_offered};
    acd_hmap_node_t *n = acd_hmap_get(&h->c->queues, acd_str_from("support"));
    assert_non_null(n);
    acd__queue_t *support = acd_container_of(n, acd__queue_t, node);
    n = acd_hmap_get(&h->c->queues, acd_str_from("sales"));
    assert_non_null(n);
    acd__queue_t *sales = acd_container_of(n, acd__queue_t, node);
    const acd_strategy_ops_t *real = sales->strategy;
    support->strategy = &decline;
    acd_strategy_ops_t sales_ops = counting;
    sales_ops.pick = real->pick;
    sales->strategy = &sales_ops;

    assert_int_equal(h_arrive(h, "p1", "200", NULL, 5), 0); /* support, first overall */
    h->now += 1;
    assert_int_equal(h_arrive(h, "s1", "100", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0); /* sales + support */
    assert_int_equal(h->out.n, 3);
    h_expect_offer(h, 1, "s1", "a1");
    assert_int_equal(offered_seen, 1);
    assert_int_equal(sales->strategy_state, 1);
    assert_false(support->skipped);
    assert_int_equal(h_call(h, "p1").state, ACD_CALL_QUEUED);

    /* With its strategy back, support's call goes out at the next event. */
    support->strategy = real;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a3"), 0);
    h_expect_offer(h, 1, "p1", "a3");
    sales->strategy = real;
}

/* The strategies at work in a configured core: sales served by a1, a2, a4. */
static void test_strategies_in_the_core(void **state)
{
    h_t *h = *state;
    static const struct {
        const char *strategy;
        const char *order[4]; /* who gets four calls in a row, each answered and ended */
    } rows[] = {
        {"longest-idle", {"a4", "a2", "a1", "a4"}},
        {"round-robin", {"a1", "a2", "a4", "a1"}},
        /* handled so far a4 3, a2 2, a1 3: a2; then all 3: the longest idle (a4, a1) */
        {"fewest-calls", {"a2", "a4", "a1", "a2"}},
    };
    acd_core_queue_cfg_t queues[3];
    acd_core_cfg_t cfg = h_cfg;
    cfg.queues = queues;
    static const char *const logins[] = {"a4", "a2", "a1"}; /* a4 idle longest */
    h_login_all(h, logins, 3, 1000);
    for (size_t r = 0; r < 3; r++) {
        memcpy(queues, h_queues, sizeof(queues));
        queues[0].strategy = rows[r].strategy;
        queues[0].wrapup_ms = 0;
        h_reconfigure(h, &cfg);
        for (size_t k = 0; k < 4; k++) {
            char id[16];
            snprintf(id, sizeof(id), "r%zu-%zu", r, k);
            assert_int_equal(h_arrive(h, id, "100", NULL, 0), 0);
            if (strcmp(h_offered_to(h, id), rows[r].order[k]) != 0)
                fail_msg("%s call %zu went to %s, not %s", rows[r].strategy, k,
                         h_offered_to(h, id), rows[r].order[k]);
            assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, id, rows[r].order[k]), 0);
            h->now += 1000;
            assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, id, rows[r].order[k]), 0);
            h->now += 1000;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_longest_idle_pick),
        cmocka_unit_test(test_pick_skips_missed),
        cmocka_unit_test(test_round_robin_pick),
        cmocka_unit_test(test_fewest_calls_pick),
        cmocka_unit_test(test_pick_best_match_only),
        cmocka_unit_test_setup_teardown(test_strategies_in_the_core, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_queue_strategy_view, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_declining_strategy, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
