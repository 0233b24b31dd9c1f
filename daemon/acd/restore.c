/* restore.c - restore on redial: a caller whose takeover failed gets its place back (ADR 0016). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/*
 * When a site goes dark its sister re-INVITEs each waiting caller; a caller that refuses
 * or never answers that re-INVITE loses the call, through no fault of its own. The core
 * then keeps a ticket {tenant, caller number, queue, priority, original enqueue time,
 * old call id} for the redial window. A new call of the same tenant and caller number
 * within the window waits where the old one would have: the queue orders by priority,
 * then enqueue time, so the same enqueue time puts it back in the same global place.
 *
 * Tickets are keyed "tenant\0caller" (the NUL keeps "ab"+"c" apart from "a"+"bc") and
 * listed by expiry, soonest first, which is also the victim when the table is full.
 * Tickets are this site's only: the redial reaches the sister because the anycast
 * address now routes there (ADR 0015).
 */

#define RESTORE_KEY_MAX (2 * ACD_ID_MAX)

typedef struct acd__ticket {
    acd_hmap_node_t node; /* in c->restore.by_key */
    acd_list_t link;      /* in c->restore.order */
    char key[RESTORE_KEY_MAX]; /* node's key points here */
    char tenant[ACD_ID_MAX];
    char caller[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
    char old_call_id[ACD_ID_MAX];
    int priority;
    acd_ms_t enqueue_ms;
    acd_ms_t expires_ms;
} acd__ticket_t;

/* Caller numbers that say the caller withheld its identity: they never match anyone. */
static const char *const restore_anonymous[] = {"anonymous", "unknown", "restricted", "private",
                                                "unavailable"};

static bool restore_identified(const char *caller)
{
    if (!caller || !caller[0])
        return false;
    for (size_t i = 0; i < sizeof(restore_anonymous) / sizeof(restore_anonymous[0]); i++)
        if (acd_str_ieqc(acd_str_from(caller), restore_anonymous[i]))
            return false;
    return true;
}

/* Writes the key of tenant and caller into buf; returns its slice. */
static acd_str_t restore_key(char buf[RESTORE_KEY_MAX], const char *tenant, const char *caller)
{
    size_t t = strnlen(tenant, ACD_ID_MAX - 1), n = strnlen(caller, ACD_ID_MAX - 1);
    memcpy(buf, tenant, t);
    buf[t] = '\0';
    memcpy(buf + t + 1, caller, n);
    return (acd_str_t){buf, t + 1 + n};
}

static acd__ticket_t *restore_find(const acd_core_t *c, const char *tenant, const char *caller)
{
    char buf[RESTORE_KEY_MAX];
    acd_hmap_node_t *n = acd_hmap_get(&c->restore.by_key, restore_key(buf, tenant, caller));
    return n ? acd_container_of(n, acd__ticket_t, node) : NULL;
}

static void restore_drop(acd__restore_t *r, acd__ticket_t *t)
{
    acd_hmap_remove(&r->by_key, &t->node);
    acd_list_remove(&t->link);
    r->n--;
    free(t);
}

/* Links t into the expiry order: from the tail, as expiries mostly grow. */
static void restore_link(acd__restore_t *r, acd__ticket_t *t)
{
    acd_list_t *pos = &r->order;
    while (pos->prev != &r->order &&
           acd_container_of(pos->prev, acd__ticket_t, link)->expires_ms > t->expires_ms)
        pos = pos->prev;
    acd_list_insert_before(pos, &t->link);
}

static acd__ticket_t *restore_first(const acd__restore_t *r)
{
    return acd_list_empty(&r->order) ? NULL : acd_container_of(r->order.next, acd__ticket_t, link);
}

void acd__restore_init(acd__restore_t *r)
{
    memset(r, 0, sizeof(*r));
    acd_hmap_init(&r->by_key);
    acd_list_init(&r->order);
}

void acd__restore_fini(acd__restore_t *r)
{
    acd__ticket_t *t;
    while ((t = restore_first(r)) != NULL)
        restore_drop(r, t);
    acd_hmap_fini(&r->by_key);
}

int acd_core_set_redial_window(acd_core_t *c, acd_ms_t window_ms)
{
    if (!c || window_ms < 0)
        return -EINVAL;
    acd__restore_t *r = &c->restore;
    r->window_ms = window_ms;
    acd__ticket_t *t;
    while (window_ms == 0 && (t = restore_first(r)) != NULL)
        restore_drop(r, t);
    return 0;
}

/* The better of two places: higher priority first, then the earlier enqueue time. */
static bool restore_place_before(int pa, acd_ms_t ea, int pb, acd_ms_t eb)
{
    return pa != pb ? pa > pb : ea < eb;
}

void acd__restore_record(acd_core_t *c, const acd__call_t *call, acd_ms_t now)
{
    acd__restore_t *r = &c->restore;
    if (r->window_ms == 0 || !restore_identified(call->caller))
        return;
    acd__ticket_t *t = restore_find(c, call->tenant, call->caller);
    bool fresh = t == NULL;
    if (!fresh) {
        /* The same caller lost two calls: it keeps the better place, for a full window. */
        acd_list_remove(&t->link);
    } else {
        if (r->n >= ACD_RESTORE_MAX) {
            restore_drop(r, restore_first(r));
            r->dropped++;
        }
        t = calloc(1, sizeof(*t));
        if (!t)
            return; /* the call fails as it would without restore */
        acd__core_copy(t->tenant, sizeof(t->tenant), call->tenant);
        acd__core_copy(t->caller, sizeof(t->caller), call->caller);
        if (acd_hmap_insert(&r->by_key, &t->node, restore_key(t->key, t->tenant, t->caller)) < 0) {
            free(t);
            return;
        }
        r->n++;
    }
    if (fresh || restore_place_before(call->priority, call->enqueue_ms, t->priority, t->enqueue_ms)) {
        acd__core_copy(t->queue, sizeof(t->queue), call->queue->name);
        acd__core_copy(t->old_call_id, sizeof(t->old_call_id), call->id);
        t->priority = call->priority;
        t->enqueue_ms = call->enqueue_ms;
    }
    t->expires_ms = now + r->window_ms;
    restore_link(r, t);
}

int acd__restore_arrive(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd__call_t **out)
{
    if (c->restore.n == 0 || !restore_identified(ev->caller))
        return 0;
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_did, acd_str_from(ev->did));
    if (!n)
        return 0; /* acd__call_create refuses it */
    const acd__tenant_t *tenant = acd_container_of(n, acd__did_t, node)->tenant;
    acd__ticket_t *t = restore_find(c, tenant->name, ev->caller);
    if (!t || t->expires_ms <= now)
        return 0;
    n = acd_hmap_get(&c->queues, acd_str_from(t->queue));
    const acd__queue_t *q = n ? acd_container_of(n, acd__queue_t, node) : NULL;
    if (!q || q->removed || strcmp(q->tenant, tenant->name) != 0)
        return 0; /* its queue is gone: the caller enters as anyone would */

    acd_event_t e = *ev;
    acd__core_copy(e.queue, sizeof(e.queue), t->queue);
    acd__call_t *call;
    int rc = acd__call_create(c, &e, t->enqueue_ms, &call);
    if (rc < 0)
        return rc;
    if (t->priority > call->priority)
        call->priority = t->priority;
    acd__core_copy(call->restored_from, sizeof(call->restored_from), t->old_call_id);
    restore_drop(&c->restore, t);
    *out = call;
    return 1;
}

