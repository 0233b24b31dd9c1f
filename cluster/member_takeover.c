/* member_takeover.c - a dark site's calls handed to its sister (ADR 0014). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cluster/member_int.h"
#include "util/err.h"
#include "util/log.h"

/*
 * A site is dark when its liveness key is gone (its lease expired, or was revoked by a
 * peer that heard nothing from it for two thirds of a TTL) and its links have been silent
 * that long too (a site cut off from etcd alone still heartbeats: it is an island serving
 * its own callers, not dark). The leader then picks the first live site in the dark site's sister order (the order the dark site wrote into
 * its key) and publishes a Takeover for that run of it (dark site, incarnation). Every
 * site records it once; the sister adopts every call it replicates of that run - queued
 * ones keep their place, connected ones their agent - and every site drops what it held
 * of the run. The leader also writes the decision to etcd (<prefix>/takeover/<dark>), so a
 * site that was only cut off, and comes back in the same run, learns that its calls are
 * the sister's now and drops them instead of serving them twice.
 */

/* The newest takeover recorded of (dark, inc), or NULL. */
static member_takeover_t *takeover_find(const acd_member_t *m, const char *dark, uint64_t inc)
{
    member_takeover_t *found = NULL;
    for (size_t i = 0; i < m->n_takeovers; i++) {
        member_takeover_t *t = &m->takeovers[i];
        if (t->incarnation == inc && strcmp(t->dark, dark) == 0 && (!found || t->episode > found->episode))
            found = t;
    }
    return found;
}

/* A takeover already applied (or older than one): the same episode, or an older one. */
static bool takeover_seen(const acd_member_t *m, const Acd__V1__Takeover *t)
{
    const member_takeover_t *r = takeover_find(m, t->dark_site, t->dark_incarnation);
    return r && (!r->ended || t->episode <= r->episode);
}

void acd__member_takeover_site_back(acd_member_t *m, const char *site)
{
    for (size_t i = 0; i < m->n_takeovers; i++) {
        if (strcmp(m->takeovers[i].dark, site) == 0)
            m->takeovers[i].ended = true;
    }
}

static member_takeover_t *takeover_record(acd_member_t *m, const Acd__V1__Takeover *t)
{
    if (m->n_takeovers == m->cap_takeovers) {
        size_t cap = m->cap_takeovers ? m->cap_takeovers * 2 : 8;
        member_takeover_t *v = realloc(m->takeovers, cap * sizeof(*v));
        if (!v)
            return NULL;
        m->takeovers = v;
        m->cap_takeovers = cap;
    }
    member_takeover_t *r = &m->takeovers[m->n_takeovers++];
    memset(r, 0, sizeof(*r));
    snprintf(r->dark, sizeof(r->dark), "%s", t->dark_site);
    r->incarnation = t->dark_incarnation;
    snprintf(r->sister, sizeof(r->sister), "%s", t->sister);
    r->epoch = t->epoch;
    r->episode = t->episode;
    return r;
}

void acd__member_takeovers_fini(acd_member_t *m)
{
    free(m->takeovers);
    m->takeovers = NULL;
    m->n_takeovers = m->cap_takeovers = 0;
}

/* ---- the leader decides ---- */

/* Whether site can take calls over now: it is us (holding our lease, not island, not
 * draining) or a peer whose key exists and whose replica is synced and says neither. */
static bool takeover_can_adopt(acd_member_t *m, const char *site, acd_ms_t now)
{
    if (strcmp(site, m->site) == 0)
        return m->lease_state == MEMBER_LEASE_HELD && !m->island &&
               !(m->ops.draining && m->ops.draining(m->ud));
    acd_replica_status_t st;
    return acd__member_site_live(m, site) && acd_replica_status(m->replica, site, now, &st) == 0 &&
           st.state == ACD_REPLICA_SYNCED && !st.island && !st.draining;
}

/* A decision whose conditional write to etcd is in flight. */
typedef struct takeover_pending {
    acd_member_t *m;
    char dark[ACD_ID_MAX], sister[ACD_ID_MAX];
    uint64_t incarnation, epoch;
} takeover_pending_t;

/* The write is in: publish the decision and apply it here. Not in (the dark site's key
 * came back first, or etcd is unreachable): no takeover; the next check decides again. */
