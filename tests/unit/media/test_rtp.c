/* test_rtp.c - RTP header bytes, packet parsing, the even-port pool and binding around busy ports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "media/rtp.h"
#include "util/log.h"

static void test_header_bytes(void **state)
{
    (void)state;
    uint8_t b[ACD_RTP_HEADER_LEN];
    acd_rtp_hdr_t h = {
        .marker = true, .pt = 8, .seq = 0x1234, .ts = 0xA1B2C3D4, .ssrc = 0x01020304};
    acd__rtp_hdr_write(b, &h);
    const uint8_t want[] = {0x80, 0x88, 0x12, 0x34, 0xA1, 0xB2, 0xC3, 0xD4, 1, 2, 3, 4};
    assert_memory_equal(b, want, sizeof(want));
    acd_rtp_hdr_t r;
    assert_int_equal(acd__rtp_hdr_read(b, sizeof(b), &r), 0);
    assert_true(r.marker);
    assert_int_equal(r.pt, 8);
    assert_int_equal(r.seq, 0x1234);
    assert_int_equal(r.ts, 0xA1B2C3D4);
    assert_int_equal(r.ssrc, 0x01020304);

    h.marker = false;
    h.pt = 0;
    acd__rtp_hdr_write(b, &h);
    assert_int_equal(b[1], 0x00);
    assert_int_equal(acd__rtp_hdr_read(b, 11, &r), -EINVAL);
    b[0] = 0x40; /* version 1 */
    assert_int_equal(acd__rtp_hdr_read(b, sizeof(b), &r), -EINVAL);
}

/* Packets for acd__rtp_parse(): where the payload starts and how long it is. */
typedef struct parse_case {
    const char *name;
    uint8_t pkt[40];
    size_t len;
    int rc;
    size_t off; /* payload offset */
    size_t plen;
} parse_case_t;

#define FIXED(b0) b0, 0x08, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7

static const parse_case_t parse_cases[] = {
    {"plain", {FIXED(0x80), 1, 2, 3}, 15, 0, 12, 3},
    {"empty payload", {FIXED(0x80)}, 12, 0, 12, 0},
    {"one CSRC", {FIXED(0x81), 9, 9, 9, 9, 1, 2}, 18, 0, 16, 2},
    {"extension, 2 words", {FIXED(0x90), 0, 1, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2, 5}, 25, 0, 24, 1},
    {"padding 3", {FIXED(0xA0), 1, 2, 0, 0, 3}, 17, 0, 12, 2},
    {"padding is the whole payload", {FIXED(0xA0), 0, 2}, 14, 0, 12, 0},
    {"CSRC, extension and padding", {FIXED(0xB1), 9, 9, 9, 9, 0, 1, 0, 0, 7, 1}, 22, 0, 20, 1},
    {"too short", {FIXED(0x80)}, 11, -EINVAL, 0, 0},
    {"version 3", {FIXED(0xC0), 1}, 13, -EINVAL, 0, 0},
    {"CSRC cut", {FIXED(0x82), 9, 9, 9, 9}, 16, -EINVAL, 0, 0},
    {"extension without its header", {FIXED(0x90), 0, 1}, 14, -EINVAL, 0, 0},
    {"extension words cut", {FIXED(0x90), 0, 1, 0, 1, 1, 1}, 18, -EINVAL, 0, 0},
    {"padding with no payload", {FIXED(0xA0)}, 12, -EINVAL, 0, 0},
    {"padding count 0", {FIXED(0xA0), 1, 0}, 14, -EINVAL, 0, 0},
    {"padding count too large", {FIXED(0xA0), 1, 3}, 14, -EINVAL, 0, 0},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const parse_case_t *c = &parse_cases[i];
        acd_rtp_pkt_t p;
        print_message("case %s\n", c->name);
        assert_int_equal(acd__rtp_parse(c->pkt, c->len, &p), c->rc);
        if (c->rc < 0)
            continue;
        assert_int_equal(p.h.pt, 8);
        assert_int_equal(p.h.seq, 1);
        assert_int_equal(p.h.ts, 160);
        assert_int_equal(p.h.ssrc, 7);
        assert_ptr_equal(p.payload, c->pkt + c->off);
        assert_int_equal(p.payload_len, c->plen);
    }
}

