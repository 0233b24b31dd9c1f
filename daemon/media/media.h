/* media.h - acdd's own media: RTP streams paced by one 20 ms loop tick, prompts, music. */
#ifndef ACD_MEDIA_MEDIA_H
#define ACD_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "sip/sdp.h"

typedef struct acd_media acd_media_t;
typedef struct acd_media_stream acd_media_stream_t;

typedef struct acd_media_cfg {
    const char *addr;  /* local IP to bind RTP sockets to (the site's media address) */
    uint16_t port_min; /* even RTP ports are taken from [port_min, port_max] */
    uint16_t port_max;
    const char *prompts_dir;      /* <dir>/<lang>/<name>.wav, 8 kHz mono (see deploy/setup) */
    const char *const *languages; /* languages to load, e.g. {"en","es"} */
    size_t n_languages;
} acd_media_cfg_t;

/*
 * Loads every prompt of every language and pre-encodes it as 20 ms G.711 frames (PCMU
 * and PCMA, with spandsp), binds nothing yet, and arms the 20 ms tick on loop. Returns
 * 0, -EINVAL, -ENOENT (a prompt file missing: the message names it in the log), -ENOMEM.
 * Prompts: "greeting", "moh" (music on hold, looped) are required per language.
 */
int acd_media_alloc(acd_media_t **mp, uv_loop_t *loop, const acd_media_cfg_t *cfg);

/*
 * Closes all streams and the tick; frees once libuv has closed every handle, then cb
 * (may be NULL). Idempotent. Streams still open are closed as by
 * acd_media_stream_close(): the caller's pointers to them are dead after this call.
 */
void acd_media_close(acd_media_t *m, void (*cb)(void *ud), void *ud);

/*
 * Opens a stream: binds an even RTP port (and reserves port+1 for RTCP) on the media
 * address. *sp belongs to the caller until acd_media_stream_close(). Returns 0,
 * -EADDRINUSE when the range is exhausted, -ENOMEM.
 */
int acd_media_stream_open(acd_media_t *m, acd_media_stream_t **sp);
uint16_t acd_media_stream_port(const acd_media_stream_t *s);

/*
 * Starts sending to remote with codec: the prompt `first` (e.g. "greeting") once in
 * language lang, then `loop` (e.g. "moh") repeated, until stopped. Restarting a playing
 * stream switches playlist at the next frame; RTP sequence and timestamp continue (the
 * marker bit is set on the first packet of each prompt). Returns 0, -ENOENT (unknown
 * prompt or language), -EINVAL. The same as acd_media_stream_play_list() with the list
 * {first} (none when first is NULL) and no ended callback.
 */
int acd_media_stream_play(acd_media_stream_t *s, const struct sockaddr *remote, acd_codec_t codec,
                          const char *lang, const char *first, const char *loop);

/*
 * Most prompts one playlist holds (e.g. "position", "n20", "n3", "wait", ...): enough for
 * a week of opening hours with two spans a day said in groups (media/say.h).
 */
#define ACD_MEDIA_LIST_MAX 48

/* A playlist has played to its end. */
typedef void (*acd_media_ended_cb)(void *ud);

/*
 * Starts sending to remote with codec the prompts names[0..n) of language lang in
 * order, each once (the marker bit set on the first packet of each), then the prompt
 * loop repeated until stopped, or, with loop NULL, silence (the port stays bound).
 * When the last frame of the list has been sent, ended(ud) is called once, from the
 * tick after it has sent that tick's frames, whether a loop follows or not; it may call
 * play, stop or close on this or any stream, or close the engine. A playlist replaced
 * (play again), stopped or closed before its end never calls ended. With n == 0 only
 * loop plays and ended is never called. Restarting a playing stream switches at the
 * next frame; sequence and timestamp continue. Returns 0, -ENOENT (a prompt missing in
 * lang), -E2BIG (n > ACD_MEDIA_LIST_MAX), -EINVAL (s closing, remote of another address
 * family, codec not PCMU/PCMA, n == 0 without loop, a NULL name).
 */
int acd_media_stream_play_list(acd_media_stream_t *s, const struct sockaddr *remote,
                               acd_codec_t codec, const char *lang, const char *const *names,
                               size_t n, const char *loop, acd_media_ended_cb ended, void *ud);

