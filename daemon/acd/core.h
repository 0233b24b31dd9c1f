/* core.h - the pure ACD core: tenants, queues, agents, calls; apply(event, now) -> actions. */
#ifndef ACD_ACD_CORE_H
#define ACD_ACD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The core does no I/O and reads no clock: every entry point takes `now` (wall-clock
 * milliseconds since the Unix epoch) and answers with actions for the caller to carry
 * out. The same event stream always produces the same actions, which is what makes
 * replay, replication and tests deterministic. Nothing here is thread-safe.
 */
typedef int64_t acd_ms_t;

#define ACD_ID_MAX 64     /* ids, names, numbers: at most 63 bytes + NUL */
#define ACD_REASON_MAX 32

typedef struct acd_core acd_core_t;

/* ---- configuration (values copied in; the core keeps no pointer to them) ---- */

/*
 * Skills (skills.c). An agent has skills at levels 1..10; a queue requires skills at
 * levels 1..10, and its relaxations lower (or drop, level 0) a requirement for calls that
 * have waited long enough. An agent is eligible for a call only when it has every skill
 * the call requires now at a level at least the one required; among the eligible members
 * those with the best match (the sum of their levels on the required skills) are the
 * ones the queue's strategy chooses from. A queue without skills requires nothing.
 */
#define ACD_SKILLS_MAX 16    /* skills per agent or queue, relaxations per queue */
#define ACD_SKILL_LEVEL_MAX 10

typedef struct acd_core_skill {
    const char *name;
    int level; /* 1..10 */
} acd_core_skill_t;

/* After a call has waited after_ms (since it entered acdd), its requirement for skill
 * becomes level; 0 drops it. skill is one of the queue's skills; of several relaxations
 * due for one skill the one with the largest after_ms applies (on a tie the last listed). */
typedef struct acd_core_relax {
    int after_ms; /* > 0 */
    const char *skill;
    int level;    /* 0..10 */
} acd_core_relax_t;

typedef struct acd_core_tenant_cfg {
    const char *name;
    const char *const *dids; /* numbers this tenant answers */
    size_t n_dids;
    const char *queue;       /* queue new calls enter */
    const char *language;    /* "en", "es" */
    /* Callback after a failed takeover (restore.c, ADR 0019): attempts 0 is off. */
    int callback_attempts; /* calls placed at most for one ticket */
    int callback_delay_ms; /* from the ticket to the first call, and between calls */
    int callback_ring_ms;  /* a call unanswered this long is cancelled (> 0 when on) */
    /*
     * Priorities (priority.c): a new call gets the highest of its event's priority (IVR),
     * its queue's default, vip_priority when the caller number is listed in vip, and
     * redial_priority when the same caller abandoned a call of this tenant within
     * abandon_window_ms before (that memory is then used up).
     */
    const char *const *vip; /* caller numbers */
    size_t n_vip;
    int vip_priority;      /* 0 = 10 */
    int redial_priority;   /* 0 = 5 */
    int abandon_window_ms; /* 0 = off: abandons are not remembered */
} acd_core_tenant_cfg_t;

/* Abandons remembered at most (all tenants): one more forgets the oldest. */
#define ACD_ABANDON_MAX 4096

