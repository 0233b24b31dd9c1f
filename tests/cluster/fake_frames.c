/* fake_frames.c - the frames fake_peer sends: valid, corrupted and contract-breaking envelopes. */
#include "fake_frames.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- randomness ---- */

uint64_t ff_below(ff_t *f, uint64_t n)
{
    /* xorshift64*: reproducible from the seed, good enough to pick cases. */
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return n ? (f->rng * 2685821657736338717ull) % n : 0;
}

void ff_fill(ff_t *f, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)ff_below(f, 256);
}

int ff_random(ff_t *f, acd_buf_t *out, size_t max)
{
    size_t n = 1 + ff_below(f, max);
    int rc = acd_buf_reserve(out, n);
    if (rc < 0)
        return rc;
    ff_fill(f, (uint8_t *)out->p + out->n, n);
    out->n += n;
    return 0;
}

void ff_truncate(ff_t *f, acd_buf_t *b)
{
    b->n = ff_below(f, b->n);
}

void ff_flip(ff_t *f, acd_buf_t *b)
{
    unsigned n = 1 + (unsigned)ff_below(f, 3);
    for (unsigned i = 0; i < n && b->n > 0; i++) {
        uint64_t bit = ff_below(f, (uint64_t)b->n * 8);
        b->p[bit / 8] ^= (char)(1u << (bit % 8));
    }
}

/* ---- envelopes ---- */

/*
 * Storage for one envelope built on the stack: every body and the strings they point
 * to. ff_base() points env at members of b, so b must outlive the encoding of env.
 */
typedef struct ff_bodies {
    Acd__V1__Heartbeat hb;
    Acd__V1__CallEvent call;
    Acd__V1__AgentEvent agent;
    Acd__V1__RegistrationEvent reg;
    Acd__V1__QueueEvent queue;
    Acd__V1__DialogEvent dialog;
    Acd__V1__Offer offer;
    Acd__V1__Snapshot snap;
    Acd__V1__CallEvent s_calls[3];
    Acd__V1__AgentEvent s_agents[3];
    Acd__V1__RegistrationEvent s_regs[2];
    Acd__V1__CallEvent *p_calls[3];
    Acd__V1__AgentEvent *p_agents[3];
    Acd__V1__RegistrationEvent *p_regs[2];
    Acd__V1__QueueEvent *p_queues[1];
    char *routes[ACD_WIRE_ROUTES_MAX + 1];
    char call_ids[3][ACD_ID_MAX];
    char long_id[ACD_ID_MAX + 8];
} ff_bodies_t;

static int64_t ff_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ff_call(ff_bodies_t *b, Acd__V1__CallEvent *c, int i, int64_t now)
{
    acd__v1__call_event__init(c);
    snprintf(b->call_ids[i], sizeof(b->call_ids[i]), "z-call-%d", i + 1);
    c->call_id = b->call_ids[i];
    c->kind = ACD__V1__CALL_KIND__CALL_KIND_ARRIVE;
    c->tenant = "acme";
    c->did = "1000";
    c->caller = "5550001";
    c->queue = "main";
    c->enqueue_ms = now - 1000;
}

static void ff_agent(Acd__V1__AgentEvent *a, const char *id, int64_t now)
{
    acd__v1__agent_event__init(a);
    a->agent_id = (char *)id;
    a->sip_user = (char *)id;
    a->state = ACD__V1__AGENT_STATE__AGENT_STATE_AVAILABLE;
    a->state_since_ms = now;
    a->idle_since_ms = now;
}

static void ff_reg(Acd__V1__RegistrationEvent *r, const char *user, int64_t now)
{
    acd__v1__registration_event__init(r);
    r->aor = "sip:9001@127.0.0.1";
    r->contact = "sip:9001@127.0.0.1:5999";
    r->transport = ACD__V1__TRANSPORT__TRANSPORT_UDP;
    r->source = "127.0.0.1:5999";
    r->expires_ms = now + 60000;
    r->agent_id = (char *)user;
    r->register_call_id = "reg-1@127.0.0.1";
    r->register_cseq = 1;
    r->user = (char *)user;
}

