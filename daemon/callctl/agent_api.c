/* agent_api.c - what supervisors do to agents through the API: login, logout, pause, unpause. */
#include "callctl/callctl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/log.h"

/*
 * An agent's phone logs it in by registering (callctl.c). A supervisor's logout must
 * outlast that: the phone re-registers every few minutes, and after a restart of the
 * phone or an expiry the registrar reports a fresh binding, which would log the agent
 * straight back in. So a logout through the API puts the agent on hold here: while held,
 * a registration does not log it in; only a login through the API lifts the hold
 * (docs/adr/0024). The hold lives on the site that took the request, in memory.
 *
 * Pausing an agent that rings or talks is refused (409) rather than queued for after
 * the call: the core pauses available and wrap-up agents only, and a pause that lands
 * minutes later, when nobody remembers asking, surprises more than it helps. Logout of
 * an agent on a call is the core's own rule: it takes effect when the call ends (202).
 *
 * In a cluster an agent belongs to the site its phone is registered with (ADR 0011): a
 * request about another site's agent is refused with 409 naming that site.
 */

struct cc_agent_hold {
    char agent[ACD_ID_MAX];
    int64_t since_ms;
};

static struct cc_agent_hold *agent_hold_find(const acd_callctl_t *cc, const char *agent)
{
    for (size_t i = 0; i < cc->n_agent_holds; i++)
        if (strcmp(cc->agent_holds[i].agent, agent) == 0)
            return &cc->agent_holds[i];
    return NULL;
}

bool acd__agent_api_held(const acd_callctl_t *cc, const char *agent)
{
    return agent_hold_find(cc, agent) != NULL;
}

