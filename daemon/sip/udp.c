/* udp.c - SIP over UDP: one socket, one reused receive buffer, try-send then queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/transport_int.h"
#include "util/log.h"

/* A datagram that could not be sent at once: owns a copy of the bytes until sent. */
typedef struct acd__sip_udp_send {
    uv_udp_send_t req;
    struct sockaddr_storage dst;
    size_t len;
    char data[];
} acd__sip_udp_send_t;

/* Every datagram is read into the transport's one buffer, handed over and forgotten. */
static void udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    acd_sip_transport_t *t = h->data;
    *buf = uv_buf_init(t->udp_rx, ACD__SIP_UDP_RX_SIZE);
}

/* True for datagrams holding nothing but CR/LF/whitespace (UDP keep-alives). */
static bool udp_is_keepalive(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t')
            return false;
    }
    return true;
}

static void udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
    acd_sip_transport_t *t = h->data;
    char who[64];

    if (nread < 0) {
        t->stats.rx_dropped++;
        acd_log_warn("ACD-SIP-UDP-RECV-ERR", "port=%u err=%s", (unsigned)t->port,
                     uv_err_name((int)nread));
        return;
    }
    /* nread == 0 with no address only means the socket has been drained. */
    if (nread == 0 || !addr)
        return;
    t->stats.rx_bytes += (uint64_t)nread;
    if (flags & UV_UDP_PARTIAL) {
        t->stats.rx_dropped++;
        acd_log_warn("ACD-SIP-UDP-TRUNCATED", "peer=%s", acd_sockaddr_fmt(addr, who, sizeof(who)));
        return;
    }
    if (udp_is_keepalive(buf->base, (size_t)nread))
        return;
    if ((size_t)nread > t->max_message) {
        t->stats.rx_dropped++;
        acd_log_warn("ACD-SIP-UDP-OVERSIZE", "peer=%s len=%zd max=%zu",
                     acd_sockaddr_fmt(addr, who, sizeof(who)), nread, t->max_message);
        return;
    }
    acd_sip_peer_t from = {.proto = ACD_SIP_UDP, .conn_id = 0};
    memcpy(&from.addr, addr, acd__sockaddr_len(addr));
    t->stats.rx_msgs++;
    t->recv_cb(t->recv_ud, &from, buf->base, (size_t)nread);
}

static int udp_start(acd_sip_transport_t *t, const struct sockaddr *addr)
{
    struct sockaddr_storage bound;
    int namelen = sizeof(bound);
    int rc;

    t->udp_rx = malloc(ACD__SIP_UDP_RX_SIZE);
    if (!t->udp_rx)
        return -ENOMEM;
    rc = uv_udp_init(t->loop, &t->udp);
    if (rc < 0)
        return rc;
    t->udp.data = t;
    t->handles++;
    t->udp_open = true;
    rc = uv_udp_bind(&t->udp, addr, 0);
    if (rc < 0)
        return rc;

    /* SIPp and carriers burst; a small receive buffer drops INVITEs silently. */
    int size = ACD__SIP_UDP_SOCKBUF;
    if (uv_recv_buffer_size((uv_handle_t *)&t->udp, &size) < 0)
        acd_log_notice("ACD-SIP-UDP-SOCKBUF", "which=rcvbuf wanted=%d", ACD__SIP_UDP_SOCKBUF);
    size = ACD__SIP_UDP_SOCKBUF;
    if (uv_send_buffer_size((uv_handle_t *)&t->udp, &size) < 0)
        acd_log_notice("ACD-SIP-UDP-SOCKBUF", "which=sndbuf wanted=%d", ACD__SIP_UDP_SOCKBUF);

    rc = uv_udp_getsockname(&t->udp, (struct sockaddr *)&bound, &namelen);
    if (rc < 0)
        return rc;
    if (t->port == 0)
        t->port = acd__sockaddr_port(&bound);
    return uv_udp_recv_start(&t->udp, udp_alloc_cb, udp_recv_cb);
}

static void udp_send_cb(uv_udp_send_t *req, int status)
{
    acd__sip_udp_send_t *s = (acd__sip_udp_send_t *)req;
    char who[64];

    if (status < 0 && status != UV_ECANCELED) {
        acd_log_warn("ACD-SIP-UDP-SEND-ERR", "peer=%s len=%zu err=%s",
                     acd_sockaddr_fmt((struct sockaddr *)&s->dst, who, sizeof(who)), s->len,
                     uv_err_name(status));
    }
    free(s);
}

/*
 * An IPv6 socket bound to "::" reaches IPv4 peers only through IPv4-mapped addresses,
 * so an AF_INET destination is rewritten to ::ffff:a.b.c.d for it.
 */
static const struct sockaddr *udp_dest(const acd_sip_transport_t *t, const acd_sip_peer_t *peer,
                                       struct sockaddr_in6 *mapped)
{
    const struct sockaddr *dst = (const struct sockaddr *)&peer->addr;
    if (t->local.ss_family != AF_INET6 || dst->sa_family != AF_INET)
        return dst;
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)dst;
    memset(mapped, 0, sizeof(*mapped));
    mapped->sin6_family = AF_INET6;
    mapped->sin6_port = v4->sin_port;
    mapped->sin6_addr.s6_addr[10] = 0xff;
    mapped->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&mapped->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
    return (const struct sockaddr *)mapped;
}

static int udp_send(acd_sip_transport_t *t, const acd_sip_peer_t *peer, const char *data,
                    size_t len)
{
    struct sockaddr_in6 mapped;
    const struct sockaddr *dst = udp_dest(t, peer, &mapped);
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    char who[64];

    if (!t->udp_open)
        return -ESHUTDOWN;
    if (len > ACD__SIP_UDP_RX_SIZE)
        return -EMSGSIZE;
    int rc = uv_udp_try_send(&t->udp, &buf, 1, dst);
    if (rc == UV_EAGAIN) {
        /* The socket is full or datagrams are already queued: queue behind them. */
        acd__sip_udp_send_t *s = malloc(sizeof(*s) + len);
        if (!s)
            return -ENOMEM;
        memcpy(&s->dst, dst, acd__sockaddr_len(dst));
        s->len = len;
        memcpy(s->data, data, len);
        buf = uv_buf_init(s->data, (unsigned)len);
        rc = uv_udp_send(&s->req, &t->udp, &buf, 1, dst, udp_send_cb);
        if (rc < 0)
            free(s);
    }
    if (rc < 0) {
        acd_log_warn("ACD-SIP-UDP-SEND-ERR", "peer=%s len=%zu err=%s",
                     acd_sockaddr_fmt(dst, who, sizeof(who)), len, uv_err_name(rc));
        return rc;
    }
    t->stats.tx_msgs++;
    t->stats.tx_bytes += len;
    return 0;
}

static void udp_close(acd_sip_transport_t *t)
{
    if (t->udp_open) {
        t->udp_open = false;
        acd__sip_transport_close_handle(t, (uv_handle_t *)&t->udp);
    }
}

const acd__sip_xport_ops_t acd__sip_udp_ops = {
    .name = "udp",
    .start = udp_start,
    .send = udp_send,
    .close = udp_close,
};
