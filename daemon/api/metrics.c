/* metrics.c - GET /metrics: the site's figures in the Prometheus text format. */
#include "api/admin_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/prom.h"
#include "report/kpi.h"

/*
 * Every metric is this site's own (label site): a cluster-wide figure is a sum over the
 * sites' series in PromQL, and the counting rules (docs/adr/0025) make each call count
 * once in that sum. Names, labels and meanings are in docs/metrics.md. The figures come
 * from the KPI counters (ops.kpi), the core (waiting calls, agents by state), the site's
 * facts (ops.site_info) and the status additions of the cluster member and the anycast
 * control (read from the JSON they add to the status document).
 */

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct metrics {
    acd_prom_t p;
    const char *site;
    acd_kpi_queue_t *qs; /* this site's queues, read once */
    size_t n_qs, cap_qs;
    bool nomem;
} metrics_t;

static void metrics_collect_queue(void *ud, const acd_kpi_queue_t *q)
{
    metrics_t *m = ud;
    if (m->n_qs == m->cap_qs) {
        size_t cap = m->cap_qs ? m->cap_qs * 2 : 16;
        acd_kpi_queue_t *v = realloc(m->qs, cap * sizeof(*v));
        if (!v) {
            m->nomem = true;
            return;
        }
        m->qs = v;
        m->cap_qs = cap;
    }
    m->qs[m->n_qs++] = *q;
}

/* ---- per queue ---- */

/* A per-queue metric: what it reads of one queue. */
typedef double (*metrics_queue_fn)(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f);

typedef struct metrics_queue_metric {
    const char *name, *type, *help;
    metrics_queue_fn value;
} metrics_queue_metric_t;

#define MQ_COUNT(field)                                                                            \
    static double mq_##field(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)                 \
    {                                                                                              \
        (void)f;                                                                                   \
        return (double)q->counts.field;                                                            \
    }
MQ_COUNT(offered)
MQ_COUNT(answered)
MQ_COUNT(answered_in_sl)
MQ_COUNT(abandoned)
MQ_COUNT(abandoned_short)
MQ_COUNT(overflowed)
MQ_COUNT(delivered)
MQ_COUNT(handled)
#undef MQ_COUNT

static double mq_answer_wait(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)
{
    (void)f;
    return (double)q->counts.answer_wait_ms / 1000.0;
}

static double mq_handle_time(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)
{
    (void)f;
    return (double)(q->counts.talk_ms + q->counts.wrapup_ms) / 1000.0;
}

static double mq_waiting(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)
{
    (void)f;
    return (double)q->waiting;
}

static double mq_longest(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)
{
    (void)f;
    return (double)q->longest_wait_ms / 1000.0;
}

static double mq_threshold(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)
{
    (void)f;
    return (double)q->sl_threshold_ms / 1000.0;
}

#define MQ_FIGURE(field)                                                                           \
    static double mq_##field(const acd_kpi_queue_t *q, const acd_kpi_figures_t *f)                 \
    {                                                                                              \
        (void)q;                                                                                   \
        return f->field;                                                                           \
    }
MQ_FIGURE(service_level)
MQ_FIGURE(sl_target)
MQ_FIGURE(asa_s)
MQ_FIGURE(aht_s)
MQ_FIGURE(abandon_rate)
#undef MQ_FIGURE

