/* planner.c - the leader's global planner: the single-site dispatch rules over all sites. */
#include "cluster/planner.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

/*
 * One run builds, on the heap, everything it needs and frees it before returning:
 * the ids named by live pending offers (two sets), the usable agents, per queue its
 * usable members in its strategy's order with their levels of the queue's skills, and
 * the usable calls in global order. Then it walks the calls once; each queue keeps a
 * cursor past its leading taken members, so a queue that runs out of agents costs O(1)
 * per further call, and a pick costs O(members * skills) of that queue (also when only
 * members of other sites are free for a call still kept to its own site).
 */

typedef enum planner_strategy {
    PLANNER_LONGEST_IDLE,
    PLANNER_ROUND_ROBIN,
    PLANNER_FEWEST_CALLS,
} planner_strategy_t;

static const struct {
    const char *name;
    planner_strategy_t strategy;
} planner_strategies[] = {
    {"longest-idle", PLANNER_LONGEST_IDLE},
    {"round-robin", PLANNER_ROUND_ROBIN},
    {"fewest-calls", PLANNER_FEWEST_CALLS},
};

typedef struct planner_agent {
    acd_hmap_node_t node; /* in planner_t.agents_by_id */
    const acd_planner_agent_t *in;
    bool taken;
} planner_agent_t;

typedef struct planner_queue {
    acd_hmap_node_t node;      /* in planner_t.queues, keyed by name */
    planner_agent_t **members; /* usable members in pick order */
    size_t n_members;
    size_t first_free;           /* every member before it is taken */
    const planner_agent_t *last; /* while building: the last agent added */
    const acd_planner_queue_t *rules; /* its entry in the queue table, or NULL */
    planner_strategy_t strategy;
    const char *cursor;               /* round-robin: the agent offered last */
    int relax_skill[ACD_SKILLS_MAX];  /* per relaxation: the index of its skill, -1 none */
    int *member_level;                /* [i * n_skills + j]: members[i]'s level of skill j */
} planner_queue_t;

typedef struct planner {
    const acd_planner_input_t *in;
    acd_hmap_t busy_calls, busy_agents; /* ids in live pending offers */
    acd_hmap_node_t *busy_nodes;        /* 2 per pending offer */
    const acd_planner_agent_t **agents_sorted;
    planner_agent_t *agents; /* usable agents, in pick order */
    size_t n_agents;
    acd_hmap_t agents_by_id;
    planner_queue_t *queues_v; /* at most one per membership */
    size_t n_queues;
    acd_hmap_t queues;
    planner_agent_t **member_slab;
    int *level_slab;
    acd_hmap_t rules;            /* the queue table by name, first of duplicates */
    acd_hmap_node_t *rule_nodes; /* one per queue table entry */
    const acd_planner_call_t **calls; /* every input call, in global order */
    acd_hmap_node_t *call_nodes;
    acd_hmap_t calls_by_id;
} planner_t;

void acd_planner_offers_reset(acd_planner_offers_t *o)
{
    o->n = 0;
}

void acd_planner_offers_fini(acd_planner_offers_t *o)
{
    free(o->v);
    o->v = NULL;
    o->n = o->cap = 0;
}

