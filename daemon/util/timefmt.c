/* timefmt.c - RFC 3339 timestamps with milliseconds. */
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

int acd_time_rfc3339(char *buf, size_t len, int64_t ms)
{
    if (!buf || len == 0)
        return -EINVAL;
    buf[0] = '\0';
    int64_t sec = ms / 1000 - (ms % 1000 != 0 && ms < 0); /* floor division */
    unsigned milli = (unsigned)(ms - sec * 1000);
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return -EINVAL;
    int n = snprintf(buf, len, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900),
                     (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
                     (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
                     (unsigned)tm.tm_sec % 100u, milli % 1000u);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return -EINVAL;
    }
    return 0;
}
