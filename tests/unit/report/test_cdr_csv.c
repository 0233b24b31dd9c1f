/* test_cdr_csv.c - CSV CDRs: the header, exact rows, RFC 4180 quoting, the same fields as
 * the JSON line, and the writer (header on an empty file only, a row per write, reopen). */
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
#include "report/cdr_csv.h"
#include "util/err.h"

static const char header[] =
    "site,call_id,tenant,did,caller,queue,agent,agent_site,enqueue_time,answer_time,end_time,"
    "wait_s,talk_s,wrapup_s,handle_s,offers,disposition,enqueue_ms,answer_ms,end_ms,priority,"
    "priority_reason,delivery,restored_from,callback\r\n";

static const char answered_row[] =
    "A,A-000123,dental,+34910000001,+34600111222,reception,2001,,2026-11-22T13:04:14.123Z,"
    "2026-11-22T13:04:26.623Z,2026-11-22T13:05:54.000Z,12.500,87.377,30.000,117.377,2,answered,"
    "1795352654123,1795352666623,1795352754000,,,,,\r\n";

static const char abandoned_row[] =
    "A,A-000124,dental,+34910000001,,reception,,,2026-11-22T13:04:14.123Z,,"
    "2026-11-22T13:04:14.128Z,0.005,0.000,0.000,0.000,0,abandoned,1795352654123,,1795352654128,"
    ",,,,\r\n";

static void test_header(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    assert_int_equal(acd_cdr_csv_header(&b), 0);
    assert_string_equal(b.p, header);
    assert_int_equal(acd_cdr_csv_header(NULL), -EINVAL);
    acd_buf_fini(&b);
}

static void test_rows_exact(void **state)
{
    (void)state;
    acd_cdr_t c = answered_cdr();
    acd_buf_t b = {0};
    assert_int_equal(acd_cdr_format_csv(&b, &c, "A"), 0);
    assert_string_equal(b.p, answered_row);
    acd_buf_reset(&b);
    c = abandoned_cdr();
    assert_int_equal(acd_cdr_format_csv(&b, &c, "A"), 0);
    assert_string_equal(b.p, abandoned_row);

    c.disposition = (acd_disposition_t)99;
    assert_int_equal(acd_cdr_format_csv(&b, &c, "A"), -EINVAL);
    assert_int_equal(acd_cdr_format_csv(NULL, &c, "A"), -EINVAL);
    assert_int_equal(acd_cdr_format_csv(&b, NULL, "A"), -EINVAL);
    acd_buf_fini(&b);
}

/* Table: a value, and the field it must become (RFC 4180 2.5-2.7). */
static void test_quoting(void **state)
{
    (void)state;
    static const struct {
        const char *in, *field;
    } cases[] = {
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"", "\"\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"cr\rhere", "\"cr\rhere\""},
        {"crlf\r\n", "\"crlf\r\n\""},
        {"semi;colon tab\t", "semi;colon tab\t"}, /* not special in CSV */
        {"ñandú", "ñandú"},
        {"\xff"
         "600\xc3",
         "?600?"}, /* not UTF-8: replaced, as in the JSON line */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        acd_cdr_t c = abandoned_cdr();
        snprintf(c.tenant, sizeof(c.tenant), "%s", cases[i].in);
        acd_buf_t b = {0};
        assert_int_equal(acd_cdr_format_csv(&b, &c, "A"), 0);
        char want[256];
        snprintf(want, sizeof(want), "A,A-000124,%s,+34910000001,", cases[i].field);
        if (strncmp(b.p, want, strlen(want)) != 0)
            fail_msg("case %zu: got %s want prefix %s", i, b.p, want);
        acd_buf_fini(&b);
    }
}

/* ---- reading CSV back (RFC 4180) ---- */

#define MAX_COLS 32

typedef struct csv_row {
    char *col[MAX_COLS];
    size_t n;
} csv_row_t;

/* Parses one record of *s (advancing past its CRLF) into r; returns false at the end. */
static bool csv_parse(const char **s, csv_row_t *r)
{
    const char *p = *s;
    if (!*p)
        return false;
    r->n = 0;
    for (;;) {
        char buf[512];
        size_t n = 0;
        if (*p == '"') {
            for (p++;; p++) {
                assert_true(*p != '\0');
                if (*p == '"' && p[1] == '"')
                    buf[n++] = *p++;
                else if (*p == '"')
                    break;
                else
                    buf[n++] = *p;
                assert_true(n < sizeof(buf));
            }
            p++;
        } else {
            while (*p && *p != ',' && *p != '\r') {
                assert_true(*p != '\n' && *p != '"'); /* these are quoted */
                buf[n++] = *p++;
            }
        }
        buf[n] = '\0';
        assert_true(r->n < MAX_COLS);
        r->col[r->n++] = strdup(buf);
        if (*p == ',') {
            p++;
            continue;
        }
        assert_true(p[0] == '\r' && p[1] == '\n'); /* every row ends in CRLF */
        *s = p + 2;
        return true;
    }
}

static void csv_row_fini(csv_row_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->col[i]);
    r->n = 0;
}