static void ff_dialog(Acd__V1__DialogEvent *d)
{
    acd__v1__dialog_event__init(d);
    d->call_id = "z-call-1";
    d->leg = ACD__V1__LEG_ROLE__LEG_ROLE_CALLER;
    d->state = ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED;
    d->sip_call_id = "dlg-1@127.0.0.1";
    d->remote_target = "sip:carrier@127.0.0.1:5998";
    d->transport = ACD__V1__TRANSPORT__TRANSPORT_UDP;
    d->peer_address = "127.0.0.1:5998";
}

/* An offer among the fake site's own call and agent: no real site acts on it. */
static void ff_offer(Acd__V1__Offer *o, const char *site)
{
    acd__v1__offer__init(o);
    o->offer_id = "z-offer-1";
    o->epoch = 1;
    o->leader_site = (char *)site;
    o->call_id = "z-call-1";
    o->call_site = (char *)site;
    o->agent_id = "9001";
    o->agent_site = (char *)site;
    o->ring_timeout_ms = 15000;
    o->queue = "main";
}

/* Fills env (borrowing b) with the valid base envelope of kind body at seq. */
static void ff_base(ff_t *f, ff_bodies_t *b, Acd__V1__Envelope *env, int body, uint64_t seq)
{
    int64_t now = ff_wall_ms();
    memset(b, 0, sizeof(*b));
    acd_wire_envelope_init(env, f->site, f->incarnation, seq ? seq : 1, now);
    switch (body) {
    case 1:
        ff_call(b, &b->call, 0, now);
        env->body_case = ACD__V1__ENVELOPE__BODY_CALL;
        env->call = &b->call;
        break;
    case 2:
        ff_agent(&b->agent, "9001", now);
        env->body_case = ACD__V1__ENVELOPE__BODY_AGENT;
        env->agent = &b->agent;
        break;
    case 3:
        ff_reg(&b->reg, "9001", now);
        env->body_case = ACD__V1__ENVELOPE__BODY_REGISTRATION;
        env->registration = &b->reg;
        break;
    case 4:
        acd__v1__queue_event__init(&b->queue);
        b->queue.queue = "main";
        b->queue.tenant = "acme";
        b->queue.waiting = 1;
        env->body_case = ACD__V1__ENVELOPE__BODY_QUEUE;
        env->queue = &b->queue;
        break;
    case 5:
        ff_dialog(&b->dialog);
        env->body_case = ACD__V1__ENVELOPE__BODY_DIALOG;
        env->dialog = &b->dialog;
        break;
    case 6:
        ff_offer(&b->offer, f->site);
        env->body_case = ACD__V1__ENVELOPE__BODY_OFFER;
        env->offer = &b->offer;
        break;
    default:
        acd__v1__heartbeat__init(&b->hb);
        env->body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
        env->heartbeat = &b->hb;
        break;
    }
}

/* Fills env with a snapshot at the log's position, with entities or none. */
static void ff_snap_env(ff_t *f, ff_bodies_t *b, Acd__V1__Envelope *env, bool entities)
{
    static const char *const agents[] = {"9001", "9002", "9003"};
    ff_base(f, b, env, 0, f->seq);
    int64_t now = env->sent_ms;
    acd__v1__snapshot__init(&b->snap);
    b->snap.last_seq = f->seq;
    b->snap.parts = 1;
    env->body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
    env->snapshot = &b->snap;
    if (!entities)
        return;
    for (int i = 0; i < 3; i++) {
        ff_call(b, &b->s_calls[i], i, now);
        b->p_calls[i] = &b->s_calls[i];
        ff_agent(&b->s_agents[i], agents[i], now);
        b->p_agents[i] = &b->s_agents[i];
    }
    for (int i = 0; i < 2; i++) {
        ff_reg(&b->s_regs[i], agents[i], now);
        b->p_regs[i] = &b->s_regs[i];
    }
    acd__v1__queue_event__init(&b->queue);
    b->queue.queue = "main";
    b->p_queues[0] = &b->queue;
    b->snap.calls = b->p_calls;
    b->snap.n_calls = 3;
    b->snap.agents = b->p_agents;
    b->snap.n_agents = 3;
    b->snap.registrations = b->p_regs;
    b->snap.n_registrations = 2;
    b->snap.queues = b->p_queues;
    b->snap.n_queues = 1;
}

