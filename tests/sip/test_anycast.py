#!/usr/bin/env python3
"""test_anycast.py - the anycast address follows the site's health, inside a private network
namespace (acdd and SIPp run in it; the address, 198.18.0.1 from 198.18.0.0/15, goes on its lo).

- The address appears once acdd is up; GET /v1/status and `acdctl status` show it announced.
- A call is talking when `acdctl drain` runs: the address goes at once,
  a new INVITE gets 503, the call in progress finishes normally, and acdd keeps running after
  the last call ends. `acdctl undrain` puts the address back and a new call to the anycast address is answered.
- SIGTERM: the address goes and acdd exits 0.
- kill -9 cannot clean up: the address stays (the systemd unit's ExecStopPost removes it: the
  same `ip addr del` is run here, and run twice to show why the unit ignores its failure).
- A restarted acdd adopts an address a killed one left (EEXIST is success: one address, no
  error); one that starts unhealthy (a cluster site with no etcd to hold a lease from) removes
  it at once and keeps it away."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_rfc4475 import make_netns  # noqa: E402  (creates acdtest-<pid>, always removed)

ANYCAST = "198.18.0.1"


def lo_addrs(ns):
    """The IPv4 addresses on the namespace's lo, as printed by `ip -n NS -4 addr show dev lo`."""
    out = subprocess.run(["ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "lo"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    return [l.split()[3] for l in out.splitlines() if len(l.split()) > 3]


def present(ns):
    return (ANYCAST + "/32") in lo_addrs(ns)


def acdctl(site, *args):
    """Runs acdctl against the site inside its namespace; returns (exit code, stdout)."""
    r = subprocess.run(site._wrap([h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, site.admin_port)] + list(args)),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def anycast(site):
    return (site.status(quiet=True) or {}).get("anycast") or {}


def state(site, agent):
    return (h.agent_status(site.status(quiet=True) or {}, agent) or {}).get("state")


def callers_to(site, addr, name, **kw):
    """SIPp callers dialing acdd at addr (the anycast address or the unicast one)."""
    target = site.target
    site.target = lambda: "%s:%d" % (addr, site.sip_port)
    try:
        return site.callers(name, **kw)
    finally:
        site.target = target


def test(chk):
    ns = make_netns(chk)
    site = h.new_site(chk, "anycast", netns=ns, agents=[h.agent("2001")],
                      queues=[h.queue("main", "acme", ring_timeout=10, wrapup=0)],
                      extra={"anycast": {"address": ANYCAST, "interface": "lo", "prefix_len": 32}})
    site.config["sip"]["listen"] = "0.0.0.0"  # calls to the anycast address need every address
    chk.check(not present(ns), "no anycast address before acdd starts", lo_addrs(ns))

    # -- up: announced -------------------------------------------------------------------
    site.start()
    chk.check(h.wait_for(lambda: present(ns), 5), "the address is on lo once acdd is up", lo_addrs(ns))
    a = anycast(site)
    chk.eq((a.get("address"), a.get("prefix_len"), a.get("interface"), a.get("announced"), a.get("why")),
           (ANYCAST, 32, "lo", True, "healthy"), "status: anycast announced, healthy")
    rc, out = acdctl(site, "status")
    chk.check(rc == 0 and "anycast 198.18.0.1/32 on lo  announced (healthy)" in out,
              "acdctl status shows the anycast line", out[:400])

    phones = site.agent_phones(calls=3, ring_ms=200)
    site.register(["2001"], phones.port, chk=chk)
    chk.check(h.wait_for(lambda: state(site, "2001") == "available", 5), "2001 available")

    # -- drain with a call in progress ---------------------------------------------------
    # Call 1 reaches the site at its unicast address: SIPp sends its BYE to where it sent the
    # INVITE, not to acdd's (unicast) Contact, and the drain takes the anycast address away.
    c1 = site.callers("call1", calls=1, talk_ms=4000, prefix="55")
    chk.check(h.wait_for(lambda: state(site, "2001") == "on-call", 10), "call 1 connected")
    rc, out = acdctl(site, "drain")
    chk.check(rc == 0 and "site drained" in out and "WITHDRAWN (draining)" in out,
              "acdctl drain: drained, address withdrawn", "rc=%d %s" % (rc, out))
    chk.check(not present(ns), "the address is gone from lo after acdctl drain", lo_addrs(ns))
    st = site.status(quiet=True) or {}
    chk.eq((st.get("site") or {}).get("draining"), True, "status: site draining")
    chk.eq((anycast(site).get("announced"), anycast(site).get("why")), (False, "draining"),
           "status: anycast withdrawn, draining")

    c2 = site.callers("call2", calls=1, talk_ms=500, prefix="66", timeout_s=10)  # unicast: still reachable
    c2.wait(20)
    chk.check(h.wait_for(lambda: "ACD-CALL-REJECTED status=503" in site.log_text(), 5),
              "a new INVITE while drained gets 503")
    chk.eq(c2.successful(), 0, "the call offered while drained was not connected")
    c1.wait(30)
    c1.check_ok(chk, 1)
    chk.check(h.wait_for(lambda: (site.status(quiet=True) or {}).get("site", {}).get("calls_in_progress") == 0, 5),
              "no call left after call 1 ended")
    chk.check(not h.wait_for(lambda: not site.alive(), 1.5), "acdd keeps running while drained with no calls")

    # -- undrain -------------------------------------------------------------------------
    rc, out = acdctl(site, "undrain")
    chk.check(rc == 0 and "site undrained" in out and "announced (healthy)" in out,
              "acdctl undrain: taking calls, address announced", "rc=%d %s" % (rc, out))
    chk.check(present(ns), "the address is back on lo after acdctl undrain", lo_addrs(ns))
    chk.eq((site.status(quiet=True) or {}).get("site", {}).get("draining"), False, "status: not draining")
    c3 = callers_to(site, ANYCAST, "call3", calls=1, talk_ms=500, prefix="77")
    c3.wait(30)
    c3.check_ok(chk, 1)

    # -- SIGTERM -------------------------------------------------------------------------
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")
    chk.check(not present(ns), "the address is gone after SIGTERM", lo_addrs(ns))
    cdrs = site.cdrs()
    chk.eq(sorted(c.get("disposition") for c in cdrs), ["answered", "answered"],
           "one answered CDR each for calls 1 and 3, none for the 503")

    # -- kill -9, restart ----------------------------------------------------------------
    site.start()
    chk.check(h.wait_for(lambda: present(ns), 5), "announced again after a restart")
    site.proc.send_signal(signal.SIGKILL)
    site.proc.wait(5)
    chk.check(present(ns), "kill -9 leaves the address behind (nothing can run in acdd)", lo_addrs(ns))
    mark = len(site.log_text())
    site.start()
    chk.check(h.wait_for(lambda: anycast(site).get("why") == "healthy" and anycast(site).get("announced"), 5),
              "a restarted acdd adopts the address left behind")
    chk.eq(lo_addrs(ns).count(ANYCAST + "/32"), 1, "the address is on lo once")
    since = site.log_text()[mark:]
    chk.check("ACD-ANYCAST-ANNOUNCED" in since and "ACD-ANYCAST-ADD-FAILED" not in since,
              "adopted without an error (EEXIST is success)")

    site.proc.send_signal(signal.SIGKILL)
    site.proc.wait(5)
    stop_post = ["ip", "-n", ns, "addr", "del", ANYCAST + "/32", "dev", "lo"]  # deploy/systemd ExecStopPost
    chk.eq(subprocess.run(stop_post, stderr=subprocess.DEVNULL).returncode, 0, "ExecStopPost's ip addr del removes it")
    chk.check(not present(ns), "gone after ExecStopPost", lo_addrs(ns))
    chk.check(subprocess.run(stop_post, stderr=subprocess.DEVNULL).returncode != 0,
              "a second ip addr del fails (hence '-' before it in the unit)")

    # -- an unhealthy start cleans up ----------------------------------------------------
    subprocess.run(["ip", "-n", ns, "addr", "add", ANYCAST + "/32", "dev", "lo"], check=True)
    site.config["cluster"] = {"etcd": ["http://127.0.0.1:%d" % h.free_port(("tcp",))], "lease_ttl": 2,
                              "events": "tcp://127.0.0.1:%d" % h.free_port(("tcp",)),
                              "requests": "tcp://127.0.0.1:%d" % h.free_port(("tcp",))}
    site.start()
    chk.check(h.wait_for(lambda: not present(ns), 5), "a cluster site without a lease removes the address at start",
              lo_addrs(ns))
    chk.check(h.wait_for(lambda: anycast(site).get("why") == "island", 6),
              "status: withdrawn, island once the lease TTL passed", repr(anycast(site)))
    chk.eq(anycast(site).get("announced"), False, "status: not announced without a lease")
    chk.check(not present(ns), "still no address while the site has no lease", lo_addrs(ns))
    chk.eq(site.stop(), 0, "the lease-less site exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
