/* priority.c - a new call's priority: IVR, queue default, VIP callers, redials after an abandon. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/*
 * A caller who hung up while waiting and calls again soon is likely to be the same
 * customer still wanting help; answering them sooner is what keeps abandons from
 * compounding. The core remembers, per tenant and caller number, the last abandon (its
 * own, ACD_DISP_ABANDONED, and other sites', ABANDON_NOTE) for the tenant's abandon
 * window; a new call of that caller within the window gets the redial priority and uses
 * the memory up. Memory is bounded: ACD_ABANDON_MAX entries, the oldest forgotten first.
 */

#define PRIORITY_VIP_DEFAULT 10
#define PRIORITY_REDIAL_DEFAULT 5

typedef struct acd__abandon {
    acd_hmap_node_t node;          /* in c->abandons.by_key */
    acd_list_t link;               /* in c->abandons.order */
    char key[2 * ACD_ID_MAX];      /* node's key points here */
    acd_ms_t end_ms;
} acd__abandon_t;

void acd__abandons_init(acd__abandons_t *ab)
{
    memset(ab, 0, sizeof(*ab));
    acd_hmap_init(&ab->by_key);
    acd_list_init(&ab->order);
}

static void priority_drop(acd__abandons_t *ab, acd__abandon_t *e)
{
    acd_hmap_remove(&ab->by_key, &e->node);
    acd_list_remove(&e->link);
    ab->n--;
    free(e);
}

void acd__abandons_fini(acd__abandons_t *ab)
{
    while (!acd_list_empty(&ab->order))
        priority_drop(ab, acd_container_of(ab->order.next, acd__abandon_t, link));
    acd_hmap_fini(&ab->by_key);
}

static acd__abandon_t *priority_find(const acd_core_t *c, const char *tenant, const char *caller)
{
    char buf[2 * ACD_ID_MAX];
    acd_hmap_node_t *n = acd_hmap_get(&c->abandons.by_key, acd__caller_key(buf, tenant, caller));
    return n ? acd_container_of(n, acd__abandon_t, node) : NULL;
}

/* Links e into the end-time order: from the tail, as end times mostly grow. */
static void priority_link(acd__abandons_t *ab, acd__abandon_t *e)
{
    acd_list_t *pos = &ab->order;
    while (pos->prev != &ab->order &&
           acd_container_of(pos->prev, acd__abandon_t, link)->end_ms > e->end_ms)
        pos = pos->prev;
    acd_list_insert_before(pos, &e->link);
}

static const acd__tenant_t *priority_tenant(const acd_core_t *c, const char *name)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_name, acd_str_from(name));
    return n ? acd_container_of(n, acd__tenant_t, node) : NULL;
}

void acd__abandon_record(acd_core_t *c, const char *tenant, const char *caller, acd_ms_t at)
{
    const acd__tenant_t *t = priority_tenant(c, tenant);
    acd__abandons_t *ab = &c->abandons;
    if (!t || t->abandon_window_ms <= 0 || !acd__caller_identified(caller))
        return;
    acd__abandon_t *e = priority_find(c, tenant, caller);
    if (e) {
        if (at > e->end_ms) { /* the latest abandon counts */
            e->end_ms = at;
            acd_list_remove(&e->link);
            priority_link(ab, e);
        }
        return;
    }
    if (ab->n >= ACD_ABANDON_MAX) {
        acd__abandon_t *oldest = acd_container_of(ab->order.next, acd__abandon_t, link);
        if (oldest->end_ms >= at)
            return; /* older than anything kept: it would be the next to go */
        priority_drop(ab, oldest);
        ab->dropped++;
    }
    e = calloc(1, sizeof(*e));
    if (!e)
        return; /* a redial then gets no priority, nothing worse */
    e->end_ms = at;
    if (acd_hmap_insert(&ab->by_key, &e->node, acd__caller_key(e->key, tenant, caller)) < 0) {
        free(e);
        return;
    }
    priority_link(ab, e);
    ab->n++;
}

/*
 * ABANDON_NOTE: a caller of ev->tenant (or of the tenant answering ev->did) abandoned at
 * ev->end_ms (0: now) at another site. Remembered as the core's own abandons are. An
 * unknown tenant: ACD_ENOTENANT; no caller, or an end before ev->enqueue_ms: -EINVAL.
 */
