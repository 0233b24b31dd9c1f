/* test_wire_reject.c - hostile frames and contract breaches are refused, leaking nothing. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/wire.h"
#include "util/err.h"
#include "wire_samples.h"

/* ---- hostile bytes ---- */

static void test_garbage(void **state)
{
    (void)state;
#define BYTES(lit)                                                                                 \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }
    static const struct {
        const char *bytes;
        size_t len;
    } cases[] = {
        BYTES(""),
        BYTES("\x00"),
        BYTES("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), /* unterminated varint */
        BYTES("hello, world"),
        BYTES("\x0a\x05"
              "A"), /* string past the end */
        BYTES("\x0a\x01"
              "A"
              "\x10\x01\x18\x01\x20\x01"), /* header only: no body */
        BYTES("\x0f\x00"),                 /* wire type 7 */
        BYTES("\x52\x02\x08\x01"),         /* a call body, kind only */
        BYTES("\x0a\x01"
              "A"
              "\x10\x01\x18\x01\x20\x01\x52\x80\x80\x80\x80\x10"), /* 4 GiB */
        BYTES("\x0a\x01"
              "A"
              "\x10\x01\x18\x01\x20\x01\x52\x00"), /* empty call body */
    };
#undef BYTES
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_refused((const uint8_t *)cases[i].bytes, cases[i].len);
    assert_refused(NULL, 0);

    Acd__V1__Envelope *env = NULL;
    assert_int_equal(acd_wire_decode(NULL, 5, &env), -EINVAL);
    assert_int_equal(acd_wire_decode((const uint8_t *)"x", 1, NULL), -EINVAL);
    assert_int_equal(acd_wire_encode(NULL, &(acd_buf_t){0}), -EINVAL);
}

static void test_oversized_frame(void **state)
{
    (void)state;
    size_t len = ACD_WIRE_FRAME_MAX + 1;
    uint8_t *p = calloc(1, len);
    assert_non_null(p);
    assert_refused(p, len);
    free(p);
}

static void test_truncated_frames(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    for (size_t i = 0; i < N_BODIES; i++) {
        Acd__V1__Envelope env;
        envelope(&env, &s, all_bodies[i]);
        acd_buf_t b = {0};
        assert_int_equal(acd_wire_encode(&env, &b), 0);
        /* Copies, so ASan sees any read past the truncated end. */
        for (size_t len = 0; len < b.n; len++) {
            uint8_t *p = malloc(len ? len : 1);
            assert_non_null(p);
            memcpy(p, b.p, len);
            assert_refused(p, len);
            free(p);
        }
        acd_buf_fini(&b);
    }
}

/* xorshift64*: a fixed sequence, so a failure reproduces. */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    uint8_t buf[512];
    for (int i = 0; i < 10000; i++) {
        size_t len = rng_next(&rng) % sizeof(buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)rng_next(&rng);
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, buf, len);
        assert_refused(p, len);
        free(p);
    }
}

/* Valid frames with a few bytes changed: accepted or refused, never a crash or a leak. */
static void test_mutated_frames(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), 0);
    uint64_t rng = 42;
    size_t before = acd__wire_live_blocks();
    int accepted = 0;
    for (int i = 0; i < 10000; i++) {
        uint8_t *p = malloc(b.n);
        assert_non_null(p);
        memcpy(p, b.p, b.n);
        int flips = 1 + (int)(rng_next(&rng) % 3);
        for (int f = 0; f < flips; f++)
            p[rng_next(&rng) % b.n] = (uint8_t)rng_next(&rng);
        Acd__V1__Envelope *d = NULL;
        int rc = acd_wire_decode(p, b.n, &d);
        if (rc == 0) {
            accepted++;
            acd_wire_free(d);
        } else {
            assert_int_equal(rc, ACD_EPROTO);
        }
        assert_int_equal(acd__wire_live_blocks(), before);
        free(p);
    }
    /* Flips inside SDP text or numbers keep a frame valid; most flips break it. */
    assert_true(accepted > 0);
    assert_true(accepted < 10000);
    acd_buf_fini(&b);
}

