/* reservation.c - the agent owner's side of cluster offers: local agents held for remote calls. */
#include <errno.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/*
 * A leader's offer reaches this site, the agent's owner, as REMOTE_RESERVE. The agent
 * is reserved - RINGING for the other site's call, held in agent->remote - only when
 * it is available, a member of the offer's queue, and the offer's epoch is the newest
 * this site knows; so of two leaders racing, an agent goes to one offer only, and a
 * deposed leader's offer is refused once the new leader has been heard of. The call's
 * owner then rings the phone and reports back (REMOTE_CALL_UPDATE); if it never does,
 * the reservation ends by itself after the queue's ring timeout plus
 * ACD_RESERVATION_GRACE_MS.
 */

/* EPOCH: remembers ev->epoch when it is newer than any known. An epoch of 0: -EINVAL. */
int acd__reservation_epoch(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    (void)now;
    if (ev->epoch == 0)
        return -EINVAL;
    if (ev->epoch > c->epoch)
        c->epoch = ev->epoch;
    return 0;
}

/* Emits OFFER_ACCEPT or OFFER_REJECT (with reason) quoting the offer of ev. */
static acd_action_t *reservation_answer(acd_core_t *c, acd_action_type_t t, const acd_event_t *ev,
                                        const char *reason)
{
    acd_action_t *act = acd__core_emit(c, t);
    acd__core_copy(act->offer_id, sizeof(act->offer_id), ev->offer_id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), ev->agent_id);
    acd__core_copy(act->call_id, sizeof(act->call_id), ev->call_id);
    acd__core_copy(act->call_site, sizeof(act->call_site), ev->call_site);
    acd__core_copy(act->reason, sizeof(act->reason), reason);
    act->epoch = ev->epoch;
    return act;
}

static bool reservation_member(const acd__agent_t *a, const acd__queue_t *q)
{
    for (size_t i = 0; i < a->n_queues; i++) {
        if (a->queues[i] == q)
            return true;
    }
    return false;
}

/*
 * REMOTE_RESERVE: accepted when ev->agent_id is available, a member of ev->queue, and
 * ev->epoch is at least the newest epoch known (which it then becomes): the agent goes
 * RINGING for ev->call_id of ev->call_site until the reservation deadline, and
 * OFFER_ACCEPT is emitted before the AGENT_STATE. Otherwise OFFER_REJECT with reason
 * "stale-epoch", "unknown-agent" (not configured here, or logged out), "not-member" or
 * "busy", in that order of checks, and nothing else changes. The same offer again,
 * while its reservation lasts, is accepted again without any change (a duplicate).
 * Empty ids or epoch 0 give -EINVAL.
 */
int acd__reservation_reserve(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    if (!ev->offer_id[0] || !ev->agent_id[0] || !ev->call_id[0] || !ev->call_site[0] ||
        !ev->queue[0] || ev->epoch == 0)
        return -EINVAL;
    acd__agent_t *a = acd__agent_find(c, ev->agent_id);
    if (a && acd__agent_reserved(a) && strcmp(a->remote.offer_id, ev->offer_id) == 0 &&
        strcmp(a->remote.call_id, ev->call_id) == 0) {
        reservation_answer(c, ACD_ACT_OFFER_ACCEPT, ev, "");
        return 0;
    }
    if (ev->epoch < c->epoch) {
        reservation_answer(c, ACD_ACT_OFFER_REJECT, ev, "stale-epoch");
        return 0;
    }
    if (!a || a->state == ACD_AGENT_LOGGED_OUT) {
        reservation_answer(c, ACD_ACT_OFFER_REJECT, ev, "unknown-agent");
        return 0;
    }
    acd_hmap_node_t *n = acd_hmap_get(&c->queues, acd_str_from(ev->queue));
    const acd__queue_t *q = n ? acd_container_of(n, acd__queue_t, node) : NULL;
    if (!q || q->removed || !reservation_member(a, q)) {
        reservation_answer(c, ACD_ACT_OFFER_REJECT, ev, "not-member");
        return 0;
    }
    if (a->state != ACD_AGENT_AVAILABLE) {
        reservation_answer(c, ACD_ACT_OFFER_REJECT, ev, "busy");
        return 0;
    }

    c->epoch = ev->epoch;
    acd__reservation_t *r = &a->remote;
    acd__core_copy(r->call_id, sizeof(r->call_id), ev->call_id);
    acd__core_copy(r->call_site, sizeof(r->call_site), ev->call_site);
    acd__core_copy(r->offer_id, sizeof(r->offer_id), ev->offer_id);
    acd__core_copy(r->queue, sizeof(r->queue), q->name);
    r->wrapup_ms = q->wrapup_ms;
    r->max_no_answer = q->max_no_answer;
    acd_action_t *act = reservation_answer(c, ACD_ACT_OFFER_ACCEPT, ev, "");
    acd__core_copy(act->sip_user, sizeof(act->sip_user), a->sip_user);
    acd__agent_set_state(c, a, ACD_AGENT_RINGING, now, NULL);
    acd__agent_deadline_set(c, a, now + q->ring_timeout_ms + ACD_RESERVATION_GRACE_MS);
    return 0;
}

