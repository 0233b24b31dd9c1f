/* member.c - a member's lifecycle: etcd lease, liveness key, leadership, island mode, status. */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "util/err.h"
#include "util/log.h"

acd_ms_t acd__member_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (acd_ms_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void member_lease_start(acd_member_t *m);
static void member_campaign(acd_member_t *m);
static void member_retry_cb(uv_timer_t *h);

/* ---- island mode ---- */

static void member_set_island(acd_member_t *m, bool on)
{
    if (m->island == on)
        return;
    m->island = on;
    if (on)
        acd_log_warn("ACD-MEMBER-ISLAND", "no etcd lease for %lld s: serving this site's calls with"
                     " its own agents, taking no offers", (long long)m->lease_ttl_s);
    else
        acd_log_notice("ACD-MEMBER-REJOINED", "lease held again: the leader distributes");
    m->dispatch_deferred = false;
    if (on && m->silence_seen && m->verdict_pending) {
        /* Nobody heard us either: our waiting callers may be a sister's by now. Serve
         * them here only once we know, or after two TTLs (ADR 0018). */
        m->dispatch_deferred = true;
        m->dispatch_deferred_until = acd__member_now() + 2 * m->lease_ttl_s * 1000;
        acd_log_notice("ACD-MEMBER-DISPATCH-DEFERRED", "no peer hears us: local dispatch waits"
                       " until we know whether a sister took our calls over");
    } else {
        m->ops.set_local_dispatch(m->ud, on);
    }
    acd__member_heartbeat(m);
}

/* ---- leadership ---- */

static void member_epoch(acd_member_t *m, uint64_t epoch)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = ACD_EV_EPOCH;
    ev.epoch = epoch;
    m->ops.feed(m->ud, &ev);
}

void acd__member_stop_leading(acd_member_t *m, const char *why)
{
    if (!m->is_leader)
        return;
    m->is_leader = false;
    acd__member_offers_clear(m);
    acd_log_notice("ACD-MEMBER-NOT-LEADER", "epoch=%llu: %s", (unsigned long long)m->my_epoch, why);
}

static void member_elected(acd_etcd_campaign_t *c, int err, const acd_etcd_leader_t *leader,
                           void *ud)
{
    acd_member_t *m = ud;
    (void)c;
    if (err < 0) {
        acd_log_warn("ACD-MEMBER-CAMPAIGN-FAILED", "err=%s", acd_errname(err));
        if (m->campaign)
            (void)acd_etcd_resign(m->campaign, NULL, NULL);
        m->campaign = NULL;
        if (m->lease_state == MEMBER_LEASE_HELD && !m->closing)
            uv_timer_start(&m->retry_timer, member_retry_cb, MEMBER_RETRY_MS, 0);
        return;
    }
    m->is_leader = true;
    m->my_epoch = (uint64_t)leader->rev;
    snprintf(m->leader, sizeof(m->leader), "%s", m->site);
    if (m->my_epoch > m->leader_epoch)
        m->leader_epoch = m->my_epoch;
    acd_log_notice("ACD-MEMBER-LEADER", "epoch=%llu: this site distributes for the cluster",
                   (unsigned long long)m->my_epoch);
    member_epoch(m, m->my_epoch);
    acd__member_heartbeat(m);
    acd__member_schedule_plan(m);
    acd__member_takeover_check(m);
}

static void member_campaign(acd_member_t *m)
{
    if (m->campaign || m->lease_state != MEMBER_LEASE_HELD || m->closing)
        return;
    int rc = acd_etcd_campaign(&m->campaign, m->etcd, acd_str_from(m->leader_name), m->lease,
                               acd_str_from(m->site), member_elected, m);
    if (rc < 0) {
        m->campaign = NULL;
        acd_log_warn("ACD-MEMBER-CAMPAIGN-FAILED", "err=%s", acd_errname(rc));
    }
}

