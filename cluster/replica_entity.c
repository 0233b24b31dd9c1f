/* replica_entity.c - the replica's entities: built from events, keyed per origin, visited. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/replica_int.h"
#include "cluster/wire.h"
#include "util/err.h"

/* ---- building entities ---- */

static size_t ent_len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* A zeroed entity of kind with room for the n strings of src plus extra bytes. */
static acd__replica_ent_t *ent_alloc(acd__replica_kind_t kind, const char *const *src, size_t n,
                                     size_t extra)
{
    size_t total = extra;
    for (size_t i = 0; i < n; i++)
        total += ent_len(src[i]) + 1;
    acd__replica_ent_t *e = calloc(1, sizeof(*e) + total);
    if (e)
        e->kind = kind;
    return e;
}

/* Copies s (NULL is "") into e's strings at *off, advances *off and returns the copy. */
static const char *ent_put(acd__replica_ent_t *e, size_t *off, const char *s)
{
    size_t n = ent_len(s);
    char *d = e->strs + *off;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    *off += n + 1;
    return d;
}

void acd__replica_ent_free(acd__replica_ent_t *e)
{
    if (!e)
        return;
    if (e->dialog)
        acd__v1__dialog_event__free_unpacked(e->dialog, NULL);
    free(e);
}

/* Points e and its view at o (the views all name their origin). */
static void ent_set_origin(acd__replica_ent_t *e, acd__replica_origin_t *o)
{
    e->origin = o;
    switch (e->kind) {
    case ACD__REPLICA_CALL:
        e->v.call.origin = o->name;
        break;
    case ACD__REPLICA_AGENT:
        e->v.agent.origin = o->name;
        break;
    case ACD__REPLICA_REG:
        e->v.reg.origin = o->name;
        break;
    case ACD__REPLICA_DIALOG:
        e->v.dialog.origin = o->name;
        break;
    default:
        e->v.queue.origin = o->name;
        break;
    }
}

/* Returns 0 with *out built, ACD_EPROTO for an ENDED call (never an entity), -ENOMEM. */
static int ent_from_call(const Acd__V1__CallEvent *ev, acd__replica_ent_t **out)
{
    acd_call_state_t st;
    if (acd_wire_call_state_to_core(ev->kind, &st) < 0 || st == ACD_CALL_ENDED)
        return ACD_EPROTO;
    const char *src[] = {ev->call_id,  ev->tenant, ev->did,      ev->caller, ev->queue,
                         ev->agent_id, ev->reason, ev->delivery, ev->message};
    acd__replica_ent_t *e = ent_alloc(ACD__REPLICA_CALL, src, sizeof(src) / sizeof(*src), 0);
    if (!e)
        return -ENOMEM;
    acd_replica_call_t *c = &e->v.call;
    size_t off = 0;
    c->call_id = ent_put(e, &off, ev->call_id);
    c->tenant = ent_put(e, &off, ev->tenant);
    c->did = ent_put(e, &off, ev->did);
    c->caller = ent_put(e, &off, ev->caller);
    c->queue = ent_put(e, &off, ev->queue);
    c->agent_id = ent_put(e, &off, ev->agent_id);
    c->reason = ent_put(e, &off, ev->reason);
    c->delivery = ent_put(e, &off, ev->delivery);
    c->message = ent_put(e, &off, ev->message);
    c->kind = ev->kind;
    c->state = st;
    c->priority = ev->priority;
    c->enqueue_ms = ev->enqueue_ms;
    c->answer_ms = ev->answer_ms;
    c->offers = ev->offers;
    e->key = acd_str_from(c->call_id);
    *out = e;
    return 0;
}

