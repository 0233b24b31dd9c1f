/* test_config_queue.c - a queue's routing settings (strategy, skills, relaxation, limits,
 * overflow, announcements) and an agent's skills: values, defaults, errors, merge. */
#include "config_cases.h"

/* Lines 1-5: tenants and two other queues; the queue under test starts on line 6. */
#define BASE                                                                                       \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "tenants: [{name: demo, queue: main}, {name: acme, queue: other}]\n"                           \
    "queues:\n"                                                                                    \
    "  - {name: support, tenant: demo}\n"                                                          \
    "  - {name: other, tenant: acme}\n"
/* Lines 6-7; the key under test comes on line 8, inside queue main. */
#define QUEUE BASE "  - name: main\n    tenant: demo\n"

static const char full_yaml[] = QUEUE "    strategy: Round-Robin\n"
                                      "    skills: {es: 1, sales: 3, billing.l2: 10}\n"
                                      "    relax:\n"
                                      "      - {after: 30, skill: sales, level: 1}\n"
                                      "      - {after: 45.5, skill: es, level: 0}\n"
                                      "      - {after: 60, skill: sales, level: 0}\n"
                                      "    max_wait: 120.5\n"
                                      "    max_length: 20\n"
                                      "    overflow: \"queue:support!urgent\"\n"
                                      "    join_empty: true\n"
                                      "    leave_empty: NO\n"
                                      "    announce: 45\n"
                                      "    announce_position: false\n"
                                      "    announce_wait: yes\n"
                                      "    saturated_at: 8\n"
                                      "    callback_offer: True\n"
                                      "  - {name: third, tenant: demo, strategy: fewest-calls, "
                                      "announce: 0, overflow: voicemail}\n"
                                      "agents:\n"
                                      "  - {id: \"2002\", queues: [main, third], skills: {es: 5, "
                                      "en: 2}}\n";

static void assert_skill(const acd_cfg_skill_t *s, const char *name, int level)
{
    assert_string_equal(s->name, name);
    assert_int_equal(s->level, level);
}

static void assert_relax(const acd_cfg_relax_t *r, int after_ms, const char *skill, int level)
{
    assert_int_equal(r->after_ms, after_ms);
    assert_string_equal(r->skill, skill);
    assert_int_equal(r->level, level);
}

/* The queues and agents of full_yaml, read from a site file or merged from a shared one. */
static void assert_full(const acd_config_t *cfg)
{
    assert_int_equal(cfg->n_queues, 4);
    const acd_cfg_queue_t *q = &cfg->queues[2];
    assert_string_equal(q->name, "main");
    assert_string_equal(q->strategy, "round-robin");
    assert_int_equal(q->n_skills, 3);
    assert_skill(&q->skills[0], "es", 1);
    assert_skill(&q->skills[1], "sales", 3);
    assert_skill(&q->skills[2], "billing.l2", 10);
    assert_int_equal(q->n_relax, 3);
    assert_relax(&q->relax[0], 30000, "sales", 1);
    assert_relax(&q->relax[1], 45500, "es", 0);
    assert_relax(&q->relax[2], 60000, "sales", 0);
    assert_int_equal(q->max_wait_ms, 120500);
    assert_int_equal(q->max_len, 20);
    assert_string_equal(q->overflow, "queue:support!urgent");
    assert_true(q->join_empty);
    assert_false(q->leave_empty);
    assert_int_equal(q->announce_ms, 45000);
    assert_false(q->announce_position);
    assert_true(q->announce_wait);
    assert_int_equal(q->saturated_at, 8);
    assert_true(q->callback_offer);

    q = &cfg->queues[3];
    assert_string_equal(q->strategy, "fewest-calls");
    assert_int_equal(q->announce_ms, 0);
    assert_string_equal(q->overflow, "voicemail");
    assert_int_equal(q->n_skills, 0);
    assert_null(q->skills);

    assert_int_equal(cfg->n_agents, 1);
    const acd_cfg_agent_t *a = &cfg->agents[0];
    assert_string_equal(a->id, "2002");
    assert_int_equal(a->n_skills, 2);
    assert_skill(&a->skills[0], "es", 5);
    assert_skill(&a->skills[1], "en", 2);
}

