/* prom.h - a writer of the Prometheus text exposition format 0.0.4. */
#ifndef ACD_API_PROM_H
#define ACD_API_PROM_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Writes metric families into a buffer: each family's HELP and TYPE lines once, then its
 * samples, which must follow before the next family starts (the format wants a family's
 * lines together). Label values are escaped (backslash, double quote, newline), HELP
 * text too (backslash, newline); values print as the shortest decimal that reads back
 * exactly, NaN, +Inf or -Inf. A failed allocation is remembered in err (-ENOMEM) and
 * makes every later call a no-op, so a caller checks once at the end.
 */
typedef struct acd_prom {
    acd_buf_t *out;
    int err;
} acd_prom_t;

typedef struct acd_prom_label {
    const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not checked */
    const char *value; /* any UTF-8; NULL is "" */
} acd_prom_label_t;

/* Starts family name of type ("counter", "gauge", "histogram") with its help text. */
void acd_prom_family(acd_prom_t *p, const char *name, const char *type, const char *help);

/* One sample: name{labels...} value. name is the family's, or with a histogram's
 * _bucket / _sum / _count suffix. n may be 0 (no braces). */
void acd_prom_sample(acd_prom_t *p, const char *name, const acd_prom_label_t *labels, size_t n,
                     double value);

/* Appends the shortest text of v that reads back as v ("NaN", "+Inf", "-Inf"). */
int acd_prom_number(acd_buf_t *out, double v);

#endif
