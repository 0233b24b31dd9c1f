/* say_hours.c - a tenant's opening hours as prompt names, in English or Spanish (see say.h). */
#include "media/say.h"

#include <stdbool.h>
#include <string.h>

#define HOURS_DAYS 7
#define HOURS_DAY_MIN 1440

/*
 * The week as one bit per minute: the canonical form of any list of spans, so days are
 * compared with memcmp() and overlapping or touching spans come out as one.
 */
typedef struct hours_week {
    uint8_t open[HOURS_DAYS][HOURS_DAY_MIN / 8];
} hours_week_t;

/* Where the names go: out of room sets full and every later push is a no-op. */
typedef struct hours_out {
    const char **names;
    size_t max, n;
    bool full;
} hours_out_t;

/* What differs between languages: how a time is said and how a run of days opens. */
typedef struct hours_lang {
    const char *lang;
    bool from_day; /* "de lunes a viernes": "word_from_day" before a run of three or more */
    void (*time)(hours_out_t *out, int min);
} hours_lang_t;

static const char *const hours_day_names[HOURS_DAYS] = {
    "day_mon", "day_tue", "day_wed", "day_thu", "day_fri", "day_sat", "day_sun",
};

static void hours_push(hours_out_t *out, const char *name)
{
    if (out->full || out->n == out->max) {
        out->full = true;
        return;
    }
    out->names[out->n++] = name;
}

static void hours_number(hours_out_t *out, int n)
{
    if (out->full)
        return;
    size_t k = acd_prompt_say_number(n, out->names + out->n, out->max - out->n);
    if (k == 0)
        out->full = true; /* n is always 0..99 here: only the room can be short */
    out->n += k;
}

/* Minutes past the hour: none for 0, "oh five" / "cero cinco" for 1..9. */
static void hours_minutes(hours_out_t *out, int mm)
{
    if (mm == 0)
        return;
    if (mm < 10)
        hours_push(out, "word_oh");
    hours_number(out, mm);
}

/* "nine am", "six thirty pm", "twelve pm" at noon, "midnight" at 0:00 and 24:00. */
static void hours_time_en(hours_out_t *out, int min)
{
    if (min == 0 || min == HOURS_DAY_MIN) {
        hours_push(out, "midnight");
        return;
    }
    int h = min / 60;
    hours_number(out, h % 12 == 0 ? 12 : h % 12);
    hours_minutes(out, min % 60);
    hours_push(out, h < 12 ? "am" : "pm");
}

/* "nueve", "dieciocho treinta", "cero" at 0:00, "veinticuatro" at 24:00. */
static void hours_time_es(hours_out_t *out, int min)
{
    hours_number(out, min / 60);
    hours_minutes(out, min % 60);
}

static const hours_lang_t hours_langs[] = {
    {.lang = "en", .from_day = false, .time = hours_time_en},
    {.lang = "es", .from_day = true, .time = hours_time_es},
};

static const hours_lang_t *hours_lang_find(const char *lang)
{
    for (size_t i = 0; i < sizeof(hours_langs) / sizeof(hours_langs[0]); i++) {
        if (strcmp(hours_langs[i].lang, lang) == 0)
            return &hours_langs[i];
    }
    return NULL;
}

static bool hours_bit(const uint8_t *day, int min)
{
    return day[min / 8] & (1u << (min % 8));
}

/* Sets the bits of every valid span; returns whether any was valid. */
static bool hours_week_fill(hours_week_t *week, const acd_say_span_t *spans, size_t n)
{
    bool any = false;
    memset(week, 0, sizeof(*week));
    for (size_t i = 0; i < n; i++) {
        const acd_say_span_t *s = &spans[i];
        if (s->start_min < 0 || s->end_min > HOURS_DAY_MIN || s->start_min >= s->end_min ||
            !(s->days & 0x7fu))
            continue;
        any = true;
        for (int d = 0; d < HOURS_DAYS; d++) {
            if (!(s->days & (1u << d)))
                continue;
            for (int m = s->start_min; m < s->end_min; m++)
                week->open[d][m / 8] |= (uint8_t)(1u << (m % 8));
        }
    }
    return any;
}

