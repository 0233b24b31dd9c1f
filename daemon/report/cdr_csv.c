/* cdr_csv.c - call detail records as CSV (RFC 4180): the JSON line's fields, one row each. */
#include "report/cdr_csv.h"

#include <errno.h>
#include <string.h>

#include "report/cdr_field.h"

int acd__cdr_csv_field(acd_buf_t *out, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return acd_buf_append(out, s, n);
    int rc = acd_buf_append(out, "\"", 1);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s[i] == '"' ? acd_buf_append(out, "\"\"", 2) : acd_buf_append(out, &s[i], 1);
    return rc == 0 ? acd_buf_append(out, "\"", 1) : rc;
}

/* Appends v's text as one field; scratch holds text made valid UTF-8. */
static int csv_value(acd_buf_t *out, acd_buf_t *scratch, const acd__cdr_value_t *v)
{
    char num[32];
    if (v->null || v->omitted)
        return 0;
    switch (v->kind) {
    case ACD__CDR_TEXT:
        acd_buf_reset(scratch);
        if (acd__cdr_text_append(scratch, v->text, v->len) < 0)
            return -ENOMEM;
        return acd__cdr_csv_field(out, scratch->p, scratch->n);
    case ACD__CDR_SECONDS:
        acd__cdr_seconds_text(num, sizeof(num), v->num);
        return acd_buf_append_str(out, acd_str_from(num));
    case ACD__CDR_INT:
        return acd_buf_printf(out, "%lld", (long long)v->num);
    case ACD__CDR_BOOL:
        return acd_buf_append_str(out, acd_str_from(v->num ? "true" : "false"));
    }
    return -EINVAL;
}

int acd_cdr_format_csv(acd_buf_t *out, const acd_cdr_t *cdr, const char *site)
{
    if (!out)
        return -EINVAL;
    acd__cdr_row_t row;
    int rc = acd__cdr_row(&row, cdr, site);
    acd_buf_t scratch = {0};
    for (size_t i = 0; rc == 0 && i < ACD__CDR_FIELDS; i++) {
        if (i > 0)
            rc = acd_buf_append(out, ",", 1);
        if (rc == 0)
            rc = csv_value(out, &scratch, &row.v[i]);
    }
    acd_buf_fini(&scratch);
    return rc == 0 ? acd_buf_append(out, "\r\n", 2) : rc;
}

int acd_cdr_csv_header(acd_buf_t *out)
{
    if (!out)
        return -EINVAL;
    /* Every row has the same keys in the same order, so any record names the columns. */
    static const acd_cdr_t blank = {0};
    acd__cdr_row_t row;
    int rc = acd__cdr_row(&row, &blank, "");
    for (size_t i = 0; rc == 0 && i < ACD__CDR_FIELDS; i++) {
        if (i > 0)
            rc = acd_buf_append(out, ",", 1);
        if (rc == 0)
            rc = acd_buf_append_str(out, acd_str_from(row.v[i].key));
    }
    return rc == 0 ? acd_buf_append(out, "\r\n", 2) : rc;
}

const acd_cdr_format_t acd_cdr_csv = {
    .name = "csv",
    .header = acd_cdr_csv_header,
    .record = acd_cdr_format_csv,
};