/* Replaces the first occurrence of what (in an encoded frame) by with, same length. */
static void patch(acd_buf_t *b, const char *what, const char *with, size_t n)
{
    void *at = memmem(b->p, b->n, what, n);
    assert_non_null(at);
    memcpy(at, with, n);
}

static void test_bad_strings(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_CALL);
    static const struct {
        const char *what, *with;
        size_t n;
    } cases[] = {
        {"dental", "den\0al", 6}, /* NUL inside a string */
        {"dental",
         "den\xff"
         "al",
         6}, /* not UTF-8 */
        {"dental",
         "\xc0\xaf"
         "ntal",
         6},                              /* overlong '/' */
        {"dental", "de\xed\xa0\x80l", 6}, /* surrogate U+D800 */
        {"dental", "dent\xc3", 5},        /* lead byte without continuation */
        {"dental", "den\tal", 6},         /* control character in an id */
        {"timeout", "time\x7fut", 7},     /* DEL in a reason */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        acd_buf_t b = {0};
        assert_int_equal(acd_wire_encode(&env, &b), 0);
        patch(&b, cases[i].what, cases[i].with, cases[i].n);
        assert_refused((const uint8_t *)b.p, b.n);
        acd_buf_fini(&b);
    }
    /* Valid multi-byte UTF-8 is fine everywhere. */
    s.call.tenant = "clínica-dental-ñ";
    s.call.reason = "pausa café";
    assert_env_accepted(&env);
}

static void test_id_lengths(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    char id63[64], id64[65], reason31[32], reason32[33];
    memset(id63, 'x', 63);
    id63[63] = '\0';
    memset(id64, 'x', 64);
    id64[64] = '\0';
    memset(reason31, 'r', 31);
    reason31[31] = '\0';
    memset(reason32, 'r', 32);
    reason32[32] = '\0';

    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_CALL);
    env.origin_site = id63;
    assert_env_accepted(&env);
    env.origin_site = id64;
    assert_env_refused(&env);
    env.origin_site = "";
    assert_env_refused(&env);
    env.origin_site = "A";

    char **call_ids[] = {&s.call.call_id, &s.call.tenant, &s.call.did,
                         &s.call.caller,  &s.call.queue,  &s.call.agent_id};
    for (size_t i = 0; i < sizeof(call_ids) / sizeof(call_ids[0]); i++) {
        char *keep = *call_ids[i];
        *call_ids[i] = id63;
        assert_env_accepted(&env);
        *call_ids[i] = id64;
        assert_env_refused(&env);
        *call_ids[i] = keep;
    }
    s.call.reason = reason31;
    assert_env_accepted(&env);
    s.call.reason = reason32;
    assert_env_refused(&env);
    s.call.reason = "";

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER);
    s.offer.agent_site = id64;
    assert_env_refused(&env);
    s.offer.agent_site = "C";

    /* Ids inside a snapshot are checked like top-level ones. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    s.agent.agent_id = id64;
    assert_env_refused(&env);
    s.agent.agent_id = "2001";

    /* SDP has its own, larger limit. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_DIALOG);
    char *sdp = malloc(ACD_WIRE_SDP_MAX + 2);
    assert_non_null(sdp);
    memset(sdp, 'a', ACD_WIRE_SDP_MAX + 1);
    sdp[ACD_WIRE_SDP_MAX] = '\0';
    s.dialog.remote_sdp = sdp;
    assert_env_accepted(&env);
    sdp[ACD_WIRE_SDP_MAX] = 'a';
    sdp[ACD_WIRE_SDP_MAX + 1] = '\0';
    assert_env_refused(&env);
    free(sdp);
    s.dialog.remote_sdp = sdp_caller;

    char *many[ACD_WIRE_ROUTES_MAX + 1];
    for (size_t i = 0; i < ACD_WIRE_ROUTES_MAX + 1; i++)
        many[i] = routes[0];
    s.dialog.route_set = many;
    s.dialog.n_route_set = ACD_WIRE_ROUTES_MAX;
    assert_env_accepted(&env);
    s.dialog.n_route_set = ACD_WIRE_ROUTES_MAX + 1;
    assert_env_refused(&env);
}

static void test_header_rules(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.body_case = ACD__V1__ENVELOPE__BODY__NOT_SET;
    env.heartbeat = NULL;
    assert_env_refused(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.seq = 0;
    assert_env_refused(&env);
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.incarnation = 0;
    assert_env_refused(&env);
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.schema_version = 0;
    assert_env_refused(&env);
    /* sent_ms is a wall-clock time: a peer's lag is computed from it. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.sent_ms = 0;
    assert_env_refused(&env);
    env.sent_ms = INT64_MIN;
    assert_env_refused(&env);
    env.sent_ms = 1;
    assert_env_accepted(&env);

    /* A newer contract version is accepted (additions only). */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    env.schema_version = ACD_WIRE_SCHEMA_VERSION + 1;
    assert_env_accepted(&env);

    /* A snapshot cannot include envelopes the origin has not sent. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    s.snapshot.last_seq = env.seq + 1;
    assert_env_refused(&env);
    s.snapshot.last_seq = env.seq;
    assert_env_accepted(&env);

    /* Encoding refuses a struct that was never initialised as an Envelope. */
    Acd__V1__Envelope zero;
    memset(&zero, 0, sizeof(zero));
    acd_buf_t z = {0};
    assert_int_equal(acd_wire_encode(&zero, &z), -EINVAL);
    assert_int_equal(z.n, 0);
    acd_buf_fini(&z);

    /* Encoding refuses a body pointer that is missing. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER);
    env.offer = NULL;
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), -EINVAL);
    acd_buf_fini(&b);
}

/*
 * A snapshot's part, parts and more must agree: a receiver counts the parts, so a part
 * it cannot place (or a `more` without a count) is refused before it reaches it.
 */