static void member_observed(acd_etcd_observe_t *o, const acd_etcd_kv_t *kv, void *ud)
{
    acd_member_t *m = ud;
    (void)o;
    uint64_t epoch = (uint64_t)kv->create_revision;
    char name[ACD_ID_MAX];
    snprintf(name, sizeof(name), "%.*s", ACD_STR_FMT(kv->value));
    if (epoch < m->leader_epoch)
        return; /* an older leader reported late */
    bool changed = epoch != m->leader_epoch || strcmp(name, m->leader) != 0;
    m->leader_epoch = epoch;
    snprintf(m->leader, sizeof(m->leader), "%s", name);
    if (changed)
        acd_log_notice("ACD-MEMBER-LEADER-SEEN", "leader=%s epoch=%llu", name,
                       (unsigned long long)epoch);
    if (m->is_leader && (strcmp(name, m->site) != 0 || epoch != m->my_epoch))
        acd__member_stop_leading(m, "another leader was elected");
    member_epoch(m, epoch);
}

/* ---- the lease and the liveness key ---- */

static void member_site_key(const acd_member_t *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s/sites/%s", m->prefix, m->site);
}

static void member_put_done(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd_member_t *m = ud;
    (void)e;
    if (res->err < 0) {
        acd_log_warn("ACD-MEMBER-SITE-KEY", "liveness key not written: %s", acd_errname(res->err));
        return;
    }
    /* Once our key is back no leader can record a takeover of us any more (its write is
     * conditional on the key's absence): whatever etcd holds now is the verdict. */
    if (m->own_check_pending && !m->closing) {
        m->own_check_pending = false;
        acd__member_own_takeover(m);
    }
}

static void member_retry_cb(uv_timer_t *h)
{
    acd_member_t *m = h->data;
    if (m->closing)
        return;
    if (!m->keeper)
        member_lease_start(m);
    else if (m->lease_state == MEMBER_LEASE_HELD && !m->campaign)
        member_campaign(m);
}

static void member_lease_cb(acd_etcd_keeper_t *k, acd_etcd_lease_event_t ev, int64_t lease, int err,
                            void *ud)
{
    acd_member_t *m = ud;
    (void)k;
    if (ev == ACD_ETCD_LEASE_GRANTED) {
        m->lease_state = MEMBER_LEASE_HELD;
        m->lease_held_since = acd__member_now();
        m->lease = lease;
        acd_log_notice("ACD-MEMBER-LEASE", "lease=%lld ttl_s=%lld", (long long)lease,
                       (long long)m->lease_ttl_s);
        char key[256];
        member_site_key(m, key, sizeof(key));
        json_object *v = json_object_new_object(), *sis = json_object_new_array();
        json_object_object_add(v, "site", json_object_new_string(m->site));
        json_object_object_add(v, "incarnation", json_object_new_uint64(m->incarnation));
        json_object_object_add(v, "events", json_object_new_string(m->cfg->link_events));
        json_object_object_add(v, "requests", json_object_new_string(m->cfg->link_requests));
        for (size_t i = 0; i < m->cfg->n_sisters; i++)
            json_object_array_add(sis, json_object_new_string(m->cfg->sisters[i]));
        json_object_object_add(v, "sisters", sis);
        if (m->cfg->sip_udp) { /* where peers relay in-dialog requests to us (ADR 0017) */
            char sip[80];
            bool v6 = strchr(m->cfg->site_address, ':') != NULL;
            snprintf(sip, sizeof(sip), v6 ? "[%s]:%u" : "%s:%u", m->cfg->site_address,
                     (unsigned)m->cfg->sip_port);
            json_object_object_add(v, "sip", json_object_new_string(sip));
        }
        const char *val = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        (void)acd_etcd_put(m->etcd, acd_str_from(key), acd_str_from(val), lease, member_put_done, m);
        json_object_put(v);
        if (m->island || m->lease_lost_once)
            m->own_check_pending = true; /* were we taken over while cut off? */
        member_set_island(m, false);
        member_campaign(m);
        return;
    }
    acd_log_warn("ACD-MEMBER-LEASE-LOST", "lease=%lld err=%s", (long long)lease, acd_errname(err));
    bool was_held = m->lease_state == MEMBER_LEASE_HELD;
    m->lease_state = MEMBER_LEASE_LOST;
    m->lease_lost_once = true;
    if (m->cdr_held)
        m->cdr_hold_lease_lost = true;
    if (was_held) {
        m->lease_lost_at = acd__member_now();
        m->verdict_pending = true;
        acd__member_note_silence(m); /* before the links' news after a freeze is read */
    }
    m->lease = 0;
    if (was_held)
        m->no_lease_since = acd__member_now() - m->lease_ttl_s * 1000; /* the TTL ran out */
    acd__member_stop_leading(m, "lease lost");
    if (m->campaign)
        (void)acd_etcd_resign(m->campaign, NULL, NULL);
    m->campaign = NULL;
    acd_etcd_lease_stop(m->keeper);
    m->keeper = NULL;
    if (was_held)
        member_set_island(m, true);
    uv_timer_start(&m->retry_timer, member_retry_cb, MEMBER_RETRY_MS, 0);
}

