/* agent.c - ACD agents: their state machine, deadlines and availability bookkeeping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/* Deadlines fire earliest first; agents created earlier go first on a tie. */
bool acd__deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    const acd__agent_t *x = acd_container_of(a, acd__agent_t, deadline_node);
    const acd__agent_t *y = acd_container_of(b, acd__agent_t, deadline_node);
    if (x->deadline != y->deadline)
        return x->deadline < y->deadline;
    return x->serial < y->serial;
}

int acd__agent_alloc(acd__agent_t **ap, const char *id, uint64_t serial)
{
    int rc = 0;
    acd__agent_t *a = calloc(1, sizeof(*a));
    if (!a) {
        rc = -ENOMEM;
        goto out;
    }
    acd__core_copy(a->id, sizeof(a->id), id);
    a->serial = serial;
    a->state = ACD_AGENT_LOGGED_OUT;
    acd__heap_node_init(&a->deadline_node);
    *ap = a;
out:
    return rc;
}

void acd__agent_free(acd__agent_t *a)
{
    if (!a)
        return;
    free(a->queues);
    acd__skillset_free(&a->skills);
    free(a);
}

void acd__agent_destroy(acd_core_t *c, acd__agent_t *a)
{
    acd__heap_remove(&c->deadlines, &a->deadline_node);
    acd_hmap_remove(&c->agents, &a->node);
    /* c->agents_sorted is sorted by id; a may be absent (configure drops it first). */
    size_t lo = 0, hi = c->n_agents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->agents_sorted[mid]->id, a->id);
        if (cmp == 0) {
            if (c->agents_sorted[mid] == a) {
                memmove(&c->agents_sorted[mid], &c->agents_sorted[mid + 1],
                        (c->n_agents - mid - 1) * sizeof(*c->agents_sorted));
                c->n_agents--;
            }
            break;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    acd__agent_free(a);
}

acd__agent_t *acd__agent_find_any(const acd_core_t *c, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->agents, acd_str_from(id));
    return n ? acd_container_of(n, acd__agent_t, node) : NULL;
}

acd__agent_t *acd__agent_find(const acd_core_t *c, const char *id)
{
    acd__agent_t *a = acd__agent_find_any(c, id);
    return a && !a->removed ? a : NULL;
}

acd_action_t *acd__agent_set_state(acd_core_t *c, acd__agent_t *a, acd_agent_state_t st,
                                   acd_ms_t at, const char *reason)
{
    acd_agent_state_t old = a->state;
    bool was_available = old == ACD_AGENT_AVAILABLE;
    bool is_available = st == ACD_AGENT_AVAILABLE;
    bool was_in = old != ACD_AGENT_LOGGED_OUT, is_in = st != ACD_AGENT_LOGGED_OUT;
    a->state = st;
    a->state_since = at;
    acd__core_copy(a->pause_reason, sizeof(a->pause_reason), st == ACD_AGENT_PAUSED ? reason : "");
    for (size_t i = 0; was_in != is_in && i < a->n_queues; i++) {
        acd__queue_t *q = a->queues[i];
        size_t before = acd__queue_logged_in(q);
        if (is_in)
            q->n_logged_in++;
        else
            q->n_logged_in--;
        acd__overflow_logged_in(c, q, before); /* the last one out: leave_empty */
    }
    if (was_available != is_available) {
        if (is_available)
            c->n_available++;
        else
            c->n_available--;
        for (size_t i = 0; i < a->n_queues; i++) {
            acd__queue_t *q = a->queues[i];
            if (is_available)
                q->n_available++;
            else
                q->n_available--;
            acd__queue_refresh(c, q);
        }
    }
    acd_action_t *act = acd__core_emit(c, ACD_ACT_AGENT_STATE);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
    act->old_state = old;
    act->new_state = st;
    acd__core_copy(act->reason, sizeof(act->reason), a->pause_reason);
    return act;
}

/* Room for one deadline per agent is reserved by configure, so the push cannot fail. */
void acd__agent_deadline_set(acd_core_t *c, acd__agent_t *a, acd_ms_t when)
{
    a->deadline = when;
    if (acd__heap_linked(&a->deadline_node))
        acd__heap_fix(&c->deadlines, &a->deadline_node);
    else
        (void)acd__heap_push(&c->deadlines, &a->deadline_node);
}

void acd__agent_deadline_clear(acd_core_t *c, acd__agent_t *a)
{
    acd__heap_remove(&c->deadlines, &a->deadline_node);
}

void acd__agent_after_call(acd_core_t *c, acd__agent_t *a, int wrapup_ms, acd_ms_t at)
{
    if (a->removed) {
        acd__agent_set_state(c, a, ACD_AGENT_LOGGED_OUT, at, NULL);
        acd__agent_destroy(c, a);
    } else if (a->logout_pending) {
        a->logout_pending = false;
        acd__agent_set_state(c, a, ACD_AGENT_LOGGED_OUT, at, NULL);
    } else if (wrapup_ms > 0) {
        acd__agent_set_state(c, a, ACD_AGENT_WRAPUP, at, NULL);
        acd__agent_deadline_set(c, a, at + wrapup_ms);
    } else {
        a->idle_since = at;
        acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, at, NULL);
    }
}

