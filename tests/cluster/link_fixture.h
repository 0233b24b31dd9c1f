/* link_fixture.h - sites with real links in one loop on 127.0.0.1, for the link tests. */
#ifndef ACD_TEST_LINK_FIXTURE_H
#define ACD_TEST_LINK_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "cluster/link.h"
#include "cluster/wire.h"
#include "util/err.h"
#include "util/log.h"

/* Sites A, B, C, D (index = letter - 'A'). */
#define FX_SITES 4
#define FX_MAX_RX 4096
#define FX_NOW_MS 1795093461000

typedef enum fx_reply { FX_REPLY_SNAPSHOT, FX_REPLY_NONE } fx_reply_t;

/* What one acd_link_request ended with. */
typedef struct fx_result {
    int done;
    int err;
    char origin[8];
    uint64_t last_seq;
    size_t n_queues;
    int order; /* 1-based position among completed requests */
} fx_result_t;

typedef struct fx_world fx_world_t;

typedef struct fx_site {
    fx_world_t *w;
    char name[2];
    int pub_port, rep_port;
    char pub_url[64], rep_url[64];
    acd_link_t *link;
    bool running; /* a link is open (closing not yet asked) */
    int started;  /* links allocated */
    int closed;   /* close callbacks seen */
    uint64_t incarnation;
    uint64_t seq; /* last seq published */
    uint64_t rx_seq[FX_SITES][FX_MAX_RX];
    size_t n_rx[FX_SITES];
    uint64_t rx_inc[FX_SITES]; /* incarnation of the last envelope from each origin */
    int peer_mismatch;         /* on_envelope's peer differed from the envelope's origin */
    char states[256];          /* "B+ B- B+ " as on_peer_state reported */
    fx_reply_t reply;
    size_t snap_queues; /* queue events in each snapshot reply */
    unsigned requests_seen;
    bool close_on_rx; /* close the link from inside on_envelope */
} fx_site_t;

struct fx_world {
    uv_loop_t loop;
    fx_site_t s[FX_SITES];
    fx_result_t res[16];
};

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static inline int fx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static inline void fx_init(fx_world_t *w, bool tls)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(uv_loop_init(&w->loop), 0);
    for (int i = 0; i < FX_SITES; i++) {
        fx_site_t *s = &w->s[i];
        s->w = w;
        s->name[0] = (char)('A' + i);
        s->pub_port = fx_free_port();
        s->rep_port = fx_free_port();
        snprintf(s->pub_url, sizeof(s->pub_url), "%s://127.0.0.1:%d", tls ? "tls+tcp" : "tcp",
                 s->pub_port);
        snprintf(s->rep_url, sizeof(s->rep_url), "%s://127.0.0.1:%d", tls ? "tls+tcp" : "tcp",
                 s->rep_port);
        s->snap_queues = 3;
    }
}

static inline int fx_index(const char *name)
{
    int i = name[0] - 'A';
    assert_true(i >= 0 && i < FX_SITES && name[1] == '\0');
    return i;
}

/* ---- link callbacks ---- */

static void fx_closed(void *ud)
{
    fx_site_t *s = ud;
    s->closed++;
}

static void fx_on_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env)
{
    fx_site_t *s = ud;
    int o = fx_index(env->origin_site);
    if (strcmp(peer, env->origin_site) != 0)
        s->peer_mismatch++;
    if (s->n_rx[o] < FX_MAX_RX)
        s->rx_seq[o][s->n_rx[o]++] = env->seq;
    s->rx_inc[o] = env->incarnation;
    if (s->close_on_rx && s->running) {
        s->running = false;
        acd_link_close(s->link, fx_closed, s);
    }
}

/* Appends a Snapshot envelope from s with snap_queues queue events to out. */
static inline int fx_encode_snapshot(fx_site_t *s, uint64_t seq, acd_buf_t *out)
{
    Acd__V1__QueueEvent *qs = calloc(s->snap_queues, sizeof(*qs));
    Acd__V1__QueueEvent **qp = calloc(s->snap_queues, sizeof(*qp));
    char(*names)[24] = calloc(s->snap_queues, 24);
    assert_non_null(qs);
    assert_non_null(qp);
    assert_non_null(names);
    for (size_t i = 0; i < s->snap_queues; i++) {
        acd__v1__queue_event__init(&qs[i]);
        snprintf(names[i], 24, "queue-%05u", (unsigned)(i % 100000));
        qs[i].queue = names[i];
        qs[i].tenant = "dental";
        qs[i].waiting = (uint32_t)i;
        qp[i] = &qs[i];
    }
    Acd__V1__Snapshot snap;
    acd__v1__snapshot__init(&snap);
    snap.last_seq = seq;
    snap.n_queues = s->snap_queues;
    snap.queues = qp;
    Acd__V1__Envelope env;
    acd_wire_envelope_init(&env, s->name, s->incarnation, seq ? seq : 1, FX_NOW_MS);
    env.body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &snap;
    int rc = acd_wire_encode(&env, out);
    free(qs);
    free(qp);
    free(names);
    return rc;
}

