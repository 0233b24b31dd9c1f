/* test_remote.c - cluster offers between two cores wired by hand: A owns calls, B agents. */
#include "acd/harness.h"

/*
 * Both cores get the standard configuration (the cluster's), with local dispatch off.
 * Agents log in at B only, calls arrive at A only; A's copies of the agents stay
 * logged out, which also proves that a remote agent never moves A's agent table.
 */
typedef struct two {
    h_t a, b;
} two_t;

static int two_setup(void **state)
{
    two_t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    h_t *hs[2] = {&t->a, &t->b};
    for (int i = 0; i < 2; i++) {
        h_t *h = hs[i];
        assert_int_equal(acd_core_alloc(&h->c), 0);
        h->now = H_T0;
        assert_int_equal(acd_core_configure(h->c, &h_cfg, h->now, &h->out), 0);
        assert_true(acd_core_local_dispatch(h->c));
        assert_int_equal(acd_core_set_local_dispatch(h->c, false, h->now, &h->out), 0);
        assert_false(acd_core_local_dispatch(h->c));
        assert_int_equal(h->out.n, 0);
        h_check(h);
    }
    *state = t;
    return 0;
}

static int two_teardown(void **state)
{
    two_t *t = *state;
    h_t *hs[2] = {&t->a, &t->b};
    for (int i = 0; i < 2; i++) {
        acd_core_free(hs[i]->c);
        acd_actions_fini(&hs[i]->out);
    }
    free(t);
    return 0;
}

static void two_advance(two_t *t, acd_ms_t ms)
{
    t->a.now += ms;
    t->b.now += ms;
}

static acd_event_t t_mk_reserve(const char *offer, uint64_t epoch, const char *agent,
                                const char *call, const char *queue)
{
    acd_event_t ev = h_mkev(ACD_EV_REMOTE_RESERVE, call, agent);
    snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", offer);
    snprintf(ev.call_site, sizeof(ev.call_site), "A");
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue);
    ev.epoch = epoch;
    return ev;
}

static int t_reserve(h_t *b, const char *offer, uint64_t epoch, const char *agent, const char *call,
                     const char *queue)
{
    acd_event_t ev = t_mk_reserve(offer, epoch, agent, call, queue);
    return h_apply(b, &ev);
}

static int t_accepted(h_t *a, const char *offer, const char *call, const char *agent)
{
    acd_event_t ev = h_mkev(ACD_EV_REMOTE_ACCEPTED, call, agent);
    snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", offer);
    snprintf(ev.agent_site, sizeof(ev.agent_site), "B");
    snprintf(ev.sip_user, sizeof(ev.sip_user), "u-%s", agent);
    return h_apply(a, &ev);
}

static acd_event_t t_mk_update(const char *agent, const char *call, acd_remote_kind_t kind,
                               const char *offer)
{
    acd_event_t ev = h_mkev(ACD_EV_REMOTE_CALL_UPDATE, call, agent);
    ev.kind = kind;
    if (offer)
        snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", offer);
    return ev;
}

static int t_epoch(h_t *h, uint64_t epoch)
{
    acd_event_t ev = h_mkev(ACD_EV_EPOCH, NULL, NULL);
    ev.epoch = epoch;
    return h_apply(h, &ev);
}

/* Action i of h is an OFFER_REJECT of offer for reason. */
static void t_expect_reject(const h_t *h, size_t i, const char *offer, const char *reason)
{
    const acd_action_t *act = h_act(h, i, ACD_ACT_OFFER_REJECT);
    assert_string_equal(act->offer_id, offer);
    assert_string_equal(act->reason, reason);
}

/* A's REMOTE_AGENT and REMOTE_RELEASE actions, fed to B as REMOTE_CALL_UPDATEs; returns how many.
 */