/* Drops a's reservation and its deadline; the caller moves a's state. */
static void reservation_drop(acd_core_t *c, acd__agent_t *a)
{
    acd__agent_deadline_clear(c, a);
    memset(&a->remote, 0, sizeof(a->remote));
}

/*
 * a's reservation ended without a call at at: a pending logout applies now, else a
 * moves to st (reason kept when st is PAUSED). Returns the AGENT_STATE action.
 */
static acd_action_t *reservation_end(acd_core_t *c, acd__agent_t *a, acd_agent_state_t st,
                                     acd_ms_t at, const char *reason)
{
    reservation_drop(c, a);
    if (a->logout_pending) {
        a->logout_pending = false;
        st = ACD_AGENT_LOGGED_OUT;
    }
    return acd__agent_set_state(c, a, st, at, reason);
}

/*
 * REMOTE_CALL_UPDATE: the call's owner reports on ev->agent_id, reserved for or on
 * ev->call_id (and ev->offer_id, when given):
 *   ANSWERED  ringing -> on-call, misses forgotten;
 *   MISSED    ringing -> available, or paused "no-answer" after the queue's
 *             max_no_answer misses in a row (idle_since kept, as for a local miss);
 *   RELEASED  ringing -> available, no miss, idle_since kept;
 *   ENDED     on-call (or ringing, when the answer was not heard) -> wrap-up for the
 *             queue's wrap-up time, or available; a pending logout or a removal from
 *             the configuration applies as after a local call.
 * A logout asked for while reserved applies when the reservation ends without a call.
 * ANSWERED while already on that call changes nothing (a duplicate). An agent that is
 * not configured here: ACD_ENOAGENT; one not reserved for that call and offer, or not
 * in a state the kind applies to: ACD_ESTATE; an unknown kind: -EINVAL.
 */
int acd__reservation_update(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    acd_remote_kind_t kind = ev->kind;
    if (kind != ACD_REMOTE_ANSWERED && kind != ACD_REMOTE_MISSED && kind != ACD_REMOTE_RELEASED &&
        kind != ACD_REMOTE_ENDED)
        return -EINVAL;
    acd__agent_t *a = acd__agent_find_any(c, ev->agent_id);
    if (!a)
        return ACD_ENOAGENT;
    if (!acd__agent_reserved(a) || strcmp(a->remote.call_id, ev->call_id) != 0 ||
        (ev->offer_id[0] && strcmp(a->remote.offer_id, ev->offer_id) != 0))
        return ACD_ESTATE;
    bool ringing = a->state == ACD_AGENT_RINGING;
    if (kind == ACD_REMOTE_ANSWERED && !ringing)
        return 0;
    if (kind != ACD_REMOTE_ENDED && !ringing)
        return ACD_ESTATE;

    int wrapup_ms = a->remote.wrapup_ms;
    int max_no_answer = a->remote.max_no_answer;
    switch (kind) {
    case ACD_REMOTE_ANSWERED:
        acd__agent_deadline_clear(c, a);
        a->missed_in_row = 0;
        acd__agent_set_state(c, a, ACD_AGENT_ON_CALL, now, NULL);
        break;
    case ACD_REMOTE_MISSED:
        a->missed_in_row++;
        if (max_no_answer > 0 && a->missed_in_row >= max_no_answer)
            reservation_end(c, a, ACD_AGENT_PAUSED, now, "no-answer");
        else
            reservation_end(c, a, ACD_AGENT_AVAILABLE, now, NULL);
        break;
    case ACD_REMOTE_RELEASED:
        reservation_end(c, a, ACD_AGENT_AVAILABLE, now, NULL);
        break;
    default: /* ACD_REMOTE_ENDED */
        reservation_drop(c, a);
        if (ringing)
            a->missed_in_row = 0;
        a->calls_handled++;
        acd__agent_after_call(c, a, wrapup_ms, now); /* may free a removed agent */
        break;
    }
    return 0;
}

void acd__reservation_cancel(acd_core_t *c, acd__agent_t *a, const char *reason, bool drop)
{
    acd_action_t *act = acd__core_emit(c, ACD_ACT_CANCEL_OFFER);
    acd__core_copy(act->call_id, sizeof(act->call_id), a->remote.call_id);
    acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
    acd__core_copy(act->call_site, sizeof(act->call_site), a->remote.call_site);
    acd__core_copy(act->offer_id, sizeof(act->offer_id), a->remote.offer_id);
    acd__core_copy(act->reason, sizeof(act->reason), reason);
    if (drop)
        reservation_drop(c, a);
}

/*
 * The AGENT_STATE ringing -> available (logged-out, when a logout waited) carries reason
 * "reservation-expired" and the call (call_id, call_site, offer_id) the reservation was
 * for. Not a miss: nothing says the phone ever rang.
 */
void acd__reservation_expire(acd_core_t *c, acd__agent_t *a, acd_ms_t at)
{
    acd__reservation_t r = a->remote;
    acd_action_t *act = reservation_end(c, a, ACD_AGENT_AVAILABLE, at, NULL);
    acd__core_copy(act->reason, sizeof(act->reason), "reservation-expired");
    acd__core_copy(act->call_id, sizeof(act->call_id), r.call_id);
    acd__core_copy(act->call_site, sizeof(act->call_site), r.call_site);
    acd__core_copy(act->offer_id, sizeof(act->offer_id), r.offer_id);
}
