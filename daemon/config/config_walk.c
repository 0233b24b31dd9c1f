/* config_walk.c - the schema walker: checks YAML mappings against key tables and reads typed
 * values. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

/* The most keys any one table has; keeps the per-mapping bookkeeping on the stack. */
#define WALK_MAX_FIELDS 32

/* ---- errors and line notes ---------------------------------------------------------------- */

static int walk_errors_vadd(acd_config_errors_t *errs, int line, const char *fmt, va_list ap)
{
    if (errs->n == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 8;
        acd_config_error_t *v = realloc(errs->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        errs->v = v;
        errs->cap = cap;
    }
    acd_config_error_t *e = &errs->v[errs->n++];
    e->line = line;
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    return 0;
}

int acd__cfg_errors_add(acd_config_errors_t *errs, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = walk_errors_vadd(errs, line, fmt, ap);
    va_end(ap);
    return rc;
}

void acd__cfg_error(acd__cfg_ctx_t *ctx, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (walk_errors_vadd(ctx->errs, line, fmt, ap) < 0)
        ctx->rc = -ENOMEM;
    va_end(ap);
}

void acd__cfg_line_note(acd__cfg_ctx_t *ctx, const void *addr, int line)
{
    if (ctx->n_lines == ctx->cap_lines) {
        size_t cap = ctx->cap_lines ? ctx->cap_lines * 2 : 64;
        acd__cfg_line_t *v = realloc(ctx->lines, cap * sizeof(*v));
        if (!v) {
            ctx->rc = -ENOMEM;
            return;
        }
        ctx->lines = v;
        ctx->cap_lines = cap;
    }
    ctx->lines[ctx->n_lines++] = (acd__cfg_line_t){addr, line};
}

static int walk_line_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const acd__cfg_line_t *)a)->addr;
    uintptr_t y = (uintptr_t)((const acd__cfg_line_t *)b)->addr;
    return x < y ? -1 : x > y;
}

void acd__cfg_lines_sort(acd__cfg_ctx_t *ctx)
{
    if (ctx->n_lines)
        qsort(ctx->lines, ctx->n_lines, sizeof(*ctx->lines), walk_line_cmp);
}

int acd__cfg_line_of(const acd__cfg_ctx_t *ctx, const void *addr)
{
    if (!ctx->n_lines)
        return 0;
    acd__cfg_line_t key = {addr, 0};
    const acd__cfg_line_t *hit =
        bsearch(&key, ctx->lines, ctx->n_lines, sizeof(*ctx->lines), walk_line_cmp);
    return hit ? hit->line : 0;
}

/* ---- nodes -------------------------------------------------------------------------------- */

int acd__cfg_node_line(const yaml_node_t *node)
{
    return node ? (int)node->start_mark.line + 1 : 0;
}

bool acd__cfg_node_is_null(const yaml_node_t *node)
{
    if (!node || node->type != YAML_SCALAR_NODE ||
        node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)node->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

size_t acd__cfg_seq_len(const yaml_node_t *node)
{
    return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

yaml_node_t *acd__cfg_seq_item(acd__cfg_ctx_t *ctx, yaml_node_t *seq, size_t i)
{
    return yaml_document_get_node(ctx->doc, seq->data.sequence.items.start[i]);
}

const char *acd__cfg_scalar(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *node,
                            const char *what)
{
    if (node->type != YAML_SCALAR_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(node), "expected %s for '%s'", what, f->key);
        return NULL;
    }
    const char *s = (const char *)node->data.scalar.value;
    if (strlen(s) != node->data.scalar.length) {
        acd__cfg_error(ctx, acd__cfg_node_line(node), "'%s' contains a NUL character", f->key);
        return NULL;
    }
    return s;
}

/* Stores a copy of s in the char * at dst (freeing what was there) and notes its line. */
static void walk_store(acd__cfg_ctx_t *ctx, char **dst, const char *s, yaml_node_t *node)
{
    char *copy = strdup(s);
    if (!copy) {
        ctx->rc = -ENOMEM;
        return;
    }
    free(*dst);
    *dst = copy;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(node));
}

static void *walk_field(void *base, size_t offset)
{
    return (char *)base + offset;
}

/* ---- the walker ----------------------------------------------------------------------------- */

