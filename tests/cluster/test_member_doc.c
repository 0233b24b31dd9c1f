/* test_member_doc.c - the member's etcd documents (member_doc.c) against real etcd: a key's
 * and a prefix's read, the watch in revision order with the member's own writes, and the
 * read again after the watch found its revision compacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "cluster/member_int.h"
#include "etcd_fixture.h"
#include "util/err.h"
#include "util/list.h"

/* What one document handed over, in order. */
#define SEEN_MAX 16
typedef struct probe {
    acd__member_doc_t doc;
    int n;
    struct {
        bool none, deleted;
        char key[48], val[32];
        int64_t rev;
    } v[SEEN_MAX];
} probe_t;

static void probe_cb(acd__member_doc_t *d, const acd_etcd_kv_t *kv, bool deleted)
{
    probe_t *p = acd_container_of(d, probe_t, doc);
    assert_true(p->n < SEEN_MAX);
    p->v[p->n].none = kv == NULL;
    p->v[p->n].deleted = deleted;
    if (kv) {
        acd_str_copy(p->v[p->n].key, sizeof(p->v[0].key), kv->key);
        acd_str_copy(p->v[p->n].val, sizeof(p->v[0].val), kv->value);
        p->v[p->n].rev = kv->mod_revision;
    }
    p->n++;
}

typedef struct world {
    ef_cluster_t cl;
    uv_loop_t loop;
    uv_timer_t tick;    /* wakes the loop while nothing else does */
    acd_member_t *m;    /* zeroed but for its etcd client: all member_doc.c reads of it */
    acd_etcd_t *writer; /* another client: writes that are not the member's */
    probe_t p[2];
    int answers, err; /* writes answered, and the last one's error */
    int64_t rev;      /* the last write's revision */
    int closed;
} world_t;

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until *count reaches want; fails after ms. */
static void spin_until(world_t *w, const int *count, int want, unsigned ms)
{
    uint64_t deadline = ef_now_ms() + ms;
    while (*count < want && ef_now_ms() < deadline)
        uv_run(&w->loop, UV_RUN_ONCE);
    if (*count < want)
        fail_msg("waited %u ms for %d, have %d", ms, want, *count);
}

/* Runs the loop for ms: only to show that nothing more comes. */
static void spin_for(world_t *w, unsigned ms)
{
    uint64_t deadline = ef_now_ms() + ms;
    while (ef_now_ms() < deadline)
        uv_run(&w->loop, UV_RUN_ONCE);
}

static acd_etcd_t *new_client(world_t *w, const char *const *urls, size_t n)
{
    acd_etcd_t *e = NULL;
    acd_etcd_cfg_t cfg = {.endpoints = urls, .n_endpoints = n, .request_timeout_ms = 5000};
    assert_int_equal(acd_etcd_alloc(&e, &w->loop, &cfg), 0);
    return e;
}

/*
 * *state (cmocka's prestate) holds how many etcd members to start; the member's client
 * asks them in order, the writer the others (or the only one).
 */
static int setup(void **state)
{
    int members = *(const int *)*state;
    world_t *w = calloc(1, sizeof(*w));
    if (!w || ef_start(&w->cl, members) != 0) {
        free(w);
        return -1;
    }
    uv_loop_init(&w->loop);
    uv_timer_init(&w->loop, &w->tick);
    uv_timer_start(&w->tick, tick_cb, 20, 20);
    const char *urls[EF_MAX];
    for (int i = 0; i < members; i++)
        urls[i] = w->cl.m[i].url;
    w->m = calloc(1, sizeof(*w->m));
    w->m->etcd = new_client(w, urls, (size_t)members);
    w->writer = new_client(w, members > 1 ? urls + 1 : urls, members > 1 ? members - 1 : 1);
    *state = w;
    return 0;
}

static void client_closed(void *ud)
{
    ((world_t *)ud)->closed++;
}

static int teardown(void **state)
{
    world_t *w = *state;
    for (int i = 0; i < 2; i++)
        acd__member_doc_stop(&w->p[i].doc);
    ef_stop(&w->cl);
    acd_etcd_close(w->m->etcd, client_closed, w);
    acd_etcd_close(w->writer, client_closed, w);
    spin_until(w, &w->closed, 2, 3000);
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&w->loop);
    free(w->m);
    free(w);
    assert_int_equal(rc, 0);
    return 0;
}

static void answered(world_t *w, int err, int64_t rev)
{
    w->err = err;
    w->rev = rev;
    w->answers++;
}

static void write_cb(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    (void)e;
    answered(ud, res->err, res->revision);
}

static void own_cb(void *ud, int err)
{
    answered(ud, err, 0);
}

/* The writer puts key=val (val NULL: deletes it); returns the write's revision. */
static int64_t write_kv(world_t *w, const char *key, const char *val)
{
    int want = w->answers + 1;
    acd_str_t k = acd_str_from(key);
    assert_int_equal(val ? acd_etcd_put(w->writer, k, acd_str_from(val), 0, write_cb, w)
                         : acd_etcd_delete_range(w->writer, ACD_ETCD_KEY(k), write_cb, w),
                     0);
    spin_until(w, &w->answers, want, 20000);
    assert_int_equal(w->err, 0);
    return w->rev;
}

static void start_doc(world_t *w, int i, const char *key, bool prefix)
{
    acd__member_doc_init(&w->p[i].doc, w->m, key, prefix, probe_cb);
    acd__member_doc_start(&w->p[i].doc);
}

