/* timefmt.h - timestamps as operators read them: RFC 3339 UTC with milliseconds. */
#ifndef ACD_UTIL_TIMEFMT_H
#define ACD_UTIL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define ACD_TIME_RFC3339_LEN 32

/*
 * Writes ms (milliseconds since the Unix epoch, may be negative) into buf as
 * "2026-11-22T13:04:14.123Z". buf must hold ACD_TIME_RFC3339_LEN bytes.
 * Returns 0, or -EINVAL when the time cannot be represented (buf then holds "").
 */
int acd_time_rfc3339(char *buf, size_t len, int64_t ms);

#endif
