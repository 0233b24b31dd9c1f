/* test_core.c - the ACD core's agent and call state machines, CDRs and views. */
#include "acd/harness.h"

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(acd_agent_state_name(ACD_AGENT_WRAPUP), "wrap-up");
    assert_string_equal(acd_agent_state_name(ACD_AGENT_LOGGED_OUT), "logged-out");
    assert_string_equal(acd_call_state_name(ACD_CALL_OFFERED), "offered");
    assert_string_equal(acd_disposition_name(ACD_DISP_ABANDONED), "abandoned");
    assert_string_equal(acd_agent_state_name((acd_agent_state_t)99), "unknown");
}

static void test_login_logout(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h->out.n, 1);
    h_expect_state(h, 0, "a1", ACD_AGENT_LOGGED_OUT, ACD_AGENT_AVAILABLE);
    acd_agent_view_t v = h_agent(h, "a1");
    assert_int_equal(v.state, ACD_AGENT_AVAILABLE);
    assert_int_equal(v.idle_since, H_T0);
    assert_int_equal(v.state_since, H_T0);
    assert_string_equal(v.sip_user, "u1");
    assert_string_equal(v.call_id, "");

    h->now += 1000;
    acd_event_t ev = h_mkev(ACD_EV_AGENT_LOGIN, NULL, "a1");
    h_refused(h, &ev, ACD_ESTATE);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a1"), 0);
    assert_int_equal(h->out.n, 1);
    h_expect_state(h, 0, "a1", ACD_AGENT_AVAILABLE, ACD_AGENT_LOGGED_OUT);
    assert_int_equal(h_agent(h, "a1").state_since, H_T0 + 1000);
    ev = h_mkev(ACD_EV_AGENT_LOGOUT, NULL, "a1");
    h_refused(h, &ev, ACD_ESTATE);
    ev = h_mkev(ACD_EV_AGENT_LOGIN, NULL, "nobody");
    h_refused(h, &ev, ACD_ENOAGENT);
    acd_agent_view_t none;
    assert_int_equal(acd_core_agent(h->c, "nobody", &none), ACD_ENOAGENT);
}

static void test_pause_unpause(void **state)
{
    h_t *h = *state;
    acd_event_t ev = h_mkev(ACD_EV_AGENT_PAUSE, NULL, "a1");
    h_refused(h, &ev, ACD_ESTATE); /* logged out */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    h->now += 500;
    assert_int_equal(h_pause(h, "a1", "lunch"), 0);
    assert_int_equal(h->out.n, 1);
    h_expect_state(h, 0, "a1", ACD_AGENT_AVAILABLE, ACD_AGENT_PAUSED);
    assert_string_equal(h->out.v[0].reason, "lunch");
    acd_agent_view_t v = h_agent(h, "a1");
    assert_string_equal(v.pause_reason, "lunch");
    assert_int_equal(v.state_since, H_T0 + 500);

    snprintf(ev.reason, sizeof(ev.reason), "other");
    h_refused(h, &ev, ACD_ESTATE); /* already paused */
    ev = h_mkev(ACD_EV_AGENT_LOGIN, NULL, "a1");
    h_refused(h, &ev, ACD_ESTATE);

    /* A paused agent is not offered calls. */
    assert_int_equal(h_arrive(h, "c1", "200", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_call(h, "c1").state, ACD_CALL_QUEUED);

    h->now += 500;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_UNPAUSE, NULL, "a1"), 0);
    assert_int_equal(h->out.n, 3);
    h_expect_state(h, 0, "a1", ACD_AGENT_PAUSED, ACD_AGENT_AVAILABLE);
    h_expect_offer(h, 1, "c1", "a1");
    h_expect_state(h, 2, "a1", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    assert_int_equal(h_agent(h, "a1").idle_since, H_T0 + 1000);
    assert_string_equal(h_agent(h, "a1").pause_reason, "");
    ev = h_mkev(ACD_EV_AGENT_UNPAUSE, NULL, "a1");
    h_refused(h, &ev, ACD_ESTATE);
}

