/* adopt.c - taking over a dark site's calls (ADR 0014): legs rebuilt from replicated dialogs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callctl/callctl_int.h"
#include "util/err.h"
#include "util/log.h"

/*
 * The leader's Takeover hands this site the calls of a site that went dark, each with
 * the SIP dialogs its owner published (cluster/member_takeover.c). A waiting caller is
 * re-INVITEd in its dialog with this site's media (music on hold from here) and waits in
 * its original place. A connected call keeps its direct media: both legs get a target
 * refresh (re-INVITE with the session they already have, unchanged version, and this
 * site's Contact) so that their BYE, re-INVITE, UPDATE or OPTIONS come here, and this
 * site writes the call's one CDR when it ends. The dark site wrote none: its CDRs are
 * written when calls end, and it ended none of these.
 */

static int adopt_copy(char *dst, size_t n, const char *src)
{
    if (!src)
        src = "";
    size_t len = strlen(src);
    if (len >= n)
        return ACD_EPARSE;
    memcpy(dst, src, len + 1);
    return 0;
}

/* Rebuilds leg's dialog and session from the replicated d. Returns 0 or ACD_EPARSE. */
static int adopt_leg(acd_callctl_t *cc, leg_t *leg, const acd_member_dialog_t *d)
{
    acd_sip_dialog_t *g = &leg->dlg;
    memset(g, 0, sizeof(*g));
    int rc = adopt_copy(g->call_id, sizeof(g->call_id), d->sip_call_id);
    if (rc == 0)
        rc = adopt_copy(g->local_tag, sizeof(g->local_tag), d->local_tag);
    if (rc == 0)
        rc = adopt_copy(g->remote_tag, sizeof(g->remote_tag), d->remote_tag);
    if (rc == 0)
        rc = adopt_copy(g->local_uri, sizeof(g->local_uri), d->local_uri);
    if (rc == 0)
        rc = adopt_copy(g->remote_uri, sizeof(g->remote_uri), d->remote_uri);
    if (rc == 0)
        rc = adopt_copy(g->remote_target, sizeof(g->remote_target), d->remote_target);
    /* From now on the party is told to reach this site. */
    if (rc == 0)
        rc = adopt_copy(g->local_contact, sizeof(g->local_contact),
                        leg->role == LEG_CALLER ? cc->trunk_contact : cc->contact);
    for (size_t i = 0; rc == 0 && i < d->n_routes && i < ACD_SIP_MAX_ROUTES; i++)
        rc = adopt_copy(g->routes[i], sizeof(g->routes[i]), d->routes[i]);
    if (rc < 0 || !g->call_id[0] || !g->local_tag[0] || !g->remote_tag[0] || !g->remote_target[0])
        return ACD_EPARSE;
    g->route_count = (int)(d->n_routes < ACD_SIP_MAX_ROUTES ? d->n_routes : ACD_SIP_MAX_ROUTES);
    g->local_cseq = d->local_cseq;
    g->remote_cseq = d->remote_cseq;
    if (acd__cc_parse_source(d->peer, &g->peer.addr) < 0)
        return ACD_EPARSE;
    g->peer.proto = d->tcp ? ACD_SIP_TCP : ACD_SIP_UDP;

    leg->state = LEG_CONFIRMED;
    acd_buf_reset(&leg->local_sdp);
    acd_buf_reset(&leg->remote_sdp_text);
    if (acd_buf_append(&leg->local_sdp, d->local_sdp, strlen(d->local_sdp)) < 0 ||
        acd_buf_append(&leg->remote_sdp_text, d->remote_sdp, strlen(d->remote_sdp)) < 0)
        return -ENOMEM;
    leg->has_remote_sdp = acd_sdp_parse(acd_buf_str(&leg->remote_sdp_text), &leg->remote_sdp) == 0;
    /* Our o= line toward the party goes on from the owner's: same session, next versions. */
    acd_sdp_t ours;
    if (acd_sdp_parse(acd_buf_str(&leg->local_sdp), &ours) == 0) {
        leg->sess_id = ours.sess_id;
        leg->sess_ver = ours.sess_version;
    } else {
        leg->sess_id = (uint64_t)acd__cc_now(cc);
        leg->sess_ver = 1;
    }
    return 0;
}

