/* config_check.c - checks across entries: unique names, DIDs and SIP users; references that
 * resolve. */
#include "config/config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

int acd__cfg_index_init(acd__cfg_ctx_t *ctx, acd__cfg_index_t *idx, size_t cap)
{
    acd_hmap_init(&idx->map);
    idx->n = 0;
    idx->cap = cap;
    idx->v = cap ? calloc(cap, sizeof(*idx->v)) : NULL;
    if (cap && !idx->v) {
        ctx->rc = -ENOMEM;
        return -ENOMEM;
    }
    return 0;
}

void acd__cfg_index_fini(acd__cfg_index_t *idx)
{
    acd_hmap_fini(&idx->map);
    free(idx->v);
    idx->v = NULL;
}

const acd__cfg_index_entry_t *acd__cfg_index_add(acd__cfg_ctx_t *ctx, acd__cfg_index_t *idx,
                                                 const char *key, const char *owner,
                                                 const void *obj, int line)
{
    acd_hmap_node_t *old = acd_hmap_get(&idx->map, acd_str_from(key));
    if (old)
        return acd_container_of(old, acd__cfg_index_entry_t, node);
    if (idx->n == idx->cap)
        return NULL;
    acd__cfg_index_entry_t *e = &idx->v[idx->n];
    *e = (acd__cfg_index_entry_t){.owner = owner, .obj = obj, .line = line};
    if (acd_hmap_insert(&idx->map, &e->node, acd_str_from(key)) < 0) {
        ctx->rc = -ENOMEM;
        return NULL;
    }
    idx->n++;
    return NULL;
}

const acd__cfg_index_entry_t *acd__cfg_index_find(const acd__cfg_index_t *idx, acd_str_t key)
{
    acd_hmap_node_t *n = acd_hmap_get(&idx->map, key);
    return n ? acd_container_of(n, acd__cfg_index_entry_t, node) : NULL;
}

const acd__cfg_index_entry_t *acd__cfg_index_get(const acd__cfg_index_t *idx, const char *key)
{
    return acd__cfg_index_find(idx, acd_str_from(key));
}

static int check_line(const acd__cfg_ctx_t *ctx, const void *addr)
{
    return acd__cfg_line_of(ctx, addr);
}

/* ---- one check per kind of entity ----------------------------------------------------------- */

static void check_trunks(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    acd__cfg_index_t names;
    if (acd__cfg_index_init(ctx, &names, cfg->n_trunks) < 0)
        return;
    for (size_t i = 0; i < cfg->n_trunks; i++) {
        const acd_cfg_trunk_t *t = &cfg->trunks[i];
        if (!t->name)
            continue;
        int line = check_line(ctx, &t->name);
        const acd__cfg_index_entry_t *old =
            acd__cfg_index_add(ctx, &names, t->name, t->name, t, line);
        if (old)
            acd__cfg_error(ctx, line, "duplicate trunk '%s' (first defined on line %d)", t->name,
                           old->line);
    }
    acd__cfg_index_fini(&names);
}

/* Peers: unique, not this site; sisters name peers; TLS files all or none, and present for tls+tcp.
 */
static void check_cluster(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    if (!cfg->cluster)
        return;
    int line = check_line(ctx, &cfg->cluster);
    acd__cfg_index_t names;
    if (acd__cfg_index_init(ctx, &names, cfg->n_peers) < 0)
        return;
    bool tls_url = cfg->link_events && !strncmp(cfg->link_events, "tls+", 4);
    for (size_t i = 0; i < cfg->n_peers; i++) {
        const acd_cfg_peer_t *p = &cfg->peers[i];
        if (!p->name)
            continue;
        int pl = check_line(ctx, &p->name);
        if (cfg->site_name && !strcmp(p->name, cfg->site_name))
            acd__cfg_error(ctx, pl, "peer '%s' is this site itself", p->name);
        const acd__cfg_index_entry_t *old =
            acd__cfg_index_add(ctx, &names, p->name, p->name, p, pl);
        if (old)
            acd__cfg_error(ctx, pl, "duplicate peer '%s' (first defined on line %d)", p->name,
                           old->line);
        if ((p->events && !strncmp(p->events, "tls+", 4)) ||
            (p->requests && !strncmp(p->requests, "tls+", 4)))
            tls_url = true;
    }
    int sl = check_line(ctx, &cfg->sisters);
    for (size_t i = 0; i < cfg->n_sisters; i++) {
        if (!acd__cfg_index_get(&names, cfg->sisters[i]))
            acd__cfg_error(ctx, sl ? sl : line, "sister '%s' is not a peer", cfg->sisters[i]);
    }
    int n_tls = !!cfg->tls_ca + !!cfg->tls_cert + !!cfg->tls_key;
    if (n_tls != 0 && n_tls != 3)
        acd__cfg_error(ctx, line, "cluster TLS needs all of tls_ca, tls_cert and tls_key");
    else if (tls_url && n_tls == 0)
        acd__cfg_error(ctx, line, "tls+tcp:// URLs need tls_ca, tls_cert and tls_key");
    acd__cfg_index_fini(&names);
}

