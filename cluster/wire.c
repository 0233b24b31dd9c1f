/* wire.c - the site-to-site codec: protobuf-c encode/decode, contract checks, conversions. */
#include "cluster/wire.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/kpi.h" /* the bounds of a heartbeat's KPI counters */
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

/* ---- allocation ---- */

/*
 * Decoded envelopes are allocated through wire_alloc(), which puts each block's size in
 * front of it. That size is what lets the checks see a NUL inside a decoded string
 * (protobuf-c allocates exactly length + 1 bytes for a string and keeps no length), and
 * it lets a decode account its memory against a budget.
 */
typedef union wire_block {
    size_t size;
    max_align_t align;
} wire_block_t;

/*
 * One decode's allocation state. A frame can make protobuf-c allocate far more than its
 * own size (an empty submessage costs two bytes on the wire and a whole struct in
 * memory), so a decode may hold at most WIRE_BUDGET(len) bytes at once; a legitimate
 * frame needs well under a tenth of that.
 */
typedef struct wire_arena {
    size_t live;
    size_t budget;
    bool oom;
} wire_arena_t;

#define WIRE_BUDGET_CAP ((size_t)256 << 20)
#define WIRE_BUDGET(len)                                                                           \
    ((len) < (WIRE_BUDGET_CAP - ((size_t)1 << 20)) / 64 ? 64 * (len) + ((size_t)1 << 20)           \
                                                        : WIRE_BUDGET_CAP)

static atomic_size_t wire_live_blocks;

static void *wire_alloc(void *ud, size_t size)
{
    wire_arena_t *a = ud;
    size_t need = sizeof(wire_block_t) + size;
    if (size > a->budget || need > a->budget - a->live)
        return NULL;
    wire_block_t *b = malloc(need);
    if (!b) {
        a->oom = true;
        return NULL;
    }
    b->size = size;
    a->live += need;
    atomic_fetch_add(&wire_live_blocks, 1);
    return b + 1;
}

/* ud is the decode's arena while decoding, NULL when freeing a finished envelope. */
static void wire_release(void *ud, void *p)
{
    if (!p)
        return;
    wire_block_t *b = (wire_block_t *)p - 1;
    wire_arena_t *a = ud;
    if (a)
        a->live -= sizeof(*b) + b->size;
    atomic_fetch_sub(&wire_live_blocks, 1);
    free(b);
}

static size_t wire_block_size(const void *p)
{
    return ((const wire_block_t *)p - 1)->size;
}

size_t acd__wire_live_blocks(void)
{
    return atomic_load(&wire_live_blocks);
}

/*
 * The one place protobuf-c's failures become acdd codes. protobuf-c reports every unpack
 * failure as NULL, whether the bytes were bad, the budget ran out or malloc failed; only
 * the last is not the peer's fault.
 */
static int wire_unpack_error(const wire_arena_t *a)
{
    return a->oom ? -ENOMEM : ACD_EPROTO;
}

/* ---- contract checks ---- */

typedef struct wire_check {
    bool decoded;      /* strings come from wire_alloc(), so their block size is known */
    const char *field; /* the field being checked, for the debug log */
    const char *why;   /* the rule it broke */
} wire_check_t;

static int wire_fail(wire_check_t *ck, const char *field, const char *why)
{
    if (field)
        ck->field = field;
    ck->why = why;
    return ACD_EPROTO;
}

#define WIRE_REQUIRE(ck, cond, field, why)                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return wire_fail((ck), (field), (why));                                                \
    } while (0)

/* String classes of events.proto's conventions. */
typedef enum wire_text {
    WIRE_ID,
    WIRE_REASON,
    WIRE_TOKEN,
    WIRE_URI,
    WIRE_SDP,
} wire_text_t;

static const size_t wire_text_max[] = {
    [WIRE_ID] = ACD_WIRE_ID_MAX,       [WIRE_REASON] = ACD_WIRE_REASON_MAX,
    [WIRE_TOKEN] = ACD_WIRE_TOKEN_MAX, [WIRE_URI] = ACD_WIRE_URI_MAX,
    [WIRE_SDP] = ACD_WIRE_SDP_MAX,
};

static bool wire_present(const char *s)
{
    return s && *s;
}

/*
 * True when s fits class t: within its length, and without control characters except
 * CR, LF and tab in SDP. NULL and "" are absent, which only required strings refuse.
 * UTF-8 and NUL are checked for every string by wire_walk().
 */
