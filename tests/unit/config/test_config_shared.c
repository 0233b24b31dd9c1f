/* test_config_shared.c - the shared config (etcd): loader, errors, merge with a site file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/err.h"

#define ENTITIES                                                                                   \
    "tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n"                                     \
    "queues: [{name: main, tenant: demo}]\n"                                                       \
    "agents: [{id: \"2001\", queues: [main]}]\n"
#define SITE_LINE "site: {name: one, address: 127.0.0.1}\n"

static int load_shared(const char *yaml, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return acd_config_shared_load_string(yaml, strlen(yaml), "s.yaml", cfgp, errs);
}

static acd_config_t *must_load_site(const char *yaml)
{
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = acd_config_load_string(yaml, strlen(yaml), "site.yaml", &cfg, &errs);
    if (rc)
        acd_config_errors_print(&errs, "site.yaml", stdout);
    assert_int_equal(rc, 0);
    acd_config_errors_fini(&errs);
    return cfg;
}

static acd_config_t *must_load_shared(const char *yaml)
{
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = load_shared(yaml, &cfg, &errs);
    if (rc)
        acd_config_errors_print(&errs, "s.yaml", stdout);
    assert_int_equal(rc, 0);
    acd_config_errors_fini(&errs);
    return cfg;
}

/* ---- loading -------------------------------------------------------------------------------- */

static void test_entities(void **state)
{
    (void)state;
    acd_config_t *cfg = must_load_shared(ENTITIES);
    assert_true(cfg->shared_entities);
    assert_false(cfg->shared_trunks);
    assert_false(cfg->cluster);
    assert_null(cfg->site_name);
    assert_null(cfg->sip_listen); /* a site's own settings get no defaults */
    assert_int_equal(cfg->n_tenants, 1);
    assert_string_equal(cfg->tenants[0].language, "en");
    assert_int_equal(cfg->n_queues, 1);
    assert_string_equal(cfg->queues[0].strategy, "longest-idle");
    assert_int_equal(cfg->queues[0].ring_timeout_ms, 15000);
    assert_int_equal(cfg->n_agents, 1);
    assert_string_equal(cfg->agents[0].sip_user, "2001");
    assert_int_equal(cfg->n_trunks, 0);
    assert_string_equal(cfg->path, "s.yaml");
    acd_config_free(cfg);
}

static void test_trunks_only(void **state)
{
    (void)state;
    acd_config_t *cfg = must_load_shared("trunks: [{name: t, networks: [10.0.0.0/8]}]\n");
    assert_true(cfg->shared_trunks);
    assert_false(cfg->shared_entities);
    assert_int_equal(cfg->n_trunks, 1);
    assert_int_equal(cfg->trunks[0].n_networks, 1);
    acd_config_free(cfg);

    /* An empty list is a list the document sets. */
    cfg = must_load_shared("trunks: []\nagents: []\n");
    assert_true(cfg->shared_trunks);
    assert_true(cfg->shared_entities);
    acd_config_free(cfg);
}

typedef struct shared_case {
    const char *yaml;
    int line;
    const char *want;
} shared_case_t;

static const shared_case_t shared_cases[] = {
    {"", 0, "the file is empty: a shared config needs trunks, tenants, queues or agents"},
    {"# only a comment\n", 0, "the file is empty"},
    {"{}\n", 1, "a shared config needs trunks, tenants, queues or agents"},
    {"tenants:\n", 1, "a shared config needs trunks"},
    {"[a, b]\n", 1, "the top level must be a mapping (trunks:, tenants:, queues:, agents:)"},
    {SITE_LINE ENTITIES, 1,
     "unknown top-level key 'site': a shared config holds only trunks, tenants, queues and agents"},
    {ENTITIES "cluster: {etcd: [http://127.0.0.1:2379]}\n", 4, "unknown top-level key 'cluster'"},
    {ENTITIES "drain_timeout: 3\n", 4, "unknown top-level key 'drain_timeout'"},
    {"tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n", 1,
     "tenant 'demo' uses unknown queue 'main'"},
    {"agents: [{id: \"2001\", queues: [main]}]\n", 1, "agent '2001' is in unknown queue 'main'"},
    {ENTITIES "queues: []\n", 4, "duplicate key 'queues' in the top level (first on line 2)"},
    {"queues: [{name: main, tenant: nobody}]\n", 1,
     "queue 'main' belongs to unknown tenant 'nobody'"},
    {"queues:\n  - name: main\n    tenant: demo\n    ring_timeout: 0.01\n"
     "tenants: [{name: demo, queue: main}]\n",
     4, "'ring_timeout' must be between 0.1 and 300 seconds (got 0.01)"},
    {"tenants:\n  - {name: a, dids: [\"1\"], queue: qa}\n  - {name: b, dids: [\"1\"], queue: qb}\n"
     "queues: [{name: qa, tenant: a}, {name: qb, tenant: b}]\n",
     3, "DID '1' of tenant 'b' is already used by tenant 'a' (line 2)"},
    {"trunks: [{name: t, networks: [10.0.0.0/33]}]\n", 1, "bad network '10.0.0.0/33'"},
    {"trunks: [{name: t}]\n", 1, "missing required key 'networks' in trunk 't'"},
    {"agents: [{id: \"2001\", colour: red}]\n", 1, "unknown key 'colour' in agent '2001'"},
    {"tenants: [{name: demo\n", 2, "YAML syntax error"},
    {ENTITIES "---\nagents: []\n", 5, "only one YAML document per file is allowed"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(shared_cases) / sizeof(shared_cases[0]); i++) {
        const shared_case_t *c = &shared_cases[i];
        acd_config_t *cfg = NULL;
        acd_config_errors_t errs = {0};
        int rc = load_shared(c->yaml, &cfg, &errs);
        bool found = false;
        for (size_t j = 0; j < errs.n; j++)
            found |= errs.v[j].line == c->line && strstr(errs.v[j].message, c->want) != NULL;
        if (rc != ACD_ECONFIG || !found) {
            printf("case %zu: rc %s, wanted line %d: ...%s...; got:\n", i, acd_errname(rc), c->line,
                   c->want);
            acd_config_errors_print(&errs, "s.yaml", stdout);
            fail();
        }
        assert_null(cfg);
        acd_config_errors_fini(&errs);
    }
}

