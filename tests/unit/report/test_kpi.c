/* test_kpi.c - KPI counters fed by a real core: SL, ASA, AHT, abandons, occupancy, window. */
#include "report/kpi_fixture.h"

/* The standard configuration (acd/harness.h): sales (acme) has a 5 s wrap-up; only a2 is
 * logged in here, and a2 serves sales only. */

static void kt_sl(kt_t *t, int threshold_ms, int short_ms)
{
    acd_kpi_queue_cfg_t q = {.queue = "sales", .tenant = "acme", .sl_threshold_ms = threshold_ms,
                             .sl_target_pct = 80, .short_abandon_ms = short_ms};
    assert_int_equal(acd_kpi_configure(t->k, &q, 1), 0);
}

/* Two calls answered after 20 s (exactly the threshold: within) and 86 s. */
static void test_answered_sl_asa_aht(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    kt_sl(t, 20000, 0);
    acd_ms_t t0 = h->now;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(kt_pause(t, "a2"), 0);
    assert_int_equal(kt_arrive(t, "c1", "100"), 0);
    assert_int_equal(kt_arrive(t, "c2", "100"), 0);
    acd_kpi_queue_t q = kt_queue(t, "sales");
    assert_int_equal(q.counts.offered, 2);
    assert_int_equal(q.waiting, 2);
    h->now = t0 + 20000;
    q = kt_queue(t, "sales");
    assert_int_equal(q.longest_wait_ms, 20000);

    assert_int_equal(kt_ev(t, ACD_EV_AGENT_UNPAUSE, NULL, "a2"), 0);
    h_expect_offer(h, 1, "c1", "a2");
    assert_int_equal(kt_ev(t, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h->now += 60000;
    assert_int_equal(kt_ev(t, ACD_EV_CALL_HANGUP, "c1", NULL), 0); /* wrap-up 5 s */
    kt_at(t, h->now + 5000);
    assert_true(h_offered_to(h, "c2")[0] != '\0');
    h->now += 1000;                                                /* t0 + 86 s */
    assert_int_equal(kt_ev(t, ACD_EV_OFFER_ANSWERED, "c2", "a2"), 0);
    q = kt_queue(t, "sales");
    assert_int_equal(q.counts.answered, 2);
    assert_int_equal(q.counts.handled, 1); /* c2 talks still */
    h->now += 30000;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_HANGUP, "c2", "a2"), 0);
    kt_at(t, h->now + 5000);

    q = kt_queue(t, "sales");
    assert_string_equal(q.tenant, "acme");
    assert_int_equal(q.counts.offered, 2);
    assert_int_equal(q.counts.answered, 2);
    assert_int_equal(q.counts.answered_in_sl, 1);
    assert_int_equal(q.counts.answer_wait_ms, 20000 + 86000);
    assert_int_equal(q.counts.handled, 2);
    assert_int_equal(q.counts.talk_ms, 90000);
    assert_int_equal(q.counts.wrapup_ms, 10000);
    assert_int_equal(q.counts.abandoned, 0);
    assert_int_equal(q.waiting, 0);
    assert_int_equal(q.longest_wait_ms, 0);
    acd_kpi_figures_t f;
    acd_kpi_figures(&q, &f);
    kt_assert_double(f.service_level, 0.5);
    kt_assert_double(f.sl_target, 0.8);
    kt_assert_double(f.asa_s, 53.0);
    kt_assert_double(f.aht_s, 50.0); /* (60 + 5 + 30 + 5) / 2 */
    kt_assert_double(f.abandon_rate, 0.0);
}

