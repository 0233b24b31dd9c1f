/* media.c - the media engine: RTP streams, their playlists and the one 20 ms send tick. */
#include "media/media.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/prompt.h"
#include "media/rtp.h"
#include "util/err.h"
#include "util/list.h"
#include "util/log.h"

/* Pacing, see docs/adr/0004-media-pacing.md. */
#define MEDIA_FRAME_NS UINT64_C(20000000)
#define MEDIA_LATE_NS UINT64_C(10000000)
/* The timer has millisecond resolution, so a tick may fire up to 1 ms before its frame. */
#define MEDIA_EARLY_NS UINT64_C(1000000)
/* At most this many frames per stream in one tick; an older backlog is dropped. */
#define MEDIA_MAX_CATCHUP 3

struct acd_media {
    uv_loop_t *loop;
    uv_timer_t tick;
    struct sockaddr_storage bind_addr; /* cfg->addr, port 0 */
    acd_rtp_ports_t ports;
    acd_prompt_set_t prompts;
    acd_list_t streams; /* every open stream, by node */
    acd_list_t playing; /* streams sending, by play_node */
    uint64_t next_ns;   /* uv_hrtime() at which the next frame is due */
    unsigned handles;   /* libuv handles not closed yet (the tick and the streams) */
    bool ticking;
    bool closing;
    void (*close_cb)(void *ud);
    void *close_ud;
    uint64_t frames_dropped; /* backlog beyond MEDIA_MAX_CATCHUP, all streams together */
    acd_media_stats_t stats; /* streams_open and streams_playing are kept as gauges */
    char rxbuf[2048];        /* every receive lands here; content is not used yet */
};

struct acd_media_stream {
    acd_list_t node;
    acd_list_t play_node;
    acd_media_t *m;
    uv_udp_t udp;
    int fd;
    uint16_t port;
    bool closing;
    bool playing;
    bool in_loop;     /* cur is the loop prompt */
    bool marker;      /* next packet starts a prompt */
    bool send_failed; /* a send error was logged for this stream */
    struct sockaddr_storage remote;
    socklen_t remote_len;
    acd_codec_t codec;
    const acd_prompt_t *first;
    const acd_prompt_t *loop;
    const acd_prompt_t *cur; /* NULL when the playlist has ended */
    size_t pos;              /* next frame of cur */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint64_t rx;
};

static const char *const media_required[] = {"greeting", "moh"};

static void media_maybe_free(acd_media_t *m)
{
    if (!m->closing || m->handles > 0)
        return;
    void (*cb)(void *) = m->close_cb;
    void *ud = m->close_ud;
    acd__prompt_set_fini(&m->prompts);
    acd__rtp_ports_fini(&m->ports);
    free(m);
    if (cb)
        cb(ud);
}

static int media_parse_addr(const char *addr, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (uv_ip4_addr(addr, 0, (struct sockaddr_in *)out) == 0)
        return 0;
    if (uv_ip6_addr(addr, 0, (struct sockaddr_in6 *)out) == 0)
        return 0;
    return -EINVAL;
}