static size_t t_forward_to_b(two_t *t)
{
    acd_actions_t copy = {0};
    assert_int_equal(acd__actions_reserve(&copy, t->a.out.n), 0);
    memcpy(copy.v, t->a.out.v, t->a.out.n * sizeof(*copy.v));
    copy.n = t->a.out.n;
    size_t n = 0;
    for (size_t i = 0; i < copy.n; i++) {
        const acd_action_t *act = &copy.v[i];
        if (act->type != ACD_ACT_REMOTE_AGENT && act->type != ACD_ACT_REMOTE_RELEASE)
            continue;
        assert_string_equal(act->agent_site, "B");
        acd_remote_kind_t kind =
            act->type == ACD_ACT_REMOTE_RELEASE ? ACD_REMOTE_RELEASED : act->kind;
        acd_event_t ev = t_mk_update(act->agent_id, act->call_id, kind, act->offer_id);
        assert_int_equal(h_apply(&t->b, &ev), 0);
        n++;
    }
    acd_actions_fini(&copy);
    return n;
}

/* The one OFFER_ACCEPT among B's last actions, fed to A. */
static void t_forward_to_a(two_t *t)
{
    const acd_action_t *acc = NULL;
    for (size_t i = 0; i < t->b.out.n; i++) {
        if (t->b.out.v[i].type == ACD_ACT_OFFER_ACCEPT) {
            assert_null(acc);
            acc = &t->b.out.v[i];
        }
    }
    assert_non_null(acc);
    char offer[ACD_ID_MAX], call[ACD_ID_MAX], agent[ACD_ID_MAX];
    snprintf(offer, sizeof(offer), "%s", acc->offer_id);
    snprintf(call, sizeof(call), "%s", acc->call_id);
    snprintf(agent, sizeof(agent), "%s", acc->agent_id);
    assert_int_equal(t_accepted(&t->a, offer, call, agent), 0);
}

static void t_expect_remote_agent(const h_t *h, size_t i, const char *call, const char *agent,
                                  acd_remote_kind_t kind)
{
    const acd_action_t *act = h_act(h, i, ACD_ACT_REMOTE_AGENT);
    assert_string_equal(act->call_id, call);
    assert_string_equal(act->agent_id, agent);
    assert_string_equal(act->agent_site, "B");
    assert_int_equal(act->kind, kind);
}

/* A's copy of agent id is untouched: logged out, no call. */
static void t_a_agent_untouched(const two_t *t, const char *id)
{
    acd_agent_view_t v = h_agent(&t->a, id);
    assert_int_equal(v.state, ACD_AGENT_LOGGED_OUT);
    assert_string_equal(v.call_id, "");
}

/* ---- tests ---- */

