/* proxy.c - stateless forwarding of SIP messages (RFC 3261 16.11): our Via pushed and popped. */
#include "sip/proxy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sip/msg_int.h"
#include "util/hmap.h"

#define PROXY_PREFIX_LEN (sizeof(ACD_SIP_RELAY_BRANCH_PREFIX) - 1)

bool acd_sip_relay_branch_is(acd_str_t branch)
{
    return branch.p && branch.n > PROXY_PREFIX_LEN &&
           memcmp(branch.p, ACD_SIP_RELAY_BRANCH_PREFIX, PROXY_PREFIX_LEN) == 0;
}

int acd_sip_relay_branch(const acd_sip_msg_t *req, char *buf, size_t len)
{
    if (!req || !buf || len < ACD_SIP_RELAY_BRANCH_SIZE)
        return -EINVAL;
    acd_str_t b = req->via.branch;
    if (b.n <= 7 || memcmp(b.p, "z9hG4bK", 7) != 0)
        return -EPROTONOSUPPORT;
    /* The same inputs as RFC 3261 17.2.3 server matching: branch and sent-by. */
    char key[512];
    int n = snprintf(key, sizeof(key), "%.*s|%.*s:%u", ACD_STR_FMT(b), ACD_STR_FMT(req->via.host),
                     (unsigned)req->via.port);
    if (n < 0)
        return -EINVAL;
    uint64_t h = acd_hash_bytes(key, (size_t)n < sizeof(key) ? (size_t)n : sizeof(key) - 1);
    snprintf(buf, len, ACD_SIP_RELAY_BRANCH_PREFIX "%016" PRIx64, h);
    return 0;
}

/*
 * Splits a Via value ("SIP/2.0/UDP host[:port];params", already judged by libosip2 when
 * the message was parsed) into its sent-by host (without IPv6 brackets) and port (0 when
 * absent). Returns false when the value has no sent-by.
 */
static bool proxy_sent_by(acd_str_t v, acd_str_t *host, uint16_t *port)
{
    const char *semi = memchr(v.p, ';', v.n);
    acd_str_t s = acd__sip_trim((acd_str_t){v.p, semi ? (size_t)(semi - v.p) : v.n});
    /* sent-protocol is three tokens joined by '/', with optional spaces around them. */
    size_t i = 0;
    for (int slashes = 0; i < s.n && slashes < 2; i++)
        slashes += s.p[i] == '/';
    while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t'))
        i++;
    while (i < s.n && s.p[i] != ' ' && s.p[i] != '\t')
        i++; /* the transport */
    acd_str_t sb = acd__sip_trim((acd_str_t){s.p + i, s.n - i});
    if (sb.n == 0)
        return false;
    const char *end = sb.p + sb.n, *colon = NULL;
    if (sb.p[0] == '[') {
        const char *close = memchr(sb.p, ']', sb.n);
        if (!close)
            return false;
        *host = (acd_str_t){sb.p + 1, (size_t)(close - sb.p - 1)};
        colon = memchr(close, ':', (size_t)(end - close));
    } else {
        colon = memchr(sb.p, ':', sb.n);
        *host = acd__sip_trim((acd_str_t){sb.p, colon ? (size_t)(colon - sb.p) : sb.n});
    }
    unsigned long p = 0;
    for (const char *c = colon ? colon + 1 : end; c < end; c++) {
        if (*c >= '0' && *c <= '9')
            p = p * 10 + (unsigned long)(*c - '0');
        else if (*c != ' ' && *c != '\t')
            return false;
        if (p > 65535)
            return false;
    }
    *port = (uint16_t)p;
    return host->n > 0;
}

bool acd_sip_msg_has_via(const acd_sip_msg_t *m, acd_str_t host, uint16_t port)
{
    if (!m || !host.n)
        return false;
    uint16_t want = port ? port : 5060;
    acd__sip_hdr_iter_t it;
    acd_str_t v, h;
    uint16_t p;
    acd__sip_hdr_iter_init(&it, m, "Via");
    while (acd__sip_hdr_next(&it, &v))
        if (proxy_sent_by(v, &h, &p) && acd_str_ieq(h, host) && (p ? p : 5060) == want)
            return true;
    return false;
}

