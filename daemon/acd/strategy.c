/* strategy.c - the table of distribution strategies and their pick functions. */
#include "acd/strategy.h"

#include <string.h>

#include "acd/core_int.h"

/*
 * An agent who missed this call in its current round is passed over, so a ring timeout
 * moves the call on to the next agent instead of ringing the same phone again. When
 * every available member has missed it, the dispatcher starts a new round (call->round
 * + 1) and they are all eligible again.
 */
bool acd__agent_eligible(const acd__agent_t *agent, const acd__call_t *call)
{
    if (agent->state != ACD_AGENT_AVAILABLE)
        return false;
    return !(agent->missed_call == call->seq && agent->missed_round == call->round);
}

/*
 * longest-idle: the eligible member available for the longest time (oldest idle_since);
 * on a tie the first by agent id, which is the order of q->members.
 */
static acd__agent_t *longest_idle_pick(acd__queue_t *q, const acd__call_t *call)
{
    acd__agent_t *best = NULL;
    for (size_t i = 0; i < q->n_members; i++) {
        acd__agent_t *a = q->members[i];
        if (!acd__agent_eligible(a, call))
            continue;
        if (!best || a->idle_since < best->idle_since)
            best = a;
    }
    return best;
}

static const acd_strategy_ops_t strategy_table[] = {
    {
        .name = "longest-idle",
        .pick = longest_idle_pick,
    },
};

const acd_strategy_ops_t *acd__strategy_find(const char *name)
{
    if (!name || !*name)
        name = ACD__STRATEGY_DEFAULT;
    for (size_t i = 0; i < sizeof(strategy_table) / sizeof(strategy_table[0]); i++) {
        if (strcmp(strategy_table[i].name, name) == 0)
            return &strategy_table[i];
    }
    return NULL;
}