/* The caller's answer to our takeover re-INVITE: its media now comes from here. */
static void adopt_caller_media(call_t *call, const acd_sip_msg_t *resp)
{
    leg_t *leg = &call->caller;
    if (resp->body.n && acd_sdp_parse(resp->body, &leg->remote_sdp) == 0) {
        leg->has_remote_sdp = true;
        acd_buf_reset(&leg->remote_sdp_text);
        (void)acd_buf_append_str(&leg->remote_sdp_text, resp->body);
    }
    acd__caller_play(call, "moh");
}

static void adopt_reinvite_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
{
    leg_t *leg = ud;
    call_t *call = leg->call;
    acd_callctl_t *cc = leg->cc;
    if (status == 0) {
        leg->ict = NULL;
        if (call)
            acd__cc_call_maybe_free(cc, call);
        else if (leg->role == LEG_AGENT)
            acd__agent_leg_free(cc, leg); /* orphaned while the refresh ran */
        return;
    }
    if (status < 200)
        return;
    /* Final: the layer finishes the transaction alone (it ACKs retransmitted 2xx), so
     * the leg is free for the next re-INVITE (the 3PCC one) and may be freed any time. */
    bool ok = status < 300 && resp;
    if (ok) {
        acd_sip_req_spec_t s;
        acd_sip_dialog_request(&leg->dlg, ACD_SIP_ACK, leg->dlg.local_cseq, &s);
        acd_sip_txn_send_ack(ct, &leg->dlg.peer, &s);
    }
    acd_sip_txn_forget(ct);
    if (leg->ict == ct)
        leg->ict = NULL;
    if (!call) {
        if (leg->role == LEG_AGENT)
            acd__agent_leg_free(cc, leg); /* orphaned while the refresh ran */
        return;
    }
    if (ok) {
        if (call->ended || leg->state == LEG_ENDED) {
            acd__cc_call_maybe_free(cc, call);
            return;
        }
        bool waiting = leg->role == LEG_CALLER && !call->bridged;
        if (waiting) {
            adopt_caller_media(call, resp);
            leg->state = LEG_CONFIRMED;
        }
        acd__cc_dialog_publish(cc, leg);
        acd_log_info("ACD-TAKEOVER-LEG", "call=%s leg=%s: %s", call->id,
                     leg->role == LEG_CALLER ? "caller" : "agent",
                     waiting ? "media moved here" : "in-dialog requests come here");
        if (waiting && call->bridge_pending)
            acd__caller_connect(cc, call); /* an agent answered while we moved the caller */
        return;
    }
    if (call->ended) {
        acd__cc_call_maybe_free(cc, call);
        return;
    }
    acd_log_warn("ACD-TAKEOVER-REINVITE-FAILED", "call=%s leg=%s status=%d", call->id,
                 leg->role == LEG_CALLER ? "caller" : "agent", status);
    if (leg->role == LEG_CALLER && !call->bridged) {
        /* The caller could not be moved here: the call fails (its CDR says so), and the
         * core keeps its place for a redial from the same number (ADR 0016). */
        leg->state = LEG_CONFIRMED;
        char tenant[ACD_ID_MAX], caller[ACD_ID_MAX];
        snprintf(tenant, sizeof(tenant), "%s", call->tenant);
        snprintf(caller, sizeof(caller), "%s", call->caller_num);
        uint64_t dropped0, dropped;
        acd_core_restore_counts(cc->core, NULL, &dropped0);
        acd_event_t ev = acd__cc_event(ACD_EV_CALL_HANGUP, call->id, NULL);
        ev.failed = true;
        ev.restorable = true;
        acd__cc_feed(cc, &ev); /* may free call */
        acd_restore_view_t t;
        size_t held;
        acd_core_restore_counts(cc->core, &held, &dropped);
        if (acd_core_restore_ticket(cc->core, tenant, caller, acd__cc_now(cc), &t) == 0)
            acd_log_notice("ACD-CALL-RESTORE-TICKET",
                           "call=%s tenant=%s caller=%s queue=%s enqueue_ms=%lld expires_ms=%lld "
                           "callback_at=%lld held=%zu",
                           t.old_call_id, tenant, caller, t.queue, (long long)t.enqueue_ms,
                           (long long)t.expires_ms, (long long)t.callback_at, held);
        if (dropped > dropped0)
            acd_log_warn("ACD-CALL-RESTORE-TABLE-FULL",
                         "dropped=%llu: the ticket closest to expiry made room (at most %d)",
                         (unsigned long long)(dropped - dropped0), ACD_RESTORE_MAX);
        return;
    }
    /* A connected call's party refused or never answered the refresh: it is gone (a 481:
     * its BYE went to the dead site). The call ends as if it had hung up: the other leg
     * gets our BYE and the call its CDR. */
    leg->state = LEG_ENDED;
    acd_event_t ev = acd__cc_leg_hangup(leg);
    acd__cc_feed(cc, &ev);
}