int acd_media_alloc(acd_media_t **mp, uv_loop_t *loop, const acd_media_cfg_t *cfg)
{
    int rc = 0;
    acd_media_t *m = NULL;
    if (!mp || !loop || !cfg || !cfg->addr || !cfg->prompts_dir || !cfg->languages ||
        cfg->n_languages == 0 || cfg->port_min > cfg->port_max) {
        rc = -EINVAL;
        goto out;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        rc = -ENOMEM;
        goto out;
    }
    m->loop = loop;
    acd_list_init(&m->streams);
    acd_list_init(&m->playing);
    if ((rc = media_parse_addr(cfg->addr, &m->bind_addr)) < 0) {
        acd_log_err("ACD-MEDIA-CONFIG", "addr=%s media address is not an IP address", cfg->addr);
        goto out;
    }
    if ((rc = acd__rtp_ports_init(&m->ports, cfg->port_min, cfg->port_max)) < 0) {
        if (rc == -EINVAL)
            acd_log_err("ACD-MEDIA-CONFIG", "port_min=%u port_max=%u no even/odd port pair",
                        (unsigned)cfg->port_min, (unsigned)cfg->port_max);
        goto out;
    }
    for (size_t i = 0; i < cfg->n_languages; i++) {
        rc = acd__prompt_set_load(&m->prompts, cfg->prompts_dir, cfg->languages[i], media_required,
                                  sizeof(media_required) / sizeof(media_required[0]));
        if (rc < 0)
            goto out;
    }
    if ((rc = uv_timer_init(loop, &m->tick)) < 0)
        goto out;
    m->handles = 1;
    acd_log_info("ACD-MEDIA-READY", "addr=%s ports=%zu languages=%zu prompts=%zu", cfg->addr,
                 m->ports.n, cfg->n_languages, m->prompts.n);
    *mp = m;
    m = NULL;
out:
    if (m) {
        acd__prompt_set_fini(&m->prompts);
        acd__rtp_ports_fini(&m->ports);
        free(m);
    }
    return rc;
}

static void media_tick_close_cb(uv_handle_t *h)
{
    acd_media_t *m = acd_container_of(h, acd_media_t, tick);
    m->handles--;
    media_maybe_free(m);
}

void acd_media_close(acd_media_t *m, void (*cb)(void *ud), void *ud)
{
    if (!m || m->closing)
        return;
    m->closing = true;
    m->close_cb = cb;
    m->close_ud = ud;
    acd_list_t *pos, *tmp;
    acd_list_foreach(pos, tmp, &m->streams)
    {
        acd_media_stream_close(acd_container_of(pos, acd_media_stream_t, node));
    }
    m->ticking = false;
    uv_close((uv_handle_t *)&m->tick, media_tick_close_cb);
}

/* ---- streams ---- */

static void stream_close_cb(uv_handle_t *h)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    acd_media_t *m = s->m;
    free(s);
    m->handles--;
    media_maybe_free(m);
}

static void stream_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    buf->base = s->m->rxbuf;
    buf->len = sizeof(s->m->rxbuf);
}

static void stream_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *from, unsigned flags)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    if (nread > 0) {
        /* Content (RFC 4733 DTMF, latching on the peer's address) comes later. */
        s->rx++;
        s->m->stats.rtp_received++;
    } else if (nread < 0) {
        acd_log_debug("ACD-MEDIA-RTP-RECV", "port=%u err=%s receive failed", (unsigned)s->port,
                      uv_err_name((int)nread));
    }
}

int acd_media_stream_open(acd_media_t *m, acd_media_stream_t **sp)
{
    int rc = 0;
    acd_media_stream_t *s = NULL;
    if (!m || !sp || m->closing) {
        rc = -EINVAL;
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        rc = -ENOMEM;
        goto out;
    }
    s->m = m;
    acd_list_init(&s->node);
    acd_list_init(&s->play_node);
    s->fd = acd__rtp_socket_open(&m->ports, (const struct sockaddr *)&m->bind_addr, &s->port);
    if (s->fd < 0) {
        rc = s->fd;
        if (rc == -EADDRINUSE)
            acd_log_warn("ACD-MEDIA-PORTS-EXHAUSTED", "ports=%zu used=%zu no RTP port free",
                         m->ports.n, m->ports.used);
        goto out;
    }
    /* RFC 3550 section 5.1: random SSRC, initial sequence number and timestamp. */
    s->ssrc = acd__rtp_random32();
    s->seq = (uint16_t)acd__rtp_random32();
    s->ts = acd__rtp_random32();
    s->codec = ACD_CODEC_NONE;
    if ((rc = uv_udp_init(m->loop, &s->udp)) < 0) {
        close(s->fd);
        acd__rtp_ports_release(&m->ports, s->port);
        goto out;
    }
    /* From here on the handle exists: failures go through the normal close path. */
    m->handles++;
    m->stats.streams_open++;
    acd_list_push_back(&m->streams, &s->node);
    if ((rc = uv_udp_open(&s->udp, s->fd)) < 0) {
        close(s->fd);
        acd_media_stream_close(s);
        s = NULL;
        goto out;
    }
    if ((rc = uv_udp_recv_start(&s->udp, stream_alloc_cb, stream_recv_cb)) < 0) {
        acd_media_stream_close(s);
        s = NULL;
        goto out;
    }
    *sp = s;
    s = NULL;
out:
    free(s);
    return rc;
}