static bool hours_day_closed(const uint8_t *day)
{
    for (size_t i = 0; i < HOURS_DAY_MIN / 8; i++) {
        if (day[i])
            return false;
    }
    return true;
}

static bool hours_day_all(const uint8_t *day)
{
    for (size_t i = 0; i < HOURS_DAY_MIN / 8; i++) {
        if (day[i] != 0xff)
            return false;
    }
    return true;
}

static bool hours_same(const hours_week_t *week, int a, int b)
{
    return memcmp(week->open[a], week->open[b], sizeof(week->open[a])) == 0;
}

/* The days of the group of day first (the open days with its hours), as runs. */
static void hours_say_days(hours_out_t *out, const hours_lang_t *l, const hours_week_t *week,
                           int first)
{
    bool joined = false;
    for (int d = first; d < HOURS_DAYS;) {
        if (!hours_same(week, first, d)) {
            d++;
            continue;
        }
        int last = d;
        while (last + 1 < HOURS_DAYS && hours_same(week, first, last + 1))
            last++;
        if (joined)
            hours_push(out, "word_and");
        joined = true;
        if (last - d >= 2 && l->from_day)
            hours_push(out, "word_from_day");
        hours_push(out, hours_day_names[d]);
        if (last > d) {
            hours_push(out, last - d >= 2 ? "word_to" : "word_and");
            hours_push(out, hours_day_names[last]);
        }
        d = last + 1;
    }
}

/* Each span of one day: "from START to END", or "all_day" for the whole day. */
static void hours_say_spans(hours_out_t *out, const hours_lang_t *l, const uint8_t *day)
{
    if (hours_day_all(day)) {
        hours_push(out, "all_day");
        return;
    }
    bool joined = false;
    for (int m = 0; m < HOURS_DAY_MIN;) {
        if (!hours_bit(day, m)) {
            m++;
            continue;
        }
        int end = m;
        while (end < HOURS_DAY_MIN && hours_bit(day, end))
            end++;
        if (joined)
            hours_push(out, "word_and");
        joined = true;
        hours_push(out, "word_from");
        l->time(out, m);
        hours_push(out, "word_to");
        l->time(out, end);
        m = end;
    }
}

size_t acd_prompt_say_hours(const char *lang, const acd_say_span_t *spans, size_t n,
                            const char **names, size_t max)
{
    const hours_lang_t *l = lang ? hours_lang_find(lang) : NULL;
    if (!l || !names || (n > 0 && !spans))
        return 0;
    hours_out_t out = {.names = names, .max = max};
    hours_week_t week;
    if (n > 0 && !hours_week_fill(&week, spans, n))
        return 0;
    hours_push(&out, "hours_intro");
    bool always = n == 0;
    for (int d = 0; !always && d < HOURS_DAYS && hours_day_all(week.open[d]); d++)
        always = d == HOURS_DAYS - 1;
    if (always) {
        hours_push(&out, "always_open");
        return out.full ? 0 : out.n;
    }
    /*
     * A group is said at the first day of its hours; a later day with the same hours was
     * said with it. done is the count after the last group that fit whole.
     */
    size_t done = 0;
    for (int d = 0; d < HOURS_DAYS; d++) {
        bool said = hours_day_closed(week.open[d]);
        for (int e = 0; !said && e < d; e++)
            said = hours_same(&week, e, d);
        if (said)
            continue;
        if (done)
            hours_push(&out, "word_and");
        hours_say_days(&out, l, &week, d);
        hours_say_spans(&out, l, week.open[d]);
        if (out.full)
            break;
        done = out.n;
    }
    return done;
}