static int ent_from_agent(const Acd__V1__AgentEvent *ev, acd__replica_ent_t **out)
{
    acd_agent_state_t st;
    if (acd_wire_agent_state_to_core(ev->state, &st) < 0)
        return ACD_EPROTO;
    const char *src[] = {ev->agent_id, ev->sip_user, ev->reason, ev->call_id};
    acd__replica_ent_t *e = ent_alloc(ACD__REPLICA_AGENT, src, sizeof(src) / sizeof(*src), 0);
    if (!e)
        return -ENOMEM;
    acd_replica_agent_t *a = &e->v.agent;
    size_t off = 0;
    a->agent_id = ent_put(e, &off, ev->agent_id);
    a->sip_user = ent_put(e, &off, ev->sip_user);
    a->reason = ent_put(e, &off, ev->reason);
    a->call_id = ent_put(e, &off, ev->call_id);
    a->state = st;
    a->state_since_ms = ev->state_since_ms;
    a->idle_since_ms = ev->idle_since_ms;
    a->missed_in_row = ev->missed_in_row;
    a->calls_handled = ev->calls_handled;
    e->key = acd_str_from(a->agent_id);
    *out = e;
    return 0;
}

static int ent_from_reg(const Acd__V1__RegistrationEvent *ev, acd__replica_ent_t **out)
{
    const char *src[] = {ev->user,   ev->aor,      ev->contact,
                         ev->source, ev->agent_id, ev->register_call_id};
    acd__replica_ent_t *e = ent_alloc(ACD__REPLICA_REG, src, sizeof(src) / sizeof(*src), 0);
    if (!e)
        return -ENOMEM;
    acd_replica_registration_t *g = &e->v.reg;
    size_t off = 0;
    g->user = ent_put(e, &off, ev->user);
    g->aor = ent_put(e, &off, ev->aor);
    g->contact = ent_put(e, &off, ev->contact);
    g->source = ent_put(e, &off, ev->source);
    g->agent_id = ent_put(e, &off, ev->agent_id);
    g->register_call_id = ent_put(e, &off, ev->register_call_id);
    g->transport = ev->transport;
    g->expires_ms = ev->expires_ms;
    g->register_cseq = ev->register_cseq;
    e->key = acd_str_from(g->user);
    *out = e;
    return 0;
}