/* Every transition the state machine refuses, in every agent state, changes nothing. */
static void test_refused_transitions(void **state)
{
    h_t *h = *state;
    acd_event_t ev;
    /* logged-out */
    static const acd_event_type_t from_out[] = {ACD_EV_AGENT_LOGOUT, ACD_EV_AGENT_PAUSE,
                                                ACD_EV_AGENT_UNPAUSE};
    for (size_t i = 0; i < 3; i++) {
        ev = h_mkev(from_out[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }
    ev = h_mkev(ACD_EV_AGENT_HANGUP, "c1", "a2");
    h_refused(h, &ev, -ENOENT);
    ev = h_mkev(ACD_EV_CALL_HANGUP, "c1", NULL);
    h_refused(h, &ev, -ENOENT);

    /* available */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    static const acd_event_type_t from_avail[] = {ACD_EV_AGENT_LOGIN, ACD_EV_AGENT_UNPAUSE};
    for (size_t i = 0; i < 2; i++) {
        ev = h_mkev(from_avail[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }

    /* ringing */
    h->now += 100;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_RINGING);
    static const acd_event_type_t from_ring[] = {ACD_EV_AGENT_LOGIN, ACD_EV_AGENT_PAUSE,
                                                 ACD_EV_AGENT_UNPAUSE};
    for (size_t i = 0; i < 3; i++) {
        ev = h_mkev(from_ring[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }
    ev = h_mkev(ACD_EV_AGENT_HANGUP, "c1", "a2");
    h_refused(h, &ev, ACD_ESTATE);
    ev = h_mkev(ACD_EV_OFFER_FAILED, "c1", "a1"); /* not the agent rung */
    h_refused(h, &ev, ACD_ESTATE);
    ev = h_mkev(ACD_EV_OFFER_FAILED, "c1", "nobody");
    h_refused(h, &ev, ACD_ENOAGENT);
    ev = h_mkev(ACD_EV_OFFER_FAILED, "c9", "a2");
    h_refused(h, &ev, -ENOENT);

    /* on-call */
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    static const acd_event_type_t from_call[] = {ACD_EV_AGENT_LOGIN, ACD_EV_AGENT_PAUSE,
                                                 ACD_EV_AGENT_UNPAUSE};
    for (size_t i = 0; i < 3; i++) {
        ev = h_mkev(from_call[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }
    ev = h_mkev(ACD_EV_OFFER_FAILED, "c1", "a2");
    h_refused(h, &ev, ACD_ESTATE);
    ev = h_mkev(ACD_EV_AGENT_HANGUP, "c1", "a1");
    h_refused(h, &ev, ACD_ESTATE);
    ev = h_mkev(ACD_EV_CALL_ARRIVE, "c1", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    h_refused(h, &ev, -EEXIST);

    /* on-call with a logout pending: a second logout is refused, LOGIN withdraws it */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h->out.n, 0);
    ev = h_mkev(ACD_EV_AGENT_LOGOUT, NULL, "a2");
    h_refused(h, &ev, ACD_ESTATE);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_ON_CALL);

    /* wrap-up (the withdrawn logout does not log the agent out) */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_WRAPUP);
    static const acd_event_type_t from_wrap[] = {ACD_EV_AGENT_LOGIN, ACD_EV_AGENT_UNPAUSE};
    for (size_t i = 0; i < 2; i++) {
        ev = h_mkev(from_wrap[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }
    ev = h_mkev(ACD_EV_AGENT_HANGUP, "c1", "a2");
    h_refused(h, &ev, -ENOENT);

    /* paused, from wrap-up: the wrap-up deadline goes away */
    assert_int_equal(h_pause(h, "a2", "break"), 0);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
    static const acd_event_type_t from_paused[] = {ACD_EV_AGENT_LOGIN, ACD_EV_AGENT_PAUSE};
    for (size_t i = 0; i < 2; i++) {
        ev = h_mkev(from_paused[i], NULL, "a2");
        h_refused(h, &ev, ACD_ESTATE);
    }
}

static void test_arrive_errors(void **state)
{
    h_t *h = *state;
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "c1", NULL);
    snprintf(ev.did, sizeof(ev.did), "999");
    h_refused(h, &ev, ACD_ENOTENANT);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.queue, sizeof(ev.queue), "support"); /* beta's queue */
    h_refused(h, &ev, ACD_ENOQUEUE);
    snprintf(ev.queue, sizeof(ev.queue), "nosuch");
    h_refused(h, &ev, ACD_ENOQUEUE);
    ev.queue[0] = '\0';
    ev.call_id[0] = '\0';
    h_refused(h, &ev, -EINVAL);
    snprintf(ev.call_id, sizeof(ev.call_id), "c1");
    memset(ev.caller, 'x', sizeof(ev.caller)); /* not terminated */
    h_refused(h, &ev, -EINVAL);
    snprintf(ev.caller, sizeof(ev.caller), "555");
    ev.type = (acd_event_type_t)77;
    h_refused(h, &ev, -EINVAL);
    ev.type = ACD_EV_CALL_ARRIVE;
    assert_int_equal(h_apply(h, &ev), 0);
    h_refused(h, &ev, -EEXIST);
    assert_int_equal(acd_core_apply(NULL, &ev, h->now, &h->out), -EINVAL);

    /* Explicit queue and priority; the higher of the event's and the queue's default. */
    assert_int_equal(h_arrive(h, "c2", "101", "vip", 0), 0);
    assert_int_equal(h_call(h, "c2").priority, 10);
    assert_string_equal(h_call(h, "c2").queue, "vip");
    assert_string_equal(h_call(h, "c2").priority_reason, "queue");
    assert_int_equal(h_arrive(h, "c4", "101", "vip", 3), 0);
    assert_int_equal(h_call(h, "c4").priority, 10); /* 3 does not lower the default */
    assert_int_equal(h_arrive(h, "c3", "101", "vip", 13), 0);
    assert_int_equal(h_call(h, "c3").priority, 13);
    assert_string_equal(h_call(h, "c3").priority_reason, "ivr");
    assert_string_equal(h_call(h, "c3").tenant, "acme");
    assert_string_equal(h_call(h, "c3").did, "101");
    assert_string_equal(h_call(h, "c3").caller, "555-c3");
}

static void test_connect_agent_hangup_cdr(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h->now = H_T0 + 1000;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h->out.n, 2);
    const acd_action_t *offer = h_act(h, 0, ACD_ACT_OFFER);
    assert_string_equal(offer->call_id, "c1");
    assert_string_equal(offer->agent_id, "a2");
    assert_string_equal(offer->sip_user, "u2");
    assert_int_equal(offer->ring_timeout_ms, 20000);
    h_expect_state(h, 1, "a2", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    acd_call_view_t cv = h_call(h, "c1");
    assert_int_equal(cv.state, ACD_CALL_OFFERED);
    assert_string_equal(cv.agent, "a2");
    assert_int_equal(cv.position, 0);
    assert_int_equal(cv.enqueue_ms, H_T0 + 1000);
    assert_string_equal(h_agent(h, "a2").call_id, "c1");
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 21000);

    h->now = H_T0 + 5000;
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    assert_int_equal(h->out.n, 2);
    const acd_action_t *conn = h_act(h, 0, ACD_ACT_CONNECT);
    assert_string_equal(conn->call_id, "c1");
    assert_string_equal(conn->agent_id, "a2");
    h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_ON_CALL);
    assert_int_equal(h_call(h, "c1").state, ACD_CALL_CONNECTED);
    assert_int_equal(h_call(h, "c1").answer_ms, H_T0 + 5000);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);

    h->now = H_T0 + 65000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(h->out.n, 3);
    const acd_action_t *end = h_act(h, 0, ACD_ACT_END_CALL);
    assert_string_equal(end->call_id, "c1");
    assert_string_equal(end->agent_id, "a2");
    h_expect_state(h, 1, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_WRAPUP);
    const acd_cdr_t *cdr = &h_act(h, 2, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->call_id, "c1");
    assert_string_equal(cdr->tenant, "acme");
    assert_string_equal(cdr->did, "100");
    assert_string_equal(cdr->caller, "555-c1");
    assert_string_equal(cdr->queue, "sales");
    assert_string_equal(cdr->agent, "a2");
    assert_int_equal(cdr->enqueue_ms, H_T0 + 1000);
    assert_int_equal(cdr->answer_ms, H_T0 + 5000);
    assert_int_equal(cdr->end_ms, H_T0 + 65000);
    assert_int_equal(cdr->wait_ms, 4000);
    assert_int_equal(cdr->talk_ms, 60000);
    assert_int_equal(cdr->offers, 1);
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);
    acd_call_view_t gone;
    assert_int_equal(acd_core_call(h->c, "c1", &gone), -ENOENT);
    assert_int_equal(h_agent(h, "a2").calls_handled, 1);
    assert_string_equal(h_agent(h, "a2").call_id, "");
}

static void test_wrapup_timing(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h->now = H_T0 + 10000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 15000);

    /* A call arriving during wrap-up waits for its end. */
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_tick_at(h, H_T0 + 14999), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_WRAPUP);

    /* A late tick: the agent became available at the end of wrap-up, not at the tick. */
    assert_int_equal(h_tick_at(h, H_T0 + 17000), 0);
    assert_int_equal(h->out.n, 3);
    h_expect_state(h, 0, "a2", ACD_AGENT_WRAPUP, ACD_AGENT_AVAILABLE);
    h_expect_offer(h, 1, "c2", "a2");
    h_expect_state(h, 2, "a2", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    assert_int_equal(h_agent(h, "a2").idle_since, H_T0 + 15000);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 17000 + 20000);

    /* vip has no wrap-up: straight back to available, idle from the call's end. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    assert_int_equal(h_arrive(h, "v1", "100", "vip", 0), 0);
    h_expect_offer(h, 0, "v1", "a4");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "v1", "a4"), 0);
    h->now = H_T0 + 30000;
    assert_int_equal(h_hangup(h, "v1", false), 0);
    assert_int_equal(h->out.n, 3);
    h_act(h, 0, ACD_ACT_END_CALL);
    h_expect_state(h, 1, "a4", ACD_AGENT_ON_CALL, ACD_AGENT_AVAILABLE);
    assert_int_equal(h_act(h, 2, ACD_ACT_CDR)->cdr.disposition, ACD_DISP_ANSWERED);
    assert_int_equal(h_agent(h, "a4").idle_since, H_T0 + 30000);
}

static void test_caller_hangup_connected_and_failed(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h->now += 2000;
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h->now += 8000;
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h->out.n, 3);
    const acd_action_t *end = h_act(h, 0, ACD_ACT_END_CALL);
    assert_string_equal(end->agent_id, "a2");
    h_expect_state(h, 1, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_WRAPUP);
    const acd_cdr_t *cdr = &h_act(h, 2, ACD_ACT_CDR)->cdr;
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);
    assert_int_equal(cdr->wait_ms, 2000);
    assert_int_equal(cdr->talk_ms, 8000);

    /* A call that failed while connected: failed, END_CALL releases the agent. */
    h_tick_at(h, h->now + 5000);
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c2", "a2"), 0);
    h->now += 1000;
    assert_int_equal(h_hangup(h, "c2", true), 0);
    h_act(h, 0, ACD_ACT_END_CALL);
    cdr = &h_act(h, 2, ACD_ACT_CDR)->cdr;
    assert_int_equal(cdr->disposition, ACD_DISP_FAILED);
    assert_string_equal(cdr->agent, "a2");
    assert_int_equal(cdr->talk_ms, 1000);

    /* A queued call that failed. */
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 0), 0);
    h->now += 700;
    assert_int_equal(h_hangup(h, "c3", true), 0);
    assert_int_equal(h->out.n, 1);
    cdr = &h_act(h, 0, ACD_ACT_CDR)->cdr;
    assert_int_equal(cdr->disposition, ACD_DISP_FAILED);
    assert_int_equal(cdr->wait_ms, 700);
    assert_int_equal(cdr->offers, 0);
}

