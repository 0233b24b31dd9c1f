/* txn.c - the transaction layer: receive path, transaction table, timers and lifetimes. */
#include "sip/txn_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/validate.h"
#include "util/err.h"
#include "util/log.h"

static void txl_maybe_free(acd_sip_txl_t *l)
{
    if (!l->closing || l->pending_frees > 0)
        return;
    void (*cb)(void *) = l->close_cb;
    void *ud = l->close_ud;
    acd_hmap_fini(&l->txns);
    acd_hmap_fini(&l->accepted);
    free(l->via_host);
    free(l);
    if (cb)
        cb(ud);
}

int acd_sip_txl_alloc(acd_sip_txl_t **lp, uv_loop_t *loop, acd_sip_transport_t *t,
                      const acd_sip_txl_cfg_t *cfg, const acd_sip_tu_ops_t *ops, void *ud)
{
    int rc = 0;
    acd_sip_txl_t *l = NULL;
    if (!lp || !loop || !t || !cfg || !cfg->via_host || !ops || !ops->request) {
        rc = -EINVAL;
        goto out;
    }
    l = calloc(1, sizeof(*l));
    if (!l || !(l->via_host = strdup(cfg->via_host))) {
        rc = -ENOMEM;
        goto out;
    }
    l->loop = loop;
    l->transport = t;
    l->cfg = *cfg;
    l->cfg.via_host = l->via_host;
    if (l->cfg.t1_ms <= 0)
        l->cfg.t1_ms = 500;
    if (l->cfg.t2_ms <= 0)
        l->cfg.t2_ms = 4000;
    if (l->cfg.t4_ms <= 0)
        l->cfg.t4_ms = 5000;
    l->ops = *ops;
    l->ud = ud;
    acd_hmap_init(&l->txns);
    acd_hmap_init(&l->accepted);
    *lp = l;
    l = NULL;
out:
    if (l) {
        free(l->via_host);
        free(l);
    }
    return rc;
}

acd_sip_transport_t *acd_sip_txl_transport(acd_sip_txl_t *l)
{
    return l->transport;
}

void acd_sip_txl_close(acd_sip_txl_t *l, void (*cb)(void *ud), void *ud)
{
    if (!l || l->closing)
        return;
    l->closing = true;
    l->close_cb = cb;
    l->close_ud = ud;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &l->txns);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_sip_txn_t *t = acd_container_of(n, acd_sip_txn_t, node);
        if (t->kind == TXN_ICT || t->kind == TXN_NICT)
            acd__txn_client_report(t, NULL, 0);
        acd__txn_destroy(t);
    }
    txl_maybe_free(l);
}

void acd_sip_txl_stats(const acd_sip_txl_t *l, acd_sip_txl_stats_t *out)
{
    *out = l->stats;
    out->server_txns = out->client_txns = 0;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &l->txns);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_sip_txn_t *t = acd_container_of(n, acd_sip_txn_t, node);
        if (t->kind == TXN_IST || t->kind == TXN_NIST)
            out->server_txns++;
        else
            out->client_txns++;
    }
}

/* ---- transactions ---- */

static void txn_timer_cb(uv_timer_t *h)
{
    acd_sip_txn_t *t = h->data;
    if (t->state == TXN_TERMINATED)
        return;
    if (t->kind == TXN_IST || t->kind == TXN_NIST)
        acd__txn_server_timer(t, h);
    else
        acd__txn_client_timer(t, h);
}

static void txn_close_cb(uv_handle_t *h)
{
    acd_sip_txn_t *t = h->data;
    if (--t->open_handles > 0)
        return;
    acd_sip_txl_t *l = t->l;
    if (t->req)
        acd_sip_msg_free(t->req);
    acd_buf_fini(&t->out);
    acd_buf_fini(&t->ack);
    free(t->key);
    free(t->ack_key);
    free(t);
    l->pending_frees--;
    txl_maybe_free(l);
}

/* Takes ownership of key (freed with the transaction, or here on failure). */
int acd__txn_alloc(acd_sip_txl_t *l, txn_kind_t kind, char *key, acd_sip_txn_t **tp)
{
    acd_sip_txn_t *t = calloc(1, sizeof(*t));
    if (!t) {
        free(key);
        return -ENOMEM;
    }
    t->l = l;
    t->kind = kind;
    t->key = key;
    t->state = kind == TXN_IST ? TXN_PROCEEDING : TXN_TRYING;
    int rc = acd_hmap_insert(&l->txns, &t->node, acd_str_from(key));
    if (rc < 0) {
        free(key);
        free(t);
        return rc;
    }
    uv_timer_init(l->loop, &t->retx);
    uv_timer_init(l->loop, &t->end);
    t->retx.data = t->end.data = t;
    t->open_handles = 2;
    l->pending_frees++;
    *tp = t;
    return 0;
}