/*
 * A miss keeps idle_since as it was: ringing without answering is not handling a call,
 * so the agent keeps its place in the longest-idle order for the next call, while the
 * exclusion recorded here (see acd__agent_eligible) moves this call on to another
 * agent. Missing max_no_answer offers in a row pauses the agent ("no-answer").
 */
void acd__agent_missed(acd_core_t *c, acd__agent_t *a, const acd__call_t *call,
                       const acd__queue_t *q, acd_ms_t at)
{
    a->missed_call = call->seq;
    a->missed_round = call->round;
    a->missed_in_row++;
    if (q->max_no_answer > 0 && a->missed_in_row >= q->max_no_answer)
        acd__agent_set_state(c, a, ACD_AGENT_PAUSED, at, "no-answer");
    else
        acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, at, NULL);
}

void acd__agent_deadline_fire(acd_core_t *c, acd__agent_t *a, acd_ms_t at)
{
    if (a->state == ACD_AGENT_RINGING && a->call) {
        acd__call_t *call = a->call;
        acd__queue_t *q = call->queue;
        acd_action_t *act = acd__core_emit(c, ACD_ACT_CANCEL_OFFER);
        acd__core_copy(act->call_id, sizeof(act->call_id), call->id);
        acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
        acd__core_copy(act->reason, sizeof(act->reason), "timeout");
        acd__call_unoffer(c, call);
        acd__agent_missed(c, a, call, q, at);
    } else if (a->state == ACD_AGENT_RINGING && acd__agent_reserved(a)) {
        acd__reservation_expire(c, a, at);
    } else if (a->state == ACD_AGENT_WRAPUP) {
        acd__agent_deadline_clear(c, a);
        a->idle_since = at;
        acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, at, NULL);
    } else {
        acd__agent_deadline_clear(c, a); /* stale: no state of a has a deadline */
    }
}

/* ---- events ---- */

/*
 * LOGIN: logged-out -> available (idle from now, misses forgotten). On a call (or
 * reserved for another site's call) with a logout pending, LOGIN withdraws the pending
 * logout and changes nothing else.
 */
int acd__agent_login(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__agent_t *a = acd__agent_find(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (a->logout_pending) {
        a->logout_pending = false;
        return 0;
    }
    if (a->state != ACD_AGENT_LOGGED_OUT)
        return ACD_ESTATE;
    a->idle_since = now;
    a->missed_in_row = 0;
    acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, now, NULL);
    return 0;
}

/*
 * LOGOUT: available, paused or wrap-up -> logged-out. Ringing: the offer is cancelled
 * (CANCEL_OFFER reason "logout") and the call goes back to its place, without a miss.
 * Reserved for another site's call, the logout waits like one on a call - the agent is
 * the other site's until that site reports (or the reservation expires) - and
 * CANCEL_OFFER with call_site asks that site to stop ringing.
 * On a call: logged out when the call ends. Logged out, or a logout already pending:
 * ACD_ESTATE.
 */
int acd__agent_logout(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__agent_t *a = acd__agent_find(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    switch (a->state) {
    case ACD_AGENT_LOGGED_OUT:
        return ACD_ESTATE;
    case ACD_AGENT_ON_CALL:
        if (a->logout_pending)
            return ACD_ESTATE;
        a->logout_pending = true;
        return 0;
    case ACD_AGENT_RINGING: {
        if (acd__agent_reserved(a)) {
            if (a->logout_pending)
                return ACD_ESTATE;
            a->logout_pending = true;
            acd__reservation_cancel(c, a, "logout", false);
            return 0;
        }
        acd_action_t *act = acd__core_emit(c, ACD_ACT_CANCEL_OFFER);
        acd__core_copy(act->call_id, sizeof(act->call_id), a->call->id);
        acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
        acd__core_copy(act->reason, sizeof(act->reason), "logout");
        acd__call_unoffer(c, a->call);
        break;
    }
    case ACD_AGENT_AVAILABLE:
    case ACD_AGENT_WRAPUP:
    case ACD_AGENT_PAUSED:
        acd__agent_deadline_clear(c, a);
        break;
    }
    acd__agent_set_state(c, a, ACD_AGENT_LOGGED_OUT, now, NULL);
    return 0;
}

/* PAUSE: available or wrap-up (cut short) -> paused with ev->reason; else ACD_ESTATE. */
int acd__agent_pause(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__agent_t *a = acd__agent_find(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (a->state != ACD_AGENT_AVAILABLE && a->state != ACD_AGENT_WRAPUP)
        return ACD_ESTATE;
    acd__agent_deadline_clear(c, a);
    acd__agent_set_state(c, a, ACD_AGENT_PAUSED, now, ev->reason);
    return 0;
}

/* UNPAUSE: paused -> available (idle from now, misses forgotten); else ACD_ESTATE. */
int acd__agent_unpause(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd__agent_t *a = acd__agent_find(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (a->state != ACD_AGENT_PAUSED)
        return ACD_ESTATE;
    a->idle_since = now;
    a->missed_in_row = 0;
    acd__agent_set_state(c, a, ACD_AGENT_AVAILABLE, now, NULL);
    return 0;
}
