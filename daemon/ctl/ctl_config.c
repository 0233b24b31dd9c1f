/* ctl_config.c - acdctl config: check a shared config and store it in etcd; show what is stored. */
#include "ctl/ctl_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cluster/etcd.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

enum {
    CFG_EXIT_OK = 0,
    CFG_EXIT_INVALID = 1, /* push: FILE invalid, nothing written; show: nothing stored */
    CFG_EXIT_USAGE = 2,   /* bad arguments, or a site file that does not say where etcd is */
    CFG_EXIT_ETCD = 3     /* etcd could not be reached or refused the request */
};

/* One attempt per endpoint (twice when there is one): a dead cluster costs at most that. */
#define CFG_ETCD_TIMEOUT_MS 3000u
#define CFG_ENDPOINTS_MAX 16
#define CFG_PREFIX_MAX 200

/* The cluster's etcd: endpoints, the key of the shared config, and how to name them. */
typedef struct cfg_cluster {
    char *urls[CFG_ENDPOINTS_MAX];
    size_t n_urls;
    char key[CFG_PREFIX_MAX + sizeof("/config")];
    char where[CFG_ENDPOINTS_MAX * 64]; /* "http://a:2379, http://b:2379" for messages */
} cfg_cluster_t;

static void cfg_cluster_fini(cfg_cluster_t *c)
{
    for (size_t i = 0; i < c->n_urls; i++)
        free(c->urls[i]);
    c->n_urls = 0;
}

static void cfg_usage(FILE *f)
{
    fputs("Usage: acdctl [--config SITE.yaml | --etcd URL[,URL...]] [--prefix PREFIX]\n"
          "              config push [--dry-run] FILE\n"
          "       acdctl [--config SITE.yaml | --etcd URL[,URL...]] [--prefix PREFIX] config show\n"
          "\n"
          "push  checks FILE, a shared config (trunks, tenants, queues, agents), with the\n"
          "      checks every site runs, and only when it is valid stores it in etcd at\n"
          "      PREFIX/config, where every site of the cluster picks it up\n"
          "show  prints what is stored at PREFIX/config, after a line with its mod revision\n"
          "\n"
          "etcd is the cluster section of SITE.yaml, or --etcd (which wins); PREFIX is\n"
          "--prefix, else the site file's, else /acdd.\n"
          "\n"
          "Options:\n"
          "  -n, --dry-run  push: check FILE only, do not contact etcd\n"
          "  -h, --help     show this help\n"
          "\n"
          "Exit status: 0 done, 1 FILE invalid (nothing written) or nothing stored,\n"
          "2 usage error, 3 etcd unreachable or refused the request.\n",
          f);
}

/* ---- where etcd is ---- */

static int cfg_add_url(cfg_cluster_t *c, const char *url, size_t len)
{
    if (c->n_urls == CFG_ENDPOINTS_MAX) {
        fprintf(stderr, "acdctl: at most %d etcd endpoints\n", CFG_ENDPOINTS_MAX);
        return CFG_EXIT_USAGE;
    }
    bool scheme =
        (len > 7 && !strncmp(url, "http://", 7)) || (len > 8 && !strncmp(url, "https://", 8));
    if (!scheme || len > 200) {
        fprintf(stderr, "acdctl: --etcd wants http://HOST:PORT[,http://HOST:PORT...], not '%.*s'\n",
                (int)len, url);
        return CFG_EXIT_USAGE;
    }
    if (!(c->urls[c->n_urls] = strndup(url, len))) {
        fprintf(stderr, "acdctl: out of memory\n");
        return CFG_EXIT_USAGE;
    }
    c->n_urls++;
    return CFG_EXIT_OK;
}

