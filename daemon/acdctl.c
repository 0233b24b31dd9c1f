/* acdctl.c - the command-line client: asks a running acdd's admin endpoint, prints the answer;
 * stores the cluster's shared config in etcd (ctl/ctl_config.c). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config/config.h"
#include "ctl/ctl_cmd.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_drill.h"
#include "ctl/ctl_entity.h"
#include "ctl/ctl_http.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_status.h"
#include "ctl/ctl_tenant.h"
#include "util/err.h"
#include "util/log.h"

/*
 * The commands. Each module (ctl/ctl_*.c) runs its own: argv[0] is the command word and
 * the rest its arguments. An admin command gets the endpoint (acdd's admin API); the
 * config command talks to etcd and gets the global options instead.
 */
typedef struct ctl_command {
    const char *name;
    int (*admin)(const acd__ctl_endpoint_t *ep, int argc, char **argv);
} ctl_command_t;

static const ctl_command_t ctl_commands[] = {
    {"status", acd__ctl_status},    {"drain", acd__ctl_drain},     {"undrain", acd__ctl_drain},
    {"agent", acd__ctl_entity},     {"queue", acd__ctl_entity},    {"call", acd__ctl_entity},
    {"cluster", acd__ctl_cluster},  {"reload", acd__ctl_reload},   {"tenant", acd__ctl_tenant},
    {"voicemail", acd__ctl_tenant}, {"outbound", acd__ctl_tenant}, {"drill", acd__ctl_drill},
    /* report: ctl/ctl_report.c */
};

static void ctl_usage(FILE *f)
{
    fputs("Usage: acdctl [--admin HOST:PORT] [--config FILE] [--token-file FILE | --token T]\n"
          "              [--etcd URL[,URL...]] [--prefix PREFIX] COMMAND [ARGS]\n"
          "\n"
          "Asks a running acdd through its admin endpoint (HTTP on loopback), or the\n"
          "cluster's etcd for its shared config. `acdctl COMMAND --help` tells more.\n"
          "\n"
          "Options:\n"
          "  -a, --admin HOST:PORT  admin endpoint (default " CTL_DEFAULT_HOST ":8080;\n"
          "                         IPv6 as [::1]:8080); wins over --config\n"
          "  -c, --config FILE      acdd's config: the admin address, port and token file,\n"
          "                         the cluster section's etcd and prefix (config)\n"
          "  -T, --token-file FILE  the API's bearer token (acdd's admin.token_file)\n"
          "  -t, --token TOKEN      the token itself (seen by ps: prefer a file or\n"
          "                         ACDCTL_TOKEN); order: --token, --token-file,\n"
          "                         ACDCTL_TOKEN, --config's admin.token_file\n"
          "  -e, --etcd URL[,URL]   etcd endpoints (config); wins over --config\n"
          "  -p, --prefix PREFIX    etcd key prefix (config; default /acdd); wins over --config\n"
          "  -h, --help             show this help\n"
          "\n"
          "Commands (each takes --json for acdd's JSON, --help for its usage):\n"
          "  status                 site, cluster, anycast, queues, agents and calls\n"
          "  agent list|show ID     agents: state, pause reason, call, site\n"
          "  agent login|logout|unpause ID, agent pause ID --reason R\n"
          "                         steer an agent (a logout sticks until login)\n"
          "  queue list|show NAME   queues: waiting, offered, agents, longest wait, AHT\n"
          "  call list|show ID      calls in queues and callers outside them\n"
          "  cluster status         the leader and every site, live or dark, with its lag\n"
          "  reload                 re-read acdd's config file (as SIGHUP), say what changed\n"
          "  drain                  planned maintenance: no new calls (503), calls in\n"
          "                         progress finish, the anycast address is withdrawn;\n"
          "                         acdd keeps running\n"
          "  undrain                take new calls again (and announce, when healthy)\n"
          "  tenant list|show|override|clear|instructions ...\n"
          "                         tenants' live state (acdctl tenant --help)\n"
          "  voicemail TENANT       messages left and overdue\n"
          "  outbound TENANT NUMBER an outbound call by the tenant's agents\n"
          "  drill [show|start NAME [BY]|stop]\n"
          "                         the failover drill every wallboard shows (drill --help)\n"
          "  report billing ...     a tenant's billing CSV from CDR files (report --help)\n"
          "  config push FILE       check a shared config and store it in etcd\n"
          "  config show            print the shared config stored in etcd\n"
          "\n"
          "Exit status of the acdd commands: 0 ok, 1 usage error, 2 cannot reach acdd,\n"
          "3 bad response, 4 acdd refused the request (invalid, conflict: its reason is\n"
          "printed), 5 not authorized (no token or the wrong one), 6 not found (no such\n"
          "agent, queue, call or tenant).\n"
          "Exit status of config: 0 ok, 1 invalid FILE (nothing written) or nothing stored,\n"
          "2 usage error, 3 etcd unreachable or refused the request.\n",
          f);
}

