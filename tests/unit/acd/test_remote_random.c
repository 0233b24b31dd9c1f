/* test_remote_random.c - two cores, racing leaders, a lossy network: the cluster invariants. */
#include "acd/harness.h"

/*
 * Site 0 ("A") owns agents a1, a2; site 1 ("B") owns a3, a4; both take calls. Each
 * core has the whole (standard) configuration, local dispatch off, and now and then
 * one site goes to island mode for a while. Leaders with epochs 5, 6 and 7 offer
 * random waiting calls to random agents. Messages between the sites are delivered
 * in random order, duplicated or dropped - but never later than R_MAX_DELAY after they
 * were sent, which the reservation grace assumes (twice the delay, accept there and
 * answer back, is less than ACD_RESERVATION_GRACE_MS). ANSWERED and ENDED reports are
 * never lost for good: in acdd a lost one is a gap in the origin's log, recovered by a
 * resync well within that delay; every other message may be lost outright.
 *
 * After every step: both cores' own invariants; no agent is bound to two calls across
 * the sites; a call bound to another site's agent is that agent's reserved call at its
 * owner; every CDR comes from the call's owner, once. At the end everything converges.
 */
#define R_QUEUED (1u << ACD_CALL_QUEUED)
#define R_BOUND ((1u << ACD_CALL_OFFERED) | (1u << ACD_CALL_CONNECTED))
#define R_ANY (R_QUEUED | R_BOUND)

enum { R_SITES = 2, R_AGENTS = 4, R_MSGS = 256, R_CALLS = 4096, R_MAX_DELAY = 2000 };

static const char *const r_site[R_SITES] = {"A", "B"};
static const char *const r_agents[R_AGENTS] = {"a1", "a2", "a3", "a4"};
static const int r_owner[R_AGENTS] = {0, 0, 1, 1};

typedef struct r_msg {
    int to;
    acd_event_t ev;
    acd_ms_t sent;
    bool droppable;
} r_msg_t;

typedef struct r_sim {
    h_t s[R_SITES];
    acd_ms_t now;
    uint64_t rng;
    r_msg_t msgs[R_MSGS];
    size_t n_msgs;
    unsigned n_calls[R_SITES];
    unsigned char cdrs[R_SITES][R_CALLS];
    unsigned offers_made, accepts, remote_offers, connects, cdr_total, dropped, duplicated;
} r_sim_t;

static uint32_t r_rand(r_sim_t *m)
{
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (uint32_t)((m->rng * 2685821657736338717ULL) >> 32);
}

static unsigned r_below(r_sim_t *m, unsigned n)
{
    return r_rand(m) % n;
}

static int r_site_of(const char *name)
{
    for (int i = 0; i < R_SITES; i++) {
        if (strcmp(r_site[i], name) == 0)
            return i;
    }
    fail_msg("unknown site '%s'", name);
    return -1;
}

static int r_agent_of(const char *id)
{
    for (int i = 0; i < R_AGENTS; i++) {
        if (strcmp(r_agents[i], id) == 0)
            return i;
    }
    fail_msg("unknown agent '%s'", id);
    return -1;
}

static void r_send(r_sim_t *m, int to, const acd_event_t *ev, bool droppable)
{
    if (m->n_msgs == R_MSGS) { /* a full network loses what it cannot hold */
        assert_true(droppable);
        m->dropped++;
        return;
    }
    r_msg_t *msg = &m->msgs[m->n_msgs++];
    msg->to = to;
    msg->ev = *ev;
    msg->sent = m->now;
    msg->droppable = droppable;
}

/* The call owner's OFFER for another site's agent: that agent is reserved for it there. */
static void r_check_remote_offer(const r_sim_t *m, int site, const acd_action_t *act)
{
    int owner = r_site_of(act->agent_site);
    acd_agent_view_t v = h_agent(&m->s[owner], act->agent_id);
    if (v.state != ACD_AGENT_RINGING || strcmp(v.call_id, act->call_id) != 0 ||
        strcmp(v.call_site, r_site[site]) != 0)
        fail_msg("%s rings %s for %s but its owner has it %s for %s@%s", r_site[site],
                 act->agent_id, act->call_id, acd_agent_state_name(v.state), v.call_id,
                 v.call_site);
}

