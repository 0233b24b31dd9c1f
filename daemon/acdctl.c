/* acdctl.c - the command-line client: asks a running acdd's admin endpoint, prints the answer;
 * stores the cluster's shared config in etcd (ctl/ctl_config.c). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config/config.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_http.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_tenant.h"
#include "ctl/ctl_table.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

static void ctl_usage(FILE *f)
{
    fputs("Usage: acdctl [--admin HOST:PORT] [--config FILE] [--etcd URL[,URL...]]\n"
          "              [--prefix PREFIX] COMMAND [ARGS]\n"
          "\n"
          "Asks a running acdd through its admin endpoint (HTTP on loopback), or the\n"
          "cluster's etcd for its shared config.\n"
          "\n"
          "Options:\n"
          "  -a, --admin HOST:PORT  admin endpoint (default " CTL_DEFAULT_HOST ":8080;\n"
          "                         IPv6 as [::1]:8080); wins over --config\n"
          "  -c, --config FILE      acdd's config: the admin address and port (status),\n"
          "                         the cluster section's etcd and prefix (config)\n"
          "  -e, --etcd URL[,URL]   etcd endpoints (config); wins over --config\n"
          "  -p, --prefix PREFIX    etcd key prefix (config; default /acdd); wins over --config\n"
          "  -h, --help             show this help\n"
          "\n"
          "Commands:\n"
          "  status [--json]        site, cluster, anycast, queues, agents and calls\n"
          "  drain                  planned maintenance: no new calls (503), calls in\n"
          "                         progress finish, the anycast address is withdrawn;\n"
          "                         acdd keeps running\n"
          "  undrain                take new calls again (and announce, when healthy)\n"
          "  tenant list|show|override|clear|instructions ...\n"
          "                         tenants' live state (acdctl tenant --help)\n"
          "  voicemail TENANT       messages left and overdue\n"
          "  outbound TENANT NUMBER an outbound call by the tenant's agents\n"
          "  report billing ...     a tenant's billing CSV from CDR files (report --help)\n"
          "  config push FILE       check a shared config and store it in etcd\n"
          "  config show            print the shared config stored in etcd\n"
          "\n"
          "Exit status of status, drain, undrain: 0 ok, 1 usage error, 2 cannot reach acdd,\n"
          "3 bad response (or acdd refused: it is shutting down).\n"
          "Exit status of config: 0 ok, 1 invalid FILE (nothing written) or nothing stored,\n"
          "2 usage error, 3 etcd unreachable or refused the request.\n",
          f);
}

static void ctl_status_usage(FILE *f)
{
    fputs("Usage: acdctl [--admin HOST:PORT] [--config FILE] status [--json]\n"
          "\n"
          "Shows the site, its cluster (when it has one), its queues, agents and calls in\n"
          "progress (GET /v1/status).\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's JSON document (pretty) instead of tables\n"
          "  -h, --help   show this help\n",
          f);
}

static void ctl_drain_usage(FILE *f)
{
    fputs("Usage: acdctl [--admin HOST:PORT] [--config FILE] drain|undrain\n"
          "\n"
          "drain: the site answers new calls with 503 while calls in progress finish, and\n"
          "withdraws its anycast address; acdd keeps running (POST /v1/drain). undrain:\n"
          "it takes new calls again and announces the address when healthy (POST\n"
          "/v1/undrain). Both wait (at most 5 s) for the address to settle.\n",
          f);
}

/* ---- where to connect ---- */

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
 * Reads the admin address from acdd's config file. An unspecified listen address (acdd
 * listening on all of them) is reached through loopback. Returns an exit code.
 */
static int ctl_endpoint_from_config(const char *path, acd__ctl_endpoint_t *ep)
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
    if (cfg->admin_port == 0) {
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

/* ---- reading the document ---- */

/* The string at key, or "-" when absent or null. */
static const char *ctl_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_string(v);
}

