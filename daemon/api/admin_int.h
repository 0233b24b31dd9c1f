/* admin_int.h - what the admin endpoint's files share: its state, replies, mounted routes. */
#ifndef ACD_API_ADMIN_INT_H
#define ACD_API_ADMIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>
#include <json-c/json.h>

#include "api/admin.h"
#include "util/list.h"

/* The one h2o handler, mounted at "/"; it routes by path itself. */
typedef struct admin_handler {
    h2o_handler_t super;
    acd_admin_t *admin;
} admin_handler_t;

/*
 * One accepted connection. h2o owns the protocol state and closes the handle when it is
 * done with it; we only keep the handle's memory and a link so that close can find it.
 */
typedef struct admin_conn {
    acd_list_t link; /* in acd_admin.conns */
    acd_admin_t *admin;
    uv_tcp_t tcp;
} admin_conn_t;

struct acd_admin {
    uv_loop_t *loop;
    acd_admin_ops_t ops;
    void *ud;
    acd_admin_control_t control; /* the process's verbs; has_control false: none */
    void *control_ud;
    bool has_control;
    uint16_t port;

    uv_tcp_t listener;
    uv_timer_t fin[2]; /* never started: closed one after the other to order the teardown */
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;

    char token[ACD_ADMIN_TOKEN_MAX + 1]; /* the bearer token; token_len 0: none */
    size_t token_len;

    acd_list_t conns; /* admin_conn_t, until their close callback */
    size_t n_conns;

    struct acd__wb *wb; /* api/wallboard_sse.c: the live streams; NULL before the first */

    bool closing, listener_closed, finishing;
    void (*close_cb)(void *ud);
    void *close_ud;
};

/* Wall-clock milliseconds since the Unix epoch. */
int64_t acd__admin_now_ms(void);

/*
 * Sends doc as the whole response with the given status. The text is copied into the
 * request's pool, so the caller still owns doc (and puts it) afterwards; a NULL doc (a
 * failed allocation) becomes a 500.
 */
void acd__admin_send_json(h2o_req_t *req, int status, const char *reason, json_object *doc);

/* Sends {"error": message} with status. */
void acd__admin_send_error(h2o_req_t *req, int status, const char *reason, const char *message);

/*
 * True when req may change the site: a loopback peer and no Origin header (browsers add
 * it to cross-site requests). Otherwise sends a 403 and answers false.
 */
bool acd__admin_may_change(h2o_req_t *req);

/* The HTTP reason phrase of status ("OK", "Not Found" ...; "Error" for one not used here). */
const char *acd__admin_reason(int status);

/* Sends doc with status and its reason phrase (acd__admin_send_json; the caller puts doc). */
void acd__admin_answer(h2o_req_t *req, int status, json_object *doc);

/*
 * The whole status document as GET /v1/status answers it (the site's and the process's
 * additions included): a new object the caller puts, or NULL when out of memory.
 */
json_object *acd__admin_status_doc(acd_admin_t *a);

/* Request bodies longer than this get a 413 (h2o itself refuses far longer ones). */
#define ACD__ADMIN_BODY_MAX 16384

/* The path parameters of a matched route: each "{...}" segment's text, in order. */
#define ACD__ADMIN_PARAMS_MAX 2
typedef struct acd__admin_params {
    char v[ACD__ADMIN_PARAMS_MAX][ACD_ID_MAX];
    size_t n;
} acd__admin_params_t;

/* What a route needs to exist; without it its path is 404 like any unknown one. */
typedef enum acd__admin_needs {
    ACD__ADMIN_NEEDS_NOTHING = 0,
    ACD__ADMIN_NEEDS_CONTROL, /* the process's control is attached */
    ACD__ADMIN_NEEDS_RELOAD,  /* ... and has a reload verb */
    ACD__ADMIN_NEEDS_TENANTS, /* ops.tenants */
    ACD__ADMIN_NEEDS_AGENT,   /* ops.agent */
} acd__admin_needs_t;

