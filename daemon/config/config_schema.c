/* config_schema.c - the YAML schema of a site file: every key, its type, range and requiredness. */
#include "config/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define CFG(field) offsetof(acd_config_t, field)

/* ---- readers that only one key uses ------------------------------------------------------- */

/* `transports: [udp, tcp]`: at least one, each known; replaces the default (both). */
static void schema_read_transports(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                   void *base)
{
    acd_config_t *cfg = base;
    int line = acd__cfg_node_line(v);
    if (v->type != YAML_SEQUENCE_NODE) {
        acd__cfg_error(ctx, line, "expected a list for '%s' (e.g. [udp, tcp])", f->key);
        return;
    }
    size_t n = acd__cfg_seq_len(v);
    if (!n) {
        acd__cfg_error(ctx, line, "'%s' must list at least one of udp, tcp", f->key);
        return;
    }
    bool udp = false, tcp = false, ok = true;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        const char *s =
            item && item->type == YAML_SCALAR_NODE ? (const char *)item->data.scalar.value : "";
        if (!strcasecmp(s, "udp")) {
            udp = true;
        } else if (!strcasecmp(s, "tcp")) {
            tcp = true;
        } else {
            acd__cfg_error(ctx, acd__cfg_node_line(item ? item : v),
                           "unknown transport '%.60s' (known: udp, tcp)", s);
            ok = false;
        }
    }
    if (ok) {
        cfg->sip_udp = udp;
        cfg->sip_tcp = tcp;
        acd__cfg_line_note(ctx, &cfg->sip_udp, line);
    }
}

/* `rtp_ports: "20000-29999"`: an even first port below the last, both in 1..65535. */
static void schema_read_rtp_ports(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                  void *base)
{
    acd_config_t *cfg = base;
    int line = acd__cfg_node_line(v);
    const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
    unsigned lo = 0, hi = 0;
    int used = 0;
    if (v->type != YAML_SCALAR_NODE || sscanf(s, "%5u-%5u%n", &lo, &hi, &used) != 2 ||
        (size_t)used != strlen(s) || s[0] < '0' || s[0] > '9') {
        acd__cfg_error(ctx, line, "'%s' must be a range like \"20000-29999\" (got '%.60s')", f->key,
                       s);
        return;
    }
    if (lo < 1 || hi > 65535) {
        acd__cfg_error(ctx, line, "'%s' ports must be between 1 and 65535 (got %s)", f->key, s);
        return;
    }
    if (lo >= hi) {
        acd__cfg_error(ctx, line, "'%s' must run from a lower to a higher port (got %s)", f->key,
                       s);
        return;
    }
    if (lo % 2) {
        acd__cfg_error(ctx, line, "'%s' must start at an even port: RTP uses even ports (got %u)",
                       f->key, lo);
        return;
    }
    cfg->rtp_port_min = (uint16_t)lo;
    cfg->rtp_port_max = (uint16_t)hi;
    acd__cfg_line_note(ctx, &cfg->rtp_port_min, line);
}

/* `networks: [127.0.0.0/8, "::1"]`: at least one prefix, each parsed by acd_cidr_parse(). */
static void schema_read_networks(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                 void *base)
{
    acd_cfg_trunk_t *t = base;
    int line = acd__cfg_node_line(v);
    if (v->type != YAML_SEQUENCE_NODE) {
        acd__cfg_error(ctx, line, "expected a list for '%s' (e.g. [192.0.2.0/24])", f->key);
        return;
    }
    size_t n = acd__cfg_seq_len(v);
    if (!n) {
        acd__cfg_error(ctx, line, "'%s' must list at least one network", f->key);
        return;
    }
    t->networks = calloc(n, sizeof(*t->networks));
    if (!t->networks) {
        ctx->rc = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        const char *s =
            item && item->type == YAML_SCALAR_NODE ? (const char *)item->data.scalar.value : "";
        if (acd_cidr_parse(s, &t->networks[t->n_networks]) < 0) {
            acd__cfg_error(ctx, acd__cfg_node_line(item ? item : v),
                           "bad network '%.60s': expected an address with an optional /prefix, "
                           "e.g. 192.0.2.0/24 or 2001:db8::/32",
                           s);
            continue;
        }
        t->n_networks++;
    }
}

/* ---- sections ------------------------------------------------------------------------------- */

static const acd__cfg_field_t schema_site[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = CFG(site_name),
     .required = true,
     .noun = "site name"},
    {.key = "address", .read = acd__cfg_read_ip, .offset = CFG(site_address), .required = true},
};

