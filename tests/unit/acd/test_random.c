/* test_random.c - ~10k seeded random events against the core's invariants and an
 * independent model built from the actions alone; three configurations, one of them with
 * skills, relaxations, every strategy, priorities and queue rules. */
#include "acd/harness.h"

enum { R_EVENTS = 10000, R_MAX_CALLS = R_EVENTS + 1, R_AGENTS = 5 };

static const char *const r_agent_ids[R_AGENTS] = {"a1", "a2", "a3", "a4", "a5"};

/* What the actions say about each call and agent. */
typedef struct r_call {
    bool accepted;
    bool live;
    int agent; /* offered or connected to this agent index, else -1 */
    bool connected;
    int cdrs;
    int offers;
} r_call_t;

typedef struct r_model {
    r_call_t calls[R_MAX_CALLS];
    unsigned n_calls;
    int agent_call[R_AGENTS]; /* the call an agent rings or talks on, else -1 */
    unsigned live;
    uint64_t rng;
    unsigned cdrs, offers, connects, overflows;
} r_model_t;

static uint32_t r_rand(r_model_t *m)
{
    /* xorshift64*: deterministic across platforms. */
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (uint32_t)((m->rng * 2685821657736338717ULL) >> 32);
}

static unsigned r_below(r_model_t *m, unsigned n)
{
    return r_rand(m) % n;
}

static int r_agent_index(const char *id)
{
    for (int i = 0; i < R_AGENTS; i++) {
        if (strcmp(r_agent_ids[i], id) == 0)
            return i;
    }
    fail_msg("unknown agent %s in an action", id);
    return -1;
}

static unsigned r_call_index(const r_model_t *m, const char *id)
{
    unsigned k = (unsigned)strtoul(id + 1, NULL, 10);
    if (id[0] != 'r' || k >= m->n_calls)
        fail_msg("unknown call %s in an action", id);
    return k;
}

/* Replays the last action list into the model, checking the invariants as it goes. */
static void r_follow(r_model_t *m, const h_t *h)
{
    for (size_t i = 0; i < h->out.n; i++) {
        const acd_action_t *act = &h->out.v[i];
        if (act->type == ACD_ACT_AGENT_STATE || act->type == ACD_ACT_REJECT_ANSWER)
            continue;
        r_call_t *call = &m->calls[r_call_index(m, act->call_id)];
        if (!call->live)
            fail_msg("action %d for ended call %s", (int)act->type, act->call_id);
        if (act->type == ACD_ACT_OVERFLOW) {
            /* Only a waiting call overflows; out of the core, its CDR comes next. */
            if (call->agent != -1)
                fail_msg("call %s overflowed while an agent holds it", act->call_id);
            bool moved = strncmp(act->target, "queue:", 6) == 0;
            if (!moved && (i + 1 >= h->out.n || h->out.v[i + 1].type != ACD_ACT_CDR ||
                           h->out.v[i + 1].cdr.disposition != ACD_DISP_OVERFLOW))
                fail_msg("call %s overflowed to %s without its CDR", act->call_id, act->target);
            m->overflows++;
            continue;
        }
        int a = act->type == ACD_ACT_CDR ? -1 : r_agent_index(act->agent_id);
        switch (act->type) {
        case ACD_ACT_OFFER:
            if (m->agent_call[a] != -1)
                fail_msg("agent %s offered %s while busy", act->agent_id, act->call_id);
            if (call->agent != -1)
                fail_msg("call %s offered to a second agent", act->call_id);
            m->agent_call[a] = (int)r_call_index(m, act->call_id);
            call->agent = a;
            call->offers++;
            m->offers++;
            break;
        case ACD_ACT_CANCEL_OFFER:
        case ACD_ACT_CONNECT:
        case ACD_ACT_END_CALL:
            assert_int_equal(call->agent, a);
            assert_int_equal(m->agent_call[a], (int)r_call_index(m, act->call_id));
            assert_int_equal(call->connected, act->type == ACD_ACT_END_CALL);
            if (act->type == ACD_ACT_CONNECT) {
                call->connected = true;
                m->connects++;
            } else {
                call->connected = false;
                call->agent = -1;
                m->agent_call[a] = -1;
            }
            break;
        case ACD_ACT_CDR:
            if (call->agent != -1)
                fail_msg("CDR for %s while an agent still holds it", act->call_id);
            assert_int_equal(act->cdr.offers, call->offers);
            assert_true(act->cdr.wait_ms >= 0 && act->cdr.talk_ms >= 0);
            assert_int_equal(act->cdr.end_ms, h->now);
            call->cdrs++;
            call->live = false;
            m->live--;
            m->cdrs++;
            break;
        default:
            break;
        }
    }
}

