/* test_config.c - the site config loader: the example file, defaults, every error class, CIDRs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/err.h"

/* The smallest valid file; error cases below append to it or replace a line of it. */
#define MIN_SITE "site: {name: one, address: 127.0.0.1}\n"
#define MIN_TENANT "tenants: [{name: demo, dids: [\"1000\"], queue: main}]\n"
#define MIN_QUEUE "queues: [{name: main, tenant: demo}]\n"
#define MIN_AGENT "agents: [{id: \"2001\", queues: [main]}]\n"
#define MIN MIN_SITE MIN_TENANT MIN_QUEUE MIN_AGENT

static int load(const char *yaml, acd_config_t **cfgp, acd_config_errors_t *errs)
{
    return acd_config_load_string(yaml, strlen(yaml), "t.yaml", cfgp, errs);
}

static void dump_errors(const acd_config_errors_t *errs)
{
    acd_config_errors_print(errs, "t.yaml", stdout);
}

/* Fails unless errs holds an error on line whose message contains want. */
static void assert_has_error(const acd_config_errors_t *errs, int line, const char *want)
{
    for (size_t i = 0; i < errs->n; i++) {
        if (errs->v[i].line == line && strstr(errs->v[i].message, want))
            return;
    }
    printf("wanted line %d: ...%s...; got %zu error(s):\n", line, want, errs->n);
    dump_errors(errs);
    fail();
}

/* ---- the example file and defaults ---------------------------------------------------------- */

static void test_example_file(void **state)
{
    (void)state;
    const char *src = getenv("ACD_SOURCE_DIR");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof(path), "%s/deploy/examples/one-site.yaml", src);
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = acd_config_load(path, &cfg, &errs);
    if (rc != 0)
        acd_config_errors_print(&errs, path, stdout);
    assert_int_equal(rc, 0);
    assert_int_equal(errs.n, 0);
    assert_non_null(cfg);
    assert_string_equal(cfg->path, path);
    assert_string_equal(cfg->site_name, "one");
    assert_string_equal(cfg->site_address, "127.0.0.1");
    assert_string_equal(cfg->sip_listen, "127.0.0.1");
    assert_int_equal(cfg->sip_port, 5060);
    assert_true(cfg->sip_udp);
    assert_true(cfg->sip_tcp);
    assert_int_equal(cfg->rtp_port_min, 20000);
    assert_int_equal(cfg->rtp_port_max, 29999);
    assert_string_equal(cfg->prompts_dir, "/var/lib/acdd/prompts");
    assert_string_equal(cfg->admin_listen, "127.0.0.1");
    assert_int_equal(cfg->admin_port, 8080);
    assert_string_equal(cfg->cdr_path, "/var/lib/acdd/cdr.jsonl");
    assert_int_equal(cfg->n_trunks, 1);
    assert_int_equal(cfg->trunks[0].n_networks, 1);
    assert_int_equal(cfg->n_tenants, 1);
    assert_string_equal(cfg->tenants[0].name, "demo");
    assert_int_equal(cfg->tenants[0].n_dids, 1);
    assert_string_equal(cfg->tenants[0].dids[0], "1000");
    assert_string_equal(cfg->tenants[0].queue, "main");
    assert_string_equal(cfg->tenants[0].language, "en");
    assert_int_equal(cfg->n_queues, 1);
    assert_string_equal(cfg->queues[0].strategy, "longest-idle");
    assert_int_equal(cfg->queues[0].ring_timeout_ms, 15000);
    assert_int_equal(cfg->queues[0].wrapup_ms, 5000);
    assert_int_equal(cfg->queues[0].max_no_answer, 3);
    assert_int_equal(cfg->n_agents, 10);
    for (size_t i = 0; i < cfg->n_agents; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%zu", 2001 + i);
        assert_string_equal(cfg->agents[i].id, id);
        assert_string_equal(cfg->agents[i].sip_user, id);
        assert_null(cfg->agents[i].password);
        assert_int_equal(cfg->agents[i].n_queues, 1);
        assert_string_equal(cfg->agents[i].queues[0], "main");
    }
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

