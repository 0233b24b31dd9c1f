/* txn_client.c - INVITE and non-INVITE client transactions (RFC 3261 17.1, RFC 6026). */
#include "sip/txn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/* Calls the TU's callback; a termination report (status 0) is the last one. */
void acd__txn_client_report(acd_sip_txn_t *t, const acd_sip_msg_t *resp, int status)
{
    acd_sip_response_cb cb = t->cb;
    if (!cb)
        return;
    if (status == 0 && !resp)
        t->cb = NULL;
    t->in_callback = true;
    cb(t->ud, t, resp, status);
    t->in_callback = false;
}

/* Ends ct: tells the TU (status 0) then destroys. */
static void client_terminate(acd_sip_txn_t *t)
{
    acd__txn_client_report(t, NULL, 0);
    t->in_callback = false;
    t->doomed = false;
    acd__txn_destroy(t);
}

static void client_after_callback(acd_sip_txn_t *t)
{
    if (t->doomed) {
        t->doomed = false;
        acd__txn_destroy(t);
    }
}

/* Fills spec from our parsed request for an ACK (non-2xx) or CANCEL on the same branch. */
static void client_spec_from_request(const acd_sip_msg_t *r, acd_sip_method_t method,
                                     acd_str_t to_tag, acd_sip_req_spec_t *s)
{
    memset(s, 0, sizeof(*s));
    s->method = method;
    s->ruri = r->ruri.raw;
    s->via_transport = r->via.transport;
    s->via_host = r->via.host;
    s->via_port = r->via.port;
    s->branch = r->via.branch;
    s->from = r->from.uri.raw;
    s->from_display = r->from.display;
    s->from_tag = r->from.tag;
    s->to = r->to.uri.raw;
    s->to_display = r->to.display;
    s->to_tag = to_tag;
    s->call_id = r->call_id;
    s->cseq = r->cseq;
    s->cseq_method = method;
    s->route_count = acd_sip_msg_headers(r, "Route", s->routes, ACD_SIP_MAX_ROUTES);
}

static int client_key(acd_str_t branch, acd_sip_method_t method, char **keyp)
{
    return asprintf(keyp, "C|%.*s|%d", ACD_STR_FMT(branch), (int)method) < 0 ? -ENOMEM : 0;
}

int acd_sip_txn_request_send(acd_sip_txl_t *l, const acd_sip_peer_t *to, acd_sip_req_spec_t *spec,
                             acd_sip_response_cb cb, void *ud, acd_sip_txn_t **ctp)
{
    if (!l || !to || !spec || spec->method == ACD_SIP_ACK || l->closing)
        return -EINVAL;
    char branch[32] = "z9hG4bK";
    if (!acd_str_present(spec->branch)) {
        acd_sip_random_token(branch + 7, sizeof(branch) - 7);
        spec->branch = acd_str_from(branch);
    }
    spec->via_transport = to->proto == ACD_SIP_TCP ? ACD_STR("TCP") : ACD_STR("UDP");
    spec->via_host = acd_str_from(l->cfg.via_host);
    spec->via_port = l->cfg.via_port;
    char *key = NULL;
    acd_sip_txn_t *t = NULL;
    int rc = client_key(spec->branch, spec->method, &key);
    if (rc == 0)
        rc = acd__txn_alloc(l, spec->method == ACD_SIP_INVITE ? TXN_ICT : TXN_NICT, key, &t);
    if (rc < 0)
        return rc;
    t->peer = *to;
    t->reliable = to->proto != ACD_SIP_UDP;
    t->cb = cb;
    t->ud = ud;
    rc = acd_sip_request_build(&t->out, spec);
    if (rc == 0)
        rc = acd_sip_msg_parse(&t->req, t->out.p, t->out.n);
    if (rc < 0) {
        t->cb = NULL;
        acd__txn_destroy(t);
        return rc;
    }
    acd__txn_send(t, &t->out);
    int t1 = l->cfg.t1_ms;
    t->interval_ms = t1;
    if (!t->reliable)
        acd__txn_arm(t, &t->retx, t1); /* A or E */
    acd__txn_arm(t, &t->end, 64 * t1); /* B or F */
    if (ctp)
        *ctp = t;
    return 0;
}

static void client_send_cancel(acd_sip_txn_t *t)
{
    acd_sip_req_spec_t s;
    client_spec_from_request(t->req, ACD_SIP_CANCEL, ACD_STR_NULL, &s);
    t->cancelled = true;
    int rc = acd_sip_txn_request_send(t->l, &t->peer, &s, NULL, NULL, NULL);
    if (rc < 0)
        acd_log_warn("ACD-SIP-TXN-CANCEL-FAILED", "err=%s", acd_errname(rc));
}

int acd_sip_txn_cancel(acd_sip_txn_t *ct)
{
    if (!ct || ct->kind != TXN_ICT)
        return -EINVAL;
    if (ct->final_code || ct->state == TXN_TERMINATED)
        return ACD_ESTATE;
    if (ct->cancelled || ct->cancel_pending)
        return 0;
    if (!ct->provisional)
        ct->cancel_pending = true; /* RFC 3261 9.1: not before a provisional response */
    else
        client_send_cancel(ct);
    return 0;
}

