/* test_routes.c - the API's router, bearer token and entity routes over real HTTP. */
#include "api/admin_fixture.h"
#include "api/admin_int.h" /* ACD__ADMIN_BODY_MAX */

#define TOKEN "s3cret-token-0123456789"
#define BEARER "Bearer " TOKEN

/* ---- a fake site behind ops.agent and the control's reload ---- */

typedef struct fake_site {
    int agent_calls;
    char agent[ACD_ID_MAX];
    acd_admin_agent_verb_t verb;
    char reason[ACD_REASON_MAX];
    bool had_reason;
    int reloads;
    int reload_status;
} fake_site_t;

/* Records the call and answers as a site would; the core is not touched. */
static int fake_agent(void *ud, const char *agent, acd_admin_agent_verb_t verb, const char *reason,
                      struct json_object *answer)
{
    fake_site_t *s = ((fixture_t *)ud)->user;
    s->agent_calls++;
    snprintf(s->agent, sizeof(s->agent), "%s", agent);
    s->verb = verb;
    s->had_reason = reason != NULL;
    snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
    if (verb == ACD_ADMIN_AGENT_UNPAUSE) {
        json_object_object_add(answer, "error", json_object_new_string("agent is not paused"));
        return 409;
    }
    json_object_object_add(answer, "changed", json_object_new_boolean(true));
    return verb == ACD_ADMIN_AGENT_LOGOUT ? 202 : 200;
}

static int fake_drain(void *ud, bool on, json_object *answer)
{
    json_object_object_add(answer, "draining", json_object_new_boolean(on));
    return 200;
}

static int fake_reload(void *ud, json_object *answer)
{
    fake_site_t *s = ((fixture_t *)ud)->user;
    s->reloads++;
    if (s->reload_status != 200)
        json_object_object_add(answer, "error", json_object_new_string("acdd.yaml:3: bad"));
    else
        json_object_object_add(answer, "reloaded", json_object_new_boolean(true));
    return s->reload_status;
}

static const acd_admin_control_t fake_control = {.drain = fake_drain, .reload = fake_reload};

static void with_fake(fixture_t *f, fake_site_t *s)
{
    memset(s, 0, sizeof(*s));
    s->reload_status = 200;
    f->user = s;
    f->ops.agent = fake_agent;
    f->control = &fake_control;
}

/* ---- the token ---- */

static void test_token(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/v1/status"}, /* 0 no token */
        {.method = "GET", .path = "/v1/status", .auth = "Bearer wrong-token-000000000"}, /* 1 */
        {.method = "GET",
         .path = "/v1/status",
         .auth = "Basic dXNlcjpwYXNz"},                          /* 2 another scheme */
        {.method = "GET", .path = "/v1/status", .auth = BEARER}, /* 3 */
        {.method = "GET",
         .path = "/v1/status",
         .auth = "bearer " TOKEN},                             /* 4 the scheme is caseless */
        {.method = "GET", .path = "/healthz"},                 /* 5 open */
        {.method = "GET", .path = "/v1/nope"},                 /* 6 401 before 404 */
        {.method = "GET", .path = "/v1/nope", .auth = BEARER}, /* 7 */
        {.method = "GET", .path = "/v1", .auth = "Bearer " TOKEN "x"},    /* 8 a longer token */
        {.method = "GET", .path = "/nope"},                               /* 9 outside /v1: 404 */
        {.method = "GET", .path = "/v1/status", .auth = "Bearer s3cret"}, /* 10 a prefix of it */
    };
    f->token = TOKEN;
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    assert_json_error(&f->res[0], 401, NULL);
    assert_string_equal(f->res[0].www_auth, "Bearer realm=\"acdd\"");
    assert_json_error(&f->res[1], 401, "wrong token");
    assert_string_equal(f->res[1].www_auth, "Bearer realm=\"acdd\", error=\"invalid_token\"");
    assert_json_error(&f->res[2], 401, "the Authorization scheme must be Bearer");
    assert_int_equal(f->res[3].status, 200);
    assert_member_str(member(f->res[3].json, "site"), "name", "A");
    assert_int_equal(f->res[4].status, 200);
    assert_int_equal(f->res[5].status, 200);
    assert_json_error(&f->res[6], 401, NULL);
    assert_json_error(&f->res[7], 404, "not found");
    assert_json_error(&f->res[8], 401, "wrong token");
    assert_json_error(&f->res[9], 404, "not found");
    assert_json_error(&f->res[10], 401, "wrong token");
}

