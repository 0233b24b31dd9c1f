/* uac.c - the INVITEs call control sends itself (agent offers, callbacks): send, answer, refuse. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Two kinds of legs start with our INVITE: the offer to an agent's phone (agent.c, no SDP:
 * the phone makes the offer, RFC 3725 flow I) and the callback to a caller (callback.c,
 * with our SDP offer). Both get a new Call-ID and From tag here, CSeq 1, and their
 * dialog from the 2xx; an answer nobody wants any more is acknowledged and hung up.
 */

int acd__uac_invite(acd_callctl_t *cc, leg_t *leg, const acd_sip_peer_t *to_peer,
                    const cc_invite_t *inv, acd_sip_response_cb cb, void *ud)
{
    char tag[17], cid[33], callid[80];
    acd_sip_random_token(tag, sizeof(tag));
    acd_sip_random_token(cid, sizeof(cid));
    snprintf(callid, sizeof(callid), "%s@%s", cid, cc->cfg->site_address);
    snprintf(leg->dlg.local_contact, sizeof(leg->dlg.local_contact), "%s", inv->contact);
    acd_sip_req_spec_t s = {.method = ACD_SIP_INVITE,
                            .ruri = acd_str_from(inv->ruri),
                            .from = acd_str_from(inv->from),
                            .from_tag = acd_str_from(tag),
                            .to = acd_str_from(inv->to),
                            .call_id = acd_str_from(callid),
                            .cseq = 1,
                            .contact = acd_str_from(inv->contact),
                            .extra_headers = acd_str_from(inv->headers ? inv->headers : ""),
                            .content_type =
                                inv->sdp.n ? ACD_STR("application/sdp") : (acd_str_t){0},
                            .body = inv->sdp};
    leg->invite_cseq = 1;
    return acd_sip_txn_request_send(cc->txl, to_peer, &s, cb, ud, &leg->ict);
}

bool acd__uac_answered(acd_callctl_t *cc, leg_t *leg, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                       bool link)
{
    if (!leg->has_dialog || !leg->dlg.remote_tag[0]) {
        acd_sip_peer_t to = *acd_sip_txn_peer(ct);
        if (acd_sip_dialog_init_uac(&leg->dlg, acd_sip_txn_request(ct), resp, &to,
                                    leg->dlg.local_contact) == 0 &&
            link)
            acd__cc_leg_link(cc, leg);
    }
    leg->has_remote_sdp = acd_sdp_parse(resp->body, &leg->remote_sdp) == 0;
    acd_buf_reset(&leg->remote_sdp_text);
    (void)acd_buf_append_str(&leg->remote_sdp_text, resp->body);
    leg->state = LEG_ANSWERED;
    return leg->has_remote_sdp;
}

void acd__uac_refuse(acd_callctl_t *cc, leg_t *leg, bool offered)
{
    if (leg->ict && leg->state == LEG_ANSWERED) {
        acd_buf_t sdp = {0};
        acd_sip_req_spec_t s;
        acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->invite_cseq, &s);
        /* The 2xx of an INVITE without an offer carries one: the ACK must answer it, and
         * a port 0 answer takes nothing. */
        acd_sdp_local_t l = {.origin_user = "acdd",
                             .sess_id = leg->sess_id,
                             .sess_version = 1,
                             .addr = cc->cfg->site_address,
                             .port = 0,
                             .codec = leg->has_remote_sdp && leg->remote_sdp.fmt_count &&
                                              leg->remote_sdp.fmts[0] == ACD_CODEC_PCMA
                                          ? ACD_CODEC_PCMA
                                          : ACD_CODEC_PCMU,
                             .te_pt = -1,
                             .dir = ACD_SDP_INACTIVE};
        if (!offered && acd_sdp_build(&sdp, &l) == 0) {
            s.content_type = ACD_STR("application/sdp");
            s.body = acd_buf_str(&sdp);
        }
        acd_sip_txn_send_ack(leg->ict, &leg->dlg.peer, &s);
        acd_buf_fini(&sdp);
        leg->state = LEG_CONFIRMED;
    }
    acd__cc_send_bye(cc, leg);
}
