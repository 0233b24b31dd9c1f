/* cdr.h - call detail records: one JSON line per customer call. */
#ifndef ACD_REPORT_CDR_H
#define ACD_REPORT_CDR_H

#include "acd/core.h"
#include "util/buf.h"

typedef struct acd_cdr_writer acd_cdr_writer_t;

/*
 * Opens (creates, appends to) the CDR file at path; "-" writes to stdout. *wp belongs to
 * the caller. Returns 0 or a negative errno from open().
 */
int acd_cdr_writer_open(acd_cdr_writer_t **wp, const char *path, const char *site);

/*
 * Writes one record as one JSON line and flushes it to the kernel (no fsync). Fields:
 * site, call_id, tenant, did, caller, queue, agent (null when none), enqueue_time,
 * answer_time (null), end_time (RFC 3339 UTC with milliseconds), wait_s, talk_s
 * (seconds, 3 decimals), offers, disposition, agent_site (null unless another site's),
 * enqueue_ms, answer_ms (null), end_ms; and, only for a call that took back the place
 * of a failed one on redial (ADR 0016), restored_from: that call's id; only for a call
 * that was our callback to the caller (ADR 0019), callback: true (after restored_from).
 * Returns 0 or a negative errno.
 */
int acd_cdr_write(acd_cdr_writer_t *w, const acd_cdr_t *cdr);

/* Appends the JSON object (no newline) for cdr to out; used by the writer and the API. */
int acd_cdr_format_json(acd_buf_t *out, const acd_cdr_t *cdr, const char *site);

/* Reopens the file (after logrotate; SIGHUP). Returns 0 or a negative errno. */
int acd_cdr_writer_reopen(acd_cdr_writer_t *w);
void acd_cdr_writer_close(acd_cdr_writer_t *w);

#endif
