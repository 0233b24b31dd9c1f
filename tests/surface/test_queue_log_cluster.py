#!/usr/bin/env python3
"""test_queue_log_cluster.py - two sites with real etcd, one queue_log each (ADR 0026).

Agent 3001's phone registers at site b, agent 3002's at site a. A call entering a while
only 3001 is logged in is offered by the leader to 3001 and connected by a; then 3001
pauses (through b's API) and a call entering b is answered by 3002, registered at a;
3002 logs off at a. Each site's file then holds:
  - QUEUESTART first;
  - the lines of the calls it took (DID ... COMPLETECALLER), naming the other site's agent;
  - the session lines of the agents registered with it (AGENTLOGIN, PAUSE..., AGENTLOGOFF),
    and no line of the other site's calls or agents;
and the call ids of both files are the CDRs' call ids, unique across the two files, each
starting with the name of the site that took the call.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "answering"))
sys.path.insert(0, os.path.join(HERE, "..", "answering2"))
import answering as an  # noqa: E402  (unregister)
import answering_harness as ah  # noqa: E402
import queue_log_lines as ql  # noqa: E402
import time  # noqa: E402

cl = an.cl
h = cl.h


def registered_at(c, viewer, site, n):
    """True once viewer's replica of site holds at least n registrations."""
    return h.wait_for(lambda: any(p["site"] == site and p.get("registrations", 0) >= n
                                  for p in (c[viewer].cluster_status() or {}).get("peers", [])), 10)


def answered_across(chk, c, entry, home, agent, prefix):
    """agent's phone registers at home; one caller enters entry and is answered by it."""
    phone = home.agent_phones("phone_" + home.name, calls=1, ring_ms=300)
    home.register([agent], phone.port, name="reg_" + agent, chk=chk)
    chk.check(registered_at(c, entry.name, home.name, 1), "%s sees %s's registration at %s"
              % (entry.name, agent, home.name))
    caller = entry.callers("c" + prefix, calls=1, talk_ms=1500, prefix=prefix)
    caller.wait(40)
    phone.wait(10)
    caller.check_ok(chk, 1)
    return phone


def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("3001"), h.agent("3002")])
    t0 = time.time()
    c.start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, b = c["a"], c["b"]
    qpath = {s.name: os.path.join(s.dir, "queue_log-" + s.name) for s in (a, b)}

    # Call 1: enters a, answered by 3001 at b. Call 2: 3001 pauses at b; it enters b and
    # is answered by 3002 at a.
    answered_across(chk, c, a, b, "3001", "55")
    st, _ = ah.api(b, "POST", "/v1/agents/3001/pause", {"reason": "coffee"})
    chk.eq(st, 200, "b pauses its agent 3001")
    phone_a = answered_across(chk, c, b, a, "3002", "66")
    an.unregister(a, ["3002"], phone_a.port, chk, name="unreg_a")

    cdrs = c.wait_cdrs(2, 15)
    for s in (a, b):
        ql.wait_lines(qpath[s.name], lambda ls: any("|COMPLETECALLER|" in l for l in ls))
    ql.wait_lines(qpath["a"], lambda ls: any("|AGENTLOGOFF|" in l for l in ls))
    t1 = time.time()
    check_files(chk, qpath, cdrs, t0, t1)
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


def check_files(chk, qpath, cdrs, t0, t1):
    files = {n: ql.parse(chk, ql.read(p), "queue_log-" + n) for n, p in qpath.items()}
    by_caller = {r.get("caller"): r for r in cdrs}
    chk.eq(sorted(by_caller), ["551", "661"], "one CDR per call")
    if sorted(by_caller) != ["551", "661"]:
        return
    c1, c2 = by_caller["551"], by_caller["661"]
    chk.eq((c1["_file"], c1.get("agent"), c1.get("agent_site")), ("a", "3001", "b"),
           "call 1: a's CDR, agent 3001 of b")
    chk.eq((c2["_file"], c2.get("agent"), c2.get("agent_site")), ("b", "3002", "a"),
           "call 2: b's CDR, agent 3002 of a")
    ids = {n: set(l.callid for l in ls if l.callid != "NONE") for n, ls in files.items()}
    chk.eq(ids, {"a": {c1["call_id"]}, "b": {c2["call_id"]}},
           "each site's file has the calls it took, by their CDR call id")
    chk.check(not (ids["a"] & ids["b"]), "no call id in both files")
    chk.check(c1["call_id"].startswith("a-") and c2["call_id"].startswith("b-"),
              "call ids start with their site's name", "%s %s" % (c1["call_id"], c2["call_id"]))

    for name, ls in files.items():
        ql.check_window(chk, ls, t0, t1)
        chk.check(ls and ls[0].raw.endswith("|NONE|NONE|NONE|QUEUESTART|"),
                  "queue_log-%s opens with QUEUESTART" % name, ls[0].raw if ls else "empty")
        calls = ql.by_callid([l for l in ls if l.event != "QUEUESTART"])
        cdr = c1 if name == "a" else c2
        agent = "3001" if name == "a" else "3002"
        got = calls.get(cdr["call_id"], [])
        chk.eq([l.event for l in got], ["DID", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"],
               "site %s: the events of its call" % name)
        if len(got) == 4:
            ql.check_entry(chk, got, cdr, "main")
            ql.check_connected(chk, got[2], got[3], cdr, "main", agent, "COMPLETECALLER", 1)
        sessions = {}
        for l in calls.get("NONE", []):
            sessions.setdefault(l.agent, []).append(l)
        own = "Agent/3002" if name == "a" else "Agent/3001"
        chk.eq(sorted(sessions), [own], "site %s: only its own agent's session lines" % name)
    ql.check_session(chk, [l for l in files["a"] if l.callid == "NONE" and l.agent == "Agent/3002"],
                     "3002", "3002", [("AGENTLOGOFF",)])
    ql.check_session(chk, [l for l in files["b"] if l.callid == "NONE" and l.agent == "Agent/3001"],
                     "3001", "3001", [("PAUSEALL", "NONE", [""]), ("PAUSE", "main", ["coffee"])])


if __name__ == "__main__":
    h.run(test)
