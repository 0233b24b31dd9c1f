/* wallboard_sse.c - the wallboard's live stream: Server-Sent Events, one build per tick. */
#include "api/admin_int.h"
#include "api/wallboard_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/list.h"
#include "util/log.h"

/*
 * Every second the document is built once, as one frame of text ("id: N", "event:
 * snapshot", "data: {...}"), and that same frame goes to every client: the tick costs
 * one build however many walls watch. A frame is reference-counted; a client holds the
 * one h2o is writing until h2o calls proceed (the write is done).
 *
 * A slow client never queues frames: while its write is in flight it skips ticks, and
 * when the write completes it gets the newest frame only. So a client holds at most one
 * frame and its socket buffer, whatever its speed. A client that has taken nothing for
 * WB_STALL_MS is cut off (its socket shut down; h2o then closes the connection), so a
 * dead peer that never acknowledges cannot keep one of the ACD__WB_CLIENTS_MAX places.
 *
 * h2o stops reading a connection while its response runs, so it notices a client that
 * went away only when a write fails: within a tick or two, since every tick writes. For
 * the same reason acd_admin_close()'s shutdown(2) of every socket would go unnoticed on
 * a stream between two ticks, and the endpoint would wait for it for ever: closing ends
 * every stream itself (acd__admin_wallboard_close), with a final chunk and no
 * keep-alive, and the connection closes by h2o's own path.
 */

#define WB_TICK_MS 1000
#define WB_STALL_MS 30000

typedef struct wb_frame {
    size_t refs;
    uint64_t seq;
    size_t len;
    char text[];
} wb_frame_t;

typedef struct wb_client {
    h2o_generator_t gen; /* what h2o calls back: proceed (write done), stop (gone) */
    acd_list_t link;     /* in wb->clients while the wallboard serves it */
    struct acd__wb *wb;  /* NULL once the wallboard let it go (closing) */
    h2o_req_t *req;
    wb_frame_t *sending; /* the frame h2o is writing; NULL: idle */
    uint64_t sent_seq;   /* the last frame handed to h2o */
    int64_t busy_since;  /* when the write in flight began */
    bool ending;         /* end the response once the write in flight is done */
    bool shut;           /* its socket was shut down (stalled) */
} wb_client_t;

struct acd__wb {
    acd_admin_t *admin;
    uv_timer_t tick;
    acd_list_t clients; /* wb_client_t */
    size_t n_clients;
    wb_frame_t *latest; /* the newest frame; NULL before the first */
    uint64_t seq;
};

/* ---- frames ---- */

static void wb_frame_unref(wb_frame_t *f)
{
    if (f && --f->refs == 0)
        free(f);
}

static wb_frame_t *wb_frame_ref(wb_frame_t *f)
{
    f->refs++;
    return f;
}

/* Builds the document now into a new frame (one reference, the caller's); NULL: ENOMEM. */
static wb_frame_t *wb_frame_build(struct acd__wb *wb)
{
    static const char head[] = "id: %llu\nevent: snapshot\ndata: ";
    json_object *doc = acd__wb_doc(wb->admin, acd__admin_now_ms());
    size_t len = 0;
    const char *json = doc ? json_object_to_json_string_length(
                                 doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)
                           : NULL;
    wb_frame_t *f = json ? malloc(sizeof(*f) + sizeof(head) + 24 + len + 2) : NULL;
    if (f) {
        f->refs = 1;
        f->seq = ++wb->seq;
        int n = snprintf(f->text, sizeof(head) + 24, head, (unsigned long long)f->seq);
        memcpy(f->text + n, json, len); /* PLAIN JSON has no newline: one data line */
        memcpy(f->text + n + len, "\n\n", 2);
        f->len = (size_t)n + len + 2;
    }
    json_object_put(doc);
    return f;
}

/* Makes a freshly built frame the newest; keeps the old one when the build failed. */
static void wb_refresh(struct acd__wb *wb)
{
    wb_frame_t *f = wb_frame_build(wb);
    if (!f) {
        acd_log_warn("ACD-WALLBOARD-BUILD-FAILED", "err=ENOMEM clients=%zu", wb->n_clients);
        return;
    }
    wb_frame_unref(wb->latest);
    wb->latest = f;
}

/* ---- clients ---- */

/* Forgets c on the wallboard's side (it may still be h2o's); harmless twice. */
static void wb_client_unlink(wb_client_t *c)
{
    struct acd__wb *wb = c->wb;
    if (!wb)
        return;
    acd_list_remove(&c->link);
    c->wb = NULL;
    wb->n_clients--;
    if (wb->n_clients == 0)
        uv_timer_stop(&wb->tick);
    acd_log_debug("ACD-WALLBOARD-CLIENT-GONE", "clients=%zu", wb->n_clients);
}

/*
 * Hands f to h2o for c, or ends the response when c is ending. After h2o_send c must not
 * be touched: ending a response may close the connection (and free c) at once.
 */