static const metrics_queue_metric_t metrics_queue[] = {
    {"acd_calls_offered_total", "counter",
     "Calls that entered the queue at this site (arrivals and overflows in; not takeovers, "
     "redials taking back a place, or deliveries).",
     mq_offered},
    {"acd_calls_answered_total", "counter", "Calls connected to an agent at this site.",
     mq_answered},
    {"acd_calls_answered_in_sl_total", "counter",
     "Answered calls that waited at most the queue's service level threshold.", mq_answered_in_sl},
    {"acd_calls_abandoned_total", "counter",
     "Callers who hung up while waiting or ringing, counted where the call's CDR is written.",
     mq_abandoned},
    {"acd_calls_abandoned_short_total", "counter",
     "Abandons shorter than the queue's short_abandon, left out of the service level.",
     mq_abandoned_short},
    {"acd_calls_overflowed_total", "counter",
     "Calls a queue rule sent away (to another queue, voicemail, callback, hangup).",
     mq_overflowed},
    {"acd_calls_delivered_total", "counter",
     "Callback, voicemail and outbound deliveries connected to an agent (not answered calls).",
     mq_delivered},
    {"acd_calls_handled_total", "counter", "Answered calls that ended at this site.", mq_handled},
    {"acd_answer_wait_seconds_total", "counter", "Sum of the waits of answered calls.",
     mq_answer_wait},
    {"acd_handle_seconds_total", "counter",
     "Talk time of handled calls plus the wrap-up this site's agents spent after them.",
     mq_handle_time},
    {"acd_calls_waiting", "gauge", "Calls waiting in the queue now (not ringing an agent).",
     mq_waiting},
    {"acd_longest_wait_seconds", "gauge", "How long the oldest waiting call has waited (0: none).",
     mq_longest},
    {"acd_service_level_ratio", "gauge",
     "Answered within the threshold over answered plus abandoned (short abandons left out), "
     "since the site started; NaN before any call.",
     mq_service_level},
    {"acd_service_level_target_ratio", "gauge", "The queue's service level target.", mq_sl_target},
    {"acd_service_level_threshold_seconds", "gauge",
     "The wait within which an answer counts for the service level.", mq_threshold},
    {"acd_asa_seconds", "gauge", "Average speed of answer: mean wait of answered calls.", mq_asa_s},
    {"acd_aht_seconds", "gauge", "Average handle time: (talk + wrap-up) / handled calls.", mq_aht_s},
    {"acd_abandon_ratio", "gauge", "Abandoned over offered calls.", mq_abandon_rate},
};

static void metrics_queues(metrics_t *m)
{
    for (size_t i = 0; i < sizeof(metrics_queue) / sizeof(metrics_queue[0]); i++) {
        const metrics_queue_metric_t *mq = &metrics_queue[i];
        acd_prom_family(&m->p, mq->name, mq->type, mq->help);
        for (size_t j = 0; j < m->n_qs; j++) {
            const acd_kpi_queue_t *q = &m->qs[j];
            acd_kpi_figures_t f;
            acd_kpi_figures(q, &f);
            acd_prom_label_t l[] = {{"site", m->site}, {"tenant", q->tenant}, {"queue", q->queue}};
            acd_prom_sample(&m->p, mq->name, l, 3, mq->value(q, &f));
        }
    }
}

/* acd_abandon_wait_seconds: the abandons by wait, cumulative buckets as Prometheus wants. */
static void metrics_abandon_histogram(metrics_t *m)
{
    static const char name[] = "acd_abandon_wait_seconds";
    acd_prom_family(&m->p, name, "histogram",
                    "How long callers waited before they abandoned (buckets 10, 20, 30, 60, 90, "
                    "120 s).");
    for (size_t j = 0; j < m->n_qs; j++) {
        const acd_kpi_queue_t *q = &m->qs[j];
        uint64_t cum = 0;
        for (size_t b = 0; b < ACD_KPI_BUCKETS; b++) {
            char le[16];
            if (b < ACD_KPI_BOUNDS)
                snprintf(le, sizeof(le), "%d", acd_kpi_bucket_bound_s[b]);
            else
                snprintf(le, sizeof(le), "+Inf");
            cum += q->counts.abandoned_bucket[b];
            acd_prom_label_t l[] = {
                {"site", m->site}, {"tenant", q->tenant}, {"queue", q->queue}, {"le", le}};
            acd_prom_sample(&m->p, "acd_abandon_wait_seconds_bucket", l, 4, (double)cum);
        }
        acd_prom_label_t l[] = {{"site", m->site}, {"tenant", q->tenant}, {"queue", q->queue}};
        acd_prom_sample(&m->p, "acd_abandon_wait_seconds_sum", l, 3,
                        (double)q->counts.abandon_wait_ms / 1000.0);
        acd_prom_sample(&m->p, "acd_abandon_wait_seconds_count", l, 3, (double)cum);
    }
}

