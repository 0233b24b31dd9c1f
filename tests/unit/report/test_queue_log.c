/* test_queue_log.c - queue_log lines: every event, exact fields, stripping, the file and reopen. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "acd/core.h"
#include "report/queue_log.h"
#include "util/err.h"

/*
 * A real core under a fixed configuration; every event goes through acd_core_apply and
 * then acd_qlog_event, and the lines are compared whole, so every field is checked.
 *   tenant acme: DID 100 -> queue sales
 *   sales:   ring 20 s, wrap-up 5 s, 2 misses pause
 *   support: ring 15 s, max wait 30 s then queue:sales
 *   vm:      max wait 10 s then voicemail; leave_empty
 *   closed:  no join when nobody is logged in (join_empty false), overflow voicemail
 *   a1 (u1): sales, support   a2 (u2): sales   a3 (u3): vm
 */
#define T0 1795352654000LL /* 2026-11-22T13:04:14Z, a whole second */
#define S0 1795352654LL

static const char *const dids[] = {"100"};
static const acd_core_tenant_cfg_t tenants[] = {
    {.name = "acme", .dids = dids, .n_dids = 1, .queue = "sales", .language = "en"},
};
static const acd_core_queue_cfg_t queues[] = {
    {.name = "sales",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 20000,
     .wrapup_ms = 5000,
     .max_no_answer = 2},
    {.name = "support",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 15000,
     .max_wait_ms = 30000,
     .overflow = "queue:sales",
     .join_empty = true},
    {.name = "vm",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 15000,
     .max_wait_ms = 10000,
     .overflow = "voicemail",
     .join_empty = true,
     .leave_empty = true},
    {.name = "closed",
     .tenant = "acme",
     .strategy = "longest-idle",
     .ring_timeout_ms = 15000,
     .overflow = "voicemail",
     .join_empty = false},
};
static const char *const q_a1[] = {"sales", "support"};
static const char *const q_a2[] = {"sales"};
static const char *const q_a3[] = {"vm"};
static const acd_core_agent_cfg_t agents[] = {
    {.id = "a1", .sip_user = "u1", .queues = q_a1, .n_queues = 2},
    {.id = "a2", .sip_user = "u2", .queues = q_a2, .n_queues = 1},
    {.id = "a3", .sip_user = "u3", .queues = q_a3, .n_queues = 1},
};
static const acd_core_cfg_t cfg = {.tenants = tenants,
                                   .n_tenants = 1,
                                   .queues = queues,
                                   .n_queues = 4,
                                   .agents = agents,
                                   .n_agents = 3};

#define MAX_LINES 64

typedef struct fx {
    acd_core_t *c;
    acd_qlog_t *q;
    acd_actions_t acts;
    acd_buf_t out;
    acd_ms_t now;
    char *text; /* the lines taken last, split in place */
    char *line[MAX_LINES];
    size_t n;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->now = T0;
    assert_int_equal(acd_core_alloc(&f->c), 0);
    assert_int_equal(acd_qlog_alloc(&f->q), 0);
    assert_int_equal(acd_core_configure(f->c, &cfg, f->now, &f->acts), 0);
    assert_int_equal(acd_qlog_configure(f->q, f->c, &cfg, &f->acts, f->now, &f->out), 0);
    assert_int_equal(f->out.n, 0); /* the first configuration is silent */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    acd_qlog_free(f->q);
    acd_core_free(f->c);
    acd_actions_fini(&f->acts);
    acd_buf_fini(&f->out);
    free(f->text);
    free(f);
    return 0;
}

/* Applies ev at f->now, then formats it; returns the core's answer. */
static int feed(fx_t *f, acd_event_t ev)
{
    acd_actions_reset(&f->acts);
    int rc = acd_core_apply(f->c, &ev, f->now, &f->acts);
    assert_int_equal(acd_qlog_event(f->q, f->c, &ev, rc, &f->acts, f->now, &f->out), 0);
    return rc;
}

/* The lines written since the last take, without their LF. */
static size_t take(fx_t *f)
{
    free(f->text);
    f->text = strdup(f->out.p ? f->out.p : "");
    assert_non_null(f->text);
    acd_buf_reset(&f->out);
    f->n = 0;
    for (char *p = f->text; *p && f->n < MAX_LINES;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends in LF */
        *nl = '\0';
        f->line[f->n++] = p;
        p = nl + 1;
    }
    return f->n;
}

