/* billing.c - what a tenant is billed: the calls its agents handled, read from CDR lines. */
#include "report/billing.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/schedule.h"
#include "report/cdr_csv.h"
#include "report/cdr_field.h"
#include "util/err.h"

/* UTC offsets stay within -12 h .. +14 h: this margin around the dates' UTC midnights
 * holds every instant whose local date may be one of them. */
#define BILLING_MARGIN_MS (27LL * 3600 * 1000)
#define BILLING_DAY_MS (24LL * 3600 * 1000)

int64_t acd_billing_increments(int64_t handle_ms)
{
    if (handle_ms <= 0)
        return 0;
    return (handle_ms - 1) / ACD_BILLING_INCREMENT_MS + 1;
}

/* ---- the query ---- */

/* Parses a real calendar date "YYYY-MM-DD" (years 1970..9999) into the UTC ms of its start. */
static int billing_date(const char *s, int64_t *ms)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -EINVAL;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return -EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    *ms = (int64_t)timegm(&tm) * 1000;
    return 0;
}

int acd_billing_init(acd_billing_t *b, const char *tenant, const char *tz, const char *from,
                     const char *to, char *err, size_t errlen)
{
    if (!b)
        return acd_err_invalid(err, errlen, "no report");
    memset(b, 0, sizeof(*b));
    int64_t from_ms = 0, to_ms = 0;
    if (!tenant || !*tenant || strlen(tenant) >= sizeof(b->tenant))
        return acd_err_invalid(err, errlen, "a tenant name of 1 to %zu characters is needed",
                               sizeof(b->tenant) - 1);
    if (!tz || strlen(tz) >= sizeof(b->tz) || acd_schedule_tz_valid(tz) < 0)
        return acd_err_invalid(err, errlen,
                               "unknown time zone '%s' (an IANA name such as "
                               "Europe/Madrid, or UTC)",
                               tz ? tz : "");
    if (!from || billing_date(from, &from_ms) < 0)
        return acd_err_invalid(err, errlen, "--from wants a date YYYY-MM-DD, not '%s'",
                               from ? from : "");
    if (!to || billing_date(to, &to_ms) < 0)
        return acd_err_invalid(err, errlen, "--to wants a date YYYY-MM-DD, not '%s'", to ? to : "");
    if (to_ms < from_ms)
        return acd_err_invalid(err, errlen, "--to %s is before --from %s", to, from);
    snprintf(b->tenant, sizeof(b->tenant), "%s", tenant);
    snprintf(b->tz, sizeof(b->tz), "%s", tz);
    snprintf(b->from, sizeof(b->from), "%s", from);
    snprintf(b->to, sizeof(b->to), "%s", to);
    b->lo_ms = from_ms - BILLING_MARGIN_MS;
    b->hi_ms = to_ms + BILLING_DAY_MS + BILLING_MARGIN_MS;
    return 0;
}

void acd_billing_fini(acd_billing_t *b)
{
    if (!b)
        return;
    free(b->calls);
    memset(b, 0, sizeof(*b));
}

/* ---- one CDR line ---- */

/* What a line says about the fields billing reads. */
typedef enum billing_got {
    GOT_NONE,  /* absent or null */
    GOT_VALUE, /* there, of the right type */
    GOT_BAD,   /* there, of another type */
} billing_got_t;

static billing_got_t billing_string(json_object *o, const char *key, const char **out)
{
    json_object *v = NULL;
    *out = "";
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return GOT_NONE;
    if (!json_object_is_type(v, json_type_string))
        return GOT_BAD;
    *out = json_object_get_string(v);
    return GOT_VALUE;
}

/* An integer (answer_ms), or seconds with decimals as ms (talk_s ...); never negative. */
static billing_got_t billing_number(json_object *o, const char *key, bool seconds, int64_t *out)
{
    json_object *v = NULL;
    *out = 0;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return GOT_NONE;
    bool is_int = json_object_is_type(v, json_type_int);
    if (!is_int && !(seconds && json_object_is_type(v, json_type_double)))
        return GOT_BAD;
    if (is_int && !seconds) {
        *out = json_object_get_int64(v);
        return *out < 0 ? GOT_BAD : GOT_VALUE;
    }
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < 0 || d > 1e9) /* 30 years of talk: not a CDR */
        return GOT_BAD;
    *out = (int64_t)llround(d * 1000.0);
    return GOT_VALUE;
}

static bool billing_copy(char *dst, size_t len, const char *s)
{
    return (size_t)snprintf(dst, len, "%s", s) < len;
}

