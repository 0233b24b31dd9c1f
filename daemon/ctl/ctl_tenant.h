/* ctl_tenant.h - acdctl's tenant commands: live state, voicemail, outbound calls. */
#ifndef ACD_CTL_CTL_TENANT_H
#define ACD_CTL_CTL_TENANT_H

#include "ctl/ctl_http.h"

/*
 * Runs `tenant ...`, `voicemail ...` or `outbound ...` (argv[0] is the command) against
 * the admin endpoint ep: GET/PUT/DELETE under /v1/tenants (docs/api.md). Returns an
 * exit code (CTL_EXIT_*; CTL_EXIT_REFUSED when acdd answered 4xx, with its error).
 */
int acd__ctl_tenant(const acd__ctl_endpoint_t *ep, int argc, char **argv);

#endif
