/* queue_log_fmt.c - the queue_log lines each applied core event makes (no I/O, no clock). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/queue_log.h"
#include "util/hmap.h"

/*
 * The lines follow what the core did, read from its actions after each event, in
 * Asterisk's vocabulary (apps/app_queue.c):
 *   a call joins a queue       ENTERQUEUE(url|callerid|position), DID(did) before it once
 *   an offer rings out         RINGNOANSWER(ms) (timeout, failure, agent gone),
 *                              RINGCANCELED(ms) (the call ended while it rang)
 *   an agent answers           CONNECT(holdtime|member-uniqueid|ringtime)
 *   the connected call ends    COMPLETECALLER / COMPLETEAGENT(holdtime|calltime|origposition)
 *   a waiting call ends        ABANDON(position|origposition|waittime)
 *   a queue rule sends it away EXITWITHTIMEOUT (max-wait) / EXITEMPTY (empty)
 *                              (position|origposition|waittime), then ENTERQUEUE in the
 *                              queue it moved to, if any
 *   virtual hold (callback)    EXITWITHKEY(key|position|origposition|waittime), then
 *                              ENTERQUEUE again: the call keeps its place, nobody on it
 *   taken over by a sister     TRANSFER(site|takeover|holdtime|calltime|origposition)
 *   agents                     AGENTLOGIN(channel), AGENTLOGOFF(channel|logintime),
 *                              PAUSEALL + PAUSE(reason) per queue, UNPAUSEALL + UNPAUSE
 *   configuration              CONFIGRELOAD, ADDMEMBER, REMOVEMEMBER; QUEUESTART first
 * Times (holdtime, calltime, waittime) are whole seconds between the whole-second epochs
 * of their ends, as Asterisk's time(NULL) differences; they count from the caller's
 * enqueue time, the CDR's, so holdtime is the CDR's wait and calltime its talk time.
 * A call that a queue rule turns away as it arrives (max-len, join-empty) never joined
 * the queue and gets no line, as Asterisk logs none when Queue() cannot join.
 */

#define QLOG_KEY_CALLBACK "1" /* the queue's callback key (callctl/outcall.c) */
#define QLOG_TAKEOVER "takeover"
#define QLOG_QUEUE_PREFIX "queue:"
#define QLOG_DATA_MAX 5
#define QLOG_NAME_MAX (ACD_ID_MAX + 8)

typedef struct qlog_call {
    acd_hmap_node_t node; /* in acd_qlog_t.calls by id */
    char id[ACD_ID_MAX];
    char queue[ACD_ID_MAX]; /* the queue of its last ENTERQUEUE */
    int opos;               /* its position then */
    int priority;
    acd_ms_t enqueue_ms;    /* the core's: kept across queue moves and redials */
    uint64_t seq;           /* ENTERQUEUE order here: breaks ties of position */
    char agent[ACD_ID_MAX]; /* ringing or connected; "" none */
    acd_ms_t ring_ms;       /* when the ringing offer started; 0 none */
    acd_ms_t answer_ms;     /* 0 until connected */
} qlog_call_t;

typedef struct qlog_agent {
    acd_hmap_node_t node; /* in acd_qlog_t.agents by id, while logged in */
    char id[ACD_ID_MAX];
    acd_ms_t login_ms;
    char channel[QLOG_NAME_MAX]; /* as AGENTLOGIN said it (the agent may be gone by logoff) */
} qlog_agent_t;

typedef struct qlog_member {
    char agent[ACD_ID_MAX];
    char queue[ACD_ID_MAX];
} qlog_member_t;

struct acd_qlog {
    acd_hmap_t calls;
    acd_hmap_t agents;
    qlog_member_t *members; /* sorted by agent, then queue; no duplicates */
    size_t n_members;
    bool configured;
    uint64_t next_seq;
};

/* One event's work: where lines go and the first error. */
typedef struct qlog_ctx {
    acd_qlog_t *q;
    const acd_core_t *core;
    const acd_event_t *ev; /* NULL: a configuration's actions */
    acd_ms_t now;
    acd_buf_t *out;
    int rc;
} qlog_ctx_t;

