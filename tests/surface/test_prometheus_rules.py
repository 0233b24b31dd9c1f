#!/usr/bin/env python3
"""test_prometheus_rules.py - deploy/prometheus is valid and its alerts behave: promtool
checks the scrape config and the rules and runs the rules' unit tests (alerts_test.yml:
each alert fires and stays quiet on the right series); a copy of the tests with one
expectation changed must fail (the run can fail). Every alert has a test, every acd_
metric the rules read is one /metrics exports, and a real acdd's /metrics passes
`promtool check metrics` (the exposition format and naming lint)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import prom_text as pt  # noqa: E402

PROM_DIR = os.path.join(h.SOURCE_DIR, "deploy", "prometheus")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def promtool(*args, stdin=None, cwd=None):
    r = subprocess.run([PROMTOOL] + list(args), input=stdin, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def check_files(chk):
    rc, out = promtool("check", "config", os.path.join(PROM_DIR, "prometheus.yml"))
    chk.eq(rc, 0, "promtool check config prometheus.yml")
    chk.check("1 rule files found" in out, "the scrape config loads alerts.yml", out.strip())
    rc, out = promtool("check", "rules", os.path.join(PROM_DIR, "alerts.yml"))
    chk.eq(rc, 0, "promtool check rules alerts.yml")
    rc, out = promtool("test", "rules", os.path.join(PROM_DIR, "alerts_test.yml"))
    chk.eq(rc, 0, "promtool test rules alerts_test.yml")
    chk.check("SUCCESS" in out, "the rule tests pass", out.strip()[-400:])


def check_can_fail(chk):
    """The same tests with one expected label changed fail: promtool really compares."""
    d = tempfile.mkdtemp(prefix="acdtest-%d-rules-" % os.getpid())
    h.on_cleanup(lambda: shutil.rmtree(d, ignore_errors=True))
    shutil.copy(os.path.join(PROM_DIR, "alerts.yml"), d)
    with open(os.path.join(PROM_DIR, "alerts_test.yml")) as f:
        text = f.read()
    broken = text.replace("              peer: c\n", "              peer: d\n", 1)
    chk.check(broken != text, "the test file has the expectation to break")
    with open(os.path.join(d, "alerts_test.yml"), "w") as f:
        f.write(broken)
    rc, out = promtool("test", "rules", "alerts_test.yml", cwd=d)
    chk.check(rc != 0 and "FAILED" in out, "a wrong expectation makes promtool test rules fail", out[-300:])


def check_coverage(chk):
    with open(os.path.join(PROM_DIR, "alerts.yml")) as f:
        rules = f.read()
    with open(os.path.join(PROM_DIR, "alerts_test.yml")) as f:
        tests = f.read()
    alerts = re.findall(r"^\s*- alert: (\w+)", rules, re.M)
    chk.eq(sorted(alerts), sorted(["AcdServiceLevelUnderTarget", "AcdSiteDown", "AcdSiteDark",
                                   "AcdReplicationLagHigh", "AcdNoLeader"]), "the alerts")
    for a in alerts:
        cases = re.findall(r"alertname: %s\b\s*\n\s*exp_alerts:(.*)" % a, tests)
        chk.check(any(c.strip() == "[]" for c in cases) and any(c.strip() == "" for c in cases),
                  "alert %s is tested quiet and firing" % a, repr(cases))
    with open(os.path.join(h.SOURCE_DIR, "daemon", "api", "metrics.c")) as f:
        exporter = f.read()
    used = set(re.findall(r"(?<![:\w])(acd_[a-z_]+)", rules))
    for name in sorted(used):
        chk.check('"%s"' % name in exporter, "the rules' metric %s is one /metrics exports" % name)


def check_live_metrics(chk):
    site = h.new_site(chk, "promlint", agents=[h.agent("2001")])
    site.start()
    status, ctype, body = pt.scrape(site.admin_port)
    chk.eq(status, 200, "GET /metrics")
    rc, out = promtool("check", "metrics", stdin=body.encode())
    chk.eq((rc, out.strip()), (0, ""), "promtool check metrics finds nothing in a real scrape")
    chk.eq(site.stop(), 0, "acdd exits 0")


def test(chk):
    if not os.access(PROMTOOL, os.X_OK):
        raise RuntimeError("promtool not found (Debian package prometheus; deploy/setup)")
    check_files(chk)
    check_can_fail(chk)
    check_coverage(chk)
    check_live_metrics(chk)


if __name__ == "__main__":
    h.run(test)
