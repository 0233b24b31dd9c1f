/* callctl_int.h - private structures of call control (calls, legs) shared by its files. */
#ifndef ACD_CALLCTL_CALLCTL_INT_H
#define ACD_CALLCTL_CALLCTL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "acd/core.h"
#include "acd/ivr.h"
#include "acd/schedule.h"
#include "api/admin.h"
#include "callctl/callctl.h"
#include "cluster/member.h"
#include "media/dtmf.h"
#include "media/media.h"
#include "media/say.h"
#include "report/cdr.h"
#include "report/kpi.h"
#include "report/queue_log.h"
#include "sip/dialog.h"
#include "sip/divert.h"
#include "sip/registrar.h"
#include "sip/sdp.h"
#include "sip/txn.h"
#include "sip/transport.h"
#include "util/buf.h"
#include "util/hmap.h"

typedef struct call call_t;

/* Where a call outside the queue is (stage.c); STAGE_NONE: in the core, or plain. */
typedef enum call_stage {
    STAGE_NONE,
    STAGE_GREETING,     /* the script's greeting, then its first target */
    STAGE_MENU,         /* an IVR menu: prompts, then waiting for a digit */
    STAGE_HOURS,        /* the hours announcement, "press 9 for a message" */
    STAGE_GOODBYE,      /* the last words, then BYE */
    STAGE_VM_PROMPT,    /* the tenant's promise and the beep */
    STAGE_VM_RECORDING, /* recording the message */
    STAGE_VM_DONE,      /* "thank you", then BYE */
    STAGE_ONCALL,       /* ringing or bridged to the person on call */
    STAGE_DETACHING,    /* virtual hold: "we will call you back", then BYE; stays queued */
} call_stage_t;

typedef enum leg_role {
    LEG_CALLER, /* the carrier's INVITE: we are the UAS */
    LEG_AGENT,  /* our INVITE to an agent phone: we are the UAC */
} leg_role_t;

typedef enum leg_state {
    LEG_RINGING,    /* caller: INVITE received, not answered; agent: INVITE sent */
    LEG_ANSWERED,   /* caller: 200 sent, ACK awaited; agent: 200 received, ACK not sent */
    LEG_CONFIRMED,  /* ACK exchanged: in dialog */
    LEG_CANCELLING, /* agent: CANCEL sent, final awaited */
    LEG_ENDED,      /* BYE sent or received */
} leg_state_t;

typedef struct leg {
    acd_callctl_t *cc;           /* the site (agent legs may outlive their call) */
    call_t *call;
    leg_role_t role;
    leg_state_t state;
    acd_sip_dialog_t dlg;
    bool has_dialog;
    acd_hmap_node_t node;        /* in cc->legs by key while in a dialog */
    char key[ACD_SIP_DIALOG_STR + 80];
    acd_sip_txn_t *ist;          /* caller: the INVITE server transaction until final */
    acd_sip_txn_t *ict;          /* our INVITE (agent offer, or re-INVITE to the caller) */
    acd_sdp_t remote_sdp;        /* the party's media */
    bool has_remote_sdp;
    uint64_t sess_id, sess_ver;  /* our o= toward this party */
    acd_buf_t local_sdp;         /* the last SDP we sent this party */
    acd_buf_t remote_sdp_text;   /* the last SDP this party sent, as text (replicated) */
    char agent_id[ACD_ID_MAX];
    uint32_t invite_cseq;        /* agent: the CSeq of our INVITE (for its ACK) */
} leg_t;

