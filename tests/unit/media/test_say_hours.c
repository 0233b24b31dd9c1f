/* test_say_hours.c - opening hours as prompt names in English and Spanish, with little room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "media/say.h"
#include "util/log.h"

#define MON 0x01u
#define TUE 0x02u
#define WED 0x04u
#define THU 0x08u
#define FRI 0x10u
#define SAT 0x20u
#define SUN 0x40u
#define WEEKDAYS 0x1fu
#define ALL 0x7fu
#define HM(h, m) ((h)*60 + (m))

/* The most names a case below expects, and its spans. */
#define CASE_NAMES 40
#define CASE_SPANS 4

typedef struct hours_case {
    const char *what;
    const char *lang;
    size_t n;
    acd_say_span_t spans[CASE_SPANS];
    const char *want[CASE_NAMES]; /* NULL-terminated; empty: 0 names */
} hours_case_t;

/* The weeks of the cases, each said in both languages. */
/* clang-format off */
#define WEEK_SAT {{WEEKDAYS, HM(9, 0), HM(18, 0)}, {SAT, HM(10, 0), HM(14, 0)}}
#define WEEK_LUNCH {{WEEKDAYS, HM(9, 0), HM(14, 0)}, {WEEKDAYS, HM(15, 0), HM(19, 0)}}
#define WEEK_WED {{WED, HM(10, 0), HM(12, 0)}}
#define WEEK_MINUTES {{WEEKDAYS, HM(9, 5), HM(18, 30)}}
#define WEEK_TWELVE {{SAT, HM(0, 45), HM(12, 30)}}
#define WEEK_MIDNIGHT {{FRI | SAT, HM(22, 0), 1440}, {SUN, 0, HM(6, 0)}}
/* Monday has Wednesday-Friday's hours: one group of two runs, said before Tuesday's. */
#define WEEK_RUNS {{MON | WED | THU | FRI, HM(9, 0), HM(17, 0)}, {TUE, HM(9, 0), HM(13, 0)}}
/* Overlapping and touching spans are one; an invalid one is left out. */
#define WEEK_MERGED \
    {{MON, HM(9, 0), HM(14, 0)}, {MON, HM(14, 0), HM(18, 0)}, {MON, HM(10, 0), HM(11, 0)}, \
     {TUE, HM(18, 0), HM(9, 0)}}
#define WEEK_INVALID {{0, HM(9, 0), HM(18, 0)}, {MON, -1, 60}, {MON, 60, 1441}}

static const hours_case_t hours_cases[] = {
    {"weekdays and saturday", "en", 2, WEEK_SAT,
     {"hours_intro", "day_mon", "word_to", "day_fri", "word_from", "n9", "am", "word_to", "n6",
      "pm", "word_and", "day_sat", "word_from", "n10", "am", "word_to", "n2", "pm"}},
    {"weekdays and saturday", "es", 2, WEEK_SAT,
     {"hours_intro", "word_from_day", "day_mon", "word_to", "day_fri", "word_from", "n9",
      "word_to", "n18", "word_and", "day_sat", "word_from", "n10", "word_to", "n14"}},
    {"lunch split", "en", 2, WEEK_LUNCH,
     {"hours_intro", "day_mon", "word_to", "day_fri", "word_from", "n9", "am", "word_to", "n2",
      "pm", "word_and", "word_from", "n3", "pm", "word_to", "n7", "pm"}},
    {"lunch split", "es", 2, WEEK_LUNCH,
     {"hours_intro", "word_from_day", "day_mon", "word_to", "day_fri", "word_from", "n9",
      "word_to", "n14", "word_and", "word_from", "n15", "word_to", "n19"}},
    {"single day, noon", "en", 1, WEEK_WED,
     {"hours_intro", "day_wed", "word_from", "n10", "am", "word_to", "n12", "pm"}},
    {"single day, noon", "es", 1, WEEK_WED,
     {"hours_intro", "day_wed", "word_from", "n10", "word_to", "n12"}},
    {"minutes 05 and 30", "en", 1, WEEK_MINUTES,
     {"hours_intro", "day_mon", "word_to", "day_fri", "word_from", "n9", "word_oh", "n5", "am",
      "word_to", "n6", "n30", "pm"}},
    {"minutes 05 and 30", "es", 1, WEEK_MINUTES,
     {"hours_intro", "word_from_day", "day_mon", "word_to", "day_fri", "word_from", "n9",
      "word_oh", "n5", "word_to", "n18", "n30"}},
    {"twelve something", "en", 1, WEEK_TWELVE,
     {"hours_intro", "day_sat", "word_from", "n12", "n4x", "n5", "am", "word_to", "n12", "n30",
      "pm"}},
    {"twelve something", "es", 1, WEEK_TWELVE,
     {"hours_intro", "day_sat", "word_from", "n0", "n4x", "n5", "word_to", "n12", "n30"}},
    {"weekdays around the clock", "en", 1, {{WEEKDAYS, 0, 1440}},
     {"hours_intro", "day_mon", "word_to", "day_fri", "all_day"}},
    {"weekdays around the clock", "es", 1, {{WEEKDAYS, 0, 1440}},
     {"hours_intro", "word_from_day", "day_mon", "word_to", "day_fri", "all_day"}},
    {"every day around the clock", "en", 1, {{ALL, 0, 1440}}, {"hours_intro", "always_open"}},
    {"every day, two halves", "es", 2, {{ALL, 0, 720}, {ALL, 720, 1440}},
     {"hours_intro", "always_open"}},
    {"up to and from midnight", "en", 2, WEEK_MIDNIGHT,
     {"hours_intro", "day_fri", "word_and", "day_sat", "word_from", "n10", "pm", "word_to",
      "midnight", "word_and", "day_sun", "word_from", "midnight", "word_to", "n6", "am"}},
    {"up to and from midnight", "es", 2, WEEK_MIDNIGHT,
     {"hours_intro", "day_fri", "word_and", "day_sat", "word_from", "n22", "word_to", "n24",
      "word_and", "day_sun", "word_from", "n0", "word_to", "n6"}},
    {"no spans", "en", 0, {{0}}, {"hours_intro", "always_open"}},
    {"no spans", "es", 0, {{0}}, {"hours_intro", "always_open"}},
    {"runs in a group", "en", 2, WEEK_RUNS,
     {"hours_intro", "day_mon", "word_and", "day_wed", "word_to", "day_fri", "word_from", "n9",
      "am", "word_to", "n5", "pm", "word_and", "day_tue", "word_from", "n9", "am", "word_to",
      "n1", "pm"}},
    {"runs in a group", "es", 2, WEEK_RUNS,
     {"hours_intro", "day_mon", "word_and", "word_from_day", "day_wed", "word_to", "day_fri",
      "word_from", "n9", "word_to", "n17", "word_and", "day_tue", "word_from", "n9", "word_to",
      "n13"}},
    {"merged and ignored", "en", 4, WEEK_MERGED,
     {"hours_intro", "day_mon", "word_from", "n9", "am", "word_to", "n6", "pm"}},
    {"merged and ignored", "es", 4, WEEK_MERGED,
     {"hours_intro", "day_mon", "word_from", "n9", "word_to", "n18"}},
    {"only invalid spans", "en", 3, WEEK_INVALID, {NULL}},
    {"unknown language", "fr", 0, {{0}}, {NULL}},
};
/* clang-format on */