static void test_local_dispatch_toggle(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a;
    /* Off: a local agent and a local call are not matched. */
    assert_int_equal(h_ev(a, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(a->out.n, 0);
    assert_int_equal(h_call(a, "c1").state, ACD_CALL_QUEUED);
    /* On (island mode): dispatches at once. */
    a->now += 10;
    acd_actions_reset(&a->out);
    assert_int_equal(acd_core_set_local_dispatch(a->c, true, a->now, &a->out), 0);
    h_check(a);
    assert_int_equal(a->out.n, 2);
    h_expect_offer(a, 0, "c1", "a2");
    assert_string_equal(a->out.v[0].agent_site, "");
    h_expect_state(a, 1, "a2", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    assert_int_equal(acd_core_set_local_dispatch(NULL, true, a->now, &a->out), -EINVAL);
}

static void test_accept_answer_end(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(a->out.n, 0);

    two_advance(t, 100);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    assert_int_equal(b->out.n, 2);
    const acd_action_t *acc = h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
    assert_string_equal(acc->offer_id, "o1");
    assert_string_equal(acc->call_id, "c1");
    assert_string_equal(acc->call_site, "A");
    assert_string_equal(acc->sip_user, "u1");
    assert_int_equal(acc->epoch, 5);
    h_expect_state(b, 1, "a1", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
    assert_int_equal(acd_core_epoch(b->c), 5);
    acd_agent_view_t av = h_agent(b, "a1");
    assert_string_equal(av.call_id, "c1");
    assert_string_equal(av.call_site, "A");
    assert_int_equal(acd_core_next_deadline(b->c), b->now + 20000 + ACD_RESERVATION_GRACE_MS);

    two_advance(t, 50);
    t_forward_to_a(t);
    assert_int_equal(a->out.n, 1);
    const acd_action_t *off = h_act(a, 0, ACD_ACT_OFFER);
    assert_string_equal(off->call_id, "c1");
    assert_string_equal(off->agent_id, "a1");
    assert_string_equal(off->agent_site, "B");
    assert_string_equal(off->sip_user, "u-a1");
    assert_string_equal(off->offer_id, "o1");
    assert_int_equal(off->ring_timeout_ms, 20000);
    acd_call_view_t cv = h_call(a, "c1");
    assert_int_equal(cv.state, ACD_CALL_OFFERED);
    assert_string_equal(cv.agent, "a1");
    assert_string_equal(cv.agent_site, "B");
    assert_int_equal(acd_core_next_deadline(a->c), a->now + 20000);
    t_a_agent_untouched(t, "a1");

    two_advance(t, 3000);
    assert_int_equal(h_ev(a, ACD_EV_OFFER_ANSWERED, "c1", "a1"), 0);
    assert_int_equal(a->out.n, 2);
    assert_string_equal(h_act(a, 0, ACD_ACT_CONNECT)->agent_site, "B");
    t_expect_remote_agent(a, 1, "c1", "a1", ACD_REMOTE_ANSWERED);
    assert_int_equal(acd_core_next_deadline(a->c), INT64_MAX);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_RINGING, ACD_AGENT_ON_CALL);
    assert_int_equal(acd_core_next_deadline(b->c), INT64_MAX);

    two_advance(t, 60000);
    assert_int_equal(h_ev(a, ACD_EV_AGENT_HANGUP, "c1", "a1"), 0);
    assert_int_equal(a->out.n, 3);
    assert_string_equal(h_act(a, 0, ACD_ACT_END_CALL)->agent_site, "B");
    t_expect_remote_agent(a, 1, "c1", "a1", ACD_REMOTE_ENDED);
    const acd_cdr_t *cdr = &h_act(a, 2, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->agent, "a1");
    assert_string_equal(cdr->agent_site, "B");
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);
    assert_int_equal(cdr->offers, 1);
    assert_int_equal(cdr->wait_ms, 3150);
    assert_int_equal(cdr->talk_ms, 60000);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(h_count(b, ACD_ACT_CDR), 0); /* one CDR, at the call's owner */
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_ON_CALL, ACD_AGENT_WRAPUP);
    assert_int_equal(h_agent(b, "a1").calls_handled, 1);
    assert_string_equal(h_agent(b, "a1").call_id, "");

    assert_int_equal(h_tick_at(b, b->now + 5000), 0);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_WRAPUP, ACD_AGENT_AVAILABLE);
    assert_int_equal(h_agent(b, "a1").idle_since, b->now);
    t_a_agent_untouched(t, "a1");
    acd_call_view_t gone;
    assert_int_equal(acd_core_call(a->c, "c1", &gone), -ENOENT);
}

