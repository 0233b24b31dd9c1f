/* test_ivr.c - the auto-attendant state machine: digit/timeout sequences, compile errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acd/ivr.h"

#define T_QUEUE(name, prio)                                                                        \
    {                                                                                              \
        ACD_IVR_GO_QUEUE, name, prio                                                               \
    }
#define T_MENU(name)                                                                               \
    {                                                                                              \
        ACD_IVR_GO_MENU, name, 0                                                                   \
    }
#define T_GO(go)                                                                                   \
    {                                                                                              \
        go, "", 0                                                                                  \
    }

/*
 * main:    1 sales, 2 billing menu, 3 hours, 9 incidents (urgent), 0 operator, * repeat,
 *          # voicemail; 2 retries; silence ends at the operator.
 * billing: 1 billing queue, 2 callback, 8 back to main, 9 cancel menu; 1 retry, 3 s;
 *          silence goes back to main.
 * cancel:  1 retention, 2 hangup, # escalate; no retry; silence leaves a message.
 */
static const acd_ivr_option_t main_opts[] = {
    {'1', T_QUEUE("sales", 0)},        {'2', T_MENU("billing")},
    {'3', T_GO(ACD_IVR_GO_HOURS)},     {'9', T_QUEUE("incidents", ACD_IVR_PRIORITY_URGENT)},
    {'0', T_GO(ACD_IVR_GO_OPERATOR)},  {'*', T_GO(ACD_IVR_GO_REPEAT)},
    {'#', T_GO(ACD_IVR_GO_VOICEMAIL)},
};
static const acd_ivr_option_t billing_opts[] = {
    {'1', T_QUEUE("billing", 0)},
    {'2', T_GO(ACD_IVR_GO_CALLBACK)},
    {'8', T_MENU("main")},
    {'9', T_MENU("cancel")},
};
static const acd_ivr_option_t cancel_opts[] = {
    {'1', T_QUEUE("retention", 0)},
    {'2', T_GO(ACD_IVR_GO_HANGUP)},
    {'#', T_GO(ACD_IVR_GO_ESCALATE)},
};
static const acd_ivr_menu_t menus[] = {
    {.name = "main",
     .prompt = "main-welcome",
     .retries = 2,
     .invalid_prompt = "invalid",
     .timeout_prompt = "no-input",
     .options = main_opts,
     .n_options = 7},
    {.name = "billing",
     .prompt = "billing-menu",
     .timeout_ms = 3000,
     .retries = 1,
     .invalid_prompt = "invalid",
     .on_timeout = T_MENU("main"),
     .options = billing_opts,
     .n_options = 4},
    {.name = "cancel",
     .prompt = "cancel-menu",
     .retries = 0,
     .on_timeout = T_GO(ACD_IVR_GO_VOICEMAIL),
     .options = cancel_opts,
     .n_options = 3},
};

/* A step written out: "play MENU: p1,p2 @TIMEOUT tN" or "route MENU: TARGET tN". */
static void step_str(const acd_ivr_step_t *st, const acd_ivr_session_t *s, char *buf, size_t len)
{
    char what[128] = "";
    if (st->kind == ACD_IVR_PLAY) {
        for (size_t i = 0; i < st->n_prompts; i++)
            snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s", i ? "," : "",
                     st->prompts[i]);
        snprintf(buf, len, "play %s: %s @%d t%d", st->menu, what, st->timeout_ms, s->tries);
    } else {
        acd_ivr_target_format(&st->route, what, sizeof(what));
        snprintf(buf, len, "route %s: %s t%d", st->menu, what, s->tries);
    }
}

/* One event: 's' start, 't' timeout, 'r' resume, 'x' a reload dropped the menu, else a digit. */
typedef struct ivr_event {
    char ev;
    const char *want;
} ivr_event_t;

typedef struct ivr_seq {
    const char *name;
    ivr_event_t events[10];
    int hops; /* menus entered at the end */
} ivr_seq_t;

#define MAIN "play main: main-welcome @5000 t0"
#define BILLING "play billing: billing-menu @3000 t0"
#define CANCEL "play cancel: cancel-menu @5000 t0"

