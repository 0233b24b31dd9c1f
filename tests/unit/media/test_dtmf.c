/* test_dtmf.c - RFC 4733 telephone-event packets, key-press dedupe, SIP INFO DTMF bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "media/dtmf.h"
#include "util/log.h"

/* Fixed header bytes: V=2 (flags in b0), PT 101, seq 0x0102, ts 0x00001000, SSRC 0xCAFEBABE. */
#define HDR(b0, b1) b0, b1, 0x01, 0x02, 0x00, 0x00, 0x10, 0x00, 0xCA, 0xFE, 0xBA, 0xBE

typedef struct rfc_case {
    const char *name;
    uint8_t pkt[64];
    size_t len;
    int te_pt;
    int rc;
    char digit;
    bool end;
    uint8_t volume;
    uint16_t duration;
} rfc_case_t;

static const rfc_case_t rfc_cases[] = {
    {"digit 5 start", {HDR(0x80, 0xE5), 5, 0x0A, 0x00, 0xA0}, 16, 101, 0, '5', false, 10, 160},
    {"digit 0", {HDR(0x80, 0x65), 0, 0x0A, 0x00, 0x00}, 16, 101, 0, '0', false, 10, 0},
    {"star end", {HDR(0x80, 0x65), 10, 0x8A, 0x03, 0x20}, 16, 101, 0, '*', true, 10, 800},
    {"hash", {HDR(0x80, 0x65), 11, 0x3F, 0xFF, 0xFF}, 16, 101, 0, '#', false, 63, 65535},
    {"A", {HDR(0x80, 0x65), 12, 0x00, 0x00, 0x50}, 16, 101, 0, 'A', false, 0, 80},
    {"D end, R bit set", {HDR(0x80, 0x65), 15, 0xC7, 0x01, 0x40}, 16, 101, 0, 'D', true, 7, 320},
    {"two CSRCs skipped",
     {HDR(0x82, 0x65), 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x80, 0x01, 0x00},
     24,
     101,
     0,
     '9',
     true,
     0,
     256},
    {"extension of one word skipped",
     {HDR(0x90, 0x65), 0xBE, 0xDE, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 3, 0x05, 0x00, 0xA0},
     24,
     101,
     0,
     '3',
     false,
     5,
     160},
    {"CSRC and extension",
     {HDR(0x91, 0x65), 9, 9, 9, 9, 0xBE, 0xDE, 0x00, 0x00, 7, 0x85, 0x00, 0x10},
     24,
     101,
     0,
     '7',
     true,
     5,
     16},
    {"padding of 4 stripped",
     {HDR(0xA0, 0x65), 8, 0x0A, 0x00, 0x20, 0, 0, 0, 4},
     20,
     101,
     0,
     '8',
     false,
     10,
     32},
    {"payload longer than one event",
     {HDR(0x80, 0x65), 2, 0x0A, 0x00, 0x20, 2, 0x0A, 0x00, 0x10},
     20,
     101,
     0,
     '2',
     false,
     10,
     32},
    {"other PT is audio", {HDR(0x80, 0x00), 0xFF, 0xFF, 0xFF, 0xFF}, 16, 101, -ENOMSG, 0, 0, 0, 0},
    {"PT 96 when te is 101", {HDR(0x80, 0x60), 5, 0x0A, 0x00, 0xA0}, 16, 101, -ENOMSG, 0, 0, 0, 0},
    {"flash (16) not a digit",
     {HDR(0x80, 0x65), 16, 0x0A, 0x00, 0xA0},
     16,
     101,
     -ENOTSUP,
     0,
     0,
     0,
     0},
    {"event 255", {HDR(0x80, 0x65), 255, 0x0A, 0x00, 0xA0}, 16, 101, -ENOTSUP, 0, 0, 0, 0},
    {"payload of 3 bytes", {HDR(0x80, 0x65), 5, 0x0A, 0x00}, 15, 101, -EINVAL, 0, 0, 0, 0},
    {"no payload", {HDR(0x80, 0x65)}, 12, 101, -EINVAL, 0, 0, 0, 0},
    {"short header", {HDR(0x80, 0x65)}, 11, 101, -EINVAL, 0, 0, 0, 0},
    {"empty", {0}, 0, 101, -EINVAL, 0, 0, 0, 0},
    {"version 1", {HDR(0x40, 0x65), 5, 0x0A, 0x00, 0xA0}, 16, 101, -EINVAL, 0, 0, 0, 0},
    {"version 0 (STUN-like)", {HDR(0x00, 0x01), 5, 0x0A, 0x00, 0xA0}, 16, 101, -EINVAL, 0, 0, 0, 0},
    {"CSRC count beyond packet",
     {HDR(0x8F, 0x65), 5, 0x0A, 0x00, 0xA0},
     16,
     101,
     -EINVAL,
     0,
     0,
     0,
     0},
    {"extension header cut", {HDR(0x90, 0x65), 0xBE, 0xDE}, 14, 101, -EINVAL, 0, 0, 0, 0},
    {"extension length beyond packet",
     {HDR(0x90, 0x65), 0xBE, 0xDE, 0x00, 0x09, 5, 0x0A, 0x00, 0xA0},
     20,
     101,
     -EINVAL,
     0,
     0,
     0,
     0},
    {"padding count 0", {HDR(0xA0, 0x65), 5, 0x0A, 0x00, 0x00}, 16, 101, -EINVAL, 0, 0, 0, 0},
    {"padding beyond payload",
     {HDR(0xA0, 0x65), 5, 0x0A, 0x00, 0x09},
     16,
     101,
     -EINVAL,
     0,
     0,
     0,
     0},
    {"padding leaves 3 bytes",
     {HDR(0xA0, 0x65), 5, 0x0A, 0x00, 0xA0, 2},
     17,
     101,
     -EINVAL,
     0,
     0,
     0,
     0},
};

