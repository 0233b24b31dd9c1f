/* kpi_remote.c - peers' KPI reports and the cluster-wide sums over them and this site. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/kpi_int.h"

static void kpi_site_free(acd__kpi_site_t *s)
{
    if (!s)
        return;
    free(s->qs);
    free(s->names);
    free(s);
}

void acd__kpi_sites_free(acd_kpi_t *k)
{
    for (size_t i = 0; i < k->sites.n; i++)
        kpi_site_free(k->sites.v[i]);
    free(k->sites.v);
    k->sites = (acd__kpi_vec_t){0};
}

static bool kpi_name_ok(const char *s, bool required)
{
    if (!s)
        return !required;
    size_t n = strnlen(s, ACD_ID_MAX);
    return n < ACD_ID_MAX && (n > 0 || !required);
}

static int kpi_remote_check(const acd_kpi_remote_t *r)
{
    if (r->n_queues > ACD_KPI_REMOTE_QUEUES_MAX || (r->n_queues && !r->queues) ||
        r->handling_ms < 0 || r->idle_ms < 0)
        return -EINVAL;
    for (size_t i = 0; i < r->n_queues; i++) {
        const acd_kpi_queue_t *q = &r->queues[i];
        if (!kpi_name_ok(q->queue, true) || !kpi_name_ok(q->tenant, false) ||
            q->sl_threshold_ms < 0 || q->sl_target_pct < 0 || q->sl_target_pct > 100 ||
            q->short_abandon_ms < 0 || q->window_ms < 0 || q->longest_wait_ms < 0)
            return -EINVAL;
    }
    return 0;
}

static int kpi_queue_cmp(const void *a, const void *b)
{
    return strcmp(((const acd_kpi_queue_t *)a)->queue, ((const acd_kpi_queue_t *)b)->queue);
}

/* A new site record holding a sorted copy of r; -EINVAL on a duplicate queue. */
static int kpi_site_make(const char *site, const acd_kpi_remote_t *r, acd_ms_t now,
                         acd__kpi_site_t **out)
{
    size_t n = r->n_queues;
    acd__kpi_site_t *s = calloc(1, sizeof(*s));
    if (s && n) {
        s->qs = malloc(n * sizeof(*s->qs));
        s->names = malloc(n * sizeof(*s->names));
    }
    if (!s || (n && (!s->qs || !s->names))) {
        kpi_site_free(s);
        return -ENOMEM;
    }
    if (n)
        memcpy(s->qs, r->queues, n * sizeof(*s->qs));
    /* Sorted while the names still point at the caller's strings, then copied. */
    if (n)
        qsort(s->qs, n, sizeof(*s->qs), kpi_queue_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(s->qs[i - 1].queue, s->qs[i].queue) == 0) {
            kpi_site_free(s);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        strcpy(s->names[i][0], s->qs[i].queue); /* lengths checked: < ACD_ID_MAX */
        strcpy(s->names[i][1], s->qs[i].tenant ? s->qs[i].tenant : "");
        s->qs[i].queue = s->names[i][0];
        s->qs[i].tenant = s->names[i][1];
    }
    strcpy(s->name, site);
    s->at = now;
    s->report = *r;
    s->report.queues = s->qs;
    *out = s;
    return 0;
}

int acd_kpi_set_remote(acd_kpi_t *k, const char *site, const acd_kpi_remote_t *r, acd_ms_t now)
{
    if (!k || !r || !kpi_name_ok(site, true))
        return -EINVAL;
    int rc = kpi_remote_check(r);
    if (rc < 0)
        return rc;
    bool found;
    size_t pos = acd__kpi_vec_find(&k->sites, site, &found);
    if (!found && k->sites.n >= ACD_KPI_REMOTE_SITES_MAX)
        return -EINVAL;
    if (!found && acd__kpi_vec_reserve(&k->sites, 1) < 0)
        return -ENOMEM;
    acd__kpi_site_t *s;
    rc = kpi_site_make(site, r, now, &s);
    if (rc < 0)
        return rc;
    if (found) {
        kpi_site_free(k->sites.v[pos]);
        k->sites.v[pos] = s;
    } else {
        acd__kpi_vec_insert(&k->sites, pos, s);
    }
    return 0;
}

void acd_kpi_foreach_site(const acd_kpi_t *k, void (*cb)(void *ud, const acd_kpi_site_t *s),
                          void *ud)
{
    for (size_t i = 0; k && cb && i < k->sites.n; i++) {
        const acd__kpi_site_t *s = k->sites.v[i];
        acd_kpi_site_t v = {.site = s->name, .at = s->at, .report = &s->report};
        cb(ud, &v);
    }
}

void acd_kpi_counts_add(acd_kpi_counts_t *a, const acd_kpi_counts_t *b)
{
    a->offered += b->offered;
    a->answered += b->answered;
    a->answered_in_sl += b->answered_in_sl;
    a->abandoned += b->abandoned;
    a->abandoned_short += b->abandoned_short;
    for (size_t i = 0; i < ACD_KPI_BUCKETS; i++)
        a->abandoned_bucket[i] += b->abandoned_bucket[i];
    a->overflowed += b->overflowed;
    a->delivered += b->delivered;
    a->handled += b->handled;
    a->answer_wait_ms += b->answer_wait_ms;
    a->abandon_wait_ms += b->abandon_wait_ms;
    a->talk_ms += b->talk_ms;
    a->wrapup_ms += b->wrapup_ms;
}