static void takeover_written(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    takeover_pending_t *p = ud;
    acd_member_t *m = p->m;
    (void)e;
    m->takeover_inflight = false;
    if (res->err < 0 || !res->succeeded || m->closing || !m->is_leader || m->my_epoch != p->epoch) {
        acd_log_warn("ACD-MEMBER-TAKEOVER-CANCELLED", "dark=%s sister=%s: %s", p->dark, p->sister,
                     res->err < 0 ? acd_errname(res->err)
                     : !res->succeeded ? "its liveness key is back"
                                       : "no longer leading");
        free(p);
        return;
    }
    Acd__V1__Takeover t = ACD__V1__TAKEOVER__INIT;
    t.dark_site = p->dark;
    t.dark_incarnation = p->incarnation;
    t.sister = p->sister;
    t.leader_site = m->site;
    t.epoch = p->epoch;
    t.episode = (uint64_t)res->revision;
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_TAKEOVER;
    env.takeover = &t;
    if (acd__member_publish(m, &env) == 0)
        acd__member_on_takeover(m, &t); /* we receive no copy of our own log */
    free(p);
}

/*
 * The decision is first written to etcd (<prefix>/takeover/<dark>), on condition that the
 * dark site's liveness key is still absent, and only then published: a site that comes
 * back puts its key first and then reads that record, so it learns of every takeover of
 * it there, exactly (acd__member_own_takeover).
 */
static void takeover_decide(acd_member_t *m, const member_site_t *s, uint64_t inc, acd_ms_t now)
{
    const char *sister = NULL;
    for (size_t i = 0; i < s->n_sisters && !sister; i++) {
        if (strcmp(s->sisters[i], s->name) != 0 && takeover_can_adopt(m, s->sisters[i], now))
            sister = s->sisters[i];
    }
    if (!sister) {
        acd_log_warn("ACD-MEMBER-TAKEOVER-NO-SISTER", "dark=%s: no sister of it can take over",
                     s->name);
        return;
    }
    takeover_pending_t *p = calloc(1, sizeof(*p));
    if (!p)
        return;
    p->m = m;
    snprintf(p->dark, sizeof(p->dark), "%s", s->name);
    snprintf(p->sister, sizeof(p->sister), "%s", sister);
    p->incarnation = inc;
    p->epoch = m->my_epoch;
    char site_key[256], key[256], val[256];
    snprintf(site_key, sizeof(site_key), "%s/sites/%s", m->prefix, s->name);
    snprintf(key, sizeof(key), "%s/takeover/%s", m->prefix, s->name);
    snprintf(val, sizeof(val), "{\"incarnation\":%" PRIu64 ",\"sister\":\"%s\",\"epoch\":%" PRIu64 "}",
             inc, sister, m->my_epoch);
    acd_etcd_cmp_t cmp = {.key = acd_str_from(site_key), .target = ACD_ETCD_CMP_CREATE,
                          .relation = ACD_ETCD_EQUAL, .number = 0};
    acd_etcd_op_t put = {.type = ACD_ETCD_OP_PUT, .keys = {.key = acd_str_from(key)},
                         .value = acd_str_from(val)};
    acd_etcd_txn_t txn = {.cmp = &cmp, .n_cmp = 1, .success = &put, .n_success = 1};
    if (acd_etcd_txn(m->etcd, &txn, takeover_written, p) < 0) {
        acd_log_warn("ACD-MEMBER-TAKEOVER-CANCELLED", "dark=%s: the decision cannot be written",
                     s->name);
        free(p);
        return;
    }
    m->takeover_inflight = true;
    acd_log_info("ACD-MEMBER-TAKEOVER-DECIDED", "dark=%s incarnation=%" PRIu64 " sister=%s epoch=%" PRIu64,
                 s->name, inc, sister, m->my_epoch);
}

/*
 * How long a peer's links must be silent before it counts as gone: two thirds of the
 * lease TTL (2 s for 3 s), and at least 4 heartbeats. Its lease runs out about then
 * anyway (its last keepalive came up to a third of the TTL before it fell silent), and
 * an island, cut off from etcd only, still heartbeats.
 */