struct call {
    acd_callctl_t *cc;           /* the site that owns the call */
    acd_hmap_node_t node;        /* in cc->calls by id */
    char id[ACD_ID_MAX];
    char tenant[ACD_ID_MAX];
    char lang[8];
    char did[ACD_ID_MAX];
    char caller_num[ACD_ID_MAX];
    leg_t caller;
    leg_t *agent;                /* the agent leg being offered or connected */
    acd_media_stream_t *media;
    acd_codec_t codec;
    int te_pt;
    uv_timer_t answer_timer;     /* answer_after ringing delay */
    bool in_core;                /* the core knows this call */
    bool bridge_pending;         /* CONNECT arrived before the caller's ACK */
    bool bridged;
    bool ended;                  /* END_CALL/CDR done: free when legs are quiet */
    bool handed_over;            /* abandoned to a sister: late BYEs are the sister's */
    bool bridge_deferred;        /* its agent answered while this site was in doubt (park.c) */
    acd_hmap_node_t ring_node;   /* in cc->ringing by Call-ID|From-tag until answered */
    char ring_key[ACD_SIP_DIALOG_STR + 80];
    /* callback.c: our call to a caller whose takeover failed (ADR 0019); the caller leg is
     * then our INVITE (we are its UAC) */
    int callback_attempt;         /* > 0: that attempt rings, the core does not know the call */
    bool callback_cancelled;      /* the core let go of the attempt: an answer gets BYE */
    char callback_of[ACD_ID_MAX]; /* the failed call whose caller it calls */
    /* script.c, stage.c (ADR 0020): how the call came and what it hears outside the queue */
    acd_mode_t mode;              /* the tenant's mode when the call came */
    bool mode_open;               /* a person could take it then */
    acd_divert_t fwd;             /* why it was forwarded to us */
    char greeting[32];            /* the script's greeting prompt */
    char then[80];                /* the script's first target */
    call_stage_t stage;
    void (*stage_ended)(void *ud); /* overrides the stage's next step once (stage.c) */
    acd_ivr_session_t ivr;
    int menu_timeout_ms;
    int64_t arrived_ms;
    bool cdr_done;                /* a CDR of call control's own was written */
    int64_t last_announce_ms;     /* announce.c: position / expected wait last said */
    /* vm.c: the message being left */
    char vm_path[400];
    bool vm_recording, vm_left;
    /* oncall.c */
    int oncall_idx;               /* the chain entry ringing; -1 none */
    char oncall_number[ACD_ID_MAX];
    int64_t oncall_answer_ms;
    /* outcall.c (ADR 0021): nobody on the line until the customer is called */
    char delivery[16];            /* "", "callback", "voicemail", "outbound" */
    bool vm_played;
    int64_t due_ms;
    int attempt;
    char queue[ACD_ID_MAX];       /* a retry waiting to be queued: its queue, place, priority */
    int retry_priority;
    int64_t retry_enqueue_ms;
    char overflow_to[ACD_ID_MAX + 16]; /* a queue rule sent it here (ACD_ACT_OVERFLOW's target) */
};

