#!/usr/bin/env python3
"""test_takeover.py - site a dies (kill -9) with two connected calls and one waiting caller;
its sister b takes them over, exactly once, and every caller gets served.

Before the kill: Z entered a and talks to 3001 (a's own agent); X entered a and talks to
3002 (b's agent); Y entered a and waits (both agents busy). a published every leg's SIP
dialog, so b and c hold them. After the kill, a's lease expires, the leader (a new one
when a led) hands a's run to b, the first of a's sisters (Takeover). b then:
  - sends X's and Z's legs a target refresh (a re-INVITE of the session they have, with
    b's Contact): their media stays direct, and their BYEs come to b;
  - re-INVITEs Y with b's media and queues it in its original place (enqueue time kept);
  - when X hangs up, BYEs 3002, writes X's CDR, and 3002 (after wrap-up) gets Y, which b
    connects and later closes; Z's CDR too when Z hangs up.
Every call ends in exactly one CDR, all written by b; a wrote none; no agent is on two
calls at once; every SIPp caller and phone counts its calls successful."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h




def test(chk):
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1)]
    c = cl.Cluster(chk, agents=[h.agent("3001"), h.agent("3002")], queues=queues).start()
    leader = c.wait_formed()
    a, b = c["a"], c["b"]
    h.log("cluster formed, leader %s; a's sisters %s" % (leader, a.config["cluster"]["sisters"]))

    phone_a = a.agent_phones(name="phone-a", scenario="agent_uas_takeover.xml", calls=1, ring_ms=100,
                             timeout_s=120)
    a.register(["3001"], phone_a.port, chk=chk)
    h.wait_for(lambda: cl.agent_state(a, "3001") == "available", 5)
    time.sleep(0.3)  # 3001 idles longer than 3002: the first call goes to it
    phone_b = b.agent_phones(name="phone-b", scenario="agent_uas_takeover.xml", calls=2, ring_ms=100,
                             timeout_s=120)
    b.register(["3002"], phone_b.port, chk=chk)
    h.wait_for(lambda: cl.peer_view(a, "b").get("registrations") == 1, 5)

    def caller(name, prefix, talk_ms):
        return a.callers(name=name, scenario="caller_takeover.xml", calls=1, talk_ms=talk_ms,
                         prefix=prefix, timeout_s=120)
    z = caller("Z", "71", 6000)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("711") == "connected", 10), "Z connected at a",
              repr(cl.calls_at(a)))
    x = caller("X", "72", 2500)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("721") == "connected", 10), "X connected at a",
              repr(cl.calls_at(a)))
    y = caller("Y", "73", 1000)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("731") == "queued", 5), "Y waits at a", repr(cl.calls_at(a)))
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("dialogs") == 5 and cl.peer_view(b, "a").get("calls") == 3, 5)
    chk.check(ok, "b holds a's 3 calls and 5 dialogs before the kill", repr(cl.peer_view(b, "a")))

    t_kill = time.monotonic()
    a.kill()
    h.log("killed site a")
    took = h.wait_for(lambda: [t for t in (b.cluster_status() or {}).get("takeovers", []) if t.get("dark") == "a"],
                      15, interval=0.1)
    chk.check(took, "b learned the takeover of a's run", repr(b.cluster_status()))
    if took:
        h.log("takeover seen at b %.1fs after the kill: %r" % (time.monotonic() - t_kill, took[0]))
        chk.eq((took[0].get("sister"), took[0].get("adopted")), ("b", 3), "b, a's first sister, adopted 3 calls")
    for t in (c["c"].cluster_status() or {}).get("takeovers", []):
        chk.eq((t.get("dark"), t.get("sister"), t.get("adopted")), ("a", "b", 0), "c recorded it, adopted nothing")

    for s in (x, y, z):
        s.wait(60)
    phone_a.wait(20)
    phone_b.wait(20)
    for s in (x, y, z):
        s.check_ok(chk, 1)
    phone_a.check_ok(chk, 1)
    phone_b.check_ok(chk, 2)
    t_end = time.monotonic()

    # The refreshes and the takeover re-INVITE came from b; the callers then BYE'd b.
    for s, want in ((x, "refresh"), (z, "refresh"), (y, "takeover")):
        r = {rec.get("n"): rec for rec in s.log_records("REINVITE")}
        chk.eq(sorted(r), ["1", "2"], "%s got two re-INVITEs" % s.name)
        chk.eq((r.get("2") or {}).get("from"), str(b.sip_port), "%s's second re-INVITE came from b" % s.name)
        if want == "takeover":
            chk.eq((r.get("1") or {}).get("from"), str(b.sip_port), "Y's first re-INVITE (media) came from b")
    chk.eq(len(phone_a.log_records("REFRESH")), 1, "3001's phone got b's target refresh")
    chk.eq(len(phone_b.log_records("REFRESH")), 1, "3002's phone got b's target refresh for X")

    cdrs = [r for r in c.cdrs()]
    c.check_invariants(chk, cdrs, 3)
    by = {str(r.get("caller")): r for r in cdrs}
    for who, agent in (("711", "3001"), ("721", "3002"), ("731", "3002")):
        r = by.get(who) or {}
        chk.eq((r.get("_file"), r.get("disposition"), r.get("agent")), ("b", "answered", agent),
               "call %s: one CDR, by b, answered by %s" % (who, agent))
        chk.check((r.get("offers") or 0) >= 1, "call %s: its CDR counts the agents it rang" % who,
                  repr(r.get("offers")))
    ry = by.get("731") or {}
    if ry.get("enqueue_time") and by.get("721", {}).get("enqueue_time"):
        chk.check(h.parse_time(ry["enqueue_time"]) > h.parse_time(by["721"]["enqueue_time"]),
                  "Y kept its original enqueue time (after X's, before the kill)")
        chk.check(ry.get("wait_s", 0) >= 2.0, "Y's wait spans the takeover", repr(ry.get("wait_s")))
    h.log("kill -> all calls served: %.1fs" % (t_end - t_kill))
    for s in c.sites:
        if s.alive():
            chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
