/* bench_link.c - site link throughput and one-way lag: site A publishes, site B subscribes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>

#include "cluster/link.h"
#include "cluster/wire.h"
#include "util/log.h"

/*
 * Usage: bench_link [-f] [-p PACED] [-i MS] [N [WINDOW [tls]]]
 *        bench_link -r [-p PACED] [-i MS]
 *        (defaults: N 200000, WINDOW 1000, PACED 5000, MS 1)
 *
 * Site A publishes N heartbeat envelopes to site B on 127.0.0.1 as fast as the window
 * allows (at most WINDOW published and not yet received; pub/sub has no backpressure, so
 * without a window nng would drop what B's queue cannot hold), then PACED more, one
 * every MS milliseconds. Each envelope's sent_ms carries the monotonic clock in
 * microseconds (uv_hrtime: one clock for every process of the machine) instead of
 * wall-clock milliseconds, and B records now - sent_ms: the one-way lag from
 * acd_link_publish() to on_envelope, encoding, nng's threads, TCP over loopback and
 * decoding included. N 0 skips the flood.
 *
 * By default both links run in one loop of one process. -f forks B into a process of
 * its own (own loop, own nng threads), as two acdd sites on one machine would be; the
 * window and the lags then go through shared memory.
 *
 * Printed: events/s of the flood; lag p50/p90/p99/p99.9/max of each phase; how many
 * envelopes B's loop delivered per wake-up (a uv_check counts deliveries per loop
 * iteration); CPU seconds of the bench, and how busy the machine's other processes kept
 * its cores meanwhile (from /proc/stat: the lags are only as good as that is low).
 * "tls" runs over tls+tcp:// with certificates from deploy/make-certs (needs
 * ACD_SOURCE_DIR).
 *
 * -r is the baseline without the link: bare nng PUB and SUB sockets over tcp:// in one
 * process, a thread that sleeps to an absolute deadline every MS ms and sends 16 bytes
 * holding the clock, and a thread that waits in poll(2) on the SUB's NNG_OPT_RECVFD and
 * drains it without blocking, as the link does from the loop; no libuv, no protobuf.
 * What the link costs is its lag minus this one. Not part of the test suite.
 */

/* What B measures, in memory that a forked B shares with A. */
typedef struct bench_shared {
    _Atomic uint64_t received;
    _Atomic uint64_t rx_bad;
    _Atomic int b_up;
    uint64_t wakeups[2];   /* loop iterations that delivered at least one envelope, per phase */
    uint64_t batch_max[2]; /* most envelopes delivered in one iteration, per phase */
    uint64_t batch_one[2]; /* iterations that delivered exactly one envelope, per phase */
    uint32_t lag_us[];     /* one per envelope, in arrival order */
} bench_shared_t;

typedef struct bench {
    uv_loop_t loop;
    acd_link_t *a, *b;
    uv_idle_t idle;
    uv_timer_t pace;
    uv_check_t check; /* B: counts deliveries per loop iteration */
    uint64_t n, window, paced, interval_ms, sent, seq;
    uint64_t batch; /* B: envelopes delivered since the last check */
    bench_shared_t *sh;
    int closed;
    uint64_t t0_us, t1_us;
    int phase; /* 0 connect, 1 flood, 2 paced, 3 done */
    uint64_t phase_start;
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

/* Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
static void machine_jiffies(uint64_t *busy, uint64_t *total)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    *busy = *total = 0;
    if (f == NULL)
        return;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) == 8) {
        for (int i = 0; i < 8; i++)
            *total += v[i];
        *busy = *total - v[3] - v[4]; /* everything but idle and iowait; steal counts as busy */
    }
    fclose(f);
}

