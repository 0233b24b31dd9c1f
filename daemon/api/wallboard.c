/* wallboard.c - the supervisors' wallboard: its page, assets and live stream. */
#include "api/admin_int.h"

void acd__admin_wallboard(acd_admin_t *a, h2o_req_t *req, const char *rest, size_t rest_len)
{
    (void)a, (void)rest, (void)rest_len;
    acd__admin_send_error(req, 404, "Not Found", "not found");
}
