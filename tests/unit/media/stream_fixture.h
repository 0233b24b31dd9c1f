/* stream_fixture.h - loop tests of media streams: a UDP sink, a media engine, run_for(). */
#ifndef ACD_TEST_STREAM_FIXTURE_H
#define ACD_TEST_STREAM_FIXTURE_H

/* Include after <cmocka.h>: fx_close_all() asserts. */

#include <stdbool.h>
#include <uv.h>

#include "media/media.h"
#include "media/rtp.h"
#include "media_fixture.h"

#define SINK_MAX 256
#define PKT_LEN (ACD_RTP_HEADER_LEN + 160)

/* A UDP socket on 127.0.0.1 that records every packet it receives. */
typedef struct sink {
    uv_udp_t udp;
    struct sockaddr_in addr;
    size_t n;
    size_t lens[SINK_MAX];
    uint64_t at[SINK_MAX]; /* uv_hrtime() at arrival */
    uint8_t pkts[SINK_MAX][PKT_LEN + 16];
    char buf[2048];
} sink_t;

typedef struct fx {
    char dir[64];
    uv_loop_t loop;
    sink_t sink;
    acd_media_t *m;
    bool media_closed;
} fx_t;

static inline void sink_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    sink_t *s = (sink_t *)h;
    buf->base = s->buf;
    buf->len = sizeof(s->buf);
}

static inline void sink_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                                const struct sockaddr *from, unsigned flags)
{
    sink_t *s = (sink_t *)h;
    if (nread <= 0 || s->n >= SINK_MAX)
        return;
    size_t len = (size_t)nread < sizeof(s->pkts[0]) ? (size_t)nread : sizeof(s->pkts[0]);
    memcpy(s->pkts[s->n], buf->base, len);
    s->at[s->n] = uv_hrtime();
    s->lens[s->n++] = (size_t)nread;
}

static inline void stop_cb(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* Runs the loop for about ms milliseconds. */
static inline void run_for(uv_loop_t *loop, uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, stop_cb, ms, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* Runs the loop, one iteration at a time, until *done (set by a callback) or ms pass. */
static inline void run_until(uv_loop_t *loop, const bool *done, uint64_t ms)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, stop_cb, ms, 0);
    while (!*done && uv_is_active((uv_handle_t *)&t))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* Sends len bytes from the sink's socket to port on 127.0.0.1; returns what was sent. */
static inline int sink_send(sink_t *s, uint16_t port, const void *pkt, size_t len)
{
    struct sockaddr_in to;
    uv_ip4_addr("127.0.0.1", port, &to);
    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)len);
    return uv_udp_try_send(&s->udp, &b, 1, (struct sockaddr *)&to);
}

static inline void media_closed_cb(void *ud)
{
    *(bool *)ud = true;
}

static const char *const langs[] = {"en", "es"};

static inline int media_open(fx_t *f, uint16_t min, uint16_t max)
{
    acd_media_cfg_t cfg = {
        .addr = "127.0.0.1",
        .port_min = min,
        .port_max = max,
        .prompts_dir = f->dir,
        .languages = langs,
        .n_languages = 2,
    };
    return acd_media_alloc(&f->m, &f->loop, &cfg);
}

/* Writes f->dir/name into buf (size bytes) and returns buf. */
static inline char *fx_path(const fx_t *f, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", f->dir, name);
    return buf;
}

/* Opens media on ports [min, max] and one stream on it (asserts both work). */
static inline acd_media_stream_t *fx_stream(fx_t *f, uint16_t min, uint16_t max)
{
    acd_media_stream_t *st = NULL;
    assert_int_equal(media_open(f, min, max), 0);
    assert_int_equal(acd_media_stream_open(f->m, &st), 0);
    return st;
}

static inline int fx_setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/acd-media-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    /* greeting: 5 frames of tone; moh: 5 frames of silence; other: 3 frames of tone. */
    if (fixture_prompt(f->dir, "en", "greeting", 800, 440.0) < 0 ||
        fixture_prompt(f->dir, "en", "moh", 800, 0.0) < 0 ||
        fixture_prompt(f->dir, "en", "other", 480, 1000.0) < 0 ||
        fixture_prompt(f->dir, "es", "greeting", 1600, 300.0) < 0 ||
        fixture_prompt(f->dir, "es", "moh", 800, 0.0) < 0)
        return -1;
    if (uv_loop_init(&f->loop) < 0 || uv_udp_init(&f->loop, &f->sink.udp) < 0)
        return -1;
    uv_ip4_addr("127.0.0.1", 0, &f->sink.addr);
    if (uv_udp_bind(&f->sink.udp, (struct sockaddr *)&f->sink.addr, 0) < 0)
        return -1;
    int len = sizeof(f->sink.addr);
    uv_udp_getsockname(&f->sink.udp, (struct sockaddr *)&f->sink.addr, &len);
    uv_udp_recv_start(&f->sink.udp, sink_alloc_cb, sink_recv_cb);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx_t *f = *state;
    fixture_rmtree(f->dir);
    free(f);
    return 0;
}

/* Closes media (if open) and the sink, lets libuv finish and checks nothing is left. */
static inline void fx_close_all(fx_t *f)
{
    if (f->m) {
        acd_media_close(f->m, media_closed_cb, &f->media_closed);
        acd_media_close(f->m, media_closed_cb, &f->media_closed); /* idempotent */
    }
    uv_close((uv_handle_t *)&f->sink.udp, NULL);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    if (f->m)
        assert_true(f->media_closed);
    f->m = NULL;
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

#endif
