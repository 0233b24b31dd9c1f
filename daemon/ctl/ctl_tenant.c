/* ctl_tenant.c - acdctl tenant|voicemail|outbound: what supervisors set while calls run. */
#include "ctl/ctl_tenant.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl/ctl_table.h"
#include "util/err.h"

static void tenant_usage(FILE *f)
{
    fputs("Usage: acdctl [--admin HOST:PORT] [--config FILE] COMMAND\n"
          "\n"
          "  tenant list [--json]              every tenant: mode now, override, instructions\n"
          "  tenant show TENANT [--json]       one tenant\n"
          "  tenant override TENANT open|closed|message [--minutes N | --until-ms MS]\n"
          "                 [--message TEXT]   force the tenant's mode (until cleared, or N\n"
          "                                    minutes); message: closed, with TEXT for agents\n"
          "  tenant clear TENANT               drop the override\n"
          "  tenant instructions TENANT TEXT   temporary instructions agents see with calls\n"
          "  tenant instructions TENANT --clear\n"
          "  voicemail TENANT [--json]         messages left, due and overdue\n"
          "  outbound TENANT NUMBER [--queue Q] [--priority P] [--at-ms MS]\n"
          "                                    an outbound call placed by the tenant's agents\n"
          "                                    (now, or at Unix time MS)\n"
          "\n"
          "In a cluster the change is stored in etcd and every site applies it.\n"
          "Options: --json prints acdd's JSON answer; -h, --help shows this help.\n" CTL_EXIT_TEXT,
          f);
}


/* Sends the request and prints errors; *docp is the answer's object on success. */
static int tenant_ask(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                      json_object *req, json_object **docp)
{
    return acd__ctl_ask(ep, method, path, req, docp, NULL);
}

static const char *tenant_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "-";
}

static void tenant_when(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm);
}

static void tenant_row(acd__ctl_row_t *r, json_object *t, int64_t now)
{
    (void)now;
    json_object *ov = NULL, *v;
    char until[32] = "-";
    json_object_object_get_ex(t, "override", &ov);
    if (ov && json_object_object_get_ex(ov, "until_ms", &v))
        tenant_when(json_object_get_int64(v), until, sizeof(until));
    int64_t next =
        json_object_object_get_ex(t, "next_change_ms", &v) ? json_object_get_int64(v) : 0;
    char nx[32];
    tenant_when(next, nx, sizeof(nx));
    CTL_CELL(r, 0, "%s", tenant_str(t, "name"));
    CTL_CELL(r, 1, "%s", tenant_str(t, "timezone"));
    CTL_CELL(r, 2, "%s", tenant_str(t, "mode"));
    CTL_CELL(r, 3, "%s", nx);
    CTL_CELL(r, 4, "%s", ov ? tenant_str(ov, "kind") : "-");
    CTL_CELL(r, 5, "%s", until);
    CTL_CELL(r, 6, "%.60s", tenant_str(t, "instructions"));
}

static int tenant_print(json_object *doc, const char *key, bool json)
{
    if (json) {
        acd__ctl_print_json(doc);
        return CTL_EXIT_OK;
    }
    static const char *const heads[] = {"TENANT",   "TIMEZONE", "MODE",        "CHANGES",
                                        "OVERRIDE", "UNTIL",    "INSTRUCTIONS"};
    acd__ctl_table_t t = {.title = "TENANTS", .heads = heads, .ncols = 7};
    json_object *one = NULL;
    int rc;
    if (!strcmp(key, "tenant") && json_object_object_get_ex(doc, "tenant", &one)) {
        json_object *arr = json_object_new_array();
        json_object_array_add(arr, json_object_get(one));
        json_object *wrap = json_object_new_object();
        json_object_object_add(wrap, "tenants", arr);
        rc = acd__ctl_table_fill(&t, wrap, "tenants", 0, tenant_row);
        json_object_put(wrap);
    } else {
        rc = acd__ctl_table_fill(&t, doc, "tenants", 0, tenant_row);
    }
    if (rc == 0)
        acd__ctl_table_print(&t, stdout);
    free(t.rows);
    return rc == 0 ? CTL_EXIT_OK : CTL_EXIT_BAD_RESPONSE;
}

