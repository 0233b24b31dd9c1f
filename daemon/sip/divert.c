/* divert.c - the forwarding reason from Diversion (RFC 5806) and History-Info (RFC 7044). */
#include "sip/divert.h"

#include <osipparser2/osip_parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/msg_int.h"
#include "util/err.h"

static const char *const divert_names[] = {
    [ACD_FWD_NONE] = "none",
    [ACD_FWD_UNCONDITIONAL] = "unconditional",
    [ACD_FWD_BUSY] = "user-busy",
    [ACD_FWD_NO_ANSWER] = "no-answer",
    [ACD_FWD_UNAVAILABLE] = "unavailable",
    [ACD_FWD_TIME_OF_DAY] = "time-of-day",
    [ACD_FWD_DND] = "do-not-disturb",
    [ACD_FWD_DEFLECTION] = "deflection",
    [ACD_FWD_OUT_OF_SERVICE] = "out-of-service",
    [ACD_FWD_AWAY] = "away",
    [ACD_FWD_UNKNOWN] = "unknown",
};

#define DIVERT_NNAMES (sizeof(divert_names) / sizeof(divert_names[0]))

/* RFC 4458 cause values (SIP response codes) and what they say about the forward. */
static const struct {
    int code;
    acd_fwd_reason_t reason;
} divert_causes[] = {
    {302, ACD_FWD_UNCONDITIONAL}, {486, ACD_FWD_BUSY},       {408, ACD_FWD_NO_ANSWER},
    {480, ACD_FWD_UNAVAILABLE},   {487, ACD_FWD_DEFLECTION}, {503, ACD_FWD_OUT_OF_SERVICE},
    {404, ACD_FWD_UNKNOWN},
};

const char *acd_fwd_reason_name(acd_fwd_reason_t reason)
{
    return (unsigned)reason < DIVERT_NNAMES ? divert_names[reason] : "?";
}

int acd_fwd_reason_parse(const char *name, acd_fwd_reason_t *out)
{
    if (!name || !out)
        return -EINVAL;
    /* follow-me (RFC 5806) is a forward the user set up: the business is not there. */
    if (strcasecmp(name, "follow-me") == 0) {
        *out = ACD_FWD_UNCONDITIONAL;
        return 0;
    }
    for (size_t i = 0; i < DIVERT_NNAMES; i++)
        if (strcasecmp(name, divert_names[i]) == 0) {
            *out = (acd_fwd_reason_t)i;
            return 0;
        }
    return -EINVAL;
}

static acd_fwd_reason_t divert_cause_reason(int code)
{
    for (size_t i = 0; i < sizeof(divert_causes) / sizeof(divert_causes[0]); i++)
        if (divert_causes[i].code == code)
            return divert_causes[i].reason;
    return ACD_FWD_UNKNOWN;
}

