/* config.c - loading a site's YAML file: parse, walk the schema, apply defaults, check, free. */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "util/buf.h"
#include "util/err.h"

/* Larger files are refused rather than read: no site needs megabytes of YAML. */
#define CONFIG_MAX_BYTES (16u << 20)

/* ---- errors --------------------------------------------------------------------------------- */

void acd_config_errors_fini(acd_config_errors_t *e)
{
    if (!e)
        return;
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
}

void acd_config_errors_print(const acd_config_errors_t *e, const char *path, void *f)
{
    FILE *out = f ? f : stderr;
    const char *p = path ? path : "config";
    for (size_t i = 0; e && i < e->n; i++) {
        if (e->v[i].line > 0)
            fprintf(out, "%s:%d: %s\n", p, e->v[i].line, e->v[i].message);
        else
            fprintf(out, "%s: %s\n", p, e->v[i].message);
    }
}

/* Orders errors[first..] by line, keeping the order of errors on the same line. */
static void config_errors_sort(acd_config_errors_t *e, size_t first)
{
    for (size_t i = first + 1; i < e->n; i++) {
        acd_config_error_t cur = e->v[i];
        size_t j = i;
        while (j > first && e->v[j - 1].line > cur.line) {
            e->v[j] = e->v[j - 1];
            j--;
        }
        e->v[j] = cur;
    }
}

/* ---- the config object ---------------------------------------------------------------------- */

static void config_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static void config_skills_free(acd_cfg_skill_t *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
}

static void config_menu_free(acd_cfg_menu_t *m)
{
    free(m->name);
    free(m->prompt);
    free(m->invalid_prompt);
    free(m->on_timeout);
    for (size_t i = 0; m->options && i < m->n_options; i++)
        free(m->options[i].target);
    free(m->options);
}

static void config_tenant_free(acd_cfg_tenant_t *t)
{
    free(t->name);
    config_strv_free(t->dids, t->n_dids);
    free(t->queue);
    free(t->language);
    free(t->callback_trunk);
    free(t->callback_caller_id);
    free(t->timezone);
    free(t->hours);
    free(t->lunch);
    free(t->holidays);
    config_strv_free(t->vip, t->n_vip);
    free(t->ivr_entry);
    for (size_t i = 0; t->menus && i < t->n_menus; i++)
        config_menu_free(&t->menus[i]);
    free(t->menus);
    free(t->operator_queue);
    for (size_t i = 0; t->scripts && i < t->n_scripts; i++) {
        free(t->scripts[i].greeting);
        free(t->scripts[i].then);
    }
    free(t->scripts);
    free(t->vm_prompt);
    free(t->vm_queue);
    free(t->vm_dir);
    free(t->oncall_trunk);
    free(t->oncall_caller_id);
    for (size_t i = 0; t->oncall && i < t->n_oncall; i++)
        config_strv_free(t->oncall[i].chain, t->oncall[i].n_chain);
    free(t->oncall);
    free(t->instructions);
}

static void config_queue_free(acd_cfg_queue_t *q)
{
    free(q->name);
    free(q->tenant);
    free(q->strategy);
    config_skills_free(q->skills, q->n_skills);
    for (size_t i = 0; q->relax && i < q->n_relax; i++)
        free(q->relax[i].skill);
    free(q->relax);
    free(q->overflow);
}

void acd_config_free(acd_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_trunks; i++) {
        free(cfg->trunks[i].name);
        free(cfg->trunks[i].networks);
    }
    free(cfg->trunks);
    for (size_t i = 0; i < cfg->n_tenants; i++)
        config_tenant_free(&cfg->tenants[i]);
    free(cfg->tenants);
    for (size_t i = 0; i < cfg->n_queues; i++)
        config_queue_free(&cfg->queues[i]);
    free(cfg->queues);
    for (size_t i = 0; i < cfg->n_agents; i++) {
        acd_cfg_agent_t *a = &cfg->agents[i];
        free(a->id);
        free(a->sip_user);
        free(a->password);
        config_strv_free(a->queues, a->n_queues);
        config_skills_free(a->skills, a->n_skills);
    }
    free(cfg->agents);
    free(cfg->path);
    free(cfg->site_name);
    free(cfg->site_address);
    free(cfg->sip_listen);
    free(cfg->prompts_dir);
    free(cfg->admin_listen);
    free(cfg->admin_token_file);
    if (cfg->admin_token)
        explicit_bzero(cfg->admin_token, strlen(cfg->admin_token));
    free(cfg->admin_token);
    free(cfg->cdr_path);
    free(cfg->cdr_csv_path);
    free(cfg->queue_log_path);
    free(cfg->log_level);
    config_strv_free(cfg->etcd_endpoints, cfg->n_etcd_endpoints);
    free(cfg->cluster_prefix);
    free(cfg->link_events);
    free(cfg->link_requests);
    for (size_t i = 0; i < cfg->n_peers; i++) {
        free(cfg->peers[i].name);
        free(cfg->peers[i].events);
        free(cfg->peers[i].requests);
    }
    free(cfg->peers);
    config_strv_free(cfg->sisters, cfg->n_sisters);
    free(cfg->tls_ca);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->anycast_address);
    free(cfg->anycast_interface);
    free(cfg);
}

