/* etcd_watch.c - etcd watches over the gateway's streaming /v3/watch, resumed after breaks. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd.h"
#include "cluster/etcd_int.h"
#include "util/err.h"
#include "util/log.h"

#define ETCD_WATCH_BACKOFF_MIN_MS 100u
#define ETCD_WATCH_BACKOFF_MAX_MS 2000u

/*
 * next_rev is the revision the watch resumes from: the caller's start revision until the
 * stream is created, then (for "from now") the created header's revision + 1, then the
 * last delivered revision + 1. etcd never splits one revision's events across two
 * responses, so advancing per response cannot skip half a transaction.
 */
struct acd_etcd_watch {
    acd__etcd_owner_t own;
    acd_etcd_t *e;
    uv_timer_t timer;     /* reconnect backoff */
    acd__etcd_req_t *req; /* the stream, NULL while reconnecting */
    acd_buf_t key;
    acd_buf_t range_end;
    bool has_end;
    int64_t next_rev;
    unsigned backoff_ms;
    bool stopped;
    bool idle; /* compacted: waits to be stopped */
    acd_etcd_watch_cb cb;
    void *ud;
};

static int etcd_watch_connect(acd_etcd_watch_t *w);

static void etcd_watch_closed(uv_handle_t *h)
{
    acd_etcd_watch_t *w = h->data;
    acd_etcd_t *e = w->e;

    acd_buf_fini(&w->key);
    acd_buf_fini(&w->range_end);
    free(w);
    acd__etcd_handle_closed(e);
}

static void etcd_watch_retry_cb(uv_timer_t *t)
{
    acd_etcd_watch_t *w = t->data;
    int err = etcd_watch_connect(w);

    if (err < 0 && err != ACD_ESTATE) {
        acd_log_warn("ACD-ETCD-WATCH-RECONNECT-FAILED", "err=%s", acd_errname(err));
        uv_timer_start(&w->timer, etcd_watch_retry_cb, ETCD_WATCH_BACKOFF_MAX_MS, 0);
    }
}

/* Drops the stream and tries again after the backoff. */
static void etcd_watch_reconnect(acd_etcd_watch_t *w, int err)
{
    acd__etcd_req_cancel(w->req);
    w->req = NULL;
    acd_log_info("ACD-ETCD-WATCH-RECONNECT", "from_rev=%" PRId64 " in_ms=%u err=%s", w->next_rev,
                 w->backoff_ms, acd_errname(err));
    uv_timer_start(&w->timer, etcd_watch_retry_cb, w->backoff_ms, 0);
    w->backoff_ms *= 2;
    if (w->backoff_ms > ETCD_WATCH_BACKOFF_MAX_MS)
        w->backoff_ms = ETCD_WATCH_BACKOFF_MAX_MS;
}

static void etcd_watch_compacted(acd_etcd_watch_t *w, int64_t compact_rev)
{
    acd_etcd_event_t ev = {
        .type = ACD_ETCD_EVENT_COMPACTED,
        .revision = compact_rev,
        .err = ACD_ECOMPACTED,
    };

    w->idle = true;
    acd__etcd_req_cancel(w->req);
    w->req = NULL;
    acd_log_warn("ACD-ETCD-WATCH-COMPACTED", "from_rev=%" PRId64 " compact_rev=%" PRId64,
                 w->next_rev, compact_rev);
    w->cb(w, &ev, w->ud);
}

/* Delivers the events of one response; returns ACD_EPROTO when they do not parse. */
static int etcd_watch_events(acd_etcd_watch_t *w, json_object *events)
{
    int64_t from = w->next_rev, last = 0;
    size_t n = json_object_array_length(events);

    for (size_t i = 0; i < n && !w->stopped && !w->idle; i++) {
        json_object *jev = json_object_array_get_idx(events, i), *kvo = NULL, *type = NULL;
        acd_etcd_event_t ev = {.type = ACD_ETCD_EVENT_PUT};
        acd_etcd_kv_t *kv = NULL;
        int err;

        if (!json_object_object_get_ex(jev, "kv", &kvo))
            return ACD_EPROTO;
        err = acd__etcd_kvs_decode(&kvo, 1, &kv);
        if (err < 0)
            return err;
        if (json_object_object_get_ex(jev, "type", &type) &&
            strcmp(json_object_get_string(type), "DELETE") == 0)
            ev.type = ACD_ETCD_EVENT_DELETE;
        ev.kv = kv;
        ev.revision = kv->mod_revision;
        /* A resumed stream never repeats, but a duplicate must not reach the caller. */
        if (ev.revision >= from) {
            if (ev.revision > last)
                last = ev.revision;
            w->cb(w, &ev, w->ud);
        }
        free(kv);
    }
    if (last >= w->next_rev)
        w->next_rev = last + 1;
    return 0;
}

