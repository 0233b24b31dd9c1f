/* main.c - acdd: command line, signals, sd_notify, maintenance drain, anycast health, the loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "anycast/anycast.h"
#include "callctl/callctl.h"
#include "callctl/control.h"
#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

/* How often the anycast health is judged again (lease and island change without a call). */
#define MAIN_HEALTH_MS 100

typedef struct acdd {
    uv_loop_t loop;
    uv_signal_t sighup, sigterm, sigint;
    uv_timer_t watchdog;
    uv_timer_t health; /* runs while an anycast address is managed */
    acd_callctl_t *site;
    acd_anycast_t *anycast; /* NULL without an `anycast:` section */
    char anycast_key[96];   /* "address/prefix dev": a reload cannot change it */
    const char *config_path;
    int exit_code;
    bool stopping;
    bool maintenance; /* acdctl drain in force */
} acdd_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: acdd --config FILE [--log-level LEVEL]\n"
               "       acdd --check-config FILE\n"
               "\n"
               "  -c, --config FILE        run a site from this YAML configuration\n"
               "  -t, --check-config FILE  validate FILE, print file:line: message per error\n"
               "  -l, --log-level LEVEL    override log.level (debug|info|notice|warn|error)\n"
               "  -h, --help               this text\n"
               "\n"
               "Signals: SIGHUP reloads the configuration; SIGTERM/SIGINT drain then exit 0.\n");
}

static acd_config_t *load_config(const char *path)
{
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int rc = acd_config_load(path, &cfg, &errs);
    if (rc < 0) {
        acd_config_errors_print(&errs, path, stderr);
        if (errs.n == 0)
            fprintf(stderr, "%s: %s\n", path, acd_strerror(rc));
        cfg = NULL;
    }
    acd_config_errors_fini(&errs);
    return cfg;
}

/* ---- anycast health (docs/adr/0015-anycast-health.md) ---- */

static void anycast_key(const acd_config_t *cfg, char *buf, size_t len)
{
    if (cfg->anycast)
        snprintf(buf, len, "%s/%d dev %s", cfg->anycast_address, cfg->anycast_prefix_len,
                 cfg->anycast_interface);
    else
        snprintf(buf, len, "none");
}

/* Judges the health now and tells the anycast module what it should be. */
static void main_anycast_update(acdd_t *d)
{
    if (!d->anycast)
        return;
    acd_anycast_health_t h = {.stopping = d->stopping || !d->site, .draining = d->maintenance};
    if (d->site) {
        acd_callctl_health_t s;
        acd_callctl_health(d->site, &s);
        h.draining = h.draining || s.draining;
        h.cluster = s.cluster;
        h.lease_held = s.lease_held;
        h.island = s.island;
        h.adrift = s.adrift;
        h.lease_lost_ms = s.lease_lost_ms;
    }
    const char *why = NULL;
    bool ok = acd_anycast_healthy(&h, &why);
    acd_anycast_want(d->anycast, ok, why);
}

static void on_health(uv_timer_t *h)
{
    main_anycast_update(h->data);
}

static void on_closed(void *ud)
{
    acdd_t *d = ud;
    d->site = NULL;
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->watchdog, NULL);
    uv_close((uv_handle_t *)&d->health, NULL);
    /* Withdrawn since the drain began; close waits for the kernel's last answer. */
    acd_anycast_close(d->anycast, NULL, NULL);
    d->anycast = NULL;
}

/* ---- drain for maintenance: POST /v1/drain, /v1/undrain (acdctl drain, undrain) ---- */

static int main_drain(void *ud, bool on, json_object *answer)
{
    acdd_t *d = ud;
    int rc = d->stopping ? ACD_EDRAINING : acd_callctl_set_draining(d->site, on);
    if (rc < 0) {
        json_object_object_add(
            answer, "error", json_object_new_string("acdd is shutting down: it drains and exits"));
        return 409;
    }
    bool changed = d->maintenance != on;
    d->maintenance = on;
    size_t calls = acd_callctl_calls(d->site);
    if (changed && on) {
        acd_log_notice("ACD-MAIN-DRAIN",
                       "calls=%zu: no new calls until undrain; calls in"
                       " progress finish",
                       calls);
        sd_notify(0, "STATUS=drained for maintenance: no new calls");
    } else if (changed) {
        acd_log_notice("ACD-MAIN-UNDRAIN", "calls=%zu: taking new calls again", calls);
        sd_notify(0, "STATUS=serving");
    }
    main_anycast_update(d);
    json_object_object_add(answer, "draining", json_object_new_boolean(on));
    json_object_object_add(answer, "changed", json_object_new_boolean(changed));
    json_object_object_add(answer, "calls_in_progress", json_object_new_int64((int64_t)calls));
    acd_anycast_status(d->anycast, answer);
    return 200;
}

