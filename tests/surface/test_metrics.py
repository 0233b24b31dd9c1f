#!/usr/bin/env python3
"""test_metrics.py - GET /metrics of a real acdd after known calls, read back from the
Prometheus text format and checked value by value against the CDRs.

Queue main has service level 80 % within 2 s and short_abandon 1 s. Phase 1, nobody
logged in: three callers hang up after about 0.5 s (a short abandon), 3 s and 12 s;
while the 12 s caller waits alone, /metrics shows one waiting call and its wait. Phase 2:
agent 2001's phone rings 1 s; two callers arrive together: the first is answered after
~1 s (within 2 s), the second after the first call (3 s talk), the wrap-up (1 s) and the
ring (~6 s: outside). Expected: offered 5, answered 2 (1 within), abandoned 3 (1 short),
handled 2, SL 1 / (2 + 3 - 1) = 0.25, abandon buckets le=10: 2, le=20..+Inf: 3, ASA and
the histogram's sum equal to the CDRs' waits, AHT = talk + wrap-up. Also: the content
type, HELP/TYPE for every family, agents by state, occupancy consistent with the state
times, 405 for other methods, 404 below /metrics."""

import json
import math
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import prom_text as pt  # noqa: E402

RING_MS = 1000
TALK_MS = 3000
ABANDON_MS = (500, 3000, 12000)


def main_queue():
    q = h.queue("main", "acme", wrapup=1)
    q.update({"service_level": {"seconds": 2, "target": 80}, "short_abandon": 1})
    return q


class Scraper:
    """Scrapes /metrics every interval in a thread and keeps what each scrape said of a few
    series, to check what was seen while calls ran."""

    def __init__(self, port, interval=0.2):
        self.port = port
        self.seen = []
        self.errors = []
        self._stop = False
        self._t = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._t.start()

    def _run(self, interval):
        while not self._stop:
            try:
                self.seen.append(pt.metrics(self.port))
            except Exception as e:  # a broken scrape is a finding, not a crash
                self.errors.append(repr(e))
            time.sleep(interval)

    def stop(self):
        self._stop = True
        self._t.join(5)


def check_format(chk, port):
    status, ctype, body = pt.scrape(port)
    chk.eq(status, 200, "GET /metrics status")
    chk.check((ctype or "").startswith("text/plain; version=0.0.4"), "Content-Type is the 0.0.4 text format",
              repr(ctype))
    try:
        m = pt.Metrics(body)
        chk.check(True, "the exposition parses (HELP and TYPE for every family, blocks together)")
    except pt.FormatError as e:
        chk.check(False, "the exposition parses", str(e))
        return None
    types = {n: f["TYPE"] for n, f in m.families.items()}
    for n, t in types.items():
        chk.check(n.startswith("acd_"), "family %s has the acd_ prefix" % n)
        chk.check(t != "counter" or n.endswith("_total"), "counter %s ends in _total" % n)
    chk.eq(types.get("acd_abandon_wait_seconds"), "histogram", "acd_abandon_wait_seconds is a histogram")
    for l, v in [(l, v) for n, l, v in m.samples]:
        chk.check(not any(k in ("caller", "did", "number") for k in l),
                  "no caller numbers in labels", repr(l))
    status, ctype, body = pt.scrape(port, method="POST")
    chk.eq(status, 405, "POST /metrics is 405")
    try:
        chk.check("error" in json.loads(body), "the 405 has a JSON error body", body[:100])
    except ValueError:
        chk.check(False, "the 405 body is JSON", body[:100])
    status, _, body = pt.scrape(port, method="HEAD")
    chk.eq((status, body), (200, ""), "HEAD /metrics: 200 without a body")
    chk.eq(pt.scrape(port, "/metrics/extra")[0], 404, "GET /metrics/extra is 404")
    return m


