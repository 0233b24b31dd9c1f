/* fake_frames.h - the frames fake_peer sends: valid, corrupted and contract-breaking envelopes. */
#ifndef ACD_TEST_FAKE_FRAMES_H
#define ACD_TEST_FAKE_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/wire.h"
#include "util/buf.h"

/*
 * Every builder appends one frame to out, as if from the fake site f->site. Valid
 * envelopes name only that site, calls "z-call-N" and agents 9001..9003, which no real
 * site has. A corrupted frame that still decodes could name something real only if its
 * 1..3 random bit flips all landed in one id byte in the right way (an agent 3001 from
 * "9001", or an offer's agent_site "b" from "z"), and then it is still an entity of the
 * fake site or an offer of an agent its target does not have. Builders return 0 or
 * -ENOMEM (the valid ones acd_wire_encode's error).
 */

#define FF_IDS_MAX 256
#define FF_SPOOF_MAX 4

/* Valid base envelopes: heartbeat, call, agent, registration, queue, dialog, offer. */
#define FF_BODIES 7

/* Distinct entity ids seen in frames a site may accept. */
typedef struct ff_ids {
    char id[FF_IDS_MAX][ACD_ID_MAX];
    size_t n;
    bool overflow; /* more than FF_IDS_MAX: no bound */
} ff_ids_t;

typedef struct ff {
    const char *site;                /* the fake site's name (borrowed) */
    const char *spoof[FF_SPOOF_MAX]; /* origins it pretends to be; none: "y" */
    size_t n_spoof;
    uint64_t rng;         /* xorshift64* state, never 0 */
    uint64_t incarnation; /* of the site's log */
    uint64_t seq;         /* the last valid envelope of the site's log */
    /* What ff_accepted() took: frames by body case, and the entities they carry. */
    uint64_t accepted[32];
    ff_ids_t calls, agents, regs;
} ff_t;

/* A pseudo-random number below n (0 when n is 0), reproducible from f->rng's seed. */
uint64_t ff_below(ff_t *f, uint64_t n);

/* Overwrites n bytes at p with random bytes. */
void ff_fill(ff_t *f, uint8_t *p, size_t n);

/* Appends 1..max random bytes. */
int ff_random(ff_t *f, acd_buf_t *out, size_t max);

/* Appends the valid base envelope of kind body (0..FF_BODIES-1; 0 is a heartbeat) at seq. */
int ff_valid(ff_t *f, acd_buf_t *out, int body, uint64_t seq);

/* Cuts b to a random length shorter than it is; flips 1..3 random bits of b. */
void ff_truncate(ff_t *f, acd_buf_t *b);
void ff_flip(ff_t *f, acd_buf_t *b);

/*
 * Appends a protobuf Envelope that acd_wire_decode() or the link must refuse: another
 * origin, empty origin, zero incarnation/seq/schema, no body, empty or overlong ids,
 * invalid UTF-8 or a control character in an id, undefined enums, a Snapshot with
 * last_seq > seq or part >= parts, too many routes, an Offer without epoch, a
 * registration without user, a NUL inside origin_site. which picks the case (< 0: one
 * at random); *what names it.
 */
int ff_invalid(ff_t *f, acd_buf_t *out, int which, const char **what);

/*
 * Appends a heartbeat acd_wire_decode() accepts with absurd header values: a seq far
 * ahead or at UINT64_MAX, a new incarnation, sent_ms at INT64_MIN or INT64_MAX, counts
 * and epoch at their maximum. The last three take the next seq of the log (f->seq grows)
 * so a synced replica applies them. which and *what as for ff_invalid().
 */
int ff_absurd(ff_t *f, acd_buf_t *out, int which, const char **what);

/* The index of the case called name: of ff_absurd() when *absurd, else ff_invalid(); -1. */
int ff_case_find(const char *name, bool *absurd);

/* The snapshot replies fake_peer builds. */
typedef enum ff_snap {
    FF_SNAP_VALID,   /* empty, at f->seq: installs */
    FF_SNAP_FULL,    /* 3 calls, 3 agents, 2 registrations, 1 queue (to corrupt) */
    FF_SNAP_SPOOFED, /* FULL from another origin */
    FF_SNAP_PARTS,   /* FULL claiming part 1 of a single-part snapshot */
} ff_snap_t;

int ff_snapshot(ff_t *f, acd_buf_t *out, ff_snap_t how);

/*
 * Whether a site's link takes frame b from f->site: acd_wire_decode() accepts it and it
 * names f->site as origin (link_peer.c's two checks). Taken frames are counted by body
 * in f->accepted and their entities added to f->calls, f->agents and f->regs.
 */
bool ff_accepted(ff_t *f, const acd_buf_t *b);

#endif