static void test_token_set_clear(void **state)
{
    fixture_t *f = *state;
    char long_token[ACD_ADMIN_TOKEN_MAX + 2];
    memset(long_token, 'a', sizeof(long_token) - 1);
    long_token[sizeof(long_token) - 1] = '\0';
    static const http_req_t reqs[] = {{.method = "GET", .path = "/v1/status"}};
    /* Too long: refused, the token in force stays; "" removes it. */
    f->token = NULL;
    assert_int_equal(acd_admin_alloc(&f->admin, &f->loop, "127.0.0.1", 0, &f->ops, f), 0);
    assert_int_equal(acd_admin_set_token(f->admin, TOKEN), 0);
    assert_int_equal(acd_admin_set_token(f->admin, long_token), -EINVAL);
    assert_int_equal(acd_admin_set_token(f->admin, ""), 0);
    assert_int_equal(acd_admin_set_token(NULL, TOKEN), -EINVAL);
    acd_admin_close(f->admin, NULL, NULL);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    f->admin = NULL;
    serve(f, reqs, 1); /* no token: open as before */
    assert_int_equal(f->res[0].status, 200);
}

/* ---- routes, methods, the listing ---- */

static void test_routes_listing(void **state)
{
    fixture_t *f = *state;
    fake_site_t s;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/v1/routes"},
        {.method = "DELETE", .path = "/v1/agents/alice/pause"},
        {.method = "POST", .path = "/v1/agents"},
        {.method = "GET", .path = "/v1/agents/alice/pause/extra"},
        {.method = "GET", .path = "/v1/agents/"},
    };
    with_fake(f, &s);
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    assert_int_equal(f->res[0].status, 200);
    json_object *routes = member(f->res[0].json, "routes");
    json_object *r = find_by(routes, "path", "/v1/agents/{agent}/pause");
    assert_int_equal(json_object_array_length(member(r, "methods")), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(member(r, "methods"), 0)),
                        "POST");
    assert_true(json_object_get_boolean(member(r, "auth")));
    r = find_by(routes, "path", "/healthz");
    assert_false(json_object_get_boolean(member(r, "auth")));
    find_by(routes, "path", "/v1/reload");
    find_by(routes, "path", "/v1/cluster");
    find_by(routes, "path", "/v1/drain");
    r = find_by(routes, "path", "/metrics");
    assert_true(json_object_get_boolean(member(r, "subtree")));
    assert_no_member(r, "methods");

    assert_json_error(&f->res[1], 405, "method not allowed");
    assert_string_equal(f->res[1].allow, "POST");
    assert_json_error(&f->res[2], 405, "method not allowed");
    assert_string_equal(f->res[2].allow, "GET");
    assert_json_error(&f->res[3], 404, "not found");
    assert_json_error(&f->res[4], 404, "not found");
}

/* Without ops.agent, ops.tenants and a control, their routes do not exist (404). */
static void test_routes_absent(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {.method = "POST", .path = "/v1/agents/alice/login", .body = ""},
        {.method = "POST", .path = "/v1/reload", .body = ""},
        {.method = "GET", .path = "/v1/tenants"},
        {.method = "GET", .path = "/v1/routes"},
        {.method = "GET", .path = "/v1/agents/alice"},
    };
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));
    assert_json_error(&f->res[0], 404, "not found");
    assert_json_error(&f->res[1], 404, "not found");
    assert_json_error(&f->res[2], 404, "not found");
    json_object *routes = member(f->res[3].json, "routes");
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        const char *p =
            json_object_get_string(member(json_object_array_get_idx(routes, i), "path"));
        assert_null(strstr(p, "/login"));
        assert_null(strstr(p, "/reload"));
        assert_null(strstr(p, "/tenants"));
    }
    assert_int_equal(f->res[4].status, 200); /* reading agents needs no ops */
}

/* ---- entities ---- */

