/* configure.c - live reconfiguration of the ACD core: validate, prepare, then commit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"

/*
 * acd_core_configure() runs in three steps so that a refused or failed configuration
 * changes nothing: validate (pure checks), prepare (every allocation, including new
 * queue and agent objects, which are already inserted in the maps but invisible to
 * events until commit because nothing refers to them), then commit, which cannot fail.
 */

/* A set of unique names over a configuration array; the index of a node is the index
 * of its entry in that array. */
typedef struct cfg_names {
    acd_hmap_node_t *nodes;
    acd_hmap_t map;
} cfg_names_t;

typedef struct cfg_plan {
    cfg_names_t queue_names, tenant_names, agent_names, user_names, did_names;
    acd__queue_t **queues; /* per cfg queue: its object */
    bool *queue_new;       /* per cfg queue: allocated by this configure */
    acd__agent_t **agents; /* per cfg agent: its object */
    bool *agent_new;
    acd__queue_t ***agent_queues; /* per cfg agent: its new membership array */
    acd__skillset_t *agent_skills; /* per cfg agent: its new skills */
    acd__qskills_t *queue_skills;  /* per cfg queue: its new requirements */
    acd__agent_t ***members;      /* per cfg queue: its new members, sorted by id */
    size_t *n_members;
    acd__tenants_t tenants;
    acd__users_t users;
    acd__queue_t **queues_sorted;
    size_t n_queues_sorted;
    acd__agent_t **agents_sorted;
    size_t n_agents_sorted;
    size_t n_agents_removed; /* configured agents that this configuration removes */
} cfg_plan_t;

static int cfg_names_init(cfg_names_t *s, size_t n)
{
    acd_hmap_init(&s->map);
    s->nodes = calloc(n ? n : 1, sizeof(*s->nodes));
    return s->nodes ? 0 : -ENOMEM;
}

static void cfg_names_fini(cfg_names_t *s)
{
    acd_hmap_fini(&s->map);
    free(s->nodes);
    s->nodes = NULL;
}

/* Adds name as entry i. Returns 0, -EINVAL for a duplicate, or -ENOMEM. */
static int cfg_names_add(cfg_names_t *s, size_t i, const char *name)
{
    int rc = acd_hmap_insert(&s->map, &s->nodes[i], acd_str_from(name));
    return rc == -EEXIST ? -EINVAL : rc;
}

/* The index of name, or -1. */
static long cfg_names_find(const cfg_names_t *s, const char *name)
{
    acd_hmap_node_t *n = acd_hmap_get(&s->map, acd_str_from(name));
    return n ? (long)(n - s->nodes) : -1;
}

static bool cfg_id_ok(const char *s)
{
    return s && *s && strlen(s) < ACD_ID_MAX;
}

static bool cfg_opt_ok(const char *s)
{
    return !s || strlen(s) < ACD_ID_MAX;
}

/* ---- validation ---- */

static int cfg_validate_queues(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_core_queue_cfg_t *q = &cfg->queues[i];
        acd__overflow_kind_t kind;
        const char *target;
        if (!cfg_id_ok(q->name) || !cfg_id_ok(q->tenant) || !acd__strategy_find(q->strategy) ||
            q->ring_timeout_ms <= 0 || q->wrapup_ms < 0 || q->max_no_answer < 0 ||
            q->max_wait_ms < 0 || q->max_len < 0 ||
            acd__overflow_parse(q->overflow, &kind, &target) < 0 ||
            !acd__skills_valid(q->skills, q->n_skills) ||
            !acd__relax_valid(q->relax, q->n_relax, q->skills, q->n_skills))
            return -EINVAL;
        int rc = cfg_names_add(&p->queue_names, i, q->name);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* An overflow queue is another configured queue of the same tenant. */
static int cfg_validate_overflow(const acd_core_cfg_t *cfg, const cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_core_queue_cfg_t *q = &cfg->queues[i];
        acd__overflow_kind_t kind;
        const char *target;
        (void)acd__overflow_parse(q->overflow, &kind, &target);
        if (kind != ACD__OVERFLOW_QUEUE)
            continue;
        long k = cfg_names_find(&p->queue_names, target);
        if (k < 0 || (size_t)k == i || strcmp(cfg->queues[k].tenant, q->tenant) != 0)
            return -EINVAL;
    }
    return 0;
}