static void member_lease_start(acd_member_t *m)
{
    m->lease_state = MEMBER_LEASE_GRANTING;
    int rc = acd_etcd_lease_start(&m->keeper, m->etcd, m->lease_ttl_s, member_lease_cb, m);
    if (rc < 0) {
        m->keeper = NULL;
        m->lease_state = MEMBER_LEASE_LOST;
        uv_timer_start(&m->retry_timer, member_retry_cb, MEMBER_RETRY_MS, 0);
    }
}

/* ---- liveness of every site ---- */

static member_site_t *member_site_find(const acd_member_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_sites; i++) {
        if (strcmp(m->sites[i].name, name) == 0)
            return &m->sites[i];
    }
    return NULL;
}

bool acd__member_site_live(const acd_member_t *m, const char *site)
{
    if (!m->sites_known)
        return true; /* until etcd answered, trust the links */
    const member_site_t *s = member_site_find(m, site);
    return s && s->live;
}

/* Reads the incarnation and sister order a site wrote into its key's value (JSON). */
static void member_site_value(member_site_t *s, acd_str_t value)
{
    char buf[2048];
    if (value.n == 0 || value.n >= sizeof(buf))
        return;
    memcpy(buf, value.p, value.n);
    buf[value.n] = '\0';
    json_object *o = json_tokener_parse(buf), *inc = NULL, *sis = NULL, *sip = NULL;
    if (o && json_object_object_get_ex(o, "incarnation", &inc))
        s->incarnation = (uint64_t)json_object_get_int64(inc);
    s->sip[0] = '\0'; /* a key without "sip" (an older acdd): nothing is relayed to it */
    if (o && json_object_object_get_ex(o, "sip", &sip) &&
        json_object_is_type(sip, json_type_string) &&
        (size_t)json_object_get_string_len(sip) < sizeof(s->sip))
        snprintf(s->sip, sizeof(s->sip), "%s", json_object_get_string(sip));
    if (o && json_object_object_get_ex(o, "sisters", &sis) && json_object_is_type(sis, json_type_array)) {
        s->n_sisters = 0;
        for (size_t i = 0; i < json_object_array_length(sis) && s->n_sisters < MEMBER_SISTERS_MAX; i++) {
            const char *n = json_object_get_string(json_object_array_get_idx(sis, i));
            if (n && strlen(n) < ACD_ID_MAX)
                snprintf(s->sisters[s->n_sisters++], ACD_ID_MAX, "%s", n);
        }
    }
    json_object_put(o);
}

typedef struct member_owner_ctx {
    const acd_member_t *m;
    acd_ms_t now;
} member_owner_ctx_t;

/*
 * A dialog's owner is relayed to while it has a SIP address, its replica is synced, and
 * it is live: its key is in etcd, or its heartbeats still arrive (an island keeps its
 * calls, ADR 0014, but withdraws its anycast route, ADR 0015).
 */
