/* test_wire.c - the wire codec: round trips of every body, unknown fields, core mappings. */
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
#include "wire_samples.h"

/* ---- round trips ---- */

static void check_decoded_body(const Acd__V1__Envelope *d, const samples_t *s)
{
    switch (d->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        assert_string_equal(d->call->call_id, s->call.call_id);
        assert_int_equal(d->call->kind, s->call.kind);
        assert_string_equal(d->call->caller, s->call.caller);
        assert_string_equal(d->call->agent_id, s->call.agent_id);
        assert_int_equal(d->call->priority, 5);
        assert_int_equal(d->call->enqueue_ms, s->call.enqueue_ms);
        assert_int_equal(d->call->answer_ms, s->call.answer_ms);
        assert_int_equal(d->call->offers, 2);
        break;
    case ACD__V1__ENVELOPE__BODY_AGENT:
        assert_string_equal(d->agent->agent_id, "2001");
        assert_int_equal(d->agent->state, ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL);
        assert_string_equal(d->agent->call_id, "A-000123");
        assert_int_equal(d->agent->calls_handled, 42);
        break;
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        assert_string_equal(d->registration->contact, s->reg.contact);
        assert_int_equal(d->registration->transport, ACD__V1__TRANSPORT__TRANSPORT_TCP);
        assert_int_equal(d->registration->expires_ms, s->reg.expires_ms);
        assert_string_equal(d->registration->user, "alice");
        break;
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        assert_int_equal(d->dialog->n_route_set, 2);
        assert_string_equal(d->dialog->route_set[1], routes[1]);
        assert_string_equal(d->dialog->remote_sdp, sdp_caller);
        assert_int_equal(d->dialog->remote_cseq, 314159);
        break;
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        assert_string_equal(d->queue->queue, "reception");
        assert_int_equal(d->queue->waiting, 3);
        break;
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        assert_int_equal(d->snapshot->last_seq, 41);
        assert_int_equal(d->snapshot->n_calls, 1);
        assert_int_equal(d->snapshot->n_dialogs, 1);
        assert_string_equal(d->snapshot->dialogs[0]->local_sdp, sdp_acdd);
        assert_string_equal(d->snapshot->registrations[0]->aor, s->reg.aor);
        assert_true(d->snapshot->more);
        assert_int_equal(d->snapshot->part, 2);
        assert_int_equal(d->snapshot->parts, 5);
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER:
        assert_int_equal(d->offer->epoch, 7);
        assert_string_equal(d->offer->agent_site, "C");
        assert_int_equal(d->offer->ring_timeout_ms, 15000);
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT:
        assert_string_equal(d->offer_accept->offer_id, "B-7-991");
        break;
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        assert_int_equal(d->offer_reject->reason,
                         ACD__V1__REJECT_REASON__REJECT_REASON_STALE_EPOCH);
        assert_string_equal(d->offer_reject->detail, "epoch 7 < 8");
        break;
    case ACD__V1__ENVELOPE__BODY_HEARTBEAT:
        assert_true(d->heartbeat->draining);
        assert_int_equal(d->heartbeat->queued_calls, 12);
        break;
    default:
        fail();
    }
}

static void test_round_trip_every_body(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    size_t before = acd__wire_live_blocks();
    for (size_t i = 0; i < N_BODIES; i++) {
        Acd__V1__Envelope env;
        envelope(&env, &s, all_bodies[i]);
        acd_buf_t b = {0};
        assert_int_equal(acd_buf_append(&b, "topic:", 6), 0);
        assert_int_equal(acd_wire_encode(&env, &b), 0);
        assert_true(b.n > 6);
        assert_memory_equal(b.p, "topic:", 6);

        Acd__V1__Envelope *d = NULL;
        assert_int_equal(acd_wire_decode((const uint8_t *)b.p + 6, b.n - 6, &d), 0);
        assert_non_null(d);
        assert_int_equal(d->body_case, all_bodies[i]);
        assert_string_equal(d->origin_site, "A");
        assert_int_equal(d->incarnation, 1795093000000);
        assert_int_equal(d->seq, 42);
        assert_int_equal(d->schema_version, ACD_WIRE_SCHEMA_VERSION);
        assert_int_equal(d->sent_ms, 1795093461000);
        check_decoded_body(d, &s);
        assert_string_equal(acd_wire_body_name(d), acd_wire_body_name(&env));

        /* The decoded envelope encodes to the very same bytes: nothing was lost. */
        acd_buf_t again = {0};
        assert_int_equal(acd_wire_encode(d, &again), 0);
        assert_int_equal(again.n, b.n - 6);
        assert_memory_equal(again.p, b.p + 6, again.n);
        acd_buf_fini(&again);
        acd_buf_fini(&b);
        acd_wire_free(d);
        assert_int_equal(acd__wire_live_blocks(), before);
    }
    acd_wire_free(NULL);
}

