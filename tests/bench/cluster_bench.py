#!/usr/bin/env python3
"""cluster_bench.py - cross-site figures from real processes (not part of tests/run).

Every figure comes from timestamps the processes write themselves: acdd's log lines
(wall clock, millisecond resolution: `2026-11-22T15:18:12.123Z ... id=ACD-...`) and
SIPp's -trace_msg file (wall clock, microseconds), all on one machine and one clock.
Nothing is asserted; the script prints what it measured.

  offer      three etcd members and three acdd; the leader is whichever site etcd elects
             (X); the callers enter at Y, the only agent registers at Z, so every call
             crosses both links of an offer: X publishes the Offer, Z reserves its agent
             and publishes the OfferAccept, Y sends the agent INVITE. CALLS calls, one
             at a time (2 a second, 200 ms of talk, the phone answers after 20 ms).
             Per call:
               offer -> INVITE at SIPp   X's ACD-MEMBER-OFFER to the INVITE's arrival at
                                         the agent's SIPp (matched by X-ACD-Call)
               hop X->Z                  X's ACD-MEMBER-OFFER to Z's ACD-AGENT-STATE
                                         (available -> ringing: Z reserved its agent):
                                         one link hop between two acdd
               hop Z->Y                  that line to Y's ACD-AGENT-OFFER (written when
                                         the INVITE has left Y): one link hop
               Y sends -> SIPp receives  Y's ACD-AGENT-OFFER to the INVITE at SIPp
               caller INVITE -> agent    the caller SIPp's INVITE to the agent SIPp's
                 INVITE                  INVITE (SIPp clocks only: three link hops, call
                                         to X, offer to Z, accept to Y, and the SIP)
             acdd's lines are truncated to the millisecond, so the figures that start at
             one read 0..1 ms high, and hops read 0 or 1 ms. (ACD-CALL-ARRIVED is no
             arrival time: Y writes it after the call was already queued and published.)
  failover   RUNS times: a fresh cluster (three etcd members, three acdd, lease TTL
             TTL s); one call waiting at Y, no agent anywhere; kill -9 of the leader X;
             at once the agent registers at Z (so the free agent exists well before any
             new leader can). Per run, from the survivors' logs: kill -> ACD-MEMBER-SITE-
             DARK (X's lease expired in etcd), kill -> ACD-MEMBER-LEADER (new leader
             elected), kill -> its first ACD-MEMBER-OFFER, kill -> the agent INVITE at
             SIPp. The kill's time is taken by this script just before SIGKILL.
  takeover   RUNS times: a fresh cluster (three etcd members, three acdd, lease TTL 3 s);
             the only agent registers at b, a's first sister. At a: caller X (72x) is
             connected to that agent, caller Y (73x) waits (the agent is busy). kill -9 of
             a. b adopts both calls: it refreshes X's two legs (re-INVITEs of the session
             they have, b's Contact) and re-INVITEs Y onto b's music; X hangs up 200 ms
             after its refresh, and the freed agent (no wrap-up) then takes Y. Odd runs
             start a first, so a leads and its kill costs an election too; even runs
             start c first, so c leads, survives and decides. Per run:
             kill -> b's ACD-MEMBER-SITE-DARK for a, kill -> b's ACD-MEMBER-TAKEOVER
             (the Takeover applied), kill -> b's ACD-TAKEOVER-LEG "media moved here"
             for Y (b has Y's 200) and kill -> Y's SIPp receiving that re-INVITE, kill ->
             the last of X's two "in-dialog requests come here" (both legs refreshed),
             kill -> Y's CDR answer_time. Checks per run (violations, counted): exactly
             one CDR per call, both written by b, both answered; no agent on two calls at
             once; every SIPp exits 0 with all its calls successful. A run with any
             violation keeps its site directories and etcd's logs in
             /tmp/acdbench-takeover-run<N>-*.

Usage: python3 tests/bench/cluster_bench.py offer [CALLS]       (default 50)
       python3 tests/bench/cluster_bench.py failover [RUNS [TTL]] (default 20, 3)
       python3 tests/bench/cluster_bench.py takeover [RUNS]       (default 20)
Env: ACDD, ACDCTL (binaries; default build/daemon/; copied once at start, so a rebuild
during a series does not mix versions), ACD_TEST_KEEP=1 keeps the temp dirs,
ACD_BENCH_VERBOSE=1 prints every offer's timestamps.
"""

