/* test_configure.c - live reconfiguration of the ACD core: validation, updates, removals. */
#include "acd/harness.h"

/* A mutable copy of the standard configuration. */
typedef struct cfgc {
    acd_core_tenant_cfg_t t[2];
    acd_core_queue_cfg_t q[3];
    acd_core_agent_cfg_t a[5];
    acd_core_cfg_t cfg;
} cfgc_t;

static void cfgc_init(cfgc_t *x)
{
    memcpy(x->t, h_tenants, sizeof(h_tenants));
    memcpy(x->q, h_queues, sizeof(h_queues));
    memset(x->a, 0, sizeof(x->a));
    memcpy(x->a, h_agents, sizeof(h_agents));
    x->cfg = (acd_core_cfg_t){x->t, 2, x->q, 3, x->a, 4};
}

static int cfgc_apply(h_t *h, const cfgc_t *x)
{
    acd_actions_reset(&h->out);
    int rc = acd_core_configure(h->c, &x->cfg, h->now, &h->out);
    h_check(h);
    return rc;
}

static void test_lookups(void **state)
{
    h_t *h = *state;
    assert_string_equal(acd_core_tenant_for_did(h->c, "101"), "acme");
    assert_string_equal(acd_core_tenant_for_did(h->c, "200"), "beta");
    assert_null(acd_core_tenant_for_did(h->c, "999"));
    assert_string_equal(acd_core_agent_for_user(h->c, "u3"), "a3");
    assert_null(acd_core_agent_for_user(h->c, "a3"));
    assert_string_equal(acd_core_tenant_language(h->c, "acme"), "es");
    assert_string_equal(acd_core_tenant_language(h->c, "beta"), "en");
    assert_string_equal(acd_core_tenant_language(h->c, "nobody"), "en");
}

static const char *const bad_dup_did[] = {"100"};
static const char *const bad_unknown_q[] = {"nosuch"};
static const char *const bad_twice[] = {"sales", "sales"};
static const char bad_long[] =
    "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 chars */

/* Each broken configuration is refused with -EINVAL and changes nothing. */
static void test_invalid_configs(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a1", "a2"};
    h_login_all(h, ids, 2, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h_arrive(h, "c2", "200", NULL, 0), 0);
    assert_int_equal(h_arrive(h, "c3", "100", "vip", 0), 0);

    static h_snap_t before, after;
    h_snapshot(h, &before);
    for (int k = 0; k < 17; k++) {
        cfgc_t x;
        cfgc_init(&x);
        switch (k) {
        case 0:
            x.q[0].tenant = "nobody";
            break;
        case 1:
            x.q[1].strategy = "no-such-strategy";
            break;
        case 2:
            x.t[1].dids = bad_dup_did;
            break;
        case 3:
            x.q[2].name = "sales";
            break;
        case 4:
            x.a[1].id = "a1";
            break;
        case 5:
            x.a[1].sip_user = "u1";
            break;
        case 6:
            x.a[2].queues = bad_unknown_q;
            x.a[2].n_queues = 1;
            break;
        case 7:
            x.q[0].ring_timeout_ms = 0;
            break;
        case 8:
            x.q[0].wrapup_ms = -1;
            break;
        case 9:
            x.t[0].queue = "support";
            break; /* another tenant's queue */
        case 10:
            x.t[0].queue = "nosuch";
            break;
        case 11:
            x.a[0].id = bad_long;
            break;
        case 12:
            x.a[0].id = NULL;
            break;
        case 13:
            x.a[1].queues = bad_twice;
            x.a[1].n_queues = 2;
            break;
        case 14:
            x.q[0].max_no_answer = -1;
            break;
        case 15:
            x.t[0].dids = NULL;
            break;
        case 16:
            x.a[3].sip_user = "";
            break;
        }
        size_t n0 = h->out.n;
        assert_int_equal(acd_core_configure(h->c, &x.cfg, h->now, &h->out), -EINVAL);
        assert_int_equal(h->out.n, n0);
        h_check(h);
        h_snapshot(h, &after);
        assert_string_equal(before.s, after.s);
        assert_string_equal(acd_core_tenant_for_did(h->c, "200"), "beta");
        assert_string_equal(acd_core_agent_for_user(h->c, "u1"), "a1");
    }
    assert_int_equal(acd_core_configure(h->c, NULL, h->now, &h->out), -EINVAL);
}

static const char *const q_sales[] = {"sales"};
static const char *const q_sales_support[] = {"sales", "support"};

