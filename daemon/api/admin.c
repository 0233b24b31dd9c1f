/* admin.c - the admin HTTP endpoint: a libuv listener feeding libh2o, its routes, its teardown. */
#include "api/admin.h"
#include "api/admin_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <h2o.h>
#include <json-c/json.h>

#include "util/err.h"
#include "util/list.h"
#include "util/log.h"

/*
 * admin_h2o_context_fini() below repeats what h2o_context_dispose() does in libh2o 0.13
 * (h2o 2.2) and reads fields of h2o_context_t that other versions lay out differently.
 * Refuse to build against anything else rather than tear down the wrong thing.
 */
#if H2O_LIBRARY_VERSION_MAJOR != 0 || H2O_LIBRARY_VERSION_MINOR != 13
#error "daemon/api/admin.c knows the teardown of libh2o 0.13 (h2o 2.2.x) only"
#endif

#define ADMIN_BACKLOG 64
/* h2o refuses (413, its own text) bodies beyond this before handing us the request. */
#define ADMIN_H2O_BODY_MAX (1024 * 1024)

static void admin_get_status(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);
static void admin_get_healthz(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);
static void admin_get_routes(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);
static void admin_post_drain(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);
static void admin_post_undrain(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);
static void admin_tenants(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p);

/* Subtrees served by other files; /v1/routes lists each as its prefix. */
static const acd__admin_mount_t admin_mounts[] = {
    {.prefix = "/metrics", .handle = acd__admin_metrics},
    {.prefix = "/wallboard", .handle = acd__admin_wallboard},
    {.prefix = "/v1/drill", .handle = acd__admin_drill},
};

/*
 * The endpoint's own routes. The tenants' paths are all handed to ops.tenants
 * (callctl/tstate.c), which reads the path itself; they are listed here one per method
 * so that the router answers 405 with Allow, and /v1/routes lists them.
 */
#define ADMIN_TENANTS(p_, m_)                                                                      \
    {                                                                                              \
        .path = p_, .method = m_, .handle = admin_tenants, .needs = ACD__ADMIN_NEEDS_TENANTS       \
    }
static const acd__admin_route_t admin_routes[] = {
    {.path = "/v1/status", .method = "GET", .handle = admin_get_status},
    {.path = "/healthz", .method = "GET", .handle = admin_get_healthz},
    {.path = "/v1/routes", .method = "GET", .handle = admin_get_routes},
    {.path = "/v1/drain",
     .method = "POST",
     .handle = admin_post_drain,
     .needs = ACD__ADMIN_NEEDS_CONTROL},
    {.path = "/v1/undrain",
     .method = "POST",
     .handle = admin_post_undrain,
     .needs = ACD__ADMIN_NEEDS_CONTROL},
    ADMIN_TENANTS("/v1/tenants", "GET"),
    ADMIN_TENANTS("/v1/tenants/{tenant}", "GET"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/override", "PUT"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/override", "DELETE"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/instructions", "PUT"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/instructions", "DELETE"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/voicemail", "GET"),
    ADMIN_TENANTS("/v1/tenants/{tenant}/outbound", "POST"),
};
#undef ADMIN_TENANTS

#define ADMIN_COUNT(v) (sizeof(v) / sizeof((v)[0]))

/* ---- responses ---- */

int64_t acd__admin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void acd__admin_send_json(h2o_req_t *req, int status, const char *reason, json_object *doc)
{
    static const char fallback[] = "{\"error\":\"out of memory\"}";
    size_t len = 0;
    const char *text = doc ? json_object_to_json_string_length(
                                 doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)
                           : NULL;
    if (!text) {
        status = 500;
        reason = "Internal Server Error";
        text = fallback;
        len = sizeof(fallback) - 1;
    }
    req->res.status = status;
    req->res.reason = reason;
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_send_inline(req, text, len);
}

void acd__admin_send_error(h2o_req_t *req, int status, const char *reason, const char *message)
{
    json_object *doc = json_object_new_object();
    if (doc && json_object_object_add(doc, "error", json_object_new_string(message)) != 0) {
        json_object_put(doc);
        doc = NULL;
    }
    acd__admin_send_json(req, status, reason, doc);
    json_object_put(doc);
}

const char *acd__admin_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

void acd__admin_answer(h2o_req_t *req, int status, json_object *doc)
{
    acd__admin_send_json(req, status, acd__admin_reason(status), doc);
}

json_object *acd__admin_status_doc(acd_admin_t *a)
{
    acd_admin_site_info_t info;
    memset(&info, 0, sizeof(info));
    a->ops.site_info(a->ud, &info);
    json_object *doc = acd_admin_status_json(a->ops.core(a->ud), &info, acd__admin_now_ms());
    if (!doc)
        return NULL;
    if (a->ops.status_extra)
        a->ops.status_extra(a->ud, doc);
    if (a->has_control && a->control.status)
        a->control.status(a->control_ud, doc);
    return doc;
}

static void admin_get_status(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    json_object *doc = acd__admin_status_doc(a);
    acd__admin_answer(req, 200, doc); /* a NULL doc becomes a 500 */
    json_object_put(doc);
}

/* 200 {"status":"ok"} while serving, 503 {"status":"draining"} while draining. */
static void admin_get_healthz(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    acd_admin_site_info_t info;
    memset(&info, 0, sizeof(info));
    a->ops.site_info(a->ud, &info);
    json_object *doc = json_object_new_object();
    if (doc && json_object_object_add(doc, "status",
                                      json_object_new_string(info.draining ? "draining" : "ok"))) {
        json_object_put(doc);
        doc = NULL;
    }
    acd__admin_answer(req, info.draining ? 503 : 200, doc);
    json_object_put(doc);
}

/*
 * GET /v1/routes: every route this endpoint serves now, for clients and for the test
 * that holds docs/openapi.yaml to the code. Mounted subtrees are listed by prefix.
 */
static void admin_get_routes(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    json_object *doc = json_object_new_object(), *arr = json_object_new_array();
    acd__admin_list_routes(a, arr, admin_routes, ADMIN_COUNT(admin_routes));
    acd__admin_list_routes(a, arr, acd__admin_entity_routes, acd__admin_n_entity_routes);
    for (size_t i = 0; i < ADMIN_COUNT(admin_mounts); i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(admin_mounts[i].prefix));
        json_object_object_add(o, "subtree", json_object_new_boolean(true));
        json_object_object_add(o, "auth",
                               json_object_new_boolean(acd__admin_is_v1(admin_mounts[i].prefix)));
        json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "routes", arr);
    acd__admin_answer(req, 200, doc);
    json_object_put(doc);
}

