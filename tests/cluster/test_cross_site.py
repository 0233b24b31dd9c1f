#!/usr/bin/env python3
"""test_cross_site.py - three etcd members, three acdd sites: a call entering site a is
answered by the only agent, whose phone registered at site c. The leader (whichever site
wins the election) offers it; c reserves its agent; a rings the phone at c's registration
address and connects the call; a writes the one CDR, naming c as the agent's site. With --tls the links between the sites are mutual TLS
with certificates from deploy/make-certs."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TALK_MS = 1500


def test(chk, tls=False):
    c = cl.Cluster(chk, agents=[h.agent("3001")], tls=tls).start()
    leader = c.wait_formed()
    if tls:
        chk.check(all(u.startswith("tls+tcp://") for s in c.sites
                      for u in [s.events_url, s.requests_url]), "every link URL is tls+tcp://")
    h.log("cluster formed, leader %s" % leader)
    st = c["a"].cluster_status()
    chk.eq(len(st.get("peers", [])), 2, "site a lists two peers")
    chk.check(st.get("epoch", 0) > 0, "site a knows a leader epoch", repr(st.get("epoch")))

    phones = c["c"].agent_phones(calls=1, ring_ms=300)
    c["c"].register(["3001"], phones.port, chk=chk)
    # a sees c's agent through replication before the call enters.
    ok = h.wait_for(lambda: any(p["site"] == "c" and p.get("registrations", 0) >= 1
                                for p in (c["a"].cluster_status() or {}).get("peers", [])), 5)
    chk.check(ok, "site a has c's registration replicated", repr(c["a"].cluster_status()))

    poll = c["b"].poll_status(0.1)
    callers = c["a"].callers(calls=1, talk_ms=TALK_MS)
    callers.wait(30)
    phones.wait(10)
    callers.check_ok(chk, 1)
    phones.check_ok(chk, 1)
    poll.stop()
    # While the call was connected, b held both of a's dialogs (what a sister needs to take
    # the call over): the caller's and the agent's, with their SDP.
    seen = [max((p.get("dialogs", 0) for p in (snap.get("cluster") or {}).get("peers", []) if p["site"] == "a"),
                default=0) for _, snap in poll.snapshots]
    chk.eq(max(seen, default=0), 2, "b replicated a's two dialogs of the connected call")
    gone = h.wait_for(lambda: cl.peer_view(c["b"], "a").get("dialogs") == 0, 5)
    chk.check(gone, "b dropped them when the call ended", repr(cl.peer_view(c["b"], "a")))
    acks = phones.log_records("ACK")
    chk.eq(len(acks), 1, "the phone registered at c got the call")

    cdrs = c.wait_cdrs(1, 10)
    c.check_invariants(chk, cdrs, 1)
    for r in cdrs:
        chk.eq(r["_file"], "a", "the CDR is written by site a, which took the INVITE")
        chk.eq(r.get("disposition"), "answered", "CDR disposition")
        chk.eq(r.get("agent"), "3001", "CDR agent")
        chk.eq(r.get("agent_site"), "c", "CDR agent_site names c")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(lambda chk: test(chk, tls="--tls" in sys.argv[1:]))
