#!/usr/bin/env python3
"""test_config_push.py - the shared config in etcd, end to end: one etcd member, two acdd
sites, and acdctl as an operator runs it.

- An invalid file is refused by `acdctl config push` with the file:line errors that
  `acdd --check-config` gives for the same entries, exit 1, and nothing changes in etcd or
  in either site.
- A valid file (a new tenant with a new DID, a new queue, a new agent) is written to
  `<prefix>/config` and applied live by both sites (same processes): both list the new
  queue and agent, and a call to the new DID entering site b is answered by the new
  agent, whose phone registered at site a.
- `acdctl config show` prints what was pushed and its mod revision; `--etcd`/`--prefix`
  reach another prefix without touching the sites'; usage errors exit 2.
- `acdctl status` prints the cluster line, the PEERS table and (on the leader) the offers.
- An etcd endpoint that accepts but never answers, and etcd down: exit 3, bounded, with a
  message naming the endpoint; nothing is written.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

KEY = "/acdd/config"

# Mistakes on known lines; the last line is a site-only key (not an entry error).
BAD = """\
# a shared config with mistakes on known lines
tenants:
  - name: acme
    dids: ["1000"]
    queue: main
  - name: beta
    dids: ["1000"]
    queue: sales
queues:
  - name: main
    tenant: acme
  - name: sales
    tenant: beta
    ring_timeout: 0.01
agents:
  - id: "2001"
    queues: [main]
  - id: "2002"
    queues: [support]
"""
BAD_SITE_ONLY = "drain_timeout: 3\n"

BAD_WANT = [
    (7, "DID '1000' of tenant 'beta' is already used by tenant 'acme' (line 4)"),
    (14, "'ring_timeout' must be between 0.1 and 300 seconds (got 0.01)"),
    (19, "agent '2002' is in unknown queue 'support'"),
    (20, "unknown top-level key 'drain_timeout': a shared config holds only trunks, tenants, "
         "queues and agents"),
]

GOOD = """\
# cluster directory: acme as before, and a new tenant beta with its own number
tenants:
  - {name: acme, dids: ["1000"], queue: main}
  - {name: beta, dids: ["2000"], queue: sales}
queues:
  - {name: main, tenant: acme, ring_timeout: 15, wrapup: 1}
  - {name: sales, tenant: beta, ring_timeout: 15, wrapup: 1}
agents:
  - {id: "2001", queues: [main]}
  - {id: "2002", queues: [sales]}