static bool wire_text_ok(const char *s, wire_text_t t, bool required)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        return !required;
    if (n > wire_text_max[t])
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool sdp_ws = t == WIRE_SDP && (c == '\r' || c == '\n' || c == '\t');
        if ((c < 0x20 && !sdp_ws) || c == 0x7f)
            return false;
    }
    return true;
}

#define WIRE_TEXT(ck, msg, member, cls, required)                                                  \
    WIRE_REQUIRE(ck, wire_text_ok((msg)->member, cls, required), #member,                          \
                 (required) ? "missing, too long or control characters"                            \
                            : "too long or control characters")

/* Nesting is 3 deep today (Envelope, Snapshot, event); this is only a backstop. */
#define WIRE_DEPTH_MAX 8

static int wire_walk(wire_check_t *ck, const ProtobufCMessage *m, int depth);

static int wire_walk_string(wire_check_t *ck, const char *s)
{
    if (!s || s == protobuf_c_empty_string)
        return 0;
    size_t n = strlen(s);
    WIRE_REQUIRE(ck, n <= ACD_WIRE_SDP_MAX, NULL, "string too long");
    WIRE_REQUIRE(ck, !ck->decoded || wire_block_size(s) == n + 1, NULL, "NUL inside string");
    WIRE_REQUIRE(ck, acd_utf8_valid(s, n), NULL, "invalid UTF-8");
    return 0;
}

static int wire_walk_value(wire_check_t *ck, const ProtobufCFieldDescriptor *f, const void *v,
                           int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return wire_walk_string(ck, *(char *const *)v);
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t e;
        memcpy(&e, v, sizeof(e));
        WIRE_REQUIRE(ck, protobuf_c_enum_descriptor_get_value(f->descriptor, e) != NULL, NULL,
                     "undefined enum value");
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)v;
        WIRE_REQUIRE(ck, !sub || sub->descriptor == f->descriptor, NULL,
                     "submessage of the wrong type");
        return wire_walk(ck, sub, depth + 1);
    }
    default:
        return 0;
    }
}

/*
 * Checks every string (UTF-8, no NUL, at most ACD_WIRE_SDP_MAX), every enum (a defined
 * value) and every submessage of m through its descriptor, so fields added to the
 * .proto later are covered without code here. Absent submessages (NULL) are fine;
 * the typed checks below say which are required.
 */
