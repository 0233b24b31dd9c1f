/* cdr_field.h - a CDR's fields in their order: the one list every CDR format walks. */
#ifndef ACD_REPORT_CDR_FIELD_H
#define ACD_REPORT_CDR_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"
#include "util/buf.h"
#include "util/timefmt.h"

/* What a value is, so that each format writes it its own way. */
typedef enum acd__cdr_kind {
    ACD__CDR_TEXT,    /* text, len (not NUL-terminated); see acd__cdr_text_append() */
    ACD__CDR_SECONDS, /* num: milliseconds, written as seconds with exactly 3 decimals */
    ACD__CDR_INT,     /* num */
    ACD__CDR_BOOL,    /* num: 0 or 1 */
} acd__cdr_kind_t;

typedef struct acd__cdr_value {
    const char *key; /* the JSON key, the CSV column name */
    acd__cdr_kind_t kind;
    bool null;    /* no value on this call: JSON null, CSV empty */
    bool omitted; /* a key only some calls carry, absent on this one: JSON leaves the key
                     out (lines of other calls stay as they always were), CSV empty */
    const char *text;
    size_t len;
    int64_t num;
} acd__cdr_value_t;

/* Fields of every record, the ones only some calls carry included. */
#define ACD__CDR_FIELDS 25

/* One record as values; it borrows the strings of the acd_cdr_t and site it was made of. */
typedef struct acd__cdr_row {
    acd__cdr_value_t v[ACD__CDR_FIELDS];
    char times[3][ACD_TIME_RFC3339_LEN]; /* the text of enqueue_time, answer_time, end_time */
} acd__cdr_row_t;

/*
 * Fills row with cdr's fields for site, always the same ACD__CDR_FIELDS keys in the same
 * order (docs/config.md "cdr"): site, call_id, tenant, did, caller, queue, agent,
 * agent_site, enqueue_time, answer_time, end_time, wait_s, talk_s, wrapup_s, handle_s,
 * offers, disposition, enqueue_ms, answer_ms, end_ms, then those only some calls carry
 * (omitted otherwise): priority, priority_reason, delivery, restored_from, callback.
 * The row points into cdr and site, which must outlive it. Returns 0, or -EINVAL (NULL
 * argument, unknown disposition, a time that cannot be written).
 */
int acd__cdr_row(acd__cdr_row_t *row, const acd_cdr_t *cdr, const char *site);

/*
 * Appends s[0..len) to out with every byte that is not part of well-formed UTF-8 replaced
 * by '?': field values come from SIP headers in the end, and one bad byte would make a
 * whole record unreadable to strict readers. Returns 0 or -ENOMEM.
 */
int acd__cdr_text_append(acd_buf_t *out, const char *s, size_t len);

/* Writes ms as seconds with exactly 3 decimals ("12.500", "-0.005") into buf (>= 24 bytes). */
void acd__cdr_seconds_text(char *buf, size_t len, int64_t ms);

#endif