static bool member_owner_ok(void *ud, const char *origin)
{
    const member_owner_ctx_t *c = ud;
    const member_site_t *s = member_site_find(c->m, origin);
    acd_replica_status_t st;
    if (!s || !s->sip[0] || acd_replica_status(c->m->replica, origin, c->now, &st) < 0 ||
        st.state != ACD_REPLICA_SYNCED || st.need_snapshot)
        return false;
    return s->live ||
           (st.last_heartbeat_ms && c->now - st.last_heartbeat_ms <= c->m->lease_ttl_s * 1000);
}

int acd_member_dialog_owner(const acd_member_t *m, const char *sip_call_id, const char *local_tag,
                            const char *remote_tag, acd_member_dialog_owner_t *out)
{
    if (!m || !sip_call_id || !local_tag || !remote_tag || !out)
        return -EINVAL;
    member_owner_ctx_t c = {.m = m, .now = acd__member_now()};
    const acd_replica_dialog_t *d = acd_replica_dialog_by_tags(m->replica, sip_call_id, local_tag,
                                                               remote_tag, member_owner_ok, &c);
    const member_site_t *s = d ? member_site_find(m, d->origin) : NULL;
    if (!s)
        return -ENOENT;
    *out = (acd_member_dialog_owner_t){.site = s->name,
                                       .sip = s->sip,
                                       .call_id = d->call_id,
                                       .agent_leg = d->leg == ACD__V1__LEG_ROLE__LEG_ROLE_AGENT};
    return 0;
}

/* Records site (the last part of key) as live (with its key's value) or not. */
static void member_site_seen(acd_member_t *m, acd_str_t key, bool live, acd_str_t value,
                             int64_t lease)
{
    size_t plen = strlen(m->prefix) + strlen("/sites/");
    if (key.n <= plen || key.n - plen >= ACD_ID_MAX)
        return;
    char name[ACD_ID_MAX];
    snprintf(name, sizeof(name), "%.*s", (int)(key.n - plen), key.p + plen);
    member_site_t *s = member_site_find(m, name);
    if (!s) {
        if (m->n_sites == m->cap_sites) {
            size_t cap = m->cap_sites ? m->cap_sites * 2 : 8;
            member_site_t *v = realloc(m->sites, cap * sizeof(*v));
            if (!v)
                return;
            m->sites = v;
            m->cap_sites = cap;
        }
        s = &m->sites[m->n_sites++];
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
    }
    if (live) {
        member_site_value(s, value);
        s->lease = lease;
    }
    if (s->live != live)
        acd_log_notice(live ? "ACD-MEMBER-SITE-UP" : "ACD-MEMBER-SITE-DARK", "site=%s", name);
    if (live && !s->live)
        acd__member_takeover_site_back(m, name);
    s->live = live;
    acd__member_schedule_plan(m);
    if (!live)
        acd__member_takeover_check(m);
}

static void member_sites_start(acd_member_t *m);

static void member_sites_event(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud)
{
    acd_member_t *m = ud;
    (void)w;
    if (ev->type == ACD_ETCD_EVENT_COMPACTED) {
        acd_etcd_watch_stop(m->sites_watch);
        m->sites_watch = NULL;
        member_sites_start(m);
        return;
    }
    member_site_seen(m, ev->kv->key, ev->type == ACD_ETCD_EVENT_PUT, ev->kv->value, ev->kv->lease);
}

static void member_sites_range(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd_member_t *m = ud;
    (void)e;
    if (res->err < 0) {
        if (res->err != -ECANCELED && !m->closing)
            member_sites_start(m); /* retried: the client moves on to the next endpoint */
        return;
    }
    for (size_t i = 0; i < m->n_sites; i++)
        m->sites[i].live = false;
    for (size_t i = 0; i < res->n_kvs; i++)
        member_site_seen(m, res->kvs[i].key, true, res->kvs[i].value, res->kvs[i].lease);
    m->sites_known = true;
    char key[256];
    snprintf(key, sizeof(key), "%s/sites/", m->prefix);
    if (acd_etcd_watch_start(&m->sites_watch, m->etcd, ACD_ETCD_PREFIX(acd_str_from(key)),
                             res->revision + 1, member_sites_event, m) < 0)
        m->sites_watch = NULL;
}

