/* queue_log.c - queue_log lines as Asterisk writes them, and the append-only file they go to. */
#include "report/queue_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fdio.h"
#include "util/log.h"

/* ---- lines ---- */

/* Appends s without the bytes that would break the line apart: '|', CR, LF. */
static int qlog_field(acd_buf_t *out, const char *s)
{
    if (!s)
        return 0;
    while (*s) {
        size_t n = strcspn(s, "|\r\n");
        if (n && acd_buf_append(out, s, n) < 0)
            return -ENOMEM;
        s += n;
        if (*s)
            s++;
    }
    return 0;
}

int acd_qlog_line(acd_buf_t *out, int64_t epoch, const char *callid, const char *queue,
                  const char *agent, const char *event, const char *const *data, size_t n)
{
    if (!out || !event || (n && !data))
        return -EINVAL;
    const char *const names[] = {callid, queue, agent, event};
    int rc = acd_buf_printf(out, "%" PRId64, epoch);
    for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++) {
        rc = acd_buf_append(out, "|", 1);
        if (rc == 0)
            rc = qlog_field(out, names[i]);
    }
    /* Asterisk prints "...|EVENT|" and then the data: no data still leaves the '|'. */
    for (size_t i = 0; rc == 0 && i < (n ? n : 1); i++) {
        rc = acd_buf_append(out, "|", 1);
        if (rc == 0 && n)
            rc = qlog_field(out, data[i]);
    }
    if (rc == 0)
        rc = acd_buf_append(out, "\n", 1);
    return rc < 0 ? -ENOMEM : 0;
}

/* ---- the file ---- */

struct acd_qlog_writer {
    int fd;
    char *path;
};

static bool qlog_path_ok(const char *path)
{
    return path && *path && strcmp(path, "-") != 0;
}

int acd_qlog_writer_open(acd_qlog_writer_t **wp, const char *path)
{
    if (!wp || !qlog_path_ok(path))
        return -EINVAL;
    int rc = 0;
    acd_qlog_writer_t *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fd = -1;
    if (!(w->path = strdup(path))) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = acd_open_append(path)) < 0)
        goto out;
    w->fd = rc;
    rc = 0;
    *wp = w;
out:
    if (rc < 0)
        acd_qlog_writer_close(w);
    return rc;
}

int acd_qlog_writer_write(acd_qlog_writer_t *w, const char *buf, size_t len)
{
    if (!w || (len && !buf))
        return -EINVAL;
    int first = 0;
    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t n = nl ? (size_t)(nl - buf) + 1 : len;
        int rc = acd_write_all(w->fd, buf, n);
        if (rc < 0 && first == 0)
            first = rc;
        buf += n;
        len -= n;
    }
    return first;
}

int acd_qlog_writer_reopen(acd_qlog_writer_t *w, const char *path)
{
    if (!w || (path && !qlog_path_ok(path)))
        return -EINVAL;
    char *p = path ? strdup(path) : NULL;
    if (path && !p)
        return -ENOMEM;
    int fd = acd_open_append(p ? p : w->path);
    if (fd < 0) {
        free(p);
        return fd;
    }
    close(w->fd);
    w->fd = fd;
    if (p) {
        free(w->path);
        w->path = p;
    }
    return 0;
}

const char *acd_qlog_writer_path(const acd_qlog_writer_t *w)
{
    return w ? w->path : NULL;
}

void acd_qlog_writer_close(acd_qlog_writer_t *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w);
}

/* ---- both ---- */

struct acd_queue_log {
    acd_qlog_t *fmt;
    acd_qlog_writer_t *w;
    acd_buf_t lines; /* reused for every event */
    bool failing;    /* the last write failed: logged once until one succeeds */
};

/* Writes what the formatter produced (rc its answer) and says so when it cannot. */
static void queue_log_flush(acd_queue_log_t *l, int rc)
{
    if (rc == 0 && l->lines.n)
        rc = acd_qlog_writer_write(l->w, l->lines.p, l->lines.n);
    acd_buf_reset(&l->lines);
    if (rc < 0 && !l->failing)
        acd_log_err("ACD-QLOG-WRITE-FAILED",
                    "path=%s err=%s: queue_log lines are lost until"
                    " writing works again",
                    acd_qlog_writer_path(l->w), acd_errname(rc));
    else if (rc == 0 && l->failing)
        acd_log_notice("ACD-QLOG-WRITE-OK", "path=%s: queue_log written again",
                       acd_qlog_writer_path(l->w));
    l->failing = rc < 0;
}

int acd_queue_log_open(acd_queue_log_t **lp, const char *path, acd_ms_t now)
{
    if (!lp)
        return -EINVAL;
    acd_queue_log_t *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    int rc = acd_qlog_alloc(&l->fmt);
    if (rc == 0)
        rc = acd_qlog_writer_open(&l->w, path);
    if (rc == 0)
        rc = acd_qlog_start(l->fmt, now, &l->lines);
    if (rc == 0)
        rc = acd_qlog_writer_write(l->w, l->lines.p, l->lines.n);
    acd_buf_reset(&l->lines);
    if (rc < 0) {
        acd_queue_log_close(l);
        return rc;
    }
    *lp = l;
    return 0;
}

void acd_queue_log_configure(acd_queue_log_t *l, const acd_core_t *core, const acd_core_cfg_t *cfg,
                             const acd_actions_t *acts, acd_ms_t now)
{
    if (l)
        queue_log_flush(l, acd_qlog_configure(l->fmt, core, cfg, acts, now, &l->lines));
}

void acd_queue_log_observe(acd_queue_log_t *l, const acd_core_t *core, const acd_event_t *ev,
                           int rc, const acd_actions_t *acts, acd_ms_t now)
{
    if (l)
        queue_log_flush(l, acd_qlog_event(l->fmt, core, ev, rc, acts, now, &l->lines));
}

int acd_queue_log_reopen(acd_queue_log_t *l, const char *path)
{
    return l ? acd_qlog_writer_reopen(l->w, path) : -EINVAL;
}

void acd_queue_log_close(acd_queue_log_t *l)
{
    if (!l)
        return;
    acd_qlog_writer_close(l->w);
    acd_qlog_free(l->fmt);
    acd_buf_fini(&l->lines);
    free(l);
}
