/* test_schedule.c - answering modes in local time: hours, lunch, holidays, overrides, DST. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acd/schedule.h"

/*
 * Instants are written as UTC ("2026-01-14T09:00Z") and converted here with plain
 * calendar arithmetic, never through the time zone code under test. The local time each
 * one stands for is in the comment of its row: Madrid is UTC+1 (CET) in winter and UTC+2
 * (CEST) from 2026-03-29 01:00Z to 2026-10-25 01:00Z; New York is UTC-5 (EST) and UTC-4
 * (EDT) from 2026-03-08 07:00Z to 2026-11-01 06:00Z.
 */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t utc_ms(const char *iso)
{
    int y, mo, d, h, mi;
    assert_int_equal(sscanf(iso, "%d-%d-%dT%d:%dZ", &y, &mo, &d, &h, &mi), 5);
    return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL;
}

#define HM(h, m) ((h)*60 + (m))
#define SAT 0x20u
#define SUN ACD_SCHED_SUN

/* Madrid office: Mon-Fri 09:00-19:00 with lunch 14:00-15:00, Sat 10:00-13:00, Sun closed. */
static const acd_sched_span_t madrid_hours[] = {
    {ACD_SCHED_WEEKDAYS, HM(9, 0), HM(19, 0)},
    {SAT, HM(10, 0), HM(13, 0)},
};
static const acd_sched_span_t madrid_lunch[] = {{ACD_SCHED_WEEKDAYS, HM(14, 0), HM(15, 0)}};
static const acd_sched_date_t madrid_holidays[] = {{2026, 1, 6}, {2026, 12, 25}};
static const acd_schedule_t madrid = {
    .tz = "Europe/Madrid",
    .hours = madrid_hours,
    .n_hours = 2,
    .lunch = madrid_lunch,
    .n_lunch = 1,
    .holidays = madrid_holidays,
    .n_holidays = 2,
};

/* 08:00-18:00 every day, for the DST edges. */
static const acd_sched_span_t daily_8_18[] = {{ACD_SCHED_ALL_DAYS, HM(8, 0), HM(18, 0)}};
static const acd_schedule_t madrid_daily = {
    .tz = "Europe/Madrid", .hours = daily_8_18, .n_hours = 1};
static const acd_schedule_t ny_daily = {
    .tz = "America/New_York", .hours = daily_8_18, .n_hours = 1};

/* Spans inside the skipped hour (spring) and the repeated hour (autumn) of Madrid. */
static const acd_sched_span_t night_0230_0400[] = {{ACD_SCHED_ALL_DAYS, HM(2, 30), HM(4, 0)}};
static const acd_schedule_t madrid_gap = {
    .tz = "Europe/Madrid", .hours = night_0230_0400, .n_hours = 1};
static const acd_sched_span_t night_0200_0230[] = {{ACD_SCHED_ALL_DAYS, HM(2, 0), HM(2, 30)}};
static const acd_schedule_t madrid_fold = {
    .tz = "Europe/Madrid", .hours = night_0200_0230, .n_hours = 1};

/* UTC (empty zone) Mon-Fri 09:00-17:00, and a 24/7 line. */
static const acd_sched_span_t utc_9_17[] = {{ACD_SCHED_WEEKDAYS, HM(9, 0), HM(17, 0)}};
static const acd_schedule_t utc_office = {.tz = "", .hours = utc_9_17, .n_hours = 1};
static const acd_schedule_t always = {.tz = "Europe/Madrid"};

static const acd_override_t ov_open = {.kind = ACD_OVERRIDE_OPEN};
static const acd_override_t ov_closed_till_11z = {
    .kind = ACD_OVERRIDE_CLOSED, .until_ms = 1768388400000LL /* 2026-01-14T11:00Z */};
static const acd_override_t ov_message = {.kind = ACD_OVERRIDE_MESSAGE,
                                          .message = "In a meeting, back at 3 pm"};