static void test_body_names(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_OFFER_REJECT);
    assert_string_equal(acd_wire_body_name(&env), "offer_reject");
    env.body_case = ACD__V1__ENVELOPE__BODY__NOT_SET;
    assert_string_equal(acd_wire_body_name(&env), "none");
    assert_string_equal(acd_wire_body_name(NULL), "none");
}

/* A large legitimate snapshot stays well inside the decoder's memory budget. */
static void test_large_snapshot(void **state)
{
    (void)state;
    enum { N = 20000 };
    samples_t s;
    samples_init(&s);
    Acd__V1__CallEvent **calls = calloc(N, sizeof(*calls));
    Acd__V1__QueueEvent **queues = calloc(N, sizeof(*queues));
    Acd__V1__QueueEvent q = ACD__V1__QUEUE_EVENT__INIT;
    q.queue = "q";
    assert_non_null(calls);
    assert_non_null(queues);
    for (size_t i = 0; i < N; i++) {
        calls[i] = &s.call;
        queues[i] = &q; /* the smallest valid element: the worst memory/byte ratio */
    }
    s.snapshot.n_calls = N;
    s.snapshot.calls = calls;
    s.snapshot.n_queues = N;
    s.snapshot.queues = queues;
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    assert_int_equal(d->snapshot->n_calls, N);
    assert_int_equal(d->snapshot->n_queues, N);
    assert_string_equal(d->snapshot->calls[N - 1]->caller, s.call.caller);
    acd_wire_free(d);
    acd_buf_fini(&b);
    free(calls);
    free(queues);
}

/*
 * Every part of snapshots in 0..4 parts keeps its part, parts and more through a round
 * trip (0 and 1 parts are both a single-part snapshot). part and parts are additions:
 * a single part with parts 0 is byte for byte what a sender built before them sent.
 */
static void test_snapshot_parts_round_trip(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_SNAPSHOT);
    for (uint32_t parts = 0; parts <= 4; parts++) {
        for (uint32_t part = 0; part < (parts > 1 ? parts : 1); part++) {
            s.snapshot.part = part;
            s.snapshot.parts = parts;
            s.snapshot.more = part + 1 < parts;
            acd_buf_t b = {0};
            assert_int_equal(acd_wire_encode(&env, &b), 0);
            Acd__V1__Envelope *d = NULL;
            assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
            assert_int_equal(d->snapshot->part, part);
            assert_int_equal(d->snapshot->parts, parts);
            assert_int_equal(d->snapshot->more, part + 1 < parts);
            assert_int_equal(d->snapshot->last_seq, 41);
            assert_int_equal(d->snapshot->n_calls, 1);
            acd_wire_free(d);
            acd_buf_fini(&b);
        }
    }
    s.snapshot.part = 0;
    s.snapshot.parts = 0;
    s.snapshot.more = 0;
    size_t raw_len = 0;
    uint8_t *raw = pack_raw(&env, &raw_len);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), 0);
    assert_int_equal(b.n, raw_len);
    assert_memory_equal(b.p, raw, raw_len);
    /* parts = 1 costs one field, two bytes (tag 9 << 3 = 0x48, value 1) */
    s.snapshot.parts = 1;
    acd_buf_t one = {0};
    assert_int_equal(acd_wire_encode(&env, &one), 0);
    assert_int_equal(one.n, b.n + 2);
    acd_buf_fini(&one);
    acd_buf_fini(&b);
    free(raw);
}

/* protobuf keeps fields it does not know: a newer peer's additions pass through. */
static void test_unknown_fields_kept(void **state)
{
    (void)state;
    samples_t s;
    samples_init(&s);
    Acd__V1__Envelope env;
    envelope(&env, &s, ACD__V1__ENVELOPE__BODY_QUEUE);
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), 0);
    /* field 99, varint 5: tag (99 << 3) = 792 = 0x98 0x06 */
    assert_int_equal(acd_buf_append(&b, "\x98\x06\x05", 3), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    assert_int_equal(d->base.n_unknown_fields, 1);
    acd_buf_t again = {0};
    assert_int_equal(acd_wire_encode(d, &again), 0);
    assert_int_equal(again.n, b.n);
    acd_wire_free(d);
    acd_buf_fini(&again);
    acd_buf_fini(&b);
}

/* ---- core facts ---- */

