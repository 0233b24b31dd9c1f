/* callback.c - calling a caller whose takeover failed back through its tenant's trunk. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * The core decides when (restore.c): ACD_ACT_CALLBACK asks for attempt n of a restore
 * ticket. This file places it: a call_t of its own, in cc->calls but not in the core,
 * whose caller leg is our INVITE to sip:<caller>@<the tenant's trunk> with our SDP, the
 * same session a caller who called us gets. Answered, the leg is ACKed and the call is
 * an ordinary caller's from then on: greeting and music, CALL_ARRIVE (with callback and
 * the attempt, so the core gives it the ticket's place), offers, the 3PCC re-INVITE,
 * BYE, CDR. Anything else is CALLBACK_FAILED for the core, which retries or gives up.
 * When the core lets go of an attempt (the caller redialled, it rang too long) it is
 * CANCELled, and should it be answered all the same, hung up.
 */

#define CALLBACK_TE_PT 101 /* the telephone-event payload type we offer */

/* The ringing attempt ref is about, or NULL (it ended meanwhile). */
static call_t *callback_find(acd_callctl_t *cc, const acd_callback_ref_t *ref)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &cc->calls);
    while ((n = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(n, call_t, node);
        if (call->callback_attempt == ref->attempt && !call->callback_cancelled && !call->in_core &&
            strcmp(call->tenant, ref->tenant) == 0 && strcmp(call->caller_num, ref->caller) == 0)
            return call;
    }
    return NULL;
}

int acd__cc_trunk_peer(const char *trunk, acd_sip_peer_t *peer)
{
    if (!trunk)
        return -EINVAL;
    acd_sip_uri_t uri;
    char host[64];
    if (acd_sip_uri_parse(acd_str_from(trunk), &uri) < 0 || uri.host.n == 0 ||
        uri.host.n >= sizeof(host))
        return -EINVAL;
    acd_str_copy(host, sizeof(host), uri.host);
    memset(peer, 0, sizeof(*peer));
    peer->proto = ACD_SIP_UDP;
    return acd_sockaddr_parse(host, uri.port ? uri.port : 5060, &peer->addr);
}

/* Tells the core that attempt of ref's ticket failed (why: "sip-486", "no-trunk" ...). */
static void callback_feed_failed(acd_callctl_t *cc, const char *did, const char *caller,
                                 int attempt, const char *why)
{
    acd_event_t ev = acd__cc_event(ACD_EV_CALLBACK_FAILED, NULL, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    snprintf(ev.reason, sizeof(ev.reason), "%s", why);
    ev.attempt = attempt;
    acd__cc_feed(cc, &ev);
}

/* The attempt is over without the core ever knowing its call: free it. */
static void callback_end(acd_callctl_t *cc, call_t *call)
{
    if (call->caller.ict) {
        acd_sip_txn_forget(call->caller.ict);
        call->caller.ict = NULL;
    }
    call->caller.state = LEG_ENDED;
    call->callback_attempt = 0;
    call->ended = true;
    acd__cc_call_maybe_free(cc, call);
}

/* The attempt failed (status: the SIP final, 408 no answer from the trunk, 503 unreachable);
 * why: for the core, NULL for "sip-<status>". */
static void callback_failed(acd_callctl_t *cc, call_t *call, int status, const char *why_text)
{
    char why[16], did[ACD_ID_MAX], caller[ACD_ID_MAX];
    int attempt = call->callback_attempt;
    if (why_text)
        snprintf(why, sizeof(why), "%s", why_text);
    else
        snprintf(why, sizeof(why), "sip-%d", status);
    snprintf(did, sizeof(did), "%s", call->did);
    snprintf(caller, sizeof(caller), "%s", call->caller_num);
    acd_log_notice("ACD-CALLBACK-FAILED",
                   "call=%s from=%s tenant=%s caller=%s attempt=%d status=%d", call->id,
                   call->callback_of, call->tenant, call->caller_num, attempt, status);
    callback_end(cc, call);
    callback_feed_failed(cc, did, caller, attempt, why);
}

/* The caller answered: the call is an ordinary caller's from now on, in the ticket's place. */
static void callback_answered(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    (void)acd_sdp_negotiate(&leg->remote_sdp, &call->codec, &call->te_pt);
    leg->state = LEG_CONFIRMED;
    acd__cc_leg_link(cc, leg);
    acd__caller_play(call, "greeting");
    int attempt = call->callback_attempt;
    call->callback_attempt = 0;
    acd_log_notice("ACD-CALLBACK-ANSWERED", "call=%s from=%s tenant=%s caller=%s attempt=%d",
                   call->id, call->callback_of, call->tenant, call->caller_num, attempt);

    char id[ACD_ID_MAX];
    snprintf(id, sizeof(id), "%s", call->id);
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_ARRIVE, call->id, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", call->did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", call->caller_num);
    ev.callback = true;
    ev.attempt = attempt;
    acd__cc_feed(cc, &ev);
    acd_call_view_t v;
    if (!(call = acd__cc_call(cc, id)))
        return; /* already ended by what the arrival caused */
    if (acd_core_call(cc->core, call->id, &v) < 0) {
        acd_log_warn("ACD-CALLBACK-REFUSED", "call=%s from=%s: the queue refused the call",
                     call->id, call->callback_of);
        call->ended = true;
        acd__caller_release(cc, call); /* BYE */
        acd__cc_call_maybe_free(cc, call);
        return;
    }
    call->in_core = true;
    acd__cc_dialog_publish(cc, &call->caller);
    acd_log_info("ACD-CALL-ARRIVED",
                 "call=%s tenant=%s did=%s queue=%s callback=1 restored_from=%s", call->id,
                 call->tenant, call->did, v.queue, v.restored_from[0] ? v.restored_from : "-");
}

