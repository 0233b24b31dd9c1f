#!/usr/bin/env python3
"""test_sister.py - queue overflow to the sister site (answering_sister).

One etcd member, sites a and b (each the other's sister), the same configuration on both:
queue `main` (tenant sis, DID 6100) has `overflow: sister` and `max_wait: 4`; queue
`plain` (tenant pln, DID 6200) has no overflow. Agents 2001 (phone at a) and 2002 (phone
at b) serve both. The parts run in this order, each starting from the agents the one
before leaves logged in:
  (1) only 2002 is logged in, at b: a call of a in main is not offered to 2002 for 4 s
      (3.5 s after ACD-CALL-ARRIVED the call is still queued at a, 2002 available, its
      phone offered nothing; a's first ACD-AGENT-OFFER for the call comes >= 3.95 s after
      ACD-CALL-ARRIVED), then 2002 answers it: a's CDR says agent 2002, agent_site b,
      1 offer, 4 <= wait_s < 7.
  (4) control, same agents: a call of a in plain goes to 2002 at b at once (offer < 1.5 s
      after arrival, wait_s < 2).
  (2) 2001 logs in at a after 2002 has sat idle for 2 s (2002 idle longer, so longest-idle
      alone would pick it): a call of a in main goes to 2001 at once (wait_s < 2, agent
      2001, no agent_site); 2002's phone is offered nothing more.
  (3) 2002 logs out: a call of b in main, with only 2001 (at a) free, waits 4 s (still
      queued at b 3.5 s in, first ACD-AGENT-OFFER >= 3.95 s after arrival), then 2001
      answers it: b's CDR says agent 2001, agent_site a, 4 <= wait_s < 7.
The 0.05 s under 4 s is the log timestamps' rounding: the offer is due at enqueue + 4 s
and acdd logs ACD-CALL-ARRIVED just after the enqueue."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

cl = an.cl
h = an.h
MAX_WAIT = 4.0
KEPT_S = MAX_WAIT - 0.05     # earliest first offer after ACD-CALL-ARRIVED (sister queue)
PROBE_S = 3.5                # when, after arrival, the call must still be waiting
AT_ONCE_S = 1.5              # latest first offer after arrival when nothing holds the call
DIDS = {"main": "6100", "plain": "6200"}


def registrations(viewer, name):
    return cl.peer_view(viewer, name).get("registrations") or 0


def other(c, site):
    return c["b"] if site is c["a"] else c["a"]


def login(chk, c, site, agent_id, port, part):
    """Logs agent_id in at site and waits until the other site's replica counts it."""
    peer = other(c, site)
    before = registrations(peer, site.name)
    an.login(chk, site, [agent_id], port, "reg-" + agent_id)
    an.wait_agent(chk, site, agent_id, "available")
    ok = h.wait_for(lambda: registrations(peer, site.name) > before, 5)
    chk.check(ok, "%s %s sees %s's registration of %s" % (part, peer.name, site.name, agent_id),
              repr(cl.peer_view(peer, site.name)))


def logout(chk, c, site, agent_id, port, part):
    """Unregisters agent_id at site; waits until it is logged out and the peer knows."""
    peer = other(c, site)
    before = registrations(peer, site.name)
    an.unregister(site, [agent_id], port, chk, name="unreg-" + agent_id)
    ok = h.wait_for(lambda: cl.agent_state(site, agent_id) in (None, "logged-out"), 10)
    chk.check(ok, "%s %s logged out at %s" % (part, agent_id, site.name), repr(cl.agent_state(site, agent_id)))
    ok = h.wait_for(lambda: registrations(peer, site.name) < before, 5)
    chk.check(ok, "%s %s sees %s's logout of %s" % (part, peer.name, site.name, agent_id),
              repr(cl.peer_view(peer, site.name)))


def arrival(site, queue, seen):
    """The newest ACD-CALL-ARRIVED of queue at site not in seen (call ids), or None."""
    new = [e for e in an.events(site, "ACD-CALL-ARRIVED")
           if e.get("queue") == queue and e.get("call") not in seen]
    return new[-1] if new else None


def place(chk, c, site, queue, prefix, part, probe=None):
    """One caller of site into queue (number prefix + "1"); returns (caller sipp, its
    ACD-CALL-ARRIVED record). probe(number): checks made PROBE_S after arrival."""
    seen = {e.get("call") for e in an.events(site, "ACD-CALL-ARRIVED")}
    x = an.caller(site, "%s-caller" % prefix, prefix, did=DIDS[queue], talk_ms=800, timeout_s=40)
    arr = h.wait_for(lambda: arrival(site, queue, seen), 10)
    chk.check(arr, "%s %s logged ACD-CALL-ARRIVED (queue %s)" % (part, site.name, queue))
    if arr and probe:
        time.sleep(max(0.0, arr["_t"] + PROBE_S - time.time()))
        probe(prefix + "1")
    return x, arr or {}


def first_offer(site, call_id):
    """site's first ACD-AGENT-OFFER of call_id; its "site" is the agent's (the line's
    own fields, after the logging site's site= in the line's head)."""
    offers = [e for e in an.events(site, "ACD-AGENT-OFFER") if e.get("call") == call_id]
    if not offers:
        return {}
    rec = dict(offers[0])
    fields = rec["_line"].split(" id=ACD-AGENT-OFFER ", 1)[-1].split()
    rec.update(p.split("=", 1) for p in fields if "=" in p)
    return rec


