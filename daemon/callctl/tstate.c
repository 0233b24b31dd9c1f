/* tstate.c - tenants' live state: the override and temporary instructions, and their mode. */
#include "callctl/callctl_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

/*
 * A tenant's live state is what a supervisor or the client sets by hand while calls run
 * (docs/adr/0020): an override (open, closed, or closed with a message, until a time or
 * until cleared) and temporary instructions for the agents ("back at 3 pm"). It is one
 * JSON document per tenant:
 *
 *   {"override": {"kind": "closed", "until_ms": 1796300000000, "message": "..."},
 *    "instructions": "back at 3 pm", "updated_ms": 1796290000000}
 *
 * In a cluster the document lives in etcd (member_tstate.c) and every site applies what
 * the watch brings; a site alone keeps it in memory. Either way a change is applied here
 * at once, so the site that took the request answers with the new state.
 */

#define TSTATE_TEXT_MAX 255

struct cc_tstate {
    char tenant[ACD_ID_MAX];
    acd_override_t ov;
    char instructions[TSTATE_TEXT_MAX + 1];
    int64_t updated_ms;
};

static struct cc_tstate *tstate_find(acd_callctl_t *cc, const char *tenant, bool make)
{
    for (size_t i = 0; i < cc->n_tstates; i++)
        if (strcmp(cc->tstates[i].tenant, tenant) == 0)
            return &cc->tstates[i];
    if (!make)
        return NULL;
    struct cc_tstate *v = realloc(cc->tstates, (cc->n_tstates + 1) * sizeof(*v));
    if (!v)
        return NULL;
    cc->tstates = v;
    struct cc_tstate *t = &v[cc->n_tstates++];
    memset(t, 0, sizeof(*t));
    snprintf(t->tenant, sizeof(t->tenant), "%s", tenant);
    return t;
}

void acd__tstate_fini(acd_callctl_t *cc)
{
    free(cc->tstates);
    cc->tstates = NULL;
    cc->n_tstates = 0;
}

const char *acd__tstate_instructions(acd_callctl_t *cc, const char *tenant)
{
    const struct cc_tstate *t = tstate_find(cc, tenant, false);
    if (t && t->instructions[0])
        return t->instructions;
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, tenant);
    return tc && tc->instructions ? tc->instructions : "";
}

const acd_override_t *acd__tstate_override(acd_callctl_t *cc, const char *tenant)
{
    const struct cc_tstate *t = tstate_find(cc, tenant, false);
    return t && t->ov.kind != ACD_OVERRIDE_NONE ? &t->ov : NULL;
}

#define TSTATE_SPANS_MAX 64

static size_t tstate_spans(acd_sched_span_t *out, const acd_cfg_span_t *in, size_t n)
{
    if (n > TSTATE_SPANS_MAX)
        n = TSTATE_SPANS_MAX; /* config_answer.c refuses more */
    for (size_t i = 0; i < n; i++)
        out[i] = (acd_sched_span_t){.days = in[i].days, .start_min = in[i].start_min,
                                    .end_min = in[i].end_min};
    return n;
}

/*
 * Tests move the schedule's clock (and only it) with ACD_SCHEDULE_OFFSET_MS, so that a
 * test can put a tenant on a holiday, a DST night or at lunch without waiting for one.
 * Read once; never set in production units.
 */
static int64_t tstate_offset_ms(void)
{
    static int64_t offset = INT64_MIN;
    if (offset == INT64_MIN) {
        const char *e = getenv("ACD_SCHEDULE_OFFSET_MS");
        offset = e ? strtoll(e, NULL, 10) : 0;
        if (offset)
            acd_log_warn("ACD-TENANT-CLOCK-OFFSET", "schedules read the clock %lld ms off"
                         " (ACD_SCHEDULE_OFFSET_MS: tests only)", (long long)offset);
    }
    return offset;
}