static void test_rfc4733_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc_cases) / sizeof(rfc_cases[0]); i++) {
        const rfc_case_t *c = &rfc_cases[i];
        acd_dtmf_event_t ev;
        memset(&ev, 0x5A, sizeof(ev));
        print_message("case %s\n", c->name);
        assert_int_equal(acd_dtmf_rfc4733_parse(c->pkt, c->len, c->te_pt, &ev), c->rc);
        if (c->rc < 0)
            continue;
        assert_int_equal(ev.digit, c->digit);
        assert_int_equal(ev.end, c->end);
        assert_int_equal(ev.volume, c->volume);
        assert_int_equal(ev.duration, c->duration);
        assert_int_equal(ev.ts, 0x1000);
        assert_int_equal(ev.seq, 0x0102);
        assert_int_equal(ev.ssrc, 0xCAFEBABE);
    }
    assert_int_equal(acd_dtmf_rfc4733_parse(NULL, 16, 101, NULL), -EINVAL);
}

static void test_digit_codes(void **state)
{
    (void)state;
    const char *want = "0123456789*#ABCD";
    for (unsigned e = 0; e < 16; e++)
        assert_int_equal(acd_dtmf_digit(e), want[e]);
    assert_int_equal(acd_dtmf_digit(16), '\0');
    assert_int_equal(acd_dtmf_digit(200), '\0');
}

/* One packet of a scripted sequence: what the sender sent and what must be reported. */
typedef struct feed_step {
    uint32_t ts;
    uint32_t ssrc;
    char digit;
    bool end;
    uint16_t duration;
    const char *want; /* the digits reported for this packet, in order */
    int want_ms;      /* duration of the last digit reported */
} feed_step_t;

typedef struct feed_case {
    const char *name;
    feed_step_t steps[12];
    size_t n;
} feed_case_t;

#define S1 0x1111u
#define S2 0x2222u

