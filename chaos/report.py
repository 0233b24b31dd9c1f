"""report.py - what became of every call of a drill round, the invariants, and the report
(JSON and a readable summary).

Sources, all observed from outside the product: the carrier callers' event log
(scenarios/carrier_caller.xml: start, answered by which site, moved by a site, connected
to an agent, how it ended, each with the wall-clock time), every site's CDR file, acdd's
log lines (stable IDs with millisecond UTC timestamps) and the carrier's route events
(topo.RouteWatch).

A round's invariants split in two. Those that must hold today fail the drill: no agent on
two calls at once (CDR intervals), no call connected to two agents, never two CDRs for
one call, one CDR saying how it ended for every call of a site that stayed up, no call
lost at a site that stayed up, the route off a dead ingress, the dark site seen dark, a
new leader when the leader went, the zombie fenced, new calls answered and distribution
resumed within the fault's bounds (the drill adds: recovered, nothing left busy). Those that wait
for sister-site takeover (issue 4: queued callers of a dark site taken over in place and
re-homed within 4 s, its connected calls closed with one CDR) are measured and printed
under PENDING and never fail it.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "sip"))
import harness as h  # noqa: E402

# Issue 4's targets, printed next to what was measured.
TARGET_NEW_CALL_S = 2.0
TARGET_REHOME_S = 4.0

LOG_RE = re.compile(r"^(\S+) level=\S+ site=(\S+) id=(ACD-[A-Z0-9-]+) ?(.*)$")
LOG_IDS = {"ACD-MEMBER-SITE-DARK", "ACD-MEMBER-LEADER", "ACD-MEMBER-NOT-LEADER", "ACD-MEMBER-LEASE-LOST",
           "ACD-MEMBER-ISLAND", "ACD-MEMBER-OFFER-REJECTED", "ACD-MEMBER-TAKEOVER", "ACD-MEMBER-ADOPTED"}
# The caller's clean endings (its BYE answered, or the site's BYE) and the CDR disposition
# each must have (None: one CDR, whatever it says).
CLEAN_END = {"answered": "answered", "abandoned": "abandoned", "released-talking": "answered",
             "released-queued": None}
LOG_SLACK_S = 0.002  # acdd's log times are cut to the millisecond
LOST_FATES = ("bye-lost", "bye-refused", "lost", "stranded", "failed")


def log_events(logs, ids, since):
    """acdd log lines with an id in ids at or after since (epoch s), from {site: text}:
    a time-sorted list of (t, site, id, message)."""
    out = []
    for text in logs.values():
        for line in text.splitlines():
            m = LOG_RE.match(line)
            if not m or m.group(3) not in ids:
                continue
            try:
                t = h.parse_time(m.group(1))
            except ValueError:
                continue
            if t >= since - LOG_SLACK_S:
                out.append((t, m.group(2), m.group(3), m.group(4)))
    out.sort()
    return out


def kv(message):
    """k=v pairs of a log message."""
    return dict(p.split("=", 1) for p in message.split() if "=" in p)


def caller_calls(sipp, prefix, site_of_ip):
    """The carrier SIPp's calls as {caller number: record}, from its EV log lines."""
    calls = {}
    for line in sipp.log_lines("EV "):
        p = line.split()
        if len(p) < 4 or not p[1].isdigit():
            continue
        try:
            t = float(p[-1])
        except ValueError:
            continue
        c = calls.setdefault(prefix + p[1], {"caller": prefix + p[1]})
        ev = p[2]
        if ev == "start":
            c["start"] = t
        elif ev == "answered":
            c["answered"] = t
            c["site"] = site_of_ip.get(p[3], p[3])
        elif ev in ("reinvite", "moved", "refreshed", "late", "connected"):
            # <media ip> <Via host>: where the media goes, and the site that sent it
            sender = site_of_ip.get(p[4], p[4]) if len(p) > 6 else None
            c.setdefault("reinvites", []).append([ev, t, sender])
            if ev == "connected":
                c["connected"] = t
                c["agent_site"] = site_of_ip.get(p[3], p[3])
        elif ev == "end":
            c["end"] = t
            c["outcome"] = p[3]
    for c in calls.values():
        c.setdefault("outcome", "failed")  # no end line: SIPp gave the call up
    return calls


