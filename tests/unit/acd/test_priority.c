/* test_priority.c - a new call's priority: IVR, queue default, VIPs, redials after an abandon. */
#include "acd/harness.h"

/*
 * acme (DID 100): VIPs 5551000 and 5552000 (priority 10, the default), redial priority 5
 * (the default) within 60 s of an abandon. beta (DID 200): VIP 777 at priority 7, no
 * abandon memory. Queues: sales (acme, default 0), hot (acme, default 3), support (beta).
 * Agent a1 serves sales; nobody is logged in unless a test logs a1 in.
 */
static const char *const pr_acme_dids[] = {"100"};
static const char *const pr_beta_dids[] = {"200"};
static const char *const pr_acme_vip[] = {"5552000", "5551000"};
static const char *const pr_beta_vip[] = {"777"};
static acd_core_tenant_cfg_t pr_tenants[] = {
    {.name = "acme", .dids = pr_acme_dids, .n_dids = 1, .queue = "sales", .vip = pr_acme_vip,
     .n_vip = 2, .abandon_window_ms = 60000},
    {.name = "beta", .dids = pr_beta_dids, .n_dids = 1, .queue = "support", .vip = pr_beta_vip,
     .n_vip = 1, .vip_priority = 7},
};
static const acd_core_queue_cfg_t pr_queues[] = {
    {.name = "sales", .tenant = "acme", .ring_timeout_ms = 20000},
    {.name = "hot", .tenant = "acme", .ring_timeout_ms = 20000, .priority = 3},
    {.name = "support", .tenant = "beta", .ring_timeout_ms = 20000},
};
static const char *const pr_q_a1[] = {"sales"};
static const acd_core_agent_cfg_t pr_agents[] = {
    {.id = "a1", .sip_user = "u1", .queues = pr_q_a1, .n_queues = 1},
};
static acd_core_cfg_t pr_cfg = {.tenants = pr_tenants, .n_tenants = 2, .queues = pr_queues,
                                .n_queues = 3, .agents = pr_agents, .n_agents = 1};

static int pr_setup(void **state)
{
    return h_setup_with(state, &pr_cfg);
}

/* A call from caller to did into queue (NULL: the tenant's) with the event's priority. */
static int pr_call(h_t *h, const char *id, const char *did, const char *caller, const char *queue,
                   int priority)
{
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, id, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue ? queue : "");
    ev.priority = priority;
    return h_apply(h, &ev);
}

static void pr_expect(const h_t *h, const char *call, int priority, const char *reason)
{
    acd_call_view_t v = h_call(h, call);
    if (v.priority != priority || strcmp(v.priority_reason, reason) != 0)
        fail_msg("call %s: priority %d (%s), wanted %d (%s)", call, v.priority,
                 v.priority_reason, priority, reason);
}