int acd__tstate_mode(acd_callctl_t *cc, const char *tenant, int64_t now, acd_mode_info_t *out)
{
    now += tstate_offset_ms();
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, tenant);
    if (!tc)
        return -ENOENT;
    acd_sched_span_t hours[TSTATE_SPANS_MAX], lunch[TSTATE_SPANS_MAX];
    acd_sched_date_t days[TSTATE_SPANS_MAX * 4];
    size_t n_days = tc->n_holidays < sizeof(days) / sizeof(days[0])
                        ? tc->n_holidays
                        : sizeof(days) / sizeof(days[0]);
    for (size_t i = 0; i < n_days; i++)
        days[i] = (acd_sched_date_t){.year = tc->holidays[i].year,
                                     .month = tc->holidays[i].month,
                                     .day = tc->holidays[i].day};
    acd_schedule_t s = {.hours = hours,
                        .n_hours = tstate_spans(hours, tc->hours, tc->n_hours),
                        .lunch = lunch,
                        .n_lunch = tstate_spans(lunch, tc->lunch, tc->n_lunch),
                        .holidays = days,
                        .n_holidays = n_days};
    snprintf(s.tz, sizeof(s.tz), "%s", tc->timezone && strcmp(tc->timezone, "UTC") ? tc->timezone : "");
    return acd_schedule_mode(&s, acd__tstate_override(cc, tenant), now, out);
}

/* ---- the document ---- */

static json_object *tstate_doc(const struct cc_tstate *t)
{
    json_object *doc = json_object_new_object();
    if (!doc)
        return NULL;
    if (t->ov.kind != ACD_OVERRIDE_NONE) {
        json_object *ov = json_object_new_object();
        json_object_object_add(ov, "kind", json_object_new_string(acd_override_kind_name(t->ov.kind)));
        json_object_object_add(ov, "until_ms", json_object_new_int64(t->ov.until_ms));
        json_object_object_add(ov, "message", json_object_new_string(t->ov.message));
        json_object_object_add(doc, "override", ov);
    }
    if (t->instructions[0])
        json_object_object_add(doc, "instructions", json_object_new_string(t->instructions));
    json_object_object_add(doc, "updated_ms", json_object_new_int64(t->updated_ms));
    return doc;
}

/* Copies a text field (<= TSTATE_TEXT_MAX bytes of UTF-8) or says why not. */
static int tstate_text(json_object *v, char *out, size_t len, const char *what, char *err,
                       size_t errlen)
{
    if (!v) {
        out[0] = '\0';
        return 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        snprintf(err, errlen, "%s must be a string", what);
        return -EINVAL;
    }
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (n > TSTATE_TEXT_MAX || n >= len) {
        snprintf(err, errlen, "%s is longer than %d bytes", what, TSTATE_TEXT_MAX);
        return -EINVAL;
    }
    if (!acd_utf8_valid(s, n) || memchr(s, '\0', n)) {
        snprintf(err, errlen, "%s is not valid UTF-8 text", what);
        return -EINVAL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Reads {"kind", "until_ms" | "minutes", "message"} into ov, checked against now. */
static int tstate_override_parse(json_object *o, int64_t now, acd_override_t *ov, char *err,
                                 size_t errlen)
{
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "the override must be an object");
        return -EINVAL;
    }
    json_object *v;
    memset(ov, 0, sizeof(*ov));
    if (!json_object_object_get_ex(o, "kind", &v) || !json_object_is_type(v, json_type_string) ||
        acd_override_kind_parse(json_object_get_string(v), &ov->kind) < 0 ||
        ov->kind == ACD_OVERRIDE_NONE) {
        snprintf(err, errlen, "kind must be one of open, closed, message");
        return -EINVAL;
    }
    if (json_object_object_get_ex(o, "until_ms", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
            snprintf(err, errlen, "until_ms must be a Unix time in milliseconds");
            return -EINVAL;
        }
        ov->until_ms = json_object_get_int64(v);
    }
    if (json_object_object_get_ex(o, "minutes", &v)) {
        int64_t m = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
        if (m < 1 || m > 60 * 24 * 31 || ov->until_ms) {
            snprintf(err, errlen, "minutes must be 1..44640 (and not given with until_ms)");
            return -EINVAL;
        }
        ov->until_ms = now + m * 60000;
    }
    if (ov->until_ms && ov->until_ms <= now) {
        snprintf(err, errlen, "until_ms is in the past");
        return -EINVAL;
    }
    json_object_object_get_ex(o, "message", &v);
    if (tstate_text(v, ov->message, sizeof(ov->message), "message", err, errlen) < 0)
        return -EINVAL;
    if (ov->kind == ACD_OVERRIDE_MESSAGE && !ov->message[0]) {
        snprintf(err, errlen, "a message override needs a message");
        return -EINVAL;
    }
    return 0;
}