import datetime
import math
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
os.environ["TZ"] = "UTC"  # SIPp's trace timestamps are local time; acdd's are UTC
time.tzset()
import cluster as cl  # noqa: E402
h = cl.h

VERBOSE = os.environ.get("ACD_BENCH_VERBOSE") == "1"
LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z level=\S+ site=\S+ id=(\S+) ?(.*)$")
SIPP_TS_RE = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)")


def utc_ts(date_time):
    return datetime.datetime.fromisoformat(date_time).replace(tzinfo=datetime.timezone.utc).timestamp()


def log_events(site, ids):
    """[(t, id, {k: v}, text)] for the lines of site's acdd log whose id is in ids."""
    out = []
    for line in site.log_text().splitlines():
        m = LOG_RE.match(line)
        if not m or m.group(2) not in ids:
            continue
        kv = dict(p.split("=", 1) for p in m.group(3).split() if "=" in p)
        out.append((utc_ts(m.group(1)), m.group(2), kv, m.group(3)))
    return out


def sipp_messages(sipp):
    """[(t, "sent"|"received", first line, {header: value})] from a SIPp's -trace_msg file."""
    out = []
    try:
        with open(sipp.files["messages.log"], encoding="latin-1") as f:
            text = f.read()
    except OSError:
        return out
    for block in re.split(r"\n(?=-{10,} \d{4}-)", text):
        lines = block.splitlines()
        m = SIPP_TS_RE.match(lines[0]) if lines else None
        if not m or len(lines) < 3:
            continue
        way = "sent" if "message sent" in lines[1] else "received" if "message received" in lines[1] else None
        msg = [l for l in lines[2:] if l.strip()]
        if way is None or not msg:
            continue
        hdrs = {}
        for l in msg[1:]:
            if ":" in l and not l.startswith((" ", "\t")):
                k, v = l.split(":", 1)
                hdrs.setdefault(k.strip().lower(), v.strip())
        out.append((utc_ts("%sT%s" % (m.group(1), m.group(2))), way, msg[0], hdrs))
    return out


def from_user(hdrs):
    m = re.search(r"sip:([^@;>]+)@", hdrs.get("from", ""))
    return m.group(1) if m else None


def agent_invites(sipp):
    """[(t, acdd call id, caller number)] for the INVITEs an agent's SIPp received."""
    return [(t, hd.get("x-acd-call"), from_user(hd)) for t, way, first, hd in sipp_messages(sipp)
            if way == "received" and first.startswith("INVITE ")]


def caller_invites(sipp):
    """{caller number: time} of the first INVITE each SIPp call sent (retransmissions skipped)."""
    out = {}
    for t, way, first, hd in sipp_messages(sipp):
        if way == "sent" and first.startswith("INVITE ") and hd.get("cseq", "").startswith("1 "):
            out.setdefault(from_user(hd), t)
    return out


def stats(name, vals_ms, unit="ms"):
    """Prints min/median/p90/p99/max of vals_ms, percentiles by nearest rank (so with
    fewer than 100 samples p99 is the maximum)."""
    v = sorted(vals_ms)
    if not v:
        print("%-32s no samples" % name)
        return

    def rank(p):
        return v[max(0, math.ceil(p * len(v)) - 1)]
    fmt = "%.0f" if unit == "ms" else "%.2f"
    print(("%-32s n=%-3d min=" + fmt + " median=" + fmt + " p90=" + fmt + " p99=" + fmt + " max=" + fmt + " %s") % (
        name, len(v), v[0], rank(0.5), rank(0.9), rank(0.99), v[-1], unit))


def queues():
    return [h.queue("main", "acme", ring_timeout=10, wrapup=0, max_no_answer=0)]


def start_cluster(chk, ttl=3, first=None):
    """A formed cluster and its sites as (cluster, leader, other, other). The site named
    first (default a) starts first, campaigns first and so leads."""
    c = cl.Cluster(chk, agents=[h.agent("3001")], queues=queues(), lease_ttl=ttl, log_level="info")
    try:
        c.etcd.start()
        for s in sorted(c.sites, key=lambda s: s.name != first):
            s.start()
        leader = c.wait_formed(30)
    except Exception as e:
        e.diagnostics = ["%s: %s" % (s.name, l) for s in c.sites for l in s.log_text().splitlines()[-5:]]
        hard_close(c)
        remove_dirs(c)
        raise
    x = c[leader]
    y, z = [s for s in c.sites if s is not x]
    return c, x, y, z


