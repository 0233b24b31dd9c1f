/* replica.c - following other sites' logs: seq checks, buffering, snapshots and verdicts. */
#include "cluster/replica.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/replica_int.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "util/log.h"

/* max_buffer above this is a configuration mistake (it sizes arrays per origin). */
#define REPLICA_BUFFER_MAX ((size_t)1 << 20)

static const char *const replica_outcome_names[] = {
#define REPLICA__NAME(e, s) [e] = s,
    ACD_REPLICA_OUTCOMES(REPLICA__NAME)
#undef REPLICA__NAME
};

const char *acd_replica_outcome_name(acd_replica_outcome_t o)
{
    size_t n = sizeof(replica_outcome_names) / sizeof(replica_outcome_names[0]);
    return (unsigned)o < n ? replica_outcome_names[o] : "unknown";
}

const char *acd_replica_state_name(acd_replica_state_t s)
{
    return s == ACD_REPLICA_SYNCED      ? "synced"
           : s == ACD_REPLICA_RESYNCING ? "resyncing"
                                        : "unknown";
}

/* ---- envelope copies ---- */

/*
 * A deep copy of env through its own encoding, owned by the replica (protobuf-c's default
 * allocator, freed with replica_copy_free()); NULL when memory ran out.
 */
static Acd__V1__Envelope *replica_copy(const Acd__V1__Envelope *env)
{
    size_t n = acd__v1__envelope__get_packed_size(env);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return NULL;
    acd__v1__envelope__pack(env, b);
    Acd__V1__Envelope *c = acd__v1__envelope__unpack(NULL, n, b);
    free(b);
    return c;
}

static void replica_copy_free(Acd__V1__Envelope *c)
{
    if (c)
        acd__v1__envelope__free_unpacked(c, NULL);
}

/* Frees the previous verdict's buffered decisions; every changing entry point starts so. */
static void replica_verdict_reset(acd_replica_t *r)
{
    for (size_t i = 0; i < r->n_retired; i++)
        replica_copy_free(r->retired[i]);
    r->n_retired = 0;
    r->n_decisions = 0;
}

/* ---- origins ---- */

static void origin_drop_buffer(acd__replica_origin_t *o)
{
    for (size_t i = 0; i < o->n_buf; i++)
        replica_copy_free(o->buf[i]);
    o->n_buf = 0;
}

static void origin_drop_parts(acd__replica_origin_t *o)
{
    for (size_t i = 0; i < o->n_parts; i++)
        replica_copy_free(o->parts[i]);
    o->n_parts = 0;
    o->parts_last_seq = 0;
    o->parts_total = 0;
}

/* Gives up the snapshot whose parts o holds, if any, before its last part. */
static void origin_tear(acd__replica_origin_t *o, const char *why)
{
    if (!o->n_parts)
        return;
    acd_log_info("ACD-REPLICA-SNAPSHOT-TORN",
                 "origin=%s incarnation=%" PRIu64 " last_seq=%" PRIu64 " held=%zu parts=%" PRIu32
                 " why=\"%s\"",
                 o->name, o->incarnation, o->parts_last_seq, o->n_parts, o->parts_total, why);
    o->torn++;
    origin_drop_parts(o);
}

static void origin_free(acd__replica_origin_t *o)
{
    if (!o)
        return;
    origin_drop_buffer(o);
    origin_drop_parts(o);
    free(o->buf);
    free(o->parts);
    acd__replica_set_fini(&o->set);
    free(o);
}

/* Records a snapshot request at now and tells the caller to send it. */
static void origin_request(acd__replica_origin_t *o, acd_ms_t now, acd_replica_verdict_t *out)
{
    o->state = ACD_REPLICA_RESYNCING;
    o->requested_ms = now;
    o->resyncs++;
    o->parts_quiet = true;
    out->resync = true;
}

