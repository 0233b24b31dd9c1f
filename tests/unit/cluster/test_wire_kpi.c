/* test_wire_kpi.c - a heartbeat's KPI counters: round trip, every bound refused whole,
 * and the replica's heartbeat hook seeing them in order. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/replica.h"
#include "cluster/wire.h"
#include "report/kpi.h"
#include "util/err.h"
#include "wire_samples.h"

/* Two valid queues: sales with 3 abandons over the buckets, support with none. */
typedef struct kpi_hb {
    samples_t s;
    Acd__V1__Envelope env;
    Acd__V1__QueueKpi q[2];
    Acd__V1__QueueKpi *ptrs[2];
    uint64_t buckets[ACD_KPI_BUCKETS];
} kpi_hb_t;

static void kpi_hb_init(kpi_hb_t *k)
{
    samples_init(&k->s);
    envelope(&k->env, &k->s, ACD__V1__ENVELOPE__BODY_HEARTBEAT);
    for (size_t i = 0; i < 2; i++) {
        acd__v1__queue_kpi__init(&k->q[i]);
        k->ptrs[i] = &k->q[i];
    }
    memset(k->buckets, 0, sizeof(k->buckets));
    k->buckets[0] = 1;
    k->buckets[6] = 2;
    Acd__V1__QueueKpi *q = &k->q[0];
    q->queue = "sales";
    q->tenant = "acme";
    q->sl_threshold_ms = 20000;
    q->sl_target_pct = 80;
    q->short_abandon_ms = 5000;
    q->offered = 10;
    q->answered = 6;
    q->answered_in_sl = 5;
    q->abandoned = 3;
    q->abandoned_short = 1;
    q->n_abandoned_bucket = ACD_KPI_BUCKETS;
    q->abandoned_bucket = k->buckets;
    q->handled = 5;
    q->answer_wait_ms = 60000;
    q->abandon_wait_ms = 400000;
    q->talk_ms = 900000;
    q->wrapup_ms = 25000;
    q->arrivals = 10;
    q->window_ms = 600000;
    q->waiting = 2;
    q->longest_wait_ms = 31000;
    k->q[1].queue = "support";
    k->q[1].offered = 4;
    k->s.heartbeat.n_queue_kpi = 2;
    k->s.heartbeat.queue_kpi = k->ptrs;
    k->s.heartbeat.agent_handling_ms = 123456;
    k->s.heartbeat.agent_idle_ms = 654321;
}

static void test_round_trip(void **state)
{
    (void)state;
    kpi_hb_t k;
    kpi_hb_init(&k);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&k.env, &b), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    const Acd__V1__Heartbeat *h = d->heartbeat;
    assert_int_equal(h->n_queue_kpi, 2);
    assert_int_equal(h->agent_handling_ms, 123456);
    assert_int_equal(h->agent_idle_ms, 654321);
    const Acd__V1__QueueKpi *q = h->queue_kpi[0];
    assert_string_equal(q->queue, "sales");
    assert_string_equal(q->tenant, "acme");
    assert_int_equal(q->sl_target_pct, 80);
    assert_int_equal(q->answered_in_sl, 5);
    assert_int_equal(q->n_abandoned_bucket, ACD_KPI_BUCKETS);
    assert_int_equal(q->abandoned_bucket[6], 2);
    assert_int_equal(q->longest_wait_ms, 31000);
    assert_int_equal(h->queue_kpi[1]->n_abandoned_bucket, 0);
    acd_wire_free(d);
    acd_buf_fini(&b);
}

