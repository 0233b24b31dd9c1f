/* config.h - the site's YAML configuration: load, validate with file:line errors, free. */
#ifndef ACD_CONFIG_CONFIG_H
#define ACD_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 network, e.g. 127.0.0.0/8. */
typedef struct acd_cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network bytes, host bits cleared */
    int prefix;
} acd_cidr_t;

/* True when addr (AF_INET/AF_INET6 sockaddr) lies inside net. */
bool acd_cidr_contains(const acd_cidr_t *net, const struct sockaddr *addr);
/* Parses "a.b.c.d/n", "a.b.c.d" (/32), IPv6 likewise. Returns 0 or -EINVAL. */
int acd_cidr_parse(const char *text, acd_cidr_t *out);

typedef struct acd_cfg_trunk {
    char *name;
    acd_cidr_t *networks;
    size_t n_networks;
} acd_cfg_trunk_t;

/* A skill and its level, 1..10: what a queue's calls require (at least) or an agent has. */
typedef struct acd_cfg_skill {
    char *name;
    int level; /* 1..10 */
} acd_cfg_skill_t;

/* A queue's requirement relaxed once a call has waited after_ms: skill now needs level. */
typedef struct acd_cfg_relax {
    int after_ms;
    char *skill; /* one of the queue's skills */
    int level;   /* 0..10, below the level it relaxes; 0 drops the requirement */
} acd_cfg_relax_t;

/* Local wall-clock time repeated on some weekdays (the layout of acd_sched_span_t). */
typedef struct acd_cfg_span {
    uint8_t days;           /* bit0 Monday .. bit6 Sunday; never 0 */
    int start_min, end_min; /* [start,end) minutes of the local day, end may be 1440 */
} acd_cfg_span_t;

/* A real calendar date (the layout of acd_sched_date_t). */
typedef struct acd_cfg_date {
    int year, month, day;
} acd_cfg_date_t;

/*
 * Targets: where a menu key, a timeout, a script or an overflow sends a call. Written as
 * `queue:NAME` (optionally `queue:NAME!urgent` or `queue:NAME!P`, P a priority 0..100),
 * `menu:NAME`, `voicemail`, `hours`, `operator`, `callback`, `escalate`, `repeat` or
 * `hangup` (docs/config.md). The loader checks the syntax and that the names exist.
 */

/* One key of an IVR menu. */
typedef struct acd_cfg_option {
    char key;     /* '0'-'9', '*', '#' */
    char *target; /* a target */
} acd_cfg_option_t;

typedef struct acd_cfg_menu {
    char *name;
    char *prompt;         /* prompt name */
    int timeout_ms;       /* waiting for a key after the prompt; default 5000 */
    int retries;          /* replays after a timeout or a bad key; default 2, 0..9 */
    char *invalid_prompt; /* default "invalid" */
    char *on_timeout;     /* target once the retries are used up; default "operator" */
    acd_cfg_option_t *options;
    size_t n_options;
} acd_cfg_menu_t;

/* Script mode bits (acd_cfg_script_t.modes): the order of acd_mode_t. */
#define ACD_CFG_MODE_OPEN (1u << 0)
#define ACD_CFG_MODE_LUNCH (1u << 1)
#define ACD_CFG_MODE_AFTER_HOURS (1u << 2)
#define ACD_CFG_MODE_HOLIDAY (1u << 3)
#define ACD_CFG_MODE_OVERRIDE (1u << 4)

/* One answering script; a tenant's scripts are tried in order and the first match wins. */
typedef struct acd_cfg_script {
    uint32_t modes;   /* bit per mode: 1<<0 open, 1<<1 lunch, 1<<2 after-hours, 1<<3 holiday,
                         1<<4 override; 0 = any */
    uint32_t reasons; /* bit per forwarding reason index (the order of acd_fwd_reason_t:
                         none, unconditional, user-busy, no-answer, unavailable, time-of-day,
                         do-not-disturb, deflection, out-of-service, away, unknown); 0 = any */
    char *greeting;   /* prompt name; NULL: the built-in one */
    char *then;       /* target */
} acd_cfg_script_t;

/* Who is on call during a span: numbers called in order. */
typedef struct acd_cfg_oncall {
    acd_cfg_span_t when;
    char **chain;
    size_t n_chain;
} acd_cfg_oncall_t;

