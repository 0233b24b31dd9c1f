/* replica_int.h - the replica's private structures, shared by replica*.c only. */
#ifndef ACD_CLUSTER_REPLICA_INT_H
#define ACD_CLUSTER_REPLICA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/replica.h"
#include "cluster/wire.h" /* ACD_WIRE_TOKEN_MAX */
#include "util/hmap.h"

typedef enum acd__replica_kind {
    ACD__REPLICA_CALL,
    ACD__REPLICA_AGENT,
    ACD__REPLICA_REG,
    ACD__REPLICA_DIALOG,
    ACD__REPLICA_QUEUE,
    ACD__REPLICA_NKINDS,
} acd__replica_kind_t;

typedef struct acd__replica_origin acd__replica_origin_t;

/*
 * One replicated entity. It is immutable once built: an update builds a new entity and
 * swaps it in. Its strings (and the key, which node.key points at) live in strs[], in the
 * same allocation; a dialog also owns its DialogEvent copy.
 */
typedef struct acd__replica_ent {
    acd_hmap_node_t node; /* in origin->set.maps[kind] */
    acd__replica_origin_t *origin;
    acd__replica_kind_t kind;
    acd_str_t key;
    union {
        acd_replica_call_t call;
        acd_replica_agent_t agent;
        acd_replica_registration_t reg;
        acd_replica_dialog_t dialog;
        acd_replica_queue_t queue;
    } v;
    Acd__V1__DialogEvent *dialog; /* dialogs only: the owned copy v.dialog.ev points at */
    char strs[];
} acd__replica_ent_t;

/* An origin's whole entity set, one map per kind keyed by id. */
typedef struct acd__replica_set {
    acd_hmap_t maps[ACD__REPLICA_NKINDS];
} acd__replica_set_t;

struct acd__replica_origin {
    acd_hmap_node_t node; /* in r->origins, keyed by name */
    char name[ACD_ID_MAX];
    uint64_t incarnation;
    uint64_t last_seq;
    uint64_t max_seen;
    acd_replica_state_t state;
    bool need_snapshot;
    acd_ms_t requested_ms;
    /* Deltas received ahead of last_seq + 1, sorted by seq, unique, owned copies. */
    Acd__V1__Envelope **buf;
    size_t n_buf;
    /*
     * The snapshot being received in parts: parts 0 .. n_parts - 1 (owned copies, in
     * order) of the snapshot at parts_last_seq with parts_total parts; n_parts is below
     * parts_total, since the last part completes it and is never kept.
     */
    Acd__V1__Envelope **parts;
    size_t n_parts;
    uint64_t parts_last_seq;
    uint32_t parts_total;
    /*
     * A snapshot was asked for since the last first part (part 0) arrived, so its answer
     * is still to come: parts that start nothing are leftovers of an answer given up on
     * (or of a lost first part) and are dropped without asking again.
     */
    bool parts_quiet;
    acd__replica_set_t set;
    acd_ms_t last_heard_ms;
    acd_ms_t last_heartbeat_ms;
    acd_ms_t last_sent_ms;
    bool draining;
    bool island;
    char leader_site[ACD_ID_MAX];
    uint64_t leader_epoch;
    uint32_t queued_calls;
    uint32_t available_agents;
    bool heartbeat_applied;
    bool anycast_configured, anycast_announced;
    char anycast_address[ACD_WIRE_TOKEN_MAX + 1], anycast_why[ACD_WIRE_TOKEN_MAX + 1];
    uint64_t applied, duplicates, stale, gaps, invalid, overflows, restarts, resyncs, snapshots;
    uint64_t torn;
};

struct acd_replica {
    char self[ACD_ID_MAX];
    size_t max_buffer;
    void (*heartbeat)(void *ud, const char *origin, const Acd__V1__Heartbeat *h);
    void *heartbeat_ud;
    acd_hmap_t origins;
    /* The last verdict's decisions (capacity max_buffer + 1) and the buffered copies
     * among them, freed when the replica next changes (capacity max_buffer). */
    const Acd__V1__Envelope **decisions;
    size_t n_decisions;
    Acd__V1__Envelope **retired;
    size_t n_retired;
};

/* ---- replica_entity.c ---- */

void acd__replica_set_init(acd__replica_set_t *s);
/* Frees every entity of s and its maps; s is empty (and initialised) afterwards. */
void acd__replica_set_fini(acd__replica_set_t *s);
void acd__replica_ent_free(acd__replica_ent_t *e);

/* The origin known by name, or NULL. */
acd__replica_origin_t *acd__replica_origin_find(const acd_replica_t *r, const char *name);

/* The call held under any origin, or NULL. */
acd__replica_ent_t *acd__replica_find_call(const acd_replica_t *r, const char *call_id);

/*
 * Applies the entity fact in env (call, agent, registration, dialog or queue body) to
 * origin o. Returns 0; ACD_EPROTO when the fact contradicts the replica (nothing
 * changed); -ENOMEM (nothing changed).
 */
int acd__replica_apply_fact(acd_replica_t *r, acd__replica_origin_t *o,
                            const Acd__V1__Envelope *env);

/*
 * Builds into out (initialised here) the entity set of origin o that the snapshot parts
 * (envelopes with a Snapshot body: parts 0 .. n_parts - 1, none for a single-part
 * snapshot) and the last part describe. ENDED calls, TERMINATED dialogs and removed
 * registrations are left out. Returns 0; ACD_EPROTO when an entity appears twice;
 * -ENOMEM. On failure out is empty and nothing else changed.
 */
int acd__replica_set_build(acd__replica_origin_t *o, Acd__V1__Envelope *const *parts,
                           size_t n_parts, const Acd__V1__Snapshot *last, acd__replica_set_t *out);

/*
 * Makes set (from acd__replica_set_build) o's entity set: the old one is freed, calls of
 * set held by other origins are removed from them. Cannot fail; set is empty afterwards.
 */
void acd__replica_set_install(acd_replica_t *r, acd__replica_origin_t *o, acd__replica_set_t *set);

/* Visits o's entities with v (NULL members skipped). */
void acd__replica_set_visit(const acd__replica_origin_t *o, const acd_replica_visitor_t *v,
                            void *ud);

#endif