/* A new origin is RESYNCING and needs a snapshot: its entities are unknown. */
static int origin_new(acd_replica_t *r, const char *name, uint64_t incarnation, acd_ms_t now,
                      acd__replica_origin_t **op, acd_replica_verdict_t *out)
{
    int rc = 0;
    acd__replica_origin_t *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    acd__replica_set_init(&o->set);
    o->buf = calloc(r->max_buffer, sizeof(*o->buf));
    o->parts = calloc(r->max_buffer, sizeof(*o->parts));
    if (!o->buf || !o->parts) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(o->name, name, strlen(name) + 1);
    o->incarnation = incarnation;
    o->need_snapshot = true;
    rc = acd_hmap_insert(&r->origins, &o->node, acd_str_from(o->name));
    if (rc < 0)
        goto out;
    origin_request(o, now, out);
    acd_log_info("ACD-REPLICA-ORIGIN-NEW", "origin=%s incarnation=%" PRIu64, o->name, incarnation);
    *op = o;
    o = NULL;
out:
    origin_free(o);
    return rc;
}

/*
 * The origin restarted: forget its old incarnation's log position, buffer and snapshot
 * parts, but keep its entities until the new incarnation's snapshot replaces them.
 */
static void origin_restart(acd__replica_origin_t *o, uint64_t incarnation, acd_ms_t now,
                           acd_replica_verdict_t *out)
{
    acd_log_notice("ACD-REPLICA-ORIGIN-RESTART",
                   "origin=%s incarnation=%" PRIu64 " previous=%" PRIu64 " last_seq=%" PRIu64,
                   o->name, incarnation, o->incarnation, o->last_seq);
    o->incarnation = incarnation;
    o->last_seq = 0;
    o->max_seen = 0;
    origin_drop_buffer(o);
    origin_drop_parts(o);
    o->need_snapshot = true;
    o->restarts++;
    origin_request(o, now, out);
}

/*
 * RESYNCING ends when the entities are trusted and nothing known is missing. Parts of a
 * snapshot still on its way are dropped then: a SYNCED origin takes no snapshot.
 */
static void origin_settle(acd__replica_origin_t *o)
{
    if (o->state == ACD_REPLICA_RESYNCING && !o->need_snapshot && o->last_seq >= o->max_seen &&
        o->n_buf == 0) {
        o->state = ACD_REPLICA_SYNCED;
        origin_drop_parts(o);
        acd_log_info("ACD-REPLICA-SYNCED", "origin=%s incarnation=%" PRIu64 " last_seq=%" PRIu64,
                     o->name, o->incarnation, o->last_seq);
    }
}

/* ---- applying one envelope in order ---- */

static void heartbeat_apply(const acd_replica_t *r, acd__replica_origin_t *o,
                            const Acd__V1__Heartbeat *h)
{
    o->heartbeat_applied = true;
    o->draining = h->draining;
    o->island = h->island;
    /* The wire check bounds each string below its buffer; snprintf cuts it anyway. */
    snprintf(o->leader_site, sizeof(o->leader_site), "%s", h->leader_site ? h->leader_site : "");
    o->leader_epoch = h->leader_epoch;
    o->queued_calls = h->queued_calls;
    o->available_agents = h->available_agents;
    o->anycast_configured = h->anycast_configured;
    o->anycast_announced = h->anycast_announced;
    snprintf(o->anycast_address, sizeof(o->anycast_address), "%s",
             h->anycast_address ? h->anycast_address : "");
    snprintf(o->anycast_why, sizeof(o->anycast_why), "%s", h->anycast_why ? h->anycast_why : "");
    if (r->heartbeat)
        r->heartbeat(r->heartbeat_ud, o->name, h);
}

static bool replica_is_decision(const Acd__V1__Envelope *env)
{
    return env->body_case == ACD__V1__ENVELOPE__BODY_OFFER ||
           env->body_case == ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT ||
           env->body_case == ACD__V1__ENVELOPE__BODY_OFFER_REJECT ||
           env->body_case == ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE ||
           env->body_case == ACD__V1__ENVELOPE__BODY_TAKEOVER;
}

