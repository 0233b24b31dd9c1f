/* cdr.h - call detail records: one record per customer call, appended to a file. */
#ifndef ACD_REPORT_CDR_H
#define ACD_REPORT_CDR_H

#include "acd/core.h"
#include "util/buf.h"

typedef struct acd_cdr_writer acd_cdr_writer_t;

/*
 * How a writer turns records into bytes: JSON lines (acd_cdr_json, here) or CSV
 * (acd_cdr_csv, report/cdr_csv.h). Both walk the same fields (report/cdr_field.h).
 */
typedef struct acd_cdr_format {
    const char *name; /* "json", "csv" */
    /* Appends what starts an empty file (CSV: the header row); NULL: nothing. Returns 0 or
     * -ENOMEM. */
    int (*header)(acd_buf_t *out);
    /* Appends one whole record of site's, its line end included. Returns 0, -EINVAL
     * (a record that cannot be written) or -ENOMEM. */
    int (*record)(acd_buf_t *out, const acd_cdr_t *cdr, const char *site);
} acd_cdr_format_t;

/* One JSON line per record (acd_cdr_format_json() and a newline); no header. */
extern const acd_cdr_format_t acd_cdr_json;

/*
 * Opens (creates, appends to) the CDR file at path for records in fmt; "-" writes to
 * stdout. When the file is empty (new, or emptied by logrotate), fmt's header is written
 * first; so is it on reopen. *wp belongs to the caller (acd_cdr_writer_close), written
 * only on success. Returns 0, -EINVAL (NULL or empty argument), -ENOMEM or a negative
 * errno from open() or write().
 */
int acd_cdr_writer_open_format(acd_cdr_writer_t **wp, const char *path, const char *site,
                               const acd_cdr_format_t *fmt);

/* acd_cdr_writer_open_format() with JSON lines. */
int acd_cdr_writer_open(acd_cdr_writer_t **wp, const char *path, const char *site);

/*
 * Writes one record in the writer's format with one write(2) (flushed to the kernel, no
 * fsync). Returns 0 or a negative errno. JSON fields, in this order: site, call_id,
 * tenant, did, caller, queue, agent (null when none), agent_site (null unless another
 * site's), enqueue_time, answer_time (null), end_time (RFC 3339 UTC with milliseconds),
 * wait_s, talk_s, wrapup_s, handle_s (seconds, 3 decimals; handle = talk + wrap-up),
 * offers, disposition, enqueue_ms, answer_ms (null), end_ms; and, only on the calls they
 * describe: priority, priority_reason, delivery, restored_from (a redial that took back
 * the place of a failed call, ADR 0016), callback (true: our callback, ADR 0019).
 */
int acd_cdr_write(acd_cdr_writer_t *w, const acd_cdr_t *cdr);

/* Appends the JSON object (no newline) for cdr to out; used by the writer and the API. */
int acd_cdr_format_json(acd_buf_t *out, const acd_cdr_t *cdr, const char *site);

/* Reopens the file (after logrotate; SIGHUP), keeping the old one when the path cannot be
 * opened. Returns 0 or a negative errno. */
int acd_cdr_writer_reopen(acd_cdr_writer_t *w);
void acd_cdr_writer_close(acd_cdr_writer_t *w);

#endif