/* A dialog's key: "<leg>:<call_id>", written into buf (size n); returns its length. */
static size_t dialog_key(char *buf, size_t n, const char *call_id, Acd__V1__LegRole leg)
{
    int k = snprintf(buf, n, "%d:%s", (int)leg, call_id ? call_id : "");
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

/* A deep copy of ev through its own encoding, owned by the caller; NULL without memory. */
static Acd__V1__DialogEvent *dialog_copy(const Acd__V1__DialogEvent *ev)
{
    size_t n = acd__v1__dialog_event__get_packed_size(ev);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return NULL;
    acd__v1__dialog_event__pack(ev, b);
    Acd__V1__DialogEvent *c = acd__v1__dialog_event__unpack(NULL, n, b);
    free(b);
    return c;
}

static int ent_from_dialog(const Acd__V1__DialogEvent *ev, acd__replica_ent_t **out)
{
    size_t klen = ent_len(ev->call_id) + 16;
    acd__replica_ent_t *e = ent_alloc(ACD__REPLICA_DIALOG, NULL, 0, klen);
    if (!e)
        return -ENOMEM;
    e->dialog = dialog_copy(ev);
    if (!e->dialog) {
        free(e);
        return -ENOMEM;
    }
    e->v.dialog.call_id = e->dialog->call_id;
    e->v.dialog.leg = e->dialog->leg;
    e->v.dialog.ev = e->dialog;
    e->key.p = e->strs;
    e->key.n = dialog_key(e->strs, klen, ev->call_id, ev->leg);
    *out = e;
    return 0;
}

static int ent_from_queue(const Acd__V1__QueueEvent *ev, acd__replica_ent_t **out)
{
    const char *src[] = {ev->queue, ev->tenant};
    acd__replica_ent_t *e = ent_alloc(ACD__REPLICA_QUEUE, src, 2, 0);
    if (!e)
        return -ENOMEM;
    acd_replica_queue_t *q = &e->v.queue;
    size_t off = 0;
    q->queue = ent_put(e, &off, ev->queue);
    q->tenant = ent_put(e, &off, ev->tenant);
    q->waiting = ev->waiting;
    q->offered = ev->offered;
    q->agents_logged_in = ev->agents_logged_in;
    q->agents_available = ev->agents_available;
    q->oldest_enqueue_ms = ev->oldest_enqueue_ms;
    e->key = acd_str_from(q->queue);
    *out = e;
    return 0;
}

/* ---- sets ---- */

void acd__replica_set_init(acd__replica_set_t *s)
{
    for (int k = 0; k < ACD__REPLICA_NKINDS; k++)
        acd_hmap_init(&s->maps[k]);
}

void acd__replica_set_fini(acd__replica_set_t *s)
{
    for (int k = 0; k < ACD__REPLICA_NKINDS; k++) {
        acd_hmap_iter_t it;
        acd_hmap_node_t *n;
        acd_hmap_iter_init(&it, &s->maps[k]);
        while ((n = acd_hmap_iter_next(&it)))
            acd__replica_ent_free(acd_container_of(n, acd__replica_ent_t, node));
        acd_hmap_fini(&s->maps[k]);
    }
}

static acd__replica_ent_t *set_get(const acd__replica_set_t *s, acd__replica_kind_t kind,
                                   acd_str_t key)
{
    acd_hmap_node_t *n = acd_hmap_get(&s->maps[kind], key);
    return n ? acd_container_of(n, acd__replica_ent_t, node) : NULL;
}

/* Unlinks e from its origin's set and frees it. */
static void ent_destroy(acd__replica_ent_t *e)
{
    acd_hmap_remove(&e->origin->set.maps[e->kind], &e->node);
    acd__replica_ent_free(e);
}

/*
 * Puts e (just built, owned by the caller until this returns) under o, replacing the
 * entity with the same key. Returns 0 or -ENOMEM (e freed, nothing changed).
 */
static int set_upsert(acd__replica_origin_t *o, acd__replica_ent_t *e)
{
    acd_hmap_t *m = &o->set.maps[e->kind];
    ent_set_origin(e, o);
    acd__replica_ent_t *old = set_get(&o->set, e->kind, e->key);
    if (old) {
        /* Removing first keeps the count where it was, so this insert never grows the
         * map and cannot fail. */
        acd_hmap_remove(m, &old->node);
        (void)acd_hmap_insert(m, &e->node, e->key);
        acd__replica_ent_free(old);
        return 0;
    }
    int rc = acd_hmap_insert(m, &e->node, e->key);
    if (rc < 0)
        acd__replica_ent_free(e);
    return rc;
}

/* Removes the entity of kind with key from o, if it holds one. */
static void set_delete(acd__replica_origin_t *o, acd__replica_kind_t kind, acd_str_t key)
{
    acd__replica_ent_t *old = set_get(&o->set, kind, key);
    if (old)
        ent_destroy(old);
}

acd__replica_origin_t *acd__replica_origin_find(const acd_replica_t *r, const char *name)
{
    acd_hmap_node_t *n = acd_hmap_get(&r->origins, acd_str_from(name));
    return n ? acd_container_of(n, acd__replica_origin_t, node) : NULL;
}

acd__replica_ent_t *acd__replica_find_call(const acd_replica_t *r, const char *call_id)
{
    acd_str_t key = acd_str_from(call_id);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        acd__replica_origin_t *o = acd_container_of(n, acd__replica_origin_t, node);
        acd__replica_ent_t *e = set_get(&o->set, ACD__REPLICA_CALL, key);
        if (e)
            return e;
    }
    return NULL;
}

/* ---- facts ---- */

/*
 * A call fact. Calls are cluster-unique: the one held under another origin moves to o
 * (o took it over). Facts that never change (tenant, number, enqueue time) must agree
 * with the held copy, and a call arrives only once per origin.
 */
