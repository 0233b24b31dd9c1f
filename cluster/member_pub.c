/* member_pub.c - the member's log: facts and decisions out, peers' envelopes and snapshots in
 * (the snapshots this site answers with are built in member_snap.c). */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Facts are published after each batch of core steps (acd_member_flush): every call and
 * agent a step touched is compared with what was last published about it and published
 * again only when it changed, so the log carries state transitions, not steps. A call's
 * end goes out at once from its CDR, which holds the end facts. Decisions (accepts,
 * rejects, remote updates) go out as the core makes them, and are applied here as well.
 */

/* ---- records of what was published ---- */

static void *member_rec_get(acd_hmap_t *map, const char *id, size_t size, size_t node_off,
                            size_t id_off, bool create)
{
    acd_hmap_node_t *n = acd_hmap_get(map, acd_str_from(id));
    if (n)
        return (char *)n - node_off;
    if (!create)
        return NULL;
    char *rec = calloc(1, size);
    if (!rec)
        return NULL;
    snprintf(rec + id_off, ACD_ID_MAX, "%s", id);
    if (acd_hmap_insert(map, (acd_hmap_node_t *)(rec + node_off), acd_str_from(rec + id_off)) < 0) {
        free(rec);
        return NULL;
    }
    return rec;
}

#define MEMBER_REC(map, type, idfield, id, create)                                               \
    ((type *)member_rec_get((map), (id), sizeof(type), offsetof(type, node),                    \
                            offsetof(type, idfield), (create)))

static void member_rec_free_all(acd_hmap_t *map, size_t node_off)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, map);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_hmap_remove(map, n);
        free((char *)n - node_off);
    }
    acd_hmap_fini(map);
}

void acd__member_records_fini(acd_member_t *m)
{
    member_rec_free_all(&m->calls, offsetof(member_call_rec_t, node));
    member_rec_free_all(&m->agents, offsetof(member_agent_rec_t, node));
    member_rec_free_all(&m->queues, offsetof(member_queue_rec_t, node));
}

const member_call_rec_t *acd__member_call_rec(const acd_member_t *m, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&m->calls, acd_str_from(id));
    return n ? acd_container_of(n, member_call_rec_t, node) : NULL;
}

static void member_touch_call(acd_member_t *m, const char *id)
{
    if (!id || !id[0])
        return;
    member_call_rec_t *r = MEMBER_REC(&m->calls, member_call_rec_t, id, id, true);
    if (r)
        r->dirty = true;
    m->facts_dirty = true;
}

static void member_touch_agent(acd_member_t *m, const char *id)
{
    if (!id || !id[0])
        return;
    member_agent_rec_t *r = MEMBER_REC(&m->agents, member_agent_rec_t, id, id, true);
    if (r)
        r->dirty = true;
    m->facts_dirty = true;
}

/* ---- publishing ---- */

void acd__member_envelope_init(acd_member_t *m, Acd__V1__Envelope *env)
{
    acd_wire_envelope_init(env, m->site, m->incarnation, m->seq + 1, acd__member_now());
}

/* Publishes env (its seq is set here); the seq is spent only when the frame went out. */
int acd__member_publish(acd_member_t *m, Acd__V1__Envelope *env)
{
    if (!m->link || m->closing)
        return -ESHUTDOWN;
    env->seq = m->seq + 1;
    int rc = acd_link_publish(m->link, env);
    if (rc == 0)
        m->seq++;
    else
        acd_log_warn("ACD-MEMBER-PUBLISH-FAILED", "body=%s err=%s", acd_wire_body_name(env),
                     acd_errname(rc));
    return rc;
}

typedef struct member_load {
    uint32_t queued, available;
} member_load_t;

static void member_count_call(void *ud, const acd_call_view_t *v)
{
    if (v->state == ACD_CALL_QUEUED)
        ((member_load_t *)ud)->queued++;
}