static const acd__cfg_field_t *walk_find(const acd__cfg_table_t *t, const char *key)
{
    /* Keys past WALK_MAX_FIELDS could not be tracked, so a table never has more. */
    for (size_t i = 0; i < t->n_fields && i < WALK_MAX_FIELDS; i++) {
        if (!strcmp(t->fields[i].key, key))
            return &t->fields[i];
    }
    return NULL;
}

void acd__cfg_walk_map(acd__cfg_ctx_t *ctx, yaml_node_t *node, const acd__cfg_table_t *table,
                       void *base, const char *label)
{
    int seen[WALK_MAX_FIELDS] = {0}; /* line of each key found, 0 while unseen */
    const char *where = label ? label : "the top level";
    /* A table that outgrew the bookkeeping would lose keys silently: refuse every file. */
    if (table->n_fields > WALK_MAX_FIELDS)
        acd__cfg_error(ctx, 0, "internal: %s has %zu keys, more than the %d the loader tracks",
                       where, table->n_fields, WALK_MAX_FIELDS);

    if (node && node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
            yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
            int kline = acd__cfg_node_line(k);
            if (!k || !v || k->type != YAML_SCALAR_NODE) {
                acd__cfg_error(ctx, kline, "keys in %s must be plain words", where);
                continue;
            }
            const char *key = (const char *)k->data.scalar.value;
            const acd__cfg_field_t *f = walk_find(table, key);
            if (!f) {
                const char *hint = table->unknown_hint ? table->unknown_hint : "";
                if (label)
                    acd__cfg_error(ctx, kline, "unknown key '%.60s' in %s%s", key, label, hint);
                else
                    acd__cfg_error(ctx, kline, "unknown top-level key '%.60s'%s", key, hint);
                continue;
            }
            size_t i = (size_t)(f - table->fields);
            if (seen[i]) {
                acd__cfg_error(ctx, kline, "duplicate key '%s' in %s (first on line %d)", key,
                               where, seen[i]);
                continue;
            }
            seen[i] = kline;
            if (acd__cfg_node_is_null(v)) {
                if (f->required)
                    acd__cfg_error(ctx, kline, "missing value for '%s' in %s", key, where);
                continue;
            }
            f->read(ctx, f, v, base);
        }
    }
    for (size_t i = 0; i < table->n_fields && i < WALK_MAX_FIELDS; i++) {
        if (table->fields[i].required && !seen[i])
            acd__cfg_error(ctx, acd__cfg_node_line(node), "missing required key '%s' in %s",
                           table->fields[i].key, where);
    }
}

/* ---- strings -------------------------------------------------------------------------------- */

void acd__cfg_read_string(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a string");
    if (!s)
        return;
    if (!*s) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "'%s' must not be empty", f->key);
        return;
    }
    walk_store(ctx, walk_field(base, f->offset), s, v);
}

/* True when s is non-empty and every byte is alphanumeric or in extra. */
static bool walk_charset(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !strchr(extra, c))
            return false;
    }
    return true;
}

#define WALK_NAME_EXTRA "._-"
#define WALK_USER_EXTRA "+*#._-"

/* Checks one name or user; reports with the field's noun (or key) and returns the text. */
static const char *walk_token(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                              bool user)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a string");
    if (!s)
        return NULL;
    const char *noun = f->noun ? f->noun : f->key;
    if (!walk_charset(s, user ? WALK_USER_EXTRA : WALK_NAME_EXTRA)) {
        if (user)
            acd__cfg_error(ctx, acd__cfg_node_line(v),
                           "bad %s '%.60s': use digits, letters and + * # . _ -", noun, s);
        else
            acd__cfg_error(ctx, acd__cfg_node_line(v),
                           "bad %s '%.60s': use letters, digits, '.', '_' and '-'", noun, s);
        return NULL;
    }
    return s;
}

void acd__cfg_read_name(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = walk_token(ctx, f, v, false);
    if (s)
        walk_store(ctx, walk_field(base, f->offset), s, v);
}

void acd__cfg_read_user(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = walk_token(ctx, f, v, true);
    if (s)
        walk_store(ctx, walk_field(base, f->offset), s, v);
}

void acd__cfg_read_ip(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "an IP address");
    if (!s)
        return;
    unsigned char tmp[16];
    if (inet_pton(AF_INET, s, tmp) != 1 && inet_pton(AF_INET6, s, tmp) != 1) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be an IPv4 or IPv6 address (got '%.60s')", f->key, s);
        return;
    }
    walk_store(ctx, walk_field(base, f->offset), s, v);
}

