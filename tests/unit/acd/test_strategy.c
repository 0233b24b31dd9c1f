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
    return f->q.strategy->pick(&f->q, &f->call);
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

static acd__agent_t *decline_pick(acd__queue_t *q, const acd__call_t *call)
{
    (void)q;
    (void)call;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_longest_idle_pick),
        cmocka_unit_test(test_pick_skips_missed),
        cmocka_unit_test_setup_teardown(test_queue_strategy_view, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_declining_strategy, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