static const acd_override_t ov_none_till = {.kind = ACD_OVERRIDE_NONE, .until_ms = 1768388400000LL};

typedef struct mode_case {
    const char *name;
    const acd_schedule_t *sched;
    const acd_override_t *ov;
    const char *now; /* UTC */
    acd_mode_t mode;
    acd_override_kind_t override;
    bool open;
    const char *next; /* UTC; NULL: now + ACD_SCHED_HORIZON_MS */
    int local_min, local_wday;
} mode_case_t;

#define OPEN ACD_MODE_OPEN, ACD_OVERRIDE_NONE, true
#define LUNCH ACD_MODE_LUNCH, ACD_OVERRIDE_NONE, false
#define AFTER ACD_MODE_AFTER_HOURS, ACD_OVERRIDE_NONE, false
#define HOLIDAY ACD_MODE_HOLIDAY, ACD_OVERRIDE_NONE, false

static const mode_case_t mode_cases[] = {
    /* Wed 2026-01-14 10:00 CET: open until lunch at 14:00 CET. */
    {"weekday open", &madrid, NULL, "2026-01-14T09:00Z", OPEN, "2026-01-14T13:00Z", HM(10, 0), 2},
    /* 14:30 CET: lunch until 15:00 CET. */
    {"weekday lunch", &madrid, NULL, "2026-01-14T13:30Z", LUNCH, "2026-01-14T14:00Z", HM(14, 30),
     2},
    /* 15:00 CET exactly: the lunch interval is half open. */
    {"lunch end", &madrid, NULL, "2026-01-14T14:00Z", OPEN, "2026-01-14T18:00Z", HM(15, 0), 2},
    /* 20:00 CET: after hours until Thu 09:00 CET. */
    {"weekday evening", &madrid, NULL, "2026-01-14T19:00Z", AFTER, "2026-01-15T08:00Z", HM(20, 0),
     2},
    /* 19:00 CET exactly: closed. */
    {"hours end", &madrid, NULL, "2026-01-14T18:00Z", AFTER, "2026-01-15T08:00Z", HM(19, 0), 2},
    /* Fri 19:30 CET: the next opening is Sat 10:00 CET. */
    {"friday night", &madrid, NULL, "2026-01-16T18:30Z", AFTER, "2026-01-17T09:00Z", HM(19, 30), 4},
    /* Sat 11:00 CET: short hours until 13:00 CET. */
    {"saturday open", &madrid, NULL, "2026-01-17T10:00Z", OPEN, "2026-01-17T12:00Z", HM(11, 0), 5},
    /* Sat 13:30 CET: closed through Sunday until Mon 09:00 CET. */
    {"saturday after", &madrid, NULL, "2026-01-17T12:30Z", AFTER, "2026-01-19T08:00Z", HM(13, 30),
     5},
    /* Sun 12:00 CET: closed all day. */
    {"sunday", &madrid, NULL, "2026-01-18T11:00Z", AFTER, "2026-01-19T08:00Z", HM(12, 0), 6},
    /* Mon 2026-01-05 20:00 CET: the next change is the holiday at midnight. */
    {"eve of holiday", &madrid, NULL, "2026-01-05T19:00Z", AFTER, "2026-01-05T23:00Z", HM(20, 0),
     0},
    /* Tue 2026-01-06 11:00 CET (a weekday, normally open): holiday until midnight. */
    {"holiday", &madrid, NULL, "2026-01-06T10:00Z", HOLIDAY, "2026-01-06T23:00Z", HM(11, 0), 1},

    /* Madrid spring forward, Sun 2026-03-29 02:00 CET -> 03:00 CEST at 01:00Z. */
    /* Sat 12:00Z = 13:00 CET: open. */
    {"madrid before spring", &madrid_daily, NULL, "2026-03-28T12:00Z", OPEN, "2026-03-28T17:00Z",
     HM(13, 0), 5},
    /* Sat 18:00 CET: closed until Sun 08:00 CEST = 06:00Z (not 07:00Z). */
    {"madrid across spring", &madrid_daily, NULL, "2026-03-28T17:00Z", AFTER, "2026-03-29T06:00Z",
     HM(18, 0), 5},
    /* Sun 11:00Z = 13:00 CEST: open, closes 18:00 CEST = 16:00Z. */
    {"madrid after spring", &madrid_daily, NULL, "2026-03-29T11:00Z", OPEN, "2026-03-29T16:00Z",
     HM(13, 0), 6},
    /* Sun 01:30 CET: a 02:30 opening does not exist today; it opens at the jump. */
    {"madrid skipped start", &madrid_gap, NULL, "2026-03-29T00:30Z", AFTER, "2026-03-29T01:00Z",
     HM(1, 30), 6},
    /* 03:00 CEST, the first instant after the jump: open until 04:00 CEST. */
    {"madrid after jump", &madrid_gap, NULL, "2026-03-29T01:00Z", OPEN, "2026-03-29T02:00Z",
     HM(3, 0), 6},

    /* Madrid fall back, Sun 2026-10-25 03:00 CEST -> 02:00 CET at 01:00Z. */
    /* Sat 11:00Z = 13:00 CEST: open. */
    {"madrid before autumn", &madrid_daily, NULL, "2026-10-24T11:00Z", OPEN, "2026-10-24T16:00Z",
     HM(13, 0), 5},
    /* Sat 19:00 CEST: closed until Sun 08:00 CET = 07:00Z (not 06:00Z). */
    {"madrid across autumn", &madrid_daily, NULL, "2026-10-24T17:00Z", AFTER, "2026-10-25T07:00Z",
     HM(19, 0), 5},
    /* Mon 12:00Z = 13:00 CET: open, closes 18:00 CET = 17:00Z. */
    {"madrid after autumn", &madrid_daily, NULL, "2026-10-26T12:00Z", OPEN, "2026-10-26T17:00Z",
     HM(13, 0), 0},
    /* The repeated hour: 02:10 CEST open, closes 02:30 CEST = 00:30Z ... */
    {"madrid fold first", &madrid_fold, NULL, "2026-10-25T00:10Z", OPEN, "2026-10-25T00:30Z",
     HM(2, 10), 6},
    /* ... 02:30 CEST closed until the clock falls back to 02:00 CET at 01:00Z ... */
    {"madrid fold gap", &madrid_fold, NULL, "2026-10-25T00:30Z", AFTER, "2026-10-25T01:00Z",
     HM(2, 30), 6},
    /* ... and 02:00 CET is open again until 02:30 CET = 01:30Z. */
    {"madrid fold second", &madrid_fold, NULL, "2026-10-25T01:00Z", OPEN, "2026-10-25T01:30Z",
     HM(2, 0), 6},

    /* New York spring forward, Sun 2026-03-08 02:00 EST -> 03:00 EDT at 07:00Z. */
    /* Sat 12:00Z = 07:00 EST: closed until 08:00 EST = 13:00Z. */
    {"ny before spring", &ny_daily, NULL, "2026-03-07T12:00Z", AFTER, "2026-03-07T13:00Z", HM(7, 0),
     5},
    /* Sat 18:30 EST: closed until Sun 08:00 EDT = 12:00Z (not 13:00Z). */
    {"ny across spring", &ny_daily, NULL, "2026-03-07T23:30Z", AFTER, "2026-03-08T12:00Z",
     HM(18, 30), 5},
    /* Sun 12:30Z = 08:30 EDT: open until 18:00 EDT = 22:00Z. */
    {"ny after spring", &ny_daily, NULL, "2026-03-08T12:30Z", OPEN, "2026-03-08T22:00Z", HM(8, 30),
     6},

    /* New York fall back, Sun 2026-11-01 02:00 EDT -> 01:00 EST at 06:00Z. */
    /* Sat 22:30Z = 18:30 EDT: closed until Sun 08:00 EST = 13:00Z (not 12:00Z). */
    {"ny across autumn", &ny_daily, NULL, "2026-10-31T22:30Z", AFTER, "2026-11-01T13:00Z",
     HM(18, 30), 5},
    /* Sun 12:30Z = 07:30 EST: still closed (it would be 08:30 under EDT). */
    {"ny after autumn", &ny_daily, NULL, "2026-11-01T12:30Z", AFTER, "2026-11-01T13:00Z", HM(7, 30),
     6},

    /* Overrides. Holiday 11:00 CET with a forced open until cleared. */
    {"override open on holiday", &madrid, &ov_open, "2026-01-06T10:00Z", ACD_MODE_OVERRIDE,
     ACD_OVERRIDE_OPEN, true, NULL, HM(11, 0), 1},
    /* Wed 10:00 CET (open hours) closed by hand until 11:00Z. */
    {"override closed", &madrid, &ov_closed_till_11z, "2026-01-14T09:00Z", ACD_MODE_OVERRIDE,
     ACD_OVERRIDE_CLOSED, false, "2026-01-14T11:00Z", HM(10, 0), 2},
    /* At 11:00Z the override has lapsed: the schedule applies again (12:00 CET, open). */
    {"override expired", &madrid, &ov_closed_till_11z, "2026-01-14T11:00Z", OPEN,
     "2026-01-14T13:00Z", HM(12, 0), 2},
    {"override message", &madrid, &ov_message, "2026-01-14T09:00Z", ACD_MODE_OVERRIDE,
     ACD_OVERRIDE_MESSAGE, false, NULL, HM(10, 0), 2},
    {"override kind none", &madrid, &ov_none_till, "2026-01-14T09:00Z", OPEN, "2026-01-14T13:00Z",
     HM(10, 0), 2},

    /* The empty zone is UTC: Wed 09:00Z open until 17:00Z. */
    {"utc default", &utc_office, NULL, "2026-01-14T09:00Z", OPEN, "2026-01-14T17:00Z", HM(9, 0), 2},
    {"utc weekend", &utc_office, NULL, "2026-01-17T09:00Z", AFTER, "2026-01-19T09:00Z", HM(9, 0),
     5},
    /* No hours: open around the clock, nothing changes within the horizon. */
    {"always open", &always, NULL, "2026-01-14T03:00Z", OPEN, NULL, HM(4, 0), 2},
};