/*
 * Applies env, whose seq is o->last_seq + 1. copy is env when env is a buffered copy (this
 * function takes it: a decision's copy is retired with the verdict, others are freed),
 * NULL when env is the caller's. Returns 0, ACD_EPROTO (invalid: counted, seq consumed,
 * entities unchanged) or -ENOMEM (the origin now needs a snapshot).
 */
static int replica_step(acd_replica_t *r, acd__replica_origin_t *o, const Acd__V1__Envelope *env,
                        Acd__V1__Envelope *copy, acd_ms_t now, acd_replica_verdict_t *out)
{
    int rc = 0;
    uint64_t seq = env->seq;
    o->last_seq = seq;
    o->applied++;
    out->applied++;
    if (env->body_case == ACD__V1__ENVELOPE__BODY_HEARTBEAT) {
        heartbeat_apply(r, o, env->heartbeat);
    } else if (replica_is_decision(env)) {
        r->decisions[r->n_decisions++] = env;
        if (copy)
            r->retired[r->n_retired++] = copy;
        copy = NULL;
    } else {
        rc = acd__replica_apply_fact(r, o, env);
    }
    const char *body = acd_wire_body_name(env);
    replica_copy_free(copy);
    if (rc == ACD_EPROTO) {
        o->invalid++;
        out->invalid++;
        acd_log_debug("ACD-REPLICA-INVALID", "origin=%s seq=%" PRIu64 " body=%s", o->name, seq,
                      body);
    } else if (rc < 0) {
        o->need_snapshot = true;
        if (o->state == ACD_REPLICA_SYNCED)
            origin_request(o, now, out);
        acd_log_warn("ACD-REPLICA-APPLY-FAILED", "origin=%s seq=%" PRIu64 " body=%s err=%s",
                     o->name, seq, body, acd_strerror(rc));
    }
    return rc;
}

/*
 * Applies the buffered envelopes that continue o's log, in order, dropping those at or
 * below last_seq. Returns 0 or the first -ENOMEM.
 */
static int replica_drain(acd_replica_t *r, acd__replica_origin_t *o, acd_ms_t now,
                         acd_replica_verdict_t *out)
{
    int rc = 0;
    size_t i = 0;
    while (i < o->n_buf && !o->need_snapshot) {
        Acd__V1__Envelope *c = o->buf[i];
        if (c->seq > o->last_seq + 1)
            break;
        i++;
        if (c->seq <= o->last_seq) {
            replica_copy_free(c);
            continue;
        }
        int s = replica_step(r, o, c, c, now, out);
        if (s < 0 && s != ACD_EPROTO && rc == 0)
            rc = s;
    }
    memmove(o->buf, o->buf + i, (o->n_buf - i) * sizeof(*o->buf));
    o->n_buf -= i;
    return rc;
}

