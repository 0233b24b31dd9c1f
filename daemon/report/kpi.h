/* kpi.h - contact-centre figures counted from the core's event stream, per queue and agent. */
#ifndef ACD_REPORT_KPI_H
#define ACD_REPORT_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acd/core.h"

/*
 * A KPI counter set watches what the core does (acd_kpi_observe: each applied event with
 * its actions, time passed in) and keeps, per queue, cumulative counters that only grow
 * (offered, answered, abandoned, waits, talk and wrap-up) and, per agent, the time spent
 * in each state. Everything a supervisor reads - service level, ASA, AHT, abandonment
 * rate, occupancy - is derived from those counters by the pure functions at the end,
 * so /metrics, the wallboard and tests compute them the same way. Definitions follow
 * docs/metrics.md (and ../shared/DOMAIN.md "Metrics"); the counting rules that make a
 * cluster-wide sum count every call once are in docs/adr/0025-kpi-counting.md:
 *
 *   offered    where the call entered its queue: a CALL_ARRIVE that the core accepted,
 *              and a queue-to-queue overflow into the queue it moved to. Not counted:
 *              adoptions (CALL_ADOPT: the dark site counted it), a redial or callback
 *              that takes back a failed call's place (restored_from), and calls with a
 *              delivery (ADR 0021: nobody on the line).
 *   answered   where the call was connected (ACD_ACT_CONNECT), with its wait then.
 *   abandoned  where the call's CDR says abandoned, with the CDR's wait.
 *   handled    where the call's CDR says answered (talk time), plus the wrap-up time
 *              this site's agents spend after calls of the queue (AHT).
 *   delivered  connects of calls with a delivery (callback, voicemail, outbound): left
 *              out of answered, ASA and service level.
 *
 * A queue's counters live as long as the counter set, also after the queue leaves the
 * configuration (Prometheus counters never go back). Queue names are unique across
 * tenants (as in the core). Nothing here does I/O or reads a clock; nothing is
 * thread-safe.
 */
typedef struct acd_kpi acd_kpi_t;

/* Abandon wait buckets: a wait w (ms) falls in the first bucket i with w <= bound_s[i] *
 * 1000 (10 s exactly is in the 10 s bucket); the last bucket (index ACD_KPI_BOUNDS) takes
 * everything longer (+Inf). */
#define ACD_KPI_BOUNDS 6
#define ACD_KPI_BUCKETS (ACD_KPI_BOUNDS + 1)
extern const int acd_kpi_bucket_bound_s[ACD_KPI_BOUNDS]; /* 10, 20, 30, 60, 90, 120 */

/* Agent states counted (the core's acd_agent_state_t, logged-out included). */
#define ACD_KPI_AGENT_STATES (ACD_AGENT_PAUSED + 1)

/* The arrival window: offered calls are also counted in per-minute slots over the last
 * ACD_KPI_WINDOW_MIN minutes, for the current arrival rate (Erlang C). */
#define ACD_KPI_WINDOW_MIN 30
#define ACD_KPI_WINDOW_MS ((int64_t)ACD_KPI_WINDOW_MIN * 60000)

/* Defaults of a queue's service level settings (config `service_level`). */
#define ACD_KPI_SL_THRESHOLD_MS 20000
#define ACD_KPI_SL_TARGET_PCT 80

/* Bounds of what a peer may report (acd_kpi_set_remote; the wire check uses them too). */
#define ACD_KPI_REMOTE_SITES_MAX 32
#define ACD_KPI_REMOTE_QUEUES_MAX 256
/* A peer's report older than this (ms) no longer adds its gauges (waiting, longest wait,
 * arrivals) to cluster sums: its waiting calls are a sister's after a takeover. Its
 * counters keep their last value. */
#define ACD_KPI_REMOTE_STALE_MS 5000

/* One queue's service level settings. Strings are copied. */
typedef struct acd_kpi_queue_cfg {
    const char *queue;
    const char *tenant;
    int sl_threshold_ms;  /* answered after waiting at most this counts as within; > 0 */
    int sl_target_pct;    /* the target share of calls within, 1..100 */
    int short_abandon_ms; /* abandons after waiting less than this are left out of the
                             service level (counted abandoned_short); 0: none left out */
} acd_kpi_queue_cfg_t;

