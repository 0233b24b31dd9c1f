#!/usr/bin/env python3
"""test_partition_return.py - a site is cut off (from etcd and from its peers' view) while
it owns a connected call; its sister takes the call over; then the cut heals and the site
comes back in the same run. The call must be served exactly once: the sister answers its
BYE and writes its CDR; the returning site, which learns of the takeover (the Takeover in
a leader's log it still hears, or the record in etcd when it gets a lease again), drops
its copy without a BYE or a CDR, and rejoins with nothing left of it."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TTL = 3



def test(chk):
    c = cl.Cluster(chk, agents=[h.agent("3002")], lease_ttl=TTL, pin_etcd=True).start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, b = c["a"], c["b"]
    phone = b.agent_phones(name="phone-b", scenario="agent_uas_takeover.xml", calls=1, ring_ms=100,
                           timeout_s=120)
    b.register(["3002"], phone.port, chk=chk)
    h.wait_for(lambda: cl.peer_view(a, "b").get("registrations") == 1, 5)
    x = a.callers(name="X", scenario="caller_takeover.xml", calls=1, talk_ms=2000, prefix="81", timeout_s=120)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("811") == "connected", 10), "X connected at a", repr(cl.calls_at(a)))
    h.wait_for(lambda: cl.peer_view(b, "a").get("dialogs") == 2, 5)

    # Cut a off: its etcd member, and its log and snapshot ports (peers stop hearing it).
    member = c.etcd.urls().index(a.config["cluster"]["etcd"][0])
    blocks = [cl.PortBlock(c.etcd.members[member]["client"]), cl.PortBlock(a.events_port),
              cl.PortBlock(a.requests_port)]
    t_cut = time.monotonic()
    h.log("cut a off")
    took = h.wait_for(lambda: [t for t in (b.cluster_status() or {}).get("takeovers", []) if t.get("dark") == "a"],
                      20, interval=0.1)
    chk.check(took and took[0].get("adopted") == 1, "b took a's call over", repr(b.cluster_status()))
    h.log("takeover %.1fs after the cut" % (time.monotonic() - t_cut))
    gone = h.wait_for(lambda: "811" not in cl.calls_at(a), 15)
    chk.check(gone, "a dropped its copy of the taken-over call", repr(cl.calls_at(a)))
    chk.check("ACD-SITE-TAKEN-OVER" in a.log_text(), "a logged that its calls were handed over")

    x.wait(60)
    phone.wait(20)
    x.check_ok(chk, 1)
    phone.check_ok(chk, 1)
    for blk in blocks:
        blk.unblock()
    h.log("healed")
    ok = h.wait_for(lambda: (lambda cs: cs.get("lease", {}).get("state") == "held" and not cs.get("island"))(
        a.cluster_status() or {}), 15)
    chk.check(ok, "a rejoins with a new lease", repr(a.cluster_status()))
    try:
        c.wait_formed(15)
    except RuntimeError as e:
        chk.check(False, "the cluster forms again", str(e))
    chk.check(h.wait_for(lambda: cl.views_agree(c), 8), "every replica matches its owner after the heal",
              repr([cl.peer_view(s, "a") for s in (b, c["c"])]))

    cdrs = c.cdrs()
    c.check_invariants(chk, cdrs, 1)
    for r in cdrs:
        chk.eq((r.get("_file"), r.get("disposition"), r.get("agent")), ("b", "answered", "3002"),
               "the one CDR is b's, answered by 3002")
    chk.eq(cl.calls_at(a), {}, "a holds no call after the heal")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
