/* config_tenant.c - the schema of a tenant entry: numbers, callback, hours, IVR, scripts,
 * voicemail, on-call. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TENANT(field) offsetof(acd_cfg_tenant_t, field)
#define SPAN(field) offsetof(acd_cfg_span_t, field)
#define MENU(field) offsetof(acd_cfg_menu_t, field)
#define SCRIPT(field) offsetof(acd_cfg_script_t, field)
#define ONCALL(field) offsetof(acd_cfg_oncall_t, field)

/* A mapping section whose keys are fields of the struct it is read into. */
#define TENANT_SECTION(name, tbl)                                                                  \
    static const acd__cfg_table_t tenant_##name##_table = {                                        \
        .noun = #name, .fields = tbl, .n_fields = COUNT(tbl)}

/* Where a script may send a call first: anywhere but `repeat`, which needs a menu. */
#define TENANT_SCRIPT_KINDS (ACD__CFG_T_ALL & ~ACD__CFG_T_BIT(ACD__CFG_T_REPEAT))

/* The longest `instructions` text: it travels in a 256-byte override message. */
#define TENANT_INSTRUCTIONS_MAX 255

static const char *const tenant_languages[] = {"en", "es", NULL};

/* ---- SIP trunks (callback, on_call) --------------------------------------------------------- */

/* True for sip:HOST or sip:HOST:PORT, HOST an IPv4 literal or a bracketed IPv6 one. */
static bool tenant_trunk_uri_ok(const char *s)
{
    if (strncmp(s, "sip:", 4) != 0 || strlen(s) > 200)
        return false;
    const char *host = s + 4, *end;
    char ip[64];
    unsigned char tmp[16];
    int family = AF_INET;
    if (*host == '[') {
        end = strchr(host, ']');
        if (!end)
            return false;
        host++;
        family = AF_INET6;
    } else {
        end = host + strcspn(host, ":");
    }
    if (end == host || (size_t)(end - host) >= sizeof(ip))
        return false;
    memcpy(ip, host, (size_t)(end - host));
    ip[end - host] = '\0';
    if (inet_pton(family, ip, tmp) != 1)
        return false;
    const char *rest = end + (family == AF_INET6);
    if (!*rest)
        return true;
    char *stop = NULL;
    long port =
        rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9' ? strtol(rest + 1, &stop, 10) : 0;
    return stop && !*stop && port >= 1 && port <= 65535;
}

/* `callback.trunk`, `on_call.trunk`: where acdd sends an INVITE, as sip:<number>@ this host. */
static void tenant_read_trunk_uri(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                  void *base)
{
    const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
    if (v->type != YAML_SCALAR_NODE || !tenant_trunk_uri_ok(s)) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be a SIP URI of the carrier's trunk like sip:198.18.0.1:5060"
                       " (an IP address and optional port, no user part; got '%.60s')",
                       f->key, s);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

/* ---- prompts and text ----------------------------------------------------------------------- */

/* A prompt: a file name in the prompts directory, so a name that does not start with '.'. */
static void tenant_read_prompt(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                               void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a prompt name");
    if (!s)
        return;
    if (*s == '.') {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "bad prompt name '%.60s' for '%s': a prompt file's name without its"
                       " directory, not starting with '.'",
                       s, f->key);
        return;
    }
    acd__cfg_read_name(ctx, f, v, base);
}

/* The length of the UTF-8 sequence at s (shortest form, no surrogates, <= U+10FFFF), or 0. */
static size_t tenant_utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (!n || s[0] > 0xf4)
        return 0;
    uint32_t cp = s[0] & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* `instructions`: UTF-8 text up to 255 bytes; tabs and newlines are the only controls. */