static const feed_case_t feed_cases[] = {
    {"press with three end packets",
     {{1000, S1, '5', false, 160, "", 0},
      {1000, S1, '5', false, 320, "", 0},
      {1000, S1, '5', true, 800, "5", 100},
      {1000, S1, '5', true, 800, "", 0},
      {1000, S1, '5', true, 800, "", 0}},
     5},
    {"two presses in a row",
     {{1000, S1, '1', false, 160, "", 0},
      {1000, S1, '1', true, 640, "1", 80},
      {1000, S1, '1', true, 640, "", 0},
      {3000, S1, '2', false, 160, "", 0},
      {3000, S1, '2', true, 480, "2", 60},
      {3000, S1, '2', true, 480, "", 0}},
     6},
    {"same digit twice is two presses",
     {{1000, S1, '7', true, 400, "7", 50}, {2000, S1, '7', true, 400, "7", 50}},
     2},
    {"end packets all lost: reported when the next starts",
     {{1000, S1, '4', false, 160, "", 0},
      {1000, S1, '4', false, 480, "", 0},
      {5000, S1, '#', false, 160, "4", 60},
      {5000, S1, '#', true, 320, "#", 40}},
     4},
    {"lost end then a new event over in one packet",
     {{1000, S1, '1', false, 160, "", 0}, {4000, S1, '2', true, 400, "12", 50}},
     2},
    {"start lost: first packet is an end",
     {{1000, S1, '9', true, 800, "9", 100}, {1000, S1, '9', true, 800, "", 0}},
     2},
    {"late end of the previous event after a new one started",
     {{1000, S1, '1', true, 400, "1", 50},
      {2000, S1, '2', false, 160, "", 0},
      {1000, S1, '1', true, 400, "", 0},
      {2000, S1, '2', true, 320, "2", 40}},
     4},
    {"reordered shorter update keeps the longer duration",
     {{1000, S1, '3', false, 480, "", 0},
      {1000, S1, '3', false, 160, "", 0},
      {3000, S1, '6', false, 160, "3", 60}},
     3},
    {"new SSRC starts afresh (same timestamp)",
     {{1000, S1, '1', true, 400, "1", 50}, {1000, S2, '1', true, 400, "1", 50}},
     2},
    {"new SSRC with an older timestamp",
     {{9000, S1, '1', false, 400, "", 0}, {1000, S2, '2', true, 400, "12", 50}},
     2},
    {"timestamp wraps around",
     {{0xFFFFFF00u, S1, 'A', true, 400, "A", 50}, {0x00000100u, S1, 'B', true, 400, "B", 50}},
     2},
    {"sender clock restarted far back",
     {{900000, S1, 'C', true, 400, "C", 50}, {1000, S1, 'D', true, 400, "D", 50}},
     2},
};

static void test_rx_feed_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(feed_cases) / sizeof(feed_cases[0]); i++) {
        const feed_case_t *c = &feed_cases[i];
        acd__dtmf_rx_t rx;
        memset(&rx, 0, sizeof(rx));
        print_message("case %s\n", c->name);
        for (size_t k = 0; k < c->n; k++) {
            const feed_step_t *st = &c->steps[k];
            acd_dtmf_event_t ev = {.digit = st->digit,
                                   .end = st->end,
                                   .duration = st->duration,
                                   .ts = st->ts,
                                   .seq = (uint16_t)k,
                                   .ssrc = st->ssrc};
            acd__dtmf_press_t out[2];
            int n = acd__dtmf_rx_feed(&rx, &ev, out);
            assert_int_equal(n, (int)strlen(st->want));
            for (int j = 0; j < n; j++)
                assert_int_equal(out[j].digit, st->want[j]);
            if (n > 0)
                assert_int_equal(out[n - 1].duration_ms, st->want_ms);
        }
    }
}

typedef struct info_case {
    const char *ct;
    const char *body;
    int rc;
    char digit;
    int ms;
} info_case_t;