static void test_snapshot_part_rules(void **state)
{
    (void)state;
    static const struct {
        uint32_t part, parts;
        int more;
        bool ok;
    } cases[] = {
        {0, 0, 0, true}, /* single part, from a sender built before part/parts */
        {0, 1, 0, true}, /* single part */
        {0, 2, 1, true}, /* first of two */
        {1, 2, 0, true}, /* last of two */
        {1, 3, 1, true}, /* middle */
        {ACD_WIRE_SNAPSHOT_PARTS_MAX - 1, ACD_WIRE_SNAPSHOT_PARTS_MAX, 0, true},
        {0, ACD_WIRE_SNAPSHOT_PARTS_MAX, 1, true},
        {0, ACD_WIRE_SNAPSHOT_PARTS_MAX + 1, 1, false}, /* too many parts */
        {0, UINT32_MAX, 1, false},
        {2, 2, 0, false}, /* part not below parts */
        {7, 3, 0, false},
        {UINT32_MAX, 3, 0, false},
        {1, 1, 0, false}, /* a part number in a single-part snapshot */
        {3, 0, 0, false},
        {0, 0, 1, false}, /* more without a count: parts nobody can check */
        {0, 1, 1, false},
        {2, 3, 1, false}, /* more on the last part */
        {1, 3, 0, false}, /* no more before the last part */
        {0, 2, 0, false},
    };
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s.snapshot.part = cases[i].part;
        s.snapshot.parts = cases[i].parts;
        s.snapshot.more = cases[i].more;
        print_message("part %" PRIu32 " of %" PRIu32 ", more %d\n", cases[i].part, cases[i].parts,
                      cases[i].more);
        if (cases[i].ok)
            assert_env_accepted(&env);
        else
            assert_env_refused(&env);
    }
}

