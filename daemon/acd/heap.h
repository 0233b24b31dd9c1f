/* heap.h - an intrusive binary min-heap of nodes embedded in their owners. */
#ifndef ACD_ACD_HEAP_H
#define ACD_ACD_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Embed an acd__heap_node_t in the element and recover the element with
 * acd_container_of(). The heap orders nodes with the less() function given at init
 * (the top is the node no other node is less than; ties must be broken by the caller's
 * key so the order is total and runs are deterministic). The heap stores pointers and
 * never allocates or frees elements; it only grows its pointer array, and a push never
 * allocates when acd__heap_reserve() made room for it first. An element must not be
 * freed while it is in a heap.
 */
typedef struct acd__heap_node {
    size_t idx; /* place in the heap array; ACD__HEAP_NONE when not in a heap */
} acd__heap_node_t;

#define ACD__HEAP_NONE ((size_t)-1)

typedef bool (*acd__heap_less_fn)(const acd__heap_node_t *a, const acd__heap_node_t *b);

typedef struct acd__heap {
    acd__heap_node_t **v;
    size_t n, cap;
    acd__heap_less_fn less;
} acd__heap_t;

void acd__heap_init(acd__heap_t *h, acd__heap_less_fn less);
/* Frees the pointer array; the elements are the caller's and are left as they are. */
void acd__heap_fini(acd__heap_t *h);

/* Marks a node as in no heap; call once before its first push. */
static inline void acd__heap_node_init(acd__heap_node_t *n)
{
    n->idx = ACD__HEAP_NONE;
}

static inline bool acd__heap_linked(const acd__heap_node_t *n)
{
    return n->idx != ACD__HEAP_NONE;
}

static inline acd__heap_node_t *acd__heap_top(const acd__heap_t *h)
{
    return h->n ? h->v[0] : NULL;
}

/* Makes room for at least cap nodes in total. Returns 0 or -ENOMEM. */
int acd__heap_reserve(acd__heap_t *h, size_t cap);
/* Adds a node that is in no heap. Returns 0, or -ENOMEM when the array cannot grow. */
int acd__heap_push(acd__heap_t *h, acd__heap_node_t *n);
/* Removes a node that is in h; harmless when it is in no heap. */
void acd__heap_remove(acd__heap_t *h, acd__heap_node_t *n);
/* Restores the order after the key of n (which is in h) changed. */
void acd__heap_fix(acd__heap_t *h, acd__heap_node_t *n);

#endif