uint16_t acd_media_stream_port(const acd_media_stream_t *s)
{
    return s->port;
}

uint64_t acd_media_stream_rx(const acd_media_stream_t *s)
{
    return s->rx;
}

static void stream_unplay(acd_media_stream_t *s)
{
    if (!s->playing)
        return;
    s->playing = false;
    acd_list_remove(&s->play_node);
    s->m->stats.streams_playing--;
}

void acd_media_stream_close(acd_media_stream_t *s)
{
    if (!s || s->closing)
        return;
    acd_media_t *m = s->m;
    s->closing = true;
    stream_unplay(s);
    acd_list_remove(&s->node);
    /* uv_close() closes the descriptor now, so the port is free for the pool at once. */
    acd__rtp_ports_release(&m->ports, s->port);
    m->stats.streams_open--;
    uv_close((uv_handle_t *)&s->udp, stream_close_cb);
}

void acd_media_stream_stop(acd_media_stream_t *s)
{
    if (s)
        stream_unplay(s);
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

/* Moves s one frame on: first prompt, then the loop prompt over and over. */
static void stream_advance(acd_media_stream_t *s)
{
    if (++s->pos < s->cur->n_frames)
        return;
    s->pos = 0;
    if (s->in_loop)
        return; /* a loop wraps around without a marker: the audio is continuous */
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
        stream_unplay(s); /* first prompt done and no loop: stay bound, silent */
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
    if (acd_list_empty(&m->playing)) {
        m->ticking = false; /* idle: no wake-ups until a stream plays again */
        return;
    }
    media_tick_arm(m);
}

/* Starts the tick if it is idle; the first frame goes out one frame time from now. */
static void media_tick_start(acd_media_t *m)
{
    if (m->ticking || m->closing)
        return;
    m->ticking = true;
    m->next_ns = uv_hrtime() + MEDIA_FRAME_NS;
    media_tick_arm(m);
}

int acd_media_stream_play(acd_media_stream_t *s, const struct sockaddr *remote, acd_codec_t codec,
                          const char *lang, const char *first, const char *loop)
{
    if (!s || s->closing || !remote || !lang || (!first && !loop) ||
        (codec != ACD_CODEC_PCMU && codec != ACD_CODEC_PCMA) ||
        remote->sa_family != s->m->bind_addr.ss_family)
        return -EINVAL;
    acd_media_t *m = s->m;
    const acd_prompt_t *pf = NULL, *pl = NULL;
    if ((first && !(pf = acd__prompt_set_find(&m->prompts, lang, first))) ||
        (loop && !(pl = acd__prompt_set_find(&m->prompts, lang, loop))))
        return -ENOENT;
    s->remote_len =
        remote->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    memcpy(&s->remote, remote, s->remote_len);
    /* Sequence number and timestamp are left alone: they continue across playlists. */
    s->codec = codec;
    s->first = pf;
    s->loop = pl;
    s->cur = pf ? pf : pl;
    s->in_loop = pf == NULL;
    s->pos = 0;
    s->marker = true;
    if (!s->playing) {
        s->playing = true;
        acd_list_push_back(&m->playing, &s->play_node);
        m->stats.streams_playing++;
    }
    media_tick_start(m);
    return 0;
}

void acd_media_stats(const acd_media_t *m, acd_media_stats_t *out)
{
    *out = m->stats;
}
