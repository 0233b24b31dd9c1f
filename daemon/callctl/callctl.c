/* callctl.c - site lifecycle, SIP request routing, and the core's event/action loop. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"

#define CC_ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE\r\n"

int64_t acd__cc_now(const acd_callctl_t *cc)
{
    (void)cc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

acd_event_t acd__cc_event(acd_event_type_t type, const char *call_id, const char *agent_id)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    if (call_id)
        snprintf(ev.call_id, sizeof(ev.call_id), "%s", call_id);
    if (agent_id)
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent_id);
    return ev;
}

call_t *acd__cc_call(acd_callctl_t *cc, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&cc->calls, acd_str_from(id));
    return n ? acd_container_of(n, call_t, node) : NULL;
}

void acd__cc_leg_link(acd_callctl_t *cc, leg_t *leg)
{
    snprintf(leg->key, sizeof(leg->key), "%s|%s", leg->dlg.call_id, leg->dlg.local_tag);
    if (acd_hmap_insert(&cc->legs, &leg->node, acd_str_from(leg->key)) == 0)
        leg->has_dialog = true;
}

static void cc_dialog_publish(acd_callctl_t *cc, const leg_t *leg, bool terminated);

acd_event_t acd__cc_leg_hangup(const leg_t *leg)
{
    return acd__cc_event(leg->role == LEG_CALLER ? ACD_EV_CALL_HANGUP : ACD_EV_AGENT_HANGUP,
                         leg->call->id, leg->role == LEG_AGENT ? leg->agent_id : NULL);
}

void acd__cc_leg_unlink(acd_callctl_t *cc, leg_t *leg)
{
    if (leg->has_dialog) {
        acd_hmap_remove(&cc->legs, &leg->node);
        leg->has_dialog = false;
        if (!(leg->call && leg->call->handed_over))
            acd__cc_tomb_add(cc, leg->key);
        cc_dialog_publish(cc, leg, true);
    }
}

void acd__cc_leg_fini(leg_t *leg)
{
    acd_buf_fini(&leg->local_sdp);
    acd_buf_fini(&leg->remote_sdp_text);
}

/* Builds the member's view of leg's dialog (ended when terminated) and hands it to cb. */
static void cc_dialog_visit(const leg_t *leg, bool terminated,
                            void (*cb)(void *ud, const acd_member_dialog_t *d), void *ud)
{
    const acd_sip_dialog_t *g = &leg->dlg;
    char peer[80] = "";
    acd_sockaddr_fmt((const struct sockaddr *)&g->peer.addr, peer, sizeof(peer));
    const char *routes[ACD_SIP_MAX_ROUTES];
    for (int i = 0; i < g->route_count && i < ACD_SIP_MAX_ROUTES; i++)
        routes[i] = g->routes[i];
    /* The member wants NUL-terminated SDP; the buffers are not. */
    acd_buf_t l = {0}, r = {0};
    bool ok = acd_buf_append(&l, leg->local_sdp.p ? leg->local_sdp.p : "", leg->local_sdp.n) == 0 &&
              acd_buf_append(&l, "", 1) == 0 &&
              acd_buf_append(&r, leg->remote_sdp_text.p ? leg->remote_sdp_text.p : "",
                             leg->remote_sdp_text.n) == 0 &&
              acd_buf_append(&r, "", 1) == 0;
    acd_member_dialog_t d = {.call_id = leg->call->id,
                             .agent_leg = leg->role == LEG_AGENT,
                             .terminated = terminated || leg->state == LEG_ENDED,
                             .confirmed = leg->state == LEG_CONFIRMED,
                             .sip_call_id = g->call_id,
                             .local_tag = g->local_tag,
                             .remote_tag = g->remote_tag,
                             .local_uri = g->local_uri,
                             .remote_uri = g->remote_uri,
                             .remote_target = g->remote_target,
                             .local_contact = g->local_contact,
                             .routes = routes,
                             .n_routes = g->route_count > 0 ? (size_t)g->route_count : 0,
                             .local_cseq = g->local_cseq,
                             .remote_cseq = g->remote_cseq,
                             .peer = peer,
                             .tcp = g->peer.proto == ACD_SIP_TCP,
                             .local_sdp = ok ? l.p : "",
                             .remote_sdp = ok ? r.p : ""};
    if (ok)
        cb(ud, &d);
    else
        acd_log_warn("ACD-CALL-DIALOG-UNPUBLISHED", "call=%s: out of memory", leg->call->id);
    acd_buf_fini(&l);
    acd_buf_fini(&r);
}

