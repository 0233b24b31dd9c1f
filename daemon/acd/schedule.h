/* schedule.h - a tenant's answering mode at an instant (hours, lunch, holidays, overrides). */
#ifndef ACD_ACD_SCHEDULE_H
#define ACD_ACD_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * What a tenant's line is doing at one instant. The mode decides the greeting and
 * where a call goes: OPEN reaches agents; LUNCH and AFTER_HOURS take messages (and
 * escalate urgent calls); HOLIDAY is closed all day; OVERRIDE is the owner's manual
 * setting, which wins over everything else while it lasts.
 */
typedef enum acd_mode {
    ACD_MODE_OPEN,
    ACD_MODE_LUNCH,
    ACD_MODE_AFTER_HOURS,
    ACD_MODE_HOLIDAY,
    ACD_MODE_OVERRIDE,
} acd_mode_t;

/* "open", "lunch", "after-hours", "holiday", "override"; "?" for anything else. */
const char *acd_mode_name(acd_mode_t mode);
/* The inverse of acd_mode_name() (exact, lower case). Returns 0 or -EINVAL. */
int acd_mode_parse(const char *name, acd_mode_t *out);

/* A manual override: forced open, forced closed, or closed with a message to relay. */
typedef enum acd_override_kind {
    ACD_OVERRIDE_NONE,
    ACD_OVERRIDE_OPEN,
    ACD_OVERRIDE_CLOSED,
    ACD_OVERRIDE_MESSAGE,
} acd_override_kind_t;

/* "none", "open", "closed", "message"; "?" for anything else. */
const char *acd_override_kind_name(acd_override_kind_t kind);
/* The inverse of acd_override_kind_name(). Returns 0 or -EINVAL. */
int acd_override_kind_parse(const char *name, acd_override_kind_t *out);

/* Weekday bits of acd_sched_span_t.days. */
#define ACD_SCHED_MON 0x01u
#define ACD_SCHED_SUN 0x40u
#define ACD_SCHED_WEEKDAYS 0x1fu /* Monday to Friday */
#define ACD_SCHED_ALL_DAYS 0x7fu

/*
 * A span of local wall-clock time, repeated on the given weekdays: [start_min, end_min)
 * in minutes after local midnight. 0 <= start_min < end_min <= 1440; a span does not
 * cross midnight (write two spans instead).
 */
typedef struct acd_sched_span {
    uint8_t days; /* bit 0 = Monday .. bit 6 = Sunday */
    int start_min, end_min;
} acd_sched_span_t;

/* A local calendar date. */
typedef struct acd_sched_date {
    int year, month, day; /* month 1..12, day 1..31 */
} acd_sched_date_t;

/*
 * A tenant's week. The arrays are borrowed: the caller keeps them alive and unchanged
 * while the schedule is used. n_hours == 0 means open around the clock (lunch spans and
 * holidays still apply).
 */
typedef struct acd_schedule {
    char tz[64]; /* IANA zone name ("Europe/Madrid"); "" means UTC */
    const acd_sched_span_t *hours;
    size_t n_hours;
    const acd_sched_span_t *lunch; /* breaks, normally inside hours */
    size_t n_lunch;
    const acd_sched_date_t *holidays; /* local dates, closed all day */
    size_t n_holidays;
} acd_schedule_t;

/* The owner's override. Active while kind != NONE and (until_ms == 0 or now < until_ms). */
typedef struct acd_override {
    acd_override_kind_t kind;
    int64_t until_ms;  /* Unix ms when it lapses; 0 = until cleared by hand */
    char message[256]; /* what agents see and callers are told ("back at 3 pm") */
} acd_override_t;