/*
 * A queue's cumulative counters. Waits and times are sums in milliseconds; every field
 * only grows. Answered and abandoned are counted at different moments (connect, end),
 * so answered + abandoned <= offered holds only once the calls have ended.
 */
typedef struct acd_kpi_counts {
    uint64_t offered;         /* entered the queue here (rules above) */
    uint64_t answered;        /* connected to an agent here */
    uint64_t answered_in_sl;  /* of answered: waited <= the queue's threshold (at the time) */
    uint64_t abandoned;       /* the caller hung up while waiting or ringing (CDR here) */
    uint64_t abandoned_short; /* of abandoned: waited < the queue's short_abandon */
    uint64_t abandoned_bucket[ACD_KPI_BUCKETS]; /* by wait; not cumulative (see bounds) */
    uint64_t overflowed;      /* a queue rule sent the call away (to a queue or out) */
    uint64_t delivered;       /* connects of calls with a delivery (not in answered) */
    uint64_t handled;         /* answered calls that ended here (CDR answered) */
    uint64_t answer_wait_ms;  /* sum of the waits of answered calls (ASA) */
    uint64_t abandon_wait_ms; /* sum of the waits of abandoned calls */
    uint64_t talk_ms;         /* sum of the talk times of handled calls */
    uint64_t wrapup_ms;       /* wrap-up this site's agents spent after calls of the queue */
} acd_kpi_counts_t;

/*
 * One queue as read: its settings, counters, and what it is like now. For this site the
 * gauges are read from the core at now; for a peer they are what it last reported.
 * Strings are borrowed: valid until the next call that changes the counter set.
 */
typedef struct acd_kpi_queue {
    const char *queue;
    const char *tenant;
    int sl_threshold_ms;
    int sl_target_pct;
    int short_abandon_ms;
    acd_kpi_counts_t counts;
    uint64_t arrivals;       /* offered within the window */
    int64_t window_ms;       /* the span arrivals cover: the window, or less since counting began */
    uint32_t waiting;        /* calls queued, not ringing */
    int64_t longest_wait_ms; /* the oldest waiting call's wait (0: nobody waits) */
} acd_kpi_queue_t;

/* One agent as counted at this site. */
typedef struct acd_kpi_agent {
    const char *id;
    acd_agent_state_t state;                 /* as last seen in an AGENT_STATE action */
    acd_ms_t since;                          /* when it entered state */
    int64_t state_ms[ACD_KPI_AGENT_STATES];  /* time in each state, up to the read's now */
} acd_kpi_agent_t;

/* ---- lifecycle ---- */

/* Creates an empty counter set; time counts from the first observed event. Returns 0 or
 * -ENOMEM (*kp untouched). */
int acd_kpi_alloc(acd_kpi_t **kp);
void acd_kpi_free(acd_kpi_t *k);

/*
 * Sets the service level settings of the n queues in q (replacing all earlier ones;
 * queues not listed keep their counters and get the defaults). Threshold <= 0 or a
 * target outside 1..100, short_abandon < 0, a NULL or too long name, a duplicate:
 * -EINVAL, nothing changed. -ENOMEM: the settings are as they were (some listed queues
 * may have been added, with no counts and the defaults). A changed threshold applies to
 * calls answered from then on.
 */
int acd_kpi_configure(acd_kpi_t *k, const acd_kpi_queue_cfg_t *q, size_t n);

/*
 * Counts what ev did: the core (already holding the state ev left) answered rc and
 * produced acts (already carried out) at now. ev NULL or rc < 0 counts only acts (a
 * refused event has none). A queue or agent that cannot be allocated is not counted,
 * and the rest of the step still is. Returns 0, or -ENOMEM when something was left out
 * (the caller may log it).
 */
int acd_kpi_observe(acd_kpi_t *k, const acd_core_t *core, const acd_event_t *ev, int rc,
                    const acd_actions_t *acts, acd_ms_t now);

/* ---- reading this site's figures ---- */

/*
 * Calls cb for every queue counted here or configured, by name, with its gauges from
 * core at now (core NULL: gauges 0) and its arrivals over the window ending at now.
 * cb must not change k.
 */
void acd_kpi_foreach_queue(const acd_kpi_t *k, const acd_core_t *core, acd_ms_t now,
                           void (*cb)(void *ud, const acd_kpi_queue_t *q), void *ud);

