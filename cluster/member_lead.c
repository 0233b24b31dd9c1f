/* member_lead.c - the leader's loop: gather waiting calls and free agents cluster-wide, plan, offer. */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Planning runs on the loop shortly after anything that can change its answer (a fact
 * from any site, an offer answered, a site coming or going), never more than once per
 * loop iteration. Its input is this site's core (its own calls and agents, exact) plus
 * the replicas of the peers that are live in etcd, synced, and not in island mode;
 * memberships come from the configuration, which every site shares. The planner's
 * rules (cluster/planner.h) give the global order; this file keeps the offers made but
 * not yet visibly settled, so that a call or agent is not offered twice while its
 * owners answer.
 *
 * The queues' strategies, skills and relaxations, and the agents' skills, come from this
 * site's core, configured from the same shared configuration as every other site's
 * (acd_core_queue_rules, acd_core_agent_skills), so the planner applies the rules each
 * site's core would. A queue whose overflow is "sister" keeps a call to its own site's
 * agents for the queue's max_wait, read from the shared configuration (the core treats
 * "sister" as no overflow at all). Round-robin cursors live across runs (lead_cursors
 * below); a waiting call whose requirements relax, or whose queue's local time ends, later
 * is planned again at that instant (a timer, acd_planner_replan_at), since no event marks it.
 */

typedef struct lead_input {
    acd_member_t *m;
    const acd_core_t *core;
    acd_planner_call_t *calls;
    size_t n_calls, cap_calls;
    acd_planner_agent_t *agents;
    size_t n_agents, cap_agents;
    const char **excluded; /* one slot per agent: the call it last missed (or none) */
    acd_planner_queue_t *queues; /* the queue table, from the core's rules */
    size_t n_queues, cap_queues;
    int err;
} lead_input_t;

/*
 * Round-robin cursors of a leading member, by queue: the agent it offered a call of that
 * queue to last (m->rr_cursors). acd__member_offers_clear() drops them with the offers
 * when the member stops leading (a new leader starts every turn from the first agent).
 */
typedef struct lead_cursor {
    char queue[ACD_ID_MAX];
    char agent[ACD_ID_MAX];
} lead_cursor_t;

struct lead_cursors {
    lead_cursor_t *v;
    size_t n, cap;
};
typedef struct lead_cursors lead_cursors_t;

static lead_cursors_t *lead_cursors_of(acd_member_t *m, bool create)
{
    if (!m->rr_cursors && create)
        m->rr_cursors = calloc(1, sizeof(*m->rr_cursors));
    return m->rr_cursors;
}

static void lead_cursors_drop(acd_member_t *m)
{
    if (m->rr_cursors)
        free(m->rr_cursors->v);
    free(m->rr_cursors);
    m->rr_cursors = NULL;
}

/* m's cursor of queue, NULL when none. */
static const char *lead_cursor(acd_member_t *m, const char *queue)
{
    const lead_cursors_t *set = lead_cursors_of(m, false);
    for (size_t i = 0; set && i < set->n; i++) {
        if (strcmp(set->v[i].queue, queue) == 0)
            return set->v[i].agent;
    }
    return NULL;
}

static void lead_cursor_set(acd_member_t *m, const char *queue, const char *agent)
{
    lead_cursors_t *set = lead_cursors_of(m, true);
    if (!set)
        return;
    lead_cursor_t *c = NULL;
    for (size_t i = 0; i < set->n && !c; i++) {
        if (strcmp(set->v[i].queue, queue) == 0)
            c = &set->v[i];
    }
    if (!c) {
        if (set->n == set->cap) {
            size_t cap = set->cap ? set->cap * 2 : 8;
            lead_cursor_t *v = realloc(set->v, cap * sizeof(*v));
            if (!v)
                return; /* the turn starts over for this queue: no harm done */
            set->v = v;
            set->cap = cap;
        }
        c = &set->v[set->n++];
        snprintf(c->queue, sizeof(c->queue), "%s", queue);
    }
    snprintf(c->agent, sizeof(c->agent), "%s", agent);
}

static int lead_grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 32;
    void *nv = realloc(*v, c * sz);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

