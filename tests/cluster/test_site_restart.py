#!/usr/bin/env python3
"""test_site_restart.py - a site is killed (-9) while it owns a registered agent and a
waiting call, then restarted. The restart is a new incarnation: every peer installs its
snapshot, so the dead run's call and registration vanish from the replicas (nothing stale,
nothing offered to a dead call), the phone's re-registration appears exactly once
(nothing duplicated), and the restarted site's agent takes cross-site calls again. The
peers' view of every site equals that site's own account of itself."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h


def test(chk):
    tenants = [h.tenant("acme", ["1000"], "main"), h.tenant("night", ["3000"], "closed")]
    queues = [h.queue("main", "acme"), h.queue("closed", "night")]  # "closed" has no agents
    c = cl.Cluster(chk, agents=[h.agent("3001"), h.agent("3002")], tenants=tenants, queues=queues).start()
    h.log("cluster formed, leader %s" % c.wait_formed())

    phone_c = c["c"].agent_phones(name="phone-c", calls=None, ring_ms=100, timeout_s=200)
    c["c"].register(["3001"], phone_c.port, chk=chk)
    stuck = c["c"].callers(name="stuck", calls=1, did="3000", prefix="60", timeout_s=60)
    ok = h.wait_for(lambda: cl.views_agree(c) and cl.peer_view(c["a"], "c").get("calls") == 1, 8)
    chk.check(ok, "before the kill: a and b replicate c's call and registration",
              repr([cl.peer_view(c["a"], "c"), cl.own_counts(c["c"])]))
    inc_before = cl.peer_view(c["a"], "c").get("incarnation")
    resyncs_before = {v.name: cl.peer_view(v, "c").get("resyncs", 0) for v in (c["a"], c["b"])}

    c["c"].kill()
    h.log("site c killed")
    stuck.stop()  # its call died with the site (issue 4 brings takeover of such callers)
    ok = h.wait_for(lambda: not cl.peer_view(c["a"], "c").get("live") and not cl.peer_view(c["b"], "c").get("live"), 10)
    chk.check(ok, "a and b see c dark once its lease expires")
    h.log("c dark: %r" % cl.peer_view(c["a"], "c"))

    c["c"].restart()
    h.log("site c restarted")
    ok = h.wait_for(lambda: all(cl.peer_view(v, "c").get("incarnation") not in (None, inc_before)
                                and cl.peer_view(v, "c").get("state") == "synced" for v in (c["a"], c["b"])), 10)
    chk.check(ok, "a and b follow c's new incarnation", repr([cl.peer_view(c["a"], "c"), cl.peer_view(c["b"], "c")]))
    for v in (c["a"], c["b"]):
        p = cl.peer_view(v, "c")
        chk.eq((p.get("calls"), p.get("registrations"), p.get("agents")), (0, 0, 0),
               "%s's replica of c holds nothing of c's dead run" % v.name)
        # A snapshot installed: one more resync, or (when the leader took c's dead run over,
        # which made every site forget it) the first resync of c as a new origin.
        took = any(t.get("dark") == "c" for t in (v.cluster_status() or {}).get("takeovers", []))
        chk.check(p.get("resyncs", 0) > resyncs_before[v.name] or (took and p.get("resyncs", 0) >= 1),
                  "%s installed a snapshot of c's new run" % v.name, repr(p))
    chk.check(cl.views_agree(c), "after the restart every replica matches its owner")

    # A call while c's agent is away: nobody may offer it to the dead run's registration.
    phone_a = c["a"].agent_phones(name="phone-a", calls=None, ring_ms=100, timeout_s=200)
    c["a"].register(["3002"], phone_a.port, chk=chk)
    first = c["b"].callers(name="first", calls=1, talk_ms=500, prefix="61")
    first.wait(30)
    first.check_ok(chk, 1)

    c["c"].register(["3001"], phone_c.port, name="reregister", chk=chk)
    ok = h.wait_for(lambda: cl.views_agree(c) and cl.peer_view(c["a"], "c").get("registrations") == 1, 8)
    chk.check(ok, "c's re-registration appears once at every peer",
              repr([cl.peer_view(c["a"], "c"), cl.peer_view(c["b"], "c"), cl.own_counts(c["c"])]))
    # Two overlapping calls entering a and b: one of them must go to c's agent.
    long_call = c["a"].callers(name="long", calls=1, talk_ms=4000, prefix="62")
    h.wait_for(lambda: any(c[n].status(quiet=True) and any(x.get("state") == "connected"
                           for x in c[n].status(quiet=True).get("calls", [])) for n in ("a",)), 5)
    cross = c["b"].callers(name="cross", calls=1, talk_ms=500, prefix="63")
    cross.wait(30)
    long_call.wait(30)
    cross.check_ok(chk, 1)
    long_call.check_ok(chk, 1)
    phone_a.stop()
    phone_c.stop()

    cdrs = [r for r in c.cdrs() if str(r.get("caller")).startswith(("61", "62", "63"))]
    c.check_invariants(chk, cdrs, 3)
    by = {str(r["caller"])[:2]: r for r in cdrs}
    chk.eq((by.get("61") or {}).get("agent"), "3002", "the call during c's absence went to a's agent")
    two = sorted(((by.get(k) or {}).get("agent"), (by.get(k) or {}).get("agent_site") or by.get(k, {}).get("_file"))
                 for k in ("62", "63"))
    chk.eq(two, [("3001", "c"), ("3002", "a")],
           "of the two overlapping calls (entering a and b) one went to c's re-registered agent")
    chk.check(h.wait_for(lambda: cl.views_agree(c), 5), "at the end every replica matches its owner")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