/* Abandons at waits around the bucket bounds and the short-abandon limit (5 s). */
static void test_abandon_buckets(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    kt_sl(t, 20000, 5000);
    static const struct {
        int64_t wait_ms;
        size_t bucket;
    } calls[] = {
        {4999, 0}, {5000, 0}, {10000, 0}, {10001, 1}, {20000, 1},
        {60000, 3}, {120000, 5}, {120001, 6}, {900000, 6},
    };
    size_t n = sizeof(calls) / sizeof(calls[0]);
    uint64_t want[ACD_KPI_BUCKETS] = {0}, sum = 0;
    for (size_t i = 0; i < n; i++) {
        char id[8];
        snprintf(id, sizeof(id), "c%zu", i);
        assert_int_equal(kt_arrive(t, id, "100"), 0);
        h->now += calls[i].wait_ms;
        assert_int_equal(kt_ev(t, ACD_EV_CALL_HANGUP, id, NULL), 0);
        want[calls[i].bucket]++;
        sum += (uint64_t)calls[i].wait_ms;
    }
    acd_kpi_queue_t q = kt_queue(t, "sales");
    assert_int_equal(q.counts.offered, n);
    assert_int_equal(q.counts.abandoned, n);
    assert_int_equal(q.counts.abandoned_short, 1); /* 4999 ms; 5000 is not short */
    assert_int_equal(q.counts.abandon_wait_ms, sum);
    for (size_t b = 0; b < ACD_KPI_BUCKETS; b++)
        if (q.counts.abandoned_bucket[b] != want[b])
            fail_msg("bucket %zu: %llu, wanted %llu", b,
                     (unsigned long long)q.counts.abandoned_bucket[b],
                     (unsigned long long)want[b]);

    /* One answer within 20 s: SL = 1 / (1 answered + 9 abandoned - 1 short). */
    assert_int_equal(kt_arrive(t, "ok", "100"), 0);
    h->now += 3000;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(kt_ev(t, ACD_EV_OFFER_ANSWERED, "ok", "a2"), 0);
    q = kt_queue(t, "sales");
    acd_kpi_figures_t f;
    acd_kpi_figures(&q, &f);
    kt_assert_double(f.service_level, 1.0 / 9.0);
    kt_assert_double(f.abandon_rate, 9.0 / 10.0);
    kt_assert_double(f.asa_s, 3.0);
    kt_assert_double(f.aht_s, NAN); /* nothing handled yet */

    /* Without a short-abandon limit every abandon counts against the service level. */
    kt_sl(t, 20000, 0);
    q = kt_queue(t, "sales");
    assert_int_equal(q.short_abandon_ms, 0);
    assert_int_equal(q.counts.abandoned_short, 1); /* counted as it was */
}

typedef struct agents_seen {
    size_t n;
    acd_kpi_agent_t last;
} agents_seen_t;

static void agents_cb(void *ud, const acd_kpi_agent_t *a)
{
    agents_seen_t *s = ud;
    s->n++;
    s->last = *a;
}

