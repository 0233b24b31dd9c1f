/* test_admin.c - the admin endpoint: its status document, and real HTTP on a real loop. */
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

static void apply(acd_core_t *core, acd_event_type_t type, const char *agent, const char *call,
                  const char *caller, const char *reason, int64_t now)
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

static acd_core_t *make_core(void)
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

    apply(core, ACD_EV_AGENT_LOGIN, "alice", NULL, NULL, NULL, T0);
    apply(core, ACD_EV_AGENT_LOGIN, "bob", NULL, NULL, NULL, T0 + 500);
    apply(core, ACD_EV_AGENT_PAUSE, "bob", NULL, NULL, "lunch", T0 + 500);
    /* alice is free: call-1 rings her; nobody is left for call-2, which waits. */
    apply(core, ACD_EV_CALL_ARRIVE, NULL, "call-1", "+15551234", NULL, T0 + 1000);
    apply(core, ACD_EV_CALL_ARRIVE, NULL, "call-2", "+15555678", NULL, T0 + 2000);
    return core;
}

static void fill_info(acd_admin_site_info_t *info, int draining)
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

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("missing member \"%s\" in %s", key, json_object_to_json_string(o));
    return v;
}

static void assert_member_str(json_object *o, const char *key, const char *want)
{
    json_object *v = member(o, key);
    if (!json_object_is_type(v, json_type_string))
        fail_msg("\"%s\" is not a string in %s", key, json_object_to_json_string(o));
    assert_string_equal(json_object_get_string(v), want);
}

static void assert_member_int(json_object *o, const char *key, int64_t want)
{
    json_object *v = member(o, key);
    if (!json_object_is_type(v, json_type_int))
        fail_msg("\"%s\" is not an integer in %s", key, json_object_to_json_string(o));
    assert_int_equal(json_object_get_int64(v), want);
}

static void assert_member_null(json_object *o, const char *key)
{
    if (member(o, key) != NULL)
        fail_msg("\"%s\" is not null in %s", key, json_object_to_json_string(o));
}

static void assert_no_member(json_object *o, const char *key)
{
    if (json_object_object_get_ex(o, key, NULL))
        fail_msg("unexpected \"%s\" in %s", key, json_object_to_json_string(o));
}

/* The element of array whose member key is value. */
static json_object *find_by(json_object *array, const char *key, const char *value)
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

/* ---- the document, without HTTP ---- */

static void test_status_document(void **state)
{
    acd_core_t *core = make_core();
    acd_admin_site_info_t info;
    fill_info(&info, 0);

    json_object *doc = acd_admin_status_json(core, &info, T0 + 62000);
    assert_non_null(doc);

    json_object *site = member(doc, "site");
    assert_member_str(site, "name", "A");
    assert_member_str(site, "version", "0.1.0-test");
    assert_member_str(site, "now", "2026-01-02T03:05:07.678Z");
    assert_member_str(site, "started", "2026-01-02T02:04:05.678Z");
    assert_member_int(site, "uptime_s", 3662);
    assert_true(json_object_is_type(member(site, "draining"), json_type_boolean));
    assert_false(json_object_get_boolean(member(site, "draining")));
    assert_member_int(member(site, "sip"), "rx", 10);
    assert_member_int(member(site, "sip"), "tx", 12);
    assert_member_int(site, "calls_in_progress", 2);
    assert_member_int(site, "registrations", 1);

    json_object *queues = member(doc, "queues");
    assert_int_equal(json_object_array_length(queues), 1);
    json_object *q = json_object_array_get_idx(queues, 0);
    assert_member_str(q, "name", "support");
    assert_member_str(q, "tenant", "acme");
    assert_member_str(q, "strategy", "longest-idle");
    assert_member_int(q, "waiting", 1);
    assert_member_int(q, "offered", 1);
    assert_member_int(q, "agents_logged_in", 2);
    assert_member_int(q, "agents_available", 0);
    assert_member_int(q, "longest_wait_s", 60); /* call-2, queued at T0 + 2 s */

    json_object *agents = member(doc, "agents");
    assert_int_equal(json_object_array_length(agents), 2);
    /* agents come sorted by id */
    assert_member_str(json_object_array_get_idx(agents, 0), "id", "alice");
    json_object *alice = json_object_array_get_idx(agents, 0);
    assert_member_str(alice, "sip_user", "alice-phone");
    assert_member_str(alice, "state", "ringing");
    assert_member_null(alice, "pause_reason");
    assert_member_str(alice, "state_since", "2026-01-02T03:04:06.678Z");
    assert_no_member(alice, "idle_since");
    assert_member_str(alice, "call_id", "call-1");
    assert_member_int(alice, "missed_in_row", 0);
    assert_member_int(alice, "calls_handled", 0);
    json_object *bob = json_object_array_get_idx(agents, 1);
    assert_member_str(bob, "id", "bob");
    assert_member_str(bob, "state", "paused");
    assert_member_str(bob, "pause_reason", "lunch");
    assert_member_str(bob, "state_since", "2026-01-02T03:04:06.178Z");
    assert_member_null(bob, "call_id");

    json_object *calls = member(doc, "calls");
    assert_int_equal(json_object_array_length(calls), 2);
    json_object *c1 = find_by(calls, "id", "call-1");
    assert_member_str(c1, "tenant", "acme");
    assert_member_str(c1, "did", "+15550100");
    assert_member_str(c1, "caller", "+15551234");
    assert_member_str(c1, "queue", "support");
    assert_member_str(c1, "state", "offered");
    assert_member_str(c1, "agent", "alice");
    assert_member_int(c1, "priority", 0);
    assert_member_str(c1, "enqueued", "2026-01-02T03:04:06.678Z");
    assert_member_null(c1, "answered");
    assert_member_int(c1, "wait_s", 61);
    assert_member_null(c1, "position");
    json_object *c2 = find_by(calls, "id", "call-2");
    assert_member_str(c2, "state", "queued");
    assert_member_null(c2, "agent");
    assert_member_int(c2, "wait_s", 60);
    assert_member_int(c2, "position", 1);

    json_object_put(doc);
    acd_core_free(core);
}

