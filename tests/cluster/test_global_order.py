#!/usr/bin/env python3
"""test_global_order.py - calls entering sites a, b and c, interleaved in time and in two
queues of different priority, wait while no agent is logged in anywhere. Then one agent,
member of both queues, registers at site b. The leader must hand the calls to it in one
global order — priority first, then original arrival time — whatever site each call
entered, and each call's own site writes its one CDR."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TALK_MS = 800
RING_MS = 150
GAP_S = 0.35
# (site, did): DID 2000 is the priority queue "vip" (priority 5), 1000 the normal one.
PLAN = [("a", "1000"), ("b", "1000"), ("c", "2000"), ("a", "1000"), ("c", "1000"),
        ("b", "2000"), ("a", "2000"), ("b", "1000")]


def prefix(i):
    return "7%02d" % i  # From user is prefix + SIPp call number (1): "7<ii>1"


def test(chk):
    tenants = [h.tenant("acme", ["1000"], "main"), h.tenant("gold", ["2000"], "vip")]
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1), dict(h.queue("vip", "gold", ring_timeout=10, wrapup=1), priority=5)]
    c = cl.Cluster(chk, agents=[h.agent("3001", queues=("main", "vip"))], tenants=tenants, queues=queues).start()
    h.log("cluster formed, leader %s" % c.wait_formed())

    callers = []
    for i, (site, did) in enumerate(PLAN):
        callers.append(c[site].callers(name="caller%d" % i, calls=1, did=did, talk_ms=TALK_MS,
                                       prefix=prefix(i), timeout_s=120))
        time.sleep(GAP_S)
    # Every call is queued at its own site, and visible to the others, before any agent exists.
    waiting = h.wait_for(lambda: sum(h.queued_count(s.status(quiet=True) or {}) for s in c.sites) == len(PLAN), 5)
    chk.check(waiting, "all %d calls queued across the three sites" % len(PLAN),
              repr([h.queued_count(s.status(quiet=True) or {}) for s in c.sites]))

    phones = c["b"].agent_phones(calls=len(PLAN), ring_ms=RING_MS)
    c["b"].register(["3001"], phones.port, chk=chk)
    for s in callers:
        s.wait(120)
    phones.wait(15)
    for s in callers:
        s.check_ok(chk, 1)
    phones.check_ok(chk, len(PLAN))

    cdrs = c.wait_cdrs(len(PLAN), 10)
    c.check_invariants(chk, cdrs, len(PLAN))
    by_idx = {}
    for r in cdrs:
        caller = str(r.get("caller") or "")
        if caller.startswith("7") and len(caller) == 4:
            by_idx[int(caller[1:3])] = r
    chk.eq(sorted(by_idx), list(range(len(PLAN))), "every planned call has its CDR")
    for i, r in by_idx.items():
        site, did = PLAN[i]
        chk.eq(r["_file"], site, "call %d's CDR is written by %s, where it entered" % (i, site))
        chk.eq(r.get("disposition"), "answered", "call %d answered" % i)
        chk.eq(r.get("agent"), "3001", "call %d agent" % i)
        chk.eq(r.get("agent_site") or "b", "b", "call %d's agent is b's" % i)

    # The answer order: priority (vip first), then arrival; arrival times come from the
    # CDRs' enqueue_time, written by three different processes.
    if len(by_idx) == len(PLAN):
        arrival = sorted(by_idx, key=lambda i: h.parse_time(by_idx[i]["enqueue_time"]))
        chk.eq(arrival, list(range(len(PLAN))), "enqueue times follow the order the calls were placed")
        want = [i for i in arrival if PLAN[i][1] == "2000"] + [i for i in arrival if PLAN[i][1] == "1000"]
        got = sorted(by_idx, key=lambda i: h.parse_time(by_idx[i]["answer_time"]))
        chk.eq(got, want, "answered in global priority-then-arrival order")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