/* Appends env packed by protobuf-c itself, which checks nothing: how invalid frames are made. */
static int ff_pack(const Acd__V1__Envelope *env, acd_buf_t *out)
{
    size_t n = acd__v1__envelope__get_packed_size(env);
    int rc = acd_buf_reserve(out, n);
    if (rc < 0)
        return rc;
    out->n += acd__v1__envelope__pack(env, (uint8_t *)out->p + out->n);
    return 0;
}

int ff_valid(ff_t *f, acd_buf_t *out, int body, uint64_t seq)
{
    ff_bodies_t b;
    Acd__V1__Envelope env;
    ff_base(f, &b, &env, body, seq);
    return acd_wire_encode(&env, out);
}

int ff_snapshot(ff_t *f, acd_buf_t *out, ff_snap_t how)
{
    ff_bodies_t b;
    Acd__V1__Envelope env;
    ff_snap_env(f, &b, &env, how != FF_SNAP_VALID);
    if (how == FF_SNAP_SPOOFED)
        env.origin_site = (char *)(f->n_spoof ? f->spoof[ff_below(f, f->n_spoof)] : "y");
    if (how == FF_SNAP_PARTS)
        b.snap.part = 1;
    return ff_pack(&env, out);
}

/* ---- contract breakers ---- */

