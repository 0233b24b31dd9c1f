/* etcd.c - the etcd client core: endpoints, libcurl multi on libuv, requests, error mapping. */
#include "cluster/etcd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "util/err.h"
#include "util/log.h"

#define ETCD_DEFAULT_TIMEOUT_MS 5000u
/* An ordinary answer larger than this is refused (-EMSGSIZE). */
#define ETCD_ANSWER_MAX ((size_t)64 << 20)

/* One socket curl asked us to watch; freed in its poll handle's close callback. */
typedef struct etcd_sock {
    acd_list_t node;
    uv_poll_t poll;
    acd_etcd_t *e;
    curl_socket_t fd;
} etcd_sock_t;

static void etcd_after_action(acd_etcd_t *e);

/* ---- errors ---- */

int acd__etcd_error(int curl_code, int curlm_code, long http_status, json_object *body)
{
    json_object *eo = NULL, *v;
    const char *msg = NULL;
    int grpc = -1;

    if (curlm_code != CURLM_OK)
        return curlm_code == CURLM_OUT_OF_MEMORY ? -ENOMEM : ACD_ELIB;
    switch (curl_code) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return -ECONNRESET;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_WRITE_ERROR:
        return -EMSGSIZE;
    default:
        return ACD_ELIB;
    }
    if (body && json_object_object_get_ex(body, "error", &eo)) {
        /* Unary errors are {"error":"..","code":N,"message":".."}; stream errors nest. */
        json_object *holder = json_object_is_type(eo, json_type_object) ? eo : body;
        if (json_object_object_get_ex(holder, "message", &v))
            msg = json_object_get_string(v);
        else if (json_object_is_type(eo, json_type_string))
            msg = json_object_get_string(eo);
        if (json_object_object_get_ex(holder, "code", &v) ||
            json_object_object_get_ex(holder, "grpc_code", &v))
            grpc = json_object_get_int(v);
        if (grpc < 0)
            grpc = 2;
    }
    if (grpc < 0 && http_status == 200)
        return body ? 0 : ACD_EPROTO;
    if (msg) {
        if (strstr(msg, "lease not found"))
            return ACD_ELEASE_LOST;
        if (strstr(msg, "election: no leader"))
            return -ENOENT;
        if (strstr(msg, "compacted"))
            return ACD_ECOMPACTED;
    }
    switch (grpc) {
    case 1: /* Canceled */
        return -ECANCELED;
    case 3:  /* InvalidArgument */
    case 11: /* OutOfRange */
        return -EINVAL;
    case 4: /* DeadlineExceeded */
        return -ETIMEDOUT;
    case 5: /* NotFound */
        return -ENOENT;
    case 7:  /* PermissionDenied */
    case 16: /* Unauthenticated */
        return -EACCES;
    case 8: /* ResourceExhausted */
        return -ENOBUFS;
    case 9: /* FailedPrecondition */
        return ACD_ESTATE;
    case 14: /* Unavailable: no leader, request timed out, stopping */
        return -EAGAIN;
    default:
        break;
    }
    switch (http_status) {
    case 400:
        return -EINVAL;
    case 404:
        return -ENOENT;
    case 408:
    case 504:
        return -ETIMEDOUT;
    case 503:
        return -EAGAIN;
    default:
        return ACD_EPROTO;
    }
}

bool acd__etcd_retryable(int err)
{
    return err == -ECONNREFUSED || err == -ETIMEDOUT || err == -ECONNRESET || err == -EAGAIN;
}

/* ---- sockets and the timer: curl's callbacks only touch the loop ---- */

static void etcd_sock_closed(uv_handle_t *h)
{
    etcd_sock_t *s = h->data;
    acd_etcd_t *e = s->e;

    free(s);
    acd__etcd_handle_closed(e);
}

static void etcd_sock_close(etcd_sock_t *s)
{
    acd_list_remove(&s->node);
    uv_close((uv_handle_t *)&s->poll, etcd_sock_closed);
}

static void etcd_poll_cb(uv_poll_t *p, int status, int events)
{
    etcd_sock_t *s = p->data;
    acd_etcd_t *e = s->e;
    int flags = 0, running;

    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* This may ask (through etcd_sock_fn) to close s; s is freed only later. */
    curl_multi_socket_action(e->multi, s->fd, flags, &running);
    etcd_after_action(e);
}

