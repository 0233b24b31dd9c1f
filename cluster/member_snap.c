/* member_snap.c - the snapshot this site answers a peer's request with: its whole state. */
#include "cluster/member_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/* ---- snapshots out ---- */

typedef struct member_snap {
    acd_member_t *m;
    Acd__V1__CallEvent *calls;
    Acd__V1__CallEvent **pcalls;
    size_t n_calls, cap_calls;
    Acd__V1__AgentEvent *agents;
    Acd__V1__AgentEvent **pagents;
    size_t n_agents, cap_agents;
    Acd__V1__RegistrationEvent *regs;
    Acd__V1__RegistrationEvent **pregs;
    char **strs; /* copies the registrations borrow */
    size_t n_regs, cap_regs, n_strs;
    Acd__V1__QueueEvent *queues;
    Acd__V1__QueueEvent **pqueues;
    size_t n_queues, cap_queues;
    Acd__V1__DialogEvent *dialogs;
    Acd__V1__DialogEvent **pdialogs;
    char *(*droutes)[ACD_WIRE_ROUTES_MAX]; /* each dialog's route set */
    size_t n_dialogs, cap_dialogs;
    int err;
} member_snap_t;

/* Grows (*v, *pv) to hold one more element of size sz. */
static int member_snap_grow(void **v, void ***pv, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, c * sz);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    void **npv = realloc(*pv, c * sizeof(void *));
    if (!npv)
        return -ENOMEM;
    *pv = npv;
    *cap = c;
    return 0;
}

static void member_snap_call(void *ud, const acd_call_view_t *cv)
{
    member_snap_t *s = ud;
    if (s->err || cv->state == ACD_CALL_ENDED)
        return;
    if ((s->err = member_snap_grow((void **)&s->calls, (void ***)&s->pcalls, &s->cap_calls,
                                   s->n_calls, sizeof(*s->calls))) < 0)
        return;
    const member_call_rec_t *r = acd__member_call_rec(s->m, cv->id);
    Acd__V1__CallKind kind = cv->state == ACD_CALL_OFFERED     ? ACD__V1__CALL_KIND__CALL_KIND_OFFERED
                             : cv->state == ACD_CALL_CONNECTED ? ACD__V1__CALL_KIND__CALL_KIND_CONNECTED
                             : r && r->kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED
                                 ? ACD__V1__CALL_KIND__CALL_KIND_REQUEUED
                                 : ACD__V1__CALL_KIND__CALL_KIND_ARRIVE;
    Acd__V1__CallEvent *ce = &s->calls[s->n_calls];
    if (acd_wire_call_from_view(cv, kind, ce) < 0)
        return;
    if (kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED)
        ce->agent_id = (char *)r->agent;
    s->n_calls++;
}

static void member_snap_agent(void *ud, const acd_agent_view_t *av)
{
    member_snap_t *s = ud;
    if (s->err || av->state == ACD_AGENT_LOGGED_OUT)
        return;
    if ((s->err = member_snap_grow((void **)&s->agents, (void ***)&s->pagents, &s->cap_agents,
                                   s->n_agents, sizeof(*s->agents))) < 0)
        return;
    if (acd_wire_agent_from_view(av, &s->agents[s->n_agents]) == 0)
        s->n_agents++;
}

static char *member_snap_str(member_snap_t *s, const char *v)
{
    char *c = strdup(v ? v : "");
    char **ns = c ? realloc(s->strs, (s->n_strs + 1) * sizeof(*ns)) : NULL;
    if (!ns) {
        free(c);
        s->err = -ENOMEM;
        return NULL;
    }
    s->strs = ns;
    s->strs[s->n_strs++] = c;
    return c;
}

static void member_snap_binding(void *ud, const acd_member_binding_t *b)
{
    member_snap_t *s = ud;
    if (s->err)
        return;
    if ((s->err = member_snap_grow((void **)&s->regs, (void ***)&s->pregs, &s->cap_regs, s->n_regs,
                                   sizeof(*s->regs))) < 0)
        return;
    char aor[ACD_WIRE_URI_MAX + 1];
    Acd__V1__RegistrationEvent *re = &s->regs[s->n_regs];
    acd__member_registration_event(s->m, b, false, re, aor, sizeof(aor));
    re->aor = member_snap_str(s, aor);
    re->user = member_snap_str(s, b->user);
    re->contact = member_snap_str(s, b->contact);
    re->source = member_snap_str(s, b->source);
    re->agent_id = member_snap_str(s, b->agent_id);
    if (!s->err)
        s->n_regs++;
}

static void member_snap_queue(void *ud, const acd_queue_view_t *qv)
{
    member_snap_t *s = ud;
    if (s->err)
        return;
    if ((s->err = member_snap_grow((void **)&s->queues, (void ***)&s->pqueues, &s->cap_queues,
                                   s->n_queues, sizeof(*s->queues))) < 0)
        return;
    if (acd_wire_queue_from_view(qv, &s->queues[s->n_queues]) == 0)
        s->n_queues++;
}

