/* replica_model.h - a random owner site for the replica tests: its state, events, snapshots. */
#ifndef ACD_TEST_REPLICA_MODEL_H
#define ACD_TEST_REPLICA_MODEL_H

#include "replica_fixture.h"

/*
 * An owner keeps its own calls, agents, bindings, dialogs and queue counts, changes
 * them at random and describes each change as the envelope it would publish, or its
 * whole state as a Snapshot. A restart gives it a larger incarnation and a new log and
 * loses its calls, dialogs, agents and queue counts (some bindings survive). Call ids
 * are never reused, even across restarts.
 */

#define MAX_CALLS 24
#define MAX_DIALOGS 16
#define N_AGENTS 8
#define N_USERS 6
#define N_QUEUES 3
#define MAX_OFFERS 4096
#define PART_SIZE 4 /* entities per kind in one snapshot part */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static uint32_t below(rng_t *r, uint32_t n)
{
    return (uint32_t)(rnd(r) % n);
}

/* True with probability permille / 1000. */
static bool chance(rng_t *r, unsigned permille)
{
    return below(r, 1000) < permille;
}

/* ---- the owner model ---- */

typedef struct m_call {
    bool live;
    char id[24];
    Acd__V1__CallKind kind;
    char agent[8];
    int32_t prio;
    int64_t enq, ans;
    uint32_t offers;
    const char *reason;
} m_call_t;

typedef struct m_agent {
    bool live;
    char id[8];
    Acd__V1__AgentState state;
    char call[24];
    int64_t since, idle;
    uint32_t missed, handled;
} m_agent_t;

typedef struct m_reg {
    bool live;
    char user[8];
    char aor[48];
    char contact[64];
    Acd__V1__Transport transport;
    int64_t expires;
    uint32_t cseq;
} m_reg_t;

typedef struct m_dialog {
    bool live;
    char call[24];
    Acd__V1__LegRole leg;
    Acd__V1__DialogState state;
    uint32_t lcseq, rcseq;
    char rtag[16];
} m_dialog_t;

typedef struct m_queue {
    bool live;
    char name[8];
    uint32_t waiting, offered, in, avail;
    int64_t oldest;
} m_queue_t;

typedef struct owner {
    const char *site;
    uint64_t inc, seq;
    m_call_t calls[MAX_CALLS];
    m_agent_t agents[N_AGENTS];
    m_reg_t regs[N_USERS];
    m_dialog_t dialogs[MAX_DIALOGS];
    m_queue_t queues[N_QUEUES];
    int next_call, next_offer;
} owner_t;

/* The randomness and the clock the owners share. */
typedef struct model {
    rng_t rng;
    acd_ms_t now;
} model_t;

/* Starts env as o's next envelope (no body yet). */
static void owner_envelope(model_t *s, owner_t *o, Acd__V1__Envelope *env)
{
    acd_wire_envelope_init(env, o->site, o->inc, ++o->seq, s->now);
}

static void owner_init(owner_t *o, const char *site, uint64_t incarnation)
{
    memset(o, 0, sizeof(*o));
    o->site = site;
    o->inc = incarnation;
    for (int i = 0; i < N_AGENTS; i++)
        snprintf(o->agents[i].id, sizeof(o->agents[i].id), "ag%d", i);
    for (int i = 0; i < N_USERS; i++) {
        snprintf(o->regs[i].user, sizeof(o->regs[i].user), "u%d", i);
        snprintf(o->regs[i].aor, sizeof(o->regs[i].aor), "sip:u%d@example.com", i);
    }
    for (int i = 0; i < N_QUEUES; i++)
        snprintf(o->queues[i].name, sizeof(o->queues[i].name), "q%d", i);
}

/* ---- model -> events ---- */

static void call_event(const m_call_t *c, Acd__V1__CallEvent *ev)
{
    acd__v1__call_event__init(ev);
    ev->call_id = (char *)c->id;
    ev->kind = c->kind;
    ev->tenant = "dental";
    ev->did = "100";
    ev->caller = "555";
    ev->queue = "reception";
    ev->priority = c->prio;
    ev->enqueue_ms = c->enq;
    ev->agent_id = (char *)c->agent;
    ev->answer_ms = c->ans;
    ev->offers = c->offers;
    ev->reason = (char *)(c->reason ? c->reason : "");
}

