/* billing.h - what a tenant is billed: agent handle time per call, in 6-second increments. */
#ifndef ACD_REPORT_BILLING_H
#define ACD_REPORT_BILLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acd/core.h"
#include "util/buf.h"

/*
 * The rule (docs/billing.md, ADR 0023): a call is billed when an agent handled it (the
 * CDR names an agent and an answer time: answered calls, callbacks, outbound calls and
 * voicemail tasks put through to an agent; not a call put through to a tenant's on-call
 * person, whose agent is "oncall:..."). Its handle time is talk + wrap-up (the CDR's
 * handle_s; talk_s + wrapup_s in older lines, talk_s alone in lines without wrapup_s).
 * Each call is rounded up on its own to whole 6-second increments: 1 s bills 6 s, 61 s
 * bills 66 s, never a whole minute. A call belongs to the local date of its answer time
 * in the tenant's time zone; --from and --to are inclusive local dates.
 */
#define ACD_BILLING_INCREMENT_MS 6000

/* Increments billed for handle_ms of handle time: ceil(handle_ms / 6000); 0 for <= 0. */
int64_t acd_billing_increments(int64_t handle_ms);

#define ACD_BILLING_DATE_LEN 11 /* "2026-11-22" */
#define ACD_BILLING_TZ_MAX 64

/* One billed call. */
typedef struct acd_billing_call {
    char call_id[ACD_ID_MAX];
    char site[ACD_ID_MAX]; /* the site that wrote the CDR */
    char queue[ACD_ID_MAX];
    char agent[ACD_ID_MAX];
    int64_t answer_ms;
    int64_t talk_ms, wrapup_ms, handle_ms;
    int64_t increments;              /* billed: increments * 6 s */
    char date[ACD_BILLING_DATE_LEN]; /* local date of answer_ms, "2026-11-22" */
    char time[24];                   /* local time and UTC offset, "14:04:26+01:00" */
    size_t seq;                      /* reading order: of two records of a call, the first
                                        read is kept */
} acd_billing_call_t;

/* What reading one input found (acd_billing_read). */
typedef struct acd_billing_input {
    size_t lines;     /* lines read, empty ones included */
    size_t bad;       /* lines skipped as not a CDR (not JSON, no call_id or tenant ...) */
    size_t first_bad; /* 1-based number of the first of them; 0 when none */
} acd_billing_input_t;

/* A report being built: the query, the tenant's candidate calls, then the result. */
typedef struct acd_billing {
    char tenant[ACD_ID_MAX];
    char tz[ACD_BILLING_TZ_MAX]; /* IANA zone; "" or "UTC": UTC */
    char from[ACD_BILLING_DATE_LEN], to[ACD_BILLING_DATE_LEN];
    int64_t lo_ms, hi_ms;      /* a UTC window surely holding every instant of from..to */
    acd_billing_call_t *calls; /* after acd_billing_finish: the billed calls, by answer time */
    size_t n_calls, cap_calls;
    size_t duplicates; /* records of a call_id already seen (several files), counted once */
    bool finished;
    /* Totals over calls, after acd_billing_finish. */
    int64_t talk_ms, wrapup_ms, handle_ms, increments;
} acd_billing_t;

/*
 * Starts a report of tenant's calls answered from local date from to local date to
 * (inclusive, "YYYY-MM-DD", real dates, from <= to) in zone tz (an IANA name, "" for
 * UTC). Returns 0, or -EINVAL with a reason in err (errlen bytes) for a bad argument;
 * b is then left zeroed. The caller owns b: acd_billing_fini().
 */
int acd_billing_init(acd_billing_t *b, const char *tenant, const char *tz, const char *from,
                     const char *to, char *err, size_t errlen);
void acd_billing_fini(acd_billing_t *b);

/*
 * Takes one CDR JSON line (len bytes, without its newline). Lines of other tenants, of
 * calls no agent handled and of calls answered far outside the dates are left out.
 * Returns 0 (kept or left out), -EINVAL when the line is not a CDR (not a JSON object,
 * call_id or tenant not a non-empty string, answer_ms / agent / the seconds of a call of
 * the tenant of the wrong type): nothing is kept; -ENOMEM. An empty line is 0.
 */
int acd_billing_add_line(acd_billing_t *b, const char *line, size_t len);

/*
 * Reads CDR JSON lines from f until EOF, feeding each to acd_billing_add_line(), and
 * counts into *in (zeroed first) the lines and the bad ones, which are skipped. Returns 0,
 * -ENOMEM, or a negative errno when reading f failed (what was read is kept).
 */
int acd_billing_read(acd_billing_t *b, FILE *f, acd_billing_input_t *in);

/*
 * Counts each call_id once (duplicates: the same call in two files, such as a site's
 * in-doubt file and its sister's), keeps the calls whose local answer date is within
 * from..to, sorts them by answer time and sums the totals. Call once, after the input.
 * Returns 0, -EINVAL (the zone could not be used) or -ENOMEM.
 */
int acd_billing_finish(acd_billing_t *b);

/*
 * Appends the report as CSV (RFC 4180, CRLF): a header row, one row per billed call
 * (tenant, date, time, call_id, site, queue, agent, calls = 1, talk_s, wrapup_s, handle_s,
 * increments, billed_s, billed_min), and a last row with call_id TOTAL, date "FROM/TO"
 * and the sums. Seconds with 3 decimals; billed_min = increments / 10, one decimal.
 * Returns 0, -EINVAL (not finished) or -ENOMEM.
 */
int acd_billing_csv(const acd_billing_t *b, acd_buf_t *out);

/*
 * Appends the report as one JSON object: tenant, from, to, timezone, increment_s, calls
 * (objects with the CSV's fields), total (the sums), duplicates. Returns 0, -EINVAL (not
 * finished) or -ENOMEM.
 */
int acd_billing_json(const acd_billing_t *b, acd_buf_t *out);

#endif