static void vm_row(acd__ctl_row_t *r, json_object *m, int64_t now)
{
    (void)now;
    json_object *v;
    char due[32];
    tenant_when(json_object_object_get_ex(m, "due_ms", &v) ? json_object_get_int64(v) : 0, due,
                sizeof(due));
    bool late = json_object_object_get_ex(m, "overdue", &v) && json_object_get_boolean(v);
    CTL_CELL(r, 0, "%s", tenant_str(m, "id"));
    CTL_CELL(r, 1, "%s", tenant_str(m, "caller"));
    CTL_CELL(r, 2, "%.1f",
             json_object_object_get_ex(m, "duration_ms", &v)
                 ? (double)json_object_get_int64(v) / 1000.0
                 : 0.0);
    CTL_CELL(r, 3, "%s", due);
    CTL_CELL(r, 4, "%s%s", tenant_str(m, "status"), late ? " OVERDUE" : "");
    CTL_CELL(r, 5, "%s", tenant_str(m, "agent"));
}

/* Parses the optional flags of override/instructions/voicemail/outbound/show/list. */
typedef struct tenant_opts {
    bool json, clear;
    long long minutes, until_ms, priority, at_ms;
    const char *message, *queue;
} tenant_opts_t;

static int tenant_opts(int argc, char **argv, tenant_opts_t *o)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},           {"clear", no_argument, NULL, 'C'},
        {"minutes", required_argument, NULL, 'm'},  {"until-ms", required_argument, NULL, 'u'},
        {"message", required_argument, NULL, 'M'},  {"queue", required_argument, NULL, 'q'},
        {"priority", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},
        {"at-ms", required_argument, NULL, 'A'},    {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    memset(o, 0, sizeof(*o));
    o->priority = -1;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":jCm:u:M:q:P:A:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'C':
            o->clear = true;
            break;
        case 'm':
        case 'u':
        case 'A':
        case 'P': {
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0) {
                fprintf(stderr, "acdctl: --%s wants a number, not '%s'\n",
                        c == 'm'   ? "minutes"
                        : c == 'u' ? "until-ms"
                        : c == 'A' ? "at-ms"
                                   : "priority",
                        optarg);
                return CTL_EXIT_USAGE;
            }
            *(c == 'm'   ? &o->minutes
              : c == 'u' ? &o->until_ms
              : c == 'A' ? &o->at_ms
                         : &o->priority) = v;
            break;
        }
        case 'M':
            o->message = optarg;
            break;
        case 'q':
            o->queue = optarg;
            break;
        case 'h':
            tenant_usage(stdout);
            return -1;
        default:
            fprintf(stderr, "acdctl: unknown option '%s'\n", argv[optind - 1]);
            tenant_usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    return CTL_EXIT_OK;
}

