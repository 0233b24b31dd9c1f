/* restore.c - a caller whose takeover failed gets its place back: on redial or callback. */
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
 *
 * A ticket of a tenant with callback also has a callback state (ADR 0019): WAIT until
 * cb_at, when attempt cb_attempt + 1 is placed; RINGING until cb_at, its ring timeout.
 * Such a ticket is in the callbacks heap and at the end of the expiry order (expires_ms
 * INT64_MAX): it lasts until the callback is answered, the caller redials, or the last
 * attempt fails.
 */

#define RESTORE_KEY_MAX (2 * ACD_ID_MAX)

typedef enum restore_cb {
    RESTORE_CB_NONE,    /* no callback: the redial window applies */
    RESTORE_CB_WAIT,    /* the next attempt is placed at cb_at */
    RESTORE_CB_RINGING, /* attempt cb_attempt rings until cb_at */
} restore_cb_t;

typedef struct acd__ticket {
    acd_hmap_node_t node; /* in c->restore.by_key */
    acd_list_t link;      /* in c->restore.order */
    char key[RESTORE_KEY_MAX]; /* node's key points here */
    char tenant[ACD_ID_MAX];
    char did[ACD_ID_MAX];
    char caller[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
    char old_call_id[ACD_ID_MAX];
    int priority;
    acd_ms_t enqueue_ms;
    acd_ms_t expires_ms;
    /* callback: the tenant's settings when the ticket was made */
    restore_cb_t cb;
    int cb_attempt; /* attempts placed so far */
    int cb_attempts, cb_delay_ms, cb_ring_ms;
    acd_ms_t cb_at;
    uint64_t serial;
    acd__heap_node_t cb_node; /* in c->restore.callbacks while cb != NONE */
} acd__ticket_t;

#define RESTORE_FOREVER INT64_MAX /* the expiry of a ticket whose callback is pending */

/* Caller numbers that say the caller withheld its identity: they never match anyone. */
static const char *const restore_anonymous[] = {"anonymous", "unknown", "restricted", "private",
                                                "unavailable"};

bool acd__caller_identified(const char *caller)
{
    if (!caller || !caller[0])
        return false;
    for (size_t i = 0; i < sizeof(restore_anonymous) / sizeof(restore_anonymous[0]); i++)
        if (acd_str_ieqc(acd_str_from(caller), restore_anonymous[i]))
            return false;
    return true;
}

/* Writes the key of tenant and caller into buf (RESTORE_KEY_MAX bytes); returns its slice. */
acd_str_t acd__caller_key(char *buf, const char *tenant, const char *caller)
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
    acd_hmap_node_t *n = acd_hmap_get(&c->restore.by_key, acd__caller_key(buf, tenant, caller));
    return n ? acd_container_of(n, acd__ticket_t, node) : NULL;
}

static void restore_drop(acd__restore_t *r, acd__ticket_t *t)
{
    acd_hmap_remove(&r->by_key, &t->node);
    acd_list_remove(&t->link);
    acd__heap_remove(&r->callbacks, &t->cb_node);
    r->n--;
    free(t);
}

static acd_ms_t restore_cb_deadline(const acd__heap_node_t *n)
{
    return acd_container_of(n, acd__ticket_t, cb_node)->cb_at;
}

static bool restore_cb_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    const acd__ticket_t *x = acd_container_of(a, acd__ticket_t, cb_node);
    const acd__ticket_t *y = acd_container_of(b, acd__ticket_t, cb_node);
    return x->cb_at != y->cb_at ? x->cb_at < y->cb_at : x->serial < y->serial;
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
    acd__heap_init(&r->callbacks, restore_cb_less);
    r->next_serial = 1;
}

void acd__restore_fini(acd__restore_t *r)
{
    acd__ticket_t *t;
    while ((t = restore_first(r)) != NULL)
        restore_drop(r, t);
    acd_hmap_fini(&r->by_key);
    acd__heap_fini(&r->callbacks);
}

