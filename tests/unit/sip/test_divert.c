/* test_divert.c - the forwarding reason of parsed INVITEs (Diversion, History-Info). */
#include "msg_assert.h"

#include "sip/divert.h"
#include "sip/msg.h"
#include "util/err.h"

#define INVITE_HEAD                                                                                \
    "INVITE sip:+34910000000@acd.example.com SIP/2.0\r\n"                                          \
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKdiv1\r\n"                                      \
    "Max-Forwards: 70\r\n"                                                                         \
    "From: <sip:+34600111222@carrier.example>;tag=a1\r\n"                                          \
    "To: <sip:+34910000000@acd.example.com>\r\n"                                                   \
    "Call-ID: div-1@192.0.2.10\r\n"                                                                \
    "CSeq: 1 INVITE\r\n"                                                                           \
    "Contact: <sip:+34600111222@192.0.2.10>\r\n"
#define INVITE_TAIL "Content-Length: 0\r\n\r\n"

#define DIV(reason) "Diversion: <sip:+15551234@biz.example>;reason=" reason ";counter=1\r\n"
#define HI "History-Info: "
#define HI_CAUSE(cause)                                                                            \
    HI "<sip:+15551234@biz.example>;index=1, <sip:svc@acd.example.com;cause=" cause                \
       ">;index=1.1\r\n"

typedef struct divert_case {
    const char *name;
    const char *headers; /* inserted between INVITE_HEAD and INVITE_TAIL */
    acd_fwd_reason_t reason;
    const char *from;
    int counter;
    const char *source;
} divert_case_t;

