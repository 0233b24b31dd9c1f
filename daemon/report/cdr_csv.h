/* cdr_csv.h - call detail records as CSV (RFC 4180): the JSON line's fields, one row each. */
#ifndef ACD_REPORT_CDR_CSV_H
#define ACD_REPORT_CDR_CSV_H

#include "acd/core.h"
#include "report/cdr.h"
#include "util/buf.h"

/*
 * Rows of the same fields as the JSON line, in the same order (acd_cdr_write() in
 * report/cdr.h), every column on every row: a null value, and a key a call does not
 * carry (priority ... callback), is an empty field. Seconds have 3 decimals, callback
 * is "true" or empty. A field holding a comma, a double quote, CR or LF is quoted, its
 * quotes doubled; rows end in CRLF. A writer opened with it starts an empty file with
 * the header row (acd_cdr_csv_header).
 */
extern const acd_cdr_format_t acd_cdr_csv;

/* Appends the header row (the column names, CRLF) to out. Returns 0 or -ENOMEM. */
int acd_cdr_csv_header(acd_buf_t *out);

/*
 * Appends cdr's row for site, CRLF included, to out. Returns 0, -EINVAL (NULL argument,
 * unknown disposition, a time that cannot be written) or -ENOMEM; out may then hold
 * part of the row.
 */
int acd_cdr_format_csv(acd_buf_t *out, const acd_cdr_t *cdr, const char *site);

/*
 * Appends s[0..n) as one CSV field, quoted (its double quotes doubled) only when it holds
 * a comma, a double quote, CR or LF (RFC 4180 2.6, 2.7); for other CSV reports of acdd.
 * Returns 0 or -ENOMEM.
 */
int acd__cdr_csv_field(acd_buf_t *out, const char *s, size_t n);

#endif
