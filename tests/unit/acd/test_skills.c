/* test_skills.c - skill eligibility, best match first, relaxation by TICK, skill views. */
#include "acd/harness.h"

/*
 * tenant acme, DID 100 -> es, 101 -> tech (by queue name in the events):
 *   es   requires spanish 5; after 30 s spanish 2; after 60 s no spanish at all.
 *   tech requires net 3 and unix 2, no relaxation.
 *   gen  requires nothing.
 *   e1: es (spanish 9)   e2: es, gen (spanish 3)   e3: es (no skills)
 *   t1: tech (net 3, unix 2: score 5)   t2: tech (net 5, unix 5: 10)
 *   t3: tech (net 2, unix 9: not eligible)
 */
static const char *const sk_dids[] = {"100", "101"};
static const acd_core_tenant_cfg_t sk_tenants[] = {
    {.name = "acme", .dids = sk_dids, .n_dids = 2, .queue = "es"},
};
static const acd_core_skill_t sk_es[] = {{"spanish", 5}};
/* Listed out of order on purpose: the core sorts them by after_ms. */
static const acd_core_relax_t sk_es_relax[] = {{60000, "spanish", 0}, {30000, "spanish", 2}};
static const acd_core_skill_t sk_tech[] = {{"net", 3}, {"unix", 2}};
static acd_core_queue_cfg_t sk_queues[] = {
    {.name = "es", .tenant = "acme", .ring_timeout_ms = 20000, .wrapup_ms = 0,
     .skills = sk_es, .n_skills = 1, .relax = sk_es_relax, .n_relax = 2},
    {.name = "tech", .tenant = "acme", .ring_timeout_ms = 20000, .wrapup_ms = 0,
     .skills = sk_tech, .n_skills = 2},
    {.name = "gen", .tenant = "acme", .ring_timeout_ms = 20000, .wrapup_ms = 0},
};
static const char *const sk_q_es[] = {"es"};
static const char *const sk_q_es_gen[] = {"es", "gen"};
static const char *const sk_q_tech[] = {"tech"};
static const acd_core_skill_t sk_e1[] = {{"spanish", 9}};
static const acd_core_skill_t sk_e2[] = {{"spanish", 3}};
static const acd_core_skill_t sk_t1[] = {{"unix", 2}, {"net", 3}};
static const acd_core_skill_t sk_t2[] = {{"net", 5}, {"unix", 5}};
static const acd_core_skill_t sk_t3[] = {{"net", 2}, {"unix", 9}};
static acd_core_agent_cfg_t sk_agents[] = {
    {.id = "e1", .sip_user = "ue1", .queues = sk_q_es, .n_queues = 1, .skills = sk_e1, .n_skills = 1},
    {.id = "e2", .sip_user = "ue2", .queues = sk_q_es_gen, .n_queues = 2, .skills = sk_e2,
     .n_skills = 1},
    {.id = "e3", .sip_user = "ue3", .queues = sk_q_es, .n_queues = 1},
    {.id = "t1", .sip_user = "ut1", .queues = sk_q_tech, .n_queues = 1, .skills = sk_t1, .n_skills = 2},
    {.id = "t2", .sip_user = "ut2", .queues = sk_q_tech, .n_queues = 1, .skills = sk_t2, .n_skills = 2},
    {.id = "t3", .sip_user = "ut3", .queues = sk_q_tech, .n_queues = 1, .skills = sk_t3, .n_skills = 2},
};
static acd_core_cfg_t sk_cfg = {.tenants = sk_tenants, .n_tenants = 1, .queues = sk_queues,
                                .n_queues = 3, .agents = sk_agents, .n_agents = 6};

static int sk_setup(void **state)
{
    return h_setup_with(state, &sk_cfg);
}

static void sk_login(h_t *h, const char *const *ids, size_t n)
{
    h_login_all(h, ids, n, 1000);
}

/* Only agents with every required skill at the level are offered; the best match first. */
static void test_best_match_first(void **state)
{
    h_t *h = *state;
    static const char *const order[] = {"t3", "t1", "t2"}; /* t3 idle longest, t2 shortest */
    sk_login(h, order, 3);
    assert_int_equal(h_arrive(h, "c1", "101", "tech", 0), 0);
    assert_string_equal(h_offered_to(h, "c1"), "t2"); /* score 10 beats t1's 5 */
    assert_int_equal(h_arrive(h, "c2", "101", "tech", 0), 0);
    assert_string_equal(h_offered_to(h, "c2"), "t1"); /* t3 lacks net 3 */
    assert_int_equal(h_arrive(h, "c3", "101", "tech", 0), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0); /* t3 is free but not eligible */
    assert_int_equal(h_call(h, "c3").state, ACD_CALL_QUEUED);
    assert_int_equal(h_agent(h, "t3").state, ACD_AGENT_AVAILABLE);
    /* No relaxation in tech: nothing to wait for. */
    assert_true(acd_core_next_deadline(h->c) > h->now + 19000);
}