static int cfg_validate_tenants(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    size_t d = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_core_tenant_cfg_t *t = &cfg->tenants[i];
        if (!cfg_id_ok(t->name) || !cfg_opt_ok(t->language) || !cfg_opt_ok(t->queue) ||
            (t->n_dids && !t->dids))
            return -EINVAL;
        if (!acd__tenant_priority_valid(t))
            return -EINVAL;
        if (t->callback_attempts < 0 ||
            (t->callback_attempts > 0 && (t->callback_delay_ms < 0 || t->callback_ring_ms <= 0)))
            return -EINVAL; /* a callback waits 0 or more and rings for a while */
        int rc = cfg_names_add(&p->tenant_names, i, t->name);
        if (rc < 0)
            return rc;
        if (t->queue && *t->queue) {
            long k = cfg_names_find(&p->queue_names, t->queue);
            if (k < 0 || strcmp(cfg->queues[k].tenant, t->name) != 0)
                return -EINVAL; /* a tenant's calls enter one of its own queues */
        }
        for (size_t j = 0; j < t->n_dids; j++, d++) {
            if (!cfg_id_ok(t->dids[j]))
                return -EINVAL;
            rc = cfg_names_add(&p->did_names, d, t->dids[j]);
            if (rc < 0)
                return rc;
        }
    }
    for (size_t i = 0; i < cfg->n_queues; i++) {
        if (cfg_names_find(&p->tenant_names, cfg->queues[i].tenant) < 0)
            return -EINVAL;
    }
    return 0;
}

static int cfg_validate_agents(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_core_agent_cfg_t *a = &cfg->agents[i];
        if (!cfg_id_ok(a->id) || !cfg_id_ok(a->sip_user) || (a->n_queues && !a->queues) ||
            !acd__skills_valid(a->skills, a->n_skills))
            return -EINVAL;
        int rc = cfg_names_add(&p->agent_names, i, a->id);
        if (rc == 0)
            rc = cfg_names_add(&p->user_names, i, a->sip_user);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < a->n_queues; j++) {
            if (!a->queues[j] || cfg_names_find(&p->queue_names, a->queues[j]) < 0)
                return -EINVAL;
            for (size_t k = 0; k < j; k++) {
                if (strcmp(a->queues[k], a->queues[j]) == 0)
                    return -EINVAL;
            }
        }
    }
    return 0;
}

static int cfg_validate(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    if ((cfg->n_tenants && !cfg->tenants) || (cfg->n_queues && !cfg->queues) ||
        (cfg->n_agents && !cfg->agents))
        return -EINVAL;
    size_t n_dids = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        n_dids += cfg->tenants[i].n_dids;
    int rc = cfg_names_init(&p->queue_names, cfg->n_queues);
    if (rc == 0)
        rc = cfg_names_init(&p->tenant_names, cfg->n_tenants);
    if (rc == 0)
        rc = cfg_names_init(&p->agent_names, cfg->n_agents);
    if (rc == 0)
        rc = cfg_names_init(&p->user_names, cfg->n_agents);
    if (rc == 0)
        rc = cfg_names_init(&p->did_names, n_dids);
    if (rc == 0)
        rc = cfg_validate_queues(cfg, p);
    if (rc == 0)
        rc = cfg_validate_overflow(cfg, p);
    if (rc == 0)
        rc = cfg_validate_tenants(cfg, p);
    if (rc == 0)
        rc = cfg_validate_agents(cfg, p);
    return rc;
}

/* ---- preparation ---- */

static void cfg_tenants_fini(acd__tenants_t *t)
{
    acd_hmap_fini(&t->by_name);
    acd_hmap_fini(&t->by_did);
    free(t->v);
    free(t->dids);
    free(t->vips);
    memset(t, 0, sizeof(*t));
}

