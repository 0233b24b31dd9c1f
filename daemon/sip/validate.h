/* validate.h - the validation layer on top of the parser: what acdd does with a message. */
#ifndef ACD_SIP_VALIDATE_H
#define ACD_SIP_VALIDATE_H

#include <stddef.h>

#include "sip/msg.h"

/* What to do with an incoming message before any transaction or dialog sees it. */
typedef enum acd_sip_verdict_kind {
    ACD_SIP_ACCEPT,  /* well-formed: process it */
    ACD_SIP_REJECT,  /* a request answered with verdict.status and nothing else */
    ACD_SIP_DROP,    /* silently discarded (garbage, bad responses, unanswerable) */
} acd_sip_verdict_kind_t;

typedef struct acd_sip_verdict {
    acd_sip_verdict_kind_t kind;
    int status;               /* for REJECT: 400, 416, 420, 415, 406, 505 ... */
    const char *reason;       /* a short explanation, also sent as the reason phrase */
    const char *extra_header; /* complete header line(s) with CRLF to add (Unsupported:, Accept:), or NULL */
} acd_sip_verdict_t;

/* The extensions (option tags) acdd supports, for Require checks: none beyond the core. */
#define ACD_SIP_SUPPORTED_EXTENSIONS ""

/*
 * Judges raw bytes as received (one datagram or one framed stream message) and parses
 * them. On ACCEPT and REJECT *mp holds the parsed message (the caller frees it), so a
 * REJECT can be answered; on DROP *mp is NULL. Never modifies anything else.
 * verdict->reason is a static string; verdict->extra_header is static or lives in *mp
 * (valid until acd_sip_msg_free()). A REJECT always has a top Via to answer to; requests
 * without one, ACKs and all bad responses are DROPs instead.
 *
 * Syntax checks the parser lets through (RFC 4475 3.1.2): Content-Length vs body,
 * negative or overflowing numbers, unbalanced quotes, unescaped spaces or angle
 * brackets in the Request-URI, whitespace before the request line, bad SIP version
 * (505), multiple values in single-valued headers, missing required headers (400),
 * method/CSeq mismatch, bad dates, bad Contact/Expires values. Then the semantic
 * checks of a UAS: unsupported Request-URI scheme (416), Require with unknown
 * extensions (420 + Unsupported), INVITE bodies that are not SDP (415 + Accept),
 * Accept that excludes SDP (406). Responses with bad status codes are dropped.
 */
void acd_sip_validate(const char *data, size_t len, acd_sip_msg_t **mp,
                      acd_sip_verdict_t *verdict);

#endif