static void callback_invite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    leg_t *leg = &call->caller;
    if (status == 0) { /* the layer is closing: the site goes, and the attempt with it */
        leg->ict = NULL;
        callback_end(cc, call);
        return;
    }
    if (status < 200)
        return;
    if (status >= 300 || !resp) {
        /* Busy, declined, 487 after our CANCEL, no answer from the trunk (408), unreachable. */
        acd_sip_txn_forget(ct);
        leg->ict = NULL;
        if (call->callback_cancelled)
            callback_end(cc, call); /* the core has counted it already */
        else
            callback_failed(cc, call, status, NULL);
        return;
    }
    bool usable = acd__uac_answered(cc, leg, ct, resp, false);
    acd_codec_t codec;
    int te_pt;
    usable = usable && acd_sdp_negotiate(&leg->remote_sdp, &codec, &te_pt) == 0;
    if (call->callback_cancelled || !usable) {
        acd__uac_refuse(cc, leg, true); /* ACK, BYE */
        if (call->callback_cancelled) {
            callback_end(cc, call);
            return;
        }
        acd_log_warn("ACD-CALLBACK-BAD-ANSWER", "call=%s: no usable audio in the answer", call->id);
        callback_failed(cc, call, status, "bad-sdp");
        return;
    }
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->invite_cseq, &s);
    int rc = acd_sip_txn_send_ack(ct, &leg->dlg.peer, &s);
    if (rc < 0)
        acd_log_warn("ACD-CALLBACK-ACK-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
    /* The layer answers retransmitted 2xx with that ACK on its own. */
    acd_sip_txn_forget(ct);
    leg->ict = NULL;
    callback_answered(cc, call);
}

/* Builds and sends attempt a's INVITE in call (its media open, in cc->calls). */
static int callback_invite(acd_callctl_t *cc, call_t *call, const acd_cfg_tenant_t *tc,
                           const acd_sip_peer_t *peer)
{
    int rc = acd__caller_own_sdp(cc, call);
    if (rc < 0)
        return rc;
    char ruri[ACD_ID_MAX + 220], from[ACD_ID_MAX + 80];
    const char *cid = tc->callback_caller_id ? tc->callback_caller_id : call->did;
    /* sip:<number>@ the trunk's host and port: the trunk URI with the caller's number in. */
    snprintf(ruri, sizeof(ruri), "sip:%s@%s", call->caller_num, tc->callback_trunk + 4);
    snprintf(from, sizeof(from), "sip:%s@%s", cid, cc->cfg->site_address);
    cc_invite_t inv = {.ruri = ruri,
                       .from = from,
                       .to = ruri,
                       .contact = cc->trunk_contact, /* as toward a carrier that calls us */
                       .sdp = acd_buf_str(&call->caller.local_sdp)};
    return acd__uac_invite(cc, &call->caller, peer, &inv, callback_invite_cb, call);
}