/* ---- lifecycle ---- */

int acd_qlog_alloc(acd_qlog_t **qp)
{
    if (!qp)
        return -EINVAL;
    acd_qlog_t *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    acd_hmap_init(&q->calls);
    acd_hmap_init(&q->agents);
    q->next_seq = 1;
    *qp = q;
    return 0;
}

static void qlog_map_free(acd_hmap_t *m, size_t offset)
{
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, m);
    while ((n = acd_hmap_iter_next(&it))) {
        acd_hmap_remove(m, n);
        free((char *)n - offset);
    }
    acd_hmap_fini(m);
}

void acd_qlog_free(acd_qlog_t *q)
{
    if (!q)
        return;
    qlog_map_free(&q->calls, offsetof(qlog_call_t, node));
    qlog_map_free(&q->agents, offsetof(qlog_agent_t, node));
    free(q->members);
    free(q);
}

size_t acd_qlog_calls(const acd_qlog_t *q)
{
    return q ? q->calls.count : 0;
}

size_t acd_qlog_agents(const acd_qlog_t *q)
{
    return q ? q->agents.count : 0;
}

/* ---- lines ---- */

static int64_t qlog_secs(acd_ms_t ms)
{
    return ms >= 0 ? ms / 1000 : -((999 - ms) / 1000);
}

/* Whole seconds from one instant's epoch to another's, never negative. */
static int64_t qlog_span(acd_ms_t from, acd_ms_t to)
{
    int64_t d = qlog_secs(to) - qlog_secs(from);
    return d > 0 ? d : 0;
}

typedef struct qlog_num {
    char s[24];
} qlog_num_t;

static qlog_num_t qlog_num(int64_t v)
{
    qlog_num_t n;
    snprintf(n.s, sizeof(n.s), "%lld", (long long)v);
    return n;
}

typedef struct qlog_name {
    char s[QLOG_NAME_MAX];
} qlog_name_t;

/* An agent as the agent field names it: Agent/<id>, NONE for no agent. */
static qlog_name_t qlog_agent_name(const char *id)
{
    qlog_name_t n;
    if (id && *id)
        snprintf(n.s, sizeof(n.s), "%s%s", ACD_QLOG_AGENT_PREFIX, id);
    else
        snprintf(n.s, sizeof(n.s), "%s", ACD_QLOG_NONE);
    return n;
}

/* Appends one line at instant at with n data fields (const char *), unless one failed. */
static void qlog_emit(qlog_ctx_t *x, acd_ms_t at, const char *callid, const char *queue,
                      const char *agent, const char *event, size_t n, ...)
{
    const char *data[QLOG_DATA_MAX];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < QLOG_DATA_MAX; i++)
        data[i] = va_arg(ap, const char *);
    va_end(ap);
    if (x->rc == 0)
        x->rc = acd_qlog_line(x->out, qlog_secs(at), callid, queue, agent, event, data,
                              n < QLOG_DATA_MAX ? n : QLOG_DATA_MAX);
}

/* ---- calls followed ---- */

static void qlog_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static qlog_call_t *qlog_call_find(const acd_qlog_t *q, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&q->calls, acd_str_from(id));
    return n ? acd_container_of(n, qlog_call_t, node) : NULL;
}

static void qlog_call_drop(acd_qlog_t *q, qlog_call_t *c)
{
    acd_hmap_remove(&q->calls, &c->node);
    free(c);
}

/* The call's record, made when it has none. NULL: out of memory (x->rc says so). */
static qlog_call_t *qlog_call_get(qlog_ctx_t *x, const char *id)
{
    qlog_call_t *c = qlog_call_find(x->q, id);
    if (c)
        return c;
    if (!(c = calloc(1, sizeof(*c)))) {
        x->rc = -ENOMEM;
        return NULL;
    }
    qlog_copy(c->id, sizeof(c->id), id);
    if (acd_hmap_insert(&x->q->calls, &c->node, acd_str_from(c->id)) < 0) {
        free(c);
        x->rc = -ENOMEM;
        return NULL;
    }
    return c;
}