/* True when prompt name exists in language lang (callers check configured prompts). */
/*
 * Plays the sound file at path (8 kHz mono, read whole with libsndfile now: a message of
 * a few minutes is a few MB and a few ms) once, then silence and ended (may be NULL),
 * as acd_media_stream_play_list() does. The stream owns the decoded audio until the next
 * playlist or its close. Returns 0, -ENOENT (no such file), -EINVAL (unreadable, wrong
 * format, bad argument), -ENOMEM.
 */
int acd_media_stream_play_file(acd_media_stream_t *s, const struct sockaddr *remote,
                               acd_codec_t codec, const char *path, acd_media_ended_cb ended,
                               void *ud);

bool acd_media_has_prompt(const acd_media_t *m, const char *lang, const char *name);

/*
 * Stops sending (the port stays bound: the caller's media may come back); the playlist's
 * ended callback will not be called.
 */
void acd_media_stream_stop(acd_media_stream_t *s);

/* Releases the port; frees the stream when libuv is done with it. Idempotent per stream. */
void acd_media_stream_close(acd_media_stream_t *s);

/* A key press received on a stream: digit '0'-'9', '*', '#', 'A'-'D'; held duration_ms. */
typedef void (*acd_media_dtmf_cb)(void *ud, char digit, int duration_ms);

/*
 * Reports the RFC 4733 DTMF key presses the peer sends on s as telephone-event RTP of
 * payload type te_pt (96..127, from the SDP negotiation), once per press (see
 * acd__dtmf_rx_feed()), through cb with ud. te_pt -1 turns reporting off (cb and ud are
 * then ignored). Calling it again replaces the previous setting. cb runs from the
 * loop's receive callback and may call any stream function, close included. Returns 0
 * or -EINVAL (te_pt outside 96..127 and not -1, cb NULL, s closing).
 */
int acd_media_stream_set_dtmf(acd_media_stream_t *s, int te_pt, acd_media_dtmf_cb cb, void *ud);

/* A recording is over: rc 0 (the file is at its path) or negative errno; its length. */
typedef void (*acd_media_record_cb)(void *ud, int rc, int duration_ms);

/*
 * Records what the peer sends on s into the WAV file path (8 kHz mono 16-bit PCM):
 * every PCMU/PCMA packet received is decoded and appended, gaps of up to 1 s (lost
 * packets, silence suppression, a DTMF key press) are filled with silence so the length
 * is real, duplicates and late packets are dropped (see acd__record_feed()). The audio
 * goes to path + ".part", renamed to path when the recording ends, so readers never see
 * half a file; the directory must exist. The recording ends, and done(ud, rc,
 * duration_ms) is called once, when:
 *   - max_ms of audio has been written (rc 0, from the receive callback);
 *   - max_ms + 1 s have passed on the clock, however little came (rc 0, from the tick);
 *   - acd_media_stream_record_stop() is called (rc 0, before it returns);
 *   - the stream or the engine is closed (rc 0, before the close returns: a caller who
 *     hangs up keeps the message);
 *   - writing fails (rc -EIO; path.part is removed, path is not created).
 * A rename failure is reported as its negative errno. done may be NULL and may call
 * any stream function (close included). Writes are not fsync'ed. Returns 0, -EINVAL
 * (s closing, path empty, max_ms <= 0), -EBUSY (already recording), -ENAMETOOLONG,
 * -ENOMEM, the errno of creating path.part (-ENOENT, -EACCES ...) or -EIO.
 */
int acd_media_stream_record_start(acd_media_stream_t *s, const char *path, int max_ms,
                                  acd_media_record_cb done, void *ud);

/*
 * Ends the recording on s now; done is called before this returns. Returns done's rc
 * (0 or a negative errno), or -ENOENT when s is not recording.
 */
int acd_media_stream_record_stop(acd_media_stream_t *s);

typedef struct acd_media_stats {
    uint64_t streams_open;
    uint64_t streams_playing;
    uint64_t rtp_sent;
    uint64_t rtp_received;
    uint64_t send_errors;
    uint64_t ticks_late;     /* ticks that ran more than 10 ms late */
    uint64_t rtp_malformed;  /* received datagrams that are not RTP, or bad telephone-events */
    uint64_t dtmf_digits;    /* RFC 4733 key presses reported */
    uint64_t recordings;     /* recordings in progress (a gauge) */
    uint64_t records_done;   /* recordings ended with their file in place */
    uint64_t records_failed; /* recordings ended by an error (no file) */
} acd_media_stats_t;
void acd_media_stats(const acd_media_t *m, acd_media_stats_t *out);

/* Packets received on a stream (tests: the caller's RTP reached us). */
uint64_t acd_media_stream_rx(const acd_media_stream_t *s);

#endif
