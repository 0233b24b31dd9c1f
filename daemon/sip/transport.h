/* transport.h - SIP over UDP and TCP on the libuv loop: datagrams and framed streams. */
#ifndef ACD_SIP_TRANSPORT_H
#define ACD_SIP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

typedef enum acd_sip_proto {
    ACD_SIP_UDP = 0,
    ACD_SIP_TCP = 1,
} acd_sip_proto_t;

/*
 * Where a message came from or goes to. For TCP, conn_id names the connection it came
 * in on (0 = none: open or reuse a connection to addr). Values, freely copied.
 */
typedef struct acd_sip_peer {
    acd_sip_proto_t proto;
    struct sockaddr_storage addr;
    uint64_t conn_id;
} acd_sip_peer_t;

typedef struct acd_sip_transport acd_sip_transport_t;

/*
 * Called once per complete message: data/len are valid only during the call (the
 * transport reuses the memory). Stream framing (Content-Length, compact "l", CRLF
 * keep-alives, oversize messages) is done before; a stream that cannot be framed is
 * closed. The callback may call acd_sip_transport_send() but not close the transport.
 */
typedef void (*acd_sip_recv_cb)(void *ud, const acd_sip_peer_t *from, const char *data,
                                size_t len);

typedef struct acd_sip_transport_cfg {
    const char *listen_addr; /* IPv4 or IPv6 literal */
    uint16_t port;
    bool udp;
    bool tcp;
    size_t max_message;      /* bytes; 0 means 65535 */
    unsigned tcp_idle_ms;    /* close idle TCP connections after this; 0 means 300000 */
} acd_sip_transport_cfg_t;

/*
 * Binds and starts listening on the configured transports. On success *tp is a new
 * transport owned by the caller, released with acd_sip_transport_close().
 * Returns 0, -EINVAL, -ENOMEM, or the negative errno of the failed bind/listen
 * (-EADDRINUSE ...).
 */
int acd_sip_transport_alloc(acd_sip_transport_t **tp, uv_loop_t *loop,
                            const acd_sip_transport_cfg_t *cfg, acd_sip_recv_cb cb, void *ud);

/*
 * Sends one message. UDP: one datagram to peer->addr (try_send first, queued if the
 * socket would block). TCP: on connection conn_id if still open, otherwise on any open
 * connection to peer->addr, otherwise a new connection (queued until connected).
 * The bytes are copied; the caller keeps data. Returns 0 or a negative errno
 * (-ENOTCONN when a TCP destination is unreachable is reported later by a log only).
 */
int acd_sip_transport_send(acd_sip_transport_t *t, const acd_sip_peer_t *peer,
                           const char *data, size_t len);

/* Local port actually bound (useful with port 0 in tests). */
uint16_t acd_sip_transport_port(const acd_sip_transport_t *t);

/* Counters for status and metrics. */
typedef struct acd_sip_transport_stats {
    uint64_t rx_msgs, tx_msgs, rx_bytes, tx_bytes, rx_dropped, tcp_conns_open, tcp_accepted;
} acd_sip_transport_stats_t;
void acd_sip_transport_stats(const acd_sip_transport_t *t, acd_sip_transport_stats_t *out);

/* Stops accepting new TCP connections (drain); existing ones and UDP keep working. */
void acd_sip_transport_stop_accepting(acd_sip_transport_t *t);

/*
 * Closes every handle; the transport is freed once libuv has closed them all, then cb
 * (may be NULL) runs with ud. Idempotent: a second call does nothing.
 */
void acd_sip_transport_close(acd_sip_transport_t *t, void (*cb)(void *ud), void *ud);

/* Formats addr as "ip:port" ("[v6]:port") into buf; returns buf. */
char *acd_sockaddr_fmt(const struct sockaddr *addr, char *buf, size_t len);
/* Parses "ip" + port into out; returns 0 or -EINVAL. */
int acd_sockaddr_parse(const char *ip, uint16_t port, struct sockaddr_storage *out);

#endif