static acd_ms_t takeover_silent_ms(const acd_member_t *m)
{
    acd_ms_t ms = m->lease_ttl_s * 1000 * 2 / 3;
    return ms < 4 * MEMBER_HEARTBEAT_MS ? 4 * MEMBER_HEARTBEAT_MS : ms;
}

/* Silence from a live peer this long means our publications may not reach it. */
#define TAKEOVER_UNHEARD_MS (3 * MEMBER_HEARTBEAT_MS)
/* What we last heard of the peers dates their silence only to a heartbeat or two: a call
 * begun that much after it may still have reached them (and be adopted). */
#define TAKEOVER_EXPOSE_MARGIN_MS (2 * MEMBER_HEARTBEAT_MS)

static void takeover_fence_done(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    (void)e;
    (void)ud;
    if (res->err < 0)
        acd_log_warn("ACD-MEMBER-SITE-FENCE-FAILED", "lease not revoked: %s", acd_errname(res->err));
}

/*
 * A live site whose links have been silent (takeover_silent_ms), and which holds calls or
 * leads, is fenced: any site that sees it so revokes its lease (a second revoke of the
 * same lease fails harmlessly). Its key would expire on its own, but etcd gives
 * every lease a fresh TTL when its raft leader changes, and the dead site's etcd member is
 * often that leader: without the revoke its takeover waited 5 s and more. A site that is
 * only cut off from its peers loses its lease as it would by expiry: it is an island, its
 * calls go to its sister, and it learns so when it returns (ADR 0018). A dead leader's
 * campaign key goes with its lease, so the next campaigner is elected at once.
 */
/* Whether a live peer other than s has been heard lately: we are not the one cut off. */
static bool takeover_hear_other(const acd_member_t *m, const member_site_t *s, acd_ms_t now)
{
    for (size_t i = 0; i < m->n_sites; i++) {
        const member_site_t *o = &m->sites[i];
        acd_replica_status_t st;
        if (o != s && o->live && strcmp(o->name, m->site) != 0 &&
            acd_replica_status(m->replica, o->name, now, &st) == 0 &&
            now - st.last_heartbeat_ms <= TAKEOVER_UNHEARD_MS)
            return true;
    }
    return false;
}

static void takeover_fence(acd_member_t *m, member_site_t *s, acd_ms_t now)
{
    /* Only a site that is itself well connected fences: it has held its lease for a TTL
     * (it did not just come back from a partition, its links still reconnecting) and it
     * hears another peer. A site that hears nobody may be the one cut off. */
    if (now - m->lease_held_since < m->lease_ttl_s * 1000 || !takeover_hear_other(m, s, now))
        return;
    acd_replica_status_t st;
    if (!s->live || !s->lease || s->fenced_lease == s->lease || strcmp(s->name, m->site) == 0 ||
        acd_replica_status(m->replica, s->name, now, &st) < 0 || !st.last_heartbeat_ms ||
        now - st.last_heartbeat_ms < takeover_silent_ms(m) ||
        (st.calls == 0 && st.dialogs == 0 && strcmp(s->name, m->leader) != 0))
        return;
    if (acd_etcd_lease_revoke(m->etcd, s->lease, takeover_fence_done, m) < 0)
        return;
    s->fenced_lease = s->lease;
    acd_log_notice("ACD-MEMBER-SITE-FENCED", "site=%s lease=%lld: silent for %lld ms; its lease"
                   " revoked", s->name, (long long)s->lease, (long long)(now - st.last_heartbeat_ms));
}

void acd__member_fence_check(acd_member_t *m)
{
    if (m->closing || !m->sites_known || m->lease_state != MEMBER_LEASE_HELD)
        return;
    acd_ms_t now = acd__member_now();
    for (size_t i = 0; i < m->n_sites; i++)
        takeover_fence(m, &m->sites[i], now);
}

