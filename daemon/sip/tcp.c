/* tcp.c - SIP over TCP: listener, connections by id and by address, framing, idle sweep. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/transport_int.h"
#include "util/buf.h"
#include "util/log.h"

/* Bytes of free space offered to each read; the rx buffer grows by doubling. */
#define TCP_READ_CHUNK 16384
/* An empty rx buffer bigger than this is released (after one large message). */
#define TCP_RX_KEEP 65536
/* Address key: family tag, port, then 4 or 16 address bytes. */
#define TCP_KEY_MAX 19

/* One outgoing chunk: owns a copy of the bytes until libuv is done with them. */
typedef struct acd__sip_tcp_write {
    uv_write_t req;
    acd_list_t link; /* in conn->pending while the connection is being set up */
    size_t len;
    char data[];
} acd__sip_tcp_write_t;

/*
 * One connection, accepted or opened by us. Owned by the transport from creation to
 * its close callback; while open it is in t->conns and t->conns_by_id, and in
 * t->conns_by_addr when it is the one chosen for its remote address.
 */
typedef struct acd__sip_tcp_conn {
    uv_tcp_t handle; /* handle.data is the conn */
    uv_connect_t connect_req;
    acd_sip_transport_t *t;
    uint64_t id;
    acd_hmap_node_t by_id;
    acd_hmap_node_t by_addr;
    acd_list_t link;
    struct sockaddr_storage peer;
    unsigned char key[TCP_KEY_MAX];
    size_t key_len;
    acd_buf_t rx;       /* bytes read but not yet framed */
    acd_list_t pending; /* acd__sip_tcp_write_t waiting for the connect to finish */
    uint64_t started_ms;
    uint64_t active_ms;
    bool registered;
    bool in_addr_map;
    bool connecting;
    bool closing;
} acd__sip_tcp_conn_t;

static size_t tcp_addr_key(const struct sockaddr *sa, unsigned char *key)
{
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        memcpy(key + 1, &a->sin6_port, 2);
        /* Peers of a dual-stack listener appear as ::ffff:a.b.c.d; fold them to IPv4. */
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            key[0] = 4;
            memcpy(key + 3, &a->sin6_addr.s6_addr[12], 4);
            return 7;
        }
        key[0] = 6;
        memcpy(key + 3, &a->sin6_addr, 16);
        return 19;
    }
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    key[0] = 4;
    memcpy(key + 1, &a->sin_port, 2);
    memcpy(key + 3, &a->sin_addr, 4);
    return 7;
}

static acd_str_t tcp_conn_key(const acd__sip_tcp_conn_t *c)
{
    return (acd_str_t){(const char *)c->key, c->key_len};
}

static const char *tcp_conn_who(const acd__sip_tcp_conn_t *c, char *buf, size_t len)
{
    return acd_sockaddr_fmt((const struct sockaddr *)&c->peer, buf, len);
}

static void tcp_conn_close_cb(uv_handle_t *h)
{
    acd__sip_tcp_conn_t *c = h->data;
    acd_sip_transport_t *t = c->t;
    acd_list_t *pos, *tmp;

    acd_list_foreach(pos, tmp, &c->pending)
    {
        acd_list_remove(pos);
        free(acd_container_of(pos, acd__sip_tcp_write_t, link));
    }
    acd_buf_fini(&c->rx);
    free(c);
    acd__sip_transport_handle_closed(t);
}

/*
 * Takes c out of every table at once (so no send picks it any more) and starts closing
 * its handle; the memory goes in the close callback. Safe to call twice and from
 * inside c's own callbacks.
 */
