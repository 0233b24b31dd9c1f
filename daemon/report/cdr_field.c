/* cdr_field.c - a CDR's fields in their order: the one list every CDR format walks. */
#include "report/cdr_field.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

/* Names of dispositions, from core.h's own table. */
static const char *const cdr_disposition_names[] = {
#define CDR__D_NAME(e, s) [e] = s,
    ACD_DISPOSITIONS(CDR__D_NAME)
#undef CDR__D_NAME
};

typedef enum cdr_presence {
    CDR_SET,  /* the value is there */
    CDR_NULL, /* the key is there, without a value */
    CDR_OMIT, /* a key only some calls carry; not this one */
} cdr_presence_t;

static cdr_presence_t cdr_nullable(bool set)
{
    return set ? CDR_SET : CDR_NULL;
}

static cdr_presence_t cdr_optional(bool set)
{
    return set ? CDR_SET : CDR_OMIT;
}

/* The row being filled and the next value's index. */
typedef struct cdr_fill {
    acd__cdr_row_t *row;
    size_t n;
} cdr_fill_t;

static acd__cdr_value_t *cdr_next(cdr_fill_t *f, const char *key, acd__cdr_kind_t kind,
                                  cdr_presence_t p)
{
    assert(f->n < ACD__CDR_FIELDS);
    acd__cdr_value_t *v = &f->row->v[f->n++];
    *v = (acd__cdr_value_t){
        .key = key, .kind = kind, .null = p == CDR_NULL, .omitted = p == CDR_OMIT};
    return v;
}

static void cdr_text(cdr_fill_t *f, const char *key, const char *s, size_t len, cdr_presence_t p)
{
    acd__cdr_value_t *v = cdr_next(f, key, ACD__CDR_TEXT, p);
    v->text = s;
    v->len = len;
}

static void cdr_num(cdr_fill_t *f, const char *key, acd__cdr_kind_t kind, int64_t num,
                    cdr_presence_t p)
{
    cdr_next(f, key, kind, p)->num = num;
}

/* A char array of acd_cdr_t as (text, length): at most its size, even unterminated. */
#define CDR_ID(s) (s), strnlen((s), sizeof(s))

int acd__cdr_row(acd__cdr_row_t *row, const acd_cdr_t *c, const char *site)
{
    if (!row || !c || !site)
        return -EINVAL;
    if ((unsigned)c->disposition >=
        sizeof(cdr_disposition_names) / sizeof(cdr_disposition_names[0]))
        return -EINVAL;
    bool agent = c->agent[0] != '\0';
    bool remote = agent && c->agent_site[0] != '\0';
    bool answered = c->answer_ms != 0;
    char *enq_t = row->times[0], *ans_t = row->times[1], *end_t = row->times[2];
    ans_t[0] = '\0';
    if (acd_time_rfc3339(enq_t, ACD_TIME_RFC3339_LEN, c->enqueue_ms) < 0 ||
        acd_time_rfc3339(end_t, ACD_TIME_RFC3339_LEN, c->end_ms) < 0 ||
        (answered && acd_time_rfc3339(ans_t, ACD_TIME_RFC3339_LEN, c->answer_ms) < 0))
        return -EINVAL;
    const char *disp = cdr_disposition_names[c->disposition];

    cdr_fill_t f = {.row = row};
    cdr_text(&f, "site", site, strlen(site), CDR_SET);
    cdr_text(&f, "call_id", CDR_ID(c->call_id), CDR_SET);
    cdr_text(&f, "tenant", CDR_ID(c->tenant), CDR_SET);
    cdr_text(&f, "did", CDR_ID(c->did), CDR_SET);
    cdr_text(&f, "caller", CDR_ID(c->caller), CDR_SET);
    cdr_text(&f, "queue", CDR_ID(c->queue), CDR_SET);
    cdr_text(&f, "agent", CDR_ID(c->agent), cdr_nullable(agent));
    cdr_text(&f, "agent_site", CDR_ID(c->agent_site), cdr_nullable(remote));
    cdr_text(&f, "enqueue_time", enq_t, strlen(enq_t), CDR_SET);
    cdr_text(&f, "answer_time", ans_t, strlen(ans_t), cdr_nullable(answered));
    cdr_text(&f, "end_time", end_t, strlen(end_t), CDR_SET);
    cdr_num(&f, "wait_s", ACD__CDR_SECONDS, c->wait_ms, CDR_SET);
    cdr_num(&f, "talk_s", ACD__CDR_SECONDS, c->talk_ms, CDR_SET);
    /* Agent handle time, what billing counts (docs/billing.md). */
    cdr_num(&f, "wrapup_s", ACD__CDR_SECONDS, c->wrapup_ms, CDR_SET);
    cdr_num(&f, "handle_s", ACD__CDR_SECONDS, c->talk_ms + c->wrapup_ms, CDR_SET);
    cdr_num(&f, "offers", ACD__CDR_INT, c->offers, CDR_SET);
    cdr_text(&f, "disposition", disp, strlen(disp), CDR_SET);
    cdr_num(&f, "enqueue_ms", ACD__CDR_INT, c->enqueue_ms, CDR_SET);
    cdr_num(&f, "answer_ms", ACD__CDR_INT, c->answer_ms, cdr_nullable(answered));
    cdr_num(&f, "end_ms", ACD__CDR_INT, c->end_ms, CDR_SET);
    /* Last, and only on the calls they describe. */
    cdr_num(&f, "priority", ACD__CDR_INT, c->priority, cdr_optional(c->priority != 0));
    cdr_text(&f, "priority_reason", CDR_ID(c->priority_reason),
             cdr_optional(c->priority_reason[0] != '\0'));
    cdr_text(&f, "delivery", CDR_ID(c->delivery), cdr_optional(c->delivery[0] != '\0'));
    cdr_text(&f, "restored_from", CDR_ID(c->restored_from),
             cdr_optional(c->restored_from[0] != '\0'));
    cdr_num(&f, "callback", ACD__CDR_BOOL, c->callback ? 1 : 0, cdr_optional(c->callback));
    assert(f.n == ACD__CDR_FIELDS);
    return 0;
}

int acd__cdr_text_append(acd_buf_t *out, const char *s, size_t n)
{
    while (n > 0) {
        size_t ok = acd_utf8_valid_prefix(s, n);
        if (acd_buf_append(out, s, ok) < 0 || (ok < n && acd_buf_append(out, "?", 1) < 0))
            return -ENOMEM;
        size_t skip = ok < n ? ok + 1 : n;
        s += skip;
        n -= skip;
    }
    /* Even an empty value leaves out->p set and terminated, so callers read a string. */
    return acd_buf_append(out, "", 0);
}

void acd__cdr_seconds_text(char *buf, size_t len, int64_t ms)
{
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    snprintf(buf, len, "%s%" PRIu64 ".%03u", ms < 0 ? "-" : "", mag / 1000, (unsigned)(mag % 1000));
}
