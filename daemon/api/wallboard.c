/* wallboard.c - the supervisors' wallboard: its page, assets, snapshot and live stream. */
#include "api/admin_int.h"
#include "api/wallboard_int.h"

#include <stdbool.h>
#include <string.h>

/*
 * Paths under /wallboard (docs/wallboard.md):
 *   /wallboard, /wallboard/      the page (index.html)
 *   /wallboard/<file>            its script and style, compiled in (wallboard_int.h)
 *   /wallboard/snapshot          the document, JSON (what the page and tests read)
 *   /wallboard/events            the document as Server-Sent Events (wallboard_sse.c)
 * All GET. The page runs only code of its own origin (Content-Security-Policy), and
 * nothing here changes the site, so the wallboard needs no loopback check of its own.
 */

static const char *wb_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
    };
    size_t nl = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t el = strlen(types[i].ext);
        if (nl > el && strcmp(name + nl - el, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* The compiled-in file named by rest ("/app.js"), NULL when there is none. */
static const acd__wb_asset_t *wb_asset(const char *rest, size_t rest_len)
{
    if (rest_len < 2 || rest[0] != '/')
        return NULL;
    for (size_t i = 0; i < acd__wb_n_assets; i++) {
        const char *name = acd__wb_assets[i].name;
        if (strlen(name) == rest_len - 1 && memcmp(name, rest + 1, rest_len - 1) == 0)
            return &acd__wb_assets[i];
    }
    return NULL;
}

static void wb_send_asset(h2o_req_t *req, const acd__wb_asset_t *f)
{
    const char *type = wb_content_type(f->name);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = f->len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-cache"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0,
                          NULL, H2O_STRLIT("nosniff"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"), 0,
                          NULL, H2O_STRLIT("default-src 'self'; img-src 'self' data:"));
    h2o_send_inline(req, (const char *)f->data, f->len);
}

static void wb_send_snapshot(acd_admin_t *a, h2o_req_t *req)
{
    json_object *doc = acd__wb_doc(a, acd__admin_now_ms());
    acd__admin_send_json(req, 200, "OK", doc);
    json_object_put(doc);
}

static bool wb_is(const char *rest, size_t rest_len, const char *path)
{
    return rest_len == strlen(path) && memcmp(rest, path, rest_len) == 0;
}

void acd__admin_wallboard(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET"));
        acd__admin_send_error(req, 405, "Method Not Allowed", "the wallboard is read with GET");
        return;
    }
    if (wb_is(rest, rest_len, "") || wb_is(rest, rest_len, "/"))
        rest = "/index.html", rest_len = strlen(rest);
    if (wb_is(rest, rest_len, "/snapshot")) {
        wb_send_snapshot(a, req);
        return;
    }
    if (wb_is(rest, rest_len, "/events")) {
        acd__wb_events(a, req);
        return;
    }
    const acd__wb_asset_t *f = wb_asset(rest, rest_len);
    if (!f) {
        acd__admin_send_error(req, 404, "Not Found", "no such wallboard file");
        return;
    }
    wb_send_asset(req, f);
}
