/* test_proxy.c - stateless forwarding: relay branches, Via push on requests, pop on responses. */
#include "msg_assert.h"

#include <errno.h>

#include "sip/msg.h"
#include "sip/proxy.h"
#include "util/buf.h"

#define BYE_HEAD(via, branch, extra)                                                               \
    "BYE sip:acdd@198.51.100.1:5060 SIP/2.0\r\n"                                                   \
    "Via: SIP/2.0/UDP " via ";branch=" branch ";rport\r\n"                                         \
    "From: <sip:5551@192.0.2.10>;tag=carrier1\r\n"                                                 \
    "To: <sip:1000@198.51.100.1>;tag=acdd1\r\n"                                                    \
    "Call-ID: relay-1@192.0.2.10\r\n"                                                              \
    "CSeq: 2 BYE\r\n" extra "X-Custom:   kept as it was  \r\n"                                     \
    "Content-Length: 0\r\n\r\n"

static acd_sip_msg_t *parse(const char *text)
{
    acd_sip_msg_t *m = NULL;
    assert_int_equal(acd_sip_msg_parse(&m, text, strlen(text)), 0);
    return m;
}

static void relay_branch(const char *text, char *out, size_t len)
{
    acd_sip_msg_t *m = parse(text);
    assert_int_equal(acd_sip_relay_branch(m, out, len), 0);
    acd_sip_msg_free(m);
}

/* ---- branches ---- */

static void test_branch_derivation(void **state)
{
    (void)state;
    char a[ACD_SIP_RELAY_BRANCH_SIZE], b[ACD_SIP_RELAY_BRANCH_SIZE], c[ACD_SIP_RELAY_BRANCH_SIZE],
        d[ACD_SIP_RELAY_BRANCH_SIZE], e[ACD_SIP_RELAY_BRANCH_SIZE];
    relay_branch(BYE_HEAD("192.0.2.10:5060", "z9hG4bKbye1", "Max-Forwards: 70\r\n"), a, sizeof(a));
    /* A retransmission (other headers may differ in form): the same branch. */
    relay_branch(BYE_HEAD("192.0.2.10:5060", "z9hG4bKbye1", ""), b, sizeof(b));
    assert_string_equal(a, b);
    /* Another transaction, or the same branch from another sender: another branch. */
    relay_branch(BYE_HEAD("192.0.2.10:5060", "z9hG4bKbye2", ""), c, sizeof(c));
    relay_branch(BYE_HEAD("192.0.2.11:5060", "z9hG4bKbye1", ""), d, sizeof(d));
    relay_branch(BYE_HEAD("192.0.2.10:5062", "z9hG4bKbye1", ""), e, sizeof(e));
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_string_not_equal(a, e);
    assert_int_equal(strlen(a), ACD_SIP_RELAY_BRANCH_SIZE - 1);
    assert_true(acd_sip_relay_branch_is(acd_str_from(a)));
    /* A CANCEL shares its INVITE's branch, so it is relayed on the same one. */
    const char *inv =
        "INVITE sip:acdd@198.51.100.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv9\r\n"
        "From: <sip:5551@192.0.2.10>;tag=carrier1\r\nTo: <sip:1000@198.51.100.1>;tag=acdd1\r\n"
        "Call-ID: relay-2\r\nCSeq: 3 INVITE\r\nContact: <sip:5551@192.0.2.10>\r\n"
        "Content-Length: 0\r\n\r\n";
    const char *can =
        "CANCEL sip:acdd@198.51.100.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv9\r\n"
        "From: <sip:5551@192.0.2.10>;tag=carrier1\r\nTo: <sip:1000@198.51.100.1>;tag=acdd1\r\n"
        "Call-ID: relay-2\r\nCSeq: 3 CANCEL\r\nContent-Length: 0\r\n\r\n";
    relay_branch(inv, b, sizeof(b));
    relay_branch(can, c, sizeof(c));
    assert_string_equal(b, c);
}

