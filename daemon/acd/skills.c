/* skills.c - skill requirements of queues, their relaxation with waiting, and match scores. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acd/core_int.h"

/*
 * A queue's requirements are precomputed at configure into stages: a call's needs depend
 * only on how long it has waited, and change only when its wait passes one of the
 * relaxations' after_ms. So a call's needs are a row of small integers found by its wait,
 * and an agent's fit is a row of its levels on the queue's skills (member_level), both
 * indexed by the queue's skill order: scoring is a loop over at most ACD_SKILLS_MAX ints.
 */

static bool skills_name_ok(const char *s)
{
    return s && *s && strlen(s) < ACD_ID_MAX;
}

bool acd__skills_valid(const acd_core_skill_t *v, size_t n)
{
    if (n > ACD_SKILLS_MAX || (n && !v))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!skills_name_ok(v[i].name) || v[i].level < 1 || v[i].level > ACD_SKILL_LEVEL_MAX)
            return false;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(v[k].name, v[i].name) == 0)
                return false;
        }
    }
    return true;
}

/* The index of the skill named name in v[0..n), or -1. */
static long skills_find(const acd_core_skill_t *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

bool acd__relax_valid(const acd_core_relax_t *v, size_t n, const acd_core_skill_t *skills,
                      size_t n_skills)
{
    if (n > ACD_SKILLS_MAX || (n && !v))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i].after_ms <= 0 || !skills_name_ok(v[i].skill) || v[i].level < 0 ||
            v[i].level > ACD_SKILL_LEVEL_MAX || skills_find(skills, n_skills, v[i].skill) < 0)
            return false;
    }
    return true;
}

/* ---- copies ---- */

int acd__skillset_copy(acd__skillset_t *out, const acd_core_skill_t *v, size_t n)
{
    out->v = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    acd_core_skill_t *copy = malloc(n * (sizeof(*copy) + ACD_ID_MAX));
    if (!copy)
        return -ENOMEM;
    char(*names)[ACD_ID_MAX] = (void *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        acd__core_copy(names[i], ACD_ID_MAX, v[i].name);
        copy[i] = (acd_core_skill_t){.name = names[i], .level = v[i].level};
    }
    out->v = copy;
    out->n = n;
    return 0;
}

