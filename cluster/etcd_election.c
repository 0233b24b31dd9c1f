/* etcd_election.c - etcd elections: campaign, resign, leader query and observe streams. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd.h"
#include "cluster/etcd_int.h"
#include "util/err.h"
#include "util/log.h"

#define ETCD_OBSERVE_BACKOFF_MIN_MS 100u
#define ETCD_OBSERVE_BACKOFF_MAX_MS 2000u

struct acd_etcd_campaign {
    acd__etcd_owner_t own;
    acd_etcd_t *e;
    uv_timer_t timer;     /* defers a resign's callback when no request is needed */
    acd__etcd_req_t *req; /* the campaign while it waits */
    json_object *leader;  /* as etcd sent it, once elected: resign sends it back */
    bool resigned;
    acd_etcd_elected_cb cb;
    void *ud;
    acd_etcd_cb resign_cb;
    void *resign_ud;
    int resign_err;
};

struct acd_etcd_observe {
    acd__etcd_owner_t own;
    acd_etcd_t *e;
    uv_timer_t timer; /* reconnect backoff */
    acd__etcd_req_t *req;
    acd_buf_t name;
    acd_buf_t last_key; /* the leader reported last, to report each one once */
    int64_t last_rev;
    unsigned backoff_ms;
    bool stopped;
    acd_etcd_observe_cb cb;
    void *ud;
};

/* Adds "name": base64 of name; -EINVAL when it is empty. */
static int etcd_add_name(json_object *o, acd_str_t name)
{
    if (!o)
        return -ENOMEM;
    if (!name.p || name.n == 0)
        return -EINVAL;
    return acd__etcd_add_b64(o, "name", name);
}

/* ---- campaign and resign ---- */

static void etcd_campaign_closed(uv_handle_t *h)
{
    acd_etcd_campaign_t *c = h->data;
    acd_etcd_t *e = c->e;

    json_object_put(c->leader);
    free(c);
    acd__etcd_handle_closed(e);
}

/* Decodes etcd's leader object {name, key, rev, lease}; *mem holds the bytes. */
static int etcd_leader_parse(json_object *lo, acd_etcd_leader_t *l, char **mem)
{
    char *name = NULL, *key = NULL;
    size_t nn = 0, kn = 0;
    int err = acd__etcd_get_b64(lo, "name", &name, &nn);

    if (err == 0)
        err = acd__etcd_get_b64(lo, "key", &key, &kn);
    if (err == 0)
        err = acd__etcd_get_i64(lo, "rev", &l->rev);
    if (err == 0)
        err = acd__etcd_get_i64(lo, "lease", &l->lease);
    if (err == 0 && (kn == 0 || l->rev <= 0))
        err = ACD_EPROTO;
    if (err == 0) {
        /* One block for both, so the caller frees one pointer. */
        char *both = malloc(nn + kn + 2);
        err = both ? 0 : -ENOMEM;
        if (both) {
            memcpy(both, name, nn + 1);
            memcpy(both + nn + 1, key, kn + 1);
            l->name = (acd_str_t){both, nn};
            l->key = (acd_str_t){both + nn + 1, kn};
            *mem = both;
        }
    }
    free(name);
    free(key);
    return err;
}

static void etcd_campaign_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_campaign_t *c = ud;
    acd_etcd_leader_t leader = {0};
    json_object *lo = NULL;
    char *mem = NULL;

    (void)r;
    c->req = NULL;
    if (err == 0 && !json_object_object_get_ex(body, "leader", &lo))
        err = ACD_EPROTO;
    if (err == 0)
        err = etcd_leader_parse(lo, &leader, &mem);
    if (err < 0) {
        acd_log_warn("ACD-ETCD-CAMPAIGN-FAILED", "err=%s", acd_errname(err));
        c->cb(c, err, NULL, c->ud);
        return;
    }
    c->leader = json_object_get(lo);
    acd_log_notice("ACD-ETCD-ELECTED", "name=%.*s rev=%" PRId64 " lease=%" PRId64,
                   ACD_STR_FMT(leader.name), leader.rev, leader.lease);
    c->cb(c, 0, &leader, c->ud);
    free(mem);
}

static void etcd_campaign_halt(acd_etcd_campaign_t *c)
{
    c->resigned = true;
    acd_list_remove(&c->own.node);
    acd__etcd_req_cancel(c->req);
    c->req = NULL;
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, etcd_campaign_closed);
}

static void etcd_campaign_own_stop(acd__etcd_owner_t *o)
{
    acd_etcd_campaign_t *c = acd_container_of(o, acd_etcd_campaign_t, own);

    c->resign_cb = NULL;
    etcd_campaign_halt(c);
}

