#!/usr/bin/env python3
"""test_noanswer.py - ring timeout and no-answer pause. Agent 2001's phone rings and is never
picked up; agent 2002 answers. Call 1 is offered to 2001 (idle longest), cancelled after
ring_timeout (CANCEL, 200, 487, ACK) and connected to 2002: offers == 2. Call 2 arrives
while 2002 talks: 2001 misses again, reaches max_no_answer (2) and is paused with reason
no-answer; call 2 waits for 2002 and must never be offered to the paused 2001."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

RING_TIMEOUT = 1.5


def paused_no_answer(a):
    """True when an agent's status entry says paused, for reason no-answer (any field)."""
    return a is not None and a.get("state") == "paused" and "no-answer" in [
        str(v) for v in a.values()]


def test(chk):
    site = h.new_site(chk, "noanswer", agents=[h.agent("2001"), h.agent("2002")],
                      queues=[h.queue("main", "acme", ring_timeout=RING_TIMEOUT, wrapup=1, max_no_answer=2)])
    site.start()

    deaf = site.agent_phones("deaf", scenario="agent_noanswer.xml", calls=2)
    good = site.agent_phones("good", calls=2, ring_ms=300)
    site.register(["2001"], deaf.port, name="reg_deaf", chk=chk)
    avail = h.wait_for(lambda: (h.agent_status(site.status(quiet=True) or {}, "2001") or {}).get("state") == "available", 5)
    chk.check(avail, "agent 2001 available after REGISTER")
    time.sleep(0.3)  # 2001 must have been idle longest: longest-idle offers it first
    site.register(["2002"], good.port, name="reg_good", chk=chk)

    poll = site.poll_status(0.2)
    c1 = site.callers("call1", calls=1, talk_ms=6000, prefix="55")
    # Call 2 comes once 2001 has missed call 1 (2002 is then talking to caller 1).
    missed = h.wait_for(lambda: deaf.log_lines("CANCELLED"), RING_TIMEOUT + 5)
    chk.check(missed, "2001's phone got a CANCEL after ring_timeout")
    c2 = site.callers("call2", calls=1, talk_ms=1000, prefix="66")
    c1.wait(40)
    c2.wait(40)
    deaf.wait(10)
    good.wait(10)
    poll.stop()

    c1.check_ok(chk, 1)
    c2.check_ok(chk, 1)
    deaf.check_ok(chk, 2)
    good.check_ok(chk, 2)
    chk.eq(len(deaf.log_lines("OFFER")), 2, "2001 was offered exactly two calls")
    chk.eq(len(deaf.log_lines("CANCELLED")), 2, "both offers to 2001 were cancelled")

    cdrs = site.wait_cdrs(2, 5)
    chk.eq(len(cdrs), 2, "two CDRs")
    for c in cdrs:
        h.check_cdr_shape(chk, c, "noanswer")
        chk.eq(c.get("disposition"), "answered", "CDR %s disposition" % c.get("caller"))
        chk.eq(c.get("agent"), "2002", "CDR %s agent" % c.get("caller"))
        chk.eq(c.get("offers"), 2, "CDR %s offers (2001 missed, 2002 answered)" % c.get("caller"))
    first = [c for c in cdrs if c.get("caller") == "551"]
    if first:
        w = first[0].get("wait_s") or 0
        chk.check(w >= RING_TIMEOUT - 0.2, "call 1 waited at least ring_timeout", repr(w))
    h.check_no_agent_overlap(chk, cdrs)

    seen = [t for t, s in poll.snapshots if paused_no_answer(h.agent_status(s, "2001"))]
    chk.check(seen, "acdctl status showed 2001 paused (no-answer)",
              repr([h.agent_status(s, "2001") for _, s in poll.snapshots[-1:]]))
    st = site.status()
    a = h.agent_status(st or {}, "2001")
    chk.check(paused_no_answer(a), "2001 still paused (no-answer) after the calls", repr(a))
    b = h.agent_status(st or {}, "2002")
    chk.check(b is not None and b.get("state") in ("available", "wrap-up"), "2002 available after the calls", repr(b))
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