void acd__txn_destroy(acd_sip_txn_t *t)
{
    if (t->state == TXN_TERMINATED && t->node.key.p == NULL)
        return;
    t->state = TXN_TERMINATED;
    if (t->in_callback) {
        t->doomed = true;
        return;
    }
    acd_hmap_remove(&t->l->txns, &t->node);
    t->node.key = ACD_STR_NULL;
    if (t->ack_key)
        acd_hmap_remove(&t->l->accepted, &t->ack_node);
    t->cb = NULL;
    uv_close((uv_handle_t *)&t->retx, txn_close_cb);
    uv_close((uv_handle_t *)&t->end, txn_close_cb);
}

void acd__txn_arm(acd_sip_txn_t *t, uv_timer_t *timer, int ms)
{
    uv_timer_start(timer, txn_timer_cb, ms > 0 ? (uint64_t)ms : 0, 0);
}

void acd__txn_send(acd_sip_txn_t *t, const acd_buf_t *b)
{
    int rc = acd_sip_transport_send(t->l->transport, &t->peer, b->p, b->n);
    if (rc < 0)
        acd_log_warn("ACD-SIP-TXN-SEND-FAILED", "key=%s err=%s", t->key, acd_errname(rc));
}

/*
 * The server-side key: RFC 3261 17.2.3 matching with the magic cookie (branch, sent-by,
 * method with ACK folded into INVITE), or the RFC 2543 fallback without it (Call-ID,
 * From tag, CSeq number, whole top Via). Writes a new string to *keyp.
 */
int acd__txn_server_key(const acd_sip_msg_t *m, acd_sip_method_t method, char **keyp)
{
    if (method == ACD_SIP_ACK)
        method = ACD_SIP_INVITE;
    int n;
    char *k = NULL;
    if (m->via.branch.n > 7 && memcmp(m->via.branch.p, "z9hG4bK", 7) == 0) {
        n = asprintf(&k, "S|%.*s|%.*s:%u|%d", ACD_STR_FMT(m->via.branch), ACD_STR_FMT(m->via.host),
                     m->via.port, (int)method);
    } else {
        n = asprintf(&k, "S2|%.*s|%.*s|%u|%.*s|%d", ACD_STR_FMT(m->call_id), ACD_STR_FMT(m->from.tag),
                     m->cseq, ACD_STR_FMT(m->via.raw), (int)method);
    }
    if (n < 0)
        return -ENOMEM;
    *keyp = k;
    return 0;
}

void acd__txn_via_params(const acd_sip_msg_t *req, const acd_sip_peer_t *from,
                         acd_sip_resp_opts_t *o, char *ip, size_t iplen)
{
    const struct sockaddr *sa = (const struct sockaddr *)&from->addr;
    uint16_t port = 0;
    ip[0] = '\0';
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, (socklen_t)iplen);
        port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, (socklen_t)iplen);
        port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    }
    if (!acd_str_eqc(req->via.host, ip))
        o->received = ip;
    if (req->via.rport)
        o->rport = port;
}

int acd_sip_txl_respond_stateless(acd_sip_txl_t *l, const acd_sip_msg_t *req,
                                  const acd_sip_peer_t *to, int code, const char *reason,
                                  const char *extra_headers)
{
    char ip[64];
    acd_sip_resp_opts_t o = {0};
    acd__txn_via_params(req, to, &o, ip, sizeof(ip));
    if (code >= 200 && code != 100 && !acd_str_present(req->to.tag)) {
        static const char stateless_tag[] = "acdsl";
        o.to_tag = ACD_STR(stateless_tag);
    }
    o.extra_headers = acd_str_from(extra_headers);
    acd_buf_t b = {0};
    int rc = acd_sip_response_build(&b, req, code, reason, &o);
    if (rc == 0)
        rc = acd_sip_transport_send(l->transport, to, b.p, b.n);
    acd_buf_fini(&b);
    return rc;
}

/* ---- receive path ---- */

void acd_sip_txl_on_recv(void *ud, const acd_sip_peer_t *from, const char *data, size_t len)
{
    acd_sip_txl_t *l = ud;
    if (l->closing)
        return;
    acd_sip_msg_t *m = NULL;
    acd_sip_verdict_t v;
    acd_sip_validate(data, len, &m, &v);
    if (v.kind == ACD_SIP_DROP) {
        l->stats.dropped++;
        char a[64];
        acd_log_info("ACD-SIP-MSG-DROPPED", "from=%s reason=\"%s\"",
                     acd_sockaddr_fmt((const struct sockaddr *)&from->addr, a, sizeof(a)),
                     v.reason ? v.reason : "unparseable");
        if (m)
            acd_sip_msg_free(m);
        return;
    }
    if (v.kind == ACD_SIP_REJECT) {
        l->stats.rejected++;
        char a[64];
        acd_log_info("ACD-SIP-MSG-REJECTED", "from=%s status=%d reason=\"%s\"",
                     acd_sockaddr_fmt((const struct sockaddr *)&from->addr, a, sizeof(a)), v.status,
                     v.reason ? v.reason : "");
        if (m && m->is_request && m->method != ACD_SIP_ACK)
            acd_sip_txl_respond_stateless(l, m, from, v.status, v.reason, v.extra_header);
        if (m)
            acd_sip_msg_free(m);
        return;
    }
    if (m->is_request)
        acd__txn_server_recv(l, m, from); /* takes m */
    else
        acd__txn_client_recv(l, m, from); /* takes m */
}
