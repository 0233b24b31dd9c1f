/* wallboard_sites.c - the wallboard document's people and places: agents, sites, drill. */
#include "api/admin_int.h"
#include "api/wallboard_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Agents come from the core's views (this site's, as GET /v1/status lists them) and,
 * in a cluster, from the site's replicas of the others (ops.peer_agents). Sites are
 * GET /v1/cluster's rows (api/sites.c: the leader, every site's liveness and anycast
 * state from the status document): the wallboard derives nothing of its own.
 */

/* ---- agents ---- */

/*
 * Every site's core knows every configured agent, and shows one that another site owns
 * as logged out. So an agent appears once: as this site's core has it, unless the core
 * has it logged out and a peer owns it logged in, then as the peer's replica has it.
 * Peers' agents are copied first (their views live only during the callback).
 */
typedef struct wb_peer_agent {
    char id[ACD_ID_MAX], site[ACD_ID_MAX], reason[ACD_ID_MAX], call_id[ACD_ID_MAX];
    acd_agent_view_t v;
    bool used;
} wb_peer_agent_t;

typedef struct wb_agents {
    json_object *arr;
    unsigned by_state[ACD_AGENT_PAUSED + 1];
    const char *self;
    wb_peer_agent_t *peers; /* grown as peers' agents come */
    size_t n_peers, cap_peers;
    int err;
} wb_agents_t;

static void wb_agent_add(wb_agents_t *l, const acd_agent_view_t *v, const char *site)
{
    json_object *o = acd__wb_obj(&l->err);
    acd__wb_set(o, "id", json_object_new_string(v->id));
    acd__wb_set(o, "site", json_object_new_string(site ? site : ""));
    acd__wb_set(o, "state", json_object_new_string(acd_agent_state_name(v->state)));
    acd__wb_set(o, "pause_reason",
                v->pause_reason && v->pause_reason[0] ? json_object_new_string(v->pause_reason)
                                                      : NULL);
    acd__wb_set(o, "state_since_ms",
                v->state_since > 0 ? json_object_new_int64(v->state_since) : NULL);
    acd__wb_set(o, "call_id",
                v->call_id && v->call_id[0] ? json_object_new_string(v->call_id) : NULL);
    acd__wb_set(o, "calls_handled", json_object_new_uint64(v->calls_handled));
    acd__wb_push(l->arr, o, &l->err);
    if ((unsigned)v->state <= ACD_AGENT_PAUSED)
        l->by_state[v->state]++;
}

/* The logged-in peer copy of agent id, NULL when no peer has it logged in. */
static wb_peer_agent_t *wb_peer_find(wb_agents_t *l, const char *id)
{
    for (size_t i = 0; i < l->n_peers; i++)
        if (!strcmp(l->peers[i].id, id) && l->peers[i].v.state != ACD_AGENT_LOGGED_OUT)
            return &l->peers[i];
    return NULL;
}

static void wb_on_peer_agent(void *ud, const char *site, const acd_agent_view_t *v)
{
    wb_agents_t *l = ud;
    if (v->state == ACD_AGENT_LOGGED_OUT)
        return;
    if (l->n_peers == l->cap_peers) {
        size_t cap = l->cap_peers ? 2 * l->cap_peers : 16;
        wb_peer_agent_t *n = realloc(l->peers, cap * sizeof(*n));
        if (!n) {
            l->err = -ENOMEM;
            return;
        }
        l->peers = n, l->cap_peers = cap;
    }
    wb_peer_agent_t *p = &l->peers[l->n_peers++];
    snprintf(p->id, sizeof(p->id), "%s", v->id);
    snprintf(p->site, sizeof(p->site), "%s", site);
    snprintf(p->reason, sizeof(p->reason), "%s", v->pause_reason ? v->pause_reason : "");
    snprintf(p->call_id, sizeof(p->call_id), "%s", v->call_id ? v->call_id : "");
    p->v = *v; /* its strings are pointed at p's own copies when emitted */
    p->used = false;
}