static int64_t ctl_int(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* Parses the RFC 3339 UTC times acdd writes (2026-11-22T13:04:14.123Z); -1 when not one. */
static int64_t ctl_time(json_object *o, const char *key)
{
    struct tm tm;
    int ms = 0, n = 0;
    const char *s = ctl_str(o, key);

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    if (s[n] == '.')
        sscanf(s + n + 1, "%3d", &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* 45s, 4m05s, 2h03m, 3d04h. */
static void ctl_duration(char *buf, size_t len, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static void ctl_fill_queue(acd__ctl_row_t *r, json_object *q, int64_t now)
{
    CTL_CELL(r, 0, "%s", ctl_str(q, "name"));
    CTL_CELL(r, 1, "%s", ctl_str(q, "tenant"));
    CTL_CELL(r, 2, "%lld", (long long)ctl_int(q, "waiting"));
    CTL_CELL(r, 3, "%lld", (long long)ctl_int(q, "offered"));
    CTL_CELL(r, 4, "%lld/%lld", (long long)ctl_int(q, "agents_available"),
             (long long)ctl_int(q, "agents_logged_in"));
    ctl_duration(r->cell[5], CTL_CELL_MAX, ctl_int(q, "longest_wait_s"));
}

static void ctl_fill_agent(acd__ctl_row_t *r, json_object *a, int64_t now)
{
    int64_t since = ctl_time(a, "state_since");
    CTL_CELL(r, 0, "%s", ctl_str(a, "id"));
    CTL_CELL(r, 1, "%s", ctl_str(a, "state"));
    CTL_CELL(r, 2, "%s", ctl_str(a, "pause_reason"));
    if (since > 0)
        ctl_duration(r->cell[3], CTL_CELL_MAX, (now - since) / 1000);
    else
        CTL_CELL(r, 3, "-");
    CTL_CELL(r, 4, "%s", ctl_str(a, "call_id"));
}

static void ctl_fill_call(acd__ctl_row_t *r, json_object *c, int64_t now)
{
    CTL_CELL(r, 0, "%s", ctl_str(c, "id"));
    CTL_CELL(r, 1, "%s", ctl_str(c, "tenant"));
    CTL_CELL(r, 2, "%s", ctl_str(c, "caller"));
    CTL_CELL(r, 3, "%s", ctl_str(c, "queue"));
    CTL_CELL(r, 4, "%s", ctl_str(c, "state"));
    CTL_CELL(r, 5, "%s", ctl_str(c, "agent"));
    ctl_duration(r->cell[6], CTL_CELL_MAX, ctl_int(c, "wait_s"));
}

/* ---- the cluster section ---- */

/* "yes" or "no" for the boolean at key; "-" when absent. */
static const char *ctl_yes(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_boolean(v) ? "yes" : "no";
}

/* The integer at key followed by unit, in buf; "-" when absent or null (a peer never heard). */
static const char *ctl_num(json_object *o, const char *key, const char *unit, char *buf, size_t len)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    snprintf(buf, len, "%lld%s", (long long)json_object_get_int64(v), unit);
    return buf;
}

static void ctl_fill_peer(acd__ctl_row_t *r, json_object *p, int64_t now)
{
    char n[8][24];
    (void)now;
#define CTL_NUM(i, key, unit) ctl_num(p, key, unit, n[i], sizeof(n[i]))
    CTL_CELL(r, 0, "%s", ctl_str(p, "site"));
    CTL_CELL(r, 1, "%s", ctl_yes(p, "live"));
    CTL_CELL(r, 2, "%s", ctl_yes(p, "connected"));
    CTL_CELL(r, 3, "%s%s%s", ctl_str(p, "state"),
             strcmp(ctl_yes(p, "island"), "yes") ? "" : " island",
             strcmp(ctl_yes(p, "draining"), "yes") ? "" : " draining");
    CTL_CELL(r, 4, "%s", CTL_NUM(0, "lag_ms", "ms"));
    CTL_CELL(r, 5, "%s", CTL_NUM(1, "heartbeat_age_ms", "ms"));
    CTL_CELL(r, 6, "%s/%s/%s", CTL_NUM(2, "calls", ""), CTL_NUM(3, "agents", ""),
             CTL_NUM(4, "registrations", ""));
    CTL_CELL(r, 7, "%s/%s/%s", CTL_NUM(5, "gaps", ""), CTL_NUM(6, "resyncs", ""),
             CTL_NUM(7, "decode_errors", ""));
#undef CTL_NUM
}

/*
 * Prints the `cluster` object of a status document (docs/api.md): a line for this site
 * (lease, island, leader, epoch), the PEERS table and, while it leads, its offer
 * counters. Prints nothing for a single site. Returns 0 or -ENOMEM.
 */
static int ctl_print_cluster(json_object *doc, int64_t now, FILE *f)
{
    static const char *const peer_heads[] = {
        "PEER", "LIVE",      "CONNECTED",         "STATE",
        "LAG",  "HEARTBEAT", "CALLS/AGENTS/REGS", "GAPS/RESYNCS/DECODE_ERRORS"};
    acd__ctl_table_t peers = {.title = "PEERS", .heads = peer_heads, .ncols = 8};
    json_object *c = NULL, *lease = NULL, *leader = NULL, *offers = NULL;
    char ttl[24];

    if (!json_object_object_get_ex(doc, "cluster", &c) || !json_object_is_type(c, json_type_object))
        return 0;
    json_object_object_get_ex(c, "lease", &lease);
    json_object_object_get_ex(c, "leader", &leader);
    bool leading = !strcmp(ctl_yes(c, "is_leader"), "yes");
    fprintf(f,
            "cluster site %s  prefix %s  lease %s (ttl %s)  island %s  leader %s%s  epoch %lld\n",
            ctl_str(c, "site"), ctl_str(c, "prefix"), ctl_str(lease, "state"),
            ctl_num(lease, "ttl_s", "s", ttl, sizeof(ttl)), ctl_yes(c, "island"),
            leader ? ctl_str(leader, "site") : "none yet", leader && leading ? " (this site)" : "",
            (long long)ctl_int(c, "epoch"));
    int rc = acd__ctl_table_fill(&peers, c, "peers", now, ctl_fill_peer);
    if (!rc)
        acd__ctl_table_print(&peers, f);
    free(peers.rows);
    if (!rc && leading && json_object_object_get_ex(c, "offers", &offers))
        fprintf(f,
                "\nOFFERS (this site leads)\nmade %lld  accepted %lld  rejected %lld  "
                "expired %lld  pending %lld\n",
                (long long)ctl_int(offers, "made"), (long long)ctl_int(offers, "accepted"),
                (long long)ctl_int(offers, "rejected"), (long long)ctl_int(offers, "expired"),
                (long long)ctl_int(offers, "pending"));
    return rc;
}

/*
 * Prints the `anycast` object (docs/api.md) as one line, when the document has one:
 * "anycast 198.18.0.1/32 on lo  announced (healthy)" or "... WITHDRAWN (draining)".
 */
static void ctl_print_anycast(json_object *doc, FILE *f)
{
    json_object *a = NULL;
    if (!json_object_object_get_ex(doc, "anycast", &a) || !json_object_is_type(a, json_type_object))
        return;
    fprintf(f, "anycast %s/%lld on %s  %s (%s)\n", ctl_str(a, "address"),
            (long long)ctl_int(a, "prefix_len"), ctl_str(a, "interface"),
            strcmp(ctl_yes(a, "announced"), "yes") ? "WITHDRAWN" : "announced", ctl_str(a, "why"));
}

/*
 * Prints the status document as a site line, the cluster (when there is one) and three
 * tables. Returns 0 or -ENOMEM.
 */
static int ctl_print_status(json_object *doc, FILE *f)
{
    /* AVAIL/IN: agents available / agents logged in */
    static const char *const queue_heads[] = {"NAME",    "TENANT",   "WAITING",
                                              "OFFERED", "AVAIL/IN", "LONGEST"};
    static const char *const agent_heads[] = {"ID", "STATE", "REASON", "SINCE", "CALL"};
    static const char *const call_heads[] = {"ID",    "TENANT", "CALLER", "QUEUE",
                                             "STATE", "AGENT",  "WAIT"};
    acd__ctl_table_t tables[] = {
        {.title = "QUEUES", .heads = queue_heads, .ncols = 6},
        {.title = "AGENTS", .heads = agent_heads, .ncols = 5},
        {.title = "CALLS", .heads = call_heads, .ncols = 7},
    };
    json_object *site = NULL, *sip = NULL;
    char uptime[32];
    int rc = 0;

    json_object_object_get_ex(doc, "site", &site);
    json_object_object_get_ex(site, "sip", &sip);
    /* acdd says what time it is; an older acdd does not, and then our clock will do. */
    int64_t now = ctl_time(site, "now");
    if (now < 0)
        now = (int64_t)time(NULL) * 1000;
    ctl_duration(uptime, sizeof(uptime), ctl_int(site, "uptime_s"));
    json_object *draining = NULL;
    json_object_object_get_ex(site, "draining", &draining);
    fprintf(f, "site %s  acdd %s  up %s  %s  calls %lld  registrations %lld  sip rx %lld tx %lld\n",
            ctl_str(site, "name"), ctl_str(site, "version"), uptime,
            json_object_get_boolean(draining) ? "DRAINING" : "serving",
            (long long)ctl_int(site, "calls_in_progress"),
            (long long)ctl_int(site, "registrations"), (long long)ctl_int(sip, "rx"),
            (long long)ctl_int(sip, "tx"));

    ctl_print_anycast(doc, f);
    rc = ctl_print_cluster(doc, now, f);
    if (!rc)
        rc = acd__ctl_table_fill(&tables[0], doc, "queues", now, ctl_fill_queue);
    if (!rc)
        rc = acd__ctl_table_fill(&tables[1], doc, "agents", now, ctl_fill_agent);
    if (!rc)
        rc = acd__ctl_table_fill(&tables[2], doc, "calls", now, ctl_fill_call);
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (!rc)
            acd__ctl_table_print(&tables[i], f);
        free(tables[i].rows);
    }
    return rc;
}

/* True when doc has the shape of a status document: an object with site and the three lists. */
static bool ctl_is_status(json_object *doc)
{
    static const char *const lists[] = {"queues", "agents", "calls"};
    json_object *v;
    if (!json_object_is_type(doc, json_type_object) ||
        !json_object_object_get_ex(doc, "site", &v) || !json_object_is_type(v, json_type_object))
        return false;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if (!json_object_object_get_ex(doc, lists[i], &v) ||
            !json_object_is_type(v, json_type_array))
            return false;
    }
    return true;
}

/* ---- commands ---- */

/*
 * GETs or POSTs path; on a 200 with a JSON object *docp is that object (the caller puts
 * it). Says on stderr what went wrong otherwise. Returns an exit code.
 */
static int ctl_ask(const acd__ctl_endpoint_t *ep, bool post, const char *path, json_object **docp)
{
    char where[CTL_HOST_MAX + 16], errbuf[CURL_ERROR_SIZE];
    acd_buf_t body = {0};
    long status = 0;
    int rc = acd__ctl_http(ep, post ? "POST" : "GET", path, NULL, &body, &status, errbuf);
    int code = CTL_EXIT_OK;

    *docp = NULL;
    acd__ctl_endpoint_str(ep, where, sizeof(where));
    if (rc == -ENOMEM || rc == ACD_EPROTO) {
        fprintf(stderr, "acdctl: bad response from acdd at %s: %s\n", where, errbuf);
        code = CTL_EXIT_BAD_RESPONSE;
    } else if (rc) {
        fprintf(stderr, "acdctl: cannot reach acdd at %s: %s\n", where, errbuf);
        code = CTL_EXIT_UNREACHABLE;
    } else if (status != 200) {
        fprintf(stderr, "acdctl: acdd at %s answered HTTP %ld: %.200s\n", where, status,
                body.p ? body.p : "");
        code = CTL_EXIT_BAD_RESPONSE;
    } else {
        *docp = body.p ? json_tokener_parse(body.p) : NULL;
        if (!*docp || !json_object_is_type(*docp, json_type_object)) {
            fprintf(stderr, "acdctl: acdd at %s answered %s with something that is not JSON\n",
                    where, path);
            json_object_put(*docp);
            *docp = NULL;
            code = CTL_EXIT_BAD_RESPONSE;
        }
    }
    acd_buf_fini(&body);
    return code;
}

static int ctl_cmd_status(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c;

    optind = 0; /* glibc: start over on the command's own arguments */
    while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'h':
            ctl_status_usage(stdout);
            return CTL_EXIT_OK;
        default:
            fprintf(stderr, "acdctl status: unknown option '%s'\n", argv[optind - 1]);
            ctl_status_usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "acdctl status: unexpected argument '%s'\n", argv[optind]);
        ctl_status_usage(stderr);
        return CTL_EXIT_USAGE;
    }

    char where[CTL_HOST_MAX + 16];
    json_object *doc = NULL;
    int code = ctl_ask(ep, false, "/v1/status", &doc);
    acd__ctl_endpoint_str(ep, where, sizeof(where));
    if (code != CTL_EXIT_OK) {
    } else if (!ctl_is_status(doc)) {
        fprintf(stderr, "acdctl: acdd at %s answered something that is not a status document\n",
                where);
        code = CTL_EXIT_BAD_RESPONSE;
    } else if (json) {
        puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
    } else if (ctl_print_status(doc, stdout) != 0) {
        fprintf(stderr, "acdctl: out of memory\n");
        code = CTL_EXIT_BAD_RESPONSE;
    }
    json_object_put(doc);
    return code;
}