/* A live call chosen at random, or a made-up id now and then. */
static void r_some_call(r_model_t *m, char *buf, size_t len)
{
    if (m->live == 0 || r_below(m, 10) == 0) {
        snprintf(buf, len, "r%u", m->n_calls ? r_below(m, m->n_calls) : 0);
        return;
    }
    for (;;) {
        unsigned k = r_below(m, m->n_calls);
        if (m->calls[k].live) {
            snprintf(buf, len, "r%u", k);
            return;
        }
    }
}

/* Two configurations to switch between: the standard one, and one without a2 and vip,
 * with a5 in sales and support. */
static const char *const r_q_a4b[] = {"sales"};
static const char *const r_q_a5[] = {"sales", "support"};
static acd_core_agent_cfg_t r_agents_b[4];
static acd_core_queue_cfg_t r_queues_b[2];
static acd_core_cfg_t r_cfg_b;

/*
 * The third: sales needs spanish 3 (1 after 20 s, none after 40 s), fewest-calls, at most 4
 * waiting then on to vip, 90 s at most; vip round-robin, at most 3, voicemail, empties
 * out; support needs net 2 (no relaxation: a3 never takes it), round-robin, hangs up
 * after 120 s. acme has VIPs and remembers abandons for 30 s.
 */
static const acd_core_skill_t r_sk_sales[] = {{"spanish", 3}};
static const acd_core_relax_t r_rx_sales[] = {{20000, "spanish", 1}, {40000, "spanish", 0}};
static const acd_core_skill_t r_sk_support[] = {{"net", 2}};
static const acd_core_skill_t r_sk_a1[] = {{"spanish", 5}, {"net", 3}};
static const acd_core_skill_t r_sk_a2[] = {{"spanish", 1}};
static const acd_core_skill_t r_sk_a3[] = {{"net", 1}};
static const acd_core_skill_t r_sk_a4[] = {{"net", 2}, {"spanish", 3}};
static const char *const r_vips[] = {"555-3", "555-7"};
static const char *const r_q_c2[] = {"sales", "vip"};
static acd_core_tenant_cfg_t r_tenants_c[2];
static acd_core_queue_cfg_t r_queues_c[3];
static acd_core_agent_cfg_t r_agents_c[5];
static acd_core_cfg_t r_cfg_c;

static void r_cfg_c_init(void)
{
    memcpy(r_tenants_c, h_tenants, sizeof(r_tenants_c));
    r_tenants_c[0].vip = r_vips;
    r_tenants_c[0].n_vip = 2;
    r_tenants_c[0].abandon_window_ms = 30000;
    memcpy(r_queues_c, h_queues, sizeof(r_queues_c));
    acd_core_queue_cfg_t *sales = &r_queues_c[0], *vip = &r_queues_c[1], *sup = &r_queues_c[2];
    sales->strategy = "fewest-calls";
    sales->skills = r_sk_sales;
    sales->n_skills = 1;
    sales->relax = r_rx_sales;
    sales->n_relax = 2;
    sales->max_len = 4;
    sales->max_wait_ms = 90000;
    sales->overflow = "queue:vip";
    sales->join_empty = true;
    vip->strategy = "round-robin";
    vip->max_len = 3;
    vip->overflow = "voicemail";
    vip->leave_empty = true;
    sup->strategy = "round-robin";
    sup->skills = r_sk_support;
    sup->n_skills = 1;
    sup->max_wait_ms = 120000;
    sup->overflow = "hangup";
    sup->join_empty = true;
    static const acd_core_skill_t *const sk[] = {r_sk_a1, r_sk_a2, r_sk_a3, r_sk_a4, NULL};
    static const size_t nsk[] = {2, 1, 1, 2, 0};
    for (int i = 0; i < 4; i++)
        r_agents_c[i] = h_agents[i];
    r_agents_c[1].queues = r_q_c2;
    r_agents_c[1].n_queues = 2;
    r_agents_c[4] =
        (acd_core_agent_cfg_t){.id = "a5", .sip_user = "u5", .queues = r_q_a5, .n_queues = 2};
    for (int i = 0; i < 5; i++) {
        r_agents_c[i].skills = sk[i];
        r_agents_c[i].n_skills = nsk[i];
    }
    r_cfg_c = (acd_core_cfg_t){r_tenants_c, 2, r_queues_c, 3, r_agents_c, 5};
}

