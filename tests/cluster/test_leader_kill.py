#!/usr/bin/env python3
"""test_leader_kill.py - kill -9 of the acdd that leads: the survivors see its site key
expire with its lease, one of them is elected with a higher epoch, and distribution
resumes. Calls already waiting at the survivors when the leader dies and calls placed
after it died are all answered by agents at the survivors; every CDR is written once."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TALK_MS = 700


def test(chk):
    agents = [h.agent(a) for a in ("3001", "3002", "3003")]
    c = cl.Cluster(chk, agents=agents).start()
    old = c.wait_formed()
    h.log("cluster formed, leader %s" % old)
    old_epoch = c[old].cluster_status()["epoch"]
    rest = [s for s in c.sites if s.name != old]
    x, y = rest

    # One agent at each survivor; the leader's own agent too, so it has work when killed.
    phones = {}
    for s, a in ((x, "3001"), (y, "3002"), (c[old], "3003")):
        phones[s.name] = s.agent_phones(name="phones-" + a, calls=None, ring_ms=150, timeout_s=200)
        s.register([a], phones[s.name].port, chk=chk)
    # A first call through the intact cluster, to be sure offers flow before the kill.
    warm = x.callers(name="warm", calls=1, talk_ms=TALK_MS, prefix="80")
    warm.wait(30)
    warm.check_ok(chk, 1)

    # Every agent busy on a long call, so the next callers wait in the queue. The call
    # that lands on the leader's agent is owned by y and outlives the leader's death: its
    # media and dialogs are y's and the phone's, not the dead site's.
    busy = [y.callers(name="busy", calls=3, rate=10, talk_ms=6000, prefix="81")]
    ok = h.wait_for(lambda: all((h.agent_status(s.status(quiet=True) or {}, a) or {}).get("state") == "on-call"
                                for s, a in ((x, "3001"), (y, "3002"), (c[old], "3003"))), 10)
    chk.check(ok, "all three agents on a call before the kill")
    waiting = x.callers(name="waiting", calls=2, rate=10, talk_ms=TALK_MS, prefix="82", timeout_s=120)
    h.wait_for(lambda: h.queued_count(x.status(quiet=True) or {}) == 2, 5)

    t_kill = time.monotonic()
    c[old].kill()
    h.log("killed leader %s (epoch %s)" % (old, old_epoch))

    def new_leader():
        names = set()
        for s in rest:
            cs = s.cluster_status() or {}
            ld = cs.get("leader") or {}
            if ld.get("site") in (None, old) or (ld.get("epoch") or 0) <= old_epoch:
                return None
            names.add((ld["site"], ld["epoch"]))
        return names.pop() if len(names) == 1 else None
    nl = h.wait_for(new_leader, 15, interval=0.1)
    chk.check(nl is not None, "the survivors agree on a new leader with a higher epoch",
              repr([s.cluster_status() for s in rest]))
    if nl:
        h.log("new leader %s epoch %d, %.1fs after the kill" % (nl[0], nl[1], time.monotonic() - t_kill))
        for s in rest:
            p = [p for p in (s.cluster_status() or {}).get("peers", []) if p["site"] == old]
            chk.check(p and not p[0].get("live"), "site %s sees %s dark" % (s.name, old), repr(p))

    after = y.callers(name="after", calls=2, rate=10, talk_ms=TALK_MS, prefix="83", timeout_s=120)
    for s in busy + [waiting, after]:
        s.wait(120)
    busy[0].check_ok(chk, 3)
    waiting.check_ok(chk, 2)
    after.check_ok(chk, 2)
    for s in rest:
        phones[s.name].stop()

    # The dead leader's CDR file holds only what it wrote before dying (nothing here:
    # every call entered a survivor). Survivors: 1 + 3 + 2 + 2 calls.
    cdrs = [r for r in c.cdrs() if r["_file"] != old]
    c.check_invariants(chk, cdrs, 8)
    for r in cdrs:
        chk.eq(r.get("disposition"), "answered", "CDR %s answered" % r.get("caller"))
        if str(r.get("caller")).startswith(("82", "83")):
            chk.check(r.get("agent") in ("3001", "3002"), "CDR %s answered by a survivor's agent" % r.get("caller"),
                      repr(r.get("agent")))
    chk.eq(sorted(r.get("agent") for r in cdrs if str(r.get("caller")).startswith("81")),
           ["3001", "3002", "3003"], "the three long calls had one agent each, 3003's outliving its site")
    chk.eq([r for r in c.cdrs() if r["_file"] == old], [], "the killed site wrote no CDR")
    for s in rest:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