static size_t want_len(const char *const *want)
{
    size_t n = 0;
    while (n < CASE_NAMES && want[n])
        n++;
    return n;
}

static void test_hours_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hours_cases) / sizeof(hours_cases[0]); i++) {
        const hours_case_t *c = &hours_cases[i];
        const char *names[ACD_PROMPT_SAY_HOURS_MAX];
        print_message("case %s (%s)\n", c->what, c->lang);
        size_t got = acd_prompt_say_hours(c->lang, c->spans, c->n, names, ACD_PROMPT_SAY_HOURS_MAX);
        size_t want = want_len(c->want);
        for (size_t j = 0; j < got && j < want; j++)
            assert_string_equal(names[j], c->want[j]);
        assert_int_equal(got, want);
    }
}

typedef struct room_case {
    size_t max, want; /* room given, names written */
} room_case_t;

static void test_hours_room(void **state)
{
    (void)state;
    /* Weekdays and Saturday in English: 10 names to the end of the weekdays, 18 in all. */
    const hours_case_t *c = &hours_cases[0];
    static const room_case_t rooms[] = {
        {0, 0}, {1, 0}, {9, 0}, {10, 10}, {11, 10}, {17, 10}, {18, 18}, {19, 18},
    };
    for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
        const char *names[20];
        for (size_t j = 0; j < 20; j++)
            names[j] = "untouched";
        print_message("max %zu\n", rooms[i].max);
        size_t got = acd_prompt_say_hours(c->lang, c->spans, c->n, names, rooms[i].max);
        assert_int_equal(got, rooms[i].want);
        for (size_t j = 0; j < got; j++)
            assert_string_equal(names[j], c->want[j]);
        /* Nothing past max is ever written. */
        for (size_t j = rooms[i].max; j < 20; j++)
            assert_string_equal(names[j], "untouched");
    }
    const char *names[2] = {"untouched", "untouched"};
    assert_int_equal(acd_prompt_say_hours("en", NULL, 0, names, 1), 0);
    assert_int_equal(acd_prompt_say_hours("en", NULL, 0, names, 2), 2);
    assert_string_equal(names[1], "always_open");
    assert_int_equal(acd_prompt_say_hours("en", NULL, 1, names, 2), 0);
    assert_int_equal(acd_prompt_say_hours("en", NULL, 0, NULL, 2), 0);
    assert_int_equal(acd_prompt_say_hours(NULL, NULL, 0, names, 2), 0);
}

static void test_hours_worst_week(void **state)
{
    (void)state;
    /*
     * Every day different, three spans a day, every time with two-name minutes: the
     * longest phrase ACD_PROMPT_SAY_HOURS_MAX promises to hold.
     */
    acd_say_span_t spans[7 * 3];
    size_t n = 0;
    for (int d = 0; d < 7; d++) {
        for (int k = 0; k < 3; k++)
            spans[n++] =
                (acd_say_span_t){(uint8_t)(1u << d), HM(6 * k + 1, 45), HM(6 * k + 3, 41 + d)};
    }
    const char *names[ACD_PROMPT_SAY_HOURS_MAX];
    /* en: intro, 7 x (day, 3 x from-4-to-4, 2 ands), 6 ands; es: 3 names a time. */
    assert_int_equal(acd_prompt_say_hours("en", spans, n, names, ACD_PROMPT_SAY_HOURS_MAX), 238);
    assert_string_equal(names[237], "pm");
    assert_int_equal(acd_prompt_say_hours("es", spans, n, names, ACD_PROMPT_SAY_HOURS_MAX), 196);
    assert_string_equal(names[195], "n7"); /* Sunday ends at 15:47 */
}

int main(void)
{
    acd_log_init(NULL, ACD_LOG_ERR, "test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hours_table),
        cmocka_unit_test(test_hours_room),
        cmocka_unit_test(test_hours_worst_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
