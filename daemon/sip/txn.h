/* txn.h - the RFC 3261 transaction layer (with RFC 6026's Accepted state) on the libuv loop. */
#ifndef ACD_SIP_TXN_H
#define ACD_SIP_TXN_H

#include <stdint.h>
#include <uv.h>

#include "sip/msg.h"
#include "sip/transport.h"

/*
 * The layer sits between the transport and the transaction user (TU: registrar, call
 * control). Incoming bytes are validated (validate.h); invalid requests are answered
 * statelessly; retransmissions are absorbed; new requests and responses go up to the
 * TU through callbacks. Timers follow RFC 3261 17 with T1/T2/T4 configurable
 * (A/B/D/E/F/G/H/I/J/K, and L/M of RFC 6026); over TCP retransmission timers are off
 * and the absorb timers are zero.
 *
 * Lifetimes: transactions belong to the layer. A TU may keep a server transaction
 * pointer until it sends a final response on it; a client transaction pointer until its
 * callback reports termination (status 0) or until it calls acd_sip_txn_forget().
 */
typedef struct acd_sip_txl acd_sip_txl_t;
typedef struct acd_sip_txn acd_sip_txn_t;

/*
 * A client transaction's response callback. resp is the response (valid only during the
 * call) or NULL when the layer ends the transaction itself: status 408 (timer B/F), 503
 * (transport error) and, for a final report after everything, 0 (terminated: forget ct).
 * For INVITE a 2xx is reported once; its retransmissions are answered with the ACK the
 * TU gave acd_sip_txn_send_ack(). The callback may start new transactions.
 */
typedef void (*acd_sip_response_cb)(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                                    int status);

typedef struct acd_sip_tu_ops {
    /*
     * A new request. st is its server transaction (respond with acd_sip_txn_respond());
     * st is NULL for ACK (an ACK for a 2xx, or a stray one): the TU matches it to its
     * dialog. CANCEL never comes here (see cancel).
     */
    void (*request)(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                    const acd_sip_peer_t *from);
    /*
     * The INVITE server transaction ist was cancelled by a CANCEL (already answered 200)
     * while no final response was sent: the TU should answer 487.
     */
    void (*cancel)(void *ud, acd_sip_txn_t *ist);
    /*
     * A 2xx to an INVITE was never acknowledged (timer L) or a non-2xx final never
     * reached the peer (timer H): the TU should tear down what depended on it.
     * Informational: the transaction is gone after this call.
     */
    void (*server_timeout)(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req);
} acd_sip_tu_ops_t;

typedef struct acd_sip_txl_cfg {
    int t1_ms; /* default 500 */
    int t2_ms; /* default 4000 */
    int t4_ms; /* default 5000 */
    const char *via_host;  /* our sent-by address */
    uint16_t via_port;
    const char *server_name; /* User-Agent / Server value, e.g. "acdd/0.1" */
} acd_sip_txl_cfg_t;

/*
 * Creates the layer over transport t (whose receive callback must be
 * acd_sip_txl_on_recv with the layer as ud). Returns 0, -EINVAL, -ENOMEM.
 */
int acd_sip_txl_alloc(acd_sip_txl_t **lp, uv_loop_t *loop, acd_sip_transport_t *t,
                      const acd_sip_txl_cfg_t *cfg, const acd_sip_tu_ops_t *ops, void *ud);

/* The transport receive callback (ud is the layer). */
void acd_sip_txl_on_recv(void *ud, const acd_sip_peer_t *from, const char *data, size_t len);

/*
 * Ends every transaction (client callbacks report status 0) and frees the layer once
 * libuv has closed its timers, then cb (may be NULL). Idempotent.
 */
void acd_sip_txl_close(acd_sip_txl_t *l, void (*cb)(void *ud), void *ud);

/* The transport the layer sends on (for stateless sends of ACK-to-2xx by the TU). */
acd_sip_transport_t *acd_sip_txl_transport(acd_sip_txl_t *l);

/*
 * Sends a response on server transaction st, built from its request (see
 * acd_sip_response_build; received/rport are filled in by the layer). A final response
 * ends the TU's hold on st. Returns 0, -EINVAL (bad code, or a final already sent),
 * -ENOMEM.
 */
