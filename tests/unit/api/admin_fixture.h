/* admin_fixture.h - the admin endpoint tests' world: a core with content, real HTTP on a
 * real loop (the loop in the test thread, libcurl in a client thread), typed JSON asserts. */
#ifndef ACD_TEST_ADMIN_FIXTURE_H
#define ACD_TEST_ADMIN_FIXTURE_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <uv.h>

#include "acd/core.h"
#include "api/admin.h"
#include "util/buf.h"

/* 2026-01-02T03:04:05.678Z */
#define T0 INT64_C(1767323045678)

/* ---- a core with content: one tenant, one queue, alice ringing, bob paused, two calls ---- */

static const char *const acme_dids[] = {"+15550100"};
static const char *const support_only[] = {"support"};
static const acd_core_tenant_cfg_t cfg_tenants[] = {
    {.name = "acme", .dids = acme_dids, .n_dids = 1, .queue = "support", .language = "en"},
};
static const acd_core_queue_cfg_t cfg_queues[] = {
    {.name = "support",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 15000,
     .wrapup_ms = 5000,
     .max_no_answer = 3},
};
static const acd_core_agent_cfg_t cfg_agents[] = {
    {.id = "alice", .sip_user = "alice-phone", .queues = support_only, .n_queues = 1},
    {.id = "bob", .sip_user = "bob-phone", .queues = support_only, .n_queues = 1},
};

static inline void fx_apply(acd_core_t *core, acd_event_type_t type, const char *agent,
                            const char *call, const char *caller, const char *reason, int64_t now)
{
    acd_event_t ev;
    acd_actions_t out = {0};
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent ? agent : "");
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", call ? call : "");
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller ? caller : "");
    snprintf(ev.reason, sizeof(ev.reason), "%s", reason ? reason : "");
    if (type == ACD_EV_CALL_ARRIVE)
        snprintf(ev.did, sizeof(ev.did), "%s", acme_dids[0]);
    assert_int_equal(acd_core_apply(core, &ev, now, &out), 0);
    acd_actions_fini(&out);
}

static inline acd_core_t *fx_make_core(void)
{
    acd_core_t *core = NULL;
    acd_actions_t out = {0};
    acd_core_cfg_t cfg = {
        .tenants = cfg_tenants,
        .n_tenants = 1,
        .queues = cfg_queues,
        .n_queues = 1,
        .agents = cfg_agents,
        .n_agents = 2,
    };
    assert_int_equal(acd_core_alloc(&core), 0);
    assert_int_equal(acd_core_configure(core, &cfg, T0 - 10000, &out), 0);
    acd_actions_fini(&out);

    fx_apply(core, ACD_EV_AGENT_LOGIN, "alice", NULL, NULL, NULL, T0);
    fx_apply(core, ACD_EV_AGENT_LOGIN, "bob", NULL, NULL, NULL, T0 + 500);
    fx_apply(core, ACD_EV_AGENT_PAUSE, "bob", NULL, NULL, "lunch", T0 + 500);
    /* alice is free: call-1 rings her; nobody is left for call-2, which waits. */
    fx_apply(core, ACD_EV_CALL_ARRIVE, NULL, "call-1", "+15551234", NULL, T0 + 1000);
    fx_apply(core, ACD_EV_CALL_ARRIVE, NULL, "call-2", "+15555678", NULL, T0 + 2000);
    return core;
}

static inline void fx_fill_info(acd_admin_site_info_t *info, int draining)
{
    memset(info, 0, sizeof(*info));
    info->site = "A";
    info->version = "0.1.0-test";
    info->started_ms = T0 - 3600000;
    info->draining = draining;
    info->sip_rx = 10;
    info->sip_tx = 12;
    info->calls_in_progress = 2;
    info->registrations = 1;
}

/* ---- JSON helpers: typed asserts that print both sides ---- */

static inline json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("missing member \"%s\" in %s", key, json_object_to_json_string(o));
    return v;
}

static inline void assert_member_str(json_object *o, const char *key, const char *want)
{
    json_object *v = member(o, key);
    if (!json_object_is_type(v, json_type_string))
        fail_msg("\"%s\" is not a string in %s", key, json_object_to_json_string(o));
    assert_string_equal(json_object_get_string(v), want);
}

