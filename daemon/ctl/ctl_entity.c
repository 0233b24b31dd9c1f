/* ctl_entity.c - acdctl agent|queue|call: the site's entities, listed, shown and steered. */
#include "ctl/ctl_entity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl_cmd.h"
#include "ctl/ctl_doc.h"
#include "ctl/ctl_table.h"

static void agent_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] agent list [--json]\n"
          "       acdctl [GLOBAL OPTIONS] agent show ID [--json]\n"
          "       acdctl [GLOBAL OPTIONS] agent login|logout|unpause ID [--json]\n"
          "       acdctl [GLOBAL OPTIONS] agent pause ID --reason REASON [--json]\n"
          "\n"
          "  list      every agent: state, pause reason, since when, call, site, hold\n"
          "  show      one agent\n"
          "  login     let the agent take calls again (lifts a supervisor's logout); it\n"
          "            logs in now when its phone is registered, else when it registers\n"
          "  logout    log the agent out and keep it out: its phone's registrations do not\n"
          "            log it back in until `agent login` (on a call: when the call ends)\n"
          "  pause     no calls for the agent until unpause; REASON is 1..31 bytes of text\n"
          "            (lunch, break, training, meeting ...); refused while it rings or talks\n"
          "  unpause   back to available\n"
          "\n"
          "In a cluster an agent is steered at the site its phone registers with; another\n"
          "site refuses (exit 4) and names it.\n"
          "\n"
          "Options:\n"
          "  -r, --reason REASON  pause: why (shown to supervisors, written to queue_log)\n"
          "  -j, --json           print acdd's JSON answer instead of tables\n"
          "  -h, --help           show this help\n" CTL_EXIT_TEXT,
          f);
}

static void queue_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] queue list [--json]\n"
          "       acdctl [GLOBAL OPTIONS] queue show NAME [--json]\n"
          "\n"
          "  list   every queue: calls waiting and offered, agents available/logged in,\n"
          "         the longest wait, the average handling time\n"
          "  show   one queue and the calls it holds\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's JSON answer instead of tables\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}

static void call_usage(FILE *f)
{
    fputs("Usage: acdctl [GLOBAL OPTIONS] call list [--json]\n"
          "       acdctl [GLOBAL OPTIONS] call show ID [--json]\n"
          "\n"
          "  list   the calls in queues (CALLS) and the callers outside them: in a menu,\n"
          "         an announcement, leaving a message (ANSWERING)\n"
          "  show   one call, with how it came (mode, forward reason, instructions)\n"
          "\n"
          "Options:\n"
          "  -j, --json   print acdd's JSON answer instead of tables\n"
          "  -h, --help   show this help\n" CTL_EXIT_TEXT,
          f);
}


/* ---- tables ---- */

static void entity_fill_queue(acd__ctl_row_t *r, json_object *q, int64_t now)
{
    (void)now;
    CTL_CELL(r, 0, "%s", acd__ctl_str(q, "name"));
    CTL_CELL(r, 1, "%s", acd__ctl_str(q, "tenant"));
    CTL_CELL(r, 2, "%lld", (long long)acd__ctl_int(q, "waiting"));
    CTL_CELL(r, 3, "%lld", (long long)acd__ctl_int(q, "offered"));
    CTL_CELL(r, 4, "%lld/%lld", (long long)acd__ctl_int(q, "agents_available"),
             (long long)acd__ctl_int(q, "agents_logged_in"));
    acd__ctl_duration(r->cell[5], CTL_CELL_MAX, acd__ctl_int(q, "longest_wait_s"));
}

/* queue list: the status columns and the average handling time from "stats". */
static void entity_fill_queue_aht(acd__ctl_row_t *r, json_object *q, int64_t now)
{
    json_object *st = NULL;
    entity_fill_queue(r, q, now);
    if (json_object_object_get_ex(q, "stats", &st))
        acd__ctl_duration(r->cell[6], CTL_CELL_MAX, acd__ctl_int(st, "aht_ms") / 1000);
    else
        CTL_CELL(r, 6, "-");
}

static void entity_fill_agent(acd__ctl_row_t *r, json_object *a, int64_t now)
{
    int64_t since = acd__ctl_time(a, "state_since");
    CTL_CELL(r, 0, "%s", acd__ctl_str(a, "id"));
    CTL_CELL(r, 1, "%s", acd__ctl_str(a, "state"));
    CTL_CELL(r, 2, "%s", acd__ctl_str(a, "pause_reason"));
    if (since > 0)
        acd__ctl_duration(r->cell[3], CTL_CELL_MAX, (now - since) / 1000);
    else
        CTL_CELL(r, 3, "-");
    CTL_CELL(r, 4, "%s", acd__ctl_str(a, "call_id"));
}

