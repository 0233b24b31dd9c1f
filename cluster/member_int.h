/* member_int.h - internals shared by the member's files: the member, its published records. */
#ifndef ACD_CLUSTER_MEMBER_INT_H
#define ACD_CLUSTER_MEMBER_INT_H

#include "cluster/etcd.h"
#include "cluster/link.h"
#include "cluster/member.h"
#include "cluster/member_doc.h"
#include "cluster/planner.h"
#include "cluster/replica.h"
#include "cluster/wire.h"
#include "util/hmap.h"

/* Heartbeats (and the checks riding on them) this often. */
#define MEMBER_HEARTBEAT_MS 500
/* A snapshot request unanswered this long is made again. */
#define MEMBER_RESYNC_TIMEOUT_MS 3000
/* An offer not answered (accepted and visibly taken, or rejected) this long is lost. */
#define MEMBER_OFFER_TIMEOUT_MS 3000
/* Retry delay for lease grants and campaigns that failed. */
#define MEMBER_RETRY_MS 500

typedef enum member_lease_state {
    MEMBER_LEASE_GRANTING, /* asked for, not granted yet */
    MEMBER_LEASE_HELD,
    MEMBER_LEASE_LOST,     /* lost; a new keeper is retried */
} member_lease_state_t;

/* The last CallEvent kind published for one of this site's calls. */
typedef struct member_call_rec {
    acd_hmap_node_t node;
    char id[ACD_ID_MAX];
    Acd__V1__CallKind kind;
    char agent[ACD_ID_MAX];        /* OFFERED/CONNECTED: the agent; REQUEUED: who missed */
    char reason[ACD_REASON_MAX];   /* REQUEUED */
    char delivery[16];             /* as last published (a detach republishes the call) */
    bool dirty;
} member_call_rec_t;

/* The last AgentEvent published for one of this site's agents. */
typedef struct member_agent_rec {
    acd_hmap_node_t node;
    char id[ACD_ID_MAX];
    acd_agent_state_t state;
    acd_ms_t state_since;
    char call_id[ACD_ID_MAX];
    unsigned missed, handled;
    bool published;
    bool dirty;
} member_agent_rec_t;

/* The last QueueEvent published for a queue. */
typedef struct member_queue_rec {
    acd_hmap_node_t node;
    char name[ACD_ID_MAX];
    acd_queue_view_t v; /* counts only; strings are not kept */
} member_queue_rec_t;

/* An offer the leader made and has not seen settled. */
typedef struct member_offer {
    char offer_id[ACD_ID_MAX];
    char call_id[ACD_ID_MAX];
    char agent_id[ACD_ID_MAX];
    acd_ms_t deadline;
    bool accepted;
} member_offer_t;

/* Sisters a site key may name (cluster.sisters). */
#define MEMBER_SISTERS_MAX 8

/* A site's liveness key as last seen in etcd. */
typedef struct member_site {
    char name[ACD_ID_MAX];
    bool live;
    uint64_t incarnation;                          /* from the key's value */
    char sisters[MEMBER_SISTERS_MAX][ACD_ID_MAX]; /* its takeover order */
    size_t n_sisters;
    char sip[80];                                  /* its SIP layer (UDP) "host:port"; "": none */
    int64_t lease;        /* its key's lease */
    int64_t fenced_lease; /* the lease this leader revoked (silent too long), once */
} member_site_t;

/* A takeover decided (or learned): (dark, incarnation) is taken over once. */
typedef struct member_takeover {
    char dark[ACD_ID_MAX];
    uint64_t incarnation;
    char sister[ACD_ID_MAX];
    uint64_t epoch;
    uint64_t episode; /* the decision record's etcd revision (0: not known) */
    bool ended;       /* the dark site came back since: a new takeover may follow */
    unsigned adopted; /* calls this site adopted for it */
} member_takeover_t;

