/* cdr.c - call detail records: the append-only writer, and one JSON line per customer call. */
#include "report/cdr.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/cdr_field.h"
#include "util/fdio.h"

struct acd_cdr_writer {
    int fd; /* STDOUT_FILENO when path is "-" (never closed here) */
    char *path;
    char *site;
    const acd_cdr_format_t *fmt;
    acd_buf_t line; /* reused for every record */
};

static bool cdr_is_stdout(const char *path)
{
    return strcmp(path, "-") == 0;
}

/* Writes the format's header when fd is an empty file (new, or emptied by logrotate). */
static int cdr_maybe_header(acd_cdr_writer_t *w, int fd)
{
    struct stat st;
    if (!w->fmt->header || fstat(fd, &st) < 0 || st.st_size != 0)
        return 0;
    acd_buf_reset(&w->line);
    int rc = w->fmt->header(&w->line);
    return rc == 0 ? acd_write_all(fd, w->line.p, w->line.n) : rc;
}

/* Opens path for appending (stdout for "-"), with the header when it is empty. */
static int cdr_open_fd(acd_cdr_writer_t *w)
{
    int fd = STDOUT_FILENO;
    if (!cdr_is_stdout(w->path)) {
        fd = acd_open_append(w->path);
        if (fd < 0)
            return fd;
    }
    int rc = cdr_maybe_header(w, fd);
    if (rc < 0 && fd != STDOUT_FILENO)
        close(fd);
    return rc < 0 ? rc : fd;
}

int acd_cdr_writer_open_format(acd_cdr_writer_t **wp, const char *path, const char *site,
                               const acd_cdr_format_t *fmt)
{
    if (!wp || !path || !*path || !site || !fmt || !fmt->record)
        return -EINVAL;
    int rc;
    acd_cdr_writer_t *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fd = -1;
    w->fmt = fmt;
    w->path = strdup(path);
    w->site = strdup(site);
    if (!w->path || !w->site) {
        rc = -ENOMEM;
        goto out;
    }
    rc = cdr_open_fd(w);
    if (rc < 0)
        goto out;
    w->fd = rc;
    rc = 0;
    *wp = w;
out:
    if (rc < 0)
        acd_cdr_writer_close(w);
    return rc;
}

int acd_cdr_writer_open(acd_cdr_writer_t **wp, const char *path, const char *site)
{
    return acd_cdr_writer_open_format(wp, path, site, &acd_cdr_json);
}

int acd_cdr_writer_reopen(acd_cdr_writer_t *w)
{
    if (!w)
        return -EINVAL;
    if (cdr_is_stdout(w->path))
        return 0;
    /* Open the new file before closing the old, so a failure keeps the old one working. */
    int fd = cdr_open_fd(w);
    if (fd < 0)
        return fd;
    close(w->fd);
    w->fd = fd;
    return 0;
}

void acd_cdr_writer_close(acd_cdr_writer_t *w)
{
    if (!w)
        return;
    if (w->fd >= 0 && w->fd != STDOUT_FILENO)
        close(w->fd);
    acd_buf_fini(&w->line);
    free(w->path);
    free(w->site);
    free(w);
}

int acd_cdr_write(acd_cdr_writer_t *w, const acd_cdr_t *cdr)
{
    if (!w || !cdr)
        return -EINVAL;
    acd_buf_reset(&w->line);
    int rc = w->fmt->record(&w->line, cdr, w->site);
    if (rc == 0)
        rc = acd_write_all(w->fd, w->line.p, w->line.n);
    return rc;
}

/* ---- JSON ---- */

/* A JSON number with exactly 3 decimals for ms/1000, printed from the integer. */
static json_object *cdr_seconds(int64_t ms)
{
    char s[32];
    acd__cdr_seconds_text(s, sizeof(s), ms);
    return json_object_new_double_s((double)ms / 1000.0, s);
}

/* A JSON string of text made valid UTF-8 (acd__cdr_text_append), in scratch. */
static json_object *cdr_string(acd_buf_t *scratch, const char *s, size_t len)
{
    acd_buf_reset(scratch);
    if (acd__cdr_text_append(scratch, s, len) < 0)
        return NULL;
    return json_object_new_string_len(scratch->p, (int)scratch->n);
}

/* The JSON value of v (never null or omitted here), or NULL when out of memory. */
static json_object *cdr_json_value(acd_buf_t *scratch, const acd__cdr_value_t *v)
{
    switch (v->kind) {
    case ACD__CDR_TEXT:
        return cdr_string(scratch, v->text, v->len);
    case ACD__CDR_SECONDS:
        return cdr_seconds(v->num);
    case ACD__CDR_INT:
        return json_object_new_int64(v->num);
    case ACD__CDR_BOOL:
        return json_object_new_boolean(v->num != 0);
    }
    return NULL;
}

int acd_cdr_format_json(acd_buf_t *out, const acd_cdr_t *cdr, const char *site)
{
    if (!out)
        return -EINVAL;
    acd__cdr_row_t row;
    int rc = acd__cdr_row(&row, cdr, site);
    if (rc < 0)
        return rc;
    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    acd_buf_t scratch = {0};
    /* The order of the row is the order in the line: json-c keeps insertion order. */
    for (size_t i = 0; rc == 0 && i < ACD__CDR_FIELDS; i++) {
        const acd__cdr_value_t *v = &row.v[i];
        if (v->omitted)
            continue;
        json_object *jv = v->null ? NULL : cdr_json_value(&scratch, v);
        if ((!jv && !v->null) || json_object_object_add(o, v->key, jv) != 0) {
            json_object_put(jv);
            rc = -ENOMEM;
        }
    }
    acd_buf_fini(&scratch);
    if (rc == 0) {
        size_t len = 0;
        const char *s = json_object_to_json_string_length(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        rc = s ? acd_buf_append(out, s, len) : -ENOMEM;
    }
    json_object_put(o);
    return rc;
}

static int cdr_json_record(acd_buf_t *out, const acd_cdr_t *cdr, const char *site)
{
    int rc = acd_cdr_format_json(out, cdr, site);
    return rc == 0 ? acd_buf_append(out, "\n", 1) : rc;
}

const acd_cdr_format_t acd_cdr_json = {
    .name = "json",
    .header = NULL,
    .record = cdr_json_record,
};
