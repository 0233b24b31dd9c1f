/* config_cases.h - config test helpers: load a string, expect success or file:line errors. */
#ifndef ACD_TEST_CONFIG_CASES_H
#define ACD_TEST_CONFIG_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/err.h"

/* Loads the site file yaml (named t.yaml in messages). */
static inline int cfg_load(const char *yaml, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return acd_config_load_string(yaml, strlen(yaml), "t.yaml", cfgp, errs);
}

/* Loads yaml, which must be valid, and returns the config (the caller frees it). */
static inline acd_config_t *cfg_load_ok(const char *yaml)
{
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = cfg_load(yaml, &cfg, &errs);
    if (rc != 0)
        acd_config_errors_print(&errs, "t.yaml", stdout);
    assert_int_equal(rc, 0);
    assert_int_equal(errs.n, 0);
    acd_config_errors_fini(&errs);
    assert_non_null(cfg);
    return cfg;
}

/* Loads yaml as a shared config, which must be valid (named s.yaml in messages). */
static inline acd_config_t *cfg_shared_load_ok(const char *yaml)
{
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = acd_config_shared_load_string(yaml, strlen(yaml), "s.yaml", &cfg, &errs);
    if (rc != 0)
        acd_config_errors_print(&errs, "s.yaml", stdout);
    assert_int_equal(rc, 0);
    acd_config_errors_fini(&errs);
    assert_non_null(cfg);
    return cfg;
}

/* A file that must be refused with msg (a part of the message) at line. */
typedef struct cfg_err_case {
    const char *what;
    const char *yaml;
    int line;
    const char *msg;
} cfg_err_case_t;

/* Loads every case: each is refused (ACD_ECONFIG, no config) with its error at its line. */
static inline void cfg_expect_errors(const cfg_err_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cfg_err_case_t *c = &cases[i];
        acd_config_t *cfg = NULL;
        acd_config_errors_t errs = {0};
        int rc = cfg_load(c->yaml, &cfg, &errs);
        bool found = false;
        for (size_t j = 0; j < errs.n; j++)
            found = found || (errs.v[j].line == c->line && strstr(errs.v[j].message, c->msg));
        if (rc != ACD_ECONFIG || !found) {
            printf("case '%s': rc=%d, wanted line %d: ...%s...; got:\n", c->what, rc, c->line,
                   c->msg);
            acd_config_errors_print(&errs, "t.yaml", stdout);
        }
        assert_int_equal(rc, ACD_ECONFIG);
        assert_true(found);
        assert_null(cfg);
        acd_config_errors_fini(&errs);
    }
}

#endif
