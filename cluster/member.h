/* member.h - this site as a cluster member: lease, leadership, replication and offers. */
#ifndef ACD_CLUSTER_MEMBER_H
#define ACD_CLUSTER_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "acd/core.h"
#include "config/config.h"
#include "report/kpi.h"

struct json_object;

/*
 * A member joins one site to its cluster (docs/adr/0011, 0012). It holds the site's etcd
 * lease and its liveness key `<prefix>/sites/<name>`, campaigns for leadership of
 * `<prefix>/leader` and observes who leads (the leader's election revision is the
 * epoch), watches the shared config at `<prefix>/config`, publishes every fact the site
 * owns on its nng event log, keeps a replica of every peer's log, answers snapshot
 * requests, and routes the leader's decisions to the site's core:
 *
 *   - an Offer naming one of this site's agents becomes REMOTE_RESERVE, and the core's
 *     answer (OFFER_ACCEPT / OFFER_REJECT) goes out as OfferAccept / OfferReject;
 *   - an OfferAccept for one of this site's calls becomes REMOTE_ACCEPTED, and the
 *     call is rung on the agent's phone through its replicated registration;
 *   - what becomes of a remote agent (REMOTE_AGENT, REMOTE_RELEASE) goes out as a
 *     RemoteUpdate and reaches the agent's owner as REMOTE_CALL_UPDATE; an agent that
 *     leaves while reserved for another site's call is WITHDRAWN from that call.
 *
 * While this site leads it plans (cluster/planner.h) over its own core and its
 * replicas and publishes Offers stamped with its epoch. Decisions this site publishes
 * are also applied here at once (it receives no copy of its own log).
 *
 * Island mode: without a lease for longer than the lease TTL (at start-up, or after
 * the keeper reports the lease lost) the site takes no offers (OfferReject ISLAND),
 * stops leading, and turns the core's local dispatch on; when a lease is granted again
 * it turns local dispatch off and rejoins. The core never double-books in either mode.
 *
 * Everything runs on the loop thread. Nothing calls back into the member from inside
 * its own callbacks except through ops.feed, which call control queues.
 */
typedef struct acd_member acd_member_t;

/* One registration binding of this site (a phone registered here). */
typedef struct acd_member_binding {
    const char *user;     /* the AOR's user part */
    const char *contact;  /* the Contact URI */
    const char *source;   /* where the REGISTER came from: "ip:port" */
    const char *agent_id; /* "" when the user is not an agent */
    bool tcp;             /* it registered over TCP */
    int64_t expires_ms;   /* wall clock */
} acd_member_binding_t;

/*
 * One leg's SIP dialog of a call this site owns, as call control holds it: what a sister
 * site needs to send in-dialog requests on it after this site is gone (DialogEvent in
 * proto/acd/v1/events.proto). Strings are NUL-terminated and "" when absent.
 */
typedef struct acd_member_dialog {
    const char *call_id;  /* the ACD call */
    bool agent_leg;       /* false: the caller's (carrier) leg */
    bool terminated;      /* the leg ended: peers drop it */
    bool confirmed;       /* ACK exchanged (else early) */
    const char *sip_call_id, *local_tag, *remote_tag;
    const char *local_uri, *remote_uri, *remote_target, *local_contact;
    const char *const *routes;
    size_t n_routes;
    uint32_t local_cseq, remote_cseq;
    const char *peer; /* "ip:port" in-dialog requests go to */
    bool tcp;
    const char *local_sdp, *remote_sdp; /* the SDP acdd last sent, and the party's */
} acd_member_dialog_t;

/* The offer id a call adopted in a takeover quotes: this prefix, the dark site, the epoch. */
#define ACD_MEMBER_TAKEOVER_OFFER "takeover-"

/*
 * One call of a dark site handed to this site by the leader's Takeover (ADR 0014), with
 * what its owner last published of it. Strings are valid during the call only.
 */
typedef struct acd_member_adopt {
    const char *from_site; /* the dark site */
    const char *offer_id;  /* ACD_MEMBER_TAKEOVER_OFFER...: what the call quotes from now */
    const char *call_id, *tenant, *did, *caller, *queue;
    int priority;
    int64_t enqueue_ms; /* its original place */
    int64_t answer_ms;  /* connected: when its agent answered; else 0 */
    int offers;
    const char *agent_id;   /* connected: its agent; else "" */
    const char *agent_site; /* connected: that agent's owner */
    const acd_member_dialog_t *caller_leg; /* the carrier's dialog; NULL with a delivery */
    const char *delivery; /* "" or NULL: a caller on the line; else ADR 0021's kind */
    const char *message;  /* delivery "voicemail": the message file at the dark site */
    const acd_member_dialog_t *agent_leg;  /* connected: the agent phone's dialog; else NULL */
} acd_member_adopt_t;

