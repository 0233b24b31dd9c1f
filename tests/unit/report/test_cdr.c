/* test_cdr.c - CDR lines: exact JSON, nulls, escaping, handle time, the append-only writer,
 * reopen. */
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cdr_fixture.h"
#include "report/cdr.h"
#include "util/err.h"

static const char answered_json[] =
    "{\"site\":\"A\",\"call_id\":\"A-000123\",\"tenant\":\"dental\",\"did\":\"+34910000001\","
    "\"caller\":\"+34600111222\",\"queue\":\"reception\",\"agent\":\"2001\",\"agent_site\":null,"
    "\"enqueue_time\":\"2026-11-22T13:04:14.123Z\",\"answer_time\":\"2026-11-22T13:04:26.623Z\","
    "\"end_time\":\"2026-11-22T13:05:54.000Z\",\"wait_s\":12.500,\"talk_s\":87.377,"
    "\"wrapup_s\":30.000,\"handle_s\":117.377,\"offers\":2,\"disposition\":\"answered\","
    "\"enqueue_ms\":1795352654123,\"answer_ms\":1795352666623,"
    "\"end_ms\":1795352754000}";

static const char abandoned_json[] =
    "{\"site\":\"A\",\"call_id\":\"A-000124\",\"tenant\":\"dental\",\"did\":\"+34910000001\","
    "\"caller\":\"\",\"queue\":\"reception\",\"agent\":null,\"agent_site\":null,"
    "\"enqueue_time\":\"2026-11-22T13:04:14.123Z\",\"answer_time\":null,"
    "\"end_time\":\"2026-11-22T13:04:14.128Z\",\"wait_s\":0.005,\"talk_s\":0.000,"
    "\"wrapup_s\":0.000,\"handle_s\":0.000,\"offers\":0,\"disposition\":\"abandoned\","
    "\"enqueue_ms\":1795352654123,\"answer_ms\":null,"
    "\"end_ms\":1795352654128}";

static void test_format_exact(void **state)
{
    (void)state;
    acd_cdr_t c = answered_cdr();
    acd_buf_t b = {0};
    assert_int_equal(acd_cdr_format_json(&b, &c, "A"), 0);
    assert_string_equal(b.p, answered_json);

    /* It appends: the API puts records inside a larger document. */
    acd_buf_reset(&b);
    assert_int_equal(acd_buf_append(&b, "[", 1), 0);
    c = abandoned_cdr();
    assert_int_equal(acd_cdr_format_json(&b, &c, "A"), 0);
    assert_string_equal(b.p + 1, abandoned_json);
    assert_int_equal(b.p[0], '[');
    acd_buf_fini(&b);
}

static void test_format_edges(void **state)
{
    (void)state;
    acd_cdr_t c = answered_cdr();
    acd_buf_t b = {0};

    /* Quotes and backslashes are escaped; slashes are left alone. */
    strcpy(c.tenant, "a\"b\\c/d");
    strcpy(c.caller, "\xff"
                     "600\xc3"); /* not UTF-8: replaced, the line stays JSON */
    c.enqueue_ms = 0;
    c.wait_ms = 1000;
    c.talk_ms = 60001;
    c.disposition = ACD_DISP_FAILED;
    assert_int_equal(acd_cdr_format_json(&b, &c, "site/ñ"), 0);
    assert_non_null(strstr(b.p, "\"site\":\"site/ñ\""));
    assert_non_null(strstr(b.p, "\"tenant\":\"a\\\"b\\\\c/d\""));
    assert_non_null(strstr(b.p, "\"caller\":\"?600?\""));
    assert_non_null(strstr(b.p, "\"enqueue_time\":\"1970-01-01T00:00:00.000Z\""));
    assert_non_null(strstr(b.p, "\"wait_s\":1.000,\"talk_s\":60.001,"));
    assert_non_null(strstr(b.p, "\"disposition\":\"failed\""));
    json_object *o = json_tokener_parse(b.p);
    assert_non_null(o);
    json_object_put(o);

    c.disposition = (acd_disposition_t)99;
    assert_int_equal(acd_cdr_format_json(&b, &c, "A"), -EINVAL);
    assert_int_equal(acd_cdr_format_json(NULL, &c, "A"), -EINVAL);
    acd_buf_fini(&b);
}

/* The keys only some calls carry come after end_ms, in the documented order. */
static void test_format_optional(void **state)
{
    (void)state;
    acd_cdr_t c = answered_cdr();
    c.priority = 10;
    strcpy(c.priority_reason, "vip");
    strcpy(c.delivery, "callback");
    strcpy(c.restored_from, "B-000007");
    c.callback = true;
    strcpy(c.agent_site, "B");
    acd_buf_t b = {0};
    assert_int_equal(acd_cdr_format_json(&b, &c, "A"), 0);
    const char *tail =
        "\"end_ms\":1795352754000,\"priority\":10,\"priority_reason\":\"vip\","
        "\"delivery\":\"callback\",\"restored_from\":\"B-000007\",\"callback\":true}";
    assert_true(b.n > strlen(tail));
    assert_string_equal(b.p + b.n - strlen(tail), tail);
    assert_non_null(strstr(b.p, "\"agent\":\"2001\",\"agent_site\":\"B\","));
    json_object *o = json_tokener_parse(b.p);
    assert_non_null(o);
    assert_int_equal(json_object_object_length(o), 25);
    json_object_put(o);
    acd_buf_fini(&b);
}