/* agent list: the status columns, the site its phone registers with, and the hold. */
static void entity_fill_agent_site(acd__ctl_row_t *r, json_object *a, int64_t now)
{
    entity_fill_agent(r, a, now);
    CTL_CELL(r, 5, "%s", acd__ctl_str(a, "site"));
    CTL_CELL(r, 6, "%s", strcmp(acd__ctl_yes(a, "held_out"), "yes") ? "-" : "held out");
}

/* Fills cells 0.. with the strings of o at keys (NULL-terminated). */
static void entity_cells(acd__ctl_row_t *r, json_object *o, const char *const *keys)
{
    for (size_t i = 0; keys[i] && i < CTL_COLS_MAX; i++)
        CTL_CELL(r, i, "%s", acd__ctl_str(o, keys[i]));
}

static void entity_fill_call(acd__ctl_row_t *r, json_object *c, int64_t now)
{
    static const char *const keys[] = {"id", "tenant", "caller", "queue", "state", "agent", NULL};
    (void)now;
    entity_cells(r, c, keys);
    acd__ctl_duration(r->cell[6], CTL_CELL_MAX, acd__ctl_int(c, "wait_s"));
}

static void entity_fill_answering(acd__ctl_row_t *r, json_object *c, int64_t now)
{
    static const char *const keys[] = {"id", "tenant", "did", "stage", "mode", NULL};
    (void)now;
    entity_cells(r, c, keys);
}

/* Fills and prints one table from doc[key]; returns 0 or -ENOMEM. */
static int entity_table(const char *title, const char *const *heads, size_t ncols, json_object *doc,
                        const char *key, int64_t now,
                        void (*fill)(acd__ctl_row_t *r, json_object *o, int64_t now), FILE *f)
{
    acd__ctl_table_t t = {.title = title, .heads = heads, .ncols = ncols};
    int rc = acd__ctl_table_fill(&t, doc, key, now, fill);
    if (!rc)
        acd__ctl_table_print(&t, f);
    free(t.rows);
    return rc;
}

/* AVAIL/IN: agents available / agents logged in */
static const char *const queue_heads[] = {"NAME",     "TENANT",  "WAITING", "OFFERED",
                                          "AVAIL/IN", "LONGEST", "AHT"};
static const char *const agent_heads[] = {"ID", "STATE", "REASON", "SINCE", "CALL", "SITE", "HOLD"};
static const char *const call_heads[] = {"ID",    "TENANT", "CALLER", "QUEUE",
                                         "STATE", "AGENT",  "WAIT"};

int acd__ctl_print_queues(json_object *doc, int64_t now, FILE *f)
{
    return entity_table("QUEUES", queue_heads, 6, doc, "queues", now, entity_fill_queue, f);
}

int acd__ctl_print_agents(json_object *doc, int64_t now, FILE *f)
{
    return entity_table("AGENTS", agent_heads, 5, doc, "agents", now, entity_fill_agent, f);
}

int acd__ctl_print_calls(json_object *doc, int64_t now, FILE *f)
{
    return entity_table("CALLS", call_heads, 7, doc, "calls", now, entity_fill_call, f);
}

/* ---- one entity, as "key  value" lines ---- */

/* Prints "label  value" for each member of o named in keys (pairs of key, label). */
static void entity_fields(json_object *o, const char *const *keys, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, keys[i], &v))
            continue;
        const char *text = json_object_is_type(v, json_type_boolean) ? acd__ctl_yes(o, keys[i])
                                                                     : acd__ctl_str(o, keys[i]);
        printf("%-15s %s\n", keys[i + 1], text);
    }
}

static void entity_show_agent(json_object *a, int64_t now)
{
    static const char *const keys[] = {"id",
                                       "agent",
                                       "sip_user",
                                       "sip user",
                                       "state",
                                       "state",
                                       "pause_reason",
                                       "pause reason",
                                       "call_id",
                                       "call",
                                       "site",
                                       "site",
                                       "held_out",
                                       "held out",
                                       "missed_in_row",
                                       "missed in row",
                                       "calls_handled",
                                       "calls handled"};
    char since[32] = "-";
    int64_t t = acd__ctl_time(a, "state_since");
    entity_fields(a, keys, sizeof(keys) / sizeof(keys[0]));
    if (t > 0)
        acd__ctl_duration(since, sizeof(since), (now - t) / 1000);
    printf("%-15s %s (%s)\n", "since", since, acd__ctl_str(a, "state_since"));
}

