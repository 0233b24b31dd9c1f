/* say.c - numbers 0..99 as prompt names, one scheme for English and Spanish (see say.h). */
#include "media/say.h"

#include <stdbool.h>

static const char *const say_units[30] = {
    "n0",  "n1",  "n2",  "n3",  "n4",  "n5",  "n6",  "n7",  "n8",  "n9",
    "n10", "n11", "n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19",
    "n20", "n21", "n22", "n23", "n24", "n25", "n26", "n27", "n28", "n29",
};

/* Indexed by the tens digit, 3..9. */
static const char *const say_tens[10] = {
    [3] = "n30", [4] = "n40", [5] = "n50", [6] = "n60", [7] = "n70", [8] = "n80", [9] = "n90",
};
static const char *const say_tens_and[10] = {
    [3] = "n3x", [4] = "n4x", [5] = "n5x", [6] = "n6x", [7] = "n7x", [8] = "n8x", [9] = "n9x",
};

/* The unit or whole number below 30 (count: the masculine forms of 1 and 21). */
static const char *say_small(int n, bool count)
{
    if (count && n == 1)
        return "n1m";
    if (count && n == 21)
        return "n21m";
    return say_units[n];
}

static size_t say(int n, const char **names, size_t max, bool count)
{
    if (n < 0 || n > 99 || !names || max == 0)
        return 0;
    if (n < 30) {
        names[0] = say_small(n, count);
        return 1;
    }
    if (n % 10 == 0) {
        names[0] = say_tens[n / 10];
        return 1;
    }
    if (max < 2)
        return 0;
    names[0] = say_tens_and[n / 10];
    names[1] = say_small(n % 10, count);
    return 2;
}

size_t acd_prompt_say_number(int n, const char **names, size_t max)
{
    return say(n, names, max, false);
}

size_t acd_prompt_say_count(int n, const char **names, size_t max)
{
    return say(n, names, max, true);
}