static void expect(fx_t *f, size_t i, const char *line)
{
    assert_true(i < f->n);
    assert_string_equal(f->line[i], line);
}

static acd_event_t ev_of(acd_event_type_t t, const char *call, const char *agent)
{
    acd_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    snprintf(ev.call_id, sizeof(ev.call_id), "%s", call ? call : "");
    snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent ? agent : "");
    return ev;
}

static int arrive(fx_t *f, const char *call, const char *caller, const char *queue)
{
    acd_event_t ev = ev_of(ACD_EV_CALL_ARRIVE, call, NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue ? queue : "");
    return feed(f, ev);
}

static void at(fx_t *f, int64_t ms_after_t0)
{
    f->now = T0 + ms_after_t0;
}

static void tick(fx_t *f, int64_t ms_after_t0)
{
    at(f, ms_after_t0);
    assert_int_equal(feed(f, ev_of(ACD_EV_TICK, NULL, NULL)), 0);
}

static void login(fx_t *f, const char *agent)
{
    assert_int_equal(feed(f, ev_of(ACD_EV_AGENT_LOGIN, NULL, agent)), 0);
}

/* ---- lines ---- */

static void test_line_strips_and_ends_in_bar(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    const char *data[] = {"a|b", "x\ny\r", NULL, ""};
    assert_int_equal(acd_qlog_line(&b, 12, "c|1", "q\n", "Agent/|x", "EV", data, 4), 0);
    assert_string_equal(b.p, "12|c1|q|Agent/x|EV|ab|xy||\n");
    acd_buf_reset(&b);
    assert_int_equal(acd_qlog_line(&b, 12, "NONE", "q", "NONE", "ADDMEMBER", NULL, 0), 0);
    assert_string_equal(b.p, "12|NONE|q|NONE|ADDMEMBER|\n");
    acd_buf_reset(&b);
    assert_int_equal(acd_qlog_line(&b, 12, NULL, NULL, NULL, "X", NULL, 0), 0);
    assert_string_equal(b.p, "12||||X|\n");
    assert_int_equal(acd_qlog_line(&b, 12, "c", "q", "a", NULL, NULL, 0), -EINVAL);
    assert_int_equal(acd_qlog_line(NULL, 12, "c", "q", "a", "E", NULL, 0), -EINVAL);
    acd_buf_fini(&b);
}

static void test_start(void **state)
{
    fx_t *f = *state;
    assert_int_equal(acd_qlog_start(f->q, T0 + 999, &f->out), 0);
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352654|NONE|NONE|NONE|QUEUESTART|");
}

/* ---- calls ---- */

static void test_answered_caller_hangs_up(void **state)
{
    fx_t *f = *state;
    login(f, "a1");
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352654|NONE|NONE|Agent/a1|AGENTLOGIN|SIP/u1");
    at(f, 1200);
    assert_int_equal(arrive(f, "A-1", "555|01\n", NULL), 0); /* rings a1 at once */
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352655|A-1|sales|NONE|DID|100");
    expect(f, 1, "1795352655|A-1|sales|NONE|ENTERQUEUE||55501|1");
    at(f, 4300);
    assert_int_equal(feed(f, ev_of(ACD_EV_OFFER_ANSWERED, "A-1", "a1")), 0);
    assert_int_equal(take(f), 1);
    /* holdtime 1795352658 - 1795352655; ring 3.1 s -> 3 */
    expect(f, 0, "1795352658|A-1|sales|Agent/a1|CONNECT|3|A-1.1|3");
    at(f, 64900);
    assert_int_equal(feed(f, ev_of(ACD_EV_CALL_HANGUP, "A-1", NULL)), 0);
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352718|A-1|sales|Agent/a1|COMPLETECALLER|3|60|1");
    assert_int_equal(acd_qlog_calls(f->q), 0);
}