/* Re-INVITEs leg in its dialog with body (the session to offer) from this site. */
static int adopt_reinvite(acd_callctl_t *cc, leg_t *leg, acd_str_t body)
{
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_INVITE, 0, &s);
    s.content_type = ACD_STR("application/sdp");
    s.body = body;
    return acd_sip_txn_request_send(cc->txl, &leg->dlg.peer, &s, adopt_reinvite_cb, leg, &leg->ict);
}

/* Moves a waiting caller's media here: our SDP, the next version of the session. */
static int adopt_waiting(acd_callctl_t *cc, call_t *call)
{
    leg_t *leg = &call->caller;
    int rc = acd_media_stream_open(cc->media, &call->media);
    if (rc < 0)
        return rc;
    leg->sess_ver++;
    rc = acd__caller_own_sdp(cc, call);
    /* Until its answer, an agent's CONNECT waits for it (caller.c's bridge_pending). */
    leg->state = LEG_ANSWERED;
    return rc < 0 ? rc : adopt_reinvite(cc, leg, acd_buf_str(&leg->local_sdp));
}

/* The call record, both legs and the core's call; on failure nothing is left. */
static int adopt_build(acd_callctl_t *cc, const acd_member_adopt_t *a, call_t **out)
{
    call_t *call = calloc(1, sizeof(*call));
    if (!call)
        return -ENOMEM;
    uv_timer_init(cc->loop, &call->answer_timer);
    call->answer_timer.data = call;
    call->cc = cc;
    int rc = adopt_copy(call->id, sizeof(call->id), a->call_id);
    if (rc == 0)
        rc = adopt_copy(call->tenant, sizeof(call->tenant), a->tenant);
    if (rc == 0)
        rc = adopt_copy(call->did, sizeof(call->did), a->did);
    if (rc == 0)
        rc = adopt_copy(call->caller_num, sizeof(call->caller_num), a->caller);
    snprintf(call->lang, sizeof(call->lang), "%s", acd_core_tenant_language(cc->core, a->tenant));
    leg_t *leg = &call->caller;
    leg->cc = cc;
    leg->call = call;
    leg->role = LEG_CALLER;
    if (rc == 0)
        rc = adopt_leg(cc, leg, a->caller_leg);
    call->codec = ACD_CODEC_PCMU;
    call->te_pt = -1;
    if (rc == 0 && leg->has_remote_sdp)
        (void)acd_sdp_negotiate(&leg->remote_sdp, &call->codec, &call->te_pt);
    bool connected = a->agent_leg != NULL;
    if (rc == 0 && connected) {
        leg_t *ag = calloc(1, sizeof(*ag));
        if (!ag) {
            rc = -ENOMEM;
        } else {
            ag->cc = cc;
            ag->call = call;
            ag->role = LEG_AGENT;
            snprintf(ag->agent_id, sizeof(ag->agent_id), "%s", a->agent_id);
            call->agent = ag;
            call->bridged = true;
            rc = adopt_leg(cc, ag, a->agent_leg);
        }
    }
    if (rc == 0)
        rc = acd_hmap_insert(&cc->calls, &call->node, acd_str_from(call->id));
    if (rc < 0) {
        if (call->agent) {
            acd__cc_leg_fini(call->agent);
            free(call->agent);
        }
        acd__cc_call_discard(call); /* the caller leg's buffers go with it */
        return rc;
    }
    acd__cc_leg_link(cc, leg);
    if (call->agent)
        acd__cc_leg_link(cc, call->agent);
    *out = call;
    return 0;
}