static int ff_varint(acd_buf_t *out, uint64_t v)
{
    uint8_t c[10];
    size_t n = 0;
    do {
        c[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        c[n++] |= v ? 0x80 : 0;
    } while (v);
    return acd_buf_append(out, c, n);
}

/* A heartbeat envelope whose origin_site is "z\0z", written byte by byte. */
static int ff_nul_origin(ff_t *f, acd_buf_t *out)
{
    static const uint8_t origin[] = {0x0a, 3, 'z', 0, 'z', 0x10};
    static const uint8_t tail[] = {0x20, 1, 0x9a, 0x01, 0}; /* schema 1, heartbeat {} */
    int rc = acd_buf_append(out, origin, sizeof(origin));
    if (rc == 0)
        rc = ff_varint(out, f->incarnation);
    if (rc == 0)
        rc = acd_buf_append(out, "\x18", 1);
    if (rc == 0)
        rc = ff_varint(out, f->seq + 1);
    return rc == 0 ? acd_buf_append(out, tail, sizeof(tail)) : rc;
}

/* The cases of ff_invalid(): enum suffix, name, and the base body they break. */
#define FF_INVALID_LIST(X)                                                                         \
    X(SPOOFED_ORIGIN, "spoofed_origin", 0)                                                         \
    X(EMPTY_ORIGIN, "empty_origin", 0)                                                             \
    X(ZERO_INCARNATION, "zero_incarnation", 0)                                                     \
    X(ZERO_SEQ, "zero_seq", 0)                                                                     \
    X(ZERO_SCHEMA, "zero_schema", 0)                                                               \
    X(NO_BODY, "no_body", 0)                                                                       \
    X(EMPTY_CALL_ID, "empty_call_id", 1)                                                           \
    X(BAD_CALL_KIND, "bad_call_kind", 1)                                                           \
    X(LONG_AGENT_ID, "long_agent_id", 2)                                                           \
    X(UTF8_AGENT_ID, "utf8_agent_id", 2)                                                           \
    X(CTRL_AGENT_ID, "ctrl_agent_id", 2)                                                           \
    X(SNAPSHOT_SEQ, "snapshot_seq", 0)                                                             \
    X(SNAPSHOT_PARTS, "snapshot_parts", 0)                                                         \
    X(TOO_MANY_ROUTES, "too_many_routes", 5)                                                       \
    X(OFFER_NO_EPOCH, "offer_no_epoch", 6)                                                         \
    X(REG_NO_USER, "reg_no_user", 3)                                                               \
    X(NUL_ORIGIN, "nul_origin", 0)

#define FF_INVALID_ENUM(k, name, body) FF_INV_##k,
#define FF_INVALID_ROW(k, name, body) {name, body},

enum { FF_INVALID_LIST(FF_INVALID_ENUM) FF_N_INVALID };

static const struct {
    const char *name;
    int body;
} ff_invalid_cases[] = {FF_INVALID_LIST(FF_INVALID_ROW)};

static const char *const ff_absurd_cases[] = {"seq_far_ahead", "seq_max",     "new_incarnation",
                                              "sent_ms_min",   "sent_ms_max", "counts_max"};

#define FF_N_ABSURD (sizeof(ff_absurd_cases) / sizeof(ff_absurd_cases[0]))

int ff_case_find(const char *name, bool *absurd)
{
    for (int i = 0; i < FF_N_INVALID; i++)
        if (strcmp(name, ff_invalid_cases[i].name) == 0) {
            *absurd = false;
            return i;
        }
    for (size_t i = 0; i < FF_N_ABSURD; i++)
        if (strcmp(name, ff_absurd_cases[i]) == 0) {
            *absurd = true;
            return (int)i;
        }
    return -1;
}

int ff_invalid(ff_t *f, acd_buf_t *out, int which, const char **what)
{
    ff_bodies_t b;
    Acd__V1__Envelope env;
    if (which < 0 || which >= FF_N_INVALID)
        which = (int)ff_below(f, FF_N_INVALID);
    *what = ff_invalid_cases[which].name;
    ff_base(f, &b, &env, ff_invalid_cases[which].body, f->seq + 1);
    switch (which) {
    case FF_INV_SPOOFED_ORIGIN: /* another site's name on this site's log */
        env.origin_site = (char *)(f->n_spoof ? f->spoof[ff_below(f, f->n_spoof)] : "y");
        break;
    case FF_INV_EMPTY_ORIGIN:
        env.origin_site = "";
        break;
    case FF_INV_ZERO_INCARNATION:
        env.incarnation = 0;
        break;
    case FF_INV_ZERO_SEQ:
        env.seq = 0;
        break;
    case FF_INV_ZERO_SCHEMA:
        env.schema_version = 0;
        break;
    case FF_INV_NO_BODY:
        env.body_case = ACD__V1__ENVELOPE__BODY__NOT_SET;
        break;
    case FF_INV_EMPTY_CALL_ID:
        b.call.call_id = "";
        break;
    case FF_INV_BAD_CALL_KIND:
        b.call.kind = (Acd__V1__CallKind)99;
        break;
    case FF_INV_LONG_AGENT_ID:
        memset(b.long_id, '9', ACD_WIRE_ID_MAX + 1);
        b.agent.agent_id = b.long_id;
        break;
    case FF_INV_UTF8_AGENT_ID:
        b.agent.agent_id = "9\37701";
        break;
    case FF_INV_CTRL_AGENT_ID:
        b.agent.agent_id = "90\00101";
        break;
    case FF_INV_SNAPSHOT_SEQ:
        ff_snap_env(f, &b, &env, false);
        b.snap.last_seq = env.seq + 5;
        break;
    case FF_INV_SNAPSHOT_PARTS:
        ff_snap_env(f, &b, &env, false);
        b.snap.part = 2;
        b.snap.parts = 2;
        break;
    case FF_INV_TOO_MANY_ROUTES:
        for (int i = 0; i <= ACD_WIRE_ROUTES_MAX; i++)
            b.routes[i] = "sip:proxy@127.0.0.1";
        b.dialog.route_set = b.routes;
        b.dialog.n_route_set = ACD_WIRE_ROUTES_MAX + 1;
        break;
    case FF_INV_OFFER_NO_EPOCH:
        b.offer.epoch = 0;
        break;
    case FF_INV_REG_NO_USER:
        b.reg.user = "";
        break;
    default: /* FF_INV_NUL_ORIGIN */
        return ff_nul_origin(f, out);
    }
    return ff_pack(&env, out);
}

int ff_absurd(ff_t *f, acd_buf_t *out, int which, const char **what)
{
    ff_bodies_t b;
    Acd__V1__Envelope env;
    if (which < 0 || (size_t)which >= FF_N_ABSURD)
        which = (int)ff_below(f, FF_N_ABSURD);
    *what = ff_absurd_cases[which];
    ff_base(f, &b, &env, 0, f->seq + 1);
    switch (which) {
    case 0:
        env.seq = f->seq + 1000 + ff_below(f, 1000000);
        break;
    case 1:
        env.seq = UINT64_MAX;
        break;
    case 2: /* a restart that never sends a snapshot of its own */
        env.incarnation = f->incarnation + 1000;
        env.seq = 1;
        break;
    case 3:
    case 4:
        env.seq = ++f->seq;
        env.sent_ms = which == 3 ? INT64_MIN : INT64_MAX;
        break;
    default:
        env.seq = ++f->seq;
        b.hb.queued_calls = UINT32_MAX;
        b.hb.available_agents = UINT32_MAX;
        b.hb.leader_site = (char *)f->site;
        b.hb.leader_epoch = UINT64_MAX;
        break;
    }
    return acd_wire_encode(&env, out);
}

/* ---- what a site may accept ---- */

static void ff_ids_add(ff_ids_t *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->id[i], id) == 0)
            return;
    if (s->n == FF_IDS_MAX) {
        s->overflow = true;
        return;
    }
    snprintf(s->id[s->n++], sizeof(s->id[0]), "%s", id);
}