static void member_sites_start(acd_member_t *m)
{
    char key[256];
    snprintf(key, sizeof(key), "%s/sites/", m->prefix);
    (void)acd_etcd_range(m->etcd, ACD_ETCD_PREFIX(acd_str_from(key)), member_sites_range, m);
}

/* ---- the shared config ---- */

static void member_config_value(acd_member_t *m, const acd_etcd_kv_t *kv)
{
    if (kv->mod_revision <= m->config_rev)
        return;
    m->config_rev = kv->mod_revision;
    acd_log_notice("ACD-MEMBER-CONFIG", "shared config revision %lld (%zu bytes)",
                   (long long)kv->mod_revision, kv->value.n);
    if (m->ops.shared_config)
        m->ops.shared_config(m->ud, kv->value.p, kv->value.n);
}

static void member_config_start(acd_member_t *m);

static void member_config_event(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud)
{
    acd_member_t *m = ud;
    (void)w;
    if (ev->type == ACD_ETCD_EVENT_COMPACTED) {
        acd_etcd_watch_stop(m->config_watch);
        m->config_watch = NULL;
        member_config_start(m);
    } else if (ev->type == ACD_ETCD_EVENT_PUT) {
        member_config_value(m, ev->kv);
    } else {
        acd_log_warn("ACD-MEMBER-CONFIG-DELETED", "the shared config was deleted from etcd;"
                     " keeping the one in use");
    }
}

static void member_config_range(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd_member_t *m = ud;
    (void)e;
    if (res->err < 0) {
        if (res->err != -ECANCELED && !m->closing)
            member_config_start(m);
        return;
    }
    if (res->n_kvs > 0)
        member_config_value(m, &res->kvs[0]);
    char key[256];
    snprintf(key, sizeof(key), "%s/config", m->prefix);
    if (acd_etcd_watch_start(&m->config_watch, m->etcd, ACD_ETCD_KEY(acd_str_from(key)),
                             res->revision + 1, member_config_event, m) < 0)
        m->config_watch = NULL;
}

static void member_config_start(acd_member_t *m)
{
    char key[256];
    snprintf(key, sizeof(key), "%s/config", m->prefix);
    (void)acd_etcd_range(m->etcd, ACD_ETCD_KEY(acd_str_from(key)), member_config_range, m);
}

/* ---- the heartbeat timer: liveness out, resync retries, offer expiry, island ---- */

static void member_hb_cb(uv_timer_t *h)
{
    acd_member_t *m = h->data;
    acd_ms_t now = acd__member_now();
    if (m->lease_state != MEMBER_LEASE_HELD && !m->island &&
        now - m->no_lease_since >= m->lease_ttl_s * 1000)
        member_set_island(m, true);
    acd__member_heartbeat(m);
    acd__member_resync_retry(m);
    acd__member_reconcile_held(m);
    acd__member_cdr_tick(m);
    acd__member_fence_check(m);
    acd__member_remote_members(m); /* sites that went dark count no more */
    if (m->is_leader) {
        acd__member_offers_expire(m, now);
        acd__member_takeover_check(m); /* a dark site's links fall silent after its key */
    }
}

/* ---- lifecycle ---- */

static void member_link_state(void *ud, const char *peer, bool connected)
{
    (void)ud;
    acd_log_info(connected ? "ACD-MEMBER-PEER-UP" : "ACD-MEMBER-PEER-DOWN", "peer=%s", peer);
}