/* The number after the last '-' of a call id: its owner's arrival order. */
static uint64_t lead_arrival_seq(const char *call_id)
{
    const char *dash = strrchr(call_id, '-');
    return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

static void lead_add_call(lead_input_t *in, const char *id, const char *site, const char *queue,
                          int priority, acd_ms_t enqueue_ms, bool anywhere)
{
    if (in->err || (in->err = lead_grow((void **)&in->calls, &in->cap_calls, in->n_calls,
                                        sizeof(*in->calls))) < 0)
        return;
    in->calls[in->n_calls++] = (acd_planner_call_t){.call_id = id,
                                                     .site = site,
                                                     .queue = queue,
                                                     .priority = priority,
                                                     .enqueue_ms = enqueue_ms,
                                                     .arrival_seq = lead_arrival_seq(id),
                                                     .anywhere = anywhere};
}

static const acd_cfg_agent_t *lead_agent_cfg(const acd_config_t *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_agents; i++) {
        if (strcmp(cfg->agents[i].id, id) == 0)
            return &cfg->agents[i];
    }
    return NULL;
}

static void lead_add_agent(lead_input_t *in, const char *id, const char *site, acd_ms_t idle_since,
                           unsigned calls_handled)
{
    const acd_cfg_agent_t *ac = lead_agent_cfg(in->m->cfg, id);
    if (!ac || in->err ||
        (in->err = lead_grow((void **)&in->agents, &in->cap_agents, in->n_agents,
                             sizeof(*in->agents))) < 0)
        return;
    const acd_core_skill_t *skills = NULL;
    size_t n_skills = 0;
    if (acd_core_agent_skills(in->core, id, &skills, &n_skills) < 0)
        n_skills = 0; /* not in our configuration yet: no skills known */
    in->agents[in->n_agents++] = (acd_planner_agent_t){.agent_id = id,
                                                       .site = site,
                                                       .queues = (const char *const *)ac->queues,
                                                       .n_queues = ac->n_queues,
                                                       .idle_since = idle_since,
                                                       .skills = skills,
                                                       .n_skills = n_skills,
                                                       .calls_handled = calls_handled};
}

static const acd_cfg_queue_t *lead_queue_cfg(const acd_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_queues; i++) {
        if (strcmp(cfg->queues[i].name, name) == 0)
            return &cfg->queues[i];
    }
    return NULL;
}

/* How long queue's calls are offered to their own site's agents only: its max_wait when
 * its overflow is "sister" (the configuration requires max_wait then), else 0. */
static int64_t lead_local_ms(const acd_config_t *cfg, const char *queue)
{
    const acd_cfg_queue_t *qc = lead_queue_cfg(cfg, queue);
    if (!qc || !qc->overflow || strcmp(qc->overflow, "sister") != 0 || qc->max_wait_ms <= 0)
        return 0;
    return qc->max_wait_ms;
}

/* A queue's rules into the queue table, with the cursor this leader keeps for it. */
static void lead_add_queue(void *ud, const acd_queue_view_t *v)
{
    lead_input_t *in = ud;
    acd_queue_rules_t r;
    if (in->err || acd_core_queue_rules(in->core, v->name, &r) < 0 ||
        (in->err = lead_grow((void **)&in->queues, &in->cap_queues, in->n_queues,
                             sizeof(*in->queues))) < 0)
        return;
    in->queues[in->n_queues++] = (acd_planner_queue_t){
        .name = r.name,
        .strategy = r.strategy,
        .skills = r.skills,
        .n_skills = r.n_skills,
        .relax = r.relax,
        .n_relax = r.n_relax,
        .cursor = lead_cursor(in->m, r.name),
        .local_ms = lead_local_ms(in->m->cfg, r.name)};
}

/*
 * Does origin (this site or a peer) take no new work for its agents, draining? Its
 * waiting calls then go to every site's agents at once, even in a queue that keeps calls
 * to their own site for a while (overflow "sister"): nobody there will take them.
 */
static bool lead_origin_draining(const acd_member_t *m, const char *origin)
{
    if (strcmp(origin, m->site) == 0)
        return m->ops.draining && m->ops.draining(m->ud);
    acd_replica_status_t st;
    return acd_replica_status(m->replica, origin, acd__member_now(), &st) == 0 && st.draining;
}

static void lead_local_call(void *ud, const acd_call_view_t *v)
{
    lead_input_t *in = ud;
    if (v->state == ACD_CALL_QUEUED)
        lead_add_call(in, v->id, in->m->site, v->queue, v->priority, v->enqueue_ms,
                      lead_origin_draining(in->m, in->m->site));
}

static void lead_local_agent(void *ud, const acd_agent_view_t *v)
{
    lead_input_t *in = ud;
    const acd_member_t *m = in->m;
    if (v->state == ACD_AGENT_AVAILABLE && !(m->ops.draining && m->ops.draining(m->ud)))
        lead_add_agent(in, v->id, in->m->site, v->idle_since, v->calls_handled);
}