static int wire_walk(wire_check_t *ck, const ProtobufCMessage *m, int depth)
{
    if (!m)
        return 0;
    WIRE_REQUIRE(ck, depth <= WIRE_DEPTH_MAX, NULL, "nested too deep");
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_ENUM &&
            f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        ck->field = f->name;
        const void *member = base + f->offset;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            int rc = wire_walk_value(ck, f, member, depth);
            if (rc < 0)
                return rc;
            continue;
        }
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *arr = *(const char *const *)member;
        size_t esz = f->type == PROTOBUF_C_TYPE_ENUM ? sizeof(int32_t) : sizeof(void *);
        WIRE_REQUIRE(ck, n == 0 || arr, NULL, "repeated field without elements");
        for (size_t k = 0; k < n; k++) {
            const void *elem = arr + k * esz;
            WIRE_REQUIRE(ck, f->type != PROTOBUF_C_TYPE_MESSAGE || *(void *const *)elem, NULL,
                         "missing repeated element");
            ck->field = f->name;
            int rc = wire_walk_value(ck, f, elem, depth);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int check_call(wire_check_t *ck, const Acd__V1__CallEvent *c)
{
    WIRE_TEXT(ck, c, call_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, c->kind != ACD__V1__CALL_KIND__CALL_KIND_UNSPECIFIED, "kind", "unset");
    WIRE_TEXT(ck, c, tenant, WIRE_ID, true);
    WIRE_TEXT(ck, c, did, WIRE_ID, true);
    WIRE_TEXT(ck, c, caller, WIRE_ID, false);
    WIRE_TEXT(ck, c, queue, WIRE_ID, true);
    WIRE_TEXT(ck, c, agent_id, WIRE_ID, false);
    WIRE_TEXT(ck, c, reason, WIRE_REASON, false);
    WIRE_TEXT(ck, c, delivery, WIRE_TOKEN, false);
    WIRE_TEXT(ck, c, message, WIRE_URI, false);
    WIRE_REQUIRE(ck, c->enqueue_ms > 0, "enqueue_ms", "unset");
    bool with_agent = c->kind == ACD__V1__CALL_KIND__CALL_KIND_OFFERED ||
                      c->kind == ACD__V1__CALL_KIND__CALL_KIND_CONNECTED;
    WIRE_REQUIRE(ck, !with_agent || wire_present(c->agent_id), "agent_id",
                 "required for OFFERED and CONNECTED");
    WIRE_REQUIRE(ck, c->kind != ACD__V1__CALL_KIND__CALL_KIND_CONNECTED || c->answer_ms > 0,
                 "answer_ms", "required for CONNECTED");
    bool ended = c->kind == ACD__V1__CALL_KIND__CALL_KIND_ENDED;
    WIRE_REQUIRE(ck, !ended || c->end_ms > 0, "end_ms", "required for ENDED");
    WIRE_REQUIRE(ck, ended == (c->disposition != ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED),
                 "disposition", "set exactly when ENDED");
    return 0;
}

static int check_agent(wire_check_t *ck, const Acd__V1__AgentEvent *a)
{
    WIRE_TEXT(ck, a, agent_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, a->state != ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED, "state", "unset");
    WIRE_TEXT(ck, a, reason, WIRE_REASON, false);
    WIRE_TEXT(ck, a, call_id, WIRE_ID, false);
    WIRE_TEXT(ck, a, sip_user, WIRE_ID, false);
    bool busy = a->state == ACD__V1__AGENT_STATE__AGENT_STATE_RINGING ||
                a->state == ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL;
    WIRE_REQUIRE(ck, !busy || wire_present(a->call_id), "call_id",
                 "required when RINGING or ON_CALL");
    return 0;
}

static int check_registration(wire_check_t *ck, const Acd__V1__RegistrationEvent *r)
{
    WIRE_TEXT(ck, r, aor, WIRE_URI, true);
    WIRE_TEXT(ck, r, user, WIRE_ID, true);
    WIRE_TEXT(ck, r, contact, WIRE_URI, !r->removed);
    WIRE_REQUIRE(ck, r->removed || r->transport != ACD__V1__TRANSPORT__TRANSPORT_UNSPECIFIED,
                 "transport", "required unless removed");
    WIRE_TEXT(ck, r, source, WIRE_ID, false);
    WIRE_TEXT(ck, r, agent_id, WIRE_ID, false);
    WIRE_TEXT(ck, r, register_call_id, WIRE_TOKEN, false);
    return 0;
}

static int check_dialog(wire_check_t *ck, const Acd__V1__DialogEvent *d)
{
    WIRE_TEXT(ck, d, call_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, d->leg != ACD__V1__LEG_ROLE__LEG_ROLE_UNSPECIFIED, "leg", "unset");
    WIRE_REQUIRE(ck, d->state != ACD__V1__DIALOG_STATE__DIALOG_STATE_UNSPECIFIED, "state", "unset");
    WIRE_TEXT(ck, d, sip_call_id, WIRE_TOKEN, true);
    WIRE_TEXT(ck, d, local_tag, WIRE_TOKEN, false);
    WIRE_TEXT(ck, d, remote_tag, WIRE_TOKEN, false);
    WIRE_TEXT(ck, d, local_uri, WIRE_URI, false);
    WIRE_TEXT(ck, d, remote_uri, WIRE_URI, false);
    WIRE_TEXT(ck, d, remote_target, WIRE_URI, false);
    WIRE_TEXT(ck, d, local_contact, WIRE_URI, false);
    WIRE_REQUIRE(ck, d->n_route_set <= ACD_WIRE_ROUTES_MAX, "route_set", "too many entries");
    for (size_t i = 0; i < d->n_route_set; i++)
        WIRE_TEXT(ck, d, route_set[i], WIRE_URI, true);
    WIRE_TEXT(ck, d, peer_address, WIRE_ID, false);
    WIRE_TEXT(ck, d, local_sdp, WIRE_SDP, false);
    WIRE_TEXT(ck, d, remote_sdp, WIRE_SDP, false);
    return 0;
}

static int check_queue(wire_check_t *ck, const Acd__V1__QueueEvent *q)
{
    WIRE_TEXT(ck, q, queue, WIRE_ID, true);
    WIRE_TEXT(ck, q, tenant, WIRE_ID, false);
    return 0;
}

static int check_snapshot(wire_check_t *ck, const Acd__V1__Snapshot *s, uint64_t seq)
{
    int rc = 0;
    WIRE_REQUIRE(ck, s->last_seq <= seq, "last_seq", "beyond the envelope's seq");
    WIRE_REQUIRE(ck, s->parts <= ACD_WIRE_SNAPSHOT_PARTS_MAX, "parts", "too many");
    if (s->parts > 1) {
        WIRE_REQUIRE(ck, s->part < s->parts, "part", "not below parts");
        WIRE_REQUIRE(ck, (s->more != 0) == (s->part + 1 < s->parts), "more",
                     "must be set exactly before the last part");
    } else {
        /* A single-part snapshot; `more` without parts would be parts nobody can count. */
        WIRE_REQUIRE(ck, s->part == 0, "part", "set in a single-part snapshot");
        WIRE_REQUIRE(ck, !s->more, "more", "set in a single-part snapshot");
    }
    for (size_t i = 0; rc == 0 && i < s->n_calls; i++)
        rc = check_call(ck, s->calls[i]);
    for (size_t i = 0; rc == 0 && i < s->n_agents; i++)
        rc = check_agent(ck, s->agents[i]);
    for (size_t i = 0; rc == 0 && i < s->n_registrations; i++)
        rc = check_registration(ck, s->registrations[i]);
    for (size_t i = 0; rc == 0 && i < s->n_dialogs; i++)
        rc = check_dialog(ck, s->dialogs[i]);
    for (size_t i = 0; rc == 0 && i < s->n_queues; i++)
        rc = check_queue(ck, s->queues[i]);
    return rc;
}

static int check_offer(wire_check_t *ck, const Acd__V1__Offer *o)
{
    WIRE_TEXT(ck, o, offer_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, o->epoch > 0, "epoch", "unset");
    WIRE_TEXT(ck, o, leader_site, WIRE_ID, true);
    WIRE_TEXT(ck, o, call_id, WIRE_ID, true);
    WIRE_TEXT(ck, o, call_site, WIRE_ID, true);
    WIRE_TEXT(ck, o, agent_id, WIRE_ID, true);
    WIRE_TEXT(ck, o, agent_site, WIRE_ID, true);
    WIRE_TEXT(ck, o, queue, WIRE_ID, true);
    return 0;
}

static int check_offer_accept(wire_check_t *ck, const Acd__V1__OfferAccept *a)
{
    WIRE_TEXT(ck, a, offer_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, a->epoch > 0, "epoch", "unset");
    WIRE_TEXT(ck, a, call_id, WIRE_ID, true);
    WIRE_TEXT(ck, a, agent_id, WIRE_ID, true);
    WIRE_TEXT(ck, a, call_site, WIRE_ID, false);
    WIRE_TEXT(ck, a, agent_site, WIRE_ID, false);
    return 0;
}

static int check_offer_reject(wire_check_t *ck, const Acd__V1__OfferReject *r)
{
    WIRE_TEXT(ck, r, offer_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, r->epoch > 0, "epoch", "unset");
    WIRE_TEXT(ck, r, call_id, WIRE_ID, true);
    WIRE_TEXT(ck, r, agent_id, WIRE_ID, true);
    WIRE_REQUIRE(ck, r->reason != ACD__V1__REJECT_REASON__REJECT_REASON_UNSPECIFIED, "reason",
                 "unset");
    WIRE_TEXT(ck, r, detail, WIRE_TOKEN, false);
    WIRE_TEXT(ck, r, call_site, WIRE_ID, false);
    WIRE_TEXT(ck, r, agent_site, WIRE_ID, false);
    return 0;
}

static int check_takeover(wire_check_t *ck, const Acd__V1__Takeover *t)
{
    WIRE_TEXT(ck, t, dark_site, WIRE_ID, true);
    WIRE_REQUIRE(ck, t->dark_incarnation > 0, "dark_incarnation", "unset");
    WIRE_TEXT(ck, t, sister, WIRE_ID, true);
    WIRE_REQUIRE(ck, strcmp(t->sister, t->dark_site) != 0, "sister", "is the dark site");
    WIRE_TEXT(ck, t, leader_site, WIRE_ID, true);
    WIRE_REQUIRE(ck, t->epoch > 0, "epoch", "unset");
    return 0;
}

static int check_remote_update(wire_check_t *ck, const Acd__V1__RemoteUpdate *u)
{
    WIRE_TEXT(ck, u, offer_id, WIRE_ID, true);
    WIRE_TEXT(ck, u, call_id, WIRE_ID, true);
    WIRE_TEXT(ck, u, call_site, WIRE_ID, true);
    WIRE_TEXT(ck, u, agent_id, WIRE_ID, true);
    WIRE_TEXT(ck, u, agent_site, WIRE_ID, true);
    WIRE_REQUIRE(ck, u->kind != ACD__V1__REMOTE_KIND__REMOTE_KIND_UNSPECIFIED, "kind", "unset");
    return 0;
}

/* KPI numbers stay below 2^53: exact as doubles (ratios, Prometheus) and as int64 ms. */
#define WIRE_KPI_MAX ((uint64_t)1 << 53)

static int check_queue_kpi(wire_check_t *ck, const Acd__V1__QueueKpi *q)
{
    WIRE_TEXT(ck, q, queue, WIRE_ID, true);
    WIRE_TEXT(ck, q, tenant, WIRE_ID, false);
    WIRE_REQUIRE(ck, q->sl_target_pct <= 100, "sl_target_pct", "above 100");
    const uint64_t nums[] = {q->offered,        q->answered,        q->answered_in_sl,
                             q->abandoned,      q->abandoned_short, q->overflowed,
                             q->delivered,      q->handled,         q->answer_wait_ms,
                             q->abandon_wait_ms, q->talk_ms,        q->wrapup_ms,
                             q->arrivals,       q->longest_wait_ms};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        WIRE_REQUIRE(ck, nums[i] <= WIRE_KPI_MAX, "queue_kpi", "number above 2^53");
    WIRE_REQUIRE(ck, q->answered_in_sl <= q->answered, "answered_in_sl", "above answered");
    WIRE_REQUIRE(ck, q->abandoned_short <= q->abandoned, "abandoned_short", "above abandoned");
    WIRE_REQUIRE(ck, q->window_ms <= (uint64_t)ACD_KPI_WINDOW_MS, "window_ms", "above 30 min");
    WIRE_REQUIRE(ck, q->n_abandoned_bucket == ACD_KPI_BUCKETS ||
                         (q->n_abandoned_bucket == 0 && q->abandoned == 0),
                 "abandoned_bucket", "not 7 buckets");
    uint64_t sum = 0;
    for (size_t i = 0; i < q->n_abandoned_bucket; i++) {
        WIRE_REQUIRE(ck, q->abandoned_bucket[i] <= q->abandoned, "abandoned_bucket",
                     "above abandoned");
        sum += q->abandoned_bucket[i]; /* each <= 2^53, at most 7: no overflow */
    }
    WIRE_REQUIRE(ck, sum == q->abandoned, "abandoned_bucket", "does not sum to abandoned");
    return 0;
}

static int check_heartbeat(wire_check_t *ck, const Acd__V1__Heartbeat *h)
{
    WIRE_TEXT(ck, h, leader_site, WIRE_ID, false);
    WIRE_REQUIRE(ck, h->n_queue_kpi <= ACD_KPI_REMOTE_QUEUES_MAX, "queue_kpi", "too many queues");
    WIRE_REQUIRE(ck, h->agent_handling_ms <= WIRE_KPI_MAX && h->agent_idle_ms <= WIRE_KPI_MAX,
                 "agent_handling_ms", "above 2^53");
    WIRE_TEXT(ck, h, anycast_address, WIRE_TOKEN, h->anycast_configured);
    WIRE_TEXT(ck, h, anycast_why, WIRE_TOKEN, false);
    WIRE_REQUIRE(ck,
                 h->anycast_configured ||
                     (!h->anycast_announced && !wire_present(h->anycast_address) &&
                      !wire_present(h->anycast_why)),
                 "anycast_announced", "anycast state without anycast_configured");
    for (size_t i = 0; i < h->n_queue_kpi; i++) {
        int rc = check_queue_kpi(ck, h->queue_kpi[i]);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            WIRE_REQUIRE(ck, strcmp(h->queue_kpi[i]->queue, h->queue_kpi[j]->queue) != 0,
                         "queue_kpi", "queue listed twice");
    }
    return 0;
}

/*
 * The body's message, or NULL when the case is unset or unknown or the pointer is NULL.
 * Every generated struct starts with its ProtobufCMessage, so the casts are exact.
 */
static const ProtobufCMessage *wire_body(const Acd__V1__Envelope *env)
{
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        return (const ProtobufCMessage *)env->call;
    case ACD__V1__ENVELOPE__BODY_AGENT:
        return (const ProtobufCMessage *)env->agent;
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        return (const ProtobufCMessage *)env->registration;
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        return (const ProtobufCMessage *)env->dialog;
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        return (const ProtobufCMessage *)env->queue;
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        return (const ProtobufCMessage *)env->snapshot;
    case ACD__V1__ENVELOPE__BODY_OFFER:
        return (const ProtobufCMessage *)env->offer;
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT:
        return (const ProtobufCMessage *)env->offer_accept;
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        return (const ProtobufCMessage *)env->offer_reject;
    case ACD__V1__ENVELOPE__BODY_HEARTBEAT:
        return (const ProtobufCMessage *)env->heartbeat;
    case ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE:
        return (const ProtobufCMessage *)env->remote_update;
    case ACD__V1__ENVELOPE__BODY_TAKEOVER:
        return (const ProtobufCMessage *)env->takeover;
    default:
        return NULL;
    }
}

