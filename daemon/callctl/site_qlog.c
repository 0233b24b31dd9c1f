/* site_qlog.c - the site's queue_log (docs/queue_log.md): opened with the site, fed by the core. */
#include <errno.h>
#include <stdlib.h>

#include "callctl/callctl_int.h"
#include "util/err.h"
#include "util/log.h"

int acd__cc_qlog_open(acd_callctl_t *cc, const acd_config_t *cfg)
{
    if (!cfg->queue_log_path)
        return 0;
    int rc = acd_queue_log_open(&cc->qlog, cfg->queue_log_path, acd__cc_now(cc));
    if (rc < 0) {
        cc->qlog = NULL;
        acd_log_err("ACD-SITE-QUEUE-LOG", "cannot open queue_log %s: %s", cfg->queue_log_path,
                    acd_strerror(rc));
    }
    return rc;
}

/*
 * The memberships of cfg as the formatter reads them: only the agents of a core
 * configuration are filled (their ids and queues point into cfg).
 */
static void qlog_configure(acd_callctl_t *cc, const acd_config_t *cfg, const acd_actions_t *acts)
{
    if (!cc->qlog)
        return;
    acd_core_agent_cfg_t *agents = calloc(cfg->n_agents ? cfg->n_agents : 1, sizeof(*agents));
    if (!agents) {
        acd_log_err("ACD-QLOG-WRITE-FAILED", "out of memory: queue memberships not logged");
        return;
    }
    for (size_t i = 0; i < cfg->n_agents; i++)
        agents[i] = (acd_core_agent_cfg_t){.id = cfg->agents[i].id,
                                           .queues = (const char *const *)cfg->agents[i].queues,
                                           .n_queues = cfg->agents[i].n_queues};
    acd_core_cfg_t cc_cfg = {.agents = agents, .n_agents = cfg->n_agents};
    acd_queue_log_configure(cc->qlog, cc->core, &cc_cfg, acts, acd__cc_now(cc));
    free(agents);
}

/* The actions are those acd_core_configure just left in cc->acts (a removed agent's
 * logout). */
void acd__cc_qlog_configure(acd_callctl_t *cc, const acd_config_t *cfg)
{
    qlog_configure(cc, cfg, &cc->acts);
}

void acd__cc_qlog_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc,
                          const acd_actions_t *acts)
{
    if (cc->qlog)
        acd_queue_log_observe(cc->qlog, cc->core, ev, rc, acts, acd__cc_now(cc));
}

/*
 * SIGHUP: the file again by path (logrotate moved it away), at the path the reloaded
 * configuration names; turned off, the file is closed; turned on, it is opened (calls
 * already in progress then get their lines from their next entry into a queue).
 */
void acd__cc_qlog_reopen(acd_callctl_t *cc)
{
    const char *path = cc->cfg->queue_log_path;
    if (!path) {
        if (cc->qlog)
            acd_log_notice("ACD-QLOG-OFF", "queue_log closed: the configuration turned it off");
        acd__cc_qlog_close(cc);
        return;
    }
    if (!cc->qlog) {
        /* Its first configure only records the memberships: no ADDMEMBER for them all. */
        if (acd__cc_qlog_open(cc, cc->cfg) == 0)
            qlog_configure(cc, cc->cfg, NULL);
        return;
    }
    int rc = acd_queue_log_reopen(cc->qlog, path);
    if (rc < 0)
        acd_log_err("ACD-QLOG-REOPEN-FAILED", "path=%s err=%s: writing on to the old file", path,
                    acd_strerror(rc));
}

void acd__cc_qlog_close(acd_callctl_t *cc)
{
    acd_queue_log_close(cc->qlog);
    cc->qlog = NULL;
}
