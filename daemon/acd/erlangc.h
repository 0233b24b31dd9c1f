/* erlangc.h - Erlang C staffing: wait probability, service level, ASA, agents needed. */
#ifndef ACD_ACD_ERLANGC_H
#define ACD_ACD_ERLANGC_H

#include <stdbool.h>

/*
 * The M/M/N queue of the Erlang C model (docs/wallboard.md, ../shared/DOMAIN.md):
 * calls arrive at random, an agent handles one at a time for a mean handle time AHT,
 * nobody abandons. With traffic A erlangs and N agents:
 *
 *   A     = calls x AHT / interval
 *   EC    = N B / (N - A (1 - B)), B the Erlang B blocking of N servers, from the
 *           recursion B0 = 1, Bk = A Bk-1 / (k + A Bk-1) (bounded in [0, 1], so stable
 *           for any N: no factorials, no powers of A)
 *   SL(t) = 1 - EC exp(-(N - A) t / AHT)
 *   ASA   = EC AHT / (N - A)
 *   occupancy = A / N
 *
 * Conventions at the edges (tested in tests/unit/acd/test_erlangc.c):
 *   - N <= A (with A > 0) is unstable: the queue grows without bound. EC is 1, SL 0,
 *     ASA infinite (stable false), occupancy 1.
 *   - A == 0 (no calls arrive) needs nobody: EC 0, SL 1, ASA 0, occupancy 0 for every N,
 *     N == 0 included, and acd_erlangc_agents() recommends 0 agents. A minimum staffing
 *     floor (someone must be there to take the first call) is the operation's policy,
 *     not the model's, so it is left to whoever reads the number.
 * Pure functions: no I/O, no state, safe from any thread.
 */

/* Above this acd_erlangc_agents() gives up (-ERANGE): a recommendation of more agents
 * than any center has says the inputs are wrong. */
#define ACD_ERLANGC_MAX_AGENTS 100000u

/* What N agents achieve against A erlangs (acd_erlangc_eval). */
typedef struct acd_erlangc {
    double traffic;       /* A, erlangs */
    unsigned agents;      /* N */
    bool stable;          /* N > A, or A == 0 */
    double wait_prob;     /* EC(N, A): the share of calls that wait at all, 0..1 */
    double service_level; /* SL(t): the share answered within t seconds, 0..1 */
    double asa_s;         /* mean wait of all calls, seconds; INFINITY when !stable */
    double occupancy;     /* A / N, 0..1 (1 when !stable) */
} acd_erlangc_t;

/*
 * Traffic intensity in erlangs: calls arriving in interval_s seconds, each held aht_s
 * seconds on average, A = calls x aht_s / interval_s; written to *a.
 * Returns 0, or -EINVAL when a is NULL, calls or aht_s is negative or not finite, or
 * interval_s is not a positive finite number.
 */
int acd_erlangc_traffic(double calls, double aht_s, double interval_s, double *a);

/*
 * EC(N, A), the Erlang C probability that a call waits; written to *ec. 1 when N <= A
 * and A > 0; 0 when A == 0.
 * Returns 0, or -EINVAL when ec is NULL or a is negative or not finite.
 */
int acd_erlangc_wait_prob(unsigned n, double a, double *ec);

/*
 * Everything N agents achieve against A erlangs with mean handle time aht_s and a
 * service-level threshold of t_s seconds, written to *out (see acd_erlangc_t).
 * Returns 0, or -EINVAL when out is NULL, a or t_s is negative or not finite, or aht_s
 * is not a positive finite number; *out is left alone on error.
 */
int acd_erlangc_eval(double a, unsigned n, double aht_s, double t_s, acd_erlangc_t *out);

/*
 * The smallest N whose SL(t_s) reaches sl_target (0 < sl_target < 1) against A erlangs
 * with mean handle time aht_s; written to *n. 0 when A == 0 (see above). One pass of
 * the Erlang B recursion, so the cost grows with the answer, not its square.
 * Returns 0; -EINVAL for a NULL n or an input acd_erlangc_eval() refuses, or sl_target
 * outside (0, 1); -ERANGE when more than ACD_ERLANGC_MAX_AGENTS would be needed.
 */
int acd_erlangc_agents(double a, double aht_s, double sl_target, double t_s, unsigned *n);

/*
 * Agents to schedule so that n are on the phones when a share shrinkage (0 <= s < 1) is
 * away (breaks, training, absence): ceil(n / (1 - shrinkage)), written to *out. A result
 * within 1e-9 of a whole number is that number (14 / 0.7 is 20, not 21, though the
 * double 14 / 0.7 is a hair above 20).
 * Returns 0, or -EINVAL when out is NULL or shrinkage is outside [0, 1); -ERANGE when
 * the result passes ACD_ERLANGC_MAX_AGENTS.
 */
int acd_erlangc_with_shrinkage(unsigned n, double shrinkage, unsigned *out);

#endif
