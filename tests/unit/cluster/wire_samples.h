/* wire_samples.h - valid sample envelopes of every body, and assertions, for the wire tests. */
#ifndef ACD_TEST_WIRE_SAMPLES_H
#define ACD_TEST_WIRE_SAMPLES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/wire.h"
#include "util/err.h"

/* ---- sample bodies: one of each, with every field set ---- */

static char sdp_caller[] __attribute__((unused)) =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n";
static char sdp_acdd[] __attribute__((unused)) =
    "v=0\r\no=acdd 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 20000 RTP/AVP 0\r\n";
static char *routes[]
    __attribute__((unused)) = {"<sip:10.0.0.1;lr>", "<sip:10.0.0.2;lr;transport=tcp>"};

typedef struct samples {
    Acd__V1__CallEvent call;
    Acd__V1__AgentEvent agent;
    Acd__V1__RegistrationEvent reg;
    Acd__V1__DialogEvent dialog;
    Acd__V1__QueueEvent queue;
    Acd__V1__Snapshot snapshot;
    Acd__V1__CallEvent *snap_calls[1];
    Acd__V1__AgentEvent *snap_agents[1];
    Acd__V1__RegistrationEvent *snap_regs[1];
    Acd__V1__DialogEvent *snap_dialogs[1];
    Acd__V1__QueueEvent *snap_queues[1];
    Acd__V1__Offer offer;
    Acd__V1__OfferAccept accept;
    Acd__V1__OfferReject reject;
    Acd__V1__Heartbeat heartbeat;
} samples_t;

static inline void samples_init(samples_t *s)
{
    acd__v1__call_event__init(&s->call);
    s->call.call_id = "A-000123";
    s->call.kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
    s->call.tenant = "dental";
    s->call.did = "+34910000001";
    s->call.caller = "+34600111222";
    s->call.queue = "reception";
    s->call.priority = 5;
    s->call.enqueue_ms = 1795093454123;
    s->call.agent_id = "2001";
    s->call.answer_ms = 1795093460000;
    s->call.offers = 2;
    s->call.reason = "timeout";

    acd__v1__agent_event__init(&s->agent);
    s->agent.agent_id = "2001";
    s->agent.state = ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL;
    s->agent.reason = "";
    s->agent.state_since_ms = 1795093460000;
    s->agent.idle_since_ms = 1795093400000;
    s->agent.call_id = "A-000123";
    s->agent.sip_user = "alice";
    s->agent.missed_in_row = 1;
    s->agent.calls_handled = 42;

    acd__v1__registration_event__init(&s->reg);
    s->reg.aor = "sip:alice@example.com";
    s->reg.contact = "<sip:alice@192.0.2.20:5062;transport=tcp>";
    s->reg.transport = ACD__V1__TRANSPORT__TRANSPORT_TCP;
    s->reg.source = "192.0.2.20:40123";
    s->reg.expires_ms = 1795097054123;
    s->reg.agent_id = "2001";
    s->reg.register_call_id = "reg-8d7f6a@192.0.2.20";
    s->reg.register_cseq = 17;
    s->reg.user = "alice";

    acd__v1__dialog_event__init(&s->dialog);
    s->dialog.call_id = "A-000123";
    s->dialog.leg = ACD__V1__LEG_ROLE__LEG_ROLE_CALLER;
    s->dialog.state = ACD__V1__DIALOG_STATE__DIALOG_STATE_CONFIRMED;
    s->dialog.sip_call_id = "a84b4c76e66710@carrier.example";
    s->dialog.local_tag = "acdd9f3";
    s->dialog.remote_tag = "1928301774";
    s->dialog.local_cseq = 3;
    s->dialog.remote_cseq = 314159;
    s->dialog.local_uri = "sip:+34910000001@acdd.example";
    s->dialog.remote_uri = "sip:+34600111222@carrier.example";
    s->dialog.remote_target = "sip:+34600111222@192.0.2.10:5060";
    s->dialog.n_route_set = 2;
    s->dialog.route_set = routes;
    s->dialog.transport = ACD__V1__TRANSPORT__TRANSPORT_UDP;
    s->dialog.peer_address = "192.0.2.10:5060";
    s->dialog.local_sdp = sdp_acdd;
    s->dialog.remote_sdp = sdp_caller;
    s->dialog.local_contact = "<sip:acdd@127.0.0.1:5060>";

    acd__v1__queue_event__init(&s->queue);
    s->queue.queue = "reception";
    s->queue.tenant = "dental";
    s->queue.waiting = 3;
    s->queue.offered = 1;
    s->queue.agents_logged_in = 4;
    s->queue.agents_available = 0;
    s->queue.oldest_enqueue_ms = 1795093454123;

    acd__v1__snapshot__init(&s->snapshot);
    s->snapshot.last_seq = 41;
    s->snap_calls[0] = &s->call;
    s->snap_agents[0] = &s->agent;
    s->snap_regs[0] = &s->reg;
    s->snap_dialogs[0] = &s->dialog;
    s->snap_queues[0] = &s->queue;
    s->snapshot.n_calls = 1;
    s->snapshot.calls = s->snap_calls;
    s->snapshot.n_agents = 1;
    s->snapshot.agents = s->snap_agents;
    s->snapshot.n_registrations = 1;
    s->snapshot.registrations = s->snap_regs;
    s->snapshot.n_dialogs = 1;
    s->snapshot.dialogs = s->snap_dialogs;
    s->snapshot.n_queues = 1;
    s->snapshot.queues = s->snap_queues;
    s->snapshot.part = 2; /* the third of five parts, so more follow */
    s->snapshot.parts = 5;
    s->snapshot.more = 1;

    acd__v1__offer__init(&s->offer);
    s->offer.offer_id = "B-7-991";
    s->offer.epoch = 7;
    s->offer.leader_site = "B";
    s->offer.call_id = "A-000123";
    s->offer.call_site = "A";
    s->offer.agent_id = "2001";
    s->offer.agent_site = "C";
    s->offer.queue = "main";
    s->offer.ring_timeout_ms = 15000;

    acd__v1__offer_accept__init(&s->accept);
    s->accept.offer_id = "B-7-991";
    s->accept.epoch = 7;
    s->accept.call_id = "A-000123";
    s->accept.agent_id = "2001";

    acd__v1__offer_reject__init(&s->reject);
    s->reject.offer_id = "B-7-991";
    s->reject.epoch = 7;
    s->reject.call_id = "A-000123";
    s->reject.agent_id = "2001";
    s->reject.reason = ACD__V1__REJECT_REASON__REJECT_REASON_STALE_EPOCH;
    s->reject.detail = "epoch 7 < 8";

    acd__v1__heartbeat__init(&s->heartbeat);
    s->heartbeat.draining = 1;
    s->heartbeat.island = 0;
    s->heartbeat.leader_site = "B";
    s->heartbeat.leader_epoch = 7;
    s->heartbeat.queued_calls = 12;
    s->heartbeat.available_agents = 3;
}

