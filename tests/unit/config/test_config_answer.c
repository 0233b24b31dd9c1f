/* test_config_answer.c - a tenant's answering settings: hours, holidays, VIPs, IVR, scripts,
 * voicemail, on-call, instructions: exact values, defaults, file:line errors, merge. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_cases.h"

/* Lines 1-3: a site with queues of two tenants. */
#define BASE                                                                                       \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "queues: [{name: main, tenant: demo}, {name: sales, tenant: demo}, {name: other, tenant: "     \
    "acme}]\n"                                                                                     \
    "agents: [{id: \"2001\", queues: [main]}]\n"
/* Lines 4-8; the key under test comes on line 9, inside tenant demo. */
#define TENANT                                                                                     \
    "tenants:\n"                                                                                   \
    "  - {name: acme, queue: other}\n"                                                             \
    "  - name: demo\n"                                                                             \
    "    dids: [\"1000\"]\n"                                                                       \
    "    queue: main\n"

/* Every answering key of a tenant with a value of its own (menu billing keeps the menu defaults).
 */
static const char full_yaml[] = BASE TENANT
    "    timezone: Europe/Madrid\n"
    "    hours:\n"
    "      - {days: mon-fri, open: \"09:00\", close: \"18:00\"}\n"
    "      - {days: [sat, SUN], open: 10:00, close: \"24:00\"}\n"
    "    lunch:\n"
    "      - {days: \"mon-wed, fri\", start: \"14:00\", end: \"15:30\"}\n"
    "      - {days: sat-mon, start: \"0:00\", end: \"00:30\"}\n"
    "    holidays: [\"2026-12-25\", 2028-02-29, \"2000-02-29\"]\n"
    "    vip: [\"+34600111222\", 600333444]\n"
    "    vip_priority: 20\n"
    "    redial_priority: 0\n"
    "    abandon_window: 300.5\n"
    "    ivr:\n"
    "      entry: main\n"
    "      menus:\n"
    "        - name: main\n"
    "          prompt: main_menu\n"
    "          timeout: 4.5\n"
    "          retries: 0\n"
    "          invalid_prompt: try_again\n"
    "          on_timeout: \"menu:billing\"\n"
    "          options: {\"1\": \"queue:main\", \"2\": \"queue:sales!urgent\", \"3\": "
    "\"menu:billing\", 4: \"queue:sales!42\", \"9\": voicemail, \"0\": operator, "
    "\"*\": repeat, \"#\": hangup}\n"
    "        - name: billing\n"
    "          prompt: billing_menu\n"
    "          options:\n"
    "            1: queue:sales!0\n"
    "            5: hours\n"
    "            6: callback\n"
    "            7: escalate\n"
    "    operator_queue: sales\n"
    "    scripts:\n"
    "      - when: {modes: [open, lunch], reasons: [user-busy, No-Answer]}\n"
    "        greeting: busy_greeting\n"
    "        then: \"queue:main\"\n"
    "      - when: {modes: [after-hours, holiday, override]}\n"
    "        then: voicemail\n"
    "      - when: {reasons: unknown}\n"
    "        then: menu:main\n"
    "      - {then: hangup, when: {reasons: [none, unconditional, unavailable, "
    "time-of-day, do-not-disturb, deflection, out-of-service, away]}}\n"
    "    voicemail: {promise: 7200, prompt: vm_two_hours, max_length: 60, queue: sales, "
    "dir: /var/spool/vm}\n"
    "    on_call:\n"
    "      ring_timeout: 15\n"
    "      trunk: \"sip:198.18.0.1:5090\"\n"
    "      caller_id: \"1000\"\n"
    "      calendar:\n"
    "        - {days: mon-fri, start: \"18:00\", end: \"24:00\", chain: [\"+15550001\", "
    "\"+15550002\"]}\n"
    "        - {days: [sat, sun], start: \"00:00\", end: \"24:00\", chain: [5550003]}\n"
    "    instructions: \"Vuelvo a las 15:00 — pida el número de pedido\\n(2ª línea)\"\n";

static void assert_span(const acd_cfg_span_t *s, unsigned days, int start, int end)
{
    assert_int_equal(s->days, days);
    assert_int_equal(s->start_min, start);
    assert_int_equal(s->end_min, end);
}

