/* dialog.h - RFC 3261 dialog state (12): identifiers, CSeq, route set, remote target. */
#ifndef ACD_SIP_DIALOG_H
#define ACD_SIP_DIALOG_H

#include <stdint.h>

#include "sip/msg.h"
#include "sip/transport.h"

#define ACD_SIP_DIALOG_STR 256

/*
 * A dialog as values (no pointers into messages), so it outlives them and can be
 * replicated. Build in-dialog requests with acd_sip_dialog_request(); the spec it fills
 * points into the dialog, valid while the dialog is unchanged.
 */
typedef struct acd_sip_dialog {
    char call_id[ACD_SIP_DIALOG_STR];
    char local_tag[64];
    char remote_tag[ACD_SIP_DIALOG_STR];
    char local_uri[ACD_SIP_DIALOG_STR];
    char remote_uri[ACD_SIP_DIALOG_STR];
    char local_contact[ACD_SIP_DIALOG_STR];
    char remote_target[ACD_SIP_DIALOG_STR];
    char routes[ACD_SIP_MAX_ROUTES][ACD_SIP_DIALOG_STR];
    int route_count;
    uint32_t local_cseq;
    uint32_t remote_cseq;
    acd_sip_peer_t peer; /* where in-dialog requests go */
} acd_sip_dialog_t;

/*
 * UAS side, from the dialog-creating request req received from `from`, answered with
 * local_tag and our local_contact. Returns 0, ACD_EPARSE (a field too long, no Contact).
 */
int acd_sip_dialog_init_uas(acd_sip_dialog_t *d, const acd_sip_msg_t *req, const acd_sip_peer_t *from,
                            const char *local_tag, const char *local_contact);

/*
 * UAC side, from our request's identifiers and the 2xx (or 1xx with tag) response resp.
 * The route set is the response's Record-Route reversed. Returns 0 or ACD_EPARSE.
 */
int acd_sip_dialog_init_uac(acd_sip_dialog_t *d, const acd_sip_msg_t *our_req,
                            const acd_sip_msg_t *resp, const acd_sip_peer_t *sent_to,
                            const char *local_contact);

/*
 * Fills spec for a request of method inside d: Request-URI is the remote target, Route
 * is the route set, From/To/Call-ID from d. CSeq: a new local CSeq for everything but
 * ACK and CANCEL (which reuse cseq_for_ack). The caller adds body and headers.
 */
void acd_sip_dialog_request(acd_sip_dialog_t *d, acd_sip_method_t method, uint32_t cseq_for_ack,
                            acd_sip_req_spec_t *spec);

/*
 * Checks an in-dialog request's CSeq against the remote CSeq (RFC 3261 12.2.2).
 * Returns 0 (and records it) or ACD_ESTATE for an old or repeated CSeq (answer 500).
 */
int acd_sip_dialog_remote_cseq(acd_sip_dialog_t *d, uint32_t cseq);

/* Where to send a request for the URI target (IP literal host, else fallback). */
void acd_sip_peer_for_uri(const acd_sip_uri_t *target, const acd_sip_peer_t *fallback,
                          acd_sip_peer_t *out);

#endif
