/* replica.h - the entities other sites own, replicated from their event logs, with resync. */
#ifndef ACD_CLUSTER_REPLICA_H
#define ACD_CLUSTER_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"
#include "acd/v1/events.pb-c.h"
#include "util/buf.h"

/*
 * A replica follows every other site's log (ADR 0011): it is fed the envelopes those
 * sites publish, decoded by acd_wire_decode(), in the order they arrive, and keeps per
 * origin site the calls, agents, registrations, dialogs and queue counts that site owns.
 * It is pure: no I/O and no clock; every entry point that needs the time takes `now`.
 *
 * Per origin it tracks (incarnation, last applied seq). An envelope with the next seq is
 * applied; one already applied is a duplicate and ignored; one beyond the next is a gap.
 * A gap, a new origin or a new incarnation makes the origin RESYNCING: the apply verdict
 * asks the caller to request a Snapshot from that origin, and later deltas are buffered
 * (at most max_buffer of them; on overflow the buffer is dropped and a new snapshot is
 * asked for). A Snapshot replaces the origin's whole entity set atomically at its
 * last_seq, then the buffered deltas after last_seq are applied in order. If the missing
 * envelopes of a gap arrive before the snapshot (reordering), they are applied and the
 * origin is SYNCED again without it; the late snapshot is then ignored. After a new
 * incarnation the old incarnation's entities stay until its snapshot replaces them.
 *
 * A snapshot sent in parts (Snapshot.part/parts) is installed only when parts 0 ..
 * parts - 1 arrived in order for one (incarnation, last_seq, parts); the parts before
 * the last are held until then (at most max_buffer of them: a snapshot of more than
 * max_buffer + 1 parts is dropped and counted as an overflow). A part missing, repeated
 * or out of order discards the held parts and asks for a new snapshot. A first part
 * always starts over, discarding held parts (it may answer a later request). Requests
 * are not repeated while one is outstanding, that is, made since the last first part:
 * the other parts of an answer given up on, and parts after a lost first part, are
 * dropped without asking again; a lost first or last part is handled like a lost
 * answer, by acd_replica_resync_retry().
 *
 * Offers, accepts, rejects and remote updates change no entity: apply() hands them to the caller in the
 * verdict, in log order and at most once each, after the same seq checks. Those that fall
 * inside a gap a snapshot skips over are never reported (the leader re-plans them after
 * its timeout).
 *
 * Call ids are cluster-unique: a call is held by at most one origin, the one that last
 * published it (a takeover moves it). Agents, registrations, dialogs and queues are
 * keyed per origin, so a re-homing agent may appear under two origins for a while.
 * ENDED calls, TERMINATED dialogs and removed registrations are dropped, never kept.
 *
 * Nothing here is thread-safe; no callback may call back into the replica.
 */
typedef struct acd_replica acd_replica_t;

/* Deltas buffered per origin while it resyncs, unless configured otherwise. */
#define ACD_REPLICA_BUFFER_DEFAULT 4096

typedef struct acd_replica_cfg {
    /* This site's name (an id): envelopes from it are ignored, it replicates others. */
    const char *self;
    /* Deltas buffered per origin while resyncing (and snapshot parts held); 0 = default. */
    size_t max_buffer;
    /* Called with every heartbeat applied in order, after the origin's status took it
     * (origin's name and h valid during the call only), e.g. for its KPI counters; may be
     * NULL. It must not call back into the replica. */
    void (*heartbeat)(void *ud, const char *origin, const Acd__V1__Heartbeat *h);
    void *ud;
} acd_replica_cfg_t;

/*
 * Creates an empty replica. cfg is copied. Returns 0, -EINVAL when rp, cfg or cfg->self
 * is NULL or self is not an id, -ENOMEM. *rp is written only on success.
 */
int acd_replica_alloc(acd_replica_t **rp, const acd_replica_cfg_t *cfg);

/* Frees the replica and everything it holds; NULL is harmless. */
void acd_replica_free(acd_replica_t *r);

/* ---- applying envelopes ---- */

