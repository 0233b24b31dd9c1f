/* core.c - the ACD core's lifecycle, action list, event entry point and deadlines. */
#include "acd/core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/* ---- names ---- */

/* One name function per X-macro list: the names live only in core.h's tables. */
#define CORE_NAME_FN(fn, type, LIST)                                                               \
    const char *fn(type v)                                                                         \
    {                                                                                              \
        switch (v) {                                                                               \
            LIST(CORE_NAME_CASE)                                                                   \
        }                                                                                          \
        return "unknown";                                                                          \
    }
#define CORE_NAME_CASE(e, str)                                                                     \
    case e:                                                                                        \
        return str;

CORE_NAME_FN(acd_agent_state_name, acd_agent_state_t, ACD_AGENT_STATES)
CORE_NAME_FN(acd_call_state_name, acd_call_state_t, ACD_CALL_STATES)
CORE_NAME_FN(acd_disposition_name, acd_disposition_t, ACD_DISPOSITIONS)
CORE_NAME_FN(acd_remote_kind_name, acd_remote_kind_t, ACD_REMOTE_KINDS)
#undef CORE_NAME_CASE
#undef CORE_NAME_FN

/* ---- actions ---- */

void acd_actions_reset(acd_actions_t *a)
{
    a->n = 0;
}

void acd_actions_fini(acd_actions_t *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

int acd__actions_reserve(acd_actions_t *a, size_t extra)
{
    if (extra > SIZE_MAX / 2 / sizeof(*a->v) - a->n)
        return -ENOMEM;
    size_t need = a->n + extra;
    if (need <= a->cap)
        return 0;
    size_t nc = a->cap ? a->cap : 16;
    while (nc < need)
        nc *= 2;
    acd_action_t *v = realloc(a->v, nc * sizeof(*v));
    if (!v)
        return -ENOMEM;
    a->v = v;
    a->cap = nc;
    return 0;
}

acd_action_t *acd__core_emit(acd_core_t *c, acd_action_type_t t)
{
    acd_actions_t *out = c->out;
    acd_action_t *act;
    if (out && out->n == out->cap)
        c->unreserved_actions++; /* the entry point's reservation was too small: a bug */
    if (out && acd__actions_reserve(out, 1) == 0) {
        act = &out->v[out->n++];
    } else {
        c->lost_actions++;
        act = &c->scratch;
    }
    memset(act, 0, sizeof(*act));
    act->type = t;
    return act;
}

void acd__core_copy(char *dst, size_t len, const char *src)
{
    acd_str_copy(dst, len, acd_str_from(src ? src : ""));
}

/* ---- lifecycle ---- */

int acd_core_alloc(acd_core_t **cp)
{
    int rc = 0;
    acd_core_t *c = NULL;
    if (!cp) {
        rc = -EINVAL;
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = -ENOMEM;
        goto out;
    }
    acd_hmap_init(&c->tenants.by_name);
    acd_hmap_init(&c->tenants.by_did);
    acd_hmap_init(&c->users.map);
    acd_hmap_init(&c->queues);
    acd_hmap_init(&c->agents);
    acd_hmap_init(&c->calls);
    acd__heap_init(&c->ready, acd__ready_less);
    acd__heap_init(&c->deadlines, acd__deadline_less);
    acd__heap_init(&c->ring_deadlines, acd__ring_deadline_less);
    acd__heap_init(&c->wait_deadlines, acd__wait_deadline_less);
    acd__restore_init(&c->restore);
    acd__abandons_init(&c->abandons);
    acd_list_init(&c->emptied);
    c->relax_at = INT64_MAX;
    c->local_dispatch = true;
    c->next_seq = 1;
    c->next_serial = 1;
    *cp = c;
out:
    return rc;
}

void acd_core_free(acd_core_t *c)
{
    if (!c)
        return;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &c->calls);
    while ((n = acd_hmap_iter_next(&it)) != NULL) {
        acd__call_t *call = acd_container_of(n, acd__call_t, node);
        acd__remote_call_fini(call);
        free(call);
    }
    acd_hmap_iter_init(&it, &c->agents);
    while ((n = acd_hmap_iter_next(&it)) != NULL)
        acd__agent_free(acd_container_of(n, acd__agent_t, node));
    acd_hmap_iter_init(&it, &c->queues);
    while ((n = acd_hmap_iter_next(&it)) != NULL)
        acd__queue_free(acd_container_of(n, acd__queue_t, node));
    acd_hmap_fini(&c->calls);
    acd_hmap_fini(&c->agents);
    acd_hmap_fini(&c->queues);
    acd_hmap_fini(&c->tenants.by_name);
    acd_hmap_fini(&c->tenants.by_did);
    free(c->tenants.v);
    free(c->tenants.dids);
    free(c->tenants.vips);
    acd_hmap_fini(&c->users.map);
    free(c->users.v);
    free(c->queues_sorted);
    free(c->agents_sorted);
    free(c->ready.v);
    free(c->deadlines.v);
    free(c->ring_deadlines.v);
    free(c->wait_deadlines.v);
    acd__restore_fini(&c->restore);
    acd__abandons_fini(&c->abandons);
    free(c);
}

