/* msg_int.h - what msg_build.c and validate.c see of a parsed message beyond msg.h. */
#ifndef ACD_SIP_MSG_INT_H
#define ACD_SIP_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sip/msg.h"

/* Header table: X(id, name, compact form or NULL, list-valued). */
#define ACD__SIP_HEADERS(X)                                                                        \
    X(VIA, "Via", "v", true)                                                                       \
    X(FROM, "From", "f", false)                                                                    \
    X(TO, "To", "t", false)                                                                        \
    X(CALL_ID, "Call-ID", "i", false)                                                              \
    X(CSEQ, "CSeq", NULL, false)                                                                   \
    X(CONTACT, "Contact", "m", true)                                                               \
    X(CONTENT_LENGTH, "Content-Length", "l", false)                                                \
    X(CONTENT_TYPE, "Content-Type", "c", false)                                                    \
    X(CONTENT_ENCODING, "Content-Encoding", "e", true)                                             \
    X(SUBJECT, "Subject", "s", false)                                                              \
    X(SUPPORTED, "Supported", "k", true)                                                           \
    X(MAX_FORWARDS, "Max-Forwards", NULL, false)                                                   \
    X(EXPIRES, "Expires", NULL, false)                                                             \
    X(ROUTE, "Route", NULL, true)                                                                  \
    X(RECORD_ROUTE, "Record-Route", NULL, true)                                                    \
    X(REQUIRE, "Require", NULL, true)                                                              \
    X(PROXY_REQUIRE, "Proxy-Require", NULL, true)                                                  \
    X(UNSUPPORTED, "Unsupported", NULL, true)                                                      \
    X(ALLOW, "Allow", NULL, true)                                                                  \
    X(ACCEPT, "Accept", NULL, true)                                                                \
    X(ACCEPT_ENCODING, "Accept-Encoding", NULL, true)                                              \
    X(ACCEPT_LANGUAGE, "Accept-Language", NULL, true)                                              \
    X(AUTHORIZATION, "Authorization", NULL, false)                                                 \
    X(USER_AGENT, "User-Agent", NULL, false)                                                       \
    X(EVENT, "Event", "o", false)                                                                  \
    X(ALLOW_EVENTS, "Allow-Events", "u", true)                                                     \
    X(REFER_TO, "Refer-To", "r", false)                                                            \
    X(REFERRED_BY, "Referred-By", "b", false)                                                      \
    X(SESSION_EXPIRES, "Session-Expires", "x", false)                                              \
    X(IDENTITY, "Identity", "y", false)                                                            \
    X(WARNING, "Warning", NULL, true)

enum {
#define ACD__SIP_HDR_ENUM(id, name, compact, list) ACD__SIP_H_##id,
    ACD__SIP_HEADERS(ACD__SIP_HDR_ENUM)
#undef ACD__SIP_HDR_ENUM
        ACD__SIP_H_COUNT
};

typedef struct acd__sip_hdr_def {
    const char *name;
    const char *compact;
    bool list;
    const char *bad; /* the reason phrase when the header is malformed */
} acd__sip_hdr_def_t;

extern const acd__sip_hdr_def_t acd__sip_hdr_defs[ACD__SIP_H_COUNT];

/* The id of a header name (full or compact form, any case), or -1 for other headers. */
int acd__sip_hdr_id(acd_str_t name);

/* One header line of a parsed message. */
typedef struct acd__sip_hdr {
    acd_str_t name;
    acd_str_t value; /* unfolded and trimmed, NUL-terminated in vals */
    int id;          /* ACD__SIP_H_* or -1 */
} acd__sip_hdr_t;

typedef struct acd__sip_kept {
    struct acd__sip_kept *next;
    char data[];
} acd__sip_kept_t;

