/* ivr.c - nested DTMF menus: compiling a tenant's menus and stepping one caller through them. */
#include "acd/ivr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/*
 * A compiled IVR is one allocation: this header, the menus, then every menu's options,
 * then every string. The menus' pointers point into the same block, so the IVR is
 * immutable, freed with one free(), and steps can hand out its strings by pointer.
 */
struct acd_ivr {
    size_t n;
    size_t entry;
    acd_ivr_menu_t menus[];
};

static const char *const ivr_go_names[] = {
    [ACD_IVR_GO_NONE] = "none",         [ACD_IVR_GO_QUEUE] = "queue",
    [ACD_IVR_GO_MENU] = "menu",         [ACD_IVR_GO_VOICEMAIL] = "voicemail",
    [ACD_IVR_GO_HOURS] = "hours",       [ACD_IVR_GO_OPERATOR] = "operator",
    [ACD_IVR_GO_CALLBACK] = "callback", [ACD_IVR_GO_ESCALATE] = "escalate",
    [ACD_IVR_GO_REPEAT] = "repeat",     [ACD_IVR_GO_HANGUP] = "hangup",
};

#define IVR_NGO (sizeof(ivr_go_names) / sizeof(ivr_go_names[0]))

const char *acd_ivr_go_name(acd_ivr_go_t go)
{
    return (unsigned)go < IVR_NGO ? ivr_go_names[go] : "?";
}

/* ---- targets ---- */

/* A queue or menu name: 1..63 printable bytes, no space, ':' or '!'. */
static bool ivr_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= ACD_IVR_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' || s[i] == '!')
            return false;
    return true;
}

static bool ivr_named(acd_ivr_go_t go)
{
    return go == ACD_IVR_GO_QUEUE || go == ACD_IVR_GO_MENU;
}

int acd_ivr_target_parse(const char *text, acd_ivr_target_t *out)
{
    if (!text || !out)
        return -EINVAL;
    const char *colon = strchr(text, ':');
    size_t kn = colon ? (size_t)(colon - text) : strlen(text);
    acd_ivr_target_t t = {.go = ACD_IVR_GO_NONE};
    for (size_t i = 1; i < IVR_NGO; i++)
        if (strlen(ivr_go_names[i]) == kn && strncmp(text, ivr_go_names[i], kn) == 0)
            t.go = (acd_ivr_go_t)i;
    if (t.go == ACD_IVR_GO_NONE || ivr_named(t.go) != (colon != NULL))
        return -EINVAL;
    if (!colon) {
        *out = t;
        return 0;
    }
    const char *name = colon + 1;
    const char *pc = t.go == ACD_IVR_GO_QUEUE ? strchr(name, '!') : NULL;
    size_t nn = pc ? (size_t)(pc - name) : strlen(name);
    if (!ivr_name_ok(name, nn))
        return -EINVAL;
    memcpy(t.target, name, nn);
    if (pc && strcmp(pc + 1, "urgent") == 0) {
        t.priority = ACD_IVR_PRIORITY_URGENT;
    } else if (pc) {
        const char *p = pc + 1;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 3 || p[digits] != '\0' || atoi(p) > ACD_IVR_PRIORITY_MAX)
            return -EINVAL;
        t.priority = atoi(p);
    }
    *out = t;
    return 0;
}

int acd_ivr_target_format(const acd_ivr_target_t *t, char *buf, size_t len)
{
    const char *go = acd_ivr_go_name(t->go);
    if (t->go == ACD_IVR_GO_QUEUE && t->priority)
        return snprintf(buf, len, "%s:%s!%d", go, t->target, t->priority);
    if (ivr_named(t->go))
        return snprintf(buf, len, "%s:%s", go, t->target);
    return snprintf(buf, len, "%s", go);
}

/* ---- compiling ---- */

/* Index of the menu called name in menus[0..n), or -1. */
static long ivr_index(const acd_ivr_menu_t *menus, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(menus[i].name, name) == 0)
            return (long)i;
    return -1;
}

static bool ivr_key_ok(char k)
{
    return (k >= '0' && k <= '9') || k == '*' || k == '#';
}

/* Checks a target of menu m: a valid kind, a queue name, an existing menu. */
static int ivr_check_target(const acd_ivr_menu_t *menus, size_t n, const acd_ivr_menu_t *m,
                            const char *what, const acd_ivr_target_t *t, char *err, size_t errlen)
{
    size_t tn = strnlen(t->target, ACD_IVR_NAME_MAX);
    if (t->go <= ACD_IVR_GO_NONE || (unsigned)t->go >= IVR_NGO)
        return acd_err_invalid(err, errlen, "menu '%s': %s has no valid target", m->name, what);
    if (ivr_named(t->go) && !ivr_name_ok(t->target, tn))
        return acd_err_invalid(err, errlen, "menu '%s': %s has no valid %s name", m->name, what,
                        acd_ivr_go_name(t->go));
    if (t->go == ACD_IVR_GO_MENU && ivr_index(menus, n, t->target) < 0)
        return acd_err_invalid(err, errlen, "menu '%s': %s goes to unknown menu '%s'", m->name, what,
                        t->target);
    if (t->priority < 0 || t->priority > ACD_IVR_PRIORITY_MAX)
        return acd_err_invalid(err, errlen, "menu '%s': %s has priority %d outside 0..%d", m->name, what,
                        t->priority, ACD_IVR_PRIORITY_MAX);
    return 0;
}

