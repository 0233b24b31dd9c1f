/* test_util.c - the util module: hash map, buffer, error names, lists, UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/hmap.h"
#include "util/list.h"
#include "util/str.h"
#include "util/utf8.h"

/* ---- hmap ---- */

typedef struct item {
    acd_hmap_node_t node;
    char key[16];
    int value;
    int seen;
} item_t;

#define N_ITEMS 100000

static item_t *items_make(void)
{
    item_t *v = calloc(N_ITEMS, sizeof(*v));
    assert_non_null(v);
    for (int i = 0; i < N_ITEMS; i++) {
        snprintf(v[i].key, sizeof(v[i].key), "k%d", i);
        v[i].value = i;
    }
    return v;
}

static item_t *lookup(const acd_hmap_t *m, const char *key)
{
    acd_hmap_node_t *n = acd_hmap_get(m, acd_str_from(key));
    return n ? acd_container_of(n, item_t, node) : NULL;
}

static void test_hmap_basic(void **state)
{
    (void)state;
    acd_hmap_t m;
    acd_hmap_init(&m);
    assert_null(acd_hmap_get(&m, ACD_STR("absent"))); /* no buckets yet */
    item_t a = {.value = 1}, b = {.value = 2}, dup = {.value = 3};
    strcpy(a.key, "alpha");
    strcpy(b.key, "beta");
    strcpy(dup.key, "alpha");
    assert_int_equal(acd_hmap_insert(&m, &a.node, acd_str_from(a.key)), 0);
    assert_int_equal(acd_hmap_insert(&m, &b.node, acd_str_from(b.key)), 0);
    assert_int_equal(acd_hmap_insert(&m, &dup.node, acd_str_from(dup.key)), -EEXIST);
    assert_int_equal(m.count, 2);
    assert_ptr_equal(lookup(&m, "alpha"), &a);
    assert_ptr_equal(lookup(&m, "beta"), &b);
    assert_null(lookup(&m, "alph"));
    assert_null(lookup(&m, "alphaa"));
    /* Keys are byte strings: a prefix slice is a different key. */
    assert_null(acd_hmap_get(&m, (acd_str_t){"alphabet", 4}));
    assert_ptr_equal(acd_hmap_get(&m, (acd_str_t){"alphabet", 5}), &a.node);

    acd_hmap_remove(&m, &a.node);
    assert_int_equal(m.count, 1);
    assert_null(lookup(&m, "alpha"));
    acd_hmap_remove(&m, &a.node); /* harmless when absent */
    assert_int_equal(m.count, 1);
    assert_int_equal(acd_hmap_insert(&m, &dup.node, acd_str_from(dup.key)), 0);
    assert_ptr_equal(lookup(&m, "alpha"), &dup);
    acd_hmap_fini(&m);
    assert_int_equal(m.count, 0);
    assert_null(m.buckets);
}

static void test_hmap_100k(void **state)
{
    (void)state;
    item_t *v = items_make();
    acd_hmap_t m;
    acd_hmap_init(&m);
    size_t grows = 0, last_nb = 0;
    for (int i = 0; i < N_ITEMS; i++) {
        assert_int_equal(acd_hmap_insert(&m, &v[i].node, acd_str_from(v[i].key)), 0);
        if (m.nbuckets != last_nb) {
            grows++;
            last_nb = m.nbuckets;
        }
    }
    assert_int_equal(m.count, N_ITEMS);
    assert_true(grows > 5);             /* it grew many times on the way */
    assert_true(m.nbuckets >= N_ITEMS); /* load factor stays <= 1 */
    assert_int_equal(m.nbuckets & (m.nbuckets - 1), 0);
    for (int i = 0; i < N_ITEMS; i++) {
        item_t *it = lookup(&m, v[i].key);
        assert_non_null(it);
        assert_int_equal(it->value, i);
    }
    assert_null(lookup(&m, "k100000"));

    /* Iteration visits every element exactly once. */
    acd_hmap_iter_t iter;
    acd_hmap_node_t *n;
    size_t visited = 0;
    acd_hmap_iter_init(&iter, &m);
    while ((n = acd_hmap_iter_next(&iter)) != NULL) {
        acd_container_of(n, item_t, node)->seen++;
        visited++;
    }
    assert_int_equal(visited, N_ITEMS);
    for (int i = 0; i < N_ITEMS; i++)
        assert_int_equal(v[i].seen, 1);

    /* Removing the current node while iterating is allowed: remove every odd value. */
    acd_hmap_iter_init(&iter, &m);
    while ((n = acd_hmap_iter_next(&iter)) != NULL) {
        if (acd_container_of(n, item_t, node)->value % 2)
            acd_hmap_remove(&m, n);
    }
    assert_int_equal(m.count, N_ITEMS / 2);
    for (int i = 0; i < N_ITEMS; i++) {
        if (i % 2)
            assert_null(lookup(&m, v[i].key));
        else
            assert_ptr_equal(lookup(&m, v[i].key), &v[i]);
    }
    visited = 0;
    acd_hmap_iter_init(&iter, &m);
    while (acd_hmap_iter_next(&iter))
        visited++;
    assert_int_equal(visited, N_ITEMS / 2);

    /* Emptied, the map iterates nothing. */
    for (int i = 0; i < N_ITEMS; i += 2)
        acd_hmap_remove(&m, &v[i].node);
    assert_int_equal(m.count, 0);
    acd_hmap_iter_init(&iter, &m);
    assert_null(acd_hmap_iter_next(&iter));
    acd_hmap_fini(&m);
    free(v);
}