def clean_callers(sipps):
    """Caller numbers of the calls whose caller saw them end cleanly (BYE answered), from
    [(sipp, prefix)]: the calls that must have a CDR."""
    out = set()
    for sipp, prefix in sipps:
        out |= {k for k, c in caller_calls(sipp, prefix, {}).items() if c["outcome"] in CLEAN_END}
    return out


def owner(call):
    """The site that took the call (its 200's SDP), else the one the route pointed at."""
    return call.get("site") or call.get("routed_to")


def fate(call, mine):
    """How the call ended, from the caller's ending and its CDRs (mine): answered,
    abandoned, bye-lost / bye-refused (talked, but no site heard the hang-up, or the one
    reached answered 481, and no CDR was written), lost (queued and gone), stranded
    (never answered), failed (SIPp error)."""
    o = call["outcome"]
    if o in CLEAN_END:
        return {"released-talking": "answered", "released-queued": "released"}.get(o, o)
    if o in ("bye-lost", "bye-refused"):
        return "answered" if mine else o
    if o in ("abandon-lost", "abandon-refused"):
        return "abandoned" if mine else "lost"
    if o == "unanswered":
        return "stranded"
    return "failed"


def takeover_events(call):
    """(time, site) of every re-INVITE sent by a site other than the one that answered."""
    return sorted((t, s) for _, t, s in call.get("reinvites", []) if s and s != call.get("site"))


def taken_over(call, mine):
    """Another site than the one that answered it sent the call a re-INVITE, or wrote its CDR."""
    return bool(takeover_events(call)) or any(r.get("site") != call.get("site") for r in mine if call.get("site"))


def state_at(call, t):
    """The call's state at time t: None (not started or over), ringing, queued, connected."""
    if call.get("start") is None or call["start"] > t or (call.get("end") is not None and call["end"] <= t):
        return None
    if call.get("connected") is not None and call["connected"] <= t:
        return "connected"
    if call.get("answered") is not None and call["answered"] <= t:
        return "queued"
    return "ringing"


def _count(items):
    out = {}
    for i in items:
        out[str(i)] = out.get(str(i), 0) + 1
    return dict(sorted(out.items()))


def _s(t, t0):
    return None if t is None else round(t - t0, 3)


