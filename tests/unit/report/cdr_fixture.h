/* cdr_fixture.h - what the CDR writer tests share: two sample records and a temp file. */
#ifndef ACD_TEST_REPORT_CDR_FIXTURE_H
#define ACD_TEST_REPORT_CDR_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acd/core.h"

#define T_ENQUEUE 1795352654123 /* 2026-11-22T13:04:14.123Z */
#define T_ANSWER 1795352666623  /* 2026-11-22T13:04:26.623Z */
#define T_END 1795352754000     /* 2026-11-22T13:05:54.000Z */

/* A call answered by agent 2001 after two offers, with the queue's 30 s wrap-up. */
static inline acd_cdr_t answered_cdr(void)
{
    acd_cdr_t c = {
        .call_id = "A-000123",
        .tenant = "dental",
        .did = "+34910000001",
        .caller = "+34600111222",
        .queue = "reception",
        .agent = "2001",
        .enqueue_ms = T_ENQUEUE,
        .answer_ms = T_ANSWER,
        .end_ms = T_END,
        .wait_ms = T_ANSWER - T_ENQUEUE,
        .talk_ms = T_END - T_ANSWER,
        .wrapup_ms = 30000, /* the queue's wrap-up: handle time is talk + this */
        .offers = 2,
        .disposition = ACD_DISP_ANSWERED,
    };
    return c;
}

/* A caller without a number who hung up after 5 ms in the queue. */
static inline acd_cdr_t abandoned_cdr(void)
{
    acd_cdr_t c = {
        .call_id = "A-000124",
        .tenant = "dental",
        .did = "+34910000001",
        .caller = "",
        .queue = "reception",
        .agent = "",
        .enqueue_ms = T_ENQUEUE,
        .end_ms = T_ENQUEUE + 5,
        .wait_ms = 5,
        .disposition = ACD_DISP_ABANDONED,
    };
    return c;
}

/* A temp dir with the path of a CDR file in it and the path logrotate moves it to. */
typedef struct tmp {
    char dir[64];
    char path[128];
    char rotated[128];
} tmp_t;

static inline int tmp_setup(void **state)
{
    tmp_t *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    strcpy(t->dir, "/tmp/acd-cdr-XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof(t->path), "%s/cdr", t->dir);
    snprintf(t->rotated, sizeof(t->rotated), "%s/cdr.1", t->dir);
    *state = t;
    return 0;
}

static inline int tmp_teardown(void **state)
{
    tmp_t *t = *state;
    unlink(t->path);
    unlink(t->rotated);
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Reads path into a NUL-terminated malloc'd string (the caller frees it). */
static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

#endif
