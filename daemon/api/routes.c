/* routes.c - the API's entity routes: agents, queues, calls, cluster, reload. */
#include "api/admin_int.h"

#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

/*
 * Every answer here is cut from the status document (acd__admin_status_doc), so that an
 * agent, queue or call reads the same through GET /v1/status and through its own route
 * (docs/api.md). Changing routes check their whole input before they change anything:
 * the path (404), the body (400: not JSON, not an object, an unknown member, a wrong
 * type, a bad value), then the state (409, from the site).
 */

/* ---- answers ---- */

/* Sends {key: value} (value taken, may be NULL: JSON null) with status. */
static void routes_send_one(h2o_req_t *req, int status, const char *key, json_object *value)
{
    json_object *doc = json_object_new_object();
    if (doc && json_object_object_add(doc, key, value) != 0) {
        json_object_put(doc);
        doc = NULL;
    } else if (!doc) {
        json_object_put(value);
    }
    acd__admin_answer(req, status, doc);
    json_object_put(doc);
}

/* Sends 404 {"error": "no such <noun>: <name>"}. */
static void routes_not_found(h2o_req_t *req, const char *noun, const char *name)
{
    char msg[ACD_ID_MAX + 48];
    snprintf(msg, sizeof(msg), "no such %s: %s", noun, name);
    acd__admin_send_error(req, 404, "Not Found", msg);
}

/* The member key of doc (borrowed; NULL when absent). */
static json_object *routes_get(json_object *doc, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(doc, key, &v) ? v : NULL;
}

/* The element of doc[list] whose member key is value (borrowed), or NULL. */
static json_object *routes_find(json_object *doc, const char *list, const char *key,
                                const char *value)
{
    json_object *arr = routes_get(doc, list);
    size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i), *v = routes_get(e, key);
        if (v && strcmp(json_object_get_string(v), value) == 0)
            return e;
    }
    return NULL;
}

/* Sends {key: doc[key]} from a fresh status document (an empty list when absent). */
static void routes_send_list(acd_admin_t *a, h2o_req_t *req, const char *key)
{
    json_object *doc = acd__admin_status_doc(a);
    json_object *list = doc ? routes_get(doc, key) : NULL;
    if (!doc) {
        acd__admin_answer(req, 500, NULL);
        return;
    }
    routes_send_one(req, 200, key, list ? json_object_get(list) : json_object_new_array());
    json_object_put(doc);
}

/* ---- request bodies ---- */

/*
 * Reads req's body as a JSON object whose members are all in allowed (NULL-terminated).
 * An empty body is an empty object. On success *docp is the object (the caller puts it);
 * otherwise sends the 400 and returns false.
 */
static bool routes_body(h2o_req_t *req, const char *const *allowed, json_object **docp)
{
    const char *body = req->entity.base;
    size_t len = req->entity.len, end = 0;
    char msg[160];
    *docp = NULL;
    while (len && (body[len - 1] == ' ' || body[len - 1] == '\n' || body[len - 1] == '\r' ||
                   body[len - 1] == '\t'))
        len--;
    if (len == 0) {
        *docp = json_object_new_object();
        if (!*docp)
            acd__admin_answer(req, 500, NULL);
        return *docp != NULL;
    }
    json_tokener *tok = json_tokener_new();
    json_object *doc = NULL;
    if (tok) {
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        doc = json_tokener_parse_ex(tok, body, (int)len);
        end = json_tokener_get_parse_end(tok);
        if (!doc || end != len)
            snprintf(msg, sizeof(msg), "the body is not valid JSON: %s",
                     doc ? "text after the value"
                         : json_tokener_error_desc(json_tokener_get_error(tok)));
        json_tokener_free(tok);
    } else {
        snprintf(msg, sizeof(msg), "out of memory");
    }
    if (doc && end == len && !json_object_is_type(doc, json_type_object))
        snprintf(msg, sizeof(msg), "the body must be a JSON object");
    else if (doc && end == len) {
        json_object_object_foreach(doc, key, val)
        {
            (void)val;
            bool known = false;
            for (size_t i = 0; allowed[i] && !known; i++)
                known = strcmp(allowed[i], key) == 0;
            if (!known) {
                if (allowed[0])
                    snprintf(msg, sizeof(msg), "unknown member \"%.40s\" (this request takes: %s)",
                             key, allowed[0]);
                else
                    snprintf(msg, sizeof(msg), "unknown member \"%.40s\" (this request takes none)",
                             key);
                json_object_put(doc);
                acd__admin_send_error(req, 400, "Bad Request", msg);
                return false;
            }
        }
        *docp = doc;
        return true;
    }
    json_object_put(doc);
    acd__admin_send_error(req, 400, "Bad Request", msg);
    return false;
}