/* True while the anycast object of doc waits for the kernel ("adding", "removing"). */
static bool ctl_anycast_moving(json_object *doc)
{
    json_object *a = NULL;
    if (!json_object_object_get_ex(doc, "anycast", &a))
        return false;
    const char *why = ctl_str(a, "why");
    return !strcmp(why, "adding") || !strcmp(why, "removing");
}

/*
 * drain (on) or undrain: POST /v1/drain or /v1/undrain, then, when the site manages an
 * anycast address, reads the status until the address has settled (at most 5 s) and
 * prints where it stands. Returns an exit code.
 */
static int ctl_cmd_drain(const acd__ctl_endpoint_t *ep, bool on, int argc, char **argv)
{
    if (argc > 1) {
        bool help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");
        if (!help)
            fprintf(stderr, "acdctl %s: unexpected argument '%s'\n", argv[0], argv[1]);
        ctl_drain_usage(help ? stdout : stderr);
        return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
    }
    json_object *doc = NULL, *v = NULL;
    int code = ctl_ask(ep, true, on ? "/v1/drain" : "/v1/undrain", &doc);
    if (code != CTL_EXIT_OK)
        return code;
    bool changed = json_object_object_get_ex(doc, "changed", &v) && json_object_get_boolean(v);
    if (on)
        printf("site %sdrained: new calls get 503; %lld call(s) in progress finish; acdd keeps"
               " running (acdctl undrain to resume)\n",
               changed ? "" : "was already ", (long long)ctl_int(doc, "calls_in_progress"));
    else
        printf("site %sundrained: taking new calls\n", changed ? "" : "was not drained: ");
    for (int i = 0; i < 50 && ctl_anycast_moving(doc); i++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        json_object_put(doc);
        doc = NULL;
        if ((code = ctl_ask(ep, false, "/v1/status", &doc)) != CTL_EXIT_OK)
            return code;
    }
    ctl_print_anycast(doc, stdout);
    json_object_put(doc);
    return CTL_EXIT_OK;
}