/* A tenant name that can go into a path as it is. */
static bool tenant_name_ok(const char *t)
{
    return t && *t && strlen(t) < 64 &&
           strspn(t, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == strlen(t);
}

static int tenant_cmd(const acd__ctl_endpoint_t *ep, const char *cmd, char **pos, int npos,
                      const tenant_opts_t *o)
{
    char path[256];
    json_object *req = NULL, *doc = NULL;
    const char *method = "GET", *key = "tenant";
    const char *sub = !strcmp(cmd, "tenant") && npos ? pos[0] : NULL;
    const char *t = !strcmp(cmd, "tenant") ? (npos > 1 ? pos[1] : NULL) : (npos ? pos[0] : NULL);
    if (sub && !strcmp(sub, "list")) {
        snprintf(path, sizeof(path), "/v1/tenants");
        key = "tenants";
        t = "-";
    } else if (!tenant_name_ok(t)) {
        fprintf(stderr, "acdctl %s: a tenant name is needed\n", cmd);
        tenant_usage(stderr);
        return CTL_EXIT_USAGE;
    } else if (!strcmp(cmd, "voicemail")) {
        snprintf(path, sizeof(path), "/v1/tenants/%s/voicemail", t);
        key = "messages";
    } else if (!strcmp(cmd, "outbound")) {
        if (npos < 2) {
            fprintf(stderr, "acdctl outbound: TENANT NUMBER\n");
            return CTL_EXIT_USAGE;
        }
        snprintf(path, sizeof(path), "/v1/tenants/%s/outbound", t);
        method = "POST";
        req = json_object_new_object();
        json_object_object_add(req, "number", json_object_new_string(pos[1]));
        if (o->queue)
            json_object_object_add(req, "queue", json_object_new_string(o->queue));
        if (o->priority >= 0)
            json_object_object_add(req, "priority", json_object_new_int((int)o->priority));
        if (o->at_ms)
            json_object_object_add(req, "at_ms", json_object_new_int64(o->at_ms));
        key = "call";
    } else if (!sub || !strcmp(sub, "show")) {
        snprintf(path, sizeof(path), "/v1/tenants/%s", t);
    } else if (!strcmp(sub, "override")) {
        if (npos < 3) {
            fprintf(stderr, "acdctl tenant override: TENANT open|closed|message\n");
            return CTL_EXIT_USAGE;
        }
        snprintf(path, sizeof(path), "/v1/tenants/%s/override", t);
        method = "PUT";
        req = json_object_new_object();
        json_object_object_add(req, "kind", json_object_new_string(pos[2]));
        if (o->minutes)
            json_object_object_add(req, "minutes", json_object_new_int64(o->minutes));
        if (o->until_ms)
            json_object_object_add(req, "until_ms", json_object_new_int64(o->until_ms));
        if (o->message)
            json_object_object_add(req, "message", json_object_new_string(o->message));
    } else if (!strcmp(sub, "clear")) {
        snprintf(path, sizeof(path), "/v1/tenants/%s/override", t);
        method = "DELETE";
    } else if (!strcmp(sub, "instructions")) {
        snprintf(path, sizeof(path), "/v1/tenants/%s/instructions", t);
        if (o->clear) {
            method = "DELETE";
        } else if (npos < 3) {
            fprintf(stderr, "acdctl tenant instructions: TENANT TEXT (or --clear)\n");
            return CTL_EXIT_USAGE;
        } else {
            method = "PUT";
            req = json_object_new_object();
            json_object_object_add(req, "text", json_object_new_string(pos[2]));
        }
    } else {
        fprintf(stderr, "acdctl tenant: unknown subcommand '%s'\n", sub);
        tenant_usage(stderr);
        return CTL_EXIT_USAGE;
    }
    int code = tenant_ask(ep, method, path, req, &doc);
    json_object_put(req);
    if (code != CTL_EXIT_OK)
        return code;
    if (!strcmp(key, "messages") && !o->json) {
        static const char *const heads[] = {"MESSAGE", "CALLER", "SECONDS",
                                            "DUE",     "STATUS", "AGENT"};
        acd__ctl_table_t tb = {.title = "VOICEMAIL", .heads = heads, .ncols = 6};
        if (acd__ctl_table_fill(&tb, doc, "messages", 0, vm_row) == 0)
            acd__ctl_table_print(&tb, stdout);
        free(tb.rows);
        printf("overdue: %s\n", tenant_str(doc, "overdue"));
    } else if (!strcmp(key, "call") && !o->json) {
        printf("outbound call %s queued\n", tenant_str(doc, "call"));
    } else {
        code = tenant_print(doc, key, o->json);
    }
    json_object_put(doc);
    return code;
}

int acd__ctl_tenant(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    tenant_opts_t o;
    int rc = tenant_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? CTL_EXIT_OK : rc;
    return tenant_cmd(ep, argv[0], argv + optind, argc - optind, &o);
}