static inline void assert_member_int(json_object *o, const char *key, int64_t want)
{
    json_object *v = member(o, key);
    if (!json_object_is_type(v, json_type_int))
        fail_msg("\"%s\" is not an integer in %s", key, json_object_to_json_string(o));
    assert_int_equal(json_object_get_int64(v), want);
}

static inline void assert_member_null(json_object *o, const char *key)
{
    if (member(o, key) != NULL)
        fail_msg("\"%s\" is not null in %s", key, json_object_to_json_string(o));
}

static inline void assert_no_member(json_object *o, const char *key)
{
    if (json_object_object_get_ex(o, key, NULL))
        fail_msg("unexpected \"%s\" in %s", key, json_object_to_json_string(o));
}

/* The element of array whose member key is value. */
static inline json_object *find_by(json_object *array, const char *key, const char *value)
{
    for (size_t i = 0; i < json_object_array_length(array); i++) {
        json_object *e = json_object_array_get_idx(array, i);
        json_object *v;
        if (json_object_object_get_ex(e, key, &v) && strcmp(json_object_get_string(v), value) == 0)
            return e;
    }
    fail_msg("no element with %s=%s in %s", key, value, json_object_to_json_string(array));
    return NULL;
}

/* ---- HTTP: the loop runs in the test thread, curl in a client thread ---- */

typedef struct http_req {
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *path;
    const char *body;   /* POST/PUT: the body (NULL: "x=1", the old tests' form body) */
    const char *auth;   /* an Authorization header value, or NULL */
    const char *origin; /* an Origin header value, or NULL */
} http_req_t;

typedef struct http_res {
    long status;
    char allow[64];
    char content_type[64];
    char www_auth[128];
    acd_buf_t body;
    json_object *json;
} http_res_t;

#define MAX_REQS 24

typedef struct fixture {
    uv_loop_t loop;
    acd_core_t *core;
    acd_admin_site_info_t info;
    acd_admin_ops_t ops; /* what serve() gives the endpoint (fixture_setup: core, info) */
    const acd_admin_control_t *control; /* attached by serve() when set */
    const char *token;                  /* set by serve() when set */
    acd_admin_t *admin;
    uv_async_t done;     /* the client is finished */
    uv_timer_t watchdog; /* fails the test if the loop does not wind down */
    int closed;          /* times the admin close callback ran */
    void *user;          /* the test's own state, for its ops */

    uint16_t port;
    const http_req_t *reqs;
    size_t n_reqs;
    http_res_t res[MAX_REQS];
    CURL *curl; /* kept open past the requests: its connection stays alive */
} fixture_t;

static inline const acd_core_t *fx_ops_core(void *ud)
{
    return ((fixture_t *)ud)->core;
}

static inline void fx_ops_site_info(void *ud, acd_admin_site_info_t *out)
{
    *out = ((fixture_t *)ud)->info;
}

static inline size_t fx_on_body(char *data, size_t size, size_t n, void *ud)
{
    return acd_buf_append(ud, data, size * n) == 0 ? size * n : 0;
}

static inline void fx_header_value(const char *line, size_t len, const char *name, char *out,
                                   size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' '))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, cap, "%.*s", (int)vlen, v);
}

static inline size_t fx_on_header(char *line, size_t size, size_t n, void *ud)
{
    http_res_t *res = ud;
    fx_header_value(line, size * n, "allow", res->allow, sizeof(res->allow));
    fx_header_value(line, size * n, "content-type", res->content_type, sizeof(res->content_type));
    fx_header_value(line, size * n, "www-authenticate", res->www_auth, sizeof(res->www_auth));
    return size * n;
}

