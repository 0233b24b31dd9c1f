#!/usr/bin/env python3
"""test_cross_site.py - the answering service across two sites (answering_cross_site).

One etcd member, sites a and b (a's sister is b), the same tenants on both:
  (a) override: PUT /v1/tenants/acme/override {"kind": "closed"} at a -> 202, stored in
      etcd at /acdd/tenant-state/acme; within 5 s GET /v1/tenants at b shows acme in mode
      override, and a call to b is greeted "closed" (ACD-SCRIPT mode=override
      greeting=closed), hears the hours and is let go (BYE; CDR ivr). DELETE at a -> b is
      open again.
  (b) instructions: PUT /v1/tenants/acme/instructions at a; agent 3002 at b gets a call
      of b whose X-ACD-Context says instructions="<the text>" (mode=open, override=none).
  (d) a caller of b picks key 1 in tenant ivrt's IVR (queue iq); iq's only agent, 3009,
      is registered at a -> answered by 3009 (b's CDR: queue iq, agent_site a).
  (c) virtual hold and takeover: a caller of a (tenant cbt, queue cq with callback_offer,
      nobody logged in for cq anywhere) presses 1, gets BYE, the call waits at a; b holds
      it in its replica; a is killed (SIGKILL); b adopts it (takeover adopted 1, the call
      queued in b's status); 3003 registers at b -> b offers the callback (X-ACD-Delivery:
      callback), the agent answers, b calls the customer trunk UAS (INVITE for the
      caller's number with the agent's SDP), the customer answers: bridged, one CDR at b."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

cl = an.cl
h = an.h
TEXT = "Ask for the order number"


def tenant_at(site, name):
    status, doc = an.api(site, "GET", "/v1/tenants")
    for t in (doc or {}).get("tenants", []) if isinstance(doc, dict) else []:
        if t.get("name") == name:
            return t
    return {}


def part_override(chk, c):
    a, b = c["a"], c["b"]
    status, doc = an.api(a, "PUT", "/v1/tenants/acme/override", {"kind": "closed"})
    chk.eq(status, 202, "(a) PUT override at a -> 202 (cluster)")
    # 202: a has applied it and asked etcd to store it; the put completes a moment later.
    stored = h.wait_for(lambda: (lambda v: v if v and "closed" in next(iter(v.values())) else None)(
        c.etcd.get("/acdd/tenant-state/acme")), 5, interval=0.1)
    chk.check(stored, "(a) the override is in etcd", repr(c.etcd.get("/acdd/tenant-state/acme")))
    seen = h.wait_for(lambda: tenant_at(b, "acme").get("mode") == "override", 5, interval=0.2)
    chk.check(seen, "(a) b shows acme in mode override", repr(tenant_at(b, "acme")))
    chk.eq((tenant_at(b, "acme").get("override") or {}).get("kind"), "closed", "(a) b's override kind")
    x = an.caller(b, "closed", "11", did="1000")
    x.wait(30)
    x.check_ok(chk, 1)
    chk.eq(len(x.log_records("BYE_IN")), 1, "(a) b let the closed-hours caller go")
    sc = [e for e in an.events(b, "ACD-SCRIPT") if e.get("tenant") == "acme"]
    chk.eq([(e.get("mode"), e.get("greeting")) for e in sc], [("override", "closed")],
           "(a) b greeted the call closed")
    status, _ = an.api(a, "DELETE", "/v1/tenants/acme/override")
    chk.eq(status, 202, "(a) DELETE override at a -> 202")
    back = h.wait_for(lambda: tenant_at(b, "acme").get("mode") == "open", 5, interval=0.2)
    chk.check(back, "(a) b open again", repr(tenant_at(b, "acme")))


def part_instructions(chk, c, phone_b):
    a, b = c["a"], c["b"]
    status, _ = an.api(a, "PUT", "/v1/tenants/acme/instructions", {"text": TEXT})
    chk.eq(status, 202, "(b) PUT instructions at a -> 202")
    seen = h.wait_for(lambda: tenant_at(b, "acme").get("instructions") == TEXT, 5, interval=0.2)
    chk.check(seen, "(b) b has the instructions", repr(tenant_at(b, "acme")))
    an.login(chk, b, ["3002"], phone_b.port, "reg-3002")
    x = an.caller(b, "instr", "21", did="1000", talk_ms=800)
    x.wait(30)
    x.check_ok(chk, 1)
    offs = [o for o in an.offers(phone_b) if o.get("user") == "3002"]
    ctx = offs[0].get("context", "") if offs else ""
    chk.check('instructions="%s"' % TEXT in ctx, "(b) b's agent INVITE carries a's instructions", ctx)
    chk.check("mode=open" in ctx and "override=none" in ctx, "(b) context mode open, no override", ctx)


def part_ivr_remote_agent(chk, c, phone_a):
    a, b = c["a"], c["b"]
    an.login(chk, a, ["3009"], phone_a.port, "reg-3009")
    ok = h.wait_for(lambda: (cl.peer_view(b, "a").get("registrations") or 0) >= 1, 5)
    chk.check(ok, "(d) b sees a's registration", repr(cl.peer_view(b, "a")))
    x = an.caller(b, "ivr", "31", did="7000", dtmf=1, talk_ms=800)
    x.wait(30)
    x.check_ok(chk, 1)
    phone_a.wait(10)
    phone_a.check_ok(chk, 1)
    r = (an.by_caller(b.cdrs()).get("311") or [{}])[-1]
    chk.eq((r.get("queue"), r.get("agent"), r.get("agent_site"), r.get("disposition")),
           ("iq", "3009", "a", "answered"), "(d) b's CDR: IVR to iq, answered by a's agent")


def part_vhold_takeover(chk, c, phone_b, cust):
    a, b = c["a"], c["b"]
    x = an.caller(a, "vhold", "61", did="6000", dtmf=1, via="info", dtmf_ms=1000)
    x.wait(30)
    x.check_ok(chk, 1)
    chk.eq(len(x.log_records("BYE_IN")), 1, "(c) a let the caller go after key 1")
    chk.eq((an.calls(a).get("611") or {}).get("state"), "queued", "(c) the callback waits at a")
    chk.eq(len(an.events(a, "ACD-VHOLD")), 1, "(c) a logged ACD-VHOLD")
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("calls") == 1, 5)
    chk.check(ok, "(c) b holds a's waiting callback", repr(cl.peer_view(b, "a")))
    a.kill()
    h.log("killed site a")
    took = h.wait_for(lambda: [t for t in (b.cluster_status() or {}).get("takeovers", [])
                               if t.get("dark") == "a"], 20, interval=0.2) or []
    chk.eq([(t.get("sister"), t.get("adopted")) for t in took], [("b", 1)], "(c) b adopted a's one call")
    an.wait_state(chk, b, "611", "queued", 10, "(c) the callback waits at b after the takeover")
    an.login(chk, b, ["3003"], phone_b.port, "reg-3003")
    cust.wait(40)
    cust.check_ok(chk, 1)
    phone_b.wait(20)
    phone_b.check_ok(chk, 2)
    got = cust.log_records("CUSTOMER")
    chk.eq([(g.get("user"), g.get("sdp"), g.get("delivery")) for g in got],
           [("611", str(phone_b.media_port), "callback")], "(c) b called the customer with 3003's SDP")
    offs = [o for o in an.offers(phone_b) if o.get("user") == "3003"]
    chk.eq([o.get("delivery") for o in offs], ["callback"], "(c) 3003 offered the callback")
    acks = [k for k in an.acks(phone_b) if k.get("user") == "3003"]
    chk.eq([k.get("port") for k in acks], [str(cust.media_port)], "(c) 3003's ACK: the customer's media")
    r = (an.by_caller(b.cdrs()).get("611") or [{}])[-1]
    chk.eq((r.get("agent"), r.get("disposition")), ("3003", "answered"), "(c) b's CDR of the callback")
    chk.eq(len(an.events(b, "ACD-OUTCALL-CONNECTED")), 1, "(c) b logged ACD-OUTCALL-CONNECTED")


def test(chk):
    menu = {"name": "m", "prompt": "menu_main", "timeout": 5, "retries": 1,
            "options": {"1": "queue:iq"}}
    tenants = [an.tenant("acme", "1000", "main"),
               an.tenant("ivrt", "7000", "iq", ivr={"entry": "m", "menus": [menu]}),
               an.tenant("cbt", "6000", "cq")]
    queues = [an.queue("main", "acme"), an.queue("iq", "ivrt"),
              an.queue("cq", "cbt", callback_offer=True, join_empty=True)]
    agents = [an.agent("3002", ["main"]), an.agent("3009", ["iq"]), an.agent("3003", ["cq"])]
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=agents, tenants=tenants, queues=queues)
    a, b = c["a"], c["b"]
    for s in c.sites:
        an.short_prompts(s)
    cust = an.customer(b, "customer", calls=1, talk_ms=1500)
    tenants[2]["callback"] = {"trunk": "sip:%s:%d" % (h.LOOPBACK, cust.port), "caller_id": "6000",
                              "delay": 1, "attempts": 2, "ring_timeout": 10}
    c.start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    phone_a = an.phone(a, "phone-a", calls=1)
    phone_b = an.phone(b, "phone-b", calls=2)

    part_override(chk, c)
    part_instructions(chk, c, phone_b)
    part_ivr_remote_agent(chk, c, phone_a)
    time.sleep(0.5)
    part_vhold_takeover(chk, c, phone_b, cust)

    cdrs = c.wait_cdrs(4, 10)
    h.check_unique_call_ids(chk, cdrs)
    chk.eq(sorted(str(x.get("caller")) for x in cdrs), ["111", "211", "311", "611"], "one CDR per call")
    chk.eq(b.stop(), 0, "site b exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
