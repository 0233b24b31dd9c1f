#!/usr/bin/env python3
"""test_cdr_billing.py - CDRs as JSON lines and CSV from a real acdd with SIPp callers and
agents, rotated by SIGHUP, and `acdctl report billing` checked against the bill computed
here from the JSON lines.

Tenant acme (Europe/Madrid, queue main with a 2 s wrap-up, agent 2001) gets three calls
that talk about 1 s, 4 s and 7.5 s, and a caller who hangs up after 1.5 s in the queue
while 2001 talks (abandoned: not billed). Tenant beta (America/New_York, queue bq with no
wrap-up, agent 2002) gets one 2 s call. After the second call logrotate's move is played:
both files are renamed and acdd gets SIGHUP, so the later records go to new files (the
CSV one starting with its header again). Then:
  - JSON and CSV hold exactly one record per call (5), unique call ids, equal fields;
  - wrapup_s is the queue's (2 s, 0 s, 0 for the abandoned call), handle_s = talk + wrap-up;
  - the bill of acme over both JSON files (two --cdr) equals the one computed here: 3 rows
    in answer order, local dates and times, 6-second increments per call, the total; the
    same with --json; beta's bill in its own zone; --config alone reads cdr.path only;
  - a bad line is skipped with a counted warning; a file given twice counts each call
    once; dates without calls give a zero total; bad arguments exit 1, a missing file 2.
"""

import datetime
import json
import os
import shutil
import signal
import sys
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import cdr_check as cc  # noqa: E402

ACME_TZ, BETA_TZ = "Europe/Madrid", "America/New_York"
TALKS_MS = (1000, 4000, 7500)
ABANDON_MS = 1500


def tenants():
    acme = h.tenant("acme", ["1000"], "main")
    acme["timezone"] = ACME_TZ
    beta = h.tenant("beta", ["1001"], "bq")
    beta["timezone"] = BETA_TZ
    return [acme, beta]


def reloads(site):
    return site.log_text().count("ACD-SITE-RELOADED")


def local_dates(recs, tz):
    zone = zoneinfo.ZoneInfo(tz)
    ds = [datetime.datetime.fromtimestamp(r["answer_ms"] / 1000, datetime.timezone.utc)
          .astimezone(zone).strftime("%Y-%m-%d") for r in recs if r.get("answer_ms")]
    return min(ds), max(ds)


def run_calls(chk, site):
    """The calls of the docstring, with the rotation after the second; returns how many."""
    phones = site.agent_phones(name="phones", calls=4, ring_ms=200)
    site.register(["2001", "2002"], phones.port, chk=chk)
    chk.check(h.wait_for(lambda: all((h.agent_status(site.status(quiet=True) or {}, a) or {}).get("state")
                                     == "available" for a in ("2001", "2002")), 5),
              "agents 2001 and 2002 available")
    for i, talk in enumerate(TALKS_MS[:2]):
        c = site.callers(name="acme%d" % i, calls=1, talk_ms=talk, prefix="7%d" % i)
        c.wait(40)
        c.check_ok(chk, 1)
    site.wait_cdrs(2, 10)

    # logrotate: move the files away, then SIGHUP.
    n = reloads(site)
    for p in (site.cdr_path, site.csv_path):
        os.rename(p, p + ".1")
    site.proc.send_signal(signal.SIGHUP)
    chk.check(h.wait_for(lambda: reloads(site) > n, 10), "acdd reloaded on SIGHUP")
    chk.check(h.wait_for(lambda: os.path.exists(site.csv_path), 5), "a new CSV file after SIGHUP")

    long_call = site.callers(name="acme2", calls=1, talk_ms=TALKS_MS[2], prefix="72")
    connected = h.wait_for(lambda: any(x.get("state") == "connected"
                                       for x in (site.status(quiet=True) or {}).get("calls", [])), 15)
    chk.check(connected, "the long acme call connected")
    gone = site.callers(name="abandon", scenario="caller_abandon.xml", calls=1, talk_ms=ABANDON_MS,
                        prefix="79")
    gone.wait(30)
    long_call.wait(40)
    gone.check_ok(chk, 1)
    long_call.check_ok(chk, 1)
    b = site.callers(name="beta", calls=1, talk_ms=2000, did="1001", prefix="80")
    b.wait(40)
    b.check_ok(chk, 1)
    phones.wait(15)
    phones.check_ok(chk, 4)
    return len(TALKS_MS) + 2


