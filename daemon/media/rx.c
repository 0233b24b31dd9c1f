/* rx.c - what a stream receives: RTP parsing, RFC 4733 DTMF key presses, recordings. */
#include <errno.h>
#include <string.h>

#include "media/media_int.h"
#include "util/err.h"
#include "util/log.h"

/* A recording whose caller went quiet ends this long after max_ms on the clock. */
#define RX_RECORD_GRACE_NS UINT64_C(1000000000)

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
    if (s->te_pt >= 0 && p.h.pt == s->te_pt) {
        rx_dtmf(s, pkt, (size_t)nread);
    } else if (s->rec) {
        int rc = acd__record_feed(s->rec, &p);
        if (rc != 0)
            acd__media_record_end(s, rc > 0 ? 0 : rc); /* max_ms reached, or a write failed */
    }
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

int acd_media_stream_record_start(acd_media_stream_t *s, const char *path, int max_ms,
                                  acd_media_record_cb done, void *ud)
{
    if (!s || s->closing || !path || !*path || max_ms <= 0)
        return -EINVAL;
    if (s->rec)
        return -EBUSY;
    acd_media_t *m = s->m;
    int rc = acd__record_open(&s->rec, path, max_ms);
    if (rc < 0) {
        acd_log_warn("ACD-MEDIA-RECORD-FAILED", "port=%u path=%s err=%s cannot start recording",
                     (unsigned)s->port, path, acd_errname(rc));
        return rc;
    }
    s->rec_done = done;
    s->rec_ud = ud;
    s->rec_deadline_ns = uv_hrtime() + (uint64_t)max_ms * 1000000u + RX_RECORD_GRACE_NS;
    acd_list_push_back(&m->recording, &s->rec_node);
    m->stats.recordings++;
    acd__media_tick_start(m);
    return 0;
}

int acd__media_record_end(acd_media_stream_t *s, int rc)
{
    if (!s->rec)
        return -ENOENT;
    acd_media_t *m = s->m;
    acd__record_t *r = s->rec;
    acd_media_record_cb done = s->rec_done;
    void *ud = s->rec_ud;
    /* The stream is done with the recording before done runs: it may start another. */
    s->rec = NULL;
    s->rec_done = NULL;
    s->rec_ud = NULL;
    acd_list_remove(&s->rec_node);
    m->stats.recordings--;
    int duration_ms = 0;
    int crc = acd__record_close(r, rc == 0, &duration_ms);
    if (rc == 0)
        rc = crc;
    if (rc == 0) {
        m->stats.records_done++;
    } else {
        m->stats.records_failed++;
        acd_log_warn("ACD-MEDIA-RECORD-FAILED", "port=%u err=%s duration_ms=%d recording lost",
                     (unsigned)s->port, acd_errname(rc), duration_ms);
    }
    if (done)
        done(ud, rc, duration_ms);
    return rc;
}

int acd_media_stream_record_stop(acd_media_stream_t *s)
{
    return s ? acd__media_record_end(s, 0) : -ENOENT;
}

void acd__media_record_sweep(acd_media_t *m, uint64_t now_ns)
{
    /*
     * A done callback may close or stop any stream, so the list is searched again from
     * the start after each one; ended streams have left it, so this terminates.
     */
    for (;;) {
        acd_media_stream_t *due = NULL;
        acd_list_t *pos, *tmp;
        acd_list_foreach(pos, tmp, &m->recording)
        {
            acd_media_stream_t *s = acd_container_of(pos, acd_media_stream_t, rec_node);
            if (now_ns >= s->rec_deadline_ns) {
                due = s;
                break;
            }
        }
        if (!due)
            return;
        acd__media_record_end(due, 0);
    }
}
