/* agent.c - the agent's leg: offer INVITE without SDP, CANCEL, answer, ACK with the caller's SDP. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Agent legs may outlive their call: a leg whose INVITE transaction is still running
 * when the call lets go of it becomes an orphan (leg->call == NULL) and frees itself
 * when the transaction reports termination, answering a late 200 with ACK and BYE.
 */
void acd__agent_leg_free(acd_callctl_t *cc, leg_t *leg)
{
    acd__cc_leg_unlink(cc, leg);
    acd__cc_leg_fini(leg);
    free(leg);
}

static void agent_feed(acd_callctl_t *cc, acd_event_type_t type, const char *call_id,
                       const char *agent_id, const char *reason)
{
    acd_event_t ev = acd__cc_event(type, call_id, agent_id);
    if (reason)
        snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
    acd__cc_feed(cc, &ev);
}

static void agent_orphan(acd_callctl_t *cc, leg_t *leg)
{
    acd__cc_leg_unlink(cc, leg); /* while leg->call still names the call (its dialog's end) */
    if (leg->call && leg->call->agent == leg)
        leg->call->agent = NULL;
    leg->call = NULL;
    if (!leg->ict)
        acd__agent_leg_free(cc, leg);
}

static void agent_invite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
{
    leg_t *leg = ud;
    call_t *call = leg->call;
    acd_callctl_t *cc = leg->cc;
    if (status == 0) {
        leg->ict = NULL;
        if (!call)
            acd__agent_leg_free(cc, leg);
        return;
    }
    if (status < 200)
        return;
    if (status < 300 && resp) {
        bool wanted = call && leg->state == LEG_RINGING;
        if (!acd__uac_answered(cc, leg, ct, resp, call != NULL) || !wanted) {
            acd__uac_refuse(cc, leg, false);
            if (wanted)
                agent_feed(cc, ACD_EV_OFFER_FAILED, call->id, leg->agent_id, "bad-sdp");
            return;
        }
        acd_log_info("ACD-AGENT-ANSWERED", "call=%s agent=%s", call->id, leg->agent_id);
        agent_feed(cc, ACD_EV_OFFER_ANSWERED, call->id, leg->agent_id, NULL);
        return;
    }
    /* A final failure (busy, declined, 487 after our CANCEL, timeout, unreachable). */
    bool was_ringing = leg->state == LEG_RINGING;
    leg->state = LEG_ENDED;
    if (call && was_ringing) {
        char reason[16];
        snprintf(reason, sizeof(reason), "sip-%d", status);
        acd_log_info("ACD-AGENT-OFFER-FAILED", "call=%s agent=%s status=%d", call->id, leg->agent_id,
                     status);
        agent_feed(cc, ACD_EV_OFFER_FAILED, call->id, leg->agent_id, reason);
    }
}

int acd__cc_parse_source(const char *src, struct sockaddr_storage *addr)
{
    char ip[64];
    const char *colon = strrchr(src, ':');
    if (!colon)
        return -EINVAL;
    const char *start = src, *end = colon;
    if (*start == '[' && end > start && end[-1] == ']') {
        start++;
        end--;
    }
    if ((size_t)(end - start) >= sizeof(ip))
        return -EINVAL;
    memcpy(ip, start, (size_t)(end - start));
    ip[end - start] = '\0';
    char *stop;
    unsigned long port = strtoul(colon + 1, &stop, 10);
    if (*stop || port == 0 || port > 65535)
        return -EINVAL;
    return acd_sockaddr_parse(ip, (uint16_t)port, addr);
}

/*
 * Where agent a's phone is: this site's registrar for our own agents, the replicated
 * registration at the agent's owner for another site's (the phone answers whoever sends
 * to the address it registered from). Fills *b; returns 0 or -ENOENT.
 */
static int agent_binding(acd_callctl_t *cc, const acd_action_t *a, acd_sip_binding_t *b)
{
    if (!a->agent_site[0] || strcmp(a->agent_site, cc->cfg->site_name) == 0) {
        const acd_sip_binding_t *own = acd_registrar_lookup(cc->reg, a->sip_user);
        if (!own)
            return -ENOENT;
        *b = *own;
        return 0;
    }
    acd_member_binding_t mb;
    if (!cc->member || acd_member_contact(cc->member, a->agent_site, a->sip_user, &mb) < 0)
        return -ENOENT;
    memset(b, 0, sizeof(*b));
    snprintf(b->user, sizeof(b->user), "%s", mb.user);
    snprintf(b->contact, sizeof(b->contact), "%s", mb.contact);
    acd_sip_peer_t fallback = {.proto = mb.tcp ? ACD_SIP_TCP : ACD_SIP_UDP};
    acd_sip_uri_t uri;
    if (acd__cc_parse_source(mb.source, &fallback.addr) < 0 ||
        acd_sip_uri_parse(acd_str_from(b->contact), &uri) < 0)
        return -ENOENT;
    acd_sip_peer_for_uri(&uri, &fallback, &b->peer);
    return 0;
}

