/* test_play.c - playlists on a real loop: prompts in order, the ended callback and re-entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "media/media.h"
#include "media/rtp.h"
#include "stream_fixture.h"
#include "util/log.h"

/* Fixture prompts (stream_fixture.h): en "other" 3 frames, "greeting" 5, "moh" 5. */
static const char *const two[] = {"other", "greeting"};

/* What an ended callback saw, and what it does to the streams. */
typedef struct ended {
    fx_t *f;
    int calls;
    uint64_t sent_at_call; /* stats.rtp_sent when it ran */
    bool done;
    int replay; /* plays {"other"} again this many times from the callback */
    acd_media_stream_t *self;
    acd_media_stream_t *close; /* closes this stream from the callback */
    bool close_media;          /* closes the whole engine from the callback */
} ended_t;

static void ended_cb(void *ud)
{
    ended_t *e = ud;
    acd_media_stats_t stats;
    acd_media_stats(e->f->m, &stats);
    e->calls++;
    e->sent_at_call = stats.rtp_sent;
    e->done = true;
    if (e->replay > 0) {
        e->replay--;
        const char *one[] = {"other"};
        assert_int_equal(acd_media_stream_play_list(e->self, (struct sockaddr *)&e->f->sink.addr,
                                                    ACD_CODEC_PCMU, "en", one, 1, NULL, ended_cb,
                                                    e),
                         0);
    }
    if (e->close) {
        acd_media_stream_close(e->close);
        e->close = NULL;
    }
    if (e->close_media)
        acd_media_close(e->f->m, media_closed_cb, &e->f->media_closed);
}

static int play_two(fx_t *f, acd_media_stream_t *st, const char *loop, ended_t *e)
{
    return acd_media_stream_play_list(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMU, "en",
                                      two, 2, loop, ended_cb, e);
}

static bool marked(const sink_t *s, size_t i)
{
    return (s->pkts[i][1] & 0x80) != 0;
}

static void test_list_then_silence(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 46200, 46399);
    ended_t e = {.f = f};
    assert_int_equal(play_two(f, st, NULL, &e), 0);
    run_until(&f->loop, &e.done, 1000);
    assert_int_equal(e.calls, 1);
    /* Called from the tick that sent the last of the 3 + 5 frames, after sending it. */
    assert_int_equal(e.sent_at_call, 8);
    run_for(&f->loop, 100);
    assert_int_equal(e.calls, 1);
    assert_int_equal(f->sink.n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(marked(&f->sink, i), i == 0 || i == 3);
    acd_rtp_hdr_t h0, h7;
    assert_int_equal(acd__rtp_hdr_read(f->sink.pkts[0], PKT_LEN, &h0), 0);
    assert_int_equal(acd__rtp_hdr_read(f->sink.pkts[7], PKT_LEN, &h7), 0);
    assert_int_equal((uint16_t)(h7.seq - h0.seq), 7);
    assert_int_equal(h7.ts - h0.ts, 7 * 160);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_playing, 0);
    fx_close_all(f);
}

static void test_list_then_loop(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 46400, 46599);
    ended_t e = {.f = f};
    assert_int_equal(play_two(f, st, "moh", &e), 0);
    run_until(&f->loop, &e.done, 1000);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.sent_at_call, 8);
    run_for(&f->loop, 150);
    /* The music goes on after the list; ended is not called again as it loops. */
    assert_int_equal(e.calls, 1);
    assert_true(f->sink.n >= 13);
    for (size_t i = 0; i < f->sink.n; i++)
        assert_int_equal(marked(&f->sink, i), i == 0 || i == 3 || i == 8);
    fx_close_all(f);
}