static void cc_dialog_to_member(void *ud, const acd_member_dialog_t *d)
{
    acd_member_dialog(ud, d);
}

static void cc_dialog_publish(acd_callctl_t *cc, const leg_t *leg, bool terminated)
{
    if (cc->member && leg->call && leg->dlg.call_id[0] && leg->dlg.remote_tag[0])
        cc_dialog_visit(leg, terminated, cc_dialog_to_member, cc->member);
}

void acd__cc_dialog_publish(acd_callctl_t *cc, const leg_t *leg)
{
    cc_dialog_publish(cc, leg, false);
}

void acd__cc_foreach_dialog(void *ud, void (*cb)(void *cbud, const acd_member_dialog_t *d), void *cbud)
{
    acd_callctl_t *cc = ud;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &cc->legs);
    while ((n = acd_hmap_iter_next(&it))) {
        const leg_t *leg = acd_container_of(n, leg_t, node);
        if (leg->call && leg->dlg.remote_tag[0] && leg->state == LEG_CONFIRMED)
            cc_dialog_visit(leg, false, cb, cbud);
    }
}

/* Sends BYE on leg's dialog without waiting for the answer (no callback). */
void acd__cc_send_bye(acd_callctl_t *cc, leg_t *leg)
{
    if (leg->state == LEG_ENDED || !leg->dlg.call_id[0])
        return;
    leg->state = LEG_ENDED;
    acd_sip_req_spec_t s;
    acd_sip_dialog_request(&leg->dlg, ACD_SIP_BYE, 0, &s);
    int rc = acd_sip_txn_request_send(cc->txl, &leg->dlg.peer, &s, NULL, NULL, NULL);
    if (rc < 0)
        acd_log_warn("ACD-CALL-BYE-FAILED", "call=%s err=%s", leg->call ? leg->call->id : "-",
                     acd_errname(rc));
}

static void cc_call_free_cb(uv_handle_t *h)
{
    call_t *call = h->data;
    acd__cc_leg_fini(&call->caller);
    free(call);
}

void acd__cc_call_discard(call_t *call)
{
    if (call->media)
        acd_media_stream_close(call->media);
    call->media = NULL;
    uv_close((uv_handle_t *)&call->answer_timer, cc_call_free_cb);
}

/* Frees a call once the core is done with it and no transaction refers to its legs. */
void acd__cc_call_maybe_free(acd_callctl_t *cc, call_t *call)
{
    if (!call->ended)
        return;
    if (call->caller.ist)
        return; /* a final response is still owed to the caller */
    if (call->agent) {
        acd__cc_leg_unlink(cc, call->agent);
        if (call->agent->ict)
            acd_sip_txn_forget(call->agent->ict);
        acd__cc_leg_fini(call->agent);
        free(call->agent);
        call->agent = NULL;
    }
    if (call->caller.ict)
        acd_sip_txn_forget(call->caller.ict);
    acd__cc_leg_unlink(cc, &call->caller);
    if (call->ring_key[0])
        acd_hmap_remove(&cc->ringing, &call->ring_node);
    call->ring_key[0] = '\0';
    if (call->media)
        acd_media_stream_close(call->media);
    call->media = NULL;
    acd_hmap_remove(&cc->calls, &call->node);
    if (call->bridge_deferred)
        cc->n_bridges_deferred--; /* park.c counts them */
    uv_close((uv_handle_t *)&call->answer_timer, cc_call_free_cb);
    if (cc->draining && cc->calls.count == 0 && cc->drain_cb) {
        void (*cb)(void *) = cc->drain_cb;
        cc->drain_cb = NULL;
        uv_timer_stop(&cc->drain_timer);
        cb(cc->drain_ud);
    }
}

/* ---- the core: events in, actions out ---- */

static void cc_core_timer_cb(uv_timer_t *h)
{
    acd_callctl_t *cc = h->data;
    acd_event_t ev = acd__cc_event(ACD_EV_TICK, NULL, NULL);
    acd__cc_feed(cc, &ev);
}

