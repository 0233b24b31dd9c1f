/* test_transport.c - SIP UDP/TCP transport against plain sockets on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip/transport.h"
#include "sip/transport_int.h"
#include "util/err.h"
#include "util/log.h"

#define MAX_MSGS 16

/* One transport on its own loop, plus what its receive callback saw. */
typedef struct fx {
    uv_loop_t loop;
    uv_timer_t deadline;
    bool timed_out;
    acd_sip_transport_t *t;
    int nmsgs;
    char *msgs[MAX_MSGS];
    size_t lens[MAX_MSGS];
    acd_sip_peer_t from[MAX_MSGS];
    const char *reply; /* sent back to every sender when set */
    int send_rc;
    int closed;
} fx_t;

static void fx_recv_cb(void *ud, const acd_sip_peer_t *from, const char *data, size_t len)
{
    fx_t *f = ud;
    if (f->nmsgs < MAX_MSGS) {
        f->msgs[f->nmsgs] = malloc(len + 1);
        memcpy(f->msgs[f->nmsgs], data, len);
        f->msgs[f->nmsgs][len] = '\0';
        f->lens[f->nmsgs] = len;
        f->from[f->nmsgs] = *from;
    }
    f->nmsgs++;
    if (f->reply)
        f->send_rc = acd_sip_transport_send(f->t, from, f->reply, strlen(f->reply));
}

static void fx_deadline_cb(uv_timer_t *timer)
{
    fx_t *f = timer->data;
    f->timed_out = true;
}

static void fx_closed_cb(void *ud)
{
    fx_t *f = ud;
    f->closed++;
}

static acd_sip_transport_cfg_t fx_cfg(void)
{
    return (acd_sip_transport_cfg_t){
        .listen_addr = "127.0.0.1", .port = 0, .udp = true, .tcp = true};
}

static void fx_start(fx_t *f, const acd_sip_transport_cfg_t *cfg)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_timer_init(&f->loop, &f->deadline), 0);
    f->deadline.data = f;
    assert_int_equal(acd_sip_transport_alloc(&f->t, &f->loop, cfg, fx_recv_cb, f), 0);
    assert_int_not_equal(acd_sip_transport_port(f->t), 0);
}

/* Closes the transport, runs the loop dry and checks that nothing was left behind. */
static void fx_finish(fx_t *f)
{
    acd_sip_transport_close(f->t, fx_closed_cb, f);
    uv_close((uv_handle_t *)&f->deadline, NULL);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f->closed, 1);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    for (int i = 0; i < f->nmsgs && i < MAX_MSGS; i++)
        free(f->msgs[i]);
}

static acd_sip_transport_stats_t fx_stats(fx_t *f)
{
    acd_sip_transport_stats_t s;
    acd_sip_transport_stats(f->t, &s);
    return s;
}

static void fx_arm(fx_t *f)
{
    f->timed_out = false;
    uv_timer_start(&f->deadline, fx_deadline_cb, 3000, 0);
}

/* Runs the loop until cond holds, failing the test if it does not within 3 s. */
#define RUN_UNTIL(f, cond)                                                                         \
    do {                                                                                           \
        fx_arm(f);                                                                                 \
        while (!(cond) && !(f)->timed_out)                                                         \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        uv_timer_stop(&(f)->deadline);                                                             \
        assert_true(cond);                                                                         \
    } while (0)

/* ---- plain-socket peers ---- */

static struct sockaddr_in lo_addr(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int tcp_client(uint16_t port)
{
    struct sockaddr_in a = lo_addr(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Reads what is there within timeout_ms: >0 bytes, 0 EOF, -1 error/reset, -2 timeout. */
static ssize_t read_some(int fd, char *buf, size_t n, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) != 1)
        return -2;
    ssize_t r = recv(fd, buf, n, 0);
    return r < 0 ? -1 : r;
}

/* Reads exactly n bytes (with a 2 s budget per read) and NUL-terminates. */
static void read_exact(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read_some(fd, buf + got, n - got, 2000);
        assert_true(r > 0);
        got += (size_t)r;
    }
    buf[n] = '\0';
}