/* Occupancy: ringing + talk + wrap-up over that plus available time; pauses left out. */
static void test_occupancy(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h->now += 10000;
    assert_int_equal(kt_pause(t, "a2"), 0);
    h->now += 100000;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_UNPAUSE, NULL, "a2"), 0);
    h->now += 10000;
    assert_int_equal(kt_arrive(t, "c1", "100"), 0); /* rings a2 */
    h->now += 2000;
    assert_int_equal(kt_ev(t, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h->now += 30000;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    kt_at(t, h->now + 5000); /* wrap-up ends */
    h->now += 10000;         /* available, counted up to the read */

    int64_t handling = -1, idle = -1;
    acd_kpi_site_time(t->k, h->now, &handling, &idle);
    assert_int_equal(handling, 2000 + 30000 + 5000);
    assert_int_equal(idle, 30000);
    kt_assert_double(acd_kpi_occupancy(handling, idle), 37.0 / 67.0);
    kt_assert_double(acd_kpi_occupancy(0, 0), NAN);

    agents_seen_t ctx = {0};
    acd_kpi_foreach_agent(t->k, h->now, agents_cb, &ctx);
    acd_kpi_agent_t seen = ctx.last;
    assert_int_equal(ctx.n, 1);
    assert_string_equal(seen.id, "a2");
    assert_int_equal(seen.state, ACD_AGENT_AVAILABLE);
    assert_int_equal(seen.state_ms[ACD_AGENT_PAUSED], 100000);
    assert_int_equal(seen.state_ms[ACD_AGENT_RINGING], 2000);
    assert_int_equal(seen.state_ms[ACD_AGENT_ON_CALL], 30000);
    assert_int_equal(seen.state_ms[ACD_AGENT_WRAPUP], 5000);
    assert_int_equal(seen.state_ms[ACD_AGENT_AVAILABLE], 30000);
    assert_int_equal(kt_queue(t, "sales").counts.wrapup_ms, 5000);
}

/* Arrivals over the last 30 minutes, in per-minute slots that are reused. */
static void test_arrival_window(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    acd_ms_t t0 = h->now; /* 1000 s: minute 16 */
    assert_int_equal(kt_arrive(t, "c1", "100"), 0);
    h->now = t0 + 30000;
    acd_kpi_queue_t q = kt_queue(t, "sales");
    assert_int_equal(q.arrivals, 1);
    assert_int_equal(q.window_ms, 30000); /* counting began at t0 */
    acd_kpi_figures_t f;
    acd_kpi_figures(&q, &f);
    kt_assert_double(f.arrival_rate, 1.0 / 30.0);

    h->now = t0 + 10 * 60000; /* minute 26 */
    assert_int_equal(kt_arrive(t, "c2", "100"), 0);
    assert_int_equal(kt_arrive(t, "c3", "100"), 0);
    h->now = t0 + 30 * 60000; /* minute 46: c1's slot again */
    assert_int_equal(kt_arrive(t, "c4", "100"), 0);
    h->now = t0 + 35 * 60000; /* minute 51: the window holds minutes 22..51 */
    q = kt_queue(t, "sales");
    assert_int_equal(q.arrivals, 3);
    assert_int_equal(q.window_ms, h->now - 22 * 60000);
    assert_int_equal(q.counts.offered, 4);
    h->now = t0 + 70 * 60000;
    assert_int_equal(kt_queue(t, "sales").arrivals, 0);
}

/* Adoptions, deliveries and a redial taking back its place are not offered again. */
static void test_not_offered(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    assert_int_equal(acd_core_set_redial_window(h->c, 60000), 0);
    acd_event_t ev = h_mkev(ACD_EV_CALL_ADOPT, "x1", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "555-1");
    ev.enqueue_ms = h->now - 8000;
    assert_int_equal(kt_feed(t, &ev), 0);
    ev = h_mkev(ACD_EV_CALL_HANGUP, "x1", NULL); /* its takeover re-INVITE failed */
    ev.failed = ev.restorable = true;
    assert_int_equal(kt_feed(t, &ev), 0);
    ev = h_mkev(ACD_EV_CALL_ARRIVE, "x2", NULL); /* the redial takes the place back */
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "555-1");
    assert_int_equal(kt_feed(t, &ev), 0);
    assert_string_equal(h_call(h, "x2").restored_from, "x1");
    assert_int_equal(kt_ev(t, ACD_EV_CALL_HANGUP, "x2", NULL), 0);
    acd_kpi_queue_t q = kt_queue(t, "sales");
    assert_int_equal(q.counts.offered, 0);
    assert_int_equal(q.counts.abandoned, 1); /* abandoned here, where its CDR is */

    ev = h_mkev(ACD_EV_CALL_ARRIVE, "d1", NULL); /* an outbound call: nobody waits */
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.delivery, sizeof(ev.delivery), "outbound");
    assert_int_equal(kt_feed(t, &ev), 0);
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h->now += 4000;
    assert_int_equal(kt_ev(t, ACD_EV_OFFER_ANSWERED, "d1", "a2"), 0);
    h->now += 20000;
    assert_int_equal(kt_ev(t, ACD_EV_AGENT_HANGUP, "d1", "a2"), 0);
    kt_at(t, h->now + 5000);
    q = kt_queue(t, "sales");
    assert_int_equal(q.counts.offered, 0);
    assert_int_equal(q.counts.answered, 0);
    assert_int_equal(q.counts.delivered, 1);
    assert_int_equal(q.counts.handled, 0);
    assert_int_equal(q.counts.wrapup_ms, 0);
}

/* sales overflows to vip after 30 s: counted out of sales, offered in vip. */
static acd_core_queue_cfg_t ov_queues[3];
static acd_core_cfg_t ov_cfg;

static int ov_setup(void **state)
{
    memcpy(ov_queues, h_queues, sizeof(ov_queues));
    ov_queues[0].max_wait_ms = 30000;
    ov_queues[0].overflow = "queue:vip";
    ov_queues[0].join_empty = true; /* else an arrival with nobody logged in moves at once */
    ov_cfg = h_cfg;
    ov_cfg.queues = ov_queues;
    return kt_setup_cfg(state, &ov_cfg);
}

