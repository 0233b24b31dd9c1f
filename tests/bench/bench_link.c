/* bench_link.c - site link throughput and one-way lag: site A publishes, site B subscribes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cluster/link.h"
#include "cluster/wire.h"
#include "util/log.h"

/*
 * Usage: bench_link [N [WINDOW [tls]]]   (defaults 200000, 1000)
 *
 * Two links in one loop on 127.0.0.1: A publishes N heartbeat envelopes to B as fast as
 * the window allows (at most WINDOW published and not yet received; pub/sub has no
 * backpressure, so without a window nng would drop what B's queue cannot hold), then
 * 2000 more paced one per millisecond. Each envelope's sent_ms carries the monotonic
 * clock in microseconds (uv_hrtime, the same clock in both links of this process)
 * instead of wall-clock milliseconds, and B records now - sent_ms: the one-way lag from
 * acd_link_publish() to on_envelope, encoding, nng's threads, TCP over loopback and
 * decoding included. Prints events/s and lag p50/p99/max for both phases, and CPU
 * seconds. "tls" runs over tls+tcp:// with certificates from deploy/make-certs (needs
 * ACD_SOURCE_DIR). Not part of the test suite.
 */

#define PACED_N 2000

typedef struct bench {
    uv_loop_t loop;
    acd_link_t *a, *b;
    uv_idle_t idle;
    uv_timer_t pace;
    uint64_t n, window, sent, received, seq;
    uint32_t *lag_us; /* one per envelope, in arrival order */
    uint64_t rx_bad;
    bool b_up;
    int closed;
    uint64_t t0_us, t1_us;
    int phase; /* 0 connect, 1 flood, 2 paced, 3 done */
    uint64_t phase_start, phase_count;
} bench_t;

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("free_port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void on_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env)
{
    bench_t *b = ud;
    uint64_t lag = now_us() - (uint64_t)env->sent_ms;
    if (b->received < b->n + PACED_N)
        b->lag_us[b->received] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    b->received++;
    if (env->seq != b->received)
        b->rx_bad++; /* lost or out of order */
}

static void on_peer_state(void *ud, const char *peer, bool connected)
{
    bench_t *b = ud;
    if (strcmp(peer, "A") == 0)
        b->b_up = connected;
}

static void on_a_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env)
{
}

static void publish_one(bench_t *b)
{
    Acd__V1__Heartbeat hb;
    Acd__V1__Envelope env;
    acd__v1__heartbeat__init(&hb);
    hb.queued_calls = 3;
    hb.available_agents = 1;
    acd_wire_envelope_init(&env, "A", 1, ++b->seq, 0);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    env.sent_ms = (int64_t)now_us();
    if (acd_link_publish(b->a, &env) != 0) {
        fprintf(stderr, "publish failed\n");
        exit(1);
    }
    b->sent++;
}

static void closed_cb(void *ud)
{
    ((bench_t *)ud)->closed++;
}

static void pace_cb(uv_timer_t *t)
{
    bench_t *b = t->data;
    if (b->sent < b->n + PACED_N) {
        publish_one(b);
        return;
    }
    if (b->received >= b->n + PACED_N || now_us() - b->phase_start > 10000000) {
        uv_timer_stop(t);
        b->phase = 3;
        acd_link_close(b->a, closed_cb, b);
        acd_link_close(b->b, closed_cb, b);
        uv_close((uv_handle_t *)&b->idle, NULL);
        uv_close((uv_handle_t *)&b->pace, NULL);
    }
}

