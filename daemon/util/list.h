/* list.h - intrusive circular doubly-linked lists and container_of. */
#ifndef ACD_UTIL_LIST_H
#define ACD_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define acd_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * A list head and a list node are the same type. Embed an acd_list_t in the element,
 * keep one as the head in the owner, and never free an element still linked.
 * An initialised head points at itself; acd_list_remove() leaves the node self-linked,
 * so removing twice is harmless.
 */
typedef struct acd_list {
    struct acd_list *next;
    struct acd_list *prev;
} acd_list_t;

static inline void acd_list_init(acd_list_t *l)
{
    l->next = l->prev = l;
}

static inline bool acd_list_empty(const acd_list_t *l)
{
    return l->next == l;
}

static inline bool acd_list_linked(const acd_list_t *n)
{
    return n->next != NULL && n->next != n;
}

/* Inserts n before pos (at the tail when pos is the head). */
static inline void acd_list_insert_before(acd_list_t *pos, acd_list_t *n)
{
    n->prev = pos->prev;
    n->next = pos;
    pos->prev->next = n;
    pos->prev = n;
}

static inline void acd_list_push_back(acd_list_t *head, acd_list_t *n)
{
    acd_list_insert_before(head, n);
}

static inline void acd_list_push_front(acd_list_t *head, acd_list_t *n)
{
    acd_list_insert_before(head->next, n);
}

static inline void acd_list_remove(acd_list_t *n)
{
    if (n->next == NULL)
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    acd_list_init(n);
}

/* Iterates safely against removal of the current node. */
#define acd_list_foreach(pos, tmp, head)                                                  \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                     \
         (pos) = (tmp), (tmp) = (pos)->next)

#endif