/* Fills c->urls from --etcd "URL,URL" (when given) or from the site file's cluster section. */
static int cfg_cluster_urls(cfg_cluster_t *c, const acd__ctl_etcd_opts_t *o,
                            const acd_config_t *site)
{
    int rc = CFG_EXIT_OK;
    if (o->etcd) {
        for (const char *p = o->etcd; rc == CFG_EXIT_OK;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            rc = cfg_add_url(c, p, len);
            if (!comma)
                break;
            p = comma + 1;
        }
    } else {
        for (size_t i = 0; rc == CFG_EXIT_OK && i < site->n_etcd_endpoints; i++)
            rc = cfg_add_url(c, site->etcd_endpoints[i], strlen(site->etcd_endpoints[i]));
    }
    return rc;
}

/* Loads --config's site file for its cluster section; *sitep stays NULL without one. */
static int cfg_load_site(const acd__ctl_etcd_opts_t *o, acd_config_t **sitep)
{
    acd_config_errors_t errs = {0};
    *sitep = NULL;
    if (!o->config)
        return CFG_EXIT_OK;
    int rc = acd_config_load(o->config, sitep, &errs);
    if (rc) {
        acd_config_errors_print(&errs, o->config, stderr);
        if (!errs.n)
            fprintf(stderr, "acdctl: %s: %s\n", o->config, acd_strerror(rc));
    }
    acd_config_errors_fini(&errs);
    return rc ? CFG_EXIT_USAGE : CFG_EXIT_OK;
}

/* Resolves where etcd is and the key, from the options and the site file. Returns an exit code. */
static int cfg_cluster_init(cfg_cluster_t *c, const acd__ctl_etcd_opts_t *o)
{
    acd_config_t *site = NULL;
    memset(c, 0, sizeof(*c));
    int rc = cfg_load_site(o, &site);
    if (rc != CFG_EXIT_OK)
        return rc;
    if (!o->etcd && !(site && site->cluster)) {
        if (site)
            fprintf(stderr,
                    "acdctl: %s has no cluster section: say where etcd is with --etcd URL\n",
                    o->config);
        else
            fprintf(stderr, "acdctl config: where is etcd? give --etcd URL[,URL...] or --config "
                            "SITE.yaml (its cluster section)\n");
        rc = CFG_EXIT_USAGE;
        goto out;
    }
    const char *prefix = o->prefix                      ? o->prefix
                         : site && site->cluster_prefix ? site->cluster_prefix
                                                        : "/acdd";
    if (!*prefix || strlen(prefix) > CFG_PREFIX_MAX) {
        fprintf(stderr, "acdctl: --prefix must be 1 to %d characters\n", CFG_PREFIX_MAX);
        rc = CFG_EXIT_USAGE;
        goto out;
    }
    /* The key every site's member watches: "<prefix>/config", written exactly so. */
    snprintf(c->key, sizeof(c->key), "%s/config", prefix);
    rc = cfg_cluster_urls(c, o, site);
    for (size_t i = 0; rc == CFG_EXIT_OK && i < c->n_urls; i++) {
        size_t n = strlen(c->where);
        snprintf(c->where + n, sizeof(c->where) - n, "%s%s", i ? ", " : "", c->urls[i]);
    }

out:
    acd_config_free(site);
    if (rc != CFG_EXIT_OK)
        cfg_cluster_fini(c);
    return rc;
}

/* ---- one etcd request, run to its end ---- */

typedef struct cfg_request {
    bool done;
    int err;
    int64_t revision; /* the store's revision after the request */
    bool found;       /* range: the key exists */
    int64_t mod_revision;
    acd_buf_t value;
} cfg_request_t;

static void cfg_request_done(acd_etcd_t *e, const acd_etcd_result_t *res, void *ud)
{
    cfg_request_t *r = ud;
    r->done = true;
    r->err = res->err;
    r->revision = res->revision;
    if (res->err == 0 && res->n_kvs > 0) {
        r->found = true;
        r->mod_revision = res->kvs[0].mod_revision;
        if (acd_buf_append_str(&r->value, res->kvs[0].value) < 0)
            r->err = -ENOMEM;
    }
    /* The client's last handles go; the loop then runs dry and acd__ctl_config goes on. */
    acd_etcd_close(e, NULL, NULL);
}