def wait_replicated(c, z, n=1):
    """Until every other live site has z's registration replicated."""
    def ok():
        for s in c.sites:
            if s is z or not s.alive():
                continue
            peers = (s.cluster_status() or {}).get("peers", [])
            if not any(p["site"] == z.name and p.get("registrations", 0) >= n for p in peers):
                return False
        return True
    return h.wait_for(ok, 10)


def remove_dirs(c):
    if h.KEEP:
        return
    shutil.rmtree(c.etcd.dir, ignore_errors=True)
    for s in c.sites:
        shutil.rmtree(s.dir, ignore_errors=True)


def hard_close(c):
    """SIGKILL every acdd and SIPp of c, stop etcd: a run needs no orderly drain."""
    for s in c.sites:
        for p in s.sipps:
            if p.running():
                h.stop_proc(p.proc, 1)
        s.kill()
    c.etcd.close()


# ---------------------------------------------------------------------------------------

def bench_offer(calls):
    chk = h.Checker()
    chk.sites = []
    c, x, y, z = start_cluster(chk)
    h.log("leader %s; callers at %s, agent at %s" % (x.name, y.name, z.name))
    try:
        phones = z.agent_phones(calls=calls, ring_ms=20, timeout_s=calls * 3 + 60)
        z.register(["3001"], phones.port, chk=chk)
        if not wait_replicated(c, z):
            raise RuntimeError("registration at %s not replicated" % z.name)
        # What `acdctl status` calls lag_ms: now minus the send time of the peer's last
        # envelope. Idle sites send a heartbeat every 500 ms, so this is an age, not a lag.
        ages = []
        for _ in range(20):
            for p in (y.cluster_status() or {}).get("peers", []):
                if p.get("lag_ms") is not None:
                    ages.append(p["lag_ms"])
            time.sleep(0.1)
        callers = y.callers(calls=calls, rate=2, talk_ms=200, send_rtp=False,
                            timeout_s=calls * 3 + 60)
        callers.wait(calls * 3 + 60)
        phones.wait(15)
        print("callers: %d ok, %d failed; agent phone: %d ok" % (
            callers.successful(), callers.failed(), phones.successful()))
        offers = {}  # call id -> time of its last offer
        for t, _, kv, _ in log_events(x, {"ACD-MEMBER-OFFER"}):
            offers[kv.get("call", "").rsplit("@", 1)[0]] = t
        ringing = sorted(e[0] for e in log_events(z, {"ACD-AGENT-STATE"}) if e[2].get("to") == "ringing")
        invite_out = {kv.get("call"): t for t, _, kv, _ in log_events(y, {"ACD-AGENT-OFFER"})}
        placed = caller_invites(callers)
        at_sipp = agent_invites(phones)
        o2i, xz, zy, ys, a2i = [], [], [], [], []
        for ti, cid, caller in at_sipp:
            to = offers.get(cid)
            if to is None:
                continue
            o2i.append((ti - to) * 1000)
            # Z's state line names no call: take its first reservation after the offer.
            tr = next((t for t in ringing if t >= to), None)
            tout = invite_out.get(cid)
            if tr is not None and tout is not None and tr <= tout:
                xz.append((tr - to) * 1000)
                zy.append((tout - tr) * 1000)
            if tout is not None:
                ys.append((ti - tout) * 1000)
            if caller in placed:
                a2i.append((ti - placed[caller]) * 1000)
            if VERBOSE:
                print("  call %s caller %s: placed %s offer %.3f rings %s out %s at_sipp %.6f" % (
                    cid, caller, placed.get(caller), to, tr, tout, ti))
        print("leader %s, callers at %s, agent at %s; %d offers, %d agent INVITEs at SIPp" % (
            x.name, y.name, z.name, len(offers), len(at_sipp)))
        stats("offer -> INVITE at SIPp", o2i)
        stats("hop X->Z (offer -> Z rings)", xz)
        stats("hop Z->Y (Z rings -> Y INVITEs)", zy)
        stats("Y sends -> SIPp receives", ys)
        stats("caller INVITE -> agent INVITE", a2i)
        stats("idle status lag_ms at %s" % y.name, ages)
    finally:
        hard_close(c)
        remove_dirs(c)