/*
 * Every rule of events.proto, for envelopes going out (decoded false) and coming in.
 * The generic walk runs first, so the typed checks may assume valid UTF-8 and defined
 * enum values. Returns 0 or ACD_EPROTO with ck->field and ck->why set.
 */
static int wire_check_envelope(wire_check_t *ck, const Acd__V1__Envelope *env)
{
    WIRE_REQUIRE(ck, env->base.descriptor == &acd__v1__envelope__descriptor, "envelope",
                 "not initialised as an Envelope");
    const ProtobufCMessage *body = wire_body(env);
    WIRE_REQUIRE(ck, body != NULL, "body", "missing or unknown");
    int rc = wire_walk(ck, &env->base, 0);
    if (rc < 0)
        return rc;
    WIRE_TEXT(ck, env, origin_site, WIRE_ID, true);
    WIRE_REQUIRE(ck, env->incarnation > 0, "incarnation", "unset");
    WIRE_REQUIRE(ck, env->seq > 0, "seq", "unset");
    WIRE_REQUIRE(ck, env->schema_version > 0, "schema_version", "unset");
    WIRE_REQUIRE(ck, env->sent_ms > 0, "sent_ms", "not a wall-clock time");
    switch (env->body_case) {
    case ACD__V1__ENVELOPE__BODY_CALL:
        return check_call(ck, env->call);
    case ACD__V1__ENVELOPE__BODY_AGENT:
        return check_agent(ck, env->agent);
    case ACD__V1__ENVELOPE__BODY_REGISTRATION:
        return check_registration(ck, env->registration);
    case ACD__V1__ENVELOPE__BODY_DIALOG:
        return check_dialog(ck, env->dialog);
    case ACD__V1__ENVELOPE__BODY_QUEUE:
        return check_queue(ck, env->queue);
    case ACD__V1__ENVELOPE__BODY_SNAPSHOT:
        return check_snapshot(ck, env->snapshot, env->seq);
    case ACD__V1__ENVELOPE__BODY_OFFER:
        return check_offer(ck, env->offer);
    case ACD__V1__ENVELOPE__BODY_OFFER_ACCEPT:
        return check_offer_accept(ck, env->offer_accept);
    case ACD__V1__ENVELOPE__BODY_OFFER_REJECT:
        return check_offer_reject(ck, env->offer_reject);
    case ACD__V1__ENVELOPE__BODY_HEARTBEAT:
        return check_heartbeat(ck, env->heartbeat);
    case ACD__V1__ENVELOPE__BODY_REMOTE_UPDATE:
        return check_remote_update(ck, env->remote_update);
    case ACD__V1__ENVELOPE__BODY_TAKEOVER:
        return check_takeover(ck, env->takeover);
    default:
        return wire_fail(ck, "body", "unknown");
    }
}