static void test_branch_refused(void **state)
{
    (void)state;
    char out[ACD_SIP_RELAY_BRANCH_SIZE];
    acd_sip_msg_t *m = parse(BYE_HEAD("192.0.2.10", "old2543branch", ""));
    assert_int_equal(acd_sip_relay_branch(m, out, sizeof(out)), -EPROTONOSUPPORT);
    assert_int_equal(acd_sip_relay_branch(m, out, 8), -EINVAL);
    acd_sip_msg_free(m);
    static const struct {
        const char *branch;
        bool relay;
    } rows[] = {
        {"z9hG4bK-acdr-0123456789abcdef", true},
        {"z9hG4bK-acdr-", false}, /* nothing after the prefix */
        {"z9hG4bKacdr0123", false},
        {"z9hG4bKaBc123", false}, /* one of our own client branches */
        {"", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(acd_sip_relay_branch_is(acd_str_from(rows[i].branch)), rows[i].relay);
    assert_false(acd_sip_relay_branch_is(ACD_STR_NULL));
}

/* ---- any Via with our sent-by ---- */

static void test_has_via(void **state)
{
    (void)state;
    acd_sip_msg_t *m = parse("OPTIONS sip:acdd@198.51.100.1 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKo1\r\n"
                             "v: SIP / 2.0 / TCP Proxy.Example.COM ;branch=z9hG4bKo2, "
                             "SIP/2.0/UDP [2001:db8::7]:5080;branch=z9hG4bKo3\r\n"
                             "From: <sip:a@192.0.2.10>;tag=f\r\nTo: <sip:b@198.51.100.1>;tag=t\r\n"
                             "Call-ID: hv\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    static const struct {
        const char *host;
        uint16_t port;
        bool has;
    } rows[] = {
        {"192.0.2.10", 5070, true},        {"192.0.2.10", 5060, false},
        {"proxy.example.com", 5060, true}, {"proxy.example.com", 0, true},
        {"2001:db8::7", 5080, true},       {"2001:db8::7", 5060, false},
        {"192.0.2.1", 5070, false},        {"", 5060, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(acd_sip_msg_has_via(m, acd_str_from(rows[i].host), rows[i].port),
                         rows[i].has);
    acd_sip_msg_free(m);
}

/* ---- the forwarded request ---- */

static acd_sip_relay_hop_t hop_for(const acd_sip_msg_t *m, char *branch, size_t len)
{
    assert_int_equal(acd_sip_relay_branch(m, branch, len), 0);
    return (acd_sip_relay_hop_t){.transport = ACD_STR("UDP"),
                                 .host = ACD_STR("203.0.113.2"),
                                 .port = 5060,
                                 .branch = acd_str_from(branch),
                                 .via_params = {.received = "192.0.2.99", .rport = 40000}};
}

static void test_request_push(void **state)
{
    (void)state;
    static const struct {
        const char *name, *extra;
        int max_forwards; /* in the forwarded copy */
    } rows[] = {
        {"decremented", "Max-Forwards: 9\r\n", 8},
        {"added when absent", "", 70},
        {"one left", "Max-Forwards: 1\r\n", 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char text[2048];
        snprintf(text, sizeof(text),
                 "INVITE sip:acdd@198.51.100.1:5060 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1;rport, SIP/2.0/UDP "
                 "192.0.2.1;branch=z9hG4bKup\r\n"
                 "From: <sip:5551@192.0.2.10>;tag=carrier1\r\n"
                 "To: <sip:1000@198.51.100.1>;tag=acdd1\r\n"
                 "Call-ID: relay-3\r\nCSeq: 4 INVITE\r\n%s"
                 "Contact: <sip:5551@192.0.2.10>\r\n"
                 "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
                 rows[i].extra);
        acd_sip_msg_t *m = parse(text);
        char branch[ACD_SIP_RELAY_BRANCH_SIZE];
        acd_sip_relay_hop_t hop = hop_for(m, branch, sizeof(branch));
        acd_buf_t out = {0};
        assert_int_equal(acd_sip_relay_request_build(&out, m, &hop), 0);
        acd_sip_msg_t *f = parse(out.p);
        /* Ours on top, theirs below with what the server transport learned. */
        assert_int_equal(f->via_count, 3);
        assert_slice(f->via.host, "203.0.113.2");
        assert_int_equal(f->via.port, 5060);
        assert_slice(f->via.branch, branch);
        acd_str_t vias[3];
        assert_int_equal(acd_sip_msg_headers(f, "Via", vias, 3), 3);
        assert_slice(
            vias[1],
            "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1;rport=40000;received=192.0.2.99");
        assert_slice(vias[2], "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKup");
        assert_int_equal(f->max_forwards, rows[i].max_forwards);
        /* Everything else as it came. */
        assert_true(f->method == ACD_SIP_INVITE);
        assert_slice(f->ruri.raw, "sip:acdd@198.51.100.1:5060");
        assert_slice(f->from.tag, "carrier1");
        assert_slice(f->to.tag, "acdd1");
        assert_slice(f->call_id, "relay-3");
        assert_int_equal(f->cseq, 4);
        assert_slice(f->contact.uri.raw, "sip:5551@192.0.2.10");
        assert_slice(f->body, "v=0\r\n");
        acd_sip_msg_free(f);
        acd_buf_fini(&out);
        acd_sip_msg_free(m);
    }
}

static void test_request_refused(void **state)
{
    (void)state;
    acd_sip_msg_t *m = parse(BYE_HEAD("192.0.2.10:5060", "z9hG4bKb0", "Max-Forwards: 0\r\n"));
    char branch[ACD_SIP_RELAY_BRANCH_SIZE];
    acd_sip_relay_hop_t hop = hop_for(m, branch, sizeof(branch));
    acd_buf_t out = {0};
    assert_int_equal(acd_sip_relay_request_build(&out, m, &hop), -EINVAL); /* answer 483 */
    assert_int_equal(out.n, 0);
    hop.branch = ACD_STR("z9hG4bKnotarelay");
    acd_sip_msg_free(m);
    m = parse(BYE_HEAD("192.0.2.10:5060", "z9hG4bKb0", ""));
    assert_int_equal(acd_sip_relay_request_build(&out, m, &hop), -EINVAL);
    acd_sip_msg_free(m);
    acd_buf_fini(&out);
}

/* ---- the response on its way back ---- */

static void test_response_pop(void **state)
{
    (void)state;
    const char *resp =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP 203.0.113.2:5060;branch=z9hG4bK-acdr-00112233aabbccdd;rport=5060\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1;rport=40000;received=192.0.2.99\r\n"
        "From: <sip:5551@192.0.2.10>;tag=carrier1\r\n"
        "To: <sip:1000@198.51.100.1>;tag=acdd1\r\n"
        "Call-ID: relay-3\r\nCSeq: 4 INVITE\r\n"
        "Contact: <sip:acdd@198.51.100.1:5060>\r\n"
        "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n";
    acd_sip_msg_t *m = parse(resp);
    acd_buf_t out = {0};
    assert_int_equal(acd_sip_relay_response_build(&out, m), 0);
    acd_sip_msg_t *f = parse(out.p);
    assert_false(f->is_request);
    assert_int_equal(f->status, 200);
    assert_slice(f->reason, "OK");
    assert_int_equal(f->via_count, 1);
    assert_slice(f->via.host, "192.0.2.10");
    assert_slice(f->via.branch, "z9hG4bKr1");
    assert_slice(f->via.received, "192.0.2.99");
    assert_int_equal(f->cseq, 4);
    assert_true(f->cseq_method == ACD_SIP_INVITE);
    assert_slice(f->contact.uri.raw, "sip:acdd@198.51.100.1:5060");
    assert_slice(f->body, "v=0\r\n");
    acd_sip_msg_free(f);
    acd_buf_fini(&out);
    acd_sip_msg_free(m);
    /* A response with our Via alone is not one to pass on. */
    m = parse(
        "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
        "Via: SIP/2.0/UDP 203.0.113.2:5060;branch=z9hG4bK-acdr-00112233aabbccdd\r\n"
        "From: <sip:5551@192.0.2.10>;tag=carrier1\r\nTo: <sip:1000@198.51.100.1>;tag=acdd1\r\n"
        "Call-ID: relay-3\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(acd_sip_relay_response_build(&out, m), -EINVAL);
    assert_int_equal(out.n, 0);
    acd_sip_msg_free(m);
    acd_buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_branch_derivation), cmocka_unit_test(test_branch_refused),
        cmocka_unit_test(test_has_via),           cmocka_unit_test(test_request_push),
        cmocka_unit_test(test_request_refused),   cmocka_unit_test(test_response_pop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
