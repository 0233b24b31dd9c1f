/* site.c - a site's lifecycle: start from config, live reload, drain, close. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/cdr_csv.h"
#include "util/err.h"
#include "util/log.h"

#ifndef ACD_VERSION
#define ACD_VERSION "0.1.0"
#endif

/* The core's view of a config; arrays point into cfg and into the returned holder. */
typedef struct site_core_cfg {
    acd_core_cfg_t cc;
    acd_core_tenant_cfg_t *tenants;
    acd_core_queue_cfg_t *queues;
    acd_core_agent_cfg_t *agents;
    acd_core_skill_t *skills; /* every queue's and agent's skills, back to back */
    acd_core_relax_t *relax;  /* every queue's relaxations */
} site_core_cfg_t;

static void site_core_cfg_fini(site_core_cfg_t *s)
{
    free(s->tenants);
    free(s->queues);
    free(s->agents);
    free(s->skills);
    free(s->relax);
}

/* Copies n config skills to the pool at *used; returns where they start. */
static const acd_core_skill_t *site_skills(site_core_cfg_t *s, size_t *used,
                                           const acd_cfg_skill_t *in, size_t n)
{
    acd_core_skill_t *out = s->skills + *used;
    for (size_t i = 0; i < n; i++)
        out[i] = (acd_core_skill_t){.name = in[i].name, .level = in[i].level};
    *used += n;
    return out;
}

static int site_core_cfg(const acd_config_t *cfg, site_core_cfg_t *s)
{
    memset(s, 0, sizeof(*s));
    s->tenants = calloc(cfg->n_tenants + 1, sizeof(*s->tenants));
    s->queues = calloc(cfg->n_queues + 1, sizeof(*s->queues));
    s->agents = calloc(cfg->n_agents + 1, sizeof(*s->agents));
    size_t n_skills = 1, n_relax = 1, used = 0, used_relax = 0;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        n_skills += cfg->queues[i].n_skills;
        n_relax += cfg->queues[i].n_relax;
    }
    for (size_t i = 0; i < cfg->n_agents; i++)
        n_skills += cfg->agents[i].n_skills;
    s->skills = calloc(n_skills, sizeof(*s->skills));
    s->relax = calloc(n_relax, sizeof(*s->relax));
    if (!s->tenants || !s->queues || !s->agents || !s->skills || !s->relax) {
        site_core_cfg_fini(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_cfg_tenant_t *t = &cfg->tenants[i];
        s->tenants[i] = (acd_core_tenant_cfg_t){.name = t->name,
                                                .dids = (const char *const *)t->dids,
                                                .n_dids = t->n_dids,
                                                .queue = t->queue,
                                                .language = t->language,
                                                .vip = (const char *const *)t->vip,
                                                .n_vip = t->n_vip,
                                                .vip_priority = t->vip_priority,
                                                .redial_priority = t->redial_priority,
                                                .abandon_window_ms = t->abandon_window_ms};
        if (t->callback) { /* ADR 0019; the trunk and caller ID are call control's */
            s->tenants[i].callback_attempts = t->callback_attempts;
            s->tenants[i].callback_delay_ms = t->callback_delay_ms;
            s->tenants[i].callback_ring_ms = t->callback_ring_ms;
        }
    }
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_cfg_queue_t *q = &cfg->queues[i];
        s->queues[i] = (acd_core_queue_cfg_t){.name = q->name,
                                              .tenant = q->tenant,
                                              .strategy = q->strategy,
                                              .ring_timeout_ms = q->ring_timeout_ms,
                                              .wrapup_ms = q->wrapup_ms,
                                              .max_no_answer = q->max_no_answer,
                                              .priority = q->priority,
                                              .n_skills = q->n_skills,
                                              .n_relax = q->n_relax,
                                              .max_wait_ms = q->max_wait_ms,
                                              .max_len = q->max_len,
                                              .overflow = q->overflow,
                                              .join_empty = q->join_empty,
                                              .leave_empty = q->leave_empty};
        s->queues[i].skills = site_skills(s, &used, q->skills, q->n_skills);
        acd_core_relax_t *r = s->relax + used_relax;
        for (size_t j = 0; j < q->n_relax; j++)
            r[j] = (acd_core_relax_t){.after_ms = q->relax[j].after_ms,
                                      .skill = q->relax[j].skill,
                                      .level = q->relax[j].level};
        s->queues[i].relax = r;
        used_relax += q->n_relax;
    }
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_cfg_agent_t *a = &cfg->agents[i];
        s->agents[i] = (acd_core_agent_cfg_t){.id = a->id,
                                              .sip_user = a->sip_user,
                                              .queues = (const char *const *)a->queues,
                                              .n_queues = a->n_queues,
                                              .n_skills = a->n_skills};
        s->agents[i].skills = site_skills(s, &used, a->skills, a->n_skills);
    }
    s->cc = (acd_core_cfg_t){.tenants = s->tenants,
                             .n_tenants = cfg->n_tenants,
                             .queues = s->queues,
                             .n_queues = cfg->n_queues,
                             .agents = s->agents,
                             .n_agents = cfg->n_agents};
    return 0;
}