/* ---- where to connect, with what token ---- */

/* Parses "HOST:PORT" or "[V6ADDR]:PORT" into ep. Returns 0 or -EINVAL. */
static int ctl_parse_endpoint(const char *text, acd__ctl_endpoint_t *ep)
{
    const char *host = text, *colon;
    size_t host_len;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        host = text + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || memchr(text, ':', (size_t)(colon - text)))
            return -EINVAL; /* no port, or an IPv6 address without brackets */
        host_len = (size_t)(colon - text);
    }
    if (host_len == 0 || host_len >= sizeof(ep->host))
        return -EINVAL;

    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
        return -EINVAL;
    memcpy(ep->host, host, host_len);
    ep->host[host_len] = '\0';
    ep->port = (uint16_t)port;
    return 0;
}

/*
 * Reads the admin address (unless have_addr) and the token from acdd's config file. An
 * unspecified listen address (acdd listening on all of them) is reached through
 * loopback. Returns an exit code.
 */
static int ctl_endpoint_from_config(const char *path, bool have_addr, acd__ctl_endpoint_t *ep)
{
    acd_config_errors_t errs = {0};
    acd_config_t *cfg = NULL;
    int rc = acd_config_load(path, &cfg, &errs);

    if (rc) {
        if (errs.n)
            acd_config_errors_print(&errs, path, stderr);
        else
            fprintf(stderr, "acdctl: %s: %s\n", path, acd_strerror(rc));
        acd_config_errors_fini(&errs);
        return CTL_EXIT_USAGE;
    }
    acd_config_errors_fini(&errs);

    const char *listen = cfg->admin_listen ? cfg->admin_listen : CTL_DEFAULT_HOST;
    if (strcmp(listen, "0.0.0.0") == 0)
        listen = "127.0.0.1";
    else if (strcmp(listen, "::") == 0)
        listen = "::1";
    rc = CTL_EXIT_OK;
    if (!ep->token[0] && cfg->admin_token)
        snprintf(ep->token, sizeof(ep->token), "%s", cfg->admin_token);
    if (have_addr) {
    } else if (cfg->admin_port == 0) {
        fprintf(stderr,
                "acdctl: cannot reach acdd: the admin endpoint is disabled in %s "
                "(admin port 0)\n",
                path);
        rc = CTL_EXIT_UNREACHABLE;
    } else if (strlen(listen) >= sizeof(ep->host)) {
        fprintf(stderr, "acdctl: %s: admin listen address too long\n", path);
        rc = CTL_EXIT_USAGE;
    } else {
        snprintf(ep->host, sizeof(ep->host), "%s", listen);
        ep->port = cfg->admin_port;
    }
    acd_config_free(cfg);
    return rc;
}

/* The first line of the file at path, as the token. Returns an exit code. */
static int ctl_token_from_file(const char *path, acd__ctl_endpoint_t *ep)
{
    FILE *f = fopen(path, "r");
    char line[CTL_TOKEN_MAX + 2] = "";
    if (!f) {
        fprintf(stderr, "acdctl: --token-file %s: %s\n", path, strerror(errno));
        return CTL_EXIT_USAGE;
    }
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (!got || !line[0] || strlen(line) > CTL_TOKEN_MAX) {
        fprintf(stderr, "acdctl: --token-file %s: no token of 1..%d characters on its first line\n",
                path, CTL_TOKEN_MAX);
        return CTL_EXIT_USAGE;
    }
    snprintf(ep->token, sizeof(ep->token), "%s", line);
    explicit_bzero(line, sizeof(line));
    return CTL_EXIT_OK;
}

/* What the global options say about acdd's endpoint. */
typedef struct ctl_globals {
    const char *admin, *config, *token, *token_file;
} ctl_globals_t;

