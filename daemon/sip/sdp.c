/* sdp.c - SDP for one audio stream: a strict line parser, RFC 3264 answer choice, builder. */
#include "sip/sdp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"

/*
 * SDP is line-oriented (RFC 4566 5): "<type>=<value>" lines in a fixed order, session
 * part first, then one part per m= line. The parser walks the lines once, keeps the
 * session-level c= and direction as defaults, and fills the result from the first audio
 * stream over RTP/AVP. Anything that does not look like SDP is ACD_EPARSE, so that a
 * broken offer is answered 400/488 rather than half understood.
 */

typedef struct sdp_static_pt {
    int pt;
    const char *name;
} sdp_static_pt_t;

/* RFC 3551 table 4: audio payload types that need no rtpmap. */
static const sdp_static_pt_t sdp_static[] = {
    {0, "PCMU/8000"},   {3, "GSM/8000"},   {4, "G723/8000"},  {5, "DVI4/8000"},  {6, "DVI4/16000"},
    {7, "LPC/8000"},    {8, "PCMA/8000"},  {9, "G722/8000"},  {10, "L16/44100"}, {11, "L16/44100"},
    {12, "QCELP/8000"}, {13, "CN/8000"},   {14, "MPA/90000"}, {15, "G728/8000"}, {16, "DVI4/11025"},
    {17, "DVI4/22050"}, {18, "G729/8000"},
};

static const char *const sdp_dir_names[] = {
    [ACD_SDP_SENDRECV] = "sendrecv",
    [ACD_SDP_SENDONLY] = "sendonly",
    [ACD_SDP_RECVONLY] = "recvonly",
    [ACD_SDP_INACTIVE] = "inactive",
};

/* Parsing state across lines. */
typedef struct sdp_state {
    bool seen_v, seen_o, seen_s, seen_t;
    bool in_media;    /* past the first m= line */
    bool in_chosen;   /* inside the stream being filled */
    bool chosen_done; /* a stream was chosen (and may have ended) */
    bool media_c;     /* the chosen stream had its own c= */
    char sess_addr[64];
    int sess_family;
    acd_sdp_dir_t sess_dir;
    bool media_dir; /* the chosen stream had its own direction */
} sdp_state_t;

/* Splits off the next space-separated field of *s (single spaces, RFC 4566 5). */
static acd_str_t sdp_field(acd_str_t *s)
{
    size_t i = 0;
    while (i < s->n && s->p[i] != ' ')
        i++;
    acd_str_t f = {s->p, i};
    s->p += i < s->n ? i + 1 : i;
    s->n -= i < s->n ? i + 1 : i;
    return f;
}

static int sdp_uint(acd_str_t s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 20)
        return ACD_EPARSE;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return ACD_EPARSE;
        uint64_t d = (uint64_t)(s.p[i] - '0');
        if (v > (max - d) / 10)
            return ACD_EPARSE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* "IN IP4 <addr>[/ttl]" into addr and family; the address must be numeric. */
static int sdp_conn(acd_str_t v, char *addr, size_t cap, int *family)
{
    acd_str_t net = sdp_field(&v), type = sdp_field(&v), a = sdp_field(&v);
    if (!acd_str_eqc(net, "IN") || v.n || a.n == 0)
        return ACD_EPARSE;
    const char *slash = memchr(a.p, '/', a.n);
    if (slash)
        a.n = (size_t)(slash - a.p);
    int fam = acd_str_eqc(type, "IP4") ? AF_INET : acd_str_eqc(type, "IP6") ? AF_INET6 : 0;
    unsigned char bin[16];
    if (!fam || a.n >= cap)
        return ACD_EPARSE;
    acd_str_copy(addr, cap, a);
    if (inet_pton(fam, addr, bin) != 1)
        return ACD_EPARSE;
    *family = fam;
    return 0;
}

static int sdp_origin(acd_str_t v, acd_sdp_t *out)
{
    acd_str_t user = sdp_field(&v), id = sdp_field(&v), ver = sdp_field(&v);
    acd_str_t net = sdp_field(&v), type = sdp_field(&v), addr = sdp_field(&v);
    if (user.n == 0 || user.n >= sizeof(out->origin_user) || !acd_str_eqc(net, "IN") ||
        type.n == 0 || addr.n == 0 || v.n)
        return ACD_EPARSE;
    acd_str_copy(out->origin_user, sizeof(out->origin_user), user);
    if (sdp_uint(id, UINT64_MAX, &out->sess_id) < 0 ||
        sdp_uint(ver, UINT64_MAX, &out->sess_version) < 0)
        return ACD_EPARSE;
    return 0;
}

