/* fake_peer.c - a hostile cluster site for tests: floods its log and its replies with bad frames.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>

#include "fake_frames.h"
#include "util/log.h"

/*
 * Usage: fake_peer --events tcp://127.0.0.1:P --requests tcp://127.0.0.1:Q [options]
 *
 * Plays cluster site --site (default "z") for real acdd sites that list it among their
 * peers: binds a PUB socket on --events (its event log) and a REP socket on --requests
 * (snapshot requests), waits until --wait-subscribers sites subscribed, then publishes
 * one frame every 1/--rate seconds, a random mix (fake_frames.h builds them) of
 *   random     1..512 random bytes
 *   truncated  a valid envelope from the site cut short
 *   bitflip    a valid envelope with 1..3 bits flipped
 *   invalid    a protobuf Envelope that breaks a rule of events.proto, or names another
 *              origin (--spoof NAME, repeatable; default "y")
 *   absurd     a heartbeat with absurd header values (only after --absurd-after frames)
 *   oversized  random bytes over ACD_WIRE_FRAME_MAX (at most --oversized, replies too)
 *   valid      a heartbeat that continues the site's log
 * or, with --only NAME, only the kind NAME or only the invalid or absurd case NAME (the
 * "cases" of the report name them), to reproduce one finding. It answers each request
 * with a valid empty snapshot (a requester's first request, then every --valid-every'th;
 * 0: the first only) or else, at random, with garbage, a truncated or bit-flipped
 * snapshot, one from a spoofed origin or with inconsistent parts, an empty frame, an
 * oversized frame, or nothing.
 *
 * The log's incarnation is the start time in ms unless --incarnation says otherwise.
 * It stops after --frames log frames, --seconds seconds in all (waiting included), or
 * SIGTERM/SIGINT, and prints one JSON line on stdout: frames per kind and per invalid
 * or absurd case, replies per kind, per requester the requests it sent and the replies
 * it must refuse, how many log frames a site must refuse (log_rejected: the same
 * acd_wire_decode() and origin check the link applies, run here on every frame), what
 * a site may accept by body, and how many distinct calls, agents and registrations the
 * accepted frames carry (-1: too many to count). Only tcp:// on 127.0.0.0/8 is
 * accepted. Exit status: 0; 2 for a usage error; 1 when a socket cannot be opened.
 */

#define FP_RANDOM_MAX 512
#define FP_OVERSIZE_EXTRA 4096
#define FP_REQUESTERS_MAX 8
#define FP_CASES_MAX 32

/* Log frame kinds: enum suffix, name in the report, share of the mix (out of the sum). */
#define FP_KIND_LIST(X)                                                                            \
    X(RANDOM, "random", 18)                                                                        \
    X(TRUNCATED, "truncated", 18)                                                                  \
    X(BITFLIP, "bitflip", 18)                                                                      \
    X(INVALID, "invalid", 18)                                                                      \
    X(ABSURD, "absurd", 4)                                                                         \
    X(OVERSIZED, "oversized", 1)                                                                   \
    X(VALID, "valid", 23)

/* Reply kinds: enum suffix and name in the report. */
#define FP_REPLY_LIST(X)                                                                           \
    X(VALID, "valid")                                                                              \
    X(GARBAGE, "garbage")                                                                          \
    X(TRUNCATED, "truncated")                                                                      \
    X(BITFLIP, "bitflip")                                                                          \
    X(SPOOFED, "spoofed")                                                                          \
    X(PARTS, "parts")                                                                              \
    X(EMPTY, "empty")                                                                              \
    X(NONE, "none")                                                                                \
    X(OVERSIZED, "oversized")

#define FP_KIND_ENUM(k, name, weight) FP_##k,
#define FP_KIND_NAME(k, name, weight) name,
#define FP_KIND_WEIGHT(k, name, weight) weight,
#define FP_REPLY_ENUM(k, name) FPR_##k,
#define FP_REPLY_NAME(k, name) name,