int acd_etcd_campaign(acd_etcd_campaign_t **cp, acd_etcd_t *e, acd_str_t name, int64_t lease,
                      acd_str_t value, acd_etcd_elected_cb cb, void *ud)
{
    acd__etcd_call_t call = {
        .path = "/v3/election/campaign",
        .timeout_ms = ACD__ETCD_NO_TIMEOUT,
        .done = etcd_campaign_done,
    };
    acd_etcd_campaign_t *c;
    json_object *o;
    int err;

    if (!cp || !e || !cb || lease == 0 || (!value.p && value.n))
        return -EINVAL;
    if (e->closing)
        return ACD_ESTATE;
    o = json_object_new_object();
    err = etcd_add_name(o, name);
    if (err == 0)
        err = acd__etcd_add_i64(o, "lease", lease);
    if (err == 0)
        err = acd__etcd_add_b64(o, "value", value);
    c = err == 0 ? calloc(1, sizeof(*c)) : NULL;
    if (err == 0 && !c)
        err = -ENOMEM;
    if (err == 0)
        err = uv_timer_init(e->loop, &c->timer);
    if (err < 0) {
        json_object_put(o);
        free(c);
        return err;
    }
    c->e = e;
    c->cb = cb;
    c->ud = ud;
    c->timer.data = c;
    c->own.stop = etcd_campaign_own_stop;
    e->handles++;
    acd__etcd_owner_add(e, &c->own);
    call.body = o;
    call.ud = c;
    err = acd__etcd_req_start(e, &call, &c->req);
    if (err < 0) {
        etcd_campaign_own_stop(&c->own);
        return err;
    }
    *cp = c;
    return 0;
}

static void etcd_campaign_deferred(uv_timer_t *t)
{
    acd_etcd_campaign_t *c = t->data;
    acd_etcd_result_t res = {.err = c->resign_err};
    acd_etcd_cb cb = c->resign_cb;

    uv_close((uv_handle_t *)&c->timer, etcd_campaign_closed);
    if (cb)
        cb(c->e, &res, c->resign_ud);
}

int acd_etcd_resign(acd_etcd_campaign_t *c, acd_etcd_cb cb, void *ud)
{
    json_object *o;
    int err = 0;

    if (!c)
        return -EINVAL;
    if (c->resigned)
        return ACD_ESTATE;
    if (c->leader && !c->e->closing) {
        o = json_object_new_object();
        err = o ? 0 : -ENOMEM;
        if (err == 0 && json_object_object_add(o, "leader", json_object_get(c->leader)) != 0) {
            json_object_put(c->leader);
            err = -ENOMEM;
        }
        if (err == 0) {
            acd_log_notice("ACD-ETCD-RESIGN", "key_rev=%s",
                           json_object_get_string(json_object_object_get(c->leader, "rev")));
            err = acd__etcd_unary(c->e, "/v3/election/resign", o, cb, ud);
            if (err == 0) {
                etcd_campaign_halt(c);
                return 0;
            }
        } else {
            json_object_put(o);
        }
    }
    /* Withdrawn (cancelling the campaign request makes etcd drop the candidate key),
       failed, or the resign could not be sent: report it from the loop. */
    c->resign_cb = cb;
    c->resign_ud = ud;
    c->resign_err = err;
    c->resigned = true;
    acd_list_remove(&c->own.node);
    acd__etcd_req_cancel(c->req);
    c->req = NULL;
    uv_timer_start(&c->timer, etcd_campaign_deferred, 0, 0);
    return 0;
}

int acd_etcd_leader(acd_etcd_t *e, acd_str_t name, acd_etcd_cb cb, void *ud)
{
    json_object *o;
    int err;

    if (!e || !cb)
        return -EINVAL;
    o = json_object_new_object();
    err = etcd_add_name(o, name);
    if (err < 0) {
        json_object_put(o);
        return err;
    }
    return acd__etcd_unary(e, "/v3/election/leader", o, cb, ud);
}

/* ---- observe ---- */

static int etcd_observe_connect(acd_etcd_observe_t *o);

static void etcd_observe_closed(uv_handle_t *h)
{
    acd_etcd_observe_t *o = h->data;
    acd_etcd_t *e = o->e;

    acd_buf_fini(&o->name);
    acd_buf_fini(&o->last_key);
    free(o);
    acd__etcd_handle_closed(e);
}

static void etcd_observe_retry_cb(uv_timer_t *t)
{
    acd_etcd_observe_t *o = t->data;
    int err = etcd_observe_connect(o);

    if (err < 0 && err != ACD_ESTATE) {
        acd_log_warn("ACD-ETCD-OBSERVE-RECONNECT-FAILED", "err=%s", acd_errname(err));
        uv_timer_start(&o->timer, etcd_observe_retry_cb, ETCD_OBSERVE_BACKOFF_MAX_MS, 0);
    }
}

