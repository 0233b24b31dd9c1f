/* etcd_kv.c - etcd key-value calls (put, range, delete, txn) and the gateway's JSON forms. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "cluster/etcd.h"
#include "cluster/etcd_int.h"
#include "util/err.h"

/* ---- JSON and base64 helpers ---- */

static int etcd_add(json_object *o, const char *field, json_object *v)
{
    if (!v)
        return -ENOMEM;
    if (json_object_object_add(o, field, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

int acd__etcd_add_b64(json_object *o, const char *field, acd_str_t s)
{
    size_t cap = 4 * ((s.n + 2) / 3) + 1, olen = 0;
    unsigned char *dst = malloc(cap);
    int err;

    if (!dst)
        return -ENOMEM;
    /* mbedtls cannot fail here: the buffer is exactly large enough. */
    if (mbedtls_base64_encode(dst, cap, &olen, (const unsigned char *)(s.p ? s.p : ""), s.n) != 0)
        olen = 0;
    err = etcd_add(o, field, json_object_new_string_len((const char *)dst, (int)olen));
    free(dst);
    return err;
}

int acd__etcd_add_i64(json_object *o, const char *field, int64_t v)
{
    char num[24];

    /* 64-bit numbers travel as strings, as the gateway itself sends them. */
    snprintf(num, sizeof(num), "%" PRId64, v);
    return etcd_add(o, field, json_object_new_string(num));
}

/* The first key after every key starting with prefix; "\0" (all keys) when none exists. */
static size_t etcd_prefix_end(acd_str_t prefix, char *out)
{
    size_t n = prefix.n;

    memcpy(out, prefix.p ? prefix.p : "", n);
    while (n > 0) {
        if ((unsigned char)out[n - 1] < 0xff) {
            out[n - 1]++;
            return n;
        }
        n--;
    }
    out[0] = '\0';
    return 1;
}

int acd__etcd_add_keys(json_object *o, const acd_etcd_keys_t *keys)
{
    int err;

    if (!keys || (!keys->key.p && keys->key.n))
        return -EINVAL;
    if (!keys->prefix && keys->key.n == 0)
        return -EINVAL;
    err = acd__etcd_add_b64(o, "key", keys->key.n ? keys->key : ACD_STR("\0"));
    if (err == 0 && keys->prefix) {
        char *end = malloc(keys->key.n + 1);
        if (!end)
            return -ENOMEM;
        size_t n = etcd_prefix_end(keys->key, end);
        err = acd__etcd_add_b64(o, "range_end", (acd_str_t){end, n});
        free(end);
    } else if (err == 0 && keys->range_end.p) {
        err = acd__etcd_add_b64(o, "range_end", keys->range_end);
    }
    return err;
}

int acd__etcd_get_i64(json_object *o, const char *field, int64_t *v)
{
    json_object *f;
    char *end;

    *v = 0;
    if (!o || !json_object_object_get_ex(o, field, &f))
        return 0;
    if (json_object_is_type(f, json_type_int)) {
        *v = json_object_get_int64(f);
        return 0;
    }
    if (!json_object_is_type(f, json_type_string))
        return ACD_EPROTO;
    errno = 0;
    long long n = strtoll(json_object_get_string(f), &end, 10);
    if (errno != 0 || end == json_object_get_string(f) || *end != '\0')
        return ACD_EPROTO;
    *v = n;
    return 0;
}

/* Decodes base64 src into dst (room for the decoded bytes); *n gets their count. */
static int etcd_b64_decode(json_object *src, char *dst, size_t cap, size_t *n)
{
    const char *s = json_object_get_string(src);
    size_t len = (size_t)json_object_get_string_len(src);

    *n = 0;
    if (len == 0)
        return 0;
    if (mbedtls_base64_decode((unsigned char *)dst, cap, n, (const unsigned char *)s, len) != 0)
        return ACD_EPROTO;
    return 0;
}

/* The bytes field of o would decode to at most this many bytes (0 when absent). */
static size_t etcd_b64_room(json_object *o, const char *field)
{
    json_object *f;

    if (!o || !json_object_object_get_ex(o, field, &f) || !json_object_is_type(f, json_type_string))
        return 0;
    return (size_t)json_object_get_string_len(f) / 4 * 3 + 3;
}

int acd__etcd_get_b64(json_object *o, const char *field, char **out, size_t *n)
{
    size_t cap = etcd_b64_room(o, field) + 1;
    json_object *f = NULL;
    char *p = malloc(cap);
    int err = 0;

    if (!p)
        return -ENOMEM;
    *n = 0;
    if (o && json_object_object_get_ex(o, field, &f)) {
        if (!json_object_is_type(f, json_type_string))
            err = ACD_EPROTO;
        else
            err = etcd_b64_decode(f, p, cap, n);
    }
    if (err < 0) {
        free(p);
        return err;
    }
    p[*n] = '\0';
    *out = p;
    return 0;
}

/* Decodes field of o into *at, which advances past the bytes and a NUL. */
static int etcd_kv_bytes(json_object *o, const char *field, char **at, acd_str_t *s)
{
    json_object *f;
    size_t n = 0;
    int err = 0;

    if (json_object_object_get_ex(o, field, &f)) {
        if (!json_object_is_type(f, json_type_string))
            return ACD_EPROTO;
        err = etcd_b64_decode(f, *at, etcd_b64_room(o, field), &n);
    }
    (*at)[n] = '\0';
    *s = (acd_str_t){*at, n};
    *at += n + 1;
    return err;
}

int acd__etcd_kvs_decode(json_object *const *objs, size_t n, acd_etcd_kv_t **kvsp)
{
    size_t bytes = n * sizeof(acd_etcd_kv_t);
    acd_etcd_kv_t *kvs;
    char *at;
    int err = 0;

    *kvsp = NULL;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        bytes += etcd_b64_room(objs[i], "key") + etcd_b64_room(objs[i], "value") + 2;
    kvs = calloc(1, bytes);
    if (!kvs)
        return -ENOMEM;
    at = (char *)(kvs + n);
    for (size_t i = 0; i < n && err == 0; i++) {
        json_object *o = objs[i];
        acd_etcd_kv_t *kv = &kvs[i];

        if (!json_object_is_type(o, json_type_object)) {
            err = ACD_EPROTO;
            break;
        }
        err = etcd_kv_bytes(o, "key", &at, &kv->key);
        if (err == 0)
            err = etcd_kv_bytes(o, "value", &at, &kv->value);
        if (err == 0)
            err = acd__etcd_get_i64(o, "create_revision", &kv->create_revision);
        if (err == 0)
            err = acd__etcd_get_i64(o, "mod_revision", &kv->mod_revision);
        if (err == 0)
            err = acd__etcd_get_i64(o, "version", &kv->version);
        if (err == 0)
            err = acd__etcd_get_i64(o, "lease", &kv->lease);
    }
    if (err < 0) {
        free(kvs);
        return err;
    }
    *kvsp = kvs;
    return 0;
}

/* Appends obj to *list of *n (room *cap); list only borrows it. */
static int etcd_push(json_object *obj, json_object ***list, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        json_object **nl = realloc(*list, ncap * sizeof(*nl));
        if (!nl)
            return -ENOMEM;
        *list = nl;
        *cap = ncap;
    }
    (*list)[(*n)++] = obj;
    return 0;
}

/* Appends the kv objects of array arr (absent = none) to *list. */
static int etcd_collect(json_object *arr, json_object ***list, size_t *n, size_t *cap)
{
    int err = 0;

    if (!arr)
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return ACD_EPROTO;
    for (size_t i = 0; i < json_object_array_length(arr) && err == 0; i++)
        err = etcd_push(json_object_array_get_idx(arr, i), list, n, cap);
    return err;
}

static json_object *etcd_get(json_object *o, const char *field)
{
    json_object *f = NULL;

    return o && json_object_object_get_ex(o, field, &f) ? f : NULL;
}

int acd__etcd_result_parse(json_object *body, acd_etcd_result_t *res, acd_etcd_kv_t **mem)
{
    json_object **list = NULL, *single, *resps;
    size_t n = 0, cap = 0;
    int err;

    *mem = NULL;
    memset(res, 0, sizeof(*res));
    err = acd__etcd_get_i64(etcd_get(body, "header"), "revision", &res->revision);
    if (err == 0)
        err = acd__etcd_get_i64(body, "count", &res->count);
    if (err == 0)
        err = acd__etcd_get_i64(body, "deleted", &res->deleted);
    if (err == 0)
        err = acd__etcd_get_i64(body, "ID", &res->lease);
    if (err == 0)
        err = acd__etcd_get_i64(body, "TTL", &res->ttl);
    res->succeeded = json_object_get_boolean(etcd_get(body, "succeeded"));
    if (err == 0)
        err = etcd_collect(etcd_get(body, "kvs"), &list, &n, &cap);
    single = etcd_get(body, "kv");
    if (err == 0 && single)
        err = etcd_push(single, &list, &n, &cap);
    resps = etcd_get(body, "responses");
    if (err == 0 && resps && json_object_is_type(resps, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(resps) && err == 0; i++) {
            json_object *rr = etcd_get(json_object_array_get_idx(resps, i), "response_range");
            err = etcd_collect(etcd_get(rr, "kvs"), &list, &n, &cap);
        }
    }
    if (err == 0)
        err = acd__etcd_kvs_decode(list, n, mem);
    free(list);
    if (err < 0) {
        memset(res, 0, sizeof(*res));
        res->err = err;
        return err;
    }
    res->kvs = *mem;
    res->n_kvs = n;
    return 0;
}

void acd__etcd_result_done(acd__etcd_req_t *r, int err, json_object *body, void *ud)
{
    acd_etcd_result_t res = {.err = err};
    acd_etcd_kv_t *mem = NULL;

    (void)ud;
    if (!r->cb)
        return;
    if (err == 0)
        acd__etcd_result_parse(body, &res, &mem);
    r->cb(r->e, &res, r->cb_ud);
    free(mem);
}

int acd__etcd_unary(acd_etcd_t *e, const char *path, json_object *body, acd_etcd_cb cb, void *ud)
{
    acd__etcd_call_t call = {
        .path = path,
        .body = body,
        .done = acd__etcd_result_done,
        .cb = cb,
        .cb_ud = ud,
    };

    return acd__etcd_req_start(e, &call, NULL);
}

/* ---- KV calls ---- */

/* Fills a PUT request object. */
static int etcd_put_fields(json_object *o, acd_str_t key, acd_str_t value, int64_t lease)
{
    int err;

    if (key.n == 0 || !key.p || (!value.p && value.n))
        return -EINVAL;
    err = acd__etcd_add_b64(o, "key", key);
    if (err == 0)
        err = acd__etcd_add_b64(o, "value", value);
    if (err == 0 && lease)
        err = acd__etcd_add_i64(o, "lease", lease);
    return err;
}

/* Sends body (or frees it and returns err when building it failed). */
static int etcd_send(acd_etcd_t *e, const char *path, json_object *body, int err, acd_etcd_cb cb,
                     void *ud)
{
    if (!body)
        return -ENOMEM;
    if (err < 0) {
        json_object_put(body);
        return err;
    }
    return acd__etcd_unary(e, path, body, cb, ud);
}

int acd_etcd_put(acd_etcd_t *e, acd_str_t key, acd_str_t value, int64_t lease, acd_etcd_cb cb,
                 void *ud)
{
    json_object *o;

    if (!e)
        return -EINVAL;
    o = json_object_new_object();
    return etcd_send(e, "/v3/kv/put", o, o ? etcd_put_fields(o, key, value, lease) : 0, cb, ud);
}

int acd_etcd_range(acd_etcd_t *e, const acd_etcd_keys_t *keys, acd_etcd_cb cb, void *ud)
{
    json_object *o;

    if (!e || !cb)
        return -EINVAL;
    o = json_object_new_object();
    return etcd_send(e, "/v3/kv/range", o, o ? acd__etcd_add_keys(o, keys) : 0, cb, ud);
}

int acd_etcd_delete_range(acd_etcd_t *e, const acd_etcd_keys_t *keys, acd_etcd_cb cb, void *ud)
{
    json_object *o;

    if (!e)
        return -EINVAL;
    o = json_object_new_object();
    return etcd_send(e, "/v3/kv/deleterange", o, o ? acd__etcd_add_keys(o, keys) : 0, cb, ud);
}

static const char *const etcd_targets[] = {
    [ACD_ETCD_CMP_CREATE] = "CREATE",   [ACD_ETCD_CMP_MOD] = "MOD",
    [ACD_ETCD_CMP_VERSION] = "VERSION", [ACD_ETCD_CMP_VALUE] = "VALUE",
    [ACD_ETCD_CMP_LEASE] = "LEASE",
};
/* The JSON field holding the compared number or value, by target. */
static const char *const etcd_target_fields[] = {
    [ACD_ETCD_CMP_CREATE] = "create_revision",
    [ACD_ETCD_CMP_MOD] = "mod_revision",
    [ACD_ETCD_CMP_VERSION] = "version",
    [ACD_ETCD_CMP_VALUE] = "value",
    [ACD_ETCD_CMP_LEASE] = "lease",
};
static const char *const etcd_relations[] = {
    [ACD_ETCD_EQUAL] = "EQUAL",
    [ACD_ETCD_NOT_EQUAL] = "NOT_EQUAL",
    [ACD_ETCD_GREATER] = "GREATER",
    [ACD_ETCD_LESS] = "LESS",
};

static json_object *etcd_cmp_json(const acd_etcd_cmp_t *c, int *err)
{
    json_object *o = json_object_new_object();

    *err = o ? 0 : -ENOMEM;
    if (*err == 0 && ((unsigned)c->target > ACD_ETCD_CMP_LEASE ||
                      (unsigned)c->relation > ACD_ETCD_LESS || !c->key.p || c->key.n == 0))
        *err = -EINVAL;
    if (*err == 0)
        *err = acd__etcd_add_b64(o, "key", c->key);
    if (*err == 0)
        *err = etcd_add(o, "target", json_object_new_string(etcd_targets[c->target]));
    if (*err == 0)
        *err = etcd_add(o, "result", json_object_new_string(etcd_relations[c->relation]));
    if (*err == 0 && c->target == ACD_ETCD_CMP_VALUE)
        *err = acd__etcd_add_b64(o, "value", c->value);
    else if (*err == 0)
        *err = acd__etcd_add_i64(o, etcd_target_fields[c->target], c->number);
    return o;
}

static json_object *etcd_op_json(const acd_etcd_op_t *op, int *err)
{
    json_object *o = json_object_new_object(), *req = json_object_new_object();
    const char *kind = NULL;

    *err = o && req ? 0 : -ENOMEM;
    switch (op->type) {
    case ACD_ETCD_OP_PUT:
        kind = "request_put";
        if (*err == 0)
            *err = etcd_put_fields(req, op->keys.key, op->value, op->lease);
        break;
    case ACD_ETCD_OP_DELETE:
        kind = "request_delete_range";
        if (*err == 0)
            *err = acd__etcd_add_keys(req, &op->keys);
        break;
    case ACD_ETCD_OP_RANGE:
        kind = "request_range";
        if (*err == 0)
            *err = acd__etcd_add_keys(req, &op->keys);
        break;
    default:
        if (*err == 0)
            *err = -EINVAL;
        break;
    }
    if (*err == 0) {
        *err = etcd_add(o, kind, req);
        req = NULL;
    }
    json_object_put(req);
    return o;
}

/* Adds array field of n items built by one of the two builders above. */
static int etcd_add_list(json_object *o, const char *field, const void *items, size_t n,
                         size_t size, json_object *(*build)(const void *, int *))
{
    json_object *arr;
    int err = 0;

    if (n == 0)
        return 0;
    if (!items)
        return -EINVAL;
    arr = json_object_new_array();
    if (!arr)
        return -ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++) {
        json_object *it = build((const char *)items + i * size, &err);
        if (err == 0 && json_object_array_add(arr, it) != 0)
            err = -ENOMEM;
        if (err < 0)
            json_object_put(it);
    }
    if (err == 0)
        return etcd_add(o, field, arr);
    json_object_put(arr);
    return err;
}

static json_object *etcd_cmp_build(const void *p, int *err)
{
    return etcd_cmp_json(p, err);
}

static json_object *etcd_op_build(const void *p, int *err)
{
    return etcd_op_json(p, err);
}

int acd_etcd_txn(acd_etcd_t *e, const acd_etcd_txn_t *txn, acd_etcd_cb cb, void *ud)
{
    json_object *o;
    int err;

    if (!e || !txn)
        return -EINVAL;
    o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    err = etcd_add_list(o, "compare", txn->cmp, txn->n_cmp, sizeof(*txn->cmp), etcd_cmp_build);
    if (err == 0)
        err = etcd_add_list(o, "success", txn->success, txn->n_success, sizeof(*txn->success),
                            etcd_op_build);
    if (err == 0)
        err = etcd_add_list(o, "failure", txn->failure, txn->n_failure, sizeof(*txn->failure),
                            etcd_op_build);
    return etcd_send(e, "/v3/kv/txn", o, err, cb, ud);
}
