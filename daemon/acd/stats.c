/* stats.c - queue statistics: average handling time, positions, expected waits, remote members. */
#include <errno.h>
#include <string.h>

#include "acd/core_int.h"
#include "util/err.h"

/* The weight of a new sample in the average handling time: alpha = 1/5. */
#define STATS_AHT_DIVISOR 5

void acd__stats_handled(acd__queue_t *q, int64_t handle_ms)
{
    if (handle_ms < 0)
        handle_ms = 0;
    if (q->aht_n++ == 0)
        q->aht_ms = handle_ms; /* the first call replaces the default */
    else
        q->aht_ms += (handle_ms - q->aht_ms) / STATS_AHT_DIVISOR;
}

size_t acd__queue_logged_in(const acd__queue_t *q)
{
    return q->n_logged_in + q->remote_logged_in;
}

static const acd__queue_t *stats_queue(const acd_core_t *c, const char *name)
{
    acd_hmap_node_t *n = acd_hmap_get(&c->queues, acd_str_from(name));
    return n ? acd_container_of(n, acd__queue_t, node) : NULL;
}

int acd_core_call_position(const acd_core_t *c, const char *call_id, acd_ms_t now,
                           unsigned *position, int64_t *ewt_ms)
{
    (void)now;
    if (!c || !call_id)
        return -EINVAL;
    const acd__call_t *call = acd__call_find(c, call_id);
    if (!call)
        return -ENOENT;
    if (call->state != ACD_CALL_QUEUED)
        return ACD_ESTATE;
    const acd__queue_t *q = call->queue;
    unsigned pos = 1;
    for (size_t i = 0; i < q->waiting.n; i++) {
        if (acd__call_before(acd_container_of(q->waiting.v[i], acd__call_t, wait_node), call))
            pos++;
    }
    size_t agents = acd__queue_logged_in(q);
    if (position)
        *position = pos;
    if (ewt_ms)
        *ewt_ms = (int64_t)pos * q->aht_ms / (int64_t)(agents ? agents : 1);
    return 0;
}

int acd_core_queue_stats(const acd_core_t *c, const char *queue, acd_ms_t now,
                         acd_queue_stats_t *st)
{
    if (!c || !queue || !st)
        return -EINVAL;
    const acd__queue_t *q = stats_queue(c, queue);
    if (!q)
        return ACD_ENOQUEUE;
    memset(st, 0, sizeof(*st));
    st->waiting = q->waiting.n;
    for (size_t i = 0; i < q->waiting.n; i++) {
        const acd__call_t *call = acd_container_of(q->waiting.v[i], acd__call_t, wait_node);
        if (now - call->enqueue_ms > st->longest_wait_ms)
            st->longest_wait_ms = now - call->enqueue_ms;
    }
    st->logged_in = acd__queue_logged_in(q);
    st->available = q->n_available;
    st->aht_ms = q->aht_ms;
    return 0;
}

int acd_core_set_remote_members(acd_core_t *c, const char *queue, unsigned n_logged_in)
{
    if (!c || !queue)
        return -EINVAL;
    acd__queue_t *q = (acd__queue_t *)stats_queue(c, queue);
    if (!q)
        return ACD_ENOQUEUE;
    size_t before = acd__queue_logged_in(q);
    q->remote_logged_in = n_logged_in;
    acd__overflow_logged_in(c, q, before); /* carried out at the next entry point */
    return 0;
}

int acd_core_queue_rules(const acd_core_t *c, const char *queue, acd_queue_rules_t *r)
{
    if (!c || !queue || !r)
        return -EINVAL;
    const acd__queue_t *q = stats_queue(c, queue);
    if (!q || q->removed)
        return ACD_ENOQUEUE;
    *r = (acd_queue_rules_t){.name = q->name,
                             .strategy = q->strategy->name,
                             .skills = q->sk.skills.v,
                             .n_skills = q->sk.skills.n,
                             .relax = q->sk.relax.v,
                             .n_relax = q->sk.relax.n};
    return 0;
}

int acd_core_agent_skills(const acd_core_t *c, const char *agent, const acd_core_skill_t **skills,
                          size_t *n_skills)
{
    if (!c || !agent || !skills || !n_skills)
        return -EINVAL;
    const acd__agent_t *a = acd__agent_find(c, agent);
    if (!a)
        return ACD_ENOAGENT;
    *skills = a->skills.v;
    *n_skills = a->skills.n;
    return 0;
}
