/* link_peer.c - traffic with peers: their logs (SUB), our requests (REQ), their requests (REP). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/link_int.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "util/log.h"

int acd__link_peer_init(acd_link_t *l, acd__link_peer_t *p, const acd_link_peer_cfg_t *cfg)
{
    p->l = l;
    snprintf(p->name, sizeof(p->name), "%s", cfg->name);
    acd_list_init(&p->reqs);
    p->pub_url = strdup(cfg->pub_url);
    p->rep_url = strdup(cfg->rep_url);
    if (p->pub_url == NULL || p->rep_url == NULL)
        return -ENOMEM;
    int rc = uv_timer_init(l->loop, &p->timer);
    if (rc != 0)
        return rc;
    p->timer.data = p;
    p->has_timer = true;
    l->handles++;
    return 0;
}

void acd__link_peer_fini(acd__link_peer_t *p)
{
    acd_list_t *n, *tmp;
    /* Requests are normally cancelled by acd_link_close(); only a failed alloc gets here. */
    if (p->reqs.next != NULL) {
        acd_list_foreach(n, tmp, &p->reqs)
        {
            acd_list_remove(n);
            free(acd_container_of(n, acd__link_req_t, link));
        }
    }
    if (p->tls != NULL)
        nng_tls_config_free(p->tls);
    free(p->pub_url);
    free(p->rep_url);
}

acd__link_peer_t *acd__link_peer_find(const acd_link_t *l, const char *name)
{
    if (name == NULL)
        return NULL;
    /* Clusters have a handful of sites: a scan beats hashing here. */
    for (size_t i = 0; i < l->n_peers; i++)
        if (strcmp(l->peers[i].name, name) == 0)
            return &l->peers[i];
    return NULL;
}

/* ---- connection state ---- */

/*
 * Compares what nng's pipe notifications counted with what was last reported. A
 * connection lost since the last look is reported as down even when a new one is up
 * already (the peer restarted), so the owner of the replica resyncs.
 */
static void peer_check_one(acd__link_peer_t *p)
{
    acd_link_t *l = p->l;
    if (p->sub == NULL)
        return;
    unsigned lost = atomic_load(&p->sub->pipes_lost);
    bool up = atomic_load(&p->sub->pipes) > 0;
    if (p->connected && (lost != p->seen_lost || !up)) {
        p->connected = false;
        p->st.reconnects++;
        acd_log_notice("ACD-LINK-PEER-DOWN", "peer=%s url=%s subscription lost", p->name,
                       p->pub_url);
        if (l->ops.on_peer_state != NULL)
            l->ops.on_peer_state(l->ud, p->name, false);
        if (l->closing)
            return;
    }
    p->seen_lost = lost;
    if (!p->connected && up) {
        p->connected = true;
        acd_log_info("ACD-LINK-PEER-UP", "peer=%s url=%s subscribed", p->name, p->pub_url);
        if (l->ops.on_peer_state != NULL)
            l->ops.on_peer_state(l->ud, p->name, true);
    }
}

void acd__link_peer_check_state(acd_link_t *l)
{
    for (size_t i = 0; i < l->n_peers && !l->closing; i++)
        peer_check_one(&l->peers[i]);
}

/* ---- frames from peers ---- */

/* Counts and (rate-limited) logs a frame from p's log or a reply of p that was dropped. */
static void peer_bad_frame(acd__link_peer_t *p, const char *what, int err, size_t len,
                           const char *origin)
{
    p->st.decode_errors++;
    if (!acd__link_log_due(p->l, &p->bad_log_ms, &p->bad_quiet))
        return;
    acd_log_warn("ACD-LINK-BAD-FRAME",
                 "peer=%s stream=%s bytes=%zu err=%s origin=%s suppressed=%llu frame dropped",
                 p->name, what, len, acd_errname(err), origin ? origin : "-",
                 (unsigned long long)p->bad_quiet);
    p->bad_quiet = 0;
}

/*
 * Decodes one frame from p (its log or a reply) into *envp. A frame that fails
 * acd_wire_decode() or names another origin is counted, logged and refused.
 */
static int peer_decode(acd__link_peer_t *p, const char *what, nng_msg *m, Acd__V1__Envelope **envp)
{
    Acd__V1__Envelope *env = NULL;
    size_t len = nng_msg_len(m);
    int rc = acd_wire_decode(nng_msg_body(m), len, &env);
    if (rc == 0 && strcmp(env->origin_site, p->name) != 0) {
        /* Each site publishes only its own log: this is a misconfigured address. */
        peer_bad_frame(p, what, ACD_EPROTO, len, env->origin_site);
        acd_wire_free(env);
        return ACD_EPROTO;
    }
    if (rc != 0) {
        peer_bad_frame(p, what, rc, len, NULL);
        return rc;
    }
    *envp = env;
    return 0;
}