static void etcd_observe_reconnect(acd_etcd_observe_t *o, int err)
{
    acd__etcd_req_cancel(o->req);
    o->req = NULL;
    acd_log_info("ACD-ETCD-OBSERVE-RECONNECT", "in_ms=%u err=%s", o->backoff_ms, acd_errname(err));
    uv_timer_start(&o->timer, etcd_observe_retry_cb, o->backoff_ms, 0);
    o->backoff_ms *= 2;
    if (o->backoff_ms > ETCD_OBSERVE_BACKOFF_MAX_MS)
        o->backoff_ms = ETCD_OBSERVE_BACKOFF_MAX_MS;
}

static void etcd_observe_obj(acd__etcd_req_t *r, json_object *obj, void *ud)
{
    acd_etcd_observe_t *o = ud;
    json_object *kvo = NULL;
    acd_etcd_kv_t *kv = NULL;
    int err;

    (void)r;
    if (!json_object_object_get_ex(obj, "kv", &kvo))
        return;
    err = acd__etcd_kvs_decode(&kvo, 1, &kv);
    if (err < 0) {
        etcd_observe_reconnect(o, err);
        return;
    }
    o->backoff_ms = ETCD_OBSERVE_BACKOFF_MIN_MS;
    if (kv->create_revision != o->last_rev || !acd_str_eq(kv->key, acd_buf_str(&o->last_key))) {
        o->last_rev = kv->create_revision;
        acd_buf_reset(&o->last_key);
        if (acd_buf_append_str(&o->last_key, kv->key) < 0)
            o->last_rev = 0; /* cannot remember it: report it again rather than miss one */
        acd_log_info("ACD-ETCD-OBSERVE-LEADER", "rev=%" PRId64 " lease=%" PRId64,
                     kv->create_revision, kv->lease);
        o->cb(o, kv, o->ud);
    }
    free(kv);
}

static void etcd_observe_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_observe_t *o = ud;

    (void)r;
    (void)body;
    o->req = NULL;
    etcd_observe_reconnect(o, err ? err : -ECONNRESET);
}

static int etcd_observe_connect(acd_etcd_observe_t *o)
{
    acd__etcd_call_t call = {
        .path = "/v3/election/observe",
        .timeout_ms = ACD__ETCD_NO_TIMEOUT,
        .stream = true,
        .done = etcd_observe_done,
        .obj = etcd_observe_obj,
        .ud = o,
    };
    json_object *body = json_object_new_object();
    int err = etcd_add_name(body, acd_buf_str(&o->name));

    if (err < 0) {
        json_object_put(body);
        return err;
    }
    call.body = body;
    return acd__etcd_req_start(o->e, &call, &o->req);
}

static void etcd_observe_halt(acd_etcd_observe_t *o)
{
    if (o->stopped)
        return;
    o->stopped = true;
    acd_list_remove(&o->own.node);
    acd__etcd_req_cancel(o->req);
    o->req = NULL;
    uv_close((uv_handle_t *)&o->timer, etcd_observe_closed);
}

static void etcd_observe_own_stop(acd__etcd_owner_t *own)
{
    etcd_observe_halt(acd_container_of(own, acd_etcd_observe_t, own));
}

int acd_etcd_observe_start(acd_etcd_observe_t **op, acd_etcd_t *e, acd_str_t name,
                           acd_etcd_observe_cb cb, void *ud)
{
    acd_etcd_observe_t *o;
    int err;

    if (!op || !e || !cb || !name.p || name.n == 0)
        return -EINVAL;
    if (e->closing)
        return ACD_ESTATE;
    o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->e = e;
    o->cb = cb;
    o->ud = ud;
    o->backoff_ms = ETCD_OBSERVE_BACKOFF_MIN_MS;
    o->own.stop = etcd_observe_own_stop;
    acd_list_init(&o->own.node);
    err = acd_buf_append_str(&o->name, name);
    if (err == 0)
        err = uv_timer_init(e->loop, &o->timer);
    if (err < 0) {
        acd_buf_fini(&o->name);
        free(o);
        return err;
    }
    o->timer.data = o;
    e->handles++;
    acd__etcd_owner_add(e, &o->own);
    err = etcd_observe_connect(o);
    if (err < 0) {
        etcd_observe_halt(o);
        return err;
    }
    *op = o;
    return 0;
}

void acd_etcd_observe_stop(acd_etcd_observe_t *o)
{
    if (o)
        etcd_observe_halt(o);
}
