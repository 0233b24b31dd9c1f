/* media.c - the media engine: its prompts, port pool and the life cycle of RTP streams. */
#include "media/media.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/media_int.h"
#include "util/err.h"
#include "util/log.h"

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
    acd_list_init(&m->recording);
    acd_list_init(&m->ended);
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
    /* Not a foreach: a stream's close callbacks (recording done) may close other streams. */
    while (!acd_list_empty(&m->streams))
        acd_media_stream_close(acd_container_of(m->streams.next, acd_media_stream_t, node));
    m->ticking = false;
    uv_close((uv_handle_t *)&m->tick, media_tick_close_cb);
}

/* ---- streams ---- */

static void stream_close_cb(uv_handle_t *h)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    acd__prompt_free(s->file);
    acd_media_t *m = s->m;
    free(s);
    m->handles--;
    media_maybe_free(m);
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
    acd_list_init(&s->rec_node);
    acd_list_init(&s->end_node);
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
    s->te_pt = -1;
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
    if ((rc = acd__media_rx_start(s)) < 0) {
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

void acd_media_stream_close(acd_media_stream_t *s)
{
    if (!s || s->closing)
        return;
    acd_media_t *m = s->m;
    s->closing = true;
    /* A recording ends as the caller hangs up: the message is kept. */
    acd__media_record_end(s, 0);
    acd__media_unplay(s);
    acd_list_remove(&s->node);
    /* uv_close() closes the descriptor now, so the port is free for the pool at once. */
    acd__rtp_ports_release(&m->ports, s->port);
    m->stats.streams_open--;
    uv_close((uv_handle_t *)&s->udp, stream_close_cb);
}

bool acd_media_has_prompt(const acd_media_t *m, const char *lang, const char *name)
{
    return m && acd__prompt_set_find(&m->prompts, lang, name) != NULL;
}

void acd_media_stats(const acd_media_t *m, acd_media_stats_t *out)
{
    *out = m->stats;
}
