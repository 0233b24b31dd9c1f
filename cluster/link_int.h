/* link_int.h - internals shared by link.c (sockets, lifecycle) and link_peer.c (peer traffic). */
#ifndef ACD_CLUSTER_LINK_INT_H
#define ACD_CLUSTER_LINK_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "acd/core.h"
#include "cluster/link.h"
#include "util/buf.h"
#include "util/list.h"

/* Frames taken from one socket per readiness before the loop gets control back. */
#define ACD__LINK_RX_BATCH 64
/* A rate-limited warning is written at most once per this many milliseconds. */
#define ACD__LINK_LOG_EVERY_MS 10000
/* How long a closing link waits for its connections to go before closing anyway. */
#define ACD__LINK_QUIESCE_MS 2000
/* Redial delay given to the dialers of a closing link (none happens before it is closed). */
#define ACD__LINK_STOPPED_REDIAL_MS 3600000
/* Scratch buffers larger than this are released after use (one big snapshot). */
#define ACD__LINK_BUF_KEEP ((size_t)1 << 20)

typedef struct acd__link_peer acd__link_peer_t;

typedef enum acd__link_kind {
    ACD__LINK_PUB, /* binds; sends only */
    ACD__LINK_REP, /* binds; receives requests, sends replies */
    ACD__LINK_SUB, /* dials a peer's PUB; receives */
    ACD__LINK_REQ, /* dials a peer's REP; sends requests, receives replies */
} acd__link_kind_t;

/*
 * One nng socket and the libuv handles that watch its descriptors. Created by
 * acd__link_sock_open() and linked into l->socks at once; it is freed with the link,
 * after its nng socket and its handles are closed (see link_quiesce.c for why the nng
 * socket is closed only after its connections are gone).
 */
typedef struct acd__link_sock {
    acd_list_t link; /* in l->socks */
    acd_link_t *l;
    acd__link_peer_t *peer; /* NULL for PUB and REP */
    acd__link_kind_t kind;
    nng_socket s;
    bool nng_open;
    nng_dialer dialer; /* SUB and REQ */
    bool has_dialer;
    nng_sockaddr bound; /* where a REP or PUB listener is bound (port resolved) */
    bool has_bound;
    uv_poll_t rpoll; /* NNG_OPT_RECVFD: SUB, REQ, REP */
    uv_poll_t wpoll; /* NNG_OPT_SENDFD: REQ, started only while a request waits for a pipe */
    bool has_rpoll, has_wpoll, wpoll_on;
    /* Written by nng pipe notifications (nng threads), read on the loop thread. */
    atomic_int pipes;       /* connections now */
    atomic_uint pipes_lost; /* connections removed so far */
    /* The ids of the connections now, for link_quiesce.c; guarded by lock. */
    uv_mutex_t lock;
    bool has_lock;
    uint32_t *pipe_ids;
    size_t n_pipe_ids, cap_pipe_ids;
} acd__link_sock_t;

/* A request waiting for, or on, the wire; owns a copy of the encoded frame. */
typedef struct acd__link_req {
    acd_list_t link; /* in peer->reqs */
    acd_link_reply_cb cb;
    void *ud;
    uint64_t deadline; /* uv_now() milliseconds */
    int err;           /* a failure to report from the timer instead of -ETIMEDOUT */
    size_t len;
    unsigned char data[];
} acd__link_req_t;

struct acd__link_peer {
    acd_link_t *l;
    char name[ACD_ID_MAX];
    char *pub_url;
    char *rep_url;
    acd__link_sock_t *sub;
    acd__link_sock_t *req;
    nng_tls_config *tls; /* client config checking the peer's name, or NULL */
    acd_list_t reqs;     /* acd__link_req_t in order; the head is in flight when active */
    bool req_active;     /* the head has started and its timer runs */
    bool req_sent;       /* nng took the head (a reply may come) */
    uv_timer_t timer;    /* the head's deadline */
    bool has_timer;
    bool connected;     /* last state reported to on_peer_state */
    unsigned seen_lost; /* sub->pipes_lost when last looked at */
    acd_link_peer_stats_t st;
    uint64_t bad_log_ms; /* when ACD-LINK-BAD-FRAME was last written, 0 = never */
    uint64_t bad_quiet;  /* bad frames since then not logged */
};

