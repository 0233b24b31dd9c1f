/* link.c - the site link's lifecycle: configuration, TLS, alloc, publish, stats, close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>

#include "cluster/link_int.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

#define LINK_RECONNECT_MIN_MS 100
#define LINK_RECONNECT_MAX_MS 5000
#define LINK_REQUEST_TIMEOUT_MS 5000
#define LINK_QUEUE_LEN 1024
#define LINK_QUEUE_LEN_MAX 8192
/* Largest TLS file read (certificate chains are a few kB). */
#define LINK_PEM_MAX ((size_t)1 << 20)

int acd__link_err(int rv)
{
    if (rv == 0)
        return 0;
    if (rv & NNG_ESYSERR)
        return -(rv & ~NNG_ESYSERR);
    switch (rv) {
    case NNG_EINTR:
        return -EINTR;
    case NNG_ENOMEM:
        return -ENOMEM;
    case NNG_EINVAL:
        return -EINVAL;
    case NNG_EBUSY:
        return -EBUSY;
    case NNG_ETIMEDOUT:
        return -ETIMEDOUT;
    case NNG_ECONNREFUSED:
        return -ECONNREFUSED;
    case NNG_ECLOSED:
        return -ESHUTDOWN;
    case NNG_EAGAIN:
        return -EAGAIN;
    case NNG_ENOTSUP:
        return -ENOTSUP;
    case NNG_EADDRINUSE:
        return -EADDRINUSE;
    case NNG_ESTATE:
        return ACD_ESTATE;
    case NNG_ENOENT:
        return -ENOENT;
    case NNG_EPROTO:
        return ACD_EPROTO;
    case NNG_EUNREACHABLE:
        return -EHOSTUNREACH;
    case NNG_EADDRINVAL:
        return -EINVAL;
    case NNG_EPERM:
        return -EPERM;
    case NNG_EMSGSIZE:
        return -EMSGSIZE;
    case NNG_ECONNABORTED:
        return -ECONNABORTED;
    case NNG_ECONNRESET:
        return -ECONNRESET;
    case NNG_ECANCELED:
        return -ECANCELED;
    case NNG_ENOFILES:
        return -EMFILE;
    case NNG_ENOSPC:
        return -ENOSPC;
    case NNG_EEXIST:
        return -EEXIST;
    case NNG_EREADONLY:
        return -EROFS;
    case NNG_EWRITEONLY:
        return -EINVAL;
    case NNG_ECRYPTO:
        return ACD_ECONFIG;
    case NNG_EPEERAUTH:
        return -EACCES;
    case NNG_EBADTYPE:
        return -EINVAL;
    case NNG_ECONNSHUT:
        return -ECONNRESET;
    default:
        return ACD_ELIB;
    }
}

bool acd__link_log_due(const acd_link_t *l, uint64_t *last_ms, uint64_t *quiet)
{
    uint64_t now = uv_now(l->loop);
    if (*last_ms != 0 && now - *last_ms < ACD__LINK_LOG_EVERY_MS) {
        (*quiet)++;
        return false;
    }
    *last_ms = now ? now : 1;
    return true;
}

void acd__link_buf_trim(acd_buf_t *b)
{
    if (b->cap > ACD__LINK_BUF_KEEP)
        acd_buf_fini(b);
    else
        acd_buf_reset(b);
}

/* ---- configuration ---- */

/* True when s is an id as events.proto defines it: 1..63 bytes of UTF-8, no controls. */
static bool link_id_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > ACD_WIRE_ID_MAX || !acd_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* True when url agrees with the TLS setting: tls+tcp:// with TLS, anything else without. */
static bool link_url_ok(const char *url, bool tls)
{
    if (url == NULL || url[0] == '\0')
        return false;
    bool is_tls = strncmp(url, "tls+tcp", 7) == 0;
    return is_tls == tls;
}

