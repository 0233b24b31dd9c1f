#!/usr/bin/env python3
"""test_skills.py - skills-based routing and the distribution strategies (answering_skills).

One site; agents A 4001 (skills es:5, sales:2) and B 4002 (en:5, sales:5), all phones on
one SIPp UAS. Each case is a tenant with one queue:
  best match: queue sales {sales: 1}, A idle longer than B -> B (score 5 beats 2);
  qualified:  queue es_sales {es: 1, sales: 1}: E1 goes to A; E2 waits while A talks, and
              B, available all along, is never offered it (the phone sees no offer of
              es_sales to 4002) -> A takes E2 after E1 (CDR offers 1, wait >= 2 s);
  relax:      queue rel {sales: 4}, relax [{after: 3, skill: sales, level: 1}], only A a
              member (sales 2, available): offered to A only after ~3 s of waiting;
  round-robin: queue rr over 4011..4013, logged in 4013 first (so longest-idle would start
              there): 6 sequential calls go 4011, 4012, 4013, 4011, 4012, 4013;
  fewest-calls: 4021 first answers 2 calls of queue fx; 4022 logs in after that; queue fc
              {4021, 4022} gives its next 2 calls to 4022 (fewer calls), although 4021
              idled longer; status calls_handled 2 and 2 at the end."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

h = an.h


def agents_by_enqueue(cdrs, did):
    return [c.get("agent") for c in sorted((c for c in cdrs if c.get("did") == did),
                                           key=lambda c: c.get("enqueue_ms") or 0)]


def one_cdr(chk, site, number, what):
    got = an.by_caller(site.cdrs()).get(number) or []
    chk.eq(len(got), 1, "%s: one CDR" % what)
    return got[-1] if got else {}


def test(chk):
    dids = {"es_sales": "5001", "sales": "5002", "rel": "5003", "rr": "5004", "fc": "5005",
            "fx": "5006"}
    tenants = [an.tenant("t_" + q, d, q) for q, d in dids.items()]
    queues = [an.queue("es_sales", "t_es_sales", skills={"es": 1, "sales": 1}),
              an.queue("sales", "t_sales", skills={"sales": 1}),
              an.queue("rel", "t_rel", skills={"sales": 4},
                       relax=[{"after": 3, "skill": "sales", "level": 1}]),
              an.queue("rr", "t_rr", strategy="round-robin"),
              an.queue("fc", "t_fc", strategy="fewest-calls"),
              an.queue("fx", "t_fx")]
    agents = [an.agent("4001", ["es_sales", "sales", "rel"], skills={"es": 5, "sales": 2}),
              an.agent("4002", ["es_sales", "sales"], skills={"en": 5, "sales": 5}),
              an.agent("4011", ["rr"]), an.agent("4012", ["rr"]), an.agent("4013", ["rr"]),
              an.agent("4021", ["fc", "fx"]), an.agent("4022", ["fc"])]
    site = an.new_site(chk, "skills", tenants=tenants, queues=queues, agents=agents)
    site.start()
    ph = an.phone(site, "phones", calls=14)

    # best match: A logs in first and idles longer; B is the better match.
    an.login(chk, site, ["4001"], ph.port, "reg-a")
    time.sleep(1.0)
    an.login(chk, site, ["4002"], ph.port, "reg-b")
    s1 = an.caller(site, "S1", "11", did=dids["sales"])
    s1.wait(30)
    s1.check_ok(chk, 1)
    c = one_cdr(chk, site, "111", "sales call")
    chk.eq((c.get("agent"), c.get("offers")), ("4002", 1), "sales {sales:1}: B (sales 5) over A (idle longer)")

    # qualified: only A has es.
    an.wait_agent(chk, site, "4002")
    e1 = an.caller(site, "E1", "21", did=dids["es_sales"], talk_ms=3500)
    an.wait_state(chk, site, "211", "connected", 10)
    e2 = an.caller(site, "E2", "22", did=dids["es_sales"])
    an.wait_state(chk, site, "221", "queued")
    time.sleep(1.5)
    chk.eq(((an.calls(site).get("221") or {}).get("state"), cl_state(site, "4002")), ("queued", "available"),
           "E2 keeps waiting while B (no es) is available")
    for s in (e1, e2):
        s.wait(30)
        s.check_ok(chk, 1)
    for n, what in (("211", "E1"), ("221", "E2")):
        c = one_cdr(chk, site, n, what)
        chk.eq((c.get("agent"), c.get("offers")), ("4001", 1), "es_sales %s: A, first offer" % what)
    c = one_cdr(chk, site, "221", "E2")
    chk.check((c.get("wait_s") or 0) >= 2.0, "E2 waited for A", repr(c.get("wait_s")))
    chk.eq([o.get("user") for o in an.offers(ph) if o.get("tenant") == "t_es_sales"], ["4001", "4001"],
           "every es_sales offer went to A")

    # relax: sales 4 needed, A has 2; after 3 s, 1 is enough.
    an.wait_agent(chk, site, "4001")
    r1 = an.caller(site, "R1", "31", did=dids["rel"])
    time.sleep(1.5)
    chk.eq(((an.calls(site).get("311") or {}).get("state"), cl_state(site, "4001")), ("queued", "available"),
           "rel: the call waits 1.5 s in, A available but not skilled enough yet")
    r1.wait(30)
    r1.check_ok(chk, 1)
    c = one_cdr(chk, site, "311", "rel call")
    chk.eq((c.get("agent"), c.get("offers")), ("4001", 1), "rel: offered to A once relaxed")
    chk.check(2.8 <= (c.get("wait_s") or 0) <= 4.5, "rel: answered ~3 s (relax after) in", repr(c.get("wait_s")))

    # round-robin: logged in 4013, 4012, 4011 (longest-idle would start with 4013).
    for u in ("4013", "4012", "4011"):
        an.login(chk, site, [u], ph.port, "reg-" + u)
        time.sleep(0.3)
    rr = an.caller(site, "RR", "4", did=dids["rr"], talk_ms=500, calls=6)
    rr.wait(60)
    rr.check_ok(chk, 6)
    chk.eq(agents_by_enqueue(site.cdrs(), dids["rr"]), ["4011", "4012", "4013"] * 2,
           "round-robin: agents of the 6 calls in order")

    # fewest-calls: 4021 handles 2 calls of fx first, then 4022 logs in.
    an.login(chk, site, ["4021"], ph.port, "reg-4021")
    fx = an.caller(site, "FX", "5", did=dids["fx"], talk_ms=300, calls=2)
    fx.wait(30)
    fx.check_ok(chk, 2)
    an.wait_agent(chk, site, "4021")
    time.sleep(0.5)
    an.login(chk, site, ["4022"], ph.port, "reg-4022")
    for i in (1, 2):
        an.wait_agent(chk, site, "4022")
        fc = an.caller(site, "FC%d" % i, "6%d" % i, did=dids["fc"], talk_ms=300)
        fc.wait(30)
        fc.check_ok(chk, 1)
    chk.eq(agents_by_enqueue(site.cdrs(), dids["fc"]), ["4022", "4022"],
           "fewest-calls: both calls to 4022 (0, then 1 call, against 4021's 2)")
    st = site.status(quiet=True) or {}
    chk.eq({a: (h.agent_status(st, a) or {}).get("calls_handled") for a in ("4021", "4022")},
           {"4021": 2, "4022": 2}, "status calls_handled")

    ph.wait(20)
    ph.check_ok(chk, 14)
    cdrs = site.cdrs()
    chk.eq(len(cdrs), 14, "one CDR per call")
    h.check_unique_call_ids(chk, cdrs)
    h.check_no_agent_overlap(chk, cdrs)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


def cl_state(site, agent_id):
    return an.cl.agent_state(site, agent_id)


if __name__ == "__main__":
    h.run(test)
