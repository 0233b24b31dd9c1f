/* control.h - what the process asks of its running site besides calls: health, control verbs. */
#ifndef ACD_CALLCTL_CONTROL_H
#define ACD_CALLCTL_CONTROL_H

#include <stdbool.h>

#include "anycast/anycast.h"
#include "api/admin.h"
#include "callctl/callctl.h"

/* The site's side of its health (docs/adr/0015-anycast-health.md); the process adds its own. */
typedef struct acd_callctl_health {
    bool draining;   /* new calls are refused (a shutdown or a maintenance drain) */
    bool cluster;    /* the site is a cluster member */
    bool lease_held; /* cluster: the member holds its etcd lease */
    bool island;     /* cluster: the member is in island mode */
    bool adrift;     /* cluster: peers are heard and every one is an island too */
    int64_t lease_lost_ms; /* cluster: since the held lease was lost; 0 while held */
} acd_callctl_health_t;

/*
 * Fills out from the site's state now. The lease and island come from the member's
 * status object (acd_member_status(), docs/api.md: cluster.lease.state == "held",
 * cluster.island), the member's documented view of itself; cheap enough to ask a few
 * times a second. Safe until acd_callctl_close().
 */
void acd_callctl_health(acd_callctl_t *c, acd_callctl_health_t *out);

/*
 * Attaches the process's control verbs and status additions to the site's admin
 * endpoint (acd_admin_set_control; nothing when the endpoint is off). ctl is copied.
 */
void acd_callctl_set_control(acd_callctl_t *c, const acd_admin_control_t *ctl, void *ud);

/*
 * Names the anycast address the process keeps for the site (NULL: none), so that the
 * site's cluster member tells its peers in every heartbeat whether it is announced
 * (their wallboards and /metrics show it). a is only read, and must stay valid until
 * acd_callctl_close()'s callback ran.
 */
void acd_callctl_set_anycast(acd_callctl_t *c, const acd_anycast_t *a);

/*
 * acd_callctl_reload() (takes cfg on success, nothing changed on failure), and, when
 * answer (a JSON object) is not NULL and the reload succeeded, what it changed there:
 * "reloaded": true, "config": the file, "added" / "removed": {"tenants", "queues",
 * "agents", "trunks": [names]} between the lists in force before and after (in a cluster
 * the shared config's lists), "lists_changed", and the four counts now. Settings changed
 * inside entries that stay are applied too but not listed. Returns as the reload does.
 */
int acd_callctl_reload_report(acd_callctl_t *c, acd_config_t *cfg, struct json_object *answer);

#endif
