/* test_kpi_remote.c - peers' KPI reports: checks, cluster-wide sums, stale gauges. */
#include "report/kpi_fixture.h"

typedef struct sums {
    size_t n;
    acd_kpi_queue_t q[8];
    char names[8][ACD_ID_MAX];
} sums_t;

static void sums_cb(void *ud, const acd_kpi_queue_t *q)
{
    sums_t *s = ud;
    assert_true(s->n < 8);
    s->q[s->n] = *q;
    snprintf(s->names[s->n], ACD_ID_MAX, "%s", q->queue);
    s->n++;
}

static sums_t kt_cluster(const kt_t *t)
{
    sums_t s = {0};
    acd_kpi_foreach_cluster_queue(t->k, t->h->c, t->h->now, sums_cb, &s);
    return s;
}

/* Peer b's report: support and sales (given out of order), and zz, a queue only b has. */
static acd_kpi_queue_t b_queues[3];

static acd_kpi_remote_t b_report(void)
{
    b_queues[0] = (acd_kpi_queue_t){.queue = "support", .tenant = "beta", .sl_threshold_ms = 20000,
                                    .sl_target_pct = 80, .counts = {.offered = 5},
                                    .waiting = 2, .longest_wait_ms = 7000};
    b_queues[1] = (acd_kpi_queue_t){
        .queue = "sales", .tenant = "acme", .sl_threshold_ms = 20000, .sl_target_pct = 80,
        .counts = {.offered = 3, .answered = 2, .answered_in_sl = 2, .answer_wait_ms = 8000,
                   .abandoned = 1, .abandoned_bucket = {[2] = 1}, .abandon_wait_ms = 25000,
                   .handled = 2, .talk_ms = 100000, .wrapup_ms = 10000},
        .arrivals = 3, .window_ms = 600000, .waiting = 1, .longest_wait_ms = 90000};
    b_queues[2] = (acd_kpi_queue_t){.queue = "zz", .tenant = "acme", .sl_threshold_ms = 30000,
                                    .sl_target_pct = 70, .counts = {.offered = 1}};
    return (acd_kpi_remote_t){.queues = b_queues, .n_queues = 3, .handling_ms = 40000,
                              .idle_ms = 60000};
}

static void test_cluster_sums(void **state)
{
    kt_t *t = *state;
    h_t *h = t->h;
    assert_int_equal(kt_arrive(t, "c1", "100"), 0); /* local: sales offered 1, waiting */
    h->now += 4000;
    acd_kpi_remote_t r = b_report();
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, h->now), 0);
    memset(b_queues, 0, sizeof(b_queues)); /* copied: the caller's array is free again */

    sums_t s = kt_cluster(t);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "sales");
    assert_string_equal(s.names[1], "support");
    assert_string_equal(s.names[2], "zz");
    acd_kpi_queue_t *sales = &s.q[0];
    assert_int_equal(sales->counts.offered, 4);
    assert_int_equal(sales->counts.answered, 2);
    assert_int_equal(sales->counts.abandoned_bucket[2], 1);
    assert_int_equal(sales->arrivals, 4);
    assert_int_equal(sales->window_ms, 600000);
    assert_int_equal(sales->waiting, 2);
    assert_int_equal(sales->longest_wait_ms, 90000);
    acd_kpi_figures_t f;
    acd_kpi_figures(sales, &f);
    kt_assert_double(f.service_level, 2.0 / 3.0);
    kt_assert_double(f.asa_s, 4.0);
    kt_assert_double(f.aht_s, 55.0);
    assert_int_equal(s.q[1].counts.offered, 5);
    assert_int_equal(s.q[1].waiting, 2);
    assert_int_equal(s.q[2].sl_target_pct, 70); /* only b knows zz: b's settings */

    int64_t hd, idle;
    acd_kpi_cluster_time(t->k, h->now, &hd, &idle);
    assert_int_equal(hd, 40000);
    assert_int_equal(idle, 60000);

    /* b goes dark: its counters stay, its gauges leave the sums. */
    h->now += ACD_KPI_REMOTE_STALE_MS + 1;
    s = kt_cluster(t);
    assert_int_equal(s.q[0].counts.offered, 4);
    assert_int_equal(s.q[0].waiting, 1);
    assert_int_equal(s.q[0].arrivals, 1);
    assert_int_equal(s.q[1].waiting, 0);
}

static size_t n_sites;
static acd_kpi_site_t last_site;

static void site_cb(void *ud, const acd_kpi_site_t *s)
{
    (void)ud;
    n_sites++;
    last_site = *s;
}

/* A bad report is refused whole: the previous one stays. */
static void test_remote_refused(void **state)
{
    kt_t *t = *state;
    acd_kpi_remote_t r = b_report();
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, 100), 0);

    static acd_kpi_queue_t many[ACD_KPI_REMOTE_QUEUES_MAX + 1];
    for (size_t i = 0; i < ACD_KPI_REMOTE_QUEUES_MAX + 1; i++)
        many[i] = (acd_kpi_queue_t){.queue = "q"};
    acd_kpi_remote_t bad = {.queues = many, .n_queues = ACD_KPI_REMOTE_QUEUES_MAX + 1};
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &bad, 200), -EINVAL);
    bad.n_queues = 2; /* two queues named q */
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &bad, 200), -EINVAL);
    r = b_report();
    b_queues[1].sl_target_pct = 101;
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, 200), -EINVAL);
    r = b_report();
    b_queues[0].queue = "";
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, 200), -EINVAL);
    r = b_report();
    b_queues[0].longest_wait_ms = -1;
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, 200), -EINVAL);
    r = b_report();
    r.idle_ms = -5;
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &r, 200), -EINVAL);
    r = b_report();
    assert_int_equal(acd_kpi_set_remote(t->k, "", &r, 200), -EINVAL);
    char longname[ACD_ID_MAX + 1];
    memset(longname, 'x', ACD_ID_MAX);
    longname[ACD_ID_MAX] = '\0';
    assert_int_equal(acd_kpi_set_remote(t->k, longname, &r, 200), -EINVAL);

    n_sites = 0;
    acd_kpi_foreach_site(t->k, site_cb, NULL);
    assert_int_equal(n_sites, 1);
    assert_string_equal(last_site.site, "b");
    assert_int_equal(last_site.at, 100);
    assert_int_equal(last_site.report->n_queues, 3);
    assert_string_equal(last_site.report->queues[0].queue, "sales"); /* held sorted */
    assert_int_equal(last_site.report->queues[0].counts.offered, 3);

    /* Peers beyond the limit are refused; known ones still update. */
    for (int i = 1; i < ACD_KPI_REMOTE_SITES_MAX; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s%02d", i);
        acd_kpi_remote_t empty = {0};
        assert_int_equal(acd_kpi_set_remote(t->k, name, &empty, 300), 0);
    }
    acd_kpi_remote_t empty = {0};
    assert_int_equal(acd_kpi_set_remote(t->k, "one-too-many", &empty, 300), -EINVAL);
    assert_int_equal(acd_kpi_set_remote(t->k, "b", &empty, 300), 0);
    n_sites = 0;
    acd_kpi_foreach_site(t->k, site_cb, NULL);
    assert_int_equal(n_sites, ACD_KPI_REMOTE_SITES_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cluster_sums, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_remote_refused, kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
