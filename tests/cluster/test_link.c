/* test_link.c - site links over real nng sockets on 127.0.0.1: logs, requests, restarts, TLS. */
#include <signal.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/req.h>

#include "link_fixture.h"

static const unsigned one[] = {1, 1, 1, 1};
static const unsigned two[] = {2, 2, 2, 2};

/* ---- predicates ---- */

typedef struct rx_count {
    fx_site_t *s;
    int origin;
    size_t n;
} rx_count_t;

static bool got_rx(void *arg)
{
    rx_count_t *c = arg;
    return c->s->n_rx[c->origin] >= c->n;
}

static bool res_done(void *arg)
{
    return ((fx_result_t *)arg)->done > 0;
}

typedef struct state_is {
    fx_site_t *s;
    const char *states;
} state_is_t;

static bool state_is(void *arg)
{
    state_is_t *c = arg;
    return strcmp(c->s->states, c->states) == 0;
}

static bool site_closed(void *arg)
{
    fx_site_t *s = arg;
    return s->closed == s->started;
}

static bool has_subscriber(void *arg)
{
    acd_link_stats_t st;
    acd_link_stats(arg, &st);
    return st.subscribers > 0;
}

static void assert_seqs(const fx_site_t *s, int origin, uint64_t first, size_t n)
{
    assert_true(s->n_rx[origin] >= n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(s->rx_seq[origin][i], first + i);
}

/* ---- logs ---- */

/* A publishes to B and C, which publish to A and each other: all in order, right origin. */
static void test_logs_in_order(void **state)
{
    fx_world_t w;
    fx_init(&w, false);
    fx_start(&w, 0, "BC", NULL);
    fx_start(&w, 1, "AC", NULL);
    fx_start(&w, 2, "AB", NULL);
    fx_wait_ready(&w, "ABC", two);
    assert_true(strcmp(w.s[0].states, "B+ C+ ") == 0 || strcmp(w.s[0].states, "C+ B+ ") == 0);

    for (int i = 0; i < 300; i++) {
        fx_publish(&w.s[0]);
        if (i % 3 == 0)
            fx_publish(&w.s[1]);
        if (i % 5 == 0)
            fx_publish(&w.s[2]);
    }
    rx_count_t c[] = {{&w.s[1], 0, 300}, {&w.s[2], 0, 300}, {&w.s[0], 1, 100},
                      {&w.s[2], 1, 100}, {&w.s[0], 2, 60},  {&w.s[1], 2, 60}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        assert_true(fx_run_until(&w, got_rx, &c[i], 5000));
    assert_seqs(&w.s[1], 0, 1, 300);
    assert_seqs(&w.s[2], 0, 1, 300);
    assert_seqs(&w.s[0], 1, 1, 100);
    assert_seqs(&w.s[0], 2, 1, 60);
    assert_int_equal(w.s[1].n_rx[0], 300); /* no duplicates */
    assert_int_equal(w.s[1].rx_inc[0], w.s[0].incarnation);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w.s[i].peer_mismatch, 0);
        assert_int_equal(w.s[i].n_rx[i], 0); /* nobody hears itself */
    }

    acd_link_peer_stats_t ps;
    acd_link_stats_t st;
    assert_int_equal(acd_link_peer_stats(w.s[1].link, "A", &ps), 0);
    assert_int_equal(ps.rx_msgs, 300);
    assert_true(ps.rx_bytes > 300 * 20);
    assert_int_equal(ps.decode_errors, 0);
    assert_true(ps.connected);
    acd_link_stats(w.s[0].link, &st);
    assert_int_equal(st.tx_msgs, 300);
    assert_int_equal(st.tx_errors, 0);
    assert_int_equal(st.subscribers, 2);
    assert_int_equal(acd_link_peer_stats(w.s[0].link, "Z", &ps), -ENOENT);
    fx_fini(&w);
}

/* ---- requests ---- */