def phase_abandons(chk, site):
    sc = Scraper(site.admin_port)
    callers = [site.callers("ab%d" % i, scenario="caller_abandon.xml", calls=1, talk_ms=ms, prefix="5%d" % i)
               for i, ms in enumerate(ABANDON_MS)]
    # Once the two short ones are gone, the 12 s caller waits alone.
    alone = h.wait_for(lambda: (lambda m: m if m.value("acd_calls_waiting", queue="main") == 1
                                and (m.value("acd_longest_wait_seconds", queue="main") or 0) >= 4 else None)(
        pt.metrics(site.admin_port)), 15, interval=0.2)
    chk.check(alone is not None, "while one caller waits: acd_calls_waiting 1 and its wait shown")
    t_seen = time.monotonic()
    for c in callers:
        c.wait(40)
        c.check_ok(chk, 1)
    sc.stop()
    if alone:
        longest = alone.value("acd_longest_wait_seconds", queue="main")
        chk.check(4 <= longest <= 12.5, "acd_longest_wait_seconds is the lone caller's wait so far", repr(longest))
        chk.eq(alone.value("acd_calls_abandoned_total", queue="main"), 2.0,
               "two abandons counted while the third caller waits")
    waits = [m.value("acd_calls_waiting", queue="main") for m in sc.seen]
    chk.check(max(waits or [0]) == 3, "a scrape saw all three callers waiting", repr(waits[:10]))
    chk.eq(sc.errors, [], "every scrape during the calls parsed")
    h.log("lone caller seen waiting %.1fs before the end" % (time.monotonic() - t_seen))


def phase_answers(chk, site):
    phones = site.agent_phones(calls=2, ring_ms=RING_MS)
    site.register(["2001"], phones.port, chk=chk)
    ok = h.wait_for(lambda: pt.metrics(site.admin_port).value("acd_agents", state="available") == 1, 5)
    chk.check(ok, "acd_agents{state=available} 1 after the REGISTER")
    sc = Scraper(site.admin_port)
    callers = site.callers("answered", calls=2, rate=20, talk_ms=TALK_MS, prefix="60")
    callers.wait(60)
    phones.wait(20)
    callers.check_ok(chk, 2)
    phones.check_ok(chk, 2)
    # The last wrap-up (1 s) ends: the agent is available again.
    h.wait_for(lambda: pt.metrics(site.admin_port).value("acd_agents", state="available") == 1, 5)
    sc.stop()
    states = set()
    for m in sc.seen:
        for s in ("ringing", "on-call", "wrap-up"):
            if m.value("acd_agents", state=s) == 1:
                states.add(s)
    chk.eq(states, {"ringing", "on-call", "wrap-up"}, "scrapes saw the agent ringing, on a call and in wrap-up")
    chk.eq(sc.errors, [], "every scrape during the calls parsed")