static void member_count_agent(void *ud, const acd_agent_view_t *v)
{
    if (v->state == ACD_AGENT_AVAILABLE)
        ((member_load_t *)ud)->available++;
}

/* Makes s plain printable ASCII in place: a heartbeat the wire check refused for a stray
 * byte of the anycast text would leave the peers without this site's liveness. */
static char *member_plain(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    return s;
}

void acd__member_heartbeat(acd_member_t *m)
{
    member_load_t load = {0};
    const acd_core_t *core = m->ops.core(m->ud);
    acd_core_foreach_call(core, member_count_call, &load);
    acd_core_foreach_agent(core, member_count_agent, &load);
    Acd__V1__Heartbeat hb = ACD__V1__HEARTBEAT__INIT;
    hb.draining = m->ops.draining ? m->ops.draining(m->ud) : false;
    hb.island = m->island;
    hb.leader_site = m->leader;
    hb.leader_epoch = m->leader_epoch;
    hb.queued_calls = load.queued;
    hb.available_agents = load.available;
    acd_member_anycast_t any = {0};
    if (m->ops.anycast)
        m->ops.anycast(m->ud, &any);
    any.address[sizeof(any.address) - 1] = any.why[sizeof(any.why) - 1] = '\0';
    if (any.configured && any.address[0]) { /* else the wire check wants the rest empty */
        hb.anycast_configured = true;
        hb.anycast_announced = any.announced;
        hb.anycast_address = member_plain(any.address);
        hb.anycast_why = member_plain(any.why);
    }
    acd__member_kpi_out_t kpi = {0};
    acd__member_kpi_fill(m, &hb, &kpi);
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    (void)acd__member_publish(m, &env);
    acd__member_kpi_out_fini(&kpi);
}

/* Publishes a decision and applies it here too (this site gets no copy of its own log). */
static void member_publish_decision(acd_member_t *m, Acd__V1__Envelope *env)
{
    (void)acd__member_publish(m, env);
    acd__member_decide(m, m->site, env);
}

static Acd__V1__RejectReason member_reject_reason(const char *why)
{
    if (strcmp(why, "stale-epoch") == 0)
        return ACD__V1__REJECT_REASON__REJECT_REASON_STALE_EPOCH;
    if (strcmp(why, "busy") == 0)
        return ACD__V1__REJECT_REASON__REJECT_REASON_AGENT_BUSY;
    if (strcmp(why, "unknown-agent") == 0)
        return ACD__V1__REJECT_REASON__REJECT_REASON_AGENT_UNKNOWN;
    return ACD__V1__REJECT_REASON__REJECT_REASON_INVALID;
}

static void member_send_reject(acd_member_t *m, const char *offer_id, uint64_t epoch,
                               const char *call_id, const char *call_site, const char *agent_id,
                               Acd__V1__RejectReason reason, const char *detail)
{
    Acd__V1__OfferReject rj = ACD__V1__OFFER_REJECT__INIT;
    rj.offer_id = (char *)offer_id;
    rj.epoch = epoch;
    rj.call_id = (char *)call_id;
    rj.agent_id = (char *)agent_id;
    rj.call_site = (char *)call_site;
    rj.agent_site = m->site;
    rj.reason = reason;
    rj.detail = (char *)detail;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_OFFER_REJECT;
    env.offer_reject = &rj;
    member_publish_decision(m, &env);
}

static void member_send_update(acd_member_t *m, const acd_action_t *a, const char *call_site,
                               const char *agent_site, Acd__V1__RemoteKind kind)
{
    if (!a->offer_id[0] || !call_site[0] || !agent_site[0])
        return;
    Acd__V1__RemoteUpdate u = ACD__V1__REMOTE_UPDATE__INIT;
    u.offer_id = (char *)a->offer_id;
    u.call_id = (char *)a->call_id;
    u.call_site = (char *)call_site;
    u.agent_id = (char *)a->agent_id;
    u.agent_site = (char *)agent_site;
    u.kind = kind;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE;
    env.remote_update = &u;
    member_publish_decision(m, &env);
}

