/* link_sock.c - the link's nng sockets: options, bind/dial, uv_poll watching, pipe events, close.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "cluster/link_int.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "util/log.h"

int acd__link_send_copy(nng_socket s, const void *data, size_t len)
{
    nng_msg *m;
    int rv = nng_msg_alloc(&m, len);
    if (rv != 0)
        return acd__link_err(rv);
    if (len > 0)
        memcpy(nng_msg_body(m), data, len);
    rv = nng_sendmsg(s, m, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        /* On failure the message is still ours. */
        nng_msg_free(m);
        return acd__link_err(rv);
    }
    return 0;
}

/* ---- sockets ---- */

static void link_poll_closed(uv_handle_t *h)
{
    acd__link_sock_t *s = h->data;
    acd__link_handle_closed(s->l);
}

/*
 * While a link closes, its sockets keep being read and what arrives is dropped: REP
 * reads the next frame of a connection only once the last one was taken, and only a
 * connection being read notices that it was shut down (link_quiesce.c).
 */
static void link_sock_drain(acd__link_sock_t *s, uv_poll_t *h)
{
    if (h == &s->wpoll) {
        acd__link_sock_want_send(s, false);
        return;
    }
    for (int i = 0; i < ACD__LINK_RX_BATCH; i++) {
        nng_msg *m;
        if (nng_recvmsg(s->s, &m, NNG_FLAG_NONBLOCK) != 0)
            return;
        nng_msg_free(m);
    }
}

static void link_poll_cb(uv_poll_t *h, int status, int events)
{
    acd__link_sock_t *s = h->data;
    if (status < 0) {
        acd_log_warn("ACD-LINK-POLL", "err=%s cannot watch an nng descriptor", uv_err_name(status));
        return;
    }
    if (s->l->closing) {
        link_sock_drain(s, h);
        return;
    }
    switch (s->kind) {
    case ACD__LINK_SUB:
        acd__link_sub_readable(s);
        break;
    case ACD__LINK_REP:
        acd__link_rep_readable(s);
        break;
    case ACD__LINK_REQ:
        acd__link_req_ready(s, h == &s->wpoll);
        break;
    case ACD__LINK_PUB:
        break;
    }
}

/* Remembers (add) or forgets the id of one connection of s; under s->lock. */
static void link_sock_track(acd__link_sock_t *s, uint32_t id, bool add)
{
    uv_mutex_lock(&s->lock);
    if (add) {
        if (s->n_pipe_ids == s->cap_pipe_ids) {
            size_t cap = s->cap_pipe_ids ? s->cap_pipe_ids * 2 : 4;
            uint32_t *ids = realloc(s->pipe_ids, cap * sizeof(*ids));
            if (ids != NULL) {
                s->pipe_ids = ids;
                s->cap_pipe_ids = cap;
            }
        }
        /* Without memory the connection is not tracked: it is only not quiesced. */
        if (s->n_pipe_ids < s->cap_pipe_ids)
            s->pipe_ids[s->n_pipe_ids++] = id;
    } else {
        for (size_t i = 0; i < s->n_pipe_ids; i++) {
            if (s->pipe_ids[i] == id) {
                s->pipe_ids[i] = s->pipe_ids[--s->n_pipe_ids];
                break;
            }
        }
    }
    uv_mutex_unlock(&s->lock);
}

/*
 * Runs on an nng thread: only the socket's atomics, its mutex-guarded id list and
 * uv_async_send(), which is thread-safe, are touched; no loop state. nng_close()
 * returns only after these callbacks, and the async handle is closed only after every
 * socket, so both outlive every call.
 */
static void link_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    acd__link_sock_t *s = arg;
    if (ev == NNG_PIPE_EV_ADD_POST) {
        link_sock_track(s, nng_pipe_id(p), true);
        atomic_fetch_add(&s->pipes, 1);
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        link_sock_track(s, nng_pipe_id(p), false);
        atomic_fetch_sub(&s->pipes, 1);
        atomic_fetch_add(&s->pipes_lost, 1);
    }
    uv_async_send(&s->l->async);
}

/* Watches the socket's descriptor named opt with poll (started at once when start). */
static int link_sock_watch(acd__link_sock_t *s, const char *opt, uv_poll_t *poll, bool *has,
                           bool start)
{
    int fd, rv = nng_socket_get_int(s->s, opt, &fd);
    if (rv != 0)
        return acd__link_err(rv);
    int rc = uv_poll_init(s->l->loop, poll, fd);
    if (rc != 0)
        return rc;
    poll->data = s;
    *has = true;
    s->l->handles++;
    return start ? uv_poll_start(poll, UV_READABLE, link_poll_cb) : 0;
}

