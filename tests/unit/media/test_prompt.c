/* test_prompt.c - prompt encoding (G.711 via spandsp) and loading WAV files with libsndfile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>

#include "media/prompt.h"
#include "media_fixture.h"
#include "util/log.h"

static void make_sine(int16_t *pcm, size_t n, double freq, double amp)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)lrint(amp * sin(2.0 * M_PI * freq * (double)i / 8000.0));
}

static void test_encode_sine_frames(void **state)
{
    (void)state;
    enum { N = 8000 }; /* one second: exactly 50 frames */
    static int16_t pcm[N];
    make_sine(pcm, N, 1000.0, 10000.0);
    acd_prompt_t *p = NULL;
    assert_int_equal(acd__prompt_alloc(&p, "en", "tone", pcm, N), 0);
    assert_non_null(p);
    assert_int_equal(p->n_frames, 50);
    assert_string_equal(p->lang, "en");
    assert_string_equal(p->name, "tone");
    assert_ptr_equal(acd__prompt_frame(p, ACD_CODEC_PCMU, 1), p->pcmu + 160);
    assert_ptr_equal(acd__prompt_frame(p, ACD_CODEC_PCMA, 49), p->pcma + 49 * 160);

    /* Each byte is the G.711 code of its sample, and decodes back close to the sine. */
    g711_state_t *du = g711_init(NULL, G711_ULAW);
    g711_state_t *da = g711_init(NULL, G711_ALAW);
    assert_non_null(du);
    assert_non_null(da);
    static int16_t back_u[N], back_a[N];
    assert_int_equal(g711_decode(du, back_u, p->pcmu, N), N);
    assert_int_equal(g711_decode(da, back_a, p->pcma, N), N);
    double sig = 0, err_u = 0, err_a = 0;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(p->pcmu[i], linear_to_ulaw(pcm[i]));
        assert_int_equal(p->pcma[i], linear_to_alaw(pcm[i]));
        sig += (double)pcm[i] * pcm[i];
        err_u += (double)(pcm[i] - back_u[i]) * (pcm[i] - back_u[i]);
        err_a += (double)(pcm[i] - back_a[i]) * (pcm[i] - back_a[i]);
    }
    /* G.711 gives about 38 dB SNR on a loud tone; 30 dB proves the round trip. */
    assert_true(10.0 * log10(sig / err_u) > 30.0);
    assert_true(10.0 * log10(sig / err_a) > 30.0);
    g711_free(du);
    g711_free(da);
    acd__prompt_free(p);
}

static void test_encode_known_values(void **state)
{
    (void)state;
    /* 170 samples: 2 frames, the second padded with silence after 10 samples. */
    int16_t pcm[170];
    memset(pcm, 0, sizeof(pcm));
    pcm[0] = 1000;
    pcm[1] = -1000;
    acd_prompt_t *p = NULL;
    assert_int_equal(acd__prompt_alloc(&p, "es", "x", pcm, 170), 0);
    assert_int_equal(p->n_frames, 2);
    /* ITU-T G.711 code words (worked by hand from the segment tables). */
    assert_int_equal(p->pcmu[0], 0xCE);
    assert_int_equal(p->pcmu[1], 0x4E);
    assert_int_equal(p->pcma[0], 0xFA);
    assert_int_equal(p->pcma[1], 0x7A);
    for (size_t i = 2; i < 2 * 160; i++) {
        assert_int_equal(p->pcmu[i], 0xFF); /* PCMU silence */
        assert_int_equal(p->pcma[i], 0xD5); /* PCMA silence */
    }
    acd__prompt_free(p);
}

static void test_encode_rejects(void **state)
{
    (void)state;
    int16_t pcm[4] = {0};
    acd_prompt_t *p = NULL;
    assert_int_equal(acd__prompt_alloc(&p, "en", "x", pcm, 0), -EINVAL);
    assert_int_equal(acd__prompt_alloc(&p, "en", NULL, pcm, 4), -EINVAL);
    assert_int_equal(acd__prompt_alloc(&p, "a-language-name-too-long", "x", pcm, 4), -EINVAL);
    assert_null(p);
}

typedef struct fx {
    char dir[64];
} fx_t;

static int fx_setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/acd-media-test-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *f = *state;
    fixture_rmtree(f->dir);
    free(f);
    return 0;
}

static const char *const required[] = {"greeting", "moh"};

