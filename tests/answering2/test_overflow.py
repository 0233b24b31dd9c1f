#!/usr/bin/env python3
"""test_overflow.py - queue rules that send callers elsewhere (answering_overflow).

One site, four tenants (agents all on one SIPp phone):
  max_length: queue main (max_length 1, overflow queue:backup). F talks to main's agent,
      C1 waits in main; C2 finds main full and is moved to backup, where backup's own
      agent answers it at once (CDR queue backup, agent 3002, log ACD-CALL-OVERFLOW
      reason=max-len); C1 is answered by main's agent after F.
  max_wait: queue vq (join_empty, max_wait 3, overflow voicemail), nobody logged in: after
      3 s the caller leaves the queue for voicemail (ACD-CALL-OVERFLOW reason=max-wait,
      then ACD-VM-RECORDING for that call, 3..5 s after it came), speaks (RTP) and hangs up
      while recording:
      CDR disposition voicemail, a .wav and a .json record in the tenant's voicemail dir.
  join_empty false: queue jq (overflow queue:jb) with nobody logged in: the caller is sent
      on at once (reason=empty) and answered by jb's agent (CDR queue jb, wait < 2 s).
  leave_empty: queue lq (leave_empty, overflow queue:lb): LF talks to lq's only agent, L1
      waits; that agent logs out (REGISTER Expires: 0), which takes effect when LF's call
      ends (LF's call goes on to its end) -> L1 moves to lb and is answered by lb's agent
      (CDR queue lb), never by the agent that left."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

h = an.h


def test(chk):
    tenants = [an.tenant("acme", "1000", "main"),
               an.tenant("vmt", "2000", "vq"),
               an.tenant("je", "3000", "jq"),
               an.tenant("le", "4000", "lq")]
    queues = [an.queue("main", "acme", max_length=1, overflow="queue:backup"),
              an.queue("backup", "acme"),
              an.queue("vq", "vmt", join_empty=True, max_wait=3, overflow="voicemail"),
              an.queue("vtasks", "vmt", join_empty=True),
              an.queue("jq", "je", join_empty=False, overflow="queue:jb"),
              an.queue("jb", "je"),
              an.queue("lq", "le", leave_empty=True, overflow="queue:lb"),
              an.queue("lb", "le")]
    agents = [an.agent("3001", ["main"]), an.agent("3002", ["backup"]),
              an.agent("3004", ["jb"]), an.agent("3005", ["lq"]), an.agent("3006", ["lb"])]
    site = an.new_site(chk, "ovf", tenants=tenants, queues=queues, agents=agents)
    site_dir_vm = os.path.join(site.dir, "vm")
    site.config["tenants"][1]["voicemail"] = {"dir": site_dir_vm, "max_length": 10,
                                              "promise": 3600, "queue": "vtasks"}
    site.start()
    ph = an.phone(site, "phones", calls=6)
    an.login(chk, site, ["3001", "3002", "3004", "3005", "3006"], ph.port, "register")
    sipps = []

    # max_length: F busy with 3001, C1 waits, C2 overflows to backup (3002).
    sipps.append(an.caller(site, "F", "51", did="1000", talk_ms=4000))
    an.wait_state(chk, site, "511", "connected", 10)
    sipps.append(an.caller(site, "C1", "52", did="1000"))
    an.wait_state(chk, site, "521", "queued")
    sipps.append(an.caller(site, "C2", "53", did="1000"))
    an.wait_state(chk, site, "531", "connected", 10, "C2 connected at once (through backup)")

    # join_empty false: straight on to jb.
    sipps.append(an.caller(site, "J", "61", did="3000"))

    # max_wait: voicemail after 3 s; the caller hangs up 7 s after answering.
    vm = an.caller(site, "VM", "71", did="2000", scen="caller_abandon.xml", talk_ms=7000, send_rtp=True)
    sipps.append(vm)

    # leave_empty: LF talks to 3005, L1 waits in lq, 3005 logs out.
    sipps.append(an.caller(site, "LF", "81", did="4000", talk_ms=5000))
    an.wait_state(chk, site, "811", "connected", 10)
    sipps.append(an.caller(site, "L1", "82", did="4000"))
    an.wait_state(chk, site, "821", "queued")
    time.sleep(0.5)
    chk.eq((an.calls(site).get("821") or {}).get("queue"), "lq", "L1 waits in lq before the logout")
    an.unregister(site, ["3005"], ph.port, chk)
    an.wait_state(chk, site, "821", "connected", 15, "L1 connected after lq's last agent left")

    cdrs = an.finish(chk, site, sipps, ph, 6, 7)
    by = {n: v[-1] for n, v in an.by_caller(cdrs).items()}

    def cdr_is(num, what, queue, agent, disposition="answered"):
        c = by.get(num) or {}
        chk.eq((c.get("queue"), c.get("agent"), c.get("disposition")), (queue, agent, disposition),
               "%s: CDR (queue, agent, disposition)" % what)
        return c

    cdr_is("511", "F", "main", "3001")
    c1 = cdr_is("521", "C1 (waited in main)", "main", "3001")
    c2 = cdr_is("531", "C2 (main full)", "backup", "3002")
    chk.check((c2.get("wait_s") or 99) < 2.0, "C2 did not wait for main's agent", repr(c2.get("wait_s")))
    chk.check((c1.get("answer_ms") or 0) > (c2.get("answer_ms") or 0), "C2 answered before C1")
    j = cdr_is("611", "J (jq empty)", "jb", "3004")
    chk.check((j.get("wait_s") or 99) < 2.0, "J sent on at once", repr(j.get("wait_s")))
    cdr_is("811", "LF", "lq", "3005")
    cdr_is("821", "L1 (lq emptied)", "lb", "3006")
    v = cdr_is("711", "VM caller (CDR names the queue it last waited in)", "vq", None, "voicemail")

    reasons = {e.get("call"): e.get("reason") for e in an.events(site, "ACD-CALL-OVERFLOW")}
    ids = {n: (by.get(n) or {}).get("call_id") for n in ("531", "611", "711", "821")}
    chk.eq({n: reasons.get(i) for n, i in ids.items()},
           {"531": "max-len", "611": "empty", "711": "max-wait", "821": "empty"},
           "ACD-CALL-OVERFLOW reasons per caller")
    rec = [e for e in an.events(site, "ACD-VM-RECORDING") if e.get("call") == ids["711"]]
    chk.eq(len(rec), 1, "the max_wait caller reached the voicemail recording")
    if rec and v.get("enqueue_ms") and rec[0].get("_t"):
        waited = rec[0]["_t"] - v["enqueue_ms"] / 1000.0
        chk.check(2.9 <= waited <= 5.0, "voicemail recording starts ~3 s (max_wait) after arrival",
                  "%.2f s" % waited)
    saved = [e for e in an.events(site, "ACD-VM-SAVED") if e.get("call") == ids["711"]]
    chk.eq(len(saved), 1, "the message was saved")
    for ext in (".wav", ".json"):
        p = os.path.join(site_dir_vm, "%s%s" % (ids["711"], ext))
        chk.check(os.path.isfile(p), "voicemail file %s" % os.path.basename(p))
    site.stop()


if __name__ == "__main__":
    h.run(test)
