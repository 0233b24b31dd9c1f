/* test_msg.c - SIP message parsing into slices, header lookup, response/request building. */
#include "msg_assert.h"

#include "sip/msg.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- parsing: one row per message, every field of msg.h checked ---- */

typedef struct parse_case {
    const char *name;
    const char *text;
    bool is_request;
    acd_sip_method_t method;
    int status;
    const char *ruri_user, *ruri_host, *ruri_transport;
    uint16_t ruri_port;
    const char *via_transport, *via_host, *via_branch, *via_received;
    uint16_t via_port;
    bool via_rport;
    int via_count;
    const char *from_display, *from_tag, *to_uri, *to_tag;
    const char *call_id;
    uint32_t cseq;
    acd_sip_method_t cseq_method;
    const char *contact_uri, *contact_host;
    int contact_expires, contact_count;
    bool contact_star;
    int max_forwards, expires;
    const char *content_type, *body;
    int rr_count;
    const char *rr_first, *rr_last;
    const char *require, *accept, *authorization, *user_agent;
} parse_case_t;

#define INVITE_TEXT                                                                                \
    "INVITE sip:+4930123@acd.example.com:5070;transport=udp SIP/2.0\r\n"                           \
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"                           \
    "Via: SIP/2.0/UDP 192.0.2.200;branch=z9hG4bKouter\r\n"                                         \
    "Max-Forwards: 69\r\n"                                                                         \
    "From: \"Alice Caller\" <sip:alice@example.net>;tag=1928301774\r\n"                            \
    "To: <sip:+4930123@acd.example.com>\r\n"                                                       \
    "Call-ID: a84b4c76e66710@pc33.example.net\r\n"                                                 \
    "CSeq: 314159 INVITE\r\n"                                                                      \
    "Contact: <sip:alice@192.0.2.10:5060>\r\n"                                                     \
    "Require: timer\r\n"                                                                           \
    "Require: 100rel\r\n"                                                                          \
    "Accept: application/sdp\r\n"                                                                  \
    "User-Agent: TestPhone/1.0\r\n"                                                                \
    "Content-Type: application/sdp; charset=utf-8\r\n"                                             \
    "Content-Length: 5\r\n"                                                                        \
    "\r\n"                                                                                         \
    "v=0\r\n"

#define REGISTER_TEXT                                                                              \
    "REGISTER sip:acd.example.com SIP/2.0\r\n"                                                     \
    "Via: SIP/2.0/TCP [2001:db8::5]:5061;branch=z9hG4bKreg1;received=192.0.2.99\r\n"               \
    "Max-Forwards: 70\r\n"                                                                         \
    "From: <sip:agent7@acd.example.com>;tag=reg7\r\n"                                              \
    "To: <sip:agent7@acd.example.com>\r\n"                                                         \
    "Call-ID: reg-1@2001:db8::5\r\n"                                                               \
    "CSeq: 2 REGISTER\r\n"                                                                         \
    "Contact: <sip:agent7@[2001:db8::5]:5061;transport=tcp>;expires=600, "                         \
    "<sip:agent7@192.0.2.7>\r\n"                                                                   \
    "Expires: 3600\r\n"                                                                            \
    "Authorization: Digest username=\"agent7\", realm=\"acd\", nonce=\"abc\", "                    \
    "uri=\"sip:acd.example.com\", response=\"0123\"\r\n"                                           \
    "Content-Length: 0\r\n"                                                                        \
    "\r\n"