/* "audio <port>[/<n>] RTP/AVP <fmt> ...": fills port and fmts when it is the chosen one. */
static int sdp_media(acd_str_t v, sdp_state_t *st, acd_sdp_t *out)
{
    acd_str_t media = sdp_field(&v), port = sdp_field(&v), proto = sdp_field(&v);
    const char *slash = memchr(port.p, '/', port.n);
    uint64_t pv, fmt;
    if (slash)
        port.n = (size_t)(slash - port.p);
    if (media.n == 0 || proto.n == 0 || sdp_uint(port, 65535, &pv) < 0 || v.n == 0)
        return ACD_EPARSE;
    st->in_media = true;
    st->in_chosen =
        !st->chosen_done && acd_str_eqc(media, "audio") && acd_str_ieqc(proto, "RTP/AVP");
    if (!st->in_chosen)
        return 0;
    st->chosen_done = true;
    out->port = (uint16_t)pv;
    while (v.n) {
        acd_str_t f = sdp_field(&v);
        if (sdp_uint(f, 127, &fmt) < 0)
            return ACD_EPARSE;
        if (out->fmt_count == ACD_SDP_MAX_FMTS)
            continue; /* more formats than acdd could ever pick from: ignored */
        out->fmts[out->fmt_count] = (int)fmt;
        for (size_t i = 0; i < sizeof(sdp_static) / sizeof(sdp_static[0]); i++)
            if (sdp_static[i].pt == (int)fmt)
                snprintf(out->fmt_names[out->fmt_count], sizeof(out->fmt_names[0]), "%s",
                         sdp_static[i].name);
        out->fmt_count++;
    }
    return 0;
}

/* "rtpmap:<pt> <name>/<rate>[/<channels>]" for a format of the chosen stream. */
static int sdp_rtpmap(acd_str_t v, acd_sdp_t *out)
{
    acd_str_t pt = sdp_field(&v), enc = sdp_field(&v);
    uint64_t n;
    const char *slash = memchr(enc.p, '/', enc.n);
    if (sdp_uint(pt, 127, &n) < 0 || !slash || slash == enc.p || v.n)
        return ACD_EPARSE;
    /* Keep "name/rate" only: channels are 1 for everything acdd handles. */
    const char *slash2 = memchr(slash + 1, '/', enc.n - (size_t)(slash + 1 - enc.p));
    if (slash2)
        enc.n = (size_t)(slash2 - enc.p);
    for (int i = 0; i < out->fmt_count; i++) {
        if (out->fmts[i] != (int)n)
            continue;
        acd_str_copy(out->fmt_names[i], sizeof(out->fmt_names[i]), enc);
        if (enc.n >= 16 && strncasecmp(enc.p, "telephone-event/", 16) == 0)
            out->telephone_event_pt = (int)n;
    }
    return 0;
}

static int sdp_attr(acd_str_t v, sdp_state_t *st, acd_sdp_t *out)
{
    for (int d = 0; d < 4; d++) {
        if (!acd_str_eqc(v, sdp_dir_names[d]))
            continue;
        if (!st->in_media)
            st->sess_dir = (acd_sdp_dir_t)d;
        else if (st->in_chosen) {
            out->dir = (acd_sdp_dir_t)d;
            st->media_dir = true;
        }
        return 0;
    }
    if (!st->in_chosen)
        return 0;
    if (v.n > 7 && strncmp(v.p, "rtpmap:", 7) == 0)
        return sdp_rtpmap((acd_str_t){v.p + 7, v.n - 7}, out);
    if (v.n > 6 && strncmp(v.p, "ptime:", 6) == 0) {
        uint64_t ms;
        if (sdp_uint((acd_str_t){v.p + 6, v.n - 6}, 1000, &ms) < 0)
            return ACD_EPARSE;
        out->ptime = (int)ms;
    }
    return 0;
}