int acd_sip_txn_send_ack(acd_sip_txn_t *ct, const acd_sip_peer_t *to, acd_sip_req_spec_t *spec)
{
    if (!ct || ct->kind != TXN_ICT || ct->state != TXN_ACCEPTED)
        return ACD_ESTATE;
    char branch[32] = "z9hG4bK";
    acd_sip_random_token(branch + 7, sizeof(branch) - 7);
    spec->method = ACD_SIP_ACK;
    spec->branch = acd_str_from(branch);
    spec->via_transport = to->proto == ACD_SIP_TCP ? ACD_STR("TCP") : ACD_STR("UDP");
    spec->via_host = acd_str_from(ct->l->cfg.via_host);
    spec->via_port = ct->l->cfg.via_port;
    acd_buf_reset(&ct->ack);
    int rc = acd_sip_request_build(&ct->ack, spec);
    if (rc < 0)
        return rc;
    ct->peer = *to;
    acd__txn_send(ct, &ct->ack);
    return 0;
}

void acd_sip_txn_forget(acd_sip_txn_t *ct)
{
    if (ct) {
        ct->cb = NULL;
        ct->ud = NULL;
    }
}

static void client_recv_invite_resp(acd_sip_txn_t *t, const acd_sip_msg_t *m)
{
    acd_sip_txl_t *l = t->l;
    int code = m->status;
    if (code < 200) {
        if (t->final_code)
            return;
        uv_timer_stop(&t->retx); /* timer A */
        t->state = TXN_PROCEEDING;
        t->provisional = true;
        if (t->cancel_pending) {
            t->cancel_pending = false;
            client_send_cancel(t);
        }
        acd__txn_client_report(t, m, code);
        return;
    }
    if (t->final_code) {
        /* A retransmitted final: repeat our ACK (non-2xx: same branch; 2xx: the TU's). */
        l->stats.retransmits_absorbed++;
        if (t->ack.n)
            acd__txn_send(t, &t->ack);
        return;
    }
    t->final_code = code;
    uv_timer_stop(&t->retx);
    uv_timer_stop(&t->end);
    if (code < 300) {
        t->state = TXN_ACCEPTED;
        acd__txn_arm(t, &t->end, 64 * l->cfg.t1_ms); /* timer M */
    } else {
        acd_sip_req_spec_t s;
        client_spec_from_request(t->req, ACD_SIP_ACK, m->to.tag, &s);
        if (acd_sip_request_build(&t->ack, &s) == 0)
            acd__txn_send(t, &t->ack);
        t->state = TXN_COMPLETED;
        acd__txn_arm(t, &t->end, t->reliable ? 0 : 32000); /* timer D */
    }
    acd__txn_client_report(t, m, code);
}

static void client_recv_noninvite_resp(acd_sip_txn_t *t, const acd_sip_msg_t *m)
{
    int code = m->status;
    if (t->final_code) {
        t->l->stats.retransmits_absorbed++;
        return;
    }
    if (code < 200) {
        t->state = TXN_PROCEEDING;
        acd__txn_client_report(t, m, code);
        return;
    }
    t->final_code = code;
    t->state = TXN_COMPLETED;
    uv_timer_stop(&t->retx);
    uv_timer_stop(&t->end);
    acd__txn_arm(t, &t->end, t->reliable ? 0 : t->l->cfg.t4_ms); /* timer K */
    acd__txn_client_report(t, m, code);
}

void acd__txn_client_recv(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from)
{
    char *key = NULL;
    acd_hmap_node_t *n = NULL;
    if (client_key(m->via.branch, m->cseq_method, &key) == 0) {
        n = acd_hmap_get(&l->txns, acd_str_from(key));
        free(key);
    }
    if (!n && acd__txn_relay_response(l, m)) {
        acd_sip_msg_free(m);
        return;
    }
    if (!n) {
        l->stats.dropped++;
        acd_log_debug("ACD-SIP-STRAY-RESPONSE", "status=%d call_id=%.*s", m->status,
                      ACD_STR_FMT(m->call_id));
        acd_sip_msg_free(m);
        return;
    }
    acd_sip_txn_t *t = acd_container_of(n, acd_sip_txn_t, node);
    if (t->kind == TXN_ICT)
        client_recv_invite_resp(t, m);
    else
        client_recv_noninvite_resp(t, m);
    client_after_callback(t);
    acd_sip_msg_free(m);
}

void acd__txn_client_timer(acd_sip_txn_t *t, uv_timer_t *which)
{
    acd_sip_txl_t *l = t->l;
    if (which == &t->retx) {
        l->stats.retransmits_sent++;
        acd__txn_send(t, &t->out);
        t->interval_ms *= 2;
        if (t->kind == TXN_NICT && t->interval_ms > l->cfg.t2_ms)
            t->interval_ms = l->cfg.t2_ms;
        acd__txn_arm(t, &t->retx, t->interval_ms);
        return;
    }
    if (!t->final_code) {
        /* B or F: no final response in time. */
        l->stats.timeouts++;
        uv_timer_stop(&t->retx);
        acd__txn_client_report(t, NULL, 408);
    }
    client_terminate(t);
}