/*
 * The same entries give the same errors, line for line, in a shared document and in a
 * site file (the site's own section goes last so that the lines stay where they are).
 */
static const char *const same_bodies[] = {
    "tenants:\n  - name: demo\n    dids: [1000]\n    queue: main\n    language: fr\n"
    "  - name: other\n    dids: [1000]\n    queue: main\n"
    "queues:\n  - name: main\n    tenant: demo\n    strategy: round-robin\n    ring_timeout: 0.01\n"
    "agents:\n  - id: 2001\n  - id: 2002\n    sip_user: 2001\n  - id: 2003\n    queues: [sales]\n"
    "trunks:\n  - name: t\n    networks: [10.0.0.0/33]\n",
    "queues: [{name: q, tenant: ghost, max_no_answer: 101, wrapup: x}]\n"
    "agents: [{id: a, queues: [q, q]}, {id: a}]\n",
    "trunks: [{name: t, networks: [127.0.0.0/8]}, {name: t, networks: []}]\n",
};

static void test_same_errors_as_site_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(same_bodies) / sizeof(same_bodies[0]); i++) {
        char site[4096];
        snprintf(site, sizeof(site), "%s%s", same_bodies[i], SITE_LINE);
        acd_config_t *a = NULL, *b = NULL;
        acd_config_errors_t ea = {0}, eb = {0};
        assert_int_equal(load_shared(same_bodies[i], &a, &ea), ACD_ECONFIG);
        assert_int_equal(acd_config_load_string(site, strlen(site), "s.yaml", &b, &eb),
                         ACD_ECONFIG);
        if (ea.n != eb.n) {
            printf("body %zu: shared:\n", i);
            acd_config_errors_print(&ea, "s.yaml", stdout);
            printf("site:\n");
            acd_config_errors_print(&eb, "s.yaml", stdout);
        }
        assert_int_equal(ea.n, eb.n);
        assert_true(ea.n >= 2);
        for (size_t j = 0; j < ea.n; j++) {
            assert_int_equal(ea.v[j].line, eb.v[j].line);
            assert_string_equal(ea.v[j].message, eb.v[j].message);
        }
        acd_config_errors_fini(&ea);
        acd_config_errors_fini(&eb);
    }
}

static void test_file(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(acd_config_shared_load("/nonexistent/shared.yaml", &cfg, &errs), -ENOENT);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.v[0].line, 0);
    assert_string_equal(errs.v[0].message, "cannot open: No such file or directory");
    acd_config_errors_fini(&errs);

    char path[] = "/tmp/acd-shared-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(ENTITIES, f);
    fclose(f);
    assert_int_equal(acd_config_shared_load(path, &cfg, &errs), 0);
    assert_string_equal(cfg->path, path);
    assert_int_equal(cfg->n_agents, 1);
    acd_config_free(cfg);

    /* The very bytes, for a caller that checks and then stores them. */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(acd_config_read(path, &text, &len, &errs), 0);
    assert_int_equal(len, strlen(ENTITIES));
    assert_string_equal(text, ENTITIES);
    free(text);
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(acd_config_read(path, &text, &len, &errs), 0);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(errs.n, 0);
    unlink(path);
    assert_int_equal(acd_config_read(path, &text, &len, &errs), -ENOENT);
    assert_int_equal(errs.n, 1);
    acd_config_errors_fini(&errs);
}

/* ---- merging -------------------------------------------------------------------------------- */

#define SITE_FILE                                                                                  \
    SITE_LINE                                                                                      \
    "sip: {port: 5070}\n"                                                                          \
    "cluster:\n"                                                                                   \
    "  etcd: [http://127.0.0.1:2379]\n"                                                            \
    "  events: tcp://127.0.0.1:7101\n"                                                             \
    "  requests: tcp://127.0.0.1:7102\n"                                                           \
    "  peers: [{name: two, events: tcp://127.0.0.2:7101, requests: tcp://127.0.0.2:7102}]\n"       \
    "  sisters: [two]\n"                                                                           \
    "trunks: [{name: local, networks: [127.0.0.0/8]}]\n"                                           \
    "tenants: [{name: own, dids: [\"9\"], queue: q}]\n"                                            \
    "queues: [{name: q, tenant: own}]\n"                                                           \
    "agents: [{id: \"7\", password: pw, queues: [q]}]\n"

