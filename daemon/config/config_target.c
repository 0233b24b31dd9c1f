/* config_target.c - targets: where a menu key, a timeout, a script or an overflow sends a call. */
#include "config/config_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"

/* How each kind is written; queue and menu take a name after the colon. */
static const char *const target_words[ACD__CFG_T_COUNT] = {
    [ACD__CFG_T_QUEUE] = "queue:",        [ACD__CFG_T_MENU] = "menu:",
    [ACD__CFG_T_VOICEMAIL] = "voicemail", [ACD__CFG_T_HOURS] = "hours",
    [ACD__CFG_T_OPERATOR] = "operator",   [ACD__CFG_T_CALLBACK] = "callback",
    [ACD__CFG_T_ESCALATE] = "escalate",   [ACD__CFG_T_REPEAT] = "repeat",
    [ACD__CFG_T_HANGUP] = "hangup",
};

/* How each kind is shown in messages. */
static const char *const target_shown[ACD__CFG_T_COUNT] = {
    [ACD__CFG_T_QUEUE] = "queue:NAME[!urgent|!0..100]",
    [ACD__CFG_T_MENU] = "menu:NAME",
    [ACD__CFG_T_VOICEMAIL] = "voicemail",
    [ACD__CFG_T_HOURS] = "hours",
    [ACD__CFG_T_OPERATOR] = "operator",
    [ACD__CFG_T_CALLBACK] = "callback",
    [ACD__CFG_T_ESCALATE] = "escalate",
    [ACD__CFG_T_REPEAT] = "repeat",
    [ACD__CFG_T_HANGUP] = "hangup",
};

/* True when the n bytes at s are a name: letters, digits, '.', '_', '-'. */
static bool target_name_ok(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

/* Parses the text after '!' of a queue target: "urgent" or a priority 0..100. */
static int target_suffix(const char *s, acd__cfg_target_t *t)
{
    if (!strcmp(s, "urgent")) {
        t->urgent = true;
        return 0;
    }
    size_t nd = strspn(s, "0123456789");
    if (nd == 0 || nd > 3 || s[nd] != '\0')
        return -EINVAL;
    int p = 0;
    for (size_t i = 0; i < nd; i++)
        p = p * 10 + (s[i] - '0');
    if (p > 100)
        return -EINVAL;
    t->priority = p;
    return 0;
}

int acd__cfg_target_parse(const char *text, acd__cfg_target_t *out)
{
    if (!text || !out)
        return -EINVAL;
    acd__cfg_target_t t = {.priority = -1};
    for (int k = 0; k < ACD__CFG_T_COUNT; k++) {
        const char *w = target_words[k];
        size_t wl = strlen(w);
        bool named = w[wl - 1] == ':';
        if (named ? strncmp(text, w, wl) != 0 : strcmp(text, w) != 0)
            continue;
        t.kind = (acd__cfg_target_kind_t)k;
        if (!named) {
            *out = t;
            return 0;
        }
        const char *name = text + wl;
        const char *bang = k == ACD__CFG_T_QUEUE ? strchr(name, '!') : NULL;
        size_t n = bang ? (size_t)(bang - name) : strlen(name);
        if (!target_name_ok(name, n) || (bang && target_suffix(bang + 1, &t) < 0))
            return -EINVAL;
        t.name = (acd_str_t){name, n};
        *out = t;
        return 0;
    }
    return -EINVAL;
}

/* Appends the kinds in mask, then the words of extra (NULL-terminated, may be NULL), to
 * buf as "a, b or c". */
static int target_list(acd_buf_t *buf, uint32_t mask, const char *const *extra)
{
    const char *shown[ACD__CFG_T_COUNT + 8];
    size_t total = 0;
    for (int k = 0; k < ACD__CFG_T_COUNT; k++) {
        if (mask & ACD__CFG_T_BIT(k))
            shown[total++] = target_shown[k];
    }
    for (const char *const *w = extra; w && *w && total < sizeof(shown) / sizeof(shown[0]); w++)
        shown[total++] = *w;
    int rc = 0;
    for (size_t i = 0; i < total && rc == 0; i++)
        rc = acd_buf_printf(buf, "%s%s", i == 0 ? "" : i == total - 1 ? " or " : ", ", shown[i]);
    return rc;
}

/* Is s one of the words (NULL-terminated, may be NULL)? */
static bool target_word(const char *const *words, const char *s)
{
    for (const char *const *w = words; w && *w; w++) {
        if (strcmp(*w, s) == 0)
            return true;
    }
    return false;
}

/*
 * A target field may also take words that are not targets, listed in f->choices (exact
 * spelling): a queue's overflow takes "sister", which no menu or script can. They are
 * stored as text like targets, and acd__cfg_target_parse() refuses them, so checks that
 * resolve targets pass over them.
 */
void acd__cfg_read_target(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                          void *base)
{
    const char *s = acd__cfg_scalar(ctx, f, v, "a target");
    if (!s)
        return;
    uint32_t kinds = f->kinds ? f->kinds : ACD__CFG_T_ALL;
    acd__cfg_target_t t;
    bool parsed = acd__cfg_target_parse(s, &t) == 0;
    if ((parsed && (kinds & ACD__CFG_T_BIT(t.kind))) || (!parsed && target_word(f->choices, s))) {
        acd__cfg_read_string(ctx, f, v, base);
        return;
    }
    acd_buf_t known = {0};
    if (target_list(&known, kinds, f->choices) < 0)
        ctx->rc = -ENOMEM;
    if (parsed)
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "target '%.60s' is not allowed for '%s' (use %s)", s, f->key,
                       known.p ? known.p : "");
    else
        acd__cfg_error(ctx, acd__cfg_node_line(v), "unknown target '%.60s' for '%s' (use %s)", s,
                       f->key, known.p ? known.p : "");
    acd_buf_fini(&known);
}