static void cc_rearm(acd_callctl_t *cc)
{
    acd_ms_t d = acd_core_next_deadline(cc->core);
    if (d == INT64_MAX) {
        uv_timer_stop(&cc->core_timer);
        return;
    }
    int64_t delay = d - acd__cc_now(cc);
    uv_timer_start(&cc->core_timer, cc_core_timer_cb, delay > 0 ? (uint64_t)delay : 0, 0);
}

static void cc_end_call(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = acd__cc_call(cc, a->call_id);
    if (!call)
        return;
    acd__agent_release(cc, call);
    acd__caller_release(cc, call);
}

static void cc_cdr(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *over = acd__cc_call(cc, a->call_id);
    if (cc->cdr && !(over && over->overflow_to[0])) {
        acd_cdr_t cdr = a->cdr;
        if (strcmp(cdr.agent_site, cc->cfg->site_name) == 0)
            cdr.agent_site[0] = '\0'; /* our own agent, reached through the leader's offer */
        acd__cc_cdr_out(cc, &cdr);
    }
    acd_log_info("ACD-CALL-END", "call=%s tenant=%s queue=%s agent=%s disposition=%s wait_ms=%lld talk_ms=%lld",
                 a->cdr.call_id, a->cdr.tenant, a->cdr.queue, a->cdr.agent[0] ? a->cdr.agent : "-",
                 acd_disposition_name(a->cdr.disposition), (long long)a->cdr.wait_ms,
                 (long long)a->cdr.talk_ms);
    call_t *call = acd__cc_call(cc, a->call_id);
    if (call && call->overflow_to[0]) {
        /* A queue rule sent it on (stage.c): call control carries the caller further and
         * writes the call's one CDR at its real end. */
        call->in_core = false;
        acd__stage_overflowed(cc, call);
        return;
    }
    if (call) {
        /* Whatever the core asked before, no leg of an ended call stays up. */
        acd__agent_release(cc, call);
        acd__caller_release(cc, call);
        call->in_core = false;
        call->ended = true;
        acd__cc_call_maybe_free(cc, call);
    }
}

static void cc_do_action(acd_callctl_t *cc, const acd_action_t *a)
{
    switch (a->type) {
    case ACD_ACT_OFFER:
        acd__agent_offer(cc, a);
        break;
    case ACD_ACT_CANCEL_OFFER:
        acd__agent_cancel(cc, a);
        break;
    case ACD_ACT_REJECT_ANSWER:
        acd__agent_reject_answer(cc, a);
        break;
    case ACD_ACT_CONNECT: {
        call_t *call = acd__cc_call(cc, a->call_id);
        if (call)
            acd__caller_connect(cc, call);
        break;
    }
    case ACD_ACT_END_CALL:
        cc_end_call(cc, a);
        break;
    case ACD_ACT_AGENT_STATE:
        acd_log_info("ACD-AGENT-STATE", "agent=%s from=%s to=%s reason=%s", a->agent_id,
                     acd_agent_state_name(a->old_state), acd_agent_state_name(a->new_state),
                     a->reason[0] ? a->reason : "-");
        break;
    case ACD_ACT_CDR:
        cc_cdr(cc, a);
        break;
    case ACD_ACT_OVERFLOW:
        acd__stage_overflow(cc, a);
        break;
    case ACD_ACT_CALLBACK:
        acd__callback_start(cc, a);
        break;
    case ACD_ACT_CALLBACK_CANCEL:
        acd__callback_cancel(cc, a);
        break;
    case ACD_ACT_CALLBACK_GAVE_UP:
        acd__callback_gave_up(cc, a);
        break;
    case ACD_ACT_OFFER_ACCEPT:
    case ACD_ACT_OFFER_REJECT:
    case ACD_ACT_REMOTE_RELEASE:
    case ACD_ACT_REMOTE_AGENT:
        /* Cluster mode only (local dispatch off): published by the cluster layer. */
        acd_log_debug("ACD-CALL-CLUSTER-ACTION", "type=%d call=%s agent=%s offer=%s", (int)a->type,
                      a->call_id, a->agent_id, a->offer_id);
        break;
    }
}

/*
 * Applies ev and carries out the actions. Actions may raise further events (an offer
 * to an agent with no phone fails at once); those are queued and applied in order
 * after the current batch, never recursively.
 */