typedef enum fp_kind { FP_KIND_LIST(FP_KIND_ENUM) FP_KINDS } fp_kind_t;
typedef enum fp_reply { FP_REPLY_LIST(FP_REPLY_ENUM) FPR_KINDS } fp_reply_t;

static const char *const fp_kind_names[] = {FP_KIND_LIST(FP_KIND_NAME)};
/* A kind that may not be sent now (absurd too early, oversized over budget) goes to valid. */
static const unsigned fp_kind_weight[] = {FP_KIND_LIST(FP_KIND_WEIGHT)};
static const char *const fp_reply_names[] = {FP_REPLY_LIST(FP_REPLY_NAME)};

/* One site that sent requests. */
typedef struct fp_requester {
    char name[ACD_ID_MAX];
    uint64_t requests;
    uint64_t rejected; /* replies sent to it that its link must count as decode errors */
} fp_requester_t;

/* How often one invalid or absurd case was sent (names are static strings). */
typedef struct fp_case {
    const char *name;
    uint64_t n;
} fp_case_t;

typedef struct fp {
    /* options */
    const char *events_url, *requests_url;
    uint64_t frames, seed, seconds, rate, wait_subs, oversized_max, valid_every, absurd_after;
    const char *only;
    int only_kind, only_case; /* from only; -1: the mix, a random case */
    /* state */
    ff_t ff;
    nng_socket pub, rep;
    atomic_int subs;
    uint64_t oversized; /* oversized frames sent, log and replies */
    acd_buf_t buf;
    uint8_t *big;
    /* results */
    uint64_t sent[FP_KINDS], log_total, log_rejected;
    fp_case_t cases[FP_CASES_MAX];
    size_t n_cases;
    uint64_t replies[FPR_KINDS], requests, reply_rejected, send_failed;
    fp_requester_t req[FP_REQUESTERS_MAX];
    size_t n_req;
} fp_t;

static volatile sig_atomic_t fp_stop;

static void fp_on_signal(int sig)
{
    (void)sig;
    fp_stop = 1;
}

static uint64_t fp_clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fp_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void fp_count_case(fp_t *fp, const char *name)
{
    size_t i = 0;
    while (i < fp->n_cases && strcmp(fp->cases[i].name, name) != 0)
        i++;
    if (i == FP_CASES_MAX)
        return;
    if (i == fp->n_cases)
        fp->cases[fp->n_cases++].name = name;
    fp->cases[i].n++;
}

/* Sends len bytes at data on s; counts a failure (no subscriber is not one for PUB). */
static void fp_send(fp_t *fp, nng_socket s, const void *data, size_t len, int flags)
{
    nng_msg *m;
    if (nng_msg_alloc(&m, 0) != 0) {
        fp->send_failed++;
        return;
    }
    if ((len > 0 && nng_msg_append(m, data, len) != 0) || nng_sendmsg(s, m, flags) != 0) {
        nng_msg_free(m);
        fp->send_failed++;
    }
}

/* Sends an oversized frame from fp->big: its receiver's nng drops the connection. */
static void fp_send_big(fp_t *fp, nng_socket s, int flags)
{
    size_t n = ACD_WIRE_FRAME_MAX + 1 + ff_below(&fp->ff, FP_OVERSIZE_EXTRA);
    ff_fill(&fp->ff, fp->big, 64);
    fp->oversized++;
    fp_send(fp, s, fp->big, n, flags);
}

/* ---- the log ---- */

