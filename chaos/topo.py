"""topo.py - the chaos topology: a carrier router and three sites in network namespaces,
joined by veth links, with BIRD 2 speaking BGP + BFD and one anycast address.

Address plan (198.18.0.0/15, the range set aside for benchmarking, never routed outside):
  carrier lo             198.18.0.1/32    source of the carrier's SIPp callers
  link to site i (1..3)  198.18.i.0/29    carrier end 198.18.i.1, site end 198.18.i.2
                                          (the site's unicast address: etcd, nng, SIP, RTP),
                                          198.18.i.3 the site's agent phones (SIPp)
  anycast                198.18.255.1/32  on the lo of every healthy site
The carrier's BIRD peers (eBGP, AS 65000 <-> 6500i, BFD 50 ms x 3) with every site's BIRD,
imports only the anycast /32 and exports its best route into the carrier's kernel table.
A site's BIRD announces the /32 while the address is on its lo (protocol direct), with
its AS prepended once per place in the preference order, so the carrier's choice is
deterministic: the first site in `prefer` wins while it announces. Sites reach each other
through the carrier, which forwards (ip_forward=1), over their unicast addresses.

Everything a run creates lives in its namespaces, named <PREFIX>-<pid>-carrier and
<PREFIX>-<pid>-<site>: veths are created directly inside them, iptables rules are
inserted inside them, BIRD runs inside them. Removing the namespaces (after killing
every process in them) removes everything; the config dir is an acdtest-<pid>- temp dir
that tests/sip/harness.py removes. close() runs on every way out through harness's
cleanup (atexit, SIGINT, SIGTERM, SIGHUP); reap_stale() removes what a killed run left.

Run it alone to check the routing for real: `python3 chaos/topo.py` builds the topology,
prints which site the carrier routes the anycast address to, withdraws it there (address
removed from lo, then link down, then namespace removed) and prints how long the route
took to move each time.
"""

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "sip"))
import harness as h  # noqa: E402

PREFIX = "acdchaos"
ANYCAST = "198.18.255.1"
CARRIER_ADDR = "198.18.0.1"
CARRIER_AS = 65000
SITES = ("a", "b", "c")
BIRD = shutil.which("bird") or "/usr/sbin/bird"
BIRDC = shutil.which("birdc") or "/usr/sbin/birdc"
BFD_INTERVAL_MS = 50
BFD_MULTIPLIER = 3

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def _run(argv, check=True, timeout=15):
    """Runs argv; returns its stdout as text. Raises with stderr when check and it fails."""
    if h.VERBOSE:
        h.log("run: " + " ".join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv), r.returncode,
                                                 r.stderr.decode("utf-8", "replace").strip()))
    return r.stdout.decode("utf-8", "replace")