void acd__cc_feed(acd_callctl_t *cc, const acd_event_t *ev)
{
    if (cc->npending == cc->cappending) {
        size_t cap = cc->cappending ? cc->cappending * 2 : 16;
        acd_event_t *p = realloc(cc->pending, cap * sizeof(*p));
        if (!p) {
            acd_log_err("ACD-CALL-NOMEM", "event dropped type=%d", (int)ev->type);
            return;
        }
        cc->pending = p;
        cc->cappending = cap;
    }
    cc->pending[cc->npending++] = *ev;
    if (cc->feeding)
        return;
    cc->feeding = true;
    for (size_t i = 0; i < cc->npending; i++) {
        acd_event_t cur = cc->pending[i];
        acd_actions_reset(&cc->acts);
        int rc = acd_core_apply(cc->core, &cur, acd__cc_now(cc), &cc->acts);
        if (rc < 0 && cur.type != ACD_EV_TICK)
            acd_log_debug("ACD-CORE-REFUSED", "type=%d call=%s agent=%s err=%s", (int)cur.type,
                          cur.call_id, cur.agent_id, acd_errname(rc));
        /*
         * cc->acts is stable while its actions run: events they raise are only queued
         * (cc->feeding is set) and applied on a later round of this loop.
         */
        for (size_t j = 0; j < cc->acts.n; j++)
            cc_do_action(cc, &cc->acts.v[j]);
        acd__cc_observe(cc, &cur, rc, &cc->acts);
        if (cc->member && rc == 0)
            acd_member_applied(cc->member, &cur, &cc->acts);
    }
    cc->npending = 0;
    cc->feeding = false;
    if (cc->member)
        acd_member_flush(cc->member);
    cc_rearm(cc);
}

/* ---- SIP requests from the transaction layer ---- */

void acd__cc_in_dialog(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req)
{
    char key[ACD_SIP_DIALOG_STR + 80];
    snprintf(key, sizeof(key), "%.*s|%.*s", ACD_STR_FMT(req->call_id), ACD_STR_FMT(req->to.tag));
    acd_hmap_node_t *n = acd_hmap_get(&cc->legs, acd_str_from(key));
    leg_t *leg = n ? acd_container_of(n, leg_t, node) : NULL;
    if (!leg && req->method != ACD_SIP_ACK && acd__cc_park(cc, st, req, key))
        return; /* a silent peer's dialog: held for its takeover (park.c) */
    if (!leg && acd__cc_relay(cc, st, req))
        return; /* another live site's dialog: relayed to its owner, else 481 below */
    if (req->method == ACD_SIP_ACK) {
        if (leg && leg->role == LEG_CALLER)
            acd__caller_ack(cc, leg, req);
        return;
    }
    if (!leg) {
        /* A BYE for a dialog that ended here lately: it is over, say so (tomb.c). */
        bool over = req->method == ACD_SIP_BYE && acd__cc_tomb_has(cc, key);
        acd_sip_txn_respond(st, over ? 200 : 481, NULL, NULL);
        return;
    }
    if (acd__cc_park_own(cc, st, req, leg))
        return; /* we may have been taken over: it waits until we know (park.c) */
    if (acd_sip_dialog_remote_cseq(&leg->dlg, req->cseq) < 0) {
        acd_sip_txn_respond(st, 500, "CSeq out of order", NULL);
        return;
    }
    switch (req->method) {
    case ACD_SIP_BYE: {
        acd_sip_txn_respond(st, 200, NULL, NULL);
        leg->state = LEG_ENDED;
        call_t *call = leg->call;
        if (call && leg->role == LEG_CALLER && call->in_core && acd__outcall_is(call) &&
            !call->bridged) {
            /* A caller who chose a callback hangs up, often before "we will call you
             * back" ends: the call keeps its place, with nobody on the line (ADR 0021). */
            if (call->media)
                acd_media_stream_stop(call->media);
            call->stage = STAGE_NONE;
            call->stage_ended = NULL;
            acd_log_info("ACD-VHOLD-HUNG-UP", "call=%s: the caller hung up; the callback stays"
                         " queued", call->id);
            break;
        }
        if (call && !call->in_core) {
            /* Outside the queue (menu, message, on-call): call control ends it itself. */
            if (leg->role == LEG_CALLER)
                acd__stage_hangup(cc, call);
            else if (!call->ended)
                acd__stage_finish(cc, call, ACD_DISP_ANSWERED);
            break;
        }
        acd_event_t ev = acd__cc_leg_hangup(leg);
        acd__cc_feed(cc, &ev);
        break;
    }
    case ACD_SIP_INVITE: {
        /* A refresh or hold from the party: answer with the session as it stands. */
        acd_sip_resp_opts_t o = {.contact = acd_str_from(leg->dlg.local_contact),
                                 .content_type = ACD_STR("application/sdp"),
                                 .body = acd_buf_str(&leg->local_sdp)};
        acd_sip_txn_respond(st, leg->local_sdp.n ? 200 : 488, NULL, &o);
        break;
    }
    case ACD_SIP_UPDATE: {
        /* A session refresh (RFC 4028) or a change: like a re-INVITE, the session stands. */
        bool offer = req->body.n > 0 && leg->local_sdp.n > 0;
        acd_sip_resp_opts_t o = {.contact = acd_str_from(leg->dlg.local_contact),
                                 .content_type = offer ? ACD_STR("application/sdp") : (acd_str_t){0},
                                 .body = offer ? acd_buf_str(&leg->local_sdp) : (acd_str_t){0}};
        acd_sip_txn_respond(st, 200, NULL, &o);
        break;
    }
    case ACD_SIP_INFO: {
        /* DTMF by SIP INFO (application/dtmf-relay, application/dtmf); other INFO
         * packages are acknowledged and ignored. */
        char digit;
        int duration;
        bool dtmf = acd_dtmf_info_parse(req->content_type.p, req->content_type.n, req->body.p,
                                        req->body.n, &digit, &duration) == 0;
        if (!dtmf && (acd_str_ieqc(req->content_type, "application/dtmf-relay") ||
                      acd_str_ieqc(req->content_type, "application/dtmf"))) {
            acd_sip_txn_respond(st, 400, "Bad DTMF Body", NULL);
            break;
        }
        acd_sip_txn_respond(st, 200, NULL, NULL);
        if (dtmf && leg->role == LEG_CALLER && leg->call)
            acd__stage_digit(cc, leg->call, digit, "info");
        break;
    }
    case ACD_SIP_OPTIONS:
        acd_sip_txn_respond(st, 200, NULL, NULL);
        break;
    default:
        acd_sip_txn_respond(st, 501, NULL, NULL);
        break;
    }
}