struct acd_callctl {
    uv_loop_t *loop;
    acd_config_t *cfg;      /* the config in force: file_cfg merged with shared */
    acd_config_t *file_cfg; /* the site's own file, as last loaded */
    acd_config_t *shared;   /* the cluster's shared config last applied; NULL: none */
    acd_sip_transport_t *tp;
    acd_sip_txl_t *txl;
    acd_registrar_t *reg;
    acd_media_t *media;
    acd_core_t *core;
    acd_kpi_t *kpi;              /* the KPI counters the core's steps feed (site_kpi.c) */
    acd_cdr_writer_t *cdr;
    acd_cdr_writer_t *cdr_csv;   /* the same records as CSV (cdr.csv_path); NULL: none */
    acd_queue_log_t *qlog;       /* Asterisk's queue_log (site_qlog.c); NULL: off */
    struct cc_held_cdr *held;    /* CDRs held while a takeover is possible (cdr_hold.c) */
    size_t n_held, cap_held;
    struct cc_tomb *tombs;       /* CC_TOMBS dialogs that ended here lately (tomb.c) */
    size_t tomb_next;
    struct cc_parked *parked;    /* requests for a silent peer's dialogs (park.c) */
    size_t n_parked;
    bool unparking;              /* park.c hands a parked request over: park no more */
    size_t n_bridges_deferred;   /* calls with bridge_deferred */
    uv_timer_t park_timer;
    uv_timer_t announce_timer;   /* announce.c, every second */
    uint64_t announce_ticks;
    struct cc_tstate *tstates;   /* tenants' override and instructions (tstate.c) */
    size_t n_tstates;
    struct cc_drill *drill;      /* the drill under way (board.c); NULL: none */
    struct cc_agent_hold *agent_holds; /* agents a supervisor logged out (agent_api.c) */
    size_t n_agent_holds;
    struct cc_ivr *ivrs;         /* compiled IVRs by tenant, for cfg (stage.c) */
    size_t n_ivrs;
    const acd_config_t *ivrs_cfg;
    acd_admin_t *admin;
    acd_member_t *member;        /* NULL for a site alone */
    const struct acd_anycast *anycast; /* the process's address (control.c); NULL: none */
    acd_actions_t acts;
    acd_event_t *pending;        /* events raised while actions run */
    size_t npending, cappending;
    bool feeding;
    uv_timer_t core_timer;
    acd_hmap_t calls;            /* call_t by id */
    acd_hmap_t legs;             /* leg_t by Call-ID|local-tag */
    acd_hmap_t ringing;          /* call_t by Call-ID|From-tag until the caller is answered */
    uint64_t next_call;
    char call_prefix[48];
    char contact[128];           /* sip:acdd@addr:port */
    char trunk_contact[128];     /* toward carriers: the anycast address when configured */
    int64_t started_ms;
    bool draining;
    uv_timer_t drain_timer;
    void (*drain_cb)(void *ud);
    void *drain_ud;
    bool closing;
    int open_closes;
    void (*close_cb)(void *ud);
    void *close_ud;
};

/* callctl.c */
int64_t acd__cc_now(const acd_callctl_t *cc);
void acd__cc_feed(acd_callctl_t *cc, const acd_event_t *ev);
/*
 * observe.c: the reports that watch the core (queue_log, KPI counters) see each event
 * the core applied (rc its answer, 0 accepted) with the actions it produced, after those
 * actions ran; the core already holds the state the event left.
 */
void acd__cc_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc, const acd_actions_t *acts);

/* site_kpi.c: the site's KPI counters (made by the first configure, which sets every
 * queue's service level from cfg; returns 0 or a negative errno, logged), fed by observe,
 * read by the admin endpoint (acd__cc_kpi_read) and the cluster member (acd__cc_kpi). */
int acd__cc_kpi_configure(acd_callctl_t *cc, const acd_config_t *cfg);
void acd__cc_kpi_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc,
                         const acd_actions_t *acts);
acd_kpi_t *acd__cc_kpi(void *ud);
const acd_kpi_t *acd__cc_kpi_read(void *ud);
void acd__cc_kpi_fini(acd_callctl_t *cc);

/* control.c: the member's ops.anycast (ud the site): the process's address, if any. */
void acd__cc_anycast(void *ud, acd_member_anycast_t *out);

/* site_qlog.c: the site's queue_log (docs/queue_log.md). open (cfg's path; none: off)
 * returns 0 or a negative errno, logged; configure after each acd_core_configure (its
 * actions still in cc->acts); observe from acd__cc_observe; reopen on SIGHUP (by the
 * reloaded path; failures logged, the old file kept); close is idempotent. */
int acd__cc_qlog_open(acd_callctl_t *cc, const acd_config_t *cfg);
void acd__cc_qlog_configure(acd_callctl_t *cc, const acd_config_t *cfg);
void acd__cc_qlog_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc,
                          const acd_actions_t *acts);
