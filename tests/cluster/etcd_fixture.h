/* etcd_fixture.h - real etcd members for cluster tests: start, health, stop, always clean up. */
#ifndef ACD_TEST_CLUSTER_ETCD_FIXTURE_H
#define ACD_TEST_CLUSTER_ETCD_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/*
 * A cluster of 1..3 etcd members on 127.0.0.1, each on free client and peer ports, with
 * its data in one mkdtemp directory. Members die with the test process (PDEATHSIG), and
 * every cluster still running at exit is killed and removed by an atexit handler, so a
 * failed assertion or an early exit leaves nothing behind.
 */
#define EF_ETCD "/usr/bin/etcd"
#define EF_MAX 3
#define EF_CLUSTERS 8

typedef struct ef_member {
    pid_t pid;
    int client_port;
    int peer_port;
    char url[64];
    bool stopped;
} ef_member_t;

typedef struct ef_cluster {
    char dir[64];
    int n;
    ef_member_t m[EF_MAX];
} ef_cluster_t;

static ef_cluster_t *ef_live[EF_CLUSTERS];
static bool ef_atexit_set;

static uint64_t ef_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Binds n sockets to 127.0.0.1:0 at once (so the ports differ) and returns their ports. */
static int ef_free_ports(int *ports, int n)
{
    int fds[2 * EF_MAX + 2];
    int err = 0;

    for (int i = 0; i < n; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);

        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0)
            err = -1;
        ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return err;
}

static int ef_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void ef_member_kill(ef_member_t *m)
{
    if (m->pid <= 0)
        return;
    kill(m->pid, SIGKILL);
    waitpid(m->pid, NULL, 0);
    m->pid = 0;
}

/* Kills every member and removes the data; safe to call twice. */
static void ef_stop(ef_cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        ef_member_kill(&c->m[i]);
    if (c->dir[0])
        nftw(c->dir, ef_rm, 16, FTW_DEPTH | FTW_PHYS);
    c->dir[0] = '\0';
    for (int i = 0; i < EF_CLUSTERS; i++)
        if (ef_live[i] == c)
            ef_live[i] = NULL;
}

static void ef_atexit(void)
{
    for (int i = 0; i < EF_CLUSTERS; i++)
        if (ef_live[i])
            ef_stop(ef_live[i]);
}

static size_t ef_sink(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n, *have = ud;

    if (len > 0 && memmem(p, len, "\"true\"", 6))
        *have = 1;
    return len;
}

/* True once member m answers /health with "true" (it has a leader). Blocking: fixture only. */
static bool ef_healthy(const ef_member_t *m)
{
    char url[96];
    size_t ok = 0;
    CURL *h = curl_easy_init();

    if (!h)
        return false;
    snprintf(url, sizeof(url), "%s/health", m->url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ef_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ok);
    bool good = curl_easy_perform(h) == CURLE_OK && ok;
    curl_easy_cleanup(h);
    return good;
}

static void ef_exec_member(const ef_cluster_t *c, int i, const char *initial, const char *token)
{
    char name[8], data[96], curl[64], purl[64], log[96];
    int fd;

    snprintf(name, sizeof(name), "m%d", i);
    snprintf(data, sizeof(data), "%s/%s", c->dir, name);
    snprintf(log, sizeof(log), "%s/%s.log", c->dir, name);
    snprintf(curl, sizeof(curl), "http://127.0.0.1:%d", c->m[i].client_port);
    snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", c->m[i].peer_port);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execl(EF_ETCD, EF_ETCD, "--name", name, "--data-dir", data, "--listen-client-urls", curl,
          "--advertise-client-urls", curl, "--listen-peer-urls", purl,
          "--initial-advertise-peer-urls", purl, "--initial-cluster", initial,
          "--initial-cluster-state", "new", "--initial-cluster-token", token, "--logger", "zap",
          "--log-level", "warn", (char *)NULL);
    _exit(127);
}

static int ef_spawn(ef_cluster_t *c, int i, const char *initial, const char *token)
{
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0)
        ef_exec_member(c, i, initial, token);
    c->m[i].pid = pid;
    return 0;
}

/*
 * Starts n members and waits (up to 40 s) until each reports health. Returns 0, or -1
 * with everything already cleaned up.
 */
static int ef_start(ef_cluster_t *c, int n)
{
    char initial[512] = "", token[64];
    int ports[2 * EF_MAX];
    static int seq;

    memset(c, 0, sizeof(*c));
    if (n < 1 || n > EF_MAX || ef_free_ports(ports, 2 * n) != 0)
        return -1;
    snprintf(c->dir, sizeof(c->dir), "/tmp/acd-etcd-XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    if (!ef_atexit_set) {
        atexit(ef_atexit);
        ef_atexit_set = true;
    }
    for (int i = 0; i < EF_CLUSTERS; i++)
        if (!ef_live[i]) {
            ef_live[i] = c;
            break;
        }
    c->n = n;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(initial);
        c->m[i].client_port = ports[2 * i];
        c->m[i].peer_port = ports[2 * i + 1];
        snprintf(c->m[i].url, sizeof(c->m[i].url), "http://127.0.0.1:%d", c->m[i].client_port);
        snprintf(initial + len, sizeof(initial) - len, "%sm%d=http://127.0.0.1:%d", i ? "," : "", i,
                 c->m[i].peer_port);
    }
    snprintf(token, sizeof(token), "acd-test-%d-%d", (int)getpid(), ++seq);
    for (int i = 0; i < n; i++)
        if (ef_spawn(c, i, initial, token) != 0)
            goto fail;
    uint64_t deadline = ef_now_ms() + 40000;
    for (int i = 0; i < n; i++) {
        while (!ef_healthy(&c->m[i])) {
            int st;
            if (ef_now_ms() > deadline || waitpid(c->m[i].pid, &st, WNOHANG) == c->m[i].pid) {
                fprintf(stderr, "etcd member m%d did not become healthy (logs in %s)\n", i, c->dir);
                goto fail;
            }
            usleep(100 * 1000);
        }
    }
    return 0;
fail:
    ef_stop(c);
    return -1;
}

/* SIGSTOPs / SIGCONTs one member. */
static void ef_pause(ef_member_t *m, bool pause)
{
    if (m->pid > 0 && kill(m->pid, pause ? SIGSTOP : SIGCONT) == 0)
        m->stopped = pause;
}

/*
 * Compacts the store at rev through the gateway (a blocking call: fixture only).
 * Returns 0 on HTTP 200.
 */
static int ef_compact(const ef_member_t *m, long long rev)
{
    char url[96], body[64];
    long status = 0;
    size_t dummy = 0;
    CURL *h = curl_easy_init();

    if (!h)
        return -1;
    snprintf(url, sizeof(url), "%s/v3/kv/compaction", m->url);
    snprintf(body, sizeof(body), "{\"revision\":\"%lld\",\"physical\":true}", rev);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ef_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &dummy);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return rc == CURLE_OK && status == 200 ? 0 : -1;
}

#endif
