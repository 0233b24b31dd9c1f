/* transport.c - the SIP transport object: configuration, dispatch, lifetime, addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip/transport_int.h"
#include "util/log.h"

static const acd__sip_xport_ops_t *const transport_ops[] = {
    [ACD_SIP_UDP] = &acd__sip_udp_ops,
    [ACD_SIP_TCP] = &acd__sip_tcp_ops,
};
#define TRANSPORT_NOPS (sizeof(transport_ops) / sizeof(transport_ops[0]))

socklen_t acd__sockaddr_len(const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET)
        return sizeof(struct sockaddr_in);
    if (addr->sa_family == AF_INET6)
        return sizeof(struct sockaddr_in6);
    return 0;
}

uint16_t acd__sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

void acd__sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Binds a throw-away socket of type to addr; returns its fd or a negative errno. */
static int transport_probe_bind(const struct sockaddr_storage *addr, int type)
{
    int fd = socket(addr->ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (const struct sockaddr *)addr, acd__sockaddr_len((const struct sockaddr *)addr)) <
        0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/*
 * With port 0 and both protocols, finds a port free for TCP and UDP alike: the kernel
 * picks a TCP port, which is kept if UDP can bind it too. The probe sockets are closed
 * before the real binds, a window too short to matter for the tests that use port 0.
 */
static int transport_pick_port(acd_sip_transport_t *t)
{
    for (int attempt = 0; attempt < 32; attempt++) {
        struct sockaddr_storage addr = t->local;
        socklen_t len = sizeof(addr);
        int tcp = transport_probe_bind(&addr, SOCK_STREAM);
        if (tcp < 0)
            return tcp;
        int rc = getsockname(tcp, (struct sockaddr *)&addr, &len) < 0 ? -errno : 0;
        int udp = rc < 0 ? rc : transport_probe_bind(&addr, SOCK_DGRAM);
        close(tcp);
        if (udp >= 0) {
            close(udp);
            t->port = acd__sockaddr_port(&addr);
            return 0;
        }
        if (udp != -EADDRINUSE)
            return udp;
    }
    return -EADDRINUSE;
}

/* Releases the transport once nothing refers to it any more; t is gone afterwards. */
static void transport_free(acd_sip_transport_t *t)
{
    void (*cb)(void *ud) = t->close_cb;
    void *ud = t->close_ud;

    acd_hmap_fini(&t->conns_by_id);
    acd_hmap_fini(&t->conns_by_addr);
    free(t->udp_rx);
    free(t);
    if (cb)
        cb(ud);
}

void acd__sip_transport_handle_closed(acd_sip_transport_t *t)
{
    t->handles--;
    if (t->closing && t->handles == 0)
        transport_free(t);
}

static void transport_handle_close_cb(uv_handle_t *h)
{
    acd__sip_transport_handle_closed(h->data);
}

void acd__sip_transport_close_handle(acd_sip_transport_t *t, uv_handle_t *h)
{
    h->data = t;
    uv_close(h, transport_handle_close_cb);
}

/*
 * Starts closing every handle. The transport is freed (and cb run) by the last close
 * callback, or right here when no handle was ever initialised.
 */
static void transport_begin_close(acd_sip_transport_t *t, void (*cb)(void *ud), void *ud)
{
    t->closing = true;
    t->close_cb = cb;
    t->close_ud = ud;
    for (size_t i = 0; i < TRANSPORT_NOPS; i++)
        transport_ops[i]->close(t);
    if (t->handles == 0)
        transport_free(t);
}

/*
 * On failure after handles were initialised they are closed and the memory is
 * released by their close callbacks, so the caller must still run the loop (as it
 * must before uv_loop_close() anyway).
 */
int acd_sip_transport_alloc(acd_sip_transport_t **tp, uv_loop_t *loop,
                            const acd_sip_transport_cfg_t *cfg, acd_sip_recv_cb cb, void *ud)
{
    acd_sip_transport_t *t = NULL;
    int rc = -EINVAL;

    if (!tp || !loop || !cfg || !cb || !cfg->listen_addr || (!cfg->udp && !cfg->tcp))
        goto out;
    t = calloc(1, sizeof(*t));
    if (!t) {
        rc = -ENOMEM;
        goto out;
    }
    t->loop = loop;
    t->recv_cb = cb;
    t->recv_ud = ud;
    t->max_message = cfg->max_message ? cfg->max_message : ACD__SIP_DEFAULT_MAX_MESSAGE;
    t->tcp_idle_ms = cfg->tcp_idle_ms ? cfg->tcp_idle_ms : ACD__SIP_DEFAULT_TCP_IDLE_MS;
    t->enabled[ACD_SIP_UDP] = cfg->udp;
    t->enabled[ACD_SIP_TCP] = cfg->tcp;
    t->port = cfg->port;
    t->next_conn_id = 1;
    acd_hmap_init(&t->conns_by_id);
    acd_hmap_init(&t->conns_by_addr);
    acd_list_init(&t->conns);
    rc = acd_sockaddr_parse(cfg->listen_addr, cfg->port, &t->local);
    if (rc < 0)
        goto out;

    if (t->port == 0 && cfg->udp && cfg->tcp) {
        rc = transport_pick_port(t);
        if (rc < 0)
            goto out;
    }
    for (size_t i = 0; i < TRANSPORT_NOPS; i++) {
        if (!t->enabled[i])
            continue;
        struct sockaddr_storage addr = t->local;
        acd__sockaddr_set_port(&addr, t->port);
        rc = transport_ops[i]->start(t, (const struct sockaddr *)&addr);
        if (rc < 0) {
            acd_log_err("ACD-SIP-TRANSPORT-BIND", "proto=%s addr=%s port=%u err=%s",
                        transport_ops[i]->name, cfg->listen_addr, (unsigned)t->port,
                        uv_err_name(rc));
            goto out;
        }
    }
    acd_log_info("ACD-SIP-TRANSPORT-LISTEN", "addr=%s port=%u udp=%d tcp=%d", cfg->listen_addr,
                 (unsigned)t->port, cfg->udp, cfg->tcp);
    rc = 0;
out:
    if (rc < 0 && t)
        transport_begin_close(t, NULL, NULL);
    else if (rc == 0)
        *tp = t;
    return rc;
}

int acd_sip_transport_send(acd_sip_transport_t *t, const acd_sip_peer_t *peer, const char *data,
                           size_t len)
{
    if (!t || !peer || (!data && len) || (unsigned)peer->proto >= TRANSPORT_NOPS)
        return -EINVAL;
    if (t->closing)
        return -ESHUTDOWN;
    if (!t->enabled[peer->proto])
        return -EPROTONOSUPPORT;
    if (acd__sockaddr_len((const struct sockaddr *)&peer->addr) == 0)
        return -EAFNOSUPPORT;
    return transport_ops[peer->proto]->send(t, peer, data, len);
}

uint16_t acd_sip_transport_port(const acd_sip_transport_t *t)
{
    return t->port;
}

void acd_sip_transport_stats(const acd_sip_transport_t *t, acd_sip_transport_stats_t *out)
{
    *out = t->stats;
}

void acd_sip_transport_stop_accepting(acd_sip_transport_t *t)
{
    if (t->listener_open) {
        t->listener_open = false;
        acd__sip_transport_close_handle(t, (uv_handle_t *)&t->listener);
        acd_log_info("ACD-SIP-TCP-STOP-ACCEPTING", "port=%u", (unsigned)t->port);
    }
}

void acd_sip_transport_close(acd_sip_transport_t *t, void (*cb)(void *ud), void *ud)
{
    if (!t || t->closing)
        return;
    transport_begin_close(t, cb, ud);
}

char *acd_sockaddr_fmt(const struct sockaddr *addr, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];

    if (!buf || len == 0)
        return buf;
    if (addr && addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (addr && addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(buf, len, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}

int acd_sockaddr_parse(const char *ip, uint16_t port, struct sockaddr_storage *out)
{
    char tmp[INET6_ADDRSTRLEN + 32];
    struct sockaddr_storage ss;

    if (!ip || !out)
        return -EINVAL;
    memset(&ss, 0, sizeof(ss));
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) == 0) {
        *out = ss;
        return 0;
    }
    /* IPv6 literals may come bracketed as in URIs ("[::1]"). */
    size_t n = strlen(ip);
    if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
        if (n - 2 >= sizeof(tmp))
            return -EINVAL;
        memcpy(tmp, ip + 1, n - 2);
        tmp[n - 2] = '\0';
        ip = tmp;
    }
    if (!strchr(ip, ':') || uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0)
        return -EINVAL;
    *out = ss;
    return 0;
}