/* True when the request's peer is a loopback address (127/8, ::1, ::ffff:127/104). */
static bool admin_peer_is_loopback(h2o_req_t *req)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (!req->conn->callbacks->get_peername ||
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) == 0)
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
    }
    return false;
}

/*
 * POST /v1/drain and /v1/undrain change what the site does, so beyond the endpoint's own
 * rule (keep it on loopback) they refuse a peer that is not on loopback, and a request
 * carrying Origin: browsers add it to cross-site requests, and a page the operator has
 * open must not be able to drain the site. Answers the control's status and document.
 */
static void admin_post_control(acd_admin_t *a, h2o_req_t *req, bool on)
{
    if (!acd__admin_may_change(req))
        return;
    json_object *doc = json_object_new_object();
    int status = doc ? a->control.drain(a->control_ud, on, doc) : 500;
    acd__admin_answer(req, status, doc);
    json_object_put(doc);
}

static void admin_post_drain(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    admin_post_control(a, req, true);
}

static void admin_post_undrain(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    admin_post_control(a, req, false);
}

bool acd__admin_may_change(h2o_req_t *req)
{
    if (!admin_peer_is_loopback(req)) {
        acd__admin_send_error(req, 403, "Forbidden",
                              "changes are taken from loopback clients only");
        return false;
    }
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1) != -1) {
        acd__admin_send_error(req, 403, "Forbidden", "cross-origin requests are refused");
        return false;
    }
    return true;
}

/* /v1/tenants...: handed to ops.tenants whole (path after the prefix, method, body). */
static void admin_tenants(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    static const char tenants[] = "/v1/tenants";
    size_t prefix_len = sizeof(tenants) - 1;
    char method[8], rest[160];
    (void)p;
    if (req->method.len >= sizeof(method) ||
        req->path_normalized.len - prefix_len >= sizeof(rest)) {
        acd__admin_send_error(req, 400, "Bad Request", "request line too long");
        return;
    }
    memcpy(method, req->method.base, req->method.len);
    method[req->method.len] = '\0';
    memcpy(rest, req->path_normalized.base + prefix_len, req->path_normalized.len - prefix_len);
    rest[req->path_normalized.len - prefix_len] = '\0';
    if (strcmp(method, "GET") != 0 && !acd__admin_may_change(req))
        return;
    json_object *doc = json_object_new_object();
    int status =
        doc ? a->ops.tenants(a->ud, method, rest, req->entity.base, req->entity.len, doc) : 500;
    acd__admin_answer(req, status, doc);
    json_object_put(doc);
}

