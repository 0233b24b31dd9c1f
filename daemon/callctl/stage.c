/* stage.c - a caller outside the queue: greeting, IVR menu, hours, goodbye; digits in. */
#include "callctl/callctl_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/say.h"
#include "util/err.h"
#include "util/log.h"

/*
 * After the answer a call is either in the core (it waits in a queue and hears music)
 * or in a stage here: it hears prompts and its digits (RFC 4733 events from its RTP,
 * SIP INFO) drive it. Each stage plays a list of prompts; when the list ends the
 * stage's next step runs (ended callback), and a digit barges in at any time (the
 * prompt stops). Timers use call->answer_timer, which is idle once the call is answered.
 *
 * Stages end in one of three ways: the call enters a queue (the core owns it from then
 * on, stage NONE), it ends here (goodbye, the caller hangs up: a CDR with disposition
 * ivr, or voicemail when a message was left), or voicemail.c records it.
 */

#define STAGE_WAIT_DIGIT_MS 6000 /* after "press 9 to leave a message" */

static void stage_go(acd_callctl_t *cc, call_t *call, const acd_ivr_target_t *t);

/* ---- playing ---- */

static void stage_ended_cb(void *ud);

/* Plays names (those the language has) and runs the stage's next step when they end. */
static void stage_play(call_t *call, const char *const *names, size_t n)
{
    const leg_t *leg = &call->caller;
    struct sockaddr_storage remote;
    const char *have[ACD_MEDIA_LIST_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < ACD_MEDIA_LIST_MAX; i++)
        if (names[i] && acd_media_has_prompt(call->cc->media, call->lang, names[i]))
            have[k++] = names[i];
    if (!leg->has_remote_sdp || !leg->remote_sdp.port ||
        acd_sockaddr_parse(leg->remote_sdp.addr, leg->remote_sdp.port, &remote) < 0 || k == 0) {
        stage_ended_cb(call); /* nothing to hear: go straight on */
        return;
    }
    int rc = acd_media_stream_play_list(call->media, (struct sockaddr *)&remote, call->codec,
                                        call->lang, have, k, NULL, stage_ended_cb, call);
    if (rc < 0) {
        acd_log_warn("ACD-STAGE-MEDIA", "call=%s err=%s", call->id, acd_errname(rc));
        stage_ended_cb(call);
    }
}

void acd__stage_play(call_t *call, const char *const *names, size_t n)
{
    call->stage_ended = NULL;
    stage_play(call, names, n);
}

static void stage_nothing(void *ud)
{
    (void)ud;
}

void acd__stage_play_then(call_t *call, const char *const *names, size_t n, void (*then)(void *ud))
{
    call->stage_ended = then ? then : stage_nothing;
    stage_play(call, names, n);
}

static void stage_timer_cb(uv_timer_t *h);

static void stage_wait(call_t *call, int ms)
{
    uv_timer_start(&call->answer_timer, stage_timer_cb, (uint64_t)(ms > 0 ? ms : 1), 0);
}

/* ---- ending here ---- */

void acd__stage_cdr(acd_callctl_t *cc, call_t *call, acd_disposition_t disp)
{
    if (call->cdr_done)
        return;
    call->cdr_done = true;
    int64_t now = acd__cc_now(cc);
    acd_cdr_t cdr = {.enqueue_ms = call->arrived_ms, .end_ms = now,
                     .wait_ms = now - call->arrived_ms, .disposition = disp};
    snprintf(cdr.call_id, sizeof(cdr.call_id), "%s", call->id);
    snprintf(cdr.tenant, sizeof(cdr.tenant), "%s", call->tenant);
    snprintf(cdr.did, sizeof(cdr.did), "%s", call->did);
    snprintf(cdr.caller, sizeof(cdr.caller), "%s", call->caller_num);
    snprintf(cdr.queue, sizeof(cdr.queue), "%s", call->queue); /* overflowed out of, else "" */
    if (call->oncall_answer_ms) { /* put through to the person on call */
        cdr.disposition = ACD_DISP_ANSWERED;
        cdr.answer_ms = call->oncall_answer_ms;
        cdr.wait_ms = call->oncall_answer_ms - call->arrived_ms;
        cdr.talk_ms = now - call->oncall_answer_ms;
        snprintf(cdr.agent, sizeof(cdr.agent), "oncall:%.56s", call->oncall_number);
    }
    if (cc->cdr)
        acd__cc_cdr_out(cc, &cdr);
    acd_log_info("ACD-CALL-END", "call=%s tenant=%s queue=- agent=- disposition=%s wait_ms=%lld"
                 " talk_ms=0 stage=%s", call->id, call->tenant, acd_disposition_name(disp),
                 (long long)cdr.wait_ms, acd__stage_name(call->stage));
}

