/* test_rfc4475.c - every RFC 4475 torture message gets the verdict its RFC section calls for. */
#include "msg_assert.h"

#include <dirent.h>

#include "sip/msg.h"
#include "sip/validate.h"
#include "util/buf.h"

/*
 * The files and their sections come from shared/testdata/rfc4475/README.md. The README
 * allows "400 or drop" for the invalid requests of 3.1.2; the table pins what acdd does
 * today (a 400 whenever there is a Via to answer) so that a change of behaviour shows.
 * Suffixes _V/_I are upstream names and say nothing about the verdict.
 */
typedef struct rfc_case {
    const char *file;
    const char *section;
    acd_sip_verdict_kind_t kind;
    int status;
    const char *extra; /* a substring the extra header must contain, or NULL for none */
} rfc_case_t;

#define OK(f)                                                                                      \
    {                                                                                              \
        f, "3.1.1 valid", ACD_SIP_ACCEPT, 0, NULL                                                  \
    }
#define BAD(f, code)                                                                               \
    {                                                                                              \
        f, "3.1.2 invalid request", ACD_SIP_REJECT, code, NULL                                     \
    }

static const rfc_case_t rfc_cases[] = {
    OK("TC_WSINV.dat"),
    OK("TC_INTMETH.dat"),
    OK("TC_ESC01_V.dat"),
    OK("TC_ESCNULL_V.dat"),
    OK("TC_ESC02_V.dat"),
    OK("TC_LWSDISP_V.dat"),
    OK("TC_LONGREQ_V.dat"),
    OK("TC_DBLREQ.dat"),
    OK("TC_SEMIURI_V.dat"),
    OK("TC_TRANSPORTS_V.dat"),
    OK("TC_MPART01.dat"),
    OK("TC_UNREASON_V.dat"),
    OK("TC_NOREASON_V.dat"),
    BAD("TC_BADINV01_I.dat", 400),
    BAD("TC_CLERR_I.dat", 400),
    BAD("TC_NCL_I.dat", 400),
    BAD("TC_SCALAR02_V.dat", 400),
    BAD("TC_QUOTBAL_I.dat", 400),
    BAD("TC_LTGTRURI_I.dat", 400),
    BAD("TC_LWSRURI_I.dat", 400),
    BAD("TC_LWSSTART_V.dat", 400),
    BAD("TC_TRWS_I.dat", 400),
    BAD("TC_ESCRURI_V.dat", 400),
    BAD("TC_BADDATE_V.dat", 400),
    BAD("TC_REGBADCT_I.dat", 400),
    BAD("TC_BADASPEC_I.dat", 400),
    BAD("TC_BADDN_I.dat", 400),
    BAD("TC_BADVERS_V.dat", 505),
    BAD("TC_MISMATCH01_V.dat", 400),
    BAD("TC_MISMATCH02_V.dat", 400),
    {"TC_SCALARLG_V.dat", "3.1.2 invalid response", ACD_SIP_DROP, 0, NULL},
    {"TC_BIGCODE_V.dat", "3.1.2 invalid response", ACD_SIP_DROP, 0, NULL},
    {"TC_BADBRANCH_V.dat", "3.2.1 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_INSUF_I.dat", "3.3.1", ACD_SIP_REJECT, 400, NULL},
    {"TC_UNKSCM_V.dat", "3.3.2", ACD_SIP_REJECT, 416, NULL},
    {"TC_NOVELSC_V.dat", "3.3.3", ACD_SIP_REJECT, 416, NULL},
    {"TC_UNKSM2_V.dat", "3.3.4 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_BEXT01_V.dat", "3.3.5", ACD_SIP_REJECT, 420,
     "Unsupported: nothingSupportsThis, nothingSupportsThisEither\r\n"},
    {"TC_INVUT_V.dat", "3.3.6", ACD_SIP_REJECT, 415, "Accept: application/sdp\r\n"},
    {"TC_REGAUT01_V.dat", "3.3.7 (registrar challenges)", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_MULTI01_I.dat", "3.3.8", ACD_SIP_REJECT, 400, NULL},
    {"TC_MCL01_I.dat", "3.3.9", ACD_SIP_REJECT, 400, NULL},
    {"TC_BCAST_V.dat", "3.3.10 response", ACD_SIP_DROP, 0, NULL},
    {"TC_ZEROMF_V.dat", "3.3.11 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_CPARAM01_V.dat", "3.3.12 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_CPARAM02_V.dat", "3.3.13 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_REGESCRT_V.dat", "3.3.14 valid", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_SDP01_V.dat", "3.3.15", ACD_SIP_REJECT, 406, NULL},
    {"TC_INV2543_I.dat", "3.4.1 (accept or 400)", ACD_SIP_ACCEPT, 0, NULL},
    {"TC_TEST_I.dat", "not in the RFC (400 or drop; no Via)", ACD_SIP_DROP, 0, NULL},
};

#define N_CASES (sizeof(rfc_cases) / sizeof(rfc_cases[0]))

static char rfc_dir[1024];

static int rfc_setup(void **state)
{
    (void)state;
    const char *src = getenv("ACD_SOURCE_DIR");
    DIR *d = NULL;
    if (src) {
        snprintf(rfc_dir, sizeof(rfc_dir), "%s/../shared/testdata/rfc4475", src);
        d = opendir(rfc_dir);
    }
    if (!d) {
        snprintf(rfc_dir, sizeof(rfc_dir), "/work/shared/testdata/rfc4475");
        d = opendir(rfc_dir);
    }
    if (!d)
        return -1;
    closedir(d);
    return 0;
}

static const rfc_case_t *rfc_find(const char *file)
{
    for (size_t i = 0; i < N_CASES; i++)
        if (strcmp(rfc_cases[i].file, file) == 0)
            return &rfc_cases[i];
    return NULL;
}

static char *rfc_load(const char *file, size_t *len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", rfc_dir, file);
    char *data = msg_read_file(path, len);
    if (!data)
        print_error("cannot read %s\n", path);
    assert_non_null(data);
    return data;
}

/* Every .dat file in the corpus has a row, and every row has its file. */
static void test_rfc4475_table_complete(void **state)
{
    (void)state;
    DIR *d = opendir(rfc_dir);
    assert_non_null(d);
    size_t files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".dat") != 0)
            continue;
        if (!rfc_find(e->d_name))
            print_error("%s is not in the verdict table\n", e->d_name);
        assert_non_null(rfc_find(e->d_name));
        files++;
    }
    closedir(d);
    assert_int_equal(files, N_CASES);
}

