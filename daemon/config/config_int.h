/* config_int.h - internals shared by the config loader: the parse context and the schema tables. */
#ifndef ACD_CONFIG_CONFIG_INT_H
#define ACD_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config/config.h"
#include "util/hmap.h"
#include "util/str.h"

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
    uint32_t kinds; /* target fields: accepted kinds, bits of acd__cfg_target_kind_t */
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
/* The entries of the lists tenants (config_tenant.c), queues and agents (config_queue.c). */
extern const acd__cfg_table_t acd__cfg_tenant_table;
extern const acd__cfg_table_t acd__cfg_queue_table;
extern const acd__cfg_table_t acd__cfg_agent_table;
/* The queue strategies acdd implements, NULL-terminated; the first is the default. */
extern const char *const acd__cfg_strategies[];

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

/*
 * Returns the text of a scalar node, or NULL after reporting "expected <what> for 'key'"
 * when node is not a scalar or holds a NUL byte (which no C string could keep).
 */
const char *acd__cfg_scalar(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *node,
                            const char *what);

/* Reads one item of a list for acd__cfg_each_item(); returns false after reporting it. */
typedef bool (*acd__cfg_item_cb)(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *item,
                                 void *arg);
/*
 * Calls cb on each item of the sequence v, or on v itself when it is not a sequence (a
 * list of one written alone). Every item is visited, so each bad one is reported.
 * Returns true when cb accepted them all.
 */
bool acd__cfg_each_item(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                        acd__cfg_item_cb cb, void *arg);

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
/*
 * admin.token_file (config_token.c): a path whose file holds the admin API's bearer
 * token; stores the path at f->offset and the token in the config's admin_token. The
 * file must be a regular file that other users cannot read, holding one token of 16..256
 * characters of RFC 6750's b64token set, optionally followed by a newline.
 */
void acd__cfg_read_token_file(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                              void *base);
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
/* true/false (also yes/no), any case, stored as bool. */
void acd__cfg_read_bool(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/*
 * A list of f->choices (or one of them alone), stored as a uint32_t with bit i set for
 * choices[i]. An empty list is an error: leaving the key out is how to say "any".
 */
void acd__cfg_read_flags(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                         void *base);
/* A target (config_target.c) of one of the kinds in f->kinds, stored as text. */
void acd__cfg_read_target(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base);
/* Time (config_when.c): an IANA zone found in tzdata, stored as text. */
void acd__cfg_read_timezone(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                            void *base);
/* Weekdays: a list of mon..sun and ranges (mon-fri), or one such string; a uint8_t of bits. */
void acd__cfg_read_days(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* A time of day HH:MM (00:00..24:00) stored as int minutes after midnight. */
void acd__cfg_read_hhmm(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v, void *base);
/* A list of real dates YYYY-MM-DD: acd_cfg_date_t * plus a count. */
void acd__cfg_read_dates(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                         void *base);
/* A nested section: walks f->table with the same base. */
void acd__cfg_read_section(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base);
/* A list of mappings: allocates an array of f->table->elem_size and walks each entry. */
void acd__cfg_read_entries(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                           void *base);

/* ---- targets (config_target.c) ---- */

/* What a target does; the bits of acd__cfg_field_t.kinds. */
typedef enum acd__cfg_target_kind {
    ACD__CFG_T_QUEUE,
    ACD__CFG_T_MENU,
    ACD__CFG_T_VOICEMAIL,
    ACD__CFG_T_HOURS,
    ACD__CFG_T_OPERATOR,
    ACD__CFG_T_CALLBACK,
    ACD__CFG_T_ESCALATE,
    ACD__CFG_T_REPEAT,
    ACD__CFG_T_HANGUP,
    ACD__CFG_T_COUNT
} acd__cfg_target_kind_t;

#define ACD__CFG_T_BIT(k) (1u << (k))
#define ACD__CFG_T_ALL (ACD__CFG_T_BIT(ACD__CFG_T_COUNT) - 1u)

/* A parsed target; name is a slice of the text parsed (queue and menu targets only). */
typedef struct acd__cfg_target {
    acd__cfg_target_kind_t kind;
    acd_str_t name; /* ACD_STR_NULL for the other kinds */
    bool urgent;    /* queue:NAME!urgent */
    int priority;   /* queue:NAME!P: 0..100; -1 when not given */
} acd__cfg_target_t;

/* Parses text as a target into *out (written only on success). Returns 0 or -EINVAL. */
int acd__cfg_target_parse(const char *text, acd__cfg_target_t *out);

/* ---- checks across entries (config_check.c, config_check_answer.c) ---- */

/* Names of one kind with their owners; entries live in one array sized up front. */
typedef struct acd__cfg_index_entry {
    acd_hmap_node_t node;
    const char *owner; /* the entity that holds the name (its name or id) */
    const void *obj;   /* that entity's struct */
    int line;
} acd__cfg_index_entry_t;

typedef struct acd__cfg_index {
    acd_hmap_t map;
    acd__cfg_index_entry_t *v;
    size_t n, cap;
} acd__cfg_index_t;

/* Prepares idx for up to cap names; returns 0 or -ENOMEM (also set in ctx->rc). */
int acd__cfg_index_init(acd__cfg_ctx_t *ctx, acd__cfg_index_t *idx, size_t cap);
void acd__cfg_index_fini(acd__cfg_index_t *idx);
/*
 * Adds key (borrowed from the config, which outlives the index). Returns the entry that
 * already holds key, or NULL when key was added (or could not be: ctx->rc says so).
 */
const acd__cfg_index_entry_t *acd__cfg_index_add(acd__cfg_ctx_t *ctx, acd__cfg_index_t *idx,
                                                 const char *key, const char *owner,
                                                 const void *obj, int line);
const acd__cfg_index_entry_t *acd__cfg_index_get(const acd__cfg_index_t *idx, const char *key);
/* The same for a slice (a target's name). */
const acd__cfg_index_entry_t *acd__cfg_index_find(const acd__cfg_index_t *idx, acd_str_t key);

/* Cross-reference checks on the walked config: duplicates and unknown names (config_check.c). */
void acd__cfg_check(acd__cfg_ctx_t *ctx);

/*
 * The checks of the answering settings (config_check_answer.c): a tenant's spans, menus,
 * targets and queues; a queue's relaxation and overflow. They run after the queue index
 * is complete; tenants and queues that are duplicates are left to the caller's messages.
 */
void acd__cfg_check_tenant_answer(acd__cfg_ctx_t *ctx, const acd_cfg_tenant_t *t,
                                  const acd__cfg_index_t *queues);
void acd__cfg_check_queue_route(acd__cfg_ctx_t *ctx, const acd_cfg_queue_t *q,
                                const acd__cfg_index_t *queues);

#endif
