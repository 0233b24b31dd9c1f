/* drill.c - /v1/drill: the failover drill under way, set by the drill scripts, shown on the
 * wallboard. */
#include "api/admin_int.h"

#include <string.h>

/*
 * GET reads the drill (null when none), PUT {"name", "by"?} starts one, DELETE ends it
 * (docs/wallboard.md). The endpoint checks the path and who may change; the body is
 * checked by the site (ops.drill), which owns the drill's storage (etcd in a cluster).
 */
void acd__admin_drill(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len)
{
    char method[8];
    if (!a->ops.drill || (rest_len > 0 && !(rest_len == 1 && rest[0] == '/'))) {
        acd__admin_send_error(req, 404, "Not Found", "not found");
        return;
    }
    bool get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    bool change = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")) ||
                  h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE"));
    if (!get && !change) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, PUT, DELETE"));
        acd__admin_send_error(req, 405, "Method Not Allowed", "use GET, PUT or DELETE");
        return;
    }
    if (change && !acd__admin_may_change(req))
        return;
    memcpy(method, req->method.base, req->method.len);
    method[req->method.len] = '\0';
    json_object *doc = json_object_new_object();
    if (!doc) {
        acd__admin_send_error(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    int status = a->ops.drill(a->ud, method, req->entity.base, req->entity.len, doc);
    acd__admin_answer(req, status, doc);
    json_object_put(doc);
}
