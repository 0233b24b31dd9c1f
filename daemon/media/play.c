/* play.c - playing prompts on streams: playlists and the one 20 ms send tick. */
#include <errno.h>
#include <string.h>

#include "media/media_int.h"
#include "util/err.h"
#include "util/log.h"

/* Pacing, see docs/adr/0004-media-pacing.md. */
#define MEDIA_FRAME_NS UINT64_C(20000000)
#define MEDIA_LATE_NS UINT64_C(10000000)
/* The timer has millisecond resolution, so a tick may fire up to 1 ms before its frame. */
#define MEDIA_EARLY_NS UINT64_C(1000000)
/* At most this many frames per stream in one tick; an older backlog is dropped. */
#define MEDIA_MAX_CATCHUP 3

/* Takes s off the playing list; a due ended callback stays due. */
static void play_unlink(acd_media_stream_t *s)
{
    if (!s->playing)
        return;
    s->playing = false;
    acd_list_remove(&s->play_node);
    s->m->stats.streams_playing--;
}

void acd__media_unplay(acd_media_stream_t *s)
{
    play_unlink(s);
    /* The playlist the callback was for is gone: it is not called. */
    acd_list_remove(&s->end_node);
    s->ended = NULL;
    s->ended_ud = NULL;
}

void acd_media_stream_stop(acd_media_stream_t *s)
{
    if (s)
        acd__media_unplay(s);
}

/* ---- the tick ---- */

static void media_tick_cb(uv_timer_t *t);

/* Arms the one-shot tick for m->next_ns; the timer counts in whole milliseconds. */
static void media_tick_arm(acd_media_t *m)
{
    uv_update_time(m->loop);
    uint64_t now = uv_hrtime();
    uint64_t timeout = 0;
    if (m->next_ns > now)
        timeout = (m->next_ns - now + 999999) / 1000000;
    uv_timer_start(&m->tick, media_tick_cb, timeout, 0);
}

/* Moves s one frame on: the list's prompts in turn, then the loop prompt over and over. */
static void stream_advance(acd_media_stream_t *s)
{
    if (++s->pos < s->cur->n_frames)
        return;
    s->pos = 0;
    if (s->in_loop)
        return; /* a loop wraps around without a marker: the audio is continuous */
    s->marker = true;
    if (++s->idx < s->n_list) {
        s->cur = s->list[s->idx];
        return;
    }
    /* The list is over: its ended callback runs once this tick has sent everything. */
    if (s->ended && !acd_list_linked(&s->end_node))
        acd_list_push_back(&s->m->ended, &s->end_node);
    s->cur = s->loop;
    s->in_loop = true;
    s->marker = s->cur != NULL;
}

/* Sends up to due frames of s in one sendmmsg() call on the stream's own socket. */
static void stream_send(acd_media_t *m, acd_media_stream_t *s, unsigned due)
{
    struct mmsghdr msgs[MEDIA_MAX_CATCHUP];
    struct iovec iov[MEDIA_MAX_CATCHUP][2];
    uint8_t hdr[MEDIA_MAX_CATCHUP][ACD_RTP_HEADER_LEN];
    unsigned n = 0;
    memset(msgs, 0, sizeof(msgs));
    while (n < due && s->cur) {
        acd_rtp_hdr_t h = {
            .marker = s->marker,
            .pt = (uint8_t)s->codec,
            .seq = s->seq++,
            .ts = s->ts,
            .ssrc = s->ssrc,
        };
        s->ts += ACD_PROMPT_FRAME_SAMPLES;
        s->marker = false;
        acd__rtp_hdr_write(hdr[n], &h);
        iov[n][0].iov_base = hdr[n];
        iov[n][0].iov_len = ACD_RTP_HEADER_LEN;
        /* Zero copy: the payload is the prompt's pre-encoded frame. */
        iov[n][1].iov_base = (void *)acd__prompt_frame(s->cur, s->codec, s->pos);
        iov[n][1].iov_len = ACD_PROMPT_FRAME_SAMPLES;
        msgs[n].msg_hdr.msg_name = &s->remote;
        msgs[n].msg_hdr.msg_namelen = s->remote_len;
        msgs[n].msg_hdr.msg_iov = iov[n];
        msgs[n].msg_hdr.msg_iovlen = 2;
        n++;
        stream_advance(s);
    }
    if (n > 0) {
        int sent = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
        int err = sent < 0 ? errno : 0;
        if (sent < 0)
            sent = 0;
        m->stats.rtp_sent += (unsigned)sent;
        if ((unsigned)sent < n) {
            /* Real-time audio is not queued: a frame that cannot go now is dropped. */
            m->stats.send_errors += n - (unsigned)sent;
            if (!s->send_failed) {
                s->send_failed = true;
                acd_log_warn("ACD-MEDIA-RTP-SEND",
                             "port=%u err=%s RTP send failed (logged "
                             "once per stream)",
                             (unsigned)s->port, acd_errname(-(err ? err : EAGAIN)));
            }
        }
    }
    if (!s->cur)
        play_unlink(s); /* list done and no loop: stay bound, silent */
}

