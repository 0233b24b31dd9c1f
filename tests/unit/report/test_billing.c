/* test_billing.c - billing: 6-second increments per call (never whole minutes), what counts
 * as handle time, which calls are billed, the tenant's local dates (DST included), bad
 * lines, a call in two files, and the CSV and JSON reports. */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/billing.h"
#include "report/cdr.h"

/* ---- increments ---- */

static void test_increments(void **state)
{
    (void)state;
    /* Seconds of handle time -> seconds billed. */
    static const struct {
        int64_t handle_s, billed_s;
    } cases[] = {
        {0, 0},   {1, 6},   {5, 6},   {6, 6},     {7, 12},    {12, 12},     {13, 18},
        {59, 60}, {60, 60}, {61, 66}, {119, 120}, {121, 126}, {3600, 3600}, {3601, 3606},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t inc = acd_billing_increments(cases[i].handle_s * 1000);
        if (inc * 6 != cases[i].billed_s)
            fail_msg("%lld s handle: billed %lld s, want %lld s", (long long)cases[i].handle_s,
                     (long long)(inc * 6), (long long)cases[i].billed_s);
    }
    /* Milliseconds count: any part of an increment bills the whole increment. */
    assert_int_equal(acd_billing_increments(1), 1);
    assert_int_equal(acd_billing_increments(5999), 1);
    assert_int_equal(acd_billing_increments(6000), 1);
    assert_int_equal(acd_billing_increments(6001), 2);
    assert_int_equal(acd_billing_increments(-5), 0);
    /* Never whole minutes: a 1 s call is not a minute, a 61 s call not two. */
    assert_int_not_equal(acd_billing_increments(1000) * 6, 60);
    assert_int_not_equal(acd_billing_increments(61000) * 6, 120);
}

/* ---- building CDR lines with the real writer ---- */

#define T0 1795352666000 /* 2026-11-22T13:04:26Z */

typedef struct line_spec {
    const char *id, *tenant, *agent;
    int64_t answer_ms; /* 0: never answered */
    int64_t talk_ms, wrapup_ms;
    acd_disposition_t disp;
    const char *delivery;
    const char *site;
} line_spec_t;

/* The JSON line acdd writes for spec (no newline), in buf. */
static void cdr_line(acd_buf_t *buf, const line_spec_t *s)
{
    acd_cdr_t c = {.disposition = s->disp ? s->disp : ACD_DISP_ANSWERED, .offers = 1};
    snprintf(c.call_id, sizeof(c.call_id), "%s", s->id);
    snprintf(c.tenant, sizeof(c.tenant), "%s", s->tenant ? s->tenant : "acme");
    snprintf(c.did, sizeof(c.did), "1000");
    snprintf(c.caller, sizeof(c.caller), "+34600");
    snprintf(c.queue, sizeof(c.queue), "main");
    snprintf(c.agent, sizeof(c.agent), "%s", s->agent ? s->agent : "");
    snprintf(c.delivery, sizeof(c.delivery), "%s", s->delivery ? s->delivery : "");
    c.answer_ms = s->answer_ms;
    c.enqueue_ms = (s->answer_ms ? s->answer_ms : T0) - 4000;
    c.wait_ms = 4000;
    c.talk_ms = s->talk_ms;
    c.wrapup_ms = s->wrapup_ms;
    c.end_ms = (s->answer_ms ? s->answer_ms : T0) + s->talk_ms;
    acd_buf_reset(buf);
    assert_int_equal(acd_cdr_format_json(buf, &c, s->site ? s->site : "a"), 0);
}

static void add(acd_billing_t *b, const line_spec_t *s)
{
    acd_buf_t buf = {0};
    cdr_line(&buf, s);
    assert_int_equal(acd_billing_add_line(b, buf.p, buf.n), 0);
    acd_buf_fini(&buf);
}

static void start(acd_billing_t *b, const char *tz, const char *from, const char *to)
{
    char err[160];
    int rc = acd_billing_init(b, "acme", tz, from, to, err, sizeof(err));
    if (rc != 0)
        fail_msg("init: %s", err);
}