static const info_case_t info_cases[] = {
    {"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 0, '5', 160},
    {"application/dtmf-relay", "Signal=5\nDuration=250", 0, '5', 250},
    {"Application/DTMF-Relay", "signal = # \r\nduration= 100\r\n", 0, '#', 100},
    {"application/dtmf-relay; charset=utf-8", "Signal=*\r\n", 0, '*', 0},
    {" application/dtmf-relay ", "Signal=10\r\nDuration=80\r\n", 0, '*', 80},
    {"application/dtmf-relay", "Signal=11\r\n", 0, '#', 0},
    {"application/dtmf-relay", "Signal=a\r\n", 0, 'A', 0},
    {"application/dtmf-relay", "Signal=D\r\n", 0, 'D', 0},
    {"application/dtmf-relay", "\r\nVolume=10\r\nSignal=0\r\n\r\n", 0, '0', 0},
    {"application/dtmf-relay", "Duration=160\r\nSignal=9", 0, '9', 160},
    {"application/dtmf", "5", 0, '5', 0},
    {"application/dtmf", "#\r\n", 0, '#', 0},
    {"application/dtmf", " 11 ", 0, '#', 0},
    /* Junk. */
    {"application/dtmf-relay", "", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Duration=160\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=E\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=12\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=16\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=55\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nSignal=6\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=abc\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=-1\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=99999999999\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal=5\r\nDuration=\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signal 5\r\n", -EINVAL, 0, 0},
    {"application/dtmf-relay", "hello world", -EINVAL, 0, 0},
    {"application/dtmf-relay", "Signalx=5\r\n", -EINVAL, 0, 0},
    {"application/dtmf", "", -EINVAL, 0, 0},
    {"application/dtmf", "55", -EINVAL, 0, 0},
    {"application/dtmf", "x", -EINVAL, 0, 0},
    {"application/dtmf", "Signal=5", -EINVAL, 0, 0},
    {"application/sdp", "Signal=5\r\n", -EINVAL, 0, 0},
    {"text/plain", "5", -EINVAL, 0, 0},
    {"application/dtmf-relayx", "Signal=5\r\n", -EINVAL, 0, 0},
    {"application/dtm", "5", -EINVAL, 0, 0},
    {"", "5", -EINVAL, 0, 0},
};

static void test_info_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(info_cases) / sizeof(info_cases[0]); i++) {
        const info_case_t *c = &info_cases[i];
        char digit = 'x';
        int ms = -7;
        print_message("case %zu: %s | %s\n", i, c->ct, c->body);
        int rc = acd_dtmf_info_parse(c->ct, strlen(c->ct), c->body, strlen(c->body), &digit, &ms);
        assert_int_equal(rc, c->rc);
        if (rc < 0) {
            /* Outputs are written only on success. */
            assert_int_equal(digit, 'x');
            assert_int_equal(ms, -7);
            continue;
        }
        assert_int_equal(digit, c->digit);
        assert_int_equal(ms, c->ms);
    }
}

static void test_info_slices(void **state)
{
    (void)state;
    /* Neither argument is NUL-terminated: only len bytes count. */
    const char ct[] = "application/dtmf-relayGARBAGE";
    const char body[] = "Signal=3\r\nDuration=40\r\nSignal=4";
    char digit = 0;
    int ms = 0;
    assert_int_equal(acd_dtmf_info_parse(ct, 22, body, 22, &digit, &ms), 0);
    assert_int_equal(digit, '3');
    assert_int_equal(ms, 40);
    assert_int_equal(acd_dtmf_info_parse(ct, 23, body, 22, &digit, &ms), -EINVAL);
    assert_int_equal(acd_dtmf_info_parse(ct, 22, body, sizeof(body) - 1, &digit, &ms), -EINVAL);
    assert_int_equal(acd_dtmf_info_parse(NULL, 0, body, 4, &digit, &ms), -EINVAL);
    assert_int_equal(acd_dtmf_info_parse(ct, 22, NULL, 4, &digit, &ms), -EINVAL);
    assert_int_equal(acd_dtmf_info_parse(ct, 22, NULL, 0, &digit, &ms), -EINVAL);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4733_parse_table), cmocka_unit_test(test_digit_codes),
        cmocka_unit_test(test_rx_feed_table),       cmocka_unit_test(test_info_parse_table),
        cmocka_unit_test(test_info_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