static int link_cfg_check(const acd_link_cfg_t *cfg)
{
    bool tls = cfg->tls != NULL;
    if (!link_id_ok(cfg->site) || !link_url_ok(cfg->pub_url, tls) ||
        !link_url_ok(cfg->rep_url, tls))
        return ACD_ECONFIG;
    if (tls && (!cfg->tls->ca_file || !cfg->tls->cert_file || !cfg->tls->key_file))
        return ACD_ECONFIG;
    if (cfg->n_peers > 0 && cfg->peers == NULL)
        return -EINVAL;
    if (cfg->queue_len > LINK_QUEUE_LEN_MAX)
        return ACD_ECONFIG;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        const acd_link_peer_cfg_t *p = &cfg->peers[i];
        if (!link_id_ok(p->name) || strcmp(p->name, cfg->site) == 0 ||
            !link_url_ok(p->pub_url, tls) || !link_url_ok(p->rep_url, tls))
            return ACD_ECONFIG;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->peers[j].name, p->name) == 0)
                return ACD_ECONFIG;
    }
    return 0;
}

/* ---- TLS ---- */

/* Reads the whole (small) file at path into b, NUL-terminated. */
static int link_read_file(const char *path, acd_buf_t *b)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    int rc = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b->n + n > LINK_PEM_MAX) {
            rc = -EFBIG;
            break;
        }
        if ((rc = acd_buf_append(b, chunk, n)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc == 0 && b->n == 0)
        rc = -ENODATA;
    return rc;
}

/*
 * A TLS configuration of mode with the cluster CA, this site's certificate and key,
 * and peer certificates required. server_name (client mode) is the name the server's
 * certificate must carry. Files that cannot be read or parsed are ACD_ECONFIG.
 */
static int link_tls_alloc(nng_tls_config **out, nng_tls_mode mode, const char *server_name,
                          const acd_link_tls_cfg_t *tls)
{
    acd_buf_t cert = {0}, key = {0};
    nng_tls_config *c = NULL;
    const char *what = "ca_file";
    int rv, rc = link_read_file(tls->cert_file, &cert);
    if (rc == 0)
        rc = link_read_file(tls->key_file, &key);
    if (rc != 0) {
        acd_log_err("ACD-LINK-TLS-CONFIG", "cert=%s key=%s err=%s cannot read certificate files",
                    tls->cert_file, tls->key_file, acd_errname(rc));
        rc = ACD_ECONFIG;
        goto out;
    }
    if ((rv = nng_tls_config_alloc(&c, mode)) != 0) {
        rc = acd__link_err(rv);
        goto out;
    }
    if ((rv = nng_tls_config_ca_file(c, tls->ca_file)) == 0) {
        what = "cert_file/key_file";
        rv = nng_tls_config_own_cert(c, cert.p, key.p, NULL);
    }
    if (rv == 0) {
        what = "auth_mode";
        rv = nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_REQUIRED);
    }
    if (rv == 0 && server_name != NULL) {
        what = "server_name";
        rv = nng_tls_config_server_name(c, server_name);
    }
    if (rv != 0) {
        acd_log_err("ACD-LINK-TLS-CONFIG", "what=%s err=\"%s\" TLS configuration refused", what,
                    nng_strerror(rv));
        rc = rv == NNG_ENOMEM ? -ENOMEM : ACD_ECONFIG;
        nng_tls_config_free(c);
        goto out;
    }
    *out = c;
out:
    acd_buf_fini(&cert);
    acd_buf_fini(&key);
    return rc;
}

/* ---- lifecycle ---- */

static void link_free(acd_link_t *l)
{
    void (*cb)(void *) = l->close_cb;
    void *ud = l->close_ud;
    acd_list_t *n, *tmp;
    acd_list_foreach(n, tmp, &l->socks)
        acd__link_sock_free(acd_container_of(n, acd__link_sock_t, link));
    for (size_t i = 0; i < l->n_peers; i++)
        acd__link_peer_fini(&l->peers[i]);
    free(l->peers);
    if (l->tls_server != NULL)
        nng_tls_config_free(l->tls_server);
    acd_buf_fini(&l->txbuf);
    acd_buf_fini(&l->replybuf);
    free(l->pub_url);
    free(l->rep_url);
    free(l);
    if (cb != NULL)
        cb(ud);
}

void acd__link_handle_closed(acd_link_t *l)
{
    if (--l->handles == 0 && l->closing)
        link_free(l);
}

static void link_uv_closed(uv_handle_t *h)
{
    acd__link_handle_closed(h->data);
}

