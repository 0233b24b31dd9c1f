#!/usr/bin/env python3
"""test_metrics_cluster.py - the cluster series of /metrics on two real sites and one real
etcd: acd_leader is 1 on exactly the site every site names in acd_leader_info; etcd_up 1,
each peer up with a replication lag, and each peer's KPI report arriving (its queue
count, a fresh age). Then etcd is killed: once the leases are lost (TTL 3 s) both sites
report acd_etcd_up 0 and acd_island 1, and no site reports itself leader (what the
"no leader" alert watches); the KPI reports keep coming over nng meanwhile."""

import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
sys.path.insert(0, HERE)
import cluster as cl  # noqa: E402
import prom_text as pt  # noqa: E402

h = cl.h
TTL = 3


def scrape_all(c):
    return {s.name: pt.metrics(s.admin_port) for s in c.sites}


def check_formed(chk, c, leader):
    ms = h.wait_for(lambda: (lambda ms: ms if all(
        ms[s.name].value("acd_kpi_peer_queues", peer=o.name) == 1
        for s in c.sites for o in c.sites if o is not s) else None)(scrape_all(c)), 10, interval=0.3)
    chk.check(ms is not None, "every site holds its peer's KPI report (one queue)")
    ms = ms or scrape_all(c)
    leaders = [n for n, m in ms.items() if m.value("acd_leader", site=n) == 1]
    chk.eq(leaders, [leader], "acd_leader is 1 on exactly the leader")
    for s in c.sites:
        m, others = ms[s.name], [o.name for o in c.sites if o is not s]
        chk.eq(m.value("acd_leader", site=s.name), 1.0 if s.name == leader else 0.0, "%s: acd_leader" % s.name)
        chk.eq([l.get("leader") for l, _ in m.find("acd_leader_info", site=s.name)], [leader],
               "%s: acd_leader_info names %s" % (s.name, leader))
        chk.check((m.value("acd_leader_epoch", site=s.name) or 0) > 0, "%s: leader epoch > 0" % s.name)
        chk.eq(m.value("acd_etcd_up", site=s.name), 1.0, "%s: acd_etcd_up 1" % s.name)
        chk.eq(m.value("acd_island", site=s.name), 0.0, "%s: not an island" % s.name)
        for o in others:
            chk.eq(m.value("acd_peer_up", site=s.name, peer=o), 1.0, "%s: peer %s up" % (s.name, o))
            lag = m.value("acd_replication_lag_seconds", site=s.name, peer=o)
            chk.check(lag is not None and math.isfinite(lag) and lag >= 0,
                      "%s: replication lag of %s present" % (s.name, o), repr(lag))
            age = m.value("acd_kpi_peer_report_age_seconds", site=s.name, peer=o)
            chk.check(age is not None and 0 <= age < TTL, "%s: %s's KPI report is fresh" % (s.name, o), repr(age))
        chk.eq(len(m.find("acd_calls_offered_total", site=s.name, queue="main")), 1,
               "%s: its own queue series only (no peer's)" % s.name)


def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, lease_ttl=TTL, agents=[h.agent("3001")]).start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s" % leader)
    check_formed(chk, c, leader)

    c.etcd.kill_member(0)
    h.log("etcd killed")

    def etcd_down():
        ms = scrape_all(c)
        return ms if all(ms[s.name].value("acd_etcd_up", site=s.name) == 0 for s in c.sites) else None
    ms = h.wait_for(etcd_down, TTL + 15, interval=0.3)
    chk.check(ms is not None, "after etcd dies every site reports acd_etcd_up 0 (lease lost)")
    ms = h.wait_for(lambda: (lambda ms: ms if all(
        ms[s.name].value("acd_island", site=s.name) == 1 and ms[s.name].value("acd_leader", site=s.name) == 0
        for s in c.sites) else None)(scrape_all(c)), 10, interval=0.3)
    chk.check(ms is not None, "then every site is an island and none leads (acd_leader 0 everywhere)")
    for s in c.sites:
        o = [x.name for x in c.sites if x is not s][0]
        age = scrape_all(c)[s.name].value("acd_kpi_peer_report_age_seconds", site=s.name, peer=o)
        chk.check(age is not None and age < TTL, "%s: KPI reports still arrive over the links" % s.name, repr(age))
    for s in c.sites:
        chk.eq(s.stop(), 0, "%s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
