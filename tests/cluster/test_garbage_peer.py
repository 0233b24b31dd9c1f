#!/usr/bin/env python3
"""test_garbage_peer.py - a peer sending garbage and truncated protobuf frames is survived.

One etcd member, two acdd sites a and b, and a fake site z (tests/cluster/fake_peer) that
both sites list among their peers. From the moment both sites subscribe, z floods its log
with random bytes, truncated and bit-flipped envelopes, envelopes that break the contract
(spoofed origins, empty or overlong ids, zero header fields, bad snapshots ...), absurd
headers, oversized frames and some valid heartbeats, and answers snapshot requests mostly
with garbage. While it floods, SIPp calls enter a and are answered by the agent whose
phone registered at b.

Checks: the cluster forms and every call is answered, with exactly one CDR each; both
acdd stay alive and exit 0 on SIGTERM; each site counts decode errors for z (at least one,
at most the frames and replies z sent that the link must refuse), holds no entity from z
beyond what z's acceptable frames carried, keeps its real peer live and synced without
gaps, and names z in every bad-frame log line. Last, z restarts and sends only valid
heartbeats stamped INT64_MIN ms: a site must report that lag without overflowing (no
negative lag, no UBSan abort in an ACD_SANITIZE=ON build).

ACD_FAKE_PEER_SEED=N replays one flood (the seed is printed either way).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

FAKE_PEER = os.path.join(h.BUILD_DIR, "tests", "cluster", "fake_peer")
CALLS = 4
TALK_MS = 1500
RATE = 150  # frames per second from z


class FakePeer:
    """fake_peer as a process of the test: its report is the JSON line on its stdout."""

    name = "z"

    def __init__(self, workdir, argv, tag="flood"):
        self.out_path = os.path.join(workdir, "fake_peer-%s.out" % tag)
        self.err_path = os.path.join(workdir, "fake_peer-%s.err" % tag)
        self.argv = argv
        self.tag = tag
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = h.spawn(argv, stdout=self.out, stderr=self.err)
        self.rc = None

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10, wait=0):
        """Waits up to wait seconds for fake_peer to end by itself, then SIGTERM (it prints
        its report and exits 0); returns the exit code."""
        if self.rc is None:
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                h.stop_proc(self.proc, 1)
                self.rc = None
            self.out.close()
            self.err.close()
        return self.rc

    def report(self):
        try:
            with open(self.out_path, encoding="utf-8") as f:
                lines = [l for l in f.read().splitlines() if l.strip()]
            return json.loads(lines[-1]) if lines else None
        except (OSError, ValueError):
            return None

    def close(self):
        self.stop(5)

    def log_text(self):
        return ""

    def diagnostics(self):
        out = ["=== fake_peer %s (rc=%s): %s" % (self.tag, self.rc, " ".join(self.argv))]
        out += h._tail(self.err_path, 20, "    stderr: ")
        out += h._tail(self.out_path, 5, "    report: ")
        return "\n".join(out)


def peer_row(status, name):
    for p in (status or {}).get("peers", []):
        if p.get("site") == name:
            return p
    return None


def formed(c):
    """The common leader once both real sites hold leases and see each other synced (z,
    which never joins etcd, is left out), else None."""
    leaders = set()
    for s in c.sites:
        st = s.cluster_status()
        if not st or (st.get("lease") or {}).get("state") != "held" or st.get("island"):
            return None
        ld = (st.get("leader") or {}).get("site")
        if not ld:
            return None
        leaders.add(ld)
        for o in c.sites:
            p = (peer_row(st, o.name) or {}) if o is not s else None
            if p is not None and not (p.get("live") and p.get("state") == "synced"):
                return None
    return leaders.pop() if len(leaders) == 1 else None


def check_real_peers(chk, c, when):
    """Every site sees the other real site live, connected and synced, with no bad frames."""
    for s in c.sites:
        st = s.cluster_status()
        for o in c.sites:
            if o is s:
                continue
            p = peer_row(st, o.name) or {}
            chk.check(p.get("live") and p.get("connected") and p.get("state") == "synced",
                      "%s: site %s sees %s live, connected and synced" % (when, s.name, o.name),
                      json.dumps(p))
            chk.eq(p.get("decode_errors"), 0, "%s: site %s has no decode errors from %s" % (
                when, s.name, o.name))


def wild_clock(chk, c, seed):
    """z restarts (at the largest incarnation, so no flood-made incarnation shadows it) and
    sends nothing but valid heartbeats stamped sent_ms = INT64_MIN, a clock gone wild. Each
    was sent before now by its own clock, so the lag a site reports for z is never negative,
    and reporting it must not overflow (acdd built with ACD_SANITIZE=ON aborts on that)."""
    z = c.sites[0].config["cluster"]["peers"][-1]
    fp = FakePeer(c.etcd.dir, [
        FAKE_PEER, "--site", "z", "--events", z["events"], "--requests", z["requests"],
        "--only", "sent_ms_min", "--incarnation", str((1 << 64) - 1), "--wait-subscribers", "2",
        "--rate", "20", "--frames", "40", "--seconds", "30", "--valid-every", "1",
        "--seed", str(seed)], tag="wild")
    chk.sites.append(fp)
    chk.eq(fp.stop(wait=40), 0, "fake_peer (wild clock) exits 0")
    rep = fp.report() or {}
    h.log("fake_peer (wild clock) report: %s" % json.dumps(rep, sort_keys=True))
    chk.eq((rep.get("stopped"), rep.get("subscribers")), ("frames", 2),
           "z's wild-clock heartbeats reached both sites")
    for s in c.sites:
        st = s.cluster_status()
        chk.check(s.alive(), "site %s survives a status query after z's wild clock" % s.name,
                  "exit %s" % s.proc.poll())
        lag = (peer_row(st, "z") or {}).get("lag_ms")
        chk.check(lag is None or lag >= 0, "site %s reports no negative lag for heartbeats sent "
                  "at INT64_MIN ms" % s.name, "lag_ms %r" % (lag,))


def test(chk):
    if not os.access(FAKE_PEER, os.X_OK):
        raise RuntimeError("fake_peer not built: %s (build the tree first)" % FAKE_PEER)
    seed = int(os.environ.get("ACD_FAKE_PEER_SEED") or random.randrange(1, 1 << 62))
    h.log("fake_peer seed %d (ACD_FAKE_PEER_SEED=%d replays it)" % (seed, seed))

    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("3001")])
    z_events = "tcp://%s:%d" % (cl.LOOPBACK, h.free_port(("tcp",)))
    z_requests = "tcp://%s:%d" % (cl.LOOPBACK, h.free_port(("tcp",)))
    for s in c.sites:
        s.config["cluster"]["peers"].append({"name": "z", "events": z_events,
                                             "requests": z_requests})
    # Bounded: 150 frames/s for at most 120 s (20000 frames); stopped by SIGTERM below.
    # Absurd headers (which leave z's replica resyncing for good) start after 10 s.
    fp = FakePeer(c.etcd.dir, [
        FAKE_PEER, "--site", "z", "--events", z_events, "--requests", z_requests,
        "--wait-subscribers", "2", "--rate", str(RATE), "--seconds", "120",
        "--frames", "20000", "--oversized", "2", "--valid-every", "4",
        "--absurd-after", str(10 * RATE), "--spoof", "a", "--spoof", "b", "--seed", str(seed)])
    chk.sites.append(fp)

    c.etcd.start()
    for s in c.sites:
        s.start()
    leader = h.wait_for(lambda: formed(c), 30, interval=0.2, what="cluster formed")
    if not leader:
        raise RuntimeError("cluster did not form under the flood: %s" % json.dumps(
            {s.name: s.cluster_status() for s in c.sites}))
    h.log("cluster formed under the flood, leader %s" % leader)
    chk.check(fp.alive(), "fake_peer is flooding", "exited %s" % fp.proc.poll())

    phones = c["b"].agent_phones(calls=CALLS, ring_ms=300)
    c["b"].register(["3001"], phones.port, chk=chk)
    ok = h.wait_for(lambda: (peer_row(c["a"].cluster_status(), "b") or {}).get(
        "registrations", 0) >= 1, 10)
    chk.check(ok, "site a has b's registration replicated", repr(c["a"].cluster_status()))

    callers = c["a"].callers(calls=CALLS, rate=1, talk_ms=TALK_MS)
    unsynced = []
    deadline = time.monotonic() + 90
    while callers.running() and time.monotonic() < deadline:
        for s in c.sites:
            o = c["b" if s.name == "a" else "a"]
            p = peer_row(s.cluster_status(), o.name) or {}
            if p.get("state") != "synced" or not p.get("live"):
                unsynced.append((s.name, o.name, p.get("state"), p.get("live")))
        time.sleep(0.5)
    callers.wait(10)
    phones.wait(20)
    chk.check(fp.alive(), "fake_peer still flooding when the calls ended",
              "exited %s" % fp.proc.poll())
    chk.eq(unsynced, [], "the real peers stayed live and synced during the calls")
    callers.check_ok(chk, CALLS)
    phones.check_ok(chk, CALLS)
    chk.eq(len(phones.log_records("ACK")), CALLS, "the phone registered at b got every call")

    cdrs = c.wait_cdrs(CALLS, 15)
    c.check_invariants(chk, cdrs, CALLS)
    for r in cdrs:
        chk.eq(r["_file"], "a", "CDR %s written by a, which took the INVITE" % r.get("call_id"))
        chk.eq(r.get("disposition"), "answered", "CDR %s disposition" % r.get("call_id"))
        chk.eq(r.get("agent"), "3001", "CDR %s agent" % r.get("call_id"))
        chk.eq(r.get("agent_site"), "b", "CDR %s agent_site" % r.get("call_id"))
    check_real_peers(chk, c, "during the flood")

    chk.eq(fp.stop(), 0, "fake_peer exits 0 on SIGTERM")
    rep = fp.report()
    if rep is None:
        raise RuntimeError("fake_peer printed no report")
    h.log("fake_peer report: %s" % json.dumps(rep, sort_keys=True))
    chk.eq(rep.get("stopped"), "signal", "the flood lasted until the test stopped it")
    chk.check(rep.get("log_rejected", 0) > 100, "z sent many frames a site must refuse",
              repr(rep.get("log_rejected")))
    sent = rep.get("sent", {})
    chk.check(all(sent.get(k, 0) > 0 for k in ("random", "truncated", "bitflip", "invalid",
                                                "absurd", "valid")) and rep.get("oversized", 0) > 0,
              "z sent every kind of frame", json.dumps(sent))

    for s in c.sites:
        chk.check(s.alive(), "site %s still running after the flood" % s.name)
        st = s.cluster_status()
        z = peer_row(st, "z")
        chk.check(z is not None, "site %s lists peer z" % s.name, json.dumps(st))
        z = z or {}
        dec = z.get("decode_errors", 0)
        must_refuse = rep["log_rejected"] + rep["requesters"].get(s.name, {}).get("rejected", 0)
        chk.check(dec > 0, "site %s counts decode errors for z" % s.name, json.dumps(z))
        chk.check(dec <= must_refuse, "site %s counts no more decode errors for z than z sent "
                  "frames it must refuse" % s.name, "%d > %d" % (dec, must_refuse))
        chk.eq(z.get("live"), False, "site %s: z, absent from etcd, is not live" % s.name)
        for key in ("calls", "agents", "registrations"):
            bound = rep["entities"][key]
            if bound >= 0:
                chk.check(z.get(key, 0) <= bound, "site %s holds no %s from z beyond what z's "
                          "acceptable frames carried" % (s.name, key),
                          "%s > %s" % (z.get(key), bound))
        h.log("site %s sees z: %s" % (s.name, json.dumps(z, sort_keys=True)))
        lines = [l for l in s.log_text().splitlines() if "ACD-LINK-BAD-FRAME" in l]
        chk.check(lines, "site %s logs ACD-LINK-BAD-FRAME" % s.name)
        other = [l for l in lines if " peer=z " not in l]
        chk.eq(other, [], "site %s names peer z in every bad-frame line" % s.name)
    check_real_peers(chk, c, "after the flood")
    for s in c.sites:
        st = s.cluster_status()
        for o in c.sites:
            if o is not s:
                chk.eq((peer_row(st, o.name) or {}).get("gaps"), 0,
                       "site %s saw no gap in %s's log" % (s.name, o.name))

    wild_clock(chk, c, seed)
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
