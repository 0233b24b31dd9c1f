/* wallboard_int.h - what the wallboard's files share: its assets, its document, its stream. */
#ifndef ACD_API_WALLBOARD_INT_H
#define ACD_API_WALLBOARD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <h2o.h>
#include <json-c/json.h>

#include "api/admin.h"

/*
 * One file of daemon/api/wallboard/ (the page, its script and style), compiled into the
 * binary by cmake/AcdEmbed.cmake: no file is read at run time. name is the file's name
 * ("index.html"); data holds len bytes (not NUL-terminated).
 */
typedef struct acd__wb_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
} acd__wb_asset_t;

/* The generated table (wallboard_assets.c in the build tree). */
extern const acd__wb_asset_t acd__wb_assets[];
extern const size_t acd__wb_n_assets;

/*
 * api/wallboard_doc.c: the wallboard document at now_ms (docs/wallboard.md): per queue
 * and cluster-wide figures, agents, sites, drill and the Erlang C recommendation, built
 * from the same sources as GET /v1/status (whose document it reuses). Returns a new
 * object the caller puts, or NULL when memory ran out.
 */
json_object *acd__wb_doc(acd_admin_t *a, int64_t now_ms);

/*
 * api/wallboard_sites.c: adds "drill", "mode", "draining", "leader", "sites", "agents"
 * and "agent_states" to doc, from status (the GET /v1/status document, borrowed), the
 * core and the optional ops (drill, peer_agents). Sets *err to -ENOMEM when something
 * could not be allocated.
 */
void acd__wb_site_facts(acd_admin_t *a, json_object *doc, json_object *status, int64_t now,
                        int *err);

/*
 * JSON leaves for the builders (wallboard_doc.c). A failed allocation of a container
 * sets *err; a failed leaf becomes a null, and a NULL container swallows what is added.
 */
void acd__wb_set(json_object *o, const char *key, json_object *v); /* takes v; NULL: null */
json_object *acd__wb_num(double v, int decimals);                  /* NULL (null) when not finite */
json_object *acd__wb_obj(int *err);
json_object *acd__wb_arr(int *err);
void acd__wb_push(json_object *arr, json_object *v, int *err); /* takes v; NULL: *err */
int64_t acd__wb_get_int(json_object *o, const char *key);      /* 0 when absent */
const char *acd__wb_get_str(json_object *o, const char *key);  /* NULL unless a string */

/*
 * api/wallboard_sse.c: GET /wallboard/events, a text/event-stream of the document: one
 * event on connect, then one per second, the same built text for every client. At most
 * ACD__WB_CLIENTS_MAX streams at once; more get a 503. Sends the whole response.
 */
#define ACD__WB_CLIENTS_MAX 64
void acd__wb_events(acd_admin_t *a, h2o_req_t *req);

/* The number of live streams (tests, logs). */
size_t acd__wb_clients(const acd_admin_t *a);

#endif
