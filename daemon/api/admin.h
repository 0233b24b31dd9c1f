/* admin.h - the admin HTTP endpoint on loopback (libh2o on the libuv loop). */
#ifndef ACD_API_ADMIN_H
#define ACD_API_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "acd/core.h"

struct json_object;

typedef struct acd_admin acd_admin_t;

/* Site facts the endpoint reports beside the core's entities. */
typedef struct acd_admin_site_info {
    const char *site;
    const char *version;
    int64_t started_ms;
    int draining;              /* 1 while draining */
    uint64_t sip_rx, sip_tx;   /* transport counters */
    uint64_t calls_in_progress;
    uint64_t registrations;    /* agent contacts currently bound */
} acd_admin_site_info_t;

/* What a supervisor does to an agent through the API. */
typedef enum acd_admin_agent_verb {
    ACD_ADMIN_AGENT_LOGIN,
    ACD_ADMIN_AGENT_LOGOUT,
    ACD_ADMIN_AGENT_PAUSE,
    ACD_ADMIN_AGENT_UNPAUSE,
} acd_admin_agent_verb_t;

/* The verb's path segment: "login", "logout", "pause", "unpause". */
const char *acd_admin_agent_verb_name(acd_admin_agent_verb_t verb);

/* What the endpoint reads. Called on the loop thread, during a request. */
typedef struct acd_admin_ops {
    const acd_core_t *(*core)(void *ud);
    void (*site_info)(void *ud, acd_admin_site_info_t *out);
    /* Optional: adds more to the status document (the "cluster" object of a member). */
    void (*status_extra)(void *ud, struct json_object *doc);
    /*
     * Optional: every request under /v1/tenants (docs/api.md): method ("GET", "PUT",
     * "POST", "DELETE"), rest (the path after "/v1/tenants": "" or "/<tenant>/<what>"),
     * the request body (len bytes, may be 0). Fills answer (an empty object) and returns
     * the HTTP status; a 4xx answer carries "error". Changing requests reach it only
     * from loopback peers without an Origin header (see the drain routes).
     */
    int (*tenants)(void *ud, const char *method, const char *rest, const char *body, size_t len,
                   struct json_object *answer);
    /*
     * Optional: POST /v1/agents/<id>/<verb> (docs/api.md). agent is any text of at most
     * ACD_ID_MAX - 1 bytes (not checked against the config: answer 404 when unknown);
     * reason is the validated pause reason (ACD_ADMIN_AGENT_PAUSE) or NULL. Does it (or
     * refuses, changing nothing) and fills answer (an empty object) with "changed" (bool)
     * and, on a refusal, "error" (and "owner": the site owning another site's agent).
     * Returns the HTTP status: 200 done, 202 accepted (a logout that waits for the
     * agent's call to end), 404 no such agent, 409 not in this state or another site's
     * agent. The endpoint adds the agent's document to a 2xx answer.
     */
    int (*agent)(void *ud, const char *agent, acd_admin_agent_verb_t verb, const char *reason,
                 struct json_object *answer);
    /* Optional: the site's KPI counter set (report/kpi.h), read by /metrics and the
     * wallboard; NULL (or no op) when none. */
    const struct acd_kpi *(*kpi)(void *ud);
    /*
     * Optional: the drill under way (docs/wallboard.md), GET, PUT or DELETE /v1/drill:
     * method, the request body (len bytes, may be 0). Fills answer (an empty object) with
     * "drill" (null or {name, started_ms, by}) or "error"; returns the HTTP status (200,
     * 202 stored in etcd and being applied, 400, 405, 503). The wallboard calls it with
     * "GET". Changing requests reach it only from loopback peers without an Origin header.
     */
    int (*drill)(void *ud, const char *method, const char *body, size_t len,
                 struct json_object *answer);
    /* Optional: calls cb with every agent other sites own, as this site's replicas hold
     * them (site: the owner), for the wallboard's agent grid. */
    void (*peer_agents)(void *ud,
                        void (*cb)(void *cbud, const char *site, const acd_agent_view_t *v),
                        void *cbud);
} acd_admin_ops_t;