/* Adds one site's reading of a queue into the sum; gauges only when fresh. */
static void kpi_sum_add(acd_kpi_queue_t *sum, const acd_kpi_queue_t *q, bool gauges)
{
    acd_kpi_counts_add(&sum->counts, &q->counts);
    if (!gauges)
        return;
    sum->arrivals += q->arrivals;
    if (q->window_ms > sum->window_ms)
        sum->window_ms = q->window_ms;
    sum->waiting += q->waiting;
    if (q->longest_wait_ms > sum->longest_wait_ms)
        sum->longest_wait_ms = q->longest_wait_ms;
}

/* Takes q's name, tenant and settings into sum when sum has none yet. */
static void kpi_sum_settings(acd_kpi_queue_t *sum, const acd_kpi_queue_t *q)
{
    if (sum->queue)
        return;
    sum->queue = q->queue;
    sum->tenant = q->tenant;
    sum->sl_threshold_ms = q->sl_threshold_ms;
    sum->sl_target_pct = q->sl_target_pct;
    sum->short_abandon_ms = q->short_abandon_ms;
}

/*
 * A merge over the sorted queue lists of this site (cursor 0) and each peer (cursor
 * 1 + i): each round takes the smallest name any cursor is at and sums every list that
 * holds it, so nothing is allocated.
 */
void acd_kpi_foreach_cluster_queue(const acd_kpi_t *k, const acd_core_t *core, acd_ms_t now,
                                   void (*cb)(void *ud, const acd_kpi_queue_t *q), void *ud)
{
    if (!k || !cb)
        return;
    size_t at[1 + ACD_KPI_REMOTE_SITES_MAX] = {0};
    size_t n_lists = 1 + k->sites.n;
    for (;;) {
        const char *name = NULL;
        if (at[0] < k->queues.n)
            name = ((const acd__kpi_queue_t *)k->queues.v[at[0]])->name;
        for (size_t i = 1; i < n_lists; i++) {
            const acd__kpi_site_t *s = k->sites.v[i - 1];
            if (at[i] < s->report.n_queues &&
                (!name || strcmp(s->qs[at[i]].queue, name) < 0))
                name = s->qs[at[i]].queue;
        }
        if (!name)
            return;
        acd_kpi_queue_t sum = {0}, local;
        if (at[0] < k->queues.n &&
            strcmp(((const acd__kpi_queue_t *)k->queues.v[at[0]])->name, name) == 0) {
            acd__kpi_queue_read(k, k->queues.v[at[0]++], core, now, &local);
            kpi_sum_settings(&sum, &local);
            kpi_sum_add(&sum, &local, true);
        }
        for (size_t i = 1; i < n_lists; i++) {
            const acd__kpi_site_t *s = k->sites.v[i - 1];
            if (at[i] >= s->report.n_queues || strcmp(s->qs[at[i]].queue, name) != 0)
                continue;
            kpi_sum_settings(&sum, &s->qs[at[i]]);
            kpi_sum_add(&sum, &s->qs[at[i]], now - s->at <= ACD_KPI_REMOTE_STALE_MS);
            at[i]++;
        }
        cb(ud, &sum);
    }
}

void acd_kpi_cluster_time(const acd_kpi_t *k, acd_ms_t now, int64_t *handling_ms,
                          int64_t *idle_ms)
{
    int64_t h = 0, idle = 0;
    acd_kpi_site_time(k, now, &h, &idle);
    for (size_t i = 0; k && i < k->sites.n; i++) {
        const acd__kpi_site_t *s = k->sites.v[i];
        h += s->report.handling_ms;
        idle += s->report.idle_ms;
    }
    if (handling_ms)
        *handling_ms = h;
    if (idle_ms)
        *idle_ms = idle;
}

/* ---- derived figures ---- */

static double kpi_ratio(double num, double den)
{
    return den > 0 ? num / den : (double)NAN;
}

void acd_kpi_figures(const acd_kpi_queue_t *q, acd_kpi_figures_t *f)
{
    const acd_kpi_counts_t *c = &q->counts;
    uint64_t short_ab = c->abandoned_short < c->abandoned ? c->abandoned_short : c->abandoned;
    f->service_level = kpi_ratio((double)c->answered_in_sl,
                                 (double)c->answered + (double)(c->abandoned - short_ab));
    f->sl_target = q->sl_target_pct / 100.0;
    f->asa_s = kpi_ratio((double)c->answer_wait_ms / 1000.0, (double)c->answered);
    f->aht_s = kpi_ratio((double)(c->talk_ms + c->wrapup_ms) / 1000.0, (double)c->handled);
    f->abandon_rate = kpi_ratio((double)c->abandoned, (double)c->offered);
    f->arrival_rate = kpi_ratio((double)q->arrivals, (double)q->window_ms / 1000.0);
}

double acd_kpi_occupancy(int64_t handling_ms, int64_t idle_ms)
{
    return kpi_ratio((double)handling_ms, (double)handling_ms + (double)idle_ms);
}

void acd_kpi_agent_time(const acd_kpi_agent_t *a, int64_t *handling_ms, int64_t *idle_ms)
{
    if (handling_ms)
        *handling_ms = a->state_ms[ACD_AGENT_RINGING] + a->state_ms[ACD_AGENT_ON_CALL] +
                       a->state_ms[ACD_AGENT_WRAPUP];
    if (idle_ms)
        *idle_ms = a->state_ms[ACD_AGENT_AVAILABLE];
}