/* ---- the writer ---- */

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    assert_true(json_object_is_type(v, json_type_string));
    return json_object_get_string(v);
}

static void assert_null_field(json_object *o, const char *key)
{
    json_object *v = (json_object *)(uintptr_t)1;
    assert_true(json_object_object_get_ex(o, key, &v));
    assert_null(v);
}

static void assert_seconds(json_object *o, const char *key, int64_t ms)
{
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    assert_true(json_object_is_type(v, json_type_double));
    double d = json_object_get_double(v);
    assert_true(d > (double)ms / 1000.0 - 0.0005 && d < (double)ms / 1000.0 + 0.0005);
}

/* Checks every field of one parsed line against the record it came from. */
static void assert_record(json_object *o, const acd_cdr_t *c, const char *site,
                          const char *enqueue_t, const char *answer_t, const char *end_t)
{
    assert_int_equal(json_object_object_length(o), 20);
    assert_string_equal(get_str(o, "site"), site);
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, "enqueue_ms", &v));
    assert_int_equal(json_object_get_int64(v), c->enqueue_ms);
    assert_true(json_object_object_get_ex(o, "end_ms", &v));
    assert_int_equal(json_object_get_int64(v), c->end_ms);
    assert_true(json_object_object_get_ex(o, "agent_site", &v));
    if (c->agent_site[0])
        assert_string_equal(json_object_get_string(v), c->agent_site);
    else
        assert_null(v);
    assert_string_equal(get_str(o, "call_id"), c->call_id);
    assert_string_equal(get_str(o, "tenant"), c->tenant);
    assert_string_equal(get_str(o, "did"), c->did);
    assert_string_equal(get_str(o, "caller"), c->caller);
    assert_string_equal(get_str(o, "queue"), c->queue);
    if (c->agent[0])
        assert_string_equal(get_str(o, "agent"), c->agent);
    else
        assert_null_field(o, "agent");
    assert_string_equal(get_str(o, "enqueue_time"), enqueue_t);
    if (answer_t)
        assert_string_equal(get_str(o, "answer_time"), answer_t);
    else
        assert_null_field(o, "answer_time");
    assert_string_equal(get_str(o, "end_time"), end_t);
    assert_seconds(o, "wait_s", c->wait_ms);
    assert_seconds(o, "talk_s", c->talk_ms);
    assert_seconds(o, "wrapup_s", c->wrapup_ms);
    assert_seconds(o, "handle_s", c->talk_ms + c->wrapup_ms);
    v = NULL;
    assert_true(json_object_object_get_ex(o, "offers", &v));
    assert_true(json_object_is_type(v, json_type_int));
    assert_int_equal(json_object_get_int(v), c->offers);
    static const char *const names[] = {
#define NAME(e, s) [e] = s,
        ACD_DISPOSITIONS(NAME)
#undef NAME
    };
    assert_string_equal(get_str(o, "disposition"), names[c->disposition]);
}

/* Splits s into lines (each ending in '\n'), parsing each; returns how many. */
static size_t parse_lines(char *s, json_object **out, size_t max)
{
    size_t n = 0;
    char *line = s;
    while (*line) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every record ends its line */
        *nl = '\0';
        assert_true(n < max);
        out[n] = json_tokener_parse(line);
        assert_non_null(out[n]);
        n++;
        line = nl + 1;
    }
    return n;
}

static void test_writer_appends(void **state)
{
    tmp_t *t = *state;
    acd_cdr_t a = answered_cdr(), b = abandoned_cdr();

    /* Something already in the file stays: the writer only appends. */
    int fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, answered_json, strlen(answered_json)), strlen(answered_json));
    assert_int_equal(write(fd, "\n", 1), 1);
    close(fd);

    acd_cdr_writer_t *w = NULL, *w2 = NULL;
    assert_int_equal(acd_cdr_writer_open(&w, t->path, "A"), 0);
    assert_int_equal(acd_cdr_writer_open(&w2, t->path, "B"), 0);
    assert_int_equal(acd_cdr_write(w, &a), 0);
    assert_int_equal(acd_cdr_write(w2, &b), 0); /* two writers interleave whole lines */
    assert_int_equal(acd_cdr_write(w, &b), 0);
    acd_cdr_writer_close(w2);
    acd_cdr_writer_close(w);

    char *s = slurp(t->path);
    json_object *o[8];
    size_t n = parse_lines(s, o, 8);
    assert_int_equal(n, 4);
    assert_record(o[0], &a, "A", "2026-11-22T13:04:14.123Z", "2026-11-22T13:04:26.623Z",
                  "2026-11-22T13:05:54.000Z");
    assert_record(o[1], &a, "A", "2026-11-22T13:04:14.123Z", "2026-11-22T13:04:26.623Z",
                  "2026-11-22T13:05:54.000Z");
    assert_record(o[2], &b, "B", "2026-11-22T13:04:14.123Z", NULL, "2026-11-22T13:04:14.128Z");
    assert_record(o[3], &b, "A", "2026-11-22T13:04:14.123Z", NULL, "2026-11-22T13:04:14.128Z");
    for (size_t i = 0; i < n; i++)
        json_object_put(o[i]);
    free(s);

    struct stat st;
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* an existing file keeps its mode */
}

