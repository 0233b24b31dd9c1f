/* txn_server.c - INVITE and non-INVITE server transactions (RFC 3261 17.2, RFC 6026). */
#include "sip/txn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

static acd_sip_txn_t *server_find(acd_sip_txl_t *l, const acd_sip_msg_t *m, acd_sip_method_t method)
{
    char *key = NULL;
    if (acd__txn_server_key(m, method, &key) < 0)
        return NULL;
    acd_hmap_node_t *n = acd_hmap_get(&l->txns, acd_str_from(key));
    free(key);
    return n ? acd_container_of(n, acd_sip_txn_t, node) : NULL;
}

static void server_tu_request(acd_sip_txl_t *l, acd_sip_txn_t *st, const acd_sip_msg_t *m,
                              const acd_sip_peer_t *from)
{
    if (st)
        st->in_callback = true;
    l->ops.request(l->ud, st, m, from);
    if (st) {
        st->in_callback = false;
        if (st->doomed)
            acd__txn_destroy(st);
    }
}

/* An ACK: ends a non-2xx IST (Completed -> Confirmed) or acknowledges an accepted 2xx. */
static void server_recv_ack(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from)
{
    acd_sip_txn_t *ist = server_find(l, m, ACD_SIP_ACK);
    if (ist && ist->relayed) {
        acd__txn_relay_again(ist, m, from); /* the owner's non-2xx: its ACK goes there too */
        acd_sip_msg_free(m);
        return;
    }
    if (ist && ist->kind == TXN_IST && ist->final_code >= 300) {
        if (ist->state == TXN_COMPLETED) {
            ist->state = TXN_CONFIRMED;
            uv_timer_stop(&ist->retx);
            uv_timer_stop(&ist->end);
            acd__txn_arm(ist, &ist->end, ist->reliable ? 0 : l->cfg.t4_ms); /* timer I */
        } else {
            l->stats.retransmits_absorbed++;
        }
        acd_sip_msg_free(m);
        return;
    }
    char *akey = NULL;
    if (asprintf(&akey, "%.*s|%u", ACD_STR_FMT(m->call_id), m->cseq) >= 0) {
        acd_hmap_node_t *n = acd_hmap_get(&l->accepted, acd_str_from(akey));
        if (n) {
            acd_sip_txn_t *acc = acd_container_of(n, acd_sip_txn_t, ack_node);
            uv_timer_stop(&acc->retx); /* the 2xx reached the caller */
            acc->acked = true;
        }
        free(akey);
    }
    server_tu_request(l, NULL, m, from);
    acd_sip_msg_free(m);
}

/* A CANCEL: answered here; the TU learns that its pending INVITE was cancelled. */
static void server_recv_cancel(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from)
{
    acd_sip_txn_t *ist = server_find(l, m, ACD_SIP_INVITE);
    if (ist && ist->relayed) {
        acd__txn_relay_again(ist, m, from); /* the owner answers it, and its INVITE */
        acd_sip_msg_free(m);
        return;
    }
    if (!ist || ist->kind != TXN_IST) {
        acd_sip_txl_respond_stateless(l, m, from, 481, NULL, NULL);
        acd_sip_msg_free(m);
        return;
    }
    acd_sip_txl_respond_stateless(l, m, from, 200, NULL, NULL);
    if (ist->final_code == 0 && l->ops.cancel) {
        ist->in_callback = true;
        l->ops.cancel(l->ud, ist);
        ist->in_callback = false;
        if (ist->doomed)
            acd__txn_destroy(ist);
    }
    acd_sip_msg_free(m);
}

void acd__txn_server_recv(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from)
{
    if (m->method == ACD_SIP_ACK) {
        server_recv_ack(l, m, from);
        return;
    }
    if (m->method == ACD_SIP_CANCEL) {
        server_recv_cancel(l, m, from);
        return;
    }
    acd_sip_txn_t *st = server_find(l, m, m->method);
    if (st && st->relayed) {
        acd__txn_relay_again(st, m, from); /* a stateless proxy forwards retransmissions */
        acd_sip_msg_free(m);
        return;
    }
    if (st) {
        /* A retransmission: repeat the last response, if any. */
        l->stats.retransmits_absorbed++;
        if (st->out.n && st->state != TXN_ACCEPTED)
            acd__txn_send(st, &st->out);
        acd_sip_msg_free(m);
        return;
    }
    char *key = NULL;
    int rc = acd__txn_server_key(m, m->method, &key);
    if (rc == 0)
        rc = acd__txn_alloc(l, m->method == ACD_SIP_INVITE ? TXN_IST : TXN_NIST, key, &st);
    if (rc < 0) {
        acd_log_err("ACD-SIP-TXN-ALLOC", "err=%s", acd_errname(rc));
        acd_sip_txl_respond_stateless(l, m, from, 500, NULL, NULL);
        acd_sip_msg_free(m);
        return;
    }
    st->req = m;
    st->peer = *from;
    st->reliable = from->proto != ACD_SIP_UDP;
    /*
     * 100 Trying stops the carrier's retransmissions now. An in-dialog INVITE is answered
     * at once or relayed to the dialog's owner, which sends its own 100 (a stateless
     * proxy sends none): it gets ours only if the TU did neither.
     */
    bool in_dialog = acd_str_present(m->to.tag);
    if (st->kind == TXN_IST && !in_dialog)
        acd_sip_txn_respond(st, 100, NULL, NULL);
    server_tu_request(l, st, m, from);
    if (st->kind == TXN_IST && in_dialog && st->state != TXN_TERMINATED && !st->relayed &&
        st->out.n == 0)
        acd_sip_txn_respond(st, 100, NULL, NULL);
}

