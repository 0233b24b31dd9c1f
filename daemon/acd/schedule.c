/* schedule.c - answering mode from hours, lunch, holidays and overrides in local time. */
#include "acd/schedule.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- names ---- */

static const char *const sched_mode_names[] = {
    [ACD_MODE_OPEN] = "open",
    [ACD_MODE_LUNCH] = "lunch",
    [ACD_MODE_AFTER_HOURS] = "after-hours",
    [ACD_MODE_HOLIDAY] = "holiday",
    [ACD_MODE_OVERRIDE] = "override",
};

static const char *const sched_override_names[] = {
    [ACD_OVERRIDE_NONE] = "none",
    [ACD_OVERRIDE_OPEN] = "open",
    [ACD_OVERRIDE_CLOSED] = "closed",
    [ACD_OVERRIDE_MESSAGE] = "message",
};

#define SCHED_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Index of name in names[0..n), or -1. */
static int sched_name_find(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *acd_mode_name(acd_mode_t mode)
{
    return (unsigned)mode < SCHED_COUNT(sched_mode_names) ? sched_mode_names[mode] : "?";
}

int acd_mode_parse(const char *name, acd_mode_t *out)
{
    int i = sched_name_find(sched_mode_names, SCHED_COUNT(sched_mode_names), name);
    if (i < 0 || !out)
        return -EINVAL;
    *out = (acd_mode_t)i;
    return 0;
}

const char *acd_override_kind_name(acd_override_kind_t kind)
{
    return (unsigned)kind < SCHED_COUNT(sched_override_names) ? sched_override_names[kind] : "?";
}

int acd_override_kind_parse(const char *name, acd_override_kind_t *out)
{
    int i = sched_name_find(sched_override_names, SCHED_COUNT(sched_override_names), name);
    if (i < 0 || !out)
        return -EINVAL;
    *out = (acd_override_kind_t)i;
    return 0;
}

/* ---- zones ---- */

#define SCHED_TZ_MAX sizeof(((acd_schedule_t *)0)->tz)

/* Zone names are relative paths of [A-Za-z0-9/_+-]: no dots, so no "..", no leading '/'. */
static bool sched_tz_name_ok(const char *tz)
{
    size_t n = strnlen(tz, SCHED_TZ_MAX);
    if (n == 0 || n >= SCHED_TZ_MAX || tz[0] == '/' || tz[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)tz[i]) && !strchr("/_+-", tz[i]))
            return false;
    return true;
}

int acd_schedule_tz_valid(const char *tz)
{
    if (!tz)
        return -EINVAL;
    if (!*tz)
        return 0;
    if (!sched_tz_name_ok(tz))
        return -EINVAL;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, tz);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -EINVAL;
    /* A zone is a TZif file; a directory ("Europe") fails the read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -EINVAL;
    char magic[4];
    ssize_t r = read(fd, magic, sizeof(magic));
    close(fd);
    return r == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0 ? 0 : -EINVAL;
}

/* The last zone acd_schedule_tz_valid() accepted for acd_schedule_mode(). */
static char sched_valid_tz[SCHED_TZ_MAX];

/* TZ as it was before sched_tz_enter(), to be put back by sched_tz_leave(). */
typedef struct sched_tz {
    bool utc;     /* "" zone: gmtime_r, TZ untouched */
    bool changed; /* TZ was set by us */
    char *saved;  /* the previous TZ value (owned), NULL when it was unset */
} sched_tz_t;

static int sched_tz_enter(sched_tz_t *z, const char *tz)
{
    memset(z, 0, sizeof(*z));
    if (!*tz) {
        z->utc = true;
        return 0;
    }
    if (strcmp(tz, sched_valid_tz) != 0) {
        if (acd_schedule_tz_valid(tz) < 0)
            return -EINVAL;
        snprintf(sched_valid_tz, sizeof(sched_valid_tz), "%s", tz);
    }
    char want[SCHED_TZ_MAX + 1];
    snprintf(want, sizeof(want), ":%s", tz);
    const char *cur = getenv("TZ");
    if (cur && strcmp(cur, want) == 0) {
        /* Already this zone: nothing to restore. tzset() is cheap when TZ has not changed
         * since the last call and picks it up when someone set it without calling tzset(). */
        tzset();
        return 0;
    }
    if (cur && !(z->saved = strdup(cur)))
        return -ENOMEM;
    if (setenv("TZ", want, 1) < 0) {
        int rc = -errno;
        free(z->saved);
        return rc;
    }
    z->changed = true;
    /* localtime_r() does not look at TZ again by itself; tzset() makes it. */
    tzset();
    return 0;
}