static void test_hmap_empty_iter(void **state)
{
    (void)state;
    acd_hmap_t m;
    acd_hmap_init(&m);
    acd_hmap_iter_t it;
    acd_hmap_iter_init(&it, &m);
    assert_null(acd_hmap_iter_next(&it));
    acd_hmap_fini(&m);
    assert_int_equal(acd_hash_bytes("", 0), acd_hash_bytes(NULL, 0));
    assert_true(acd_hash_bytes("a", 1) != acd_hash_bytes("b", 1));
}

/* ---- buf ---- */

static void test_buf_printf_growth(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    assert_int_equal(b.n, 0);
    assert_string_equal(acd_buf_str(&b).p, ""); /* an empty buffer is a valid empty slice */
    assert_int_equal(acd_buf_printf(&b, "%s=%d", "x", 42), 0);
    assert_string_equal(b.p, "x=42");
    assert_int_equal(b.n, 4);

    /* A line longer than the 256-byte stack scratch goes straight into the buffer. */
    char big[1000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(acd_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.n, 4 + 1 + 999 + 1);
    assert_int_equal(b.p[b.n], '\0');
    assert_int_equal(b.p[4], '[');
    assert_int_equal(b.p[b.n - 1], ']');
    assert_true(b.cap > b.n);

    /* Many appends: capacity keeps up, contents stay exact. */
    acd_buf_reset(&b);
    assert_int_equal(b.n, 0);
    assert_string_equal(b.p, "");
    for (int i = 0; i < 10000; i++)
        assert_int_equal(acd_buf_printf(&b, "%04d,", i % 10000), 0);
    assert_int_equal(b.n, 50000);
    assert_memory_equal(b.p + 5 * 1234, "1234,", 5);
    assert_int_equal(b.p[b.n], '\0');

    assert_int_equal(acd_buf_append_str(&b, ACD_STR("end")), 0);
    assert_memory_equal(b.p + b.n - 3, "end", 3);
    assert_int_equal(acd_buf_append(&b, "ignored", 0), 0);
    assert_int_equal(acd_buf_reserve(&b, (size_t)1 << 31), -ENOMEM);
    acd_buf_fini(&b);
    assert_null(b.p);
    assert_int_equal(b.n + b.cap, 0);
    /* A finished buffer may be reused. */
    assert_int_equal(acd_buf_append(&b, "again", 5), 0);
    assert_string_equal(b.p, "again");
    acd_buf_fini(&b);
}

static void test_buf_steal(void **state)
{
    (void)state;
    acd_buf_t b = {0};
    assert_int_equal(acd_buf_append(&b, "hello", 5), 0);
    assert_int_equal(acd_buf_printf(&b, " %s", "world"), 0);
    size_t len = 0;
    char *s = acd_buf_steal(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 11);
    assert_string_equal(s, "hello world");
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.cap, 0);
    free(s);
    assert_null(acd_buf_steal(&b, NULL)); /* nothing to steal from an empty buffer */
}

/* ---- errors ---- */