/* Configures the core from cfg and carries out what that makes possible. */
static int site_configure(acd_callctl_t *cc, const acd_config_t *cfg)
{
    site_core_cfg_t s;
    int rc = site_core_cfg(cfg, &s);
    if (rc < 0)
        return rc;
    acd_actions_reset(&cc->acts);
    rc = acd_core_configure(cc->core, &s.cc, acd__cc_now(cc), &cc->acts);
    site_core_cfg_fini(&s);
    if (rc < 0)
        return rc;
    /* Only a cluster site takes calls over, and so restores them on redial (ADR 0016). */
    (void)acd_core_set_redial_window(cc->core, cfg->cluster ? cfg->redial_window_ms : 0);
    (void)acd__cc_kpi_configure(cc, cfg); /* a failure is logged; counting goes on */
    acd__cc_qlog_configure(cc, cfg);      /* before the tick: cc->acts are configure's */
    /* Distribution enabled by the change (new agents in a queue ...) runs on the next tick. */
    acd_event_t tick = acd__cc_event(ACD_EV_TICK, NULL, NULL);
    acd__cc_feed(cc, &tick);
    return 0;
}

/* The transport's receive callback: hands datagrams and framed messages to the layer. */
static void site_sip_recv(void *ud, const acd_sip_peer_t *from, const char *data, size_t len)
{
    acd_callctl_t *cc = ud;
    if (cc->txl)
        acd_sip_txl_on_recv(cc->txl, from, data, len);
}

static const acd_core_t *site_admin_core(void *ud)
{
    return ((acd_callctl_t *)ud)->core;
}

static void site_admin_info(void *ud, acd_admin_site_info_t *out)
{
    acd_callctl_t *cc = ud;
    acd_sip_transport_stats_t ts;
    acd_sip_transport_stats(cc->tp, &ts);
    *out = (acd_admin_site_info_t){.site = cc->cfg->site_name,
                                   .version = ACD_VERSION,
                                   .started_ms = cc->started_ms,
                                   .draining = cc->draining,
                                   .sip_rx = ts.rx_msgs,
                                   .sip_tx = ts.tx_msgs,
                                   .calls_in_progress = cc->calls.count,
                                   .registrations = acd_registrar_count(cc->reg)};
}

static void site_admin_extra(void *ud, struct json_object *doc)
{
    acd_callctl_t *cc = ud;
    acd__tstate_status(cc, doc);
    acd__agent_api_status(cc, doc);
    if (cc->member)
        acd_member_status(cc->member, doc);
}

static int site_admin_tenants(void *ud, const char *method, const char *rest, const char *body,
                              size_t len, struct json_object *answer)
{
    return acd__tstate_api(ud, method, rest, body, len, answer);
}

