/* dtmf.h - DTMF digits from RFC 4733 telephone-event RTP and from SIP INFO bodies. */
#ifndef ACD_MEDIA_DTMF_H
#define ACD_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* telephone-event's clock: 8000 Hz for the G.711 calls acdd takes (RFC 4733 2.3.1). */
#define ACD_DTMF_RATE 8000

/* One telephone-event packet, decoded (RFC 4733 section 2.3). */
typedef struct acd_dtmf_event {
    char digit;        /* '0'..'9', '*', '#', 'A'..'D' */
    uint8_t event;     /* the event code, 0..15 */
    bool end;          /* E bit: this packet ends the event */
    uint8_t volume;    /* power level in -dBm0, 0..63 */
    uint16_t duration; /* so far, in timestamp units (1/ACD_DTMF_RATE s) */
    uint32_t ts;       /* RTP timestamp: the event's start, the same in all its packets */
    uint16_t seq;
    uint32_t ssrc;
} acd_dtmf_event_t;

/*
 * Returns the DTMF character of event code event (0-9 -> '0'..'9', 10 '*', 11 '#',
 * 12-15 'A'..'D'), or '\0' for any other code (flash, fax tones ...).
 */
char acd_dtmf_digit(unsigned event);

/*
 * Decodes the RTP packet pkt (len bytes, header with CSRC, extension and padding as in
 * acd__rtp_parse()) as a telephone-event of payload type te_pt. The payload may carry
 * more than the 4 bytes of one event; the rest is ignored. Returns 0 with *out filled;
 * -ENOMSG when pkt is well-formed RTP of another payload type (audio); -ENOTSUP for a
 * telephone-event that is not a DTMF digit (event code > 15); -EINVAL when pkt is not
 * RTP or the payload is shorter than 4 bytes.
 */
int acd_dtmf_rfc4733_parse(const uint8_t *pkt, size_t len, int te_pt, acd_dtmf_event_t *out);

/*
 * Decodes a SIP INFO DTMF body. content_type (ct_len bytes, not NUL-terminated; media
 * type compared without case, parameters after ';' ignored) selects the format:
 *   application/dtmf-relay  "Signal=5\r\nDuration=160\r\n" (lines end in CRLF or LF,
 *                           keys without case, blanks around '=' allowed; Signal is
 *                           0-9 * # A-D, or "10"/"11" for * and #; Duration in ms
 *                           is optional, 0..60000)
 *   application/dtmf        the bare signal, e.g. "5" (optional trailing blanks)
 * Returns 0 with *digit and *duration_ms set (0 when the body gives no duration), or
 * -EINVAL for any other content type, a missing, repeated or unknown signal, or a
 * malformed duration. Neither body nor content_type must be NUL-terminated.
 */
int acd_dtmf_info_parse(const char *content_type, size_t ct_len, const char *body, size_t len,
                        char *digit, int *duration_ms);

/*
 * Receive-side state of one RTP source: turns the stream of telephone-event packets
 * (each event sent many times, its end three times) into one report per key press.
 * Zero-initialise; no resources.
 */
typedef struct acd__dtmf_rx {
    bool active;          /* cur is an event seen but not reported yet */
    bool seen;            /* ts/ssrc hold the latest event (reported or not) */
    acd_dtmf_event_t cur; /* latest packet of the event at ts */
} acd__dtmf_rx_t;

/* A key press to report: the digit and how long it was held. */
typedef struct acd__dtmf_press {
    char digit;
    int duration_ms;
} acd__dtmf_press_t;

/*
 * Feeds one decoded packet. A key press is reported once: at the first end packet of
 * its event (the redundant end packets share its timestamp and are dropped), or, if
 * no end was seen, when an event with a newer timestamp starts. Packets of an older
 * timestamp (late, reordered) are dropped; a new SSRC starts afresh. Returns the number
 * of presses written to out (0, 1 or 2: a lost end followed by a new event that is over
 * in its first packet gives two).
 */
int acd__dtmf_rx_feed(acd__dtmf_rx_t *rx, const acd_dtmf_event_t *ev, acd__dtmf_press_t out[2]);

#endif
