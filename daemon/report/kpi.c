/* kpi.c - KPI counters: what the core's events and actions count, per queue and agent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/kpi_int.h"

const int acd_kpi_bucket_bound_s[ACD_KPI_BOUNDS] = {10, 20, 30, 60, 90, 120};

/* ---- the sorted pointer array ---- */

size_t acd__kpi_vec_find(const acd__kpi_vec_t *vec, const char *name, bool *found)
{
    size_t lo = 0, hi = vec->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp((const char *)vec->v[mid], name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

int acd__kpi_vec_reserve(acd__kpi_vec_t *vec, size_t extra)
{
    if (vec->n + extra <= vec->cap)
        return 0;
    size_t cap = vec->cap ? vec->cap : 8;
    while (cap < vec->n + extra)
        cap *= 2;
    void **v = realloc(vec->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    vec->v = v;
    vec->cap = cap;
    return 0;
}

void acd__kpi_vec_insert(acd__kpi_vec_t *vec, size_t pos, void *p)
{
    memmove(&vec->v[pos + 1], &vec->v[pos], (vec->n - pos) * sizeof(*vec->v));
    vec->v[pos] = p;
    vec->n++;
}

static void kpi_vec_free(acd__kpi_vec_t *vec)
{
    for (size_t i = 0; i < vec->n; i++)
        free(vec->v[i]);
    free(vec->v);
    *vec = (acd__kpi_vec_t){0};
}

/* Copies src into dst (size n), truncated and always terminated. */
static void kpi_copy(char *dst, size_t n, const char *src)
{
    size_t len = src ? strnlen(src, n - 1) : 0;
    memcpy(dst, src ? src : "", len);
    dst[len] = '\0';
}

/* ---- lifecycle and settings ---- */

int acd_kpi_alloc(acd_kpi_t **kp)
{
    if (!kp)
        return -EINVAL;
    acd_kpi_t *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    *kp = k;
    return 0;
}

void acd_kpi_free(acd_kpi_t *k)
{
    if (!k)
        return;
    kpi_vec_free(&k->queues);
    kpi_vec_free(&k->agents);
    acd__kpi_sites_free(k);
    free(k);
}

static void kpi_queue_defaults(acd__kpi_queue_t *q)
{
    q->sl_threshold_ms = ACD_KPI_SL_THRESHOLD_MS;
    q->sl_target_pct = ACD_KPI_SL_TARGET_PCT;
    q->short_abandon_ms = 0;
}

/* The queue named name, created (with the defaults and tenant) when new; NULL: -ENOMEM. */
static acd__kpi_queue_t *kpi_queue_get(acd_kpi_t *k, const char *name, const char *tenant)
{
    bool found;
    size_t pos = acd__kpi_vec_find(&k->queues, name, &found);
    if (found) {
        acd__kpi_queue_t *q = k->queues.v[pos];
        if (!q->tenant[0] && tenant)
            kpi_copy(q->tenant, sizeof(q->tenant), tenant);
        return q;
    }
    acd__kpi_queue_t *q = calloc(1, sizeof(*q));
    if (!q || acd__kpi_vec_reserve(&k->queues, 1) < 0) {
        free(q);
        return NULL;
    }
    kpi_copy(q->name, sizeof(q->name), name);
    kpi_copy(q->tenant, sizeof(q->tenant), tenant);
    kpi_queue_defaults(q);
    acd__kpi_vec_insert(&k->queues, pos, q);
    return q;
}

static int kpi_cfg_check(const acd_kpi_queue_cfg_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!q[i].queue || !q[i].queue[0] || strlen(q[i].queue) >= ACD_ID_MAX ||
            (q[i].tenant && strlen(q[i].tenant) >= ACD_ID_MAX) || q[i].sl_threshold_ms <= 0 ||
            q[i].sl_target_pct < 1 || q[i].sl_target_pct > 100 || q[i].short_abandon_ms < 0)
            return -EINVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(q[i].queue, q[j].queue) == 0)
                return -EINVAL;
    }
    return 0;
}

int acd_kpi_configure(acd_kpi_t *k, const acd_kpi_queue_cfg_t *q, size_t n)
{
    if (!k || (n && !q))
        return -EINVAL;
    int rc = kpi_cfg_check(q, n);
    if (rc < 0)
        return rc;
    /* Allocate every new queue first, so that a failure leaves the settings as they were. */
    if (acd__kpi_vec_reserve(&k->queues, n) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!kpi_queue_get(k, q[i].queue, q[i].tenant))
            return -ENOMEM; /* the queues made so far are empty: nothing counted changed */
    for (size_t i = 0; i < k->queues.n; i++)
        kpi_queue_defaults(k->queues.v[i]);
    for (size_t i = 0; i < n; i++) {
        acd__kpi_queue_t *kq = kpi_queue_get(k, q[i].queue, NULL);
        if (q[i].tenant && q[i].tenant[0])
            kpi_copy(kq->tenant, sizeof(kq->tenant), q[i].tenant);
        kq->sl_threshold_ms = q[i].sl_threshold_ms;
        kq->sl_target_pct = q[i].sl_target_pct;
        kq->short_abandon_ms = q[i].short_abandon_ms;
    }
    return 0;
}