static void test_answered_agent_hangs_up(void **state)
{
    fx_t *f = *state;
    login(f, "a2");
    assert_int_equal(arrive(f, "A-2", "600", NULL), 0);
    at(f, 500);
    assert_int_equal(feed(f, ev_of(ACD_EV_OFFER_ANSWERED, "A-2", "a2")), 0);
    at(f, 9000);
    assert_int_equal(feed(f, ev_of(ACD_EV_AGENT_HANGUP, "A-2", "a2")), 0);
    assert_int_equal(take(f), 5);
    expect(f, 3, "1795352654|A-2|sales|Agent/a2|CONNECT|0|A-2.1|0");
    expect(f, 4, "1795352663|A-2|sales|Agent/a2|COMPLETEAGENT|0|9|1");
}

static void test_abandon_positions(void **state)
{
    fx_t *f = *state;
    assert_int_equal(arrive(f, "B-1", "601", NULL), 0); /* nobody logged in: they wait */
    at(f, 1000);
    assert_int_equal(arrive(f, "B-2", "602", NULL), 0);
    at(f, 2000);
    assert_int_equal(arrive(f, "B-3", "603", NULL), 0);
    assert_int_equal(take(f), 6);
    expect(f, 1, "1795352654|B-1|sales|NONE|ENTERQUEUE||601|1");
    expect(f, 3, "1795352655|B-2|sales|NONE|ENTERQUEUE||602|2");
    expect(f, 5, "1795352656|B-3|sales|NONE|ENTERQUEUE||603|3");
    at(f, 7000);
    assert_int_equal(feed(f, ev_of(ACD_EV_CALL_HANGUP, "B-2", NULL)), 0);
    at(f, 9000);
    assert_int_equal(feed(f, ev_of(ACD_EV_CALL_HANGUP, "B-3", NULL)), 0);
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352661|B-2|sales|NONE|ABANDON|2|2|6");
    expect(f, 1, "1795352663|B-3|sales|NONE|ABANDON|2|3|7"); /* B-2 has gone: it is second */
    /* A failure ended by acdd while waiting is reported as Asterisk does a hung-up caller. */
    acd_event_t ev = ev_of(ACD_EV_CALL_HANGUP, "B-1", NULL);
    ev.failed = true;
    at(f, 10000);
    assert_int_equal(feed(f, ev), 0);
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352664|B-1|sales|NONE|ABANDON|1|1|10");
}

static void test_ring_no_answer_then_answer(void **state)
{
    fx_t *f = *state;
    login(f, "a1");
    at(f, 100);
    login(f, "a2");
    (void)take(f);
    assert_int_equal(arrive(f, "C-1", "700", NULL), 0); /* a1, idle longest, rings */
    (void)take(f);
    tick(f, 100 + 20000); /* ring timeout: a2 rings next */
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352674|C-1|sales|Agent/a1|RINGNOANSWER|20000");
    at(f, 22500);
    assert_int_equal(feed(f, ev_of(ACD_EV_OFFER_FAILED, "C-1", "a2")), 0); /* busy */
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352676|C-1|sales|Agent/a2|RINGNOANSWER|2400");
    /* Both missed once: the round starts over with a1 (the strategy decides; the line only
     * follows the offer the core made). */
    const char *next = NULL;
    for (size_t i = 0; i < f->acts.n; i++) {
        if (f->acts.v[i].type == ACD_ACT_OFFER)
            next = f->acts.v[i].agent_id;
    }
    assert_non_null(next);
    char agent[16];
    snprintf(agent, sizeof(agent), "%s", next);
    at(f, 25000);
    assert_int_equal(feed(f, ev_of(ACD_EV_OFFER_ANSWERED, "C-1", agent)), 0);
    assert_int_equal(take(f), 1);
    char want[128];
    snprintf(want, sizeof(want), "1795352679|C-1|sales|Agent/%s|CONNECT|25|C-1.3|2", agent);
    expect(f, 0, want);
}

static void test_ring_canceled_by_hangup(void **state)
{
    fx_t *f = *state;
    login(f, "a1");
    assert_int_equal(arrive(f, "C-2", "701", NULL), 0);
    (void)take(f);
    at(f, 4000);
    assert_int_equal(feed(f, ev_of(ACD_EV_CALL_HANGUP, "C-2", NULL)), 0);
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352658|C-2|sales|Agent/a1|RINGCANCELED|4000");
    expect(f, 1, "1795352658|C-2|sales|NONE|ABANDON|1|1|4");
}

/* ---- agents ---- */