static void link_timer_closed(uv_handle_t *h)
{
    acd__link_peer_t *p = h->data;
    acd__link_handle_closed(p->l);
}

/*
 * One step of a close: closes the nng sockets whose connections are gone, quiesces
 * connections that came up meanwhile, and once every nng socket is closed closes the
 * handles that nng could still have used (the async) and the deadline timer.
 */
static void link_reap(acd_link_t *l, bool force)
{
    if (l->reaped)
        return;
    if (!acd__link_socks_reap(l, force)) {
        acd__link_quiesce(l);
        return;
    }
    l->reaped = true;
    if (l->has_reap_timer) {
        l->has_reap_timer = false;
        uv_close((uv_handle_t *)&l->reap_timer, link_uv_closed);
    }
    if (l->has_async) {
        l->has_async = false;
        uv_close((uv_handle_t *)&l->async, link_uv_closed);
    }
}

static void link_async_cb(uv_async_t *h)
{
    acd_link_t *l = h->data;
    if (l->closing)
        link_reap(l, false);
    else
        acd__link_peer_check_state(l);
}

static void link_reap_timeout(uv_timer_t *t)
{
    link_reap(t->data, true);
}

/*
 * Stops every socket and handle of l. nng sockets are closed once their connections
 * are gone (link_quiesce.c explains why), at the latest after ACD__LINK_QUIESCE_MS;
 * the link is freed when its last handle has closed (at once when it has none).
 */
static void link_teardown(acd_link_t *l)
{
    acd_list_t *n, *tmp;
    l->closing = true;
    for (size_t i = 0; i < l->n_peers; i++) {
        acd__link_peer_t *p = &l->peers[i];
        if (p->has_timer) {
            p->has_timer = false;
            uv_close((uv_handle_t *)&p->timer, link_timer_closed);
        }
    }
    acd_list_foreach(n, tmp, &l->socks)
        acd__link_sock_stop(acd_container_of(n, acd__link_sock_t, link));
    if (l->has_async && l->has_reap_timer) {
        acd__link_quiesce(l);
        uv_timer_start(&l->reap_timer, link_reap_timeout, ACD__LINK_QUIESCE_MS, 0);
        link_reap(l, false);
    } else {
        /* A failed alloc: no traffic has flowed yet, and nothing could wake a wait. */
        link_reap(l, true);
    }
    if (l->handles == 0)
        link_free(l);
}

static char *link_strdup(const char *s, int *rc)
{
    char *d = strdup(s);
    if (d == NULL)
        *rc = -ENOMEM;
    return d;
}