void acd__agent_offer(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = acd__cc_call(cc, a->call_id);
    acd_sip_binding_t bind;
    const acd_sip_binding_t *b = agent_binding(cc, a, &bind) == 0 ? &bind : NULL;
    if (!call || !b) {
        acd_log_info("ACD-AGENT-UNREACHABLE", "call=%s agent=%s: no registered phone", a->call_id,
                     a->agent_id);
        agent_feed(cc, ACD_EV_OFFER_FAILED, a->call_id, a->agent_id, "unregistered");
        return;
    }
    if (call->agent)
        acd__agent_release(cc, call);
    leg_t *leg = calloc(1, sizeof(*leg));
    if (!leg) {
        agent_feed(cc, ACD_EV_OFFER_FAILED, a->call_id, a->agent_id, "nomem");
        return;
    }
    leg->cc = cc;
    leg->call = call;
    leg->role = LEG_AGENT;
    leg->state = LEG_RINGING;
    snprintf(leg->agent_id, sizeof(leg->agent_id), "%s", a->agent_id);
    leg->sess_id = acd_hash_bytes(call->id, strlen(call->id)) >> 1;
    char from[160], to[160], hdrs[1024];
    snprintf(from, sizeof(from), "sip:%s@%s", call->caller_num[0] ? call->caller_num : "anonymous",
             cc->cfg->site_address);
    snprintf(to, sizeof(to), "sip:%s@%s", a->sip_user, cc->cfg->site_address);
    int hl = snprintf(hdrs, sizeof(hdrs), "X-ACD-Call: %s\r\nX-ACD-Tenant: %s\r\nX-ACD-DID: %s\r\n%s%s%s",
                      call->id, call->tenant, call->did, call->delivery[0] ? "X-ACD-Delivery: " : "",
                      call->delivery, call->delivery[0] ? "\r\n" : "");
    /* How the call came, the tenant's mode and its temporary instructions (ADR 0020). */
    if (hl > 0 && (size_t)hl < sizeof(hdrs))
        acd__script_agent_header(cc, call, hdrs + hl, sizeof(hdrs) - (size_t)hl);
    /* No SDP: the phone offers its media in the 2xx (RFC 3725 flow I). */
    cc_invite_t inv = {
        .ruri = b->contact, .from = from, .to = to, .contact = cc->contact, .headers = hdrs};
    call->agent = leg;
    int rc = acd__uac_invite(cc, leg, &b->peer, &inv, agent_invite_cb, leg);
    if (rc < 0) {
        call->agent = NULL;
        free(leg);
        acd_log_warn("ACD-AGENT-INVITE-FAILED", "call=%s agent=%s err=%s", a->call_id, a->agent_id,
                     acd_errname(rc));
        agent_feed(cc, ACD_EV_OFFER_FAILED, a->call_id, a->agent_id, "send-failed");
        return;
    }
    acd_log_info("ACD-AGENT-OFFER", "call=%s agent=%s site=%s contact=%s", call->id, a->agent_id,
                 a->agent_site[0] ? a->agent_site : "-", b->contact);
}

void acd__agent_cancel(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = acd__cc_call(cc, a->call_id);
    if (!call || !call->agent || strcmp(call->agent->agent_id, a->agent_id) != 0)
        return;
    leg_t *leg = call->agent;
    acd_log_info("ACD-AGENT-OFFER-CANCELLED", "call=%s agent=%s reason=%s", call->id, leg->agent_id,
                 a->reason[0] ? a->reason : "-");
    acd__agent_release(cc, call);
}

void acd__agent_reject_answer(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = acd__cc_call(cc, a->call_id);
    if (!call || !call->agent || strcmp(call->agent->agent_id, a->agent_id) != 0)
        return;
    acd__agent_release(cc, call);
}

void acd__agent_ack(acd_callctl_t *cc, call_t *call, const acd_sdp_t *caller_answer)
{
    leg_t *leg = call->agent;
    if (!leg || leg->state != LEG_ANSWERED || !leg->ict)
        return;
    acd_buf_reset(&leg->local_sdp);
    int rc = acd_sdp_build_relayed(&leg->local_sdp, caller_answer, "acdd", leg->sess_id, 1,
                                   cc->cfg->site_address);
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->invite_cseq, &s);
    if (rc == 0) {
        s.content_type = ACD_STR("application/sdp");
        s.body = acd_buf_str(&leg->local_sdp);
    }
    rc = acd_sip_txn_send_ack(leg->ict, &leg->dlg.peer, &s);
    if (rc < 0)
        acd_log_warn("ACD-AGENT-ACK-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
    leg->state = LEG_CONFIRMED;
    acd__cc_dialog_publish(cc, leg);
}

void acd__agent_release(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = call->agent;
    if (!leg)
        return;
    switch (leg->state) {
    case LEG_RINGING:
        if (leg->ict && acd_sip_txn_cancel(leg->ict) == 0)
            leg->state = LEG_CANCELLING;
        break;
    case LEG_ANSWERED:
    case LEG_CONFIRMED:
        acd__uac_refuse(cc, leg, false);
        break;
    default:
        break;
    }
    agent_orphan(cc, leg);
}