/* ---- agents ---- */

static void metrics_count_agent(void *ud, const acd_agent_view_t *v)
{
    size_t *by_state = ud;
    if ((size_t)v->state < ACD_KPI_AGENT_STATES)
        by_state[v->state]++;
}

static void metrics_agent_times(void *ud, const acd_kpi_agent_t *a)
{
    metrics_t *m = ud;
    for (size_t s = 0; s < ACD_KPI_AGENT_STATES; s++) {
        acd_prom_label_t l[] = {
            {"site", m->site}, {"agent", a->id}, {"state", acd_agent_state_name(s)}};
        acd_prom_sample(&m->p, "acd_agent_state_seconds_total", l, 3,
                        (double)a->state_ms[s] / 1000.0);
    }
}

static void metrics_agents(metrics_t *m, const acd_core_t *core, const acd_kpi_t *kpi,
                           int64_t now)
{
    size_t by_state[ACD_KPI_AGENT_STATES] = {0};
    if (core)
        acd_core_foreach_agent(core, metrics_count_agent, by_state);
    acd_prom_family(&m->p, "acd_agents", "gauge", "Configured agents of this site by state.");
    for (size_t s = 0; s < ACD_KPI_AGENT_STATES; s++) {
        acd_prom_label_t l[] = {{"site", m->site}, {"state", acd_agent_state_name(s)}};
        acd_prom_sample(&m->p, "acd_agents", l, 2, (double)by_state[s]);
    }
    if (!kpi)
        return;
    acd_prom_family(&m->p, "acd_agent_state_seconds_total", "counter",
                    "Time each agent of this site spent in each state since the site started.");
    acd_kpi_foreach_agent(kpi, now, metrics_agent_times, m);
    int64_t handling, idle;
    acd_kpi_site_time(kpi, now, &handling, &idle);
    acd_prom_family(&m->p, "acd_agent_occupancy_ratio", "gauge",
                    "Handling (ringing, on a call, wrap-up) over handling plus ready-idle time of "
                    "this site's agents; pauses left out. NaN before any.");
    acd_prom_label_t l[] = {{"site", m->site}};
    acd_prom_sample(&m->p, "acd_agent_occupancy_ratio", l, 1, acd_kpi_occupancy(handling, idle));
}

/* ---- peers' KPI reports (what the wallboard's cluster-wide sums are made of) ---- */

typedef struct metrics_peer_walk {
    metrics_t *m;
    int64_t now;
    bool queues; /* the queue counts, else the ages */
} metrics_peer_walk_t;

static void metrics_kpi_peer(void *ud, const acd_kpi_site_t *s)
{
    metrics_peer_walk_t *w = ud;
    acd_prom_label_t l[] = {{"site", w->m->site}, {"peer", s->site}};
    if (w->queues)
        acd_prom_sample(&w->m->p, "acd_kpi_peer_queues", l, 2, (double)s->report->n_queues);
    else
        acd_prom_sample(&w->m->p, "acd_kpi_peer_report_age_seconds", l, 2,
                        (double)(w->now - s->at) / 1000.0);
}

static void metrics_kpi_peers(metrics_t *m, const acd_kpi_t *kpi, int64_t now)
{
    if (!kpi)
        return;
    metrics_peer_walk_t w = {.m = m, .now = now};
    acd_prom_family(&m->p, "acd_kpi_peer_report_age_seconds", "gauge",
                    "How long ago a peer's KPI counters last arrived (in its heartbeat); a dark "
                    "peer's stay at their last value.");
    acd_kpi_foreach_site(kpi, metrics_kpi_peer, &w);
    w.queues = true;
    acd_prom_family(&m->p, "acd_kpi_peer_queues", "gauge",
                    "Queues in a peer's last KPI report.");
    acd_kpi_foreach_site(kpi, metrics_kpi_peer, &w);
}