static void entity_show_queue(json_object *q, int64_t now)
{
    static const char *const keys[] = {"name",
                                       "queue",
                                       "tenant",
                                       "tenant",
                                       "strategy",
                                       "strategy",
                                       "waiting",
                                       "waiting",
                                       "offered",
                                       "offered",
                                       "agents_available",
                                       "available",
                                       "agents_logged_in",
                                       "logged in"};
    json_object *st = NULL;
    char d[32];
    entity_fields(q, keys, sizeof(keys) / sizeof(keys[0]));
    acd__ctl_duration(d, sizeof(d), acd__ctl_int(q, "longest_wait_s"));
    printf("%-15s %s\n", "longest wait", d);
    if (json_object_object_get_ex(q, "stats", &st)) {
        acd__ctl_duration(d, sizeof(d), acd__ctl_int(st, "aht_ms") / 1000);
        printf("%-15s %s\n", "aht", d);
        printf("%-15s %lld\n", "cluster in", (long long)acd__ctl_int(st, "logged_in"));
    }
    (void)entity_table("CALLS", call_heads, 7, q, "calls", now, entity_fill_call, stdout);
}

static void entity_show_call(json_object *c, int64_t now)
{
    static const char *const keys[] = {"id",
                                       "call",
                                       "tenant",
                                       "tenant",
                                       "did",
                                       "did",
                                       "caller",
                                       "caller",
                                       "queue",
                                       "queue",
                                       "state",
                                       "state",
                                       "stage",
                                       "stage",
                                       "menu",
                                       "menu",
                                       "agent",
                                       "agent",
                                       "priority",
                                       "priority",
                                       "position",
                                       "position",
                                       "enqueued",
                                       "enqueued",
                                       "answered",
                                       "answered",
                                       "wait_s",
                                       "wait (s)",
                                       "mode",
                                       "mode",
                                       "forward_reason",
                                       "forward reason",
                                       "diverted_from",
                                       "diverted from",
                                       "instructions",
                                       "instructions",
                                       "delivery",
                                       "delivery"};
    (void)now;
    entity_fields(c, keys, sizeof(keys) / sizeof(keys[0]));
}

/* ---- commands ---- */

/*
 * GET path, then --json, or print(doc[key]) (the whole answer when key is NULL): the
 * table(s) or the fields of one entity.
 */
static int entity_get(const acd__ctl_endpoint_t *ep, const char *path, bool json, const char *key,
                      void (*print)(json_object *o, int64_t now))
{
    json_object *doc = NULL, *o = NULL;
    int code = acd__ctl_ask(ep, "GET", path, NULL, &doc, NULL);
    if (code != CTL_EXIT_OK)
        return code;
    if (json)
        acd__ctl_print_json(doc);
    else if (!key || json_object_object_get_ex(doc, key, &o))
        print(key ? o : doc, (int64_t)time(NULL) * 1000);
    json_object_put(doc);
    return CTL_EXIT_OK;
}

static void print_agent_list(json_object *doc, int64_t now)
{
    (void)entity_table("AGENTS", agent_heads, 7, doc, "agents", now, entity_fill_agent_site,
                       stdout);
}

static void print_queue_list(json_object *doc, int64_t now)
{
    (void)entity_table("QUEUES", queue_heads, 7, doc, "queues", now, entity_fill_queue_aht, stdout);
}

static void print_call_list(json_object *doc, int64_t now)
{
    static const char *const heads[] = {"ID", "TENANT", "DID", "STAGE", "MODE"};
    (void)acd__ctl_print_calls(doc, now, stdout);
    (void)entity_table("ANSWERING", heads, 5, doc, "answering", now, entity_fill_answering, stdout);
}

