/* test_txn.c - the transaction layer against a raw UDP peer: timers, retransmissions, ACK, CANCEL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/proxy.h"
#include "sip/txn.h"

#define T1 20 /* ms: timers scaled down so the whole file runs in a few seconds */

typedef struct fx {
    uv_loop_t loop;
    acd_sip_transport_t *t;
    acd_sip_txl_t *l;
    int peer;                 /* the raw UDP socket playing the other side */
    uint16_t port;            /* the transport's port */
    int requests, cancels, timeouts;
    acd_sip_txn_t *last_st;
    int respond_with;         /* TU answers new requests with this at once (0: hold them) */
    int resp_status[8];
    int nresp;
    acd_sip_txn_t *ct;
    const acd_sip_peer_t *relay_to; /* TU relays every new request there (0 or err in relay_rc) */
    int relay_rc;
} fx_t;

static void fx_request(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req, const acd_sip_peer_t *from)
{
    fx_t *f = ud;
    (void)req;
    (void)from;
    f->requests++;
    f->last_st = st;
    if (f->relay_to) {
        f->relay_rc = acd_sip_txn_relay(f->l, st, req, f->relay_to);
        if (f->relay_rc < 0 && st)
            assert_int_equal(acd_sip_txn_respond(st, 481, NULL, NULL), 0);
        f->last_st = NULL;
        return;
    }
    if (st && f->respond_with) {
        acd_sip_resp_opts_t o = {.to_tag = ACD_STR("tt")};
        assert_int_equal(acd_sip_txn_respond(st, f->respond_with, NULL, &o), 0);
        f->last_st = NULL;
    }
}

static void fx_cancel(void *ud, acd_sip_txn_t *ist)
{
    fx_t *f = ud;
    f->cancels++;
    assert_int_equal(acd_sip_txn_respond(ist, 487, NULL, NULL), 0);
    f->last_st = NULL;
}

static void fx_timeout(void *ud, acd_sip_txn_t *st, const acd_sip_msg_t *req)
{
    (void)st;
    (void)req;
    ((fx_t *)ud)->timeouts++;
}

static const acd_sip_tu_ops_t fx_ops = {.request = fx_request, .cancel = fx_cancel, .server_timeout = fx_timeout};

static void fx_recv(void *ud, const acd_sip_peer_t *from, const char *data, size_t len)
{
    fx_t *f = ud;
    if (f->l)
        acd_sip_txl_on_recv(f->l, from, data, len);
}

/* A raw UDP socket on loopback, any port. */
static int fx_udp_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void fx_start(fx_t *f)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    acd_sip_transport_cfg_t tc = {.listen_addr = "127.0.0.1", .port = 0, .udp = true};
    assert_int_equal(acd_sip_transport_alloc(&f->t, &f->loop, &tc, fx_recv, f), 0);
    f->port = acd_sip_transport_port(f->t);
    acd_sip_txl_cfg_t xc = {.t1_ms = T1, .t2_ms = 4 * T1, .t4_ms = 5 * T1, .via_host = "127.0.0.1", .via_port = f->port};
    assert_int_equal(acd_sip_txl_alloc(&f->l, &f->loop, f->t, &xc, &fx_ops, f), 0);
    f->peer = fx_udp_socket();
}

static uint16_t fx_sock_port(int fd)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &n);
    return ntohs(a.sin_port);
}

static uint16_t fx_peer_port(fx_t *f)
{
    return fx_sock_port(f->peer);
}

static void fx_closed(void *ud)
{
    (void)ud;
}

static void fx_finish(fx_t *f)
{
    acd_sip_txl_close(f->l, fx_closed, NULL);
    f->l = NULL;
    acd_sip_transport_close(f->t, NULL, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    close(f->peer);
}

/* Runs the loop for ms milliseconds. */
static void fx_run(fx_t *f, int ms)
{
    uint64_t end = uv_now(&f->loop) + (uint64_t)ms;
    while (uv_now(&f->loop) < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(1000);
        uv_update_time(&f->loop);
    }
}

/* Sends msg from socket fd to the layer. */
static void fx_send_from(fx_t *f, int fd, const char *msg)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(f->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof(a)) > 0);
}