/* True when prefix is path or path's leading segments. */
static bool admin_under(const h2o_iovec_t *path, const char *prefix)
{
    size_t pl = strlen(prefix);
    return path->len >= pl && memcmp(path->base, prefix, pl) == 0 &&
           (path->len == pl || path->base[pl] == '/');
}

/* The handler h2o calls for every request on every path: authenticate, route, answer. */
static int admin_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    acd_admin_t *a = ((admin_handler_t *)self)->admin;
    bool served = !acd__admin_authorized(a, req);
    if (!served && req->entity.len > ACD__ADMIN_BODY_MAX) {
        acd__admin_send_error(req, 413, "Payload Too Large", "the request body is too large");
        served = true;
    }
    if (!served)
        served = acd__admin_dispatch(a, req, admin_routes, ADMIN_COUNT(admin_routes)) ||
                 acd__admin_dispatch(a, req, acd__admin_entity_routes, acd__admin_n_entity_routes);
    for (size_t i = 0; !served && i < ADMIN_COUNT(admin_mounts); i++) {
        size_t pl = strlen(admin_mounts[i].prefix);
        if (admin_under(&req->path_normalized, admin_mounts[i].prefix)) {
            admin_mounts[i].handle(a, req, req->path_normalized.base + pl,
                                   req->path_normalized.len - pl);
            served = true;
        }
    }
    if (!served)
        acd__admin_send_error(req, 404, "Not Found", "not found");
    acd_log_debug("ACD-API-ADMIN-REQUEST", "method=%.*s path=%.*s status=%d", (int)req->method.len,
                  req->method.base, (int)req->path.len, req->path.base, req->res.status);
    return 0;
}

/* ---- connections ---- */

static void admin_maybe_finish(acd_admin_t *a);

/* h2o (or a failed accept) closed the connection's handle: forget it. */
static void admin_on_conn_closed(uv_handle_t *h)
{
    admin_conn_t *c = acd_container_of(h, admin_conn_t, tcp);
    acd_admin_t *a = c->admin;
    acd_list_remove(&c->link);
    a->n_conns--;
    free(c);
    if (a->closing)
        admin_maybe_finish(a);
}

static void admin_on_connection(uv_stream_t *server, int status)
{
    acd_admin_t *a = acd_container_of((uv_tcp_t *)server, acd_admin_t, listener);
    if (status < 0) {
        acd_log_warn("ACD-API-ADMIN-ACCEPT-FAILED", "err=%s", uv_err_name(status));
        return;
    }
    admin_conn_t *c = calloc(1, sizeof(*c));
    if (!c) {
        /* Without a handle we cannot accept; libuv retries when the next one arrives. */
        acd_log_err("ACD-API-ADMIN-ACCEPT-FAILED", "err=ENOMEM");
        return;
    }
    int rc = uv_tcp_init(a->loop, &c->tcp);
    if (rc) {
        free(c);
        acd_log_err("ACD-API-ADMIN-ACCEPT-FAILED", "err=%s", uv_err_name(rc));
        return;
    }
    c->admin = a;
    acd_list_push_back(&a->conns, &c->link);
    a->n_conns++;
    rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc) {
        acd_log_warn("ACD-API-ADMIN-ACCEPT-FAILED", "err=%s", uv_err_name(rc));
        uv_close((uv_handle_t *)&c->tcp, admin_on_conn_closed);
        return;
    }
    /* From here h2o owns the connection and closes the handle with admin_on_conn_closed. */
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, admin_on_conn_closed);
    h2o_accept(&a->accept_ctx, sock);
}

/* ---- setup ---- */

static int admin_parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                            bool *loopback)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(addr, port, sin) == 0) {
        *loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
        return 0;
    }
    if (uv_ip6_addr(addr, port, sin6) == 0) {
        *loopback = memcmp(&sin6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
        return 0;
    }
    return -EINVAL;
}

static int admin_read_port(acd_admin_t *a)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rc = uv_tcp_getsockname(&a->listener, (struct sockaddr *)&ss, &len);
    if (rc)
        return rc;
    if (ss.ss_family == AF_INET)
        a->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        a->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* h2o allocates with abort-on-failure helpers, so this cannot fail. */
