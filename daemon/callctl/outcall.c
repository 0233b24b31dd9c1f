/* outcall.c - calls with nobody on the line: virtual hold, voicemail tasks, outbound calls. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * One delivery path for every call that waits without a caller on the line (docs/adr/
 * 0021): a callback a waiting caller asked for (virtual hold: "callback"), a voicemail
 * message to return ("voicemail"), a scheduled outbound call ("outbound"). Each is an
 * ordinary core call with a delivery kind: it waits in its queue with its place and
 * priority, replicates like any call (CallEvent.delivery), and a sister adopts it when
 * this site goes dark. Only the end differs: when the core connects an agent, the
 * customer is called through the tenant's outbound trunk and bridged to the agent by
 * RFC 3725 flow I — the agent's 2xx (its offer) is held unacknowledged while the
 * customer's phone rings (at most CALLBACK_RING_MAX_MS, inside the agent's 32 s 2xx
 * retransmission window) and the customer's answer completes both. A voicemail task
 * first plays the message to the agent over our own media, then re-INVITEs the agent
 * for a fresh offer and calls the customer the same way.
 *
 * A customer who does not answer (busy, no answer, failure) ends that attempt (CDR
 * disposition failed) and, while the tenant's callback policy has attempts left, a new
 * attempt waits callback.delay and enters the queue again at the first one's place.
 */

#define OUTCALL_RING_MAX_MS 25000 /* keep the agent's unacknowledged 2xx alive meanwhile */

bool acd__outcall_is(const call_t *call)
{
    return call->delivery[0] != '\0';
}

/* A new call with no caller leg yet, in cc->calls, not in the core. */
static call_t *outcall_new(acd_callctl_t *cc, const char *tenant, const char *did,
                           const char *number, const char *delivery)
{
    call_t *call = acd__caller_alloc(cc, tenant, did, number);
    if (!call)
        return NULL;
    snprintf(call->delivery, sizeof(call->delivery), "%s", delivery);
    call->caller.state = LEG_ENDED;
    call->codec = ACD_CODEC_NONE;
    call->te_pt = 101;
    call->arrived_ms = acd__cc_now(cc);
    if (acd_hmap_insert(&cc->calls, &call->node, acd_str_from(call->id)) < 0) {
        acd__cc_call_discard(call);
        return NULL;
    }
    return call;
}

/* Enters call (an outcall) into queue; returns 0, or an error after freeing it. */
static int outcall_enqueue(acd_callctl_t *cc, call_t *call, const char *queue, int priority,
                           int64_t enqueue_ms)
{
    char id[ACD_ID_MAX];
    snprintf(id, sizeof(id), "%s", call->id);
    acd_event_t ev = acd__cc_event(enqueue_ms ? ACD_EV_CALL_ADOPT : ACD_EV_CALL_ARRIVE, call->id,
                                   NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", call->did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", call->caller_num);
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue ? queue : "");
    snprintf(ev.delivery, sizeof(ev.delivery), "%s", call->delivery);
    snprintf(ev.message, sizeof(ev.message), "%.255s", call->vm_path);
    ev.priority = priority;
    ev.enqueue_ms = enqueue_ms;
    acd__cc_feed(cc, &ev);
    if (!(call = acd__cc_call(cc, id)))
        return -ENOENT;
    acd_call_view_t v;
    if (acd_core_call(cc->core, call->id, &v) < 0) {
        acd_log_warn("ACD-OUTCALL-REFUSED", "call=%s delivery=%s queue=%s: the queue refused it",
                     call->id, call->delivery, queue ? queue : "-");
        call->ended = true;
        acd__cc_call_maybe_free(cc, call);
        return ACD_ESTATE;
    }
    call->in_core = true;
    acd_log_notice("ACD-OUTCALL-QUEUED", "call=%s delivery=%s tenant=%s queue=%s priority=%d"
                   " attempt=%d", call->id, call->delivery, call->tenant, v.queue, v.priority,
                   call->attempt);
    return 0;
}

/* ---- creating them ---- */

