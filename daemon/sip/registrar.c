/* registrar.c - agent phone bindings: REGISTER handling, expiry sweep. */
#include "sip/registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/digest.h"
#include "util/err.h"
#include "util/hmap.h"
#include "util/log.h"

#define REG_MIN_EXPIRES 60
#define REG_DEFAULT_EXPIRES 3600
#define REG_REALM "acdd"
#define REG_NONCE_MAX_AGE_S 300

typedef struct reg_entry {
    acd_hmap_node_t node;
    acd_sip_binding_t b;
} reg_entry_t;

struct acd_registrar {
    uv_loop_t *loop;
    uv_timer_t sweep;
    acd_registrar_ops_t ops;
    void *ud;
    int max_expires;
    char secret[33];       /* keys this process's nonces */
    acd_hmap_t entries;
    bool closing;
};

static void reg_remove(acd_registrar_t *r, reg_entry_t *e, const char *why)
{
    char user[64];
    snprintf(user, sizeof(user), "%s", e->b.user);
    acd_hmap_remove(&r->entries, &e->node);
    free(e);
    acd_log_info("ACD-SIP-REG-UNBOUND", "user=%s reason=%s", user, why);
    if (r->ops.changed)
        r->ops.changed(r->ud, user, false);
}

static void reg_sweep_cb(uv_timer_t *h)
{
    acd_registrar_t *r = h->data;
    uint64_t now = uv_now(r->loop);
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->entries);
    while ((n = acd_hmap_iter_next(&it))) {
        reg_entry_t *e = acd_container_of(n, reg_entry_t, node);
        if (e->b.expires_at <= now)
            reg_remove(r, e, "expired");
    }
}

int acd_registrar_alloc(acd_registrar_t **rp, uv_loop_t *loop, const acd_registrar_ops_t *ops,
                        void *ud, int max_expires)
{
    if (!rp || !loop || !ops)
        return -EINVAL;
    acd_registrar_t *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->loop = loop;
    r->ops = *ops;
    r->ud = ud;
    r->max_expires = max_expires > 0 ? max_expires : REG_DEFAULT_EXPIRES;
    acd_hmap_init(&r->entries);
    acd_sip_random_token(r->secret, sizeof(r->secret));
    uv_timer_init(loop, &r->sweep);
    r->sweep.data = r;
    uv_timer_start(&r->sweep, reg_sweep_cb, 1000, 1000);
    *rp = r;
    return 0;
}

void acd_registrar_set_max_expires(acd_registrar_t *r, int max_expires)
{
    if (max_expires > 0)
        r->max_expires = max_expires;
}

static void reg_close_cb(uv_handle_t *h)
{
    acd_registrar_t *r = h->data;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->entries);
    while ((n = acd_hmap_iter_next(&it)))
        free(acd_container_of(n, reg_entry_t, node));
    acd_hmap_fini(&r->entries);
    free(r);
}

void acd_registrar_close(acd_registrar_t *r)
{
    if (!r || r->closing)
        return;
    r->closing = true;
    uv_close((uv_handle_t *)&r->sweep, reg_close_cb);
}

const acd_sip_binding_t *acd_registrar_lookup(const acd_registrar_t *r, const char *user)
{
    acd_hmap_node_t *n = acd_hmap_get(&r->entries, acd_str_from(user));
    if (!n)
        return NULL;
    const reg_entry_t *e = acd_container_of(n, reg_entry_t, node);
    return e->b.expires_at > uv_now(r->loop) ? &e->b : NULL;
}

size_t acd_registrar_count(const acd_registrar_t *r)
{
    return r->entries.count;
}

void acd_registrar_foreach(const acd_registrar_t *r,
                           void (*cb)(void *ud, const acd_sip_binding_t *b), void *ud)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->entries);
    while ((n = acd_hmap_iter_next(&it)))
        cb(ud, &acd_container_of(n, reg_entry_t, node)->b);
}

static uint64_t reg_now_s(const acd_registrar_t *r)
{
    return uv_now(r->loop) / 1000;
}

static void reg_challenge(acd_registrar_t *r, acd_sip_txn_t *st, bool stale)
{
    char nonce[49];
    char hdr[200];
    acd_sip_digest_nonce(nonce, sizeof(nonce), reg_now_s(r), r->secret);
    snprintf(hdr, sizeof(hdr),
             "WWW-Authenticate: Digest realm=\"" REG_REALM "\", nonce=\"%s\", algorithm=MD5, "
             "qop=\"auth\"%s\r\n",
             nonce, stale ? ", stale=true" : "");
    acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(hdr)};
    acd_sip_txn_respond(st, 401, NULL, &o);
}