static const parse_case_t parse_cases[] = {
    {
        .name = "invite",
        .text = INVITE_TEXT,
        .is_request = true,
        .method = ACD_SIP_INVITE,
        .ruri_user = "+4930123",
        .ruri_host = "acd.example.com",
        .ruri_port = 5070,
        .ruri_transport = "udp",
        .via_transport = "UDP",
        .via_host = "192.0.2.10",
        .via_port = 5060,
        .via_branch = "z9hG4bK776asdhds",
        .via_rport = true,
        .via_count = 2,
        .from_display = "Alice Caller",
        .from_tag = "1928301774",
        .to_uri = "sip:+4930123@acd.example.com",
        .call_id = "a84b4c76e66710@pc33.example.net",
        .cseq = 314159,
        .cseq_method = ACD_SIP_INVITE,
        .contact_uri = "sip:alice@192.0.2.10:5060",
        .contact_host = "192.0.2.10",
        .contact_expires = -1,
        .contact_count = 1,
        .max_forwards = 69,
        .expires = -1,
        .content_type = "application/sdp",
        .body = "v=0\r\n",
        .require = "timer, 100rel",
        .accept = "application/sdp",
        .user_agent = "TestPhone/1.0",
    },
    {
        .name = "register",
        .text = REGISTER_TEXT,
        .is_request = true,
        .method = ACD_SIP_REGISTER,
        .ruri_host = "acd.example.com",
        .via_transport = "TCP",
        .via_host = "2001:db8::5",
        .via_port = 5061,
        .via_branch = "z9hG4bKreg1",
        .via_received = "192.0.2.99",
        .via_count = 1,
        .from_tag = "reg7",
        .to_uri = "sip:agent7@acd.example.com",
        .call_id = "reg-1@2001:db8::5",
        .cseq = 2,
        .cseq_method = ACD_SIP_REGISTER,
        .contact_uri = "sip:agent7@[2001:db8::5]:5061;transport=tcp",
        .contact_host = "2001:db8::5",
        .contact_expires = 600,
        .contact_count = 2,
        .max_forwards = 70,
        .expires = 3600,
        .authorization = "Digest username=\"agent7\", realm=\"acd\", nonce=\"abc\", "
                         "uri=\"sip:acd.example.com\", response=\"0123\"",
    },
    {
        .name = "response_record_route",
        .text = "SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKresp;received=198.51.100.1\r\n"
                "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                "Record-Route: <sip:p3.example.com;lr>\r\n"
                "From: <sip:acd@acd.example.com>;tag=abc\r\n"
                "To: \"Bob\" <sip:bob@example.org>;tag=xyz\r\n"
                "Call-ID: c1\r\n"
                "CSeq: 7 INVITE\r\n"
                "Contact: <sip:bob@198.51.100.1>\r\n"
                "Content-Length: 0\r\n"
                "\r\n",
        .status = 200,
        .via_transport = "UDP",
        .via_host = "192.0.2.1",
        .via_port = 5060,
        .via_branch = "z9hG4bKresp",
        .via_received = "198.51.100.1",
        .via_count = 1,
        .from_tag = "abc",
        .to_uri = "sip:bob@example.org",
        .to_tag = "xyz",
        .call_id = "c1",
        .cseq = 7,
        .cseq_method = ACD_SIP_INVITE,
        .contact_uri = "sip:bob@198.51.100.1",
        .contact_host = "198.51.100.1",
        .contact_expires = -1,
        .contact_count = 1,
        .max_forwards = -1,
        .expires = -1,
        .rr_count = 3,
        .rr_first = "<sip:p1.example.com;lr>",
        .rr_last = "<sip:p3.example.com;lr>",
    },
    {
        .name = "compact_forms",
        .text = "OPTIONS sip:acd.example.com SIP/2.0\r\n"
                "v: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKc1\r\n"
                "f: sip:x@example.net;tag=f1\r\n"
                "t: sip:acd.example.com\r\n"
                "i: compact-1\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "m: <sip:x@192.0.2.20>\r\n"
                "k: 100rel\r\n"
                "s: hello\r\n"
                "c: application/sdp\r\n"
                "l: 5\r\n"
                "\r\n"
                "v=0\r\n",
        .is_request = true,
        .method = ACD_SIP_OPTIONS,
        .ruri_host = "acd.example.com",
        .via_transport = "UDP",
        .via_host = "192.0.2.20",
        .via_branch = "z9hG4bKc1",
        .via_count = 1,
        .from_tag = "f1",
        .to_uri = "sip:acd.example.com",
        .call_id = "compact-1",
        .cseq = 1,
        .cseq_method = ACD_SIP_OPTIONS,
        .contact_uri = "sip:x@192.0.2.20",
        .contact_host = "192.0.2.20",
        .contact_expires = -1,
        .contact_count = 1,
        .max_forwards = -1,
        .expires = -1,
        .content_type = "application/sdp",
        .body = "v=0\r\n",
    },
    {
        .name = "folded_lines_and_spacing",
        .text = "ACK sip:acd@192.0.2.50 SIP/2.0\r\n"
                "Via  :  SIP/2.0/UDP 192.0.2.9\r\n   ;branch=z9hG4bKfold\r\n"
                "From: <sip:a@example.net>\r\n ;tag=t1\r\n"
                "To: <sip:acd@192.0.2.50>;tag=t2\r\n"
                "Call-ID:   fold-1\r\n"
                "CSeq: 0009\r\n  ACK\r\n"
                "\r\n",
        .is_request = true,
        .method = ACD_SIP_ACK,
        .ruri_user = "acd",
        .ruri_host = "192.0.2.50",
        .via_transport = "UDP",
        .via_host = "192.0.2.9",
        .via_branch = "z9hG4bKfold",
        .via_count = 1,
        .from_tag = "t1",
        .to_uri = "sip:acd@192.0.2.50",
        .to_tag = "t2",
        .call_id = "fold-1",
        .cseq = 9,
        .cseq_method = ACD_SIP_ACK,
        .contact_expires = -1,
        .max_forwards = -1,
        .expires = -1,
    },
    {
        .name = "contact_star",
        .text = "REGISTER sip:acd.example.com SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 192.0.2.30;branch=z9hG4bKstar\r\n"
                "From: <sip:a7@acd.example.com>;tag=s\r\n"
                "To: <sip:a7@acd.example.com>\r\n"
                "Call-ID: star\r\n"
                "CSeq: 9 REGISTER\r\n"
                "Contact: *\r\n"
                "Expires: 0\r\n"
                "\r\n",
        .is_request = true,
        .method = ACD_SIP_REGISTER,
        .ruri_host = "acd.example.com",
        .via_transport = "UDP",
        .via_host = "192.0.2.30",
        .via_branch = "z9hG4bKstar",
        .via_count = 1,
        .from_tag = "s",
        .to_uri = "sip:a7@acd.example.com",
        .call_id = "star",
        .cseq = 9,
        .cseq_method = ACD_SIP_REGISTER,
        .contact_expires = -1,
        .contact_count = 1,
        .contact_star = true,
        .max_forwards = -1,
        .expires = 0,
    },
};