typedef struct acd_cfg_tenant {
    char *name;
    char **dids;
    size_t n_dids;
    char *queue;         /* queue new calls enter */
    char *language;      /* "en" (default) or "es" */
    int answer_after_ms; /* yaml `answer_after` seconds: ring (180) this long before answering;
                            default 0 */
    /* `callback:` (ADR 0019): call a caller whose takeover failed back, unless it redials */
    bool callback;            /* the section is present */
    char *callback_trunk;     /* `trunk: sip:host[:port]` (IP literal, UDP): where INVITEs go */
    char *callback_caller_id; /* `caller_id`: our From user; NULL: the number the caller dialled */
    int callback_delay_ms;    /* `delay` seconds, 0..3600; default 10: before each attempt */
    int callback_attempts;    /* `attempts`, 1..10; default 2: calls placed at most */
    int callback_ring_ms;     /* `ring_timeout` seconds, 0.1..300; default 30 */

    /* When the line is open (docs/config.md "answering"). */
    char *timezone;        /* IANA zone found in tzdata; default "UTC" */
    acd_cfg_span_t *hours; /* `hours`: open spans; none: open around the clock */
    size_t n_hours;
    acd_cfg_span_t *lunch; /* `lunch`: breaks */
    size_t n_lunch;
    acd_cfg_date_t *holidays; /* closed all day */
    size_t n_holidays;

    /* Priority callers. */
    char **vip; /* caller numbers served first */
    size_t n_vip;
    int vip_priority;      /* 0..100; default 10 */
    int redial_priority;   /* 0..100; default 5: a caller back after abandoning */
    int abandon_window_ms; /* `abandon_window` seconds, 0..86400; default 600; 0 off */

    /* The auto-attendant (`ivr:`); n_menus == 0 without one. */
    char *ivr_entry; /* the first menu; a name in menus */
    acd_cfg_menu_t *menus;
    size_t n_menus;
    char *operator_queue; /* target `operator`; default: queue */

    acd_cfg_script_t *scripts;
    size_t n_scripts;

    /* `voicemail:`: the fields hold their defaults when the section is absent. */
    bool voicemail;    /* the section is present */
    int vm_promise_ms; /* `promise` seconds, 0..604800; default 14400 (4 h) */
    char *vm_prompt;   /* default "vm_promise" */
    int vm_max_ms;     /* `max_length` seconds, 5..600; default 120 */
    char *vm_queue;    /* where message tasks are offered; default: queue */
    char *vm_dir;      /* default /var/lib/acdd/voicemail */

    /* `on_call:`: live escalation; n_oncall == 0 without the section. */
    int oncall_ring_ms;       /* `ring_timeout` seconds, 0.1..300; default 20 */
    char *oncall_trunk;       /* sip:host[:port], as callback_trunk; NULL without the section */
    char *oncall_caller_id;   /* NULL: the number the caller dialled */
    acd_cfg_oncall_t *oncall; /* `calendar` */
    size_t n_oncall;

    char *instructions; /* default temporary instructions, <= 255 bytes UTF-8; NULL: none */
} acd_cfg_tenant_t;

typedef struct acd_cfg_queue {
    char *name;
    char *tenant;
    char *strategy;          /* "longest-idle" (default), "round-robin", "fewest-calls" */
    int ring_timeout_ms;     /* yaml `ring_timeout` in seconds (may be fractional); default 15 s */
    int wrapup_ms;           /* yaml `wrapup` seconds; default 5 s */
    int max_no_answer;       /* default 3; 0 disables */
    int priority;            /* default 0 */
    acd_cfg_skill_t *skills; /* what its calls require: agents with at least each level */
    size_t n_skills;
    acd_cfg_relax_t *relax; /* in increasing after_ms */
    size_t n_relax;
    int max_wait_ms;  /* `max_wait` seconds, 0..86400; 0 = no limit */
    int max_len;      /* `max_length` waiting calls, 0..100000; 0 = no limit */
    char *overflow;   /* target past max_wait/max_length: queue:, voicemail, callback,
                         hangup; NULL when not set */
    bool join_empty;  /* callers may join with no agent logged in; default false */
    bool leave_empty; /* waiting callers leave when the last agent logs out; default true */
    int announce_ms;  /* `announce` seconds: position/expected wait interval; 0 off or
                         10..3600; default 30 */
    bool announce_position, announce_wait; /* default true */
    int saturated_at;    /* waiting calls at which new callers hear "saturated"; 0 off */
    bool callback_offer; /* offer a callback with key 1 while waiting; default false */
    /* Service level (docs/metrics.md): `service_level: {seconds: 20, target: 80}`, and
     * `short_abandon` seconds: abandons shorter than that are left out of it. */
    int sl_threshold_ms;  /* answered within this counts; default 20 s */
    int sl_target_pct;    /* the target share, 1..100; default 80 */
    int short_abandon_ms; /* 0 (default): every abandon counts */
} acd_cfg_queue_t;