static void sched_tz_leave(sched_tz_t *z)
{
    if (!z->changed)
        return;
    if (z->saved)
        setenv("TZ", z->saved, 1);
    else
        unsetenv("TZ");
    free(z->saved);
    z->saved = NULL;
    z->changed = false;
    tzset();
}

static bool sched_local(const sched_tz_t *z, time_t t, struct tm *tm)
{
    return (z->utc ? gmtime_r(&t, tm) : localtime_r(&t, tm)) != NULL;
}

int acd_schedule_local_times(const char *tz, const int64_t *ms, size_t n, struct tm *out)
{
    if (!tz || (n > 0 && (!ms || !out)) || strnlen(tz, SCHED_TZ_MAX) >= SCHED_TZ_MAX)
        return -EINVAL;
    sched_tz_t z;
    int rc = sched_tz_enter(&z, tz);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* Floor division, as in acd_schedule_mode(). */
        time_t t = (time_t)(ms[i] / 1000 - (ms[i] % 1000 < 0));
        if (!sched_local(&z, t, &out[i]))
            rc = -EINVAL;
    }
    sched_tz_leave(&z); /* nothing to undo when entering failed */
    return rc;
}

/* ---- classification ---- */

static int sched_wday(const struct tm *tm)
{
    return (tm->tm_wday + 6) % 7;
}

static int sched_min(const struct tm *tm)
{
    return tm->tm_hour * 60 + tm->tm_min;
}

static bool sched_in(const acd_sched_span_t *sp, size_t n, int wday, int min)
{
    for (size_t i = 0; i < n; i++)
        if ((sp[i].days & (1u << wday)) && min >= sp[i].start_min && min < sp[i].end_min)
            return true;
    return false;
}

static acd_mode_t sched_classify(const acd_schedule_t *s, const struct tm *tm)
{
    for (size_t i = 0; i < s->n_holidays; i++) {
        const acd_sched_date_t *d = &s->holidays[i];
        if (d->year == tm->tm_year + 1900 && d->month == tm->tm_mon + 1 && d->day == tm->tm_mday)
            return ACD_MODE_HOLIDAY;
    }
    int wday = sched_wday(tm), min = sched_min(tm);
    if (sched_in(s->lunch, s->n_lunch, wday, min))
        return ACD_MODE_LUNCH;
    if (s->n_hours == 0 || sched_in(s->hours, s->n_hours, wday, min))
        return ACD_MODE_OPEN;
    return ACD_MODE_AFTER_HOURS;
}

/* ---- walking forward to the next change ---- */

/*
 * The mode is a function of the local wall clock, which advances with real time except
 * at UTC-offset changes, where it jumps. So from any instant the next instant at which
 * the mode can change is whichever comes first: the wall clock reaching the next span
 * boundary of its day (or midnight), computed by adding the remaining seconds, or an
 * offset change before that, found by bisection. Walking those instants one by one and
 * classifying each finds the first real change, including a boundary inside a skipped
 * hour (it takes effect at the jump) and both passes through a repeated hour.
 */
typedef struct sched_walk {
    const acd_schedule_t *s;
    const sched_tz_t *z;
    uint8_t bound[7][(1440 + 7) / 8]; /* span starts and ends per weekday, minute bits */
} sched_walk_t;

static void sched_mark(sched_walk_t *w, const acd_sched_span_t *sp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 7; d++) {
            if (!(sp[i].days & (1u << d)))
                continue;
            int b[2] = {sp[i].start_min, sp[i].end_min};
            for (int k = 0; k < 2; k++)
                if (b[k] > 0 && b[k] < 1440)
                    w->bound[d][b[k] / 8] |= (uint8_t)(1u << (b[k] % 8));
        }
}

/* The first boundary minute after min on weekday wday; 1440 (next midnight) if none. */
static int sched_next_bound(const sched_walk_t *w, int wday, int min)
{
    for (int b = min + 1; b < 1440; b++)
        if (w->bound[wday][b / 8] & (1u << (b % 8)))
            return b;
    return 1440;
}

