/* ctl_doc.h - reading acdd's JSON documents for acdctl's tables: members, times, durations. */
#ifndef ACD_CTL_CTL_DOC_H
#define ACD_CTL_CTL_DOC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The string at key, or "-" when absent or null (absent references print as "-"). */
const char *acd__ctl_str(json_object *o, const char *key);

/* The integer at key; 0 when absent. */
int64_t acd__ctl_int(json_object *o, const char *key);

/* "yes" or "no" for the boolean at key; "-" when absent or null. */
const char *acd__ctl_yes(json_object *o, const char *key);

/* The integer at key followed by unit, in buf (len bytes); "-" when absent or null. */
const char *acd__ctl_num(json_object *o, const char *key, const char *unit, char *buf, size_t len);

/* The RFC 3339 UTC time acdd writes (2026-11-22T13:04:14.123Z) at key in ms; -1 when none. */
int64_t acd__ctl_time(json_object *o, const char *key);

/* A duration of s seconds as people read it: 45s, 4m05s, 2h03m, 3d04h (negative: 0s). */
void acd__ctl_duration(char *buf, size_t len, int64_t s);

/* The document's own clock (site.now of a status document), else ours, in ms. */
int64_t acd__ctl_now(json_object *status_doc);

#endif
