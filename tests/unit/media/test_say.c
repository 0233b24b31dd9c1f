/* test_say.c - numbers as prompt names, and that deploy/prompts has every prompt named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "media/say.h"
#include "util/log.h"

typedef struct say_case {
    int n;
    const char *number[2]; /* acd_prompt_say_number(); NULL: no name */
    const char *count[2];  /* acd_prompt_say_count() */
} say_case_t;

static const say_case_t say_cases[] = {
    {0, {"n0"}, {"n0"}},
    {1, {"n1"}, {"n1m"}},
    {2, {"n2"}, {"n2"}},
    {9, {"n9"}, {"n9"}},
    {10, {"n10"}, {"n10"}},
    {15, {"n15"}, {"n15"}},
    {16, {"n16"}, {"n16"}},
    {20, {"n20"}, {"n20"}},
    {21, {"n21"}, {"n21m"}},
    {23, {"n23"}, {"n23"}},
    {29, {"n29"}, {"n29"}},
    {30, {"n30"}, {"n30"}},
    {31, {"n3x", "n1"}, {"n3x", "n1m"}},
    {33, {"n3x", "n3"}, {"n3x", "n3"}},
    {40, {"n40"}, {"n40"}},
    {45, {"n4x", "n5"}, {"n4x", "n5"}},
    {60, {"n60"}, {"n60"}},
    {61, {"n6x", "n1"}, {"n6x", "n1m"}},
    {77, {"n7x", "n7"}, {"n7x", "n7"}},
    {90, {"n90"}, {"n90"}},
    {99, {"n9x", "n9"}, {"n9x", "n9"}},
    {100, {NULL}, {NULL}},
    {-1, {NULL}, {NULL}},
    {1000, {NULL}, {NULL}},
};

static size_t want_len(const char *const want[2])
{
    return want[0] ? (want[1] ? 2 : 1) : 0;
}

static void check(size_t got, const char **names, const char *const want[2])
{
    assert_int_equal(got, want_len(want));
    for (size_t i = 0; i < got; i++)
        assert_string_equal(names[i], want[i]);
}

static void test_say_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(say_cases) / sizeof(say_cases[0]); i++) {
        const say_case_t *c = &say_cases[i];
        const char *names[ACD_PROMPT_SAY_MAX] = {"untouched", "untouched"};
        print_message("case %d\n", c->n);
        check(acd_prompt_say_number(c->n, names, ACD_PROMPT_SAY_MAX), names, c->number);
        check(acd_prompt_say_count(c->n, names, ACD_PROMPT_SAY_MAX), names, c->count);
    }
}

static void test_say_room(void **state)
{
    (void)state;
    const char *names[2] = {"untouched", "untouched"};
    /* Too little room: nothing at all is written, not half a number. */
    assert_int_equal(acd_prompt_say_number(33, names, 1), 0);
    assert_string_equal(names[0], "untouched");
    assert_int_equal(acd_prompt_say_number(30, names, 1), 1);
    assert_string_equal(names[0], "n30");
    assert_int_equal(acd_prompt_say_number(5, names, 0), 0);
    assert_int_equal(acd_prompt_say_number(5, NULL, 2), 0);
    assert_int_equal(acd_prompt_say_count(5, NULL, 2), 0);
}

/* The repository root, from this file's path (CMake compiles it by absolute path). */
static void repo_path(char *out, size_t size, const char *rel)
{
    const char *me = __FILE__;
    const char *tail = strstr(me, "tests/unit/media/test_say.c");
    assert_non_null(tail);
    snprintf(out, size, "%.*s%s", (int)(tail - me), me, rel);
}

static bool has_text(const char *lang, const char *name)
{
    char rel[128], path[PATH_MAX];
    snprintf(rel, sizeof(rel), "deploy/prompts/%s/%s.txt", lang, name);
    repo_path(path, sizeof(path), rel);
    return access(path, R_OK) == 0;
}