void acd__cc_qlog_reopen(acd_callctl_t *cc);
void acd__cc_qlog_close(acd_callctl_t *cc);
acd_event_t acd__cc_event(acd_event_type_t type, const char *call_id, const char *agent_id);
call_t *acd__cc_call(acd_callctl_t *cc, const char *id);
void acd__cc_leg_link(acd_callctl_t *cc, leg_t *leg);
void acd__cc_leg_unlink(acd_callctl_t *cc, leg_t *leg);
/* Cluster mode: publishes leg's dialog as it stands now (a sister site's takeover state). */
void acd__cc_dialog_publish(acd_callctl_t *cc, const leg_t *leg);
/* Calls cb for every leg in a dialog (snapshots). */
void acd__cc_foreach_dialog(void *ud, void (*cb)(void *cbud, const acd_member_dialog_t *d), void *cbud);
/* Frees what a leg owns (its buffers), not the leg. */
void acd__cc_leg_fini(leg_t *leg);
/* "ip:port" or "[v6]:port" into addr; returns 0 or -EINVAL. */
int acd__cc_parse_source(const char *src, struct sockaddr_storage *addr);
/* Unlinks and frees an agent leg that no call holds any more. */
void acd__agent_leg_free(acd_callctl_t *cc, leg_t *leg);
/* Takes a dark site's call over (adopt.c, ADR 0014): the member's ops.adopt. */
int acd__cc_adopt(void *ud, const acd_member_adopt_t *a);
/* cdr_hold.c: a call's CDR, written or held while this site may be taken over. */
typedef struct cc_held_cdr {
    acd_cdr_t cdr;
    bool exposed; /* the peers knew the call: a sister that took us over adopted it */
} cc_held_cdr_t;
void acd__cc_cdr_out(acd_callctl_t *cc, const acd_cdr_t *cdr);
/* The member knows (ops.cdr_release): sister NULL, not taken over; else by sister. */
void acd__cc_cdr_release(void *ud, const char *sister);
/* At close: CDRs still held go to <cdr file>.indoubt. */
void acd__cc_cdr_hold_fini(acd_callctl_t *cc);
/* Opens the CDR files again by path (SIGHUP, after logrotate); a failure keeps the old. */
void acd__cc_cdr_reopen(acd_callctl_t *cc);

/*
 * agent_api.c: the admin API's ops.agent (api/admin.h: POST /v1/agents/<id>/<verb>),
 * the supervisor's logout hold that registrations do not lift (docs/adr/0024), and what
 * the status document says of each agent: "site" (the site its phone is registered with,
 * null when none) and "held_out" (on hold).
 */
int acd__agent_api(void *ud, const char *agent, acd_admin_agent_verb_t verb, const char *reason,
                   struct json_object *answer);
/* True while a supervisor's logout holds agent out: a REGISTER does not log it in. */
bool acd__agent_api_held(const acd_callctl_t *cc, const char *agent);
void acd__agent_api_status(acd_callctl_t *cc, struct json_object *doc);
void acd__agent_api_fini(acd_callctl_t *cc);

/* tomb.c: keys (Call-ID|local tag) of legs that ended here lately. */
#define CC_TOMBS 1024
typedef struct cc_tomb {
    char key[ACD_SIP_DIALOG_STR + 80];
    uint64_t until; /* loop time */
} cc_tomb_t;
void acd__cc_tomb_add(acd_callctl_t *cc, const char *key);
bool acd__cc_tomb_has(const acd_callctl_t *cc, const char *key);

/* park.c: an in-dialog request for a dialog of a silent peer, held for the takeover. */
bool acd__cc_park(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req, const char *key);
/* A request for our own leg while this site may have been taken over: held. */
bool acd__cc_park_own(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req, const leg_t *leg);
/* The caller's bridge to its agent while this site may have been taken over: deferred. */
bool acd__cc_park_bridge(acd_callctl_t *cc, call_t *call);
/* Whether req's dialog still belongs to a silent peer. */
bool acd__cc_park_still(acd_callctl_t *cc, const acd_sip_msg_t *req);
/* The leg with key was just adopted: its parked requests are handled now (true: some). */
bool acd__cc_park_adopted(acd_callctl_t *cc, const char *key);
void acd__cc_park_init(acd_callctl_t *cc);
void acd__cc_park_close(acd_callctl_t *cc);
/* callctl.c: an in-dialog request (st NULL for ACK), as the layer hands it over. */
void acd__cc_in_dialog(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req);

/* Our run was taken over while cut off: drop the calls begun by exposed_before_ms (0:
 * all), silently (ops.abandon_calls). */
