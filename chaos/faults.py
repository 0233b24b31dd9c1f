"""faults.py - fault injectors for the chaos drills, one function each.

Every injector takes the drill's world.World (and a target where it has one; by default
the site that matters most for that fault: the ingress site the carrier routes to, or the
acdd leader) and returns a Fault: what was done, to whom, when (wall clock, so it lines
up with CDRs, SIPp's and acdd's logs), what the report should expect, and heal(), which
undoes it (idempotent). Faults are made the way ADR 0013 makes them: signals for
processes, link state or iptables DROP for partitions, the iptables statistic match for
loss; here every rule lives inside a namespace of the topology and dies with it.

  kill_site(w, site)                 kill -9 every process in the site's namespace
  freeze_acdd(w, site, seconds)      SIGSTOP acdd (default: the leader) past the lease TTL, then SIGCONT
  partition(w, site, how)            how="link": uplink down; how="iptables": DROP on the uplink
  kill_acdd_leader(w)                kill -9 the acdd that leads
  kill_etcd_leader(w)                kill -9 the etcd member that is raft leader
  restart_daemon(w, site, daemon)    SIGTERM + start again: acdd (drains first), etcd or bird
  drain(w, site, seconds)            acdctl drain, then acdctl undrain (planned maintenance)
  sip_loss(w, site, probability)     drop SIP/UDP at random on the site's uplink, both ways
"""

import os
import signal
import subprocess
import threading
import time

import world as wd

h = wd.h


class Fault:
    """One injected fault. expect: what the report checks (site_dark, leader_change,
    route_moves, fenced); dark_sites: the sites whose callers may be lost until takeover
    exists; hold: seconds after which the drill heals it while calls still flow (None:
    after the round's calls are over)."""

    def __init__(self, kind, target, heal_fn, expect=None, dark_sites=(), hold=None, detail=None):
        self.kind = kind
        self.target = target
        self.t = time.time()
        self._heal = heal_fn
        self.expect = dict(expect or {})
        self.dark_sites = list(dark_sites)
        self.hold = hold
        self.detail = dict(detail or {})
        self.healed_at = None

    def heal(self):
        if self.healed_at is not None:
            return
        self.healed_at = time.time()
        if self._heal:
            self._heal()

    def describe(self):
        return {"kind": self.kind, "target": self.target, "t": self.t, "healed_at": self.healed_at,
                "hold_s": self.hold, "dark_sites": self.dark_sites,
                "detail": {k: v for k, v in self.detail.items() if k != "detection"}}


def _expect_site(w, name, **more):
    """The usual expectations when site `name` goes dark."""
    e = {"site_dark": True, "leader_change": name == w.cluster.leader(), "route_moves": name == w.ingress()}
    e.update(more)
    return e


def _default_site(w, site):
    return site or w.ingress() or w.topo.order[0]


def kill_site(w, site=None):
    """kill -9 of every process in the site's namespace (BIRD, etcd member, acdd, agent
    phones). Heal: starts them all again, the etcd member on its old data dir."""
    name = _default_site(w, site)
    s = w.site(name)
    expect = _expect_site(w, name)
    f = Fault("site-kill", name, None, expect, dark_sites=[name])
    pids = s.node.ns.kill_all(signal.SIGKILL)
    f.detail["killed_pids"] = len(pids)
    member = w.cluster.etcd.member_of(name)

    def heal():
        for p in [s.proc, s.node.bird, w.cluster.etcd.members[member]["proc"], w.phones.get(name)]:
            proc = getattr(p, "proc", p)
            if proc is not None:
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        w.topo.restart_bird(s.node)
        w.cluster.etcd.start_member(member)
        s.restart()
        w.start_phones(s)
    f._heal = heal
    return f


def freeze_acdd(w, site=None, seconds=None):
    """SIGSTOP of a site's acdd (default: the leader's) for `seconds` (default: the lease
    TTL + 2 s, so its lease expires and another site is elected), then SIGCONT: the
    zombie wakes up believing it leads and must be fenced by epoch."""
    name = site or w.cluster.leader()
    s = w.site(name)
    seconds = seconds if seconds is not None else w.lease_ttl + 2
    expect = _expect_site(w, name, route_moves=False, fenced=name == w.cluster.leader())
    f = Fault("zombie-leader" if expect["leader_change"] else "freeze", name, None, expect,
              dark_sites=[name], hold=seconds, detail={"stopped_s": seconds, "ingress": name == w.ingress()})
    os.kill(s.proc.pid, signal.SIGSTOP)

    def heal():
        f.detail["resumed_at"] = time.time()
        if s.alive():
            os.kill(s.proc.pid, signal.SIGCONT)
    f._heal = heal
    return f