/*
 * Requests parked for these dialogs while their owner was silent (park.c) are handled
 * now. True when that ended the call or a leg: *callp is then not to be used.
 */
static bool adopt_parked(acd_callctl_t *cc, call_t **callp)
{
    call_t *call = *callp;
    char id[ACD_ID_MAX], ckey[sizeof(call->caller.key)], akey[sizeof(call->caller.key)];
    snprintf(id, sizeof(id), "%s", call->id);
    snprintf(ckey, sizeof(ckey), "%s", call->caller.key);
    snprintf(akey, sizeof(akey), "%s", call->agent ? call->agent->key : "");
    bool parked = acd__cc_park_adopted(cc, ckey);
    if (akey[0] && (call = acd__cc_call(cc, id)) != NULL && !call->ended)
        parked = acd__cc_park_adopted(cc, akey) || parked;
    if (!parked)
        return false;
    call = acd__cc_call(cc, id);
    bool over = !call || call->ended || call->caller.state == LEG_ENDED ||
                (call->agent && call->agent->state == LEG_ENDED);
    if (over)
        acd_log_notice("ACD-TAKEOVER-CALL", "call=%s: a party hung up while its owner was silent", id);
    *callp = call;
    return over;
}

int acd__cc_adopt(void *ud, const acd_member_adopt_t *a)
{
    acd_callctl_t *cc = ud;
    if (acd__cc_call(cc, a->call_id))
        return -EEXIST;
    if (a->delivery && a->delivery[0])
        return acd__outcall_adopt(cc, a);
    call_t *call = NULL;
    int rc = adopt_build(cc, a, &call);
    if (rc < 0) {
        acd_log_err("ACD-TAKEOVER-CALL-REFUSED", "call=%s from=%s: %s", a->call_id, a->from_site,
                    acd_strerror(rc));
        return rc;
    }
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_ADOPT, call->id, call->agent ? a->agent_id : NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", a->did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", a->caller ? a->caller : "");
    snprintf(ev.queue, sizeof(ev.queue), "%s", a->queue ? a->queue : "");
    ev.priority = a->priority;
    ev.enqueue_ms = a->enqueue_ms;
    ev.offers = a->offers;
    if (call->agent) {
        snprintf(ev.agent_site, sizeof(ev.agent_site), "%s", a->agent_site);
        snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", a->offer_id);
        ev.answer_ms = a->answer_ms;
    }
    acd__cc_feed(cc, &ev);
    acd_call_view_t v;
    if (acd_core_call(cc->core, call->id, &v) < 0) {
        /* The core refused it (its queue is not configured here): leave the parties be. */
        acd_log_err("ACD-TAKEOVER-CALL-REFUSED", "call=%s from=%s: the core refused it", call->id,
                    a->from_site);
        call->ended = true;
        call->caller.state = LEG_ENDED;
        if (call->agent)
            call->agent->state = LEG_ENDED;
        acd__cc_call_maybe_free(cc, call);
        return ACD_ESTATE;
    }
    call->in_core = true;
    acd__cc_dialog_publish(cc, &call->caller);
    if (adopt_parked(cc, &call))
        return 0; /* a parked BYE ended it: no refresh for a party that hung up */
    if (call->agent) {
        acd__cc_dialog_publish(cc, call->agent);
        /* Target refresh: the sessions they have, from here. A caller whose Contact is
         * already the anycast address reaches us as it is: no refresh, so none can cross
         * a BYE it sent toward the dead site. */
        const char *was = a->caller_leg->local_contact ? a->caller_leg->local_contact : "";
        if (strcmp(was, cc->trunk_contact) != 0)
            rc = adopt_reinvite(cc, &call->caller, acd_buf_str(&call->caller.local_sdp));
        if (rc == 0)
            rc = adopt_reinvite(cc, call->agent, acd_buf_str(&call->agent->local_sdp));
    } else {
        rc = adopt_waiting(cc, call);
    }
    if (rc < 0)
        acd_log_warn("ACD-TAKEOVER-REINVITE-FAILED", "call=%s err=%s", call->id, acd_errname(rc));
    acd_log_notice("ACD-TAKEOVER-CALL", "call=%s from=%s state=%s agent=%s", call->id, a->from_site,
                   call->agent ? "connected" : "waiting", call->agent ? a->agent_id : "-");
    return 0;
}

