/* validate.c - what acdd does with an incoming message: accept, reject with a status, or drop. */
#include "sip/validate.h"

#include <stdio.h>
#include <string.h>

#include "sip/msg_int.h"
#include "sip/proxy.h"
#include "util/err.h"

/*
 * Every check is a small function that either passes (returns false) or fills the verdict
 * and returns true. Requests and responses each have a table; the first failing row
 * decides. Syntax rows come first (RFC 4475 3.1.2: an element that cannot trust the
 * message must not act on it), then the semantic rows of a UAS (RFC 3261 8.2.1-8.2.3)
 * in the order RFC 3261 8.2 gives them. Reasons are static strings; the only
 * message-owned text is the Unsupported header of a 420, kept in the message.
 */

typedef bool validate_check_fn(acd_sip_msg_t *m, acd_sip_verdict_t *v);

typedef struct validate_check {
    const char *name; /* for reading the tables, not used at run time */
    validate_check_fn *fn;
} validate_check_t;

static bool validate_fail(acd_sip_verdict_t *v, int status, const char *reason)
{
    v->kind = status ? ACD_SIP_REJECT : ACD_SIP_DROP;
    v->status = status;
    v->reason = reason;
    v->extra_header = NULL;
    return true;
}

static int validate_count(const acd_sip_msg_t *m, const char *name)
{
    acd__sip_hdr_iter_t it;
    acd_str_t v;
    int n = 0;
    acd__sip_hdr_iter_init(&it, m, name);
    while (acd__sip_hdr_next(&it, &v))
        n++;
    return n;
}

/* ---- checks shared by requests and responses (status 400 for requests) ---- */

static bool check_version(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; the literal is case-insensitive. */
    acd_str_t ver = acd__sip_msg_version(m);
    if (acd_str_ieqc(ver, "SIP/2.0"))
        return false;
    bool shaped = ver.n >= 7 && strncasecmp(ver.p, "SIP/", 4) == 0;
    size_t i = 4, digits = 0, dots = 0;
    for (; shaped && i < ver.n; i++) {
        if (ver.p[i] == '.' && digits && !dots)
            dots++, digits = 0;
        else if (ver.p[i] >= '0' && ver.p[i] <= '9')
            digits++;
        else
            shaped = false;
    }
    shaped = shaped && dots == 1 && digits;
    if (shaped)
        return validate_fail(v, 505, "Version Not Supported");
    return validate_fail(v, 400, acd_str_present(ver) ? "Malformed SIP version" : "No SIP version");
}

static bool check_parse(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    const char *why = acd__sip_msg_problem(m);
    return why && validate_fail(v, 400, why);
}