static double rusage_s(int who)
{
    struct rusage r;
    getrusage(who, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

/* B: one envelope from A. */
static void on_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env)
{
    bench_t *b = ud;
    bench_shared_t *sh = b->sh;
    uint64_t lag = now_us() - (uint64_t)env->sent_ms;
    uint64_t i = atomic_load(&sh->received);
    if (i < b->n + b->paced)
        sh->lag_us[i] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    atomic_store(&sh->received, i + 1);
    if (env->seq != i + 1)
        atomic_fetch_add(&sh->rx_bad, 1); /* lost or out of order */
    b->batch++;
}

/* B: after each loop iteration's I/O, files the deliveries of that iteration. */
static void check_cb(uv_check_t *h)
{
    bench_t *b = h->data;
    bench_shared_t *sh = b->sh;
    if (b->batch == 0)
        return;
    int ph = atomic_load(&sh->received) > b->n ? 1 : 0;
    sh->wakeups[ph]++;
    if (b->batch == 1)
        sh->batch_one[ph]++;
    if (b->batch > sh->batch_max[ph])
        sh->batch_max[ph] = b->batch;
    b->batch = 0;
}

static void on_peer_state(void *ud, const char *peer, bool connected)
{
    bench_t *b = ud;
    if (strcmp(peer, "A") == 0)
        atomic_store(&b->sh->b_up, connected);
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

/* A (and B when it shares the loop): everything is measured, close. */
static void bench_finish(bench_t *b)
{
    b->phase = 3;
    uv_timer_stop(&b->pace);
    uv_idle_stop(&b->idle);
    acd_link_close(b->a, closed_cb, b);
    if (b->b != NULL)
        acd_link_close(b->b, closed_cb, b);
    uv_close((uv_handle_t *)&b->idle, NULL);
    uv_close((uv_handle_t *)&b->pace, NULL);
    if (b->b != NULL)
        uv_close((uv_handle_t *)&b->check, NULL);
}

static void pace_cb(uv_timer_t *t)
{
    bench_t *b = t->data;
    uint64_t got = atomic_load(&b->sh->received);
    if (b->sent < b->n + b->paced) {
        publish_one(b);
        return;
    }
    if (got >= b->n + b->paced ||
        now_us() - b->phase_start > 10000000 + b->paced * 1000 * b->interval_ms)
        bench_finish(b);
}

static void start_paced(bench_t *b)
{
    b->phase = 2;
    b->phase_start = now_us();
    uv_idle_stop(&b->idle);
    uv_timer_start(&b->pace, pace_cb, b->interval_ms, b->interval_ms);
}

static void idle_cb(uv_idle_t *h)
{
    bench_t *b = h->data;
    bench_shared_t *sh = b->sh;
    acd_link_stats_t st;
    if (b->phase == 0) {
        acd_link_stats(b->a, &st);
        if (atomic_load(&sh->b_up) && st.subscribers > 0) {
            b->phase = 1;
            b->t0_us = now_us();
            if (b->n == 0) {
                b->t1_us = b->t0_us;
                start_paced(b);
            }
        }
        return;
    }
    if (b->phase != 1)
        return;
    uint64_t got = atomic_load(&sh->received);
    for (int i = 0; i < 256 && b->sent < b->n && b->sent - got < b->window; i++)
        publish_one(b);
    if (got >= b->n) {
        b->t1_us = now_us();
        start_paced(b);
    }
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static uint32_t pct(const uint32_t *v, size_t n, double p)
{
    size_t i = (size_t)((double)n * p);
    return v[i < n ? i : n - 1];
}

static void report(const char *what, uint32_t *lag, size_t n, const bench_shared_t *sh, int ph)
{
    if (n == 0) {
        printf("%-6s no envelopes received\n", what);
        return;
    }
    qsort(lag, n, sizeof(*lag), cmp_u32);
    printf("%-6s lag_us p50=%u p90=%u p99=%u p99.9=%u max=%u (n=%zu)\n", what, lag[n / 2],
           pct(lag, n, 0.90), pct(lag, n, 0.99), pct(lag, n, 0.999), lag[n - 1], n);
    if (sh->wakeups[ph] > 0)
        printf("%-6s per wake-up of B's loop: %.2f envelopes on average, max %llu, "
               "%.1f %% of wake-ups delivered exactly one\n",
               what, (double)n / (double)sh->wakeups[ph], (unsigned long long)sh->batch_max[ph],
               100.0 * (double)sh->batch_one[ph] / (double)sh->wakeups[ph]);
}

static bool opt_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0')
        return false;
    *v = x;
    return true;
}

/* ---- -r: the same paced measurement over bare nng ---- */

typedef struct raw_rx {
    nng_socket sub;
    uint64_t want, got, interval_ms;
    uint32_t *lag_us;
} raw_rx_t;

static void *raw_rx_main(void *arg)
{
    raw_rx_t *r = arg;
    int fd;
    if (nng_socket_get_int(r->sub, NNG_OPT_RECVFD, &fd) != 0)
        return NULL;
    uint64_t give_up = now_us() + 10000000 + r->want * r->interval_ms * 2000;
    while (r->got < r->want && now_us() < give_up) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        nng_msg *m;
        while (r->got < r->want && nng_recvmsg(r->sub, &m, NNG_FLAG_NONBLOCK) == 0) {
            uint64_t sent;
            memcpy(&sent, nng_msg_body(m), sizeof(sent));
            uint64_t lag = now_us() - sent;
            r->lag_us[r->got++] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
            nng_msg_free(m);
        }
    }
    return NULL;
}

/* PUB's pipe notification (an nng thread): the subscriber's connection is up. */
static void raw_pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    atomic_store((_Atomic int *)arg, 1);
}