/* Applies a stored document (from etcd or this site); text NULL clears the tenant. */
static int tstate_apply(acd_callctl_t *cc, const char *tenant, const char *text, size_t len)
{
    struct cc_tstate *t = tstate_find(cc, tenant, true);
    if (!t)
        return -ENOMEM;
    struct cc_tstate next = {0};
    snprintf(next.tenant, sizeof(next.tenant), "%s", tenant);
    if (text) {
        json_tokener *tok = json_tokener_new();
        json_object *doc = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
        json_tokener_free(tok);
        char err[128] = "";
        json_object *v;
        int rc = doc && json_object_is_type(doc, json_type_object) ? 0 : -EINVAL;
        if (rc == 0 && json_object_object_get_ex(doc, "override", &v))
            rc = tstate_override_parse(v, 0, &next.ov, err, sizeof(err));
        if (rc == 0) {
            v = NULL;
            json_object_object_get_ex(doc, "instructions", &v);
            rc = tstate_text(v, next.instructions, sizeof(next.instructions), "instructions", err,
                             sizeof(err));
        }
        if (rc == 0 && json_object_object_get_ex(doc, "updated_ms", &v))
            next.updated_ms = json_object_get_int64(v);
        json_object_put(doc);
        if (rc < 0) {
            acd_log_warn("ACD-TENANT-STATE-BAD", "tenant=%s: stored state refused (%s); keeping"
                         " the one in use", tenant, err[0] ? err : "not a JSON object");
            return -EINVAL;
        }
    }
    *t = next;
    acd_log_notice("ACD-TENANT-STATE", "tenant=%s override=%s until_ms=%lld instructions=\"%s\"",
                   tenant, acd_override_kind_name(t->ov.kind), (long long)t->ov.until_ms,
                   t->instructions);
    return 0;
}

void acd__tstate_stored(acd_callctl_t *cc, const char *tenant, const char *text, size_t len)
{
    if (acd__caller_tenant_cfg(cc->cfg, tenant) || !text)
        (void)tstate_apply(cc, tenant, text, len);
}

/* ---- the API: /v1/tenants ---- */

static json_object *tstate_tenant_json(acd_callctl_t *cc, const acd_cfg_tenant_t *tc, int64_t now)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "name", json_object_new_string(tc->name));
    json_object_object_add(o, "timezone", json_object_new_string(tc->timezone ? tc->timezone : "UTC"));
    acd_mode_info_t mi;
    if (acd__tstate_mode(cc, tc->name, now, &mi) == 0) {
        json_object_object_add(o, "mode", json_object_new_string(acd_mode_name(mi.mode)));
        json_object_object_add(o, "open", json_object_new_boolean(mi.open));
        json_object_object_add(o, "next_change_ms", json_object_new_int64(mi.next_change_ms));
    }
    struct cc_tstate *t = tstate_find(cc, tc->name, false);
    struct cc_tstate none = {0};
    json_object *st = tstate_doc(t ? t : &none);
    json_object *ov = NULL;
    if (st && json_object_object_get_ex(st, "override", &ov))
        json_object_object_add(o, "override", json_object_get(ov));
    else
        json_object_object_add(o, "override", NULL);
    json_object_object_add(o, "instructions",
                           json_object_new_string(acd__tstate_instructions(cc, tc->name)));
    json_object_put(st);
    return o;
}

static int tstate_error(json_object *answer, int status, const char *msg)
{
    json_object_object_add(answer, "error", json_object_new_string(msg));
    return status;
}

/* Stores t's new document: in etcd through the member (202), or here alone (200). */
static int tstate_store(acd_callctl_t *cc, struct cc_tstate *t)
{
    json_object *doc = tstate_doc(t);
    if (!doc)
        return -ENOMEM;
    size_t len = 0;
    const char *text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len);
    bool empty = t->ov.kind == ACD_OVERRIDE_NONE && !t->instructions[0];
    int rc = tstate_apply(cc, t->tenant, empty ? NULL : text, len);
    if (rc == 0 && cc->member)
        rc = acd_member_tenant_state_put(cc->member, t->tenant, empty ? NULL : text, len, NULL,
                                         NULL);
    json_object_put(doc);
    return rc < 0 ? rc : cc->member ? 202 : 200;
}

/* POST /v1/tenants/<t>/outbound {"number", "queue"?, "priority"?, "at_ms"?}: an outbound
 * call that the same agents place (outcall.c), now or at at_ms. */