/* Answers a request with a Snapshot of snap_queues queue events, or not at all. */
static int fx_on_request(void *ud, const char *peer, const Acd__V1__Envelope *req, acd_buf_t *reply)
{
    fx_site_t *s = ud;
    s->requests_seen++;
    assert_string_equal(peer, req->origin_site);
    if (s->reply == FX_REPLY_NONE)
        return -EAGAIN;
    return fx_encode_snapshot(s, s->seq, reply);
}

static void fx_on_peer_state(void *ud, const char *peer, bool connected)
{
    fx_site_t *s = ud;
    size_t n = strlen(s->states);
    snprintf(s->states + n, sizeof(s->states) - n, "%s%c ", peer, connected ? '+' : '-');
}

static void fx_on_reply(void *ud, const char *peer, const Acd__V1__Envelope *reply, int err)
{
    static int completed;
    fx_result_t *r = ud;
    r->order = ++completed;
    r->done++;
    r->err = err;
    if (reply != NULL) {
        assert_int_equal(err, 0);
        assert_string_equal(reply->origin_site, peer);
        snprintf(r->origin, sizeof(r->origin), "%s", reply->origin_site);
        assert_int_equal(reply->body_case, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
        r->last_seq = reply->snapshot->last_seq;
        r->n_queues = reply->snapshot->n_queues;
        for (size_t i = 0; i < r->n_queues; i++)
            assert_int_equal(reply->snapshot->queues[i]->waiting, i);
    } else {
        assert_true(err < 0);
    }
}

static const acd_link_ops_t fx_ops = {
    .on_envelope = fx_on_envelope,
    .on_request = fx_on_request,
    .on_peer_state = fx_on_peer_state,
};

/* ---- driving sites ---- */

typedef struct fx_opts {
    const char *tls_dir; /* certificates from deploy/make-certs, or NULL */
    unsigned timeout_ms; /* request timeout; 0 = 2000 */
} fx_opts_t;

/* Builds site i's configuration with the given peers ("BC") into cfg and peers. */
static inline void fx_cfg(fx_site_t *s, const char *peer_names, const fx_opts_t *o,
                          acd_link_cfg_t *cfg, acd_link_peer_cfg_t *peers, acd_link_tls_cfg_t *tls,
                          char paths[3][256])
{
    fx_world_t *w = s->w;
    memset(cfg, 0, sizeof(*cfg));
    cfg->site = s->name;
    cfg->pub_url = s->pub_url;
    cfg->rep_url = s->rep_url;
    for (size_t i = 0; peer_names[i]; i++) {
        fx_site_t *p = &w->s[peer_names[i] - 'A'];
        peers[i] = (acd_link_peer_cfg_t){p->name, p->pub_url, p->rep_url};
        cfg->n_peers++;
    }
    cfg->peers = peers;
    cfg->reconnect_min_ms = 20;
    cfg->reconnect_max_ms = 200;
    cfg->request_timeout_ms = o && o->timeout_ms ? o->timeout_ms : 2000;
    if (o && o->tls_dir) {
        snprintf(paths[0], 256, "%s/ca.crt", o->tls_dir);
        snprintf(paths[1], 256, "%s/%s.crt", o->tls_dir, s->name);
        snprintf(paths[2], 256, "%s/%s.key", o->tls_dir, s->name);
        *tls = (acd_link_tls_cfg_t){paths[0], paths[1], paths[2]};
        cfg->tls = tls;
    }
}

/* Starts site i's link with peers (a string of site letters); asserts success. */
static inline void fx_start(fx_world_t *w, int i, const char *peer_names, const fx_opts_t *o)
{
    fx_site_t *s = &w->s[i];
    acd_link_cfg_t cfg;
    acd_link_peer_cfg_t peers[FX_SITES];
    acd_link_tls_cfg_t tls;
    char paths[3][256];
    fx_cfg(s, peer_names, o, &cfg, peers, &tls, paths);
    s->incarnation += 1000;
    s->seq = 0;
    assert_int_equal(acd_link_alloc(&s->link, &w->loop, &cfg, &fx_ops, s), 0);
    s->running = true;
    s->started++;
}

static inline void fx_stop(fx_site_t *s)
{
    if (s->running) {
        s->running = false;
        acd_link_close(s->link, fx_closed, s);
    }
}

/* Publishes one heartbeat with the next seq from site s. */
static inline void fx_publish(fx_site_t *s)
{
    Acd__V1__Heartbeat hb;
    Acd__V1__Envelope env;
    acd__v1__heartbeat__init(&hb);
    hb.queued_calls = (uint32_t)s->seq;
    acd_wire_envelope_init(&env, s->name, s->incarnation, ++s->seq, FX_NOW_MS);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    assert_int_equal(acd_link_publish(s->link, &env), 0);
}

/* Publishes one Snapshot envelope (snap_queues queue events) with the next seq from s. */
static inline void fx_publish_snapshot(fx_site_t *s)
{
    acd_buf_t b = {0};
    Acd__V1__Envelope *env;
    assert_int_equal(fx_encode_snapshot(s, ++s->seq, &b), 0);
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &env), 0);
    assert_int_equal(acd_link_publish(s->link, env), 0);
    acd_wire_free(env);
    acd_buf_fini(&b);
}

