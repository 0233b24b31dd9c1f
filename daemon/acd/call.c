/* call.c - ACD calls: arrival, answer, failed offers, hangups and their CDRs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

acd__call_t *acd__call_find(const acd_core_t *c, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->calls, acd_str_from(id));
    return n ? acd_container_of(n, acd__call_t, node) : NULL;
}

static void call_emit_pair(acd_core_t *c, acd_action_type_t t, const char *call_id,
                           const char *agent_id, const char *reason)
{
    acd_action_t *act = acd__core_emit(c, t);
    acd__core_copy(act->call_id, sizeof(act->call_id), call_id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), agent_id);
    acd__core_copy(act->reason, sizeof(act->reason), reason);
}

acd__agent_t *acd__call_unoffer(acd_core_t *c, acd__call_t *call)
{
    acd__agent_t *a = call->agent;
    acd__agent_deadline_clear(c, a);
    a->call = NULL;
    call->agent = NULL;
    call->state = ACD_CALL_QUEUED;
    call->queue->n_offered--;
    acd__queue_wait(c, call->queue, call);
    return a;
}

/* Emits the call's one CDR, ended at now with disposition disp. */
static void call_emit_cdr(acd_core_t *c, const acd__call_t *call, acd_disposition_t disp,
                          acd_ms_t now)
{
    acd_action_t *act = acd__core_emit(c, ACD_ACT_CDR);
    acd_cdr_t *cdr = &act->cdr;
    bool answered = call->answered_by[0] != '\0';
    acd__core_copy(act->call_id, sizeof(act->call_id), call->id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), call->answered_by);
    acd__core_copy(cdr->call_id, sizeof(cdr->call_id), call->id);
    acd__core_copy(cdr->tenant, sizeof(cdr->tenant), call->tenant);
    acd__core_copy(cdr->did, sizeof(cdr->did), call->did);
    acd__core_copy(cdr->caller, sizeof(cdr->caller), call->caller);
    acd__core_copy(cdr->queue, sizeof(cdr->queue), call->queue->name);
    acd__core_copy(cdr->agent, sizeof(cdr->agent), call->answered_by);
    acd__core_copy(cdr->agent_site, sizeof(cdr->agent_site), call->answered_site);
    acd__core_copy(cdr->restored_from, sizeof(cdr->restored_from), call->restored_from);
    cdr->callback = call->callback;
    acd__core_copy(cdr->delivery, sizeof(cdr->delivery), call->delivery);
    cdr->enqueue_ms = call->enqueue_ms;
    cdr->answer_ms = answered ? call->answer_ms : 0;
    cdr->end_ms = now;
    cdr->wait_ms = (answered ? call->answer_ms : now) - call->enqueue_ms;
    cdr->talk_ms = answered ? now - call->answer_ms : 0;
    cdr->wrapup_ms = answered ? call->queue->wrapup_ms : 0; /* as AHT counts it (stats.c) */
    cdr->offers = call->offers;
    cdr->disposition = disp;
    cdr->priority = call->priority;
    acd__core_copy(cdr->priority_reason, sizeof(cdr->priority_reason), call->priority_reason);
}

/*
 * Ends call at now: releases what it holds (its place in the queue, the ringing agent,
 * or the connected agent, who goes to wrap-up; a remote agent's owner is told instead),
 * emits its CDR and frees it. A removed queue whose last call this was is freed too.
 */
static void call_end_cdr(acd_core_t *c, acd__call_t *call, acd_disposition_t disp, acd_ms_t now,
                         bool cdr);

void acd__call_end(acd_core_t *c, acd__call_t *call, acd_disposition_t disp, acd_ms_t now)
{
    call_end_cdr(c, call, disp, now, true);
}