/* What apply() did with the envelope it was given. */
#define ACD_REPLICA_OUTCOMES(X)                                                                    \
    X(ACD_REPLICA_APPLIED, "applied")     /* in order: its facts are in the replica */             \
    X(ACD_REPLICA_INVALID, "invalid")     /* in order, but its body makes no sense: seq */         \
                                          /* consumed, entities unchanged, counted */              \
    X(ACD_REPLICA_DUPLICATE, "duplicate") /* that seq was applied or buffered already */           \
    X(ACD_REPLICA_STALE, "stale")         /* an older incarnation, or a snapshot not needed */     \
    X(ACD_REPLICA_BUFFERED, "buffered")   /* kept until the origin's snapshot or gap fill */       \
    X(ACD_REPLICA_DROPPED, "dropped")     /* not kept: the buffer overflowed (it was dropped */    \
                                          /* too), memory ran out, or a snapshot part out of */    \
                                          /* sequence (the held parts were dropped too) */         \
    X(ACD_REPLICA_PART, "part")           /* a snapshot part kept until the last part */           \
    X(ACD_REPLICA_INSTALLED, "installed") /* a snapshot replaced the origin's entities */          \
    X(ACD_REPLICA_OWN, "own")             /* from this site itself: ignored */

typedef enum acd_replica_outcome {
#define ACD__RO_ENUM(e, s) e,
    ACD_REPLICA_OUTCOMES(ACD__RO_ENUM)
#undef ACD__RO_ENUM
} acd_replica_outcome_t;

const char *acd_replica_outcome_name(acd_replica_outcome_t o);

typedef struct acd_replica_verdict {
    acd_replica_outcome_t outcome;
    /*
     * True when the caller should request a Snapshot of origin (incarnation) now: the
     * origin is new, restarted, has a gap, its buffer overflowed, a snapshot still
     * left a gap, or a snapshot part went missing (or came twice or out of order). Not
     * repeated while a request is outstanding; see acd_replica_resync_retry() for lost
     * requests.
     */
    bool resync;
    /* The envelope's origin (the replica's copy, valid while the origin is known) and its
     * current incarnation; NULL and 0 for OWN and for argument errors. */
    const char *origin;
    uint64_t incarnation;
    /* Envelopes applied by this call (the given one and buffered ones it released),
     * and how many of those were invalid. */
    size_t applied;
    size_t invalid;
    /*
     * Offers, accepts, rejects and remote updates that became due, in log order: the given envelope
     * itself or copies owned by the replica. Valid until the next call that changes the
     * replica (apply, resync_retry, forget_origin, free) or until the caller frees the
     * envelope it passed, whichever comes first.
     */
    const Acd__V1__Envelope *const *decisions;
    size_t n_decisions;
} acd_replica_verdict_t;

/*
 * Applies one decoded envelope received at now (see the overview for the rules). env is
 * only read; the replica copies what it keeps. *out is always filled. Returns 0 (whatever
 * the outcome); -EINVAL for NULL arguments or an envelope without origin or body;
 * -ENOMEM when memory ran out: an entity that could not be updated makes the origin
 * RESYNCING with out->resync set; a snapshot that could not be installed (or kept, if a
 * part) leaves the entities as they were, still RESYNCING, and acd_replica_resync_retry()
 * asks again.
 */
int acd_replica_apply(acd_replica_t *r, const Acd__V1__Envelope *env, acd_ms_t now,
                      acd_replica_verdict_t *out);

typedef void (*acd_replica_resync_cb)(void *ud, const char *origin, uint64_t incarnation);

/*
 * For every RESYNCING origin whose snapshot request was made timeout_ms or longer before
 * now (the request or its answer was lost), records a new request at now and calls cb so
 * the caller sends it. Call it from a timer.
 */
void acd_replica_resync_retry(acd_replica_t *r, acd_ms_t now, acd_ms_t timeout_ms,
                              acd_replica_resync_cb cb, void *ud);

/* ---- entities (read-only views; pointers valid until the replica next changes) ---- */