/* The index where seq is or would be in o's buffer; *found says which. */
static size_t buffer_search(const acd__replica_origin_t *o, uint64_t seq, bool *found)
{
    size_t lo = 0, hi = o->n_buf;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->buf[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < o->n_buf && o->buf[lo]->seq == seq;
    return lo;
}

/* Keeps a copy of env (not yet in the buffer, beyond last_seq) for later. */
static int replica_buffer(acd_replica_t *r, acd__replica_origin_t *o, const Acd__V1__Envelope *env,
                          acd_ms_t now, acd_replica_verdict_t *out)
{
    out->outcome = ACD_REPLICA_DROPPED;
    if (o->n_buf >= r->max_buffer) {
        /* The snapshot asked for now is taken after env was sent, so nothing buffered
         * (nor env) can be needed after it. */
        acd_log_notice("ACD-REPLICA-OVERFLOW", "origin=%s buffered=%zu last_seq=%" PRIu64, o->name,
                       o->n_buf, o->last_seq);
        origin_drop_buffer(o);
        o->overflows++;
        origin_request(o, now, out);
        return 0;
    }
    Acd__V1__Envelope *c = replica_copy(env);
    if (!c)
        return -ENOMEM;
    bool found;
    size_t at = buffer_search(o, env->seq, &found);
    memmove(o->buf + at + 1, o->buf + at, (o->n_buf - at) * sizeof(*o->buf));
    o->buf[at] = c;
    o->n_buf++;
    out->outcome = ACD_REPLICA_BUFFERED;
    return 0;
}

/* Any body but a snapshot: the seq checks, then apply, buffer or ignore. */
static int replica_delta(acd_replica_t *r, acd__replica_origin_t *o, const Acd__V1__Envelope *env,
                         acd_ms_t now, acd_replica_verdict_t *out)
{
    uint64_t seq = env->seq;
    bool found = false;
    if (seq > o->last_seq)
        (void)buffer_search(o, seq, &found);
    if (seq <= o->last_seq || found) {
        o->duplicates++;
        out->outcome = ACD_REPLICA_DUPLICATE;
        return 0;
    }
    if (seq > o->max_seen)
        o->max_seen = seq;
    bool next = seq == o->last_seq + 1 && !o->need_snapshot;
    if (!next) {
        if (o->state == ACD_REPLICA_SYNCED) {
            acd_log_info("ACD-REPLICA-GAP", "origin=%s last_seq=%" PRIu64 " seq=%" PRIu64, o->name,
                         o->last_seq, seq);
            o->gaps++;
            origin_request(o, now, out);
        }
        return replica_buffer(r, o, env, now, out);
    }
    int rc = replica_step(r, o, env, NULL, now, out);
    out->outcome = rc == ACD_EPROTO ? ACD_REPLICA_INVALID : ACD_REPLICA_APPLIED;
    if (rc == ACD_EPROTO)
        rc = 0;
    if (o->state == ACD_REPLICA_RESYNCING) {
        int rc2 = replica_drain(r, o, now, out);
        if (rc == 0)
            rc = rc2;
        origin_settle(o);
    }
    return rc;
}

/*
 * One part of a snapshot in parts (parts > 1), from an origin that takes snapshots. Sets
 * *last when env completes the parts o holds (the caller installs them with env);
 * otherwise env is kept (PART) or dropped (DROPPED) here. Returns 0 or -ENOMEM (the held
 * parts are dropped too: resync_retry asks again).
 */
static int replica_part(acd_replica_t *r, acd__replica_origin_t *o, const Acd__V1__Envelope *env,
                        acd_ms_t now, acd_replica_verdict_t *out, bool *last)
{
    const Acd__V1__Snapshot *s = env->snapshot;
    out->outcome = ACD_REPLICA_DROPPED;
    if (s->part == 0) {
        /* The first part of an answer to a later request: the held parts will not be
         * continued in order any more. */
        origin_tear(o, "a new snapshot started");
        /* Too many parts to hold: given up like a lost answer (resync_retry asks again,
         * in case the state shrank), and its other parts are leftovers. */
        o->parts_quiet = s->parts - 1 > r->max_buffer;
        if (o->parts_quiet) {
            acd_log_warn("ACD-REPLICA-SNAPSHOT-TOO-MANY-PARTS",
                         "origin=%s last_seq=%" PRIu64 " parts=%" PRIu32 " max_buffer=%zu", o->name,
                         s->last_seq, s->parts, r->max_buffer);
            o->overflows++;
            return 0;
        }
    } else if (!o->n_parts || s->last_seq != o->parts_last_seq || s->parts != o->parts_total ||
               s->part != o->n_parts) {
        acd_log_info("ACD-REPLICA-SNAPSHOT-PART-UNEXPECTED",
                     "origin=%s last_seq=%" PRIu64 " part=%" PRIu32 " parts=%" PRIu32
                     " held=%zu@%" PRIu64 " quiet=%d",
                     o->name, s->last_seq, s->part, s->parts, o->n_parts, o->parts_last_seq,
                     o->parts_quiet);
        origin_tear(o, "a part missing, repeated or out of order");
        if (!o->parts_quiet)
            origin_request(o, now, out);
        return 0;
    }
    if (s->part + 1 == s->parts) {
        *last = true;
        return 0;
    }
    Acd__V1__Envelope *c = replica_copy(env);
    if (!c) {
        origin_drop_parts(o);
        o->parts_quiet = true;
        return -ENOMEM;
    }
    o->parts[o->n_parts++] = c;
    o->parts_last_seq = s->last_seq;
    o->parts_total = s->parts;
    out->outcome = ACD_REPLICA_PART;
    return 0;
}

/*
 * A Snapshot (or one part of it). Only a RESYNCING origin takes one, and only if it is
 * not older than what was applied already: a late answer to a gap that filled itself
 * would roll the replica back. A single-part snapshot is installed at once; one in parts
 * when its last part completes the parts held.
 */
static int replica_snapshot(acd_replica_t *r, acd__replica_origin_t *o,
                            const Acd__V1__Envelope *env, acd_ms_t now, acd_replica_verdict_t *out)
{
    const Acd__V1__Snapshot *s = env->snapshot;
    if (o->state == ACD_REPLICA_SYNCED || s->last_seq < o->last_seq) {
        o->stale++;
        out->outcome = ACD_REPLICA_STALE;
        return 0;
    }
    if (s->parts > 1) {
        bool last = false;
        int rc = replica_part(r, o, env, now, out, &last);
        if (rc < 0 || !last)
            return rc;
    } else {
        origin_tear(o, "a single-part snapshot arrived");
    }
    /* Whatever happens now, the answer is used up: parts still arriving are leftovers,
     * and the origin asks again below if it needs to. */
    o->parts_quiet = true;
    acd__replica_set_t set;
    int rc = acd__replica_set_build(o, o->parts, o->n_parts, s, &set);
    origin_drop_parts(o);
    if (rc == ACD_EPROTO) {
        acd_log_warn("ACD-REPLICA-SNAPSHOT-INVALID",
                     "origin=%s last_seq=%" PRIu64 " why=\"an entity appears twice\"", o->name,
                     s->last_seq);
        o->invalid++;
        out->invalid++;
        out->outcome = ACD_REPLICA_INVALID;
        return 0;
    }
    if (rc < 0) {
        out->outcome = ACD_REPLICA_DROPPED;
        return rc;
    }
    acd__replica_set_install(r, o, &set);
    o->last_seq = s->last_seq;
    if (o->max_seen < o->last_seq)
        o->max_seen = o->last_seq;
    o->need_snapshot = false;
    o->snapshots++;
    out->outcome = ACD_REPLICA_INSTALLED;
    acd_log_info("ACD-REPLICA-SNAPSHOT",
                 "origin=%s incarnation=%" PRIu64 " last_seq=%" PRIu64 " buffered=%zu", o->name,
                 o->incarnation, o->last_seq, o->n_buf);
    rc = replica_drain(r, o, now, out);
    origin_settle(o);
    if (o->state == ACD_REPLICA_RESYNCING) {
        /* Envelopes between last_seq and the buffer are missing: ask again at once. */
        o->requested_ms = now;
        o->resyncs++;
        out->resync = true;
    }
    return rc;
}

static bool replica_has_body(const Acd__V1__Envelope *env)
{
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        return env->call != NULL;
    case ACD__V1__ENVELOPE__BODY_AGENT:
        return env->agent != NULL;
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        return env->registration != NULL;
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        return env->dialog != NULL;
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        return env->queue != NULL;
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        return env->snapshot != NULL;
    case ACD__V1__ENVELOPE__BODY_OFFER:
        return env->offer != NULL;
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT:
        return env->offer_accept != NULL;
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        return env->offer_reject != NULL;
    case ACD__V1__ENVELOPE__BODY_HEARTBEAT:
        return env->heartbeat != NULL;
    case ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE:
        return env->remote_update != NULL;
    case ACD__V1__ENVELOPE__BODY_TAKEOVER:
        return env->takeover != NULL;
    default:
        return false;
    }
}