static fp_kind_t fp_pick(fp_t *fp)
{
    if (fp->only_kind >= 0)
        return fp->only_kind == FP_OVERSIZED && fp->oversized >= fp->oversized_max
                   ? FP_VALID
                   : (fp_kind_t)fp->only_kind;
    unsigned total = 0;
    for (int k = 0; k < FP_KINDS; k++)
        total += fp_kind_weight[k];
    uint64_t r = ff_below(&fp->ff, total);
    fp_kind_t k = FP_RANDOM;
    while (r >= fp_kind_weight[k]) {
        r -= fp_kind_weight[k];
        k++;
    }
    if (k == FP_ABSURD && fp->log_total < fp->absurd_after)
        k = FP_VALID;
    if (k == FP_OVERSIZED && fp->oversized >= fp->oversized_max)
        k = FP_VALID;
    return k;
}

/* Publishes one frame of the mix. */
static void fp_log_frame(fp_t *fp)
{
    ff_t *f = &fp->ff;
    acd_buf_t *out = &fp->buf;
    const char *what = NULL;
    fp_kind_t k = fp_pick(fp);
    fp->sent[k]++;
    fp->log_total++;
    acd_buf_reset(out);
    switch (k) {
    case FP_OVERSIZED:
        fp_send_big(fp, fp->pub, 0);
        return;
    case FP_RANDOM:
        (void)ff_random(f, out, FP_RANDOM_MAX);
        break;
    case FP_TRUNCATED:
    case FP_BITFLIP:
        /* The next seq of the log, not taken: if it still decodes, the heartbeat after
         * it is a duplicate, which receivers ignore. */
        (void)ff_valid(f, out, (int)ff_below(f, FF_BODIES), f->seq + 1);
        if (k == FP_TRUNCATED)
            ff_truncate(f, out);
        else
            ff_flip(f, out);
        break;
    case FP_INVALID:
        (void)ff_invalid(f, out, fp->only_case, &what);
        break;
    case FP_ABSURD:
        (void)ff_absurd(f, out, fp->only_case, &what);
        break;
    default:
        (void)ff_valid(f, out, 0, ++f->seq);
        break;
    }
    if (what)
        fp_count_case(fp, what);
    if (!ff_accepted(f, out))
        fp->log_rejected++;
    fp_send(fp, fp->pub, out->p, out->n, 0);
}

/* ---- requests ---- */

static fp_requester_t *fp_requester(fp_t *fp, nng_msg *req)
{
    Acd__V1__Envelope *env = NULL;
    const char *name = "?";
    if (acd_wire_decode(nng_msg_body(req), nng_msg_len(req), &env) == 0)
        name = env->origin_site;
    fp_requester_t *r = NULL;
    for (size_t i = 0; i < fp->n_req && !r; i++)
        if (strcmp(fp->req[i].name, name) == 0)
            r = &fp->req[i];
    if (!r && fp->n_req < FP_REQUESTERS_MAX) {
        r = &fp->req[fp->n_req++];
        snprintf(r->name, sizeof(r->name), "%s", name);
    }
    acd_wire_free(env);
    return r ? r : &fp->req[FP_REQUESTERS_MAX - 1];
}

static fp_reply_t fp_pick_reply(fp_t *fp, const fp_requester_t *r)
{
    if (r->requests == 1 || (fp->valid_every && (r->requests - 1) % fp->valid_every == 0))
        return FPR_VALID;
    fp_reply_t k = (fp_reply_t)(FPR_GARBAGE + ff_below(&fp->ff, FPR_KINDS - FPR_GARBAGE));
    if (k == FPR_OVERSIZED && fp->oversized >= fp->oversized_max)
        k = FPR_GARBAGE;
    return k;
}