int acd_core_set_redial_window(acd_core_t *c, acd_ms_t window_ms)
{
    if (!c || window_ms < 0)
        return -EINVAL;
    acd__restore_t *r = &c->restore;
    r->window_ms = window_ms;
    acd__ticket_t *t; /* those with a callback pending are last in the order, and stay */
    while (window_ms == 0 && (t = restore_first(r)) != NULL && t->cb == RESTORE_CB_NONE)
        restore_drop(r, t);
    return 0;
}

/* ---- callbacks ---- */

/* Emits a callback action about t's attempt cb_attempt. */
static void restore_cb_emit(acd_core_t *c, const acd__ticket_t *t, acd_action_type_t type,
                            const char *reason)
{
    acd_action_t *a = acd__core_emit(c, type);
    acd_callback_ref_t *ref = &a->callback;
    acd__core_copy(ref->tenant, sizeof(ref->tenant), t->tenant);
    acd__core_copy(ref->did, sizeof(ref->did), t->did);
    acd__core_copy(ref->caller, sizeof(ref->caller), t->caller);
    acd__core_copy(ref->old_call_id, sizeof(ref->old_call_id), t->old_call_id);
    ref->attempt = t->cb_attempt;
    ref->attempts = t->cb_attempts;
    acd__core_copy(a->reason, sizeof(a->reason), reason);
}

/* Moves t's callback to state st with deadline at (its place in the heap follows). */
static void restore_cb_set(acd__restore_t *r, acd__ticket_t *t, restore_cb_t st, acd_ms_t at)
{
    t->cb = st;
    t->cb_at = at;
    acd__heap_fix(&r->callbacks, &t->cb_node);
}

/* t's attempt ended unanswered at at: the next one after the delay, or t is given up. */
static void restore_cb_failed(acd_core_t *c, acd__ticket_t *t, acd_ms_t at)
{
    if (t->cb_attempt < t->cb_attempts) {
        restore_cb_set(&c->restore, t, RESTORE_CB_WAIT, at + t->cb_delay_ms);
        return;
    }
    restore_cb_emit(c, t, ACD_ACT_CALLBACK_GAVE_UP, NULL);
    restore_drop(&c->restore, t);
}

/* The tenant answering did, or NULL. */
static const acd__tenant_t *restore_tenant(const acd_core_t *c, const char *did)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_did, acd_str_from(did));
    return n ? acd_container_of(n, acd__did_t, node)->tenant : NULL;
}

/* The ticket of ev's tenant (by DID) and caller, whatever its state; NULL when none. */
static acd__ticket_t *restore_for_event(const acd_core_t *c, const acd_event_t *ev)
{
    const acd__tenant_t *te = restore_tenant(c, ev->did);
    return te ? restore_find(c, te->name, ev->caller) : NULL;
}

int acd__restore_callback_failed(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__ticket_t *t = restore_for_event(c, ev);
    if (!t || t->cb != RESTORE_CB_RINGING || t->cb_attempt != ev->attempt)
        return ACD_ESTATE; /* not the attempt ringing now: cancelled, or a stale report */
    restore_cb_failed(c, t, now);
    return 0;
}

void acd__restore_fire(acd_core_t *c, acd_ms_t now)
{
    acd__restore_t *r = &c->restore;
    acd__heap_node_t *top;
    while ((top = acd__heap_top(&r->callbacks)) != NULL && restore_cb_deadline(top) <= now) {
        acd__ticket_t *t = acd_container_of(top, acd__ticket_t, cb_node);
        acd_ms_t at = t->cb_at;
        if (t->cb == RESTORE_CB_WAIT) {
            t->cb_attempt++;
            restore_cb_set(r, t, RESTORE_CB_RINGING, at + t->cb_ring_ms);
            restore_cb_emit(c, t, ACD_ACT_CALLBACK, NULL);
        } else {
            restore_cb_emit(c, t, ACD_ACT_CALLBACK_CANCEL, "timeout");
            restore_cb_failed(c, t, at);
        }
    }
}

size_t acd__restore_due(const acd_core_t *c, acd_ms_t now)
{
    return acd__heap_count_due(&c->restore.callbacks, now, restore_cb_deadline);
}