typedef struct acd_core_queue_cfg {
    const char *name;
    const char *tenant;
    const char *strategy;    /* a name from the strategy table: "longest-idle" */
    int ring_timeout_ms;     /* an offer unanswered this long goes to the next agent */
    int wrapup_ms;           /* after a call, before the agent is offered again */
    int max_no_answer;       /* offers missed in a row before pausing "no-answer"; 0 = never */
    int priority;            /* default priority of calls entering this queue */
    /* Skills the queue's calls require, and how they relax with waiting (see above). */
    const acd_core_skill_t *skills;
    size_t n_skills;
    const acd_core_relax_t *relax;
    size_t n_relax;
    /*
     * Queue rules (overflow.c). overflow is where a call goes when a rule sends it away:
     * "queue:NAME" (another queue of the same tenant: the call moves there and keeps its
     * enqueue time and priority; at most ACD_OVERFLOW_MOVES_MAX moves per call), or
     * "voicemail", "callback", "hangup" (ACD_ACT_OVERFLOW: the call leaves the core with
     * disposition overflow and its CDR, call control does the rest); NULL or "" = none.
     *   max_wait_ms  a call waiting this long in this queue (since it entered the queue)
     *                overflows ("max-wait"); nothing without an overflow target.
     *   max_len      an arriving call that finds max_len calls waiting overflows
     *                ("max-len"); without a target the arrival is refused (-EBUSY).
     *   join_empty   false: with a target, a call arriving when no member is logged in
     *                (here or, see acd_core_set_remote_members, at other sites; paused
     *                counts as logged in) overflows at once ("empty"); without a target
     *                it joins (the old behaviour).
     *   leave_empty  true: with a target, the calls waiting when the last logged-in member
     *                logs out overflow ("empty").
     * All zero: no rules, as before. Takeovers (CALL_ADOPT) and redials or callbacks that
     * take a restore ticket are not new arrivals: max_len and join_empty do not apply.
     */
    int max_wait_ms;          /* 0: none */
    int max_len;              /* 0: none */
    const char *overflow;
    bool join_empty;
    bool leave_empty;
} acd_core_queue_cfg_t;

/* Queue-to-queue overflow moves one call may make, so that a loop of queues ends. */
#define ACD_OVERFLOW_MOVES_MAX 4

typedef struct acd_core_agent_cfg {
    const char *id;
    const char *sip_user;
    const char *const *queues;
    size_t n_queues;
    const acd_core_skill_t *skills;
    size_t n_skills;
} acd_core_agent_cfg_t;

typedef struct acd_core_cfg {
    const acd_core_tenant_cfg_t *tenants;
    size_t n_tenants;
    const acd_core_queue_cfg_t *queues;
    size_t n_queues;
    const acd_core_agent_cfg_t *agents;
    size_t n_agents;
} acd_core_cfg_t;

/* ---- states ---- */

#define ACD_AGENT_STATES(X)                                                               \
    X(ACD_AGENT_LOGGED_OUT, "logged-out")                                                 \
    X(ACD_AGENT_AVAILABLE, "available")                                                   \
    X(ACD_AGENT_RINGING, "ringing")                                                       \
    X(ACD_AGENT_ON_CALL, "on-call")                                                       \
    X(ACD_AGENT_WRAPUP, "wrap-up")                                                        \
    X(ACD_AGENT_PAUSED, "paused")

typedef enum acd_agent_state {
#define ACD__AS_ENUM(e, s) e,
    ACD_AGENT_STATES(ACD__AS_ENUM)
#undef ACD__AS_ENUM
} acd_agent_state_t;

#define ACD_CALL_STATES(X)                                                                \
    X(ACD_CALL_QUEUED, "queued")                                                          \
    X(ACD_CALL_OFFERED, "offered")                                                        \
    X(ACD_CALL_CONNECTED, "connected")                                                    \
    X(ACD_CALL_ENDED, "ended")

typedef enum acd_call_state {
#define ACD__CS_ENUM(e, s) e,
    ACD_CALL_STATES(ACD__CS_ENUM)
#undef ACD__CS_ENUM
} acd_call_state_t;

/* How a call ended, for CDRs. */
#define ACD_DISPOSITIONS(X)                                                               \
    X(ACD_DISP_NONE, "none")                                                              \
    X(ACD_DISP_ANSWERED, "answered")       /* connected to an agent, then ended */        \
    X(ACD_DISP_ABANDONED, "abandoned")     /* caller hung up while queued or offered */   \
    X(ACD_DISP_FAILED, "failed")           /* ended by acdd: media/SIP failure, shutdown */ \
    X(ACD_DISP_VOICEMAIL, "voicemail")     /* the caller left a message (never queued) */ \
    X(ACD_DISP_IVR, "ivr")                 /* ended in the menu or an announcement */ \
    X(ACD_DISP_OVERFLOW, "overflow")       /* a queue rule sent it away (ACD_ACT_OVERFLOW) */

typedef enum acd_disposition {
#define ACD__D_ENUM(e, s) e,
    ACD_DISPOSITIONS(ACD__D_ENUM)
#undef ACD__D_ENUM
} acd_disposition_t;

