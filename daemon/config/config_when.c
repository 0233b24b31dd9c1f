/* config_when.c - readers of time: zone names, weekdays, HH:MM times and calendar dates. */
#include "config/config_int.h"

#include "acd/schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The parsing rules live in acd/schedule.c (the code that later runs the schedule), so
 * config accepts exactly what the answering core understands; these readers only turn a
 * refusal into a message that names the key and the line.
 */

/* The longest zone name acd_schedule_t.tz can hold (without its NUL). */
#define WHEN_TZ_MAX ((int)sizeof(((acd_schedule_t *)0)->tz) - 1)

/* ---- zones ---------------------------------------------------------------------------------- */

/*
 * For a name acd_schedule_tz_valid() refused: true when the name itself is malformed
 * (empty, too long, absolute, or a character outside [A-Za-z0-9/_+-]), false when it is
 * well formed but names no zone file.
 */
static bool when_tz_malformed(const char *tz)
{
    size_t n = strlen(tz);
    return n == 0 || n > (size_t)WHEN_TZ_MAX || tz[0] == '/' ||
           strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n;
}

/*
 * `timezone: Europe/Madrid`: checked against the tzdata files ($TZDIR, else
 * /usr/share/zoneinfo) by acd_schedule_tz_valid() because glibc silently runs an unknown
 * zone as UTC. An empty name (UTC to the schedule) is refused: write UTC.
 */
void acd__cfg_read_timezone(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                            void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a time zone name");
    if (!s)
        return;
    if (*s && acd_schedule_tz_valid(s) == 0) {
        acd__cfg_read_string(ctx, f, v, base);
        return;
    }
    if (when_tz_malformed(s)) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "bad time zone '%.60s' for '%s': an IANA name such as Europe/Madrid"
                       " (letters, digits, '/', '_', '+', '-'; at most %d characters)",
                       s, f->key, WHEN_TZ_MAX);
        return;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    acd__cfg_error(ctx, acd__cfg_node_line(v),
                   "unknown time zone '%.60s' for '%s': no such zone in %.80s"
                   " (use an IANA name such as Europe/Madrid or UTC)",
                   s, f->key, dir);
}

/* ---- weekdays ------------------------------------------------------------------------------- */

/* Adds one scalar, a comma-separated list of days and ranges, to the uint8_t at arg. */
static bool when_days_item(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *item,
                           void *arg)
{
    uint8_t *bits = arg;
    const char *s = acd__cfg_scalar(ctx, f, item, "a day name");
    if (!s)
        return false;
    uint8_t days;
    if (acd_sched_days_parse(s, &days) < 0) {
        acd__cfg_error(ctx, acd__cfg_node_line(item),
                       "bad day '%.60s' in '%s': use mon, tue, wed, thu, fri, sat, sun or a"
                       " range such as mon-fri",
                       s, f->key);
        return false;
    }
    *bits |= days;
    return true;
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

/* `open: "09:00"`: minutes after local midnight as an int, 0..1440. */
void acd__cfg_read_hhmm(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a time HH:MM");
    if (!s)
        return;
    int min;
    if (acd_sched_hhmm_parse(s, &min) < 0) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be a time HH:MM from 00:00 to 24:00 (got '%.60s')", f->key, s);
        return;
    }
    int *dst = (int *)((char *)base + f->offset);
    *dst = min;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

/* ---- dates ---------------------------------------------------------------------------------- */

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
        acd_sched_date_t d;
        if (acd_sched_date_parse(s, &d) < 0) {
            acd__cfg_error(ctx, acd__cfg_node_line(item),
                           "bad date '%.60s' in '%s': use a real date YYYY-MM-DD, e.g. 2026-12-25",
                           s, f->key);
            continue;
        }
        arr[*count] = (acd_cfg_date_t){.year = d.year, .month = d.month, .day = d.day};
        acd__cfg_line_note(ctx, &arr[*count], acd__cfg_node_line(item));
        (*count)++;
    }
}