void acd__member_takeover_check(acd_member_t *m)
{
    if (!m->is_leader || !m->sites_known || m->closing || m->takeover_inflight)
        return;
    acd_ms_t now = acd__member_now();
    for (size_t i = 0; i < m->n_sites; i++) {
        member_site_t *s = &m->sites[i];
        acd_replica_status_t st;
        if (s->live || strcmp(s->name, m->site) == 0 ||
            acd_replica_status(m->replica, s->name, now, &st) < 0)
            continue;
        const member_takeover_t *prev = takeover_find(m, s->name, st.incarnation);
        if ((prev && !prev->ended) || (st.calls == 0 && st.dialogs == 0))
            continue;
        /* Still heard on its links (cut off from etcd only): an island serving its own
         * callers, not a dark site. */
        if (st.last_heartbeat_ms && now - st.last_heartbeat_ms < takeover_silent_ms(m))
            continue;
        takeover_decide(m, s, st.incarnation, now);
    }
}

/* ---- every site applies it ---- */

/* The member's view of a replicated DialogEvent (borrows its strings). */
static void takeover_dialog(const Acd__V1__DialogEvent *e, acd_member_dialog_t *d,
                            const char **routes)
{
    for (size_t i = 0; i < e->n_route_set && i < ACD_WIRE_ROUTES_MAX; i++)
        routes[i] = e->route_set[i];
    *d = (acd_member_dialog_t){.call_id = e->call_id,
                               .agent_leg = e->leg == ACD__V1__LEG_ROLE__LEG_ROLE_AGENT,
                               .confirmed = e->state == ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED,
                               .sip_call_id = e->sip_call_id,
                               .local_tag = e->local_tag,
                               .remote_tag = e->remote_tag,
                               .local_uri = e->local_uri,
                               .remote_uri = e->remote_uri,
                               .remote_target = e->remote_target,
                               .local_contact = e->local_contact,
                               .routes = routes,
                               .n_routes = e->n_route_set < ACD_WIRE_ROUTES_MAX ? e->n_route_set
                                                                                : ACD_WIRE_ROUTES_MAX,
                               .local_cseq = e->local_cseq,
                               .remote_cseq = e->remote_cseq,
                               .peer = e->peer_address,
                               .tcp = e->transport == ACD__V1__TRANSPORT__TRANSPORT_TCP,
                               .local_sdp = e->local_sdp,
                               .remote_sdp = e->remote_sdp};
}

/* The site owning agent_id now, as this site knows it; the dark site when nobody else. */
static const char *takeover_agent_site(acd_member_t *m, const char *agent_id, const char *dark)
{
    acd_agent_view_t av;
    if (acd_core_agent(m->ops.core(m->ud), agent_id, &av) == 0 && av.state != ACD_AGENT_LOGGED_OUT)
        return m->site;
    const acd_replica_agent_t *a = acd_replica_agent(m->replica, NULL, agent_id);
    return a && a->state != ACD_AGENT_LOGGED_OUT ? a->origin : dark;
}

typedef struct takeover_ids {
    char (*v)[ACD_ID_MAX];
    size_t n, cap;
    int err;
} takeover_ids_t;

static void takeover_collect(void *ud, const acd_replica_call_t *c)
{
    takeover_ids_t *ids = ud;
    if (ids->err)
        return;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 16;
        void *v = realloc(ids->v, cap * sizeof(*ids->v));
        if (!v) {
            ids->err = -ENOMEM;
            return;
        }
        ids->v = v;
        ids->cap = cap;
    }
    snprintf(ids->v[ids->n++], ACD_ID_MAX, "%s", c->call_id);
}

