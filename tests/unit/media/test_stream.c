/* test_stream.c - media streams on a real loop: RTP to a local sink, pacing, playlists, close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#include "media/media.h"
#include "media/rtp.h"
#include "stream_fixture.h"
#include "util/log.h"

/* Checks packets [from, to) of the sink: contiguous RTP of one source in pt. */
static void check_run(const sink_t *s, size_t from, size_t to, uint8_t pt, uint32_t ssrc)
{
    for (size_t i = from; i < to; i++) {
        acd_rtp_hdr_t h, prev;
        assert_int_equal(s->lens[i], PKT_LEN);
        assert_int_equal(acd__rtp_hdr_read(s->pkts[i], s->lens[i], &h), 0);
        assert_int_equal(s->pkts[i][0], 0x80); /* V=2, no padding, extension or CSRC */
        assert_int_equal(h.pt, pt);
        assert_int_equal(h.ssrc, ssrc);
        if (i == 0)
            continue;
        assert_int_equal(acd__rtp_hdr_read(s->pkts[i - 1], s->lens[i - 1], &prev), 0);
        assert_int_equal((uint16_t)(prev.seq + 1), h.seq);
        assert_int_equal((uint32_t)(prev.ts + 160), h.ts);
    }
}

static bool is_marked(const sink_t *s, size_t i)
{
    return (s->pkts[i][1] & 0x80) != 0;
}

static bool payload_all(const sink_t *s, size_t i, uint8_t v)
{
    for (size_t k = ACD_RTP_HEADER_LEN; k < PKT_LEN; k++) {
        if (s->pkts[i][k] != v)
            return false;
    }
    return true;
}

static void test_play_pacing_and_switch(void **state)
{
    fx_t *f = *state;
    assert_int_equal(media_open(f, 44000, 44199), 0);
    acd_media_stream_t *st = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &st), 0);
    uint16_t port = acd_media_stream_port(st);
    assert_int_equal(port % 2, 0);
    assert_true(port >= 44000 && port < 44199);

    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_open, 1);
    assert_int_equal(stats.streams_playing, 0);

    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMU,
                                           "en", "greeting", "moh"),
                     0);
    run_for(&f->loop, 300);
    sink_t *s = &f->sink;
    size_t n1 = s->n;
    print_message("packets in 300 ms: %zu\n", n1);
    assert_in_range(n1, 10, 20);
    acd_rtp_hdr_t h0;
    assert_int_equal(acd__rtp_hdr_read(s->pkts[0], s->lens[0], &h0), 0);
    check_run(s, 0, n1, 0, h0.ssrc);
    /* Marker at the start of the greeting and of the music, not when the music loops. */
    for (size_t i = 0; i < n1; i++)
        assert_int_equal(is_marked(s, i), i == 0 || i == 5);
    assert_false(payload_all(s, 0, 0xFF)); /* tone */
    for (size_t i = 5; i < n1; i++)
        assert_true(payload_all(s, i, 0xFF)); /* PCMU silence */

    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.rtp_sent, n1);
    assert_int_equal(stats.streams_playing, 1);
    assert_int_equal(stats.send_errors, 0);

    /* Switch playlist and codec: sequence, timestamp and SSRC continue. */
    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMA,
                                           "en", "other", "moh"),
                     0);
    run_for(&f->loop, 140);
    size_t n2 = s->n;
    assert_in_range(n2 - n1, 5, 9);
    acd_rtp_hdr_t last, next;
    assert_int_equal(acd__rtp_hdr_read(s->pkts[n1 - 1], PKT_LEN, &last), 0);
    assert_int_equal(acd__rtp_hdr_read(s->pkts[n1], PKT_LEN, &next), 0);
    assert_int_equal(next.seq, (uint16_t)(last.seq + 1));
    assert_int_equal(next.ts, last.ts + 160);
    check_run(s, n1, n2, 8, h0.ssrc);
    for (size_t i = n1; i < n2; i++)
        assert_int_equal(is_marked(s, i), i == n1 || i == n1 + 3);
    for (size_t i = n1 + 3; i < n2; i++)
        assert_true(payload_all(s, i, 0xD5)); /* PCMA silence */

    /* Receive side: packets to the stream's port are counted. */
    struct sockaddr_in to;
    uv_ip4_addr("127.0.0.1", port, &to);
    for (int i = 0; i < 3; i++) {
        uv_buf_t b = uv_buf_init((char *)s->pkts[0], PKT_LEN);
        assert_int_equal(uv_udp_try_send(&s->udp, &b, 1, (struct sockaddr *)&to), PKT_LEN);
    }
    run_for(&f->loop, 30);
    assert_int_equal(acd_media_stream_rx(st), 3);
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.rtp_received, 3);

    /* Stop: nothing more is sent, the port stays. */
    acd_media_stream_stop(st);
    size_t n3 = s->n;
    run_for(&f->loop, 60);
    assert_int_equal(s->n, n3);
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_playing, 0);
    assert_int_equal(stats.streams_open, 1);
    assert_int_equal(acd_media_stream_port(st), port);

    acd_media_stream_close(st);
    acd_media_stream_close(st); /* idempotent until libuv has closed it */
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_open, 0);
    fx_close_all(f);
}