static void agent_event(const m_agent_t *a, Acd__V1__AgentEvent *ev)
{
    acd__v1__agent_event__init(ev);
    ev->agent_id = (char *)a->id;
    ev->state = a->state;
    ev->reason = a->state == ACD__V1__AGENT_STATE__AGENT_STATE_PAUSED ? "lunch" : "";
    ev->state_since_ms = a->since;
    ev->idle_since_ms = a->idle;
    ev->call_id = (char *)a->call;
    ev->sip_user = (char *)a->id;
    ev->missed_in_row = a->missed;
    ev->calls_handled = a->handled;
}

static void reg_event(const m_reg_t *g, Acd__V1__RegistrationEvent *ev)
{
    acd__v1__registration_event__init(ev);
    ev->user = (char *)g->user;
    ev->aor = (char *)g->aor;
    ev->removed = !g->live;
    if (g->live) {
        ev->contact = (char *)g->contact;
        ev->transport = g->transport;
        ev->source = "192.0.2.7:5060";
        ev->expires_ms = g->expires;
        ev->register_cseq = g->cseq;
        ev->register_call_id = "reg-1";
    }
}

static void dialog_event(const m_dialog_t *d, Acd__V1__DialogEvent *ev)
{
    acd__v1__dialog_event__init(ev);
    ev->call_id = (char *)d->call;
    ev->leg = d->leg;
    ev->state = d->live ? d->state : ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED;
    ev->sip_call_id = "sip-call";
    ev->remote_tag = (char *)d->rtag;
    ev->local_cseq = d->lcseq;
    ev->remote_cseq = d->rcseq;
    ev->local_sdp = "v=0\r\n";
}

static void queue_event(const m_queue_t *q, Acd__V1__QueueEvent *ev)
{
    acd__v1__queue_event__init(ev);
    ev->queue = (char *)q->name;
    ev->tenant = "dental";
    ev->waiting = q->waiting;
    ev->offered = q->offered;
    ev->agents_logged_in = q->in;
    ev->agents_available = q->avail;
    ev->oldest_enqueue_ms = q->oldest;
}

/* ---- model changes ---- */

static m_call_t *pick_call(model_t *s, owner_t *o, bool (*ok)(const m_call_t *c))
{
    uint32_t start = below(&s->rng, MAX_CALLS);
    for (uint32_t i = 0; i < MAX_CALLS; i++) {
        m_call_t *c = &o->calls[(start + i) % MAX_CALLS];
        if (c->live && (!ok || ok(c)))
            return c;
    }
    return NULL;
}

static bool call_waiting(const m_call_t *c)
{
    return c->kind == ACD__V1__CALL_KIND__CALL_KIND_ARRIVE ||
           c->kind == ACD__V1__CALL_KIND__CALL_KIND_REQUEUED;
}

static bool call_ringing(const m_call_t *c)
{
    return c->kind == ACD__V1__CALL_KIND__CALL_KIND_OFFERED;
}

/* One random change to a call; false when none was possible. */
static bool change_call(model_t *s, owner_t *o, Acd__V1__Envelope *env, Acd__V1__CallEvent *ev)
{
    m_call_t *c = NULL;
    switch (below(&s->rng, 5)) {
    case 0: /* arrive */
        for (int i = 0; i < MAX_CALLS && !c; i++)
            c = o->calls[i].live ? NULL : &o->calls[i];
        if (!c)
            return false;
        *c = (m_call_t){.live = true, .kind = ACD__V1__CALL_KIND__CALL_KIND_ARRIVE};
        snprintf(c->id, sizeof(c->id), "%s-%d", o->site, o->next_call++);
        c->prio = (int32_t)below(&s->rng, 4);
        c->enq = s->now;
        break;
    case 1: /* ring an agent */
        if (!(c = pick_call(s, o, call_waiting)))
            return false;
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_OFFERED;
        snprintf(c->agent, sizeof(c->agent), "ag%u", below(&s->rng, N_AGENTS));
        c->offers++;
        c->reason = NULL;
        break;
    case 2: /* answered */
        if (!(c = pick_call(s, o, call_ringing)))
            return false;
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
        c->ans = s->now;
        break;
    case 3: /* ring timeout */
        if (!(c = pick_call(s, o, call_ringing)))
            return false;
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_REQUEUED;
        c->agent[0] = '\0';
        c->reason = "timeout";
        break;
    default: /* ended */
        if (!(c = pick_call(s, o, NULL)))
            return false;
        call_event(c, ev);
        ev->kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
        ev->end_ms = s->now;
        ev->disposition = c->ans ? ACD__V1__DISPOSITION__DISPOSITION_ANSWERED
                                 : ACD__V1__DISPOSITION__DISPOSITION_ABANDONED;
        c->live = false;
        env->body_case = ACD__V1__ENVELOPE__BODY_CALL;
        env->call = ev;
        return true;
    }
    call_event(c, ev);
    env->body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env->call = ev;
    return true;
}