/* The JSON value's text as the CSV writes it: strings as they are, null as "". */
static const char *json_text(json_object *v)
{
    if (!v)
        return "";
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* The CSV row of c has exactly the JSON line's fields, under the header's names. */
static void assert_same_as_json(const acd_cdr_t *c)
{
    acd_buf_t hb = {0}, rb = {0}, jb = {0};
    assert_int_equal(acd_cdr_csv_header(&hb), 0);
    assert_int_equal(acd_cdr_format_csv(&rb, c, "site,\"x\""), 0);
    assert_int_equal(acd_cdr_format_json(&jb, c, "site,\"x\""), 0);
    csv_row_t names, row;
    const char *hp = hb.p, *rp = rb.p;
    assert_true(csv_parse(&hp, &names));
    assert_true(csv_parse(&rp, &row));
    assert_int_equal(*rp, '\0');
    assert_int_equal(names.n, 25);
    assert_int_equal(row.n, names.n);
    json_object *o = json_tokener_parse(jb.p);
    assert_non_null(o);
    size_t seen = 0;
    for (size_t i = 0; i < names.n; i++) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, names.col[i], &v)) {
            assert_string_equal(row.col[i], ""); /* a key this call does not carry */
            continue;
        }
        seen++;
        assert_string_equal(row.col[i], json_text(v));
    }
    assert_int_equal(seen, (size_t)json_object_object_length(o));
    json_object_put(o);
    csv_row_fini(&names);
    csv_row_fini(&row);
    acd_buf_fini(&hb);
    acd_buf_fini(&rb);
    acd_buf_fini(&jb);
}

static void test_same_fields_as_json(void **state)
{
    (void)state;
    acd_cdr_t a = answered_cdr(), b = abandoned_cdr();
    assert_same_as_json(&a);
    assert_same_as_json(&b);
    a.priority = 10;
    strcpy(a.priority_reason, "vip");
    strcpy(a.delivery, "callback");
    strcpy(a.restored_from, "B-7");
    strcpy(a.agent_site, "B");
    a.callback = true;
    strcpy(a.caller, "Ana, \"la jefa\"\r\n");
    assert_same_as_json(&a);
}

/* ---- the writer ---- */

static void assert_file(const char *path, const char *want)
{
    char *s = slurp(path);
    assert_string_equal(s, want);
    free(s);
}

static void test_writer(void **state)
{
    tmp_t *t = *state;
    acd_cdr_t a = answered_cdr(), b = abandoned_cdr();
    char want[2048];

    /* A new file starts with the header; each record is in the file once written. */
    acd_cdr_writer_t *w = NULL;
    assert_int_equal(acd_cdr_writer_open_format(&w, t->path, "A", &acd_cdr_csv), 0);
    assert_file(t->path, header);
    assert_int_equal(acd_cdr_write(w, &a), 0);
    snprintf(want, sizeof(want), "%s%s", header, answered_row);
    assert_file(t->path, want);
    acd_cdr_writer_close(w);

    /* A file that has rows gets no second header. */
    w = NULL;
    assert_int_equal(acd_cdr_writer_open_format(&w, t->path, "A", &acd_cdr_csv), 0);
    assert_int_equal(acd_cdr_write(w, &b), 0);
    snprintf(want, sizeof(want), "%s%s%s", header, answered_row, abandoned_row);
    assert_file(t->path, want);

    /* logrotate moves it away; the reopened path starts with the header again. */
    assert_int_equal(rename(t->path, t->rotated), 0);
    assert_int_equal(acd_cdr_writer_reopen(w), 0);
    assert_file(t->path, header);
    assert_int_equal(acd_cdr_write(w, &a), 0);
    snprintf(want, sizeof(want), "%s%s", header, answered_row);
    assert_file(t->path, want);
    snprintf(want, sizeof(want), "%s%s%s", header, answered_row, abandoned_row);
    assert_file(t->rotated, want);

    /* copytruncate empties it in place: the next reopen writes the header. */
    assert_int_equal(truncate(t->path, 0), 0);
    assert_int_equal(acd_cdr_writer_reopen(w), 0);
    assert_int_equal(acd_cdr_write(w, &b), 0);
    snprintf(want, sizeof(want), "%s%s", header, abandoned_row);
    assert_file(t->path, want);
    acd_cdr_writer_close(w);

    /* The JSON writer, on the same path machinery, never writes a header. */
    assert_int_equal(unlink(t->path), 0);
    w = NULL;
    assert_int_equal(acd_cdr_writer_open(&w, t->path, "A"), 0);
    assert_file(t->path, "");
    acd_cdr_writer_close(w);
}

static void test_writer_errors(void **state)
{
    tmp_t *t = *state;
    char path[192];
    snprintf(path, sizeof(path), "%s/no/such/dir/cdr.csv", t->dir);
    acd_cdr_writer_t *w = (acd_cdr_writer_t *)(uintptr_t)1;
    assert_int_equal(acd_cdr_writer_open_format(&w, path, "A", &acd_cdr_csv), -ENOENT);
    assert_ptr_equal(w, (acd_cdr_writer_t *)(uintptr_t)1);
    assert_int_equal(acd_cdr_writer_open_format(&w, t->path, "A", NULL), -EINVAL);
    static const acd_cdr_format_t no_record = {.name = "none"};
    assert_int_equal(acd_cdr_writer_open_format(&w, t->path, "A", &no_record), -EINVAL);
    assert_ptr_equal(w, (acd_cdr_writer_t *)(uintptr_t)1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_rows_exact),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_same_fields_as_json),
        cmocka_unit_test_setup_teardown(test_writer, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writer_errors, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