def check_final(chk, site, m):
    cdrs = site.wait_cdrs(5, 10)
    chk.eq(len(cdrs), 5, "five CDRs")
    answered = [c for c in cdrs if c.get("disposition") == "answered"]
    abandoned = [c for c in cdrs if c.get("disposition") == "abandoned"]
    chk.eq((len(answered), len(abandoned)), (2, 3), "two answered and three abandoned CDRs")
    q = {"site": "metrics", "tenant": "acme", "queue": "main"}
    v = lambda name: m.value(name, **q)  # noqa: E731
    chk.eq(v("acd_calls_offered_total"), 5.0, "offered")
    chk.eq(v("acd_calls_answered_total"), 2.0, "answered")
    in_sl = sum(1 for c in answered if c["wait_s"] <= 2.0)
    chk.eq(in_sl, 1, "the CDRs: one answer within 2 s")
    chk.eq(v("acd_calls_answered_in_sl_total"), float(in_sl), "answered within the threshold")
    chk.eq(v("acd_calls_abandoned_total"), 3.0, "abandoned")
    short = sum(1 for c in abandoned if c["wait_s"] < 1.0)
    chk.eq(short, 1, "the CDRs: one abandon shorter than 1 s")
    chk.eq(v("acd_calls_abandoned_short_total"), float(short), "short abandons")
    chk.eq(v("acd_calls_handled_total"), 2.0, "handled")
    chk.eq(v("acd_calls_overflowed_total"), 0.0, "overflowed")
    chk.eq(v("acd_calls_waiting"), 0.0, "nobody waits at the end")
    chk.eq(v("acd_longest_wait_seconds"), 0.0, "longest wait 0 at the end")

    # The abandon histogram: cumulative buckets from the CDRs' waits.
    for le in ("10", "20", "30", "60", "90", "120", "+Inf"):
        want = sum(1 for c in abandoned if le == "+Inf" or c["wait_s"] <= float(le))
        chk.eq(m.value("acd_abandon_wait_seconds_bucket", le=le, **q), float(want), "abandon bucket le=%s" % le)
    chk.eq(m.value("acd_abandon_wait_seconds_count", **q), 3.0, "abandon histogram count")
    wsum = sum(c["wait_s"] for c in abandoned)
    chk.check(pt.close(m.value("acd_abandon_wait_seconds_sum", **q), wsum, 0.005),
              "abandon histogram sum = the CDRs' waits", "%r vs %r" % (m.value("acd_abandon_wait_seconds_sum", **q), wsum))

    # Derived figures.
    chk.eq(v("acd_service_level_ratio"), 0.25, "service level 1 / (2 + 3 - 1)")
    chk.eq(v("acd_service_level_target_ratio"), 0.8, "service level target")
    chk.eq(v("acd_service_level_threshold_seconds"), 2.0, "service level threshold")
    asa = sum(c["wait_s"] for c in answered) / 2
    chk.check(pt.close(v("acd_asa_seconds"), asa, 0.005), "ASA = mean wait of answered CDRs",
              "%r vs %r" % (v("acd_asa_seconds"), asa))
    chk.check(pt.close(v("acd_answer_wait_seconds_total"), 2 * asa, 0.005), "answer wait sum")
    talk = sum(c["talk_s"] for c in answered)
    aht = v("acd_aht_seconds")
    chk.check(pt.close(aht, talk / 2 + 1.0, 0.3), "AHT = talk + 1 s wrap-up per call",
              "%r vs %r" % (aht, talk / 2 + 1.0))
    chk.check(pt.close(v("acd_handle_seconds_total"), 2 * aht, 1e-6), "handle seconds = AHT x handled")
    chk.eq(v("acd_abandon_ratio"), 0.6, "abandon ratio 3 / 5")

    # Agents.
    chk.eq(m.value("acd_agents", site="metrics", state="available"), 1.0, "agents available")
    chk.eq(sum(x for _, x in m.find("acd_agents", site="metrics")), 1.0, "one agent over all states")
    st = {l["state"]: x for l, x in m.find("acd_agent_state_seconds_total", site="metrics", agent="2001")}
    chk.check(pt.close(st.get("on-call"), talk, 0.3), "agent on-call seconds = the CDRs' talk",
              "%r vs %r" % (st.get("on-call"), talk))
    chk.check(pt.close(st.get("ringing"), 2 * RING_MS / 1000, 0.4), "agent ringing seconds ~ two rings",
              repr(st.get("ringing")))
    chk.check(pt.close(st.get("wrap-up"), 2.0, 0.3), "agent wrap-up seconds ~ two wrap-ups", repr(st.get("wrap-up")))
    handling = st.get("ringing", 0) + st.get("on-call", 0) + st.get("wrap-up", 0)
    occ = m.value("acd_agent_occupancy_ratio", site="metrics")
    want = handling / (handling + st.get("available", 0))
    chk.check(pt.close(occ, want, 0.01), "occupancy = handling / (handling + available), pauses out",
              "%r vs %r" % (occ, want))

    # Basics; no cluster series on a site alone.
    chk.eq(len(m.find("acd_build_info", site="metrics")), 1, "acd_build_info")
    chk.check((m.value("acd_start_time_seconds", site="metrics") or 0) > 1.6e9, "start time is Unix time")
    chk.eq(m.find("acd_leader"), [], "no acd_leader without a cluster")


def test(chk):
    site = h.new_site(chk, "metrics", agents=[h.agent("2001")], tenants=[h.tenant("acme", ["1000"], "main")],
                      queues=[main_queue()])
    site.start()
    m0 = check_format(chk, site.admin_port)
    if m0:
        chk.eq(m0.value("acd_calls_offered_total", queue="main"), 0.0, "offered 0 before any call")
        chk.check(math.isnan(m0.value("acd_service_level_ratio", queue="main")), "SL NaN before any call")
        chk.eq(m0.value("acd_agents", state="logged-out"), 1.0, "the agent is logged out before REGISTER")
    phase_abandons(chk, site)
    phase_answers(chk, site)
    check_final(chk, site, pt.metrics(site.admin_port))
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
