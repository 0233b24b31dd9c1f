/* replica_check.c - the replica's self-check and canonical dump, for tests and debugging. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/replica_int.h"
#include "cluster/wire.h"
#include "util/err.h"

/* ---- consistency ---- */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(why, len, __VA_ARGS__);                                                       \
            return -EINVAL;                                                                        \
        }                                                                                          \
    } while (0)

/* The origin the view of e names (every view starts with it). */
static const char *check_view_origin(const acd__replica_ent_t *e)
{
    switch (e->kind) {
    case ACD__REPLICA_CALL:
        return e->v.call.origin;
    case ACD__REPLICA_AGENT:
        return e->v.agent.origin;
    case ACD__REPLICA_REG:
        return e->v.reg.origin;
    case ACD__REPLICA_DIALOG:
        return e->v.dialog.origin;
    default:
        return e->v.queue.origin;
    }
}

/* The key e must be filed under, written to buf (size n) for dialogs. */
static acd_str_t check_key(const acd__replica_ent_t *e, char *buf, size_t n)
{
    switch (e->kind) {
    case ACD__REPLICA_CALL:
        return acd_str_from(e->v.call.call_id);
    case ACD__REPLICA_AGENT:
        return acd_str_from(e->v.agent.agent_id);
    case ACD__REPLICA_REG:
        return acd_str_from(e->v.reg.user);
    case ACD__REPLICA_DIALOG: {
        int k = snprintf(buf, n, "%d:%s", (int)e->v.dialog.leg, e->v.dialog.call_id);
        return (acd_str_t){buf, k < 0 ? 0 : (size_t)k};
    }
    default:
        return acd_str_from(e->v.queue.queue);
    }
}

static int check_entity(const acd_replica_t *r, const acd__replica_origin_t *o,
                        const acd__replica_ent_t *e, int kind, char *why, size_t len)
{
    char kb[ACD_ID_MAX + 16];
    acd_str_t key = check_key(e, kb, sizeof(kb));
    CHECK(e->kind == (acd__replica_kind_t)kind, "origin %s: entity of kind %d in map %d", o->name,
          (int)e->kind, kind);
    CHECK(e->origin == o && check_view_origin(e) == o->name, "origin %s: entity %.*s names %s",
          o->name, ACD_STR_FMT(key), check_view_origin(e));
    CHECK(acd_str_eq(key, e->key) && acd_str_eq(key, e->node.key),
          "origin %s: entity %.*s filed under another key", o->name, ACD_STR_FMT(key));
    CHECK(acd_hmap_get(&o->set.maps[kind], key) == &e->node,
          "origin %s: entity %.*s not found by its key", o->name, ACD_STR_FMT(key));
    if (kind == ACD__REPLICA_CALL) {
        acd_call_state_t st;
        CHECK(acd_wire_call_state_to_core(e->v.call.kind, &st) == 0 && st == e->v.call.state &&
                  st != ACD_CALL_ENDED,
              "origin %s: call %s kind %d state %d", o->name, e->v.call.call_id,
              (int)e->v.call.kind, (int)e->v.call.state);
        acd_hmap_iter_t it;
        acd_hmap_node_t *n;
        acd_hmap_iter_init(&it, &r->origins);
        while ((n = acd_hmap_iter_next(&it))) {
            const acd__replica_origin_t *p = acd_container_of(n, acd__replica_origin_t, node);
            CHECK(p == o || !acd_hmap_get(&p->set.maps[kind], key),
                  "call %s held by origins %s and %s", e->v.call.call_id, o->name, p->name);
        }
    }
    if (kind == ACD__REPLICA_DIALOG) {
        CHECK(e->dialog && e->v.dialog.ev == e->dialog &&
                  e->dialog->state != ACD__V1__DIALOG_STATE__DIALOG_STATE_TERMINATED &&
                  e->v.dialog.call_id == e->dialog->call_id && e->v.dialog.leg == e->dialog->leg,
              "origin %s: dialog %.*s inconsistent", o->name, ACD_STR_FMT(key));
    }
    return 0;
}

