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

/* Takes q out of this pass (its calls wait for another event); dispatch puts it back. */
static void dispatch_set_aside(acd_core_t *c, acd__queue_t *q, acd_list_t *skipped)
{
    q->pass_head = NULL;
    acd__heap_remove(&c->ready, &q->ready_node);
    q->skipped = true;
    acd_list_push_back(skipped, &q->skip_link);
}

/*
 * The call of q to offer now and its match, or NULL when none of q's waiting calls can go
 * out: the head, unless no available member has the skills it requires; then, when q's
 * requirements relax with waiting, the first waiting call that an available member can
 * take. When every capable member has missed the call in its current round, the call
 * starts a new round. A call other than the head becomes q->pass_head, which orders q in
 * c->ready from then on: *later is set when q moved there and must wait its turn.
 */
static acd__call_t *dispatch_choose(acd_core_t *c, acd__queue_t *q, acd_ms_t now,
                                    acd__match_t *m, bool *later)
{
    *later = false;
    acd__call_t *call = q->pass_head ? q->pass_head : acd__queue_head(q);
    acd__skills_match(q, call, now, m);
    if (m->best < 0 && acd__skills_servable(q, m->need)) {
        call->round++; /* every capable member missed it: all of them again */
        acd__skills_match(q, call, now, m);
    }
    if (m->best >= 0)
        return call;
    /* Nobody available can take it. Others of q may be in a laxer stage. */
    q->pass_head = NULL;
    acd__call_t *next = q->sk.n_stages > 1 ? acd__skills_first_servable(q, now) : NULL;
    if (next) {
        q->pass_head = next;
        acd__heap_fix(&c->ready, &q->ready_node);
        *later = true;
    }
    return next;
}

/*
 * The rule: c->ready holds exactly the queues that have a waiting call and an available
 * member, ordered by their first waiting call. Repeatedly take the queue whose first
 * call is first overall (priority desc, enqueue time, arrival), and let its strategy
 * pick a candidate: a member eligible for the call (available, not excluded by a miss
 * in the call's round) with every skill the call requires now, of the best match score
 * among those (skills.c). Each offer takes one agent out of "available", so the loop
 * ends. Only queue heads are looked at, except in a queue whose head nobody available
 * can take and whose requirements relax with waiting: there the first call that can go
 * out takes the head's place in the order for the rest of the pass.
 *
 * A queue none of whose calls can go out (skills), or whose strategy finds nobody (none
 * of the built-in ones), is set aside for the rest of this pass, so the calls of other
 * queues still go out; it stays in c->ready afterwards, and the next relaxation of its
 * calls is a deadline (c->relax_at) at which TICK tries again.
 *
 * With local dispatch off nothing is matched here: c->ready keeps its queues until a
 * leader's offers (remote.c, reservation.c) or turning local dispatch on empty it.
 */
void acd__dispatch(acd_core_t *c, acd_ms_t now)
{
    c->relax_at = INT64_MAX;
    if (!c->local_dispatch)
        return;
    acd_list_t skipped;
    acd_list_init(&skipped);
    acd__heap_node_t *top;
    while ((top = acd__heap_top(&c->ready)) != NULL) {
        acd__queue_t *q = acd_container_of(top, acd__queue_t, ready_node);
        acd__match_t m;
        bool later;
        acd__call_t *call = dispatch_choose(c, q, now, &m, &later);
        if (later)
            continue; /* q's place changed: another queue's call may come first */
        acd__agent_t *a = call ? q->strategy->pick(q, call, &m) : NULL;
        if (!a) {
            dispatch_set_aside(c, q, &skipped);
            continue;
        }
        q->pass_head = NULL;
        dispatch_offer(c, q, call, a, now);
    }
    acd_list_t *pos, *tmp;
    acd_list_foreach(pos, tmp, &skipped)
    {
        acd__queue_t *q = acd_container_of(pos, acd__queue_t, skip_link);
        acd_list_remove(&q->skip_link);
        q->skipped = false;
        acd__queue_refresh(c, q);
        acd_ms_t t = acd__skills_next_relax(q, now);
        if (t < c->relax_at)
            c->relax_at = t;
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
    c->now = now;
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