static const Acd__V1__Envelope__BodyCase all_bodies[] __attribute__((unused)) = {
    ACD__V1__ENVELOPE__BODY_CALL,         ACD__V1__ENVELOPE__BODY_AGENT,
    ACD__V1__ENVELOPE__BODY_REGISTRATION, ACD__V1__ENVELOPE__BODY_DIALOG,
    ACD__V1__ENVELOPE__BODY_QUEUE,        ACD__V1__ENVELOPE__BODY_SNAPSHOT,
    ACD__V1__ENVELOPE__BODY_OFFER,        ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT,
    ACD__V1__ENVELOPE__BODY_OFFER_REJECT, ACD__V1__ENVELOPE__BODY_HEARTBEAT,
};
#define N_BODIES (sizeof(all_bodies) / sizeof(all_bodies[0]))

/* Makes env a valid envelope from site "A" carrying the sample body of case c. */
static inline void envelope(Acd__V1__Envelope *env, samples_t *s, Acd__V1__Envelope__BodyCase c)
{
    acd_wire_envelope_init(env, "A", 1795093000000, 42, 1795093461000);
    env->body_case = c;
    switch (c) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        env->call = &s->call;
        break;
    case ACD__V1__ENVELOPE__BODY_AGENT:
        env->agent = &s->agent;
        break;
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        env->registration = &s->reg;
        break;
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        env->dialog = &s->dialog;
        break;
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        env->queue = &s->queue;
        break;
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        env->snapshot = &s->snapshot;
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER:
        env->offer = &s->offer;
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT:
        env->offer_accept = &s->accept;
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        env->offer_reject = &s->reject;
        break;
    case ACD__V1__ENVELOPE__BODY_HEARTBEAT:
        env->heartbeat = &s->heartbeat;
        break;
    default:
        fail();
    }
}

/* Packs env with protobuf-c directly, skipping acd_wire_encode()'s checks. */
static inline uint8_t *pack_raw(const Acd__V1__Envelope *env, size_t *len)
{
    *len = acd__v1__envelope__get_packed_size(env);
    uint8_t *p = malloc(*len ? *len : 1);
    assert_non_null(p);
    assert_int_equal(acd__v1__envelope__pack(env, p), *len);
    return p;
}

/* Decodes raw bytes that must be refused, and proves nothing stayed allocated. */
static inline void assert_refused(const uint8_t *p, size_t len)
{
    size_t before = acd__wire_live_blocks();
    Acd__V1__Envelope *env = (Acd__V1__Envelope *)(uintptr_t)0x1;
    assert_int_equal(acd_wire_decode(p, len, &env), ACD_EPROTO);
    assert_ptr_equal(env, (Acd__V1__Envelope *)(uintptr_t)0x1);
    assert_int_equal(acd__wire_live_blocks(), before);
}

/* Raw-packs env (breaking some rule), and checks decode refuses it and encode too. */
static inline void assert_env_refused(const Acd__V1__Envelope *env)
{
    size_t len;
    uint8_t *p = pack_raw(env, &len);
    assert_refused(p, len);
    free(p);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(env, &b), -EINVAL);
    assert_int_equal(b.n, 0);
    acd_buf_fini(&b);
}

static inline void assert_env_accepted(const Acd__V1__Envelope *env)
{
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(env, &b), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    acd_wire_free(d);
    acd_buf_fini(&b);
}

#endif
