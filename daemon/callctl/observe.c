/* observe.c - the reports fed from the core's event stream (queue_log, KPI counters). */
#include "callctl/callctl_int.h"

void acd__cc_observe(acd_callctl_t *cc, const acd_event_t *ev, int rc, const acd_actions_t *acts)
{
    acd__cc_kpi_observe(cc, ev, rc, acts);
    acd__cc_qlog_observe(cc, ev, rc, acts);
}