static void expect_closed(int fd)
{
    char buf[256];
    ssize_t r;
    /* Whatever the server sent before closing may come first. */
    while ((r = read_some(fd, buf, sizeof(buf), 2000)) > 0)
        ;
    assert_true(r == 0 || r == -1);
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static char *sip_msg(const char *method, const char *body)
{
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]),
             "%s sip:acd@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-%d\r\n"
             "Call-ID: c%d@test\r\n"
             "CSeq: 1 %s\r\n"
             "Content-Length: %zu\r\n"
             "\r\n"
             "%s",
             method, next, next, method, strlen(body), body);
    return b;
}

static const char reply_200[] = "SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/* ---- tests ---- */

static void test_frame_table(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        int rc;
        size_t used;
    } cases[] = {
        {"", 100, ACD__SIP_FRAME_MORE, 0},
        {"\r\n\r\n", 100, ACD__SIP_FRAME_PING, 4},
        {"\r\n\r\nOPTIONS", 100, ACD__SIP_FRAME_PING, 4},
        {"\r\n", 100, ACD__SIP_FRAME_MORE, 0},
        {"\r\n\r", 100, ACD__SIP_FRAME_MORE, 0},
        {"\r\nOPTIONS", 100, ACD__SIP_FRAME_SKIP, 2},
        {"\nX", 100, ACD__SIP_FRAME_SKIP, 1},
        {"A sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n", 100, ACD__SIP_FRAME_MSG, 38},
        {"A sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\nhelloB x", 100, ACD__SIP_FRAME_MSG, 43},
        {"A sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\nhel", 100, ACD__SIP_FRAME_MORE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 5\r\n", 100, ACD__SIP_FRAME_MORE, 0},
        {"A sip:a SIP/2.0\r\nl: 3\r\n\r\nabc", 100, ACD__SIP_FRAME_MSG, 28},
        {"A sip:a SIP/2.0\r\nL:3\r\n\r\nabc", 100, ACD__SIP_FRAME_MSG, 27},
        {"A sip:a SIP/2.0\r\nCONTENT-length \t:  3 \r\n\r\nabc", 100, ACD__SIP_FRAME_MSG, 45},
        {"A sip:a SIP/2.0\r\nVia: x\r\n\r\n", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nX-l: 3\r\n\r\nabc", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nVia: x\r\n l: 3\r\n\r\nabc", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: abc\r\n\r\n", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 3x\r\n\r\n", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab", 100, ACD__SIP_FRAME_MSG, 46},
        {"A sip:a SIP/2.0\r\n\r\n", 100, ACD_EPARSE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n", 100, -EMSGSIZE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 70\r\n\r\n", 100, -EMSGSIZE, 0},
        {"A sip:a SIP/2.0\r\nContent-Length: 61\r\n\r\n", 100, ACD__SIP_FRAME_MORE, 0},
        {"A sip:a SIP/2.0\r\nVia: xxxxxxxxxx", 20, -EMSGSIZE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t used = 99;
        int rc = acd__sip_frame(cases[i].in, strlen(cases[i].in), cases[i].max, &used);
        if (rc != cases[i].rc || used != cases[i].used)
            print_error("case %zu: %s\n", i, cases[i].in);
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(used, cases[i].used);
    }
}

static void test_sockaddr(void **state)
{
    struct sockaddr_storage ss;
    char buf[64];

    assert_int_equal(acd_sockaddr_parse("127.0.0.1", 5060, &ss), 0);
    assert_string_equal(acd_sockaddr_fmt((struct sockaddr *)&ss, buf, sizeof(buf)),
                        "127.0.0.1:5060");
    assert_int_equal(acd_sockaddr_parse("::1", 5061, &ss), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_string_equal(acd_sockaddr_fmt((struct sockaddr *)&ss, buf, sizeof(buf)), "[::1]:5061");
    assert_int_equal(acd_sockaddr_parse("[2001:db8::7]", 1, &ss), 0);
    assert_string_equal(acd_sockaddr_fmt((struct sockaddr *)&ss, buf, sizeof(buf)),
                        "[2001:db8::7]:1");
    assert_int_equal(acd_sockaddr_parse("1.2.3", 1, &ss), -EINVAL);
    assert_int_equal(acd_sockaddr_parse("example.com", 1, &ss), -EINVAL);
    assert_int_equal(acd_sockaddr_parse("", 1, &ss), -EINVAL);
    assert_int_equal(acd_sockaddr_parse(NULL, 1, &ss), -EINVAL);
    assert_int_equal(acd_sockaddr_parse("[]", 1, &ss), -EINVAL);
    assert_string_equal(acd_sockaddr_fmt(NULL, buf, sizeof(buf)), "?");
    /* Truncation keeps the string terminated. */
    assert_int_equal(acd_sockaddr_parse("10.0.0.1", 5060, &ss), 0);
    assert_string_equal(acd_sockaddr_fmt((struct sockaddr *)&ss, buf, 5), "10.0");
}

static void test_alloc_errors(void **state)
{
    uv_loop_t loop;
    acd_sip_transport_t *t = NULL, *t2 = (acd_sip_transport_t *)&loop;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    int dummy;

    assert_int_equal(uv_loop_init(&loop), 0);
    cfg.udp = cfg.tcp = false;
    assert_int_equal(acd_sip_transport_alloc(&t, &loop, &cfg, fx_recv_cb, &dummy), -EINVAL);
    cfg = fx_cfg();
    cfg.listen_addr = "not-an-ip";
    assert_int_equal(acd_sip_transport_alloc(&t, &loop, &cfg, fx_recv_cb, &dummy), -EINVAL);
    cfg = fx_cfg();
    assert_int_equal(acd_sip_transport_alloc(&t, &loop, &cfg, NULL, &dummy), -EINVAL);

    /* Both protocols of the second transport collide with the first. */
    assert_int_equal(acd_sip_transport_alloc(&t, &loop, &cfg, fx_recv_cb, &dummy), 0);
    cfg.port = acd_sip_transport_port(t);
    cfg.udp = false;
    assert_int_equal(acd_sip_transport_alloc(&t2, &loop, &cfg, fx_recv_cb, &dummy), -EADDRINUSE);
    cfg.udp = true;
    cfg.tcp = false;
    assert_int_equal(acd_sip_transport_alloc(&t2, &loop, &cfg, fx_recv_cb, &dummy), -EADDRINUSE);
    assert_ptr_equal(t2, (acd_sip_transport_t *)&loop); /* untouched on failure */

    acd_sip_transport_close(t, NULL, NULL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_udp_round_trip(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    f.reply = reply_200;
    uint16_t port = acd_sip_transport_port(f.t);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = lo_addr(port);
    const char *req = sip_msg("OPTIONS", "");
    /* A CRLF keep-alive datagram is swallowed, not delivered. */
    assert_int_equal(sendto(fd, "\r\n\r\n", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
    assert_int_equal(sendto(fd, req, strlen(req), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_int_equal(f.nmsgs, 1);
    assert_string_equal(f.msgs[0], req);
    assert_int_equal(f.from[0].proto, ACD_SIP_UDP);
    assert_int_equal(f.from[0].conn_id, 0);
    assert_int_equal(f.send_rc, 0);

    char buf[1024];
    struct sockaddr_in src;
    socklen_t slen = sizeof(src);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&src, &slen);
    assert_int_equal(n, (ssize_t)strlen(reply_200));
    buf[n] = '\0';
    assert_string_equal(buf, reply_200);
    assert_int_equal(ntohs(src.sin_port), port);

    acd_sip_transport_stats_t s = fx_stats(&f);
    assert_int_equal(s.rx_msgs, 1);
    assert_int_equal(s.tx_msgs, 1);
    assert_int_equal(s.tx_bytes, strlen(reply_200));
    assert_int_equal(s.rx_bytes, 4 + strlen(req));
    close(fd);
    fx_finish(&f);
}

static void test_tcp_one_message(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    const char *req = sip_msg("INVITE", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
    write_all(fd, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_int_equal(f.nmsgs, 1);
    assert_string_equal(f.msgs[0], req);
    assert_int_equal(f.from[0].proto, ACD_SIP_TCP);
    assert_int_not_equal(f.from[0].conn_id, 0);
    assert_int_equal(f.from[0].addr.ss_family, AF_INET);
    acd_sip_transport_stats_t s = fx_stats(&f);
    assert_int_equal(s.tcp_accepted, 1);
    assert_int_equal(s.tcp_conns_open, 1);
    assert_int_equal(s.rx_msgs, 1);
    close(fd);
    /* The peer's EOF closes our side too. */
    RUN_UNTIL(&f, fx_stats(&f).tcp_conns_open == 0);
    fx_finish(&f);
}

static void test_tcp_two_messages_one_write(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    char both[2048];
    const char *a = sip_msg("MESSAGE", "first body");
    const char *b = sip_msg("MESSAGE", "second");
    snprintf(both, sizeof(both), "%s%s", a, b);
    write_all(fd, both, strlen(both));
    RUN_UNTIL(&f, f.nmsgs >= 2);
    assert_int_equal(f.nmsgs, 2);
    assert_string_equal(f.msgs[0], a);
    assert_string_equal(f.msgs[1], b);
    assert_int_equal(f.from[0].conn_id, f.from[1].conn_id);
    close(fd);
    fx_finish(&f);
}

static void test_tcp_byte_by_byte(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    const char *req = sip_msg("INFO", "Signal=1\r\nDuration=160\r\n");
    size_t len = strlen(req);
    /* Each byte is read by the transport before the next one is written. */
    for (size_t i = 0; i < len; i++) {
        write_all(fd, req + i, 1);
        RUN_UNTIL(&f, fx_stats(&f).rx_bytes >= i + 1);
        if (i + 1 < len)
            assert_int_equal(f.nmsgs, 0);
    }
    assert_int_equal(f.nmsgs, 1);
    assert_string_equal(f.msgs[0], req);
    close(fd);
    fx_finish(&f);
}

static void test_tcp_keepalive(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    char buf[8];

    write_all(fd, "\r\n\r\n", 4);
    RUN_UNTIL(&f, fx_stats(&f).rx_bytes >= 4);
    read_exact(fd, buf, 2);
    assert_string_equal(buf, "\r\n");
    /* A ping split over two writes is answered too. */
    write_all(fd, "\r\n", 2);
    RUN_UNTIL(&f, fx_stats(&f).rx_bytes >= 6);
    assert_int_equal(read_some(fd, buf, sizeof(buf), 0), -2);
    write_all(fd, "\r\n", 2);
    RUN_UNTIL(&f, fx_stats(&f).rx_bytes >= 8);
    read_exact(fd, buf, 2);
    assert_string_equal(buf, "\r\n");

    const char *req = sip_msg("OPTIONS", "");
    write_all(fd, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_string_equal(f.msgs[0], req);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 1);
    assert_int_equal(fx_stats(&f).tx_msgs, 0); /* pongs are not messages */
    close(fd);
    fx_finish(&f);
}

static void test_tcp_missing_content_length(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    const char req[] = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n\r\n";
    write_all(fd, req, strlen(req));
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 1 && fx_stats(&f).tcp_conns_open == 0);
    /* The header block goes up once (so it can be answered 400), then the stream closes. */
    assert_int_equal(f.nmsgs, 1);
    assert_string_equal(f.msgs[0], req);
    assert_int_equal(fx_stats(&f).rx_dropped, 1);
    expect_closed(fd);
    close(fd);
    fx_finish(&f);
}

static void test_tcp_oversize(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    cfg.max_message = 512;
    fx_start(&f, &cfg);
    uint16_t port = acd_sip_transport_port(f.t);

    /* A declared body that cannot fit: closed before the body arrives. */
    int fd = tcp_client(port);
    const char hdr[] = "MESSAGE sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 1000\r\n\r\n";
    write_all(fd, hdr, strlen(hdr));
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 1 && fx_stats(&f).tcp_conns_open == 0);
    expect_closed(fd);
    close(fd);

    /* Headers that never end within the limit. */
    fd = tcp_client(port);
    char big[600];
    memset(big, 'a', sizeof(big));
    memcpy(big, "OPTIONS sip:a SIP/2.0\r\nX: ", 26);
    write_all(fd, big, sizeof(big));
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 2 && fx_stats(&f).tcp_conns_open == 0);
    expect_closed(fd);
    close(fd);

    /* A message of exactly the limit still passes. */
    fd = tcp_client(port);
    char m[600];
    int hl =
        snprintf(m, sizeof(m), "MESSAGE sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 456\r\n\r\n");
    assert_int_equal(hl, 512 - 456);
    memset(m + hl, 'b', 456);
    m[512] = '\0';
    write_all(fd, m, strlen(m));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_string_equal(f.msgs[0], m);
    assert_int_equal(fx_stats(&f).rx_dropped, 2);
    close(fd);
    fx_finish(&f);
}

static void test_tcp_reply_on_same_conn(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    f.reply = reply_200;
    uint16_t port = acd_sip_transport_port(f.t);
    int a = tcp_client(port);
    int b = tcp_client(port);
    char buf[256];

    const char *req = sip_msg("OPTIONS", "");
    write_all(b, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_int_equal(f.send_rc, 0);
    read_exact(b, buf, strlen(reply_200));
    assert_string_equal(buf, reply_200);

    write_all(a, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 2);
    read_exact(a, buf, strlen(reply_200));
    assert_string_equal(buf, reply_200);
    assert_int_not_equal(f.from[0].conn_id, f.from[1].conn_id);

    /* conn_id wins over the address: b's id with a's address goes to b. */
    acd_sip_peer_t to = f.from[1];
    to.conn_id = f.from[0].conn_id;
    assert_int_equal(acd_sip_transport_send(f.t, &to, reply_200, strlen(reply_200)), 0);
    read_exact(b, buf, strlen(reply_200));
    assert_string_equal(buf, reply_200);
    assert_int_equal(read_some(a, buf, sizeof(buf), 0), -2);

    acd_sip_transport_stats_t s = fx_stats(&f);
    assert_int_equal(s.tcp_accepted, 2);
    assert_int_equal(s.tcp_conns_open, 2);
    assert_int_equal(s.tx_msgs, 3);
    close(a);
    close(b);
    fx_finish(&f);
}

static int plain_listener(uint16_t *port)
{
    struct sockaddr_in a = lo_addr(0);
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_tcp_send_opens_connection(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    f.reply = reply_200;
    uint16_t lport;
    int ls = plain_listener(&lport);
    acd_sip_peer_t to = {.proto = ACD_SIP_TCP, .conn_id = 0};
    assert_int_equal(acd_sockaddr_parse("127.0.0.1", lport, &to.addr), 0);
    const char *m1 = sip_msg("INVITE", "");
    const char *m2 = sip_msg("CANCEL", "");
    char buf[1024];

    /* Both are queued on one connection while it is being set up. */
    assert_int_equal(acd_sip_transport_send(f.t, &to, m1, strlen(m1)), 0);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 1);
    int afd = -1;
    RUN_UNTIL(&f, (afd >= 0 || (afd = accept(ls, NULL, NULL)) >= 0) && readable(afd));
    read_exact(afd, buf, strlen(m1));
    assert_string_equal(buf, m1);

    /* A later send to the same address reuses the open connection. */
    assert_int_equal(acd_sip_transport_send(f.t, &to, m2, strlen(m2)), 0);
    RUN_UNTIL(&f, readable(afd));
    read_exact(afd, buf, strlen(m2));
    assert_string_equal(buf, m2);
    assert_int_equal(accept(ls, NULL, NULL), -1);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 1);
    assert_int_equal(fx_stats(&f).tcp_accepted, 0);

    /* The peer's request on that connection is delivered, and answered on it. */
    const char *req = sip_msg("BYE", "");
    write_all(afd, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_int_not_equal(f.from[0].conn_id, 0);
    read_exact(afd, buf, strlen(reply_200));
    assert_string_equal(buf, reply_200);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 1);
    close(afd);
    close(ls);
    fx_finish(&f);
}

static void test_tcp_connect_failed(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    uint16_t port;
    int ls = plain_listener(&port);
    close(ls); /* nothing listens on port any more */
    acd_sip_peer_t to = {.proto = ACD_SIP_TCP, .conn_id = 12345};
    assert_int_equal(acd_sockaddr_parse("127.0.0.1", port, &to.addr), 0);
    const char *m = sip_msg("INVITE", "");
    assert_int_equal(acd_sip_transport_send(f.t, &to, m, strlen(m)), 0);
    assert_int_equal(acd_sip_transport_send(f.t, &to, m, strlen(m)), 0);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 1);
    RUN_UNTIL(&f, fx_stats(&f).tcp_conns_open == 0);
    fx_finish(&f);
}

static void test_tcp_idle_timeout(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    cfg.tcp_idle_ms = 100;
    fx_start(&f, &cfg);
    int fd = tcp_client(acd_sip_transport_port(f.t));
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 1);
    uint64_t t0 = uv_now(&f.loop);
    RUN_UNTIL(&f, fx_stats(&f).tcp_conns_open == 0);
    assert_true(uv_now(&f.loop) - t0 >= 75);
    expect_closed(fd);
    close(fd);
    fx_finish(&f);
}

static void test_stop_accepting(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    uint16_t port = acd_sip_transport_port(f.t);
    int a = tcp_client(port);
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 1);
    acd_sip_transport_stop_accepting(f.t);
    acd_sip_transport_stop_accepting(f.t);

    struct sockaddr_in to = lo_addr(port);
    int b = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(b, (struct sockaddr *)&to, sizeof(to)), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(b);

    /* The existing connection and UDP keep working. */
    const char *req = sip_msg("OPTIONS", "");
    write_all(a, req, strlen(req));
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(sendto(u, req, strlen(req), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 2);
    close(u);
    close(a);
    fx_finish(&f);
}

static void test_close_with_open_connections(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    fx_start(&f, &cfg);
    uint16_t port = acd_sip_transport_port(f.t);
    int a = tcp_client(port);
    int b = tcp_client(port);
    uint16_t lport;
    int ls = plain_listener(&lport);
    acd_sip_peer_t to = {.proto = ACD_SIP_TCP};
    assert_int_equal(acd_sockaddr_parse("127.0.0.1", lport, &to.addr), 0);
    const char *m = sip_msg("INVITE", "");

    /* a holds half a message; the outgoing connection may still be connecting. */
    write_all(a, m, 20);
    RUN_UNTIL(&f, fx_stats(&f).tcp_accepted == 2 && fx_stats(&f).rx_bytes >= 20);
    assert_int_equal(acd_sip_transport_send(f.t, &to, m, strlen(m)), 0);
    assert_int_equal(fx_stats(&f).tcp_conns_open, 3);

    acd_sip_transport_close(f.t, fx_closed_cb, &f);
    acd_sip_transport_close(f.t, fx_closed_cb, &f); /* idempotent until freed */
    assert_int_equal(f.closed, 0);                  /* frees only in close callbacks */
    uv_close((uv_handle_t *)&f.deadline, NULL);
    assert_int_equal(uv_run(&f.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(f.closed, 1);
    assert_int_equal(uv_loop_close(&f.loop), 0);
    expect_closed(a);
    expect_closed(b);
    close(a);
    close(b);
    close(ls);
}

static void test_ipv6_tcp_and_udp(void **state)
{
    fx_t f;
    acd_sip_transport_cfg_t cfg = fx_cfg();
    cfg.listen_addr = "::1";
    fx_start(&f, &cfg);
    f.reply = reply_200;
    uint16_t port = acd_sip_transport_port(f.t);
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    to.sin6_addr = in6addr_loopback;
    char buf[256];

    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
    const char *req = sip_msg("OPTIONS", "");
    write_all(fd, req, strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 1);
    assert_int_equal(f.from[0].addr.ss_family, AF_INET6);
    read_exact(fd, buf, strlen(reply_200));
    assert_string_equal(buf, reply_200);

    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    assert_int_equal(sendto(u, req, strlen(req), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)strlen(req));
    RUN_UNTIL(&f, f.nmsgs >= 2);
    assert_int_equal(f.from[1].proto, ACD_SIP_UDP);
    assert_true(read_some(u, buf, sizeof(buf), 2000) == (ssize_t)strlen(reply_200));
    close(u);
    close(fd);
    fx_finish(&f);
}

int main(void)
{
    acd_log_init(stderr, ACD_LOG_DEBUG, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_table),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_alloc_errors),
        cmocka_unit_test(test_udp_round_trip),
        cmocka_unit_test(test_tcp_one_message),
        cmocka_unit_test(test_tcp_two_messages_one_write),
        cmocka_unit_test(test_tcp_byte_by_byte),
        cmocka_unit_test(test_tcp_keepalive),
        cmocka_unit_test(test_tcp_missing_content_length),
        cmocka_unit_test(test_tcp_oversize),
        cmocka_unit_test(test_tcp_reply_on_same_conn),
        cmocka_unit_test(test_tcp_send_opens_connection),
        cmocka_unit_test(test_tcp_connect_failed),
        cmocka_unit_test(test_tcp_idle_timeout),
        cmocka_unit_test(test_stop_accepting),
        cmocka_unit_test(test_close_with_open_connections),
        cmocka_unit_test(test_ipv6_tcp_and_udp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
