/* check.c - a full consistency check of the ACD core's invariants, for tests. */
#include <string.h>

#include "acd/core_int.h"

static const char *check_heap(const acd__heap_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->v[i]->idx != i)
            return "heap node index out of step";
        if (i > 0 && h->less(h->v[i], h->v[(i - 1) / 2]))
            return "heap order broken";
    }
    return NULL;
}

static bool check_seen(const acd__call_t *call, const char *offer_id)
{
    for (size_t i = 0; i < call->n_offers_seen; i++) {
        if (strcmp(call->offers_seen[i], offer_id) == 0)
            return true;
    }
    return false;
}

static const char *check_agent(const acd_core_t *c, const acd__agent_t *a, size_t *available)
{
    bool busy = a->state == ACD_AGENT_RINGING || a->state == ACD_AGENT_ON_CALL;
    bool timed = a->state == ACD_AGENT_RINGING || a->state == ACD_AGENT_WRAPUP;
    bool reserved = acd__agent_reserved(a);
    if (a->call && reserved)
        return "agent holds a local and a remote call";
    if (busy != (a->call != NULL || reserved))
        return "agent call link does not match its state";
    if (reserved && (!a->remote.call_site[0] || !a->remote.offer_id[0] || !a->remote.queue[0]))
        return "agent reservation incomplete";
    if (!reserved && (a->remote.call_site[0] || a->remote.offer_id[0] || a->remote.queue[0]))
        return "agent reservation left behind";
    if (a->call && a->call->agent != a)
        return "agent's call points at another agent";
    if (a->call && a->state == ACD_AGENT_RINGING && a->call->state != ACD_CALL_OFFERED)
        return "ringing agent's call is not offered";
    if (a->call && a->state == ACD_AGENT_ON_CALL && a->call->state != ACD_CALL_CONNECTED)
        return "on-call agent's call is not connected";
    if (timed != acd__heap_linked(&a->deadline_node))
        return "agent deadline does not match its state";
    if (timed && c->deadlines.v[a->deadline_node.idx] != &a->deadline_node)
        return "agent deadline node not in the deadline heap";
    if (a->removed && (a->state != ACD_AGENT_ON_CALL || a->n_queues))
        return "removed agent is not a member-less agent on a call";
    if (a->logout_pending && a->state != ACD_AGENT_ON_CALL &&
        !(a->state == ACD_AGENT_RINGING && reserved))
        return "logout pending off a call";
    if (a->state != ACD_AGENT_PAUSED && a->pause_reason[0])
        return "pause reason outside paused";
    *available += a->state == ACD_AGENT_AVAILABLE;
    return NULL;
}

static const char *check_call(const acd_core_t *c, const acd__call_t *call, size_t *waiting,
                              size_t *ringing_remote, size_t *armed_calls)
{
    bool has_agent = call->state == ACD_CALL_OFFERED || call->state == ACD_CALL_CONNECTED;
    bool remote = acd__call_remote(call);
    if (remote && call->agent)
        return "call holds a local and a remote agent";
    if (has_agent != (call->agent != NULL || remote))
        return "call agent link does not match its state";
    if (remote && (!call->remote.site[0] || !call->remote.offer_id[0]))
        return "call's remote agent incomplete";
    if (!remote && (call->remote.site[0] || call->remote.offer_id[0]))
        return "call's remote agent left behind";
    bool rings_remote = remote && call->state == ACD_CALL_OFFERED;
    if (rings_remote != acd__heap_linked(&call->ring_node))
        return "call's remote ring deadline does not match its state";
    if (rings_remote && c->ring_deadlines.v[call->ring_node.idx] != &call->ring_node)
        return "call's ring deadline node not in the ring deadline heap";
    if (remote && !check_seen(call, call->remote.offer_id))
        return "call's remote offer not among its seen offers";
    if (remote && call->state == ACD_CALL_CONNECTED &&
        (strcmp(call->answered_by, call->remote.id) != 0 ||
         strcmp(call->answered_site, call->remote.site) != 0))
        return "connected call answered by someone else";
    *ringing_remote += rings_remote;
    if (call->agent && call->agent->call != call)
        return "call's agent points at another call";
    bool queued = call->state == ACD_CALL_QUEUED;
    if (queued != acd__heap_linked(&call->wait_node))
        return "call waiting link does not match its state";
    if (queued && call->queue->waiting.v[call->wait_node.idx] != &call->wait_node)
        return "waiting call not in its queue's heap";
    if (call->agent && call->state == ACD_CALL_CONNECTED &&
        strcmp(call->answered_by, call->agent->id) != 0)
        return "connected call answered by someone else";
    if (!acd_list_linked(&call->queue_link))
        return "call not in its queue's call list";
    bool armed = acd__overflow_armed(call);
    *armed_calls += armed;
    if (armed != acd__heap_linked(&call->maxwait_node))
        return "call's max-wait deadline does not match its queue's rules";
    if (armed && (c->wait_deadlines.v[call->maxwait_node.idx] != &call->maxwait_node ||
                  call->maxwait_at != call->queue_ms + call->queue->max_wait_ms))
        return "call's max-wait deadline wrong or not in the heap";
    if (call->overflows > ACD_OVERFLOW_MOVES_MAX)
        return "call moved by overflow more often than allowed";
    *waiting += queued;
    return NULL;
}