static void tcp_conn_close(acd__sip_tcp_conn_t *c, const char *reason)
{
    acd_sip_transport_t *t = c->t;
    acd_list_t *pos, *tmp;
    char who[64];

    if (c->closing)
        return;
    c->closing = true;
    acd_hmap_remove(&t->conns_by_id, &c->by_id);
    acd_list_remove(&c->link);
    if (c->in_addr_map) {
        acd_hmap_remove(&t->conns_by_addr, &c->by_addr);
        c->in_addr_map = false;
        /* Another open connection to the same address takes over sends to it. */
        acd_list_foreach(pos, tmp, &t->conns)
        {
            acd__sip_tcp_conn_t *o = acd_container_of(pos, acd__sip_tcp_conn_t, link);
            if (acd_str_eq(tcp_conn_key(o), tcp_conn_key(c))) {
                o->in_addr_map =
                    acd_hmap_insert(&t->conns_by_addr, &o->by_addr, tcp_conn_key(o)) == 0;
                break;
            }
        }
    }
    if (c->registered)
        t->stats.tcp_conns_open--;
    acd_log_debug("ACD-SIP-TCP-CLOSED", "conn=%llu peer=%s reason=%s", (unsigned long long)c->id,
                  tcp_conn_who(c, who, sizeof(who)), reason);
    uv_close((uv_handle_t *)&c->handle, tcp_conn_close_cb);
}

static void tcp_shutdown_cb(uv_shutdown_t *req, int status)
{
    acd__sip_tcp_conn_t *c = req->data;
    (void)status;
    free(req);
    tcp_conn_close(c, "after-error"); /* a no-op when the transport already closed it */
}

/*
 * Closes c after what was already queued on it has been written: the answer to the last
 * message that could be framed (a 400, say) still reaches the peer before the stream
 * that cannot be framed any further goes away. Nothing more is read from c.
 */
static void tcp_conn_close_flushed(acd__sip_tcp_conn_t *c, const char *reason)
{
    uv_read_stop((uv_stream_t *)&c->handle);
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (req) {
        req->data = c;
        if (uv_shutdown(req, (uv_stream_t *)&c->handle, tcp_shutdown_cb) == 0)
            return;
        free(req);
    }
    tcp_conn_close(c, reason);
}

/* Creates a connection with an initialised handle and a fresh id; returns 0 or -errno. */
static int tcp_conn_new(acd_sip_transport_t *t, acd__sip_tcp_conn_t **cp)
{
    acd__sip_tcp_conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int rc = uv_tcp_init(t->loop, &c->handle);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->handle.data = c;
    c->t = t;
    t->handles++;
    c->id = t->next_conn_id++;
    acd_list_init(&c->link);
    acd_list_init(&c->pending);
    c->started_ms = c->active_ms = uv_now(t->loop);
    *cp = c;
    return 0;
}

/* Records the remote address and links c into the tables; returns 0 or -ENOMEM. */
static int tcp_conn_register(acd__sip_tcp_conn_t *c, const struct sockaddr *peer)
{
    acd_sip_transport_t *t = c->t;

    memcpy(&c->peer, peer, acd__sockaddr_len(peer));
    c->key_len = tcp_addr_key(peer, c->key);
    int rc = acd_hmap_insert(&t->conns_by_id, &c->by_id,
                             (acd_str_t){(const char *)&c->id, sizeof(c->id)});
    if (rc < 0)
        return rc;
    if (!acd_hmap_get(&t->conns_by_addr, tcp_conn_key(c)))
        c->in_addr_map = acd_hmap_insert(&t->conns_by_addr, &c->by_addr, tcp_conn_key(c)) == 0;
    acd_list_push_back(&t->conns, &c->link);
    c->registered = true;
    t->stats.tcp_conns_open++;
    return 0;
}

static void tcp_write_cb(uv_write_t *req, int status)
{
    acd__sip_tcp_write_t *w = acd_container_of(req, acd__sip_tcp_write_t, req);
    acd__sip_tcp_conn_t *c = req->handle->data;
    char who[64];

    free(w);
    if (status < 0 && status != UV_ECANCELED && !c->closing) {
        acd_log_warn("ACD-SIP-TCP-WRITE-ERR", "conn=%llu peer=%s err=%s", (unsigned long long)c->id,
                     tcp_conn_who(c, who, sizeof(who)), uv_err_name(status));
        tcp_conn_close(c, "write-error");
    }
}

