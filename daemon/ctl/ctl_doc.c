/* ctl_doc.c - reading acdd's JSON documents for acdctl's tables: members, times, durations. */
#include "ctl/ctl_doc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *acd__ctl_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_string(v);
}

int64_t acd__ctl_int(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

const char *acd__ctl_yes(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    return json_object_get_boolean(v) ? "yes" : "no";
}

const char *acd__ctl_num(json_object *o, const char *key, const char *unit, char *buf, size_t len)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "-";
    snprintf(buf, len, "%lld%s", (long long)json_object_get_int64(v), unit);
    return buf;
}

int64_t acd__ctl_time(json_object *o, const char *key)
{
    struct tm tm;
    int ms = 0, n = 0;
    const char *s = acd__ctl_str(o, key);

    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    if (s[n] == '.')
        sscanf(s + n + 1, "%3d", &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

void acd__ctl_duration(char *buf, size_t len, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

int64_t acd__ctl_now(json_object *status_doc)
{
    json_object *site = NULL;
    json_object_object_get_ex(status_doc, "site", &site);
    /* acdd says what time it is; an older acdd does not, and then our clock will do. */
    int64_t now = acd__ctl_time(site, "now");
    return now >= 0 ? now : (int64_t)time(NULL) * 1000;
}