static const acd_admin_ops_t site_admin_ops = {
    .core = site_admin_core,
    .site_info = site_admin_info,
    .status_extra = site_admin_extra,
    .tenants = site_admin_tenants,
    .kpi = acd__cc_kpi_read,
    .agent = acd__agent_api,
    .drill = acd__board_drill_api,
    .peer_agents = acd__board_peer_agents,
};

/*
 * The admin API's bearer token comes from admin.token_file (read by the config loader);
 * a reload may change or remove it. Without one, /v1 is open to whoever reaches the
 * endpoint (changes from loopback only), which is worth a warning (docs/adr/0022).
 */
static void site_admin_token(acd_callctl_t *cc, const acd_config_t *cfg, bool starting)
{
    if (!cc->admin)
        return;
    bool had = !starting && cc->cfg && cc->cfg->admin_token;
    (void)acd_admin_set_token(cc->admin, cfg->admin_token); /* the loader bounds its length */
    if (!cfg->admin_token && (starting || had))
        acd_log_warn("ACD-API-ADMIN-NO-TOKEN",
                     "admin.token_file is not set: the API at %s:%u answers without a token "
                     "(changes from loopback only)",
                     cfg->admin_listen, cfg->admin_port);
    else if (cfg->admin_token && !starting)
        acd_log_info("ACD-API-ADMIN-TOKEN", "file=%s: the API wants its token",
                     cfg->admin_token_file);
}

/* ---- cluster membership ---- */

static void site_member_feed(void *ud, const acd_event_t *ev)
{
    acd__cc_feed(ud, ev);
}

static const acd_core_t *site_member_core(void *ud)
{
    return ((acd_callctl_t *)ud)->core;
}

typedef struct site_binding_walk {
    acd_callctl_t *cc;
    void (*cb)(void *cbud, const acd_member_binding_t *b);
    void *cbud;
} site_binding_walk_t;

static void site_binding_one(void *ud, const acd_sip_binding_t *b)
{
    site_binding_walk_t *w = ud;
    acd__cc_binding(w->cc, b, w->cb, w->cbud);
}

static void site_member_bindings(void *ud, void (*cb)(void *cbud, const acd_member_binding_t *b),
                                 void *cbud)
{
    acd_callctl_t *cc = ud;
    site_binding_walk_t w = {.cc = cc, .cb = cb, .cbud = cbud};
    if (cc->reg)
        acd_registrar_foreach(cc->reg, site_binding_one, &w);
}

static bool site_member_draining(void *ud)
{
    return ((acd_callctl_t *)ud)->draining;
}

/* The config a site runs: its own file's, with the lists of the cluster's shared config
 * (NULL: none applied yet) in place of the file's (acd_config_merge). */
static int site_effective(const acd_config_t *file, const acd_config_t *shared, acd_config_t **out)
{
    static const acd_config_t none; /* sets no list: a deep copy of file */
    return acd_config_merge(file, shared ? shared : &none, out);
}

static int site_apply(acd_callctl_t *cc, acd_config_t *cfg);

/*
 * The shared config in etcd changed: merged with this site's own file (which keeps its
 * site, listeners and cluster sections) and applied like a reload. A document that does
 * not validate, or that the core refuses, is refused and the running config kept. An
 * empty value (the key deleted) drops the shared lists: the file's own apply again.
 */
static void site_member_shared(void *ud, const char *text, size_t len)
{
    acd_callctl_t *cc = ud;
    acd_config_t *shared = NULL, *merged = NULL;
    acd_config_errors_t errs = {0};
    int rc = 0;
    if (text && len > 0)
        rc = acd_config_shared_load_string(text, len, "etcd shared config", &shared, &errs);
    for (size_t i = 0; i < errs.n; i++)
        acd_log_err("ACD-SITE-SHARED-INVALID", "line %d: %s", errs.v[i].line, errs.v[i].message);
    if (rc == 0)
        rc = site_effective(cc->file_cfg, shared, &merged);
    if (rc == 0)
        rc = site_apply(cc, merged);
    if (rc == 0) {
        merged = NULL;
        acd_config_free(cc->shared);
        cc->shared = shared;
        shared = NULL;
        acd_log_notice("ACD-SITE-SHARED-APPLIED", "%s", cc->shared ? "shared lists in force"
                                                                   : "the site file's own lists");
    } else {
        acd_log_err("ACD-SITE-SHARED-REFUSED", "shared config not applied: %s", acd_strerror(rc));
    }
    acd_config_errors_fini(&errs);
    acd_config_free(shared);
    acd_config_free(merged);
}

