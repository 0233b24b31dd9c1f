/* etcd_int.h - internals shared by the etcd client's files: the client, requests, JSON help. */
#ifndef ACD_CLUSTER_ETCD_INT_H
#define ACD_CLUSTER_ETCD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <uv.h>

#include "cluster/etcd.h"
#include "util/buf.h"
#include "util/list.h"

#define ACD__ETCD_MAX_ENDPOINTS 16
/* timeout_ms of a request that may wait as long as it likes (streams, campaign). */
#define ACD__ETCD_NO_TIMEOUT UINT32_MAX

/*
 * Something with loop handles that lives on a client (keeper, watch, campaign, observe).
 * It is linked in acd_etcd_t.owners while running; acd_etcd_close() unlinks each owner
 * and calls stop, which must cancel its requests without callbacks and close its
 * handles, each close callback ending in acd__etcd_handle_closed().
 */
typedef struct acd__etcd_owner {
    acd_list_t node;
    void (*stop)(struct acd__etcd_owner *o);
} acd__etcd_owner_t;

struct acd_etcd {
    uv_loop_t *loop;
    CURLM *multi;     /* NULL once cleaned up (in the timer's close callback) */
    uv_timer_t timer; /* curl's one timer */
    struct curl_slist *headers;
    char *endpoints[ACD__ETCD_MAX_ENDPOINTS];
    size_t n_endpoints;
    size_t ep_cur; /* the endpoint new attempts go to */
    unsigned timeout_ms;
    acd_list_t reqs;    /* acd__etcd_req_t.node: every request not yet freed */
    acd_list_t pending; /* acd__etcd_req_t.pending: streams with unparsed bytes */
    acd_list_t socks;   /* sockets polled for curl */
    acd_list_t owners;  /* acd__etcd_owner_t.node */
    unsigned handles;   /* loop handles of the client and its owners not yet closed */
    bool closing;
    acd_etcd_close_cb close_cb;
    void *close_ud;
};

typedef struct acd__etcd_req acd__etcd_req_t;

/*
 * Called once when a request ends, unless it was cancelled. err is 0 or the translated
 * error; body is the answer's JSON object (a "result" wrapper removed), borrowed for the
 * call, NULL on error and for streams. r is freed right after the call returns.
 */
typedef void (*acd__etcd_done_fn)(acd__etcd_req_t *r, int err, json_object *body, void *ud);

/* Called for each JSON object of a streaming answer ("result" unwrapped), borrowed. */
typedef void (*acd__etcd_obj_fn)(acd__etcd_req_t *r, json_object *obj, void *ud);

struct acd__etcd_req {
    acd_list_t node;
    acd_list_t pending;
    acd_etcd_t *e;
    CURL *easy;
    const char *path; /* static, e.g. "/v3/kv/put" */
    char *body;       /* the JSON sent; owned */
    size_t body_len;
    acd_buf_t in;         /* bytes received and not yet parsed */
    json_tokener *tok;    /* streams only */
    json_object *err_obj; /* a stream's error object, if it sent one */
    unsigned timeout_ms;
    bool stream;
    bool no_retry;
    bool in_multi;
    bool cancelled;
    int busy; /* > 0 while a callback of this request runs */
    int attempts;
    int write_err;
    size_t ep; /* the endpoint of the current attempt */
    acd__etcd_done_fn done;
    acd__etcd_obj_fn obj;
    void *ud;
    acd_etcd_cb cb; /* the caller's callback, for the result helpers */
    void *cb_ud;
    char url[512];
    char errbuf[CURL_ERROR_SIZE];
};

/* What to send and whom to tell. body is consumed by acd__etcd_req_start, always. */
typedef struct acd__etcd_call {
    const char *path;
    json_object *body;
    unsigned timeout_ms; /* per attempt; 0 = the client's; ACD__ETCD_NO_TIMEOUT */
    bool stream;         /* deliver objects as they arrive; never retried */
    bool no_retry;
    acd__etcd_done_fn done;
    acd__etcd_obj_fn obj;
    void *ud;
    acd_etcd_cb cb;
    void *cb_ud;
} acd__etcd_call_t;

/*
 * Starts a request on the current endpoint. *rp (may be NULL) is written on success; the
 * request stays owned by the client. Returns 0, ACD_ESTATE when the client is closing,
 * -ENOMEM, ACD_ELIB.
 */
int acd__etcd_req_start(acd_etcd_t *e, const acd__etcd_call_t *call, acd__etcd_req_t **rp);

/* Cancels a request: no more callbacks; freed now or, inside its own callback, after it. */
void acd__etcd_req_cancel(acd__etcd_req_t *r);

/* Moves new attempts past endpoint ep when ep is still the current one (logs once). */
void acd__etcd_failover(acd_etcd_t *e, size_t ep);

/* True for errors that another endpoint or a later attempt may not see. */
bool acd__etcd_retryable(int err);

/* Counts one closed loop handle of the client or an owner; frees the closed client. */
void acd__etcd_handle_closed(acd_etcd_t *e);

/* Links an owner into the client (owner->stop set by the caller). */
void acd__etcd_owner_add(acd_etcd_t *e, acd__etcd_owner_t *o);

/*
 * The one translation of libcurl (easy code, multi code), HTTP status and the gateway's
 * error objects ({"error","code","message"} or a stream's {"error":{"grpc_code",...}})
 * into 0 or a negative code. body may be NULL (unparsable or absent).
 */
int acd__etcd_error(int curl_code, int curlm_code, long http_status, json_object *body);

/* ---- JSON and base64 (etcd_kv.c) ---- */

/* Adds field: base64 of s / the decimal string of v / the string s. 0 or -ENOMEM. */
int acd__etcd_add_b64(json_object *o, const char *field, acd_str_t s);
int acd__etcd_add_i64(json_object *o, const char *field, int64_t v);

/* Adds "key" and, when the selection has one, "range_end" for keys. 0, -EINVAL, -ENOMEM. */
int acd__etcd_add_keys(json_object *o, const acd_etcd_keys_t *keys);

/* Reads an int64 field sent as a string or a number; absent = 0. 0 or ACD_EPROTO. */
int acd__etcd_get_i64(json_object *o, const char *field, int64_t *v);

/* Reads base64 field into a new NUL-terminated buffer *out (caller frees); absent = "". */
int acd__etcd_get_b64(json_object *o, const char *field, char **out, size_t *n);

/*
 * Decodes n kv objects into one block *kvsp (free() it; NULL when n == 0) holding the
 * kvs and their bytes. 0, ACD_EPROTO (bad base64 or numbers), -ENOMEM.
 */
int acd__etcd_kvs_decode(json_object *const *objs, size_t n, acd_etcd_kv_t **kvsp);

/*
 * Fills res from an answer: header.revision, succeeded, count, deleted, ID, TTL and the
 * kvs of "kvs", "kv" and a txn's range responses (*mem holds them: free() it).
 */
int acd__etcd_result_parse(json_object *body, acd_etcd_result_t *res, acd_etcd_kv_t **mem);

/* A done function that parses the answer and hands it to r->cb (if any). */
void acd__etcd_result_done(acd__etcd_req_t *r, int err, json_object *body, void *ud);

/* Starts a request whose answer goes to cb through acd__etcd_result_done. */
int acd__etcd_unary(acd_etcd_t *e, const char *path, json_object *body, acd_etcd_cb cb, void *ud);

#endif