static void test_pause_unpause_logoff(void **state)
{
    fx_t *f = *state;
    login(f, "a1");
    (void)take(f);
    at(f, 3000);
    acd_event_t ev = ev_of(ACD_EV_AGENT_PAUSE, NULL, "a1");
    snprintf(ev.reason, sizeof(ev.reason), "lunch|break");
    assert_int_equal(feed(f, ev), 0);
    assert_int_equal(take(f), 3);
    expect(f, 0, "1795352657|NONE|NONE|Agent/a1|PAUSEALL|");
    expect(f, 1, "1795352657|NONE|sales|Agent/a1|PAUSE|lunchbreak");
    expect(f, 2, "1795352657|NONE|support|Agent/a1|PAUSE|lunchbreak");
    at(f, 5000);
    assert_int_equal(feed(f, ev_of(ACD_EV_AGENT_UNPAUSE, NULL, "a1")), 0);
    assert_int_equal(take(f), 3);
    expect(f, 0, "1795352659|NONE|NONE|Agent/a1|UNPAUSEALL|");
    expect(f, 1, "1795352659|NONE|sales|Agent/a1|UNPAUSE|");
    expect(f, 2, "1795352659|NONE|support|Agent/a1|UNPAUSE|");
    at(f, 65000);
    assert_int_equal(feed(f, ev_of(ACD_EV_AGENT_LOGOUT, NULL, "a1")), 0);
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352719|NONE|NONE|Agent/a1|AGENTLOGOFF|SIP/u1|65");
    assert_int_equal(acd_qlog_agents(f->q), 0);
}

static void test_auto_pause_no_answer(void **state)
{
    fx_t *f = *state;
    login(f, "a2");
    assert_int_equal(arrive(f, "D-1", "800", NULL), 0);
    tick(f, 20000);
    (void)take(f);
    tick(f, 40000); /* the second miss in a row pauses a2 (max_no_answer 2) */
    assert_int_equal(take(f), 3);
    expect(f, 0, "1795352694|D-1|sales|Agent/a2|RINGNOANSWER|20000");
    expect(f, 1, "1795352694|NONE|NONE|Agent/a2|PAUSEALL|");
    expect(f, 2, "1795352694|NONE|sales|Agent/a2|PAUSE|no-answer");
}

/* ---- queue rules ---- */

static void test_max_wait_moves_to_another_queue(void **state)
{
    fx_t *f = *state;
    assert_int_equal(arrive(f, "E-1", "900", "support"), 0);
    (void)take(f);
    tick(f, 30000);
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352684|E-1|support|NONE|EXITWITHTIMEOUT|1|1|30");
    expect(f, 1, "1795352684|E-1|sales|NONE|ENTERQUEUE||900|1");
    login(f, "a2");
    at(f, 31000);
    assert_int_equal(feed(f, ev_of(ACD_EV_OFFER_ANSWERED, "E-1", "a2")), 0);
    at(f, 41000);
    assert_int_equal(feed(f, ev_of(ACD_EV_CALL_HANGUP, "E-1", NULL)), 0);
    assert_int_equal(take(f), 3);
    /* holdtime counts from the caller's first entry, as the CDR's wait does */
    expect(f, 1, "1795352685|E-1|sales|Agent/a2|CONNECT|31|E-1.1|1");
    expect(f, 2, "1795352695|E-1|sales|Agent/a2|COMPLETECALLER|31|10|1");
}

static void test_max_wait_out_and_exit_empty(void **state)
{
    fx_t *f = *state;
    assert_int_equal(arrive(f, "F-1", "901", "vm"), 0);
    (void)take(f);
    tick(f, 10000); /* to voicemail: the exit, no ABANDON after it */
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352664|F-1|vm|NONE|EXITWITHTIMEOUT|1|1|10");
    assert_int_equal(acd_qlog_calls(f->q), 0);

    login(f, "a3");
    acd_event_t ev = ev_of(ACD_EV_AGENT_PAUSE, NULL, "a3");
    snprintf(ev.reason, sizeof(ev.reason), "meeting");
    assert_int_equal(feed(f, ev), 0);
    at(f, 11000);
    assert_int_equal(arrive(f, "F-2", "902", "vm"), 0);
    (void)take(f);
    at(f, 14000);
    assert_int_equal(feed(f, ev_of(ACD_EV_AGENT_LOGOUT, NULL, "a3")), 0);
    tick(f, 14000); /* the last member gone: its waiting calls leave */
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352668|NONE|NONE|Agent/a3|AGENTLOGOFF|SIP/u3|4");
    expect(f, 1, "1795352668|F-2|vm|NONE|EXITEMPTY|1|1|3");
}