static int fact_call(const acd_replica_t *r, acd__replica_origin_t *o, const Acd__V1__CallEvent *ev)
{
    acd__replica_ent_t *old = acd__replica_find_call(r, ev->call_id);
    if (old) {
        const acd_replica_call_t *c = &old->v.call;
        if ((old->origin == o && ev->kind == ACD__V1__CALL_KIND__CALL_KIND_ARRIVE) ||
            strcmp(c->tenant, ev->tenant) != 0 || strcmp(c->did, ev->did) != 0 ||
            c->enqueue_ms != ev->enqueue_ms)
            return ACD_EPROTO;
    }
    if (ev->kind == ACD__V1__CALL_KIND__CALL_KIND_ENDED) {
        if (old && old->origin == o)
            ent_destroy(old); /* (a late end from a former owner leaves the new owner's) */
        return 0;
    }
    acd__replica_ent_t *e;
    int rc = ent_from_call(ev, &e);
    if (rc < 0)
        return rc;
    if (!old || old->origin == o)
        return set_upsert(o, e);
    ent_set_origin(e, o);
    rc = acd_hmap_insert(&o->set.maps[ACD__REPLICA_CALL], &e->node, e->key);
    if (rc < 0) {
        acd__replica_ent_free(e);
        return rc;
    }
    ent_destroy(old);
    return 0;
}

/* The entity builders, alike in shape, so the fact and snapshot code can share them. */
typedef int (*ent_build_fn)(const void *ev, acd__replica_ent_t **out);

static int build_call(const void *ev, acd__replica_ent_t **out)
{
    return ent_from_call(ev, out);
}

static int build_agent(const void *ev, acd__replica_ent_t **out)
{
    return ent_from_agent(ev, out);
}

static int build_reg(const void *ev, acd__replica_ent_t **out)
{
    return ent_from_reg(ev, out);
}

static int build_dialog(const void *ev, acd__replica_ent_t **out)
{
    return ent_from_dialog(ev, out);
}

static int build_queue(const void *ev, acd__replica_ent_t **out)
{
    return ent_from_queue(ev, out);
}

/* Builds the entity of ev and puts it under o, replacing the one with its key. */
static int fact_put(acd__replica_origin_t *o, ent_build_fn build, const void *ev)
{
    acd__replica_ent_t *e;
    int rc = build(ev, &e);
    return rc < 0 ? rc : set_upsert(o, e);
}

int acd__replica_apply_fact(acd_replica_t *r, acd__replica_origin_t *o,
                            const Acd__V1__Envelope *env)
{
    char key[ACD_ID_MAX + 16];
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        return fact_call(r, o, env->call);
    case ACD__V1__ENVELOPE__BODY_AGENT:
        return fact_put(o, build_agent, env->agent);
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        if (!env->registration->removed)
            return fact_put(o, build_reg, env->registration);
        set_delete(o, ACD__REPLICA_REG, acd_str_from(env->registration->user));
        return 0;
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        if (env->dialog->state != ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED)
            return fact_put(o, build_dialog, env->dialog);
        set_delete(
            o, ACD__REPLICA_DIALOG,
            (acd_str_t){key, dialog_key(key, sizeof(key), env->dialog->call_id, env->dialog->leg)});
        return 0;
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        return fact_put(o, build_queue, env->queue);
    default:
        return -EINVAL;
    }
}

/* ---- snapshots ---- */

/* Builds the entity of ev into the set being built; a key seen twice is ACD_EPROTO. */
static int build_add(acd__replica_set_t *s, acd__replica_origin_t *o, ent_build_fn build,
                     const void *ev)
{
    acd__replica_ent_t *e;
    int rc = build(ev, &e);
    if (rc < 0)
        return rc;
    ent_set_origin(e, o);
    rc = acd_hmap_insert(&s->maps[e->kind], &e->node, e->key);
    if (rc < 0)
        acd__replica_ent_free(e);
    return rc == -EEXIST ? ACD_EPROTO : rc;
}

