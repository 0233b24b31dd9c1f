/* dispatch.c - matching waiting calls with available agents, globally first call first. */
#include <errno.h>

#include "acd/core_int.h"

/* Offers call, the head of q, to agent a at now: OFFER, then AGENT_STATE ringing. */
static void dispatch_offer(acd_core_t *c, acd__queue_t *q, acd__call_t *call, acd__agent_t *a,
                           acd_ms_t now)
{
    acd__queue_unwait(c, call);
    call->state = ACD_CALL_OFFERED;
    call->agent = a;
    call->offers++;
    q->n_offered++;
    a->call = call;

    acd_action_t *act = acd__core_emit(c, ACD_ACT_OFFER);
    acd__core_copy(act->call_id, sizeof(act->call_id), call->id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
    acd__core_copy(act->sip_user, sizeof(act->sip_user), a->sip_user);
    act->ring_timeout_ms = q->ring_timeout_ms;

    acd__agent_set_state(c, a, ACD_AGENT_RINGING, now, NULL);
    acd__agent_deadline_set(c, a, now + q->ring_timeout_ms);
    if (q->strategy->offered)
        q->strategy->offered(q, a);
}

/*
 * The rule: c->ready holds exactly the queues that have a waiting call and an available
 * member, ordered by their first waiting call. Repeatedly take the queue whose first
 * call is first overall (priority desc, enqueue time, arrival), and let its strategy
 * pick an eligible member; when every available member has missed this call in its
 * current round, start a new round and pick again, so a lone agent is rung again
 * rather than the call waiting forever. Each offer takes one agent out of "available",
 * so the loop ends. Only queue heads are looked at, never the calls behind them.
 *
 * A strategy that finds nobody even then (none of the built-in ones) gets its queue
 * set aside for the rest of this pass, so the calls of other queues still go out.
 *
 * With local dispatch off nothing is matched here: c->ready keeps its queues until a
 * leader's offers (remote.c, reservation.c) or turning local dispatch on empty it.
 */
void acd__dispatch(acd_core_t *c, acd_ms_t now)
{
    if (!c->local_dispatch)
        return;
    acd_list_t skipped;
    acd_list_init(&skipped);
    acd__heap_node_t *top;
    while ((top = acd__heap_top(&c->ready)) != NULL) {
        acd__queue_t *q = acd_container_of(top, acd__queue_t, ready_node);
        acd__call_t *call = acd__queue_head(q);
        acd__agent_t *a = q->strategy->pick(q, call);
        if (!a) {
            call->round++;
            a = q->strategy->pick(q, call);
        }
        if (!a) {
            acd__heap_remove(&c->ready, &q->ready_node);
            q->skipped = true;
            acd_list_push_back(&skipped, &q->skip_link);
            continue;
        }
        dispatch_offer(c, q, call, a, now);
    }
    acd_list_t *pos, *tmp;
    acd_list_foreach(pos, tmp, &skipped)
    {
        acd__queue_t *q = acd_container_of(pos, acd__queue_t, skip_link);
        acd_list_remove(&q->skip_link);
        q->skipped = false;
        acd__queue_refresh(c, q);
    }
}

static size_t dispatch_min(size_t a, size_t b)
{
    return a < b ? a : b;
}

int acd_core_set_local_dispatch(acd_core_t *c, bool on, acd_ms_t now, acd_actions_t *out)
{
    if (!c || !out)
        return -EINVAL;
    if (on) {
        int rc = acd__actions_reserve(out, 2 * dispatch_min(c->n_available, c->n_waiting));
        if (rc < 0)
            return rc;
    }
    c->local_dispatch = on;
    c->out = out;
    acd__dispatch(c, now);
    c->out = NULL;
    return 0;
}

bool acd_core_local_dispatch(const acd_core_t *c)
{
    return c && c->local_dispatch;
}

uint64_t acd_core_epoch(const acd_core_t *c)
{
    return c ? c->epoch : 0;
}