static void test_call_from_view(void **state)
{
    (void)state;
    acd_call_view_t v = {
        .id = "A-1",
        .tenant = "dental",
        .did = "1000",
        .caller = "600111222",
        .queue = "main",
        .state = ACD_CALL_OFFERED,
        .agent = "2001",
        .priority = 3,
        .enqueue_ms = 1000,
        .answer_ms = 0,
        .position = 0,
    };
    Acd__V1__CallEvent ev;
    assert_int_equal(acd_wire_call_from_view(&v, ACD__V1__CALL_KIND__CALL_KIND_ARRIVE, &ev),
                     -EINVAL);
    assert_int_equal(acd_wire_call_from_view(&v, ACD__V1__CALL_KIND__CALL_KIND_ENDED, &ev),
                     -EINVAL);
    assert_int_equal(acd_wire_call_from_view(NULL, ACD__V1__CALL_KIND__CALL_KIND_OFFERED, &ev),
                     -EINVAL);
    assert_int_equal(acd_wire_call_from_view(&v, ACD__V1__CALL_KIND__CALL_KIND_OFFERED, &ev), 0);
    assert_ptr_equal(ev.call_id, v.id); /* borrowed, not copied */
    assert_string_equal(ev.agent_id, "2001");
    assert_int_equal(ev.priority, 3);
    assert_int_equal(ev.enqueue_ms, 1000);

    Acd__V1__Envelope env;
    acd_wire_envelope_init(&env, "A", 1, 1, 5000);
    env.body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env.call = &ev;
    assert_env_accepted(&env);

    v.state = ACD_CALL_QUEUED;
    v.agent = "";
    assert_int_equal(acd_wire_call_from_view(&v, ACD__V1__CALL_KIND__CALL_KIND_REQUEUED, &ev), 0);
    assert_int_equal(ev.kind, ACD__V1__CALL_KIND__CALL_KIND_REQUEUED);
    assert_env_accepted(&env);
}

static void test_cdr_round_trip(void **state)
{
    (void)state;
    acd_cdr_t cdr = {
        .call_id = "A-77",
        .tenant = "dental",
        .did = "1000",
        .caller = "600111222",
        .queue = "main",
        .agent = "2001",
        .enqueue_ms = 1795093454123,
        .answer_ms = 1795093466623,
        .end_ms = 1795093554000,
        .wait_ms = 12500,
        .talk_ms = 87377,
        .offers = 2,
        .disposition = ACD_DISP_ANSWERED,
    };
    Acd__V1__CallEvent ev;
    assert_int_equal(acd_wire_call_from_cdr(&cdr, &ev), 0);
    assert_int_equal(ev.kind, ACD__V1__CALL_KIND__CALL_KIND_ENDED);
    Acd__V1__Envelope env;
    acd_wire_envelope_init(&env, "A", 1, 9, 1795093554001);
    env.body_case = ACD__V1__ENVELOPE__BODY_CALL;
    env.call = &ev;
    acd_buf_t b = {0};
    assert_int_equal(acd_wire_encode(&env, &b), 0);
    Acd__V1__Envelope *d = NULL;
    assert_int_equal(acd_wire_decode((const uint8_t *)b.p, b.n, &d), 0);
    acd_cdr_t back;
    memset(&back, 0x5a, sizeof(back));
    assert_int_equal(acd_wire_cdr_from_call(d->call, &back), 0);
    assert_string_equal(back.call_id, cdr.call_id);
    assert_string_equal(back.tenant, cdr.tenant);
    assert_string_equal(back.did, cdr.did);
    assert_string_equal(back.caller, cdr.caller);
    assert_string_equal(back.queue, cdr.queue);
    assert_string_equal(back.agent, cdr.agent);
    assert_int_equal(back.enqueue_ms, cdr.enqueue_ms);
    assert_int_equal(back.answer_ms, cdr.answer_ms);
    assert_int_equal(back.end_ms, cdr.end_ms);
    assert_int_equal(back.wait_ms, cdr.wait_ms);
    assert_int_equal(back.talk_ms, cdr.talk_ms);
    assert_int_equal(back.offers, 2);
    assert_int_equal(back.disposition, ACD_DISP_ANSWERED);
    acd_wire_free(d);
    acd_buf_fini(&b);

    /* Abandoned: wait runs to the end, no talk. */
    ev.answer_ms = 0;
    ev.agent_id = "";
    ev.disposition = ACD__V1__DISPOSITION__DISPOSITION_ABANDONED;
    assert_int_equal(acd_wire_cdr_from_call(&ev, &back), 0);
    assert_int_equal(back.wait_ms, cdr.end_ms - cdr.enqueue_ms);
    assert_int_equal(back.talk_ms, 0);
    assert_string_equal(back.agent, "");
    assert_int_equal(back.disposition, ACD_DISP_ABANDONED);

    ev.kind = ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
    assert_int_equal(acd_wire_cdr_from_call(&ev, &back), -EINVAL);
    cdr.disposition = ACD_DISP_NONE;
    assert_int_equal(acd_wire_call_from_cdr(&cdr, &ev), -EINVAL);
}

