/* replica_fixture.h - envelopes from short specs, state summaries and dumps, for replica tests. */
#ifndef ACD_TEST_REPLICA_FIXTURE_H
#define ACD_TEST_REPLICA_FIXTURE_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/replica.h"
#include "cluster/wire.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hmap.h"

/*
 * A spec is a line of space-separated tokens naming one body:
 *   arrive C | ring C A | answer C A | requeue C | end C     call events (C queued ...)
 *     followed by optional overrides tenant=X did=X enq=N prio=N
 *   agent A STATE[:CALL]      STATE: available paused ringing on-call wrapup logged-out
 *   reg U | unreg U | dialog C | bye C | queue Q N | hb [draining]
 *   offer O | accept O | reject O
 *   snap LAST [K/N] ENTITY...     ENTITY: C (queued call), C=ring:A, C=answer:A, C=end,
 *                                 A... (agent available), A=paused, U... (binding),
 *                                 U=removed, d:C (caller dialog), d:C=bye, Q... (queue)
 *                                 K/N: part K of N (more unless the last); without it
 *                                 a single-part snapshot with parts 0
 * Calls start with 'c', agents with 'a', users with 'u', queues with 'q'. Facts that
 * never change (tenant, number, enqueue time) are derived from the call id, so the
 * same call gets the same facts in every spec.
 */

#define FX_MAX 16

typedef struct fx_body {
    Acd__V1__CallEvent call[FX_MAX];
    Acd__V1__AgentEvent agent[FX_MAX];
    Acd__V1__RegistrationEvent reg[FX_MAX];
    Acd__V1__DialogEvent dialog[FX_MAX];
    Acd__V1__QueueEvent queue[FX_MAX];
    Acd__V1__CallEvent *pcall[FX_MAX];
    Acd__V1__AgentEvent *pagent[FX_MAX];
    Acd__V1__RegistrationEvent *preg[FX_MAX];
    Acd__V1__DialogEvent *pdialog[FX_MAX];
    Acd__V1__QueueEvent *pqueue[FX_MAX];
    Acd__V1__Snapshot snap;
    Acd__V1__Offer offer;
    Acd__V1__OfferAccept accept;
    Acd__V1__OfferReject reject;
    Acd__V1__Heartbeat hb;
    char strs[FX_MAX * 8][96];
    int nstr;
} fx_body_t;