static int planner_offers_reserve(acd_planner_offers_t *o, size_t extra)
{
    if (extra > SIZE_MAX / 2 / sizeof(*o->v) - o->n)
        return -ENOMEM;
    size_t need = o->n + extra;
    if (need <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 16;
    while (cap < need)
        cap *= 2;
    acd_planner_offer_t *v = realloc(o->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    o->v = v;
    o->cap = cap;
    return 0;
}

/* ---- orders ---- */

static int planner_cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

/* Global call order: priority desc, enqueue asc, site, arrival sequence, call id. */
static int planner_call_cmp(const void *x, const void *y)
{
    const acd_planner_call_t *a = *(const acd_planner_call_t *const *)x;
    const acd_planner_call_t *b = *(const acd_planner_call_t *const *)y;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    int r = planner_cmp_i64(a->enqueue_ms, b->enqueue_ms);
    if (r == 0)
        r = strcmp(a->site, b->site);
    if (r == 0 && a->arrival_seq != b->arrival_seq)
        r = a->arrival_seq < b->arrival_seq ? -1 : 1;
    if (r == 0)
        r = strcmp(a->call_id, b->call_id);
    return r;
}

/* Turn order (round-robin): agent id, then site. */
static int planner_by_id(const acd_planner_agent_t *a, const acd_planner_agent_t *b)
{
    int r = strcmp(a->agent_id, b->agent_id);
    return r ? r : strcmp(a->site, b->site);
}

/* Pick order: longest idle first, then agent id, then site. */
static int planner_by_idle(const acd_planner_agent_t *a, const acd_planner_agent_t *b)
{
    int r = planner_cmp_i64(a->idle_since, b->idle_since);
    return r ? r : planner_by_id(a, b);
}

static int planner_agent_cmp(const void *x, const void *y)
{
    return planner_by_idle(*(const acd_planner_agent_t *const *)x,
                           *(const acd_planner_agent_t *const *)y);
}

/* A queue's members in its strategy's order (fewest-calls: handled calls first). */
static int planner_member_fewest_cmp(const void *x, const void *y)
{
    const acd_planner_agent_t *a = (*(planner_agent_t *const *)x)->in;
    const acd_planner_agent_t *b = (*(planner_agent_t *const *)y)->in;
    if (a->calls_handled != b->calls_handled)
        return a->calls_handled < b->calls_handled ? -1 : 1;
    return planner_by_idle(a, b);
}

static int planner_member_turn_cmp(const void *x, const void *y)
{
    return planner_by_id((*(planner_agent_t *const *)x)->in, (*(planner_agent_t *const *)y)->in);
}

/* The strategy named name (NULL or "": longest-idle); false when it is unknown. */
static bool planner_strategy_of(const char *name, planner_strategy_t *st)
{
    if (!name || !*name)
        name = "longest-idle";
    for (size_t i = 0; i < sizeof(planner_strategies) / sizeof(planner_strategies[0]); i++) {
        if (strcmp(planner_strategies[i].name, name) == 0) {
            *st = planner_strategies[i].strategy;
            return true;
        }
    }
    return false;
}

/* ---- validation and setup ---- */

static bool planner_skills_valid(const acd_core_skill_t *v, size_t n)
{
    if (n > ACD_SKILLS_MAX || (n && !v))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].name)
            return false;
    }
    return true;
}

static bool planner_queue_valid(const acd_planner_queue_t *q)
{
    planner_strategy_t st;
    if (!q->name || !planner_strategy_of(q->strategy, &st) ||
        !planner_skills_valid(q->skills, q->n_skills) || q->n_relax > ACD_SKILLS_MAX ||
        (q->n_relax && !q->relax) || q->local_ms < 0)
        return false;
    for (size_t i = 0; i < q->n_relax; i++) {
        if (!q->relax[i].skill)
            return false;
    }
    return true;
}

static bool planner_valid(const acd_planner_input_t *in)
{
    if ((in->n_calls && !in->calls) || (in->n_agents && !in->agents) ||
        (in->n_pending && !in->pending) || (in->n_queues && !in->queues))
        return false;
    for (size_t i = 0; i < in->n_queues; i++) {
        if (!planner_queue_valid(&in->queues[i]))
            return false;
    }
    for (size_t i = 0; i < in->n_calls; i++) {
        const acd_planner_call_t *c = &in->calls[i];
        if (!c->call_id || !c->site || !c->queue)
            return false;
    }
    for (size_t i = 0; i < in->n_agents; i++) {
        const acd_planner_agent_t *a = &in->agents[i];
        if (!a->agent_id || !a->site || (a->n_queues && !a->queues) ||
            (a->n_excluded && !a->excluded_calls) || !planner_skills_valid(a->skills, a->n_skills))
            return false;
        for (size_t j = 0; j < a->n_queues; j++) {
            if (!a->queues[j])
                return false;
        }
        for (size_t j = 0; j < a->n_excluded; j++) {
            if (!a->excluded_calls[j])
                return false;
        }
    }
    for (size_t i = 0; i < in->n_pending; i++) {
        if (!in->pending[i].call_id || !in->pending[i].agent_id)
            return false;
    }
    return true;
}

