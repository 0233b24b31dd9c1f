/* config_when.c - readers of time: zone names, weekdays, HH:MM times and calendar dates. */
#include "config/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The longest zone name acd_schedule_t.tz can hold (64 bytes with its NUL). */
#define WHEN_TZ_MAX 63

/* ---- zones ---------------------------------------------------------------------------------- */

/* A relative path of [A-Za-z0-9/_+-]: no '.', so no "..", and no leading or trailing '/'. */
static bool when_tz_name_ok(const char *tz)
{
    size_t n = strlen(tz);
    if (n == 0 || n > WHEN_TZ_MAX || tz[0] == '/' || tz[n - 1] == '/' || strstr(tz, "//"))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)tz[i]) && !strchr("/_+-", tz[i]))
            return false;
    }
    return true;
}

/* True when dir/tz is a TZif file (a directory such as "Europe" is not). */
static bool when_tz_file_ok(const char *dir, const char *tz)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, tz);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char magic[4];
    ssize_t got = read(fd, magic, sizeof(magic));
    close(fd);
    return got == (ssize_t)sizeof(magic) && !memcmp(magic, "TZif", sizeof(magic));
}

/*
 * `timezone: Europe/Madrid`: checked against the tzdata files ($TZDIR, else
 * /usr/share/zoneinfo) because glibc silently runs an unknown zone as UTC.
 */
void acd__cfg_read_timezone(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                            void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a time zone name");
    if (!s)
        return;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if (!when_tz_name_ok(s)) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "bad time zone '%.60s' for '%s': an IANA name such as Europe/Madrid"
                       " (letters, digits, '/', '_', '+', '-'; at most %d characters)",
                       s, f->key, WHEN_TZ_MAX);
        return;
    }
    if (!when_tz_file_ok(dir, s)) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "unknown time zone '%.60s' for '%s': no such zone in %.80s"
                       " (use an IANA name such as Europe/Madrid or UTC)",
                       s, f->key, dir);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

/* ---- weekdays ------------------------------------------------------------------------------- */

static const char *const when_days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* The index (0 = Monday) of the n-byte day name at s, or -1. */
static int when_day(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++) {
        if (n == 3 && !strncasecmp(s, when_days[i], 3))
            return i;
    }
    return -1;
}

/* Adds "mon" or "mon-fri" (which may wrap: "fri-mon") to *bits; -EINVAL when malformed. */
static int when_day_part(const char *s, size_t n, uint8_t *bits)
{
    const char *dash = memchr(s, '-', n);
    int a = when_day(s, dash ? (size_t)(dash - s) : n);
    int b = dash ? when_day(dash + 1, n - (size_t)(dash - s) - 1) : a;
    if (a < 0 || b < 0)
        return -EINVAL;
    for (int d = a;; d = (d + 1) % 7) {
        *bits |= (uint8_t)(1u << d);
        if (d == b)
            break;
    }
    return 0;
}

/* Adds one scalar, a comma-separated list of days and ranges, to the uint8_t at arg. */
static bool when_days_item(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *item,
                           void *arg)
{
    uint8_t *bits = arg;
    const char *s = acd__cfg_scalar(ctx, f, item, "a day name");
    if (!s)
        return false;
    const char *p = s;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        size_t trimmed = n;
        while (trimmed && p[trimmed - 1] == ' ')
            trimmed--;
        if (when_day_part(p, trimmed, bits) < 0) {
            acd__cfg_error(ctx, acd__cfg_node_line(item),
                           "bad day '%.60s' in '%s': use mon, tue, wed, thu, fri, sat, sun or a"
                           " range such as mon-fri",
                           s, f->key);
            return false;
        }
        if (!p[n])
            return true;
        p += n + 1;
    }
}

/* `days: [mon, tue]`, `days: mon-fri` or `days: "mon-fri, sat"`: a uint8_t of day bits. */
void acd__cfg_read_days(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    uint8_t bits = 0;
    if (!acd__cfg_each_item(ctx, f, v, when_days_item, &bits))
        return;
    if (!bits) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must name at least one day (e.g. [mon, tue] or mon-fri)", f->key);
        return;
    }
    uint8_t *dst = (uint8_t *)base + f->offset;
    *dst = bits;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

/* ---- times of day --------------------------------------------------------------------------- */

/* Parses "H:MM" or "HH:MM", 00:00 .. 24:00, into minutes; -EINVAL otherwise. */
static int when_hhmm(const char *s, int *min)
{
    size_t nh = strspn(s, "0123456789");
    if (nh < 1 || nh > 2 || s[nh] != ':' || strspn(s + nh + 1, "0123456789") != 2 ||
        s[nh + 3] != '\0')
        return -EINVAL;
    int h = atoi(s), m = atoi(s + nh + 1);
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -EINVAL;
    *min = h * 60 + m;
    return 0;
}

/* `open: "09:00"`: minutes after local midnight as an int, 0..1440. */
void acd__cfg_read_hhmm(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a time HH:MM");
    if (!s)
        return;
    int min;
    if (when_hhmm(s, &min) < 0) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be a time HH:MM from 00:00 to 24:00 (got '%.60s')", f->key, s);
        return;
    }
    int *dst = (int *)((char *)base + f->offset);
    *dst = min;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

/* ---- dates ---------------------------------------------------------------------------------- */

/* Parses "YYYY-MM-DD", a real Gregorian date in 1900..9999; -EINVAL otherwise. */
static int when_date(const char *s, acd_cfg_date_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789") != 4 ||
        strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2)
        return -EINVAL;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return -EINVAL;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return -EINVAL;
    *out = (acd_cfg_date_t){.year = y, .month = m, .day = d};
    return 0;
}

/* `holidays: ["2026-12-25", ...]`: an acd_cfg_date_t array and its count. */
void acd__cfg_read_dates(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "expected a list of dates for '%s' (e.g. [\"2026-12-25\"])", f->key);
        return;
    }
    acd_cfg_date_t **dst = (acd_cfg_date_t **)((char *)base + f->offset);
    size_t *count = (size_t *)((char *)base + f->count_offset);
    size_t n = acd__cfg_seq_len(v);
    acd_cfg_date_t *arr = n ? calloc(n, sizeof(*arr)) : NULL;
    if (n && !arr) {
        ctx->rc = -ENOMEM;
        return;
    }
    free(*dst);
    *dst = arr;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        const char *s = item ? acd__cfg_scalar(ctx, f, item, "a date YYYY-MM-DD") : NULL;
        if (!s)
            continue;
        if (when_date(s, &arr[*count]) < 0) {
            acd__cfg_error(ctx, acd__cfg_node_line(item),
                           "bad date '%.60s' in '%s': use a real date YYYY-MM-DD, e.g. 2026-12-25",
                           s, f->key);
            continue;
        }
        acd__cfg_line_note(ctx, &arr[*count], acd__cfg_node_line(item));
        (*count)++;
    }
}