/* A key: its absence, then every change in order, the member's own writes included. */
static void test_key(void **state)
{
    world_t *w = *state;
    probe_t *p = &w->p[0];
    start_doc(w, 0, "t/drill", false);
    spin_until(w, &p->n, 1, 10000);
    assert_true(p->v[0].none); /* no key is an answer too */
    int64_t ra = write_kv(w, "t/drill", "A");
    spin_until(w, &p->n, 2, 10000);
    assert_string_equal(p->v[1].val, "A");
    assert_int_equal(p->v[1].rev, ra);
    int want = w->answers + 1;
    assert_int_equal(acd__member_doc_put(w->m, "t/drill", "B", 1, NULL, own_cb, w), 0);
    spin_until(w, &w->answers, want, 10000);
    assert_int_equal(w->err, 0);
    spin_until(w, &p->n, 3, 10000);
    assert_string_equal(p->v[2].val, "B"); /* the member's own write comes back */
    assert_int_equal(acd__member_doc_put(w->m, "t/drill", NULL, 0, NULL, own_cb, w), 0);
    spin_until(w, &p->n, 4, 10000);
    assert_true(p->v[3].deleted);
    assert_string_equal(p->v[3].key, "t/drill");
    assert_true(p->v[3].rev > p->v[2].rev);
    (void)write_kv(w, "t/drill-other", "x"); /* another key is not the document */
    spin_for(w, 300);
    assert_int_equal(p->n, 4); /* nothing twice, nothing else */
    w->m->closing = true;
    assert_int_equal(acd__member_doc_put(w->m, "t/drill", "C", 1, NULL, NULL, NULL), -EINVAL);
}

/* A prefix: every key the read finds, then puts and deletes under it only. */
static void test_prefix(void **state)
{
    world_t *w = *state;
    probe_t *p = &w->p[0];
    (void)write_kv(w, "t/ts/a", "1");
    (void)write_kv(w, "t/ts/b", "2");
    (void)write_kv(w, "t/other", "x");
    start_doc(w, 0, "t/ts/", true);
    spin_until(w, &p->n, 2, 10000);
    assert_string_equal(p->v[0].key, "t/ts/a");
    assert_string_equal(p->v[1].key, "t/ts/b");
    assert_string_equal(p->v[1].val, "2");
    int64_t rc = write_kv(w, "t/ts/c", "3");
    int64_t rd = write_kv(w, "t/ts/a", NULL);
    (void)write_kv(w, "t/other", "y");
    spin_until(w, &p->n, 4, 10000);
    assert_string_equal(p->v[2].key, "t/ts/c");
    assert_int_equal(p->v[2].rev, rc);
    assert_true(p->v[3].deleted);
    assert_string_equal(p->v[3].key, "t/ts/a");
    assert_int_equal(p->v[3].rev, rd);
    spin_for(w, 300);
    assert_int_equal(p->n, 4);
    /* One delete of the prefix removes b and c in one revision: both are handed over. */
    int want = w->answers + 1;
    assert_int_equal(acd_etcd_delete_range(w->writer, ACD_ETCD_PREFIX(acd_str_from("t/ts/")),
                                           write_cb, w),
                     0);
    spin_until(w, &w->answers, want, 20000);
    assert_int_equal(w->err, 0);
    spin_until(w, &p->n, 6, 10000);
    assert_true(p->v[4].deleted && p->v[5].deleted);
    assert_int_equal(p->v[4].rev, p->v[5].rev);
    assert_string_not_equal(p->v[4].key, p->v[5].key);
    spin_for(w, 300);
    assert_int_equal(p->n, 6);
}

/*
 * The member's etcd member freezes, the documents change meanwhile and etcd compacts
 * them; when the member dies the watches resume elsewhere from a compacted revision and
 * read again: the prefix hands over what changed (its last value only), the key its
 * value whatever it is; then the watches go on.
 */
static void test_compacted(void **state)
{
    world_t *w = *state;
    probe_t *pre = &w->p[0], *key = &w->p[1];
    (void)write_kv(w, "t/p/a", "1");
    (void)write_kv(w, "t/p/b", "1");
    (void)write_kv(w, "t/k", "1");
    start_doc(w, 0, "t/p/", true);
    start_doc(w, 1, "t/k", false);
    spin_until(w, &pre->n, 2, 10000);
    spin_until(w, &key->n, 1, 10000);
    spin_for(w, 300); /* the watches are up */
    ef_pause(&w->cl.m[0], true);
    (void)write_kv(w, "t/p/b", "2");
    int64_t rev = write_kv(w, "t/p/b", "3");
    assert_int_equal(ef_compact(&w->cl.m[1], rev), 0);
    ef_member_kill(&w->cl.m[0]);
    spin_until(w, &pre->n, 3, 20000);
    spin_until(w, &key->n, 2, 20000);
    assert_string_equal(pre->v[2].key, "t/p/b");
    assert_string_equal(pre->v[2].val, "3"); /* "2" was compacted away */
    assert_int_equal(pre->v[2].rev, rev);
    assert_string_equal(key->v[1].val, "1"); /* the key's read hands it over again */
    int64_t rc = write_kv(w, "t/p/c", "1");
    spin_until(w, &pre->n, 4, 10000);
    assert_string_equal(pre->v[3].key, "t/p/c");
    assert_int_equal(pre->v[3].rev, rc);
    spin_for(w, 300);
    assert_int_equal(pre->n, 4); /* t/p/a, unchanged, was not handed over again */
    assert_int_equal(key->n, 2);
}

int main(void)
{
    static const int one = 1, three = 3;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_key, setup, teardown, (void *)&one),
        cmocka_unit_test_prestate_setup_teardown(test_prefix, setup, teardown, (void *)&one),
        cmocka_unit_test_prestate_setup_teardown(test_compacted, setup, teardown, (void *)&three),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