def keep_dirs(c, mode, i):
    """Copies the logs, configs, SIPp traces and CDRs of run i (and etcd's logs) to a new
    /tmp/acdbench-<mode>-run<N>-* for a post-mortem; returns its path."""
    keep = tempfile.mkdtemp(prefix="acdbench-%s-run%d-" % (mode, i + 1))
    for s in c.sites:
        shutil.copytree(s.dir, os.path.join(keep, s.name))
    os.mkdir(os.path.join(keep, "etcd"))
    for m in c.etcd.members:
        log = os.path.join(c.etcd.dir, m["name"] + ".log")
        if os.path.exists(log):
            shutil.copy2(log, os.path.join(keep, "etcd"))
    return keep


def series(runs, run):
    """Yields (i, run(i)) for each of runs runs; a run that could not be set up (it
    raised) is reported, not measured."""
    for i in range(runs):
        try:
            r = run(i)
        except Exception as e:
            h.log("run %d: not measured: %s" % (i + 1, e))
            for line in getattr(e, "diagnostics", []):
                print("    " + line)
            continue
        yield i, r


def fmt_s(v):
    return "-" if v is None else "%.3f" % v


def kept(r):
    return "  (kept in %s)" % r["kept"] if "kept" in r else ""


def first_after(events, t0, ident, pred=lambda kv: True):
    for t, i, kv, _ in sorted(events, key=lambda e: e[0]):
        if i == ident and t >= t0 and pred(kv):
            return t
    return None


def failover_run(i, ttl):
    chk = h.Checker()
    chk.sites = []
    c, x, y, z = start_cluster(chk, ttl)
    r = None
    try:
        r = failover_measure(chk, x, y, z)
        return r
    finally:
        hard_close(c)
        if r is not None and not r["answered"]:
            r["kept"] = keep_dirs(c, "failover", i)
        remove_dirs(c)


def failover_measure(chk, x, y, z):
    """One kill of the leader x; times in seconds after the kill (None: not seen)."""
    phones = z.agent_phones(calls=1, ring_ms=20, timeout_s=120)
    callers = y.callers(calls=1, talk_ms=200, send_rtp=False, timeout_s=120)
    # The call waits at y, visible to the leader through replication; no agent yet.
    if not h.wait_for(lambda: h.queued_count(y.status(quiet=True) or {}) == 1, 10):
        raise RuntimeError("call not queued at %s" % y.name)
    time.sleep(0.3)
    t_kill = time.time()
    x.kill()
    z.register(["3001"], phones.port, chk=chk)
    t_reg = time.time()
    callers.wait(30)
    phones.wait(10)
    ids = {"ACD-MEMBER-SITE-DARK", "ACD-MEMBER-LEADER", "ACD-MEMBER-OFFER"}
    ev = {s.name: log_events(s, ids) for s in (y, z)}
    dark = [first_after(ev[s], t_kill, "ACD-MEMBER-SITE-DARK", lambda kv: kv.get("site") == x.name)
            for s in ev]
    elected = [(first_after(ev[s], t_kill, "ACD-MEMBER-LEADER"), s) for s in ev]
    elected = [e for e in elected if e[0] is not None]
    t_lead, new = min(elected) if elected else (None, None)
    t_offer = first_after(ev[new], t_kill, "ACD-MEMBER-OFFER") if new else None
    inv = [t for t, _, _ in agent_invites(phones) if t >= t_kill]
    r = {"leader": x.name, "new": new, "reg": t_reg - t_kill,
         "dark": min([d for d in dark if d] or [None]) if any(dark) else None,
         "elected": t_lead, "offer": t_offer, "invite": min(inv) if inv else None,
         "answered": callers.successful() == 1}
    for k in ("dark", "elected", "offer", "invite"):
        if r[k] is not None:
            r[k] -= t_kill
    return r


def bench_failover(runs, ttl):
    rows = []
    for i, r in series(runs, lambda i: failover_run(i, ttl)):
        rows.append(r)
        h.log("run %2d: leader %s -> %s  registered %s  dark %s  elected %s  offer %s  invite %s  answered %s%s"
              % (i + 1, r["leader"], r["new"], fmt_s(r["reg"]), fmt_s(r["dark"]), fmt_s(r["elected"]),
                 fmt_s(r["offer"]), fmt_s(r["invite"]), r["answered"], kept(r)))
    print("lease TTL %d s, %d runs measured of %d" % (ttl, len(rows), runs))
    for k, name in (("dark", "kill -> site dark"), ("elected", "kill -> new leader"),
                    ("offer", "kill -> first new offer"), ("invite", "kill -> agent INVITE")):
        stats(name, [r[k] for r in rows if r[k] is not None], unit="s")
    stats("new leader -> first offer", [(r["offer"] - r["elected"]) * 1000 for r in rows
                                        if r["offer"] is not None and r["elected"] is not None])