/* The private part of a message (msg.c fills it; msg_hdr.c reads it). */
struct acd__sip_msg_int {
    char *raw; /* the input, NUL-terminated */
    size_t raw_len;
    char *vals; /* header values, each followed by a NUL */
    acd__sip_hdr_t *hdrs;
    int hdr_count;
    acd_str_t version;
    size_t body_off;
    bool unterminated; /* the input ended inside the headers */
    long long content_length;
    const char *problem;
    struct osip_via *via; /* the top Via as libosip2 parsed it; m->via points into it */
    acd__sip_kept_t *kept;
};

/*
 * Like acd_sip_msg_parse(), but keeps going past problems that leave the message
 * answerable: a malformed start line, a header libosip2 rejects, a number that does not
 * fit, a missing empty line after the headers. The first such problem is remembered
 * (acd__sip_msg_problem()) and the fields it concerns are left absent. Fails with
 * ACD_EPARSE only when there is no start line at all, -ENOMEM.
 */
int acd__sip_msg_parse_lenient(acd_sip_msg_t **mp, const char *data, size_t len);

/* The first problem the lenient parse met, as a static reason phrase, or NULL. */
const char *acd__sip_msg_problem(const acd_sip_msg_t *m);

/* The version token of the start line exactly as received ("SIP/2.0"); absent if none. */
acd_str_t acd__sip_msg_version(const acd_sip_msg_t *m);

/* Bytes after the empty line that ends the headers, whatever Content-Length says. */
size_t acd__sip_msg_body_avail(const acd_sip_msg_t *m);

/* The Content-Length value, or -1 when the header is absent or unusable. */
long long acd__sip_msg_content_length(const acd_sip_msg_t *m);

/*
 * Keeps a NUL-terminated copy of n bytes at s in memory owned by m (freed with it).
 * Returns the copy, or NULL on allocation failure.
 */
const char *acd__sip_msg_keep(acd_sip_msg_t *m, const char *s, size_t n);

/*
 * Walks every value of one header in order: each header line of that name (compact
 * forms included), and for list-valued headers (Via, Contact, Route, Accept, Require ...)
 * each comma-separated element of a line. Elements are trimmed; empty ones are skipped.
 * Initialise with acd__sip_hdr_iter_init(); the iterator does not own anything.
 */
typedef struct acd__sip_hdr_iter {
    const acd_sip_msg_t *m;
    int id;         /* known header id, or -1 to match by name */
    acd_str_t name; /* the name asked for, used when id is -1 */
    int next_hdr;   /* index of the next header line to look at */
    acd_str_t rest; /* unread part of the current line (list headers only) */
    bool list;      /* the header is list-valued */
} acd__sip_hdr_iter_t;

void acd__sip_hdr_iter_init(acd__sip_hdr_iter_t *it, const acd_sip_msg_t *m, const char *name);
bool acd__sip_hdr_next(acd__sip_hdr_iter_t *it, acd_str_t *value);

/*
 * Splits the next element off a comma-separated list: commas inside quoted strings and
 * <...> do not count. *rest advances past the comma; the element is trimmed and may be
 * empty. Returns false when *rest is exhausted.
 */
bool acd__sip_list_next(acd_str_t *rest, acd_str_t *elem);

/* Trims spaces and tabs from both ends. */
acd_str_t acd__sip_trim(acd_str_t s);

/*
 * Appends the top Via value v of req, amended per RFC 3261 18.2.1 and RFC 3581 with o's
 * received and rport (an existing received= or rport is rewritten, everything else is
 * copied byte for byte). Returns 0 or -ENOMEM.
 */
int acd__sip_build_top_via(acd_buf_t *out, const acd_sip_msg_t *req, acd_str_t v,
                           const acd_sip_resp_opts_t *o);

/* Ends a message build into out begun at offset start: on failure (rc < 0) out is cut back
 * to start. Returns rc. */
int acd__sip_build_end(acd_buf_t *out, size_t start, int rc);

/* Appends our own Via header line: "Via: SIP/2.0/<transport> <host>[:port];branch=..;rport". */
int acd__sip_build_via(acd_buf_t *out, acd_str_t transport, acd_str_t host, uint16_t port,
                       acd_str_t branch);

#endif