def _timings(calls, ev, fault, dark, world, route_before):
    tf = fault.t
    dark_seen = [e for e in ev if e[2] == "ACD-MEMBER-SITE-DARK" and kv(e[3]).get("site") in dark and e[1] not in dark]
    leaders = [e for e in ev if e[2] == "ACD-MEMBER-LEADER" and e[1] not in dark]
    takeovers = [e for e in ev if e[2] == "ACD-MEMBER-TAKEOVER" and kv(e[3]).get("dark") in dark]
    adopted = [e for e in ev if e[2] == "ACD-MEMBER-ADOPTED" and kv(e[3]).get("dark") in dark]
    d = {"site_dark_s": _s(dark_seen[0][0], tf) if dark_seen else None,
         "seen_by": dark_seen[0][1] if dark_seen else None,
         "new_leader_s": _s(leaders[0][0], tf) if leaders else None,
         "new_leader": leaders[0][1] if leaders else None,
         "takeover_s": _s(takeovers[0][0], tf) if takeovers else None,
         "takeover_by": kv(takeovers[0][3]).get("sister") if takeovers else None,
         "adopted": {"calls": sum(int(kv(e[3]).get("calls", 0)) for e in adopted),
                     "failed": sum(int(kv(e[3]).get("failed", 0)) for e in adopted)} if adopted else None}
    d.update(fault.detail.get("detection", {}))
    if fault.detail.get("resumed_at"):
        tr = fault.detail["resumed_at"]
        own = [e for e in ev if e[1] == fault.target and e[0] >= tr - LOG_SLACK_S and
               e[2] in ("ACD-MEMBER-NOT-LEADER", "ACD-MEMBER-LEASE-LOST", "ACD-MEMBER-ISLAND")]
        d["zombie_fenced_s_after_resume"] = _s(own[0][0], tr) if own else None
        d["zombie_fenced_by"] = own[0][2] if own else None
    moved = world.watch.wait_move(route_before, tf, timeout=0) if route_before else None
    route = {"before": route_before, "after": moved[1] if moved else world.ingress(),
             "convergence_ms": round((moved[0] - tf) * 1000) if moved else None}
    new = [c for c in calls.values() if c.get("start", 0) >= tf]
    first_ans = min((c for c in new if c.get("answered")), key=lambda c: c["answered"], default=None)
    first_con = min((c for c in new if c.get("connected")), key=lambda c: c["connected"], default=None)
    resumed = min((c for c in calls.values() if (c.get("connected") or 0) >= tf), key=lambda c: c["connected"],
                  default=None)
    first = {"answered_s": _s(first_ans["answered"], tf) if first_ans else None,
             "placed_s": _s(first_ans["start"], tf) if first_ans else None,
             "answered_at": first_ans.get("site") if first_ans else None,
             "connected_s": _s(first_con["connected"], tf) if first_con else None,
             "resumed_s": _s(resumed["connected"], tf) if resumed else None,
             "resumed_at": resumed.get("agent_site") if resumed else None}
    return d, route, first