static void rfc_check(const rfc_case_t *c)
{
    size_t len;
    char *data = rfc_load(c->file, &len);
    acd_sip_msg_t *m = NULL, *strict = NULL;
    acd_sip_verdict_t v;
    acd_sip_validate(data, len, &m, &v);
    print_message("%-22s %-36s -> kind=%d status=%d reason=%s\n", c->file, c->section, v.kind,
                  v.status, v.reason ? v.reason : "-");
    /* The strict parser accepts everything acceptable and never crashes on the rest. */
    int strict_rc = acd_sip_msg_parse(&strict, data, len);
    acd_sip_msg_free(strict);
    if (c->kind == ACD_SIP_ACCEPT)
        assert_int_equal(strict_rc, 0);
    assert_int_equal(v.kind, c->kind);
    if (c->kind == ACD_SIP_DROP) {
        assert_null(m);
    } else {
        assert_non_null(m);
        assert_non_null(m->via.raw.p);
    }
    if (c->kind == ACD_SIP_REJECT) {
        assert_int_equal(v.status, c->status);
        assert_non_null(v.reason);
        if (c->extra)
            assert_string_equal(v.extra_header, c->extra);
        else
            assert_null(v.extra_header);
        /* The rejection can be sent: the response builds with the right status line. */
        acd_sip_resp_opts_t o = {.extra_headers = acd_str_from(v.extra_header)};
        acd_buf_t b = {0};
        assert_int_equal(acd_sip_response_build(&b, m, v.status, v.reason, &o), 0);
        char status_line[64];
        snprintf(status_line, sizeof(status_line), "SIP/2.0 %d ", c->status);
        assert_memory_equal(b.p, status_line, strlen(status_line));
        assert_non_null(strstr(b.p, "\r\nVia: "));
        /*
         * The response echoes Via, From, To, Call-ID and CSeq as received, so it is
         * well-formed exactly when those were (SCALAR02's CSeq, BADINV01's Via are not).
         */
        if (strict_rc == 0) {
            acd_sip_msg_t *r = NULL;
            assert_int_equal(acd_sip_msg_parse(&r, b.p, b.n), 0);
            assert_int_equal(r->status, c->status);
            acd_sip_msg_free(r);
        }
        acd_buf_fini(&b);
    }
    acd_sip_msg_free(m);
    free(data);
}

static void test_rfc4475_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++)
        rfc_check(&rfc_cases[i]);
}

/* Details the verdict alone does not show. */
static void test_rfc4475_details(void **state)
{
    (void)state;
    size_t len;
    char *data = rfc_load("TC_DBLREQ.dat", &len);
    acd_sip_msg_t *m = NULL;
    acd_sip_verdict_t v;
    acd_sip_validate(data, len, &m, &v);
    assert_int_equal(v.kind, ACD_SIP_ACCEPT);
    assert_int_equal(m->method, ACD_SIP_REGISTER); /* only the first message counts */
    assert_slice(m->body, NULL);
    acd_sip_msg_free(m);
    free(data);

    data = rfc_load("TC_INTMETH.dat", &len);
    acd_sip_validate(data, len, &m, &v);
    assert_int_equal(m->method, ACD_SIP_UNKNOWN);
    assert_slice(m->method_name, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_slice(m->call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_int_equal(m->max_forwards, 255);
    acd_sip_msg_free(m);
    free(data);

    data = rfc_load("TC_WSINV.dat", &len);
    acd_sip_validate(data, len, &m, &v);
    assert_int_equal(m->via_count, 3);
    assert_slice(m->via.branch, "390skdjuw");
    assert_slice(m->to.tag, "1918181833n");
    assert_slice(m->from.tag, "98asjd8");
    assert_int_equal(m->cseq, 9);
    assert_int_equal(m->max_forwards, 68);
    assert_int_equal(m->body.n, 150);
    acd_sip_msg_free(m);
    free(data);

    data = rfc_load("TC_ESC01_V.dat", &len);
    acd_sip_validate(data, len, &m, &v);
    assert_slice(m->ruri.user, "sips%3Auser%40example.com"); /* as on the wire */
    assert_slice(m->contact.uri.user, "cal%6Cer");
    acd_sip_msg_free(m);
    free(data);

    data = rfc_load("TC_REGAUT01_V.dat", &len);
    acd_sip_validate(data, len, &m, &v);
    assert_slice(m->authorization, "NoOneKnowsThisScheme opaque-data=here");
    acd_sip_msg_free(m);
    free(data);

    data = rfc_load("TC_LONGREQ_V.dat", &len);
    acd_sip_validate(data, len, &m, &v);
    assert_int_equal(m->via_count, 34);
    assert_slice(m->via.host, "sip33.example.com");
    acd_sip_msg_free(m);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4475_table_complete),
        cmocka_unit_test(test_rfc4475_verdicts),
        cmocka_unit_test(test_rfc4475_details),
    };
    return cmocka_run_group_tests(tests, rfc_setup, NULL);
}
