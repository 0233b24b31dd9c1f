/* member_tstate.c - tenants' live state (override, temporary instructions) kept in etcd. */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * A supervisor's override ("closed until 15:00") or a client's temporary instructions
 * ("back at 3 pm") must reach every site at once and outlive any one of them, so each
 * tenant's state is one etcd key, <prefix>/tenant-state/<tenant>, holding the JSON
 * document call control made (docs/adr/0020). Every site watches the prefix and hands
 * each value to ops.tenant_state, its own writes included: the watch is the one path by
 * which state changes, so all sites apply the same values in the same (revision) order.
 * etcd holds config-like, rarely written state only, as ARCHITECTURE asks: a state
 * change is a supervisor's action, never per call.
 */

static void tstate_key(const acd_member_t *m, const char *tenant, char *out, size_t len)
{
    snprintf(out, len, "%s/tenant-state/%s", m->prefix, tenant ? tenant : "");
}

/* Hands a tenant's state (deleted: cleared) to call control (member_doc.c orders them). */
static void tstate_value(acd__member_doc_t *d, const acd_etcd_kv_t *kv, bool deleted)
{
    acd_member_t *m = d->m;
    size_t pl = strlen(d->key); /* the prefix */
    if (!kv || kv->key.n <= pl || memcmp(kv->key.p, d->key, pl) != 0)
        return;
    char tenant[ACD_ID_MAX];
    size_t tl = kv->key.n - pl;
    if (tl >= sizeof(tenant))
        return;
    memcpy(tenant, kv->key.p + pl, tl);
    tenant[tl] = '\0';
    acd_log_info("ACD-MEMBER-TENANT-STATE", "tenant=%s revision=%lld %s", tenant,
                 (long long)kv->mod_revision, deleted ? "cleared" : "set");
    if (m->ops.tenant_state)
        m->ops.tenant_state(m->ud, tenant, deleted ? NULL : kv->value.p, deleted ? 0 : kv->value.n);
}

void acd__member_tstate_start(acd_member_t *m)
{
    char prefix[200];
    tstate_key(m, NULL, prefix, sizeof(prefix));
    acd__member_doc_init(&m->tstate, m, prefix, true, tstate_value);
    acd__member_doc_start(&m->tstate);
}

void acd__member_tstate_stop(acd_member_t *m)
{
    acd__member_doc_stop(&m->tstate);
}

int acd_member_tenant_state_put(acd_member_t *m, const char *tenant, const char *text, size_t len,
                                void (*cb)(void *ud, int err), void *ud)
{
    if (!m || !tenant || !*tenant)
        return -EINVAL;
    char key[200];
    tstate_key(m, tenant, key, sizeof(key));
    return acd__member_doc_put(m, key, text, len, NULL, cb, ud);
}

/* ---- who serves a queue elsewhere ---- */

typedef struct tstate_count {
    const acd_member_t *m;
    const char *queue;
    unsigned n;
} tstate_count_t;

static void tstate_count_agent(void *ud, const acd_replica_agent_t *a)
{
    tstate_count_t *c = ud;
    if (a->state == ACD_AGENT_LOGGED_OUT || strcmp(a->origin, c->m->site) == 0 ||
        !acd__member_site_live(c->m, a->origin))
        return;
    const acd_config_t *cfg = c->m->cfg;
    for (size_t i = 0; i < cfg->n_agents; i++) {
        if (strcmp(cfg->agents[i].id, a->agent_id) != 0)
            continue;
        for (size_t j = 0; j < cfg->agents[i].n_queues; j++)
            if (strcmp(cfg->agents[i].queues[j], c->queue) == 0) {
                c->n++;
                return;
            }
        return;
    }
}

unsigned acd_member_queue_logged_in(const acd_member_t *m, const char *queue)
{
    if (!m || !queue || !m->replica)
        return 0;
    tstate_count_t c = {.m = m, .queue = queue};
    acd_replica_visitor_t v = {.agent = tstate_count_agent};
    acd_replica_foreach(m->replica, NULL, &v, &c);
    return c.n;
}

void acd__member_remote_members(acd_member_t *m)
{
    if (!m->ops.remote_members || !m->cfg)
        return;
    for (size_t i = 0; i < m->cfg->n_queues; i++) {
        const char *q = m->cfg->queues[i].name;
        m->ops.remote_members(m->ud, q, acd_member_queue_logged_in(m, q));
    }
}

void acd__member_remote_facts(acd_member_t *m, const Acd__V1__Envelope *env)
{
    if (env->body_case == ACD__V1__ENVELOPE__BODY_AGENT) {
        acd__member_remote_members(m);
        return;
    }
    if (env->body_case != ACD__V1__ENVELOPE__BODY_CALL || !env->call)
        return;
    const Acd__V1__CallEvent *c = env->call;
    /* A caller who hung up on a queue at another site gets redial priority here too. */
    if (c->kind != ACD__V1__CALL_KIND__CALL_KIND_ENDED ||
        c->disposition != ACD__V1__DISPOSITION__DISPOSITION_ABANDONED || !c->caller ||
        !c->caller[0] || !m->ops.feed)
        return;
    acd_event_t ev = {.type = ACD_EV_ABANDON_NOTE};
    snprintf(ev.tenant, sizeof(ev.tenant), "%s", c->tenant ? c->tenant : "");
    snprintf(ev.did, sizeof(ev.did), "%s", c->did ? c->did : "");
    snprintf(ev.caller, sizeof(ev.caller), "%s", c->caller);
    ev.end_ms = c->end_ms;
    ev.enqueue_ms = c->enqueue_ms;
    m->ops.feed(m->ud, &ev);
}