static const acd__cfg_field_t schema_sip[] = {
    {.key = "listen", .read = acd__cfg_read_ip, .offset = CFG(sip_listen)},
    {.key = "port", .read = acd__cfg_read_port, .offset = CFG(sip_port), .min = 1, .max = 65535},
    {.key = "transports", .read = schema_read_transports},
    {.key = "t1_ms", .read = acd__cfg_read_int, .offset = CFG(sip_t1_ms), .min = 50, .max = 5000},
};

static const acd__cfg_field_t schema_media[] = {
    {.key = "rtp_ports", .read = schema_read_rtp_ports},
    {.key = "prompts", .read = acd__cfg_read_string, .offset = CFG(prompts_dir)},
};

static const acd__cfg_field_t schema_admin[] = {
    {.key = "listen", .read = acd__cfg_read_ip, .offset = CFG(admin_listen)},
    {.key = "port", .read = acd__cfg_read_port, .offset = CFG(admin_port), .min = 0, .max = 65535},
    {.key = "token_file", .read = acd__cfg_read_token_file, .offset = CFG(admin_token_file)},
};

static const acd__cfg_field_t schema_cdr[] = {
    {.key = "path", .read = acd__cfg_read_string, .offset = CFG(cdr_path)},
    {.key = "csv_path", .read = acd__cfg_read_string, .offset = CFG(cdr_csv_path)},
};

/* `queue_log.path`: a file; "-" (stdout, which the CDR may use) is refused. */
static void schema_read_queue_log_path(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f,
                                       yaml_node_t *v, void *base)
{
    if (v->type == YAML_SCALAR_NODE && !strcmp((const char *)v->data.scalar.value, "-")) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be a file: the queue_log cannot go to stdout", f->key);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

static const acd__cfg_field_t schema_queue_log[] = {
    {.key = "path", .read = schema_read_queue_log_path, .offset = CFG(queue_log_path)},
    {.key = "enabled", .read = acd__cfg_read_bool, .offset = CFG(queue_log_enabled)},
};

/* One nng URL: tcp://host:port or tls+tcp://host:port (host an IP literal or a name). */
static bool schema_link_url_ok(const char *s)
{
    const char *rest = !strncmp(s, "tcp://", 6)        ? s + 6
                       : !strncmp(s, "tls+tcp://", 10) ? s + 10
                                                       : NULL;
    const char *colon = rest ? strrchr(rest, ':') : NULL;
    if (!colon || colon == rest || strlen(s) > 200)
        return false;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    return end && *end == '\0' && port >= 1 && port <= 65535;
}

static void schema_read_link_url(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                 void *base)
{
    const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
    if (v->type != YAML_SCALAR_NODE || !schema_link_url_ok(s)) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be an nng URL like tcp://127.0.0.1:7101 or tls+tcp://host:7101"
                       " (got '%.60s')",
                       f->key, s);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

/* `etcd: [http://127.0.0.1:2379, ...]`: at least one http(s) URL with a port. */
static void schema_read_etcd(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                             void *base)
{
    acd_config_t *cfg = base;
    int line = acd__cfg_node_line(v);
    size_t n = v->type == YAML_SEQUENCE_NODE ? acd__cfg_seq_len(v) : 0;
    if (!n) {
        acd__cfg_error(ctx, line, "'%s' must list etcd endpoints (e.g. [http://127.0.0.1:2379])",
                       f->key);
        return;
    }
    char **urls = calloc(n, sizeof(*urls));
    if (!urls) {
        acd__cfg_error(ctx, line, "out of memory");
        return;
    }
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = acd__cfg_seq_item(ctx, v, i);
        const char *s =
            item && item->type == YAML_SCALAR_NODE ? (const char *)item->data.scalar.value : "";
        const char *rest = !strncmp(s, "http://", 7)    ? s + 7
                           : !strncmp(s, "https://", 8) ? s + 8
                                                        : NULL;
        if (!rest || !strchr(rest, ':') || strlen(s) > 200) {
            acd__cfg_error(ctx, acd__cfg_node_line(item ? item : v),
                           "etcd endpoint must be http://host:port (got '%.60s')", s);
            continue;
        }
        if (!(urls[got] = strdup(s)))
            break;
        got++;
    }
    for (size_t i = 0; i < cfg->n_etcd_endpoints; i++)
        free(cfg->etcd_endpoints[i]);
    free(cfg->etcd_endpoints);
    cfg->etcd_endpoints = urls;
    cfg->n_etcd_endpoints = got;
    acd__cfg_line_note(ctx, &cfg->etcd_endpoints, line);
}

static const char *const schema_log_levels[] = {"debug", "info", "notice", "warn", "error", NULL};

static const acd__cfg_field_t schema_log[] = {
    {.key = "level",
     .read = acd__cfg_read_choice,
     .offset = CFG(log_level),
     .choices = schema_log_levels,
     .noun = "log level"},
};