static void cc_tu_request(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                          const acd_sip_peer_t *from)
{
    acd_callctl_t *cc = ud;
    if (acd_str_present(req->to.tag) && req->method != ACD_SIP_REGISTER &&
        req->method != ACD_SIP_OPTIONS) {
        acd__cc_in_dialog(cc, st, req);
        return;
    }
    switch (req->method) {
    case ACD_SIP_ACK:
        return; /* an ACK outside any dialog: nothing to do */
    case ACD_SIP_INVITE:
        acd__caller_invite(cc, st, req, from);
        return;
    case ACD_SIP_REGISTER:
        acd_registrar_handle(cc->reg, st, req, from);
        return;
    case ACD_SIP_OPTIONS: {
        acd_sip_resp_opts_t o = {.extra_headers = ACD_STR(CC_ALLOW "Accept: application/sdp\r\n")};
        acd_sip_txn_respond(st, cc->draining ? 503 : 200, NULL, &o);
        return;
    }
    case ACD_SIP_BYE:
    case ACD_SIP_INFO:
    case ACD_SIP_UPDATE:
        acd_sip_txn_respond(st, 481, NULL, NULL);
        return;
    case ACD_SIP_UNKNOWN: {
        acd_sip_resp_opts_t o = {.extra_headers = ACD_STR(CC_ALLOW)};
        acd_sip_txn_respond(st, 501, NULL, &o);
        return;
    }
    default: {
        acd_sip_resp_opts_t o = {.extra_headers = ACD_STR(CC_ALLOW)};
        acd_sip_txn_respond(st, 405, NULL, &o);
        return;
    }
    }
}

static void cc_tu_cancel(void *ud, acd_sip_txn_t *ist)
{
    acd__caller_cancelled(ud, ist);
}

static void cc_tu_timeout(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req)
{
    if (req->method == ACD_SIP_INVITE)
        acd__caller_timeout(ud, req);
}

