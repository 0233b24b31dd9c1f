/* ctl_report.c - acdctl report billing: a tenant's billed agent handle time, from CDR files. */
#include "ctl/ctl_report.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "report/billing.h"
#include "util/buf.h"
#include "util/err.h"

enum {
    REPORT_EXIT_OK = 0,
    REPORT_EXIT_USAGE = 1, /* bad arguments, invalid config, unknown zone or tenant */
    REPORT_EXIT_INPUT = 2  /* a CDR file could not be opened or read */
};

#define REPORT_FILES_MAX 64

static void report_usage(FILE *f)
{
    fputs("Usage: acdctl [--config SITE.yaml] report billing --tenant T --from YYYY-MM-DD\n"
          "              [--to YYYY-MM-DD] [--tz ZONE] [--cdr FILE]... [--json]\n"
          "\n"
          "Bills a tenant's agent handle time (talk + wrap-up) call by call, each rounded up\n"
          "to whole 6-second increments (1 s bills 6 s, 61 s bills 66 s; never whole\n"
          "minutes), from the CDR JSON lines acdd writes (docs/billing.md). A call belongs\n"
          "to the date of its answer time in the tenant's time zone; --from and --to are\n"
          "inclusive. Prints CSV: one row per billed call, then a TOTAL row.\n"
          "\n"
          "Options:\n"
          "  -t, --tenant T     the tenant billed (required)\n"
          "  -f, --from DATE    first day, YYYY-MM-DD (required)\n"
          "  -u, --to DATE      last day (default: --from)\n"
          "  -z, --tz ZONE      dates in this IANA zone instead of the tenant's timezone\n"
          "                     from --config (needed without --config; UTC for UTC dates)\n"
          "  -d, --cdr FILE     a CDR JSON lines file; repeat it for every site's file in a\n"
          "                     cluster (each call counts once); - is stdin. Default: the\n"
          "                     config's cdr.path, and its .indoubt file when there is one\n"
          "  -j, --json         print one JSON object instead of CSV\n"
          "  -h, --help         show this help\n"
          "\n"
          "Lines that are not CDRs are skipped with a warning on stderr.\n"
          "Exit status: 0 ok, 1 usage error (bad arguments, invalid config, unknown time\n"
          "zone), 2 a CDR file could not be read (nothing printed).\n",
          f);
}

/* What the command line asked for. */
typedef struct report_args {
    const char *tenant, *from, *to, *tz;
    const char *files[REPORT_FILES_MAX];
    size_t n_files;
    bool json;
} report_args_t;