static void test_values(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(full_yaml);
    assert_full(cfg);
    acd_config_free(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(QUEUE);
    const acd_cfg_queue_t *q = &cfg->queues[2];
    assert_string_equal(q->strategy, "longest-idle");
    assert_int_equal(q->n_skills, 0);
    assert_int_equal(q->n_relax, 0);
    assert_int_equal(q->max_wait_ms, 0);
    assert_int_equal(q->max_len, 0);
    assert_null(q->overflow);
    assert_false(q->join_empty);
    assert_true(q->leave_empty);
    assert_int_equal(q->announce_ms, 30000);
    assert_true(q->announce_position);
    assert_true(q->announce_wait);
    assert_int_equal(q->saturated_at, 0);
    assert_false(q->callback_offer);
    acd_config_free(cfg);
    cfg = cfg_load_ok(QUEUE "agents: [{id: \"2001\", queues: [main]}]\n");
    assert_int_equal(cfg->agents[0].n_skills, 0);
    assert_null(cfg->agents[0].skills);
    acd_config_free(cfg);
}

/* overflow: sister (the cluster's overflow to the sister site) needs a max_wait. */
static void test_overflow_sister(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(QUEUE "    max_wait: 45\n    overflow: sister\n");
    const acd_cfg_queue_t *q = &cfg->queues[2];
    assert_string_equal(q->name, "main");
    assert_string_equal(q->overflow, "sister");
    assert_int_equal(q->max_wait_ms, 45000);
    acd_config_free(cfg);
}

static void test_merge(void **state)
{
    (void)state;
    acd_config_t *site = cfg_load_ok(QUEUE);
    /* The entries without the site line, as a shared document. */
    const char *doc = strchr(full_yaml, '\n') + 1;
    acd_config_t *shared = cfg_shared_load_ok(doc), *merged = NULL;
    assert_int_equal(acd_config_merge(site, shared, &merged), 0);
    assert_ptr_not_equal(merged->queues[2].skills[0].name, shared->queues[2].skills[0].name);
    assert_ptr_not_equal(merged->queues[2].relax[0].skill, shared->queues[2].relax[0].skill);
    assert_ptr_not_equal(merged->agents[0].skills, shared->agents[0].skills);
    acd_config_free(shared);
    acd_config_free(site);
    assert_full(merged);
    acd_config_free(merged);
}

#define RELAX(steps) QUEUE "    skills: {es: 3, sales: 3}\n    relax:\n" steps

static const cfg_err_case_t err_cases[] = {
    /* skills */
    {"skill level 11", QUEUE "    skills: {es: 1, sales: 11}\n", 8,
     "'skills.sales' must be between 1 and 10 (got 11)"},
    {"skill level 0", QUEUE "    skills: {es: 0}\n", 8, "'skills.es' must be between 1 and 10"},
    {"skill level text", QUEUE "    skills: {es: high}\n", 8,
     "expected a number for 'skills.es' (got 'high')"},
    {"skill twice", QUEUE "    skills:\n      es: 1\n      es: 2\n", 10,
     "skill 'es' is listed twice in 'skills'"},
    {"skill without level", QUEUE "    skills:\n      es:\n", 9,
     "missing level (1..10) for skill 'es'"},
    {"skills a list", QUEUE "    skills: [es, sales]\n", 8,
     "expected a mapping of skills to levels 1..10 for 'skills'"},
    {"bad skill name", QUEUE "    skills: {\"e s\": 1}\n", 8, "bad skill name 'e s'"},
    {"agent skill level", QUEUE "agents: [{id: \"2002\", skills: {en: 12}}]\n", 8,
     "'skills.en' must be between 1 and 10 (got 12)"},
    /* relaxation */
    {"relax after not increasing",
     RELAX(
         "      - {after: 60, skill: es, level: 2}\n      - {after: 30, skill: sales, level: 1}\n"),
     11, "relax step 2 of queue 'main': 'after' 30 s must be later than the step before (60 s)"},
    {"relax after equal",
     RELAX(
         "      - {after: 30, skill: es, level: 2}\n      - {after: 30, skill: sales, level: 1}\n"),
     11, "'after' 30 s must be later than the step before (30 s)"},
    {"relax unknown skill", RELAX("      - {after: 30, skill: fr, level: 1}\n"), 10,
     "relax step 1 of queue 'main' names skill 'fr', which is not one of the queue's skills"},
    {"relax without skills", QUEUE "    relax: [{after: 30, skill: es, level: 0}]\n", 8,
     "names skill 'es', which is not one of the queue's skills"},
    {"relax not lower", RELAX("      - {after: 30, skill: es, level: 3}\n"), 10,
     "relax step 1 of queue 'main': level 3 for skill 'es' must be below the level it relaxes (3)"},
    {"relax after drop",
     RELAX("      - {after: 30, skill: es, level: 0}\n      - {after: 60, skill: es, level: 1}\n"),
     11, "level 1 for skill 'es' must be below the level it relaxes (0)"},
    {"relax level 11", RELAX("      - {after: 30, skill: es, level: 11}\n"), 10,
     "'level' must be between 0 and 10 (got 11)"},
    {"relax no after", RELAX("      - {skill: es, level: 1}\n"), 10,
     "missing required key 'after' in relax entry 1"},
    {"relax after 0", RELAX("      - {after: 0, skill: es, level: 1}\n"), 10,
     "'after' must be between 0.1 and 86400 seconds"},
    {"relax unknown key", RELAX("      - {after: 1, skill: es, level: 1, to: 2}\n"), 10,
     "unknown key 'to' in relax entry 1"},
    /* overflow */
    {"overflow to itself", QUEUE "    overflow: \"queue:main\"\n", 8,
     "overflow of queue 'main' cannot be the queue itself"},
    {"overflow to itself urgent", QUEUE "    overflow: \"queue:main!urgent\"\n", 8,
     "cannot be the queue itself"},
    {"overflow unknown", QUEUE "    overflow: \"queue:nowhere\"\n", 8,
     "overflow of queue 'main' names unknown queue 'nowhere'"},
    {"overflow other tenant", QUEUE "    overflow: \"queue:other\"\n", 8,
     "overflow of queue 'main' names queue 'other', which belongs to tenant 'acme'"},
    {"overflow menu", QUEUE "    overflow: \"menu:main\"\n", 8,
     "target 'menu:main' is not allowed for 'overflow' (use queue:NAME[!urgent|!0..100], "
     "voicemail, callback, hangup or sister)"},
    {"overflow unknown word", QUEUE "    overflow: drop\n", 8,
     "unknown target 'drop' for 'overflow'"},
    {"overflow sister without max_wait", QUEUE "    overflow: sister\n", 8,
     "overflow 'sister' of queue 'main' needs 'max_wait' > 0: how long a call waits for its own"
     " site's agents before other sites' may take it"},
    {"overflow sister max_wait 0", QUEUE "    max_wait: 0\n    overflow: sister\n", 9,
     "overflow 'sister' of queue 'main' needs 'max_wait' > 0"},
    {"overflow sister spelled", QUEUE "    max_wait: 30\n    overflow: Sister\n", 9,
     "unknown target 'Sister' for 'overflow'"},

    /* limits and flags */
    {"max_wait negative", QUEUE "    max_wait: -1\n", 8,
     "'max_wait' must be between 0 and 86400 seconds"},
    {"max_length fraction", QUEUE "    max_length: 1.5\n", 8,
     "expected a whole number for 'max_length'"},
    {"join_empty maybe", QUEUE "    join_empty: maybe\n", 8,
     "'join_empty' must be true or false (got 'maybe')"},
    {"leave_empty number", QUEUE "    leave_empty: 1\n", 8, "'leave_empty' must be true or false"},
    {"callback_offer list", QUEUE "    callback_offer: [true]\n", 8,
     "expected true or false for 'callback_offer'"},
    {"announce 5", QUEUE "    announce: 5\n", 8,
     "'announce' must be 0 (off) or between 10 and 3600 seconds (got 5)"},
    {"announce long", QUEUE "    announce: 3601\n", 8,
     "'announce' must be between 0 and 3600 seconds"},
    {"saturated_at", QUEUE "    saturated_at: -1\n", 8, "'saturated_at' must be between 0 and"},
    {"strategy", QUEUE "    strategy: random\n", 8,
     "unknown strategy 'random' (known: longest-idle, round-robin, fewest-calls)"},
    {"unknown key", QUEUE "    max_len: 3\n", 8, "unknown key 'max_len' in queue 'main'"},
};

static void test_error_cases(void **state)
{
    (void)state;
    cfg_expect_errors(err_cases, sizeof(err_cases) / sizeof(err_cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_overflow_sister),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_error_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