static void test_random_varies(void **state)
{
    (void)state;
    uint32_t a = acd__rtp_random32(), b = acd__rtp_random32(), c = acd__rtp_random32();
    /* Three equal 32-bit draws would mean the source is broken. */
    assert_false(a == b && b == c);
}

static void test_pool_pairs(void **state)
{
    (void)state;
    acd_rtp_ports_t pool;
    uint16_t p;
    /* Odd min: starts at the next even port; the last pair must fit entirely. */
    assert_int_equal(acd__rtp_ports_init(&pool, 10001, 10008), 0);
    assert_int_equal(pool.base, 10002);
    assert_int_equal(pool.n, 3); /* 10002, 10004, 10006 (10008 has no 10009) */
    assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
    assert_int_equal(p, 10002);
    assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
    assert_int_equal(p, 10004);
    acd__rtp_ports_release(&pool, 10002);
    /* Round robin: the released port comes last. */
    assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
    assert_int_equal(p, 10006);
    assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
    assert_int_equal(p, 10002);
    assert_int_equal(acd__rtp_ports_take(&pool, &p), -EADDRINUSE);
    /* Releasing a foreign or odd port changes nothing. */
    acd__rtp_ports_release(&pool, 10003);
    acd__rtp_ports_release(&pool, 20000);
    assert_int_equal(pool.used, 3);
    acd__rtp_ports_fini(&pool);

    assert_int_equal(acd__rtp_ports_init(&pool, 10000, 10001), 0);
    assert_int_equal(pool.n, 1);
    acd__rtp_ports_fini(&pool);
    assert_int_equal(acd__rtp_ports_init(&pool, 10000, 10000), -EINVAL);
    assert_int_equal(acd__rtp_ports_init(&pool, 10001, 10002), -EINVAL);
    assert_int_equal(acd__rtp_ports_init(&pool, 0, 100), -EINVAL);
}

/* A pool of 130 ports crosses a 64-bit word of the bitmap. */
static void test_pool_many(void **state)
{
    (void)state;
    acd_rtp_ports_t pool;
    assert_int_equal(acd__rtp_ports_init(&pool, 20000, 20259), 0);
    assert_int_equal(pool.n, 130);
    uint16_t p, last = 0;
    for (int i = 0; i < 130; i++) {
        assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
        assert_int_equal(p % 2, 0);
        if (i > 0)
            assert_int_equal(p, last + 2);
        last = p;
    }
    assert_int_equal(acd__rtp_ports_take(&pool, &p), -EADDRINUSE);
    acd__rtp_ports_release(&pool, 20130);
    assert_int_equal(acd__rtp_ports_take(&pool, &p), 0);
    assert_int_equal(p, 20130);
    acd__rtp_ports_fini(&pool);
}

/* Finds a base port b such that b and b+2 (and their odd neighbours) bind right now. */
static uint16_t free_even_base(void)
{
    for (uint16_t b = 42000; b < 43000; b += 8) {
        int ok = 1;
        for (uint16_t p = b; p < b + 4 && ok; p++) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(p)};
            sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
            close(fd);
        }
        if (ok)
            return b;
    }
    return 0;
}

static void test_socket_skips_busy_port(void **state)
{
    (void)state;
    uint16_t base = free_even_base();
    assert_int_not_equal(base, 0);
    /* Another "process" holds the first port of the pool. */
    int busy = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(base)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);

    acd_rtp_ports_t pool;
    assert_int_equal(acd__rtp_ports_init(&pool, base, (uint16_t)(base + 3)), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint16_t port = 0;
    int fd = acd__rtp_socket_open(&pool, (struct sockaddr *)&addr, &port);
    assert_true(fd >= 0);
    assert_int_equal(port, base + 2);
    struct sockaddr_in got;
    socklen_t len = sizeof(got);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&got, &len), 0);
    assert_int_equal(ntohs(got.sin_port), base + 2);
    assert_int_equal(pool.used, 1); /* the busy port went back to the pool */
    /* Nothing left: the only other port is still busy. */
    uint16_t port2 = 0;
    assert_int_equal(acd__rtp_socket_open(&pool, (struct sockaddr *)&addr, &port2), -EADDRINUSE);
    close(fd);
    close(busy);
    acd__rtp_ports_fini(&pool);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bytes),  cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_random_varies), cmocka_unit_test(test_pool_pairs),
        cmocka_unit_test(test_pool_many),     cmocka_unit_test(test_socket_skips_busy_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
