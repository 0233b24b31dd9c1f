/* test_validate.c - one small message per validation check, and what acdd decides for it. */
#include "msg_assert.h"

#include "sip/msg.h"
#include "sip/validate.h"
#include "util/buf.h"

/* The headers of a good request, spliced into each row's start line and extras. */
#define GOOD_HDRS                                                                                  \
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKv1\r\n"                                        \
    "From: <sip:caller@example.net>;tag=f1\r\n"                                                    \
    "To: <sip:+4930123@acd.example.com>\r\n"                                                       \
    "Call-ID: v1@example.net\r\n"                                                                  \
    "Max-Forwards: 70\r\n"

#define INVITE_LINE "INVITE sip:+4930123@acd.example.com SIP/2.0\r\n"
#define SDP "v=0\r\n"

typedef struct vcase {
    const char *name;
    const char *text;
    acd_sip_verdict_kind_t kind;
    int status;         /* for REJECT */
    const char *reason; /* expected reason, NULL to skip */
    const char *extra;  /* expected extra header, NULL for none */
} vcase_t;

static const vcase_t vcases[] = {
    /* Accepted messages. */
    {"good_invite",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                           "Content-Length: 5\r\n\r\n" SDP,
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_options_accept_text",
     "OPTIONS sip:acd.example.com SIP/2.0\r\n" GOOD_HDRS
     "CSeq: 2 OPTIONS\r\nAccept: text/plain\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_register_star",
     "REGISTER sip:acd.example.com SIP/2.0\r\n" GOOD_HDRS
     "CSeq: 3 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_tel_uri", "INVITE tel:+4930123 SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_accept_wildcard",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\n"
                           "Accept: text/plain, application/*;q=0.5\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_no_max_forwards_2543",
     INVITE_LINE "Via: SIP/2.0/UDP 192.0.2.10\r\n"
                 "From: <sip:caller@example.net>\r\nTo: <sip:+4930123@acd.example.com>\r\n"
                 "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_shorter_content_length",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\n"
                           "Content-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"good_response", "SIP/2.0 180 Ringing\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n", ACD_SIP_ACCEPT,
     0, NULL, NULL},
    /* check_version */
    {"version_505", "INVITE sip:a@acd.example.com SIP/3.0\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 505, "Version Not Supported", NULL},
    {"version_malformed",
     "INVITE sip:a@acd.example.com SIP/two\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n", ACD_SIP_REJECT,
     400, "Malformed SIP version", NULL},
    /* check_parse: start line, header syntax, numbers, control characters */
    {"parse_lws_start",
     " INVITE sip:a@acd.example.com SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n", ACD_SIP_REJECT,
     400, "Whitespace before the request line", NULL},
    {"parse_bad_to",
     INVITE_LINE "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKv1\r\n"
                 "From: <sip:caller@example.net>;tag=f1\r\nTo: < sip:a@acd.example.com >\r\n"
                 "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Malformed To header", NULL},
    {"parse_ctl_char", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nSubject: a\x07z\r\n\r\n",
     ACD_SIP_REJECT, 400, "Control character in a header", NULL},
    {"parse_negative_length", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContent-Length: -5\r\n\r\n",
     ACD_SIP_REJECT, 400, "Malformed Content-Length header", NULL},
    /* check_required */
    {"required_call_id",
     INVITE_LINE "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKv1\r\n"
                 "From: <sip:caller@example.net>;tag=f1\r\nTo: <sip:a@acd.example.com>\r\n"
                 "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Missing Call-ID header", NULL},
    /* check_single */
    {"single_cseq", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nCSeq: 2 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Multiple CSeq headers", NULL},
    {"single_compact_call_id", INVITE_LINE GOOD_HDRS "i: second\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Multiple Call-ID headers", NULL},
    /* check_ranges */
    {"range_max_forwards",
     INVITE_LINE "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKv1\r\n"
                 "From: <sip:caller@example.net>;tag=f1\r\nTo: <sip:a@acd.example.com>\r\n"
                 "Call-ID: x\r\nMax-Forwards: 256\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Max-Forwards out of range", NULL},
    {"range_cseq_2_31", INVITE_LINE GOOD_HDRS "CSeq: 2147483648 INVITE\r\n\r\n", ACD_SIP_REJECT,
     400, "CSeq number out of range", NULL},
    /* check_body_length */
    {"body_too_short",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                           "Content-Length: 50\r\n\r\n" SDP,
     ACD_SIP_REJECT, 400, "Content-Length larger than the body", NULL},
    /* check_cseq_method */
    {"cseq_mismatch", INVITE_LINE GOOD_HDRS "CSeq: 1 OPTIONS\r\n\r\n", ACD_SIP_REJECT, 400,
     "CSeq method does not match the request method", NULL},
    /* check_date */
    {"date_not_gmt",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nDate: Sat, 15 Oct 2005 04:44:56 EST\r\n\r\n",
     ACD_SIP_REJECT, 400, "Malformed Date header", NULL},
    {"date_good",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nDate: Sat, 15 Oct 2005 04:44:56 GMT\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    /* check_addresses */
    {"contact_headers_bare",
     "REGISTER sip:acd.example.com SIP/2.0\r\n" GOOD_HDRS
     "CSeq: 3 REGISTER\r\nContact: sip:a@example.net?Route=%3Csip:x%3E\r\n\r\n",
     ACD_SIP_REJECT, 400, "Contact URI with headers outside angle brackets", NULL},
    {"contact_star_invite", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContact: *\r\n\r\n",
     ACD_SIP_REJECT, 400, "Contact * needs a REGISTER with Expires: 0", NULL},
    /* check_via */
    {"via_not_2_0",
     INVITE_LINE "Via: SIP/1.0/UDP 192.0.2.10;branch=z9hG4bKv1\r\n"
                 "From: <sip:caller@example.net>;tag=f1\r\nTo: <sip:a@acd.example.com>\r\n"
                 "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Via is not SIP/2.0", NULL},
    /* check_ruri_headers */
    {"ruri_headers",
     "INVITE sip:a@acd.example.com?Subject=x SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 400, "Headers in the Request-URI", NULL},
    /* check_scheme */
    {"scheme_416", "INVITE mailto:a@example.com SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_REJECT, 416, "Unsupported URI Scheme", NULL},
    /* check_require */
    {"require_420",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nRequire: 100rel\r\nRequire: foo, bar\r\n\r\n",
     ACD_SIP_REJECT, 420, "Bad Extension", "Unsupported: 100rel, foo, bar\r\n"},
    {"require_cancel_ignored",
     "CANCEL sip:a@acd.example.com SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 CANCEL\r\nRequire: foo\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    {"proxy_require_ignored", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nProxy-Require: foo\r\n\r\n",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    /* check_body_type */
    {"body_no_type", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContent-Length: 5\r\n\r\n" SDP,
     ACD_SIP_REJECT, 400, "Body without Content-Type", NULL},
    {"body_415",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nContent-Type: text/html\r\n"
                           "Content-Length: 5\r\n\r\n" SDP,
     ACD_SIP_REJECT, 415, "Unsupported Media Type", "Accept: application/sdp\r\n"},
    {"body_other_method_ok",
     "MESSAGE sip:a@acd.example.com SIP/2.0\r\n" GOOD_HDRS
     "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
     ACD_SIP_ACCEPT, 0, NULL, NULL},
    /* check_accept */
    {"accept_406", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nAccept: text/plain\r\n\r\n",
     ACD_SIP_REJECT, 406, "Not Acceptable", NULL},
    {"accept_q0_406",
     INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nAccept: application/sdp;q=0.0\r\n\r\n",
     ACD_SIP_REJECT, 406, "Not Acceptable", NULL},
    {"accept_empty_406", INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\nAccept:\r\n\r\n", ACD_SIP_REJECT,
     406, "Not Acceptable", NULL},
    /* Unanswerable: dropped whatever the reason. */
    {"drop_ack", "ACK sip:a@acd.example.com SIP/2.0\r\n" GOOD_HDRS "CSeq: 1 OPTIONS\r\n\r\n",
     ACD_SIP_DROP, 0, "CSeq method does not match the request method", NULL},
    {"drop_no_via",
     INVITE_LINE "From: <sip:c@example.net>;tag=1\r\nTo: <sip:a@acd.example.com>\r\n"
                 "Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_DROP, 0, "Missing Via header", NULL},
    {"drop_garbage", "\x16\x03\x01 binary junk", ACD_SIP_DROP, 0, "Not a SIP message", NULL},
    {"drop_empty", "", ACD_SIP_DROP, 0, NULL, NULL},
    {"drop_response_two_vias",
     "SIP/2.0 200 OK\r\n" GOOD_HDRS
     "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKb\r\nCSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_DROP, 0, "Response with more than one Via", NULL},
    {"drop_response_bad_code", "SIP/2.0 2000 OK\r\n" GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n",
     ACD_SIP_DROP, 0, "Bad status code", NULL},
    {"drop_response_no_cseq", "SIP/2.0 200 OK\r\n" GOOD_HDRS "\r\n", ACD_SIP_DROP, 0,
     "Missing CSeq header", NULL},
};

static void vcheck(const vcase_t *c)
{
    acd_sip_msg_t *m = (acd_sip_msg_t *)&m;
    acd_sip_verdict_t v;
    print_message("case %s\n", c->name);
    acd_sip_validate(c->text, strlen(c->text), &m, &v);
    assert_int_equal(v.kind, c->kind);
    if (c->reason)
        assert_string_equal(v.reason, c->reason);
    if (c->kind == ACD_SIP_DROP) {
        assert_null(m);
        assert_null(v.extra_header);
        return;
    }
    assert_non_null(m);
    if (c->kind == ACD_SIP_REJECT) {
        assert_int_equal(v.status, c->status);
        if (c->extra)
            assert_string_equal(v.extra_header, c->extra);
        else
            assert_null(v.extra_header);
        /* A rejection must be answerable: build the response and read it back. */
        acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(v.extra_header)};
        acd_buf_t b = {0};
        acd_sip_msg_t *r = NULL;
        assert_int_equal(acd_sip_response_build(&b, m, v.status, v.reason, &o), 0);
        assert_int_equal(acd_sip_msg_parse(&r, b.p, b.n), 0);
        assert_int_equal(r->status, v.status);
        assert_slice(r->reason, v.reason);
        assert_int_equal(r->call_id.n, m->call_id.n);
        if (m->call_id.n)
            assert_memory_equal(r->call_id.p, m->call_id.p, m->call_id.n);
        acd_sip_msg_free(r);
        acd_buf_fini(&b);
    }
    acd_sip_msg_free(m);
}

static void test_validate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
        vcheck(&vcases[i]);
}

static void test_validate_null_out(void **state)
{
    (void)state;
    /* Without mp the message is freed inside; the verdict is still given. */
    acd_sip_verdict_t v;
    static const char text[] = INVITE_LINE GOOD_HDRS "CSeq: 1 INVITE\r\n\r\n";
    acd_sip_validate(text, sizeof(text) - 1, NULL, &v);
    assert_int_equal(v.kind, ACD_SIP_ACCEPT);
    acd_sip_msg_t *m = NULL;
    acd_sip_validate(NULL, 0, &m, &v);
    assert_int_equal(v.kind, ACD_SIP_DROP);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_table),
        cmocka_unit_test(test_validate_null_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