static void *planner_calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* Marks the call and agent of every pending offer whose deadline has not passed. */
static int planner_busy(planner_t *p)
{
    const acd_planner_input_t *in = p->in;
    p->busy_nodes = planner_calloc(2 * in->n_pending, sizeof(*p->busy_nodes));
    if (!p->busy_nodes)
        return -ENOMEM;
    for (size_t i = 0; i < in->n_pending; i++) {
        const acd_planner_pending_t *o = &in->pending[i];
        if (in->now_ms >= o->deadline_ms)
            continue;
        int rc = acd_hmap_insert(&p->busy_calls, &p->busy_nodes[2 * i], acd_str_from(o->call_id));
        if (rc == 0 || rc == -EEXIST)
            rc = acd_hmap_insert(&p->busy_agents, &p->busy_nodes[2 * i + 1],
                                 acd_str_from(o->agent_id));
        if (rc < 0 && rc != -EEXIST)
            return rc;
    }
    return 0;
}

/* The queue table by name; the first entry of a name counts. */
static int planner_rules(planner_t *p)
{
    const acd_planner_input_t *in = p->in;
    p->rule_nodes = planner_calloc(in->n_queues, sizeof(*p->rule_nodes));
    if (!p->rule_nodes)
        return -ENOMEM;
    for (size_t i = 0; i < in->n_queues; i++) {
        int rc = acd_hmap_insert(&p->rules, &p->rule_nodes[i], acd_str_from(in->queues[i].name));
        if (rc < 0 && rc != -EEXIST)
            return rc;
    }
    return 0;
}

/* The index of the skill named name among q's rules' skills, or -1. */
static int planner_skill_index(const acd_planner_queue_t *r, const char *name)
{
    for (size_t j = 0; j < r->n_skills; j++) {
        if (strcmp(r->skills[j].name, name) == 0)
            return (int)j;
    }
    return -1;
}

/* A new queue q named name takes its rules from the queue table. */
static void planner_queue_init(const planner_t *p, planner_queue_t *q, acd_str_t name)
{
    acd_hmap_node_t *n = acd_hmap_get(&p->rules, name);
    q->rules = n ? &p->in->queues[n - p->rule_nodes] : NULL;
    q->strategy = PLANNER_LONGEST_IDLE;
    if (!q->rules)
        return;
    (void)planner_strategy_of(q->rules->strategy, &q->strategy); /* validated */
    q->cursor = q->rules->cursor;
    for (size_t k = 0; k < q->rules->n_relax; k++)
        q->relax_skill[k] = planner_skill_index(q->rules, q->rules->relax[k].skill);
}

static size_t planner_n_skills(const planner_queue_t *q)
{
    return q->rules ? q->rules->n_skills : 0;
}

/* The level of skill name agent a has, 0 when none. */
static int planner_level_of(const acd_planner_agent_t *a, const char *name)
{
    for (size_t k = 0; k < a->n_skills; k++) {
        if (strcmp(a->skills[k].name, name) == 0)
            return a->skills[k].level;
    }
    return 0;
}

/* Puts every queue's members in its strategy's order and notes their skill levels. */
static int planner_queues_finish(planner_t *p)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n_queues; i++)
        total += p->queues_v[i].n_members * planner_n_skills(&p->queues_v[i]);
    p->level_slab = planner_calloc(total, sizeof(*p->level_slab));
    if (!p->level_slab)
        return -ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < p->n_queues; i++) {
        planner_queue_t *q = &p->queues_v[i];
        if (q->strategy == PLANNER_FEWEST_CALLS)
            qsort(q->members, q->n_members, sizeof(*q->members), planner_member_fewest_cmp);
        else if (q->strategy == PLANNER_ROUND_ROBIN)
            qsort(q->members, q->n_members, sizeof(*q->members), planner_member_turn_cmp);
        size_t ns = planner_n_skills(q);
        q->member_level = p->level_slab + used;
        used += q->n_members * ns;
        for (size_t m = 0; m < q->n_members; m++) {
            for (size_t j = 0; j < ns; j++)
                q->member_level[m * ns + j] =
                    planner_level_of(q->members[m]->in, q->rules->skills[j].name);
        }
    }
    return 0;
}