static void site_member_tenant_state(void *ud, const char *tenant, const char *text, size_t len)
{
    acd__tstate_stored(ud, tenant, text, len);
}

static void site_member_remote_members(void *ud, const char *queue, unsigned n)
{
    acd_callctl_t *cc = ud;
    if (acd_core_set_remote_members(cc->core, queue, n) == 0 &&
        acd_core_next_deadline(cc->core) <= acd__cc_now(cc)) {
        acd_event_t tick = acd__cc_event(ACD_EV_TICK, NULL, NULL);
        acd__cc_feed(cc, &tick); /* a leave_empty queue just lost its last member */
    }
}

static const acd_member_ops_t site_member_ops = {
    .feed = site_member_feed,
    .set_local_dispatch = acd__cc_set_local_dispatch,
    .core = site_member_core,
    .foreach_binding = site_member_bindings,
    .foreach_dialog = acd__cc_foreach_dialog,
    .adopt = acd__cc_adopt,
    .abandon_calls = acd__cc_abandon_calls,
    .cdr_release = acd__cc_cdr_release,
    .shared_config = site_member_shared,
    .tenant_state = site_member_tenant_state,
    .drill = acd__board_drill_stored,
    .remote_members = site_member_remote_members,
    .draining = site_member_draining,
    .kpi = acd__cc_kpi,
    .anycast = acd__cc_anycast,
};

