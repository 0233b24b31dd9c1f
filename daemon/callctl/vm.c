/* vm.c - voicemail: the tenant's promise, a recorded message, and the message as a task. */
#include "callctl/callctl_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "util/err.h"
#include "util/log.h"

/*
 * The caller hears the tenant's concrete promise ("we will call you back within four
 * hours") and a beep, then speaks; '#', the length limit or hanging up ends the message
 * (docs/adr/0021). The RTP is decoded and written as an 8 kHz WAV by the media layer
 * (libsndfile) to <voicemail dir>/<call id>.wav, with its record <call id>.json beside it:
 *
 *   {"id", "tenant", "did", "caller", "recorded_ms", "duration_ms", "due_ms", "file",
 *    "status": "open" | "done", "site"}
 *
 * due_ms = recorded_ms + the tenant's promise. Every message is then a task: a call of
 * kind "voicemail" enters the tenant's voicemail queue like any caller (outcall.c), so
 * agents are offered it with the same rules, it replicates like a call, and a sister
 * adopts it when this site goes dark; the agent hears the message and the customer is
 * called back. GET /v1/voicemail lists the messages with "overdue" once now > due_ms
 * and the message is still open.
 */

#define VM_MIN_MS 500 /* shorter than this is a hang-up, not a message */

static void vm_dir(acd_callctl_t *cc, const acd_cfg_tenant_t *tc, char *out, size_t len)
{
    snprintf(out, len, "%s", tc && tc->vm_dir ? tc->vm_dir : "/var/lib/acdd/voicemail");
    (void)cc;
}

void acd__vm_start(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    const char *list[] = {tc && tc->vm_prompt ? tc->vm_prompt : "vm_promise", "beep"};
    call->stage = STAGE_VM_PROMPT;
    acd__stage_play(call, list, 2);
}

/* Writes the message's record next to its WAV: path.json, via a temporary and rename. */
static int vm_write_record(const char *path, json_object *rec)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (json_object_to_file_ext(tmp, rec, JSON_C_TO_STRING_PRETTY) < 0)
        return -EIO;
    return rename(tmp, path) == 0 ? 0 : -errno;
}

static void vm_saved(acd_callctl_t *cc, call_t *call, int duration_ms)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    int64_t now = acd__cc_now(cc);
    int64_t promise = tc && tc->vm_promise_ms ? tc->vm_promise_ms : 4 * 3600 * 1000LL;
    char dir[256], json[600];
    vm_dir(cc, tc, dir, sizeof(dir));
    snprintf(json, sizeof(json), "%s/%s.json", dir, call->id);
    json_object *rec = json_object_new_object();
    json_object_object_add(rec, "id", json_object_new_string(call->id));
    json_object_object_add(rec, "tenant", json_object_new_string(call->tenant));
    json_object_object_add(rec, "did", json_object_new_string(call->did));
    json_object_object_add(rec, "caller", json_object_new_string(call->caller_num));
    json_object_object_add(rec, "recorded_ms", json_object_new_int64(now));
    json_object_object_add(rec, "duration_ms", json_object_new_int64(duration_ms));
    json_object_object_add(rec, "due_ms", json_object_new_int64(now + promise));
    json_object_object_add(rec, "file", json_object_new_string(call->vm_path));
    json_object_object_add(rec, "status", json_object_new_string("open"));
    json_object_object_add(rec, "site", json_object_new_string(cc->cfg->site_name));
    int rc = vm_write_record(json, rec);
    json_object_put(rec);
    if (rc < 0) {
        acd_log_err("ACD-VM-RECORD-WRITE", "call=%s path=%s err=%s", call->id, json,
                    acd_errname(rc));
        return;
    }
    acd_log_notice("ACD-VM-SAVED", "call=%s tenant=%s duration_ms=%d due_ms=%lld file=%s",
                   call->id, call->tenant, duration_ms, (long long)(now + promise),
                   call->vm_path);
    if (cc->closing) {
        /* Shutting down with the caller still speaking: the message is kept, but no new
         * call can be queued now; it is listed (and reported overdue) until returned. */
        acd_log_warn("ACD-VM-TASK-NOT-QUEUED", "message=%s: acdd is stopping; return it by hand",
                     call->id);
        return;
    }
    acd__outcall_task(cc, call, now + promise);
}