static void test_defaults(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = load(MIN "sip:\n", &cfg, &errs);
    if (rc)
        dump_errors(&errs);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->path, "t.yaml");
    assert_string_equal(cfg->sip_listen, "127.0.0.1");
    assert_int_equal(cfg->sip_port, 5060);
    assert_true(cfg->sip_udp && cfg->sip_tcp);
    assert_int_equal(cfg->sip_t1_ms, 500);
    assert_int_equal(cfg->rtp_port_min, 20000);
    assert_int_equal(cfg->rtp_port_max, 29999);
    assert_string_equal(cfg->prompts_dir, "/var/lib/acdd/prompts");
    assert_string_equal(cfg->admin_listen, "127.0.0.1");
    assert_int_equal(cfg->admin_port, 8080);
    assert_string_equal(cfg->cdr_path, "/var/lib/acdd/cdr.jsonl");
    assert_string_equal(cfg->log_level, "info");
    assert_int_equal(cfg->drain_timeout_ms, 30000);
    assert_int_equal(cfg->register_max_expires, 3600);
    assert_int_equal(cfg->n_trunks, 0);
    assert_string_equal(cfg->tenants[0].language, "en");
    assert_int_equal(cfg->tenants[0].answer_after_ms, 0);
    assert_string_equal(cfg->queues[0].strategy, "longest-idle");
    assert_int_equal(cfg->queues[0].ring_timeout_ms, 15000);
    assert_int_equal(cfg->queues[0].wrapup_ms, 5000);
    assert_int_equal(cfg->queues[0].max_no_answer, 3);
    assert_int_equal(cfg->queues[0].priority, 0);
    assert_string_equal(cfg->agents[0].sip_user, "2001");
    assert_null(cfg->agents[0].password);
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

static void test_values(void **state)
{
    (void)state;
    const char *yaml = "site: {name: s-1, address: '::1'}\n"
                       "sip: {listen: 0.0.0.0, port: 5080, transports: [tcp], t1_ms: 50}\n"
                       "media: {rtp_ports: 30000-30099, prompts: /p}\n"
                       "admin: {port: 0}\n"
                       "log: {level: DEBUG}\n"
                       "drain_timeout: 2.5\n"
                       "register_max_expires: 60\n"
                       "trunks: [{name: a, networks: [10.0.0.0/8, '2001:db8::/32']}]\n"
                       "tenants: [{name: demo, dids: [1000, '+34911'], queue: main,\n"
                       "           language: es, answer_after: 1.5}]\n"
                       "queues: [{name: main, tenant: demo, ring_timeout: 0.5, wrapup: 0,\n"
                       "          max_no_answer: 0, priority: 7}]\n"
                       "agents:\n"
                       "  - id: 2001\n"
                       "    sip_user: alice\n"
                       "    password: s3cret\n"
                       "    queues: [main]\n";
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = load(yaml, &cfg, &errs);
    if (rc)
        dump_errors(&errs);
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->site_name, "s-1");
    assert_string_equal(cfg->site_address, "::1");
    assert_string_equal(cfg->sip_listen, "0.0.0.0");
    assert_int_equal(cfg->sip_port, 5080);
    assert_false(cfg->sip_udp);
    assert_true(cfg->sip_tcp);
    assert_int_equal(cfg->sip_t1_ms, 50);
    assert_int_equal(cfg->rtp_port_min, 30000);
    assert_int_equal(cfg->rtp_port_max, 30099);
    assert_string_equal(cfg->prompts_dir, "/p");
    assert_int_equal(cfg->admin_port, 0);
    assert_string_equal(cfg->log_level, "debug");
    assert_int_equal(cfg->drain_timeout_ms, 2500);
    assert_int_equal(cfg->register_max_expires, 60);
    assert_int_equal(cfg->trunks[0].n_networks, 2);
    assert_int_equal(cfg->trunks[0].networks[1].family, AF_INET6);
    assert_int_equal(cfg->tenants[0].n_dids, 2);
    assert_string_equal(cfg->tenants[0].dids[0], "1000");
    assert_string_equal(cfg->tenants[0].dids[1], "+34911");
    assert_string_equal(cfg->tenants[0].language, "es");
    assert_int_equal(cfg->tenants[0].answer_after_ms, 1500);
    assert_int_equal(cfg->queues[0].ring_timeout_ms, 500);
    assert_int_equal(cfg->queues[0].wrapup_ms, 0);
    assert_int_equal(cfg->queues[0].max_no_answer, 0);
    assert_int_equal(cfg->queues[0].priority, 7);
    assert_string_equal(cfg->agents[0].id, "2001");
    assert_string_equal(cfg->agents[0].sip_user, "alice");
    assert_string_equal(cfg->agents[0].password, "s3cret");
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