static void r_cfg_b_init(void)
{
    r_agents_b[0] = h_agents[0];
    r_agents_b[1] = h_agents[2];
    r_agents_b[2] = h_agents[3];
    r_agents_b[2].queues = r_q_a4b;
    r_agents_b[2].n_queues = 1;
    r_agents_b[3] =
        (acd_core_agent_cfg_t){.id = "a5", .sip_user = "u5", .queues = r_q_a5, .n_queues = 2};
    r_queues_b[0] = h_queues[0];
    r_queues_b[1] = h_queues[2];
    r_queues_b[0].ring_timeout_ms = 7000;
    r_cfg_b = (acd_core_cfg_t){h_tenants, 2, r_queues_b, 2, r_agents_b, 4};
}

static void r_step(r_model_t *m, h_t *h)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    h->now += r_below(m, 3000);
    const char *agent = r_agent_ids[r_below(m, R_AGENTS)];
    acd_agent_view_t av;
    bool known = acd_core_agent(h->c, agent, &av) == 0;
    unsigned dice = r_below(m, 100);
    int rc;

    if (dice < 20) {
        ev.type = ACD_EV_CALL_ARRIVE;
        snprintf(ev.call_id, sizeof(ev.call_id), "r%u", m->n_calls);
        static const char *const dids[] = {"100", "101", "200", "999"};
        snprintf(ev.did, sizeof(ev.did), "%s", dids[r_below(m, 4)]);
        if (r_below(m, 4) == 0)
            snprintf(ev.queue, sizeof(ev.queue), "vip");
        ev.priority = (int)r_below(m, 4);
        snprintf(ev.caller, sizeof(ev.caller), "555-%u", r_below(m, 12));
        rc = h_apply(h, &ev);
        if (rc == 0) {
            m->calls[m->n_calls] = (r_call_t){.accepted = true, .live = true, .agent = -1};
            m->live++;
        }
        m->n_calls++; /* a refused id is simply never used again */
        if (rc == 0)
            r_follow(m, h);
        return;
    }
    if (dice < 28) {
        ev.type = ACD_EV_CALL_HANGUP;
        r_some_call(m, ev.call_id, sizeof(ev.call_id));
        ev.failed = r_below(m, 10) == 0;
    } else if (dice < 63) {
        /* Mostly the event that fits the agent's state. */
        bool fit = known && r_below(m, 5) != 0;
        snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent);
        if (fit && av.state == ACD_AGENT_RINGING) {
            ev.type = r_below(m, 3) ? ACD_EV_OFFER_ANSWERED : ACD_EV_OFFER_FAILED;
            snprintf(ev.call_id, sizeof(ev.call_id), "%s", av.call_id);
        } else if (fit && av.state == ACD_AGENT_ON_CALL) {
            ev.type = r_below(m, 4) ? ACD_EV_AGENT_HANGUP : ACD_EV_AGENT_LOGOUT;
            snprintf(ev.call_id, sizeof(ev.call_id), "%s", av.call_id);
        } else if (fit && av.state == ACD_AGENT_LOGGED_OUT) {
            ev.type = ACD_EV_AGENT_LOGIN;
        } else if (fit && av.state == ACD_AGENT_PAUSED) {
            ev.type = ACD_EV_AGENT_UNPAUSE;
        } else {
            static const acd_event_type_t any[] = {ACD_EV_AGENT_LOGIN,    ACD_EV_AGENT_LOGOUT,
                                                   ACD_EV_AGENT_PAUSE,    ACD_EV_AGENT_UNPAUSE,
                                                   ACD_EV_OFFER_ANSWERED, ACD_EV_OFFER_FAILED,
                                                   ACD_EV_AGENT_HANGUP};
            ev.type = any[r_below(m, 7)];
            r_some_call(m, ev.call_id, sizeof(ev.call_id));
            snprintf(ev.reason, sizeof(ev.reason), "break");
        }
    } else if (dice < 95) {
        ev.type = ACD_EV_TICK;
        if (r_below(m, 2) && acd_core_next_deadline(h->c) != INT64_MAX &&
            acd_core_next_deadline(h->c) > h->now)
            h->now = acd_core_next_deadline(h->c);
    } else if (dice < 96) {
        ev.type = ACD_EV_ABANDON_NOTE;
        snprintf(ev.did, sizeof(ev.did), "100");
        snprintf(ev.caller, sizeof(ev.caller), "555-%u", r_below(m, 12));
    } else if (dice < 97) {
        /* Members at other sites come and go (the queue may not exist: refused). */
        int rc2 = acd_core_set_remote_members(h->c, r_below(m, 2) ? "vip" : "support",
                                              r_below(m, 3));
        assert_true(rc2 == 0 || rc2 == ACD_ENOQUEUE);
        h_check(h);
        return;
    } else {
        acd_actions_reset(&h->out);
        unsigned which = r_below(m, 3);
        const acd_core_cfg_t *cfg = which == 0 ? &h_cfg : which == 1 ? &r_cfg_b : &r_cfg_c;
        assert_int_equal(acd_core_configure(h->c, cfg, h->now, &h->out), 0);
        h_check(h);
        r_follow(m, h);
        return;
    }
    rc = h_apply(h, &ev);
    if (rc == 0 && ev.type == ACD_EV_OFFER_FAILED) {
        /* The agent's leg already failed: no CANCEL_OFFER, the offer simply ends. */
        r_call_t *call = &m->calls[r_call_index(m, ev.call_id)];
        int a = r_agent_index(ev.agent_id);
        assert_int_equal(call->agent, a);
        assert_false(call->connected);
        call->agent = -1;
        m->agent_call[a] = -1;
    }
    if (rc == 0)
        r_follow(m, h);
}

