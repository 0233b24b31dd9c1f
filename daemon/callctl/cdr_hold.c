/* cdr_hold.c - CDRs held back while this site may be taken over (ADR 0014). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callctl/callctl_int.h"
#include "util/err.h"
#include "util/log.h"

/*
 * A site cut off from its peers cannot tell whether they will declare it dark and hand
 * its calls to a sister. A call that ends here while no peer hears us may therefore be
 * adopted by the sister anyway (its end never reached the sister's replica), and the
 * sister then writes the call's CDR. So while the member says a takeover is possible
 * (acd_member_cdr_hold), a call's CDR is held, not written. The member settles the held
 * CDRs (acd__cc_cdr_release) once it knows: not taken over (the peers hear us again with
 * our lease kept, or etcd holds no takeover record of this run) writes them all; taken
 * over drops those of calls the peers knew (the sister writes them) and writes the rest.
 * At exit, CDRs still held go to <cdr file>.indoubt for billing to reconcile.
 */

#define CDR_HOLD_MAX 100000

static void cdr_write_one(acd_cdr_writer_t *w, const acd_cdr_t *cdr)
{
    int rc = acd_cdr_write(w, cdr);
    if (rc < 0)
        acd_log_err("ACD-CDR-WRITE-FAILED", "call=%s err=%s", cdr->call_id, acd_errname(rc));
}

/* The call's record in every CDR file the site writes: JSON lines, and CSV when set. */
static void cdr_write(acd_callctl_t *cc, const acd_cdr_t *cdr)
{
    cdr_write_one(cc->cdr, cdr);
    if (cc->cdr_csv)
        cdr_write_one(cc->cdr_csv, cdr);
}

void acd__cc_cdr_out(acd_callctl_t *cc, const acd_cdr_t *cdr)
{
    if (!cc->cdr)
        return;
    bool exposed = false;
    if (cc->member && cc->n_held < CDR_HOLD_MAX &&
        acd_member_cdr_hold(cc->member, cdr->enqueue_ms, &exposed)) {
        if (cc->n_held == cc->cap_held) {
            size_t cap = cc->cap_held ? cc->cap_held * 2 : 16;
            cc_held_cdr_t *v = realloc(cc->held, cap * sizeof(*v));
            if (!v) {
                acd_log_err("ACD-CDR-HOLD-FAILED", "call=%s: out of memory, written now",
                            cdr->call_id);
                cdr_write(cc, cdr);
                return;
            }
            cc->held = v;
            cc->cap_held = cap;
        }
        cc->held[cc->n_held++] = (cc_held_cdr_t){.cdr = *cdr, .exposed = exposed};
        acd_log_notice("ACD-CDR-HELD", "call=%s exposed=%s: no peer hears this site; held until"
                       " it is known whether a sister took the call over", cdr->call_id,
                       exposed ? "yes" : "no");
        return;
    }
    cdr_write(cc, cdr);
}

void acd__cc_cdr_release(void *ud, const char *sister)
{
    acd_callctl_t *cc = ud;
    size_t written = 0, dropped = 0;
    for (size_t i = 0; i < cc->n_held; i++) {
        const cc_held_cdr_t *h = &cc->held[i];
        if (sister && h->exposed) {
            acd_log_notice("ACD-CDR-HANDED-OVER", "call=%s sister=%s: the sister adopted the call"
                           " and writes its CDR", h->cdr.call_id, sister);
            dropped++;
            continue;
        }
        if (cc->cdr)
            cdr_write(cc, &h->cdr);
        written++;
    }
    if (cc->n_held)
        acd_log_notice("ACD-CDR-RELEASED", "taken_over=%s written=%zu dropped=%zu",
                       sister ? sister : "no", written, dropped);
    cc->n_held = 0;
}

void acd__cc_cdr_hold_fini(acd_callctl_t *cc)
{
    if (cc->n_held && cc->cfg && cc->cfg->cdr_path) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.indoubt", cc->cfg->cdr_path);
        acd_cdr_writer_t *w = NULL;
        int rc = acd_cdr_writer_open(&w, path, cc->cfg->site_name);
        for (size_t i = 0; rc == 0 && i < cc->n_held; i++)
            cdr_write_one(w, &cc->held[i].cdr);
        if (w)
            acd_cdr_writer_close(w);
        acd_log_warn("ACD-CDR-IN-DOUBT", "%zu CDRs held at exit written to %s%s%s", cc->n_held,
                     path, rc < 0 ? ": " : "", rc < 0 ? acd_strerror(rc) : "");
    }
    free(cc->held);
    cc->held = NULL;
    cc->n_held = cc->cap_held = 0;
}

void acd__cc_cdr_reopen(acd_callctl_t *cc)
{
    acd_cdr_writer_t *w[] = {cc->cdr, cc->cdr_csv};
    const char *path[] = {cc->cfg->cdr_path, cc->cfg->cdr_csv_path};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        int rc = w[i] ? acd_cdr_writer_reopen(w[i]) : 0;
        if (rc < 0)
            acd_log_err("ACD-CDR-REOPEN-FAILED", "file=%s err=%s: still writing the old file",
                        path[i] ? path[i] : "-", acd_errname(rc));
    }
}
