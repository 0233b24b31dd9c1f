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
 * reads the key, then watches it, and hands every value to ops.drill, its own writes
 * included; a compaction restarts the read.
 */

static void drill_start(acd_member_t *m);

static void drill_key(const acd_member_t *m, char *out, size_t len)
{
    snprintf(out, len, "%s/drill", m->prefix);
}

/* Hands the drill (text NULL: none) to call control unless an older revision than seen. */
static void drill_apply(acd_member_t *m, const char *text, size_t len, int64_t rev)
{
    if (rev && rev < m->drill_rev)
        return;
    if (rev > m->drill_rev)
        m->drill_rev = rev;
    acd_log_debug("ACD-MEMBER-DRILL", "revision=%lld %s", (long long)rev, text ? "set" : "none");
    if (m->ops.drill)
        m->ops.drill(m->ud, text, len);
}

static void drill_event(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud)
{
    acd_member_t *m = ud;
    (void)w;
    if (ev->type == ACD_ETCD_EVENT_COMPACTED) {
        acd_etcd_watch_stop(m->drill_watch);
        m->drill_watch = NULL;
        drill_start(m);
    } else if (ev->kv && (ev->type == ACD_ETCD_EVENT_PUT || ev->type == ACD_ETCD_EVENT_DELETE)) {
        bool put = ev->type == ACD_ETCD_EVENT_PUT;
        drill_apply(m, put ? ev->kv->value.p : NULL, put ? ev->kv->value.n : 0,
                    ev->kv->mod_revision);
    }
}

static void drill_range(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd_member_t *m = ud;
    (void)e;
    if (res->err < 0) {
        if (res->err != -ECANCELED && !m->closing)
            drill_start(m);
        return;
    }
    /* The read is the truth at its revision: no key means no drill. */
    if (res->n_kvs > 0)
        drill_apply(m, res->kvs[0].value.p, res->kvs[0].value.n, 0);
    else
        drill_apply(m, NULL, 0, 0);
    if (res->revision > m->drill_rev)
        m->drill_rev = res->revision;
    char key[200];
    drill_key(m, key, sizeof(key));
    if (acd_etcd_watch_start(&m->drill_watch, m->etcd, ACD_ETCD_KEY(acd_str_from(key)),
                             res->revision + 1, drill_event, m) < 0)
        m->drill_watch = NULL;
}

static void drill_start(acd_member_t *m)
{
    char key[200];
    drill_key(m, key, sizeof(key));
    (void)acd_etcd_range(m->etcd, ACD_ETCD_KEY(acd_str_from(key)), drill_range, m);
}

void acd__member_drill_start(acd_member_t *m)
{
    drill_start(m);
}

void acd__member_drill_stop(acd_member_t *m)
{
    if (m->drill_watch)
        acd_etcd_watch_stop(m->drill_watch);
    m->drill_watch = NULL;
}

typedef struct drill_put {
    void (*cb)(void *ud, int err);
    void *ud;
} drill_put_t;

static void drill_put_done(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    drill_put_t *p = ud;
    (void)e;
    if (res->err < 0)
        acd_log_warn("ACD-MEMBER-DRILL-STORE-FAILED", "err=%s", acd_strerror(res->err));
    if (p->cb)
        p->cb(p->ud, res->err);
    free(p);
}

int acd_member_drill_put(acd_member_t *m, const char *text, size_t len,
                         void (*cb)(void *ud, int err), void *ud)
{
    if (!m || m->closing || !m->etcd)
        return -EINVAL;
    drill_put_t *p = malloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    *p = (drill_put_t){.cb = cb, .ud = ud};
    char key[200];
    drill_key(m, key, sizeof(key));
    int rc =
        text ? acd_etcd_put(m->etcd, acd_str_from(key), (acd_str_t){.p = text, .n = len}, 0,
                            drill_put_done, p)
             : acd_etcd_delete_range(m->etcd, ACD_ETCD_KEY(acd_str_from(key)), drill_put_done, p);
    if (rc < 0)
        free(p);
    return rc;
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