/* One queue, as for foreach. Returns 0, or -ENOENT (never counted nor configured). */
int acd_kpi_queue(const acd_kpi_t *k, const acd_core_t *core, const char *queue, acd_ms_t now,
                  acd_kpi_queue_t *out);

/* Calls cb for every agent seen in an AGENT_STATE action, by id, with state_ms up to now
 * (the current state's time included). */
void acd_kpi_foreach_agent(const acd_kpi_t *k, acd_ms_t now,
                           void (*cb)(void *ud, const acd_kpi_agent_t *a), void *ud);

/* The sums over this site's agents up to now: handling (ringing, on a call, wrap-up) and
 * ready-idle (available) time, for the site's occupancy. Either pointer may be NULL. */
void acd_kpi_site_time(const acd_kpi_t *k, acd_ms_t now, int64_t *handling_ms, int64_t *idle_ms);

/* ---- peers (cluster-wide figures) ---- */

/* What a peer reports of itself (its Heartbeat's QueueKpi list and agent times). */
typedef struct acd_kpi_remote {
    const acd_kpi_queue_t *queues; /* gauges as the peer read them */
    size_t n_queues;
    int64_t handling_ms; /* the peer's acd_kpi_site_time() */
    int64_t idle_ms;
} acd_kpi_remote_t;

/*
 * Holds site's report r, received at now, in place of its previous one (everything is
 * copied). A site that goes dark keeps its last report: its counters stay in the sums,
 * its gauges drop out after ACD_KPI_REMOTE_STALE_MS. Returns 0; -EINVAL (site NULL or
 * empty, a queue without a name, more than ACD_KPI_REMOTE_QUEUES_MAX queues, a negative
 * time, a target outside 0..100, a new site beyond ACD_KPI_REMOTE_SITES_MAX); -ENOMEM.
 * Nothing changes on error.
 */
int acd_kpi_set_remote(acd_kpi_t *k, const char *site, const acd_kpi_remote_t *r, acd_ms_t now);

/* One peer as held: its name, when its report came, and the report (borrowed). */
typedef struct acd_kpi_site {
    const char *site;
    acd_ms_t at;
    const acd_kpi_remote_t *report;
} acd_kpi_site_t;

/* Calls cb for every peer holding a report, by name. */
void acd_kpi_foreach_site(const acd_kpi_t *k, void (*cb)(void *ud, const acd_kpi_site_t *s),
                          void *ud);

/*
 * Calls cb for every queue known here or at any peer, by name, with the cluster-wide
 * sums at now: counters and arrivals added over this site and every peer; waiting added
 * and longest wait the largest over this site (from core) and the peers whose report is
 * fresh; window_ms the largest; settings and tenant this site's when it knows the queue,
 * else the first peer's by name.
 */
void acd_kpi_foreach_cluster_queue(const acd_kpi_t *k, const acd_core_t *core, acd_ms_t now,
                                   void (*cb)(void *ud, const acd_kpi_queue_t *q), void *ud);

/* The cluster-wide agent times: this site's plus every peer's last report. */
void acd_kpi_cluster_time(const acd_kpi_t *k, acd_ms_t now, int64_t *handling_ms,
                          int64_t *idle_ms);

/* ---- derived figures (pure) ---- */

/* A queue's figures; a ratio or mean without any call behind it is NAN. */
typedef struct acd_kpi_figures {
    double service_level; /* answered_in_sl / (answered + abandoned - abandoned_short) */
    double sl_target;     /* sl_target_pct / 100 */
    double asa_s;         /* answer_wait / answered, seconds */
    double aht_s;         /* (talk + wrap-up) / handled, seconds */
    double abandon_rate;  /* abandoned / offered */
    double arrival_rate;  /* arrivals / window, calls per second (NAN: window 0) */
} acd_kpi_figures_t;

void acd_kpi_figures(const acd_kpi_queue_t *q, acd_kpi_figures_t *f);

/* handling / (handling + idle); NAN when both are 0. Pauses are in neither. */
double acd_kpi_occupancy(int64_t handling_ms, int64_t idle_ms);

/* An agent's handling (ringing + on-call + wrap-up) and ready-idle (available) time. */
void acd_kpi_agent_time(const acd_kpi_agent_t *a, int64_t *handling_ms, int64_t *idle_ms);

/* Adds b's counters into a (cluster sums). */
void acd_kpi_counts_add(acd_kpi_counts_t *a, const acd_kpi_counts_t *b);

#endif