/* Answers one request, or leaves it unanswered (REP forgets it at the next receive). */
static void fp_answer(fp_t *fp, nng_msg *req)
{
    ff_t *f = &fp->ff;
    acd_buf_t *out = &fp->buf;
    fp_requester_t *r = fp_requester(fp, req);
    r->requests++;
    fp->requests++;
    fp_reply_t k = fp_pick_reply(fp, r);
    fp->replies[k]++;
    acd_buf_reset(out);
    switch (k) {
    case FPR_NONE:
        return;
    case FPR_OVERSIZED:
        fp_send_big(fp, fp->rep, NNG_FLAG_NONBLOCK);
        return;
    case FPR_GARBAGE:
        (void)ff_random(f, out, FP_RANDOM_MAX);
        break;
    case FPR_EMPTY:
        break;
    case FPR_VALID:
        (void)ff_snapshot(f, out, FF_SNAP_VALID);
        break;
    case FPR_SPOOFED:
        (void)ff_snapshot(f, out, FF_SNAP_SPOOFED);
        break;
    case FPR_PARTS:
        (void)ff_snapshot(f, out, FF_SNAP_PARTS);
        break;
    default:
        (void)ff_snapshot(f, out, FF_SNAP_FULL);
        if (k == FPR_TRUNCATED)
            ff_truncate(f, out);
        else
            ff_flip(f, out);
        break;
    }
    if (!ff_accepted(f, out)) {
        r->rejected++;
        fp->reply_rejected++;
    }
    fp_send(fp, fp->rep, out->p, out->n, NNG_FLAG_NONBLOCK);
}

static void fp_serve(fp_t *fp)
{
    nng_msg *m;
    while (nng_recvmsg(fp->rep, &m, NNG_FLAG_NONBLOCK) == 0) {
        fp_answer(fp, m);
        nng_msg_free(m);
    }
}

/* ---- set-up and report ---- */