/* Counts the waiting calls of c's queue that come before c (the core's order: priority
 * first, then enqueue time, then arrival; arrival here is c's seq when both are ours). */
typedef struct qlog_before {
    const acd_qlog_t *q;
    const qlog_call_t *c;
    int n;
} qlog_before_t;

static void qlog_before_cb(void *ud, const acd_call_view_t *v)
{
    qlog_before_t *b = ud;
    const qlog_call_t *c = b->c;
    if (v->state != ACD_CALL_QUEUED || strcmp(v->queue, c->queue) != 0 || !strcmp(v->id, c->id))
        return;
    if (v->priority != c->priority) {
        b->n += v->priority > c->priority;
        return;
    }
    if (v->enqueue_ms != c->enqueue_ms) {
        b->n += v->enqueue_ms < c->enqueue_ms;
        return;
    }
    const qlog_call_t *o = qlog_call_find(b->q, v->id);
    b->n += !o || o->seq < c->seq;
}

/*
 * c's 1-based place among the calls waiting in its queue now, itself left out: its
 * position while it waits, and at the moment it leaves (ABANDON, EXIT*), the position it
 * had just before. A call offered at once gets the place it would have waited in.
 */
static int qlog_position(const qlog_ctx_t *x, const qlog_call_t *c)
{
    qlog_before_t b = {.q = x->q, .c = c};
    acd_core_foreach_call(x->core, qlog_before_cb, &b);
    return b.n + 1;
}

/* The call v joined queue now: ENTERQUEUE, with DID first for a call new to this log. */
static qlog_call_t *qlog_enter(qlog_ctx_t *x, const acd_call_view_t *v, const char *queue)
{
    bool fresh = qlog_call_find(x->q, v->id) == NULL;
    qlog_call_t *c = qlog_call_get(x, v->id);
    if (!c)
        return NULL;
    qlog_copy(c->queue, sizeof(c->queue), queue);
    c->priority = v->priority;
    c->enqueue_ms = v->enqueue_ms;
    c->seq = x->q->next_seq++;
    c->opos = qlog_position(x, c);
    if (fresh)
        qlog_emit(x, x->now, c->id, queue, ACD_QLOG_NONE, "DID", 1, v->did);
    qlog_emit(x, x->now, c->id, queue, ACD_QLOG_NONE, "ENTERQUEUE", 3, "", v->caller,
              qlog_num(c->opos).s);
    return c;
}

/* c leaves its queue while waiting: event(position|origposition|waittime) at at. */
static void qlog_exit(qlog_ctx_t *x, const qlog_call_t *c, const char *event, acd_ms_t at)
{
    qlog_emit(x, at, c->id, c->queue, ACD_QLOG_NONE, event, 3, qlog_num(qlog_position(x, c)).s,
              qlog_num(c->opos).s, qlog_num(qlog_span(c->enqueue_ms, at)).s);
}

/* ---- events ---- */

/* CALL_ARRIVE, CALL_ADOPT: the call waits (or rings, or talks) here now. */
static void qlog_arrive(qlog_ctx_t *x, const acd_event_t *ev)
{
    acd_call_view_t v;
    if (acd_core_call(x->core, ev->call_id, &v) < 0)
        return; /* turned away as it came, or gone: it never joined a queue */
    qlog_call_t *c = qlog_enter(x, &v, v.queue);
    if (!c || ev->type != ACD_EV_CALL_ADOPT || v.state != ACD_CALL_CONNECTED)
        return;
    /* Taken over while talking: this log's record of the call starts connected. */
    qlog_copy(c->agent, sizeof(c->agent), v.agent);
    c->answer_ms = v.answer_ms;
    char uid[ACD_ID_MAX + 16];
    snprintf(uid, sizeof(uid), "%s.%d", c->id, v.offers);
    qlog_emit(x, x->now, c->id, c->queue, qlog_agent_name(c->agent).s, "CONNECT", 3,
              qlog_num(qlog_span(c->enqueue_ms, c->answer_ms)).s, uid, "0");
}

