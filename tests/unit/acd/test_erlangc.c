/* test_erlangc.c - Erlang C against the DOMAIN.md vector, its edges and a large N. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "acd/erlangc.h"

/*
 * Rounds to want at 4 decimals, the precision the vector is given in (cmocka's float
 * compare works in single precision, too coarse for this).
 */
#define assert_4dp(got, want) assert_int_equal(lround((got)*1e4), lround((want)*1e4))

/* ../shared/DOMAIN.md: 100 calls per 30 min, AHT 180 s, target 80/20. */
#define V_CALLS 100.0
#define V_AHT 180.0
#define V_INTERVAL 1800.0
#define V_T 20.0
#define V_TARGET 0.80

static void test_vector_traffic(void **state)
{
    (void)state;
    double a = -1;
    assert_int_equal(acd_erlangc_traffic(V_CALLS, V_AHT, V_INTERVAL, &a), 0);
    assert_4dp(a, 10.0);
}

static void test_vector_13_agents(void **state)
{
    (void)state;
    acd_erlangc_t r;
    assert_int_equal(acd_erlangc_eval(10.0, 13, V_AHT, V_T, &r), 0);
    assert_true(r.stable);
    assert_int_equal(r.agents, 13);
    assert_4dp(r.traffic, 10.0);
    assert_4dp(r.wait_prob, 0.2853);
    assert_4dp(r.service_level, 0.7956);
    double ec = -1;
    assert_int_equal(acd_erlangc_wait_prob(13, 10.0, &ec), 0);
    assert_4dp(ec, 0.2853);
}

static void test_vector_14_agents(void **state)
{
    (void)state;
    acd_erlangc_t r;
    assert_int_equal(acd_erlangc_eval(10.0, 14, V_AHT, V_T, &r), 0);
    assert_true(r.stable);
    assert_4dp(r.wait_prob, 0.1741);
    assert_4dp(r.service_level, 0.8884);
    assert_int_equal(lround(r.asa_s * 100), 784); /* given to 2 decimals */
    assert_4dp(r.occupancy, 0.7143);
}

static void test_vector_recommendation(void **state)
{
    (void)state;
    unsigned n = 0, staffed = 0;
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, V_TARGET, V_T, &n), 0);
    assert_int_equal(n, 14);
    assert_int_equal(acd_erlangc_with_shrinkage(n, 0.30, &staffed), 0);
    assert_int_equal(staffed, 20); /* 14 / 0.7 is a hair above 20 in doubles */
    assert_int_equal(acd_erlangc_with_shrinkage(n, 0.0, &staffed), 0);
    assert_int_equal(staffed, 14);
    assert_int_equal(acd_erlangc_with_shrinkage(13, 0.30, &staffed), 0);
    assert_int_equal(staffed, 19); /* 18.57 up */
}

/* N <= A: the queue grows without bound. */
static void test_unstable(void **state)
{
    (void)state;
    static const unsigned ns[] = {0, 1, 9, 10};
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        acd_erlangc_t r;
        assert_int_equal(acd_erlangc_eval(10.0, ns[i], V_AHT, V_T, &r), 0);
        assert_false(r.stable);
        assert_int_equal(r.agents, ns[i]);
        assert_float_equal(r.wait_prob, 1.0, 0);
        assert_float_equal(r.service_level, 0.0, 0);
        assert_true(isinf(r.asa_s));
        assert_float_equal(r.occupancy, 1.0, 0);
        double ec = 0;
        assert_int_equal(acd_erlangc_wait_prob(ns[i], 10.0, &ec), 0);
        assert_float_equal(ec, 1.0, 0);
    }
    /* Just above: stable, almost everybody waits. */
    acd_erlangc_t r;
    assert_int_equal(acd_erlangc_eval(10.0, 11, V_AHT, V_T, &r), 0);
    assert_true(r.stable);
    assert_true(r.wait_prob > 0.6 && r.wait_prob < 1.0);
}

/* No calls: nobody is needed (erlangc.h says why 0, not 1). */
static void test_zero_traffic(void **state)
{
    (void)state;
    double a = -1;
    assert_int_equal(acd_erlangc_traffic(0, V_AHT, V_INTERVAL, &a), 0);
    assert_float_equal(a, 0.0, 0);
    for (unsigned n = 0; n < 3; n++) {
        acd_erlangc_t r;
        assert_int_equal(acd_erlangc_eval(0.0, n, V_AHT, V_T, &r), 0);
        assert_true(r.stable);
        assert_float_equal(r.wait_prob, 0.0, 0);
        assert_float_equal(r.service_level, 1.0, 0);
        assert_float_equal(r.asa_s, 0.0, 0);
        assert_float_equal(r.occupancy, 0.0, 0);
    }
    unsigned n = 99;
    assert_int_equal(acd_erlangc_agents(0.0, V_AHT, V_TARGET, V_T, &n), 0);
    assert_int_equal(n, 0);
}