static const divert_case_t divert_cases[] = {
    {"none", "", ACD_FWD_NONE, "", 0, ""},

    /* Every RFC 5806 reason. */
    {"unknown", DIV("unknown"), ACD_FWD_UNKNOWN, "+15551234", 1, "diversion"},
    {"user-busy", DIV("user-busy"), ACD_FWD_BUSY, "+15551234", 1, "diversion"},
    {"no-answer", DIV("no-answer"), ACD_FWD_NO_ANSWER, "+15551234", 1, "diversion"},
    {"unavailable", DIV("unavailable"), ACD_FWD_UNAVAILABLE, "+15551234", 1, "diversion"},
    {"unconditional", DIV("unconditional"), ACD_FWD_UNCONDITIONAL, "+15551234", 1, "diversion"},
    {"time-of-day", DIV("time-of-day"), ACD_FWD_TIME_OF_DAY, "+15551234", 1, "diversion"},
    {"do-not-disturb", DIV("do-not-disturb"), ACD_FWD_DND, "+15551234", 1, "diversion"},
    {"deflection", DIV("deflection"), ACD_FWD_DEFLECTION, "+15551234", 1, "diversion"},
    {"follow-me", DIV("follow-me"), ACD_FWD_UNCONDITIONAL, "+15551234", 1, "diversion"},
    {"out-of-service", DIV("out-of-service"), ACD_FWD_OUT_OF_SERVICE, "+15551234", 1, "diversion"},
    {"away", DIV("away"), ACD_FWD_AWAY, "+15551234", 1, "diversion"},

    /* Spellings and shapes of one entry. */
    {"counter", "Diversion: <sip:+15551234@biz.example>;reason=user-busy;counter=3\r\n",
     ACD_FWD_BUSY, "+15551234", 3, "diversion"},
    {"no counter means 1", "Diversion: <sip:office@biz.example>;reason=no-answer\r\n",
     ACD_FWD_NO_ANSWER, "office", 1, "diversion"},
    {"bad counter ignored", "Diversion: <sip:office@biz.example>;reason=no-answer;counter=x\r\n",
     ACD_FWD_NO_ANSWER, "office", 1, "diversion"},
    {"quoted reason, any case",
     "Diversion: \"Front desk\" <sip:+15551234@biz.example;user=phone>;reason=\"User-Busy\";"
     "counter=2;privacy=off;screen=no\r\n",
     ACD_FWD_BUSY, "+15551234", 2, "diversion"},
    {"display name with a comma",
     "Diversion: \"Smith, Jones\" <sip:+15550001@biz.example>;reason=time-of-day\r\n",
     ACD_FWD_TIME_OF_DAY, "+15550001", 1, "diversion"},
    {"addr-spec", "Diversion: sip:+15550002@biz.example;reason=unconditional\r\n",
     ACD_FWD_UNCONDITIONAL, "+15550002", 1, "diversion"},
    {"tel uri", "Diversion: <tel:+15550003;phone-context=+1>;reason=user-busy\r\n", ACD_FWD_BUSY,
     "+15550003", 1, "diversion"},
    {"header name case", "diversion: <sip:+15550004@biz.example>;reason=away\r\n", ACD_FWD_AWAY,
     "+15550004", 1, "diversion"},

    /* Several diversions: the top (most recent) one counts. */
    {"two Diversion lines",
     "Diversion: <sip:+15550010@biz.example>;reason=no-answer;counter=1\r\n"
     "Diversion: <sip:+15550020@pbx.example>;reason=user-busy;counter=1\r\n",
     ACD_FWD_NO_ANSWER, "+15550010", 1, "diversion"},
    {"comma list",
     "Diversion: <sip:+15550030@biz.example>;reason=deflection;counter=2, "
     "<sip:+15550040@pbx.example>;reason=unconditional\r\n",
     ACD_FWD_DEFLECTION, "+15550030", 2, "diversion"},

    /* Malformed Diversion: forwarded, reason unknown, never a crash. */
    {"unknown reason token", "Diversion: <sip:+15551234@biz.example>;reason=vacation\r\n",
     ACD_FWD_UNKNOWN, "+15551234", 1, "diversion"},
    {"reason none is not a reason", "Diversion: <sip:+15551234@biz.example>;reason=none\r\n",
     ACD_FWD_UNKNOWN, "+15551234", 1, "diversion"},
    {"no reason", "Diversion: <sip:+15551234@biz.example>;counter=1\r\n", ACD_FWD_UNKNOWN,
     "+15551234", 1, "diversion"},
    {"garbage", "Diversion: garbage<<\r\n", ACD_FWD_UNKNOWN, "", 1, "diversion"},
    {"empty brackets", "Diversion: <>;reason=user-busy\r\n", ACD_FWD_UNKNOWN, "", 1, "diversion"},
    {"empty value", "Diversion: \r\n", ACD_FWD_UNKNOWN, "", 1, "diversion"},
    {"unterminated quote", "Diversion: \"Front <sip:+1@x>;reason=user-busy\r\n", ACD_FWD_UNKNOWN,
     "", 1, "diversion"},

    /* History-Info with RFC 4458 cause= on the retargeted-to URI. */
    {"hi routing only",
     HI "<sip:+34910000000@acd.example.com>;index=1, <sip:agent7@192.0.2.7>;index=1.1\r\n",
     ACD_FWD_NONE, "", 0, ""},
    {"hi cause 486",
     HI "<sip:+15551234@biz.example>;index=1, <sip:+34910000000@acd.example.com;cause=486>;"
        "index=1.1;mp=1\r\n",
     ACD_FWD_BUSY, "+15551234", 1, "history-info"},
    {"hi cause 302", HI_CAUSE("302"), ACD_FWD_UNCONDITIONAL, "+15551234", 1, "history-info"},
    {"hi cause 408", HI_CAUSE("408"), ACD_FWD_NO_ANSWER, "+15551234", 1, "history-info"},
    {"hi cause 480", HI_CAUSE("480"), ACD_FWD_UNAVAILABLE, "+15551234", 1, "history-info"},
    {"hi cause 487", HI_CAUSE("487"), ACD_FWD_DEFLECTION, "+15551234", 1, "history-info"},
    {"hi cause 503", HI_CAUSE("503"), ACD_FWD_OUT_OF_SERVICE, "+15551234", 1, "history-info"},
    {"hi cause 404", HI_CAUSE("404"), ACD_FWD_UNKNOWN, "+15551234", 1, "history-info"},
    {"hi cause malformed", HI_CAUSE("busy"), ACD_FWD_UNKNOWN, "+15551234", 1, "history-info"},
    {"hi cause on the first entry", HI "<sip:svc@acd.example.com;cause=302>;index=1\r\n",
     ACD_FWD_UNCONDITIONAL, "", 1, "history-info"},
    {"hi last cause counts, over two lines",
     HI
     "<sip:+15551234@biz.example>;index=1, <sip:+15555678@biz.example;cause=302>;index=1.1\r\n" HI
     "<sip:svc@acd.example.com;cause=408>;index=1.1.1\r\n",
     ACD_FWD_NO_ANSWER, "+15555678", 2, "history-info"},

    /* History-Info with the escaped Reason header in the URI of the entry that failed. */
    {"hi escaped reason",
     HI "<sip:+15551234@biz.example?Reason=SIP%3Bcause%3D486%3Btext%3D%22Busy%20Here%22>;"
        "index=1, <sip:svc@acd.example.com>;index=1.1\r\n",
     ACD_FWD_BUSY, "+15551234", 1, "history-info"},
    {"hi escaped reason with another header",
     HI "<sip:+15551234@biz.example?Reason=SIP%3Bcause%3D408&Privacy=history>;index=1, "
        "<sip:svc@acd.example.com>;index=1.1\r\n",
     ACD_FWD_NO_ANSWER, "+15551234", 1, "history-info"},
    {"hi Q.850 reason is not a SIP cause",
     HI "<sip:+15551234@biz.example?Reason=Q.850%3Bcause%3D17>;index=1, "
        "<sip:svc@acd.example.com>;index=1.1\r\n",
     ACD_FWD_NONE, "", 0, ""},
    {"hi SIP reason without cause",
     HI "<sip:+15551234@biz.example?Reason=SIP%3Btext%3D%22x%22>;index=1, "
        "<sip:svc@acd.example.com>;index=1.1\r\n",
     ACD_FWD_UNKNOWN, "+15551234", 1, "history-info"},

    /* Malformed History-Info. */
    {"hi garbage", HI "<<garbage\r\n", ACD_FWD_UNKNOWN, "", 0, "history-info"},
    {"hi bad entry then cause",
     HI "<sip:@>;index=1, <sip:svc@acd.example.com;cause=486>;index=1.1\r\n", ACD_FWD_BUSY, "", 1,
     "history-info"},
    /* An unclosed '<' makes the rest of the header one (unreadable) entry. */
    {"hi unclosed bracket swallows the rest",
     HI "<<garbage, <sip:svc@acd.example.com;cause=486>;index=1.1\r\n", ACD_FWD_UNKNOWN, "", 0,
     "history-info"},

    /* Both headers: Diversion wins. */
    {"both",
     HI "<sip:+15551234@biz.example>;index=1, <sip:svc@acd.example.com;cause=486>;index=1.1\r\n"
        "Diversion: <sip:+15559999@biz.example>;reason=time-of-day;counter=1\r\n",
     ACD_FWD_TIME_OF_DAY, "+15559999", 1, "diversion"},
};