/* Allocates a config holding every numeric default; strings get theirs after the walk. */
static int config_alloc(acd_config_t **cfgp, const char *name)
{
    acd_config_t *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return -ENOMEM;
    cfg->path = strdup(name ? name : "<string>");
    if (!cfg->path) {
        free(cfg);
        return -ENOMEM;
    }
    cfg->sip_port = 5060;
    cfg->sip_udp = cfg->sip_tcp = true;
    cfg->sip_t1_ms = 500;
    cfg->rtp_port_min = 20000;
    cfg->rtp_port_max = 29999;
    cfg->admin_port = 8080;
    cfg->drain_timeout_ms = 30000;
    cfg->register_max_expires = 3600;
    cfg->lease_ttl_ms = 3000;
    cfg->redial_window_ms = 120000;
    cfg->anycast_prefix_len = 32;
    cfg->queue_log_enabled = true;
    *cfgp = cfg;
    return 0;
}

/* Sets *dst to a copy of def when the file left it unset; returns 0 or -ENOMEM. */
static int config_default(char **dst, const char *def)
{
    if (*dst || !def)
        return 0;
    *dst = strdup(def);
    return *dst ? 0 : -ENOMEM;
}

/*
 * The queue_log's file: none when disabled; unset, next to the CDR file and named after
 * the site, so that sites sharing a directory never share a file; none when CDRs go to
 * stdout (there is no directory to put it in). Returns 0 or -ENOMEM.
 */
static int config_queue_log_default(acd_config_t *cfg)
{
    if (!cfg->queue_log_enabled) {
        free(cfg->queue_log_path);
        cfg->queue_log_path = NULL;
        return 0;
    }
    if (cfg->queue_log_path || !cfg->cdr_path || !strcmp(cfg->cdr_path, "-") || !cfg->site_name)
        return 0;
    const char *slash = strrchr(cfg->cdr_path, '/');
    int dir = slash ? (int)(slash - cfg->cdr_path) + 1 : 0;
    size_t n = (size_t)dir + sizeof("queue_log-") + strlen(cfg->site_name);
    if (!(cfg->queue_log_path = malloc(n)))
        return -ENOMEM;
    snprintf(cfg->queue_log_path, n, "%.*squeue_log-%s", dir, cfg->cdr_path, cfg->site_name);
    return 0;
}

/* A tenant's strings: the queues its operator and voicemail use default to its own. */
static int config_tenant_defaults(acd_cfg_tenant_t *t)
{
    int rc = 0;
    rc |= config_default(&t->language, "en");
    rc |= config_default(&t->timezone, "UTC");
    rc |= config_default(&t->operator_queue, t->queue);
    rc |= config_default(&t->vm_prompt, "vm_promise");
    rc |= config_default(&t->vm_queue, t->queue);
    rc |= config_default(&t->vm_dir, "/var/lib/acdd/voicemail");
    for (size_t i = 0; t->menus && i < t->n_menus; i++) {
        rc |= config_default(&t->menus[i].invalid_prompt, "invalid");
        rc |= config_default(&t->menus[i].on_timeout, "operator");
    }
    return rc;
}

/*
 * Fills every string the file did not set: the site's own settings (site files only) and
 * the entries'. Runs before the cross checks, which see sip_user.
 */