static void ff_note_entities(ff_t *f, const Acd__V1__Envelope *env)
{
    const Acd__V1__Snapshot *s = env->snapshot;
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        if (env->call->kind != ACD__V1__CALL_KIND__CALL_KIND_ENDED)
            ff_ids_add(&f->calls, env->call->call_id);
        break;
    case ACD__V1__ENVELOPE__BODY_AGENT:
        ff_ids_add(&f->agents, env->agent->agent_id);
        break;
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        if (!env->registration->removed)
            ff_ids_add(&f->regs, env->registration->user);
        break;
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        for (size_t i = 0; i < s->n_calls; i++)
            ff_ids_add(&f->calls, s->calls[i]->call_id);
        for (size_t i = 0; i < s->n_agents; i++)
            ff_ids_add(&f->agents, s->agents[i]->agent_id);
        for (size_t i = 0; i < s->n_registrations; i++)
            ff_ids_add(&f->regs, s->registrations[i]->user);
        break;
    default:
        break;
    }
}

bool ff_accepted(ff_t *f, const acd_buf_t *b)
{
    Acd__V1__Envelope *env = NULL;
    if (b->n > ACD_WIRE_FRAME_MAX || acd_wire_decode((const uint8_t *)b->p, b->n, &env) != 0)
        return false;
    bool ok = strcmp(env->origin_site, f->site) == 0;
    if (ok) {
        f->accepted[(unsigned)env->body_case % 32]++;
        ff_note_entities(f, env);
    }
    acd_wire_free(env);
    return ok;
}
