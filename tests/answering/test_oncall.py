#!/usr/bin/env python3
"""test_oncall.py - after hours, an urgent caller is put through to the person on call.

Tenant night: hours that exclude now (UTC); a script sends after-hours calls to the IVR
menu night, whose "1" is escalate. on_call: chain ["5001", "5002"] around the clock,
ring_timeout 3 s, trunk sip:127.0.0.1:<port of a SIPp UAS> (oncall_uas.xml: 486 Busy Here
for 5001, 200 for 5002). The caller presses 1 (INFO): ACD-ONCALL-DIAL number=5001
try=1/2, 5001 busy, ACD-ONCALL-DIAL number=5002 try=2/2, ACD-ONCALL-ANSWERED number=5002;
each INVITE carried the caller's SDP and X-ACD-Urgent; the caller is re-INVITEd with the
5002 phone's media port. The caller talks 1 s and hangs up; acdd BYEs 5002. CDR: agent
oncall:5002, disposition answered."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

IVR = {"entry": "night", "menus": [
    {"name": "night", "prompt": "menu_night", "timeout": 4, "options": {"1": "escalate"}}]}


def test(chk):
    site = h.new_site(chk, "oncall", agents=[], tenants=[], queues=[ah.queue("main", "night")])
    uas = ah.uas(site, "oncall", "oncall_uas.xml", sets={"busy_user": "5001", "ring_ms": 300},
                 calls=2)
    site.config["tenants"] = [ah.tenant(
        "night", ["1000"], "main", timezone="UTC", hours=ah.hours_excluding("UTC"), ivr=IVR,
        scripts=[{"when": {"modes": ["after-hours"]}, "greeting": "closed", "then": "menu:night"}],
        on_call={"ring_timeout": 3, "trunk": "sip:%s:%d" % (h.LOOPBACK, uas.port),
                 "calendar": [{"days": "mon-sun", "start": "00:00", "end": "24:00",
                               "chain": ["5001", "5002"]}]})]
    ah.use_test_prompts(site)
    site.start()

    caller = ah.dtmf_caller(site, "caller", "1000", prefix="77", talk_ms=1000, first_ms=1200,
                            info1="1", end="connect")
    caller.wait(40)
    uas.wait(10)
    caller.check_ok(chk, 1)
    uas.check_ok(chk, 2)

    cdrs = site.wait_cdrs(1, 10)
    cdr = cdrs[0] if cdrs else {}
    cid = cdr.get("call_id")
    s = ah.events(site, "ACD-SCRIPT", call=cid)
    chk.eq([(x.get("mode"), x.get("greeting"), x.get("then")) for x in s],
           [("after-hours", "closed", "menu:night")], "ACD-SCRIPT: after hours, to the night menu")
    chk.eq([r.get("go") for r in ah.events(site, "ACD-IVR-ROUTE", call=cid)], ["escalate"],
           "ACD-IVR-ROUTE go=escalate")
    dials = [(d.get("number"), d.get("try")) for d in ah.events(site, "ACD-ONCALL-DIAL", call=cid)]
    chk.eq(dials, [("5001", "1/2"), ("5002", "2/2")], "ACD-ONCALL-DIAL: 5001 try=1/2, then 5002 try=2/2")
    ans = [(a.get("number"), a.get("try")) for a in ah.events(site, "ACD-ONCALL-ANSWERED", call=cid)]
    chk.eq(ans, [("5002", "2")], "ACD-ONCALL-ANSWERED number=5002")

    dialled = ah.sipp_records(uas, "DIALLED")
    chk.eq([d.get("user") for d in dialled], ["5001", "5002"], "the trunk got INVITEs for 5001, then 5002")
    for d in dialled:
        chk.eq(d.get("sdp"), str(caller.media_port), "INVITE for %s carries the caller's SDP" % d.get("user"))
        chk.eq(d.get("urgent"), "yes", "INVITE for %s says X-ACD-Urgent: yes" % d.get("user"))
    chk.eq(uas.log_lines("BUSY"), ["BUSY user=5001"], "5001 answered 486 (and got its ACK)")
    chk.eq(uas.log_lines("ANSWERED"), ["ANSWERED user=5002"], "5002 answered and got acdd's ACK")
    chk.eq(uas.log_lines("BYE"), ["BYE user=5002"], "acdd hung up 5002 after the caller left")
    chk.eq(caller.log_lines("REINVITE"), ["REINVITE port=%d" % uas.media_port],
           "the caller's re-INVITE carries the 5002 phone's media port")

    chk.eq(len(cdrs), 1, "one CDR")
    chk.eq((cdr.get("agent"), cdr.get("disposition"), cdr.get("tenant")), ("oncall:5002", "answered", "night"),
           "CDR: agent oncall:5002, answered")
    talk = cdr.get("talk_s")
    chk.check(isinstance(talk, (int, float)) and 0.7 <= talk <= 3.0, "CDR talk_s ~ 1 s", repr(talk))
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