void acd__cc_abandon_calls(void *ud, const char *sister, int64_t exposed_before_ms);
void acd__cc_call_maybe_free(acd_callctl_t *cc, call_t *call);
/* Frees a call in no map and none of whose legs is linked or has a transaction: its media
 * now, the rest once libuv has let go of its timer. */
void acd__cc_call_discard(call_t *call);
void acd__cc_send_bye(acd_callctl_t *cc, leg_t *leg);
void acd__cc_core_timer_init(acd_callctl_t *cc);
void acd__cc_set_local_dispatch(void *ud, bool on);
void acd__cc_binding(acd_callctl_t *cc, const acd_sip_binding_t *b, void (*cb)(void *ud, const acd_member_binding_t *mb), void *ud);
extern const acd_sip_tu_ops_t acd__cc_tu_ops;
extern const acd_registrar_ops_t acd__cc_reg_ops;

/* relay.c */
/*
 * An in-dialog request (st NULL for an ACK) for a dialog this site does not hold: when a
 * live, synced peer owns it, forwards it there (or answers 483 for Max-Forwards 0) and
 * returns true; false when it is nobody's the site can reach (the caller answers 481).
 */
bool acd__cc_relay(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req);

/* caller.c */
void acd__caller_invite(acd_callctl_t *cc, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                        const acd_sip_peer_t *from);
void acd__caller_cancelled(acd_callctl_t *cc, acd_sip_txn_t *ist);
void acd__caller_ack(acd_callctl_t *cc, leg_t *leg, const acd_sip_msg_t *ack);
/* The bridging re-INVITE to the caller, now (a deferred bridge, park.c). */
void acd__caller_bridge_now(acd_callctl_t *cc, call_t *call);
void acd__caller_connect(acd_callctl_t *cc, call_t *call);
/* Plays `first` then music on hold to the caller's media address, when it has one. */
void acd__caller_play(call_t *call, const char *first);
/* The core event for leg's party hanging up (CALL_HANGUP or AGENT_HANGUP). */
acd_event_t acd__cc_leg_hangup(const leg_t *leg);
/* Builds our media offer/answer toward the caller (version leg->sess_ver) in local_sdp. */
int acd__caller_own_sdp(acd_callctl_t *cc, call_t *call);
void acd__caller_timeout(acd_callctl_t *cc, const acd_sip_msg_t *req);
void acd__caller_release(acd_callctl_t *cc, call_t *call);
/* The configured tenant named name, or NULL. */
const acd_cfg_tenant_t *acd__caller_tenant_cfg(const acd_config_t *cfg, const char *name);
/* A new call of tenant (its language) from caller to did with a new id, in no map, its
 * caller leg RINGING with a new session; free it with acd__cc_call_discard(). Returns
 * NULL when out of memory. */
call_t *acd__caller_alloc(acd_callctl_t *cc, const char *tenant, const char *did,
                          const char *caller);

/* uac.c: INVITEs we send (agent offers, callbacks) */
typedef struct cc_invite {
    const char *ruri, *from, *to; /* URIs */
    const char *contact;          /* ours, also the leg's dialog local contact */
    const char *headers;          /* extra header lines (each ending CRLF), or NULL */
    acd_str_t sdp;                /* our offer; empty: an INVITE without SDP */
} cc_invite_t;
/* Sends leg's INVITE (new Call-ID and From tag, CSeq 1) to to_peer; leg->ict is its
 * transaction. Returns acd_sip_txn_request_send()'s code. */
int acd__uac_invite(acd_callctl_t *cc, leg_t *leg, const acd_sip_peer_t *to_peer,
                    const cc_invite_t *inv, acd_sip_response_cb cb, void *ud);
/* A 2xx (resp) of leg's INVITE ct: its dialog (linked into cc->legs when link), its SDP;
 * leg is ANSWERED. Returns whether the 2xx carried usable SDP. */
