/* queue_log.h - Asterisk's queue_log: a line for every queue and agent event, and its file. */
#ifndef ACD_REPORT_QUEUE_LOG_H
#define ACD_REPORT_QUEUE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"
#include "util/buf.h"

/*
 * The format is Asterisk's (main/logger.c ast_queue_log, the events of apps/app_queue.c),
 * so that call-center reporting tools that read Asterisk's queue_log read this one:
 *
 *     epoch|callid|queue|agent|EVENT|data1|data2|...
 *
 * epoch in whole seconds; callid the call's id (the CDR's call_id, unique across the
 * cluster: it starts with the site's name), "NONE" for agent and global events; queue
 * "NONE" for global and agent-session events; agent "Agent/<agent id>", "NONE" for
 * caller-only events. Nothing is escaped: '|', CR and LF are removed from every field,
 * and a line whose event has no data still ends in '|'. docs/queue_log.md lists every
 * event with its data and which site of a cluster writes which line (ADR 0026).
 */

#define ACD_QLOG_NONE "NONE"
#define ACD_QLOG_AGENT_PREFIX "Agent/"

/*
 * Appends one line (with its LF) to out: the epoch, the four names and the n data fields,
 * each stripped of '|', CR and LF; n == 0 writes one empty data field, so the line still
 * ends in '|'. NULL names and fields count as "". Returns 0, -EINVAL (out or event
 * NULL), -ENOMEM (out holds a partial line then; the caller resets it).
 */
int acd_qlog_line(acd_buf_t *out, int64_t epoch, const char *callid, const char *queue,
                  const char *agent, const char *event, const char *const *data, size_t n);

/* ---- the formatter: pure, no I/O, time passed in ---- */

/*
 * Turns the core's applied events into lines. It remembers what the lines need and the
 * core does not keep: each call's queue entry (its original position, for ABANDON and
 * COMPLETE*), the offer ringing (RINGNOANSWER's ring time), each agent's login time and
 * the queue memberships of the configuration (PAUSE per queue, ADDMEMBER, REMOVEMEMBER).
 * A call is followed from its ENTERQUEUE to its last line; one this formatter never saw
 * enter gets no lines. Not thread-safe.
 */
typedef struct acd_qlog acd_qlog_t;

/* Creates an empty formatter in *qp (the caller's). Returns 0, -EINVAL, -ENOMEM. */
int acd_qlog_alloc(acd_qlog_t **qp);
/* Frees q and what it remembers; NULL is harmless. */
void acd_qlog_free(acd_qlog_t *q);

/* Appends QUEUESTART (NONE|NONE|NONE), the line a log starts with, at now. */
int acd_qlog_start(acd_qlog_t *q, acd_ms_t now, acd_buf_t *out);

/*
 * The core took configuration cfg at now (acd_core_configure answered 0), producing
 * acts. The first call only records the memberships (a starting site's members are
 * configured, as Asterisk's static members, and get no lines); later ones append
 * CONFIGRELOAD, REMOVEMEMBER for each membership gone and ADDMEMBER for each new one
 * (callid NONE), then the lines of acts (an agent removed from the configuration is
 * logged off). cfg and acts are only read. Returns 0, -EINVAL, -ENOMEM (q then keeps
 * the old memberships; out may hold part of the lines).
 */
int acd_qlog_configure(acd_qlog_t *q, const acd_core_t *core, const acd_core_cfg_t *cfg,
                       const acd_actions_t *acts, acd_ms_t now, acd_buf_t *out);

/*
 * The core applied ev at now with answer rc and actions acts, and core holds the state
 * the event left (acd__cc_observe's contract). Appends the event's lines to out; a
 * refused event (rc < 0) has none. Reads core, never changes it. Returns 0, -EINVAL,
 * -ENOMEM (lines of this event may be missing, and what q remembers of its calls may be
 * behind: a later line of such a call can be missing too).
 */
int acd_qlog_event(acd_qlog_t *q, const acd_core_t *core, const acd_event_t *ev, int rc,
                   const acd_actions_t *acts, acd_ms_t now, acd_buf_t *out);

/* Calls and agents the formatter follows now (for tests: nothing is kept past its end). */
size_t acd_qlog_calls(const acd_qlog_t *q);
size_t acd_qlog_agents(const acd_qlog_t *q);

/* ---- the file ---- */

/*
 * An append-only file of whole lines: each line is one write(2) on an O_APPEND
 * descriptor, so a reader (a tool tailing the file) never sees half a line and nothing
 * waits in a user-space buffer.
 */
typedef struct acd_qlog_writer acd_qlog_writer_t;

/* Opens (creates, mode 0640, or appends to) path into *wp. Returns 0, -EINVAL (no
 * path, or "-": the queue_log is a file), a negative errno from open(), -ENOMEM. */
int acd_qlog_writer_open(acd_qlog_writer_t **wp, const char *path);
/* Writes the complete lines of buf[0..len), one write(2) each (a trailing part without
 * LF is written as a line of its own). Returns 0 or the first negative errno. */
int acd_qlog_writer_write(acd_qlog_writer_t *w, const char *buf, size_t len);
/* Reopens the file (logrotate, SIGHUP), at path when not NULL, else at the same path.
 * The new file is opened before the old one is closed: on failure the old one stays in
 * use. Returns 0 or a negative errno. */
int acd_qlog_writer_reopen(acd_qlog_writer_t *w, const char *path);
const char *acd_qlog_writer_path(const acd_qlog_writer_t *w);
void acd_qlog_writer_close(acd_qlog_writer_t *w);

/* ---- both, as call control uses them ---- */

/*
 * A site's queue_log: the formatter and the file. Errors of the observe and configure
 * calls are logged (ACD-QLOG-WRITE-FAILED, once until a write succeeds again), never
 * returned: the call path goes on whatever the report does.
 */
typedef struct acd_queue_log acd_queue_log_t;

/* Opens path and writes QUEUESTART at now; *lp is the caller's. Returns 0 or the
 * writer's errors. */
int acd_queue_log_open(acd_queue_log_t **lp, const char *path, acd_ms_t now);
/* acd_qlog_configure, written to the file. */
void acd_queue_log_configure(acd_queue_log_t *l, const acd_core_t *core, const acd_core_cfg_t *cfg,
                             const acd_actions_t *acts, acd_ms_t now);
/* acd_qlog_event, written to the file. */
void acd_queue_log_observe(acd_queue_log_t *l, const acd_core_t *core, const acd_event_t *ev,
                           int rc, const acd_actions_t *acts, acd_ms_t now);
/* acd_qlog_writer_reopen. */
int acd_queue_log_reopen(acd_queue_log_t *l, const char *path);
/* Closes the file and frees everything; NULL is harmless. */
void acd_queue_log_close(acd_queue_log_t *l);

#endif