static void idle_cb(uv_idle_t *h)
{
    bench_t *b = h->data;
    acd_link_stats_t st;
    if (b->phase == 0) {
        acd_link_stats(b->a, &st);
        if (b->b_up && st.subscribers > 0) {
            b->phase = 1;
            b->t0_us = now_us();
        }
        return;
    }
    if (b->phase != 1)
        return;
    for (int i = 0; i < 256 && b->sent < b->n && b->sent - b->received < b->window; i++)
        publish_one(b);
    if (b->received >= b->n) {
        b->t1_us = now_us();
        b->phase = 2;
        b->phase_start = now_us();
        uv_idle_stop(h);
        uv_timer_start(&b->pace, pace_cb, 1, 1);
    }
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static void report(const char *what, uint32_t *lag, size_t n)
{
    if (n == 0) {
        printf("%-6s no envelopes received\n", what);
        return;
    }
    qsort(lag, n, sizeof(*lag), cmp_u32);
    printf("%-6s lag_us p50=%u p99=%u max=%u (n=%zu)\n", what, lag[n / 2],
           lag[(size_t)((double)n * 0.99)], lag[n - 1], n);
}

int main(int argc, char **argv)
{
    bench_t b = {0};
    char apub[64], arep[64], bpub[64], brep[64], dir[] = "/tmp/acd-bench-link-XXXXXX";
    char ca[96], acrt[96], akey[96], bcrt[96], bkey[96];
    bool tls = argc > 3 && strcmp(argv[3], "tls") == 0;
    const char *scheme = tls ? "tls+tcp" : "tcp";
    b.n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    b.window = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000;
    if (b.n == 0 || b.window == 0 || b.window > 8000) {
        fprintf(stderr, "usage: %s [N [WINDOW(1..8000) [tls]]]\n", argv[0]);
        return 2;
    }
    acd_log_init(NULL, ACD_LOG_WARN, "bench");
    b.lag_us = calloc(b.n + PACED_N, sizeof(*b.lag_us));
    uv_loop_init(&b.loop);
    snprintf(apub, sizeof(apub), "%s://127.0.0.1:%d", scheme, free_port());
    snprintf(arep, sizeof(arep), "%s://127.0.0.1:%d", scheme, free_port());
    snprintf(bpub, sizeof(bpub), "%s://127.0.0.1:%d", scheme, free_port());
    snprintf(brep, sizeof(brep), "%s://127.0.0.1:%d", scheme, free_port());
    acd_link_tls_cfg_t atls, btls;
    if (tls) {
        const char *src = getenv("ACD_SOURCE_DIR");
        char cmd[512];
        if (src == NULL || mkdtemp(dir) == NULL) {
            fprintf(stderr, "tls needs ACD_SOURCE_DIR (the repository) and /tmp\n");
            return 2;
        }
        snprintf(cmd, sizeof(cmd), "'%s/deploy/make-certs' '%s' A B", src, dir);
        if (system(cmd) != 0)
            return 1;
        snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
        snprintf(acrt, sizeof(acrt), "%s/A.crt", dir);
        snprintf(akey, sizeof(akey), "%s/A.key", dir);
        snprintf(bcrt, sizeof(bcrt), "%s/B.crt", dir);
        snprintf(bkey, sizeof(bkey), "%s/B.key", dir);
        atls = (acd_link_tls_cfg_t){ca, acrt, akey};
        btls = (acd_link_tls_cfg_t){ca, bcrt, bkey};
    }
    acd_link_peer_cfg_t pa = {"B", bpub, brep}, pb = {"A", apub, arep};
    acd_link_cfg_t ca_cfg = {.site = "A",
                             .pub_url = apub,
                             .rep_url = arep,
                             .peers = &pa,
                             .n_peers = 1,
                             .tls = tls ? &atls : NULL,
                             .reconnect_min_ms = 20,
                             .queue_len = (unsigned)b.window + 100};
    acd_link_cfg_t cb_cfg = {.site = "B",
                             .pub_url = bpub,
                             .rep_url = brep,
                             .peers = &pb,
                             .n_peers = 1,
                             .tls = tls ? &btls : NULL,
                             .reconnect_min_ms = 20,
                             .queue_len = (unsigned)b.window + 100};
    acd_link_ops_t aops = {.on_envelope = on_a_envelope};
    acd_link_ops_t bops = {.on_envelope = on_envelope, .on_peer_state = on_peer_state};
    if (acd_link_alloc(&b.a, &b.loop, &ca_cfg, &aops, &b) != 0 ||
        acd_link_alloc(&b.b, &b.loop, &cb_cfg, &bops, &b) != 0) {
        fprintf(stderr, "cannot start links\n");
        return 1;
    }
    uv_idle_init(&b.loop, &b.idle);
    b.idle.data = &b;
    uv_idle_start(&b.idle, idle_cb);
    uv_timer_init(&b.loop, &b.pace);
    b.pace.data = &b;

    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                 (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;

    double secs = (double)(b.t1_us - b.t0_us) / 1e6;
    printf("transport=%s n=%llu window=%llu\n", scheme, (unsigned long long)b.n,
           (unsigned long long)b.window);
    printf("flood  %.0f events/s (%.3f s), lost or out of order %llu\n",
           secs > 0 ? (double)b.n / secs : 0.0, secs, (unsigned long long)b.rx_bad);
    report("flood", b.lag_us, b.received < b.n ? b.received : b.n);
    if (b.received > b.n)
        report("paced", b.lag_us + b.n, b.received - b.n);
    printf("cpu    %.2f s for the whole run (both links, nng threads included)\n", cpu);
    int rc = uv_loop_close(&b.loop);
    free(b.lag_us);
    if (tls) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return rc == 0 && b.closed == 2 ? 0 : 1;
}