/* Hands w to libuv, which owns it until tcp_write_cb; closes c on failure. */
static int tcp_conn_submit(acd__sip_tcp_conn_t *c, acd__sip_tcp_write_t *w)
{
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->handle, &buf, 1, tcp_write_cb);
    if (rc < 0) {
        char who[64];
        free(w);
        acd_log_warn("ACD-SIP-TCP-WRITE-ERR", "conn=%llu peer=%s err=%s", (unsigned long long)c->id,
                     tcp_conn_who(c, who, sizeof(who)), uv_err_name(rc));
        tcp_conn_close(c, "write-error");
    }
    return rc;
}

/*
 * Sends data on c: straight into the socket when nothing is queued, otherwise (and for
 * the rest of a partial write) as a heap copy queued behind earlier writes, or held
 * until the connect completes. The caller keeps data. Returns 0 or a negative errno
 * (c is then closing).
 */
static int tcp_conn_write(acd__sip_tcp_conn_t *c, const char *data, size_t len)
{
    uv_stream_t *s = (uv_stream_t *)&c->handle;
    char who[64];

    if (c->closing)
        return -ENOTCONN;
    c->active_ms = uv_now(c->t->loop);
    if (!c->connecting) {
        uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
        int n = uv_try_write(s, &buf, 1);
        if (n >= 0) {
            data += n;
            len -= (size_t)n;
            if (len == 0)
                return 0;
        } else if (n != UV_EAGAIN) {
            acd_log_warn("ACD-SIP-TCP-WRITE-ERR", "conn=%llu peer=%s err=%s",
                         (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)),
                         uv_err_name(n));
            tcp_conn_close(c, "write-error");
            return n;
        }
        if (uv_stream_get_write_queue_size(s) + len > ACD__SIP_TCP_MAX_BACKLOG) {
            acd_log_warn("ACD-SIP-TCP-BACKLOG", "conn=%llu peer=%s queued=%zu",
                         (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)),
                         uv_stream_get_write_queue_size(s));
            tcp_conn_close(c, "backlog");
            return -ENOBUFS;
        }
    }
    acd__sip_tcp_write_t *w = malloc(sizeof(*w) + len);
    if (!w)
        return -ENOMEM;
    w->len = len;
    memcpy(w->data, data, len);
    acd_list_init(&w->link);
    if (c->connecting) {
        acd_list_push_back(&c->pending, &w->link);
        return 0;
    }
    return tcp_conn_submit(c, w);
}

static void tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    acd__sip_tcp_conn_t *c = h->data;

    /* A zero-length buffer makes libuv report UV_ENOBUFS to tcp_read_cb. */
    if (acd_buf_reserve(&c->rx, TCP_READ_CHUNK) < 0) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init(c->rx.p + c->rx.n, (unsigned)(c->rx.cap - c->rx.n - 1));
}