void acd__skillset_free(acd__skillset_t *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* Copies v[0..n) sorted by after_ms, ties in their given order. Returns 0 or -ENOMEM. */
static int skills_relax_copy(acd__relaxset_t *out, const acd_core_relax_t *v, size_t n)
{
    out->v = NULL;
    out->n = 0;
    if (n == 0)
        return 0;
    acd_core_relax_t *copy = malloc(n * (sizeof(*copy) + ACD_ID_MAX));
    if (!copy)
        return -ENOMEM;
    char(*names)[ACD_ID_MAX] = (void *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        /* Insertion sort (n is small): the new entry goes after every one not later. */
        size_t k = i;
        while (k > 0 && copy[k - 1].after_ms > v[i].after_ms) {
            copy[k] = copy[k - 1];
            memcpy(names[k], names[k - 1], ACD_ID_MAX);
            copy[k].skill = names[k];
            k--;
        }
        acd__core_copy(names[k], ACD_ID_MAX, v[i].skill);
        copy[k] = (acd_core_relax_t){.after_ms = v[i].after_ms, .skill = names[k],
                                     .level = v[i].level};
    }
    out->v = copy;
    out->n = n;
    return 0;
}

void acd__qskills_fini(acd__qskills_t *qs)
{
    acd__skillset_free(&qs->skills);
    free(qs->relax.v);
    free(qs->stage_at);
    free(qs->stage_level);
    free(qs->member_level);
    memset(qs, 0, sizeof(*qs));
    qs->n_stages = 1; /* no skills: one stage, requiring nothing */
}

/* Writes the stage table of qs (skills and sorted relaxations copied, arrays allocated). */
static void skills_stages(acd__qskills_t *qs)
{
    size_t n = qs->skills.n, s = 0;
    for (size_t j = 0; j < n; j++)
        qs->stage_level[j] = qs->skills.v[j].level;
    qs->stage_at[0] = 0;
    for (size_t r = 0; r < qs->relax.n; r++) {
        const acd_core_relax_t *rx = &qs->relax.v[r];
        if (rx->after_ms != qs->stage_at[s]) {
            /* A new stage starts as a copy of the one before. */
            s++;
            qs->stage_at[s] = rx->after_ms;
            memcpy(&qs->stage_level[s * n], &qs->stage_level[(s - 1) * n], n * sizeof(int));
        }
        long j = skills_find(qs->skills.v, n, rx->skill);
        qs->stage_level[s * n + (size_t)j] = rx->level;
    }
    qs->n_stages = s + 1;
}

int acd__qskills_build(acd__qskills_t *qs, const acd_core_queue_cfg_t *qc, size_t n_members)
{
    memset(qs, 0, sizeof(*qs));
    qs->n_stages = 1;
    size_t n = qc->n_skills;
    if (n == 0)
        return 0;
    int rc = acd__skillset_copy(&qs->skills, qc->skills, n);
    if (rc == 0)
        rc = skills_relax_copy(&qs->relax, qc->relax, qc->n_relax);
    if (rc < 0)
        goto fail;
    qs->stage_at = calloc(qc->n_relax + 1, sizeof(*qs->stage_at));
    qs->stage_level = calloc((qc->n_relax + 1) * n, sizeof(*qs->stage_level));
    qs->member_level = calloc(n_members ? n_members * n : 1, sizeof(*qs->member_level));
    if (!qs->stage_at || !qs->stage_level || !qs->member_level) {
        rc = -ENOMEM;
        goto fail;
    }
    skills_stages(qs);
    return 0;
fail:
    acd__qskills_fini(qs);
    return rc;
}

/* The level of skill name a has, 0 when none. */
static int skills_level_of(const acd__agent_t *a, const char *name)
{
    long k = skills_find(a->skills.v, a->skills.n, name);
    return k < 0 ? 0 : a->skills.v[k].level;
}

void acd__qskills_fill(acd__queue_t *q)
{
    size_t n = q->sk.skills.n;
    for (size_t i = 0; n && i < q->n_members; i++) {
        for (size_t j = 0; j < n; j++)
            q->sk.member_level[i * n + j] = skills_level_of(q->members[i], q->sk.skills.v[j].name);
    }
}

const char *acd__skills_check(const acd__queue_t *q)
{
    size_t n = q->sk.skills.n;
    if (n && (!q->sk.stage_at || !q->sk.stage_level || !q->sk.member_level))
        return "queue skill tables missing";
    if (q->sk.n_stages < 1 || q->sk.n_stages > q->sk.relax.n + 1)
        return "queue skill stage count wrong";
    for (size_t i = 0; n && i < q->n_members; i++) {
        for (size_t j = 0; j < n; j++) {
            if (q->sk.member_level[i * n + j] !=
                skills_level_of(q->members[i], q->sk.skills.v[j].name))
                return "queue member skill level does not match the agent's";
        }
    }
    return NULL;
}

/* ---- matching ---- */

/* The stage that applies after a wait of wait_ms. */
static size_t skills_stage(const acd__qskills_t *qs, acd_ms_t wait_ms)
{
    size_t s = qs->n_stages - 1;
    while (s > 0 && qs->stage_at[s] > wait_ms)
        s--;
    return s;
}

const int *acd__skills_need(const acd__queue_t *q, const acd__call_t *call, acd_ms_t now)
{
    if (q->sk.skills.n == 0)
        return NULL;
    return &q->sk.stage_level[skills_stage(&q->sk, now - call->enqueue_ms) * q->sk.skills.n];
}

int acd__skills_score(const acd__queue_t *q, size_t i, const int *need)
{
    if (!need)
        return 0;
    size_t n = q->sk.skills.n;
    const int *have = &q->sk.member_level[i * n];
    int sum = 0;
    for (size_t j = 0; j < n; j++) {
        if (need[j] == 0)
            continue;
        if (have[j] < need[j])
            return -1;
        sum += have[j];
    }
    return sum;
}

void acd__skills_match(const acd__queue_t *q, const acd__call_t *call, acd_ms_t now,
                       acd__match_t *m)
{
    m->need = acd__skills_need(q, call, now);
    m->best = -1;
    for (size_t i = 0; i < q->n_members; i++) {
        if (!acd__agent_eligible(q->members[i], call))
            continue;
        int sc = acd__skills_score(q, i, m->need);
        if (sc > m->best)
            m->best = sc;
    }
}

bool acd__skills_servable(const acd__queue_t *q, const int *need)
{
    for (size_t i = 0; i < q->n_members; i++) {
        if (q->members[i]->state == ACD_AGENT_AVAILABLE && acd__skills_score(q, i, need) >= 0)
            return true;
    }
    return false;
}

acd__call_t *acd__skills_first_servable(const acd__queue_t *q, acd_ms_t now)
{
    const acd__qskills_t *qs = &q->sk;
    bool servable[ACD_SKILLS_MAX + 1];
    bool any = false;
    for (size_t s = 0; s < qs->n_stages; s++) {
        servable[s] = acd__skills_servable(q, &qs->stage_level[s * qs->skills.n]);
        any |= servable[s];
    }
    if (!any)
        return NULL;
    acd__call_t *best = NULL;
    for (size_t i = 0; i < q->waiting.n; i++) {
        acd__call_t *call = acd_container_of(q->waiting.v[i], acd__call_t, wait_node);
        if (servable[skills_stage(qs, now - call->enqueue_ms)] &&
            (!best || acd__call_before(call, best)))
            best = call;
    }
    return best;
}

acd_ms_t acd__skills_next_relax(const acd__queue_t *q, acd_ms_t now)
{
    const acd__qskills_t *qs = &q->sk;
    acd_ms_t next = INT64_MAX;
    for (size_t i = 0; qs->n_stages > 1 && i < q->waiting.n; i++) {
        const acd__call_t *call = acd_container_of(q->waiting.v[i], acd__call_t, wait_node);
        size_t s = skills_stage(qs, now - call->enqueue_ms);
        if (s + 1 < qs->n_stages && call->enqueue_ms + qs->stage_at[s + 1] < next)
            next = call->enqueue_ms + qs->stage_at[s + 1];
    }
    return next;
}
