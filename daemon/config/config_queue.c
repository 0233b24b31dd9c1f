/* config_queue.c - the schema of queue and agent entries: distribution, skills, limits,
 * announcements. */
#include "config/config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define QUEUE(field) offsetof(acd_cfg_queue_t, field)
#define AGENT(field) offsetof(acd_cfg_agent_t, field)
#define RELAX(field) offsetof(acd_cfg_relax_t, field)

/* Where a queue's overflow may go. */
#define QUEUE_OVERFLOW_KINDS                                                                       \
    (ACD__CFG_T_BIT(ACD__CFG_T_QUEUE) | ACD__CFG_T_BIT(ACD__CFG_T_VOICEMAIL) |                     \
     ACD__CFG_T_BIT(ACD__CFG_T_CALLBACK) | ACD__CFG_T_BIT(ACD__CFG_T_HANGUP))

/*
 * And one word that is no target: "sister", the cluster's overflow to the sister site (a
 * call is offered to its own site's agents for max_wait, then to every site's; the
 * leader's planner does it). It needs max_wait > 0 (config_check_answer.c).
 */
static const char *const queue_overflow_words[] = {"sister", NULL};

/* The shortest announcement interval: callers told their position more often hear nothing else. */
#define QUEUE_ANNOUNCE_MIN 10

/*
 * The one list of strategies: the names of the ACD core's strategy table
 * (daemon/acd/strategy.c); the first is the default.
 */
const char *const acd__cfg_strategies[] = {"longest-idle", "round-robin", "fewest-calls", NULL};

/* ---- skills --------------------------------------------------------------------------------- */

/* True when the key of pair p is the scalar key. */
static bool queue_same_key(acd__cfg_ctx_t *ctx, const yaml_node_pair_t *p, const char *key)
{
    const yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
    return k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key);
}

/*
 * `skills: {es: 1, sales: 3}`: a mapping of skill names to levels 1..10, each skill once,
 * into the acd_cfg_skill_t array at f->offset and its count at f->count_offset.
 */
static void queue_read_skills(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                              void *base)
{
    if (v->type != YAML_MAPPING_NODE) {
        acd__cfg_error(ctx, acd__cfg_node_line(v),
                       "expected a mapping of skills to levels 1..10 for '%s' (e.g. {es: 1, "
                       "sales: 3})",
                       f->key);
        return;
    }
    acd_cfg_skill_t **dst = (acd_cfg_skill_t **)((char *)base + f->offset);
    size_t *count = (size_t *)((char *)base + f->count_offset);
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    acd_cfg_skill_t *arr = n ? calloc(n, sizeof(*arr)) : NULL;
    if (n && !arr) {
        ctx->rc = -ENOMEM;
        return;
    }
    *dst = arr;
    *count = 0;
    const acd__cfg_field_t name_f = {
        .key = f->key, .offset = offsetof(acd_cfg_skill_t, name), .noun = "skill name"};
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
        yaml_node_t *val = yaml_document_get_node(ctx->doc, p->value);
        if (!k || !val)
            continue;
        const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
        /* A YAML mapping may repeat a key; the loader does not let it pass silently. */
        const yaml_node_pair_t *q = v->data.mapping.pairs.start;
        while (key && q < p && !queue_same_key(ctx, q, key))
            q++;
        if (key && q < p) {
            acd__cfg_error(ctx, acd__cfg_node_line(k), "skill '%.60s' is listed twice in '%s'", key,
                           f->key);
            continue;
        }
        if (acd__cfg_node_is_null(val)) {
            acd__cfg_error(ctx, acd__cfg_node_line(k), "missing level (1..10) for skill '%.60s'",
                           key ? key : "");
            continue;
        }
        /* The level first: a slot whose name was never stored holds no line note to reuse. */
        acd_cfg_skill_t *sk = &arr[*count];
        char label[96];
        snprintf(label, sizeof(label), "%s.%.60s", f->key, key ? key : "?");
        const acd__cfg_field_t level_f = {
            .key = label, .offset = offsetof(acd_cfg_skill_t, level), .min = 1, .max = 10};
        acd__cfg_read_int(ctx, &level_f, val, sk);
        if (sk->level < 1)
            continue;
        acd__cfg_read_name(ctx, &name_f, k, sk);
        if (!sk->name) {
            sk->level = 0;
            continue;
        }
        (*count)++;
    }
}

