/* park.c - in-dialog requests for a silent peer's dialog, held until it is taken over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callctl/callctl_int.h"
#include "util/log.h"

/*
 * After a site goes silent, the carrier's route moves to a sister within milliseconds, but
 * the takeover waits for the silent site's lease to expire. A caller hanging up in that
 * gap sends its BYE to the anycast address, now the sister's, for a dialog the sister
 * replicates but does not own yet. Relaying it to a silent owner loses it, and a 481
 * would tell the carrier its call was lost. So the request is parked instead: its server
 * transaction stays unanswered, which absorbs the retransmissions. When the takeover
 * adopts the dialog, the parked requests are handled as if they had just arrived
 * (acd__cc_park_adopted), so a parked BYE ends the call with its one CDR. If no takeover
 * comes, and the owner is not heard again, within PARK_MAX_MS, they get 481. If the owner
 * is heard again, they are relayed to it.
 *
 * The same holds the other way round. A site that was cut off or frozen, and may have
 * been taken over meanwhile (acd_member_takeover_doubt), parks the requests for its own
 * calls that the peers knew, until it knows. If it was not taken over, it handles them.
 * If it was, the dialogs are the sister's now and the requests are relayed there. After
 * PARK_MAX_MS it handles them itself.
 */

#define PARK_MAX 256
#define PARK_MAX_MS 12000
#define PARK_TICK_MS 250

typedef struct cc_parked {
    acd_sip_txn_t *st;
    char key[ACD_SIP_DIALOG_STR + 80]; /* Call-ID|To-tag: the leg's key once adopted */
    uint64_t until;                    /* loop time */
    bool own;                          /* our dialog, while we may be being taken over */
    int64_t start_ms;                  /* own: when its call began */
} cc_parked_t;

static void park_tick(uv_timer_t *h);

/* Drops the entry of st, wherever a dispatch moved it. */
static void park_drop_st(acd_callctl_t *cc, const acd_sip_txn_t *st);

static void park_drop(acd_callctl_t *cc, size_t i)
{
    cc->parked[i] = cc->parked[--cc->n_parked];
    if (cc->n_parked == 0 && cc->n_bridges_deferred == 0)
        uv_timer_stop(&cc->park_timer);
}

static void park_drop_st(acd_callctl_t *cc, const acd_sip_txn_t *st)
{
    for (size_t i = 0; i < cc->n_parked; i++) {
        if (cc->parked[i].st == st) {
            park_drop(cc, i);
            return;
        }
    }
}

static void park_add(acd_callctl_t *cc, acd_sip_txn_t *st, const char *key, bool own, int64_t start_ms)
{
    cc_parked_t *p = &cc->parked[cc->n_parked++];
    p->st = st;
    snprintf(p->key, sizeof(p->key), "%s", key);
    p->until = uv_now(cc->loop) + PARK_MAX_MS;
    p->own = own;
    p->start_ms = start_ms;
    if (!uv_is_active((uv_handle_t *)&cc->park_timer))
        uv_timer_start(&cc->park_timer, park_tick, PARK_TICK_MS, PARK_TICK_MS);
}

/* Handles st's request as if it had just arrived, parking nothing of ours again. */
static void park_dispatch(acd_callctl_t *cc, acd_sip_txn_t *st)
{
    cc->unparking = true;
    acd__cc_in_dialog(cc, st, acd_sip_txn_request(st));
    cc->unparking = false;
}

/* An own entry: true once it is settled (handled here or relayed to the sister). */
static bool park_own_settle(acd_callctl_t *cc, const cc_parked_t *p, uint64_t now)
{
    const acd_sip_msg_t *req = acd_sip_txn_request(p->st);
    if (now < p->until && acd_member_takeover_doubt(cc->member, p->start_ms))
        return false;
    acd_hmap_node_t *n = acd_hmap_get(&cc->legs, acd_str_from(p->key));
    const leg_t *leg = n ? acd_container_of(n, leg_t, node) : NULL;
    if ((leg && !(leg->call && leg->call->handed_over)) || now >= p->until) {
        park_dispatch(cc, p->st); /* still ours (or too long): handled here */
        return true;
    }
    /* Handed over to a sister: it answers, once our replica of it has the dialog. */
    return acd__cc_relay(cc, p->st, req);
}