/* Ends a call that never entered the core: BYE when up, CDR, free. */
void acd__stage_finish(acd_callctl_t *cc, call_t *call, acd_disposition_t disp)
{
    if (call->ended)
        return;
    uv_timer_stop(&call->answer_timer);
    acd__stage_cdr(cc, call, disp);
    call->stage = STAGE_NONE;
    acd__caller_release(cc, call);
    call->ended = true;
    acd__cc_call_maybe_free(cc, call);
}

void acd__stage_goodbye(call_t *call)
{
    static const char *const bye[] = {"goodbye"};
    call->stage = STAGE_GOODBYE;
    stage_play(call, bye, 1);
}

/* ---- the IVR ---- */

static void stage_ivr_step(acd_callctl_t *cc, call_t *call, const acd_ivr_step_t *st)
{
    if (st->kind == ACD_IVR_ROUTE) {
        acd_log_info("ACD-IVR-ROUTE", "call=%s menu=%s go=%s target=%s", call->id, call->ivr.menu,
                     acd_ivr_go_name(st->route.go), st->route.target);
        stage_go(cc, call, &st->route);
        return;
    }
    call->stage = STAGE_MENU;
    call->menu_timeout_ms = st->timeout_ms;
    stage_play(call, st->prompts, st->n_prompts);
}

static void stage_menu(acd_callctl_t *cc, call_t *call, const char *menu)
{
    const acd_ivr_t *ivr = acd__cc_ivr(cc, call->tenant);
    acd_ivr_step_t st;
    if (ivr) {
        /* Enter the script's menu; a name the IVR lacks starts at its entry menu. */
        memset(&call->ivr, 0, sizeof(call->ivr));
        snprintf(call->ivr.menu, sizeof(call->ivr.menu), "%s", menu);
        acd_ivr_resume(ivr, &call->ivr, &st);
    }
    if (!ivr) {
        acd_log_warn("ACD-IVR-NONE", "call=%s tenant=%s menu=%s: no such menu; to the operator",
                     call->id, call->tenant, menu);
        acd_ivr_target_t op = {.go = ACD_IVR_GO_OPERATOR};
        stage_go(cc, call, &op);
        return;
    }
    stage_ivr_step(cc, call, &st);
}

/* ---- queues ---- */

typedef struct stage_qfind {
    const char *name;
    bool found;
    size_t logged_in;
} stage_qfind_t;

static void stage_qfind_cb(void *ud, const acd_queue_view_t *v)
{
    stage_qfind_t *f = ud;
    if (strcmp(v->name, f->name) == 0) {
        f->found = true;
        f->logged_in = v->agents_logged_in;
    }
}

/* True when the queue can take the call: it exists, is open, and someone is logged in. */
static bool stage_queue_open(acd_callctl_t *cc, const call_t *call, const char *queue)
{
    stage_qfind_t qv = {.name = queue};
    acd_core_foreach_queue(cc->core, stage_qfind_cb, &qv);
    if (!qv.found)
        return false;
    if (!call->mode_open && call->mode != ACD_MODE_LUNCH)
        return false;
    return qv.logged_in > 0 || acd__cc_remote_logged_in(cc, queue) > 0;
}

static bool stage_saturated(acd_callctl_t *cc, const call_t *call);

