/* test_config_callback.c - a tenant's `callback:` section: defaults, values, errors, merge. */
#include "config_cases.h"

/* A valid single site on lines 1-3 but for its tenant, which comes on line 4 (and on). */
#define BASE                                                                                       \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "queues: [{name: main, tenant: demo}]\n"                                                       \
    "agents: [{id: \"2001\", queues: [main]}]\n"
#define TENANT "tenants:\n  - name: demo\n    dids: [\"1000\"]\n    queue: main\n"

static void test_absent(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE TENANT);
    assert_false(cfg->tenants[0].callback);
    assert_null(cfg->tenants[0].callback_trunk);
    acd_config_free(cfg);
    /* A key with no value is a key left out (docs/config.md). */
    cfg = cfg_load_ok(BASE TENANT "    callback:\n");
    assert_false(cfg->tenants[0].callback);
    acd_config_free(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE TENANT "    callback: {trunk: \"sip:198.18.0.1\"}\n");
    const acd_cfg_tenant_t *t = &cfg->tenants[0];
    assert_true(t->callback);
    assert_string_equal(t->callback_trunk, "sip:198.18.0.1");
    assert_null(t->callback_caller_id); /* the number the caller dialled */
    assert_int_equal(t->callback_delay_ms, 10000);
    assert_int_equal(t->callback_attempts, 2);
    assert_int_equal(t->callback_ring_ms, 30000);
    acd_config_free(cfg);
}

static void test_values(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE TENANT "    callback:\n"
                                                "      trunk: \"sip:198.18.0.1:5062\"\n"
                                                "      caller_id: 1000\n"
                                                "      delay: 2.5\n"
                                                "      attempts: 3\n"
                                                "      ring_timeout: 20\n");
    const acd_cfg_tenant_t *t = &cfg->tenants[0];
    assert_string_equal(t->callback_trunk, "sip:198.18.0.1:5062");
    assert_string_equal(t->callback_caller_id, "1000");
    assert_int_equal(t->callback_delay_ms, 2500);
    assert_int_equal(t->callback_attempts, 3);
    assert_int_equal(t->callback_ring_ms, 20000);
    acd_config_free(cfg);

    cfg = cfg_load_ok(BASE TENANT "    callback: {trunk: \"sip:[2001:db8::7]:5060\", delay: 0}\n");
    assert_string_equal(cfg->tenants[0].callback_trunk, "sip:[2001:db8::7]:5060");
    assert_int_equal(cfg->tenants[0].callback_delay_ms, 0);
    acd_config_free(cfg);
}

/* A shared config's tenant brings its callback with it, deep-copied into the merge. */
static void test_merge(void **state)
{
    (void)state;
    acd_config_t *site = cfg_load_ok(BASE TENANT);
    static const char shared_yaml[] = "tenants: [{name: t2, dids: [\"2000\"], queue: q2,\n"
                                      "           callback: {trunk: \"sip:198.18.0.9:5070\", "
                                      "caller_id: \"2000\", attempts: 1}}]\n"
                                      "queues: [{name: q2, tenant: t2}]\n";
    acd_config_t *shared = NULL, *merged = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(
        acd_config_shared_load_string(shared_yaml, strlen(shared_yaml), "s.yaml", &shared, &errs),
        0);
    assert_int_equal(acd_config_merge(site, shared, &merged), 0);
    const acd_cfg_tenant_t *t = &merged->tenants[0];
    assert_true(t->callback);
    assert_string_equal(t->callback_trunk, "sip:198.18.0.9:5070");
    assert_ptr_not_equal(t->callback_trunk, shared->tenants[0].callback_trunk);
    assert_string_equal(t->callback_caller_id, "2000");
    assert_ptr_not_equal(t->callback_caller_id, shared->tenants[0].callback_caller_id);
    assert_int_equal(t->callback_attempts, 1);
    acd_config_free(merged);
    acd_config_free(shared);
    acd_config_free(site);
    acd_config_errors_fini(&errs);
}

#define CB(body) BASE TENANT "    callback: {" body "}\n"

static const cfg_err_case_t err_cases[] = {
    {"trunk missing", CB("delay: 5"), 8, "missing required key 'trunk' in callback"},
    {"not a mapping", BASE TENANT "    callback: yes\n", 8, "expected a mapping for 'callback'"},
    {"unknown key", CB("trunk: \"sip:198.18.0.1\", retries: 2"), 8,
     "unknown key 'retries' in callback"},
    {"trunk user part", CB("trunk: \"sip:carrier@198.18.0.1\""), 8,
     "'trunk' must be a SIP URI of the carrier's trunk"},
    {"trunk host name", CB("trunk: \"sip:trunk.example.com:5060\""), 8,
     "(an IP address and optional port, no user part; got 'sip:trunk.example.com:5060')"},
    {"trunk no scheme", CB("trunk: \"198.18.0.1:5060\""), 8, "'trunk' must be a SIP URI"},
    {"trunk sips", CB("trunk: \"sips:198.18.0.1\""), 8, "'trunk' must be a SIP URI"},
    {"trunk port 0", CB("trunk: \"sip:198.18.0.1:0\""), 8, "'trunk' must be a SIP URI"},
    {"trunk port big", CB("trunk: \"sip:198.18.0.1:65536\""), 8, "'trunk' must be a SIP URI"},
    {"trunk port text", CB("trunk: \"sip:198.18.0.1:sip\""), 8, "'trunk' must be a SIP URI"},
    {"trunk params", CB("trunk: \"sip:198.18.0.1;transport=tcp\""), 8, "'trunk' must be a SIP URI"},
    {"trunk v6 unbracketed", CB("trunk: \"sip:2001:db8::7\""), 8, "'trunk' must be a SIP URI"},
    {"trunk a list", CB("trunk: [\"sip:198.18.0.1\"]"), 8, "'trunk' must be a SIP URI"},
    {"attempts 0", CB("trunk: \"sip:198.18.0.1\", attempts: 0"), 8,
     "'attempts' must be between 1 and 10"},
    {"attempts 11", CB("trunk: \"sip:198.18.0.1\", attempts: 11"), 8,
     "'attempts' must be between 1 and 10"},
    {"delay long", CB("trunk: \"sip:198.18.0.1\", delay: 3601"), 8,
     "'delay' must be between 0 and 3600 seconds"},
    {"delay negative", CB("trunk: \"sip:198.18.0.1\", delay: -1"), 8,
     "'delay' must be between 0 and 3600 seconds"},
    {"ring short", CB("trunk: \"sip:198.18.0.1\", ring_timeout: 0.05"), 8,
     "'ring_timeout' must be between 0.1 and 300 seconds"},
    {"caller_id blank", CB("trunk: \"sip:198.18.0.1\", caller_id: \"10 00\""), 8,
     "bad caller ID '10 00'"},
    {"line of the key",
     BASE TENANT "    callback:\n      trunk: \"sip:198.18.0.1\"\n"
                 "      attempts: 99\n",
     10, "'attempts' must be between 1 and 10"},
};

static void test_error_cases(void **state)
{
    (void)state;
    cfg_expect_errors(err_cases, sizeof(err_cases) / sizeof(err_cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent),      cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),      cmocka_unit_test(test_merge),
        cmocka_unit_test(test_error_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
