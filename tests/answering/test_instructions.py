#!/usr/bin/env python3
"""test_instructions.py - a tenant's live state over the admin API (single site: 200).

Temporary instructions set by PUT /v1/tenants/acme/instructions (and by `acdctl tenant
instructions` when acdctl has it) reach the agent in X-ACD-Context instructions="...";
an override {"kind": "closed", "minutes": 5} closes the line at once (mode override,
greeting closed, never offered to the agent) until DELETE opens it again. Bad requests
get their status with a JSON "error" and change nothing: 400 for an unknown kind, an
until_ms in the past, a 300-byte text, a body that is not a JSON object, text that is not
UTF-8; 404 for an unknown tenant; 405 for a wrong method."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

TEXT = "back at 3 pm"


def state(site):
    """The parts of GET /v1/tenants/acme a request may change."""
    t = ah.tenant_state(site, "acme") or {}
    return {"mode": t.get("mode"), "open": t.get("open"), "override": t.get("override"),
            "instructions": t.get("instructions")}


def connected_call(chk, site, phones, name, prefix, n_offers):
    """A call that must reach the agent; returns the offer's X-ACD-Context fields."""
    c = ah.caller(site, name, "caller_ctx.xml", "1000", prefix=prefix, talk_ms=500)
    c.wait(30)
    c.check_ok(chk, 1)
    offers = h.wait_for(lambda: (lambda o: o if len(o) >= n_offers else None)(
        ah.sipp_records(phones, "CTX")), 5) or ah.sipp_records(phones, "CTX")
    chk.eq(len(offers), n_offers, "%s: the agent has had %d offer(s)" % (name, n_offers))
    return ah.context_fields(offers[-1].get("ctx")) if offers else {}