static const ivr_seq_t seqs[] = {
    {"queue", {{'s', MAIN}, {'1', "route main: queue:sales t0"}}, 1},
    {"urgent queue", {{'s', MAIN}, {'9', "route main: queue:incidents!100 t0"}}, 1},
    {"nested and back",
     {{'s', MAIN},
      {'2', BILLING},
      {'8', MAIN},
      {'2', BILLING},
      {'9', CANCEL},
      {'1', "route cancel: queue:retention t0"}},
     5},
    {"invalid keys then operator",
     {{'s', MAIN},
      {'5', "play main: invalid,main-welcome @5000 t1"},
      {'A', "play main: invalid,main-welcome @5000 t2"},
      {'4', "route main: operator t3"}},
     1},
    {"timeouts then on_timeout",
     {{'s', MAIN},
      {'2', BILLING},
      {'t', "play billing: billing-menu @3000 t1"}, /* billing has no timeout prompt */
      {'t', MAIN},                                  /* billing's on_timeout: back to main */
      {'t', "play main: no-input,main-welcome @5000 t1"},
      {'t', "play main: no-input,main-welcome @5000 t2"},
      {'t', "route main: operator t3"}},
     3},
    {"invalid and timeout share the tries",
     {{'s', MAIN},
      {'7', "play main: invalid,main-welcome @5000 t1"},
      {'t', "play main: no-input,main-welcome @5000 t2"},
      {'7', "route main: operator t3"}},
     1},
    {"repeat keeps the tries",
     {{'s', MAIN},
      {'5', "play main: invalid,main-welcome @5000 t1"},
      {'*', "play main: main-welcome @5000 t1"},
      {'1', "route main: queue:sales t1"}},
     1},
    {"no retries",
     {{'s', MAIN}, {'2', BILLING}, {'9', CANCEL}, {'t', "route cancel: voicemail t1"}},
     3},
    {"no retries, invalid key",
     {{'s', MAIN}, {'2', BILLING}, {'9', CANCEL}, {'5', "route cancel: voicemail t1"}},
     3},
    {"cancel choices",
     {{'s', MAIN},
      {'2', BILLING},
      {'9', CANCEL},
      {'#', "route cancel: escalate t0"},
      {'r', CANCEL},
      {'2', "route cancel: hangup t0"}},
     3},
    {"hours then resume",
     {{'s', MAIN}, {'3', "route main: hours t0"}, {'r', MAIN}, {'#', "route main: voicemail t0"}},
     1},
    {"billing callback", {{'s', MAIN}, {'2', BILLING}, {'2', "route billing: callback t0"}}, 2},
    {"menu removed by a reload",
     {{'s', MAIN}, {'2', BILLING}, {'x', NULL}, {'1', MAIN}, {'1', "route main: queue:sales t0"}},
     3},
};

static void test_sequences(void **state)
{
    (void)state;
    char err[128] = "";
    acd_ivr_t *ivr = NULL;
    assert_int_equal(acd_ivr_alloc(&ivr, menus, 3, "main", err, sizeof(err)), 0);
    assert_string_equal(err, "");
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        const ivr_seq_t *q = &seqs[i];
        acd_ivr_session_t s;
        memset(&s, 0x77, sizeof(s));
        int digits = 0;
        for (const ivr_event_t *e = q->events; e->ev; e++) {
            acd_ivr_step_t st;
            char got[256];
            print_message("%s: '%c'\n", q->name, e->ev);
            if (e->ev == 's') {
                acd_ivr_start(ivr, &s, &st);
            } else if (e->ev == 't') {
                acd_ivr_timeout(ivr, &s, &st);
            } else if (e->ev == 'r') {
                acd_ivr_resume(ivr, &s, &st);
            } else if (e->ev == 'x') {
                snprintf(s.menu, sizeof(s.menu), "removed");
                continue;
            } else {
                acd_ivr_digit(ivr, &s, e->ev, &st);
                digits++;
            }
            step_str(&st, &s, got, sizeof(got));
            assert_string_equal(got, e->want);
            assert_string_equal(s.menu, st.menu);
        }
        assert_int_equal(s.hops, q->hops);
        assert_int_equal(s.digits, digits);
    }
    acd_ivr_free(ivr);
}

/* The IVR keeps its own copies: the configuration may go away after alloc. */
static void test_copies(void **state)
{
    (void)state;
    char name[16] = "start", prompt[16] = "hello", qname[16] = "sales";
    acd_ivr_option_t opt = {'1', T_QUEUE("", 0)};
    snprintf(opt.target.target, sizeof(opt.target.target), "%s", qname);
    acd_ivr_menu_t m = {.name = name, .prompt = prompt, .options = &opt, .n_options = 1};
    acd_ivr_t *ivr = NULL;
    assert_int_equal(acd_ivr_alloc(&ivr, &m, 1, name, NULL, 0), 0);
    memset(name, 'x', sizeof(name) - 1);
    memset(prompt, 'y', sizeof(prompt) - 1);
    memset(&opt, 0, sizeof(opt));
    m.n_options = 0;

    acd_ivr_session_t s;
    acd_ivr_step_t st;
    acd_ivr_start(ivr, &s, &st);
    assert_int_equal(st.kind, ACD_IVR_PLAY);
    assert_string_equal(st.menu, "start");
    assert_string_equal(st.prompts[0], "hello");
    assert_int_equal(st.timeout_ms, ACD_IVR_DEFAULT_TIMEOUT_MS);
    acd_ivr_digit(ivr, &s, '1', &st);
    assert_int_equal(st.kind, ACD_IVR_ROUTE);
    assert_string_equal(st.route.target, "sales");
    /* retries 0 and on_timeout NONE: the first silence goes to the operator. */
    acd_ivr_timeout(ivr, &s, &st);
    assert_int_equal(st.kind, ACD_IVR_ROUTE);
    assert_int_equal(st.route.go, ACD_IVR_GO_OPERATOR);
    acd_ivr_free(ivr);
    acd_ivr_free(NULL);
}