static void test_reconfigure_keeps_states(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a1", "a2", "a3"};
    h_login_all(h, ids, 3, 100);
    assert_int_equal(h_pause(h, "a3", "lunch"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a1");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a1"), 0);
    h->now += 50;
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a2");
    acd_ms_t ring_deadline = acd_core_next_deadline(h->c);

    cfgc_t x;
    cfgc_init(&x);
    x.q[0].ring_timeout_ms = 30000;
    x.a[1].sip_user = "u2b";
    x.a[4] = (acd_core_agent_cfg_t){.id = "a5", .sip_user = "u5", .queues = q_sales, .n_queues = 1};
    x.cfg.n_agents = 5;
    h->now += 50;
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h->out.n, 0);

    acd_agent_view_t v = h_agent(h, "a1");
    assert_int_equal(v.state, ACD_AGENT_ON_CALL);
    assert_string_equal(v.call_id, "c1");
    assert_int_equal(v.idle_since, H_T0);
    v = h_agent(h, "a2");
    assert_int_equal(v.state, ACD_AGENT_RINGING);
    assert_string_equal(v.sip_user, "u2b");
    v = h_agent(h, "a3");
    assert_int_equal(v.state, ACD_AGENT_PAUSED);
    assert_string_equal(v.pause_reason, "lunch");
    assert_int_equal(h_agent(h, "a5").state, ACD_AGENT_LOGGED_OUT);
    assert_string_equal(acd_core_agent_for_user(h->c, "u2b"), "a2");
    assert_null(acd_core_agent_for_user(h->c, "u2"));
    assert_int_equal(acd_core_next_deadline(h->c), ring_deadline);
    assert_int_equal(h_call(h, "c2").state, ACD_CALL_OFFERED);

    /* New offers use the new ring timeout. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a5"), 0);
    assert_int_equal(h_arrive(h, "c3", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c3", "a5");
    assert_int_equal(h->out.v[0].ring_timeout_ms, 30000);
    assert_string_equal(h->out.v[0].sip_user, "u5");

    /* The same configuration again changes nothing. */
    h_snap_t *before = calloc(1, sizeof(*before)), *after = calloc(1, sizeof(*after));
    assert_non_null(before);
    assert_non_null(after);
    h_snapshot(h, before);
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h->out.n, 0);
    h_snapshot(h, after);
    assert_string_equal(before->s, after->s);
    free(before);
    free(after);
}

static void test_remove_agents(void **state)
{
    h_t *h = *state;
    static const char *const ids[] = {"a1", "a2", "a3"};
    h_login_all(h, ids, 3, 100);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c1", "a1");
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a1"), 0);
    assert_int_equal(h_arrive(h, "c2", "100", NULL, 0), 0);
    h_expect_offer(h, 0, "c2", "a2");

    /* Keep a3 and a4 only. */
    cfgc_t x;
    cfgc_init(&x);
    x.a[0] = x.a[2];
    x.a[1] = x.a[3];
    x.cfg.n_agents = 2;
    h->now += 1000;
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h->out.n, 2);
    const acd_action_t *cancel = h_act(h, 0, ACD_ACT_CANCEL_OFFER);
    assert_string_equal(cancel->call_id, "c2");
    assert_string_equal(cancel->agent_id, "a2");
    assert_string_equal(cancel->reason, "removed");
    h_expect_state(h, 1, "a2", ACD_AGENT_RINGING, ACD_AGENT_LOGGED_OUT);
    acd_agent_view_t v;
    assert_int_equal(acd_core_agent(h->c, "a2", &v), ACD_ENOAGENT);
    assert_int_equal(h_call(h, "c2").state, ACD_CALL_QUEUED);
    assert_int_equal(h_call(h, "c2").position, 1);

    /* a1 stays on its call, unreachable by events other than the call's end. */
    assert_int_equal(h_agent(h, "a1").state, ACD_AGENT_ON_CALL);
    assert_null(acd_core_agent_for_user(h->c, "u1"));
    acd_event_t ev = h_mkev(ACD_EV_AGENT_LOGOUT, NULL, "a1");
    h_refused(h, &ev, ACD_ENOAGENT);
    h->now += 1000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a1"), 0);
    assert_int_equal(h->out.n, 3);
    h_act(h, 0, ACD_ACT_END_CALL);
    h_expect_state(h, 1, "a1", ACD_AGENT_ON_CALL, ACD_AGENT_LOGGED_OUT);
    assert_string_equal(h_act(h, 2, ACD_ACT_CDR)->cdr.agent, "a1");
    assert_int_equal(acd_core_agent(h->c, "a1", &v), ACD_ENOAGENT);

    /* The waiting call goes to a remaining agent. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    h_expect_offer(h, 1, "c2", "a4");
    assert_int_equal(h_call(h, "c2").state, ACD_CALL_OFFERED);
}

/* A removed agent on a call that is configured again before the call ends stays. */
static void test_remove_then_readd_agent_on_call(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "c1", "100", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a2"), 0);
    cfgc_t x;
    cfgc_init(&x);
    x.a[1] = x.a[3];
    x.cfg.n_agents = 3; /* a1, a4, a3 */
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h->out.n, 0);
    cfgc_init(&x);
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "c1", "a2"), 0);
    h_expect_state(h, 1, "a2", ACD_AGENT_ON_CALL, ACD_AGENT_WRAPUP);
    assert_string_equal(acd_core_agent_for_user(h->c, "u2"), "a2");
}

