/* ctl_cmd.h - what every acdctl admin command shares: its options, its help, its answer. */
#ifndef ACD_CTL_CTL_CMD_H
#define ACD_CTL_CTL_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

/* A command's own options. */
typedef struct acd__ctl_cmd_opts {
    bool json;          /* --json, -j: print acdd's JSON instead of tables */
    const char *reason; /* --reason R, -r R (commands that take one) */
} acd__ctl_cmd_opts_t;

/*
 * Parses argv[1..argc) of the command cmd ("agent pause"): --json, --help, and --reason R
 * when reason_ok, anywhere among the arguments; the positional ones go to pos[0..*npos)
 * (at most max_pos). --help prints usage on stdout and returns -1 (the caller exits 0);
 * an unknown option, a missing value or too many arguments print why and usage on
 * stderr and return CTL_EXIT_USAGE; otherwise 0.
 */
int acd__ctl_cmd_opts(int argc, char **argv, const char *cmd, bool reason_ok,
                      acd__ctl_cmd_opts_t *o, char **pos, int max_pos, int *npos,
                      void (*usage)(FILE *f));

/* True when s is "-h" or "--help". */
bool acd__ctl_is_help(const char *s);

/*
 * An identifier that can go into a path as it is (agent, queue, call, tenant): 1..63
 * bytes of letters, digits and "_-.@+". Otherwise says so on stderr, naming what.
 */
bool acd__ctl_id_ok(const char *s, const char *what);

#endif
