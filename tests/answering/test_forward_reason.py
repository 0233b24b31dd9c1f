#!/usr/bin/env python3
"""test_forward_reason.py - why a call was forwarded decides what the caller hears.

Tenant acme has no hours (open around the clock); tenant night has hours that exclude
now (one hour starting 90 min from now, UTC) and no voicemail. One agent, 2001, is in both
tenants' queues. Five calls:
  A acme, Diversion reason=user-busy from +34911000001: script mode=open reason=user-busy
    greeting=busy_greeting then=queue:main; the agent's INVITE says
    X-ACD-Context: tenant=acme;mode=open;reason=user-busy;diverted-from=+34911000001;...
  B acme, History-Info with cause=486 on the entry after +34911000001: the same.
  C acme, not forwarded: reason=none, greeting=greeting, no diverted-from.
  D night, not forwarded: mode=after-hours greeting=closed then=hours; never offered.
  E night, Diversion reason=no-answer: after hours, so closed is right here; never offered.
A busy forward in office hours is never answered "closed" (A, B)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

DIVERTER = "+34911000001"
DIVERSION_BUSY = "Diversion: <sip:%s@carrier.example>;reason=user-busy;counter=1" % DIVERTER
DIVERSION_NOANSWER = "Diversion: <sip:%s@carrier.example>;reason=no-answer;counter=1" % DIVERTER
HISTORY_486 = ("History-Info: <sip:%s@carrier.example>;index=1, "
               "<sip:1000@127.0.0.1;cause=486>;index=1.1" % DIVERTER)

# name, prefix, DID, extra header, expected ACD-SCRIPT fields, offered to the agent
CASES = [
    ("A", "71", "1000", DIVERSION_BUSY,
     {"tenant": "acme", "mode": "open", "reason": "user-busy", "from": DIVERTER,
      "greeting": "busy_greeting", "then": "queue:main"}, True),
    ("B", "72", "1000", HISTORY_486,
     {"tenant": "acme", "mode": "open", "reason": "user-busy", "from": DIVERTER,
      "greeting": "busy_greeting", "then": "queue:main"}, True),
    ("C", "73", "1000", None,
     {"tenant": "acme", "mode": "open", "reason": "none", "greeting": "greeting",
      "then": "queue:main"}, True),
    ("D", "74", "2000", None,
     {"tenant": "night", "mode": "after-hours", "reason": "none", "greeting": "closed",
      "then": "hours"}, False),
    ("E", "75", "2000", DIVERSION_NOANSWER,
     {"tenant": "night", "mode": "after-hours", "reason": "no-answer", "from": DIVERTER,
      "greeting": "closed", "then": "hours"}, False),
]


def test(chk):
    tenants = [ah.tenant("acme", ["1000"], "main"),
               ah.tenant("night", ["2000"], "nightq", timezone="UTC",
                         hours=ah.hours_excluding("UTC"))]
    queues = [ah.queue("main", "acme"), ah.queue("nightq", "night")]
    site = h.new_site(chk, "fwd", agents=[ah.agent("2001", ["main", "nightq"])],
                      tenants=tenants, queues=queues)
    ah.use_test_prompts(site)
    site.start()

    phones = ah.uas(site, "agent", "agent_ctx.xml", sets={"ring_ms": 300}, calls=3)
    site.register(["2001"], phones.port, chk=chk)
    chk.check(ah.wait_available(site, ["2001"]), "agent 2001 available after REGISTER")

    # D and E (after hours) hang up after 1.5 s, while A, B, C reach the agent in turn.
    night = []
    for name, prefix, did, hdr, _, offered in CASES:
        if not offered:
            night.append(ah.dtmf_caller(site, name, did, prefix=prefix, talk_ms=1500,
                                        extra_hdr=hdr))
    for name, prefix, did, hdr, _, offered in CASES:
        if offered:
            c = ah.caller(site, name, "caller_ctx.xml", did, prefix=prefix, talk_ms=500,
                          sets={"extra_hdr": hdr or "X-Test-Case: " + name})
            c.wait(30)
            c.check_ok(chk, 1)
    for c in night:
        c.wait(30)
        c.check_ok(chk, 1)
    phones.wait(10)
    phones.check_ok(chk, 3)

    cdrs = ah.cdr_by_caller(site.wait_cdrs(len(CASES), 10))
    offers = ah.sipp_records(phones, "CTX")
    chk.eq(len(offers), 3, "the agent was offered exactly the three acme calls")
    by_call = {o.get("call"): o for o in offers}
    for name, prefix, did, hdr, want, offered in CASES:
        cdr = cdrs.get(prefix + "1")
        if not chk.check(cdr is not None, "%s: a CDR for caller %s1" % (name, prefix), sorted(cdrs)):
            continue
        cid = cdr.get("call_id")
        scripts = ah.events(site, "ACD-SCRIPT", call=cid)
        if chk.eq(len(scripts), 1, "%s: one ACD-SCRIPT line for call %s" % (name, cid)):
            got = {k: scripts[0].get(k) for k in want}
            chk.eq(got, want, "%s: ACD-SCRIPT fields" % name)
            if want["mode"] == "open" and want["reason"] == "user-busy":
                chk.check(scripts[0].get("greeting") != "closed",
                          "%s: a busy forward in office hours is never greeted closed" % name)
        offer = by_call.get(cid)
        if offered:
            chk.eq(cdr.get("disposition"), "answered", "%s: CDR disposition" % name)
            chk.eq(cdr.get("agent"), "2001", "%s: CDR agent" % name)
            if chk.check(offer is not None, "%s: the agent's INVITE names the call (X-ACD-Call)" % name,
                         repr(offers)):
                chk.eq(offer.get("tenant"), "acme", "%s: X-ACD-Tenant" % name)
                chk.eq(offer.get("did"), did, "%s: X-ACD-DID" % name)
                chk.eq(offer.get("delivery"), "", "%s: no X-ACD-Delivery on a live call" % name)
                ctx = ah.context_fields(offer.get("ctx"))
                want_ctx = {"tenant": "acme", "mode": "open", "reason": want["reason"],
                            "diverted-from": want.get("from"), "override": "none",
                            "instructions": ""}
                chk.eq({k: ctx.get(k) for k in want_ctx}, want_ctx,
                       "%s: X-ACD-Context fields (%s)" % (name, offer.get("ctx")))
        else:
            chk.check(offer is None, "%s: after hours, never offered to an agent" % name)
            chk.eq(cdr.get("disposition"), "ivr", "%s: CDR disposition (hung up in the hours stage)" % name)
            chk.check(cdr.get("agent") in (None, ""), "%s: CDR has no agent" % name, repr(cdr.get("agent")))
            chk.eq(cdr.get("tenant"), "night", "%s: CDR tenant" % name)

    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
