/* script.c - what a caller hears and where the call goes: by tenant mode and forward reason. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/*
 * Every call gets a script when its INVITE arrives (docs/adr/0020): a greeting and a
 * first target. The tenant's `scripts:` are tried in order (first whose modes and
 * reasons match); with none matching, the built-in rules below apply. The target is a
 * string of the IVR's target grammar (acd_ivr_target_parse): "queue:sales!5",
 * "menu:main", "voicemail", "hours", "operator", "escalate", "callback", "hangup".
 *
 * A script whose first target is a queue enters the core at once, exactly as calls did
 * before scripts existed, so the queue keeps the caller's arrival time and a site
 * takeover sees it; every other target keeps the call in call control (stage != NONE)
 * until the IVR or the hours announcement sends it to a queue, or it ends (voicemail,
 * goodbye, hang-up), writing its own CDR (disposition voicemail or ivr).
 */

/* Forward reasons that say the client's own phone could not take the call. */
static bool script_conditional(acd_fwd_reason_t r)
{
    return r == ACD_FWD_BUSY || r == ACD_FWD_NO_ANSWER || r == ACD_FWD_UNAVAILABLE ||
           r == ACD_FWD_DND || r == ACD_FWD_AWAY || r == ACD_FWD_DEFLECTION;
}

/* The built-in script: see docs/answering.md for the table. */
static void script_default(const acd_cfg_tenant_t *tc, const call_t *call, const char **greeting,
                           char *then, size_t len)
{
    const char *queue = tc->queue ? tc->queue : "";
    bool vm = tc->voicemail;
    switch (call->mode) {
    case ACD_MODE_OPEN:
        if (script_conditional(call->fwd.reason)) {
            /* The client's line was busy or unanswered while the office is open: we answer
             * for them, never as "closed", and straight to a person. */
            *greeting = "busy_greeting";
            snprintf(then, len, "queue:%s", queue);
        } else {
            *greeting = "greeting";
            if (tc->ivr_entry)
                snprintf(then, len, "menu:%s", tc->ivr_entry);
            else
                snprintf(then, len, "queue:%s", queue);
        }
        return;
    case ACD_MODE_LUNCH:
        *greeting = script_conditional(call->fwd.reason) ? "busy_greeting" : "lunch";
        snprintf(then, len, "queue:%s", queue);
        return;
    case ACD_MODE_OVERRIDE:
        if (call->mode_open) {
            *greeting = "greeting";
            if (tc->ivr_entry)
                snprintf(then, len, "menu:%s", tc->ivr_entry);
            else
                snprintf(then, len, "queue:%s", queue);
            return;
        }
        *greeting = "closed";
        snprintf(then, len, "%s", vm ? "voicemail" : "hours");
        return;
    case ACD_MODE_HOLIDAY:
        *greeting = "holiday";
        snprintf(then, len, "%s", vm ? "voicemail" : "hours");
        return;
    case ACD_MODE_AFTER_HOURS:
    default:
        *greeting = "closed";
        snprintf(then, len, "%s", vm ? "voicemail" : "hours");
        return;
    }
}

void acd__script_choose(acd_callctl_t *cc, call_t *call, const acd_sip_msg_t *req)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    if (req)
        (void)acd_sip_divert(req, &call->fwd);
    acd_mode_info_t mi = {.mode = ACD_MODE_OPEN, .open = true};
    int rc = acd__tstate_mode(cc, call->tenant, acd__cc_now(cc), &mi);
    if (rc < 0)
        acd_log_warn("ACD-SCRIPT-MODE", "call=%s tenant=%s: mode unknown (%s), taken as open",
                     call->id, call->tenant, acd_strerror(rc));
    call->mode = mi.mode;
    call->mode_open = mi.open;
    const char *greeting = "greeting";
    call->then[0] = '\0';
    if (tc) {
        for (size_t i = 0; i < tc->n_scripts; i++) {
            const acd_cfg_script_t *s = &tc->scripts[i];
            if (s->modes && !(s->modes & (1u << call->mode)))
                continue;
            if (s->reasons && !(s->reasons & (1u << call->fwd.reason)))
                continue;
            greeting = s->greeting ? s->greeting : greeting;
            snprintf(call->then, sizeof(call->then), "%s", s->then ? s->then : "");
            break;
        }
        if (!call->then[0])
            script_default(tc, call, &greeting, call->then, sizeof(call->then));
    } else {
        snprintf(call->then, sizeof(call->then), "queue:");
    }
    if (!acd_media_has_prompt(cc->media, call->lang, greeting))
        greeting = "greeting";
    snprintf(call->greeting, sizeof(call->greeting), "%s", greeting);
    acd_log_info("ACD-SCRIPT", "call=%s tenant=%s mode=%s reason=%s from=%s greeting=%s then=%s",
                 call->id, call->tenant, acd_mode_name(call->mode),
                 acd_fwd_reason_name(call->fwd.reason), call->fwd.from[0] ? call->fwd.from : "-",
                 call->greeting, call->then);
}

bool acd__script_queue_first(const call_t *call, char *queue, size_t len, int *priority)
{
    acd_ivr_target_t t;
    if (acd_ivr_target_parse(call->then, &t) < 0 || t.go != ACD_IVR_GO_QUEUE)
        return false;
    snprintf(queue, len, "%s", t.target);
    *priority = t.priority;
    return true;
}

/* The header on the agent's INVITE that tells them how the call came (docs/api.md). */
int acd__script_agent_header(acd_callctl_t *cc, const call_t *call, char *out, size_t len)
{
    const char *ins = acd__tstate_instructions(cc, call->tenant);
    const acd_override_t *ov = acd__tstate_override(cc, call->tenant);
    char text[2 * 256 + 2];
    size_t n = 0;
    /* A quoted-string (RFC 3261 25.1) cannot hold raw CR/LF or an unescaped quote. */
    for (const char *p = ins; *p && n + 2 < sizeof(text); p++) {
        if (*p == '"' || *p == '\\')
            text[n++] = '\\';
        text[n++] = (*p == '\r' || *p == '\n') ? ' ' : *p;
    }
    text[n] = '\0';
    return snprintf(out, len,
                    "X-ACD-Context: tenant=%s;mode=%s;reason=%s%s%s;override=%s;"
                    "instructions=\"%s\"\r\n",
                    call->tenant, acd_mode_name(call->mode), acd_fwd_reason_name(call->fwd.reason),
                    call->fwd.from[0] ? ";diverted-from=" : "", call->fwd.from,
                    ov ? acd_override_kind_name(ov->kind) : "none", text);
}
