/* config_int.h - internals shared by the config loader: the parse context and the schema tables. */
#ifndef ACD_CONFIG_CONFIG_INT_H
#define ACD_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/config.h"

/* Where one value of the finished config came from: the address of the field and its line. */
typedef struct acd__cfg_line {
    const void *addr;
    int line;
} acd__cfg_line_t;

/*
 * State of one load. The context borrows doc, cfg and errs from acd_config_load_string();
 * it owns only the lines array. rc becomes -ENOMEM after the first allocation failure; the
 * walk then keeps going (without recording more) so that cleanup stays on one path.
 */
typedef struct acd__cfg_ctx {
    yaml_document_t *doc;
    acd_config_t *cfg;
    acd_config_errors_t *errs;
    acd__cfg_line_t *lines; /* sorted by addr once the walk is over */
    size_t n_lines, cap_lines;
    int rc;
} acd__cfg_ctx_t;

typedef struct acd__cfg_field acd__cfg_field_t;
typedef struct acd__cfg_table acd__cfg_table_t;

/*
 * Reads value (never a YAML null) into the field f of the struct at base. A reader
 * reports every problem itself through acd__cfg_error() and leaves the field at its
 * default when the value is bad.
 */
typedef void (*acd__cfg_read_cb)(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *value,
                                 void *base);

/* One key of a YAML mapping and how to read its value. */
struct acd__cfg_field {
    const char *key;
    acd__cfg_read_cb read;
    size_t offset;       /* of the destination inside the struct being filled */
    size_t count_offset; /* lists: of the size_t element count */
    bool required;
    double min, max;               /* numbers: the accepted range (seconds for durations) */
    const char *const *choices;    /* choice fields: NULL-terminated accepted spellings */
    const char *noun;              /* choice fields: "strategy" in "unknown strategy 'x'" */
    const acd__cfg_table_t *table; /* sections and lists of mappings */
};

/* The keys of one kind of mapping: a section or one entry of a list. */
struct acd__cfg_table {
    const char *noun;      /* "tenant" in "tenant 'demo'", or the section name */
    const char *label_key; /* list entries: the key naming the entry ("name", "id") */
    const acd__cfg_field_t *fields;
    size_t n_fields;
    size_t elem_size;         /* list entries: sizeof the element */
    void (*init)(void *elem); /* list entries: sets numeric defaults; may be NULL */
    const char *unknown_hint; /* appended to "unknown key" messages; may be NULL */
};

/* The root tables (config_schema.c): every top-level key of a site file, of a shared one. */
extern const acd__cfg_table_t acd__cfg_root;
extern const acd__cfg_table_t acd__cfg_shared_root;

/* Appends "message" at line (1-based, 0 for the whole file) to ctx->errs. */
void acd__cfg_error(acd__cfg_ctx_t *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends to errs directly (used before a context exists); returns 0 or -ENOMEM. */
int acd__cfg_errors_add(acd_config_errors_t *errs, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remembers that the value stored at addr came from line. */
void acd__cfg_line_note(acd__cfg_ctx_t *ctx, const void *addr, int line);
/* The line noted for addr after acd__cfg_lines_sort(), or 0 when none was noted. */
int acd__cfg_line_of(const acd__cfg_ctx_t *ctx, const void *addr);
void acd__cfg_lines_sort(acd__cfg_ctx_t *ctx);

/* The 1-based line where node starts. */
int acd__cfg_node_line(const yaml_node_t *node);
/* True for a plain empty scalar, "~" or "null": the key is present but has no value. */
bool acd__cfg_node_is_null(const yaml_node_t *node);
/* Number of items in a sequence node. */
size_t acd__cfg_seq_len(const yaml_node_t *node);
/* The i-th item of a sequence node. */
yaml_node_t *acd__cfg_seq_item(acd__cfg_ctx_t *ctx, yaml_node_t *seq, size_t i);

/*
 * Walks the mapping node against table, filling the struct at base. label names the
 * mapping in messages ("sip", "tenant 'demo'"); NULL means the top level. A null node
 * counts as an empty mapping. Reports unknown, duplicate and missing keys.
 */
void acd__cfg_walk_map(acd__cfg_ctx_t *ctx, yaml_node_t *node, const acd__cfg_table_t *table,
                       void *base, const char *label);

/* Generic readers for table entries (config_walk.c). */
void acd__cfg_read_string(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base);
/* An identifier: letters, digits, '.', '_', '-' (names of sites, tenants, queues, trunks). */
void acd__cfg_read_name(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* A SIP user part such as a DID or agent id, written as a YAML string or integer. */
void acd__cfg_read_user(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* An IPv4 or IPv6 address literal, stored as text. */
void acd__cfg_read_ip(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* A whole number in [min, max] stored as int, or as uint16_t by read_port. */
void acd__cfg_read_int(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
void acd__cfg_read_port(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* Seconds (integer or decimal) in [min, max], stored as int milliseconds. */
void acd__cfg_read_seconds(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base);
/* One of f->choices (case-insensitive), stored as the table's spelling. */
void acd__cfg_read_choice(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base);
/* A list of names (read_names) or of SIP users (read_users): char ** plus a count. */
void acd__cfg_read_names(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                         void *base);
void acd__cfg_read_users(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                         void *base);
/* A nested section: walks f->table with the same base. */
void acd__cfg_read_section(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base);
/* A list of mappings: allocates an array of f->table->elem_size and walks each entry. */
void acd__cfg_read_entries(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base);

/* Cross-reference checks on the walked config: duplicates and unknown names (config_check.c). */
void acd__cfg_check(acd__cfg_ctx_t *ctx);

#endif