/*
 * A peer's entities count only while it is live, synced and not an island. A draining
 * peer takes no new work for its agents, but its waiting callers are calls in progress:
 * they are still planned, onto other sites' agents (for_agents false).
 */
static bool lead_origin_usable(const acd_member_t *m, const char *origin, bool for_agents)
{
    if (!acd__member_site_live(m, origin))
        return false;
    acd_replica_status_t st;
    if (acd_replica_status(m->replica, origin, acd__member_now(), &st) < 0)
        return false;
    return st.state == ACD_REPLICA_SYNCED && !st.need_snapshot && !st.island &&
           !(for_agents && st.draining);
}

static void lead_remote_call(void *ud, const acd_replica_call_t *c)
{
    lead_input_t *in = ud;
    if (c->state == ACD_CALL_QUEUED && lead_origin_usable(in->m, c->origin, false))
        lead_add_call(in, c->call_id, c->origin, c->queue, c->priority, c->enqueue_ms,
                      lead_origin_draining(in->m, c->origin));
}

static void lead_remote_agent(void *ud, const acd_replica_agent_t *a)
{
    lead_input_t *in = ud;
    if (a->state == ACD_AGENT_AVAILABLE && lead_origin_usable(in->m, a->origin, true))
        lead_add_agent(in, a->agent_id, a->origin, a->idle_since_ms, a->calls_handled);
}

/*
 * An agent some known call is connected to is not free, whatever its owner's replica
 * says: after a takeover the sister's adopted call may still hold an agent whose own
 * site saw the call end unheard (cut off) and freed it.
 */
static void lead_drop_engaged_agent(lead_input_t *in, const char *agent_id)
{
    for (size_t i = 0; agent_id && agent_id[0] && i < in->n_agents; i++) {
        if (strcmp(in->agents[i].agent_id, agent_id) == 0) {
            in->agents[i] = in->agents[--in->n_agents];
            return;
        }
    }
}

static void lead_engaged_local(void *ud, const acd_call_view_t *v)
{
    if (v->state == ACD_CALL_CONNECTED)
        lead_drop_engaged_agent(ud, v->agent);
}

static void lead_engaged_remote(void *ud, const acd_replica_call_t *c)
{
    if (c->state == ACD_CALL_CONNECTED)
        lead_drop_engaged_agent(ud, c->agent_id);
}

/* Who missed each waiting call last: passed over for it while another member is free. */
static void lead_exclusions(lead_input_t *in)
{
    in->excluded = calloc(in->n_agents + 1, sizeof(*in->excluded));
    if (!in->excluded) {
        in->err = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < in->n_calls; i++) {
        const char *missed = NULL;
        if (strcmp(in->calls[i].site, in->m->site) == 0) {
            const member_call_rec_t *r = acd__member_call_rec(in->m, in->calls[i].call_id);
            if (r && r->kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED && r->agent[0])
                missed = r->agent;
        } else {
            const acd_replica_call_t *c = acd_replica_call(in->m->replica, in->calls[i].call_id);
            if (c && c->kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED && c->agent_id[0])
                missed = c->agent_id;
        }
        for (size_t j = 0; missed && j < in->n_agents; j++) {
            if (strcmp(in->agents[j].agent_id, missed) == 0 && !in->excluded[j]) {
                in->excluded[j] = in->calls[i].call_id;
                in->agents[j].excluded_calls = &in->excluded[j];
                in->agents[j].n_excluded = 1;
            }
        }
    }
}

/* ---- unsettled offers ---- */

static member_offer_t *lead_offer_find(acd_member_t *m, const char *offer_id)
{
    for (size_t i = 0; i < m->n_offers; i++) {
        if (strcmp(m->offers[i].offer_id, offer_id) == 0)
            return &m->offers[i];
    }
    return NULL;
}

static void lead_offer_drop(acd_member_t *m, member_offer_t *o)
{
    *o = m->offers[--m->n_offers];
}

void acd__member_offers_clear(acd_member_t *m)
{
    m->n_offers = 0;
    lead_cursors_drop(m);
}

void acd__member_offer_answered(acd_member_t *m, const char *offer_id, bool accepted)
{
    member_offer_t *o = lead_offer_find(m, offer_id);
    if (!o)
        return;
    if (accepted) {
        m->offers_accepted++;
        o->accepted = true; /* kept until the call is seen taken */
    } else {
        m->offers_rejected++;
        lead_offer_drop(m, o);
    }
    acd__member_schedule_plan(m);
}