/* CALL_DETACH (virtual hold): the caller left the live queue by the callback key; the
 * call keeps its place with nobody on the line, so it enters again at once. */
static void qlog_detach(qlog_ctx_t *x, const acd_event_t *ev)
{
    qlog_call_t *c = qlog_call_find(x->q, ev->call_id);
    acd_call_view_t v;
    if (!c || acd_core_call(x->core, ev->call_id, &v) < 0)
        return;
    qlog_emit(x, x->now, c->id, c->queue, ACD_QLOG_NONE, "EXITWITHKEY", 4, QLOG_KEY_CALLBACK,
              qlog_num(qlog_position(x, c)).s, qlog_num(c->opos).s,
              qlog_num(qlog_span(c->enqueue_ms, x->now)).s);
    (void)qlog_enter(x, &v, v.queue);
}

/* The offer of c ringing agent ended unanswered: RINGNOANSWER, or RINGCANCELED when the
 * call's end stopped it (cancelled true). */
static void qlog_ring_end(qlog_ctx_t *x, qlog_call_t *c, const char *agent, bool cancelled)
{
    if (!c->ring_ms || (agent && *agent && strcmp(agent, c->agent) != 0))
        return;
    int64_t ms = x->now - c->ring_ms;
    qlog_emit(x, x->now, c->id, c->queue, qlog_agent_name(c->agent).s,
              cancelled ? "RINGCANCELED" : "RINGNOANSWER", 1, qlog_num(ms > 0 ? ms : 0).s);
    c->ring_ms = 0;
    c->agent[0] = '\0';
}

/* CALL_FORGET: a sister took the call over while this site was cut off; it goes on
 * there (and in the sister's log), so this log closes it as transferred to that site. */
static void qlog_forget(qlog_ctx_t *x, const acd_event_t *ev)
{
    qlog_call_t *c = qlog_call_find(x->q, ev->call_id);
    if (!c)
        return;
    bool talking = c->answer_ms != 0;
    acd_ms_t hold_end = talking ? c->answer_ms : x->now;
    qlog_emit(x, x->now, c->id, c->queue, qlog_agent_name(talking ? c->agent : NULL).s, "TRANSFER",
              5, ev->call_site, QLOG_TAKEOVER, qlog_num(qlog_span(c->enqueue_ms, hold_end)).s,
              qlog_num(talking ? qlog_span(c->answer_ms, x->now) : 0).s, qlog_num(c->opos).s);
    qlog_call_drop(x->q, c);
}

/* ---- actions ---- */

/* True when reason names a disposition: the offer stopped because the call ended. */
static bool qlog_reason_is_end(const char *reason)
{
    static const acd_disposition_t all[] = {
#define QLOG__D(e, s) e,
        ACD_DISPOSITIONS(QLOG__D)
#undef QLOG__D
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!strcmp(reason, acd_disposition_name(all[i])))
            return true;
    }
    return false;
}

/* An offer of c rings a->agent_id from now; a local agent's ringing began at its own
 * state_since, the core's time of the offer (observe's clock runs a little later). */
static void qlog_offer(qlog_ctx_t *x, qlog_call_t *c, const acd_action_t *a)
{
    acd_agent_view_t v;
    qlog_copy(c->agent, sizeof(c->agent), a->agent_id);
    c->ring_ms = x->now;
    if (!a->agent_site[0] && acd_core_agent(x->core, a->agent_id, &v) == 0 &&
        v.state == ACD_AGENT_RINGING && !strcmp(v.call_id, c->id) && v.state_since <= x->now)
        c->ring_ms = v.state_since;
}