/*
 * The anycast address is acdd's alone to add and remove: it may not be the site's
 * unicast address or the admin endpoint's, and SIP must listen on every address (an
 * explicit sip.listen elsewhere would announce a route to an address nobody answers on,
 * and binding to the anycast address itself fails before acdd has added it).
 */
static void check_anycast(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    if (!cfg->anycast || !cfg->anycast_address)
        return;
    int line = check_line(ctx, &cfg->anycast_address);
    const char *any = cfg->anycast_address;
    if (cfg->site_address && !strcmp(cfg->site_address, any))
        acd__cfg_error(ctx, line,
                       "anycast address %s is also site.address: acdd removes it whenever the site"
                       " is unhealthy, so it cannot be the site's unicast address",
                       any);
    if (cfg->admin_listen && !strcmp(cfg->admin_listen, any))
        acd__cfg_error(ctx, line,
                       "anycast address %s is also admin.listen: the admin endpoint must stay"
                       " reachable while the address is withdrawn",
                       any);
    const char *l = cfg->sip_listen;
    if (l && strcmp(l, "0.0.0.0") && strcmp(l, "::")) {
        int sl = check_line(ctx, &cfg->sip_listen);
        acd__cfg_error(ctx, sl ? sl : line,
                       "sip.listen is %s but calls to the anycast address %s reach acdd only on"
                       " a socket bound to every address: set sip.listen to 0.0.0.0 (or leave it"
                       " out)",
                       l, any);
    }
}

/* The CSV records need a file of their own: one file of two formats serves no reader. */
static void check_cdr(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    if (cfg->cdr_csv_path && cfg->cdr_path && !strcmp(cfg->cdr_csv_path, cfg->cdr_path))
        acd__cfg_error(ctx, check_line(ctx, &cfg->cdr_csv_path),
                       "cdr.csv_path is cdr.path (%s): the CSV records need a file of their own",
                       cfg->cdr_path);
}

/* The queue_log needs a file of its own: not a CDR file. */
static void check_queue_log(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    const char *p = cfg->queue_log_path;
    if (p && ((cfg->cdr_path && !strcmp(p, cfg->cdr_path)) ||
              (cfg->cdr_csv_path && !strcmp(p, cfg->cdr_csv_path))))
        acd__cfg_error(ctx, check_line(ctx, &cfg->queue_log_path),
                       "queue_log.path is a CDR file (%s): the queue_log needs a file of its own", p);
}

static void check_tenants(acd__cfg_ctx_t *ctx, acd__cfg_index_t *tenants)
{
    const acd_config_t *cfg = ctx->cfg;
    size_t n_dids = 0;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        n_dids += cfg->tenants[i].n_dids;
    acd__cfg_index_t dids;
    if (acd__cfg_index_init(ctx, &dids, n_dids) < 0)
        return;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_cfg_tenant_t *t = &cfg->tenants[i];
        if (!t->name)
            continue;
        int line = check_line(ctx, &t->name);
        const acd__cfg_index_entry_t *old =
            acd__cfg_index_add(ctx, tenants, t->name, t->name, t, line);
        if (old) {
            acd__cfg_error(ctx, line, "duplicate tenant '%s' (first defined on line %d)", t->name,
                           old->line);
            continue;
        }
        for (size_t j = 0; j < t->n_dids; j++) {
            int dline = check_line(ctx, &t->dids[j]);
            old = acd__cfg_index_add(ctx, &dids, t->dids[j], t->name, t, dline);
            if (old && old->obj == t)
                acd__cfg_error(ctx, dline, "DID '%s' is listed twice in tenant '%s' (line %d)",
                               t->dids[j], t->name, old->line);
            else if (old)
                acd__cfg_error(ctx, dline,
                               "DID '%s' of tenant '%s' is already used by tenant '%s' (line %d)",
                               t->dids[j], t->name, old->owner, old->line);
        }
    }
    acd__cfg_index_fini(&dids);
}

static void check_queues(acd__cfg_ctx_t *ctx, const acd__cfg_index_t *tenants,
                         acd__cfg_index_t *queues)
{
    const acd_config_t *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_cfg_queue_t *q = &cfg->queues[i];
        if (!q->name)
            continue;
        int line = check_line(ctx, &q->name);
        const acd__cfg_index_entry_t *old =
            acd__cfg_index_add(ctx, queues, q->name, q->name, q, line);
        if (old) {
            acd__cfg_error(ctx, line, "duplicate queue '%s' (first defined on line %d)", q->name,
                           old->line);
            continue;
        }
        if (q->tenant && !acd__cfg_index_get(tenants, q->tenant))
            acd__cfg_error(ctx, check_line(ctx, &q->tenant),
                           "queue '%s' belongs to unknown tenant '%s'", q->name, q->tenant);
    }
}