static void change_agent(model_t *s, owner_t *o, Acd__V1__Envelope *env, Acd__V1__AgentEvent *ev)
{
    m_agent_t *a = &o->agents[below(&s->rng, N_AGENTS)];
    a->live = true;
    a->state = (Acd__V1__AgentState)(1 + below(&s->rng, 6));
    a->call[0] = '\0';
    if (a->state == ACD__V1__AGENT_STATE__AGENT_STATE_RINGING ||
        a->state == ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL) {
        m_call_t *c = pick_call(s, o, NULL);
        snprintf(a->call, sizeof(a->call), "%s", c ? c->id : "gone-1");
    }
    a->since = s->now;
    if (a->state == ACD__V1__AGENT_STATE__AGENT_STATE_AVAILABLE)
        a->idle = s->now;
    a->missed = below(&s->rng, 3);
    a->handled++;
    agent_event(a, ev);
    env->body_case = ACD__V1__ENVELOPE__BODY_AGENT;
    env->agent = ev;
}

static void change_reg(model_t *s, owner_t *o, Acd__V1__Envelope *env,
                       Acd__V1__RegistrationEvent *ev)
{
    m_reg_t *g = &o->regs[below(&s->rng, N_USERS)];
    if (g->live && chance(&s->rng, 300)) {
        g->live = false;
    } else {
        g->live = true;
        g->cseq++;
        g->transport = (Acd__V1__Transport)(1 + below(&s->rng, 3));
        g->expires = s->now + 3600000;
        char user[sizeof(g->user)];
        memcpy(user, g->user, sizeof(user));
        snprintf(g->contact, sizeof(g->contact), "<sip:%s@192.0.2.%u:5060>", user,
                 1 + below(&s->rng, 200));
    }
    reg_event(g, ev);
    env->body_case = ACD__V1__ENVELOPE__BODY_REGISTRATION;
    env->registration = ev;
}

static bool change_dialog(model_t *s, owner_t *o, Acd__V1__Envelope *env, Acd__V1__DialogEvent *ev)
{
    m_dialog_t *d = &o->dialogs[below(&s->rng, MAX_DIALOGS)];
    if (d->live) {
        if (chance(&s->rng, 300)) {
            d->live = false;
        } else {
            d->state = ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED;
            d->lcseq++;
            d->rcseq += below(&s->rng, 3);
        }
    } else {
        m_call_t *c = pick_call(s, o, NULL);
        if (!c)
            return false;
        Acd__V1__LegRole leg = (Acd__V1__LegRole)(1 + below(&s->rng, 2));
        for (int i = 0; i < MAX_DIALOGS; i++) {
            if (o->dialogs[i].live && !strcmp(o->dialogs[i].call, c->id) &&
                o->dialogs[i].leg == leg)
                return false; /* that leg has its dialog already */
        }
        *d = (m_dialog_t){
            .live = true, .leg = leg, .state = ACD__V1__DIALOG_STATE__DIALOG_STATE_EARLY};
        snprintf(d->call, sizeof(d->call), "%s", c->id);
        snprintf(d->rtag, sizeof(d->rtag), "t%u", below(&s->rng, 100000));
    }
    dialog_event(d, ev);
    env->body_case = ACD__V1__ENVELOPE__BODY_DIALOG;
    env->dialog = ev;
    return true;
}

static void change_queue(model_t *s, owner_t *o, Acd__V1__Envelope *env, Acd__V1__QueueEvent *ev)
{
    m_queue_t *q = &o->queues[below(&s->rng, N_QUEUES)];
    q->live = true;
    q->waiting = below(&s->rng, 10);
    q->offered = below(&s->rng, 3);
    q->in = below(&s->rng, 8);
    q->avail = below(&s->rng, 4);
    q->oldest = q->waiting ? s->now - below(&s->rng, 60000) : 0;
    queue_event(q, ev);
    env->body_case = ACD__V1__ENVELOPE__BODY_QUEUE;
    env->queue = ev;
}

