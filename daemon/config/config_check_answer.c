/* config_check_answer.c - checks across the answering settings: spans, menus, targets, skills. */
#include "config/config_int.h"

#include <stdio.h>
#include <string.h>

/* What a check is looking at, for its messages ("option 1 of menu 'main'"). */
typedef struct answer_where {
    const acd_cfg_tenant_t *tenant;
    const acd__cfg_index_t *menus;  /* the tenant's menus by name */
    const acd__cfg_index_t *queues; /* every queue by name */
} answer_where_t;

/* ---- spans ---------------------------------------------------------------------------------- */

static void answer_hhmm(int min, char *out, size_t len)
{
    snprintf(out, len, "%02d:%02d", min / 60, min % 60);
}

/*
 * Each span of v (n of them) must end after it starts. Times left unset by a bad value
 * (negative) were reported already. list names the list ("hours"); from and to its keys.
 */
static void answer_spans(acd__cfg_ctx_t *ctx, const acd_cfg_tenant_t *t, const char *list,
                         const char *from, const char *to, const acd_cfg_span_t *v, size_t n,
                         size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        const acd_cfg_span_t *s = (const acd_cfg_span_t *)((const char *)v + i * stride);
        if (s->start_min < 0 || s->end_min < 0 || s->start_min < s->end_min)
            continue;
        char a[24], b[24];
        answer_hhmm(s->start_min, a, sizeof(a));
        answer_hhmm(s->end_min, b, sizeof(b));
        acd__cfg_error(ctx, acd__cfg_line_of(ctx, &s->end_min),
                       "'%s' %s must be later than '%s' %s (%s entry %zu of tenant '%s'); a span"
                       " cannot cross midnight: write two",
                       to, b, from, a, list, i + 1, t->name);
    }
}

/* ---- targets -------------------------------------------------------------------------------- */

/* A queue a tenant's setting names: it exists and is the tenant's own. */
static void answer_queue(acd__cfg_ctx_t *ctx, const answer_where_t *w, acd_str_t name, int line,
                         const char *what)
{
    const acd__cfg_index_entry_t *qe = acd__cfg_index_find(w->queues, name);
    if (!qe) {
        acd__cfg_error(ctx, line, "%s of tenant '%s' names unknown queue '%.*s'", what,
                       w->tenant->name, ACD_STR_FMT(name));
        return;
    }
    const acd_cfg_queue_t *q = qe->obj;
    if (q->tenant && strcmp(q->tenant, w->tenant->name) != 0)
        acd__cfg_error(ctx, line,
                       "%s of tenant '%s' names queue '%s', which belongs to tenant '%s'", what,
                       w->tenant->name, q->name, q->tenant);
}

/* The names a target holds resolve: queues of the tenant, menus of its IVR. */
static void answer_target(acd__cfg_ctx_t *ctx, const answer_where_t *w, const char *text, int line,
                          const char *what)
{
    acd__cfg_target_t tg;
    if (!text || acd__cfg_target_parse(text, &tg) < 0)
        return; /* reported by the reader */
    if (tg.kind == ACD__CFG_T_QUEUE) {
        answer_queue(ctx, w, tg.name, line, what);
    } else if (tg.kind == ACD__CFG_T_MENU && !acd__cfg_index_find(w->menus, tg.name)) {
        acd__cfg_error(ctx, line,
                       "%s of tenant '%s' goes to '%s', but the tenant has no menu '%.*s'", what,
                       w->tenant->name, text, ACD_STR_FMT(tg.name));
    }
}

/* ---- the IVR -------------------------------------------------------------------------------- */

/* Menu names are unique; fills menus with them. */
static void answer_menu_names(acd__cfg_ctx_t *ctx, const acd_cfg_tenant_t *t,
                              acd__cfg_index_t *menus)
{
    for (size_t i = 0; i < t->n_menus; i++) {
        const acd_cfg_menu_t *m = &t->menus[i];
        if (!m->name)
            continue;
        int line = acd__cfg_line_of(ctx, &m->name);
        const acd__cfg_index_entry_t *old =
            acd__cfg_index_add(ctx, menus, m->name, m->name, m, line);
        if (old)
            acd__cfg_error(ctx, line,
                           "duplicate menu '%s' in tenant '%s' (first defined on line %d)", m->name,
                           t->name, old->line);
    }
    if (t->ivr_entry && !acd__cfg_index_get(menus, t->ivr_entry))
        acd__cfg_error(ctx, acd__cfg_line_of(ctx, &t->ivr_entry),
                       "ivr entry '%s' of tenant '%s' is not one of its menus", t->ivr_entry,
                       t->name);
}

static void answer_menu_targets(acd__cfg_ctx_t *ctx, const answer_where_t *w)
{
    const acd_cfg_tenant_t *t = w->tenant;
    char what[128];
    for (size_t i = 0; i < t->n_menus; i++) {
        const acd_cfg_menu_t *m = &t->menus[i];
        const char *name = m->name ? m->name : "?";
        for (size_t j = 0; j < m->n_options; j++) {
            const acd_cfg_option_t *o = &m->options[j];
            snprintf(what, sizeof(what), "option %c of menu '%.60s'", o->key, name);
            answer_target(ctx, w, o->target, acd__cfg_line_of(ctx, &o->target), what);
        }
        snprintf(what, sizeof(what), "on_timeout of menu '%.60s'", name);
        int line = acd__cfg_line_of(ctx, &m->on_timeout);
        answer_target(ctx, w, m->on_timeout, line ? line : acd__cfg_line_of(ctx, &m->name), what);
    }
}

