/* msg.c - the SIP parser adapter: splits a message into slices and judges headers with libosip2. */
#include "sip/msg.h"

#include <osipparser2/osip_parser.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg_int.h"
#include "util/err.h"

/*
 * How parsing works. The input is copied once (raw). msg.c splits the copy itself into
 * the start line, header lines and body, because the slices must point at the bytes as
 * received and because osip_message_parse() stops at the first duplicate or malformed
 * header without saying which, cannot see past NUL bytes, and then leaves nothing to
 * answer a 400 with. Header values are unfolded into one buffer (vals), each followed by
 * a NUL so that libosip2 can judge it: every structured header (Via, From, To, Contact,
 * Route, Record-Route, Content-Type, Request-URI) goes through libosip2's own parser for
 * that header, and a rejection is a problem of the message. Slices point into raw, vals,
 * kept copies, or the strings of the top Via that libosip2 parsed.
 */

/* A message and its private part in one allocation. */
typedef struct msg_whole {
    acd_sip_msg_t m;
    struct acd__sip_msg_int pi;
} msg_whole_t;

/* ---- libosip2 set-up ---- */

static void msg_osip_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr,
                           va_list ap)
{
    /* libosip2's own diagnostics duplicate our problem reasons; they are dropped. */
}

static pthread_once_t msg_once = PTHREAD_ONCE_INIT;

static void msg_osip_init(void)
{
    /* parser_init() fills libosip2's global tables and is not thread-safe: once only. */
    parser_init();
    osip_trace_initialize_func(END_TRACE_LEVEL, msg_osip_trace);
    for (int l = TRACE_LEVEL0; l < END_TRACE_LEVEL; l++)
        osip_trace_disable_level((osip_trace_level_t)l);
}

/* ---- small lexical helpers ---- */

static bool msg_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool msg_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static bool msg_is_token(acd_str_t s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!msg_token_char(s.p[i]))
            return false;
    return true;
}

static acd_str_t msg_sub(acd_str_t s, size_t from, size_t to)
{
    return (acd_str_t){s.p + from, to - from};
}

/* Parses 1*DIGIT into *out; 0, -1 when not digits, -2 when larger than max. */
static int msg_digits(acd_str_t s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
        if (v > max)
            return -2;
    }
    *out = v;
    return 0;
}

/* Index of the first c outside quoted strings, or s.n. */
static size_t msg_find_unquoted(acd_str_t s, char c)
{
    bool inq = false, esc = false;
    for (size_t i = 0; i < s.n; i++) {
        if (esc)
            esc = false;
        else if (inq)
            esc = s.p[i] == '\\', inq = s.p[i] != '"';
        else if (s.p[i] == '"')
            inq = true;
        else if (s.p[i] == c)
            return i;
    }
    return s.n;
}

/*
 * Takes the next ";name[=value]" off *rest (which starts at a ';' or is exhausted).
 * value is absent for a bare name. Returns false when nothing is left.
 */
static bool msg_param_next(acd_str_t *rest, acd_str_t *name, acd_str_t *value)
{
    acd_str_t r = acd__sip_trim(*rest);
    if (r.n == 0 || r.p[0] != ';')
        return false;
    r = msg_sub(r, 1, r.n);
    size_t end = msg_find_unquoted(r, ';');
    acd_str_t p = msg_sub(r, 0, end);
    *rest = msg_sub(r, end, r.n);
    size_t eq = msg_find_unquoted(p, '=');
    *name = acd__sip_trim(msg_sub(p, 0, eq));
    *value = eq < p.n ? acd__sip_trim(msg_sub(p, eq + 1, p.n)) : ACD_STR_NULL;
    return true;
}

/* True when a control character appears other than escaped inside a quoted string. */
static bool msg_has_bare_ctl(acd_str_t s)
{
    bool inq = false, esc = false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        bool ctl = (c < 0x20 && c != '\t') || c == 0x7f;
        if (esc)
            esc = false;
        else if (ctl)
            return true;
        else if (inq)
            esc = c == '\\', inq = c != '"';
        else if (c == '"')
            inq = true;
    }
    return false;
}

/* ---- private part ---- */