/* Delivers every complete message in c->rx and keeps the incomplete rest. */
static void tcp_conn_frame(acd__sip_tcp_conn_t *c)
{
    acd_sip_transport_t *t = c->t;
    size_t off = 0;
    char who[64];

    /* The receive callback may send on c, and a failed send closes c: check each turn. */
    while (!c->closing) {
        size_t used;
        int rc = acd__sip_frame(c->rx.p + off, c->rx.n - off, t->max_message, &used);
        if (rc == ACD__SIP_FRAME_MORE)
            break;
        if (rc < 0) {
            t->stats.rx_dropped++;
            if (rc == -EMSGSIZE)
                acd_log_warn("ACD-SIP-TCP-OVERSIZE", "conn=%llu peer=%s max=%zu",
                             (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)),
                             t->max_message);
            else
                acd_log_warn("ACD-SIP-TCP-FRAMING",
                             "conn=%llu peer=%s no usable Content-Length in stream message",
                             (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)));
            /*
             * A header block that cannot be framed still names who sent it: hand it up so
             * the validator can answer it (400), then close once that answer is written.
             */
            const char *hend = rc == -EMSGSIZE ? NULL : memmem(c->rx.p + off, c->rx.n - off, "\r\n\r\n", 4);
            if (hend) {
                acd_sip_peer_t from = {.proto = ACD_SIP_TCP, .conn_id = c->id};
                memcpy(&from.addr, &c->peer, sizeof(from.addr));
                t->recv_cb(t->recv_ud, &from, c->rx.p + off, (size_t)(hend + 4 - (c->rx.p + off)));
            }
            if (c->closing)
                return;
            tcp_conn_close_flushed(c, rc == -EMSGSIZE ? "oversize" : "framing");
            return;
        }
        if (rc == ACD__SIP_FRAME_PING) {
            tcp_conn_write(c, "\r\n", 2);
        } else if (rc == ACD__SIP_FRAME_MSG) {
            acd_sip_peer_t from = {.proto = ACD_SIP_TCP, .conn_id = c->id};
            memcpy(&from.addr, &c->peer, sizeof(from.addr));
            t->stats.rx_msgs++;
            t->recv_cb(t->recv_ud, &from, c->rx.p + off, used);
        }
        off += used;
    }
    if (c->closing)
        return;
    if (off) {
        memmove(c->rx.p, c->rx.p + off, c->rx.n - off);
        c->rx.n -= off;
        c->rx.p[c->rx.n] = '\0';
    }
    if (c->rx.n == 0 && c->rx.cap > TCP_RX_KEEP)
        acd_buf_fini(&c->rx);
}

static void tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    acd__sip_tcp_conn_t *c = s->data;
    char who[64];

    if (nread > 0) {
        c->rx.n += (size_t)nread;
        c->rx.p[c->rx.n] = '\0';
        c->t->stats.rx_bytes += (uint64_t)nread;
        c->active_ms = uv_now(c->t->loop);
        tcp_conn_frame(c);
    } else if (nread == UV_EOF) {
        tcp_conn_close(c, "eof");
    } else if (nread < 0) {
        acd_log_warn("ACD-SIP-TCP-READ-ERR", "conn=%llu peer=%s err=%s", (unsigned long long)c->id,
                     tcp_conn_who(c, who, sizeof(who)), uv_err_name((int)nread));
        tcp_conn_close(c, "read-error");
    }
}

static void tcp_connect_cb(uv_connect_t *req, int status)
{
    acd__sip_tcp_conn_t *c = req->data;
    acd_list_t *pos, *tmp;
    char who[64];

    /* Cancelled means c is closing; its close callback frees what is pending. */
    if (status == UV_ECANCELED || c->closing)
        return;
    if (status < 0) {
        size_t dropped = 0;
        acd_list_foreach(pos, tmp, &c->pending)
        {
            dropped++;
        }
        acd_log_warn("ACD-SIP-TCP-CONNECT-FAILED", "conn=%llu peer=%s err=%s dropped=%zu",
                     (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)),
                     uv_err_name(status), dropped);
        tcp_conn_close(c, "connect-failed");
        return;
    }
    c->connecting = false;
    c->active_ms = uv_now(c->t->loop);
    int rc = uv_read_start((uv_stream_t *)&c->handle, tcp_alloc_cb, tcp_read_cb);
    if (rc < 0) {
        acd_log_warn("ACD-SIP-TCP-READ-ERR", "conn=%llu peer=%s err=%s", (unsigned long long)c->id,
                     tcp_conn_who(c, who, sizeof(who)), uv_err_name(rc));
        tcp_conn_close(c, "read-error");
        return;
    }
    acd_log_debug("ACD-SIP-TCP-CONNECTED", "conn=%llu peer=%s", (unsigned long long)c->id,
                  tcp_conn_who(c, who, sizeof(who)));
    acd_list_foreach(pos, tmp, &c->pending)
    {
        acd_list_remove(pos);
        if (tcp_conn_submit(c, acd_container_of(pos, acd__sip_tcp_write_t, link)) < 0)
            return;
    }
}

