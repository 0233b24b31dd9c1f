/* overflow.c - queue rules: max wait, max length, empty queues, and where calls overflow to. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acd/core_int.h"

/*
 * A queue's rules send a call away: max_len and join_empty when it would join the queue,
 * max_wait when it has waited there too long, leave_empty when the last logged-in member
 * logs out. Away means the queue's overflow target. A target queue applies its own
 * joining rules to the call, so overflow can chain (full sales -> full support ->
 * voicemail), at most ACD_OVERFLOW_MOVES_MAX queue moves per call so that a loop of
 * queues ends. Any other target ends the call in the core (ACD_ACT_OVERFLOW, then its
 * CDR with disposition overflow); call control takes the caller there.
 *
 * The action names the queue whose rule sent the call out and that queue's target; the
 * CDR names the queue the call last waited in (or, arriving, the queue it came to).
 * max_wait counts from when the call entered its present queue; skills relax by the whole
 * wait (skills.c).
 *
 * "sister" (overflow to the sister site) is not a place this core sends a call: the
 * cluster leader's planner keeps a call of such a queue to agents of the call's own site
 * for max_wait, then lets every live site's agents take it (cluster/planner.h). Here it
 * counts as no target at all: max_wait and the empty rules never fire (the call keeps
 * waiting; no ACD_ACT_OVERFLOW, no CDR) and max_len refuses arrivals as without a target.
 * So a single site, or a site in island mode, serves such a queue as one without overflow.
 */

#define OVERFLOW_QUEUE_PREFIX "queue:"

static const char *const overflow_out_targets[] = {"voicemail", "callback", "hangup"};

/* The cluster's widening to other sites' agents; no overflow in the core (see above). */
#define OVERFLOW_SISTER "sister"


bool acd__wait_deadline_less(const acd__heap_node_t *a, const acd__heap_node_t *b)
{
    const acd__call_t *x = acd_container_of(a, acd__call_t, maxwait_node);
    const acd__call_t *y = acd_container_of(b, acd__call_t, maxwait_node);
    if (x->maxwait_at != y->maxwait_at)
        return x->maxwait_at < y->maxwait_at;
    return x->seq < y->seq;
}

int acd__overflow_parse(const char *setting, acd__overflow_kind_t *kind, const char **queue)
{
    *queue = NULL;
    *kind = ACD__OVERFLOW_NONE;
    if (!setting || !*setting || strcmp(setting, OVERFLOW_SISTER) == 0)
        return 0;
    if (strlen(setting) >= ACD_ID_MAX)
        return -EINVAL;
    size_t plen = strlen(OVERFLOW_QUEUE_PREFIX);
    if (strncmp(setting, OVERFLOW_QUEUE_PREFIX, plen) == 0) {
        if (!setting[plen])
            return -EINVAL;
        *kind = ACD__OVERFLOW_QUEUE;
        *queue = setting + plen;
        return 0;
    }
    for (size_t i = 0; i < sizeof(overflow_out_targets) / sizeof(overflow_out_targets[0]); i++) {
        if (strcmp(setting, overflow_out_targets[i]) == 0) {
            *kind = ACD__OVERFLOW_OUT;
            return 0;
        }
    }
    return -EINVAL;
}

/* q's target queue when it can take calls now (configured, same tenant), else NULL. */
static acd__queue_t *overflow_target_queue(const acd_core_t *c, const acd__queue_t *q)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->queues, acd_str_from(q->overflow_queue));
    acd__queue_t *tq = n ? acd_container_of(n, acd__queue_t, node) : NULL;
    if (!tq || tq == q || tq->removed || strcmp(tq->tenant, q->tenant) != 0)
        return NULL;
    return tq;
}

/* Why a call joining q now would be sent away ("max-len", "empty"), or NULL. */
static const char *overflow_rule(const acd__queue_t *q)
{
    if (q->max_len > 0 && q->waiting.n >= (size_t)q->max_len)
        return "max-len";
    if (!q->join_empty && q->overflow_kind != ACD__OVERFLOW_NONE && acd__queue_logged_in(q) == 0)
        return "empty";
    return NULL;
}

