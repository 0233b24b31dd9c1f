/* test_prom.c - the Prometheus text writer: families, labels escaped, numbers exact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/prom.h"

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {1, "1"},
        {0.8, "0.8"},
        {0.25, "0.25"},
        {12.345, "12.345"},
        {1.0 / 3.0, "0.3333333333333333"},
        {9007199254740992.0, "9007199254740992"}, /* 2^53 */
        {1796223508.828, "1796223508.828"},
        {-2.5, "-2.5"},
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        acd_buf_t b = {0};
        assert_int_equal(acd_prom_number(&b, cases[i].v), 0);
        assert_string_equal(b.p, cases[i].text);
        if (!isnan(cases[i].v))
            assert_true(strtod(b.p, NULL) == cases[i].v || isinf(cases[i].v));
        acd_buf_fini(&b);
    }
}

static void test_family_and_samples(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    acd_prom_t p = {.out = &b};
    acd_prom_family(&p, "acd_x_total", "counter", "Calls \\ counted\nhere \"quoted\".");
    acd_prom_label_t l[] = {{"site", "a"}, {"queue", "q\"1\\\n"}, {"tenant", NULL}};
    acd_prom_sample(&p, "acd_x_total", l, 3, 3);
    acd_prom_sample(&p, "acd_x_total", NULL, 0, 0.5);
    assert_int_equal(p.err, 0);
    assert_string_equal(b.p, "# HELP acd_x_total Calls \\\\ counted\\nhere \"quoted\".\n"
                             "# TYPE acd_x_total counter\n"
                             "acd_x_total{site=\"a\",queue=\"q\\\"1\\\\\\n\",tenant=\"\"} 3\n"
                             "acd_x_total 0.5\n");
    acd_buf_fini(&b);
}

/* A remembered error makes later calls no-ops. */
static void test_error_sticks(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    acd_prom_t p = {.out = &b, .err = -12};
    acd_prom_family(&p, "acd_y", "gauge", "y");
    acd_prom_sample(&p, "acd_y", NULL, 0, 1);
    assert_int_equal(p.err, -12);
    assert_int_equal(b.n, 0);
    acd_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_error_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
