/* transport_int.h - private parts shared by transport.c, udp.c, tcp.c and frame.c. */
#ifndef ACD_SIP_TRANSPORT_INT_H
#define ACD_SIP_TRANSPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sip/transport.h"
#include "util/hmap.h"
#include "util/list.h"

/* Size of the one UDP receive buffer: the largest possible datagram. */
#define ACD__SIP_UDP_RX_SIZE 65536
/* Socket buffer sizes asked for the UDP socket (the kernel may clamp them). */
#define ACD__SIP_UDP_SOCKBUF (4 * 1024 * 1024)
#define ACD__SIP_DEFAULT_MAX_MESSAGE 65535
#define ACD__SIP_DEFAULT_TCP_IDLE_MS 300000
/* An outgoing TCP connect that has not completed after this long is abandoned. */
#define ACD__SIP_TCP_CONNECT_MS 10000
/* Unsent bytes a TCP connection may hold before the peer is deemed stuck and dropped. */
#define ACD__SIP_TCP_MAX_BACKLOG (8 * 1024 * 1024)

/*
 * One protocol of the transport. start() binds addr (whose port is the transport's
 * port, 0 for "any") and sets t->port when it was 0; it returns 0 or a negative errno
 * and may leave initialised handles behind, which close() then closes. send() has the
 * contract of acd_sip_transport_send(). close() starts closing every handle of the
 * protocol; each close callback ends in acd__sip_transport_handle_closed(). close()
 * may be called again and does nothing more.
 */
typedef struct acd__sip_xport_ops {
    const char *name;
    int (*start)(acd_sip_transport_t *t, const struct sockaddr *addr);
    int (*send)(acd_sip_transport_t *t, const acd_sip_peer_t *peer, const char *data, size_t len);
    void (*close)(acd_sip_transport_t *t);
} acd__sip_xport_ops_t;

extern const acd__sip_xport_ops_t acd__sip_udp_ops;
extern const acd__sip_xport_ops_t acd__sip_tcp_ops;

struct acd_sip_transport {
    uv_loop_t *loop;
    acd_sip_recv_cb recv_cb;
    void *recv_ud;
    size_t max_message;
    uint64_t tcp_idle_ms;
    bool enabled[2]; /* indexed by acd_sip_proto_t */
    uint16_t port;
    struct sockaddr_storage local; /* the configured listen address */

    /* UDP: one socket and one receive buffer, reused for every datagram. */
    bool udp_open; /* udp initialised and uv_close() not yet called */
    uv_udp_t udp;
    char *udp_rx;

    /* TCP: listener, idle sweep and the connections (owned by tcp.c). */
    bool listener_open;
    uv_tcp_t listener;
    bool sweep_open;
    uv_timer_t sweep;
    acd_hmap_t conns_by_id;   /* every open connection, keyed by its id */
    acd_hmap_t conns_by_addr; /* one open connection per remote address */
    acd_list_t conns;         /* every open (not closing) connection */
    uint64_t next_conn_id;

    /* Initialised handles whose close callback has not run yet. */
    unsigned handles;
    bool closing;
    void (*close_cb)(void *ud);
    void *close_ud;
    acd_sip_transport_stats_t stats;
};

/*
 * Called by every close callback of a handle the transport counted in t->handles.
 * Frees the transport and runs the user's close callback when it was the last one
 * and the transport is closing; t must not be touched afterwards.
 */
void acd__sip_transport_handle_closed(acd_sip_transport_t *t);

/* Closes a handle the transport owns directly (data must be t). */
void acd__sip_transport_close_handle(acd_sip_transport_t *t, uv_handle_t *h);

/* Length in bytes of a sockaddr of addr's family (0 for other families). */
socklen_t acd__sockaddr_len(const struct sockaddr *addr);
/* Port of an AF_INET/AF_INET6 address in host order (0 for other families). */
uint16_t acd__sockaddr_port(const struct sockaddr_storage *ss);
void acd__sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* Outcomes of acd__sip_frame() besides negative errors. */
enum acd__sip_frame_rc {
    ACD__SIP_FRAME_MORE = 0, /* no complete unit yet: read more */
    ACD__SIP_FRAME_MSG = 1,  /* a whole message of *used bytes starts at p */
    ACD__SIP_FRAME_PING = 2, /* an RFC 5626 CRLFCRLF keep-alive of *used bytes: answer CRLF */
    ACD__SIP_FRAME_SKIP = 3, /* *used stray CR/LF bytes before a start line: drop them */
};

/*
 * Frames the front of a SIP byte stream p[0..n) (RFC 3261 18.3): returns one of
 * acd__sip_frame_rc with *used set (0 for MORE), ACD_EPARSE when the headers are
 * complete but carry no valid Content-Length (or two different ones), or -EMSGSIZE
 * when the message is or will be larger than max bytes. Pure; never reads past p + n.
 */
int acd__sip_frame(const char *p, size_t n, size_t max, size_t *used);

#endif