static Acd__V1__RemoteKind member_remote_kind(acd_remote_kind_t k)
{
    switch (k) {
    case ACD_REMOTE_ANSWERED:
        return ACD__V1__REMOTE_KIND__REMOTE_KIND_ANSWERED;
    case ACD_REMOTE_MISSED:
        return ACD__V1__REMOTE_KIND__REMOTE_KIND_MISSED;
    case ACD_REMOTE_ENDED:
        return ACD__V1__REMOTE_KIND__REMOTE_KIND_ENDED;
    default:
        return ACD__V1__REMOTE_KIND__REMOTE_KIND_RELEASED;
    }
}

static void member_publish_cdr(acd_member_t *m, const acd_cdr_t *cdr)
{
    Acd__V1__CallEvent ce;
    if (acd_wire_call_from_cdr(cdr, &ce) < 0)
        return;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env.call = &ce;
    (void)acd__member_publish(m, &env);
    member_call_rec_t *r = MEMBER_REC(&m->calls, member_call_rec_t, id, cdr->call_id, true);
    if (r) {
        r->kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
        r->dirty = true;
    }
}

void acd_member_call_withdrawn(acd_member_t *m, const acd_call_view_t *v)
{
    if (!m || m->closing || !v)
        return;
    Acd__V1__CallEvent ce;
    Acd__V1__CallKind kind = v->state == ACD_CALL_CONNECTED ? ACD__V1__CALL_KIND__CALL_KIND_CONNECTED
                                                            : ACD__V1__CALL_KIND__CALL_KIND_ARRIVE;
    if (acd_wire_call_from_view(v, kind, &ce) < 0)
        return;
    ce.kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
    ce.end_ms = acd__member_now();
    ce.disposition = ACD__V1__DISPOSITION__DISPOSITION_FAILED; /* ours ends; its CDR is the sister's */
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env.call = &ce;
    (void)acd__member_publish(m, &env);
    member_call_rec_t *r = MEMBER_REC(&m->calls, member_call_rec_t, id, v->id, true);
    if (r) {
        r->kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
        r->dirty = true;
    }
}

static void member_accept_out(acd_member_t *m, const acd_action_t *a)
{
    Acd__V1__OfferAccept ac = ACD__V1__OFFER_ACCEPT__INIT;
    ac.offer_id = (char *)a->offer_id;
    ac.epoch = a->epoch;
    ac.call_id = (char *)a->call_id;
    ac.agent_id = (char *)a->agent_id;
    ac.call_site = (char *)a->call_site;
    ac.agent_site = m->site;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT;
    env.offer_accept = &ac;
    member_publish_decision(m, &env);
}

static void member_action(acd_member_t *m, const acd_action_t *a)
{
    bool local_agent = !a->agent_site[0];
    switch (a->type) {
    case ACD_ACT_CDR:
        member_publish_cdr(m, &a->cdr);
        return;
    case ACD_ACT_OFFER_ACCEPT:
        member_touch_agent(m, a->agent_id);
        member_accept_out(m, a);
        return;
    case ACD_ACT_OFFER_REJECT:
        member_send_reject(m, a->offer_id, a->epoch, a->call_id, a->call_site, a->agent_id,
                           member_reject_reason(a->reason), a->reason);
        return;
    case ACD_ACT_REMOTE_RELEASE:
        member_send_update(m, a, m->site, a->agent_site, ACD__V1__REMOTE_KIND__REMOTE_KIND_RELEASED);
        return;
    case ACD_ACT_REMOTE_AGENT:
        member_touch_call(m, a->call_id);
        member_send_update(m, a, m->site, a->agent_site, member_remote_kind(a->kind));
        return;
    case ACD_ACT_CANCEL_OFFER:
        if (a->call_site[0]) { /* our agent left while reserved for another site's call */
            member_touch_agent(m, a->agent_id);
            member_send_update(m, a, a->call_site, m->site,
                               ACD__V1__REMOTE_KIND__REMOTE_KIND_WITHDRAWN);
            return;
        }
        member_call_rec_t *r = MEMBER_REC(&m->calls, member_call_rec_t, id, a->call_id, false);
        if (r && a->reason[0])
            snprintf(r->reason, sizeof(r->reason), "%s", a->reason);
        break;
    case ACD_ACT_AGENT_STATE:
        member_touch_agent(m, a->agent_id);
        return;
    default:
        break;
    }
    member_touch_call(m, a->call_id);
    if (local_agent)
        member_touch_agent(m, a->agent_id);
}