/* ---- relaxation ----------------------------------------------------------------------------- */

static void queue_relax_init(void *elem)
{
    acd_cfg_relax_t *r = elem;
    r->after_ms = -1; /* unset: the order check skips it */
    r->level = -1;
}

static const acd__cfg_field_t queue_relax[] = {
    /* 0.1 s is below what an operator should use but lets tests run fast. */
    {.key = "after",
     .read = acd__cfg_read_seconds,
     .offset = RELAX(after_ms),
     .required = true,
     .min = 0.1,
     .max = 86400},
    {.key = "skill",
     .read = acd__cfg_read_name,
     .offset = RELAX(skill),
     .required = true,
     .noun = "skill name"},
    {.key = "level",
     .read = acd__cfg_read_int,
     .offset = RELAX(level),
     .required = true,
     .min = 0,
     .max = 10},
};
static const acd__cfg_table_t queue_relax_table = {.noun = "relax",
                                                   .fields = queue_relax,
                                                   .n_fields = COUNT(queue_relax),
                                                   .elem_size = sizeof(acd_cfg_relax_t),
                                                   .init = queue_relax_init};

/* ---- announcements -------------------------------------------------------------------------- */

/* `announce`: 0 (off) or QUEUE_ANNOUNCE_MIN..3600 seconds. */
static void queue_read_announce(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                                void *base)
{
    acd_cfg_queue_t *q = base;
    int before = q->announce_ms;
    acd__cfg_read_seconds(ctx, f, v, base);
    if (q->announce_ms == 0 || q->announce_ms >= QUEUE_ANNOUNCE_MIN * 1000 ||
        q->announce_ms == before)
        return;
    acd__cfg_error(ctx, acd__cfg_node_line(v),
                   "'%s' must be 0 (off) or between %d and %g seconds (got %.60s)", f->key,
                   QUEUE_ANNOUNCE_MIN, f->max, (const char *)v->data.scalar.value);
    q->announce_ms = before;
}

/* ---- service level -------------------------------------------------------------------------- */

static const acd__cfg_field_t queue_sl[] = {
    {.key = "seconds",
     .read = acd__cfg_read_seconds,
     .offset = QUEUE(sl_threshold_ms),
     .min = 1,
     .max = 3600},
    {.key = "target", .read = acd__cfg_read_int, .offset = QUEUE(sl_target_pct), .min = 1, .max = 100},
};
static const acd__cfg_table_t queue_sl_table = {
    .noun = "service_level", .fields = queue_sl, .n_fields = COUNT(queue_sl)};

/* ---- the queue ------------------------------------------------------------------------------ */