/* Adopts one call of the dark site; returns 0 or why not (logged). */
static int takeover_adopt_call(acd_member_t *m, const Acd__V1__Takeover *t, const char *offer_id,
                               const char *call_id)
{
    const acd_replica_call_t *c = acd_replica_call(m->replica, call_id);
    if (!c || strcmp(c->origin, t->dark_site) != 0)
        return -ENOENT; /* gone, or already adopted by someone's publication */
    const acd_replica_dialog_t *cd =
        acd_replica_dialog(m->replica, t->dark_site, call_id, ACD__V1__LEG_ROLE__LEG_ROLE_CALLER);
    const acd_replica_dialog_t *ad =
        acd_replica_dialog(m->replica, t->dark_site, call_id, ACD__V1__LEG_ROLE__LEG_ROLE_AGENT);
    bool connected = c->state == ACD_CALL_CONNECTED;
    /* Nobody on the line (ADR 0021): a callback, a message, an outbound call waiting keeps
     * its place here with no dialog to refresh. */
    bool outcall = c->delivery && c->delivery[0] && !connected;
    if (!outcall && (!cd || (connected && !ad))) {
        acd_log_warn("ACD-MEMBER-TAKEOVER-NO-DIALOG", "call=%s dark=%s: no %s dialog replicated",
                     call_id, t->dark_site, !cd ? "caller" : "agent");
        return -ENOENT;
    }
    const char *routes_c[ACD_WIRE_ROUTES_MAX], *routes_a[ACD_WIRE_ROUTES_MAX];
    acd_member_dialog_t cdlg, adlg;
    if (!outcall)
        takeover_dialog(cd->ev, &cdlg, routes_c);
    if (connected)
        takeover_dialog(ad->ev, &adlg, routes_a);
    acd_member_adopt_t a = {.from_site = t->dark_site,
                            .offer_id = offer_id,
                            .call_id = c->call_id,
                            .tenant = c->tenant,
                            .did = c->did,
                            .caller = c->caller,
                            .queue = c->queue,
                            .priority = c->priority,
                            .enqueue_ms = c->enqueue_ms,
                            .answer_ms = connected ? c->answer_ms : 0,
                            .offers = (int)c->offers,
                            .agent_id = connected ? c->agent_id : "",
                            .agent_site = connected ? takeover_agent_site(m, c->agent_id, t->dark_site)
                                                    : "",
                            .caller_leg = outcall ? NULL : &cdlg,
                            .agent_leg = connected ? &adlg : NULL,
                            .delivery = c->delivery,
                            .message = c->message};
    return m->ops.adopt ? m->ops.adopt(m->ud, &a) : -ENOTSUP;
}

static void takeover_adopt(acd_member_t *m, const Acd__V1__Takeover *t, member_takeover_t *rec)
{
    char offer_id[ACD_ID_MAX];
    snprintf(offer_id, sizeof(offer_id), "%s%s-%" PRIu64, ACD_MEMBER_TAKEOVER_OFFER, t->dark_site,
             t->epoch);
    takeover_ids_t ids = {0};
    acd_replica_visitor_t v = {.call = takeover_collect};
    acd_replica_foreach(m->replica, t->dark_site, &v, &ids);
    unsigned failed = 0;
    /* Ids first, then one by one: adopting feeds the core, which publishes. */
    for (size_t i = 0; i < ids.n; i++) {
        if (takeover_adopt_call(m, t, offer_id, ids.v[i]) == 0)
            rec->adopted++;
        else
            failed++;
    }
    free(ids.v);
    acd_log_notice("ACD-MEMBER-ADOPTED", "dark=%s incarnation=%" PRIu64 " calls=%u failed=%u%s",
                   t->dark_site, t->dark_incarnation, rec->adopted, failed,
                   ids.err ? " (out of memory: some calls not adopted)" : "");
}

void acd__member_on_takeover(acd_member_t *m, const Acd__V1__Takeover *t)
{
    if (takeover_seen(m, t))
        return; /* once per episode of a run of a site */
    /* A decision with an episode was committed to etcd before it was published: it
     * stands whatever leader came after. Only an older leader's (no episode) can be stale. */
    if (t->episode == 0 && t->epoch < m->leader_epoch) {
        acd_log_info("ACD-MEMBER-TAKEOVER-STALE", "dark=%s sister=%s epoch=%" PRIu64 " < %" PRIu64,
                     t->dark_site, t->sister, t->epoch, m->leader_epoch);
        return;
    }
    member_takeover_t *rec = takeover_record(m, t);
    if (!rec)
        return;
    acd_log_notice("ACD-MEMBER-TAKEOVER", "dark=%s incarnation=%" PRIu64 " sister=%s leader=%s epoch=%" PRIu64,
                   t->dark_site, t->dark_incarnation, t->sister, t->leader_site, t->epoch);
    if (strcmp(t->dark_site, m->site) == 0) {
        if (t->dark_incarnation != m->incarnation)
            return;
        int64_t exposed_before = m->silence_seen ? m->exposed_before : 0;
        m->verdict_pending = m->silence_seen = false;
        if (m->ops.abandon_calls)
            m->ops.abandon_calls(m->ud, t->sister, exposed_before);
        if (m->cdr_held) { /* settled: the sister adopted what the peers knew */
            m->cdr_held = m->cdr_hold_lease_lost = false;
            if (m->ops.cdr_release)
                m->ops.cdr_release(m->ud, t->sister);
        }
        return;
    }
    acd_replica_status_t st;
    if (acd_replica_status(m->replica, t->dark_site, acd__member_now(), &st) < 0 ||
        st.incarnation != t->dark_incarnation)
        return; /* we hold nothing of that run */
    if (strcmp(t->sister, m->site) == 0)
        takeover_adopt(m, t, rec);
    (void)acd_replica_forget_origin(m->replica, t->dark_site, NULL, NULL);
    acd__member_schedule_plan(m);
}