int acd_replica_apply(acd_replica_t *r, const Acd__V1__Envelope *env, acd_ms_t now,
                      acd_replica_verdict_t *out)
{
    if (!out)
        return -EINVAL;
    *out = (acd_replica_verdict_t){.outcome = ACD_REPLICA_STALE};
    if (!r || !env)
        return -EINVAL;
    replica_verdict_reset(r);
    out->decisions = r->decisions;
    const char *name = env->origin_site;
    if (!name || !*name || strlen(name) >= ACD_ID_MAX || !replica_has_body(env))
        return -EINVAL;
    if (strcmp(name, r->self) == 0) {
        out->outcome = ACD_REPLICA_OWN;
        return 0;
    }
    int rc = 0;
    acd__replica_origin_t *o = acd__replica_origin_find(r, name);
    if (!o) {
        rc = origin_new(r, name, env->incarnation, now, &o, out);
        if (rc < 0)
            return rc;
    }
    out->origin = o->name;
    if (env->incarnation < o->incarnation) {
        o->stale++;
        goto done;
    }
    if (env->incarnation > o->incarnation)
        origin_restart(o, env->incarnation, now, out);
    o->last_heard_ms = now;
    o->last_sent_ms = env->sent_ms;
    if (env->body_case == ACD__V1__ENVELOPE__BODY_HEARTBEAT)
        o->last_heartbeat_ms = now;
    if (env->body_case == ACD__V1__ENVELOPE__BODY_SNAPSHOT)
        rc = replica_snapshot(r, o, env, now, out);
    else
        rc = replica_delta(r, o, env, now, out);
done:
    out->incarnation = o->incarnation;
    out->n_decisions = r->n_decisions;
    return rc;
}

