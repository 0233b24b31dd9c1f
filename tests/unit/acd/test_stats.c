/* test_stats.c - positions, expected waits, average handling time and queue statistics. */
#include "acd/harness.h"

/* The standard configuration: sales has a 5 s wrap-up; a1, a2, a4 serve it. */

static void st_position(const h_t *h, const char *call, unsigned want_pos, int64_t want_ewt)
{
    unsigned pos = 0;
    int64_t ewt = -1;
    assert_int_equal(acd_core_call_position(h->c, call, h->now, &pos, &ewt), 0);
    if (pos != want_pos || ewt != want_ewt)
        fail_msg("%s: position %u ewt %lld, wanted %u and %lld", call, pos, (long long)ewt,
                 want_pos, (long long)want_ewt);
}

/* Position in dispatch order; EWT = position * AHT / max(1, logged in), 180 s AHT first. */
static void test_position_and_ewt(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h->now += 10;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h->now += 10;
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 5), 0);
    static const struct {
        const char *call;
        unsigned pos;
    } order[] = {{"c3", 1}, {"c1", 2}, {"c2", 3}};
    for (size_t i = 0; i < 3; i++) /* nobody logged in: divided by 1 */
        st_position(h, order[i].call, order[i].pos, order[i].pos * ACD_AHT_DEFAULT_MS);

    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0); /* takes c3 */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0); /* takes c1 */
    unsigned pos;
    int64_t ewt;
    assert_int_equal(acd_core_call_position(h->c, "c3", h->now, &pos, &ewt), ACD_ESTATE);
    st_position(h, "c2", 1, ACD_AHT_DEFAULT_MS / 2); /* a1 and a2 logged in (ringing) */
    assert_int_equal(acd_core_set_remote_members(h->c, "sales", 3), 0);
    st_position(h, "c2", 1, ACD_AHT_DEFAULT_MS / 5);
    assert_int_equal(acd_core_call_position(h->c, "c2", h->now, NULL, NULL), 0);
    assert_int_equal(acd_core_call_position(h->c, "nope", h->now, &pos, &ewt), -ENOENT);
    assert_int_equal(acd_core_call_position(NULL, "c2", h->now, &pos, &ewt), -EINVAL);
}

/* The AHT: the first answered call's talk + wrap-up, then an average with alpha 0.2. */
static void test_aht(void **state)
{
    h_t *h = *state;
    acd_queue_stats_t st;
    assert_int_equal(acd_core_queue_stats(h->c, "sales", h->now, &st), 0);
    assert_int_equal(st.aht_ms, ACD_AHT_DEFAULT_MS);
    static const struct {
        int64_t talk_ms;
        int64_t aht_ms; /* after this call */
    } calls[] = {
        {60000, 65000},                        /* 60 + 5 s wrap-up replaces the default */
        {115000, 65000 + (120000 - 65000) / 5}, /* 76000 */
        {1000, 76000 + (6000 - 76000) / 5},     /* 62000 */
    };
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    for (size_t i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "c%zu", i);
        assert_int_equal(h_arrive(h, id, "100", NULL, 0), 0);
        h_expect_offer(h, 0, id, "a2");
        h->now += 3000;
        assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, id, "a2"), 0);
        h->now += calls[i].talk_ms;
        assert_int_equal(h_ev(h, i == 1 ? ACD_EV_AGENT_HANGUP : ACD_EV_CALL_HANGUP, id, "a2"), 0);
        assert_int_equal(h_tick_at(h, h->now + 5000), 0); /* wrap-up ends */
        assert_int_equal(acd_core_queue_stats(h->c, "sales", h->now, &st), 0);
        assert_int_equal(st.aht_ms, calls[i].aht_ms);
    }
    /* An abandoned call is not handled: the AHT stays. */
    assert_int_equal(h_pause(h, "a2", "x"), 0);
    assert_int_equal(h_arrive(h, "lost", "100", NULL, 0), 0);
    h->now += 7000;
    assert_int_equal(h_hangup(h, "lost", false), 0);
    assert_int_equal(acd_core_queue_stats(h->c, "sales", h->now, &st), 0);
    assert_int_equal(st.aht_ms, 62000);
    /* support is separate. */
    assert_int_equal(acd_core_queue_stats(h->c, "support", h->now, &st), 0);
    assert_int_equal(st.aht_ms, ACD_AHT_DEFAULT_MS);
}

static void test_queue_stats(void **state)
{
    h_t *h = *state;
    acd_queue_stats_t st;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_pause(h, "a1", "x"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    acd_ms_t t0 = h->now;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0); /* a2 rings */
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h->now += 4000;
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 9), 0);
    assert_int_equal(acd_core_queue_stats(h->c, "sales", t0 + 10000, &st), 0);
    assert_int_equal(st.waiting, 2);
    assert_int_equal(st.longest_wait_ms, 10000); /* c2 */
    assert_int_equal(st.logged_in, 2);
    assert_int_equal(st.available, 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0); /* takes c3 */
    assert_int_equal(acd_core_queue_stats(h->c, "sales", h->now, &st), 0);
    assert_int_equal(st.waiting, 1);
    assert_int_equal(st.logged_in, 3);
    assert_int_equal(acd_core_queue_stats(h->c, "vip", h->now, &st), 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.longest_wait_ms, 0);
    assert_int_equal(st.logged_in, 1);
    assert_int_equal(acd_core_queue_stats(h->c, "nope", h->now, &st), ACD_ENOQUEUE);
    assert_int_equal(acd_core_queue_stats(h->c, NULL, h->now, &st), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_position_and_ewt, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_aht, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_queue_stats, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