def _uplink_drop(node, op, tag):
    for chain, flag in (("INPUT", "-i"), ("OUTPUT", "-o")):
        node.ns.iptables(op, chain, flag, node.uplink, "-m", "comment", "--comment", tag, "-j", "DROP",
                         check=(op == "-I"))


def partition(w, site=None, how="link", seconds=None):
    """Cuts a site off from the carrier and the other sites. how="link": its uplink goes
    down (the carrier sees the interface go, BGP drops at once); how="iptables": DROP of
    everything on the uplink, both ways (only BFD notices). Heal after `seconds` (default
    TTL + 4 s): link up, or the rules removed; the site rejoins."""
    name = _default_site(w, site)
    s = w.site(name)
    node = s.node
    seconds = seconds if seconds is not None else w.lease_ttl + 4
    tag = "acdchaos-%d-partition" % os.getpid()
    f = Fault("partition-" + how, name, None, _expect_site(w, name), dark_sites=[name], hold=seconds)
    if how == "link":
        node.ns.ip("link", "set", node.uplink, "down")
    elif how == "iptables":
        _uplink_drop(node, "-I", tag)
    else:
        raise ValueError("partition how: link or iptables, not %r" % how)

    def heal():
        if not node.ns.exists():
            return
        if how == "link":
            # Taking a link down flushes the routes through it: the default route too.
            node.ns.ip("link", "set", node.uplink, "up")
            node.ns.ip("route", "replace", "default", "via", node.gw)
        else:
            _uplink_drop(node, "-D", tag)
    f._heal = heal
    return f


def kill_acdd_leader(w):
    """kill -9 of the leading acdd only (its site's BIRD, etcd member and phones live
    on). Heal: acdd starts again and its phones register again."""
    name = w.cluster.leader()
    if not name:
        raise RuntimeError("no leader to kill")
    s = w.site(name)
    f = Fault("leader-kill", name, None, _expect_site(w, name, leader_change=True), dark_sites=[name])
    s.kill()

    def heal():
        s.restart()
        w.start_phones(s)
    f._heal = heal
    return f


def kill_etcd_leader(w, seconds=None):
    """kill -9 of the etcd member that is raft leader; the others elect a new one and
    the sites pointed at the dead member fail over to the next endpoint. Heal (after
    `seconds`, default 6): the member starts again on its data dir."""
    etcd = w.cluster.etcd
    i = etcd.leader_member()
    if i is None:
        raise RuntimeError("etcd has no leader")
    f = Fault("etcd-leader-kill", etcd.nodes[i].name, None, {}, hold=seconds if seconds is not None else 6,
              detail={"member": etcd.members[i]["name"]})
    etcd.kill_member(i)
    nl = h.wait_for(lambda: (lambda j: [j] if j is not None and j != i else None)(etcd.leader_member()), 10,
                    interval=0.05)
    f.detail["detection"] = {"etcd_new_leader_s": round(time.time() - f.t, 3) if nl else None,
                             "etcd_new_leader": etcd.members[nl[0]]["name"] if nl else None}

    def heal():
        etcd.start_member(i)
    f._heal = heal
    return f


def restart_daemon(w, site=None, daemon="acdd"):
    """Restarts one daemon of a site: acdd gracefully (SIGTERM: it withdraws the anycast
    address and drains; then start, and the phones register again); etcd (SIGTERM,
    start on the same data dir) or bird (SIGTERM, start)."""
    name = _default_site(w, site)
    s = w.site(name)
    if daemon == "acdd":
        f = Fault("restart-acdd", name, None, _expect_site(w, name, site_dark=False), dark_sites=[name])
        if not w.acdd_anycast:  # the keeper withdraws the address, as a stopping acdd does
            s.ready = False
            h.wait_for(lambda: not w.topo.has_anycast(s.node), 2, interval=0.02)
        f.detail["exit"] = s.stop(15)
        s.proc = None
        s.start()
        w.start_phones(s)
    elif daemon == "etcd":
        i = w.cluster.etcd.member_of(name)
        f = Fault("restart-etcd", name, None, {})
        w.cluster.etcd.kill_member(i, signal.SIGTERM)
        w.cluster.etcd.members[i]["proc"].wait(10)
        w.cluster.etcd.start_member(i)
    elif daemon == "bird":
        f = Fault("restart-bird", name, None, {"route_moves": name == w.ingress()})
        w.topo.restart_bird(s.node)
    else:
        raise ValueError("daemon: acdd, etcd or bird, not %r" % daemon)
    f.detail["restarted_after_s"] = round(time.time() - f.t, 3)
    return f