/* ---- the site ---- */

static void metrics_gauge(metrics_t *m, const char *name, const char *type, const char *help,
                          double v)
{
    acd_prom_family(&m->p, name, type, help);
    acd_prom_label_t l[] = {{"site", m->site}};
    acd_prom_sample(&m->p, name, l, 1, v);
}

static void metrics_site(metrics_t *m, const acd_admin_site_info_t *info)
{
    acd_prom_family(&m->p, "acd_build_info", "gauge", "The running acdd's version (value 1).");
    acd_prom_label_t l[] = {{"site", m->site}, {"version", info->version}};
    acd_prom_sample(&m->p, "acd_build_info", l, 2, 1);
    metrics_gauge(m, "acd_start_time_seconds", "gauge", "When acdd started (Unix time).",
                  (double)info->started_ms / 1000.0);
    metrics_gauge(m, "acd_draining", "gauge", "1 while the site drains (takes no new work).",
                  info->draining ? 1 : 0);
    metrics_gauge(m, "acd_calls_in_progress", "gauge", "Calls call control holds now.",
                  (double)info->calls_in_progress);
    metrics_gauge(m, "acd_registrations", "gauge", "Agent phone contacts bound now.",
                  (double)info->registrations);
    metrics_gauge(m, "acd_sip_messages_received_total", "counter", "SIP messages received.",
                  (double)info->sip_rx);
    metrics_gauge(m, "acd_sip_messages_sent_total", "counter", "SIP messages sent.",
                  (double)info->sip_tx);
}

static json_object *metrics_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool metrics_bool(json_object *o, const char *key)
{
    json_object *v = metrics_get(o, key);
    return v && json_object_get_boolean(v);
}

/* A peer's sample of one family: false when the peer has none (*v untouched). */
typedef bool (*metrics_peer_value_cb)(json_object *peer, double *v);

static bool metrics_peer_up(json_object *p, double *v)
{
    *v = metrics_bool(p, "live") ? 1 : 0;
    return true;
}

static bool metrics_peer_lag(json_object *p, double *v)
{
    json_object *lag = metrics_get(p, "lag_ms");
    if (lag) /* else never heard from */
        *v = (double)json_object_get_int64(lag) / 1000.0;
    return lag != NULL;
}

static bool metrics_peer_anycast(json_object *p, double *v)
{
    json_object *any = metrics_get(p, "anycast"); /* null: no address; absent: not heard */
    if (any)
        *v = metrics_bool(any, "announced") ? 1 : 0;
    return any != NULL;
}

/* The family name with one sample {site, peer} per peer that value() gives one for. */
static void metrics_per_peer(metrics_t *m, json_object *peers, const char *name, const char *help,
                             metrics_peer_value_cb value)
{
    size_t n =
        peers && json_object_is_type(peers, json_type_array) ? json_object_array_length(peers) : 0;
    acd_prom_family(&m->p, name, "gauge", help);
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(peers, i);
        double v = 0;
        if (!value(p, &v))
            continue;
        acd_prom_label_t l[] = {{"site", m->site},
                                {"peer", json_object_get_string(metrics_get(p, "site"))}};
        acd_prom_sample(&m->p, name, l, 2, v);
    }
}

static void metrics_peers(metrics_t *m, json_object *peers)
{
    metrics_per_peer(m, peers, "acd_peer_up",
                     "1 while a peer site holds its liveness key in etcd, 0 once it is dark.",
                     metrics_peer_up);
    metrics_per_peer(m, peers, "acd_replication_lag_seconds",
                     "How old the last envelope applied from a peer was when applied, plus the "
                     "time since (clock skew included).",
                     metrics_peer_lag);
    metrics_per_peer(m, peers, "acd_peer_anycast_announced",
                     "1 while a peer's last heartbeat said it announces its anycast address "
                     "(absent for a peer without one, or not heard yet).",
                     metrics_peer_anycast);
}

