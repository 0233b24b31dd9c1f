/* test_anycast.c - the health rule, and the address on a real loopback in a private namespace. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <uv.h>

#include "anycast/anycast.h"
#include "util/log.h"

#define ADDR "198.18.0.1"

/* ---- the rule ---- */

typedef struct health_case {
    acd_anycast_health_t in;
    bool healthy;
    const char *why;
} health_case_t;

static const health_case_t health_cases[] = {
    {{0}, true, "healthy"},
    {{.stopping = true}, false, "stopping"},
    {{.draining = true}, false, "draining"},
    {{.stopping = true, .draining = true}, false, "stopping"},
    {{.cluster = true, .lease_held = true}, true, "healthy"},
    {{.cluster = true}, false, "no-lease"},
    {{.cluster = true, .island = true}, false, "island"},
    {{.cluster = true, .lease_held = true, .island = true}, false, "island"},
    {{.cluster = true, .lease_held = true, .draining = true}, false, "draining"},
    /* Every peer heard has lost etcd too: keep serving the carriers. */
    {{.cluster = true, .island = true, .adrift = true}, true, "adrift"},
    {{.cluster = true, .adrift = true}, true, "adrift"},
    {{.cluster = true, .lease_held = true, .adrift = true}, true, "healthy"},
    {{.cluster = true, .island = true, .adrift = true, .draining = true}, false, "draining"},
    /* A lease lost a moment ago keeps the route for ACD_ANYCAST_GRACE_MS. */
    {{.cluster = true, .island = true, .lease_lost_ms = 200}, true, "grace"},
    {{.cluster = true, .island = true, .lease_lost_ms = ACD_ANYCAST_GRACE_MS}, false, "island"},
    {{.cluster = true, .lease_lost_ms = 1}, true, "grace"},
    {{.cluster = true, .island = true, .lease_lost_ms = 200, .draining = true}, false, "draining"},
    /* Outside a cluster the lease and island flags mean nothing. */
    {{.island = true}, true, "healthy"},
};

static void test_health_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(health_cases) / sizeof(health_cases[0]); i++) {
        const health_case_t *c = &health_cases[i];
        const char *why = NULL;
        bool got = acd_anycast_healthy(&c->in, &why);
        if (got != c->healthy || !why || strcmp(why, c->why))
            printf("case %zu: got %d/%s, want %d/%s\n", i, got, why ? why : "(null)", c->healthy,
                   c->why);
        assert_int_equal(got, c->healthy);
        assert_string_equal(why, c->why);
    }
    const char *why = NULL;
    assert_false(acd_anycast_healthy(NULL, &why));
    assert_string_equal(why, "stopping");
}

static void test_alloc_checks(void **state)
{
    (void)state;
    uv_loop_t loop;
    acd_anycast_t *a = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    acd_anycast_cfg_t bad[] = {
        {.address = NULL, .interface = "lo", .prefix_len = 32},
        {.address = "::1", .interface = "lo", .prefix_len = 32},
        {.address = ADDR, .interface = "", .prefix_len = 32},
        {.address = ADDR, .interface = "abcdefghijklmnopq", .prefix_len = 32},
        {.address = ADDR, .interface = "lo", .prefix_len = 0},
        {.address = ADDR, .interface = "lo", .prefix_len = 33},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(acd_anycast_alloc(&a, &loop, &bad[i]), -EINVAL);
        assert_null(a);
    }
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the real thing: a private network namespace of the test process ---- */

static bool have_netns;

/* True when ADDR/prefix is on interface ifname now (asked through getifaddrs). */
static bool addr_on(const char *ifname)
{
    struct ifaddrs *ifs = NULL, *i;
    bool found = false;
    struct in_addr want;
    inet_pton(AF_INET, ADDR, &want);
    if (getifaddrs(&ifs) < 0)
        return false;
    for (i = ifs; i; i = i->ifa_next) {
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, ifname) &&
            ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == want.s_addr)
            found = true;
    }
    freeifaddrs(ifs);
    return found;
}