bool acd__uac_answered(acd_callctl_t *cc, leg_t *leg, acd_sip_txn_t *ct, const acd_sip_msg_t *resp,
                       bool link);
/* Hangs up an answered leg nobody wants: ACK first while ANSWERED (with a port 0 answer
 * unless our INVITE carried the offer, offered), then BYE. */
void acd__uac_refuse(acd_callctl_t *cc, leg_t *leg, bool offered);

/* callback.c: calling back a caller whose takeover failed (ADR 0019) */
/* Where INVITEs to a trunk URI (sip:host[:port], checked by the config) go, over UDP.
 * Returns 0 or -EINVAL. */
int acd__cc_trunk_peer(const char *trunk, acd_sip_peer_t *peer);
void acd__callback_start(acd_callctl_t *cc, const acd_action_t *a);
void acd__callback_cancel(acd_callctl_t *cc, const acd_action_t *a);
void acd__callback_gave_up(acd_callctl_t *cc, const acd_action_t *a);

/* agent.c */
void acd__agent_offer(acd_callctl_t *cc, const acd_action_t *a);
void acd__agent_cancel(acd_callctl_t *cc, const acd_action_t *a);
void acd__agent_reject_answer(acd_callctl_t *cc, const acd_action_t *a);
void acd__agent_ack(acd_callctl_t *cc, call_t *call, const acd_sdp_t *caller_answer);
void acd__agent_release(acd_callctl_t *cc, call_t *call);

/* tstate.c: tenants' live state (ADR 0020) */
int acd__tstate_mode(acd_callctl_t *cc, const char *tenant, int64_t now, acd_mode_info_t *out);
const acd_override_t *acd__tstate_override(acd_callctl_t *cc, const char *tenant);
const char *acd__tstate_instructions(acd_callctl_t *cc, const char *tenant);
/* The member's ops.tenant_state: a stored document (NULL: cleared). */
void acd__tstate_stored(acd_callctl_t *cc, const char *tenant, const char *text, size_t len);
int acd__tstate_api(acd_callctl_t *cc, const char *method, const char *rest, const char *body,
                    size_t len, struct json_object *answer);
void acd__tstate_fini(acd_callctl_t *cc);
/* Adds how each call came to the status document's calls[], and "answering": the calls
 * outside the queue (menu, hours, voicemail, on-call). */
void acd__tstate_status(acd_callctl_t *cc, struct json_object *doc);

/* board.c: what the wallboard reads beyond the core (docs/wallboard.md) */
/* The member's ops.drill: a stored drill document (NULL: none runs). */
void acd__board_drill_stored(void *ud, const char *text, size_t len);
/* The admin's ops.drill: GET, PUT, DELETE /v1/drill (admin.h). */
int acd__board_drill_api(void *ud, const char *method, const char *body, size_t len,
                         struct json_object *answer);
/* The admin's ops.peer_agents: other sites' agents from the member's replicas. */
void acd__board_peer_agents(void *ud,
                            void (*cb)(void *cbud, const char *site, const acd_agent_view_t *v),
                            void *cbud);
void acd__board_fini(acd_callctl_t *cc);

/* script.c: the script of a new call (mode, reason, greeting, first target) */
void acd__script_choose(acd_callctl_t *cc, call_t *call, const acd_sip_msg_t *req);
/* True when the first target is a queue: its name and priority (the call enters now). */
bool acd__script_queue_first(const call_t *call, char *queue, size_t len, int *priority);
/* Appends the X-ACD-Context header line for the agent's INVITE; returns snprintf's count. */
int acd__script_agent_header(acd_callctl_t *cc, const call_t *call, char *out, size_t len);

