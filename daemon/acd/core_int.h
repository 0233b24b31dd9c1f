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
 *   - c->ready holds exactly the queues that have both a waiting call and an available
 *     member; with local dispatch on, no waiting call of theirs has an available member
 *     that meets its skill requirements at c->now (dispatch ran; this holds for
 *     strategies that pick whenever a candidate exists, as all the built-in ones do), so
 *     the queues left there are those whose calls no available member can take;
 *   - call QUEUED with a max-wait rule armed (overflow.c) <=> it is in c->wait_deadlines;
 *   - every queue's member skill levels match its members' skills (skills.c);
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
    /* priorities (priority.c) */
    char (*vip)[ACD_ID_MAX]; /* sorted; points into acd__tenants_t.vips */
    size_t n_vip;
    int vip_priority;
    int redial_priority;
    int abandon_window_ms;
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
    char (*vips)[ACD_ID_MAX]; /* every tenant's VIP numbers, each tenant's sorted */
    size_t n_vips;
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

/* A copied list of skills; the names live in the same allocation (skills.c). */
typedef struct acd__skillset {
    acd_core_skill_t *v;
    size_t n;
} acd__skillset_t;

/* A copied list of relaxations, sorted by after_ms; names in the same allocation. */
typedef struct acd__relaxset {
    acd_core_relax_t *v;
    size_t n;
} acd__relaxset_t;

/*
 * A queue's skill requirements, precomputed (skills.c). A call's requirements depend only
 * on how long it has waited: stage s applies from a wait of stage_at[s] (stage 0 from 0,
 * one more stage per distinct after_ms), and requires stage_level[s * n + j] of skill j
 * (n = skills.n; 0: not required). member_level[i * n + j] is the level of skill j that
 * members[i] has (0: none).
 */
typedef struct acd__qskills {
    acd__skillset_t skills;
    acd__relaxset_t relax;
    size_t n_stages;
    acd_ms_t *stage_at;
    int *stage_level;
    int *member_level;
} acd__qskills_t;

/* Where a queue's overflow rule sends a call (overflow.c). */
typedef enum acd__overflow_kind {
    ACD__OVERFLOW_NONE,
    ACD__OVERFLOW_QUEUE, /* "queue:NAME": overflow_queue */
    ACD__OVERFLOW_OUT,   /* "voicemail", "callback", "hangup": ACD_ACT_OVERFLOW, the call ends */
} acd__overflow_kind_t;