/*
 * One route: a path template and the one method its handler answers. A template segment
 * written "{name}" matches any one non-empty segment of at most ACD_ID_MAX - 1 bytes,
 * handed to the handler in params. Several entries may share a path (one per method).
 */
typedef struct acd__admin_route {
    const char *path;
    const char *method;
    void (*handle)(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *params);
    acd__admin_needs_t needs;
} acd__admin_route_t;

/*
 * Serves req from routes[0..n): the first entry whose path matches and whose method is
 * req's gets it; a path that matches with no entry for the method gets a 405 with Allow
 * listing the path's methods. Returns true when a path matched (a response was sent),
 * false when none did (nothing sent).
 */
bool acd__admin_dispatch(acd_admin_t *a, h2o_req_t *req, const acd__admin_route_t *routes,
                         size_t n);

/* True when route r exists on a now: what it needs (r->needs) is attached. */
bool acd__admin_route_present(const acd_admin_t *a, const acd__admin_route_t *r);

/*
 * Appends to arr (a JSON array) one {"path", "methods": [...], "auth": bool} per distinct
 * path of routes[0..n) present on a, in table order (GET /v1/routes).
 */
void acd__admin_list_routes(acd_admin_t *a, json_object *arr, const acd__admin_route_t *routes,
                            size_t n);

/* True when path is "/v1" or under it: the paths the token guards. */
bool acd__admin_is_v1(const char *path);

/*
 * With a token set (acd_admin_set_token), every path under /v1 needs `Authorization:
 * Bearer <token>`; the probes (/healthz), the scrapers (/metrics) and the wall screens
 * (/wallboard) do not (docs/adr/0022). Answers true when req may go on; otherwise sends
 * the 401 (WWW-Authenticate: Bearer, a JSON error) and answers false.
 */
bool acd__admin_authorized(acd_admin_t *a, h2o_req_t *req);

/*
 * A subtree of paths served by one file of the endpoint: a request whose normalized path
 * is prefix, or starts with prefix and "/", goes to handle with rest, the path after the
 * prefix ("" or "/..."). handle sends the whole response (any method: it answers 405
 * itself). The table is in admin.c; each entry's handler lives in its own file. GET
 * /v1/routes lists a mount as its prefix alone ("subtree": true). A mount under /v1
 * needs the token like every /v1 path (admin.c); one elsewhere is open.
 */
typedef struct acd__admin_mount {
    const char *prefix;
    void (*handle)(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
} acd__admin_mount_t;

/* api/metrics.c: GET /metrics (Prometheus text format). */
void acd__admin_metrics(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
/* api/wallboard.c: the wallboard page, its assets and its live stream. */
void acd__admin_wallboard(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
/*
 * api/wallboard_sse.c: ends every wallboard stream (a final chunk, no keep-alive) and
 * stops its timer. acd_admin_close() calls it first: h2o does not read a connection
 * whose response is streaming, so the socket shutdown alone would go unnoticed there.
 */
void acd__admin_wallboard_close(acd_admin_t *a);
/* api/drill.c: GET, PUT, DELETE /v1/drill (ops.drill; 404 without it). */
void acd__admin_drill(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
/*
 * api/sites.c: the sites of doc, a status document (acd__admin_status_doc), as GET
 * /v1/cluster and the wallboard both list them (docs/api.md): this site first ("self",
 * live while it holds its etcd lease, always when alone), then every peer of doc's
 * "cluster" object (live while its key is in etcd), each with "leader" and "anycast".
 * *leader (may be NULL) gets the leader's name, borrowed from doc (NULL: none known, or
 * alone). Returns a new array the caller puts; NULL when memory ran out.
 */
json_object *acd__admin_sites(json_object *doc, const char **leader);
/* api/routes.c: /v1/agents..., /v1/queues..., /v1/calls..., /v1/cluster, /v1/reload. */
extern const acd__admin_route_t acd__admin_entity_routes[];
extern const size_t acd__admin_n_entity_routes;

#endif