static void test_ended_replays_and_cancels(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 46600, 46799);
    /* The callback plays {"other"} twice more: 8 + 3 + 3 frames, three calls. */
    ended_t e = {.f = f, .replay = 2, .self = st};
    assert_int_equal(play_two(f, st, NULL, &e), 0);
    run_for(&f->loop, 500);
    assert_int_equal(e.calls, 3);
    assert_int_equal(e.sent_at_call, 14);
    assert_int_equal(f->sink.n, 14);
    for (size_t i = 0; i < 14; i++)
        assert_int_equal(marked(&f->sink, i), i == 0 || i == 3 || i == 8 || i == 11);

    /* Stopped, or replaced, before the end: that list's ended is never called. */
    ended_t stopped = {.f = f}, replaced = {.f = f};
    assert_int_equal(play_two(f, st, NULL, &stopped), 0);
    run_for(&f->loop, 50);
    acd_media_stream_stop(st);
    assert_int_equal(play_two(f, st, NULL, &replaced), 0);
    run_for(&f->loop, 50);
    assert_int_equal(acd_media_stream_play(st, (struct sockaddr *)&f->sink.addr, ACD_CODEC_PCMU,
                                           "en", "other", NULL),
                     0);
    run_for(&f->loop, 250);
    assert_int_equal(stopped.calls, 0);
    assert_int_equal(replaced.calls, 0);
    fx_close_all(f);
}

static void test_ended_closes_streams(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *a = fx_stream(f, 46800, 46999), *b = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &b), 0);
    /* Both lists end in the same tick; whichever callback runs first closes the other
     * stream, whose due callback must then not run. */
    ended_t ea = {.f = f, .close = b}, eb = {.f = f, .close = a};
    assert_int_equal(play_two(f, a, "moh", &ea), 0);
    assert_int_equal(play_two(f, b, "moh", &eb), 0);
    run_for(&f->loop, 300);
    assert_int_equal(ea.calls + eb.calls, 1);
    acd_media_stats_t stats;
    acd_media_stats(f->m, &stats);
    assert_int_equal(stats.streams_open, 1);
    assert_int_equal(stats.streams_playing, 1);

    /* A callback that closes the whole engine. */
    acd_media_stream_t *c = NULL;
    assert_int_equal(acd_media_stream_open(f->m, &c), 0);
    ended_t ec = {.f = f, .close_media = true};
    assert_int_equal(play_two(f, c, NULL, &ec), 0);
    run_until(&f->loop, &ec.done, 1000);
    assert_int_equal(ec.calls, 1);
    /* The engine may be freed already: fx_close_all() only waits for the sink now. */
    f->m = NULL;
    fx_close_all(f);
    assert_true(f->media_closed);
}

static void test_list_errors_and_has_prompt(void **state)
{
    fx_t *f = *state;
    acd_media_stream_t *st = fx_stream(f, 47000, 47199);
    const struct sockaddr *to = (struct sockaddr *)&f->sink.addr;
    const char *many[ACD_MEDIA_LIST_MAX + 1];
    for (size_t i = 0; i <= ACD_MEDIA_LIST_MAX; i++)
        many[i] = "other";
    ended_t e = {.f = f};
    assert_int_equal(acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", many,
                                                ACD_MEDIA_LIST_MAX + 1, NULL, ended_cb, &e),
                     -E2BIG);
    const char *missing[] = {"other", "nothing"};
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", missing, 2, NULL, ended_cb, &e),
        -ENOENT);
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "es", two, 2, NULL, ended_cb, &e),
        -ENOENT); /* "other" exists only in en */
    const char *null_name[] = {"other", NULL};
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", null_name, 2, NULL, ended_cb, &e),
        -EINVAL);
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", two, 0, NULL, ended_cb, &e),
        -EINVAL);
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMA, "en", two, 2, "none", ended_cb, &e),
        -ENOENT);
    /* A full list is accepted; a loop-only list never calls ended. */
    assert_int_equal(acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", many,
                                                ACD_MEDIA_LIST_MAX, NULL, ended_cb, &e),
                     0);
    assert_int_equal(
        acd_media_stream_play_list(st, to, ACD_CODEC_PCMU, "en", NULL, 0, "other", ended_cb, &e),
        0);
    run_for(&f->loop, 100);
    assert_int_equal(e.calls, 0);

    assert_true(acd_media_has_prompt(f->m, "en", "greeting"));
    assert_true(acd_media_has_prompt(f->m, "en", "other"));
    assert_false(acd_media_has_prompt(f->m, "es", "other"));
    assert_false(acd_media_has_prompt(f->m, "fr", "greeting"));
    assert_false(acd_media_has_prompt(f->m, "en", NULL));
    assert_false(acd_media_has_prompt(NULL, "en", "greeting"));
    fx_close_all(f);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_then_silence, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_then_loop, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ended_replays_and_cancels, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ended_closes_streams, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_errors_and_has_prompt, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
