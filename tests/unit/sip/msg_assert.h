/* msg_assert.h - typed cmocka asserts on string slices, for the SIP message tests. */
#ifndef ACD_TEST_MSG_ASSERT_H
#define ACD_TEST_MSG_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/str.h"

/*
 * Asserts that slice s holds exactly want (a C string), or is absent when want is NULL.
 * Both sides are printed on failure.
 */
static inline void msg_slice_eq(acd_str_t s, const char *want, const char *file, int line)
{
    if (!want) {
        if (s.p) {
            char got[512];
            acd_str_copy(got, sizeof(got), s);
            _assert_string_equal(got, "(absent)", file, line);
        }
        return;
    }
    if (!s.p)
        _assert_string_equal("(absent)", want, file, line);
    char *got = malloc(s.n + 1);
    _assert_true(got != NULL, "malloc", file, line);
    memcpy(got, s.p, s.n);
    got[s.n] = '\0';
    if (strcmp(got, want) != 0) {
        char copy[1024];
        snprintf(copy, sizeof(copy), "%s", got);
        free(got);
        _assert_string_equal(copy, want, file, line);
    }
    free(got);
}

#define assert_slice(s, want) msg_slice_eq((s), (want), __FILE__, __LINE__)

/* Reads a whole file into a malloc'd buffer; returns NULL when it cannot be read. */
static inline char *msg_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap ? cap * 2 : 4096);
            if (!p)
                break;
            buf = p;
            cap = cap ? cap * 2 : 4096;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

#endif
