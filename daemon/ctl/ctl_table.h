/* ctl_table.h - the fixed-width tables acdctl prints (QUEUES, AGENTS, CALLS, PEERS). */
#ifndef ACD_CTL_CTL_TABLE_H
#define ACD_CTL_CTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#define CTL_COLS_MAX 8
#define CTL_CELL_MAX 72

typedef struct acd__ctl_row {
    char cell[CTL_COLS_MAX][CTL_CELL_MAX];
} acd__ctl_row_t;

/* A table printed with each column as wide as its widest cell. */
typedef struct acd__ctl_table {
    const char *title;
    const char *const *heads;
    size_t ncols;
    acd__ctl_row_t *rows;
    size_t nrows, cap;
} acd__ctl_table_t;

/* Appends an empty row and returns it, or NULL when out of memory. */
acd__ctl_row_t *acd__ctl_table_row(acd__ctl_table_t *t);

/* Prints the title, the heads and every row (or "(none)"); the caller frees t->rows. */
void acd__ctl_table_print(const acd__ctl_table_t *t, FILE *f);

/* Fills one row per element of the array at key; fill writes the cells. Returns 0 or -ENOMEM. */
int acd__ctl_table_fill(acd__ctl_table_t *t, json_object *doc, const char *key, int64_t now,
                        void (*fill)(acd__ctl_row_t *r, json_object *o, int64_t now));

#define CTL_CELL(r, i, ...) snprintf((r)->cell[i], CTL_CELL_MAX, __VA_ARGS__)

#endif