/*
 * A pause reason goes into queue_log's '|'-separated lines, logs and tables: 1..31 bytes
 * (ACD_REASON_MAX) of UTF-8 without control characters, '|', '"' or '\', and no space at
 * either end. Returns NULL when s is one, else what is wrong.
 */
static const char *routes_reason_problem(const char *s, size_t n)
{
    if (n == 0)
        return "reason must not be empty";
    if (n >= ACD_REASON_MAX)
        return "reason must be at most 31 bytes";
    if (!acd_utf8_valid(s, n))
        return "reason must be UTF-8 text";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '|' || c == '"' || c == '\\')
            return "reason must not hold control characters, '|', '\"' or '\\'";
    }
    if (s[0] == ' ' || s[n - 1] == ' ')
        return "reason must not start or end with a space";
    return NULL;
}

/* ---- agents ---- */

static void routes_agents(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    routes_send_list(a, req, "agents");
}

/*
 * Sends {noun: the element of a fresh status document's lists[0] (else lists[1]) whose
 * "id" is id}, or the 404.
 */
static void routes_send_found(acd_admin_t *a, h2o_req_t *req, const char *noun,
                              const char *const lists[2], const char *id)
{
    json_object *doc = acd__admin_status_doc(a), *e = NULL;
    for (size_t i = 0; doc && !e && i < 2 && lists[i]; i++)
        e = routes_find(doc, lists[i], "id", id);
    if (!doc)
        acd__admin_answer(req, 500, NULL);
    else if (!e)
        routes_not_found(req, noun, id);
    else
        routes_send_one(req, 200, noun, json_object_get(e));
    json_object_put(doc);
}

static void routes_agent(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    static const char *const lists[2] = {"agents", NULL};
    routes_send_found(a, req, "agent", lists, p->v[0]);
}

/*
 * POST /v1/agents/<id>/<verb>: the path, then the body, then the site's answer
 * (ops.agent); a 2xx answer gets the agent's document as it is after the change.
 */
static void routes_agent_verb(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p,
                              acd_admin_agent_verb_t verb)
{
    static const char *const with_reason[] = {"reason", NULL};
    static const char *const nothing[] = {NULL};
    acd_agent_view_t view;
    json_object *body = NULL, *answer = NULL;
    char reason[ACD_REASON_MAX] = "";

    if (!acd__admin_may_change(req))
        return;
    if (acd_core_agent(a->ops.core(a->ud), p->v[0], &view) != 0) {
        routes_not_found(req, "agent", p->v[0]);
        return;
    }
    if (!routes_body(req, verb == ACD_ADMIN_AGENT_PAUSE ? with_reason : nothing, &body))
        return;
    if (verb == ACD_ADMIN_AGENT_PAUSE) {
        json_object *r = routes_get(body, "reason");
        const char *problem = !r ? "pause needs a \"reason\" (e.g. {\"reason\": \"lunch\"})"
                              : !json_object_is_type(r, json_type_string)
                                  ? "reason must be a string"
                                  : routes_reason_problem(json_object_get_string(r),
                                                          (size_t)json_object_get_string_len(r));
        if (problem) {
            json_object_put(body);
            acd__admin_send_error(req, 400, "Bad Request", problem);
            return;
        }
        snprintf(reason, sizeof(reason), "%s", json_object_get_string(r));
    }
    json_object_put(body);
    answer = json_object_new_object();
    int status = answer ? a->ops.agent(a->ud, p->v[0], verb,
                                       verb == ACD_ADMIN_AGENT_PAUSE ? reason : NULL, answer)
                        : 500;
    if (status >= 200 && status < 300) {
        json_object *doc = acd__admin_status_doc(a);
        json_object *agent = doc ? routes_find(doc, "agents", "id", p->v[0]) : NULL;
        if (agent)
            json_object_object_add(answer, "agent", json_object_get(agent));
        json_object_put(doc);
    }
    acd__admin_answer(req, status, answer);
    json_object_put(answer);
}