static void test_abandon_queued(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "c1", "200", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_call(h, "c1").position, 1);
    h->now += 30000;
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h->out.n, 1);
    const acd_cdr_t *cdr = &h_act(h, 0, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->call_id, "c1");
    assert_string_equal(cdr->tenant, "beta");
    assert_string_equal(cdr->queue, "support");
    assert_string_equal(cdr->agent, "");
    assert_int_equal(cdr->enqueue_ms, H_T0);
    assert_int_equal(cdr->answer_ms, 0);
    assert_int_equal(cdr->end_ms, H_T0 + 30000);
    assert_int_equal(cdr->wait_ms, 30000);
    assert_int_equal(cdr->talk_ms, 0);
    assert_int_equal(cdr->offers, 0);
    assert_int_equal(cdr->disposition, ACD_DISP_ABANDONED);
}

static void test_abandon_offered(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h->now += 1000;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h->now += 3000;
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h->out.n, 3);
    const acd_action_t *cancel = h_act(h, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->call_id, "c1");
    assert_string_equal(cancel->agent_id, "a2");
    h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    const acd_cdr_t *cdr = &h_act(h, 2, ACD_ACT_CDR)->cdr;
    assert_int_equal(cdr->disposition, ACD_DISP_ABANDONED);
    assert_int_equal(cdr->offers, 1);
    assert_int_equal(cdr->wait_ms, 3000);
    assert_string_equal(cdr->agent, "");
    acd_agent_view_t v = h_agent(h, "a2");
    assert_int_equal(v.missed_in_row, 0);
    assert_int_equal(v.idle_since, H_T0);
    assert_int_equal(v.calls_handled, 0);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
}

