/* say.h - numbers as sequences of prompt names ("n20", "n3x", "n3" ...), for every language. */
#ifndef ACD_MEDIA_SAY_H
#define ACD_MEDIA_SAY_H

#include <stddef.h>

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

#endif
