#!/usr/bin/env python3
"""test_abandon.py - callers who give up: (1) a caller answered and queued with no agent
logged in hangs up (BYE) -> "abandoned" CDR without agent; (2) a caller of a tenant that
rings before answering (answer_after) CANCELs -> 200 for the CANCEL, 487 for the INVITE,
"abandoned" CDR. Agents that are configured but not registered must never be offered."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

WAIT_MS = 1500


def test(chk):
    site = h.new_site(chk, "abandon", agents=[h.agent("2001")],
                      tenants=[h.tenant("acme", ["1000"], "main"),
                               h.tenant("slow", ["1001"], "slowq", answer_after=5)],
                      queues=[h.queue("main", "acme"), h.queue("slowq", "slow")])
    site.start()
    poll = site.poll_status(0.2)

    # (1) BYE while queued, nobody to take the call.
    queued = site.callers("queued", scenario="caller_abandon.xml", calls=1, talk_ms=WAIT_MS, prefix="55")
    queued.wait(30)
    queued.check_ok(chk, 1)

    # (2) CANCEL while acdd rings (answer_after 5 s) after 1 s.
    cancel = site.callers("cancel", scenario="caller_cancel.xml", calls=1, talk_ms=1000, did="1001", prefix="66")
    cancel.wait(30)
    cancel.check_ok(chk, 1)
    poll.stop()

    seen_queued = max((h.queued_count(s) for _, s in poll.snapshots), default=0)
    chk.check(seen_queued >= 1, "acdctl status showed the first caller queued", "max %d" % seen_queued)
    ag = [h.agent_status(s, "2001") for _, s in poll.snapshots]
    chk.check(all(a is not None and a.get("state") == "logged-out" for a in ag),
              "unregistered agent 2001 stays logged-out", repr([a and a.get("state") for a in ag][:5]))

    cdrs = site.wait_cdrs(2, 5)
    chk.eq(len(cdrs), 2, "two CDRs")
    h.check_unique_call_ids(chk, cdrs)
    by_did = {c.get("did"): c for c in cdrs}
    for c in cdrs:
        h.check_cdr_shape(chk, c, "abandon")
        chk.eq(c.get("disposition"), "abandoned", "CDR %s disposition" % c.get("did"))
        chk.eq(c.get("agent"), None, "CDR %s agent" % c.get("did"))
        chk.eq(c.get("answer_time"), None, "CDR %s answer_time" % c.get("did"))
        chk.eq(c.get("offers"), 0, "CDR %s offers" % c.get("did"))
    q = by_did.get("1000")
    chk.check(q is not None, "CDR for the queued caller (did 1000)")
    if q:
        chk.eq(q.get("tenant"), "acme", "queued caller's tenant")
        chk.eq(q.get("caller"), "551", "queued caller's number")
        w = q.get("wait_s") or 0
        chk.check(WAIT_MS / 1000 - 0.3 <= w <= WAIT_MS / 1000 + 2, "queued caller's wait_s ~ time before BYE", repr(w))
    c2 = by_did.get("1001")
    chk.check(c2 is not None, "CDR for the cancelled caller (did 1001)")
    if c2:
        chk.eq(c2.get("tenant"), "slow", "cancelled caller's tenant")
        chk.eq(c2.get("caller"), "661", "cancelled caller's number")

    chk.check(site.options_ping() == 200, "acdd still answers OPTIONS with 200")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
