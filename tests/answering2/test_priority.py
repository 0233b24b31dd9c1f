#!/usr/bin/env python3
"""test_priority.py - who is served first when one agent is busy (answering_priority).

One site, four tenants, each with one queue and one agent, all phones on one SIPp UAS.
In each phase a first caller keeps the queue's only agent talking while two more wait;
the later of the two must be connected first:
  vip:     a normal caller, then a caller on the tenant's vip list (priority vip_priority
           10 in `acdctl status`, position 1) -> the VIP is answered first (CDR answer_ms);
  redial:  X waits and hangs up (abandoned), E queues, X calls again within
           abandon_window -> X gets redial_priority 5 and is answered before E;
  stale:   on a tenant with abandon_window 2, Y abandons, E2 queues, Y calls again 3 s
           after hanging up -> priority 0, behind E2, answered after it;
  urgent:  an IVR whose key 1 is queue:dq and key 2 queue:dq!urgent (SIP INFO digits):
           the caller who pressed 2 gets a higher priority and is answered first.
Every caller completes its SIPp scenario; one CDR per call."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

h = an.h
TALK_LONG = 7000


# (name, did, occupier, abandoner (prefix, wait ms) or None, first, second, keys of the
#  first and second caller (None: no IVR), seconds between the abandon and the second
#  caller, {number: (priority, position)} once both wait, second answered first?)
PHASES = [
    ("vip", "1000", "51", None, "52", "7700", (None, None), 0, {"521": (0, 2), "77001": (10, 1)}, True),
    ("redial", "2000", "53", ("54", 1500), "55", "54", (None, None), 0, {"551": (0, 2), "541": (5, 1)}, True),
    ("stale", "3000", "56", ("57", 800), "58", "57", (None, None), 3.2, {"581": (0, 1), "571": (0, 2)}, False),
    ("urgent", "4000", "59", None, "60", "61", (1, 2), 0, {"601": (0, 2), "611": (100, 1)}, True),
]


def priorities(site, numbers):
    c = an.calls(site)
    return {n: ((c.get(n) or {}).get("priority"), (c.get(n) or {}).get("position")) for n in numbers}


def run_phase(chk, site, sipps, phase):
    """Runs one row of PHASES; returns (first number, second number, second answered first)."""
    name, did, occ, abandon, first, second, keys, hold_s, want, second_first = phase
    # The occupier presses the first key too: through the IVR when the tenant has one.
    sipps.append(an.caller(site, "F" + occ, occ, did=did, talk_ms=TALK_LONG, dtmf=keys[0]))
    an.wait_state(chk, site, occ + "1", "connected", 15)
    gone = time.monotonic()
    if abandon:
        x = an.abandoner(site, "X" + abandon[0], abandon[0], did=did, wait_ms=abandon[1])
        an.wait_state(chk, site, abandon[0] + "1", "queued")
        x.wait(20)
        x.check_ok(chk, 1)
        gone = time.monotonic()
    for prefix, key in ((first, keys[0]), (second, keys[1])):
        if prefix == second:
            time.sleep(max(0.3, gone + hold_s - time.monotonic()))
        sipps.append(an.caller(site, name + prefix, prefix, did=did, dtmf=key))
        an.wait_state(chk, site, prefix + "1", "queued")
    nums = [first + "1", second + "1"]
    chk.eq(priorities(site, nums), want, "%s: (priority, position) of the two waiting callers" % name)
    return nums[0], nums[1], second_first


def test(chk):
    menu = {"name": "m", "prompt": "menu_main", "timeout": 5, "retries": 1,
            "options": {"1": "queue:dq", "2": "queue:dq!urgent"}}
    tenants = [an.tenant("acme", "1000", "main", vip=["77001"]),
               an.tenant("gamma", "2000", "gq", abandon_window=60),
               an.tenant("beta", "3000", "bq", abandon_window=2),
               an.tenant("delta", "4000", "dq", ivr={"entry": "m", "menus": [menu]})]
    queues = [an.queue("main", "acme"), an.queue("gq", "gamma"), an.queue("bq", "beta"),
              an.queue("dq", "delta")]
    agents = [an.agent("3001", ["main"]), an.agent("3002", ["gq"]), an.agent("3003", ["bq"]),
              an.agent("3004", ["dq"])]
    site = an.new_site(chk, "prio", tenants=tenants, queues=queues, agents=agents)
    site.start()
    ph = an.phone(site, "phones", calls=12)
    an.login(chk, site, ["3001", "3002", "3003", "3004"], ph.port, "register")

    sipps = []
    pairs = [(p[0], run_phase(chk, site, sipps, p)) for p in PHASES]
    cdrs = an.finish(chk, site, sipps, ph, 12, 14)
    by = an.by_caller(cdrs)
    for n in ("541", "571"):
        chk.eq([c.get("disposition") for c in by.get(n, [])], ["abandoned", "answered"],
               "caller %s: abandoned, then answered" % n)
    for name, (first_in, second_in, second_first) in pairs:
        # first_in arrived (this time) before second_in; priority decides who goes first.
        want = [second_in, first_in] if second_first else [first_in, second_in]
        chk.eq(an.answered_order(cdrs, {first_in, second_in}), want, "%s: order of answers" % name)
        for n in (first_in, second_in):
            last = (by.get(n) or [{}])[-1]
            chk.eq((last.get("disposition"), last.get("offers")), ("answered", 1),
                   "%s: caller %s answered at the first offer" % (name, n))
    routes = an.events(site, "ACD-IVR-ROUTE")
    chk.eq(sorted(r.get("target") for r in routes), ["dq", "dq", "dq"], "IVR routes to dq")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
