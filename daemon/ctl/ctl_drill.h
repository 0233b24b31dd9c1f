/* ctl_drill.h - acdctl drill: show, start and stop the failover drill under way. */
#ifndef ACD_CTL_CTL_DRILL_H
#define ACD_CTL_CTL_DRILL_H

#include "ctl/ctl_http.h"

/*
 * Runs `acdctl drill [show | start NAME [BY] | stop] [--json]` against ep (GET, PUT,
 * DELETE /v1/drill); argv[0] is "drill". Prints the drill (or acdd's JSON). Returns the
 * exit code (CTL_EXIT_*): usage 1, acdd's refusal (a bad name) 4.
 */
int acd__ctl_drill(const acd__ctl_endpoint_t *ep, int argc, char **argv);

#endif