static bool tcp_is_any(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* Opens a connection to addr; writes are held until it is up. Returns 0 or -errno. */
static int tcp_connect(acd_sip_transport_t *t, const struct sockaddr *addr,
                       acd__sip_tcp_conn_t **cp)
{
    acd__sip_tcp_conn_t *c;
    char who[64];
    int rc = tcp_conn_new(t, &c);
    if (rc < 0)
        return rc;
    /* Leave from the listening address when it names one interface of this family. */
    if (t->local.ss_family == addr->sa_family && !tcp_is_any(&t->local)) {
        struct sockaddr_storage src = t->local;
        acd__sockaddr_set_port(&src, 0);
        rc = uv_tcp_bind(&c->handle, (const struct sockaddr *)&src, 0);
        if (rc < 0)
            goto fail;
    }
    uv_tcp_nodelay(&c->handle, 1);
    c->connecting = true;
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->handle, addr, tcp_connect_cb);
    if (rc < 0)
        goto fail;
    rc = tcp_conn_register(c, addr);
    if (rc < 0)
        goto fail;
    acd_log_debug("ACD-SIP-TCP-CONNECTING", "conn=%llu peer=%s", (unsigned long long)c->id,
                  tcp_conn_who(c, who, sizeof(who)));
    *cp = c;
    return 0;
fail:
    acd_log_warn("ACD-SIP-TCP-CONNECT-FAILED", "conn=%llu peer=%s err=%s",
                 (unsigned long long)c->id, acd_sockaddr_fmt(addr, who, sizeof(who)),
                 uv_err_name(rc));
    tcp_conn_close(c, "connect-failed");
    return rc;
}

static void tcp_on_connection(uv_stream_t *server, int status)
{
    acd_sip_transport_t *t = server->data;
    acd__sip_tcp_conn_t *c;
    struct sockaddr_storage peer;
    int namelen = sizeof(peer);
    char who[64];

    if (status < 0) {
        acd_log_warn("ACD-SIP-TCP-ACCEPT-ERR", "port=%u err=%s", (unsigned)t->port,
                     uv_err_name(status));
        return;
    }
    int rc = tcp_conn_new(t, &c);
    if (rc < 0) {
        acd_log_err("ACD-SIP-TCP-ACCEPT-ERR", "port=%u err=%s", (unsigned)t->port, uv_err_name(rc));
        return;
    }
    rc = uv_accept(server, (uv_stream_t *)&c->handle);
    if (rc == 0)
        rc = uv_tcp_getpeername(&c->handle, (struct sockaddr *)&peer, &namelen);
    if (rc == 0)
        rc = tcp_conn_register(c, (const struct sockaddr *)&peer);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&c->handle, tcp_alloc_cb, tcp_read_cb);
    if (rc < 0) {
        acd_log_warn("ACD-SIP-TCP-ACCEPT-ERR", "port=%u err=%s", (unsigned)t->port,
                     uv_err_name(rc));
        tcp_conn_close(c, "accept-error");
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    t->stats.tcp_accepted++;
    acd_log_debug("ACD-SIP-TCP-ACCEPTED", "conn=%llu peer=%s", (unsigned long long)c->id,
                  tcp_conn_who(c, who, sizeof(who)));
}

/* Closes connections idle for tcp_idle_ms and connects pending for too long. */
static void tcp_sweep_cb(uv_timer_t *timer)
{
    acd_sip_transport_t *t = timer->data;
    uint64_t now = uv_now(t->loop);
    uint64_t connect_ms =
        t->tcp_idle_ms < ACD__SIP_TCP_CONNECT_MS ? t->tcp_idle_ms : ACD__SIP_TCP_CONNECT_MS;
    acd_list_t *pos, *tmp;
    char who[64];

    acd_list_foreach(pos, tmp, &t->conns)
    {
        acd__sip_tcp_conn_t *c = acd_container_of(pos, acd__sip_tcp_conn_t, link);
        if (c->connecting && now - c->started_ms >= connect_ms) {
            acd_log_warn("ACD-SIP-TCP-CONNECT-FAILED", "conn=%llu peer=%s err=timeout",
                         (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)));
            tcp_conn_close(c, "connect-timeout");
        } else if (!c->connecting && now - c->active_ms >= t->tcp_idle_ms) {
            acd_log_info("ACD-SIP-TCP-IDLE", "conn=%llu peer=%s idle_ms=%llu",
                         (unsigned long long)c->id, tcp_conn_who(c, who, sizeof(who)),
                         (unsigned long long)t->tcp_idle_ms);
            tcp_conn_close(c, "idle");
        }
    }
}