/* ---- registrar policy ---- */

static bool cc_reg_known(void *ud, const char *user)
{
    acd_callctl_t *cc = ud;
    return acd_core_agent_for_user(cc->core, user) != NULL;
}

static const char *cc_reg_password(void *ud, const char *user)
{
    acd_callctl_t *cc = ud;
    for (size_t i = 0; i < cc->cfg->n_agents; i++)
        if (strcmp(cc->cfg->agents[i].sip_user, user) == 0)
            return cc->cfg->agents[i].password;
    return NULL;
}

typedef struct cc_reg_pub {
    acd_callctl_t *cc;
    bool removed;
} cc_reg_pub_t;

static void cc_reg_publish(void *ud, const acd_member_binding_t *mb)
{
    cc_reg_pub_t *p = ud;
    acd_member_registration(p->cc->member, mb, p->removed);
}

static void cc_reg_changed(void *ud, const char *user, bool bound)
{
    acd_callctl_t *cc = ud;
    if (cc->member) {
        const acd_sip_binding_t *b = acd_registrar_lookup(cc->reg, user);
        cc_reg_pub_t p = {.cc = cc, .removed = !bound || !b};
        if (b) {
            acd__cc_binding(cc, b, cc_reg_publish, &p);
        } else {
            acd_member_binding_t mb = {.user = user, .contact = "", .source = "", .agent_id = ""};
            cc_reg_publish(&p, &mb);
        }
    }
    const char *agent = acd_core_agent_for_user(cc->core, user);
    if (!agent)
        return;
    if (bound && acd__agent_api_held(cc, agent)) {
        /* A supervisor logged it out: the phone's registration does not log it in. */
        acd_log_info("ACD-AGENT-HELD-OUT",
                     "agent=%s user=%s: registered, stays logged out"
                     " until an API login",
                     agent, user);
        return;
    }
    acd_event_t ev = acd__cc_event(bound ? ACD_EV_AGENT_LOGIN : ACD_EV_AGENT_LOGOUT, NULL, agent);
    acd__cc_feed(cc, &ev);
}

const acd_sip_tu_ops_t acd__cc_tu_ops = {
    .request = cc_tu_request,
    .cancel = cc_tu_cancel,
    .server_timeout = cc_tu_timeout,
};

const acd_registrar_ops_t acd__cc_reg_ops = {
    .known = cc_reg_known,
    .password = cc_reg_password,
    .changed = cc_reg_changed,
};

/* The member turns local dispatch on (island) or off (a leader distributes). */
void acd__cc_set_local_dispatch(void *ud, bool on)
{
    acd_callctl_t *cc = ud;
    acd_actions_t acts = {0};
    int rc = acd_core_set_local_dispatch(cc->core, on, acd__cc_now(cc), &acts);
    if (rc < 0)
        acd_log_err("ACD-CALL-DISPATCH-MODE", "local dispatch %s refused: %s", on ? "on" : "off",
                    acd_errname(rc));
    for (size_t j = 0; j < acts.n; j++)
        cc_do_action(cc, &acts.v[j]);
    if (cc->member) {
        acd_member_applied(cc->member, NULL, &acts);
        acd_member_flush(cc->member);
    }
    acd_actions_fini(&acts);
    cc_rearm(cc);
}

/* A registrar binding as the member publishes it. */
void acd__cc_binding(acd_callctl_t *cc, const acd_sip_binding_t *b,
                     void (*cb)(void *ud, const acd_member_binding_t *mb), void *ud)
{
    char source[80];
    acd_sockaddr_fmt((const struct sockaddr *)&b->peer.addr, source, sizeof(source));
    const char *agent = acd_core_agent_for_user(cc->core, b->user);
    uint64_t now = uv_now(cc->loop);
    acd_member_binding_t mb = {.user = b->user,
                               .contact = b->contact,
                               .source = source,
                               .agent_id = agent ? agent : "",
                               .tcp = b->peer.proto == ACD_SIP_TCP,
                               .expires_ms = acd__cc_now(cc) +
                                             (b->expires_at > now ? (int64_t)(b->expires_at - now) : 0)};
    cb(ud, &mb);
}

void acd__cc_core_timer_init(acd_callctl_t *cc)
{
    uv_timer_init(cc->loop, &cc->core_timer);
    cc->core_timer.data = cc;
}