static void msg_problem(acd_sip_msg_t *m, const char *why)
{
    if (!m->priv->problem)
        m->priv->problem = why;
}

/*
 * A NUL-terminated copy of s for libosip2 in buf (or on the heap when longer; *heap is
 * then set for the caller to free). Embedded NULs, legal only as quoted-pairs, become
 * spaces so that libosip2 sees the whole value.
 */
static char *msg_cstr(acd_str_t s, char *buf, size_t cap, char **heap)
{
    char *c = buf;
    *heap = NULL;
    if (s.n >= cap) {
        if (!(c = *heap = malloc(s.n + 1)))
            return NULL;
    }
    for (size_t i = 0; i < s.n; i++)
        c[i] = s.p[i] ? s.p[i] : ' ';
    c[s.n] = '\0';
    return c;
}

typedef enum msg_judge { MSG_J_URI, MSG_J_NAMEADDR, MSG_J_CTYPE, MSG_J_VIA } msg_judge_t;

/*
 * Asks libosip2 whether value is a well-formed instance of kind. For MSG_J_VIA with
 * keep non-NULL, the parsed Via is handed to the caller on success.
 */
static bool msg_osip_ok(msg_judge_t kind, acd_str_t value, osip_via_t **keep)
{
    char buf[512], *heap;
    const char *s = msg_cstr(value, buf, sizeof(buf), &heap);
    int rc = -1;
    if (!s)
        return false;
    if (kind == MSG_J_URI) {
        osip_uri_t *u = NULL;
        if (osip_uri_init(&u) == 0)
            rc = osip_uri_parse(u, s);
        osip_uri_free(u);
    } else if (kind == MSG_J_NAMEADDR) {
        osip_from_t *f = NULL;
        if (osip_from_init(&f) == 0)
            rc = osip_from_parse(f, s);
        osip_from_free(f);
    } else if (kind == MSG_J_CTYPE) {
        osip_content_type_t *ct = NULL;
        if (osip_content_type_init(&ct) == 0)
            rc = osip_content_type_parse(ct, s);
        osip_content_type_free(ct);
    } else {
        osip_via_t *v = NULL;
        if (osip_via_init(&v) == 0)
            rc = osip_via_parse(v, s);
        if (rc == 0 && keep)
            *keep = v;
        else
            osip_via_free(v);
    }
    free(heap);
    return rc == 0;
}

/* ---- URIs and name-addrs ---- */