static void fx_send(fx_t *f, const char *msg)
{
    fx_send_from(f, f->peer, msg);
}

/* Counts the messages socket fd received whose first line starts with prefix (the last in last). */
static int fx_drain_fd(int fd, const char *prefix, char *last, size_t lastlen)
{
    char buf[4096];
    int n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            break;
        ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
        if (r <= 0)
            break;
        buf[r] = '\0';
        if (strncmp(buf, prefix, strlen(prefix)) == 0) {
            n++;
            if (last)
                snprintf(last, lastlen, "%s", buf);
        }
    }
    return n;
}

/* Collects what the peer received: counts of messages whose first line starts with prefix. */
static int fx_drain(fx_t *f, const char *prefix, char *last, size_t lastlen)
{
    return fx_drain_fd(f->peer, prefix, last, lastlen);
}

/* Appends everything the peer received to out (messages separated by "\n---\n"). */
static void fx_collect(fx_t *f, char *out, size_t len)
{
    char buf[4096];
    out[0] = '\0';
    for (;;) {
        struct pollfd p = {.fd = f->peer, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            break;
        ssize_t r = recv(f->peer, buf, sizeof(buf) - 1, 0);
        if (r <= 0)
            break;
        buf[r] = '\0';
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s\n---\n", buf);
    }
}

static char *fx_request_text(char *buf, size_t len, const char *method, const char *branch, int cseq,
                             const char *cseq_method, uint16_t peer_port, const char *to_tag)
{
    snprintf(buf, len,
             "%s sip:1000@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\n"
             "From: <sip:5551@127.0.0.1>;tag=ft\r\n"
             "To: <sip:1000@127.0.0.1>%s%s\r\n"
             "Call-ID: txn-test-1\r\n"
             "CSeq: %d %s\r\n"
             "Contact: <sip:5551@127.0.0.1:%u>\r\n"
             "Max-Forwards: 70\r\n"
             "Content-Length: 0\r\n\r\n",
             method, peer_port, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq,
             cseq_method, peer_port);
    return buf;
}

static void test_invite_non2xx_retransmitted_until_ack(void **state)
{
    (void)state;
    fx_t f;
    fx_start(&f);
    f.respond_with = 486;
    char m[1024];
    uint16_t pp = fx_peer_port(&f);
    fx_send(&f, fx_request_text(m, sizeof(m), "INVITE", "z9hG4bKinv1", 1, "INVITE", pp, NULL));
    fx_run(&f, T1 / 2);
    assert_int_equal(f.requests, 1);
    assert_int_equal(fx_drain(&f, "SIP/2.0 100", NULL, 0), 1); /* 100 Trying at once */
    /* Timer G: 486 at 0, T1, 3*T1, 7*T1 ... while no ACK comes. */
    fx_run(&f, 4 * T1);
    int n486 = fx_drain(&f, "SIP/2.0 486", NULL, 0);
    assert_in_range(n486, 2, 4);
    /* A retransmitted INVITE is absorbed: answered again, never passed up. */
    fx_send(&f, m);
    fx_run(&f, T1 / 2);
    assert_int_equal(f.requests, 1);
    /* The ACK (same branch) stops timer G. */
    fx_send(&f, fx_request_text(m, sizeof(m), "ACK", "z9hG4bKinv1", 1, "ACK", pp, "tt"));
    fx_run(&f, T1);
    fx_drain(&f, "SIP/2.0 486", NULL, 0);
    fx_run(&f, 8 * T1);
    assert_int_equal(fx_drain(&f, "SIP/2.0 486", NULL, 0), 0);
    assert_int_equal(f.timeouts, 0);
    assert_int_equal(f.requests, 1); /* the ACK of a non-2xx never reaches the TU */
    fx_finish(&f);
}

static void test_invite_2xx_until_ack_then_timer_l(void **state)
{
    (void)state;
    fx_t f;
    fx_start(&f);
    f.respond_with = 200;
    char m[1024];
    uint16_t pp = fx_peer_port(&f);
    fx_send(&f, fx_request_text(m, sizeof(m), "INVITE", "z9hG4bKinv2", 7, "INVITE", pp, NULL));
    fx_run(&f, 4 * T1);
    assert_in_range(fx_drain(&f, "SIP/2.0 200", NULL, 0), 2, 4); /* 2xx resent: no ACK yet */
    /* The ACK of a 2xx has its own branch: matched by Call-ID and CSeq, passed to the TU. */
    fx_send(&f, fx_request_text(m, sizeof(m), "ACK", "z9hG4bKack2", 7, "ACK", pp, "tt"));
    fx_run(&f, T1);
    assert_int_equal(f.requests, 2);
    fx_drain(&f, "SIP/2.0 200", NULL, 0);
    fx_run(&f, 8 * T1);
    assert_int_equal(fx_drain(&f, "SIP/2.0 200", NULL, 0), 0);
    fx_run(&f, 64 * T1);
    assert_int_equal(f.timeouts, 0); /* acknowledged: timer L ends it quietly */
    fx_finish(&f);
}

static void test_invite_2xx_never_acked_times_out(void **state)
{
    (void)state;
    fx_t f;
    fx_start(&f);
    f.respond_with = 200;
    char m[1024];
    fx_send(&f, fx_request_text(m, sizeof(m), "INVITE", "z9hG4bKinv3", 1, "INVITE", fx_peer_port(&f), NULL));
    fx_run(&f, 64 * T1 + 6 * T1);
    assert_int_equal(f.timeouts, 1);
    acd_sip_txl_stats_t s;
    acd_sip_txl_stats(f.l, &s);
    assert_int_equal(s.server_txns, 0);
    fx_finish(&f);
}

static void test_cancel(void **state)
{
    (void)state;
    fx_t f;
    fx_start(&f);
    f.respond_with = 0; /* hold the INVITE unanswered */
    char m[1024];
    uint16_t pp = fx_peer_port(&f);
    fx_send(&f, fx_request_text(m, sizeof(m), "INVITE", "z9hG4bKinv4", 1, "INVITE", pp, NULL));
    fx_run(&f, T1 / 2);
    assert_non_null(f.last_st);
    assert_int_equal(fx_drain(&f, "SIP/2.0 100", NULL, 0), 1);
    fx_send(&f, fx_request_text(m, sizeof(m), "CANCEL", "z9hG4bKinv4", 1, "CANCEL", pp, NULL));
    fx_run(&f, T1 / 2);
    assert_int_equal(f.cancels, 1);
    static char got[16384];
    fx_collect(&f, got, sizeof(got));
    /* 200 for the CANCEL, then 487 for the INVITE (the TU's answer), in that order. */
    const char *ok = strstr(got, "SIP/2.0 200");
    const char *term = strstr(got, "SIP/2.0 487");
    assert_non_null(ok);
    assert_non_null(term);
    assert_true(ok < term);
    assert_non_null(strstr(ok, "CSeq: 1 CANCEL"));
    assert_non_null(strstr(term, "CSeq: 1 INVITE"));
    /* A CANCEL for nothing gets 481. */
    fx_send(&f, fx_request_text(m, sizeof(m), "CANCEL", "z9hG4bKnone", 1, "CANCEL", pp, NULL));
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain(&f, "SIP/2.0 481", NULL, 0), 1);
    fx_finish(&f);
}