def check_call(chk, site, x, arr, want, part):
    """Waits for caller x; checks site's CDR of arr's call against want: agent,
    agent_site, offers, disposition, [lo, hi) for wait_s, and the first offer's delay
    after ACD-CALL-ARRIVED in [delay_lo, delay_hi)."""
    x.wait(40)
    x.check_ok(chk, 1)
    cid = arr.get("call")
    r = h.wait_for(lambda: ([d for d in site.cdrs() if d.get("call_id") == cid] or [None])[-1], 10) or {}
    chk.eq((r.get("agent"), r.get("agent_site"), r.get("offers"), r.get("disposition")),
           (want["agent"], want["agent_site"], 1, "answered"),
           "%s %s's CDR: (agent, agent_site, offers, disposition)" % (part, site.name))
    w = r.get("wait_s")
    lo, hi = want["wait"]
    chk.check(isinstance(w, (int, float)) and lo <= w < hi,
              "%s %s's CDR: %g <= wait_s < %g" % (part, site.name, lo, hi), repr(w))
    off = first_offer(site, cid)
    chk.eq((off.get("agent"), off.get("site")), (want["agent"], want["agent_site"] or site.name),
           "%s %s's first ACD-AGENT-OFFER: (agent, the agent's site)" % (part, site.name))
    delay = off["_t"] - arr["_t"] if off.get("_t") and arr.get("_t") else None
    dlo, dhi = want["delay"]
    chk.check(delay is not None and dlo <= delay < dhi,
              "%s first offer %g..%g s after ACD-CALL-ARRIVED" % (part, dlo, dhi),
              "%r: %s / %s" % (delay, arr.get("_line"), off.get("_line")))


def still_waiting(chk, site, agent_site, agent_id, phone, n_offers, part):
    """A probe: the call is queued at site, agent_id available at agent_site, and its
    phone has still n_offers offers."""
    def probe(number):
        st = (an.calls(site).get(number) or {}).get("state")
        ag = cl.agent_state(agent_site, agent_id)
        got = len(an.offers(phone))
        chk.eq((st, ag, got), ("queued", "available", n_offers),
               "%s %.1f s in: (call at %s, %s at %s, %s's offers)" % (
                   part, PROBE_S, site.name, agent_id, agent_site.name, agent_id))
    return probe


def test(chk):
    tenants = [an.tenant("sis", DIDS["main"], "main"), an.tenant("pln", DIDS["plain"], "plain")]
    queues = [an.queue("main", "sis", overflow="sister", max_wait=int(MAX_WAIT)),
              an.queue("plain", "pln")]
    agents = [an.agent("2001", ["main", "plain"]), an.agent("2002", ["main", "plain"])]
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=agents, tenants=tenants, queues=queues)
    a, b = c["a"], c["b"]
    for s in c.sites:
        an.short_prompts(s)
    c.start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    ph_a = an.phone(a, "phone-a", calls=2, timeout_s=130)
    ph_b = an.phone(b, "phone-b", calls=2, timeout_s=130)

    # (1) a call of a, the only agent at b: kept to a for max_wait, then 2002.
    login(chk, c, b, "2002", ph_b.port, "(1)")
    x, arr = place(chk, c, a, "main", "61", "(1)", still_waiting(chk, a, b, "2002", ph_b, 0, "(1)"))
    check_call(chk, a, x, arr, {"agent": "2002", "agent_site": "b", "wait": (MAX_WAIT, 7.0),
                                "delay": (KEPT_S, 7.0)}, "(1)")

    # (4) control: the same agents, a queue without the sister overflow: 2002 at once.
    an.wait_agent(chk, b, "2002", "available")
    x, arr = place(chk, c, a, "plain", "64", "(4)")
    check_call(chk, a, x, arr, {"agent": "2002", "agent_site": "b", "wait": (0.0, 2.0),
                                "delay": (0.0, AT_ONCE_S)}, "(4)")
    ph_b.wait(15)
    ph_b.check_ok(chk, 2)
    chk.eq([o.get("user") for o in an.offers(ph_b)], ["2002", "2002"], "(1)(4) 2002's phone: two offers")

    # (2) 2002 idle longer, 2001 at a: a's call goes to 2001 at once.
    an.wait_agent(chk, b, "2002", "available")
    time.sleep(2.0)
    login(chk, c, a, "2001", ph_a.port, "(2)")
    x, arr = place(chk, c, a, "main", "62", "(2)")
    check_call(chk, a, x, arr, {"agent": "2001", "agent_site": None, "wait": (0.0, 2.0),
                                "delay": (0.0, AT_ONCE_S)}, "(2)")
    chk.eq(len(an.offers(ph_b)), 2, "(2) 2002 (idle longer, at b) was not offered a's call")

    # (3) only 2001 (at a) free: b's call waits max_wait, then 2001.
    logout(chk, c, b, "2002", ph_b.port, "(3)")
    an.wait_agent(chk, a, "2001", "available")
    x, arr = place(chk, c, b, "main", "63", "(3)", still_waiting(chk, b, a, "2001", ph_a, 1, "(3)"))
    check_call(chk, b, x, arr, {"agent": "2001", "agent_site": "a", "wait": (MAX_WAIT, 7.0),
                                "delay": (KEPT_S, 7.0)}, "(3)")
    ph_a.wait(15)
    ph_a.check_ok(chk, 2)
    chk.eq([o.get("user") for o in an.offers(ph_a)], ["2001", "2001"], "(2)(3) 2001's phone: two offers")

    cdrs = c.cdrs()
    h.check_unique_call_ids(chk, cdrs)
    h.check_no_agent_overlap(chk, cdrs)
    chk.eq(sorted((d["_file"], str(d.get("caller"))) for d in cdrs),
           [("a", "611"), ("a", "621"), ("a", "641"), ("b", "631")], "one CDR per call, by its site")


if __name__ == "__main__":
    h.run(test)