static void parse_check(const parse_case_t *c)
{
    acd_sip_msg_t *m = NULL;
    print_message("case %s\n", c->name);
    assert_int_equal(acd_sip_msg_parse(&m, c->text, strlen(c->text)), 0);
    assert_int_equal(m->is_request, c->is_request);
    assert_int_equal(m->method, c->method);
    assert_int_equal(m->status, c->status);
    if (c->is_request) {
        assert_slice(m->ruri.user, c->ruri_user);
        assert_slice(m->ruri.host, c->ruri_host);
        assert_slice(m->ruri.transport, c->ruri_transport);
        assert_int_equal(m->ruri.port, c->ruri_port);
        assert_slice(m->method_name, acd_sip_method_name(c->method));
    }
    assert_slice(m->via.transport, c->via_transport);
    assert_slice(m->via.host, c->via_host);
    assert_int_equal(m->via.port, c->via_port);
    assert_slice(m->via.branch, c->via_branch);
    assert_slice(m->via.received, c->via_received);
    assert_int_equal(m->via.rport, c->via_rport);
    assert_int_equal(m->via_count, c->via_count);
    assert_slice(m->from.display, c->from_display);
    assert_slice(m->from.tag, c->from_tag);
    assert_slice(m->to.uri.raw, c->to_uri);
    assert_slice(m->to.tag, c->to_tag);
    assert_slice(m->call_id, c->call_id);
    assert_int_equal(m->cseq, c->cseq);
    assert_int_equal(m->cseq_method, c->cseq_method);
    assert_slice(m->contact.uri.raw, c->contact_uri);
    assert_slice(m->contact.uri.host, c->contact_host);
    assert_int_equal(m->contact.expires, c->contact_expires);
    assert_int_equal(m->contact_count, c->contact_count);
    assert_int_equal(m->contact.star, c->contact_star);
    assert_int_equal(m->max_forwards, c->max_forwards);
    assert_int_equal(m->expires, c->expires);
    assert_slice(m->content_type, c->content_type);
    assert_slice(m->body, c->body);
    assert_int_equal(m->record_route_count, c->rr_count);
    if (c->rr_count) {
        assert_slice(m->record_route[0], c->rr_first);
        assert_slice(m->record_route[c->rr_count - 1], c->rr_last);
    }
    assert_slice(m->require, c->require);
    assert_slice(m->accept, c->accept);
    assert_slice(m->authorization, c->authorization);
    assert_slice(m->user_agent, c->user_agent);
    acd_sip_msg_free(m);
}

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
        parse_check(&parse_cases[i]);
}

