/* strategy.h - distribution strategies: how a queue chooses which agent to ring. */
#ifndef ACD_ACD_STRATEGY_H
#define ACD_ACD_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct acd__queue acd__queue_t;
typedef struct acd__agent acd__agent_t;
typedef struct acd__call acd__call_t;

/*
 * What the dispatcher found out about a call's skills before asking the strategy
 * (skills.c): the level of each of the queue's skills the call requires now, and the best
 * match score among the members eligible for it. Only members of that score are
 * candidates: "best skill match first, then the strategy".
 */
typedef struct acd__match {
    const int *need; /* per skill of the queue (q->sk.skills order): level required, 0 none;
                        NULL: the queue requires no skills */
    int best;        /* the best score among the eligible members; -1 when none */
} acd__match_t;

/*
 * One entry of the strategy table. A strategy only chooses; the dispatcher does the
 * offering and all bookkeeping. To add a strategy, write its pick() (and offered() when
 * it keeps state) in strategy.c and add one designated-initializer entry to the table
 * there; nothing else changes.
 */
typedef struct acd_strategy_ops {
    const char *name; /* the configuration name: "longest-idle" */
    /*
     * Chooses, among q's members (q->members, sorted by agent id), one for which
     * acd__member_candidate(q, i, call, m) is true, or returns NULL when there is none.
     * call is the waiting call being dispatched; m may be NULL (no skills considered).
     * Must not change anything but the strategy's own state (q->strategy_state,
     * q->strategy_cursor).
     */
    acd__agent_t *(*pick)(acd__queue_t *q, const acd__call_t *call, const acd__match_t *m);
    /*
     * Optional: told after q offered a call to agent, so stateful strategies can move
     * their cursor (zero when the queue got this strategy).
     */
    void (*offered)(acd__queue_t *q, const acd__agent_t *agent);
} acd_strategy_ops_t;

/* The strategy used when a queue names none. */
#define ACD__STRATEGY_DEFAULT "longest-idle"

/* Finds a strategy by name; NULL or "" gives the default; NULL when the name is unknown. */
const acd_strategy_ops_t *acd__strategy_find(const char *name);

/* True when agent may be offered call now: available and not excluded for this call. */
bool acd__agent_eligible(const acd__agent_t *agent, const acd__call_t *call);

/*
 * True when q->members[i] is a candidate for call: eligible and, with m, having every
 * skill m->need requires at its level with a match score of m->best.
 */
bool acd__member_candidate(const acd__queue_t *q, size_t i, const acd__call_t *call,
                           const acd__match_t *m);

#endif
