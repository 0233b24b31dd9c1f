/* buf.h - a growable byte buffer that owns its memory. */
#ifndef ACD_UTIL_BUF_H
#define ACD_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/str.h"

/* p is always NUL-terminated when non-NULL; n excludes the NUL. Zero-initialise to start. */
typedef struct acd_buf {
    char *p;
    size_t n;
    size_t cap;
} acd_buf_t;

/* Ensures room for extra more bytes plus the NUL; returns 0 or -ENOMEM. */
int acd_buf_reserve(acd_buf_t *b, size_t extra);
int acd_buf_append(acd_buf_t *b, const void *data, size_t len);
int acd_buf_append_str(acd_buf_t *b, acd_str_t s);
int acd_buf_printf(acd_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int acd_buf_vprintf(acd_buf_t *b, const char *fmt, va_list ap);
/* Forgets the contents, keeps the memory. */
void acd_buf_reset(acd_buf_t *b);
/* Frees the memory; the buffer is zeroed and may be reused. */
void acd_buf_fini(acd_buf_t *b);
/* Hands the memory to the caller (who frees it) and zeroes the buffer. */
char *acd_buf_steal(acd_buf_t *b, size_t *len);

static inline acd_str_t acd_buf_str(const acd_buf_t *b)
{
    return (acd_str_t){b->p ? b->p : "", b->n};
}

#endif