void acd__outcall_task(acd_callctl_t *cc, const call_t *vm, int64_t due_ms)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, vm->tenant);
    call_t *t = outcall_new(cc, vm->tenant, vm->did, vm->caller_num, "voicemail");
    if (!t) {
        acd_log_err("ACD-VM-TASK-FAILED", "message=%s: out of memory", vm->id);
        return;
    }
    snprintf(t->vm_path, sizeof(t->vm_path), "%s", vm->vm_path);
    t->due_ms = due_ms;
    t->attempt = 1;
    (void)outcall_enqueue(cc, t, tc && tc->vm_queue ? tc->vm_queue : NULL, 0, 0);
}

int acd__outcall_schedule(acd_callctl_t *cc, const char *tenant, const char *number,
                          const char *queue, int priority, int64_t at_ms, char *id_out,
                          size_t id_len)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, tenant);
    if (!tc)
        return -ENOENT;
    if (!tc->callback || !tc->callback_trunk)
        return ACD_ECONFIG;
    const char *did = tc->n_dids ? tc->dids[0] : "";
    call_t *call = outcall_new(cc, tenant, did, number, "outbound");
    if (!call)
        return -ENOMEM;
    call->attempt = 1;
    snprintf(id_out, id_len, "%s", call->id);
    int64_t wait = at_ms - acd__cc_now(cc);
    if (at_ms && wait > 0) {
        /* Scheduled: it waits here (not yet in a queue, not replicated) until at_ms. */
        snprintf(call->queue, sizeof(call->queue), "%s", queue ? queue : "");
        call->retry_priority = priority;
        call->due_ms = at_ms;
        acd__outcall_retry_arm(cc, call, (int)wait);
        acd_log_notice("ACD-OUTCALL-SCHEDULED", "call=%s tenant=%s at_ms=%lld", call->id,
                       tenant, (long long)at_ms);
        return 0;
    }
    return outcall_enqueue(cc, call, queue, priority, 0);
}

static void outcall_detach_ended(void *ud);

/*
 * Virtual hold: the waiting caller pressed for a callback. Their call stays in the
 * queue with its place (the core marks it delivery "callback"); the line is thanked
 * and released.
 */
void acd__vhold_start(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    if (!tc || !tc->callback || !tc->callback_trunk) {
        acd_log_info("ACD-VHOLD-OFF", "call=%s tenant=%s: no callback trunk; the caller waits",
                     call->id, call->tenant);
        if (!call->in_core)
            acd__stage_to_queue(cc, call);
        return;
    }
    if (!call->in_core) {
        acd__stage_to_queue(cc, call); /* from the menu: take a place first */
        if (!(call = acd__cc_call(cc, call->id)) || !call->in_core)
            return;
    }
    if (call->agent || call->bridged)
        return; /* an agent is ringing already: too late to hang up */
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_DETACH, call->id, NULL);
    snprintf(ev.delivery, sizeof(ev.delivery), "callback");
    acd__cc_feed(cc, &ev);
    snprintf(call->delivery, sizeof(call->delivery), "callback");
    call->attempt = 1;
    acd_log_notice("ACD-VHOLD", "call=%s tenant=%s caller=%s: callback instead of waiting",
                   call->id, call->tenant, call->caller_num);
    static const char *const taken[] = {"callback_taken", "goodbye"};
    call->stage = STAGE_DETACHING;
    acd__stage_play_then(call, taken, 2, outcall_detach_ended);
}

static void outcall_detach_ended(void *ud)
{
    call_t *call = ud;
    call->stage = STAGE_NONE;
    acd__caller_release(call->cc, call); /* BYE: the core call stays, with nobody on it */
    call->caller.state = LEG_ENDED;
}

static void outcall_overflow_ended(void *ud)
{
    call_t *call = ud;
    acd__stage_finish(call->cc, call, ACD_DISP_OVERFLOW);
}

void acd__vhold_overflow(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    if (!tc || !tc->callback || !tc->callback_trunk || !call->caller_num[0]) {
        static const char *const full[] = {"saturated", "goodbye"};
        acd__stage_play_then(call, full, 2, outcall_overflow_ended);
        return;
    }
    call_t *cb = outcall_new(cc, call->tenant, call->did, call->caller_num, "callback");
    if (cb) {
        snprintf(cb->queue, sizeof(cb->queue), "%s", call->queue);
        cb->attempt = 1;
        acd__outcall_retry_arm(cc, cb, tc->callback_delay_ms);
        acd_log_notice("ACD-VHOLD", "call=%s tenant=%s: queue %s full, callback %s in %d ms",
                       call->id, call->tenant, call->queue, cb->id, tc->callback_delay_ms);
    }
    static const char *const taken[] = {"callback_taken", "goodbye"};
    acd__stage_play_then(call, taken, 2, outcall_overflow_ended);
}

