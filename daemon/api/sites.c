/* sites.c - the sites of the cluster, for GET /v1/cluster and the wallboard alike. */
#include "api/admin_int.h"

#include <stdbool.h>
#include <string.h>

/*
 * GET /v1/cluster and the wallboard show the same list of sites, so it is derived here,
 * once, from the status document: its "cluster" object (acd_member_status: this site's
 * lease and island flag, the leader, every peer's liveness, replication and the anycast
 * address its last heartbeat reported) and its "anycast" object (the process's own).
 */

static json_object *sites_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool sites_bool(json_object *o, const char *key)
{
    return json_object_get_boolean(sites_get(o, key)); /* false when absent */
}

static const char *sites_str(json_object *o, const char *key)
{
    json_object *v = sites_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* from's "anycast" object (this site's from the status document, a peer's from its
 * entry) as the sites show it: {announced, address, why}; NULL (null) without one. */
static json_object *sites_anycast(json_object *from)
{
    json_object *any = sites_get(from, "anycast");
    if (!any)
        return NULL;
    const char *addr = sites_str(any, "address"), *why = sites_str(any, "why");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "announced", json_object_new_boolean(sites_bool(any, "announced")));
    json_object_object_add(o, "address", json_object_new_string(addr ? addr : ""));
    json_object_object_add(o, "why", json_object_new_string(why ? why : ""));
    return o;
}

/* The members every row has; leader is the leader's name (NULL: none known). */
static json_object *sites_row(const char *name, bool self, bool live, const char *leader)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "site", json_object_new_string(name ? name : ""));
    json_object_object_add(o, "self", json_object_new_boolean(self));
    json_object_object_add(o, "live", json_object_new_boolean(live));
    json_object_object_add(o, "dark", json_object_new_boolean(!live));
    json_object_object_add(o, "leader",
                           json_object_new_boolean(leader && name && !strcmp(leader, name)));
    return o;
}

/* This site: live for the cluster while it holds its lease (ADR 0012); alone, always. */
static json_object *sites_self(json_object *doc, json_object *cluster, const char *leader)
{
    const char *lease = sites_str(sites_get(cluster, "lease"), "state");
    const char *name = sites_str(sites_get(doc, "site"), "name");
    json_object *o = sites_row(name, true, !cluster || (lease && !strcmp(lease, "held")), leader);
    if (cluster) {
        json_object_object_add(o, "lease", json_object_new_string(lease ? lease : ""));
        json_object_object_add(o, "island", json_object_new_boolean(sites_bool(cluster, "island")));
    }
    json_object_object_add(o, "lag_ms", NULL);
    json_object_object_add(o, "anycast", sites_anycast(doc));
    return o;
}

/* A peer: live while its key is in etcd; the rest as the member's status has it. */
static json_object *sites_peer(json_object *p, const char *leader)
{
    json_object *o = sites_row(sites_str(p, "site"), false, sites_bool(p, "live"), leader);
    static const char *const copied[] = {"state",  "connected", "lag_ms", "heartbeat_age_ms",
                                         "island", "draining"};
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
        if (json_object_object_get_ex(p, copied[i], NULL))
            json_object_object_add(o, copied[i], json_object_get(sites_get(p, copied[i])));
    /* A peer not heard yet has no "anycast" member at all: not reported, not none. */
    bool reported = json_object_object_get_ex(p, "anycast", NULL);
    json_object_object_add(o, "anycast_reported", json_object_new_boolean(reported));
    json_object_object_add(o, "anycast", sites_anycast(p));
    return o;
}

json_object *acd__admin_sites(json_object *doc, const char **leader)
{
    json_object *cluster = sites_get(doc, "cluster");
    const char *lead = sites_str(sites_get(cluster, "leader"), "site");
    json_object *sites = json_object_new_array();
    if (leader)
        *leader = lead;
    if (!sites)
        return NULL;
    json_object_array_add(sites, sites_self(doc, cluster, lead));
    json_object *peers = sites_get(cluster, "peers");
    size_t n = json_object_is_type(peers, json_type_array) ? json_object_array_length(peers) : 0;
    for (size_t i = 0; i < n; i++)
        json_object_array_add(sites, sites_peer(json_object_array_get_idx(peers, i), lead));
    return sites;
}