/* call_end, with the CDR left out when !cdr (the call is another site's now). */
static void call_end_cdr(acd_core_t *c, acd__call_t *call, acd_disposition_t disp, acd_ms_t now,
                         bool cdr)
{
    acd__queue_t *q = call->queue;
    acd__agent_t *a = call->agent;
    if (cdr && call->answered_by[0])
        acd__stats_handled(q, now - call->answer_ms + q->wrapup_ms);
    if (cdr && disp == ACD_DISP_ABANDONED)
        acd__abandon_record(c, call->tenant, call->caller, now);
    if (acd__call_remote(call)) {
        acd__remote_end(c, call, disp);
        call->state = ACD_CALL_ENDED; /* the switch below has nothing left to release */
    }
    switch (call->state) {
    case ACD_CALL_QUEUED:
        acd__queue_unwait(c, call);
        break;
    case ACD_CALL_OFFERED:
        call_emit_pair(c, ACD_ACT_CANCEL_OFFER, call->id, a->id, acd_disposition_name(disp));
        acd__agent_deadline_clear(c, a);
        a->call = NULL;
        call->agent = NULL;
        q->n_offered--;
        /* Not a miss, and not handled: the agent keeps its idle_since. */
        acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, now, NULL);
        break;
    case ACD_CALL_CONNECTED:
        call_emit_pair(c, ACD_ACT_END_CALL, call->id, a->id, acd_disposition_name(disp));
        a->call = NULL;
        call->agent = NULL;
        a->calls_handled++;
        acd__agent_after_call(c, a, q->wrapup_ms, now); /* may free a removed agent */
        break;
    case ACD_CALL_ENDED:
        break;
    }
    call->state = ACD_CALL_ENDED;
    if (cdr)
        call_emit_cdr(c, call, disp, now);
    acd_hmap_remove(&c->calls, &call->node);
    acd_list_remove(&call->queue_link);
    q->n_calls--;
    acd__remote_call_fini(call);
    free(call);
    if (q->removed && q->n_calls == 0)
        acd__queue_destroy(c, q);
}

/* ---- events ---- */

/* The tenant and queue a new call of ev enters, or acd__call_create's errors. */
static int call_resolve(const acd_core_t *c, const acd_event_t *ev, const acd__tenant_t **tp,
                        acd__queue_t **qp)
{
    if (!ev->call_id[0])
        return -EINVAL;
    if (acd__call_find(c, ev->call_id))
        return -EEXIST;
    acd_hmap_node_t *n = acd_hmap_get(&c->tenants.by_did, acd_str_from(ev->did));
    if (!n)
        return ACD_ENOTENANT;
    const acd__tenant_t *t = acd_container_of(n, acd__did_t, node)->tenant;
    const char *qname = ev->queue[0] ? ev->queue : t->queue;
    n = acd_hmap_get(&c->queues, acd_str_from(qname));
    acd__queue_t *q = n ? acd_container_of(n, acd__queue_t, node) : NULL;
    if (!q || q->removed || strcmp(q->tenant, t->name) != 0)
        return ACD_ENOQUEUE;
    *tp = t;
    *qp = q;
    return 0;
}

/* acd__call_create: see core_int.h. */
int acd__call_create(acd_core_t *c, const acd_event_t *ev, acd_ms_t enqueue_ms, acd__call_t **out)
{
    acd__call_t *call = NULL;
    const acd__tenant_t *t;
    acd__queue_t *q;
    int rc = call_resolve(c, ev, &t, &q);
    if (rc < 0)
        return rc;

    /* Room for every call of q in its waiting heap, so a requeue can never fail; and
     * for every call in the max-wait deadlines. */
    rc = acd__heap_reserve(&q->waiting, q->n_calls + 1);
    if (rc == 0)
        rc = acd__heap_reserve(&c->wait_deadlines, c->calls.count + 1);
    if (rc < 0)
        goto out;
    call = calloc(1, sizeof(*call));
    if (!call) {
        rc = -ENOMEM;
        goto out;
    }
    acd__core_copy(call->id, sizeof(call->id), ev->call_id);
    acd__core_copy(call->tenant, sizeof(call->tenant), t->name);
    acd__core_copy(call->did, sizeof(call->did), ev->did);
    acd__core_copy(call->caller, sizeof(call->caller), ev->caller);
    acd__heap_node_init(&call->wait_node);
    acd__heap_node_init(&call->ring_node);
    acd__heap_node_init(&call->maxwait_node);
    acd_list_init(&call->queue_link);
    rc = acd_hmap_insert(&c->calls, &call->node, acd_str_from(call->id));
    if (rc < 0)
        goto out;

    call->queue = q;
    call->state = ACD_CALL_QUEUED;
    call->priority = ev->priority ? ev->priority : q->priority;
    call->enqueue_ms = enqueue_ms;
    call->queue_ms = enqueue_ms;
    call->seq = c->next_seq++;
    acd_list_push_back(&q->calls, &call->queue_link);
    q->n_calls++;
    *out = call;
    call = NULL;
out:
    free(call);
    return rc;
}

/* A new call of ev at now, in the queue the queue rules admit it to (overflow.c). */
static int call_admit(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd__admit_t *ad,
                      acd__call_t **out)
{
    const acd__tenant_t *t;
    acd__queue_t *q;
    int rc = call_resolve(c, ev, &t, &q);
    if (rc == 0)
        rc = acd__overflow_admit(c, q, now, ad);
    if (rc < 0)
        return rc;
    acd_event_t e = *ev;
    acd__core_copy(e.queue, sizeof(e.queue), ad->queue->name);
    rc = acd__call_create(c, &e, now, out);
    if (rc == 0)
        (*out)->overflows = ad->moves;
    return rc;
}