static int member_link(acd_member_t *m)
{
    const acd_config_t *cfg = m->cfg;
    acd_link_peer_cfg_t *peers = calloc(cfg->n_peers + 1, sizeof(*peers));
    if (!peers)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->n_peers; i++)
        peers[i] = (acd_link_peer_cfg_t){.name = cfg->peers[i].name,
                                         .pub_url = cfg->peers[i].events,
                                         .rep_url = cfg->peers[i].requests};
    acd_link_tls_cfg_t tls = {.ca_file = cfg->tls_ca, .cert_file = cfg->tls_cert,
                              .key_file = cfg->tls_key};
    acd_link_cfg_t lc = {.site = cfg->site_name,
                         .pub_url = cfg->link_events,
                         .rep_url = cfg->link_requests,
                         .peers = peers,
                         .n_peers = cfg->n_peers,
                         .tls = cfg->tls_ca ? &tls : NULL};
    static const acd_link_ops_t ops = {.on_envelope = acd__member_on_envelope,
                                       .on_request = acd__member_on_request,
                                       .on_peer_state = member_link_state};
    int rc = acd_link_alloc(&m->link, m->loop, &lc, &ops, m);
    free(peers);
    if (rc < 0) {
        m->link = NULL;
        acd_log_err("ACD-MEMBER-LINK", "cannot open the site links (events %s, requests %s): %s",
                    cfg->link_events, cfg->link_requests, acd_strerror(rc));
    }
    return rc;
}

static void member_part_closed(void *ud)
{
    acd_member_t *m = ud;
    if (--m->open > 0)
        return;
    void (*cb)(void *) = m->close_cb;
    void *cud = m->close_ud;
    acd__member_records_fini(m);
    acd_replica_free(m->replica);
    acd_buf_fini(&m->enc);
    free(m->offers);
    acd__member_takeovers_fini(m);
    free(m->sites);
    free(m);
    if (cb)
        cb(cud);
}

static void member_handle_closed(uv_handle_t *h)
{
    member_part_closed(h->data);
}

int acd_member_alloc(acd_member_t **mp, uv_loop_t *loop, const acd_config_t *cfg,
                     const acd_member_ops_t *ops, void *ud, uint64_t incarnation)
{
    int rc = 0;
    if (!mp || !loop || !cfg || !cfg->cluster || !ops || !ops->feed || !ops->core ||
        !ops->set_local_dispatch || !ops->foreach_binding || incarnation == 0)
        return -EINVAL;
    acd_member_t *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->loop = loop;
    m->cfg = cfg;
    m->ops = *ops;
    m->ud = ud;
    m->incarnation = incarnation;
    m->lease_ttl_s = cfg->lease_ttl_ms / 1000 > 0 ? cfg->lease_ttl_ms / 1000 : 3;
    m->no_lease_since = acd__member_now();
    snprintf(m->site, sizeof(m->site), "%s", cfg->site_name);
    snprintf(m->prefix, sizeof(m->prefix), "%s", cfg->cluster_prefix ? cfg->cluster_prefix : "/acdd");
    snprintf(m->leader_name, sizeof(m->leader_name), "%s/leader", m->prefix);
    acd_hmap_init(&m->calls);
    acd_hmap_init(&m->agents);
    acd_hmap_init(&m->queues);
    uv_timer_init(loop, &m->hb_timer);
    uv_timer_init(loop, &m->plan_timer);
    uv_timer_init(loop, &m->retry_timer);
    m->hb_timer.data = m->plan_timer.data = m->retry_timer.data = m;
    m->open = 3; /* the three timers; the link and etcd client add themselves */

    acd_replica_cfg_t rcfg = {.self = m->site, .heartbeat = acd__member_kpi_heard, .ud = m};
    if ((rc = acd_replica_alloc(&m->replica, &rcfg)) < 0)
        goto fail;
    acd_etcd_cfg_t ec = {.endpoints = (const char *const *)cfg->etcd_endpoints,
                         .n_endpoints = cfg->n_etcd_endpoints,
                         .request_timeout_ms = 1000};
    if ((rc = acd_etcd_alloc(&m->etcd, loop, &ec)) < 0) {
        m->etcd = NULL;
        acd_log_err("ACD-MEMBER-ETCD", "cannot start the etcd client: %s", acd_strerror(rc));
        goto fail;
    }
    if ((rc = member_link(m)) < 0)
        goto fail;
    if ((rc = acd_etcd_observe_start(&m->observe, m->etcd, acd_str_from(m->leader_name),
                                     member_observed, m)) < 0) {
        m->observe = NULL;
        goto fail;
    }
    member_sites_start(m);
    member_config_start(m);
    acd__member_tstate_start(m);
    acd__member_drill_start(m);
    member_lease_start(m);
    uv_timer_start(&m->hb_timer, member_hb_cb, MEMBER_HEARTBEAT_MS, MEMBER_HEARTBEAT_MS);
    acd__member_heartbeat(m);
    acd_log_notice("ACD-MEMBER-STARTED", "site=%s incarnation=%llu prefix=%s peers=%zu etcd=%zu",
                   m->site, (unsigned long long)incarnation, m->prefix, cfg->n_peers,
                   cfg->n_etcd_endpoints);
    *mp = m;
    return 0;
fail:
    acd_member_close(m, NULL, NULL);
    return rc;
}