void acd__vhold_digit(acd_callctl_t *cc, call_t *call, char digit)
{
    const acd_cfg_queue_t *q = acd__cc_queue_cfg(cc, call);
    if (digit == '1' && q && q->callback_offer && !acd__outcall_is(call))
        acd__vhold_start(cc, call);
}

/* ---- delivering them ---- */

static void outcall_customer_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                                int status);

static void outcall_ring_timer_cb(uv_timer_t *h)
{
    call_t *call = h->data;
    if (call->caller.ict && call->caller.state == LEG_RINGING &&
        acd_sip_txn_cancel(call->caller.ict) == 0)
        call->caller.state = LEG_CANCELLING;
}

/* Flow I: the customer gets the agent's offer; their answer ACKs both (caller.c). */
static void outcall_dial(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    leg_t *agent = call->agent;
    acd_sip_peer_t peer;
    int rc = !agent || !agent->has_remote_sdp ? ACD_ESTATE
             : !tc || !tc->callback_trunk     ? ACD_ECONFIG
                                              : acd__cc_trunk_peer(tc->callback_trunk, &peer);
    leg_t *leg = &call->caller;
    if (rc == 0 && (leg->has_dialog || leg->dlg.remote_tag[0])) {
        /* Virtual hold: the leg still holds the dialog of the caller's first call, which
         * ended with our BYE. The callback is a new dialog from scratch. */
        acd__cc_leg_unlink(cc, leg);
        if (leg->ict)
            acd_sip_txn_forget(leg->ict);
        leg->ict = NULL;
        memset(&leg->dlg, 0, sizeof(leg->dlg));
        leg->has_remote_sdp = false;
        leg->sess_ver++;
    }
    if (rc == 0) {
        acd_buf_reset(&leg->local_sdp);
        rc = acd_sdp_build_relayed(&leg->local_sdp, &agent->remote_sdp, "acdd", leg->sess_id,
                                   leg->sess_ver, cc->cfg->site_address);
    }
    if (rc == 0) {
        char ruri[ACD_ID_MAX + 220], from[ACD_ID_MAX + 80], hdrs[160];
        const char *cid = tc->callback_caller_id ? tc->callback_caller_id : call->did;
        snprintf(ruri, sizeof(ruri), "sip:%s@%s", call->caller_num, tc->callback_trunk + 4);
        snprintf(from, sizeof(from), "sip:%s@%s", cid, cc->cfg->site_address);
        snprintf(hdrs, sizeof(hdrs), "X-ACD-Call: %s\r\nX-ACD-Delivery: %s\r\n", call->id,
                 call->delivery);
        cc_invite_t inv = {.ruri = ruri, .from = from, .to = ruri, .contact = cc->trunk_contact,
                           .headers = hdrs, .sdp = acd_buf_str(&leg->local_sdp)};
        leg->state = LEG_RINGING;
        rc = acd__uac_invite(cc, leg, &peer, &inv, outcall_customer_cb, call);
    }
    if (rc < 0) {
        acd_log_warn("ACD-OUTCALL-DIAL-FAILED", "call=%s delivery=%s err=%s", call->id,
                     call->delivery, acd_errname(rc));
        leg->state = LEG_ENDED;
        acd__outcall_failed(cc, call, "dial-failed");
        return;
    }
    int ring = tc->callback_ring_ms > 0 && tc->callback_ring_ms < OUTCALL_RING_MAX_MS
                   ? tc->callback_ring_ms
                   : OUTCALL_RING_MAX_MS;
    uv_timer_start(&call->answer_timer, outcall_ring_timer_cb, (uint64_t)ring, 0);
    acd_log_notice("ACD-OUTCALL-DIAL", "call=%s delivery=%s tenant=%s agent=%s number=%s"
                   " attempt=%d", call->id, call->delivery, call->tenant, agent->agent_id,
                   call->caller_num, call->attempt);
}