static void test_err_names(void **state)
{
    (void)state;
    assert_string_equal(acd_errname(0), "OK");
    assert_string_equal(acd_strerror(0), "success");
    assert_string_equal(acd_errname(-ENOMEM), "ENOMEM");
    assert_string_equal(acd_errname(-EINVAL), "EINVAL");
    assert_string_equal(acd_errname(-ETIMEDOUT), "ETIMEDOUT");
    assert_string_equal(acd_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(acd_errname(ACD_EPROTO), "ACD_EPROTO");
    assert_string_equal(acd_strerror(ACD_EPROTO), "protocol error from peer");
    assert_string_equal(acd_errname(ACD_EPARSE), "ACD_EPARSE");
    assert_string_equal(acd_strerror(ACD_ENOAGENT), "no such agent");
    assert_string_equal(acd_errname(ACD_ELIB), "ACD_ELIB");
    /* Every ACD code has a name and a message of its own. */
#define CHECK_CODE(name, value, msg)                                                               \
    assert_string_equal(acd_errname(name), #name);                                                 \
    assert_string_equal(acd_strerror(name), msg);                                                  \
    assert_true((name) < -ACD__EBASE);
    ACD_ERRORS(CHECK_CODE)
#undef CHECK_CODE
    assert_string_equal(acd_errname(-(ACD__EBASE + 999)), "EUNKNOWN");
    assert_string_equal(acd_strerror(-(ACD__EBASE + 999)), "unknown error");
    assert_string_equal(acd_strerror(5), "unknown error");
    assert_string_equal(acd_errname(5), "EUNKNOWN");
}

/* ---- list ---- */

typedef struct elem {
    acd_list_t link;
    int v;
} elem_t;

static void assert_list(acd_list_t *head, const int *want, size_t n)
{
    acd_list_t *pos, *tmp;
    size_t i = 0;
    acd_list_foreach(pos, tmp, head)
    {
        assert_true(i < n);
        assert_int_equal(acd_container_of(pos, elem_t, link)->v, want[i]);
        i++;
    }
    assert_int_equal(i, n);
    /* And backwards through prev. */
    for (pos = head->prev; pos != head; pos = pos->prev)
        assert_int_equal(acd_container_of(pos, elem_t, link)->v, want[--i]);
}

static void test_list_ops(void **state)
{
    (void)state;
    acd_list_t head;
    acd_list_init(&head);
    assert_true(acd_list_empty(&head));
    elem_t e[5];
    for (int i = 0; i < 5; i++) {
        e[i].v = i;
        acd_list_init(&e[i].link);
        assert_false(acd_list_linked(&e[i].link));
    }
    acd_list_push_back(&head, &e[1].link);
    acd_list_push_back(&head, &e[2].link);
    acd_list_push_front(&head, &e[0].link);
    acd_list_insert_before(&e[2].link, &e[3].link);
    assert_false(acd_list_empty(&head));
    assert_true(acd_list_linked(&e[3].link));
    assert_list(&head, (const int[]){0, 1, 3, 2}, 4);

    acd_list_remove(&e[3].link);
    assert_false(acd_list_linked(&e[3].link));
    acd_list_remove(&e[3].link); /* removing twice is harmless */
    assert_list(&head, (const int[]){0, 1, 2}, 3);

    /* A zeroed node (never initialised) may be removed too. */
    elem_t z = {0};
    acd_list_remove(&z.link);

    /* Removal of the current node during iteration. */
    acd_list_push_back(&head, &e[4].link);
    acd_list_t *pos, *tmp;
    acd_list_foreach(pos, tmp, &head)
    {
        if (acd_container_of(pos, elem_t, link)->v % 2 == 0)
            acd_list_remove(pos);
    }
    assert_list(&head, (const int[]){1}, 1);
    acd_list_remove(&e[1].link);
    assert_true(acd_list_empty(&head));
}

/* ---- UTF-8 ---- */

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        size_t valid;
    } cases[] = {
        {"", 0, 0},
        {"plain ascii", 11, 11},
        {"caf\xc3\xa9", 5, 5},      /* é */
        {"\xe2\x82\xac", 3, 3},     /* € */
        {"\xf0\x9f\x93\x9e", 4, 4}, /* U+1F4DE */
        {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF, the last code point */
        {"a\0b", 3, 3},             /* NUL is UTF-8; callers judge it */
        {"ab\x80", 3, 2},           /* stray continuation */
        {"\xc0\xaf", 2, 0},         /* overlong '/' */
        {"\xc1\xbf", 2, 0},         /* overlong */
        {"\xe0\x80\xaf", 3, 0},     /* overlong 3-byte */
        {"\xf0\x80\x80\xaf", 4, 0}, /* overlong 4-byte */
        {"x\xed\xa0\x80", 4, 1},    /* surrogate U+D800 */
        {"\xed\x9f\xbf", 3, 3},     /* U+D7FF, just below */
        {"\xf4\x90\x80\x80", 4, 0}, /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0}, /* invalid lead */
        {"\xff", 1, 0},
        {"ok\xe2\x82", 4, 2},       /* truncated at the end */
        {"\xe2\x28\xa1", 3, 0},     /* bad second byte */
        {"\xf0\x9f\x93\x28", 4, 0}, /* bad fourth byte */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(acd_utf8_valid_prefix(cases[i].s, cases[i].n), cases[i].valid);
        assert_int_equal(acd_utf8_valid(cases[i].s, cases[i].n), cases[i].valid == cases[i].n);
    }
    assert_true(acd_utf8_valid(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmap_basic),      cmocka_unit_test(test_hmap_100k),
        cmocka_unit_test(test_hmap_empty_iter), cmocka_unit_test(test_buf_printf_growth),
        cmocka_unit_test(test_buf_steal),       cmocka_unit_test(test_err_names),
        cmocka_unit_test(test_list_ops),        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
