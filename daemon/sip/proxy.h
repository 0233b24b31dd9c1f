/* proxy.h - stateless forwarding of SIP messages (RFC 3261 16.11): our Via pushed and popped. */
#ifndef ACD_SIP_PROXY_H
#define ACD_SIP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/msg.h"
#include "util/buf.h"
#include "util/str.h"

/*
 * A site relays an in-dialog request for a dialog another site owns (ADR 0017) as a
 * stateless proxy would: it pushes its own Via, whose branch is derived from the
 * request's own branch, decrements Max-Forwards, and leaves everything else as it came.
 * The owner answers to that Via; the relaying site pops it and sends the response on.
 * These functions only build bytes; sip/txn.h's acd_sip_txn_relay() sends them.
 *
 * Relay branches start with ACD_SIP_RELAY_BRANCH_PREFIX. Our own client branches are
 * "z9hG4bK" and letters and digits only, so the '-' tells the two apart.
 */
#define ACD_SIP_RELAY_BRANCH_PREFIX "z9hG4bK-acdr-"
/* Prefix plus 16 hex digits, plus the NUL. */
#define ACD_SIP_RELAY_BRANCH_SIZE (sizeof(ACD_SIP_RELAY_BRANCH_PREFIX) + 16)

/* True when branch is one that acd_sip_relay_branch() makes. */
bool acd_sip_relay_branch_is(acd_str_t branch);

/*
 * Writes into buf (size len >= ACD_SIP_RELAY_BRANCH_SIZE) the branch of our Via on a
 * forwarded copy of req: a hash of req's top Via branch and sent-by. Retransmissions of
 * req, and the CANCEL and non-2xx ACK that share its branch, get the same one; other
 * transactions get another. Returns 0, -EINVAL, -EPROTONOSUPPORT when req's top Via has
 * no RFC 3261 branch (z9hG4bK...): such requests are not relayed.
 */
int acd_sip_relay_branch(const acd_sip_msg_t *req, char *buf, size_t len);

/*
 * True when any Via of m (not only the top one) has sent-by host:port (host compared
 * without case; a port of 0 on either side means 5060).
 */
bool acd_sip_msg_has_via(const acd_sip_msg_t *m, acd_str_t host, uint16_t port);

/* Our hop on a forwarded request. */
typedef struct acd_sip_relay_hop {
    acd_str_t transport; /* "UDP" / "TCP" */
    acd_str_t host;      /* our sent-by */
    uint16_t port;
    acd_str_t branch;    /* from acd_sip_relay_branch() */
    /* received= and rport= for the request's own top Via, as a response would carry them
     * (RFC 3261 18.2.1, RFC 3581): only received and rport of the options are read. */
    acd_sip_resp_opts_t via_params;
} acd_sip_relay_hop_t;

/*
 * Appends the forwarded copy of request req to out: the request line as received, our
 * Via, req's Vias (the top one amended with hop->via_params), Max-Forwards one less (70
 * when req had none), every other header line in order with its value as parsed
 * (unfolded), the body as received. Returns 0, -EINVAL (not a request, no Via, Max-Forwards
 * 0: answer 483), -ENOMEM; out is unchanged on failure.
 */
int acd_sip_relay_request_build(acd_buf_t *out, const acd_sip_msg_t *req,
                                const acd_sip_relay_hop_t *hop);

/*
 * Appends resp without its top Via (ours) to out: the status line as received, the other
 * Vias and every other header line in order, the body. Returns 0, -EINVAL (not a
 * response, or fewer than two Vias), -ENOMEM; out is unchanged on failure.
 */
int acd_sip_relay_response_build(acd_buf_t *out, const acd_sip_msg_t *resp);

#endif