static void outcall_customer_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                                int status)
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
    uv_timer_stop(&call->answer_timer);
    if (status >= 300 || !resp) {
        acd_sip_txn_forget(ct);
        leg->ict = NULL;
        leg->state = LEG_ENDED;
        char why[16];
        snprintf(why, sizeof(why), "sip-%d", status);
        acd__outcall_failed(cc, call, why);
        return;
    }
    bool usable = acd__uac_answered(cc, leg, ct, resp, true);
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->invite_cseq, &s);
    acd_sip_txn_send_ack(ct, &leg->dlg.peer, &s);
    acd_sip_txn_forget(ct);
    leg->ict = NULL;
    if (call->ended || !call->agent || !usable) {
        acd__cc_send_bye(cc, leg);
        if (!call->ended)
            acd__outcall_failed(cc, call, "bad-sdp");
        return;
    }
    leg->state = LEG_CONFIRMED;
    acd__cc_dialog_publish(cc, leg);
    acd__agent_ack(cc, call, &leg->remote_sdp);
    call->bridged = true;
    if (strcmp(call->delivery, "voicemail") == 0 && call->vm_path[0])
        acd__vm_mark_done(cc, call->tenant, call->vm_path, call->agent->agent_id);
    acd_log_notice("ACD-OUTCALL-CONNECTED", "call=%s delivery=%s agent=%s number=%s attempt=%d",
                   call->id, call->delivery, call->agent->agent_id, call->caller_num,
                   call->attempt);
}

/* The attempt failed: end it (CDR failed) and, when the policy allows, queue the next. */
void acd__outcall_failed(acd_callctl_t *cc, call_t *call, const char *why)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    int attempts = tc && tc->callback_attempts ? tc->callback_attempts : 1;
    acd_log_notice("ACD-OUTCALL-FAILED", "call=%s delivery=%s number=%s attempt=%d/%d why=%s",
                   call->id, call->delivery, call->caller_num, call->attempt, attempts, why);
    if (call->attempt < attempts) {
        call_t *next = outcall_new(cc, call->tenant, call->did, call->caller_num, call->delivery);
        if (next) {
            acd_call_view_t v;
            if (acd_core_call(cc->core, call->id, &v) == 0) {
                snprintf(next->queue, sizeof(next->queue), "%s", v.queue);
                next->retry_priority = v.priority;
                next->retry_enqueue_ms = v.enqueue_ms;
            }
            snprintf(next->vm_path, sizeof(next->vm_path), "%s", call->vm_path);
            next->attempt = call->attempt + 1;
            acd__outcall_retry_arm(cc, next, tc ? tc->callback_delay_ms : 10000);
        }
    }
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
    ev.failed = true;
    acd__cc_feed(cc, &ev);
}

static void outcall_retry_cb(uv_timer_t *h)
{
    call_t *call = h->data;
    int64_t early = call->due_ms - acd__cc_now(call->cc);
    if (call->due_ms && early > 0) {
        /* The loop's clock lags the wall clock a little: not before at_ms. */
        acd__outcall_retry_arm(call->cc, call, (int)early);
        return;
    }
    call->due_ms = 0;
    (void)outcall_enqueue(call->cc, call, call->queue, call->retry_priority,
                          call->retry_enqueue_ms);
}

void acd__outcall_retry_arm(acd_callctl_t *cc, call_t *call, int delay_ms)
{
    (void)cc;
    uv_timer_start(&call->answer_timer, outcall_retry_cb, (uint64_t)(delay_ms > 0 ? delay_ms : 0),
                   0);
}

/* ---- voicemail tasks: the agent hears the message first ---- */

static void outcall_reinvite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                                int status)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    leg_t *agent = call->agent;
    if (status == 0 || status < 200)
        return;
    if (!agent || agent->ict != ct || call->ended)
        return;
    if (status >= 300 || !resp || acd_sdp_parse(resp->body, &agent->remote_sdp) < 0) {
        acd_log_warn("ACD-OUTCALL-REINVITE-FAILED", "call=%s agent=%s status=%d", call->id,
                     agent->agent_id, status);
        acd_sip_txn_forget(ct);
        agent->ict = NULL;
        acd__outcall_failed(cc, call, "agent-reinvite");
        return;
    }
    agent->has_remote_sdp = true;
    agent->state = LEG_ANSWERED; /* its 2xx waits for the ACK that the customer's answer makes */
    outcall_dial(cc, call);
}