static void fx_resp_cb(void *ud, acd_sip_txn_t *ct, const acd_sip_msg_t *resp, int status)
{
    fx_t *f = ud;
    (void)ct;
    (void)resp;
    if (f->nresp < 8)
        f->resp_status[f->nresp++] = status;
}

static void test_client_timer_e_f(void **state)
{
    (void)state;
    fx_t f;
    fx_start(&f);
    char ruri[64];
    snprintf(ruri, sizeof(ruri), "sip:peer@127.0.0.1:%u", fx_peer_port(&f));
    acd_sip_req_spec_t s = {.method = ACD_SIP_OPTIONS,
                            .ruri = acd_str_from(ruri),
                            .from = ACD_STR("sip:acdd@127.0.0.1"),
                            .from_tag = ACD_STR("abc"),
                            .to = acd_str_from(ruri),
                            .call_id = ACD_STR("txn-test-client"),
                            .cseq = 1};
    acd_sip_peer_t to = {.proto = ACD_SIP_UDP};
    assert_int_equal(acd_sockaddr_parse("127.0.0.1", fx_peer_port(&f), &to.addr), 0);
    assert_int_equal(acd_sip_txn_request_send(f.l, &to, &s, fx_resp_cb, &f, &f.ct), 0);
    fx_run(&f, 64 * T1 + 5 * T1);
    /* Timer E: sent at 0, T1, 3T1, 7T1, then every T2 (4T1) until F = 64 T1: 1+3+14 = ~18. */
    int sent = fx_drain(&f, "OPTIONS", NULL, 0);
    assert_in_range(sent, 12, 20);
    assert_int_equal(f.nresp, 2);
    assert_int_equal(f.resp_status[0], 408);
    assert_int_equal(f.resp_status[1], 0); /* terminated */
    fx_finish(&f);
}

