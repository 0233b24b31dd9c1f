/* msg_hdr.c - names in SIP messages (headers, compact forms, methods) and header lookup. */
#include <stdlib.h>
#include <string.h>

#include "sip/msg.h"
#include "sip/msg_int.h"

const acd__sip_hdr_def_t acd__sip_hdr_defs[ACD__SIP_H_COUNT] = {
#define ACD__SIP_HDR_DEF(id, name, compact, list)                                                  \
    {name, compact, list, "Malformed " name " header"},
    ACD__SIP_HEADERS(ACD__SIP_HDR_DEF)
#undef ACD__SIP_HDR_DEF
};

static const char *const hdr_method_names[] = {
    [ACD_SIP_UNKNOWN] = "UNKNOWN",
    [ACD_SIP_INVITE] = "INVITE",
    [ACD_SIP_ACK] = "ACK",
    [ACD_SIP_BYE] = "BYE",
    [ACD_SIP_CANCEL] = "CANCEL",
    [ACD_SIP_OPTIONS] = "OPTIONS",
    [ACD_SIP_REGISTER] = "REGISTER",
    [ACD_SIP_INFO] = "INFO",
    [ACD_SIP_UPDATE] = "UPDATE",
    [ACD_SIP_PRACK] = "PRACK",
    [ACD_SIP_SUBSCRIBE] = "SUBSCRIBE",
    [ACD_SIP_NOTIFY] = "NOTIFY",
    [ACD_SIP_REFER] = "REFER",
    [ACD_SIP_MESSAGE] = "MESSAGE",
    [ACD_SIP_PUBLISH] = "PUBLISH",
};

#define HDR_NMETHODS (int)(sizeof(hdr_method_names) / sizeof(hdr_method_names[0]))

acd_sip_method_t acd_sip_method_from(acd_str_t token)
{
    /* Methods are case-sensitive (RFC 3261 7.1). */
    for (int i = 1; i < HDR_NMETHODS; i++)
        if (acd_str_eqc(token, hdr_method_names[i]))
            return (acd_sip_method_t)i;
    return ACD_SIP_UNKNOWN;
}

const char *acd_sip_method_name(acd_sip_method_t m)
{
    return (int)m > 0 && (int)m < HDR_NMETHODS ? hdr_method_names[m] : "UNKNOWN";
}

static bool hdr_ws(char c)
{
    return c == ' ' || c == '\t';
}

static acd_str_t hdr_sub(acd_str_t s, size_t from, size_t to)
{
    return (acd_str_t){s.p + from, to - from};
}

acd_str_t acd__sip_trim(acd_str_t s)
{
    while (s.n && hdr_ws(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && hdr_ws(s.p[s.n - 1]))
        s.n--;
    return s;
}

bool acd__sip_list_next(acd_str_t *rest, acd_str_t *elem)
{
    if (!rest->p)
        return false;
    bool inq = false, esc = false;
    int angle = 0;
    for (size_t i = 0; i < rest->n; i++) {
        char c = rest->p[i];
        if (esc)
            esc = false;
        else if (inq)
            esc = c == '\\', inq = c != '"';
        else if (c == '"')
            inq = true;
        else if (c == '<')
            angle++;
        else if (c == '>' && angle > 0)
            angle--;
        else if (c == ',' && angle == 0) {
            *elem = acd__sip_trim(hdr_sub(*rest, 0, i));
            *rest = hdr_sub(*rest, i + 1, rest->n);
            return true;
        }
    }
    *elem = acd__sip_trim(*rest);
    *rest = ACD_STR_NULL;
    return true;
}

int acd__sip_hdr_id(acd_str_t name)
{
    for (int i = 0; i < ACD__SIP_H_COUNT; i++)
        if (acd_str_ieqc(name, acd__sip_hdr_defs[i].name) ||
            (name.n == 1 && acd__sip_hdr_defs[i].compact &&
             acd_str_ieqc(name, acd__sip_hdr_defs[i].compact)))
            return i;
    return -1;
}

const char *acd__sip_msg_keep(acd_sip_msg_t *m, const char *s, size_t n)
{
    acd__sip_kept_t *k = malloc(sizeof(*k) + n + 1);
    if (!k)
        return NULL;
    if (n)
        memcpy(k->data, s, n);
    k->data[n] = '\0';
    k->next = m->priv->kept;
    m->priv->kept = k;
    return k->data;
}

const char *acd__sip_msg_problem(const acd_sip_msg_t *m)
{
    return m->priv->problem;
}

acd_str_t acd__sip_msg_version(const acd_sip_msg_t *m)
{
    return m->priv->version;
}

size_t acd__sip_msg_body_avail(const acd_sip_msg_t *m)
{
    return m->priv->raw_len - m->priv->body_off;
}

long long acd__sip_msg_content_length(const acd_sip_msg_t *m)
{
    return m->priv->content_length;
}

void acd__sip_hdr_iter_init(acd__sip_hdr_iter_t *it, const acd_sip_msg_t *m, const char *name)
{
    memset(it, 0, sizeof(*it));
    it->m = m;
    it->name = acd_str_from(name ? name : "");
    it->id = acd__sip_hdr_id(it->name);
    it->list = it->id >= 0 && acd__sip_hdr_defs[it->id].list;
}

bool acd__sip_hdr_next(acd__sip_hdr_iter_t *it, acd_str_t *value)
{
    const struct acd__sip_msg_int *pi = it->m->priv;
    for (;;) {
        acd_str_t e;
        while (it->rest.p && acd__sip_list_next(&it->rest, &e))
            if (e.n) {
                *value = e;
                return true;
            }
        it->rest = ACD_STR_NULL;
        const acd__sip_hdr_t *h = NULL;
        while (!h && it->next_hdr < pi->hdr_count) {
            h = &pi->hdrs[it->next_hdr++];
            if (it->id >= 0 ? h->id != it->id : !acd_str_ieq(h->name, it->name))
                h = NULL;
        }
        if (!h)
            return false;
        if (!it->list) {
            *value = h->value;
            return true;
        }
        it->rest = h->value;
    }
}

acd_str_t acd_sip_msg_header(const acd_sip_msg_t *m, const char *name)
{
    acd_str_t v = ACD_STR_NULL;
    return acd_sip_msg_headers(m, name, &v, 1) == 1 ? v : ACD_STR_NULL;
}

int acd_sip_msg_headers(const acd_sip_msg_t *m, const char *name, acd_str_t *out, int max)
{
    if (!m || !name || !out)
        return 0;
    acd__sip_hdr_iter_t it;
    acd__sip_hdr_iter_init(&it, m, name);
    int n = 0;
    while (n < max && acd__sip_hdr_next(&it, &out[n]))
        n++;
    return n;
}
