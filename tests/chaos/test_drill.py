#!/usr/bin/env python3
"""test_drill.py - one chaos drill (chaos/drill) as a CTest test, label chaos.

Usage: test_drill.py <scenario> [chaos/drill options ...]

Runs the drill in this process with a short load (about a minute), then checks, round by
round, the invariants that must hold with what is built today:
  - no agent is on two calls at once (CDR intervals), no call goes to two agents;
  - never two CDRs for one call, and one CDR for every call its caller ended cleanly at
    a site that stayed up;
  - no call is lost at a site that stayed up;
  - a new call is answered, and distribution resumes, within the fault's bounds (the
    drill's bounds(): 2 s for a new call when the route moves, more where a lease must
    expire first), and the fault is detected (route moved, site seen dark, new leader,
    zombie fenced) where it should be;
  - the cluster recovers after the heal, with no call or agent left busy;
  - issue 4's takeover targets: no call lost, dark site included; queued callers of a
    dark site re-homed within 4 s; its connected calls ended answered with one CDR.
What the drill cannot exercise (callers restored on redial, callback) is printed with a
PENDING label and never fails the test. The full report stays in
<build>/chaos-reports/ctest-<scenario>/.
"""

import importlib.machinery
import importlib.util
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(HERE, "..", "..", "chaos")
sys.path.insert(0, CHAOS)
_loader = importlib.machinery.SourceFileLoader("drill", os.path.join(CHAOS, "drill"))
_spec = importlib.util.spec_from_loader("drill", _loader)
drill = importlib.util.module_from_spec(_spec)
_loader.exec_module(drill)
h = drill.h

# A short load: 5 s before the fault, 6 s after, callers patient for 10 s, agents who
# hang up on a call left hanging after 10 s.
SHORT = ["--pre", "5", "--post", "6", "--patience", "10", "--long-talk-ms", "6000", "--agent-hangup-ms", "10000"]


def test(chk):
    scenario, extra = sys.argv[1], sys.argv[2:]
    out = os.path.join(h.BUILD_DIR, "chaos-reports", "ctest-" + scenario)
    shutil.rmtree(out, ignore_errors=True)
    opts = drill.parse([scenario, "--out", out] + SHORT + extra)
    report = drill.execute(opts, chk)
    chk.check(report["rounds"], "the drill ran a round")
    for i, r in enumerate(report["rounds"], 1):
        tag = "round %d (%s at %s)" % (i, r["fault"]["kind"], r["fault"]["target"])
        chk.eq(r["double_booked"], [], "%s: no agent on two calls at once" % tag)
        chk.eq(r["cdrs"]["duplicated"], [], "%s: never two CDRs for one call" % tag)
        fc, b = r["first_new_call"], r["bounds"]
        chk.check(fc["answered_s"] is not None and fc["answered_s"] <= b["answered_s"],
                  "%s: a new call answered within %.1fs" % (tag, b["answered_s"]), fc["answered_s"])
        for p in r["pending_takeover"]:
            h.log("PENDING (takeover, issue 4; recorded, not failed) %s: %s: %s" % (tag, p["what"], p["value"]))
        # Everything else the drill holds to today (one CDR per cleanly ended call, no
        # call lost at a surviving site, detection, resumption, recovery) is in violations.
        for v in r["violations"]:
            chk.check(False, "%s: %s" % (tag, v))
    h.log("report: %s" % os.path.join(out, "report.txt"))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    h.run(test, name="chaos drill %s" % sys.argv[1])
