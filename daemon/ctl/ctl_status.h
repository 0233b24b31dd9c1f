/* ctl_status.h - acdctl status, drain, undrain, cluster status, reload: the site as a whole. */
#ifndef ACD_CTL_CTL_STATUS_H
#define ACD_CTL_CTL_STATUS_H

#include "ctl/ctl_http.h"

/*
 * Each runs one command against the admin endpoint ep; argv[0] is the command's name
 * and the rest its own arguments (--json, --help ...). --help prints the command's usage
 * on stdout and returns CTL_EXIT_OK; bad arguments print it on stderr and return
 * CTL_EXIT_USAGE. Otherwise they return the exit code of the request (CTL_EXIT_*).
 *
 *   status [--json]           GET /v1/status: site, anycast, cluster, QUEUES, AGENTS, CALLS
 *   drain | undrain           POST /v1/drain or /v1/undrain, then the anycast address
 *   cluster status [--json]   GET /v1/cluster: the leader and every site, live or dark
 *   reload [--json]           POST /v1/reload: what changed, or the config's errors
 */
int acd__ctl_status(const acd__ctl_endpoint_t *ep, int argc, char **argv);
int acd__ctl_drain(const acd__ctl_endpoint_t *ep, int argc, char **argv);
int acd__ctl_cluster(const acd__ctl_endpoint_t *ep, int argc, char **argv);
int acd__ctl_reload(const acd__ctl_endpoint_t *ep, int argc, char **argv);

#endif