/* ---- codec ---- */

int acd_wire_encode(const Acd__V1__Envelope *env, acd_buf_t *out)
{
    if (!env || !out)
        return -EINVAL;
    wire_check_t ck = {.decoded = false};
    if (wire_check_envelope(&ck, env) < 0) {
        acd_log_debug("ACD-WIRE-ENCODE-INVALID", "body=%s field=%s why=\"%s\"",
                      acd_wire_body_name(env), ck.field ? ck.field : "-", ck.why);
        return -EINVAL;
    }
    size_t n = acd__v1__envelope__get_packed_size(env);
    if (n > ACD_WIRE_FRAME_MAX)
        return -EMSGSIZE;
    int rc = acd_buf_reserve(out, n);
    if (rc < 0)
        return rc;
    out->n += acd__v1__envelope__pack(env, (uint8_t *)out->p + out->n);
    out->p[out->n] = '\0';
    return 0;
}

int acd_wire_decode(const uint8_t *data, size_t len, Acd__V1__Envelope **envp)
{
    static const uint8_t empty[1];
    if (!envp || (!data && len))
        return -EINVAL;
    if (len > ACD_WIRE_FRAME_MAX) {
        acd_log_debug("ACD-WIRE-DECODE-INVALID", "len=%zu why=\"frame too large\"", len);
        return ACD_EPROTO;
    }
    wire_arena_t arena = {.budget = WIRE_BUDGET(len)};
    ProtobufCAllocator alloc = {
        .alloc = wire_alloc,
        .free = wire_release,
        .allocator_data = &arena,
    };
    Acd__V1__Envelope *env = acd__v1__envelope__unpack(&alloc, len, data ? data : empty);
    if (!env) {
        int rc = wire_unpack_error(&arena);
        acd_log_debug("ACD-WIRE-DECODE-INVALID", "len=%zu why=\"%s\"", len,
                      rc == ACD_EPROTO ? "not a protobuf Envelope" : acd_strerror(rc));
        return rc;
    }
    wire_check_t ck = {.decoded = true};
    if (wire_check_envelope(&ck, env) < 0) {
        acd_log_debug("ACD-WIRE-DECODE-INVALID", "len=%zu body=%s field=%s why=\"%s\"", len,
                      acd_wire_body_name(env), ck.field ? ck.field : "-", ck.why);
        protobuf_c_message_free_unpacked(&env->base, &alloc);
        return ACD_EPROTO;
    }
    *envp = env;
    return 0;
}

