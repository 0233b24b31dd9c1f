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
        if (req_body) {
            hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        }
    }
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