/* ---- one error per case --------------------------------------------------------------------- */

typedef struct err_case {
    const char *what;
    const char *yaml;
    int line;
    const char *msg;
} err_case_t;

static const err_case_t err_cases[] = {
    /* syntax */
    {"yaml syntax", MIN "sip: {port: 5060\nadmin: {port: 1}\n", 6, "YAML syntax error"},
    {"yaml bad indent", "site:\n  name: one\n address: 127.0.0.1\n", 3, "YAML syntax error"},
    {"yaml tab", "site:\n\tname: one\n", 2, "indent with spaces, not tabs"},
    {"not utf-8", MIN_SITE "agents: [{id: \"\xff\"}]\n", 2, "the file must be UTF-8 text"},
    {"empty file", "# nothing\n", 0, "the file is empty"},
    {"top not a mapping", "- a\n- b\n", 1, "the top level must be a mapping"},
    {"two documents", MIN "---\nsite: {}\n", 6, "only one YAML document"},
    /* cluster section */
#define CL_HEAD "cluster:\n  etcd: [http://127.0.0.1:2379]\n  events: tcp://127.0.1.1:7101\n" \
                "  requests: tcp://127.0.1.1:7102\n"
    {"cluster without etcd", MIN "cluster: {events: tcp://a:1, requests: tcp://a:2}\n", 5,
     "missing required key 'etcd'"},
    {"cluster bad etcd url", MIN "cluster: {etcd: [127.0.0.1:2379], events: tcp://a:1, requests: tcp://a:2}\n", 5,
     "etcd endpoint must be http://host:port"},
    {"cluster bad link url", MIN CL_HEAD "  peers: [{name: B, events: udp://x:1, requests: tcp://x:2}]\n", 9,
     "must be an nng URL"},
    {"cluster peer is self", MIN CL_HEAD "  peers: [{name: one, events: tcp://x:1, requests: tcp://x:2}]\n", 9,
     "peer 'one' is this site itself"},
    {"cluster duplicate peer", MIN CL_HEAD "  peers:\n    - {name: B, events: tcp://x:1, requests: tcp://x:2}\n"
     "    - {name: B, events: tcp://y:1, requests: tcp://y:2}\n", 11, "duplicate peer 'B'"},
    {"cluster sister unknown", MIN CL_HEAD "  sisters: [C]\n", 6, "sister 'C' is not a peer"},
    {"cluster partial tls", MIN CL_HEAD "  tls_ca: /ca.pem\n", 6, "needs all of tls_ca, tls_cert and tls_key"},
    {"cluster tls url needs files",
     MIN "cluster:\n  etcd: [http://127.0.0.1:2379]\n  events: tls+tcp://127.0.1.1:7101\n"
         "  requests: tls+tcp://127.0.1.1:7102\n", 6, "tls+tcp:// URLs need tls_ca"},
    {"cluster lease too short", MIN CL_HEAD "  lease_ttl: 1\n", 9, "lease_ttl"},
    /* unknown and duplicate keys */
    {"unknown top key", MIN "sipp: {}\n", 5, "unknown top-level key 'sipp'"},
    {"unknown site key", "site: {name: one, address: 127.0.0.1, foo: 1}\n", 1,
     "unknown key 'foo' in site"},
    {"duplicate top key", MIN "tenants: []\n", 5,
     "duplicate key 'tenants' in the top level (first on line 2)"},
    {"unknown tenant key 2", MIN_SITE "tenants: [{name: demo, queue: main, dis: [1]}]\n" MIN_QUEUE,
     2, "unknown key 'dis' in tenant 'demo'"},
    {"unknown agent key", MIN_SITE MIN_TENANT MIN_QUEUE "agents: [{id: 7, queue: [main]}]\n", 4,
     "unknown key 'queue' in agent '7'"},
    {"unnamed entry", MIN_SITE MIN_TENANT MIN_QUEUE "agents: [{sip_user: x}]\n", 4,
     "missing required key 'id' in agents entry 1"},
    {"duplicate key", "site: {name: one, address: 127.0.0.1, name: two}\n", 1,
     "duplicate key 'name' in site"},
    /* types */
    {"port not a number", MIN "sip: {port: abc}\n", 5, "expected a number for 'port'"},
    {"port a list", MIN "sip: {port: [1]}\n", 5, "expected a number for 'port'"},
    {"port fractional", MIN "sip: {port: 5060.5}\n", 5, "expected a whole number for 'port'"},
    {"section not a map", MIN "sip: 5\n", 5, "expected a mapping for 'sip'"},
    {"list not a list", MIN_SITE "tenants: {name: demo}\n", 2, "expected a list for 'tenants'"},
    {"dids not a list", MIN_SITE "tenants: [{name: d, queue: q, dids: 1000}]\n", 2,
     "expected a list for 'dids'"},
    {"entry not a map", MIN_SITE "trunks: [local]\n", 2,
     "each entry of 'trunks' must be a mapping"},
    {"address not ip", "site: {name: one, address: example.com}\n", 1,
     "'address' must be an IPv4 or IPv6 address (got 'example.com')"},
    {"bad name", "site: {name: 'my site', address: 127.0.0.1}\n", 1, "bad site name 'my site'"},
    {"bad did", MIN_SITE "tenants: [{name: demo, dids: ['10 00'], queue: main}]\n" MIN_QUEUE, 2,
     "bad DID '10 00'"},
    {"empty password", MIN_SITE MIN_TENANT MIN_QUEUE "agents: [{id: 1, password: ''}]\n", 4,
     "'password' must not be empty"},
    /* ranges */
    {"port too big", MIN "sip: {port: 70000}\n", 5, "'port' must be between 1 and 65535"},
    {"port huge", MIN "sip: {port: 99999999999999999999}\n", 5,
     "'port' must be between 1 and 65535"},
    {"port zero", MIN "sip: {port: 0}\n", 5, "'port' must be between 1 and 65535 (got 0)"},
    {"admin port", MIN "admin: {port: -1}\n", 5, "'port' must be between 0 and 65535"},
    {"t1 small", MIN "sip: {t1_ms: 10}\n", 5, "'t1_ms' must be between 50 and 5000"},
    {"rtp odd", MIN "media: {rtp_ports: 20001-29999}\n", 5, "must start at an even port"},
    {"rtp reversed", MIN "media: {rtp_ports: 30000-20000}\n", 5, "from a lower to a higher port"},
    {"rtp garbage", MIN "media: {rtp_ports: lots}\n", 5, "must be a range like \"20000-29999\""},
    {"rtp too high", MIN "media: {rtp_ports: 20000-70000}\n", 5, "between 1 and 65535"},
    {"ring too short",
     MIN_SITE MIN_TENANT "queues: [{name: main, tenant: demo, ring_timeout: 0.05}]\n", 3,
     "'ring_timeout' must be between 0.1 and 300 seconds"},
    {"ring too long",
     MIN_SITE MIN_TENANT "queues: [{name: main, tenant: demo, ring_timeout: 301}]\n", 3,
     "'ring_timeout' must be between 0.1 and 300 seconds (got 301)"},
    {"wrapup", MIN_SITE MIN_TENANT "queues: [{name: main, tenant: demo, wrapup: 3601}]\n", 3,
     "'wrapup' must be between 0 and 3600 seconds"},
    {"max_no_answer",
     MIN_SITE MIN_TENANT "queues: [{name: main, tenant: demo, max_no_answer: 101}]\n", 3,
     "'max_no_answer' must be between 0 and 100"},
    {"answer_after", MIN_SITE "tenants: [{name: demo, queue: main, answer_after: 61}]\n" MIN_QUEUE,
     2, "'answer_after' must be between 0 and 60 seconds"},
    {"register expires", MIN "register_max_expires: 30\n", 5,
     "'register_max_expires' must be between 60 and 86400"},
    /* choices */
    {"strategy",
     MIN_SITE MIN_TENANT "queues: [{name: main, tenant: demo, strategy: random}]\n", 3,
     "unknown strategy 'random' (known: longest-idle, round-robin, fewest-calls)"},
    {"language", MIN_SITE "tenants: [{name: demo, queue: main, language: fr}]\n" MIN_QUEUE, 2,
     "unknown language 'fr' (known: en, es)"},
    {"log level", MIN "log: {level: loud}\n", 5,
     "unknown log level 'loud' (known: debug, info, notice, warn, error)"},
    {"transport", MIN "sip: {transports: [udp, tls]}\n", 5,
     "unknown transport 'tls' (known: udp, tcp)"},
    {"no transports", MIN "sip: {transports: []}\n", 5, "must list at least one of udp, tcp"},
    /* required */
    {"missing site", MIN_TENANT MIN_QUEUE, 1, "missing required key 'site'"},
    {"missing site name", "site: {address: 127.0.0.1}\n", 1, "missing required key 'name' in site"},
    {"null site address", "site:\n  name: one\n  address:\n", 3,
     "missing value for 'address' in site"},
    {"missing tenant queue", MIN_SITE "tenants: [{name: demo}]\n", 2,
     "missing required key 'queue' in tenant 'demo'"},
    {"missing queue tenant", MIN_SITE "queues: [{name: main}]\n", 2,
     "missing required key 'tenant' in queue 'main'"},
    {"missing networks", MIN "trunks: [{name: t}]\n", 5,
     "missing required key 'networks' in trunk 't'"},
    /* networks */
    {"bad cidr", MIN "trunks: [{name: t, networks: [10.0.0.0/33]}]\n", 5,
     "bad network '10.0.0.0/33'"},
    {"bad cidr host",
     MIN "trunks:\n  - name: t\n    networks:\n      - 10.0.0.0/8\n      - carrier\n", 9,
     "bad network 'carrier'"},
    {"empty networks", MIN "trunks: [{name: t, networks: []}]\n", 5,
     "must list at least one network"},
    /* cross references */
    {"duplicate trunk",
     MIN "trunks:\n - {name: t, networks: [10.0.0.0/8]}\n - {name: t, networks: ['::1']}\n", 7,
     "duplicate trunk 't' (first defined on line 6)"},
    {"duplicate tenant 2",
     MIN_SITE "tenants:\n - {name: demo, queue: main}\n - {name: demo, queue: main}\n" MIN_QUEUE, 4,
     "duplicate tenant 'demo' (first defined on line 3)"},
    {"duplicate queue",
     MIN_SITE MIN_TENANT "queues:\n - {name: main, tenant: demo}\n - {name: main, tenant: demo}\n",
     5, "duplicate queue 'main' (first defined on line 4)"},
    {"duplicate agent", MIN_SITE MIN_TENANT MIN_QUEUE "agents:\n - {id: 7}\n - {id: '7'}\n", 6,
     "duplicate agent id '7' (first defined on line 5)"},
    {"duplicate did across tenants",
     MIN_SITE
     "tenants:\n - {name: a, dids: [1000], queue: qa}\n - {name: b, dids: ['1000'], queue: qb}\n"
     "queues: [{name: qa, tenant: a}, {name: qb, tenant: b}]\n",
     4, "DID '1000' of tenant 'b' is already used by tenant 'a' (line 3)"},
    {"duplicate did in tenant",
     MIN_SITE "tenants: [{name: demo, dids: [1, 2, 1], queue: main}]\n" MIN_QUEUE, 2,
     "DID '1' is listed twice in tenant 'demo'"},
    {"duplicate sip user",
     MIN_SITE MIN_TENANT MIN_QUEUE "agents:\n - {id: 1, sip_user: x}\n - {id: 2, sip_user: x}\n", 6,
     "SIP user 'x' of agent '2' is already used by agent '1' (line 5)"},
    {"sip user equals other id",
     MIN_SITE MIN_TENANT MIN_QUEUE "agents:\n - {id: 1}\n - {id: 2, sip_user: 1}\n", 6,
     "SIP user '1' of agent '2' is already used by agent '1' (line 5)"},
    {"tenant unknown queue", MIN_SITE "tenants: [{name: demo, queue: sales}]\n" MIN_QUEUE, 2,
     "tenant 'demo' uses unknown queue 'sales'"},
    {"queue unknown tenant", MIN_SITE MIN_TENANT "queues: [{name: main, tenant: acme}]\n", 3,
     "queue 'main' belongs to unknown tenant 'acme'"},
    {"agent unknown queue",
     MIN_SITE MIN_TENANT MIN_QUEUE "agents: [{id: \"2003\", queues: [main, sales]}]\n", 4,
     "agent '2003' is in unknown queue 'sales'"},
    {"agent queue twice", MIN_SITE MIN_TENANT MIN_QUEUE "agents: [{id: 1, queues: [main, main]}]\n",
     4, "agent '1' lists queue 'main' twice"},
    {"queue of other tenant",
     MIN_SITE "tenants:\n - {name: a, queue: qa}\n - {name: b, queue: qa}\n"
              "queues: [{name: qa, tenant: a}, {name: qb, tenant: b}]\n",
     4, "tenant 'b' uses queue 'qa', which belongs to tenant 'a'"},
};