static void test_request_reply(void **state)
{
    fx_world_t w;
    fx_init(&w, false);
    w.s[1].snap_queues = 4000; /* a reply of a few hundred kB */
    fx_start(&w, 0, "B", NULL);
    fx_start(&w, 1, "A", NULL);
    fx_wait_ready(&w, "AB", one);
    fx_publish(&w.s[1]);
    fx_publish(&w.s[1]);

    for (int k = 0; k < 3; k++)
        assert_int_equal(fx_request(&w.s[0], "B", k), 0);
    assert_int_equal(w.res[0].done, 0); /* never answered from inside the call */
    for (int k = 0; k < 3; k++)
        assert_true(fx_run_until(&w, res_done, &w.res[k], 5000));
    for (int k = 0; k < 3; k++) {
        assert_int_equal(w.res[k].done, 1);
        assert_int_equal(w.res[k].err, 0);
        assert_string_equal(w.res[k].origin, "B");
        assert_int_equal(w.res[k].last_seq, 2);
        assert_int_equal(w.res[k].n_queues, 4000);
    }
    assert_true(w.res[0].order < w.res[1].order && w.res[1].order < w.res[2].order);
    assert_int_equal(w.s[1].requests_seen, 3);

    acd_link_peer_stats_t ps;
    assert_int_equal(acd_link_peer_stats(w.s[0].link, "B", &ps), 0);
    assert_int_equal(ps.requests, 3);
    assert_int_equal(ps.replies, 3);
    assert_int_equal(ps.timeouts, 0);
    assert_int_equal(acd_link_peer_stats(w.s[1].link, "A", &ps), 0);
    assert_int_equal(ps.served, 3);

    assert_int_equal(fx_request(&w.s[0], "Z", 5), -ENOENT);
    assert_int_equal(fx_request(&w.s[0], "A", 5), -ENOENT); /* itself is no peer */
    assert_int_equal(acd_link_request(w.s[0].link, "B", NULL, fx_on_reply, &w.res[5]), -EINVAL);
    fx_fini(&w);
}

static void test_request_timeout(void **state)
{
    fx_world_t w;
    fx_opts_t o = {.timeout_ms = 300};
    fx_init(&w, false);
    fx_start(&w, 0, "B", &o);

    /* B is not running: nng never takes the request. */
    uint64_t t0 = uv_now(&w.loop);
    assert_int_equal(fx_request(&w.s[0], "B", 0), 0);
    assert_true(fx_run_until(&w, res_done, &w.res[0], 3000));
    assert_int_equal(w.res[0].err, -ETIMEDOUT);
    assert_true(uv_now(&w.loop) - t0 >= 290);

    /* B is up but does not answer: the request is on the wire, then abandoned. */
    w.s[1].reply = FX_REPLY_NONE;
    fx_start(&w, 1, "A", &o);
    fx_wait_ready(&w, "AB", one);
    assert_int_equal(fx_request(&w.s[0], "B", 1), 0);
    assert_true(fx_run_until(&w, res_done, &w.res[1], 3000));
    assert_int_equal(w.res[1].err, -ETIMEDOUT);
    assert_true(w.s[1].requests_seen >= 1 && w.s[1].requests_seen <= 3); /* resent at 150 ms */

    /* B answers again: the next request replaces the abandoned one. */
    unsigned seen = w.s[1].requests_seen;
    w.s[1].reply = FX_REPLY_SNAPSHOT;
    assert_int_equal(fx_request(&w.s[0], "B", 2), 0);
    assert_true(fx_run_until(&w, res_done, &w.res[2], 3000));
    assert_int_equal(w.res[2].err, 0);
    assert_int_equal(w.res[2].n_queues, 3);
    /* Nothing keeps resending once a request was answered. */
    assert_true(w.s[1].requests_seen >= seen + 1);
    seen = w.s[1].requests_seen;
    fx_run_until(&w, fx_never, NULL, 400);
    assert_int_equal(w.s[1].requests_seen, seen);

    acd_link_peer_stats_t ps;
    assert_int_equal(acd_link_peer_stats(w.s[0].link, "B", &ps), 0);
    assert_int_equal(ps.timeouts, 2);
    assert_int_equal(ps.replies, 1);
    assert_int_equal(ps.requests, 2); /* the first never reached nng */
    fx_fini(&w);
}

/* ---- restarts ---- */