static int config_fill_defaults(acd_config_t *cfg, bool site)
{
    int rc = 0;
    if (site) {
        /* Calls to the anycast address reach only a socket bound to every address. */
        rc |= config_default(&cfg->sip_listen, cfg->anycast ? "0.0.0.0" : cfg->site_address);
        rc |= config_default(&cfg->prompts_dir, "/var/lib/acdd/prompts");
        rc |= config_default(&cfg->admin_listen, "127.0.0.1");
        rc |= config_default(&cfg->cdr_path, "/var/lib/acdd/cdr.jsonl");
        rc |= config_default(&cfg->log_level, "info");
        rc |= config_queue_log_default(cfg);
    }
    if (cfg->cluster)
        rc |= config_default(&cfg->cluster_prefix, "/acdd");
    if (cfg->anycast)
        rc |= config_default(&cfg->anycast_interface, "lo");
    for (size_t i = 0; i < cfg->n_tenants; i++)
        rc |= config_tenant_defaults(&cfg->tenants[i]);
    for (size_t i = 0; i < cfg->n_queues; i++)
        rc |= config_default(&cfg->queues[i].strategy, acd__cfg_strategies[0]);
    for (size_t i = 0; i < cfg->n_agents; i++)
        rc |= config_default(&cfg->agents[i].sip_user, cfg->agents[i].id);
    return rc ? -ENOMEM : 0;
}

/* ---- loading -------------------------------------------------------------------------------- */

/* The 1-based line holding byte offset of text (len bytes). */
static int config_line_at(const char *text, size_t len, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        line += text[i] == '\n';
    return line;
}

/*
 * Records libyaml's reason for refusing text (len bytes) in errs, with the line of the
 * problem and, when libyaml names one, the line where the enclosing construct began.
 * Returns ACD_ECONFIG, or -ENOMEM when libyaml or errs ran out of memory.
 */
static int config_syntax_error(const yaml_parser_t *parser, const char *text, size_t len,
                               acd_config_errors_t *errs)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return -ENOMEM;
    const char *problem = parser->problem ? parser->problem : "unreadable YAML";
    int rc;
    if (parser->error == YAML_READER_ERROR) {
        rc = acd__cfg_errors_add(errs, config_line_at(text, len, parser->problem_offset),
                                 "YAML syntax error: %s (the file must be UTF-8 text)", problem);
        return rc < 0 ? rc : ACD_ECONFIG;
    }
    int line = (int)parser->problem_mark.line + 1;
    size_t at = parser->problem_mark.index;
    const char *hint = at < len && text[at] == '\t' ? "; indent with spaces, not tabs" : "";
    if (parser->context)
        rc = acd__cfg_errors_add(errs, line, "YAML syntax error: %s (%s from line %d)%s", problem,
                                 parser->context, (int)parser->context_mark.line + 1, hint);
    else
        rc = acd__cfg_errors_add(errs, line, "YAML syntax error: %s%s", problem, hint);
    return rc < 0 ? rc : ACD_ECONFIG;
}

/* What one load reads: a site file or a shared config, and how their roots are told apart. */
typedef struct config_kind {
    const acd__cfg_table_t *root;
    bool site;           /* a site file: its own settings get their defaults */
    const char *needs;   /* what the document must have, said when it is empty */
    const char *not_map; /* the message for a root that is not a mapping */
} config_kind_t;

static const config_kind_t config_site = {
    .root = &acd__cfg_root,
    .site = true,
    .needs = "it needs at least a 'site' section",
    .not_map = "the top level must be a mapping of sections (site:, sip:, tenants: ...)",
};

static const config_kind_t config_shared = {
    .root = &acd__cfg_shared_root,
    .needs = "a shared config needs trunks, tenants, queues or agents",
    .not_map = "the top level must be a mapping (trunks:, tenants:, queues:, agents:)",
};

/* Walks the loaded document into cfg; returns 0 or -ENOMEM (errors go to ctx->errs). */
static int config_walk(acd__cfg_ctx_t *ctx, const config_kind_t *kind)
{
    yaml_node_t *root = yaml_document_get_root_node(ctx->doc);
    if (!root)
        acd__cfg_error(ctx, 0, "the file is empty: %s", kind->needs);
    else if (root->type != YAML_MAPPING_NODE)
        acd__cfg_error(ctx, acd__cfg_node_line(root), "%s", kind->not_map);
    else
        acd__cfg_walk_map(ctx, root, kind->root, ctx->cfg, NULL);
    /* A site file says what it lacks through its required keys; a shared one has none. */
    if (root && root->type == YAML_MAPPING_NODE && !kind->site && !ctx->cfg->shared_trunks &&
        !ctx->cfg->shared_entities)
        acd__cfg_error(ctx, acd__cfg_node_line(root), "%s", kind->needs);
    if (ctx->rc < 0)
        return ctx->rc;
    int rc = config_fill_defaults(ctx->cfg, kind->site);
    if (rc < 0)
        return rc;
    acd__cfg_lines_sort(ctx);
    acd__cfg_check(ctx);
    return ctx->rc;
}