void acd__callback_start(acd_callctl_t *cc, const acd_action_t *a)
{
    const acd_callback_ref_t *ref = &a->callback;
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, ref->tenant);
    acd_sip_peer_t peer;
    const char *why = NULL;
    if (!tc || !tc->callback || !tc->callback_trunk || acd__cc_trunk_peer(tc->callback_trunk, &peer) < 0)
        why = "no-trunk"; /* a reload took the tenant's callback away */
    else if (cc->draining)
        why = "draining";
    call_t *call = why ? NULL : acd__caller_alloc(cc, ref->tenant, ref->did, ref->caller);
    if (!why && !call)
        why = "nomem";
    if (why) {
        acd_log_warn("ACD-CALLBACK-FAILED", "call=- from=%s tenant=%s caller=%s attempt=%d why=%s",
                     ref->old_call_id, ref->tenant, ref->caller, ref->attempt, why);
        callback_feed_failed(cc, ref->did, ref->caller, ref->attempt, why);
        return;
    }
    snprintf(call->callback_of, sizeof(call->callback_of), "%s", ref->old_call_id);
    call->callback_attempt = ref->attempt;
    call->codec = ACD_CODEC_NONE; /* offer PCMU and PCMA; the answer picks */
    call->te_pt = CALLBACK_TE_PT;
    /* In cc->calls from here on, so that every way out ends in acd__cc_call_maybe_free. */
    int rc = acd_hmap_insert(&cc->calls, &call->node, acd_str_from(call->id));
    if (rc < 0) {
        acd__cc_call_discard(call);
        callback_feed_failed(cc, ref->did, ref->caller, ref->attempt, "nomem");
        return;
    }
    rc = acd_media_stream_open(cc->media, &call->media);
    if (rc == 0)
        rc = callback_invite(cc, call, tc, &peer);
    if (rc < 0) {
        acd_log_warn("ACD-CALLBACK-FAILED", "call=%s from=%s tenant=%s caller=%s attempt=%d err=%s",
                     call->id, ref->old_call_id, ref->tenant, ref->caller, ref->attempt,
                     acd_errname(rc));
        callback_end(cc, call);
        callback_feed_failed(cc, ref->did, ref->caller, ref->attempt, "send-failed");
        return;
    }
    acd_log_notice("ACD-CALLBACK-START",
                   "call=%s from=%s tenant=%s caller=%s attempt=%d/%d trunk=%s", call->id,
                   ref->old_call_id, ref->tenant, ref->caller, ref->attempt, ref->attempts,
                   tc->callback_trunk);
}

void acd__callback_cancel(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = callback_find(cc, &a->callback);
    if (!call)
        return;
    call->callback_cancelled = true;
    if (strcmp(a->reason, "timeout") == 0)
        acd_log_notice("ACD-CALLBACK-FAILED",
                       "call=%s from=%s tenant=%s caller=%s attempt=%d status=no-answer", call->id,
                       call->callback_of, call->tenant, call->caller_num, call->callback_attempt);
    else
        acd_log_notice("ACD-CALLBACK-CANCELLED",
                       "call=%s from=%s tenant=%s caller=%s attempt=%d reason=%s", call->id,
                       call->callback_of, call->tenant, call->caller_num, call->callback_attempt,
                       a->reason);
    /* The CANCEL goes once the trunk has sent a provisional; its final frees the call. */
    if (call->caller.ict && acd_sip_txn_cancel(call->caller.ict) == 0)
        call->caller.state = LEG_CANCELLING;
}

void acd__callback_gave_up(acd_callctl_t *cc, const acd_action_t *a)
{
    (void)cc;
    const acd_callback_ref_t *ref = &a->callback;
    acd_log_notice("ACD-CALLBACK-GAVE-UP",
                   "from=%s tenant=%s caller=%s attempts=%d: the ticket is dropped",
                   ref->old_call_id, ref->tenant, ref->caller, ref->attempts);
}
