/* ctl_config.h - acdctl config: check a shared config and store it in etcd; show what is stored. */
#ifndef ACD_CTL_CTL_CONFIG_H
#define ACD_CTL_CTL_CONFIG_H

/* Where the cluster's etcd is, as acdctl's global options say; each member may be NULL. */
typedef struct acd__ctl_etcd_opts {
    const char
        *config;      /* --config SITE.yaml: the etcd endpoints and prefix of its cluster section */
    const char *etcd; /* --etcd URL[,URL...]: wins over the site file's endpoints */
    const char *prefix; /* --prefix PREFIX: wins over the site file's prefix (default /acdd) */
} acd__ctl_etcd_opts_t;

/*
 * Runs `acdctl config push [--dry-run] FILE` or `acdctl config show`; argv[0] is "config".
 * Push checks FILE with acd_config_shared_load_string(), the check every site runs on
 * what it finds in etcd, and only when FILE is valid stores its bytes at
 * `<prefix>/config`. Blocks (a private libuv loop) until etcd answered or every endpoint
 * failed. Returns the exit code: 0 done, 1 FILE invalid or unreadable (push; nothing
 * written) or nothing stored (show), 2 usage error or unusable site file, 3 etcd could
 * not be reached or refused the request.
 */
int acd__ctl_config(const acd__ctl_etcd_opts_t *opts, int argc, char **argv);

#endif