static void stage_enqueue(acd_callctl_t *cc, call_t *call, const char *queue, int priority,
                          const char *why)
{
    acd_event_t ev = acd__cc_event(ACD_EV_CALL_ARRIVE, call->id, NULL);
    snprintf(ev.did, sizeof(ev.did), "%s", call->did);
    snprintf(ev.caller, sizeof(ev.caller), "%s", call->caller_num);
    snprintf(ev.queue, sizeof(ev.queue), "%s", queue);
    ev.priority = priority;
    call->stage = STAGE_NONE;
    uv_timer_stop(&call->answer_timer);
    acd__cc_feed(cc, &ev);
    call = acd__cc_call(cc, ev.call_id);
    if (!call || call->ended)
        return;
    acd_call_view_t v;
    if (acd_core_call(cc->core, call->id, &v) < 0) {
        /* The queue refused it (full, no such queue): say so and let the caller go. */
        static const char *const full[] = {"saturated", "goodbye"};
        call->stage = STAGE_GOODBYE;
        stage_play(call, full, 2);
        return;
    }
    call->in_core = true;
    acd_log_info("ACD-CALL-ARRIVED", "call=%s tenant=%s did=%s queue=%s via=%s priority=%d",
                 call->id, call->tenant, call->did, v.queue, why, v.priority);
    if (!call->bridged && !call->agent) {
        static const char *const full[] = {"saturated"};
        acd__caller_play_list(call, full, stage_saturated(cc, call) ? 1 : 0);
    }
}

/*
 * The tenant's real opening hours, spoken ("Our office hours are Monday to Friday from
 * nine a.m. to six p.m."), between the closed-department notice and the voicemail offer;
 * the recorded "hours" prompt when they cannot be said (a language without the words).
 */
static void stage_hours(call_t *call, bool dept_closed)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(call->cc->cfg, call->tenant);
    const char *list[ACD_MEDIA_LIST_MAX];
    size_t n = 0;
    if (dept_closed)
        list[n++] = "dept_closed";
    size_t said = 0;
    if (tc && tc->n_hours <= ACD_PROMPT_SAY_HOURS_MAX &&
        acd_media_has_prompt(call->cc->media, call->lang, "hours_intro")) {
        acd_say_span_t spans[ACD_PROMPT_SAY_HOURS_MAX];
        for (size_t i = 0; i < tc->n_hours; i++)
            spans[i] = (acd_say_span_t){.days = tc->hours[i].days,
                                        .start_min = tc->hours[i].start_min,
                                        .end_min = tc->hours[i].end_min};
        said = acd_prompt_say_hours(call->lang, spans, tc->n_hours, list + n,
                                    ACD_MEDIA_LIST_MAX - n - 1);
    }
    if (said > 0) {
        char words[512];
        size_t w = 0;
        for (size_t i = 0; i < said && w < sizeof(words); i++)
            w += (size_t)snprintf(words + w, sizeof(words) - w, "%s%s", i ? " " : "",
                                  list[n + i]);
        acd_log_info("ACD-STAGE-HOURS", "call=%s lang=%s words=\"%s\"", call->id, call->lang,
                     words);
    }
    n += said;
    if (said == 0)
        list[n++] = "hours";
    if (tc && tc->voicemail)
        list[n++] = "vm_offer";
    call->stage = STAGE_HOURS;
    stage_play(call, list, n);
}

/* Sends the call to target t (from a script or the IVR). */
static void stage_go(acd_callctl_t *cc, call_t *call, const acd_ivr_target_t *t)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    switch (t->go) {
    case ACD_IVR_GO_QUEUE:
    case ACD_IVR_GO_OPERATOR: {
        const char *q = t->go == ACD_IVR_GO_QUEUE && t->target[0] ? t->target
                        : tc && tc->operator_queue                ? tc->operator_queue
                        : tc && tc->queue                         ? tc->queue
                                                                  : "";
        if (!stage_queue_open(cc, call, q)) {
            acd_log_info("ACD-STAGE-DEPT-CLOSED", "call=%s queue=%s mode=%s", call->id, q,
                         acd_mode_name(call->mode));
            stage_hours(call, true);
            return;
        }
        stage_enqueue(cc, call, q, t->priority, t->go == ACD_IVR_GO_QUEUE ? "ivr" : "operator");
        return;
    }
    case ACD_IVR_GO_MENU:
        stage_menu(cc, call, t->target);
        return;
    case ACD_IVR_GO_VOICEMAIL:
        if (tc && tc->voicemail) {
            acd__vm_start(cc, call);
            return;
        }
        stage_hours(call, false);
        return;
    case ACD_IVR_GO_HOURS:
        stage_hours(call, false);
        return;
    case ACD_IVR_GO_ESCALATE:
        acd__oncall_start(cc, call);
        return;
    case ACD_IVR_GO_CALLBACK:
        acd__vhold_start(cc, call);
        return;
    case ACD_IVR_GO_HANGUP:
    case ACD_IVR_GO_REPEAT:
    case ACD_IVR_GO_NONE:
    default:
        acd__stage_goodbye(call);
        return;
    }
}

