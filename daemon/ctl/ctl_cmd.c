/* ctl_cmd.c - what every acdctl admin command shares: its options, its help, its answer. */
#include "ctl/ctl_cmd.h"

#include <getopt.h>
#include <string.h>

#include "ctl/ctl_http.h"

bool acd__ctl_is_help(const char *s)
{
    return !strcmp(s, "-h") || !strcmp(s, "--help");
}

int acd__ctl_cmd_opts(int argc, char **argv, const char *cmd, bool reason_ok,
                      acd__ctl_cmd_opts_t *o, char **pos, int max_pos, int *npos,
                      void (*usage)(FILE *f))
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof(*o));
    *npos = 0;
    optind = 0; /* glibc: start over on the command's own arguments */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jr:h", opts, NULL)) != -1) {
        if (c == 'j') {
            o->json = true;
        } else if (c == 'r' && reason_ok) {
            o->reason = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return -1;
        } else {
            if (c == ':')
                fprintf(stderr, "acdctl %s: option '%s' needs a value\n", cmd, argv[optind - 1]);
            else
                fprintf(stderr, "acdctl %s: unknown option '%s'\n", cmd, argv[optind - 1]);
            usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (*npos == max_pos) {
            fprintf(stderr, "acdctl %s: unexpected argument '%s'\n", cmd, argv[i]);
            usage(stderr);
            return CTL_EXIT_USAGE;
        }
        pos[(*npos)++] = argv[i];
    }
    return 0;
}

bool acd__ctl_id_ok(const char *s, const char *what)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= 64 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@+") != n) {
        fprintf(stderr, "acdctl: '%s' is not %s name (letters, digits, _-.@+; at most 63)\n",
                s ? s : "", what);
        return false;
    }
    return true;
}
