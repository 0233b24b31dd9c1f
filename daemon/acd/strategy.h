/* strategy.h - distribution strategies: how a queue chooses which agent to ring. */
#ifndef ACD_ACD_STRATEGY_H
#define ACD_ACD_STRATEGY_H

#include <stdbool.h>

typedef struct acd__queue acd__queue_t;
typedef struct acd__agent acd__agent_t;
typedef struct acd__call acd__call_t;

/*
 * One entry of the strategy table. A strategy only chooses; the dispatcher does the
 * offering and all bookkeeping. To add a strategy (round-robin, fewest-calls, ...),
 * write its pick() (and offered() when it keeps state) in strategy.c and add one
 * designated-initializer entry to the table there; nothing else changes.
 */
typedef struct acd_strategy_ops {
    const char *name; /* the configuration name: "longest-idle" */
    /*
     * Chooses, among q's members (q->members, sorted by agent id), one for which
     * acd__agent_eligible(agent, call) is true, or returns NULL when there is none.
     * call is q's first waiting call. Must not change anything but the strategy's
     * own state (q->strategy_state).
     */
    acd__agent_t *(*pick)(acd__queue_t *q, const acd__call_t *call);
    /*
     * Optional: told after q offered a call to agent, so stateful strategies can move
     * their cursor (q->strategy_state, zero when the queue got this strategy).
     */
    void (*offered)(acd__queue_t *q, const acd__agent_t *agent);
} acd_strategy_ops_t;

/* The strategy used when a queue names none. */
#define ACD__STRATEGY_DEFAULT "longest-idle"

/* Finds a strategy by name; NULL or "" gives the default; NULL when the name is unknown. */
const acd_strategy_ops_t *acd__strategy_find(const char *name);

/* True when agent may be offered call now: available and not excluded for this call. */
bool acd__agent_eligible(const acd__agent_t *agent, const acd__call_t *call);

#endif
