/* bench_media.c - RTP send cost: N streams playing to a local sink for a few seconds. */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "media/media.h"
#include "util/err.h"
#include "util/log.h"

/*
 * Usage: bench_media [STREAMS [SECONDS [PORT_MIN]]]   (defaults 2000, 5, 30000)
 *
 * Opens STREAMS streams on 127.0.0.1, each playing greeting then looped music (PCMU) to
 * one sink socket on 127.0.0.1, runs the loop for SECONDS and prints packets sent per
 * second, CPU seconds (getrusage: user and system, the kernel's UDP path included) and
 * late ticks. The sink is bound but never read, so the receiver costs nothing in this
 * process; the kernel drops what overflows its buffer. Prompts are generated into a
 * temporary directory. Not part of the test suite.
 */

static int bench_wav(const char *dir, const char *name, size_t frames, double freq)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/en/%s.wav", dir, name);
    SF_INFO info = {.samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return -1;
    for (size_t i = 0; i < frames; i++) {
        short v = (short)(6000.0 * sin(2.0 * M_PI * freq * (double)i / 8000.0));
        sf_writef_short(f, &v, 1);
    }
    sf_close(f);
    return 0;
}

static void bench_stop_cb(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static double tv_sec(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int secs = argc > 2 ? atoi(argv[2]) : 5;
    int port_min = argc > 3 ? atoi(argv[3]) : 30000;
    if (n <= 0 || secs <= 0 || port_min <= 0 || port_min + 2 * n + 64 > 65535) {
        fprintf(stderr, "usage: %s [STREAMS [SECONDS [PORT_MIN]]]\n", argv[0]);
        return 2;
    }
    acd_log_init(NULL, ACD_LOG_WARN, "bench");
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    char dir[] = "/tmp/acd-bench-media-XXXXXX";
    char sub[600];
    if (!mkdtemp(dir))
        return 1;
    snprintf(sub, sizeof(sub), "%s/en", dir);
    if (mkdir(sub, 0755) < 0 || bench_wav(dir, "greeting", 8000, 440.0) < 0 ||
        bench_wav(dir, "moh", 16000, 330.0) < 0) {
        fprintf(stderr, "cannot write prompts under %s\n", dir);
        return 1;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    const char *langs[] = {"en"};
    acd_media_cfg_t cfg = {.addr = "127.0.0.1",
                           .port_min = (uint16_t)port_min,
                           .port_max = (uint16_t)(port_min + 2 * n + 63),
                           .prompts_dir = dir,
                           .languages = langs,
                           .n_languages = 1};
    acd_media_t *m = NULL;
    int rc = acd_media_alloc(&m, &loop, &cfg);
    if (rc < 0) {
        fprintf(stderr, "acd_media_alloc: %s\n", acd_strerror(rc));
        return 1;
    }
    uv_udp_t sink;
    struct sockaddr_in sink_addr;
    uv_udp_init(&loop, &sink);
    uv_ip4_addr("127.0.0.1", 0, &sink_addr);
    uv_udp_bind(&sink, (struct sockaddr *)&sink_addr, 0);
    int len = sizeof(sink_addr);
    uv_udp_getsockname(&sink, (struct sockaddr *)&sink_addr, &len);

    acd_media_stream_t **streams = calloc((size_t)n, sizeof(*streams));
    for (int i = 0; i < n; i++) {
        if ((rc = acd_media_stream_open(m, &streams[i])) < 0 ||
            (rc = acd_media_stream_play(streams[i], (struct sockaddr *)&sink_addr, ACD_CODEC_PCMU,
                                        "en", "greeting", "moh")) < 0) {
            fprintf(stderr, "stream %d: %s\n", i, acd_strerror(rc));
            return 1;
        }
    }

    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    uv_update_time(&loop); /* the stop timer counts from now, not from uv_loop_init() */
    uint64_t t0 = uv_hrtime();
    uv_timer_t stop;
    uv_timer_init(&loop, &stop);
    uv_timer_start(&stop, bench_stop_cb, (uint64_t)secs * 1000, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    double wall = (double)(uv_hrtime() - t0) / 1e9;
    getrusage(RUSAGE_SELF, &r1);

    acd_media_stats_t st;
    acd_media_stats(m, &st);
    double user = tv_sec(r1.ru_utime) - tv_sec(r0.ru_utime);
    double sys = tv_sec(r1.ru_stime) - tv_sec(r0.ru_stime);
    printf("streams          %d\n", n);
    printf("wall_s           %.3f\n", wall);
    printf("packets_sent     %llu\n", (unsigned long long)st.rtp_sent);
    printf("packets_per_s    %.0f (target %d)\n", (double)st.rtp_sent / wall, n * 50);
    printf("cpu_user_s       %.3f\n", user);
    printf("cpu_sys_s        %.3f\n", sys);
    printf("cpu_core_share   %.1f%%\n", 100.0 * (user + sys) / wall);
    printf("cpu_us_per_pkt   %.2f\n", st.rtp_sent ? 1e6 * (user + sys) / (double)st.rtp_sent : 0.0);
    printf("send_errors      %llu\n", (unsigned long long)st.send_errors);
    printf("ticks_late       %llu (of ~%d)\n", (unsigned long long)st.ticks_late, secs * 50);

    uv_close((uv_handle_t *)&stop, NULL);
    uv_close((uv_handle_t *)&sink, NULL);
    acd_media_close(m, NULL, NULL); /* closes the streams too */
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&loop);
    free(streams);
    char path[700];
    snprintf(path, sizeof(path), "%s/en/greeting.wav", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/en/moh.wav", dir);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    return rc == 0 ? 0 : 1;
}
