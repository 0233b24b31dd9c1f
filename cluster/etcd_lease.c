/* etcd_lease.c - etcd leases: grant, revoke, keepalive, and the lease keeper. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cluster/etcd.h"
#include "cluster/etcd_int.h"
#include "util/err.h"
#include "util/log.h"

/*
 * A keeper holds one lease. Its single timer wakes at the earlier of the next keepalive
 * and the deadline: the local time at which the lease must be taken as expired, i.e. the
 * send time of the last keepalive etcd confirmed plus the TTL it confirmed. Counting
 * from the send time errs on the safe side: etcd renewed the lease no earlier.
 */
struct acd_etcd_keeper {
    acd__etcd_owner_t own;
    acd_etcd_t *e;
    uv_timer_t timer;
    acd__etcd_req_t *req; /* the grant or the keepalive in flight */
    int64_t ttl_s;
    int64_t id;
    uint64_t interval_ms; /* between keepalives: ttl/3 */
    uint64_t sent_at;     /* when req was sent (loop time) */
    uint64_t next_send;
    uint64_t deadline;
    bool granted;
    bool doubt; /* the last answer carried no TTL: lost if the next one says so too */
    bool lost;
    bool stopped;
    acd_etcd_lease_cb cb;
    void *ud;
};

/* ---- one-shot calls ---- */

static int etcd_lease_send(acd_etcd_t *e, const char *path, const char *field, int64_t v,
                           acd__etcd_call_t *call, acd__etcd_req_t **rp)
{
    json_object *o = json_object_new_object();
    int err;

    if (!o)
        return -ENOMEM;
    err = acd__etcd_add_i64(o, field, v);
    if (err < 0) {
        json_object_put(o);
        return err;
    }
    call->path = path;
    call->body = o;
    return acd__etcd_req_start(e, call, rp);
}

int acd_etcd_lease_grant(acd_etcd_t *e, int64_t ttl_s, acd_etcd_cb cb, void *ud)
{
    acd__etcd_call_t call = {.done = acd__etcd_result_done, .cb = cb, .cb_ud = ud};

    if (!e || !cb || ttl_s < 1)
        return -EINVAL;
    return etcd_lease_send(e, "/v3/lease/grant", "TTL", ttl_s, &call, NULL);
}

int acd_etcd_lease_revoke(acd_etcd_t *e, int64_t lease, acd_etcd_cb cb, void *ud)
{
    acd__etcd_call_t call = {.done = acd__etcd_result_done, .cb = cb, .cb_ud = ud};

    if (!e || lease == 0)
        return -EINVAL;
    return etcd_lease_send(e, "/v3/lease/revoke", "ID", lease, &call, NULL);
}

/* A keepalive answered without a TTL means etcd no longer has the lease. */
static void etcd_keepalive_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_result_t res = {.err = err};
    acd_etcd_kv_t *mem = NULL;

    (void)ud;
    if (!r->cb)
        return;
    if (err == 0 && acd__etcd_result_parse(body, &res, &mem) == 0 && res.ttl <= 0)
        res = (acd_etcd_result_t){.err = ACD_ELEASE_LOST};
    r->cb(r->e, &res, r->cb_ud);
    free(mem);
}

int acd_etcd_lease_keepalive(acd_etcd_t *e, int64_t lease, acd_etcd_cb cb, void *ud)
{
    acd__etcd_call_t call = {.done = etcd_keepalive_done, .cb = cb, .cb_ud = ud};

    if (!e || !cb || lease == 0)
        return -EINVAL;
    return etcd_lease_send(e, "/v3/lease/keepalive", "ID", lease, &call, NULL);
}

/* ---- the keeper ---- */

/* The monotonic clock in ms, read fresh: the loop's cached time may be stale. */
static uint64_t etcd_keeper_now(void)
{
    return uv_hrtime() / 1000000u;
}

static void etcd_keeper_tick(uv_timer_t *t);

static void etcd_keeper_closed(uv_handle_t *h)
{
    acd_etcd_keeper_t *k = h->data;
    acd_etcd_t *e = k->e;

    free(k);
    acd__etcd_handle_closed(e);
}