/* The first instant after t (local time *tm) at which the mode can change. */
static time_t sched_next_candidate(const sched_walk_t *w, time_t t, const struct tm *tm)
{
    int min = sched_min(tm);
    int b = sched_next_bound(w, sched_wday(tm), min);
    time_t x = t + (time_t)(b - min) * 60 - tm->tm_sec;
    if (x <= t)
        x = t + 1; /* a leap second (tm_sec 60) */
    /* tzdata has no two offset changes within a day, so one bisection finds the jump. */
    struct tm xt;
    if (!sched_local(w->z, x, &xt) || xt.tm_gmtoff == tm->tm_gmtoff)
        return x;
    time_t lo = t, hi = x;
    while (hi - lo > 1) {
        time_t mid = lo + (hi - lo) / 2;
        if (sched_local(w->z, mid, &xt) && xt.tm_gmtoff == tm->tm_gmtoff)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The first candidate instant in (now, limit) whose mode differs from cur, or limit. */
static time_t sched_next_change(const sched_walk_t *w, time_t now, const struct tm *now_tm,
                                acd_mode_t cur, time_t limit)
{
    struct tm tm = *now_tm;
    time_t t = now;
    while (t < limit) {
        t = sched_next_candidate(w, t, &tm);
        if (t >= limit || !sched_local(w->z, t, &tm))
            break;
        if (sched_classify(w->s, &tm) != cur)
            return t;
    }
    return limit;
}

static bool sched_override_active(const acd_override_t *ov, int64_t now_ms)
{
    return ov && ov->kind != ACD_OVERRIDE_NONE && (ov->until_ms == 0 || now_ms < ov->until_ms);
}

int acd_schedule_mode(const acd_schedule_t *s, const acd_override_t *ov, int64_t now_ms,
                      acd_mode_info_t *out)
{
    if (!s || !out || strnlen(s->tz, SCHED_TZ_MAX) >= SCHED_TZ_MAX || (s->n_hours && !s->hours) ||
        (s->n_lunch && !s->lunch) || (s->n_holidays && !s->holidays) ||
        now_ms > INT64_MAX - ACD_SCHED_HORIZON_MS)
        return -EINVAL;
    int64_t limit_ms = now_ms + ACD_SCHED_HORIZON_MS;
    /* Floor division: an instant before 1970 still belongs to the second that holds it. */
    time_t now = (time_t)(now_ms / 1000 - (now_ms % 1000 < 0));
    time_t limit = (time_t)(limit_ms / 1000 - (limit_ms % 1000 < 0));

    sched_tz_t z;
    int rc = sched_tz_enter(&z, s->tz);
    if (rc < 0)
        return rc;
    acd_mode_info_t info = {.override = ACD_OVERRIDE_NONE};
    struct tm tm;
    if (!sched_local(&z, now, &tm)) {
        rc = -EINVAL;
        goto out;
    }
    info.local_min = sched_min(&tm);
    info.local_wday = sched_wday(&tm);
    if (sched_override_active(ov, now_ms)) {
        info.mode = ACD_MODE_OVERRIDE;
        info.override = ov->kind;
        info.open = ov->kind == ACD_OVERRIDE_OPEN;
        info.next_change_ms = ov->until_ms && ov->until_ms < limit_ms ? ov->until_ms : limit_ms;
        goto out;
    }
    info.mode = sched_classify(s, &tm);
    info.open = info.mode == ACD_MODE_OPEN;
    sched_walk_t w = {.s = s, .z = &z};
    sched_mark(&w, s->hours, s->n_hours);
    sched_mark(&w, s->lunch, s->n_lunch);
    time_t next = sched_next_change(&w, now, &tm, info.mode, limit);
    info.next_change_ms = next >= limit ? limit_ms : (int64_t)next * 1000;
out:
    sched_tz_leave(&z);
    if (rc == 0)
        *out = info;
    return rc;
}

/* ---- checking and parsing ---- */

static bool sched_date_ok(const acd_sched_date_t *d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d->year < 1900 || d->year > 9999 || d->month < 1 || d->month > 12 || d->day < 1 ||
        d->day > mdays[d->month - 1])
        return false;
    bool leap = (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;
    return d->month != 2 || d->day <= 28 || leap;
}

static int sched_check_spans(const char *what, const acd_sched_span_t *sp, size_t n, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (sp[i].days == 0 || (sp[i].days & ~ACD_SCHED_ALL_DAYS))
            return acd_err_invalid(err, errlen, "%s[%zu]: no valid weekdays", what, i);
        if (sp[i].start_min < 0 || sp[i].end_min > 1440 || sp[i].start_min >= sp[i].end_min)
            return acd_err_invalid(err, errlen, "%s[%zu]: %d-%d is not a span within one day", what, i,
                              sp[i].start_min, sp[i].end_min);
    }
    return 0;
}

int acd_schedule_check(const acd_schedule_t *s, char *err, size_t errlen)
{
    if (!s)
        return acd_err_invalid(err, errlen, "no schedule");
    if (strnlen(s->tz, SCHED_TZ_MAX) >= SCHED_TZ_MAX || acd_schedule_tz_valid(s->tz) < 0)
        return acd_err_invalid(err, errlen, "unknown time zone '%.*s'", (int)SCHED_TZ_MAX - 1, s->tz);
    if ((s->n_hours && !s->hours) || (s->n_lunch && !s->lunch) || (s->n_holidays && !s->holidays))
        return acd_err_invalid(err, errlen, "missing span or holiday array");
    int rc = sched_check_spans("hours", s->hours, s->n_hours, err, errlen);
    if (rc == 0)
        rc = sched_check_spans("lunch", s->lunch, s->n_lunch, err, errlen);
    for (size_t i = 0; rc == 0 && i < s->n_holidays; i++)
        if (!sched_date_ok(&s->holidays[i]))
            rc = acd_err_invalid(err, errlen, "holidays[%zu]: %d-%d-%d is not a date", i,
                            s->holidays[i].year, s->holidays[i].month, s->holidays[i].day);
    return rc;
}

/* Reads exactly n decimal digits at p. */
static bool sched_digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

int acd_sched_hhmm_parse(const char *text, int *min)
{
    if (!text || !min)
        return -EINVAL;
    int h, m;
    int hl = text[0] && text[1] == ':' ? 1 : 2;
    if (!sched_digits(text, hl, &h) || text[hl] != ':' || !sched_digits(text + hl + 1, 2, &m) ||
        text[hl + 3] != '\0' || m > 59 || h > 24 || (h == 24 && m != 0))
        return -EINVAL;
    *min = h * 60 + m;
    return 0;
}

int acd_sched_day_parse(const char *name, int *wday)
{
    static const char *const days[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    if (!name || !wday)
        return -EINVAL;
    size_t n = strlen(name);
    for (int i = 0; i < 7; i++)
        if ((n == 3 || n == strlen(days[i])) && strncasecmp(name, days[i], n) == 0) {
            *wday = i;
            return 0;
        }
    return -EINVAL;
}

/* Parses one day name of n bytes at p (trimmed of spaces). */
static int sched_day_slice(const char *p, size_t n, int *wday)
{
    while (n && *p == ' ')
        p++, n--;
    while (n && p[n - 1] == ' ')
        n--;
    char buf[16];
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return acd_sched_day_parse(buf, wday);
}

int acd_sched_days_parse(const char *list, uint8_t *days)
{
    if (!list || !days)
        return -EINVAL;
    unsigned bits = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *dash = memchr(p, '-', n);
        int a, b;
        if (sched_day_slice(p, dash ? (size_t)(dash - p) : n, &a) < 0)
            return -EINVAL;
        b = a;
        if (dash && sched_day_slice(dash + 1, n - (size_t)(dash + 1 - p), &b) < 0)
            return -EINVAL;
        for (int d = a;; d = (d + 1) % 7) { /* "fri-mon" wraps over the weekend */
            bits |= 1u << d;
            if (d == b)
                break;
        }
        if (!end)
            break;
        p = end + 1;
    }
    *days = (uint8_t)bits;
    return 0;
}

int acd_sched_date_parse(const char *text, acd_sched_date_t *out)
{
    if (!text || !out)
        return -EINVAL;
    acd_sched_date_t d;
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-' || !sched_digits(text, 4, &d.year) ||
        !sched_digits(text + 5, 2, &d.month) || !sched_digits(text + 8, 2, &d.day) ||
        !sched_date_ok(&d))
        return -EINVAL;
    *out = d;
    return 0;
}
