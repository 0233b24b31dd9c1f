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
 */

#define PARK_MAX 256
#define PARK_MAX_MS 12000
#define PARK_TICK_MS 250

typedef struct cc_parked {
    acd_sip_txn_t *st;
    char key[ACD_SIP_DIALOG_STR + 80]; /* Call-ID|To-tag: the leg's key once adopted */
    uint64_t until;                    /* loop time */
} cc_parked_t;

static void park_tick(uv_timer_t *h);

static void park_drop(acd_callctl_t *cc, size_t i)
{
    cc->parked[i] = cc->parked[--cc->n_parked];
    if (cc->n_parked == 0)
        uv_timer_stop(&cc->park_timer);
}

bool acd__cc_park(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req, const char *key)
{
    char cid[ACD_SIP_DIALOG_STR], ltag[ACD_SIP_DIALOG_STR], rtag[ACD_SIP_DIALOG_STR];
    if (!st || !cc->member || !cc->parked || req->call_id.n >= sizeof(cid) ||
        req->to.tag.n >= sizeof(ltag) || req->from.tag.n >= sizeof(rtag))
        return false;
    acd_str_copy(cid, sizeof(cid), req->call_id);
    acd_str_copy(ltag, sizeof(ltag), req->to.tag);
    acd_str_copy(rtag, sizeof(rtag), req->from.tag);
    char owner[ACD_ID_MAX];
    if (!acd_member_dialog_owner_silent(cc->member, cid, ltag, rtag, owner, sizeof(owner)))
        return false;
    if (cc->n_parked == PARK_MAX) {
        acd_log_warn("ACD-SIP-PARK-FULL", "method=%.*s call-id=%s owner=%s: %d parked already",
                     ACD_STR_FMT(req->method_name), cid, owner, PARK_MAX);
        return false;
    }
    cc_parked_t *p = &cc->parked[cc->n_parked++];
    p->st = st;
    snprintf(p->key, sizeof(p->key), "%s", key);
    p->until = uv_now(cc->loop) + PARK_MAX_MS;
    if (!uv_is_active((uv_handle_t *)&cc->park_timer))
        uv_timer_start(&cc->park_timer, park_tick, PARK_TICK_MS, PARK_TICK_MS);
    acd_log_info("ACD-SIP-PARKED", "method=%.*s call-id=%s owner=%s: its owner is silent; held"
                 " for the takeover", ACD_STR_FMT(req->method_name), cid, owner);
    return true;
}

/* Expired ones get 481; those whose owner is heard again go to it. */
static void park_tick(uv_timer_t *h)
{
    acd_callctl_t *cc = h->data;
    uint64_t now = uv_now(cc->loop);
    for (size_t i = cc->n_parked; i-- > 0;) {
        cc_parked_t p = cc->parked[i];
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
        if (strcmp(cc->parked[i].key, key) != 0)
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
    char cid[ACD_SIP_DIALOG_STR], ltag[ACD_SIP_DIALOG_STR], rtag[ACD_SIP_DIALOG_STR], owner[ACD_ID_MAX];
    if (!cc->member || req->call_id.n >= sizeof(cid) || req->to.tag.n >= sizeof(ltag) ||
        req->from.tag.n >= sizeof(rtag))
        return false;
    acd_str_copy(cid, sizeof(cid), req->call_id);
    acd_str_copy(ltag, sizeof(ltag), req->to.tag);
    acd_str_copy(rtag, sizeof(rtag), req->from.tag);
    return acd_member_dialog_owner_silent(cc->member, cid, ltag, rtag, owner, sizeof(owner));
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