/* Where overflow from q takes a call (overflow_route). */
typedef struct overflow_route {
    acd__queue_t *queue; /* joins it (reason NULL); or leaves from it (out); or stuck there */
    unsigned moves;      /* queue moves made on the way, in all */
    const char *reason;  /* the rule that fired at queue */
    bool out;            /* queue's target takes the call out of the core */
    bool stuck;          /* queue's rule fired, but it has no usable target */
} overflow_route_t;

/* Follows the overflow of a call that q's rule reason sends away, moves made so far. */
static void overflow_route(const acd_core_t *c, acd__queue_t *q, unsigned moves,
                           const char *reason, overflow_route_t *r)
{
    for (;;) {
        *r = (overflow_route_t){.queue = q, .moves = moves, .reason = reason};
        if (q->overflow_kind == ACD__OVERFLOW_OUT) {
            r->out = true;
            return;
        }
        acd__queue_t *tq = q->overflow_kind == ACD__OVERFLOW_QUEUE && moves < ACD_OVERFLOW_MOVES_MAX
                               ? overflow_target_queue(c, q)
                               : NULL;
        if (!tq) {
            r->stuck = true;
            return;
        }
        moves++;
        reason = overflow_rule(tq);
        if (!reason) {
            *r = (overflow_route_t){.queue = tq, .moves = moves};
            return;
        }
        q = tq;
    }
}

/* Stuck on a full queue the call cannot join; stuck on an empty one it may. */
static bool overflow_joins(const overflow_route_t *r)
{
    return !r->out && !(r->stuck && strcmp(r->reason, "max-len") == 0);
}

int acd__overflow_admit(acd_core_t *c, acd__queue_t *q, acd_ms_t now, acd__admit_t *ad)
{
    (void)now;
    *ad = (acd__admit_t){.queue = q};
    const char *why = overflow_rule(q);
    if (!why)
        return 0;
    overflow_route_t r;
    overflow_route(c, q, 0, why, &r);
    if (r.out) {
        /* The call is created where it came, and leaves by r.queue's rule. */
        ad->moves = r.moves;
        ad->reason = r.reason;
        ad->out_from = r.queue;
        return 0;
    }
    if (!overflow_joins(&r))
        return -EBUSY; /* full, and nowhere to go: the arrival is refused */
    ad->queue = r.queue;
    ad->moves = r.moves;
    if (r.queue != q) {
        ad->moved_from = q;
        ad->first_rule = why;
    }
    return 0;
}

static acd_action_t *overflow_emit(acd_core_t *c, const acd__call_t *call,
                                   const acd__queue_t *from, const char *reason)
{
    acd_action_t *act = acd__core_emit(c, ACD_ACT_OVERFLOW);
    acd__core_copy(act->call_id, sizeof(act->call_id), call->id);
    acd__core_copy(act->queue, sizeof(act->queue), from->name);
    acd__core_copy(act->reason, sizeof(act->reason), reason);
    return act;
}

void acd__overflow_out(acd_core_t *c, acd__call_t *call, const acd__queue_t *from,
                       const char *reason, acd_ms_t now)
{
    acd_action_t *act = overflow_emit(c, call, from, reason);
    acd__core_copy(act->target, sizeof(act->target), from->overflow);
    acd__call_end(c, call, ACD_DISP_OVERFLOW, now);
}

void acd__overflow_moved(acd_core_t *c, const acd__call_t *call, const acd__queue_t *from,
                         const acd__queue_t *to, const char *reason)
{
    acd_action_t *act = overflow_emit(c, call, from, reason);
    snprintf(act->target, sizeof(act->target), "%s%s", OVERFLOW_QUEUE_PREFIX, to->name);
}

/* call, waiting in its queue, is sent away by its queue's rule reason at now. */
static void overflow_leave(acd_core_t *c, acd__call_t *call, const char *reason, acd_ms_t now)
{
    overflow_route_t r;
    overflow_route(c, call->queue, call->overflows, reason, &r);
    if (r.out) {
        call->overflows = r.moves;
        acd__overflow_out(c, call, r.queue, r.reason, now);
        return;
    }
    if (!overflow_joins(&r) || r.queue == call->queue)
        return; /* nowhere to go: it stays where it is */
    if (acd__heap_reserve(&r.queue->waiting, r.queue->n_calls + 1) < 0)
        return; /* no room to move it: it stays rather than be lost */
    acd__overflow_moved(c, call, call->queue, r.queue, reason);
    call->overflows = r.moves;
    acd__call_move(c, call, r.queue, now);
}

