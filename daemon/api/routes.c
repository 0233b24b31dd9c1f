/* routes.c - the API's entity routes: agents, queues, calls, cluster, reload. */
#include "api/admin_int.h"

#define ROUTES_NOT_YET(fn)                                                                 \
    void fn(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len)             \
    {                                                                                      \
        (void)a, (void)rest, (void)rest_len;                                               \
        acd__admin_send_error(req, 404, "Not Found", "not found");                         \
    }

ROUTES_NOT_YET(acd__admin_agents)
ROUTES_NOT_YET(acd__admin_queues)
ROUTES_NOT_YET(acd__admin_calls)
ROUTES_NOT_YET(acd__admin_cluster)
ROUTES_NOT_YET(acd__admin_reload)
