/* dtmf.c - DTMF decoding: RFC 4733 telephone-event packets and SIP INFO bodies. */
#include "media/dtmf.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "media/rtp.h"

/* Longest key press an INFO body may claim: a minute is already far beyond a human. */
#define DTMF_INFO_MAX_MS 60000
/*
 * A packet this far (10 s) behind the latest event is not late but from a sender that
 * restarted its clock under the same SSRC: it starts a new timeline.
 */
#define DTMF_REWIND_TS (10 * ACD_DTMF_RATE)

char acd_dtmf_digit(unsigned event)
{
    static const char digits[16] = "0123456789*#ABCD";
    return event < sizeof(digits) ? digits[event] : '\0';
}

int acd_dtmf_rfc4733_parse(const uint8_t *pkt, size_t len, int te_pt, acd_dtmf_event_t *out)
{
    acd_rtp_pkt_t p;
    if (acd__rtp_parse(pkt, len, &p) < 0)
        return -EINVAL;
    if ((int)p.h.pt != te_pt)
        return -ENOMSG;
    /* event (8) | E (1) R (1) volume (6) | duration (16), RFC 4733 figure 1. */
    if (p.payload_len < 4)
        return -EINVAL;
    const uint8_t *b = p.payload;
    char digit = acd_dtmf_digit(b[0]);
    if (!digit)
        return -ENOTSUP;
    out->digit = digit;
    out->event = b[0];
    out->end = (b[1] & 0x80) != 0;
    out->volume = b[1] & 0x3f;
    out->duration = (uint16_t)(b[2] << 8 | b[3]);
    out->ts = p.h.ts;
    out->seq = p.h.seq;
    out->ssrc = p.h.ssrc;
    return 0;
}

static void dtmf_press(acd__dtmf_press_t *p, const acd_dtmf_event_t *ev)
{
    p->digit = ev->digit;
    p->duration_ms = (int)((unsigned)ev->duration * 1000u / ACD_DTMF_RATE);
}

int acd__dtmf_rx_feed(acd__dtmf_rx_t *rx, const acd_dtmf_event_t *ev, acd__dtmf_press_t out[2])
{
    int n = 0;
    if (rx->seen && ev->ssrc == rx->cur.ssrc) {
        /* Serial number arithmetic: timestamps wrap around (RFC 3550 section 5.1). */
        int32_t age = (int32_t)(ev->ts - rx->cur.ts);
        if (age < 0 && age > -DTMF_REWIND_TS)
            return 0; /* a late packet of an event already superseded */
        if (age == 0) {
            if (!rx->active)
                return 0; /* the redundant end packets, or a resend after the end */
            /* Durations grow during an event; a reordered shorter one changes nothing. */
            if (ev->duration > rx->cur.duration || ev->end)
                rx->cur = *ev;
            if (rx->cur.end) {
                dtmf_press(&out[n++], &rx->cur);
                rx->active = false;
            }
            return n;
        }
    }
    /* A new event (or a new source): one that never ended is reported now. */
    if (rx->active)
        dtmf_press(&out[n++], &rx->cur);
    rx->seen = true;
    rx->cur = *ev;
    rx->active = !ev->end;
    if (ev->end)
        dtmf_press(&out[n++], ev);
    return n;
}

/* ---- SIP INFO ---- */

/* Skips blanks (SP, HTAB) at the start and the end of [*p, *end). */
static void dtmf_trim(const char **p, const char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
        (*end)--;
}

static bool dtmf_word_is(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) == n && strncasecmp(p, word, n) == 0;
}

/* Decodes a signal: one character 0-9 * # A-D (any case), or "10" / "11". */
static int dtmf_signal(const char *p, const char *end, char *digit)
{
    if (end - p == 2 && p[0] == '1' && (p[1] == '0' || p[1] == '1')) {
        *digit = p[1] == '0' ? '*' : '#';
        return 0;
    }
    if (end - p != 1)
        return -EINVAL;
    char c = *p;
    if (c >= 'a' && c <= 'd')
        c = (char)(c - 'a' + 'A');
    if ((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) {
        *digit = c;
        return 0;
    }
    return -EINVAL;
}

static int dtmf_duration(const char *p, const char *end, int *ms)
{
    int v = 0;
    if (p == end)
        return -EINVAL;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (*p - '0');
        if (v > DTMF_INFO_MAX_MS)
            return -EINVAL;
    }
    *ms = v;
    return 0;
}

/* application/dtmf-relay: "key=value" lines; Signal required once, Duration optional. */
static int dtmf_relay_parse(const char *body, size_t len, char *digit, int *duration_ms)
{
    const char *p = body, *end = body + len;
    bool have_signal = false, have_duration = false;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        const char *k = p, *k_end = line_end;
        dtmf_trim(&k, &k_end);
        p = next;
        if (k == k_end)
            continue; /* empty line */
        const char *eq = memchr(k, '=', (size_t)(k_end - k));
        if (!eq)
            return -EINVAL;
        const char *v = eq + 1, *v_end = k_end;
        k_end = eq;
        dtmf_trim(&k, &k_end);
        dtmf_trim(&v, &v_end);
        if (dtmf_word_is(k, k_end, "signal")) {
            if (have_signal || dtmf_signal(v, v_end, digit) < 0)
                return -EINVAL;
            have_signal = true;
        } else if (dtmf_word_is(k, k_end, "duration")) {
            if (have_duration || dtmf_duration(v, v_end, duration_ms) < 0)
                return -EINVAL;
            have_duration = true;
        }
        /* Other keys (some phones add their own) are ignored. */
    }
    return have_signal ? 0 : -EINVAL;
}

int acd_dtmf_info_parse(const char *content_type, size_t ct_len, const char *body, size_t len,
                        char *digit, int *duration_ms)
{
    if (!content_type || (!body && len) || !digit || !duration_ms)
        return -EINVAL;
    if (!body)
        body = ""; /* an empty body: no pointer arithmetic on NULL below */
    const char *t = content_type, *t_end = content_type + ct_len;
    const char *semi = memchr(t, ';', ct_len);
    if (semi)
        t_end = semi;
    dtmf_trim(&t, &t_end);
    char d = 0;
    int ms = 0;
    int rc = -EINVAL;
    if (dtmf_word_is(t, t_end, "application/dtmf-relay")) {
        rc = dtmf_relay_parse(body, len, &d, &ms);
    } else if (dtmf_word_is(t, t_end, "application/dtmf")) {
        const char *p = body, *end = body + len;
        while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
            end--;
        dtmf_trim(&p, &end);
        rc = dtmf_signal(p, end, &d);
    }
    if (rc < 0)
        return rc;
    *digit = d;
    *duration_ms = ms;
    return 0;
}
