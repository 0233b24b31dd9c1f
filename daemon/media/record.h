/* record.h - a recording: received G.711 RTP decoded into an 8 kHz mono 16-bit WAV file. */
#ifndef ACD_MEDIA_RECORD_H
#define ACD_MEDIA_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "media/rtp.h"

/* Samples per second of a recording (and of G.711). */
#define ACD_RECORD_RATE 8000
/* Gaps in the received audio up to this many samples (1 s) are written as silence. */
#define ACD_RECORD_MAX_GAP ACD_RECORD_RATE

typedef struct acd__record acd__record_t;

/*
 * Creates path + ".part" (mode 0640, truncated) and opens it as a WAV file (8 kHz, mono,
 * 16-bit PCM) with libsndfile; at most max_ms (> 0) of audio will be written. The
 * caller owns *rp until acd__record_close(). Returns 0, -EINVAL (bad arguments),
 * -ENAMETOOLONG, -ENOMEM, the open(2) errno (-ENOENT, -EACCES ...) or -EIO (libsndfile
 * refused the file).
 */
int acd__record_open(acd__record_t **rp, const char *path, int max_ms);

/*
 * Appends one received RTP packet. PCMU (PT 0) and PCMA (PT 8) payloads are decoded with
 * spandsp's G.711 tables; comfort noise (PT 13) only marks silence up to its timestamp;
 * other payload types are ignored. Before the audio, a gap left by lost packets or
 * silence suppression (the timestamp ahead of where the last packet ended, or else the
 * sequence numbers skipped) is written as silence if it is at most ACD_RECORD_MAX_GAP;
 * a longer jump (a sender that reset its clock) is not filled. Duplicates and packets
 * older than the last one written are dropped; a new SSRC starts afresh (no fill).
 * Returns 0, 1 when the recording has reached max_ms (the audio was cut there: close it
 * now), or -EIO when writing failed (the recording is then useless: close it).
 */
int acd__record_feed(acd__record_t *r, const acd_rtp_pkt_t *p);

/* Milliseconds of audio written so far (silence fill included). */
int acd__record_duration_ms(const acd__record_t *r);

/*
 * Closes the file (without fsync: the loop must not wait for the disk) and frees r. keep: renames
 * path.part to path, so a reader never sees a half-written file; !keep: removes path.part.
 * *duration_ms (may be NULL) gets the audio length. Returns 0, -EIO (the WAV header could not be
 * finished) or the rename(2) errno; on any error path.part is removed. r NULL is ignored (returns
 * 0).
 */
int acd__record_close(acd__record_t *r, bool keep, int *duration_ms);

#endif
