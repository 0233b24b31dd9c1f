/* log.h - structured logs: one line per event, a stable message ID, key=value fields. */
#ifndef ACD_UTIL_LOG_H
#define ACD_UTIL_LOG_H

#include <stdio.h>

typedef enum acd_log_level {
    ACD_LOG_DEBUG,
    ACD_LOG_INFO,
    ACD_LOG_NOTICE,
    ACD_LOG_WARN,
    ACD_LOG_ERR,
} acd_log_level_t;

/*
 * Sets where logs go (stderr when out is NULL), the lowest level written and the site
 * name stamped on every line. Not thread-safe; call before the loop starts.
 */
void acd_log_init(FILE *out, acd_log_level_t min, const char *site);

/* Parses "debug", "info", "notice", "warn", "error"; returns -EINVAL otherwise. */
int acd_log_level_parse(const char *name, acd_log_level_t *out);

/*
 * Writes one line:
 *   2026-11-22T13:04:14.123Z level=info site=A id=ACD-SIP-TXN-TIMEOUT call=... msg
 * id is a stable message ID "ACD-<MODULE>-<WHAT>" that operators and drills grep for;
 * fmt should produce "key=value ..." fields first and free text last. Newlines in the
 * formatted text are replaced so one event is always one line. Caller numbers are
 * personal data: log them only at debug level.
 */
void acd_log(acd_log_level_t level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define acd_log_debug(id, ...) acd_log(ACD_LOG_DEBUG, id, __VA_ARGS__)
#define acd_log_info(id, ...) acd_log(ACD_LOG_INFO, id, __VA_ARGS__)
#define acd_log_notice(id, ...) acd_log(ACD_LOG_NOTICE, id, __VA_ARGS__)
#define acd_log_warn(id, ...) acd_log(ACD_LOG_WARN, id, __VA_ARGS__)
#define acd_log_err(id, ...) acd_log(ACD_LOG_ERR, id, __VA_ARGS__)

/* True when a line at level would be written (to skip costly formatting). */
int acd_log_enabled(acd_log_level_t level);

#endif
