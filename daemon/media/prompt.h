/* prompt.h - voice prompts loaded from WAV files and pre-encoded as 20 ms G.711 frames. */
#ifndef ACD_MEDIA_PROMPT_H
#define ACD_MEDIA_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "sip/sdp.h"

/* One RTP frame: 20 ms at 8 kHz, one byte per sample in G.711. */
#define ACD_PROMPT_RATE 8000
#define ACD_PROMPT_FRAME_SAMPLES 160

/*
 * A prompt is immutable once built: n_frames frames of ACD_PROMPT_FRAME_SAMPLES bytes in
 * each codec, laid out back to back. The last frame is padded with encoded silence.
 */
typedef struct acd_prompt {
    char lang[16];
    char name[64];
    size_t n_frames;
    uint8_t *pcmu;
    uint8_t *pcma;
} acd_prompt_t;

/*
 * Encodes n_samples of 8 kHz mono linear PCM (n_samples > 0) into a new prompt named
 * name in language lang; the caller owns *pp and frees it with acd__prompt_free().
 * Returns 0, -EINVAL (no samples, names too long), -ENOMEM.
 */
int acd__prompt_alloc(acd_prompt_t **pp, const char *lang, const char *name, const int16_t *pcm,
                      size_t n_samples);

/*
 * Reads the sound file at path with libsndfile and encodes it as acd__prompt_alloc()
 * does. The file must be 8 kHz mono (any sample encoding libsndfile reads); other rates
 * or channel counts are refused with a log ACD-MEDIA-PROMPT-FORMAT naming the file.
 * Returns 0, -ENOENT (no such file), -EINVAL (unreadable, wrong format or empty), -ENOMEM.
 */
int acd__prompt_load(acd_prompt_t **pp, const char *path, const char *lang, const char *name);

/* Frees p and its frames; NULL is ignored. */
void acd__prompt_free(acd_prompt_t *p);

/* Returns frame i (< n_frames) in codec (PCMU or PCMA): ACD_PROMPT_FRAME_SAMPLES bytes. */
static inline const uint8_t *acd__prompt_frame(const acd_prompt_t *p, acd_codec_t codec, size_t i)
{
    const uint8_t *base = codec == ACD_CODEC_PCMA ? p->pcma : p->pcmu;
    return base + i * ACD_PROMPT_FRAME_SAMPLES;
}

/* Every prompt of the loaded languages; owns its prompts. Zero-initialise to start. */
typedef struct acd_prompt_set {
    acd_prompt_t **v;
    size_t n;
    size_t cap;
} acd_prompt_set_t;

/*
 * Loads every <dir>/<lang>/<name>.wav into set. Each name in required (n_required
 * entries) must be present; a missing one is logged as ACD-MEDIA-PROMPT-MISSING with
 * its path. Returns 0, -ENOENT (language directory or a required prompt missing),
 * -EINVAL (a file refused by acd__prompt_load()), -ENOMEM. On error set may hold some
 * prompts of lang; acd__prompt_set_fini() frees the set either way.
 */
int acd__prompt_set_load(acd_prompt_set_t *set, const char *dir, const char *lang,
                         const char *const *required, size_t n_required);

/* Returns the prompt name in lang, or NULL. The set keeps ownership. */
const acd_prompt_t *acd__prompt_set_find(const acd_prompt_set_t *set, const char *lang,
                                         const char *name);

/* Frees every prompt; the set is zeroed and may be reused. */
void acd__prompt_set_fini(acd_prompt_set_t *set);

#endif