/* ---- events ---- */

/*
 * True when the caller found at least its queue's saturated_at calls waiting ahead: it
 * is told the queue is saturated (and still waits, or overflows by the queue's rules).
 */
static bool stage_saturated(acd_callctl_t *cc, const call_t *call)
{
    const acd_cfg_queue_t *q = acd__cc_queue_cfg(cc, call);
    acd_queue_stats_t st;
    if (!q || q->saturated_at <= 0 ||
        acd_core_queue_stats(cc->core, q->name, acd__cc_now(cc), &st) < 0)
        return false;
    if (st.waiting <= (size_t)q->saturated_at) /* the new caller finds saturated_at ahead */
        return false;
    acd_log_info("ACD-QUEUE-SATURATED", "call=%s queue=%s waiting=%zu saturated_at=%d", call->id,
                 q->name, st.waiting - 1, q->saturated_at);
    return true;
}

void acd__stage_answered(acd_callctl_t *cc, call_t *call)
{
    if (call->in_core) {
        const char *list[2] = {call->greeting, "saturated"};
        acd__caller_play_list(call, list, stage_saturated(cc, call) ? 2 : 1);
        return;
    }
    const char *g[] = {call->greeting, NULL};
    size_t n = 1;
    const acd_override_t *ov = acd__tstate_override(cc, call->tenant);
    if (ov && ov->kind == ACD_OVERRIDE_MESSAGE && call->mode == ACD_MODE_OVERRIDE)
        g[n++] = "back_soon"; /* the message itself is text for the agents */
    call->stage = STAGE_GREETING;
    stage_play(call, g, n);
}

static void stage_ended_cb(void *ud)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    if (call->ended)
        return;
    if (call->stage_ended) {
        void (*then)(void *) = call->stage_ended;
        call->stage_ended = NULL;
        then(call);
        return;
    }
    switch (call->stage) {
    case STAGE_GREETING: {
        acd_ivr_target_t t;
        if (acd_ivr_target_parse(call->then, &t) < 0)
            t = (acd_ivr_target_t){.go = ACD_IVR_GO_OPERATOR};
        stage_go(cc, call, &t);
        break;
    }
    case STAGE_MENU:
        stage_wait(call, call->menu_timeout_ms);
        break;
    case STAGE_HOURS:
        stage_wait(call, STAGE_WAIT_DIGIT_MS);
        break;
    case STAGE_GOODBYE:
        acd__stage_finish(cc, call, ACD_DISP_IVR);
        break;
    case STAGE_VM_PROMPT:
    case STAGE_VM_DONE:
        acd__vm_prompt_ended(cc, call);
        break;
    default:
        break;
    }
}

static void stage_timer_cb(uv_timer_t *h)
{
    call_t *call = h->data;
    acd_callctl_t *cc = call->cc;
    if (call->ended)
        return;
    if (call->stage == STAGE_MENU) {
        const acd_ivr_t *ivr = acd__cc_ivr(cc, call->tenant);
        acd_ivr_step_t st;
        if (!ivr) {
            acd__stage_goodbye(call);
            return;
        }
        acd_ivr_timeout(ivr, &call->ivr, &st);
        stage_ivr_step(cc, call, &st);
    } else if (call->stage == STAGE_HOURS) {
        acd__stage_goodbye(call);
    }
}