static acd_sip_msg_t *parse_ok(const char *text)
{
    acd_sip_msg_t *m = NULL;
    assert_int_equal(acd_sip_msg_parse(&m, text, strlen(text)), 0);
    assert_non_null(m);
    return m;
}

static void test_parse_headers_lookup(void **state)
{
    (void)state;
    acd_sip_msg_t *m = parse_ok(parse_cases[3].text); /* compact forms */
    assert_slice(acd_sip_msg_header(m, "Call-ID"), "compact-1");
    assert_slice(acd_sip_msg_header(m, "i"), "compact-1");
    assert_slice(acd_sip_msg_header(m, "call-id"), "compact-1");
    assert_slice(acd_sip_msg_header(m, "Supported"), "100rel");
    assert_slice(acd_sip_msg_header(m, "Subject"), "hello");
    assert_slice(acd_sip_msg_header(m, "Content-Length"), "5");
    assert_slice(acd_sip_msg_header(m, "Via"), "SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKc1");
    assert_slice(acd_sip_msg_header(m, "X-Absent"), NULL);
    acd_sip_msg_free(m);

    m = parse_ok("BYE sip:acd@192.0.2.50 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP proxy1.example.com;branch=z9hG4bKp1, "
                 "SIP/2.0/UDP proxy2.example.com;branch=z9hG4bKp2\r\n"
                 "Via: SIP/2.0/TCP ua.example.com:5070;branch=z9hG4bKua\r\n"
                 "Route: <sip:r1.example.com;lr>,<sip:r2.example.com;lr>\r\n"
                 "X-Custom: one, two\r\n"
                 "x-custom: three\r\n"
                 "From: <sip:a@example.net>;tag=1\r\nTo: <sip:acd@192.0.2.50>;tag=2\r\n"
                 "Call-ID: v\r\nCSeq: 3 BYE\r\n\r\n");
    acd_str_t v[8];
    assert_int_equal(m->via_count, 3);
    assert_slice(m->via.host, "proxy1.example.com");
    assert_int_equal(acd_sip_msg_headers(m, "Via", v, 8), 3);
    assert_slice(v[0], "SIP/2.0/UDP proxy1.example.com;branch=z9hG4bKp1");
    assert_slice(v[1], "SIP/2.0/UDP proxy2.example.com;branch=z9hG4bKp2");
    assert_slice(v[2], "SIP/2.0/TCP ua.example.com:5070;branch=z9hG4bKua");
    assert_int_equal(acd_sip_msg_headers(m, "v", v, 2), 2); /* max respected */
    assert_int_equal(acd_sip_msg_headers(m, "Route", v, 8), 2);
    assert_slice(v[1], "<sip:r2.example.com;lr>");
    /* Unknown headers are not split at commas: their grammar is unknown. */
    assert_int_equal(acd_sip_msg_headers(m, "X-CUSTOM", v, 8), 2);
    assert_slice(v[0], "one, two");
    assert_slice(v[1], "three");
    acd_sip_msg_free(m);
}