static int cfg_tenants_build(acd__tenants_t *t, const acd_core_cfg_t *cfg)
{
    int rc = 0;
    size_t n_dids = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        n_dids += cfg->tenants[i].n_dids;
    acd_hmap_init(&t->by_name);
    acd_hmap_init(&t->by_did);
    t->v = calloc(cfg->n_tenants ? cfg->n_tenants : 1, sizeof(*t->v));
    t->dids = calloc(n_dids ? n_dids : 1, sizeof(*t->dids));
    if (!t->v || !t->dids) {
        rc = -ENOMEM;
        goto out;
    }
    t->n = cfg->n_tenants;
    t->n_dids = n_dids;
    size_t d = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_core_tenant_cfg_t *tc = &cfg->tenants[i];
        acd__tenant_t *te = &t->v[i];
        acd__core_copy(te->name, sizeof(te->name), tc->name);
        acd__core_copy(te->queue, sizeof(te->queue), tc->queue);
        acd__core_copy(te->language, sizeof(te->language),
                       tc->language && *tc->language ? tc->language : "en");
        te->callback_attempts = tc->callback_attempts;
        te->callback_delay_ms = tc->callback_attempts > 0 ? tc->callback_delay_ms : 0;
        te->callback_ring_ms = tc->callback_attempts > 0 ? tc->callback_ring_ms : 0;
        rc = acd_hmap_insert(&t->by_name, &te->node, acd_str_from(te->name));
        if (rc < 0)
            goto out;
        for (size_t j = 0; j < tc->n_dids; j++, d++) {
            acd__did_t *did = &t->dids[d];
            acd__core_copy(did->number, sizeof(did->number), tc->dids[j]);
            did->tenant = te;
            rc = acd_hmap_insert(&t->by_did, &did->node, acd_str_from(did->number));
            if (rc < 0)
                goto out;
        }
    }
    rc = acd__tenants_vips_build(t, cfg);
out:
    if (rc < 0)
        cfg_tenants_fini(t);
    return rc;
}

static void cfg_users_fini(acd__users_t *u)
{
    acd_hmap_fini(&u->map);
    free(u->v);
    memset(u, 0, sizeof(*u));
}

static int cfg_users_build(acd__users_t *u, const acd_core_cfg_t *cfg, acd__agent_t **agents)
{
    int rc = 0;
    acd_hmap_init(&u->map);
    u->v = calloc(cfg->n_agents ? cfg->n_agents : 1, sizeof(*u->v));
    if (!u->v) {
        rc = -ENOMEM;
        goto out;
    }
    u->n = cfg->n_agents;
    for (size_t i = 0; i < cfg->n_agents; i++) {
        acd__core_copy(u->v[i].user, sizeof(u->v[i].user), cfg->agents[i].sip_user);
        u->v[i].agent = agents[i];
        rc = acd_hmap_insert(&u->map, &u->v[i].node, acd_str_from(u->v[i].user));
        if (rc < 0)
            goto out;
    }
out:
    if (rc < 0)
        cfg_users_fini(u);
    return rc;
}

static int cfg_agent_cmp(const void *x, const void *y)
{
    return strcmp((*(acd__agent_t *const *)x)->id, (*(acd__agent_t *const *)y)->id);
}

static int cfg_queue_cmp(const void *x, const void *y)
{
    return strcmp((*(acd__queue_t *const *)x)->name, (*(acd__queue_t *const *)y)->name);
}

