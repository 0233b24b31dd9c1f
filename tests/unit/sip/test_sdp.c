/* test_sdp.c - SDP parsing of offers, codec choice (RFC 3264), building and relaying. */
#include "msg_assert.h"

#include <sys/socket.h>

#include "sip/sdp.h"
#include "util/buf.h"
#include "util/err.h"

#define SESSION "v=0\r\no=alice 2890844526 2890844527 IN IP4 198.51.100.5\r\ns=-\r\n"

typedef struct sdp_case {
    const char *name;
    const char *text;
    const char *addr;
    int family;
    uint16_t port;
    int fmts[6];
    int fmt_count;
    const char *names[6];
    int te_pt, ptime;
    acd_sdp_dir_t dir;
    int negotiate_rc;
    acd_codec_t codec;
    int answer_te;
} sdp_case_t;

static const sdp_case_t sdp_cases[] = {
    {"pcmu_pcma_te",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\n"
             "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n",
     "198.51.100.5",
     AF_INET,
     49170,
     {0, 8, 101},
     3,
     {"PCMU/8000", "PCMA/8000", "telephone-event/8000"},
     101,
     20,
     ACD_SDP_SENDRECV,
     0,
     ACD_CODEC_PCMU,
     101},
    {"pcma_only_static_names",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 8\n", /* bare LF */
     "198.51.100.5",
     AF_INET,
     5004,
     {8},
     1,
     {"PCMA/8000"},
     -1,
     0,
     ACD_SDP_SENDRECV,
     0,
     ACD_CODEC_PCMA,
     -1},
    {"offerer_order_wins",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 18 8 0\r\n",
     "198.51.100.5",
     AF_INET,
     5004,
     {18, 8, 0},
     3,
     {"G729/8000", "PCMA/8000", "PCMU/8000"},
     -1,
     0,
     ACD_SDP_SENDRECV,
     0,
     ACD_CODEC_PCMA,
     -1},
    {"no_common_codec",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 18 96\r\n"
             "a=rtpmap:96 opus/48000/2\r\n",
     "198.51.100.5",
     AF_INET,
     5004,
     {18, 96},
     2,
     {"G729/8000", "opus/48000"},
     -1,
     0,
     ACD_SDP_SENDRECV,
     ACD_ECODEC,
     ACD_CODEC_NONE,
     -1},
    {"media_c_wins",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
             "c=IN IP6 2001:db8::77\r\n",
     "2001:db8::77",
     AF_INET6,
     6000,
     {0},
     1,
     {"PCMU/8000"},
     -1,
     0,
     ACD_SDP_SENDRECV,
     0,
     ACD_CODEC_PCMU,
     -1},
    {"session_dir_and_media_override",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\na=sendonly\r\nm=audio 6000 RTP/AVP 0\r\n"
             "a=recvonly\r\n",
     "198.51.100.5",
     AF_INET,
     6000,
     {0},
     1,
     {"PCMU/8000"},
     -1,
     0,
     ACD_SDP_RECVONLY,
     0,
     ACD_CODEC_PCMU,
     -1},
    {"session_dir_inherited",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\na=inactive\r\nm=audio 6000 RTP/AVP 0\r\n",
     "198.51.100.5",
     AF_INET,
     6000,
     {0},
     1,
     {"PCMU/8000"},
     -1,
     0,
     ACD_SDP_INACTIVE,
     0,
     ACD_CODEC_PCMU,
     -1},
    {"first_rtp_avp_audio_chosen",
     SESSION "t=0 0\r\nm=video 7000 RTP/AVP 31\r\nc=IN IP4 198.51.100.9\r\n"
             "m=audio 7002 RTP/SAVP 0\r\nc=IN IP4 198.51.100.8\r\n"
             "m=audio 7004 RTP/AVP 8 0\r\nc=IN IP4 198.51.100.7\r\na=ptime:30\r\n"
             "m=audio 7006 RTP/AVP 0\r\nc=IN IP4 198.51.100.6\r\n",
     "198.51.100.7",
     AF_INET,
     7004,
     {8, 0},
     2,
     {"PCMA/8000", "PCMU/8000"},
     -1,
     30,
     ACD_SDP_SENDRECV,
     0,
     ACD_CODEC_PCMA,
     -1},
    {"disabled_stream",
     SESSION "c=IN IP4 198.51.100.5\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
     "198.51.100.5",
     AF_INET,
     0,
     {0},
     1,
     {"PCMU/8000"},
     -1,
     0,
     ACD_SDP_SENDRECV,
     ACD_ECODEC,
     ACD_CODEC_NONE,
     -1},
};

