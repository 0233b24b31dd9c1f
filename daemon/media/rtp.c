/* rtp.c - RTP header encoding and the RTP port pool with socket binding. */
#include "media/rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"

/* DSCP EF (46) in the upper six bits of the TOS / traffic class byte. */
#define RTP_TOS_EF 0xb8

void acd__rtp_hdr_write(uint8_t out[ACD_RTP_HEADER_LEN], const acd_rtp_hdr_t *h)
{
    out[0] = 0x80; /* V=2, P=0, X=0, CC=0 */
    out[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7f));
    out[2] = (uint8_t)(h->seq >> 8);
    out[3] = (uint8_t)h->seq;
    out[4] = (uint8_t)(h->ts >> 24);
    out[5] = (uint8_t)(h->ts >> 16);
    out[6] = (uint8_t)(h->ts >> 8);
    out[7] = (uint8_t)h->ts;
    out[8] = (uint8_t)(h->ssrc >> 24);
    out[9] = (uint8_t)(h->ssrc >> 16);
    out[10] = (uint8_t)(h->ssrc >> 8);
    out[11] = (uint8_t)h->ssrc;
}

int acd__rtp_hdr_read(const uint8_t *pkt, size_t len, acd_rtp_hdr_t *h)
{
    if (!pkt || len < ACD_RTP_HEADER_LEN || (pkt[0] >> 6) != 2)
        return -EINVAL;
    h->marker = (pkt[1] & 0x80) != 0;
    h->pt = pkt[1] & 0x7f;
    h->seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    h->ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
    h->ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
    return 0;
}

int acd__rtp_parse(const uint8_t *pkt, size_t len, acd_rtp_pkt_t *out)
{
    if (acd__rtp_hdr_read(pkt, len, &out->h) < 0)
        return -EINVAL;
    size_t off = ACD_RTP_HEADER_LEN + 4u * (pkt[0] & 0x0f);
    if (off > len)
        return -EINVAL;
    if (pkt[0] & 0x10) {
        /* Extension: 16-bit profile, 16-bit length in 32-bit words, then the words. */
        if (len - off < 4)
            return -EINVAL;
        size_t words = (size_t)(pkt[off + 2] << 8 | pkt[off + 3]);
        off += 4;
        if (len - off < 4 * words)
            return -EINVAL;
        off += 4 * words;
    }
    size_t end = len;
    if (pkt[0] & 0x20) {
        /* The padding count includes itself, so it is at least 1 and fits after off. */
        size_t pad = pkt[len - 1];
        if (pad == 0 || pad > len - off)
            return -EINVAL;
        end -= pad;
    }
    out->payload = pkt + off;
    out->payload_len = end - off;
    return 0;
}

uint32_t acd__rtp_random32(void)
{
    uint32_t v;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
        return v;
    /* Only before the kernel's pool is ready (early boot): uniqueness is what matters. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    static uint32_t salt;
    salt += 0x9e3779b9u;
    return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^ salt ^ (uint32_t)getpid();
}

int acd__rtp_ports_init(acd_rtp_ports_t *pool, uint16_t min, uint16_t max)
{
    memset(pool, 0, sizeof(*pool));
    uint32_t first = (uint32_t)min + (min & 1u);
    if (min == 0 || first + 1 > max)
        return -EINVAL;
    pool->base = (uint16_t)first;
    pool->n = ((uint32_t)max - first - 1) / 2 + 1;
    pool->bits = calloc((pool->n + 63) / 64, sizeof(*pool->bits));
    return pool->bits ? 0 : -ENOMEM;
}

void acd__rtp_ports_fini(acd_rtp_ports_t *pool)
{
    free(pool->bits);
    memset(pool, 0, sizeof(*pool));
}

int acd__rtp_ports_take(acd_rtp_ports_t *pool, uint16_t *port)
{
    if (pool->used >= pool->n)
        return -EADDRINUSE;
    for (size_t k = 0; k < pool->n; k++) {
        size_t i = (pool->next + k) % pool->n;
        uint64_t bit = UINT64_C(1) << (i % 64);
        if (pool->bits[i / 64] & bit)
            continue;
        pool->bits[i / 64] |= bit;
        pool->used++;
        pool->next = (i + 1) % pool->n;
        *port = (uint16_t)(pool->base + 2 * i);
        return 0;
    }
    return -EADDRINUSE;
}

void acd__rtp_ports_release(acd_rtp_ports_t *pool, uint16_t port)
{
    if (port < pool->base || (port - pool->base) % 2 != 0)
        return;
    size_t i = (size_t)(port - pool->base) / 2;
    uint64_t bit = UINT64_C(1) << (i % 64);
    if (i >= pool->n || !(pool->bits[i / 64] & bit))
        return;
    pool->bits[i / 64] &= ~bit;
    pool->used--;
}

int acd__rtp_socket_open(acd_rtp_ports_t *pool, const struct sockaddr *addr, uint16_t *port)
{
    int family = addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
        return -EINVAL;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int tos = RTP_TOS_EF;
    if (family == AF_INET)
        (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    else
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
    /* Each port is tried at most once: a port held by another process is skipped. */
    size_t tries = pool->n - pool->used;
    for (size_t k = 0; k < tries; k++) {
        uint16_t p;
        if (acd__rtp_ports_take(pool, &p) < 0)
            break;
        struct sockaddr_storage ss;
        socklen_t len;
        if (family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            memcpy(sin, addr, sizeof(*sin));
            sin->sin_port = htons(p);
            len = sizeof(*sin);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            memcpy(sin6, addr, sizeof(*sin6));
            sin6->sin6_port = htons(p);
            len = sizeof(*sin6);
        }
        if (bind(fd, (struct sockaddr *)&ss, len) == 0) {
            *port = p;
            return fd;
        }
        int err = errno;
        acd__rtp_ports_release(pool, p);
        if (err != EADDRINUSE && err != EACCES) {
            close(fd);
            acd_log_err("ACD-MEDIA-RTP-BIND", "port=%u err=%s cannot bind RTP socket", (unsigned)p,
                        acd_errname(-err));
            return -err;
        }
        acd_log_debug("ACD-MEDIA-RTP-PORT-BUSY", "port=%u port held by another process",
                      (unsigned)p);
    }
    close(fd);
    return -EADDRINUSE;
}