class Netns:
    """One named network namespace (/run/netns/<name>)."""

    def __init__(self, name):
        self.name = name

    def exists(self):
        return os.path.exists("/run/netns/" + self.name)

    def ip(self, *args, check=True):
        return _run(["ip", "-n", self.name] + list(args), check=check)

    def run(self, argv, check=True, timeout=15):
        return _run(["ip", "netns", "exec", self.name] + list(argv), check=check, timeout=timeout)

    def wrap(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def spawn(self, argv, **kw):
        """Starts argv inside the namespace through harness.spawn (own process group,
        killed at exit). `ip netns exec` execs argv, so the Popen's pid is argv's."""
        return h.spawn(self.wrap(argv), **kw)

    @contextlib.contextmanager
    def entered(self):
        """Moves the calling thread into the namespace for the block: sockets opened and
        processes started in it belong to the namespace. The thread moves back after it,
        whatever happens."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open("/run/netns/" + self.name, os.O_RDONLY)
            try:
                _setns(target)
                try:
                    yield self
                finally:
                    _setns(own)
            finally:
                os.close(target)
        finally:
            os.close(own)

    def pids(self):
        out = _run(["ip", "netns", "pids", self.name], check=False)
        return [int(p) for p in out.split() if p.isdigit()]

    def kill_all(self, sig=signal.SIGKILL):
        """Sends sig to every process in the namespace; returns their pids."""
        pids = self.pids()
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        return pids

    def iptables(self, *args, check=True):
        return self.run(["iptables", "-w", "5"] + list(args), check=check)

    def delete(self):
        """Kills every process inside, then removes the namespace (and with it its veths,
        addresses, routes and iptables rules). Idempotent."""
        if not self.exists():
            return
        self.kill_all()
        deadline = time.monotonic() + 5
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        _run(["ip", "netns", "del", self.name], check=False)


def reap_stale():
    """Removes the namespaces of earlier runs whose process is gone (a drill killed with
    -9 never ran its cleanup): kills what still runs in them, then deletes them."""
    for line in _run(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"^%s-(\d+)-" % PREFIX, name)
        if m and not h._pid_alive(int(m.group(1))):
            h.log("removing stale namespace %s" % name)
            Netns(name).delete()


LINK_PREFIX = 29
HOSTS = {"carrier": 1, "site": 2, "phones": 3}


def link_addr(i, end):
    """Address of end ("carrier", "site" or "phones") of link i (1-based)."""
    return "198.18.%d.%d" % (i, HOSTS[end])


class SiteNode:
    """One site's namespace, uplink and BIRD."""

    def __init__(self, topo, index, name):
        self.topo = topo
        self.index = index
        self.name = name
        self.ns = Netns("%s-%d-%s" % (PREFIX, os.getpid(), name))
        self.addr = link_addr(index, "site")
        self.phones = link_addr(index, "phones")
        self.gw = link_addr(index, "carrier")
        self.asn = CARRIER_AS + index
        self.carrier_if = "s-" + name   # the link's end in the carrier namespace
        self.uplink = "uplink"           # the link's end in the site namespace
        self.bird = None
        self.prepend = 0


class Topology:
    """The carrier and the sites. build() creates and starts everything and waits until
    the carrier routes the anycast address; close() removes it all (also at exit)."""

    def __init__(self, sites=SITES, prefer=None):
        reap_stale()
        h.reap_stale_tmpdirs()
        self.dir = tempfile.mkdtemp(prefix="acdtest-%d-chaos-topo-" % os.getpid())
        os.chmod(self.dir, 0o755)
        self.carrier = Netns("%s-%d-carrier" % (PREFIX, os.getpid()))
        self.sites = [SiteNode(self, i + 1, n) for i, n in enumerate(sites)]
        self.by_name = {s.name: s for s in self.sites}
        self.carrier_bird = None
        self._closed = False
        self.prefer(prefer or list(sites), reload=False)
        h.on_cleanup(self.close)

    def __getitem__(self, name):
        return self.by_name[name]

    # -- building ------------------------------------------------------------------------

    def build(self, timeout=20):
        _run(["ip", "netns", "add", self.carrier.name])
        self.carrier.ip("link", "set", "lo", "up")
        self.carrier.ip("addr", "add", CARRIER_ADDR + "/32", "dev", "lo")
        self.carrier.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for s in self.sites:
            self.add_site_net(s)
        self.carrier_bird = self._start_bird(self.carrier, "carrier", self._carrier_conf())
        for s in self.sites:
            s.bird = self._start_bird(s.ns, s.name, self._site_conf(s))
        ok = h.wait_for(lambda: all(self.bgp_up(s) for s in self.sites), timeout, interval=0.1)
        if not ok:
            raise RuntimeError("BGP sessions not established after %ss: %s" % (timeout, self.bgp_summary()))
        return self

    def add_site_net(self, s):
        """Creates site s's namespace and its link to the carrier, addresses and routes."""
        _run(["ip", "netns", "add", s.ns.name])
        s.ns.ip("link", "set", "lo", "up")
        # Both ends are born inside their namespaces: nothing ever sits in the root one.
        _run(["ip", "link", "add", s.carrier_if, "netns", self.carrier.name, "type", "veth",
              "peer", "name", s.uplink, "netns", s.ns.name])
        self.carrier.ip("addr", "add", "%s/%d" % (s.gw, LINK_PREFIX), "dev", s.carrier_if)
        self.carrier.ip("link", "set", s.carrier_if, "up")
        s.ns.ip("addr", "add", "%s/%d" % (s.addr, LINK_PREFIX), "dev", s.uplink)
        s.ns.ip("addr", "add", "%s/%d" % (s.phones, LINK_PREFIX), "dev", s.uplink)
        s.ns.ip("link", "set", s.uplink, "up")
        s.ns.ip("route", "add", "default", "via", s.gw)

    def _start_bird(self, ns, name, conf):
        path = os.path.join(self.dir, "bird-%s.conf" % name)
        with open(path, "w") as f:
            f.write(conf)
        sock = os.path.join(self.dir, "bird-%s.ctl" % name)
        log = open(os.path.join(self.dir, "bird-%s.log" % name), "ab")
        p = ns.spawn([BIRD, "-f", "-c", path, "-s", sock, "-P", os.path.join(self.dir, "bird-%s.pid" % name)],
                     stdout=log, stderr=subprocess.STDOUT)
        p.sock = sock
        p.conf = path
        return p

    def restart_bird(self, s):
        """Starts site s's BIRD again (after its namespace's processes were killed)."""
        if s.bird is not None and s.bird.poll() is None:
            h.stop_proc(s.bird, 2)
        s.bird = self._start_bird(s.ns, s.name, self._site_conf(s))

    def _bfd(self, pattern):
        return ("protocol bfd {\n  interface \"%s\" { interval %d ms; multiplier %d; };\n}\n"
                % (pattern, BFD_INTERVAL_MS, BFD_MULTIPLIER))

    def _carrier_conf(self):
        out = ["# carrier router: takes the anycast /32 from every site, installs the best one.",
               "router id %s;" % CARRIER_ADDR,
               "protocol device { scan time 2; }",
               "protocol kernel {\n  ipv4 { import none; export where source = RTS_BGP; };\n}",
               self._bfd("s-*")]
        for s in self.sites:
            out.append("protocol bgp site_%s {\n  local %s as %d;\n  neighbor %s as %d;\n"
                       "  hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 2;\n"
                       "  bfd on;\n  ipv4 { import where net = %s/32; export none; };\n}"
                       % (s.name, s.gw, CARRIER_AS, s.addr, s.asn, ANYCAST))
        return "\n".join(out) + "\n"

    def _site_conf(self, s):
        prepend = "".join(" bgp_path.prepend(%d);" % s.asn for _ in range(s.prepend))
        return "\n".join([
            "# site %s: announces the anycast /32 while it is on lo." % s.name,
            "router id %s;" % s.addr,
            "protocol device { scan time 2; }",
            "protocol direct anycast {\n  ipv4;\n  interface \"lo\";\n}",
            self._bfd(s.uplink),
            "filter anycast_out {\n  if net = %s/32 then {%s accept; }\n  reject;\n}" % (ANYCAST, prepend),
            "protocol bgp carrier {\n  local %s as %d;\n  neighbor %s as %d;\n"
            "  hold time 3; keepalive time 1; connect retry time 1; error wait time 1, 2;\n"
            "  bfd on;\n  ipv4 { import none; export filter anycast_out; };\n}" % (s.addr, s.asn, s.gw, CARRIER_AS),
        ]) + "\n"

    def prefer(self, order, reload=True):
        """Makes the carrier prefer sites in this order (AS-path prepends); with reload,
        tells the running BIRDs."""
        for s in self.sites:
            s.prepend = order.index(s.name) if s.name in order else len(order)
        self.order = list(order)
        if reload:
            for s in self.sites:
                if s.bird is not None and s.bird.poll() is None:
                    with open(s.bird.conf, "w") as f:
                        f.write(self._site_conf(s))
                    self.birdc(s.bird, "configure")

    # -- observing -------------------------------------------------------------------------

    def birdc(self, bird, *cmd):
        return _run([BIRDC, "-s", bird.sock] + list(cmd), check=False, timeout=5)

    def bgp_up(self, s):
        out = self.birdc(self.carrier_bird, "show", "protocols", "site_" + s.name)
        return "Established" in out

    def bgp_summary(self):
        return self.birdc(self.carrier_bird, "show", "protocols").strip() if self.carrier_bird else ""

    def route(self):
        """The site the carrier's kernel routes the anycast address to, or None."""
        out = self.carrier.ip("route", "show", ANYCAST + "/32", check=False)
        return self.site_of_route(out)

    def site_of_route(self, text):
        m = re.search(r"via (198\.18\.\d+\.2)", text)
        if not m:
            return None
        for s in self.sites:
            if s.addr == m.group(1):
                return s.name
        return None

    def wait_route(self, pred, timeout=10):
        """Polls until pred(route()) holds; returns the route's site (None on timeout)."""
        r = h.wait_for(lambda: (lambda x: (x or True) if pred(x) else None)(self.route()), timeout, interval=0.02)
        return None if r is True else r

    # -- the anycast address ---------------------------------------------------------------

    def has_anycast(self, s):
        return (ANYCAST + "/32") in s.ns.ip("addr", "show", "dev", "lo", check=False)

    def anycast_add(self, s):
        if s.ns.exists() and not self.has_anycast(s):
            s.ns.ip("addr", "add", ANYCAST + "/32", "dev", "lo", check=False)

    def anycast_del(self, s):
        if s.ns.exists() and self.has_anycast(s):
            s.ns.ip("addr", "del", ANYCAST + "/32", "dev", "lo", check=False)

    # -- end -------------------------------------------------------------------------------

    def close(self):
        if self._closed:
            return
        self._closed = True
        for s in self.sites:
            s.ns.delete()
        self.carrier.delete()
        if not h.KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)