/* Copies the event's delivery kind and message file onto the call (ADR 0021). */
static void call_delivery(acd__call_t *call, const acd_event_t *ev)
{
    acd__core_copy(call->delivery, sizeof(call->delivery), ev->delivery);
    acd__core_copy(call->message, sizeof(call->message), ev->message);
}

/*
 * CALL_DETACH: the waiting caller asked to be called back (virtual hold). The call keeps
 * its queue, place and priority; only its delivery changes, so the agent who gets it
 * calls the customer. A call not waiting (offered, connected) is refused: its agent is
 * already ringing. -ENOENT, ACD_ESTATE.
 */
int acd__call_detach(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    (void)now;
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call)
        return -ENOENT;
    if (call->state != ACD_CALL_QUEUED || !ev->delivery[0])
        return ACD_ESTATE;
    acd__core_copy(call->delivery, sizeof(call->delivery), ev->delivery);
    return 0;
}

/*
 * CALL_ARRIVE: a new caller waits in its queue from now (acd__call_create's rules) or
 * where the queue rules send it (overflow.c: another queue, or out at once: OVERFLOW and
 * its CDR; a full queue without a target refuses it: -EBUSY), or, redialling after its
 * takeover failed or answering our callback (ev->callback), in the place its restore
 * ticket kept (restore.c). Its priority is the highest that applies (priority.c).
 */
int acd__call_arrive(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call;
    acd__admit_t ad = {0};
    int rc = acd__restore_arrive(c, ev, now, &call);
    if (rc == 0)
        rc = call_admit(c, ev, now, &ad, &call);
    else if (rc > 0)
        rc = 0;
    if (rc < 0)
        return rc;
    call->callback = ev->callback;
    call_delivery(call, ev);
    acd__priority_arrive(c, call, ev, now);
    if (ad.reason) {
        acd__overflow_out(c, call, ad.out_from, ad.reason, now);
        return 0;
    }
    if (ad.moved_from)
        acd__overflow_moved(c, call, ad.moved_from, call->queue, ad.first_rule);
    acd__queue_wait(c, call->queue, call);
    return 0;
}

void acd__call_move(acd_core_t *c, acd__call_t *call, acd__queue_t *q, acd_ms_t now)
{
    acd__queue_t *old = call->queue;
    acd__queue_unwait(c, call);
    acd_list_remove(&call->queue_link);
    old->n_calls--;
    call->queue = q;
    acd_list_push_back(&q->calls, &call->queue_link);
    q->n_calls++;
    call->queue_ms = now;
    call->max_wait_spent = false;
    acd__queue_wait(c, q, call);
    if (old->removed && old->n_calls == 0)
        acd__queue_destroy(c, old);
}

/*
 * CALL_ADOPT: a call another site owned, taken over when that site went dark, becomes
 * this site's with its original facts (acd__call_create's rules). Without ev->agent_id it
 * waits QUEUED at its original ev->enqueue_ms and priority, so it keeps its place among
 * the calls here. With ev->agent_id it is CONNECTED (since ev->answer_ms) to that agent,
 * held as a remote agent of ev->agent_site whatever site that is: its state belongs to
 * its owner, which the call's end tells (REMOTE_AGENT, quoting ev->offer_id: the
 * takeover's, as the original offer is not replicated). ev->enqueue_ms 0, or an agent
 * without a site, an offer id or an answer time: -EINVAL.
 */
int acd__call_adopt(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    (void)now;
    bool connected = ev->agent_id[0] != '\0';
    if (ev->enqueue_ms <= 0 ||
        (connected && (!ev->agent_site[0] || !ev->offer_id[0] || ev->answer_ms <= 0)))
        return -EINVAL;
    acd__call_t *call;
    int rc = acd__call_create(c, ev, ev->enqueue_ms, &call);
    if (rc < 0)
        return rc;
    call->adopted = true;
    call->offers = ev->offers > 0 ? ev->offers : 0;
    call_delivery(call, ev);
    if (!connected) {
        acd__queue_wait(c, call->queue, call);
        return 0;
    }
    rc = acd__remote_adopt_connected(call, ev);
    if (rc < 0) { /* undo the creation: a refused event changes nothing */
        acd_hmap_remove(&c->calls, &call->node);
        acd_list_remove(&call->queue_link);
        call->queue->n_calls--;
        free(call);
    }
    return rc;
}

/*
 * CALL_FORGET: the call was taken over by ev->call_site while this site was cut off. It
 * leaves without a CDR, which the site that took it over writes. A waiting or ringing call
 * leaves like a failed one (the offer is cancelled). A local agent connected to it talks
 * on in what is now that site's call: it stays ON_CALL, held for it as for any remote
 * site's call (under ev->offer_id), until that site reports its end (REMOTE_CALL_UPDATE).
 */