static void vm_done_cb(void *ud, int rc, int duration_ms)
{
    call_t *call = ud;
    acd_callctl_t *cc = call->cc;
    call->vm_recording = false;
    bool kept = rc == 0 && duration_ms >= VM_MIN_MS;
    if (kept) {
        call->vm_left = true;
        vm_saved(cc, call, duration_ms);
    } else {
        acd_log_info("ACD-VM-EMPTY", "call=%s rc=%d duration_ms=%d: no message kept", call->id,
                     rc, duration_ms);
        if (rc == 0)
            (void)remove(call->vm_path);
    }
    if (call->ended || call->caller.state == LEG_ENDED) {
        acd__stage_finish(cc, call, call->vm_left ? ACD_DISP_VOICEMAIL : ACD_DISP_IVR);
        return;
    }
    static const char *const thanks[] = {"vm_saved", "goodbye"};
    call->stage = STAGE_VM_DONE;
    acd__stage_play(call, thanks, 2);
}

static void vm_record(acd_callctl_t *cc, call_t *call)
{
    const acd_cfg_tenant_t *tc = acd__caller_tenant_cfg(cc->cfg, call->tenant);
    char dir[256];
    vm_dir(cc, tc, dir, sizeof(dir));
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        acd_log_warn("ACD-VM-DIR", "cannot create %s: %s", dir, strerror(errno));
    snprintf(call->vm_path, sizeof(call->vm_path), "%s/%s.wav", dir, call->id);
    int max = tc && tc->vm_max_ms ? tc->vm_max_ms : 120000;
    call->stage = STAGE_VM_RECORDING;
    acd_media_stream_stop(call->media);
    int rc = acd_media_stream_record_start(call->media, call->vm_path, max, vm_done_cb, call);
    if (rc < 0) {
        acd_log_err("ACD-VM-RECORD-START", "call=%s path=%s err=%s", call->id, call->vm_path,
                    acd_errname(rc));
        acd__stage_finish(cc, call, ACD_DISP_FAILED);
        return;
    }
    call->vm_recording = true;
    acd_log_info("ACD-VM-RECORDING", "call=%s path=%s max_ms=%d", call->id, call->vm_path, max);
}

void acd__vm_prompt_ended(acd_callctl_t *cc, call_t *call)
{
    if (call->stage == STAGE_VM_PROMPT)
        vm_record(cc, call);
    else
        acd__stage_finish(cc, call, call->vm_left ? ACD_DISP_VOICEMAIL : ACD_DISP_IVR);
}

void acd__vm_digit(acd_callctl_t *cc, call_t *call, char digit)
{
    if (call->stage == STAGE_VM_PROMPT) {
        vm_record(cc, call); /* any key skips the promise */
        return;
    }
    if (digit == '#' && call->vm_recording)
        (void)acd_media_stream_record_stop(call->media); /* vm_done_cb follows */
}

bool acd__vm_hangup(acd_callctl_t *cc, call_t *call)
{
    (void)cc;
    if (!call->vm_recording)
        return false;
    /* The caller hung up after speaking: that is how most messages end. */
    (void)acd_media_stream_record_stop(call->media);
    return true;
}

/* ---- GET /v1/voicemail ---- */

int acd__vm_api(acd_callctl_t *cc, const acd_cfg_tenant_t *tc, json_object *answer)
{
    int64_t now = acd__cc_now(cc);
    json_object *arr = json_object_new_array();
    size_t overdue = 0;
    char dir[256];
    vm_dir(cc, tc, dir, sizeof(dir));
    acd__vm_scan(dir, tc->name, now, arr, &overdue);
    json_object_object_add(answer, "messages", arr);
    json_object_object_add(answer, "overdue", json_object_new_int64((int64_t)overdue));
    return 200;
}

#include <dirent.h>