/* Relaxation: the waiting call goes out exactly when its wait reaches after_ms, by TICK. */
static void test_relax_by_tick(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"e2", "e3"}; /* spanish 3, none */
    sk_login(h, ids, 2);
    acd_ms_t t0 = h->now;
    assert_int_equal(h_arrive(h, "c1", "100", "es", 0), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0); /* spanish 5 wanted */
    assert_int_equal(acd_core_next_deadline(h->c), t0 + 30000);
    assert_int_equal(h_tick_at(h, t0 + 29999), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0);
    assert_int_equal(h_tick_at(h, t0 + 30000), 0);
    assert_string_equal(h_offered_to(h, "c1"), "e2"); /* spanish 2 now: e2, not e3 */

    /* A second call: e3 has no spanish, so only the drop at 60 s lets it go to e3. */
    assert_int_equal(h_arrive(h, "c2", "100", "es", 0), 0);
    acd_ms_t t2 = h->now;
    assert_int_equal(acd_core_next_deadline(h->c), t2 + 20000); /* e2's ring timeout first */
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "e2"), 0);
    assert_int_equal(acd_core_next_deadline(h->c), t2 + 30000);
    assert_int_equal(h_tick_at(h, t2 + 30000), 0); /* spanish 2: still not e3 */
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0);
    assert_int_equal(acd_core_next_deadline(h->c), t2 + 60000);
    assert_int_equal(h_tick_at(h, t2 + 59999), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0);
    assert_int_equal(h_tick_at(h, t2 + 60000), 0);
    assert_string_equal(h_offered_to(h, "c2"), "e3");
}

/*
 * Best match applies to relaxed calls too: a call that has waited 31 s (adopted from a
 * dark site, so it comes in relaxed) goes to e1 (spanish 9) before e2 (3), although e2
 * idled longer; the next such call goes to e2.
 */
static void test_relaxed_best_match(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"e2", "e1"};
    sk_login(h, ids, 2); /* e2 idle longer */
    assert_int_equal(h_adopt(h, "c1", "100", "555", "es", h->now - 31000, 0), 0);
    assert_string_equal(h_offered_to(h, "c1"), "e1");
    assert_int_equal(h_adopt(h, "c2", "100", "556", "es", h->now - 31000, 0), 0);
    assert_string_equal(h_offered_to(h, "c2"), "e2");
}

/*
 * A head nobody can take does not hold back a later call that has relaxed: the call
 * that can go out is offered, the head keeps waiting.
 */
static void test_stuck_head_lets_relaxed_call_out(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "e3"), 0); /* no spanish */
    assert_int_equal(h_arrive(h, "old", "100", "es", 0), 0);
    h->now += 31000;
    assert_int_equal(h_arrive(h, "new", "100", "es", 5), 0); /* the head: priority 5 */
    assert_int_equal(h_call(h, "new").position, 1);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "e2"), 0); /* spanish 3 */
    assert_string_equal(h_offered_to(h, "old"), "e2");
    assert_int_equal(h_call(h, "new").state, ACD_CALL_QUEUED);
    assert_int_equal(acd_core_next_deadline(h->c), h->now + 20000); /* e2's ring timeout */
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "old", "e2"), 0);
    /* new relaxes 30 s after it came (to spanish 2: still not e3's), then at 60 s. */
    assert_int_equal(acd_core_next_deadline(h->c), h->now + 30000);
    assert_int_equal(h_tick_at(h, h->now + 30000), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0);
    assert_int_equal(h_tick_at(h, h->now + 30000), 0);
    assert_string_equal(h_offered_to(h, "new"), "e3");
}

/*
 * The global order still holds across queues: e2 serves es and gen; a gen call that came
 * before the relaxed es call is offered first, the relaxed one next.
 */
static void test_relaxed_call_keeps_global_order(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "gen-1", "100", "gen", 0), 0);
    h->now += 1000;
    assert_int_equal(h_arrive(h, "es-old", "100", "es", 0), 0);
    h->now += 30000;
    assert_int_equal(h_arrive(h, "es-head", "100", "es", 5), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "e2"), 0);
    /* es's head (priority 5) cannot go to e2; es-old can, but gen-1 came before it. */
    assert_string_equal(h_offered_to(h, "gen-1"), "e2");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "gen-1", "e2"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "gen-1", "e2"), 0);
    assert_string_equal(h_offered_to(h, "es-old"), "e2");
    assert_int_equal(h_call(h, "es-head").state, ACD_CALL_QUEUED);
}