static void test_first_only_stops(void **state)
{
    fx_t *f = *state;
    assert_int_equal(media_open(f, 44200, 44399), 0);
    acd_media_stream_t *st = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &st), 0);
    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMA,
                                           "es", "greeting", NULL),
                     0);
    run_for(&f->loop, 300);
    /* es greeting is 10 frames; then the stream falls silent by itself. */
    assert_int_equal(f->sink.n, 10);
    acd_rtp_hdr_t h0;
    assert_int_equal(acd__rtp_hdr_read(f->sink.pkts[0], PKT_LEN, &h0), 0);
    check_run(&f->sink, 0, 10, 8, h0.ssrc);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_playing, 0);
    /* Loop only (no first prompt) starts with a marker too. */
    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMU,
                                           "es", NULL, "moh"),
                     0);
    run_for(&f->loop, 100);
    assert_true(f->sink.n > 10);
    assert_true(is_marked(&f->sink, 10));
    check_run(&f->sink, 0, 10, 8, h0.ssrc);
    check_run(&f->sink, 10, f->sink.n, 0, h0.ssrc);
    /* Closing media with the stream still open and playing closes it. */
    fx_close_all(f);
}

static void block_cb(uv_timer_t *t)
{
    /* Simulates a blocked loop (a slow callback elsewhere in the daemon). */
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_late_tick_catches_up(void **state)
{
    fx_t *f = *state;
    assert_int_equal(media_open(f, 44400, 44599), 0);
    acd_media_stream_t *st = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &st), 0);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMU,
                                           "en", "greeting", "moh"),
                     0);
    uv_timer_t blocker;
    uv_timer_init(&f->loop, &blocker);
    uv_timer_start(&blocker, block_cb, 105, 0);
    run_for(&f->loop, 400);
    uint64_t elapsed_ms = (uv_hrtime() - t0) / 1000000;
    uv_close((uv_handle_t *)&blocker, NULL);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    print_message("elapsed %llu ms, packets %zu, late ticks %llu\n", (unsigned long long)elapsed_ms,
                  f->sink.n, (unsigned long long)stats.ticks_late);
    assert_true(stats.ticks_late >= 1);
    /* Catch-up keeps the count on the clock: one frame per 20 ms since play. */
    size_t expect = (size_t)(elapsed_ms / 20);
    assert_in_range(f->sink.n, expect - 2, expect + 1);
    /* The tick after the block sent the overdue frames back to back. */
    size_t burst = 0;
    for (size_t i = 1; i < f->sink.n; i++) {
        if (f->sink.at[i] - f->sink.at[i - 1] < 2000000)
            burst++;
    }
    assert_true(burst >= 1);
    acd_rtp_hdr_t h0;
    assert_int_equal(acd__rtp_hdr_read(f->sink.pkts[0], PKT_LEN, &h0), 0);
    check_run(&f->sink, 0, f->sink.n, 0, h0.ssrc);
    fx_close_all(f);
}

/* Finds b such that b and b+1 bind on 127.0.0.1 now. */
static uint16_t free_pair(uint16_t from)
{
    for (uint16_t b = from; b < from + 1000; b += 2) {
        int ok = 1;
        for (uint16_t p = b; p < b + 2 && ok; p++) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(p)};
            sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
            close(fd);
        }
        if (ok)
            return b;
    }
    return 0;
}