void acd__link_sub_readable(acd__link_sock_t *s)
{
    acd__link_peer_t *p = s->peer;
    acd_link_t *l = s->l;
    /* A connection nng reported is announced before the first envelope it carries. */
    peer_check_one(p);
    for (int i = 0; i < ACD__LINK_RX_BATCH && !l->closing; i++) {
        nng_msg *m;
        Acd__V1__Envelope *env;
        int rv = nng_recvmsg(s->s, &m, NNG_FLAG_NONBLOCK);
        if (rv != 0) {
            if (rv != NNG_EAGAIN)
                acd_log_debug("ACD-LINK-RECV", "peer=%s err=\"%s\"", p->name, nng_strerror(rv));
            return;
        }
        p->st.rx_bytes += nng_msg_len(m);
        int rc = peer_decode(p, "log", m, &env);
        nng_msg_free(m);
        if (rc != 0)
            continue;
        p->st.rx_msgs++;
        l->ops.on_envelope(l->ud, p->name, env);
        acd_wire_free(env);
    }
}

/* ---- requests to peers ---- */

static void peer_req_next(acd__link_peer_t *p);
static void peer_req_timer(uv_timer_t *t);

static void peer_wpoll(acd__link_peer_t *p, bool on)
{
    if (p->req != NULL)
        acd__link_sock_want_send(p->req, on);
}

/* Ends the head request with reply or err, then starts the next one. */
static void peer_req_complete(acd__link_peer_t *p, const Acd__V1__Envelope *reply, int err)
{
    acd__link_req_t *r = acd_container_of(p->reqs.next, acd__link_req_t, link);
    acd_list_remove(&r->link);
    uv_timer_stop(&p->timer);
    peer_wpoll(p, false);
    p->req_active = false;
    p->req_sent = false;
    r->cb(r->ud, p->name, reply, err);
    free(r);
    if (!p->l->closing)
        peer_req_next(p);
}

/*
 * Hands the head request to nng. Without a connection nng refuses it (EAGAIN) and
 * SENDFD is watched until one is up; other failures complete it from the timer, so a
 * callback never runs inside acd_link_request().
 */
static void peer_req_send(acd__link_peer_t *p)
{
    acd__link_req_t *r = acd_container_of(p->reqs.next, acd__link_req_t, link);
    int rc = acd__link_send_copy(p->req->s, r->data, r->len);
    if (rc == 0) {
        p->req_sent = true;
        p->st.requests++;
        peer_wpoll(p, false);
    } else if (rc == -EAGAIN) {
        peer_wpoll(p, true);
    } else {
        r->err = rc;
        uv_timer_start(&p->timer, peer_req_timer, 0, 0);
    }
}

static void peer_req_timer(uv_timer_t *t)
{
    acd__link_peer_t *p = t->data;
    acd_link_t *l = p->l;
    if (!p->req_active || l->closing)
        return;
    acd__link_req_t *r = acd_container_of(p->reqs.next, acd__link_req_t, link);
    int err = r->err ? r->err : -ETIMEDOUT;
    if (err == -ETIMEDOUT) {
        p->st.timeouts++;
        acd_log_notice("ACD-LINK-REQUEST-TIMEOUT", "peer=%s url=%s sent=%s request timed out",
                       p->name, p->rep_url, p->req_sent ? "yes" : "no");
    }
    /*
     * The abandoned request stays in the REQ socket until the next request replaces it
     * (nng may resend it meanwhile, and drops its late reply). Reopening the socket
     * instead would close it while a large reply may be arriving, which hangs nng
     * 1.5.2 (see link_quiesce.c).
     */
    peer_req_complete(p, NULL, err);
}

static void peer_req_next(acd__link_peer_t *p)
{
    if (p->req_active || acd_list_empty(&p->reqs))
        return;
    acd__link_req_t *r = acd_container_of(p->reqs.next, acd__link_req_t, link);
    uint64_t now = uv_now(p->l->loop);
    p->req_active = true;
    p->req_sent = false;
    uv_timer_start(&p->timer, peer_req_timer, r->deadline > now ? r->deadline - now : 0, 0);
    if (r->deadline > now)
        peer_req_send(p);
}

int acd_link_request(acd_link_t *l, const char *peer, const Acd__V1__Envelope *req,
                     acd_link_reply_cb cb, void *ud)
{
    if (l == NULL || peer == NULL || req == NULL || cb == NULL)
        return -EINVAL;
    if (l->closing)
        return -ESHUTDOWN;
    acd__link_peer_t *p = acd__link_peer_find(l, peer);
    if (p == NULL)
        return -ENOENT;
    acd_buf_reset(&l->txbuf);
    int rc = acd_wire_encode(req, &l->txbuf);
    acd__link_req_t *r = NULL;
    if (rc == 0 && (r = malloc(sizeof(*r) + l->txbuf.n)) == NULL)
        rc = -ENOMEM;
    if (rc == 0) {
        r->cb = cb;
        r->ud = ud;
        r->err = 0;
        r->deadline = uv_now(l->loop) + l->request_timeout_ms;
        r->len = l->txbuf.n;
        memcpy(r->data, l->txbuf.p, r->len);
        acd_list_push_back(&p->reqs, &r->link);
        peer_req_next(p);
    }
    acd__link_buf_trim(&l->txbuf);
    return rc;
}