static void qlog_connect(qlog_ctx_t *x, const acd_action_t *a)
{
    qlog_call_t *c = qlog_call_find(x->q, a->call_id);
    acd_call_view_t v;
    if (!c || acd_core_call(x->core, a->call_id, &v) < 0)
        return;
    c->answer_ms = v.answer_ms ? v.answer_ms : x->now;
    int64_t ring = c->ring_ms ? (c->answer_ms - c->ring_ms) / 1000 : 0;
    qlog_copy(c->agent, sizeof(c->agent), a->agent_id);
    c->ring_ms = 0;
    char uid[ACD_ID_MAX + 16];
    snprintf(uid, sizeof(uid), "%s.%d", c->id, v.offers);
    qlog_emit(x, c->answer_ms, c->id, c->queue, qlog_agent_name(c->agent).s, "CONNECT", 3,
              qlog_num(qlog_span(c->enqueue_ms, c->answer_ms)).s, uid,
              qlog_num(ring > 0 ? ring : 0).s);
}

/* Who ended a connected call: the agent's side (its hangup, or acdd ending the call). */
static bool qlog_agent_ended(const acd_event_t *ev)
{
    return ev &&
           (ev->type == ACD_EV_AGENT_HANGUP || (ev->type == ACD_EV_CALL_HANGUP && ev->failed));
}

/* The call left the core with its CDR: its last line. */
static void qlog_cdr(qlog_ctx_t *x, const acd_cdr_t *cdr)
{
    qlog_call_t *c = qlog_call_find(x->q, cdr->call_id);
    if (!c)
        return;
    if (c->answer_ms) {
        qlog_emit(x, cdr->end_ms, c->id, c->queue, qlog_agent_name(c->agent).s,
                  qlog_agent_ended(x->ev) ? "COMPLETEAGENT" : "COMPLETECALLER", 3,
                  qlog_num(qlog_span(c->enqueue_ms, c->answer_ms)).s,
                  qlog_num(qlog_span(c->answer_ms, cdr->end_ms)).s, qlog_num(c->opos).s);
    } else if (cdr->disposition != ACD_DISP_OVERFLOW) {
        /* The caller hung up (or acdd ended the call) before any agent took it. */
        qlog_exit(x, c, "ABANDON", cdr->end_ms);
    } /* overflow: its ACD_ACT_OVERFLOW wrote the exit */
    qlog_call_drop(x->q, c);
}

static void qlog_overflow(qlog_ctx_t *x, const acd_action_t *a)
{
    qlog_call_t *c = qlog_call_find(x->q, a->call_id);
    if (!c || strcmp(c->queue, a->queue) != 0)
        return; /* an arrival sent on at the door: it never waited in a->queue */
    qlog_exit(x, c, !strcmp(a->reason, "empty") ? "EXITEMPTY" : "EXITWITHTIMEOUT", x->now);
    size_t plen = strlen(QLOG_QUEUE_PREFIX);
    acd_call_view_t v;
    if (!strncmp(a->target, QLOG_QUEUE_PREFIX, plen) && acd_core_call(x->core, c->id, &v) == 0)
        (void)qlog_enter(x, &v, a->target + plen);
}

/* ---- agents ---- */

static qlog_agent_t *qlog_agent_find(const acd_qlog_t *q, const char *id)
{
    acd_hmap_node_t *n = acd_hmap_get(&q->agents, acd_str_from(id));
    return n ? acd_container_of(n, qlog_agent_t, node) : NULL;
}

/* The agent's device as AGENTLOGIN names it: SIP/<its SIP user>. */
static qlog_name_t qlog_channel(const qlog_ctx_t *x, const char *agent)
{
    acd_agent_view_t v;
    qlog_name_t n;
    bool known = acd_core_agent(x->core, agent, &v) == 0 && v.sip_user && *v.sip_user;
    snprintf(n.s, sizeof(n.s), "SIP/%s", known ? v.sip_user : agent);
    return n;
}

static void qlog_login(qlog_ctx_t *x, const char *agent)
{
    qlog_agent_t *g = qlog_agent_find(x->q, agent);
    if (!g && (g = calloc(1, sizeof(*g))) != NULL) {
        qlog_copy(g->id, sizeof(g->id), agent);
        if (acd_hmap_insert(&x->q->agents, &g->node, acd_str_from(g->id)) < 0) {
            free(g);
            g = NULL;
        }
    }
    qlog_name_t channel = qlog_channel(x, agent);
    if (!g) {
        x->rc = -ENOMEM;
    } else {
        g->login_ms = x->now;
        qlog_copy(g->channel, sizeof(g->channel), channel.s);
    }
    qlog_emit(x, x->now, ACD_QLOG_NONE, ACD_QLOG_NONE, qlog_agent_name(agent).s, "AGENTLOGIN", 1,
              channel.s);
}

