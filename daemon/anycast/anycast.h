/* anycast.h - the site's anycast address on a local interface, added and removed over rtnetlink. */
#ifndef ACD_ANYCAST_ANYCAST_H
#define ACD_ANYCAST_ANYCAST_H

#include <stdbool.h>
#include <uv.h>

struct json_object;

/*
 * While a site is healthy acdd keeps its anycast address on a local interface (loopback
 * or a dummy one); the site's BGP speaker (BIRD) announces the route while the address
 * exists and withdraws it when the address goes (docs/adr/0015-anycast-health.md).
 *
 * The module talks to the kernel with one NETLINK_ROUTE socket driven by a uv_poll
 * handle: RTM_NEWADDR / RTM_DELADDR requests with NLM_F_ACK, one in flight at a time,
 * and the kernel's answers (EEXIST on add and EADDRNOTAVAIL on delete mean it already
 * was so). The socket also listens to the kernel's IPv4 address notifications, so an
 * address removed or added by someone else is put back the way the site's health says.
 * Nothing blocks the loop: sends are non-blocking and every answer arrives through the
 * poll handle. Failures are logged with ACD-ANYCAST-* ids and retried every second.
 */
typedef struct acd_anycast acd_anycast_t;

typedef struct acd_anycast_cfg {
    const char *address;   /* IPv4 literal, e.g. "198.18.0.1" */
    const char *interface; /* interface name, e.g. "lo" */
    int prefix_len;        /* 1..32 */
} acd_anycast_cfg_t;

/* What the health rule looks at; the process fills it from its own and its site's state. */
typedef struct acd_anycast_health {
    bool stopping;   /* the process is shutting down (SIGTERM/SIGINT drain, exit) */
    bool draining;   /* a maintenance drain (acdctl drain): no new calls */
    bool cluster;    /* the site is a cluster member */
    bool lease_held; /* cluster: the member holds its etcd lease */
    bool island;     /* cluster: the member is in island mode */
    bool adrift;     /* cluster: every peer it hears is an island too (etcd lost everywhere) */
    int64_t lease_lost_ms; /* cluster: since its held lease was lost (0: held, or never) */
} acd_anycast_health_t;

/* A lease just lost keeps the route this long: a re-grant usually follows within it
 * (an etcd election, a member catching up), and every site withdrawing at once would
 * leave the carriers no route (ADR 0018). */
#define ACD_ANYCAST_GRACE_MS 1500

/*
 * The health rule of ADR 0015: a site announces while it is not stopping, not draining
 * and, in a cluster, holds its etcd lease and is not an island - unless the whole cluster
 * is adrift (every peer it hears has lost etcd too): then every site serves its own
 * callers and withdrawing would leave the carriers none. Returns true when the site
 * should announce; *why (may be NULL) gets a static word for the status document:
 * "healthy", "adrift", "grace", "stopping", "draining", "island" or "no-lease".
 */
bool acd_anycast_healthy(const acd_anycast_health_t *h, const char **why);

/*
 * Opens the netlink socket for cfg (copied) on loop. Nothing is sent until the first
 * acd_anycast_want(): the state of the interface is unknown until then, and the first
 * request is always sent (so a restart cleans up or re-adds what a killed process left).
 * *ap belongs to the caller until acd_anycast_close(). Returns 0, -EINVAL (cfg),
 * -ENOMEM, or the socket's error.
 */
int acd_anycast_alloc(acd_anycast_t **ap, uv_loop_t *loop, const acd_anycast_cfg_t *cfg);

/*
 * Says whether the address should be on the interface (announce) and why (copied, shown
 * in the status document). Requests the change at once when it differs from what the
 * kernel last confirmed; a request already in flight is answered first. May be called
 * at any rate: an unchanged wish costs nothing.
 */
void acd_anycast_want(acd_anycast_t *a, bool announce, const char *why);

/* True while the kernel has confirmed the address on the interface. */
bool acd_anycast_announced(const acd_anycast_t *a);

/* The address's state as the status document and the site's heartbeats report it. */
typedef struct acd_anycast_state {
    char address[16];   /* the IPv4 literal */
    char interface[16]; /* its interface */
    int prefix_len;
    bool announced; /* acd_anycast_announced() */
    /* The wish's reason ("healthy", "draining" ...), "adding" or "removing" while a
     * request waits for the kernel, or "error: ..." after the kernel refused it. */
    char why[128];
} acd_anycast_state_t;

/* Fills *out with a's state now (a and out must not be NULL). */
void acd_anycast_read(const acd_anycast_t *a, acd_anycast_state_t *out);

/*
 * Adds "anycast": {address, prefix_len, interface, announced, why} to doc (an object),
 * as acd_anycast_read() gives them. Does nothing when a or doc is NULL.
 */
void acd_anycast_status(const acd_anycast_t *a, struct json_object *doc);

/*
 * Removes the address (the process is going away), waits for the kernel's answer (at
 * most 2 s), then releases the socket and handles; cb (may be NULL) runs once the loop
 * holds nothing of a. Later calls do nothing.
 */
void acd_anycast_close(acd_anycast_t *a, void (*cb)(void *ud), void *ud);

#endif