static void test_status_document_empty(void **state)
{
    json_object *doc = acd_admin_status_json(NULL, NULL, T0);
    assert_non_null(doc);
    json_object *site = member(doc, "site");
    assert_member_str(site, "name", "");
    assert_member_null(site, "started");
    assert_member_int(site, "uptime_s", 0);
    assert_int_equal(json_object_array_length(member(doc, "queues")), 0);
    assert_int_equal(json_object_array_length(member(doc, "agents")), 0);
    assert_int_equal(json_object_array_length(member(doc, "calls")), 0);
    json_object_put(doc);
}

/* ---- HTTP: the loop runs in the test thread, curl in a client thread ---- */

typedef struct http_req {
    const char *method; /* "GET" or "POST" */
    const char *path;
} http_req_t;

typedef struct http_res {
    long status;
    char allow[64];
    char content_type[64];
    acd_buf_t body;
    json_object *json;
} http_res_t;

#define MAX_REQS 8

typedef struct fixture {
    uv_loop_t loop;
    acd_core_t *core;
    acd_admin_site_info_t info;
    acd_admin_t *admin;
    uv_async_t done;     /* the client is finished */
    uv_timer_t watchdog; /* fails the test if the loop does not wind down */
    int closed;          /* times the admin close callback ran */

    uint16_t port;
    const http_req_t *reqs;
    size_t n_reqs;
    http_res_t res[MAX_REQS];
    CURL *curl; /* kept open past the requests: its connection stays alive */
} fixture_t;

static const acd_core_t *ops_core(void *ud)
{
    return ((fixture_t *)ud)->core;
}

static void ops_site_info(void *ud, acd_admin_site_info_t *out)
{
    *out = ((fixture_t *)ud)->info;
}

static const acd_admin_ops_t test_ops = {.core = ops_core, .site_info = ops_site_info};

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    return acd_buf_append(ud, data, size * n) == 0 ? size * n : 0;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
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

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    http_res_t *res = ud;
    header_value(line, size * n, "allow", res->allow, sizeof(res->allow));
    header_value(line, size * n, "content-type", res->content_type, sizeof(res->content_type));
    return size * n;
}

static void *client_main(void *arg)
{
    fixture_t *f = arg;
    char url[128];

    for (size_t i = 0; i < f->n_reqs; i++) {
        http_res_t *res = &f->res[i];
        snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->port, f->reqs[i].path);
        curl_easy_setopt(f->curl, CURLOPT_URL, url);
        curl_easy_setopt(f->curl, CURLOPT_PROXY, "");
        curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(f->curl, CURLOPT_HTTPGET, 1L);
        if (strcmp(f->reqs[i].method, "POST") == 0)
            curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, "x=1");
        curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &res->body);
        curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, res);
        if (curl_easy_perform(f->curl) == CURLE_OK)
            curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &res->status);
    }
    uv_async_send(&f->done);
    return NULL;
}

static void on_admin_closed(void *ud)
{
    fixture_t *f = ud;
    f->closed++;
    uv_close((uv_handle_t *)&f->watchdog, NULL);
}

static void on_client_done(uv_async_t *h)
{
    fixture_t *f = h->data;
    /* The client's keep-alive connection is still open: close must end it. */
    acd_admin_close(f->admin, on_admin_closed, f);
    acd_admin_close(f->admin, on_admin_closed, f); /* idempotent: no second callback */
    uv_close((uv_handle_t *)&f->done, NULL);
}

static void on_watchdog(uv_timer_t *t)
{
    fail_msg("the loop did not wind down within 10 s");
}