/* The answer of acd_schedule_mode(). */
typedef struct acd_mode_info {
    acd_mode_t mode;
    acd_override_kind_t override; /* the override's kind when mode == OVERRIDE, else NONE */
    bool open;                    /* a person can take the call now: OPEN or OVERRIDE open */
    /*
     * The next instant (Unix ms, > now) at which the mode may change: the override's
     * expiry, or the first span boundary, midnight or UTC-offset change at which the
     * computed mode really differs. At most now + ACD_SCHED_HORIZON_MS, which is also
     * the answer when nothing changes before then. Callers may cache the answer until it.
     */
    int64_t next_change_ms;
    int local_min;  /* minutes after local midnight now */
    int local_wday; /* 0 = Monday .. 6 = Sunday */
} acd_mode_info_t;

#define ACD_SCHED_HORIZON_MS (8LL * 24 * 3600 * 1000)

/*
 * Computes the mode of schedule s at now_ms (Unix ms) under override ov (NULL: none).
 * Order: an active override, then a holiday (the local date of now), then a lunch span,
 * then an hours span (OPEN), else AFTER_HOURS. Spans use the local weekday and wall time,
 * so DST is honoured: a boundary that falls in a skipped hour takes effect when the
 * clock jumps, and in a repeated hour the mode follows the wall clock both times.
 *
 * Local time comes from glibc: s->tz is set as TZ=":<zone>" for the duration of the
 * call (setenv + tzset), and the previous TZ value is put back (or unset) before it
 * returns. That makes this function NOT thread-safe: call it only from the thread that
 * owns the loop, while no other thread reads TZ or calls localtime()/mktime(). The
 * zone name is checked against the tzdata files (acd_schedule_tz_valid()) because glibc
 * silently falls back to UTC for an unknown zone; the last zone found valid is cached
 * so repeated calls for one tenant do not look the file up again.
 *
 * Returns 0 with *out filled, -EINVAL (NULL argument, unknown or malformed zone) or
 * -ENOMEM (copying the previous TZ); *out is written only on success.
 */
int acd_schedule_mode(const acd_schedule_t *s, const acd_override_t *ov, int64_t now_ms,
                      acd_mode_info_t *out);

/*
 * Returns 0 when tz names a zone: "" (UTC), or a relative path of letters, digits and
 * "/_+-" (no "..") naming a TZif file under $TZDIR or /usr/share/zoneinfo. -EINVAL
 * otherwise (a directory such as "Europe" is not a zone).
 */
int acd_schedule_tz_valid(const char *tz);

/*
 * Breaks each of the n instants ms[i] (Unix ms) into the wall-clock time of zone tz
 * ("" = UTC) in out[i], tm_gmtoff being the UTC offset then: for reports that print
 * local dates. TZ is set for the duration of the call as acd_schedule_mode() sets it,
 * under the same thread-safety rule; one call converts them all. Returns 0, -EINVAL
 * (NULL argument with n > 0, unknown zone, an instant out of range) or -ENOMEM; out is
 * then undefined.
 */
int acd_schedule_local_times(const char *tz, const int64_t *ms, size_t n, struct tm *out);

/*
 * Checks a schedule before use: the zone (as above), every span (days non-zero and
 * within bits 0..6, 0 <= start < end <= 1440) and every holiday (a real date). On
 * failure writes a reason naming the offending entry into err (when errlen > 0).
 * Returns 0 or -EINVAL.
 */
int acd_schedule_check(const acd_schedule_t *s, char *err, size_t errlen);

/* Parses "HH:MM" (00:00 .. 24:00) into minutes after midnight. Returns 0 or -EINVAL. */
int acd_sched_hhmm_parse(const char *text, int *min);

/* Parses a day name "mon" .. "sun" (any case) into 0 (Monday) .. 6. Returns 0 or -EINVAL. */
int acd_sched_day_parse(const char *name, int *wday);

/*
 * Parses a comma-separated list of day names and ranges ("mon-fri,sat", "fri-mon" wraps)
 * into span day bits. Returns 0 or -EINVAL (empty list, unknown name).
 */
int acd_sched_days_parse(const char *list, uint8_t *days);

/* Parses "YYYY-MM-DD" (a real date, year 1900..9999). Returns 0 or -EINVAL. */
int acd_sched_date_parse(const char *text, acd_sched_date_t *out);

#endif