static int etcd_sock_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    acd_etcd_t *e = userp;
    etcd_sock_t *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        /* curl forgets the socket's entry itself; the poll goes now, s when closed. */
        if (s)
            etcd_sock_close(s);
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        if (uv_poll_init_socket(e->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->e = e;
        s->fd = fd;
        s->poll.data = s;
        e->handles++;
        acd_list_push_back(&e->socks, &s->node);
        curl_multi_assign(e->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, etcd_poll_cb) == 0 ? 0 : -1;
}

static void etcd_timer_cb(uv_timer_t *t)
{
    acd_etcd_t *e = t->data;
    int running;

    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    etcd_after_action(e);
}

static int etcd_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    acd_etcd_t *e = userp;

    (void)multi;
    if (e->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&e->timer);
    else
        uv_timer_start(&e->timer, etcd_timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- requests ---- */

static size_t etcd_write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
    acd__etcd_req_t *r = ud;
    size_t n = size * nmemb;

    if (!r->stream && r->in.n + n > ETCD_ANSWER_MAX) {
        r->write_err = -EMSGSIZE;
        return 0;
    }
    if (acd_buf_append(&r->in, p, n) < 0) {
        r->write_err = -ENOMEM;
        return 0;
    }
    /* Streams are parsed after curl returns, so no callback of ours runs inside curl. */
    if (r->stream && !acd_list_linked(&r->pending))
        acd_list_push_back(&r->e->pending, &r->pending);
    return n;
}

static void etcd_req_free(acd__etcd_req_t *r)
{
    if (r->in_multi && r->e->multi)
        curl_multi_remove_handle(r->e->multi, r->easy);
    acd_list_remove(&r->node);
    acd_list_remove(&r->pending);
    if (r->easy)
        curl_easy_cleanup(r->easy);
    if (r->tok)
        json_tokener_free(r->tok);
    json_object_put(r->err_obj);
    free(r->body);
    acd_buf_fini(&r->in);
    free(r);
}

void acd__etcd_req_cancel(acd__etcd_req_t *r)
{
    if (!r || r->cancelled)
        return;
    r->cancelled = true;
    r->done = NULL;
    r->obj = NULL;
    r->cb = NULL;
    if (r->busy == 0)
        etcd_req_free(r);
}

/* Sends the current attempt to the current endpoint. */
static int etcd_req_launch(acd__etcd_req_t *r)
{
    acd_etcd_t *e = r->e;
    int n;

    r->ep = e->ep_cur;
    n = snprintf(r->url, sizeof(r->url), "%s%s", e->endpoints[r->ep], r->path);
    if (n < 0 || (size_t)n >= sizeof(r->url))
        return -EINVAL;
    acd_buf_reset(&r->in);
    if (r->tok)
        json_tokener_reset(r->tok);
    r->errbuf[0] = '\0';
    r->write_err = 0;
    if (curl_easy_setopt(r->easy, CURLOPT_URL, r->url) != CURLE_OK)
        return ACD_ELIB;
    CURLMcode mc = curl_multi_add_handle(e->multi, r->easy);
    if (mc != CURLM_OK)
        return acd__etcd_error(CURLE_OK, mc, 0, NULL);
    r->in_multi = true;
    return 0;
}

static int etcd_req_setup(acd__etcd_req_t *r)
{
    acd_etcd_t *e = r->e;
    long total = r->timeout_ms == ACD__ETCD_NO_TIMEOUT ? 0 : (long)r->timeout_ms;
    long connect = r->timeout_ms == ACD__ETCD_NO_TIMEOUT ? (long)e->timeout_ms : total;
    CURLcode c = CURLE_OK;

#define ETCD_SET(opt, val)                                                                         \
    if (c == CURLE_OK)                                                                             \
    c = curl_easy_setopt(r->easy, opt, val)
    ETCD_SET(CURLOPT_PRIVATE, r);
    ETCD_SET(CURLOPT_NOSIGNAL, 1L);
    ETCD_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    ETCD_SET(CURLOPT_HTTPHEADER, e->headers);
    ETCD_SET(CURLOPT_POST, 1L);
    ETCD_SET(CURLOPT_POSTFIELDS, r->body);
    ETCD_SET(CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    ETCD_SET(CURLOPT_WRITEFUNCTION, etcd_write_cb);
    ETCD_SET(CURLOPT_WRITEDATA, r);
    ETCD_SET(CURLOPT_ERRORBUFFER, r->errbuf);
    ETCD_SET(CURLOPT_TIMEOUT_MS, total);
    ETCD_SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
    ETCD_SET(CURLOPT_TCP_KEEPALIVE, 1L);
#undef ETCD_SET
    return c == CURLE_OK ? 0 : acd__etcd_error(c, CURLM_OK, 0, NULL);
}

int acd__etcd_req_start(acd_etcd_t *e, const acd__etcd_call_t *call, acd__etcd_req_t **rp)
{
    acd__etcd_req_t *r = NULL;
    const char *json;
    int err = 0;

    if (e->closing) {
        err = ACD_ESTATE;
        goto out;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        err = -ENOMEM;
        goto out;
    }
    acd_list_init(&r->node);
    acd_list_init(&r->pending);
    r->e = e;
    r->path = call->path;
    r->timeout_ms = call->timeout_ms ? call->timeout_ms : e->timeout_ms;
    r->stream = call->stream;
    r->no_retry = call->no_retry || call->stream;
    r->done = call->done;
    r->obj = call->obj;
    r->ud = call->ud;
    r->cb = call->cb;
    r->cb_ud = call->cb_ud;
    json = call->body ? json_object_to_json_string_ext(call->body, JSON_C_TO_STRING_PLAIN) : NULL;
    r->body = json ? strdup(json) : NULL;
    r->easy = curl_easy_init();
    r->tok = r->stream ? json_tokener_new() : NULL;
    if (!r->body || !r->easy || (r->stream && !r->tok)) {
        err = r->easy ? -ENOMEM : ACD_ELIB;
        goto out;
    }
    r->body_len = strlen(r->body);
    err = etcd_req_setup(r);
    if (err == 0)
        err = etcd_req_launch(r);
    if (err == 0)
        acd_list_push_back(&e->reqs, &r->node);
out:
    json_object_put(call->body);
    if (err < 0) {
        if (r)
            etcd_req_free(r);
        return err;
    }
    if (rp)
        *rp = r;
    return 0;
}

/* Ends r: the done callback (unless cancelled) with err and body, then frees r. */
static void etcd_req_finish(acd__etcd_req_t *r, int err, json_object *body)
{
    acd_list_remove(&r->node);
    acd_list_remove(&r->pending);
    r->busy++;
    if (r->done && !r->cancelled)
        r->done(r, err, body, r->ud);
    r->busy--;
    etcd_req_free(r);
}

/* Unwraps the gateway's {"result": {...}} around streamed and keepalive answers. */
static json_object *etcd_unwrap(json_object *o)
{
    json_object *res;

    if (o && json_object_object_get_ex(o, "result", &res) &&
        json_object_is_type(res, json_type_object))
        return res;
    return o;
}

/*
 * Parses a stream's buffered bytes and hands each complete object to r->obj. Returns 0,
 * or ACD_EPROTO when the bytes are not JSON. r stays allocated (busy) throughout.
 */
static int etcd_req_parse(acd__etcd_req_t *r)
{
    size_t off = 0;
    int err = 0;

    r->busy++;
    while (off < r->in.n && !r->cancelled) {
        json_object *o = json_tokener_parse_ex(r->tok, r->in.p + off, (int)(r->in.n - off));
        enum json_tokener_error jerr = json_tokener_get_error(r->tok);

        if (!o) {
            if (jerr != json_tokener_continue)
                err = ACD_EPROTO;
            break; /* the tokener keeps an incomplete object's state */
        }
        off += json_tokener_get_parse_end(r->tok);
        json_tokener_reset(r->tok);
        if (json_object_object_get_ex(o, "error", NULL)) {
            json_object_put(r->err_obj);
            r->err_obj = o;
            continue;
        }
        if (r->obj)
            r->obj(r, etcd_unwrap(o), r->ud);
        json_object_put(o);
    }
    r->busy--;
    acd_buf_reset(&r->in);
    return err;
}

/* Parses r's pending bytes; returns false when r is gone (cancelled or failed). */
static bool etcd_req_deliver(acd__etcd_req_t *r)
{
    int err = etcd_req_parse(r);

    if (r->cancelled) {
        etcd_req_free(r);
        return false;
    }
    if (err < 0) {
        acd_log_warn("ACD-ETCD-STREAM-INVALID", "url=%s err=%s", r->url, acd_errname(err));
        etcd_req_finish(r, err, NULL);
        return false;
    }
    return true;
}

/*
 * The long-lived requests (watch and observe streams, campaigns) still attached to ep
 * when it failed: a stream to a member cut off by a partition sees no error for as long
 * as TCP keeps the dead connection, so it would deliver nothing while looking healthy.
 * They end with -ECONNRESET; their owners open them again, on the new endpoint.
 */
static void etcd_reset_long_requests(acd_etcd_t *e, size_t ep)
{
    bool again = true;
    while (again) {
        again = false;
        for (acd_list_t *n = e->reqs.next; n != &e->reqs; n = n->next) {
            acd__etcd_req_t *r = acd_container_of(n, acd__etcd_req_t, node);
            if (r->ep != ep || r->busy || r->cancelled || !r->in_multi ||
                !(r->stream || r->timeout_ms == ACD__ETCD_NO_TIMEOUT))
                continue;
            curl_multi_remove_handle(e->multi, r->easy);
            r->in_multi = false;
            acd_log_info("ACD-ETCD-STREAM-RESET", "url=%s: its endpoint failed", r->url);
            etcd_req_finish(r, -ECONNRESET, NULL); /* changes the list: look again */
            again = true;
            break;
        }
    }
}

void acd__etcd_failover(acd_etcd_t *e, size_t ep)
{
    if (e->n_endpoints < 2 || e->ep_cur != ep)
        return;
    e->ep_cur = (ep + 1) % e->n_endpoints;
    acd_log_warn("ACD-ETCD-ENDPOINT-FAILOVER", "from=%s to=%s", e->endpoints[ep],
                 e->endpoints[e->ep_cur]);
    if (!e->closing)
        etcd_reset_long_requests(e, ep);
}

/* A transfer ended: retry it elsewhere, or report it. */
static void etcd_req_ended(acd__etcd_req_t *r, CURLcode cc)
{
    acd_etcd_t *e = r->e;
    json_object *body = NULL;
    long status = 0;
    int err, max_attempts = e->n_endpoints < 2 ? 2 : (int)e->n_endpoints;

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(e->multi, r->easy);
    r->in_multi = false;
    if (r->stream) {
        if (!etcd_req_deliver(r))
            return;
        /* A stream that ended cleanly is not an error: its owner reconnects. */
        if (!r->err_obj && cc == CURLE_OK && status == 200)
            err = 0;
        else
            err = acd__etcd_error(cc, CURLM_OK, status, r->err_obj);
    } else {
        if (cc == CURLE_OK && r->in.n > 0)
            body = json_tokener_parse(r->in.p);
        err = acd__etcd_error(cc, CURLM_OK, status, body);
    }
    if (r->write_err)
        err = r->write_err;
    if (err < 0) {
        acd_log_info("ACD-ETCD-REQ-FAILED", "url=%s status=%ld err=%s attempt=%d curl=\"%s\"",
                     r->url, status, acd_errname(err), r->attempts + 1, r->errbuf);
        json_object_put(body);
        body = NULL;
        if (acd__etcd_retryable(err)) {
            acd__etcd_failover(e, r->ep);
            if (!r->no_retry && ++r->attempts < max_attempts) {
                int lerr = etcd_req_launch(r);
                if (lerr == 0)
                    return;
                err = lerr;
            }
        }
    }
    etcd_req_finish(r, err, etcd_unwrap(body));
    json_object_put(body);
}

/* After curl ran: deliver stream objects, then finished transfers, outside curl. */
static void etcd_after_action(acd_etcd_t *e)
{
    CURLMsg *m;
    int left;

    while (!e->closing && !acd_list_empty(&e->pending)) {
        acd__etcd_req_t *r = acd_container_of(e->pending.next, acd__etcd_req_t, pending);
        acd_list_remove(&r->pending);
        etcd_req_deliver(r);
    }
    while (!e->closing && (m = curl_multi_info_read(e->multi, &left)) != NULL) {
        acd__etcd_req_t *r = NULL;
        CURLcode cc = m->data.result;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        etcd_req_ended(r, cc);
    }
}

/* ---- the client ---- */

void acd__etcd_owner_add(acd_etcd_t *e, acd__etcd_owner_t *o)
{
    acd_list_push_back(&e->owners, &o->node);
}

static void etcd_free(acd_etcd_t *e)
{
    for (size_t i = 0; i < e->n_endpoints; i++)
        free(e->endpoints[i]);
    curl_slist_free_all(e->headers);
    free(e);
}

void acd__etcd_handle_closed(acd_etcd_t *e)
{
    e->handles--;
    if (e->closing && e->handles == 0 && e->multi == NULL) {
        acd_etcd_close_cb cb = e->close_cb;
        void *ud = e->close_ud;

        etcd_free(e);
        if (cb)
            cb(ud);
    }
}

int acd_etcd_alloc(acd_etcd_t **ep, uv_loop_t *loop, const acd_etcd_cfg_t *cfg)
{
    acd_etcd_t *e = NULL;
    int err = 0;

    if (!ep || !loop || !cfg || !cfg->endpoints || cfg->n_endpoints == 0 ||
        cfg->n_endpoints > ACD__ETCD_MAX_ENDPOINTS)
        return -EINVAL;
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        const char *u = cfg->endpoints[i];
        if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
            strlen(u) > 256)
            return -EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ACD_ELIB;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->loop = loop;
    e->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
    acd_list_init(&e->reqs);
    acd_list_init(&e->pending);
    acd_list_init(&e->socks);
    acd_list_init(&e->owners);
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        size_t n = strlen(cfg->endpoints[i]);
        while (n > 0 && cfg->endpoints[i][n - 1] == '/')
            n--;
        e->endpoints[i] = strndup(cfg->endpoints[i], n);
        if (!e->endpoints[i]) {
            err = -ENOMEM;
            goto out;
        }
        e->n_endpoints++;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    if (!h2) {
        curl_slist_free_all(h);
        err = -ENOMEM;
        goto out;
    }
    e->headers = h2;
    e->multi = curl_multi_init();
    if (!e->multi) {
        err = ACD_ELIB;
        goto out;
    }
    CURLMcode mc = curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, etcd_sock_fn);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, etcd_timer_fn);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    if (mc != CURLM_OK) {
        err = acd__etcd_error(CURLE_OK, mc, 0, NULL);
        goto out;
    }
    err = uv_timer_init(loop, &e->timer);
    if (err < 0)
        goto out;
    e->timer.data = e;
    e->handles = 1;
