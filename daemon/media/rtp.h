/* rtp.h - RTP packet headers (RFC 3550) and the pool of local RTP ports. */
#ifndef ACD_MEDIA_RTP_H
#define ACD_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ACD_RTP_HEADER_LEN 12

/* The fields acdd sets in the fixed RTP header (version 2, no padding, extension, CSRC). */
typedef struct acd_rtp_hdr {
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
} acd_rtp_hdr_t;

/* Writes the 12-byte fixed header for h to out, in network byte order. */
void acd__rtp_hdr_write(uint8_t out[ACD_RTP_HEADER_LEN], const acd_rtp_hdr_t *h);

/*
 * Parses the fixed header at the start of pkt. Returns 0 or -EINVAL when pkt is shorter
 * than 12 bytes or not version 2. Says nothing of where the payload starts: see below.
 */
int acd__rtp_hdr_read(const uint8_t *pkt, size_t len, acd_rtp_hdr_t *h);

/* A received RTP packet: its fixed header and its payload, a slice of the packet. */
typedef struct acd_rtp_pkt {
    acd_rtp_hdr_t h;
    const uint8_t *payload; /* points into the buffer given to acd__rtp_parse() */
    size_t payload_len;
} acd_rtp_pkt_t;

/*
 * Parses a whole RTP packet: the fixed header, then skips the CSRC list (CC entries) and
 * the header extension (X bit, RFC 3550 section 5.3.1) and strips the padding (P bit:
 * the last byte counts the padding bytes, itself included). out->payload borrows pkt.
 * Returns 0, or -EINVAL when pkt is not version 2, is shorter than its header, CSRC list
 * or extension say, or its padding count is 0 or larger than what follows the header.
 * An empty payload is valid (0 bytes).
 */
int acd__rtp_parse(const uint8_t *pkt, size_t len, acd_rtp_pkt_t *out);

/* Returns 32 random bits from the kernel (for SSRC and initial sequence/timestamp). */
uint32_t acd__rtp_random32(void);

/*
 * The even ports of [min, max] whose odd neighbour is also in the range: RTP uses the
 * even port and port+1 is left to RTCP (RFC 3550 section 11). Ports are handed out
 * round-robin, so a port just released is the last to be reused and stray packets of
 * the previous call die out first.
 */
typedef struct acd_rtp_ports {
    uint16_t base; /* first even port */
    size_t n;      /* number of RTP ports */
    size_t next;   /* index where the next search starts */
    size_t used;
    uint64_t *bits; /* bit i set: base + 2i is taken */
} acd_rtp_ports_t;

/* Sets up pool for [min, max]. Returns 0, -EINVAL (no even/odd pair in range), -ENOMEM. */
int acd__rtp_ports_init(acd_rtp_ports_t *pool, uint16_t min, uint16_t max);
void acd__rtp_ports_fini(acd_rtp_ports_t *pool);

/* Takes the next free even port into *port. Returns 0 or -EADDRINUSE when none is free. */
int acd__rtp_ports_take(acd_rtp_ports_t *pool, uint16_t *port);

/* Returns port (taken before) to the pool. */
void acd__rtp_ports_release(acd_rtp_ports_t *pool, uint16_t port);

/*
 * Opens a non-blocking UDP socket on addr (its port is ignored) bound to an even port
 * from pool, trying the next free port when one is held by another process. Marks
 * voice packets with DSCP EF. Returns the descriptor (>= 0) with *port set, or
 * -EADDRINUSE when the pool has no bindable port left, or another negative errno.
 */
int acd__rtp_socket_open(acd_rtp_ports_t *pool, const struct sockaddr *addr, uint16_t *port);

#endif