void acd__vm_scan(const char *dir, const char *tenant, int64_t now, json_object *arr,
                  size_t *overdue)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        json_object *rec = json_object_from_file(path);
        json_object *v;
        if (!rec || !json_object_object_get_ex(rec, "tenant", &v) ||
            strcmp(json_object_get_string(v), tenant) != 0) {
            json_object_put(rec);
            continue;
        }
        int64_t due = json_object_object_get_ex(rec, "due_ms", &v) ? json_object_get_int64(v) : 0;
        bool open = json_object_object_get_ex(rec, "status", &v) &&
                    strcmp(json_object_get_string(v), "open") == 0;
        bool late = open && due && now > due;
        if (late)
            (*overdue)++;
        json_object_object_add(rec, "overdue", json_object_new_boolean(late));
        json_object_array_add(arr, rec);
    }
    closedir(d);
}

/* Marks the message whose WAV is wav (its record: the same path ending .json) done by
 * agent. A sister that adopted the task reads it where the recording site wrote it. */
void acd__vm_mark_done(acd_callctl_t *cc, const char *tenant, const char *wav, const char *agent)
{
    char path[600], id[ACD_ID_MAX];
    size_t n = strlen(wav);
    if (n < 5 || strcmp(wav + n - 4, ".wav") != 0 || n + 2 > sizeof(path))
        return;
    snprintf(path, sizeof(path), "%.*s.json", (int)(n - 4), wav);
    const char *base = strrchr(wav, '/');
    base = base ? base + 1 : wav;
    snprintf(id, sizeof(id), "%.*s", (int)(strlen(base) - 4), base);
    json_object *rec = json_object_from_file(path);
    if (!rec)
        return;
    json_object_object_add(rec, "status", json_object_new_string("done"));
    json_object_object_add(rec, "done_ms", json_object_new_int64(acd__cc_now(cc)));
    json_object_object_add(rec, "agent", json_object_new_string(agent ? agent : ""));
    if (vm_write_record(path, rec) == 0)
        acd_log_notice("ACD-VM-DONE", "message=%s tenant=%s agent=%s", id, tenant,
                       agent ? agent : "-");
    json_object_put(rec);
}

/*
 * Every 10 s (announce.c's tick): every open message past its due time is reported
 * once, ACD-VM-OVERDUE at warn level, and its record marked so ("overdue_ms"), which the
 * API and acdctl show as overdue anyway.
 */
void acd__vm_overdue_check(acd_callctl_t *cc)
{
    int64_t now = acd__cc_now(cc);
    for (size_t i = 0; i < cc->cfg->n_tenants; i++) {
        const acd_cfg_tenant_t *tc = &cc->cfg->tenants[i];
        if (!tc->voicemail)
            continue;
        char dir[256];
        vm_dir(cc, tc, dir, sizeof(dir));
        json_object *arr = json_object_new_array();
        size_t overdue = 0;
        acd__vm_scan(dir, tc->name, now, arr, &overdue);
        for (size_t k = 0; overdue && k < json_object_array_length(arr); k++) {
            json_object *m = json_object_array_get_idx(arr, k), *v;
            if (!json_object_object_get_ex(m, "overdue", &v) || !json_object_get_boolean(v) ||
                json_object_object_get_ex(m, "overdue_ms", &v))
                continue;
            const char *id = json_object_object_get_ex(m, "id", &v) ? json_object_get_string(v) : "";
            int64_t due = json_object_object_get_ex(m, "due_ms", &v) ? json_object_get_int64(v) : 0;
            acd_log_warn("ACD-VM-OVERDUE", "message=%s tenant=%s due_ms=%lld late_s=%lld: the"
                         " promised callback time has passed", id, tc->name, (long long)due,
                         (long long)((now - due) / 1000));
            char path[600];
            snprintf(path, sizeof(path), "%s/%s.json", dir, id);
            json_object_object_del(m, "overdue");
            json_object_object_add(m, "overdue_ms", json_object_new_int64(now));
            (void)vm_write_record(path, m);
        }
        json_object_put(arr);
    }
}