static void test_entities(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/v1/agents"},
        {.method = "GET", .path = "/v1/agents/bob"},
        {.method = "GET", .path = "/v1/agents/carol"},
        {.method = "GET", .path = "/v1/queues"},
        {.method = "GET", .path = "/v1/queues/support"},
        {.method = "GET", .path = "/v1/queues/nope"},
        {.method = "GET", .path = "/v1/calls"},
        {.method = "GET", .path = "/v1/calls/call-2"},
        {.method = "GET", .path = "/v1/calls/call-9"},
        {.method = "GET", .path = "/v1/cluster"},
    };
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    json_object *agents = member(f->res[0].json, "agents");
    assert_int_equal(json_object_array_length(agents), 2);
    assert_member_str(find_by(agents, "id", "alice"), "state", "ringing");
    json_object *bob = member(f->res[1].json, "agent");
    assert_member_str(bob, "state", "paused");
    assert_member_str(bob, "pause_reason", "lunch");
    assert_json_error(&f->res[2], 404, "no such agent: carol");

    json_object *q = json_object_array_get_idx(member(f->res[3].json, "queues"), 0);
    assert_member_str(q, "name", "support");
    json_object *st = member(q, "stats");
    assert_member_int(st, "waiting", 1);
    assert_member_int(st, "aht_ms", ACD_AHT_DEFAULT_MS);
    assert_member_int(st, "logged_in", 2);
    assert_true(json_object_get_int64(member(st, "longest_wait_ms")) > 0);
    json_object *one = member(f->res[4].json, "queue");
    assert_member_int(one, "waiting", 1);
    json_object *calls = member(one, "calls");
    assert_int_equal(json_object_array_length(calls), 2);
    assert_member_str(find_by(calls, "id", "call-2"), "state", "queued");
    assert_json_error(&f->res[5], 404, "no such queue: nope");

    assert_int_equal(json_object_array_length(member(f->res[6].json, "calls")), 2);
    assert_int_equal(json_object_array_length(member(f->res[6].json, "answering")), 0);
    assert_member_int(member(f->res[7].json, "call"), "position", 1);
    assert_json_error(&f->res[8], 404, "no such call: call-9");

    json_object *cl = f->res[9].json;
    assert_member_null(cl, "cluster");
    assert_member_null(cl, "leader");
    assert_member_str(cl, "site", "A");
    json_object *self = json_object_array_get_idx(member(cl, "sites"), 0);
    assert_true(json_object_get_boolean(member(self, "self")));
    assert_true(json_object_get_boolean(member(self, "live")));
    assert_false(json_object_get_boolean(member(self, "dark")));
}

/* ---- agent verbs: every bad input is a 400 that never reaches the site ---- */

static void test_agent_verbs(void **state)
{
    fixture_t *f = *state;
    fake_site_t s;
    static const http_req_t reqs[] = {
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"break\"}"}, /* 0 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"break\""},                                               /* 1 */
        {.method = "POST", .path = "/v1/agents/bob/pause", .body = "[\"break\"]"},        /* 2 */
        {.method = "POST", .path = "/v1/agents/bob/pause", .body = "{\"reason\": 3}"},    /* 3 */
        {.method = "POST", .path = "/v1/agents/bob/pause", .body = "{}"},                 /* 4 */
        {.method = "POST", .path = "/v1/agents/bob/pause", .body = "{\"reason\": \"\"}"}, /* 5 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"a reason that is much too long to fit\"}"},                 /* 6 */
        {.method = "POST", .path = "/v1/agents/bob/pause", .body = "{\"reason\": \"a|b\"}"}, /* 7 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"tab\\there\"}"}, /* 8 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \" lunch\"}"}, /* 9 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"x\", \"for\": 5}"}, /* 10 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"x\"} {}"}, /* 11 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"\xff\"}"}, /* 12 */
        {.method = "POST",
         .path = "/v1/agents/carol/pause",
         .body = "{\"reason\": \"break\"}"},                                             /* 13 */
        {.method = "POST", .path = "/v1/agents/bob/login", .body = "{\"force\": true}"}, /* 14 */
        {.method = "POST", .path = "/v1/agents/bob/logout", .body = ""},                 /* 15 */
        {.method = "POST", .path = "/v1/agents/bob/unpause", .body = "{}"},              /* 16 */
        {.method = "POST",
         .path = "/v1/agents/bob/login",
         .body = "{}",
         .origin = "http://evil"}, /* 17 */
        {.method = "POST",
         .path = "/v1/agents/bob/pause",
         .body = "{\"reason\": \"almuerzo caf\\u00e9\"}"}, /* 18 */
    };
    with_fake(f, &s);
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    assert_int_equal(f->res[0].status, 200);
    assert_member_str(member(f->res[0].json, "agent"), "id", "bob");
    assert_true(json_object_get_boolean(member(f->res[0].json, "changed")));
    assert_json_error(&f->res[1], 400, NULL);
    assert_non_null(strstr(f->res[1].body.p, "not valid JSON"));
    assert_json_error(&f->res[2], 400, "the body must be a JSON object");
    assert_json_error(&f->res[3], 400, "reason must be a string");
    assert_json_error(&f->res[4], 400, NULL);
    assert_non_null(strstr(f->res[4].body.p, "pause needs a"));
    assert_json_error(&f->res[5], 400, "reason must not be empty");
    assert_json_error(&f->res[6], 400, "reason must be at most 31 bytes");
    assert_json_error(&f->res[7], 400, NULL);
    assert_non_null(strstr(f->res[7].body.p, "control characters"));
    assert_json_error(&f->res[8], 400, NULL);
    assert_json_error(&f->res[9], 400, "reason must not start or end with a space");
    assert_json_error(&f->res[10], 400, "unknown member \"for\" (this request takes: reason)");
    assert_json_error(&f->res[11], 400, NULL); /* strict json-c stops at the second value */
    assert_non_null(strstr(f->res[11].body.p, "not valid JSON"));
    assert_json_error(&f->res[12], 400, NULL); /* json-c or our check: not UTF-8 */
    assert_json_error(&f->res[13], 404, "no such agent: carol");
    assert_json_error(&f->res[14], 400, "unknown member \"force\" (this request takes none)");
    assert_int_equal(f->res[15].status, 202);
    assert_member_str(member(f->res[15].json, "agent"), "id", "bob");
    assert_json_error(&f->res[16], 409, "agent is not paused");
    assert_no_member(f->res[16].json, "agent");
    assert_json_error(&f->res[17], 403, "cross-origin requests are refused");
    assert_int_equal(f->res[18].status, 200);

    /* Only 0, 15, 16 and 18 reached the site. */
    assert_int_equal(s.agent_calls, 4);
    assert_string_equal(s.agent, "bob");
    assert_int_equal(s.verb, ACD_ADMIN_AGENT_PAUSE);
    assert_string_equal(s.reason, "almuerzo caf\xc3\xa9");
}