/* Starts t's callback with tenant te's settings: the first attempt after the delay. */
static void restore_cb_start(acd__restore_t *r, acd__ticket_t *t, const acd__tenant_t *te,
                             acd_ms_t now)
{
    t->cb_attempt = 0;
    t->cb_attempts = te->callback_attempts;
    t->cb_delay_ms = te->callback_delay_ms;
    t->cb_ring_ms = te->callback_ring_ms;
    t->cb = RESTORE_CB_WAIT;
    t->cb_at = now + te->callback_delay_ms;
    (void)acd__heap_push(&r->callbacks, &t->cb_node); /* room reserved by the caller */
}

/* The better of two places: higher priority first, then the earlier enqueue time. */
static bool restore_place_before(int pa, acd_ms_t ea, int pb, acd_ms_t eb)
{
    return pa != pb ? pa > pb : ea < eb;
}

/* Drops the ticket closest to expiry to make room; its ringing callback is cancelled. */
static void restore_make_room(acd_core_t *c)
{
    acd__restore_t *r = &c->restore;
    acd__ticket_t *t = restore_first(r);
    if (t->cb == RESTORE_CB_RINGING)
        restore_cb_emit(c, t, ACD_ACT_CALLBACK_CANCEL, "dropped");
    restore_drop(r, t);
    r->dropped++;
}

void acd__restore_record(acd_core_t *c, const acd__call_t *call, acd_ms_t now)
{
    acd__restore_t *r = &c->restore;
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_name, acd_str_from(call->tenant));
    const acd__tenant_t *te = n ? acd_container_of(n, acd__tenant_t, node) : NULL;
    bool callback = te && te->callback_attempts > 0;
    if (!acd__caller_identified(call->caller))
        return;
    if (callback && acd__heap_reserve(&r->callbacks, r->n + 1) < 0)
        callback = false; /* no room to call back: a redial still finds its place, if any */
    if (r->window_ms == 0 && !callback)
        return;
    acd__ticket_t *t = restore_find(c, call->tenant, call->caller);
    bool fresh = t == NULL;
    if (!fresh) {
        /* The same caller lost two calls: it keeps the better place, for a full window
         * (or its callback, which goes on as it was). */
        acd_list_remove(&t->link);
    } else {
        if (r->n >= ACD_RESTORE_MAX)
            restore_make_room(c);
        t = calloc(1, sizeof(*t));
        if (!t)
            return; /* the call fails as it would without restore */
        acd__core_copy(t->tenant, sizeof(t->tenant), call->tenant);
        acd__core_copy(t->caller, sizeof(t->caller), call->caller);
        acd__heap_node_init(&t->cb_node);
        t->serial = r->next_serial++;
        if (acd_hmap_insert(&r->by_key, &t->node, acd__caller_key(t->key, t->tenant, t->caller)) < 0) {
            free(t);
            return;
        }
        r->n++;
    }
    if (fresh || restore_place_before(call->priority, call->enqueue_ms, t->priority, t->enqueue_ms)) {
        acd__core_copy(t->queue, sizeof(t->queue), call->queue->name);
        acd__core_copy(t->did, sizeof(t->did), call->did);
        acd__core_copy(t->old_call_id, sizeof(t->old_call_id), call->id);
        t->priority = call->priority;
        t->enqueue_ms = call->enqueue_ms;
    }
    if (callback && t->cb == RESTORE_CB_NONE)
        restore_cb_start(r, t, te, now);
    t->expires_ms = t->cb != RESTORE_CB_NONE ? RESTORE_FOREVER : now + r->window_ms;
    restore_link(r, t);
}

/* An arrival takes t: an attempt ringing that is not the arrival itself is cancelled. */
static void restore_take(acd_core_t *c, acd__ticket_t *t, const acd_event_t *ev)
{
    bool answered = ev->callback && ev->attempt == t->cb_attempt;
    if (t->cb == RESTORE_CB_RINGING && !answered)
        restore_cb_emit(c, t, ACD_ACT_CALLBACK_CANCEL, "redial");
    restore_drop(&c->restore, t);
}