/*
 * The process's control verbs (acdctl drain / undrain) and its additions to the status
 * document (the anycast object). Call control owns the endpoint; the process, which
 * owns drain for maintenance and the anycast address, attaches these. Called on the
 * loop thread, during a request.
 */
typedef struct acd_admin_control {
    /*
     * POST /v1/drain (on) or POST /v1/undrain (!on): does it and fills answer (an empty
     * object) with what the client should see. Returns the HTTP status: 200, or 409 when
     * the site cannot do it now (it is shutting down); a 409's answer has "error".
     */
    int (*drain)(void *ud, bool on, struct json_object *answer);
    /* Optional: adds more to the status document (the "anycast" object). */
    void (*status)(void *ud, struct json_object *doc);
    /*
     * Optional: POST /v1/reload, the configuration reload SIGHUP does. Fills answer (an
     * empty object) with what changed, or with "error" (the config's errors as text,
     * "file:line: message" lines) and "errors" (an array of them). Returns 200 reloaded,
     * 400 the file is invalid, 409 the site refused it (or cannot reload now); on 4xx
     * nothing changed. Without it POST /v1/reload is 404.
     */
    int (*reload)(void *ud, struct json_object *answer);
} acd_admin_control_t;

/*
 * Listens on addr:port (loopback is expected; port 0 picks a free port, see
 * acd_admin_port()) and serves the routes of docs/api.md (all of them in
 * docs/openapi.yaml; GET /v1/routes lists those served now), among them:
 *   GET /v1/status   {site, queues[], agents[], calls[]}
 *   GET /healthz     {"status":"ok"|"draining"}
 *   GET /v1/agents, /v1/queues, /v1/calls, /v1/cluster (and one entity of each)
 *   POST /v1/agents/<id>/<verb>  with ops.agent
 *   POST /v1/drain, /v1/undrain, /v1/reload  once a control is attached
 * Anything else gets a 404/405 with a JSON error body; with a token set
 * (acd_admin_set_token) every /v1 path wants it first. *ap belongs to the caller.
 * Returns 0, -EADDRINUSE, -EINVAL, -ENOMEM.
 */
int acd_admin_alloc(acd_admin_t **ap, uv_loop_t *loop, const char *addr, uint16_t port,
                    const acd_admin_ops_t *ops, void *ud);

/*
 * Attaches the process's control (ctl is copied; NULL detaches): from now on the drain
 * routes answer and status documents carry its additions. Without one, the drain paths
 * are 404 like any unknown path.
 */
void acd_admin_set_control(acd_admin_t *a, const acd_admin_control_t *ctl, void *ud);

/*
 * Sets the bearer token every /v1 request must carry (`Authorization: Bearer <token>`,
 * compared in constant time); NULL or "" removes it (then the loopback rule alone
 * guards changes, as before). /healthz, /metrics and /wallboard stay open either way
 * (docs/adr/0022). The token is copied. Returns 0, or -EINVAL when it is longer than
 * ACD_ADMIN_TOKEN_MAX (nothing changed).
 */
#define ACD_ADMIN_TOKEN_MAX 256
int acd_admin_set_token(acd_admin_t *a, const char *token);

/* The TCP port actually bound (useful when acd_admin_alloc() was given port 0). */
uint16_t acd_admin_port(const acd_admin_t *a);

/* The JSON document of GET /v1/status (caller puts it). */
struct json_object *acd_admin_status_json(const acd_core_t *core, const acd_admin_site_info_t *info,
                                          int64_t now_ms);

/*
 * Closes the listener and connections; frees when libuv is done, then cb (may be NULL).
 * Later calls do nothing (their cb is never called).
 */
void acd_admin_close(acd_admin_t *a, void (*cb)(void *ud), void *ud);

#endif