/*
 * Resolves the admin endpoint from --admin or --config and runs status, drain or undrain.
 * Returns an exit code.
 */
static int ctl_run_admin(const char *admin, const char *config, int argc, char **argv)
{
    acd__ctl_endpoint_t ep = {.host = CTL_DEFAULT_HOST, .port = CTL_DEFAULT_PORT};
    if (admin && ctl_parse_endpoint(admin, &ep) != 0) {
        fprintf(stderr, "acdctl: --admin wants HOST:PORT (or [IPV6]:PORT), not '%s'\n", admin);
        return CTL_EXIT_USAGE;
    }
    if (config && !admin) {
        int rc = ctl_endpoint_from_config(config, &ep);
        if (rc != CTL_EXIT_OK)
            return rc;
    }
    if (acd__ctl_tenant_is(argv[0]))
        return acd__ctl_tenant(&ep, argc, argv);
    if (!strcmp(argv[0], "drain") || !strcmp(argv[0], "undrain"))
        return ctl_cmd_drain(&ep, !strcmp(argv[0], "drain"), argc, argv);
    return ctl_cmd_status(&ep, argc, argv);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"admin", required_argument, NULL, 'a'}, {"config", required_argument, NULL, 'c'},
        {"etcd", required_argument, NULL, 'e'},  {"prefix", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *admin = NULL, *config = NULL;
    acd__ctl_etcd_opts_t etcd = {0};
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:a:c:e:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            admin = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'e':
            etcd.etcd = optarg;
            break;
        case 'p':
            etcd.prefix = optarg;
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

    const char *cmd = argv[optind];
    if (!strcmp(cmd, "report")) /* reads CDR files: neither acdd nor etcd */
        return acd__ctl_report(config, argc - optind, argv + optind);
    bool status = !strcmp(cmd, "status") || !strcmp(cmd, "drain") || !strcmp(cmd, "undrain") ||
                  acd__ctl_tenant_is(cmd);
    if (!status && strcmp(cmd, "config") != 0) {
        fprintf(stderr, "acdctl: unknown command '%s'\n", cmd);
        ctl_usage(stderr);
        return CTL_EXIT_USAGE;
    }
    if (!status) {
        /* The etcd client (which sets libcurl up itself) logs retries and failovers;
           acdctl says what came of them. */
        acd_log_init(stderr, ACD_LOG_ERR, "acdctl");
        etcd.config = config;
        return acd__ctl_config(&etcd, argc - optind, argv + optind);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "acdctl: cannot initialise libcurl\n");
        return CTL_EXIT_UNREACHABLE;
    }
    int rc = ctl_run_admin(admin, config, argc - optind, argv + optind);
    curl_global_cleanup();
    return rc;
}
