/* test_config_queue_log.c - the queue_log section: its default next to the CDR, off, errors. */
#include "config_cases.h"

#define SITE "site: {name: mad, address: 192.0.2.10}\n" /* line 1 */

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(SITE);
    assert_string_equal(cfg->queue_log_path, "/var/lib/acdd/queue_log-mad");
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "cdr: {path: /srv/calls/cdr-a.jsonl}\n");
    assert_string_equal(cfg->queue_log_path, "/srv/calls/queue_log-mad");
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "cdr: {path: cdr.jsonl}\n"); /* relative: the working directory */
    assert_string_equal(cfg->queue_log_path, "queue_log-mad");
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "cdr: {path: \"-\"}\n"); /* CDRs on stdout: no directory, off */
    assert_null(cfg->queue_log_path);
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "cdr: {path: \"-\"}\nqueue_log: {path: /var/log/acdd/queue_log}\n");
    assert_string_equal(cfg->queue_log_path, "/var/log/acdd/queue_log");
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "queue_log: {enabled: false, path: /var/log/acdd/queue_log}\n");
    assert_null(cfg->queue_log_path);
    acd_config_free(cfg);

    cfg = cfg_load_ok(SITE "queue_log: {enabled: true}\n");
    assert_string_equal(cfg->queue_log_path, "/var/lib/acdd/queue_log-mad");
    acd_config_free(cfg);
}

/* The path survives the merge with a cluster's shared config (a copy of its own). */
static void test_merge_keeps_path(void **state)
{
    (void)state;
    acd_config_t *site = cfg_load_ok(SITE "queue_log: {path: /q/log}\n");
    acd_config_t none;
    memset(&none, 0, sizeof(none));
    acd_config_t *m = NULL;
    assert_int_equal(acd_config_merge(site, &none, &m), 0);
    assert_string_equal(m->queue_log_path, "/q/log");
    assert_ptr_not_equal(m->queue_log_path, site->queue_log_path);
    acd_config_free(m);
    acd_config_free(site);
}

static const cfg_err_case_t err_cases[] = {
    {"stdout", SITE "queue_log: {path: \"-\"}\n", 2, "'path' must be a file: the queue_log cannot"},
    {"empty", SITE "queue_log: {path: \"\"}\n", 2, "'path' must not be empty"},
    {"cdr file", SITE "cdr: {path: /x/c}\nqueue_log: {path: /x/c}\n", 3,
     "queue_log.path is a CDR file (/x/c)"},
    {"enabled text", SITE "queue_log: {enabled: maybe}\n", 2, "'enabled' must be true or false"},
    {"unknown key", SITE "queue_log: {file: /x}\n", 2, "unknown key 'file'"},
    {"not a mapping", SITE "queue_log: /x\n", 2, "expected a mapping for 'queue_log'"},
};

static void test_errors(void **state)
{
    (void)state;
    cfg_expect_errors(err_cases, sizeof(err_cases) / sizeof(err_cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_merge_keeps_path),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