static void tenant_read_instructions(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                     void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a text");
    if (!s)
        return;
    int line = acd__cfg_node_line(v);
    size_t len = strlen(s);
    if (len > TENANT_INSTRUCTIONS_MAX) {
        acd__cfg_error(ctx, line, "'%s' must be at most %d bytes of UTF-8 text (got %zu)", f->key,
                       TENANT_INSTRUCTIONS_MAX, len);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = tenant_utf8_len(p);
        if (!n) {
            acd__cfg_error(ctx, line, "'%s' is not valid UTF-8 text (byte %zu)", f->key,
                           (size_t)(p - (const unsigned char *)s) + 1);
            return;
        }
        if (n == 1 && (*p < 0x20 || *p == 0x7f) && *p != '\n' && *p != '\t') {
            acd__cfg_error(ctx, line,
                           "'%s' holds a control character (byte %zu): only text, tabs and"
                           " newlines are allowed",
                           f->key, (size_t)(p - (const unsigned char *)s) + 1);
            return;
        }
        p += n;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

/* ---- callback ------------------------------------------------------------------------------- */

static const acd__cfg_field_t tenant_callback[] = {
    {.key = "trunk",
     .read = tenant_read_trunk_uri,
     .offset = TENANT(callback_trunk),
     .required = true},
    {.key = "caller_id",
     .read = acd__cfg_read_user,
     .offset = TENANT(callback_caller_id),
     .noun = "caller ID"},
    {.key = "delay",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(callback_delay_ms),
     .min = 0,
     .max = 3600},
    {.key = "attempts",
     .read = acd__cfg_read_int,
     .offset = TENANT(callback_attempts),
     .min = 1,
     .max = 10},
    /* 0.1 s is below what an operator should use but lets tests run fast. */
    {.key = "ring_timeout",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(callback_ring_ms),
     .min = 0.1,
     .max = 300},
};
TENANT_SECTION(callback, tenant_callback);

/* The section's presence is what turns a tenant's callback on (docs/adr/0019). */
static void tenant_read_callback(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                 void *base)
{
    acd_cfg_tenant_t *t = base;
    t->callback = true;
    acd__cfg_line_note(ctx, &t->callback, acd__cfg_node_line(v));
    acd__cfg_read_section(ctx, f, v, base);
}

/* ---- hours and lunch ------------------------------------------------------------------------ */

/* Unset times stay negative, so the check of start < end skips a span whose time was bad. */
static void tenant_span_init(void *elem)
{
    acd_cfg_span_t *s = elem;
    s->start_min = s->end_min = -1;
}

static const acd__cfg_field_t tenant_hours[] = {
    {.key = "days", .read = acd__cfg_read_days, .offset = SPAN(days), .required = true},
    {.key = "open", .read = acd__cfg_read_hhmm, .offset = SPAN(start_min), .required = true},
    {.key = "close", .read = acd__cfg_read_hhmm, .offset = SPAN(end_min), .required = true},
};
static const acd__cfg_field_t tenant_lunch[] = {
    {.key = "days", .read = acd__cfg_read_days, .offset = SPAN(days), .required = true},
    {.key = "start", .read = acd__cfg_read_hhmm, .offset = SPAN(start_min), .required = true},
    {.key = "end", .read = acd__cfg_read_hhmm, .offset = SPAN(end_min), .required = true},
};
static const acd__cfg_table_t tenant_hours_table = {.noun = "hours",
                                                    .fields = tenant_hours,
                                                    .n_fields = COUNT(tenant_hours),
                                                    .elem_size = sizeof(acd_cfg_span_t),
                                                    .init = tenant_span_init};
static const acd__cfg_table_t tenant_lunch_table = {.noun = "lunch",
                                                    .fields = tenant_lunch,
                                                    .n_fields = COUNT(tenant_lunch),
                                                    .elem_size = sizeof(acd_cfg_span_t),
                                                    .init = tenant_span_init};

/* ---- the IVR -------------------------------------------------------------------------------- */

/* The keys a caller can press, one character each. */
#define TENANT_OPTION_KEYS "0123456789*#"

/* The slot of key k in TENANT_OPTION_KEYS, or -1 after reporting a bad key. */
static int tenant_option_slot(acd__cfg_ctx_t *ctx, yaml_node_t *k)
{
    const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
    const char *hit = strlen(key) == 1 ? strchr(TENANT_OPTION_KEYS, key[0]) : NULL;
    if (!hit) {
        acd__cfg_error(ctx, acd__cfg_node_line(k),
                       "bad option key '%.20s' in 'options': use one digit 0-9, \"*\" or \"#\""
                       " (quote * and #)",
                       key);
        return -1;
    }
    return (int)(hit - TENANT_OPTION_KEYS);
}

/* `options: {"1": "queue:sales", "*": repeat}`: one target per key, each key once. */
static void tenant_read_options(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                void *base)
{
    acd_cfg_menu_t *m = base;
    if (v->type != YAML_MAPPING_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "expected a mapping of keys to targets for '%s' (e.g. {\"1\": "
                       "\"queue:sales\"})",
                       f->key);
        return;
    }
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    m->options = n ? calloc(n, sizeof(*m->options)) : NULL;
    if (n && !m->options) {
        ctx->rc = -ENOMEM;
        return;
    }
    int first[sizeof(TENANT_OPTION_KEYS)] = {0}; /* line of each key's first use */
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *val = yaml_document_get_node(ctx->doc, p->value);
        int kline = acd__cfg_node_line(k);
        int slot = tenant_option_slot(ctx, k);
        if (slot < 0)
            continue;
        char key = TENANT_OPTION_KEYS[slot];
        if (first[slot]) {
            acd__cfg_error(ctx, kline, "duplicate option key '%c' in 'options' (first on line %d)",
                           key, first[slot]);
            continue;
        }
        first[slot] = kline;
        char label[16];
        snprintf(label, sizeof(label), "option %c", key);
        if (!val || acd__cfg_node_is_null(val)) {
            acd__cfg_error(ctx, kline, "missing target for '%s'", label);
            continue;
        }
        /* Only a key whose target was stored takes the slot, so no line note is reused. */
        acd_cfg_option_t *o = &m->options[m->n_options];
        const acd__cfg_field_t of = {
            .key = label, .offset = offsetof(acd_cfg_option_t, target), .kinds = ACD__CFG_T_ALL};
        acd__cfg_read_target(ctx, &of, val, o);
        if (o->target) {
            o->key = key;
            m->n_options++;
        }
    }
}