static void test_parse_binary_and_body(void **state)
{
    (void)state;
    /* A NUL inside a quoted string is legal; the body is taken by Content-Length. */
    static const char text[] = "MESSAGE sip:acd@192.0.2.50 SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKbin\r\n"
                               "From: \"N\\\0L\" <sip:a@example.net>;tag=1\r\n"
                               "To: <sip:acd@192.0.2.50>\r\nCall-ID: bin\r\nCSeq: 1 MESSAGE\r\n"
                               "Content-Type: application/octet-stream\r\nContent-Length: 3\r\n"
                               "\r\n"
                               "a\0bEXTRA";
    acd_sip_msg_t *m = NULL;
    assert_int_equal(acd_sip_msg_parse(&m, text, sizeof(text) - 1), 0);
    assert_int_equal(m->from.display.n, 4);
    assert_memory_equal(m->from.display.p, "N\\\0L", 4);
    assert_int_equal(m->body.n, 3);
    assert_memory_equal(m->body.p, "a\0b", 3);
    acd_sip_msg_free(m);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "\r\n\r\n",
        "INVITE sip:a@example.com SIP/2.0", /* no line end at all */
        "INVITE  sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
        "INVITE <sip:a@example.com> SIP/2.0\r\n\r\n",
        "INVITE sip:a@example.com\r\n\r\n",
        "SIP/2.0 1000 Big\r\n\r\n",
        "SIP/2.0 20 Small\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nTo: \"unbalanced <sip:b@example.com>\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: has space\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: one OPTIONS\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: 99999999999 OPTIONS\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: -1\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nNo colon here\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;;\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h:99999\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nContact: <sip:b@h>;expires=soon\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nX-Ctl: a\x01z\r\n\r\n",
        "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: x\r\n", /* no empty line */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_sip_msg_t *m = (acd_sip_msg_t *)&m; /* must stay untouched */
        print_message("bad %zu\n", i);
        assert_int_equal(acd_sip_msg_parse(&m, bad[i], strlen(bad[i])), ACD_EPARSE);
        assert_ptr_equal(m, (acd_sip_msg_t *)&m);
    }
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(acd_sip_method_from(ACD_STR("INVITE")), ACD_SIP_INVITE);
    assert_int_equal(acd_sip_method_from(ACD_STR("PUBLISH")), ACD_SIP_PUBLISH);
    assert_int_equal(acd_sip_method_from(ACD_STR("invite")), ACD_SIP_UNKNOWN); /* case-sensitive */
    assert_int_equal(acd_sip_method_from(ACD_STR("INVITEX")), ACD_SIP_UNKNOWN);
    assert_string_equal(acd_sip_method_name(ACD_SIP_CANCEL), "CANCEL");
    assert_string_equal(acd_sip_method_name((acd_sip_method_t)99), "UNKNOWN");
    assert_string_equal(acd_sip_reason_phrase(200), "OK");
    assert_string_equal(acd_sip_reason_phrase(416), "Unsupported URI Scheme");
    assert_string_equal(acd_sip_reason_phrase(481), "Call/Transaction Does Not Exist");
    assert_string_equal(acd_sip_reason_phrase(799), "Unknown");
}

/* ---- responses ---- */

static acd_sip_msg_t *respond(const acd_sip_msg_t *req, int code, const char *reason,
                              const acd_sip_resp_opts_t *o)
{
    acd_buf_t b = {0};
    acd_sip_msg_t *r = NULL;
    assert_int_equal(acd_sip_response_build(&b, req, code, reason, o), 0);
    assert_int_equal(acd_sip_msg_parse(&r, b.p, b.n), 0);
    acd_buf_fini(&b);
    return r;
}