#define SHARED_BOTH                                                                                \
    "trunks: [{name: carrier, networks: [192.0.2.0/24, \"2001:db8::/32\"]}]\n"                     \
    "tenants: [{name: acme, dids: [\"1000\", \"1001\"], queue: sales, language: es}]\n"            \
    "queues: [{name: sales, tenant: acme, priority: 5}, {name: support, tenant: acme}]\n"          \
    "agents: [{id: \"2001\", sip_user: alice, queues: [sales, support]}, {id: \"2002\"}]\n"

static void test_merge_both(void **state)
{
    (void)state;
    acd_config_t *site = must_load_site(SITE_FILE);
    acd_config_t *shared = must_load_shared(SHARED_BOTH);
    acd_config_t *m = NULL;
    assert_int_equal(acd_config_merge(site, shared, &m), 0);
    /* The copy owns everything: the inputs can go first. */
    acd_config_free(site);
    acd_config_free(shared);

    assert_string_equal(m->path, "site.yaml");
    assert_string_equal(m->site_name, "one");
    assert_string_equal(m->sip_listen, "127.0.0.1");
    assert_int_equal(m->sip_port, 5070);
    assert_true(m->cluster);
    assert_int_equal(m->n_etcd_endpoints, 1);
    assert_string_equal(m->etcd_endpoints[0], "http://127.0.0.1:2379");
    assert_string_equal(m->cluster_prefix, "/acdd");
    assert_string_equal(m->link_events, "tcp://127.0.0.1:7101");
    assert_int_equal(m->n_peers, 1);
    assert_string_equal(m->peers[0].requests, "tcp://127.0.0.2:7102");
    assert_int_equal(m->n_sisters, 1);
    assert_string_equal(m->sisters[0], "two");
    assert_false(m->shared_trunks || m->shared_entities);

    assert_int_equal(m->n_trunks, 1);
    assert_string_equal(m->trunks[0].name, "carrier");
    assert_int_equal(m->trunks[0].n_networks, 2);
    assert_int_equal(m->trunks[0].networks[0].prefix, 24);
    assert_int_equal(m->n_tenants, 1);
    assert_string_equal(m->tenants[0].name, "acme");
    assert_int_equal(m->tenants[0].n_dids, 2);
    assert_string_equal(m->tenants[0].dids[1], "1001");
    assert_string_equal(m->tenants[0].language, "es");
    assert_int_equal(m->n_queues, 2);
    assert_int_equal(m->queues[0].priority, 5);
    assert_string_equal(m->queues[1].strategy, "longest-idle");
    assert_int_equal(m->n_agents, 2);
    assert_string_equal(m->agents[0].sip_user, "alice");
    assert_int_equal(m->agents[0].n_queues, 2);
    assert_string_equal(m->agents[0].queues[1], "support");
    assert_null(m->agents[1].password);
    assert_int_equal(m->agents[1].n_queues, 0);
    acd_config_free(m);
}

/* A list the shared document does not set stays the site's own. */
static void test_merge_partial(void **state)
{
    (void)state;
    acd_config_t *site = must_load_site(SITE_FILE);
    acd_config_t *m = NULL;

    acd_config_t *shared =
        must_load_shared("trunks: [{name: carrier, networks: [192.0.2.0/24]}]\n");
    assert_int_equal(acd_config_merge(site, shared, &m), 0);
    acd_config_free(shared);
    assert_string_equal(m->trunks[0].name, "carrier");
    assert_int_equal(m->n_tenants, 1);
    assert_string_equal(m->tenants[0].name, "own");
    assert_string_equal(m->agents[0].password, "pw");
    assert_string_equal(m->agents[0].queues[0], "q");
    acd_config_free(m);

    /* Agents alone (none in a queue): the three lists come together, so no tenants. */
    shared = must_load_shared("agents: [{id: \"5\"}]\n");
    assert_int_equal(acd_config_merge(site, shared, &m), 0);
    acd_config_free(shared);
    assert_string_equal(m->trunks[0].name, "local");
    assert_int_equal(m->n_tenants, 0);
    assert_int_equal(m->n_queues, 0);
    assert_int_equal(m->n_agents, 1);
    assert_string_equal(m->agents[0].id, "5");
    acd_config_free(m);

    assert_int_equal(acd_config_merge(NULL, site, &m), -EINVAL);
    assert_int_equal(acd_config_merge(site, NULL, &m), -EINVAL);
    assert_int_equal(acd_config_merge(site, site, NULL), -EINVAL);
    acd_config_free(site);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entities),      cmocka_unit_test(test_trunks_only),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_same_errors_as_site_file),
        cmocka_unit_test(test_file),          cmocka_unit_test(test_merge_both),
        cmocka_unit_test(test_merge_partial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