static void test_sdp_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sdp_cases) / sizeof(sdp_cases[0]); i++) {
        const sdp_case_t *c = &sdp_cases[i];
        acd_sdp_t s;
        print_message("case %s\n", c->name);
        assert_int_equal(acd_sdp_parse(acd_str_from(c->text), &s), 0);
        assert_string_equal(s.origin_user, "alice");
        assert_int_equal(s.sess_id, 2890844526ULL);
        assert_int_equal(s.sess_version, 2890844527ULL);
        assert_string_equal(s.addr, c->addr);
        assert_int_equal(s.addr_family, c->family);
        assert_int_equal(s.port, c->port);
        assert_int_equal(s.fmt_count, c->fmt_count);
        for (int f = 0; f < c->fmt_count; f++) {
            assert_int_equal(s.fmts[f], c->fmts[f]);
            assert_string_equal(s.fmt_names[f], c->names[f]);
        }
        assert_int_equal(s.telephone_event_pt, c->te_pt);
        assert_int_equal(s.ptime, c->ptime);
        assert_int_equal(s.dir, c->dir);
        acd_codec_t codec = (acd_codec_t)42;
        int te = 42;
        assert_int_equal(acd_sdp_negotiate(&s, &codec, &te), c->negotiate_rc);
        assert_int_equal(codec, c->codec);
        assert_int_equal(te, c->answer_te);
    }
}

static void test_sdp_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "o=a 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", /* v= not first */
        "v=1\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 "
        "RTP/AVP 0\r\n",
        "v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", /* no o= */
        "v=0\r\no=a 1 1 IN IP4\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        "v=0\r\no=a x 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 "
        "RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 1 RTP/AVP 31\r\n", /* no audio */
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP\r\n", /* no format */
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0 x\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 128\r\n",
        SESSION "t=0 0\r\nm=audio 1 RTP/AVP 0\r\n", /* no c= */
        SESSION "c=IN IP4 999.1.1.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 media.example.com\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP7 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nhello\r\nm=audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm =audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\n\r\nm=audio 1 RTP/AVP 0\r\n", /* empty line */
        "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
        "v=0\r\no=a 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=ptime:abc\r\n",
        SESSION "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
        "v=0\r\no=a 99999999999999999999999 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
        "t=0 0\r\nm=audio 1 RTP/AVP 0\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_sdp_t s;
        print_message("bad %zu\n", i);
        assert_int_equal(acd_sdp_parse(acd_str_from(bad[i]), &s), ACD_EPARSE);
    }
    acd_sdp_t s;
    assert_int_equal(acd_sdp_parse(ACD_STR_NULL, &s), ACD_EPARSE);
    assert_int_equal(acd_sdp_parse(ACD_STR("v=0\r\n"), NULL), -EINVAL);
}

static void test_sdp_build_exact(void **state)
{
    (void)state;
    acd_sdp_local_t l = {
        .origin_user = "acdd",
        .sess_id = 1234,
        .sess_version = 1,
        .addr = "192.0.2.1",
        .port = 40000,
        .codec = ACD_CODEC_NONE,
        .te_pt = 101,
        .dir = ACD_SDP_SENDRECV,
    };
    acd_buf_t b = {0};
    assert_int_equal(acd_sdp_build(&b, &l), 0);
    assert_string_equal(b.p, "v=0\r\n"
                             "o=acdd 1234 1 IN IP4 192.0.2.1\r\n"
                             "s=acdd\r\n"
                             "c=IN IP4 192.0.2.1\r\n"
                             "t=0 0\r\n"
                             "m=audio 40000 RTP/AVP 0 8 101\r\n"
                             "a=rtpmap:0 PCMU/8000\r\n"
                             "a=rtpmap:8 PCMA/8000\r\n"
                             "a=rtpmap:101 telephone-event/8000\r\n"
                             "a=fmtp:101 0-16\r\n"
                             "a=ptime:20\r\n"
                             "a=sendrecv\r\n");
    acd_buf_fini(&b);
}