typedef struct acd_cfg_agent {
    char *id;
    char *sip_user; /* default: id */
    char *password; /* SIP digest password; NULL: no authentication */
    char **queues;
    size_t n_queues;
    acd_cfg_skill_t *skills;
    size_t n_skills;
} acd_cfg_agent_t;

/* A sister site: where its event log and snapshot service listen (nng URLs). */
typedef struct acd_cfg_peer {
    char *name;
    char *events;   /* its pub URL: tcp://host:port or tls+tcp://host:port */
    char *requests; /* its rep URL */
} acd_cfg_peer_t;

typedef struct acd_config {
    char *path; /* the file it came from */
    /* site */
    char *site_name;
    char *site_address; /* unicast address for Contact, Via and SDP */
    /* sip */
    char *sip_listen;      /* default: site_address */
    uint16_t sip_port;     /* default 5060 */
    bool sip_udp, sip_tcp; /* `transports: [udp, tcp]`, default both */
    int sip_t1_ms;         /* default 500 */
    /* media */
    uint16_t rtp_port_min, rtp_port_max; /* `rtp_ports: "20000-29999"` */
    char *prompts_dir;                   /* default /var/lib/acdd/prompts */
    /* admin endpoint (loopback HTTP) */
    char *admin_listen;  /* default 127.0.0.1 */
    uint16_t admin_port; /* default 8080; 0 disables */
    char *admin_token_file; /* NULL: no token (loopback rule only); docs/adr/0022 */
    char *admin_token;      /* the bearer token read from admin_token_file at load */
    /* output */
    char *cdr_path;           /* default /var/lib/acdd/cdr.jsonl */
    char *cdr_csv_path;       /* `cdr.csv_path`: the same records as CSV; NULL: none */
    /* `queue_log:` (docs/queue_log.md): Asterisk's queue_log of this site; NULL: off.
     * Default <cdr.path's directory>/queue_log-<site name>; off when cdr.path is "-". */
    char *queue_log_path;
    bool queue_log_enabled;   /* `queue_log.enabled`, default true */
    char *log_level;          /* default "info" */
    int drain_timeout_ms;     /* yaml `drain_timeout` seconds; default 30 */
    int register_max_expires; /* default 3600; min 60 */

    /* cluster (the `cluster:` section; absent: a single site working from this file) */
    bool cluster;          /* the section is present */
    char **etcd_endpoints; /* http://host:port of etcd members */
    size_t n_etcd_endpoints;
    char *cluster_prefix; /* etcd key prefix; default "/acdd" */
    int lease_ttl_ms;     /* yaml `lease_ttl` seconds, 2..60; default 3 */
    char *link_events;    /* our pub URL (required in a cluster) */
    char *link_requests;  /* our rep URL (required in a cluster) */
    acd_cfg_peer_t *peers;
    size_t n_peers;
    char **sisters; /* takeover order, peer names */
    size_t n_sisters;
    int redial_window_ms; /* yaml `redial_window` seconds, 0..3600; default 120; 0 = off:
                             how long a caller whose takeover failed keeps its place */
    char *tls_ca, *tls_cert, *tls_key; /* all or none; required by tls+tcp:// URLs */

    /* anycast (the `anycast:` section; absent: acdd never touches interface addresses) */
    bool anycast;            /* the section is present */
    char *anycast_address;   /* IPv4 literal put on the interface while the site is healthy */
    char *anycast_interface; /* default "lo" */
    int anycast_prefix_len;  /* 1..32; default 32 */

    acd_cfg_trunk_t *trunks;
    size_t n_trunks;
    acd_cfg_tenant_t *tenants;
    size_t n_tenants;
    acd_cfg_queue_t *queues;
    size_t n_queues;
    acd_cfg_agent_t *agents;
    size_t n_agents;

    /* Set only by acd_config_shared_load*(): which lists a shared document sets. */
    bool shared_trunks;   /* it has a `trunks` key */
    bool shared_entities; /* it has at least one of `tenants`, `queues`, `agents` */
} acd_config_t;