static void wb_client_send(wb_client_t *c, wb_frame_t *f)
{
    h2o_req_t *req = c->req;
    if (c->ending) {
        req->http1_is_persistent = 0; /* close the connection after the last chunk */
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    c->sending = wb_frame_ref(f);
    c->sent_seq = f->seq;
    c->busy_since = acd__admin_now_ms();
    h2o_iovec_t buf = h2o_iovec_init(f->text, f->len);
    h2o_send(req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

/* h2o wrote what c was sending: send the newest frame if c has not had it, else idle. */
static void wb_on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    wb_client_t *c = acd_container_of(gen, wb_client_t, gen);
    (void)req;
    wb_frame_unref(c->sending);
    c->sending = NULL;
    wb_frame_t *latest = c->wb ? c->wb->latest : NULL;
    if (c->ending || (latest && latest->seq > c->sent_seq))
        wb_client_send(c, latest);
}

/* h2o gave the response up (the connection closed); the pool's dispose frees the rest. */
static void wb_on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    wb_client_unlink(acd_container_of(gen, wb_client_t, gen));
}

/* The request's pool is going: whatever c still holds goes with it. */
static void wb_client_dispose(void *p)
{
    wb_client_t *c = p;
    wb_client_unlink(c);
    wb_frame_unref(c->sending);
    c->sending = NULL;
}

/* Cuts off a client that has taken nothing for too long (see the top of the file). */
static void wb_client_cut(wb_client_t *c, int64_t now)
{
    h2o_socket_t *sock = c->req->conn->callbacks->get_socket
                             ? c->req->conn->callbacks->get_socket(c->req->conn)
                             : NULL;
    if (c->shut || !sock)
        return;
    c->shut = true;
    acd_log_warn("ACD-WALLBOARD-CLIENT-STALLED", "stalled_ms=%lld: cut off",
                 (long long)(now - c->busy_since));
    shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

/* ---- the tick ---- */

static void wb_on_tick(uv_timer_t *t)
{
    struct acd__wb *wb = acd_container_of(t, struct acd__wb, tick);
    acd_list_t *pos, *tmp;
    int64_t now = acd__admin_now_ms();

    wb_refresh(wb);
    if (!wb->latest)
        return;
    acd_list_foreach(pos, tmp, &wb->clients)
    {
        wb_client_t *c = acd_container_of(pos, wb_client_t, link);
        if (!c->sending && c->sent_seq < wb->latest->seq)
            wb_client_send(c, wb->latest);
        else if (c->sending && now - c->busy_since > WB_STALL_MS)
            wb_client_cut(c, now);
    }
}

static void wb_on_closed(uv_handle_t *h)
{
    struct acd__wb *wb = acd_container_of((uv_timer_t *)h, struct acd__wb, tick);
    wb_frame_unref(wb->latest);
    free(wb);
}

/* The wallboard's state, made on the first stream. NULL: out of memory. */
static struct acd__wb *wb_get(acd_admin_t *a)
{
    if (a->wb)
        return a->wb;
    struct acd__wb *wb = calloc(1, sizeof(*wb));
    if (!wb)
        return NULL;
    wb->admin = a;
    acd_list_init(&wb->clients);
    uv_timer_init(a->loop, &wb->tick);
    a->wb = wb;
    return wb;
}

void acd__wb_events(acd_admin_t *a, h2o_req_t *req)
{
    struct acd__wb *wb = a->closing ? NULL : wb_get(a);
    if (!wb || wb->n_clients >= ACD__WB_CLIENTS_MAX) {
        acd_log_warn("ACD-WALLBOARD-CLIENTS-FULL", "clients=%zu max=%d closing=%d",
                     wb ? wb->n_clients : 0, ACD__WB_CLIENTS_MAX, a->closing);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("5"));
        acd__admin_send_error(req, 503, "Service Unavailable",
                              a->closing ? "the site is shutting down"
                                         : "too many wallboard clients");
        return;
    }
    /* A snapshot on connect: a fresh one, which every other client gets next tick. */
    wb_refresh(wb);
    if (!wb->latest) {
        acd__admin_send_error(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    wb_client_t *c = h2o_mem_alloc_shared(&req->pool, sizeof(*c), wb_client_dispose);
    memset(c, 0, sizeof(*c));
    c->gen.proceed = wb_on_proceed;
    c->gen.stop = wb_on_stop;
    c->req = req;
    c->wb = wb;
    acd_list_push_back(&wb->clients, &c->link);
    if (wb->n_clients++ == 0)
        uv_timer_start(&wb->tick, wb_on_tick, WB_TICK_MS, WB_TICK_MS);
    acd_log_info("ACD-WALLBOARD-CLIENT", "clients=%zu", wb->n_clients);

    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_start_response(req, &c->gen);
    wb_client_send(c, wb->latest);
}

size_t acd__wb_clients(const acd_admin_t *a)
{
    return a->wb ? a->wb->n_clients : 0;
}

void acd__admin_wallboard_close(acd_admin_t *a)
{
    struct acd__wb *wb = a->wb;
    acd_list_t *pos, *tmp;
    if (!wb)
        return;
    a->wb = NULL;
    acd_list_foreach(pos, tmp, &wb->clients)
    {
        wb_client_t *c = acd_container_of(pos, wb_client_t, link);
        wb_client_unlink(c);
        c->ending = true;
        if (!c->sending)
            wb_client_send(c, NULL); /* may free c */
    }
    uv_close((uv_handle_t *)&wb->tick, wb_on_closed);
}