void acd__restore_expire(acd_core_t *c, acd_ms_t now)
{
    acd__ticket_t *t;
    while ((t = restore_first(&c->restore)) != NULL && t->expires_ms <= now)
        restore_drop(&c->restore, t);
}

acd_ms_t acd__restore_next_expiry(const acd_core_t *c)
{
    const acd__ticket_t *t = restore_first(&c->restore);
    return t ? t->expires_ms : INT64_MAX;
}

const char *acd__restore_check(const acd_core_t *c)
{
    const acd__restore_t *r = &c->restore;
    size_t n = 0;
    acd_ms_t last = INT64_MIN;
    for (const acd_list_t *l = r->order.next; l != &r->order; l = l->next) {
        const acd__ticket_t *t = acd_container_of(l, acd__ticket_t, link);
        if (t->expires_ms < last)
            return "restore tickets out of expiry order";
        last = t->expires_ms;
        if (restore_find(c, t->tenant, t->caller) != t)
            return "restore ticket not found by its tenant and caller";
        n++;
    }
    if (n != r->n || r->by_key.count != r->n)
        return "restore ticket count wrong";
    if (r->n > ACD_RESTORE_MAX || (r->window_ms == 0 && r->n > 0))
        return "restore table over its bound, or tickets with restore off";
    return NULL;
}

/* ---- views ---- */

int acd_core_restore_ticket(const acd_core_t *c, const char *tenant, const char *caller,
                            acd_ms_t now, acd_restore_view_t *v)
{
    if (!c || !tenant || !caller || !v)
        return -EINVAL;
    const acd__ticket_t *t = restore_find(c, tenant, caller);
    if (!t || t->expires_ms <= now)
        return -ENOENT;
    *v = (acd_restore_view_t){.tenant = t->tenant,
                              .caller = t->caller,
                              .queue = t->queue,
                              .old_call_id = t->old_call_id,
                              .priority = t->priority,
                              .enqueue_ms = t->enqueue_ms,
                              .expires_ms = t->expires_ms};
    return 0;
}

void acd_core_restore_counts(const acd_core_t *c, size_t *held, uint64_t *dropped)
{
    if (held)
        *held = c ? c->restore.n : 0;
    if (dropped)
        *dropped = c ? c->restore.dropped : 0;
}