/* Sets the options every socket of kind needs before it binds or dials. */
static int link_sock_options(acd__link_sock_t *s)
{
    acd_link_t *l = s->l;
    int rv = 0;
    if (s->kind != ACD__LINK_PUB)
        rv = nng_socket_set_size(s->s, NNG_OPT_RECVMAXSZ, ACD_WIRE_FRAME_MAX);
    if (rv == 0 && (s->kind == ACD__LINK_SUB || s->kind == ACD__LINK_REQ)) {
        rv = nng_socket_set_ms(s->s, NNG_OPT_RECONNMINT, (nng_duration)l->reconnect_min_ms);
        if (rv == 0)
            rv = nng_socket_set_ms(s->s, NNG_OPT_RECONNMAXT, (nng_duration)l->reconnect_max_ms);
    }
    switch (s->kind) {
    case ACD__LINK_PUB:
        rv = nng_socket_set_int(s->s, NNG_OPT_SENDBUF, (int)l->queue_len);
        break;
    case ACD__LINK_SUB:
        if (rv == 0)
            rv = nng_socket_set_int(s->s, NNG_OPT_RECVBUF, (int)l->queue_len);
        if (rv == 0)
            rv = nng_socket_set(s->s, NNG_OPT_SUB_SUBSCRIBE, "", 0);
        break;
    case ACD__LINK_REQ:
        /* Resend once halfway to the deadline: covers a reply the REP side dropped. */
        if (rv == 0)
            rv = nng_socket_set_ms(s->s, NNG_OPT_REQ_RESENDTIME,
                                   (nng_duration)(l->request_timeout_ms / 2 + 1));
        break;
    case ACD__LINK_REP:
        break;
    }
    return acd__link_err(rv);
}

/* Binds (PUB, REP) or starts dialing in the background (SUB, REQ), with TLS when set. */
static int link_sock_connect(acd__link_sock_t *s)
{
    acd_link_t *l = s->l;
    const char *url = NULL;
    int rv;
    switch (s->kind) {
    case ACD__LINK_PUB:
        url = l->pub_url;
        break;
    case ACD__LINK_REP:
        url = l->rep_url;
        break;
    case ACD__LINK_SUB:
        url = s->peer->pub_url;
        break;
    case ACD__LINK_REQ:
        url = s->peer->rep_url;
        break;
    }
    if (s->peer == NULL) {
        nng_listener ln;
        if ((rv = nng_listener_create(&ln, s->s, url)) == 0 && l->tls_server != NULL)
            rv = nng_listener_set_ptr(ln, NNG_OPT_TLS_CONFIG, l->tls_server);
        if (rv == 0)
            rv = nng_listener_start(ln, 0);
        if (rv == 0 && nng_listener_get_addr(ln, NNG_OPT_LOCADDR, &s->bound) == 0)
            s->has_bound = true;
        if (rv != 0)
            acd_log_err("ACD-LINK-BIND", "url=%s err=\"%s\" cannot bind", url, nng_strerror(rv));
    } else {
        nng_dialer d;
        if ((rv = nng_dialer_create(&d, s->s, url)) == 0) {
            s->dialer = d;
            s->has_dialer = true;
        }
        if (rv == 0 && s->peer->tls != NULL)
            rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, s->peer->tls);
        /* Non-blocking: a peer that is down now is redialed with back-off by nng. */
        if (rv == 0)
            rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
        if (rv != 0)
            acd_log_err("ACD-LINK-DIAL", "peer=%s url=%s err=\"%s\" cannot dial", s->peer->name,
                        url, nng_strerror(rv));
    }
    return acd__link_err(rv);
}