/* Each case breaks one rule of one queue; the whole heartbeat is refused. */
static void test_refused(void **state)
{
    (void)state;
    kpi_hb_t k;
    static const uint64_t big = ((uint64_t)1 << 53) + 1;
    static Acd__V1__QueueKpi many[ACD_KPI_REMOTE_QUEUES_MAX + 1];
    static Acd__V1__QueueKpi *many_ptrs[ACD_KPI_REMOTE_QUEUES_MAX + 1];
    static char names[ACD_KPI_REMOTE_QUEUES_MAX + 1][8];
    for (int c = 0; c < 14; c++) {
        kpi_hb_init(&k);
        Acd__V1__QueueKpi *q = &k.q[0];
        switch (c) {
        case 0: q->sl_target_pct = 101; break;
        case 1: q->answered_in_sl = q->answered + 1; break;
        case 2: q->abandoned_short = q->abandoned + 1; break;
        case 3: q->n_abandoned_bucket = ACD_KPI_BUCKETS - 1; break;
        case 4: k.buckets[3] = 1; break; /* 4 in the buckets, 3 abandoned */
        case 5: q->n_abandoned_bucket = 0; break; /* abandons without buckets */
        case 6: q->talk_ms = big; break;
        case 7: q->offered = big; break;
        case 8: q->window_ms = (uint64_t)ACD_KPI_WINDOW_MS + 1; break;
        case 9: k.q[1].queue = "sales"; break;
        case 10: q->queue = ""; break;
        case 11: k.s.heartbeat.agent_idle_ms = big; break;
        case 12: q->tenant = "bad\x01tenant"; break;
        case 13:
            for (size_t i = 0; i < ACD_KPI_REMOTE_QUEUES_MAX + 1; i++) {
                acd__v1__queue_kpi__init(&many[i]);
                snprintf(names[i], sizeof(names[i]), "q%zu", i);
                many[i].queue = names[i];
                many_ptrs[i] = &many[i];
            }
            k.s.heartbeat.queue_kpi = many_ptrs;
            k.s.heartbeat.n_queue_kpi = ACD_KPI_REMOTE_QUEUES_MAX;
            assert_env_accepted(&k.env); /* the limit itself is fine */
            k.s.heartbeat.n_queue_kpi = ACD_KPI_REMOTE_QUEUES_MAX + 1;
            break;
        }
        assert_env_refused(&k.env);
    }
    kpi_hb_init(&k); /* and the unbroken one passes */
    assert_env_accepted(&k.env);
}

/* ---- the replica's hook ---- */

typedef struct heard {
    int n;
    char origin[ACD_ID_MAX];
    uint64_t offered;
} heard_t;

static void on_heartbeat(void *ud, const char *origin, const Acd__V1__Heartbeat *h)
{
    heard_t *hd = ud;
    hd->n++;
    snprintf(hd->origin, sizeof(hd->origin), "%s", origin);
    hd->offered = h->n_queue_kpi ? h->queue_kpi[0]->offered : 0;
}

static void test_replica_hook(void **state)
{
    (void)state;
    heard_t hd = {0};
    acd_replica_t *r = NULL;
    acd_replica_cfg_t cfg = {.self = "Z", .heartbeat = on_heartbeat, .ud = &hd};
    assert_int_equal(acd_replica_alloc(&r, &cfg), 0);
    kpi_hb_t k;
    kpi_hb_init(&k);
    acd_replica_verdict_t v;
    /* A new origin needs a snapshot first: its envelopes wait, nothing is heard yet. */
    k.env.seq = 2;
    assert_int_equal(acd_replica_apply(r, &k.env, 1000, &v), 0);
    assert_true(v.resync);
    assert_int_equal(hd.n, 0);
    Acd__V1__Snapshot empty = ACD__V1__SNAPSHOT__INIT; /* a single-part snapshot */
    empty.last_seq = 1;
    Acd__V1__Envelope snap;
    acd_wire_envelope_init(&snap, k.env.origin_site, k.env.incarnation, 1, k.env.sent_ms);
    snap.body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
    snap.snapshot = &empty;
    assert_int_equal(acd_replica_apply(r, &snap, 1001, &v), 0);
    assert_int_equal(hd.n, 1); /* the buffered heartbeat, applied in order */
    assert_string_equal(hd.origin, k.env.origin_site);
    assert_int_equal(hd.offered, 10);
    k.env.seq = 3;
    k.q[0].offered = 11;
    assert_int_equal(acd_replica_apply(r, &k.env, 1002, &v), 0);
    assert_int_equal(hd.n, 2);
    assert_int_equal(hd.offered, 11);
    k.env.seq = 3; /* a duplicate is not heard again */
    assert_int_equal(acd_replica_apply(r, &k.env, 1003, &v), 0);
    assert_int_equal(hd.n, 2);
    acd_replica_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_replica_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
