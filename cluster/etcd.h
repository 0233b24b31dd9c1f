/* etcd.h - an etcd v3 client over the JSON gateway: KV, txn, leases, watches, elections. */
#ifndef ACD_CLUSTER_ETCD_H
#define ACD_CLUSTER_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "util/str.h"

/*
 * The client speaks the gRPC gateway of etcd 3.4 (POST JSON to /v3/...) with libcurl's
 * multi interface driven by the caller's libuv loop. Nothing here blocks: every call
 * checks its arguments, copies what it needs and returns 0 or a negative code at once;
 * the result arrives later in a callback on the loop. Every callback may call any
 * function of this module, including stop, resign and acd_etcd_close().
 *
 * Endpoints are tried in order, sticking to the one that last worked: a request that
 * cannot connect, times out, is reset or finds the member unavailable is retried on the
 * next endpoint (each endpoint once, at least twice in all), then reported with the last
 * error (-ECONNREFUSED, -ETIMEDOUT, -ECONNRESET, -EAGAIN). A retried write may have been
 * applied by the member that timed out: writes are at least once, guard with a txn.
 *
 * Errors: -EINVAL (bad arguments, or etcd refused the request as invalid), -ENOMEM,
 * -ECANCELED (the client was closed first), -ENOENT (no leader, or another thing etcd did
 * not find), ACD_ELEASE_LOST (etcd does not know the lease: revoked or expired),
 * ACD_ECOMPACTED (the revision asked for was compacted), ACD_ESTATE (the client is
 * closing, or a call out of order), -EMSGSIZE (an answer over 64 MiB), ACD_EPROTO (the
 * member answered something that is not the gateway's JSON), ACD_ELIB (libcurl failed).
 * Logs use the IDs ACD-ETCD-* (ENDPOINT-FAILOVER, REQ-FAILED, LEASE-GRANTED, LEASE-LOST,
 * LEASE-REVOKE, WATCH-RECONNECT, WATCH-COMPACTED, ELECTED, RESIGN, OBSERVE-LEADER ...).
 *
 * Streams (watch, observe) and a waiting campaign have no overall timeout: a member that
 * is frozen (not dead) leaves them waiting until the TCP connection breaks.
 */

typedef struct acd_etcd acd_etcd_t;
typedef struct acd_etcd_keeper acd_etcd_keeper_t;
typedef struct acd_etcd_watch acd_etcd_watch_t;
typedef struct acd_etcd_campaign acd_etcd_campaign_t;
typedef struct acd_etcd_observe acd_etcd_observe_t;

/* ---- client ---- */

typedef struct acd_etcd_cfg {
    /* Base URLs such as "http://127.0.0.1:2379" (1..16 of them); copied by alloc. */
    const char *const *endpoints;
    size_t n_endpoints;
    /* Budget of one attempt of an ordinary request (connect + answer); 0 = 5000 ms. */
    unsigned request_timeout_ms;
} acd_etcd_cfg_t;

/*
 * Creates a client on loop. *ep is written only on success. Returns 0, -EINVAL (no
 * endpoint, an endpoint not http:// or https://, too many), -ENOMEM, ACD_ELIB.
 */
int acd_etcd_alloc(acd_etcd_t **ep, uv_loop_t *loop, const acd_etcd_cfg_t *cfg);

typedef void (*acd_etcd_close_cb)(void *ud);

/*
 * Closes the client: stops every keeper, watch, campaign and observer of it without
 * further callbacks (leases are not revoked: they expire), fails pending requests with
 * -ECANCELED, and frees everything in close callbacks; cb (may be NULL) runs last,
 * after which the loop has no handle of the client. Idempotent: a second call is
 * ignored. e is invalid once cb ran.
 */
void acd_etcd_close(acd_etcd_t *e, acd_etcd_close_cb cb, void *ud);

/* ---- results ---- */

/* One key-value pair; key and value are decoded bytes (NUL-terminated for printing). */
typedef struct acd_etcd_kv {
    acd_str_t key;
    acd_str_t value;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease;
} acd_etcd_kv_t;

/*
 * The answer to one request. Everything in it, kvs included, lives only during the
 * callback. Fields an answer does not carry are 0/false/NULL.
 */
typedef struct acd_etcd_result {
    int err;                  /* 0 or a negative code; the rest is zero on error */
    int64_t revision;         /* header.revision: the store revision after the request */
    bool succeeded;           /* txn: the compares held (success ops ran) */
    const acd_etcd_kv_t *kvs; /* range; txn (every range op, in order); leader query */
    size_t n_kvs;
    int64_t count;   /* range: keys in the range (kvs may be limited) */
    int64_t deleted; /* delete_range: keys deleted */
    int64_t lease;   /* lease grant: the new lease ID */
    int64_t ttl;     /* lease grant/keepalive: TTL in seconds */
} acd_etcd_result_t;

