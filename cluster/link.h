/* link.h - site-to-site links on nng: this site's event log out, its peers' logs and snapshots in.
 */
#ifndef ACD_CLUSTER_LINK_H
#define ACD_CLUSTER_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "acd/v1/events.pb-c.h"
#include "util/buf.h"

/*
 * One link per site (docs/adr/0011-cluster-messaging.md). It binds one PUB socket (this
 * site's event log, acd_link_publish) and one REP socket (snapshot requests from peers,
 * ops.on_request), and for every configured peer dials one SUB socket, subscribed to
 * everything, to the peer's PUB address (ops.on_envelope) and one REQ socket to the
 * peer's REP address (acd_link_request).
 *
 * Threading. Everything here runs on the libuv loop thread and so do all callbacks.
 * nng is used only non-blocking: the sockets' NNG_OPT_RECVFD / NNG_OPT_SENDFD are
 * watched with uv_poll_t, and each readiness is served by a bounded batch of
 * nng_recvmsg/nng_sendmsg with NNG_FLAG_NONBLOCK. No nng aio callback is used. nng's
 * own threads run only nng pipe notifications, which touch nothing but per-socket
 * atomic counters, a mutex-guarded list of connection ids, and uv_async_send(); the
 * loop side turns those into on_peer_state. Reconnection is nng's dialer with the
 * configured back-off.
 *
 * Delivery. Pub/sub has no backpressure: a peer that is not connected, or too slow,
 * loses envelopes (nng drops them). That is by design: receivers notice the gap in
 * (incarnation, seq) and resync by snapshot. Envelopes that arrive are delivered in
 * the order their origin published them.
 */

typedef struct acd_link acd_link_t;

/* One remote site: its name and the two addresses it binds. Strings are copied. */
typedef struct acd_link_peer_cfg {
    const char *name;    /* the peer's site name (an id); its envelopes' origin_site */
    const char *pub_url; /* "tcp://10.0.0.2:7701", or "tls+tcp://..." with TLS */
    const char *rep_url;
} acd_link_peer_cfg_t;

/*
 * Mutual TLS between all sites of a cluster (deploy/make-certs creates the files). Both
 * ends present a certificate signed by ca_file and require one from the other side. A
 * dialing site also checks that the certificate it is shown names the peer it meant to
 * reach: the peer's site name must be a DNS name (subjectAltName) of its certificate.
 * A listening site accepts any certificate the CA signed (the request's origin_site,
 * not the certificate, names the requester). Paths are read during acd_link_alloc()
 * only.
 */
typedef struct acd_link_tls_cfg {
    const char *ca_file;   /* PEM: the CA(s) that sign site certificates */
    const char *cert_file; /* PEM: this site's certificate (chain) */
    const char *key_file;  /* PEM: its private key, unencrypted */
} acd_link_tls_cfg_t;

typedef struct acd_link_cfg {
    const char *site;    /* this site's name (an id) */
    const char *pub_url; /* where this site's PUB socket binds: "tcp://0.0.0.0:7701" */
    const char *rep_url; /* where its REP socket binds */
    const acd_link_peer_cfg_t *peers;
    size_t n_peers;
    /* NULL: plain TCP; otherwise every url above must be tls+tcp:// (ACD_ECONFIG if not). */
    const acd_link_tls_cfg_t *tls;
    unsigned reconnect_min_ms;   /* first redial delay; 0 means 100 */
    unsigned reconnect_max_ms;   /* back-off cap; 0 means 5000 */
    unsigned request_timeout_ms; /* acd_link_request deadline; 0 means 5000 */
    /* Envelopes nng may queue per connection in each direction; 0 means 1024 (max 8192). */
    unsigned queue_len;
} acd_link_cfg_t;

typedef struct acd_link_ops {
    /*
     * Called for every envelope received from peer (the configured name) that passed
     * acd_wire_decode() and whose origin_site is that peer. env is the link's and is
     * freed when the callback returns: copy what must outlive it. Required.
     */
    void (*on_envelope)(void *ud, const char *peer, const Acd__V1__Envelope *env);
    /*
     * Called when peer (a configured site, the request's origin_site) sends a request
     * to this site's REP socket, normally a snapshot request. Append the encoded reply
     * envelope (acd_wire_encode) to reply, which arrives empty and stays the link's, and
     * return 0 to send it; return a negative code (or leave reply empty) to send nothing,
     * and the requester times out. req is freed when the callback returns. NULL means
     * this site answers no requests.
     */
    int (*on_request)(void *ud, const char *peer, const Acd__V1__Envelope *req, acd_buf_t *reply);
    /*
     * Called when this site's subscription to peer's log comes up (connected true) or
     * goes down. A connection that was replaced between two loop iterations (the peer
     * restarted) is reported as down, then up. Only changes are reported; the first
     * report for a peer is "connected", and comes before the first envelope of that
     * connection. The peer's side may need a moment more before its envelopes flow:
     * like any gap, what is lost then shows in (incarnation, seq). May be NULL.
     */
    void (*on_peer_state)(void *ud, const char *peer, bool connected);
} acd_link_ops_t;