static int tstate_outbound(acd_callctl_t *cc, const acd_cfg_tenant_t *tc, const char *method,
                           const char *body, size_t len, json_object *answer)
{
    if (strcmp(method, "POST") != 0)
        return tstate_error(answer, 405, "outbound calls are placed with POST");
    json_tokener *tok = json_tokener_new();
    json_object *doc = tok && len ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
    json_tokener_free(tok);
    json_object *v;
    char number[ACD_ID_MAX] = "", queue[ACD_ID_MAX] = "", err[128] = "";
    int priority = 0, status = 0;
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        status = tstate_error(answer, 400, "the body must be a JSON object");
    } else if (!json_object_object_get_ex(doc, "number", &v) ||
               tstate_text(v, number, sizeof(number), "number", err, sizeof(err)) < 0 ||
               !number[number[0] == '+'] ||
               strspn(number + (number[0] == '+'), "0123456789") != strlen(number) - (number[0] == '+')) {
        status = tstate_error(answer, 400, "number must be digits, optionally after +");
    } else if (json_object_object_get_ex(doc, "queue", &v) &&
               tstate_text(v, queue, sizeof(queue), "queue", err, sizeof(err)) < 0) {
        status = tstate_error(answer, 400, err);
    } else if (json_object_object_get_ex(doc, "priority", &v) &&
               (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 0 ||
                json_object_get_int(v) > 100)) {
        status = tstate_error(answer, 400, "priority must be 0..100");
    }
    int64_t now = acd__cc_now(cc), at_ms = 0;
    if (!status && json_object_object_get_ex(doc, "at_ms", &v)) {
        at_ms = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
        if (at_ms <= now || at_ms > now + 31LL * 24 * 3600 * 1000)
            status = tstate_error(answer, 400, "at_ms must be a time in the next 31 days");
    }
    if (!status && json_object_object_get_ex(doc, "priority", &v))
        priority = json_object_get_int(v);
    json_object_put(doc);
    if (status)
        return status;
    char id[ACD_ID_MAX] = "";
    int rc = acd__outcall_schedule(cc, tc->name, number, queue[0] ? queue : NULL, priority,
                                   at_ms, id, sizeof(id));
    if (rc == ACD_ECONFIG)
        return tstate_error(answer, 409, "the tenant has no outbound trunk (callback.trunk)");
    if (rc < 0)
        return tstate_error(answer, 409, "the queue refused the call");
    json_object_object_add(answer, "call", json_object_new_string(id));
    return 202;
}