/* One "<type>=<value>" line. */
static int sdp_line(char type, acd_str_t v, sdp_state_t *st, acd_sdp_t *out)
{
    if (!st->seen_v && type != 'v')
        return ACD_EPARSE; /* v= must come first */
    switch (type) {
    case 'v':
        if (st->seen_v || !acd_str_eqc(v, "0"))
            return ACD_EPARSE;
        st->seen_v = true;
        return 0;
    case 'o':
        if (st->seen_o || st->in_media)
            return ACD_EPARSE;
        st->seen_o = true;
        return sdp_origin(v, out);
    case 's':
        st->seen_s = true;
        return 0;
    case 't':
        st->seen_t = true;
        return 0;
    case 'c':
        if (!st->in_media)
            return sdp_conn(v, st->sess_addr, sizeof(st->sess_addr), &st->sess_family);
        if (!st->in_chosen) {
            char ignored[64];
            int fam;
            return sdp_conn(v, ignored, sizeof(ignored), &fam);
        }
        st->media_c = true;
        return sdp_conn(v, out->addr, sizeof(out->addr), &out->addr_family);
    case 'm':
        return sdp_media(v, st, out);
    case 'a':
        return sdp_attr(v, st, out);
    default:
        /* i, u, e, p, b, z, k, r and future types: allowed, not needed. */
        return type >= 'a' && type <= 'z' ? 0 : ACD_EPARSE;
    }
}

int acd_sdp_parse(acd_str_t body, acd_sdp_t *out)
{
    if (!out || !body.p)
        return out ? ACD_EPARSE : -EINVAL;
    sdp_state_t st = {.sess_dir = ACD_SDP_SENDRECV};
    memset(out, 0, sizeof(*out));
    out->telephone_event_pt = -1;
    const char *p = body.p, *end = body.p + body.n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        acd_str_t line = {p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
        if (line.n && line.p[line.n - 1] == '\r')
            line.n--;
        if (line.n == 0) {
            /* Only trailing empty lines are tolerated. */
            while (p < end && (*p == '\r' || *p == '\n'))
                p++;
            if (p < end)
                return ACD_EPARSE;
            break;
        }
        if (line.n < 2 || line.p[1] != '=' || memchr(line.p, '\0', line.n))
            return ACD_EPARSE;
        int rc = sdp_line(line.p[0], (acd_str_t){line.p + 2, line.n - 2}, &st, out);
        if (rc < 0)
            return rc;
    }
    if (!st.seen_o || !st.seen_s || !st.seen_t || !st.chosen_done)
        return ACD_EPARSE;
    if (!st.media_c) {
        if (!st.sess_family)
            return ACD_EPARSE; /* RFC 4566 5.7: c= at session level or in every stream */
        memcpy(out->addr, st.sess_addr, sizeof(out->addr));
        out->addr_family = st.sess_family;
    }
    if (!st.media_dir)
        out->dir = st.sess_dir;
    return 0;
}

int acd_sdp_negotiate(const acd_sdp_t *offer, acd_codec_t *codec, int *te_pt)
{
    if (!offer || !codec || !te_pt)
        return -EINVAL;
    *codec = ACD_CODEC_NONE;
    *te_pt = -1;
    if (offer->port == 0)
        return ACD_ECODEC; /* a disabled stream offers nothing */
    for (int i = 0; i < offer->fmt_count; i++) {
        if (offer->fmts[i] == ACD_CODEC_PCMU || offer->fmts[i] == ACD_CODEC_PCMA) {
            *codec = (acd_codec_t)offer->fmts[i];
            break;
        }
    }
    if (*codec == ACD_CODEC_NONE)
        return ACD_ECODEC;
    *te_pt = offer->telephone_event_pt;
    return 0;
}

/* True when s is usable inside an SDP line field: non-empty, no spaces or line ends. */
static bool sdp_word_ok(const char *s)
{
    return s && *s && !strpbrk(s, " \t\r\n");
}

static const char *sdp_addrtype(const char *addr)
{
    return strchr(addr, ':') ? "IP6" : "IP4";
}

/* The session part: v, o, s, c, t. */
static int sdp_build_session(acd_buf_t *out, const char *user, uint64_t id, uint64_t ver,
                             const char *origin_addr, const char *conn_addr)
{
    return acd_buf_printf(
        out, "v=0\r\no=%s %llu %llu IN %s %s\r\ns=acdd\r\nc=IN %s %s\r\nt=0 0\r\n", user,
        (unsigned long long)id, (unsigned long long)ver, sdp_addrtype(origin_addr), origin_addr,
        sdp_addrtype(conn_addr), conn_addr);
}