static void test_peer_restart(void **state)
{
    fx_world_t w;
    fx_init(&w, false);
    fx_start(&w, 0, "B", NULL);
    fx_start(&w, 1, "A", NULL);
    fx_wait_ready(&w, "AB", one);
    for (int i = 0; i < 5; i++)
        fx_publish(&w.s[1]);
    rx_count_t c = {&w.s[0], 1, 5};
    assert_true(fx_run_until(&w, got_rx, &c, 5000));

    fx_stop(&w.s[1]);
    assert_true(fx_run_until(&w, site_closed, &w.s[1], 5000));
    state_is_t down = {&w.s[0], "B+ B- "};
    assert_true(fx_run_until(&w, state_is, &down, 5000));

    /* A request made while B is down waits for the connection and goes out then. */
    assert_int_equal(fx_request(&w.s[0], "B", 0), 0);
    fx_run_until(&w, fx_never, NULL, 100);
    assert_int_equal(w.res[0].done, 0);

    fx_start(&w, 1, "A", NULL); /* same ports, new incarnation */
    state_is_t up = {&w.s[0], "B+ B- B+ "};
    assert_true(fx_run_until(&w, state_is, &up, 5000));
    assert_true(fx_run_until(&w, res_done, &w.res[0], 5000));
    assert_int_equal(w.res[0].err, 0);
    assert_string_equal(w.res[0].origin, "B");

    fx_wait_ready(&w, "AB", one);
    for (int i = 0; i < 5; i++)
        fx_publish(&w.s[1]);
    c.n = 10;
    assert_true(fx_run_until(&w, got_rx, &c, 5000));
    assert_int_equal(w.s[0].rx_seq[1][5], 1); /* the new incarnation starts again at 1 */
    assert_int_equal(w.s[0].rx_inc[1], w.s[1].incarnation);
    fx_publish(&w.s[0]);
    rx_count_t back = {&w.s[1], 0, 1};
    assert_true(fx_run_until(&w, got_rx, &back, 5000));

    acd_link_peer_stats_t ps;
    assert_int_equal(acd_link_peer_stats(w.s[0].link, "B", &ps), 0);
    assert_int_equal(ps.reconnects, 1);
    assert_true(ps.connected);
    fx_fini(&w);
}

/* ---- bad input ---- */

static atomic_int raw_pipes;