static int check_origin(const acd_replica_t *r, const acd__replica_origin_t *o, char *why,
                        size_t len)
{
    CHECK(acd_str_eqc(o->node.key, o->name) && acd__replica_origin_find(r, o->name) == o,
          "origin %s: filed under another name", o->name);
    CHECK(strcmp(o->name, r->self) != 0, "origin %s is this site", o->name);
    CHECK(o->incarnation > 0, "origin %s: incarnation 0", o->name);
    CHECK(o->max_seen >= o->last_seq, "origin %s: max_seen %" PRIu64 " < last_seq %" PRIu64,
          o->name, o->max_seen, o->last_seq);
    CHECK(o->n_buf <= r->max_buffer && o->n_parts <= r->max_buffer,
          "origin %s: %zu buffered, %zu parts", o->name, o->n_buf, o->n_parts);
    CHECK(o->state == ACD_REPLICA_RESYNCING ||
              (o->n_buf == 0 && o->n_parts == 0 && !o->need_snapshot && o->last_seq >= o->max_seen),
          "origin %s: SYNCED with buffered=%zu parts=%zu need_snapshot=%d", o->name, o->n_buf,
          o->n_parts, o->need_snapshot);
    for (size_t i = 0; i < o->n_buf; i++) {
        const Acd__V1__Envelope *b = o->buf[i];
        CHECK(b->seq > o->last_seq && b->seq <= o->max_seen &&
                  (i == 0 || b->seq > o->buf[i - 1]->seq),
              "origin %s: buffered seq %" PRIu64 " out of order (last_seq %" PRIu64 ")", o->name,
              b->seq, o->last_seq);
        CHECK(b->incarnation == o->incarnation && b->body_case != ACD__V1__ENVELOPE__BODY_SNAPSHOT,
              "origin %s: buffered seq %" PRIu64 " of another incarnation or a snapshot", o->name,
              b->seq);
    }
    CHECK(o->n_parts == 0 || o->n_parts < o->parts_total,
          "origin %s: %zu parts held of a snapshot of %" PRIu32, o->name, o->n_parts,
          o->parts_total);
    for (size_t i = 0; i < o->n_parts; i++) {
        const Acd__V1__Envelope *p = o->parts[i];
        CHECK(p->body_case == ACD__V1__ENVELOPE__BODY_SNAPSHOT && p->snapshot->more &&
                  p->snapshot->part == i && p->snapshot->parts == o->parts_total &&
                  p->snapshot->last_seq == o->parts_last_seq && p->incarnation == o->incarnation,
              "origin %s: snapshot part %zu inconsistent", o->name, i);
    }
    for (int k = 0; k < ACD__REPLICA_NKINDS; k++) {
        size_t count = 0;
        acd_hmap_iter_t it;
        acd_hmap_node_t *n;
        acd_hmap_iter_init(&it, &o->set.maps[k]);
        while ((n = acd_hmap_iter_next(&it))) {
            count++;
            int rc = check_entity(r, o, acd_container_of(n, acd__replica_ent_t, node), k, why, len);
            if (rc < 0)
                return rc;
        }
        CHECK(count == o->set.maps[k].count, "origin %s: map %d holds %zu, counts %zu", o->name, k,
              count, o->set.maps[k].count);
    }
    return 0;
}

int acd__replica_check(const acd_replica_t *r, char *why, size_t len)
{
    char none[1];
    if (!why || !len) {
        why = none;
        len = sizeof(none);
    }
    CHECK(r, "no replica");
    CHECK(r->n_decisions <= r->max_buffer + 1 && r->n_retired <= r->n_decisions,
          "verdict holds %zu decisions, %zu retired", r->n_decisions, r->n_retired);
    size_t count = 0;
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        count++;
        int rc = check_origin(r, acd_container_of(n, acd__replica_origin_t, node), why, len);
        if (rc < 0)
            return rc;
    }
    CHECK(count == r->origins.count, "%zu origins, counted %zu", count, r->origins.count);
    return 0;
}