static void test_overflow(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    acd_ms_t t0 = h->now;
    assert_int_equal(kt_arrive(t, "c1", "100"), 0);
    kt_at(t, t0 + 30000);
    assert_true(h_find(h, ACD_ACT_OVERFLOW, 0) >= 0);
    h->now = t0 + 40000;
    assert_int_equal(kt_ev(t, ACD_EV_CALL_HANGUP, "c1", NULL), 0);
    acd_kpi_queue_t s = kt_queue(t, "sales"), v = kt_queue(t, "vip");
    assert_int_equal(s.counts.offered, 1);
    assert_int_equal(s.counts.overflowed, 1);
    assert_int_equal(s.counts.abandoned, 0);
    assert_int_equal(v.counts.offered, 1);
    assert_int_equal(v.counts.abandoned, 1);
    assert_int_equal(v.counts.abandon_wait_ms, 40000); /* from its first enqueue */
    assert_int_equal(v.counts.abandoned_bucket[3], 1); /* <= 60 s */
    assert_string_equal(v.tenant, "acme");
}

/* Settings: checked, defaults for queues not listed, every queue listed in name order. */
static void names_cb(void *ud, const acd_kpi_queue_t *q)
{
    char *s = ud;
    strcat(s, q->queue);
    strcat(s, " ");
}

static void test_configure(void **state)
{
    kt_t *t = *state;
    acd_kpi_queue_cfg_t q[2] = {
        {.queue = "support", .tenant = "beta", .sl_threshold_ms = 30000, .sl_target_pct = 90},
        {.queue = "sales", .tenant = "acme", .sl_threshold_ms = 20000, .sl_target_pct = 80},
    };
    assert_int_equal(acd_kpi_configure(t->k, q, 2), 0);
    acd_kpi_queue_cfg_t bad = q[0];
    bad.sl_threshold_ms = 0;
    assert_int_equal(acd_kpi_configure(t->k, &bad, 1), -EINVAL);
    bad = q[0];
    bad.sl_target_pct = 101;
    assert_int_equal(acd_kpi_configure(t->k, &bad, 1), -EINVAL);
    bad = q[0];
    bad.short_abandon_ms = -1;
    assert_int_equal(acd_kpi_configure(t->k, &bad, 1), -EINVAL);
    acd_kpi_queue_cfg_t dup[2] = {q[0], q[0]};
    assert_int_equal(acd_kpi_configure(t->k, dup, 2), -EINVAL);
    bad = q[0];
    bad.queue = NULL;
    assert_int_equal(acd_kpi_configure(t->k, &bad, 1), -EINVAL);

    acd_kpi_queue_t s = kt_queue(t, "support"); /* unchanged by the refusals */
    assert_int_equal(s.sl_threshold_ms, 30000);
    assert_int_equal(s.sl_target_pct, 90);
    acd_kpi_figures_t f;
    acd_kpi_figures(&s, &f);
    kt_assert_double(f.service_level, NAN);
    kt_assert_double(f.asa_s, NAN);
    kt_assert_double(f.abandon_rate, NAN);
    char names[64] = "";
    acd_kpi_foreach_queue(t->k, t->h->c, t->h->now, names_cb, names);
    assert_string_equal(names, "sales support ");

    assert_int_equal(acd_kpi_configure(t->k, &q[1], 1), 0); /* support: back to defaults */
    s = kt_queue(t, "support");
    assert_int_equal(s.sl_threshold_ms, ACD_KPI_SL_THRESHOLD_MS);
    assert_int_equal(s.sl_target_pct, ACD_KPI_SL_TARGET_PCT);
    acd_kpi_queue_t out;
    assert_int_equal(acd_kpi_queue(t->k, NULL, "nope", 0, &out), -ENOENT);
    assert_int_equal(acd_kpi_observe(t->k, NULL, NULL, 0, NULL, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_sl_asa_aht, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_buckets, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_occupancy, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_arrival_window, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_not_offered, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_overflow, ov_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_configure, kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