int acd_sip_txn_respond(acd_sip_txn_t *st, int code, const char *reason,
                        const acd_sip_resp_opts_t *opts);

/* The request of a server transaction and where it came from. */
const acd_sip_msg_t *acd_sip_txn_request(const acd_sip_txn_t *st);
const acd_sip_peer_t *acd_sip_txn_peer(const acd_sip_txn_t *st);

/*
 * Starts a client transaction: fills spec's Via (transport, our host/port, a new
 * branch) and sends the request to `to`. cb/ud receive the responses. On success *ctp
 * (may be NULL) is the transaction. Returns 0, -EINVAL, -ENOMEM or the transport error.
 */
int acd_sip_txn_request_send(acd_sip_txl_t *l, const acd_sip_peer_t *to, acd_sip_req_spec_t *spec,
                             acd_sip_response_cb cb, void *ud, acd_sip_txn_t **ctp);

/*
 * Cancels INVITE client transaction ct (RFC 3261 9.1): sends CANCEL once a provisional
 * response has arrived (deferred until then), and only if no final response has.
 * Returns 0, -EINVAL (not an INVITE), ACD_ESTATE (already final).
 */
int acd_sip_txn_cancel(acd_sip_txn_t *ct);

/*
 * Sends the ACK for the 2xx that ct reported (spec is the in-dialog ACK: the TU fills
 * dialog fields and body; Via and branch are filled here) and keeps it to answer
 * retransmitted 2xx until timer M. Returns 0, ACD_ESTATE (no 2xx yet), -ENOMEM.
 */
int acd_sip_txn_send_ack(acd_sip_txn_t *ct, const acd_sip_peer_t *to, acd_sip_req_spec_t *spec);

/* Detaches the TU from client transaction ct: no more callbacks; it finishes alone. */
void acd_sip_txn_forget(acd_sip_txn_t *ct);

/*
 * Forwards a request to `to` (over UDP) as a stateless proxy would (RFC 3261 16.11, see
 * sip/proxy.h): for another site's dialog (ADR 0017). st is the request's server
 * transaction, or NULL for an ACK (then req is the ACK; otherwise req must be st's
 * request). On success the TU's hold on st ends as with a final response: the layer
 * keeps st for 64*T1 only to forward retransmissions, the CANCEL and the non-2xx ACK of
 * the same branch the same way, and sends the responses that come back with our Via on
 * top (popped) to where the request came from. Returns 0; -ELOOP when req already
 * carries our Via or a relay Via on top (it was relayed once: never again);
 * -EPROTONOSUPPORT when its top Via has no RFC 3261 branch; -EINVAL (bad arguments, st
 * answered already, Max-Forwards 0: answer 483); -ENOMEM; the transport's error.
 */
int acd_sip_txn_relay(acd_sip_txl_t *l, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                      const acd_sip_peer_t *to);

/*
 * A relayed server transaction (not an ACK's) of the dialog call_id / to_tag (our tag),
 * taken back: the dialog became this site's (a takeover) while its owner never answered.
 * The transaction is the TU's again, as if just received and not yet answered; its
 * request is acd_sip_txn_request(). NULL when there is none.
 */
acd_sip_txn_t *acd_sip_txn_relay_reclaim(acd_sip_txl_t *l, acd_str_t call_id, acd_str_t to_tag);

/* Sends a stateless response to a request that has no transaction (stray, invalid). */
int acd_sip_txl_respond_stateless(acd_sip_txl_t *l, const acd_sip_msg_t *req,
                                  const acd_sip_peer_t *to, int code, const char *reason,
                                  const char *extra_headers);

typedef struct acd_sip_txl_stats {
    uint64_t server_txns, client_txns; /* alive now */
    uint64_t retransmits_absorbed, retransmits_sent, timeouts, rejected, dropped;
} acd_sip_txl_stats_t;
void acd_sip_txl_stats(const acd_sip_txl_t *l, acd_sip_txl_stats_t *out);

#endif