/* ---- dump ---- */

typedef struct dump {
    char **lines;
    size_t n, cap;
    acd_buf_t line;
    int rc;
} dump_t;

static void dump_printf(dump_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dump_printf(dump_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (acd_buf_vprintf(&d->line, fmt, ap) < 0)
        d->rc = -ENOMEM;
    va_end(ap);
}

/* Appends " name=value" with spaces, backslashes and control bytes as \xNN. */
static void dump_str(dump_t *d, const char *name, const char *s)
{
    dump_printf(d, " %s=", name);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '\\')
            dump_printf(d, "\\x%02x", *p);
        else
            dump_printf(d, "%c", *p);
    }
}

/* Ends the current line and keeps it for sorting. */
static void dump_end(dump_t *d)
{
    if (d->rc == 0 && d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        char **v = realloc(d->lines, cap * sizeof(*v));
        if (!v)
            d->rc = -ENOMEM;
        else {
            d->lines = v;
            d->cap = cap;
        }
    }
    if (d->rc == 0 && !d->line.p)
        dump_printf(d, "%s", "");
    if (d->rc == 0)
        d->lines[d->n++] = acd_buf_steal(&d->line, NULL);
    acd_buf_fini(&d->line);
}

static void dump_call(void *ud, const acd_replica_call_t *c)
{
    dump_t *d = ud;
    dump_printf(d, "call %s", c->origin);
    dump_str(d, "id", c->call_id);
    dump_printf(d, " kind=%d state=%s", (int)c->kind, acd_call_state_name(c->state));
    dump_str(d, "tenant", c->tenant);
    dump_str(d, "did", c->did);
    dump_str(d, "caller", c->caller);
    dump_str(d, "queue", c->queue);
    dump_str(d, "agent", c->agent_id);
    dump_str(d, "reason", c->reason);
    dump_printf(d, " prio=%" PRId32 " enq=%" PRId64 " ans=%" PRId64 " offers=%" PRIu32, c->priority,
                c->enqueue_ms, c->answer_ms, c->offers);
    dump_end(d);
}

static void dump_agent(void *ud, const acd_replica_agent_t *a)
{
    dump_t *d = ud;
    dump_printf(d, "agent %s", a->origin);
    dump_str(d, "id", a->agent_id);
    dump_printf(d, " state=%s since=%" PRId64 " idle=%" PRId64, acd_agent_state_name(a->state),
                a->state_since_ms, a->idle_since_ms);
    dump_str(d, "call", a->call_id);
    dump_str(d, "user", a->sip_user);
    dump_str(d, "reason", a->reason);
    dump_printf(d, " missed=%" PRIu32 " handled=%" PRIu32, a->missed_in_row, a->calls_handled);
    dump_end(d);
}

static void dump_reg(void *ud, const acd_replica_registration_t *g)
{
    dump_t *d = ud;
    dump_printf(d, "reg %s", g->origin);
    dump_str(d, "user", g->user);
    dump_str(d, "aor", g->aor);
    dump_str(d, "contact", g->contact);
    dump_str(d, "source", g->source);
    dump_str(d, "agent", g->agent_id);
    dump_str(d, "regcid", g->register_call_id);
    dump_printf(d, " transport=%d expires=%" PRId64 " cseq=%" PRIu32, (int)g->transport,
                g->expires_ms, g->register_cseq);
    dump_end(d);
}