static inline char *fx_strf(fx_body_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline char *fx_strf(fx_body_t *b, const char *fmt, ...)
{
    assert_true(b->nstr < FX_MAX * 8);
    char *s = b->strs[b->nstr++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof(b->strs[0]), fmt, ap);
    va_end(ap);
    return s;
}

static inline int64_t fx_enq(const char *call_id)
{
    return 1700000000000 + (int64_t)(acd_hash_bytes(call_id, strlen(call_id)) % 100000);
}

static inline void fx_call(fx_body_t *b, Acd__V1__CallEvent *c, char *id, const char *what,
                           char *agent)
{
    acd__v1__call_event__init(c);
    c->call_id = id;
    c->tenant = "dental";
    c->did = "100";
    c->caller = "555";
    c->queue = "reception";
    c->enqueue_ms = fx_enq(id);
    if (!strcmp(what, "arrive") || !strcmp(what, "queued")) {
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_ARRIVE;
    } else if (!strcmp(what, "ring")) {
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_OFFERED;
        c->agent_id = agent;
        c->offers = 1;
    } else if (!strcmp(what, "answer")) {
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
        c->agent_id = agent;
        c->answer_ms = c->enqueue_ms + 5000;
        c->offers = 1;
    } else if (!strcmp(what, "requeue")) {
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_REQUEUED;
        c->reason = "timeout";
        c->offers = 1;
    } else if (!strcmp(what, "end")) {
        c->kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
        c->end_ms = c->enqueue_ms + 9000;
        c->disposition = ACD__V1__DISPOSITION__DISPOSITION_ABANDONED;
    } else {
        fail_msg("unknown call spec %s", what);
    }
    (void)b;
}

/* Applies "key=value" overrides to a call. */
static inline void fx_call_override(Acd__V1__CallEvent *c, char *tok)
{
    char *v = strchr(tok, '=');
    assert_non_null(v);
    *v++ = '\0';
    if (!strcmp(tok, "tenant"))
        c->tenant = v;
    else if (!strcmp(tok, "did"))
        c->did = v;
    else if (!strcmp(tok, "enq"))
        c->enqueue_ms = strtoll(v, NULL, 10);
    else if (!strcmp(tok, "prio"))
        c->priority = (int32_t)strtol(v, NULL, 10);
    else
        fail_msg("unknown override %s", tok);
}

static inline void fx_agent(Acd__V1__AgentEvent *a, char *id, char *state)
{
    static const struct {
        const char *name;
        Acd__V1__AgentState st;
    } states[] = {
        {"available", ACD__V1__AGENT_STATE__AGENT_STATE_AVAILABLE},
        {"paused", ACD__V1__AGENT_STATE__AGENT_STATE_PAUSED},
        {"ringing", ACD__V1__AGENT_STATE__AGENT_STATE_RINGING},
        {"on-call", ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL},
        {"wrapup", ACD__V1__AGENT_STATE__AGENT_STATE_WRAPUP},
        {"logged-out", ACD__V1__AGENT_STATE__AGENT_STATE_LOGGED_OUT},
    };
    acd__v1__agent_event__init(a);
    a->agent_id = id;
    a->sip_user = id;
    a->state_since_ms = 1700000000000;
    a->idle_since_ms = 1700000000000;
    char *call = strchr(state, ':');
    if (call) {
        *call++ = '\0';
        a->call_id = call;
    }
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (!strcmp(state, states[i].name))
            a->state = states[i].st;
    }
    assert_int_not_equal(a->state, ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED);
    if (a->state == ACD__V1__AGENT_STATE__AGENT_STATE_PAUSED)
        a->reason = "lunch";
}

static inline void fx_reg(fx_body_t *b, Acd__V1__RegistrationEvent *g, char *user, bool removed)
{
    acd__v1__registration_event__init(g);
    g->user = user;
    g->aor = fx_strf(b, "sip:%s@example.com", user);
    g->removed = removed;
    if (!removed) {
        g->contact = fx_strf(b, "<sip:%s@192.0.2.1:5060>", user);
        g->transport = ACD__V1__TRANSPORT__TRANSPORT_UDP;
        g->source = "192.0.2.1:5060";
        g->expires_ms = 1800000000000;
        g->register_call_id = fx_strf(b, "reg-%s", user);
        g->register_cseq = 2;
    }
}

static inline void fx_dialog(fx_body_t *b, Acd__V1__DialogEvent *d, char *call, bool bye)
{
    acd__v1__dialog_event__init(d);
    d->call_id = call;
    d->leg = ACD__V1__LEG_ROLE__LEG_ROLE_CALLER;
    d->state = bye ? ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED
                   : ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED;
    d->sip_call_id = fx_strf(b, "sip-%s@carrier", call);
    d->local_tag = "lt";
    d->remote_tag = "rt";
    d->local_cseq = 1;
    d->remote_cseq = 7;
    d->remote_target = "sip:555@192.0.2.9";
    d->local_sdp = "v=0\r\ns=-\r\n";
}

static inline void fx_queue(Acd__V1__QueueEvent *q, char *name, uint32_t waiting)
{
    acd__v1__queue_event__init(q);
    q->queue = name;
    q->tenant = "dental";
    q->waiting = waiting;
}

