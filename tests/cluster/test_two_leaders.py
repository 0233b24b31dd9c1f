#!/usr/bin/env python3
"""test_two_leaders.py - two acdd leaders at once must never double-book an agent or give
a call to two agents.

How two leaders are forced, with real processes and real etcd: each site talks to one etcd
member of its own. The leader's member is cut off from it with iptables (its etcd TCP hangs,
like a partition), and the test deletes the leader's election key, so the next campaigner
wins with a higher epoch at once. The old leader hears nothing of it: its lease is still
good by its own clock (TTL 8 s), so it keeps planning and offering with its old epoch while
the new leader plans and offers with the new one. Calls then enter all three sites with a
free agent at each. Owners fence offers by epoch: the agents' and calls' owners reject the
old epoch once they know the new one. Afterwards the old leader is reconnected, finds it
lost its lease, and rejoins as a follower."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TTL = 8  # the old leader's lease outlives the split by its own clock
PER_SITE = 3
TALK_MS = 800


def is_leader(site):
    cs = site.cluster_status() or {}
    return cs.get("is_leader"), cs.get("epoch"), (cs.get("offers") or {})


def test(chk):
    agents = [h.agent(a) for a in ("3001", "3002", "3003")]
    c = cl.Cluster(chk, agents=agents, lease_ttl=TTL, pin_etcd=True).start()
    old = c.wait_formed()
    old_site = c[old]
    old_epoch = old_site.cluster_status()["epoch"]
    h.log("cluster formed, leader %s epoch %d" % (old, old_epoch))

    phones = {}
    for s, a in zip(c.sites, ("3001", "3002", "3003")):
        phones[s.name] = s.agent_phones(name="phone-" + a, calls=None, ring_ms=100, timeout_s=200)
        s.register([a], phones[s.name].port, chk=chk)
    h.wait_for(lambda: all(p.get("registrations") == 1 for s in c.sites
                           for p in (s.cluster_status() or {}).get("peers", [])), 5)

    member = c.etcd.urls().index(old_site.config["cluster"]["etcd"][0])
    block = cl.PortBlock(c.etcd.members[member]["client"])
    h.log("cut %s off from etcd member m%d" % (old, member))
    other = (member + 1) % len(c.etcd.members)
    keys = c.etcd.get("/acdd/leader/", prefix=True, via=other)
    mine = [k for k, v in keys.items() if v == old]
    chk.check(len(mine) == 1, "the old leader has one election key", repr(keys))
    for k in mine:
        c.etcd.delete(k, via=other)

    def new_leader():
        for s in c.sites:
            if s is not old_site:
                yes, epoch, _ = is_leader(s)
                if yes and epoch > old_epoch:
                    return s
        return None
    nl = h.wait_for(new_leader, 5, interval=0.1)
    chk.check(nl is not None, "a new leader is elected with a higher epoch")
    still, epoch, offers_before = is_leader(old_site)
    chk.check(still and epoch == old_epoch, "the old leader %s still leads at epoch %d: two leaders at once"
              % (old, old_epoch), repr(old_site.cluster_status()))
    t_split = time.monotonic()

    callers = [s.callers(name="callers-" + s.name, calls=PER_SITE, rate=20, talk_ms=TALK_MS,
                         prefix="4%d" % i, timeout_s=120) for i, s in enumerate(c.sites)]
    # The old leader plans these calls with its stale epoch; the owners refuse its offers
    # to their agents, and the first such refusal makes it step down, well before its
    # lease would have told it.
    h.wait_for(lambda: is_leader(old_site)[2].get("made", 0) > offers_before.get("made", 0), 3)
    made = is_leader(old_site)[2].get("made", 0) - offers_before.get("made", 0)
    chk.check(made > 0, "the old leader made offers with its stale epoch during the split",
              repr(old_site.cluster_status()))
    stepped = h.wait_for(lambda: "ACD-MEMBER-NOT-LEADER" in old_site.log_text(), 3)
    cs = old_site.cluster_status() or {}
    chk.check(stepped and not cs.get("is_leader") and cs.get("lease", {}).get("state") == "held",
              "the old leader stepped down on a stale-epoch refusal, its lease still held by its clock",
              repr(cs))
    h.log("old leader %.1fs after the split: %r" % (time.monotonic() - t_split, cs.get("offers")))
    stale = [l for l in old_site.log_text().splitlines() if "ACD-MEMBER-OFFER-REJECTED" in l and "stale-epoch" in l]
    chk.check(stale, "owners refused the old leader's offers with stale-epoch")

    for s in callers:
        s.wait(120)
    for s in callers:
        s.check_ok(chk, PER_SITE)

    cdrs = c.wait_cdrs(3 * PER_SITE, 10)
    c.check_invariants(chk, cdrs, 3 * PER_SITE)
    for r in cdrs:
        chk.eq(r.get("disposition"), "answered", "CDR %s answered" % r.get("caller"))
        chk.eq(r.get("offers"), 1, "CDR %s: the call rang exactly one phone" % r.get("caller"))
    # Each phone saw each call at most once, and never two at once (the UAS logs OFFER).
    for name, p in phones.items():
        offered = [r["call_id"] for r in p.log_records("OFFER")]
        chk.eq(len(offered), len(set(offered)), "phone at %s was offered no call twice" % name)

    block.unblock()
    h.log("reconnected %s" % old)
    ok = h.wait_for(lambda: (lambda cs: cs.get("lease", {}).get("state") == "held" and not cs.get("is_leader")
                             and not cs.get("island"))(old_site.cluster_status() or {}), 3 * TTL)
    chk.check(ok, "the old leader rejoins as a follower with a new lease", repr(old_site.cluster_status()))
    try:
        after = c.wait_formed(3 * TTL)
        chk.check(after != old, "one leader again, and not the old one", repr(after))
    except RuntimeError as e:
        chk.check(False, "the cluster forms again after the split", str(e))
    last = old_site.callers(name="last", calls=1, talk_ms=500, prefix="50")
    last.wait(30)
    last.check_ok(chk, 1)
    for p in phones.values():
        p.stop()
    c.check_invariants(chk, c.cdrs(), 3 * PER_SITE + 1)
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
