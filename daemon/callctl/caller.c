/* caller.c - the caller's leg: admit, answer with our media, CANCEL, and the 3PCC re-INVITE. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

static bool caller_trunk_allowed(const acd_config_t *cfg, const acd_sip_peer_t *from)
{
    for (size_t i = 0; i < cfg->n_trunks; i++)
        for (size_t j = 0; j < cfg->trunks[i].n_networks; j++)
            if (acd_cidr_contains(&cfg->trunks[i].networks[j], (const struct sockaddr *)&from->addr))
                return true;
    return false;
}

const acd_cfg_tenant_t *acd__caller_tenant_cfg(const acd_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (strcmp(cfg->tenants[i].name, name) == 0)
            return &cfg->tenants[i];
    return NULL;
}

static uint64_t caller_random64(void)
{
    char tok[17];
    acd_sip_random_token(tok, sizeof(tok));
    return acd_hash_bytes(tok, 16) >> 1;
}

call_t *acd__caller_alloc(acd_callctl_t *cc, const char *tenant, const char *did,
                          const char *caller)
{
    call_t *call = calloc(1, sizeof(*call));
    if (!call)
        return NULL;
    uv_timer_init(cc->loop, &call->answer_timer);
    call->answer_timer.data = call;
    call->cc = cc;
    snprintf(call->id, sizeof(call->id), "%s-%llu", cc->call_prefix,
             (unsigned long long)++cc->next_call);
    snprintf(call->tenant, sizeof(call->tenant), "%s", tenant);
    snprintf(call->lang, sizeof(call->lang), "%s", acd_core_tenant_language(cc->core, tenant));
    snprintf(call->did, sizeof(call->did), "%s", did);
    snprintf(call->caller_num, sizeof(call->caller_num), "%s", caller);
    leg_t *leg = &call->caller;
    leg->cc = cc;
    leg->call = call;
    leg->role = LEG_CALLER;
    leg->state = LEG_RINGING;
    leg->sess_id = caller_random64();
    leg->sess_ver = 1;
    return call;
}

static void caller_forget_ringing(acd_callctl_t *cc, call_t *call)
{
    if (call->ring_key[0]) {
        acd_hmap_remove(&cc->ringing, &call->ring_node);
        call->ring_key[0] = '\0';
    }
}

int acd__caller_own_sdp(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    acd_sdp_local_t l = {.origin_user = "acdd",
                         .sess_id = leg->sess_id,
                         .sess_version = leg->sess_ver,
                         .addr = cc->cfg->site_address,
                         .port = acd_media_stream_port(call->media),
                         .codec = call->codec,
                         .te_pt = call->te_pt,
                         .dir = ACD_SDP_SENDRECV};
    acd_buf_reset(&leg->local_sdp);
    return acd_sdp_build(&leg->local_sdp, &l);
}

/* Sends 200 with our SDP and starts the greeting. */
static void caller_answer(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    if (!leg->ist)
        return;
    uv_timer_stop(&call->answer_timer);
    int rc = acd__caller_own_sdp(cc, call);
    acd_sip_resp_opts_t o = {.to_tag = acd_str_from(leg->dlg.local_tag),
                             .contact = acd_str_from(cc->trunk_contact),
                             .content_type = ACD_STR("application/sdp"),
                             .body = acd_buf_str(&leg->local_sdp)};
    if (rc == 0)
        rc = acd_sip_txn_respond(leg->ist, 200, NULL, &o);
    leg->ist = NULL;
    if (rc < 0) {
        acd_log_err("ACD-CALL-ANSWER-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
        leg->state = LEG_ENDED;
        acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
        ev.failed = true;
        acd__cc_feed(cc, &ev);
        return;
    }
    leg->state = LEG_ANSWERED;
    acd_log_info("ACD-CALL-ANSWERED", "call=%s tenant=%s", call->id, call->tenant);
    acd__stage_answered(cc, call);
}

void acd__caller_play(call_t *call, const char *first)
{
    const leg_t *leg = &call->caller;
    struct sockaddr_storage remote;
    if (!leg->has_remote_sdp || !leg->remote_sdp.port ||
        acd_sockaddr_parse(leg->remote_sdp.addr, leg->remote_sdp.port, &remote) < 0)
        return;
    int rc = first ? acd_media_stream_play(call->media, (struct sockaddr *)&remote, call->codec,
                                           call->lang, first, "moh")
                   : acd_media_stream_play_list(call->media, (struct sockaddr *)&remote,
                                                call->codec, call->lang, NULL, 0, "moh", NULL,
                                                NULL);
    if (rc < 0)
        acd_log_warn("ACD-CALL-MEDIA-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
}

void acd__caller_play_list(call_t *call, const char *const *names, size_t n)
{
    const leg_t *leg = &call->caller;
    struct sockaddr_storage remote;
    const char *have[16];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 16; i++)
        if (acd_media_has_prompt(call->cc->media, call->lang, names[i]))
            have[k++] = names[i];
    if (!leg->has_remote_sdp || !leg->remote_sdp.port ||
        acd_sockaddr_parse(leg->remote_sdp.addr, leg->remote_sdp.port, &remote) < 0)
        return;
    int rc = acd_media_stream_play_list(call->media, (struct sockaddr *)&remote, call->codec,
                                        call->lang, have, k, "moh", NULL, NULL);
    if (rc < 0)
        acd_log_warn("ACD-CALL-MEDIA-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
}

static void caller_answer_timer_cb(uv_timer_t *h);
static void caller_answer_after(acd_callctl_t *cc, call_t *call);

static void caller_answer_timer_cb(uv_timer_t *h)
{
    call_t *call = h->data;
    caller_answer(call->cc, call);
}

/* Answers now, or rings (180) for the tenant's answer_after first. */
static void caller_answer_after(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    int delay = tc ? tc->answer_after_ms : 0;
    if (call->caller.ist && delay > 0) {
        acd_sip_resp_opts_t o = {.to_tag = acd_str_from(call->caller.dlg.local_tag),
                                 .contact = acd_str_from(cc->trunk_contact)};
        acd_sip_txn_respond(call->caller.ist, 180, NULL, &o);
        uv_timer_start(&call->answer_timer, caller_answer_timer_cb, (uint64_t)delay, 0);
    } else {
        caller_answer(cc, call);
    }
}

/* Rejects an INVITE with code and logs why. */
static void caller_reject(acd_sip_txn_t *st, int code, const char *reason, const char *why)
{
    const acd_sip_msg_t *req = acd_sip_txn_request(st);
    acd_log_info("ACD-CALL-REJECTED", "status=%d call_id=%.*s why=\"%s\"", code,
                 ACD_STR_FMT(req->call_id), why);
    acd_sip_resp_opts_t o = {0};
    if (code == 503)
        o.extra_headers = ACD_STR("Retry-After: 5\r\n");
    acd_sip_txn_respond(st, code, reason, &o);
}

void acd__caller_invite(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                        const acd_sip_peer_t *from)
{
    if (cc->draining) {
        caller_reject(st, 503, "Draining", "site draining");
        return;
    }
    if (!caller_trunk_allowed(cc->cfg, from)) {
        caller_reject(st, 403, NULL, "source not in any trunk network");
        return;
    }
    char did[ACD_ID_MAX];
    acd_str_t user = req->ruri.user.n ? req->ruri.user : req->to.uri.user;
    acd_str_copy(did, sizeof(did), user);
    const char *tenant = acd_core_tenant_for_did(cc->core, did);
    if (!tenant && req->to.uri.user.n) {
        acd_str_copy(did, sizeof(did), req->to.uri.user);
        tenant = acd_core_tenant_for_did(cc->core, did);
    }
    if (!tenant) {
        caller_reject(st, 404, NULL, "no tenant for this number");
        return;
    }
    if (!acd_str_present(req->contact.uri.raw)) {
        caller_reject(st, 400, "Missing Contact", "no Contact");
        return;
    }
    acd_sdp_t offer;
    acd_codec_t codec;
    int te_pt;
    if (!acd_str_ieqc(req->content_type, "application/sdp") || req->body.n == 0) {
        caller_reject(st, 488, "SDP offer required", "INVITE without SDP offer");
        return;
    }
    if (acd_sdp_parse(req->body, &offer) < 0 || acd_sdp_negotiate(&offer, &codec, &te_pt) < 0) {
        caller_reject(st, 488, NULL, "no usable audio in the offer");
        return;
    }
    char number[ACD_ID_MAX];
    acd_str_copy(number, sizeof(number), req->from.uri.user);
    call_t *call = acd__caller_alloc(cc, tenant, did, number);
    if (!call) {
        caller_reject(st, 500, NULL, "out of memory");
        return;
    }
    call->codec = codec;
    call->te_pt = te_pt;
    leg_t *leg = &call->caller;
    leg->ist = st;
    leg->remote_sdp = offer;
    leg->has_remote_sdp = true;
    char tag[17];
    acd_sip_random_token(tag, sizeof(tag));
    int rc = acd_sip_dialog_init_uas(&leg->dlg, req, from, tag, cc->trunk_contact);
    if (rc == 0)
        rc = acd_media_stream_open(cc->media, &call->media);
    if (rc == 0 && te_pt >= 0)
        acd_media_stream_set_dtmf(call->media, te_pt, acd__stage_dtmf_cb, call);
    if (rc == 0)
        rc = acd_hmap_insert(&cc->calls, &call->node, acd_str_from(call->id));
    if (rc < 0) {
        acd__cc_call_discard(call);
        caller_reject(st, rc == ACD_EPARSE ? 400 : 503, NULL, acd_strerror(rc));
        return;
    }
    snprintf(call->ring_key, sizeof(call->ring_key), "%.*s|%.*s", ACD_STR_FMT(req->call_id),
             ACD_STR_FMT(req->from.tag));
    if (acd_hmap_insert(&cc->ringing, &call->ring_node, acd_str_from(call->ring_key)) < 0)
        call->ring_key[0] = '\0';
    (void)acd_buf_append_str(&leg->remote_sdp_text, req->body);
    acd__cc_leg_link(cc, leg);

    call->arrived_ms = acd__cc_now(cc);
    acd__script_choose(cc, call, req);
    char first_queue[ACD_ID_MAX];
    int first_priority = 0;
    if (!acd__script_queue_first(call, first_queue, sizeof(first_queue), &first_priority)) {
        /* Menu, voicemail, hours, on-call: the call enters a queue later, if ever. */
        caller_answer_after(cc, call);
        return;
    }
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_ARRIVE, call->id, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", call->caller_num);
    snprintf(ev.queue, sizeof(ev.queue), "%s", first_queue);
    ev.priority = first_priority;
    acd__cc_feed(cc, &ev);
    acd_call_view_t v;
    call = acd__cc_call(cc, ev.call_id);
    if (!call)
        return; /* already ended by what the arrival caused */
    if (acd_core_call(cc->core, call->id, &v) < 0) {
        call->ended = true;
        if (call->caller.ist) {
            caller_reject(call->caller.ist, 480, NULL, "the queue refused the call");
            call->caller.ist = NULL;
        }
        call->caller.state = LEG_ENDED;
        acd__cc_call_maybe_free(cc, call);
        return;
    }
    call->in_core = true;
    acd_log_info("ACD-CALL-ARRIVED", "call=%s tenant=%s did=%s queue=%s", call->id, call->tenant,
                 call->did, v.queue);
    if (v.restored_from[0]) /* a redial after a failed takeover: its old place (ADR 0016) */
        acd_log_notice("ACD-CALL-RESTORED",
                       "call=%s from=%s tenant=%s caller=%s queue=%s enqueue_ms=%lld priority=%d",
                       call->id, v.restored_from, call->tenant, call->caller_num, v.queue,
                       (long long)v.enqueue_ms, v.priority);
    caller_answer_after(cc, call);
}

static call_t *caller_by_request(acd_callctl_t *cc, const acd_sip_msg_t *req)
{
    char key[ACD_SIP_DIALOG_STR + 80];
    snprintf(key, sizeof(key), "%.*s|%.*s", ACD_STR_FMT(req->call_id), ACD_STR_FMT(req->from.tag));
    acd_hmap_node_t *n = acd_hmap_get(&cc->ringing, acd_str_from(key));
    return n ? acd_container_of(n, call_t, ring_node) : NULL;
}

void acd__caller_cancelled(acd_callctl_t *cc, acd_sip_txn_t *ist)
{
    call_t *call = caller_by_request(cc, acd_sip_txn_request(ist));
    if (!call || call->caller.ist != ist) {
        acd_sip_txn_respond(ist, 487, NULL, NULL);
        return;
    }
    uv_timer_stop(&call->answer_timer);
    acd_sip_txn_respond(ist, 487, NULL, NULL);
    call->caller.ist = NULL;
    call->caller.state = LEG_ENDED;
    caller_forget_ringing(cc, call);
    acd_log_info("ACD-CALL-CANCELLED", "call=%s", call->id);
    if (!call->in_core) {
        acd__stage_finish(cc, call, ACD_DISP_IVR);
        return;
    }
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
    acd__cc_feed(cc, &ev);
}

void acd__caller_timeout(acd_callctl_t *cc, const acd_sip_msg_t *req)
{
    call_t *call = caller_by_request(cc, req);
    if (!call || call->caller.state != LEG_ANSWERED)
        return;
    acd_log_warn("ACD-CALL-NO-ACK", "call=%s: the caller never acknowledged our answer", call->id);
    call->caller.state = LEG_ENDED;
    if (!call->in_core) {
        acd__stage_finish(cc, call, ACD_DISP_FAILED);
        return;
    }
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
    ev.failed = true;
    acd__cc_feed(cc, &ev);
}

static void caller_reinvite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    leg_t *leg = &call->caller;
    if (status == 0) {
        leg->ict = NULL;
        acd__cc_call_maybe_free(cc, call);
        return;
    }
    if (status < 200)
        return;
    acd_sdp_t answer;
    if (status < 300 && resp) {
        acd_sip_req_spec_t s;
        acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->dlg.local_cseq, &s);
        acd_sip_txn_send_ack(ct, &leg->dlg.peer, &s);
        if (leg->state != LEG_ENDED && acd_sdp_parse(resp->body, &answer) == 0) {
            acd_buf_reset(&leg->remote_sdp_text);
            (void)acd_buf_append_str(&leg->remote_sdp_text, resp->body);
            acd__cc_dialog_publish(cc, leg);
            acd__agent_ack(cc, call, &answer);
            acd_media_stream_stop(call->media);
            call->bridged = true;
            acd_log_info("ACD-CALL-CONNECTED", "call=%s agent=%s", call->id,
                         call->agent ? call->agent->agent_id : "-");
            return;
        }
    }
    if (leg->state == LEG_ENDED || call->ended)
        return;
    acd_log_warn("ACD-CALL-BRIDGE-FAILED", "call=%s status=%d", call->id, status);
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
    ev.failed = true;
    acd__cc_feed(cc, &ev);
}