/* The owner restarts: a larger incarnation, a new log, and it lost its calls. */
static void owner_restart(model_t *s, owner_t *o)
{
    o->inc += 1 + below(&s->rng, 5);
    o->seq = 0;
    for (int i = 0; i < MAX_CALLS; i++)
        o->calls[i].live = false;
    for (int i = 0; i < MAX_DIALOGS; i++)
        o->dialogs[i].live = false;
    for (int i = 0; i < N_AGENTS; i++)
        o->agents[i].live = false;
    for (int i = 0; i < N_QUEUES; i++)
        o->queues[i].live = false;
    for (int i = 0; i < N_USERS; i++)
        o->regs[i].live = o->regs[i].live && chance(&s->rng, 500);
}

/* The bodies of one envelope from an owner (the envelope borrows them). */
typedef struct m_bodies {
    Acd__V1__CallEvent call;
    Acd__V1__AgentEvent agent;
    Acd__V1__RegistrationEvent reg;
    Acd__V1__DialogEvent dialog;
    Acd__V1__QueueEvent queue;
    Acd__V1__Heartbeat hb;
    Acd__V1__Offer offer;
    Acd__V1__OfferAccept accept;
    Acd__V1__OfferReject reject;
    char offer_id[32];
} m_bodies_t;

/* Fills env (borrowing b) with o's next envelope: one random change, or a heartbeat or
 * decision. */
static void owner_next(model_t *s, owner_t *o, Acd__V1__Envelope *env, m_bodies_t *b)
{
    owner_envelope(s, o, env);
    for (;;) {
        uint32_t what = below(&s->rng, 100);
        if (what < 40) {
            if (change_call(s, o, env, &b->call))
                return;
        } else if (what < 55) {
            change_agent(s, o, env, &b->agent);
            return;
        } else if (what < 63) {
            change_reg(s, o, env, &b->reg);
            return;
        } else if (what < 75) {
            if (change_dialog(s, o, env, &b->dialog))
                return;
        } else if (what < 82) {
            change_queue(s, o, env, &b->queue);
            return;
        } else if (what < 90) {
            acd__v1__heartbeat__init(&b->hb);
            b->hb.draining = chance(&s->rng, 100);
            b->hb.queued_calls = below(&s->rng, 20);
            env->body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
            env->heartbeat = &b->hb;
            return;
        } else if (o->next_offer < MAX_OFFERS) {
            snprintf(b->offer_id, sizeof(b->offer_id), "%s-o%d", o->site, o->next_offer++);
            if (what < 94) {
                acd__v1__offer__init(&b->offer);
                b->offer.offer_id = b->offer_id;
                b->offer.epoch = 9;
                b->offer.leader_site = (char *)o->site;
                b->offer.call_id = b->offer.call_site = "x";
                b->offer.agent_id = b->offer.agent_site = "x";
                b->offer.queue = "q";
                env->body_case = ACD__V1__ENVELOPE__BODY_OFFER;
                env->offer = &b->offer;
            } else if (what < 97) {
                acd__v1__offer_accept__init(&b->accept);
                b->accept.offer_id = b->offer_id;
                b->accept.epoch = 9;
                b->accept.call_id = b->accept.agent_id = "x";
                env->body_case = ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT;
                env->offer_accept = &b->accept;
            } else {
                acd__v1__offer_reject__init(&b->reject);
                b->reject.offer_id = b->offer_id;
                b->reject.epoch = 9;
                b->reject.call_id = b->reject.agent_id = "x";
                b->reject.reason = ACD__V1__REJECT_REASON__REJECT_REASON_AGENT_BUSY;
                env->body_case = ACD__V1__ENVELOPE__BODY_OFFER_REJECT;
                env->offer_reject = &b->reject;
            }
            return;
        }
    }
}

/* ---- snapshots from the model ---- */