/* ---- counting ---- */

static int64_t kpi_minute(acd_ms_t now)
{
    return now >= 0 ? now / 60000 : 0;
}

static void kpi_offered(acd__kpi_queue_t *q, acd_ms_t now)
{
    int64_t min = kpi_minute(now);
    size_t i = (size_t)(min % ACD_KPI_WINDOW_MIN);
    if (q->slot_min[i] != min) {
        q->slot_min[i] = min;
        q->slot[i] = 0;
    }
    q->slot[i]++;
    q->counts.offered++;
}

static const acd_action_t *kpi_find_act(const acd_actions_t *acts, acd_action_type_t type,
                                        const char *call_id)
{
    for (size_t i = 0; i < acts->n; i++)
        if (acts->v[i].type == type && strcmp(acts->v[i].call_id, call_id) == 0)
            return &acts->v[i];
    return NULL;
}

/*
 * CALL_ARRIVE accepted: offered in the queue the call entered first - the one it
 * overflowed out of at once when a rule moved it, else the one it waits in (the core's
 * view), else the one its CDR names (it left at once). A call taking back a failed
 * call's place, or with a delivery, is not offered.
 */
static int kpi_arrive(acd_kpi_t *k, const acd_core_t *core, const acd_event_t *ev,
                      const acd_actions_t *acts, acd_ms_t now)
{
    const acd_action_t *ov = kpi_find_act(acts, ACD_ACT_OVERFLOW, ev->call_id);
    const acd_action_t *cdr = kpi_find_act(acts, ACD_ACT_CDR, ev->call_id);
    acd_call_view_t v;
    const char *queue, *tenant, *restored;
    if (core && acd_core_call(core, ev->call_id, &v) == 0) {
        queue = v.queue, tenant = v.tenant, restored = v.restored_from;
    } else if (cdr) {
        queue = cdr->cdr.queue, tenant = cdr->cdr.tenant, restored = cdr->cdr.restored_from;
    } else {
        return 0; /* refused after all, or gone without a trace: nothing entered */
    }
    if (restored[0] || ev->delivery[0])
        return 0;
    if (ov)
        queue = ov->queue;
    acd__kpi_queue_t *q = kpi_queue_get(k, queue, tenant);
    if (!q)
        return -ENOMEM;
    kpi_offered(q, now);
    return 0;
}

/* The agent id counted here, created (in state st since now) when new; NULL: -ENOMEM. */
static acd__kpi_agent_t *kpi_agent_get(acd_kpi_t *k, const char *id, acd_agent_state_t st,
                                       acd_ms_t now)
{
    bool found;
    size_t pos = acd__kpi_vec_find(&k->agents, id, &found);
    if (found)
        return k->agents.v[pos];
    acd__kpi_agent_t *a = calloc(1, sizeof(*a));
    if (!a || acd__kpi_vec_reserve(&k->agents, 1) < 0) {
        free(a);
        return NULL;
    }
    kpi_copy(a->id, sizeof(a->id), id);
    a->state = st;
    a->since = now;
    acd__kpi_vec_insert(&k->agents, pos, a);
    return a;
}

static acd__kpi_agent_t *kpi_agent_find(const acd_kpi_t *k, const char *id)
{
    bool found;
    size_t pos = acd__kpi_vec_find(&k->agents, id, &found);
    return found ? k->agents.v[pos] : NULL;
}

/* CONNECT: answered (or delivered) with the wait so far; the local agent's wrap-up
 * will belong to this queue. */
static int kpi_connect(acd_kpi_t *k, const acd_core_t *core, const acd_action_t *act,
                       acd_ms_t now)
{
    acd_call_view_t v;
    if (!core || acd_core_call(core, act->call_id, &v) < 0)
        return 0;
    acd__kpi_queue_t *q = kpi_queue_get(k, v.queue, v.tenant);
    if (!q)
        return -ENOMEM;
    acd__kpi_agent_t *a = act->agent_site[0] ? NULL : kpi_agent_find(k, act->agent_id);
    if (v.delivery[0]) {
        q->counts.delivered++;
        if (a)
            a->queue[0] = '\0';
        return 0;
    }
    int64_t wait = (v.answer_ms > 0 ? v.answer_ms : now) - v.enqueue_ms;
    wait = wait > 0 ? wait : 0;
    q->counts.answered++;
    q->counts.answer_wait_ms += (uint64_t)wait;
    if (wait <= q->sl_threshold_ms)
        q->counts.answered_in_sl++;
    if (a)
        kpi_copy(a->queue, sizeof(a->queue), v.queue);
    return 0;
}