out:
    if (err < 0) {
        if (e->multi)
            curl_multi_cleanup(e->multi);
        etcd_free(e);
        return err;
    }
    *ep = e;
    return 0;
}

/* The timer is the client's last own handle: curl goes once it is closed. */
static void etcd_timer_closed(uv_handle_t *h)
{
    acd_etcd_t *e = h->data;
    acd_list_t *pos, *tmp;

    /* Cleanup closes curl's cached connections, which may ask to close their polls. */
    curl_multi_cleanup(e->multi);
    e->multi = NULL;
    acd_list_foreach(pos, tmp, &e->socks)
    {
        etcd_sock_close(acd_container_of(pos, etcd_sock_t, node));
    }
    acd__etcd_handle_closed(e);
}

void acd_etcd_close(acd_etcd_t *e, acd_etcd_close_cb cb, void *ud)
{
    if (!e || e->closing)
        return;
    e->closing = true;
    e->close_cb = cb;
    e->close_ud = ud;
    /* Owners first: they cancel their own requests without callbacks. */
    while (!acd_list_empty(&e->owners)) {
        acd__etcd_owner_t *o = acd_container_of(e->owners.next, acd__etcd_owner_t, node);
        acd_list_remove(&o->node);
        o->stop(o);
    }
    while (!acd_list_empty(&e->reqs)) {
        acd__etcd_req_t *r = acd_container_of(e->reqs.next, acd__etcd_req_t, node);

        acd_list_remove(&r->node);
        if (r->in_multi) {
            curl_multi_remove_handle(e->multi, r->easy);
            r->in_multi = false;
        }
        if (r->busy) {
            /* Its callback called us: it is freed when that returns. */
            r->cancelled = true;
            continue;
        }
        etcd_req_finish(r, -ECANCELED, NULL);
    }
    uv_timer_stop(&e->timer);
    uv_close((uv_handle_t *)&e->timer, etcd_timer_closed);
}