/* Arms the timer for the earlier of the next keepalive and the deadline. */
static void etcd_keeper_arm(acd_etcd_keeper_t *k)
{
    uint64_t now = etcd_keeper_now();
    uint64_t at = k->next_send < k->deadline ? k->next_send : k->deadline;

    uv_timer_start(&k->timer, etcd_keeper_tick, at > now ? at - now : 0, 0);
}

/* Revokes k's lease in the background (the request belongs to the client). */
static void etcd_keeper_revoke(acd_etcd_keeper_t *k)
{
    int err = k->e->closing ? ACD_ESTATE : acd_etcd_lease_revoke(k->e, k->id, NULL, NULL);

    acd_log_info("ACD-ETCD-LEASE-REVOKE", "lease=%" PRId64 " err=%s", k->id, acd_errname(err));
}

static void etcd_keeper_lost(acd_etcd_keeper_t *k, int err)
{
    if (k->lost || k->stopped)
        return;
    k->lost = true;
    acd__etcd_req_cancel(k->req);
    k->req = NULL;
    uv_timer_stop(&k->timer);
    acd_log_warn("ACD-ETCD-LEASE-LOST", "lease=%" PRId64 " ttl=%" PRId64 " err=%s", k->id, k->ttl_s,
                 acd_errname(err));
    /* Given up by the local clock, the lease may still live in etcd (a late keepalive
       may even have renewed it): revoke it, so etcd drops what we no longer claim. */
    if (err == -ETIMEDOUT && k->granted)
        etcd_keeper_revoke(k);
    k->cb(k, ACD_ETCD_LEASE_LOST, k->id, err, k->ud);
}

/* The TTL etcd confirmed, or ACD_ELEASE_LOST when the answer carries none. */
static int etcd_keeper_ttl(json_object *body, int64_t *ttl)
{
    acd_etcd_result_t res;
    acd_etcd_kv_t *mem = NULL;
    int err = acd__etcd_result_parse(body, &res, &mem);

    free(mem);
    if (err < 0)
        return err;
    *ttl = res.ttl;
    return res.ttl > 0 ? 0 : ACD_ELEASE_LOST;
}

static void etcd_keeper_keepalive_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_keeper_t *k = ud;
    int64_t ttl = 0;

    k->req = NULL;
    if (err == 0)
        err = etcd_keeper_ttl(body, &ttl);
    if (err == ACD_ELEASE_LOST && !k->doubt) {
        /* While etcd changes leaders a keepalive can come back without a TTL although the
         * lease lives on (the new leader refreshes leases), and a member that is catching
         * up after a partition answers from its stale state. One such answer is doubt;
         * the next tick asks another member; a second in a row, or the deadline, is the
         * loss. */
        k->doubt = true;
        acd_log_info("ACD-ETCD-LEASE-DOUBT", "lease=%" PRId64 ": keepalive answered without a TTL"
                     " by %s; asking another member", k->id, r->url);
        acd__etcd_failover(k->e, r->ep);
        return;
    }
    if (err == ACD_ELEASE_LOST) {
        etcd_keeper_lost(k, err);
        return;
    }
    if (err < 0) {
        /* Not an answer about the lease: the next tick tries again, the deadline rules. */
        acd_log_info("ACD-ETCD-LEASE-KEEPALIVE-FAILED", "lease=%" PRId64 " err=%s", k->id,
                     acd_errname(err));
        return;
    }
    k->doubt = false;
    if (k->sent_at + (uint64_t)ttl * 1000 > k->deadline)
        k->deadline = k->sent_at + (uint64_t)ttl * 1000;
    etcd_keeper_arm(k);
}

static void etcd_keeper_send(acd_etcd_keeper_t *k)
{
    acd__etcd_call_t call = {
        .path = "/v3/lease/keepalive",
        .timeout_ms = k->interval_ms < k->e->timeout_ms ? (unsigned)k->interval_ms : 0,
        .done = etcd_keeper_keepalive_done,
        .ud = k,
    };
    json_object *o = json_object_new_object();
    int err = o ? acd__etcd_add_i64(o, "ID", k->id) : -ENOMEM;

    if (err < 0) {
        json_object_put(o);
    } else {
        call.body = o;
        k->sent_at = etcd_keeper_now();
        err = acd__etcd_req_start(k->e, &call, &k->req);
    }
    if (err < 0)
        acd_log_info("ACD-ETCD-LEASE-KEEPALIVE-FAILED", "lease=%" PRId64 " err=%s", k->id,
                     acd_errname(err));
}

