/* control.c - what the process asks of its running site besides calls: health, control verbs. */
#include "callctl/control.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "callctl/callctl_int.h"

/* The member's lease state and island flag, read from its status object. */
static void control_member_health(acd_member_t *m, acd_callctl_health_t *out)
{
    json_object *doc = json_object_new_object(), *cluster = NULL, *lease = NULL, *v = NULL;
    if (!doc)
        return; /* out of memory: reported as no lease, the safe answer */
    acd_member_status(m, doc);
    if (json_object_object_get_ex(doc, "cluster", &cluster)) {
        if (json_object_object_get_ex(cluster, "lease", &lease) &&
            json_object_object_get_ex(lease, "state", &v))
            out->lease_held = !strcmp(json_object_get_string(v), "held");
        if (json_object_object_get_ex(cluster, "island", &v))
            out->island = json_object_get_boolean(v);
    }
    json_object_put(doc);
}

void acd_callctl_health(acd_callctl_t *cc, acd_callctl_health_t *out)
{
    memset(out, 0, sizeof(*out));
    out->draining = cc->draining;
    out->cluster = cc->cfg && cc->cfg->cluster;
    if (cc->member) {
        control_member_health(cc->member, out);
        out->adrift = acd_member_cluster_adrift(cc->member);
        out->lease_lost_ms = acd_member_lease_lost_ms(cc->member);
    }
}

void acd_callctl_set_control(acd_callctl_t *cc, const acd_admin_control_t *ctl, void *ud)
{
    if (cc->admin)
        acd_admin_set_control(cc->admin, ctl, ud);
}

void acd_callctl_set_anycast(acd_callctl_t *cc, const acd_anycast_t *a)
{
    cc->anycast = a;
}

void acd__cc_anycast(void *ud, acd_member_anycast_t *out)
{
    const acd_callctl_t *cc = ud;
    if (!cc->anycast)
        return;
    acd_anycast_state_t st;
    acd_anycast_read(cc->anycast, &st);
    out->configured = true;
    out->announced = st.announced;
    snprintf(out->address, sizeof(out->address), "%s", st.address);
    snprintf(out->why, sizeof(out->why), "%s", st.why);
}