def drain(w, site=None, seconds=8):
    """`acdctl drain` of a site (planned maintenance: no new calls, calls in progress go
    on, the anycast address is withdrawn), then `acdctl undrain` after `seconds`."""
    name = _default_site(w, site)
    s = w.site(name)

    def ctl(verb):
        argv = s._wrap([h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, s.admin_port), verb])
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15).returncode
    f = Fault("drain", name, None, {"route_moves": name == w.ingress()}, hold=seconds)
    f.detail["acdctl_drain_exit"] = ctl("drain")

    def heal():
        f.detail["acdctl_undrain_exit"] = ctl("undrain")
    f._heal = heal
    return f


def sip_loss(w, site=None, probability=0.2, seconds=8):
    """Drops SIP over UDP (port 5060) on the site's uplink at random with the iptables
    statistic match, in both directions, for `seconds`: retransmissions must carry every
    call through."""
    name = _default_site(w, site)
    node = w.site(name).node
    tag = "acdchaos-%d-loss" % os.getpid()
    rules = [("INPUT", "-i", "--dport"), ("OUTPUT", "-o", "--sport")]

    def apply(op):
        for chain, flag, port in rules:
            node.ns.iptables(op, chain, flag, node.uplink, "-p", "udp", port, str(wd.SIP_PORT),
                             "-m", "statistic", "--mode", "random", "--probability", "%.3f" % probability,
                             "-m", "comment", "--comment", tag, "-j", "DROP", check=(op == "-I"))
    f = Fault("sip-loss", name, None, {}, hold=seconds, detail={"probability": probability})
    apply("-I")

    def heal():
        if node.ns.exists():
            apply("-D")
    f._heal = heal
    return f


# The drill's scenarios: name -> (injector, keyword arguments, one line for --help).
SCENARIOS = {
    "site-kill": (kill_site, {}, "kill -9 every process of the ingress site"),
    "site-kill-other": (kill_site, {"site": "c"}, "kill -9 every process of site c (not the ingress)"),
    "partition": (partition, {"how": "link"}, "the ingress site's uplink goes down, then up"),
    "partition-iptables": (partition, {"how": "iptables"}, "DROP on the ingress site's uplink, then removed"),
    "leader-kill": (kill_acdd_leader, {}, "kill -9 of the acdd leader"),
    "zombie-leader": (freeze_acdd, {}, "SIGSTOP of the acdd leader past the lease TTL, then SIGCONT"),
    "etcd-leader-kill": (kill_etcd_leader, {}, "kill -9 of etcd's raft leader member"),
    "restart-acdd": (restart_daemon, {"daemon": "acdd"}, "graceful restart of the ingress site's acdd"),
    "restart-etcd": (restart_daemon, {"daemon": "etcd"}, "restart of the ingress site's etcd member"),
    "restart-bird": (restart_daemon, {"daemon": "bird"}, "restart of the ingress site's BIRD"),
    "sip-loss": (sip_loss, {"probability": 0.2}, "20% SIP/UDP loss on the ingress site's uplink for 8 s"),
    "drain": (drain, {}, "acdctl drain of the ingress site, acdctl undrain 8 s later"),
}


def inject(w, scenario, **overrides):
    fn, kw, _ = SCENARIOS[scenario]
    args = dict(kw)
    args.update({k: v for k, v in overrides.items() if v is not None})
    return fn(w, **args)


def heal_later(fault, seconds):
    """Heals fault after seconds in a timer thread (the drill's calls keep flowing);
    returns the timer, which the drill cancels and replaces by heal() when it ends first."""
    t = threading.Timer(seconds, fault.heal)
    t.daemon = True
    t.start()
    return t