struct acd_link {
    uv_loop_t *loop;
    acd_link_ops_t ops;
    void *ud;
    char site[ACD_ID_MAX];
    char *pub_url;
    char *rep_url;
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
    unsigned request_timeout_ms;
    unsigned queue_len;
    nng_tls_config *tls_server; /* for both listeners, or NULL */
    acd__link_sock_t *pub;
    acd__link_sock_t *rep;
    acd__link_peer_t *peers;
    size_t n_peers;
    acd_list_t socks; /* every acd__link_sock_t of the link */
    uv_async_t async; /* pipe notifications -> peer states, or the close's progress */
    bool has_async;
    uv_timer_t reap_timer; /* bounds the wait for connections to go before nng_close */
    bool has_reap_timer;
    bool reaped;      /* every nng socket is closed */
    unsigned handles; /* uv handles of the link and its sockets still to close */
    bool closing;
    void (*close_cb)(void *ud);
    void *close_ud;
    acd_buf_t txbuf;    /* publish and request encoding */
    acd_buf_t replybuf; /* on_request's reply */
    acd_link_stats_t st;
    uint64_t badreq_log_ms;
    uint64_t badreq_quiet;
};

/* ---- link.c ---- */

/* The one translation of nng error codes to 0 / negative errno / ACD codes. */
int acd__link_err(int nng_rv);

/*
 * Opens a socket of kind for l (and peer, for SUB and REQ), binds or dials it, and
 * starts watching its descriptors. Returns 0 with *sp set, or a negative code; either
 * way the socket belongs to l->socks and is closed with the link.
 */
int acd__link_sock_open(acd_link_t *l, acd__link_peer_t *peer, acd__link_kind_t kind,
                        acd__link_sock_t **sp);

/*
 * Shuts down, from the kernel side, every connection of l's receiving sockets that are
 * still open (link_quiesce.c). Loop thread, closing links only.
 */
void acd__link_quiesce(acd_link_t *l);

/*
 * Stops s's dialer from redialing and its SENDFD watch; s keeps being read (and what
 * arrives dropped) until acd__link_socks_reap() closes it.
 */
void acd__link_sock_stop(acd__link_sock_t *s);

/*
 * Closes the sockets of l (handles, then nng socket) that have no connection left (all
 * of them when force) and returns true once every nng socket of l is closed. Closing
 * links only.
 */
bool acd__link_socks_reap(acd_link_t *l, bool force);

/* Frees s (its nng socket and handles already closed) and unlinks it from l->socks. */
void acd__link_sock_free(acd__link_sock_t *s);

/* link.c: one more libuv handle of l has closed; frees a closing link after its last. */
void acd__link_handle_closed(acd_link_t *l);

/* Starts (on) or stops watching a REQ socket's SENDFD: on while a request waits for a pipe. */
void acd__link_sock_want_send(acd__link_sock_t *s, bool on);

/* Copies the encoded frame data/len into a new nng message and sends it non-blocking. */
int acd__link_send_copy(nng_socket s, const void *data, size_t len);

/*
 * True when a rate-limited warning whose last line was written at *last_ms may be
 * written now; then *last_ms becomes now. Otherwise counts one more in *quiet.
 */
bool acd__link_log_due(const acd_link_t *l, uint64_t *last_ms, uint64_t *quiet);

/* Releases b's memory when it grew past ACD__LINK_BUF_KEEP, else only empties it. */
void acd__link_buf_trim(acd_buf_t *b);

/* ---- link_peer.c ---- */

/* Sets up p from cfg (strings, request list, its timer); no sockets yet. */
int acd__link_peer_init(acd_link_t *l, acd__link_peer_t *p, const acd_link_peer_cfg_t *cfg);
/* Frees what acd__link_peer_init allocated (after its timer closed). */
void acd__link_peer_fini(acd__link_peer_t *p);

/* Finds a configured peer by name, or NULL. */
acd__link_peer_t *acd__link_peer_find(const acd_link_t *l, const char *name);

/* SUB readiness: receives a batch from peer's log and delivers it. */
void acd__link_sub_readable(acd__link_sock_t *s);
/* REQ readiness: SENDFD (write true) sends the waiting request, RECVFD takes its reply. */
void acd__link_req_ready(acd__link_sock_t *s, bool write);
/* REP readiness: serves a batch of requests. */
void acd__link_rep_readable(acd__link_sock_t *s);

/* Reports connection changes of every peer's subscription (loop thread, from the async). */
void acd__link_peer_check_state(acd_link_t *l);

/* Completes every request of p with -ECANCELED (link closing). */
void acd__link_peer_cancel(acd__link_peer_t *p);

#endif
