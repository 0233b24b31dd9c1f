/* test_restore.c - restore on redial: a caller whose takeover failed gets its place back. */
#include "harness.h"

#include <errno.h>

#include "report/cdr.h"
#include "util/buf.h"

#define T_WINDOW 120000

static int t_setup(void **state)
{
    h_setup(state);
    h_t *h = *state;
    assert_int_equal(acd_core_set_redial_window(h->c, T_WINDOW), 0);
    return 0;
}

/* call, adopted from the dark site, whose takeover re-INVITE then failed. */
static void t_lost(h_t *h, const char *call, const char *caller, const char *queue,
                   acd_ms_t enqueue_ms, int priority)
{
    assert_int_equal(h_adopt(h, call, "100", caller, queue, enqueue_ms, priority), 0);
    assert_int_equal(h_takeover_failed(h, call), 0);
}

static size_t t_held(const h_t *h)
{
    size_t n;
    acd_core_restore_counts(h->c, &n, NULL);
    return n;
}

/* The failed caller redials within the window: its old place, ahead of a later caller. */
static void test_restored_in_place(void **state)
{
    h_t *h = *state;
    h->now = H_T0 + 5000;
    assert_int_equal(h_call_in(h, "b-later", "100", "+3460002", 0), 0); /* here at +5 s */
    h->now = H_T0 + 8000;
    /* there at +2 s */
    assert_int_equal(h_adopt(h, "a-1", "100", "+3460001", NULL, H_T0 + 2000, 0), 0);
    h->now = H_T0 + 9000;
    assert_int_equal(h_takeover_failed(h, "a-1"), 0);
    const acd_cdr_t *cdr = h_cdr(h);
    assert_int_equal(cdr->disposition, ACD_DISP_FAILED);
    assert_string_equal(cdr->restored_from, "");
    acd_restore_view_t t;
    assert_int_equal(acd_core_restore_ticket(h->c, "acme", "+3460001", h->now, &t), 0);
    assert_string_equal(t.old_call_id, "a-1");
    assert_string_equal(t.queue, "sales");
    assert_int_equal(t.enqueue_ms, H_T0 + 2000);
    assert_int_equal(t.expires_ms, H_T0 + 9000 + T_WINDOW);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 9000 + T_WINDOW);

    /* The redial comes 30 s later, on the tenant's other DID. */
    h->now = H_T0 + 39000;
    assert_int_equal(h_call_in(h, "b-redial", "101", "+3460001", 0), 0);
    acd_call_view_t v = h_call(h, "b-redial");
    assert_int_equal(v.enqueue_ms, H_T0 + 2000);
    assert_string_equal(v.restored_from, "a-1");
    assert_int_equal(v.position, 1);
    assert_int_equal(h_call(h, "b-later").position, 2);
    assert_int_equal(t_held(h), 0);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);

    /* The first free agent gets the restored caller; its CDR says where it came from. */
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    for (size_t i = 0; i < h->out.n; i++)
        if (h->out.v[i].type == ACD_ACT_OFFER)
            h_expect_offer(h, i, "b-redial", "a2");
    assert_int_equal(h_count(h, ACD_ACT_OFFER), 1);
    assert_int_equal(h_ev(h, ACD_EV_OFFER_ANSWERED, "b-redial", "a2"), 0);
    h->now += 10000;
    assert_int_equal(h_ev(h, ACD_EV_AGENT_HANGUP, "b-redial", "a2"), 0);
    cdr = h_cdr(h);
    assert_string_equal(cdr->restored_from, "a-1");
    assert_int_equal(cdr->enqueue_ms, H_T0 + 2000);
    assert_int_equal(cdr->disposition, ACD_DISP_ANSWERED);

    /* The ticket is used up: calling again is a new arrival. */
    assert_int_equal(h_call_in(h, "b-again", "100", "+3460001", 0), 0);
    v = h_call(h, "b-again");
    assert_int_equal(v.enqueue_ms, h->now);
    assert_string_equal(v.restored_from, "");
}

/* The ticket's queue and a higher original priority come back too. */
static void test_queue_and_priority(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-vip", "+3461", "vip", H_T0 - 1000, 12);
    t_lost(h, "a-low", "+3462", NULL, H_T0 - 1000, 0);
    h->now += 1000;
    assert_int_equal(h_call_in(h, "n-vip", "100", "+3461", 0), 0);
    acd_call_view_t v = h_call(h, "n-vip");
    assert_string_equal(v.queue, "vip");
    assert_int_equal(v.priority, 12);
    /* A new call's own priority stays when higher than the original. */
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "n-low", NULL);
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "+3462");
    ev.priority = 7;
    assert_int_equal(h_apply(h, &ev), 0);
    v = h_call(h, "n-low");
    assert_string_equal(v.queue, "sales");
    assert_int_equal(v.priority, 7);
    assert_int_equal(v.enqueue_ms, H_T0 - 1000);
}