/* ---- deadlines ---- */

/* Agents ringing or in wrap-up and calls ringing a remote agent have deadlines. */
static acd_ms_t core_agent_deadline(const acd__heap_node_t *n)
{
    return acd_container_of(n, acd__agent_t, deadline_node)->deadline;
}

static acd_ms_t core_call_deadline(const acd__heap_node_t *n)
{
    return acd_container_of(n, acd__call_t, ring_node)->ring_deadline;
}

static acd_ms_t core_top_deadline(const acd__heap_t *h,
                                  acd_ms_t (*deadline_of)(const acd__heap_node_t *))
{
    acd__heap_node_t *top = acd__heap_top(h);
    return top ? deadline_of(top) : INT64_MAX;
}

static acd_ms_t core_min_ms(acd_ms_t a, acd_ms_t b)
{
    return a < b ? a : b;
}

acd_ms_t acd_core_next_deadline(const acd_core_t *c)
{
    acd_ms_t a = core_top_deadline(&c->deadlines, core_agent_deadline);
    acd_ms_t r = core_top_deadline(&c->ring_deadlines, core_call_deadline);
    acd_ms_t t = acd__restore_next_expiry(c); /* a restore ticket's expiry */
    acd_ms_t o = acd__overflow_next(c);       /* a max wait, an emptied queue */
    return core_min_ms(core_min_ms(a, r), core_min_ms(core_min_ms(t, o), c->relax_at));
}

/* Counts the deadlines <= now below heap slot i (the subtree of a later one is skipped). */
static size_t core_count_due(const acd__heap_t *h, size_t i, acd_ms_t now,
                             acd_ms_t (*deadline_of)(const acd__heap_node_t *))
{
    if (i >= h->n || deadline_of(h->v[i]) > now)
        return 0;
    return 1 + core_count_due(h, 2 * i + 1, now, deadline_of) +
           core_count_due(h, 2 * i + 2, now, deadline_of);
}

size_t acd__heap_count_due(const acd__heap_t *h, acd_ms_t now,
                           acd_ms_t (*deadline_of)(const acd__heap_node_t *))
{
    return core_count_due(h, 0, now, deadline_of);
}

/*
 * Fires every deadline <= now, earliest first (an agent's before a call's on a tie);
 * each transition is stamped with its own deadline, not with now, so a late TICK
 * records what should have happened when. Restore tickets expired by now are dropped.
 */
static int core_tick(acd_core_t *c, const acd_event_t *ev, acd_ms_t now)
{
    (void)ev;
    for (;;) {
        acd_ms_t a = core_top_deadline(&c->deadlines, core_agent_deadline);
        acd_ms_t r = core_top_deadline(&c->ring_deadlines, core_call_deadline);
        if (a <= r && a <= now) {
            acd__heap_node_t *top = acd__heap_top(&c->deadlines);
            acd__agent_deadline_fire(c, acd_container_of(top, acd__agent_t, deadline_node), a);
        } else if (r < a && r <= now) {
            acd__heap_node_t *top = acd__heap_top(&c->ring_deadlines);
            acd__remote_ring_timeout(c, acd_container_of(top, acd__call_t, ring_node), r);
        } else {
            break;
        }
    }
    acd__restore_fire(c, now);   /* callbacks due: placed, timed out, given up */
    acd__restore_expire(c, now); /* no actions: expired tickets just go */
    return 0;
}

/* ---- events ---- */

typedef int (*core_handler_fn)(acd_core_t *c, const acd_event_t *ev, acd_ms_t now);