void acd__cfg_read_choice(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a string");
    if (!s)
        return;
    for (const char *const *c = f->choices; *c; c++) {
        if (!strcasecmp(s, *c)) {
            walk_store(ctx, walk_field(base, f->offset), *c, v);
            return;
        }
    }
    acd_buf_t known = {0};
    for (const char *const *c = f->choices; *c; c++) {
        if (acd_buf_printf(&known, "%s%s", c == f->choices ? "" : ", ", *c) < 0)
            ctx->rc = -ENOMEM;
    }
    acd__cfg_error(ctx, acd__cfg_node_line(v), "unknown %s '%.60s' (known: %s)",
                   f->noun ? f->noun : f->key, s, known.p ? known.p : "");
    acd_buf_fini(&known);
}

void acd__cfg_read_bool(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "true or false");
    if (!s)
        return;
    bool *dst = walk_field(base, f->offset);
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes")) {
        *dst = true;
    } else if (!strcasecmp(s, "false") || !strcasecmp(s, "no")) {
        *dst = false;
    } else {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "'%s' must be true or false (got '%.60s')",
                       f->key, s);
        return;
    }
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

bool acd__cfg_each_item(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                        acd__cfg_item_cb cb, void *arg)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return cb(ctx, f, v, arg);
    bool ok = true;
    for (size_t i = 0, n = acd__cfg_seq_len(v); i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        ok = (item && cb(ctx, f, item, arg)) && ok;
    }
    return ok;
}

/* Sets the bit of the choice node names in the uint32_t at arg; reports an unknown one. */
static bool walk_flag(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *node, void *arg)
{
    uint32_t *bits = arg;
    const char *s = acd__cfg_scalar(ctx, f, node, "a name");
    if (!s)
        return false;
    for (const char *const *c = f->choices; *c; c++) {
        if (!strcasecmp(s, *c)) {
            *bits |= 1u << (c - f->choices);
            return true;
        }
    }
    acd_buf_t known = {0};
    for (const char *const *c = f->choices; *c; c++) {
        if (acd_buf_printf(&known, "%s%s", c == f->choices ? "" : ", ", *c) < 0)
            ctx->rc = -ENOMEM;
    }
    acd__cfg_error(ctx, acd__cfg_node_line(node), "unknown %s '%.60s' in '%s' (known: %s)",
                   f->noun ? f->noun : "name", s, f->key, known.p ? known.p : "");
    acd_buf_fini(&known);
    return false;
}

void acd__cfg_read_flags(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    if (v->type == YAML_SEQUENCE_NODE && acd__cfg_seq_len(v) == 0) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must list at least one %s (leave the key out for any)", f->key,
                       f->noun ? f->noun : "name");
        return;
    }
    uint32_t bits = 0;
    if (!acd__cfg_each_item(ctx, f, v, walk_flag, &bits))
        return;
    uint32_t *dst = walk_field(base, f->offset);
    *dst = bits;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

/* ---- numbers -------------------------------------------------------------------------------- */

/*
 * Parses a number from v into *out; whole demands an integer. Reports "expected a number"
 * or "expected a whole number" and returns -EINVAL when the text is not one.
 */
static int walk_number(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, bool whole,
                       double *out)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a number");
    if (!s)
        return -EINVAL;
    int line = acd__cfg_node_line(v);
    bool starts_ok = (*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.';
    char *end = NULL;
    errno = 0;
    double d = starts_ok ? strtod(s, &end) : 0;
    if (!starts_ok || *end || errno || !isfinite(d) || strpbrk(s, "xXpP")) {
        acd__cfg_error(ctx, line, "expected a number for '%s' (got '%.60s')", f->key, s);
        return -EINVAL;
    }
    if (whole) {
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (*end) {
            acd__cfg_error(ctx, line, "expected a whole number for '%s' (got '%.60s')", f->key, s);
            return -EINVAL;
        }
        /* Past long long the double is kept: the range check then rejects it. */
        if (errno != ERANGE)
            d = (double)n;
    }
    *out = d;
    return 0;
}

/* Reads a whole number inside [f->min, f->max]; returns -EINVAL after reporting otherwise. */
static int walk_ranged_int(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, int *out)
{
    double d;
    if (walk_number(ctx, f, v, true, &d) < 0)
        return -EINVAL;
    if (d < f->min || d > f->max) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "'%s' must be between %g and %g (got %.60s)",
                       f->key, f->min, f->max, (const char *)v->data.scalar.value);
        return -EINVAL;
    }
    *out = (int)d;
    return 0;
}