static int billing_push(acd_billing_t *b, const acd_billing_call_t *c)
{
    if (b->n_calls == b->cap_calls) {
        size_t cap = b->cap_calls ? b->cap_calls * 2 : 64;
        acd_billing_call_t *v = realloc(b->calls, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->calls = v;
        b->cap_calls = cap;
    }
    b->calls[b->n_calls] = *c;
    b->calls[b->n_calls].seq = b->n_calls;
    b->n_calls++;
    return 0;
}

/*
 * Reads the handle time of a billable call: handle_s when the line has it, else
 * talk_s + wrapup_s (lines written before wrapup_s existed have talk_s only).
 */
static int billing_handle(json_object *o, acd_billing_call_t *c)
{
    billing_got_t talk = billing_number(o, "talk_s", true, &c->talk_ms);
    billing_got_t wrap = billing_number(o, "wrapup_s", true, &c->wrapup_ms);
    billing_got_t handle = billing_number(o, "handle_s", true, &c->handle_ms);
    if (talk == GOT_BAD || wrap == GOT_BAD || handle == GOT_BAD)
        return -EINVAL;
    if (handle == GOT_NONE) {
        if (talk == GOT_NONE)
            return -EINVAL;
        c->handle_ms = c->talk_ms + c->wrapup_ms;
    }
    return 0;
}

/* The record o of a line: kept when the tenant's agents handled it near the dates. */
static int billing_record(acd_billing_t *b, json_object *o)
{
    const char *call_id, *tenant, *agent, *s;
    if (billing_string(o, "call_id", &call_id) != GOT_VALUE || !*call_id ||
        billing_string(o, "tenant", &tenant) != GOT_VALUE || !*tenant)
        return -EINVAL;
    if (strcmp(tenant, b->tenant) != 0)
        return 0;
    acd_billing_call_t c = {0};
    billing_got_t ans = billing_number(o, "answer_ms", false, &c.answer_ms);
    billing_got_t ag = billing_string(o, "agent", &agent);
    if (ans == GOT_BAD || ag == GOT_BAD || !billing_copy(c.call_id, sizeof(c.call_id), call_id))
        return -EINVAL;
    /* Not handled by an agent: never answered, or put through to the tenant's on-call. */
    if (ans == GOT_NONE || c.answer_ms == 0 || !*agent || !strncmp(agent, "oncall:", 7))
        return 0;
    if (c.answer_ms < b->lo_ms || c.answer_ms >= b->hi_ms)
        return 0;
    if (billing_handle(o, &c) < 0)
        return -EINVAL;
    billing_copy(c.agent, sizeof(c.agent), agent);
    if (billing_string(o, "site", &s) != GOT_BAD)
        billing_copy(c.site, sizeof(c.site), s);
    if (billing_string(o, "queue", &s) != GOT_BAD)
        billing_copy(c.queue, sizeof(c.queue), s);
    return billing_push(b, &c);
}

int acd_billing_add_line(acd_billing_t *b, const char *line, size_t len)
{
    if (!b || (!line && len) || b->finished)
        return -EINVAL;
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", line[start]))
        start++;
    if (start == len)
        return 0;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return -ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, line + start, (int)(len - start));
    int rc = -EINVAL;
    if (o && json_tokener_get_error(tok) == json_tokener_success &&
        json_object_is_type(o, json_type_object)) {
        /* Nothing but blanks may follow the object on its line. */
        size_t end = start + json_tokener_get_parse_end(tok);
        while (end < len && strchr(" \t\r\n", line[end]))
            end++;
        rc = end == len ? billing_record(b, o) : -EINVAL;
    }
    json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

int acd_billing_read(acd_billing_t *b, FILE *f, acd_billing_input_t *in)
{
    if (!b || !f || !in)
        return -EINVAL;
    memset(in, 0, sizeof(*in));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        in->lines++;
        int r = acd_billing_add_line(b, line, (size_t)n);
        if (r == -EINVAL) {
            if (!in->bad++)
                in->first_bad = in->lines;
        } else {
            rc = r;
        }
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    free(line);
    return rc;
}

/* ---- the result ---- */

static int billing_by_id(const void *a, const void *b)
{
    const acd_billing_call_t *x = a, *y = b;
    int c = strcmp(x->call_id, y->call_id);
    return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int billing_by_time(const void *a, const void *b)
{
    const acd_billing_call_t *x = a, *y = b;
    if (x->answer_ms != y->answer_ms)
        return x->answer_ms < y->answer_ms ? -1 : 1;
    return strcmp(x->call_id, y->call_id);
}

/* Drops the records of a call_id already kept (the first in reading order stays). */
static void billing_dedup(acd_billing_t *b)
{
    if (b->n_calls == 0)
        return;
    qsort(b->calls, b->n_calls, sizeof(b->calls[0]), billing_by_id);
    size_t kept = 1;
    for (size_t i = 1; i < b->n_calls; i++) {
        if (strcmp(b->calls[i].call_id, b->calls[kept - 1].call_id) == 0) {
            b->duplicates++;
            continue;
        }
        b->calls[kept++] = b->calls[i];
    }
    b->n_calls = kept;
}

/* Writes the local date and time (with UTC offset) of tm into c. */
static void billing_local(acd_billing_call_t *c, const struct tm *tm)
{
    long off = tm->tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char hms[9] = "";
    if (strftime(c->date, sizeof(c->date), "%Y-%m-%d", tm) == 0)
        c->date[0] = '\0';
    strftime(hms, sizeof(hms), "%H:%M:%S", tm);
    snprintf(c->time, sizeof(c->time), "%s%c%02d:%02d", hms, sign, (int)(off / 60 % 100),
             (int)(off % 60));
}

int acd_billing_finish(acd_billing_t *b)
{
    if (!b || b->finished)
        return -EINVAL;
    billing_dedup(b);
    size_t n = b->n_calls ? b->n_calls : 1;
    int64_t *ms = malloc(n * sizeof(*ms));
    struct tm *tm = malloc(n * sizeof(*tm));
    int rc = ms && tm ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < b->n_calls; i++)
        ms[i] = b->calls[i].answer_ms;
    /* One zone switch for every call (acd_schedule_local_times). */
    if (rc == 0)
        rc = acd_schedule_local_times(b->tz, ms, b->n_calls, tm);
    size_t kept = 0;
    for (size_t i = 0; rc == 0 && i < b->n_calls; i++) {
        acd_billing_call_t *c = &b->calls[i];
        billing_local(c, &tm[i]);
        if (strcmp(c->date, b->from) < 0 || strcmp(c->date, b->to) > 0)
            continue;
        c->increments = acd_billing_increments(c->handle_ms);
        b->talk_ms += c->talk_ms;
        b->wrapup_ms += c->wrapup_ms;
        b->handle_ms += c->handle_ms;
        b->increments += c->increments;
        b->calls[kept++] = *c;
    }
    free(ms);
    free(tm);
    if (rc < 0)
        return rc;
    b->n_calls = kept;
    if (kept)
        qsort(b->calls, kept, sizeof(b->calls[0]), billing_by_time);
    b->finished = true;
    return 0;
}

/* ---- CSV and JSON ---- */

#define BILLING_COLUMNS                                                                            \
    "tenant,date,time,call_id,site,queue,agent,calls,talk_s,wrapup_s,handle_s,increments,"         \
    "billed_s,billed_min\r\n"

/* The figures of one row: a call, or the total of n calls. */
typedef struct billing_sums {
    size_t calls;
    int64_t talk_ms, wrapup_ms, handle_ms, increments;
} billing_sums_t;

static int billing_csv_text(acd_buf_t *out, const char *s)
{
    int rc = acd__cdr_csv_field(out, s, strlen(s));
    return rc == 0 ? acd_buf_append(out, ",", 1) : rc;
}

/* Appends the numeric columns, calls .. billed_min, and the row's CRLF. */
static int billing_csv_sums(acd_buf_t *out, const billing_sums_t *s)
{
    char t[32], w[32], h[32];
    acd__cdr_seconds_text(t, sizeof(t), s->talk_ms);
    acd__cdr_seconds_text(w, sizeof(w), s->wrapup_ms);
    acd__cdr_seconds_text(h, sizeof(h), s->handle_ms);
    return acd_buf_printf(out, "%zu,%s,%s,%s,%lld,%lld,%lld.%lld\r\n", s->calls, t, w, h,
                          (long long)s->increments,
                          (long long)(s->increments * ACD_BILLING_INCREMENT_MS / 1000),
                          (long long)(s->increments / 10), (long long)(s->increments % 10));
}

static billing_sums_t billing_call_sums(const acd_billing_call_t *c)
{
    return (billing_sums_t){1, c->talk_ms, c->wrapup_ms, c->handle_ms, c->increments};
}

static billing_sums_t billing_total(const acd_billing_t *b)
{
    return (billing_sums_t){b->n_calls, b->talk_ms, b->wrapup_ms, b->handle_ms, b->increments};
}

int acd_billing_csv(const acd_billing_t *b, acd_buf_t *out)
{
    if (!b || !out || !b->finished)
        return -EINVAL;
    int rc = acd_buf_append(out, BILLING_COLUMNS, strlen(BILLING_COLUMNS));
    for (size_t i = 0; rc == 0 && i < b->n_calls; i++) {
        const acd_billing_call_t *c = &b->calls[i];
        const char *text[] = {b->tenant, c->date, c->time, c->call_id, c->site, c->queue, c->agent};
        for (size_t k = 0; rc == 0 && k < sizeof(text) / sizeof(text[0]); k++)
            rc = billing_csv_text(out, text[k]);
        billing_sums_t s = billing_call_sums(c);
        if (rc == 0)
            rc = billing_csv_sums(out, &s);
    }
    char period[2 * ACD_BILLING_DATE_LEN];
    snprintf(period, sizeof(period), "%s/%s", b->from, b->to); /* an ISO 8601 interval */
    const char *text[] = {b->tenant, period, "", "TOTAL", "", "", ""};
    for (size_t k = 0; rc == 0 && k < sizeof(text) / sizeof(text[0]); k++)
        rc = billing_csv_text(out, text[k]);
    billing_sums_t total = billing_total(b);
    return rc == 0 ? billing_csv_sums(out, &total) : rc;
}

/* A JSON number with exactly 3 decimals for ms/1000 (as in CDR lines). */
static json_object *billing_json_seconds(int64_t ms)
{
    char s[32];
    acd__cdr_seconds_text(s, sizeof(s), ms);
    return json_object_new_double_s((double)ms / 1000.0, s);
}

/* Adds the figures of s to o; false when out of memory. */
static bool billing_json_sums(json_object *o, const billing_sums_t *s)
{
    char min[32];
    snprintf(min, sizeof(min), "%lld.%lld", (long long)(s->increments / 10),
             (long long)(s->increments % 10));
    json_object *v[] = {
        json_object_new_int64((int64_t)s->calls),
        billing_json_seconds(s->talk_ms),
        billing_json_seconds(s->wrapup_ms),
        billing_json_seconds(s->handle_ms),
        json_object_new_int64(s->increments),
        json_object_new_int64(s->increments * ACD_BILLING_INCREMENT_MS / 1000),
        json_object_new_double_s((double)s->increments / 10.0, min),
    };
    static const char *const keys[] = {"calls",      "talk_s",   "wrapup_s",  "handle_s",
                                       "increments", "billed_s", "billed_min"};
    bool ok = true;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (ok && v[i] && json_object_object_add(o, keys[i], v[i]) == 0)
            continue;
        ok = false;
        json_object_put(v[i]);
    }
    return ok;
}