struct acd_member {
    uv_loop_t *loop;
    const acd_config_t *cfg;
    acd_member_ops_t ops;
    void *ud;
    char site[ACD_ID_MAX];
    char prefix[160];
    char leader_name[200]; /* etcd election name: <prefix>/leader */
    uint64_t incarnation;
    uint64_t seq;          /* the last seq published on our log */
    int64_t lease_ttl_s;

    acd_etcd_t *etcd;
    acd_etcd_keeper_t *keeper;
    member_lease_state_t lease_state;
    int64_t lease;
    acd_ms_t no_lease_since; /* start-up or loss: island after the TTL */
    acd_etcd_campaign_t *campaign;
    acd_etcd_observe_t *observe;
    acd_etcd_watch_t *sites_watch;
    acd_etcd_watch_t *config_watch;
    int64_t config_rev;    /* mod_revision of the shared config applied */
    acd__member_doc_t tstate;        /* tenants' live state (member_tstate.c) */
    struct lead_cursors *rr_cursors; /* member_lead.c: round-robin cursors while leading */
    acd__member_doc_t drill;         /* the drill key (member_drill.c) */

    bool island;
    bool is_leader;
    uint64_t my_epoch;     /* while leading */
    char leader[ACD_ID_MAX];
    uint64_t leader_epoch;

    member_site_t *sites;  /* liveness keys seen */
    size_t n_sites, cap_sites;
    bool sites_known;      /* the first range answered */

    acd_link_t *link;
    acd_replica_t *replica;
    uv_timer_t hb_timer;
    uv_timer_t plan_timer;
    uv_timer_t retry_timer;
    bool plan_scheduled;

    acd_hmap_t calls;      /* member_call_rec_t by id */
    acd_hmap_t agents;     /* member_agent_rec_t by id */
    acd_hmap_t queues;     /* member_queue_rec_t by name */
    bool facts_dirty;

    member_takeover_t *takeovers; /* decided or learned, oldest first */
    size_t n_takeovers, cap_takeovers;
    bool lease_lost_once;         /* a lease was lost since start: check our own takeover */
    int64_t own_takeover_rev;     /* etcd revision of our takeover record, once applied */
    bool own_check_pending;       /* check our takeover record once our key is back */
    bool own_check_retry;         /* that check failed: the heartbeat tick asks again */
    bool takeover_inflight;       /* the leader's conditional takeover write is in flight */
    /* CDRs held by call control while a takeover of this site is possible: */
    bool verdict_pending;         /* the lease was lost: were we taken over? not known yet */
    acd_ms_t lease_lost_at;       /* when a held lease was last lost */
    acd_ms_t lease_held_since;    /* when the lease held now was granted */
    bool silence_seen;            /* ...and the leader did not hear us meanwhile */
    acd_ms_t exposed_before;      /* then: calls begun by this time may be the sister's */
    bool dispatch_deferred;       /* island, but local dispatch waits for the verdict */
    acd_ms_t dispatch_deferred_until;
    bool cdr_held;
    bool cdr_hold_lease_lost;     /* the lease was lost meanwhile: etcd's record decides */
    acd_ms_t cdr_hold_since;

    member_offer_t *offers; /* the leader's unsettled offers */
    size_t n_offers, cap_offers;
    uint64_t next_offer;
    uint64_t offers_made, offers_accepted, offers_rejected, offers_expired;

    acd_buf_t enc;         /* scratch for encodes */
    bool closing;
    int open;              /* parts still closing */
    void (*close_cb)(void *ud);
    void *close_ud;
};

/* member.c */
acd_ms_t acd__member_now(void);
/* member_tstate.c */
void acd__member_tstate_start(acd_member_t *m);
void acd__member_tstate_stop(acd_member_t *m);
/* member_drill.c */
void acd__member_drill_start(acd_member_t *m);
void acd__member_drill_stop(acd_member_t *m);
/* A peer's applied event: its abandons and its agents' logins reach this site's core. */
void acd__member_remote_facts(acd_member_t *m, const Acd__V1__Envelope *env);
/* Recounts every queue's logged-in members at other live sites for the core. */
void acd__member_remote_members(acd_member_t *m);
bool acd__member_site_live(const acd_member_t *m, const char *site);

