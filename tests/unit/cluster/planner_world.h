/* planner_world.h - a small mutable world of calls, agents, pending offers and queue rules,
 * fed to the leader's planner as is, for planner tests. */
#ifndef ACD_TEST_PLANNER_WORLD_H
#define ACD_TEST_PLANNER_WORLD_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/planner.h"

/* A small mutable world: calls, agents and pending offers, fed to the planner as is. */
enum { W_MAX = 64 };

typedef struct world {
    acd_planner_call_t calls[W_MAX];
    size_t n_calls;
    acd_planner_agent_t agents[W_MAX];
    size_t n_agents;
    acd_planner_pending_t pending[W_MAX];
    size_t n_pending;
    acd_planner_queue_t queues[8];
    size_t n_queues;
    int64_t now;
    acd_planner_offers_t out;
} world_t;

static inline void w_call(world_t *w, const char *id, const char *site, const char *queue, int prio,
                          int64_t enq, uint64_t seq)
{
    assert_true(w->n_calls < W_MAX);
    w->calls[w->n_calls++] = (acd_planner_call_t){.call_id = id,
                                                  .site = site,
                                                  .queue = queue,
                                                  .priority = prio,
                                                  .enqueue_ms = enq,
                                                  .arrival_seq = seq};
}

static inline acd_planner_agent_t *w_agent(world_t *w, const char *id, const char *site,
                                           const char *const *queues, size_t n_queues, int64_t idle)
{
    assert_true(w->n_agents < W_MAX);
    acd_planner_agent_t *a = &w->agents[w->n_agents++];
    *a = (acd_planner_agent_t){
        .agent_id = id, .site = site, .queues = queues, .n_queues = n_queues, .idle_since = idle};
    return a;
}

static inline void w_pending(world_t *w, const char *offer, const char *call, const char *agent,
                             int64_t deadline)
{
    assert_true(w->n_pending < W_MAX);
    w->pending[w->n_pending++] = (acd_planner_pending_t){
        .offer_id = offer, .call_id = call, .agent_id = agent, .deadline_ms = deadline};
}

static inline int w_plan(world_t *w)
{
    acd_planner_input_t in = {.calls = w->calls,
                              .n_calls = w->n_calls,
                              .agents = w->agents,
                              .n_agents = w->n_agents,
                              .pending = w->pending,
                              .n_pending = w->n_pending,
                              .queues = w->queues,
                              .n_queues = w->n_queues,
                              .now_ms = w->now};
    acd_planner_offers_reset(&w->out);
    return acd_planner_plan(&in, &w->out);
}

static inline void w_expect(const world_t *w, size_t i, const char *call, const char *call_site,
                            const char *agent, const char *agent_site)
{
    if (i >= w->out.n)
        fail_msg("offer %zu wanted, only %zu", i, w->out.n);
    const acd_planner_offer_t *o = &w->out.v[i];
    assert_string_equal(o->call_id, call);
    assert_string_equal(o->call_site, call_site);
    assert_string_equal(o->agent_id, agent);
    assert_string_equal(o->agent_site, agent_site);
}

static inline void w_remove_call(world_t *w, const char *id)
{
    for (size_t i = 0; i < w->n_calls; i++) {
        if (strcmp(w->calls[i].call_id, id) == 0) {
            w->calls[i] = w->calls[--w->n_calls];
            return;
        }
    }
    fail_msg("no call %s", id);
}

static inline int w_setup(void **state)
{
    world_t *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->now = 1000000;
    *state = w;
    return 0;
}

static inline int w_teardown(void **state)
{
    world_t *w = *state;
    acd_planner_offers_fini(&w->out);
    free(w);
    return 0;
}

static inline acd_planner_queue_t *w_queue(world_t *w, const char *name, const char *strategy,
                                           const acd_core_skill_t *skills, size_t n_skills,
                                           const acd_core_relax_t *relax, size_t n_relax)
{
    assert_true(w->n_queues < 8);
    acd_planner_queue_t *q = &w->queues[w->n_queues++];
    *q = (acd_planner_queue_t){.name = name,
                               .strategy = strategy,
                               .skills = skills,
                               .n_skills = n_skills,
                               .relax = relax,
                               .n_relax = n_relax};
    return q;
}

static inline void w_skills(acd_planner_agent_t *a, const acd_core_skill_t *skills, size_t n)
{
    a->skills = skills;
    a->n_skills = n;
}

#endif
