/* buf.c - growable byte buffer. */
#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int acd_buf_reserve(acd_buf_t *b, size_t extra)
{
    if (extra > ((size_t)1 << 30) || b->n + extra + 1 <= b->cap)
        return extra > ((size_t)1 << 30) ? -ENOMEM : 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int acd_buf_append(acd_buf_t *b, const void *data, size_t len)
{
    int rc = acd_buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

int acd_buf_append_str(acd_buf_t *b, acd_str_t s)
{
    return acd_buf_append(b, s.p, s.n);
}

int acd_buf_vprintf(acd_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int need = vsnprintf(tmp, sizeof(tmp), fmt, ap2);
    va_end(ap2);
    if (need < 0)
        return -EINVAL;
    if ((size_t)need < sizeof(tmp))
        return acd_buf_append(b, tmp, (size_t)need);
    int rc = acd_buf_reserve(b, (size_t)need);
    if (rc < 0)
        return rc;
    vsnprintf(b->p + b->n, (size_t)need + 1, fmt, ap);
    b->n += (size_t)need;
    return 0;
}

int acd_buf_printf(acd_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = acd_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void acd_buf_reset(acd_buf_t *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

void acd_buf_fini(acd_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

char *acd_buf_steal(acd_buf_t *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}