static size_t kpi_bucket(int64_t wait_ms)
{
    size_t i = 0;
    while (i < ACD_KPI_BOUNDS && wait_ms > (int64_t)acd_kpi_bucket_bound_s[i] * 1000)
        i++;
    return i;
}

/* CDR: handled (answered calls ending here) or abandoned, by the record's wait. */
static int kpi_cdr(acd_kpi_t *k, const acd_cdr_t *cdr)
{
    if (cdr->delivery[0] ||
        (cdr->disposition != ACD_DISP_ANSWERED && cdr->disposition != ACD_DISP_ABANDONED))
        return 0;
    acd__kpi_queue_t *q = kpi_queue_get(k, cdr->queue, cdr->tenant);
    if (!q)
        return -ENOMEM;
    int64_t wait = cdr->wait_ms > 0 ? cdr->wait_ms : 0;
    if (cdr->disposition == ACD_DISP_ANSWERED) {
        q->counts.handled++;
        q->counts.talk_ms += (uint64_t)(cdr->talk_ms > 0 ? cdr->talk_ms : 0);
        return 0;
    }
    q->counts.abandoned++;
    q->counts.abandon_wait_ms += (uint64_t)wait;
    q->counts.abandoned_bucket[kpi_bucket(wait)]++;
    if (wait < q->short_abandon_ms)
        q->counts.abandoned_short++;
    return 0;
}