/* Runs after check_queues(): every tenant's queue exists and belongs to that tenant. */
static void check_tenant_queues(acd__cfg_ctx_t *ctx, const acd__cfg_index_t *tenants,
                                const acd__cfg_index_t *queues)
{
    const acd_config_t *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_cfg_tenant_t *t = &cfg->tenants[i];
        if (!t->name || !t->queue)
            continue;
        const acd__cfg_index_entry_t *te = acd__cfg_index_get(tenants, t->name);
        if (te && te->obj != t)
            continue; /* a duplicate, already reported */
        int line = check_line(ctx, &t->queue);
        const acd__cfg_index_entry_t *qe = acd__cfg_index_get(queues, t->queue);
        if (!qe) {
            acd__cfg_error(ctx, line, "tenant '%s' uses unknown queue '%s'", t->name, t->queue);
            continue;
        }
        const acd_cfg_queue_t *q = qe->obj;
        if (q->tenant && strcmp(q->tenant, t->name) != 0)
            acd__cfg_error(ctx, line, "tenant '%s' uses queue '%s', which belongs to tenant '%s'",
                           t->name, t->queue, q->tenant);
    }
}

static void check_agents(acd__cfg_ctx_t *ctx, const acd__cfg_index_t *queues)
{
    const acd_config_t *cfg = ctx->cfg;
    acd__cfg_index_t ids, users;
    if (acd__cfg_index_init(ctx, &ids, cfg->n_agents) < 0)
        return;
    if (acd__cfg_index_init(ctx, &users, cfg->n_agents) < 0) {
        acd__cfg_index_fini(&ids);
        return;
    }
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_cfg_agent_t *a = &cfg->agents[i];
        if (!a->id)
            continue;
        int line = check_line(ctx, &a->id);
        const acd__cfg_index_entry_t *old = acd__cfg_index_add(ctx, &ids, a->id, a->id, a, line);
        if (old) {
            acd__cfg_error(ctx, line, "duplicate agent id '%s' (first defined on line %d)", a->id,
                           old->line);
            continue;
        }
        if (a->sip_user) {
            /* A defaulted sip_user has no line of its own: point at the id. */
            int uline = check_line(ctx, &a->sip_user);
            uline = uline ? uline : line;
            old = acd__cfg_index_add(ctx, &users, a->sip_user, a->id, a, uline);
            if (old)
                acd__cfg_error(ctx, uline,
                               "SIP user '%s' of agent '%s' is already used by agent '%s' "
                               "(line %d)",
                               a->sip_user, a->id, old->owner, old->line);
        }
        for (size_t j = 0; j < a->n_queues; j++) {
            int qline = check_line(ctx, &a->queues[j]);
            if (!acd__cfg_index_get(queues, a->queues[j])) {
                acd__cfg_error(ctx, qline, "agent '%s' is in unknown queue '%s'", a->id,
                               a->queues[j]);
                continue;
            }
            for (size_t k = 0; k < j; k++) {
                if (!strcmp(a->queues[k], a->queues[j])) {
                    acd__cfg_error(ctx, qline, "agent '%s' lists queue '%s' twice", a->id,
                                   a->queues[j]);
                    break;
                }
            }
        }
    }
    acd__cfg_index_fini(&users);
    acd__cfg_index_fini(&ids);
}

/* The answering settings of every tenant and queue but duplicates (already reported). */
static void check_answer(acd__cfg_ctx_t *ctx, const acd__cfg_index_t *tenants,
                         const acd__cfg_index_t *queues)
{
    const acd_config_t *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const acd_cfg_tenant_t *t = &cfg->tenants[i];
        const acd__cfg_index_entry_t *te = t->name ? acd__cfg_index_get(tenants, t->name) : NULL;
        if (te && te->obj == t)
            acd__cfg_check_tenant_answer(ctx, t, queues);
    }
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_cfg_queue_t *q = &cfg->queues[i];
        const acd__cfg_index_entry_t *qe = q->name ? acd__cfg_index_get(queues, q->name) : NULL;
        if (qe && qe->obj == q)
            acd__cfg_check_queue_route(ctx, q, queues);
    }
}

void acd__cfg_check(acd__cfg_ctx_t *ctx)
{
    const acd_config_t *cfg = ctx->cfg;
    acd__cfg_index_t tenants, queues;
    check_trunks(ctx);
    check_cluster(ctx);
    check_anycast(ctx);
    check_cdr(ctx);
    check_queue_log(ctx);
    if (acd__cfg_index_init(ctx, &tenants, cfg->n_tenants) < 0)
        return;
    if (acd__cfg_index_init(ctx, &queues, cfg->n_queues) < 0) {
        acd__cfg_index_fini(&tenants);
        return;
    }
    check_tenants(ctx, &tenants);
    check_queues(ctx, &tenants, &queues);
    check_tenant_queues(ctx, &tenants, &queues);
    check_answer(ctx, &tenants, &queues);
    check_agents(ctx, &queues);
    acd__cfg_index_fini(&queues);
    acd__cfg_index_fini(&tenants);
}