int acd__abandon_note(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    const acd__tenant_t *t;
    if (ev->tenant[0]) {
        t = priority_tenant(c, ev->tenant);
    } else {
        acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_did, acd_str_from(ev->did));
        t = n ? acd_container_of(n, acd__did_t, node)->tenant : NULL;
    }
    if (!t)
        return ACD_ENOTENANT;
    acd_ms_t end = ev->end_ms > 0 ? ev->end_ms : now;
    if (!ev->caller[0] || (ev->enqueue_ms > 0 && ev->enqueue_ms > end))
        return -EINVAL;
    acd__abandon_record(c, t->name, ev->caller, end);
    return 0;
}

/* ---- VIPs ---- */

static int priority_vip_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool priority_vip(const acd__tenant_t *t, const char *caller)
{
    return t->n_vip && bsearch(caller, t->vip, t->n_vip, sizeof(*t->vip), priority_vip_cmp);
}

bool acd__tenant_priority_valid(const acd_core_tenant_cfg_t *t)
{
    if ((t->n_vip && !t->vip) || t->abandon_window_ms < 0)
        return false;
    for (size_t i = 0; i < t->n_vip; i++) {
        if (!t->vip[i] || !t->vip[i][0] || strlen(t->vip[i]) >= ACD_ID_MAX)
            return false;
    }
    return true;
}

int acd__tenants_vips_build(acd__tenants_t *t, const acd_core_cfg_t *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        n += cfg->tenants[i].n_vip;
    t->vips = calloc(n ? n : 1, sizeof(*t->vips));
    if (!t->vips)
        return -ENOMEM;
    t->n_vips = n;
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_core_tenant_cfg_t *tc = &cfg->tenants[i];
        acd__tenant_t *te = &t->v[i];
        te->vip = &t->vips[k];
        te->n_vip = tc->n_vip;
        for (size_t j = 0; j < tc->n_vip; j++)
            acd__core_copy(t->vips[k++], ACD_ID_MAX, tc->vip[j]);
        qsort(te->vip, te->n_vip, sizeof(*te->vip), priority_vip_cmp);
        te->vip_priority = tc->vip_priority ? tc->vip_priority : PRIORITY_VIP_DEFAULT;
        te->redial_priority = tc->redial_priority ? tc->redial_priority : PRIORITY_REDIAL_DEFAULT;
        te->abandon_window_ms = tc->abandon_window_ms;
    }
    return 0;
}

/* ---- a new call ---- */

void acd__priority_arrive(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now)
{
    const acd__tenant_t *t = priority_tenant(c, call->tenant);
    acd__abandon_t *ab = NULL;
    if (t && t->abandon_window_ms > 0 && acd__caller_identified(call->caller)) {
        ab = priority_find(c, t->name, call->caller);
        if (ab && now - ab->end_ms > t->abandon_window_ms) {
            priority_drop(&c->abandons, ab); /* too long ago: of no more use */
            ab = NULL;
        }
    }
    /* In order of precedence: of equal priorities, the first names the reason. */
    const struct {
        bool on;
        int priority;
        const char *reason;
    } from[] = {
        {t && priority_vip(t, call->caller), t ? t->vip_priority : 0, "vip"},
        {ab != NULL, t ? t->redial_priority : 0, "redial"},
        {ev->priority != 0, ev->priority, "ivr"},
        {true, call->queue->priority, call->queue->priority ? "queue" : ""},
    };
    int best = INT_MIN;
    const char *reason = "";
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        if (from[i].on && from[i].priority > best) {
            best = from[i].priority;
            reason = from[i].reason;
        }
    }
    /* A restored call keeps its ticket's priority when that is higher (restore.c). */
    if (call->restored_from[0] && call->priority > best) {
        best = call->priority;
        reason = "";
    }
    call->priority = best;
    acd__core_copy(call->priority_reason, sizeof(call->priority_reason), reason);
    if (ab)
        priority_drop(&c->abandons, ab); /* used up: one redial, one boost */
}

const char *acd__abandons_check(const acd_core_t *c)
{
    const acd__abandons_t *ab = &c->abandons;
    size_t n = 0;
    acd_ms_t last = INT64_MIN;
    for (const acd_list_t *l = ab->order.next; l != &ab->order; l = l->next) {
        const acd__abandon_t *e = acd_container_of(l, acd__abandon_t, link);
        if (e->end_ms < last)
            return "abandons out of end-time order";
        last = e->end_ms;
        n++;
    }
    if (n != ab->n || ab->by_key.count != n || n > ACD_ABANDON_MAX)
        return "abandon memory count wrong or over its bound";
    return NULL;
}