static void dump_dialog(void *ud, const acd_replica_dialog_t *dv)
{
    dump_t *d = ud;
    const Acd__V1__DialogEvent *e = dv->ev;
    dump_printf(d, "dialog %s", dv->origin);
    dump_str(d, "call", e->call_id);
    dump_printf(d, " leg=%d state=%d", (int)e->leg, (int)e->state);
    dump_str(d, "sipcid", e->sip_call_id);
    dump_str(d, "ltag", e->local_tag);
    dump_str(d, "rtag", e->remote_tag);
    dump_printf(d, " lcseq=%" PRIu32 " rcseq=%" PRIu32, e->local_cseq, e->remote_cseq);
    dump_str(d, "luri", e->local_uri);
    dump_str(d, "ruri", e->remote_uri);
    dump_str(d, "target", e->remote_target);
    for (size_t i = 0; i < e->n_route_set; i++)
        dump_str(d, "route", e->route_set[i]);
    dump_printf(d, " transport=%d", (int)e->transport);
    dump_str(d, "peer", e->peer_address);
    dump_str(d, "lsdp", e->local_sdp);
    dump_str(d, "rsdp", e->remote_sdp);
    dump_str(d, "lcontact", e->local_contact);
    dump_end(d);
}

static void dump_queue(void *ud, const acd_replica_queue_t *q)
{
    dump_t *d = ud;
    dump_printf(d, "queue %s", q->origin);
    dump_str(d, "queue", q->queue);
    dump_str(d, "tenant", q->tenant);
    dump_printf(
        d,
        " waiting=%" PRIu32 " offered=%" PRIu32 " in=%" PRIu32 " avail=%" PRIu32 " oldest=%" PRId64,
        q->waiting, q->offered, q->agents_logged_in, q->agents_available, q->oldest_enqueue_ms);
    dump_end(d);
}

static void dump_origin(dump_t *d, const acd__replica_origin_t *o)
{
    dump_printf(d,
                "origin %s inc=%" PRIu64 " last=%" PRIu64 " max=%" PRIu64
                " state=%s need=%d parts=%zu/%" PRIu32 "@%" PRIu64 " buf=[",
                o->name, o->incarnation, o->last_seq, o->max_seen, acd_replica_state_name(o->state),
                o->need_snapshot, o->n_parts, o->parts_total, o->parts_last_seq);
    for (size_t i = 0; i < o->n_buf; i++)
        dump_printf(d, "%s%" PRIu64, i ? "," : "", o->buf[i]->seq);
    dump_printf(d, "] draining=%d island=%d", o->draining, o->island);
    dump_str(d, "leader", o->leader_site);
    dump_printf(d, " epoch=%" PRIu64 " queued=%" PRIu32 " avail=%" PRIu32, o->leader_epoch,
                o->queued_calls, o->available_agents);
    dump_end(d);
}

static int dump_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int acd__replica_dump(const acd_replica_t *r, unsigned flags, acd_buf_t *out)
{
    if (!r || !out)
        return -EINVAL;
    static const acd_replica_visitor_t v = {
        .call = dump_call,
        .agent = dump_agent,
        .registration = dump_reg,
        .dialog = dump_dialog,
        .queue = dump_queue,
    };
    dump_t d = {0};
    acd_hmap_iter_t it;
    acd_hmap_node_t *n;
    acd_hmap_iter_init(&it, &r->origins);
    while ((n = acd_hmap_iter_next(&it))) {
        const acd__replica_origin_t *o = acd_container_of(n, acd__replica_origin_t, node);
        if (flags & ACD__REPLICA_DUMP_ORIGINS)
            dump_origin(&d, o);
        if (flags & ACD__REPLICA_DUMP_ENTITIES)
            acd__replica_set_visit(o, &v, &d);
    }
    if (d.rc == 0 && d.n > 1) /* d.lines is NULL for an empty replica */
        qsort(d.lines, d.n, sizeof(*d.lines), dump_cmp);
    for (size_t i = 0; i < d.n; i++) {
        if (d.rc == 0 && (acd_buf_append_str(out, acd_str_from(d.lines[i])) < 0 ||
                          acd_buf_append(out, "\n", 1) < 0))
            d.rc = -ENOMEM;
        free(d.lines[i]);
    }
    free(d.lines);
    acd_buf_fini(&d.line);
    return d.rc;
}
