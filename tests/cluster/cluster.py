"""cluster.py - real etcd members and several real acdd sites for the cluster tests.

Builds on tests/sip/harness.py (process groups, temp dirs and cleanup on every way out,
SIPp peers, CDR checks). An Etcd is 1..3 etcd members on 127.0.0.1 with free ports; a
Cluster is an Etcd plus N acdd sites whose `cluster:` sections name each other, all on
127.0.0.1 with their own SIP, admin and nng ports.

Everything observable goes through the product's own surfaces: `acdctl status --json`
(the `cluster` object), CDR files, acdd's log and SIPp's statistics. etcd is read through
its v3 JSON gateway with urllib.
"""

import base64
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
LOOPBACK = h.LOOPBACK


def _b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class Etcd:
    """n etcd members on loopback, started together as one new cluster."""

    def __init__(self, n=3, name="etcd"):
        self.dir = tempfile.mkdtemp(prefix="acdtest-%d-%s-" % (os.getpid(), name))
        if not h.KEEP:
            h.on_cleanup(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.members = []
        for i in range(n):
            self.members.append({"name": "m%d" % i, "client": h.free_port(("tcp",)),
                                 "peer": h.free_port(("tcp",)), "proc": None})
        self.token = "acdtest-%d-%d" % (os.getpid(), int(time.time() * 1000))

    def url(self, i):
        return "http://%s:%d" % (LOOPBACK, self.members[i]["client"])

    def urls(self):
        return [self.url(i) for i in range(len(self.members))]

    def _initial(self):
        return ",".join("%s=http://%s:%d" % (m["name"], LOOPBACK, m["peer"]) for m in self.members)

    def start_member(self, i, state="new"):
        m = self.members[i]
        data = os.path.join(self.dir, m["name"])
        purl = "http://%s:%d" % (LOOPBACK, m["peer"])
        argv = [ETCD, "--name", m["name"], "--data-dir", data,
                "--listen-client-urls", self.url(i), "--advertise-client-urls", self.url(i),
                "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
                "--initial-cluster", self._initial(), "--initial-cluster-state", state,
                "--initial-cluster-token", self.token, "--logger", "zap", "--log-level", "warn",
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--pre-vote"]
        m["log"] = open(os.path.join(self.dir, m["name"] + ".log"), "ab")
        m["proc"] = h.spawn(argv, stdout=m["log"], stderr=subprocess.STDOUT)

    def start(self, timeout=30):
        for i in range(len(self.members)):
            self.start_member(i)
        h.wait_for(lambda: all(self.healthy(i) for i in range(len(self.members))), timeout,
                   what="etcd members healthy")
        for i in range(len(self.members)):
            if not self.healthy(i):
                raise RuntimeError("etcd member %d not healthy (logs in %s)" % (i, self.dir))
        return self

    def call(self, i, path, body, timeout=2.0):
        """POSTs a JSON body to member i's gateway; returns the decoded reply or None."""
        req = urllib.request.Request(self.url(i) + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def alive_member(self):
        for i, m in enumerate(self.members):
            if m["proc"] is not None and m["proc"].poll() is None:
                return i
        return None

    def healthy(self, i):
        return self.call(i, "/v3/maintenance/status", {}, timeout=1.0) is not None

    def leader_member(self):
        """The index of the member that is etcd's raft leader, or None."""
        for i, m in enumerate(self.members):
            if m["proc"] is None or m["proc"].poll() is not None:
                continue
            st = self.call(i, "/v3/maintenance/status", {}, timeout=1.0)
            if st and st.get("leader") and st.get("header", {}).get("member_id") == st.get("leader"):
                return i
        return None

    def kill_member(self, i, sig=signal.SIGKILL):
        p = self.members[i]["proc"]
        if p is not None and p.poll() is None:
            h.kill_group(p, sig)
            if sig == signal.SIGKILL:
                p.wait(5)

    def get(self, key, prefix=False, via=None):
        """{key: value} under key (or exactly key) from member via (default: any live one)."""
        i = self.alive_member() if via is None else via
        body = {"key": _b64(key)}
        if prefix:
            body["range_end"] = _b64(key[:-1] + chr(ord(key[-1]) + 1))
        r = self.call(i, "/v3/kv/range", body) if i is not None else None
        out = {}
        for kv in (r or {}).get("kvs", []):
            out[base64.b64decode(kv["key"]).decode()] = base64.b64decode(kv.get("value", "")).decode("utf-8", "replace")
        return out

    def put(self, key, value):
        i = self.alive_member()
        return self.call(i, "/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def delete(self, key, via=None):
        i = self.alive_member() if via is None else via
        return self.call(i, "/v3/kv/deleterange", {"key": _b64(key)})

    def diagnostics(self):
        out = ["=== etcd (dir %s)" % self.dir]
        for m in self.members:
            out += h._tail(os.path.join(self.dir, m["name"] + ".log"), 20, "    %s: " % m["name"])
        return "\n".join(out)

    def close(self):
        for m in self.members:
            if m["proc"] is not None:
                h.stop_proc(m["proc"], 3)


class ClusterSite(h.Site):
    """A Site whose config has a `cluster:` section; its nng ports are chosen up front."""

    def __init__(self, name, etcd_urls, lease_ttl=3, certs=None, **kw):
        super().__init__(name, **kw)
        self.events_port = h.free_port(("tcp",))
        self.requests_port = h.free_port(("tcp",))
        scheme = "tls+tcp" if certs else "tcp"
        self.events_url = "%s://%s:%d" % (scheme, LOOPBACK, self.events_port)
        self.requests_url = "%s://%s:%d" % (scheme, LOOPBACK, self.requests_port)
        self.config["cluster"] = {"etcd": list(etcd_urls), "lease_ttl": lease_ttl,
                                  "events": self.events_url, "requests": self.requests_url,
                                  "peers": []}
        if certs:  # mutual TLS with deploy/make-certs' CA and this site's certificate
            self.config["cluster"].update({"tls_ca": os.path.join(certs, "ca.crt"),
                                           "tls_cert": os.path.join(certs, name + ".crt"),
                                           "tls_key": os.path.join(certs, name + ".key")})

    def set_peers(self, sites, sisters=()):
        self.config["cluster"]["peers"] = [
            {"name": s.name, "events": s.events_url, "requests": s.requests_url}
            for s in sites if s is not self]
        if sisters:
            self.config["cluster"]["sisters"] = list(sisters)

    def start(self, ready_timeout=20):
        super().start(ready_timeout)

    def restart(self, ready_timeout=20):
        """Starts acdd again on the same config, ports and CDR file (after a kill)."""
        if self.alive():
            raise RuntimeError("site %s still running" % self.name)
        self.proc = None
        self.start(ready_timeout)

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            h.kill_group(self.proc, sig)
            self.proc.wait(5)

    def cluster_status(self):
        st = self.status(quiet=True)
        return (st or {}).get("cluster")


class Cluster:
    """An Etcd and n ClusterSites named a, b, c... that peer with each other."""

    def __init__(self, chk, n_sites=3, n_etcd=3, agents=(), lease_ttl=3, tenants=None,
                 queues=None, names=None, pin_etcd=False, tls=False, **site_kw):
        self.chk = chk
        self.etcd = Etcd(n_etcd)
        chk.sites.append(self)  # diagnostics and close through harness.run
        names = names or [chr(ord("a") + i) for i in range(n_sites)]
        certs = None
        if tls:
            certs = os.path.join(self.etcd.dir, "certs")
            subprocess.run([os.path.join(h.SOURCE_DIR, "deploy", "make-certs"), certs] + names,
                           check=True, timeout=60, stdout=subprocess.DEVNULL)
            os.chmod(certs, 0o755)
        self.sites = []
        for i, n in enumerate(names):
            # Each site lists the members starting from a different one, so killing any
            # member makes some site's etcd client fail over.
            urls = self.etcd.urls()
            urls = urls[i % len(urls):] + urls[:i % len(urls)]
            if pin_etcd:  # site i talks to member i only (a partition can cut one site off)
                urls = urls[:1]
            s = ClusterSite(n, urls, lease_ttl=lease_ttl, certs=certs, agents=agents,
                            tenants=tenants, queues=queues, **site_kw)
            self.sites.append(s)
        for i, s in enumerate(self.sites):
            others = [o.name for o in self.sites if o is not s]
            s.set_peers(self.sites, sisters=others)
        self.by_name = {s.name: s for s in self.sites}
        self.name = "cluster"

    def __getitem__(self, name):
        return self.by_name[name]

    def start(self):
        self.etcd.start()
        for s in self.sites:
            s.start()
        return self

    def wait_formed(self, timeout=20):
        """Waits until every site holds its lease, knows one common leader, and sees every
        peer live and synced. Returns the leader's name or raises."""
        def formed():
            leaders = set()
            for s in self.sites:
                if not s.alive():
                    continue
                c = s.cluster_status()
                if not c or (c.get("lease") or {}).get("state") != "held" or c.get("island"):
                    return None
                ld = c.get("leader") or {}
                if not ld.get("site"):
                    return None
                leaders.add(ld["site"])
                for p in c.get("peers", []):
                    if self.by_name[p["site"]].alive() and not (p.get("live") and p.get("state") == "synced"):
                        return None
            return leaders.pop() if len(leaders) == 1 else None
        leader = h.wait_for(formed, timeout, interval=0.2, what="cluster formed")
        if not leader:
            raise RuntimeError("cluster did not form in %ss: %s" % (
                timeout, json.dumps({s.name: s.cluster_status() for s in self.sites})))
        return leader

    def leader(self):
        """The site every live site names as leader (None while they disagree)."""
        names = set()
        for s in self.sites:
            if s.alive():
                c = s.cluster_status() or {}
                names.add((c.get("leader") or {}).get("site"))
        return names.pop() if len(names) == 1 else None

    def cdrs(self):
        """Every site's CDRs, each tagged with the file it came from (_file)."""
        out = []
        for s in self.sites:
            for c in s.cdrs():
                c["_file"] = s.name
                out.append(c)
        return out

    def wait_cdrs(self, n, timeout=20):
        h.wait_for(lambda: len(self.cdrs()) >= n, timeout, what="%d CDRs" % n)
        return self.cdrs()

    def check_invariants(self, chk, cdrs, calls):
        """Invariants 1, 2 and 4 of the architecture from the CDRs of every site: one CDR
        per call, written by the site that took it, no agent on two calls at once."""
        h.check_unique_call_ids(chk, cdrs)
        chk.eq(len(cdrs), calls, "exactly one CDR per customer call across all sites")
        for c in cdrs:
            h.check_cdr_shape(chk, c, c["_file"])
        h.check_no_agent_overlap(chk, cdrs)

    def diagnostics(self):
        out = [self.etcd.diagnostics()]
        for s in self.sites:
            out.append(s.diagnostics())
        return "\n".join(out)

    def close(self):
        for s in self.sites:
            try:
                s.close()
            except Exception:
                pass
        self.etcd.close()

    def log_text(self):
        return "\n".join(s.log_text() for s in self.sites)


def reap_stale_blocks():
    """Deletes DROP rules left by an earlier test process that was killed before its
    cleanup ran (their comment names its pid, which is gone)."""
    r = subprocess.run(["iptables", "-S", "INPUT"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=10)
    for line in r.stdout.decode().splitlines():
        if "acdtest-" not in line or not line.startswith("-A "):
            continue
        tag = line.split("acdtest-", 1)[1].split()[0].strip('"')
        pid = tag.split("-")[0]
        if pid.isdigit() and not h._pid_alive(int(pid)):
            subprocess.run(["iptables", "-D"] + shlex.split(line)[1:], timeout=10, stderr=subprocess.DEVNULL)


class PortBlock:
    """iptables rules that drop every TCP segment to or from a loopback port, in both
    directions (so established connections hang, as in a partition). Removed by unblock()
    and, whatever happens, at exit."""

    def __init__(self, port):
        self.tag = "acdtest-%d-%d" % (os.getpid(), port)
        self.rules = [["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port)],
                      ["INPUT", "-i", "lo", "-p", "tcp", "--sport", str(port)]]
        self.active = False
        reap_stale_blocks()
        h.on_cleanup(self.unblock)
        for r in self.rules:
            subprocess.run(["iptables", "-I"] + r + ["-m", "comment", "--comment", self.tag, "-j", "DROP"],
                           check=True, timeout=10)
        self.active = True

    def unblock(self):
        if not self.active:
            return
        self.active = False
        for r in self.rules:
            subprocess.run(["iptables", "-D"] + r + ["-m", "comment", "--comment", self.tag, "-j", "DROP"],
                           timeout=10, stderr=subprocess.DEVNULL)


def agent_state(site, agent_id):
    """The agent's state as site's own status shows it (None when unknown)."""
    return (h.agent_status(site.status(quiet=True) or {}, agent_id) or {}).get("state")


def calls_at(site):
    """{caller number: state} of the calls site holds itself."""
    return {str(x.get("caller")): x.get("state") for x in (site.status(quiet=True) or {}).get("calls", [])}


def own_counts(site):
    """(calls, registrations) as the site reports about itself."""
    st = site.status(quiet=True) or {}
    return (len(st.get("calls") or []), (st.get("site") or {}).get("registrations"))


def peer_view(viewer, name):
    for p in (viewer.cluster_status() or {}).get("peers", []):
        if p["site"] == name:
            return p
    return {}


def views_agree(c):
    """Every live site's replica of every other live site matches that site's own counts."""
    live = [s for s in c.sites if s.alive()]
    for s in live:
        mine = own_counts(s)
        for v in live:
            if v is s:
                continue
            p = peer_view(v, s.name)
            if p.get("state") != "synced" or (p.get("calls"), p.get("registrations")) != mine:
                return False
    return True
