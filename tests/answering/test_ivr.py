#!/usr/bin/env python3
"""test_ivr.py - the auto-attendant routes by digits, RFC 4733 or SIP INFO.

Tenant shop: IVR entry main ("1" queue:sales, "2" queue:support, "3" menu:billing,
"0" operator; 3 s timeout, 2 retries), billing ("1" queue:billing, "0" menu:main);
operator_queue operator. One agent in each queue, all logged in.
  C1 plays dtmf_2833_2.pcap (telephone-event, PT 101) after the menu prompt: queue
     support, agent 4102 (CDR queue=support).
  C2 sends INFO dtmf-relay Signal=3, then an INFO with a junk dtmf-relay body (400, no
     digit, the menu unchanged), then Signal=1: the billing menu's "1", queue billing.
  C3 presses the invalid 7 twice, then nothing: the third failure (a timeout, 3 s after the
     second 7) sends it to the operator queue (on_timeout default).
The callers run at once; each is answered by its queue's agent and hangs up."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

MENU_TIMEOUT_S = 3
IVR = {"entry": "main", "menus": [
    {"name": "main", "prompt": "menu_main", "timeout": MENU_TIMEOUT_S, "retries": 2,
     "options": {"1": "queue:sales", "2": "queue:support", "3": "menu:billing", "0": "operator"}},
    {"name": "billing", "prompt": "menu_billing", "timeout": MENU_TIMEOUT_S, "retries": 2,
     "options": {"1": "queue:billing", "0": "menu:main"}},
]}
QUEUES = {"sales": "4101", "support": "4102", "billing": "4103", "operator": "4104"}

# name, prefix, caller_dtmf steps, queue, digits (digit, via) acdd must log, last route
CALLERS = [
    ("C1", "81", {"pcap": "2"}, "support", [("2", "rfc4733")], ("main", "queue", "support")),
    ("C2", "82", {"info1": "3", "junk": 1, "info2": "1"}, "billing",
     [("3", "info"), ("1", "info")], ("billing", "queue", "billing")),
    ("C3", "83", {"info1": "7", "info2": "7"}, "operator", [("7", "info"), ("7", "info")],
     ("main", "operator", None)),
]


def test(chk):
    tenants = [ah.tenant("shop", ["1000"], "operator", ivr=IVR, operator_queue="operator")]
    queues = [ah.queue(q, "shop") for q in QUEUES]
    agents = [ah.agent(a, [q]) for q, a in QUEUES.items()]
    site = h.new_site(chk, "ivr", agents=agents, tenants=tenants, queues=queues)
    ah.use_test_prompts(site)
    site.start()
    phones = ah.uas(site, "agents", "agent_ctx.xml", sets={"ring_ms": 200}, calls=len(CALLERS))
    site.register(list(QUEUES.values()), phones.port, chk=chk)
    chk.check(ah.wait_available(site, QUEUES.values()), "every agent available")

    callers = [ah.dtmf_caller(site, name, "1000", prefix=prefix, talk_ms=500, end="connect",
                              first_ms=1200, gap_ms=800, **steps)
               for name, prefix, steps, *_ in CALLERS]
    for c in callers:
        c.wait(40)
        c.check_ok(chk, 1)
    phones.wait(10)
    phones.check_ok(chk, len(CALLERS))

    cdrs = ah.cdr_by_caller(site.wait_cdrs(len(CALLERS), 10))
    for (name, prefix, steps, q, digits, route), c in zip(CALLERS, callers):
        cdr = cdrs.get(prefix + "1")
        if not chk.check(cdr is not None, "%s: a CDR" % name, sorted(cdrs)):
            continue
        cid = cdr.get("call_id")
        chk.eq((cdr.get("queue"), cdr.get("agent"), cdr.get("disposition")),
               (q, QUEUES[q], "answered"), "%s: CDR queue, agent, disposition" % name)
        got = [(d.get("digit"), d.get("via")) for d in ah.events(site, "ACD-DTMF", call=cid)]
        chk.eq(got, digits, "%s: the digits acdd took (ACD-DTMF)" % name)
        routes = ah.events(site, "ACD-IVR-ROUTE", call=cid)
        if chk.check(routes, "%s: an ACD-IVR-ROUTE line" % name):
            r = routes[-1]
            menu, go, target = route
            chk.eq((r.get("menu"), r.get("go")), (menu, go), "%s: routed from menu %s by %s" % (name, menu, go))
            if target:
                chk.eq(r.get("target"), target, "%s: route target" % name)
        chk.eq(len(c.log_lines("REINVITE")), 1, "%s: re-INVITEd once (to its agent)" % name)

    # C2: the junk INFO was refused and changed nothing (the next 1 was billing's, not sales').
    c2 = callers[1]
    chk.eq(c2.log_lines("JUNK"), ["JUNK status=400"], "C2: junk dtmf-relay INFO answered 400")
    # C3: the operator after the retries, i.e. after the timeout that followed the second 7.
    c3cdr = cdrs.get("831") or {}
    d3 = ah.events(site, "ACD-DTMF", call=c3cdr.get("call_id"))
    r3 = ah.events(site, "ACD-IVR-ROUTE", call=c3cdr.get("call_id"))
    if len(d3) == 2 and r3 and d3[1]["_t"] and r3[-1]["_t"]:
        waited = r3[-1]["_t"] - d3[1]["_t"]
        chk.check(waited >= MENU_TIMEOUT_S - 0.5, "C3: sent on only after a timeout following the"
                  " second invalid key (2 retries)", "%.2f s after the second 7" % waited)
    inval = [o for o in ah.sipp_records(phones, "CTX") if o.get("user") == QUEUES["sales"]]
    chk.eq(inval, [], "nobody reached sales (no stray 1 in the main menu)")

    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