/* Puts agent on hold; returns 1 when it was not yet, 0 when it was, -ENOMEM. */
static int agent_hold_set(acd_callctl_t *cc, const char *agent)
{
    if (agent_hold_find(cc, agent))
        return 0;
    struct cc_agent_hold *v = realloc(cc->agent_holds, (cc->n_agent_holds + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    cc->agent_holds = v;
    struct cc_agent_hold *h = &v[cc->n_agent_holds++];
    snprintf(h->agent, sizeof(h->agent), "%s", agent);
    h->since_ms = acd__cc_now(cc);
    return 1;
}

/* Lifts agent's hold; returns true when there was one. */
static bool agent_hold_clear(acd_callctl_t *cc, const char *agent)
{
    struct cc_agent_hold *h = agent_hold_find(cc, agent);
    if (!h)
        return false;
    *h = cc->agent_holds[--cc->n_agent_holds];
    return true;
}

void acd__agent_api_fini(acd_callctl_t *cc)
{
    free(cc->agent_holds);
    cc->agent_holds = NULL;
    cc->n_agent_holds = 0;
}

/*
 * The site whose registrar holds the phone of sip_user: this site's name, a peer's (from
 * the member's replica of its registrations), or NULL when none. Valid until a reload.
 */
static const char *agent_owner(const acd_callctl_t *cc, const char *sip_user)
{
    if (acd_registrar_lookup(cc->reg, sip_user))
        return cc->cfg->site_name;
    for (size_t i = 0; cc->member && i < cc->cfg->n_peers; i++) {
        acd_member_binding_t b;
        if (acd_member_contact(cc->member, cc->cfg->peers[i].name, sip_user, &b) == 0)
            return cc->cfg->peers[i].name;
    }
    return NULL;
}

/* Fills answer with {"changed": false, "error": <printf(fmt, ...)>}; returns status. */
static int agent_refuse(json_object *answer, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int agent_refuse(json_object *answer, int status, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object_object_add(answer, "changed", json_object_new_boolean(false));
    json_object_object_add(answer, "error", json_object_new_string(msg));
    return status;
}

/* Feeds ev of type for agent (reason for a pause) to the core and carries it out. */
static void agent_feed(acd_callctl_t *cc, acd_event_type_t type, const char *agent,
                       const char *reason)
{
    acd_event_t ev = acd__cc_event(type, NULL, agent);
    if (reason)
        snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
    acd__cc_feed(cc, &ev);
}

static int agent_login(acd_callctl_t *cc, const acd_agent_view_t *v, bool registered,
                       json_object *answer)
{
    bool lifted = agent_hold_clear(cc, v->id);
    if (v->state != ACD_AGENT_LOGGED_OUT) {
        if (lifted) /* on a call with the logout pending: LOGIN withdraws it */
            agent_feed(cc, ACD_EV_AGENT_LOGIN, v->id, NULL);
    } else if (registered) {
        agent_feed(cc, ACD_EV_AGENT_LOGIN, v->id, NULL);
        lifted = true;
    } else if (!lifted) {
        return agent_refuse(answer, 409,
                            "agent %s has no phone registered here (sip user %s): it logs in "
                            "when its phone registers",
                            v->id, v->sip_user);
    } else {
        json_object_object_add(answer, "waiting_for_phone", json_object_new_boolean(true));
    }
    json_object_object_add(answer, "changed", json_object_new_boolean(lifted));
    return 200;
}

static int agent_logout(acd_callctl_t *cc, const acd_agent_view_t *v, json_object *answer)
{
    int held = agent_hold_set(cc, v->id);
    if (held < 0)
        return agent_refuse(answer, 500, "agent %s: out of memory", v->id);
    bool busy = v->state == ACD_AGENT_ON_CALL || (v->state == ACD_AGENT_RINGING && v->call_site[0]);
    if (v->state != ACD_AGENT_LOGGED_OUT)
        agent_feed(cc, ACD_EV_AGENT_LOGOUT, v->id, NULL);
    json_object_object_add(answer, "changed",
                           json_object_new_boolean(held > 0 || v->state != ACD_AGENT_LOGGED_OUT));
    if (!busy)
        return 200;
    json_object_object_add(answer, "pending",
                           json_object_new_string("logged out when its call ends"));
    return 202;
}

static int agent_pause(acd_callctl_t *cc, const acd_agent_view_t *v, const char *reason,
                       json_object *answer)
{
    switch (v->state) {
    case ACD_AGENT_AVAILABLE:
    case ACD_AGENT_WRAPUP:
        agent_feed(cc, ACD_EV_AGENT_PAUSE, v->id, reason);
        json_object_object_add(answer, "changed", json_object_new_boolean(true));
        return 200;
    case ACD_AGENT_PAUSED:
        if (strcmp(v->pause_reason, reason) != 0)
            return agent_refuse(answer, 409, "agent %s is already paused (%s): unpause it first",
                                v->id, v->pause_reason);
        json_object_object_add(answer, "changed", json_object_new_boolean(false));
        return 200;
    case ACD_AGENT_LOGGED_OUT:
        return agent_refuse(answer, 409, "agent %s is logged out", v->id);
    case ACD_AGENT_RINGING:
    case ACD_AGENT_ON_CALL:
    default:
        return agent_refuse(answer, 409, "agent %s is %s: pause it when the call ends", v->id,
                            acd_agent_state_name(v->state));
    }
}

static int agent_unpause(acd_callctl_t *cc, const acd_agent_view_t *v, json_object *answer)
{
    if (v->state == ACD_AGENT_PAUSED) {
        agent_feed(cc, ACD_EV_AGENT_UNPAUSE, v->id, NULL);
        json_object_object_add(answer, "changed", json_object_new_boolean(true));
        return 200;
    }
    if (v->state == ACD_AGENT_AVAILABLE) {
        json_object_object_add(answer, "changed", json_object_new_boolean(false));
        return 200;
    }
    return agent_refuse(answer, 409, "agent %s is not paused (%s)", v->id,
                        acd_agent_state_name(v->state));
}

int acd__agent_api(void *ud, const char *agent, acd_admin_agent_verb_t verb, const char *reason,
                   json_object *answer)
{
    acd_callctl_t *cc = ud;
    acd_agent_view_t v;
    if (acd_core_agent(cc->core, agent, &v) != 0)
        return agent_refuse(answer, 404, "no such agent: %s", agent);
    const char *owner = agent_owner(cc, v.sip_user);
    if (owner && strcmp(owner, cc->cfg->site_name) != 0) {
        json_object_object_add(answer, "owner", json_object_new_string(owner));
        return agent_refuse(answer, 409,
                            "agent %s belongs to site %s (its phone registers there): ask that "
                            "site",
                            agent, owner);
    }
    const char *verb_name = acd_admin_agent_verb_name(verb);
    acd_agent_state_t before = v.state;
    int status;
    switch (verb) {
    case ACD_ADMIN_AGENT_LOGIN:
        status = agent_login(cc, &v, owner != NULL, answer);
        break;
    case ACD_ADMIN_AGENT_LOGOUT:
        status = agent_logout(cc, &v, answer);
        break;
    case ACD_ADMIN_AGENT_PAUSE:
        status = agent_pause(cc, &v, reason ? reason : "", answer);
        break;
    case ACD_ADMIN_AGENT_UNPAUSE:
    default:
        status = agent_unpause(cc, &v, answer);
        break;
    }
    if (acd_core_agent(cc->core, agent, &v) != 0)
        v.state = before; /* removed meanwhile: nothing to report */
    acd_log_notice("ACD-AGENT-API", "agent=%s verb=%s%s%s status=%d state=%s->%s held=%d", agent,
                   verb_name, reason ? " reason=" : "", reason ? reason : "", status,
                   acd_agent_state_name(before), acd_agent_state_name(v.state),
                   acd__agent_api_held(cc, agent));
    return status;
}

void acd__agent_api_status(acd_callctl_t *cc, json_object *doc)
{
    json_object *agents = NULL;
    if (!json_object_object_get_ex(doc, "agents", &agents) ||
        !json_object_is_type(agents, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(agents); i++) {
        json_object *o = json_object_array_get_idx(agents, i), *user = NULL, *id = NULL;
        if (!json_object_object_get_ex(o, "sip_user", &user) ||
            !json_object_object_get_ex(o, "id", &id))
            continue;
        const char *owner = agent_owner(cc, json_object_get_string(user));
        json_object_object_add(o, "site", owner ? json_object_new_string(owner) : NULL);
        json_object_object_add(
            o, "held_out",
            json_object_new_boolean(acd__agent_api_held(cc, json_object_get_string(id))));
    }
}