/* A call another site owns, as of the last event about it. */
typedef struct acd_replica_call {
    const char *origin;
    const char *call_id;
    const char *tenant;
    const char *did;
    const char *caller; /* "" when withheld; personal data */
    const char *queue;
    const char *agent_id;   /* "" when none */
    const char *reason;     /* REQUEUED: why the offer failed */
    const char *delivery;   /* "" a caller on the line; "callback", "voicemail", "outbound" */
    const char *message;    /* delivery voicemail: the message's file at the origin */
    Acd__V1__CallKind kind; /* the last thing that happened: never ENDED */
    acd_call_state_t state; /* QUEUED, OFFERED or CONNECTED */
    int32_t priority;
    acd_ms_t enqueue_ms;
    acd_ms_t answer_ms;
    uint32_t offers;
} acd_replica_call_t;

typedef struct acd_replica_agent {
    const char *origin;
    const char *agent_id;
    const char *sip_user;
    const char *reason;  /* PAUSED: why */
    const char *call_id; /* RINGING, ON_CALL: the call */
    acd_agent_state_t state;
    acd_ms_t state_since_ms;
    acd_ms_t idle_since_ms;
    uint32_t missed_in_row;
    uint32_t calls_handled;
} acd_replica_agent_t;

typedef struct acd_replica_registration {
    const char *origin;
    const char *user; /* the key */
    const char *aor;
    const char *contact;
    const char *source;
    const char *agent_id;
    const char *register_call_id;
    Acd__V1__Transport transport;
    acd_ms_t expires_ms;
    uint32_t register_cseq;
} acd_replica_registration_t;

/* One leg of a call; ev is the latest DialogEvent (never TERMINATED), owned by the replica. */
typedef struct acd_replica_dialog {
    const char *origin;
    const char *call_id;
    Acd__V1__LegRole leg;
    const Acd__V1__DialogEvent *ev;
} acd_replica_dialog_t;

/* The origin's local counts for one queue (see QueueEvent). */
typedef struct acd_replica_queue {
    const char *origin;
    const char *queue;
    const char *tenant;
    uint32_t waiting;
    uint32_t offered;
    uint32_t agents_logged_in;
    uint32_t agents_available;
    acd_ms_t oldest_enqueue_ms;
} acd_replica_queue_t;

/* Callbacks for each kind of entity; any may be NULL to skip that kind. */
typedef struct acd_replica_visitor {
    void (*call)(void *ud, const acd_replica_call_t *c);
    void (*agent)(void *ud, const acd_replica_agent_t *a);
    void (*registration)(void *ud, const acd_replica_registration_t *g);
    void (*dialog)(void *ud, const acd_replica_dialog_t *d);
    void (*queue)(void *ud, const acd_replica_queue_t *q);
} acd_replica_visitor_t;

/*
 * Visits the entities of origin (every origin when NULL): all calls, then agents,
 * registrations, dialogs and queues, in an unspecified but deterministic order.
 */
void acd_replica_foreach(const acd_replica_t *r, const char *origin, const acd_replica_visitor_t *v,
                         void *ud);

/* The call with this id, whichever origin holds it; NULL when none. */
const acd_replica_call_t *acd_replica_call(const acd_replica_t *r, const char *call_id);

/*
 * The agent under origin; with origin NULL, the agent under any origin, preferring one
 * that is not LOGGED_OUT (a re-homed agent). NULL when none.
 */
const acd_replica_agent_t *acd_replica_agent(const acd_replica_t *r, const char *origin,
                                             const char *agent_id);

/* The binding of user under origin (any origin when NULL, first found); NULL when none. */
const acd_replica_registration_t *acd_replica_registration(const acd_replica_t *r,
                                                           const char *origin, const char *user);

/* The dialog of call_id's leg under origin (any origin when NULL); NULL when none. */
const acd_replica_dialog_t *acd_replica_dialog(const acd_replica_t *r, const char *origin,
                                               const char *call_id, Acd__V1__LegRole leg);

/*
 * The dialog whose SIP identifiers are sip_call_id, local_tag (the owner's tag) and
 * remote_tag (the peer's), under the first origin for which accept(ud, origin) is true
 * (every origin when accept is NULL); NULL when none. A linear scan over the dialogs of
 * the accepted origins: meant for the rare in-dialog request a site does not hold.
 */
const acd_replica_dialog_t *acd_replica_dialog_by_tags(const acd_replica_t *r,
                                                       const char *sip_call_id,
                                                       const char *local_tag,
                                                       const char *remote_tag,
                                                       bool (*accept)(void *ud, const char *origin),
                                                       void *ud);