void acd_replica_resync_retry(acd_replica_t *r, acd_ms_t now, acd_ms_t timeout_ms,
                              acd_replica_resync_cb cb, void *ud)
{
    if (!r)
        return;
    replica_verdict_reset(r);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        acd__replica_origin_t *o = acd_container_of(n, acd__replica_origin_t, node);
        if (o->state != ACD_REPLICA_RESYNCING || now - o->requested_ms < timeout_ms)
            continue;
        o->requested_ms = now;
        o->resyncs++;
        o->parts_quiet = true;
        acd_log_info("ACD-REPLICA-RESYNC-RETRY", "origin=%s incarnation=%" PRIu64, o->name,
                     o->incarnation);
        if (cb)
            cb(ud, o->name, o->incarnation);
    }
}

/* ---- lifecycle ---- */

int acd_replica_alloc(acd_replica_t **rp, const acd_replica_cfg_t *cfg)
{
    int rc = 0;
    acd_replica_t *r = NULL;
    if (!rp || !cfg || !cfg->self || !*cfg->self || strlen(cfg->self) >= ACD_ID_MAX ||
        cfg->max_buffer > REPLICA_BUFFER_MAX)
        return -EINVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    memcpy(r->self, cfg->self, strlen(cfg->self) + 1);
    r->max_buffer = cfg->max_buffer ? cfg->max_buffer : ACD_REPLICA_BUFFER_DEFAULT;
    r->heartbeat = cfg->heartbeat;
    r->heartbeat_ud = cfg->ud;
    acd_hmap_init(&r->origins);
    r->decisions = calloc(r->max_buffer + 1, sizeof(*r->decisions));
    r->retired = calloc(r->max_buffer, sizeof(*r->retired));
    if (!r->decisions || !r->retired) {
        rc = -ENOMEM;
        goto out;
    }
    *rp = r;
    r = NULL;
out:
    if (r) {
        free(r->decisions);
        free(r->retired);
        free(r);
    }
    return rc;
}