/* Parses billing's options (argv[0] is "billing"). Returns an exit code, -1 for --help. */
static int report_parse(report_args_t *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"tenant", required_argument, NULL, 't'}, {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 'u'},     {"tz", required_argument, NULL, 'z'},
        {"cdr", required_argument, NULL, 'd'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0; /* glibc: start over on the command's own arguments */
    while ((c = getopt_long(argc, argv, "+:t:f:u:z:d:jh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            a->tenant = optarg;
            break;
        case 'f':
            a->from = optarg;
            break;
        case 'u':
            a->to = optarg;
            break;
        case 'z':
            a->tz = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            return -1;
        case 'd':
            if (a->n_files == REPORT_FILES_MAX) {
                fprintf(stderr, "acdctl report billing: at most %d --cdr files\n",
                        REPORT_FILES_MAX);
                return REPORT_EXIT_USAGE;
            }
            a->files[a->n_files++] = optarg;
            break;
        case ':':
            fprintf(stderr, "acdctl report billing: option '%s' needs an argument\n",
                    argv[optind - 1]);
            return REPORT_EXIT_USAGE;
        default:
            fprintf(stderr, "acdctl report billing: unknown option '%s'\n", argv[optind - 1]);
            return REPORT_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acdctl report billing: unexpected argument '%s'\n", argv[optind]);
        return REPORT_EXIT_USAGE;
    }
    if (!a->tenant || !a->from) {
        fprintf(stderr, "acdctl report billing: --tenant and --from are required\n");
        return REPORT_EXIT_USAGE;
    }
    if (!a->to)
        a->to = a->from;
    return REPORT_EXIT_OK;
}

/* ---- the site file: default files, the tenant's zone ---- */

static const acd_cfg_tenant_t *report_tenant(const acd_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_tenants; i++)
        if (!strcmp(cfg->tenants[i].name, name))
            return &cfg->tenants[i];
    return NULL;
}

/*
 * Fills what the command line left out from the site file: the zone of the tenant and
 * the site's CDR files (cdr.path, and <cdr.path>.indoubt when it exists: records held
 * at an exit while a takeover was possible). Strings are copied into store. Returns an
 * exit code.
 */
static int report_from_config(report_args_t *a, const char *config, char store[][4096])
{
    if (!config) {
        if (!a->n_files) {
            fprintf(stderr, "acdctl report billing: which CDR files? give --cdr FILE (one per "
                            "site) or --config SITE.yaml (its cdr.path)\n");
            return REPORT_EXIT_USAGE;
        }
        if (!a->tz) {
            fprintf(stderr, "acdctl report billing: the tenant's time zone is unknown without "
                            "--config: give --tz ZONE (UTC for UTC dates)\n");
            return REPORT_EXIT_USAGE;
        }
        return REPORT_EXIT_OK;
    }
    acd_config_errors_t errs = {0};
    acd_config_t *cfg = NULL;
    int rc = acd_config_load(config, &cfg, &errs);
    if (rc) {
        acd_config_errors_print(&errs, config, stderr);
        if (!errs.n)
            fprintf(stderr, "acdctl: %s: %s\n", config, acd_strerror(rc));
        acd_config_errors_fini(&errs);
        return REPORT_EXIT_USAGE;
    }
    acd_config_errors_fini(&errs);
    int code = REPORT_EXIT_OK;
    const acd_cfg_tenant_t *t = report_tenant(cfg, a->tenant);
    if (!a->tz && !t) {
        fprintf(stderr,
                "acdctl report billing: %s has no tenant '%s': give --tz ZONE for its "
                "dates\n",
                config, a->tenant);
        code = REPORT_EXIT_USAGE;
    } else if (!a->tz) {
        snprintf(store[0], sizeof(store[0]), "%s", t->timezone ? t->timezone : "UTC");
        a->tz = store[0];
    }
    if (code == REPORT_EXIT_OK && !a->n_files && cfg->cdr_path) {
        snprintf(store[1], sizeof(store[1]), "%s", cfg->cdr_path);
        a->files[a->n_files++] = store[1];
        snprintf(store[2], sizeof(store[2]), "%s.indoubt", cfg->cdr_path);
        if (access(store[2], F_OK) == 0)
            a->files[a->n_files++] = store[2];
    }
    acd_config_free(cfg);
    return code;
}

/* ---- reading and printing ---- */

/* Reads one CDR file into b, warning about bad lines. Returns an exit code. */
static int report_read(acd_billing_t *b, const char *path)
{
    bool in_stdin = !strcmp(path, "-");
    FILE *f = in_stdin ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "acdctl report billing: cannot read %s: %s\n", path, strerror(errno));
        return REPORT_EXIT_INPUT;
    }
    acd_billing_input_t in;
    int rc = acd_billing_read(b, f, &in);
    if (!in_stdin)
        fclose(f);
    if (rc < 0) {
        fprintf(stderr, "acdctl report billing: reading %s: %s\n", path, acd_strerror(rc));
        return rc == -ENOMEM ? REPORT_EXIT_USAGE : REPORT_EXIT_INPUT;
    }
    if (in.bad)
        fprintf(stderr,
                "acdctl report billing: warning: %s: %zu of %zu lines are not CDRs and"
                " were skipped (the first is line %zu)\n",
                path, in.bad, in.lines, in.first_bad);
    return REPORT_EXIT_OK;
}

static int report_billing(const char *config, int argc, char **argv)
{
    report_args_t a = {0};
    static char store[3][4096];
    int code = report_parse(&a, argc, argv);
    if (code == -1) {
        report_usage(stdout);
        return REPORT_EXIT_OK;
    }
    if (code == REPORT_EXIT_OK)
        code = report_from_config(&a, config, store);
    if (code != REPORT_EXIT_OK) {
        fputs("(acdctl report billing --help tells more)\n", stderr);
        return code;
    }
    acd_billing_t b;
    char err[200];
    if (acd_billing_init(&b, a.tenant, a.tz, a.from, a.to, err, sizeof(err)) < 0) {
        fprintf(stderr, "acdctl report billing: %s\n", err);
        return REPORT_EXIT_USAGE;
    }
    for (size_t i = 0; code == REPORT_EXIT_OK && i < a.n_files; i++)
        code = report_read(&b, a.files[i]);
    acd_buf_t out = {0};
    int rc = 0;
    if (code == REPORT_EXIT_OK && (rc = acd_billing_finish(&b)) == 0)
        rc = a.json ? acd_billing_json(&b, &out) : acd_billing_csv(&b, &out);
    if (code == REPORT_EXIT_OK && rc < 0) {
        fprintf(stderr, "acdctl report billing: %s\n", acd_strerror(rc));
        code = REPORT_EXIT_USAGE;
    }
    if (code == REPORT_EXIT_OK) {
        if (b.duplicates)
            fprintf(stderr,
                    "acdctl report billing: note: %zu duplicate record(s) (a call_id "
                    "already read, in another file) skipped: each call counts once\n",
                    b.duplicates);
        fwrite(out.p, 1, out.n, stdout);
        if (a.json)
            putchar('\n');
    }
    acd_buf_fini(&out);
    acd_billing_fini(&b);
    return code;
}

int acd__ctl_report(const char *config, int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : NULL;
    if (what && !strcmp(what, "billing"))
        return report_billing(config, argc - 1, argv + 1);
    bool help = what && (!strcmp(what, "-h") || !strcmp(what, "--help"));
    if (!what)
        fputs("acdctl report: which report? (billing)\n", stderr);
    else if (!help)
        fprintf(stderr, "acdctl report: unknown report '%s' (billing)\n", what);
    report_usage(help ? stdout : stderr);
    return help ? REPORT_EXIT_OK : REPORT_EXIT_USAGE;
}