/* The site's anycast address as its heartbeats tell the peers (acd_member_ops_t.anycast). */
typedef struct acd_member_anycast {
    bool configured; /* the site has an `anycast:` section; else the rest stays zero */
    bool announced;  /* the address is on its interface now */
    char address[64];
    char why[128]; /* the status document's anycast.why */
} acd_member_anycast_t;

/* What the member needs from its site (call control). Called on the loop thread. */
typedef struct acd_member_ops {
    /* Applies ev to the site's core and carries out the actions (queued if busy). */
    void (*feed)(void *ud, const acd_event_t *ev);
    /* Turns the core's local dispatch on or off and carries out what that causes. */
    void (*set_local_dispatch)(void *ud, bool on);
    /* The site's core, read-only. */
    const acd_core_t *(*core)(void *ud);
    /* Calls cb for every registration binding the site holds. */
    void (*foreach_binding)(void *ud, void (*cb)(void *cbud, const acd_member_binding_t *b),
                            void *cbud);
    /* Calls cb for every dialog of the site's calls (for snapshots). */
    void (*foreach_dialog)(void *ud, void (*cb)(void *cbud, const acd_member_dialog_t *d),
                           void *cbud);
    /* The shared config stored in etcd appeared or changed (text, len); may be NULL. */
    void (*shared_config)(void *ud, const char *text, size_t len);
    /* A tenant's live state (override, instructions: a JSON document call control wrote
     * with acd_member_tenant_state_put) appeared or changed at any site; text NULL: it
     * was cleared. May be NULL. */
    void (*tenant_state)(void *ud, const char *tenant, const char *text, size_t len);
    /* The drill under way (a JSON document call control wrote with acd_member_drill_put)
     * appeared or changed; text NULL: none runs. May be NULL. */
    void (*drill)(void *ud, const char *text, size_t len);
    /* queue's members logged in at other live sites are now n (join/leave_empty and the
     * expected wait count them). May be NULL. */
    void (*remote_members)(void *ud, const char *queue, unsigned n);
    /* True while the site drains (takes no new work). */
    bool (*draining)(void *ud);
    /* Takes a dark site's call over (the caller's media to this site when it waits; the
     * in-dialog requests of both legs when it is connected). Returns 0 or an error. */
    int (*adopt)(void *ud, const acd_member_adopt_t *a);
    /* This site's own run was declared dark and taken over while it was cut off: its
     * calls that began by exposed_before_ms (the peers knew them; 0: all) belong to the
     * sister now; drop them without a word or a CDR. */
    void (*abandon_calls)(void *ud, const char *sister, int64_t exposed_before_ms);
    /* The CDRs held since acd_member_cdr_hold() said so are settled: sister NULL, this
     * site was not taken over (write them all); else it was, by sister (drop those of
     * the calls the peers knew, write the rest). */
    void (*cdr_release)(void *ud, const char *sister);
    /* The site's KPI counters: read for every heartbeat (its QueueKpi list), and given
     * each peer's as they arrive (acd_kpi_set_remote). May be NULL, or answer NULL. */
    acd_kpi_t *(*kpi)(void *ud);
    /* The site's anycast address now, read for every heartbeat: fills out (zeroed by the
     * member: left so, the site has none). May be NULL. */
    void (*anycast)(void *ud, acd_member_anycast_t *out);
} acd_member_ops_t;

/*
 * Joins the cluster that cfg's `cluster:` section describes (cfg->cluster must be set):
 * binds the site's links, starts its etcd client and lease keeper. cfg must stay valid
 * until acd_member_set_config() or close; ops is copied. incarnation (> 0) must exceed
 * any this site used before (its start time in ms). The core's local dispatch should
 * be off before this call. Returns 0, -EINVAL, ACD_ECONFIG, a link or etcd error
 * (already logged), -ENOMEM.
 */
int acd_member_alloc(acd_member_t **mp, uv_loop_t *loop, const acd_config_t *cfg,
                     const acd_member_ops_t *ops, void *ud, uint64_t incarnation);

/*
 * Whether a CDR of a call that began at call_start_ms must be held now instead of
 * written: no live peer hears this site, so its peers may declare it dark and a sister
 * may adopt the call whose end they never heard (ADR 0014). *exposed: the peers knew
 * the call (it began before they last heard us). The member calls ops.cdr_release once
 * it knows whether this site was taken over.
 */
bool acd_member_cdr_hold(acd_member_t *m, int64_t call_start_ms, bool *exposed);

/*
 * Whether this site's call that began at call_start_ms may be being taken over: a peer
 * knew the call (it began before a peer was last heard), and this site does not lead and
 * does not hear the leader, or lost its lease while so and has not yet read whether it
 * was taken over. In-dialog requests for the call then wait (callctl's park.c).
 */
bool acd_member_takeover_doubt(acd_member_t *m, int64_t call_start_ms);

/*
 * The call of view v was handed over to a sister (this site was taken over): peers that
 * took it from a snapshot made before this site knew drop it (an ENDED fact; no CDR
 * comes from it). Call before the core forgets the call.
 */
