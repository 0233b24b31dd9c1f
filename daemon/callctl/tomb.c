/* tomb.c - dialogs that ended here lately, so that a late BYE for one gets its 200. */
#include <stdio.h>
#include <string.h>

#include "callctl/callctl_int.h"

/*
 * A party's BYE can reach this site after the dialog is gone from it: the BYE crossed
 * ours, or (ADR 0014) the caller hung up while its dialog's owner went dark and this
 * sister, which took the call over, ended it when the caller refused the takeover's
 * re-INVITE - the BYE's retransmission then arrives here. The dialog is over either way,
 * and a 481 would tell the party's side its call was lost. So the keys of legs that
 * ended here are kept for a transaction lifetime (64*T1) and a BYE for one is answered
 * 200. Other requests still get 481. A small ring: lookups happen only on a miss.
 */

#define TOMB_KEEP_MS 32000

void acd__cc_tomb_add(acd_callctl_t *cc, const char *key)
{
    if (!cc->tombs || !key[0])
        return;
    cc_tomb_t *t = &cc->tombs[cc->tomb_next++ % CC_TOMBS];
    snprintf(t->key, sizeof(t->key), "%s", key);
    t->until = uv_now(cc->loop) + TOMB_KEEP_MS;
}

bool acd__cc_tomb_has(const acd_callctl_t *cc, const char *key)
{
    uint64_t now = uv_now(cc->loop);
    for (size_t i = 0; cc->tombs && i < CC_TOMBS; i++) {
        const cc_tomb_t *t = &cc->tombs[i];
        if (t->until > now && strcmp(t->key, key) == 0)
            return true;
    }
    return false;
}
