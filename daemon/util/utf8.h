/* utf8.h - strict UTF-8 validation of byte strings received from peers. */
#ifndef ACD_UTIL_UTF8_H
#define ACD_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Returns the length of the longest prefix of s[0..n) that is well-formed UTF-8 as
 * RFC 3629 and Unicode table 3-7 define it: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. Returns n when the
 * whole string is valid. NUL bytes are valid UTF-8; callers that forbid them check
 * separately. s may be NULL only when n is 0.
 */
size_t acd_utf8_valid_prefix(const char *s, size_t n);

/* True when all of s[0..n) is well-formed UTF-8. */
static inline bool acd_utf8_valid(const char *s, size_t n)
{
    return acd_utf8_valid_prefix(s, n) == n;
}

#endif