#define SECTION(name, tbl)                                                                         \
    static const acd__cfg_table_t schema_##name##_table = {                                        \
        .noun = #name, .fields = tbl, .n_fields = COUNT(tbl)}

SECTION(site, schema_site);
SECTION(sip, schema_sip);
SECTION(media, schema_media);
SECTION(admin, schema_admin);
SECTION(cdr, schema_cdr);
SECTION(queue_log, schema_queue_log);
SECTION(log, schema_log);

#define PEER(field) offsetof(acd_cfg_peer_t, field)
static const acd__cfg_field_t schema_peer[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = PEER(name),
     .required = true,
     .noun = "site name"},
    {.key = "events", .read = schema_read_link_url, .offset = PEER(events), .required = true},
    {.key = "requests", .read = schema_read_link_url, .offset = PEER(requests), .required = true},
};
static const acd__cfg_table_t schema_peer_table = {.noun = "peer",
                                                   .label_key = "name",
                                                   .fields = schema_peer,
                                                   .n_fields = COUNT(schema_peer),
                                                   .elem_size = sizeof(acd_cfg_peer_t)};

static const acd__cfg_field_t schema_cluster[] = {
    {.key = "etcd", .read = schema_read_etcd, .required = true},
    {.key = "prefix", .read = acd__cfg_read_string, .offset = CFG(cluster_prefix)},
    {.key = "lease_ttl",
     .read = acd__cfg_read_seconds,
     .offset = CFG(lease_ttl_ms),
     .min = 2,
     .max = 60},
    {.key = "events", .read = schema_read_link_url, .offset = CFG(link_events), .required = true},
    {.key = "requests",
     .read = schema_read_link_url,
     .offset = CFG(link_requests),
     .required = true},
    {.key = "peers",
     .read = acd__cfg_read_entries,
     .offset = CFG(peers),
     .count_offset = CFG(n_peers),
     .table = &schema_peer_table},
    {.key = "sisters",
     .read = acd__cfg_read_names,
     .offset = CFG(sisters),
     .count_offset = CFG(n_sisters),
     .noun = "site name"},
    {.key = "redial_window",
     .read = acd__cfg_read_seconds,
     .offset = CFG(redial_window_ms),
     .min = 0,
     .max = 3600},
    {.key = "tls_ca", .read = acd__cfg_read_string, .offset = CFG(tls_ca)},
    {.key = "tls_cert", .read = acd__cfg_read_string, .offset = CFG(tls_cert)},
    {.key = "tls_key", .read = acd__cfg_read_string, .offset = CFG(tls_key)},
};
SECTION(cluster, schema_cluster);

/*
 * `anycast.address`: an IPv4 literal acdd may add and remove at will, so never one the
 * host needs for anything else: not unspecified, loopback (127/8), multicast or broadcast.
 */
static void schema_read_anycast_address(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f,
                                        yaml_node_t *v, void *base)
{
    const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
    struct in_addr a;
    if (v->type != YAML_SCALAR_NODE || inet_pton(AF_INET, s, &a) != 1) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be an IPv4 address, e.g. 198.18.0.1 (got '%.60s')", f->key, s);
        return;
    }
    uint32_t h = ntohl(a.s_addr);
    if (h == 0 || h == 0xffffffffu || (h >> 24) == 127 || (h >> 28) == 0xe) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' %s cannot be an anycast address: acdd removes it whenever the site"
                       " is unhealthy (use a unicast address such as 198.18.0.1)",
                       f->key, s);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

/* `anycast.interface`: a Linux interface name (1..15 bytes, no '/', ':' or blanks). */
static void schema_read_ifname(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                               void *base)
{
    const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
    size_t n = strlen(s);
    bool ok =
        v->type == YAML_SCALAR_NODE && n > 0 && n < IFNAMSIZ && strcmp(s, ".") && strcmp(s, "..");
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > ' ' && s[i] < 0x7f && s[i] != '/' && s[i] != ':';
    if (!ok) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "'%s' must be an interface name such as lo or anycast0 (at most %d"
                       " characters, no '/', ':' or spaces; got '%.60s')",
                       f->key, IFNAMSIZ - 1, s);
        return;
    }
    acd__cfg_read_string(ctx, f, v, base);
}

static const acd__cfg_field_t schema_anycast[] = {
    {.key = "address",
     .read = schema_read_anycast_address,
     .offset = CFG(anycast_address),
     .required = true},
    {.key = "interface", .read = schema_read_ifname, .offset = CFG(anycast_interface)},
    {.key = "prefix_len",
     .read = acd__cfg_read_int,
     .offset = CFG(anycast_prefix_len),
     .min = 1,
     .max = 32},
};
SECTION(anycast, schema_anycast);

