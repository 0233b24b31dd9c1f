/* kpi_int.h - the KPI counter set's private state, shared by kpi.c and kpi_remote.c. */
#ifndef ACD_REPORT_KPI_INT_H
#define ACD_REPORT_KPI_INT_H

#include "report/kpi.h"

/*
 * A sorted array of pointers to elements whose first member is their NUL-terminated name
 * (char name[ACD_ID_MAX]): lookups are binary searches, iteration is in name order, and
 * nothing is allocated while reading. Sizes stay small (queues, agents, peers).
 */
typedef struct acd__kpi_vec {
    void **v;
    size_t n, cap;
} acd__kpi_vec_t;

/* The index of name in vec, or where it would be inserted; *found says which. */
size_t acd__kpi_vec_find(const acd__kpi_vec_t *vec, const char *name, bool *found);
/* Makes room for extra more elements. Returns 0 or -ENOMEM (vec unchanged). */
int acd__kpi_vec_reserve(acd__kpi_vec_t *vec, size_t extra);
/* Inserts p at pos (room reserved before). */
void acd__kpi_vec_insert(acd__kpi_vec_t *vec, size_t pos, void *p);

/* One queue counted here. */
typedef struct acd__kpi_queue {
    char name[ACD_ID_MAX]; /* first: acd__kpi_vec_t's key */
    char tenant[ACD_ID_MAX];
    int sl_threshold_ms, sl_target_pct, short_abandon_ms;
    acd_kpi_counts_t counts;
    uint64_t slot[ACD_KPI_WINDOW_MIN];   /* offered per minute */
    int64_t slot_min[ACD_KPI_WINDOW_MIN]; /* which minute (now / 60000) a slot counts */
} acd__kpi_queue_t;

/* One agent counted here. */
typedef struct acd__kpi_agent {
    char id[ACD_ID_MAX]; /* first: the key */
    acd_agent_state_t state;
    acd_ms_t since;
    int64_t state_ms[ACD_KPI_AGENT_STATES];
    char queue[ACD_ID_MAX]; /* the queue of its current or last call: its wrap-up's */
} acd__kpi_agent_t;

/* One peer's last report, with the strings it borrows. */
typedef struct acd__kpi_site {
    char name[ACD_ID_MAX]; /* first: the key */
    acd_ms_t at;
    acd_kpi_remote_t report; /* report.queues is qs, sorted by name */
    acd_kpi_queue_t *qs;
    char (*names)[2][ACD_ID_MAX]; /* queue, tenant of qs[i] */
} acd__kpi_site_t;

struct acd_kpi {
    acd__kpi_vec_t queues; /* acd__kpi_queue_t */
    acd__kpi_vec_t agents; /* acd__kpi_agent_t */
    acd__kpi_vec_t sites;  /* acd__kpi_site_t */
    bool started;
    acd_ms_t start_ms; /* the first observed now: where the arrival window may begin */
};

/* Fills out with queue q's settings, counters and arrivals at now, gauges from core. */
void acd__kpi_queue_read(const acd_kpi_t *k, const acd__kpi_queue_t *q, const acd_core_t *core,
                         acd_ms_t now, acd_kpi_queue_t *out);
void acd__kpi_sites_free(acd_kpi_t *k);

#endif
