/* hmap.c - intrusive chained hash map (FNV-1a, power-of-two buckets). */
#include "util/hmap.h"

#include <errno.h>
#include <stdlib.h>

uint64_t acd_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void acd_hmap_init(acd_hmap_t *m)
{
    m->buckets = NULL;
    m->nbuckets = 0;
    m->count = 0;
}

void acd_hmap_fini(acd_hmap_t *m)
{
    free(m->buckets);
    acd_hmap_init(m);
}

static int hmap_grow(acd_hmap_t *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 64;
    acd_hmap_node_t **b = calloc(nb, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < m->nbuckets; i++) {
        acd_hmap_node_t *n = m->buckets[i];
        while (n) {
            acd_hmap_node_t *next = n->next;
            size_t j = n->hash & (nb - 1);
            n->next = b[j];
            b[j] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
    return 0;
}

acd_hmap_node_t *acd_hmap_get(const acd_hmap_t *m, acd_str_t key)
{
    if (!m->nbuckets)
        return NULL;
    uint64_t h = acd_hash_bytes(key.p, key.n);
    for (acd_hmap_node_t *n = m->buckets[h & (m->nbuckets - 1)]; n; n = n->next) {
        if (n->hash == h && acd_str_eq(n->key, key))
            return n;
    }
    return NULL;
}

int acd_hmap_insert(acd_hmap_t *m, acd_hmap_node_t *node, acd_str_t key)
{
    if (acd_hmap_get(m, key))
        return -EEXIST;
    if (m->count + 1 > m->nbuckets) {
        int rc = hmap_grow(m);
        if (rc < 0)
            return rc;
    }
    node->key = key;
    node->hash = acd_hash_bytes(key.p, key.n);
    size_t j = node->hash & (m->nbuckets - 1);
    node->next = m->buckets[j];
    m->buckets[j] = node;
    m->count++;
    return 0;
}

void acd_hmap_remove(acd_hmap_t *m, acd_hmap_node_t *node)
{
    if (!m->nbuckets)
        return;
    acd_hmap_node_t **pp = &m->buckets[node->hash & (m->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        if (*pp == node) {
            *pp = node->next;
            node->next = NULL;
            m->count--;
            return;
        }
    }
}

void acd_hmap_iter_init(acd_hmap_iter_t *it, const acd_hmap_t *m)
{
    it->m = m;
    it->bucket = 0;
    it->next = NULL;
    while (it->bucket < m->nbuckets && !(it->next = m->buckets[it->bucket]))
        it->bucket++;
}

acd_hmap_node_t *acd_hmap_iter_next(acd_hmap_iter_t *it)
{
    acd_hmap_node_t *cur = it->next;
    if (!cur)
        return NULL;
    it->next = cur->next;
    while (!it->next && ++it->bucket < it->m->nbuckets)
        it->next = it->m->buckets[it->bucket];
    return cur;
}