/* The recursion stays finite where factorials and A^N would overflow a double. */
static void test_large_n(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(acd_erlangc_agents(500.0, V_AHT, V_TARGET, V_T, &n), 0);
    assert_true(n > 500 && n < 560);
    acd_erlangc_t below, at;
    assert_int_equal(acd_erlangc_eval(500.0, n - 1, V_AHT, V_T, &below), 0);
    assert_int_equal(acd_erlangc_eval(500.0, n, V_AHT, V_T, &at), 0);
    assert_true(isfinite(at.wait_prob) && isfinite(at.service_level) && isfinite(at.asa_s));
    assert_true(below.service_level < V_TARGET);
    assert_true(at.service_level >= V_TARGET);
    assert_true(at.occupancy > 0.9 && at.occupancy < 1.0); /* economies of scale */

    /* Far past A everything converges: nobody waits. */
    acd_erlangc_t far;
    assert_int_equal(acd_erlangc_eval(500.0, 5000, V_AHT, V_T, &far), 0);
    assert_true(isfinite(far.wait_prob) && far.wait_prob >= 0.0 && far.wait_prob < 1e-12);
    assert_true(fabs(far.service_level - 1.0) < 1e-12);

    /* Monotone: more agents never lower the service level. */
    double prev = 0;
    for (unsigned k = 501; k < 600; k++) {
        acd_erlangc_t r;
        assert_int_equal(acd_erlangc_eval(500.0, k, V_AHT, V_T, &r), 0);
        assert_true(r.service_level >= prev);
        prev = r.service_level;
    }
}

static void test_target_and_threshold(void **state)
{
    (void)state;
    unsigned n = 0, strict = 0;
    /* t = 0: SL is the share that never waits, 1 - EC. */
    acd_erlangc_t r;
    assert_int_equal(acd_erlangc_eval(10.0, 14, V_AHT, 0.0, &r), 0);
    assert_4dp(r.service_level, 1.0 - 0.1741);
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, V_TARGET, 0.0, &n), 0);
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, 0.95, V_T, &strict), 0);
    assert_true(n >= 14 && strict > 14);
    /* A fractional traffic works like any other: one agent answers only half at once. */
    assert_int_equal(acd_erlangc_agents(0.5, V_AHT, V_TARGET, V_T, &n), 0);
    assert_int_equal(n, 2);
    /* Too much traffic to staff. */
    assert_int_equal(acd_erlangc_agents(1e9, V_AHT, V_TARGET, V_T, &n), -ERANGE);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    double a, ec;
    unsigned n = 77;
    acd_erlangc_t r = {.agents = 77};
    assert_int_equal(acd_erlangc_traffic(100, 180, 1800, NULL), -EINVAL);
    assert_int_equal(acd_erlangc_traffic(-1, 180, 1800, &a), -EINVAL);
    assert_int_equal(acd_erlangc_traffic(100, -1, 1800, &a), -EINVAL);
    assert_int_equal(acd_erlangc_traffic(100, 180, 0, &a), -EINVAL);
    assert_int_equal(acd_erlangc_traffic(NAN, 180, 1800, &a), -EINVAL);
    assert_int_equal(acd_erlangc_traffic(100, INFINITY, 1800, &a), -EINVAL);
    assert_int_equal(acd_erlangc_wait_prob(10, -1.0, &ec), -EINVAL);
    assert_int_equal(acd_erlangc_wait_prob(10, NAN, &ec), -EINVAL);
    assert_int_equal(acd_erlangc_wait_prob(10, 1.0, NULL), -EINVAL);
    assert_int_equal(acd_erlangc_eval(10.0, 14, 0.0, V_T, &r), -EINVAL);
    assert_int_equal(acd_erlangc_eval(10.0, 14, V_AHT, -1.0, &r), -EINVAL);
    assert_int_equal(acd_erlangc_eval(INFINITY, 14, V_AHT, V_T, &r), -EINVAL);
    assert_int_equal(acd_erlangc_eval(10.0, 14, V_AHT, V_T, NULL), -EINVAL);
    assert_int_equal(r.agents, 77); /* untouched on error */
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, 0.0, V_T, &n), -EINVAL);
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, 1.0, V_T, &n), -EINVAL);
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, NAN, V_T, &n), -EINVAL);
    assert_int_equal(acd_erlangc_agents(10.0, 0.0, V_TARGET, V_T, &n), -EINVAL);
    assert_int_equal(acd_erlangc_agents(10.0, V_AHT, V_TARGET, V_T, NULL), -EINVAL);
    assert_int_equal(n, 77);
    assert_int_equal(acd_erlangc_with_shrinkage(14, 1.0, &n), -EINVAL);
    assert_int_equal(acd_erlangc_with_shrinkage(14, -0.1, &n), -EINVAL);
    assert_int_equal(acd_erlangc_with_shrinkage(14, NAN, &n), -EINVAL);
    assert_int_equal(acd_erlangc_with_shrinkage(14, 0.3, NULL), -EINVAL);
    assert_int_equal(acd_erlangc_with_shrinkage(ACD_ERLANGC_MAX_AGENTS, 0.5, &n), -ERANGE);
    assert_int_equal(n, 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_traffic),   cmocka_unit_test(test_vector_13_agents),
        cmocka_unit_test(test_vector_14_agents), cmocka_unit_test(test_vector_recommendation),
        cmocka_unit_test(test_unstable),         cmocka_unit_test(test_zero_traffic),
        cmocka_unit_test(test_large_n),          cmocka_unit_test(test_target_and_threshold),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