void acd__link_req_ready(acd__link_sock_t *s, bool write)
{
    acd__link_peer_t *p = s->peer;
    acd_link_t *l = s->l;
    if (write) {
        if (p->req_active && !p->req_sent)
            peer_req_send(p);
        else
            peer_wpoll(p, false);
        return;
    }
    /* p->req may change under the loop (a timeout reopens it): stop with this socket. */
    for (int i = 0; i < ACD__LINK_RX_BATCH && !l->closing && p->req == s; i++) {
        nng_msg *m;
        Acd__V1__Envelope *env = NULL;
        int rv = nng_recvmsg(s->s, &m, NNG_FLAG_NONBLOCK);
        if (rv != 0)
            return; /* EAGAIN: no reply yet; ESTATE: no request on the wire */
        if (!p->req_sent) {
            nng_msg_free(m);
            continue;
        }
        int rc = peer_decode(p, "reply", m, &env);
        nng_msg_free(m);
        if (rc == 0)
            p->st.replies++;
        peer_req_complete(p, env, rc);
        acd_wire_free(env);
    }
}

void acd__link_peer_cancel(acd__link_peer_t *p)
{
    if (p->has_timer)
        uv_timer_stop(&p->timer);
    p->req_active = false;
    p->req_sent = false;
    while (p->reqs.next != NULL && !acd_list_empty(&p->reqs)) {
        acd__link_req_t *r = acd_container_of(p->reqs.next, acd__link_req_t, link);
        acd_list_remove(&r->link);
        r->cb(r->ud, p->name, NULL, -ECANCELED);
        free(r);
    }
}

/* ---- requests from peers ---- */

/* Formats the remote address of the connection m came in on, for logs. */
static const char *rep_remote(nng_msg *m, char *buf, size_t len)
{
    nng_sockaddr sa;
    snprintf(buf, len, "-");
    if (nng_pipe_get_addr(nng_msg_get_pipe(m), NNG_OPT_REMADDR, &sa) != 0)
        return buf;
    char ip[INET6_ADDRSTRLEN];
    if (sa.s_family == NNG_AF_INET && inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip)))
        snprintf(buf, len, "%s:%u", ip, ntohs(sa.s_in.sa_port));
    else if (sa.s_family == NNG_AF_INET6 && inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip)))
        snprintf(buf, len, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
    return buf;
}

/* Decodes a request and finds its (configured) origin; counts and logs what it drops. */
static acd__link_peer_t *rep_accept(acd_link_t *l, nng_msg *m, Acd__V1__Envelope **envp)
{
    Acd__V1__Envelope *env = NULL;
    acd__link_peer_t *p = NULL;
    int rc = acd_wire_decode(nng_msg_body(m), nng_msg_len(m), &env);
    if (rc == 0 && (p = acd__link_peer_find(l, env->origin_site)) == NULL)
        rc = -ENOENT;
    if (rc == 0) {
        *envp = env;
        return p;
    }
    l->st.bad_requests++;
    if (acd__link_log_due(l, &l->badreq_log_ms, &l->badreq_quiet)) {
        char from[INET6_ADDRSTRLEN + 8];
        acd_log_warn("ACD-LINK-BAD-REQUEST",
                     "from=%s bytes=%zu err=%s origin=%s suppressed=%llu request dropped",
                     rep_remote(m, from, sizeof(from)), nng_msg_len(m), acd_errname(rc),
                     env ? env->origin_site : "-", (unsigned long long)l->badreq_quiet);
        l->badreq_quiet = 0;
    }
    acd_wire_free(env);
    return NULL;
}

void acd__link_rep_readable(acd__link_sock_t *s)
{
    acd_link_t *l = s->l;
    for (int i = 0; i < ACD__LINK_RX_BATCH && !l->closing; i++) {
        nng_msg *m;
        Acd__V1__Envelope *env = NULL;
        int rv = nng_recvmsg(s->s, &m, NNG_FLAG_NONBLOCK);
        if (rv != 0)
            return;
        acd__link_peer_t *p = rep_accept(l, m, &env);
        nng_msg_free(m);
        if (p == NULL || l->ops.on_request == NULL) {
            /* Not answering leaves REP ready for the next request. */
            acd_wire_free(env);
            continue;
        }
        acd_buf_reset(&l->replybuf);
        int rc = l->ops.on_request(l->ud, p->name, env, &l->replybuf);
        acd_wire_free(env);
        if (l->closing)
            break;
        if (rc == 0 && l->replybuf.n > 0) {
            /*
             * REP takes a reply at once unless the requester's connection is still busy
             * with an earlier one; the requester's resend then asks again.
             */
            rc = acd__link_send_copy(s->s, l->replybuf.p, l->replybuf.n);
            if (rc == 0) {
                p->st.served++;
            } else {
                l->st.reply_drops++;
                acd_log_debug("ACD-LINK-REPLY-DROPPED", "peer=%s err=%s", p->name, acd_errname(rc));
            }
        } else if (rc != 0) {
            acd_log_debug("ACD-LINK-NO-REPLY", "peer=%s err=%s request not answered", p->name,
                          acd_errname(rc));
        }
        acd__link_buf_trim(&l->replybuf);
    }
}