/* Is call_id still waiting, as far as the leader can see? */
static bool lead_call_waiting(const acd_member_t *m, const char *call_id)
{
    acd_call_view_t v;
    if (acd_core_call(m->ops.core(m->ud), call_id, &v) == 0)
        return v.state == ACD_CALL_QUEUED;
    const acd_replica_call_t *c = acd_replica_call(m->replica, call_id);
    return c && c->state == ACD_CALL_QUEUED;
}

void acd__member_offers_expire(acd_member_t *m, acd_ms_t now)
{
    for (size_t i = 0; i < m->n_offers;) {
        member_offer_t *o = &m->offers[i];
        bool settled = o->accepted && !lead_call_waiting(m, o->call_id);
        if (settled || now >= o->deadline) {
            if (!settled) {
                m->offers_expired++;
                acd_log_info("ACD-MEMBER-OFFER-EXPIRED", "offer=%s call=%s agent=%s", o->offer_id,
                             o->call_id, o->agent_id);
            }
            lead_offer_drop(m, o);
            acd__member_schedule_plan(m);
            continue;
        }
        i++;
    }
}

/* ---- planning ---- */

static int lead_ring_timeout(const acd_member_t *m, const char *queue)
{
    const acd_cfg_queue_t *qc = lead_queue_cfg(m->cfg, queue);
    return qc ? qc->ring_timeout_ms : 15000;
}

static void lead_offer(acd_member_t *m, const acd_planner_offer_t *po, acd_ms_t now)
{
    if (m->n_offers == m->cap_offers) {
        size_t cap = m->cap_offers ? m->cap_offers * 2 : 16;
        member_offer_t *v = realloc(m->offers, cap * sizeof(*v));
        if (!v)
            return;
        m->offers = v;
        m->cap_offers = cap;
    }
    member_offer_t *o = &m->offers[m->n_offers++];
    memset(o, 0, sizeof(*o));
    /* Site names are ids (< 64 bytes); keep the id within one by trimming the site. */
    char tail[48];
    snprintf(tail, sizeof(tail), "-%llu-%llu", (unsigned long long)m->my_epoch,
             (unsigned long long)++m->next_offer);
    snprintf(o->offer_id, sizeof(o->offer_id), "%.*s%s", (int)(sizeof(o->offer_id) - 1 - strlen(tail)),
             m->site, tail);
    snprintf(o->call_id, sizeof(o->call_id), "%s", po->call_id);
    snprintf(o->agent_id, sizeof(o->agent_id), "%s", po->agent_id);
    o->deadline = now + MEMBER_OFFER_TIMEOUT_MS;
    m->offers_made++;

    Acd__V1__Offer of = ACD__V1__OFFER__INIT;
    of.offer_id = o->offer_id;
    of.epoch = m->my_epoch;
    of.leader_site = m->site;
    of.call_id = (char *)po->call_id;
    of.call_site = (char *)po->call_site;
    of.agent_id = (char *)po->agent_id;
    of.agent_site = (char *)po->agent_site;
    of.queue = (char *)po->queue;
    of.ring_timeout_ms = (uint32_t)lead_ring_timeout(m, po->queue);
    Acd__V1__Envelope env;
    acd__member_envelope_init(m, &env);
    env.body_case = ACD__V1__ENVELOPE__BODY_OFFER;
    env.offer = &of;
    acd_log_info("ACD-MEMBER-OFFER", "offer=%s call=%s@%s agent=%s@%s epoch=%llu", o->offer_id,
                 po->call_id, po->call_site, po->agent_id, po->agent_site,
                 (unsigned long long)m->my_epoch);
    (void)acd__member_publish(m, &env);
    acd__member_decide(m, m->site, &env);
}