int acd_link_alloc(acd_link_t **lp, uv_loop_t *loop, const acd_link_cfg_t *cfg,
                   const acd_link_ops_t *ops, void *ud)
{
    acd_link_t *l = NULL;
    int rc = 0;
    if (lp == NULL || loop == NULL || cfg == NULL || ops == NULL || ops->on_envelope == NULL) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = link_cfg_check(cfg)) != 0) {
        acd_log_err("ACD-LINK-CONFIG", "site=%s err=%s invalid link configuration",
                    cfg->site ? cfg->site : "-", acd_errname(rc));
        goto out;
    }
    if ((l = calloc(1, sizeof(*l))) == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    acd_list_init(&l->socks);
    l->loop = loop;
    l->ops = *ops;
    l->ud = ud;
    snprintf(l->site, sizeof(l->site), "%s", cfg->site);
    l->pub_url = link_strdup(cfg->pub_url, &rc);
    l->rep_url = link_strdup(cfg->rep_url, &rc);
    l->reconnect_min_ms = cfg->reconnect_min_ms ? cfg->reconnect_min_ms : LINK_RECONNECT_MIN_MS;
    l->reconnect_max_ms = cfg->reconnect_max_ms ? cfg->reconnect_max_ms : LINK_RECONNECT_MAX_MS;
    if (l->reconnect_max_ms < l->reconnect_min_ms)
        l->reconnect_max_ms = l->reconnect_min_ms;
    l->request_timeout_ms =
        cfg->request_timeout_ms ? cfg->request_timeout_ms : LINK_REQUEST_TIMEOUT_MS;
    l->queue_len = cfg->queue_len ? cfg->queue_len : LINK_QUEUE_LEN;
    if (rc != 0)
        goto out;
    if (cfg->n_peers > 0 && (l->peers = calloc(cfg->n_peers, sizeof(*l->peers))) == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if (cfg->tls != NULL &&
        (rc = link_tls_alloc(&l->tls_server, NNG_TLS_MODE_SERVER, NULL, cfg->tls)) != 0)
        goto out;
    /* The async exists before any socket whose pipe notifications use it. */
    if ((rc = uv_async_init(loop, &l->async, link_async_cb)) != 0)
        goto out;
    l->async.data = l;
    l->has_async = true;
    l->handles++;
    if ((rc = uv_timer_init(loop, &l->reap_timer)) != 0)
        goto out;
    l->reap_timer.data = l;
    l->has_reap_timer = true;
    l->handles++;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        acd__link_peer_t *p = &l->peers[i];
        l->n_peers = i + 1;
        if ((rc = acd__link_peer_init(l, p, &cfg->peers[i])) != 0)
            goto out;
        if (cfg->tls != NULL &&
            (rc = link_tls_alloc(&p->tls, NNG_TLS_MODE_CLIENT, p->name, cfg->tls)) != 0)
            goto out;
    }
    if ((rc = acd__link_sock_open(l, NULL, ACD__LINK_PUB, &l->pub)) != 0 ||
        (rc = acd__link_sock_open(l, NULL, ACD__LINK_REP, &l->rep)) != 0)
        goto out;
    for (size_t i = 0; i < l->n_peers; i++) {
        acd__link_peer_t *p = &l->peers[i];
        if ((rc = acd__link_sock_open(l, p, ACD__LINK_SUB, &p->sub)) != 0 ||
            (rc = acd__link_sock_open(l, p, ACD__LINK_REQ, &p->req)) != 0)
            goto out;
    }
    acd_log_info("ACD-LINK-STARTED", "pub=%s rep=%s peers=%zu tls=%s", l->pub_url, l->rep_url,
                 l->n_peers, cfg->tls ? "yes" : "no");
    *lp = l;
out:
    if (rc != 0 && l != NULL)
        link_teardown(l);
    return rc;
}

int acd_link_publish(acd_link_t *l, const Acd__V1__Envelope *env)
{
    int rc;
    if (l == NULL || env == NULL)
        return -EINVAL;
    if (l->closing)
        return -ESHUTDOWN;
    acd_buf_reset(&l->txbuf);
    rc = acd_wire_encode(env, &l->txbuf);
    if (rc == 0)
        rc = acd__link_send_copy(l->pub->s, l->txbuf.p, l->txbuf.n);
    if (rc != 0) {
        l->st.tx_errors++;
    } else {
        l->st.tx_msgs++;
        l->st.tx_bytes += l->txbuf.n;
    }
    acd__link_buf_trim(&l->txbuf);
    return rc;
}

void acd_link_stats(const acd_link_t *l, acd_link_stats_t *out)
{
    *out = l->st;
    int n = l->pub ? atomic_load(&l->pub->pipes) : 0;
    out->subscribers = n > 0 ? (unsigned)n : 0;
}

int acd_link_peer_stats(const acd_link_t *l, const char *peer, acd_link_peer_stats_t *out)
{
    const acd__link_peer_t *p = acd__link_peer_find(l, peer);
    if (p == NULL)
        return -ENOENT;
    *out = p->st;
    out->connected = p->connected;
    return 0;
}

size_t acd_link_peer_count(const acd_link_t *l)
{
    return l->n_peers;
}

const char *acd_link_peer_name(const acd_link_t *l, size_t i)
{
    return i < l->n_peers ? l->peers[i].name : NULL;
}

void acd_link_close(acd_link_t *l, void (*cb)(void *ud), void *ud)
{
    if (l == NULL || l->closing)
        return;
    l->closing = true;
    l->close_cb = cb;
    l->close_ud = ud;
    /* Callbacks of cancelled requests see closing set, so they cannot queue new ones. */
    for (size_t i = 0; i < l->n_peers; i++)
        acd__link_peer_cancel(&l->peers[i]);
    acd_log_info("ACD-LINK-CLOSED", "pub=%s rep=%s link closed", l->pub_url, l->rep_url);
    link_teardown(l);
}