/* Turns the actions of site's last event into messages and bookkeeping. */
static void r_route(r_sim_t *m, int site)
{
    const h_t *h = &m->s[site];
    for (size_t i = 0; i < h->out.n; i++) {
        const acd_action_t *act = &h->out.v[i];
        acd_event_t ev;
        memset(&ev, 0, sizeof(ev));
        snprintf(ev.call_id, sizeof(ev.call_id), "%s", act->call_id);
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", act->agent_id);
        snprintf(ev.offer_id, sizeof(ev.offer_id), "%s", act->offer_id);
        switch (act->type) {
        case ACD_ACT_OFFER_ACCEPT:
            m->accepts++;
            ev.type = ACD_EV_REMOTE_ACCEPTED;
            snprintf(ev.agent_site, sizeof(ev.agent_site), "%s", r_site[site]);
            snprintf(ev.sip_user, sizeof(ev.sip_user), "%s", act->sip_user);
            r_send(m, r_site_of(act->call_site), &ev, true);
            break;
        case ACD_ACT_REMOTE_RELEASE:
        case ACD_ACT_REMOTE_AGENT:
            ev.type = ACD_EV_REMOTE_CALL_UPDATE;
            ev.kind = act->type == ACD_ACT_REMOTE_RELEASE ? ACD_REMOTE_RELEASED : act->kind;
            r_send(m, r_site_of(act->agent_site), &ev,
                   ev.kind == ACD_REMOTE_RELEASED || ev.kind == ACD_REMOTE_MISSED);
            break;
        case ACD_ACT_CANCEL_OFFER:
            if (act->call_site[0]) { /* our agent leaves: the call's owner stops ringing */
                ev.type = ACD_EV_OFFER_FAILED;
                r_send(m, r_site_of(act->call_site), &ev, true);
            }
            break;
        case ACD_ACT_OFFER:
            if (act->agent_site[0]) {
                m->remote_offers++;
                r_check_remote_offer(m, site, act);
            } else {
                assert_int_equal(r_owner[r_agent_of(act->agent_id)], site);
            }
            break;
        case ACD_ACT_CONNECT:
            m->connects++;
            break;
        case ACD_ACT_CDR: {
            unsigned k = (unsigned)strtoul(act->call_id + 2, NULL, 10);
            assert_true(act->call_id[0] == r_site[site][0] && k < m->n_calls[site]);
            if (m->cdrs[site][k]++)
                fail_msg("second CDR for %s", act->call_id);
            m->cdr_total++;
            break;
        }
        default:
            break;
        }
    }
}

/* Applies ev at site; refusals are expected for stale input, nothing else. */
static void r_apply(r_sim_t *m, int site, const acd_event_t *ev)
{
    h_t *h = &m->s[site];
    h->now = m->now;
    int rc = h_apply(h, ev);
    if (rc != 0 && rc != ACD_ESTATE && rc != ACD_ENOAGENT && rc != -ENOENT)
        fail_msg("site %s refused event %d with %d", r_site[site], (int)ev->type, rc);
    r_route(m, site);
}

/* ---- the cross-site invariants ---- */

typedef struct r_bind {
    const r_sim_t *m;
    int site;
    int bound[R_AGENTS];
} r_bind_t;

static void r_bind_call(void *ud, const acd_call_view_t *v)
{
    r_bind_t *b = ud;
    if (!v->agent[0])
        return;
    int g = r_agent_of(v->agent);
    if (b->bound[g]++)
        fail_msg("agent %s bound to two calls (one is %s@%s)", v->agent, v->id, r_site[b->site]);
    if (!v->agent_site[0]) {
        assert_int_equal(r_owner[g], b->site); /* local: the core's own check covers it */
        return;
    }
    assert_int_equal(r_site_of(v->agent_site), r_owner[g]);
    acd_agent_view_t a = h_agent(&b->m->s[r_owner[g]], v->agent);
    bool busy = a.state == ACD_AGENT_RINGING || a.state == ACD_AGENT_ON_CALL;
    if (!busy || strcmp(a.call_id, v->id) != 0 || strcmp(a.call_site, r_site[b->site]) != 0)
        fail_msg("%s@%s bound to %s, whose owner has it %s for %s@%s", v->id, r_site[b->site],
                 v->agent, acd_agent_state_name(a.state), a.call_id, a.call_site);
}