class Round:
    """The analysis of one round; .report() is its JSON-able record."""

    def __init__(self, rnd, world):
        self.rnd = rnd
        self.world = world
        self.fault = rnd["fault"]
        self.dark = set(self.fault.dark_sites)
        self.chk = h.Checker()
        self.pending = []
        site_of_ip = {a: s.name for s in world.topo.sites for a in (s.addr, s.phones)}
        self.calls = {}
        for sipp, prefix in rnd["sipps"]:
            self.calls.update(caller_calls(sipp, prefix, site_of_ip))
        prefixes = tuple(p for _, p in rnd["sipps"])
        self.all_cdrs = world.cluster.cdrs()
        self.cdrs = [c for c in self.all_cdrs if str(c.get("caller", "")).startswith(prefixes)]
        self.by_caller = {}
        for c in self.cdrs:
            self.by_caller.setdefault(str(c.get("caller")), []).append(c)
        for c in self.calls.values():
            mine = self.by_caller.get(c["caller"], [])
            c["fate"] = fate(c, mine)
            c["taken_over"] = taken_over(c, mine)
            if c.get("start") is not None:
                c["routed_to"] = world.watch.site_at(c["start"])

    def record(self, what, value):
        """A figure that depends on unbuilt work: printed, never failed."""
        self.pending.append({"what": what, "value": value})

    def cdr_anomalies(self):
        """CDRs that break harness.check_cdr_shape (fields, times, a disposition that
        agrees with answer_time and talk_s): printed, not failed, as the shape of CDRs
        a takeover writes is still settling."""
        shape = h.Checker()
        for c in self.cdrs:
            h.check_cdr_shape(shape, c, c["_file"])
        return shape.failed

    def at_fault(self):
        out = {}
        tf = self.fault.t
        for st in ("ringing", "queued", "connected"):
            group = [c for c in self.calls.values() if state_at(c, tf) == st]
            dark = [c for c in group if owner(c) in self.dark]
            out[st] = {"n": len(group), "fates": _count(c["fate"] for c in group),
                       "at_dark_site": {"n": len(dark), "fates": _count(c["fate"] for c in dark),
                                        "taken_over": sum(1 for c in dark if c["taken_over"])} if dark else None,
                       "callers": sorted(c["caller"] for c in group)}
        return out

    def check_today(self, first, detection, route):
        """The invariants that must hold with what is built today."""
        chk, fault, b = self.chk, self.fault, self.rnd["bounds"]
        # Two CDRs of one call are counted below; the overlap check looks at distinct calls.
        once = list({c.get("call_id"): c for c in reversed(self.all_cdrs)}.values())
        h.check_no_agent_overlap(chk, once)
        h.check_unique_call_ids(chk, self.all_cdrs)
        dup = sorted(k for k, v in self.by_caller.items() if len(v) > 1)
        chk.check(not dup, "never two CDRs for one call", dup)
        unknown = sorted(k for k in self.by_caller if k not in self.calls)
        chk.check(not unknown, "every CDR belongs to a call the carrier made", unknown)
        agents = {k: sorted({r.get("agent") for r in v if r.get("agent")}) for k, v in self.by_caller.items()}
        two = {k: v for k, v in agents.items() if len(v) > 1}
        chk.check(not two, "no call connected to two agents", two)
        for c in self.calls.values():
            if c["outcome"] in CLEAN_END and owner(c) not in self.dark:
                got = [r.get("disposition") for r in self.by_caller.get(c["caller"], [])]
                want = CLEAN_END[c["outcome"]]
                chk.check(len(got) == 1 and want in (None, got[0]), "call %s (site %s) ended %s: one CDR%s" % (
                    c["caller"], owner(c), c["outcome"], " saying %s" % want if want else ""), "CDRs: %r" % got)
        lost = [c["caller"] for c in self.calls.values() if c["fate"] in LOST_FATES
                and not (fault.kind == "sip-loss" and owner(c) == fault.target)]
        chk.check(not lost, "no call lost (at a site that stayed up, or taken over from a dark one)", lost)
        chk.check(first["answered_s"] is not None and first["answered_s"] <= b["answered_s"],
                  "a new call answered by acdd within %.1fs of the fault" % b["answered_s"], first["answered_s"])
        chk.check(first["resumed_s"] is not None and first["resumed_s"] <= b["resumed_s"],
                  "distribution resumed (a call connected to an agent) within %.1fs" % b["resumed_s"],
                  first["resumed_s"])
        if fault.expect.get("route_moves"):
            chk.check(route["convergence_ms"] is not None, "the carrier's route moved off %s" % route["before"],
                      self.world.topo.bgp_summary())
        if fault.expect.get("site_dark"):
            chk.check(detection["site_dark_s"] is not None, "survivors saw %s dark" % "/".join(sorted(self.dark)))
        if fault.expect.get("leader_change"):
            chk.check(detection["new_leader_s"] is not None, "a new leader was elected")
        if fault.expect.get("fenced"):
            chk.check(detection.get("zombie_fenced_s_after_resume") is not None,
                      "the resumed zombie %s stepped down or lost its lease" % fault.target)

    def record_takeover(self, first):
        """Issue 4's takeover figures, measured whatever exists of it."""
        tf = self.fault.t
        q = [c for c in self.calls.values() if state_at(c, tf) == "queued" and owner(c) in self.dark]
        k = [c for c in self.calls.values() if state_at(c, tf) == "connected" and owner(c) in self.dark]
        if q or k:
            rehome = [takeover_events(c)[0][0] - tf for c in q if takeover_events(c)]
            self.record("queued callers of the dark site taken over in place (target: all, <= %.0fs)" % TARGET_REHOME_S,
                        "%d of %d%s; then %s" % (sum(1 for c in q if c["taken_over"]), len(q),
                                                 (", re-homed after %.3f..%.3fs" % (min(rehome), max(rehome)))
                                                 if rehome else "", _count(c["fate"] for c in q)))
            kv_ = [sum(1 for c in k if c["fate"] == "answered" and len(self.by_caller.get(c["caller"], [])) == 1), len(k)]
            self.record("connected calls of the dark site that ended with one CDR (target: 100%)",
                        "%d of %d; %s" % (kv_[0], kv_[1], _count(c["fate"] for c in k)))
            self.record("callers restored on redial / called back",
                        "not exercised here: the drill's callers do not redial and its tenant has no"
                        " callback trunk (tests/cluster/test_redial.py and test_callback.py cover both)")
            # Issue 4's targets, held to since the takeover is built: every caller still
            # waiting TARGET_REHOME_S after the fault was re-homed by then, and every
            # connected call ended answered with exactly one CDR.
            slow = sorted(c["caller"] for c in q
                          if not (takeover_events(c) and takeover_events(c)[0][0] - tf <= TARGET_REHOME_S)
                          and not (c.get("end") is not None and c["end"] - tf <= TARGET_REHOME_S))
            self.chk.check(not slow, "queued callers of the dark site re-homed within %.0fs" % TARGET_REHOME_S, slow)
            bad = sorted(c["caller"] for c in k
                         if not (c["fate"] == "answered" and len(self.by_caller.get(c["caller"], [])) == 1))
            self.chk.check(not bad, "connected calls of the dark site ended answered, with one CDR", bad)
        if first["answered_s"] is not None:
            self.record("new call answered <= %.0fs after the fault (issue 4 target)" % TARGET_NEW_CALL_S,
                        "%.3fs, %s" % (first["answered_s"], "met" if first["answered_s"] <= TARGET_NEW_CALL_S
                                       else "MISSED"))

    def report(self):
        logs = self.world.acdd_logs()
        ev = log_events(logs, LOG_IDS, self.fault.t)
        detection, route, first = _timings(self.calls, ev, self.fault, self.dark, self.world, self.rnd["route_before"])
        self.check_today(first, detection, route)
        self.record_takeover(first)
        before = {c["caller"] for c in self.calls.values() if c.get("answered")}
        lost = [c for c in self.calls.values() if c["fate"] in LOST_FATES]
        double = [m for m in self.chk.failed if m.startswith("agent ")]
        return {
            "fault": self.fault.describe(),
            "route": route,
            "detection": detection,
            "stale_epoch_refusals": sum(1 for e in ev if e[2] == "ACD-MEMBER-OFFER-REJECTED" and "stale-epoch" in e[3]),
            "first_new_call": first,
            "bounds": self.rnd["bounds"],
            "calls": {"total": len(self.calls), "fates": _count(c["fate"] for c in self.calls.values()),
                      "taken_over": sum(1 for c in self.calls.values() if c["taken_over"]),
                      "answered_at": _count(c.get("site") for c in self.calls.values() if c.get("answered"))},
            "at_fault": self.at_fault(),
            "cdrs": {"cdrs": len(self.cdrs), "calls": len(self.calls), "answered_by_acdd": len(before),
                     "missing": sorted(c for c in before if not self.by_caller.get(c)),
                     "duplicated": sorted(k for k, v in self.by_caller.items() if len(v) > 1)},
            "double_booked": double,
            "cdr_anomalies": self.cdr_anomalies(),
            "lost": [{k: c.get(k) for k in ("caller", "site", "routed_to", "fate", "outcome")} for c in lost],
            "violations": list(self.chk.failed),
            "checks_passed": self.chk.passed,
            "pending_takeover": self.pending,
        }