/* A request's completion; e is the client. Called exactly once per accepted request. */
typedef void (*acd_etcd_cb)(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud);

/* ---- KV ---- */

/*
 * Selects keys: key alone (range_end absent, prefix false); every key starting with key
 * (prefix true); or [key, range_end) (range_end present; "\0" as range_end means every
 * key >= key). An empty key with prefix true selects every key.
 */
typedef struct acd_etcd_keys {
    acd_str_t key;
    acd_str_t range_end;
    bool prefix;
} acd_etcd_keys_t;

#define ACD_ETCD_KEY(k) (&(const acd_etcd_keys_t){.key = (k)})
#define ACD_ETCD_PREFIX(k) (&(const acd_etcd_keys_t){.key = (k), .prefix = true})

/* Puts key=value, attached to lease (0 = none). cb may be NULL. */
int acd_etcd_put(acd_etcd_t *e, acd_str_t key, acd_str_t value, int64_t lease, acd_etcd_cb cb,
                 void *ud);

/* Reads the keys selected (res.kvs, res.count). */
int acd_etcd_range(acd_etcd_t *e, const acd_etcd_keys_t *keys, acd_etcd_cb cb, void *ud);

/* Deletes the keys selected (res.deleted). cb may be NULL. */
int acd_etcd_delete_range(acd_etcd_t *e, const acd_etcd_keys_t *keys, acd_etcd_cb cb, void *ud);

typedef enum acd_etcd_target {
    ACD_ETCD_CMP_CREATE, /* create_revision (0 = the key does not exist) */
    ACD_ETCD_CMP_MOD,    /* mod_revision */
    ACD_ETCD_CMP_VERSION,
    ACD_ETCD_CMP_VALUE,
    ACD_ETCD_CMP_LEASE,
} acd_etcd_target_t;

typedef enum acd_etcd_relation {
    ACD_ETCD_EQUAL,
    ACD_ETCD_NOT_EQUAL,
    ACD_ETCD_GREATER,
    ACD_ETCD_LESS,
} acd_etcd_relation_t;

/* One compare: target(key) relation (value for CMP_VALUE, else number). */
typedef struct acd_etcd_cmp {
    acd_str_t key;
    acd_etcd_target_t target;
    acd_etcd_relation_t relation;
    int64_t number;
    acd_str_t value;
} acd_etcd_cmp_t;

typedef enum acd_etcd_op_type {
    ACD_ETCD_OP_PUT,
    ACD_ETCD_OP_DELETE,
    ACD_ETCD_OP_RANGE,
} acd_etcd_op_type_t;

/* One txn operation: PUT uses keys.key, value, lease; DELETE and RANGE use keys. */
typedef struct acd_etcd_op {
    acd_etcd_op_type_t type;
    acd_etcd_keys_t keys;
    acd_str_t value;
    int64_t lease;
} acd_etcd_op_t;

/* If every compare holds, runs success ops, else failure ops; all borrowed for the call. */
typedef struct acd_etcd_txn {
    const acd_etcd_cmp_t *cmp;
    size_t n_cmp;
    const acd_etcd_op_t *success;
    size_t n_success;
    const acd_etcd_op_t *failure;
    size_t n_failure;
} acd_etcd_txn_t;

/* Runs a transaction (res.succeeded, res.revision, res.kvs of its range ops). */
int acd_etcd_txn(acd_etcd_t *e, const acd_etcd_txn_t *txn, acd_etcd_cb cb, void *ud);

/* ---- leases ---- */

/* Grants a lease of ttl_s seconds (res.lease, res.ttl). */
int acd_etcd_lease_grant(acd_etcd_t *e, int64_t ttl_s, acd_etcd_cb cb, void *ud);

/* Revokes a lease, deleting its keys; ACD_ELEASE_LOST when etcd no longer knows it. */
int acd_etcd_lease_revoke(acd_etcd_t *e, int64_t lease, acd_etcd_cb cb, void *ud);

/* Refreshes a lease once (res.ttl); ACD_ELEASE_LOST when it is gone. */
int acd_etcd_lease_keepalive(acd_etcd_t *e, int64_t lease, acd_etcd_cb cb, void *ud);

typedef enum acd_etcd_lease_event {
    ACD_ETCD_LEASE_GRANTED, /* lease is the new ID; err 0 */
    ACD_ETCD_LEASE_LOST,    /* the lease must be taken as gone; err says why */
} acd_etcd_lease_event_t;

typedef void (*acd_etcd_lease_cb)(acd_etcd_keeper_t *k, acd_etcd_lease_event_t ev, int64_t lease,
                                  int err, void *ud);