void acd_registrar_handle(acd_registrar_t *r, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                          const acd_sip_peer_t *from)
{
    char user[64];
    if (req->to.uri.user.n == 0 || req->to.uri.user.n >= sizeof(user)) {
        acd_sip_txn_respond(st, 404, NULL, NULL);
        return;
    }
    acd_str_copy(user, sizeof(user), req->to.uri.user);
    if (!r->ops.known || !r->ops.known(r->ud, user)) {
        acd_log_info("ACD-SIP-REG-UNKNOWN", "user=%s", user);
        reg_challenge(r, st, false);
        return;
    }
    const char *password = r->ops.password ? r->ops.password(r->ud, user) : NULL;
    if (password) {
        acd_sip_digest_t d;
        bool parsed = acd_str_present(req->authorization) &&
                      acd_sip_digest_parse(req->authorization, &d) == 0;
        bool fresh = parsed && acd_sip_digest_nonce_fresh(d.nonce, reg_now_s(r), r->secret,
                                                          REG_NONCE_MAX_AGE_S);
        bool good = parsed && acd_str_eqc(d.username, user) && acd_str_eqc(d.realm, REG_REALM) &&
                    acd_sip_digest_verify(&d, "REGISTER", password);
        if (!good || !fresh) {
            if (parsed && !good)
                acd_log_warn("ACD-SIP-REG-AUTH-FAILED", "user=%s", user);
            reg_challenge(r, st, good && !fresh);
            return;
        }
    }
    acd_hmap_node_t *n = acd_hmap_get(&r->entries, acd_str_from(user));
    reg_entry_t *e = n ? acd_container_of(n, reg_entry_t, node) : NULL;
    if (req->contact_count == 0) {
        /* A query: report the current binding. */
        char hdr[ACD_SIP_DIALOG_STR + 40] = "";
        if (e)
            snprintf(hdr, sizeof(hdr), "Contact: <%s>;expires=%d\r\n", e->b.contact,
                     (int)((e->b.expires_at - uv_now(r->loop)) / 1000));
        acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(hdr)};
        acd_sip_txn_respond(st, 200, NULL, &o);
        return;
    }
    int expires = req->contact.expires >= 0 ? req->contact.expires
                  : req->expires >= 0        ? req->expires
                                             : REG_DEFAULT_EXPIRES;
    if (req->contact.star) {
        if (expires != 0 || req->contact_count != 1) {
            acd_sip_txn_respond(st, 400, "Contact * needs Expires 0", NULL);
            return;
        }
        acd_sip_txn_respond(st, 200, NULL, NULL);
        if (e)
            reg_remove(r, e, "removed");
        return;
    }
    if (expires == 0) {
        acd_sip_txn_respond(st, 200, NULL, NULL);
        if (e)
            reg_remove(r, e, "removed");
        return;
    }
    if (expires < REG_MIN_EXPIRES) {
        char hdr[40];
        snprintf(hdr, sizeof(hdr), "Min-Expires: %d\r\n", REG_MIN_EXPIRES);
        acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(hdr)};
        acd_sip_txn_respond(st, 423, NULL, &o);
        return;
    }
    if (expires > r->max_expires)
        expires = r->max_expires;
    if (req->contact.uri.raw.n >= sizeof(e->b.contact) || req->contact.uri.host.n == 0) {
        acd_sip_txn_respond(st, 400, "Bad Contact", NULL);
        return;
    }
    bool fresh = e == NULL;
    if (fresh) {
        e = calloc(1, sizeof(*e));
        if (!e) {
            acd_sip_txn_respond(st, 500, NULL, NULL);
            return;
        }
        snprintf(e->b.user, sizeof(e->b.user), "%s", user);
        if (acd_hmap_insert(&r->entries, &e->node, acd_str_from(e->b.user)) < 0) {
            free(e);
            acd_sip_txn_respond(st, 500, NULL, NULL);
            return;
        }
    }
    acd_str_copy(e->b.contact, sizeof(e->b.contact), req->contact.uri.raw);
    /* The connection the REGISTER came on is kept only when the Contact names its address. */
    acd_sip_peer_for_uri(&req->contact.uri, from, &e->b.peer);
    e->b.expires_at = uv_now(r->loop) + (uint64_t)expires * 1000;
    char hdr[ACD_SIP_DIALOG_STR + 40];
    snprintf(hdr, sizeof(hdr), "Contact: <%s>;expires=%d\r\n", e->b.contact, expires);
    acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(hdr)};
    acd_sip_txn_respond(st, 200, NULL, &o);
    if (fresh) {
        acd_log_info("ACD-SIP-REG-BOUND", "user=%s contact=%s expires=%d", user, e->b.contact, expires);
        if (r->ops.changed)
            r->ops.changed(r->ud, user, true);
    }
}
