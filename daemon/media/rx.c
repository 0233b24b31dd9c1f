/* rx.c - what a stream receives: RTP parsing and RFC 4733 DTMF key presses. */
#include <errno.h>
#include <string.h>

#include "media/media_int.h"
#include "util/err.h"
#include "util/log.h"

static void rx_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    buf->base = s->m->rxbuf;
    buf->len = sizeof(s->m->rxbuf);
}

/* Feeds a telephone-event packet to the stream's DTMF state and reports key presses. */
static void rx_dtmf(acd_media_stream_t *s, const uint8_t *pkt, size_t len)
{
    acd_media_t *m = s->m;
    acd_dtmf_event_t ev;
    int rc = acd_dtmf_rfc4733_parse(pkt, len, s->te_pt, &ev);
    if (rc == -EINVAL)
        m->stats.rtp_malformed++;
    if (rc < 0)
        return; /* -ENOTSUP: an event that is not a key (flash, fax tone) */
    acd__dtmf_press_t press[2];
    int n = acd__dtmf_rx_feed(&s->dtmf_rx, &ev, press);
    for (int i = 0; i < n; i++) {
        /* The callback may close the stream or turn DTMF off: check before each. */
        if (s->closing || !s->dtmf_cb)
            return;
        m->stats.dtmf_digits++;
        acd_log_debug("ACD-MEDIA-DTMF", "port=%u digit=%c duration_ms=%d", (unsigned)s->port,
                      press[i].digit, press[i].duration_ms);
        s->dtmf_cb(s->dtmf_ud, press[i].digit, press[i].duration_ms);
    }
}

static void rx_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                       unsigned flags)
{
    acd_media_stream_t *s = acd_container_of(h, acd_media_stream_t, udp);
    acd_media_t *m = s->m;
    if (nread < 0) {
        acd_log_debug("ACD-MEDIA-RTP-RECV", "port=%u err=%s receive failed", (unsigned)s->port,
                      uv_err_name((int)nread));
        return;
    }
    if (nread == 0 || s->closing)
        return;
    /* Latching on the peer's address (symmetric RTP) is not done: any source counts. */
    s->rx++;
    m->stats.rtp_received++;
    const uint8_t *pkt = (const uint8_t *)buf->base;
    acd_rtp_pkt_t p;
    if (acd__rtp_parse(pkt, (size_t)nread, &p) < 0) {
        m->stats.rtp_malformed++;
        return;
    }
    if (s->te_pt >= 0 && p.h.pt == s->te_pt)
        rx_dtmf(s, pkt, (size_t)nread);
}

int acd__media_rx_start(acd_media_stream_t *s)
{
    return uv_udp_recv_start(&s->udp, rx_alloc_cb, rx_recv_cb);
}

int acd_media_stream_set_dtmf(acd_media_stream_t *s, int te_pt, acd_media_dtmf_cb cb, void *ud)
{
    if (!s || s->closing || (te_pt != -1 && (te_pt < 96 || te_pt > 127 || !cb)))
        return -EINVAL;
    if (te_pt != s->te_pt)
        memset(&s->dtmf_rx, 0, sizeof(s->dtmf_rx)); /* a new payload type: a new event stream */
    s->te_pt = te_pt;
    s->dtmf_cb = te_pt < 0 ? NULL : cb;
    s->dtmf_ud = te_pt < 0 ? NULL : ud;
    return 0;
}
