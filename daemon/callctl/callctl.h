/* callctl.h - one site's call control: SIP legs, media and the ACD core wired together. */
#ifndef ACD_CALLCTL_CALLCTL_H
#define ACD_CALLCTL_CALLCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

typedef struct acd_callctl acd_callctl_t;

/*
 * Starts a site from cfg on loop: SIP transport and transaction layer, registrar, media
 * engine, ACD core, CDR writer and admin endpoint. Takes ownership of cfg.
 * Returns 0 or the first failure (bind errors, missing prompts ...), already logged.
 */
int acd_callctl_alloc(acd_callctl_t **cp, uv_loop_t *loop, acd_config_t *cfg);

/*
 * Applies a new configuration of the site's own file live (SIGHUP): tenants, queues,
 * agents, trunks, timers. In a cluster, the lists of the shared config last applied from
 * etcd keep replacing the file's (docs/config.md). Listen addresses and ports are not
 * changed by a reload (logged). Takes ownership of cfg on success; returns 0 or a
 * negative code (nothing changed, cfg still the caller's).
 */
int acd_callctl_reload(acd_callctl_t *c, acd_config_t *cfg);

/*
 * Stops taking new calls (503 to new INVITEs) and calls done_cb once no call is left or
 * after the configured drain timeout (remaining calls are then released and recorded
 * as failed). Calling it again does nothing.
 */
void acd_callctl_drain(acd_callctl_t *c, void (*done_cb)(void *ud), void *ud);

/*
 * Maintenance drain: on stops taking new calls (as acd_callctl_drain() does) without a
 * timeout or a done callback, and keeps the site running; off takes calls again.
 * Returns 0, or ACD_EDRAINING while a shutdown drain (acd_callctl_drain) runs.
 */
int acd_callctl_set_draining(acd_callctl_t *c, bool on);

/* Releases everything; the loop has no handles of ours once cb (may be NULL) runs. */
void acd_callctl_close(acd_callctl_t *c, void (*cb)(void *ud), void *ud);

/* Number of calls in progress (queued, ringing or connected). */
size_t acd_callctl_calls(const acd_callctl_t *c);

#endif