static const acd_billing_call_t *find(const acd_billing_t *b, const char *id)
{
    for (size_t i = 0; i < b->n_calls; i++)
        if (!strcmp(b->calls[i].call_id, id))
            return &b->calls[i];
    return NULL;
}

/* ---- which calls, what time ---- */

static void test_what_is_billed(void **state)
{
    (void)state;
    acd_billing_t b;
    start(&b, "UTC", "2026-11-22", "2026-11-22");
    const line_spec_t lines[] = {
        {.id = "a-1", .agent = "2001", .answer_ms = T0, .talk_ms = 61000}, /* 66 s */
        {.id = "a-2",
         .agent = "2002",
         .answer_ms = T0 + 1,
         .talk_ms = 55000,
         .wrapup_ms = 10000},                                              /* 65 s handle: 66 s */
        {.id = "a-3", .agent = "2001", .answer_ms = T0 + 2, .talk_ms = 0}, /* 0 s */
        {.id = "a-4",
         .agent = "2003",
         .answer_ms = T0 + 3,
         .talk_ms = 1,
         .delivery = "callback"}, /* our callback: 6 s */
        {.id = "a-5",
         .agent = "2003",
         .answer_ms = T0 + 4,
         .talk_ms = 3000,
         .disp = ACD_DISP_FAILED},                 /* failed after the agent answered */
        {.id = "a-6", .disp = ACD_DISP_ABANDONED}, /* no agent */
        {.id = "a-7", .disp = ACD_DISP_VOICEMAIL}, /* no agent */
        {.id = "a-8", .agent = "oncall:+34699", .answer_ms = T0 + 5, .talk_ms = 90000},
        {.id = "a-9", .tenant = "other", .agent = "2001", .answer_ms = T0, .talk_ms = 9000},
        {.id = "b-1",
         .agent = "2001",
         .answer_ms = T0 + 6,
         .talk_ms = 7000,
         .site = "b",
         .delivery = "outbound"}, /* 12 s */
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        add(&b, &lines[i]);
    assert_int_equal(acd_billing_finish(&b), 0);

    static const struct {
        const char *id;
        int64_t handle_ms, increments;
    } want[] = {
        {"a-1", 61000, 11}, {"a-2", 65000, 11}, {"a-3", 0, 0},
        {"a-4", 1, 1},      {"a-5", 3000, 1},   {"b-1", 7000, 2},
    };
    assert_int_equal(b.n_calls, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const acd_billing_call_t *c = &b.calls[i]; /* in answer order */
        assert_string_equal(c->call_id, want[i].id);
        assert_int_equal(c->handle_ms, want[i].handle_ms);
        assert_int_equal(c->increments, want[i].increments);
    }
    assert_int_equal(find(&b, "a-2")->talk_ms, 55000);
    assert_int_equal(find(&b, "a-2")->wrapup_ms, 10000);
    assert_string_equal(find(&b, "b-1")->site, "b");
    assert_string_equal(find(&b, "b-1")->agent, "2001");
    assert_int_equal(b.increments, 26);
    assert_int_equal(b.handle_ms, 61000 + 65000 + 0 + 1 + 3000 + 7000);
    assert_int_equal(b.talk_ms, b.handle_ms - 10000);
    assert_int_equal(b.wrapup_ms, 10000);
    acd_billing_fini(&b);
}

/* Lines written before wrapup_s existed bill talk time; handle_s wins when present. */
static void test_older_lines(void **state)
{
    (void)state;
    acd_billing_t b;
    start(&b, "", "2026-11-22", "2026-11-22");
    static const char *const lines[] = {
        "{\"call_id\":\"o-1\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352666000,"
        "\"talk_s\":12.001}",
        "{\"call_id\":\"o-2\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352667000,"
        "\"talk_s\":1.000,\"wrapup_s\":5.000}",
        "{\"call_id\":\"o-3\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352668000,"
        "\"talk_s\":1,\"wrapup_s\":5,\"handle_s\":6.5}",
        "  {\"call_id\":\"o-4\",\"tenant\":\"acme\",\"agent\":null,\"answer_ms\":null}\r",
        "",
        "   ",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(acd_billing_add_line(&b, lines[i], strlen(lines[i])), 0);
    assert_int_equal(acd_billing_finish(&b), 0);
    assert_int_equal(b.n_calls, 3);
    assert_int_equal(find(&b, "o-1")->handle_ms, 12001);
    assert_int_equal(find(&b, "o-1")->increments, 3);
    assert_int_equal(find(&b, "o-2")->handle_ms, 6000);
    assert_int_equal(find(&b, "o-2")->increments, 1);
    assert_int_equal(find(&b, "o-3")->handle_ms, 6500);
    assert_int_equal(find(&b, "o-3")->increments, 2);
    assert_string_equal(find(&b, "o-1")->time, "13:04:26+00:00");
    acd_billing_fini(&b);
}

/* ---- dates in the tenant's zone ---- */

/* Ids of b's billed calls, comma-separated, in answer order. */
static const char *ids(const acd_billing_t *b)
{
    static char s[512];
    s[0] = '\0';
    for (size_t i = 0; i < b->n_calls; i++) {
        size_t n = strlen(s);
        snprintf(s + n, sizeof(s) - n, "%s%s", i ? "," : "", b->calls[i].call_id);
    }
    return s;
}

/* Bills the calls answered at the given UTC instants (ids d-0, d-1 ...). */
static void bill_at(acd_billing_t *b, const char *tz, const char *from, const char *to,
                    const int64_t *at, size_t n)
{
    start(b, tz, from, to);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "d-%zu", i);
        line_spec_t s = {.id = id, .agent = "2001", .answer_ms = at[i], .talk_ms = 30000};
        add(b, &s);
    }
    assert_int_equal(acd_billing_finish(b), 0);
}