static void h_collect_queue(void *ud, const acd_queue_view_t *v)
{
    h_snap_printf(ud, "%s:%zu,", v->name, v->waiting);
}

static void test_remove_queue_with_calls(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "v1", "100", "vip", 0), 0);
    cfgc_t x;
    cfgc_init(&x);
    x.q[1] = x.q[2]; /* sales, support */
    x.cfg.n_queues = 2;
    x.a[3].queues = q_sales;
    x.a[3].n_queues = 1;
    assert_int_equal(cfgc_apply(h, &x), 0);

    static h_snap_t s;
    s.n = 0;
    acd_core_foreach_queue(h->c, h_collect_queue, &s);
    assert_string_equal(s.s, "sales:0,support:0,vip:1,");
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "v2", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.queue, sizeof(ev.queue), "vip");
    h_refused(h, &ev, ACD_ENOQUEUE);

    /* Nobody serves the removed queue any more. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    assert_int_equal(h->out.n, 1);
    assert_string_equal(h_call(h, "v1").queue, "vip");
    h->now += 4000;
    assert_int_equal(h_hangup(h, "v1", false), 0);
    const acd_cdr_t *cdr = &h_act(h, 0, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->queue, "vip");
    assert_int_equal(cdr->wait_ms, 4000);
    s.n = 0;
    acd_core_foreach_queue(h->c, h_collect_queue, &s);
    assert_string_equal(s.s, "sales:0,support:0,");
}

/* A removed queue configured again while its calls wait serves them again. */
static void test_readd_queue(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "v1", "100", "vip", 0), 0);
    cfgc_t x;
    cfgc_init(&x);
    x.q[1] = x.q[2];
    x.cfg.n_queues = 2;
    x.a[3].queues = q_sales;
    x.a[3].n_queues = 1;
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a4"), 0);
    assert_int_equal(h->out.n, 1);
    cfgc_init(&x);
    assert_int_equal(cfgc_apply(h, &x), 0);
    /* The configuration itself makes the offer. */
    assert_int_equal(h->out.n, 2);
    h_expect_offer(h, 0, "v1", "a4");
    assert_int_equal(h->out.v[0].ring_timeout_ms, 10000);
}

/* A new membership makes a waiting call distributable: configure reports the offer. */
static void test_configure_dispatches(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_arrive(h, "p1", "200", NULL, 0), 0);
    assert_int_equal(h->out.n, 0);
    cfgc_t x;
    cfgc_init(&x);
    x.a[1].queues = q_sales_support;
    x.a[1].n_queues = 2;
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_int_equal(h->out.n, 2);
    h_expect_offer(h, 0, "p1", "a2");
    h_expect_state(h, 1, "a2", ACD_AGENT_AVAILABLE, ACD_AGENT_RINGING);
}

/* Removing a tenant: its calls keep their tenant in the CDR; its DIDs stop answering. */
static void test_remove_tenant(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_arrive(h, "p1", "200", NULL, 0), 0);
    cfgc_t x;
    cfgc_init(&x);
    x.cfg.n_tenants = 1;
    x.cfg.n_queues = 2; /* sales, vip */
    x.a[0].queues = q_sales;
    x.a[0].n_queues = 1;
    x.a[2] = x.a[3];
    x.cfg.n_agents = 3; /* a1, a2, a4 */
    assert_int_equal(cfgc_apply(h, &x), 0);
    assert_null(acd_core_tenant_for_did(h->c, "200"));
    assert_string_equal(h_call(h, "p1").tenant, "beta");
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "p2", NULL);
    snprintf(ev.did, sizeof(ev.did), "200");
    h_refused(h, &ev, ACD_ENOTENANT);
    assert_int_equal(h_hangup(h, "p1", false), 0);
    const acd_cdr_t *cdr = &h_act(h, 0, ACD_ACT_CDR)->cdr;
    assert_string_equal(cdr->tenant, "beta");
    assert_string_equal(cdr->queue, "support");

    /* An empty configuration removes everything that is idle. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    acd_core_cfg_t empty;
    memset(&empty, 0, sizeof(empty));
    acd_actions_reset(&h->out);
    assert_int_equal(acd_core_configure(h->c, &empty, h->now, &h->out), 0);
    h_check(h);
    assert_int_equal(h->out.n, 1);
    h_expect_state(h, 0, "a1", ACD_AGENT_AVAILABLE, ACD_AGENT_LOGGED_OUT);
    static h_snap_t s;
    h_snapshot(h, &s);
    assert_string_equal(s.s, "D 9223372036854775807\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lookups, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_configs, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_reconfigure_keeps_states, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_remove_agents, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_remove_then_readd_agent_on_call, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_remove_queue_with_calls, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_readd_queue, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_configure_dispatches, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_remove_tenant, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
