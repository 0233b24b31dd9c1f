/* ctl_report.h - acdctl report: reports computed from acdd's files (billing from CDRs). */
#ifndef ACD_CTL_CTL_REPORT_H
#define ACD_CTL_CTL_REPORT_H

/*
 * Runs `acdctl report billing ...`; argv[0] is "report". config is acdctl's --config
 * (NULL: none): the site file whose cdr.path is read when no --cdr is given, and whose
 * tenants give the tenant's time zone when no --tz is given. Reads files only; acdd need
 * not run. Prints the report on stdout, warnings (bad lines skipped, duplicate records)
 * on stderr. Returns the exit code: 0 printed, 1 usage error (bad arguments, an invalid
 * config, an unknown time zone), 2 a CDR file could not be opened or read (nothing
 * printed).
 */
int acd__ctl_report(const char *config, int argc, char **argv);

#endif