static void tenant_menu_init(void *elem)
{
    acd_cfg_menu_t *m = elem;
    m->timeout_ms = 5000;
    m->retries = 2;
}

static const acd__cfg_field_t tenant_menu[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = MENU(name),
     .required = true,
     .noun = "menu name"},
    {.key = "prompt",
     .read = tenant_read_prompt,
     .offset = MENU(prompt),
     .required = true,
     .noun = "prompt name"},
    {.key = "timeout",
     .read = acd__cfg_read_seconds,
     .offset = MENU(timeout_ms),
     .min = 0.1,
     .max = 300},
    {.key = "retries", .read = acd__cfg_read_int, .offset = MENU(retries), .min = 0, .max = 9},
    {.key = "invalid_prompt",
     .read = tenant_read_prompt,
     .offset = MENU(invalid_prompt),
     .noun = "prompt name"},
    {.key = "on_timeout",
     .read = acd__cfg_read_target,
     .offset = MENU(on_timeout),
     .kinds = ACD__CFG_T_ALL},
    {.key = "options", .read = tenant_read_options},
};
static const acd__cfg_table_t tenant_menu_table = {.noun = "menu",
                                                   .label_key = "name",
                                                   .fields = tenant_menu,
                                                   .n_fields = COUNT(tenant_menu),
                                                   .elem_size = sizeof(acd_cfg_menu_t),
                                                   .init = tenant_menu_init};

static const acd__cfg_field_t tenant_ivr[] = {
    {.key = "entry",
     .read = acd__cfg_read_name,
     .offset = TENANT(ivr_entry),
     .required = true,
     .noun = "menu name"},
    {.key = "menus",
     .read = acd__cfg_read_entries,
     .offset = TENANT(menus),
     .count_offset = TENANT(n_menus),
     .required = true,
     .table = &tenant_menu_table},
};
TENANT_SECTION(ivr, tenant_ivr);

/* ---- scripts -------------------------------------------------------------------------------- */

/* In the order of acd_mode_t and acd_fwd_reason_t: bit i is entry i. */
static const char *const tenant_modes[] = {"open",    "lunch",    "after-hours",
                                           "holiday", "override", NULL};
static const char *const tenant_reasons[] = {
    "none",           "unconditional", "user-busy",      "no-answer", "unavailable", "time-of-day",
    "do-not-disturb", "deflection",    "out-of-service", "away",      "unknown",     NULL};

