#!/usr/bin/env python3
"""test_cdr_cluster.py - three sites and real etcd: exactly one CDR per customer call across
every site's files, JSON and CSV, whatever sites and legs the call crossed, and a bill over
several sites' files that counts each call once.

  W enters site a and is answered by 3002, the agent whose phone is registered at b: a
    writes W's one record, naming b as the agent's site.
  Z and X enter a and are connected there, one to 3001 (registered at a) and one to 3002
    (at b); then a is killed (SIGKILL). Its sister b takes both calls over (target
    refreshes to the legs) and writes their records when the callers hang up: their
    answer time is still the one at a, their talk time spans the takeover.
Then: 3 records in all the JSON files and 3 in all the CSV files, unique call ids, each
CSV row equal to its JSON line, W in a's files only, Z and X in b's only, c's empty; and
`acdctl report billing` over a's, b's and c's files (a's twice) bills the 3 calls once
each, exactly as computed here from the records.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
sys.path.insert(0, HERE)
import cluster as cl  # noqa: E402
import cdr_check as cc  # noqa: E402
h = cl.h

TZ = "Europe/Madrid"


def csv_on(c):
    for s in c.sites:
        s.csv_path = os.path.join(s.dir, "cdr.csv")
        s.config["cdr"]["csv_path"] = s.csv_path


def cross_site_call(chk, c):
    """W: enters a, answered by b's agent 3002."""
    a = c["a"]
    ok = h.wait_for(lambda: cl.peer_view(a, "b").get("registrations") == 1, 5)
    chk.check(ok, "a has b's registration of 3002", repr(cl.peer_view(a, "b")))
    w = a.callers(name="W", calls=1, talk_ms=1500, prefix="70")
    w.wait(40)
    w.check_ok(chk, 1)
    chk.check(h.wait_for(lambda: len(a.cdrs()) == 1, 10), "a wrote W's record")
    chk.check(h.wait_for(lambda: cl.agent_state(c["b"], "3002") == "available", 10),
              "3002 available again after W")


def takeover_calls(chk, c):
    """Z and X connected at a, then a killed; b takes them over. Returns the callers."""
    a, b = c["a"], c["b"]
    phone_a = a.agent_phones(name="phone-a", scenario="agent_uas_takeover.xml", calls=1, ring_ms=100,
                             timeout_s=120)
    a.register(["3001"], phone_a.port, chk=chk)
    chk.check(h.wait_for(lambda: cl.agent_state(a, "3001") == "available", 5), "3001 available at a")
    callers = []
    for name, prefix, talk in (("Z", "71", 6000), ("X", "72", 3500)):
        s = a.callers(name=name, scenario="caller_takeover.xml", calls=1, talk_ms=talk, prefix=prefix,
                      timeout_s=120)
        callers.append(s)
        chk.check(h.wait_for(lambda: cl.calls_at(a).get(prefix + "1") == "connected", 10),
                  "%s connected at a" % name, repr(cl.calls_at(a)))
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("dialogs") == 4 and cl.peer_view(b, "a").get("calls") == 2, 5)
    chk.check(ok, "b holds a's 2 calls and 4 dialogs before the kill", repr(cl.peer_view(b, "a")))
    a.kill()
    h.log("killed site a")
    took = h.wait_for(lambda: [t for t in (b.cluster_status() or {}).get("takeovers", []) if t.get("dark") == "a"],
                      15, interval=0.1)
    chk.check(took, "b took a's run over", repr(b.cluster_status()))
    for s in callers:
        s.wait(60)
        s.check_ok(chk, 1)
    phone_a.wait(20)
    phone_a.check_ok(chk, 1)
    return callers