static void test_turned_away_at_the_door(void **state)
{
    fx_t *f = *state;
    assert_int_equal(arrive(f, "G-1", "903", "closed"), 0); /* nobody logged in: voicemail */
    assert_int_equal(take(f), 0);
    assert_int_equal(acd_qlog_calls(f->q), 0);
    /* A refused event writes nothing either. */
    assert_true(feed(f, ev_of(ACD_EV_CALL_HANGUP, "nope", NULL)) < 0);
    assert_int_equal(take(f), 0);
}

static void test_virtual_hold_exit_with_key(void **state)
{
    fx_t *f = *state;
    assert_int_equal(arrive(f, "H-1", "904", NULL), 0);
    at(f, 1000);
    assert_int_equal(arrive(f, "H-2", "905", NULL), 0);
    (void)take(f);
    at(f, 12000);
    acd_event_t ev = ev_of(ACD_EV_CALL_DETACH, "H-2", NULL);
    snprintf(ev.delivery, sizeof(ev.delivery), "callback");
    assert_int_equal(feed(f, ev), 0);
    assert_int_equal(take(f), 2);
    expect(f, 0, "1795352666|H-2|sales|NONE|EXITWITHKEY|1|2|2|11");
    expect(f, 1, "1795352666|H-2|sales|NONE|ENTERQUEUE||905|2");
}

/* ---- takeovers ---- */

static void test_adopted_connected_then_forgotten(void **state)
{
    fx_t *f = *state;
    acd_event_t ev = ev_of(ACD_EV_CALL_ADOPT, "X-1", "b7");
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "906");
    snprintf(ev.agent_site, sizeof(ev.agent_site), "b");
    snprintf(ev.offer_id, sizeof(ev.offer_id), "takeover:a");
    ev.enqueue_ms = T0 - 40000;
    ev.answer_ms = T0 - 30000;
    ev.offers = 2;
    assert_int_equal(feed(f, ev), 0);
    assert_int_equal(take(f), 3);
    expect(f, 1, "1795352654|X-1|sales|NONE|ENTERQUEUE||906|1");
    expect(f, 2, "1795352654|X-1|sales|Agent/b7|CONNECT|10|X-1.2|0");
    at(f, 20000);
    acd_event_t fg = ev_of(ACD_EV_CALL_FORGET, "X-1", NULL);
    snprintf(fg.call_site, sizeof(fg.call_site), "c");
    snprintf(fg.offer_id, sizeof(fg.offer_id), "takeover:c");
    assert_int_equal(feed(f, fg), 0);
    assert_int_equal(take(f), 1);
    expect(f, 0, "1795352674|X-1|sales|Agent/b7|TRANSFER|c|takeover|10|50|1");

    assert_int_equal(arrive(f, "X-2", "907", NULL), 0);
    at(f, 25000);
    fg = ev_of(ACD_EV_CALL_FORGET, "X-2", NULL);
    snprintf(fg.call_site, sizeof(fg.call_site), "c");
    assert_int_equal(feed(f, fg), 0);
    assert_int_equal(take(f), 3);
    expect(f, 2, "1795352679|X-2|sales|NONE|TRANSFER|c|takeover|5|0|1");
    assert_int_equal(acd_qlog_calls(f->q), 0);
}

/* ---- configuration ---- */