static void test_sdp_build_round_trip(void **state)
{
    (void)state;
    /* An answer: one codec, no telephone-event, IPv6, sendonly (music on hold). */
    acd_sdp_local_t l = {
        .origin_user = "acdd",
        .sess_id = 9,
        .sess_version = 3,
        .addr = "2001:db8::9",
        .port = 40002,
        .codec = ACD_CODEC_PCMA,
        .te_pt = -1,
        .dir = ACD_SDP_SENDONLY,
    };
    acd_buf_t b = {0};
    assert_int_equal(acd_sdp_build(&b, &l), 0);
    assert_non_null(strstr(b.p, "c=IN IP6 2001:db8::9\r\n"));
    assert_non_null(strstr(b.p, "o=acdd 9 3 IN IP6 2001:db8::9\r\n"));
    acd_sdp_t s;
    assert_int_equal(acd_sdp_parse(acd_buf_str(&b), &s), 0);
    assert_string_equal(s.origin_user, "acdd");
    assert_int_equal(s.sess_id, 9);
    assert_int_equal(s.sess_version, 3);
    assert_string_equal(s.addr, "2001:db8::9");
    assert_int_equal(s.addr_family, AF_INET6);
    assert_int_equal(s.port, 40002);
    assert_int_equal(s.fmt_count, 1);
    assert_int_equal(s.fmts[0], 8);
    assert_int_equal(s.telephone_event_pt, -1);
    assert_int_equal(s.ptime, 20);
    assert_int_equal(s.dir, ACD_SDP_SENDONLY);
    acd_codec_t codec;
    int te;
    assert_int_equal(acd_sdp_negotiate(&s, &codec, &te), 0);
    assert_int_equal(codec, ACD_CODEC_PCMA);

    /* Bad arguments leave the buffer alone. */
    size_t n = b.n;
    acd_sdp_local_t bad = l;
    bad.addr = "192.0.2.1 x";
    assert_int_equal(acd_sdp_build(&b, &bad), -EINVAL);
    bad = l;
    bad.origin_user = NULL;
    assert_int_equal(acd_sdp_build(&b, &bad), -EINVAL);
    bad = l;
    bad.te_pt = 8;
    assert_int_equal(acd_sdp_build(&b, &bad), -EINVAL);
    bad = l;
    bad.codec = (acd_codec_t)18;
    assert_int_equal(acd_sdp_build(&b, &bad), -EINVAL);
    assert_int_equal(b.n, n);
    acd_buf_fini(&b);
}

static void test_sdp_build_relayed(void **state)
{
    (void)state;
    static const char agent[] = "v=0\r\no=agent7 555 12 IN IP4 192.0.2.70\r\ns=call\r\n"
                                "c=IN IP4 192.0.2.71\r\nt=0 0\r\n"
                                "m=audio 30000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"
                                "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
                                "a=ptime:30\r\na=sendonly\r\n";
    acd_sdp_t in, out;
    assert_int_equal(acd_sdp_parse(ACD_STR(agent), &in), 0);
    acd_buf_t b = {0};
    assert_int_equal(acd_sdp_build_relayed(&b, &in, "acdd", 777, 5, "192.0.2.1"), 0);
    assert_non_null(strstr(b.p, "o=acdd 777 5 IN IP4 192.0.2.1\r\n"));
    assert_null(strstr(b.p, "agent7"));
    assert_int_equal(acd_sdp_parse(acd_buf_str(&b), &out), 0);
    /* The origin is ours... */
    assert_string_equal(out.origin_user, "acdd");
    assert_int_equal(out.sess_id, 777);
    assert_int_equal(out.sess_version, 5);
    /* ...the media is the agent's. */
    assert_string_equal(out.addr, "192.0.2.71");
    assert_int_equal(out.port, 30000);
    assert_int_equal(out.fmt_count, 2);
    assert_int_equal(out.fmts[0], 8);
    assert_int_equal(out.fmts[1], 96);
    assert_string_equal(out.fmt_names[0], "PCMA/8000");
    assert_string_equal(out.fmt_names[1], "telephone-event/8000");
    assert_int_equal(out.telephone_event_pt, 96);
    assert_int_equal(out.ptime, 30);
    assert_int_equal(out.dir, ACD_SDP_SENDONLY);
    acd_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdp_parse_table),   cmocka_unit_test(test_sdp_parse_malformed),
        cmocka_unit_test(test_sdp_build_exact),   cmocka_unit_test(test_sdp_build_round_trip),
        cmocka_unit_test(test_sdp_build_relayed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