void acd_member_applied(acd_member_t *m, const acd_event_t *ev, const acd_actions_t *acts)
{
    if (!m || m->closing)
        return;
    if (ev) {
        member_touch_call(m, ev->call_id);
        if (ev->type != ACD_EV_REMOTE_ACCEPTED)
            member_touch_agent(m, ev->agent_id);
        if (ev->type == ACD_EV_OFFER_FAILED && ev->call_id[0]) {
            member_call_rec_t *r = MEMBER_REC(&m->calls, member_call_rec_t, id, ev->call_id, false);
            if (r)
                snprintf(r->reason, sizeof(r->reason), "%s", ev->reason[0] ? ev->reason : "failed");
        }
        if (ev->type == ACD_EV_AGENT_LOGIN || ev->type == ACD_EV_AGENT_LOGOUT ||
            ev->type == ACD_EV_TICK)
            m->facts_dirty = true;
    }
    for (size_t i = 0; acts && i < acts->n; i++)
        member_action(m, &acts->v[i]);
}

/* ---- flush: the facts that changed ---- */

static void member_flush_call(acd_member_t *m, const acd_core_t *core, member_call_rec_t *r)
{
    acd_call_view_t v;
    if (r->kind == ACD__V1__CALL_KIND__CALL_KIND_ENDED || acd_core_call(core, r->id, &v) < 0) {
        acd_hmap_remove(&m->calls, &r->node);
        free(r);
        return;
    }
    Acd__V1__CallKind kind;
    switch (v.state) {
    case ACD_CALL_QUEUED:
        if (r->kind == ACD__V1__CALL_KIND__CALL_KIND_UNSPECIFIED)
            kind = ACD__V1__CALL_KIND__CALL_KIND_ARRIVE;
        else if ((r->kind == ACD__V1__CALL_KIND__CALL_KIND_ARRIVE ||
                  r->kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED) &&
                 strcmp(r->delivery, v.delivery ? v.delivery : "") == 0)
            return;
        else
            kind = ACD__V1__CALL_KIND__CALL_KIND_REQUEUED;
        break;
    case ACD_CALL_OFFERED:
        if (r->kind == ACD__V1__CALL_KIND__CALL_KIND_OFFERED && strcmp(r->agent, v.agent) == 0)
            return;
        kind = ACD__V1__CALL_KIND__CALL_KIND_OFFERED;
        break;
    case ACD_CALL_CONNECTED:
        if (r->kind == ACD__V1__CALL_KIND__CALL_KIND_CONNECTED)
            return;
        kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
        break;
    default:
        return;
    }
    Acd__V1__CallEvent ce;
    if (acd_wire_call_from_view(&v, kind, &ce) < 0)
        return;
    if (kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED) {
        ce.agent_id = r->agent; /* who missed it: the leader passes it over next time */
        ce.reason = r->reason[0] ? r->reason : "requeued";
    }
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env.call = &ce;
    (void)acd__member_publish(m, &env);
    r->kind = kind;
    snprintf(r->delivery, sizeof(r->delivery), "%s", v.delivery ? v.delivery : "");
    if (kind != ACD__V1__CALL_KIND__CALL_KIND_REQUEUED)
        snprintf(r->agent, sizeof(r->agent), "%s", v.agent);
    r->reason[0] = '\0';
}

