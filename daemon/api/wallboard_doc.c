/* wallboard_doc.c - the wallboard document: queues, totals and Erlang C staffing. */
#include "api/admin_int.h"
#include "api/wallboard_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/erlangc.h"
#include "report/kpi.h"

/*
 * The shape is documented in docs/wallboard.md; keep the two together. Sources, so that
 * the page, GET /wallboard/snapshot and the API show the same numbers:
 *   - GET /v1/status's own document (acd__admin_status_doc): this site's queues and
 *     agents, the cluster object (sites, leader) and the anycast object;
 *   - the KPI counter set (report/kpi.h): per queue, cluster-wide sums of this site and
 *     the peers' last reports, and the figures derived from them;
 *   - the core's queue stats: members logged in here and elsewhere (for Erlang C);
 *   - the Erlang C module (acd/erlangc.h) for the staffing recommendation.
 * A figure without any call behind it (no answered call: no ASA) is null, never 0.
 */

/* How each figure is computed, shown on the page as DOMAIN.md asks ("state the variant"). */
static const struct {
    const char *key, *text;
} wb_definitions[] = {
    {"scope", "Per queue and totals: cluster-wide, this site plus every peer's last report "
              "(a peer's waiting calls are left out once its report is older than 5 s). "
              "'here': this site alone, as GET /v1/status. Counters run since each site started."},
    {"service_level", "Answered within the queue's threshold / (answered + abandoned), "
                      "abandons shorter than the queue's short_abandon left out."},
    {"asa", "Mean queue wait of answered calls."},
    {"aht", "(Talk + wrap-up) / calls handled."},
    {"abandonment", "Abandoned / offered; abandons by the caller's wait: up to 10, 20, 30, "
                    "60, 90, 120 s, and longer."},
    {"longest_wait", "Now minus the enqueue time of the oldest waiting call."},
    {"occupancy", "Handling (ringing, on a call, wrap-up) / (handling + available); pauses "
                  "left out."},
    {"erlang_c", "Traffic A = arrivals in the last 30 min (or since counting began) / that "
                 "window x AHT (the measured AHT; 180 s until a call was handled). Agents "
                 "needed: the fewest N whose Erlang C service level within the queue's "
                 "threshold reaches its target. The model has no abandons and no "
                 "shrinkage: agents on the phones, not on the roster."},
};

/* ---- JSON leaves ---- */

/* Adds key: v to o (v NULL adds null); when o is NULL (its allocation failed) drops v. */
void acd__wb_set(json_object *o, const char *key, json_object *v)
{
    if (!o || json_object_object_add(o, key, v) != 0)
        json_object_put(v);
}

json_object *acd__wb_num(double v, int decimals)
{
    char text[64];
    if (!isfinite(v))
        return NULL;
    snprintf(text, sizeof(text), "%.*f", decimals, v);
    return json_object_new_double_s(v, text);
}

json_object *acd__wb_obj(int *err)
{
    json_object *o = json_object_new_object();
    if (!o)
        *err = -ENOMEM;
    return o;
}

json_object *acd__wb_arr(int *err)
{
    json_object *o = json_object_new_array();
    if (!o)
        *err = -ENOMEM;
    return o;
}

void acd__wb_push(json_object *arr, json_object *v, int *err)
{
    if (!v || !arr || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        *err = -ENOMEM;
    }
}

int64_t acd__wb_get_int(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

const char *acd__wb_get_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* ---- queues ---- */

/* One queue of the document: this site's status entry and the cluster-wide counts. */
typedef struct wb_queue {
    const char *name;
    json_object *here;   /* the queue's entry of GET /v1/status; NULL: not a queue here */
    acd_kpi_queue_t kpi; /* cluster-wide; has_kpi false: not counted */
    bool has_kpi;
} wb_queue_t;

#define WB_QUEUES_MAX 256

typedef struct wb_queues {
    wb_queue_t q[WB_QUEUES_MAX];
    size_t n;
} wb_queues_t;

static wb_queue_t *wb_queue_find(wb_queues_t *qs, const char *name)
{
    for (size_t i = 0; i < qs->n; i++)
        if (strcmp(qs->q[i].name, name) == 0)
            return &qs->q[i];
    if (qs->n == WB_QUEUES_MAX)
        return NULL;
    qs->q[qs->n] = (wb_queue_t){.name = name};
    return &qs->q[qs->n++];
}

static void wb_on_cluster_queue(void *ud, const acd_kpi_queue_t *kq)
{
    wb_queue_t *q = wb_queue_find(ud, kq->queue);
    if (q) {
        q->kpi = *kq;
        q->has_kpi = true;
    }
}

/* The queues of status (this site's, by name) and of kpi (cluster-wide), merged. */
static void wb_queues_collect(wb_queues_t *qs, json_object *status, const acd_kpi_t *kpi,
                              const acd_core_t *core, int64_t now)
{
    json_object *arr = NULL;
    qs->n = 0;
    if (json_object_object_get_ex(status, "queues", &arr)) {
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            json_object *e = json_object_array_get_idx(arr, i);
            const char *name = acd__wb_get_str(e, "name");
            wb_queue_t *q = name ? wb_queue_find(qs, name) : NULL;
            if (q)
                q->here = e;
        }
    }
    if (kpi)
        acd_kpi_foreach_cluster_queue(kpi, core, now, wb_on_cluster_queue, qs);
}