int acd_callctl_alloc(acd_callctl_t **cp, uv_loop_t *loop, acd_config_t *cfg)
{
    int rc = 0;
    acd_callctl_t *cc = NULL;
    if (!cp || !loop || !cfg) {
        rc = -EINVAL;
        goto out;
    }
    cc = calloc(1, sizeof(*cc));
    if (!cc) {
        rc = -ENOMEM;
        goto out;
    }
    cc->loop = loop;
    cc->cfg = cfg;
    if ((rc = site_effective(cfg, NULL, &cc->file_cfg)) < 0) {
        free(cc);
        cc = NULL;
        goto out;
    }
    cc->started_ms = acd__cc_now(cc);
    acd_hmap_init(&cc->calls);
    acd_hmap_init(&cc->legs);
    cc->tombs = calloc(CC_TOMBS, sizeof(*cc->tombs)); /* none: late BYEs get 481 */
    acd_hmap_init(&cc->ringing);
    acd__cc_core_timer_init(cc);
    uv_timer_init(loop, &cc->drain_timer);
    cc->drain_timer.data = cc;
    acd__cc_park_init(cc);
    acd__announce_init(cc);
    cc->open_closes = 4; /* the core, drain, park and announce timers */
    snprintf(cc->call_prefix, sizeof(cc->call_prefix), "%s-%llx", cfg->site_name,
             (unsigned long long)(cc->started_ms / 1000));
    snprintf(cc->contact, sizeof(cc->contact), "sip:acdd@%s:%u", cfg->site_address, cfg->sip_port);
    /* Trunk dialogs name the anycast address, so a carrier's in-dialog requests reach
     * whichever site announces it (ADR 0014); media stays on the unicast address. */
    snprintf(cc->trunk_contact, sizeof(cc->trunk_contact), "sip:acdd@%s:%u",
             cfg->anycast && cfg->anycast_address ? cfg->anycast_address : cfg->site_address,
             cfg->sip_port);

    if ((rc = acd__cc_qlog_open(cc, cfg)) < 0) /* first: it sees the first configure */
        goto fail;
    if ((rc = acd_core_alloc(&cc->core)) < 0)
        goto fail;
    if ((rc = site_configure(cc, cfg)) < 0) {
        acd_log_err("ACD-SITE-CONFIG", "the core refused the configuration: %s", acd_strerror(rc));
        goto fail;
    }
    static const char *const langs[] = {"en", "es"};
    acd_media_cfg_t mc = {.addr = cfg->site_address,
                          .port_min = cfg->rtp_port_min,
                          .port_max = cfg->rtp_port_max,
                          .prompts_dir = cfg->prompts_dir,
                          .languages = langs,
                          .n_languages = 2};
    if ((rc = acd_media_alloc(&cc->media, loop, &mc)) < 0) {
        acd_log_err("ACD-SITE-MEDIA", "media engine failed to start: %s (prompts in %s)",
                    acd_strerror(rc), cfg->prompts_dir);
        goto fail;
    }
    if ((rc = acd_cdr_writer_open(&cc->cdr, cfg->cdr_path, cfg->site_name)) < 0) {
        acd_log_err("ACD-SITE-CDR", "cannot open CDR file %s: %s", cfg->cdr_path, acd_strerror(rc));
        goto fail;
    }
    if (cfg->cdr_csv_path && (rc = acd_cdr_writer_open_format(&cc->cdr_csv, cfg->cdr_csv_path,
                                                              cfg->site_name, &acd_cdr_csv)) < 0) {
        acd_log_err("ACD-SITE-CDR", "cannot open CDR file %s: %s", cfg->cdr_csv_path,
                    acd_strerror(rc));
        goto fail;
    }
    acd_sip_transport_cfg_t tc = {.listen_addr = cfg->sip_listen,
                                  .port = cfg->sip_port,
                                  .udp = cfg->sip_udp,
                                  .tcp = cfg->sip_tcp};
    if ((rc = acd_sip_transport_alloc(&cc->tp, loop, &tc, site_sip_recv, cc)) < 0) {
        acd_log_err("ACD-SITE-SIP-BIND", "cannot listen on %s:%u: %s", cfg->sip_listen, cfg->sip_port,
                    acd_strerror(rc));
        goto fail;
    }
    acd_sip_txl_cfg_t xc = {.t1_ms = cfg->sip_t1_ms,
                            .via_host = cfg->site_address,
                            .via_port = cfg->sip_port,
                            .server_name = "acdd/" ACD_VERSION};
    if ((rc = acd_sip_txl_alloc(&cc->txl, loop, cc->tp, &xc, &acd__cc_tu_ops, cc)) < 0)
        goto fail;
    if ((rc = acd_registrar_alloc(&cc->reg, loop, &acd__cc_reg_ops, cc, cfg->register_max_expires)) < 0)
        goto fail;
    if (cfg->cluster) {
        acd_actions_t none = {0};
        (void)acd_core_set_local_dispatch(cc->core, false, acd__cc_now(cc), &none);
        acd_actions_fini(&none);
        rc = acd_member_alloc(&cc->member, loop, cfg, &site_member_ops, cc,
                              (uint64_t)cc->started_ms);
        if (rc < 0) {
            cc->member = NULL;
            goto fail;
        }
    }
    if (cfg->admin_port) {
        rc = acd_admin_alloc(&cc->admin, loop, cfg->admin_listen, cfg->admin_port, &site_admin_ops, cc);
        if (rc < 0) {
            acd_log_err("ACD-SITE-ADMIN-BIND", "cannot listen on %s:%u: %s", cfg->admin_listen,
                        cfg->admin_port, acd_strerror(rc));
            goto fail;
        }
        site_admin_token(cc, cfg, true);
    }
    acd_log_notice("ACD-SITE-STARTED", "sip=%s:%u udp=%d tcp=%d admin=%s:%u tenants=%zu queues=%zu agents=%zu",
                   cfg->sip_listen, cfg->sip_port, cfg->sip_udp, cfg->sip_tcp, cfg->admin_listen,
                   cfg->admin_port, cfg->n_tenants, cfg->n_queues, cfg->n_agents);
    *cp = cc;
    return 0;
fail:
    cc->cfg = NULL; /* ownership stays with the caller on failure */
    acd_callctl_close(cc, NULL, NULL);
out:
    return rc;
}

