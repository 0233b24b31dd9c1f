#!/usr/bin/env python3
"""test_dept_closed.py - a department with nobody logged in, and a voicemail message.

Tenant vmt: IVR main ("1" queue:sales, "2" queue:support), voicemail (promise 3600 s,
dir in the test's temp dir). Agent 5101 is configured in sales but never registers;
5102 (support) is logged in. The caller presses 1 (INFO): ACD-STAGE-DEPT-CLOSED queue=sales
and the dept_closed / hours / vm_offer prompts; then 9 as an RFC 4733 event
(dtmf_2833_9.pcap): the promise and the beep, then recording. The caller streams exactly
3 s of PCMU and hangs up. Then: <dir>/<call>.wav holds 3 s (soxi -D, +-0.5 s), 8 kHz mono
16-bit; <dir>/<call>.json has every field, due_ms = recorded_ms + 3600000, status open;
GET /v1/tenants/vmt/voicemail lists it, not overdue; the CDR says voicemail; ACD-VM-SAVED
logs the duration. Nobody is offered anything (5102's phone never rings)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

PROMISE_S = 3600
SPOKEN_S = 3.0
IVR = {"entry": "main", "menus": [
    {"name": "main", "prompt": "menu_main", "timeout": 4,
     "options": {"1": "queue:sales", "2": "queue:support"}}]}
RECORD_FIELDS = ("id", "tenant", "did", "caller", "recorded_ms", "duration_ms", "due_ms", "file",
                 "status", "site")


def test(chk):
    site = h.new_site(chk, "dept", agents=[ah.agent("5101", ["sales"]), ah.agent("5102", ["support"])],
                      tenants=[], queues=[ah.queue("sales", "vmt"), ah.queue("support", "vmt"),
                                          ah.queue("vmq", "vmt", join_empty=True)])
    vm_dir = os.path.join(site.dir, "vm")
    site.config["tenants"] = [ah.tenant("vmt", ["1000"], "support", ivr=IVR, voicemail={
        "promise": PROMISE_S, "max_length": 30, "dir": vm_dir, "queue": "vmq"})]
    ah.use_test_prompts(site)
    ah.write_ulaw(site, "vm.ulaw", SPOKEN_S)
    site.start()
    phones = ah.uas(site, "agents", "agent_ctx.xml", sets={"ring_ms": 200})
    site.register(["5102"], phones.port, chk=chk)
    chk.check(ah.wait_available(site, ["5102"]), "agent 5102 (support) available")

    # 1 at 1.2 s (after greeting and menu), 9 1.5 s later (the three prompts take 0.75 s),
    # speech 1.2 s after that (promise and beep 0.5 s), 3 s of it, BYE 0.4 s after its end.
    caller = ah.dtmf_caller(site, "caller", "1000", prefix="91", talk_ms=100, first_ms=1200,
                            info1="1", gap_ms=1500, pcap="9", stream=1, stream_delay_ms=1200,
                            stream_ms=int(SPOKEN_S * 1000) + 300, end="bye")
    caller.wait(40)
    caller.check_ok(chk, 1)

    cdrs = site.wait_cdrs(1, 10)
    chk.eq(len(cdrs), 1, "one CDR")
    cdr = cdrs[0] if cdrs else {}
    cid = cdr.get("call_id")
    chk.eq((cdr.get("disposition"), cdr.get("tenant"), cdr.get("caller")), ("voicemail", "vmt", "911"),
           "CDR disposition voicemail, tenant, caller")
    closed = ah.events(site, "ACD-STAGE-DEPT-CLOSED", call=cid)
    chk.eq([c.get("queue") for c in closed], ["sales"], "ACD-STAGE-DEPT-CLOSED queue=sales")
    chk.eq([(d.get("digit"), d.get("via"), d.get("stage")) for d in ah.events(site, "ACD-DTMF", call=cid)],
           [("1", "info", "menu"), ("9", "rfc4733", "hours")], "ACD-DTMF: 1 by INFO in the menu, 9 by RFC 4733 at the hours")
    saved = ah.wait_events(site, "ACD-VM-SAVED", 1, 5, call=cid)
    if chk.eq(len(saved), 1, "ACD-VM-SAVED logged once"):
        d = int(saved[0].get("duration_ms") or -1)
        chk.check(abs(d - SPOKEN_S * 1000) <= 500, "ACD-VM-SAVED duration_ms ~ %d" % (SPOKEN_S * 1000), d)

    wav = os.path.join(vm_dir, "%s.wav" % cid)
    chk.check(os.path.isfile(wav), "the message's WAV exists: %s" % wav, repr(os.listdir(vm_dir) if os.path.isdir(vm_dir) else None))
    secs = ah.wav_seconds(wav)
    chk.check(secs is not None and abs(secs - SPOKEN_S) <= 0.5, "soxi -D: %.1f s +- 0.5" % SPOKEN_S, repr(secs))
    fmt = ah.wav_format(wav)
    chk.eq(fmt, (8000, 1, 16), "WAV is 8 kHz, mono, 16-bit")

    rec = None
    try:
        with open(os.path.join(vm_dir, "%s.json" % cid)) as f:
            rec = json.load(f)
    except (OSError, ValueError) as e:
        chk.check(False, "the message's .json record reads", repr(e))
    if rec is not None:
        chk.eq([k for k in RECORD_FIELDS if k not in rec], [], "record has every field")
        chk.eq((rec.get("id"), rec.get("tenant"), rec.get("did"), rec.get("caller"), rec.get("status"),
                rec.get("site"), rec.get("file")), (cid, "vmt", "1000", "911", "open", "dept", wav),
               "record: id, tenant, did, caller, status, site, file")
        chk.eq(rec.get("due_ms"), (rec.get("recorded_ms") or 0) + PROMISE_S * 1000,
               "record: due_ms = recorded_ms + promise")
        chk.check(abs((rec.get("duration_ms") or 0) - SPOKEN_S * 1000) <= 500,
                  "record: duration_ms ~ %d" % (SPOKEN_S * 1000), rec.get("duration_ms"))
        end = h.parse_time(cdr.get("end_time")) if cdr.get("end_time") else None
        if end and isinstance(rec.get("recorded_ms"), int):
            chk.check(abs(rec["recorded_ms"] / 1000 - end) < 3, "record: recorded_ms is when the call ended",
                      "%s vs %s" % (rec["recorded_ms"], end))

    st, doc = ah.api(site, "GET", "/v1/tenants/vmt/voicemail")
    chk.eq(st, 200, "GET /v1/tenants/vmt/voicemail: 200")
    msgs = [m for m in (doc.get("messages") or []) if m.get("id") == cid]
    if chk.check(len(msgs) == 1, "the API lists the message once", repr(doc)[:300]):
        chk.eq((msgs[0].get("overdue"), msgs[0].get("status")), (False, "open"), "listed: open, not overdue")
    chk.eq(doc.get("overdue"), 0, "no message overdue")
    rc, out, err = ah.acdctl(site, "voicemail", "vmt", "--json")
    if rc == 0:
        try:
            ids = [m.get("id") for m in json.loads(out).get("messages", [])]
        except (ValueError, AttributeError):
            ids = None
        chk.check(ids == [cid], "acdctl voicemail vmt --json: JSON listing the message", out[:200])
    else:
        h.log("NOTE: acdctl voicemail exited %s (%s)" % (rc, (err or out).strip()[:120]))

    chk.eq(ah.sipp_records(phones, "CTX"), [], "nobody was offered a call (sales was closed)")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