/* OVERFLOW: counted in the queue left; a move into another queue is offered there. */
static int kpi_overflow(acd_kpi_t *k, const acd_core_t *core, const acd_action_t *act,
                        acd_ms_t now)
{
    acd__kpi_queue_t *from = kpi_queue_get(k, act->queue, NULL);
    if (!from)
        return -ENOMEM;
    from->counts.overflowed++;
    static const char prefix[] = "queue:";
    if (strncmp(act->target, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    acd_call_view_t v;
    if (!core || acd_core_call(core, act->call_id, &v) < 0 || v.delivery[0])
        return 0;
    acd__kpi_queue_t *to = kpi_queue_get(k, act->target + sizeof(prefix) - 1, v.tenant);
    if (!to)
        return -ENOMEM;
    kpi_offered(to, now);
    return 0;
}

/* AGENT_STATE: the time since the agent's last change goes to the state it was in (as
 * counted here: a change the counters missed is folded into the one before it). */
static int kpi_agent_state(acd_kpi_t *k, const acd_action_t *act, acd_ms_t now)
{
    acd__kpi_agent_t *a = kpi_agent_get(k, act->agent_id, act->old_state, now);
    if (!a)
        return -ENOMEM;
    int64_t spent = now > a->since ? now - a->since : 0;
    a->state_ms[a->state] += spent;
    if (a->state == ACD_AGENT_WRAPUP && a->queue[0]) {
        acd__kpi_queue_t *q = kpi_queue_get(k, a->queue, NULL);
        if (!q)
            return -ENOMEM;
        q->counts.wrapup_ms += (uint64_t)spent;
    }
    if (a->state == ACD_AGENT_WRAPUP || act->new_state == ACD_AGENT_LOGGED_OUT)
        a->queue[0] = '\0';
    a->state = act->new_state;
    a->since = now;
    return 0;
}

/* REMOTE_RESERVE accepted: this site's agent rings for another site's call of ev->queue,
 * whose wrap-up (if it comes to that) is counted here. */
static void kpi_reserve(acd_kpi_t *k, const acd_event_t *ev, const acd_actions_t *acts)
{
    for (size_t i = 0; i < acts->n; i++) {
        const acd_action_t *a = &acts->v[i];
        if (a->type != ACD_ACT_OFFER_ACCEPT || strcmp(a->agent_id, ev->agent_id) != 0)
            continue;
        acd__kpi_agent_t *ag = kpi_agent_find(k, ev->agent_id);
        if (ag)
            kpi_copy(ag->queue, sizeof(ag->queue), ev->queue);
    }
}

int acd_kpi_observe(acd_kpi_t *k, const acd_core_t *core, const acd_event_t *ev, int rc,
                    const acd_actions_t *acts, acd_ms_t now)
{
    if (!k || !acts)
        return -EINVAL;
    if (!k->started) {
        k->started = true;
        k->start_ms = now;
    }
    int err = 0;
    if (ev && rc == 0 && ev->type == ACD_EV_CALL_ARRIVE && kpi_arrive(k, core, ev, acts, now) < 0)
        err = -ENOMEM;
    /* The agent changes first: the reservation's OFFER_ACCEPT follows its state change. */
    for (size_t i = 0; i < acts->n; i++) {
        const acd_action_t *a = &acts->v[i];
        int r = 0;
        switch (a->type) {
        case ACD_ACT_CONNECT:
            r = kpi_connect(k, core, a, now);
            break;
        case ACD_ACT_CDR:
            r = kpi_cdr(k, &a->cdr);
            break;
        case ACD_ACT_OVERFLOW:
            r = kpi_overflow(k, core, a, now);
            break;
        case ACD_ACT_AGENT_STATE:
            r = kpi_agent_state(k, a, now);
            break;
        default:
            break;
        }
        if (r < 0)
            err = r;
    }
    if (ev && rc == 0 && ev->type == ACD_EV_REMOTE_RESERVE)
        kpi_reserve(k, ev, acts);
    return err;
}

/* ---- reading ---- */

static uint64_t kpi_arrivals(const acd__kpi_queue_t *q, acd_ms_t now)
{
    int64_t cur = kpi_minute(now);
    uint64_t sum = 0;
    for (size_t i = 0; i < ACD_KPI_WINDOW_MIN; i++)
        if (q->slot_min[i] > cur - ACD_KPI_WINDOW_MIN && q->slot_min[i] <= cur)
            sum += q->slot[i];
    return sum;
}

void acd__kpi_queue_read(const acd_kpi_t *k, const acd__kpi_queue_t *q, const acd_core_t *core,
                         acd_ms_t now, acd_kpi_queue_t *out)
{
    *out = (acd_kpi_queue_t){
        .queue = q->name,
        .tenant = q->tenant,
        .sl_threshold_ms = q->sl_threshold_ms,
        .sl_target_pct = q->sl_target_pct,
        .short_abandon_ms = q->short_abandon_ms,
        .counts = q->counts,
        .arrivals = kpi_arrivals(q, now),
    };
    /* The window's oldest slot began (WINDOW_MIN - 1) minutes before the current one. */
    acd_ms_t from = (kpi_minute(now) - (ACD_KPI_WINDOW_MIN - 1)) * 60000;
    if (k->started && k->start_ms > from)
        from = k->start_ms;
    out->window_ms = k->started && now > from ? now - from : 0;
    acd_queue_stats_t st;
    if (core && acd_core_queue_stats(core, q->name, now, &st) == 0) {
        out->waiting = (uint32_t)st.waiting;
        out->longest_wait_ms = st.longest_wait_ms;
    }
}

void acd_kpi_foreach_queue(const acd_kpi_t *k, const acd_core_t *core, acd_ms_t now,
                           void (*cb)(void *ud, const acd_kpi_queue_t *q), void *ud)
{
    for (size_t i = 0; k && cb && i < k->queues.n; i++) {
        acd_kpi_queue_t q;
        acd__kpi_queue_read(k, k->queues.v[i], core, now, &q);
        cb(ud, &q);
    }
}

int acd_kpi_queue(const acd_kpi_t *k, const acd_core_t *core, const char *queue, acd_ms_t now,
                  acd_kpi_queue_t *out)
{
    if (!k || !queue || !out)
        return -EINVAL;
    bool found;
    size_t pos = acd__kpi_vec_find(&k->queues, queue, &found);
    if (!found)
        return -ENOENT;
    acd__kpi_queue_read(k, k->queues.v[pos], core, now, out);
    return 0;
}

static void kpi_agent_read(const acd__kpi_agent_t *a, acd_ms_t now, acd_kpi_agent_t *out)
{
    out->id = a->id;
    out->state = a->state;
    out->since = a->since;
    memcpy(out->state_ms, a->state_ms, sizeof(out->state_ms));
    if (now > a->since)
        out->state_ms[a->state] += now - a->since;
}

void acd_kpi_foreach_agent(const acd_kpi_t *k, acd_ms_t now,
                           void (*cb)(void *ud, const acd_kpi_agent_t *a), void *ud)
{
    for (size_t i = 0; k && cb && i < k->agents.n; i++) {
        acd_kpi_agent_t a;
        kpi_agent_read(k->agents.v[i], now, &a);
        cb(ud, &a);
    }
}

void acd_kpi_site_time(const acd_kpi_t *k, acd_ms_t now, int64_t *handling_ms, int64_t *idle_ms)
{
    int64_t h = 0, idle = 0;
    for (size_t i = 0; k && i < k->agents.n; i++) {
        acd_kpi_agent_t a;
        int64_t ah, ai;
        kpi_agent_read(k->agents.v[i], now, &a);
        acd_kpi_agent_time(&a, &ah, &ai);
        h += ah;
        idle += ai;
    }
    if (handling_ms)
        *handling_ms = h;
    if (idle_ms)
        *idle_ms = idle;
}