static void test_mode_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
        const mode_case_t *c = &mode_cases[i];
        print_message("case %s\n", c->name);
        int64_t now = utc_ms(c->now);
        acd_mode_info_t info;
        memset(&info, 0xa5, sizeof(info));
        assert_int_equal(acd_schedule_mode(c->sched, c->ov, now, &info), 0);
        assert_string_equal(acd_mode_name(info.mode), acd_mode_name(c->mode));
        assert_string_equal(acd_override_kind_name(info.override),
                            acd_override_kind_name(c->override));
        assert_int_equal(info.open, c->open);
        int64_t next = c->next ? utc_ms(c->next) : now + ACD_SCHED_HORIZON_MS;
        assert_int_equal(info.next_change_ms, next);
        assert_int_equal(info.local_min, c->local_min);
        assert_int_equal(info.local_wday, c->local_wday);
    }
}

/* The instant just before each computed change still has the old mode; at it, a new one. */
static void test_next_change_is_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
        const mode_case_t *c = &mode_cases[i];
        if (!c->next || c->ov)
            continue;
        acd_mode_info_t before, at;
        int64_t next = utc_ms(c->next);
        assert_int_equal(acd_schedule_mode(c->sched, NULL, next - 1, &before), 0);
        assert_int_equal(acd_schedule_mode(c->sched, NULL, next, &at), 0);
        assert_int_equal(before.mode, c->mode);
        assert_int_not_equal(at.mode, c->mode);
    }
}