static bool msg_scheme_char(char c, bool first)
{
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return alpha || (!first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

/*
 * Splits raw into u (slices into raw) and has libosip2 judge sip, sips and tel URIs;
 * other schemes are opaque. Returns false when raw is not a usable URI.
 */
static bool msg_uri_split(acd_str_t raw, acd_sip_uri_t *u)
{
    memset(u, 0, sizeof(*u));
    u->raw = raw;
    size_t colon = 0;
    while (colon < raw.n && msg_scheme_char(raw.p[colon], colon == 0))
        colon++;
    if (colon == 0 || colon >= raw.n || raw.p[colon] != ':')
        return false;
    u->scheme = msg_sub(raw, 0, colon);
    acd_str_t rest = msg_sub(raw, colon + 1, raw.n);
    if (acd_str_ieqc(u->scheme, "tel")) {
        size_t semi = 0;
        while (semi < rest.n && rest.p[semi] != ';')
            semi++;
        u->user = msg_sub(rest, 0, semi);
        return u->user.n > 0 && msg_osip_ok(MSG_J_URI, raw, NULL);
    }
    if (!acd_str_ieqc(u->scheme, "sip") && !acd_str_ieqc(u->scheme, "sips"))
        return rest.n > 0;
    /* userinfo cannot hold an unescaped '@' (RFC 3261 25.1), so the first one ends it. */
    const char *at = memchr(rest.p, '@', rest.n);
    acd_str_t hp = rest;
    if (at) {
        acd_str_t ui = msg_sub(rest, 0, (size_t)(at - rest.p));
        const char *pw = memchr(ui.p, ':', ui.n);
        u->user = pw ? msg_sub(ui, 0, (size_t)(pw - ui.p)) : ui;
        hp = msg_sub(rest, (size_t)(at - rest.p) + 1, rest.n);
    }
    size_t i = 0;
    if (hp.n && hp.p[0] == '[') {
        const char *close = memchr(hp.p, ']', hp.n);
        if (!close)
            return false;
        u->host = msg_sub(hp, 1, (size_t)(close - hp.p));
        i = (size_t)(close - hp.p) + 1;
    } else {
        while (i < hp.n && hp.p[i] != ':' && hp.p[i] != ';' && hp.p[i] != '?')
            i++;
        u->host = msg_sub(hp, 0, i);
    }
    if (u->host.n == 0)
        return false;
    if (i < hp.n && hp.p[i] == ':') {
        size_t s = ++i;
        uint64_t port;
        while (i < hp.n && hp.p[i] != ';' && hp.p[i] != '?')
            i++;
        if (msg_digits(msg_sub(hp, s, i), 65535, &port) < 0)
            return false;
        u->port = (uint16_t)port;
    }
    size_t q = i;
    while (q < hp.n && hp.p[q] != '?')
        q++;
    acd_str_t params = msg_sub(hp, i, q), name, value;
    while (msg_param_next(&params, &name, &value))
        if (acd_str_ieqc(name, "transport"))
            u->transport = value;
    return msg_osip_ok(MSG_J_URI, raw, NULL);
}

int acd_sip_uri_parse(acd_str_t raw, acd_sip_uri_t *u)
{
    return msg_uri_split(raw, u) ? 0 : ACD_EPARSE;
}

/* Fills na from one name-addr / addr-spec value (From, To, Contact, Route ...). */
static bool msg_nameaddr_split(acd_str_t v, acd_sip_nameaddr_t *na, bool star_ok)
{
    memset(na, 0, sizeof(*na));
    na->raw = v;
    na->expires = -1;
    if (star_ok && acd_str_eqc(v, "*")) {
        na->star = true;
        return true;
    }
    size_t lt = msg_find_unquoted(v, '<');
    acd_str_t uri, params;
    if (lt < v.n) {
        acd_str_t d = acd__sip_trim(msg_sub(v, 0, lt));
        if (d.n >= 2 && d.p[0] == '"' && d.p[d.n - 1] == '"')
            d = msg_sub(d, 1, d.n - 1);
        na->display = d.n ? d : ACD_STR_NULL;
        const char *gt = memchr(v.p + lt, '>', v.n - lt);
        if (!gt)
            return false;
        uri = msg_sub(v, lt + 1, (size_t)(gt - v.p));
        params = msg_sub(v, (size_t)(gt - v.p) + 1, v.n);
    } else {
        size_t semi = msg_find_unquoted(v, ';');
        uri = acd__sip_trim(msg_sub(v, 0, semi));
        params = msg_sub(v, semi, v.n);
    }
    if (!msg_uri_split(uri, &na->uri))
        return false;
    acd_str_t name, value;
    while (msg_param_next(&params, &name, &value)) {
        if (acd_str_ieqc(name, "tag"))
            na->tag = value;
        if (acd_str_ieqc(name, "expires") && star_ok) {
            uint64_t e;
            if (!value.p || msg_digits(value, INT32_MAX, &e) < 0)
                return false;
            na->expires = (int)e;
        }
    }
    return msg_osip_ok(MSG_J_NAMEADDR, v, NULL);
}

/* ---- header handlers ---- */

typedef void msg_on_hdr_fn(acd_sip_msg_t *m, acd_str_t v, bool first, int id);

static void msg_on_via(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    acd_str_t e;
    while (acd__sip_list_next(&v, &e)) {
        osip_via_t *ov = NULL;
        bool top = m->via_count++ == 0;
        if (top)
            m->via.raw = e; /* kept even when malformed: a 400 still echoes it */
        if (e.n == 0 || !msg_osip_ok(MSG_J_VIA, e, top ? &ov : NULL)) {
            msg_problem(m, acd__sip_hdr_defs[id].bad);
            continue;
        }
        if (!top)
            continue;
        struct acd__sip_msg_int *pi = m->priv;
        pi->via = ov;
        m->via.transport = acd_str_from(ov->protocol);
        m->via.host = acd_str_from(ov->host);
        uint64_t port = 0;
        if (ov->port && msg_digits(acd_str_from(ov->port), 65535, &port) < 0)
            msg_problem(m, "Bad port in Via header");
        m->via.port = (uint16_t)port;
        for (int i = 0; !osip_list_eol(&ov->via_params, i); i++) {
            osip_generic_param_t *p = osip_list_get(&ov->via_params, i);
            acd_str_t name = acd_str_from(p->gname);
            if (acd_str_ieqc(name, "branch"))
                m->via.branch = acd_str_from(p->gvalue ? p->gvalue : "");
            else if (acd_str_ieqc(name, "received"))
                m->via.received = acd_str_from(p->gvalue ? p->gvalue : "");
            else if (acd_str_ieqc(name, "rport"))
                m->via.rport = true;
        }
    }
}

static void msg_on_from_to(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    acd_sip_nameaddr_t na;
    bool ok = msg_nameaddr_split(v, &na, false);
    if (!ok)
        msg_problem(m, acd__sip_hdr_defs[id].bad);
    if (ok && first)
        *(id == ACD__SIP_H_FROM ? &m->from : &m->to) = na;
}

static void msg_on_contact(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    acd_str_t e;
    while (acd__sip_list_next(&v, &e)) {
        acd_sip_nameaddr_t na;
        if (e.n == 0 || !msg_nameaddr_split(e, &na, true)) {
            msg_problem(m, acd__sip_hdr_defs[id].bad);
            continue;
        }
        if (m->contact_count++ == 0)
            m->contact = na;
    }
}

static void msg_on_route(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    acd_str_t e;
    while (acd__sip_list_next(&v, &e)) {
        acd_sip_nameaddr_t na;
        if (e.n == 0 || !msg_nameaddr_split(e, &na, false)) {
            msg_problem(m, acd__sip_hdr_defs[id].bad);
            continue;
        }
        if (id == ACD__SIP_H_RECORD_ROUTE && m->record_route_count < ACD_SIP_MAX_ROUTES)
            m->record_route[m->record_route_count++] = e;
    }
}

static void msg_on_call_id(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    /* callid = word [ "@" word ]: no whitespace anywhere. */
    bool ok = v.n > 0;
    for (size_t i = 0; ok && i < v.n; i++)
        ok = !msg_ws(v.p[i]);
    if (!ok)
        msg_problem(m, acd__sip_hdr_defs[id].bad);
    else if (first)
        m->call_id = v;
}

static void msg_on_cseq(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    size_t i = 0;
    while (i < v.n && !msg_ws(v.p[i]))
        i++;
    acd_str_t num = msg_sub(v, 0, i), meth = acd__sip_trim(msg_sub(v, i, v.n));
    uint64_t n;
    int rc = msg_digits(num, UINT32_MAX, &n);
    if (rc == -2)
        msg_problem(m, "CSeq number out of range");
    if (rc < 0 || !msg_is_token(meth)) {
        msg_problem(m, acd__sip_hdr_defs[id].bad);
        return;
    }
    if (first) {
        m->cseq = (uint32_t)n;
        m->cseq_method_name = meth;
        m->cseq_method = acd_sip_method_from(meth);
    }
}

/* Max-Forwards, Expires and Content-Length: one unsigned number. */
static void msg_on_number(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    uint64_t n;
    int rc = msg_digits(v, INT32_MAX, &n);
    if (rc == -2)
        msg_problem(m, id == ACD__SIP_H_EXPIRES        ? "Expires out of range"
                       : id == ACD__SIP_H_MAX_FORWARDS ? "Max-Forwards out of range"
                                                       : "Content-Length out of range");
    if (rc < 0) {
        msg_problem(m, acd__sip_hdr_defs[id].bad);
        return;
    }
    if (!first)
        return;
    if (id == ACD__SIP_H_EXPIRES)
        m->expires = (int)n;
    else if (id == ACD__SIP_H_MAX_FORWARDS)
        m->max_forwards = (int)n;
    else
        m->priv->content_length = (long long)n;
}

static void msg_on_content_type(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    acd_str_t mt = acd__sip_trim(msg_sub(v, 0, msg_find_unquoted(v, ';')));
    size_t slash = msg_find_unquoted(mt, '/');
    acd_str_t type = acd__sip_trim(msg_sub(mt, 0, slash));
    acd_str_t sub = slash < mt.n ? acd__sip_trim(msg_sub(mt, slash + 1, mt.n)) : ACD_STR_NULL;
    if (!msg_is_token(type) || !msg_is_token(sub) || !msg_osip_ok(MSG_J_CTYPE, v, NULL)) {
        msg_problem(m, acd__sip_hdr_defs[id].bad);
        return;
    }
    if (!first)
        return;
    if (sub.p == type.p + type.n + 1) {
        m->content_type = msg_sub(mt, 0, (size_t)(sub.p + sub.n - mt.p));
        return;
    }
    /* "type / subtype": the slice must not carry the whitespace. */
    char tmp[256];
    int n = snprintf(tmp, sizeof(tmp), "%.*s/%.*s", ACD_STR_FMT(type), ACD_STR_FMT(sub));
    const char *k = n > 0 && (size_t)n < sizeof(tmp) ? acd__sip_msg_keep(m, tmp, (size_t)n) : NULL;
    if (k)
        m->content_type = (acd_str_t){k, (size_t)n};
    else
        msg_problem(m, acd__sip_hdr_defs[id].bad);
}

/* Every line's value of one header in *slot, joined with ", " when there are several. */
static void msg_join(acd_sip_msg_t *m, acd_str_t *slot, acd_str_t v)
{
    if (!slot->p) {
        *slot = v;
        return;
    }
    char *tmp = malloc(slot->n + 2 + v.n);
    const char *k = NULL;
    if (tmp) {
        memcpy(tmp, slot->p, slot->n);
        memcpy(tmp + slot->n, ", ", 2);
        memcpy(tmp + slot->n + 2, v.p, v.n);
        k = acd__sip_msg_keep(m, tmp, slot->n + 2 + v.n);
        free(tmp);
    }
    if (k)
        *slot = (acd_str_t){k, strlen(k)};
    else
        msg_problem(m, "Out of memory");
}

static void msg_on_joined(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    msg_join(m, id == ACD__SIP_H_REQUIRE ? &m->require : &m->accept, v);
}

/* Headers outside the table that are kept joined for other modules, or NULL. */
static acd_str_t *msg_named_slot(acd_sip_msg_t *m, acd_str_t name)
{
    return acd_str_ieqc(name, "Diversion")      ? &m->diversion
           : acd_str_ieqc(name, "History-Info") ? &m->history_info
                                                : NULL;
}

static void msg_on_first(acd_sip_msg_t *m, acd_str_t v, bool first, int id)
{
    if (first)
        *(id == ACD__SIP_H_AUTHORIZATION ? &m->authorization : &m->user_agent) = v;
}

static msg_on_hdr_fn *const msg_on_hdr[ACD__SIP_H_COUNT] = {
    [ACD__SIP_H_VIA] = msg_on_via,
    [ACD__SIP_H_FROM] = msg_on_from_to,
    [ACD__SIP_H_TO] = msg_on_from_to,
    [ACD__SIP_H_CALL_ID] = msg_on_call_id,
    [ACD__SIP_H_CSEQ] = msg_on_cseq,
    [ACD__SIP_H_CONTACT] = msg_on_contact,
    [ACD__SIP_H_CONTENT_LENGTH] = msg_on_number,
    [ACD__SIP_H_CONTENT_TYPE] = msg_on_content_type,
    [ACD__SIP_H_MAX_FORWARDS] = msg_on_number,
    [ACD__SIP_H_EXPIRES] = msg_on_number,
    [ACD__SIP_H_ROUTE] = msg_on_route,
    [ACD__SIP_H_RECORD_ROUTE] = msg_on_route,
    [ACD__SIP_H_REQUIRE] = msg_on_joined,
    [ACD__SIP_H_ACCEPT] = msg_on_joined,
    [ACD__SIP_H_AUTHORIZATION] = msg_on_first,
    [ACD__SIP_H_USER_AGENT] = msg_on_first,
};

/* ---- start line ---- */

static void msg_status_line(acd_sip_msg_t *m, acd_str_t line)
{
    size_t sp = 0;
    while (sp < line.n && line.p[sp] != ' ')
        sp++;
    m->priv->version = msg_sub(line, 0, sp);
    size_t c = sp + 1, e = c;
    while (e < line.n && line.p[e] != ' ')
        e++;
    uint64_t code;
    if (sp >= line.n || e - c != 3 || msg_digits(msg_sub(line, c, e), 699, &code) < 0 ||
        code < 100) {
        msg_problem(m, "Bad status code");
        return;
    }
    m->status = (int)code;
    m->reason = e < line.n ? msg_sub(line, e + 1, line.n) : msg_sub(line, e, e);
}

static void msg_request_line(acd_sip_msg_t *m, acd_str_t line)
{
    /* Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces. */
    int ntok = 0;
    bool extra_ws = false;
    for (size_t i = 0; i < line.n;) {
        size_t s = i;
        while (i < line.n && msg_ws(line.p[i]))
            i++;
        if (i - s > 1 || (i > s && line.p[s] == '\t'))
            extra_ws = true;
        s = i;
        while (i < line.n && !msg_ws(line.p[i]))
            i++;
        ntok += i > s;
    }
    if (line.n && msg_ws(line.p[0]))
        msg_problem(m, "Whitespace before the request line");
    if (line.n && msg_ws(line.p[line.n - 1]))
        msg_problem(m, "Trailing whitespace in the request line");
    if (extra_ws)
        msg_problem(m, "Extra whitespace in the request line");
    if (ntok > 3)
        msg_problem(m, "Unescaped whitespace in the Request-URI");
    if (ntok < 3)
        msg_problem(m, ntok < 2 ? "Malformed request line" : "No SIP version in the request line");
    line = acd__sip_trim(line);
    size_t me = 0, vs = line.n;
    while (me < line.n && !msg_ws(line.p[me]))
        me++;
    m->method_name = msg_sub(line, 0, me);
    m->method = acd_sip_method_from(m->method_name);
    if (!msg_is_token(m->method_name))
        msg_problem(m, "Malformed method");
    if (ntok < 2)
        return;
    if (ntok >= 3) {
        while (vs > me && !msg_ws(line.p[vs - 1]))
            vs--;
        m->priv->version = msg_sub(line, vs, line.n);
    }
    acd_str_t uri = acd__sip_trim(msg_sub(line, me, vs));
    if (memchr(uri.p, '<', uri.n) || memchr(uri.p, '>', uri.n))
        msg_problem(m, "Angle brackets in the Request-URI");
    else if (!msg_uri_split(uri, &m->ruri))
        msg_problem(m, "Malformed Request-URI");
    m->ruri.raw = uri;
}

/* ---- splitting ---- */

/*
 * Splits raw into the start line, headers and body. Fails only without a start line;
 * everything else becomes a problem of the message.
 */
static int msg_split(acd_sip_msg_t *m)
{
    struct acd__sip_msg_int *pi = m->priv;
    const char *p = pi->raw, *end = pi->raw + pi->raw_len;
    /* RFC 3261 7.5: CRLFs before the start line are ignored. */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        return ACD_EPARSE;
    acd_str_t line = {p, (size_t)(eol - p)};
    if (line.n && line.p[line.n - 1] == '\r')
        line.n--;
    size_t cap = 1;
    for (const char *q = eol + 1; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
        cap++;
    pi->hdrs = calloc(cap, sizeof(*pi->hdrs));
    pi->vals = malloc((size_t)(end - eol) + cap + 1);
    if (!pi->hdrs || !pi->vals)
        return -ENOMEM;
    m->is_request = !(line.n >= 4 && strncasecmp(line.p, "SIP/", 4) == 0);
    if (m->is_request)
        msg_request_line(m, line);
    else
        msg_status_line(m, line);

    char *vp = pi->vals;
    p = eol + 1;
    for (;;) {
        if (p >= end) {
            pi->unterminated = true;
            break;
        }
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += *p == '\n' ? 1 : 2;
            break;
        }
        /* One logical line: a physical line and its continuation lines. */
        const char *ls = p, *le;
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            le = nl ? nl : end;
            p = nl ? nl + 1 : end;
            if (p >= end || !msg_ws(*p))
                break;
        }
        if (msg_ws(*ls)) {
            msg_problem(m, "Header line starts with whitespace");
            continue;
        }
        const char *c = ls;
        while (c < le && msg_token_char(*c))
            c++;
        acd_str_t name = {ls, (size_t)(c - ls)};
        while (c < le && msg_ws(*c))
            c++;
        if (name.n == 0 || c >= le || *c != ':') {
            msg_problem(m, "Header line without a colon");
            continue;
        }
        /* Unfold: line ends inside the value are dropped, the whitespace after stays. */
        char *vs = vp;
        for (c++; c < le; c++) {
            if (*c == '\r' && c + 1 < le && c[1] == '\n')
                continue;
            if (*c != '\n')
                *vp++ = *c;
        }
        if (vp > vs && vp[-1] == '\r')
            vp--;
        acd__sip_hdr_t *h = &pi->hdrs[pi->hdr_count++];
        h->name = name;
        h->value = acd__sip_trim((acd_str_t){vs, (size_t)(vp - vs)});
        h->id = acd__sip_hdr_id(name);
        *vp++ = '\0';
        if (msg_has_bare_ctl(h->value))
            msg_problem(m, "Control character in a header");
    }
    pi->body_off = (size_t)(p - pi->raw);
    return 0;
}

/* Hands every header to its handler, in order. */
static void msg_fill(acd_sip_msg_t *m)
{
    struct acd__sip_msg_int *pi = m->priv;
    int seen[ACD__SIP_H_COUNT] = {0};
    for (int i = 0; i < pi->hdr_count; i++) {
        acd__sip_hdr_t *h = &pi->hdrs[i];
        acd_str_t *slot;
        if (h->id >= 0 && msg_on_hdr[h->id])
            msg_on_hdr[h->id](m, h->value, seen[h->id]++ == 0, h->id);
        else if (h->id < 0 && (slot = msg_named_slot(m, h->name)))
            msg_join(m, slot, h->value);
    }
    size_t avail = pi->raw_len - pi->body_off;
    size_t n = avail;
    if (pi->content_length >= 0 && (unsigned long long)pi->content_length < avail)
        n = (size_t)pi->content_length;
    m->body = n ? (acd_str_t){pi->raw + pi->body_off, n} : ACD_STR_NULL;
}

static int msg_parse(acd_sip_msg_t **mp, const char *data, size_t len, bool strict)
{
    if (!mp || (!data && len))
        return -EINVAL;
    pthread_once(&msg_once, msg_osip_init);
    int rc = -ENOMEM;
    msg_whole_t *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    acd_sip_msg_t *m = &w->m;
    m->priv = &w->pi;
    m->max_forwards = m->expires = -1;
    m->from.expires = m->to.expires = m->contact.expires = -1;
    w->pi.content_length = -1;
    if (!(w->pi.raw = malloc(len + 1)))
        goto out;
    if (len)
        memcpy(w->pi.raw, data, len);
    w->pi.raw[len] = '\0';
    w->pi.raw_len = len;
    if ((rc = msg_split(m)) < 0)
        goto out;
    msg_fill(m);
    if (w->pi.unterminated)
        msg_problem(m, "No empty line after the headers");
    if (strict && w->pi.problem)
        rc = ACD_EPARSE;
out:
    if (rc < 0)
        acd_sip_msg_free(m);
    else
        *mp = m;
    return rc;
}

int acd_sip_msg_parse(acd_sip_msg_t **mp, const char *data, size_t len)
{
    return msg_parse(mp, data, len, true);
}

int acd__sip_msg_parse_lenient(acd_sip_msg_t **mp, const char *data, size_t len)
{
    return msg_parse(mp, data, len, false);
}

void acd_sip_msg_free(acd_sip_msg_t *m)
{
    if (!m)
        return;
    struct acd__sip_msg_int *pi = m->priv;
    if (pi->via)
        osip_via_free(pi->via);
    while (pi->kept) {
        acd__sip_kept_t *k = pi->kept;
        pi->kept = k->next;
        free(k);
    }
    free(pi->hdrs);
    free(pi->vals);
    free(pi->raw);
    free((msg_whole_t *)m);
}