static void assert_date(const acd_cfg_date_t *d, int y, int m, int day)
{
    assert_int_equal(d->year, y);
    assert_int_equal(d->month, m);
    assert_int_equal(d->day, day);
}

/* What one menu of full_yaml must hold. */
typedef struct menu_want {
    const char *name, *prompt;
    int timeout_ms, retries;
    const char *invalid_prompt, *on_timeout;
    acd_cfg_option_t options[8];
    size_t n_options;
} menu_want_t;

static const menu_want_t want_main = {
    "main",
    "main_menu",
    4500,
    0,
    "try_again",
    "menu:billing",
    {{'1', "queue:main"},
     {'2', "queue:sales!urgent"},
     {'3', "menu:billing"},
     {'4', "queue:sales!42"},
     {'9', "voicemail"},
     {'0', "operator"},
     {'*', "repeat"},
     {'#', "hangup"}},
    8,
};

/* The defaults of timeout, retries, invalid_prompt and on_timeout. */
static const menu_want_t want_billing = {
    "billing",
    "billing_menu",
    5000,
    2,
    "invalid",
    "operator",
    {{'1', "queue:sales!0"}, {'5', "hours"}, {'6', "callback"}, {'7', "escalate"}},
    4,
};

static void assert_menu(const acd_cfg_menu_t *m, const menu_want_t *w)
{
    assert_string_equal(m->name, w->name);
    assert_string_equal(m->prompt, w->prompt);
    assert_int_equal(m->timeout_ms, w->timeout_ms);
    assert_int_equal(m->retries, w->retries);
    assert_string_equal(m->invalid_prompt, w->invalid_prompt);
    assert_string_equal(m->on_timeout, w->on_timeout);
    assert_int_equal(m->n_options, w->n_options);
    for (size_t i = 0; i < w->n_options; i++) {
        assert_int_equal(m->options[i].key, w->options[i].key);
        assert_string_equal(m->options[i].target, w->options[i].target);
    }
}

/* The tenant demo of full_yaml (in a site file or in a merged config). */
static void assert_full_tenant(const acd_cfg_tenant_t *t)
{
    assert_string_equal(t->name, "demo");
    assert_string_equal(t->timezone, "Europe/Madrid");

    assert_int_equal(t->n_hours, 2);
    assert_span(&t->hours[0], 0x1f, 9 * 60, 18 * 60);
    assert_span(&t->hours[1], 0x60, 10 * 60, 1440);
    assert_int_equal(t->n_lunch, 2);
    assert_span(&t->lunch[0], 0x17, 14 * 60, 15 * 60 + 30); /* mon, tue, wed, fri */
    assert_span(&t->lunch[1], 0x61, 0, 30);                 /* sat-mon wraps: sat, sun, mon */
    assert_int_equal(t->n_holidays, 3);
    assert_date(&t->holidays[0], 2026, 12, 25);
    assert_date(&t->holidays[1], 2028, 2, 29);
    assert_date(&t->holidays[2], 2000, 2, 29);

    assert_int_equal(t->n_vip, 2);
    assert_string_equal(t->vip[0], "+34600111222");
    assert_string_equal(t->vip[1], "600333444");
    assert_int_equal(t->vip_priority, 20);
    assert_int_equal(t->redial_priority, 0);
    assert_int_equal(t->abandon_window_ms, 300500);

    assert_string_equal(t->ivr_entry, "main");
    assert_int_equal(t->n_menus, 2);
    assert_menu(&t->menus[0], &want_main);
    assert_menu(&t->menus[1], &want_billing);
    assert_string_equal(t->operator_queue, "sales");

    assert_int_equal(t->n_scripts, 4);
    assert_int_equal(t->scripts[0].modes, ACD_CFG_MODE_OPEN | ACD_CFG_MODE_LUNCH);
    assert_int_equal(t->scripts[0].reasons, (1u << 2) | (1u << 3));
    assert_string_equal(t->scripts[0].greeting, "busy_greeting");
    assert_string_equal(t->scripts[0].then, "queue:main");
    assert_int_equal(t->scripts[1].modes, 0x1c);
    assert_int_equal(t->scripts[1].reasons, 0);
    assert_null(t->scripts[1].greeting);
    assert_string_equal(t->scripts[1].then, "voicemail");
    assert_int_equal(t->scripts[2].modes, 0);
    assert_int_equal(t->scripts[2].reasons, 1u << 10);
    assert_string_equal(t->scripts[2].then, "menu:main");
    assert_int_equal(t->scripts[3].reasons, 0x3f3); /* every reason but busy, no-answer, unknown */
    assert_string_equal(t->scripts[3].then, "hangup");

    assert_true(t->voicemail);
    assert_int_equal(t->vm_promise_ms, 7200000);
    assert_string_equal(t->vm_prompt, "vm_two_hours");
    assert_int_equal(t->vm_max_ms, 60000);
    assert_string_equal(t->vm_queue, "sales");
    assert_string_equal(t->vm_dir, "/var/spool/vm");

    assert_int_equal(t->oncall_ring_ms, 15000);
    assert_string_equal(t->oncall_trunk, "sip:198.18.0.1:5090");
    assert_string_equal(t->oncall_caller_id, "1000");
    assert_int_equal(t->n_oncall, 2);
    assert_span(&t->oncall[0].when, 0x1f, 18 * 60, 1440);
    assert_int_equal(t->oncall[0].n_chain, 2);
    assert_string_equal(t->oncall[0].chain[0], "+15550001");
    assert_string_equal(t->oncall[0].chain[1], "+15550002");
    assert_span(&t->oncall[1].when, 0x60, 0, 1440);
    assert_int_equal(t->oncall[1].n_chain, 1);
    assert_string_equal(t->oncall[1].chain[0], "5550003");

    assert_string_equal(t->instructions,
                        "Vuelvo a las 15:00 — pida el número de pedido\n(2ª línea)");
}