/* The body limit: a JSON error, never the site. */
static void test_body_limit(void **state)
{
    fixture_t *f = *state;
    fake_site_t s;
    static char big[ACD__ADMIN_BODY_MAX + 64];
    memset(big, ' ', sizeof(big) - 1);
    memcpy(big, "{\"reason\": \"x\"}", 15);
    big[sizeof(big) - 1] = '\0';
    http_req_t reqs[] = {{.method = "POST", .path = "/v1/agents/bob/pause", .body = big}};
    with_fake(f, &s);
    serve(f, reqs, 1);
    assert_json_error(&f->res[0], 413, "the request body is too large");
    assert_int_equal(s.agent_calls, 0);
}

/* ---- reload ---- */

static void test_reload(void **state)
{
    fixture_t *f = *state;
    fake_site_t s;
    static const http_req_t reqs[] = {
        {.method = "POST", .path = "/v1/reload", .body = ""},
        {.method = "POST", .path = "/v1/reload", .body = "{\"now\": 1}"},
        {.method = "POST",
         .path = "/v1/reload",
         .body = "{}",
         .origin = "http://wallboard.example"},
    };
    with_fake(f, &s);
    serve(f, reqs, 3);
    assert_int_equal(f->res[0].status, 200);
    assert_true(json_object_get_boolean(member(f->res[0].json, "reloaded")));
    assert_json_error(&f->res[1], 400, "unknown member \"now\" (this request takes none)");
    assert_json_error(&f->res[2], 403, "cross-origin requests are refused");
    assert_int_equal(s.reloads, 1);
}

static void test_reload_refused(void **state)
{
    fixture_t *f = *state;
    fake_site_t s;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/v1/reload"},
        {.method = "POST", .path = "/v1/reload", .body = "{}"},
    };
    with_fake(f, &s);
    s.reload_status = 400;
    serve(f, reqs, 2);
    assert_json_error(&f->res[0], 405, "method not allowed");
    assert_string_equal(f->res[0].allow, "POST");
    assert_json_error(&f->res[1], 400, "acdd.yaml:3: bad");
    assert_int_equal(s.reloads, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_token_set_clear, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_routes_listing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_routes_absent, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_entities, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_agent_verbs, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_body_limit, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reload, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reload_refused, fixture_setup, fixture_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
