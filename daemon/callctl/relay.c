/* relay.c - in-dialog requests for a dialog another live site owns, relayed to it (ADR 0017). */
#include "callctl/callctl_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Trunk dialogs name the cluster's anycast address as our Contact (ADR 0014), so when
 * the routes move while a dialog's owner is alive (a drain, a flap, a partition that
 * heals) the carrier's BYE or re-INVITE reaches a site that does not hold it. That site
 * knows the owner from its replica and forwards the request there as a stateless proxy
 * (sip/proxy.h, acd_sip_txn_relay()); the owner answers through it.
 */

/* Copies s into buf (size len); false when it is absent, empty or does not fit. */
static bool relay_copy(char *buf, size_t len, acd_str_t s)
{
    if (!s.p || s.n == 0 || s.n >= len)
        return false;
    acd_str_copy(buf, len, s);
    return true;
}

/* True when to is this site's own SIP address (a relay would come back here). */
static bool relay_is_self(const acd_callctl_t *cc, const struct sockaddr_storage *to)
{
    struct sockaddr_storage self;
    if (acd_sockaddr_parse(cc->cfg->site_address, cc->cfg->sip_port, &self) < 0)
        return false;
    char a[80], b[80];
    acd_sockaddr_fmt((const struct sockaddr *)&self, a, sizeof(a));
    acd_sockaddr_fmt((const struct sockaddr *)to, b, sizeof(b));
    return strcmp(a, b) == 0;
}

bool acd__cc_relay(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req)
{
    char cid[ACD_SIP_DIALOG_STR], ltag[ACD_SIP_DIALOG_STR], rtag[ACD_SIP_DIALOG_STR];
    if (!cc->member || !relay_copy(cid, sizeof(cid), req->call_id) ||
        !relay_copy(ltag, sizeof(ltag), req->to.tag) ||
        !relay_copy(rtag, sizeof(rtag), req->from.tag))
        return false;
    acd_member_dialog_owner_t o;
    if (acd_member_dialog_owner(cc->member, cid, ltag, rtag, &o) < 0 ||
        strcmp(o.site, cc->cfg->site_name) == 0)
        return false;
    acd_sip_peer_t to = {.proto = ACD_SIP_UDP};
    if (acd__cc_parse_source(o.sip, &to.addr) < 0 || relay_is_self(cc, &to.addr))
        return false;
    if (req->max_forwards == 0) {
        if (st)
            acd_sip_txn_respond(st, 483, NULL, NULL); /* an ACK is dropped */
        return true;
    }
    int rc = acd_sip_txn_relay(cc->txl, st, req, &to);
    if (rc < 0) {
        if (rc == -ELOOP)
            acd_log_debug("ACD-SIP-RELAY-LOOP", "method=%.*s call-id=%s: relayed once already",
                          ACD_STR_FMT(req->method_name), cid);
        else
            acd_log_warn("ACD-SIP-RELAY-FAILED", "method=%.*s call-id=%s to=%s err=%s",
                         ACD_STR_FMT(req->method_name), cid, o.site, acd_errname(rc));
        return false;
    }
    acd_log_info("ACD-SIP-RELAYED", "method=%.*s call-id=%s to=%s call=%s leg=%s",
                 ACD_STR_FMT(req->method_name), cid, o.site, o.call_id,
                 o.agent_leg ? "agent" : "caller");
    return true;
}
