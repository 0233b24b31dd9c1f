/* ctl_drill.c - acdctl drill: the failover drill under way, as every wallboard shows it. */
#include "ctl/ctl_drill.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl/ctl_cmd.h"
#include "ctl/ctl_doc.h"

static void drill_usage(FILE *f)
{
    fputs("Usage: acdctl drill [show] [--json]\n"
          "       acdctl drill start NAME [BY] [--json]\n"
          "       acdctl drill stop [--json]\n"
          "\n"
          "The failover drill under way (GET, PUT, DELETE /v1/drill; docs/wallboard.md):\n"
          "every site's wallboard shows a banner while one runs. In a cluster it is kept in\n"
          "etcd, so any site can start or stop it and every site shows it.\n"
          "  show        what runs: its name, start and who started it (the default)\n"
          "  start NAME  a drill named NAME (1..64 bytes), by BY (default: nobody named)\n"
          "  stop        no drill runs any more\n"
          "  -j, --json  print acdd's JSON\n" CTL_EXIT_TEXT,
          f);
}

static void drill_print(json_object *doc)
{
    json_object *d = NULL;
    if (!json_object_object_get_ex(doc, "drill", &d) || !d) {
        printf("no drill under way\n");
        return;
    }
    char when[32] = "-", ago[24] = "-";
    int64_t ms = acd__ctl_int(d, "started_ms");
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms > 0 && gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (ms > 0)
        acd__ctl_duration(ago, sizeof(ago), (acd__ctl_now(NULL) - ms) / 1000);
    const char *by = acd__ctl_str(d, "by");
    printf("drill under way: %s\nstarted: %s (%s ago)\nby: %s\n", acd__ctl_str(d, "name"), when,
           ago, *by ? by : "-");
}

int acd__ctl_drill(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    acd__ctl_cmd_opts_t o;
    char *pos[3];
    int npos = 0;
    int code = acd__ctl_cmd_opts(argc, argv, "drill", false, &o, pos, 3, &npos, drill_usage);
    if (code)
        return code < 0 ? CTL_EXIT_OK : code;
    const char *verb = npos ? pos[0] : "show";
    bool show = !strcmp(verb, "show"), start = !strcmp(verb, "start"), stop = !strcmp(verb, "stop");
    if ((!show && !start && !stop) || (start && (npos < 2 || npos > 3)) || (!start && npos > 1)) {
        fprintf(stderr, "acdctl drill: %s\n",
                start ? "start needs a NAME (and at most a BY)" : "show, start NAME [BY] or stop");
        drill_usage(stderr);
        return CTL_EXIT_USAGE;
    }
    json_object *req = NULL, *doc = NULL;
    if (start) {
        req = json_object_new_object();
        json_object_object_add(req, "name", json_object_new_string(pos[1]));
        if (npos == 3)
            json_object_object_add(req, "by", json_object_new_string(pos[2]));
    }
    code = acd__ctl_ask(ep, show ? "GET" : start ? "PUT" : "DELETE", "/v1/drill", req, &doc, NULL);
    json_object_put(req);
    if (code == CTL_EXIT_OK) {
        if (o.json)
            acd__ctl_print_json(doc);
        else
            drill_print(doc);
    }
    json_object_put(doc);
    return code;
}