const char *acd_agent_state_name(acd_agent_state_t s);
const char *acd_call_state_name(acd_call_state_t s);
const char *acd_disposition_name(acd_disposition_t d);

/*
 * Cluster mode (docs/adr/0011): sites own facts, the leader owns decisions. A call is
 * owned by the site that took it, an agent by the site its phone is registered with.
 * With local dispatch off (acd_core_set_local_dispatch) the core never matches calls
 * to agents itself; the leader's offers arrive as REMOTE_RESERVE at the agent's owner,
 * whose answer (ACD_ACT_OFFER_ACCEPT) arrives as REMOTE_ACCEPTED at the call's owner,
 * which rings the agent only if the call still waits. What the call's owner learns
 * about the remote agent afterwards travels back as ACD_ACT_REMOTE_AGENT, fed to the
 * agent's owner as REMOTE_CALL_UPDATE. Every cross-site message is quoted with the
 * leader's offer_id, so a late or duplicated one never acts on a newer offer.
 */
#define ACD_REMOTE_KINDS(X)                                                               \
    X(ACD_REMOTE_NONE, "none")                                                            \
    X(ACD_REMOTE_ANSWERED, "answered") /* ringing -> on-call */                          \
    X(ACD_REMOTE_MISSED, "missed")     /* ringing unanswered: counts a miss */           \
    X(ACD_REMOTE_RELEASED, "released") /* reservation or ring dropped, not a miss */     \
    X(ACD_REMOTE_ENDED, "ended")       /* the connected call ended: wrap-up */

typedef enum acd_remote_kind {
#define ACD__RK_ENUM(e, s) e,
    ACD_REMOTE_KINDS(ACD__RK_ENUM)
#undef ACD__RK_ENUM
} acd_remote_kind_t;

const char *acd_remote_kind_name(acd_remote_kind_t k);

/* How long past the queue's ring timeout an agent's reservation for a remote call lasts
 * when its owner hears nothing from the call's owner. */
#define ACD_RESERVATION_GRACE_MS 5000

/* ---- events: everything that changes the core ---- */

typedef enum acd_event_type {
    ACD_EV_CALL_ARRIVE,    /* a caller entered: call_id, did, caller, [queue], [priority] */
    ACD_EV_CALL_HANGUP,    /* the caller hung up or the call failed: call_id, disposition hint */
    ACD_EV_AGENT_LOGIN,    /* agent_id: phone registered / agent logged in */
    ACD_EV_AGENT_LOGOUT,   /* agent_id */
    ACD_EV_AGENT_PAUSE,    /* agent_id, reason */
    ACD_EV_AGENT_UNPAUSE,  /* agent_id */
    ACD_EV_OFFER_ANSWERED, /* call_id, agent_id: the agent's phone answered */
    ACD_EV_OFFER_FAILED,   /* call_id, agent_id, reason: busy, rejected, unreachable */
    ACD_EV_AGENT_HANGUP,   /* call_id, agent_id: the agent ended a connected call */
    ACD_EV_TICK,           /* time passed: deadlines (ring timeout, wrap-up end) fire */
    /* cluster mode (see acd_remote_kind_t above and remote.c, reservation.c) */
    ACD_EV_EPOCH,          /* epoch: a leader with this epoch exists (raises, never lowers) */
    ACD_EV_REMOTE_RESERVE, /* agent owner: offer_id, epoch, agent_id, call_id, call_site, queue */
    ACD_EV_REMOTE_CALL_UPDATE, /* agent owner: agent_id, call_id, kind, [offer_id] */
    ACD_EV_REMOTE_ACCEPTED, /* call owner: offer_id, call_id, agent_id, agent_site, sip_user */
    ACD_EV_CALL_ADOPT,      /* takeover: call_id, did, caller, queue, priority, enqueue_ms,
                               [agent_id, agent_site, offer_id, answer_ms: connected] */
    ACD_EV_CALL_FORGET,     /* call_id, call_site (the taker), offer_id: taken over
                               elsewhere; leaves without a CDR, its agent held for it */
    ACD_EV_CALLBACK_FAILED, /* did, caller, attempt, reason: a callback went unanswered
                               (busy, declined, error); see restore.c */
    ACD_EV_ABANDON_NOTE,    /* tenant (or did), caller, end_ms, [enqueue_ms]: a caller of
                               that tenant abandoned at another site (priority.c) */
    ACD_EV_CALL_DETACH,     /* call_id, delivery: the waiting caller's line is released but
                               the call keeps its place; an agent gets it by calling the
                               customer (virtual hold, docs/adr/0021) */
} acd_event_type_t;