typedef struct alloc_case {
    const char *name;
    acd_ivr_menu_t menus[2];
    size_t n;
    const char *entry;
    const char *err;
} alloc_case_t;

static const acd_ivr_option_t opt_unknown_menu[] = {{'2', T_MENU("nope")}};
static const acd_ivr_option_t opt_dup_key[] = {{'1', T_QUEUE("a", 0)}, {'1', T_QUEUE("b", 0)}};
static const acd_ivr_option_t opt_bad_key[] = {{'A', T_QUEUE("a", 0)}};
static const acd_ivr_option_t opt_nul_key[] = {{'\0', T_QUEUE("a", 0)}};
static const acd_ivr_option_t opt_no_queue[] = {{'1', T_QUEUE("", 0)}};
static const acd_ivr_option_t opt_none[] = {{'1', T_GO(ACD_IVR_GO_NONE)}};
static const acd_ivr_option_t opt_bad_prio[] = {{'1', T_QUEUE("a", 101)}};
static const acd_ivr_option_t opt_to_b[] = {{'1', T_MENU("b")}};
static const acd_ivr_option_t opt_to_a[] = {{'1', T_MENU("a")}};

#define MENU_A(...)                                                                                \
    {                                                                                              \
        .name = "a", .prompt = "pa", __VA_ARGS__                                                   \
    }
#define MENU_B(...)                                                                                \
    {                                                                                              \
        .name = "b", .prompt = "pb", __VA_ARGS__                                                   \
    }

static const alloc_case_t alloc_cases[] = {
    {"unknown menu",
     {MENU_A(.options = opt_unknown_menu, .n_options = 1)},
     1,
     "a",
     "menu 'a': key '2' goes to unknown menu 'nope'"},
    {"duplicate key",
     {MENU_A(.options = opt_dup_key, .n_options = 2)},
     1,
     "a",
     "menu 'a': key '1' used twice"},
    {"bad key",
     {MENU_A(.options = opt_bad_key, .n_options = 1)},
     1,
     "a",
     "menu 'a': option 0 has key 0x41, not 0-9 * #"},
    {"nul key",
     {MENU_A(.options = opt_nul_key, .n_options = 1)},
     1,
     "a",
     "menu 'a': option 0 has key 0x00, not 0-9 * #"},
    {"unknown entry", {MENU_A()}, 1, "main", "entry menu 'main' is not defined"},
    {"duplicate menu", {MENU_A(), MENU_A()}, 2, "a", "menu 'a': defined twice"},
    {"no name", {{.prompt = "p"}}, 1, "a", "menu 0: no valid name"},
    {"bad name", {{.name = "a b", .prompt = "p"}}, 1, "a b", "menu 0: no valid name"},
    {"no prompt", {{.name = "a"}}, 1, "a", "menu 'a': no prompt"},
    {"negative retries", {MENU_A(.retries = -1)}, 1, "a", "menu 'a': negative timeout or retries"},
    {"no queue name",
     {MENU_A(.options = opt_no_queue, .n_options = 1)},
     1,
     "a",
     "menu 'a': key '1' has no valid queue name"},
    {"no target",
     {MENU_A(.options = opt_none, .n_options = 1)},
     1,
     "a",
     "menu 'a': key '1' has no valid target"},
    {"priority out of range",
     {MENU_A(.options = opt_bad_prio, .n_options = 1)},
     1,
     "a",
     "menu 'a': key '1' has priority 101 outside 0..100"},
    {"missing options", {MENU_A(.n_options = 1)}, 1, "a", "menu 'a': no option array"},
    {"on_timeout repeat",
     {MENU_A(.on_timeout = T_GO(ACD_IVR_GO_REPEAT))},
     1,
     "a",
     "menu 'a': on_timeout cannot repeat"},
    {"on_timeout unknown menu",
     {MENU_A(.on_timeout = T_MENU("zz"))},
     1,
     "a",
     "menu 'a': on_timeout goes to unknown menu 'zz'"},
    {"on_timeout to itself",
     {MENU_A(.on_timeout = T_MENU("a"))},
     1,
     "a",
     "menu 'a': on_timeout menus lead back in a loop"},
    {"on_timeout loop of two",
     {MENU_A(.on_timeout = T_MENU("b")), MENU_B(.on_timeout = T_MENU("a"))},
     2,
     "a",
     "menu 'a': on_timeout menus lead back in a loop"},
};

