/* test_wallboard.c - the wallboard's routes, document and live stream on a real loop. */
#include "api/admin_fixture.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/wallboard_int.h"

/* ---- page, assets, snapshot (libcurl through the fixture) ---- */

/* A fake ops.drill: GET answers the test's drill document (none while NULL). */
static const char *fake_drill;

static int fake_drill_op(void *ud, const char *method, const char *body, size_t len,
                         json_object *answer)
{
    (void)ud, (void)body, (void)len;
    if (strcmp(method, "GET") != 0)
        return 405;
    json_object_object_add(answer, "drill", fake_drill ? json_tokener_parse(fake_drill) : NULL);
    return 200;
}

static void test_routes_and_snapshot(void **state)
{
    fixture_t *f = *state;
    static const http_req_t reqs[] = {
        {.method = "GET", .path = "/wallboard"},
        {.method = "GET", .path = "/wallboard/"},
        {.method = "GET", .path = "/wallboard/app.js"},
        {.method = "GET", .path = "/wallboard/style.css"},
        {.method = "GET", .path = "/wallboard/snapshot"},
        {.method = "GET", .path = "/wallboard/nope.js"},
        {.method = "POST", .path = "/wallboard/snapshot"},
    };
    fake_drill =
        "{\"name\": \"site-kill\", \"started_ms\": 1767323000000, \"by\": \"chaos/drill\"}";
    f->ops.drill = fake_drill_op;
    serve(f, reqs, sizeof(reqs) / sizeof(reqs[0]));

    for (int i = 0; i < 2; i++) {
        assert_int_equal(f->res[i].status, 200);
        assert_string_equal(f->res[i].content_type, "text/html; charset=utf-8");
        assert_non_null(strstr(f->res[i].body.p, "/wallboard/app.js"));
    }
    assert_int_equal(f->res[2].status, 200);
    assert_string_equal(f->res[2].content_type, "text/javascript; charset=utf-8");
    assert_non_null(strstr(f->res[2].body.p, "EventSource('/wallboard/events')"));
    assert_int_equal(f->res[3].status, 200);
    assert_string_equal(f->res[3].content_type, "text/css; charset=utf-8");

    http_res_t *snap = &f->res[4];
    assert_int_equal(snap->status, 200);
    assert_non_null(snap->json);
    json_object *doc = snap->json;
    assert_member_int(doc, "version", 1);
    assert_member_str(doc, "site", "A");
    assert_member_str(doc, "mode", "alone");
    assert_member_null(doc, "leader");
    assert_member_str(member(doc, "drill"), "name", "site-kill");
    assert_member_str(member(doc, "drill"), "by", "chaos/drill");
    /* No counter set here: the queue shows the core's gauges and no figures. */
    json_object *q = find_by(member(doc, "queues"), "name", "support");
    assert_member_int(q, "waiting", 1);
    assert_member_int(member(q, "here"), "waiting", 1);
    assert_member_int(q, "agents_logged_in", 2);
    assert_member_null(q, "service_level");
    assert_member_null(q, "staffing");
    assert_member_str(q, "sl_variant", "80/20 over answered + abandoned");
    assert_int_equal(json_object_array_length(member(q, "abandon_buckets")), 7);
    assert_member_null(json_object_array_get_idx(member(q, "abandon_buckets"), 6), "le_s");
    /* Agents as the core has them, this site's; bob paused for lunch. */
    json_object *bob = find_by(member(doc, "agents"), "id", "bob");
    assert_member_str(bob, "state", "paused");
    assert_member_str(bob, "pause_reason", "lunch");
    assert_member_str(bob, "site", "A");
    assert_member_str(find_by(member(doc, "agents"), "id", "alice"), "state", "ringing");
    assert_member_int(member(doc, "agent_states"), "paused", 1);
    assert_member_int(member(doc, "agent_states"), "ringing", 1);
    json_object *site = json_object_array_get_idx(member(doc, "sites"), 0);
    assert_member_str(site, "site", "A"); /* GET /v1/cluster's rows */
    assert_true(json_object_get_boolean(member(site, "live")));
    assert_member_null(site, "anycast");
    assert_member_int(member(doc, "totals"), "waiting", 1);
    assert_non_null(member(member(doc, "definitions"), "erlang_c"));

    assert_json_error(&f->res[5], 404, "no such wallboard file");
    assert_json_error(&f->res[6], 405, "the wallboard is read with GET");
    assert_string_equal(f->res[6].allow, "GET");
    fake_drill = NULL;
}

/* ---- the live stream (raw sockets from a client thread) ---- */

typedef struct stream_test {
    fixture_t *f;
    int fds[ACD__WB_CLIENTS_MAX];
    int refused_status;              /* the stream beyond the bound */
    int first_ids[2];                /* the first two event ids of stream 0 */
    bool ended[ACD__WB_CLIENTS_MAX]; /* saw end of file after the close */
    int n_open;
    char err[160];
} stream_test_t;