static json_object *wb_buckets(const acd_kpi_counts_t *c, int *err)
{
    json_object *arr = acd__wb_arr(err);
    for (int i = 0; i < ACD_KPI_BUCKETS; i++) {
        json_object *b = acd__wb_obj(err);
        acd__wb_set(b, "le_s",
                    i < ACD_KPI_BOUNDS ? json_object_new_int(acd_kpi_bucket_bound_s[i]) : NULL);
        acd__wb_set(b, "calls", json_object_new_uint64(c->abandoned_bucket[i]));
        acd__wb_push(arr, b, err);
    }
    return arr;
}

/* The counters and figures of q (a queue or the totals) into o. */
static void wb_figures(json_object *o, const acd_kpi_queue_t *q, int *err)
{
    const acd_kpi_counts_t *c = &q->counts;
    acd_kpi_figures_t f;
    acd_kpi_figures(q, &f);
    acd__wb_set(o, "offered", json_object_new_uint64(c->offered));
    acd__wb_set(o, "answered", json_object_new_uint64(c->answered));
    acd__wb_set(o, "answered_in_sl", json_object_new_uint64(c->answered_in_sl));
    acd__wb_set(o, "abandoned", json_object_new_uint64(c->abandoned));
    acd__wb_set(o, "abandoned_short", json_object_new_uint64(c->abandoned_short));
    acd__wb_set(o, "handled", json_object_new_uint64(c->handled));
    acd__wb_set(o, "overflowed", json_object_new_uint64(c->overflowed));
    acd__wb_set(o, "abandon_buckets", wb_buckets(c, err));
    acd__wb_set(o, "service_level", acd__wb_num(f.service_level, 4));
    acd__wb_set(o, "asa_s", acd__wb_num(f.asa_s, 1));
    acd__wb_set(o, "aht_s", acd__wb_num(f.aht_s, 1));
    acd__wb_set(o, "abandon_rate", acd__wb_num(f.abandon_rate, 4));
    acd__wb_set(o, "arrivals", json_object_new_uint64(q->arrivals));
    acd__wb_set(o, "window_s", json_object_new_int64(q->window_ms / 1000));
    acd__wb_set(o, "arrival_rate_per_hour", acd__wb_num(f.arrival_rate * 3600.0, 1));
}

/* The service level's variant as the page shows it: "80/20 over answered + abandoned". */
static json_object *wb_sl_variant(const acd_kpi_queue_t *q)
{
    char text[128];
    int n = snprintf(text, sizeof(text), "%d/%d over answered + abandoned", q->sl_target_pct,
                     q->sl_threshold_ms / 1000);
    if (q->short_abandon_ms > 0 && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " (abandons under %d s left out)",
                 (q->short_abandon_ms + 999) / 1000);
    return json_object_new_string(text);
}

/* Why there is no recommendation, in the document's "staffing" object. */
static void wb_staffing_none(json_object *s, const char *why)
{
    acd__wb_set(s, "agents_needed", NULL);
    acd__wb_set(s, "note", json_object_new_string(why));
}

/*
 * The Erlang C recommendation for q with logged_in agents (here and elsewhere): A from
 * the arrival window and AHT, the fewest agents meeting the queue's target, what they
 * achieve, and what the logged-in agents would.
 */