/* Sends a request (a heartbeat envelope from s) to peer; the result lands in w->res[k]. */
static inline int fx_request(fx_site_t *s, const char *peer, int k)
{
    Acd__V1__Heartbeat hb;
    Acd__V1__Envelope env;
    acd__v1__heartbeat__init(&hb);
    acd_wire_envelope_init(&env, s->name, s->incarnation, s->seq ? s->seq : 1, FX_NOW_MS);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    memset(&s->w->res[k], 0, sizeof(s->w->res[k]));
    return acd_link_request(s->link, peer, &env, fx_on_reply, &s->w->res[k]);
}

static void fx_tick(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until pred(arg) holds or ms pass; returns whether it held. */
static inline bool fx_run_until(fx_world_t *w, bool (*pred)(void *), void *arg, unsigned ms)
{
    uv_timer_t tick;
    uv_update_time(&w->loop);
    uint64_t deadline = uv_now(&w->loop) + ms;
    bool ok;
    uv_timer_init(&w->loop, &tick);
    uv_timer_start(&tick, fx_tick, 2, 2);
    while (!(ok = pred(arg)) && uv_now(&w->loop) < deadline)
        uv_run(&w->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    return ok;
}

static inline bool fx_never(void *arg)
{
    (void)arg;
    return false;
}

/* Site s is subscribed to every peer and has subscribers subscribers itself. */
typedef struct fx_ready {
    fx_site_t *s;
    unsigned subscribers;
} fx_ready_t;

static inline bool fx_ready(void *arg)
{
    fx_ready_t *r = arg;
    acd_link_stats_t st;
    acd_link_peer_stats_t ps;
    acd_link_stats(r->s->link, &st);
    if (st.subscribers < r->subscribers)
        return false;
    for (size_t i = 0; i < acd_link_peer_count(r->s->link); i++) {
        assert_int_equal(acd_link_peer_stats(r->s->link, acd_link_peer_name(r->s->link, i), &ps),
                         0);
        if (!ps.connected)
            return false;
    }
    return true;
}

/* Waits until every listed site (letters) is ready with subs[i] subscribers. */
static inline void fx_wait_ready(fx_world_t *w, const char *sites, const unsigned *subs)
{
    for (size_t i = 0; sites[i]; i++) {
        fx_ready_t r = {&w->s[sites[i] - 'A'], subs[i]};
        assert_true(fx_run_until(w, fx_ready, &r, 5000));
    }
}

static inline bool fx_all_closed(void *arg)
{
    fx_world_t *w = arg;
    for (int i = 0; i < FX_SITES; i++)
        if (w->s[i].closed != w->s[i].started)
            return false;
    return true;
}

/* Closes every running link, waits for their close callbacks, and closes the loop. */
static inline void fx_fini(fx_world_t *w)
{
    for (int i = 0; i < FX_SITES; i++)
        fx_stop(&w->s[i]);
    assert_true(fx_run_until(w, fx_all_closed, w, 5000));
    uv_run(&w->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&w->loop), 0);
}

#endif
