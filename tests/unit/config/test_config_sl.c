/* test_config_sl.c - a queue's service level settings: values, defaults, errors. */
#include "config_cases.h"

/* Lines 1-3; the queue under test starts on line 4, its keys from line 6 on. */
#define QUEUE                                                                                      \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "tenants: [{name: demo, queue: main}]\n"                                                       \
    "queues:\n"                                                                                    \
    "  - name: main\n"                                                                             \
    "    tenant: demo\n"

static void test_values_and_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg =
        cfg_load_ok(QUEUE "    service_level: {seconds: 30, target: 90}\n    short_abandon: 5\n");
    assert_int_equal(cfg->queues[0].sl_threshold_ms, 30000);
    assert_int_equal(cfg->queues[0].sl_target_pct, 90);
    assert_int_equal(cfg->queues[0].short_abandon_ms, 5000);
    acd_config_free(cfg);

    cfg = cfg_load_ok(QUEUE "    service_level: {target: 70}\n");
    assert_int_equal(cfg->queues[0].sl_threshold_ms, 20000);
    assert_int_equal(cfg->queues[0].sl_target_pct, 70);
    acd_config_free(cfg);

    cfg = cfg_load_ok(QUEUE);
    assert_int_equal(cfg->queues[0].sl_threshold_ms, 20000);
    assert_int_equal(cfg->queues[0].sl_target_pct, 80);
    assert_int_equal(cfg->queues[0].short_abandon_ms, 0);
    acd_config_free(cfg);
}

static const cfg_err_case_t err_cases[] = {
    {"target 0", QUEUE "    service_level: {target: 0}\n", 6,
     "'target' must be between 1 and 100 (got 0)"},
    {"target 101", QUEUE "    service_level: {target: 101}\n", 6, "'target' must be between 1 and 100"},
    {"seconds 0", QUEUE "    service_level: {seconds: 0}\n", 6,
     "'seconds' must be between 1 and 3600 seconds"},
    {"seconds text", QUEUE "    service_level: {seconds: soon}\n", 6, "'seconds'"},
    {"unknown key", QUEUE "    service_level: {seconds: 20, goal: 80}\n", 6, "unknown key 'goal'"},
    {"not a mapping", QUEUE "    service_level: 80\n", 6, "expected a mapping for 'service_level'"},
    {"short abandon negative", QUEUE "    short_abandon: -1\n", 6,
     "'short_abandon' must be between 0 and 3600 seconds"},
};

static void test_errors(void **state)
{
    (void)state;
    cfg_expect_errors(err_cases, sizeof(err_cases) / sizeof(err_cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_defaults),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
