/* ctl_table.c - the fixed-width tables acdctl prints (QUEUES, AGENTS, CALLS, PEERS). */
#include "ctl/ctl_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

acd__ctl_row_t *acd__ctl_table_row(acd__ctl_table_t *t)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        acd__ctl_row_t *rows = realloc(t->rows, cap * sizeof(*rows));
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    acd__ctl_row_t *r = &t->rows[t->nrows++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* One line: every column but the last padded to its width, two spaces apart. */
static void table_line(FILE *f, const acd__ctl_table_t *t, const size_t *width,
                       const char *const *cells)
{
    for (size_t c = 0; c + 1 < t->ncols; c++)
        fprintf(f, "%-*s  ", (int)width[c], cells[c]);
    fprintf(f, "%s\n", cells[t->ncols - 1]);
}

void acd__ctl_table_print(const acd__ctl_table_t *t, FILE *f)
{
    size_t width[CTL_COLS_MAX];

    for (size_t c = 0; c < t->ncols; c++) {
        width[c] = strlen(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = strlen(t->rows[r].cell[c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    fprintf(f, "\n%s\n", t->title);
    table_line(f, t, width, t->heads);
    for (size_t r = 0; r < t->nrows; r++) {
        const char *cells[CTL_COLS_MAX];
        for (size_t c = 0; c < t->ncols; c++)
            cells[c] = t->rows[r].cell[c];
        table_line(f, t, width, cells);
    }
    if (t->nrows == 0)
        fputs("(none)\n", f);
}

int acd__ctl_table_fill(acd__ctl_table_t *t, json_object *doc, const char *key, int64_t now,
                        void (*fill)(acd__ctl_row_t *r, json_object *o, int64_t now))
{
    json_object *arr;
    if (!json_object_object_get_ex(doc, key, &arr))
        return 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        acd__ctl_row_t *r = acd__ctl_table_row(t);
        if (!r)
            return -ENOMEM;
        fill(r, json_object_array_get_idx(arr, i), now);
    }
    return 0;
}
