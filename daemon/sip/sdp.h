/* sdp.h - SDP for one audio stream: parse, RFC 3264 offer/answer, build. */
#ifndef ACD_SIP_SDP_H
#define ACD_SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/str.h"

typedef enum acd_codec {
    ACD_CODEC_NONE = -1,
    ACD_CODEC_PCMU = 0, /* static payload type 0 */
    ACD_CODEC_PCMA = 8, /* static payload type 8 */
} acd_codec_t;

typedef enum acd_sdp_dir {
    ACD_SDP_SENDRECV = 0,
    ACD_SDP_SENDONLY,
    ACD_SDP_RECVONLY,
    ACD_SDP_INACTIVE,
} acd_sdp_dir_t;

#define ACD_SDP_MAX_FMTS 16

/* The audio part of a session description, as values (no pointers). */
typedef struct acd_sdp {
    char origin_user[64];
    uint64_t sess_id;
    uint64_t sess_version;
    char addr[64];       /* connection address (media-level c= wins over session-level) */
    int addr_family;     /* AF_INET or AF_INET6 */
    uint16_t port;       /* audio port; 0 = stream rejected/disabled */
    int fmts[ACD_SDP_MAX_FMTS]; /* payload types in the m= line, in order */
    int fmt_count;
    char fmt_names[ACD_SDP_MAX_FMTS][24]; /* "PCMU/8000" from rtpmap (or static default) */
    int telephone_event_pt; /* -1 when not offered */
    int ptime;            /* 0 when absent */
    acd_sdp_dir_t dir;
} acd_sdp_t;

/*
 * Parses body (application/sdp) and fills out with its first audio stream. Returns 0,
 * ACD_EPARSE for malformed SDP or when there is no audio m= line.
 */
int acd_sdp_parse(acd_str_t body, acd_sdp_t *out);

/*
 * RFC 3264 answer side: picks the first of the offer's formats that acdd supports
 * (PCMU, PCMA) in the offerer's order, and telephone-event if offered. Returns 0 or
 * ACD_ECODEC when nothing is common (answer 488).
 */
int acd_sdp_negotiate(const acd_sdp_t *offer, acd_codec_t *codec, int *te_pt);

/* What acdd puts in its own descriptions. */
typedef struct acd_sdp_local {
    const char *origin_user; /* "acdd" */
    uint64_t sess_id;
    uint64_t sess_version;
    const char *addr;        /* our media address */
    uint16_t port;
    /* Either one chosen codec (an answer) or codec == ACD_CODEC_NONE to offer PCMU+PCMA. */
    acd_codec_t codec;
    int te_pt;               /* telephone-event payload type to advertise, -1 for none */
    acd_sdp_dir_t dir;
} acd_sdp_local_t;

/* Appends a complete SDP for l to out (v/o/s/c/t/m + rtpmap, fmtp 0-16, ptime 20). */
int acd_sdp_build(acd_buf_t *out, const acd_sdp_local_t *l);

/*
 * Appends a copy of the media of desc (address, port, formats with their rtpmap names,
 * telephone-event, ptime, direction) under a different origin: the one acdd uses
 * toward the other party. Used by third-party call control to pass one party's SDP
 * to the other while keeping each leg's o= line consistent (RFC 3264 section 8).
 */
int acd_sdp_build_relayed(acd_buf_t *out, const acd_sdp_t *desc, const char *origin_user,
                          uint64_t sess_id, uint64_t sess_version, const char *origin_addr);

#endif