int acd__call_forget(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call)
        return -ENOENT;
    acd__agent_t *a = call->agent;
    if (call->state == ACD_CALL_CONNECTED && a && ev->call_site[0] && ev->offer_id[0]) {
        acd__reservation_t *r = &a->remote;
        acd__core_copy(r->call_id, sizeof(r->call_id), call->id);
        acd__core_copy(r->call_site, sizeof(r->call_site), ev->call_site);
        acd__core_copy(r->offer_id, sizeof(r->offer_id), ev->offer_id);
        acd__core_copy(r->queue, sizeof(r->queue), call->queue->name);
        r->wrapup_ms = call->queue->wrapup_ms;
        r->max_no_answer = call->queue->max_no_answer;
        a->call = NULL;
        call->agent = NULL;
        call->state = ACD_CALL_ENDED; /* nothing left for call_end to release */
    }
    call_end_cdr(c, call, ACD_DISP_FAILED, now, false);
    return 0;
}

/*
 * CALL_HANGUP: the caller left (or, with ev->failed, the call failed). Queued or
 * offered: abandoned (an offer is cancelled, the agent is available again without a
 * miss). Connected: answered; END_CALL releases the agent's leg and the agent goes to
 * wrap-up. ev->failed makes the disposition "failed" in every state; with
 * ev->restorable too, an adopted call not yet connected leaves a restore ticket.
 */
int acd__call_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call)
        return -ENOENT;
    acd_disposition_t disp = ACD_DISP_ABANDONED;
    if (ev->failed)
        disp = ACD_DISP_FAILED;
    else if (call->state == ACD_CALL_CONNECTED)
        disp = ACD_DISP_ANSWERED;
    if (ev->failed && ev->restorable && call->adopted && call->state != ACD_CALL_CONNECTED)
        acd__restore_record(c, call, now);
    acd__call_end(c, call, disp, now);
    return 0;
}

/*
 * OFFER_ANSWERED: when call is offered to this agent right now, connect them (CONNECT,
 * agent on-call, its misses forgotten). Otherwise the answer is stale - the offer timed
 * out, was cancelled, the call is gone or rings someone else - and the only action is
 * REJECT_ANSWER, so the agent's answered leg gets hung up; this is not a refusal.
 */
int acd__call_answered(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (call && acd__call_remote(call))
        return acd__remote_answered(c, call, ev, now);
    acd__agent_t *a = acd__agent_find_any(c, ev->agent_id);
    if (!call || !a || call->state != ACD_CALL_OFFERED || call->agent != a) {
        call_emit_pair(c, ACD_ACT_REJECT_ANSWER, ev->call_id, ev->agent_id, "stale");
        return 0;
    }
    acd__agent_deadline_clear(c, a);
    call->state = ACD_CALL_CONNECTED;
    call->answer_ms = now;
    acd__core_copy(call->answered_by, sizeof(call->answered_by), a->id);
    call->queue->n_offered--;
    a->missed_in_row = 0;
    call_emit_pair(c, ACD_ACT_CONNECT, call->id, a->id, NULL);
    acd__agent_set_state(c, a, ACD_AGENT_ON_CALL, now, NULL);
    return 0;
}

/*
 * OFFER_FAILED: the agent's phone was busy, rejected or unreachable. Like a ring
 * timeout: the call goes back to its place and the agent counts a miss. A failure of
 * an offer that is not current is refused (ACD_ESTATE).
 */
int acd__call_offer_failed(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call)
        return -ENOENT;
    if (acd__call_remote(call))
        return acd__remote_failed(c, call, ev, now);
    acd__agent_t *a = acd__agent_find_any(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (call->state != ACD_CALL_OFFERED || call->agent != a)
        return ACD_ESTATE;
    acd__call_unoffer(c, call);
    acd__agent_missed(c, a, call, call->queue, now);
    return 0;
}

/* AGENT_HANGUP: the agent ended its connected call: END_CALL, wrap-up, CDR answered. */
int acd__call_agent_hangup(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call)
        return -ENOENT;
    if (acd__call_remote(call)) {
        /* A remote agent's leg is this site's dialog too: its BYE arrives here. */
        if (call->state != ACD_CALL_CONNECTED || strcmp(call->remote.id, ev->agent_id) != 0)
            return ACD_ESTATE;
        acd__call_end(c, call, ACD_DISP_ANSWERED, now);
        return 0;
    }
    acd__agent_t *a = acd__agent_find_any(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (call->state != ACD_CALL_CONNECTED || call->agent != a)
        return ACD_ESTATE;
    acd__call_end(c, call, ACD_DISP_ANSWERED, now);
    return 0;
}
