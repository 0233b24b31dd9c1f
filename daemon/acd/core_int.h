/* core_int.h - private structures and internal calls shared by the ACD core's files. */
#ifndef ACD_ACD_CORE_INT_H
#define ACD_ACD_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"
#include "acd/heap.h"
#include "acd/strategy.h"
#include "util/hmap.h"
#include "util/list.h"

/*
 * Ownership: the core owns every tenant, queue, agent and call; all strings are copied
 * into fixed arrays. Calls point at their queue and, while offered or connected, at
 * their agent; agents point back at that call. A queue removed from the configuration
 * lives on (flag removed) until its last call ends; an agent removed while on a call
 * lives on (flag removed) until that call ends. Nothing points at tenants, so the tenant
 * set is rebuilt as a whole on every configure.
 *
 * Cluster mode adds two kinds of links that leave the local tables: a local agent
 * reserved for (RINGING) or on (ON_CALL) another site's call holds that call in
 * agent->remote instead of agent->call (reservation.c); a local call offered to or
 * connected with another site's agent holds that agent in call->remote instead of
 * call->agent (remote.c). A remote agent never enters c->agents, a remote call never
 * enters c->calls.
 *
 * Invariants after every public entry point (acd__core_check() tests them):
 *   - agent RINGING <=> agent->call is OFFERED to it, or it holds a remote call;
 *     ON_CALL <=> agent->call is CONNECTED to it, or it holds a remote call;
 *   - agent RINGING or WRAPUP <=> it is in c->deadlines;
 *   - call OFFERED or CONNECTED <=> exactly one of call->agent, a remote agent;
 *     call OFFERED to a remote agent <=> it is in c->ring_deadlines;
 *   - call QUEUED <=> it is in its queue's waiting heap;
 *   - with local dispatch on, no queue has both a waiting call and an available member
 *     (dispatch ran; this holds for strategies that pick whenever an eligible member
 *     exists, as all the built-in ones do); with it off, c->ready holds exactly the
 *     queues that have both;
 *   - the counters below equal what they count.
 */

typedef struct acd__tenant {
    acd_hmap_node_t node; /* in acd__tenants_t.by_name */
    char name[ACD_ID_MAX];
    char queue[ACD_ID_MAX]; /* "" when the tenant names no queue */
    char language[ACD_ID_MAX];
    int callback_attempts; /* 0: no callback (restore.c) */
    int callback_delay_ms;
    int callback_ring_ms;
} acd__tenant_t;

typedef struct acd__did {
    acd_hmap_node_t node; /* in acd__tenants_t.by_did */
    char number[ACD_ID_MAX];
    acd__tenant_t *tenant;
} acd__did_t;

/* Tenants and DIDs of one configuration, built and replaced as a whole. */
typedef struct acd__tenants {
    acd__tenant_t *v;
    size_t n;
    acd__did_t *dids;
    size_t n_dids;
    acd_hmap_t by_name;
    acd_hmap_t by_did;
} acd__tenants_t;

/* SIP user -> agent, rebuilt as a whole on every configure. */
typedef struct acd__user {
    acd_hmap_node_t node;
    char user[ACD_ID_MAX];
    acd__agent_t *agent;
} acd__user_t;

typedef struct acd__users {
    acd__user_t *v;
    size_t n;
    acd_hmap_t map;
} acd__users_t;

struct acd__queue {
    acd_hmap_node_t node; /* in c->queues, keyed by name */
    char name[ACD_ID_MAX];
    char tenant[ACD_ID_MAX];
    const acd_strategy_ops_t *strategy;
    uint64_t strategy_state; /* the strategy's own; zeroed when the strategy changes */
    int ring_timeout_ms;
    int wrapup_ms;
    int max_no_answer;
    int priority;
    bool removed;           /* gone from the configuration; lives while n_calls > 0 */
    bool skipped;           /* dispatch: strategy found nobody this pass */
    acd__heap_t waiting;    /* QUEUED calls, first by acd__call_before() */
    acd_list_t calls;       /* every call of this queue, in arrival order */
    size_t n_calls;         /* calls in any state */
    size_t n_offered;       /* OFFERED calls */
    size_t n_available;     /* AVAILABLE members */
    acd__agent_t **members; /* sorted by agent id */
    size_t n_members;
    acd__heap_node_t ready_node; /* in c->ready while waiting.n > 0 && n_available > 0 */
    acd_list_t skip_link;        /* dispatch: in the skipped list */
};