static void routes_login(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    routes_agent_verb(a, req, p, ACD_ADMIN_AGENT_LOGIN);
}

static void routes_logout(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    routes_agent_verb(a, req, p, ACD_ADMIN_AGENT_LOGOUT);
}

static void routes_pause(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    routes_agent_verb(a, req, p, ACD_ADMIN_AGENT_PAUSE);
}

static void routes_unpause(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    routes_agent_verb(a, req, p, ACD_ADMIN_AGENT_UNPAUSE);
}

/* ---- queues ---- */

/* Adds "stats" (acd_core_queue_stats: the queue's figures across the cluster) to q. */
static void routes_queue_stats(acd_admin_t *a, json_object *q, int64_t now)
{
    acd_queue_stats_t st;
    json_object *name = routes_get(q, "name");
    if (!name ||
        acd_core_queue_stats(a->ops.core(a->ud), json_object_get_string(name), now, &st) != 0)
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "waiting", json_object_new_int64((int64_t)st.waiting));
    json_object_object_add(o, "longest_wait_ms", json_object_new_int64(st.longest_wait_ms));
    json_object_object_add(o, "logged_in", json_object_new_int64((int64_t)st.logged_in));
    json_object_object_add(o, "available", json_object_new_int64((int64_t)st.available));
    json_object_object_add(o, "aht_ms", json_object_new_int64(st.aht_ms));
    json_object_object_add(q, "stats", o);
}

static void routes_queues(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    json_object *doc = acd__admin_status_doc(a);
    json_object *list = doc ? routes_get(doc, "queues") : NULL;
    if (!list) {
        acd__admin_answer(req, 500, NULL);
        json_object_put(doc);
        return;
    }
    int64_t now = acd__admin_now_ms();
    for (size_t i = 0; i < json_object_array_length(list); i++)
        routes_queue_stats(a, json_object_array_get_idx(list, i), now);
    routes_send_one(req, 200, "queues", json_object_get(list));
    json_object_put(doc);
}

/* GET /v1/queues/<name>: the queue, its stats, and the calls it holds (in queue order). */
static void routes_queue(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    json_object *doc = acd__admin_status_doc(a);
    json_object *q = doc ? routes_find(doc, "queues", "name", p->v[0]) : NULL;
    if (!doc) {
        acd__admin_answer(req, 500, NULL);
        return;
    }
    if (!q) {
        routes_not_found(req, "queue", p->v[0]);
        json_object_put(doc);
        return;
    }
    routes_queue_stats(a, q, acd__admin_now_ms());
    json_object *calls = json_object_new_array(), *all = routes_get(doc, "calls");
    for (size_t i = 0; all && i < json_object_array_length(all); i++) {
        json_object *c = json_object_array_get_idx(all, i), *cq = routes_get(c, "queue");
        if (cq && strcmp(json_object_get_string(cq), p->v[0]) == 0)
            json_object_array_add(calls, json_object_get(c));
    }
    json_object_object_add(q, "calls", calls);
    routes_send_one(req, 200, "queue", json_object_get(q));
    json_object_put(doc);
}

/* ---- calls ---- */