class RouteWatch:
    """Follows the carrier's kernel route to the anycast address with `ip monitor route`
    (event-driven, timestamped on arrival) from start until stop()."""

    def __init__(self, topo):
        self.topo = topo
        self.events = []  # (wall-clock time, site or None)
        self._cv = threading.Condition()
        self.initial = topo.route()
        self.proc = h.spawn(["ip", "-n", topo.carrier.name, "monitor", "route"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            if ANYCAST not in line:
                continue
            now = time.time()
            site = None if line.startswith("Deleted") else self.topo.site_of_route(line)
            with self._cv:
                self.events.append((now, site))
                self._cv.notify_all()

    def wait_move(self, away_from, since, timeout=10):
        """Waits for the first event after `since` naming a site other than away_from;
        returns (time, site) or None."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for t, site in self.events:
                    if t >= since and site not in (None, away_from):
                        return t, site
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cv.wait(left)

    def site_at(self, t):
        """The site the carrier routed the anycast address to at wall-clock time t."""
        site = self.initial
        with self._cv:
            for et, es in self.events:
                if et > t:
                    break
                site = es
        return site

    def stop(self):
        h.stop_proc(self.proc, 1)


def _convergence(topo, watch, what, fault, heal=None):
    """Applies fault to the site the carrier routes to and measures how long the route
    takes to move; then heal (if any) and waits for the route to come back."""
    before = topo.route()
    t0 = time.time()
    fault(topo[before])
    moved = watch.wait_move(before, t0, timeout=10)
    if moved is None:
        h.log("%s at %s: the route did not move in 10 s (now %s)" % (what, before, topo.route()))
        return None
    ms = (moved[0] - t0) * 1000
    h.log("%s at %s: the carrier routes %s to %s after %.0f ms" % (what, before, ANYCAST, moved[1], ms))
    if heal:
        t1 = time.time()
        heal(topo[before])
        back = watch.wait_move(moved[1], t1, timeout=15)
        h.log("  healed: back at %s after %.0f ms" % (back and back[1], ((back[0] - t1) * 1000) if back else -1))
    return what, before, moved[1], ms


def _drop_uplink(s, op):
    for chain, flag in (("INPUT", "-i"), ("OUTPUT", "-o")):
        s.ns.iptables(op, chain, flag, s.uplink, "-j", "DROP")


def main():
    """Self-check: builds the topology, moves the route four ways and prints the times."""
    import socket
    topo = Topology().build()
    for s in topo.sites:
        topo.anycast_add(s)
    first = topo.wait_route(lambda r: r is not None, 10)
    h.log("BGP up; the carrier routes %s to site %s" % (ANYCAST, first))
    a, b = topo.sites[0], topo.sites[1]
    with a.ns.entered():
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind((a.addr, 0))
        srv.settimeout(2)
    with b.ns.entered():
        cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.sendto(b"ping", (a.addr, srv.getsockname()[1]))
    data, src = srv.recvfrom(100)
    h.log("site %s reached site %s through the carrier: %r from %s" % (b.name, a.name, data, src[0]))
    srv.close()
    cli.close()

    watch = RouteWatch(topo)
    results = [
        _convergence(topo, watch, "anycast address removed from lo", topo.anycast_del, topo.anycast_add),
        _convergence(topo, watch, "uplink down", lambda s: s.ns.ip("link", "set", s.uplink, "down"),
                     lambda s: s.ns.ip("link", "set", s.uplink, "up")),
        _convergence(topo, watch, "iptables DROP on the uplink (BFD)", lambda s: _drop_uplink(s, "-I"),
                     lambda s: _drop_uplink(s, "-D")),
        _convergence(topo, watch, "namespace removed", lambda s: s.ns.delete()),
    ]
    watch.stop()
    for r in results:
        if r:
            print("route convergence: %-36s %s -> %s  %4.0f ms" % r)
    topo.close()
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