static void test_bad_zone(void **state)
{
    (void)state;
    static const char *const bad[] = {"Mars/Olympus",   "Europe",         "../etc/passwd",
                                      "/etc/localtime", "Europe/Madrid/", "Europe/Ma drid"};
    acd_mode_info_t info = {.local_min = 77};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_schedule_t s = {.n_hours = 0};
        snprintf(s.tz, sizeof(s.tz), "%s", bad[i]);
        assert_int_equal(acd_schedule_tz_valid(bad[i]), -EINVAL);
        assert_int_equal(acd_schedule_mode(&s, NULL, 0, &info), -EINVAL);
        assert_int_equal(info.local_min, 77); /* untouched on failure */
    }
    assert_int_equal(acd_schedule_tz_valid("Europe/Madrid"), 0);
    assert_int_equal(acd_schedule_tz_valid("America/New_York"), 0);
    assert_int_equal(acd_schedule_tz_valid(""), 0);
    assert_int_equal(acd_schedule_tz_valid(NULL), -EINVAL);
    assert_int_equal(acd_schedule_mode(NULL, NULL, 0, &info), -EINVAL);
    assert_int_equal(acd_schedule_mode(&madrid, NULL, 0, NULL), -EINVAL);
}

/* The caller's TZ is put back exactly, set or unset. */
static void test_tz_restored(void **state)
{
    (void)state;
    acd_mode_info_t info;
    int64_t now = utc_ms("2026-01-14T09:00Z");
    assert_int_equal(setenv("TZ", "America/Chicago", 1), 0);
    assert_int_equal(acd_schedule_mode(&madrid, NULL, now, &info), 0);
    assert_string_equal(getenv("TZ"), "America/Chicago");
    assert_int_equal(acd_schedule_mode(&ny_daily, NULL, now, &info), 0);
    assert_int_equal(info.local_min, HM(4, 0)); /* 09:00Z = 04:00 EST */
    assert_string_equal(getenv("TZ"), "America/Chicago");
    assert_int_equal(unsetenv("TZ"), 0);
    assert_int_equal(acd_schedule_mode(&madrid, NULL, now, &info), 0);
    assert_null(getenv("TZ"));
    /* A TZ that already names the zone is left as it is and still used. */
    assert_int_equal(setenv("TZ", ":Europe/Madrid", 1), 0);
    assert_int_equal(acd_schedule_mode(&madrid, NULL, now, &info), 0);
    assert_int_equal(info.local_min, HM(10, 0));
    assert_string_equal(getenv("TZ"), ":Europe/Madrid");
    assert_int_equal(unsetenv("TZ"), 0);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const modes[] = {"open", "lunch", "after-hours", "holiday", "override"};
    for (int i = 0; i < 5; i++) {
        acd_mode_t m;
        assert_string_equal(acd_mode_name((acd_mode_t)i), modes[i]);
        assert_int_equal(acd_mode_parse(modes[i], &m), 0);
        assert_int_equal(m, i);
    }
    static const char *const kinds[] = {"none", "open", "closed", "message"};
    for (int i = 0; i < 4; i++) {
        acd_override_kind_t k;
        assert_string_equal(acd_override_kind_name((acd_override_kind_t)i), kinds[i]);
        assert_int_equal(acd_override_kind_parse(kinds[i], &k), 0);
        assert_int_equal(k, i);
    }
    acd_mode_t m;
    acd_override_kind_t k;
    assert_int_equal(acd_mode_parse("Open", &m), -EINVAL);
    assert_int_equal(acd_mode_parse(NULL, &m), -EINVAL);
    assert_int_equal(acd_override_kind_parse("forced", &k), -EINVAL);
    assert_string_equal(acd_mode_name((acd_mode_t)99), "?");
}

