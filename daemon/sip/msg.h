/* msg.h - a parsed SIP message as slices; the only module that includes libosip2. */
#ifndef ACD_SIP_MSG_H
#define ACD_SIP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/str.h"

typedef enum acd_sip_method {
    ACD_SIP_UNKNOWN = 0,
    ACD_SIP_INVITE,
    ACD_SIP_ACK,
    ACD_SIP_BYE,
    ACD_SIP_CANCEL,
    ACD_SIP_OPTIONS,
    ACD_SIP_REGISTER,
    ACD_SIP_INFO,
    ACD_SIP_UPDATE,
    ACD_SIP_PRACK,
    ACD_SIP_SUBSCRIBE,
    ACD_SIP_NOTIFY,
    ACD_SIP_REFER,
    ACD_SIP_MESSAGE,
    ACD_SIP_PUBLISH,
} acd_sip_method_t;

/* Maps a method token ("INVITE") to its id; ACD_SIP_UNKNOWN for anything else. */
acd_sip_method_t acd_sip_method_from(acd_str_t token);
const char *acd_sip_method_name(acd_sip_method_t m);

/* A SIP or tel URI split into parts. All slices point into the owning message. */
typedef struct acd_sip_uri {
    acd_str_t scheme; /* "sip", "sips", "tel", ... */
    acd_str_t user;   /* unescaped? no: exactly as on the wire */
    acd_str_t host;   /* without brackets for IPv6 */
    uint16_t port;    /* 0 when absent */
    acd_str_t transport; /* value of ;transport=, absent when not given */
    acd_str_t raw;    /* the whole URI as it appeared (without < >) */
} acd_sip_uri_t;

/* The topmost Via. */
typedef struct acd_sip_via {
    acd_str_t transport; /* "UDP", "TCP" ... */
    acd_str_t host;
    uint16_t port; /* 0 when absent */
    acd_str_t branch;
    acd_str_t received;
    bool rport;       /* ;rport present (with or without a value) */
    acd_str_t raw;    /* the whole topmost Via value */
} acd_sip_via_t;

/* A name-addr header (From, To, Contact). */
typedef struct acd_sip_nameaddr {
    acd_str_t display;
    acd_sip_uri_t uri;
    acd_str_t tag;     /* ;tag= (From/To) */
    int expires;       /* ;expires= (Contact), -1 when absent */
    bool star;         /* Contact: * */
    acd_str_t raw;     /* the whole header value */
} acd_sip_nameaddr_t;

#define ACD_SIP_MAX_ROUTES 8

/*
 * A parsed message. Everything is a slice into memory owned by the message, valid until
 * acd_sip_msg_free(). Absent optional fields are ACD_STR_NULL / -1 / false.
 */
typedef struct acd_sip_msg {
    bool is_request;
    /* request line */
    acd_sip_method_t method;
    acd_str_t method_name;
    acd_sip_uri_t ruri;
    /* status line */
    int status;
    acd_str_t reason;
    /* common headers */
    acd_sip_via_t via; /* topmost */
    int via_count;
    acd_sip_nameaddr_t from, to;
    acd_sip_nameaddr_t contact; /* first Contact; contact.uri.raw absent when none */
    int contact_count;
    acd_str_t call_id;
    uint32_t cseq;
    acd_sip_method_t cseq_method;
    acd_str_t cseq_method_name;
    int max_forwards; /* -1 when absent */
    int expires;      /* Expires header, -1 when absent */
    acd_str_t content_type; /* "application/sdp" (type/subtype only, no parameters) */
    acd_str_t body;
    /* Record-Route values in order of appearance (raw, without the header name). */
    acd_str_t record_route[ACD_SIP_MAX_ROUTES];
    int record_route_count;
    acd_str_t require;   /* all Require values joined as on the wire, absent when none */
    acd_str_t accept;    /* all Accept values, absent when none */
    acd_str_t authorization; /* first Authorization value, absent when none */
    acd_str_t user_agent;
    /* Why the call was forwarded (divert.h reads them): every Diversion / History-Info
     * value joined with ", " in order of appearance, absent when none. Not judged here. */
    acd_str_t diversion;
    acd_str_t history_info;

    struct acd__sip_msg_int *priv; /* the osip message and owned copies */
} acd_sip_msg_t;