static void admin_h2o_init(acd_admin_t *a)
{
    h2o_config_init(&a->config);
    a->config.server_name = h2o_iovec_init(H2O_STRLIT("acdd"));
    a->config.http1.upgrade_to_http2 = 0;
    a->config.max_request_entity_size = ADMIN_H2O_BODY_MAX;
    h2o_hostconf_t *host =
        h2o_config_register_host(&a->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    admin_handler_t *h = (admin_handler_t *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = admin_on_req;
    h->admin = a;

    h2o_context_init(&a->ctx, a->loop, &a->config);
    a->accept_ctx.ctx = &a->ctx;
    a->accept_ctx.hosts = a->config.hosts;
}

/* The listener failed during alloc: nothing else exists yet. */
static void admin_on_failed_listener_closed(uv_handle_t *h)
{
    free(acd_container_of((uv_tcp_t *)h, acd_admin_t, listener));
}

int acd_admin_alloc(acd_admin_t **ap, uv_loop_t *loop, const char *addr, uint16_t port,
                    const acd_admin_ops_t *ops, void *ud)
{
    struct sockaddr_storage ss;
    bool loopback = false;
    acd_admin_t *a = NULL;
    int rc;

    if (!ap || !loop || !addr || !ops || !ops->core || !ops->site_info) {
        rc = -EINVAL;
        goto out;
    }
    rc = admin_parse_addr(addr, port, &ss, &loopback);
    if (rc)
        goto out;
    a = calloc(1, sizeof(*a));
    if (!a) {
        rc = -ENOMEM;
        goto out;
    }
    a->loop = loop;
    a->ops = *ops;
    a->ud = ud;
    acd_list_init(&a->conns);

    rc = uv_tcp_init(loop, &a->listener);
    if (rc) {
        free(a);
        goto out;
    }
    /* libuv reports EADDRINUSE from bind or from listen, depending on the platform. */
    rc = uv_tcp_bind(&a->listener, (const struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&a->listener, ADMIN_BACKLOG, admin_on_connection);
    if (!rc)
        rc = admin_read_port(a);
    if (rc) {
        acd_log_err("ACD-API-ADMIN-LISTEN-FAILED", "addr=%s port=%u err=%s", addr, port,
                    uv_err_name(rc));
        uv_close((uv_handle_t *)&a->listener, admin_on_failed_listener_closed);
        goto out;
    }
    uv_timer_init(loop, &a->fin[0]);
    uv_timer_init(loop, &a->fin[1]);
    admin_h2o_init(a);

    if (!loopback)
        acd_log_warn("ACD-API-ADMIN-NOT-LOOPBACK",
                     "addr=%s changes are taken from loopback peers only, and without "
                     "admin.token_file anyone who reaches it reads it: bind it to loopback",
                     addr);
    acd_log_info("ACD-API-ADMIN-LISTEN", "addr=%s port=%u", addr, a->port);
    *ap = a;
out:
    return rc;
}

void acd_admin_set_control(acd_admin_t *a, const acd_admin_control_t *ctl, void *ud)
{
    if (!a)
        return;
    a->has_control = ctl && ctl->drain;
    if (a->has_control)
        a->control = *ctl;
    a->control_ud = ud;
}

const char *acd_admin_agent_verb_name(acd_admin_agent_verb_t verb)
{
    switch (verb) {
    case ACD_ADMIN_AGENT_LOGIN:
        return "login";
    case ACD_ADMIN_AGENT_LOGOUT:
        return "logout";
    case ACD_ADMIN_AGENT_PAUSE:
        return "pause";
    case ACD_ADMIN_AGENT_UNPAUSE:
        return "unpause";
    }
    return "?";
}

uint16_t acd_admin_port(const acd_admin_t *a)
{
    return a->port;
}

/* ---- teardown ---- */

/*
 * h2o_context_dispose() of h2o 2.2 ends with uv_run(loop, UV_RUN_NOWAIT) "to free the
 * handles" it closed. Calling uv_run from inside a loop callback re-enters libuv (and
 * every other module's callbacks) mid-iteration, so we do the same teardown, step by
 * step with h2o's public functions, and leave the closing of its timer handles to the
 * running loop. The timers are closed without a callback: acd_admin_t, which embeds them,
 * is freed two close passes later (see admin_on_fin0/1).
 */
static void admin_h2o_context_fini(h2o_context_t *ctx)
{
    h2o_globalconf_t *config = ctx->globalconf;

    for (size_t i = 0; config->hosts[i] != NULL; i++) {
        h2o_hostconf_t *host = config->hosts[i];
        for (size_t j = 0; j < host->paths.size; j++)
            h2o_context_dispose_pathconf_context(ctx, &host->paths.entries[j]);
        h2o_context_dispose_pathconf_context(ctx, &host->fallback_path);
    }
    free(ctx->_pathconfs_inited.entries);
    free(ctx->_module_configs);

    h2o_timeout_t *timeouts[] = {
        &ctx->zero_timeout,
        &ctx->one_sec_timeout,
        &ctx->hundred_ms_timeout,
        &ctx->handshake_timeout,
        &ctx->http1.req_timeout,
        &ctx->http2.idle_timeout,
        &ctx->http2.graceful_shutdown_timeout,
        &ctx->proxy.io_timeout,
    };
    for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++)
        h2o_timeout_dispose(ctx->loop, timeouts[i]);

    h2o_filecache_destroy(ctx->filecache);
    ctx->filecache = NULL;
    for (size_t i = 0; i < ctx->storage.size; i++) {
        if (ctx->storage.entries[i].dispose)
            ctx->storage.entries[i].dispose(ctx->storage.entries[i].data);
    }
    free(ctx->storage.entries);

    /* The queue frees itself when libuv has closed its async handle. */
    h2o_multithread_unregister_receiver(ctx->queue, &ctx->receivers.hostinfo_getaddr);
    h2o_multithread_destroy_queue(ctx->queue);
    if (ctx->_timestamp_cache.value)
        h2o_mem_release_shared(ctx->_timestamp_cache.value);
}

/*
 * Second close pass after the h2o context went: its timers, closed in the previous pass,
 * are gone now, so nothing refers to a any more.
 */
static void admin_on_fin1(uv_handle_t *h)
{
    acd_admin_t *a = acd_container_of((uv_timer_t *)h, acd_admin_t, fin[1]);
    void (*cb)(void *) = a->close_cb;
    void *ud = a->close_ud;

    h2o_config_dispose(&a->config);
    acd_log_info("ACD-API-ADMIN-CLOSED", "port=%u", a->port);
    explicit_bzero(a->token, sizeof(a->token));
    free(a);
    if (cb)
        cb(ud);
}

/*
 * First close pass: libuv finishes the handles of one pass in an unspecified order, so
 * h2o's timers (closed in the same pass as fin[0]) may still be pending here. Closing
 * fin[1] now puts it in the next pass, after all of them.
 */
static void admin_on_fin0(uv_handle_t *h)
{
    acd_admin_t *a = acd_container_of((uv_timer_t *)h, acd_admin_t, fin[0]);
    uv_close((uv_handle_t *)&a->fin[1], admin_on_fin1);
}

/* Once the listener and every connection are closed, the h2o context can go. */
static void admin_maybe_finish(acd_admin_t *a)
{
    if (!a->listener_closed || a->n_conns > 0 || a->finishing)
        return;
    a->finishing = true;
    admin_h2o_context_fini(&a->ctx);
    uv_close((uv_handle_t *)&a->fin[0], admin_on_fin0);
}

static void admin_on_listener_closed(uv_handle_t *h)
{
    acd_admin_t *a = acd_container_of((uv_tcp_t *)h, acd_admin_t, listener);
    a->listener_closed = true;
    admin_maybe_finish(a);
}

/*
 * h2o 2.2 has no call that closes its connections: h2o_context_request_shutdown() only
 * turns keep-alive off for the next HTTP/1 response (and starts HTTP/2's GOAWAY), so an
 * idle keep-alive connection would linger until the request timeout (10 s). Shutting the
 * socket down makes h2o see end-of-file (or a failed write) on its next I/O and close the
 * connection through its own path, which ends in admin_on_conn_closed.
 */
void acd_admin_close(acd_admin_t *a, void (*cb)(void *ud), void *ud)
{
    acd_list_t *pos, *tmp;

    if (!a || a->closing)
        return;
    a->closing = true;
    a->close_cb = cb;
    a->close_ud = ud;
    acd_log_info("ACD-API-ADMIN-CLOSING", "port=%u connections=%zu", a->port, a->n_conns);
    a->ctx.shutdown_requested = 1; /* no more keep-alive on requests under way */
    acd__admin_wallboard_close(a);
    uv_close((uv_handle_t *)&a->listener, admin_on_listener_closed);
    acd_list_foreach(pos, tmp, &a->conns)
    {
        admin_conn_t *c = acd_container_of(pos, admin_conn_t, link);
        uv_os_fd_t fd;
        if (!uv_is_closing((uv_handle_t *)&c->tcp) && uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
            shutdown(fd, SHUT_RDWR);
    }
}
