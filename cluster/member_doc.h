/* member_doc.h - an etcd key or prefix the member reads, then watches, in revision order. */
#ifndef ACD_CLUSTER_MEMBER_DOC_H
#define ACD_CLUSTER_MEMBER_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"
#include "cluster/member.h"

/*
 * Cluster-wide documents a supervisor writes rarely (tenants' live state, the drill
 * banner) live in etcd, and every site, the writer included, takes them from there: the
 * watch is the one path by which they change, so every site applies the same values in
 * the same (revision) order. A document watcher reads its key (or every key under its
 * prefix), hands what it found to its callback, then watches from the read's revision
 * + 1; when etcd compacted the revision the watch would resume from, it reads again. A
 * failed read is retried at once (the etcd client moves on to the next member).
 *
 * What the callback gets:
 *   - a key's read: its value, or kv NULL when the key does not exist (the read is the
 *     one truth about the key at its revision, so it is handed over whatever it holds);
 *   - a prefix's read: each key whose mod_revision is newer than the newest revision
 *     handed over before the read (the others were handed over already); a key deleted
 *     while no watch ran is not noticed;
 *   - the watch: each put (deleted false) and delete (deleted true: kv has the key and
 *     the revision only) not older than the newest revision handed over or read: every
 *     key of a change that touched several at once (a transaction, a prefix delete).
 * Everything in kv lives only during the callback.
 */

struct acd__member_doc;

/* A value of the document (see above); may start, stop or put documents. */
typedef void (*acd__member_doc_cb)(struct acd__member_doc *d, const acd_etcd_kv_t *kv,
                                   bool deleted);

/* One watched document, embedded in the member (its owner). */
typedef struct acd__member_doc {
    acd_member_t *m;
    char key[200]; /* the key, or the prefix */
    bool prefix;
    acd__member_doc_cb cb;
    acd_etcd_watch_t *watch; /* NULL while reading, stopped or failed to start */
    int64_t rev;             /* the newest revision handed over or read */
} acd__member_doc_t;

/*
 * Sets d up for key (copied; truncated at 199 bytes) of member m, a prefix when prefix
 * is true, with callback cb. Nothing is read until acd__member_doc_start().
 */
void acd__member_doc_init(acd__member_doc_t *d, acd_member_t *m, const char *key, bool prefix,
                          acd__member_doc_cb cb);

/* Reads the document, then watches it (above). Call once after init, with m's etcd up. */
void acd__member_doc_start(acd__member_doc_t *d);

/* Stops the watch: no more callbacks from it (a read in flight ends with m's etcd). */
void acd__member_doc_stop(acd__member_doc_t *d);

/*
 * Puts text (len bytes) at key in m's etcd, or deletes the key when text is NULL. cb
 * (may be NULL) gets 0 or etcd's error once etcd answered; fail_id (may be NULL) is the
 * log id a refusal is logged with at warn. Returns 0, -EINVAL (m closing or without
 * etcd, key NULL), -ENOMEM, or the etcd client's refusal (then cb is never called).
 */
int acd__member_doc_put(acd_member_t *m, const char *key, const char *text, size_t len,
                        const char *fail_id, void (*cb)(void *ud, int err), void *ud);

#endif