def test(chk):
    site = h.new_site(chk, "instr", agents=[ah.agent("2001", ["main"])],
                      tenants=[ah.tenant("acme", ["1000"], "main")], queues=[ah.queue("main", "acme")])
    ah.use_test_prompts(site)
    site.start()
    phones = ah.uas(site, "agent", "agent_ctx.xml", sets={"ring_ms": 200}, calls=2)
    site.register(["2001"], phones.port, chk=chk)
    chk.check(ah.wait_available(site, ["2001"]), "agent 2001 available after REGISTER")

    chk.eq(state(site), {"mode": "open", "open": True, "override": None, "instructions": ""},
           "GET /v1/tenants/acme at start")

    # Instructions: over HTTP, then (when it can) with acdctl.
    st, doc = ah.api(site, "PUT", "/v1/tenants/acme/instructions", {"text": "back at 2 pm"})
    chk.eq(st, 200, "PUT instructions: 200 on a single site")
    chk.eq((doc.get("tenant") or {}).get("instructions"), "back at 2 pm", "PUT instructions answers the new state")
    chk.eq(state(site)["instructions"], "back at 2 pm", "GET shows the instructions")
    rc, out, err = ah.acdctl(site, "tenant", "instructions", "acme", TEXT)
    if rc == 0:
        chk.eq(state(site)["instructions"], TEXT, "acdctl tenant instructions acme ... sets them")
    else:
        h.log("NOTE: acdctl tenant instructions exited %s (%s): set over HTTP instead" % (
            rc, (err or out).strip()[:120]))
        st, _ = ah.api(site, "PUT", "/v1/tenants/acme/instructions", {"text": TEXT})
        chk.eq(st, 200, "PUT instructions (second text)")
    chk.eq(state(site)["instructions"], TEXT, "GET shows %r" % TEXT)

    ctx = connected_call(chk, site, phones, "first", "61", 1)
    chk.eq({k: ctx.get(k) for k in ("tenant", "mode", "reason", "override", "instructions")},
           {"tenant": "acme", "mode": "open", "reason": "none", "override": "none", "instructions": TEXT},
           "first call: X-ACD-Context carries the instructions")

    # Override closed for 5 minutes: the next call hears "closed" and is not offered.
    t0 = int(time.time() * 1000)
    st, doc = ah.api(site, "PUT", "/v1/tenants/acme/override", {"kind": "closed", "minutes": 5})
    chk.eq(st, 200, "PUT override closed: 200")
    ov = state(site)
    chk.eq((ov["mode"], ov["open"]), ("override", False), "GET: mode override, not open")
    o = ov["override"] or {}
    chk.eq(o.get("kind"), "closed", "GET: override kind closed")
    until = o.get("until_ms")
    chk.check(isinstance(until, int) and abs(until - (t0 + 300000)) < 10000,
              "GET: override until_ms = now + 5 min", repr(until))
    nxt = (ah.tenant_state(site, "acme") or {}).get("next_change_ms")
    chk.eq(nxt, until, "GET: next_change_ms is the override's expiry")
    chk.eq(ov["instructions"], TEXT, "the override keeps the instructions")

    closed = ah.dtmf_caller(site, "closed", "1000", prefix="62", talk_ms=1500)
    closed.wait(30)
    closed.check_ok(chk, 1)
    cdr = ah.cdr_by_caller(site.wait_cdrs(2, 10)).get("621") or {}
    s = ah.events(site, "ACD-SCRIPT", call=cdr.get("call_id"))
    if chk.eq(len(s), 1, "closed call: one ACD-SCRIPT line"):
        chk.eq({k: s[0].get(k) for k in ("mode", "greeting", "then")},
               {"mode": "override", "greeting": "closed", "then": "hours"}, "closed call: script")
    chk.eq(cdr.get("disposition"), "ivr", "closed call: CDR disposition")
    chk.eq(len(ah.sipp_records(phones, "CTX")), 1, "closed call: never offered to the agent")

    st, doc = ah.api(site, "DELETE", "/v1/tenants/acme/override")
    chk.eq(st, 200, "DELETE override: 200")
    chk.eq(state(site), {"mode": "open", "open": True, "override": None, "instructions": TEXT},
           "GET after DELETE override: open again, instructions kept")
    ctx = connected_call(chk, site, phones, "reopened", "63", 2)
    chk.eq({k: ctx.get(k) for k in ("mode", "override", "instructions")},
           {"mode": "open", "override": "none", "instructions": TEXT}, "reopened call: X-ACD-Context")
    phones.wait(10)
    phones.check_ok(chk, 2)

    # Bad requests: status, a JSON error, and the state exactly as it was.
    before = state(site)
    past = int(time.time() * 1000) - 60000
    bad = [
        ("PUT", "/v1/tenants/acme/override", {"kind": "bogus"}, None, 400),
        ("PUT", "/v1/tenants/acme/override", {"kind": "closed", "until_ms": past}, None, 400),
        ("PUT", "/v1/tenants/acme/instructions", {"text": "x" * 300}, None, 400),
        ("PUT", "/v1/tenants/acme/instructions", None, b"back at 4 pm", 400),
        ("PUT", "/v1/tenants/acme/instructions", None, b'["back at 4 pm"]', 400),
        ("PUT", "/v1/tenants/acme/instructions", None, b'{"text": "back at \xff pm"}', 400),
        ("PUT", "/v1/tenants/nosuch/instructions", {"text": "hello"}, None, 404),
        ("GET", "/v1/tenants/nosuch", None, None, 404),
        ("PATCH", "/v1/tenants/acme/override", {"kind": "open"}, None, 405),
        ("GET", "/v1/tenants/acme/instructions", None, None, 405),
        ("POST", "/v1/tenants", {"name": "x"}, None, 405),
        ("DELETE", "/v1/tenants/acme", None, None, 405),
    ]
    for method, path, body, raw, want in bad:
        what = "%s %s %s" % (method, path, (body if body is not None else raw or b""))
        st, doc = ah.api(site, method, path, body, raw=raw)
        chk.eq(st, want, "%s: status" % what[:90])
        err = doc.get("error") if isinstance(doc, dict) else None
        chk.check(isinstance(err, str) and err, "%s: JSON error text" % what[:90], repr(doc)[:200])
        chk.eq(state(site), before, "%s: nothing changed" % what[:90])

    # acdctl's override and clear, when it has them; then clear the instructions.
    t0 = int(time.time() * 1000)
    rc, out, err = ah.acdctl(site, "tenant", "override", "acme", "closed", "--minutes", "5")
    if rc == 0:
        o = state(site)["override"] or {}
        chk.eq(o.get("kind"), "closed", "acdctl tenant override acme closed --minutes 5: kind")
        chk.check(isinstance(o.get("until_ms"), int) and abs(o["until_ms"] - (t0 + 300000)) < 10000,
                  "acdctl tenant override acme closed --minutes 5: until_ms = now + 5 min",
                  repr(o.get("until_ms")))
        rc, out, err = ah.acdctl(site, "tenant", "clear", "acme")
        chk.eq(rc, 0, "acdctl tenant clear acme exits 0")
        chk.eq(state(site)["override"], None, "acdctl tenant clear acme removes the override")
    else:
        h.log("NOTE: acdctl tenant override exited %s (%s)" % (rc, (err or out).strip()[:120]))
    st, _ = ah.api(site, "DELETE", "/v1/tenants/acme/instructions")
    chk.eq(st, 200, "DELETE instructions: 200")
    chk.eq(state(site), {"mode": "open", "open": True, "override": None, "instructions": ""},
           "GET after DELETE instructions: as at start")

    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