static void test_cluster_section(void **state)
{
    (void)state;
    static const char yaml[] = MIN
        "cluster:\n  etcd: [http://127.0.0.1:2379, http://127.0.0.2:2379]\n"
        "  lease_ttl: 2.5\n  events: tcp://127.0.1.1:7101\n  requests: tcp://127.0.1.1:7102\n"
        "  peers:\n    - {name: B, events: tcp://127.0.2.1:7101, requests: tcp://127.0.2.1:7102}\n"
        "    - {name: C, events: tcp://127.0.3.1:7101, requests: tcp://127.0.3.1:7102}\n"
        "  sisters: [C, B]\n";
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(load(yaml, &cfg, &errs), 0);
    assert_true(cfg->cluster);
    assert_int_equal(cfg->n_etcd_endpoints, 2);
    assert_string_equal(cfg->etcd_endpoints[1], "http://127.0.0.2:2379");
    assert_string_equal(cfg->cluster_prefix, "/acdd");
    assert_int_equal(cfg->lease_ttl_ms, 2500);
    assert_string_equal(cfg->link_events, "tcp://127.0.1.1:7101");
    assert_int_equal(cfg->n_peers, 2);
    assert_string_equal(cfg->peers[1].requests, "tcp://127.0.3.1:7102");
    assert_int_equal(cfg->n_sisters, 2);
    assert_string_equal(cfg->sisters[0], "C");
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);

    /* Without the section a site stands alone. */
    assert_int_equal(load(MIN, &cfg, &errs), 0);
    assert_false(cfg->cluster);
    assert_int_equal(cfg->n_peers, 0);
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