static void member_flush_agent(acd_member_t *m, const acd_core_t *core, member_agent_rec_t *r)
{
    acd_agent_view_t v;
    if (acd_core_agent(core, r->id, &v) < 0) {
        v = (acd_agent_view_t){.id = r->id, .sip_user = "", .state = ACD_AGENT_LOGGED_OUT,
                               .pause_reason = "", .call_id = "", .call_site = "",
                               .state_since = acd__member_now()};
    }
    if (!r->published && v.state == ACD_AGENT_LOGGED_OUT)
        return; /* never owned here: nothing to retract */
    if (r->published && r->state == v.state && r->state_since == v.state_since &&
        strcmp(r->call_id, v.call_id) == 0 && r->missed == (unsigned)v.missed_in_row &&
        r->handled == v.calls_handled)
        return;
    Acd__V1__AgentEvent ae;
    if (acd_wire_agent_from_view(&v, &ae) < 0)
        return;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_AGENT;
    env.agent = &ae;
    if (acd__member_publish(m, &env) < 0)
        return;
    r->published = v.state != ACD_AGENT_LOGGED_OUT;
    r->state = v.state;
    r->state_since = v.state_since;
    snprintf(r->call_id, sizeof(r->call_id), "%s", v.call_id);
    r->missed = (unsigned)v.missed_in_row;
    r->handled = v.calls_handled;
}

static void member_flush_queue(void *ud, const acd_queue_view_t *v)
{
    acd_member_t *m = ud;
    member_queue_rec_t *r = MEMBER_REC(&m->queues, member_queue_rec_t, name, v->name, true);
    if (!r)
        return;
    if (r->v.waiting == v->waiting && r->v.offered == v->offered &&
        r->v.agents_logged_in == v->agents_logged_in &&
        r->v.agents_available == v->agents_available && r->v.oldest_enqueue == v->oldest_enqueue &&
        r->v.name)
        return;
    Acd__V1__QueueEvent qe;
    if (acd_wire_queue_from_view(v, &qe) < 0)
        return;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_QUEUE;
    env.queue = &qe;
    if (acd__member_publish(m, &env) == 0) {
        r->v = *v;
        r->v.name = ""; /* marks "published"; the view's strings are not kept */
        r->v.tenant = r->v.strategy = NULL;
    }
}

void acd_member_flush(acd_member_t *m)
{
    if (!m || m->closing || !m->facts_dirty)
        return;
    m->facts_dirty = false;
    const acd_core_t *core = m->ops.core(m->ud);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &m->calls);
    while ((n = acd_hmap_iter_next(&it))) {
        member_call_rec_t *r = acd_container_of(n, member_call_rec_t, node);
        if (r->dirty) {
            r->dirty = false;
            member_flush_call(m, core, r);
        }
    }
    acd_hmap_iter_init(&it, &m->agents);
    while ((n = acd_hmap_iter_next(&it))) {
        member_agent_rec_t *r = acd_container_of(n, member_agent_rec_t, node);
        if (r->dirty) {
            r->dirty = false;
            member_flush_agent(m, core, r);
        }
    }
    acd_core_foreach_queue(core, member_flush_queue, m);
    acd__member_schedule_plan(m);
}

/* ---- registrations ---- */

void acd__member_registration_event(acd_member_t *m, const acd_member_binding_t *b, bool removed,
                                    Acd__V1__RegistrationEvent *re, char *aor, size_t aor_len)
{
    acd__v1__registration_event__init(re);
    snprintf(aor, aor_len, "sip:%s@%s", b->user, m->cfg->site_address);
    re->aor = aor;
    re->user = (char *)b->user;
    re->contact = (char *)(b->contact ? b->contact : "");
    re->transport = b->tcp ? ACD__V1__TRANSPORT__TRANSPORT_TCP : ACD__V1__TRANSPORT__TRANSPORT_UDP;
    re->source = (char *)(b->source ? b->source : "");
    re->expires_ms = b->expires_ms;
    re->removed = removed;
    re->agent_id = (char *)(b->agent_id ? b->agent_id : "");
}