/*
 * Puts value at c->key (value non-NULL) or reads c->key, on a private loop that runs
 * until the etcd client answered and closed: every endpoint is tried (acd_etcd_t's
 * failover), each attempt bounded by CFG_ETCD_TIMEOUT_MS. Returns 0 (r filled) or the
 * client's error.
 */
static int cfg_request_run(const cfg_cluster_t *c, const acd_str_t *value, cfg_request_t *r)
{
    uv_loop_t loop;
    acd_etcd_t *e = NULL;
    const acd_etcd_cfg_t ec = {.endpoints = (const char *const *)c->urls,
                               .n_endpoints = c->n_urls,
                               .request_timeout_ms = CFG_ETCD_TIMEOUT_MS};
    acd_str_t key = acd_str_from(c->key);
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        return rc;
    rc = acd_etcd_alloc(&e, &loop, &ec);
    if (rc == 0) {
        rc = value ? acd_etcd_put(e, key, *value, 0, cfg_request_done, r)
                   : acd_etcd_range(e, ACD_ETCD_KEY(key), cfg_request_done, r);
        if (rc < 0)
            acd_etcd_close(e, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (rc == 0)
            rc = r->done ? r->err : ACD_ESTATE;
    }
    if (uv_loop_close(&loop) != 0 && rc == 0)
        rc = ACD_ESTATE;
    return rc;
}

/* Says why etcd did not do what was asked; what tells the reader what (not) happened. */
static int cfg_etcd_failed(const cfg_cluster_t *c, int err, const char *what)
{
    switch (err) {
    case -ECONNREFUSED:
    case -ECONNRESET:
    case -EHOSTUNREACH:
    case -EAGAIN:
        fprintf(stderr, "acdctl: cannot reach etcd at %s: %s; %s\n", c->where, acd_strerror(err),
                what);
        break;
    case -ETIMEDOUT:
        fprintf(stderr, "acdctl: etcd at %s did not answer in time (%u ms per attempt): %s\n",
                c->where, CFG_ETCD_TIMEOUT_MS, what);
        break;
    default:
        fprintf(stderr, "acdctl: etcd at %s refused the request for %s: %s; %s\n", c->where, c->key,
                acd_strerror(err), what);
        break;
    }
    return CFG_EXIT_ETCD;
}

/* ---- commands ---- */

/* "2 tenants, 2 queues, 3 agents; each site keeps its own trunks". */
static void cfg_summary(const acd_config_t *shared, char *buf, size_t len)
{
    int n = 0;
    if (shared->shared_entities)
        n = snprintf(buf, len, "%zu tenants, %zu queues, %zu agents", shared->n_tenants,
                     shared->n_queues, shared->n_agents);
    if (shared->shared_trunks)
        snprintf(buf + n, len - (size_t)n, "%s%zu trunks", n ? ", " : "", shared->n_trunks);
    else
        snprintf(buf + n, len - (size_t)n, "; each site keeps its own trunks");
    if (!shared->shared_entities)
        snprintf(buf + strlen(buf), len - strlen(buf),
                 "; each site keeps its own tenants, queues and agents");
}

static int cfg_push(const acd__ctl_etcd_opts_t *o, const char *path, bool dry_run)
{
    cfg_cluster_t c = {0};
    acd_config_errors_t errs = {0};
    acd_config_t *shared = NULL;
    char *text = NULL;
    size_t len = 0;
    int code = dry_run ? CFG_EXIT_OK : cfg_cluster_init(&c, o);
    if (code != CFG_EXIT_OK)
        return code;

    /* The bytes checked are the bytes stored: the file is read once. */
    int rc = acd_config_read(path, &text, &len, &errs);
    if (rc == 0)
        rc = acd_config_shared_load_string(text, len, path, &shared, &errs);
    if (rc) {
        acd_config_errors_print(&errs, path, stderr);
        if (!errs.n)
            fprintf(stderr, "acdctl: %s: %s\n", path, acd_strerror(rc));
        fprintf(stderr, "acdctl: %s is not a valid shared config: nothing written\n", path);
        code = CFG_EXIT_INVALID;
        goto out;
    }
    char summary[160];
    cfg_summary(shared, summary, sizeof(summary));
    printf("%s: OK (%s)\n", path, summary);
    if (dry_run)
        goto out;

    cfg_request_t r = {0};
    acd_str_t value = {text, len};
    rc = cfg_request_run(&c, &value, &r);
    if (rc)
        code = cfg_etcd_failed(&c, rc,
                               rc == -ETIMEDOUT ? "the write may have been applied or not: check "
                                                  "with acdctl config show"
                                                : "nothing written");
    else
        printf("written to %s at revision %lld\n", c.key, (long long)r.revision);
    acd_buf_fini(&r.value);

out:
    acd_config_free(shared);
    acd_config_errors_fini(&errs);
    free(text);
    cfg_cluster_fini(&c);
    return code;
}

static int cfg_show(const acd__ctl_etcd_opts_t *o)
{
    cfg_cluster_t c;
    int code = cfg_cluster_init(&c, o);
    if (code != CFG_EXIT_OK)
        return code;
    cfg_request_t r = {0};
    int rc = cfg_request_run(&c, NULL, &r);
    if (rc) {
        code = cfg_etcd_failed(&c, rc, "nothing shown");
    } else if (!r.found) {
        fprintf(stderr, "acdctl: nothing is stored at %s: each site runs on its own file\n", c.key);
        code = CFG_EXIT_INVALID;
    } else {
        /* A YAML comment first: what is printed can be pushed again as it is. */
        printf("# %s mod_revision %lld\n", c.key, (long long)r.mod_revision);
        fwrite(r.value.p, 1, r.value.n, stdout);
        if (r.value.n && r.value.p[r.value.n - 1] != '\n')
            putchar('\n');
    }
    acd_buf_fini(&r.value);
    cfg_cluster_fini(&c);
    return code;
}

int acd__ctl_config(const acd__ctl_etcd_opts_t *opts, int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool dry_run = false;
    int ch;

    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
        if (!help)
            fprintf(stderr, "acdctl config: say push FILE or show\n");
        cfg_usage(help ? stdout : stderr);
        return help ? CFG_EXIT_OK : CFG_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "push") && strcmp(sub, "show")) {
        fprintf(stderr, "acdctl config: unknown subcommand '%s'\n", sub);
        cfg_usage(stderr);
        return CFG_EXIT_USAGE;
    }
    optind = 0; /* glibc: start over on the subcommand's own arguments */
    while ((ch = getopt_long(argc - 1, argv + 1, "+:nh", long_opts, NULL)) != -1) {
        if (ch == 'h') {
            cfg_usage(stdout);
            return CFG_EXIT_OK;
        }
        if (ch != 'n' || strcmp(sub, "push")) {
            fprintf(stderr, "acdctl config %s: unknown option '%s'\n", sub, argv[optind]);
            cfg_usage(stderr);
            return CFG_EXIT_USAGE;
        }
        dry_run = true;
    }
    int rest = argc - 1 - optind;
    if (!strcmp(sub, "show")) {
        if (rest) {
            fprintf(stderr, "acdctl config show: unexpected argument '%s'\n", argv[1 + optind]);
            return CFG_EXIT_USAGE;
        }
        return cfg_show(opts);
    }
    if (rest != 1) {
        fprintf(stderr, "acdctl config push: %s\n", rest ? "one FILE only" : "which FILE?");
        cfg_usage(stderr);
        return CFG_EXIT_USAGE;
    }
    return cfg_push(opts, argv[1 + optind], dry_run);
}