static const acd__cfg_field_t tenant_when[] = {
    {.key = "modes",
     .read = acd__cfg_read_flags,
     .offset = SCRIPT(modes),
     .choices = tenant_modes,
     .noun = "mode"},
    {.key = "reasons",
     .read = acd__cfg_read_flags,
     .offset = SCRIPT(reasons),
     .choices = tenant_reasons,
     .noun = "forwarding reason"},
};
TENANT_SECTION(when, tenant_when);

static const acd__cfg_field_t tenant_script[] = {
    {.key = "when", .read = acd__cfg_read_section, .table = &tenant_when_table},
    {.key = "greeting",
     .read = tenant_read_prompt,
     .offset = SCRIPT(greeting),
     .noun = "prompt name"},
    {.key = "then",
     .read = acd__cfg_read_target,
     .offset = SCRIPT(then),
     .required = true,
     .kinds = TENANT_SCRIPT_KINDS},
};
static const acd__cfg_table_t tenant_script_table = {.noun = "script",
                                                     .fields = tenant_script,
                                                     .n_fields = COUNT(tenant_script),
                                                     .elem_size = sizeof(acd_cfg_script_t)};

/* ---- voicemail ------------------------------------------------------------------------------ */

static const acd__cfg_field_t tenant_voicemail[] = {
    {.key = "promise",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(vm_promise_ms),
     .min = 0,
     .max = 604800},
    {.key = "prompt",
     .read = tenant_read_prompt,
     .offset = TENANT(vm_prompt),
     .noun = "prompt name"},
    {.key = "max_length",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(vm_max_ms),
     .min = 5,
     .max = 600},
    {.key = "queue", .read = acd__cfg_read_name, .offset = TENANT(vm_queue), .noun = "queue name"},
    {.key = "dir", .read = acd__cfg_read_string, .offset = TENANT(vm_dir)},
};
TENANT_SECTION(voicemail, tenant_voicemail);

/* The section's presence is what lets callers leave messages. */
static void tenant_read_voicemail(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                  void *base)
{
    acd_cfg_tenant_t *t = base;
    t->voicemail = true;
    acd__cfg_line_note(ctx, &t->voicemail, acd__cfg_node_line(v));
    acd__cfg_read_section(ctx, f, v, base);
}

/* ---- on call -------------------------------------------------------------------------------- */

static void tenant_oncall_init(void *elem)
{
    tenant_span_init(&((acd_cfg_oncall_t *)elem)->when);
}

/* `chain`: at least one number to call. */
static void tenant_read_chain(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                              void *base)
{
    if (v->type == YAML_SEQUENCE_NODE && acd__cfg_seq_len(v) == 0) {
        acd__cfg_error(ctx, acd__cfg_node_line(v), "'%s' must list at least one number to call",
                       f->key);
        return;
    }
    acd__cfg_read_users(ctx, f, v, base);
}

static const acd__cfg_field_t tenant_oncall_entry[] = {
    {.key = "days", .read = acd__cfg_read_days, .offset = ONCALL(when.days), .required = true},
    {.key = "start",
     .read = acd__cfg_read_hhmm,
     .offset = ONCALL(when.start_min),
     .required = true},
    {.key = "end", .read = acd__cfg_read_hhmm, .offset = ONCALL(when.end_min), .required = true},
    {.key = "chain",
     .read = tenant_read_chain,
     .offset = ONCALL(chain),
     .count_offset = ONCALL(n_chain),
     .required = true,
     .noun = "on-call number"},
};
static const acd__cfg_table_t tenant_oncall_entry_table = {.noun = "calendar",
                                                           .fields = tenant_oncall_entry,
                                                           .n_fields = COUNT(tenant_oncall_entry),
                                                           .elem_size = sizeof(acd_cfg_oncall_t),
                                                           .init = tenant_oncall_init};