/*
 * Parses one complete message (datagram or framed stream message) of len bytes.
 * On success *mp is a new message the caller frees with acd_sip_msg_free().
 * Returns ACD_EPARSE when libosip2 rejects it or required parts are unusable, -ENOMEM.
 * Parsing does not judge validity beyond what is needed to fill the fields: call
 * acd_sip_validate() (validate.h) on the result before acting on it.
 */
int acd_sip_msg_parse(acd_sip_msg_t **mp, const char *data, size_t len);
void acd_sip_msg_free(acd_sip_msg_t *m);

/*
 * Splits a URI (no angle brackets) into u; every slice points into raw, which the caller
 * keeps alive. sip, sips and tel URIs are checked by libosip2; other schemes are opaque.
 * Returns 0 or ACD_EPARSE.
 */
int acd_sip_uri_parse(acd_str_t raw, acd_sip_uri_t *u);

/*
 * Value of the first header called name (case-insensitive; compact forms matched). For
 * list-valued headers (Via, Contact, Route, Record-Route, Accept, Require, Supported,
 * Allow ...) each comma-separated element is one value, here and in _headers().
 */
acd_str_t acd_sip_msg_header(const acd_sip_msg_t *m, const char *name);

/* Fills out[] with every value of header name in order; returns how many (<= max). */
int acd_sip_msg_headers(const acd_sip_msg_t *m, const char *name, acd_str_t *out, int max);

/* Options for acd_sip_response_build(). All fields optional. */
typedef struct acd_sip_resp_opts {
    acd_str_t to_tag;       /* added to To when the request's To has no tag */
    acd_str_t contact;      /* a URI: emitted as Contact: <uri> */
    acd_str_t extra_headers; /* complete header lines, each ending in CRLF */
    acd_str_t content_type;
    acd_str_t body;
    const char *received;   /* IP to set as ;received= on the top Via when it differs */
    int rport;              /* >0: set ;rport=<value> on the top Via when it asked for it */
} acd_sip_resp_opts_t;

/*
 * Builds a response to req into out (appended): status line, all Via headers in order
 * (the top one amended with received/rport), From, To (+ to_tag), Call-ID, CSeq,
 * the options' headers, Content-Length. reason NULL means the standard phrase.
 * Returns 0, -EINVAL (code outside 100..699), -ENOMEM.
 */
int acd_sip_response_build(acd_buf_t *out, const acd_sip_msg_t *req, int code,
                           const char *reason, const acd_sip_resp_opts_t *opts);

/* The standard reason phrase for a status code ("Not Found"); "Unknown" otherwise. */
const char *acd_sip_reason_phrase(int code);

/* Everything needed to build a request from scratch (new or in-dialog). */
typedef struct acd_sip_req_spec {
    acd_sip_method_t method;
    acd_str_t ruri;          /* request URI */
    acd_str_t via_transport; /* "UDP" / "TCP" */
    acd_str_t via_host;
    uint16_t via_port;
    acd_str_t branch;        /* must start with z9hG4bK */
    acd_str_t from;          /* a URI */
    acd_str_t from_display;
    acd_str_t from_tag;
    acd_str_t to;            /* a URI */
    acd_str_t to_display;
    acd_str_t to_tag;        /* absent outside a dialog */
    acd_str_t call_id;
    uint32_t cseq;
    acd_sip_method_t cseq_method; /* 0: same as method (CANCEL/ACK set it explicitly) */
    acd_str_t contact;       /* a URI; absent for none */
    acd_str_t routes[ACD_SIP_MAX_ROUTES]; /* Route values, each a name-addr like <sip:..;lr> */
    int route_count;
    int max_forwards;        /* 0 means 70 */
    acd_str_t extra_headers; /* complete header lines, each ending in CRLF */
    acd_str_t content_type;
    acd_str_t body;
} acd_sip_req_spec_t;

/* Builds a request from spec, appended to out. Returns 0, -EINVAL, -ENOMEM. */
int acd_sip_request_build(acd_buf_t *out, const acd_sip_req_spec_t *spec);

/* Fills buf with a fresh random token of len-1 characters [a-zA-Z0-9] (tags, branches). */
void acd_sip_random_token(char *buf, size_t len);

#endif