/* True when following on_timeout menus from start never leaves the menus. */
static bool ivr_timeout_loops(const acd_ivr_menu_t *menus, size_t n, size_t start)
{
    size_t cur = start;
    for (size_t steps = 0; steps <= n; steps++) {
        const acd_ivr_target_t *t = &menus[cur].on_timeout;
        long next = t->go == ACD_IVR_GO_MENU ? ivr_index(menus, n, t->target) : -1;
        if (next < 0)
            return false;
        cur = (size_t)next;
    }
    return true;
}

static int ivr_check_menu(const acd_ivr_menu_t *menus, size_t n, size_t i, char *err, size_t errlen)
{
    const acd_ivr_menu_t *m = &menus[i];
    if (!m->name || !ivr_name_ok(m->name, strlen(m->name)))
        return acd_err_invalid(err, errlen, "menu %zu: no valid name", i);
    if (ivr_index(menus, i, m->name) >= 0)
        return acd_err_invalid(err, errlen, "menu '%s': defined twice", m->name);
    if (!m->prompt || !*m->prompt)
        return acd_err_invalid(err, errlen, "menu '%s': no prompt", m->name);
    if (m->timeout_ms < 0 || m->retries < 0)
        return acd_err_invalid(err, errlen, "menu '%s': negative timeout or retries", m->name);
    if (m->n_options && !m->options)
        return acd_err_invalid(err, errlen, "menu '%s': no option array", m->name);
    for (size_t k = 0; k < m->n_options; k++) {
        char key = m->options[k].key, what[16];
        if (!ivr_key_ok(key))
            return acd_err_invalid(err, errlen, "menu '%s': option %zu has key 0x%02x, not 0-9 * #",
                            m->name, k, (unsigned char)key);
        for (size_t j = 0; j < k; j++)
            if (m->options[j].key == key)
                return acd_err_invalid(err, errlen, "menu '%s': key '%c' used twice", m->name, key);
        snprintf(what, sizeof(what), "key '%c'", key);
        int rc = ivr_check_target(menus, n, m, what, &m->options[k].target, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (m->on_timeout.go == ACD_IVR_GO_NONE)
        return 0;
    if (m->on_timeout.go == ACD_IVR_GO_REPEAT)
        return acd_err_invalid(err, errlen, "menu '%s': on_timeout cannot repeat", m->name);
    int rc = ivr_check_target(menus, n, m, "on_timeout", &m->on_timeout, err, errlen);
    if (rc == 0 && ivr_timeout_loops(menus, n, i))
        rc = acd_err_invalid(err, errlen, "menu '%s': on_timeout menus lead back in a loop", m->name);
    return rc;
}

/* Copies s to *cur (advanced past its NUL); NULL stays NULL. */
static const char *ivr_put(char **cur, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*cur, s, n);
    *cur += n;
    return d;
}

static size_t ivr_strsize(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

int acd_ivr_alloc(acd_ivr_t **ip, const acd_ivr_menu_t *menus, size_t n, const char *entry,
                  char *err, size_t errlen)
{
    if (!ip || !menus || n == 0 || !entry || n > SIZE_MAX / (2 * sizeof(*menus)))
        return acd_err_invalid(err, errlen, "no menus");
    size_t n_opts = 0, n_chars = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = ivr_check_menu(menus, n, i, err, errlen);
        if (rc < 0)
            return rc;
        const acd_ivr_menu_t *m = &menus[i];
        n_opts += m->n_options;
        n_chars += ivr_strsize(m->name) + ivr_strsize(m->prompt) + ivr_strsize(m->invalid_prompt) +
                   ivr_strsize(m->timeout_prompt);
    }
    long e = ivr_index(menus, n, entry);
    if (e < 0)
        return acd_err_invalid(err, errlen, "entry menu '%s' is not defined", entry);

    acd_ivr_t *ivr =
        malloc(sizeof(*ivr) + n * sizeof(*menus) + n_opts * sizeof(acd_ivr_option_t) + n_chars);
    if (!ivr)
        return -ENOMEM;
    ivr->n = n;
    ivr->entry = (size_t)e;
    acd_ivr_option_t *opt = (acd_ivr_option_t *)(ivr->menus + n);
    char *cur = (char *)(opt + n_opts);
    for (size_t i = 0; i < n; i++) {
        acd_ivr_menu_t *d = &ivr->menus[i];
        *d = menus[i];
        d->name = ivr_put(&cur, menus[i].name);
        d->prompt = ivr_put(&cur, menus[i].prompt);
        d->invalid_prompt = ivr_put(&cur, menus[i].invalid_prompt);
        d->timeout_prompt = ivr_put(&cur, menus[i].timeout_prompt);
        if (!d->timeout_ms)
            d->timeout_ms = ACD_IVR_DEFAULT_TIMEOUT_MS;
        if (d->n_options)
            memcpy(opt, menus[i].options, d->n_options * sizeof(*opt));
        d->options = d->n_options ? opt : NULL;
        opt += d->n_options;
    }
    *ip = ivr;
    return 0;
}

void acd_ivr_free(acd_ivr_t *ivr)
{
    free(ivr);
}

/* ---- stepping ---- */

static void ivr_play(const acd_ivr_menu_t *m, const char *before, acd_ivr_step_t *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = ACD_IVR_PLAY;
    out->menu = m->name;
    if (before)
        out->prompts[out->n_prompts++] = before;
    out->prompts[out->n_prompts++] = m->prompt;
    out->timeout_ms = m->timeout_ms;
}

static void ivr_route(const acd_ivr_menu_t *m, const acd_ivr_target_t *t, acd_ivr_step_t *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = ACD_IVR_ROUTE;
    out->menu = m->name;
    out->route = *t;
}

static const acd_ivr_menu_t *ivr_enter(const acd_ivr_t *ivr, acd_ivr_session_t *s, size_t i)
{
    const acd_ivr_menu_t *m = &ivr->menus[i];
    snprintf(s->menu, sizeof(s->menu), "%s", m->name);
    s->tries = 0;
    s->hops++;
    return m;
}

/*
 * The session's menu. When ivr has no such menu (a reload removed it) the session
 * restarts at the entry menu, *out says so (PLAY), and NULL is returned.
 */
static const acd_ivr_menu_t *ivr_current(const acd_ivr_t *ivr, acd_ivr_session_t *s,
                                         acd_ivr_step_t *out)
{
    long i = strnlen(s->menu, sizeof(s->menu)) < sizeof(s->menu)
                 ? ivr_index(ivr->menus, ivr->n, s->menu)
                 : -1;
    if (i >= 0)
        return &ivr->menus[i];
    ivr_play(ivr_enter(ivr, s, ivr->entry), NULL, out);
    return NULL;
}

/* Follows t from menu m: into a menu, a replay, or out of the IVR. */
static void ivr_go(const acd_ivr_t *ivr, acd_ivr_session_t *s, const acd_ivr_menu_t *m,
                   const acd_ivr_target_t *t, acd_ivr_step_t *out)
{
    static const acd_ivr_target_t to_operator = {.go = ACD_IVR_GO_OPERATOR};
    if (t->go == ACD_IVR_GO_MENU) {
        /* Compiled IVRs only name existing menus. */
        ivr_play(ivr_enter(ivr, s, (size_t)ivr_index(ivr->menus, ivr->n, t->target)), NULL, out);
    } else if (t->go == ACD_IVR_GO_REPEAT) {
        ivr_play(m, NULL, out);
    } else {
        ivr_route(m, t->go == ACD_IVR_GO_NONE ? &to_operator : t, out);
    }
}

/* An invalid key or a timeout: replay with prompt first, or give up to on_timeout. */
static void ivr_retry(const acd_ivr_t *ivr, acd_ivr_session_t *s, const acd_ivr_menu_t *m,
                      const char *prompt, acd_ivr_step_t *out)
{
    if (++s->tries > m->retries)
        ivr_go(ivr, s, m, &m->on_timeout, out);
    else
        ivr_play(m, prompt, out);
}

void acd_ivr_start(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out)
{
    memset(s, 0, sizeof(*s));
    ivr_play(ivr_enter(ivr, s, ivr->entry), NULL, out);
}

void acd_ivr_digit(const acd_ivr_t *ivr, acd_ivr_session_t *s, char digit, acd_ivr_step_t *out)
{
    s->digits++;
    const acd_ivr_menu_t *m = ivr_current(ivr, s, out);
    if (!m)
        return;
    for (size_t k = 0; ivr_key_ok(digit) && k < m->n_options; k++)
        if (m->options[k].key == digit) {
            ivr_go(ivr, s, m, &m->options[k].target, out);
            return;
        }
    ivr_retry(ivr, s, m, m->invalid_prompt, out);
}

void acd_ivr_timeout(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out)
{
    const acd_ivr_menu_t *m = ivr_current(ivr, s, out);
    if (m)
        ivr_retry(ivr, s, m, m->timeout_prompt, out);
}

void acd_ivr_resume(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out)
{
    const acd_ivr_menu_t *m = ivr_current(ivr, s, out);
    if (m)
        ivr_play(m, NULL, out);
}