struct acd__queue {
    acd_hmap_node_t node; /* in c->queues, keyed by name */
    char name[ACD_ID_MAX];
    char tenant[ACD_ID_MAX];
    const acd_strategy_ops_t *strategy;
    uint64_t strategy_state; /* the strategy's own; zeroed when the strategy changes */
    char strategy_cursor[ACD_ID_MAX]; /* round-robin: the member offered last; likewise */
    int ring_timeout_ms;
    int wrapup_ms;
    int max_no_answer;
    int priority;
    acd__qskills_t sk;      /* skills and relaxations; zero: none */
    /* queue rules (overflow.c); all zero on a removed queue */
    int max_wait_ms;
    int max_len;
    bool join_empty;
    bool leave_empty;
    acd__overflow_kind_t overflow_kind;
    char overflow[ACD_ID_MAX];       /* the setting, as configured */
    char overflow_queue[ACD_ID_MAX]; /* ACD__OVERFLOW_QUEUE: the queue's name */
    bool empty_pending;     /* leave_empty: nobody is logged in any more; in c->emptied */
    acd_list_t empty_link;
    size_t n_logged_in;     /* members not logged out, here */
    unsigned remote_logged_in; /* ... at other sites (acd_core_set_remote_members) */
    int64_t aht_ms;         /* average handling time (stats.c) */
    uint64_t aht_n;         /* calls it averages */
    bool removed;           /* gone from the configuration; lives while n_calls > 0 */
    bool skipped;           /* dispatch: strategy found nobody this pass */
    acd__call_t *pass_head; /* dispatch: the call to offer next when its head cannot be */
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
    acd__skillset_t skills;
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
    char delivery[16];                 /* nobody on the line: ADR 0021's kind; else "" */
    char message[256];                 /* delivery voicemail: the message's file */
    char priority_reason[16];          /* "vip", "redial", "ivr", "queue", "" */
    /* queue rules (overflow.c) */
    acd_ms_t queue_ms;                 /* when it entered its current queue */
    unsigned overflows;                /* queue-to-queue moves so far */
    bool max_wait_spent;               /* its queue's max wait fired and left it there */
    acd__heap_node_t maxwait_node;     /* in c->wait_deadlines while armed */
    acd_ms_t maxwait_at;
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

/* Recent abandons (priority.c): by tenant and caller, and by end time. */
typedef struct acd__abandons {
    acd_hmap_t by_key; /* acd__abandon_t by "tenant\0caller" */
    acd_list_t order;  /* oldest end first: the first to forget */
    size_t n;
    uint64_t dropped;  /* forgotten to stay within ACD_ABANDON_MAX */
} acd__abandons_t;

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
    acd__heap_t wait_deadlines; /* calls whose queue's max wait is armed, by its deadline */
    acd__abandons_t abandons;   /* recent abandons, for the redial priority */
    acd_list_t emptied;         /* leave_empty queues left with nobody logged in */
    size_t n_leave_empty;       /* queues with an armed leave_empty rule */
    acd_ms_t now;               /* the time of the last entry point that changed anything */
    acd_ms_t relax_at;          /* the next skill relaxation that may let a call go out */
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
int acd__call_detach(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_adopt(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_forget(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_answered(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_offer_failed(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
int acd__call_agent_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
/* Ends call at now with disposition disp: releases what it holds, CDR, frees it. */
void acd__call_end(acd_core_t *c, acd__call_t *call, acd_disposition_t disp, acd_ms_t now);
/* Moves call, QUEUED, to wait in q from now (its enqueue time and priority kept); room in
 * q's waiting heap must have been reserved. A removed queue left empty is freed. */
void acd__call_move(acd_core_t *c, acd__call_t *call, acd__queue_t *q, acd_ms_t now);

/* ---- dispatch.c ---- */

/*
 * Offers waiting calls to available agents until no queue has both, globally first call
 * first: see dispatch.c for the rule. Then sets c->relax_at.
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

/* Writes the key "tenant\0caller" into buf (2 * ACD_ID_MAX bytes); returns its slice. */
acd_str_t acd__caller_key(char *buf, const char *tenant, const char *caller);
/* False for an empty caller number or one that withholds the caller ("anonymous" ...). */
bool acd__caller_identified(const char *caller);
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

/* ---- skills.c: skill requirements, relaxation and match scores ---- */

/* True when v[0..n) is a valid skill list: ids, levels 1..10, no name twice, n bounded. */
bool acd__skills_valid(const acd_core_skill_t *v, size_t n);
/* True when v[0..n) is a valid relaxation list for a queue requiring skills[0..n_skills). */
bool acd__relax_valid(const acd_core_relax_t *v, size_t n, const acd_core_skill_t *skills,
                      size_t n_skills);
/* Copies a valid skill list into *out (owned by it). Returns 0 or -ENOMEM. */
int acd__skillset_copy(acd__skillset_t *out, const acd_core_skill_t *v, size_t n);
void acd__skillset_free(acd__skillset_t *s);
/*
 * Builds the requirements of a valid queue configuration into *qs with room for the
 * levels of n_members members (acd__qskills_fill writes them). Returns 0 or -ENOMEM.
 */
int acd__qskills_build(acd__qskills_t *qs, const acd_core_queue_cfg_t *qc, size_t n_members);
void acd__qskills_fini(acd__qskills_t *qs);
/* Writes q's member levels from its members' skills (q->members, q->sk built for them). */
void acd__qskills_fill(acd__queue_t *q);
/* The levels call requires at now, per q skill; NULL when q requires no skills. */
const int *acd__skills_need(const acd__queue_t *q, const acd__call_t *call, acd_ms_t now);
/* The match score of q->members[i] for need: the sum of its levels on the required skills,
 * or -1 when it lacks one at the level required. 0 for a NULL need. */
int acd__skills_score(const acd__queue_t *q, size_t i, const int *need);
/* call's needs at now and the best score among the members eligible for it (-1: none). */
void acd__skills_match(const acd__queue_t *q, const acd__call_t *call, acd_ms_t now,
                       acd__match_t *m);
/* True when an available member of q (missed the call or not) meets need. */
bool acd__skills_servable(const acd__queue_t *q, const int *need);
/* The first of q's waiting calls, in dispatch order, that an available member can take
 * at now; NULL when none. Only for a queue whose requirements change with waiting. */
acd__call_t *acd__skills_first_servable(const acd__queue_t *q, acd_ms_t now);
/* The first instant after now at which one of q's waiting calls reaches a new stage;
 * INT64_MAX when none will. */
acd_ms_t acd__skills_next_relax(const acd__queue_t *q, acd_ms_t now);
/* Checks q's member levels against its members' skills: NULL, or what is broken. */
const char *acd__skills_check(const acd__queue_t *q);

/* ---- priority.c: VIPs, redials after an abandon ---- */

void acd__abandons_init(acd__abandons_t *ab);
void acd__abandons_fini(acd__abandons_t *ab);
/* Builds every tenant's sorted VIP list into t (cfg validated). Returns 0 or -ENOMEM. */
int acd__tenants_vips_build(acd__tenants_t *t, const acd_core_cfg_t *cfg);
/* True when the tenant configuration's priority settings are valid. */
bool acd__tenant_priority_valid(const acd_core_tenant_cfg_t *t);
/*
 * Gives call, just created by CALL_ARRIVE ev, the highest of: its priority so far (the
 * event's or its queue's, a restore ticket's), its queue's default, the tenant's VIP
 * priority, its redial priority (the abandon remembered is used up); and the reason.
 */
void acd__priority_arrive(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now);
/* call (of its tenant, from its caller) was abandoned at at: remembered when the tenant
 * has an abandon window; the oldest is forgotten beyond ACD_ABANDON_MAX. */
void acd__abandon_record(acd_core_t *c, const char *tenant, const char *caller, acd_ms_t at);
/* Event handler for ABANDON_NOTE. */
int acd__abandon_note(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);
const char *acd__abandons_check(const acd_core_t *c);

/* ---- overflow.c: max wait, max length, empty queues ---- */

bool acd__wait_deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b);
/* Parses an overflow setting. Returns 0 (kind, and *queue for "queue:NAME") or -EINVAL. */
int acd__overflow_parse(const char *setting, acd__overflow_kind_t *kind, const char **queue);

/* Where a new call goes (acd__overflow_admit). */
typedef struct acd__admit {
    acd__queue_t *queue;    /* where it is created: it waits there, or leaves from there */
    unsigned moves;         /* queue-to-queue overflows on the way */
    const char *reason;     /* it overflows out at once for this reason; NULL: it waits */
    acd__queue_t *out_from; /* with reason: the queue whose rule and target send it out */
    acd__queue_t *moved_from; /* it waits in queue, moved there from this one (first_rule) */
    const char *first_rule;
} acd__admit_t;

/*
 * The queue rules for a new call entering q at now: max_len and join_empty of q and of
 * the queues its overflow leads to. Room in the destination's waiting heap is reserved.
 * Returns 0 with *ad, -EBUSY (q is full and has no target: refuse the call), -ENOMEM;
 * nothing changed but heap capacity.
 */
int acd__overflow_admit(acd_core_t *c, acd__queue_t *q, acd_ms_t now, acd__admit_t *ad);
/* from's rule reason sends call out to from's target: OVERFLOW, then it ends (CDR). */
void acd__overflow_out(acd_core_t *c, acd__call_t *call, const acd__queue_t *from,
                       const char *reason, acd_ms_t now);
/* The OVERFLOW of call, which from's rule reason moves (or moved) to wait in to. */
void acd__overflow_moved(acd_core_t *c, const acd__call_t *call, const acd__queue_t *from,
                         const acd__queue_t *to, const char *reason);
/* True when call's max wait is to be watched: it waits in a queue with max_wait and a
 * target, that has not fired for it there, and that may still move it. */
bool acd__overflow_armed(const acd__call_t *call);
/* Arms or disarms call's max-wait deadline after it started or stopped waiting. */
void acd__overflow_arm(acd_core_t *c, acd__call_t *call);
void acd__overflow_disarm(acd_core_t *c, acd__call_t *call);
/* Re-arms every waiting call of q after its rules changed (configure). */
void acd__overflow_rearm(acd_core_t *c, acd__queue_t *q);
/* q's count of logged-in members changed from before (local + remote): a drop to 0 marks
 * a leave_empty queue emptied. */
void acd__overflow_logged_in(acd_core_t *c, acd__queue_t *q, size_t before);
/* Fires every max-wait deadline <= now and empties the emptied queues: at most 2 actions
 * per call that leaves. */
void acd__overflow_run(acd_core_t *c, acd_ms_t now);
/* Max-wait deadlines <= now (what acd__overflow_run fires, for reserving room). */
size_t acd__overflow_due(const acd_core_t *c, acd_ms_t now);
/* The earliest max-wait deadline, or now when a queue was emptied, or INT64_MAX. */
acd_ms_t acd__overflow_next(const acd_core_t *c);

/* ---- stats.c ---- */

/* A call answered in q was handled for handle_ms (talk and wrap-up): the AHT moves. */
void acd__stats_handled(acd__queue_t *q, int64_t handle_ms);
/* Members of q logged in here and at other sites. */
size_t acd__queue_logged_in(const acd__queue_t *q);

/* ---- check.c ---- */

/*
 * Verifies every invariant listed above and the links between entities. Returns NULL
 * when all hold, else a static description of the first one broken. For tests.
 */
const char *acd__core_check(const acd_core_t *c);

#endif