void acd__cfg_read_int(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    int n;
    if (walk_ranged_int(ctx, f, v, &n) < 0)
        return;
    int *dst = walk_field(base, f->offset);
    *dst = n;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

void acd__cfg_read_port(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    int n;
    if (walk_ranged_int(ctx, f, v, &n) < 0)
        return;
    uint16_t *dst = walk_field(base, f->offset);
    *dst = (uint16_t)n;
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

void acd__cfg_read_seconds(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base)
{
    double d;
    if (walk_number(ctx, f, v, false, &d) < 0)
        return;
    if (d < f->min || d > f->max) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be between %g and %g seconds (got %.60s)", f->key, f->min, f->max,
                       (const char *)v->data.scalar.value);
        return;
    }
    int *dst = walk_field(base, f->offset);
    *dst = (int)llround(d * 1000.0);
    acd__cfg_line_note(ctx, dst, acd__cfg_node_line(v));
}

/* ---- lists ---------------------------------------------------------------------------------- */

/*
 * Reads a sequence of tokens into a new char ** array at f->offset with its count at
 * f->count_offset. Bad entries are reported and left out.
 */
static void walk_tokens(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base,
                        bool user)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "expected a list for '%s'", f->key);
        return;
    }
    char ***dst = walk_field(base, f->offset);
    size_t *count = walk_field(base, f->count_offset);
    size_t n = acd__cfg_seq_len(v);
    char **arr = n ? calloc(n, sizeof(*arr)) : NULL;
    if (n && !arr) {
        ctx->rc = -ENOMEM;
        return;
    }
    *dst = arr;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        if (!item || acd__cfg_node_is_null(item)) {
            acd__cfg_error(ctx, acd__cfg_node_line(item ? item : v), "empty entry in '%s'", f->key);
            continue;
        }
        const char *s = walk_token(ctx, f, item, user);
        if (!s)
            continue;
        walk_store(ctx, &arr[*count], s, item);
        if (arr[*count])
            (*count)++;
    }
}

void acd__cfg_read_names(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    walk_tokens(ctx, f, v, base, false);
}

void acd__cfg_read_users(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base)
{
    walk_tokens(ctx, f, v, base, true);
}

void acd__cfg_read_section(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base)
{
    if (v->type != YAML_MAPPING_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "expected a mapping for '%s'", f->key);
        return;
    }
    acd__cfg_walk_map(ctx, v, f->table, base, f->table->noun);
}

/* Writes "noun 'name'" for an entry whose label_key is a usable scalar, else "key entry N". */
static void walk_entry_label(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *item,
                             size_t index, char *out, size_t len)
{
    const acd__cfg_table_t *t = f->table;
    snprintf(out, len, "%s entry %zu", f->key, index + 1);
    if (item->type != YAML_MAPPING_NODE || !t->label_key)
        return;
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
        if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
            !strcmp((const char *)k->data.scalar.value, t->label_key) &&
            !acd__cfg_node_is_null(v)) {
            snprintf(out, len, "%s '%.60s'", t->noun, (const char *)v->data.scalar.value);
            return;
        }
    }
}

void acd__cfg_read_entries(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "expected a list for '%s'", f->key);
        return;
    }
    const acd__cfg_table_t *t = f->table;
    void **dst = walk_field(base, f->offset);
    size_t *count = walk_field(base, f->count_offset);
    size_t n = acd__cfg_seq_len(v);
    char *arr = n ? calloc(n, t->elem_size) : NULL;
    if (n && !arr) {
        ctx->rc = -ENOMEM;
        return;
    }
    /* The whole array is handed over first so that acd_config_free() sees every entry. */
    *dst = arr;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        char *elem = arr + i * t->elem_size;
        if (t->init)
            t->init(elem);
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        if (!item || item->type != YAML_MAPPING_NODE) {
            acd__cfg_error(ctx, acd__cfg_node_line(item ? item : v),
                           "each entry of '%s' must be a mapping (key: value ...)", f->key);
            continue;
        }
        char label[96];
        walk_entry_label(ctx, f, item, i, label, sizeof(label));
        acd__cfg_walk_map(ctx, item, t, elem, label);
    }
}