static int build_one(acd__replica_set_t *s, acd__replica_origin_t *o, const Acd__V1__Snapshot *snap)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < snap->n_calls; i++) {
        if (snap->calls[i]->kind != ACD__V1__CALL_KIND__CALL_KIND_ENDED)
            rc = build_add(s, o, build_call, snap->calls[i]);
    }
    for (size_t i = 0; rc == 0 && i < snap->n_agents; i++)
        rc = build_add(s, o, build_agent, snap->agents[i]);
    for (size_t i = 0; rc == 0 && i < snap->n_registrations; i++) {
        if (!snap->registrations[i]->removed)
            rc = build_add(s, o, build_reg, snap->registrations[i]);
    }
    for (size_t i = 0; rc == 0 && i < snap->n_dialogs; i++) {
        if (snap->dialogs[i]->state != ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED)
            rc = build_add(s, o, build_dialog, snap->dialogs[i]);
    }
    for (size_t i = 0; rc == 0 && i < snap->n_queues; i++)
        rc = build_add(s, o, build_queue, snap->queues[i]);
    return rc;
}

int acd__replica_set_build(acd__replica_origin_t *o, Acd__V1__Envelope *const *parts,
                           size_t n_parts, const Acd__V1__Snapshot *last, acd__replica_set_t *out)
{
    int rc = 0;
    acd__replica_set_init(out);
    for (size_t i = 0; rc == 0 && i < n_parts; i++)
        rc = build_one(out, o, parts[i]->snapshot);
    if (rc == 0)
        rc = build_one(out, o, last);
    if (rc < 0)
        acd__replica_set_fini(out);
    return rc;
}

void acd__replica_set_install(acd_replica_t *r, acd__replica_origin_t *o, acd__replica_set_t *set)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &set->maps[ACD__REPLICA_CALL]);
    while ((n = acd_hmap_iter_next(&it))) {
        acd__replica_ent_t *e = acd_container_of(n, acd__replica_ent_t, node);
        acd__replica_ent_t *old = acd__replica_find_call(r, e->v.call.call_id);
        if (old && old->origin != o)
            ent_destroy(old);
    }
    acd__replica_set_fini(&o->set);
    o->set = *set;
    acd__replica_set_init(set);
}

/* ---- visiting and lookups ---- */

void acd__replica_set_visit(const acd__replica_origin_t *o, const acd_replica_visitor_t *v,
                            void *ud)
{
    for (int k = 0; k < ACD__REPLICA_NKINDS; k++) {
        acd_hmap_iter_t it;
        acd_hmap_node_t *n;
        acd_hmap_iter_init(&it, &o->set.maps[k]);
        while ((n = acd_hmap_iter_next(&it))) {
            const acd__replica_ent_t *e = acd_container_of(n, acd__replica_ent_t, node);
            if (k == ACD__REPLICA_CALL && v->call)
                v->call(ud, &e->v.call);
            else if (k == ACD__REPLICA_AGENT && v->agent)
                v->agent(ud, &e->v.agent);
            else if (k == ACD__REPLICA_REG && v->registration)
                v->registration(ud, &e->v.reg);
            else if (k == ACD__REPLICA_DIALOG && v->dialog)
                v->dialog(ud, &e->v.dialog);
            else if (k == ACD__REPLICA_QUEUE && v->queue)
                v->queue(ud, &e->v.queue);
        }
    }
}

void acd_replica_foreach(const acd_replica_t *r, const char *origin, const acd_replica_visitor_t *v,
                         void *ud)
{
    if (!r || !v)
        return;
    if (origin) {
        const acd__replica_origin_t *o = acd__replica_origin_find(r, origin);
        if (o)
            acd__replica_set_visit(o, v, ud);
        return;
    }
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it)))
        acd__replica_set_visit(acd_container_of(n, acd__replica_origin_t, node), v, ud);
}

const acd_replica_call_t *acd_replica_call(const acd_replica_t *r, const char *call_id)
{
    const acd__replica_ent_t *e = r && call_id ? acd__replica_find_call(r, call_id) : NULL;
    return e ? &e->v.call : NULL;
}

/*
 * The entity of kind with key under origin, or under any origin when origin is NULL:
 * the first found for which prefer() is true, else the first found.
 */