static void etcd_keeper_tick(uv_timer_t *t)
{
    acd_etcd_keeper_t *k = t->data;
    uint64_t now = etcd_keeper_now();

    if (now >= k->deadline) {
        etcd_keeper_lost(k, -ETIMEDOUT);
        return;
    }
    if (now >= k->next_send) {
        /* One keepalive at a time: a slow one is not doubled, the deadline bounds it. */
        if (!k->req)
            etcd_keeper_send(k);
        k->next_send = now + k->interval_ms;
    }
    etcd_keeper_arm(k);
}

static void etcd_keeper_grant_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_keeper_t *k = ud;
    acd_etcd_result_t res = {0};
    acd_etcd_kv_t *mem = NULL;

    (void)r;
    k->req = NULL;
    if (err == 0)
        err = acd__etcd_result_parse(body, &res, &mem);
    free(mem);
    if (err == 0 && (res.lease == 0 || res.ttl <= 0))
        err = ACD_EPROTO;
    if (err < 0) {
        etcd_keeper_lost(k, err);
        return;
    }
    k->id = res.lease;
    k->granted = true;
    k->deadline = k->sent_at + (uint64_t)res.ttl * 1000;
    k->next_send = etcd_keeper_now() + k->interval_ms;
    etcd_keeper_arm(k);
    acd_log_info("ACD-ETCD-LEASE-GRANTED", "lease=%" PRId64 " ttl=%" PRId64, k->id, res.ttl);
    k->cb(k, ACD_ETCD_LEASE_GRANTED, k->id, 0, k->ud);
}

/* Stops without callbacks; revokes only when asked and the client still runs. */
static void etcd_keeper_halt(acd_etcd_keeper_t *k, bool revoke)
{
    if (k->stopped)
        return;
    k->stopped = true;
    acd_list_remove(&k->own.node);
    acd__etcd_req_cancel(k->req);
    k->req = NULL;
    if (revoke && k->granted && !k->lost)
        etcd_keeper_revoke(k);
    uv_close((uv_handle_t *)&k->timer, etcd_keeper_closed);
}

static void etcd_keeper_own_stop(acd__etcd_owner_t *o)
{
    etcd_keeper_halt(acd_container_of(o, acd_etcd_keeper_t, own), false);
}

int acd_etcd_lease_start(acd_etcd_keeper_t **kp, acd_etcd_t *e, int64_t ttl_s, acd_etcd_lease_cb cb,
                         void *ud)
{
    acd__etcd_call_t call = {.path = "/v3/lease/grant", .done = etcd_keeper_grant_done};
    acd_etcd_keeper_t *k;
    int err;

    if (!kp || !e || !cb || ttl_s < 1 || ttl_s > INT32_MAX)
        return -EINVAL;
    if (e->closing)
        return ACD_ESTATE;
    k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->e = e;
    k->ttl_s = ttl_s;
    k->interval_ms = (uint64_t)ttl_s * 1000 / 3;
    k->next_send = UINT64_MAX;
    k->deadline = UINT64_MAX;
    k->cb = cb;
    k->ud = ud;
    k->own.stop = etcd_keeper_own_stop;
    acd_list_init(&k->own.node);
    err = uv_timer_init(e->loop, &k->timer);
    if (err < 0) {
        free(k);
        return err;
    }
    k->timer.data = k;
    e->handles++;
    acd__etcd_owner_add(e, &k->own);
    call.ud = k;
    k->sent_at = etcd_keeper_now();
    err = etcd_lease_send(e, call.path, "TTL", ttl_s, &call, &k->req);
    if (err < 0) {
        /* The timer exists: k goes in its close callback, *kp stays untouched. */
        etcd_keeper_halt(k, false);
        return err;
    }
    *kp = k;
    return 0;
}

int64_t acd_etcd_lease_id(const acd_etcd_keeper_t *k)
{
    return k && k->granted ? k->id : 0;
}

void acd_etcd_lease_stop(acd_etcd_keeper_t *k)
{
    if (k)
        etcd_keeper_halt(k, true);
}