void acd_member_set_config(acd_member_t *m, const acd_config_t *cfg)
{
    if (m && cfg)
        m->cfg = cfg;
}

bool acd_member_island(const acd_member_t *m)
{
    return m && m->island;
}

void acd_member_close(acd_member_t *m, void (*cb)(void *ud), void *ud)
{
    if (!m || m->closing)
        return;
    m->closing = true;
    m->close_cb = cb;
    m->close_ud = ud;
    acd__member_stop_leading(m, "closing");
    if (m->etcd) {
        if (m->campaign)
            (void)acd_etcd_resign(m->campaign, NULL, NULL);
        if (m->observe)
            acd_etcd_observe_stop(m->observe);
        if (m->sites_watch)
            acd_etcd_watch_stop(m->sites_watch);
        if (m->config_watch)
            acd_etcd_watch_stop(m->config_watch);
        acd__member_tstate_stop(m);
        acd__member_drill_stop(m);
        if (m->keeper)
            acd_etcd_lease_stop(m->keeper); /* revokes: the site key goes at once */
        m->open++;
        acd_etcd_close(m->etcd, member_part_closed, m);
    }
    if (m->link) {
        m->open++;
        acd_link_close(m->link, member_part_closed, m);
    }
    uv_close((uv_handle_t *)&m->hb_timer, member_handle_closed);
    uv_close((uv_handle_t *)&m->plan_timer, member_handle_closed);
    uv_close((uv_handle_t *)&m->retry_timer, member_handle_closed);
}

/* ---- status ---- */

typedef struct member_status_ctx {
    acd_member_t *m;
    json_object *arr;
} member_status_ctx_t;

/* The peer's anycast address as its last heartbeat told it; NULL (JSON null): it has none. */
static json_object *member_status_anycast(const acd_replica_status_t *s)
{
    if (!s->anycast_configured)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "address", json_object_new_string(s->anycast_address));
    json_object_object_add(o, "announced", json_object_new_boolean(s->anycast_announced));
    json_object_object_add(o, "why", json_object_new_string(s->anycast_why));
    return o;
}

static void member_status_peer(void *ud, const acd_replica_status_t *s)
{
    member_status_ctx_t *ctx = ud;
    acd_member_t *m = ctx->m;
    json_object *arr = ctx->arr;
    json_object *p = json_object_new_object();
    json_object_object_add(p, "site", json_object_new_string(s->origin));
    json_object_object_add(p, "live", json_object_new_boolean(acd__member_site_live(m, s->origin)));
    acd_link_peer_stats_t ls;
    bool known = m->link && acd_link_peer_stats(m->link, s->origin, &ls) == 0;
    json_object_object_add(p, "connected", json_object_new_boolean(known && ls.connected));
    json_object_object_add(p, "state", json_object_new_string(acd_replica_state_name(s->state)));
    json_object_object_add(p, "incarnation", json_object_new_uint64(s->incarnation));
    json_object_object_add(p, "last_seq", json_object_new_uint64(s->last_seq));
    json_object_object_add(p, "lag_ms", json_object_new_int64(s->lag_ms));
    acd_ms_t now = acd__member_now();
    json_object_object_add(p, "heartbeat_age_ms",
                           s->last_heartbeat_ms ? json_object_new_int64(now - s->last_heartbeat_ms)
                                                : NULL);
    json_object_object_add(p, "calls", json_object_new_uint64(s->calls));
    json_object_object_add(p, "agents", json_object_new_uint64(s->agents));
    json_object_object_add(p, "registrations", json_object_new_uint64(s->registrations));
    json_object_object_add(p, "dialogs", json_object_new_uint64(s->dialogs));
    json_object_object_add(p, "island", json_object_new_boolean(s->island));
    json_object_object_add(p, "draining", json_object_new_boolean(s->draining));
    if (s->heartbeat_applied) /* absent until heard: "not reported", not "none" */
        json_object_object_add(p, "anycast", member_status_anycast(s));
    json_object_object_add(p, "gaps", json_object_new_uint64(s->gaps));
    json_object_object_add(p, "resyncs", json_object_new_uint64(s->resyncs));
    json_object_object_add(p, "decode_errors",
                           json_object_new_uint64(known ? ls.decode_errors : 0));
    json_object_array_add(arr, p);
}