/* With local dispatch on, a queue left in c->ready has no call anyone available can take. */
static const char *check_dispatched(const acd_core_t *c, const acd__queue_t *q)
{
    for (size_t i = 0; i < q->waiting.n; i++) {
        const acd__call_t *call = acd_container_of(q->waiting.v[i], acd__call_t, wait_node);
        if (acd__skills_servable(q, acd__skills_need(q, call, c->now)))
            return "a waiting call has an available member that can take it after dispatch";
    }
    if (acd__skills_next_relax(q, c->now) < c->relax_at)
        return "a relaxation of a waiting call is not among the deadlines";
    return NULL;
}

static const char *check_queue(const acd_core_t *c, const acd__queue_t *q)
{
    size_t n_calls = 0, n_offered = 0, n_available = 0, n_logged_in = 0;
    const acd_list_t *pos;
    for (pos = q->calls.next; pos != &q->calls; pos = pos->next) {
        const acd__call_t *call = acd_container_of(pos, acd__call_t, queue_link);
        if (call->queue != q)
            return "call listed in another queue";
        n_calls++;
        n_offered += call->state == ACD_CALL_OFFERED;
    }
    if (n_calls != q->n_calls || n_offered != q->n_offered)
        return "queue call counters wrong";
    if (q->removed && (q->n_calls == 0 || q->n_members))
        return "removed queue kept without calls, or with members";
    for (size_t i = 0; i < q->n_members; i++) {
        const acd__agent_t *a = q->members[i];
        if (i > 0 && strcmp(q->members[i - 1]->id, a->id) >= 0)
            return "queue members not sorted by id";
        bool back = false;
        for (size_t j = 0; j < a->n_queues; j++)
            back |= a->queues[j] == q;
        if (!back)
            return "member agent does not list the queue";
        n_available += a->state == ACD_AGENT_AVAILABLE;
        n_logged_in += a->state != ACD_AGENT_LOGGED_OUT;
    }
    if (n_available != q->n_available || n_logged_in != q->n_logged_in)
        return "queue available or logged-in counter wrong";
    if (q->pass_head)
        return "queue left with a dispatch pass head";
    if (q->empty_pending != acd_list_linked(&q->empty_link))
        return "queue emptied mark and list disagree";
    if (q->removed && (q->max_wait_ms || q->max_len || q->leave_empty ||
                       q->overflow_kind != ACD__OVERFLOW_NONE || q->sk.skills.n))
        return "removed queue keeps rules";
    const char *serr = acd__skills_check(q);
    if (serr)
        return serr;
    const char *err = check_heap(&q->waiting);
    if (err)
        return err;
    if (q->skipped)
        return "queue left set aside by dispatch";
    if ((q->waiting.n > 0 && q->n_available > 0) != acd__heap_linked(&q->ready_node))
        return "ready heap does not hold exactly the queues with work";
    if (acd__heap_linked(&q->ready_node) && c->ready.v[q->ready_node.idx] != &q->ready_node)
        return "queue's ready node not in the ready heap";
    if (c->local_dispatch && acd__heap_linked(&q->ready_node))
        return check_dispatched(c, q);
    return NULL;
}

const char *acd__core_check(const acd_core_t *c)
{
    size_t available = 0, waiting = 0, ringing_remote = 0, armed = 0, n = 0;
    const char *err;
    acd_hmap_iter_t it;
    acd_hmap_node_t *node;

    acd_hmap_iter_init(&it, &c->agents);
    while ((node = acd_hmap_iter_next(&it)) != NULL) {
        err = check_agent(c, acd_container_of(node, acd__agent_t, node), &available);
        if (err)
            return err;
        n++;
    }
    if (n != c->n_agents)
        return "sorted agent array does not hold every agent";
    for (size_t i = 1; i < c->n_agents; i++) {
        if (strcmp(c->agents_sorted[i - 1]->id, c->agents_sorted[i]->id) >= 0)
            return "agents not sorted by id";
    }
    if (available != c->n_available)
        return "global available counter wrong";

    acd_hmap_iter_init(&it, &c->calls);
    while ((node = acd_hmap_iter_next(&it)) != NULL) {
        err = check_call(c, acd_container_of(node, acd__call_t, node), &waiting, &ringing_remote,
                         &armed);
        if (err)
            return err;
    }
    if (waiting != c->n_waiting)
        return "global waiting counter wrong";
    if (armed != c->wait_deadlines.n)
        return "max-wait heap holds more than the calls it watches";
    if (ringing_remote != c->ring_deadlines.n)
        return "ring deadline heap holds more than the calls ringing remote agents";
    err = check_heap(&c->ring_deadlines);
    if (err)
        return err;

    n = 0;
    acd_hmap_iter_init(&it, &c->queues);
    while ((node = acd_hmap_iter_next(&it)) != NULL) {
        err = check_queue(c, acd_container_of(node, acd__queue_t, node));
        if (err)
            return err;
        n++;
    }
    if (n != c->n_queues)
        return "sorted queue array does not hold every queue";
    for (size_t i = 1; i < c->n_queues; i++) {
        if (strcmp(c->queues_sorted[i - 1]->name, c->queues_sorted[i]->name) >= 0)
            return "queues not sorted by name";
    }
    if (!c->local_dispatch && c->relax_at != INT64_MAX)
        return "a relaxation deadline without local dispatch";
    err = check_heap(&c->ready);
    if (err)
        return err;
    if (c->unreserved_actions || c->lost_actions)
        return "an action found no reserved room";
    err = acd__restore_check(c);
    if (err)
        return err;
    err = check_heap(&c->restore.callbacks);
    if (err)
        return err;
    err = check_heap(&c->wait_deadlines);
    if (err)
        return err;
    err = acd__abandons_check(c);
    if (err)
        return err;
    return check_heap(&c->deadlines);
}