/* Runs on nng's threads: touches the atomic counter only. */
static void fp_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    fp_t *fp = arg;
    (void)p;
    atomic_fetch_add(&fp->subs, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

static int fp_open(fp_t *fp)
{
    int rv = nng_pub0_open(&fp->pub);
    if (rv == 0)
        rv = nng_pipe_notify(fp->pub, NNG_PIPE_EV_ADD_POST, fp_pipe_cb, fp);
    if (rv == 0)
        rv = nng_pipe_notify(fp->pub, NNG_PIPE_EV_REM_POST, fp_pipe_cb, fp);
    if (rv == 0)
        rv = nng_listen(fp->pub, fp->events_url, NULL, 0);
    if (rv == 0)
        rv = nng_rep0_open(&fp->rep);
    if (rv == 0)
        rv = nng_listen(fp->rep, fp->requests_url, NULL, 0);
    if (rv != 0)
        fprintf(stderr, "fake_peer: cannot open %s / %s: %s\n", fp->events_url, fp->requests_url,
                nng_strerror(rv));
    return rv == 0 ? 0 : -EIO;
}

static long long fp_bound(const ff_ids_t *s)
{
    return s->overflow ? -1 : (long long)s->n;
}

static void fp_report(const fp_t *fp, const char *why, uint64_t elapsed_ms)
{
    const ff_t *f = &fp->ff;
    printf("{\"site\":\"%s\",\"seed\":%" PRIu64 ",\"stopped\":\"%s\",\"elapsed_ms\":%" PRIu64
           ",\"incarnation\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"frames\":%" PRIu64
           ",\"sent\":{",
           f->site, fp->seed, why, elapsed_ms, f->incarnation, f->seq, fp->log_total);
    for (int k = 0; k < FP_KINDS; k++)
        printf("%s\"%s\":%" PRIu64, k ? "," : "", fp_kind_names[k], fp->sent[k]);
    printf("},\"cases\":{");
    for (size_t i = 0; i < fp->n_cases; i++)
        printf("%s\"%s\":%" PRIu64, i ? "," : "", fp->cases[i].name, fp->cases[i].n);
    printf("},\"log_rejected\":%" PRIu64 ",\"accepted\":{", fp->log_rejected);
    const char *sep = "";
    for (unsigned c = 1; c < 32; c++) {
        Acd__V1__Envelope e = {.body_case = (Acd__V1__Envelope__BodyCase)c};
        if (!f->accepted[c])
            continue;
        printf("%s\"%s\":%" PRIu64, sep, acd_wire_body_name(&e), f->accepted[c]);
        sep = ",";
    }
    printf("},\"requests\":%" PRIu64 ",\"replies\":{", fp->requests);
    for (int k = 0; k < FPR_KINDS; k++)
        printf("%s\"%s\":%" PRIu64, k ? "," : "", fp_reply_names[k], fp->replies[k]);
    printf("},\"reply_rejected\":%" PRIu64 ",\"requesters\":{", fp->reply_rejected);
    for (size_t i = 0; i < fp->n_req; i++)
        printf("%s\"%s\":{\"requests\":%" PRIu64 ",\"rejected\":%" PRIu64 "}", i ? "," : "",
               fp->req[i].name, fp->req[i].requests, fp->req[i].rejected);
    printf("},\"entities\":{\"calls\":%lld,\"agents\":%lld,\"registrations\":%lld},"
           "\"oversized\":%" PRIu64 ",\"send_failed\":%" PRIu64 ",\"subscribers\":%d}\n",
           fp_bound(&f->calls), fp_bound(&f->agents), fp_bound(&f->regs), fp->oversized,
           fp->send_failed, atomic_load(&fp->subs));
    fflush(stdout);
}

/* ---- options ---- */

/* One --name VALUE option: a string, or a number in [min, max], stored at off in fp_t. */
typedef struct fp_opt {
    const char *name;
    size_t off;
    bool text;
    uint64_t min, max;
} fp_opt_t;

static const fp_opt_t fp_opts[] = {
    {"site", offsetof(fp_t, ff.site), true, 0, 0},
    {"events", offsetof(fp_t, events_url), true, 0, 0},
    {"requests", offsetof(fp_t, requests_url), true, 0, 0},
    {"only", offsetof(fp_t, only), true, 0, 0},
    {"frames", offsetof(fp_t, frames), false, 1, 1000000},
    {"seconds", offsetof(fp_t, seconds), false, 1, 600},
    {"rate", offsetof(fp_t, rate), false, 1, 1000},
    {"seed", offsetof(fp_t, seed), false, 1, UINT64_MAX},
    {"wait-subscribers", offsetof(fp_t, wait_subs), false, 0, 64},
    {"oversized", offsetof(fp_t, oversized_max), false, 0, 16},
    {"valid-every", offsetof(fp_t, valid_every), false, 0, 1000000},
    {"absurd-after", offsetof(fp_t, absurd_after), false, 0, 1000000},
    {"incarnation", offsetof(fp_t, ff.incarnation), false, 1, UINT64_MAX},
};

#define FP_N_OPTS (sizeof(fp_opts) / sizeof(fp_opts[0]))

static void fp_usage(void)
{
    fprintf(stderr, "usage: fake_peer --events URL --requests URL [--site NAME] [--spoof NAME]..."
                    " [--only KIND|CASE]");
    for (size_t i = 4; i < FP_N_OPTS; i++)
        fprintf(stderr, " [--%s N]", fp_opts[i].name);
    fprintf(stderr, "\n");
}

/* Only tcp:// on 127.0.0.0/8: the tool must never listen beyond this host. */
static bool fp_url_ok(const char *url)
{
    return url && strncmp(url, "tcp://127.", 10) == 0;
}

/* Sets only_kind and only_case from --only: a kind of the mix or a case name. */
static int fp_only(fp_t *fp, const char *name)
{
    bool absurd = false;
    for (int k = 0; k < FP_KINDS; k++)
        if (strcmp(name, fp_kind_names[k]) == 0) {
            fp->only_kind = k;
            return 0;
        }
    fp->only_case = ff_case_find(name, &absurd);
    fp->only_kind = absurd ? FP_ABSURD : FP_INVALID;
    return fp->only_case < 0 ? -EINVAL : 0;
}

static int fp_parse(fp_t *fp, int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val || strncmp(arg, "--", 2) != 0)
            return -EINVAL;
        if (strcmp(arg + 2, "spoof") == 0) {
            if (fp->ff.n_spoof == FF_SPOOF_MAX)
                return -EINVAL;
            fp->ff.spoof[fp->ff.n_spoof++] = val;
            continue;
        }
        const fp_opt_t *o = NULL;
        for (size_t k = 0; k < FP_N_OPTS && !o; k++)
            if (strcmp(arg + 2, fp_opts[k].name) == 0)
                o = &fp_opts[k];
        if (!o)
            return -EINVAL;
        if (o->text) {
            *(const char **)((char *)fp + o->off) = val;
            continue;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val, &end, 10);
        if (errno || *end || end == val || v < o->min || v > o->max)
            return -EINVAL;
        *(uint64_t *)((char *)fp + o->off) = v;
    }
    if (fp->only && fp_only(fp, fp->only) < 0)
        return -EINVAL;
    size_t n = strlen(fp->ff.site);
    if (!fp_url_ok(fp->events_url) || !fp_url_ok(fp->requests_url) || n == 0 || n > ACD_WIRE_ID_MAX)
        return -EINVAL;
    return 0;
}

