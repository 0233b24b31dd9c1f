/* config_merge.c - a cluster site's running config: its own file with the shared lists. */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every helper below returns a new copy (NULL for nothing to copy) and sets *rc to
 * -ENOMEM when it could not make one. Copies are made into structs first copied whole
 * from the source, replacing each pointer member at once, so that the result never
 * holds a pointer into the source and acd_config_free() can free it at any point.
 */

static char *merge_str(const char *s, int *rc)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *rc = -ENOMEM;
    return c;
}

/* n elements of size bytes; NULL when n is 0. */
static void *merge_dup(const void *p, size_t n, size_t size, int *rc)
{
    if (!p || !n)
        return NULL;
    void *c = calloc(n, size);
    if (!c) {
        *rc = -ENOMEM;
        return NULL;
    }
    memcpy(c, p, n * size);
    return c;
}

/* Copies the string array v (n of them) into *dst and its count into *dst_n. */
static void merge_strv(char ***dst, size_t *dst_n, char *const *v, size_t n, int *rc)
{
    char **c = n ? calloc(n, sizeof(*c)) : NULL;
    if (n && !c)
        *rc = -ENOMEM;
    for (size_t i = 0; c && i < n; i++)
        c[i] = merge_str(v[i], rc);
    *dst = c;
    *dst_n = c ? n : 0;
}

