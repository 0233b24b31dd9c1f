/* ctl_entity.h - acdctl agent|queue|call: the site's entities, listed, shown and steered. */
#ifndef ACD_CTL_CTL_ENTITY_H
#define ACD_CTL_CTL_ENTITY_H

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "ctl/ctl_http.h"

/*
 * Runs `agent ...`, `queue ...` or `call ...` (argv[0] is the command) against the admin
 * endpoint ep (docs/api.md):
 *
 *   agent list | show ID | login ID | logout ID | pause ID --reason R | unpause ID
 *   queue list | show NAME
 *   call  list | show ID
 *
 * Each takes --json (acdd's document instead of tables) and --help (its usage on stdout,
 * exit 0). Returns an exit code (CTL_EXIT_*: 6 for an unknown agent, queue or call).
 */
int acd__ctl_entity(const acd__ctl_endpoint_t *ep, int argc, char **argv);

/*
 * The QUEUES, AGENTS and CALLS tables of acdctl status, from the lists of doc (a status
 * document, or an answer holding the same list); now is the document's clock (ms).
 * Return 0 or -ENOMEM.
 */
int acd__ctl_print_queues(json_object *doc, int64_t now, FILE *f);
int acd__ctl_print_agents(json_object *doc, int64_t now, FILE *f);
int acd__ctl_print_calls(json_object *doc, int64_t now, FILE *f);

#endif