void acd__member_plan_cb(uv_timer_t *h)
{
    acd_member_t *m = h->data;
    m->plan_scheduled = false;
    if (!m->is_leader || m->closing)
        return;
    acd_ms_t now = acd__member_now();
    acd__member_offers_expire(m, now);
    m->plan_scheduled = false; /* expiry may have asked again: this run covers it */
    lead_input_t in = {.m = m, .core = m->ops.core(m->ud)};
    acd_core_foreach_call(in.core, lead_local_call, &in);
    acd_core_foreach_agent(in.core, lead_local_agent, &in);
    acd_replica_visitor_t vis = {.call = lead_remote_call, .agent = lead_remote_agent};
    acd_replica_foreach(m->replica, NULL, &vis, &in);
    if (!in.err && in.n_calls > 0 && in.n_agents > 0) {
        acd_core_foreach_call(in.core, lead_engaged_local, &in);
        acd_replica_visitor_t engaged = {.call = lead_engaged_remote};
        acd_replica_foreach(m->replica, NULL, &engaged, &in);
    }
    if (!in.err && in.n_calls > 0 && in.n_agents > 0)
        lead_exclusions(&in);
    if (!in.err && in.n_calls > 0 && in.n_agents > 0)
        acd_core_foreach_queue(in.core, lead_add_queue, &in);
    acd_ms_t replan_at = INT64_MAX;
    acd_planner_offers_t out = {0};
    if (!in.err && in.n_calls > 0 && in.n_agents > 0) {
        acd_planner_pending_t *pend = calloc(m->n_offers + 1, sizeof(*pend));
        if (pend) {
            for (size_t i = 0; i < m->n_offers; i++)
                pend[i] = (acd_planner_pending_t){.offer_id = m->offers[i].offer_id,
                                                  .call_id = m->offers[i].call_id,
                                                  .agent_id = m->offers[i].agent_id,
                                                  .deadline_ms = m->offers[i].deadline};
            acd_planner_input_t pin = {.calls = in.calls, .n_calls = in.n_calls,
                                       .agents = in.agents, .n_agents = in.n_agents,
                                       .pending = pend, .n_pending = m->n_offers,
                                       .queues = in.queues, .n_queues = in.n_queues,
                                       .now_ms = now};
            int rc = acd_planner_plan(&pin, &out);
            if (rc < 0)
                acd_log_err("ACD-MEMBER-PLAN-FAILED", "err=%s", acd_errname(rc));
            /* Each offer moves its queue's round-robin cursor; the last one stays. */
            for (size_t i = 0; i < out.n; i++)
                lead_cursor_set(m, out.v[i].queue, out.v[i].agent_id);
            /* On failure it stays INT64_MAX: no timer, the next event plans again. */
            (void)acd_planner_replan_at(&pin, &replan_at);
            /* Offers are made from copies: deciding one feeds the core, which changes views. */
            acd_planner_offer_t *copy = calloc(out.n + 1, sizeof(*copy));
            char (*ids)[5][ACD_ID_MAX] = calloc(out.n + 1, sizeof(*ids));
            for (size_t i = 0; copy && ids && i < out.n; i++) {
                snprintf(ids[i][0], ACD_ID_MAX, "%s", out.v[i].call_id);
                snprintf(ids[i][1], ACD_ID_MAX, "%s", out.v[i].call_site);
                snprintf(ids[i][2], ACD_ID_MAX, "%s", out.v[i].agent_id);
                snprintf(ids[i][3], ACD_ID_MAX, "%s", out.v[i].agent_site);
                snprintf(ids[i][4], ACD_ID_MAX, "%s", out.v[i].queue);
                copy[i] = (acd_planner_offer_t){.call_id = ids[i][0], .call_site = ids[i][1],
                                                .agent_id = ids[i][2], .agent_site = ids[i][3],
                                                .queue = ids[i][4]};
            }
            size_t n = copy && ids ? out.n : 0;
            free(in.calls);
            free(in.agents);
            free((void *)in.excluded);
            free(in.queues);
            in.calls = NULL, in.agents = NULL, in.excluded = NULL, in.queues = NULL;
            for (size_t i = 0; i < n && m->is_leader; i++)
                lead_offer(m, &copy[i], now);
            free(copy);
            free(ids);
        }
        free(pend);
    }
    acd_planner_offers_fini(&out);
    free(in.calls);
    free(in.agents);
    free((void *)in.excluded);
    free(in.queues);
    /* No event marks a relaxation or the end of a queue's local time: plan again when the
     * next one is due (an event that schedules a plan sooner replaces this timer, and that
     * run sets it again). */
    if (replan_at != INT64_MAX && m->is_leader && !m->closing && !m->plan_scheduled)
        uv_timer_start(&m->plan_timer, acd__member_plan_cb, (uint64_t)(replan_at - now), 0);
}

void acd__member_schedule_plan(acd_member_t *m)
{
    if (!m->is_leader || m->plan_scheduled || m->closing)
        return;
    m->plan_scheduled = true;
    uv_timer_start(&m->plan_timer, acd__member_plan_cb, 0, 0);
}
