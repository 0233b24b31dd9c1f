#!/usr/bin/env python3
"""test_redial.py - a waiting caller refuses its sister's takeover, redials, and is served
in its original place (issue 4, ADR 0016).

Two sites a and b, no agent logged in anywhere. R calls a and waits; later L calls b and
waits. a dies (kill -9); its lease expires and the leader hands a's run to b, a's sister.
b re-INVITEs R with its media; R answers 488 (caller_refuse_takeover.xml), so b gives up
on R's call: a `failed` CDR and a restore ticket for R's tenant and number. R redials, to
b, from the same number: b queues the new call at R's original enqueue time, ahead of L,
who arrived later than R first did. Then one agent registers at b: it gets the redialled
R first, then L. Every call has exactly one CDR, all written by b; R's new CDR names the
failed call in restored_from."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
import takeover_steps as steps  # noqa: E402
h = cl.h

TALK_MS = 1500


def test(chk):
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1)]
    c = cl.Cluster(chk, n_sites=2, agents=[h.agent("3001")], queues=queues).start()
    leader = c.wait_formed()
    a, b = c["a"], c["b"]
    h.log("cluster formed, leader %s; a's sisters %s" % (leader, a.config["cluster"]["sisters"]))

    # R waits at a; 1 s later L waits at b. Both numbers end in SIPp's call number 1.
    r1 = a.callers(name="R-first", scenario="caller_refuse_takeover.xml", calls=1, prefix="81",
                   send_rtp=False, timeout_s=60)
    steps.wait_queued(chk, a, ["811"], "R waits at a")
    time.sleep(1.0)
    lat = b.callers(name="L", calls=1, prefix="82", talk_ms=TALK_MS, timeout_s=120)
    steps.wait_queued(chk, b, ["821"], "L waits at b")
    steps.kill_and_take_over(chk, c, 1)  # b adopts R's call

    # R refuses b's re-INVITE; b ends the call (BYE) and keeps R's place.
    r1.wait(30)
    r1.check_ok(chk, 1)
    refused = r1.log_records("REFUSED")
    chk.eq([x.get("from") for x in refused], [str(b.sip_port)], "R's takeover re-INVITE came from b")
    ticket = h.wait_for(lambda: "ACD-CALL-RESTORE-TICKET" in b.log_text(), 5)
    chk.check(ticket, "b logged R's restore ticket")
    first = [x for x in c.cdrs() if str(x.get("caller")) == "811"]
    chk.eq([(x.get("_file"), x.get("disposition")) for x in first], [("b", "failed")],
           "R's first call: one CDR, by b, failed")
    old_id = first[0].get("call_id") if first else None

    # R redials, to b (the anycast address routes there now), from the same number.
    r2 = b.callers(name="R-redial", calls=1, prefix="81", talk_ms=TALK_MS, timeout_s=120)
    chk.check(h.wait_for(lambda: cl.calls_at(b).get("811") == "queued", 10), "R's redial waits at b",
              repr(cl.calls_at(b)))
    st = b.status(quiet=True) or {}
    pos = {str(x.get("caller")): x.get("position") for x in st.get("calls", [])}
    chk.eq((pos.get("811"), pos.get("821")), (1, 2), "R's redial is first in the queue, L second")
    restored = [l for l in b.log_text().splitlines() if "ACD-CALL-RESTORED" in l]
    chk.eq(len(restored), 1, "b logged one ACD-CALL-RESTORED")
    if restored and old_id:
        chk.check(("from=%s " % old_id) in restored[0], "ACD-CALL-RESTORED names the failed call",
                  restored[0])

    # Now the agent: the redialled R first, then L.
    phone = b.agent_phones(name="phone-b", calls=2, ring_ms=100, timeout_s=120)
    b.register(["3001"], phone.port, chk=chk)
    for s in (r2, lat):
        s.wait(60)
    phone.wait(20)
    for s in (r2, lat):
        s.check_ok(chk, 1)
    phone.check_ok(chk, 2)

    cdrs = c.wait_cdrs(3, 20)
    c.check_invariants(chk, cdrs, 3)
    by = {}
    for x in cdrs:
        by.setdefault(str(x.get("caller")), []).append(x)
    redial = [x for x in by.get("811", []) if x.get("call_id") != old_id]
    later = by.get("821", [])
    chk.eq(len(redial), 1, "R's redial: one CDR")
    chk.eq(len(later), 1, "L: one CDR")
    if len(redial) == 1 and len(later) == 1 and first:
        rr, ll = redial[0], later[0]
        chk.eq((rr.get("_file"), rr.get("disposition"), rr.get("agent")), ("b", "answered", "3001"),
               "R's redial answered at b by 3001")
        chk.eq((ll.get("_file"), ll.get("disposition"), ll.get("agent")), ("b", "answered", "3001"),
               "L answered at b by 3001")
        chk.eq(rr.get("restored_from"), old_id, "R's redial CDR: restored_from the failed call")
        chk.check("restored_from" not in ll, "L's CDR has no restored_from", repr(ll))
        chk.eq(rr.get("enqueue_time"), first[0].get("enqueue_time"),
               "R's redial kept its original enqueue time")
        chk.check(h.parse_time(rr["enqueue_time"]) < h.parse_time(ll["enqueue_time"]),
                  "R first entered before L")
        chk.check(h.parse_time(rr["answer_time"]) < h.parse_time(ll["answer_time"]),
                  "the redialled R was answered before L",
                  "%s vs %s" % (rr.get("answer_time"), ll.get("answer_time")))
    for s in c.sites:
        if s.alive():
            chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