void acd_member_call_withdrawn(acd_member_t *m, const acd_call_view_t *v);

/* How long ago the lease this site held was lost (ms); 0 while it holds one. */
int64_t acd_member_lease_lost_ms(const acd_member_t *m);

/* Whether peers are heard and every one of them is an island (etcd lost everywhere). */
bool acd_member_cluster_adrift(const acd_member_t *m);

/* The site's configuration changed (reload): memberships for planning come from it. */
void acd_member_set_config(acd_member_t *m, const acd_config_t *cfg);

/* Agents logged in at other live sites who are members of queue (from the replica). */
unsigned acd_member_queue_logged_in(const acd_member_t *m, const char *queue);

/*
 * Stores tenant's live state (text, len: a JSON document; text NULL clears it) in etcd,
 * from where every site's ops.tenant_state gets it, this one's included. cb (may be
 * NULL) gets 0 or the etcd error once etcd answered. Returns 0, -EINVAL, -ENOMEM.
 */
int acd_member_tenant_state_put(acd_member_t *m, const char *tenant, const char *text, size_t len,
                                void (*cb)(void *ud, int err), void *ud);

/*
 * Stores the drill under way (text, len: a JSON document; text NULL: none) in etcd at
 * <prefix>/drill, from where every site's ops.drill gets it, this one's included. cb
 * (may be NULL) gets 0 or the etcd error once etcd answered. Returns 0, -EINVAL (no
 * etcd, closing), -ENOMEM.
 */
int acd_member_drill_put(acd_member_t *m, const char *text, size_t len,
                         void (*cb)(void *ud, int err), void *ud);

/*
 * Calls cb with every agent other sites own, as this site's replicas hold them (site:
 * the owner; the view's strings live during the call only). Nothing when m is NULL.
 */
void acd_member_foreach_peer_agent(const acd_member_t *m,
                                   void (*cb)(void *ud, const char *site, const acd_agent_view_t *v),
                                   void *ud);

/*
 * Call control reports every core step: ev (NULL for a step without an event, such as
 * a configure) was applied and produced acts, which were carried out. Decisions among
 * acts are published at once; facts are collected and published by acd_member_flush().
 */
void acd_member_applied(acd_member_t *m, const acd_event_t *ev, const acd_actions_t *acts);

/* Publishes the facts collected since the last flush (end of a batch of core steps). */
void acd_member_flush(acd_member_t *m);

/* A registration of this site appeared, was refreshed (removed false) or went away. */
void acd_member_registration(acd_member_t *m, const acd_member_binding_t *b, bool removed);

/* A dialog of one of this site's calls was set up, changed (CSeq, target, SDP) or ended. */
void acd_member_dialog(acd_member_t *m, const acd_member_dialog_t *d);

/*
 * The replicated binding of user at site (an agent registered there). *out borrows the
 * replica's strings: use them before the member next runs. Returns 0 or -ENOENT.
 */
int acd_member_contact(const acd_member_t *m, const char *site, const char *user,
                       acd_member_binding_t *out);

/* The site that owns a dialog, from this site's replica of it (the in-dialog relay). */
typedef struct acd_member_dialog_owner {
    const char *site;    /* the owner */
    const char *sip;     /* "host:port" (or "[v6]:port") its SIP layer takes UDP on */
    const char *call_id; /* the ACD call */
    bool agent_leg;      /* false: the caller's (carrier) leg */
} acd_member_dialog_owner_t;

/*
 * The owner of the dialog with SIP Call-ID sip_call_id, local_tag (acdd's tag: the To
 * tag of the party's requests) and remote_tag (the party's: their From tag), among the
 * peers that are live (their key in etcd), synced, and publish a SIP address in their
 * key. *out borrows the member's and the replica's strings: use them before the member
 * next runs. Returns 0, -EINVAL, -ENOENT.
 */
int acd_member_dialog_owner(const acd_member_t *m, const char *sip_call_id, const char *local_tag,
                            const char *remote_tag, acd_member_dialog_owner_t *out);

/*
 * Whether the dialog (as for acd_member_dialog_owner) is a peer's that has been silent
 * for a few heartbeats and not yet taken over: its requests wait for the takeover
 * (callctl's park.c). owner (size len) gets the peer's name.
 */
bool acd_member_dialog_owner_silent(const acd_member_t *m, const char *sip_call_id,
                                    const char *local_tag, const char *remote_tag, char *owner,
                                    size_t len);

/* True while the site is in island mode. */
bool acd_member_island(const acd_member_t *m);

/* Adds the "cluster" object (docs/api.md) to status, a JSON object. */
void acd_member_status(acd_member_t *m, struct json_object *status);

/*
 * Leaves the cluster: resigns leadership, revokes the lease (best effort), closes the
 * links and the etcd client; cb (may be NULL) runs once everything is released.
 */
void acd_member_close(acd_member_t *m, void (*cb)(void *ud), void *ud);

#endif
