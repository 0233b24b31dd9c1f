/* registrar.h - the location service for agent phones (RFC 3261 10): bindings with expiry. */
#ifndef ACD_SIP_REGISTRAR_H
#define ACD_SIP_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sip/dialog.h"
#include "sip/txn.h"

typedef struct acd_registrar acd_registrar_t;

/* One phone bound to a user: where to send its INVITEs. */
typedef struct acd_sip_binding {
    char user[64];
    char contact[ACD_SIP_DIALOG_STR]; /* the Contact URI as registered */
    acd_sip_peer_t peer;              /* where requests to it go */
    uint64_t expires_at;              /* uv_now() milliseconds */
} acd_sip_binding_t;

typedef struct acd_registrar_ops {
    /* True when user may register (an agent's SIP user). Unknown users are challenged. */
    bool (*known)(void *ud, const char *user);
    /* The Digest password of user, or NULL when the user registers without one. */
    const char *(*password)(void *ud, const char *user);
    /* The binding of user appeared (bound) or went away (expired, removed). */
    void (*changed)(void *ud, const char *user, bool bound);
} acd_registrar_ops_t;

/* Returns 0, -EINVAL, -ENOMEM. max_expires caps the granted expiry (seconds). */
int acd_registrar_alloc(acd_registrar_t **rp, uv_loop_t *loop, const acd_registrar_ops_t *ops,
                        void *ud, int max_expires);

/*
 * Handles a REGISTER on server transaction st: 200 with the binding (Contact;expires),
 * 401 Digest challenge for unknown users and for users with a password whose request
 * carries no valid credentials (realm "acdd", stateless nonces valid 5 minutes, MD5,
 * qop=auth), 423 for an expiry under 60 s, 400 for a bad Contact.
 * One binding per user: a new Contact replaces the old one.
 */
void acd_registrar_handle(acd_registrar_t *r, acd_sip_txn_t *st, const acd_sip_msg_t *req,
                          const acd_sip_peer_t *from);

/* The binding of user, or NULL. Valid until the next loop iteration. */
const acd_sip_binding_t *acd_registrar_lookup(const acd_registrar_t *r, const char *user);
size_t acd_registrar_count(const acd_registrar_t *r);
/* Calls cb for every binding (unspecified order); cb must not change the registrar. */
void acd_registrar_foreach(const acd_registrar_t *r,
                           void (*cb)(void *ud, const acd_sip_binding_t *b), void *ud);
void acd_registrar_set_max_expires(acd_registrar_t *r, int max_expires);

/* Closes the expiry timer and frees everything (no change callbacks). Idempotent. */
void acd_registrar_close(acd_registrar_t *r);

#endif