static acd_sip_msg_t *parse_invite(const char *headers)
{
    char text[4096];
    int n = snprintf(text, sizeof(text), "%s%s%s", INVITE_HEAD, headers, INVITE_TAIL);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    acd_sip_msg_t *m = NULL;
    assert_int_equal(acd_sip_msg_parse(&m, text, (size_t)n), 0);
    assert_non_null(m);
    return m;
}

static void test_divert_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(divert_cases) / sizeof(divert_cases[0]); i++) {
        const divert_case_t *c = &divert_cases[i];
        print_message("case %s\n", c->name);
        acd_sip_msg_t *m = parse_invite(c->headers);
        acd_divert_t d;
        memset(&d, 0x5a, sizeof(d));
        assert_int_equal(acd_sip_divert(m, &d), 0);
        assert_string_equal(acd_fwd_reason_name(d.reason), acd_fwd_reason_name(c->reason));
        assert_string_equal(d.from, c->from);
        assert_int_equal(d.counter, c->counter);
        assert_string_equal(d.source, c->source);
        acd_sip_msg_free(m);
    }
}

/* The parsed message exposes every Diversion / History-Info value, joined in order. */
static void test_msg_exposes_headers(void **state)
{
    (void)state;
    acd_sip_msg_t *m = parse_invite("Diversion: <sip:a@x>;reason=user-busy\r\n"
                                    "History-Info: <sip:b@y>;index=1\r\n"
                                    "Diversion: <sip:c@x>;reason=no-answer, <sip:d@x>\r\n");
    assert_slice(m->diversion, "<sip:a@x>;reason=user-busy, <sip:c@x>;reason=no-answer, <sip:d@x>");
    assert_slice(m->history_info, "<sip:b@y>;index=1");
    acd_sip_msg_free(m);
    m = parse_invite("");
    assert_slice(m->diversion, NULL);
    assert_slice(m->history_info, NULL);
    acd_sip_msg_free(m);
}

static void test_reason_names(void **state)
{
    (void)state;
    static const char *const names[] = {"none",           "unconditional", "user-busy",
                                        "no-answer",      "unavailable",   "time-of-day",
                                        "do-not-disturb", "deflection",    "out-of-service",
                                        "away",           "unknown"};
    for (int i = 0; i <= ACD_FWD_UNKNOWN; i++) {
        acd_fwd_reason_t r;
        assert_string_equal(acd_fwd_reason_name((acd_fwd_reason_t)i), names[i]);
        assert_int_equal(acd_fwd_reason_parse(names[i], &r), 0);
        assert_int_equal(r, i);
    }
    acd_fwd_reason_t r;
    assert_int_equal(acd_fwd_reason_parse("FOLLOW-ME", &r), 0);
    assert_int_equal(r, ACD_FWD_UNCONDITIONAL);
    assert_int_equal(acd_fwd_reason_parse("busy", &r), -EINVAL);
    assert_int_equal(acd_fwd_reason_parse(NULL, &r), -EINVAL);
    assert_string_equal(acd_fwd_reason_name((acd_fwd_reason_t)42), "?");
    acd_divert_t d;
    assert_int_equal(acd_sip_divert(NULL, &d), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_divert_table),
        cmocka_unit_test(test_msg_exposes_headers),
        cmocka_unit_test(test_reason_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