void acd__stage_digit(acd_callctl_t *cc, call_t *call, char digit, const char *via)
{
    if (call->ended)
        return;
    acd_log_info("ACD-DTMF", "call=%s digit=%c via=%s stage=%s", call->id, digit, via,
                 acd__stage_name(call->stage));
    acd_ivr_target_t first;
    if (call->stage == STAGE_GREETING && acd_ivr_target_parse(call->then, &first) == 0 &&
        first.go == ACD_IVR_GO_MENU && acd__cc_ivr(cc, call->tenant)) {
        /* Type-ahead: a caller who knows the menu need not sit through the greeting. */
        memset(&call->ivr, 0, sizeof(call->ivr));
        snprintf(call->ivr.menu, sizeof(call->ivr.menu), "%s", first.target);
        call->stage = STAGE_MENU;
    }
    switch (call->stage) {
    case STAGE_MENU: {
        const acd_ivr_t *ivr = acd__cc_ivr(cc, call->tenant);
        if (!ivr)
            return;
        uv_timer_stop(&call->answer_timer);
        acd_ivr_step_t st;
        acd_ivr_digit(ivr, &call->ivr, digit, &st);
        stage_ivr_step(cc, call, &st);
        return;
    }
    case STAGE_HOURS:
        if (digit == '9') {
            uv_timer_stop(&call->answer_timer);
            acd_ivr_target_t vm = {.go = ACD_IVR_GO_VOICEMAIL};
            stage_go(cc, call, &vm);
        }
        return;
    case STAGE_VM_PROMPT:
    case STAGE_VM_RECORDING:
        acd__vm_digit(cc, call, digit);
        return;
    case STAGE_NONE:
        if (call->in_core)
            acd__vhold_digit(cc, call, digit);
        return;
    default:
        return;
    }
}

void acd__stage_dtmf_cb(void *ud, char digit, int duration_ms)
{
    call_t *call = ud;
    (void)duration_ms;
    acd__stage_digit(call->cc, call, digit, "rfc4733");
}

const char *acd__stage_name(call_stage_t s)
{
    static const char *const names[] = {
        [STAGE_NONE] = "none",          [STAGE_GREETING] = "greeting",
        [STAGE_MENU] = "menu",          [STAGE_HOURS] = "hours",
        [STAGE_GOODBYE] = "goodbye",    [STAGE_VM_PROMPT] = "voicemail-prompt",
        [STAGE_VM_RECORDING] = "voicemail-recording", [STAGE_VM_DONE] = "voicemail-done",
        [STAGE_ONCALL] = "on-call",
    };
    return (size_t)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "?";
}

void acd__stage_to_queue(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    char queue[ACD_ID_MAX] = "";
    int priority = 0;
    if (!acd__script_queue_first(call, queue, sizeof(queue), &priority) || !queue[0])
        snprintf(queue, sizeof(queue), "%s", tc && tc->queue ? tc->queue : "");
    stage_enqueue(cc, call, queue, priority, "callback");
}

void acd__stage_hangup(acd_callctl_t *cc, call_t *call)
{
    call->caller.state = LEG_ENDED;
    if (acd__vm_hangup(cc, call))
        return; /* the recording's end finishes the call */
    if (call->agent) { /* the person on call */
        acd__agent_release(cc, call);
    }
    acd__stage_finish(cc, call, call->vm_left ? ACD_DISP_VOICEMAIL : ACD_DISP_IVR);
}

/* ---- compiled IVRs, per tenant of the config in force ---- */

struct cc_ivr {
    char tenant[ACD_ID_MAX];
    acd_ivr_t *ivr; /* NULL: the tenant has none, or it failed to compile (logged) */
};

void acd__cc_ivrs_fini(acd_callctl_t *cc)
{
    for (size_t i = 0; i < cc->n_ivrs; i++)
        acd_ivr_free(cc->ivrs[i].ivr);
    free(cc->ivrs);
    cc->ivrs = NULL;
    cc->n_ivrs = 0;
    cc->ivrs_cfg = NULL;
}

#define STAGE_OPTIONS_MAX 12

static acd_ivr_t *stage_ivr_compile(const acd_cfg_tenant_t *tc)
{
    if (!tc->n_menus)
        return NULL;
    acd_ivr_menu_t *menus = calloc(tc->n_menus, sizeof(*menus));
    acd_ivr_option_t *opts = calloc(tc->n_menus * STAGE_OPTIONS_MAX, sizeof(*opts));
    acd_ivr_t *ivr = NULL;
    char err[160] = "";
    int rc = menus && opts ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < tc->n_menus; i++) {
        const acd_cfg_menu_t *m = &tc->menus[i];
        acd_ivr_option_t *o = &opts[i * STAGE_OPTIONS_MAX];
        size_t n = m->n_options < STAGE_OPTIONS_MAX ? m->n_options : STAGE_OPTIONS_MAX;
        for (size_t j = 0; rc == 0 && j < n; j++) {
            o[j].key = m->options[j].key;
            rc = acd_ivr_target_parse(m->options[j].target, &o[j].target);
        }
        acd_ivr_target_t on_timeout = {.go = ACD_IVR_GO_OPERATOR};
        if (rc == 0 && m->on_timeout)
            rc = acd_ivr_target_parse(m->on_timeout, &on_timeout);
        menus[i] = (acd_ivr_menu_t){.name = m->name, .prompt = m->prompt,
                                    .timeout_ms = m->timeout_ms, .retries = m->retries,
                                    .invalid_prompt = m->invalid_prompt,
                                    .on_timeout = on_timeout, .options = o, .n_options = n};
    }
    if (rc == 0)
        rc = acd_ivr_alloc(&ivr, menus, tc->n_menus, tc->ivr_entry, err, sizeof(err));
    if (rc < 0) {
        acd_log_err("ACD-IVR-COMPILE", "tenant=%s: %s", tc->name, err[0] ? err : acd_strerror(rc));
        ivr = NULL;
    }
    free(opts);
    free(menus);
    return ivr;
}