typedef struct acd_event {
    acd_event_type_t type;
    char call_id[ACD_ID_MAX];
    char agent_id[ACD_ID_MAX];
    char did[ACD_ID_MAX];
    char caller[ACD_ID_MAX];   /* caller's number (From user) */
    char queue[ACD_ID_MAX];    /* empty: the tenant's queue */
    char reason[ACD_REASON_MAX];
    int priority;              /* higher first. CALL_ARRIVE: the IVR's (0: none); the call
                                  gets the highest of it, its queue's default, VIP and
                                  redial (priority.c). CALL_ADOPT: its own; 0 = default */
    bool failed;               /* CALL_HANGUP: ended by a failure, not by the caller */
    bool restorable;           /* CALL_HANGUP: the takeover re-INVITE of an adopted waiting
                                  caller failed: a redial gets its place back (restore.c) */
    bool callback;             /* CALL_ARRIVE: the caller answered our callback attempt */
    int attempt;               /* CALL_ARRIVE with callback, CALLBACK_FAILED: which one */
    /* cluster mode */
    char offer_id[ACD_ID_MAX];   /* the leader's offer this is about */
    char call_site[ACD_ID_MAX];  /* REMOTE_RESERVE: the call's owner */
    char agent_site[ACD_ID_MAX]; /* REMOTE_ACCEPTED: the agent's owner */
    char sip_user[ACD_ID_MAX];   /* REMOTE_ACCEPTED: the agent's SIP user */
    uint64_t epoch;              /* EPOCH, REMOTE_RESERVE: the leader's epoch (> 0) */
    acd_remote_kind_t kind;      /* REMOTE_CALL_UPDATE */
    acd_ms_t enqueue_ms;         /* CALL_ADOPT: when the call entered its queue (> 0) */
    acd_ms_t answer_ms;          /* CALL_ADOPT: when its agent answered (connected) */
    int offers;                  /* CALL_ADOPT: agents rung for it so far */
    char tenant[ACD_ID_MAX];     /* ABANDON_NOTE: the tenant; empty: the tenant of did */
    acd_ms_t end_ms;             /* ABANDON_NOTE: when the caller hung up; 0: now */
    /* CALL_ARRIVE, CALL_ADOPT, CALL_DETACH: nobody on the line (ADR 0021): "callback",
     * "voicemail", "outbound"; "" a caller on the line. message: a voicemail's file. */
    char delivery[16];
    char message[256];
} acd_event_t;

/* ---- actions: what the caller must do ---- */

typedef enum acd_action_type {
    ACD_ACT_OFFER,          /* ring agent_id for call_id (send the agent INVITE) */
    ACD_ACT_CANCEL_OFFER,   /* stop ringing agent_id for call_id (CANCEL; ring timeout) */
    ACD_ACT_REJECT_ANSWER,  /* agent answered an offer that is no longer valid: hang it up */
    ACD_ACT_CONNECT,        /* bridge call_id with agent_id (3PCC re-INVITE) */
    ACD_ACT_END_CALL,       /* release the call's legs (caller and agent, when any) */
    ACD_ACT_AGENT_STATE,    /* agent_id moved from old_state to new_state (reason) */
    ACD_ACT_CDR,            /* the call ended: write cdr */
    /* cluster mode: for the cluster layer to publish */
    ACD_ACT_OFFER_ACCEPT,   /* agent owner: agent_id reserved for offer_id (call_id, call_site) */
    ACD_ACT_OFFER_REJECT,   /* agent owner: offer_id refused, reason; nothing changed */
    ACD_ACT_REMOTE_RELEASE, /* call owner: an accept came too late; free agent_id at agent_site */
    ACD_ACT_REMOTE_AGENT,   /* call owner: what happened to remote agent_id (kind) on call_id */
    /* callback after a failed takeover (restore.c): about callback, call_id empty */
    ACD_ACT_CALLBACK,         /* call the caller back: attempt callback.attempt (INVITE) */
    ACD_ACT_CALLBACK_CANCEL,  /* stop that attempt ringing (CANCEL); reason "redial",
                                 "timeout", "dropped" */
    ACD_ACT_CALLBACK_GAVE_UP, /* the last attempt failed: the ticket is gone */
    /* queue rules (overflow.c) */
    ACD_ACT_OVERFLOW, /* call_id overflowed out of queue for reason ("max-wait", "max-len",
                         "empty") to target: "queue:NAME" (it waits in NAME now, perhaps
                         after a chain of queues; nothing to do but note it), or
                         "voicemail", "callback", "hangup" (queue's target: the call has
                         left the core, its CDR with disposition overflow follows; send
                         the caller there). One per overflow of a call. */
} acd_action_type_t;

