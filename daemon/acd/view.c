/* view.c - read-only lookups and views of the ACD core for status, API and tests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

const char *acd_core_tenant_for_did(const acd_core_t *c, const char *did)
{
    if (!c || !did)
        return NULL;
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_did, acd_str_from(did));
    return n ? acd_container_of(n, acd__did_t, node)->tenant->name : NULL;
}

const char *acd_core_agent_for_user(const acd_core_t *c, const char *user)
{
    if (!c || !user)
        return NULL;
    acd_hmap_node_t *n = acd_hmap_get(&c->users.map, acd_str_from(user));
    return n ? acd_container_of(n, acd__user_t, node)->agent->id : NULL;
}

const char *acd_core_tenant_language(const acd_core_t *c, const char *tenant)
{
    if (!c || !tenant)
        return "en";
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_name, acd_str_from(tenant));
    return n ? acd_container_of(n, acd__tenant_t, node)->language : "en";
}

/* ---- agents ---- */

static void view_agent(const acd__agent_t *a, acd_agent_view_t *v)
{
    v->id = a->id;
    v->sip_user = a->sip_user;
    v->state = a->state;
    v->pause_reason = a->pause_reason;
    v->state_since = a->state_since;
    v->idle_since = a->idle_since;
    v->call_id = a->call ? a->call->id : a->remote.call_id;
    v->call_site = a->remote.call_site;
    v->missed_in_row = a->missed_in_row;
    v->calls_handled = a->calls_handled;
}

void acd_core_foreach_agent(const acd_core_t *c, void (*cb)(void *ud, const acd_agent_view_t *v),
                            void *ud)
{
    for (size_t i = 0; c && i < c->n_agents; i++) {
        acd_agent_view_t v;
        view_agent(c->agents_sorted[i], &v);
        cb(ud, &v);
    }
}

int acd_core_agent(const acd_core_t *c, const char *id, acd_agent_view_t *v)
{
    const acd__agent_t *a = c && id ? acd__agent_find_any(c, id) : NULL;
    if (!a)
        return ACD_ENOAGENT;
    view_agent(a, v);
    return 0;
}

/* ---- queues ---- */

static void view_queue(const acd__queue_t *q, acd_queue_view_t *v)
{
    v->name = q->name;
    v->tenant = q->tenant;
    v->strategy = q->strategy ? q->strategy->name : "";
    v->waiting = q->waiting.n;
    v->offered = q->n_offered;
    v->agents_logged_in = 0;
    for (size_t i = 0; i < q->n_members; i++)
        v->agents_logged_in += q->members[i]->state != ACD_AGENT_LOGGED_OUT;
    v->agents_available = q->n_available;
    v->oldest_enqueue = 0;
    for (size_t i = 0; i < q->waiting.n; i++) {
        const acd__call_t *call = acd_container_of(q->waiting.v[i], acd__call_t, wait_node);
        if (i == 0 || call->enqueue_ms < v->oldest_enqueue)
            v->oldest_enqueue = call->enqueue_ms;
    }
}

/* Queues removed from the configuration are listed while they still have calls. */
void acd_core_foreach_queue(const acd_core_t *c, void (*cb)(void *ud, const acd_queue_view_t *v),
                            void *ud)
{
    for (size_t i = 0; c && i < c->n_queues; i++) {
        acd_queue_view_t v;
        view_queue(c->queues_sorted[i], &v);
        cb(ud, &v);
    }
}

/* ---- calls ---- */

static void view_call(const acd__call_t *call, int position, acd_call_view_t *v)
{
    v->id = call->id;
    v->tenant = call->tenant;
    v->did = call->did;
    v->caller = call->caller;
    v->queue = call->queue->name;
    v->state = call->state;
    v->agent = call->agent ? call->agent->id : call->remote.id;
    v->agent_site = call->remote.site;
    v->priority = call->priority;
    v->enqueue_ms = call->enqueue_ms;
    v->answer_ms = call->answer_ms;
    v->position = position;
    v->offers = call->offers;
    v->restored_from = call->restored_from;
    v->callback = call->callback;
    v->delivery = call->delivery;
    v->message = call->message;
    v->priority_reason = call->priority_reason;
}

/* 1-based place of a waiting call in its queue: one more than the calls before it. */
static int view_position(const acd__call_t *call)
{
    if (call->state != ACD_CALL_QUEUED)
        return 0;
    const acd__heap_t *h = &call->queue->waiting;
    int pos = 1;
    for (size_t i = 0; i < h->n; i++) {
        if (acd__call_before(acd_container_of(h->v[i], acd__call_t, wait_node), call))
            pos++;
    }
    return pos;
}

static int view_call_cmp(const void *x, const void *y)
{
    const acd__call_t *a = *(const acd__call_t *const *)x;
    const acd__call_t *b = *(const acd__call_t *const *)y;
    return acd__call_before(a, b) ? -1 : acd__call_before(b, a) ? 1 : 0;
}

/*
 * Per queue, by queue name: the waiting calls in queue order (position 1, 2, ...),
 * then the offered and connected calls in arrival order. Should the scratch array for
 * sorting not be available, waiting calls come in heap order, still with their true
 * positions.
 */
void acd_core_foreach_call(const acd_core_t *c, void (*cb)(void *ud, const acd_call_view_t *v),
                           void *ud)
{
    for (size_t i = 0; c && i < c->n_queues; i++) {
        const acd__queue_t *q = c->queues_sorted[i];
        const acd__heap_t *h = &q->waiting;
        acd_call_view_t v;
        acd__call_t **sorted = h->n ? malloc(h->n * sizeof(*sorted)) : NULL;
        if (sorted) {
            for (size_t j = 0; j < h->n; j++)
                sorted[j] = acd_container_of(h->v[j], acd__call_t, wait_node);
            qsort(sorted, h->n, sizeof(*sorted), view_call_cmp);
            for (size_t j = 0; j < h->n; j++) {
                view_call(sorted[j], (int)j + 1, &v);
                cb(ud, &v);
            }
            free(sorted);
        } else {
            for (size_t j = 0; j < h->n; j++) {
                const acd__call_t *call = acd_container_of(h->v[j], acd__call_t, wait_node);
                view_call(call, view_position(call), &v);
                cb(ud, &v);
            }
        }
        const acd_list_t *pos;
        for (pos = q->calls.next; pos != &q->calls; pos = pos->next) {
            const acd__call_t *call = acd_container_of(pos, acd__call_t, queue_link);
            if (call->state == ACD_CALL_QUEUED)
                continue;
            view_call(call, 0, &v);
            cb(ud, &v);
        }
    }
}

int acd_core_call(const acd_core_t *c, const char *id, acd_call_view_t *v)
{
    const acd__call_t *call = c && id ? acd__call_find(c, id) : NULL;
    if (!call)
        return -ENOENT;
    view_call(call, view_position(call), v);
    return 0;
}