def check_records(chk, site, calls):
    files = [site.cdr_path + ".1", site.cdr_path]
    jrecs = cc.read_jsonl(files)
    crows = cc.read_csv(chk, site.csv_path + ".1") + cc.read_csv(chk, site.csv_path)
    chk.eq(len(jrecs), calls, "one JSON record per call")
    chk.eq(len(crows), calls, "one CSV record per call")
    h.check_unique_call_ids(chk, jrecs)
    cc.check_csv_equals_json(chk, jrecs, crows)
    chk.eq(sorted(r["_file"] for r in jrecs), sorted([files[0]] * 2 + [files[1]] * (calls - 2)),
           "two records before the rotation, the rest after it")
    for r in jrecs:
        h.check_cdr_shape(chk, r, site.name)
        cid = r["call_id"]
        handle = cc.ms_of(r["talk_s"]) + cc.ms_of(r["wrapup_s"])
        chk.eq(cc.ms_of(r["handle_s"]), handle, "call %s: handle_s = talk_s + wrapup_s" % cid)
        if r["disposition"] != "answered":
            chk.eq((r["agent"], r["wrapup_s"], r["handle_s"]), (None, 0, 0),
                   "call %s (%s): no agent, no wrap-up, no handle time" % (cid, r["disposition"]))
            continue
        want_wrap = 2.0 if r["tenant"] == "acme" else 0.0
        chk.eq(r["wrapup_s"], want_wrap, "call %s: wrapup_s is its queue's" % cid)
    answered = sorted((r for r in jrecs if r["tenant"] == "acme" and r["disposition"] == "answered"),
                      key=lambda r: r["answer_ms"])
    chk.eq(len(answered), 3, "acme: three answered calls")
    for r, talk in zip(answered, TALKS_MS):  # the callers hang up after talk ms
        chk.check(talk / 1000 - 0.3 <= r["talk_s"] <= talk / 1000 + 1.5,
                  "call %s talks about %.1f s" % (r["call_id"], talk / 1000), repr(r["talk_s"]))
    chk.eq(sorted(r["disposition"] for r in jrecs if r["tenant"] == "acme"),
           ["abandoned", "answered", "answered", "answered"], "acme: 3 answered, 1 abandoned")
    return files, jrecs