/* Other tenant, other number, anonymous or empty numbers, after expiry: no restore. */
static void test_no_match(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-1", "+3460001", NULL, H_T0 - 5000, 0);
    t_lost(h, "a-anon", "Anonymous", NULL, H_T0 - 5000, 0);
    t_lost(h, "a-empty", "", NULL, H_T0 - 5000, 0);
    assert_int_equal(t_held(h), 1); /* the identified caller's only */

    h->now += 1000;
    assert_int_equal(h_call_in(h, "n-beta", "200", "+3460001", 0), 0); /* beta, same number */
    assert_string_equal(h_call(h, "n-beta").restored_from, "");
    assert_int_equal(h_call_in(h, "n-other", "100", "+3460009", 0), 0);
    assert_string_equal(h_call(h, "n-other").restored_from, "");
    assert_int_equal(h_call_in(h, "n-anon", "100", "anonymous", 0), 0);
    assert_string_equal(h_call(h, "n-anon").restored_from, "");
    assert_int_equal(h_call_in(h, "n-empty", "100", "", 0), 0);
    assert_string_equal(h_call(h, "n-empty").restored_from, "");
    assert_true(h_has_ticket(h, "acme", "+3460001"));

    /* At the expiry the ticket no longer matches, even before a TICK drops it. */
    h->now = H_T0 + T_WINDOW;
    assert_false(h_has_ticket(h, "acme", "+3460001"));
    assert_int_equal(t_held(h), 1);
    assert_int_equal(h_call_in(h, "n-late", "100", "+3460001", 0), 0);
    assert_string_equal(h_call(h, "n-late").restored_from, "");
    assert_int_equal(h_call(h, "n-late").enqueue_ms, h->now);
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + T_WINDOW);
    assert_int_equal(h_tick_at(h, H_T0 + T_WINDOW), 0);
    assert_int_equal(h->out.n, 0);
    assert_int_equal(t_held(h), 0);
    assert_int_equal(acd_core_next_deadline(h->c), INT64_MAX);
}

/* Only an adopted call not yet connected, failing its takeover re-INVITE, leaves a ticket. */
static void test_only_failed_takeovers(void **state)
{
    h_t *h = *state;
    assert_int_equal(h_call_in(h, "local", "100", "+3461", 0), 0);
    assert_int_equal(h_takeover_failed(h, "local"), 0); /* never adopted */
    assert_int_equal(h_adopt(h, "a-plain", "100", "+3462", NULL, H_T0 - 100, 0), 0);
    assert_int_equal(h_hangup(h, "a-plain", true), 0); /* failed, not restorable */
    assert_int_equal(h_adopt(h, "a-gone", "100", "+3463", NULL, H_T0 - 100, 0), 0);
    assert_int_equal(h_hangup(h, "a-gone", false), 0); /* the caller hung up */
    acd_event_t ev = h_mkev(ACD_EV_CALL_ADOPT, "a-conn", "x9");
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "+3464");
    snprintf(ev.agent_site, sizeof(ev.agent_site), "C");
    snprintf(ev.offer_id, sizeof(ev.offer_id), "takeover-A");
    ev.enqueue_ms = H_T0 - 100;
    ev.answer_ms = H_T0 - 50;
    assert_int_equal(h_apply(h, &ev), 0);
    assert_int_equal(h_takeover_failed(h, "a-conn"), 0); /* connected: not a waiting caller */
    assert_int_equal(t_held(h), 0);

    /* An adopted caller ringing an agent when its re-INVITE fails still gets a ticket. */
    assert_int_equal(h_adopt(h, "a-ring", "100", "+3465", NULL, H_T0 - 100, 0), 0);
    assert_int_equal(h_ev(h, ACD_EV_AGENT_LOGIN, NULL, "a2"), 0);
    assert_int_equal(h_call(h, "a-ring").state, ACD_CALL_OFFERED);
    assert_int_equal(h_takeover_failed(h, "a-ring"), 0);
    assert_int_equal(h_count(h, ACD_ACT_CANCEL_OFFER), 1);
    assert_true(h_has_ticket(h, "acme", "+3465"));

    /* Window 0 turns it off and drops what is held. */
    assert_int_equal(acd_core_set_redial_window(h->c, -1), -EINVAL);
    assert_int_equal(acd_core_set_redial_window(h->c, 0), 0);
    assert_int_equal(t_held(h), 0);
    t_lost(h, "a-off", "+3466", NULL, H_T0 - 100, 0);
    assert_int_equal(t_held(h), 0);
}