/*
 * The owner's answer to a request it received (req, the text): its status line, then
 * every Via, From, To, Call-ID and CSeq line of req as they are, as RFC 3261 8.2.6.2 says.
 */
static void fx_answer(char *out, size_t len, const char *req, const char *status)
{
    size_t used = (size_t)snprintf(out, len, "SIP/2.0 %s\r\n", status);
    static const char *const keep[] = {"Via:", "From:", "To:", "Call-ID:", "CSeq:"};
    for (const char *l = strstr(req, "\r\n") + 2; l && *l && strncmp(l, "\r\n", 2) != 0;) {
        const char *e = strstr(l, "\r\n");
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
            if (strncmp(l, keep[i], strlen(keep[i])) == 0)
                used += (size_t)snprintf(out + used, len - used, "%.*s\r\n", (int)(e - l), l);
        l = e + 2;
    }
    snprintf(out + used, len - used, "Content-Length: 0\r\n\r\n");
}

/* Starts f with a TU that relays every request to a raw socket (the owner), returned. */
static int fx_start_relay(fx_t *f, acd_sip_peer_t *to)
{
    fx_start(f);
    int owner = fx_udp_socket();
    *to = (acd_sip_peer_t){.proto = ACD_SIP_UDP};
    assert_int_equal(acd_sockaddr_parse("127.0.0.1", fx_sock_port(owner), &to->addr), 0);
    f->relay_to = to;
    return owner;
}

/* A BYE for a dialog another site owns: relayed there, retransmissions too, the answer back. */
static void test_relay_roundtrip(void **state)
{
    (void)state;
    fx_t f;
    acd_sip_peer_t to;
    int owner = fx_start_relay(&f, &to);
    char m[1024], got[4096], ans[4096], via[128];
    uint16_t pp = fx_peer_port(&f);
    fx_send(&f, fx_request_text(m, sizeof(m), "BYE", "z9hG4bKrb1", 2, "BYE", pp, "acdd1"));
    fx_run(&f, T1 / 2);
    assert_int_equal(f.relay_rc, 0);
    assert_int_equal(fx_drain_fd(owner, "BYE sip:1000@127.0.0.1 SIP/2.0", got, sizeof(got)), 1);
    snprintf(via, sizeof(via), "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-acdr-", f.port);
    assert_non_null(strstr(got, via));
    assert_true(strstr(got, via) < strstr(got, "branch=z9hG4bKrb1")); /* ours on top */
    assert_non_null(strstr(got, "Max-Forwards: 69\r\n"));
    assert_int_equal(fx_drain(&f, "SIP/2.0", NULL, 0), 0); /* nothing answered here */
    /* A retransmission goes the same way, without the TU. */
    fx_send(&f, m);
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain_fd(owner, "BYE", ans, sizeof(ans)), 1);
    assert_string_equal(ans, got);
    assert_int_equal(f.requests, 1);
    /* The owner's 200 comes back with our Via on top: popped, sent to the carrier. */
    fx_answer(ans, sizeof(ans), got, "200 OK");
    fx_send_from(&f, owner, ans);
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain(&f, "SIP/2.0 200", got, sizeof(got)), 1);
    assert_null(strstr(got, "acdr"));
    assert_non_null(strstr(got, "branch=z9hG4bKrb1"));
    /* An answer under a relay Via nobody relayed is dropped. */
    char *b = strstr(ans, "z9hG4bK-acdr-") + strlen("z9hG4bK-acdr-");
    *b = *b == '0' ? '1' : '0';
    fx_send_from(&f, owner, ans);
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain(&f, "SIP/2.0", NULL, 0), 0);
    close(owner);
    fx_finish(&f);
}