int main(int argc, char **argv)
{
    static fp_t fp = {.ff.site = "z",
                      .frames = 2000,
                      .seconds = 30,
                      .rate = 200,
                      .oversized_max = 2,
                      .valid_every = 4,
                      .only_kind = -1,
                      .only_case = -1};
    fp.seed = fp_clock_ms(CLOCK_REALTIME);
    fp.ff.incarnation = fp.seed;
    if (fp_parse(&fp, argc, argv) < 0) {
        fp_usage();
        return 2;
    }
    fp.ff.rng = fp.seed;
    acd_log_init(stderr, ACD_LOG_WARN, fp.ff.site);
    struct sigaction sa = {.sa_handler = fp_on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Room for the largest oversized frame; only its first bytes are ever randomised. */
    fp.big = calloc(1, ACD_WIRE_FRAME_MAX + FP_OVERSIZE_EXTRA + 1);
    if (!fp.big || fp_open(&fp) < 0)
        return 1;
    fprintf(stderr, "fake_peer: site=%s events=%s requests=%s seed=%" PRIu64 " rate=%" PRIu64 "\n",
            fp.ff.site, fp.events_url, fp.requests_url, fp.seed, fp.rate);

    uint64_t t0 = fp_clock_ms(CLOCK_MONOTONIC), deadline = t0 + fp.seconds * 1000;
    while (!fp_stop && fp_clock_ms(CLOCK_MONOTONIC) < deadline &&
           (uint64_t)atomic_load(&fp.subs) < fp.wait_subs) {
        fp_serve(&fp);
        fp_sleep_ms(5);
    }
    fprintf(stderr, "fake_peer: flooding, %d subscriber(s)\n", atomic_load(&fp.subs));
    const char *why = "seconds";
    uint64_t interval_us = 1000000 / fp.rate, next_us = fp_clock_ms(CLOCK_MONOTONIC) * 1000;
    while (!fp_stop && fp_clock_ms(CLOCK_MONOTONIC) < deadline) {
        if (fp.log_total == fp.frames) {
            why = "frames";
            break;
        }
        fp_log_frame(&fp);
        next_us += interval_us;
        do {
            fp_serve(&fp);
            fp_sleep_ms(1);
        } while (!fp_stop && fp_clock_ms(CLOCK_MONOTONIC) * 1000 < next_us);
    }
    if (fp_stop)
        why = "signal";
    fp_report(&fp, why, fp_clock_ms(CLOCK_MONOTONIC) - t0);
    /*
     * The sockets are left to the process exit: nng 1.5.2's nng_close() on a REP socket
     * can hang while a frame arrives (docs/adr/0011), and the kernel closes them anyway.
     */
    acd_buf_fini(&fp.buf);
    free(fp.big);
    return 0;
}