typedef struct snap_lists {
    Acd__V1__CallEvent calls[MAX_CALLS];
    Acd__V1__AgentEvent agents[N_AGENTS];
    Acd__V1__RegistrationEvent regs[N_USERS];
    Acd__V1__DialogEvent dialogs[MAX_DIALOGS];
    Acd__V1__QueueEvent queues[N_QUEUES];
    Acd__V1__CallEvent *pc[MAX_CALLS];
    Acd__V1__AgentEvent *pa[N_AGENTS];
    Acd__V1__RegistrationEvent *pr[N_USERS];
    Acd__V1__DialogEvent *pd[MAX_DIALOGS];
    Acd__V1__QueueEvent *pq[N_QUEUES];
    size_t nc, na, nr, nd, nq;
} snap_lists_t;

static void snap_lists(const owner_t *o, snap_lists_t *l)
{
    memset(l, 0, sizeof(*l));
    for (int i = 0; i < MAX_CALLS; i++) {
        if (o->calls[i].live) {
            call_event(&o->calls[i], &l->calls[l->nc]);
            l->pc[l->nc] = &l->calls[l->nc];
            l->nc++;
        }
    }
    for (int i = 0; i < N_AGENTS; i++) {
        if (o->agents[i].live) {
            agent_event(&o->agents[i], &l->agents[l->na]);
            l->pa[l->na] = &l->agents[l->na];
            l->na++;
        }
    }
    for (int i = 0; i < N_USERS; i++) {
        if (o->regs[i].live) {
            reg_event(&o->regs[i], &l->regs[l->nr]);
            l->pr[l->nr] = &l->regs[l->nr];
            l->nr++;
        }
    }
    for (int i = 0; i < MAX_DIALOGS; i++) {
        if (o->dialogs[i].live) {
            dialog_event(&o->dialogs[i], &l->dialogs[l->nd]);
            l->pd[l->nd] = &l->dialogs[l->nd];
            l->nd++;
        }
    }
    for (int i = 0; i < N_QUEUES; i++) {
        if (o->queues[i].live) {
            queue_event(&o->queues[i], &l->queues[l->nq]);
            l->pq[l->nq] = &l->queues[l->nq];
            l->nq++;
        }
    }
}

static size_t slice(size_t n, size_t part, size_t per, size_t *first)
{
    *first = part * per < n ? part * per : n;
    return n - *first < per ? n - *first : per;
}

/*
 * Encodes o's current state as a snapshot at o->seq (PART_SIZE entities of each kind
 * per part when in_parts, else one part; numbered with part/parts) and hands each frame
 * to emit. Returns the number of frames.
 */
static size_t owner_snapshot(const owner_t *o, acd_ms_t now, bool in_parts,
                             void (*emit)(void *ud, const acd_buf_t *frame), void *ud)
{
    snap_lists_t *l = malloc(sizeof(*l));
    assert_non_null(l);
    snap_lists(o, l);
    size_t most = l->nc;
    most = l->na > most ? l->na : most;
    most = l->nr > most ? l->nr : most;
    most = l->nd > most ? l->nd : most;
    most = l->nq > most ? l->nq : most;
    size_t per = in_parts ? PART_SIZE : MAX_CALLS;
    size_t n_parts = most ? (most + per - 1) / per : 1;
    for (size_t p = 0; p < n_parts; p++) {
        Acd__V1__Envelope env;
        Acd__V1__Snapshot snap;
        size_t first;
        acd_wire_envelope_init(&env, o->site, o->inc, o->seq ? o->seq : 1, now);
        acd__v1__snapshot__init(&snap);
        snap.last_seq = o->seq;
        snap.more = p + 1 < n_parts;
        snap.part = (uint32_t)p;
        /* a single part says parts 1, or 0 like a sender built before the field */
        snap.parts = n_parts > 1 ? (uint32_t)n_parts : (uint32_t)(o->seq & 1);
        snap.n_calls = slice(l->nc, p, per, &first);
        snap.calls = l->pc + first;
        snap.n_agents = slice(l->na, p, per, &first);
        snap.agents = l->pa + first;
        snap.n_registrations = slice(l->nr, p, per, &first);
        snap.registrations = l->pr + first;
        snap.n_dialogs = slice(l->nd, p, per, &first);
        snap.dialogs = l->pd + first;
        snap.n_queues = slice(l->nq, p, per, &first);
        snap.queues = l->pq + first;
        env.body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
        env.snapshot = &snap;
        acd_buf_t b = {0};
        assert_int_equal(acd_wire_encode(&env, &b), 0);
        emit(ud, &b);
        acd_buf_fini(&b);
    }
    free(l);
    return n_parts;
}

#endif