static void test_logout_while_ringing(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h->now += 10;
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h->now += 10;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    assert_int_equal(h_call(h, "c2").position, 1);
    h->now += 10;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h->out.n, 2);
    const acd_action_t *cancel = h_act(h, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->call_id, "c1");
    assert_string_equal(cancel->reason, "logout");
    h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_LOGGED_OUT);
    /* c1 is back at its original place, ahead of c2. */
    assert_int_equal(h_call(h, "c1").state, ACD_CALL_QUEUED);
    assert_int_equal(h_call(h, "c1").position, 1);
    assert_int_equal(h_call(h, "c1").enqueue_ms, H_T0 + 10);
    assert_int_equal(h_call(h, "c2").position, 2);
    assert_int_equal(h_agent(h, "a2").missed_in_row, 0);

    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h->out.n, 3);
    h_expect_offer(h, 1, "c1", "a1");
}

static void test_logout_while_on_call(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(h_agent(h, "a2").state, ACD_AGENT_ON_CALL);
    h->now += 5000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(h->out.n, 3);
    h_act(h, 0, ACD_ACT_END_CALL);
    h_expect_state(h, 1, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_LOGGED_OUT);
    h_act(h, 2, ACD_ACT_CDR);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
    /* Logged out: a new call waits. */
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
}