/* Finds or creates the object of every configured queue and agent. */
static int cfg_prepare_objects(acd_core_t *c, const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_queues; i++) {
        acd_hmap_node_t *n = acd_hmap_get(&c->queues, acd_str_from(cfg->queues[i].name));
        if (n) {
            p->queues[i] = acd_container_of(n, acd__queue_t, node);
            continue;
        }
        acd__queue_t *q;
        int rc = acd__queue_alloc(&q, cfg->queues[i].name);
        if (rc < 0)
            return rc;
        rc = acd_hmap_insert(&c->queues, &q->node, acd_str_from(q->name));
        if (rc < 0) {
            acd__queue_free(q);
            return rc;
        }
        p->queues[i] = q;
        p->queue_new[i] = true;
    }
    for (size_t i = 0; i < cfg->n_agents; i++) {
        acd__agent_t *a = acd__agent_find_any(c, cfg->agents[i].id);
        if (a) {
            p->agents[i] = a;
            continue;
        }
        int rc = acd__agent_alloc(&a, cfg->agents[i].id, c->next_serial);
        if (rc < 0)
            return rc;
        rc = acd_hmap_insert(&c->agents, &a->node, acd_str_from(a->id));
        if (rc < 0) {
            acd__agent_free(a);
            return rc;
        }
        c->next_serial++;
        p->agents[i] = a;
        p->agent_new[i] = true;
    }
    return 0;
}

/* Builds every agent's membership array and every queue's member array. */
static int cfg_prepare_members(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_core_agent_cfg_t *ac = &cfg->agents[i];
        p->agent_queues[i] = calloc(ac->n_queues ? ac->n_queues : 1, sizeof(acd__queue_t *));
        if (!p->agent_queues[i])
            return -ENOMEM;
        for (size_t j = 0; j < ac->n_queues; j++) {
            long k = cfg_names_find(&p->queue_names, ac->queues[j]);
            p->agent_queues[i][j] = p->queues[k];
            p->n_members[k]++;
        }
    }
    for (size_t k = 0; k < cfg->n_queues; k++) {
        p->members[k] = calloc(p->n_members[k] ? p->n_members[k] : 1, sizeof(acd__agent_t *));
        if (!p->members[k])
            return -ENOMEM;
        p->n_members[k] = 0;
    }
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_core_agent_cfg_t *ac = &cfg->agents[i];
        for (size_t j = 0; j < ac->n_queues; j++) {
            long k = cfg_names_find(&p->queue_names, ac->queues[j]);
            p->members[k][p->n_members[k]++] = p->agents[i];
        }
    }
    for (size_t k = 0; k < cfg->n_queues; k++)
        qsort(p->members[k], p->n_members[k], sizeof(acd__agent_t *), cfg_agent_cmp);
    return 0;
}