static void raw_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    (void)p;
    (void)arg;
    atomic_fetch_add(&raw_pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

static bool raw_connected(void *arg)
{
    (void)arg;
    return atomic_load(&raw_pipes) > 0;
}

static void raw_send(nng_socket s, const void *data, size_t len)
{
    assert_int_equal(nng_send(s, (void *)data, len, 0), 0);
}

static void encode_hb(const char *origin, uint64_t seq, acd_buf_t *out)
{
    Acd__V1__Heartbeat hb;
    Acd__V1__Envelope env;
    acd__v1__heartbeat__init(&hb);
    hb.leader_site = "B";
    acd_wire_envelope_init(&env, origin, 7, seq, FX_NOW_MS);
    env.body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    acd_buf_reset(out);
    assert_int_equal(acd_wire_encode(&env, out), 0);
}

typedef struct raw_reply {
    nng_socket s;
    int got;
    char origin[8];
} raw_reply_t;

static bool raw_got_reply(void *arg)
{
    raw_reply_t *r = arg;
    void *buf;
    size_t len;
    if (nng_recv(r->s, &buf, &len, NNG_FLAG_ALLOC | NNG_FLAG_NONBLOCK) != 0)
        return false;
    Acd__V1__Envelope *env;
    assert_int_equal(acd_wire_decode(buf, len, &env), 0);
    snprintf(r->origin, sizeof(r->origin), "%s", env->origin_site);
    acd_wire_free(env);
    nng_free(buf, len);
    r->got++;
    return true;
}

typedef struct bad_req {
    acd_link_t *l;
    uint64_t n;
} bad_req_t;

static bool bad_requests_are(void *arg)
{
    bad_req_t *b = arg;
    acd_link_stats_t st;
    acd_link_stats(b->l, &st);
    return st.bad_requests >= b->n;
}

static size_t count_lines(FILE *f, const char *needle)
{
    char line[1024];
    size_t n = 0;
    fflush(f);
    rewind(f);
    while (fgets(line, sizeof(line), f))
        if (strstr(line, needle))
            n++;
    return n;
}

/*
 * D is a raw nng PUB socket: garbage, a truncated frame, an empty frame and a valid
 * envelope from the wrong origin are counted and dropped; valid ones still get through.
 * Then a raw REQ socket sends A's REP garbage and a request from an unknown site.
 */
static void test_bad_frames(void **state)
{
    fx_world_t w;
    FILE *log = tmpfile();
    acd_buf_t b = {0};
    nng_socket pub, req;
    assert_non_null(log);
    acd_log_init(log, ACD_LOG_WARN, "A");
    fx_init(&w, false);
    atomic_store(&raw_pipes, 0);
    assert_int_equal(nng_pub0_open(&pub), 0);
    assert_int_equal(nng_pipe_notify(pub, NNG_PIPE_EV_ADD_POST, raw_pipe_cb, NULL), 0);
    assert_int_equal(nng_pipe_notify(pub, NNG_PIPE_EV_REM_POST, raw_pipe_cb, NULL), 0);
    assert_int_equal(nng_listen(pub, w.s[3].pub_url, NULL, 0), 0);
    fx_start(&w, 0, "D", NULL);
    state_is_t up = {&w.s[0], "D+ "};
    assert_true(fx_run_until(&w, state_is, &up, 5000));
    assert_true(fx_run_until(&w, raw_connected, NULL, 5000));

    static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03};
    raw_send(pub, garbage, sizeof(garbage));
    encode_hb("D", 1, &b);
    raw_send(pub, b.p, b.n / 2);
    raw_send(pub, "", 0);
    encode_hb("C", 1, &b);
    raw_send(pub, b.p, b.n);
    encode_hb("D", 1, &b);
    raw_send(pub, b.p, b.n);
    rx_count_t c = {&w.s[0], 3, 1};
    assert_true(fx_run_until(&w, got_rx, &c, 5000));
    encode_hb("D", 2, &b);
    raw_send(pub, b.p, b.n);
    c.n = 2;
    assert_true(fx_run_until(&w, got_rx, &c, 5000));
    assert_seqs(&w.s[0], 3, 1, 2);
    assert_int_equal(w.s[0].n_rx[2], 0);

    acd_link_peer_stats_t ps;
    assert_int_equal(acd_link_peer_stats(w.s[0].link, "D", &ps), 0);
    assert_int_equal(ps.decode_errors, 4);
    assert_int_equal(ps.rx_msgs, 2);
    assert_int_equal(count_lines(log, "ACD-LINK-BAD-FRAME"), 1); /* rate-limited */
    assert_int_equal(count_lines(log, "peer=D"), 1);

    /* The REP side: garbage, then an unknown origin, then a good request from D. */
    assert_int_equal(nng_req0_open(&req), 0);
    assert_int_equal(nng_dial(req, w.s[0].rep_url, NULL, 0), 0);
    raw_send(req, garbage, sizeof(garbage));
    bad_req_t br = {w.s[0].link, 1};
    assert_true(fx_run_until(&w, bad_requests_are, &br, 5000));
    encode_hb("Z", 1, &b);
    raw_send(req, b.p, b.n);
    br.n = 2;
    assert_true(fx_run_until(&w, bad_requests_are, &br, 5000));
    assert_int_equal(w.s[0].requests_seen, 0);
    encode_hb("D", 3, &b);
    raw_send(req, b.p, b.n);
    raw_reply_t rr = {req, 0, ""};
    assert_true(fx_run_until(&w, raw_got_reply, &rr, 5000));
    assert_string_equal(rr.origin, "A");
    assert_int_equal(w.s[0].requests_seen, 1);
    assert_int_equal(count_lines(log, "ACD-LINK-BAD-REQUEST"), 1);

    nng_close(req);
    nng_close(pub);
    state_is_t down = {&w.s[0], "D+ D- "};
    assert_true(fx_run_until(&w, state_is, &down, 5000));
    fx_fini(&w);
    acd_buf_fini(&b);
    acd_log_init(NULL, ACD_LOG_WARN, "test");
    fclose(log);
}