static void test_reject_reasons_and_duplicates(void **state)
{
    two_t *t = *state;
    h_t *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a3"), 0);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);

    static h_snap_t before, after;
    h_snapshot(b, &before);
    assert_int_equal(t_reserve(b, "o2", 5, "a1", "c2", "sales"), 0);
    assert_int_equal(b->out.n, 1);
    t_expect_reject(b, 0, "o2", "busy");
    assert_string_equal(b->out.v[0].call_id, "c2");
    assert_int_equal(b->out.v[0].epoch, 5);
    assert_int_equal(t_reserve(b, "o3", 5, "a2", "c2", "sales"), 0); /* logged out */
    t_expect_reject(b, 0, "o3", "unknown-agent");
    assert_int_equal(t_reserve(b, "o4", 5, "nobody", "c2", "sales"), 0);
    t_expect_reject(b, 0, "o4", "unknown-agent");
    assert_int_equal(t_reserve(b, "o5", 5, "a3", "c2", "sales"), 0); /* a3: support only */
    t_expect_reject(b, 0, "o5", "not-member");
    assert_int_equal(t_reserve(b, "o6", 5, "a3", "c2", "nosuch"), 0);
    t_expect_reject(b, 0, "o6", "not-member");
    /* A duplicate of the live offer is accepted again, without any change. */
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    assert_int_equal(b->out.n, 1);
    h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
    h_snapshot(b, &after);
    assert_string_equal(before.s, after.s);

    /* Malformed offers and updates are refused. */
    acd_event_t ev = t_mk_reserve("o7", 0, "a3", "c2", "support");
    h_refused(b, &ev, -EINVAL);
    ev = t_mk_reserve("", 5, "a3", "c2", "support");
    h_refused(b, &ev, -EINVAL);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_NONE, NULL);
    h_refused(b, &ev, -EINVAL);
    /* Updates that are not about the agent's current call and offer change nothing. */
    ev = t_mk_update("a1", "c2", ACD_REMOTE_ANSWERED, NULL);
    h_refused(b, &ev, ACD_ESTATE);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_RELEASED, "o2");
    h_refused(b, &ev, ACD_ESTATE);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_ENDED, "o2");
    h_refused(b, &ev, ACD_ESTATE);
    ev = t_mk_update("a3", "c1", ACD_REMOTE_MISSED, NULL);
    h_refused(b, &ev, ACD_ESTATE);
    ev = t_mk_update("nobody", "c1", ACD_REMOTE_MISSED, NULL);
    h_refused(b, &ev, ACD_ENOAGENT);
    /* Ringing, a reserved agent cannot pause; answered, a duplicate ANSWERED is a no-op. */
    ev = h_mkev(ACD_EV_AGENT_PAUSE, NULL, "a1");
    h_refused(b, &ev, ACD_ESTATE);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_ANSWERED, "o1");
    assert_int_equal(h_apply(b, &ev), 0);
    assert_int_equal(b->out.n, 1);
    assert_int_equal(h_apply(b, &ev), 0);
    assert_int_equal(b->out.n, 0);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_MISSED, "o1"); /* on a call: no miss */
    h_refused(b, &ev, ACD_ESTATE);
}

static void test_stale_epoch(void **state)
{
    two_t *t = *state;
    h_t *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(acd_core_epoch(b->c), 0);
    assert_int_equal(t_epoch(b, 6), 0);
    assert_int_equal(b->out.n, 0);
    assert_int_equal(t_epoch(b, 3), 0); /* never lowers */
    assert_int_equal(acd_core_epoch(b->c), 6);
    acd_event_t ev = h_mkev(ACD_EV_EPOCH, NULL, NULL);
    h_refused(b, &ev, -EINVAL);

    static h_snap_t before, after;
    h_snapshot(b, &before);
    assert_int_equal(t_reserve(b, "o5", 5, "a1", "c1", "sales"), 0);
    assert_int_equal(b->out.n, 1);
    t_expect_reject(b, 0, "o5", "stale-epoch");
    h_snapshot(b, &after);
    assert_string_equal(before.s, after.s);

    assert_int_equal(t_reserve(b, "o7", 7, "a1", "c1", "sales"), 0);
    h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
    assert_int_equal(acd_core_epoch(b->c), 7);
    assert_int_equal(h_agent(b, "a1").state, ACD_AGENT_RINGING);
}

/* The caller hangs up before the accept reaches A: A releases, B's agent is free, no miss. */
static void test_accept_after_abandon(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    acd_ms_t idle = b->now;
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    two_advance(t, 1000);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    assert_int_equal(h_hangup(a, "c1", false), 0);
    assert_int_equal(a->out.n, 1);
    assert_int_equal(h_act(a, 0, ACD_ACT_CDR)->cdr.disposition, ACD_DISP_ABANDONED);

    two_advance(t, 100);
    t_forward_to_a(t);
    assert_int_equal(a->out.n, 1);
    const acd_action_t *rel = h_act(a, 0, ACD_ACT_REMOTE_RELEASE);
    assert_string_equal(rel->agent_id, "a1");
    assert_string_equal(rel->agent_site, "B");
    assert_string_equal(rel->call_id, "c1");
    assert_string_equal(rel->offer_id, "o1");
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    acd_agent_view_t v = h_agent(b, "a1");
    assert_int_equal(v.missed_in_row, 0);
    assert_int_equal(v.idle_since, idle);
    assert_string_equal(v.call_id, "");
    assert_int_equal(acd_core_next_deadline(b->c), INT64_MAX);
}