void acd_member_registration(acd_member_t *m, const acd_member_binding_t *b, bool removed)
{
    if (!m || m->closing || !b || !b->user)
        return;
    Acd__V1__RegistrationEvent re;
    char aor[ACD_WIRE_URI_MAX + 1];
    acd__member_registration_event(m, b, removed, &re, aor, sizeof(aor));
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_REGISTRATION;
    env.registration = &re;
    (void)acd__member_publish(m, &env);
}

void acd__member_dialog_event(const acd_member_dialog_t *d, Acd__V1__DialogEvent *de,
                                char **routes, size_t n)
{
    acd__v1__dialog_event__init(de);
    de->call_id = (char *)d->call_id;
    de->leg = d->agent_leg ? ACD__V1__LEG_ROLE__LEG_ROLE_AGENT : ACD__V1__LEG_ROLE__LEG_ROLE_CALLER;
    de->state = d->terminated  ? ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED
                : d->confirmed ? ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED
                               : ACD__V1__DIALOG_STATE__DIALOG_STATE_EARLY;
    de->sip_call_id = (char *)d->sip_call_id;
    de->local_tag = (char *)d->local_tag;
    de->remote_tag = (char *)d->remote_tag;
    de->local_cseq = d->local_cseq;
    de->remote_cseq = d->remote_cseq;
    de->local_uri = (char *)d->local_uri;
    de->remote_uri = (char *)d->remote_uri;
    de->remote_target = (char *)d->remote_target;
    de->local_contact = (char *)d->local_contact;
    de->n_route_set = d->n_routes < n ? d->n_routes : n;
    for (size_t i = 0; i < de->n_route_set; i++)
        routes[i] = (char *)d->routes[i];
    de->route_set = routes;
    de->transport = d->tcp ? ACD__V1__TRANSPORT__TRANSPORT_TCP : ACD__V1__TRANSPORT__TRANSPORT_UDP;
    de->peer_address = (char *)d->peer;
    de->local_sdp = (char *)d->local_sdp;
    de->remote_sdp = (char *)d->remote_sdp;
}

void acd_member_dialog(acd_member_t *m, const acd_member_dialog_t *d)
{
    if (!m || m->closing || !d || !d->call_id)
        return;
    Acd__V1__DialogEvent de;
    char *routes[ACD_WIRE_ROUTES_MAX];
    acd__member_dialog_event(d, &de, routes, ACD_WIRE_ROUTES_MAX);
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_DIALOG;
    env.dialog = &de;
    if (acd__member_publish(m, &env) < 0)
        acd_log_warn("ACD-MEMBER-DIALOG-UNPUBLISHED", "call=%s leg=%s", d->call_id,
                     d->agent_leg ? "agent" : "caller");
}

int acd_member_contact(const acd_member_t *m, const char *site, const char *user,
                       acd_member_binding_t *out)
{
    const acd_replica_registration_t *g = acd_replica_registration(m->replica, site, user);
    if (!g || !g->contact[0])
        return -ENOENT;
    *out = (acd_member_binding_t){.user = g->user,
                                  .contact = g->contact,
                                  .source = g->source,
                                  .agent_id = g->agent_id,
                                  .tcp = g->transport == ACD__V1__TRANSPORT__TRANSPORT_TCP,
                                  .expires_ms = g->expires_ms};
    return 0;
}

/* ---- decisions in ---- */