/* stage.c: a call outside the queue */
void acd__stage_answered(acd_callctl_t *cc, call_t *call);
void acd__stage_digit(acd_callctl_t *cc, call_t *call, char digit, const char *via);
void acd__stage_dtmf_cb(void *ud, char digit, int duration_ms);
void acd__stage_play(call_t *call, const char *const *names, size_t n);
/* Plays names, then calls then(call) instead of the stage's next step (NULL: nothing). */
void acd__stage_play_then(call_t *call, const char *const *names, size_t n, void (*then)(void *ud));
void acd__stage_goodbye(call_t *call);
/* The call enters its script's queue (or the tenant's) now. */
void acd__stage_to_queue(acd_callctl_t *cc, call_t *call);
/* The caller hung up (or failed) outside the core: ends the call here. */
void acd__stage_hangup(acd_callctl_t *cc, call_t *call);
void acd__stage_cdr(acd_callctl_t *cc, call_t *call, acd_disposition_t disp);
void acd__stage_finish(acd_callctl_t *cc, call_t *call, acd_disposition_t disp);
const char *acd__stage_name(call_stage_t s);
/* ACD_ACT_OVERFLOW: remembers where the call goes; its CDR action then hands it over. */
void acd__stage_overflow(acd_callctl_t *cc, const acd_action_t *a);
void acd__stage_overflowed(acd_callctl_t *cc, call_t *call);
const acd_ivr_t *acd__cc_ivr(acd_callctl_t *cc, const char *tenant);
void acd__cc_ivrs_fini(acd_callctl_t *cc);
const acd_cfg_queue_t *acd__cc_queue_cfg(acd_callctl_t *cc, const call_t *call);
/* Agents logged in at other sites who serve queue (the member's replica). */
unsigned acd__cc_remote_logged_in(acd_callctl_t *cc, const char *queue);

/* vm.c: voicemail (ADR 0021) */
void acd__vm_start(acd_callctl_t *cc, call_t *call);
void acd__vm_prompt_ended(acd_callctl_t *cc, call_t *call);
void acd__vm_digit(acd_callctl_t *cc, call_t *call, char digit);
/* The caller hung up: true when a recording was running (its end finishes the call). */
bool acd__vm_hangup(acd_callctl_t *cc, call_t *call);
int acd__vm_api(acd_callctl_t *cc, const acd_cfg_tenant_t *tc, struct json_object *answer);
void acd__vm_scan(const char *dir, const char *tenant, int64_t now, struct json_object *arr,
                  size_t *overdue);
void acd__vm_mark_done(acd_callctl_t *cc, const char *tenant, const char *wav, const char *agent);
/* Reports messages past their due time once (ACD-VM-OVERDUE). */
void acd__vm_overdue_check(acd_callctl_t *cc);

/* oncall.c */
void acd__oncall_start(acd_callctl_t *cc, call_t *call);

/* outcall.c: virtual hold, voicemail tasks, outbound calls (ADR 0021) */
bool acd__outcall_is(const call_t *call);
void acd__outcall_task(acd_callctl_t *cc, const call_t *vm, int64_t due_ms);
/* An outbound call to number, queued now (at_ms 0) or at at_ms. */
int acd__outcall_schedule(acd_callctl_t *cc, const char *tenant, const char *number,
                          const char *queue, int priority, int64_t at_ms, char *id_out,
                          size_t id_len);
void acd__outcall_connect(acd_callctl_t *cc, call_t *call);
void acd__outcall_failed(acd_callctl_t *cc, call_t *call, const char *why);
void acd__outcall_retry_arm(acd_callctl_t *cc, call_t *call, int delay_ms);
void acd__vhold_start(acd_callctl_t *cc, call_t *call);
/* A dark site's waiting outcall, adopted (ops.adopt with a delivery). */
int acd__outcall_adopt(acd_callctl_t *cc, const acd_member_adopt_t *a);
void acd__vhold_digit(acd_callctl_t *cc, call_t *call, char digit);
/* A full queue's overflow to "callback": thank, hang up, queue a callback after the delay. */
void acd__vhold_overflow(acd_callctl_t *cc, call_t *call);

/* announce.c: position and expected wait for waiting callers */
void acd__announce_tick(acd_callctl_t *cc);
void acd__announce_init(acd_callctl_t *cc);
/* caller.c: plays names to the waiting caller, then music on hold again. */
void acd__caller_play_list(call_t *call, const char *const *names, size_t n);

#endif
