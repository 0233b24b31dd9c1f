/* test_cdr_handle.c - the CDR carries the agent handle time billing needs: talk, and the
 * wrap-up the call's queue gives its agent afterwards (0 when no agent answered). */
#include "harness.h"

/* The agent offered call id (DID 100, into queue or the tenant's) answers after 3 s and
 * talks talk_ms; then the caller hangs up. Returns the call's CDR. */
static const acd_cdr_t *talked(h_t *h, const char *id, const char *queue, int64_t talk_ms)
{
    assert_int_equal(h_arrive(h, id, "100", queue, 0), 0);
    const char *agent = h_offered_to(h, id);
    assert_non_null(agent);
    h->now += 3000;
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, id, agent), 0);
    h->now += talk_ms;
    assert_int_equal(h_hangup(h, id, false), 0);
    return h_cdr(h);
}

static void test_answered_carries_wrapup(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a2"};
    h_login_all(h, ids, 1, 10);
    const acd_cdr_t *cdr = talked(h, "c1", NULL, 61000);
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);
    assert_string_equal(cdr->agent, "a2");
    assert_int_equal(cdr->talk_ms, 61000);
    assert_int_equal(cdr->wrapup_ms, 5000); /* sales' wrap-up */
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_WRAPUP);
}

static void test_queue_without_wrapup(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a4"};
    h_login_all(h, ids, 1, 10);
    const acd_cdr_t *cdr = talked(h, "v1", "vip", 7000);
    assert_string_equal(cdr->queue, "vip");
    assert_int_equal(cdr->talk_ms, 7000);
    assert_int_equal(cdr->wrapup_ms, 0);
}

static void test_unanswered_has_none(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h->now += 4000;
    assert_int_equal(h_hangup(h, "c2", false), 0);
    const acd_cdr_t *cdr = h_cdr(h);
    assert_int_equal(cdr->disposition, ACD_DISP_ABANDONED);
    assert_int_equal(cdr->talk_ms, 0);
    assert_int_equal(cdr->wrapup_ms, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_carries_wrapup, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_queue_without_wrapup, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_unanswered_has_none, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
