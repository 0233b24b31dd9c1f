/* divert.h - why a call was forwarded to us: the Diversion and History-Info headers. */
#ifndef ACD_SIP_DIVERT_H
#define ACD_SIP_DIVERT_H

#include "sip/msg.h"

/*
 * How a client business forwarded its line to the answering service. The distinction
 * matters for the greeting: a busy or no-answer forward arrives during office hours and
 * must not be told "the office is closed"; an unconditional or time-of-day forward is
 * the business handing its line over.
 */
typedef enum acd_fwd_reason {
    ACD_FWD_NONE, /* not forwarded */
    ACD_FWD_UNCONDITIONAL,
    ACD_FWD_BUSY,
    ACD_FWD_NO_ANSWER,
    ACD_FWD_UNAVAILABLE,
    ACD_FWD_TIME_OF_DAY,
    ACD_FWD_DND,
    ACD_FWD_DEFLECTION,
    ACD_FWD_OUT_OF_SERVICE,
    ACD_FWD_AWAY,
    ACD_FWD_UNKNOWN, /* forwarded, but the reason is missing, unknown or malformed */
} acd_fwd_reason_t;

/*
 * "none", "unconditional", "user-busy", "no-answer", "unavailable", "time-of-day",
 * "do-not-disturb", "deflection", "out-of-service", "away", "unknown" (the RFC 5806
 * spellings); "?" for a value outside the enum.
 */
const char *acd_fwd_reason_name(acd_fwd_reason_t reason);

/*
 * Maps a name to a reason: the names above, and the other RFC 5806 reasons ("follow-me"
 * counts as unconditional), any case. Returns 0 or -EINVAL.
 */
int acd_fwd_reason_parse(const char *name, acd_fwd_reason_t *out);

/* What acd_sip_divert() found. */
typedef struct acd_divert {
    acd_fwd_reason_t reason;
    char from[64];      /* the diverting user or number (the business' line), "" if none */
    int counter;        /* Diversion: counter= of the counting entry (1 when absent);
                         * History-Info: entries carrying a cause; 0 when not forwarded */
    const char *source; /* "diversion", "history-info" or "" (static strings) */
} acd_divert_t;

/*
 * Reads the forwarding reason of msg into *out.
 *
 * Diversion (RFC 5806) wins when present: its top entry, the most recent diversion,
 * counts; reason= gives the reason, the URI's user part the diverting line, counter=
 * the counter. Otherwise History-Info (RFC 7044): the last entry carrying a cause
 * counts, either an RFC 4458 cause= URI parameter (302 unconditional, 486 busy, 408 no
 * answer, 480 unavailable, 487 deflection, 503 out of service, other codes unknown; the
 * diverting line is the previous entry's user) or an escaped Reason header in the URI
 * ("?Reason=SIP%3Bcause%3D486": the same codes; the diverting line is that entry's own
 * user, whose request failed). History-Info without any cause records routing, not a
 * forward: NONE.
 *
 * A Diversion entry that does not parse or lacks reason=, or a History-Info header with
 * an unparsable entry and no usable cause, gives UNKNOWN. Never fails for a parsed
 * message: returns 0, or -EINVAL when msg or out is NULL. Entries are parsed with
 * libosip2 on each call; nothing is kept.
 */
int acd_sip_divert(const acd_sip_msg_t *msg, acd_divert_t *out);

#endif