static void test_priority_table(void **state)
{
    h_t *h = *state;
    static const struct {
        const char *did, *caller, *queue;
        int ev_priority;
        int priority;
        const char *reason;
    } rows[] = {
        {"100", "5551000", NULL, 0, 10, "vip"},
        {"100", "5559999", NULL, 0, 0, ""},
        {"100", "5559999", "hot", 0, 3, "queue"},
        {"100", "5559999", "hot", 2, 3, "queue"},   /* the IVR's 2 does not lower it */
        {"100", "5559999", "hot", 8, 8, "ivr"},
        {"100", "5551000", "hot", 12, 12, "ivr"},   /* urgent beats VIP */
        {"100", "5552000", "hot", 10, 10, "vip"},   /* a tie: VIP names it */
        {"100", "555100", NULL, 0, 0, ""},          /* a prefix of a VIP is not one */
        {"200", "5551000", NULL, 0, 0, ""},         /* acme's VIP, not beta's */
        {"200", "777", NULL, 0, 7, "vip"},
        {"200", "777", NULL, -4, 7, "vip"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char id[16];
        snprintf(id, sizeof(id), "p%zu", i);
        assert_int_equal(pr_call(h, id, rows[i].did, rows[i].caller, rows[i].queue,
                                 rows[i].ev_priority),
                         0);
        pr_expect(h, id, rows[i].priority, rows[i].reason);
    }
}

/* The CDR carries the priority and its reason. */
static void test_cdr_priority(void **state)
{
    h_t *h = *state;
    assert_int_equal(pr_call(h, "c1", "100", "5551000", NULL, 0), 0);
    assert_int_equal(h_hangup(h, "c1", false), 0);
    const acd_cdr_t *cdr = h_cdr(h);
    assert_int_equal(cdr->priority, 10);
    assert_string_equal(cdr->priority_reason, "vip");
    assert_int_equal(cdr->disposition, ACD_DISP_ABANDONED);
    assert_int_equal(pr_call(h, "c2", "100", "5559999", "hot", 0), 0);
    assert_int_equal(h_hangup(h, "c2", true), 0);
    assert_int_equal(h_cdr(h)->priority, 3);
    assert_string_equal(h_cdr(h)->priority_reason, "queue");
}

/* A redial within the window after an abandon gets the redial priority, once. */
static void test_redial_after_abandon(void **state)
{
    h_t *h = *state;
    assert_int_equal(pr_call(h, "c1", "100", "5553333", NULL, 0), 0);
    h->now += 5000;
    assert_int_equal(h_hangup(h, "c1", false), 0); /* abandoned at t */
    acd_ms_t t = h->now;
    h->now = t + 60000; /* the window's last instant */
    assert_int_equal(pr_call(h, "c2", "100", "5553333", NULL, 0), 0);
    pr_expect(h, "c2", 5, "redial");
    assert_int_equal(pr_call(h, "c3", "100", "5553333", NULL, 0), 0);
    pr_expect(h, "c3", 0, ""); /* used up */

    /* Just outside the window: nothing. */
    assert_int_equal(h_hangup(h, "c3", false), 0);
    t = h->now;
    h->now = t + 60001;
    assert_int_equal(pr_call(h, "c4", "100", "5553333", NULL, 0), 0);
    pr_expect(h, "c4", 0, "");

    /* A VIP's redial: the VIP priority is higher, and the memory goes too. */
    assert_int_equal(pr_call(h, "v1", "100", "5551000", NULL, 0), 0);
    assert_int_equal(h_hangup(h, "v1", false), 0);
    assert_int_equal(pr_call(h, "v2", "100", "5551000", NULL, 0), 0);
    pr_expect(h, "v2", 10, "vip");
    assert_int_equal(h_hangup(h, "v2", true), 0); /* failed: not an abandon */
    assert_int_equal(pr_call(h, "v3", "100", "5551000", "sales", 0), 0);
    assert_int_equal(h_hangup(h, "v3", true), 0);
    size_t n = h->c->abandons.n;
    assert_int_equal(n, 0);
}

/* What is not an abandon, or not remembered. */
static void test_not_remembered(void **state)
{
    h_t *h = *state;
    /* Answered: connected, then the caller hung up. */
    assert_int_equal(pr_call(h, "c1", "100", "5554444", NULL, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a1"), 0);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "c1", "a1"), 0);
    assert_int_equal(h_hangup(h, "c1", false), 0);
    assert_int_equal(h_cdr(h)->disposition, ACD_DISP_ANSWERED);
    /* Anonymous, and a tenant without an abandon window. */
    assert_int_equal(pr_call(h, "c2", "100", "anonymous", "hot", 0), 0);
    assert_int_equal(h_hangup(h, "c2", false), 0);
    assert_int_equal(pr_call(h, "c3", "200", "5554444", NULL, 0), 0);
    assert_int_equal(h_hangup(h, "c3", false), 0);
    assert_int_equal(h->c->abandons.n, 0);
    assert_int_equal(pr_call(h, "c4", "100", "5554444", "hot", 0), 0);
    pr_expect(h, "c4", 3, "queue");
}

static int pr_note(h_t *h, const char *tenant, const char *did, const char *caller,
                   acd_ms_t enqueue_ms, acd_ms_t end_ms)
{
    acd_event_t ev = h_mkev(ACD_EV_ABANDON_NOTE, NULL, NULL);
    snprintf(ev.tenant, sizeof(ev.tenant), "%s", tenant ? tenant : "");
    snprintf(ev.did, sizeof(ev.did), "%s", did ? did : "");
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    ev.enqueue_ms = enqueue_ms;
    ev.end_ms = end_ms;
    return h_apply(h, &ev);
}

/* Abandons seen at other sites count like our own. */
static void test_abandon_note(void **state)
{
    h_t *h = *state;
    assert_int_equal(pr_note(h, "acme", NULL, "5556000", h->now - 9000, h->now - 1001), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(pr_note(h, NULL, "100", "5556001", 0, 0), 0); /* by DID, ended now */
    h->now += 59000;
    assert_int_equal(pr_call(h, "c1", "100", "5556000", NULL, 0), 0);
    pr_expect(h, "c1", 0, ""); /* 60 s and 1 ms after its end */
    assert_int_equal(pr_call(h, "c2", "100", "5556001", NULL, 0), 0);
    pr_expect(h, "c2", 5, "redial");

    /* Bad notes are refused and change nothing. */
    acd_event_t ev = h_mkev(ACD_EV_ABANDON_NOTE, NULL, NULL);
    snprintf(ev.tenant, sizeof(ev.tenant), "nobody");
    snprintf(ev.caller, sizeof(ev.caller), "5556002");
    h_refused(h, &ev, ACD_ENOTENANT);
    snprintf(ev.tenant, sizeof(ev.tenant), "acme");
    ev.caller[0] = '\0';
    h_refused(h, &ev, -EINVAL);
    snprintf(ev.caller, sizeof(ev.caller), "5556002");
    ev.enqueue_ms = h->now;
    ev.end_ms = h->now - 1;
    h_refused(h, &ev, -EINVAL);
    memset(ev.tenant, 'x', sizeof(ev.tenant)); /* not terminated */
    h_refused(h, &ev, -EINVAL);
    assert_int_equal(h->c->abandons.n, 0);
}

/* The memory is bounded: the oldest abandons are forgotten first. */
static void test_abandon_memory_bounded(void **state)
{
    h_t *h = *state;
    enum { EXTRA = 10 };
    for (int i = 0; i < ACD_ABANDON_MAX + EXTRA; i++) {
        char caller[32];
        snprintf(caller, sizeof(caller), "9%06d", i);
        assert_int_equal(pr_note(h, "acme", NULL, caller, 0, h->now - 50000 + i), 0);
    }
    assert_int_equal(h->c->abandons.n, ACD_ABANDON_MAX);
    assert_int_equal(h->c->abandons.dropped, EXTRA);
    /* One older than all of them is not kept. */
    assert_int_equal(pr_note(h, "acme", NULL, "8000000", 0, h->now - 60000), 0);
    assert_int_equal(h->c->abandons.dropped, EXTRA);
    assert_int_equal(pr_call(h, "old", "100", "9000009", NULL, 0), 0); /* forgotten */
    pr_expect(h, "old", 0, "");
    assert_int_equal(pr_call(h, "kept", "100", "9000010", NULL, 0), 0);
    pr_expect(h, "kept", 5, "redial");
    assert_int_equal(h->c->abandons.n, ACD_ABANDON_MAX - 1);
}

static void test_invalid_priority_settings(void **state)
{
    h_t *h = *state;
    static const char *const holes[] = {"5551000", NULL};
    static const char *const empty[] = {""};
    acd_core_tenant_cfg_t tenants[2];
    acd_core_cfg_t cfg = pr_cfg;
    cfg.tenants = tenants;
    for (int i = 0; i < 4; i++) {
        memcpy(tenants, pr_tenants, sizeof(tenants));
        if (i == 0)
            tenants[0].abandon_window_ms = -1;
        else if (i == 1)
            tenants[0].vip = holes;
        else if (i == 2)
            tenants[0].vip = empty, tenants[0].n_vip = 1;
        else
            tenants[0].vip = NULL;
        acd_actions_reset(&h->out);
        assert_int_equal(acd_core_configure(h->c, &cfg, h->now, &h->out), -EINVAL);
    }
    h_check(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_priority_table, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_cdr_priority, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_redial_after_abandon, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_not_remembered, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_note, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_abandon_memory_bounded, pr_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_priority_settings, pr_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