/* Abandoned while ringing the remote agent: CANCEL_OFFER, RELEASED, one CDR. */
static void test_abandon_while_ringing_remote(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    t_forward_to_a(t);
    two_advance(t, 2000);
    assert_int_equal(h_hangup(a, "c1", false), 0);
    assert_int_equal(a->out.n, 3);
    const acd_action_t *cancel = h_act(a, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->agent_site, "B");
    assert_string_equal(cancel->reason, "abandoned");
    t_expect_remote_agent(a, 1, "c1", "a1", ACD_REMOTE_RELEASED);
    const acd_cdr_t *cdr = &h_act(a, 2, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->agent, "");
    assert_int_equal(cdr->offers, 1);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(h_agent(b, "a1").state, ACD_AGENT_AVAILABLE);
    assert_int_equal(h_agent(b, "a1").missed_in_row, 0);
}

/* support: ring 15 s, 2 misses pause. A timeout and a failed offer both count at B. */
static void test_miss_pauses_after_max_no_answer(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a3"), 0);
    acd_ms_t idle = b->now;
    assert_int_equal(h_arrive(a, "c1", "200", NULL, 0), 0);

    two_advance(t, 100);
    assert_int_equal(t_reserve(b, "o1", 5, "a3", "c1", "support"), 0);
    t_forward_to_a(t);
    assert_int_equal(acd_core_next_deadline(a->c), a->now + 15000);
    assert_int_equal(h_tick_at(a, a->now + 14999), 0);
    assert_int_equal(a->out.n, 0);
    two_advance(t, 15000);
    assert_int_equal(h_tick_at(a, a->now), 0);
    assert_int_equal(a->out.n, 2);
    const acd_action_t *cancel = h_act(a, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->reason, "timeout");
    assert_string_equal(cancel->agent_site, "B");
    t_expect_remote_agent(a, 1, "c1", "a3", ACD_REMOTE_MISSED);
    acd_call_view_t cv = h_call(a, "c1");
    assert_int_equal(cv.state, ACD_CALL_QUEUED);
    assert_int_equal(cv.position, 1);
    assert_string_equal(cv.agent, "");
    assert_int_equal(t_forward_to_b(t), 1);
    h_expect_state(b, 0, "a3", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    assert_int_equal(h_agent(b, "a3").missed_in_row, 1);
    assert_int_equal(h_agent(b, "a3").idle_since, idle);

    two_advance(t, 100);
    assert_int_equal(t_reserve(b, "o2", 5, "a3", "c1", "support"), 0);
    t_forward_to_a(t);
    acd_event_t ev = h_mkev(ACD_EV_OFFER_FAILED, "c1", "a1"); /* not the agent rung */
    h_refused(a, &ev, ACD_ESTATE);
    assert_int_equal(h_ev(a, ACD_EV_OFFER_FAILED, "c1", "a3"), 0);
    assert_int_equal(a->out.n, 1);
    t_expect_remote_agent(a, 0, "c1", "a3", ACD_REMOTE_MISSED);
    assert_int_equal(t_forward_to_b(t), 1);
    h_expect_state(b, 0, "a3", ACD_AGENT_RINGING, ACD_AGENT_PAUSED);
    assert_string_equal(b->out.v[0].reason, "no-answer");
    assert_int_equal(h_agent(b, "a3").missed_in_row, 2);

    /* Paused: the next offer is refused; UNPAUSE forgets the misses. */
    assert_int_equal(t_reserve(b, "o3", 5, "a3", "c1", "support"), 0);
    t_expect_reject(b, 0, "o3", "busy");
    assert_int_equal(h_ev(b, ACD_EV_AGENT_UNPAUSE, NULL, "a3"), 0);
    assert_int_equal(h_agent(b, "a3").missed_in_row, 0);
    /* The call still waits at A with both offers counted. */
    assert_int_equal(h_hangup(a, "c1", false), 0);
    assert_int_equal(h_act(a, 0, ACD_ACT_CDR)->cdr.offers, 2);
}

/* A goes silent after B's accept: the reservation ends by itself, and late news is refused. */
static void test_reservation_expiry(void **state)
{
    two_t *t = *state;
    h_t *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    acd_ms_t idle = b->now;
    two_advance(t, 100);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    acd_ms_t until = b->now + 20000 + ACD_RESERVATION_GRACE_MS;
    assert_int_equal(acd_core_next_deadline(b->c), until);
    assert_int_equal(h_tick_at(b, until - 1), 0);
    assert_int_equal(b->out.n, 0);
    assert_int_equal(h_tick_at(b, until + 700), 0); /* late tick: stamped with the deadline */
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_RINGING, ACD_AGENT_AVAILABLE);
    assert_string_equal(b->out.v[0].reason, "reservation-expired");
    assert_string_equal(b->out.v[0].call_id, "c1");
    assert_string_equal(b->out.v[0].call_site, "A");
    acd_agent_view_t v = h_agent(b, "a1");
    assert_int_equal(v.state_since, until);
    assert_int_equal(v.idle_since, idle);
    assert_int_equal(v.missed_in_row, 0);
    assert_string_equal(v.pause_reason, "");
    acd_event_t ev = t_mk_update("a1", "c1", ACD_REMOTE_ANSWERED, "o1");
    h_refused(b, &ev, ACD_ESTATE);
    /* Available again: a new offer is taken. */
    assert_int_equal(t_reserve(b, "o2", 5, "a1", "c2", "sales"), 0);
    h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
}