static void h_collect_agent(void *ud, const acd_agent_view_t *v)
{
    h_snap_printf(ud, "%s,", v->id);
}

static void h_collect_queue(void *ud, const acd_queue_view_t *v)
{
    h_snap_printf(ud, "%s:%zu/%zu/%zu/%zu/%lld,", v->name, v->waiting, v->offered,
                  v->agents_logged_in, v->agents_available, (long long)v->oldest_enqueue);
}

static void h_collect_call(void *ud, const acd_call_view_t *v)
{
    h_snap_printf(ud, "%s@%s#%d,", v->id, v->queue, v->position);
}

static void test_views(void **state)
{
    h_t *h = *state;
    static h_snap_t s;
    s.n = 0;
    acd_core_foreach_agent(h->c, h_collect_agent, &s);
    assert_string_equal(s.s, "a1,a2,a3,a4,");

    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0); /* sales, p0, T0 */
    h->now += 1;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 5), 0); /* sales, p5 */
    h->now += 1;
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 0), 0); /* sales, p0 */
    h->now += 1;
    assert_int_equal(h_arrive(h, "c4", "200", NULL, 0), 0); /* support */
    h->now += 1;
    assert_int_equal(h_arrive(h, "c5", "100", "vip", 0), 0); /* vip, p10 */
    assert_int_equal(h_call(h, "c2").position, 1);
    assert_int_equal(h_call(h, "c1").position, 2);
    assert_int_equal(h_call(h, "c3").position, 3);
    assert_int_equal(h_call(h, "c4").position, 1);

    /* a2 takes the first sales call (c2); it is listed after the waiting ones. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    h_expect_offer(h, 1, "c2", "a2");
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a3"), 0);
    h_expect_offer(h, 1, "c4", "a3");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c4", "a3"), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    h_expect_offer(h, 1, "c1", "a1");
    assert_int_equal(h_call(h, "c3").position, 1);

    s.n = 0;
    acd_core_foreach_call(h->c, h_collect_call, &s);
    assert_string_equal(s.s, "c3@sales#1,c1@sales#0,c2@sales#0,c4@support#0,c5@vip#1,");
    s.n = 0;
    acd_core_foreach_queue(h->c, h_collect_queue, &s);
    assert_string_equal(s.s, "sales:1/2/2/0/1000002,support:0/0/2/0/0,vip:1/0/0/0/1000004,");
    acd_call_view_t cv = h_call(h, "c4");
    assert_int_equal(cv.state, ACD_CALL_CONNECTED);
    assert_string_equal(cv.agent, "a3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_login_logout, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_pause_unpause, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_refused_transitions, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_arrive_errors, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_connect_agent_hangup_cdr, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_wrapup_timing, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_caller_hangup_connected_and_failed, h_setup,
                                        h_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_queued, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_offered, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_logout_while_ringing, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_logout_while_on_call, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_views, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