static void test_agent_and_queue_from_view(void **state)
{
    (void)state;
    acd_agent_view_t v = {
        .id = "2001",
        .sip_user = "alice",
        .state = ACD_AGENT_PAUSED,
        .pause_reason = "lunch",
        .state_since = 500,
        .idle_since = 400,
        .call_id = "",
        .missed_in_row = 2,
        .calls_handled = 9,
    };
    Acd__V1__AgentEvent ev;
    assert_int_equal(acd_wire_agent_from_view(&v, &ev), 0);
    assert_int_equal(ev.state, ACD__V1__AGENT_STATE__AGENT_STATE_PAUSED);
    assert_string_equal(ev.reason, "lunch");
    assert_string_equal(ev.sip_user, "alice");
    assert_int_equal(ev.missed_in_row, 2);
    assert_int_equal(ev.calls_handled, 9);
    v.state = (acd_agent_state_t)42;
    assert_int_equal(acd_wire_agent_from_view(&v, &ev), -EINVAL);

    acd_queue_view_t q = {.name = "main",
                          .tenant = "dental",
                          .strategy = "longest-idle",
                          .waiting = 4,
                          .offered = 1,
                          .agents_logged_in = 3,
                          .agents_available = 0,
                          .oldest_enqueue = 77};
    Acd__V1__QueueEvent qe;
    assert_int_equal(acd_wire_queue_from_view(&q, &qe), 0);
    assert_string_equal(qe.queue, "main");
    assert_int_equal(qe.waiting, 4);
    assert_int_equal(qe.agents_logged_in, 3);
    assert_int_equal(qe.oldest_enqueue_ms, 77);
}

static void test_enum_mappings(void **state)
{
    (void)state;
    static const acd_agent_state_t states[] = {ACD_AGENT_LOGGED_OUT, ACD_AGENT_AVAILABLE,
                                               ACD_AGENT_RINGING,    ACD_AGENT_ON_CALL,
                                               ACD_AGENT_WRAPUP,     ACD_AGENT_PAUSED};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        Acd__V1__AgentState w = acd_wire_agent_state(states[i]);
        assert_int_equal(w, (int)states[i] + 1); /* the documented wire numbering */
        acd_agent_state_t back;
        assert_int_equal(acd_wire_agent_state_to_core(w, &back), 0);
        assert_int_equal(back, states[i]);
    }
    acd_agent_state_t as;
    assert_int_equal(
        acd_wire_agent_state_to_core(ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED, &as), -EINVAL);
    assert_int_equal(acd_wire_agent_state_to_core((Acd__V1__AgentState)7, &as), -EINVAL);

    static const acd_disposition_t disps[] = {ACD_DISP_NONE,      ACD_DISP_ANSWERED,
                                              ACD_DISP_ABANDONED, ACD_DISP_FAILED,
                                              ACD_DISP_VOICEMAIL, ACD_DISP_IVR,
                                              ACD_DISP_OVERFLOW};
    for (size_t i = 0; i < sizeof(disps) / sizeof(disps[0]); i++) {
        acd_disposition_t back;
        assert_int_equal(acd_wire_disposition_to_core(acd_wire_disposition(disps[i]), &back), 0);
        assert_int_equal(back, disps[i]);
    }
    acd_disposition_t d;
    assert_int_equal(acd_wire_disposition_to_core((Acd__V1__Disposition)7, &d), -EINVAL);

    acd_call_state_t cs;
    assert_int_equal(acd_wire_call_state_to_core(ACD__V1__CALL_KIND__CALL_KIND_REQUEUED, &cs), 0);
    assert_int_equal(cs, ACD_CALL_QUEUED);
    assert_int_equal(acd_wire_call_state_to_core(ACD__V1__CALL_KIND__CALL_KIND_ENDED, &cs), 0);
    assert_int_equal(cs, ACD_CALL_ENDED);
    assert_int_equal(acd_wire_call_state_to_core(ACD__V1__CALL_KIND__CALL_KIND_UNSPECIFIED, &cs),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_body),
        cmocka_unit_test(test_body_names),
        cmocka_unit_test(test_large_snapshot),
        cmocka_unit_test(test_snapshot_parts_round_trip),
        cmocka_unit_test(test_unknown_fields_kept),
        cmocka_unit_test(test_call_from_view),
        cmocka_unit_test(test_cdr_round_trip),
        cmocka_unit_test(test_agent_and_queue_from_view),
        cmocka_unit_test(test_enum_mappings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
