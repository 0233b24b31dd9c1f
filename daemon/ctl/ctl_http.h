/* ctl_http.h - acdctl's way to acdd's admin endpoint: where it is, one request, exit codes. */
#ifndef ACD_CTL_CTL_HTTP_H
#define ACD_CTL_CTL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Exit codes of the admin commands: scripts rely on them (see the usage texts; config
 * has its own). */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_USAGE = 1,       /* bad arguments, unreadable config */
    CTL_EXIT_UNREACHABLE = 2, /* acdd does not answer at the address */
    CTL_EXIT_BAD_RESPONSE = 3, /* acdd answered, but not with what we asked for */
    CTL_EXIT_REFUSED = 4      /* acdd refused the request (4xx): the message says why */
};

#define CTL_DEFAULT_HOST "127.0.0.1"
#define CTL_DEFAULT_PORT 8080
#define CTL_HOST_MAX 256
#define CTL_CONNECT_TIMEOUT_MS 2000L
#define CTL_TIMEOUT_MS 5000L

/* Where the admin endpoint is. */
typedef struct acd__ctl_endpoint {
    char host[CTL_HOST_MAX];
    uint16_t port;
} acd__ctl_endpoint_t;

/* "127.0.0.1:8080", "[::1]:8080": how the endpoint is shown to people and put in URLs. */
void acd__ctl_endpoint_str(const acd__ctl_endpoint_t *ep, char *buf, size_t len);

/*
 * Sends method ("GET", "POST", "PUT", "DELETE") for path to the endpoint, with req_body
 * (a JSON text, or NULL for none), the answer into body and *status. Returns 0 (any
 * HTTP status), or a negative errno / ACD_EPROTO with curl's own words in errbuf
 * (CURL_ERROR_SIZE bytes).
 */
int acd__ctl_http(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                  const char *req_body, acd_buf_t *body, long *status, char *errbuf);

#endif
