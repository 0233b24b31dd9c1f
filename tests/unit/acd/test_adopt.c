/* test_adopt.c - CALL_ADOPT: a dark site's calls taken over keep their place, or their agent. */
#include "harness.h"

static acd_event_t t_adopt(const char *call, const char *did, acd_ms_t enqueue_ms, int priority)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_ADOPT, call, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "555-%s", call);
    ev.enqueue_ms = enqueue_ms;
    ev.priority = priority;
    ev.offers = 1;
    return ev;
}

/* A queued call keeps its original arrival: it goes before calls that arrived later here. */
static void test_queued_keeps_place(void **state)
{
    h_t *h = *state;
    h->now = H_T0 + 10000;
    assert_int_equal(h_arrive(h, "local-1", "100", NULL, 0), 0); /* arrived here at +10 s */
    h->now += 1000;
    acd_event_t ev = t_adopt("dark-1", "100", H_T0 + 2000, 0); /* entered the dark site at +2 s */
    assert_int_equal(h_apply(h, &ev), 0);
    acd_call_view_t v = h_call(h, "dark-1");
    assert_int_equal(v.state, ACD_CALL_QUEUED);
    assert_int_equal(v.enqueue_ms, H_T0 + 2000);
    assert_string_equal(v.queue, "sales");
    /* The first free agent of sales gets the adopted call, not the local one. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 1);
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_OFFER)
            h_expect_offer(h, i, "dark-1", "a2");
    /* Hung up later: a CDR here with the original enqueue time and offers counted on. */
    h->now += 3000;
    assert_int_equal(h_hangup(h, "dark-1", false), 0);
    const acd_action_t *cdr = NULL;
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_CDR)
            cdr = &h->out.v[i];
    assert_non_null(cdr);
    assert_int_equal(cdr->cdr.enqueue_ms, H_T0 + 2000);
    assert_int_equal(cdr->cdr.disposition, ACD_DISP_ABANDONED);
    assert_int_equal(cdr->cdr.offers, 2);
}

/* A connected call keeps talking to its agent, held as the agent owner's (remote). */
static void test_connected_keeps_agent(void **state)
{
    h_t *h = *state;
    h->now = H_T0 + 60000;
    acd_event_t ev = t_adopt("dark-2", "200", H_T0 + 1000, 0);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", "x9");
    snprintf(ev.agent_site, sizeof(ev.agent_site), "%s", "C");
    snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", "takeover-A");
    ev.answer_ms = H_T0 + 5000;
    assert_int_equal(h_apply(h, &ev), 0);
    acd_call_view_t v = h_call(h, "dark-2");
    assert_int_equal(v.state, ACD_CALL_CONNECTED);
    assert_int_equal(v.answer_ms, H_T0 + 5000);
    /* The caller hangs up: the agent's leg is released, its owner told, one CDR. */
    h->now += 1000;
    assert_int_equal(h_hangup(h, "dark-2", false), 0);
    assert_int_equal(h_count(h, ACD_ACT_END_CALL), 1);
    assert_int_equal(h_count(h, ACD_ACT_REMOTE_AGENT), 1);
    assert_int_equal(h_count(h, ACD_ACT_CDR), 1);
    const acd_action_t *cdr = NULL;
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_CDR)
            cdr = &h->out.v[i];
    assert_non_null(cdr);
    assert_string_equal(cdr->cdr.agent, "x9");
    assert_string_equal(cdr->cdr.agent_site, "C");
    assert_int_equal(cdr->cdr.disposition, ACD_DISP_ANSWERED);
    assert_int_equal(cdr->cdr.talk_ms, 56000);
}

/* Bad adoptions change nothing. */
static void test_refusals(void **state)
{
    h_t *h = *state;
    acd_event_t ev = t_adopt("d-1", "100", 0, 0);
    h_refused(h, &ev, -EINVAL); /* no enqueue time */
    ev = t_adopt("d-1", "999", H_T0, 0);
    h_refused(h, &ev, ACD_ENOTENANT);
    ev = t_adopt("d-1", "100", H_T0, 0);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", "x9");
    h_refused(h, &ev, -EINVAL); /* connected without the agent's site, offer and answer */
    ev = t_adopt("d-1", "100", H_T0, 0);
    assert_int_equal(h_apply(h, &ev), 0);
    h_refused(h, &ev, -EEXIST); /* adopted twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queued_keeps_place, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_connected_keeps_agent, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