static void test_error_cases(void **state)
{
    (void)state;
    size_t failed = 0;
    for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
        const err_case_t *c = &err_cases[i];
        acd_config_t *cfg = NULL;
        acd_config_errors_t errs = {0};
        int rc = load(c->yaml, &cfg, &errs);
        bool ok = rc == ACD_ECONFIG && cfg == NULL && errs.n > 0;
        bool found = false;
        for (size_t j = 0; j < errs.n; j++)
            found |= errs.v[j].line == c->line && strstr(errs.v[j].message, c->msg) != NULL;
        if (!ok || !found) {
            printf("case '%s': rc=%d, wanted line %d '%s', got:\n", c->what, rc, c->line, c->msg);
            dump_errors(&errs);
            failed++;
        }
        acd_config_free(cfg);
        acd_config_errors_fini(&errs);
    }
    assert_int_equal(failed, 0);
}

/* ---- several errors at once, printing, files ------------------------------------------------ */

static void test_many_errors(void **state)
{
    (void)state;
    const char *yaml = "site: {name: one, address: nowhere}\n"             /* 1 */
                       "sip: {port: 99999, colour: blue}\n"                /* 2 */
                       "tenants: [{name: demo, dids: [1000], queue: q}]\n" /* 3 */
                       "queues: [{name: main, tenant: demo}]\n"            /* 4 */
                       "agents: [{id: \"2003\", queues: [sales]}]\n";      /* 5 */
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(load(yaml, &cfg, &errs), ACD_ECONFIG);
    assert_null(cfg);
    assert_has_error(&errs, 1, "'address' must be an IPv4 or IPv6 address");
    assert_has_error(&errs, 2, "'port' must be between 1 and 65535");
    assert_has_error(&errs, 2, "unknown key 'colour' in sip");
    assert_has_error(&errs, 3, "tenant 'demo' uses unknown queue 'q'");
    assert_has_error(&errs, 5, "agent '2003' is in unknown queue 'sales'");
    assert_int_equal(errs.n, 5);
    for (size_t i = 1; i < errs.n; i++)
        assert_true(errs.v[i - 1].line <= errs.v[i].line);
    acd_config_errors_fini(&errs);
}

