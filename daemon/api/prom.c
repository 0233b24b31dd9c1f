/* prom.c - the Prometheus text exposition format 0.0.4: families, samples, escaping. */
#include "api/prom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s with backslash and newline escaped, and the double quote when quote. */
static int prom_escaped(acd_buf_t *out, const char *s, int quote)
{
    int rc = 0;
    for (const char *c = s ? s : ""; *c && rc == 0; c++) {
        if (*c == '\\')
            rc = acd_buf_append(out, "\\\\", 2);
        else if (*c == '\n')
            rc = acd_buf_append(out, "\\n", 2);
        else if (*c == '"' && quote)
            rc = acd_buf_append(out, "\\\"", 2);
        else
            rc = acd_buf_append(out, c, 1);
    }
    return rc;
}

int acd_prom_number(acd_buf_t *out, double v)
{
    if (isnan(v))
        return acd_buf_append(out, "NaN", 3);
    if (isinf(v))
        return v > 0 ? acd_buf_append(out, "+Inf", 4) : acd_buf_append(out, "-Inf", 4);
    char text[40];
    /* 15 significant digits read back exactly for most values; 17 always do. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return acd_buf_append(out, text, strlen(text));
}

void acd_prom_family(acd_prom_t *p, const char *name, const char *type, const char *help)
{
    if (p->err)
        return;
    int rc = acd_buf_printf(p->out, "# HELP %s ", name);
    if (rc == 0)
        rc = prom_escaped(p->out, help, 0);
    if (rc == 0)
        rc = acd_buf_printf(p->out, "\n# TYPE %s %s\n", name, type);
    p->err = rc;
}

void acd_prom_sample(acd_prom_t *p, const char *name, const acd_prom_label_t *labels, size_t n,
                     double value)
{
    if (p->err)
        return;
    int rc = acd_buf_append(p->out, name, strlen(name));
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = acd_buf_printf(p->out, "%s%s=\"", i ? "," : "{", labels[i].name);
        if (rc == 0)
            rc = prom_escaped(p->out, labels[i].value, 1);
        if (rc == 0)
            rc = acd_buf_append(p->out, "\"", 1);
    }
    if (rc == 0 && n)
        rc = acd_buf_append(p->out, "}", 1);
    if (rc == 0)
        rc = acd_buf_append(p->out, " ", 1);
    if (rc == 0)
        rc = acd_prom_number(p->out, value);
    if (rc == 0)
        rc = acd_buf_append(p->out, "\n", 1);
    p->err = rc;
}
