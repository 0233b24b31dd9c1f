/* str.h - zero-copy string slices: a pointer and a length into someone else's buffer. */
#ifndef ACD_UTIL_STR_H
#define ACD_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/*
 * A slice never owns its bytes and is not NUL-terminated. Whoever hands out a slice
 * says how long the underlying buffer lives; a slice with p == NULL is "absent", and
 * a slice with n == 0 but p != NULL is "present and empty".
 */
typedef struct acd_str {
    const char *p;
    size_t n;
} acd_str_t;

#define ACD_STR(lit) ((acd_str_t){(lit), sizeof(lit) - 1})
#define ACD_STR_NULL ((acd_str_t){NULL, 0})
/* printf("%.*s", ACD_STR_FMT(s)) */
#define ACD_STR_FMT(s) (int)(s).n, ((s).p ? (s).p : "")

static inline acd_str_t acd_str_from(const char *cstr)
{
    return cstr ? (acd_str_t){cstr, strlen(cstr)} : ACD_STR_NULL;
}

static inline bool acd_str_present(acd_str_t s)
{
    return s.p != NULL;
}

static inline bool acd_str_eq(acd_str_t a, acd_str_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool acd_str_ieq(acd_str_t a, acd_str_t b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p, b.p, a.n) == 0);
}

static inline bool acd_str_eqc(acd_str_t a, const char *c)
{
    return c && acd_str_eq(a, acd_str_from(c));
}

static inline bool acd_str_ieqc(acd_str_t a, const char *c)
{
    return c && acd_str_ieq(a, acd_str_from(c));
}

/* Copies s into buf (size len) NUL-terminated, truncating; returns buf. */
static inline char *acd_str_copy(char *buf, size_t len, acd_str_t s)
{
    size_t n = s.n < len - 1 ? s.n : len - 1;
    if (n)
        memcpy(buf, s.p, n);
    buf[n] = '\0';
    return buf;
}

#endif