static void test_dates_local(void **state)
{
    (void)state;
    /* Madrid is UTC+1 in November. */
    const int64_t at[] = {
        1793485800000, /* d-0 2026-10-31T22:30Z = 23:30 local 10-31: before the month */
        1793489400000, /* d-1 2026-10-31T23:30Z = 00:30 local 11-01: the first call */
        1796077800000, /* d-2 2026-11-30T22:30Z = 23:30 local 11-30: the last call */
        1796081400000, /* d-3 2026-11-30T23:30Z = 00:30 local 12-01: after it */
    };
    acd_billing_t b;
    bill_at(&b, "Europe/Madrid", "2026-11-01", "2026-11-30", at, 4);
    assert_string_equal(ids(&b), "d-1,d-2");
    assert_string_equal(b.calls[0].date, "2026-11-01");
    assert_string_equal(b.calls[0].time, "00:30:00+01:00");
    assert_string_equal(b.calls[1].date, "2026-11-30");
    assert_string_equal(b.calls[1].time, "23:30:00+01:00");
    acd_billing_fini(&b);

    /* The same calls by UTC dates: the other two. */
    bill_at(&b, "UTC", "2026-11-01", "2026-11-30", at, 4);
    assert_string_equal(ids(&b), "d-2,d-3");
    acd_billing_fini(&b);

    /* West of UTC: New York (UTC-5) puts d-3 on 11-30 and d-0, d-1 on 10-31. */
    bill_at(&b, "America/New_York", "2026-11-30", "2026-11-30", at, 4);
    assert_string_equal(ids(&b), "d-2,d-3");
    assert_string_equal(b.calls[1].time, "18:30:00-05:00");
    acd_billing_fini(&b);
    bill_at(&b, "America/New_York", "2026-10-31", "2026-10-31", at, 4);
    assert_string_equal(ids(&b), "d-0,d-1");
    assert_string_equal(b.calls[0].time, "18:30:00-04:00"); /* still summer time */
    acd_billing_fini(&b);
}

