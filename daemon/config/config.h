/* config.h - the site's YAML configuration: load, validate with file:line errors, free. */
#ifndef ACD_CONFIG_CONFIG_H
#define ACD_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 network, e.g. 127.0.0.0/8. */
typedef struct acd_cidr {
    int family;        /* AF_INET or AF_INET6 */
    uint8_t addr[16];  /* network bytes, host bits cleared */
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

typedef struct acd_cfg_tenant {
    char *name;
    char **dids;
    size_t n_dids;
    char *queue;     /* queue new calls enter */
    char *language;  /* "en" (default) or "es" */
    int answer_after_ms; /* yaml `answer_after` seconds: ring (180) this long before answering; default 0 */
    /* `callback:` (ADR 0019): call a caller whose takeover failed back, unless it redials */
    bool callback;            /* the section is present */
    char *callback_trunk;     /* `trunk: sip:host[:port]` (IP literal, UDP): where INVITEs go */
    char *callback_caller_id; /* `caller_id`: our From user; NULL: the number the caller dialled */
    int callback_delay_ms;    /* `delay` seconds, 0..3600; default 10: before each attempt */
    int callback_attempts;    /* `attempts`, 1..10; default 2: calls placed at most */
    int callback_ring_ms;     /* `ring_timeout` seconds, 0.1..300; default 30 */
} acd_cfg_tenant_t;

typedef struct acd_cfg_queue {
    char *name;
    char *tenant;
    char *strategy;         /* default "longest-idle" */
    int ring_timeout_ms;    /* yaml `ring_timeout` in seconds (may be fractional); default 15 s */
    int wrapup_ms;          /* yaml `wrapup` seconds; default 5 s */
    int max_no_answer;      /* default 3; 0 disables */
    int priority;           /* default 0 */
} acd_cfg_queue_t;

typedef struct acd_cfg_agent {
    char *id;
    char *sip_user;         /* default: id */
    char *password;         /* SIP digest password; NULL: no authentication */
    char **queues;
    size_t n_queues;
} acd_cfg_agent_t;

/* A sister site: where its event log and snapshot service listen (nng URLs). */
typedef struct acd_cfg_peer {
    char *name;
    char *events;   /* its pub URL: tcp://host:port or tls+tcp://host:port */
    char *requests; /* its rep URL */
} acd_cfg_peer_t;

typedef struct acd_config {
    char *path;             /* the file it came from */
    /* site */
    char *site_name;
    char *site_address;     /* unicast address for Contact, Via and SDP */
    /* sip */
    char *sip_listen;       /* default: site_address */
    uint16_t sip_port;      /* default 5060 */
    bool sip_udp, sip_tcp;  /* `transports: [udp, tcp]`, default both */
    int sip_t1_ms;          /* default 500 */
    /* media */
    uint16_t rtp_port_min, rtp_port_max; /* `rtp_ports: "20000-29999"` */
    char *prompts_dir;      /* default /var/lib/acdd/prompts */
    /* admin endpoint (loopback HTTP) */
    char *admin_listen;     /* default 127.0.0.1 */
    uint16_t admin_port;    /* default 8080; 0 disables */
    /* output */
    char *cdr_path;         /* default /var/lib/acdd/cdr.jsonl */
    char *log_level;        /* default "info" */
    int drain_timeout_ms;   /* yaml `drain_timeout` seconds; default 30 */
    int register_max_expires; /* default 3600; min 60 */

    /* cluster (the `cluster:` section; absent: a single site working from this file) */
    bool cluster;            /* the section is present */
    char **etcd_endpoints;   /* http://host:port of etcd members */
    size_t n_etcd_endpoints;
    char *cluster_prefix;    /* etcd key prefix; default "/acdd" */
    int lease_ttl_ms;        /* yaml `lease_ttl` seconds, 2..60; default 3 */
    char *link_events;       /* our pub URL (required in a cluster) */
    char *link_requests;     /* our rep URL (required in a cluster) */
    acd_cfg_peer_t *peers;
    size_t n_peers;
    char **sisters;          /* takeover order, peer names */
    size_t n_sisters;
    int redial_window_ms;    /* yaml `redial_window` seconds, 0..3600; default 120; 0 = off:
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
    int line;          /* 1-based; 0 when it concerns the whole file */
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