void acd_wire_free(Acd__V1__Envelope *env)
{
    static ProtobufCAllocator release = {.alloc = wire_alloc, .free = wire_release};
    if (env)
        protobuf_c_message_free_unpacked(&env->base, &release);
}

void acd_wire_envelope_init(Acd__V1__Envelope *env, const char *origin_site, uint64_t incarnation,
                            uint64_t seq, acd_ms_t now)
{
    acd__v1__envelope__init(env);
    env->origin_site = (char *)(origin_site ? origin_site : protobuf_c_empty_string);
    env->incarnation = incarnation;
    env->seq = seq;
    env->schema_version = ACD_WIRE_SCHEMA_VERSION;
    env->sent_ms = now;
}

const char *acd_wire_body_name(const Acd__V1__Envelope *env)
{
    if (!env || env->body_case == ACD__V1__ENVELOPE__BODY__NOT_SET)
        return "none";
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&acd__v1__envelope__descriptor, env->body_case);
    return f ? f->name : "unknown";
}

/* ---- core facts -> events ---- */

/* protobuf-c's structs hold char *, but encoding only reads them: borrowing is safe. */
static char *wire_borrow(const char *s)
{
    return (char *)(s ? s : protobuf_c_empty_string);
}

int acd_wire_call_from_view(const acd_call_view_t *v, Acd__V1__CallKind kind,
                            Acd__V1__CallEvent *out)
{
    acd_call_state_t st;
    if (!v || !out || kind == ACD__V1__CALL_KIND__CALL_KIND_ENDED ||
        acd_wire_call_state_to_core(kind, &st) < 0 || st != v->state)
        return -EINVAL;
    acd__v1__call_event__init(out);
    out->call_id = wire_borrow(v->id);
    out->kind = kind;
    out->tenant = wire_borrow(v->tenant);
    out->did = wire_borrow(v->did);
    out->caller = wire_borrow(v->caller);
    out->queue = wire_borrow(v->queue);
    out->priority = v->priority;
    out->enqueue_ms = v->enqueue_ms;
    out->agent_id = wire_borrow(v->agent);
    out->answer_ms = v->answer_ms;
    out->offers = v->offers > 0 ? (uint32_t)v->offers : 0;
    out->delivery = wire_borrow(v->delivery);
    out->message = wire_borrow(v->message);
    return 0;
}