/* ---- agents held for other sites' calls that ended unheard ---- */

typedef struct takeover_held {
    char agent[ACD_ID_MAX], call[ACD_ID_MAX], site[ACD_ID_MAX];
} takeover_held_t;

typedef struct takeover_held_list {
    takeover_held_t v[64];
    size_t n;
} takeover_held_list_t;

static void takeover_held_agent(void *ud, const acd_agent_view_t *v)
{
    takeover_held_list_t *l = ud;
    if (v->state != ACD_AGENT_ON_CALL || !v->call_site[0] || l->n == sizeof(l->v) / sizeof(l->v[0]))
        return;
    takeover_held_t *h = &l->v[l->n++];
    snprintf(h->agent, sizeof(h->agent), "%s", v->id);
    snprintf(h->call, sizeof(h->call), "%s", v->call_id);
    snprintf(h->site, sizeof(h->site), "%s", v->call_site);
}

/*
 * A local agent on another site's call stays ON_CALL until that site reports the call's
 * end. A report published while this site did not hear (cut off, or taken over: the
 * agent's call moved to a sister) is lost with the log positions a snapshot replaced.
 * Once the owner's replica is synced and the call is gone from it, the call ended:
 * release the agent as the lost report would have.
 */
void acd__member_reconcile_held(acd_member_t *m)
{
    takeover_held_list_t l = {.n = 0};
    acd_core_foreach_agent(m->ops.core(m->ud), takeover_held_agent, &l);
    acd_ms_t now = acd__member_now();
    for (size_t i = 0; i < l.n; i++) {
        const takeover_held_t *h = &l.v[i];
        acd_replica_status_t st;
        if (strcmp(h->site, m->site) == 0 || acd_replica_status(m->replica, h->site, now, &st) < 0 ||
            st.state != ACD_REPLICA_SYNCED || st.need_snapshot || acd_replica_call(m->replica, h->call))
            continue;
        acd_log_notice("ACD-MEMBER-HELD-RELEASED", "agent=%s call=%s site=%s: the call ended unheard",
                       h->agent, h->call, h->site);
        acd_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = ACD_EV_REMOTE_CALL_UPDATE;
        ev.kind = ACD_REMOTE_ENDED;
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", h->agent);
        snprintf(ev.call_id, sizeof(ev.call_id), "%s", h->call);
        m->ops.feed(m->ud, &ev);
    }
}

/* ---- a site that comes back in the same run ---- */

/* Our takeover record, read after our key is back: also the verdict on held CDRs. */
static void takeover_own_range(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd_member_t *m = ud;
    (void)e;
    if (m->closing)
        return;
    if (res->err < 0) {
        acd_log_warn("ACD-MEMBER-TAKEOVER-CHECK", "our takeover record unread: %s; asked again",
                     acd_errname(res->err));
        m->own_check_retry = true;
        return;
    }
    const char *sister = NULL;
    json_object *o = NULL;
    if (res->n_kvs > 0 && res->kvs[0].mod_revision != m->own_takeover_rev) {
        o = json_tokener_parse(res->kvs[0].value.p ? res->kvs[0].value.p : "");
        json_object *inc = NULL, *sis = NULL, *ep = NULL;
        if (o && json_object_object_get_ex(o, "incarnation", &inc) &&
            json_object_object_get_ex(o, "sister", &sis) &&
            json_object_object_get_ex(o, "epoch", &ep) &&
            (uint64_t)json_object_get_int64(inc) == m->incarnation) {
            Acd__V1__Takeover t = ACD__V1__TAKEOVER__INIT;
            t.dark_site = m->site;
            t.dark_incarnation = m->incarnation;
            t.sister = (char *)json_object_get_string(sis);
            t.leader_site = (char *)"etcd";
            t.epoch = (uint64_t)json_object_get_int64(ep);
            t.episode = (uint64_t)res->kvs[0].mod_revision; /* the txn that wrote it */
            m->own_takeover_rev = res->kvs[0].mod_revision;
            sister = t.sister;
            acd__member_on_takeover(m, &t);
        }
    }
    if (!sister)
        m->cdr_hold_lease_lost = false; /* not taken over: the tick writes them once heard */
    m->verdict_pending = m->silence_seen = false;
    json_object_put(o);
}