/* Runs cfg (a complete, merged config) from now on; takes it on success. */
static int site_apply(acd_callctl_t *cc, acd_config_t *cfg)
{
    const acd_config_t *old = cc->cfg;
    if (strcmp(old->sip_listen, cfg->sip_listen) || old->sip_port != cfg->sip_port ||
        strcmp(old->site_address, cfg->site_address) || old->admin_port != cfg->admin_port)
        acd_log_warn("ACD-SITE-RELOAD-STATIC", "listen addresses and ports change only on restart");
    int rc = site_configure(cc, cfg);
    if (rc < 0) {
        acd_log_err("ACD-SITE-RELOAD-REFUSED", "the core refused the new configuration: %s",
                    acd_strerror(rc));
        return rc;
    }
    acd_registrar_set_max_expires(cc->reg, cfg->register_max_expires);
    site_admin_token(cc, cfg, false);
    /* Keep the addresses the running sockets use; take everything else from cfg. */
    acd_config_t *prev = cc->cfg;
    cc->cfg = cfg;
    if (cc->member)
        acd_member_set_config(cc->member, cfg);
    acd_config_free(prev);
    acd_log_notice("ACD-SITE-RELOADED", "tenants=%zu queues=%zu agents=%zu", cfg->n_tenants,
                   cfg->n_queues, cfg->n_agents);
    return 0;
}

int acd_callctl_reload(acd_callctl_t *cc, acd_config_t *file)
{
    acd_config_t *merged = NULL;
    int rc = site_effective(file, cc->shared, &merged);
    if (rc == 0)
        rc = site_apply(cc, merged);
    if (rc < 0) {
        acd_config_free(merged);
        return rc;
    }
    acd_config_free(cc->file_cfg);
    cc->file_cfg = file;
    acd__cc_cdr_reopen(cc); /* logrotate sends SIGHUP after moving the files away */
    acd__cc_qlog_reopen(cc);
    return 0;
}

size_t acd_callctl_calls(const acd_callctl_t *cc)
{
    return cc->calls.count;
}

static void site_drain_timeout_cb(uv_timer_t *h)
{
    acd_callctl_t *cc = h->data;
    acd_log_warn("ACD-SITE-DRAIN-TIMEOUT", "calls_left=%zu: releasing them", cc->calls.count);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &cc->calls);
    while ((n = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(n, call_t, node);
        if (call->in_core) {
            acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
            ev.failed = true;
            acd__cc_feed(cc, &ev);
        }
    }
    if (cc->drain_cb) {
        void (*cb)(void *) = cc->drain_cb;
        cc->drain_cb = NULL;
        cb(cc->drain_ud);
    }
}

void acd_callctl_drain(acd_callctl_t *cc, void (*done_cb)(void *ud), void *ud)
{
    if (cc->draining)
        return;
    cc->draining = true;
    cc->drain_cb = done_cb;
    cc->drain_ud = ud;
    acd_sip_transport_stop_accepting(cc->tp);
    acd_log_notice("ACD-SITE-DRAINING", "calls=%zu timeout_ms=%d", cc->calls.count,
                   cc->cfg->drain_timeout_ms);
    if (cc->calls.count == 0) {
        cc->drain_cb = NULL;
        if (done_cb)
            done_cb(ud);
        return;
    }
    uv_timer_start(&cc->drain_timer, site_drain_timeout_cb, (uint64_t)cc->cfg->drain_timeout_ms, 0);
}