static void r_check(r_sim_t *m)
{
    r_bind_t b = {.m = m};
    for (int s = 0; s < R_SITES; s++) {
        b.site = s;
        acd_core_foreach_call(m->s[s].c, r_bind_call, &b);
    }
    /* Agents are busy only at their owners; elsewhere their copies stay logged out. */
    for (int g = 0; g < R_AGENTS; g++) {
        for (int s = 0; s < R_SITES; s++) {
            if (s != r_owner[g])
                assert_int_equal(h_agent(&m->s[s], r_agents[g]).state, ACD_AGENT_LOGGED_OUT);
        }
    }
}

/* ---- random steps ---- */

typedef struct r_pick {
    char id[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
    char agent[ACD_ID_MAX];
    acd_call_state_t state;
    unsigned seen, want, states; /* states: a mask of 1 << acd_call_state_t */
} r_pick_t;

static void r_pick_call(void *ud, const acd_call_view_t *v)
{
    r_pick_t *p = ud;
    if (!(p->states & (1u << v->state)))
        return;
    if (p->seen++ == p->want) {
        snprintf(p->id, sizeof(p->id), "%s", v->id);
        snprintf(p->queue, sizeof(p->queue), "%s", v->queue);
        snprintf(p->agent, sizeof(p->agent), "%s", v->agent);
        p->state = v->state;
    }
}

/* A random live call of site in one of states into *p; false when it has none. */
static bool r_some_call(r_sim_t *m, int site, unsigned states, r_pick_t *p)
{
    memset(p, 0, sizeof(*p));
    p->states = states;
    p->want = UINT32_MAX;
    acd_core_foreach_call(m->s[site].c, r_pick_call, p); /* counts */
    if (p->seen == 0)
        return false;
    p->want = r_below(m, p->seen);
    p->seen = 0;
    acd_core_foreach_call(m->s[site].c, r_pick_call, p);
    return true;
}

static void r_leader_offer(r_sim_t *m)
{
    static const uint64_t epochs[] = {5, 6, 6, 7};
    int site = (int)r_below(m, R_SITES);
    r_pick_t p;
    unsigned states = r_below(m, 8) ? R_QUEUED : R_ANY; /* now and then a call taken */
    if (!r_some_call(m, site, states, &p))
        return;
    /* Mostly an agent its owner has available (the leader's replica may be behind). */
    int g = (int)r_below(m, R_AGENTS);
    for (int k = 0; k < R_AGENTS && r_below(m, 8); k++) {
        int cand = (g + k) % R_AGENTS;
        if (h_agent(&m->s[r_owner[cand]], r_agents[cand]).state == ACD_AGENT_AVAILABLE) {
            g = cand;
            break;
        }
    }
    uint64_t epoch = epochs[r_below(m, 4)];
    acd_event_t ev = h_mkev(ACD_EV_REMOTE_RESERVE, p.id, r_agents[g]);
    snprintf(ev.offer_id, sizeof(ev.offer_id), "L%llu-%u", (unsigned long long)epoch,
             m->offers_made++);
    snprintf(ev.call_site, sizeof(ev.call_site), "%s", r_site[site]);
    snprintf(ev.queue, sizeof(ev.queue), "%s", p.queue);
    ev.epoch = epoch;
    r_send(m, r_owner[g], &ev, true);
    if (r_below(m, 8) == 0) {
        acd_event_t ep = h_mkev(ACD_EV_EPOCH, NULL, NULL);
        ep.epoch = epoch;
        r_send(m, (int)r_below(m, R_SITES), &ep, true);
    }
}

/*
 * Delivers message i - or, with chaos, may drop a droppable one or deliver a copy and
 * keep the original in flight (with its own send time, so still within the bound).
 */
static void r_deliver(r_sim_t *m, size_t i, bool chaos)
{
    r_msg_t msg = m->msgs[i];
    unsigned roll = r_below(m, 10);
    if (chaos && msg.droppable && roll == 0) {
        m->msgs[i] = m->msgs[--m->n_msgs];
        m->dropped++;
        return;
    }
    if (chaos && roll == 1) {
        m->duplicated++; /* the copy stays in flight, with its own send time */
    } else {
        m->msgs[i] = m->msgs[--m->n_msgs];
    }
    r_apply(m, msg.to, &msg.ev);
}

/*
 * Advances the clock by dt. Every message that would pass R_MAX_DELAY by then arrives
 * first, at the current time (what it causes too); with loss, a droppable one may be
 * lost instead. Then both sites get a TICK.
 */
static void r_advance(r_sim_t *m, acd_ms_t dt, bool loss)
{
    acd_ms_t target = m->now + dt;
    for (size_t i = 0; i < m->n_msgs;) {
        if (m->msgs[i].sent + R_MAX_DELAY > target) {
            i++;
            continue;
        }
        if (loss && m->msgs[i].droppable && r_below(m, 10) == 0) {
            m->msgs[i] = m->msgs[--m->n_msgs];
            m->dropped++;
        } else {
            r_deliver(m, i, false);
        }
        i = 0; /* delivery reorders the array and may send more */
    }
    m->now = target;
    acd_event_t tick = h_mkev(ACD_EV_TICK, NULL, NULL);
    for (int s = 0; s < R_SITES; s++)
        r_apply(m, s, &tick);
}

static void r_phone(r_sim_t *m)
{
    int site = (int)r_below(m, R_SITES);
    r_pick_t p;
    if (!r_some_call(m, site, r_below(m, 6) ? R_BOUND : R_ANY, &p))
        return;
    unsigned roll = r_below(m, 10);
    acd_event_t ev;
    if (roll == 0) {
        ev = h_mkev(ACD_EV_CALL_HANGUP, p.id, NULL);
        ev.failed = r_below(m, 4) == 0;
    } else if (p.state == ACD_CALL_OFFERED) {
        static const acd_event_type_t kinds[] = {ACD_EV_OFFER_ANSWERED, ACD_EV_OFFER_ANSWERED,
                                                 ACD_EV_OFFER_FAILED};
        const char *agent = roll == 1 ? r_agents[r_below(m, R_AGENTS)] : p.agent;
        ev = h_mkev(kinds[r_below(m, 3)], p.id, agent);
    } else if (p.state == ACD_CALL_CONNECTED) {
        ev = h_mkev(ACD_EV_AGENT_HANGUP, p.id, p.agent);
    } else {
        return;
    }
    r_apply(m, site, &ev);
}

static void r_agent_event(r_sim_t *m)
{
    static const acd_event_type_t kinds[] = {ACD_EV_AGENT_LOGIN,   ACD_EV_AGENT_LOGIN,
                                             ACD_EV_AGENT_LOGOUT,  ACD_EV_AGENT_PAUSE,
                                             ACD_EV_AGENT_UNPAUSE, ACD_EV_AGENT_UNPAUSE};
    int g = (int)r_below(m, R_AGENTS);
    acd_event_t ev = h_mkev(kinds[r_below(m, 6)], NULL, r_agents[g]);
    snprintf(ev.reason, sizeof(ev.reason), "break");
    r_apply(m, r_owner[g], &ev);
}

static void r_arrive(r_sim_t *m)
{
    static const char *const dids[] = {"100", "101", "200"};
    int site = (int)r_below(m, R_SITES);
    if (m->n_calls[site] >= R_CALLS)
        return;
    char id[ACD_ID_MAX];
    snprintf(id, sizeof(id), "%c-%u", r_site[site][0], m->n_calls[site]++);
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, id, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", dids[r_below(m, 3)]);
    if (r_below(m, 5) == 0 && ev.did[0] == '1')
        snprintf(ev.queue, sizeof(ev.queue), "vip");
    r_apply(m, site, &ev);
}

static void r_island(r_sim_t *m)
{
    int site = (int)r_below(m, R_SITES);
    h_t *h = &m->s[site];
    h->now = m->now;
    acd_actions_reset(&h->out);
    bool on = !acd_core_local_dispatch(h->c) && r_below(m, 3) == 0;
    assert_int_equal(acd_core_set_local_dispatch(h->c, on, m->now, &h->out), 0);
    h_check(h);
    r_route(m, site);
}

/* Ends everything: every call hangs up, every message arrives, every deadline passes. */
static void r_drain(r_sim_t *m)
{
    for (int s = 0; s < R_SITES; s++) {
        r_pick_t p;
        while (r_some_call(m, s, R_ANY, &p)) {
            acd_event_t ev = h_mkev(ACD_EV_CALL_HANGUP, p.id, NULL);
            r_apply(m, s, &ev);
        }
    }
    for (int round = 0; round < 4; round++)
        r_advance(m, 60000, false);
    assert_int_equal(m->n_msgs, 0);
    for (int s = 0; s < R_SITES; s++) {
        assert_int_equal(acd_core_next_deadline(m->s[s].c), INT64_MAX);
        for (unsigned k = 0; k < m->n_calls[s]; k++)
            assert_int_equal(m->cdrs[s][k], 1);
    }
    for (int g = 0; g < R_AGENTS; g++) {
        acd_agent_view_t v = h_agent(&m->s[r_owner[g]], r_agents[g]);
        assert_true(v.state != ACD_AGENT_RINGING && v.state != ACD_AGENT_ON_CALL &&
                    v.state != ACD_AGENT_WRAPUP);
        assert_string_equal(v.call_id, "");
    }
}

static void r_run(uint64_t seed, unsigned steps)
{
    r_sim_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->rng = seed;
    m->now = H_T0;
    for (int s = 0; s < R_SITES; s++) {
        h_t *h = &m->s[s];
        assert_int_equal(acd_core_alloc(&h->c), 0);
        h->now = m->now;
        assert_int_equal(acd_core_configure(h->c, &h_cfg, h->now, &h->out), 0);
        assert_int_equal(acd_core_set_local_dispatch(h->c, false, h->now, &h->out), 0);
    }
    for (unsigned i = 0; i < steps; i++) {
        unsigned roll = r_below(m, 100);
        if (roll < 30 && m->n_msgs)
            r_deliver(m, r_below(m, (unsigned)m->n_msgs), true);
        else if (roll < 45)
            r_leader_offer(m);
        else if (roll < 52)
            r_arrive(m);
        else if (roll < 70)
            r_phone(m);
        else if (roll < 80)
            r_agent_event(m);
        else if (roll < 81)
            r_island(m);
        else
            r_advance(m, (acd_ms_t)r_below(m, 6000), true);
        r_check(m);
    }
    r_drain(m);
    r_check(m);
    print_message("seed %llu: calls %u+%u offers %u accepts %u remote offers %u connects %u "
                  "dropped %u duplicated %u\n",
                  (unsigned long long)seed, m->n_calls[0], m->n_calls[1], m->offers_made,
                  m->accepts, m->remote_offers, m->connects, m->dropped, m->duplicated);
    /* The run exercised what it is meant to. */
    assert_true(m->remote_offers > 50 && m->connects > 20 && m->dropped > 10 &&
                m->duplicated > 10 && m->accepts >= m->remote_offers);
    unsigned calls = m->n_calls[0] + m->n_calls[1];
    assert_int_equal(m->cdr_total, calls);
    for (int s = 0; s < R_SITES; s++) {
        acd_core_free(m->s[s].c);
        acd_actions_fini(&m->s[s].out);
    }
    free(m);
}

static void test_random_two_sites(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0x9e3779b97f4a7c15ULL, 42, 7777, 0xdeadbeefULL};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        r_run(seeds[i], 6000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_two_sites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