/*
 * Called once per acd_link_request(): reply is the peer's reply envelope (valid during
 * the call only) with err 0, or NULL with err -ETIMEDOUT (no reply within
 * request_timeout_ms of the request), ACD_EPROTO (the reply failed acd_wire_decode or
 * came from another origin), -ECANCELED (acd_link_close() was called) or another
 * negative errno. peer is the name given to acd_link_request. The callback may call
 * acd_link_request(), acd_link_publish() and acd_link_close().
 */
typedef void (*acd_link_reply_cb)(void *ud, const char *peer, const Acd__V1__Envelope *reply,
                                  int err);

/*
 * Creates the link: binds its PUB and REP sockets (synchronously: a port in use fails
 * here) and starts dialing every peer (in the background: a peer that is down is
 * retried with back-off). cfg and tls files are read during the call only. ops is
 * copied; ud is passed to every callback. On success *lp is the new link, released
 * with acd_link_close(). Returns 0; -EINVAL (a NULL argument or missing field);
 * ACD_ECONFIG (a site or peer name that is not an id, a peer named like this site or
 * twice, plain URLs with TLS or tls+tcp:// without it, bad cert/key/CA files);
 * -EADDRINUSE or another negative errno from binding; -ENOMEM; ACD_ELIB for other nng
 * failures. On failure nothing stays open (libuv handles already created are closed on
 * the loop's next iteration, so uv_loop_close() succeeds after one uv_run()).
 */
int acd_link_alloc(acd_link_t **lp, uv_loop_t *loop, const acd_link_cfg_t *cfg,
                   const acd_link_ops_t *ops, void *ud);

/*
 * Encodes env and publishes it to every connected subscriber. Never blocks: nng queues
 * the frame per subscriber and drops it for a subscriber whose queue is full. env is
 * only read. Returns 0; the acd_wire_encode() error (-EINVAL, -EMSGSIZE, -ENOMEM);
 * -ESHUTDOWN after acd_link_close(); another negative errno when nng refused the
 * frame. Every refusal is counted (tx_errors).
 */
int acd_link_publish(acd_link_t *l, const Acd__V1__Envelope *env);

/*
 * Sends req (encoded now: the caller keeps req) to peer's REP socket and calls cb
 * once with the reply or an error. One request per peer is on the wire at a time; the
 * others wait in order. Each request's deadline is request_timeout_ms after this call,
 * waiting included. While the peer is not connected the request waits for the
 * connection. nng resends a request whose reply is overdue by half the timeout, and
 * one that was on a connection that dropped. A request that timed out is abandoned:
 * nng may still resend it until the next request to that peer replaces it, and its late
 * reply is dropped. Returns 0 (cb will be called, never from inside this call);
 * -EINVAL; -ENOENT when peer is not configured; -ESHUTDOWN after acd_link_close(); an
 * acd_wire_encode() error.
 */
int acd_link_request(acd_link_t *l, const char *peer, const Acd__V1__Envelope *req,
                     acd_link_reply_cb cb, void *ud);

/* Counters of one peer. Loop-thread values; copies. */
typedef struct acd_link_peer_stats {
    uint64_t rx_msgs;       /* envelopes delivered to on_envelope */
    uint64_t rx_bytes;      /* bytes of all frames received from the peer's log */
    uint64_t decode_errors; /* frames and replies from the peer dropped as invalid */
    uint64_t requests;      /* requests this site handed to the peer (tx) */
    uint64_t replies;       /* valid replies received */
    uint64_t timeouts;      /* requests that ended with -ETIMEDOUT */
    uint64_t served;        /* replies this site sent to the peer's requests */
    uint64_t reconnects;    /* subscription connections lost (each is a resync) */
    bool connected;         /* the subscription to the peer's log is up */
} acd_link_peer_stats_t;

/* Counters of the link as a whole. */
typedef struct acd_link_stats {
    uint64_t tx_msgs; /* envelopes handed to the PUB socket */
    uint64_t tx_bytes;
    uint64_t tx_errors;    /* publishes refused (encode or nng) */
    uint64_t bad_requests; /* requests dropped: invalid frame or unknown origin */
    uint64_t reply_drops;  /* replies nng would not take at once (the requester resends) */
    unsigned subscribers;  /* connections on the PUB socket now */
} acd_link_stats_t;

/* Copies peer's counters to *out; returns 0 or -ENOENT. */
int acd_link_peer_stats(const acd_link_t *l, const char *peer, acd_link_peer_stats_t *out);

/* Copies the link's counters to *out. */
void acd_link_stats(const acd_link_t *l, acd_link_stats_t *out);

/* The number of configured peers and the name of the i-th (NULL past the end). */
size_t acd_link_peer_count(const acd_link_t *l);
const char *acd_link_peer_name(const acd_link_t *l, size_t i);

/*
 * Closes the link: pending requests are completed at once with -ECANCELED (their
 * callbacks run before this returns), no other callback of the link runs after this
 * returns, and nothing blocks. The link then takes its connections down and closes its
 * nng sockets once nng has dropped them (normally within milliseconds, at most about
 * two seconds; see link_quiesce.c for why nng_close() must wait for that), closes its
 * libuv handles, frees itself and runs cb (may be NULL) with ud. Keep the loop running
 * until then. Idempotent: a second call does nothing. May be called from any of the
 * link's callbacks.
 */
void acd_link_close(acd_link_t *l, void (*cb)(void *ud), void *ud);

#endif