typedef struct text_case {
    const char *text;
    int rc, value;
} text_case_t;

static void test_parsers(void **state)
{
    (void)state;
    static const text_case_t hhmm[] = {
        {"09:00", 0, 540},    {"9:30", 0, 570},       {"00:00", 0, 0},       {"24:00", 0, 1440},
        {"23:59", 0, 1439},   {"24:01", -EINVAL, 0},  {"12:60", -EINVAL, 0}, {"1200", -EINVAL, 0},
        {"12:0", -EINVAL, 0}, {"12:00x", -EINVAL, 0}, {"", -EINVAL, 0},      {"ab:cd", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(hhmm) / sizeof(hhmm[0]); i++) {
        int v = -1;
        print_message("hhmm %s\n", hhmm[i].text);
        assert_int_equal(acd_sched_hhmm_parse(hhmm[i].text, &v), hhmm[i].rc);
        if (hhmm[i].rc == 0)
            assert_int_equal(v, hhmm[i].value);
    }
    static const text_case_t days[] = {
        {"mon", 0, 0x01},
        {"SUN", 0, 0x40},
        {"mon-fri", 0, 0x1f},
        {"mon-fri,sat", 0, 0x3f},
        {"fri-mon", 0, 0x71},
        {"tue, thu", 0, 0x0a},
        {"saturday,sunday", 0, 0x60},
        {"", -EINVAL, 0},
        {"mon,", -EINVAL, 0},
        {"mo", -EINVAL, 0},
        {"mon-", -EINVAL, 0},
        {"monx", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        uint8_t v = 0;
        print_message("days %s\n", days[i].text);
        assert_int_equal(acd_sched_days_parse(days[i].text, &v), days[i].rc);
        if (days[i].rc == 0)
            assert_int_equal(v, days[i].value);
    }
    int wday;
    assert_int_equal(acd_sched_day_parse("Wed", &wday), 0);
    assert_int_equal(wday, 2);
    assert_int_equal(acd_sched_day_parse("wednesday", &wday), 0);
    assert_int_equal(wday, 2);
    assert_int_equal(acd_sched_day_parse("wedn", &wday), -EINVAL);

    acd_sched_date_t d;
    assert_int_equal(acd_sched_date_parse("2026-12-25", &d), 0);
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.month, 12);
    assert_int_equal(d.day, 25);
    assert_int_equal(acd_sched_date_parse("2028-02-29", &d), 0);
    static const char *const bad_dates[] = {"2026-02-29", "2100-02-29", "2026-13-01",
                                            "2026-04-31", "2026-1-01",  "2026-01-01x",
                                            "20260101",   "2026-00-10"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
        assert_int_equal(acd_sched_date_parse(bad_dates[i], &d), -EINVAL);
}

static void test_check(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(acd_schedule_check(&madrid, err, sizeof(err)), 0);
    assert_int_equal(acd_schedule_check(&utc_office, err, sizeof(err)), 0);

    acd_sched_span_t bad_span[] = {{ACD_SCHED_WEEKDAYS, HM(18, 0), HM(9, 0)}};
    acd_schedule_t s = {.tz = "Europe/Madrid", .hours = bad_span, .n_hours = 1};
    assert_int_equal(acd_schedule_check(&s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "hours[0]: 1080-540 is not a span within one day");

    acd_sched_span_t no_days[] = {{0, HM(9, 0), HM(18, 0)}};
    s = (acd_schedule_t){.tz = "", .lunch = no_days, .n_lunch = 1};
    assert_int_equal(acd_schedule_check(&s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "lunch[0]: no valid weekdays");

    acd_sched_date_t bad_day[] = {{2026, 2, 30}};
    s = (acd_schedule_t){.tz = "", .holidays = bad_day, .n_holidays = 1};
    assert_int_equal(acd_schedule_check(&s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "holidays[0]: 2026-2-30 is not a date");

    s = (acd_schedule_t){.tz = "Europe/Atlantis"};
    assert_int_equal(acd_schedule_check(&s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "unknown time zone 'Europe/Atlantis'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_table), cmocka_unit_test(test_next_change_is_exact),
        cmocka_unit_test(test_bad_zone),   cmocka_unit_test(test_tz_restored),
        cmocka_unit_test(test_names),      cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
