/* log.c - structured log lines with stable message IDs. */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static FILE *log_out;
static acd_log_level_t log_min = ACD_LOG_INFO;
static char log_site[64] = "-";

static const char *const log_names[] = {"debug", "info", "notice", "warn", "error"};

void acd_log_init(FILE *out, acd_log_level_t min, const char *site)
{
    log_out = out;
    log_min = min;
    snprintf(log_site, sizeof(log_site), "%s", site && *site ? site : "-");
}

int acd_log_level_parse(const char *name, acd_log_level_t *out)
{
    for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
        if (strcasecmp(name, log_names[i]) == 0) {
            *out = (acd_log_level_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

int acd_log_enabled(acd_log_level_t level)
{
    return level >= log_min;
}

void acd_log(acd_log_level_t level, const char *id, const char *fmt, ...)
{
    if (level < log_min)
        return;
    char line[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s site=%s id=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)(tv.tv_usec / 1000), log_names[level], log_site, id);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    for (size_t i = (size_t)n; i < len; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    line[len++] = '\n';
    fwrite(line, 1, len, log_out ? log_out : stderr);
    if (level >= ACD_LOG_WARN || !log_out)
        fflush(log_out ? log_out : stderr);
}