static void test_print(void **state)
{
    (void)state;
    acd_config_errors_t errs = {0};
    acd_config_t *cfg = NULL;
    assert_int_equal(load("site: {name: one, address: 127.0.0.1}\nbogus: 1\n", &cfg, &errs),
                     ACD_ECONFIG);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    acd_config_errors_print(&errs, "site.yaml", f);
    errs.v[0].line = 0;
    acd_config_errors_print(&errs, "site.yaml", f);
    fclose(f);
    assert_string_equal(text, "site.yaml:2: unknown top-level key 'bogus'\n"
                              "site.yaml: unknown top-level key 'bogus'\n");
    free(text);
    acd_config_errors_fini(&errs);
}

static void test_missing_file(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(acd_config_load("/nonexistent/acdd.yaml", &cfg, &errs), -ENOENT);
    assert_null(cfg);
    assert_has_error(&errs, 0, "cannot open");
    acd_config_errors_fini(&errs);

    /* A directory opens but cannot be read. */
    const char *src = getenv("ACD_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(acd_config_load(src, &cfg, &errs), -EISDIR);
    assert_null(cfg);
    assert_has_error(&errs, 0, "cannot read: Is a directory");
    acd_config_errors_fini(&errs);
}

/* Errors accumulate across calls, and a clean load after a failed one still succeeds. */
static void test_errors_accumulate(void **state)
{
    (void)state;
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    assert_int_equal(load("site: {name: one}\n", &cfg, &errs), ACD_ECONFIG);
    size_t n = errs.n;
    assert_int_equal(load(MIN, &cfg, &errs), 0);
    assert_int_equal(errs.n, n);
    acd_config_free(cfg);
    acd_config_errors_fini(&errs);
}

/* ---- CIDR ----------------------------------------------------------------------------------- */

typedef struct cidr_case {
    const char *net;
    const char *addr;
    bool inside;
} cidr_case_t;

static const cidr_case_t cidr_cases[] = {
    {"127.0.0.0/8", "127.0.0.1", true},
    {"127.0.0.0/8", "127.255.255.255", true},
    {"127.0.0.0/8", "128.0.0.1", false},
    {"10.1.2.3/8", "10.200.0.1", true}, /* host bits are ignored */
    {"192.0.2.0/25", "192.0.2.127", true},
    {"192.0.2.0/25", "192.0.2.128", false},
    {"192.0.2.7", "192.0.2.7", true},
    {"192.0.2.7", "192.0.2.8", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "::1", false},
    {"127.0.0.0/8", "::ffff:127.0.0.1", true}, /* v4-mapped from a dual-stack socket */
    {"127.0.0.0/8", "::ffff:10.0.0.1", false},
    {"2001:db8::/32", "2001:db8:1::5", true},
    {"2001:db8::/32", "2001:db9::5", false},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"::1", "::1", true},
    {"::1/128", "::2", false},
    {"::/0", "fe80::1", true},
    {"::/0", "127.0.0.1", false},
};

