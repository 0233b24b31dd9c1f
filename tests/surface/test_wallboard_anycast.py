#!/usr/bin/env python3
"""test_wallboard_anycast.py - every site's anycast state on every site's wallboard, carried
by the heartbeats (Heartbeat.anycast_*).

Three acdd sites and one etcd member inside a private network namespace (the test's
thread enters it, so etcd, acdd and every request of the test live there): a keeps
198.18.0.1 on the namespace's lo, b 198.18.0.2, c has no `anycast:` section. Checks:
  - every site's /wallboard/snapshot shows every site's anycast object equal to that
    site's own /v1/status "anycast" (address, announced, why), c's as null and reported;
    a's /v1/status cluster.peers[].anycast says the same;
  - a's /metrics: acd_peer_anycast_announced{peer=b} 1, none for c;
  - b drained with `acdctl drain`: the address leaves lo, a's wallboard shows b withdrawn
    ("draining") as b's own status says, the metric turns 0; undrained: announced again;
  - b killed with SIGKILL: the address stays on lo (nothing could remove it), and a's
    wallboard shows b dark with its last report, announced.
"""

import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "chaos"))
sys.path.insert(0, HERE)
import cluster as cl  # noqa: E402
import prom_text as pt  # noqa: E402
import test_wallboard as wb  # noqa: E402  (api, snapshot, by, settle, anycast_diffs)
import topo as tp  # noqa: E402  (Netns.entered)
from test_anycast import lo_addrs  # noqa: E402
from test_rfc4475 import make_netns  # noqa: E402  (acdtest-<pid>, always removed)
h = cl.h

ADDRESS = {"a": "198.18.0.1", "b": "198.18.0.2"}  # c has none


def statuses(c, names):
    """name -> /v1/status of each live site named; None when one does not answer."""
    out = {n: c[n].status(quiet=True) for n in names}
    return None if any(v is None for v in out.values()) else out


def views_agree(c, viewers, names):
    """The differences between each viewer's wallboard and the named sites' own status."""
    own = statuses(c, names)
    if own is None:
        return ["a status document is missing"]
    diffs = []
    for v in viewers:
        snap = wb.snapshot(c[v])
        if snap is None:
            diffs.append("%s: no snapshot" % v)
            continue
        diffs += ["%s's wallboard: %s" % (v, d) for d in wb.anycast_diffs(snap, own)]
    return diffs


def peer_anycast(site, peer):
    """site's /v1/status cluster.peers[] entry of peer: its anycast object, or 'absent'."""
    p = wb.by(((site.status(quiet=True) or {}).get("cluster") or {}).get("peers", []), "site", peer) or {}
    return p.get("anycast", "absent")


def announced_metric(site, peer):
    return pt.metrics(site.admin_port).value("acd_peer_anycast_announced", site=site.name, peer=peer)


def check_formed(chk, c):
    chk.check(h.wait_for(lambda: (ADDRESS["a"] + "/32") in lo_addrs_here() and (ADDRESS["b"] + "/32") in
                         lo_addrs_here(), 10), "a's and b's addresses are on lo", lo_addrs_here())
    chk.eq(wb.settle("wallboards and statuses", lambda: views_agree(c, "abc", "abc")), [],
           "every wallboard shows every site's anycast as that site's own /v1/status says")
    snap = wb.snapshot(c["a"])
    rows = {s["site"]: s for s in snap["sites"]}
    chk.eq((rows["b"]["anycast"] or {}).get("announced"), True, "a's wallboard: b announced")
    chk.eq((rows["b"]["anycast"] or {}).get("address"), ADDRESS["b"], "a's wallboard: b's address")
    chk.eq((rows["c"]["anycast"], rows["c"]["anycast_reported"]), (None, True),
           "a's wallboard: c reported, without an anycast address")
    chk.eq(wb.anycast_text(rows["c"]), "no anycast address configured", "c's line on the page")
    st_b = c["b"].status(quiet=True)
    chk.eq(peer_anycast(c["a"], "b"), {k: st_b["anycast"][k] for k in ("address", "announced", "why")},
           "a's /v1/status peers[b].anycast is b's own")
    chk.eq(peer_anycast(c["a"], "c"), None, "a's /v1/status peers[c].anycast is null")
    chk.eq(announced_metric(c["a"], "b"), 1.0, "a: acd_peer_anycast_announced{peer=b} 1")
    chk.eq(announced_metric(c["a"], "c"), None, "a: no acd_peer_anycast_announced for c")


def check_drain(chk, c):
    a, b = c["a"], c["b"]
    chk.eq(wb.acdctl(b, "drain", code=True), 0, "acdctl drain at b exits 0")
    chk.check(h.wait_for(lambda: (ADDRESS["b"] + "/32") not in lo_addrs_here(), 5),
              "b's address leaves lo", lo_addrs_here())
    chk.eq(wb.settle("a's wallboard and b drained", lambda: views_agree(c, "ac", "b")), [],
           "a's and c's wallboards show b as b's own status says")
    row = wb.by(wb.snapshot(a)["sites"], "site", "b")
    chk.eq((row["anycast"]["announced"], row["anycast"]["why"]), (False, "draining"),
           "a's wallboard: b withdrawn (draining)")
    chk.eq(wb.anycast_text(row), "anycast withdrawn (draining)", "b's line on a's page")
    chk.eq(announced_metric(a, "b"), 0.0, "a: acd_peer_anycast_announced{peer=b} 0")
    chk.eq(wb.acdctl(b, "undrain", code=True), 0, "acdctl undrain at b exits 0")
    chk.eq(wb.settle("a's wallboard and b undrained", lambda: views_agree(c, "ac", "b") or (
        [] if wb.by(wb.snapshot(a)["sites"], "site", "b")["anycast"]["announced"] else ["b not announced"])), [],
        "b announced again on a's wallboard")
    chk.eq(announced_metric(a, "b"), 1.0, "a: acd_peer_anycast_announced{peer=b} 1 again")


def check_killed(chk, c):
    a = c["a"]
    c["b"].kill(signal.SIGKILL)
    row = h.wait_for(lambda: next((s for s in (wb.snapshot(a) or {}).get("sites", [])
                                   if s["site"] == "b" and s["dark"]), None), 20, interval=0.3)
    chk.check(row is not None, "a's wallboard shows b dark after kill -9")
    chk.check((ADDRESS["b"] + "/32") in lo_addrs_here(), "a killed acdd leaves its address on lo",
              lo_addrs_here())
    if row:
        chk.eq((row["anycast"] or {}).get("announced"), True, "b's last report stays: announced")
        chk.eq(wb.anycast_text(row), "anycast announced (healthy), last report", "b's line on a's page")


NETNS = None  # the test's namespace, once made


def lo_addrs_here():
    return lo_addrs(NETNS)


def test(chk):
    global NETNS
    NETNS = make_netns(chk)
    with tp.Netns(NETNS).entered():
        c = cl.Cluster(chk, n_sites=3, n_etcd=1, agents=[h.agent("2001")])
        for name, addr in ADDRESS.items():
            c[name].config["anycast"] = {"address": addr, "interface": "lo", "prefix_len": 32}
            c[name].config["sip"]["listen"] = "0.0.0.0"  # the loader wants it with an anycast address
        c.start()
        h.log("cluster formed, leader %s" % c.wait_formed())
        check_formed(chk, c)
        check_drain(chk, c)
        check_killed(chk, c)
        c.close()  # inside the namespace; harness.run's close finds nothing left


if __name__ == "__main__":
    h.run(test)
