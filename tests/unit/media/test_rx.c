/* test_rx.c - a stream's receive side on a real loop: RFC 4733 DTMF and recordings over UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>

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

/* Builds a PCMU audio packet: 160 samples of the fixture tone from sample ts on. */
static size_t audio_pkt(uint8_t *out, uint16_t seq, uint32_t ts)
{
    acd_rtp_hdr_t h = {.marker = false, .pt = 0, .seq = seq, .ts = ts, .ssrc = SSRC};
    acd__rtp_hdr_write(out, &h);
    for (size_t i = 0; i < 160; i++)
        out[12 + i] = linear_to_ulaw(fixture_tone(ts + i));
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

/* What a recording's done callback saw; it may start another recording. */
typedef struct rec_done {
    int calls;
    int rc;
    int duration_ms;
    bool done;
    acd_media_stream_t *restart; /* starts restart_path on this stream from the callback */
    const char *restart_path;
    int restart_rc;
} rec_done_t;

static void rec_done_cb(void *ud, int rc, int duration_ms)
{
    rec_done_t *d = ud;
    d->calls++;
    d->rc = rc;
    d->duration_ms = duration_ms;
    d->done = true;
    if (d->restart) {
        d->restart_rc =
            acd_media_stream_record_start(d->restart, d->restart_path, 1000, NULL, NULL);
        d->restart = NULL;
    }
}

/* Runs the loop until st has received n packets in all (or a second has passed). */
static void await_rx(fx_t *f, acd_media_stream_t *st, uint64_t n)
{
    uint64_t deadline = uv_hrtime() + UINT64_C(1000000000);
    while (acd_media_stream_rx(st) < n && uv_hrtime() < deadline)
        run_for(&f->loop, 5);
}

/* Sends count tone packets from seq/ts on (20 ms each) and returns the next ts. */
static uint32_t send_tone(fx_t *f, uint16_t port, uint16_t seq, uint32_t ts, int count)
{
    uint8_t b[200];
    for (int i = 0; i < count; i++, ts += 160)
        sink_send(&f->sink, port, b, audio_pkt(b, (uint16_t)(seq + i), ts));
    return ts;
}

/* Reads the WAV at path and checks it is tone[from, from+n) then silence ... by segs. */
static void check_wav(const char *path, long frames, const long *segs, size_t n_segs)
{
    static int16_t pcm[16000];
    SF_INFO info;
    assert_int_equal(fixture_wav_read(path, pcm, 16000, &info), frames);
    assert_int_equal(info.samplerate, 8000);
    assert_int_equal(info.channels, 1);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    /* segs: pairs of (first tone sample or -1 for silence, length). */
    long at = 0;
    for (size_t k = 0; k < n_segs; k++) {
        long src = segs[2 * k], len = segs[2 * k + 1];
        for (long i = 0; i < len; i++, at++) {
            int16_t want =
                src < 0 ? 0 : ulaw_to_linear(linear_to_ulaw(fixture_tone((size_t)(src + i))));
            assert_int_equal(pcm[at], want);
        }
    }
    assert_int_equal(at, frames);
}

static void test_record_over_udp(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 45600, 45799);
    uint16_t port = acd_media_stream_port(st);
    char path[128], part[136];
    snprintf(part, sizeof(part), "%s.part", fx_path(f, "msg.wav", path, sizeof(path)));
    presses_t p = {.n = 0};
    rec_done_t d = {.calls = 0};
    assert_int_equal(acd_media_stream_set_dtmf(st, TE_PT, dtmf_cb, &p), 0);
    assert_int_equal(acd_media_stream_record_start(st, path, 10000, rec_done_cb, &d), 0);
    assert_int_equal(acd_media_stream_record_start(st, path, 10000, rec_done_cb, &d), -EBUSY);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.recordings, 1);

    /* 20 packets; a key press (not audio) in place of the next one; 4 packets lost; 10. */
    uint32_t ts = send_tone(f, port, 0, 0, 20);
    uint8_t b[32];
    sink_send(&f->sink, port, b, te_pkt(b, 20, ts, 9, true, 160));
    send_tone(f, port, 25, 25 * 160, 10);
    await_rx(f, st, 31);
    assert_int_equal(acd_media_stream_rx(st), 31);
    /* While recording, readers see only the .part file. */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(part, F_OK), 0);
    assert_int_equal(d.calls, 0);

    assert_int_equal(acd_media_stream_record_stop(st), 0);
    assert_int_equal(d.calls, 1); /* before stop returned */
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.duration_ms, 35 * 20);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.digits[0], '9');
    assert_int_equal(access(part, F_OK), -1);
    const long segs[] = {0, 20 * 160, -1, 5 * 160, 25 * 160, 10 * 160};
    check_wav(path, 35 * 160, segs, 3);
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.recordings, 0);
    assert_int_equal(stats.records_done, 1);
    assert_int_equal(acd_media_stream_record_stop(st), -ENOENT);
    /* After the recording, audio is only counted. */
    send_tone(f, port, 35, 35 * 160, 2);
    await_rx(f, st, 33);
    assert_int_equal(d.calls, 1);

    char bad[160];
    snprintf(bad, sizeof(bad), "%s/no/such/dir/x.wav", f->dir);
    assert_int_equal(acd_media_stream_record_start(st, bad, 1000, rec_done_cb, &d), -ENOENT);
    assert_int_equal(acd_media_stream_record_start(st, path, 0, rec_done_cb, &d), -EINVAL);
    assert_int_equal(acd_media_stream_record_start(st, "", 1000, rec_done_cb, &d), -EINVAL);
    assert_int_equal(acd_media_stream_record_start(NULL, path, 1000, rec_done_cb, &d), -EINVAL);
    fx_close_all(f);
}