int acd_wire_call_from_cdr(const acd_cdr_t *cdr, Acd__V1__CallEvent *out)
{
    if (!cdr || !out || cdr->disposition == ACD_DISP_NONE ||
        acd_wire_disposition(cdr->disposition) == ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED)
        return -EINVAL;
    acd__v1__call_event__init(out);
    out->call_id = wire_borrow(cdr->call_id);
    out->kind = ACD__V1__CALL_KIND__CALL_KIND_ENDED;
    out->tenant = wire_borrow(cdr->tenant);
    out->did = wire_borrow(cdr->did);
    out->caller = wire_borrow(cdr->caller);
    out->queue = wire_borrow(cdr->queue);
    out->enqueue_ms = cdr->enqueue_ms;
    out->agent_id = wire_borrow(cdr->agent);
    out->answer_ms = cdr->answer_ms;
    out->end_ms = cdr->end_ms;
    out->disposition = acd_wire_disposition(cdr->disposition);
    out->offers = cdr->offers < 0 ? 0 : (uint32_t)cdr->offers;
    return 0;
}

static int wire_copy_id(char dst[ACD_ID_MAX], const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= ACD_ID_MAX)
        return -EINVAL;
    memcpy(dst, s ? s : "", n + 1);
    return 0;
}

int acd_wire_cdr_from_call(const Acd__V1__CallEvent *ev, acd_cdr_t *out)
{
    acd_cdr_t cdr = {0};
    if (!ev || !out || ev->kind != ACD__V1__CALL_KIND__CALL_KIND_ENDED ||
        acd_wire_disposition_to_core(ev->disposition, &cdr.disposition) < 0 ||
        cdr.disposition == ACD_DISP_NONE || ev->offers > INT32_MAX)
        return -EINVAL;
    if (wire_copy_id(cdr.call_id, ev->call_id) < 0 || wire_copy_id(cdr.tenant, ev->tenant) < 0 ||
        wire_copy_id(cdr.did, ev->did) < 0 || wire_copy_id(cdr.caller, ev->caller) < 0 ||
        wire_copy_id(cdr.queue, ev->queue) < 0 || wire_copy_id(cdr.agent, ev->agent_id) < 0)
        return -EINVAL;
    cdr.enqueue_ms = ev->enqueue_ms;
    cdr.answer_ms = ev->answer_ms;
    cdr.end_ms = ev->end_ms;
    cdr.wait_ms = (ev->answer_ms ? ev->answer_ms : ev->end_ms) - ev->enqueue_ms;
    cdr.talk_ms = ev->answer_ms ? ev->end_ms - ev->answer_ms : 0;
    cdr.offers = (int)ev->offers;
    *out = cdr;
    return 0;
}