void acd__cc_abandon_calls(void *ud, const char *sister, int64_t exposed_before_ms)
{
    acd_callctl_t *cc = ud;
    size_t n = 0, cap = cc->calls.count;
    char (*ids)[ACD_ID_MAX] = cap ? calloc(cap, sizeof(*ids)) : NULL;
    acd_hmap_iter_t it;
    acd_hmap_node_t *node;
    acd_hmap_iter_init(&it, &cc->calls);
    while (ids && n < cap && (node = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(node, call_t, node);
        acd_call_view_t v;
        if (call->ended || !call->in_core || acd_core_call(cc->core, call->id, &v) < 0)
            continue;
        if (exposed_before_ms && v.enqueue_ms > exposed_before_ms)
            continue; /* begun while nobody heard us: the sister never knew it */
        snprintf(ids[n++], ACD_ID_MAX, "%s", call->id);
    }
    for (size_t i = 0; i < n; i++) {
        call_t *call = acd__cc_call(cc, ids[i]);
        if (!call || call->ended)
            continue;
        /* The sister speaks in these dialogs now: no BYE and no CDR from here. An agent
         * still ringing for the call is cancelled (nobody else can). */
        call->handed_over = true; /* a late BYE for these is the sister's (tomb.c) */
        call->caller.state = LEG_ENDED;
        if (call->agent && call->agent->state != LEG_RINGING)
            call->agent->state = LEG_ENDED;
        acd_call_view_t v;
        if (cc->member && acd_core_call(cc->core, call->id, &v) == 0)
            acd_member_call_withdrawn(cc->member, &v);
        acd_event_t ev = acd__cc_event(ACD_EV_CALL_FORGET, call->id, NULL);
        snprintf(ev.call_site, sizeof(ev.call_site), "%s", sister);
        snprintf(ev.offer_id, sizeof(ev.offer_id), "%s%s", ACD_MEMBER_TAKEOVER_OFFER, sister);
        acd__cc_feed(cc, &ev);
        if ((call = acd__cc_call(cc, ids[i])) != NULL) { /* no CDR action ends it: do it here */
            acd__agent_release(cc, call);
            acd__caller_release(cc, call);
            call->in_core = false;
            call->ended = true;
            acd__cc_call_maybe_free(cc, call);
        }
    }
    free(ids);
    acd_log_warn("ACD-SITE-TAKEN-OVER", "sister=%s: %zu calls handed over while this site was cut off",
                 sister, n);
}
