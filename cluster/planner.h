/* planner.h - the leader's global planner: which waiting call goes to which agent, cluster-wide. */
#ifndef ACD_CLUSTER_PLANNER_H
#define ACD_CLUSTER_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"

/*
 * A pure function of its input (no I/O, no clock, no state kept between runs): the
 * leader gathers, from its replicas of every site, the calls waiting and the agents
 * available, adds the offers it has made that are not answered yet, and gets back the
 * new offers to make. It applies the single-site core's rules (docs/adr/0008) to the
 * whole cluster:
 *
 *   - Calls go in one global order: priority (higher first), then enqueue time, then
 *     owner site name, then the owner's arrival sequence, then call id. The first call
 *     whose queue has an available member is offered first, and so on; a call whose
 *     queue has none waits without holding up calls of other queues.
 *   - Skills (daemon/acd/core.h): a member is a candidate for a call only when it has
 *     every skill the call's queue requires, at the level required after the call's wait
 *     (now_ms - enqueue_ms) relaxed it, and among those only the ones of the best match
 *     score (the sum of their levels on the required skills) are. A queue the queue
 *     table does not list requires nothing and uses longest-idle.
 *   - Sites (overflow to the sister site): a queue with local_ms > 0 offers a call only
 *     to members at the call's own site (agent site equal to call site) until the call
 *     has waited local_ms (now_ms - enqueue_ms >= local_ms); from then on, and at once for
 *     a call marked anywhere, members at every site are candidates. Local members are
 *     always candidates.
 *   - The queue's strategy then chooses among the candidates: longest-idle (oldest
 *     idle_since; ties: smaller agent id, then site name), fewest-calls (fewest
 *     calls_handled, then as longest-idle), round-robin (agent id order, then site, the
 *     first after the queue's cursor, wrapping; each offer in this run moves the cursor).
 *     An agent that lists the call among its excluded calls (it missed it) is passed
 *     over while another capable member is available; when every capable member
 *     excludes it, they are all candidates again (the core's new round), so a lone agent
 *     is rung again.
 *   - A call or an agent named by a pending offer whose deadline has not passed is not
 *     offered again; once the deadline passes (now_ms >= deadline_ms) the pending offer
 *     no longer counts and both are planned again. The caller drops pending offers that
 *     were answered (accepted and rung, or rejected).
 *   - Each call and each agent appears in at most one new offer. Entries listed twice
 *     (same call id, or same agent id) count once: the first in the orders above.
 *
 * The output does not depend on the order of the input arrays. Ids are cluster-unique
 * (call ids carry their owner's prefix, see proto/acd/v1/events.proto).
 */

typedef struct acd_planner_call {
    const char *call_id;
    const char *site; /* the call's owner */
    const char *queue;
    int priority; /* higher first */
    int64_t enqueue_ms;
    uint64_t arrival_seq; /* the owner's arrival order */
    bool anywhere;        /* every site's members at once, whatever local_ms (its owner
                             takes no new work for its own agents: draining) */
} acd_planner_call_t;

typedef struct acd_planner_agent {
    const char *agent_id;
    const char *site;          /* the agent's owner */
    const char *const *queues; /* memberships */
    size_t n_queues;
    int64_t idle_since;
    const char *const *excluded_calls; /* optional: calls this agent missed */
    size_t n_excluded;
    const acd_core_skill_t *skills;    /* optional */
    size_t n_skills;
    unsigned calls_handled;            /* for fewest-calls */
} acd_planner_agent_t;

/*
 * A queue's distribution rules (what acd_core_queue_rules() gives). cursor is the
 * round-robin state the caller keeps between runs: the agent id this queue offered a
 * call to last (NULL or "": none yet). After a run, the queue's new cursor is the agent
 * of its last offer (acd_planner_cursor()). A queue listed twice counts once (the first).
 */
typedef struct acd_planner_queue {
    const char *name;
    const char *strategy; /* "longest-idle" (also NULL or ""), "round-robin", "fewest-calls" */
    const acd_core_skill_t *skills;
    size_t n_skills;
    const acd_core_relax_t *relax; /* any order: of those due for a skill the latest applies */
    size_t n_relax;
    const char *cursor;
    /* Sister overflow: how long a call is offered only to its own site's members (the
     * queue's max_wait when its overflow is "sister"); 0 every site at once; >= 0. */
    int64_t local_ms;
} acd_planner_queue_t;

/* An offer made earlier and not answered yet. */
typedef struct acd_planner_pending {
    const char *offer_id; /* for the caller; not used by the planner */
    const char *call_id;
    const char *agent_id;
    int64_t deadline_ms; /* after this the offer is taken as lost */
} acd_planner_pending_t;

typedef struct acd_planner_input {
    const acd_planner_call_t *calls; /* waiting calls of every site */
    size_t n_calls;
    const acd_planner_agent_t *agents; /* available agents of every site */
    size_t n_agents;
    const acd_planner_pending_t *pending;
    size_t n_pending;
    const acd_planner_queue_t *queues; /* optional: rules per queue */
    size_t n_queues;
    int64_t now_ms;
} acd_planner_input_t;

/* One new offer; its strings point into the input's strings. */
typedef struct acd_planner_offer {
    const char *call_id;
    const char *call_site;
    const char *agent_id;
    const char *agent_site;
    const char *queue;
} acd_planner_offer_t;

/* A growable list of offers; zero-initialise, reuse after acd_planner_offers_reset(). */
typedef struct acd_planner_offers {
    acd_planner_offer_t *v;
    size_t n, cap;
} acd_planner_offers_t;

void acd_planner_offers_reset(acd_planner_offers_t *o);
void acd_planner_offers_fini(acd_planner_offers_t *o);

/*
 * Plans: appends the new offers to out, in the order they were decided (globally
 * first call first). The offers borrow in's strings: use them before those change.
 * Returns 0; -EINVAL when in or out is NULL, an array is NULL with a count > 0, an id,
 * site, queue or skill name is NULL, a strategy is unknown or a local_ms negative;
 * -ENOMEM. On failure out is as it was.
 */
int acd_planner_plan(const acd_planner_input_t *in, acd_planner_offers_t *out);

/*
 * When to plan again with no other change: the first instant after in->now_ms at which
 * a call of in gets more candidates by waiting alone, that is a relaxation of its queue's
 * skills comes due (enqueue_ms + after_ms) or its queue's local_ms ends (enqueue_ms +
 * local_ms); INT64_MAX when none. Every call counts, offered or not: an extra plan costs
 * nothing but time. Writes *at and returns 0; -EINVAL (as acd_planner_plan, or at NULL),
 * -ENOMEM (*at untouched).
 */
int acd_planner_replan_at(const acd_planner_input_t *in, int64_t *at);

/*
 * The round-robin cursor of queue after a plan whose offers are out->v[from..n): the
 * agent id of queue's last offer there, or cursor (the one given in) when it got none.
 */
const char *acd_planner_cursor(const acd_planner_offers_t *out, size_t from, const char *queue,
                               const char *cursor);

#endif
