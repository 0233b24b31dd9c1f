/* member_kpi.c - the site's KPI counters out in its heartbeats, and the peers' in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/member_int.h"
#include "util/err.h"
#include "util/log.h"

/* KPI numbers stay below 2^53 (wire.c refuses more): clamped here so that a heartbeat,
 * which carries liveness, is never refused for its figures. */
#define MEMBER_KPI_MAX ((uint64_t)1 << 53)

static uint64_t kpi_clamp(uint64_t v, uint64_t max)
{
    return v < max ? v : max;
}

/* One queue's QueueKpi with the bucket array it points at. */
typedef struct member_kpi_slot {
    Acd__V1__QueueKpi q;
    uint64_t buckets[ACD_KPI_BUCKETS];
} member_kpi_slot_t;

typedef struct member_kpi_fill {
    acd__member_kpi_out_t *out;
    int err;
} member_kpi_fill_t;

static void kpi_fill_one(void *ud, const acd_kpi_queue_t *kq)
{
    member_kpi_fill_t *f = ud;
    acd__member_kpi_out_t *o = f->out;
    if (f->err || o->n >= ACD_KPI_REMOTE_QUEUES_MAX)
        return;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        member_kpi_slot_t *s = realloc(o->slots, cap * sizeof(*s));
        Acd__V1__QueueKpi **p = realloc(o->ptrs, cap * sizeof(*p));
        if (s)
            o->slots = s;
        if (p)
            o->ptrs = p;
        if (!s || !p) {
            f->err = -ENOMEM;
            return;
        }
        o->cap = cap;
    }
    member_kpi_slot_t *s = &o->slots[o->n];
    const acd_kpi_counts_t *c = &kq->counts;
    Acd__V1__QueueKpi q = ACD__V1__QUEUE_KPI__INIT;
    q.queue = (char *)kq->queue;
    q.tenant = (char *)kq->tenant;
    q.sl_threshold_ms = (uint32_t)(kq->sl_threshold_ms > 0 ? kq->sl_threshold_ms : 0);
    q.sl_target_pct = (uint32_t)(kq->sl_target_pct > 0 ? kq->sl_target_pct : 0);
    q.short_abandon_ms = (uint32_t)(kq->short_abandon_ms > 0 ? kq->short_abandon_ms : 0);
    q.offered = kpi_clamp(c->offered, MEMBER_KPI_MAX);
    q.answered = kpi_clamp(c->answered, MEMBER_KPI_MAX);
    q.answered_in_sl = kpi_clamp(c->answered_in_sl, q.answered);
    q.overflowed = kpi_clamp(c->overflowed, MEMBER_KPI_MAX);
    q.delivered = kpi_clamp(c->delivered, MEMBER_KPI_MAX);
    q.handled = kpi_clamp(c->handled, MEMBER_KPI_MAX);
    q.answer_wait_ms = kpi_clamp(c->answer_wait_ms, MEMBER_KPI_MAX);
    q.abandon_wait_ms = kpi_clamp(c->abandon_wait_ms, MEMBER_KPI_MAX);
    q.talk_ms = kpi_clamp(c->talk_ms, MEMBER_KPI_MAX);
    q.wrapup_ms = kpi_clamp(c->wrapup_ms, MEMBER_KPI_MAX);
    q.arrivals = kpi_clamp(kq->arrivals, MEMBER_KPI_MAX);
    q.window_ms = kpi_clamp(kq->window_ms > 0 ? (uint64_t)kq->window_ms : 0,
                            (uint64_t)ACD_KPI_WINDOW_MS);
    q.waiting = kq->waiting;
    q.longest_wait_ms =
        kpi_clamp(kq->longest_wait_ms > 0 ? (uint64_t)kq->longest_wait_ms : 0, MEMBER_KPI_MAX);
    /* abandoned is the buckets' sum, as the wire check wants it. */
    uint64_t sum = 0;
    for (size_t i = 0; i < ACD_KPI_BUCKETS; i++) {
        s->buckets[i] = kpi_clamp(c->abandoned_bucket[i], MEMBER_KPI_MAX / 8);
        sum += s->buckets[i];
    }
    q.abandoned = sum;
    q.abandoned_short = kpi_clamp(c->abandoned_short, sum);
    q.n_abandoned_bucket = sum ? ACD_KPI_BUCKETS : 0; /* the pointer is set once grown */
    s->q = q;
    o->n++;
}