/* Whether req's dialog is a silent peer's (owner, size len, gets its name). */
static bool park_owner_silent(acd_callctl_t *cc, const acd_sip_msg_t *req, char *owner, size_t len)
{
    char cid[ACD_SIP_DIALOG_STR], ltag[ACD_SIP_DIALOG_STR], rtag[ACD_SIP_DIALOG_STR];
    if (!cc->member || req->call_id.n >= sizeof(cid) || req->to.tag.n >= sizeof(ltag) ||
        req->from.tag.n >= sizeof(rtag))
        return false;
    acd_str_copy(cid, sizeof(cid), req->call_id);
    acd_str_copy(ltag, sizeof(ltag), req->to.tag);
    acd_str_copy(rtag, sizeof(rtag), req->from.tag);
    return acd_member_dialog_owner_silent(cc->member, cid, ltag, rtag, owner, len);
}

bool acd__cc_park(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req, const char *key)
{
    char owner[ACD_ID_MAX];
    if (!st || !cc->parked || !park_owner_silent(cc, req, owner, sizeof(owner)))
        return false;
    if (cc->n_parked == PARK_MAX) {
        acd_log_warn("ACD-SIP-PARK-FULL", "method=%.*s call-id=%.*s owner=%s: %d parked already",
                     ACD_STR_FMT(req->method_name), ACD_STR_FMT(req->call_id), owner, PARK_MAX);
        return false;
    }
    park_add(cc, st, key, false, 0);
    acd_log_info("ACD-SIP-PARKED", "method=%.*s call-id=%.*s owner=%s: its owner is silent; held"
                 " for the takeover", ACD_STR_FMT(req->method_name), ACD_STR_FMT(req->call_id), owner);
    return true;
}

bool acd__cc_park_own(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req, const leg_t *leg)
{
    acd_call_view_t v;
    if (!st || cc->unparking || !cc->member || !cc->parked || !leg->call || !leg->call->in_core ||
        cc->n_parked == PARK_MAX || acd_core_call(cc->core, leg->call->id, &v) < 0 ||
        !acd_member_takeover_doubt(cc->member, v.enqueue_ms))
        return false;
    park_add(cc, st, leg->key, true, v.enqueue_ms);
    acd_log_info("ACD-SIP-PARKED", "method=%.*s call=%s: this site may have been taken over;"
                 " held until it knows", ACD_STR_FMT(req->method_name), leg->call->id);
    return true;
}

bool acd__cc_park_bridge(acd_callctl_t *cc, call_t *call)
{
    acd_call_view_t v;
    if (cc->unparking || !cc->member || !call->in_core || acd_core_call(cc->core, call->id, &v) < 0 ||
        !acd_member_takeover_doubt(cc->member, v.enqueue_ms))
        return false;
    if (!call->bridge_deferred) {
        call->bridge_deferred = true;
        cc->n_bridges_deferred++;
    }
    if (!uv_is_active((uv_handle_t *)&cc->park_timer))
        uv_timer_start(&cc->park_timer, park_tick, PARK_TICK_MS, PARK_TICK_MS);
    acd_log_info("ACD-CALL-BRIDGE-DEFERRED", "call=%s: this site may have been taken over;"
                 " the caller is moved to its agent once it knows", call->id);
    return true;
}

/* Deferred bridges: made once we know the calls are still ours (abandoned ones are gone). */
static void park_bridges(acd_callctl_t *cc)
{
    char ids[16][ACD_ID_MAX];
    size_t n = 0;
    acd_hmap_iter_t it;
    acd_hmap_node_t *node;
    acd_hmap_iter_init(&it, &cc->calls);
    while (n < 16 && (node = acd_hmap_iter_next(&it))) {
        call_t *call = acd_container_of(node, call_t, node);
        acd_call_view_t v;
        if (!call->bridge_deferred)
            continue;
        if (call->ended || call->handed_over || acd_core_call(cc->core, call->id, &v) < 0) {
            call->bridge_deferred = false;
            cc->n_bridges_deferred--;
        } else if (!acd_member_takeover_doubt(cc->member, v.enqueue_ms)) {
            snprintf(ids[n++], ACD_ID_MAX, "%s", call->id);
        }
    }
    for (size_t i = 0; i < n; i++) { /* bridging may free calls: by id, one at a time */
        call_t *call = acd__cc_call(cc, ids[i]);
        if (!call || !call->bridge_deferred)
            continue;
        call->bridge_deferred = false;
        cc->n_bridges_deferred--;
        acd_log_info("ACD-CALL-BRIDGE-RESUMED", "call=%s: still ours", call->id);
        acd__caller_bridge_now(cc, call);
    }
}