static void member_feed_reserve(acd_member_t *m, const Acd__V1__Offer *o)
{
    if (m->island || (m->ops.draining && m->ops.draining(m->ud))) {
        member_send_reject(m, o->offer_id, o->epoch, o->call_id, o->call_site, o->agent_id,
                           m->island ? ACD__V1__REJECT_REASON__REJECT_REASON_ISLAND
                                     : ACD__V1__REJECT_REASON__REJECT_REASON_DRAINING,
                           m->island ? "island" : "draining");
        return;
    }
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_REMOTE_RESERVE;
    snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", o->offer_id);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", o->agent_id);
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", o->call_id);
    snprintf(ev.call_site, sizeof(ev.call_site), "%s", o->call_site);
    snprintf(ev.queue, sizeof(ev.queue), "%s", o->queue);
    ev.epoch = o->epoch;
    m->ops.feed(m->ud, &ev);
}

static void member_feed_accepted(acd_member_t *m, const char *origin, const Acd__V1__OfferAccept *a)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_REMOTE_ACCEPTED;
    snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", a->offer_id);
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", a->call_id);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", a->agent_id);
    snprintf(ev.agent_site, sizeof(ev.agent_site), "%s",
             a->agent_site && a->agent_site[0] ? a->agent_site : origin);
    acd_agent_view_t v;
    if (acd_core_agent(m->ops.core(m->ud), a->agent_id, &v) == 0)
        snprintf(ev.sip_user, sizeof(ev.sip_user), "%s", v.sip_user);
    m->ops.feed(m->ud, &ev);
}

static void member_feed_update(acd_member_t *m, const Acd__V1__RemoteUpdate *u)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    /* A call adopted in a takeover quotes the takeover, not the offer its agent holds
     * (offers are not replicated): such an update names the call by its id alone. */
    if (strncmp(u->offer_id, ACD_MEMBER_TAKEOVER_OFFER, strlen(ACD_MEMBER_TAKEOVER_OFFER)) != 0)
        snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", u->offer_id);
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", u->call_id);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", u->agent_id);
    if (u->kind == ACD__V1__REMOTE_KIND__REMOTE_KIND_WITHDRAWN) {
        if (strcmp(u->call_site, m->site) != 0)
            return;
        ev.type = ACD_EV_OFFER_FAILED;
        snprintf(ev.reason, sizeof(ev.reason), "withdrawn");
    } else {
        if (strcmp(u->agent_site, m->site) != 0)
            return;
        ev.type = ACD_EV_REMOTE_CALL_UPDATE;
        switch (u->kind) {
        case ACD__V1__REMOTE_KIND__REMOTE_KIND_ANSWERED:
            ev.kind = ACD_REMOTE_ANSWERED;
            break;
        case ACD__V1__REMOTE_KIND__REMOTE_KIND_MISSED:
            ev.kind = ACD_REMOTE_MISSED;
            break;
        case ACD__V1__REMOTE_KIND__REMOTE_KIND_ENDED:
            ev.kind = ACD_REMOTE_ENDED;
            break;
        default:
            ev.kind = ACD_REMOTE_RELEASED;
            break;
        }
    }
    m->ops.feed(m->ud, &ev);
}