def reinvites_after(sipp, t0):
    """Times of the in-dialog INVITEs (To tag present) sipp received after t0."""
    return sorted(t for t, way, first, hd in sipp_messages(sipp)
                  if t >= t0 and way == "received" and first.startswith("INVITE ") and "tag=" in hd.get("to", ""))


def takeover_run(i):
    chk = h.Checker()
    chk.sites = []
    # Odd runs: a leads, so its kill also costs an election before anyone can decide.
    # Even runs: c leads and survives; it decides, and b adopts on c's word.
    c, x, _, _ = start_cluster(chk, first="a" if i % 2 == 0 else "c")
    r = None
    try:
        r = takeover_measure(chk, c)
        r["leader"] = x.name
        return r
    finally:
        hard_close(c)
        if r is not None and r["violations"]:
            r["kept"] = keep_dirs(c, "takeover", i)
        remove_dirs(c)


def takeover_measure(chk, c):
    """One kill of a with X connected to b's agent and Y waiting; times in seconds after
    the kill (None: not seen) and the failed checks of the run."""
    a, b = c["a"], c["b"]
    phones = b.agent_phones(name="phone", scenario="agent_uas_takeover.xml", calls=2, ring_ms=20,
                            timeout_s=120)
    b.register(["3001"], phones.port, chk=chk)
    if not wait_replicated(c, b):
        raise RuntimeError("registration at b not replicated")
    x = a.callers(name="X", scenario="caller_takeover.xml", talk_ms=200, prefix="72", send_rtp=False,
                  timeout_s=120)
    if not h.wait_for(lambda: cl.calls_at(a).get("721") == "connected", 10):
        raise RuntimeError("X not connected at a: %r" % cl.calls_at(a))
    y = a.callers(name="Y", scenario="caller_takeover.xml", talk_ms=200, prefix="73", send_rtp=False,
                  timeout_s=120)
    if not h.wait_for(lambda: cl.calls_at(a).get("731") == "queued", 10):
        raise RuntimeError("Y not waiting at a: %r" % cl.calls_at(a))
    if not h.wait_for(lambda: (cl.peer_view(b, "a").get("calls"), cl.peer_view(b, "a").get("dialogs")) == (2, 3), 5):
        raise RuntimeError("b does not hold a's 2 calls and 3 dialogs: %r" % cl.peer_view(b, "a"))
    time.sleep(0.3)
    t_kill = time.time()
    a.kill()
    for s, t in ((x, 30), (y, 30), (phones, 10)):
        s.wait(t)
    h.wait_for(lambda: len(c.cdrs()) >= 2, 5)

    ev = log_events(b, {"ACD-MEMBER-SITE-DARK", "ACD-MEMBER-TAKEOVER", "ACD-TAKEOVER-CALL", "ACD-TAKEOVER-LEG"})
    adopted = {kv.get("state"): kv.get("call") for _, i, kv, _ in ev if i == "ACD-TAKEOVER-CALL"}
    legs = [(t, kv.get("call"), text) for t, i, kv, text in ev if i == "ACD-TAKEOVER-LEG"]
    moved = [t for t, call, text in legs if call == adopted.get("waiting") and text.endswith("media moved here")]
    refreshed = [t for t, call, text in legs
                 if call == adopted.get("connected") and text.endswith("in-dialog requests come here")]
    cdrs = c.cdrs()
    y_cdr = next((r for r in cdrs if str(r.get("caller")) == "731"), {})
    y_inv, x_inv, ph_inv = reinvites_after(y, t_kill), reinvites_after(x, t_kill), reinvites_after(phones, t_kill)
    decided = [kv.get("leader") for t, i, kv, _ in ev if i == "ACD-MEMBER-TAKEOVER" and kv.get("dark") == "a"]
    r = {"decider": decided[0] if decided else None,
         "dark": first_after(ev, t_kill, "ACD-MEMBER-SITE-DARK", lambda kv: kv.get("site") == "a"),
         "takeover": first_after(ev, t_kill, "ACD-MEMBER-TAKEOVER", lambda kv: kv.get("dark") == "a"),
         "moved": min(moved) if moved else None,
         "moved_sipp": y_inv[0] if y_inv else None,
         "refreshed": max(refreshed) if len(refreshed) == 2 else None,
         # X's refresh and the agent's, as the phones received them (the agent's SIPp also
         # gets Y's 3PCC re-INVITE later: the first one after the kill is X's refresh)
         "refresh_sipp": max(x_inv[0], ph_inv[0]) if x_inv and ph_inv else None,
         "answered": h.parse_time(y_cdr.get("answer_time"))}
    for k in r:
        if r[k] is not None and k != "decider":
            r[k] -= t_kill

    v = h.Checker()  # this run's verdicts; its failures are the violations
    c.check_invariants(v, cdrs, 2)
    v.eq(sorted((str(rec.get("caller")), rec.get("_file"), rec.get("disposition")) for rec in cdrs),
         [("721", "b", "answered"), ("731", "b", "answered")], "X and Y: one CDR each, by b, answered")
    x.check_ok(v, 1)
    y.check_ok(v, 1)
    phones.check_ok(v, 2)
    r["violations"] = v.failed
    return r