/* member_pub.c: facts and decisions out, envelopes in */
void acd__member_envelope_init(acd_member_t *m, Acd__V1__Envelope *env);
int acd__member_publish(acd_member_t *m, Acd__V1__Envelope *env);
void acd__member_heartbeat(acd_member_t *m);
/* The RegistrationEvent of binding b (aor is its buffer, size aor_len); re borrows b's strings. */
void acd__member_registration_event(acd_member_t *m, const acd_member_binding_t *b, bool removed,
                                    Acd__V1__RegistrationEvent *re, char *aor, size_t aor_len);
/* Fills de from d; de borrows d's strings (routes into the caller's array of size n). */
void acd__member_dialog_event(const acd_member_dialog_t *d, Acd__V1__DialogEvent *de, char **routes,
                              size_t n);
void acd__member_decide(acd_member_t *m, const char *origin, const Acd__V1__Envelope *env);
void acd__member_on_envelope(void *ud, const char *peer, const Acd__V1__Envelope *env);
int acd__member_on_request(void *ud, const char *peer, const Acd__V1__Envelope *req,
                           acd_buf_t *reply);
void acd__member_resync_retry(acd_member_t *m);
void acd__member_records_fini(acd_member_t *m);
const member_call_rec_t *acd__member_call_rec(const acd_member_t *m, const char *id);

/* member_kpi.c: the site's KPI counters (report/kpi.h) in its heartbeats, the peers' in */
typedef struct acd__member_kpi_out {
    struct member_kpi_slot *slots; /* what hb->queue_kpi points at */
    Acd__V1__QueueKpi **ptrs;
    size_t n, cap;
} acd__member_kpi_out_t;
/* Adds the counters from ops.kpi (if any) to hb; hb borrows out and the counters' strings
 * until out is finished or the counters change. */
void acd__member_kpi_fill(acd_member_t *m, Acd__V1__Heartbeat *hb, acd__member_kpi_out_t *out);
void acd__member_kpi_out_fini(acd__member_kpi_out_t *out);
/* The replica's heartbeat hook (ud the member): hands origin's counters to ops.kpi. */
void acd__member_kpi_heard(void *ud, const char *origin, const Acd__V1__Heartbeat *h);

/* member_lead.c: the leader's planning */
void acd__member_schedule_plan(acd_member_t *m);
/* Stops planning and drops this leader's unsettled offers (no-op unless leading). */
void acd__member_stop_leading(acd_member_t *m, const char *why);
void acd__member_plan_cb(uv_timer_t *h);
void acd__member_offer_answered(acd_member_t *m, const char *offer_id, bool accepted);
void acd__member_offers_expire(acd_member_t *m, acd_ms_t now);
void acd__member_offers_clear(acd_member_t *m);

/* member_takeover.c: a dark site's calls handed to its sister (ADR 0014) */
void acd__member_takeover_check(acd_member_t *m);
/* site's liveness key is back: its takeovers so far are over. */
void acd__member_takeover_site_back(acd_member_t *m, const char *site);
/* Every site, each heartbeat tick: revokes the lease of a peer silent for a TTL. */
void acd__member_fence_check(acd_member_t *m);
void acd__member_on_takeover(acd_member_t *m, const Acd__V1__Takeover *t);
void acd__member_own_takeover(acd_member_t *m);
/* The lease was lost: if no peer is heard either, calls begun until then may be taken
 * over (silence_seen, exposed_before). */
void acd__member_note_silence(acd_member_t *m);
/* The heartbeat tick: settles held CDRs once the peers hear us again with our lease kept. */
void acd__member_cdr_tick(acd_member_t *m);
void acd__member_reconcile_held(acd_member_t *m);
void acd__member_takeovers_fini(acd_member_t *m);
void acd__member_takeovers_status(const acd_member_t *m, struct json_object *cluster);

#endif
