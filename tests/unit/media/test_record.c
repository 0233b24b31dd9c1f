/* test_record.c - recordings: G.711 packets to WAV, gaps, duplicates, limits, the .part file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>

#include "media/record.h"
#include "media_fixture.h"
#include "util/log.h"

#define A 0xAAAA0001u /* SSRCs */
#define B 0xBBBB0002u
#define SIL (-1) /* a segment of silence */

/* One packet: header fields, and the payload: len samples of the tone from src. */
typedef struct rec_pkt {
    uint16_t seq;
    uint32_t ts;
    uint8_t pt;
    uint32_t ssrc;
    size_t len;
    size_t src;
    int rc; /* acd__record_feed() must return this */
} rec_pkt_t;

/* What the file must hold: n samples of the tone from src, or of silence (src SIL). */
typedef struct rec_seg {
    long src;
    size_t n;
} rec_seg_t;

typedef struct rec_case {
    const char *name;
    int max_ms;
    rec_pkt_t pkts[8];
    size_t n_pkts;
    rec_seg_t segs[6];
    size_t n_segs;
} rec_case_t;

static const rec_case_t rec_cases[] = {
    {"contiguous",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 160, 0, A, 160, 160, 0}, {12, 320, 0, A, 160, 320, 0}},
     3,
     {{0, 480}},
     1},
    {"five packets lost",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 160, 0, A, 160, 160, 0}, {17, 1120, 0, A, 160, 1120, 0}},
     3,
     {{0, 320}, {SIL, 800}, {1120, 160}},
     3},
    {"duplicate dropped",
     1000,
     {{10, 0, 0, A, 160, 0, 0},
      {11, 160, 0, A, 160, 160, 0},
      {11, 160, 0, A, 160, 160, 0},
      {12, 320, 0, A, 160, 320, 0}},
     4,
     {{0, 480}},
     1},
    {"late packet dropped, its place stays silent",
     1000,
     {{10, 0, 0, A, 160, 0, 0},
      {12, 320, 0, A, 160, 320, 0},
      {11, 160, 0, A, 160, 160, 0},
      {13, 480, 0, A, 160, 480, 0}},
     4,
     {{0, 160}, {SIL, 160}, {320, 320}},
     3},
    {"silence suppression: timestamp ahead 0.5 s",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 4160, 0, A, 160, 4160, 0}},
     2,
     {{0, 160}, {SIL, 4000}, {4160, 160}},
     3},
    {"timestamp jump over 1 s is not filled",
     3000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 20160, 0, A, 160, 160, 0}},
     2,
     {{0, 320}},
     1},
    {"timestamp jump over 1 s: lost packets still counted by sequence",
     3000,
     {{10, 0, 0, A, 160, 0, 0}, {13, 50000, 0, A, 160, 480, 0}},
     2,
     {{0, 160}, {SIL, 320}, {480, 160}},
     3},
    {"comfort noise marks silence",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 160, 13, A, 1, 0, 0}, {12, 2160, 0, A, 160, 2160, 0}},
     3,
     {{0, 160}, {SIL, 2000}, {2160, 160}},
     3},
    {"telephone-event in between: its time is silence",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {11, 160, 101, A, 4, 0, 0}, {12, 320, 0, A, 160, 320, 0}},
     3,
     {{0, 160}, {SIL, 160}, {320, 160}},
     3},
    {"new SSRC: no fill",
     1000,
     {{10, 0, 0, A, 160, 0, 0}, {500, 99999, 0, B, 160, 160, 0}, {501, 100159, 0, B, 160, 320, 0}},
     3,
     {{0, 480}},
     1},
    {"sequence wraps",
     1000,
     {{65535, 0, 0, A, 160, 0, 0}, {0, 160, 0, A, 160, 160, 0}, {2, 480, 0, A, 160, 480, 0}},
     3,
     {{0, 320}, {SIL, 160}, {480, 160}},
     3},
    {"30 ms packets, one lost",
     1000,
     {{10, 0, 0, A, 240, 0, 0}, {12, 480, 0, A, 240, 480, 0}},
     2,
     {{0, 240}, {SIL, 240}, {480, 240}},
     3},
    {"max reached inside a packet",
     50, /* 400 samples */
     {{10, 0, 0, A, 160, 0, 0}, {11, 160, 0, A, 160, 160, 0}, {12, 320, 0, A, 160, 320, 1}},
     3,
     {{0, 400}},
     1},
    {"max reached inside a gap",
     50,
     {{10, 0, 0, A, 160, 0, 0}, {15, 800, 0, A, 160, 800, 1}},
     2,
     {{0, 160}, {SIL, 240}},
     2},
    {"sender restarts its sequence far back",
     1000,
     {{30000, 0, 0, A, 160, 0, 0}, {100, 160, 0, A, 160, 160, 0}},
     2,
     {{0, 320}},
     1},
};

/* Encodes packet k's payload: the tone from src, in mu-law or A-law by pt. */
static void rec_payload(uint8_t *out, const rec_pkt_t *k)
{
    for (size_t i = 0; i < k->len; i++) {
        int16_t v = fixture_tone(k->src + i);
        out[i] = k->pt == 8 ? linear_to_alaw(v) : linear_to_ulaw(v);
    }
}

/* Expected sample: what G.711 gives back for the tone (in pt), or 0 for silence. */
static int16_t rec_expect(long src, size_t i, uint8_t pt)
{
    if (src == SIL)
        return 0;
    int16_t v = fixture_tone((size_t)src + i);
    return pt == 8 ? alaw_to_linear(linear_to_alaw(v)) : ulaw_to_linear(linear_to_ulaw(v));
}

