/* msg_build.c - writing SIP messages: responses to parsed requests, new requests, tokens. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sip/msg.h"
#include "sip/msg_int.h"
#include "util/err.h"

/*
 * Messages are formatted directly rather than through libosip2: a response must carry
 * the request's Via, From, To, Call-ID and CSeq values byte for byte (RFC 3261 8.2.6.2),
 * which re-serialising libosip2's structures does not guarantee.
 */

typedef struct build_phrase {
    int code;
    const char *text;
} build_phrase_t;

static const build_phrase_t build_phrases[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Conditional Request Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity-Info"},
    {437, "Unsupported Certificate"},
    {438, "Invalid Identity Header"},
    {439, "First Hop Lacks Outbound Support"},
    {440, "Max-Breadth Exceeded"},
    {469, "Bad Info Package"},
    {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
};

const char *acd_sip_reason_phrase(int code)
{
    for (size_t i = 0; i < sizeof(build_phrases) / sizeof(build_phrases[0]); i++)
        if (build_phrases[i].code == code)
            return build_phrases[i].text;
    return "Unknown";
}

int acd__sip_build_end(acd_buf_t *out, size_t start, int rc)
{
    if (rc < 0) {
        out->n = start;
        if (out->p)
            out->p[start] = '\0';
    }
    return rc;
}

/* True when s may be placed on a header line: no CR, LF or NUL. */
static bool build_line_safe(acd_str_t s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0')
            return false;
    return true;
}

/*
 * Appends the top Via value v, amended per RFC 3261 18.2.1 and RFC 3581: an existing
 * received= or rport is rewritten, everything else is copied byte for byte.
 */
int acd__sip_build_top_via(acd_buf_t *out, const acd_sip_msg_t *req, acd_str_t v,
                           const acd_sip_resp_opts_t *o)
{
    bool set_rport = o && o->rport > 0 && o->rport <= 65535 && req->via.rport;
    bool set_received =
        o && o->received && *o->received && (set_rport || !acd_str_eqc(req->via.host, o->received));
    if (!set_rport && !set_received)
        return acd_buf_append_str(out, v);
    /* Params start at the first ';' (sent-protocol and sent-by hold none). */
    const char *semi = memchr(v.p, ';', v.n);
    size_t head = semi ? (size_t)(semi - v.p) : v.n;
    int rc = acd_buf_append(out, v.p, head);
    acd_str_t rest = {v.p + head, v.n - head}, e;
    while (rc == 0 && rest.n) {
        /* Each parameter: from its ';' up to the next one (Via params hold no ';'). */
        const char *next = memchr(rest.p + 1, ';', rest.n - 1);
        size_t len = next ? (size_t)(next - rest.p) : rest.n;
        e = acd__sip_trim((acd_str_t){rest.p + 1, len - 1});
        size_t nl = 0;
        while (nl < e.n && e.p[nl] != '=' && e.p[nl] != ' ' && e.p[nl] != '\t')
            nl++;
        acd_str_t pname = {e.p, nl};
        if (set_rport && acd_str_ieqc(pname, "rport"))
            rc = acd_buf_printf(out, ";rport=%d", o->rport);
        else if (!(set_received && acd_str_ieqc(pname, "received")))
            rc = acd_buf_append(out, rest.p, len);
        rest.p += len;
        rest.n -= len;
    }
    if (rc == 0 && set_received)
        rc = acd_buf_printf(out, ";received=%s", o->received);
    return rc;
}

int acd_sip_response_build(acd_buf_t *out, const acd_sip_msg_t *req, int code, const char *reason,
                           const acd_sip_resp_opts_t *opts)
{
    static const acd_sip_resp_opts_t none = {0};
    const acd_sip_resp_opts_t *o = opts ? opts : &none;
    if (!out || !req || code < 100 || code > 699)
        return -EINVAL;
    acd_str_t phrase = acd_str_from(reason ? reason : acd_sip_reason_phrase(code));
    if (!build_line_safe(phrase) || !build_line_safe(o->to_tag) || !build_line_safe(o->contact) ||
        !build_line_safe(o->content_type) ||
        (o->received && !build_line_safe(acd_str_from(o->received))))
        return -EINVAL;
    size_t start = out->n;
    int rc = acd_buf_printf(out, "SIP/2.0 %d %.*s\r\n", code, ACD_STR_FMT(phrase));
    acd__sip_hdr_iter_t it;
    acd_str_t v;
    bool top = true;
    acd__sip_hdr_iter_init(&it, req, "Via");
    while (rc == 0 && acd__sip_hdr_next(&it, &v)) {
        rc = acd_buf_append_str(out, ACD_STR("Via: "));
        rc = rc ? rc : top ? acd__sip_build_top_via(out, req, v, o) : acd_buf_append_str(out, v);
        rc = rc ? rc : acd_buf_append_str(out, ACD_STR("\r\n"));
        top = false;
    }
    if (rc == 0 && acd_str_present(req->from.raw))
        rc = acd_buf_printf(out, "From: %.*s\r\n", ACD_STR_FMT(req->from.raw));
    if (rc == 0 && acd_str_present(req->to.raw)) {
        rc = acd_buf_printf(out, "To: %.*s", ACD_STR_FMT(req->to.raw));
        if (rc == 0 && !acd_str_present(req->to.tag) && o->to_tag.n)
            rc = acd_buf_printf(out, ";tag=%.*s", ACD_STR_FMT(o->to_tag));
        rc = rc ? rc : acd_buf_append_str(out, ACD_STR("\r\n"));
    }
    if (rc == 0 && acd_str_present(req->call_id))
        rc = acd_buf_printf(out, "Call-ID: %.*s\r\n", ACD_STR_FMT(req->call_id));
    v = acd_sip_msg_header(req, "CSeq");
    if (rc == 0 && acd_str_present(v))
        rc = acd_buf_printf(out, "CSeq: %.*s\r\n", ACD_STR_FMT(v));
    if (rc == 0 && o->contact.n)
        rc = acd_buf_printf(out, "Contact: <%.*s>\r\n", ACD_STR_FMT(o->contact));
    if (rc == 0 && o->extra_headers.n)
        rc = acd_buf_append_str(out, o->extra_headers);
    if (rc == 0 && o->content_type.n && o->body.n)
        rc = acd_buf_printf(out, "Content-Type: %.*s\r\n", ACD_STR_FMT(o->content_type));
    if (rc == 0)
        rc = acd_buf_printf(out, "Content-Length: %zu\r\n\r\n", o->body.n);
    if (rc == 0 && o->body.n)
        rc = acd_buf_append_str(out, o->body);
    return acd__sip_build_end(out, start, rc);
}

/* Appends a name-addr: ["display" ]<uri>[;tag=tag]. The display name is quoted. */
static int build_nameaddr(acd_buf_t *out, const char *hname, acd_str_t display, acd_str_t uri,
                          acd_str_t tag)
{
    int rc = acd_buf_printf(out, "%s: ", hname);
    if (rc == 0 && display.n) {
        rc = acd_buf_append_str(out, ACD_STR("\""));
        for (size_t i = 0; rc == 0 && i < display.n; i++) {
            if (display.p[i] == '"' || display.p[i] == '\\')
                rc = acd_buf_append_str(out, ACD_STR("\\"));
            rc = rc ? rc : acd_buf_append(out, &display.p[i], 1);
        }
        rc = rc ? rc : acd_buf_append_str(out, ACD_STR("\" "));
    }
    rc = rc ? rc : acd_buf_printf(out, "<%.*s>", ACD_STR_FMT(uri));
    if (rc == 0 && tag.n)
        rc = acd_buf_printf(out, ";tag=%.*s", ACD_STR_FMT(tag));
    return rc ? rc : acd_buf_append_str(out, ACD_STR("\r\n"));
}

int acd__sip_build_via(acd_buf_t *out, acd_str_t transport, acd_str_t host, uint16_t port,
                       acd_str_t branch)
{
    /* An IPv6 sent-by needs brackets (RFC 3261 25.1 hostport). */
    bool v6 = memchr(host.p, ':', host.n) && host.p[0] != '[';
    int rc = acd_buf_printf(out, "Via: SIP/2.0/%.*s %s%.*s%s", ACD_STR_FMT(transport), v6 ? "[" : "",
                            ACD_STR_FMT(host), v6 ? "]" : "");
    if (rc == 0 && port)
        rc = acd_buf_printf(out, ":%u", (unsigned)port);
    return rc ? rc : acd_buf_printf(out, ";branch=%.*s;rport\r\n", ACD_STR_FMT(branch));
}

static bool build_spec_ok(const acd_sip_req_spec_t *s)
{
    acd_str_t must[] = {s->ruri, s->via_transport, s->via_host, s->branch, s->from,
                        s->to,   s->call_id};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
        if (!must[i].n || !build_line_safe(must[i]))
            return false;
    acd_str_t may[] = {s->from_display, s->from_tag, s->to_display,
                       s->to_tag,       s->contact,  s->content_type};
    for (size_t i = 0; i < sizeof(may) / sizeof(may[0]); i++)
        if (!build_line_safe(may[i]))
            return false;
    if (s->route_count < 0 || s->route_count > ACD_SIP_MAX_ROUTES)
        return false;
    for (int i = 0; i < s->route_count; i++)
        if (!s->routes[i].n || !build_line_safe(s->routes[i]))
            return false;
    return s->method != ACD_SIP_UNKNOWN && s->max_forwards >= 0 && s->max_forwards <= 255 &&
           s->branch.n > 7 && memcmp(s->branch.p, "z9hG4bK", 7) == 0;
}

int acd_sip_request_build(acd_buf_t *out, const acd_sip_req_spec_t *spec)
{
    if (!out || !spec || !build_spec_ok(spec))
        return -EINVAL;
    const acd_sip_req_spec_t *s = spec;
    const char *method = acd_sip_method_name(s->method);
    const char *cseq_method = s->cseq_method ? acd_sip_method_name(s->cseq_method) : method;
    size_t start = out->n;
    int rc = acd_buf_printf(out, "%s %.*s SIP/2.0\r\n", method, ACD_STR_FMT(s->ruri));
    rc = rc ? rc : acd__sip_build_via(out, s->via_transport, s->via_host, s->via_port, s->branch);
    rc = rc ? rc : acd_buf_printf(out, "Max-Forwards: %d\r\n", s->max_forwards ? s->max_forwards : 70);
    for (int i = 0; rc == 0 && i < s->route_count; i++)
        rc = acd_buf_printf(out, "Route: %.*s\r\n", ACD_STR_FMT(s->routes[i]));
    rc = rc ? rc : build_nameaddr(out, "From", s->from_display, s->from, s->from_tag);
    rc = rc ? rc : build_nameaddr(out, "To", s->to_display, s->to, s->to_tag);
    rc = rc ? rc
            : acd_buf_printf(out, "Call-ID: %.*s\r\nCSeq: %u %s\r\n", ACD_STR_FMT(s->call_id),
                             (unsigned)s->cseq, cseq_method);
    if (rc == 0 && s->contact.n)
        rc = acd_buf_printf(out, "Contact: <%.*s>\r\n", ACD_STR_FMT(s->contact));
    if (rc == 0 && s->extra_headers.n)
        rc = acd_buf_append_str(out, s->extra_headers);
    if (rc == 0 && s->content_type.n && s->body.n)
        rc = acd_buf_printf(out, "Content-Type: %.*s\r\n", ACD_STR_FMT(s->content_type));
    rc = rc ? rc : acd_buf_printf(out, "Content-Length: %zu\r\n\r\n", s->body.n);
    if (rc == 0 && s->body.n)
        rc = acd_buf_append_str(out, s->body);
    return acd__sip_build_end(out, start, rc);
}

/* ---- random tokens ---- */

/*
 * Tags, branches and Call-IDs need uniqueness, not secrecy: a xoshiro256** generator per
 * thread, seeded once from getrandom(), is plenty and never blocks after start-up.
 */
static _Thread_local uint64_t build_rng[4];
static _Thread_local bool build_rng_seeded;

static uint64_t build_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t build_rng_next(void)
{
    uint64_t *s = build_rng;
    uint64_t r = build_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = build_rotl(s[3], 45);
    return r;
}

static void build_rng_seed(void)
{
    uint64_t seed[4] = {0};
    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        /* No entropy source: fall back to values that still differ per process. */
        seed[0] = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&seed;
        seed[1] = (uint64_t)time(NULL);
    }
    /* splitmix64 spreads the seed so that the state is never all zero. */
    uint64_t x = seed[0] ^ seed[1] ^ seed[2] ^ seed[3];
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL) ^ seed[i];
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        build_rng[i] = z ^ (z >> 31);
    }
    build_rng_seeded = true;
}

void acd_sip_random_token(char *buf, size_t len)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if (!buf || len == 0)
        return;
    if (!build_rng_seeded)
        build_rng_seed();
    for (size_t i = 0; i + 1 < len; i++)
        buf[i] = alphabet[build_rng_next() % (sizeof(alphabet) - 1)];
    buf[len - 1] = '\0';
}
