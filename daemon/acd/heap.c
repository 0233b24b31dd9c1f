/* heap.c - an intrusive binary min-heap of nodes embedded in their owners. */
#include "acd/heap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void acd__heap_init(acd__heap_t *h, acd__heap_less_fn less)
{
    h->v = NULL;
    h->n = 0;
    h->cap = 0;
    h->less = less;
}

void acd__heap_fini(acd__heap_t *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->idx = ACD__HEAP_NONE;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

int acd__heap_reserve(acd__heap_t *h, size_t cap)
{
    if (cap <= h->cap)
        return 0;
    size_t nc = h->cap ? h->cap : 8;
    while (nc < cap)
        nc *= 2;
    if (nc > SIZE_MAX / sizeof(*h->v))
        return -ENOMEM;
    acd__heap_node_t **v = realloc(h->v, nc * sizeof(*v));
    if (!v)
        return -ENOMEM;
    h->v = v;
    h->cap = nc;
    return 0;
}

static void heap_set(acd__heap_t *h, size_t i, acd__heap_node_t *n)
{
    h->v[i] = n;
    n->idx = i;
}

/* Moves the node at i towards the root while it is less than its parent. */
static bool heap_up(acd__heap_t *h, size_t i)
{
    acd__heap_node_t *n = h->v[i];
    size_t start = i;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->less(n, h->v[parent]))
            break;
        heap_set(h, i, h->v[parent]);
        i = parent;
    }
    heap_set(h, i, n);
    return i != start;
}

/* Moves the node at i towards the leaves while a child is less than it. */
static void heap_down(acd__heap_t *h, size_t i)
{
    acd__heap_node_t *n = h->v[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && h->less(h->v[child + 1], h->v[child]))
            child++;
        if (!h->less(h->v[child], n))
            break;
        heap_set(h, i, h->v[child]);
        i = child;
    }
    heap_set(h, i, n);
}

int acd__heap_push(acd__heap_t *h, acd__heap_node_t *n)
{
    int rc = acd__heap_reserve(h, h->n + 1);
    if (rc < 0)
        return rc;
    heap_set(h, h->n++, n);
    heap_up(h, n->idx);
    return 0;
}

void acd__heap_remove(acd__heap_t *h, acd__heap_node_t *n)
{
    size_t i = n->idx;
    if (i == ACD__HEAP_NONE || i >= h->n || h->v[i] != n)
        return;
    n->idx = ACD__HEAP_NONE;
    acd__heap_node_t *last = h->v[--h->n];
    if (last == n)
        return;
    heap_set(h, i, last);
    acd__heap_fix(h, last);
}

void acd__heap_fix(acd__heap_t *h, acd__heap_node_t *n)
{
    if (!heap_up(h, n->idx))
        heap_down(h, n->idx);
}