static void etcd_watch_obj(acd__etcd_req_t *r, json_object *obj, void *ud)
{
    acd_etcd_watch_t *w = ud;
    json_object *header = NULL, *events = NULL, *v = NULL;
    int64_t rev = 0, compact_rev = 0;
    int err = 0;

    (void)r;
    json_object_object_get_ex(obj, "header", &header);
    if (json_object_object_get_ex(obj, "created", &v) && json_object_get_boolean(v)) {
        err = acd__etcd_get_i64(header, "revision", &rev);
        if (err == 0 && w->next_rev == 0)
            w->next_rev = rev + 1;
        w->backoff_ms = ETCD_WATCH_BACKOFF_MIN_MS;
        acd_log_debug("ACD-ETCD-WATCH-CREATED", "from_rev=%" PRId64, w->next_rev);
    }
    if (err == 0 && json_object_object_get_ex(obj, "events", &events)) {
        if (!json_object_is_type(events, json_type_array))
            err = ACD_EPROTO;
        else
            err = etcd_watch_events(w, events);
    }
    if (w->stopped || w->idle)
        return;
    if (err == 0 && json_object_object_get_ex(obj, "canceled", &v) && json_object_get_boolean(v)) {
        err = acd__etcd_get_i64(obj, "compact_revision", &compact_rev);
        if (err == 0 && compact_rev > 0) {
            etcd_watch_compacted(w, compact_rev);
            return;
        }
        err = err ? err : -ECANCELED;
    }
    if (err < 0)
        etcd_watch_reconnect(w, err);
}

static void etcd_watch_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_watch_t *w = ud;

    (void)r;
    (void)body;
    w->req = NULL;
    if (err == ACD_ECOMPACTED) {
        etcd_watch_compacted(w, 0);
        return;
    }
    etcd_watch_reconnect(w, err ? err : -ECONNRESET);
}

static int etcd_watch_connect(acd_etcd_watch_t *w)
{
    acd__etcd_call_t call = {
        .path = "/v3/watch",
        .timeout_ms = ACD__ETCD_NO_TIMEOUT,
        .stream = true,
        .done = etcd_watch_done,
        .obj = etcd_watch_obj,
        .ud = w,
    };
    json_object *o = json_object_new_object(), *cr = json_object_new_object();
    int err = o && cr ? 0 : -ENOMEM;

    if (err == 0)
        err = acd__etcd_add_b64(cr, "key", acd_buf_str(&w->key));
    if (err == 0 && w->has_end)
        err = acd__etcd_add_b64(cr, "range_end", acd_buf_str(&w->range_end));
    if (err == 0 && w->next_rev > 0)
        err = acd__etcd_add_i64(cr, "start_revision", w->next_rev);
    if (err == 0) {
        err = json_object_object_add(o, "create_request", cr) == 0 ? 0 : -ENOMEM;
        if (err == 0)
            cr = NULL;
    }
    json_object_put(cr);
    if (err < 0) {
        json_object_put(o);
        return err;
    }
    call.body = o;
    return acd__etcd_req_start(w->e, &call, &w->req);
}

static void etcd_watch_halt(acd_etcd_watch_t *w)
{
    if (w->stopped)
        return;
    w->stopped = true;
    acd_list_remove(&w->own.node);
    acd__etcd_req_cancel(w->req);
    w->req = NULL;
    uv_close((uv_handle_t *)&w->timer, etcd_watch_closed);
}

static void etcd_watch_own_stop(acd__etcd_owner_t *o)
{
    etcd_watch_halt(acd_container_of(o, acd_etcd_watch_t, own));
}

/* Copies the selection as [key, range_end) so every reconnect asks the same. */
static int etcd_watch_keys(acd_etcd_watch_t *w, const acd_etcd_keys_t *keys)
{
    json_object *o = json_object_new_object();
    char *p = NULL;
    size_t n = 0;
    int err = o ? acd__etcd_add_keys(o, keys) : -ENOMEM;

    if (err == 0)
        err = acd__etcd_get_b64(o, "key", &p, &n);
    if (err == 0)
        err = acd_buf_append(&w->key, p, n);
    free(p);
    p = NULL;
    w->has_end = o && json_object_object_get_ex(o, "range_end", NULL);
    if (err == 0 && w->has_end)
        err = acd__etcd_get_b64(o, "range_end", &p, &n);
    if (err == 0 && w->has_end)
        err = acd_buf_append(&w->range_end, p, n);
    free(p);
    json_object_put(o);
    return err;
}

int acd_etcd_watch_start(acd_etcd_watch_t **wp, acd_etcd_t *e, const acd_etcd_keys_t *keys,
                         int64_t start_revision, acd_etcd_watch_cb cb, void *ud)
{
    acd_etcd_watch_t *w;
    int err;

    if (!wp || !e || !keys || !cb || start_revision < 0)
        return -EINVAL;
    if (e->closing)
        return ACD_ESTATE;
    w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->e = e;
    w->cb = cb;
    w->ud = ud;
    w->next_rev = start_revision;
    w->backoff_ms = ETCD_WATCH_BACKOFF_MIN_MS;
    w->own.stop = etcd_watch_own_stop;
    acd_list_init(&w->own.node);
    err = etcd_watch_keys(w, keys);
    if (err == 0)
        err = uv_timer_init(e->loop, &w->timer);
    if (err < 0) {
        acd_buf_fini(&w->key);
        acd_buf_fini(&w->range_end);
        free(w);
        return err;
    }
    w->timer.data = w;
    e->handles++;
    acd__etcd_owner_add(e, &w->own);
    err = etcd_watch_connect(w);
    if (err < 0) {
        etcd_watch_halt(w);
        return err;
    }
    *wp = w;
    return 0;
}

void acd_etcd_watch_stop(acd_etcd_watch_t *w)
{
    if (w)
        etcd_watch_halt(w);
}
