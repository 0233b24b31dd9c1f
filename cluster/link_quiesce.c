/* link_quiesce.c - takes a closing link's connections down from below before nng_close(). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/link_int.h"
#include "util/log.h"

/*
 * Why this exists. nng 1.5.2 (the Debian 12 package) hangs for ever in nng_close()
 * when it closes a TCP or TLS connection of a SUB, REQ or REP socket while a frame is
 * arriving on it; its one pipe reaper thread then waits for ever as well, so every later
 * close in the process hangs too (upstream nng issues 1543 and 1636, fixed after
 * 1.5.2). Standalone reproductions here hung within 1 to 30 closes under traffic, on
 * tcp:// and tls+tcp:// alike. A connection that fails from below (peer gone, or
 * shutdown(2) of its descriptor) is torn down by nng's own receive path, which is safe:
 * the same reproductions closed 400 times without a hang when every connection was
 * shut down first and nng_close() waited until nng had dropped them.
 *
 * So a closing link stops its dialers from redialing, shuts down the descriptors of
 * its connections, keeps reading (and dropping) what still arrives so that nng notices,
 * and closes each nng socket once its pipe notifications say it has no connection left
 * (link_sock.c, acd__link_socks_reap). Descriptors are found in /proc/self/fd: a SUB or
 * REQ connection by its local and remote addresses, which nng reports per pipe; for
 * the REP listener every TCP socket on its bound port, which also covers connections
 * still negotiating and the listening socket itself (so no new connection is
 * accepted). Connections that come up meanwhile get the same treatment on the next
 * notification. The descriptors stay nng's: shutdown(2) only ends the TCP connection,
 * nng still closes the descriptor. PUB sockets receive nothing and are closed directly.
 */

/* One connection (rem set), or every TCP socket on the local port of loc (rem unset). */
typedef struct quiesce_pair {
    nng_sockaddr loc;
    nng_sockaddr rem;
    bool port_only;
} quiesce_pair_t;

/* True when the kernel address sa is the nng address na (same family, address, port). */
static bool quiesce_same(const struct sockaddr_storage *sa, const nng_sockaddr *na)
{
    if (sa->ss_family == AF_INET && na->s_family == NNG_AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        return a->sin_port == na->s_in.sa_port && a->sin_addr.s_addr == na->s_in.sa_addr;
    }
    if (sa->ss_family == AF_INET6 && na->s_family == NNG_AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        return a->sin6_port == na->s_in6.sa_port &&
               memcmp(&a->sin6_addr, na->s_in6.sa_addr, 16) == 0;
    }
    return false;
}

/* True when sa is on the same family and port as na (any address). */
static bool quiesce_same_port(const struct sockaddr_storage *sa, const nng_sockaddr *na)
{
    if (sa->ss_family == AF_INET && na->s_family == NNG_AF_INET)
        return ((const struct sockaddr_in *)sa)->sin_port == na->s_in.sa_port;
    if (sa->ss_family == AF_INET6 && na->s_family == NNG_AF_INET6)
        return ((const struct sockaddr_in6 *)sa)->sin6_port == na->s_in6.sa_port;
    return false;
}

static bool quiesce_push(quiesce_pair_t **pairs, size_t *n, size_t *cap, const quiesce_pair_t *pair)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        quiesce_pair_t *np = realloc(*pairs, c * sizeof(*np));
        if (np == NULL)
            return false;
        *pairs = np;
        *cap = c;
    }
    (*pairs)[(*n)++] = *pair;
    return true;
}

/* Appends what identifies the connections of s to *pairs (grown as needed). */
static void quiesce_collect(acd__link_sock_t *s, quiesce_pair_t **pairs, size_t *n, size_t *cap)
{
    if (s->has_bound) {
        quiesce_pair_t pair = {.loc = s->bound, .port_only = true};
        quiesce_push(pairs, n, cap, &pair);
        return;
    }
    uint32_t ids[64];
    size_t nids;
    uv_mutex_lock(&s->lock);
    nids = s->n_pipe_ids < 64 ? s->n_pipe_ids : 64;
    memcpy(ids, s->pipe_ids, nids * sizeof(ids[0]));
    uv_mutex_unlock(&s->lock);
    for (size_t i = 0; i < nids; i++) {
        nng_pipe p;
        quiesce_pair_t pair = {.port_only = false};
        p.id = ids[i];
        /* A pipe that is gone by now fails here and needs nothing. */
        if (nng_pipe_get_addr(p, NNG_OPT_LOCADDR, &pair.loc) != 0 ||
            nng_pipe_get_addr(p, NNG_OPT_REMADDR, &pair.rem) != 0)
            continue;
        if (!quiesce_push(pairs, n, cap, &pair))
            return;
    }
}

/* Shuts down every socket descriptor of this process whose addresses are in pairs. */
static size_t quiesce_shutdown(const quiesce_pair_t *pairs, size_t n)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    size_t done = 0;
    if (d == NULL) {
        acd_log_warn("ACD-LINK-QUIESCE", "err=%s cannot list descriptors", strerror(errno));
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        struct stat st;
        struct sockaddr_storage loc, rem;
        socklen_t ll = sizeof(loc), rl = sizeof(rem);
        int type;
        socklen_t tl = sizeof(type);
        if (*end != '\0' || fd < 0 || fd == dirfd(d) || fstat((int)fd, &st) != 0 ||
            !S_ISSOCK(st.st_mode))
            continue;
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM ||
            getsockname((int)fd, (struct sockaddr *)&loc, &ll) != 0)
            continue;
        bool connected = getpeername((int)fd, (struct sockaddr *)&rem, &rl) == 0;
        for (size_t i = 0; i < n; i++) {
            bool hit = pairs[i].port_only ? quiesce_same_port(&loc, &pairs[i].loc)
                                          : connected && quiesce_same(&loc, &pairs[i].loc) &&
                                                quiesce_same(&rem, &pairs[i].rem);
            if (hit) {
                shutdown((int)fd, SHUT_RDWR);
                done++;
                break;
            }
        }
    }
    closedir(d);
    return done;
}

void acd__link_quiesce(acd_link_t *l)
{
    quiesce_pair_t *pairs = NULL;
    size_t n = 0, cap = 0;
    acd_list_t *it, *tmp;
    acd_list_foreach(it, tmp, &l->socks)
    {
        acd__link_sock_t *s = acd_container_of(it, acd__link_sock_t, link);
        if (s->nng_open && s->kind != ACD__LINK_PUB && (s->has_bound || atomic_load(&s->pipes) > 0))
            quiesce_collect(s, &pairs, &n, &cap);
    }
    if (n > 0) {
        size_t done = quiesce_shutdown(pairs, n);
        acd_log_debug("ACD-LINK-QUIESCE", "connections=%zu shut=%zu", n, done);
    }
    free(pairs);
}
