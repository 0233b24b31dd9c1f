/* hmap.h - intrusive chained hash map keyed by byte strings. */
#ifndef ACD_UTIL_HMAP_H
#define ACD_UTIL_HMAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/list.h" /* acd_container_of */
#include "util/str.h"

/*
 * Embed an acd_hmap_node_t in the element and point node->key at bytes the element
 * owns for as long as it is in the map. The map never allocates or frees elements;
 * it only grows its bucket array. Keys are unique: insert fails with -EEXIST.
 */
typedef struct acd_hmap_node {
    struct acd_hmap_node *next;
    acd_str_t key;
    uint64_t hash;
} acd_hmap_node_t;

typedef struct acd_hmap {
    acd_hmap_node_t **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
} acd_hmap_t;

void acd_hmap_init(acd_hmap_t *m);
/* Frees the bucket array; the elements are the caller's. */
void acd_hmap_fini(acd_hmap_t *m);
/* Links node under key (kept by reference); returns 0, -EEXIST or -ENOMEM. */
int acd_hmap_insert(acd_hmap_t *m, acd_hmap_node_t *node, acd_str_t key);
acd_hmap_node_t *acd_hmap_get(const acd_hmap_t *m, acd_str_t key);
/* Unlinks node if present; harmless when it is not. */
void acd_hmap_remove(acd_hmap_t *m, acd_hmap_node_t *node);
uint64_t acd_hash_bytes(const void *p, size_t n);

/* Iteration that tolerates removal of the current node: */
typedef struct acd_hmap_iter {
    const acd_hmap_t *m;
    size_t bucket;
    acd_hmap_node_t *next;
} acd_hmap_iter_t;
void acd_hmap_iter_init(acd_hmap_iter_t *it, const acd_hmap_t *m);
acd_hmap_node_t *acd_hmap_iter_next(acd_hmap_iter_t *it);

#endif