/* One problem found in a file: printed as "file:line: message". */
typedef struct acd_config_error {
    int line; /* 1-based; 0 when it concerns the whole file */
    char message[240];
} acd_config_error_t;

typedef struct acd_config_errors {
    acd_config_error_t *v;
    size_t n, cap;
} acd_config_errors_t;

void acd_config_errors_fini(acd_config_errors_t *e);
/* Prints every error as "path:line: message\n" to f (a FILE *). */
void acd_config_errors_print(const acd_config_errors_t *e, const char *path, void *f);

/*
 * Reads and validates the YAML file at path. Collects every error it can find (not just
 * the first) into errs: YAML syntax, unknown keys, wrong types, out-of-range values,
 * duplicates (tenant/queue/agent names, DIDs, SIP users), references to unknown tenants
 * or queues, bad networks. On success (no errors) *cfgp is a new config the caller frees
 * with acd_config_free(). Returns 0, ACD_ECONFIG (errs says why), -ENOENT/-EACCES
 * (cannot open: also recorded in errs with line 0), -ENOMEM.
 */
int acd_config_load(const char *path, acd_config_t **cfgp, acd_config_errors_t *errs);

/* Same, from a string in memory (name is used in messages only). */
int acd_config_load_string(const char *yaml, size_t len, const char *name, acd_config_t **cfgp,
                           acd_config_errors_t *errs);

void acd_config_free(acd_config_t *cfg);

/*
 * Reads the file at path as the loaders do (the same size limit and messages, which go
 * to errs with line 0) without parsing it, for a caller that must use the very bytes it
 * checks. On success *textp is a NUL-terminated copy of *lenp bytes the caller frees.
 * Returns 0, -ENOENT/-EACCES/..., ACD_ECONFIG (too large), -ENOMEM, -EINVAL.
 */
int acd_config_read(const char *path, char **textp, size_t *lenp, acd_config_errors_t *errs);

/*
 * The shared config of a cluster, stored in etcd at `<prefix>/config` (docs/config.md):
 * a YAML document whose only top-level keys are `trunks`, `tenants`, `queues` and
 * `agents`. Its entries are read by the same schema and checked by the same rules as a
 * site file's (acd_config_load), with the same file:line messages; the checks across
 * entries run on the document alone, so it must be complete in itself (a tenant's
 * queue, an agent's queues are in it). A key that belongs to a site file only (`site`,
 * `sip`, `cluster` ...) is an error, and so is a document with none of the four keys.
 * On success *cfgp holds the lists (and shared_trunks / shared_entities) and nothing
 * else; free it with acd_config_free(). Returns what acd_config_load() returns.
 */
int acd_config_shared_load(const char *path, acd_config_t **cfgp, acd_config_errors_t *errs);
int acd_config_shared_load_string(const char *yaml, size_t len, const char *name,
                                  acd_config_t **cfgp, acd_config_errors_t *errs);

/*
 * Builds the config a cluster site runs: a deep copy of site (its own file, loaded by
 * acd_config_load) with the lists that shared (from acd_config_shared_load*) sets. When
 * shared has any of tenants, queues and agents, the three replace site's together (one
 * left out is empty); when it has trunks, they replace site's trunks; a list shared
 * does not set stays site's. Neither input is changed or kept. Because a valid shared
 * document is complete in itself and a site file's other checks do not look at these
 * lists, the result of two valid inputs is valid. Pass the site's own file, not an
 * earlier result, so that a list the shared document stops setting falls back to the
 * file's. *mergedp is written only on success. Returns 0, -EINVAL, -ENOMEM.
 */
int acd_config_merge(const acd_config_t *site, const acd_config_t *shared, acd_config_t **mergedp);

#endif