static void test_port_exhaustion(void **state)
{
    fx_t *f = *state;
    uint16_t b = free_pair(44600);
    assert_int_not_equal(b, 0);
    assert_int_equal(media_open(f, b, (uint16_t)(b + 1)), 0);
    acd_media_stream_t *s1 = NULL, *s2 = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &s1), 0);
    assert_int_equal(acd_media_stream_port(s1), b);
    assert_int_equal(acd_media_stream_open(f->m, &s2), -EADDRINUSE);
    assert_null(s2);
    /* Close releases the port at once. */
    acd_media_stream_close(s1);
    assert_int_equal(acd_media_stream_open(f->m, &s2), 0);
    assert_int_equal(acd_media_stream_port(s2), b);
    acd_media_stream_close(s2);
    fx_close_all(f);
}

static void test_close_while_playing(void **state)
{
    fx_t *f = *state;
    assert_int_equal(media_open(f, 44700, 44899), 0);
    acd_media_stream_t *st[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(acd_media_stream_open(f->m, &st[i]), 0);
        assert_int_equal(acd_media_stream_play(st[i], (struct sockaddr *)&f->sink.addr,
                                               ACD_CODEC_PCMU, "en", "greeting", "moh"),
                         0);
    }
    run_for(&f->loop, 50);
    acd_media_stream_close(st[1]);
    run_for(&f->loop, 50);
    acd_media_stream_close(st[2]);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_open, 2);
    assert_int_equal(stats.streams_playing, 2);
    /* st[0] and st[3] are still playing: media close takes them down. */
    fx_close_all(f);
}

static void test_errors(void **state)
{
    fx_t *f = *state;
    acd_media_t *m = NULL;
    acd_media_cfg_t cfg = {.addr = "not-an-ip",
                           .port_min = 45000,
                           .port_max = 45099,
                           .prompts_dir = f->dir,
                           .languages = langs,
                           .n_languages = 2};
    assert_int_equal(acd_media_alloc(&m, &f->loop, &cfg), -EINVAL);
    cfg.addr = "127.0.0.1";
    cfg.n_languages = 0;
    assert_int_equal(acd_media_alloc(&m, &f->loop, &cfg), -EINVAL);
    cfg.n_languages = 2;
    cfg.port_min = 45001;
    cfg.port_max = 45001;
    assert_int_equal(acd_media_alloc(&m, &f->loop, &cfg), -EINVAL);
    cfg.port_min = 45000;
    cfg.port_max = 45099;
    const char *fr[] = {"en", "fr"};
    cfg.languages = fr;
    assert_int_equal(acd_media_alloc(&m, &f->loop, &cfg), -ENOENT);
    cfg.languages = langs;
    cfg.prompts_dir = "/nonexistent/acd-prompts";
    assert_int_equal(acd_media_alloc(&m, &f->loop, &cfg), -ENOENT);
    assert_null(m);

    assert_int_equal(media_open(f, 45000, 45099), 0);
    acd_media_stream_t *st = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &st), 0);
    const struct sockaddr *to = (struct sockaddr *)&f->sink.addr;
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_PCMU, "en", "nothing", "moh"),
                     -ENOENT);
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_PCMU, "en", "greeting", "none"),
                     -ENOENT);
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_PCMU, "fr", "greeting", "moh"),
                     -ENOENT);
    /* "other" exists only in en. */
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_PCMU, "es", "other", "moh"), -ENOENT);
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_NONE, "en", "greeting", "moh"),
                     -EINVAL);
    assert_int_equal(acd_media_stream_play(st, to, ACD_CODEC_PCMU, "en", NULL, NULL), -EINVAL);
    struct sockaddr_in6 v6;
    uv_ip6_addr("::1", 5000, &v6);
    assert_int_equal(
        acd_media_stream_play(st, (struct sockaddr *)&v6, ACD_CODEC_PCMU, "en", "greeting", "moh"),
        -EINVAL);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_playing, 0);
    run_for(&f->loop, 50);
    assert_int_equal(f->sink.n, 0);
    acd_media_stream_close(st);
    fx_close_all(f);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_play_pacing_and_switch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_first_only_stops, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_late_tick_catches_up, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_port_exhaustion, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_close_while_playing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
