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

bool acd__member_candidate(const acd__queue_t *q, size_t i, const acd__call_t *call,
                           const acd__match_t *m)
{
    if (!acd__agent_eligible(q->members[i], call))
        return false;
    return !m || (m->best >= 0 && acd__skills_score(q, i, m->need) == m->best);
}

/* True when candidate a is to be preferred to best, the one preferred so far. */
typedef bool (*strategy_better_fn)(const acd__agent_t *a, const acd__agent_t *best);

/* The candidate no later one is better than; members come in id order, so ties go by id. */
static acd__agent_t *strategy_best(acd__queue_t *q, const acd__call_t *call,
                                   const acd__match_t *m, strategy_better_fn better)
{
    acd__agent_t *best = NULL;
    for (size_t i = 0; i < q->n_members; i++) {
        acd__agent_t *a = q->members[i];
        if (acd__member_candidate(q, i, call, m) && (!best || better(a, best)))
            best = a;
    }
    return best;
}

/* longest-idle: available for the longest time (oldest idle_since), then by agent id. */
static bool longest_idle_better(const acd__agent_t *a, const acd__agent_t *best)
{
    return a->idle_since < best->idle_since;
}

static acd__agent_t *longest_idle_pick(acd__queue_t *q, const acd__call_t *call,
                                       const acd__match_t *m)
{
    return strategy_best(q, call, m, longest_idle_better);
}

/* fewest-calls: the fewest calls handled since acdd started, then longest idle, then id. */
static bool fewest_calls_better(const acd__agent_t *a, const acd__agent_t *best)
{
    if (a->calls_handled != best->calls_handled)
        return a->calls_handled < best->calls_handled;
    return longest_idle_better(a, best);
}

static acd__agent_t *fewest_calls_pick(acd__queue_t *q, const acd__call_t *call,
                                       const acd__match_t *m)
{
    return strategy_best(q, call, m, fewest_calls_better);
}

/*
 * round-robin: members in agent id order, starting after the one this queue offered a
 * call to last (q->strategy_cursor, its id; "" before the first offer), wrapping around.
 * The cursor is an id, so members added or removed meanwhile keep their place in the turn.
 */
static acd__agent_t *round_robin_pick(acd__queue_t *q, const acd__call_t *call,
                                      const acd__match_t *m)
{
    acd__agent_t *first = NULL;
    for (size_t i = 0; i < q->n_members; i++) {
        acd__agent_t *a = q->members[i];
        if (!acd__member_candidate(q, i, call, m))
            continue;
        if (strcmp(a->id, q->strategy_cursor) > 0)
            return a; /* members are sorted by id: the first after the cursor */
        if (!first)
            first = a;
    }
    return first;
}

static void round_robin_offered(acd__queue_t *q, const acd__agent_t *agent)
{
    acd__core_copy(q->strategy_cursor, sizeof(q->strategy_cursor), agent->id);
}

/*
 * ring-all (ring every candidate at once, the first to answer takes the call) is left out
 * on purpose: it offers one call to several agents at once, which breaks the core's
 * invariant that a call rings at most one agent (ADR 0008) and the cluster's one
 * offer per call.
 */
static const acd_strategy_ops_t strategy_table[] = {
    {
        .name = "longest-idle",
        .pick = longest_idle_pick,
    },
    {
        .name = "round-robin",
        .pick = round_robin_pick,
        .offered = round_robin_offered,
    },
    {
        .name = "fewest-calls",
        .pick = fewest_calls_pick,
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