/* One line saying what a verb did, from acdd's answer (status 200 or 202). */
static void entity_say(const char *verb, const char *id, json_object *doc, long status)
{
    json_object *a = NULL;
    json_object_object_get_ex(doc, "agent", &a);
    bool changed = !strcmp(acd__ctl_yes(doc, "changed"), "yes");
    const char *state = acd__ctl_str(a, "state"), *reason = acd__ctl_str(a, "pause_reason");
    if (status == 202)
        printf("agent %s is %s: %s\n", id, state, acd__ctl_str(doc, "pending"));
    else if (!strcmp(verb, "login") && json_object_object_get_ex(doc, "waiting_for_phone", NULL))
        printf("agent %s may log in again: it does when its phone registers\n", id);
    else if (!strcmp(verb, "login"))
        printf("agent %s %slogged in: %s\n", id, changed ? "" : "was already ", state);
    else if (!strcmp(verb, "logout"))
        printf("agent %s %slogged out; its phone's registrations do not log it in until "
               "`acdctl agent login %s`\n",
               id, changed ? "" : "was already ", id);
    else if (!strcmp(verb, "pause"))
        printf("agent %s %spaused (%s)\n", id, changed ? "" : "was already ", reason);
    else
        printf("agent %s %s: %s\n", id, changed ? "unpaused" : "was not paused", state);
}

static int entity_agent_verb(const acd__ctl_endpoint_t *ep, const char *verb, const char *id,
                             const acd__ctl_cmd_opts_t *o)
{
    char path[160];
    json_object *req = NULL, *doc = NULL;
    long status = 0;
    if (!strcmp(verb, "pause")) {
        if (!o->reason) {
            fprintf(stderr, "acdctl agent pause: --reason REASON is needed\n");
            agent_usage(stderr);
            return CTL_EXIT_USAGE;
        }
        req = json_object_new_object();
        json_object_object_add(req, "reason", json_object_new_string(o->reason));
    } else if (o->reason) {
        fprintf(stderr, "acdctl agent %s: --reason goes with pause only\n", verb);
        return CTL_EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "/v1/agents/%s/%s", id, verb);
    int code = acd__ctl_ask(ep, "POST", path, req, &doc, &status);
    json_object_put(req);
    if (code != CTL_EXIT_OK)
        return code;
    if (o->json)
        acd__ctl_print_json(doc);
    else
        entity_say(verb, id, doc, status);
    json_object_put(doc);
    return CTL_EXIT_OK;
}

int acd__ctl_entity(const acd__ctl_endpoint_t *ep, int argc, char **argv)
{
    const char *cmd = argv[0];
    bool agent = !strcmp(cmd, "agent"), queue = !strcmp(cmd, "queue");
    void (*usage)(FILE *) = agent ? agent_usage : queue ? queue_usage : call_usage;
    const char *noun = agent ? "an agent" : queue ? "a queue" : "a call";
    acd__ctl_cmd_opts_t o;
    char *pos[2], path[160];
    int npos;
    int rc = acd__ctl_cmd_opts(argc, argv, cmd, agent, &o, pos, 2, &npos, usage);
    if (rc)
        return rc < 0 ? CTL_EXIT_OK : rc;
    const char *sub = npos ? pos[0] : NULL;
    bool list = sub && !strcmp(sub, "list");
    bool known = list || (sub && !strcmp(sub, "show")) ||
                 (agent && sub &&
                  (!strcmp(sub, "login") || !strcmp(sub, "logout") || !strcmp(sub, "pause") ||
                   !strcmp(sub, "unpause")));
    if (!known || npos != (list ? 1 : 2)) {
        if (!sub)
            fprintf(stderr, "acdctl %s: a subcommand is needed\n", cmd);
        else if (!known)
            fprintf(stderr, "acdctl %s: unknown subcommand '%s'\n", cmd, sub);
        else
            fprintf(stderr, "acdctl %s %s: %s\n", cmd, sub,
                    list ? "takes no argument" : "needs one name");
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    if (!list && !acd__ctl_id_ok(pos[1], noun))
        return CTL_EXIT_USAGE;
    if (agent && !list && strcmp(sub, "show") != 0)
        return entity_agent_verb(ep, sub, pos[1], &o);
    const char *base = agent ? "/v1/agents" : queue ? "/v1/queues" : "/v1/calls";
    if (list)
        snprintf(path, sizeof(path), "%s", base);
    else
        snprintf(path, sizeof(path), "%s/%s", base, pos[1]);
    if (list)
        return entity_get(ep, path, o.json, NULL,
                          agent   ? print_agent_list
                          : queue ? print_queue_list
                                  : print_call_list);
    return entity_get(ep, path, o.json,
                      agent   ? "agent"
                      : queue ? "queue"
                              : "call",
                      agent   ? entity_show_agent
                      : queue ? entity_show_queue
                              : entity_show_call);
}