static void run_case(const char *dir, const rec_case_t *c, uint8_t pt)
{
    char path[PATH_MAX], part[PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/rec.wav", dir);
    snprintf(part, sizeof(part), "%s.part", path);
    acd__record_t *r = NULL;
    assert_int_equal(acd__record_open(&r, path, c->max_ms), 0);
    assert_int_equal(access(part, F_OK), 0);
    for (size_t k = 0; k < c->n_pkts; k++) {
        rec_pkt_t pk = c->pkts[k];
        if (pk.pt == 0)
            pk.pt = pt;
        uint8_t payload[320];
        rec_payload(payload, &pk);
        acd_rtp_pkt_t p = {
            .h = {.pt = pk.pt, .seq = pk.seq, .ts = pk.ts, .ssrc = pk.ssrc},
            .payload = payload,
            .payload_len = pk.len,
        };
        assert_int_equal(acd__record_feed(r, &p), pk.rc);
    }
    size_t total = 0;
    for (size_t i = 0; i < c->n_segs; i++)
        total += c->segs[i].n;
    assert_int_equal(acd__record_duration_ms(r), (int)(total / 8));
    int duration_ms = -1;
    assert_int_equal(acd__record_close(r, true, &duration_ms), 0);
    assert_int_equal(duration_ms, (int)(total / 8));
    /* Renamed: the final name exists, the .part is gone. */
    assert_int_equal(access(part, F_OK), -1);
    static int16_t pcm[16000];
    SF_INFO info;
    assert_int_equal(fixture_wav_read(path, pcm, 16000, &info), (long)total);
    assert_int_equal(info.samplerate, 8000);
    assert_int_equal(info.channels, 1);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    size_t at = 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        for (size_t j = 0; j < c->segs[i].n; j++, at++)
            assert_int_equal(pcm[at], rec_expect(c->segs[i].src, j, pt));
    }
    unlink(path);
}

static void test_record_table(void **state)
{
    const char *dir = *state;
    for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
        print_message("case %s (PCMU)\n", rec_cases[i].name);
        run_case(dir, &rec_cases[i], 0);
        print_message("case %s (PCMA)\n", rec_cases[i].name);
        run_case(dir, &rec_cases[i], 8);
    }
}

static void test_decoded_values(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/known.wav", dir);
    /* Hand-checked G.711 code words: mu-law 0xFF/0x7F are 0, 0x80 is +32124, 0xCE is
     * +988; A-law 0xD5 is +8, 0xAA is +32256 (ITU-T G.711 tables). */
    const uint8_t mu[] = {0xFF, 0x7F, 0x80, 0xCE};
    const int16_t mu_want[] = {0, 0, 32124, 988};
    const uint8_t al[] = {0xD5, 0xAA};
    const int16_t al_want[] = {8, 32256};
    acd__record_t *r = NULL;
    assert_int_equal(acd__record_open(&r, path, 1000), 0);
    acd_rtp_pkt_t p = {
        .h = {.pt = 0, .seq = 1, .ts = 0, .ssrc = A}, .payload = mu, .payload_len = 4};
    assert_int_equal(acd__record_feed(r, &p), 0);
    p = (acd_rtp_pkt_t){
        .h = {.pt = 8, .seq = 2, .ts = 4, .ssrc = A}, .payload = al, .payload_len = 2};
    assert_int_equal(acd__record_feed(r, &p), 0);
    assert_int_equal(acd__record_close(r, true, NULL), 0);
    int16_t pcm[8];
    SF_INFO info;
    assert_int_equal(fixture_wav_read(path, pcm, 8, &info), 6);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pcm[i], mu_want[i]);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pcm[4 + i], al_want[i]);
    unlink(path);
}

static void test_discard_and_errors(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], part[PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/gone.wav", dir);
    snprintf(part, sizeof(part), "%s.part", path);
    acd__record_t *r = NULL;
    assert_int_equal(acd__record_open(&r, path, 1000), 0);
    uint8_t payload[160];
    memset(payload, 0xFF, sizeof(payload));
    acd_rtp_pkt_t p = {.h = {.pt = 0, .seq = 1, .ssrc = A}, .payload = payload, .payload_len = 160};
    assert_int_equal(acd__record_feed(r, &p), 0);
    /* Not kept: neither the file nor its .part remain. */
    assert_int_equal(acd__record_close(r, false, NULL), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(acd__record_close(NULL, true, NULL), 0);

    r = NULL;
    assert_int_equal(acd__record_open(&r, "/nonexistent/dir/x.wav", 1000), -ENOENT);
    assert_null(r);
    assert_int_equal(acd__record_open(&r, path, 0), -EINVAL);
    assert_int_equal(acd__record_open(&r, "", 1000), -EINVAL);
    assert_int_equal(acd__record_open(&r, NULL, 1000), -EINVAL);
    static char longpath[PATH_MAX + 10];
    memset(longpath, 'a', sizeof(longpath) - 1);
    assert_int_equal(acd__record_open(&r, longpath, 1000), -ENAMETOOLONG);
    assert_null(r);
}

static int dir_setup(void **state)
{
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/acd-record-test-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int dir_teardown(void **state)
{
    fixture_rmtree(*state);
    return 0;
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_table, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_decoded_values, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_discard_and_errors, dir_setup, dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