static int config_load_text(const char *yaml, size_t len, const char *name,
                            const config_kind_t *kind, acd_config_t **cfgp,
                            acd_config_errors_t *errs)
{
    if (!yaml || !cfgp || !errs)
        return -EINVAL;
    size_t first = errs->n;
    acd_config_t *cfg = NULL;
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    bool have_parser = false, have_doc = false;
    acd__cfg_ctx_t ctx = {0};

    int rc = config_alloc(&cfg, name);
    if (rc < 0)
        goto out;
    if (!yaml_parser_initialize(&parser)) {
        rc = -ENOMEM;
        goto out;
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = config_syntax_error(&parser, yaml, len, errs);
        goto out;
    }
    have_doc = true;

    ctx = (acd__cfg_ctx_t){.doc = &doc, .cfg = cfg, .errs = errs};
    rc = config_walk(&ctx, kind);
    if (rc < 0)
        goto out;

    /* A second document would be silently ignored by a reader that stops at the first. */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = config_syntax_error(&parser, yaml, len, errs);
        if (rc < 0 && rc != ACD_ECONFIG)
            goto out;
    } else {
        yaml_node_t *root2 = yaml_document_get_root_node(&extra);
        if (root2 && acd__cfg_errors_add(errs, acd__cfg_node_line(root2),
                                         "only one YAML document per file is allowed") < 0)
            rc = -ENOMEM;
        yaml_document_delete(&extra);
        if (rc < 0)
            goto out;
    }
    rc = errs->n > first ? ACD_ECONFIG : 0;

out:
    if (rc == ACD_ECONFIG)
        config_errors_sort(errs, first);
    free(ctx.lines);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    if (rc == 0)
        *cfgp = cfg;
    else
        acd_config_free(cfg);
    return rc;
}

/* Reads the file at path into text (errors also recorded in errs, line 0). */
static int config_read_file(const char *path, acd_buf_t *text, acd_config_errors_t *errs)
{
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = -errno;
        if (acd__cfg_errors_add(errs, 0, "cannot open: %s", strerror(-rc)) < 0)
            rc = -ENOMEM;
        goto out;
    }
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (text->n + got > CONFIG_MAX_BYTES) {
            rc = acd__cfg_errors_add(errs, 0, "file is larger than %u bytes", CONFIG_MAX_BYTES);
            rc = rc < 0 ? rc : ACD_ECONFIG;
            goto out;
        }
        rc = acd_buf_append(text, chunk, got);
        if (rc < 0)
            goto out;
    }
    if (ferror(f)) {
        rc = errno ? -errno : -EIO;
        if (acd__cfg_errors_add(errs, 0, "cannot read: %s", strerror(-rc)) < 0)
            rc = -ENOMEM;
        goto out;
    }
    rc = acd_buf_append(text, "", 0); /* an empty file is an empty string, not NULL */

out:
    if (f)
        fclose(f);
    return rc;
}

static int config_load_file(const char *path, const config_kind_t *kind, acd_config_t **cfgp,
                            acd_config_errors_t *errs)
{
    if (!path || !cfgp || !errs)
        return -EINVAL;
    acd_buf_t text = {0};
    int rc = config_read_file(path, &text, errs);
    if (rc == 0)
        rc = config_load_text(text.p, text.n, path, kind, cfgp, errs);
    acd_buf_fini(&text);
    return rc;
}

int acd_config_read(const char *path, char **textp, size_t *lenp, acd_config_errors_t *errs)
{
    if (!path || !textp || !lenp || !errs)
        return -EINVAL;
    acd_buf_t text = {0};
    int rc = config_read_file(path, &text, errs);
    if (rc == 0)
        *textp = acd_buf_steal(&text, lenp);
    acd_buf_fini(&text);
    return rc;
}

int acd_config_load_string(const char *yaml, size_t len, const char *name, acd_config_t **cfgp,
                           acd_config_errors_t *errs)
{
    return config_load_text(yaml, len, name, &config_site, cfgp, errs);
}

int acd_config_load(const char *path, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return config_load_file(path, &config_site, cfgp, errs);
}

int acd_config_shared_load_string(const char *yaml, size_t len, const char *name,
                                  acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return config_load_text(yaml, len, name, &config_shared, cfgp, errs);
}

int acd_config_shared_load(const char *path, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return config_load_file(path, &config_shared, cfgp, errs);
}
