/* test_rx.c - a stream's receive side on a real loop: RFC 4733 DTMF sent over UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "media/media.h"
#include "media/rtp.h"
#include "stream_fixture.h"
#include "util/log.h"

#define TE_PT 101
#define SSRC 0x5EED1234u

/* What the DTMF callback saw. */
typedef struct presses {
    char digits[32];
    int ms[32];
    size_t n;
    size_t want; /* stop the loop when n reaches want */
    bool done;
    acd_media_stream_t *close_on_first; /* closes this stream from the first callback */
} presses_t;

static void dtmf_cb(void *ud, char digit, int duration_ms)
{
    presses_t *p = ud;
    if (p->n < sizeof(p->digits) - 1) {
        p->digits[p->n] = digit;
        p->ms[p->n++] = duration_ms;
    }
    if (p->close_on_first) {
        acd_media_stream_close(p->close_on_first);
        p->close_on_first = NULL;
    }
    if (p->n >= p->want)
        p->done = true; /* run_until() returns after this loop iteration */
}

/* Builds a telephone-event packet (16 bytes) into out. */
static size_t te_pkt(uint8_t *out, uint16_t seq, uint32_t ts, uint8_t event, bool end,
                     uint16_t duration)
{
    acd_rtp_hdr_t h = {.marker = false, .pt = TE_PT, .seq = seq, .ts = ts, .ssrc = SSRC};
    acd__rtp_hdr_write(out, &h);
    out[12] = event;
    out[13] = (uint8_t)((end ? 0x80 : 0) | 10);
    out[14] = (uint8_t)(duration >> 8);
    out[15] = (uint8_t)duration;
    return 16;
}

/* Builds a PCMU audio packet of 160 bytes of silence. */
static size_t audio_pkt(uint8_t *out, uint16_t seq, uint32_t ts)
{
    acd_rtp_hdr_t h = {.marker = false, .pt = 0, .seq = seq, .ts = ts, .ssrc = SSRC};
    acd__rtp_hdr_write(out, &h);
    memset(out + 12, 0xFF, 160);
    return 172;
}

/* Runs the loop until want presses have been reported (or a second has passed). */
static void await(fx_t *f, presses_t *p, size_t want)
{
    p->want = want;
    p->done = p->n >= want;
    run_until(&f->loop, &p->done, 1000);
}

static void test_dtmf_over_udp(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 45200, 45399);
    uint16_t port = acd_media_stream_port(st);
    presses_t p = {.n = 0};
    assert_int_equal(acd_media_stream_set_dtmf(st, TE_PT, dtmf_cb, &p), 0);

    uint8_t b[256];
    uint16_t seq = 100;
    /* Audio, then '1' held 100 ms with its three end packets, then audio again. */
    sink_send(&f->sink, port, b, audio_pkt(b, seq++, 8000));
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 8160, 1, false, 160));
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 8160, 1, false, 480));
    for (int i = 0; i < 3; i++)
        sink_send(&f->sink, port, b, te_pkt(b, seq++, 8160, 1, true, 800));
    sink_send(&f->sink, port, b, audio_pkt(b, seq++, 9120));
    /* Junk and non-digit events in between: counted, never reported. */
    sink_send(&f->sink, port, b, 5); /* too short for RTP */
    b[0] = 0x40;                     /* version 1 */
    sink_send(&f->sink, port, b, 16);
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 9280, 1, true, 800) - 2); /* payload cut */
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 9280, 16, true, 800));    /* flash */
    /* '#' whose end packets are all lost, then '5': '#' is reported when '5' starts. */
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 9440, 11, false, 160));
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 9440, 11, false, 320));
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 12000, 5, false, 160));
    for (int i = 0; i < 3; i++)
        sink_send(&f->sink, port, b, te_pkt(b, seq++, 12000, 5, true, 640));
    await(f, &p, 3);
    assert_int_equal(p.n, 3);
    assert_memory_equal(p.digits, "1#5", 3);
    assert_int_equal(p.ms[0], 100);
    assert_int_equal(p.ms[1], 40);
    assert_int_equal(p.ms[2], 80);
    /* Everything sent has been received by now (one socket, in order). */
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(acd_media_stream_rx(st), seq - 100 + 2);
    assert_int_equal(stats.rtp_received, seq - 100 + 2);
    assert_int_equal(stats.dtmf_digits, 3);
    assert_int_equal(stats.rtp_malformed, 3);

    /* Turned off: telephone-events are ignored. */
    assert_int_equal(acd_media_stream_set_dtmf(st, -1, NULL, NULL), 0);
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 20000, 7, true, 400));
    /* Back on with another payload type: 101 is now plain (unknown) RTP. */
    assert_int_equal(acd_media_stream_set_dtmf(st, 96, dtmf_cb, &p), 0);
    sink_send(&f->sink, port, b, te_pkt(b, seq++, 21000, 8, true, 400));
    b[1] = 96;
    sink_send(&f->sink, port, b, 16); /* the same '8' as PT 96 */
    await(f, &p, 4);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.digits[3], '8');
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.dtmf_digits, 4);
    assert_int_equal(stats.rtp_malformed, 3);

    assert_int_equal(acd_media_stream_set_dtmf(st, 95, dtmf_cb, &p), -EINVAL);
    assert_int_equal(acd_media_stream_set_dtmf(st, 128, dtmf_cb, &p), -EINVAL);
    assert_int_equal(acd_media_stream_set_dtmf(st, 101, NULL, &p), -EINVAL);
    assert_int_equal(acd_media_stream_set_dtmf(NULL, 101, dtmf_cb, &p), -EINVAL);
    acd_media_stream_close(st);
    assert_int_equal(acd_media_stream_set_dtmf(st, 101, dtmf_cb, &p), -EINVAL);
    fx_close_all(f);
}

static void test_dtmf_cb_closes_stream(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 45400, 45599);
    uint16_t port = acd_media_stream_port(st);
    presses_t p = {.close_on_first = st};
    assert_int_equal(acd_media_stream_set_dtmf(st, TE_PT, dtmf_cb, &p), 0);
    uint8_t b[32];
    /* '3' never ends; '4' is over in its first packet: one packet, two presses. */
    sink_send(&f->sink, port, b, te_pkt(b, 1, 1000, 3, false, 160));
    sink_send(&f->sink, port, b, te_pkt(b, 2, 3000, 4, true, 400));
    sink_send(&f->sink, port, b, te_pkt(b, 3, 5000, 6, true, 400));
    await(f, &p, 1);
    run_for(&f->loop, 30);
    /* The first callback closed the stream: the second press of that packet is dropped. */
    assert_int_equal(p.n, 1);
    assert_int_equal(p.digits[0], '3');
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_open, 0);
    assert_int_equal(stats.dtmf_digits, 1);
    fx_close_all(f);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dtmf_over_udp, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dtmf_cb_closes_stream, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