/* Copies every agent's skills and builds every queue's requirements for its new members. */
static int cfg_prepare_skills(const acd_core_cfg_t *cfg, cfg_plan_t *p)
{
    for (size_t i = 0; i < cfg->n_agents; i++) {
        int rc = acd__skillset_copy(&p->agent_skills[i], cfg->agents[i].skills,
                                    cfg->agents[i].n_skills);
        if (rc < 0)
            return rc;
    }
    for (size_t k = 0; k < cfg->n_queues; k++) {
        int rc = acd__qskills_build(&p->queue_skills[k], &cfg->queues[k], p->n_members[k]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Builds the sorted arrays of what lives after commit: configured queues and agents,
 * plus removed queues that still have calls and removed agents still on a call.
 */
static int cfg_prepare_sorted(acd_core_t *c, cfg_plan_t *p)
{
    p->queues_sorted = calloc(c->queues.count ? c->queues.count : 1, sizeof(acd__queue_t *));
    p->agents_sorted = calloc(c->agents.count ? c->agents.count : 1, sizeof(acd__agent_t *));
    if (!p->queues_sorted || !p->agents_sorted)
        return -ENOMEM;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &c->queues);
    while ((n = acd_hmap_iter_next(&it)) != NULL) {
        acd__queue_t *q = acd_container_of(n, acd__queue_t, node);
        if (cfg_names_find(&p->queue_names, q->name) >= 0 || q->n_calls > 0)
            p->queues_sorted[p->n_queues_sorted++] = q;
    }
    acd_hmap_iter_init(&it, &c->agents);
    while ((n = acd_hmap_iter_next(&it)) != NULL) {
        acd__agent_t *a = acd_container_of(n, acd__agent_t, node);
        bool kept = cfg_names_find(&p->agent_names, a->id) >= 0;
        if (!kept && !a->removed)
            p->n_agents_removed++;
        if (kept || a->state == ACD_AGENT_ON_CALL)
            p->agents_sorted[p->n_agents_sorted++] = a;
    }
    qsort(p->queues_sorted, p->n_queues_sorted, sizeof(acd__queue_t *), cfg_queue_cmp);
    qsort(p->agents_sorted, p->n_agents_sorted, sizeof(acd__agent_t *), cfg_agent_cmp);
    return 0;
}

static size_t cfg_min(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int cfg_prepare(acd_core_t *c, const acd_core_cfg_t *cfg, acd_actions_t *out, cfg_plan_t *p)
{
    size_t nq = cfg->n_queues ? cfg->n_queues : 1, na = cfg->n_agents ? cfg->n_agents : 1;
    p->queues = calloc(nq, sizeof(*p->queues));
    p->queue_new = calloc(nq, sizeof(*p->queue_new));
    p->members = calloc(nq, sizeof(*p->members));
    p->n_members = calloc(nq, sizeof(*p->n_members));
    p->agents = calloc(na, sizeof(*p->agents));
    p->agent_new = calloc(na, sizeof(*p->agent_new));
    p->agent_queues = calloc(na, sizeof(*p->agent_queues));
    p->agent_skills = calloc(na, sizeof(*p->agent_skills));
    p->queue_skills = calloc(nq, sizeof(*p->queue_skills));
    if (!p->queues || !p->queue_new || !p->members || !p->n_members || !p->agents ||
        !p->agent_new || !p->agent_queues || !p->agent_skills || !p->queue_skills)
        return -ENOMEM;
    int rc = cfg_prepare_objects(c, cfg, p);
    if (rc == 0)
        rc = cfg_prepare_members(cfg, p);
    if (rc == 0)
        rc = cfg_prepare_skills(cfg, p);
    if (rc == 0)
        rc = cfg_prepare_sorted(c, p);
    if (rc == 0)
        rc = cfg_tenants_build(&p->tenants, cfg);
    if (rc == 0)
        rc = cfg_users_build(&p->users, cfg, p->agents);
    /* One ready slot per queue and one deadline per agent, so pushes never allocate. */
    if (rc == 0)
        rc = acd__heap_reserve(&c->ready, c->queues.count);
    if (rc == 0)
        rc = acd__heap_reserve(&c->deadlines, c->agents.count);
    if (rc < 0)
        return rc;
    /*
     * Actions: a removed agent causes at most CANCEL_OFFER and AGENT_STATE (its call goes
     * back to waiting); then 2 per offer, bounded by available agents and waiting calls;
     * and 2 per waiting call sent out by a queue rule (a new max wait, an emptied queue).
     */
    size_t n_rm = p->n_agents_removed;
    size_t need = 4 + 3 * n_rm + 2 * cfg_min(c->n_available, c->n_waiting + n_rm) +
                  2 * (c->n_waiting + n_rm);
    return acd__actions_reserve(out, need);
}

/* Releases what the plan still owns; with undo, also the objects prepare created. */
static void cfg_plan_fini(acd_core_t *c, const acd_core_cfg_t *cfg, cfg_plan_t *p, bool undo)
{
    if (undo) {
        for (size_t i = 0; p->queues && i < cfg->n_queues; i++) {
            if (p->queue_new && p->queue_new[i]) {
                acd_hmap_remove(&c->queues, &p->queues[i]->node);
                acd__queue_free(p->queues[i]);
            }
            if (p->members)
                free(p->members[i]);
        }
        for (size_t i = 0; p->agents && i < cfg->n_agents; i++) {
            if (p->agent_new && p->agent_new[i]) {
                acd_hmap_remove(&c->agents, &p->agents[i]->node);
                acd__agent_free(p->agents[i]);
            }
            if (p->agent_queues)
                free(p->agent_queues[i]);
        }
        for (size_t i = 0; p->agent_skills && i < cfg->n_agents; i++)
            acd__skillset_free(&p->agent_skills[i]);
        for (size_t i = 0; p->queue_skills && i < cfg->n_queues; i++)
            acd__qskills_fini(&p->queue_skills[i]);
        cfg_tenants_fini(&p->tenants);
        cfg_users_fini(&p->users);
        free(p->queues_sorted);
        free(p->agents_sorted);
    }
    free(p->queues);
    free(p->queue_new);
    free(p->members);
    free(p->n_members);
    free(p->agents);
    free(p->agent_new);
    free(p->agent_queues);
    free(p->agent_skills);
    free(p->queue_skills);
    cfg_names_fini(&p->queue_names);
    cfg_names_fini(&p->tenant_names);
    cfg_names_fini(&p->agent_names);
    cfg_names_fini(&p->user_names);
    cfg_names_fini(&p->did_names);
}

/* ---- commit ---- */

/*
 * An agent gone from the configuration: ringing, its offer is cancelled (reason
 * "removed") and the call goes back to its place (a reservation for another site's call
 * is dropped and that site named in the CANCEL_OFFER); on a call, it lives on without
 * memberships and is logged out and freed when the call ends; otherwise it is logged
 * out and freed now.
 */
static void cfg_remove_agent(acd_core_t *c, acd__agent_t *a, acd_ms_t now)
{
    if (a->state == ACD_AGENT_ON_CALL) {
        a->removed = true;
        free(a->queues);
        a->queues = NULL;
        a->n_queues = 0;
        return;
    }
    if (a->state == ACD_AGENT_RINGING && acd__agent_reserved(a)) {
        acd__reservation_cancel(c, a, "removed", true);
    } else if (a->state == ACD_AGENT_RINGING) {
        acd_action_t *act = acd__core_emit(c, ACD_ACT_CANCEL_OFFER);
        acd__core_copy(act->call_id, sizeof(act->call_id), a->call->id);
        acd__core_copy(act->agent_id, sizeof(act->agent_id), a->id);
        acd__core_copy(act->reason, sizeof(act->reason), "removed");
        acd__call_unoffer(c, a->call);
    }
    acd__agent_deadline_clear(c, a);
    if (a->state != ACD_AGENT_LOGGED_OUT)
        acd__agent_set_state(c, a, ACD_AGENT_LOGGED_OUT, now, NULL);
    acd__agent_destroy(c, a);
}

/* Sets q's queue rules from qc (validated), or clears them (qc NULL: q was removed). */
static void cfg_queue_rules(acd_core_t *c, acd__queue_t *q, const acd_core_queue_cfg_t *qc)
{
    acd__overflow_kind_t kind = ACD__OVERFLOW_NONE;
    const char *target = NULL;
    if (qc)
        (void)acd__overflow_parse(qc->overflow, &kind, &target);
    q->max_wait_ms = qc ? qc->max_wait_ms : 0;
    q->max_len = qc ? qc->max_len : 0;
    q->join_empty = qc ? qc->join_empty : false;
    q->leave_empty = qc ? qc->leave_empty : false;
    q->overflow_kind = kind;
    acd__core_copy(q->overflow, sizeof(q->overflow), qc ? qc->overflow : NULL);
    acd__core_copy(q->overflow_queue, sizeof(q->overflow_queue), target);
    if (!qc) {
        acd_list_remove(&q->empty_link);
        q->empty_pending = false;
    }
    c->n_leave_empty += q->leave_empty && kind != ACD__OVERFLOW_NONE;
}

/* Recounts q's available and logged-in members; the queue rules follow the change. */
static void cfg_queue_recount(acd_core_t *c, acd__queue_t *q)
{
    size_t before = acd__queue_logged_in(q);
    q->n_available = 0;
    q->n_logged_in = 0;
    for (size_t i = 0; i < q->n_members; i++) {
        q->n_available += q->members[i]->state == ACD_AGENT_AVAILABLE;
        q->n_logged_in += q->members[i]->state != ACD_AGENT_LOGGED_OUT;
    }
    acd__overflow_logged_in(c, q, before);
    acd__overflow_rearm(c, q);
    acd__queue_refresh(c, q);
}

static void cfg_commit(acd_core_t *c, const acd_core_cfg_t *cfg, cfg_plan_t *p, acd_ms_t now)
{
    /*
     * The new sorted arrays first: what is destroyed below is not in them. Removals go
     * by the old array, in id order, so their actions come in a stable order.
     */
    acd__agent_t **old_agents = c->agents_sorted;
    size_t n_old_agents = c->n_agents;
    free(c->queues_sorted);
    c->queues_sorted = p->queues_sorted;
    c->n_queues = p->n_queues_sorted;
    c->agents_sorted = p->agents_sorted;
    c->n_agents = p->n_agents_sorted;
    for (size_t i = 0; i < n_old_agents; i++) {
        acd__agent_t *a = old_agents[i];
        if (!a->removed && cfg_names_find(&p->agent_names, a->id) < 0)
            cfg_remove_agent(c, a, now);
    }
    free(old_agents);

    for (size_t i = 0; i < cfg->n_agents; i++) {
        acd__agent_t *a = p->agents[i];
        a->removed = false;
        acd__core_copy(a->sip_user, sizeof(a->sip_user), cfg->agents[i].sip_user);
        free(a->queues);
        a->queues = p->agent_queues[i];
        a->n_queues = cfg->agents[i].n_queues;
        acd__skillset_free(&a->skills);
        a->skills = p->agent_skills[i];
    }
    c->n_leave_empty = 0;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_core_queue_cfg_t *qc = &cfg->queues[i];
        acd__queue_t *q = p->queues[i];
        const acd_strategy_ops_t *s = acd__strategy_find(qc->strategy);
        if (q->strategy != s) {
            q->strategy_state = 0;
            q->strategy_cursor[0] = '\0';
        }
        q->strategy = s;
        acd__core_copy(q->tenant, sizeof(q->tenant), qc->tenant);
        q->ring_timeout_ms = qc->ring_timeout_ms;
        q->wrapup_ms = qc->wrapup_ms;
        q->max_no_answer = qc->max_no_answer;
        q->priority = qc->priority;
        q->removed = false;
        free(q->members);
        q->members = p->members[i];
        q->n_members = p->n_members[i];
        acd__qskills_fini(&q->sk);
        q->sk = p->queue_skills[i];
        acd__qskills_fill(q);
        cfg_queue_rules(c, q, qc);
    }
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &c->queues);
    while ((n = acd_hmap_iter_next(&it)) != NULL) {
        acd__queue_t *q = acd_container_of(n, acd__queue_t, node);
        if (cfg_names_find(&p->queue_names, q->name) < 0) {
            q->removed = true;
            free(q->members);
            q->members = NULL;
            q->n_members = 0;
            acd__qskills_fini(&q->sk);
            cfg_queue_rules(c, q, NULL);
            if (q->n_calls == 0) {
                acd__queue_destroy(c, q);
                continue;
            }
        }
        cfg_queue_recount(c, q);
    }

    cfg_tenants_fini(&c->tenants);
    c->tenants = p->tenants;
    cfg_users_fini(&c->users);
    c->users = p->users;
}

int acd_core_configure(acd_core_t *c, const acd_core_cfg_t *cfg, acd_ms_t now, acd_actions_t *out)
{
    if (!c || !cfg || !out)
        return -EINVAL;
    cfg_plan_t p;
    memset(&p, 0, sizeof(p));
    int rc = cfg_validate(cfg, &p);
    if (rc == 0)
        rc = cfg_prepare(c, cfg, out, &p);
    if (rc < 0) {
        cfg_plan_fini(c, cfg, &p, true);
        return rc;
    }
    c->out = out;
    c->now = now;
    cfg_commit(c, cfg, &p, now);
    cfg_plan_fini(c, cfg, &p, false);
    acd__overflow_run(c, now);
    acd__dispatch(c, now);
    c->out = NULL;
    return 0;
}
