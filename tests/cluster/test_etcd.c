/* test_etcd.c - the etcd client against real etcd: KV, txn, failover, leases, watch, election. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "cluster/etcd.h"
#include "etcd_fixture.h"
#include "util/err.h"
#include "util/log.h"

/* ---- loop harness ---- */

typedef struct tctx {
    ef_cluster_t cl;
    uv_loop_t loop;
    uv_timer_t tick;   /* keeps uv_run(ONCE) returning while a test waits */
    acd_etcd_t *es[8]; /* clients not closed yet: teardown closes them after a failure */
    int closed;
} tctx_t;

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until cond holds or ms pass; asserts cond. */
#define WAIT(t, cond, ms)                                                                          \
    do {                                                                                           \
        uint64_t dl_ = ef_now_ms() + (ms);                                                         \
        while (!(cond) && ef_now_ms() < dl_)                                                       \
            uv_run(&(t)->loop, UV_RUN_ONCE);                                                       \
        if (!(cond))                                                                               \
            fail_msg("timed out after %d ms waiting for: %s", (int)(ms), #cond);                   \
    } while (0)

/* Runs the loop for ms (used only where time itself is the subject: TTLs). */
static void run_for(tctx_t *t, unsigned ms)
{
    uint64_t dl = ef_now_ms() + ms;

    while (ef_now_ms() < dl)
        uv_run(&t->loop, UV_RUN_ONCE);
}

static int setup_n(void **state, int n)
{
    tctx_t *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    if (ef_start(&t->cl, n) != 0) {
        free(t);
        return -1;
    }
    uv_loop_init(&t->loop);
    uv_timer_init(&t->loop, &t->tick);
    uv_timer_start(&t->tick, tick_cb, 20, 20);
    *state = t;
    return 0;
}

static int setup_one(void **state)
{
    return setup_n(state, 1);
}

static int setup_three(void **state)
{
    return setup_n(state, 3);
}

static void closed_cb(void *ud)
{
    (*(int *)ud)++;
}

/* Kills the members first, whatever the test left; then checks the loop closes clean. */
static int teardown(void **state)
{
    tctx_t *t = *state;
    int rc, open = 0;

    ef_stop(&t->cl);
    t->closed = 0;
    for (int i = 0; i < 8; i++)
        if (t->es[i]) {
            acd_etcd_close(t->es[i], closed_cb, &t->closed);
            t->es[i] = NULL;
            open++;
        }
    for (uint64_t dl = ef_now_ms() + 3000; t->closed < open && ef_now_ms() < dl;)
        uv_run(&t->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t->tick, NULL);
    run_for(t, 50);
    uv_run(&t->loop, UV_RUN_NOWAIT);
    rc = uv_loop_close(&t->loop);
    free(t);
    assert_int_equal(rc, 0);
    return 0;
}

/* ---- clients and results ---- */

typedef struct rec {
    bool done;
    int err;
    int64_t revision, count, deleted, lease, ttl;
    bool succeeded;
    size_t n;
    char key[8][32];
    char val[8][32];
    int64_t create_rev[8], mod_rev[8], kv_lease[8];
} rec_t;

static void rec_cb(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    rec_t *r = ud;

    (void)e;
    memset(r, 0, sizeof(*r));
    r->done = true;
    r->err = res->err;
    r->revision = res->revision;
    r->count = res->count;
    r->deleted = res->deleted;
    r->lease = res->lease;
    r->ttl = res->ttl;
    r->succeeded = res->succeeded;
    r->n = res->n_kvs;
    for (size_t i = 0; i < res->n_kvs && i < 8; i++) {
        acd_str_copy(r->key[i], sizeof(r->key[i]), res->kvs[i].key);
        acd_str_copy(r->val[i], sizeof(r->val[i]), res->kvs[i].value);
        r->create_rev[i] = res->kvs[i].create_revision;
        r->mod_rev[i] = res->kvs[i].mod_revision;
        r->kv_lease[i] = res->kvs[i].lease;
    }
}

static acd_etcd_t *client(tctx_t *t, const char *const *eps, size_t n, unsigned timeout_ms)
{
    acd_etcd_t *e = NULL;
    acd_etcd_cfg_t cfg = {.endpoints = eps, .n_endpoints = n, .request_timeout_ms = timeout_ms};

    assert_int_equal(acd_etcd_alloc(&e, &t->loop, &cfg), 0);
    for (int i = 0; i < 8; i++)
        if (!t->es[i]) {
            t->es[i] = e;
            break;
        }
    return e;
}

static void close_clients(tctx_t *t, acd_etcd_t **es, int n)
{
    int closed = 0;

    for (int i = 0; i < n; i++) {
        acd_etcd_close(es[i], closed_cb, &closed);
        acd_etcd_close(es[i], closed_cb, &closed); /* idempotent */
        for (int j = 0; j < 8; j++)
            if (t->es[j] == es[i])
                t->es[j] = NULL;
    }
    WAIT(t, closed == n, 3000);
}

/* Synchronous wrappers: start, wait (bounded), return the record. */
#define DO(t, r, call)                                                                             \
    do {                                                                                           \
        memset(&(r), 0, sizeof(r));                                                                \
        assert_int_equal((call), 0);                                                               \
        WAIT(t, (r).done, 15000);                                                                  \
    } while (0)

static void put_ok(tctx_t *t, acd_etcd_t *e, const char *k, const char *v, int64_t lease,
                   int64_t *rev)
{
    rec_t r;

    DO(t, r, acd_etcd_put(e, acd_str_from(k), acd_str_from(v), lease, rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_true(r.revision > 0);
    if (rev)
        *rev = r.revision;
}

/* ---- KV and txn ---- */

static void test_kv_txn(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *e = client(t, eps, 1, 3000);
    int64_t rev_a, rev;
    rec_t r;

    put_ok(t, e, "t/a", "1", 0, &rev_a);
    put_ok(t, e, "t/b", "2", 0, NULL);
    put_ok(t, e, "u/c", "3", 0, &rev);
    assert_true(rev > rev_a);

    DO(t, r, acd_etcd_range(e, ACD_ETCD_PREFIX(ACD_STR("t/")), rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.key[0], "t/a");
    assert_string_equal(r.val[0], "1");
    assert_string_equal(r.key[1], "t/b");
    assert_string_equal(r.val[1], "2");
    assert_int_equal(r.create_rev[0], rev_a);
    assert_int_equal(r.mod_rev[0], rev_a);
    assert_int_equal(r.revision, rev);

    DO(t, r, acd_etcd_range(e, ACD_ETCD_KEY(ACD_STR("nope")), rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.n, 0);

    /* Create-revision compare holds: the success put runs. */
    acd_etcd_cmp_t cmp_ok = {.key = ACD_STR("t/a"), .target = ACD_ETCD_CMP_CREATE, .number = rev_a};
    acd_etcd_op_t put_x = {
        .type = ACD_ETCD_OP_PUT, .keys.key = ACD_STR("t/x"), .value = ACD_STR("ok")};
    acd_etcd_op_t get_a = {.type = ACD_ETCD_OP_RANGE, .keys.key = ACD_STR("t/a")};
    acd_etcd_txn_t txn = {.cmp = &cmp_ok,
                          .n_cmp = 1,
                          .success = &put_x,
                          .n_success = 1,
                          .failure = &get_a,
                          .n_failure = 1};
    DO(t, r, acd_etcd_txn(e, &txn, rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_true(r.succeeded);
    assert_int_equal(r.revision, rev + 1);
    assert_int_equal(r.n, 0);
    DO(t, r, acd_etcd_range(e, ACD_ETCD_KEY(ACD_STR("t/x")), rec_cb, &r));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.val[0], "ok");

    /* Value compare fails: no "succeeded" in the answer; the failure range runs. */
    acd_etcd_cmp_t cmp_bad[] = {
        {.key = ACD_STR("t/a"), .target = ACD_ETCD_CMP_VALUE, .value = ACD_STR("zzz")},
        {.key = ACD_STR("t/a"), .target = ACD_ETCD_CMP_MOD, .number = rev_a},
    };
    txn.cmp = cmp_bad;
    txn.n_cmp = 2;
    DO(t, r, acd_etcd_txn(e, &txn, rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_false(r.succeeded);
    assert_int_equal(r.revision, rev + 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "t/a");
    assert_string_equal(r.val[0], "1");

    /* A mod-revision compare that is not equal: fails too. */
    cmp_bad[1].number = rev_a + 100;
    cmp_bad[0].value = ACD_STR("1");
    DO(t, r, acd_etcd_txn(e, &txn, rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_false(r.succeeded);

    DO(t, r, acd_etcd_delete_range(e, ACD_ETCD_PREFIX(ACD_STR("t/")), rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.deleted, 3);
    DO(t, r, acd_etcd_range(e, ACD_ETCD_PREFIX(ACD_STR("t/")), rec_cb, &r));
    assert_int_equal(r.n, 0);
    DO(t, r, acd_etcd_range(e, ACD_ETCD_PREFIX(ACD_STR("")), rec_cb, &r));
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "u/c");

    /* Errors from etcd, translated; bad arguments refused at once. */
    DO(t, r, acd_etcd_put(e, ACD_STR("l/k"), ACD_STR("v"), 12345, rec_cb, &r));
    assert_int_equal(r.err, ACD_ELEASE_LOST);
    DO(t, r, acd_etcd_leader(e, ACD_STR("no-election"), rec_cb, &r));
    assert_int_equal(r.err, -ENOENT);
    DO(t, r, acd_etcd_lease_keepalive(e, 777, rec_cb, &r));
    assert_int_equal(r.err, ACD_ELEASE_LOST);
    assert_int_equal(acd_etcd_put(e, ACD_STR(""), ACD_STR("v"), 0, NULL, NULL), -EINVAL);
    assert_int_equal(acd_etcd_range(e, ACD_ETCD_KEY(ACD_STR("")), rec_cb, &r), -EINVAL);

    close_clients(t, &e, 1);
}

/* ---- endpoints: failover, refusal, timeout, cancel on close ---- */

static void test_endpoints(void **state)
{
    tctx_t *t = *state;
    int ports[2];
    char dead0[64], dead1[64], hole[64];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    rec_t r, r2;

    assert_int_equal(ef_free_ports(ports, 2), 0);
    snprintf(dead0, sizeof(dead0), "http://127.0.0.1:%d", ports[0]);
    snprintf(dead1, sizeof(dead1), "http://127.0.0.1:%d/", ports[1]);
    /* A listener that never accepts: connects succeed, answers never come. */
    int hfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(hfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(hfd, 8), 0);
    getsockname(hfd, (struct sockaddr *)&a, &len);
    snprintf(hole, sizeof(hole), "http://127.0.0.1:%d", ntohs(a.sin_port));

    const char *refused_first[] = {dead0, t->cl.m[0].url};
    const char *all_dead[] = {dead0, dead1};
    const char *hole_first[] = {hole, t->cl.m[0].url};
    const char *hole_only[] = {hole};
    acd_etcd_t *es[4] = {
        client(t, refused_first, 2, 2000),
        client(t, all_dead, 2, 2000),
        client(t, hole_first, 2, 400),
        client(t, hole_only, 1, 300),
    };

    put_ok(t, es[0], "f/1", "x", 0, NULL);
    DO(t, r, acd_etcd_put(es[1], ACD_STR("f/2"), ACD_STR("x"), 0, rec_cb, &r));
    assert_int_equal(r.err, -ECONNREFUSED);

    uint64_t t0 = ef_now_ms();
    put_ok(t, es[2], "f/3", "x", 0, NULL);
    assert_true(ef_now_ms() - t0 >= 350);
    /* The client now sticks to the endpoint that answered: no second wait. */
    t0 = ef_now_ms();
    put_ok(t, es[2], "f/4", "x", 0, NULL);
    assert_true(ef_now_ms() - t0 < 350);

    t0 = ef_now_ms();
    DO(t, r, acd_etcd_range(es[3], ACD_ETCD_KEY(ACD_STR("f/1")), rec_cb, &r));
    assert_int_equal(r.err, -ETIMEDOUT);
    uint64_t took = ef_now_ms() - t0;
    assert_true(took >= 550 && took < 3000); /* two attempts of 300 ms */

    /* Closing fails what is still pending with -ECANCELED, through the callback. */
    memset(&r2, 0, sizeof(r2));
    assert_int_equal(acd_etcd_range(es[3], ACD_ETCD_KEY(ACD_STR("f/1")), rec_cb, &r2), 0);
    run_for(t, 50);
    assert_false(r2.done);
    close_clients(t, es, 4);
    assert_true(r2.done);
    assert_int_equal(r2.err, -ECANCELED);
    close(hfd);
}

/* ---- leases ---- */

typedef struct lrec {
    int granted, lost;
    int64_t id;
    int err;
    uint64_t lost_at;
} lrec_t;

static void lease_cb(acd_etcd_keeper_t *k, acd_etcd_lease_event_t ev, int64_t lease, int err,
                     void *ud)
{
    lrec_t *l = ud;

    (void)k;
    if (ev == ACD_ETCD_LEASE_GRANTED) {
        l->granted++;
        l->id = lease;
    } else {
        l->lost++;
        l->err = err;
        l->lost_at = ef_now_ms();
    }
}

static void test_lease_keepalive(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *e = client(t, eps, 1, 2000);
    acd_etcd_keeper_t *k = NULL;
    lrec_t l = {0};
    rec_t r;

    assert_int_equal(acd_etcd_lease_start(&k, e, 2, lease_cb, &l), 0);
    WAIT(t, l.granted == 1, 5000);
    assert_true(l.id != 0);
    assert_int_equal(acd_etcd_lease_id(k), l.id);
    put_ok(t, e, "sites/a", "up", l.id, NULL);

    run_for(t, 5000); /* 2.5 TTLs */
    assert_int_equal(l.lost, 0);
    DO(t, r, acd_etcd_range(e, ACD_ETCD_KEY(ACD_STR("sites/a")), rec_cb, &r));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.kv_lease[0], l.id);

    /* Stopping revokes: the key goes at once, not after the TTL. */
    acd_etcd_lease_stop(k);
    uint64_t t0 = ef_now_ms();
    do {
        run_for(t, 50);
        DO(t, r, acd_etcd_range(e, ACD_ETCD_KEY(ACD_STR("sites/a")), rec_cb, &r));
    } while (r.n != 0 && ef_now_ms() - t0 < 1500);
    assert_int_equal(r.n, 0);
    assert_int_equal(l.lost, 0);
    close_clients(t, &e, 1);
}

static void test_lease_revoked(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *es[2] = {client(t, eps, 1, 2000), client(t, eps, 1, 2000)};
    acd_etcd_keeper_t *k = NULL;
    lrec_t l = {0};
    rec_t r;

    assert_int_equal(acd_etcd_lease_start(&k, es[0], 3, lease_cb, &l), 0);
    WAIT(t, l.granted == 1, 5000);
    DO(t, r, acd_etcd_lease_revoke(es[1], l.id, rec_cb, &r));
    assert_int_equal(r.err, 0);
    uint64_t t0 = ef_now_ms();
    WAIT(t, l.lost == 1, 3000);
    assert_int_equal(l.err, ACD_ELEASE_LOST);
    /* The next keepalive (every 1 s) doubts it, the one after confirms it; never the TTL. */
    assert_true(l.lost_at - t0 <= 2500);
    DO(t, r, acd_etcd_lease_revoke(es[1], l.id, rec_cb, &r));
    assert_int_equal(r.err, ACD_ELEASE_LOST);
    run_for(t, 1200);
    assert_int_equal(l.lost, 1); /* reported once */
    acd_etcd_lease_stop(k);
    close_clients(t, es, 2);
}

static void test_lease_frozen_etcd(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *e = client(t, eps, 1, 2000);
    acd_etcd_keeper_t *k = NULL;
    lrec_t l = {0};
    rec_t r;

    assert_int_equal(acd_etcd_lease_start(&k, e, 2, lease_cb, &l), 0);
    WAIT(t, l.granted == 1, 5000);
    run_for(t, 1000);
    ef_pause(&t->cl.m[0], true);
    uint64_t t0 = ef_now_ms();
    WAIT(t, l.lost == 1, 4000);
    /* Frozen well past the TTL, so that by etcd's own clock the lease expired too. */
    run_for(t, (unsigned)(t0 + 3500 - ef_now_ms()));
    ef_pause(&t->cl.m[0], false);
    /* Detected by the local clock within the TTL of the last good keepalive. */
    assert_int_equal(l.err, -ETIMEDOUT);
    assert_true(l.lost_at - t0 >= 1200);
    assert_true(l.lost_at - t0 <= 2600);
    /* And etcd agrees once it runs again: the lease expired. */
    t0 = ef_now_ms();
    do {
        DO(t, r, acd_etcd_lease_keepalive(e, l.id, rec_cb, &r));
        if (r.err != ACD_ELEASE_LOST)
            run_for(t, 200);
    } while (r.err != ACD_ELEASE_LOST && ef_now_ms() - t0 < 8000);
    assert_int_equal(r.err, ACD_ELEASE_LOST);
    acd_etcd_lease_stop(k);
    close_clients(t, &e, 1);
}

/* ---- watches ---- */

typedef struct wrec {
    int n;
    acd_etcd_event_type_t type[32];
    char key[32][16];
    char val[32][16];
    int64_t rev[32];
    int err;
} wrec_t;

static void watch_cb(acd_etcd_watch_t *w, const acd_etcd_event_t *ev, void *ud)
{
    wrec_t *x = ud;

    (void)w;
    if (x->n >= 32)
        return;
    x->type[x->n] = ev->type;
    x->rev[x->n] = ev->revision;
    x->err = ev->err;
    if (ev->kv) {
        acd_str_copy(x->key[x->n], sizeof(x->key[0]), ev->kv->key);
        acd_str_copy(x->val[x->n], sizeof(x->val[0]), ev->kv->value);
    }
    x->n++;
}

static void test_watch_failover(void **state)
{
    tctx_t *t = *state;
    const char *weps[] = {t->cl.m[0].url, t->cl.m[1].url, t->cl.m[2].url};
    const char *peps[] = {t->cl.m[1].url, t->cl.m[2].url};
    acd_etcd_t *es[2] = {client(t, weps, 3, 2000), client(t, peps, 2, 3000)};
    acd_etcd_watch_t *w = NULL;
    wrec_t x = {0};
    int64_t seed, revs[12];
    char k[16], v[16];
    rec_t r;

    put_ok(t, es[1], "w/seed", "0", 0, &seed);
    put_ok(t, es[1], "other", "0", 0, NULL);
    assert_int_equal(
        acd_etcd_watch_start(&w, es[0], ACD_ETCD_PREFIX(ACD_STR("w/")), seed + 1, watch_cb, &x), 0);
    for (int i = 1; i <= 5; i++) {
        snprintf(k, sizeof(k), "w/%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        put_ok(t, es[1], k, v, 0, &revs[i - 1]);
    }
    WAIT(t, x.n == 5, 10000);

    /* Kill the member the watch talks to; write while it reconnects elsewhere. */
    ef_member_kill(&t->cl.m[0]);
    for (int i = 6; i <= 10; i++) {
        snprintf(k, sizeof(k), "w/%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        put_ok(t, es[1], k, v, 0, &revs[i - 1]);
    }
    DO(t, r, acd_etcd_delete_range(es[1], ACD_ETCD_KEY(ACD_STR("w/1")), rec_cb, &r));
    assert_int_equal(r.err, 0);
    revs[10] = r.revision;
    WAIT(t, x.n >= 11, 20000);
    run_for(t, 300);
    assert_int_equal(x.n, 11); /* nothing twice */
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof(k), "w/%d", i + 1);
        snprintf(v, sizeof(v), "v%d", i + 1);
        assert_int_equal(x.type[i], ACD_ETCD_EVENT_PUT);
        assert_string_equal(x.key[i], k);
        assert_string_equal(x.val[i], v);
        assert_int_equal(x.rev[i], revs[i]);
    }
    assert_int_equal(x.type[10], ACD_ETCD_EVENT_DELETE);
    assert_string_equal(x.key[10], "w/1");
    assert_int_equal(x.rev[10], revs[10]);
    acd_etcd_watch_stop(w);
    close_clients(t, es, 2);
}

static void test_watch_compacted(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *e = client(t, eps, 1, 2000);
    acd_etcd_watch_t *w = NULL, *w2 = NULL;
    wrec_t x = {0}, y = {0};
    int64_t rev;

    put_ok(t, e, "c/a", "1", 0, NULL);
    put_ok(t, e, "c/a", "2", 0, NULL);
    put_ok(t, e, "c/a", "3", 0, &rev);
    assert_int_equal(ef_compact(&t->cl.m[0], rev), 0);
    assert_int_equal(acd_etcd_watch_start(&w, e, ACD_ETCD_KEY(ACD_STR("c/a")), 1, watch_cb, &x), 0);
    WAIT(t, x.n == 1, 5000);
    assert_int_equal(x.type[0], ACD_ETCD_EVENT_COMPACTED);
    assert_int_equal(x.err, ACD_ECOMPACTED);
    assert_int_equal(x.rev[0], rev);
    /* From "now": only later changes. */
    assert_int_equal(acd_etcd_watch_start(&w2, e, ACD_ETCD_KEY(ACD_STR("c/a")), 0, watch_cb, &y),
                     0);
    run_for(t, 300);
    put_ok(t, e, "c/a", "4", 0, &rev);
    WAIT(t, y.n == 1, 5000);
    assert_int_equal(y.rev[0], rev);
    assert_string_equal(y.val[0], "4");
    assert_int_equal(x.n, 1);
    acd_etcd_watch_stop(w);
    acd_etcd_watch_stop(w2);
    close_clients(t, &e, 1);
}

/* ---- elections ---- */

typedef struct crec {
    bool elected;
    int err;
    int64_t rev;
    char key[64];
} crec_t;

static void elected_cb(acd_etcd_campaign_t *c, int err, const acd_etcd_leader_t *l, void *ud)
{
    crec_t *x = ud;

    (void)c;
    x->err = err;
    if (err == 0) {
        x->elected = true;
        x->rev = l->rev;
        acd_str_copy(x->key, sizeof(x->key), l->key);
    }
}

typedef struct orec {
    int n;
    int64_t rev[8];
    char val[8][8];
} orec_t;

static void observe_cb(acd_etcd_observe_t *o, const acd_etcd_kv_t *kv, void *ud)
{
    orec_t *x = ud;

    (void)o;
    if (x->n < 8) {
        x->rev[x->n] = kv->create_revision;
        acd_str_copy(x->val[x->n], sizeof(x->val[0]), kv->value);
        x->n++;
    }
}

static void wait_candidates(tctx_t *t, acd_etcd_t *e, size_t n)
{
    rec_t r;
    uint64_t t0 = ef_now_ms();

    do {
        DO(t, r, acd_etcd_range(e, ACD_ETCD_PREFIX(ACD_STR("el/")), rec_cb, &r));
        if (r.n != n)
            run_for(t, 50);
    } while (r.n != n && ef_now_ms() - t0 < 5000);
    assert_int_equal(r.n, n);
}

static void test_election(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *es[3] = {client(t, eps, 1, 2000), client(t, eps, 1, 2000), client(t, eps, 1, 2000)};
    acd_etcd_keeper_t *k[3];
    acd_etcd_campaign_t *c[3];
    acd_etcd_observe_t *o = NULL;
    lrec_t l[3] = {{0}};
    crec_t x[3] = {{0}};
    orec_t ob = {0};
    rec_t r, rr;
    const char *vals[] = {"A", "B", "C"};

    for (int i = 0; i < 3; i++)
        assert_int_equal(acd_etcd_lease_start(&k[i], es[i], 5, lease_cb, &l[i]), 0);
    WAIT(t, l[0].granted && l[1].granted && l[2].granted, 5000);
    assert_int_equal(acd_etcd_observe_start(&o, es[0], ACD_STR("el"), observe_cb, &ob), 0);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(acd_etcd_campaign(&c[i], es[i], ACD_STR("el"), l[i].id,
                                           acd_str_from(vals[i]), elected_cb, &x[i]),
                         0);
        if (i == 0)
            WAIT(t, x[0].elected, 5000);
        else
            wait_candidates(t, es[0], (size_t)i + 1);
    }
    run_for(t, 300);
    assert_false(x[1].elected);
    assert_false(x[2].elected);
    WAIT(t, ob.n == 1, 5000);

    /* A resigns: B, the older candidate, follows with a higher revision. */
    DO(t, rr, acd_etcd_resign(c[0], rec_cb, &rr));
    assert_int_equal(rr.err, 0);
    WAIT(t, x[1].elected, 5000);
    assert_true(x[1].rev > x[0].rev);
    assert_false(x[2].elected);
    DO(t, r, acd_etcd_leader(es[2], ACD_STR("el"), rec_cb, &r));
    assert_int_equal(r.err, 0);
    assert_string_equal(r.key[0], x[1].key);
    assert_int_equal(r.create_rev[0], x[1].rev);
    assert_string_equal(r.val[0], "B");

    /* B's lease is revoked behind its back: C is elected, B's keeper sees the loss. */
    DO(t, r, acd_etcd_lease_revoke(es[0], l[1].id, rec_cb, &r));
    assert_int_equal(r.err, 0);
    WAIT(t, x[2].elected, 5000);
    assert_true(x[2].rev > x[1].rev);
    WAIT(t, l[1].lost == 1, 5000);
    assert_int_equal(l[1].err, ACD_ELEASE_LOST);

    WAIT(t, ob.n == 3, 5000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ob.rev[i], x[i].rev);
        assert_string_equal(ob.val[i], vals[i]);
    }
    assert_int_equal(l[0].lost + l[2].lost, 0);

    acd_etcd_observe_stop(o);
    assert_int_equal(acd_etcd_resign(c[1], NULL, NULL), 0);
    DO(t, rr, acd_etcd_resign(c[2], rec_cb, &rr));
    assert_int_equal(rr.err, 0);
    DO(t, r, acd_etcd_leader(es[0], ACD_STR("el"), rec_cb, &r));
    assert_int_equal(r.err, -ENOENT);
    for (int i = 0; i < 3; i++)
        acd_etcd_lease_stop(k[i]);
    close_clients(t, es, 3);
}

/* A campaign still waiting is withdrawn by resign; close stops what is left. */
static void test_campaign_withdraw(void **state)
{
    tctx_t *t = *state;
    const char *eps[] = {t->cl.m[0].url};
    acd_etcd_t *e = client(t, eps, 1, 2000);
    acd_etcd_keeper_t *k[2];
    acd_etcd_campaign_t *c[2];
    lrec_t l[2] = {{0}};
    crec_t x[2] = {{0}};
    rec_t rr;

    for (int i = 0; i < 2; i++)
        assert_int_equal(acd_etcd_lease_start(&k[i], e, 5, lease_cb, &l[i]), 0);
    WAIT(t, l[0].granted && l[1].granted, 5000);
    assert_int_equal(
        acd_etcd_campaign(&c[0], e, ACD_STR("el"), l[0].id, ACD_STR("A"), elected_cb, &x[0]), 0);
    WAIT(t, x[0].elected, 5000);
    assert_int_equal(
        acd_etcd_campaign(&c[1], e, ACD_STR("el"), l[1].id, ACD_STR("B"), elected_cb, &x[1]), 0);
    wait_candidates(t, e, 2);
    DO(t, rr, acd_etcd_resign(c[1], rec_cb, &rr));
    assert_int_equal(rr.err, 0);
    wait_candidates(t, e, 1); /* etcd dropped B's candidate key */
    assert_false(x[1].elected);
    close_clients(t, &e, 1); /* stops the keepers and A's campaign */
    assert_int_equal(l[0].lost + l[1].lost, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kv_txn, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_endpoints, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_lease_keepalive, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_lease_revoked, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_lease_frozen_etcd, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_watch_compacted, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_election, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_campaign_withdraw, setup_one, teardown),
        cmocka_unit_test_setup_teardown(test_watch_failover, setup_three, teardown),
    };

    acd_log_init(stderr, ACD_LOG_INFO, "test");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