/* The media attributes after the m= line: telephone-event, ptime, direction. */
static int sdp_build_tail(acd_buf_t *out, int te_pt, int ptime, acd_sdp_dir_t dir)
{
    int rc = 0;
    if (te_pt >= 0)
        rc = acd_buf_printf(out, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", te_pt,
                            te_pt);
    if (rc == 0 && ptime > 0)
        rc = acd_buf_printf(out, "a=ptime:%d\r\n", ptime);
    return rc ? rc : acd_buf_printf(out, "a=%s\r\n", sdp_dir_names[dir]);
}

int acd_sdp_build(acd_buf_t *out, const acd_sdp_local_t *l)
{
    if (!out || !l || !sdp_word_ok(l->origin_user) || !sdp_word_ok(l->addr) ||
        (l->codec != ACD_CODEC_NONE && l->codec != ACD_CODEC_PCMU && l->codec != ACD_CODEC_PCMA) ||
        l->te_pt < -1 || l->te_pt > 127 || l->te_pt == 0 || l->te_pt == 8 ||
        (unsigned)l->dir > ACD_SDP_INACTIVE)
        return -EINVAL;
    size_t start = out->n;
    int rc = sdp_build_session(out, l->origin_user, l->sess_id, l->sess_version, l->addr, l->addr);
    rc = rc ? rc : acd_buf_printf(out, "m=audio %u RTP/AVP", (unsigned)l->port);
    if (rc == 0 && l->codec == ACD_CODEC_NONE)
        rc = acd_buf_printf(out, " 0 8");
    else if (rc == 0)
        rc = acd_buf_printf(out, " %d", (int)l->codec);
    if (rc == 0 && l->te_pt >= 0)
        rc = acd_buf_printf(out, " %d", l->te_pt);
    rc = rc ? rc : acd_buf_printf(out, "\r\n");
    if (rc == 0 && l->codec != ACD_CODEC_PCMA)
        rc = acd_buf_printf(out, "a=rtpmap:0 PCMU/8000\r\n");
    if (rc == 0 && l->codec != ACD_CODEC_PCMU)
        rc = acd_buf_printf(out, "a=rtpmap:8 PCMA/8000\r\n");
    rc = rc ? rc : sdp_build_tail(out, l->te_pt, 20, l->dir);
    if (rc < 0) {
        out->n = start;
        if (out->p)
            out->p[start] = '\0';
    }
    return rc;
}

int acd_sdp_build_relayed(acd_buf_t *out, const acd_sdp_t *desc, const char *origin_user,
                          uint64_t sess_id, uint64_t sess_version, const char *origin_addr)
{
    if (!out || !desc || !sdp_word_ok(origin_user) || !sdp_word_ok(origin_addr) ||
        !sdp_word_ok(desc->addr) || desc->fmt_count < 0 || desc->fmt_count > ACD_SDP_MAX_FMTS ||
        (unsigned)desc->dir > ACD_SDP_INACTIVE)
        return -EINVAL;
    size_t start = out->n;
    int rc = sdp_build_session(out, origin_user, sess_id, sess_version, origin_addr, desc->addr);
    rc = rc ? rc : acd_buf_printf(out, "m=audio %u RTP/AVP", (unsigned)desc->port);
    for (int i = 0; rc == 0 && i < desc->fmt_count; i++)
        rc = acd_buf_printf(out, " %d", desc->fmts[i]);
    if (rc == 0 && desc->fmt_count == 0)
        rc = acd_buf_printf(out, " 0"); /* m= needs a format even on a rejected stream */
    rc = rc ? rc : acd_buf_printf(out, "\r\n");
    for (int i = 0; rc == 0 && i < desc->fmt_count; i++) {
        const char *name = desc->fmt_names[i];
        if (desc->fmts[i] == desc->telephone_event_pt || !name[0] || strpbrk(name, " \r\n"))
            continue; /* telephone-event is written with its fmtp below */
        rc = acd_buf_printf(out, "a=rtpmap:%d %.*s\r\n", desc->fmts[i],
                            (int)strnlen(name, sizeof(desc->fmt_names[i])), name);
    }
    rc = rc ? rc : sdp_build_tail(out, desc->telephone_event_pt, desc->ptime, desc->dir);
    if (rc < 0) {
        out->n = start;
        if (out->p)
            out->p[start] = '\0';
    }
    return rc;
}
