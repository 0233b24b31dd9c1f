/* prompt.c - voice prompts: WAV reading (libsndfile), G.711 encoding (spandsp), lookup. */
#include "media/prompt.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sndfile.h>
#include <spandsp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

/* Longest prompt accepted: one hour keeps a corrupt header from allocating gigabytes. */
#define PROMPT_MAX_SAMPLES ((sf_count_t)ACD_PROMPT_RATE * 3600)

/* Encodes n samples with a fresh spandsp G.711 coder in mode (G711_ULAW or G711_ALAW). */
static int prompt_encode(uint8_t *out, const int16_t *pcm, size_t n, int mode)
{
    g711_state_t *g = g711_init(NULL, mode);
    if (!g)
        return -ENOMEM;
    g711_encode(g, out, pcm, (int)n);
    g711_free(g);
    return 0;
}

int acd__prompt_alloc(acd_prompt_t **pp, const char *lang, const char *name, const int16_t *pcm,
                      size_t n_samples)
{
    int rc = 0;
    acd_prompt_t *p = NULL;
    int16_t *padded = NULL;
    if (!pp || !lang || !name || !pcm || n_samples == 0 || n_samples > (size_t)INT_MAX ||
        strlen(lang) >= sizeof(p->lang) || strlen(name) >= sizeof(p->name)) {
        rc = -EINVAL;
        goto out;
    }
    size_t n_frames = (n_samples + ACD_PROMPT_FRAME_SAMPLES - 1) / ACD_PROMPT_FRAME_SAMPLES;
    size_t total = n_frames * ACD_PROMPT_FRAME_SAMPLES;
    p = calloc(1, sizeof(*p));
    /* The tail of the last frame is linear silence, encoded like the rest. */
    padded = calloc(total, sizeof(*padded));
    if (!p || !padded || !(p->pcmu = malloc(total)) || !(p->pcma = malloc(total))) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(padded, pcm, n_samples * sizeof(*pcm));
    snprintf(p->lang, sizeof(p->lang), "%s", lang);
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->n_frames = n_frames;
    if ((rc = prompt_encode(p->pcmu, padded, total, G711_ULAW)) < 0 ||
        (rc = prompt_encode(p->pcma, padded, total, G711_ALAW)) < 0)
        goto out;
    *pp = p;
    p = NULL;
out:
    free(padded);
    acd__prompt_free(p);
    return rc;
}

int acd__prompt_load(acd_prompt_t **pp, const char *path, const char *lang, const char *name)
{
    int rc = 0;
    SNDFILE *f = NULL;
    int16_t *pcm = NULL;
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    if (!pp || !path || !lang || !name) {
        rc = -EINVAL;
        goto out;
    }
    f = sf_open(path, SFM_READ, &info);
    if (!f) {
        /* libsndfile does not keep errno apart from its own codes; ask the file system. */
        FILE *probe = fopen(path, "rb");
        if (!probe) {
            rc = errno == ENOENT ? -ENOENT : -EINVAL;
        } else {
            fclose(probe);
            rc = -EINVAL;
        }
        acd_log_err("ACD-MEDIA-PROMPT-OPEN", "path=%s err=%s cannot read sound file: %s", path,
                    acd_errname(rc), sf_strerror(NULL));
        goto out;
    }
    if (info.samplerate != ACD_PROMPT_RATE || info.channels != 1) {
        acd_log_err("ACD-MEDIA-PROMPT-FORMAT",
                    "path=%s rate=%d channels=%d prompt must be %d Hz mono (see "
                    "deploy/prompts/make-prompts)",
                    path, info.samplerate, info.channels, ACD_PROMPT_RATE);
        rc = -EINVAL;
        goto out;
    }
    if (info.frames <= 0 || info.frames > PROMPT_MAX_SAMPLES) {
        acd_log_err("ACD-MEDIA-PROMPT-FORMAT", "path=%s samples=%lld prompt is empty or too long",
                    path, (long long)info.frames);
        rc = -EINVAL;
        goto out;
    }
    pcm = malloc((size_t)info.frames * sizeof(*pcm));
    if (!pcm) {
        rc = -ENOMEM;
        goto out;
    }
    /* libsndfile converts any sample encoding (16-bit, float, G.711 WAV ...) to 16-bit. */
    sf_count_t got = sf_readf_short(f, pcm, info.frames);
    if (got <= 0) {
        acd_log_err("ACD-MEDIA-PROMPT-FORMAT", "path=%s no samples could be read: %s", path,
                    sf_strerror(f));
        rc = -EINVAL;
        goto out;
    }
    rc = acd__prompt_alloc(pp, lang, name, pcm, (size_t)got);
out:
    if (f)
        sf_close(f);
    free(pcm);
    return rc;
}

void acd__prompt_free(acd_prompt_t *p)
{
    if (!p)
        return;
    free(p->pcmu);
    free(p->pcma);
    free(p);
}

static int prompt_set_add(acd_prompt_set_t *set, acd_prompt_t *p)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        acd_prompt_t **v = realloc(set->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        set->v = v;
        set->cap = cap;
    }
    set->v[set->n++] = p;
    return 0;
}

/* Returns true and the name without ".wav" in name when file is a prompt file. */
static bool prompt_file_name(const char *file, char *name, size_t size)
{
    size_t len = strlen(file);
    if (len <= 4 || strcmp(file + len - 4, ".wav") != 0 || file[0] == '.' || len - 4 >= size)
        return false;
    memcpy(name, file, len - 4);
    name[len - 4] = '\0';
    return true;
}

int acd__prompt_set_load(acd_prompt_set_t *set, const char *dir, const char *lang,
                         const char *const *required, size_t n_required)
{
    int rc = 0;
    DIR *d = NULL;
    char path[PATH_MAX];
    if (!set || !dir || !lang || !*lang || strchr(lang, '/') || (n_required && !required)) {
        rc = -EINVAL;
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, lang);
    d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char name[sizeof(((acd_prompt_t *)0)->name)];
            if (!prompt_file_name(e->d_name, name, sizeof(name)) ||
                acd__prompt_set_find(set, lang, name))
                continue;
            acd_prompt_t *p = NULL;
            snprintf(path, sizeof(path), "%s/%s/%s", dir, lang, e->d_name);
            if ((rc = acd__prompt_load(&p, path, lang, name)) < 0)
                goto out;
            if ((rc = prompt_set_add(set, p)) < 0) {
                acd__prompt_free(p);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < n_required; i++) {
        if (acd__prompt_set_find(set, lang, required[i]))
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s.wav", dir, lang, required[i]);
        acd_log_err("ACD-MEDIA-PROMPT-MISSING",
                    "lang=%s prompt=%s path=%s required prompt not found (run "
                    "deploy/prompts/make-prompts)",
                    lang, required[i], path);
        rc = -ENOENT;
        goto out;
    }
out:
    if (d)
        closedir(d);
    return rc;
}

const acd_prompt_t *acd__prompt_set_find(const acd_prompt_set_t *set, const char *lang,
                                         const char *name)
{
    if (!set || !lang || !name)
        return NULL;
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->v[i]->name, name) == 0 && strcmp(set->v[i]->lang, lang) == 0)
            return set->v[i];
    }
    return NULL;
}

void acd__prompt_set_fini(acd_prompt_set_t *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        acd__prompt_free(set->v[i]);
    free(set->v);
    memset(set, 0, sizeof(*set));
}