static void test_enum_rules(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_CALL);
    s.call.kind = (Acd__V1__CallKind)6;
    assert_env_refused(&env);
    s.call.kind = (Acd__V1__CallKind)-1;
    assert_env_refused(&env);
    s.call.kind = ACD__V1__CALL_KIND__CALL_KIND_UNSPECIFIED;
    assert_env_refused(&env);
    s.call.kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
    s.call.disposition = (Acd__V1__Disposition)4;
    assert_env_refused(&env);
    s.call.disposition = ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_AGENT);
    s.agent.state = (Acd__V1__AgentState)7;
    assert_env_refused(&env);
    s.agent.state = ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED;
    assert_env_refused(&env);
    s.agent.state = ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER_REJECT);
    s.reject.reason = ACD__V1__REJECT_REASON__REJECT_REASON_UNSPECIFIED;
    assert_env_refused(&env);
    s.reject.reason = (Acd__V1__RejectReason)99;
    assert_env_refused(&env);
    s.reject.reason = ACD__V1__REJECT_REASON__REJECT_REASON_INVALID;
    assert_env_accepted(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_DIALOG);
    s.dialog.transport = (Acd__V1__Transport)9;
    assert_env_refused(&env);
    s.dialog.transport = ACD__V1__TRANSPORT__TRANSPORT_UDP;
    s.dialog.leg = ACD__V1__LEG_ROLE__LEG_ROLE_UNSPECIFIED;
    assert_env_refused(&env);
    s.dialog.leg = ACD__V1__LEG_ROLE__LEG_ROLE_AGENT;

    /* An undefined enum deep inside a snapshot is found too. */
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    s.reg.transport = (Acd__V1__Transport)4;
    assert_env_refused(&env);
}

static void test_body_rules(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_CALL);
    s.call.agent_id = "";
    assert_env_refused(&env); /* CONNECTED needs its agent */
    s.call.agent_id = "2001";
    s.call.answer_ms = 0;
    assert_env_refused(&env); /* and its answer time */
    s.call.answer_ms = 1795093460000;
    s.call.disposition = ACD__V1__DISPOSITION__DISPOSITION_ANSWERED;
    assert_env_refused(&env); /* disposition before ENDED */
    s.call.kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
    assert_env_refused(&env); /* ENDED without end_ms */
    s.call.end_ms = 1795093500000;
    assert_env_accepted(&env);
    s.call.disposition = ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED;
    assert_env_refused(&env);
    s.call.disposition = ACD__V1__DISPOSITION__DISPOSITION_ANSWERED;
    s.call.caller = ""; /* a withheld number is allowed */
    assert_env_accepted(&env);
    s.call.queue = "";
    assert_env_refused(&env);
    s.call.queue = "reception";
    s.call.enqueue_ms = 0;
    assert_env_refused(&env);
    s.call.enqueue_ms = 1;

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_AGENT);
    s.agent.call_id = "";
    assert_env_refused(&env); /* ON_CALL without its call */
    s.agent.state = ACD__V1__AGENT_STATE__AGENT_STATE_AVAILABLE;
    assert_env_accepted(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_REGISTRATION);
    s.reg.contact = "";
    assert_env_refused(&env);
    s.reg.removed = 1; /* a removal needs no contact or transport */
    s.reg.transport = ACD__V1__TRANSPORT__TRANSPORT_UNSPECIFIED;
    assert_env_accepted(&env);
    s.reg.user = "";
    assert_env_refused(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER);
    s.offer.epoch = 0;
    assert_env_refused(&env);
    s.offer.epoch = 7;
    s.offer.call_site = "";
    assert_env_refused(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT);
    s.accept.offer_id = "";
    assert_env_refused(&env);

    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_DIALOG);
    s.dialog.sip_call_id = "";
    assert_env_refused(&env);
    s.dialog.sip_call_id = "x@y";
    s.dialog.remote_sdp = "v=0\r\n\x01";
    assert_env_refused(&env); /* SDP allows CR LF tab, no other controls */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_oversized_frame),
        cmocka_unit_test(test_truncated_frames),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_mutated_frames),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_id_lengths),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_snapshot_part_rules),
        cmocka_unit_test(test_enum_rules),
        cmocka_unit_test(test_body_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
