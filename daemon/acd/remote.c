/* remote.c - the call owner's side of cluster offers: local calls rung on other sites' agents. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/*
 * A leader's offer reaches this site, the call's owner, as REMOTE_ACCEPTED once the
 * agent's owner has reserved the agent. The call is rung only if it still waits;
 * otherwise the reservation is handed back (REMOTE_RELEASE). From then on the call
 * behaves as with a local agent - OFFER_ANSWERED, OFFER_FAILED, ring timeout,
 * CALL_HANGUP and AGENT_HANGUP all apply - except that the agent's state belongs to its
 * owner: instead of moving it, the core tells call control what happened
 * (REMOTE_AGENT), for the agent's owner to apply as REMOTE_CALL_UPDATE.
 *
 * Each call remembers every offer_id it has taken or handed back, so a duplicated or
 * late accept is ignored instead of ringing an agent whose reservation has ended.
 */

/* Remote ring deadlines fire earliest first; earlier arrivals go first on a tie. */
bool acd__ring_deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    const acd__call_t *x = acd_container_of(a, acd__call_t, ring_node);
    const acd__call_t *y = acd_container_of(b, acd__call_t, ring_node);
    if (x->ring_deadline != y->ring_deadline)
        return x->ring_deadline < y->ring_deadline;
    return x->seq < y->seq;
}

void acd__remote_call_fini(acd__call_t *call)
{
    free(call->offers_seen);
    call->offers_seen = NULL;
    call->n_offers_seen = call->cap_offers_seen = 0;
}

static bool remote_seen(const acd__call_t *call, const char *offer_id)
{
    for (size_t i = 0; i < call->n_offers_seen; i++) {
        if (strcmp(call->offers_seen[i], offer_id) == 0)
            return true;
    }
    return false;
}

/* Makes room for one more seen offer_id. Returns 0 or -ENOMEM (nothing changed). */
static int remote_seen_reserve(acd__call_t *call)
{
    if (call->n_offers_seen < call->cap_offers_seen)
        return 0;
    size_t cap = call->cap_offers_seen ? call->cap_offers_seen * 2 : 4;
    char(*v)[ACD_ID_MAX] = realloc(call->offers_seen, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    call->offers_seen = v;
    call->cap_offers_seen = cap;
    return 0;
}

/*
 * A call adopted CONNECTED (CALL_ADOPT) to agent_id of agent_site since answer_ms, under
 * offer_id (the takeover's). Returns 0 or -ENOMEM with call unchanged.
 */
int acd__remote_adopt_connected(acd__call_t *call, const acd_event_t *ev)
{
    int rc = remote_seen_reserve(call);
    if (rc < 0)
        return rc;
    acd__core_copy(call->offers_seen[call->n_offers_seen++], ACD_ID_MAX, ev->offer_id);
    acd__core_copy(call->remote.id, sizeof(call->remote.id), ev->agent_id);
    acd__core_copy(call->remote.site, sizeof(call->remote.site), ev->agent_site);
    acd__core_copy(call->remote.sip_user, sizeof(call->remote.sip_user), ev->sip_user);
    acd__core_copy(call->remote.offer_id, sizeof(call->remote.offer_id), ev->offer_id);
    acd__core_copy(call->answered_by, sizeof(call->answered_by), ev->agent_id);
    acd__core_copy(call->answered_site, sizeof(call->answered_site), ev->agent_site);
    call->state = ACD_CALL_CONNECTED;
    call->answer_ms = ev->answer_ms;
    return 0;
}

/* Emits an action about call_id and the remote agent ra (kind for REMOTE_AGENT). */
static acd_action_t *remote_emit(acd_core_t *c, acd_action_type_t t, const char *call_id,
                                 const acd__remote_agent_t *ra)
{
    acd_action_t *act = acd__core_emit(c, t);
    acd__core_copy(act->call_id, sizeof(act->call_id), call_id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), ra->id);
    acd__core_copy(act->agent_site, sizeof(act->agent_site), ra->site);
    acd__core_copy(act->offer_id, sizeof(act->offer_id), ra->offer_id);
    acd__core_copy(act->sip_user, sizeof(act->sip_user), ra->sip_user);
    return act;
}

static void remote_emit_agent(acd_core_t *c, const acd__call_t *call, acd_remote_kind_t kind)
{
    remote_emit(c, ACD_ACT_REMOTE_AGENT, call->id, &call->remote)->kind = kind;
}

/* Ends call's ringing remote offer unanswered: the call goes back to its own place. */
static void remote_unoffer(acd_core_t *c, acd__call_t *call)
{
    acd__heap_remove(&c->ring_deadlines, &call->ring_node);
    memset(&call->remote, 0, sizeof(call->remote));
    call->state = ACD_CALL_QUEUED;
    call->queue->n_offered--;
    acd__queue_wait(c, call->queue, call);
}

/*
 * REMOTE_ACCEPTED: the agent's owner reserved ev->agent_id (of ev->agent_site) for
 * ev->call_id under the leader's ev->offer_id. A waiting call is offered to it: OFFER
 * with agent_site and offer_id set, rung for the queue's ring timeout. A call that is
 * gone, or offered or connected already, hands the reservation back: REMOTE_RELEASE. An
 * offer_id this call has already seen changes nothing and emits nothing (a duplicate).
 * Empty ids give -EINVAL.
 */