/* The cluster member's facts: its "cluster" object of the status document. */
static void metrics_cluster(metrics_t *m, json_object *c)
{
    if (!c)
        return;
    json_object *lease = metrics_get(c, "lease");
    const char *lease_state = json_object_get_string(metrics_get(lease, "state"));
    metrics_gauge(m, "acd_etcd_up", "gauge",
                  "1 while this site holds its etcd lease (etcd answers its keepalives).",
                  lease_state && strcmp(lease_state, "held") == 0 ? 1 : 0);
    metrics_gauge(m, "acd_island", "gauge",
                  "1 while the site is an island (no lease: it distributes its own calls).",
                  metrics_bool(c, "island") ? 1 : 0);
    metrics_gauge(m, "acd_leader", "gauge", "1 while this site is the cluster's leader.",
                  metrics_bool(c, "is_leader") ? 1 : 0);
    json_object *leader = metrics_get(c, "leader");
    acd_prom_family(&m->p, "acd_leader_info", "gauge",
                    "The leader this site follows (value 1; absent when it knows none).");
    if (leader) {
        acd_prom_label_t l[] = {{"site", m->site},
                                {"leader", json_object_get_string(metrics_get(leader, "site"))}};
        acd_prom_sample(&m->p, "acd_leader_info", l, 2, 1);
    }
    metrics_gauge(m, "acd_leader_epoch", "gauge", "The newest leader epoch this site knows.",
                  (double)json_object_get_uint64(metrics_get(c, "epoch")));
    metrics_peers(m, metrics_get(c, "peers"));
}

static void metrics_anycast(metrics_t *m, json_object *a)
{
    if (a)
        metrics_gauge(m, "acd_anycast_announced", "gauge",
                      "1 while this site announces the anycast address (it is on the interface).",
                      metrics_bool(a, "announced") ? 1 : 0);
}

/* The status additions (cluster, anycast) as the status document carries them. */
static void metrics_facts(metrics_t *m, acd_admin_t *a)
{
    json_object *doc = json_object_new_object();
    if (!doc) {
        m->nomem = true;
        return;
    }
    if (a->ops.status_extra)
        a->ops.status_extra(a->ud, doc);
    if (a->has_control && a->control.status)
        a->control.status(a->control_ud, doc);
    metrics_cluster(m, metrics_get(doc, "cluster"));
    metrics_anycast(m, metrics_get(doc, "anycast"));
    json_object_put(doc);
}

/* ---- the route ---- */

static void metrics_send(h2o_req_t *req, const acd_buf_t *body)
{
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body->n;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT(METRICS_CONTENT_TYPE));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_send_inline(req, body->p ? body->p : "", body->n);
}

void acd__admin_metrics(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len)
{
    (void)rest;
    if (rest_len > 0) {
        acd__admin_send_error(req, 404, "Not Found", "not found");
        return;
    }
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, HEAD"));
        acd__admin_send_error(req, 405, "Method Not Allowed", "method not allowed");
        return;
    }
    int64_t now = acd__admin_now_ms();
    acd_admin_site_info_t info;
    memset(&info, 0, sizeof(info));
    a->ops.site_info(a->ud, &info);
    const acd_core_t *core = a->ops.core(a->ud);
    const acd_kpi_t *kpi = a->ops.kpi ? a->ops.kpi(a->ud) : NULL;
    acd_buf_t body = {0};
    metrics_t m = {.p = {.out = &body}, .site = info.site ? info.site : ""};
    acd_kpi_foreach_queue(kpi, core, now, metrics_collect_queue, &m);
    metrics_site(&m, &info);
    metrics_queues(&m);
    metrics_abandon_histogram(&m);
    metrics_agents(&m, core, kpi, now);
    metrics_kpi_peers(&m, kpi, now);
    metrics_facts(&m, a);
    if (m.nomem || m.p.err)
        acd__admin_send_error(req, 500, "Internal Server Error", "out of memory");
    else
        metrics_send(req, &body);
    acd_buf_fini(&body);
    free(m.qs);
}