/* One snapshot entity token (see the grammar above). */
static inline void fx_snap_entity(fx_body_t *b, char *tok)
{
    Acd__V1__Snapshot *s = &b->snap;
    char *val = strchr(tok, '=');
    if (val)
        *val++ = '\0';
    if (!strncmp(tok, "d:", 2)) {
        assert_true(s->n_dialogs < FX_MAX);
        fx_dialog(b, &b->dialog[s->n_dialogs], tok + 2, val && !strcmp(val, "bye"));
        s->n_dialogs++;
    } else if (tok[0] == 'c') {
        assert_true(s->n_calls < FX_MAX);
        char *agent = val ? strchr(val, ':') : NULL;
        if (agent)
            *agent++ = '\0';
        fx_call(b, &b->call[s->n_calls], tok, val ? val : "queued", agent);
        s->n_calls++;
    } else if (tok[0] == 'a') {
        assert_true(s->n_agents < FX_MAX);
        fx_agent(&b->agent[s->n_agents], tok, val ? val : fx_strf(b, "available"));
        s->n_agents++;
    } else if (tok[0] == 'u') {
        assert_true(s->n_registrations < FX_MAX);
        fx_reg(b, &b->reg[s->n_registrations], tok, val && !strcmp(val, "removed"));
        s->n_registrations++;
    } else if (tok[0] == 'q') {
        assert_true(s->n_queues < FX_MAX);
        fx_queue(&b->queue[s->n_queues], tok, 1);
        s->n_queues++;
    } else {
        fail_msg("unknown snapshot entity %s", tok);
    }
}

/* Sets env's body from the tokens of spec (modified in place; it must outlive env). */
static inline void fx_body(fx_body_t *b, Acd__V1__Envelope *env, char *spec)
{
    char *tok[FX_MAX * 2];
    int n = 0;
    for (char *t = strtok(spec, " "); t && n < FX_MAX * 2; t = strtok(NULL, " "))
        tok[n++] = t;
    assert_true(n > 0);
    for (int i = 0; i < FX_MAX; i++) {
        b->pcall[i] = &b->call[i];
        b->pagent[i] = &b->agent[i];
        b->preg[i] = &b->reg[i];
        b->pdialog[i] = &b->dialog[i];
        b->pqueue[i] = &b->queue[i];
    }
    const char *w = tok[0];
    if (!strcmp(w, "arrive") || !strcmp(w, "ring") || !strcmp(w, "answer") ||
        !strcmp(w, "requeue") || !strcmp(w, "end")) {
        bool with_agent = !strcmp(w, "ring") || !strcmp(w, "answer");
        fx_call(b, &b->call[0], tok[1], w, with_agent ? tok[2] : NULL);
        for (int i = with_agent ? 3 : 2; i < n; i++)
            fx_call_override(&b->call[0], tok[i]);
        env->body_case = ACD__V1__ENVELOPE__BODY_CALL;
        env->call = &b->call[0];
    } else if (!strcmp(w, "agent")) {
        fx_agent(&b->agent[0], tok[1], tok[2]);
        env->body_case = ACD__V1__ENVELOPE__BODY_AGENT;
        env->agent = &b->agent[0];
    } else if (!strcmp(w, "reg") || !strcmp(w, "unreg")) {
        fx_reg(b, &b->reg[0], tok[1], w[0] == 'u');
        env->body_case = ACD__V1__ENVELOPE__BODY_REGISTRATION;
        env->registration = &b->reg[0];
    } else if (!strcmp(w, "dialog") || !strcmp(w, "bye")) {
        fx_dialog(b, &b->dialog[0], tok[1], w[0] == 'b');
        env->body_case = ACD__V1__ENVELOPE__BODY_DIALOG;
        env->dialog = &b->dialog[0];
    } else if (!strcmp(w, "queue")) {
        fx_queue(&b->queue[0], tok[1], (uint32_t)strtoul(tok[2], NULL, 10));
        env->body_case = ACD__V1__ENVELOPE__BODY_QUEUE;
        env->queue = &b->queue[0];
    } else if (!strcmp(w, "hb")) {
        acd__v1__heartbeat__init(&b->hb);
        b->hb.draining = n > 1 && !strcmp(tok[1], "draining");
        env->body_case = ACD__V1__ENVELOPE__BODY_HEARTBEAT;
        env->heartbeat = &b->hb;
    } else if (!strcmp(w, "offer")) {
        acd__v1__offer__init(&b->offer);
        b->offer.offer_id = tok[1];
        b->offer.epoch = 3;
        b->offer.leader_site = "A";
        b->offer.call_id = "c1";
        b->offer.call_site = "A";
        b->offer.agent_id = "a1";
        b->offer.agent_site = "B";
        b->offer.queue = "main";
        env->body_case = ACD__V1__ENVELOPE__BODY_OFFER;
        env->offer = &b->offer;
    } else if (!strcmp(w, "accept")) {
        acd__v1__offer_accept__init(&b->accept);
        b->accept.offer_id = tok[1];
        b->accept.epoch = 3;
        b->accept.call_id = "c1";
        b->accept.agent_id = "a1";
        env->body_case = ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT;
        env->offer_accept = &b->accept;
    } else if (!strcmp(w, "reject")) {
        acd__v1__offer_reject__init(&b->reject);
        b->reject.offer_id = tok[1];
        b->reject.epoch = 3;
        b->reject.call_id = "c1";
        b->reject.agent_id = "a1";
        b->reject.reason = ACD__V1__REJECT_REASON__REJECT_REASON_AGENT_BUSY;
        env->body_case = ACD__V1__ENVELOPE__BODY_OFFER_REJECT;
        env->offer_reject = &b->reject;
    } else if (!strcmp(w, "snap")) {
        acd__v1__snapshot__init(&b->snap);
        b->snap.last_seq = strtoull(tok[1], NULL, 10);
        b->snap.calls = b->pcall;
        b->snap.agents = b->pagent;
        b->snap.registrations = b->preg;
        b->snap.dialogs = b->pdialog;
        b->snap.queues = b->pqueue;
        for (int i = 2; i < n; i++) {
            unsigned k, of;
            if (sscanf(tok[i], "%u/%u", &k, &of) == 2) {
                b->snap.part = k;
                b->snap.parts = of;
                b->snap.more = k + 1 < of;
            } else {
                fx_snap_entity(b, tok[i]);
            }
        }
        env->body_case = ACD__V1__ENVELOPE__BODY_SNAPSHOT;
        env->snapshot = &b->snap;
    } else {
        fail_msg("unknown spec %s", w);
    }
}