/* A refused redial keeps the ticket; the same caller failing twice keeps the better place. */
static void test_refused_and_twice(void **state)
{
    h_t *h = *state;
    t_lost(h, "a-1", "+3461", NULL, H_T0 - 3000, 0);
    h->now += 1000;
    t_lost(h, "a-2", "+3461", NULL, H_T0 - 9000, 0); /* the best place */
    h->now += 1000;
    t_lost(h, "a-3", "+3461", NULL, H_T0 - 1000, 0);
    acd_restore_view_t t;
    assert_int_equal(acd_core_restore_ticket(h->c, "acme", "+3461", h->now, &t), 0);
    assert_string_equal(t.old_call_id, "a-2");
    assert_int_equal(t.enqueue_ms, H_T0 - 9000);
    assert_int_equal(t.expires_ms, h->now + T_WINDOW);
    assert_int_equal(t_held(h), 1);

    assert_int_equal(h_call_in(h, "busy", "100", "+3000", 0), 0);
    acd_event_t ev = h_mkev(ACD_EV_CALL_ARRIVE, "busy", NULL); /* duplicate id */
    snprintf(ev.did, sizeof(ev.did), "100");
    snprintf(ev.caller, sizeof(ev.caller), "+3461");
    h_refused(h, &ev, -EEXIST);
    assert_true(h_has_ticket(h, "acme", "+3461"));
}

/* The table holds ACD_RESTORE_MAX tickets; one more drops the one closest to expiry. */
static void test_bounded(void **state)
{
    h_t *h = *state;
    char id[32], num[32];
    for (int i = 0; i <= ACD_RESTORE_MAX; i++) {
        snprintf(id, sizeof(id), "a-%d", i);
        snprintf(num, sizeof(num), "+34%d", i);
        t_lost(h, id, num, NULL, H_T0 - 1000, 0);
        h->now++;
    }
    size_t held;
    uint64_t dropped;
    acd_core_restore_counts(h->c, &held, &dropped);
    assert_int_equal(held, ACD_RESTORE_MAX);
    assert_int_equal(dropped, 1);
    assert_false(h_has_ticket(h, "acme", "+340"));
    assert_true(h_has_ticket(h, "acme", "+341"));
    snprintf(num, sizeof(num), "+34%d", ACD_RESTORE_MAX);
    assert_true(h_has_ticket(h, "acme", num));
    assert_int_equal(acd_core_next_deadline(h->c), H_T0 + 1 + T_WINDOW);
}

/* The CDR line names the old call, or a callback, only when there is one: other lines are
 * unchanged. */
static void test_cdr_json(void **state)
{
    (void)state;
    acd_cdr_t c = {.call_id = "b-7", .tenant = "acme", .did = "100", .caller = "+3461",
                   .queue = "sales", .enqueue_ms = 1000, .end_ms = 5000, .wait_ms = 4000,
                   .disposition = ACD_DISP_ABANDONED};
    acd_buf_t b = {0};
    assert_int_equal(acd_cdr_format_json(&b, &c, "b"), 0);
    assert_null(strstr(b.p, "restored_from"));
    size_t plain = b.n;
    acd_buf_reset(&b);
    snprintf(c.restored_from, sizeof(c.restored_from), "a-3");
    assert_int_equal(acd_cdr_format_json(&b, &c, "b"), 0);
    const char *s = b.p;
    const char *tail = ",\"restored_from\":\"a-3\"}";
    assert_int_equal(b.n, plain + strlen(tail) - 1);
    assert_string_equal(s + b.n - strlen(tail), tail);
    /* A callback (ADR 0019) says so after it, and only then. */
    assert_null(strstr(b.p, "callback"));
    acd_buf_reset(&b);
    c.callback = true;
    assert_int_equal(acd_cdr_format_json(&b, &c, "b"), 0);
    tail = ",\"restored_from\":\"a-3\",\"callback\":true}";
    assert_string_equal(b.p + b.n - strlen(tail), tail);
    acd_buf_reset(&b);
    c.restored_from[0] = '\0'; /* answered after its ticket was gone */
    assert_int_equal(acd_cdr_format_json(&b, &c, "b"), 0);
    tail = ",\"end_ms\":5000,\"callback\":true}";
    assert_int_equal(b.n, plain + strlen(",\"callback\":true"));
    assert_string_equal(b.p + b.n - strlen(tail), tail);
    acd_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restored_in_place, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_queue_and_priority, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_no_match, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_only_failed_takeovers, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_twice, t_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_bounded, t_setup, h_teardown),
        cmocka_unit_test(test_cdr_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