/* The prompts callers play by name (issue 5); beep and moh are rendered by sox. */
static const char *const needed[] = {
    "greeting",   "menu_main",      "menu_billing",   "invalid",        "timeout",     "closed",
    "lunch",      "holiday",        "busy_greeting",  "hours",          "dept_closed", "vm_offer",
    "vm_promise", "vm_saved",       "position",       "wait",           "minutes",     "minute",
    "saturated",  "callback_offer", "callback_taken", "callback_intro", "urgent",      "goodbye",
};

/* Checks that every name acd_prompt_say_hours() says for spans has its text in lang. */
static void check_hours(const char *lang, const acd_say_span_t *spans, size_t n)
{
    const char *names[ACD_PROMPT_SAY_HOURS_MAX];
    size_t k = acd_prompt_say_hours(lang, spans, n, names, ACD_PROMPT_SAY_HOURS_MAX);
    assert_true(k > 0);
    for (size_t j = 0; j < k; j++) {
        if (!has_text(lang, names[j]))
            fail_msg("deploy/prompts/%s/%s.txt is missing (opening hours)", lang, names[j]);
    }
}

/*
 * Weeks that make acd_prompt_say_hours() say every name it has: each day alone (with
 * "oh" minutes, a.m. and p.m.), runs of three and two days, a split day, whole days,
 * midnight, and no spans at all.
 */
static void check_hours_names(const char *lang)
{
    for (int d = 0; d < 7; d++) {
        const acd_say_span_t day = {(uint8_t)(1u << d), 9 * 60 + 5, 18 * 60 + 30};
        check_hours(lang, &day, 1);
    }
    static const acd_say_span_t week[] = {
        {0x07, 9 * 60, 14 * 60}, {0x07, 15 * 60, 18 * 60}, {0x18, 0, 1440},
        {0x20, 22 * 60, 1440},   {0x40, 0, 6 * 60},
    };
    check_hours(lang, week, sizeof(week) / sizeof(week[0]));
    check_hours(lang, NULL, 0);
}

static void test_prompt_texts_exist(void **state)
{
    (void)state;
    static const char *const langs[] = {"en", "es"};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
            if (!has_text(langs[l], needed[i]))
                fail_msg("deploy/prompts/%s/%s.txt is missing", langs[l], needed[i]);
        }
        /* Every name either helper can produce has its text. */
        for (int n = 0; n < 100; n++) {
            const char *names[ACD_PROMPT_SAY_MAX];
            size_t k = acd_prompt_say_number(n, names, ACD_PROMPT_SAY_MAX);
            size_t c = acd_prompt_say_count(n, names + k, ACD_PROMPT_SAY_MAX - k);
            for (size_t j = 0; j < k + c; j++) {
                if (!has_text(langs[l], names[j]))
                    fail_msg("deploy/prompts/%s/%s.txt is missing (for %d)", langs[l], names[j], n);
            }
        }
        check_hours_names(langs[l]);
    }
}

static void test_languages_match(void **state)
{
    (void)state;
    /* The same file names in every language: a prompt played in one exists in all. */
    char dir[PATH_MAX];
    repo_path(dir, sizeof(dir), "deploy/prompts/en");
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
        if (!has_text("es", name))
            fail_msg("deploy/prompts/es/%s.txt is missing (en has it)", name);
        n++;
    }
    closedir(d);
    /*
     * 24 phrases, n0..n29, 7 tens alone, 7 tens before a unit, n1m and n21m; for the
     * opening hours 7 days, hours_intro, always_open, all_day, midnight, am, pm and the
     * words to, from, from_day, and, oh.
     */
    assert_int_equal(n, 24 + 30 + 7 + 7 + 2 + 7 + 11);
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_say_table),
        cmocka_unit_test(test_say_room),
        cmocka_unit_test(test_prompt_texts_exist),
        cmocka_unit_test(test_languages_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
