/* digest.h - HTTP Digest authentication for SIP (RFC 2617 / RFC 3261 22.4), MD5, qop=auth. */
#ifndef ACD_SIP_DIGEST_H
#define ACD_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

/* The parameters of one Authorization: Digest ... header, as slices into it. */
typedef struct acd_sip_digest {
    acd_str_t username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
} acd_sip_digest_t;

/*
 * Parses an Authorization value. Returns 0, or ACD_EPARSE when the scheme is not Digest
 * or the parameter list is malformed (then the request is treated as carrying no
 * credentials).
 */
int acd_sip_digest_parse(acd_str_t value, acd_sip_digest_t *out);

/*
 * Writes a nonce for time now_s (seconds) into buf (at least 48 bytes): the time in hex
 * and an MD5 over it and a secret, so nonces need no state. Returns 0 or -EINVAL.
 */
int acd_sip_digest_nonce(char *buf, size_t len, uint64_t now_s, const char *secret);

/* True when nonce was made with secret and is at most max_age_s old at now_s. */
bool acd_sip_digest_nonce_fresh(acd_str_t nonce, uint64_t now_s, const char *secret,
                                uint64_t max_age_s);

/*
 * True when d answers the challenge for method with password (MD5, with or without
 * qop=auth). Only the response is checked here: the caller checks username, realm and
 * nonce freshness.
 */
bool acd_sip_digest_verify(const acd_sip_digest_t *d, const char *method, const char *password);

#endif