static int stream_open(uint16_t port)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    static const char req[] = "GET /wallboard/events HTTP/1.1\r\nHost: t\r\n\r\n";
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads from fd into buf (NUL-terminated) until it holds want or the peer ends; 0/-1. */
static int stream_read_until(int fd, char *buf, size_t cap, size_t *len, const char *want)
{
    while (!strstr(buf, want)) {
        if (*len + 1 >= cap) /* keep the tail: events are short next to cap */
            memmove(buf, buf + cap / 2, *len - cap / 2 + 1), *len -= cap / 2;
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n <= 0)
            return -1;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return 0;
}

static int stream_status(const char *buf)
{
    int status = 0;
    return sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

static void *stream_client(void *arg)
{
    stream_test_t *t = arg;
    static char buf[1 << 16];
    size_t len = 0;
    buf[0] = '\0';
    t->fds[0] = stream_open(t->f->port);
    /* A snapshot on connect (id 1), then the tick's (id 2) about a second later. */
    if (t->fds[0] < 0 || stream_read_until(t->fds[0], buf, sizeof(buf), &len, "\r\n\r\n") < 0 ||
        stream_status(buf) != 200 || !strstr(buf, "text/event-stream") ||
        stream_read_until(t->fds[0], buf, sizeof(buf), &len, "}\n\n") < 0) {
        snprintf(t->err, sizeof(t->err), "stream 0: no first event: %.100s", buf);
        goto out;
    }
    sscanf(strstr(buf, "id: "), "id: %d", &t->first_ids[0]);
    /* Forget the first event; wait for the next whole one. */
    size_t used = (size_t)(strstr(buf, "}\n\n") + 3 - buf);
    memmove(buf, buf + used, len - used + 1);
    len -= used;
    if (stream_read_until(t->fds[0], buf, sizeof(buf), &len, "}\n\n") < 0 || !strstr(buf, "id: ")) {
        snprintf(t->err, sizeof(t->err), "stream 0: no second event");
        goto out;
    }
    sscanf(strstr(buf, "id: "), "id: %d", &t->first_ids[1]);
    t->n_open = 1;
    for (int i = 1; i < ACD__WB_CLIENTS_MAX; i++) {
        char head[4096] = "";
        size_t hl = 0;
        t->fds[i] = stream_open(t->f->port);
        if (t->fds[i] < 0 || stream_read_until(t->fds[i], head, sizeof(head), &hl, "\r\n") < 0 ||
            stream_status(head) != 200) {
            snprintf(t->err, sizeof(t->err), "stream %d: %.60s", i, head);
            goto out;
        }
        t->n_open++;
    }
    char head[4096] = "";
    size_t hl = 0;
    int extra = stream_open(t->f->port);
    if (extra >= 0 && stream_read_until(extra, head, sizeof(head), &hl, "\r\n") == 0)
        t->refused_status = stream_status(head);
    if (extra >= 0)
        close(extra);
out:
    /* Close the endpoint with every stream open, then see each one end. */
    uv_async_send(&t->f->done);
    for (int i = 0; i < t->n_open; i++) {
        /* End of file, not the 5 s read timeout: the connection was closed. (A stream
         * idle at close gets a final chunk first; one whose write was in flight is cut
         * by the socket shutdown: either way it ends.) */
        char tail[4096];
        ssize_t n;
        while ((n = read(t->fds[i], tail, sizeof(tail))) > 0)
            ;
        t->ended[i] = n == 0;
        close(t->fds[i]);
    }
    return NULL;
}

static void test_stream_bound_and_close(void **state)
{
    fixture_t *f = *state;
    stream_test_t t = {.f = f};
    pthread_t client;
    assert_int_equal(acd_admin_alloc(&f->admin, &f->loop, "127.0.0.1", 0, &f->ops, f), 0);
    f->port = acd_admin_port(f->admin);
    assert_int_equal(uv_async_init(&f->loop, &f->done, fx_on_client_done), 0);
    f->done.data = f;
    assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
    assert_int_equal(uv_timer_start(&f->watchdog, fx_on_watchdog, 10000, 0), 0);
    assert_int_equal(pthread_create(&client, NULL, stream_client, &t), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(pthread_join(client, NULL), 0);

    if (t.err[0])
        fail_msg("%s", t.err);
    assert_int_equal(f->closed, 1);
    assert_int_equal(t.first_ids[0], 1);
    assert_true(t.first_ids[1] > t.first_ids[0]);
    assert_int_equal(t.n_open, ACD__WB_CLIENTS_MAX);
    assert_int_equal(t.refused_status, 503);
    for (int i = 0; i < t.n_open; i++)
        if (!t.ended[i])
            fail_msg("stream %d was not closed with the endpoint", i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routes_and_snapshot, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stream_bound_and_close, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