const acd_sip_msg_t *acd_sip_txn_request(const acd_sip_txn_t *st)
{
    return st->req;
}

const acd_sip_peer_t *acd_sip_txn_peer(const acd_sip_txn_t *st)
{
    return &st->peer;
}

int acd_sip_txn_respond(acd_sip_txn_t *st, int code, const char *reason,
                        const acd_sip_resp_opts_t *opts)
{
    if (!st || code < 100 || code > 699 || st->final_code || st->relayed ||
        st->state == TXN_TERMINATED || (st->kind != TXN_IST && st->kind != TXN_NIST))
        return -EINVAL;
    acd_sip_txl_t *l = st->l;
    acd_sip_resp_opts_t o = {0};
    if (opts)
        o = *opts;
    char ip[64];
    acd__txn_via_params(st->req, &st->peer, &o, ip, sizeof(ip));
    acd_buf_reset(&st->out);
    int rc = acd_sip_response_build(&st->out, st->req, code, reason, &o);
    if (rc < 0)
        return rc;
    acd__txn_send(st, &st->out);
    if (code < 200) {
        st->state = TXN_PROCEEDING;
        return 0;
    }
    st->final_code = code;
    int t1 = l->cfg.t1_ms;
    if (st->kind == TXN_NIST) {
        st->state = TXN_COMPLETED;
        acd__txn_arm(st, &st->end, st->reliable ? 0 : 64 * t1); /* timer J */
    } else if (code < 300) {
        /* RFC 6026 Accepted: absorb INVITE retransmissions, resend the 2xx until ACK. */
        st->state = TXN_ACCEPTED;
        if (asprintf(&st->ack_key, "%.*s|%u", ACD_STR_FMT(st->req->call_id), st->req->cseq) < 0) {
            st->ack_key = NULL;
        } else if (acd_hmap_insert(&l->accepted, &st->ack_node, acd_str_from(st->ack_key)) < 0) {
            free(st->ack_key);
            st->ack_key = NULL;
        }
        st->interval_ms = t1;
        if (!st->reliable)
            acd__txn_arm(st, &st->retx, t1);
        acd__txn_arm(st, &st->end, 64 * t1); /* timer L */
    } else {
        st->state = TXN_COMPLETED;
        st->interval_ms = t1;
        if (!st->reliable)
            acd__txn_arm(st, &st->retx, t1); /* timer G */
        acd__txn_arm(st, &st->end, 64 * t1); /* timer H */
    }
    return 0;
}

void acd__txn_server_timer(acd_sip_txn_t *st, uv_timer_t *which)
{
    acd_sip_txl_t *l = st->l;
    if (st->relayed) {
        acd__txn_destroy(st); /* the relay's memory of where it went: no response was ours */
        return;
    }
    if (which == &st->retx) {
        /* G, or the 2xx retransmission of RFC 3261 13.3.1.4 */
        l->stats.retransmits_sent++;
        acd__txn_send(st, &st->out);
        st->interval_ms *= 2;
        if (st->interval_ms > l->cfg.t2_ms)
            st->interval_ms = l->cfg.t2_ms;
        acd__txn_arm(st, &st->retx, st->interval_ms);
        return;
    }
    /* J, I: quietly done. H, L: done, but the ACK never came. */
    bool unacked = st->kind == TXN_IST && (st->state == TXN_COMPLETED ||
                                           (st->state == TXN_ACCEPTED && !st->acked));
    if (unacked) {
        l->stats.timeouts++;
        acd_log_warn("ACD-SIP-TXN-NO-ACK", "call_id=%.*s status=%d", ACD_STR_FMT(st->req->call_id),
                     st->final_code);
        if (l->ops.server_timeout) {
            st->in_callback = true;
            l->ops.server_timeout(l->ud, st, st->req);
            st->in_callback = false;
        }
    }
    acd__txn_destroy(st);
}