/*
 * Starts a lease keeper: grants a lease of ttl_s (>= 1) seconds, reports GRANTED, sends a
 * keepalive every ttl/3 and reports LOST once, with err ACD_ELEASE_LOST when etcd
 * answers that the lease is gone, -ETIMEDOUT when no keepalive succeeded before the TTL
 * ran out by the local clock (counted from when the last good keepalive was sent), or
 * the grant's error when no lease was granted. On -ETIMEDOUT the keeper also revokes the
 * lease in the background, so that etcd does not keep (or a late keepalive renew) what
 * the caller now treats as gone. After LOST the keeper is idle; stop it (and start a new
 * one for a new lease). *kp is written only on success.
 */
int acd_etcd_lease_start(acd_etcd_keeper_t **kp, acd_etcd_t *e, int64_t ttl_s, acd_etcd_lease_cb cb,
                         void *ud);

/* The lease ID, 0 before GRANTED. */
int64_t acd_etcd_lease_id(const acd_etcd_keeper_t *k);

/*
 * Stops the keeper: no more callbacks; a granted, not lost lease is revoked (best effort,
 * in the background). k is freed later on the loop and must not be used again.
 */
void acd_etcd_lease_stop(acd_etcd_keeper_t *k);

/* ---- watches ---- */

typedef enum acd_etcd_event_type {
    ACD_ETCD_EVENT_PUT,
    ACD_ETCD_EVENT_DELETE,
    /* The revision to resume from was compacted (err ACD_ECOMPACTED, revision = the
       compact revision): events were lost; re-read everything, then start a new watch
       at the range's revision + 1. The watch is idle afterwards. */
    ACD_ETCD_EVENT_COMPACTED,
} acd_etcd_event_type_t;

typedef struct acd_etcd_event {
    acd_etcd_event_type_t type;
    const acd_etcd_kv_t *kv; /* PUT: the new kv; DELETE: key and mod_revision; else NULL */
    int64_t revision;        /* the revision of the change (kv->mod_revision) */
    int err;
} acd_etcd_event_t;

typedef void (*acd_etcd_watch_cb)(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud);

/*
 * Watches the keys selected from start_revision (0 = from now) over one long-lived
 * streaming request. Events arrive in revision order, each once: when the stream breaks,
 * the watch reconnects (next endpoint, backoff 100 ms doubling to 2 s) and resumes at
 * the last revision seen + 1. *wp is written only on success.
 */
int acd_etcd_watch_start(acd_etcd_watch_t **wp, acd_etcd_t *e, const acd_etcd_keys_t *keys,
                         int64_t start_revision, acd_etcd_watch_cb cb, void *ud);

/* Stops the watch: no more callbacks; w is freed later on the loop. */
void acd_etcd_watch_stop(acd_etcd_watch_t *w);

/* ---- elections ---- */

/* A leader as elected: key is the leader's key, rev its create revision (the epoch). */
typedef struct acd_etcd_leader {
    acd_str_t name;
    acd_str_t key;
    int64_t rev;
    int64_t lease;
} acd_etcd_leader_t;

/* err 0 and leader set when elected, else err and leader NULL; leader lives for the call. */
typedef void (*acd_etcd_elected_cb)(acd_etcd_campaign_t *c, int err,
                                    const acd_etcd_leader_t *leader, void *ud);

/*
 * Campaigns for leadership of name with value, on lease (which the caller keeps alive,
 * e.g. with a keeper): one long-lived request that etcd answers once elected; cb is
 * called once. A lost lease makes etcd fail the campaign or end the leadership (watch it
 * with the keeper). *cp is written only on success; end every campaign with resign.
 */
int acd_etcd_campaign(acd_etcd_campaign_t **cp, acd_etcd_t *e, acd_str_t name, int64_t lease,
                      acd_str_t value, acd_etcd_elected_cb cb, void *ud);

/*
 * Ends a campaign: while campaigning, withdraws (etcd removes the candidate key); once
 * elected, resigns (deletes the leader key). No elected callback after this. cb (may be
 * NULL) reports the result later (res.revision for a resign). c is invalid afterwards.
 */
int acd_etcd_resign(acd_etcd_campaign_t *c, acd_etcd_cb cb, void *ud);

/* Queries the current leader of name: res.kvs[0] is its key/value; -ENOENT when none. */
int acd_etcd_leader(acd_etcd_t *e, acd_str_t name, acd_etcd_cb cb, void *ud);

/* A new leader of name: its kv (key, value, create_revision = epoch, lease). */
typedef void (*acd_etcd_observe_cb)(acd_etcd_observe_t *o, const acd_etcd_kv_t *leader, void *ud);

/*
 * Observes the leadership of name: cb runs for the current leader (once there is one)
 * and for each change, over a long-lived stream that reconnects with backoff; a leader
 * is reported once even across reconnects. *op is written only on success.
 */
int acd_etcd_observe_start(acd_etcd_observe_t **op, acd_etcd_t *e, acd_str_t name,
                           acd_etcd_observe_cb cb, void *ud);

/* Stops observing: no more callbacks; o is freed later on the loop. */
void acd_etcd_observe_stop(acd_etcd_observe_t *o);

#endif
