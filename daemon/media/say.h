/* say.h - numbers and opening hours as sequences of prompt names ("n20", "n3x", "n3" ...). */
#ifndef ACD_MEDIA_SAY_H
#define ACD_MEDIA_SAY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The number prompts of every language (deploy/prompts/<lang>/<name>.txt), chosen so
 * one scheme is correct in English and Spanish alike:
 *   n0 .. n29   each number a prompt of its own ("twenty three" / "veintitrés": Spanish
 *               writes 16-29 as one word)
 *   n30 .. n90  the tens said alone ("thirty" / "treinta")
 *   n3x .. n9x  the tens before a unit ("thirty" / "treinta y")
 *   n1m, n21m   the forms before a masculine noun ("one" / "un", "twenty one" /
 *               "veintiún"), used by acd_prompt_say_count()
 * So 33 is {"n3x", "n3"}: "thirty three" / "treinta y tres".
 */

/* Most names one number takes. */
#define ACD_PROMPT_SAY_MAX 2

/*
 * Writes the prompt names that say n (0..99) as a number on its own ("caller number
 * twenty one" / "número veintiuno") into names (max entries). The names are static
 * strings. Returns how many were written (1 or 2), or 0 when n is outside 0..99, names
 * is NULL or max is too small (nothing is written then).
 */
size_t acd_prompt_say_number(int n, const char **names, size_t max);

/*
 * As acd_prompt_say_number(), but for a count before a masculine noun such as
 * "minutes"/"minutos": a final one is "n1m" and 21 is "n21m" ("veintiún minutos",
 * "treinta y un minutos"). The noun itself (minute/minutes) is the caller's choice.
 */
size_t acd_prompt_say_count(int n, const char **names, size_t max);

/*
 * Opening hours, with the meaning of acd_sched_span_t (media does not include acd/
 * headers): [start_min, end_min) in minutes after local midnight on each weekday in days,
 * bit 0 = Monday .. bit 6 = Sunday; 0 <= start_min < end_min <= 1440.
 */
typedef struct acd_say_span {
    uint8_t days;
    int start_min, end_min;
} acd_say_span_t;

/* Names enough for any week with at most three spans a day (the worst case is 238). */
#define ACD_PROMPT_SAY_HOURS_MAX 256

/*
 * Writes into names (max entries) the prompt names that say the opening hours spans[0..n)
 * in lang ("en" or "es"); the names are static strings. The phrase is "hours_intro"
 * ("Our office hours are" / "Nuestro horario es") and then one group per set of days
 * with the same hours, in week order, joined by "word_and":
 *   - the days as runs of consecutive days, joined by "word_and": three or more as
 *     "day_mon" "word_to" "day_fri" (Spanish puts "word_from_day" first: "de lunes a
 *     viernes"), two as "day_sat" "word_and" "day_sun", one as "day_sat"; the week runs
 *     Monday to Sunday and does not wrap;
 *   - then each span of those days, joined by "word_and": "word_from" START "word_to"
 *     END, or "all_day" ("twenty-four hours") for 0..1440. A time is said with the number
 *     prompts: English in 12-hour form, hour, minutes, then "am" or "pm" (12:00 is
 *     "twelve pm", 0:00 and 24:00 are "midnight"); Spanish in 24-hour form, hour then
 *     minutes (18:30 "dieciocho treinta", 0:00 "cero", 24:00 "veinticuatro"). Minutes
 *     1..9 are "word_oh" and the digit ("nine oh five" / "nueve cero cinco").
 * Overlapping or touching spans of a day are said as one ("9-14" and "14-18" is 9 to 6).
 * n == 0, or every day open 0..1440, is {"hours_intro", "always_open"}. Spans outside the
 * ranges above, or with no days, are ignored.
 *
 * Returns how many names were written. When the whole phrase does not fit in max, it
 * stops after the last group that fit whole (never in the middle of a day or a time) and
 * returns that count; 0 when not even the first group fits, lang is neither "en" nor
 * "es", names or lang is NULL, spans is NULL with n > 0, or no span is valid. Entries of
 * names past the returned count may have been overwritten.
 */
size_t acd_prompt_say_hours(const char *lang, const acd_say_span_t *spans, size_t n,
                            const char **names, size_t max);

#endif
