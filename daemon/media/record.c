/* record.c - recordings: G.711 RTP decoded (spandsp) and written as WAV (libsndfile). */
#include "media/record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sndfile.h>
#include <spandsp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* RTP payload types a recording understands (RFC 3551 table 4). */
#define RECORD_PT_PCMU 0
#define RECORD_PT_PCMA 8
#define RECORD_PT_CN 13
/*
 * A sequence number this far behind the last one is not a late packet but a sender
 * that restarted its numbering under the same SSRC: the recording follows it.
 */
#define RECORD_SEQ_RESTART 1000
/* Samples decoded per libsndfile write (a 20 ms packet is 160). */
#define RECORD_CHUNK 320

struct acd__record {
    SNDFILE *f;
    int fd; /* owned here, not by libsndfile: it does not close it on every error path */
    char path[PATH_MAX];
    char part[PATH_MAX]; /* path + ".part": where the audio goes until close */
    int64_t written;     /* samples written, silence included */
    int64_t max;         /* samples allowed */
    bool have_last;      /* the fields below describe the last packet taken */
    uint16_t last_seq;
    uint32_t ssrc;
    uint32_t next_ts;  /* timestamp just after the last packet's audio */
    uint32_t last_spp; /* samples per packet of the last audio packet */
    bool failed;
};

/* One second of silence, the most a gap is filled with. */
static const int16_t record_zeros[ACD_RECORD_MAX_GAP];

int acd__record_open(acd__record_t **rp, const char *path, int max_ms)
{
    int rc = 0;
    acd__record_t *r = NULL;
    int fd = -1;
    if (!rp || !path || !*path || max_ms <= 0) {
        rc = -EINVAL;
        goto out;
    }
    if (strlen(path) + sizeof(".part") > sizeof(r->part)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    if (!(r = calloc(1, sizeof(*r)))) {
        rc = -ENOMEM;
        goto out;
    }
    snprintf(r->path, sizeof(r->path), "%s", path);
    snprintf(r->part, sizeof(r->part), "%s.part", path);
    r->max = (int64_t)max_ms * (ACD_RECORD_RATE / 1000);
    r->last_spp = 160;
    fd = open(r->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    SF_INFO info = {
        .samplerate = ACD_RECORD_RATE,
        .channels = 1,
        .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16,
    };
    if (!(r->f = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE))) {
        acd_log_err("ACD-MEDIA-RECORD-OPEN", "path=%s libsndfile refused the file: %s", r->part,
                    sf_strerror(NULL));
        close(fd);
        unlink(r->part);
        rc = -EIO;
        goto out;
    }
    r->fd = fd;
    *rp = r;
    r = NULL;
out:
    free(r);
    return rc;
}

/* Writes n samples (pcm NULL: silence), cut at max; returns 0, 1 at max, -EIO. */
static int record_write(acd__record_t *r, const int16_t *pcm, size_t n)
{
    int64_t room = r->max - r->written;
    bool full = (int64_t)n >= room;
    if (full)
        n = (size_t)room;
    while (n > 0) {
        size_t k = pcm ? n : (n < ACD_RECORD_MAX_GAP ? n : ACD_RECORD_MAX_GAP);
        if (sf_write_short(r->f, pcm ? pcm : record_zeros, (sf_count_t)k) != (sf_count_t)k) {
            r->failed = true;
            acd_log_err("ACD-MEDIA-RECORD-WRITE", "path=%s write failed: %s", r->part,
                        sf_strerror(r->f));
            return -EIO;
        }
        r->written += (int64_t)k;
        n -= k;
        if (pcm)
            pcm += k;
    }
    return full ? 1 : 0;
}

/* Writes the G.711 payload decoded, RECORD_CHUNK samples at a time. */
static int record_decode(acd__record_t *r, const uint8_t *g711, size_t n, bool alaw)
{
    int16_t pcm[RECORD_CHUNK];
    while (n > 0) {
        size_t k = n < RECORD_CHUNK ? n : RECORD_CHUNK;
        for (size_t i = 0; i < k; i++)
            pcm[i] = alaw ? alaw_to_linear(g711[i]) : ulaw_to_linear(g711[i]);
        int rc = record_write(r, pcm, k);
        if (rc != 0)
            return rc;
        g711 += k;
        n -= k;
    }
    return 0;
}

/* Samples of silence owed before packet p (seq ahead of the last by d > 0). */
static size_t record_gap(const acd__record_t *r, const acd_rtp_hdr_t *h, int d)
{
    int32_t ahead = (int32_t)(h->ts - r->next_ts);
    if (ahead >= 0 && ahead <= ACD_RECORD_MAX_GAP)
        return (size_t)ahead;
    /* The timestamp is no guide (it went back, or jumped): count the missing packets. */
    uint64_t missing = (uint64_t)(d - 1) * r->last_spp;
    return missing <= ACD_RECORD_MAX_GAP ? (size_t)missing : 0;
}

int acd__record_feed(acd__record_t *r, const acd_rtp_pkt_t *p)
{
    if (r->failed)
        return -EIO;
    uint8_t pt = p->h.pt;
    if (pt != RECORD_PT_PCMU && pt != RECORD_PT_PCMA && pt != RECORD_PT_CN)
        return 0;
    size_t n = pt == RECORD_PT_CN ? 0 : p->payload_len;
    size_t gap = 0;
    if (r->have_last && p->h.ssrc == r->ssrc) {
        int d = (int16_t)(p->h.seq - r->last_seq);
        if (d <= 0 && d > -RECORD_SEQ_RESTART)
            return 0; /* a duplicate, or too late: its place is already written */
        if (d > 0)
            gap = record_gap(r, &p->h, d);
    }
    r->have_last = true;
    r->last_seq = p->h.seq;
    r->ssrc = p->h.ssrc;
    /* Comfort noise stands for silence from its timestamp on: the next packet fills it. */
    r->next_ts = p->h.ts + (uint32_t)n;
    if (n > 0)
        r->last_spp = (uint32_t)n;
    int rc = gap ? record_write(r, NULL, gap) : 0;
    if (rc == 0 && n > 0)
        rc = record_decode(r, p->payload, n, pt == RECORD_PT_PCMA);
    return rc;
}

int acd__record_duration_ms(const acd__record_t *r)
{
    return (int)(r->written * 1000 / ACD_RECORD_RATE);
}

int acd__record_close(acd__record_t *r, bool keep, int *duration_ms)
{
    if (!r)
        return 0;
    int rc = 0;
    if (duration_ms)
        *duration_ms = acd__record_duration_ms(r);
    /* sf_close() writes the final WAV header (the data length); no fsync (see header). */
    int sf_rc = sf_close(r->f);
    if (close(r->fd) != 0 || sf_rc != 0) {
        acd_log_err("ACD-MEDIA-RECORD-CLOSE", "path=%s closing the WAV file failed", r->part);
        rc = -EIO;
    }
    if (rc == 0 && keep && rename(r->part, r->path) < 0) {
        rc = -errno;
        acd_log_err("ACD-MEDIA-RECORD-RENAME", "path=%s rename failed: %s", r->path, strerror(-rc));
    }
    if (rc < 0 || !keep)
        unlink(r->part);
    free(r);
    return rc;
}