/* GET /v1/calls: the calls in queues (calls[]) and the callers outside them (answering[]). */
static void routes_calls(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    json_object *doc = acd__admin_status_doc(a), *out = json_object_new_object();
    if (!doc || !out) {
        json_object_put(doc);
        json_object_put(out);
        acd__admin_answer(req, 500, NULL);
        return;
    }
    static const char *const lists[] = {"calls", "answering"};
    for (size_t i = 0; i < 2; i++) {
        json_object *l = routes_get(doc, lists[i]);
        json_object_object_add(out, lists[i], l ? json_object_get(l) : json_object_new_array());
    }
    acd__admin_answer(req, 200, out);
    json_object_put(out);
    json_object_put(doc);
}

/* GET /v1/calls/<id>: a call in a queue, or a caller outside them (answering[]). */
static void routes_call(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    static const char *const lists[2] = {"calls", "answering"};
    routes_send_found(a, req, "call", lists, p->v[0]);
}

/* ---- cluster ---- */

/*
 * GET /v1/cluster: who leads, every site live or dark with its replication lag and
 * anycast state (acd__admin_sites), and the member's whole "cluster" object as
 * /v1/status has it (null for a site alone).
 */
static void routes_cluster(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    (void)p;
    const char *lead = NULL;
    json_object *doc = acd__admin_status_doc(a), *out = json_object_new_object();
    json_object *sites = doc ? acd__admin_sites(doc, &lead) : NULL;
    if (!doc || !out || !sites) {
        json_object_put(doc);
        json_object_put(out);
        json_object_put(sites);
        acd__admin_answer(req, 500, NULL);
        return;
    }
    json_object *c = routes_get(doc, "cluster");
    json_object *name = routes_get(routes_get(doc, "site"), "name");
    json_object_object_add(out, "site",
                           json_object_new_string(name ? json_object_get_string(name) : ""));
    json_object_object_add(out, "leader", lead ? json_object_new_string(lead) : NULL);
    json_object_object_add(out, "sites", sites);
    json_object_object_add(out, "cluster", c ? json_object_get(c) : NULL);
    acd__admin_answer(req, 200, out);
    json_object_put(out);
    json_object_put(doc);
}

/* ---- reload ---- */

/* POST /v1/reload: what SIGHUP does, answered (the process's control.reload). */
static void routes_reload(acd_admin_t *a, h2o_req_t *req, const acd__admin_params_t *p)
{
    static const char *const nothing[] = {NULL};
    json_object *body = NULL;
    (void)p;
    if (!acd__admin_may_change(req) || !routes_body(req, nothing, &body))
        return;
    json_object_put(body);
    json_object *answer = json_object_new_object();
    int status = answer ? a->control.reload(a->control_ud, answer) : 500;
    acd__admin_answer(req, status, answer);
    json_object_put(answer);
}

/* ---- the table ---- */

#define ROUTES_AGENT(p_, fn)                                                                       \
    {                                                                                              \
        .path = p_, .method = "POST", .handle = fn, .needs = ACD__ADMIN_NEEDS_AGENT                \
    }
const acd__admin_route_t acd__admin_entity_routes[] = {
    {.path = "/v1/agents", .method = "GET", .handle = routes_agents},
    {.path = "/v1/agents/{agent}", .method = "GET", .handle = routes_agent},
    ROUTES_AGENT("/v1/agents/{agent}/login", routes_login),
    ROUTES_AGENT("/v1/agents/{agent}/logout", routes_logout),
    ROUTES_AGENT("/v1/agents/{agent}/pause", routes_pause),
    ROUTES_AGENT("/v1/agents/{agent}/unpause", routes_unpause),
    {.path = "/v1/queues", .method = "GET", .handle = routes_queues},
    {.path = "/v1/queues/{queue}", .method = "GET", .handle = routes_queue},
    {.path = "/v1/calls", .method = "GET", .handle = routes_calls},
    {.path = "/v1/calls/{call}", .method = "GET", .handle = routes_call},
    {.path = "/v1/cluster", .method = "GET", .handle = routes_cluster},
    {.path = "/v1/reload",
     .method = "POST",
     .handle = routes_reload,
     .needs = ACD__ADMIN_NEEDS_RELOAD},
};
#undef ROUTES_AGENT

const size_t acd__admin_n_entity_routes =
    sizeof(acd__admin_entity_routes) / sizeof(acd__admin_entity_routes[0]);
