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

    acd_list_t conns; /* admin_conn_t, until their close callback */
    size_t n_conns;

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

/*
 * A subtree of paths served by one file of the endpoint: a request whose normalized path
 * is prefix, or starts with prefix and "/", goes to handle with rest, the path after the
 * prefix ("" or "/..."). handle sends the whole response (any method: it answers 405
 * itself). The table is in admin.c; each entry's handler lives in its own file.
 */
typedef struct acd__admin_mount {
    const char *prefix;
    void (*handle)(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
} acd__admin_mount_t;

/* api/metrics.c: GET /metrics (Prometheus text format). */
void acd__admin_metrics(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
/* api/wallboard.c: the wallboard page, its assets and its live stream. */
void acd__admin_wallboard(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
/* api/routes.c: /v1/agents, /v1/queues, /v1/calls, /v1/cluster, /v1/reload. */
void acd__admin_agents(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
void acd__admin_queues(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
void acd__admin_calls(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
void acd__admin_cluster(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);
void acd__admin_reload(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len);

#endif
