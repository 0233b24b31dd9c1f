/* txn_relay.c - requests relayed to another site statelessly, and their responses sent back. */
#include "sip/txn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/proxy.h"
#include "util/err.h"
#include "util/log.h"

/*
 * A relayed request keeps its server transaction, marked relayed, for 64*T1 (as long as
 * its sender retransmits, and as long as the owner resends a 2xx): out holds the
 * forwarded copy, relay_to the owner, peer the sender. Nothing else of a transaction is
 * kept: no response is ever ours, and the responses that come back are matched to it by
 * the sender's own Via once ours is popped (RFC 3261 16.11 needs no state for this; the
 * memory only keeps a TCP sender's connection and a CANCEL's destination).
 */

static uint16_t relay_port(uint16_t p)
{
    return p ? p : 5060;
}

/* Builds into out the forwarded copy of m, which came from `from` (NULL: not known). */
static int relay_build(const acd_sip_txl_t *l, const acd_sip_msg_t *m, const acd_sip_peer_t *from,
                       acd_buf_t *out)
{
    char branch[ACD_SIP_RELAY_BRANCH_SIZE], ip[64];
    int rc = acd_sip_relay_branch(m, branch, sizeof(branch));
    if (rc < 0)
        return rc;
    acd_sip_relay_hop_t hop = {.transport = ACD_STR("UDP"),
                               .host = acd_str_from(l->cfg.via_host),
                               .port = l->cfg.via_port,
                               .branch = acd_str_from(branch)};
    if (from)
        acd__txn_via_params(m, from, &hop.via_params, ip, sizeof(ip));
    return acd_sip_relay_request_build(out, m, &hop);
}

int acd_sip_txn_relay(acd_sip_txl_t *l, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                      const acd_sip_peer_t *to)
{
    if (!l || !to || l->closing || to->proto != ACD_SIP_UDP)
        return -EINVAL;
    if (st) {
        if (st->l != l || (st->kind != TXN_IST && st->kind != TXN_NIST) || st->final_code ||
            st->relayed || st->state == TXN_TERMINATED)
            return -EINVAL;
        req = st->req;
    } else if (!req || !req->is_request || req->method != ACD_SIP_ACK) {
        return -EINVAL;
    }
    /* Loops: a request relayed once (by any site) or that passed here is never relayed. */
    if (acd_sip_relay_branch_is(req->via.branch) ||
        acd_sip_msg_has_via(req, acd_str_from(l->cfg.via_host), l->cfg.via_port))
        return -ELOOP;
    acd_buf_t b = {0};
    int rc = relay_build(l, req, st ? &st->peer : NULL, &b);
    if (rc == 0)
        rc = acd_sip_transport_send(l->transport, to, b.p, b.n);
    if (rc < 0 || !st) {
        acd_buf_fini(&b);
        return rc;
    }
    st->relayed = true;
    st->relay_to = *to;
    acd_buf_fini(&st->out);
    st->out = b; /* the transaction owns the copy now */
    st->state = TXN_COMPLETED;
    uv_timer_stop(&st->retx);
    acd__txn_arm(st, &st->end, 64 * l->cfg.t1_ms);
    return 0;
}

void acd__txn_relay_again(acd_sip_txn_t *st, const acd_sip_msg_t *m, const acd_sip_peer_t *from)
{
    acd_sip_txl_t *l = st->l;
    int rc;
    if (m->method == st->req->method) {
        rc = acd_sip_transport_send(l->transport, &st->relay_to, st->out.p, st->out.n);
    } else {
        acd_buf_t b = {0};
        rc = relay_build(l, m, from, &b);
        if (rc == 0)
            rc = acd_sip_transport_send(l->transport, &st->relay_to, b.p, b.n);
        acd_buf_fini(&b);
    }
    if (rc < 0)
        acd_log_warn("ACD-SIP-RELAY-FAILED", "method=%.*s call-id=%.*s err=%s",
                     ACD_STR_FMT(m->method_name), ACD_STR_FMT(m->call_id), acd_errname(rc));
}

acd_sip_txn_t *acd_sip_txn_relay_reclaim(acd_sip_txl_t *l, acd_str_t call_id, acd_str_t to_tag)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &l->txns);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_sip_txn_t *st = acd_container_of(n, acd_sip_txn_t, node);
        if (!st->relayed || st->state == TXN_TERMINATED || (st->kind != TXN_IST && st->kind != TXN_NIST) ||
            !acd_str_eq(st->req->call_id, call_id) || !acd_str_eq(st->req->to.tag, to_tag))
            continue;
        st->relayed = false;
        acd_buf_reset(&st->out);
        st->state = st->kind == TXN_IST ? TXN_PROCEEDING : TXN_TRYING;
        uv_timer_stop(&st->end);
        return st;
    }
    return NULL;
}

bool acd__txn_relay_response(acd_sip_txl_t *l, const acd_sip_msg_t *m)
{
    if (!acd_sip_relay_branch_is(m->via.branch) || !acd_str_ieqc(m->via.host, l->cfg.via_host) ||
        relay_port(m->via.port) != relay_port(l->cfg.via_port))
        return false;
    acd_buf_t b = {0};
    acd_sip_msg_t *up = NULL;
    char *key = NULL;
    acd_hmap_node_t *n = NULL;
    int rc = acd_sip_relay_response_build(&b, m);
    if (rc == 0)
        rc = acd_sip_msg_parse(&up, b.p, b.n);
    if (rc == 0) {
        /* A CANCEL's answer goes where its INVITE came from. */
        acd_sip_method_t method = up->cseq_method == ACD_SIP_CANCEL ? ACD_SIP_INVITE : up->cseq_method;
        rc = acd__txn_server_key(up, method, &key);
    }
    if (rc == 0)
        n = acd_hmap_get(&l->txns, acd_str_from(key));
    acd_sip_txn_t *st = n ? acd_container_of(n, acd_sip_txn_t, node) : NULL;
    /* Ours only if our Via is the one we put on that request. */
    char mine[ACD_SIP_RELAY_BRANCH_SIZE];
    if (st && (!st->relayed || acd_sip_relay_branch(st->req, mine, sizeof(mine)) < 0 ||
               !acd_str_eqc(m->via.branch, mine)))
        st = NULL;
    if (st) {
        rc = acd_sip_transport_send(l->transport, &st->peer, b.p, b.n);
        if (rc < 0)
            acd_log_warn("ACD-SIP-RELAY-FAILED", "status=%d call-id=%.*s err=%s", m->status,
                         ACD_STR_FMT(m->call_id), acd_errname(rc));
    } else {
        l->stats.dropped++;
        acd_log_debug("ACD-SIP-RELAY-STRAY", "status=%d call-id=%.*s: no relayed request (%s)",
                      m->status, ACD_STR_FMT(m->call_id), rc < 0 ? acd_errname(rc) : "gone");
    }
    free(key);
    acd_sip_msg_free(up);
    acd_buf_fini(&b);
    return true;
}