static void media_tick_cb(uv_timer_t *t)
{
    acd_media_t *m = acd_container_of(t, acd_media_t, tick);
    uint64_t now = uv_hrtime();
    if (now + MEDIA_EARLY_NS >= m->next_ns) {
        uint64_t late = now > m->next_ns ? now - m->next_ns : 0;
        uint64_t due = late / MEDIA_FRAME_NS + 1;
        if (late > MEDIA_LATE_NS)
            m->stats.ticks_late++;
        /* The schedule stays on its 20 ms grid: no drift however late this tick is. */
        m->next_ns += due * MEDIA_FRAME_NS;
        if (due > MEDIA_MAX_CATCHUP) {
            m->frames_dropped += due - MEDIA_MAX_CATCHUP;
            acd_log_warn("ACD-MEDIA-TICK-BACKLOG",
                         "late_ms=%llu dropped_frames=%llu "
                         "loop was blocked; audio backlog dropped",
                         (unsigned long long)(late / 1000000),
                         (unsigned long long)(due - MEDIA_MAX_CATCHUP));
            due = MEDIA_MAX_CATCHUP;
        }
        acd_list_t *pos, *tmp;
        acd_list_foreach(pos, tmp, &m->playing)
        {
            stream_send(m, acd_container_of(pos, acd_media_stream_t, play_node), (unsigned)due);
        }
    }
    /* Callbacks last, once no list is being walked: they may play, stop or close. */
    while (!acd_list_empty(&m->ended) && !m->closing) {
        acd_media_stream_t *s = acd_container_of(m->ended.next, acd_media_stream_t, end_node);
        acd_media_ended_cb cb = s->ended;
        void *ud = s->ended_ud;
        acd_list_remove(&s->end_node);
        s->ended = NULL;
        s->ended_ud = NULL;
        cb(ud);
    }
    if (!m->closing)
        acd__media_record_sweep(m, now);
    if (m->closing)
        return; /* a callback closed the engine: the tick is closing too */
    if (acd_list_empty(&m->playing) && acd_list_empty(&m->recording)) {
        m->ticking = false; /* idle: no wake-ups until a stream plays or records again */
        return;
    }
    media_tick_arm(m);
}

/* The first frame goes out one frame time from now. */
void acd__media_tick_start(acd_media_t *m)
{
    if (m->ticking || m->closing)
        return;
    m->ticking = true;
    m->next_ns = uv_hrtime() + MEDIA_FRAME_NS;
    media_tick_arm(m);
}

static int play_set(acd_media_stream_t *s, const struct sockaddr *remote, acd_codec_t codec,
                    const acd_prompt_t *const *list, size_t n, const acd_prompt_t *pl,
                    acd_media_ended_cb ended, void *ud);

int acd_media_stream_play_list(acd_media_stream_t *s, const struct sockaddr *remote,
                               acd_codec_t codec, const char *lang, const char *const *names,
                               size_t n, const char *loop, acd_media_ended_cb ended, void *ud)
{
    if (!s || s->closing || !remote || !lang || (n == 0 && !loop) || (n > 0 && !names) ||
        (codec != ACD_CODEC_PCMU && codec != ACD_CODEC_PCMA) ||
        remote->sa_family != s->m->bind_addr.ss_family)
        return -EINVAL;
    if (n > ACD_MEDIA_LIST_MAX)
        return -E2BIG;
    acd_media_t *m = s->m;
    const acd_prompt_t *list[ACD_MEDIA_LIST_MAX], *pl = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return -EINVAL;
        if (!(list[i] = acd__prompt_set_find(&m->prompts, lang, names[i])))
            return -ENOENT;
    }
    if (loop && !(pl = acd__prompt_set_find(&m->prompts, lang, loop)))
        return -ENOENT;
    return play_set(s, remote, codec, list, n, pl, ended, ud);
}

/* Installs a checked playlist (the file, if any, no longer plays: it is freed). */
static int play_set(acd_media_stream_t *s, const struct sockaddr *remote, acd_codec_t codec,
                    const acd_prompt_t *const *list, size_t n, const acd_prompt_t *pl,
                    acd_media_ended_cb ended, void *ud)
{
    acd_media_t *m = s->m;
    if (s->file && !(n == 1 && list[0] == s->file)) {
        acd__prompt_free(s->file);
        s->file = NULL;
    }
    /* The playlist being replaced will not end: its callback is cancelled. */
    acd_list_remove(&s->end_node);
    s->remote_len =
        remote->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    memcpy(&s->remote, remote, s->remote_len);
    /* Sequence number and timestamp are left alone: they continue across playlists. */
    s->codec = codec;
    memcpy(s->list, list, n * sizeof(list[0]));
    s->n_list = n;
    s->idx = 0;
    s->loop = pl;
    s->cur = n > 0 ? list[0] : pl;
    s->in_loop = n == 0;
    s->pos = 0;
    s->marker = true;
    s->ended = n > 0 ? ended : NULL;
    s->ended_ud = n > 0 ? ud : NULL;
    if (!s->playing) {
        s->playing = true;
        acd_list_push_back(&m->playing, &s->play_node);
        m->stats.streams_playing++;
    }
    acd__media_tick_start(m);
    return 0;
}

int acd_media_stream_play(acd_media_stream_t *s, const struct sockaddr *remote, acd_codec_t codec,
                          const char *lang, const char *first, const char *loop)
{
    const char *const names[1] = {first};
    return acd_media_stream_play_list(s, remote, codec, lang, names, first ? 1 : 0, loop, NULL,
                                      NULL);
}

int acd_media_stream_play_file(acd_media_stream_t *s, const struct sockaddr *remote,
                               acd_codec_t codec, const char *path, acd_media_ended_cb ended,
                               void *ud)
{
    if (!s || s->closing || !remote || !path ||
        (codec != ACD_CODEC_PCMU && codec != ACD_CODEC_PCMA) ||
        remote->sa_family != s->m->bind_addr.ss_family)
        return -EINVAL;
    acd_prompt_t *p = NULL;
    int rc = acd__prompt_load(&p, path, "file", "message");
    if (rc < 0)
        return rc;
    acd__prompt_free(s->file);
    s->file = p;
    const acd_prompt_t *list[1] = {p};
    return play_set(s, remote, codec, list, 1, NULL, ended, ud);
}
