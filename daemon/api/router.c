/* router.c - the admin endpoint's router: path templates, methods, the bearer token. */
#include "api/admin_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

bool acd__admin_is_v1(const char *path)
{
    return strncmp(path, "/v1", 3) == 0 && (path[3] == '\0' || path[3] == '/');
}

/* True when the route exists on this endpoint now (what it needs is attached). */
bool acd__admin_route_present(const acd_admin_t *a, const acd__admin_route_t *r)
{
    switch (r->needs) {
    case ACD__ADMIN_NEEDS_CONTROL:
        return a->has_control;
    case ACD__ADMIN_NEEDS_RELOAD:
        return a->has_control && a->control.reload;
    case ACD__ADMIN_NEEDS_TENANTS:
        return a->ops.tenants != NULL;
    case ACD__ADMIN_NEEDS_AGENT:
        return a->ops.agent != NULL;
    case ACD__ADMIN_NEEDS_NOTHING:
    default:
        return true;
    }
}

/* Appends {"path", "methods": [...], "auth"} for each distinct path of routes present. */
void acd__admin_list_routes(acd_admin_t *a, json_object *arr, const acd__admin_route_t *routes,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!acd__admin_route_present(a, &routes[i]))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen =
                acd__admin_route_present(a, &routes[j]) && !strcmp(routes[j].path, routes[i].path);
        if (seen)
            continue;
        json_object *methods = json_object_new_array();
        for (size_t j = i; j < n; j++)
            if (acd__admin_route_present(a, &routes[j]) && !strcmp(routes[j].path, routes[i].path))
                json_object_array_add(methods, json_object_new_string(routes[j].method));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(routes[i].path));
        json_object_object_add(o, "methods", methods);
        json_object_object_add(o, "auth",
                               json_object_new_boolean(acd__admin_is_v1(routes[i].path)));
        json_object_array_add(arr, o);
    }
}

/*
 * Matches path[0..len) against a template; fills params. A "{...}" segment takes one
 * non-empty segment that fits ACD_ID_MAX; every other segment must be equal.
 */
static bool admin_match(const char *tpl, const char *path, size_t len, acd__admin_params_t *params)
{
    const char *end = path + len;
    params->n = 0;
    while (*tpl && path < end) {
        if (*tpl != '/' || *path != '/')
            return false;
        tpl++, path++;
        const char *tseg_end = strchrnul(tpl, '/');
        const char *pseg_end = memchr(path, '/', (size_t)(end - path));
        if (!pseg_end)
            pseg_end = end;
        size_t tl = (size_t)(tseg_end - tpl), pl = (size_t)(pseg_end - path);
        if (tl >= 2 && tpl[0] == '{' && tpl[tl - 1] == '}') {
            if (pl == 0 || pl >= ACD_ID_MAX || params->n == ACD__ADMIN_PARAMS_MAX)
                return false;
            memcpy(params->v[params->n], path, pl);
            params->v[params->n++][pl] = '\0';
        } else if (tl != pl || memcmp(tpl, path, pl) != 0) {
            return false;
        }
        tpl = tseg_end;
        path = pseg_end;
    }
    return !*tpl && path == end;
}

bool acd__admin_dispatch(acd_admin_t *a, h2o_req_t *req, const acd__admin_route_t *routes, size_t n)
{
    acd__admin_params_t params;
    char allow[64] = "";
    bool matched = false;
    for (size_t i = 0; i < n; i++) {
        const acd__admin_route_t *r = &routes[i];
        if (!acd__admin_route_present(a, r) ||
            !admin_match(r->path, req->path_normalized.base, req->path_normalized.len, &params))
            continue;
        if (h2o_memis(req->method.base, req->method.len, r->method, strlen(r->method))) {
            r->handle(a, req, &params);
            return true;
        }
        matched = true;
        size_t used = strlen(allow);
        snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "", r->method);
    }
    if (!matched)
        return false;
    char *value = h2o_mem_alloc_pool(&req->pool, strlen(allow) + 1);
    memcpy(value, allow, strlen(allow) + 1);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, value, strlen(value));
    acd__admin_send_error(req, 405, "Method Not Allowed", "method not allowed");
    return true;
}

/* ---- authentication (docs/adr/0022-admin-token.md) ---- */

/* Equal in time that depends on the lengths only, never on where the bytes differ. */
static bool admin_token_equal(const char *want, size_t want_len, const char *got, size_t got_len)
{
    unsigned char diff = want_len != got_len;
    for (size_t i = 0; i < want_len; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < got_len ? got[i] : 0);
    return diff == 0;
}

bool acd__admin_authorized(acd_admin_t *a, h2o_req_t *req)
{
    static const char bearer[] = "bearer ";
    const h2o_iovec_t *path = &req->path_normalized;
    char p[8];
    snprintf(p, sizeof(p), "%.*s", (int)(path->len < 4 ? path->len : 4), path->base);
    if (a->token_len == 0 || !acd__admin_is_v1(p))
        return true;
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    const h2o_iovec_t *v = at >= 0 ? &req->headers.entries[at].value : NULL;
    const char *err = "this endpoint wants Authorization: Bearer <token> (admin.token_file)";
    const char *challenge = "Bearer realm=\"acdd\"";
    if (v) {
        size_t bl = sizeof(bearer) - 1;
        bool scheme = v->len > bl && h2o_lcstris(v->base, bl, bearer, bl);
        if (scheme && admin_token_equal(a->token, a->token_len, v->base + bl, v->len - bl))
            return true;
        err = scheme ? "wrong token" : "the Authorization scheme must be Bearer";
        challenge = "Bearer realm=\"acdd\", error=\"invalid_token\"";
    }
    acd_log_info("ACD-API-AUTH-REFUSED", "method=%.*s path=%.*s why=\"%s\"", (int)req->method.len,
                 req->method.base, (int)path->len, path->base, v ? "wrong token" : "no token");
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, challenge,
                   strlen(challenge));
    acd__admin_send_error(req, 401, "Unauthorized", err);
    return false;
}

int acd_admin_set_token(acd_admin_t *a, const char *token)
{
    size_t len = token ? strlen(token) : 0;
    if (!a || len > ACD_ADMIN_TOKEN_MAX)
        return -EINVAL;
    explicit_bzero(a->token, sizeof(a->token));
    memcpy(a->token, token ? token : "", len);
    a->token_len = len;
    return 0;
}
