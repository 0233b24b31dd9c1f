/* member_drill.c - what a supervisor's wallboard shows of the cluster: the drill key, peers'
 * agents. */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * A failover drill (chaos/drill) runs against the whole cluster, so every site's
 * wallboard must say so, and the note must outlive the site the drill kills: it is one
 * etcd key, <prefix>/drill, holding {"name", "started_ms", "by"} as call control wrote
 * it (docs/wallboard.md, ADR 0027). As for tenants' state (member_tstate.c), every site
 * reads the key, then watches it (member_doc.c), and hands every value to ops.drill, its
 * own writes included.
 */

static void drill_key(const acd_member_t *m, char *out, size_t len)
{
    snprintf(out, len, "%s/drill", m->prefix);
}

/* Hands the drill (none: kv NULL or deleted) to call control. */
static void drill_value(acd__member_doc_t *d, const acd_etcd_kv_t *kv, bool deleted)
{
    acd_member_t *m = d->m;
    bool set = kv && !deleted;
    acd_log_debug("ACD-MEMBER-DRILL", "revision=%lld %s", (long long)(kv ? kv->mod_revision : 0),
                  set ? "set" : "none");
    if (m->ops.drill)
        m->ops.drill(m->ud, set ? kv->value.p : NULL, set ? kv->value.n : 0);
}

void acd__member_drill_start(acd_member_t *m)
{
    char key[200];
    drill_key(m, key, sizeof(key));
    acd__member_doc_init(&m->drill, m, key, false, drill_value);
    acd__member_doc_start(&m->drill);
}

void acd__member_drill_stop(acd_member_t *m)
{
    acd__member_doc_stop(&m->drill);
}

int acd_member_drill_put(acd_member_t *m, const char *text, size_t len,
                         void (*cb)(void *ud, int err), void *ud)
{
    if (!m)
        return -EINVAL;
    char key[200];
    drill_key(m, key, sizeof(key));
    return acd__member_doc_put(m, key, text, len, "ACD-MEMBER-DRILL-STORE-FAILED", cb, ud);
}

/* ---- other sites' agents ---- */

typedef struct drill_agents {
    const acd_member_t *m;
    void (*cb)(void *ud, const char *site, const acd_agent_view_t *v);
    void *ud;
} drill_agents_t;

static void drill_on_agent(void *ud, const acd_replica_agent_t *a)
{
    drill_agents_t *d = ud;
    if (!strcmp(a->origin, d->m->site))
        return;
    acd_agent_view_t v = {
        .id = a->agent_id,
        .sip_user = a->sip_user ? a->sip_user : "",
        .state = a->state,
        .pause_reason = a->reason ? a->reason : "",
        .state_since = a->state_since_ms,
        .idle_since = a->idle_since_ms,
        .call_id = a->call_id ? a->call_id : "",
        .call_site = "",
        .missed_in_row = (int)a->missed_in_row,
        .calls_handled = a->calls_handled,
    };
    d->cb(d->ud, a->origin, &v);
}

void acd_member_foreach_peer_agent(const acd_member_t *m,
                                   void (*cb)(void *ud, const char *site,
                                              const acd_agent_view_t *v),
                                   void *ud)
{
    if (!m || !m->replica || !cb)
        return;
    drill_agents_t d = {.m = m, .cb = cb, .ud = ud};
    acd_replica_visitor_t vis = {.agent = drill_on_agent};
    acd_replica_foreach(m->replica, NULL, &vis, &d);
}