/* The message has been played to the agent: ask their phone for a new offer (flow I). */
static void outcall_message_ended(void *ud)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    leg_t *agent = call->agent;
    if (call->ended || !agent || agent->state != LEG_CONFIRMED)
        return;
    call->vm_played = true;
    acd_media_stream_stop(call->media);
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&agent->dlg, ACD_SIP_INVITE, 0, &s);
    agent->invite_cseq = s.cseq;
    int rc = acd_sip_txn_request_send(cc->txl, &agent->dlg.peer, &s, outcall_reinvite_cb, call,
                                      &agent->ict);
    if (rc < 0) {
        agent->ict = NULL;
        acd__outcall_failed(cc, call, "agent-reinvite");
    }
}

/* ACKs the agent's offer with our own media and plays the message to them. */
static void outcall_play_message(acd_callctl_t *cc, call_t *call)
{
    leg_t *agent = call->agent;
    struct sockaddr_storage remote;
    int rc = agent && agent->state == LEG_ANSWERED && agent->ict ? 0 : ACD_ESTATE;
    if (rc == 0 && !call->media)
        rc = acd_media_stream_open(cc->media, &call->media);
    if (rc == 0)
        rc = acd_sdp_negotiate(&agent->remote_sdp, &call->codec, &call->te_pt);
    if (rc == 0)
        rc = acd_sockaddr_parse(agent->remote_sdp.addr, agent->remote_sdp.port, &remote);
    if (rc == 0) {
        acd_sdp_local_t l = {.origin_user = "acdd", .sess_id = agent->sess_id, .sess_version = 1,
                             .addr = cc->cfg->site_address,
                             .port = acd_media_stream_port(call->media), .codec = call->codec,
                             .te_pt = call->te_pt, .dir = ACD_SDP_SENDRECV};
        acd_buf_reset(&agent->local_sdp);
        rc = acd_sdp_build(&agent->local_sdp, &l);
    }
    if (rc < 0) {
        acd__outcall_failed(cc, call, "agent-media");
        return;
    }
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&agent->dlg, ACD_SIP_ACK, agent->invite_cseq, &s);
    s.content_type = ACD_STR("application/sdp");
    s.body = acd_buf_str(&agent->local_sdp);
    acd_sip_txn_send_ack(agent->ict, &agent->dlg.peer, &s);
    acd_sip_txn_forget(agent->ict);
    agent->ict = NULL;
    agent->state = LEG_CONFIRMED;
    acd__cc_dialog_publish(cc, agent);
    rc = acd_media_stream_play_file(call->media, (struct sockaddr *)&remote, call->codec,
                                    call->vm_path, outcall_message_ended, call);
    acd_log_notice("ACD-VM-PLAY", "call=%s agent=%s file=%s rc=%d", call->id, agent->agent_id,
                   call->vm_path, rc);
    if (rc < 0)
        outcall_message_ended(call); /* the file is gone (another site's): call back anyway */
}

void acd__outcall_connect(acd_callctl_t *cc, call_t *call)
{
    if (strcmp(call->delivery, "voicemail") == 0 && call->vm_path[0] && !call->vm_played) {
        outcall_play_message(cc, call);
        return;
    }
    outcall_dial(cc, call);
}

/* ---- a dark site's waiting outcalls (ops.adopt with a delivery) ---- */

int acd__outcall_adopt(acd_callctl_t *cc, const acd_member_adopt_t *a)
{
    call_t *call = acd__caller_alloc(cc, a->tenant, a->did, a->caller ? a->caller : "");
    if (!call)
        return -ENOMEM;
    snprintf(call->id, sizeof(call->id), "%s", a->call_id); /* the call keeps its id */
    snprintf(call->delivery, sizeof(call->delivery), "%s", a->delivery);
    snprintf(call->vm_path, sizeof(call->vm_path), "%s", a->message ? a->message : "");
    call->caller.state = LEG_ENDED;
    call->codec = ACD_CODEC_NONE;
    call->te_pt = 101;
    call->attempt = 1;
    call->arrived_ms = acd__cc_now(cc);
    if (acd_hmap_insert(&cc->calls, &call->node, acd_str_from(call->id)) < 0) {
        acd__cc_call_discard(call);
        return -ENOMEM;
    }
    int rc = outcall_enqueue(cc, call, a->queue, a->priority, a->enqueue_ms);
    acd_log_notice("ACD-TAKEOVER-CALL", "call=%s from=%s state=waiting delivery=%s rc=%d",
                   a->call_id, a->from_site, a->delivery, rc);
    return rc;
}
