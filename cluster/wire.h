/* wire.h - the site-to-site codec: Envelope <-> bytes, validation, core facts -> events. */
#ifndef ACD_CLUSTER_WIRE_H
#define ACD_CLUSTER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"
#include "acd/v1/events.pb-c.h"
#include "util/buf.h"

/*
 * The contract itself is proto/acd/v1/events.proto; this module is the only way acdd
 * turns its messages into bytes and back, and only cluster/ sees protobuf-c types.
 * Every decoded envelope has passed the checks the .proto comments promise, so the
 * code that consumes it needs no defensive parsing of its own.
 */

/* The contract version this build speaks (Envelope.schema_version). */
#define ACD_WIRE_SCHEMA_VERSION 1u

/* The largest frame encoded or accepted; larger snapshots are sent in parts. */
#define ACD_WIRE_FRAME_MAX ((size_t)8 << 20)

/* The most parts one Snapshot may have (Snapshot.parts), a sanity bound: 32 GiB. */
#define ACD_WIRE_SNAPSHOT_PARTS_MAX 4096u

/* String limits in bytes, without the NUL (see the conventions in events.proto). */
#define ACD_WIRE_ID_MAX (ACD_ID_MAX - 1)
#define ACD_WIRE_REASON_MAX (ACD_REASON_MAX - 1)
#define ACD_WIRE_TOKEN_MAX 255
#define ACD_WIRE_URI_MAX 1023
#define ACD_WIRE_SDP_MAX 16383
/* At most this many DialogEvent.route_set entries (matches ACD_SIP_MAX_ROUTES). */
#define ACD_WIRE_ROUTES_MAX 8

/*
 * Appends the encoding of env to out (which keeps what it held, so a caller may put a
 * topic prefix first). env is only read; its strings may be borrowed from anywhere.
 * Returns 0; -EINVAL when env is NULL or breaks the contract (it would be rejected by
 * the receiver: nothing is appended, and a debug log ACD-WIRE-ENCODE-INVALID names the
 * field); -EMSGSIZE above ACD_WIRE_FRAME_MAX; -ENOMEM.
 */
int acd_wire_encode(const Acd__V1__Envelope *env, acd_buf_t *out);

/*
 * Decodes and validates one frame of len bytes. On success *envp is a new envelope the
 * caller owns and releases with acd_wire_free() (never protobuf-c's free: it comes from
 * this module's allocator); its strings are NUL-terminated copies, the frame may be
 * reused at once. Returns 0; ACD_EPROTO when the bytes are not a valid protobuf
 * Envelope or break any rule of events.proto (origin_site an id, incarnation, seq and
 * schema_version > 0, exactly one body, ids within ACD_WIRE_ID_MAX, enums defined and
 * required ones set, strings valid UTF-8 without NUL, limits above, a Snapshot's
 * last_seq <= seq and its part, parts and more consistent); -ENOMEM when
 * memory ran out; -EINVAL when envp is NULL or data is NULL with len > 0. On any
 * failure nothing stays allocated and *envp is untouched. Why a frame was refused is
 * logged at debug level (ACD-WIRE-DECODE-INVALID); the caller logs the peer.
 */
int acd_wire_decode(const uint8_t *data, size_t len, Acd__V1__Envelope **envp);

/* Frees an envelope from acd_wire_decode() and everything in it; NULL is harmless. */
void acd_wire_free(Acd__V1__Envelope *env);

/*
 * Initialises env with no body: schema_version ACD_WIRE_SCHEMA_VERSION and the given
 * header fields. env borrows origin_site. Set the body with env->body_case and the
 * matching union member (env->call = &ev ...), which env then borrows as well.
 */
void acd_wire_envelope_init(Acd__V1__Envelope *env, const char *origin_site, uint64_t incarnation,
                            uint64_t seq, acd_ms_t now);

/* The body's field name ("call", "offer_reject" ...) or "none", for logs. */
const char *acd_wire_body_name(const Acd__V1__Envelope *env);

/* ---- core facts -> events ----
 * The *_from_* functions initialise *out and point its strings at the source's strings
 * (borrowed, not copied): encode out before the source changes (for core views: before
 * the next core call), and never pass out to acd_wire_free(). They return 0, or -EINVAL
 * for a NULL argument or a combination the contract does not allow.
 */

/*
 * A call event of the given kind from a core call view. kind must agree with the view's
 * state (ARRIVE or REQUEUED for queued, OFFERED, CONNECTED); ENDED comes from the CDR
 * (acd_wire_call_from_cdr), which has the end facts a view lacks. Views do not count
 * offers, so out->offers is 0 (set it before encoding if the caller knows better); REQUEUED
 * events want out->reason set by the caller too.
 */
int acd_wire_call_from_view(const acd_call_view_t *v, Acd__V1__CallKind kind,
                            Acd__V1__CallEvent *out);

/* The ENDED event of a call from the CDR the core emitted for it (ACD_ACT_CDR). */
int acd_wire_call_from_cdr(const acd_cdr_t *cdr, Acd__V1__CallEvent *out);

/*
 * The CDR of an ENDED call event, copied into *out (which borrows nothing): how a site
 * that took over a dark site's calls writes their CDRs. wait_ms and talk_ms are
 * computed as the core does. Returns 0, or -EINVAL when ev is not ENDED or a string
 * does not fit.
 */
int acd_wire_cdr_from_call(const Acd__V1__CallEvent *ev, acd_cdr_t *out);

/* An agent event from a core agent view. */
int acd_wire_agent_from_view(const acd_agent_view_t *v, Acd__V1__AgentEvent *out);

/* A queue event from a core queue view (this site's counts). */
int acd_wire_queue_from_view(const acd_queue_view_t *v, Acd__V1__QueueEvent *out);

/* ---- enum mappings between core.h and the wire ---- */

/* Wire values of core enums; out-of-range core values map to *_UNSPECIFIED. */
Acd__V1__AgentState acd_wire_agent_state(acd_agent_state_t s);
Acd__V1__Disposition acd_wire_disposition(acd_disposition_t d);

/* Core values of wire enums; -EINVAL for UNSPECIFIED or unknown values. */
int acd_wire_agent_state_to_core(Acd__V1__AgentState s, acd_agent_state_t *out);
/* DISPOSITION_UNSPECIFIED maps to ACD_DISP_NONE (not ended). */
int acd_wire_disposition_to_core(Acd__V1__Disposition d, acd_disposition_t *out);
/* The core state a call is in after an event of kind k. */
int acd_wire_call_state_to_core(Acd__V1__CallKind k, acd_call_state_t *out);

/*
 * Internal, for tests: memory blocks currently held by decoded envelopes (and by
 * decodes in progress). It returns to its previous value after every failed decode and
 * after acd_wire_free(), which is how the tests prove nothing leaks without ASan.
 */
size_t acd__wire_live_blocks(void);

#endif