void acd__member_decide(acd_member_t *m, const char *origin, const Acd__V1__Envelope *env)
{
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_OFFER:
        if (strcmp(env->offer->agent_site, m->site) == 0)
            member_feed_reserve(m, env->offer);
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT: {
        const Acd__V1__OfferAccept *a = env->offer_accept;
        if (m->is_leader)
            acd__member_offer_answered(m, a->offer_id, true);
        if (a->call_site && strcmp(a->call_site, m->site) == 0)
            member_feed_accepted(m, origin, a);
        break;
    }
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        acd_log_info("ACD-MEMBER-OFFER-REJECTED", "offer=%s call=%s agent=%s by=%s reason=%s",
                     env->offer_reject->offer_id, env->offer_reject->call_id,
                     env->offer_reject->agent_id, origin,
                     env->offer_reject->detail ? env->offer_reject->detail : "-");
        if (!m->is_leader)
            break;
        acd__member_offer_answered(m, env->offer_reject->offer_id, false);
        /* An owner knows a newer epoch than ours: a newer leader was elected and we have
         * not heard (our etcd is cut off, or slow). Stop planning at once rather than keep
         * offering with an epoch every owner refuses. */
        if (env->offer_reject->reason == ACD__V1__REJECT_REASON__REJECT_REASON_STALE_EPOCH &&
            env->offer_reject->epoch == m->my_epoch)
            acd__member_stop_leading(m, "an owner rejected our offer: it knows a newer epoch");
        break;
    case ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE:
        member_feed_update(m, env->remote_update);
        break;
    case ACD__V1__ENVELOPE__BODY_TAKEOVER:
        acd__member_on_takeover(m, env->takeover);
        break;
    default:
        break;
    }
}

/* ---- peers' logs and snapshots ---- */

static void member_request_snapshot(acd_member_t *m, const char *origin);

static void member_verdict(acd_member_t *m, const acd_replica_verdict_t *v)
{
    if (v->resync && v->origin)
        member_request_snapshot(m, v->origin);
    for (size_t i = 0; i < v->n_decisions; i++)
        acd__member_decide(m, v->origin, v->decisions[i]);
    if (v->applied > 0 || v->outcome == ACD_REPLICA_INSTALLED)
        acd__member_schedule_plan(m);
}

void acd__member_on_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env)
{
    acd_member_t *m = ud;
    (void)peer;
    if (m->closing)
        return;
    acd_replica_verdict_t v;
    if (acd_replica_apply(m->replica, env, acd__member_now(), &v) < 0)
        return;
    member_verdict(m, &v);
    if (v.applied > 0)
        acd__member_remote_facts(m, env);
}

static void member_snapshot_reply(void *ud, const char *peer, const Acd__V1__Envelope *reply, int err)
{
    acd_member_t *m = ud;
    if (err < 0 || !reply) {
        if (err != -ECANCELED)
            acd_log_warn("ACD-MEMBER-SNAPSHOT-FAILED", "peer=%s err=%s", peer, acd_errname(err));
        return;
    }
    if (m->closing || reply->body_case != ACD__V1__ENVELOPE__BODY_SNAPSHOT)
        return;
    acd_replica_verdict_t v;
    if (acd_replica_apply(m->replica, reply, acd__member_now(), &v) < 0)
        return;
    acd_log_info("ACD-MEMBER-SNAPSHOT", "peer=%s outcome=%s last_seq=%llu", peer,
                 acd_replica_outcome_name(v.outcome),
                 (unsigned long long)reply->snapshot->last_seq);
    member_verdict(m, &v);
}

static void member_request_snapshot(acd_member_t *m, const char *origin)
{
    Acd__V1__Heartbeat hb = ACD__V1__HEARTBEAT__INIT;
    hb.island = m->island;
    hb.leader_site = m->leader;
    hb.leader_epoch = m->leader_epoch;
    Acd__V1__Envelope req;
    acd_wire_envelope_init(&req, m->site, m->incarnation, m->seq ? m->seq : 1, acd__member_now());
    req.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    req.heartbeat = &hb;
    int rc = acd_link_request(m->link, origin, &req, member_snapshot_reply, m);
    if (rc < 0)
        acd_log_warn("ACD-MEMBER-SNAPSHOT-REQUEST", "peer=%s err=%s", origin, acd_errname(rc));
}

static void member_retry_one(void *ud, const char *origin, uint64_t incarnation)
{
    (void)incarnation;
    member_request_snapshot(ud, origin);
}

void acd__member_resync_retry(acd_member_t *m)
{
    acd_replica_resync_retry(m->replica, acd__member_now(), MEMBER_RESYNC_TIMEOUT_MS,
                             member_retry_one, m);
}