static void test_reload_members(void **state)
{
    fx_t *f = *state;
    login(f, "a2");
    (void)take(f);
    static const char *const q1[] = {"sales"};
    static const char *const q3[] = {"vm", "support"};
    static const acd_core_agent_cfg_t next_agents[] = {
        {.id = "a1", .sip_user = "u1", .queues = q1, .n_queues = 1},
        {.id = "a3", .sip_user = "u3", .queues = q3, .n_queues = 2},
    };
    acd_core_cfg_t next = cfg;
    next.agents = next_agents;
    next.n_agents = 2;
    at(f, 2000);
    acd_actions_reset(&f->acts);
    assert_int_equal(acd_core_configure(f->c, &next, f->now, &f->acts), 0);
    assert_int_equal(acd_qlog_configure(f->q, f->c, &next, &f->acts, f->now, &f->out), 0);
    assert_int_equal(take(f), 5);
    expect(f, 0, "1795352656|NONE|NONE|NONE|CONFIGRELOAD|");
    expect(f, 1, "1795352656|NONE|support|Agent/a1|REMOVEMEMBER|");
    expect(f, 2, "1795352656|NONE|sales|Agent/a2|REMOVEMEMBER|");
    expect(f, 3, "1795352656|NONE|support|Agent/a3|ADDMEMBER|");
    expect(f, 4, "1795352656|NONE|NONE|Agent/a2|AGENTLOGOFF|SIP/u2|2"); /* a2 is gone */
}

/* ---- the file ---- */

static char *tmp_path(const char *name)
{
    static char dir[] = "/tmp/acd-qlog-XXXXXX";
    static bool made;
    if (!made) {
        assert_non_null(mkdtemp(dir));
        made = true;
    }
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void test_writer_append_reopen(void **state)
{
    (void)state;
    char *path = tmp_path("queue_log");
    char *moved = tmp_path("queue_log.1");
    acd_qlog_writer_t *w = NULL;
    assert_int_equal(acd_qlog_writer_open(&w, "-"), -EINVAL);
    assert_int_equal(acd_qlog_writer_open(&w, ""), -EINVAL);
    assert_int_equal(acd_qlog_writer_open(&w, "/nonexistent-dir/q"), -ENOENT);
    assert_null(w);
    assert_int_equal(acd_qlog_writer_open(&w, path), 0);
    const char two[] = "1|a|q|NONE|X|\n2|b|q|NONE|Y|1\n";
    assert_int_equal(acd_qlog_writer_write(w, two, strlen(two)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_string_equal(slurp(path), two);
    assert_int_equal(rename(path, moved), 0); /* logrotate */
    assert_int_equal(acd_qlog_writer_reopen(w, NULL), 0);
    assert_int_equal(acd_qlog_writer_write(w, "3|c|q|NONE|Z|\n", 14), 0);
    assert_string_equal(slurp(path), "3|c|q|NONE|Z|\n");
    assert_string_equal(slurp(moved), two);
    assert_int_equal(acd_qlog_writer_reopen(w, "/nonexistent-dir/q"), -ENOENT);
    assert_string_equal(acd_qlog_writer_path(w), path); /* the old file stays in use */
    acd_qlog_writer_close(w);
    acd_qlog_writer_close(NULL);
    unlink(path);
    unlink(moved);
    free(path);
    free(moved);
}

static void test_queue_log_open_observe(void **state)
{
    fx_t *f = *state;
    char *path = tmp_path("site-log");
    acd_queue_log_t *l = NULL;
    assert_int_equal(acd_queue_log_open(&l, path, T0), 0);
    acd_queue_log_configure(l, f->c, &cfg, NULL, T0);
    acd_event_t ev = ev_of(ACD_EV_AGENT_LOGIN, NULL, "a1");
    acd_actions_reset(&f->acts);
    int rc = acd_core_apply(f->c, &ev, T0, &f->acts);
    acd_queue_log_observe(l, f->c, &ev, rc, &f->acts, T0);
    acd_queue_log_close(l);
    assert_string_equal(slurp(path), "1795352654|NONE|NONE|NONE|QUEUESTART|\n"
                                     "1795352654|NONE|NONE|Agent/a1|AGENTLOGIN|SIP/u1\n");
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_strips_and_ends_in_bar),
        cmocka_unit_test_setup_teardown(test_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_caller_hangs_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_agent_hangs_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandon_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_no_answer_then_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_canceled_by_hangup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_unpause_logoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_pause_no_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_wait_moves_to_another_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_wait_out_and_exit_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_turned_away_at_the_door, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virtual_hold_exit_with_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopted_connected_then_forgotten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_members, setup, teardown),
        cmocka_unit_test(test_writer_append_reopen),
        cmocka_unit_test_setup_teardown(test_queue_log_open_observe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