static const acd__cfg_field_t queue_fields[] = {
    {.key = "name",
     .read = acd__cfg_read_name,
     .offset = QUEUE(name),
     .required = true,
     .noun = "queue name"},
    {.key = "tenant",
     .read = acd__cfg_read_name,
     .offset = QUEUE(tenant),
     .required = true,
     .noun = "tenant name"},
    {.key = "strategy",
     .read = acd__cfg_read_choice,
     .offset = QUEUE(strategy),
     .choices = acd__cfg_strategies,
     .noun = "strategy"},
    /* 0.1 s is below what an operator should use but lets tests run fast. */
    {.key = "ring_timeout",
     .read = acd__cfg_read_seconds,
     .offset = QUEUE(ring_timeout_ms),
     .min = 0.1,
     .max = 300},
    {.key = "wrapup",
     .read = acd__cfg_read_seconds,
     .offset = QUEUE(wrapup_ms),
     .min = 0,
     .max = 3600},
    {.key = "max_no_answer",
     .read = acd__cfg_read_int,
     .offset = QUEUE(max_no_answer),
     .min = 0,
     .max = 100},
    {.key = "priority", .read = acd__cfg_read_int, .offset = QUEUE(priority), .min = 0, .max = 100},
    {.key = "skills",
     .read = queue_read_skills,
     .offset = QUEUE(skills),
     .count_offset = QUEUE(n_skills)},
    {.key = "relax",
     .read = acd__cfg_read_entries,
     .offset = QUEUE(relax),
     .count_offset = QUEUE(n_relax),
     .table = &queue_relax_table},
    {.key = "max_wait",
     .read = acd__cfg_read_seconds,
     .offset = QUEUE(max_wait_ms),
     .min = 0,
     .max = 86400},
    {.key = "max_length",
     .read = acd__cfg_read_int,
     .offset = QUEUE(max_len),
     .min = 0,
     .max = 100000},
    {.key = "overflow",
     .read = acd__cfg_read_target,
     .offset = QUEUE(overflow),
     .kinds = QUEUE_OVERFLOW_KINDS,
     .choices = queue_overflow_words},
    {.key = "join_empty", .read = acd__cfg_read_bool, .offset = QUEUE(join_empty)},
    {.key = "leave_empty", .read = acd__cfg_read_bool, .offset = QUEUE(leave_empty)},
    {.key = "announce",
     .read = queue_read_announce,
     .offset = QUEUE(announce_ms),
     .min = 0,
     .max = 3600},
    {.key = "announce_position", .read = acd__cfg_read_bool, .offset = QUEUE(announce_position)},
    {.key = "announce_wait", .read = acd__cfg_read_bool, .offset = QUEUE(announce_wait)},
    {.key = "saturated_at",
     .read = acd__cfg_read_int,
     .offset = QUEUE(saturated_at),
     .min = 0,
     .max = 100000},
    {.key = "callback_offer", .read = acd__cfg_read_bool, .offset = QUEUE(callback_offer)},
    {.key = "service_level", .read = acd__cfg_read_section, .table = &queue_sl_table},
    {.key = "short_abandon",
     .read = acd__cfg_read_seconds,
     .offset = QUEUE(short_abandon_ms),
     .min = 0,
     .max = 3600},
};

static void queue_init(void *elem)
{
    acd_cfg_queue_t *q = elem;
    q->ring_timeout_ms = 15000;
    q->wrapup_ms = 5000;
    q->max_no_answer = 3;
    q->priority = 0;
    q->leave_empty = true;
    q->announce_ms = 30000;
    q->announce_position = true;
    q->announce_wait = true;
    q->sl_threshold_ms = 20000;
    q->sl_target_pct = 80;
}

const acd__cfg_table_t acd__cfg_queue_table = {.noun = "queue",
                                               .label_key = "name",
                                               .fields = queue_fields,
                                               .n_fields = COUNT(queue_fields),
                                               .elem_size = sizeof(acd_cfg_queue_t),
                                               .init = queue_init};

/* ---- the agent ------------------------------------------------------------------------------ */

static const acd__cfg_field_t agent_fields[] = {
    {.key = "id",
     .read = acd__cfg_read_user,
     .offset = AGENT(id),
     .required = true,
     .noun = "agent id"},
    {.key = "sip_user", .read = acd__cfg_read_user, .offset = AGENT(sip_user), .noun = "SIP user"},
    {.key = "password", .read = acd__cfg_read_string, .offset = AGENT(password)},
    {.key = "queues",
     .read = acd__cfg_read_names,
     .offset = AGENT(queues),
     .count_offset = AGENT(n_queues),
     .noun = "queue name"},
    {.key = "skills",
     .read = queue_read_skills,
     .offset = AGENT(skills),
     .count_offset = AGENT(n_skills)},
};

const acd__cfg_table_t acd__cfg_agent_table = {.noun = "agent",
                                               .label_key = "id",
                                               .fields = agent_fields,
                                               .n_fields = COUNT(agent_fields),
                                               .elem_size = sizeof(acd_cfg_agent_t)};