def analyse(rnd, world):
    """The report of one round. rnd: the drill's round record (fault, the carrier SIPps
    with their caller prefixes, bounds, the route before the fault)."""
    return Round(rnd, world).report()


def _fmt(v, unit="s"):
    return "n/a" if v is None else ("%.3fs" % v if unit == "s" else "%d ms" % v)


def summary(report):
    """The readable summary of a whole drill report (every round)."""
    n = len(report["rounds"])
    out = ["chaos drill: %s  (%d round%s, %d violation%s)" % (
        report["scenario"], n, "" if n == 1 else "s", report["violations"], "" if report["violations"] == 1 else "s"),
        "anycast: %s" % report["anycast"]]
    if report.get("seed") is not None:
        out.append("seed: %s" % report["seed"])
    for i, r in enumerate(report["rounds"], 1):
        f, d, fc, rt = r["fault"], r["detection"], r["first_new_call"], r["route"]
        out += ["", "round %d: %s%s (ingress %s, leader %s)" % (i, f["kind"], (" at %s" % f["target"]) if f["target"]
                                                              else "", rt["before"], r.get("leader_before"))]
        if f.get("detail"):
            out.append("  fault detail: %s" % json.dumps(f["detail"], sort_keys=True))
        out.append("  route: %s -> %s, moved after %s" % (rt["before"], rt["after"], _fmt(rt["convergence_ms"], "ms")))
        out.append("  detection: site dark after %s (seen by %s); new leader after %s (%s)" % (
            _fmt(d.get("site_dark_s")), d.get("seen_by"), _fmt(d.get("new_leader_s")), d.get("new_leader")))
        out.append("  takeover: started after %s by %s; adopted %s" % (_fmt(d.get("takeover_s")), d.get("takeover_by"),
                                                                      d.get("adopted")))
        extra = {k: v for k, v in d.items() if k not in ("site_dark_s", "seen_by", "new_leader_s", "new_leader",
                                                          "takeover_s", "takeover_by", "adopted")}
        if extra:
            out.append("  detection, more: %s" % json.dumps(extra, sort_keys=True))
        out.append("  first new call answered by acdd after %s at %s (bound %.1fs; placed after %s)" % (
            _fmt(fc["answered_s"]), fc["answered_at"], r["bounds"]["answered_s"], _fmt(fc.get("placed_s"))))
        out.append("  distribution resumed after %s, agent at %s (bound %.1fs); first new call connected after %s" % (
            _fmt(fc["resumed_s"]), fc["resumed_at"], r["bounds"]["resumed_s"], _fmt(fc["connected_s"])))
        out.append("  calls: %d, fates %s, taken over %d, answered at %s" % (
            r["calls"]["total"], r["calls"]["fates"], r["calls"]["taken_over"], r["calls"]["answered_at"]))
        for st, g in r["at_fault"].items():
            dk = g["at_dark_site"]
            out.append("  %s at the fault: %d -> %s%s" % (st, g["n"], g["fates"], (
                "; at the dark site %d -> %s, taken over %d" % (dk["n"], dk["fates"], dk["taken_over"])) if dk else ""))
        c = r["cdrs"]
        out.append("  CDRs: %d for %d calls (%d answered by acdd); missing %d, duplicated %d" % (
            c["cdrs"], c["calls"], c["answered_by_acdd"], len(c["missing"]), len(c["duplicated"])))
        out.append("  double-booked agents: %d; lost calls: %d%s; stale-epoch refusals: %d" % (
            len(r["double_booked"]), len(r["lost"]), (" %s" % _count(x["fate"] for x in r["lost"])) if r["lost"] else "",
            r["stale_epoch_refusals"]))
        out.append("  recovered %s after the heal" % _fmt(r.get("recovered_s_after_heal")))
        for a in r.get("cdr_anomalies", []):
            out.append("  CDR anomaly (recorded, not failed): %s" % a)
        for p in r["pending_takeover"]:
            out.append("  PENDING (takeover, issue 4; recorded, not failed): %s: %s" % (p["what"], p["value"]))
        for v in r["violations"]:
            out.append("  VIOLATION: %s" % v)
        out.append("  invariants: %s (%d checks passed)" % (
            "ok" if not r["violations"] else "%d violated" % len(r["violations"]), r["checks_passed"]))
    return "\n".join(out) + "\n"


def write(report, out_dir):
    """Writes report.json and report.txt into out_dir; returns the summary text."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    text = summary(report)
    with open(os.path.join(out_dir, "report.txt"), "w") as f:
        f.write(text)
    return text