static void member_snap_dialog(void *ud, const acd_member_dialog_t *d)
{
    member_snap_t *s = ud;
    if (s->err || d->terminated)
        return;
    size_t cap = s->cap_dialogs;
    if ((s->err = member_snap_grow((void **)&s->dialogs, (void ***)&s->pdialogs, &s->cap_dialogs,
                                   s->n_dialogs, sizeof(*s->dialogs))) < 0)
        return;
    if (s->cap_dialogs != cap) {
        void *nr = realloc(s->droutes, s->cap_dialogs * sizeof(*s->droutes));
        if (!nr) {
            s->err = -ENOMEM;
            return;
        }
        s->droutes = nr;
    }
    /* The views live only during the callback: the snapshot keeps copies. */
    const char *routes[ACD_WIRE_ROUTES_MAX];
    size_t nr = d->n_routes < ACD_WIRE_ROUTES_MAX ? d->n_routes : ACD_WIRE_ROUTES_MAX;
    for (size_t i = 0; i < nr; i++)
        routes[i] = member_snap_str(s, d->routes[i]);
    acd_member_dialog_t c = *d;
    c.routes = routes;
    c.n_routes = nr;
    const char **f[] = {&c.call_id, &c.sip_call_id, &c.local_tag, &c.remote_tag, &c.local_uri,
                        &c.remote_uri, &c.remote_target, &c.local_contact, &c.peer,
                        &c.local_sdp, &c.remote_sdp};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        *f[i] = member_snap_str(s, *f[i]);
    if (s->err)
        return;
    acd__member_dialog_event(&c, &s->dialogs[s->n_dialogs], s->droutes[s->n_dialogs],
                             ACD_WIRE_ROUTES_MAX);
    s->n_dialogs++;
}

static void member_snap_fini(member_snap_t *s)
{
    free(s->dialogs);
    free(s->pdialogs);
    free(s->droutes);
    free(s->calls);
    free(s->pcalls);
    free(s->agents);
    free(s->pagents);
    free(s->regs);
    free(s->pregs);
    free(s->queues);
    free(s->pqueues);
    for (size_t i = 0; i < s->n_strs; i++)
        free(s->strs[i]);
    free(s->strs);
}

/* A peer asks for our whole state (any request on our REP socket is a snapshot request). */
int acd__member_on_request(void *ud, const char *peer, const Acd__V1__Envelope *req,
                           acd_buf_t *reply)
{
    acd_member_t *m = ud;
    (void)req;
    member_snap_t s = {.m = m};
    const acd_core_t *core = m->ops.core(m->ud);
    acd_core_foreach_call(core, member_snap_call, &s);
    acd_core_foreach_agent(core, member_snap_agent, &s);
    m->ops.foreach_binding(m->ud, member_snap_binding, &s);
    if (m->ops.foreach_dialog)
        m->ops.foreach_dialog(m->ud, member_snap_dialog, &s);
    acd_core_foreach_queue(core, member_snap_queue, &s);
    int rc = s.err;
    if (rc == 0) {
        for (size_t i = 0; i < s.n_calls; i++)
            s.pcalls[i] = &s.calls[i];
        for (size_t i = 0; i < s.n_agents; i++)
            s.pagents[i] = &s.agents[i];
        for (size_t i = 0; i < s.n_regs; i++)
            s.pregs[i] = &s.regs[i];
        for (size_t i = 0; i < s.n_queues; i++)
            s.pqueues[i] = &s.queues[i];
        for (size_t i = 0; i < s.n_dialogs; i++) {
            s.dialogs[i].route_set = s.droutes[i]; /* droutes may have moved since */
            s.pdialogs[i] = &s.dialogs[i];
        }
        Acd__V1__Snapshot snap = ACD__V1__SNAPSHOT__INIT;
        snap.last_seq = m->seq;
        snap.calls = s.pcalls;
        snap.n_calls = s.n_calls;
        snap.agents = s.pagents;
        snap.n_agents = s.n_agents;
        snap.registrations = s.pregs;
        snap.n_registrations = s.n_regs;
        snap.queues = s.pqueues;
        snap.n_queues = s.n_queues;
        snap.dialogs = s.pdialogs;
        snap.n_dialogs = s.n_dialogs;
        Acd__V1__Envelope env;
        acd_wire_envelope_init(&env, m->site, m->incarnation, m->seq ? m->seq : 1,
                               acd__member_now());
        env.body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
        env.snapshot = &snap;
        rc = acd_wire_encode(&env, reply);
    }
    if (rc < 0)
        acd_log_err("ACD-MEMBER-SNAPSHOT-BUILD", "peer=%s err=%s", peer, acd_errname(rc));
    else
        acd_log_info("ACD-MEMBER-SNAPSHOT-SENT", "peer=%s last_seq=%llu calls=%zu agents=%zu"
                     " registrations=%zu dialogs=%zu bytes=%zu", peer, (unsigned long long)m->seq,
                     s.n_calls, s.n_agents, s.n_regs, s.n_dialogs, reply->n);
    member_snap_fini(&s);
    return rc;
}
