#!/usr/bin/env python3
"""test_api_cluster.py - the agent verbs and the cluster status across two sites and etcd.

Agent 3001's phone registers at site a (the agent is a's: ADR 0011, 0024):
  - both sites' GET /v1/agents say 3001 is at site a;
  - at site b, pause / logout / login of 3001 are 409 with "owner": "a", and acdctl exits 4
    naming a; nothing changes at a;
  - at a, pause 3001: a caller at b waits (the leader offers it to nobody), unpause at a
    and the caller is answered by 3001 (CDR agent_site a);
  - GET /v1/cluster and acdctl cluster status on both sites name the same leader and both
    sites live, with the peer's replication lag; after b is killed, a shows b dark.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import cluster as cl  # noqa: E402
import test_acdctl as tc  # noqa: E402  (ctl, table)
import test_api as ta  # noqa: E402  (request)

h = cl.h


def get(site, path):
    r = ta.request(site, "GET", path)
    return r.doc if r and r.status == 200 else {}


def local_state(site, agent_id):
    a = get(site, "/v1/agents/" + agent_id).get("agent") or {}
    return a.get("state"), a.get("pause_reason")


def check_cluster_view(chk, site, leader, peers_live):
    doc = get(site, "/v1/cluster")
    chk.eq(doc.get("leader"), leader, "site %s: GET /v1/cluster names leader %s" % (site.name, leader))
    sites = {s.get("site"): s for s in doc.get("sites", [])}
    chk.eq(sorted(sites), sorted(["a", "b"]), "site %s: both sites listed" % site.name)
    chk.eq((sites.get(site.name) or {}).get("self"), True, "site %s: itself first, self" % site.name)
    for name, live in peers_live.items():
        s = sites.get(name) or {}
        chk.eq((s.get("live"), s.get("dark")), (live, not live), "site %s sees %s %s" % (
            site.name, name, "live" if live else "dark"))
        if live:
            chk.check(isinstance(s.get("lag_ms"), int), "site %s: %s's replication lag" % (site.name, name),
                      repr(s))
    chk.eq(sites.get(leader, {}).get("leader"), True, "site %s: the leader's entry says so" % site.name)
    chk.check(isinstance(doc.get("cluster"), dict), "site %s: the member's cluster object" % site.name)


def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("3001")]).start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s" % leader)
    a, b = c["a"], c["b"]
    phone = a.agent_phones(name="phone-a", calls=None, ring_ms=100, timeout_s=150)
    a.register(["3001"], phone.port, chk=chk)
    chk.check(h.wait_for(lambda: local_state(a, "3001")[0] == "available", 10), "3001 available at a")
    owner_b = h.wait_for(lambda: (get(b, "/v1/agents/3001").get("agent") or {}).get("site") == "a", 10)
    chk.check(owner_b, "site b says 3001's phone is at site a")
    chk.eq((get(a, "/v1/agents/3001").get("agent") or {}).get("site"), "a", "site a says so too")

    for verb, body in (("pause", {"reason": "lunch"}), ("logout", None), ("login", None)):
        r = ta.request(b, "POST", "/v1/agents/3001/" + verb, body=body)
        chk.eq((r and r.status, r and r.doc.get("owner")), (409, "a"), "%s 3001 at b: 409, owner a" % verb)
        chk.check(r and "site a" in (r.error() or ""), "... the error names site a", repr(r))
    rc, out, err = tc.ctl(b, "agent", "pause", "3001", "--reason", "lunch", token=None)
    chk.eq(rc, 4, "acdctl agent pause at b: exit 4")
    chk.check("belongs to site a" in err, "... naming site a", err)
    chk.eq(local_state(a, "3001"), ("available", None), "nothing changed at a")

    r = ta.request(a, "POST", "/v1/agents/3001/pause", body={"reason": "lunch"})
    chk.eq(r and r.status, 200, "pause 3001 at a: 200")
    caller = b.callers(name="at-b", calls=1, talk_ms=1000, prefix="58", timeout_s=90)
    chk.check(h.wait_for(lambda: [x.get("state") for x in get(b, "/v1/calls").get("calls", [])] == ["queued"], 10),
              "a caller waits at b")
    time.sleep(2.0)  # long enough for the leader to offer it, were 3001 not paused
    chk.eq([(x.get("state"), x.get("agent")) for x in get(b, "/v1/calls").get("calls", [])], [("queued", None)],
           "the caller at b is offered to nobody while 3001 is paused at a")
    r = ta.request(a, "POST", "/v1/agents/3001/unpause")
    chk.eq(r and r.status, 200, "unpause 3001 at a: 200")
    caller.wait(40)
    caller.check_ok(chk, 1)
    cdrs = [x for x in c.wait_cdrs(1, 15) if str(x.get("caller")).startswith("58")]
    chk.eq([(x.get("_file"), x.get("agent"), x.get("agent_site")) for x in cdrs], [("b", "3001", "a")],
           "after the unpause b's caller is answered by a's 3001")

    check_cluster_view(chk, a, leader, {"b": True})
    check_cluster_view(chk, b, leader, {"a": True})
    rc, out, err = tc.ctl(a, "cluster", "status", token=None)
    rows = tc.table(out, "SITES") or []
    chk.eq((rc, sorted((r.get("SITE"), r.get("LIVE"), r.get("LEADER")) for r in rows)),
           (0, sorted([("a (this site)", "live", "yes" if leader == "a" else "no"),
                       ("b", "live", "yes" if leader == "b" else "no")])),
           "acdctl cluster status at a: both live, the leader marked")
    chk.check(out.startswith("cluster leader %s" % leader), "... the leader line", out[:200])

    b.kill()
    dark = h.wait_for(lambda: [s.get("dark") for s in get(a, "/v1/cluster").get("sites", [])
                               if s.get("site") == "b"] == [True], 20)
    chk.check(dark, "after b is killed, a's GET /v1/cluster shows b dark")
    rc, out, err = tc.ctl(a, "cluster", "status", token=None)
    chk.check(any(r.get("SITE") == "b" and r.get("LIVE") == "DARK" for r in (tc.table(out, "SITES") or [])),
              "acdctl cluster status shows b DARK", out)


if __name__ == "__main__":
    h.run(test)
