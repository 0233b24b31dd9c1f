/* digest.c - Digest authentication: Authorization parsing, stateless nonces, MD5 checks. */
#include "sip/digest.h"

#include <ctype.h>
#include <inttypes.h>
#include <mbedtls/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

static void digest_hex(const unsigned char in[16], char out[33])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[32] = '\0';
}

/* MD5 over the parts joined with ':' into a lowercase hex string. */
static void digest_md5(char out[33], const acd_str_t *parts, int n)
{
    mbedtls_md5_context ctx;
    unsigned char sum[16];
    mbedtls_md5_init(&ctx);
    mbedtls_md5_starts_ret(&ctx);
    for (int i = 0; i < n; i++) {
        if (i)
            mbedtls_md5_update_ret(&ctx, (const unsigned char *)":", 1);
        mbedtls_md5_update_ret(&ctx, (const unsigned char *)parts[i].p, parts[i].n);
    }
    mbedtls_md5_finish_ret(&ctx, sum);
    mbedtls_md5_free(&ctx);
    digest_hex(sum, out);
}

static const char *digest_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

int acd_sip_digest_parse(acd_str_t v, acd_sip_digest_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = v.p, *end = v.p + v.n;
    p = digest_skip_ws(p, end);
    if (end - p < 7 || strncasecmp(p, "Digest", 6) != 0 || !(p[6] == ' ' || p[6] == '\t'))
        return ACD_EPARSE;
    p += 6;
    struct {
        const char *name;
        acd_str_t *dst;
    } fields[] = {{"username", &out->username}, {"realm", &out->realm},   {"nonce", &out->nonce},
                  {"uri", &out->uri},           {"response", &out->response},
                  {"algorithm", &out->algorithm}, {"qop", &out->qop},     {"nc", &out->nc},
                  {"cnonce", &out->cnonce},     {"opaque", &out->opaque}};
    while ((p = digest_skip_ws(p, end)) < end) {
        const char *k = p;
        while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            p++;
        size_t klen = (size_t)(p - k);
        p = digest_skip_ws(p, end);
        if (klen == 0 || p >= end || *p != '=')
            return ACD_EPARSE;
        p = digest_skip_ws(p + 1, end);
        acd_str_t val;
        if (p < end && *p == '"') {
            const char *s = ++p;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end)
                    p++;
                p++;
            }
            if (p >= end)
                return ACD_EPARSE;
            val = (acd_str_t){s, (size_t)(p - s)};
            p++;
        } else {
            const char *s = p;
            while (p < end && *p != ',' && *p != ' ' && *p != '\t')
                p++;
            val = (acd_str_t){s, (size_t)(p - s)};
        }
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (strlen(fields[i].name) == klen && strncasecmp(fields[i].name, k, klen) == 0)
                *fields[i].dst = val;
        p = digest_skip_ws(p, end);
        if (p < end) {
            if (*p != ',')
                return ACD_EPARSE;
            p++;
        }
    }
    if (!out->username.n || !out->nonce.n || !out->response.n || !acd_str_present(out->uri))
        return ACD_EPARSE;
    return 0;
}

int acd_sip_digest_nonce(char *buf, size_t len, uint64_t now_s, const char *secret)
{
    if (len < 48)
        return -EINVAL;
    char ts[17];
    snprintf(ts, sizeof(ts), "%016" PRIx64, now_s);
    char h[33];
    acd_str_t parts[] = {acd_str_from(ts), acd_str_from(secret)};
    digest_md5(h, parts, 2);
    snprintf(buf, len, "%s%s", ts, h);
    return 0;
}

bool acd_sip_digest_nonce_fresh(acd_str_t nonce, uint64_t now_s, const char *secret,
                                uint64_t max_age_s)
{
    if (nonce.n != 48)
        return false;
    char ts[17];
    acd_str_copy(ts, sizeof(ts), nonce);
    char expect[49];
    uint64_t t = strtoull(ts, NULL, 16);
    acd_sip_digest_nonce(expect, sizeof(expect), t, secret);
    if (memcmp(expect, nonce.p, 48) != 0)
        return false;
    return t <= now_s && now_s - t <= max_age_s;
}

bool acd_sip_digest_verify(const acd_sip_digest_t *d, const char *method, const char *password)
{
    if (acd_str_present(d->algorithm) && !acd_str_ieqc(d->algorithm, "MD5"))
        return false;
    char ha1[33], ha2[33], want[33];
    acd_str_t p1[] = {d->username, d->realm, acd_str_from(password)};
    digest_md5(ha1, p1, 3);
    acd_str_t p2[] = {acd_str_from(method), d->uri};
    digest_md5(ha2, p2, 2);
    if (acd_str_present(d->qop)) {
        if (!acd_str_ieqc(d->qop, "auth") || !d->nc.n || !d->cnonce.n)
            return false;
        acd_str_t p3[] = {acd_str_from(ha1), d->nonce, d->nc, d->cnonce, d->qop, acd_str_from(ha2)};
        digest_md5(want, p3, 6);
    } else {
        acd_str_t p3[] = {acd_str_from(ha1), d->nonce, acd_str_from(ha2)};
        digest_md5(want, p3, 3);
    }
    return d->response.n == 32 && strncasecmp(want, d->response.p, 32) == 0;
}