/* A DST day in Madrid (2026-03-29) has 23 hours; both ends are the local midnights. */
static void test_dates_dst(void **state)
{
    (void)state;
    const int64_t at[] = {
        1774736999000, /* d-0 2026-03-28T22:29:59Z = 23:29:59 CET 03-28 */
        1774740600000, /* d-1 2026-03-28T23:30:00Z = 00:30 CET 03-29 */
        1774749600000, /* d-2 2026-03-29T02:00:00Z = 04:00 CEST 03-29 (after the jump) */
        1774821599000, /* d-3 2026-03-29T21:59:59Z = 23:59:59 CEST 03-29 */
        1774821600000, /* d-4 2026-03-29T22:00:00Z = 00:00 CEST 03-30 */
    };
    acd_billing_t b;
    bill_at(&b, "Europe/Madrid", "2026-03-29", "2026-03-29", at, 5);
    assert_string_equal(ids(&b), "d-1,d-2,d-3");
    assert_string_equal(b.calls[0].time, "00:30:00+01:00");
    assert_string_equal(b.calls[1].time, "04:00:00+02:00");
    assert_string_equal(b.calls[2].time, "23:59:59+02:00");
    acd_billing_fini(&b);
    bill_at(&b, "Europe/Madrid", "2026-03-30", "2026-03-30", at, 5);
    assert_string_equal(ids(&b), "d-4");
    assert_string_equal(b.calls[0].time, "00:00:00+02:00");
    acd_billing_fini(&b);
}

/* Calls answered long before or after the dates never enter the report. */
static void test_dates_far(void **state)
{
    (void)state;
    const int64_t at[] = {T0 - 40LL * 86400000, T0, T0 + 40LL * 86400000};
    acd_billing_t b;
    bill_at(&b, "Pacific/Kiritimati", "2026-11-23", "2026-11-23", at, 3); /* UTC+14 */
    assert_string_equal(ids(&b), "d-1");
    assert_string_equal(b.calls[0].date, "2026-11-23");
    assert_string_equal(b.calls[0].time, "03:04:26+14:00");
    acd_billing_fini(&b);
}