/* Configure: new skills take effect at once (a waiting call goes out). */
static void test_reconfigure_skills(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "e3"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", "es", 0), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 0);
    static const acd_core_skill_t fluent[] = {{"spanish", 6}};
    acd_core_agent_cfg_t agents[6];
    memcpy(agents, sk_agents, sizeof(agents));
    agents[2].skills = fluent;
    agents[2].n_skills = 1;
    acd_core_cfg_t cfg = sk_cfg;
    cfg.agents = agents;
    h_reconfigure(h, &cfg);
    assert_string_equal(h_offered_to(h, "c1"), "e3");
    const acd_core_skill_t *sv;
    size_t n;
    assert_int_equal(acd_core_agent_skills(h->c, "e3", &sv, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(sv[0].name, "spanish");
    assert_int_equal(sv[0].level, 6);
    assert_int_equal(acd_core_agent_skills(h->c, "nobody", &sv, &n), ACD_ENOAGENT);
}

static void test_rules_view(void **state)
{
    h_t *h = *state;
    acd_queue_rules_t r;
    assert_int_equal(acd_core_queue_rules(h->c, "es", &r), 0);
    assert_string_equal(r.strategy, "longest-idle");
    assert_int_equal(r.n_skills, 1);
    assert_string_equal(r.skills[0].name, "spanish");
    assert_int_equal(r.skills[0].level, 5);
    assert_int_equal(r.n_relax, 2);
    assert_int_equal(r.relax[0].after_ms, 30000); /* sorted */
    assert_int_equal(r.relax[0].level, 2);
    assert_int_equal(r.relax[1].after_ms, 60000);
    assert_int_equal(r.relax[1].level, 0);
    assert_string_equal(r.relax[1].skill, "spanish");
    assert_int_equal(acd_core_queue_rules(h->c, "gen", &r), 0);
    assert_int_equal(r.n_skills, 0);
    assert_int_equal(acd_core_queue_rules(h->c, "none", &r), ACD_ENOQUEUE);
    assert_int_equal(acd_core_queue_rules(NULL, "es", &r), -EINVAL);
}

/* Bad skill settings are refused and change nothing. */
static void test_invalid_skills(void **state)
{
    h_t *h = *state;
    static const acd_core_skill_t lvl0[] = {{"spanish", 0}};
    static const acd_core_skill_t lvl11[] = {{"spanish", 11}};
    static const acd_core_skill_t dup[] = {{"spanish", 2}, {"spanish", 3}};
    static const acd_core_skill_t noname[] = {{"", 2}};
    static const acd_core_relax_t r_unknown[] = {{1000, "french", 1}};
    static const acd_core_relax_t r_at0[] = {{0, "spanish", 1}};
    static const acd_core_relax_t r_lvl[] = {{1000, "spanish", 11}};
    static acd_core_skill_t many[ACD_SKILLS_MAX + 1];
    static char names[ACD_SKILLS_MAX + 1][8];
    for (int i = 0; i <= ACD_SKILLS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "s%d", i);
        many[i] = (acd_core_skill_t){names[i], 1};
    }
    static const struct {
        bool agent; /* else the es queue */
        const acd_core_skill_t *skills;
        size_t n;
        const acd_core_relax_t *relax;
        size_t n_relax;
    } bad[] = {
        {false, lvl0, 1, NULL, 0},     {false, lvl11, 1, NULL, 0},
        {false, dup, 2, NULL, 0},      {false, noname, 1, NULL, 0},
        {false, sk_es, 1, r_unknown, 1}, {false, sk_es, 1, r_at0, 1},
        {false, sk_es, 1, r_lvl, 1},   {false, NULL, 1, NULL, 0},
        {false, many, ACD_SKILLS_MAX + 1, NULL, 0},
        {true, lvl11, 1, NULL, 0},     {true, dup, 2, NULL, 0},
        {true, NULL, 1, NULL, 0},
    };
    assert_int_equal(h_arrive(h, "c1", "100", "es", 0), 0);
    static h_snap_t before, after;
    h_snapshot(h, &before);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_core_queue_cfg_t queues[3];
        acd_core_agent_cfg_t agents[6];
        memcpy(queues, sk_queues, sizeof(queues));
        memcpy(agents, sk_agents, sizeof(agents));
        if (bad[i].agent) {
            agents[0].skills = bad[i].skills;
            agents[0].n_skills = bad[i].n;
        } else {
            queues[0].skills = bad[i].skills;
            queues[0].n_skills = bad[i].n;
            queues[0].relax = bad[i].relax;
            queues[0].n_relax = bad[i].n_relax;
        }
        acd_core_cfg_t cfg = sk_cfg;
        cfg.queues = queues;
        cfg.agents = agents;
        acd_actions_reset(&h->out);
        if (acd_core_configure(h->c, &cfg, h->now, &h->out) != -EINVAL)
            fail_msg("bad skill setting %zu accepted", i);
        assert_int_equal(h->out.n, 0);
        h_check(h);
        h_snapshot(h, &after);
        assert_string_equal(before.s, after.s);
    }
    /* The full set of 16 is fine. */
    acd_core_queue_cfg_t queues[3];
    memcpy(queues, sk_queues, sizeof(queues));
    queues[2].skills = many;
    queues[2].n_skills = ACD_SKILLS_MAX;
    acd_core_cfg_t cfg = sk_cfg;
    cfg.queues = queues;
    h_reconfigure(h, &cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_best_match_first, sk_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_relax_by_tick, sk_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_relaxed_best_match, sk_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_stuck_head_lets_relaxed_call_out, sk_setup,
                                        h_teardown),
        cmocka_unit_test_setup_teardown(test_relaxed_call_keeps_global_order, sk_setup,
                                        h_teardown),
        cmocka_unit_test_setup_teardown(test_reconfigure_skills, sk_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_rules_view, sk_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_skills, sk_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