/* A local agent's reservation for a call owned by another site (reservation.c). */
typedef struct acd__reservation {
    char call_id[ACD_ID_MAX]; /* "" when none */
    char call_site[ACD_ID_MAX];
    char offer_id[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
    int wrapup_ms;     /* the queue's, when reserved: the queue may be gone by the end */
    int max_no_answer; /* likewise */
} acd__reservation_t;

/* Another site's agent that a local call is offered to or connected with (remote.c). */
typedef struct acd__remote_agent {
    char id[ACD_ID_MAX]; /* "" when none */
    char site[ACD_ID_MAX];
    char sip_user[ACD_ID_MAX];
    char offer_id[ACD_ID_MAX];
} acd__remote_agent_t;

struct acd__agent {
    acd_hmap_node_t node; /* in c->agents, keyed by id */
    char id[ACD_ID_MAX];
    char sip_user[ACD_ID_MAX];
    uint64_t serial; /* creation order: breaks deadline ties deterministically */
    acd_agent_state_t state;
    char pause_reason[ACD_REASON_MAX];
    acd_ms_t state_since;
    acd_ms_t idle_since;
    acd__call_t *call; /* the call ringing or connected, else NULL */
    int missed_in_row;
    unsigned calls_handled;
    bool logout_pending;   /* log out when the current call (or reservation) ends */
    bool removed;          /* gone from the configuration; lives until its call ends */
    acd__queue_t **queues; /* memberships, in configuration order */
    size_t n_queues;
    acd__heap_node_t deadline_node; /* in c->deadlines while RINGING or WRAPUP */
    acd_ms_t deadline;
    /* The last call this agent missed and that call's round then (see acd__agent_eligible). */
    uint64_t missed_call;
    uint64_t missed_round;
    acd__reservation_t remote; /* RINGING or ON_CALL for another site's call */
};

struct acd__call {
    acd_hmap_node_t node; /* in c->calls, keyed by id */
    char id[ACD_ID_MAX];
    char tenant[ACD_ID_MAX];
    char did[ACD_ID_MAX];
    char caller[ACD_ID_MAX];
    char answered_by[ACD_ID_MAX];   /* agent id once connected, for the CDR */
    char answered_site[ACD_ID_MAX]; /* that agent's site when another site's, for the CDR */
    acd__queue_t *queue;
    acd_list_t queue_link; /* in queue->calls */
    acd_call_state_t state;
    int priority;
    acd_ms_t enqueue_ms;
    acd_ms_t answer_ms;
    uint64_t seq;               /* arrival order, from 1; unique */
    uint64_t round;             /* bumped when every available member has missed this call */
    acd__heap_node_t wait_node; /* in queue->waiting while QUEUED */
    acd__agent_t *agent;        /* OFFERED or CONNECTED: that agent, when local */
    int offers;
    acd__remote_agent_t remote; /* OFFERED or CONNECTED: that agent, when another site's */
    acd__heap_node_t ring_node; /* in c->ring_deadlines while OFFERED to a remote agent */
    acd_ms_t ring_deadline;
    /* Every offer_id this call accepted or released, so a duplicate is ignored. */
    char (*offers_seen)[ACD_ID_MAX];
    size_t n_offers_seen, cap_offers_seen;
    bool adopted;                      /* entered by CALL_ADOPT (a takeover) */
    char restored_from[ACD_ID_MAX];    /* the failed call whose place it took, else "" */
    bool callback;                     /* it is our callback to the caller (restore.c) */
};

/* Restore-on-redial tickets (restore.c): by tenant and caller, and by expiry. */
typedef struct acd__restore {
    acd_hmap_t by_key; /* acd__ticket_t by "tenant\0caller" */
    acd_list_t order;  /* every ticket, soonest expiry first */
    acd__heap_t callbacks; /* tickets with a callback pending, by its next deadline */
    size_t n;
    uint64_t dropped;  /* tickets dropped to stay within ACD_RESTORE_MAX */
    uint64_t next_serial; /* tickets' creation order: breaks callback deadline ties */
    acd_ms_t window_ms;   /* 0: no tickets are made, but for tenants with callback */
} acd__restore_t;

struct acd_core {
    acd__tenants_t tenants;
    acd__users_t users;
    acd_hmap_t queues;            /* acd__queue_t by name, removed ones included */
    acd_hmap_t agents;            /* acd__agent_t by id, removed ones included */
    acd_hmap_t calls;             /* acd__call_t by id */
    acd__queue_t **queues_sorted; /* every queue in c->queues, by name */
    size_t n_queues;
    acd__agent_t **agents_sorted; /* every agent in c->agents, by id */
    size_t n_agents;
    acd__heap_t ready;          /* queues with a waiting call and an available member */
    acd__heap_t deadlines;      /* agents ringing (ring timeout) or in wrap-up (its end) */
    acd__heap_t ring_deadlines; /* calls ringing a remote agent (ring timeout) */
    acd__restore_t restore;     /* restore-on-redial tickets */
    bool local_dispatch;        /* match calls with agents here (default); off under a leader */
    uint64_t epoch;             /* the newest leader epoch known */
    uint64_t next_seq;
    uint64_t next_serial;
    size_t n_available;   /* AVAILABLE agents */
    size_t n_waiting;     /* QUEUED calls */
    acd_actions_t *out;   /* where the running entry point appends actions */
    acd_action_t scratch; /* sink for an action that found no room (never expected) */
    size_t lost_actions;
    size_t unreserved_actions; /* actions that found no reserved room (checked by tests) */
};

/* ---- core.c ---- */

/*
 * Appends a zeroed action of type t to c->out and returns it. The entry points reserve
 * room for every action they can produce before they change anything, so this does
 * not fail; should room still run out and growing fail, the action is counted in
 * c->lost_actions and written to a scratch slot.
 */
acd_action_t *acd__core_emit(acd_core_t *c, acd_action_type_t t);
/* Makes room for extra more actions in a. Returns 0 or -ENOMEM. */
int acd__actions_reserve(acd_actions_t *a, size_t extra);
/* Copies a C string into a fixed array, truncating; NULL copies "". */
void acd__core_copy(char *dst, size_t len, const char *src);
/* Counts the nodes of h whose deadline_of() is <= now (a later node's subtree is skipped). */
size_t acd__heap_count_due(const acd__heap_t *h, acd_ms_t now,
                           acd_ms_t (*deadline_of)(const acd__heap_node_t *));

/* ---- queue.c ---- */

/* The total order of waiting calls: priority desc, then enqueue time, then arrival. */
bool acd__call_before(const acd__call_t *a, const acd__call_t *b);
bool acd__ready_less(const acd__heap_node_t *a, const acd__heap_node_t *b);
/* Allocates an empty queue named name (not yet in any map). Returns 0 or -ENOMEM. */
int acd__queue_alloc(acd__queue_t **qp, const char *name);
void acd__queue_free(acd__queue_t *q);
/* The first waiting call of q, or NULL. */
acd__call_t *acd__queue_head(const acd__queue_t *q);
/* Puts call (QUEUED, in no heap) into q's waiting order at its own place. */
void acd__queue_wait(acd_core_t *c, acd__queue_t *q, acd__call_t *call);
/* Takes call out of its queue's waiting order. */
void acd__queue_unwait(acd_core_t *c, acd__call_t *call);
/* Puts q in or out of c->ready, or re-sorts it, after its head or counters changed. */
void acd__queue_refresh(acd_core_t *c, acd__queue_t *q);
/* Forgets a queue for good: out of every map, heap and sorted array, then freed. */
void acd__queue_destroy(acd_core_t *c, acd__queue_t *q);

/* ---- agent.c ---- */

bool acd__deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b);
int acd__agent_alloc(acd__agent_t **ap, const char *id, uint64_t serial);
void acd__agent_free(acd__agent_t *a);
/* Forgets an agent for good: out of every map, heap and sorted array, then freed. */
void acd__agent_destroy(acd_core_t *c, acd__agent_t *a);
/*
 * Moves a to state st at time at, keeps every availability counter and c->ready right,
 * and emits ACD_ACT_AGENT_STATE. reason is kept as the pause reason when st is PAUSED.
 */
