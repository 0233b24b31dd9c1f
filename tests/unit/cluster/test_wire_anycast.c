/* test_wire_anycast.c - a heartbeat's anycast state: round trip, the rules refused whole,
 * and the replica's status reporting the last one applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/replica.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "wire_samples.h"

typedef struct any_hb {
    samples_t s;
    Acd__V1__Envelope env;
} any_hb_t;

/* A heartbeat of a site announcing 198.18.0.1 because it is healthy. */
static void any_hb_init(any_hb_t *k)
{
    samples_init(&k->s);
    envelope(&k->env, &k->s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    k->s.heartbeat.anycast_configured = true;
    k->s.heartbeat.anycast_announced = true;
    k->s.heartbeat.anycast_address = "198.18.0.1";
    k->s.heartbeat.anycast_why = "healthy";
}

static void test_round_trip(void **state)
{
    (void)state;
    any_hb_t k;
    any_hb_init(&k);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&k.env, &b), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    const Acd__V1__Heartbeat *h = d->heartbeat;
    assert_true(h->anycast_configured);
    assert_true(h->anycast_announced);
    assert_string_equal(h->anycast_address, "198.18.0.1");
    assert_string_equal(h->anycast_why, "healthy");
    acd_wire_free(d);
    acd_buf_fini(&b);
}

/* A heartbeat of a site without an `anycast:` section, and of one withdrawn. */
static void test_accepted(void **state)
{
    (void)state;
    any_hb_t k;
    any_hb_init(&k);
    k.s.heartbeat.anycast_configured = false;
    k.s.heartbeat.anycast_announced = false;
    k.s.heartbeat.anycast_address = "";
    k.s.heartbeat.anycast_why = NULL;
    assert_env_accepted(&k.env);
    any_hb_init(&k);
    k.s.heartbeat.anycast_announced = false;
    k.s.heartbeat.anycast_why = "error: no such interface";
    assert_env_accepted(&k.env);
    any_hb_init(&k);
    static char long_why[ACD_WIRE_TOKEN_MAX + 1];
    memset(long_why, 'w', ACD_WIRE_TOKEN_MAX);
    k.s.heartbeat.anycast_why = long_why; /* a token's limit itself is fine */
    assert_env_accepted(&k.env);
}

/* Each case breaks one rule; the whole heartbeat is refused, coming in and going out. */
static void test_refused(void **state)
{
    (void)state;
    static char too_long[ACD_WIRE_TOKEN_MAX + 2];
    memset(too_long, 'x', ACD_WIRE_TOKEN_MAX + 1);
    any_hb_t k;
    for (int c = 0; c < 8; c++) {
        any_hb_init(&k);
        Acd__V1__Heartbeat *h = &k.s.heartbeat;
        switch (c) {
        case 0: /* configured without an address */
            h->anycast_address = "";
            break;
        case 1:
            h->anycast_address = NULL;
            break;
        case 2: /* announced without a section */
            h->anycast_configured = false;
            break;
        case 3: /* no section, the address left */
            h->anycast_configured = h->anycast_announced = false;
            break;
        case 4: /* no section, why left */
            h->anycast_configured = h->anycast_announced = false;
            h->anycast_address = "";
            break;
        case 5:
            h->anycast_why = "bad\nwhy";
            break;
        case 6:
            h->anycast_address = "198.18.0.1\x01";
            break;
        case 7:
            h->anycast_why = too_long;
            break;
        }
        assert_env_refused(&k.env);
    }
}

/* The replica's status: nothing before a heartbeat is applied, then the last one's. */
static void test_replica_status(void **state)
{
    (void)state;
    acd_replica_t *r = NULL;
    acd_replica_cfg_t cfg = {.self = "Z"};
    assert_int_equal(acd_replica_alloc(&r, &cfg), 0);
    any_hb_t k;
    any_hb_init(&k);
    Acd__V1__Snapshot empty = ACD__V1__SNAPSHOT__INIT; /* a new origin's first: a snapshot */
    empty.last_seq = 1;
    Acd__V1__Envelope snap;
    acd_wire_envelope_init(&snap, k.env.origin_site, k.env.incarnation, 1, k.env.sent_ms);
    snap.body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
    snap.snapshot = &empty;
    acd_replica_verdict_t v;
    assert_int_equal(acd_replica_apply(r, &snap, 1000, &v), 0);
    acd_replica_status_t st;
    assert_int_equal(acd_replica_status(r, k.env.origin_site, 1000, &st), 0);
    assert_false(st.heartbeat_applied);
    assert_false(st.anycast_configured);

    k.env.seq = 2;
    assert_int_equal(acd_replica_apply(r, &k.env, 1001, &v), 0);
    assert_int_equal(acd_replica_status(r, k.env.origin_site, 1001, &st), 0);
    assert_true(st.heartbeat_applied);
    assert_true(st.anycast_configured);
    assert_true(st.anycast_announced);
    assert_string_equal(st.anycast_address, "198.18.0.1");
    assert_string_equal(st.anycast_why, "healthy");

    k.env.seq = 3; /* the site drains: withdrawn */
    k.s.heartbeat.anycast_announced = false;
    k.s.heartbeat.anycast_why = "draining";
    assert_int_equal(acd_replica_apply(r, &k.env, 1002, &v), 0);
    assert_int_equal(acd_replica_status(r, k.env.origin_site, 1002, &st), 0);
    assert_false(st.anycast_announced);
    assert_string_equal(st.anycast_why, "draining");

    k.env.seq = 4; /* a heartbeat without the section (in life: after a restart) */
    k.s.heartbeat.anycast_configured = false;
    k.s.heartbeat.anycast_address = "";
    k.s.heartbeat.anycast_why = "";
    assert_int_equal(acd_replica_apply(r, &k.env, 1003, &v), 0);
    assert_int_equal(acd_replica_status(r, k.env.origin_site, 1003, &st), 0);
    assert_true(st.heartbeat_applied);
    assert_false(st.anycast_configured);
    assert_string_equal(st.anycast_address, "");
    assert_string_equal(st.anycast_why, "");
    acd_replica_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_replica_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
