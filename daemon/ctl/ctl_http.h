/* ctl_http.h - acdctl's way to acdd's admin endpoint: where it is, one request, exit codes. */
#ifndef ACD_CTL_CTL_HTTP_H
#define ACD_CTL_CTL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#include <json-c/json.h>

/* Exit codes of the admin commands: scripts rely on them (see the usage texts and
 * docs/api.md; config has its own). */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_USAGE = 1,        /* bad arguments, unreadable config or token file */
    CTL_EXIT_UNREACHABLE = 2,  /* acdd does not answer at the address */
    CTL_EXIT_BAD_RESPONSE = 3, /* acdd answered, but not with what we asked for (5xx ...) */
    CTL_EXIT_REFUSED = 4,      /* acdd refused the request (400, 403, 405, 409): it says why */
    CTL_EXIT_UNAUTHORIZED = 5, /* 401: no token, or the wrong one */
    CTL_EXIT_NOT_FOUND = 6     /* 404: no such agent, queue, call, tenant */
};

/* The exit codes as every admin command's --help ends with them. */
#define CTL_EXIT_TEXT                                                                              \
    "\nExit status: 0 ok, 1 usage error, 2 cannot reach acdd, 3 bad response,\n"                   \
    "4 refused (invalid request, conflict), 5 not authorized (token), 6 not found.\n"

#define CTL_DEFAULT_HOST "127.0.0.1"
#define CTL_DEFAULT_PORT 8080
#define CTL_HOST_MAX 256
#define CTL_CONNECT_TIMEOUT_MS 2000L
#define CTL_TIMEOUT_MS 5000L

#define CTL_TOKEN_MAX 256

/* Where the admin endpoint is, and the bearer token to show it ("" for none). */
typedef struct acd__ctl_endpoint {
    char host[CTL_HOST_MAX];
    uint16_t port;
    char token[CTL_TOKEN_MAX + 1];
} acd__ctl_endpoint_t;

/* "127.0.0.1:8080", "[::1]:8080": how the endpoint is shown to people and put in URLs. */
void acd__ctl_endpoint_str(const acd__ctl_endpoint_t *ep, char *buf, size_t len);

/*
 * Sends method ("GET", "POST", "PUT", "DELETE") for path to the endpoint, with req_body
 * (a JSON text, or NULL for none) and, when ep has one, `Authorization: Bearer <token>`;
 * the answer into body and *status. Returns 0 (any HTTP status), or a negative errno /
 * ACD_EPROTO with curl's own words in errbuf (CURL_ERROR_SIZE bytes).
 */
int acd__ctl_http(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                  const char *req_body, acd_buf_t *body, long *status, char *errbuf);

/*
 * One API request (req: a JSON body, or NULL) whose answer must be a JSON object: on a
 * 2xx *docp is that object (the caller puts it) and *statusp (may be NULL) the status.
 * Otherwise says on stderr what went wrong (acdd's "error" for a refusal) and *docp is
 * NULL. Returns the exit code (CTL_EXIT_*).
 */
int acd__ctl_ask(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                 json_object *req, json_object **docp, long *statusp);

/* Prints doc as acdctl's --json output: pretty, one document, a newline. */
void acd__ctl_print_json(json_object *doc);

#endif