static void test_random_events(void **state)
{
    h_t *h = *state;
    r_model_t *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    r_cfg_b_init();
    r_cfg_c_init();
    const char *seed_env = getenv("ACD_TEST_SEED");
    m->rng = seed_env ? strtoull(seed_env, NULL, 0) : 0x9E3779B97F4A7C15ULL;
    if (m->rng == 0)
        m->rng = 1;
    for (int i = 0; i < R_AGENTS; i++)
        m->agent_call[i] = -1;

    for (int i = 0; i < R_EVENTS; i++)
        r_step(m, h);

    print_message("calls %u offers %u connects %u cdrs %u overflows %u live %u\n", m->n_calls,
                  m->offers, m->connects, m->cdrs, m->overflows, m->live);
    /* The run did real work. */
    assert_true(m->offers > 500);
    assert_true(m->connects > 200);
    assert_true(m->cdrs > 500);
    assert_true(m->overflows > 20);

    /* End every call still in progress: each gets exactly one CDR. */
    for (unsigned k = 0; k < m->n_calls; k++) {
        if (!m->calls[k].live)
            continue;
        char id[16];
        snprintf(id, sizeof(id), "r%u", k);
        assert_int_equal(h_hangup(h, id, false), 0);
        r_follow(m, h);
    }
    assert_int_equal(m->live, 0);
    unsigned accepted = 0;
    for (unsigned k = 0; k < m->n_calls; k++) {
        assert_int_equal(m->calls[k].cdrs, m->calls[k].accepted ? 1 : 0);
        accepted += m->calls[k].accepted;
    }
    assert_int_equal(accepted, m->cdrs);
    for (int i = 0; i < R_AGENTS; i++)
        assert_int_equal(m->agent_call[i], -1);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_events, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
