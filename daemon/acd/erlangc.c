/* erlangc.c - Erlang C staffing by the Erlang B recursion (see erlangc.h for the model). */
#include "acd/erlangc.h"

#include <errno.h>
#include <math.h>

/* A result this close to a whole number is that number (floating-point noise). */
#define ERLANGC_EPS 1e-9

static bool erlangc_nonneg(double x)
{
    return isfinite(x) && x >= 0.0;
}

static bool erlangc_positive(double x)
{
    return isfinite(x) && x > 0.0;
}

int acd_erlangc_traffic(double calls, double aht_s, double interval_s, double *a)
{
    if (!a || !erlangc_nonneg(calls) || !erlangc_nonneg(aht_s) || !erlangc_positive(interval_s))
        return -EINVAL;
    double v = calls * aht_s / interval_s;
    if (!isfinite(v))
        return -EINVAL;
    *a = v;
    return 0;
}

/* Erlang B of k servers from Erlang B of k - 1: stays in [0, 1] whatever k and a are. */
static double erlangc_b_next(double b, unsigned k, double a)
{
    return a * b / ((double)k + a * b);
}

/* EC from N, A and Erlang B of N servers; the caller made sure N > A > 0. */
static double erlangc_c_from_b(unsigned n, double a, double b)
{
    return (double)n * b / ((double)n - a * (1.0 - b));
}

int acd_erlangc_wait_prob(unsigned n, double a, double *ec)
{
    if (!ec || !erlangc_nonneg(a))
        return -EINVAL;
    if (a == 0.0) {
        *ec = 0.0;
        return 0;
    }
    if ((double)n <= a) {
        *ec = 1.0;
        return 0;
    }
    double b = 1.0;
    for (unsigned k = 1; k <= n; k++)
        b = erlangc_b_next(b, k, a);
    *ec = erlangc_c_from_b(n, a, b);
    return 0;
}

/* Fills out for a stable N > A > 0 whose wait probability is ec. */
static void erlangc_fill(acd_erlangc_t *out, double a, unsigned n, double ec, double aht_s,
                         double t_s)
{
    double spare = (double)n - a;
    *out = (acd_erlangc_t){
        .traffic = a,
        .agents = n,
        .stable = true,
        .wait_prob = ec,
        .service_level = 1.0 - ec * exp(-spare * t_s / aht_s),
        .asa_s = ec * aht_s / spare,
        .occupancy = a / (double)n,
    };
}

static bool erlangc_args_ok(double a, double aht_s, double t_s)
{
    return erlangc_nonneg(a) && erlangc_positive(aht_s) && erlangc_nonneg(t_s);
}

int acd_erlangc_eval(double a, unsigned n, double aht_s, double t_s, acd_erlangc_t *out)
{
    if (!out || !erlangc_args_ok(a, aht_s, t_s))
        return -EINVAL;
    if (a == 0.0) {
        *out = (acd_erlangc_t){.agents = n, .stable = true, .service_level = 1.0};
        return 0;
    }
    if ((double)n <= a) {
        *out = (acd_erlangc_t){
            .traffic = a, .agents = n, .wait_prob = 1.0, .asa_s = INFINITY, .occupancy = 1.0};
        return 0;
    }
    double ec;
    (void)acd_erlangc_wait_prob(n, a, &ec);
    erlangc_fill(out, a, n, ec, aht_s, t_s);
    return 0;
}

int acd_erlangc_agents(double a, double aht_s, double sl_target, double t_s, unsigned *n)
{
    if (!n || !erlangc_args_ok(a, aht_s, t_s) || !(sl_target > 0.0 && sl_target < 1.0))
        return -EINVAL;
    if (a == 0.0) {
        *n = 0;
        return 0;
    }
    /* Walk k up, carrying Erlang B along; only k > A can meet any target. */
    double b = 1.0;
    for (unsigned k = 1; k <= ACD_ERLANGC_MAX_AGENTS; k++) {
        b = erlangc_b_next(b, k, a);
        if ((double)k <= a)
            continue;
        acd_erlangc_t r;
        erlangc_fill(&r, a, k, erlangc_c_from_b(k, a, b), aht_s, t_s);
        if (r.service_level >= sl_target) {
            *n = k;
            return 0;
        }
    }
    return -ERANGE;
}

int acd_erlangc_with_shrinkage(unsigned n, double shrinkage, unsigned *out)
{
    if (!out || !isfinite(shrinkage) || shrinkage < 0.0 || shrinkage >= 1.0)
        return -EINVAL;
    double v = ceil((double)n / (1.0 - shrinkage) - ERLANGC_EPS);
    if (v > (double)ACD_ERLANGC_MAX_AGENTS)
        return -ERANGE;
    *out = v < 0.0 ? 0u : (unsigned)v;
    return 0;
}