def bench_takeover(runs):
    rows = []
    for i, r in series(runs, takeover_run):
        rows.append(r)
        h.log("run %2d: leader %s, decided by %s  dark %s  takeover %s  Y moved %s (SIPp %s)  "
              "X refreshed %s (SIPp %s)  Y answered %s  violations %d%s"
              % (i + 1, r["leader"], r["decider"], fmt_s(r["dark"]), fmt_s(r["takeover"]), fmt_s(r["moved"]),
                 fmt_s(r["moved_sipp"]), fmt_s(r["refreshed"]), fmt_s(r["refresh_sipp"]),
                 fmt_s(r["answered"]), len(r["violations"]), kept(r)))
        for msg in r["violations"]:
            print("    violation: " + msg)
    print("lease TTL 3 s, %d runs measured of %d (a led in %d); runs with violations: %d (%d failed checks)" % (
        len(rows), runs, sum(1 for r in rows if r["leader"] == "a"),
        sum(1 for r in rows if r["violations"]), sum(len(r["violations"]) for r in rows)))
    for k, name in (("dark", "kill -> a dark at b"), ("takeover", "kill -> Takeover at b"),
                    ("moved", "kill -> Y re-homed (b's log)"), ("moved_sipp", "kill -> Y's re-INVITE at SIPp"),
                    ("refreshed", "kill -> X refresh acknowledged"), ("refresh_sipp", "kill -> X refreshes at SIPp"),
                    ("answered", "kill -> Y answered (CDR)")):
        stats(name, [r[k] for r in rows if r[k] is not None], unit="s")
    for a_, b_, name in (("dark", "takeover", "a dark -> Takeover"), ("takeover", "moved", "Takeover -> Y re-homed"),
                         ("takeover", "refreshed", "Takeover -> X refreshed")):
        stats(name, [(r[b_] - r[a_]) * 1000 for r in rows if r[a_] is not None and r[b_] is not None])
    for led, name in ((True, "a led"), (False, "another led")):
        sub = [r for r in rows if (r["leader"] == "a") == led]
        stats("kill -> Takeover, %s" % name, [r["takeover"] for r in sub if r["takeover"] is not None], unit="s")
        stats("kill -> Y re-homed, %s" % name, [r["moved"] for r in sub if r["moved"] is not None], unit="s")


def snapshot_binaries():
    """Runs the series on copies of acdd and acdctl taken now."""
    d = tempfile.mkdtemp(prefix="acdbench-bin-")
    h.on_cleanup(lambda: shutil.rmtree(d, ignore_errors=True))
    for name in ("ACDD", "ACDCTL"):
        dst = os.path.join(d, os.path.basename(getattr(h, name)))
        shutil.copy2(getattr(h, name), dst)
        setattr(h, name, dst)


def main(argv):
    snapshot_binaries()
    if len(argv) >= 2 and argv[1] == "offer":
        bench_offer(int(argv[2]) if len(argv) > 2 else 50)
    elif len(argv) >= 2 and argv[1] == "failover":
        bench_failover(int(argv[2]) if len(argv) > 2 else 20, int(argv[3]) if len(argv) > 3 else 3)
    elif len(argv) >= 2 and argv[1] == "takeover":
        bench_takeover(int(argv[2]) if len(argv) > 2 else 20)
    else:
        print(__doc__.split("Usage:")[1].split("Env:")[0].strip(), file=sys.stderr)
        return 2
    h.cleanup_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