static int tcp_start(acd_sip_transport_t *t, const struct sockaddr *addr)
{
    struct sockaddr_storage bound;
    int namelen = sizeof(bound);

    int rc = uv_tcp_init(t->loop, &t->listener);
    if (rc < 0)
        return rc;
    t->listener.data = t;
    t->handles++;
    t->listener_open = true;
    rc = uv_tcp_bind(&t->listener, addr, 0);
    if (rc < 0)
        return rc;
    /* libuv reports a bind conflict (EADDRINUSE) only at listen time. */
    rc = uv_listen((uv_stream_t *)&t->listener, SOMAXCONN, tcp_on_connection);
    if (rc < 0)
        return rc;
    rc = uv_tcp_getsockname(&t->listener, (struct sockaddr *)&bound, &namelen);
    if (rc < 0)
        return rc;
    if (t->port == 0)
        t->port = acd__sockaddr_port(&bound);

    rc = uv_timer_init(t->loop, &t->sweep);
    if (rc < 0)
        return rc;
    t->sweep.data = t;
    t->handles++;
    t->sweep_open = true;
    uint64_t every = t->tcp_idle_ms / 4;
    every = every < 10 ? 10 : every > 5000 ? 5000 : every;
    uv_timer_start(&t->sweep, tcp_sweep_cb, every, every);
    /* The sweep alone must not keep the loop alive. */
    uv_unref((uv_handle_t *)&t->sweep);
    return 0;
}

static int tcp_send(acd_sip_transport_t *t, const acd_sip_peer_t *peer, const char *data,
                    size_t len)
{
    acd__sip_tcp_conn_t *c = NULL;
    acd_hmap_node_t *n = NULL;
    unsigned char key[TCP_KEY_MAX];

    if (peer->conn_id) {
        n = acd_hmap_get(&t->conns_by_id,
                         (acd_str_t){(const char *)&peer->conn_id, sizeof(peer->conn_id)});
        if (n)
            c = acd_container_of(n, acd__sip_tcp_conn_t, by_id);
    }
    if (!c) {
        size_t klen = tcp_addr_key((const struct sockaddr *)&peer->addr, key);
        n = acd_hmap_get(&t->conns_by_addr, (acd_str_t){(const char *)key, klen});
        if (n)
            c = acd_container_of(n, acd__sip_tcp_conn_t, by_addr);
    }
    if (!c) {
        int rc = tcp_connect(t, (const struct sockaddr *)&peer->addr, &c);
        if (rc < 0)
            return rc;
    }
    int rc = tcp_conn_write(c, data, len);
    if (rc == 0) {
        t->stats.tx_msgs++;
        t->stats.tx_bytes += len;
    }
    return rc;
}

static void tcp_close(acd_sip_transport_t *t)
{
    acd_list_t *pos, *tmp;

    if (t->listener_open) {
        t->listener_open = false;
        acd__sip_transport_close_handle(t, (uv_handle_t *)&t->listener);
    }
    if (t->sweep_open) {
        t->sweep_open = false;
        acd__sip_transport_close_handle(t, (uv_handle_t *)&t->sweep);
    }
    acd_list_foreach(pos, tmp, &t->conns)
        tcp_conn_close(acd_container_of(pos, acd__sip_tcp_conn_t, link), "shutdown");
}

const acd__sip_xport_ops_t acd__sip_tcp_ops = {
    .name = "tcp",
    .start = tcp_start,
    .send = tcp_send,
    .close = tcp_close,
};
