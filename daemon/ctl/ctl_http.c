/* ctl_http.c - acdctl's one HTTP request to acdd's admin endpoint, over libcurl. */
#include "ctl/ctl_http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "util/err.h"

/* "127.0.0.1:8080", "[::1]:8080": how the endpoint is shown to people and put in URLs. */
void acd__ctl_endpoint_str(const acd__ctl_endpoint_t *ep, char *buf, size_t len)
{
    bool v6 = strchr(ep->host, ':') != NULL;
    snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", ep->host, v6 ? "]" : "", ep->port);
}

/* The one place libcurl's codes become ours: "not reachable" errnos, or ACD_EPROTO. */
static int ctl_curl_err(CURLcode c)
{
    switch (c) {
    case CURLE_OK:
        return 0;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_COULDNT_RESOLVE_HOST:
        return -EHOSTUNREACH;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return -ECONNRESET;
    default:
        return ACD_EPROTO;
    }
}

static size_t ctl_on_body(char *data, size_t size, size_t n, void *ud)
{
    return acd_buf_append(ud, data, size * n) == 0 ? size * n : 0;
}

int acd__ctl_http(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                  const char *req_body, acd_buf_t *body, long *status, char *errbuf)
{
    char where[CTL_HOST_MAX + 16], url[CTL_HOST_MAX + 64];
    CURL *h = curl_easy_init();
    int rc;

    errbuf[0] = '\0';
    if (!h) {
        snprintf(errbuf, CURL_ERROR_SIZE, "cannot create a curl handle");
        return -ENOMEM;
    }
    acd__ctl_endpoint_str(ep, where, sizeof(where));
    snprintf(url, sizeof(url), "http://%s%s", where, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through an http_proxy from the environment */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CTL_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CTL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "acdctl");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ctl_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    struct curl_slist *hdrs = NULL;
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req_body ? req_body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(req_body ? strlen(req_body) : 0));
        if (req_body)
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    }
    if (ep->token[0]) {
        char auth[CTL_TOKEN_MAX + 32];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ep->token);
        hdrs = curl_slist_append(hdrs, auth);
        explicit_bzero(auth, sizeof(auth));
    }
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CURLcode c = curl_easy_perform(h);
    rc = ctl_curl_err(c);
    if (rc == 0)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    else if (!errbuf[0])
        snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(c));
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return rc;
}

/* The exit code of an HTTP status acdd answered with (CTL_EXIT_*). */
static int ctl_status_exit(long status)
{
    if (status >= 200 && status < 300)
        return CTL_EXIT_OK;
    if (status == 401)
        return CTL_EXIT_UNAUTHORIZED;
    if (status == 404)
        return CTL_EXIT_NOT_FOUND;
    if (status >= 400 && status < 500)
        return CTL_EXIT_REFUSED;
    return CTL_EXIT_BAD_RESPONSE;
}

int acd__ctl_ask(const acd__ctl_endpoint_t *ep, const char *method, const char *path,
                 json_object *req, json_object **docp, long *statusp)
{
    char errbuf[CURL_ERROR_SIZE], where[CTL_HOST_MAX + 16];
    acd_buf_t body = {0};
    long status = 0;
    const char *text = req ? json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN) : NULL;
    int rc = acd__ctl_http(ep, method, path, text, &body, &status, errbuf);

    *docp = NULL;
    if (statusp)
        *statusp = status;
    acd__ctl_endpoint_str(ep, where, sizeof(where));
    if (rc) {
        bool bad = rc == -ENOMEM || rc == ACD_EPROTO;
        fprintf(stderr, "acdctl: %s acdd at %s: %s\n", bad ? "bad response from" : "cannot reach",
                where, errbuf);
        acd_buf_fini(&body);
        return bad ? CTL_EXIT_BAD_RESPONSE : CTL_EXIT_UNREACHABLE;
    }
    json_object *doc = body.p ? json_tokener_parse(body.p) : NULL;
    int code = ctl_status_exit(status);
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        fprintf(stderr,
                "acdctl: acdd at %s answered %s %s with HTTP %ld and no JSON object: %.200s\n",
                where, method, path, status, body.p ? body.p : "");
        code = CTL_EXIT_BAD_RESPONSE;
    } else if (code != CTL_EXIT_OK) {
        json_object *err = NULL;
        json_object_object_get_ex(doc, "error", &err);
        fprintf(stderr, "acdctl: acdd at %s refused %s %s (HTTP %ld): %s\n", where, method, path,
                status, err ? json_object_get_string(err) : "no reason given");
        if (code == CTL_EXIT_UNAUTHORIZED)
            fprintf(stderr, "acdctl: give the token with --token-file FILE, ACDCTL_TOKEN or "
                            "--config (admin.token_file)\n");
    } else {
        *docp = doc;
        doc = NULL;
    }
    json_object_put(doc);
    acd_buf_fini(&body);
    return code;
}

void acd__ctl_print_json(json_object *doc)
{
    puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
}