typedef struct acd_cdr {
    char call_id[ACD_ID_MAX];
    char tenant[ACD_ID_MAX];
    char did[ACD_ID_MAX];
    char caller[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
    char agent[ACD_ID_MAX];   /* empty when never connected */
    acd_ms_t enqueue_ms;
    acd_ms_t answer_ms;       /* 0 when never connected */
    acd_ms_t end_ms;
    int64_t wait_ms;          /* enqueue -> answer (or -> end when never answered) */
    int64_t talk_ms;          /* answer -> end, 0 when never answered */
    int64_t wrapup_ms;        /* the queue's wrap-up the agent is given after it (agent
                                 handle time = talk + wrap-up), 0 when never answered */
    int offers;               /* agents rung for this call */
    acd_disposition_t disposition;
    char agent_site[ACD_ID_MAX]; /* the site owning agent, when another site's; else "" */
    char restored_from[ACD_ID_MAX]; /* the failed call whose place this redial took, else "" */
    bool callback;                  /* the call was our callback to the caller (ADR 0019) */
    char delivery[16];              /* ADR 0021's kind, "" for a caller on the line */
    int priority;                   /* its priority in the queue */
    char priority_reason[16];       /* what gave it: "vip", "redial", "ivr", "queue", "" */
} acd_cdr_t;

/* The restore ticket a callback action is about, and the attempt (restore.c). */
typedef struct acd_callback_ref {
    char tenant[ACD_ID_MAX];
    char did[ACD_ID_MAX];         /* the number the caller had dialled */
    char caller[ACD_ID_MAX];      /* the number to call */
    char old_call_id[ACD_ID_MAX]; /* the failed call whose place the caller keeps */
    int attempt;                  /* 1-based */
    int attempts;                 /* at most this many */
} acd_callback_ref_t;

typedef struct acd_action {
    acd_action_type_t type;
    char call_id[ACD_ID_MAX];
    char agent_id[ACD_ID_MAX];
    char sip_user[ACD_ID_MAX];   /* OFFER: the agent's SIP user */
    int ring_timeout_ms;         /* OFFER */
    acd_agent_state_t old_state, new_state; /* AGENT_STATE */
    char reason[ACD_REASON_MAX]; /* AGENT_STATE pause reason; CANCEL_OFFER "timeout";
                                    OVERFLOW "max-wait", "max-len", "empty" */
    acd_cdr_t cdr;               /* CDR */
    /*
     * Cluster mode. agent_site is set on OFFER, CANCEL_OFFER, CONNECT, END_CALL,
     * REMOTE_RELEASE and REMOTE_AGENT when agent_id is another site's agent: call control
     * then finds its contact among the replicated registrations and moves no local agent.
     * call_site is set on OFFER_ACCEPT and OFFER_REJECT; on CANCEL_OFFER when a local
     * agent reserved for another site's call leaves (logout, removal): ask that site to
     * stop ringing (it owns the ringing leg) instead of cancelling anything here; and on
     * the AGENT_STATE of a reservation that expired (reason "reservation-expired").
     */
    char offer_id[ACD_ID_MAX];   /* OFFER_ACCEPT/REJECT, REMOTE_*, remote OFFER */
    char call_site[ACD_ID_MAX];
    char agent_site[ACD_ID_MAX];
    acd_remote_kind_t kind;      /* REMOTE_AGENT */
    uint64_t epoch;              /* OFFER_ACCEPT/REJECT: the offer's epoch */
    acd_callback_ref_t callback; /* CALLBACK, CALLBACK_CANCEL, CALLBACK_GAVE_UP */
    char queue[ACD_ID_MAX];      /* OVERFLOW: the queue the call overflowed out of */
    char target[ACD_ID_MAX + 8]; /* OVERFLOW: where it went: the overflow setting of queue,
                                    or "queue:NAME" of the queue it waits in now */
} acd_action_t;

/* A growable list of actions; zero-initialise, reuse with acd_actions_reset(). */
typedef struct acd_actions {
    acd_action_t *v;
    size_t n, cap;
} acd_actions_t;

void acd_actions_reset(acd_actions_t *a);
void acd_actions_fini(acd_actions_t *a);

/* ---- lifecycle ---- */

/* Creates an empty core. Returns 0 or -ENOMEM. */
int acd_core_alloc(acd_core_t **cp);
void acd_core_free(acd_core_t *c);

/*
 * Applies a whole configuration, live: adds what is new, updates what changed, removes
 * what is gone. A removed queue keeps its waiting calls until they end (no new ones
 * enter); a removed agent is logged out after its current call. Returns 0, -EINVAL
 * (queue of unknown tenant, unknown strategy, duplicate DID ...; nothing is changed),
 * -ENOMEM. Distribution it makes possible is reported in out.
 */
int acd_core_configure(acd_core_t *c, const acd_core_cfg_t *cfg, acd_ms_t now,
                       acd_actions_t *out);

/*
 * Applies one event at time now and appends the resulting actions to out, in the order
 * they must be carried out. Returns 0, or a negative code when the event is refused
 * (ACD_ENOAGENT, ACD_ENOTENANT, ACD_ESTATE, -EEXIST, -EINVAL); a refused event changes
 * nothing and appends nothing. Actions never re-enter the core: carry them out, and
 * feed what they cause back as new events.
 */
int acd_core_apply(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd_actions_t *out);

/* The earliest pending deadline, or INT64_MAX when none: send ACD_EV_TICK then. */
acd_ms_t acd_core_next_deadline(const acd_core_t *c);

/*
 * Local dispatch on (the default: a single site, or a site in island mode) matches this
 * site's waiting calls with its available agents as events arrive; off (cluster mode
 * under a leader) the core never matches on its own and waits for the leader's offers.
 * Turning it on dispatches at once (actions in out). Remote reservations and remote
 * offers already made stay as they are in either mode, and remote events are handled in
 * either mode: a site in island mode takes no offers by not feeding them. Returns 0,
 * -EINVAL, -ENOMEM (nothing changed).
 */
int acd_core_set_local_dispatch(acd_core_t *c, bool on, acd_ms_t now, acd_actions_t *out);
bool acd_core_local_dispatch(const acd_core_t *c);
/* The newest leader epoch this core knows (0 before any). */
uint64_t acd_core_epoch(const acd_core_t *c);

/* ---- lookups and read-only views for status, API and tests ---- */

/* Finds the tenant answering did; NULL when none. The name stays valid until reconfigure. */
const char *acd_core_tenant_for_did(const acd_core_t *c, const char *did);
/* Finds the agent id whose SIP user is user; NULL when none. */
const char *acd_core_agent_for_user(const acd_core_t *c, const char *user);
/* Language of a tenant ("en" when unknown). */
const char *acd_core_tenant_language(const acd_core_t *c, const char *tenant);

typedef struct acd_agent_view {
    const char *id;
    const char *sip_user;
    acd_agent_state_t state;
    const char *pause_reason; /* "" unless paused */
    acd_ms_t state_since;
    acd_ms_t idle_since;      /* when the agent last became available */
    const char *call_id;      /* "" unless ringing or on a call */
    const char *call_site;    /* the owner of call_id when another site's (reserved), else "" */
    int missed_in_row;
    unsigned calls_handled;
} acd_agent_view_t;

typedef struct acd_queue_view {
    const char *name;
    const char *tenant;
    const char *strategy;
    size_t waiting;           /* calls queued, not offered */
    size_t offered;           /* calls ringing an agent */
    size_t agents_logged_in;
    size_t agents_available;
    acd_ms_t oldest_enqueue;  /* 0 when nobody waits */
} acd_queue_view_t;

typedef struct acd_call_view {
    const char *id;
    const char *tenant;
    const char *did;
    const char *caller;
    const char *queue;
    acd_call_state_t state;
    const char *agent;        /* "" unless offered or connected */
    const char *agent_site;   /* the owner of agent when another site's, else "" */
    int priority;
    acd_ms_t enqueue_ms;
    acd_ms_t answer_ms;
    int position;             /* 1-based place in its queue while queued, else 0 */
    int offers;               /* agents rung for it so far */
    const char *restored_from; /* the failed call whose place it took on redial, else "" */
    bool callback;             /* it is our callback to the caller (ADR 0019) */
    const char *delivery;      /* "" a caller on the line; "callback", "voicemail", "outbound" */
    const char *message;       /* delivery voicemail: the message's file; else "" */
    const char *priority_reason; /* "vip", "redial", "ivr", "queue", "" (see the CDR) */
} acd_call_view_t;

/* Visit entities in a stable order (agents by id, queues by name, calls by queue order). */
void acd_core_foreach_agent(const acd_core_t *c, void (*cb)(void *ud, const acd_agent_view_t *v),
                            void *ud);
void acd_core_foreach_queue(const acd_core_t *c, void (*cb)(void *ud, const acd_queue_view_t *v),
                            void *ud);
void acd_core_foreach_call(const acd_core_t *c, void (*cb)(void *ud, const acd_call_view_t *v),
                           void *ud);
/* One entity by id; return 0 and fill *v, or ACD_ENOAGENT / -ENOENT. */
int acd_core_agent(const acd_core_t *c, const char *id, acd_agent_view_t *v);
int acd_core_call(const acd_core_t *c, const char *id, acd_call_view_t *v);

/*
 * Position and expected wait of a waiting call (stats.c): *position is its place among
 * its queue's waiting calls in dispatch order (1 = next), *ewt_ms is position * AHT /
 * max(1, members logged in here and at other sites), where AHT is the queue's average
 * handling time (below). Either pointer may be NULL. Returns 0, -ENOENT (no such call),
 * ACD_ESTATE (the call rings an agent or is connected), -EINVAL.
 */
int acd_core_call_position(const acd_core_t *c, const char *call_id, acd_ms_t now,
                           unsigned *position, int64_t *ewt_ms);

/* The default average handling time, until a queue has answered its first call. */
#define ACD_AHT_DEFAULT_MS 180000

typedef struct acd_queue_stats {
    size_t waiting;          /* calls queued, not offered */
    int64_t longest_wait_ms; /* the oldest waiting call's wait at now (0: nobody waits) */
    size_t logged_in;        /* members logged in, here and (acd_core_set_remote_members) elsewhere */
    size_t available;        /* members available here */
    /* Average handling time: an exponential moving average (alpha 0.2) of talk time plus
     * the queue's wrap-up time over the calls answered in this queue that ended here;
     * ACD_AHT_DEFAULT_MS before the first. */
    int64_t aht_ms;
} acd_queue_stats_t;

/* Fills *st for queue at now. Returns 0, ACD_ENOQUEUE, -EINVAL. */
int acd_core_queue_stats(const acd_core_t *c, const char *queue, acd_ms_t now,
                         acd_queue_stats_t *st);

/*
 * Tells the core how many members of queue are logged in at other sites (the cluster
 * layer counts them from its replicas), for join_empty, leave_empty and the expected
 * wait. When that leaves a leave_empty queue with nobody logged in, its waiting calls
 * overflow at the next entry point: acd_core_next_deadline() then answers at once (a
 * TICK carries it out). Returns 0, ACD_ENOQUEUE, -EINVAL.
 */
int acd_core_set_remote_members(acd_core_t *c, const char *queue, unsigned n_logged_in);

/*
 * A queue's distribution rules as configured, for the cluster leader's planner: strategy
 * name, skills and relaxations (sorted by after_ms). The arrays and strings stay valid
 * until the next acd_core_configure(). Returns 0, ACD_ENOQUEUE (none, or removed), -EINVAL.
 */
typedef struct acd_queue_rules {
    const char *name;
    const char *strategy;
    const acd_core_skill_t *skills;
    size_t n_skills;
    const acd_core_relax_t *relax;
    size_t n_relax;
} acd_queue_rules_t;

int acd_core_queue_rules(const acd_core_t *c, const char *queue, acd_queue_rules_t *r);
/* An agent's skills (valid until the next configure). Returns 0, ACD_ENOAGENT, -EINVAL. */
int acd_core_agent_skills(const acd_core_t *c, const char *agent, const acd_core_skill_t **skills,
                          size_t *n_skills);

/*
 * Restore on redial (restore.c, ADR 0016). When the takeover re-INVITE of an adopted
 * waiting caller fails (CALL_HANGUP with failed and restorable), the core keeps a ticket
 * for its tenant and caller number: its queue, priority and original enqueue time, for
 * the configured redial window. A CALL_ARRIVE of the same tenant (by DID) and caller
 * number within the window takes the ticket: the new call waits in the ticket's queue at
 * the original enqueue time (and the original priority when higher), and its view and
 * CDR name the old call in restored_from. An empty or anonymous caller number never gets
 * a ticket. At most ACD_RESTORE_MAX tickets are kept: a new one beyond that drops the one
 * closest to expiry (counted). TICK drops expired ones.
 */
#define ACD_RESTORE_MAX 4096

/*
 * Callback (ADR 0019). For a tenant with callback_attempts > 0 the ticket is made whatever
 * the redial window, and the core calls the caller back unless it redials first:
 * callback_delay_ms after the ticket, ACD_ACT_CALLBACK (attempt 1) asks call control to
 * call the caller. The attempt ends one of three ways. Answered: call control feeds
 * CALL_ARRIVE with callback and the attempt, which takes the ticket like a redial (CDR
 * callback and restored_from). Failed: CALLBACK_FAILED with the attempt; unanswered for
 * callback_ring_ms: the core cancels it itself (ACD_ACT_CALLBACK_CANCEL "timeout"). Either
 * way the next attempt follows callback_delay_ms later, and after the last one
 * ACD_ACT_CALLBACK_GAVE_UP drops the ticket. A redial of the caller takes the ticket at
 * any time; an attempt still ringing then gets ACD_ACT_CALLBACK_CANCEL "redial". While a
 * callback is pending the ticket does not expire (its window does not apply); the
 * tenant's settings are read when the ticket is made.
 */

/*
 * Sets the redial window: how long a ticket lasts (0, the default, makes none for tenants
 * without callback and drops every ticket held that has no callback pending; a longer or
 * shorter window leaves existing tickets' expiry as it was). Returns 0, or -EINVAL for a
 * negative window (nothing changed).
 */
int acd_core_set_redial_window(acd_core_t *c, acd_ms_t window_ms);

typedef struct acd_restore_view {
    const char *tenant;
    const char *did;
    const char *caller;
    const char *queue;
    const char *old_call_id;
    int priority;
    acd_ms_t enqueue_ms;
    acd_ms_t expires_ms;   /* INT64_MAX while a callback is pending */
    int callback_attempt;  /* callback attempts placed so far */
    int callback_attempts; /* 0: no callback */
    bool callback_ringing; /* attempt callback_attempt rings now */
    acd_ms_t callback_at;  /* the next attempt, or while ringing its ring timeout; 0 none */
} acd_restore_view_t;

/* The live ticket of tenant and caller at now: returns 0 and fills *v (valid until the
 * next entry point), or -ENOENT (none, or expired and not yet dropped), -EINVAL. */
int acd_core_restore_ticket(const acd_core_t *c, const char *tenant, const char *caller,
                            acd_ms_t now, acd_restore_view_t *v);
/* Tickets held now, and tickets dropped so far to keep the table within ACD_RESTORE_MAX. */
void acd_core_restore_counts(const acd_core_t *c, size_t *held, uint64_t *dropped);

#endif