static void test_response_round_trip(void **state)
{
    (void)state;
    acd_sip_msg_t *req = parse_ok(INVITE_TEXT);
    acd_sip_resp_opts_t o = {
        .to_tag = ACD_STR("tt1"),
        .contact = ACD_STR("sip:acd@192.0.2.1:5060"),
        .extra_headers = ACD_STR("Allow: INVITE, ACK, BYE\r\n"),
        .content_type = ACD_STR("application/sdp"),
        .body = ACD_STR("v=0\r\n"),
        .received = "198.51.100.7",
        .rport = 40000,
    };
    acd_sip_msg_t *r = respond(req, 180, NULL, &o);
    assert_false(r->is_request);
    assert_int_equal(r->status, 180);
    assert_slice(r->reason, "Ringing");
    acd_str_t v[4];
    assert_int_equal(acd_sip_msg_headers(r, "Via", v, 4), 2);
    assert_slice(v[0], "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=40000;"
                       "received=198.51.100.7");
    assert_slice(v[1], "SIP/2.0/UDP 192.0.2.200;branch=z9hG4bKouter");
    assert_slice(r->from.raw, "\"Alice Caller\" <sip:alice@example.net>;tag=1928301774");
    assert_slice(r->to.raw, "<sip:+4930123@acd.example.com>;tag=tt1");
    assert_slice(r->to.tag, "tt1");
    assert_slice(r->call_id, "a84b4c76e66710@pc33.example.net");
    assert_int_equal(r->cseq, 314159);
    assert_int_equal(r->cseq_method, ACD_SIP_INVITE);
    assert_slice(r->contact.uri.raw, "sip:acd@192.0.2.1:5060");
    assert_slice(acd_sip_msg_header(r, "Allow"), "INVITE");
    assert_slice(r->content_type, "application/sdp");
    assert_slice(r->body, "v=0\r\n");
    acd_sip_msg_free(r);

    /* No options: Vias byte for byte, no tag invented, Content-Length 0. */
    r = respond(req, 100, NULL, NULL);
    assert_int_equal(acd_sip_msg_headers(r, "Via", v, 4), 2);
    assert_slice(v[0], "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport");
    assert_slice(r->to.tag, NULL);
    assert_slice(acd_sip_msg_header(r, "Content-Length"), "0");
    assert_slice(r->reason, "Trying");
    acd_sip_msg_free(r);

    /* received equal to the sent-by host and no rport asked: nothing added. */
    acd_sip_resp_opts_t same = {.received = "192.0.2.10", .rport = 5060};
    acd_sip_msg_free(req);
    req = parse_ok("OPTIONS sip:acd@192.0.2.1 SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnr;received=10.9.9.9\r\n"
                   "From: <sip:a@example.net>;tag=1\r\nTo: <sip:acd@192.0.2.1>;tag=given\r\n"
                   "Call-ID: nr\r\nCSeq: 5 OPTIONS\r\n\r\n");
    r = respond(req, 200, "Fine Thanks", &same);
    assert_slice(r->via.raw, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnr;received=10.9.9.9");
    assert_slice(r->reason, "Fine Thanks");
    assert_slice(r->to.raw, "<sip:acd@192.0.2.1>;tag=given");
    acd_sip_msg_free(r);

    /* A different source replaces an existing received= instead of adding a second one. */
    acd_sip_resp_opts_t other = {.received = "203.0.113.5", .to_tag = ACD_STR("ignored")};
    r = respond(req, 200, NULL, &other);
    assert_slice(r->via.raw, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnr;received=203.0.113.5");
    assert_slice(r->to.tag, "given"); /* the request's tag wins */
    acd_sip_msg_free(r);
    acd_sip_msg_free(req);
}

static void test_response_errors(void **state)
{
    (void)state;
    acd_sip_msg_t *req = parse_ok(INVITE_TEXT);
    acd_buf_t b = {0};
    assert_int_equal(acd_sip_response_build(&b, req, 99, NULL, NULL), -EINVAL);
    assert_int_equal(acd_sip_response_build(&b, req, 700, NULL, NULL), -EINVAL);
    assert_int_equal(acd_sip_response_build(&b, req, 400, "Bad\r\nX: y", NULL), -EINVAL);
    assert_int_equal(acd_sip_response_build(&b, NULL, 400, NULL, NULL), -EINVAL);
    assert_int_equal(b.n, 0);
    /* Appends: what was in the buffer stays. */
    assert_int_equal(acd_buf_append_str(&b, ACD_STR("X")), 0);
    assert_int_equal(acd_sip_response_build(&b, req, 486, NULL, NULL), 0);
    assert_memory_equal(b.p, "XSIP/2.0 486 Busy Here\r\n", 24);
    acd_buf_fini(&b);
    acd_sip_msg_free(req);
}

/* ---- requests ---- */

static void test_request_build(void **state)
{
    (void)state;
    acd_sip_req_spec_t s = {
        .method = ACD_SIP_INVITE,
        .ruri = ACD_STR("sip:agent7@192.0.2.7:5062;transport=tcp"),
        .via_transport = ACD_STR("TCP"),
        .via_host = ACD_STR("192.0.2.1"),
        .via_port = 5060,
        .branch = ACD_STR("z9hG4bKbuild1"),
        .from = ACD_STR("sip:queue@acd.example.com"),
        .from_display = ACD_STR("Queue \"Sales\""),
        .from_tag = ACD_STR("ft1"),
        .to = ACD_STR("sip:agent7@acd.example.com"),
        .call_id = ACD_STR("build-1@acd"),
        .cseq = 42,
        .contact = ACD_STR("sip:acd@192.0.2.1:5060;transport=tcp"),
        .routes = {ACD_STR("<sip:p1.example.com;lr>"), ACD_STR("<sip:p2.example.com;lr>")},
        .route_count = 2,
        .extra_headers = ACD_STR("Supported: timer\r\n"),
        .content_type = ACD_STR("application/sdp"),
        .body = ACD_STR("v=0\r\n"),
    };
    acd_buf_t b = {0};
    assert_int_equal(acd_sip_request_build(&b, &s), 0);
    acd_sip_msg_t *m = parse_ok(b.p);
    assert_true(m->is_request);
    assert_int_equal(m->method, ACD_SIP_INVITE);
    assert_slice(m->ruri.raw, "sip:agent7@192.0.2.7:5062;transport=tcp");
    assert_slice(m->via.transport, "TCP");
    assert_slice(m->via.host, "192.0.2.1");
    assert_int_equal(m->via.port, 5060);
    assert_slice(m->via.branch, "z9hG4bKbuild1");
    assert_true(m->via.rport);
    assert_int_equal(m->max_forwards, 70);
    assert_slice(m->from.display, "Queue \\\"Sales\\\""); /* quoted-pairs as on the wire */
    assert_slice(m->from.tag, "ft1");
    assert_slice(m->from.uri.raw, "sip:queue@acd.example.com");
    assert_slice(m->to.uri.raw, "sip:agent7@acd.example.com");
    assert_slice(m->to.tag, NULL);
    assert_slice(m->call_id, "build-1@acd");
    assert_int_equal(m->cseq, 42);
    assert_int_equal(m->cseq_method, ACD_SIP_INVITE);
    assert_slice(m->contact.uri.raw, "sip:acd@192.0.2.1:5060;transport=tcp");
    acd_str_t r[4];
    assert_int_equal(acd_sip_msg_headers(m, "Route", r, 4), 2);
    assert_slice(r[0], "<sip:p1.example.com;lr>");
    assert_slice(r[1], "<sip:p2.example.com;lr>");
    assert_slice(acd_sip_msg_header(m, "Supported"), "timer");
    assert_slice(m->content_type, "application/sdp");
    assert_slice(m->body, "v=0\r\n");
    acd_sip_msg_free(m);

    /* CANCEL keeps its own method in CSeq; ACK can be told explicitly; IPv6 sent-by. */
    acd_buf_reset(&b);
    s.method = ACD_SIP_CANCEL;
    s.route_count = 0;
    s.body = ACD_STR_NULL;
    s.to_tag = ACD_STR("tt");
    s.via_host = ACD_STR("2001:db8::1");
    s.max_forwards = 10;
    assert_int_equal(acd_sip_request_build(&b, &s), 0);
    m = parse_ok(b.p);
    assert_int_equal(m->method, ACD_SIP_CANCEL);
    assert_int_equal(m->cseq_method, ACD_SIP_CANCEL);
    assert_slice(m->via.host, "2001:db8::1");
    assert_slice(m->via.raw, "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bKbuild1;rport");
    assert_slice(m->to.tag, "tt");
    assert_int_equal(m->max_forwards, 10);
    assert_slice(m->body, NULL);
    assert_slice(m->content_type, NULL);
    acd_sip_msg_free(m);

    acd_buf_reset(&b);
    s.method = ACD_SIP_ACK;
    s.cseq_method = ACD_SIP_ACK;
    assert_int_equal(acd_sip_request_build(&b, &s), 0);
    m = parse_ok(b.p);
    assert_int_equal(m->cseq_method, ACD_SIP_ACK);
    acd_sip_msg_free(m);

    /* Invalid specs leave the buffer as it was. */
    acd_buf_reset(&b);
    acd_sip_req_spec_t bad = s;
    bad.branch = ACD_STR("nocookie");
    assert_int_equal(acd_sip_request_build(&b, &bad), -EINVAL);
    bad = s;
    bad.method = ACD_SIP_UNKNOWN;
    assert_int_equal(acd_sip_request_build(&b, &bad), -EINVAL);
    bad = s;
    bad.call_id = ACD_STR_NULL;
    assert_int_equal(acd_sip_request_build(&b, &bad), -EINVAL);
    bad = s;
    bad.from = ACD_STR("sip:x@y>\r\nInjected: 1");
    assert_int_equal(acd_sip_request_build(&b, &bad), -EINVAL);
    bad = s;
    bad.route_count = ACD_SIP_MAX_ROUTES + 1;
    assert_int_equal(acd_sip_request_build(&b, &bad), -EINVAL);
    assert_int_equal(b.n, 0);
    acd_buf_fini(&b);
}

static void test_random_token(void **state)
{
    (void)state;
    char a[17], c[17];
    acd_sip_random_token(a, sizeof(a));
    acd_sip_random_token(c, sizeof(c));
    assert_int_equal(strlen(a), 16);
    assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                     16);
    assert_string_not_equal(a, c);
    char one[1] = {'x'};
    acd_sip_random_token(one, 1);
    assert_int_equal(one[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_headers_lookup),
        cmocka_unit_test(test_parse_binary_and_body),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_response_round_trip),
        cmocka_unit_test(test_response_errors),
        cmocka_unit_test(test_request_build),
        cmocka_unit_test(test_random_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