/* Serves reqs to a client thread until it is done, closes the endpoint, runs the loop dry. */
static void serve(fixture_t *f, const http_req_t *reqs, size_t n_reqs)
{
    pthread_t client;

    assert_true(n_reqs <= MAX_REQS);
    f->reqs = reqs;
    f->n_reqs = n_reqs;
    f->curl = curl_easy_init();
    assert_non_null(f->curl);
    assert_int_equal(acd_admin_alloc(&f->admin, &f->loop, "127.0.0.1", 0, &test_ops, f), 0);
    f->port = acd_admin_port(f->admin);
    assert_int_not_equal(f->port, 0);
    assert_int_equal(uv_async_init(&f->loop, &f->done, on_client_done), 0);
    f->done.data = f;
    assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
    assert_int_equal(uv_timer_start(&f->watchdog, on_watchdog, 10000, 0), 0);

    assert_int_equal(pthread_create(&client, NULL, client_main, f), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(pthread_join(client, NULL), 0);
    assert_int_equal(f->closed, 1);

    for (size_t i = 0; i < n_reqs; i++) {
        http_res_t *res = &f->res[i];
        if (res->body.p)
            res->json = json_tokener_parse(res->body.p);
    }
}

static int fixture_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->core = make_core();
    fill_info(&f->info, 0);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
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

static void assert_json_error(const http_res_t *res, long status, const char *message)
{
    assert_int_equal(res->status, status);
    assert_string_equal(res->content_type, "application/json");
    assert_non_null(res->json);
    assert_member_str(res->json, "error", message);
}

static void test_http_routes(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {"GET", "/v1/status"},  {"GET", "/healthz"},    {"GET", "/nope"},
        {"GET", "/v1/status/"}, {"POST", "/v1/status"}, {"GET", "/healthz?probe=1"},
    };
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    http_res_t *status = &f->res[0];
    assert_int_equal(status->status, 200);
    assert_string_equal(status->content_type, "application/json");
    assert_non_null(status->json);
    assert_member_str(member(status->json, "site"), "name", "A");
    json_object *q = json_object_array_get_idx(member(status->json, "queues"), 0);
    assert_non_null(q);
    assert_member_str(q, "name", "support");
    assert_member_int(q, "waiting", 1);
    assert_int_equal(json_object_array_length(member(status->json, "agents")), 2);
    assert_member_str(find_by(member(status->json, "calls"), "id", "call-2"), "state", "queued");

    assert_int_equal(f->res[1].status, 200);
    assert_non_null(f->res[1].json);
    assert_member_str(f->res[1].json, "status", "ok");

    assert_json_error(&f->res[2], 404, "not found");
    assert_json_error(&f->res[3], 404, "not found");
    assert_json_error(&f->res[4], 405, "method not allowed");
    assert_string_equal(f->res[4].allow, "GET");

    assert_int_equal(f->res[5].status, 200);
}

static void test_http_draining(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {{"GET", "/healthz"}, {"GET", "/v1/status"}};
    fill_info(&f->info, 1);
    serve(f, reqs, 2);

    assert_int_equal(f->res[0].status, 503);
    assert_non_null(f->res[0].json);
    assert_member_str(f->res[0].json, "status", "draining");
    assert_int_equal(f->res[1].status, 200);
    assert_non_null(f->res[1].json);
    assert_true(json_object_get_boolean(member(member(f->res[1].json, "site"), "draining")));
}

static void on_closed_count(void *ud)
{
    (*(int *)ud)++;
}

static void test_alloc_errors(void **state)
{
    fixture_t *f = *state;
    acd_admin_t *a = NULL, *b = NULL;
    int closed = 0;

    assert_int_equal(acd_admin_alloc(&a, &f->loop, "not-an-address", 0, &test_ops, f), -EINVAL);
    assert_int_equal(acd_admin_alloc(&a, &f->loop, "127.0.0.1", 0, NULL, f), -EINVAL);
    assert_null(a);

    assert_int_equal(acd_admin_alloc(&a, &f->loop, "127.0.0.1", 0, &test_ops, f), 0);
    uint16_t port = acd_admin_port(a);
    assert_int_equal(acd_admin_alloc(&b, &f->loop, "127.0.0.1", port, &test_ops, f), -EADDRINUSE);
    assert_null(b);

    /* Closed before the loop ever ran, without a connection. */
    acd_admin_close(a, on_closed_count, &closed);
    acd_admin_close(a, on_closed_count, &closed);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(closed, 1);

    /* IPv6 loopback works too, where the host has it. */
    if (acd_admin_alloc(&a, &f->loop, "::1", 0, &test_ops, f) == 0) {
        assert_int_not_equal(acd_admin_port(a), 0);
        acd_admin_close(a, on_closed_count, &closed);
        assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(closed, 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_document),
        cmocka_unit_test(test_status_document_empty),
        cmocka_unit_test_setup_teardown(test_http_routes, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_http_draining, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_errors, fixture_setup, fixture_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