void acd__member_kpi_fill(acd_member_t *m, Acd__V1__Heartbeat *hb, acd__member_kpi_out_t *out)
{
    acd_kpi_t *k = m->ops.kpi ? m->ops.kpi(m->ud) : NULL;
    if (!k)
        return;
    acd_ms_t now = acd__member_now();
    member_kpi_fill_t f = {.out = out};
    acd_kpi_foreach_queue(k, m->ops.core(m->ud), now, kpi_fill_one, &f);
    if (f.err) {
        acd_log_warn("ACD-MEMBER-KPI-NOMEM", "queues=%zu the heartbeat goes without KPI", out->n);
        out->n = 0;
    }
    /* The array may have moved while it grew: point into the slots only now. */
    for (size_t i = 0; i < out->n; i++) {
        out->ptrs[i] = &out->slots[i].q;
        if (out->slots[i].q.n_abandoned_bucket)
            out->slots[i].q.abandoned_bucket = out->slots[i].buckets;
    }
    hb->n_queue_kpi = out->n;
    hb->queue_kpi = out->n ? out->ptrs : NULL;
    int64_t handling = 0, idle = 0;
    acd_kpi_site_time(k, now, &handling, &idle);
    hb->agent_handling_ms = kpi_clamp(handling > 0 ? (uint64_t)handling : 0, MEMBER_KPI_MAX);
    hb->agent_idle_ms = kpi_clamp(idle > 0 ? (uint64_t)idle : 0, MEMBER_KPI_MAX);
}

void acd__member_kpi_out_fini(acd__member_kpi_out_t *out)
{
    free(out->slots);
    free(out->ptrs);
    *out = (acd__member_kpi_out_t){0};
}

/* ---- in ---- */

static void kpi_from_wire(const Acd__V1__QueueKpi *w, acd_kpi_queue_t *q)
{
    acd_kpi_counts_t c = {
        .offered = w->offered,
        .answered = w->answered,
        .answered_in_sl = w->answered_in_sl,
        .abandoned = w->abandoned,
        .abandoned_short = w->abandoned_short,
        .overflowed = w->overflowed,
        .delivered = w->delivered,
        .handled = w->handled,
        .answer_wait_ms = w->answer_wait_ms,
        .abandon_wait_ms = w->abandon_wait_ms,
        .talk_ms = w->talk_ms,
        .wrapup_ms = w->wrapup_ms,
    };
    for (size_t i = 0; i < w->n_abandoned_bucket && i < ACD_KPI_BUCKETS; i++)
        c.abandoned_bucket[i] = w->abandoned_bucket[i];
    /* The wire check bounds every number below 2^53: the conversions are exact. */
    *q = (acd_kpi_queue_t){
        .queue = w->queue,
        .tenant = w->tenant ? w->tenant : "",
        .sl_threshold_ms = (int)kpi_clamp(w->sl_threshold_ms, INT32_MAX),
        .sl_target_pct = (int)w->sl_target_pct,
        .short_abandon_ms = (int)kpi_clamp(w->short_abandon_ms, INT32_MAX),
        .counts = c,
        .arrivals = w->arrivals,
        .window_ms = (int64_t)w->window_ms,
        .waiting = w->waiting,
        .longest_wait_ms = (int64_t)w->longest_wait_ms,
    };
}

void acd__member_kpi_heard(void *ud, const char *origin, const Acd__V1__Heartbeat *h)
{
    acd_member_t *m = ud;
    acd_kpi_t *k = m->ops.kpi ? m->ops.kpi(m->ud) : NULL;
    if (!k)
        return;
    acd_kpi_queue_t *qs = h->n_queue_kpi ? calloc(h->n_queue_kpi, sizeof(*qs)) : NULL;
    if (h->n_queue_kpi && !qs) {
        acd_log_warn("ACD-MEMBER-KPI-NOMEM", "peer=%s its KPI report is not taken", origin);
        return;
    }
    for (size_t i = 0; i < h->n_queue_kpi; i++)
        kpi_from_wire(h->queue_kpi[i], &qs[i]);
    acd_kpi_remote_t r = {.queues = qs,
                          .n_queues = h->n_queue_kpi,
                          .handling_ms = (int64_t)h->agent_handling_ms,
                          .idle_ms = (int64_t)h->agent_idle_ms};
    int rc = acd_kpi_set_remote(k, origin, &r, acd__member_now());
    if (rc < 0)
        acd_log_warn("ACD-MEMBER-KPI-REFUSED", "peer=%s queues=%zu err=%s", origin,
                     h->n_queue_kpi, acd_errname(rc));
    free(qs);
}