static void site_part_closed(void *ud)
{
    acd_callctl_t *cc = ud;
    if (--cc->open_closes > 0)
        return;
    void (*cb)(void *) = cc->close_cb;
    void *cud = cc->close_ud;
    acd_hmap_fini(&cc->calls);
    acd_hmap_fini(&cc->legs);
    free(cc->tombs);
    acd_hmap_fini(&cc->ringing);
    acd_actions_fini(&cc->acts);
    free(cc->pending);
    if (cc->core)
        acd_core_free(cc->core);
    acd__cc_kpi_fini(cc);
    if (cc->cfg)
        acd_config_free(cc->cfg);
    acd_config_free(cc->file_cfg);
    acd_config_free(cc->shared);
    acd__tstate_fini(cc);
    acd__board_fini(cc);
    acd__agent_api_fini(cc);
    acd__cc_ivrs_fini(cc);
    free(cc);
    if (cb)
        cb(cud);
}

static void site_handle_closed(uv_handle_t *h)
{
    site_part_closed(h->data);
}

static void site_txl_closed(void *ud)
{
    acd_callctl_t *cc = ud;
    if (cc->tp) {
        cc->open_closes++;
        acd_sip_transport_close(cc->tp, site_part_closed, cc);
    }
    site_part_closed(cc);
}

void acd_callctl_close(acd_callctl_t *cc, void (*cb)(void *ud), void *ud)
{
    if (!cc || cc->closing)
        return;
    cc->closing = true;
    cc->close_cb = cb;
    cc->close_ud = ud;
    /* Calls first: their legs and media refer to everything below. */
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &cc->calls);
    while ((n = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(n, call_t, node);
        call->ended = true;
        call->caller.ist = NULL;
        acd__cc_call_maybe_free(cc, call);
    }
    if (cc->member) {
        cc->open_closes++;
        acd_member_close(cc->member, site_part_closed, cc);
        cc->member = NULL;
    }
    acd__cc_park_close(cc); /* parked requests get 503 while the layer still sends */
    uv_close((uv_handle_t *)&cc->core_timer, site_handle_closed);
    uv_close((uv_handle_t *)&cc->drain_timer, site_handle_closed);
    uv_close((uv_handle_t *)&cc->park_timer, site_handle_closed);
    uv_close((uv_handle_t *)&cc->announce_timer, site_handle_closed);
    if (cc->admin) {
        cc->open_closes++;
        acd_admin_close(cc->admin, site_part_closed, cc);
    }
    if (cc->reg)
        acd_registrar_close(cc->reg);
    if (cc->media) {
        cc->open_closes++;
        acd_media_close(cc->media, site_part_closed, cc);
    }
    acd__cc_cdr_hold_fini(cc);
    if (cc->cdr)
        acd_cdr_writer_close(cc->cdr);
    cc->cdr = NULL;
    acd_cdr_writer_close(cc->cdr_csv);
    cc->cdr_csv = NULL;
    acd__cc_qlog_close(cc);
    if (cc->txl) {
        cc->open_closes++;
        acd_sip_txl_close(cc->txl, site_txl_closed, cc);
    } else if (cc->tp) {
        cc->open_closes++;
        acd_sip_transport_close(cc->tp, site_part_closed, cc);
    }
}

/*
 * A maintenance drain (acdctl drain / undrain) through the same flag as the shutdown
 * drain above, so everything that honours it does so alike: 503 to new INVITEs and
 * OPTIONS, /healthz 503, "draining" in heartbeats to the cluster. Unlike
 * acd_callctl_drain() it has no timeout, no done callback and leaves the TCP listener
 * open (phones keep registering; in-dialog requests keep arriving): the site keeps
 * running and may take calls again. Silent: the caller logs. Returns 0 (also when
 * already so), or ACD_EDRAINING while a shutdown drain runs, which only exit ends.
 */
int acd_callctl_set_draining(acd_callctl_t *cc, bool on)
{
    if (cc->closing || cc->drain_cb || uv_is_active((uv_handle_t *)&cc->drain_timer))
        return ACD_EDRAINING;
    cc->draining = on;
    return 0;
}