static void test_alloc_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(alloc_cases) / sizeof(alloc_cases[0]); i++) {
        const alloc_case_t *c = &alloc_cases[i];
        char err[128] = "";
        acd_ivr_t *ivr = (acd_ivr_t *)0x1;
        print_message("case %s\n", c->name);
        assert_int_equal(acd_ivr_alloc(&ivr, c->menus, c->n, c->entry, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, c->err);
        assert_ptr_equal(ivr, (acd_ivr_t *)0x1); /* untouched on failure */
    }
    /* Options may cycle (a caller goes back), and timeouts may lead on to a menu. */
    acd_ivr_menu_t ok[2] = {MENU_A(.options = opt_to_b, .n_options = 1),
                            MENU_B(.options = opt_to_a, .n_options = 1, .on_timeout = T_MENU("a"))};
    acd_ivr_t *ivr = NULL;
    assert_int_equal(acd_ivr_alloc(&ivr, ok, 2, "b", NULL, 0), 0);
    acd_ivr_free(ivr);
    assert_int_equal(acd_ivr_alloc(&ivr, ok, 0, "a", NULL, 0), -EINVAL);
    assert_int_equal(acd_ivr_alloc(NULL, ok, 2, "a", NULL, 0), -EINVAL);
    assert_int_equal(acd_ivr_alloc(&ivr, ok, 2, NULL, NULL, 0), -EINVAL);
}

typedef struct target_case {
    const char *text;
    int rc;
    acd_ivr_go_t go;
    const char *target;
    int priority;
    const char *formatted; /* NULL: the same as text */
} target_case_t;

static const target_case_t target_cases[] = {
    {"queue:sales", 0, ACD_IVR_GO_QUEUE, "sales", 0, NULL},
    {"queue:incidents!urgent", 0, ACD_IVR_GO_QUEUE, "incidents", 100, "queue:incidents!100"},
    {"queue:vip!40", 0, ACD_IVR_GO_QUEUE, "vip", 40, NULL},
    {"queue:vip!0", 0, ACD_IVR_GO_QUEUE, "vip", 0, "queue:vip"},
    {"menu:billing", 0, ACD_IVR_GO_MENU, "billing", 0, NULL},
    {"voicemail", 0, ACD_IVR_GO_VOICEMAIL, "", 0, NULL},
    {"hours", 0, ACD_IVR_GO_HOURS, "", 0, NULL},
    {"operator", 0, ACD_IVR_GO_OPERATOR, "", 0, NULL},
    {"callback", 0, ACD_IVR_GO_CALLBACK, "", 0, NULL},
    {"escalate", 0, ACD_IVR_GO_ESCALATE, "", 0, NULL},
    {"repeat", 0, ACD_IVR_GO_REPEAT, "", 0, NULL},
    {"hangup", 0, ACD_IVR_GO_HANGUP, "", 0, NULL},
    {"queue:", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"menu:", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"menu:a!5", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:vip!101", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:vip!", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:vip!x", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:a b", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:a:b", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"voicemail:box", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"none", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"Operator", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"", -EINVAL, ACD_IVR_GO_NONE, "", 0, NULL},
    {"queue:0123456789012345678901234567890123456789012345678901234567890123", -EINVAL,
     ACD_IVR_GO_NONE, "", 0, NULL},
};

static void test_targets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
        const target_case_t *c = &target_cases[i];
        acd_ivr_target_t t = {.go = ACD_IVR_GO_HANGUP, .target = "keep", .priority = 7};
        print_message("target %s\n", c->text);
        assert_int_equal(acd_ivr_target_parse(c->text, &t), c->rc);
        if (c->rc < 0) {
            assert_string_equal(t.target, "keep");
            continue;
        }
        assert_string_equal(acd_ivr_go_name(t.go), acd_ivr_go_name(c->go));
        assert_string_equal(t.target, c->target);
        assert_int_equal(t.priority, c->priority);
        char buf[96];
        acd_ivr_target_format(&t, buf, sizeof(buf));
        assert_string_equal(buf, c->formatted ? c->formatted : c->text);
    }
    acd_ivr_target_t t;
    assert_int_equal(acd_ivr_target_parse(NULL, &t), -EINVAL);
    assert_string_equal(acd_ivr_go_name((acd_ivr_go_t)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_alloc_errors),
        cmocka_unit_test(test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