static const acd__replica_ent_t *lookup(const acd_replica_t *r, const char *origin,
                                        acd__replica_kind_t kind, acd_str_t key,
                                        bool (*prefer)(const acd__replica_ent_t *e))
{
    if (!r || !key.p)
        return NULL;
    if (origin) {
        const acd__replica_origin_t *o = acd__replica_origin_find(r, origin);
        return o ? set_get(&o->set, kind, key) : NULL;
    }
    const acd__replica_ent_t *first = NULL;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        const acd__replica_origin_t *o = acd_container_of(n, acd__replica_origin_t, node);
        const acd__replica_ent_t *e = set_get(&o->set, kind, key);
        if (e && (!prefer || prefer(e)))
            return e;
        if (e && !first)
            first = e;
    }
    return first;
}

static bool agent_logged_in(const acd__replica_ent_t *e)
{
    return e->v.agent.state != ACD_AGENT_LOGGED_OUT;
}

const acd_replica_agent_t *acd_replica_agent(const acd_replica_t *r, const char *origin,
                                             const char *agent_id)
{
    const acd__replica_ent_t *e =
        lookup(r, origin, ACD__REPLICA_AGENT, acd_str_from(agent_id), agent_logged_in);
    return e ? &e->v.agent : NULL;
}

const acd_replica_registration_t *acd_replica_registration(const acd_replica_t *r,
                                                           const char *origin, const char *user)
{
    const acd__replica_ent_t *e = lookup(r, origin, ACD__REPLICA_REG, acd_str_from(user), NULL);
    return e ? &e->v.reg : NULL;
}

const acd_replica_dialog_t *acd_replica_dialog(const acd_replica_t *r, const char *origin,
                                               const char *call_id, Acd__V1__LegRole leg)
{
    char key[ACD_ID_MAX + 16];
    if (!call_id)
        return NULL;
    acd_str_t k = {key, dialog_key(key, sizeof(key), call_id, leg)};
    const acd__replica_ent_t *e = lookup(r, origin, ACD__REPLICA_DIALOG, k, NULL);
    return e ? &e->v.dialog : NULL;
}

static bool dialog_has_tags(const Acd__V1__DialogEvent *ev, const char *sip_call_id,
                            const char *local_tag, const char *remote_tag)
{
    return ev->sip_call_id && ev->local_tag && ev->remote_tag &&
           strcmp(ev->sip_call_id, sip_call_id) == 0 && strcmp(ev->local_tag, local_tag) == 0 &&
           strcmp(ev->remote_tag, remote_tag) == 0;
}

const acd_replica_dialog_t *acd_replica_dialog_by_tags(const acd_replica_t *r,
                                                       const char *sip_call_id,
                                                       const char *local_tag,
                                                       const char *remote_tag,
                                                       bool (*accept)(void *ud, const char *origin),
                                                       void *ud)
{
    if (!r || !sip_call_id || !local_tag || !remote_tag)
        return NULL;
    acd_hmap_iter_t it, dit;
    acd_hmap_node_t *n, *d;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        const acd__replica_origin_t *o = acd_container_of(n, acd__replica_origin_t, node);
        if (accept && !accept(ud, o->name))
            continue;
        acd_hmap_iter_init(&dit, &o->set.maps[ACD__REPLICA_DIALOG]);
        while ((d = acd_hmap_iter_next(&dit))) {
            const acd__replica_ent_t *e = acd_container_of(d, acd__replica_ent_t, node);
            if (dialog_has_tags(e->v.dialog.ev, sip_call_id, local_tag, remote_tag))
                return &e->v.dialog;
        }
    }
    return NULL;
}

const acd_replica_queue_t *acd_replica_queue(const acd_replica_t *r, const char *origin,
                                             const char *queue)
{
    if (!origin)
        return NULL;
    const acd__replica_ent_t *e = lookup(r, origin, ACD__REPLICA_QUEUE, acd_str_from(queue), NULL);
    return e ? &e->v.queue : NULL;
}