acd_action_t *acd__agent_set_state(acd_core_t *c, acd__agent_t *a, acd_agent_state_t st,
                                   acd_ms_t at, const char *reason);
void acd__agent_deadline_set(acd_core_t *c, acd__agent_t *a, acd_ms_t when);
void acd__agent_deadline_clear(acd_core_t *c, acd__agent_t *a);
/*
 * a just finished a connected call at time at: logged out (when asked to, or removed
 * from the configuration: then destroyed), wrap-up for wrapup_ms (the call's queue's),
 * or available.
 */
void acd__agent_after_call(acd_core_t *c, acd__agent_t *a, int wrapup_ms, acd_ms_t at);
/* a, ringing, lost its offer unanswered at time at: count the miss, then available or paused. */
void acd__agent_missed(acd_core_t *c, acd__agent_t *a, const acd__call_t *call,
                       const acd__queue_t *q, acd_ms_t at);
/* Handles a's due deadline (ring timeout or end of wrap-up), due at time at. */
void acd__agent_deadline_fire(acd_core_t *c, acd__agent_t *a, acd_ms_t at);
/* Event handlers for LOGIN, LOGOUT, PAUSE and UNPAUSE. */
int acd__agent_login(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__agent_logout(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__agent_pause(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__agent_unpause(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
/* Finds a configured agent (not one removed and waiting for its call to end). */
acd__agent_t *acd__agent_find(const acd_core_t *c, const char *id);
/* Finds any agent, removed ones included. */
acd__agent_t *acd__agent_find_any(const acd_core_t *c, const char *id);

/* ---- call.c ---- */

acd__call_t *acd__call_find(const acd_core_t *c, const char *id);
/*
 * Creates ev's call in the queue of its tenant (by ev->did) named by ev->queue or the
 * tenant's, QUEUED at enqueue_ms but not yet waiting, and returns it in *out. Returns 0,
 * -EINVAL (empty id), -EEXIST, ACD_ENOTENANT, ACD_ENOQUEUE (none, removed, another
 * tenant's) or -ENOMEM; on failure nothing changed.
 */
int acd__call_create(acd_core_t *c, const acd_event_t *ev, acd_ms_t enqueue_ms, acd__call_t **out);
/*
 * Ends the ringing offer of call without an answer: the call goes back to its own place
 * in its queue; its agent keeps its state (the caller moves it) and loses its deadline.
 * Returns that agent.
 */
acd__agent_t *acd__call_unoffer(acd_core_t *c, acd__call_t *call);
/* Event handlers. */
int acd__call_arrive(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_adopt(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_forget(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_answered(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_offer_failed(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_agent_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);

/* ---- dispatch.c ---- */

/*
 * Offers waiting calls to available agents until no queue has both, globally first call
 * first: see dispatch.c for the rule.
 */
void acd__dispatch(acd_core_t *c, acd_ms_t now);

/* ---- reservation.c: local agents reserved for other sites' calls ---- */

static inline bool acd__agent_reserved(const acd__agent_t *a)
{
    return a->remote.call_id[0] != '\0';
}

/* Event handlers for EPOCH, REMOTE_RESERVE and REMOTE_CALL_UPDATE. */
int acd__reservation_epoch(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__reservation_reserve(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__reservation_update(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
/*
 * a, reserved, is leaving (LOGOUT, removal: reason says which): CANCEL_OFFER with
 * call_site set asks the call's owner to stop ringing. With drop, the reservation and
 * its deadline are dropped too and the caller moves a's state.
 */
void acd__reservation_cancel(acd_core_t *c, acd__agent_t *a, const char *reason, bool drop);
/* a's reservation deadline passed at at with nothing heard: available again. */
void acd__reservation_expire(acd_core_t *c, acd__agent_t *a, acd_ms_t at);

/* ---- remote.c: local calls offered to other sites' agents ---- */

static inline bool acd__call_remote(const acd__call_t *call)
{
    return call->remote.id[0] != '\0';
}

bool acd__ring_deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b);
/* CALL_ADOPT of a connected call: binds call to its remote agent (remote.c). */
int acd__remote_adopt_connected(acd__call_t *call, const acd_event_t *ev);
/* Event handler for REMOTE_ACCEPTED. */
int acd__remote_accepted(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
/*
 * The remote-agent branches of call.c's handlers, for a call offered to or connected
 * with a remote agent. answered/failed/agent_hangup check that ev->agent_id is that
 * agent and return as their local counterparts do.
 */
int acd__remote_answered(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now);
int acd__remote_failed(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now);
/* call ends (caller hangup, agent hangup): CANCEL_OFFER or END_CALL, then REMOTE_AGENT. */
void acd__remote_end(acd_core_t *c, acd__call_t *call, acd_disposition_t disp);
/* The remote ring timeout of call fired at at: CANCEL_OFFER, requeue, REMOTE_AGENT missed. */
void acd__remote_ring_timeout(acd_core_t *c, acd__call_t *call, acd_ms_t at);
/* Frees what a call holds for remote offers (before the call itself is freed). */
void acd__remote_call_fini(acd__call_t *call);

/* ---- restore.c: a caller whose takeover failed gets its place back on redial ---- */

void acd__restore_init(acd__restore_t *r);
void acd__restore_fini(acd__restore_t *r);
/*
 * call, adopted and not connected, is ending because its takeover re-INVITE failed:
 * keeps a ticket for its tenant and caller until now + the window, or, when its tenant
 * has callback, until the callback is over (its first attempt due after the delay).
 * Nothing when the window is 0 and the tenant has no callback, the caller number is
 * empty or anonymous, or memory runs out. A full table drops the ticket closest to
 * expiry (CALLBACK_CANCEL "dropped" when its callback rings: at most one action).
 */
void acd__restore_record(acd_core_t *c, const acd__call_t *call, acd_ms_t now);
/*
 * CALL_ARRIVE: when a live ticket matches ev's tenant and caller and its queue is still
 * configured, creates the call in its place (acd__call_create), takes the ticket and
 * returns 1 with the call (QUEUED, not yet waiting) in *out. A ticket with a callback
 * pending whose queue is gone is taken too, the call created in its own queue at now:
 * the caller is here, nobody calls it back. A callback attempt ringing that is not ev's
 * is cancelled (at most one action). Returns 0 when no ticket applies, or
 * acd__call_create's error (nothing changed, the ticket is kept).
 */
int acd__restore_arrive(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd__call_t **out);
/* Event handler for CALLBACK_FAILED: the next attempt after the delay, or GAVE_UP. */
int acd__restore_callback_failed(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
/*
 * Fires every callback deadline <= now, earliest first, each stamped with its own
 * deadline: a due attempt is placed (CALLBACK), one ringing too long is cancelled
 * (CALLBACK_CANCEL "timeout") and followed as a failure. At most 2 actions per deadline.
 */
void acd__restore_fire(acd_core_t *c, acd_ms_t now);
/* Callback deadlines <= now (what acd__restore_fire would fire, for reserving room). */
size_t acd__restore_due(const acd_core_t *c, acd_ms_t now);
/* Drops every ticket expired at now. */
void acd__restore_expire(acd_core_t *c, acd_ms_t now);
/* The soonest ticket expiry or callback deadline, or INT64_MAX when none. */
acd_ms_t acd__restore_next_expiry(const acd_core_t *c);
/* Checks the ticket table's links and counts: NULL, or what is broken. */
const char *acd__restore_check(const acd_core_t *c);

/* ---- check.c ---- */

/*
 * Verifies every invariant listed above and the links between entities. Returns NULL
 * when all hold, else a static description of the first one broken. For tests.
 */
const char *acd__core_check(const acd_core_t *c);

#endif