int acd__tstate_api(acd_callctl_t *cc, const char *method, const char *rest, const char *body,
                    size_t len, json_object *answer)
{
    int64_t now = acd__cc_now(cc);
    if (!*rest || strcmp(rest, "/") == 0) {
        if (strcmp(method, "GET") != 0)
            return tstate_error(answer, 405, "only GET lists tenants");
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < cc->cfg->n_tenants; i++)
            json_object_array_add(arr, tstate_tenant_json(cc, &cc->cfg->tenants[i], now));
        json_object_object_add(answer, "tenants", arr);
        return 200;
    }
    char name[ACD_ID_MAX], what[32] = "";
    const char *p = rest + 1, *slash = strchr(p, '/');
    size_t nl = slash ? (size_t)(slash - p) : strlen(p);
    if (nl == 0 || nl >= sizeof(name) || (slash && strlen(slash + 1) >= sizeof(what)))
        return tstate_error(answer, 404, "no such tenant");
    memcpy(name, p, nl);
    name[nl] = '\0';
    if (slash)
        snprintf(what, sizeof(what), "%s", slash + 1);
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, name);
    if (!tc)
        return tstate_error(answer, 404, "no such tenant");
    if (!what[0]) {
        if (strcmp(method, "GET") != 0)
            return tstate_error(answer, 405, "a tenant is read with GET");
        json_object_object_add(answer, "tenant", tstate_tenant_json(cc, tc, now));
        return 200;
    }
    if (strcmp(what, "voicemail") == 0) {
        if (strcmp(method, "GET") != 0)
            return tstate_error(answer, 405, "messages are read with GET");
        return acd__vm_api(cc, tc, answer);
    }
    if (strcmp(what, "outbound") == 0)
        return tstate_outbound(cc, tc, method, body, len, answer);
    bool ovr = strcmp(what, "override") == 0, ins = strcmp(what, "instructions") == 0;
    if (!ovr && !ins)
        return tstate_error(answer, 404,
                            "a tenant has /override, /instructions, /voicemail and /outbound");
    bool put = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
    if (!put && strcmp(method, "DELETE") != 0)
        return tstate_error(answer, 405, "use PUT to set, DELETE to clear");
    struct cc_tstate *cur = tstate_find(cc, name, true);
    if (!cur)
        return tstate_error(answer, 500, "out of memory");
    struct cc_tstate next = *cur;
    char err[128] = "";
    if (put) {
        json_tokener *tok = json_tokener_new();
        json_object *doc = tok && len ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
        json_tokener_free(tok);
        int rc = doc && json_object_is_type(doc, json_type_object) ? 0 : -EINVAL;
        if (rc < 0)
            snprintf(err, sizeof(err), "the body must be a JSON object");
        json_object *v = NULL;
        if (rc == 0 && ovr)
            rc = tstate_override_parse(doc, now, &next.ov, err, sizeof(err));
        if (rc == 0 && ins) {
            if (!json_object_object_get_ex(doc, "text", &v)) {
                snprintf(err, sizeof(err), "instructions need \"text\"");
                rc = -EINVAL;
            } else {
                rc = tstate_text(v, next.instructions, sizeof(next.instructions), "text", err,
                                 sizeof(err));
            }
        }
        json_object_put(doc);
        if (rc < 0)
            return tstate_error(answer, 400, err);
    } else if (ovr) {
        memset(&next.ov, 0, sizeof(next.ov));
    } else {
        next.instructions[0] = '\0';
    }
    next.updated_ms = now;
    int status = tstate_store(cc, &next);
    if (status < 0)
        return tstate_error(answer, 503, acd_strerror(status));
    acd_log_notice("ACD-TENANT-STATE-SET", "tenant=%s %s %s", name, method, what);
    json_object_object_add(answer, "tenant", tstate_tenant_json(cc, tc, now));
    return status;
}

/* ---- the status document: how each call came (the API side of X-ACD-Context) ---- */

static void tstate_call_json(acd_callctl_t *cc, json_object *o, const call_t *call)
{
    json_object_object_add(o, "mode", json_object_new_string(acd_mode_name(call->mode)));
    json_object_object_add(o, "forward_reason",
                           json_object_new_string(acd_fwd_reason_name(call->fwd.reason)));
    if (call->fwd.from[0])
        json_object_object_add(o, "diverted_from", json_object_new_string(call->fwd.from));
    json_object_object_add(o, "instructions",
                           json_object_new_string(acd__tstate_instructions(cc, call->tenant)));
    if (call->delivery[0])
        json_object_object_add(o, "delivery", json_object_new_string(call->delivery));
}

void acd__tstate_status(acd_callctl_t *cc, json_object *doc)
{
    json_object *calls = NULL;
    if (!json_object_object_get_ex(doc, "calls", &calls) ||
        !json_object_is_type(calls, json_type_array))
        return;
    size_t n = json_object_array_length(calls);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(calls, i), *id = NULL;
        if (!json_object_object_get_ex(o, "id", &id))
            continue;
        const call_t *call = acd__cc_call(cc, json_object_get_string(id));
        if (call)
            tstate_call_json(cc, o, call);
    }
    /* Calls outside the queue (menu, hours, voicemail, on-call) are not in the core's
     * list: they are listed apart, so a supervisor sees every caller on the line. */
    json_object *arr = json_object_new_array();
    acd_hmap_iter_t it;
    acd_hmap_node_t *node;
    acd_hmap_iter_init(&it, &cc->calls);
    while ((node = acd_hmap_iter_next(&it))) {
        const call_t *call = acd_container_of(node, call_t, node);
        if (call->in_core || call->ended || call->stage == STAGE_NONE)
            continue;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(call->id));
        json_object_object_add(o, "tenant", json_object_new_string(call->tenant));
        json_object_object_add(o, "did", json_object_new_string(call->did));
        json_object_object_add(o, "stage", json_object_new_string(acd__stage_name(call->stage)));
        if (call->stage == STAGE_MENU)
            json_object_object_add(o, "menu", json_object_new_string(call->ivr.menu));
        tstate_call_json(cc, o, call);
        json_object_array_add(arr, o);
    }
    json_object_object_add(doc, "answering", arr);
}
