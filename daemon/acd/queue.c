/* queue.c - ACD queues: the waiting order of their calls and their place in dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"

bool acd__call_before(const acd__call_t *a, const acd__call_t *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (a->enqueue_ms != b->enqueue_ms)
        return a->enqueue_ms < b->enqueue_ms;
    return a->seq < b->seq;
}

static bool queue_wait_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    return acd__call_before(acd_container_of(a, acd__call_t, wait_node),
                            acd_container_of(b, acd__call_t, wait_node));
}

/* The call that orders q in c->ready: the one dispatch offers next (see dispatch.c). */
static const acd__call_t *queue_first(const acd__queue_t *q)
{
    return q->pass_head ? q->pass_head : acd__queue_head(q);
}

/* Queues in c->ready are ordered by their first waiting calls (never empty there). */
bool acd__ready_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    const acd__queue_t *qa = acd_container_of(a, acd__queue_t, ready_node);
    const acd__queue_t *qb = acd_container_of(b, acd__queue_t, ready_node);
    return acd__call_before(queue_first(qa), queue_first(qb));
}

int acd__queue_alloc(acd__queue_t **qp, const char *name)
{
    int rc = 0;
    acd__queue_t *q = calloc(1, sizeof(*q));
    if (!q) {
        rc = -ENOMEM;
        goto out;
    }
    acd__core_copy(q->name, sizeof(q->name), name);
    acd__heap_init(&q->waiting, queue_wait_less);
    acd_list_init(&q->calls);
    acd_list_init(&q->skip_link);
    acd_list_init(&q->empty_link);
    acd__heap_node_init(&q->ready_node);
    q->sk.n_stages = 1;
    q->aht_ms = ACD_AHT_DEFAULT_MS;
    *qp = q;
out:
    return rc;
}

void acd__queue_free(acd__queue_t *q)
{
    if (!q)
        return;
    free(q->waiting.v);
    free(q->members);
    acd__qskills_fini(&q->sk);
    free(q);
}

acd__call_t *acd__queue_head(const acd__queue_t *q)
{
    acd__heap_node_t *top = acd__heap_top(&q->waiting);
    return top ? acd_container_of(top, acd__call_t, wait_node) : NULL;
}

/*
 * Room for every call of the queue was reserved when the call arrived (or moved here), so
 * the push cannot fail. The queue's max wait, if any, is armed for the call.
 */
void acd__queue_wait(acd_core_t *c, acd__queue_t *q, acd__call_t *call)
{
    int rc = acd__heap_push(&q->waiting, &call->wait_node);
    if (rc == 0)
        c->n_waiting++;
    acd__overflow_arm(c, call);
    acd__queue_refresh(c, q);
}

void acd__queue_unwait(acd_core_t *c, acd__call_t *call)
{
    if (!acd__heap_linked(&call->wait_node))
        return;
    if (call->queue->pass_head == call)
        call->queue->pass_head = NULL;
    acd__heap_remove(&call->queue->waiting, &call->wait_node);
    c->n_waiting--;
    acd__overflow_disarm(c, call);
    acd__queue_refresh(c, call->queue);
}

void acd__queue_refresh(acd_core_t *c, acd__queue_t *q)
{
    if (q->skipped)
        return; /* dispatch puts it back when its pass ends */
    bool want = q->waiting.n > 0 && q->n_available > 0;
    bool in = acd__heap_linked(&q->ready_node);
    if (want && in)
        acd__heap_fix(&c->ready, &q->ready_node);
    else if (want)
        (void)acd__heap_push(&c->ready, &q->ready_node); /* room: one slot per queue */
    else if (in)
        acd__heap_remove(&c->ready, &q->ready_node);
    if (!want)
        q->pass_head = NULL;
}

void acd__queue_destroy(acd_core_t *c, acd__queue_t *q)
{
    acd__heap_remove(&c->ready, &q->ready_node);
    acd_list_remove(&q->empty_link);
    acd_hmap_remove(&c->queues, &q->node);
    /* c->queues_sorted is sorted by name; q may be absent (configure drops it first). */
    size_t lo = 0, hi = c->n_queues;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->queues_sorted[mid]->name, q->name);
        if (cmp == 0) {
            if (c->queues_sorted[mid] == q) {
                memmove(&c->queues_sorted[mid], &c->queues_sorted[mid + 1],
                        (c->n_queues - mid - 1) * sizeof(*c->queues_sorted));
                c->n_queues--;
            }
            break;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    acd__queue_free(q);
}
