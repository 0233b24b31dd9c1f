/* ctl_status.c - acdctl status, drain, undrain, cluster status, reload: the site as a whole. */
#include "ctl/ctl_status.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl_cmd.h"
#include "ctl/ctl_doc.h"
#include "ctl/ctl_entity.h"
#include "ctl/ctl_table.h"

static void status_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] status [--json]\n"
          "\n"
          "Shows the site, its cluster (when it has one), its queues, agents and calls in\n"
          "progress (GET /v1/status).\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's JSON document (pretty) instead of tables\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}

static void drain_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] drain|undrain [--json]\n"
          "\n"
          "drain: the site answers new calls with 503 while calls in progress finish, and\n"
          "withdraws its anycast address; acdd keeps running (POST /v1/drain). undrain:\n"
          "it takes new calls again and announces the address when healthy (POST\n"
          "/v1/undrain). Both wait (at most 5 s) for the address to settle.\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's answer instead of the summary\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}

static void cluster_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] cluster status [--json]\n"
          "\n"
          "Shows who leads the cluster and every site, live or dark, with its replication\n"
          "lag (GET /v1/cluster); a site alone says so.\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's JSON document instead of tables\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}

static void reload_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] reload [--json]\n"
          "\n"
          "Makes acdd read its configuration file again and apply it, as SIGHUP does\n"
          "(POST /v1/reload). Prints what changed; an invalid file changes nothing and\n"
          "its errors are printed (exit 4).\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's answer instead of the summary\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}

/* ---- the cluster section ---- */