static void test_full_tenant(void **state)
{
    (void)state;
    acd_config_t *cfg = cfg_load_ok(full_yaml);
    assert_int_equal(cfg->n_tenants, 2);
    assert_full_tenant(&cfg->tenants[1]);
    acd_config_free(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg =
        cfg_load_ok(BASE TENANT "    ivr: {entry: m, menus: [{name: m, prompt: p}]}\n");
    const acd_cfg_tenant_t *t = &cfg->tenants[1];
    assert_string_equal(t->timezone, "UTC");
    assert_int_equal(t->n_hours, 0);
    assert_null(t->hours);
    assert_int_equal(t->n_lunch, 0);
    assert_int_equal(t->n_holidays, 0);
    assert_int_equal(t->n_vip, 0);
    assert_int_equal(t->vip_priority, 10);
    assert_int_equal(t->redial_priority, 5);
    assert_int_equal(t->abandon_window_ms, 600000);
    assert_int_equal(t->n_menus, 1);
    assert_int_equal(t->menus[0].timeout_ms, 5000);
    assert_int_equal(t->menus[0].retries, 2);
    assert_string_equal(t->menus[0].invalid_prompt, "invalid");
    assert_string_equal(t->menus[0].on_timeout, "operator");
    assert_int_equal(t->menus[0].n_options, 0);
    assert_string_equal(t->operator_queue, "main");
    assert_int_equal(t->n_scripts, 0);
    assert_false(t->voicemail);
    assert_int_equal(t->vm_promise_ms, 14400000);
    assert_string_equal(t->vm_prompt, "vm_promise");
    assert_int_equal(t->vm_max_ms, 120000);
    assert_string_equal(t->vm_queue, "main");
    assert_string_equal(t->vm_dir, "/var/lib/acdd/voicemail");
    assert_int_equal(t->oncall_ring_ms, 20000);
    assert_null(t->oncall_trunk);
    assert_null(t->oncall_caller_id);
    assert_int_equal(t->n_oncall, 0);
    assert_null(t->instructions);
    /* The other tenant has no IVR at all. */
    assert_null(cfg->tenants[0].ivr_entry);
    assert_int_equal(cfg->tenants[0].n_menus, 0);
    assert_string_equal(cfg->tenants[0].operator_queue, "other");
    acd_config_free(cfg);

    /* An empty section is a section present with its defaults. */
    cfg = cfg_load_ok(BASE TENANT "    voicemail: {}\n");
    assert_true(cfg->tenants[1].voicemail);
    assert_int_equal(cfg->tenants[1].vm_promise_ms, 14400000);
    acd_config_free(cfg);
}

/* A zone is looked up under $TZDIR when it is set. */
static void test_tzdir(void **state)
{
    (void)state;
    char dir[] = "/tmp/acd-tz-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64], path[96];
    snprintf(sub, sizeof(sub), "%s/Test", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof(path), "%s/Zone", sub);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("TZif2 and the rest", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/Fake", sub);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a zone", f);
    fclose(f);

    const char *old = getenv("TZDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZDIR", dir, 1);
    acd_config_t *cfg = cfg_load_ok(BASE TENANT "    timezone: Test/Zone\n");
    assert_string_equal(cfg->tenants[1].timezone, "Test/Zone");
    acd_config_free(cfg);
    const cfg_err_case_t cases[] = {
        {"zone outside TZDIR", BASE TENANT "    timezone: Europe/Madrid\n", 9,
         "unknown time zone 'Europe/Madrid' for 'timezone': no such zone in /tmp/acd-tz-"},
        {"not a TZif file", BASE TENANT "    timezone: Test/Fake\n", 9, "unknown time zone"},
        {"a directory", BASE TENANT "    timezone: Test\n", 9, "unknown time zone 'Test'"},
    };
    cfg_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
    if (saved)
        setenv("TZDIR", saved, 1);
    else
        unsetenv("TZDIR");
    free(saved);

    unlink(path);
    snprintf(path, sizeof(path), "%s/Zone", sub);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* A shared config's tenant carries every answering setting, deep-copied into the merge. */
static void test_merge(void **state)
{
    (void)state;
    acd_config_t *site = cfg_load_ok(BASE TENANT);
    /* The same entries as a shared document: drop the site line. */
    const char *doc = strchr(full_yaml, '\n') + 1;
    acd_config_t *shared = cfg_shared_load_ok(doc), *merged = NULL;
    assert_int_equal(acd_config_merge(site, shared, &merged), 0);
    assert_ptr_not_equal(merged->tenants[1].menus, shared->tenants[1].menus);
    assert_ptr_not_equal(merged->tenants[1].menus[0].options[0].target,
                         shared->tenants[1].menus[0].options[0].target);
    assert_ptr_not_equal(merged->tenants[1].oncall[0].chain[0],
                         shared->tenants[1].oncall[0].chain[0]);
    /* The copy owns everything: the inputs can go first. */
    acd_config_free(shared);
    acd_config_free(site);
    assert_full_tenant(&merged->tenants[1]);
    acd_config_free(merged);
}

/* 256 bytes of text: one more than `instructions` may hold. */
#define TEXT_64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TEXT_256 TEXT_64 TEXT_64 TEXT_64 TEXT_64
#define IVR_HEAD                                                                                   \
    BASE TENANT                                                                                    \
        "    ivr:\n      entry: main\n      menus:\n        - name: main\n          prompt: p\n"
#define MENU(opts)                                                                                 \
    BASE TENANT "    ivr: {entry: main, menus: [{name: main, prompt: p, " opts "}]}\n"
#define HOURS(span) BASE TENANT "    hours: [{" span "}]\n"
#define SCRIPT(body) BASE TENANT "    scripts: [{" body "}]\n"
#define ONCALL(body) BASE TENANT "    on_call: {trunk: \"sip:198.18.0.1\", " body "}\n"

static const cfg_err_case_t err_cases[] = {
    /* days and times */
    {"bad day", HOURS("days: [mon, fun], open: \"09:00\", close: \"18:00\""), 9,
     "bad day 'fun' in 'days': use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri"},
    {"bad range", HOURS("days: mon-fry, open: \"09:00\", close: \"18:00\""), 9,
     "bad day 'mon-fry'"},
    {"no days", HOURS("days: [], open: \"09:00\", close: \"18:00\""), 9,
     "'days' must name at least one day"},
    {"days missing", HOURS("open: \"09:00\", close: \"18:00\""), 9,
     "missing required key 'days' in hours entry 1"},
    {"25:00", HOURS("days: mon, open: \"25:00\", close: \"26:00\""), 9,
     "'open' must be a time HH:MM from 00:00 to 24:00 (got '25:00')"},
    {"24:30", HOURS("days: mon, open: \"09:00\", close: \"24:30\""), 9,
     "'close' must be a time HH:MM from 00:00 to 24:00 (got '24:30')"},
    {"minute 60", HOURS("days: mon, open: \"09:60\", close: \"18:00\""), 9, "(got '09:60')"},
    {"no colon", HOURS("days: mon, open: 900, close: \"18:00\""), 9, "(got '900')"},
    {"seconds", HOURS("days: mon, open: \"09:00:00\", close: \"18:00\""), 9, "(got '09:00:00')"},
    {"open after close", HOURS("days: mon, open: \"18:00\", close: \"09:00\""), 9,
     "'close' 09:00 must be later than 'open' 18:00 (hours entry 1 of tenant 'demo')"},
    {"open equals close",
     BASE TENANT
     "    hours:\n      - days: mon\n        open: \"09:00\"\n        close: \"9:00\"\n",
     12, "'close' 09:00 must be later than 'open' 09:00"},
    {"lunch backwards", BASE TENANT "    lunch: [{days: mon, start: \"14:00\", end: \"13:00\"}]\n",
     9, "'end' 13:00 must be later than 'start' 14:00 (lunch entry 1 of tenant 'demo')"},
    {"lunch keys", BASE TENANT "    lunch: [{days: mon, open: \"14:00\", end: \"13:00\"}]\n", 9,
     "unknown key 'open' in lunch entry 1"},
    /* holidays */
    {"2026-02-30", BASE TENANT "    holidays: [\"2026-12-25\", \"2026-02-30\"]\n", 9,
     "bad date '2026-02-30' in 'holidays': use a real date YYYY-MM-DD, e.g. 2026-12-25"},
    {"not a leap year", BASE TENANT "    holidays: [2027-02-29]\n", 9, "bad date '2027-02-29'"},
    {"1900 not leap", BASE TENANT "    holidays: [1900-02-29]\n", 9, "bad date '1900-02-29'"},
    {"month 13", BASE TENANT "    holidays: [2026-13-01]\n", 9, "bad date '2026-13-01'"},
    {"one-digit month", BASE TENANT "    holidays: [2026-1-05]\n", 9, "bad date '2026-1-05'"},
    {"a word", BASE TENANT "    holidays: [christmas]\n", 9, "bad date 'christmas'"},
    {"not a list", BASE TENANT "    holidays: 2026-12-25\n", 9,
     "expected a list of dates for 'holidays'"},
    /* time zone */
    {"unknown tz", BASE TENANT "    timezone: Mars/Olympus\n", 9,
     "unknown time zone 'Mars/Olympus' for 'timezone'"},
    {"tz dot-dot", BASE TENANT "    timezone: ../../etc/passwd\n", 9,
     "bad time zone '../../etc/passwd' for 'timezone'"},
    {"tz absolute", BASE TENANT "    timezone: /etc/localtime\n", 9, "bad time zone"},
    {"tz directory", BASE TENANT "    timezone: Europe\n", 9, "unknown time zone 'Europe'"},
    /* targets */
    {"unknown target", MENU("options: {\"1\": queue}"), 9,
     "unknown target 'queue' for 'option 1' (use queue:NAME[!urgent|!0..100], menu:NAME, "
     "voicemail, hours, operator, callback, escalate, repeat or hangup)"},
    {"target case", MENU("options: {\"1\": Voicemail}"), 9, "unknown target 'Voicemail'"},
    /* "sister" is a queue's overflow, not a place a menu or a script sends a call */
    {"sister in a menu", MENU("options: {\"1\": sister}"), 9,
     "unknown target 'sister' for 'option 1'"},
    {"sister in a script", SCRIPT("then: sister"), 9, "unknown target 'sister'"},
    {"priority too high", MENU("options: {\"1\": \"queue:main!101\"}"), 9,
     "unknown target 'queue:main!101'"},
    {"empty suffix", MENU("options: {\"1\": \"queue:main!\"}"), 9, "unknown target 'queue:main!'"},
    {"no menu name", MENU("options: {\"1\": \"menu:\"}"), 9, "unknown target 'menu:'"},
    {"urgent menu", MENU("options: {\"1\": \"menu:main!urgent\"}"), 9, "unknown target"},
    {"menu to unknown menu", MENU("options: {\"1\": \"menu:nope\"}"), 9,
     "option 1 of menu 'main' of tenant 'demo' goes to 'menu:nope', but the tenant has no menu "
     "'nope'"},
    {"menu of another tenant",
     BASE
     "tenants:\n  - {name: acme, queue: other, ivr: {entry: x, menus: [{name: x, prompt: p}]}}\n"
     "  - name: demo\n    dids: [\"1000\"]\n    queue: main\n"
     "    ivr: {entry: main, menus: [{name: main, prompt: p, on_timeout: \"menu:x\"}]}\n",
     9, "on_timeout of menu 'main' of tenant 'demo' goes to 'menu:x', but the tenant has no menu"},
    {"unknown queue", MENU("options: {\"2\": \"queue:nobody!3\"}"), 9,
     "option 2 of menu 'main' of tenant 'demo' names unknown queue 'nobody'"},
    {"queue of another tenant", MENU("options: {\"2\": \"queue:other\"}"), 9,
     "names queue 'other', which belongs to tenant 'acme'"},
    {"duplicate option key",
     IVR_HEAD "          options:\n            1: hangup\n"
              "            \"1\": operator\n",
     16, "duplicate option key '1' in 'options' (first on line 15)"},
    {"bad key", MENU("options: {\"12\": hangup}"), 9,
     "bad option key '12' in 'options': use one digit 0-9, \"*\" or \"#\""},
    {"letter key", MENU("options: {a: hangup}"), 9, "bad option key 'a'"},
    {"option without target", IVR_HEAD "          options:\n            \"5\":\n", 15,
     "missing target for 'option 5'"},
    {"options a list", MENU("options: [hangup]"), 9, "expected a mapping of keys to targets"},
    /* menus */
    {"duplicate menu",
     BASE TENANT "    ivr:\n      entry: main\n      menus:\n        - {name: main, prompt: p}\n"
                 "        - {name: main, prompt: q}\n",
     13, "duplicate menu 'main' in tenant 'demo' (first defined on line 12)"},
    {"entry unknown", BASE TENANT "    ivr: {entry: start, menus: [{name: main, prompt: p}]}\n", 9,
     "ivr entry 'start' of tenant 'demo' is not one of its menus"},
    {"no menus", BASE TENANT "    ivr: {entry: main}\n", 9, "missing required key 'menus' in ivr"},
    {"no prompt", BASE TENANT "    ivr: {entry: main, menus: [{name: main}]}\n", 9,
     "missing required key 'prompt' in menu 'main'"},
    {"retries 10", MENU("retries: 10"), 9, "'retries' must be between 0 and 9 (got 10)"},
    {"timeout 0", MENU("timeout: 0"), 9, "'timeout' must be between 0.1 and 300 seconds"},
    {"hidden prompt", MENU("invalid_prompt: .secret"), 9,
     "bad prompt name '.secret' for 'invalid_prompt'"},
    {"prompt path", MENU("invalid_prompt: ../x"), 9, "bad prompt name '../x' for 'invalid_prompt'"},
    {"prompt slash", MENU("invalid_prompt: a/b"), 9, "bad prompt name 'a/b'"},
    {"unknown menu key", MENU("prompts: p2"), 9, "unknown key 'prompts' in menu 'main'"},
    {"unknown ivr key", BASE TENANT "    ivr: {entry: m, menus: [], entries: 1}\n", 9,
     "unknown key 'entries' in ivr"},
    /* scripts */
    {"unknown mode", SCRIPT("when: {modes: [open, evening]}, then: hangup"), 9,
     "unknown mode 'evening' in 'modes' (known: open, lunch, after-hours, holiday, override)"},
    {"unknown reason", SCRIPT("when: {reasons: [busy]}, then: hangup"), 9,
     "unknown forwarding reason 'busy' in 'reasons' (known: none, unconditional, user-busy,"},
    {"empty modes", SCRIPT("when: {modes: []}, then: hangup"), 9,
     "'modes' must list at least one mode (leave the key out for any)"},
    {"no then", SCRIPT("greeting: hello"), 9, "missing required key 'then' in scripts entry 1"},
    {"then repeat", SCRIPT("then: repeat"), 9, "target 'repeat' is not allowed for 'then'"},
    {"then unknown menu", SCRIPT("then: \"menu:main\""), 9,
     "script 1 of tenant 'demo' goes to 'menu:main', but the tenant has no menu 'main'"},
    {"then unknown queue", SCRIPT("then: \"queue:sale\""), 9,
     "script 1 of tenant 'demo' names unknown queue 'sale'"},
    {"unknown when key", SCRIPT("when: {mode: [open]}, then: hangup"), 9,
     "unknown key 'mode' in when"},
    /* queues of the tenant */
    {"operator queue unknown", BASE TENANT "    operator_queue: ops\n", 9,
     "operator_queue of tenant 'demo' names unknown queue 'ops'"},
    {"operator queue of acme", BASE TENANT "    operator_queue: other\n", 9,
     "operator_queue of tenant 'demo' names queue 'other', which belongs to tenant 'acme'"},
    {"vm queue unknown", BASE TENANT "    voicemail: {queue: nope}\n", 9,
     "voicemail queue of tenant 'demo' names unknown queue 'nope'"},
    /* voicemail */
    {"vm max_length", BASE TENANT "    voicemail: {max_length: 4}\n", 9,
     "'max_length' must be between 5 and 600 seconds (got 4)"},
    {"vm promise", BASE TENANT "    voicemail: {promise: 4h}\n", 9,
     "expected a number for 'promise' (got '4h')"},
    {"vm key", BASE TENANT "    voicemail: {dir: /x, path: /y}\n", 9,
     "unknown key 'path' in voicemail"},
    /* VIPs */
    {"bad vip", BASE TENANT "    vip: [\"+34 600\"]\n", 9, "bad VIP number '+34 600'"},
    {"vip_priority", BASE TENANT "    vip_priority: 101\n", 9,
     "'vip_priority' must be between 0 and 100 (got 101)"},
    {"abandon_window", BASE TENANT "    abandon_window: -1\n", 9,
     "'abandon_window' must be between 0 and 86400 seconds"},
    /* on call */
    {"on_call trunk missing", BASE TENANT "    on_call: {calendar: []}\n", 9,
     "missing required key 'trunk' in on_call"},
    {"on_call bad trunk",
     BASE TENANT "    on_call: {trunk: \"sip:oncall.example\", calendar: []}\n", 9,
     "'trunk' must be a SIP URI of the carrier's trunk"},
    {"calendar missing", BASE TENANT "    on_call: {trunk: \"sip:198.18.0.1\"}\n", 9,
     "missing required key 'calendar' in on_call"},
    {"chain empty", ONCALL("calendar: [{days: mon, start: \"00:00\", end: \"24:00\", chain: []}]"),
     9, "'chain' must list at least one number to call"},
    {"chain bad number",
     ONCALL("calendar: [{days: mon, start: \"00:00\", end: \"24:00\", "
            "chain: [\"call me\"]}]"),
     9, "bad on-call number 'call me'"},
    {"calendar backwards",
     ONCALL("calendar: [{days: mon, start: \"20:00\", end: \"08:00\", "
            "chain: [\"1\"]}]"),
     9, "'end' 08:00 must be later than 'start' 20:00 (calendar entry 1 of tenant 'demo')"},
    {"on_call ring", ONCALL("ring_timeout: 301, calendar: []"), 9,
     "'ring_timeout' must be between 0.1 and 300 seconds"},
    /* instructions */
    {"instructions too long", BASE TENANT "    instructions: \"" TEXT_256 "\"\n", 9,
     "'instructions' must be at most 255 bytes of UTF-8 text (got 256)"},
    {"instructions control", BASE TENANT "    instructions: \"ring \\x07 twice\"\n", 9,
     "'instructions' holds a control character (byte 6)"},
    {"instructions empty", BASE TENANT "    instructions: ''\n", 9,
     "'instructions' must not be empty"},
    {"instructions a list", BASE TENANT "    instructions: [a]\n", 9,
     "expected a text for 'instructions'"},
};

static void test_error_cases(void **state)
{
    (void)state;
    cfg_expect_errors(err_cases, sizeof(err_cases) / sizeof(err_cases[0]));
}

/* The longest instructions, in multi-byte characters, are kept whole. */
static void test_instructions_limit(void **state)
{
    (void)state;
    char yaml[1024], text[256];
    size_t n = 0;
    while (n + 2 <= 254) {
        memcpy(text + n, "\xc3\xb1", 2); /* ñ */
        n += 2;
    }
    text[n++] = 'x';
    text[n] = '\0';
    assert_int_equal(strlen(text), 255);
    snprintf(yaml, sizeof(yaml), "%s%s    instructions: \"%s\"\n", BASE, TENANT, text);
    acd_config_t *cfg = cfg_load_ok(yaml);
    assert_string_equal(cfg->tenants[1].instructions, text);
    acd_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_tenant), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_tzdir),       cmocka_unit_test(test_merge),
        cmocka_unit_test(test_error_cases), cmocka_unit_test(test_instructions_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