/* What proxy_copy() changes on the way through. */
typedef struct proxy_edit {
    const acd_sip_relay_hop_t *push; /* our Via on top (requests) */
    bool pop;                        /* drop the top Via (responses) */
    int max_forwards;                /* >= 0: the Max-Forwards value to write */
} proxy_edit_t;

/* Appends every Via value of m as its own line, edited as e says. */
static int proxy_vias(acd_buf_t *out, const acd_sip_msg_t *m, const proxy_edit_t *e)
{
    int rc = 0;
    if (e->push)
        rc = acd__sip_build_via(out, e->push->transport, e->push->host, e->push->port,
                                e->push->branch);
    acd__sip_hdr_iter_t it;
    acd_str_t v;
    bool top = true;
    acd__sip_hdr_iter_init(&it, m, "Via");
    while (rc == 0 && acd__sip_hdr_next(&it, &v)) {
        if (!(top && e->pop)) {
            rc = acd_buf_append_str(out, ACD_STR("Via: "));
            if (rc == 0 && top && e->push)
                rc = acd__sip_build_top_via(out, m, v, &e->push->via_params);
            else if (rc == 0)
                rc = acd_buf_append_str(out, v);
            rc = rc ? rc : acd_buf_append_str(out, ACD_STR("\r\n"));
        }
        top = false;
    }
    return rc;
}

/* Appends m edited as e says: start line, headers in order, the empty line, the body. */
static int proxy_copy(acd_buf_t *out, const acd_sip_msg_t *m, const proxy_edit_t *e)
{
    const struct acd__sip_msg_int *pi = m->priv;
    acd_str_t ver = acd__sip_msg_version(m);
    if (!ver.n)
        ver = ACD_STR("SIP/2.0");
    size_t start = out->n;
    int rc = m->is_request ? acd_buf_printf(out, "%.*s %.*s %.*s\r\n", ACD_STR_FMT(m->method_name),
                                            ACD_STR_FMT(m->ruri.raw), ACD_STR_FMT(ver))
                           : acd_buf_printf(out, "%.*s %03d %.*s\r\n", ACD_STR_FMT(ver), m->status,
                                            ACD_STR_FMT(m->reason));
    bool vias = false, mf = false;
    for (int i = 0; rc == 0 && i < pi->hdr_count; i++) {
        const acd__sip_hdr_t *h = &pi->hdrs[i];
        if (h->id == ACD__SIP_H_VIA) {
            /* All Vias go where the first Via line was, one value per line. */
            if (!vias)
                rc = proxy_vias(out, m, e);
            vias = true;
        } else if (h->id == ACD__SIP_H_MAX_FORWARDS && e->max_forwards >= 0) {
            if (!mf)
                rc = acd_buf_printf(out, "Max-Forwards: %d\r\n", e->max_forwards);
            mf = true;
        } else {
            rc = acd_buf_printf(out, "%.*s: %.*s\r\n", ACD_STR_FMT(h->name), ACD_STR_FMT(h->value));
        }
    }
    if (rc == 0 && !mf && e->max_forwards >= 0)
        rc = acd_buf_printf(out, "Max-Forwards: %d\r\n", e->max_forwards);
    rc = rc ? rc : acd_buf_append_str(out, ACD_STR("\r\n"));
    if (rc == 0 && m->body.n)
        rc = acd_buf_append_str(out, m->body);
    return acd__sip_build_end(out, start, rc);
}

int acd_sip_relay_request_build(acd_buf_t *out, const acd_sip_msg_t *req,
                                const acd_sip_relay_hop_t *hop)
{
    if (!out || !req || !hop || !req->is_request || req->via_count < 1 || req->max_forwards == 0 ||
        !hop->transport.n || !hop->host.n || !acd_sip_relay_branch_is(hop->branch))
        return -EINVAL;
    proxy_edit_t e = {.push = hop,
                      .max_forwards = req->max_forwards > 0 ? req->max_forwards - 1 : 70};
    return proxy_copy(out, req, &e);
}

int acd_sip_relay_response_build(acd_buf_t *out, const acd_sip_msg_t *resp)
{
    if (!out || !resp || resp->is_request || resp->via_count < 2)
        return -EINVAL;
    proxy_edit_t e = {.pop = true, .max_forwards = -1};
    return proxy_copy(out, resp, &e);
}