def check_bills(chk, site, files, jrecs):
    d0, d1 = local_dates([r for r in jrecs if r["tenant"] == "acme"], ACME_TZ)
    cdrs = sum((["--cdr", f] for f in files), [])
    rc, out, err = cc.billing("--tenant", "acme", "--from", d0, "--to", d1, *cdrs, config=site.config_path)
    chk.eq(rc, 0, "billing acme exits 0")
    chk.eq(err, "", "billing acme: nothing on stderr")
    rows, total = cc.check_bill(chk, out, jrecs, "acme", ACME_TZ, d0, d1, "acme's bill")
    chk.eq(len(rows), 3, "acme's bill: the three answered calls, not the abandoned one")
    chk.check(all(r["time"][-6:] in ("+01:00", "+02:00") for r in rows), "acme's bill: Madrid times",
              repr([r["time"] for r in rows]))

    rc, out, _ = cc.billing("--tenant", "acme", "--from", d0, "--to", d1, "--json", *cdrs,
                            config=site.config_path)
    chk.eq(rc, 0, "billing --json exits 0")
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    chk.eq((doc.get("tenant"), doc.get("timezone"), doc.get("increment_s")), ("acme", ACME_TZ, 6),
           "--json: tenant, zone, increment")
    chk.eq([c.get("call_id") for c in doc.get("calls", [])], [r["call_id"] for r in rows],
           "--json: the same calls")
    t = doc.get("total") or {}
    chk.eq((str(t.get("calls")), str(t.get("increments")), str(t.get("billed_s")), "%.3f" % t.get("handle_s", -1)),
           (total["calls"], total["increments"], total["billed_s"], total["handle_s"]), "--json: the same total")

    bd0, bd1 = local_dates([r for r in jrecs if r["tenant"] == "beta"], BETA_TZ)
    rc, out, _ = cc.billing("--tenant", "beta", "--from", bd0, "--to", bd1, *cdrs, config=site.config_path)
    chk.eq(rc, 0, "billing beta exits 0")
    rows, _ = cc.check_bill(chk, out, jrecs, "beta", BETA_TZ, bd0, bd1, "beta's bill (its own zone)")
    chk.eq(len(rows), 1, "beta's bill: its one call")

    # --config alone: its cdr.path, the file after the rotation.
    after = [r for r in jrecs if r["_file"] == site.cdr_path]
    rc, out, _ = cc.billing("--tenant", "acme", "--from", d0, "--to", d1, config=site.config_path)
    chk.eq(rc, 0, "billing from the config's cdr.path exits 0")
    rows, _ = cc.check_bill(chk, out, after, "acme", ACME_TZ, d0, d1, "acme's bill of cdr.path")
    chk.eq(len(rows), 1, "cdr.path alone: the call after the rotation")

    # UTC dates with --tz, a file given twice, and a bad line.
    bad = os.path.join(site.dir, "with-bad-line.jsonl")
    shutil.copy(files[1], bad)
    with open(bad, "a") as f:
        f.write('{"call_id": "x", "tenant": \n')
    u0, u1 = local_dates([r for r in jrecs if r["tenant"] == "acme"], "UTC")
    rc, out, err = cc.billing("--tenant", "acme", "--from", u0, "--to", u1, "--tz", "UTC", "--cdr", files[0],
                              "--cdr", files[0], "--cdr", bad)
    chk.eq(rc, 0, "billing with a bad line exits 0")
    lines = sum(1 for _ in open(bad))
    chk.check("%s: 1 of %d lines are not CDRs" % (bad, lines) in err, "the bad line is counted on stderr", err)
    chk.check("2 duplicate record(s)" in err, "the file given twice: its calls counted once", err)
    cc.check_bill(chk, out, jrecs, "acme", "UTC", u0, u1, "acme's bill in UTC")

    rc, out, _ = cc.billing("--tenant", "acme", "--from", "2001-01-01", "--to", "2001-01-31", *cdrs,
                            config=site.config_path)
    rows, total = cc.parse_bill(chk, out, "a month without calls")
    chk.eq((rc, len(rows), total.get("calls"), total.get("billed_s"), total.get("date")),
           (0, 0, "0", "0", "2001-01-01/2001-01-31"), "a month without calls: a zero total")

    for args, want, what in (
            (["--tenant", "acme", "--from", "2026-02-30", "--tz", "UTC", "--cdr", files[1]], 1, "a bad date"),
            (["--tenant", "acme", "--from", d1, "--to", d0 + "x", "--tz", "UTC", "--cdr", files[1]], 1, "a bad --to"),
            (["--tenant", "acme", "--from", d0, "--tz", "Nowhere/City", "--cdr", files[1]], 1, "an unknown zone"),
            (["--tenant", "acme", "--from", d0, "--cdr", files[1]], 1, "no zone without --config"),
            (["--from", d0, "--tz", "UTC", "--cdr", files[1]], 1, "no tenant"),
            (["--tenant", "acme", "--from", d0, "--tz", "UTC", "--cdr", bad + ".missing"], 2, "a missing file")):
        rc, out, err = cc.billing(*args)
        chk.eq((rc, out), (want, ""), "billing with %s exits %d and prints nothing" % (what, want))
        chk.check(err.strip() != "", "billing with %s says why on stderr" % what)
    rc, out, _ = cc.billing("--help")
    chk.check(rc == 0 and "6-second" in out, "billing --help exits 0 and explains the rule", out[:200])


def test(chk):
    queues = [h.queue("main", "acme", wrapup=2), h.queue("bq", "beta", wrapup=0)]
    agents = [h.agent("2001", queues=["main"]), h.agent("2002", queues=["bq"])]
    site = h.new_site(chk, "bill", agents=agents, tenants=tenants(), queues=queues)
    site.csv_path = os.path.join(site.dir, "cdr.csv")
    site.config["cdr"]["csv_path"] = site.csv_path
    site.start()
    calls = run_calls(chk, site)
    files, jrecs = check_records(chk, site, calls)
    check_bills(chk, site, files, jrecs)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