static json_object *wb_staffing(const acd_kpi_queue_t *q, size_t logged_in, int *err)
{
    json_object *s = acd__wb_obj(err);
    acd_kpi_figures_t f;
    acd_kpi_figures(q, &f);
    bool measured = isfinite(f.aht_s) && f.aht_s > 0;
    double aht = measured ? f.aht_s : ACD_AHT_DEFAULT_MS / 1000.0;
    double t = q->sl_threshold_ms / 1000.0, target = q->sl_target_pct / 100.0, a = 0;
    acd__wb_set(s, "aht_s", acd__wb_num(aht, 1));
    acd__wb_set(s, "aht_source", json_object_new_string(measured ? "measured" : "default"));
    acd__wb_set(s, "agents_logged_in", json_object_new_uint64(logged_in));
    if (q->window_ms <= 0 ||
        acd_erlangc_traffic((double)q->arrivals, aht, q->window_ms / 1000.0, &a) < 0) {
        wb_staffing_none(s, "no arrivals counted yet");
        return s;
    }
    acd__wb_set(s, "traffic_erlangs", acd__wb_num(a, 3));
    unsigned n = 0;
    int rc = q->sl_target_pct >= 100 ? -EINVAL : acd_erlangc_agents(a, aht, target, t, &n);
    if (rc < 0) {
        wb_staffing_none(s, rc == -ERANGE ? "more agents than the model counts"
                                          : "a 100 % target cannot be met under Erlang C");
        return s;
    }
    acd_erlangc_t at_n, at_logged;
    (void)acd_erlangc_eval(a, n, aht, t, &at_n);
    (void)acd_erlangc_eval(
        a, logged_in > ACD_ERLANGC_MAX_AGENTS ? ACD_ERLANGC_MAX_AGENTS : (unsigned)logged_in, aht,
        t, &at_logged);
    acd__wb_set(s, "agents_needed", json_object_new_uint64(n));
    acd__wb_set(s, "short_by", json_object_new_uint64(n > logged_in ? n - logged_in : 0));
    acd__wb_set(s, "service_level", acd__wb_num(at_n.service_level, 4));
    acd__wb_set(s, "asa_s", acd__wb_num(at_n.asa_s, 1));
    acd__wb_set(s, "occupancy", acd__wb_num(at_n.occupancy, 4));
    acd__wb_set(s, "service_level_logged_in", acd__wb_num(at_logged.service_level, 4));
    acd__wb_set(s, "note", NULL);
    return s;
}

/* The gauges of this site (the /v1/status entry) as the queue's "here" object. */
static json_object *wb_here(json_object *e, int *err)
{
    static const char *const keys[] = {"waiting", "offered", "longest_wait_s", "agents_logged_in",
                                       "agents_available"};
    if (!e)
        return NULL;
    json_object *h = acd__wb_obj(err);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        acd__wb_set(h, keys[i], json_object_new_int64(acd__wb_get_int(e, keys[i])));
    return h;
}

static json_object *wb_queue_json(const wb_queue_t *q, const acd_core_t *core, int64_t now,
                                  int *err)
{
    json_object *o = acd__wb_obj(err);
    acd_kpi_queue_t k = q->kpi;
    if (!q->has_kpi) {
        /* Not counted (no counter set): this site's gauges, the default settings. */
        memset(&k, 0, sizeof(k));
        k.waiting = (uint32_t)acd__wb_get_int(q->here, "waiting");
        k.longest_wait_ms = acd__wb_get_int(q->here, "longest_wait_s") * 1000;
        k.sl_threshold_ms = ACD_KPI_SL_THRESHOLD_MS;
        k.sl_target_pct = ACD_KPI_SL_TARGET_PCT;
    }
    acd_queue_stats_t st;
    memset(&st, 0, sizeof(st));
    if (core)
        (void)acd_core_queue_stats(core, q->name, now, &st);
    const char *tenant = q->has_kpi ? q->kpi.tenant : acd__wb_get_str(q->here, "tenant");
    acd__wb_set(o, "name", json_object_new_string(q->name));
    acd__wb_set(o, "tenant", json_object_new_string(tenant ? tenant : ""));
    acd__wb_set(o, "counted", json_object_new_boolean(q->has_kpi));
    acd__wb_set(o, "waiting", json_object_new_int64(k.waiting));
    acd__wb_set(o, "longest_wait_s", json_object_new_int64(k.longest_wait_ms / 1000));
    acd__wb_set(o, "agents_logged_in", json_object_new_uint64(st.logged_in));
    acd__wb_set(o, "here", wb_here(q->here, err));
    acd__wb_set(o, "sl_target", acd__wb_num(k.sl_target_pct / 100.0, 2));
    acd__wb_set(o, "sl_threshold_s", acd__wb_num(k.sl_threshold_ms / 1000.0, 1));
    acd__wb_set(o, "sl_variant", wb_sl_variant(&k));
    wb_figures(o, &k, err);
    acd__wb_set(o, "staffing", q->has_kpi ? wb_staffing(&k, st.logged_in, err) : NULL);
    return o;
}