static const acd__cfg_field_t tenant_on_call[] = {
    {.key = "ring_timeout",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(oncall_ring_ms),
     .min = 0.1,
     .max = 300},
    {.key = "trunk",
     .read = tenant_read_trunk_uri,
     .offset = TENANT(oncall_trunk),
     .required = true},
    {.key = "caller_id",
     .read = acd__cfg_read_user,
     .offset = TENANT(oncall_caller_id),
     .noun = "caller ID"},
    {.key = "calendar",
     .read = acd__cfg_read_entries,
     .offset = TENANT(oncall),
     .count_offset = TENANT(n_oncall),
     .required = true,
     .table = &tenant_oncall_entry_table},
};
TENANT_SECTION(on_call, tenant_on_call);

/* ---- the tenant ----------------------------------------------------------------------------- */

static const acd__cfg_field_t tenant_fields[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = TENANT(name),
     .required = true,
     .noun = "tenant name"},
    {.key = "dids",
     .read = acd__cfg_read_users,
     .offset = TENANT(dids),
     .count_offset = TENANT(n_dids),
     .noun = "DID"},
    {.key = "queue",
     .read = acd__cfg_read_name,
     .offset = TENANT(queue),
     .required = true,
     .noun = "queue name"},
    {.key = "language",
     .read = acd__cfg_read_choice,
     .offset = TENANT(language),
     .choices = tenant_languages,
     .noun = "language"},
    {.key = "answer_after",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(answer_after_ms),
     .min = 0,
     .max = 60},
    {.key = "callback", .read = tenant_read_callback, .table = &tenant_callback_table},
    {.key = "timezone", .read = acd__cfg_read_timezone, .offset = TENANT(timezone)},
    {.key = "hours",
     .read = acd__cfg_read_entries,
     .offset = TENANT(hours),
     .count_offset = TENANT(n_hours),
     .table = &tenant_hours_table},
    {.key = "lunch",
     .read = acd__cfg_read_entries,
     .offset = TENANT(lunch),
     .count_offset = TENANT(n_lunch),
     .table = &tenant_lunch_table},
    {.key = "holidays",
     .read = acd__cfg_read_dates,
     .offset = TENANT(holidays),
     .count_offset = TENANT(n_holidays)},
    {.key = "vip",
     .read = acd__cfg_read_users,
     .offset = TENANT(vip),
     .count_offset = TENANT(n_vip),
     .noun = "VIP number"},
    {.key = "vip_priority",
     .read = acd__cfg_read_int,
     .offset = TENANT(vip_priority),
     .min = 0,
     .max = 100},
    {.key = "redial_priority",
     .read = acd__cfg_read_int,
     .offset = TENANT(redial_priority),
     .min = 0,
     .max = 100},
    {.key = "abandon_window",
     .read = acd__cfg_read_seconds,
     .offset = TENANT(abandon_window_ms),
     .min = 0,
     .max = 86400},
    {.key = "ivr", .read = acd__cfg_read_section, .table = &tenant_ivr_table},
    {.key = "operator_queue",
     .read = acd__cfg_read_name,
     .offset = TENANT(operator_queue),
     .noun = "queue name"},
    {.key = "scripts",
     .read = acd__cfg_read_entries,
     .offset = TENANT(scripts),
     .count_offset = TENANT(n_scripts),
     .table = &tenant_script_table},
    {.key = "voicemail", .read = tenant_read_voicemail, .table = &tenant_voicemail_table},
    {.key = "on_call", .read = acd__cfg_read_section, .table = &tenant_on_call_table},
    {.key = "instructions", .read = tenant_read_instructions, .offset = TENANT(instructions)},
};

static void tenant_init(void *elem)
{
    acd_cfg_tenant_t *t = elem;
    t->callback_delay_ms = 10000;
    t->callback_attempts = 2;
    t->callback_ring_ms = 30000;
    t->vip_priority = 10;
    t->redial_priority = 5;
    t->abandon_window_ms = 600000;
    t->vm_promise_ms = 4 * 3600 * 1000;
    t->vm_max_ms = 120000;
    t->oncall_ring_ms = 20000;
}

const acd__cfg_table_t acd__cfg_tenant_table = {.noun = "tenant",
                                                .label_key = "name",
                                                .fields = tenant_fields,
                                                .n_fields = COUNT(tenant_fields),
                                                .elem_size = sizeof(acd_cfg_tenant_t),
                                                .init = tenant_init};