int acd__restore_arrive(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd__call_t **out)
{
    if (c->restore.n == 0 || !acd__caller_identified(ev->caller))
        return 0;
    const acd__tenant_t *tenant = restore_tenant(c, ev->did);
    if (!tenant)
        return 0; /* acd__call_create refuses it */
    acd__ticket_t *t = restore_find(c, tenant->name, ev->caller);
    if (!t || t->expires_ms <= now)
        return 0;
    acd_hmap_node_t *n = acd_hmap_get(&c->queues, acd_str_from(t->queue));
    const acd__queue_t *q = n ? acd_container_of(n, acd__queue_t, node) : NULL;
    acd__call_t *call;
    int rc;
    if (!q || q->removed || strcmp(q->tenant, tenant->name) != 0) {
        /* Its queue is gone: the caller enters as anyone would. Should a callback be
         * pending, the caller is here now and the ticket goes with this arrival. */
        if (t->cb == RESTORE_CB_NONE)
            return 0;
        if ((rc = acd__call_create(c, ev, now, &call)) < 0)
            return rc;
        restore_take(c, t, ev);
        *out = call;
        return 1;
    }

    acd_event_t e = *ev;
    acd__core_copy(e.queue, sizeof(e.queue), t->queue);
    if ((rc = acd__call_create(c, &e, t->enqueue_ms, &call)) < 0)
        return rc;
    if (t->priority > call->priority)
        call->priority = t->priority;
    acd__core_copy(call->restored_from, sizeof(call->restored_from), t->old_call_id);
    restore_take(c, t, ev);
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
    acd_ms_t e = t ? t->expires_ms : INT64_MAX;
    const acd__heap_node_t *top = acd__heap_top(&c->restore.callbacks);
    acd_ms_t cb = top ? restore_cb_deadline(top) : INT64_MAX;
    return cb < e ? cb : e;
}

const char *acd__restore_check(const acd_core_t *c)
{
    const acd__restore_t *r = &c->restore;
    size_t n = 0, n_cb = 0, n_plain = 0;
    acd_ms_t last = INT64_MIN;
    for (const acd_list_t *l = r->order.next; l != &r->order; l = l->next) {
        const acd__ticket_t *t = acd_container_of(l, acd__ticket_t, link);
        if (t->expires_ms < last)
            return "restore tickets out of expiry order";
        last = t->expires_ms;
        if (restore_find(c, t->tenant, t->caller) != t)
            return "restore ticket not found by its tenant and caller";
        bool pending = t->cb != RESTORE_CB_NONE;
        if (pending != acd__heap_linked(&t->cb_node) ||
            pending != (t->expires_ms == RESTORE_FOREVER))
            return "restore ticket's callback state, heap and expiry disagree";
        if (pending &&
            (t->cb_attempts <= 0 || t->cb_attempt < 0 || t->cb_attempt > t->cb_attempts ||
             (t->cb == RESTORE_CB_RINGING && t->cb_attempt == 0) ||
             (t->cb == RESTORE_CB_WAIT && t->cb_attempt >= t->cb_attempts)))
            return "restore ticket's callback attempt out of range";
        n_cb += pending;
        n_plain += !pending;
        n++;
    }
    if (n != r->n || r->by_key.count != r->n || r->callbacks.n != n_cb)
        return "restore ticket count wrong";
    if (r->n > ACD_RESTORE_MAX || (r->window_ms == 0 && n_plain > 0))
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
                              .did = t->did,
                              .caller = t->caller,
                              .queue = t->queue,
                              .old_call_id = t->old_call_id,
                              .priority = t->priority,
                              .enqueue_ms = t->enqueue_ms,
                              .expires_ms = t->expires_ms,
                              .callback_attempt = t->cb_attempt,
                              .callback_attempts = t->cb_attempts,
                              .callback_ringing = t->cb == RESTORE_CB_RINGING,
                              .callback_at = t->cb != RESTORE_CB_NONE ? t->cb_at : 0};
    return 0;
}

void acd_core_restore_counts(const acd_core_t *c, size_t *held, uint64_t *dropped)
{
    if (held)
        *held = c ? c->restore.n : 0;
    if (dropped)
        *dropped = c ? c->restore.dropped : 0;
}