/* ---- configuration ---- */

static void test_bad_config(void **state)
{
    fx_world_t w;
    acd_link_t *l = (acd_link_t *)&w; /* must stay untouched */
    acd_link_t *const untouched = l;
    acd_link_cfg_t cfg;
    acd_link_peer_cfg_t peers[FX_SITES];
    acd_link_tls_cfg_t tls;
    char paths[3][256];
    fx_init(&w, false);
    fx_cfg(&w.s[0], "BC", NULL, &cfg, peers, &tls, paths);

    assert_int_equal(acd_link_alloc(NULL, &w.loop, &cfg, &fx_ops, NULL), -EINVAL);
    assert_int_equal(acd_link_alloc(&l, &w.loop, NULL, &fx_ops, NULL), -EINVAL);
    acd_link_ops_t no_rx = fx_ops;
    no_rx.on_envelope = NULL;
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &no_rx, NULL), -EINVAL);
    cfg.site = "";
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    cfg.site = "A\n";
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    cfg.site = "B"; /* a peer named like the site */
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    cfg.site = "A";
    peers[1].name = "B"; /* twice */
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    peers[1].name = "C";
    tls = (acd_link_tls_cfg_t){"/nonexistent/ca.crt", "/nonexistent/A.crt", "/nonexistent/A.key"};
    cfg.tls = &tls; /* with tcp:// urls */
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    cfg.tls = NULL;
    peers[0].pub_url = "tls+tcp://127.0.0.1:1";
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), ACD_ECONFIG);
    peers[0].pub_url = w.s[1].pub_url;
    assert_ptr_equal(l, untouched);

    /* TLS urls but unreadable files. */
    fx_site_t *t = &w.s[3];
    char pub[64], rep[64];
    snprintf(pub, sizeof(pub), "tls+tcp://127.0.0.1:%d", t->pub_port);
    snprintf(rep, sizeof(rep), "tls+tcp://127.0.0.1:%d", t->rep_port);
    acd_link_cfg_t tcfg = {.site = "D", .pub_url = pub, .rep_url = rep, .tls = &tls};
    assert_int_equal(acd_link_alloc(&l, &w.loop, &tcfg, &fx_ops, NULL), ACD_ECONFIG);

    /* A port in use fails at once, and what was created closes with the loop. */
    fx_start(&w, 0, "BC", NULL);
    cfg.site = "D";
    peers[0] = (acd_link_peer_cfg_t){"A", w.s[0].pub_url, w.s[0].rep_url};
    cfg.n_peers = 1;
    assert_int_equal(acd_link_alloc(&l, &w.loop, &cfg, &fx_ops, NULL), -EADDRINUSE);
    assert_ptr_equal(l, untouched);
    fx_fini(&w);
}

/* ---- TLS ---- */

static void make_certs(const char *dir, const char *sites)
{
    char cmd[1024];
    const char *src = getenv("ACD_SOURCE_DIR");
    assert_non_null(src);
    snprintf(cmd, sizeof(cmd), "'%s/deploy/make-certs' '%s' %s", src, dir, sites);
    int st = system(cmd);
    if (st != 0)
        fail_msg("deploy/make-certs failed (%d): openssl is required (deploy/setup installs it)",
                 st);
}

/*
 * A and B share a CA; C has certificates from another CA and names A as its peer.
 * A and B exchange logs and requests over TLS; C never gets a connection either way.
 */
