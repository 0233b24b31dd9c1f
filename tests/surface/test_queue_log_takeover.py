#!/usr/bin/env python3
"""test_queue_log_takeover.py - the queue_log across a takeover (ADR 0026): site a dies with
a connected call and a waiting one; its sister b adopts both and writes them whole.

Agent 3002's phone registers at b. X enters a and talks to 3002; Y enters a and waits (the
only agent is busy). a is killed (SIGKILL); b takes its calls over. X hangs up, then 3002
gets Y, and Y hangs up. Then:
  - a's file holds what a saw before it died: X's DID, ENTERQUEUE, CONNECT and Y's DID,
    ENTERQUEUE, and nothing after them;
  - b's file holds both calls whole from their adoption: X as DID, ENTERQUEUE, CONNECT
    (ringtime 0: it was talking already), COMPLETECALLER; Y as DID, ENTERQUEUE, CONNECT,
    COMPLETECALLER; holdtime counting from the callers' first entry at a (the CDR's wait);
  - b's file has 3002's AGENTLOGIN, c's file none of these calls; the CDRs are b's.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import cluster as cl  # noqa: E402
import queue_log_lines as ql  # noqa: E402

h = cl.h


def test(chk):
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1)]
    c = cl.Cluster(chk, n_etcd=1, agents=[h.agent("3002")], queues=queues)
    t0 = time.time()
    c.start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, b = c["a"], c["b"]
    qpath = {s.name: os.path.join(s.dir, "queue_log-" + s.name) for s in c.sites}

    phone = b.agent_phones(name="phone-b", scenario="agent_uas_takeover.xml", calls=2, ring_ms=100,
                           timeout_s=120)
    b.register(["3002"], phone.port, chk=chk)
    h.wait_for(lambda: cl.peer_view(a, "b").get("registrations") == 1, 5)

    def caller(name, prefix, talk_ms):
        return a.callers(name=name, scenario="caller_takeover.xml", calls=1, talk_ms=talk_ms,
                         prefix=prefix, timeout_s=120)
    x = caller("X", "72", 3000)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("721") == "connected", 10), "X connected at a",
              repr(cl.calls_at(a)))
    y = caller("Y", "73", 1000)
    chk.check(h.wait_for(lambda: cl.calls_at(a).get("731") == "queued", 5), "Y waits at a",
              repr(cl.calls_at(a)))
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("calls") == 2, 5)
    chk.check(ok, "b holds a's two calls before the kill", repr(cl.peer_view(b, "a")))
    a.kill()
    h.log("killed site a")
    for s in (x, y):
        s.wait(60)
        s.check_ok(chk, 1)
    phone.wait(20)
    phone.check_ok(chk, 2)

    cdrs = c.wait_cdrs(2, 10)
    ql.wait_lines(qpath["b"], lambda ls: sum("|COMPLETECALLER|" in l for l in ls) >= 2)
    t1 = time.time()
    check_files(chk, qpath, cdrs, t0, t1)
    for s in c.sites:
        if s.alive():
            chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


def check_files(chk, qpath, cdrs, t0, t1):
    files = {n: ql.parse(chk, ql.read(p), "queue_log-" + n) for n, p in qpath.items()}
    for n, ls in files.items():
        ql.check_window(chk, ls, t0, t1)
        chk.check(ls and ls[0].event == "QUEUESTART", "queue_log-%s opens with QUEUESTART" % n)
    by = {r.get("caller"): r for r in cdrs}
    chk.eq(sorted(by), ["721", "731"], "one CDR per call")
    if sorted(by) != ["721", "731"]:
        return
    for r in cdrs:
        chk.eq(r["_file"], "b", "call %s: its CDR is b's" % r.get("caller"))
    X, Y = by["721"], by["731"]
    calls = {n: ql.by_callid(ls) for n, ls in files.items()}

    # a: what it wrote before it died, and nothing of the calls' ends.
    ax, ay = calls["a"].get(X["call_id"], []), calls["a"].get(Y["call_id"], [])
    chk.eq([l.event for l in ax], ["DID", "ENTERQUEUE", "CONNECT"], "a's lines of X stop at CONNECT")
    chk.eq([l.event for l in ay], ["DID", "ENTERQUEUE"], "a's lines of Y stop at ENTERQUEUE")
    if len(ax) == 3:
        ql.check_entry(chk, ax, X, "main")
        chk.eq((ax[2].agent, ax[2].data[:2]),
               ("Agent/3002", [str(ql.secs(X["answer_ms"]) - ql.secs(X["enqueue_ms"])), X["call_id"] + ".1"]),
               "a's CONNECT of X")
    if len(ay) == 2:
        ql.check_entry(chk, ay, Y, "main", position="1")

    # b: both calls whole from their adoption.
    bx, byy = calls["b"].get(X["call_id"], []), calls["b"].get(Y["call_id"], [])
    chk.eq([l.event for l in bx], ["DID", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"], "b's lines of X")
    chk.eq([l.event for l in byy], ["DID", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"], "b's lines of Y")
    if len(bx) == 4:
        for l, ev, data in ((bx[0], "DID", [X["did"]]), (bx[1], "ENTERQUEUE", ["", X["caller"], "1"])):
            chk.eq((l.event, l.queue, l.agent, l.data), (ev, "main", "NONE", data), "%s fields" % l.where)
        chk.check(bx[1].epoch > ql.secs(X["answer_ms"]), "%s: X enters b's log at the takeover" % bx[1].where)
        chk.eq(bx[2].data[2], "0", "%s: adopted talking: ringtime 0" % bx[2].where)
        hold = ql.secs(X["answer_ms"]) - ql.secs(X["enqueue_ms"])
        chk.eq((bx[2].agent, bx[2].data[0], bx[2].epoch), ("Agent/3002", str(hold), bx[1].epoch),
               "%s: CONNECT at the adoption, holdtime = the CDR's wait" % bx[2].where)
        talk = ql.secs(X["end_ms"]) - ql.secs(X["answer_ms"])
        chk.eq((bx[3].agent, bx[3].data, bx[3].epoch),
               ("Agent/3002", [str(hold), str(talk), "1"], ql.secs(X["end_ms"])),
               "%s: COMPLETECALLER = the CDR's wait and talk" % bx[3].where)
    if len(byy) == 4:
        chk.eq((byy[1].event, byy[1].data), ("ENTERQUEUE", ["", Y["caller"], "1"]), "b's ENTERQUEUE of Y")
        chk.check(byy[1].epoch > ql.secs(Y["enqueue_ms"]), "%s: Y enters b's log at the takeover" % byy[1].where)
        ql.check_connected(chk, byy[2], byy[3], Y, "main", "3002", "COMPLETECALLER", Y.get("offers", 1))

    chk.eq(sorted(k for k in calls["c"] if k != "NONE"), [], "c's file has no call")
    sess = [l for l in files["b"] if l.callid == "NONE" and l.event != "QUEUESTART"]
    chk.eq([(l.agent, l.event) for l in sess], [("Agent/3002", "AGENTLOGIN")], "b: 3002's login")


if __name__ == "__main__":
    h.run(test)