/* A status code: exactly three digits, 100..699; -1 otherwise. */
static int divert_code(acd_str_t s)
{
    s = acd__sip_trim(s);
    if (s.n != 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < 3; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v >= 100 && v <= 699 ? v : -1;
}

/*
 * Parses one name-addr (or addr-spec with header parameters) with libosip2. Returns a
 * new osip_from_t the caller frees with osip_from_free(), or NULL when it does not parse
 * or has no URI (or memory ran out: treated the same, as an unreadable entry).
 */
static osip_from_t *divert_parse(acd_str_t e)
{
    char *s = malloc(e.n + 1);
    osip_from_t *f = NULL;
    if (!s)
        return NULL;
    memcpy(s, e.p, e.n);
    s[e.n] = '\0';
    if (osip_from_init(&f) != 0) {
        free(s);
        return NULL;
    }
    if (osip_from_parse(f, s) != 0 || !f->url) {
        osip_from_free(f);
        f = NULL;
    }
    free(s);
    return f;
}

/* The user part of f's URI (a tel URI's number) into buf; "" when it has none. */
static void divert_user(const osip_from_t *f, char *buf, size_t len)
{
    const osip_uri_t *u = f->url;
    acd_str_t s = acd_str_from(u->username);
    if (!s.p && u->string && u->scheme && strcasecmp(u->scheme, "tel") == 0)
        s = (acd_str_t){u->string, strcspn(u->string, ";")};
    acd_str_copy(buf, len, s.p ? s : ACD_STR(""));
}

/* A parameter value without the quotes of a quoted-string. */
static acd_str_t divert_unquote(const char *v)
{
    acd_str_t s = acd__sip_trim(acd_str_from(v));
    if (s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"')
        s = (acd_str_t){s.p + 1, s.n - 2};
    return s;
}

/* The top (most recent) Diversion entry of hdr (RFC 5806). */
static void divert_diversion(acd_str_t hdr, acd_divert_t *out)
{
    out->source = "diversion";
    out->reason = ACD_FWD_UNKNOWN;
    out->counter = 1;
    acd_str_t e = ACD_STR_NULL;
    while (acd__sip_list_next(&hdr, &e) && e.n == 0)
        ;
    osip_from_t *f = e.n ? divert_parse(e) : NULL;
    if (!f)
        return;
    divert_user(f, out->from, sizeof(out->from));
    osip_generic_param_t *p = NULL;
    if (osip_from_param_get_byname(f, "reason", &p) == 0 && p && p->gvalue) {
        char name[32];
        acd_str_copy(name, sizeof(name), divert_unquote(p->gvalue));
        if (acd_fwd_reason_parse(name, &out->reason) < 0 || out->reason == ACD_FWD_NONE)
            out->reason = ACD_FWD_UNKNOWN;
    }
    p = NULL;
    if (osip_from_param_get_byname(f, "counter", &p) == 0 && p && p->gvalue) {
        acd_str_t c = divert_unquote(p->gvalue);
        int n = 0;
        for (size_t i = 0; i < c.n && c.p[i] >= '0' && c.p[i] <= '9' && n < 1000; i++)
            n = n * 10 + (c.p[i] - '0');
        if (n > 0 && n < 1000)
            out->counter = n;
    }
    osip_from_free(f);
}

/*
 * The cause of a Reason header value ("SIP;cause=486;text=\"Busy Here\""). Returns false
 * for another protocol (Q.850 ...); true for SIP with *code the cause, or -1 when the
 * cause is missing or malformed.
 */
static bool divert_reason_code(const char *v, int *code)
{
    size_t n = strcspn(v, ";");
    if (!acd_str_ieqc(acd__sip_trim((acd_str_t){v, n}), "SIP"))
        return false;
    *code = -1;
    for (const char *p = v + n; *p == ';';) {
        p++;
        size_t l = strcspn(p, ";");
        acd_str_t param = acd__sip_trim((acd_str_t){p, l});
        const char *eq = memchr(param.p, '=', param.n);
        if (eq &&
            acd_str_ieqc(acd__sip_trim((acd_str_t){param.p, (size_t)(eq - param.p)}), "cause"))
            *code = divert_code((acd_str_t){eq + 1, (size_t)(param.p + param.n - eq - 1)});
        p += l;
    }
    return true;
}

/* The last History-Info entry of hdr that carries a cause (RFC 7044, RFC 4458). */
static void divert_history(acd_str_t hdr, acd_divert_t *out)
{
    char prev[sizeof(out->from)] = "", user[sizeof(out->from)];
    bool bad = false;
    int causes = 0;
    acd_str_t e;
    while (acd__sip_list_next(&hdr, &e)) {
        if (e.n == 0)
            continue;
        osip_from_t *f = divert_parse(e);
        if (!f) {
            bad = true;
            prev[0] = '\0'; /* the next entry's diverting line is unknown */
            continue;
        }
        divert_user(f, user, sizeof(user));
        osip_uri_param_t *up = NULL;
        int code;
        bool carried = false;
        /* cause= names why the call was retargeted to this entry, from the previous one. */
        if (osip_uri_uparam_get_byname(f->url, "cause", &up) == 0 && up) {
            carried = true;
            out->reason =
                divert_cause_reason(up->gvalue ? divert_code(acd_str_from(up->gvalue)) : -1);
            memcpy(out->from, prev, sizeof(prev));
        }
        /* An escaped Reason names why this entry's own request ended: a later event. */
        up = NULL;
        if (osip_uri_uheader_get_byname(f->url, "Reason", &up) == 0 && up && up->gvalue &&
            divert_reason_code(up->gvalue, &code)) {
            carried = true;
            out->reason = divert_cause_reason(code);
            memcpy(out->from, user, sizeof(user));
        }
        causes += carried;
        memcpy(prev, user, sizeof(user));
        osip_from_free(f);
    }
    if (causes || bad)
        out->source = "history-info";
    if (!causes && bad)
        out->reason = ACD_FWD_UNKNOWN;
    out->counter = causes;
}

int acd_sip_divert(const acd_sip_msg_t *msg, acd_divert_t *out)
{
    if (!msg || !out)
        return -EINVAL;
    *out = (acd_divert_t){.reason = ACD_FWD_NONE, .source = ""};
    if (acd_str_present(msg->diversion))
        divert_diversion(msg->diversion, out);
    else if (acd_str_present(msg->history_info))
        divert_history(msg->history_info, out);
    return 0;
}