void acd__member_own_takeover(acd_member_t *m)
{
    char key[256];
    snprintf(key, sizeof(key), "%s/takeover/%s", m->prefix, m->site);
    if (acd_etcd_range(m->etcd, ACD_ETCD_KEY(acd_str_from(key)), takeover_own_range, m) < 0)
        m->own_check_retry = true;
}

/* ---- CDRs held while a takeover of this site is possible ---- */

/* A hold with our lease kept all along ends after this, heard or not. */
#define TAKEOVER_HOLD_MAX_MS 60000

/* Whether some live peer has not been heard lately; *last: when any peer was last heard. */
static bool takeover_unheard(const acd_member_t *m, acd_ms_t now, acd_ms_t *last)
{
    bool unheard = false;
    *last = 0;
    for (size_t i = 0; i < m->n_sites; i++) {
        const member_site_t *s = &m->sites[i];
        if (strcmp(s->name, m->site) == 0)
            continue;
        acd_replica_status_t st;
        acd_ms_t heard = acd_replica_status(m->replica, s->name, now, &st) == 0 ? st.last_heartbeat_ms : 0;
        if (heard > *last)
            *last = heard;
        if (s->live && now - heard > TAKEOVER_UNHEARD_MS)
            unheard = true;
    }
    return unheard;
}

typedef struct takeover_silent_ctx {
    const acd_member_t *m;
    acd_ms_t now;
} takeover_silent_ctx_t;

static bool takeover_silent_origin(void *ud, const char *origin)
{
    const takeover_silent_ctx_t *c = ud;
    acd_replica_status_t st;
    return strcmp(origin, c->m->site) != 0 &&
           acd_replica_status(c->m->replica, origin, c->now, &st) == 0 &&
           c->now - st.last_heartbeat_ms > TAKEOVER_UNHEARD_MS;
}

bool acd_member_dialog_owner_silent(const acd_member_t *m, const char *sip_call_id,
                                    const char *local_tag, const char *remote_tag, char *owner,
                                    size_t len)
{
    if (!m || m->closing || !sip_call_id || !local_tag || !remote_tag)
        return false;
    takeover_silent_ctx_t c = {.m = m, .now = acd__member_now()};
    const acd_replica_dialog_t *d = acd_replica_dialog_by_tags(m->replica, sip_call_id, local_tag,
                                                               remote_tag, takeover_silent_origin, &c);
    if (!d)
        return false;
    snprintf(owner, len, "%s", d->origin);
    return true;
}

void acd__member_note_silence(acd_member_t *m)
{
    acd_ms_t last = 0;
    if (!m->silence_seen && takeover_unheard(m, acd__member_now(), &last)) {
        m->silence_seen = true;
        m->exposed_before = last + TAKEOVER_EXPOSE_MARGIN_MS;
    }
}