/* The queue counts origin published for queue; NULL when none. */
const acd_replica_queue_t *acd_replica_queue(const acd_replica_t *r, const char *origin,
                                             const char *queue);

/* ---- origins ---- */

typedef enum acd_replica_state {
    ACD_REPLICA_SYNCED,    /* every envelope up to last_seq applied, none known missing */
    ACD_REPLICA_RESYNCING, /* waiting for a snapshot (or the envelopes of a gap) */
} acd_replica_state_t;

const char *acd_replica_state_name(acd_replica_state_t s);

typedef struct acd_replica_status {
    const char *origin;
    uint64_t incarnation;
    uint64_t last_seq;     /* the last envelope applied (or a snapshot's last_seq) */
    uint64_t max_seen_seq; /* the highest seq received in this incarnation */
    acd_replica_state_t state;
    bool need_snapshot; /* entities not trusted until a snapshot (new incarnation) */
    size_t buffered;
    acd_ms_t resync_requested_ms; /* when the outstanding snapshot request was made */
    acd_ms_t last_heard_ms;       /* now of the last envelope of the current incarnation */
    acd_ms_t last_heartbeat_ms;   /* now of the last heartbeat received */
    acd_ms_t last_sent_ms;        /* that envelope's sent_ms */
    acd_ms_t lag_ms;              /* now - last_sent_ms (clock skew included; 0 if ahead) */
    /* From the last heartbeat applied in order (all zero until heartbeat_applied). */
    bool heartbeat_applied;
    bool draining;
    bool island;
    const char *leader_site;
    uint64_t leader_epoch;
    uint32_t queued_calls;
    uint32_t available_agents;
    /* The origin's anycast address (Heartbeat.anycast_*): address and why are "" unless
     * configured; valid like origin, until the replica next changes. */
    bool anycast_configured, anycast_announced;
    const char *anycast_address, *anycast_why;
    /* Entities held. */
    size_t calls, agents, registrations, dialogs, queues;
    /* Counters since the origin was first seen. */
    uint64_t applied, duplicates, stale, gaps, invalid, overflows, restarts, resyncs, snapshots;
    /* Snapshots in parts given up before their last part (a part missing, repeated or out
     * of order, or superseded by a newer snapshot's first part or a single-part one). */
    uint64_t torn;
} acd_replica_status_t;

/* Fills *out for origin. Returns 0, -EINVAL for NULL arguments, -ENOENT when unknown. */
int acd_replica_status(const acd_replica_t *r, const char *origin, acd_ms_t now,
                       acd_replica_status_t *out);

/* Calls cb with the status of every known origin (unspecified order). */
void acd_replica_foreach_origin(const acd_replica_t *r, acd_ms_t now,
                                void (*cb)(void *ud, const acd_replica_status_t *s), void *ud);

/*
 * The origin was declared dark: visits each of its entities with v (if not NULL; the
 * views are valid only during the callback, so copy what you keep), then removes them
 * and everything known about the origin. If it speaks again it is a new origin and is
 * resynced. Returns 0, -EINVAL for NULL r or origin, -ENOENT when unknown.
 */
int acd_replica_forget_origin(acd_replica_t *r, const char *origin, const acd_replica_visitor_t *v,
                              void *ud);

/* ---- for tests ---- */

/*
 * Checks the internal consistency of r: counts agree with the maps, every entity is
 * under the origin it names, keys match, no call id is held by two origins, no ENDED
 * call or TERMINATED dialog is kept, buffers are ordered, beyond last_seq, bounded and
 * empty when SYNCED. Returns 0, or -EINVAL with a description in why (size len).
 */
int acd__replica_check(const acd_replica_t *r, char *why, size_t len);

#define ACD__REPLICA_DUMP_ENTITIES 1u /* every field of every entity */
#define ACD__REPLICA_DUMP_ORIGINS 2u  /* per origin: incarnation, seqs, state, heartbeat */

/* Appends a canonical, sorted text dump of r to out; equal state gives equal dumps. */
int acd__replica_dump(const acd_replica_t *r, unsigned flags, acd_buf_t *out);

#endif
