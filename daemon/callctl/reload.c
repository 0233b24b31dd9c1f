/* reload.c - a configuration reload that says what it changed (POST /v1/reload). */
#include "callctl/control.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "callctl/callctl_int.h"

/* The names of one list of a config: tenants, queues, agents or trunks. */
typedef struct reload_names {
    const char **v;
    size_t n;
} reload_names_t;

#define RELOAD_LISTS 4
static const char *const reload_lists[RELOAD_LISTS] = {"tenants", "queues", "agents", "trunks"};

/* Copies the names of cfg's four lists (strdup'ed: cfg goes away during the reload). */
static int reload_names(const acd_config_t *cfg, reload_names_t out[RELOAD_LISTS])
{
    size_t n[RELOAD_LISTS] = {cfg->n_tenants, cfg->n_queues, cfg->n_agents, cfg->n_trunks};
    int rc = 0;
    for (size_t l = 0; l < RELOAD_LISTS; l++) {
        out[l].n = 0;
        out[l].v = calloc(n[l] ? n[l] : 1, sizeof(*out[l].v));
        if (!out[l].v) {
            rc = -ENOMEM;
            continue;
        }
        for (size_t i = 0; i < n[l]; i++) {
            const char *name = l == 0   ? cfg->tenants[i].name
                               : l == 1 ? cfg->queues[i].name
                               : l == 2 ? cfg->agents[i].id
                                        : cfg->trunks[i].name;
            if (!(out[l].v[out[l].n] = strdup(name ? name : "")))
                rc = -ENOMEM;
            else
                out[l].n++;
        }
    }
    return rc;
}

static void reload_names_fini(reload_names_t v[RELOAD_LISTS])
{
    for (size_t l = 0; l < RELOAD_LISTS; l++) {
        for (size_t i = 0; v[l].v && i < v[l].n; i++)
            free((char *)v[l].v[i]);
        free(v[l].v);
        v[l].v = NULL;
        v[l].n = 0;
    }
}

static bool reload_has(const reload_names_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0)
            return true;
    return false;
}

/* {"tenants": [names of a's not in b], ...}; *any set when one list is not empty. */
static json_object *reload_minus(const reload_names_t a[RELOAD_LISTS],
                                 const reload_names_t b[RELOAD_LISTS], bool *any)
{
    json_object *o = json_object_new_object();
    for (size_t l = 0; l < RELOAD_LISTS; l++) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < a[l].n; i++) {
            if (!reload_has(&b[l], a[l].v[i])) {
                json_object_array_add(arr, json_object_new_string(a[l].v[i]));
                *any = true;
            }
        }
        json_object_object_add(o, reload_lists[l], arr);
    }
    return o;
}

int acd_callctl_reload_report(acd_callctl_t *cc, acd_config_t *cfg, struct json_object *answer)
{
    reload_names_t before[RELOAD_LISTS] = {{0}}, after[RELOAD_LISTS] = {{0}};
    char *path = strdup(cfg->path ? cfg->path : "");
    int rc = path ? reload_names(cc->cfg, before) : -ENOMEM;
    if (rc == 0)
        rc = acd_callctl_reload(cc, cfg);
    if (rc == 0 && answer) {
        bool any = false;
        (void)reload_names(cc->cfg, after); /* a short list on ENOMEM only shortens the report */
        json_object_object_add(answer, "reloaded", json_object_new_boolean(true));
        json_object_object_add(answer, "config", json_object_new_string(path));
        json_object_object_add(answer, "added", reload_minus(after, before, &any));
        json_object_object_add(answer, "removed", reload_minus(before, after, &any));
        json_object_object_add(answer, "lists_changed", json_object_new_boolean(any));
        for (size_t l = 0; l < RELOAD_LISTS; l++)
            json_object_object_add(answer, reload_lists[l],
                                   json_object_new_int64((int64_t)after[l].n));
    }
    reload_names_fini(before);
    reload_names_fini(after);
    free(path);
    return rc;
}