def check_records(chk, c):
    jrecs, crows = [], []
    for s in c.sites:
        j = cc.read_jsonl([s.cdr_path])
        r = cc.read_csv(chk, s.csv_path)
        chk.eq(len(r), len(j), "site %s: as many CSV records as JSON lines" % s.name)
        cc.check_csv_equals_json(chk, j, r)
        jrecs += j
        crows += r
    chk.eq(len(jrecs), 3, "exactly one JSON record per customer call across all sites (3)")
    chk.eq(len(crows), 3, "exactly one CSV record per customer call across all sites (3)")
    h.check_unique_call_ids(chk, jrecs)
    h.check_unique_call_ids(chk, crows)
    for r in jrecs:
        h.check_cdr_shape(chk, r, r["site"])
    by = {r["caller"]: r for r in jrecs}
    site_of = {s.cdr_path: s.name for s in c.sites}
    w = by.get("701") or {}
    chk.eq((site_of.get(w.get("_file")), w.get("site"), w.get("disposition"), w.get("agent"), w.get("agent_site")),
           ("a", "a", "answered", "3002", "b"), "W: one record, by a, answered by b's agent 3002")
    for who, talk in (("711", 6.0), ("721", 3.5)):
        r = by.get(who) or {}
        chk.eq((site_of.get(r.get("_file")), r.get("site"), r.get("disposition")), ("b", "b", "answered"),
               "call from %s: taken over, one record, by b" % who)
        chk.check((r.get("talk_s") or 0) >= talk - 0.5, "call from %s: its talk time spans the takeover" % who,
                  repr(r.get("talk_s")))
        chk.check(r.get("call_id", "").startswith("a-"), "call from %s keeps a's call id" % who,
                  repr(r.get("call_id")))
    for r in jrecs:
        chk.eq(cc.ms_of(r["handle_s"]), cc.ms_of(r["talk_s"]) + cc.ms_of(r["wrapup_s"]),
               "call %s: handle = talk + wrap-up" % r["call_id"])
        chk.eq(r["wrapup_s"], 1.0, "call %s: the queue's 1 s wrap-up" % r["call_id"])
    chk.eq(cc.read_jsonl([c["c"].cdr_path]), [], "c wrote no record")
    return jrecs


def check_bill(chk, c, jrecs):
    zone_dates = sorted(cc.expected_bill(jrecs, "acme", TZ, "1970-01-01", "9999-12-31")[0],
                        key=lambda r: r["date"])
    d0, d1 = zone_dates[0]["date"], zone_dates[-1]["date"]
    files = [c["a"].cdr_path, c["b"].cdr_path, c["c"].cdr_path, c["a"].cdr_path]
    args = ["--tenant", "acme", "--from", d0, "--to", d1] + sum((["--cdr", f] for f in files), [])
    rc, out, err = cc.billing(*args, config=c["b"].config_path)
    chk.eq(rc, 0, "billing over every site's file exits 0")
    chk.check("1 duplicate record(s)" in err, "a's file given twice: W counted once", err)
    rows, total = cc.check_bill(chk, out, jrecs, "acme", TZ, d0, d1, "the cluster's bill")
    chk.eq(sorted(r["call_id"] for r in rows), sorted(r["call_id"] for r in jrecs), "each call billed once")
    chk.eq(total.get("calls"), "3", "the total counts 3 calls")


def test(chk):
    acme = h.tenant("acme", ["1000"], "main")
    acme["timezone"] = TZ
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1)]
    c = cl.Cluster(chk, agents=[h.agent("3001"), h.agent("3002")], tenants=[acme], queues=queues)
    csv_on(c)
    c.start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s" % leader)
    b = c["b"]
    phone_b = b.agent_phones(name="phone-b", scenario="agent_uas_takeover.xml", calls=2, ring_ms=100,
                             timeout_s=150)
    b.register(["3002"], phone_b.port, chk=chk)
    cross_site_call(chk, c)  # 3002 then idles longer than 3001 will: Z goes to it, X to 3001
    takeover_calls(chk, c)
    phone_b.wait(20)
    phone_b.check_ok(chk, 2)
    h.wait_for(lambda: len(c.cdrs()) >= 3, 10)
    jrecs = check_records(chk, c)
    check_bill(chk, c, jrecs)
    for s in c.sites:
        if s.alive():
            chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