/* ---- the tenant ----------------------------------------------------------------------------- */

void acd__cfg_check_tenant_answer(acd__cfg_ctx_t *ctx, const acd_cfg_tenant_t *t,
                                  const acd__cfg_index_t *queues)
{
    answer_spans(ctx, t, "hours", "open", "close", t->hours, t->n_hours, sizeof(*t->hours));
    answer_spans(ctx, t, "lunch", "start", "end", t->lunch, t->n_lunch, sizeof(*t->lunch));
    if (t->n_oncall)
        answer_spans(ctx, t, "calendar", "start", "end", &t->oncall[0].when, t->n_oncall,
                     sizeof(*t->oncall));

    acd__cfg_index_t menus;
    if (acd__cfg_index_init(ctx, &menus, t->n_menus) < 0)
        return;
    answer_menu_names(ctx, t, &menus);
    answer_where_t w = {.tenant = t, .menus = &menus, .queues = queues};
    answer_menu_targets(ctx, &w);
    char what[32];
    for (size_t i = 0; i < t->n_scripts; i++) {
        snprintf(what, sizeof(what), "script %zu", i + 1);
        answer_target(ctx, &w, t->scripts[i].then, acd__cfg_line_of(ctx, &t->scripts[i].then),
                      what);
    }
    /* A defaulted queue is the tenant's own `queue`, checked already: only written ones. */
    int line = acd__cfg_line_of(ctx, &t->operator_queue);
    if (line)
        answer_queue(ctx, &w, acd_str_from(t->operator_queue), line, "operator_queue");
    line = acd__cfg_line_of(ctx, &t->vm_queue);
    if (line)
        answer_queue(ctx, &w, acd_str_from(t->vm_queue), line, "voicemail queue");
    acd__cfg_index_fini(&menus);
}

/* ---- the queue ------------------------------------------------------------------------------ */

static const acd_cfg_skill_t *answer_skill(const acd_cfg_queue_t *q, const char *name)
{
    for (size_t i = 0; i < q->n_skills; i++) {
        if (!strcmp(q->skills[i].name, name))
            return &q->skills[i];
    }
    return NULL;
}

/*
 * Relaxation steps come in increasing `after`, each on one of the queue's skills and
 * below the level the skill needs at that point (the queue's, or the step before's).
 */
static void answer_relax(acd__cfg_ctx_t *ctx, const acd_cfg_queue_t *q)
{
    int prev_after = -1;
    for (size_t i = 0; i < q->n_relax; i++) {
        const acd_cfg_relax_t *r = &q->relax[i];
        if (r->after_ms >= 0) {
            if (prev_after >= 0 && r->after_ms <= prev_after)
                acd__cfg_error(ctx, acd__cfg_line_of(ctx, &r->after_ms),
                               "relax step %zu of queue '%s': 'after' %g s must be later than"
                               " the step before (%g s)",
                               i + 1, q->name, r->after_ms / 1000.0, prev_after / 1000.0);
            prev_after = r->after_ms;
        }
        if (!r->skill)
            continue;
        int sline = acd__cfg_line_of(ctx, &r->skill);
        if (!answer_skill(q, r->skill)) {
            acd__cfg_error(ctx, sline,
                           "relax step %zu of queue '%s' names skill '%s', which is not one of"
                           " the queue's skills",
                           i + 1, q->name, r->skill);
            continue;
        }
        if (r->level < 0)
            continue;
        /* The level in force: the last earlier step on this skill, else the queue's. */
        int cur = answer_skill(q, r->skill)->level;
        for (size_t j = 0; j < i; j++) {
            if (q->relax[j].skill && !strcmp(q->relax[j].skill, r->skill) && q->relax[j].level >= 0)
                cur = q->relax[j].level;
        }
        if (r->level >= cur)
            acd__cfg_error(ctx, acd__cfg_line_of(ctx, &r->level),
                           "relax step %zu of queue '%s': level %d for skill '%s' must be below"
                           " the level it relaxes (%d)",
                           i + 1, q->name, r->level, r->skill, cur);
    }
}

void acd__cfg_check_queue_route(acd__cfg_ctx_t *ctx, const acd_cfg_queue_t *q,
                                const acd__cfg_index_t *queues)
{
    answer_relax(ctx, q);
    if (q->overflow && !strcmp(q->overflow, "sister") && q->max_wait_ms <= 0)
        acd__cfg_error(ctx, acd__cfg_line_of(ctx, &q->overflow),
                       "overflow 'sister' of queue '%s' needs 'max_wait' > 0: how long a call"
                       " waits for its own site's agents before other sites' may take it",
                       q->name);
    acd__cfg_target_t tg;
    if (!q->overflow || acd__cfg_target_parse(q->overflow, &tg) < 0 || tg.kind != ACD__CFG_T_QUEUE)
        return;
    int line = acd__cfg_line_of(ctx, &q->overflow);
    const acd__cfg_index_entry_t *qe = acd__cfg_index_find(queues, tg.name);
    const acd_cfg_queue_t *to = qe ? qe->obj : NULL;
    if (!to)
        acd__cfg_error(ctx, line, "overflow of queue '%s' names unknown queue '%.*s'", q->name,
                       ACD_STR_FMT(tg.name));
    else if (to == q)
        acd__cfg_error(ctx, line, "overflow of queue '%s' cannot be the queue itself", q->name);
    else if (q->tenant && to->tenant && strcmp(q->tenant, to->tenant) != 0)
        acd__cfg_error(ctx, line,
                       "overflow of queue '%s' names queue '%s', which belongs to tenant '%s'",
                       q->name, to->name, to->tenant);
}
