/* member_doc.c - an etcd key or prefix the member reads, then watches, in revision order. */
#include "cluster/member_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cluster/member_int.h"
#include "util/err.h"
#include "util/log.h"

static const acd_etcd_keys_t *doc_keys(const acd__member_doc_t *d, acd_etcd_keys_t *out)
{
    *out = (acd_etcd_keys_t){.key = acd_str_from(d->key), .prefix = d->prefix};
    return out;
}

void acd__member_doc_init(acd__member_doc_t *d, acd_member_t *m, const char *key, bool prefix,
                          acd__member_doc_cb cb)
{
    *d = (acd__member_doc_t){.m = m, .prefix = prefix, .cb = cb};
    snprintf(d->key, sizeof(d->key), "%s", key);
}

/*
 * Hands kv over unless something newer was handed over already. Several keys may change
 * in one revision (a transaction, a prefix delete): each is handed over; the watch never
 * delivers a revision twice (it resumes after the last one it delivered, and etcd never
 * splits a revision's events), so an equal revision is another key of the same change.
 */
static void doc_event(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud)
{
    acd__member_doc_t *d = ud;
    (void)w;
    if (ev->type == ACD_ETCD_EVENT_COMPACTED) {
        /* Changes were lost: the watch is idle now, and a new read is the truth. */
        acd__member_doc_stop(d);
        acd__member_doc_start(d);
        return;
    }
    if (!ev->kv || (ev->type != ACD_ETCD_EVENT_PUT && ev->type != ACD_ETCD_EVENT_DELETE))
        return;
    int64_t rev = ev->kv->mod_revision;
    if (rev && rev < d->rev)
        return;
    if (rev > d->rev)
        d->rev = rev;
    d->cb(d, ev->kv, ev->type == ACD_ETCD_EVENT_DELETE);
}

static void doc_range(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    acd__member_doc_t *d = ud;
    (void)e;
    if (res->err < 0) {
        if (res->err != -ECANCELED && !d->m->closing)
            acd__member_doc_start(d); /* retried: the client moves on to the next member */
        return;
    }
    if (!d->prefix && res->n_kvs == 0) {
        d->cb(d, NULL, false); /* no key is an answer too */
    } else {
        /* Every key of one read is compared with what was handed over before it. */
        int64_t before = d->rev;
        for (size_t i = 0; i < res->n_kvs; i++) {
            const acd_etcd_kv_t *kv = &res->kvs[i];
            if (d->prefix && kv->mod_revision && kv->mod_revision <= before)
                continue;
            if (kv->mod_revision > d->rev)
                d->rev = kv->mod_revision;
            d->cb(d, kv, false);
        }
    }
    if (res->revision > d->rev)
        d->rev = res->revision;
    acd_etcd_keys_t keys;
    if (acd_etcd_watch_start(&d->watch, d->m->etcd, doc_keys(d, &keys), res->revision + 1,
                             doc_event, d) < 0)
        d->watch = NULL;
}

void acd__member_doc_start(acd__member_doc_t *d)
{
    acd_etcd_keys_t keys;
    (void)acd_etcd_range(d->m->etcd, doc_keys(d, &keys), doc_range, d);
}

void acd__member_doc_stop(acd__member_doc_t *d)
{
    if (d->watch)
        acd_etcd_watch_stop(d->watch);
    d->watch = NULL;
}

/* ---- writing ---- */

typedef struct doc_put {
    const char *fail_id; /* static */
    void (*cb)(void *ud, int err);
    void *ud;
} doc_put_t;

static void doc_put_done(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    doc_put_t *p = ud;
    (void)e;
    if (res->err < 0 && p->fail_id)
        acd_log_warn(p->fail_id, "err=%s", acd_strerror(res->err));
    if (p->cb)
        p->cb(p->ud, res->err);
    free(p);
}

int acd__member_doc_put(acd_member_t *m, const char *key, const char *text, size_t len,
                        const char *fail_id, void (*cb)(void *ud, int err), void *ud)
{
    if (!m || !key || m->closing || !m->etcd)
        return -EINVAL;
    doc_put_t *p = malloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    *p = (doc_put_t){.fail_id = fail_id, .cb = cb, .ud = ud};
    acd_str_t k = acd_str_from(key);
    int rc = text ? acd_etcd_put(m->etcd, k, (acd_str_t){.p = text, .n = len}, 0, doc_put_done, p)
                  : acd_etcd_delete_range(m->etcd, ACD_ETCD_KEY(k), doc_put_done, p);
    if (rc < 0)
        free(p);
    return rc;
}
