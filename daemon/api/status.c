/* status.c - the JSON document of GET /v1/status, built from the core's read-only views. */
#include "api/admin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "util/timefmt.h"

/*
 * The shape of the document is described in docs/api.md; keep the two together.
 * Every helper below takes the running error (0 or -ENOMEM) and does nothing once it is
 * set, so a builder can add all its fields and check once at the end.
 */

/* Adds key: val to o, taking val; a NULL val is a failed allocation. */
static void status_add(json_object *o, const char *key, json_object *val, int *err)
{
    if (*err) {
        json_object_put(val);
        return;
    }
    if (!val || json_object_object_add(o, key, val) != 0) {
        json_object_put(val);
        *err = -ENOMEM;
    }
}

static void status_null(json_object *o, const char *key, int *err)
{
    if (!*err && json_object_object_add(o, key, NULL) != 0)
        *err = -ENOMEM;
}

static void status_str(json_object *o, const char *key, const char *s, int *err)
{
    if (!*err)
        status_add(o, key, json_object_new_string(s ? s : ""), err);
}

/* A string that is null when absent or empty (no agent, no pause reason ...). */
static void status_opt_str(json_object *o, const char *key, const char *s, int *err)
{
    if (s && *s)
        status_str(o, key, s, err);
    else
        status_null(o, key, err);
}

static void status_int(json_object *o, const char *key, int64_t v, int *err)
{
    if (!*err)
        status_add(o, key, json_object_new_int64(v), err);
}

static void status_bool(json_object *o, const char *key, bool v, int *err)
{
    if (!*err)
        status_add(o, key, json_object_new_boolean(v), err);
}

/* A time: null when ms is 0 (never happened). */
static void status_time(json_object *o, const char *key, int64_t ms, int *err)
{
    char buf[40];
    if (ms <= 0) {
        status_null(o, key, err);
        return;
    }
    acd_time_rfc3339(buf, sizeof(buf), ms);
    status_str(o, key, buf, err);
}

/* Whole seconds from `from` to `to`, never negative. */
static int64_t status_secs(int64_t from, int64_t to)
{
    return to > from ? (to - from) / 1000 : 0;
}

/* ---- entities ---- */

typedef struct status_list {
    json_object *arr;
    int64_t now;
    int err;
} status_list_t;

/* Appends item (a new object the callback filled) to the list, or records the failure. */
static void status_append(status_list_t *l, json_object *item, int err)
{
    if (!l->err && (err || !item))
        l->err = -ENOMEM;
    if (l->err || json_object_array_add(l->arr, item) != 0) {
        json_object_put(item);
        l->err = -ENOMEM;
    }
}

static void status_on_queue(void *ud, const acd_queue_view_t *v)
{
    status_list_t *l = ud;
    json_object *q = l->err ? NULL : json_object_new_object();
    int err = q ? 0 : -ENOMEM;

    status_str(q, "name", v->name, &err);
    status_str(q, "tenant", v->tenant, &err);
    status_str(q, "strategy", v->strategy, &err);
    status_int(q, "waiting", (int64_t)v->waiting, &err);
    status_int(q, "offered", (int64_t)v->offered, &err);
    status_int(q, "agents_logged_in", (int64_t)v->agents_logged_in, &err);
    status_int(q, "agents_available", (int64_t)v->agents_available, &err);
    status_int(q, "longest_wait_s", v->oldest_enqueue ? status_secs(v->oldest_enqueue, l->now) : 0,
               &err);
    status_append(l, q, err);
}

static void status_on_agent(void *ud, const acd_agent_view_t *v)
{
    status_list_t *l = ud;
    json_object *o = l->err ? NULL : json_object_new_object();
    int err = o ? 0 : -ENOMEM;

    status_str(o, "id", v->id, &err);
    status_str(o, "sip_user", v->sip_user, &err);
    status_str(o, "state", acd_agent_state_name(v->state), &err);
    status_opt_str(o, "pause_reason", v->pause_reason, &err);
    status_time(o, "state_since", v->state_since, &err);
    /* Only an available agent is idle; longest-idle distribution ranks by this. */
    if (v->state == ACD_AGENT_AVAILABLE && v->idle_since > 0)
        status_time(o, "idle_since", v->idle_since, &err);
    status_opt_str(o, "call_id", v->call_id, &err);
    status_int(o, "missed_in_row", v->missed_in_row, &err);
    status_int(o, "calls_handled", v->calls_handled, &err);
    status_append(l, o, err);
}