/* Logout and removal end a reservation and tell the call's owner (call_site). */
static void test_reserved_agent_logout_and_removal(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c1", "sales"), 0);
    t_forward_to_a(t);
    /* The logout waits for A (whose leg rings); CANCEL_OFFER asks A to stop ringing. */
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGOUT, NULL, "a1"), 0);
    assert_int_equal(b->out.n, 1);
    const acd_action_t *cancel = h_act(b, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->call_id, "c1");
    assert_string_equal(cancel->call_site, "A");
    assert_string_equal(cancel->offer_id, "o1");
    assert_string_equal(cancel->reason, "logout");
    assert_int_equal(h_agent(b, "a1").state, ACD_AGENT_RINGING);
    acd_event_t ev = h_mkev(ACD_EV_AGENT_LOGOUT, NULL, "a1");
    h_refused(b, &ev, ACD_ESTATE); /* already pending */
    /* LOGIN withdraws it; LOGOUT asks again. */
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(b->out.n, 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGOUT, NULL, "a1"), 0);
    /* A learns it as a failed offer: requeued; its MISSED logs the agent out at B. */
    assert_int_equal(h_ev(a, ACD_EV_OFFER_FAILED, "c1", "a1"), 0);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_RINGING, ACD_AGENT_LOGGED_OUT);
    ev = t_mk_update("a1", "c1", ACD_REMOTE_MISSED, "o1");
    h_refused(b, &ev, ACD_ESTATE);

    assert_int_equal(t_reserve(b, "o2", 5, "a2", "c1", "sales"), 0);
    static const char *const q_sales[] = {"sales"};
    static const acd_core_agent_cfg_t agents[] = {
        {.id = "a1", .sip_user = "u1", .queues = q_sales, .n_queues = 1},
    };
    acd_core_cfg_t cfg = h_cfg;
    cfg.agents = agents;
    cfg.n_agents = 1;
    acd_actions_reset(&b->out);
    assert_int_equal(acd_core_configure(b->c, &cfg, b->now, &b->out), 0);
    h_check(b);
    cancel = h_act(b, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->agent_id, "a2");
    assert_string_equal(cancel->reason, "removed");
    assert_string_equal(cancel->call_site, "A");
}

