/* oncall.c - after hours, an urgent caller is put through live to the person on call. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * The tenant's on-call calendar (on_call.calendar, weekly spans in its timezone) names
 * who is on call now and the order to try them in (docs/adr/0021). An urgent caller
 * (the IVR target "escalate") hears "connecting you to the person on call" while the
 * chain is rung one number at a time through the tenant's on-call trunk, each for
 * on_call.ring_timeout: the first to answer is bridged to the caller (our INVITE
 * carries the caller's SDP; the caller is then re-INVITEd with theirs, as for an
 * agent). When the whole chain fails, or nobody is on call, the caller leaves a message.
 * The call never enters a queue; its CDR names the on-call number as the agent.
 */

static void oncall_next(acd_callctl_t *cc, call_t *call);

/* The chain in force for tenant tc at now, or NULL. */
static const acd_cfg_oncall_t *oncall_entry(acd_callctl_t *cc, const acd_cfg_tenant_t *tc)
{
    acd_mode_info_t mi;
    if (acd__tstate_mode(cc, tc->name, acd__cc_now(cc), &mi) < 0)
        return NULL;
    for (size_t i = 0; i < tc->n_oncall; i++) {
        const acd_cfg_span_t *w = &tc->oncall[i].when;
        if ((w->days & (1u << mi.local_wday)) && mi.local_min >= w->start_min &&
            mi.local_min < w->end_min)
            return &tc->oncall[i];
    }
    return NULL;
}

static void oncall_give_up(acd_callctl_t *cc, call_t *call, const char *why)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    acd_log_notice("ACD-ONCALL-FAILED", "call=%s tenant=%s tried=%d why=%s: taking a message",
                   call->id, call->tenant, call->oncall_idx, why);
    call->oncall_idx = -1;
    if (tc && tc->voicemail)
        acd__vm_start(cc, call);
    else
        acd__stage_goodbye(call);
}

static void oncall_timer_cb(uv_timer_t *h)
{
    call_t *call = h->data;
    leg_t *leg = call->agent;
    if (leg && leg->state == LEG_RINGING && leg->ict && acd_sip_txn_cancel(leg->ict) == 0)
        leg->state = LEG_CANCELLING; /* its 487 moves the chain on */
}

static void oncall_invite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
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
    if (!call || call->agent != leg || call->ended) {
        if (status < 300 && resp) {
            acd__uac_answered(cc, leg, ct, resp, false);
            acd__uac_refuse(cc, leg, true);
        }
        return;
    }
    uv_timer_stop(&call->answer_timer);
    if (status >= 300 || !resp || !acd__uac_answered(cc, leg, ct, resp, true)) {
        if (status < 300 && resp)
            acd__uac_refuse(cc, leg, true);
        acd_log_info("ACD-ONCALL-NO-ANSWER", "call=%s number=%s status=%d", call->id,
                     leg->agent_id, status);
        call->agent = NULL;
        leg->call = NULL;
        acd__cc_leg_unlink(cc, leg);
        if (!leg->ict)
            acd__agent_leg_free(cc, leg);
        oncall_next(cc, call);
        return;
    }
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->invite_cseq, &s);
    acd_sip_txn_send_ack(ct, &leg->dlg.peer, &s);
    leg->state = LEG_CONFIRMED;
    call->oncall_answer_ms = acd__cc_now(cc);
    snprintf(call->oncall_number, sizeof(call->oncall_number), "%s", leg->agent_id);
    acd_log_notice("ACD-ONCALL-ANSWERED", "call=%s tenant=%s number=%s try=%d", call->id,
                   call->tenant, leg->agent_id, call->oncall_idx + 1);
    call->stage = STAGE_ONCALL;
    acd__caller_bridge_now(cc, call); /* re-INVITE the caller with their SDP */
}

static void oncall_next(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    const acd_cfg_oncall_t *e = tc ? oncall_entry(cc, tc) : NULL;
    call->oncall_idx++;
    if (!e || call->oncall_idx >= (int)e->n_chain) {
        oncall_give_up(cc, call, e ? "nobody answered" : "nobody on call");
        return;
    }
    const char *number = e->chain[call->oncall_idx];
    acd_sip_peer_t peer;
    if (acd__cc_trunk_peer(tc->oncall_trunk, &peer) < 0) {
        oncall_give_up(cc, call, "no on-call trunk");
        return;
    }
    leg_t *leg = calloc(1, sizeof(*leg));
    if (!leg) {
        oncall_give_up(cc, call, "out of memory");
        return;
    }
    leg->cc = cc;
    leg->call = call;
    leg->role = LEG_AGENT;
    leg->state = LEG_RINGING;
    snprintf(leg->agent_id, sizeof(leg->agent_id), "%s", number);
    leg->sess_id = acd_hash_bytes(call->id, strlen(call->id)) >> 1;
    int rc = acd_sdp_build_relayed(&leg->local_sdp, &call->caller.remote_sdp, "acdd",
                                   leg->sess_id, 1, cc->cfg->site_address);
    char ruri[ACD_ID_MAX + 220], from[ACD_ID_MAX + 80], hdrs[1024];
    snprintf(ruri, sizeof(ruri), "sip:%s@%s", number, tc->oncall_trunk + 4);
    snprintf(from, sizeof(from), "sip:%s@%s",
             tc->oncall_caller_id ? tc->oncall_caller_id
             : call->caller_num[0] ? call->caller_num
                                   : "anonymous",
             cc->cfg->site_address);
    int hl = snprintf(hdrs, sizeof(hdrs), "X-ACD-Call: %s\r\nX-ACD-Urgent: yes\r\n", call->id);
    acd__script_agent_header(cc, call, hdrs + hl, sizeof(hdrs) - (size_t)hl);
    cc_invite_t inv = {.ruri = ruri, .from = from, .to = ruri, .contact = cc->trunk_contact,
                       .headers = hdrs, .sdp = acd_buf_str(&leg->local_sdp)};
    call->agent = leg;
    if (rc == 0)
        rc = acd__uac_invite(cc, leg, &peer, &inv, oncall_invite_cb, leg);
    if (rc < 0) {
        call->agent = NULL;
        acd__cc_leg_fini(leg);
        free(leg);
        oncall_give_up(cc, call, "send failed");
        return;
    }
    int ring = tc->oncall_ring_ms > 0 ? tc->oncall_ring_ms : 20000;
    uv_timer_start(&call->answer_timer, oncall_timer_cb, (uint64_t)ring, 0);
    acd_log_notice("ACD-ONCALL-DIAL", "call=%s tenant=%s number=%s try=%d/%zu ring_ms=%d",
                   call->id, call->tenant, number, call->oncall_idx + 1, e->n_chain, ring);
}

void acd__oncall_start(acd_callctl_t *cc, call_t *call)
{
    call->oncall_idx = -1;
    call->stage = STAGE_ONCALL;
    acd__caller_play(call, "urgent"); /* then music while the chain rings */
    oncall_next(cc, call);
}