"""


def acdctl(*args, timeout=30):
    """Runs acdctl; returns (exit code, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    r = subprocess.run([h.ACDCTL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return (r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"),
            time.monotonic() - t0)


def write(site, name, text):
    path = os.path.join(site.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def errors_of(text, path):
    """{(line, message)} of the "path:line: message" lines in text."""
    out = set()
    for l in text.splitlines():
        m = re.match(r"^%s:(\d+): (.*)$" % re.escape(path), l)
        if m:
            out.add((int(m.group(1)), m.group(2)))
    return out


def directory(st):
    """(queue names, agent ids) of a status document, both sorted."""
    st = st or {}
    return (sorted(q.get("name") for q in st.get("queues", [])),
            sorted(str(a.get("id")) for a in st.get("agents", [])))


def stored(c, key=KEY):
    """The kv of key as etcd's gateway gives it (value decoded), or None."""
    i = c.etcd.alive_member()
    r = c.etcd.call(i, "/v3/kv/range", {"key": cl._b64(key)}) if i is not None else None
    kvs = (r or {}).get("kvs") or []
    if not kvs:
        return None
    kv = dict(kvs[0])
    kv["value"] = cl.base64.b64decode(kv.get("value", "")).decode("utf-8", "replace")
    return kv


def check_invalid_refused(chk, c):
    a, b = c["a"], c["b"]
    before = {s.name: directory(s.status()) for s in c.sites}
    path = write(a, "bad.yaml", BAD + BAD_SITE_ONLY)
    rc, out, err, _ = acdctl("--config", a.config_path, "config", "push", path)
    chk.eq(rc, 1, "invalid file: acdctl config push exits 1")
    got = errors_of(err, path)
    chk.eq(sorted(got), sorted(BAD_WANT), "invalid file: the file:line errors")
    chk.check("nothing written" in err, "invalid file: says nothing was written", err)
    chk.eq(out, "", "invalid file: nothing on stdout")

    # The same entries in a site file give the same errors from acdd --check-config (the
    # site's own section goes last so that the lines stay where they are).
    site_path = write(a, "bad-site.yaml", BAD + "site: {name: x, address: 127.0.0.1}\n")
    r = subprocess.run([h.ACDD, "--check-config", site_path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    chk.eq(r.returncode, 1, "acdd --check-config refuses the same entries")
    chk.eq(sorted(errors_of(r.stdout.decode(), site_path)), sorted(BAD_WANT[:3]),
           "acdctl config push gives acdd --check-config's errors, line for line")

    # --dry-run checks the same way without etcd.
    rc, _, err2, _ = acdctl("config", "push", "--dry-run", path)
    chk.eq(rc, 1, "invalid file, --dry-run: exit 1")
    chk.eq(errors_of(err2, path), got, "invalid file, --dry-run: the same errors")

    # An unreadable file is invalid too.
    missing = os.path.join(a.dir, "missing.yaml")
    rc, _, err3, _ = acdctl("--config", a.config_path, "config", "push", missing)
    chk.eq(rc, 1, "missing file: exit 1")
    chk.check("%s: cannot open: No such file or directory" % missing in err3,
              "missing file: says so", err3)

    chk.eq(stored(c), None, "invalid file: nothing stored at %s" % KEY)
    for s in c.sites:
        chk.eq(directory(s.status()), before[s.name], "invalid file: site %s unchanged" % s.name)
        chk.check("id=ACD-MEMBER-CONFIG " not in s.log_text(),
                  "invalid file: site %s saw no shared config" % s.name)
    return before


def check_usage(chk, c):
    a = c["a"]
    rc, _, err, _ = acdctl("config", "push")
    chk.eq(rc, 2, "config push without FILE: exit 2")
    rc, _, err, _ = acdctl("config", "show")
    chk.eq(rc, 2, "config show without etcd: exit 2")
    chk.check("--etcd" in err, "config show without etcd: says how to name it", err)
    rc, _, err, _ = acdctl("--etcd", "ftp://x", "config", "show")
    chk.eq(rc, 2, "config show --etcd ftp://x: exit 2")
    rc, _, err, _ = acdctl("config", "frobnicate")
    chk.eq(rc, 2, "unknown config subcommand: exit 2")
    rc, _, _, _ = acdctl("--config", a.config_path, "config", "show")
    chk.eq(rc, 1, "config show before any push: exit 1 (nothing stored)")


def check_valid_applied(chk, c):
    a, b = c["a"], c["b"]
    pids = {s.name: s.proc.pid for s in c.sites}
    path = write(a, "good.yaml", GOOD)
    rc, out, err, _ = acdctl("--config", a.config_path, "config", "push", path)
    chk.eq(rc, 0, "valid file: acdctl config push exits 0")
    chk.check(out.startswith("%s: OK (2 tenants, 2 queues, 2 agents" % path), "valid file: OK line", out)
    m = re.search(r"written to %s at revision (\d+)" % re.escape(KEY), out)
    chk.check(m is not None, "valid file: says where and at which revision", out + err)
    kv = stored(c)
    chk.check(kv is not None and kv["value"] == GOOD, "valid file: etcd holds the file's bytes",
              repr(kv))
    if m and kv:
        chk.eq(int(kv.get("mod_revision", 0)), int(m.group(1)), "valid file: the revision printed is etcd's")

    want = (["main", "sales"], ["2001", "2002"])
    applied = True
    for s in c.sites:
        st = h.wait_for(lambda: (lambda st: st if directory(st) == want else None)(s.status(quiet=True)), 15)
        applied &= chk.check(st is not None, "site %s applied the shared config live" % s.name,
                  "%r; log: %s" % (directory(s.status(quiet=True)),
                                   [l for l in s.log_text().splitlines() if "SHARED" in l or "MEMBER-CONFIG" in l][-3:]))
        if st:
            q = [q for q in st["queues"] if q.get("name") == "sales"]
            chk.check(q and q[0].get("tenant") == "beta", "site %s: queue sales belongs to beta" % s.name, repr(q))
        chk.check(s.alive() and s.proc.pid == pids[s.name], "site %s: same process (no restart)" % s.name)
    if not applied:
        h.log("the shared config was not applied: skipping the call to the new number")
        return kv, False

    # The new number works across the cluster: the call enters b, the agent's phone is at a.
    phones = a.agent_phones(calls=1, ring_ms=300)
    a.register(["2002"], phones.port, chk=chk)
    ok = h.wait_for(lambda: any(p.get("site") == "a" and p.get("registrations", 0) >= 1
                                for p in (b.cluster_status() or {}).get("peers", [])), 10)
    chk.check(ok, "site b has a's registration of 2002 replicated", repr(b.cluster_status()))
    callers = b.callers(calls=1, talk_ms=1500, did="2000")
    callers.wait(40)
    phones.wait(15)
    callers.check_ok(chk, 1)
    phones.check_ok(chk, 1)
    cdrs = c.wait_cdrs(1, 10)
    c.check_invariants(chk, cdrs, 1)
    for r in cdrs:
        chk.eq(r["_file"], "b", "the CDR is written by b, which took the call")
        chk.eq((r.get("tenant"), r.get("did"), r.get("queue")), ("beta", "2000", "sales"),
               "the call went to the new tenant's queue")
        chk.eq((r.get("agent"), r.get("agent_site")), ("2002", "a"), "the new agent, at site a, answered")
        chk.eq(r.get("disposition"), "answered", "CDR disposition")
    return kv, True


def check_reload_keeps_shared(chk, c):
    """SIGHUP re-reads the site's own file and merges the shared lists into it again."""
    a = c["a"]
    want = (["main", "sales"], ["2001", "2002"])
    a.config["drain_timeout"] = 7  # a change in the file's own part, so the reload has work
    a.write_config()
    a.proc.send_signal(signal.SIGHUP)
    ok = h.wait_for(lambda: a.log_text().count("id=ACD-SITE-RELOADED") >= 2, 10)
    chk.check(ok, "site a reloaded its file on SIGHUP")
    chk.eq(directory(a.status()), want, "after SIGHUP site a still runs the shared queues and agents")


def check_show(chk, c, kv):
    a = c["a"]
    rc, out, err, _ = acdctl("--config", a.config_path, "config", "show")
    chk.eq(rc, 0, "config show: exit 0")
    rev = kv.get("mod_revision") if kv else "?"
    chk.eq(out, "# %s mod_revision %s\n%s" % (KEY, rev, GOOD), "config show: revision line, then the file")
    # What show prints can be pushed again as it is.
    again = write(a, "shown.yaml", out)
    rc, _, err, _ = acdctl("config", "push", "-n", again)
    chk.eq(rc, 0, "config show's output is a valid shared config (%s)" % err.strip())

    # --etcd and --prefix: another prefix, the sites' key untouched.
    other = write(a, "other.yaml", "trunks: [{name: carrier, networks: [192.0.2.0/24]}]\n")
    rc, out, err, _ = acdctl("--etcd", "http://127.0.0.1:1," + c.etcd.url(0), "--prefix", "/elsewhere",
                             "config", "push", other)
    chk.eq(rc, 0, "push with --etcd (first endpoint dead) and --prefix: exit 0 (%s)" % err.strip())
    chk.check("each site keeps its own tenants, queues and agents" in out, "trunks-only summary", out)
    rc, out, _, _ = acdctl("--etcd", c.etcd.url(0), "--prefix", "/elsewhere", "config", "show")
    chk.check(rc == 0 and out.endswith("192.0.2.0/24]}]\n") and out.startswith("# /elsewhere/config "),
              "show --prefix /elsewhere", out)
    kv2 = stored(c)
    chk.eq(kv2 and kv2.get("mod_revision"), rev, "%s untouched by the other prefix" % KEY)


def check_status_table(chk, c, leader, called):
    for s in c.sites:
        rc, out, err, _ = acdctl("--admin", "%s:%d" % (h.LOOPBACK, s.admin_port), "status")
        chk.eq(rc, 0, "site %s: acdctl status exits 0" % s.name)
        lines = out.splitlines()
        cl_line = [l for l in lines if l.startswith("cluster site ")]
        chk.check(cl_line and ("cluster site %s " % s.name) in cl_line[0] and "lease held (ttl 3s)" in cl_line[0]
                  and "island no" in cl_line[0] and (" leader %s" % leader) in cl_line[0],
                  "site %s: the cluster line" % s.name, out)
        chk.check("PEERS" in lines, "site %s: a PEERS table" % s.name, out)
        other = "b" if s.name == "a" else "a"
        rows = [l.split() for l in lines if l.split()[:1] == [other]]
        chk.check(rows and rows[0][1:4] == ["yes", "yes", "synced"] and rows[0][4].endswith("ms"),
                  "site %s: peer %s live, connected, synced, with a lag" % (s.name, other), out)
        chk.check(("OFFERS (this site leads)" in lines) == (s.name == leader),
                  "site %s: offers shown only while leading" % s.name, out)
        if s.name == leader and called and "OFFERS (this site leads)" in lines:
            i = lines.index("OFFERS (this site leads)")
            m = re.match(r"made (\d+)  accepted (\d+)", lines[i + 1] if i + 1 < len(lines) else "")
            chk.check(m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1,
                      "leader %s: the cross-site offer counted" % s.name, out)
        for t in ("QUEUES", "AGENTS", "CALLS"):
            chk.check(t in lines, "site %s: the %s table as before" % (s.name, t))


def check_etcd_unreachable(chk, c):
    a = c["a"]
    path = os.path.join(a.dir, "good.yaml")
    # An endpoint that accepts connections and never answers: bounded by the timeouts.
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind((h.LOOPBACK, 0))
    silent.listen(16)
    url = "http://%s:%d" % (h.LOOPBACK, silent.getsockname()[1])
    try:
        rc, out, err, secs = acdctl("--etcd", url, "config", "push", path, timeout=60)
    finally:
        silent.close()
    chk.eq(rc, 3, "silent etcd: exit 3")
    chk.check(url in err and "did not answer in time" in err, "silent etcd: says which and why", err)
    chk.check(secs < 15, "silent etcd: gives up within 15 s", "%.1f s" % secs)

    before = stored(c)
    c.etcd.kill_member(0)
    rc, out, err, secs = acdctl("--config", a.config_path, "config", "push", path, timeout=60)
    chk.eq(rc, 3, "etcd down: config push exits 3")
    chk.check("cannot reach etcd at %s" % c.etcd.url(0) in err and "nothing written" in err,
              "etcd down: a clear message", err)
    chk.check(secs < 15, "etcd down: bounded", "%.1f s" % secs)
    rc, out, err, _ = acdctl("--config", a.config_path, "config", "show", timeout=60)
    chk.eq(rc, 3, "etcd down: config show exits 3")
    chk.check("cannot reach etcd" in err, "etcd down: config show says so", err)
    # An invalid file is still refused as invalid (1), before any etcd is needed.
    rc, _, _, _ = acdctl("--config", a.config_path, "config", "push", os.path.join(a.dir, "bad.yaml"))
    chk.eq(rc, 1, "etcd down: an invalid file is still exit 1")
    chk.check(before is not None, "the pushed config was stored before etcd went down")
    for s in c.sites:
        chk.check(s.alive(), "site %s keeps running without etcd" % s.name)


def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("2001")]).start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s" % leader)
    check_usage(chk, c)
    check_invalid_refused(chk, c)
    kv, called = check_valid_applied(chk, c)
    if called:
        check_reload_keeps_shared(chk, c)
    check_show(chk, c, kv)
    check_status_table(chk, c, leader, called)
    check_etcd_unreachable(chk, c)


if __name__ == "__main__":
    h.run(test)