/* Moves the caller's media to the agent: re-INVITE with the agent's offer (RFC 3725 flow I). */
static void caller_reinvite(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    leg_t *agent = call->agent;
    call->bridge_pending = false;
    if (!agent || !agent->has_remote_sdp)
        return;
    if (acd__cc_park_bridge(cc, call))
        return; /* this site may have been taken over: the bridge waits (park.c) */
    acd_buf_reset(&leg->local_sdp);
    int rc = acd_sdp_build_relayed(&leg->local_sdp, &agent->remote_sdp, "acdd", leg->sess_id,
                                   ++leg->sess_ver, cc->cfg->site_address);
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_INVITE, 0, &s);
    s.content_type = ACD_STR("application/sdp");
    s.body = acd_buf_str(&leg->local_sdp);
    if (rc == 0)
        rc = acd_sip_txn_request_send(cc->txl, &leg->dlg.peer, &s, caller_reinvite_cb, call, &leg->ict);
    if (rc < 0) {
        acd_log_err("ACD-CALL-REINVITE-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
        acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
        ev.failed = true;
        acd__cc_feed(cc, &ev);
    }
}

void acd__caller_bridge_now(acd_callctl_t *cc, call_t *call)
{
    caller_reinvite(cc, call);
}

void acd__caller_connect(acd_callctl_t *cc, call_t *call)
{
    if (acd__outcall_is(call)) {
        acd__outcall_connect(cc, call); /* nobody on the line: call the customer */
        return;
    }
    switch (call->caller.state) {
    case LEG_RINGING:
        call->bridge_pending = true;
        caller_answer(cc, call); /* answer now; bridge on its ACK */
        break;
    case LEG_ANSWERED:
        call->bridge_pending = true;
        break;
    case LEG_CONFIRMED:
        caller_reinvite(cc, call);
        break;
    default:
        break;
    }
}

void acd__caller_ack(acd_callctl_t *cc, leg_t *leg, const acd_sip_msg_t *ack)
{
    call_t *call = leg->call;
    if (leg->state != LEG_ANSWERED)
        return;
    leg->state = LEG_CONFIRMED;
    caller_forget_ringing(cc, call);
    acd__cc_dialog_publish(cc, leg);
    if (call->bridge_pending)
        caller_reinvite(cc, call);
}

void acd__caller_release(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    uv_timer_stop(&call->answer_timer);
    if (leg->ist) {
        acd_sip_txn_respond(leg->ist, 480, NULL, NULL);
        leg->ist = NULL;
        leg->state = LEG_ENDED;
    }
    if (leg->state == LEG_ANSWERED || leg->state == LEG_CONFIRMED)
        acd__cc_send_bye(cc, leg);
    if (call->media)
        acd_media_stream_stop(call->media);
    caller_forget_ringing(cc, call);
}