static void main_status(void *ud, json_object *doc)
{
    acdd_t *d = ud;
    acd_anycast_status(d->anycast, doc);
}

static void on_drained(void *ud)
{
    acdd_t *d = ud;
    acd_log_notice("ACD-MAIN-DRAINED", "calls=%zu: stopping", acd_callctl_calls(d->site));
    acd_callctl_close(d->site, on_closed, d);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
    acdd_t *d = h->data;
    if (d->stopping) {
        acd_log_warn("ACD-MAIN-SIGNAL-AGAIN", "signal=%d: still draining", signum);
        return;
    }
    d->stopping = true;
    sd_notify(0, "STOPPING=1");
    acd_log_notice("ACD-MAIN-STOPPING", "signal=%d calls=%zu%s", signum, acd_callctl_calls(d->site),
                   d->maintenance ? " (was drained for maintenance)" : "");
    main_anycast_update(d); /* the route goes first: calls in progress finish meanwhile */
    if (d->maintenance) {
        /* Hand the drain over to the shutdown drain (its timeout, then exit) in this one
           callback: no request is read in between. */
        (void)acd_callctl_set_draining(d->site, false);
        d->maintenance = false;
    }
    acd_callctl_drain(d->site, on_drained, d);
}

/* Adds the loader's errors to answer: "error" as text, "errors" one "file:line: message" each. */
static void reload_errors(json_object *answer, const acd_config_errors_t *errs, const char *path,
                          int rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < errs->n; i++) {
        char line[400];
        if (errs->v[i].line > 0)
            snprintf(line, sizeof(line), "%s:%d: %s", path, errs->v[i].line, errs->v[i].message);
        else
            snprintf(line, sizeof(line), "%s: %s", path, errs->v[i].message);
        json_object_array_add(arr, json_object_new_string(line));
        if (f)
            fprintf(f, "%s%s", i ? "\n" : "", line);
    }
    if (f && errs->n == 0)
        fprintf(f, "%s: %s", path, acd_strerror(rc));
    if (f)
        fclose(f);
    json_object_object_add(answer, "error", json_object_new_string(text ? text : "invalid"));
    json_object_object_add(answer, "errors", arr);
    free(text);
}

/*
 * Reads the config file again and applies it: SIGHUP (answer NULL: errors go to stderr)
 * and POST /v1/reload (acdctl reload: answer gets what changed or the errors). Returns
 * the HTTP status: 200, 400 invalid file, 409 refused by the site or shutting down. On
 * 4xx the running configuration stays as it was.
 */
static int main_reload(acdd_t *d, json_object *answer)
{
    if (d->stopping) {
        if (answer)
            json_object_object_add(answer, "error",
                                   json_object_new_string("acdd is shutting down: no reload"));
        return 409;
    }
    sd_notify(0, "RELOADING=1");
    acd_log_notice("ACD-MAIN-RELOAD", "config=%s via=%s", d->config_path,
                   answer ? "api" : "sighup");
    acd_config_t *cfg = NULL;
    acd_config_errors_t errs = {0};
    int status = 200, rc = acd_config_load(d->config_path, &cfg, &errs);
    if (rc < 0) {
        if (answer)
            reload_errors(answer, &errs, d->config_path, rc);
        else if (errs.n)
            acd_config_errors_print(&errs, d->config_path, stderr);
        else
            fprintf(stderr, "%s: %s\n", d->config_path, acd_strerror(rc));
        acd_log_err("ACD-MAIN-RELOAD-INVALID",
                    "config=%s errors=%zu: keeping the running"
                    " configuration",
                    d->config_path, errs.n);
        status = 400;
    } else {
        char key[sizeof(d->anycast_key)];
        anycast_key(cfg, key, sizeof(key));
        if (strcmp(key, d->anycast_key) != 0)
            acd_log_warn("ACD-MAIN-ANYCAST-STATIC", "anycast %s stays %s until restart", key,
                         d->anycast_key);
        acd_log_level_t lvl;
        bool level_ok = acd_log_level_parse(cfg->log_level, &lvl) == 0;
        rc = acd_callctl_reload_report(d->site, cfg, answer);
        if (rc < 0) {
            acd_config_free(cfg);
            if (answer)
                json_object_object_add(
                    answer, "error",
                    json_object_new_string("the site refused the configuration (see acdd's log"
                                           " ACD-SITE-RELOAD-REFUSED): nothing changed"));
            status = 409;
        } else if (level_ok) {
            acd_log_init(NULL, lvl, cfg->site_name);
        }
    }
    acd_config_errors_fini(&errs);
    sd_notify(0, "READY=1");
    return status;
}