int acd_wire_agent_from_view(const acd_agent_view_t *v, Acd__V1__AgentEvent *out)
{
    if (!v || !out)
        return -EINVAL;
    Acd__V1__AgentState st = acd_wire_agent_state(v->state);
    if (st == ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED)
        return -EINVAL;
    acd__v1__agent_event__init(out);
    out->agent_id = wire_borrow(v->id);
    out->state = st;
    out->reason = wire_borrow(v->pause_reason);
    out->state_since_ms = v->state_since;
    out->idle_since_ms = v->idle_since;
    out->call_id = wire_borrow(v->call_id);
    out->sip_user = wire_borrow(v->sip_user);
    out->missed_in_row = v->missed_in_row < 0 ? 0 : (uint32_t)v->missed_in_row;
    out->calls_handled = v->calls_handled;
    return 0;
}

static uint32_t wire_count(size_t n)
{
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int acd_wire_queue_from_view(const acd_queue_view_t *v, Acd__V1__QueueEvent *out)
{
    if (!v || !out)
        return -EINVAL;
    acd__v1__queue_event__init(out);
    out->queue = wire_borrow(v->name);
    out->tenant = wire_borrow(v->tenant);
    out->waiting = wire_count(v->waiting);
    out->offered = wire_count(v->offered);
    out->agents_logged_in = wire_count(v->agents_logged_in);
    out->agents_available = wire_count(v->agents_available);
    out->oldest_enqueue_ms = v->oldest_enqueue;
    return 0;
}