static inline void *fx_client_main(void *arg)
{
    fixture_t *f = arg;
    char url[512], hdr[400];

    for (size_t i = 0; i < f->n_reqs; i++) {
        const http_req_t *q = &f->reqs[i];
        http_res_t *res = &f->res[i];
        struct curl_slist *hdrs = NULL;
        snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->port, q->path);
        curl_easy_reset(f->curl);
        curl_easy_setopt(f->curl, CURLOPT_URL, url);
        curl_easy_setopt(f->curl, CURLOPT_PROXY, "");
        curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 5000L);
        if (strcmp(q->method, "GET") != 0) {
            const char *body = q->body ? q->body : "x=1";
            curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, q->method);
            curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        if (q->auth) {
            snprintf(hdr, sizeof(hdr), "Authorization: %s", q->auth);
            hdrs = curl_slist_append(hdrs, hdr);
        }
        if (q->origin) {
            snprintf(hdr, sizeof(hdr), "Origin: %s", q->origin);
            hdrs = curl_slist_append(hdrs, hdr);
        }
        if (hdrs)
            curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, fx_on_body);
        curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &res->body);
        curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, fx_on_header);
        curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, res);
        if (curl_easy_perform(f->curl) == CURLE_OK)
            curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &res->status);
        curl_slist_free_all(hdrs);
    }
    uv_async_send(&f->done);
    return NULL;
}

static inline void fx_on_admin_closed(void *ud)
{
    fixture_t *f = ud;
    f->closed++;
    uv_close((uv_handle_t *)&f->watchdog, NULL);
}

static inline void fx_on_client_done(uv_async_t *h)
{
    fixture_t *f = h->data;
    /* The client's keep-alive connection is still open: close must end it. */
    acd_admin_close(f->admin, fx_on_admin_closed, f);
    acd_admin_close(f->admin, fx_on_admin_closed, f); /* idempotent: no second callback */
    uv_close((uv_handle_t *)&f->done, NULL);
}

static inline void fx_on_watchdog(uv_timer_t *t)
{
    fail_msg("the loop did not wind down within 10 s");
}

/* Serves reqs to a client thread until it is done, closes the endpoint, runs the loop dry. */
static inline void serve(fixture_t *f, const http_req_t *reqs, size_t n_reqs)
{
    pthread_t client;

    assert_true(n_reqs <= MAX_REQS);
    f->reqs = reqs;
    f->n_reqs = n_reqs;
    f->curl = curl_easy_init();
    assert_non_null(f->curl);
    assert_int_equal(acd_admin_alloc(&f->admin, &f->loop, "127.0.0.1", 0, &f->ops, f), 0);
    if (f->control)
        acd_admin_set_control(f->admin, f->control, f);
    if (f->token)
        assert_int_equal(acd_admin_set_token(f->admin, f->token), 0);
    f->port = acd_admin_port(f->admin);
    assert_int_not_equal(f->port, 0);
    assert_int_equal(uv_async_init(&f->loop, &f->done, fx_on_client_done), 0);
    f->done.data = f;
    assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
    assert_int_equal(uv_timer_start(&f->watchdog, fx_on_watchdog, 10000, 0), 0);

    assert_int_equal(pthread_create(&client, NULL, fx_client_main, f), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(pthread_join(client, NULL), 0);
    assert_int_equal(f->closed, 1);

    for (size_t i = 0; i < n_reqs; i++) {
        http_res_t *res = &f->res[i];
        if (res->body.p)
            res->json = json_tokener_parse(res->body.p);
    }
}

static inline int fixture_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->core = fx_make_core();
    fx_fill_info(&f->info, 0);
    f->ops = (acd_admin_ops_t){.core = fx_ops_core, .site_info = fx_ops_site_info};
    *state = f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    fixture_t *f = *state;
    /* Every handle the endpoint made is gone. */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    for (size_t i = 0; i < MAX_REQS; i++) {
        acd_buf_fini(&f->res[i].body);
        json_object_put(f->res[i].json);
    }
    if (f->curl)
        curl_easy_cleanup(f->curl);
    acd_core_free(f->core);
    free(f);
    return 0;
}

static inline void assert_json_error(const http_res_t *res, long status, const char *message)
{
    if (res->status != status)
        fail_msg("HTTP %ld, not %ld: %s", res->status, status, res->body.p ? res->body.p : "");
    assert_string_equal(res->content_type, "application/json");
    assert_non_null(res->json);
    if (message)
        assert_member_str(res->json, "error", message);
    else if (!json_object_is_type(member(res->json, "error"), json_type_string))
        fail_msg("no error text in %s", res->body.p);
}

#endif
