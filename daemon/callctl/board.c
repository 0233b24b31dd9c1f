/* board.c - what the wallboard reads of the site beyond the core: the drill under way, other sites'
 * agents. */
#include "callctl/callctl_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

/*
 * The drill under way (docs/wallboard.md, ADR 0027): one document,
 *
 *   {"name": "site-kill", "started_ms": 1796290000000, "by": "chaos/drill"}
 *
 * set with PUT /v1/drill and cleared with DELETE /v1/drill (the chaos drill does both).
 * In a cluster it lives in etcd (<prefix>/drill, member_drill.c) and every site applies
 * what the watch brings; a site alone keeps it in memory. Either way a change is applied
 * here at once, so the site that took the request answers with the new state.
 */

#define BOARD_TEXT_MAX 64

struct cc_drill {
    char name[BOARD_TEXT_MAX + 1];
    char by[BOARD_TEXT_MAX + 1];
    int64_t started_ms;
};

static json_object *board_drill_json(const struct cc_drill *d)
{
    if (!d)
        return NULL;
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "started_ms", json_object_new_int64(d->started_ms));
    json_object_object_add(o, "by", json_object_new_string(d->by));
    return o;
}

/* Copies a string member of at most BOARD_TEXT_MAX bytes of printable UTF-8 (or says why not). */
static int board_text(json_object *v, const char *what, bool required, char *out, char *err,
                      size_t errlen)
{
    out[0] = '\0';
    if (!v && !required)
        return 0;
    if (!v || !json_object_is_type(v, json_type_string))
        return acd_err_invalid(err, errlen, "%s must be a string", what);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if ((required && n == 0) || n > BOARD_TEXT_MAX)
        return acd_err_invalid(err, errlen, "%s must be 1..%d bytes", what, BOARD_TEXT_MAX);
    if (!acd_utf8_valid(s, n))
        return acd_err_invalid(err, errlen, "%s is not valid UTF-8", what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return acd_err_invalid(err, errlen, "%s has a control character", what);
    memcpy(out, s, n + 1);
    return 0;
}

/*
 * Reads {"name", "by"?, "started_ms"?} (text, len) into d; started_ms defaults to
 * default_ms, and is required when default_ms is 0 (a stored document). Any other key
 * is refused, so a typo is not silently ignored.
 */
static int board_drill_parse(const char *text, size_t len, int64_t default_ms, struct cc_drill *d,
                             char *err, size_t errlen)
{
    json_tokener *tok = json_tokener_new();
    json_object *doc = tok && len ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    json_tokener_free(tok);
    int rc = 0;
    memset(d, 0, sizeof(*d));
    d->started_ms = default_ms;
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        rc = acd_err_invalid(err, errlen, "the body must be a JSON object");
        goto out;
    }
    json_object_object_foreach(doc, key, val)
    {
        if (!strcmp(key, "name"))
            rc = board_text(val, "name", true, d->name, err, errlen);
        else if (!strcmp(key, "by"))
            rc = board_text(val, "by", false, d->by, err, errlen);
        else if (!strcmp(key, "started_ms") &&
                 (!json_object_is_type(val, json_type_int) || json_object_get_int64(val) <= 0))
            rc = acd_err_invalid(err, errlen, "started_ms must be a positive Unix time in ms");
        else if (!strcmp(key, "started_ms"))
            d->started_ms = json_object_get_int64(val);
        else
            rc = acd_err_invalid(err, errlen, "unknown member \"%.40s\" (name, by, started_ms)",
                                 key);
        if (rc < 0)
            goto out;
    }
    if (!d->name[0])
        rc = acd_err_invalid(err, errlen, "a drill needs a name");
    else if (d->started_ms <= 0)
        rc = acd_err_invalid(err, errlen, "started_ms is missing");
out:
    json_object_put(doc);
    return rc;
}

static bool board_drill_same(const struct cc_drill *a, const struct cc_drill *b)
{
    if (!a || !b)
        return a == b;
    return !strcmp(a->name, b->name) && !strcmp(a->by, b->by) && a->started_ms == b->started_ms;
}

/*
 * Makes d (NULL: none) the drill under way. The site that stored a change applies it
 * twice (at once, then from the watch): the second time changes nothing and says
 * nothing. Returns 0 or -ENOMEM (nothing changed).
 */
static int board_drill_apply(acd_callctl_t *cc, const struct cc_drill *d)
{
    if (board_drill_same(cc->drill, d))
        return 0;
    struct cc_drill *next = NULL;
    if (d) {
        next = malloc(sizeof(*next));
        if (!next)
            return -ENOMEM;
        *next = *d;
    }
    free(cc->drill);
    cc->drill = next;
    if (d)
        acd_log_notice("ACD-DRILL", "name=\"%s\" started_ms=%lld by=\"%s\"", d->name,
                       (long long)d->started_ms, d->by);
    else
        acd_log_notice("ACD-DRILL-CLEARED", "no drill under way");
    return 0;
}

void acd__board_drill_stored(void *ud, const char *text, size_t len)
{
    acd_callctl_t *cc = ud;
    struct cc_drill d;
    char err[128] = "";
    if (text && board_drill_parse(text, len, 0, &d, err, sizeof(err)) < 0) {
        acd_log_warn("ACD-DRILL-BAD", "stored drill refused (%s); keeping the one in use", err);
        return;
    }
    (void)board_drill_apply(cc, text ? &d : NULL);
}

static int board_error(json_object *answer, int status, const char *msg)
{
    json_object_object_add(answer, "error", json_object_new_string(msg));
    return status;
}

/* Applies d (NULL: none) here and, in a cluster, stores it in etcd: 202, or 200 alone. */
static int board_drill_store(acd_callctl_t *cc, const struct cc_drill *d)
{
    json_object *doc = board_drill_json(d);
    size_t len = 0;
    const char *text =
        doc ? json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &len) : NULL;
    int rc = d && !text ? -ENOMEM : board_drill_apply(cc, d);
    if (rc == 0 && cc->member)
        rc = acd_member_drill_put(cc->member, text, len, NULL, NULL);
    json_object_put(doc);
    return rc < 0 ? rc : cc->member ? 202 : 200;
}

int acd__board_drill_api(void *ud, const char *method, const char *body, size_t len,
                         json_object *answer)
{
    acd_callctl_t *cc = ud;
    int status = 200;
    if (!strcmp(method, "PUT")) {
        struct cc_drill d;
        char err[128] = "";
        if (board_drill_parse(body, len, acd__cc_now(cc), &d, err, sizeof(err)) < 0)
            return board_error(answer, 400, err);
        status = board_drill_store(cc, &d);
    } else if (!strcmp(method, "DELETE")) {
        status = board_drill_store(cc, NULL);
    } else if (strcmp(method, "GET") != 0) {
        return board_error(answer, 405, "use GET, PUT to start a drill, DELETE to end it");
    }
    if (status < 0)
        return board_error(answer, 503, acd_strerror(status));
    json_object_object_add(answer, "drill", board_drill_json(cc->drill));
    return status;
}

void acd__board_peer_agents(void *ud,
                            void (*cb)(void *cbud, const char *site, const acd_agent_view_t *v),
                            void *cbud)
{
    acd_callctl_t *cc = ud;
    acd_member_foreach_peer_agent(cc->member, cb, cbud);
}

void acd__board_fini(acd_callctl_t *cc)
{
    free(cc->drill);
    cc->drill = NULL;
}