/* Adds key: s (a string) to o; false when out of memory. */
static bool billing_json_str(json_object *o, const char *key, const char *s)
{
    json_object *v = json_object_new_string(s);
    if (v && json_object_object_add(o, key, v) == 0)
        return true;
    json_object_put(v);
    return false;
}

static json_object *billing_json_call(const acd_billing_call_t *c)
{
    json_object *o = json_object_new_object();
    billing_sums_t s = billing_call_sums(c);
    bool ok = o && billing_json_str(o, "call_id", c->call_id) &&
              billing_json_str(o, "date", c->date) && billing_json_str(o, "time", c->time) &&
              billing_json_str(o, "site", c->site) && billing_json_str(o, "queue", c->queue) &&
              billing_json_str(o, "agent", c->agent) && billing_json_sums(o, &s);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The report object, or NULL when out of memory. */
static json_object *billing_json_doc(const acd_billing_t *b)
{
    json_object *o = json_object_new_object(), *calls = json_object_new_array(),
                *total = json_object_new_object();
    bool ok = o && calls && total && billing_json_str(o, "tenant", b->tenant) &&
              billing_json_str(o, "from", b->from) && billing_json_str(o, "to", b->to) &&
              billing_json_str(o, "timezone", *b->tz ? b->tz : "UTC");
    for (size_t i = 0; ok && i < b->n_calls; i++) {
        json_object *c = billing_json_call(&b->calls[i]);
        ok = c && json_object_array_add(calls, c) == 0;
        if (!ok)
            json_object_put(c);
    }
    billing_sums_t s = billing_total(b);
    ok = ok && billing_json_sums(total, &s);
    json_object *inc = ok ? json_object_new_int(ACD_BILLING_INCREMENT_MS / 1000) : NULL;
    json_object *dup = ok ? json_object_new_int64((int64_t)b->duplicates) : NULL;
    /* Each value added is o's; what was not added is released here. */
    json_object *parts[] = {inc, calls, total, dup};
    static const char *const keys[] = {"increment_s", "calls", "total", "duplicates"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (ok && parts[i] && json_object_object_add(o, keys[i], parts[i]) == 0)
            continue;
        ok = false;
        json_object_put(parts[i]);
    }
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

int acd_billing_json(const acd_billing_t *b, acd_buf_t *out)
{
    if (!b || !out || !b->finished)
        return -EINVAL;
    json_object *o = billing_json_doc(b);
    if (!o)
        return -ENOMEM;
    size_t len = 0;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    int rc = s ? acd_buf_append(out, s, len) : -ENOMEM;
    json_object_put(o);
    return rc;
}
