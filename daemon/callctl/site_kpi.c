/* site_kpi.c - the site's KPI counters: made with the site, set from its queues, fed by the core. */
#include <errno.h>
#include <stdlib.h>

#include "callctl/callctl_int.h"
#include "util/err.h"
#include "util/log.h"

int acd__cc_kpi_configure(acd_callctl_t *cc, const acd_config_t *cfg)
{
    if (!cc->kpi) {
        int rc = acd_kpi_alloc(&cc->kpi);
        if (rc < 0)
            return rc;
    }
    acd_kpi_queue_cfg_t *q = cfg->n_queues ? calloc(cfg->n_queues, sizeof(*q)) : NULL;
    if (cfg->n_queues && !q)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->n_queues; i++) {
        const acd_cfg_queue_t *cq = &cfg->queues[i];
        q[i] = (acd_kpi_queue_cfg_t){.queue = cq->name,
                                     .tenant = cq->tenant,
                                     .sl_threshold_ms = cq->sl_threshold_ms,
                                     .sl_target_pct = cq->sl_target_pct,
                                     .short_abandon_ms = cq->short_abandon_ms};
    }
    int rc = acd_kpi_configure(cc->kpi, q, cfg->n_queues);
    free(q);
    if (rc < 0)
        acd_log_err("ACD-SITE-KPI-CONFIG", "service level settings refused: %s", acd_strerror(rc));
    return rc;
}

void acd__cc_kpi_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc,
                         const acd_actions_t *acts)
{
    if (cc->kpi && acd_kpi_observe(cc->kpi, cc->core, ev, rc, acts, acd__cc_now(cc)) < 0)
        acd_log_warn("ACD-SITE-KPI-NOMEM", "type=%d a step was not counted",
                     ev ? (int)ev->type : -1);
}

acd_kpi_t *acd__cc_kpi(void *ud)
{
    return ((acd_callctl_t *)ud)->kpi;
}

const acd_kpi_t *acd__cc_kpi_read(void *ud)
{
    return ((acd_callctl_t *)ud)->kpi;
}

void acd__cc_kpi_fini(acd_callctl_t *cc)
{
    acd_kpi_free(cc->kpi);
    cc->kpi = NULL;
}
