/* test_digest.c - Digest authentication: parsing, nonces, responses (vectors from hashlib). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sip/digest.h"
#include "util/err.h"

static acd_sip_digest_t parse_ok(const char *v)
{
    acd_sip_digest_t d;
    assert_int_equal(acd_sip_digest_parse(acd_str_from(v), &d), 0);
    return d;
}

static void test_parse(void **state)
{
    (void)state;
    acd_sip_digest_t d = parse_ok("Digest username=\"2001\", realm=\"acdd\", nonce=\"abc123\", "
                                  "uri=\"sip:127.0.0.1\", response=\"00\", algorithm=MD5, "
                                  "qop=auth, nc=00000001, cnonce=\"xyz\"");
    assert_true(acd_str_eqc(d.username, "2001"));
    assert_true(acd_str_eqc(d.realm, "acdd"));
    assert_true(acd_str_eqc(d.uri, "sip:127.0.0.1"));
    assert_true(acd_str_eqc(d.algorithm, "MD5"));
    assert_true(acd_str_eqc(d.qop, "auth"));
    assert_true(acd_str_eqc(d.nc, "00000001"));
    assert_true(acd_str_eqc(d.cnonce, "xyz"));
}

static void test_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "NoOneKnowsThisScheme opaque-data=here",                 /* RFC 4475 REGAUT01 */
        "Basic dXNlcjpwYXNz",
        "Digest username=\"2001\", realm=\"acdd\"",              /* no nonce/uri/response */
        "Digest username=\"2001, realm=acdd",                    /* unbalanced quote */
        "Digest =x, nonce=\"n\", uri=\"u\", response=\"r\", username=\"u\"",
        "Digest",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        acd_sip_digest_t d;
        assert_int_equal(acd_sip_digest_parse(acd_str_from(bad[i]), &d), ACD_EPARSE);
    }
}

static void test_verify(void **state)
{
    (void)state;
    acd_sip_digest_t d = parse_ok("Digest username=\"2001\", realm=\"acdd\", nonce=\"abc123\", "
                                  "uri=\"sip:127.0.0.1\", response=\"632c88aacfb53bde2a17099d2610878a\"");
    assert_true(acd_sip_digest_verify(&d, "REGISTER", "secret"));
    assert_false(acd_sip_digest_verify(&d, "REGISTER", "Secret"));
    assert_false(acd_sip_digest_verify(&d, "INVITE", "secret"));

    d = parse_ok("Digest username=\"2001\", realm=\"acdd\", nonce=\"abc123\", uri=\"sip:127.0.0.1\", "
                 "response=\"069383eb2a0f39ecb5258d93f975ca18\", qop=auth, nc=00000001, cnonce=\"xyz\"");
    assert_true(acd_sip_digest_verify(&d, "REGISTER", "secret"));
    d.nc = ACD_STR("00000002");
    assert_false(acd_sip_digest_verify(&d, "REGISTER", "secret"));
    d = parse_ok("Digest username=\"2001\", realm=\"acdd\", nonce=\"abc123\", uri=\"sip:127.0.0.1\", "
                 "response=\"632c88aacfb53bde2a17099d2610878a\", algorithm=SHA-256");
    assert_false(acd_sip_digest_verify(&d, "REGISTER", "secret"));
}

static void test_nonce(void **state)
{
    (void)state;
    char n[49];
    assert_int_equal(acd_sip_digest_nonce(n, sizeof(n), 1000, "k1"), 0);
    assert_int_equal(strlen(n), 48);
    acd_str_t s = acd_str_from(n);
    assert_true(acd_sip_digest_nonce_fresh(s, 1000, "k1", 300));
    assert_true(acd_sip_digest_nonce_fresh(s, 1300, "k1", 300));
    assert_false(acd_sip_digest_nonce_fresh(s, 1301, "k1", 300)); /* too old */
    assert_false(acd_sip_digest_nonce_fresh(s, 999, "k1", 300));  /* from the future */
    assert_false(acd_sip_digest_nonce_fresh(s, 1000, "k2", 300)); /* another process */
    n[20] = n[20] == 'a' ? 'b' : 'a';
    assert_false(acd_sip_digest_nonce_fresh(acd_str_from(n), 1000, "k1", 300));
    assert_false(acd_sip_digest_nonce_fresh(ACD_STR("short"), 1000, "k1", 300));
    assert_int_equal(acd_sip_digest_nonce(n, 10, 1000, "k1"), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