/*
 * The decoded envelope (through acd_wire_encode and acd_wire_decode, as a peer's would
 * arrive) from site, incarnation and seq with the body spec describes; sent at sent_ms.
 * For a snapshot, seq 0 means "the snapshot's last_seq". Free with acd_wire_free().
 */
static inline Acd__V1__Envelope *fx_env(const char *site, uint64_t inc, uint64_t seq,
                                        acd_ms_t sent_ms, const char *spec)
{
    fx_body_t *b = calloc(1, sizeof(*b));
    char *copy = strdup(spec);
    assert_non_null(b);
    assert_non_null(copy);
    Acd__V1__Envelope env;
    acd_wire_envelope_init(&env, site, inc, seq, sent_ms);
    fx_body(b, &env, copy);
    if (env.body_case == ACD__V1__ENVELOPE__BODY_SNAPSHOT && seq == 0)
        env.seq = b->snap.last_seq ? b->snap.last_seq : 1;
    acd_buf_t buf = {0};
    assert_int_equal(acd_wire_encode(&env, &buf), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)buf.p, buf.n, &d), 0);
    acd_buf_fini(&buf);
    free(copy);
    free(b);
    return d;
}

/* ---- looking at a replica ---- */

static inline void fx_check(const acd_replica_t *r)
{
    char why[256] = "";
    int rc = acd__replica_check(r, why, sizeof(why));
    if (rc != 0)
        fail_msg("replica inconsistent: %s", why);
}

