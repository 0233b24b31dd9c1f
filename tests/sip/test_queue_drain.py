#!/usr/bin/env python3
"""test_queue_drain.py - 12 callers arrive together (50 ms apart) for 3 agents, each talking
2 s: a queue forms and drains first-come first-served. Every call is answered, once, by one
agent at a time; answer order follows arrival order; longest-idle spreads the calls."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

N = 12
AGENTS = ["2001", "2002", "2003"]
TALK_MS = 2000
RING_MS = 200


def test(chk):
    site = h.new_site(chk, "drain", agents=[h.agent(a) for a in AGENTS],
                      queues=[h.queue("main", "acme", ring_timeout=10, wrapup=1, max_no_answer=3)])
    site.start()

    phones = site.agent_phones(calls=N, ring_ms=RING_MS)
    site.register(AGENTS, phones.port, chk=chk)
    ok = h.wait_for(lambda: all((h.agent_status(site.status(quiet=True) or {}, a) or {}).get("state") == "available"
                                for a in AGENTS), 5)
    chk.check(ok, "all agents available before the calls")

    poll = site.poll_status(0.25)
    callers = site.callers(calls=N, rate=20, limit=N, talk_ms=TALK_MS, send_rtp=True)
    callers.wait(90)
    phones.wait(15)
    poll.stop()
    callers.check_ok(chk, N)
    phones.check_ok(chk, N)

    max_q = max((h.queued_count(s) for _, s in poll.snapshots), default=0)
    chk.check(max_q >= N - len(AGENTS) - 2, "a queue formed (acdctl status)", "max %d waiting" % max_q)
    max_busy = max((sum(1 for a in s.get("agents", []) if a.get("state") in ("ringing", "on-call"))
                    for _, s in poll.snapshots), default=0)
    chk.check(max_busy <= len(AGENTS), "never more busy agents than agents", repr(max_busy))
    connected_max = max((sum(1 for c in s.get("calls", []) if c.get("state") == "connected")
                         for _, s in poll.snapshots), default=0)
    chk.check(connected_max <= len(AGENTS), "never more connected calls than agents", repr(connected_max))

    cdrs = site.wait_cdrs(N, 10)
    chk.eq(len(cdrs), N, "one CDR per call")
    h.check_unique_call_ids(chk, cdrs)
    for c in cdrs:
        h.check_cdr_shape(chk, c, "drain")
        chk.eq(c.get("disposition"), "answered", "CDR %s disposition" % c.get("caller"))
        chk.check(c.get("agent") in AGENTS, "CDR %s agent is one of ours" % c.get("caller"), repr(c.get("agent")))
        chk.eq(c.get("offers"), 1, "CDR %s offers" % c.get("caller"))
    idx = [h.caller_index(c, "55") for c in cdrs]
    chk.eq(sorted(i for i in idx if i is not None), list(range(1, N + 1)), "every caller has its CDR")
    h.check_no_agent_overlap(chk, cdrs)

    # First come, first served: a later caller is never answered clearly before an earlier one.
    # Phones answering offers made in the same instant may swap by a little (SIPp scheduling on
    # a loaded machine); a real FIFO violation costs a whole talk time (2 s), hence the slack.
    answered = sorted(((h.caller_index(c, "55"), h.parse_time(c.get("answer_time"))) for c in cdrs
                       if c.get("answer_time") and h.caller_index(c, "55") is not None))
    slack = TALK_MS / 2000
    bad = [(a[0], b[0]) for i, a in enumerate(answered) for b in answered[i + 1:] if b[1] < a[1] - slack]
    chk.check(not bad, "answer order follows arrival order", "later answered first: %s" % bad[:5])
    waits = [c.get("wait_s") or 0 for c in sorted(cdrs, key=lambda c: h.caller_index(c, "55") or 0)]
    chk.check(waits[-1] >= 2 * TALK_MS / 1000, "the last caller waited for the queue to drain", repr(waits))

    per_agent = {a: sum(1 for c in cdrs if c.get("agent") == a) for a in AGENTS}
    chk.check(all(n >= 3 for n in per_agent.values()), "longest-idle spreads calls (>= 3 each)", repr(per_agent))
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
