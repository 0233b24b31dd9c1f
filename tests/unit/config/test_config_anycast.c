/* test_config_anycast.c - the `anycast:` section: defaults, values, file:line errors, merge. */
#include "config_cases.h"

/* A valid single site on lines 1-4; the anycast section under test comes after it. */
#define BASE                                                                                       \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n"                                     \
    "queues: [{name: main, tenant: demo}]\n"                                                       \
    "agents: [{id: \"2001\", queues: [main]}]\n"

static void test_absent(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE);
    assert_false(cfg->anycast);
    assert_null(cfg->anycast_address);
    assert_null(cfg->anycast_interface);
    /* Without anycast, SIP listens on the site's unicast address as before. */
    assert_string_equal(cfg->sip_listen, "192.0.2.10");
    acd_config_free(cfg);

    /* A key with no value is a key left out (docs/config.md). */
    cfg = cfg_load_ok(BASE "anycast:\n");
    assert_false(cfg->anycast);
    acd_config_free(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE "anycast: {address: 198.18.0.1}\n");
    assert_true(cfg->anycast);
    assert_string_equal(cfg->anycast_address, "198.18.0.1");
    assert_string_equal(cfg->anycast_interface, "lo");
    assert_int_equal(cfg->anycast_prefix_len, 32);
    /* Calls to the anycast address need a socket bound to every address. */
    assert_string_equal(cfg->sip_listen, "0.0.0.0");
    acd_config_free(cfg);
}

static void test_values(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE "sip: {listen: 0.0.0.0}\n"
                                         "anycast:\n"
                                         "  address: 198.19.255.7\n"
                                         "  interface: anycast0\n"
                                         "  prefix_len: 31\n");
    assert_string_equal(cfg->anycast_address, "198.19.255.7");
    assert_string_equal(cfg->anycast_interface, "anycast0");
    assert_int_equal(cfg->anycast_prefix_len, 31);
    assert_string_equal(cfg->sip_listen, "0.0.0.0");
    acd_config_free(cfg);

    cfg = cfg_load_ok(
        BASE "sip: {listen: \"::\"}\nanycast: {address: 198.18.0.1, interface: eth0.100}\n");
    assert_string_equal(cfg->sip_listen, "::");
    assert_string_equal(cfg->anycast_interface, "eth0.100");
    acd_config_free(cfg);
}

/* A site file's anycast section survives the merge with a cluster's shared config. */
static void test_merge_keeps_section(void **state)
{
    (void)state;
    acd_config_t *site =
        cfg_load_ok(BASE "anycast: {address: 198.18.0.1, interface: lo, prefix_len: 32}\n");
    static const char shared_yaml[] = "tenants: [{name: t2, dids: [\"2000\"], queue: q2}]\n"
                                      "queues: [{name: q2, tenant: t2}]\n";
    acd_config_t *shared = NULL, *merged = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(
        acd_config_shared_load_string(shared_yaml, strlen(shared_yaml), "s.yaml", &shared, &errs),
        0);
    assert_int_equal(acd_config_merge(site, shared, &merged), 0);
    assert_true(merged->anycast);
    assert_string_equal(merged->anycast_address, "198.18.0.1");
    assert_string_equal(merged->anycast_interface, "lo");
    assert_int_equal(merged->anycast_prefix_len, 32);
    assert_ptr_not_equal(merged->anycast_address, site->anycast_address); /* a deep copy */
    assert_string_equal(merged->tenants[0].name, "t2");
    acd_config_free(merged);
    acd_config_free(shared);
    acd_config_free(site);
    acd_config_errors_fini(&errs);

    /* The section belongs to a site file: a shared config may not carry it. */
    static const char bad[] = "anycast: {address: 198.18.0.1}\n"
                              "queues: [{name: q2, tenant: t2}]\n";
    shared = NULL;
    assert_int_equal(acd_config_shared_load_string(bad, strlen(bad), "s.yaml", &shared, &errs),
                     ACD_ECONFIG);
    assert_null(shared);
    acd_config_errors_fini(&errs);
}

static const cfg_err_case_t err_cases[] = {
    {"address missing", BASE "anycast: {interface: lo}\n", 5, "missing required key 'address'"},
    {"not a mapping", BASE "anycast: 198.18.0.1\n", 5, "expected a mapping for 'anycast'"},
    {"unknown key", BASE "anycast: {address: 198.18.0.1, iface: lo}\n", 5,
     "unknown key 'iface' in anycast"},
    {"IPv6", BASE "anycast: {address: \"2001:db8::1\"}\n", 5, "must be an IPv4 address"},
    {"host name", BASE "anycast: {address: sip.example.com}\n", 5, "must be an IPv4 address"},
    {"with a prefix", BASE "anycast: {address: 198.18.0.1/32}\n", 5, "must be an IPv4 address"},
    {"loopback", BASE "anycast: {address: 127.0.0.1}\n", 5, "cannot be an anycast address"},
    {"unspecified", BASE "anycast: {address: 0.0.0.0}\n", 5, "cannot be an anycast address"},
    {"multicast", BASE "anycast: {address: 224.0.0.5}\n", 5, "cannot be an anycast address"},
    {"broadcast", BASE "anycast: {address: 255.255.255.255}\n", 5, "cannot be an anycast address"},
    {"prefix_len 0", BASE "anycast: {address: 198.18.0.1, prefix_len: 0}\n", 5,
     "'prefix_len' must be between 1 and 32"},
    {"prefix_len 33", BASE "anycast: {address: 198.18.0.1, prefix_len: 33}\n", 5,
     "'prefix_len' must be between 1 and 32"},
    {"prefix_len text", BASE "anycast: {address: 198.18.0.1, prefix_len: all}\n", 5,
     "expected a number for 'prefix_len'"},
    {"interface too long", BASE "anycast: {address: 198.18.0.1, interface: abcdefghijklmnop}\n", 5,
     "must be an interface name"},
    {"interface slash", BASE "anycast: {address: 198.18.0.1, interface: a/b}\n", 5,
     "must be an interface name"},
    {"interface label", BASE "anycast: {address: 198.18.0.1, interface: \"lo:1\"}\n", 5,
     "must be an interface name"},
    {"interface dot", BASE "anycast: {address: 198.18.0.1, interface: ..}\n", 5,
     "must be an interface name"},
    {"site address", BASE "anycast: {address: 192.0.2.10}\n", 5, "is also site.address"},
    {"admin address", BASE "admin: {listen: 198.18.0.1}\nanycast: {address: 198.18.0.1}\n", 6,
     "is also admin.listen"},
    {"sip on unicast", BASE "sip: {listen: 192.0.2.10}\nanycast: {address: 198.18.0.1}\n", 5,
     "set sip.listen to 0.0.0.0"},
    {"sip on the anycast address",
     BASE "sip:\n  listen: 198.18.0.1\nanycast: {address: 198.18.0.1}\n", 6,
     "a socket bound to every address"},
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
        cmocka_unit_test(test_values),      cmocka_unit_test(test_merge_keeps_section),
        cmocka_unit_test(test_error_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
