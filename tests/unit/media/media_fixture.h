/* media_fixture.h - test helpers for media: temporary prompt directories of generated WAVs. */
#ifndef ACD_TEST_MEDIA_FIXTURE_H
#define ACD_TEST_MEDIA_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Writes a sine of freq Hz (0 = silence) at amplitude amp (of full scale 32767) to path
 * as a WAV of rate Hz, channels channels and libsndfile subformat (SF_FORMAT_PCM_16 ...).
 * Returns 0 or -1.
 */
static inline int fixture_wav(const char *path, int rate, int channels, int subformat,
                              size_t frames, double freq, double amp)
{
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | subformat;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return -1;
    int16_t *pcm = calloc(frames * (size_t)channels, sizeof(*pcm));
    if (!pcm) {
        sf_close(f);
        return -1;
    }
    for (size_t i = 0; i < frames; i++) {
        double v = freq > 0 ? amp * sin(2.0 * M_PI * freq * (double)i / rate) : 0.0;
        for (int c = 0; c < channels; c++)
            pcm[i * (size_t)channels + (size_t)c] = (int16_t)lrint(v);
    }
    sf_count_t n = sf_writef_short(f, pcm, (sf_count_t)frames);
    free(pcm);
    sf_close(f);
    return n == (sf_count_t)frames ? 0 : -1;
}

/*
 * Reads the sound file at path: up to max frames into pcm (may be NULL with max 0) and
 * its format into *info. Returns the number of frames in the file, or -1.
 */
static inline long fixture_wav_read(const char *path, int16_t *pcm, size_t max, SF_INFO *info)
{
    memset(info, 0, sizeof(*info));
    SNDFILE *f = sf_open(path, SFM_READ, info);
    if (!f)
        return -1;
    if (max > 0 && sf_readf_short(f, pcm, (sf_count_t)max) < 0) {
        sf_close(f);
        return -1;
    }
    sf_close(f);
    return (long)info->frames;
}

/*
 * Sample i of the test signal: a 437 Hz tone at amplitude 8000, 8 kHz sampling. The
 * frequency shares no period with a 160-sample packet, so a packet in the wrong place
 * shows in the samples.
 */
static inline int16_t fixture_tone(size_t i)
{
    return (int16_t)lrint(8000.0 * sin(2.0 * M_PI * 437.0 * (double)i / 8000.0));
}

/* Makes dir/lang (the prompt directory of one language); returns 0 or -1. */
static inline int fixture_lang_dir(const char *dir, const char *lang)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, lang);
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Writes dir/lang/name.wav as an 8 kHz mono 16-bit prompt of frames samples. */
static inline int fixture_prompt(const char *dir, const char *lang, const char *name, size_t frames,
                                 double freq)
{
    char path[PATH_MAX];
    if (fixture_lang_dir(dir, lang) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s/%s.wav", dir, lang, name);
    return fixture_wav(path, 8000, 1, SF_FORMAT_PCM_16, frames, freq, 8000.0);
}

static inline int fixture_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the directory tree at dir (made by mkdtemp in the test). */
static inline void fixture_rmtree(const char *dir)
{
    nftw(dir, fixture_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