static bool check_required(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* RFC 3261 8.1.1; Max-Forwards is left out so that RFC 2543 peers still work. */
    static const char *const required[] = {"Via", "From", "To", "Call-ID", "CSeq"};
    static const char *const why[] = {"Missing Via header", "Missing From header",
                                      "Missing To header", "Missing Call-ID header",
                                      "Missing CSeq header"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (validate_count(m, required[i]) == 0)
            return validate_fail(v, 400, why[i]);
    return false;
}

static bool check_single(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* Headers that RFC 3261 25.1 allows once: a second value makes the message ambiguous. */
    static const char *const single[] = {"From",         "To",           "Call-ID",
                                         "CSeq",         "Max-Forwards", "Content-Length",
                                         "Content-Type", "Expires"};
    static const char *const why[] = {
        "Multiple From headers",         "Multiple To headers",
        "Multiple Call-ID headers",      "Multiple CSeq headers",
        "Multiple Max-Forwards headers", "Multiple Content-Length headers",
        "Multiple Content-Type headers", "Multiple Expires headers"};
    for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        if (validate_count(m, single[i]) > 1)
            return validate_fail(v, 400, why[i]);
    return false;
}

static bool check_ranges(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    if (m->max_forwards > 255)
        return validate_fail(v, 400, "Max-Forwards out of range");
    if (m->is_request && m->cseq >= 0x80000000u)
        return validate_fail(v, 400, "CSeq number out of range");
    return false;
}

static bool check_body_length(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* A shorter Content-Length truncates the body (RFC 3261 18.3); a longer one is fatal. */
    long long cl = acd__sip_msg_content_length(m);
    if (cl >= 0 && (unsigned long long)cl > acd__sip_msg_body_avail(m))
        return validate_fail(v, 400, "Content-Length larger than the body");
    return false;
}

/* ---- request-only checks ---- */

static bool check_cseq_method(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    if (!acd_str_eq(m->cseq_method_name, m->method_name))
        return validate_fail(v, 400, "CSeq method does not match the request method");
    return false;
}

static bool validate_in(acd_str_t s, size_t at, const char *const *words, int count, size_t wlen)
{
    for (int i = 0; i < count; i++)
        if (strncmp(s.p + at, words[i], wlen) == 0)
            return true;
    return false;
}

static bool check_date(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* rfc1123-date, always in GMT (RFC 3261 20.17): "Sat, 13 Nov 2010 23:29:00 GMT". */
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char shape[] = "www, dd mmm yyyy dd:dd:dd GMT";
    acd_str_t d = acd_sip_msg_header(m, "Date");
    if (!acd_str_present(d))
        return false;
    bool ok = d.n == sizeof(shape) - 1 && validate_in(d, 0, days, 7, 3) &&
              validate_in(d, 8, months, 12, 3);
    for (size_t i = 0; ok && i < d.n; i++) {
        if (shape[i] == 'd' || shape[i] == 'y')
            ok = d.p[i] >= '0' && d.p[i] <= '9';
        else if (shape[i] != 'w' && shape[i] != 'm')
            ok = d.p[i] == shape[i];
    }
    return !ok && validate_fail(v, 400, "Malformed Date header");
}

/* True when an addr-spec (no angle brackets) carries URI headers: RFC 3261 20 forbids it. */
static bool validate_bare_uri_headers(acd_str_t value)
{
    return !memchr(value.p, '<', value.n) && memchr(value.p, '?', value.n);
}

static bool check_addresses(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    if (validate_bare_uri_headers(m->from.raw) || validate_bare_uri_headers(m->to.raw))
        return validate_fail(v, 400, "URI with headers outside angle brackets");
    acd__sip_hdr_iter_t it;
    acd_str_t c;
    acd__sip_hdr_iter_init(&it, m, "Contact");
    while (acd__sip_hdr_next(&it, &c))
        if (validate_bare_uri_headers(c))
            return validate_fail(v, 400, "Contact URI with headers outside angle brackets");
    /* Contact: * only in a REGISTER that removes every binding (RFC 3261 10.3 step 6). */
    if (m->contact.star &&
        (m->method != ACD_SIP_REGISTER || m->contact_count != 1 || m->expires != 0))
        return validate_fail(v, 400, "Contact * needs a REGISTER with Expires: 0");
    return false;
}

static bool check_via(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* sent-protocol = "SIP" SLASH "2.0" SLASH transport, with LWS allowed around '/'. */
    acd_str_t r = m->via.raw;
    char proto[32];
    size_t n = 0;
    for (size_t i = 0; i < r.n && r.p[i] != ';' && n + 1 < sizeof(proto); i++) {
        if (r.p[i] == ' ' || r.p[i] == '\t')
            continue;
        proto[n++] = r.p[i];
        if (n >= 8 && strncasecmp(proto, "SIP/2.0/", 8) == 0)
            break;
    }
    if (n < 8 || strncasecmp(proto, "SIP/2.0/", 8) != 0)
        return validate_fail(v, 400, "Via is not SIP/2.0");
    if (m->via.transport.n == 0 || m->via.host.n == 0)
        return validate_fail(v, 400, "Malformed Via header");
    for (size_t i = 0; i < m->via.host.n; i++) {
        char ch = m->via.host.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':';
        if (!ok)
            return validate_fail(v, 400, "Malformed host in Via header");
    }
    return false;
}

static bool check_ruri_headers(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* A Request-URI may not carry headers (RFC 3261 19.1.5 table: "?" not in R-URI). */
    acd_str_t u = m->ruri.raw;
    if (!acd_str_ieqc(m->ruri.scheme, "sip") && !acd_str_ieqc(m->ruri.scheme, "sips"))
        return false;
    const char *at = memchr(u.p, '@', u.n);
    const char *from = at ? at : u.p;
    if (memchr(from, '?', u.n - (size_t)(from - u.p)))
        return validate_fail(v, 400, "Headers in the Request-URI");
    return false;
}

static bool check_scheme(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    acd_str_t s = m->ruri.scheme;
    if (acd_str_ieqc(s, "sip") || acd_str_ieqc(s, "sips") || acd_str_ieqc(s, "tel"))
        return false;
    return validate_fail(v, 416, "Unsupported URI Scheme");
}

static bool validate_supported(acd_str_t tag)
{
    acd_str_t rest = ACD_STR(ACD_SIP_SUPPORTED_EXTENSIONS), e;
    while (rest.n && acd__sip_list_next(&rest, &e))
        if (acd_str_ieq(e, tag))
            return true;
    return false;
}

static bool check_require(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /* RFC 3261 8.2.2.3: never for ACK; CANCEL's Require is ignored. */
    if (m->method == ACD_SIP_ACK || m->method == ACD_SIP_CANCEL)
        return false;
    char line[512];
    size_t n = 0;
    acd__sip_hdr_iter_t it;
    acd_str_t tag;
    acd__sip_hdr_iter_init(&it, m, "Require");
    while (acd__sip_hdr_next(&it, &tag)) {
        if (validate_supported(tag))
            continue;
        int w = snprintf(line + n, sizeof(line) - n, "%s%.*s",
                         n ? ", " : "Unsupported: ", ACD_STR_FMT(tag));
        if (w < 0 || (size_t)w >= sizeof(line) - n - 2)
            break; /* the list is cut; the 420 itself is what matters */
        n += (size_t)w;
    }
    if (n == 0)
        return false;
    memcpy(line + n, "\r\n", 2);
    validate_fail(v, 420, "Bad Extension");
    v->extra_header = acd__sip_msg_keep(m, line, n + 2);
    return true;
}

static bool check_body_type(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    if (m->body.n == 0)
        return false;
    if (!acd_str_present(m->content_type))
        return validate_fail(v, 400, "Body without Content-Type");
    /* acdd only reads SDP, and only INVITE bodies matter to it (RFC 3261 8.2.3). */
    if (m->method == ACD_SIP_INVITE && !acd_str_ieqc(m->content_type, "application/sdp")) {
        validate_fail(v, 415, "Unsupported Media Type");
        v->extra_header = "Accept: application/sdp\r\n";
        return true;
    }
    return false;
}

/* True when a media-range's parameters say q=0, i.e. "not acceptable" (RFC 3261 20.1). */
static bool validate_q_zero(acd_str_t params)
{
    while (params.n) {
        const char *semi = memchr(params.p, ';', params.n);
        size_t len = semi ? (size_t)(semi - params.p) : params.n;
        acd_str_t p = acd__sip_trim((acd_str_t){params.p, len});
        const char *eq = memchr(p.p, '=', p.n);
        if (eq && acd_str_ieqc(acd__sip_trim((acd_str_t){p.p, (size_t)(eq - p.p)}), "q")) {
            acd_str_t q = acd__sip_trim((acd_str_t){eq + 1, p.n - (size_t)(eq + 1 - p.p)});
            bool zero = q.n && q.p[0] == '0';
            for (size_t i = 1; zero && i < q.n; i++)
                zero = i == 1 ? q.p[i] == '.' : q.p[i] == '0';
            if (zero)
                return true;
        }
        params.p += semi ? len + 1 : len;
        params.n -= semi ? len + 1 : len;
    }
    return false;
}

static bool check_accept(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /*
     * The answer to an INVITE carries SDP, so the caller must accept it (RFC 3261 8.2.3).
     * No Accept header means application/sdp; an empty one means nothing at all.
     */
    if (m->method != ACD_SIP_INVITE || !acd_str_present(m->accept))
        return false;
    acd__sip_hdr_iter_t it;
    acd_str_t r;
    acd__sip_hdr_iter_init(&it, m, "Accept");
    while (acd__sip_hdr_next(&it, &r)) {
        const char *semi = memchr(r.p, ';', r.n);
        size_t rl = semi ? (size_t)(semi - r.p) : r.n;
        acd_str_t range = acd__sip_trim((acd_str_t){r.p, rl});
        if (validate_q_zero((acd_str_t){r.p + rl, r.n - rl}))
            continue;
        if (acd_str_ieqc(range, "application/sdp") || acd_str_ieqc(range, "application/*") ||
            acd_str_ieqc(range, "*/*"))
            return false;
    }
    return validate_fail(v, 406, "Not Acceptable");
}

static const validate_check_t validate_request_checks[] = {
    {"version", check_version},
    {"parse", check_parse},
    {"required", check_required},
    {"single", check_single},
    {"ranges", check_ranges},
    {"body_length", check_body_length},
    {"cseq_method", check_cseq_method},
    {"date", check_date},
    {"addresses", check_addresses},
    {"via", check_via},
    {"ruri_headers", check_ruri_headers},
    {"scheme", check_scheme},
    {"require", check_require},
    {"body_type", check_body_type},
    {"accept", check_accept},
};

/* ---- response-only checks (any failure drops) ---- */

static bool check_one_via(acd_sip_msg_t *m, acd_sip_verdict_t *v)
{
    /*
     * RFC 3261 8.1.3.3: a UAC discards a response with more than one Via; a response
     * under our relay Via is one for a request we forwarded (sip/proxy.h), not ours.
     */
    if (m->via_count > 1 && acd_sip_relay_branch_is(m->via.branch))
        return false;
    return m->via_count != 1 && validate_fail(v, 400, "Response with more than one Via");
}

static const validate_check_t validate_response_checks[] = {
    {"version", check_version}, {"parse", check_parse},     {"required", check_required},
    {"single", check_single},   {"one_via", check_one_via}, {"body_length", check_body_length},
};

void acd_sip_validate(const char *data, size_t len, acd_sip_msg_t **mp, acd_sip_verdict_t *verdict)
{
    acd_sip_verdict_t v = {.kind = ACD_SIP_ACCEPT, .status = 0, .reason = NULL};
    acd_sip_msg_t *m = NULL;
    int rc = acd__sip_msg_parse_lenient(&m, data, len);
    if (rc < 0) {
        v.kind = ACD_SIP_DROP;
        v.reason = rc == -ENOMEM ? "Out of memory" : "Not a SIP message";
        goto out;
    }
    const validate_check_t *checks =
        m->is_request ? validate_request_checks : validate_response_checks;
    size_t count = m->is_request
                       ? sizeof(validate_request_checks) / sizeof(validate_request_checks[0])
                       : sizeof(validate_response_checks) / sizeof(validate_response_checks[0]);
    for (size_t i = 0; i < count; i++)
        if (checks[i].fn(m, &v))
            break;
    /*
     * A response is never answered, and neither is an ACK; a request is answered only
     * when it has a top Via to echo (RFC 3261 8.2.6.2), even a malformed one.
     */
    if (v.kind == ACD_SIP_REJECT &&
        (!m->is_request || m->method == ACD_SIP_ACK || m->via.raw.n == 0))
        v.kind = ACD_SIP_DROP;
out:
    if (v.kind == ACD_SIP_DROP) {
        /* The reason may live in m only for the 420 header, which a drop never has. */
        v.status = 0;
        v.extra_header = NULL;
        acd_sip_msg_free(m);
        m = NULL;
    }
    if (mp)
        *mp = m;
    else
        acd_sip_msg_free(m);
    if (verdict)
        *verdict = v;
}