static void test_writer_reopen(void **state)
{
    tmp_t *t = *state;
    acd_cdr_t a = answered_cdr(), b = abandoned_cdr();
    acd_cdr_writer_t *w = NULL;
    assert_int_equal(acd_cdr_writer_open(&w, t->path, "A"), 0);
    struct stat st;
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640 & ~mask);
    assert_int_equal(acd_cdr_write(w, &a), 0);

    /* logrotate renames the file, then SIGHUP makes acdd reopen the path. */
    assert_int_equal(rename(t->path, t->rotated), 0);
    assert_int_equal(acd_cdr_write(w, &a), 0); /* still the renamed file */
    assert_int_equal(acd_cdr_writer_reopen(w), 0);
    assert_int_equal(acd_cdr_write(w, &b), 0);
    acd_cdr_writer_close(w);

    json_object *o[4];
    char *old = slurp(t->rotated);
    assert_int_equal(parse_lines(old, o, 4), 2);
    assert_string_equal(get_str(o[0], "call_id"), "A-000123");
    assert_string_equal(get_str(o[1], "call_id"), "A-000123");
    json_object_put(o[0]);
    json_object_put(o[1]);
    free(old);
    char *cur = slurp(t->path);
    assert_int_equal(parse_lines(cur, o, 4), 1);
    assert_record(o[0], &b, "A", "2026-11-22T13:04:14.123Z", NULL, "2026-11-22T13:04:14.128Z");
    json_object_put(o[0]);
    free(cur);
}

static void test_writer_errors(void **state)
{
    tmp_t *t = *state;
    char path[192];
    snprintf(path, sizeof(path), "%s/no/such/dir/cdr.jsonl", t->dir);
    acd_cdr_writer_t *w = (acd_cdr_writer_t *)(uintptr_t)1;
    assert_int_equal(acd_cdr_writer_open(&w, path, "A"), -ENOENT);
    assert_ptr_equal(w, (acd_cdr_writer_t *)(uintptr_t)1); /* untouched on failure */
    assert_int_equal(acd_cdr_writer_open(&w, "", "A"), -EINVAL);
    assert_int_equal(acd_cdr_writer_open(&w, t->path, NULL), -EINVAL);
    assert_int_equal(acd_cdr_writer_open(NULL, t->path, "A"), -EINVAL);
    assert_int_equal(acd_cdr_write(NULL, NULL), -EINVAL);
    assert_int_equal(acd_cdr_writer_reopen(NULL), -EINVAL);
    acd_cdr_writer_close(NULL);

    /* When the path cannot be opened again, reopen fails and the old file stays in use. */
    acd_cdr_writer_t *ok = NULL;
    assert_int_equal(acd_cdr_writer_open(&ok, t->path, "A"), 0);
    assert_int_equal(rename(t->path, t->rotated), 0);
    assert_int_equal(mkdir(t->path, 0700), 0);
    assert_int_equal(acd_cdr_writer_reopen(ok), -EISDIR);
    acd_cdr_t a = answered_cdr();
    assert_int_equal(acd_cdr_write(ok, &a), 0);
    acd_cdr_writer_close(ok);
    assert_int_equal(rmdir(t->path), 0);
    json_object *o[2];
    char *s = slurp(t->rotated);
    assert_int_equal(parse_lines(s, o, 2), 1);
    json_object_put(o[0]);
    free(s);
}

/* "-" is stdout, which the writer must never close. */
static void test_writer_stdout(void **state)
{
    (void)state;
    acd_cdr_writer_t *w = NULL;
    assert_int_equal(acd_cdr_writer_open(&w, "-", "A"), 0);
    acd_cdr_t c = abandoned_cdr();
    assert_int_equal(acd_cdr_write(w, &c), 0);
    assert_int_equal(acd_cdr_writer_reopen(w), 0);
    acd_cdr_writer_close(w);
    assert_true(fcntl(STDOUT_FILENO, F_GETFD) != -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_format_edges),
        cmocka_unit_test(test_format_optional),
        cmocka_unit_test_setup_teardown(test_writer_appends, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writer_reopen, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writer_errors, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_writer_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