static int main_reload_api(void *ud, json_object *answer)
{
    return main_reload(ud, answer);
}

static const acd_admin_control_t main_control = {
    .drain = main_drain,
    .status = main_status,
    .reload = main_reload_api,
};

static void on_sighup(uv_signal_t *h, int signum)
{
    (void)signum;
    (void)main_reload(h->data, NULL);
}

static void on_watchdog(uv_timer_t *h)
{
    (void)h;
    sd_notify(0, "WATCHDOG=1");
}

static int run(const char *path, const char *level_override)
{
    acdd_t d;
    memset(&d, 0, sizeof(d));
    d.config_path = path;
    acd_config_t *cfg = load_config(path);
    if (!cfg)
        return 2;
    acd_log_level_t lvl = ACD_LOG_INFO;
    if (acd_log_level_parse(level_override ? level_override : cfg->log_level, &lvl) < 0) {
        fprintf(stderr, "acdd: unknown log level '%s'\n", level_override);
        acd_config_free(cfg);
        return 2;
    }
    acd_log_init(NULL, lvl, cfg->site_name);
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&d.loop);
    anycast_key(cfg, d.anycast_key, sizeof(d.anycast_key));
    int rc = 0;
    if (cfg->anycast) {
        acd_anycast_cfg_t ac = {.address = cfg->anycast_address,
                                .interface = cfg->anycast_interface,
                                .prefix_len = cfg->anycast_prefix_len};
        rc = acd_anycast_alloc(&d.anycast, &d.loop, &ac);
    }
    if (rc == 0)
        rc = acd_callctl_alloc(&d.site, &d.loop, cfg);
    if (rc < 0) {
        acd_config_free(cfg);
        d.site = NULL;
        acd_anycast_close(d.anycast, NULL, NULL); /* what a killed acdd left goes too */
        uv_run(&d.loop, UV_RUN_DEFAULT); /* let the partial site close its handles */
        uv_loop_close(&d.loop);
        fprintf(stderr, "acdd: cannot start: %s\n", acd_strerror(rc));
        return 1;
    }
    uv_signal_init(&d.loop, &d.sighup);
    uv_signal_init(&d.loop, &d.sigterm);
    uv_signal_init(&d.loop, &d.sigint);
    d.sighup.data = d.sigterm.data = d.sigint.data = &d;
    uv_signal_start(&d.sighup, on_sighup, SIGHUP);
    uv_signal_start(&d.sigterm, on_sigterm, SIGTERM);
    uv_signal_start(&d.sigint, on_sigterm, SIGINT);
    acd_callctl_set_control(d.site, &main_control, &d);
    acd_callctl_set_anycast(d.site, d.anycast); /* the peers learn it from the heartbeats */
    uv_timer_init(&d.loop, &d.health);
    d.health.data = &d;
    if (d.anycast) {
        main_anycast_update(&d);
        uv_timer_start(&d.health, on_health, MAIN_HEALTH_MS, MAIN_HEALTH_MS);
    }
    uv_timer_init(&d.loop, &d.watchdog);
    uint64_t wd_usec = 0;
    if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
        uv_timer_start(&d.watchdog, on_watchdog, wd_usec / 2000, wd_usec / 2000);
    sd_notify(0, "READY=1");
    uv_run(&d.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&d.loop);
    if (rc != 0)
        acd_log_warn("ACD-MAIN-LOOP-BUSY", "handles left at exit: %s", uv_strerror(rc));
    acd_log_notice("ACD-MAIN-EXIT", "code=%d", d.exit_code);
    return d.exit_code;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *check = NULL, *level = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:t:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 't':
            check = optarg;
            break;
        case 'l':
            level = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || (!config && !check) || (config && check)) {
        usage(stderr);
        return 2;
    }
    if (check) {
        acd_config_t *cfg = load_config(check);
        if (!cfg)
            return 1;
        printf("%s: OK (site %s, %zu tenants, %zu queues, %zu agents)\n", check, cfg->site_name,
               cfg->n_tenants, cfg->n_queues, cfg->n_agents);
        acd_config_free(cfg);
        return 0;
    }
    return run(config, level);
}