/* The usable agents (not busy, first of duplicates) in pick order, and their queues. */
static int planner_agents(planner_t *p)
{
    const acd_planner_input_t *in = p->in;
    size_t n_memberships = 0;
    p->agents_sorted = planner_calloc(in->n_agents, sizeof(*p->agents_sorted));
    p->agents = planner_calloc(in->n_agents, sizeof(*p->agents));
    if (!p->agents_sorted || !p->agents)
        return -ENOMEM;
    for (size_t i = 0; i < in->n_agents; i++)
        p->agents_sorted[i] = &in->agents[i];
    qsort(p->agents_sorted, in->n_agents, sizeof(*p->agents_sorted), planner_agent_cmp);
    for (size_t i = 0; i < in->n_agents; i++) {
        const acd_planner_agent_t *a = p->agents_sorted[i];
        if (acd_hmap_get(&p->busy_agents, acd_str_from(a->agent_id)))
            continue;
        planner_agent_t *pa = &p->agents[p->n_agents];
        pa->in = a;
        int rc = acd_hmap_insert(&p->agents_by_id, &pa->node, acd_str_from(a->agent_id));
        if (rc == -EEXIST)
            continue;
        if (rc < 0)
            return rc;
        p->n_agents++;
        n_memberships += a->n_queues;
    }

    /* Queues: count members first, then fill the slab in pick order. */
    p->queues_v = planner_calloc(n_memberships, sizeof(*p->queues_v));
    p->member_slab = planner_calloc(n_memberships, sizeof(*p->member_slab));
    if (!p->queues_v || !p->member_slab)
        return -ENOMEM;
    for (size_t i = 0; i < p->n_agents; i++) {
        planner_agent_t *pa = &p->agents[i];
        for (size_t j = 0; j < pa->in->n_queues; j++) {
            acd_str_t name = acd_str_from(pa->in->queues[j]);
            acd_hmap_node_t *n = acd_hmap_get(&p->queues, name);
            planner_queue_t *q = n ? acd_container_of(n, planner_queue_t, node) : NULL;
            if (!q) {
                q = &p->queues_v[p->n_queues];
                int rc = acd_hmap_insert(&p->queues, &q->node, name);
                if (rc < 0)
                    return rc;
                planner_queue_init(p, q, name);
                p->n_queues++;
            }
            if (q->last == pa)
                continue; /* a queue listed twice by one agent makes it a member once */
            q->last = pa;
            q->n_members++;
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < p->n_queues; i++) {
        planner_queue_t *q = &p->queues_v[i];
        q->members = p->member_slab + used;
        used += q->n_members;
        q->n_members = 0;
        q->last = NULL;
    }
    for (size_t i = 0; i < p->n_agents; i++) {
        planner_agent_t *pa = &p->agents[i];
        for (size_t j = 0; j < pa->in->n_queues; j++) {
            acd_hmap_node_t *n = acd_hmap_get(&p->queues, acd_str_from(pa->in->queues[j]));
            planner_queue_t *q = acd_container_of(n, planner_queue_t, node);
            if (q->last == pa)
                continue;
            q->last = pa;
            q->members[q->n_members++] = pa;
        }
    }
    return planner_queues_finish(p);
}

/* Every call in global order; calls_by_id later keeps the first of duplicates. */
static int planner_calls(planner_t *p)
{
    const acd_planner_input_t *in = p->in;
    p->calls = planner_calloc(in->n_calls, sizeof(*p->calls));
    p->call_nodes = planner_calloc(in->n_calls, sizeof(*p->call_nodes));
    if (!p->calls || !p->call_nodes)
        return -ENOMEM;
    for (size_t i = 0; i < in->n_calls; i++)
        p->calls[i] = &in->calls[i];
    qsort(p->calls, in->n_calls, sizeof(*p->calls), planner_call_cmp);
    return 0;
}

static void planner_fini(planner_t *p)
{
    acd_hmap_fini(&p->busy_calls);
    acd_hmap_fini(&p->busy_agents);
    acd_hmap_fini(&p->agents_by_id);
    acd_hmap_fini(&p->queues);
    acd_hmap_fini(&p->calls_by_id);
    acd_hmap_fini(&p->rules);
    free(p->rule_nodes);
    free(p->level_slab);
    free(p->busy_nodes);
    free(p->agents_sorted);
    free(p->agents);
    free(p->queues_v);
    free(p->member_slab);
    free(p->calls);
    free(p->call_nodes);
}

/* ---- the walk ---- */

static bool planner_excludes(const acd_planner_agent_t *a, const char *call_id)
{
    for (size_t i = 0; i < a->n_excluded; i++) {
        if (strcmp(a->excluded_calls[i], call_id) == 0)
            return true;
    }
    return false;
}

/*
 * Writes the levels of q's skills that call requires at now into need (0: none): the
 * queue's, as relaxed by every relaxation due after the call's wait, the one with the
 * largest after_ms for a skill (of equal ones the last listed) applying.
 */
static void planner_need(const planner_queue_t *q, const acd_planner_call_t *call, int64_t now,
                         int *need)
{
    const acd_planner_queue_t *r = q->rules;
    int64_t wait = now - call->enqueue_ms, at[ACD_SKILLS_MAX];
    for (size_t j = 0; j < r->n_skills; j++) {
        need[j] = r->skills[j].level;
        at[j] = -1;
    }
    for (size_t k = 0; k < r->n_relax; k++) {
        int j = q->relax_skill[k];
        if (j >= 0 && r->relax[k].after_ms <= wait && r->relax[k].after_ms >= at[j]) {
            at[j] = r->relax[k].after_ms;
            need[j] = r->relax[k].level;
        }
    }
}

/* Has call waited past its queue's local time, so that members at every site may take it? */
static bool planner_everywhere(const planner_queue_t *q, const acd_planner_call_t *call,
                               int64_t now)
{
    return call->anywhere || !q->rules || q->rules->local_ms <= 0 ||
           now - call->enqueue_ms >= q->rules->local_ms;
}

/* The match score of q's member m for need: the sum of its levels on the skills needed,
 * or -1 when it lacks one at the level needed. */
static int planner_score(const planner_queue_t *q, size_t m, const int *need)
{
    size_t ns = planner_n_skills(q);
    int sum = 0;
    for (size_t j = 0; j < ns; j++) {
        int have = q->member_level[m * ns + j];
        if (need[j] == 0)
            continue;
        if (have < need[j])
            return -1;
        sum += have;
    }
    return sum;
}

/* The score of q's member m for call (planner_score), or -1 when m is taken or, while
 * the call is not yet offered everywhere, at another site than the call's. */
static int planner_candidate(const planner_queue_t *q, size_t m, const acd_planner_call_t *call,
                             bool everywhere, const int *need)
{
    const planner_agent_t *pa = q->members[m];
    if (pa->taken || (!everywhere && strcmp(pa->in->site, call->site) != 0))
        return -1;
    return planner_score(q, m, need);
}

/*
 * The member of q to offer call to, NULL when none: among the free members that may take
 * it (its own site's only, before its queue's local time is over) and have the
 * skills the call needs, those that do not exclude it (when every one excludes it, all of
 * them: a new round), of the best score; of those the strategy's: the first in q's order,
 * or for round-robin the first after the cursor, wrapping.
 */
static planner_agent_t *planner_pick(const planner_t *p, planner_queue_t *q,
                                     const acd_planner_call_t *call)
{
    while (q->first_free < q->n_members && q->members[q->first_free]->taken)
        q->first_free++;
    int need[ACD_SKILLS_MAX];
    if (planner_n_skills(q))
        planner_need(q, call, p->in->now_ms, need);
    bool everywhere = planner_everywhere(q, call, p->in->now_ms);
    int best_open = -1, best_all = -1;
    for (size_t i = q->first_free; i < q->n_members; i++) {
        int sc = planner_candidate(q, i, call, everywhere, need);
        if (sc > best_all)
            best_all = sc;
        if (sc > best_open && !planner_excludes(q->members[i]->in, call->call_id))
            best_open = sc;
    }
    if (best_all < 0)
        return NULL;
    bool open = best_open >= 0;
    int best = open ? best_open : best_all;
    planner_agent_t *first = NULL;
    for (size_t i = q->first_free; i < q->n_members; i++) {
        planner_agent_t *pa = q->members[i];
        if (planner_candidate(q, i, call, everywhere, need) != best ||
            (open && planner_excludes(pa->in, call->call_id)))
            continue;
        if (q->strategy != PLANNER_ROUND_ROBIN ||
            (q->cursor && strcmp(pa->in->agent_id, q->cursor) > 0))
            return pa;
        if (!first)
            first = pa;
    }
    return first;
}

static int planner_walk(planner_t *p, acd_planner_offers_t *out)
{
    const acd_planner_input_t *in = p->in;
    size_t free_agents = p->n_agents;
    for (size_t i = 0; i < in->n_calls && free_agents > 0; i++) {
        const acd_planner_call_t *call = p->calls[i];
        int rc = acd_hmap_insert(&p->calls_by_id, &p->call_nodes[i], acd_str_from(call->call_id));
        if (rc == -EEXIST)
            continue; /* a duplicate: its first copy had its chance */
        if (rc < 0)
            return rc;
        if (acd_hmap_get(&p->busy_calls, acd_str_from(call->call_id)))
            continue;
        acd_hmap_node_t *n = acd_hmap_get(&p->queues, acd_str_from(call->queue));
        if (!n)
            continue;
        planner_queue_t *q = acd_container_of(n, planner_queue_t, node);
        planner_agent_t *pa = planner_pick(p, q, call);
        if (!pa)
            continue;
        pa->taken = true;
        q->cursor = pa->in->agent_id;
        free_agents--;
        acd_planner_offer_t *o = &out->v[out->n++]; /* room reserved by the caller */
        o->call_id = call->call_id;
        o->call_site = call->site;
        o->agent_id = pa->in->agent_id;
        o->agent_site = pa->in->site;
        o->queue = call->queue;
    }
    return 0;
}

static void planner_init(planner_t *p, const acd_planner_input_t *in)
{
    memset(p, 0, sizeof(*p));
    p->in = in;
    acd_hmap_init(&p->busy_calls);
    acd_hmap_init(&p->busy_agents);
    acd_hmap_init(&p->agents_by_id);
    acd_hmap_init(&p->queues);
    acd_hmap_init(&p->calls_by_id);
    acd_hmap_init(&p->rules);
}

int acd_planner_plan(const acd_planner_input_t *in, acd_planner_offers_t *out)
{
    if (!in || !out || !planner_valid(in))
        return -EINVAL;
    planner_t p;
    planner_init(&p, in);
    size_t n0 = out->n;
    size_t most = in->n_calls < in->n_agents ? in->n_calls : in->n_agents;
    int rc = planner_offers_reserve(out, most);
    if (rc == 0)
        rc = planner_busy(&p);
    if (rc == 0)
        rc = planner_rules(&p);
    if (rc == 0)
        rc = planner_agents(&p);
    if (rc == 0)
        rc = planner_calls(&p);
    if (rc == 0)
        rc = planner_walk(&p, out);
    if (rc < 0)
        out->n = n0;
    planner_fini(&p);
    return rc;
}

/* Lowers *next to at when at is after now. */
static void planner_sooner(int64_t *next, int64_t at, int64_t now)
{
    if (at > now && at < *next)
        *next = at;
}

int acd_planner_replan_at(const acd_planner_input_t *in, int64_t *at)
{
    if (!in || !at || !planner_valid(in))
        return -EINVAL;
    planner_t p;
    planner_init(&p, in);
    int rc = planner_rules(&p);
    int64_t next = INT64_MAX;
    for (size_t i = 0; rc == 0 && i < in->n_calls; i++) {
        const acd_planner_call_t *c = &in->calls[i];
        acd_hmap_node_t *n = acd_hmap_get(&p.rules, acd_str_from(c->queue));
        if (!n)
            continue; /* no rules: nothing changes with waiting */
        const acd_planner_queue_t *r = &in->queues[n - p.rule_nodes];
        if (r->local_ms > 0 && !c->anywhere)
            planner_sooner(&next, c->enqueue_ms + r->local_ms, in->now_ms);
        for (size_t k = 0; k < r->n_relax; k++)
            planner_sooner(&next, c->enqueue_ms + r->relax[k].after_ms, in->now_ms);
    }
    if (rc == 0)
        *at = next;
    planner_fini(&p);
    return rc;
}

const char *acd_planner_cursor(const acd_planner_offers_t *out, size_t from, const char *queue,
                               const char *cursor)
{
    for (size_t i = out && queue ? out->n : 0; i > from; i--) {
        if (strcmp(out->v[i - 1].queue, queue) == 0)
            return out->v[i - 1].agent_id;
    }
    return cursor;
}