void acd_replica_free(acd_replica_t *r)
{
    if (!r)
        return;
    replica_verdict_reset(r);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it)))
        origin_free(acd_container_of(n, acd__replica_origin_t, node));
    acd_hmap_fini(&r->origins);
    free(r->decisions);
    free(r->retired);
    free(r);
}

int acd_replica_forget_origin(acd_replica_t *r, const char *origin, const acd_replica_visitor_t *v,
                              void *ud)
{
    if (!r || !origin)
        return -EINVAL;
    acd__replica_origin_t *o = acd__replica_origin_find(r, origin);
    if (!o)
        return -ENOENT;
    replica_verdict_reset(r);
    if (v)
        acd__replica_set_visit(o, v, ud);
    acd_log_notice("ACD-REPLICA-ORIGIN-FORGET", "origin=%s calls=%zu agents=%zu", o->name,
                   o->set.maps[ACD__REPLICA_CALL].count, o->set.maps[ACD__REPLICA_AGENT].count);
    acd_hmap_remove(&r->origins, &o->node);
    origin_free(o);
    return 0;
}

/* ---- status ---- */

static void origin_status(const acd__replica_origin_t *o, acd_ms_t now, acd_replica_status_t *s)
{
    *s = (acd_replica_status_t){
        .origin = o->name,
        .incarnation = o->incarnation,
        .last_seq = o->last_seq,
        .max_seen_seq = o->max_seen,
        .state = o->state,
        .need_snapshot = o->need_snapshot,
        .buffered = o->n_buf,
        .resync_requested_ms = o->requested_ms,
        .last_heard_ms = o->last_heard_ms,
        .last_heartbeat_ms = o->last_heartbeat_ms,
        .last_sent_ms = o->last_sent_ms,
        /* A peer's clock ahead of ours is no lag; both are positive, so no overflow. */
        .lag_ms = o->last_sent_ms > 0 && o->last_sent_ms < now ? now - o->last_sent_ms : 0,
        .draining = o->draining,
        .island = o->island,
        .leader_site = o->leader_site,
        .leader_epoch = o->leader_epoch,
        .queued_calls = o->queued_calls,
        .available_agents = o->available_agents,
        .heartbeat_applied = o->heartbeat_applied,
        .anycast_configured = o->anycast_configured,
        .anycast_announced = o->anycast_announced,
        .anycast_address = o->anycast_address,
        .anycast_why = o->anycast_why,
        .calls = o->set.maps[ACD__REPLICA_CALL].count,
        .agents = o->set.maps[ACD__REPLICA_AGENT].count,
        .registrations = o->set.maps[ACD__REPLICA_REG].count,
        .dialogs = o->set.maps[ACD__REPLICA_DIALOG].count,
        .queues = o->set.maps[ACD__REPLICA_QUEUE].count,
        .applied = o->applied,
        .duplicates = o->duplicates,
        .stale = o->stale,
        .gaps = o->gaps,
        .invalid = o->invalid,
        .overflows = o->overflows,
        .restarts = o->restarts,
        .resyncs = o->resyncs,
        .snapshots = o->snapshots,
        .torn = o->torn,
    };
}

int acd_replica_status(const acd_replica_t *r, const char *origin, acd_ms_t now,
                       acd_replica_status_t *out)
{
    if (!r || !origin || !out)
        return -EINVAL;
    const acd__replica_origin_t *o = acd__replica_origin_find(r, origin);
    if (!o)
        return -ENOENT;
    origin_status(o, now, out);
    return 0;
}

void acd_replica_foreach_origin(const acd_replica_t *r, acd_ms_t now,
                                void (*cb)(void *ud, const acd_replica_status_t *s), void *ud)
{
    if (!r || !cb)
        return;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_replica_status_t s;
        origin_status(acd_container_of(n, acd__replica_origin_t, node), now, &s);
        cb(ud, &s);
    }
}