int acd__remote_accepted(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    if (!ev->offer_id[0] || !ev->call_id[0] || !ev->agent_id[0] || !ev->agent_site[0])
        return -EINVAL;
    acd__remote_agent_t ra;
    memset(&ra, 0, sizeof(ra));
    acd__core_copy(ra.id, sizeof(ra.id), ev->agent_id);
    acd__core_copy(ra.site, sizeof(ra.site), ev->agent_site);
    acd__core_copy(ra.sip_user, sizeof(ra.sip_user), ev->sip_user);
    acd__core_copy(ra.offer_id, sizeof(ra.offer_id), ev->offer_id);

    acd__call_t *call = acd__call_find(c, ev->call_id);
    if (!call) {
        remote_emit(c, ACD_ACT_REMOTE_RELEASE, ev->call_id, &ra);
        return 0;
    }
    if (remote_seen(call, ev->offer_id))
        return 0;
    int rc = remote_seen_reserve(call);
    if (rc == 0 && call->state == ACD_CALL_QUEUED)
        rc = acd__heap_reserve(&c->ring_deadlines, c->ring_deadlines.n + 1);
    if (rc < 0)
        return rc;
    acd__core_copy(call->offers_seen[call->n_offers_seen], ACD_ID_MAX, ev->offer_id);
    call->n_offers_seen++;
    if (call->state != ACD_CALL_QUEUED) {
        remote_emit(c, ACD_ACT_REMOTE_RELEASE, call->id, &ra);
        return 0;
    }

    acd__queue_t *q = call->queue;
    acd__queue_unwait(c, call);
    call->state = ACD_CALL_OFFERED;
    call->remote = ra;
    call->offers++;
    q->n_offered++;
    call->ring_deadline = now + q->ring_timeout_ms;
    (void)acd__heap_push(&c->ring_deadlines, &call->ring_node); /* room reserved above */
    remote_emit(c, ACD_ACT_OFFER, call->id, &call->remote)->ring_timeout_ms = q->ring_timeout_ms;
    return 0;
}

/*
 * OFFER_ANSWERED for a call bound to a remote agent: when it rings that agent now,
 * CONNECT (agent_site set) and REMOTE_AGENT answered; otherwise the answer is stale and
 * REJECT_ANSWER hangs the answered leg up, as for a local agent.
 */
int acd__remote_answered(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now)
{
    if (call->state != ACD_CALL_OFFERED || strcmp(call->remote.id, ev->agent_id) != 0) {
        acd_action_t *act = acd__core_emit(c, ACD_ACT_REJECT_ANSWER);
        acd__core_copy(act->call_id, sizeof(act->call_id), ev->call_id);
        acd__core_copy(act->agent_id, sizeof(act->agent_id), ev->agent_id);
        acd__core_copy(act->reason, sizeof(act->reason), "stale");
        return 0;
    }
    acd__heap_remove(&c->ring_deadlines, &call->ring_node);
    call->state = ACD_CALL_CONNECTED;
    call->answer_ms = now;
    acd__core_copy(call->answered_by, sizeof(call->answered_by), call->remote.id);
    acd__core_copy(call->answered_site, sizeof(call->answered_site), call->remote.site);
    call->queue->n_offered--;
    remote_emit(c, ACD_ACT_CONNECT, call->id, &call->remote);
    remote_emit_agent(c, call, ACD_REMOTE_ANSWERED);
    return 0;
}

/*
 * OFFER_FAILED for a call bound to a remote agent: when it rings that agent now, the
 * call goes back to its place and REMOTE_AGENT missed tells the agent's owner to count
 * the miss; otherwise ACD_ESTATE.
 */
int acd__remote_failed(acd_core_t *c, acd__call_t *call, const acd_event_t *ev, acd_ms_t now)
{
    (void)now;
    if (call->state != ACD_CALL_OFFERED || strcmp(call->remote.id, ev->agent_id) != 0)
        return ACD_ESTATE;
    remote_emit_agent(c, call, ACD_REMOTE_MISSED);
    remote_unoffer(c, call);
    return 0;
}

void acd__remote_end(acd_core_t *c, acd__call_t *call, acd_disposition_t disp)
{
    if (call->state == ACD_CALL_OFFERED) {
        acd__heap_remove(&c->ring_deadlines, &call->ring_node);
        call->queue->n_offered--;
        acd_action_t *act = remote_emit(c, ACD_ACT_CANCEL_OFFER, call->id, &call->remote);
        acd__core_copy(act->reason, sizeof(act->reason), acd_disposition_name(disp));
        remote_emit_agent(c, call, ACD_REMOTE_RELEASED);
    } else {
        acd_action_t *act = remote_emit(c, ACD_ACT_END_CALL, call->id, &call->remote);
        acd__core_copy(act->reason, sizeof(act->reason), acd_disposition_name(disp));
        remote_emit_agent(c, call, ACD_REMOTE_ENDED);
    }
    memset(&call->remote, 0, sizeof(call->remote));
}

void acd__remote_ring_timeout(acd_core_t *c, acd__call_t *call, acd_ms_t at)
{
    (void)at;
    acd_action_t *act = remote_emit(c, ACD_ACT_CANCEL_OFFER, call->id, &call->remote);
    acd__core_copy(act->reason, sizeof(act->reason), "timeout");
    remote_emit_agent(c, call, ACD_REMOTE_MISSED);
    remote_unoffer(c, call);
}