/* clang-format off */
static const core_handler_fn core_handlers[] = {
    [ACD_EV_CALL_ARRIVE] = acd__call_arrive,
    [ACD_EV_CALL_HANGUP] = acd__call_hangup,
    [ACD_EV_AGENT_LOGIN] = acd__agent_login,
    [ACD_EV_AGENT_LOGOUT] = acd__agent_logout,
    [ACD_EV_AGENT_PAUSE] = acd__agent_pause,
    [ACD_EV_AGENT_UNPAUSE] = acd__agent_unpause,
    [ACD_EV_OFFER_ANSWERED] = acd__call_answered,
    [ACD_EV_OFFER_FAILED] = acd__call_offer_failed,
    [ACD_EV_AGENT_HANGUP] = acd__call_agent_hangup,
    [ACD_EV_TICK] = core_tick,
    [ACD_EV_EPOCH] = acd__reservation_epoch,
    [ACD_EV_REMOTE_RESERVE] = acd__reservation_reserve,
    [ACD_EV_REMOTE_CALL_UPDATE] = acd__reservation_update,
    [ACD_EV_REMOTE_ACCEPTED] = acd__remote_accepted,
    [ACD_EV_CALL_ADOPT] = acd__call_adopt,
    [ACD_EV_CALL_DETACH] = acd__call_detach,
    [ACD_EV_CALL_FORGET] = acd__call_forget,
    [ACD_EV_CALLBACK_FAILED] = acd__restore_callback_failed,
    [ACD_EV_ABANDON_NOTE] = acd__abandon_note,
};
/* clang-format on */

static bool core_terminated(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL;
}

static size_t core_min(size_t a, size_t b)
{
    return a < b ? a : b;
}

int acd_core_apply(acd_core_t *c, const acd_event_t *ev, acd_ms_t now, acd_actions_t *out)
{
    if (!c || !ev || !out)
        return -EINVAL;
    if ((unsigned)ev->type >= sizeof(core_handlers) / sizeof(core_handlers[0]) ||
        !core_handlers[ev->type])
        return -EINVAL;
    if (!core_terminated(ev->call_id, sizeof(ev->call_id)) ||
        !core_terminated(ev->agent_id, sizeof(ev->agent_id)) ||
        !core_terminated(ev->did, sizeof(ev->did)) ||
        !core_terminated(ev->caller, sizeof(ev->caller)) ||
        !core_terminated(ev->queue, sizeof(ev->queue)) ||
        !core_terminated(ev->reason, sizeof(ev->reason)) ||
        !core_terminated(ev->offer_id, sizeof(ev->offer_id)) ||
        !core_terminated(ev->call_site, sizeof(ev->call_site)) ||
        !core_terminated(ev->agent_site, sizeof(ev->agent_site)) ||
        !core_terminated(ev->sip_user, sizeof(ev->sip_user)) ||
        !core_terminated(ev->tenant, sizeof(ev->tenant)))
        return -EINVAL;

    /*
     * Room for every action this event can cause, reserved before anything changes:
     * at most 4 for the event itself, 2 per due deadline plus 1 spare, 2 per due callback
     * deadline, and 2 per offer (dispatch runs only with local dispatch on).
     * Offers are bounded by the agents that can be available and the calls that can
     * wait afterwards: the event frees at most one agent and requeues at most one call,
     * every due deadline at most one of each (callback deadlines neither). A queue rule
     * sends a call out with 2 actions: each due max wait, each call requeued past its
     * max wait, and, when a queue may be emptied, every waiting call.
     */
    size_t due = 0, cb_due = 0;
    if (ev->type == ACD_EV_TICK) {
        due = core_count_due(&c->deadlines, 0, now, core_agent_deadline) +
              core_count_due(&c->ring_deadlines, 0, now, core_call_deadline);
        cb_due = acd__restore_due(c, now);
    }
    size_t offers = core_min(c->n_available + 1 + due, c->n_waiting + 1 + due);
    size_t out_calls = acd__overflow_due(c, now) + due + 1;
    if (c->n_leave_empty || !acd_list_empty(&c->emptied))
        out_calls += c->n_waiting + due + 1;
    int rc = acd__actions_reserve(out, 4 + 3 * due + 2 * cb_due + 2 * offers + 2 * out_calls);
    if (rc < 0)
        return rc;

    size_t n0 = out->n;
    c->out = out;
    rc = core_handlers[ev->type](c, ev, now);
    if (rc == 0) {
        c->now = now;
        acd__overflow_run(c, now); /* max waits due, queues emptied by the event */
        acd__dispatch(c, now);
    } else {
        out->n = n0; /* handlers refuse before changing anything; nothing was emitted */
    }
    c->out = NULL;
    return rc;
}