static void status_fill_peer(acd__ctl_row_t *r, json_object *p, int64_t now)
{
    char n[8][24];
    (void)now;
#define CTL_NUM(i, key, unit) acd__ctl_num(p, key, unit, n[i], sizeof(n[i]))
    CTL_CELL(r, 0, "%s", acd__ctl_str(p, "site"));
    CTL_CELL(r, 1, "%s", acd__ctl_yes(p, "live"));
    CTL_CELL(r, 2, "%s", acd__ctl_yes(p, "connected"));
    CTL_CELL(r, 3, "%s%s%s", acd__ctl_str(p, "state"),
             strcmp(acd__ctl_yes(p, "island"), "yes") ? "" : " island",
             strcmp(acd__ctl_yes(p, "draining"), "yes") ? "" : " draining");
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
static int status_print_cluster(json_object *c, int64_t now, FILE *f)
{
    static const char *const peer_heads[] = {
        "PEER", "LIVE",      "CONNECTED",         "STATE",
        "LAG",  "HEARTBEAT", "CALLS/AGENTS/REGS", "GAPS/RESYNCS/DECODE_ERRORS"};
    acd__ctl_table_t peers = {.title = "PEERS", .heads = peer_heads, .ncols = 8};
    json_object *lease = NULL, *leader = NULL, *offers = NULL;
    char ttl[24];

    if (!json_object_is_type(c, json_type_object))
        return 0;
    json_object_object_get_ex(c, "lease", &lease);
    json_object_object_get_ex(c, "leader", &leader);
    bool leading = !strcmp(acd__ctl_yes(c, "is_leader"), "yes");
    fprintf(f,
            "cluster site %s  prefix %s  lease %s (ttl %s)  island %s  leader %s%s  epoch %lld\n",
            acd__ctl_str(c, "site"), acd__ctl_str(c, "prefix"), acd__ctl_str(lease, "state"),
            acd__ctl_num(lease, "ttl_s", "s", ttl, sizeof(ttl)), acd__ctl_yes(c, "island"),
            leader ? acd__ctl_str(leader, "site") : "none yet",
            leader && leading ? " (this site)" : "", (long long)acd__ctl_int(c, "epoch"));
    int rc = acd__ctl_table_fill(&peers, c, "peers", now, status_fill_peer);
    if (!rc)
        acd__ctl_table_print(&peers, f);
    free(peers.rows);
    if (!rc && leading && json_object_object_get_ex(c, "offers", &offers))
        fprintf(
            f,
            "\nOFFERS (this site leads)\nmade %lld  accepted %lld  rejected %lld  "
            "expired %lld  pending %lld\n",
            (long long)acd__ctl_int(offers, "made"), (long long)acd__ctl_int(offers, "accepted"),
            (long long)acd__ctl_int(offers, "rejected"), (long long)acd__ctl_int(offers, "expired"),
            (long long)acd__ctl_int(offers, "pending"));
    return rc;
}

/*
 * Prints the `anycast` object (docs/api.md) as one line, when the document has one:
 * "anycast 198.18.0.1/32 on lo  announced (healthy)" or "... WITHDRAWN (draining)".
 */
static void status_print_anycast(json_object *doc, FILE *f)
{
    json_object *a = NULL;
    if (!json_object_object_get_ex(doc, "anycast", &a) || !json_object_is_type(a, json_type_object))
        return;
    fprintf(f, "anycast %s/%lld on %s  %s (%s)\n", acd__ctl_str(a, "address"),
            (long long)acd__ctl_int(a, "prefix_len"), acd__ctl_str(a, "interface"),
            strcmp(acd__ctl_yes(a, "announced"), "yes") ? "WITHDRAWN" : "announced",
            acd__ctl_str(a, "why"));
}

/*
 * Prints the status document as a site line, the cluster (when there is one) and three
 * tables. Returns 0 or -ENOMEM.
 */
static int status_print(json_object *doc, FILE *f)
{
    json_object *site = NULL, *sip = NULL, *draining = NULL, *c = NULL;
    char uptime[32];

    json_object_object_get_ex(doc, "site", &site);
    json_object_object_get_ex(site, "sip", &sip);
    json_object_object_get_ex(site, "draining", &draining);
    int64_t now = acd__ctl_now(doc);
    acd__ctl_duration(uptime, sizeof(uptime), acd__ctl_int(site, "uptime_s"));
    fprintf(f, "site %s  acdd %s  up %s  %s  calls %lld  registrations %lld  sip rx %lld tx %lld\n",
            acd__ctl_str(site, "name"), acd__ctl_str(site, "version"), uptime,
            json_object_get_boolean(draining) ? "DRAINING" : "serving",
            (long long)acd__ctl_int(site, "calls_in_progress"),
            (long long)acd__ctl_int(site, "registrations"), (long long)acd__ctl_int(sip, "rx"),
            (long long)acd__ctl_int(sip, "tx"));

    status_print_anycast(doc, f);
    json_object_object_get_ex(doc, "cluster", &c);
    int rc = status_print_cluster(c, now, f);
    if (!rc)
        rc = acd__ctl_print_queues(doc, now, f);
    if (!rc)
        rc = acd__ctl_print_agents(doc, now, f);
    if (!rc)
        rc = acd__ctl_print_calls(doc, now, f);
    return rc;
}

/* True when doc has the shape of a status document: an object with site and the three lists. */
static bool status_is_doc(json_object *doc)
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
 * What these commands share: parses argv (sub: the one positional argument wanted, NULL
 * for none), sends method path and, with --json, prints the answer. Returns CTL_EXIT_OK
 * with *docp the answer for the caller to print (and put), or the exit code with *docp
 * NULL: after --help, a usage error, a failed request, or the JSON printed.
 */
static int status_run(const acd__ctl_endpoint_t *ep, int argc, char **argv, const char *sub,
                      void (*usage)(FILE *f), const char *method, const char *path,
                      json_object **docp)
{
    acd__ctl_cmd_opts_t o;
    char *pos[1];
    int npos;
    *docp = NULL;
    int rc = acd__ctl_cmd_opts(argc, argv, argv[0], false, &o, pos, sub ? 1 : 0, &npos, usage);
    if (rc)
        return rc < 0 ? CTL_EXIT_OK : rc;
    if (sub && (npos != 1 || strcmp(pos[0], sub) != 0)) {
        fprintf(stderr, "acdctl %s: the one subcommand is %s\n", argv[0], sub);
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    int code = acd__ctl_ask(ep, method, path, NULL, docp, NULL);
    if (code == CTL_EXIT_OK && o.json) {
        acd__ctl_print_json(*docp);
        json_object_put(*docp);
        *docp = NULL;
    }
    return code;
}

int acd__ctl_status(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    json_object *doc = NULL;
    int code = status_run(ep, argc, argv, NULL, status_usage, "GET", "/v1/status", &doc);
    if (!doc) {
    } else if (!status_is_doc(doc)) {
        char where[CTL_HOST_MAX + 16];
        acd__ctl_endpoint_str(ep, where, sizeof(where));
        fprintf(stderr, "acdctl: acdd at %s answered something that is not a status document\n",
                where);
        code = CTL_EXIT_BAD_RESPONSE;
    } else if (status_print(doc, stdout) != 0) {
        fprintf(stderr, "acdctl: out of memory\n");
        code = CTL_EXIT_BAD_RESPONSE;
    }
    json_object_put(doc);
    return code;
}

/* True while the anycast object of doc waits for the kernel ("adding", "removing"). */
static bool status_anycast_moving(json_object *doc)
{
    json_object *a = NULL;
    if (!json_object_object_get_ex(doc, "anycast", &a))
        return false;
    const char *why = acd__ctl_str(a, "why");
    return !strcmp(why, "adding") || !strcmp(why, "removing");
}

/*
 * drain or undrain: POST /v1/drain or /v1/undrain, then, when the site manages an
 * anycast address, reads the status until the address has settled (at most 5 s) and
 * prints where it stands. Returns an exit code.
 */
int acd__ctl_drain(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    bool on = !strcmp(argv[0], "drain");
    json_object *doc = NULL, *v = NULL;
    int code = status_run(ep, argc, argv, NULL, drain_usage, "POST",
                          on ? "/v1/drain" : "/v1/undrain", &doc);
    if (!doc)
        return code;
    bool changed = json_object_object_get_ex(doc, "changed", &v) && json_object_get_boolean(v);
    if (on)
        printf("site %sdrained: new calls get 503; %lld call(s) in progress finish; acdd keeps"
               " running (acdctl undrain to resume)\n",
               changed ? "" : "was already ", (long long)acd__ctl_int(doc, "calls_in_progress"));
    else
        printf("site %sundrained: taking new calls\n", changed ? "" : "was not drained: ");
    for (int i = 0; i < 50 && status_anycast_moving(doc); i++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        json_object_put(doc);
        doc = NULL;
        if ((code = acd__ctl_ask(ep, "GET", "/v1/status", NULL, &doc, NULL)) != CTL_EXIT_OK)
            return code;
    }
    status_print_anycast(doc, stdout);
    json_object_put(doc);
    return CTL_EXIT_OK;
}

static void cluster_fill_site(acd__ctl_row_t *r, json_object *s, int64_t now)
{
    char lag[24];
    (void)now;
    bool self = !strcmp(acd__ctl_yes(s, "self"), "yes");
    CTL_CELL(r, 0, "%s%s", acd__ctl_str(s, "site"), self ? " (this site)" : "");
    CTL_CELL(r, 1, "%s", strcmp(acd__ctl_yes(s, "live"), "yes") ? "DARK" : "live");
    CTL_CELL(r, 2, "%s", acd__ctl_yes(s, "leader"));
    CTL_CELL(r, 3, "%s", acd__ctl_str(s, "state"));
    CTL_CELL(r, 4, "%s", acd__ctl_num(s, "lag_ms", "ms", lag, sizeof(lag)));
}

int acd__ctl_cluster(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    static const char *const heads[] = {"SITE", "LIVE", "LEADER", "STATE", "LAG"};
    json_object *doc = NULL, *c = NULL;
    int rc, code = status_run(ep, argc, argv, "status", cluster_usage, "GET", "/v1/cluster", &doc);
    if (!doc)
        return code;
    json_object_object_get_ex(doc, "cluster", &c);
    if (!c)
        printf("site %s is not in a cluster (no cluster section): it leads itself\n",
               acd__ctl_str(doc, "site"));
    else
        printf("cluster leader %s\n", acd__ctl_str(doc, "leader"));
    acd__ctl_table_t t = {.title = "SITES", .heads = heads, .ncols = 5};
    rc = acd__ctl_table_fill(&t, doc, "sites", 0, cluster_fill_site);
    if (!rc)
        acd__ctl_table_print(&t, stdout);
    free(t.rows);
    if (!rc && c) {
        putchar('\n');
        rc = status_print_cluster(c, (int64_t)time(NULL) * 1000, stdout);
    }
    json_object_put(doc);
    return rc ? CTL_EXIT_BAD_RESPONSE : CTL_EXIT_OK;
}

/* "added: queues q2,q3; agents x" for the non-empty lists of a reload's added or removed. */
static void reload_print_names(const char *what, json_object *o)
{
    const char *sep = what;
    json_object_object_foreach(o, list, arr)
    {
        size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
        if (n == 0)
            continue;
        printf("%s%s ", sep, list);
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? "," : "", json_object_get_string(json_object_array_get_idx(arr, i)));
        sep = "; ";
    }
    if (sep != what)
        putchar('\n');
}

int acd__ctl_reload(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    json_object *doc = NULL, *v = NULL;
    int code = status_run(ep, argc, argv, NULL, reload_usage, "POST", "/v1/reload", &doc);
    if (!doc)
        return code;
    printf("reloaded %s: %lld tenants, %lld queues, %lld agents, %lld trunks\n",
           acd__ctl_str(doc, "config"), (long long)acd__ctl_int(doc, "tenants"),
           (long long)acd__ctl_int(doc, "queues"), (long long)acd__ctl_int(doc, "agents"),
           (long long)acd__ctl_int(doc, "trunks"));
    if (json_object_object_get_ex(doc, "added", &v))
        reload_print_names("added: ", v);
    if (json_object_object_get_ex(doc, "removed", &v))
        reload_print_names("removed: ", v);
    json_object_put(doc);
    return CTL_EXIT_OK;
}
