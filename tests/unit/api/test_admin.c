/* test_admin.c - the admin endpoint: its status document, and real HTTP on a real loop. */
#include "api/admin_fixture.h"

/* ---- the document, without HTTP ---- */

static void test_status_document(void **state)
{
    acd_core_t *core = fx_make_core();
    acd_admin_site_info_t info;
    fx_fill_info(&info, 0);

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

static void test_http_routes(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/v1/status"},  {.method = "GET", .path = "/healthz"},    {.method = "GET", .path = "/nope"},
        {.method = "GET", .path = "/v1/status/"}, {.method = "POST", .path = "/v1/status"}, {.method = "GET", .path = "/healthz?probe=1"},
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
    static const http_req_t reqs[] = {{.method = "GET", .path = "/healthz"}, {.method = "GET", .path = "/v1/status"}};
    fx_fill_info(&f->info, 1);
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

    assert_int_equal(acd_admin_alloc(&a, &f->loop, "not-an-address", 0, &f->ops, f), -EINVAL);
    assert_int_equal(acd_admin_alloc(&a, &f->loop, "127.0.0.1", 0, NULL, f), -EINVAL);
    assert_null(a);

    assert_int_equal(acd_admin_alloc(&a, &f->loop, "127.0.0.1", 0, &f->ops, f), 0);
    uint16_t port = acd_admin_port(a);
    assert_int_equal(acd_admin_alloc(&b, &f->loop, "127.0.0.1", port, &f->ops, f), -EADDRINUSE);
    assert_null(b);

    /* Closed before the loop ever ran, without a connection. */
    acd_admin_close(a, on_closed_count, &closed);
    acd_admin_close(a, on_closed_count, &closed);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(closed, 1);

    /* IPv6 loopback works too, where the host has it. */
    if (acd_admin_alloc(&a, &f->loop, "::1", 0, &f->ops, f) == 0) {
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