/* Runs command (ip ...) in this namespace; returns its exit status. */
static int sh(const char *command)
{
    int rc = system(command);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void on_wake(uv_timer_t *h)
{
    (void)h;
}

/* Runs the loop until pred(a) holds or ms pass; returns pred's last value. */
static bool run_until(uv_loop_t *loop, bool (*pred)(acd_anycast_t *a), acd_anycast_t *a,
                      uint64_t ms)
{
    uv_timer_t wake;
    uv_timer_init(loop, &wake);
    uv_timer_start(&wake, on_wake, 10, 10);
    uint64_t end = uv_now(loop) + ms;
    bool ok;
    while (!(ok = pred(a)) && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ok;
}

static bool is_announced_and_there(acd_anycast_t *a)
{
    return acd_anycast_announced(a) && addr_on("lo");
}

static bool is_withdrawn_and_gone(acd_anycast_t *a)
{
    return !acd_anycast_announced(a) && !addr_on("lo");
}

static bool is_there(acd_anycast_t *a)
{
    (void)a;
    return addr_on("lo");
}

/* The "anycast" object of a status document, as a string member's value. */
static const char *status_str(acd_anycast_t *a, json_object *doc, const char *key)
{
    json_object *o = NULL, *v = NULL;
    acd_anycast_status(a, doc);
    assert_true(json_object_object_get_ex(doc, "anycast", &o));
    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_string(v);
}

static void on_closed(void *ud)
{
    *(bool *)ud = true;
}

/* Closes a, runs the loop dry and checks that the close callback ran. */
static void close_and_drain(acd_anycast_t *a, uv_loop_t *loop)
{
    bool closed = false;
    acd_anycast_close(a, on_closed, &closed);
    acd_anycast_close(a, on_closed, &closed); /* idempotent: the second does nothing */
    uv_run(loop, UV_RUN_DEFAULT);
    assert_true(closed);
}

static void test_add_remove(void **state)
{
    (void)state;
    if (!have_netns)
        fail_msg("needs a private network namespace: run as root (tests/run does)");
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    acd_anycast_t *a = NULL;
    acd_anycast_cfg_t cfg = {.address = ADDR, .interface = "lo", .prefix_len = 32};
    assert_int_equal(acd_anycast_alloc(&a, &loop, &cfg), 0);
    assert_false(acd_anycast_announced(a));
    assert_false(addr_on("lo"));

    acd_anycast_want(a, true, "healthy");
    assert_true(run_until(&loop, is_announced_and_there, a, 2000));
    json_object *doc = json_object_new_object();
    assert_string_equal(status_str(a, doc, "why"), "healthy");
    assert_string_equal(status_str(a, doc, "interface"), "lo");
    assert_string_equal(status_str(a, doc, "address"), ADDR);
    assert_string_equal(status_str(a, doc, "announced"), "true");

    /* Withdrawn, then wished away again: nothing to do, nothing breaks. */
    acd_anycast_want(a, false, "draining");
    assert_true(run_until(&loop, is_withdrawn_and_gone, a, 2000));
    assert_string_equal(status_str(a, doc, "why"), "draining");
    assert_string_equal(status_str(a, doc, "announced"), "false");
    acd_anycast_want(a, false, "draining");

    /* Someone else adds it while the site is unhealthy: acdd takes it away again. */
    assert_int_equal(sh("ip addr add " ADDR "/32 dev lo"), 0);
    assert_true(run_until(&loop, is_there, a, 1000) || true);
    assert_true(run_until(&loop, is_withdrawn_and_gone, a, 2000));

    /* Healthy again; someone removes it: acdd puts it back. */
    acd_anycast_want(a, true, "healthy");
    assert_true(run_until(&loop, is_announced_and_there, a, 2000));
    assert_int_equal(sh("ip addr del " ADDR "/32 dev lo"), 0);
    assert_false(addr_on("lo"));
    assert_true(run_until(&loop, is_announced_and_there, a, 2000));

    /* Close withdraws before it releases the loop. */
    close_and_drain(a, &loop);
    assert_false(addr_on("lo"));
    json_object_put(doc);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A killed acdd leaves its address behind: the next one adopts it (EEXIST is success). */
static void test_restart_adopts_or_cleans(void **state)
{
    (void)state;
    if (!have_netns)
        fail_msg("needs a private network namespace: run as root (tests/run does)");
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    acd_anycast_cfg_t cfg = {.address = ADDR, .interface = "lo", .prefix_len = 32};

    assert_int_equal(sh("ip addr add " ADDR "/32 dev lo"), 0);
    acd_anycast_t *a = NULL;
    assert_int_equal(acd_anycast_alloc(&a, &loop, &cfg), 0);
    acd_anycast_want(a, true, "healthy");
    assert_true(run_until(&loop, is_announced_and_there, a, 2000));
    close_and_drain(a, &loop);
    assert_false(addr_on("lo"));

    /* Left behind again; a new process that is not healthy yet removes it at once. */
    assert_int_equal(sh("ip addr add " ADDR "/32 dev lo"), 0);
    a = NULL;
    assert_int_equal(acd_anycast_alloc(&a, &loop, &cfg), 0);
    acd_anycast_want(a, false, "no-lease");
    assert_true(run_until(&loop, is_withdrawn_and_gone, a, 2000));
    close_and_drain(a, &loop);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static bool has_error(acd_anycast_t *a)
{
    json_object *doc = json_object_new_object();
    const char *why = status_str(a, doc, "why");
    bool err = !strncmp(why, "error: ", 7);
    json_object_put(doc);
    return err;
}

/* No such interface: refused, shown, retried; closing does not wait for it. */
static void test_missing_interface(void **state)
{
    (void)state;
    if (!have_netns)
        fail_msg("needs a private network namespace: run as root (tests/run does)");
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    acd_anycast_cfg_t cfg = {.address = ADDR, .interface = "nosuch0", .prefix_len = 32};
    acd_anycast_t *a = NULL;
    assert_int_equal(acd_anycast_alloc(&a, &loop, &cfg), 0);
    acd_anycast_want(a, true, "healthy");
    assert_true(run_until(&loop, has_error, a, 1000));
    assert_false(acd_anycast_announced(a));
    json_object *doc = json_object_new_object();
    assert_string_equal(status_str(a, doc, "why"), "error: no such interface");
    json_object_put(doc);
    close_and_drain(a, &loop);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    acd_log_init(stderr, ACD_LOG_DEBUG, "test");
    /* The address tests change interfaces: only in a namespace of our own (needs root). */
    have_netns = unshare(CLONE_NEWNET) == 0;
    if (!have_netns)
        printf("no private network namespace (not root?): the netlink tests will fail\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_rule),       cmocka_unit_test(test_alloc_checks),
        cmocka_unit_test(test_add_remove),        cmocka_unit_test(test_restart_adopts_or_cleans),
        cmocka_unit_test(test_missing_interface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