static void fill_sockaddr(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
    sin6->sin6_family = AF_INET6;
}

static void test_cidr_contains(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
        const cidr_case_t *c = &cidr_cases[i];
        acd_cidr_t net;
        struct sockaddr_storage ss;
        assert_int_equal(acd_cidr_parse(c->net, &net), 0);
        fill_sockaddr(c->addr, &ss);
        bool got = acd_cidr_contains(&net, (const struct sockaddr *)&ss);
        if (got != c->inside)
            printf("%s contains %s: got %d\n", c->net, c->addr, got);
        assert_int_equal(got, c->inside);
    }
}

static void test_cidr_parse(void **state)
{
    (void)state;
    acd_cidr_t c;
    assert_int_equal(acd_cidr_parse("10.1.2.3/8", &c), 0);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.prefix, 8);
    assert_memory_equal(c.addr, ((uint8_t[]){10, 0, 0, 0}), 4);
    assert_int_equal(acd_cidr_parse("192.0.2.255/28", &c), 0);
    assert_int_equal(c.addr[3], 0xf0);
    assert_int_equal(acd_cidr_parse("2001:db8::1", &c), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(c.prefix, 128);

    static const char *const bad[] = {
        "",
        "/8",
        "10.0.0.0/",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/8x",
        "10.0.0/8",
        "10.0.0.0/0008",
        "::1/129",
        "fe80::1%eth0",
        "example.com",
        "10.0.0.0 /8",
        "1.2.3.4/8/8",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (acd_cidr_parse(bad[i], &c) != -EINVAL)
            printf("accepted bad cidr '%s'\n", bad[i]);
        assert_int_equal(acd_cidr_parse(bad[i], &c), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_file),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),        cmocka_unit_test(test_error_cases),
        cmocka_unit_test(test_cluster_section),
        cmocka_unit_test(test_many_errors),   cmocka_unit_test(test_print),
        cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_errors_accumulate),
        cmocka_unit_test(test_cidr_contains), cmocka_unit_test(test_cidr_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
