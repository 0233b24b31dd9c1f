/* test_config_cdr.c - the cdr section: the JSON lines path, the optional CSV path, and a
 * CSV path that is the JSON one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define MIN                                                                                \
    "site: {name: one, address: 127.0.0.1}\n"                                              \
    "tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n"                             \
    "queues: [{name: main, tenant: demo}]\n"

static int load(const char *yaml, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return acd_config_load_string(yaml, strlen(yaml), "t.yaml", cfgp, errs);
}

static void test_csv_off_by_default(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(load(MIN, &cfg, &errs), 0);
    assert_string_equal(cfg->cdr_path, "/var/lib/acdd/cdr.jsonl");
    assert_null(cfg->cdr_csv_path);
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

static void test_csv_path(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    const char *yaml = MIN "cdr: {path: /tmp/x/cdr.jsonl, csv_path: /tmp/x/cdr.csv}\n";
    assert_int_equal(load(yaml, &cfg, &errs), 0);
    assert_string_equal(cfg->cdr_path, "/tmp/x/cdr.jsonl");
    assert_string_equal(cfg->cdr_csv_path, "/tmp/x/cdr.csv");
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

static void test_csv_path_errors(void **state)
{
    (void)state;
    static const struct {
        const char *cdr, *says;
    } cases[] = {
        {"cdr: {path: /tmp/c, csv_path: /tmp/c}\n", "file of their own"},
        {"cdr: {csv_path: /var/lib/acdd/cdr.jsonl}\n", "file of their own"}, /* the default */
        {"cdr: {csv_path: \"\"}\n", "must not be empty"},
        {"cdr: {csv_path: [a]}\n", "csv_path"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "%s%s", MIN, cases[i].cdr);
        acd_config_t *cfg = NULL;
        acd_config_errors_t errs = {0};
        int rc = load(yaml, &cfg, &errs);
        bool found = false;
        for (size_t k = 0; k < errs.n; k++)
            found = found || (errs.v[k].line == 4 && strstr(errs.v[k].message, cases[i].says));
        if (rc == 0 || !found) {
            acd_config_errors_print(&errs, "t.yaml", stdout);
            fail_msg("case %zu: rc %d, no error on line 4 saying '%s'", i, rc, cases[i].says);
        }
        assert_null(cfg);
        acd_config_errors_fini(&errs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_off_by_default),
        cmocka_unit_test(test_csv_path),
        cmocka_unit_test(test_csv_path_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
