/* announce.c - what waiting callers hear between music: position, expected wait, offers. */
#include "callctl/callctl_int.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

/*
 * Once a second (cc->announce_timer) every caller waiting in a queue whose `announce`
 * interval has passed since they last heard one is told their place and the expected
 * wait — "you are caller number three; your expected wait is about four minutes" — in
 * the tenant's language, with numbers spoken from number prompts (acd_prompt_say_number),
 * then, when the queue offers it, "to be called back instead of waiting, press 1", and
 * the music resumes. The place and the wait come from the core (acd_core_call_position):
 * the wait is the place times the queue's average handle time over its logged-in
 * agents, rounded up to whole minutes, at least one.
 */

#define ANNOUNCE_TICK_MS 1000
#define ANNOUNCE_WORDS 12

/* Appends the prompt names saying n to list (at most max); returns how many. */
static size_t announce_number(int n, const char **list, size_t max)
{
    return acd_prompt_say_number(n, list, max);
}

static void announce_call(acd_callctl_t *cc, call_t *call, const acd_cfg_queue_t *q, int64_t now)
{
    unsigned pos = 0;
    int64_t ewt = 0;
    if (acd_core_call_position(cc->core, call->id, now, &pos, &ewt) < 0 || pos == 0)
        return;
    const char *list[ANNOUNCE_WORDS];
    size_t n = 0;
    if (q->announce_position) {
        list[n++] = "position";
        n += announce_number((int)pos, list + n, ANNOUNCE_WORDS - n);
    }
    if (q->announce_wait && n + 4 < ANNOUNCE_WORDS) {
        int minutes = (int)((ewt + 59999) / 60000);
        if (minutes < 1)
            minutes = 1;
        if (minutes > 99)
            minutes = 99;
        list[n++] = "wait";
        n += acd_prompt_say_count(minutes, list + n, ANNOUNCE_WORDS - n - 1);
        list[n++] = minutes == 1 ? "minute" : "minutes";
    }
    if (q->callback_offer && n < ANNOUNCE_WORDS)
        list[n++] = "callback_offer";
    if (!n)
        return;
    call->last_announce_ms = now;
    char words[ANNOUNCE_WORDS * 16] = "";
    size_t wl = 0;
    for (size_t i = 0; i < n && wl < sizeof(words); i++)
        wl += (size_t)snprintf(words + wl, sizeof(words) - wl, "%s%s", i ? "," : "", list[i]);
    acd_log_debug("ACD-ANNOUNCE", "call=%s position=%u ewt_ms=%lld lang=%s words=%s", call->id,
                  pos, (long long)ewt, call->lang, words);
    acd__caller_play_list(call, list, n);
}

void acd__announce_tick(acd_callctl_t *cc)
{
    int64_t now = acd__cc_now(cc);
    acd_hmap_iter_t it;
    acd_hmap_node_t *node;
    acd_hmap_iter_init(&it, &cc->calls);
    while ((node = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(node, call_t, node);
        if (!call->in_core || call->ended || call->bridged || call->agent ||
            call->stage != STAGE_NONE || acd__outcall_is(call) ||
            call->caller.state != LEG_CONFIRMED)
            continue;
        const acd_cfg_queue_t *q = acd__cc_queue_cfg(cc, call);
        if (!q || q->announce_ms <= 0)
            continue;
        int64_t since = call->last_announce_ms ? call->last_announce_ms : call->arrived_ms;
        if (now - since >= q->announce_ms)
            announce_call(cc, call, q, now);
    }
}

#define ANNOUNCE_VM_CHECK_TICKS 10 /* voicemail overdue check, every 10 s */

static void announce_timer_cb(uv_timer_t *h)
{
    acd_callctl_t *cc = h->data;
    acd__announce_tick(cc);
    if (++cc->announce_ticks % ANNOUNCE_VM_CHECK_TICKS == 0)
        acd__vm_overdue_check(cc);
}

void acd__announce_init(acd_callctl_t *cc)
{
    uv_timer_init(cc->loop, &cc->announce_timer);
    cc->announce_timer.data = cc;
    uv_timer_start(&cc->announce_timer, announce_timer_cb, ANNOUNCE_TICK_MS, ANNOUNCE_TICK_MS);
}