static void qlog_logoff(qlog_ctx_t *x, const char *agent)
{
    qlog_agent_t *g = qlog_agent_find(x->q, agent);
    int64_t secs = g ? qlog_span(g->login_ms, x->now) : 0;
    qlog_emit(x, x->now, ACD_QLOG_NONE, ACD_QLOG_NONE, qlog_agent_name(agent).s, "AGENTLOGOFF", 2,
              g ? g->channel : qlog_channel(x, agent).s, qlog_num(secs).s);
    if (g) {
        acd_hmap_remove(&x->q->agents, &g->node);
        free(g);
    }
}

static int qlog_member_cmp(const void *a, const void *b)
{
    const qlog_member_t *x = a, *y = b;
    int d = strcmp(x->agent, y->agent);
    return d ? d : strcmp(x->queue, y->queue);
}

/* A pause changes the agent in every queue: PAUSEALL, then PAUSE in each of its queues,
 * as Asterisk logs a pause given without a queue (likewise UNPAUSEALL, UNPAUSE). */
static void qlog_pause(qlog_ctx_t *x, const char *agent, const char *reason, bool paused)
{
    qlog_name_t name = qlog_agent_name(agent);
    qlog_emit(x, x->now, ACD_QLOG_NONE, ACD_QLOG_NONE, name.s, paused ? "PAUSEALL" : "UNPAUSEALL",
              0);
    for (size_t i = 0; i < x->q->n_members; i++) {
        const qlog_member_t *m = &x->q->members[i];
        int d = strcmp(m->agent, agent);
        if (d > 0)
            break;
        if (d == 0)
            qlog_emit(x, x->now, ACD_QLOG_NONE, m->queue, name.s, paused ? "PAUSE" : "UNPAUSE", 1,
                      reason);
    }
}

static void qlog_agent_state(qlog_ctx_t *x, const acd_action_t *a)
{
    acd_agent_state_t from = a->old_state, to = a->new_state;
    if (from == to)
        return;
    if (from == ACD_AGENT_LOGGED_OUT) {
        qlog_login(x, a->agent_id);
        if (to == ACD_AGENT_PAUSED)
            qlog_pause(x, a->agent_id, a->reason, true);
    } else if (to == ACD_AGENT_LOGGED_OUT) {
        qlog_logoff(x, a->agent_id);
    } else if (to == ACD_AGENT_PAUSED) {
        qlog_pause(x, a->agent_id, a->reason, true);
    } else if (from == ACD_AGENT_PAUSED) {
        qlog_pause(x, a->agent_id, a->reason, false);
    }
}

/* ---- the entry points ---- */

static void qlog_actions(qlog_ctx_t *x, const acd_actions_t *acts)
{
    for (size_t i = 0; acts && i < acts->n; i++) {
        const acd_action_t *a = &acts->v[i];
        qlog_call_t *c;
        switch (a->type) {
        case ACD_ACT_OFFER:
            if ((c = qlog_call_find(x->q, a->call_id)) != NULL)
                qlog_offer(x, c, a);
            break;
        case ACD_ACT_CANCEL_OFFER:
            if ((c = qlog_call_find(x->q, a->call_id)) != NULL)
                qlog_ring_end(x, c, a->agent_id, qlog_reason_is_end(a->reason));
            break;
        case ACD_ACT_CONNECT:
            qlog_connect(x, a);
            break;
        case ACD_ACT_CDR:
            qlog_cdr(x, &a->cdr);
            break;
        case ACD_ACT_OVERFLOW:
            qlog_overflow(x, a);
            break;
        case ACD_ACT_AGENT_STATE:
            qlog_agent_state(x, a);
            break;
        default:
            break; /* nothing a queue_log says */
        }
    }
}