static void test_bad_query(void **state)
{
    (void)state;
    static const struct {
        const char *tenant, *tz, *from, *to, *says;
    } cases[] = {
        {"", "UTC", "2026-11-01", "2026-11-30", "tenant"},
        {NULL, "UTC", "2026-11-01", "2026-11-30", "tenant"},
        {"acme", "Mars/Olympus", "2026-11-01", "2026-11-30", "time zone"},
        {"acme", "Europe", "2026-11-01", "2026-11-30", "time zone"},
        {"acme", "../etc/passwd", "2026-11-01", "2026-11-30", "time zone"},
        {"acme", "UTC", "2026-11-1", "2026-11-30", "--from"},
        {"acme", "UTC", "2026-02-29", "2026-03-01", "--from"}, /* not a leap year */
        {"acme", "UTC", "2026-13-01", "2026-12-01", "--from"},
        {"acme", "UTC", "2026-11-01", "2026-11-31", "--to"},
        {"acme", "UTC", "2026-11-01", "20261130", "--to"},
        {"acme", "UTC", "2026-11-01", NULL, "--to"},
        {"acme", "UTC", "2026-11-30", "2026-11-01", "before"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        acd_billing_t b;
        char err[160] = "";
        int rc = acd_billing_init(&b, cases[i].tenant, cases[i].tz, cases[i].from, cases[i].to, err,
                                  sizeof(err));
        if (rc != -EINVAL || !strstr(err, cases[i].says))
            fail_msg("case %zu: rc %d, error '%s' (want -EINVAL naming %s)", i, rc, err,
                     cases[i].says);
        acd_billing_fini(&b);
    }
    acd_billing_t b;
    char err[160];
    assert_int_equal(
        acd_billing_init(&b, "acme", "UTC", "2028-02-29", "2028-02-29", err, sizeof(err)),
        0);                                                          /* a leap day */
    assert_int_equal(acd_billing_csv(&b, &(acd_buf_t){0}), -EINVAL); /* not finished */
    assert_int_equal(acd_billing_finish(&b), 0);
    assert_int_equal(acd_billing_finish(&b), -EINVAL); /* once */
    acd_billing_fini(&b);
}

/* ---- bad lines, files ---- */

static void test_bad_lines(void **state)
{
    (void)state;
    acd_buf_t good = {0};
    line_spec_t s = {.id = "g-1", .agent = "2001", .answer_ms = T0, .talk_ms = 7000};
    cdr_line(&good, &s);
    acd_buf_t text = {0};
    static const char *const bad[] = {
        "not json at all",
        "[1,2,3]",
        "{\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352666000,\"talk_s\":3}",
        "{\"call_id\":\"x\",\"tenant\":7}",
        "{\"call_id\":\"\",\"tenant\":\"acme\"}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":\"soon\"}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":2001,\"answer_ms\":1795352666000}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352666000,"
        "\"talk_s\":\"12\"}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352666000}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":1795352666000,"
        "\"talk_s\":-4}",
        "{\"call_id\":\"x\",\"tenant\":\"acme\"} trailing",
        "{\"call_id\":\"x\",\"tenant\":\"acme\",\"agent\":\"2001\",\"answer_ms\":17953526", /* cut
                                                                                             */
        "site,call_id,tenant,did,caller", /* a CSV CDR file given by mistake */
    };
    /* line 1 good, 2..14 bad, 15 good again (another call), 16 empty */
    assert_int_equal(acd_buf_printf(&text, "%s\n", good.p), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(acd_buf_printf(&text, "%s\n", bad[i]), 0);
    s.id = "g-2";
    cdr_line(&good, &s);
    assert_int_equal(acd_buf_printf(&text, "%s\n\n", good.p), 0);

    acd_billing_t b;
    start(&b, "UTC", "2026-11-22", "2026-11-22");
    FILE *f = fmemopen(text.p, text.n, "r");
    assert_non_null(f);
    acd_billing_input_t in;
    assert_int_equal(acd_billing_read(&b, f, &in), 0);
    fclose(f);
    assert_int_equal(in.lines, 16);
    assert_int_equal(in.bad, sizeof(bad) / sizeof(bad[0]));
    assert_int_equal(in.first_bad, 2);
    assert_int_equal(acd_billing_finish(&b), 0);
    assert_string_equal(ids(&b), "g-1,g-2");
    assert_int_equal(b.increments, 4);
    acd_billing_fini(&b);
    acd_buf_fini(&good);
    acd_buf_fini(&text);
}

/* A call whose CDR is in two files (a site's in-doubt file and its sister's) bills once;
 * the record read first is the one kept. */
static void test_duplicates(void **state)
{
    (void)state;
    acd_billing_t b;
    start(&b, "UTC", "2026-11-22", "2026-11-22");
    line_spec_t first = {
        .id = "a-7", .agent = "2001", .answer_ms = T0, .talk_ms = 7000, .site = "b"};
    line_spec_t again = first;
    again.site = "a";
    again.talk_ms = 30000;
    line_spec_t other = {.id = "a-8", .agent = "2001", .answer_ms = T0 + 1, .talk_ms = 1000};
    add(&b, &first);
    add(&b, &other);
    add(&b, &again);
    add(&b, &again);
    assert_int_equal(acd_billing_finish(&b), 0);
    assert_string_equal(ids(&b), "a-7,a-8");
    assert_int_equal(b.duplicates, 2);
    assert_string_equal(find(&b, "a-7")->site, "b");
    assert_int_equal(find(&b, "a-7")->handle_ms, 7000);
    assert_int_equal(b.increments, 3);
    acd_billing_fini(&b);
}

/* ---- the reports ---- */

static void test_csv(void **state)
{
    (void)state;
    acd_billing_t b;
    start(&b, "Europe/Madrid", "2026-11-22", "2026-11-22");
    line_spec_t a = {.id = "a-1", .agent = "2001", .answer_ms = T0, .talk_ms = 61000};
    line_spec_t c = {.id = "a,\"2\"",
                     .agent = "2002",
                     .answer_ms = T0 + 60000,
                     .talk_ms = 55250,
                     .wrapup_ms = 10000,
                     .site = "b"};
    add(&b, &a);
    add(&b, &c);
    assert_int_equal(acd_billing_finish(&b), 0);
    acd_buf_t out = {0};
    assert_int_equal(acd_billing_csv(&b, &out), 0);
    assert_string_equal(
        out.p,
        "tenant,date,time,call_id,site,queue,agent,calls,talk_s,wrapup_s,handle_s,increments,"
        "billed_s,billed_min\r\n"
        "acme,2026-11-22,14:04:26+01:00,a-1,a,main,2001,1,61.000,0.000,61.000,11,66,1.1\r\n"
        "acme,2026-11-22,14:05:26+01:00,\"a,\"\"2\"\"\",b,main,2002,1,55.250,10.000,65.250,11,66,"
        "1.1\r\n"
        "acme,2026-11-22/2026-11-22,,TOTAL,,,,2,116.250,10.000,126.250,22,132,2.2\r\n");
    acd_buf_fini(&out);
    acd_billing_fini(&b);

    /* No calls: the header and a zero total. */
    start(&b, "UTC", "2026-11-01", "2026-11-30");
    assert_int_equal(acd_billing_finish(&b), 0);
    assert_int_equal(acd_billing_csv(&b, &out), 0);
    assert_non_null(strstr(out.p, "\r\nacme,2026-11-01/2026-11-30,,TOTAL,,,,0,0.000,0.000,0.000,"
                                  "0,0,0.0\r\n"));
    acd_buf_fini(&out);
    acd_billing_fini(&b);
}

static int64_t jint(json_object *o, const char *key)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    assert_true(json_object_is_type(v, json_type_int));
    return json_object_get_int64(v);
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    assert_true(json_object_is_type(v, json_type_string));
    return json_object_get_string(v);
}

static void test_json(void **state)
{
    (void)state;
    acd_billing_t b;
    start(&b, "Europe/Madrid", "2026-11-22", "2026-11-22");
    line_spec_t a = {.id = "a-1", .agent = "2001", .answer_ms = T0, .talk_ms = 61000};
    line_spec_t d = {.id = "a-2", .agent = "2001", .answer_ms = T0 + 1, .talk_ms = 1};
    add(&b, &a);
    add(&b, &d);
    add(&b, &d);
    assert_int_equal(acd_billing_finish(&b), 0);
    acd_buf_t out = {0};
    assert_int_equal(acd_billing_json(&b, &out), 0);
    json_object *o = json_tokener_parse(out.p);
    assert_non_null(o);
    assert_string_equal(jstr(o, "tenant"), "acme");
    assert_string_equal(jstr(o, "from"), "2026-11-22");
    assert_string_equal(jstr(o, "timezone"), "Europe/Madrid");
    assert_int_equal(jint(o, "increment_s"), 6);
    assert_int_equal(jint(o, "duplicates"), 1);
    json_object *calls = NULL, *total = NULL;
    assert_true(json_object_object_get_ex(o, "calls", &calls));
    assert_int_equal(json_object_array_length(calls), 2);
    json_object *c0 = json_object_array_get_idx(calls, 0);
    assert_string_equal(jstr(c0, "call_id"), "a-1");
    assert_string_equal(jstr(c0, "time"), "14:04:26+01:00");
    assert_int_equal(jint(c0, "billed_s"), 66);
    assert_int_equal(jint(c0, "increments"), 11);
    assert_true(json_object_object_get_ex(o, "total", &total));
    assert_int_equal(jint(total, "calls"), 2);
    assert_int_equal(jint(total, "billed_s"), 72);
    assert_non_null(strstr(out.p, "\"billed_min\":1.2}"));
    assert_non_null(strstr(out.p, "\"handle_s\":61.001,"));
    json_object_put(o);
    acd_buf_fini(&out);
    acd_billing_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_increments),  cmocka_unit_test(test_what_is_billed),
        cmocka_unit_test(test_older_lines), cmocka_unit_test(test_dates_local),
        cmocka_unit_test(test_dates_dst),   cmocka_unit_test(test_dates_far),
        cmocka_unit_test(test_bad_query),   cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_duplicates),  cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