/* A configured peer never heard from still gets a row. */
static void member_status_silent_peers(acd_member_t *m, json_object *arr)
{
    for (size_t i = 0; m->link && i < acd_link_peer_count(m->link); i++) {
        const char *name = acd_link_peer_name(m->link, i);
        acd_replica_status_t s;
        if (acd_replica_status(m->replica, name, acd__member_now(), &s) == 0)
            continue;
        acd_link_peer_stats_t ls;
        (void)acd_link_peer_stats(m->link, name, &ls);
        json_object *p = json_object_new_object();
        json_object_object_add(p, "site", json_object_new_string(name));
        json_object_object_add(p, "live", json_object_new_boolean(acd__member_site_live(m, name)));
        json_object_object_add(p, "connected", json_object_new_boolean(ls.connected));
        json_object_object_add(p, "state", json_object_new_string("unknown"));
        json_object_object_add(p, "decode_errors", json_object_new_uint64(ls.decode_errors));
        json_object_array_add(arr, p);
    }
}

void acd_member_status(acd_member_t *m, json_object *status)
{
    static const char *const lease_names[] = {"granting", "held", "lost"};
    json_object *c = json_object_new_object();
    json_object_object_add(c, "site", json_object_new_string(m->site));
    json_object_object_add(c, "incarnation", json_object_new_uint64(m->incarnation));
    json_object_object_add(c, "prefix", json_object_new_string(m->prefix));
    json_object *lease = json_object_new_object();
    json_object_object_add(lease, "state", json_object_new_string(lease_names[m->lease_state]));
    json_object_object_add(lease, "id", json_object_new_int64(m->lease));
    json_object_object_add(lease, "ttl_s", json_object_new_int64(m->lease_ttl_s));
    json_object_object_add(c, "lease", lease);
    json_object_object_add(c, "island", json_object_new_boolean(m->island));
    json_object_object_add(c, "is_leader", json_object_new_boolean(m->is_leader));
    json_object_object_add(c, "epoch", json_object_new_uint64(m->leader_epoch));
    if (m->leader[0]) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "site", json_object_new_string(m->leader));
        json_object_object_add(l, "epoch", json_object_new_uint64(m->leader_epoch));
        json_object_object_add(c, "leader", l);
    } else {
        json_object_object_add(c, "leader", NULL);
    }
    json_object *peers = json_object_new_array();
    member_status_ctx_t ctx = {.m = m, .arr = peers};
    acd_replica_foreach_origin(m->replica, acd__member_now(), member_status_peer, &ctx);
    member_status_silent_peers(m, peers);
    json_object_object_add(c, "peers", peers);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "made", json_object_new_uint64(m->offers_made));
    json_object_object_add(o, "accepted", json_object_new_uint64(m->offers_accepted));
    json_object_object_add(o, "rejected", json_object_new_uint64(m->offers_rejected));
    json_object_object_add(o, "expired", json_object_new_uint64(m->offers_expired));
    json_object_object_add(o, "pending", json_object_new_uint64(m->n_offers));
    json_object_object_add(c, "offers", o);
    acd__member_takeovers_status(m, c);
    json_object_object_add(status, "cluster", c);
}