/* A malloc'd dump (see acd__replica_dump). */
static inline char *fx_dump(const acd_replica_t *r, unsigned flags)
{
    acd_buf_t b = {0};
    assert_int_equal(acd__replica_dump(r, flags, &b), 0);
    assert_int_equal(acd_buf_append(&b, "", 0), 0);
    return acd_buf_steal(&b, NULL);
}

typedef struct fx_words {
    char *w[256];
    int n;
} fx_words_t;

static inline void fx_word(fx_words_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void fx_word(fx_words_t *s, const char *fmt, ...)
{
    assert_true(s->n < 256);
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    s->w[s->n++] = strdup(tmp);
}

static inline void fx_sum_call(void *ud, const acd_replica_call_t *c)
{
    fx_word(ud, "call:%s/%s=%s", c->origin, c->call_id, acd_call_state_name(c->state));
}

static inline void fx_sum_agent(void *ud, const acd_replica_agent_t *a)
{
    fx_word(ud, "agent:%s/%s=%s", a->origin, a->agent_id, acd_agent_state_name(a->state));
}

static inline void fx_sum_reg(void *ud, const acd_replica_registration_t *g)
{
    fx_word(ud, "reg:%s/%s", g->origin, g->user);
}

static inline void fx_sum_dialog(void *ud, const acd_replica_dialog_t *d)
{
    fx_word(ud, "dialog:%s/%s.%d", d->origin, d->call_id, (int)d->leg);
}

static inline void fx_sum_queue(void *ud, const acd_replica_queue_t *q)
{
    fx_word(ud, "queue:%s/%s=%u", q->origin, q->queue, (unsigned)q->waiting);
}

static inline int fx_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and joins the words with spaces into a malloc'd string, freeing them. */
static inline char *fx_join(fx_words_t *s)
{
    qsort(s->w, (size_t)s->n, sizeof(s->w[0]), fx_strcmp);
    acd_buf_t b = {0};
    assert_int_equal(acd_buf_append(&b, "", 0), 0);
    for (int i = 0; i < s->n; i++) {
        assert_int_equal(acd_buf_printf(&b, "%s%s", i ? " " : "", s->w[i]), 0);
        free(s->w[i]);
    }
    s->n = 0;
    return acd_buf_steal(&b, NULL);
}

/* "agent:A/a1=available call:A/c1=queued ...": every entity, sorted; malloc'd. */
static inline char *fx_summary(const acd_replica_t *r)
{
    static const acd_replica_visitor_t v = {
        .call = fx_sum_call,
        .agent = fx_sum_agent,
        .registration = fx_sum_reg,
        .dialog = fx_sum_dialog,
        .queue = fx_sum_queue,
    };
    fx_words_t s = {.n = 0};
    acd_replica_foreach(r, NULL, &v, &s);
    return fx_join(&s);
}

/* expect's words sorted, so tables may list them in any order; malloc'd. */
static inline char *fx_sorted(const char *expect)
{
    fx_words_t s = {.n = 0};
    char *copy = strdup(expect);
    for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
        fx_word(&s, "%s", t);
    free(copy);
    return fx_join(&s);
}

/* The offer ids among a verdict's decisions, in order, space-separated; malloc'd. */
static inline char *fx_decisions(const acd_replica_verdict_t *v)
{
    acd_buf_t b = {0};
    assert_int_equal(acd_buf_append(&b, "", 0), 0);
    for (size_t i = 0; i < v->n_decisions; i++) {
        const Acd__V1__Envelope *d = v->decisions[i];
        const char *id =
            d->body_case == ACD__V1__ENVELOPE__BODY_OFFER          ? d->offer->offer_id
            : d->body_case == ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT ? d->offer_accept->offer_id
            : d->body_case == ACD__V1__ENVELOPE__BODY_OFFER_REJECT ? d->offer_reject->offer_id
                                                                   : "?";
        assert_int_equal(acd_buf_printf(&b, "%s%s", i ? " " : "", id), 0);
    }
    return acd_buf_steal(&b, NULL);
}

#endif
