/* frame.c - SIP stream framing: keep-alives, end of headers and Content-Length. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "sip/transport_int.h"
#include "util/err.h"
#include "util/str.h"

static bool frame_is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Parses the value of one Content-Length header: the bytes after the colon up to the
 * line's CRLF (exclusive). Stores the value, saturated just above max, in *out.
 * Returns 0 or ACD_EPARSE when it is not a plain decimal number.
 */
static int frame_parse_length(const char *p, const char *end, size_t max, size_t *out)
{
    while (p < end && frame_is_ws(*p))
        p++;
    if (p == end || *p < '0' || *p > '9')
        return ACD_EPARSE;
    size_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (v <= max)
            v = v * 10 + (size_t)(*p - '0');
    }
    while (p < end && frame_is_ws(*p))
        p++;
    if (p != end)
        return ACD_EPARSE;
    *out = v > max ? max + 1 : v;
    return 0;
}

/*
 * Finds Content-Length (or its compact form "l") among the header lines of
 * p[0..hlen), where hlen includes the final empty line. The start line is skipped;
 * continuation lines (leading whitespace) never start a header. Returns 0 with *out
 * set, or ACD_EPARSE when the header is missing, malformed or given twice differently.
 */
static int frame_content_length(const char *p, size_t hlen, size_t max, size_t *out)
{
    const char *end = p + hlen;
    const char *line = memmem(p, hlen, "\r\n", 2);
    bool found = false;
    size_t value = 0;

    while (line && (line += 2) < end) {
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!eol || eol == line)
            break;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon && !frame_is_ws(*line)) {
            const char *name_end = colon;
            while (name_end > line && frame_is_ws(name_end[-1]))
                name_end--;
            acd_str_t name = {line, (size_t)(name_end - line)};
            if (acd_str_ieqc(name, "content-length") || acd_str_ieqc(name, "l")) {
                size_t v;
                if (frame_parse_length(colon + 1, eol, max, &v) < 0)
                    return ACD_EPARSE;
                if (found && v != value)
                    return ACD_EPARSE;
                found = true;
                value = v;
            }
        }
        line = eol;
    }
    if (!found)
        return ACD_EPARSE;
    *out = value;
    return 0;
}

int acd__sip_frame(const char *p, size_t n, size_t max, size_t *used)
{
    static const char ping[] = "\r\n\r\n";

    *used = 0;
    if (n == 0)
        return ACD__SIP_FRAME_MORE;
    if (p[0] == '\r' || p[0] == '\n') {
        size_t k = 0;
        while (k < n && k < 4 && p[k] == ping[k])
            k++;
        if (k == 4) {
            *used = 4;
            return ACD__SIP_FRAME_PING;
        }
        /* A ping may still be arriving; anything else before a start line is noise. */
        if (k == n)
            return ACD__SIP_FRAME_MORE;
        *used = k ? k : 1;
        return ACD__SIP_FRAME_SKIP;
    }

    const char *eoh = memmem(p, n, ping, 4);
    if (!eoh)
        return n > max ? -EMSGSIZE : ACD__SIP_FRAME_MORE;
    size_t hlen = (size_t)(eoh - p) + 4;
    if (hlen > max)
        return -EMSGSIZE;
    size_t clen;
    int rc = frame_content_length(p, hlen, max, &clen);
    if (rc < 0)
        return rc;
    if (clen > max - hlen)
        return -EMSGSIZE;
    if (n - hlen < clen)
        return ACD__SIP_FRAME_MORE;
    *used = hlen + clen;
    return ACD__SIP_FRAME_MSG;
}
