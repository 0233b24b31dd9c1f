"""cdr_check.py - reads acdd's CSV CDRs back and computes bills from the JSON CDRs, for the
surface tests of CDRs and billing (stdlib only).

The CSV file must be RFC 4180 with CRLF rows and the header first; every row must carry
exactly the JSON line's values (docs/billing.md "The record"). The bill is computed here
from the JSON lines by the documented rule (ADR 0023), independently of acdd's C code, and
compared with what `acdctl report billing` prints.
"""

import csv
import datetime
import io
import json
import math
import os
import subprocess
import sys
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

CSV_COLUMNS = ["site", "call_id", "tenant", "did", "caller", "queue", "agent", "agent_site",
               "enqueue_time", "answer_time", "end_time", "wait_s", "talk_s", "wrapup_s",
               "handle_s", "offers", "disposition", "enqueue_ms", "answer_ms", "end_ms",
               "priority", "priority_reason", "delivery", "restored_from", "callback"]
BILL_COLUMNS = ["tenant", "date", "time", "call_id", "site", "queue", "agent", "calls", "talk_s",
                "wrapup_s", "handle_s", "increments", "billed_s", "billed_min"]


def read_jsonl(paths):
    """Every line of the files as a dict, tagged with its file (_file); bad lines raise."""
    out = []
    for p in paths:
        try:
            with open(p, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        rec = json.loads(line)
                        rec["_file"] = p
                        out.append(rec)
        except FileNotFoundError:
            pass
    return out


def read_csv(chk, path):
    """The rows of a CSV CDR file as dicts; checks the header row and CRLF row ends.
    A missing or empty file is []."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if not data:
        return []
    text = data.decode("utf-8")
    chk.check(text.startswith(",".join(CSV_COLUMNS) + "\r\n"), "%s starts with the header row" % path,
              repr(text[:120]))
    chk.check(text.endswith("\r\n"), "%s: the last row ends in CRLF" % path, repr(text[-20:]))
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    chk.eq(rows[0] if rows else None, CSV_COLUMNS, "%s header" % path)
    out = []
    for i, r in enumerate(rows[1:], 2):
        if not chk.eq(len(r), len(CSV_COLUMNS), "%s row %d has every column" % (path, i)):
            continue
        if r == CSV_COLUMNS:
            chk.check(False, "%s: only one header row" % path, "row %d repeats it" % i)
            continue
        d = dict(zip(CSV_COLUMNS, r))
        d["_file"] = path
        out.append(d)
    return out


def json_as_csv_text(v):
    """The text the CSV writer puts in a field for a JSON value."""
    if v is None:
        return ""
    if v is True:
        return "true"
    if isinstance(v, float):
        return "%.3f" % v
    return str(v)


def check_csv_equals_json(chk, jrecs, crows):
    """Exactly the same records, one per call, field by field."""
    jby = {r["call_id"]: r for r in jrecs}
    cby = {r["call_id"]: r for r in crows}
    chk.eq(len(cby), len(crows), "CSV: call_ids unique")
    chk.eq(sorted(cby), sorted(jby), "the CSV files hold the calls the JSON files hold")
    for cid, j in jby.items():
        c = cby.get(cid)
        if c is None:
            continue
        diff = [(k, json_as_csv_text(j.get(k)), c[k]) for k in CSV_COLUMNS
                if json_as_csv_text(j.get(k)) != c[k]]
        chk.check(not diff, "call %s: the CSV row equals the JSON line" % cid, repr(diff[:4]))
        extra = [k for k in j if k not in CSV_COLUMNS and k != "_file"]
        chk.check(not extra, "call %s: the JSON line has no key the CSV lacks" % cid, repr(extra))


def ms_of(seconds):
    return int(round(seconds * 1000))


def secs(ms):
    return "%d.%03d" % (ms // 1000, ms % 1000)


def expected_bill(jrecs, tenant, tz, date_from, date_to):
    """The bill by the documented rule: calls of tenant an agent answered (not on-call),
    handle = handle_s, per call ceil(handle / 6 s) increments, the local date of the answer
    in zone tz within [date_from, date_to]; a call_id once (the first record). Returns
    (rows, total) as the CSV's text values."""
    zone = zoneinfo.ZoneInfo(tz)
    seen, calls = set(), []
    for r in jrecs:
        if r.get("tenant") != tenant or r["call_id"] in seen:
            continue
        seen.add(r["call_id"])
        agent = r.get("agent") or ""
        if not r.get("answer_ms") or not agent or agent.startswith("oncall:"):
            continue
        t = datetime.datetime.fromtimestamp(r["answer_ms"] / 1000, datetime.timezone.utc).astimezone(zone)
        date = t.strftime("%Y-%m-%d")
        if not date_from <= date <= date_to:
            continue
        off = int(t.utcoffset().total_seconds() // 60)
        sign = "-" if off < 0 else "+"
        hm = "%s%02d:%02d" % (sign, abs(off) // 60, abs(off) % 60)
        handle = ms_of(r["handle_s"])
        inc = math.ceil(handle / 6000)
        calls.append((r["answer_ms"], r["call_id"], {
            "tenant": tenant, "date": date, "time": t.strftime("%H:%M:%S") + hm,
            "call_id": r["call_id"], "site": r["site"], "queue": r["queue"], "agent": agent,
            "calls": 1, "talk": ms_of(r["talk_s"]), "wrapup": ms_of(r["wrapup_s"]),
            "handle": handle, "increments": inc}))
    calls.sort(key=lambda c: (c[0], c[1]))
    rows = [c[2] for c in calls]
    total = {"tenant": tenant, "date": "%s/%s" % (date_from, date_to), "time": "", "call_id": "TOTAL",
             "site": "", "queue": "", "agent": "", "calls": len(rows),
             "talk": sum(r["talk"] for r in rows), "wrapup": sum(r["wrapup"] for r in rows),
             "handle": sum(r["handle"] for r in rows), "increments": sum(r["increments"] for r in rows)}
    return [_bill_text(r) for r in rows], _bill_text(total)


def _bill_text(r):
    inc = r["increments"]
    return {"tenant": r["tenant"], "date": r["date"], "time": r["time"], "call_id": r["call_id"],
            "site": r["site"], "queue": r["queue"], "agent": r["agent"], "calls": str(r["calls"]),
            "talk_s": secs(r["talk"]), "wrapup_s": secs(r["wrapup"]), "handle_s": secs(r["handle"]),
            "increments": str(inc), "billed_s": str(inc * 6), "billed_min": "%d.%d" % (inc // 10, inc % 10)}


def billing(*args, config=None, timeout=20):
    """Runs acdctl [--config FILE] report billing ARGS; returns (exit code, stdout, stderr)."""
    argv = [h.ACDCTL] + (["--config", config] if config else []) + ["report", "billing"] + list(args)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def parse_bill(chk, text, what):
    """acdctl's billing CSV -> (rows, total) as dicts of text; checks header, CRLF, TOTAL last."""
    chk.check(text.endswith("\r\n"), "%s: rows end in CRLF" % what, repr(text[-30:]))
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not chk.check(len(rows) >= 2, "%s: a header and a total row at least" % what, repr(text[:300])):
        return [], {}
    chk.eq(rows[0], BILL_COLUMNS, "%s: header" % what)
    body = [dict(zip(BILL_COLUMNS, r)) for r in rows[1:]]
    chk.eq(body[-1].get("call_id"), "TOTAL", "%s: the last row is the total" % what)
    chk.check(all(r.get("call_id") != "TOTAL" for r in body[:-1]), "%s: one total row" % what)
    return body[:-1], body[-1]


def check_bill(chk, text, jrecs, tenant, tz, date_from, date_to, what):
    """acdctl's CSV equals the bill computed here, row by row, and its total."""
    rows, total = parse_bill(chk, text, what)
    want_rows, want_total = expected_bill(jrecs, tenant, tz, date_from, date_to)
    chk.eq(len(rows), len(want_rows), "%s: one row per billed call" % what)
    for got, want in zip(rows, want_rows):
        chk.eq(got, want, "%s: row of call %s" % (what, want["call_id"]))
    chk.eq(total, want_total, "%s: total row" % what)
    for r in rows:
        b = int(r.get("billed_s") or -1)
        chk.check(b % 6 == 0 and b >= ms_of(float(r["handle_s"])) / 1000 and b - 6 < ms_of(float(r["handle_s"])) / 1000,
                  "%s: call %s billed in 6 s increments, the least covering its handle time" % (what, r["call_id"]),
                  repr(r))
    return rows, total