static void test_load_set(void **state)
{
    fx_t *f = *state;
    assert_int_equal(fixture_prompt(f->dir, "en", "greeting", 8000 * 2 + 80, 440.0), 0);
    assert_int_equal(fixture_prompt(f->dir, "en", "moh", 4000, 0.0), 0);
    assert_int_equal(fixture_prompt(f->dir, "es", "greeting", 1600, 300.0), 0);
    assert_int_equal(fixture_prompt(f->dir, "es", "moh", 160, 0.0), 0);
    /* A float WAV at 8 kHz mono is fine too: libsndfile converts. */
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/es/position.wav", f->dir);
    assert_int_equal(fixture_wav(path, 8000, 1, SF_FORMAT_FLOAT, 800, 500.0, 8000.0), 0);
    /* Not a prompt: ignored. */
    snprintf(path, sizeof(path), "%s/es/readme.txt", f->dir);
    FILE *t = fopen(path, "w");
    assert_non_null(t);
    fclose(t);

    acd_prompt_set_t set = {0};
    assert_int_equal(acd__prompt_set_load(&set, f->dir, "en", required, 2), 0);
    assert_int_equal(acd__prompt_set_load(&set, f->dir, "es", required, 2), 0);
    assert_int_equal(set.n, 5);
    const acd_prompt_t *g = acd__prompt_set_find(&set, "en", "greeting");
    assert_non_null(g);
    assert_int_equal(g->n_frames, 101); /* 16080 samples: 100 frames and a padded one */
    const acd_prompt_t *m = acd__prompt_set_find(&set, "es", "moh");
    assert_non_null(m);
    assert_int_equal(m->n_frames, 1);
    for (size_t i = 0; i < 160; i++)
        assert_int_equal(m->pcmu[i], 0xFF);
    const acd_prompt_t *pos = acd__prompt_set_find(&set, "es", "position");
    assert_non_null(pos);
    assert_int_equal(pos->n_frames, 5);
    assert_null(acd__prompt_set_find(&set, "en", "position"));
    assert_null(acd__prompt_set_find(&set, "fr", "greeting"));
    assert_ptr_not_equal(acd__prompt_set_find(&set, "es", "greeting"), g);
    acd__prompt_set_fini(&set);
    assert_int_equal(set.n, 0);
    assert_null(set.v);
}

static void test_load_missing(void **state)
{
    fx_t *f = *state;
    assert_int_equal(fixture_prompt(f->dir, "en", "greeting", 800, 440.0), 0);
    acd_prompt_set_t set = {0};
    /* moh is required and absent; a whole language directory absent too. */
    assert_int_equal(acd__prompt_set_load(&set, f->dir, "en", required, 2), -ENOENT);
    assert_int_equal(acd__prompt_set_load(&set, f->dir, "fr", required, 2), -ENOENT);
    acd__prompt_set_fini(&set);
    acd_prompt_t *p = NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/en/nothing.wav", f->dir);
    assert_int_equal(acd__prompt_load(&p, path, "en", "nothing"), -ENOENT);
    assert_null(p);
}

static void test_load_wrong_format(void **state)
{
    fx_t *f = *state;
    char path[PATH_MAX];
    acd_prompt_t *p = NULL;
    snprintf(path, sizeof(path), "%s/wide.wav", f->dir);
    assert_int_equal(fixture_wav(path, 16000, 1, SF_FORMAT_PCM_16, 1600, 440.0, 8000.0), 0);
    assert_int_equal(acd__prompt_load(&p, path, "en", "wide"), -EINVAL);
    snprintf(path, sizeof(path), "%s/stereo.wav", f->dir);
    assert_int_equal(fixture_wav(path, 8000, 2, SF_FORMAT_PCM_16, 1600, 440.0, 8000.0), 0);
    assert_int_equal(acd__prompt_load(&p, path, "en", "stereo"), -EINVAL);
    snprintf(path, sizeof(path), "%s/empty.wav", f->dir);
    assert_int_equal(fixture_wav(path, 8000, 1, SF_FORMAT_PCM_16, 0, 0.0, 0.0), 0);
    assert_int_equal(acd__prompt_load(&p, path, "en", "empty"), -EINVAL);
    snprintf(path, sizeof(path), "%s/garbage.wav", f->dir);
    FILE *g = fopen(path, "w");
    assert_non_null(g);
    fputs("this is not a RIFF file at all", g);
    fclose(g);
    assert_int_equal(acd__prompt_load(&p, path, "en", "garbage"), -EINVAL);
    assert_null(p);
    /* A refused file in a language directory fails the whole language. */
    assert_int_equal(fixture_lang_dir(f->dir, "en"), 0);
    snprintf(path, sizeof(path), "%s/en/greeting.wav", f->dir);
    assert_int_equal(fixture_wav(path, 16000, 1, SF_FORMAT_PCM_16, 1600, 440.0, 8000.0), 0);
    assert_int_equal(fixture_prompt(f->dir, "en", "moh", 160, 0.0), 0);
    acd_prompt_set_t set = {0};
    assert_int_equal(acd__prompt_set_load(&set, f->dir, "en", required, 2), -EINVAL);
    acd__prompt_set_fini(&set);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_sine_frames),
        cmocka_unit_test(test_encode_known_values),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test_setup_teardown(test_load_set, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_load_wrong_format, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