/* Expired ones get 481; those whose owner is heard again go to it. */
static void park_tick(uv_timer_t *h)
{
    acd_callctl_t *cc = h->data;
    uint64_t now = uv_now(cc->loop);
    if (cc->n_bridges_deferred && cc->member)
        park_bridges(cc);
    if (cc->n_parked == 0 && cc->n_bridges_deferred == 0)
        uv_timer_stop(&cc->park_timer);
    for (size_t i = cc->n_parked; i-- > 0;) {
        if (i >= cc->n_parked)
            continue; /* a dispatch below settled others */
        cc_parked_t p = cc->parked[i];
        if (p.own) {
            if (!cc->member) {
                park_drop(cc, i);
                park_dispatch(cc, p.st);
            } else if (park_own_settle(cc, &p, now)) {
                park_drop_st(cc, p.st);
            }
            continue;
        }
        const acd_sip_msg_t *req = acd_sip_txn_request(p.st);
        if (now < p.until && acd__cc_park_still(cc, req))
            continue;
        park_drop(cc, i);
        if (now >= p.until || !acd__cc_relay(cc, p.st, req)) {
            acd_log_info("ACD-SIP-PARK-EXPIRED", "call-id=%.*s: no takeover came", ACD_STR_FMT(req->call_id));
            acd_sip_txn_respond(p.st, 481, NULL, NULL);
        }
    }
}

bool acd__cc_park_adopted(acd_callctl_t *cc, const char *key)
{
    bool any = false;
    /* Relayed before the owner fell silent, unanswered since: ours to answer now. */
    const char *bar = strrchr(key, '|');
    acd_sip_txn_t *st;
    while (bar && (st = acd_sip_txn_relay_reclaim(cc->txl, (acd_str_t){key, (size_t)(bar - key)},
                                                    acd_str_from(bar + 1))) != NULL) {
        acd_log_info("ACD-SIP-RELAY-RECLAIMED", "key=%s: relayed to a silent owner; ours now", key);
        acd__cc_in_dialog(cc, st, acd_sip_txn_request(st));
        any = true;
    }
    for (size_t i = cc->n_parked; i-- > 0;) {
        if (i >= cc->n_parked || cc->parked[i].own || strcmp(cc->parked[i].key, key) != 0)
            continue;
        st = cc->parked[i].st;
        park_drop(cc, i);
        acd_log_info("ACD-SIP-UNPARKED", "key=%s: the dialog is ours now", key);
        acd__cc_in_dialog(cc, st, acd_sip_txn_request(st));
        any = true;
    }
    return any;
}

bool acd__cc_park_still(acd_callctl_t *cc, const acd_sip_msg_t *req)
{
    char owner[ACD_ID_MAX];
    return park_owner_silent(cc, req, owner, sizeof(owner));
}

void acd__cc_park_init(acd_callctl_t *cc)
{
    cc->parked = calloc(PARK_MAX, sizeof(*cc->parked)); /* none: nothing is parked */
    uv_timer_init(cc->loop, &cc->park_timer);
    cc->park_timer.data = cc;
}

void acd__cc_park_close(acd_callctl_t *cc)
{
    while (cc->n_parked) {
        acd_sip_txn_t *st = cc->parked[cc->n_parked - 1].st;
        park_drop(cc, cc->n_parked - 1);
        acd_sip_txn_respond(st, 503, NULL, NULL);
    }
    free(cc->parked);
    cc->parked = NULL;
}