/* The cluster-wide totals over every queue: summed counters, the longest wait. */
static json_object *wb_totals(const wb_queues_t *qs, const acd_kpi_t *kpi, int64_t now, int *err)
{
    json_object *o = acd__wb_obj(err);
    acd_kpi_queue_t t;
    memset(&t, 0, sizeof(t));
    for (size_t i = 0; i < qs->n; i++) {
        const acd_kpi_queue_t *k = &qs->q[i].kpi;
        if (!qs->q[i].has_kpi) {
            t.waiting += (uint32_t)acd__wb_get_int(qs->q[i].here, "waiting");
            int64_t lw = acd__wb_get_int(qs->q[i].here, "longest_wait_s") * 1000;
            t.longest_wait_ms = lw > t.longest_wait_ms ? lw : t.longest_wait_ms;
            continue;
        }
        acd_kpi_counts_add(&t.counts, &k->counts);
        t.waiting += k->waiting;
        t.arrivals += k->arrivals;
        t.window_ms = k->window_ms > t.window_ms ? k->window_ms : t.window_ms;
        t.longest_wait_ms =
            k->longest_wait_ms > t.longest_wait_ms ? k->longest_wait_ms : t.longest_wait_ms;
    }
    acd__wb_set(o, "queues", json_object_new_uint64(qs->n));
    acd__wb_set(o, "waiting", json_object_new_int64(t.waiting));
    acd__wb_set(o, "longest_wait_s", json_object_new_int64(t.longest_wait_ms / 1000));
    wb_figures(o, &t, err);
    int64_t handling = 0, idle = 0;
    if (kpi)
        acd_kpi_cluster_time(kpi, now, &handling, &idle);
    acd__wb_set(o, "occupancy", acd__wb_num(acd_kpi_occupancy(handling, idle), 4));
    return o;
}

/* ---- the document ---- */

static json_object *wb_definitions_json(int *err)
{
    json_object *o = acd__wb_obj(err);
    for (size_t i = 0; i < sizeof(wb_definitions) / sizeof(wb_definitions[0]); i++)
        acd__wb_set(o, wb_definitions[i].key, json_object_new_string(wb_definitions[i].text));
    return o;
}

json_object *acd__wb_doc(acd_admin_t *a, int64_t now)
{
    int err = 0;
    wb_queues_t *qs = malloc(sizeof(*qs));
    json_object *status = qs ? acd__admin_status_doc(a) : NULL;
    json_object *doc = status ? acd__wb_obj(&err) : NULL;
    if (!doc) {
        json_object_put(status);
        free(qs);
        return NULL;
    }
    const acd_core_t *core = a->ops.core(a->ud);
    const acd_kpi_t *kpi = a->ops.kpi ? a->ops.kpi(a->ud) : NULL;
    json_object *site = NULL;
    json_object_object_get_ex(status, "site", &site);

    acd__wb_set(doc, "version", json_object_new_int(1));
    acd__wb_set(
        doc, "site",
        json_object_new_string(acd__wb_get_str(site, "name") ? acd__wb_get_str(site, "name") : ""));
    acd__wb_set(doc, "now_ms", json_object_new_int64(now));
    acd__wb_set(doc, "definitions", wb_definitions_json(&err));

    wb_queues_collect(qs, status, kpi, core, now);
    json_object *queues = acd__wb_arr(&err);
    for (size_t i = 0; i < qs->n; i++)
        acd__wb_push(queues, wb_queue_json(&qs->q[i], core, now, &err), &err);
    acd__wb_set(doc, "queues", queues);
    acd__wb_set(doc, "totals", wb_totals(qs, kpi, now, &err));
    acd__wb_site_facts(a, doc, status, now, &err);
    json_object_put(status);
    free(qs);
    if (err) {
        json_object_put(doc);
        return NULL;
    }
    return doc;
}