/* Copies from's array `field` (n_field entries, structs whole) into m; none when out of memory. */
#define MERGE_ARRAY(m, from, field, rc)                                                            \
    ((m)->field = merge_dup((from)->field, (from)->n_##field, sizeof(*(m)->field), rc),            \
     (m)->n_##field = (m)->field ? (from)->n_##field : 0)

static void merge_trunks(acd_config_t *m, const acd_config_t *from, int *rc)
{
    MERGE_ARRAY(m, from, trunks, rc);
    for (size_t i = 0; i < m->n_trunks; i++) {
        acd_cfg_trunk_t *t = &m->trunks[i];
        t->name = merge_str(t->name, rc);
        t->networks = merge_dup(t->networks, t->n_networks, sizeof(*t->networks), rc);
        t->n_networks = t->networks ? t->n_networks : 0;
    }
}

/* Copies the skills array at *v (n entries) in place: the array and every name. */
static void merge_skills(acd_cfg_skill_t **v, size_t *n, int *rc)
{
    *v = merge_dup(*v, *n, sizeof(**v), rc);
    *n = *v ? *n : 0;
    for (size_t i = 0; i < *n; i++)
        (*v)[i].name = merge_str((*v)[i].name, rc);
}

static void merge_menu(acd_cfg_menu_t *m, int *rc)
{
    m->name = merge_str(m->name, rc);
    m->prompt = merge_str(m->prompt, rc);
    m->invalid_prompt = merge_str(m->invalid_prompt, rc);
    m->on_timeout = merge_str(m->on_timeout, rc);
    m->options = merge_dup(m->options, m->n_options, sizeof(*m->options), rc);
    m->n_options = m->options ? m->n_options : 0;
    for (size_t i = 0; i < m->n_options; i++)
        m->options[i].target = merge_str(m->options[i].target, rc);
}

/* The answering settings of t, a whole copy of the source tenant, made its own. */
static void merge_tenant_answer(acd_cfg_tenant_t *t, int *rc)
{
    t->timezone = merge_str(t->timezone, rc);
    MERGE_ARRAY(t, t, hours, rc);
    MERGE_ARRAY(t, t, lunch, rc);
    MERGE_ARRAY(t, t, holidays, rc);
    merge_strv(&t->vip, &t->n_vip, t->vip, t->n_vip, rc);
    t->ivr_entry = merge_str(t->ivr_entry, rc);
    MERGE_ARRAY(t, t, menus, rc);
    for (size_t i = 0; i < t->n_menus; i++)
        merge_menu(&t->menus[i], rc);
    t->operator_queue = merge_str(t->operator_queue, rc);
    MERGE_ARRAY(t, t, scripts, rc);
    for (size_t i = 0; i < t->n_scripts; i++) {
        t->scripts[i].greeting = merge_str(t->scripts[i].greeting, rc);
        t->scripts[i].then = merge_str(t->scripts[i].then, rc);
    }
    t->vm_prompt = merge_str(t->vm_prompt, rc);
    t->vm_queue = merge_str(t->vm_queue, rc);
    t->vm_dir = merge_str(t->vm_dir, rc);
    t->oncall_trunk = merge_str(t->oncall_trunk, rc);
    t->oncall_caller_id = merge_str(t->oncall_caller_id, rc);
    MERGE_ARRAY(t, t, oncall, rc);
    for (size_t i = 0; i < t->n_oncall; i++) {
        acd_cfg_oncall_t *o = &t->oncall[i];
        merge_strv(&o->chain, &o->n_chain, o->chain, o->n_chain, rc);
    }
    t->instructions = merge_str(t->instructions, rc);
}

static void merge_tenants(acd_config_t *m, const acd_config_t *from, int *rc)
{
    MERGE_ARRAY(m, from, tenants, rc);
    for (size_t i = 0; i < m->n_tenants; i++) {
        acd_cfg_tenant_t *t = &m->tenants[i];
        t->name = merge_str(t->name, rc);
        merge_strv(&t->dids, &t->n_dids, t->dids, t->n_dids, rc);
        t->queue = merge_str(t->queue, rc);
        t->language = merge_str(t->language, rc);
        t->callback_trunk = merge_str(t->callback_trunk, rc);
        t->callback_caller_id = merge_str(t->callback_caller_id, rc);
        merge_tenant_answer(t, rc);
    }
}

static void merge_queues(acd_config_t *m, const acd_config_t *from, int *rc)
{
    MERGE_ARRAY(m, from, queues, rc);
    for (size_t i = 0; i < m->n_queues; i++) {
        acd_cfg_queue_t *q = &m->queues[i];
        q->name = merge_str(q->name, rc);
        q->tenant = merge_str(q->tenant, rc);
        q->strategy = merge_str(q->strategy, rc);
        merge_skills(&q->skills, &q->n_skills, rc);
        MERGE_ARRAY(q, q, relax, rc);
        for (size_t j = 0; j < q->n_relax; j++)
            q->relax[j].skill = merge_str(q->relax[j].skill, rc);
        q->overflow = merge_str(q->overflow, rc);
    }
}

static void merge_agents(acd_config_t *m, const acd_config_t *from, int *rc)
{
    MERGE_ARRAY(m, from, agents, rc);
    for (size_t i = 0; i < m->n_agents; i++) {
        acd_cfg_agent_t *a = &m->agents[i];
        a->id = merge_str(a->id, rc);
        a->sip_user = merge_str(a->sip_user, rc);
        a->password = merge_str(a->password, rc);
        merge_strv(&a->queues, &a->n_queues, a->queues, a->n_queues, rc);
        merge_skills(&a->skills, &a->n_skills, rc);
    }
}

static void merge_peers(acd_config_t *m, const acd_config_t *from, int *rc)
{
    MERGE_ARRAY(m, from, peers, rc);
    for (size_t i = 0; i < m->n_peers; i++) {
        acd_cfg_peer_t *p = &m->peers[i];
        p->name = merge_str(p->name, rc);
        p->events = merge_str(p->events, rc);
        p->requests = merge_str(p->requests, rc);
    }
}

int acd_config_merge(const acd_config_t *site, const acd_config_t *shared, acd_config_t **mergedp)
{
    acd_config_t *m = NULL;
    int rc = 0;
    if (!site || !shared || !mergedp) {
        rc = -EINVAL;
        goto out;
    }
    if (!(m = malloc(sizeof(*m)))) {
        rc = -ENOMEM;
        goto out;
    }

    /* Numbers and flags come with the struct; every pointer is replaced below. */
    *m = *site;
    m->path = merge_str(site->path, &rc);
    m->site_name = merge_str(site->site_name, &rc);
    m->site_address = merge_str(site->site_address, &rc);
    m->sip_listen = merge_str(site->sip_listen, &rc);
    m->prompts_dir = merge_str(site->prompts_dir, &rc);
    m->admin_listen = merge_str(site->admin_listen, &rc);
    m->admin_token_file = merge_str(site->admin_token_file, &rc);
    m->admin_token = merge_str(site->admin_token, &rc);
    m->cdr_path = merge_str(site->cdr_path, &rc);
    m->cdr_csv_path = merge_str(site->cdr_csv_path, &rc);
    m->queue_log_path = merge_str(site->queue_log_path, &rc);
    m->log_level = merge_str(site->log_level, &rc);
    merge_strv(&m->etcd_endpoints, &m->n_etcd_endpoints, site->etcd_endpoints,
               site->n_etcd_endpoints, &rc);
    m->cluster_prefix = merge_str(site->cluster_prefix, &rc);
    m->link_events = merge_str(site->link_events, &rc);
    m->link_requests = merge_str(site->link_requests, &rc);
    merge_peers(m, site, &rc);
    merge_strv(&m->sisters, &m->n_sisters, site->sisters, site->n_sisters, &rc);
    m->tls_ca = merge_str(site->tls_ca, &rc);
    m->tls_cert = merge_str(site->tls_cert, &rc);
    m->tls_key = merge_str(site->tls_key, &rc);
    m->anycast_address = merge_str(site->anycast_address, &rc);
    m->anycast_interface = merge_str(site->anycast_interface, &rc);

    /* Tenants, queues and agents name each other: they come from one document together. */
    merge_trunks(m, shared->shared_trunks ? shared : site, &rc);
    const acd_config_t *entities = shared->shared_entities ? shared : site;
    merge_tenants(m, entities, &rc);
    merge_queues(m, entities, &rc);
    merge_agents(m, entities, &rc);
    m->shared_trunks = m->shared_entities = false;

out:
    if (rc < 0)
        acd_config_free(m);
    else
        *mergedp = m;
    return rc;
}