int acd_qlog_start(acd_qlog_t *q, acd_ms_t now, acd_buf_t *out)
{
    if (!q || !out)
        return -EINVAL;
    return acd_qlog_line(out, qlog_secs(now), ACD_QLOG_NONE, ACD_QLOG_NONE, ACD_QLOG_NONE,
                         "QUEUESTART", NULL, 0);
}

int acd_qlog_event(acd_qlog_t *q, const acd_core_t *core, const acd_event_t *ev, int rc,
                   const acd_actions_t *acts, acd_ms_t now, acd_buf_t *out)
{
    if (!q || !core || !ev || !out)
        return -EINVAL;
    if (rc < 0)
        return 0; /* refused: nothing changed */
    qlog_ctx_t x = {.q = q, .core = core, .ev = ev, .now = now, .out = out};
    qlog_call_t *c;
    /* Lines that come before the actions': the entry, and a failed offer's end (the
     * actions may ring the next agent at once). */
    switch (ev->type) {
    case ACD_EV_CALL_ARRIVE:
    case ACD_EV_CALL_ADOPT:
        qlog_arrive(&x, ev);
        break;
    case ACD_EV_CALL_DETACH:
        qlog_detach(&x, ev);
        break;
    case ACD_EV_OFFER_FAILED:
        if ((c = qlog_call_find(q, ev->call_id)) != NULL)
            qlog_ring_end(&x, c, ev->agent_id, false);
        break;
    default:
        break;
    }
    qlog_actions(&x, acts);
    if (ev->type == ACD_EV_CALL_FORGET)
        qlog_forget(&x, ev);
    return x.rc;
}

/* Every (agent, queue) of cfg, sorted, without duplicates, into *out (the caller frees). */
static int qlog_members_of(const acd_core_cfg_t *cfg, qlog_member_t **out, size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_agents; i++)
        n += cfg->agents[i].n_queues;
    qlog_member_t *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_agents; i++) {
        const acd_core_agent_cfg_t *a = &cfg->agents[i];
        for (size_t j = 0; j < a->n_queues; j++) {
            qlog_copy(v[k].agent, sizeof(v[k].agent), a->id);
            qlog_copy(v[k].queue, sizeof(v[k].queue), a->queues[j]);
            k++;
        }
    }
    qsort(v, k, sizeof(*v), qlog_member_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++) {
        if (u == 0 || qlog_member_cmp(&v[u - 1], &v[i]) != 0)
            v[u++] = v[i];
    }
    *out = v;
    *n_out = u;
    return 0;
}

/* Appends event for every member of a[] that b[] lacks (both sorted). */
static void qlog_members_gone(qlog_ctx_t *x, const qlog_member_t *a, size_t na,
                              const qlog_member_t *b, size_t nb, const char *event)
{
    for (size_t i = 0; i < na; i++) {
        if (!bsearch(&a[i], b, nb, sizeof(*b), qlog_member_cmp))
            qlog_emit(x, x->now, ACD_QLOG_NONE, a[i].queue, qlog_agent_name(a[i].agent).s, event,
                      0);
    }
}

int acd_qlog_configure(acd_qlog_t *q, const acd_core_t *core, const acd_core_cfg_t *cfg,
                       const acd_actions_t *acts, acd_ms_t now, acd_buf_t *out)
{
    if (!q || !core || !cfg || !out)
        return -EINVAL;
    qlog_member_t *members;
    size_t n;
    int rc = qlog_members_of(cfg, &members, &n);
    if (rc < 0)
        return rc;
    qlog_ctx_t x = {.q = q, .core = core, .now = now, .out = out};
    if (q->configured) {
        qlog_emit(&x, now, ACD_QLOG_NONE, ACD_QLOG_NONE, ACD_QLOG_NONE, "CONFIGRELOAD", 0);
        qlog_members_gone(&x, q->members, q->n_members, members, n, "REMOVEMEMBER");
        qlog_members_gone(&x, members, n, q->members, q->n_members, "ADDMEMBER");
    }
    free(q->members);
    q->members = members;
    q->n_members = n;
    q->configured = true;
    qlog_actions(&x, acts);
    return x.rc;
}