/* Resolves the endpoint and the token from the global options and the environment. */
static int ctl_endpoint(const ctl_globals_t *g, acd__ctl_endpoint_t *ep)
{
    const char *env = getenv("ACDCTL_TOKEN");
    int rc = CTL_EXIT_OK;
    if (g->admin && ctl_parse_endpoint(g->admin, ep) != 0) {
        fprintf(stderr, "acdctl: --admin wants HOST:PORT (or [IPV6]:PORT), not '%s'\n", g->admin);
        return CTL_EXIT_USAGE;
    }
    if (g->token && strlen(g->token) > CTL_TOKEN_MAX) {
        fprintf(stderr, "acdctl: --token is longer than %d characters\n", CTL_TOKEN_MAX);
        return CTL_EXIT_USAGE;
    }
    if (g->token)
        snprintf(ep->token, sizeof(ep->token), "%s", g->token);
    else if (g->token_file)
        rc = ctl_token_from_file(g->token_file, ep);
    else if (env && *env)
        snprintf(ep->token, sizeof(ep->token), "%.*s", CTL_TOKEN_MAX, env);
    if (rc == CTL_EXIT_OK && g->config)
        rc = ctl_endpoint_from_config(g->config, g->admin != NULL, ep);
    return rc;
}

/* ---- main ---- */

static const ctl_command_t *ctl_find(const char *name)
{
    for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
        if (!strcmp(ctl_commands[i].name, name))
            return &ctl_commands[i];
    return NULL;
}

/* Runs an admin command: --help needs no endpoint, anything else resolves it first. */
static int ctl_run_admin(const ctl_command_t *cmd, const ctl_globals_t *g, int argc, char **argv)
{
    acd__ctl_endpoint_t ep = {.host = CTL_DEFAULT_HOST, .port = CTL_DEFAULT_PORT};
    bool help = false;
    for (int i = 1; i < argc && !help; i++)
        help = acd__ctl_is_help(argv[i]);
    int rc = help ? CTL_EXIT_OK : ctl_endpoint(g, &ep);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "acdctl: cannot initialise libcurl\n");
        return CTL_EXIT_UNREACHABLE;
    }
    rc = cmd->admin(&ep, argc, argv);
    explicit_bzero(ep.token, sizeof(ep.token));
    curl_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"admin", required_argument, NULL, 'a'}, {"config", required_argument, NULL, 'c'},
        {"etcd", required_argument, NULL, 'e'},  {"prefix", required_argument, NULL, 'p'},
        {"token", required_argument, NULL, 't'}, {"token-file", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    ctl_globals_t g = {0};
    acd__ctl_etcd_opts_t etcd = {0};
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:a:c:e:p:t:T:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            g.admin = optarg;
            break;
        case 'c':
            g.config = optarg;
            break;
        case 'e':
            etcd.etcd = optarg;
            break;
        case 'p':
            etcd.prefix = optarg;
            break;
        case 't':
            g.token = optarg;
            break;
        case 'T':
            g.token_file = optarg;
            break;
        case 'h':
            ctl_usage(stdout);
            return CTL_EXIT_OK;
        case ':':
            fprintf(stderr, "acdctl: option '%s' needs an argument\n", argv[optind - 1]);
            ctl_usage(stderr);
            return CTL_EXIT_USAGE;
        default:
            fprintf(stderr, "acdctl: unknown option '%s'\n", argv[optind - 1]);
            ctl_usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "acdctl: no command given\n");
        ctl_usage(stderr);
        return CTL_EXIT_USAGE;
    }

    const char *name = argv[optind];
    const ctl_command_t *cmd = ctl_find(name);
    if (cmd)
        return ctl_run_admin(cmd, &g, argc - optind, argv + optind);
    if (!strcmp(name, "report")) /* reads CDR files: neither acdd nor etcd */
        return acd__ctl_report(g.config, argc - optind, argv + optind);
    if (!strcmp(name, "config")) {
        /* The etcd client (which sets libcurl up itself) logs retries and failovers;
           acdctl says what came of them. */
        acd_log_init(stderr, ACD_LOG_ERR, "acdctl");
        etcd.config = g.config;
        return acd__ctl_config(&etcd, argc - optind, argv + optind);
    }
    fprintf(stderr, "acdctl: unknown command '%s'\n", name);
    ctl_usage(stderr);
    return CTL_EXIT_USAGE;
}