static int bench_raw(uint64_t paced, uint64_t interval_ms)
{
    static _Atomic int connected;
    char url[64];
    nng_socket pub;
    raw_rx_t r = {.want = paced, .interval_ms = interval_ms};
    pthread_t th;
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
    if ((r.lag_us = calloc(paced, sizeof(*r.lag_us))) == NULL || nng_pub0_open(&pub) != 0 ||
        nng_sub0_open(&r.sub) != 0 || nng_socket_set(r.sub, NNG_OPT_SUB_SUBSCRIBE, "", 0) != 0 ||
        nng_pipe_notify(pub, NNG_PIPE_EV_ADD_POST, raw_pipe_added, &connected) != 0 ||
        nng_listen(pub, url, NULL, 0) != 0 || nng_dial(r.sub, url, NULL, 0) != 0) {
        fprintf(stderr, "cannot set up nng sockets on %s\n", url);
        return 1;
    }
    uint64_t busy0, total0, busy1, total1;
    machine_jiffies(&busy0, &total0);
    double cpu0 = rusage_s(RUSAGE_SELF);
    uint64_t w0 = now_us();
    struct timespec next;
    /* PUB drops what it sends before the subscriber's pipe is attached. */
    while (!atomic_load(&connected))
        usleep(1000);
    if (pthread_create(&th, NULL, raw_rx_main, &r) != 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t i = 0; i < paced; i++) {
        next.tv_nsec += (long)(interval_ms * 1000000);
        while (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        nng_msg *m;
        if (nng_msg_alloc(&m, 16) != 0)
            return 1;
        uint64_t t = now_us();
        memcpy(nng_msg_body(m), &t, sizeof(t));
        if (nng_sendmsg(pub, m, NNG_FLAG_NONBLOCK) != 0)
            nng_msg_free(m);
    }
    pthread_join(th, NULL);
    uint64_t w1 = now_us();
    double cpu = rusage_s(RUSAGE_SELF) - cpu0;
    machine_jiffies(&busy1, &total1);
    double wall = (double)(w1 - w0) / 1e6, tick = (double)sysconf(_SC_CLK_TCK);
    double others = ((double)(busy1 - busy0) / tick - cpu) / wall;
    printf("transport=tcp bare nng (no link, no loop), paced=%llu every %llu ms\n",
           (unsigned long long)paced, (unsigned long long)interval_ms);
    bench_shared_t none = {0};
    report("paced", r.lag_us, r.got, &none, 1);
    printf("cpu    %.2f s for the whole run; other processes kept %.2f of %ld cores busy\n", cpu,
           others < 0 ? 0.0 : others, sysconf(_SC_NPROCESSORS_ONLN));
    /* nng 1.5.2 may hang closing a SUB under traffic (link_quiesce.c): just leave. */
    fflush(stdout);
    _exit(r.got == paced ? 0 : 1);
}

int main(int argc, char **argv)
{
    bench_t b = {0};
    char apub[64], arep[64], bpub[64], brep[64], dir[] = "/tmp/acd-bench-link-XXXXXX";
    char ca[96], acrt[96], akey[96], bcrt[96], bkey[96];
    bool fork_b = false, tls = false, raw = false;
    uint64_t n = 200000, window = 1000, paced = 5000, interval = 1;
    int opt;
    while ((opt = getopt(argc, argv, "frp:i:")) != -1) {
        if (opt == 'f')
            fork_b = true;
        else if (opt == 'r')
            raw = true;
        else if (opt == 'p' && opt_u64(optarg, &paced))
            continue;
        else if (opt == 'i' && opt_u64(optarg, &interval) && interval > 0)
            continue;
        else
            goto usage;
    }
    if (optind < argc && !opt_u64(argv[optind++], &n))
        goto usage;
    if (optind < argc && !opt_u64(argv[optind++], &window))
        goto usage;
    if (optind < argc && strcmp(argv[optind++], "tls") == 0)
        tls = true;
    if (optind < argc || window == 0 || window > 8000 || n + paced == 0 || (raw && paced == 0))
        goto usage;
    if (raw)
        return bench_raw(paced, interval);
    const char *scheme = tls ? "tls+tcp" : "tcp";
    b.n = n;
    b.window = window;
    b.paced = paced;
    b.interval_ms = interval;
    acd_log_init(NULL, ACD_LOG_WARN, "bench");
    size_t shlen = sizeof(bench_shared_t) + (n + paced) * sizeof(uint32_t);
    b.sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b.sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
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
                             .queue_len = (unsigned)window + 100};
    acd_link_cfg_t cb_cfg = {.site = "B",
                             .pub_url = bpub,
                             .rep_url = brep,
                             .peers = &pb,
                             .n_peers = 1,
                             .tls = tls ? &btls : NULL,
                             .reconnect_min_ms = 20,
                             .queue_len = (unsigned)window + 100};
    acd_link_ops_t aops = {.on_envelope = on_a_envelope};
    acd_link_ops_t bops = {.on_envelope = on_envelope, .on_peer_state = on_peer_state};

    uint64_t busy0, total0, busy1, total1;
    /* make-certs ran already: its CPU is in RUSAGE_CHILDREN before cpu0 and not counted. */
    double cpu0 = rusage_s(RUSAGE_SELF) + rusage_s(RUSAGE_CHILDREN), cpu1;
    machine_jiffies(&busy0, &total0);
    pid_t child = -1;
    if (fork_b) {
        /* Before any loop or nng thread exists: the child gets a clean process. */
        fflush(stdout);
        child = fork();
        if (child < 0) {
            perror("fork");
            return 1;
        }
        if (child == 0) {
            uv_loop_init(&b.loop);
            if (acd_link_alloc(&b.b, &b.loop, &cb_cfg, &bops, &b) != 0)
                _exit(1);
            uv_check_init(&b.loop, &b.check);
            b.check.data = &b;
            uv_check_start(&b.check, check_cb);
            uv_run(&b.loop, UV_RUN_DEFAULT); /* ends when the parent kills it */
            _exit(0);
        }
    }
    uv_loop_init(&b.loop);
    if (acd_link_alloc(&b.a, &b.loop, &ca_cfg, &aops, &b) != 0 ||
        (!fork_b && acd_link_alloc(&b.b, &b.loop, &cb_cfg, &bops, &b) != 0)) {
        fprintf(stderr, "cannot start links\n");
        return 1;
    }
    if (!fork_b) {
        uv_check_init(&b.loop, &b.check);
        b.check.data = &b;
        uv_check_start(&b.check, check_cb);
    }
    uv_idle_init(&b.loop, &b.idle);
    b.idle.data = &b;
    uv_idle_start(&b.idle, idle_cb);
    uv_timer_init(&b.loop, &b.pace);
    b.pace.data = &b;

    uint64_t w0 = now_us();
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uint64_t w1 = now_us();
    if (fork_b) {
        int ws;
        kill(child, SIGKILL);
        waitpid(child, &ws, 0);
    }
    cpu1 = rusage_s(RUSAGE_SELF) + rusage_s(RUSAGE_CHILDREN);
    machine_jiffies(&busy1, &total1);

    bench_shared_t *sh = b.sh;
    uint64_t got = atomic_load(&sh->received);
    double secs = (double)(b.t1_us - b.t0_us) / 1e6;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double tick = (double)sysconf(_SC_CLK_TCK), wall = (double)(w1 - w0) / 1e6;
    double others = total1 > total0 ? ((double)(busy1 - busy0) / tick - (cpu1 - cpu0)) / wall : 0;
    printf("transport=%s n=%llu window=%llu paced=%llu every %llu ms, B %s\n", scheme,
           (unsigned long long)n, (unsigned long long)window, (unsigned long long)paced,
           (unsigned long long)interval, fork_b ? "in its own process" : "in A's loop");
    if (n > 0) {
        printf("flood  %.0f events/s (%.3f s), lost or out of order %llu\n",
               secs > 0 ? (double)n / secs : 0.0, secs,
               (unsigned long long)atomic_load(&sh->rx_bad));
        report("flood", sh->lag_us, got < n ? got : n, sh, 0);
    }
    if (got > n)
        report("paced", sh->lag_us + n, got - n, sh, 1);
    printf("cpu    %.2f s for the whole run (both links, nng threads included); "
           "other processes kept %.2f of %ld cores busy\n",
           cpu1 - cpu0, others < 0 ? 0.0 : others, ncpu);
    int rc = uv_loop_close(&b.loop);
    munmap(b.sh, shlen);
    if (tls) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return rc == 0 && b.closed == (fork_b ? 1 : 2) ? 0 : 1;
usage:
    fprintf(stderr,
            "usage: %s [-f] [-p PACED] [-i MS] [N [WINDOW(1..8000) [tls]]]\n"
            "       %s -r [-p PACED] [-i MS]\n",
            argv[0], argv[0]);
    return 2;
}
