#!/usr/bin/env python3
"""test_island.py - a site cut off from etcd past its lease TTL becomes an island: it
takes no offers, and it distributes its own calls to its own agents (it owns both, so
that is safe). The rest of the cluster sees it dark and never hands its agent a call.
When the cut heals, the island takes a new lease, leaves island mode and reconciles:
every replica equals its owner again, no entity is duplicated, and its agent takes
cross-site calls once more."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TTL = 3



def test(chk):
    agents = [h.agent("3001"), h.agent("3003")]
    c = cl.Cluster(chk, agents=agents, lease_ttl=TTL, pin_etcd=True).start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, island = c["a"], c["c"]
    phone_a = a.agent_phones(name="phone-a", calls=None, ring_ms=100, timeout_s=200)
    a.register(["3001"], phone_a.port, chk=chk)
    phone_c = island.agent_phones(name="phone-c", calls=None, ring_ms=100, timeout_s=200)
    island.register(["3003"], phone_c.port, chk=chk)
    chk.check(h.wait_for(lambda: cl.views_agree(c), 5), "replicas match their owners before the cut")

    member = c.etcd.urls().index(island.config["cluster"]["etcd"][0])
    block = cl.PortBlock(c.etcd.members[member]["client"])
    t_cut = time.monotonic()
    ok = h.wait_for(lambda: (island.cluster_status() or {}).get("island"), TTL + 5, interval=0.1)
    chk.check(ok, "site c goes island after its lease TTL without etcd", repr(island.cluster_status()))
    h.log("c island %.1fs after the cut" % (time.monotonic() - t_cut))
    ok = h.wait_for(lambda: all(not cl.peer_view(s, "c").get("live") or cl.peer_view(s, "c").get("island")
                                for s in (c["a"], c["b"])), TTL + 3)
    chk.check(ok, "a and b see c dark or island", repr(cl.peer_view(a, "c")))

    # The island serves its own caller with its own agent.
    own = island.callers(name="own", calls=1, talk_ms=500, prefix="20")
    own.wait(30)
    own.check_ok(chk, 1)
    # At a, with 3001 busy, the next caller waits for 3001: c's free agent is off limits.
    busy = a.callers(name="busy", calls=1, talk_ms=3000, prefix="21")
    chk.check(h.wait_for(lambda: cl.agent_state(a, "3001") == "on-call", 5), "3001 on the long call")
    waits = a.callers(name="waits", calls=1, talk_ms=500, prefix="22")
    waits.wait(30)
    busy.wait(30)
    busy.check_ok(chk, 1)
    waits.check_ok(chk, 1)
    chk.eq(cl.agent_state(island, "3003") in ("available", "wrap-up"), True, "c's agent was never given a's calls")

    block.unblock()
    t_heal = time.monotonic()
    ok = h.wait_for(lambda: (lambda cs: cs.get("lease", {}).get("state") == "held" and not cs.get("island"))(
        island.cluster_status() or {}), 15, interval=0.1)
    chk.check(ok, "c takes a new lease and leaves island mode when the cut heals", repr(island.cluster_status()))
    h.log("c rejoined %.1fs after the heal" % (time.monotonic() - t_heal))
    try:
        c.wait_formed(15)
    except RuntimeError as e:
        chk.check(False, "the cluster forms again", str(e))
    chk.check(h.wait_for(lambda: cl.views_agree(c), 5), "after rejoining every replica matches its owner",
              repr([cl.peer_view(s, "c") for s in (c["a"], c["b"])]))

    # Reconciled: of two overlapping calls entering a and b, one goes to c's agent.
    busy2 = a.callers(name="busy2", calls=1, talk_ms=3000, prefix="23")
    h.wait_for(lambda: "on-call" in (cl.agent_state(a, "3001"), cl.agent_state(island, "3003")), 5)
    cross = c["b"].callers(name="cross", calls=1, talk_ms=500, prefix="24")
    cross.wait(30)
    busy2.wait(30)
    cross.check_ok(chk, 1)
    busy2.check_ok(chk, 1)
    phone_a.stop()
    phone_c.stop()

    cdrs = c.cdrs()
    c.check_invariants(chk, cdrs, 5)
    by = {str(r.get("caller"))[:2]: r for r in cdrs}
    chk.eq(((by.get("20") or {}).get("agent"), (by.get("20") or {}).get("_file")), ("3003", "c"),
           "the island's caller was answered by the island's agent")
    chk.eq((by.get("22") or {}).get("agent"), "3001", "a's waiting caller went to a's agent, not the island's")
    chk.check(((by.get("22") or {}).get("wait_s") or 0) >= 1.5, "a's caller waited for 3001",
              repr((by.get("22") or {}).get("wait_s")))
    two = sorted(((by.get(k) or {}).get("agent"), (by.get(k) or {}).get("agent_site") or (by.get(k) or {}).get("_file"))
                 for k in ("23", "24"))
    chk.eq(two, [("3001", "a"), ("3003", "c")], "after rejoining, c's agent took one of two calls entering a and b")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
