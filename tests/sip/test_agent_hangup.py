#!/usr/bin/env python3
"""test_agent_hangup.py - the agent ends the call: the agent's BYE gets 200 from acdd, acdd
BYEs the caller (who waits for it), and the CDR says answered by that agent. The caller
streams RTP to acdd (SIPp rtp_stream) while queued and connected."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TALK_MS = 1500


def test(chk):
    site = h.new_site(chk, "hangup", agents=[h.agent("2001"), h.agent("2002")])
    site.start()

    phones = site.agent_phones(scenario="agent_uas_hangup.xml", calls=2, ring_ms=300, talk_ms=TALK_MS)
    site.register(["2001", "2002"], phones.port, chk=chk)
    callers = site.callers(scenario="caller_wait_bye.xml", calls=2, rate=2, talk_ms=None, send_rtp=True)
    callers.wait(60)
    phones.wait(15)
    callers.check_ok(chk, 2)
    phones.check_ok(chk, 2)

    offers = phones.log_records("OFFER")
    chk.eq(sorted(o.get("user") for o in offers), ["2001", "2002"], "one offer to each agent")

    cdrs = site.wait_cdrs(2, 5)
    chk.eq(len(cdrs), 2, "two CDRs")
    h.check_unique_call_ids(chk, cdrs)
    for c in cdrs:
        h.check_cdr_shape(chk, c, "hangup")
        chk.eq(c.get("disposition"), "answered", "CDR disposition")
        chk.eq(c.get("offers"), 1, "CDR offers")
        talk = c.get("talk_s") or 0
        chk.check(TALK_MS / 1000 - 0.3 <= talk <= TALK_MS / 1000 + 2.0, "CDR talk_s ~ agent's talk time", repr(talk))
    chk.eq(sorted(c.get("agent") for c in cdrs), ["2001", "2002"], "each call answered by a different agent")
    chk.eq(sorted(c.get("caller") for c in cdrs), ["551", "552"], "CDR callers")
    h.check_no_agent_overlap(chk, cdrs)

    st = h.wait_for(lambda: (lambda s: s if s and s.get("calls") == [] else None)(site.status(quiet=True)), 5)
    chk.check(st is not None, "acdctl status: no calls left")
    chk.check(site.alive(), "acdd still running")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
