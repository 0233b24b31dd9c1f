/* test_config_token.c - admin.token_file: the token read at load, and every refusal. */
#include "config_cases.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define BASE                                                                                       \
    "site: {name: one, address: 192.0.2.10}\n"                                                     \
    "tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n"                                     \
    "queues: [{name: main, tenant: demo}]\n"                                                       \
    "agents: [{id: \"2001\", queues: [main]}]\n"

static char dir[64];

static int dir_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/acd-token-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int dir_teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Writes text to <dir>/name with mode; returns the path (static buffer per call site). */
static const char *token_file(const char *name, const char *text, mode_t mode, char *path,
                              size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

/* BASE plus an admin section naming path. */
static const char *with_file(const char *path, char *yaml, size_t len)
{
    snprintf(yaml, len, BASE "admin: {port: 0, token_file: \"%s\"}\n", path);
    return yaml;
}

static void test_token_read(void **state)
{
    char path[128], yaml[512];
    (void)state;
    acd_config_t *cfg = cfg_load_ok(BASE);
    assert_null(cfg->admin_token);
    assert_null(cfg->admin_token_file);
    acd_config_free(cfg);

    /* A newline (or CRLF) after the token is not part of it; group read is allowed. */
    token_file("t1", "abcDEF0123456789-._~+/==\n", 0640, path, sizeof(path));
    cfg = cfg_load_ok(with_file(path, yaml, sizeof(yaml)));
    assert_string_equal(cfg->admin_token, "abcDEF0123456789-._~+/==");
    assert_string_equal(cfg->admin_token_file, path);

    /* The token survives the merge with a cluster's shared config, as a deep copy. */
    acd_config_t *shared =
        cfg_shared_load_ok("queues: [{name: q2, tenant: t2}]\n"
                           "tenants: [{name: t2, dids: [\"2000\"], queue: q2}]\n");
    acd_config_t *merged = NULL;
    assert_int_equal(acd_config_merge(cfg, shared, &merged), 0);
    assert_string_equal(merged->admin_token, cfg->admin_token);
    assert_ptr_not_equal(merged->admin_token, cfg->admin_token);
    acd_config_free(merged);
    acd_config_free(shared);
    acd_config_free(cfg);

    token_file("t2", "0123456789abcdef\r\n", 0600, path, sizeof(path));
    cfg = cfg_load_ok(with_file(path, yaml, sizeof(yaml)));
    assert_string_equal(cfg->admin_token, "0123456789abcdef");
    acd_config_free(cfg);
}

static void test_token_refused(void **state)
{
    char paths[8][128], yamls[8][512];
    (void)state;
    const char *open_file = token_file("o", "0123456789abcdef\n", 0644, paths[0], 128);
    const char *short_file = token_file("s", "short\n", 0600, paths[1], 128);
    const char *space_file = token_file("sp", "0123456789 abcdef\n", 0600, paths[2], 128);
    const char *two_lines = token_file("two", "0123456789abcdef\nsecond\n", 0600, paths[3], 128);
    const char *eq_inside = token_file("eq", "0123456789=abcdef\n", 0600, paths[4], 128);
    snprintf(paths[5], 128, "%s/missing", dir);
    const cfg_err_case_t cases[] = {
        {"world-readable", with_file(open_file, yamls[0], 512), 5,
         "can be read or written by every user (mode 0644)"},
        {"too short", with_file(short_file, yamls[1], 512), 5, "must hold one token of 16..256"},
        {"a space", with_file(space_file, yamls[2], 512), 5, "must hold one token"},
        {"two lines", with_file(two_lines, yamls[3], 512), 5, "must hold one token"},
        {"= inside", with_file(eq_inside, yamls[4], 512), 5, "must hold one token"},
        {"missing", with_file(paths[5], yamls[5], 512), 5, "No such file or directory"},
        {"a directory", with_file(dir, yamls[6], 512), 5, "not a regular file"},
        {"empty", BASE "admin: {token_file: \"\"}\n", 5, "'token_file' must not be empty"},
    };
    cfg_expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_read),
        cmocka_unit_test(test_token_refused),
    };
    return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