const acd_ivr_t *acd__cc_ivr(acd_callctl_t *cc, const char *tenant)
{
    if (cc->ivrs_cfg != cc->cfg) {
        acd__cc_ivrs_fini(cc);
        cc->ivrs = calloc(cc->cfg->n_tenants ? cc->cfg->n_tenants : 1, sizeof(*cc->ivrs));
        if (!cc->ivrs)
            return NULL;
        for (size_t i = 0; i < cc->cfg->n_tenants; i++) {
            snprintf(cc->ivrs[i].tenant, sizeof(cc->ivrs[i].tenant), "%s",
                     cc->cfg->tenants[i].name);
            cc->ivrs[i].ivr = stage_ivr_compile(&cc->cfg->tenants[i]);
        }
        cc->n_ivrs = cc->cfg->n_tenants;
        cc->ivrs_cfg = cc->cfg;
    }
    for (size_t i = 0; i < cc->n_ivrs; i++)
        if (strcmp(cc->ivrs[i].tenant, tenant) == 0)
            return cc->ivrs[i].ivr;
    return NULL;
}

const acd_cfg_queue_t *acd__cc_queue_cfg(acd_callctl_t *cc, const call_t *call)
{
    acd_call_view_t v;
    if (acd_core_call(cc->core, call->id, &v) < 0)
        return NULL;
    for (size_t i = 0; i < cc->cfg->n_queues; i++)
        if (strcmp(cc->cfg->queues[i].name, v.queue) == 0)
            return &cc->cfg->queues[i];
    return NULL;
}

unsigned acd__cc_remote_logged_in(acd_callctl_t *cc, const char *queue)
{
    return cc->member ? acd_member_queue_logged_in(cc->member, queue) : 0;
}

/* ---- queue overflow (ACD_ACT_OVERFLOW): the core lets go, call control goes on ---- */

void acd__stage_overflow(acd_callctl_t *cc, const acd_action_t *a)
{
    call_t *call = acd__cc_call(cc, a->call_id);
    if (!call)
        return;
    if (strncmp(a->target, "queue:", 6) == 0) { /* moved to another queue, still in the core */
        acd_log_notice("ACD-CALL-OVERFLOW", "call=%s queue=%s reason=%s target=%s", call->id,
                       a->queue, a->reason, a->target);
        return;
    }
    snprintf(call->overflow_to, sizeof(call->overflow_to), "%s", a->target[0] ? a->target : "hangup");
    snprintf(call->queue, sizeof(call->queue), "%s", a->queue);
    acd_log_notice("ACD-CALL-OVERFLOW", "call=%s queue=%s reason=%s target=%s", call->id, a->queue,
                   a->reason, call->overflow_to);
}

void acd__stage_overflowed(acd_callctl_t *cc, call_t *call)
{
    acd__agent_release(cc, call);
    if (acd__outcall_is(call) || call->caller.state == LEG_ENDED) {
        /* Nobody on the line (a callback waiting): there is nobody to send anywhere. */
        acd__stage_finish(cc, call, ACD_DISP_OVERFLOW);
        return;
    }
    acd_ivr_target_t t;
    if (strcmp(call->overflow_to, "callback") == 0) {
        call->in_core = false;
        acd__vhold_overflow(cc, call);
        return;
    }
    if (acd_ivr_target_parse(call->overflow_to, &t) < 0)
        t = (acd_ivr_target_t){.go = ACD_IVR_GO_HANGUP};
    stage_go(cc, call, &t);
}