/* Adds peer copy p (its strings are its own: the array may have moved since). */
static void wb_peer_add(wb_agents_t *l, wb_peer_agent_t *p)
{
    acd_agent_view_t v = p->v;
    v.id = p->id, v.pause_reason = p->reason, v.call_id = p->call_id;
    v.sip_user = "", v.call_site = "";
    p->used = true;
    wb_agent_add(l, &v, p->site);
}

static void wb_on_agent(void *ud, const acd_agent_view_t *v)
{
    wb_agents_t *l = ud;
    wb_peer_agent_t *p = v->state == ACD_AGENT_LOGGED_OUT ? wb_peer_find(l, v->id) : NULL;
    if (p) {
        wb_peer_add(l, p);
    } else {
        wb_agent_add(l, v, l->self);
    }
}

static void wb_agents(acd_admin_t *a, json_object *doc, const char *self, int *err)
{
    wb_agents_t l = {.arr = acd__wb_arr(err), .self = self};
    const acd_core_t *core = a->ops.core(a->ud);
    if (a->ops.peer_agents)
        a->ops.peer_agents(a->ud, wb_on_peer_agent, &l);
    if (core)
        acd_core_foreach_agent(core, wb_on_agent, &l);
    for (size_t i = 0; i < l.n_peers; i++) /* agents this site's config does not name */
        if (!l.peers[i].used && wb_peer_find(&l, l.peers[i].id) == &l.peers[i])
            wb_peer_add(&l, &l.peers[i]);
    free(l.peers);
    json_object *counts = acd__wb_obj(err);
    for (int s = ACD_AGENT_LOGGED_OUT; s <= ACD_AGENT_PAUSED; s++)
        acd__wb_set(counts, acd_agent_state_name((acd_agent_state_t)s),
                    json_object_new_uint64(l.by_state[s]));
    acd__wb_set(doc, "agents", l.arr);
    acd__wb_set(doc, "agent_states", counts);
    if (l.err)
        *err = l.err;
}

/* ---- sites ---- */

static bool wb_get_bool(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* The rows of GET /v1/cluster (acd__admin_sites), the leader and whether the site drains. */
static void wb_sites(json_object *doc, json_object *status, int *err)
{
    json_object *cluster = NULL, *site = NULL;
    const char *leader = NULL;
    json_object *sites = acd__admin_sites(status, &leader);
    if (!sites)
        *err = -ENOMEM;
    json_object_object_get_ex(status, "site", &site);
    json_object_object_get_ex(status, "cluster", &cluster);
    acd__wb_set(doc, "mode", json_object_new_string(cluster ? "cluster" : "alone"));
    acd__wb_set(doc, "draining", json_object_new_boolean(wb_get_bool(site, "draining")));
    acd__wb_set(doc, "leader", leader ? json_object_new_string(leader) : NULL);
    acd__wb_set(doc, "sites", sites);
}

/* ---- drill ---- */

/* The drill under way (ops.drill, GET), or null. */
static void wb_drill(acd_admin_t *a, json_object *doc, int *err)
{
    json_object *answer = NULL, *drill = NULL;
    if (a->ops.drill) {
        answer = acd__wb_obj(err);
        if (answer && a->ops.drill(a->ud, "GET", NULL, 0, answer) == 200 &&
            json_object_object_get_ex(answer, "drill", &drill))
            drill = json_object_get(drill);
        else
            drill = NULL;
        json_object_put(answer);
    }
    acd__wb_set(doc, "drill", drill);
}

void acd__wb_site_facts(acd_admin_t *a, json_object *doc, json_object *status, int64_t now,
                        int *err)
{
    json_object *site = NULL;
    (void)now;
    json_object_object_get_ex(status, "site", &site);
    const char *self = acd__wb_get_str(site, "name");
    wb_drill(a, doc, err);
    wb_sites(doc, status, err);
    wb_agents(a, doc, self, err);
}