int acd__link_sock_open(acd_link_t *l, acd__link_peer_t *peer, acd__link_kind_t kind,
                        acd__link_sock_t **sp)
{
    acd__link_sock_t *s = calloc(1, sizeof(*s));
    int rv, rc;
    if (s == NULL)
        return -ENOMEM;
    if ((rc = uv_mutex_init(&s->lock)) != 0) {
        free(s);
        return rc;
    }
    s->has_lock = true;
    s->l = l;
    s->peer = peer;
    s->kind = kind;
    atomic_init(&s->pipes, 0);
    atomic_init(&s->pipes_lost, 0u);
    acd_list_push_back(&l->socks, &s->link);
    *sp = s;
    switch (kind) {
    case ACD__LINK_PUB:
        rv = nng_pub0_open(&s->s);
        break;
    case ACD__LINK_REP:
        rv = nng_rep0_open(&s->s);
        break;
    case ACD__LINK_SUB:
        rv = nng_sub0_open(&s->s);
        break;
    default:
        rv = nng_req0_open(&s->s);
        break;
    }
    if (rv != 0)
        return acd__link_err(rv);
    s->nng_open = true;
    rc = link_sock_options(s);
    if (rc == 0) {
        rv = nng_pipe_notify(s->s, NNG_PIPE_EV_ADD_POST, link_pipe_event, s);
        if (rv == 0)
            rv = nng_pipe_notify(s->s, NNG_PIPE_EV_REM_POST, link_pipe_event, s);
        rc = acd__link_err(rv);
    }
    if (rc == 0 && kind != ACD__LINK_PUB)
        rc = link_sock_watch(s, NNG_OPT_RECVFD, &s->rpoll, &s->has_rpoll, true);
    if (rc == 0 && kind == ACD__LINK_REQ)
        rc = link_sock_watch(s, NNG_OPT_SENDFD, &s->wpoll, &s->has_wpoll, false);
    if (rc == 0)
        rc = link_sock_connect(s);
    return rc;
}

void acd__link_sock_want_send(acd__link_sock_t *s, bool on)
{
    if (!s->has_wpoll || s->wpoll_on == on)
        return;
    /* SENDFD signals "a send would succeed" by becoming readable, as RECVFD does. */
    if (on ? uv_poll_start(&s->wpoll, UV_READABLE, link_poll_cb) == 0
           : uv_poll_stop(&s->wpoll) == 0)
        s->wpoll_on = on;
}

void acd__link_sock_stop(acd__link_sock_t *s)
{
    acd__link_sock_want_send(s, false);
    /* A dialer must not bring a connection back while the socket waits to close. */
    if (s->has_dialer && s->nng_open) {
        nng_dialer_set_ms(s->dialer, NNG_OPT_RECONNMAXT, ACD__LINK_STOPPED_REDIAL_MS);
        nng_dialer_set_ms(s->dialer, NNG_OPT_RECONNMINT, ACD__LINK_STOPPED_REDIAL_MS);
    }
}

/* Closes s's handles, then its nng socket. */
static void link_sock_close(acd__link_sock_t *s)
{
    /*
     * Handles first: closing a uv_poll_t removes its descriptor from epoll at once,
     * before nng_close() closes that descriptor.
     */
    if (s->has_rpoll) {
        s->has_rpoll = false;
        uv_close((uv_handle_t *)&s->rpoll, link_poll_closed);
    }
    if (s->has_wpoll) {
        s->has_wpoll = false;
        s->wpoll_on = false;
        uv_close((uv_handle_t *)&s->wpoll, link_poll_closed);
    }
    if (s->nng_open) {
        s->nng_open = false;
        nng_close(s->s);
    }
}

static const char *link_kind_name(acd__link_kind_t k)
{
    static const char *const names[] = {"pub", "rep", "sub", "req"};
    return names[k];
}

bool acd__link_socks_reap(acd_link_t *l, bool force)
{
    acd_list_t *n, *tmp;
    bool waiting = false;
    acd_list_foreach(n, tmp, &l->socks)
    {
        acd__link_sock_t *s = acd_container_of(n, acd__link_sock_t, link);
        if (!s->nng_open)
            continue;
        /* PUB receives nothing, so closing it under traffic is safe. */
        if (force || s->kind == ACD__LINK_PUB || atomic_load(&s->pipes) <= 0) {
            if (force && atomic_load(&s->pipes) > 0)
                acd_log_warn("ACD-LINK-CLOSE-FORCED",
                             "socket=%s peer=%s pipes=%d closing with connections up",
                             link_kind_name(s->kind), s->peer ? s->peer->name : "-",
                             atomic_load(&s->pipes));
            link_sock_close(s);
        } else {
            waiting = true;
        }
    }
    return !waiting;
}

void acd__link_sock_free(acd__link_sock_t *s)
{
    acd_list_remove(&s->link);
    if (s->has_lock)
        uv_mutex_destroy(&s->lock);
    free(s->pipe_ids);
    free(s);
}