bool acd_member_takeover_doubt(acd_member_t *m, int64_t call_start_ms)
{
    if (!m || m->closing || m->is_leader || acd_member_cluster_adrift(m))
        return false;
    acd_ms_t now = acd__member_now(), last = 0;
    (void)takeover_unheard(m, now, &last);
    if (!last || call_start_ms > last + TAKEOVER_EXPOSE_MARGIN_MS)
        return false; /* no peer can know the call: nobody takes it over */
    /* Only a leader that does not hear us takes us over. We hear the one we know of: we
     * are safe. We know none (or the one we know is ourselves, stale): every live peer
     * must be heard. */
    acd_replica_status_t st;
    acd_ms_t unused;
    bool known = m->leader[0] && strcmp(m->leader, m->site) != 0;
    bool leader_heard = known ? acd_replica_status(m->replica, m->leader, now, &st) == 0 &&
                                    now - st.last_heartbeat_ms <= TAKEOVER_UNHEARD_MS
                              : !takeover_unheard(m, now, &unused);
    if (!leader_heard && m->lease_state != MEMBER_LEASE_HELD && !m->silence_seen) {
        m->silence_seen = true;
        m->exposed_before = last + TAKEOVER_EXPOSE_MARGIN_MS; /* what the peers may know of us */
    }
    return !leader_heard || (m->verdict_pending && m->silence_seen);
}

int64_t acd_member_lease_lost_ms(const acd_member_t *m)
{
    if (!m || m->lease_state == MEMBER_LEASE_HELD || !m->lease_lost_at)
        return 0;
    int64_t ms = acd__member_now() - m->lease_lost_at;
    return ms > 0 ? ms : 1;
}

bool acd_member_cluster_adrift(const acd_member_t *m)
{
    acd_ms_t now = acd__member_now();
    size_t heard = 0;
    for (size_t i = 0; m && i < m->n_sites; i++) {
        acd_replica_status_t st;
        if (strcmp(m->sites[i].name, m->site) == 0 ||
            acd_replica_status(m->replica, m->sites[i].name, now, &st) < 0 ||
            now - st.last_heartbeat_ms > TAKEOVER_UNHEARD_MS)
            continue;
        if (!st.island)
            return false; /* someone serves the cluster: leave the carriers to it */
        heard++;
    }
    return heard > 0;
}

bool acd_member_cdr_hold(acd_member_t *m, int64_t call_start_ms, bool *exposed)
{
    acd_ms_t now = acd__member_now(), last = 0;
    *exposed = false;
    if (!m || m->closing || !takeover_unheard(m, now, &last))
        return false;
    *exposed = last > 0 && call_start_ms <= last + TAKEOVER_EXPOSE_MARGIN_MS;
    if (!m->cdr_held) {
        m->cdr_held = true;
        m->cdr_hold_lease_lost = m->lease_state != MEMBER_LEASE_HELD;
        m->cdr_hold_since = now;
    }
    return true;
}

void acd__member_cdr_tick(acd_member_t *m)
{
    if (m->dispatch_deferred && m->island &&
        (!(m->verdict_pending && m->silence_seen) || acd__member_now() >= m->dispatch_deferred_until)) {
        m->dispatch_deferred = false;
        acd_log_notice("ACD-MEMBER-DISPATCH-RESUMED", "island: serving this site's calls with its"
                       " own agents");
        m->ops.set_local_dispatch(m->ud, true);
    }
    if (m->own_check_retry && m->lease_state == MEMBER_LEASE_HELD && !m->closing) {
        m->own_check_retry = false;
        acd__member_own_takeover(m);
    }
    if (!m->cdr_held || m->cdr_hold_lease_lost || m->lease_state != MEMBER_LEASE_HELD)
        return;
    /* Our lease held all along: nobody could take us over. Once the peers hear us again
     * (they resync and drop the calls that ended), or after long enough, write them. */
    acd_ms_t now = acd__member_now(), last;
    if (takeover_unheard(m, now, &last) && now - m->cdr_hold_since < TAKEOVER_HOLD_MAX_MS)
        return;
    m->cdr_held = false;
    if (m->ops.cdr_release)
        m->ops.cdr_release(m->ud, NULL);
}

void acd__member_takeovers_status(const acd_member_t *m, json_object *cluster)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < m->n_takeovers; i++) {
        const member_takeover_t *t = &m->takeovers[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "dark", json_object_new_string(t->dark));
        json_object_object_add(o, "incarnation", json_object_new_uint64(t->incarnation));
        json_object_object_add(o, "sister", json_object_new_string(t->sister));
        json_object_object_add(o, "epoch", json_object_new_uint64(t->epoch));
        json_object_object_add(o, "adopted", json_object_new_uint64(t->adopted));
        json_object_array_add(arr, o);
    }
    json_object_object_add(cluster, "takeovers", arr);
}