static void test_tls(void **state)
{
    char tmp[] = "/tmp/acd-link-tls-XXXXXX";
    char good[64], rogue[64], cmd[128];
    assert_non_null(mkdtemp(tmp));
    snprintf(good, sizeof(good), "%s/good", tmp);
    snprintf(rogue, sizeof(rogue), "%s/rogue", tmp);
    make_certs(good, "A B");
    make_certs(rogue, "C");

    fx_world_t w;
    fx_opts_t og = {.tls_dir = good}, orog = {.tls_dir = rogue};
    fx_init(&w, true);
    fx_start(&w, 0, "BC", &og);
    fx_start(&w, 1, "A", &og);
    fx_start(&w, 2, "A", &orog);
    state_is_t up = {&w.s[1], "A+ "};
    assert_true(fx_run_until(&w, state_is, &up, 5000));
    state_is_t aup = {&w.s[0], "B+ "};
    assert_true(fx_run_until(&w, state_is, &aup, 5000));
    fx_ready_t br = {&w.s[1], 1};
    assert_true(fx_run_until(&w, fx_ready, &br, 5000));
    assert_true(fx_run_until(&w, has_subscriber, w.s[0].link, 5000));

    for (int i = 0; i < 50; i++)
        fx_publish(&w.s[0]);
    rx_count_t c = {&w.s[1], 0, 50};
    assert_true(fx_run_until(&w, got_rx, &c, 5000));
    assert_seqs(&w.s[1], 0, 1, 50);
    assert_int_equal(fx_request(&w.s[1], "A", 0), 0);
    assert_true(fx_run_until(&w, res_done, &w.res[0], 5000));
    assert_int_equal(w.res[0].err, 0);
    assert_string_equal(w.res[0].origin, "A");

    /* C (wrong CA) is refused both ways: give it time to try, then check. */
    fx_run_until(&w, fx_never, NULL, 500);
    assert_string_equal(w.s[0].states, "B+ ");
    assert_string_equal(w.s[2].states, "");
    assert_int_equal(w.s[2].n_rx[0], 0);
    acd_link_stats_t st;
    acd_link_stats(w.s[0].link, &st);
    assert_int_equal(st.subscribers, 1);
    fx_fini(&w);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
}

/* ---- closing ---- */

static void test_close_in_flight(void **state)
{
    fx_world_t w;
    fx_init(&w, false);
    fx_start(&w, 0, "B", NULL);
    fx_start(&w, 1, "A", NULL);
    fx_wait_ready(&w, "AB", one);
    for (int k = 0; k < 3; k++)
        assert_int_equal(fx_request(&w.s[0], "B", k), 0);
    for (int i = 0; i < 500; i++) {
        fx_publish(&w.s[0]);
        fx_publish(&w.s[1]);
    }
    uv_run(&w.loop, UV_RUN_NOWAIT); /* some of it is moving */
    acd_link_t *a = w.s[0].link;
    fx_stop(&w.s[0]);
    acd_link_close(a, fx_closed, &w.s[0]); /* idempotent */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(w.res[k].done, 1);
        assert_true(w.res[k].err == -ECANCELED || w.res[k].err == 0);
    }
    assert_int_equal(w.res[2].err, -ECANCELED);
    assert_int_equal(acd_link_publish(a, &(Acd__V1__Envelope)ACD__V1__ENVELOPE__INIT), -ESHUTDOWN);
    assert_int_equal(fx_request(&w.s[0], "B", 4), -ESHUTDOWN);
    size_t rx_at_close = w.s[0].n_rx[1];
    fx_stop(&w.s[1]);
    fx_fini(&w);
    assert_int_equal(w.s[0].closed, 1);
    assert_int_equal(w.s[0].n_rx[1], rx_at_close); /* nothing delivered after close */
}

/*
 * The peer for the load test, a process of its own as peers are in production (nng's
 * pipe reaper is per process): floods pub_url's subscribers with Snapshot frames as
 * site D and rep_url with requests until killed. Never returns.
 */
static void flood_run(const char *pub_url, const char *rep_url)
{
    nng_socket pub, req;
    acd_buf_t b = {0}, big = {0};
    fx_site_t d = {.name = "D", .snap_queues = 2000, .incarnation = 1};
    encode_hb("D", 1, &b);
    if (fx_encode_snapshot(&d, 1, &big) != 0 || nng_pub0_open(&pub) != 0 ||
        nng_listen(pub, pub_url, NULL, 0) != 0 || nng_req0_open(&req) != 0)
        _exit(3);
    nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, 5);
    nng_socket_set_ms(req, NNG_OPT_RECONNMINT, 5);
    nng_socket_set_ms(req, NNG_OPT_RECONNMAXT, 10);
    if (nng_dial(req, rep_url, NULL, NNG_FLAG_NONBLOCK) != 0)
        _exit(4);
    for (;;) {
        for (int i = 0; i < 20; i++)
            nng_send(pub, big.p, big.n, NNG_FLAG_NONBLOCK);
        nng_send(req, b.p, b.n, NNG_FLAG_NONBLOCK);
        usleep(200);
    }
}