static void status_on_call(void *ud, const acd_call_view_t *v)
{
    status_list_t *l = ud;
    json_object *o = l->err ? NULL : json_object_new_object();
    int err = o ? 0 : -ENOMEM;
    int64_t waited_until = v->answer_ms > 0 ? v->answer_ms : l->now;

    status_str(o, "id", v->id, &err);
    status_str(o, "tenant", v->tenant, &err);
    status_str(o, "did", v->did, &err);
    status_str(o, "caller", v->caller, &err);
    status_str(o, "queue", v->queue, &err);
    status_str(o, "state", acd_call_state_name(v->state), &err);
    status_opt_str(o, "agent", v->agent, &err);
    status_int(o, "priority", v->priority, &err);
    status_time(o, "enqueued", v->enqueue_ms, &err);
    status_time(o, "answered", v->answer_ms, &err);
    status_int(o, "wait_s", status_secs(v->enqueue_ms, waited_until), &err);
    if (v->position > 0)
        status_int(o, "position", v->position, &err);
    else
        status_null(o, "position", &err);
    status_append(l, o, err);
}

/* Visits one kind of entity of core, calling the matching status_on_* with l. */
typedef void (*status_each_fn)(const acd_core_t *core, status_list_t *l);

static void status_each_queue(const acd_core_t *core, status_list_t *l)
{
    acd_core_foreach_queue(core, status_on_queue, l);
}

static void status_each_agent(const acd_core_t *core, status_list_t *l)
{
    acd_core_foreach_agent(core, status_on_agent, l);
}

static void status_each_call(const acd_core_t *core, status_list_t *l)
{
    acd_core_foreach_call(core, status_on_call, l);
}

/* Adds key: [ ...one object per entity... ] to doc; an absent core gives an empty list. */
static void status_list(json_object *doc, const char *key, const acd_core_t *core, int64_t now,
                        status_each_fn each, int *err)
{
    if (*err)
        return;
    status_list_t l = {.arr = json_object_new_array(), .now = now};
    if (!l.arr) {
        *err = -ENOMEM;
        return;
    }
    if (core)
        each(core, &l);
    if (l.err) {
        json_object_put(l.arr);
        *err = l.err;
        return;
    }
    status_add(doc, key, l.arr, err);
}

static json_object *status_site(const acd_admin_site_info_t *info, int64_t now, int *err)
{
    acd_admin_site_info_t none;
    json_object *site = json_object_new_object();
    json_object *sip = json_object_new_object();

    if (!site || !sip) {
        json_object_put(site);
        json_object_put(sip);
        *err = -ENOMEM;
        return NULL;
    }
    if (!info) {
        memset(&none, 0, sizeof(none));
        info = &none;
    }
    status_str(site, "name", info->site, err);
    status_str(site, "version", info->version, err);
    status_time(site, "now", now, err);
    status_time(site, "started", info->started_ms, err);
    status_int(site, "uptime_s", info->started_ms > 0 ? status_secs(info->started_ms, now) : 0,
               err);
    status_bool(site, "draining", info->draining != 0, err);
    status_int(sip, "rx", (int64_t)info->sip_rx, err);
    status_int(sip, "tx", (int64_t)info->sip_tx, err);
    status_add(site, "sip", sip, err);
    status_int(site, "calls_in_progress", (int64_t)info->calls_in_progress, err);
    status_int(site, "registrations", (int64_t)info->registrations, err);
    if (*err) {
        json_object_put(site);
        return NULL;
    }
    return site;
}

struct json_object *acd_admin_status_json(const acd_core_t *core, const acd_admin_site_info_t *info,
                                          int64_t now_ms)
{
    int err = 0;
    json_object *doc = json_object_new_object();
    if (!doc)
        return NULL;

    status_add(doc, "site", status_site(info, now_ms, &err), &err);
    status_list(doc, "queues", core, now_ms, status_each_queue, &err);
    status_list(doc, "agents", core, now_ms, status_each_agent, &err);
    status_list(doc, "calls", core, now_ms, status_each_call, &err);
    if (err) {
        json_object_put(doc);
        return NULL;
    }
    return doc;
}