/* A relayed re-INVITE gets no 100 from us; its CANCEL follows it; a loop is refused. */
static void test_relay_invite_cancel_loop(void **state)
{
    (void)state;
    fx_t f;
    acd_sip_peer_t to;
    int owner = fx_start_relay(&f, &to);
    char m[1024], got[4096], inv[4096];
    uint16_t pp = fx_peer_port(&f);
    fx_send(&f, fx_request_text(m, sizeof(m), "INVITE", "z9hG4bKri1", 3, "INVITE", pp, "acdd1"));
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain_fd(owner, "INVITE", inv, sizeof(inv)), 1);
    assert_int_equal(fx_drain(&f, "SIP/2.0 100", NULL, 0), 0); /* a stateless proxy sends none */
    fx_send(&f, fx_request_text(m, sizeof(m), "CANCEL", "z9hG4bKri1", 3, "CANCEL", pp, "acdd1"));
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain_fd(owner, "CANCEL", got, sizeof(got)), 1);
    assert_int_equal(fx_drain(&f, "SIP/2.0", NULL, 0), 0); /* the owner answers the CANCEL */
    /* Same relay branch as the INVITE's, so the owner matches it to its INVITE. */
    const char *ib = strstr(inv, "z9hG4bK-acdr-"), *cb = strstr(got, "z9hG4bK-acdr-");
    assert_non_null(ib);
    assert_non_null(cb);
    assert_memory_equal(ib, cb, ACD_SIP_RELAY_BRANCH_SIZE - 1);
    /* The owner's answer to the CANCEL goes back to where the INVITE came from. */
    fx_answer(inv, sizeof(inv), got, "200 OK");
    fx_send_from(&f, owner, inv);
    fx_run(&f, T1 / 2);
    assert_int_equal(fx_drain(&f, "SIP/2.0 200", got, sizeof(got)), 1);
    assert_non_null(strstr(got, "CSeq: 3 CANCEL"));
    /* A request that passed here before (our Via in it) is never relayed again: 481. */
    snprintf(m, sizeof(m),
             "BYE sip:1000@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKouter\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-acdr-0123456789abcdef\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKfirst\r\n"
             "From: <sip:5551@127.0.0.1>;tag=ft\r\nTo: <sip:1000@127.0.0.1>;tag=acdd1\r\n"
             "Call-ID: txn-test-1\r\nCSeq: 4 BYE\r\nMax-Forwards: 68\r\nContent-Length: 0\r\n\r\n",
             pp, f.port, pp);
    fx_send(&f, m);
    fx_run(&f, T1 / 2);
    assert_int_equal(f.relay_rc, -ELOOP);
    assert_int_equal(fx_drain(&f, "SIP/2.0 481", NULL, 0), 1);
    assert_int_equal(fx_drain_fd(owner, "BYE", NULL, 0), 0);
    close(owner);
    fx_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite_non2xx_retransmitted_until_ack),
        cmocka_unit_test(test_invite_2xx_until_ack_then_timer_l),
        cmocka_unit_test(test_invite_2xx_never_acked_times_out),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_client_timer_e_f),
        cmocka_unit_test(test_relay_roundtrip),
        cmocka_unit_test(test_relay_invite_cancel_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