static bool rx_from_d(void *arg)
{
    acd_link_peer_stats_t ps;
    assert_int_equal(acd_link_peer_stats(arg, "D", &ps), 0);
    return ps.rx_msgs >= 5;
}

static void close_under_load(void)
{
    fx_world_t w;
    fx_init(&w, false);
    pid_t flood = fork();
    assert_true(flood >= 0);
    if (flood == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        execl("/proc/self/exe", "cluster_test_link", "--flood", w.s[3].pub_url, w.s[0].rep_url,
              (char *)NULL);
        _exit(127);
    }
    for (int round = 0; round < 10; round++) {
        fx_start(&w, 0, "D", NULL);
        state_is_t up = {&w.s[0], "D+ "};
        assert_true(fx_run_until(&w, state_is, &up, 5000));
        assert_true(fx_run_until(&w, rx_from_d, w.s[0].link, 5000));
        fx_run_until(&w, fx_never, NULL, (unsigned)(round * 2));
        fx_stop(&w.s[0]);
        assert_true(fx_run_until(&w, site_closed, &w.s[0], 5000));
        w.s[0].states[0] = '\0';
    }
    assert_true(w.s[0].requests_seen > 0);
    kill(flood, SIGKILL);
    waitpid(flood, NULL, 0);
    fx_fini(&w);
}

/*
 * Closing while frames keep arriving on SUB and REP, again and again: nng 1.5.2 hangs
 * in nng_close() under traffic unless the link quiesces its connections first
 * (link_quiesce.c). The rounds run in a fresh process (this executable again, with
 * --close-under-load; nng refuses to run in a forked child) so that a regression fails
 * here after a deadline instead of wedging the suite, and because nng 1.5.2 leaks pipe
 * memory when connections drop mid-frame, which would fail LeakSanitizer builds for
 * reasons outside acdd (the child ends with _exit()). A failed assert in the child
 * ends it with a non-zero status.
 */
static void test_close_under_load(void **state)
{
    int status = 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "cluster_test_link", "--close-under-load", (char *)NULL);
        _exit(127);
    }
    for (int waited_ms = 0; waitpid(pid, &status, WNOHANG) == 0; waited_ms += 50) {
        if (waited_ms > 90000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("closing links under traffic hung (nng_close without quiescing?)");
        }
        usleep(50000);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* B closes its link from inside on_envelope: no envelope is delivered after that. */
static void test_close_from_callback(void **state)
{
    fx_world_t w;
    fx_init(&w, false);
    fx_start(&w, 0, "B", NULL);
    fx_start(&w, 1, "A", NULL);
    fx_wait_ready(&w, "AB", one);
    w.s[1].close_on_rx = true;
    for (int i = 0; i < 200; i++)
        fx_publish(&w.s[0]);
    assert_true(fx_run_until(&w, site_closed, &w.s[1], 5000));
    assert_int_equal(w.s[1].n_rx[0], 1);
    state_is_t down = {&w.s[0], "B+ B- "};
    assert_true(fx_run_until(&w, state_is, &down, 5000));
    fx_fini(&w);
}

int main(int argc, char **argv)
{
    acd_log_init(NULL, ACD_LOG_WARN, "test");
    if (argc == 4 && strcmp(argv[1], "--flood") == 0)
        flood_run(argv[2], argv[3]);
    if (argc == 2 && strcmp(argv[1], "--close-under-load") == 0) {
        close_under_load();
        fflush(NULL);
        _exit(0);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logs_in_order),
        cmocka_unit_test(test_request_reply),
        cmocka_unit_test(test_request_timeout),
        cmocka_unit_test(test_peer_restart),
        cmocka_unit_test(test_bad_frames),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_close_in_flight),
        cmocka_unit_test(test_close_from_callback),
        cmocka_unit_test(test_close_under_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