/* ---- max wait ---- */

bool acd__overflow_armed(const acd__call_t *call)
{
    const acd__queue_t *q = call->queue;
    return call->state == ACD_CALL_QUEUED && q->max_wait_ms > 0 &&
           q->overflow_kind != ACD__OVERFLOW_NONE && !q->removed && !call->max_wait_spent &&
           !(q->overflow_kind == ACD__OVERFLOW_QUEUE && call->overflows >= ACD_OVERFLOW_MOVES_MAX);
}

void acd__overflow_arm(acd_core_t *c, acd__call_t *call)
{
    const acd__queue_t *q = call->queue;
    if (!acd__overflow_armed(call)) {
        acd__overflow_disarm(c, call);
        return;
    }
    call->maxwait_at = call->queue_ms + q->max_wait_ms;
    if (acd__heap_linked(&call->maxwait_node))
        acd__heap_fix(&c->wait_deadlines, &call->maxwait_node);
    else
        (void)acd__heap_push(&c->wait_deadlines, &call->maxwait_node); /* room: per call */
}

void acd__overflow_disarm(acd_core_t *c, acd__call_t *call)
{
    acd__heap_remove(&c->wait_deadlines, &call->maxwait_node);
}

void acd__overflow_rearm(acd_core_t *c, acd__queue_t *q)
{
    acd_list_t *pos;
    for (pos = q->calls.next; pos != &q->calls; pos = pos->next) {
        acd__call_t *call = acd_container_of(pos, acd__call_t, queue_link);
        if (call->state == ACD_CALL_QUEUED)
            acd__overflow_arm(c, call);
    }
}

static acd_ms_t overflow_deadline(const acd__heap_node_t *n)
{
    return acd_container_of(n, acd__call_t, maxwait_node)->maxwait_at;
}

size_t acd__overflow_due(const acd_core_t *c, acd_ms_t now)
{
    return acd__heap_count_due(&c->wait_deadlines, now, overflow_deadline);
}

/* ---- empty queues ---- */

void acd__overflow_logged_in(acd_core_t *c, acd__queue_t *q, size_t before)
{
    if (before == 0 || acd__queue_logged_in(q) > 0 || !q->leave_empty ||
        q->overflow_kind == ACD__OVERFLOW_NONE || q->removed || q->empty_pending)
        return;
    q->empty_pending = true;
    acd_list_push_back(&c->emptied, &q->empty_link);
}

void acd__overflow_run(acd_core_t *c, acd_ms_t now)
{
    acd__heap_node_t *top;
    while ((top = acd__heap_top(&c->wait_deadlines)) != NULL && overflow_deadline(top) <= now) {
        acd__call_t *call = acd_container_of(top, acd__call_t, maxwait_node);
        acd__heap_remove(&c->wait_deadlines, top);
        call->max_wait_spent = true; /* should it stay, it is not sent away again */
        overflow_leave(c, call, "max-wait", now);
    }
    while (!acd_list_empty(&c->emptied)) {
        acd__queue_t *q = acd_container_of(c->emptied.next, acd__queue_t, empty_link);
        acd_list_remove(&q->empty_link);
        q->empty_pending = false;
        if (acd__queue_logged_in(q) > 0 || !q->leave_empty || q->removed)
            continue; /* someone logged in again meanwhile */
        /* In arrival order; a call that leaves or moves is unlinked from q->calls only. */
        acd_list_t *pos, *tmp;
        acd_list_foreach(pos, tmp, &q->calls)
        {
            acd__call_t *call = acd_container_of(pos, acd__call_t, queue_link);
            if (call->state == ACD_CALL_QUEUED)
                overflow_leave(c, call, "empty", now);
        }
    }
}

acd_ms_t acd__overflow_next(const acd_core_t *c)
{
    if (!acd_list_empty(&c->emptied))
        return c->now;
    const acd__heap_node_t *top = acd__heap_top(&c->wait_deadlines);
    return top ? overflow_deadline(top) : INT64_MAX;
}
