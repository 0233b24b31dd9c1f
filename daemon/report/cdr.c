/* cdr.c - call detail records: one JSON line per customer call, appended with write(2). */
#include "report/cdr.h"
#include "util/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/utf8.h"

struct acd_cdr_writer {
    int fd; /* STDOUT_FILENO when path is "-" (never closed here) */
    char *path;
    char *site;
    acd_buf_t line; /* reused for every record */
};

/* Names of dispositions, from core.h's own table. */
static const char *const cdr_disposition_names[] = {
#define CDR__D_NAME(e, s) [e] = s,
    ACD_DISPOSITIONS(CDR__D_NAME)
#undef CDR__D_NAME
};

#define CDR_MODE 0640

static bool cdr_is_stdout(const char *path)
{
    return strcmp(path, "-") == 0;
}

static int cdr_open_fd(const char *path)
{
    if (cdr_is_stdout(path))
        return STDOUT_FILENO;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, CDR_MODE);
    return fd < 0 ? -errno : fd;
}

int acd_cdr_writer_open(acd_cdr_writer_t **wp, const char *path, const char *site)
{
    if (!wp || !path || !*path || !site)
        return -EINVAL;
    int rc;
    acd_cdr_writer_t *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fd = -1;
    w->path = strdup(path);
    w->site = strdup(site);
    if (!w->path || !w->site) {
        rc = -ENOMEM;
        goto out;
    }
    rc = cdr_open_fd(path);
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

int acd_cdr_writer_reopen(acd_cdr_writer_t *w)
{
    if (!w)
        return -EINVAL;
    if (cdr_is_stdout(w->path))
        return 0;
    /* Open the new file before closing the old, so a failure keeps the old one working. */
    int fd = cdr_open_fd(w->path);
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

/*
 * Writes all of buf, resuming after short writes and EINTR. With O_APPEND one write(2)
 * of a line is one append; a short write (disk full) can split a line, which is still
 * better than dropping the rest of the record.
 */
static int cdr_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int acd_cdr_write(acd_cdr_writer_t *w, const acd_cdr_t *cdr)
{
    if (!w || !cdr)
        return -EINVAL;
    acd_buf_reset(&w->line);
    int rc = acd_cdr_format_json(&w->line, cdr, w->site);
    if (rc == 0)
        rc = acd_buf_append(&w->line, "\n", 1);
    if (rc == 0)
        rc = cdr_write_all(w->fd, w->line.p, w->line.n);
    return rc;
}

/* ---- JSON ---- */

/* A JSON number with exactly 3 decimals for ms/1000, printed from the integer. */
static json_object *cdr_seconds(int64_t ms)
{
    char s[32];
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    snprintf(s, sizeof(s), "%s%" PRIu64 ".%03u", ms < 0 ? "-" : "", mag / 1000,
             (unsigned)(mag % 1000));
    return json_object_new_double_s((double)ms / 1000.0, s);
}

/*
 * A JSON string for the at most max bytes of s. Field values come from SIP headers in
 * the end, and a byte that is not UTF-8 would make the whole line unreadable to strict
 * JSON parsers, so each such byte is replaced by '?'.
 */
static json_object *cdr_string(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    size_t ok = acd_utf8_valid_prefix(s, n);
    if (ok == n)
        return json_object_new_string_len(s, (int)n);
    acd_buf_t b = {0};
    while (n > 0) {
        if (acd_buf_append(&b, s, ok) < 0 || (ok < n && acd_buf_append(&b, "?", 1) < 0)) {
            acd_buf_fini(&b);
            return NULL;
        }
        size_t skip = ok < n ? ok + 1 : n;
        s += skip;
        n -= skip;
        ok = acd_utf8_valid_prefix(s, n);
    }
    json_object *o = json_object_new_string_len(b.p ? b.p : "", (int)b.n);
    acd_buf_fini(&b);
    return o;
}

typedef struct cdr_field {
    const char *key;
    json_object *value; /* NULL: JSON null when nullable, else allocation failure */
    bool nullable;
} cdr_field_t;

#define CDR_ID(s) cdr_string((s), ACD_ID_MAX)

int acd_cdr_format_json(acd_buf_t *out, const acd_cdr_t *cdr, const char *site)
{
    if (!out || !cdr || !site)
        return -EINVAL;
    if ((unsigned)cdr->disposition >=
        sizeof(cdr_disposition_names) / sizeof(cdr_disposition_names[0]))
        return -EINVAL;
    bool agent = cdr->agent[0] != '\0';
    bool remote = agent && cdr->agent_site[0] != '\0';
    bool answered = cdr->answer_ms != 0;
    bool restored = cdr->restored_from[0] != '\0';
    char enqueue_t[40], answer_t[40], end_t[40];
    if (acd_time_rfc3339(enqueue_t, sizeof(enqueue_t), cdr->enqueue_ms) < 0 ||
        acd_time_rfc3339(end_t, sizeof(end_t), cdr->end_ms) < 0 ||
        (answered && acd_time_rfc3339(answer_t, sizeof(answer_t), cdr->answer_ms) < 0))
        return -EINVAL;
    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    /* The order here is the order in the line: json-c keeps keys in insertion order. */
    cdr_field_t f[] = {
        {"site", cdr_string(site, strlen(site)), false},
        {"call_id", CDR_ID(cdr->call_id), false},
        {"tenant", CDR_ID(cdr->tenant), false},
        {"did", CDR_ID(cdr->did), false},
        {"caller", CDR_ID(cdr->caller), false},
        {"queue", CDR_ID(cdr->queue), false},
        {"agent", agent ? CDR_ID(cdr->agent) : NULL, !agent},
        {"agent_site", remote ? CDR_ID(cdr->agent_site) : NULL, !remote},
        {"enqueue_time", json_object_new_string(enqueue_t), false},
        {"answer_time", answered ? json_object_new_string(answer_t) : NULL, !answered},
        {"end_time", json_object_new_string(end_t), false},
        {"wait_s", cdr_seconds(cdr->wait_ms), false},
        {"talk_s", cdr_seconds(cdr->talk_ms), false},
        {"offers", json_object_new_int(cdr->offers), false},
        {"disposition", json_object_new_string(cdr_disposition_names[cdr->disposition]), false},
        {"enqueue_ms", json_object_new_int64(cdr->enqueue_ms), false},
        {"answer_ms", answered ? json_object_new_int64(cdr->answer_ms) : NULL, !answered},
        {"end_ms", json_object_new_int64(cdr->end_ms), false},
        /* Room for the keys only some calls have, filled in below. */
        {NULL, NULL, false},
        {NULL, NULL, false},
        {NULL, NULL, false},
        {NULL, NULL, false},
        {NULL, NULL, false},
    };
    /* Last, and only when set, so lines of other calls stay as they always were. */
    size_t nf = sizeof(f) / sizeof(f[0]) - 5;
    if (cdr->priority)
        f[nf++] = (cdr_field_t){"priority", json_object_new_int(cdr->priority), false};
    if (cdr->priority_reason[0])
        f[nf++] = (cdr_field_t){"priority_reason", CDR_ID(cdr->priority_reason), false};
    if (cdr->delivery[0])
        f[nf++] = (cdr_field_t){"delivery", CDR_ID(cdr->delivery), false};
    if (restored)
        f[nf++] = (cdr_field_t){"restored_from", CDR_ID(cdr->restored_from), false};
    if (cdr->callback)
        f[nf++] = (cdr_field_t){"callback", json_object_new_boolean(1), false};
    int rc = 0;
    for (size_t i = 0; i < nf; i++) {
        if (!f[i].value && !f[i].nullable)
            rc = -ENOMEM;
    }
    /* Every value is either handed to o or released here, whatever failed. */
    for (size_t i = 0; i < nf; i++) {
        if (rc == 0 && json_object_object_add(o, f[i].key, f[i].value) == 0)
            continue;
        rc = -ENOMEM;
        json_object_put(f[i].value);
    }
    if (rc == 0) {
        size_t len = 0;
        const char *s = json_object_to_json_string_length(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        rc = s ? acd_buf_append(out, s, len) : -ENOMEM;
    }
    json_object_put(o);
    return rc;
}