static void test_record_max_and_close(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 45800, 45999);
    uint16_t port = acd_media_stream_port(st);
    char path[128], path2[128];
    fx_path(f, "max.wav", path, sizeof(path));
    /* max 100 ms = 5 packets; the done callback starts the next recording at once. */
    rec_done_t d = {.restart = st,
                    .restart_path = fx_path(f, "next.wav", path2, sizeof(path2)),
                    .restart_rc = 1};
    assert_int_equal(acd_media_stream_record_start(st, path, 100, rec_done_cb, &d), 0);
    send_tone(f, port, 0, 0, 8);
    await_rx(f, st, 8);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.duration_ms, 100);
    assert_int_equal(d.restart_rc, 0);
    const long segs[] = {0, 800};
    check_wav(path, 800, segs, 1);
    /* The second recording takes packets 5..9 (no fill: it starts with packet 5). */
    send_tone(f, port, 8, 8 * 160, 2);
    await_rx(f, st, 10);
    /* Closing the stream ends the recording and keeps it, before close returns. */
    acd_media_stream_close(st);
    const long segs2[] = {5 * 160, 5 * 160};
    check_wav(path2, 800, segs2, 1);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.records_done, 2);
    assert_int_equal(stats.recordings, 0);
    fx_close_all(f);
}

static void test_record_deadline(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 46000, 46199);
    char path[128];
    fx_path(f, "quiet.wav", path, sizeof(path));
    rec_done_t d = {.calls = 0};
    /* Nothing is sent: the tick ends it max_ms + 1 s after the start. */
    uint64_t t0 = uv_hrtime();
    assert_int_equal(acd_media_stream_record_start(st, path, 50, rec_done_cb, &d), 0);
    run_until(&f->loop, &d.done, 3000);
    uint64_t ms = (uv_hrtime() - t0) / 1000000;
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.rc, 0);
    assert_int_equal(d.duration_ms, 0);
    assert_in_range(ms, 1040, 1300);
    check_wav(path, 0, NULL, 0);
    /* A recording open when the engine closes is ended and kept too. */
    rec_done_t d2 = {.calls = 0};
    fx_path(f, "last.wav", path, sizeof(path));
    assert_int_equal(acd_media_stream_record_start(st, path, 5000, rec_done_cb, &d2), 0);
    acd_media_close(f->m, media_closed_cb, &f->media_closed);
    assert_int_equal(d2.calls, 1);
    assert_int_equal(d2.rc, 0);
    check_wav(path, 0, NULL, 0);
    fx_close_all(f);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dtmf_over_udp, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dtmf_cb_closes_stream, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_record_over_udp, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_record_max_and_close, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_record_deadline, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