/* A logout while reserved waits: for the expiry, or for the answered call's end. */
static void test_logout_waits_for_reservation(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(t_reserve(b, "o1", 5, "a1", "c9", "sales"), 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGOUT, NULL, "a1"), 0);
    acd_ms_t until = b->now + 20000 + ACD_RESERVATION_GRACE_MS;
    assert_int_equal(h_tick_at(b, until), 0);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a1", ACD_AGENT_RINGING, ACD_AGENT_LOGGED_OUT);
    assert_string_equal(b->out.v[0].reason, "reservation-expired");
    a->now = b->now;

    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(t_reserve(b, "o2", 5, "a2", "c1", "sales"), 0);
    t_forward_to_a(t);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGOUT, NULL, "a2"), 0);
    assert_int_equal(h_ev(a, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0); /* answered anyway */
    assert_int_equal(t_forward_to_b(t), 1);
    h_expect_state(b, 0, "a2", ACD_AGENT_RINGING, ACD_AGENT_ON_CALL);
    two_advance(t, 1000);
    assert_int_equal(h_ev(a, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(b->out.n, 1);
    h_expect_state(b, 0, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_LOGGED_OUT); /* no wrap-up */
    assert_int_equal(acd_core_next_deadline(b->c), INT64_MAX);
}

/* An agent removed while on a remote call lives on until ENDED, then is freed. */
static void test_removed_agent_on_remote_call(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(t_reserve(b, "o1", 5, "a2", "c1", "sales"), 0);
    t_forward_to_a(t);
    assert_int_equal(h_ev(a, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    assert_int_equal(t_forward_to_b(t), 1);
    acd_core_cfg_t cfg = h_cfg;
    cfg.n_agents = 1; /* a1 only */
    acd_actions_reset(&b->out);
    assert_int_equal(acd_core_configure(b->c, &cfg, b->now, &b->out), 0);
    h_check(b);
    assert_int_equal(h_agent(b, "a2").state, ACD_AGENT_ON_CALL);
    assert_int_equal(h_hangup(a, "c1", false), 0);
    assert_int_equal(t_forward_to_b(t), 1);
    h_expect_state(b, 0, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_LOGGED_OUT);
    acd_agent_view_t v;
    assert_int_equal(acd_core_agent(b->c, "a2", &v), ACD_ENOAGENT);
}

/* Two leaders (epochs 5 and 6) offer one agent two calls at once: exactly one accept. */
static void test_two_leaders_one_agent(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    for (int order = 0; order < 2; order++) {
        char o5[8], o6[8];
        snprintf(o5, sizeof(o5), "x5-%d", order);
        snprintf(o6, sizeof(o6), "x6-%d", order);
        if (order == 0)
            assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
        assert_int_equal(h_arrive(a, order ? "c3" : "c1", "100", NULL, 0), 0);
        assert_int_equal(h_arrive(a, order ? "c4" : "c2", "100", NULL, 0), 0);
        size_t accepts = 0, rejects = 0;
        for (int k = 0; k < 2; k++) {
            bool first5 = order == 0;
            bool is5 = (k == 0) == first5;
            const char *call = is5 ? (order ? "c3" : "c1") : (order ? "c4" : "c2");
            assert_int_equal(t_reserve(b, is5 ? o5 : o6, is5 ? 5 : 6, "a1", call, "sales"), 0);
            accepts += h_count(b, ACD_ACT_OFFER_ACCEPT);
            rejects += h_count(b, ACD_ACT_OFFER_REJECT);
            if (k == 0) {
                h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
                t_forward_to_a(t);
            } else {
                t_expect_reject(b, 0, is5 ? o5 : o6, order == 0 ? "busy" : "stale-epoch");
            }
        }
        assert_int_equal(accepts, 1);
        assert_int_equal(rejects, 1);
        /* A rang a1 for exactly one call; free it for the next round. */
        size_t offered = 0;
        const char *calls[2] = {order ? "c3" : "c1", order ? "c4" : "c2"};
        for (int k = 0; k < 2; k++) {
            acd_call_view_t v = h_call(a, calls[k]);
            offered += v.state == ACD_CALL_OFFERED && strcmp(v.agent, "a1") == 0;
        }
        assert_int_equal(offered, 1);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(h_hangup(a, calls[k], false), 0);
            t_forward_to_b(t);
        }
        assert_int_equal(h_agent(b, "a1").state, ACD_AGENT_AVAILABLE);
    }
    assert_int_equal(acd_core_epoch(b->c), 6);
}

/* Two leaders offer one call to two agents: A rings only one and releases the other. */
static void test_two_leaders_one_call(void **state)
{
    two_t *t = *state;
    h_t *a = &t->a, *b = &t->b;
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_ev(b, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(a, "c1", "100", NULL, 0), 0);
    assert_int_equal(t_reserve(b, "o5", 5, "a1", "c1", "sales"), 0);
    h_act(b, 0, ACD_ACT_OFFER_ACCEPT);
    assert_int_equal(t_reserve(b, "o6", 6, "a2", "c1", "sales"), 0);
    h_act(b, 0, ACD_ACT_OFFER_ACCEPT);

    assert_int_equal(t_accepted(a, "o5", "c1", "a1"), 0);
    h_act(a, 0, ACD_ACT_OFFER);
    assert_int_equal(t_accepted(a, "o6", "c1", "a2"), 0);
    assert_int_equal(a->out.n, 1);
    const acd_action_t *rel = h_act(a, 0, ACD_ACT_REMOTE_RELEASE);
    assert_string_equal(rel->agent_id, "a2");
    assert_string_equal(rel->offer_id, "o6");
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(h_agent(b, "a2").state, ACD_AGENT_AVAILABLE);
    assert_int_equal(h_agent(b, "a1").state, ACD_AGENT_RINGING);
    assert_string_equal(h_call(a, "c1").agent, "a1");

    /* Duplicates of either accept change nothing and emit nothing. */
    static h_snap_t before, after;
    h_snapshot(a, &before);
    assert_int_equal(t_accepted(a, "o5", "c1", "a1"), 0);
    assert_int_equal(a->out.n, 0);
    assert_int_equal(t_accepted(a, "o6", "c1", "a2"), 0);
    assert_int_equal(a->out.n, 0);
    h_snapshot(a, &after);
    assert_string_equal(before.s, after.s);

    /* a1 misses; a duplicate of its old accept must not ring it again. */
    assert_int_equal(h_ev(a, ACD_EV_OFFER_FAILED, "c1", "a1"), 0);
    assert_int_equal(t_forward_to_b(t), 1);
    assert_int_equal(t_accepted(a, "o5", "c1", "a1"), 0);
    assert_int_equal(a->out.n, 0);
    assert_int_equal(h_call(a, "c1").state, ACD_CALL_QUEUED);
    /* A stale answer from the released agent is hung up. */
    assert_int_equal(h_ev(a, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    h_act(a, 0, ACD_ACT_REJECT_ANSWER);
    acd_event_t ev = h_mkev(ACD_EV_REMOTE_ACCEPTED, "c1", "a1");
    h_refused(a, &ev, -EINVAL); /* no offer_id, no agent_site */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_dispatch_toggle, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_accept_answer_end, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_reject_reasons_and_duplicates, two_setup,
                                        two_teardown),
        cmocka_unit_test_setup_teardown(test_stale_epoch, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_accept_after_abandon, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_while_ringing_remote, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_miss_pauses_after_max_no_answer, two_setup,
                                        two_teardown),
        cmocka_unit_test_setup_teardown(test_reservation_expiry, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_reserved_agent_logout_and_removal, two_setup,
                                        two_teardown),
        cmocka_unit_test_setup_teardown(test_logout_waits_for_reservation, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_removed_agent_on_remote_call, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_two_leaders_one_agent, two_setup, two_teardown),
        cmocka_unit_test_setup_teardown(test_two_leaders_one_call, two_setup, two_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