/* The section's presence is what makes acdd manage the address (docs/adr/0015). */
static void schema_read_anycast(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                void *base)
{
    acd_config_t *cfg = base;
    cfg->anycast = true;
    acd__cfg_line_note(ctx, &cfg->anycast, acd__cfg_node_line(v));
    acd__cfg_read_section(ctx, f, v, base);
}

/* The section's presence is what makes a site part of a cluster. */
static void schema_read_cluster(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                void *base)
{
    acd_config_t *cfg = base;
    cfg->cluster = true;
    acd__cfg_line_note(ctx, &cfg->cluster, acd__cfg_node_line(v));
    acd__cfg_read_section(ctx, f, v, base);
}

/* ---- trunks (tenants: config_tenant.c; queues and agents: config_queue.c) ------------------ */

#define TRUNK(field) offsetof(acd_cfg_trunk_t, field)
static const acd__cfg_field_t schema_trunk[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = TRUNK(name),
     .required = true,
     .noun = "trunk name"},
    {.key = "networks", .read = schema_read_networks, .required = true},
};

static const acd__cfg_table_t schema_trunk_table = {.noun = "trunk",
                                                    .label_key = "name",
                                                    .fields = schema_trunk,
                                                    .n_fields = COUNT(schema_trunk),
                                                    .elem_size = sizeof(acd_cfg_trunk_t)};

/* ---- the top level -------------------------------------------------------------------------- */

#define SECTION_FIELD(name, req)                                                                   \
    {                                                                                              \
        .key = #name, .read = acd__cfg_read_section, .required = req,                              \
        .table = &schema_##name##_table                                                            \
    }
#define LIST_FIELD_READ(name, tbl, reader)                                                         \
    {                                                                                              \
        .key = #name, .read = reader, .offset = CFG(name), .count_offset = CFG(n_##name),          \
        .table = &tbl                                                                              \
    }
#define LIST_FIELD(name, tbl) LIST_FIELD_READ(name, tbl, acd__cfg_read_entries)

static const acd__cfg_field_t schema_root[] = {
    SECTION_FIELD(site, true),
    SECTION_FIELD(sip, false),
    SECTION_FIELD(media, false),
    SECTION_FIELD(admin, false),
    SECTION_FIELD(cdr, false),
    SECTION_FIELD(queue_log, false),
    SECTION_FIELD(log, false),
    {.key = "cluster", .read = schema_read_cluster, .table = &schema_cluster_table},
    {.key = "anycast", .read = schema_read_anycast, .table = &schema_anycast_table},
    {.key = "drain_timeout",
     .read = acd__cfg_read_seconds,
     .offset = CFG(drain_timeout_ms),
     .min = 0,
     .max = 3600},
    {.key = "register_max_expires",
     .read = acd__cfg_read_int,
     .offset = CFG(register_max_expires),
     .min = 60,
     .max = 86400},
    LIST_FIELD(trunks, schema_trunk_table),
    LIST_FIELD(tenants, acd__cfg_tenant_table),
    LIST_FIELD(queues, acd__cfg_queue_table),
    LIST_FIELD(agents, acd__cfg_agent_table),
};

const acd__cfg_table_t acd__cfg_root = {
    .noun = NULL, .fields = schema_root, .n_fields = COUNT(schema_root)};

/* ---- the shared config (etcd `<prefix>/config`) -------------------------------------------- */

/* The lists read exactly as in a site file; the readers remember which ones were set. */
static void schema_read_shared_trunks(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f,
                                      yaml_node_t *v, void *base)
{
    ((acd_config_t *)base)->shared_trunks = true;
    acd__cfg_read_entries(ctx, f, v, base);
}

static void schema_read_shared_entities(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f,
                                        yaml_node_t *v, void *base)
{
    ((acd_config_t *)base)->shared_entities = true;
    acd__cfg_read_entries(ctx, f, v, base);
}

static const acd__cfg_field_t schema_shared_root[] = {
    LIST_FIELD_READ(trunks, schema_trunk_table, schema_read_shared_trunks),
    LIST_FIELD_READ(tenants, acd__cfg_tenant_table, schema_read_shared_entities),
    LIST_FIELD_READ(queues, acd__cfg_queue_table, schema_read_shared_entities),
    LIST_FIELD_READ(agents, acd__cfg_agent_table, schema_read_shared_entities),
};

const acd__cfg_table_t acd__cfg_shared_root = {
    .noun = NULL,
    .fields = schema_shared_root,
    .n_fields = COUNT(schema_shared_root),
    .unknown_hint = ": a shared config holds only trunks, tenants, queues and agents"};
