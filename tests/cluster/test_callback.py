#!/usr/bin/env python3
"""test_callback.py - a waiting caller refuses its sister's takeover and is called back
through its tenant's outbound trunk, into its original place (issue 4, ADR 0019).

Two sites a and b, no agent logged in anywhere. Tenant acme has `callback:` (a SIPp UAS
plays the carrier's trunk, trunk_callback_uas.xml); tenant beta has none. R (acme) and Q
(beta) call a and wait; later L (acme) calls b and waits. a dies (kill -9); b takes its
run over and re-INVITEs R and Q, who both answer 488 (caller_refuse_takeover.xml): two
`failed` CDRs and two restore tickets. After the tenant's delay b calls R back: an INVITE
for R's number reaches the trunk, which answers; the call waits at R's original enqueue
time, ahead of L. Then one agent registers at b: it gets the callback first, then L.
Q's tenant has no callback: nobody calls Q. Every call has exactly one CDR, all from b;
the callback's names R's failed call in restored_from and says callback: true.

With --busy the trunk answers the first callback 486 Busy Here; b tries again after the
delay (attempts: 2) and the second one is answered. With --redial the callback rings on
while R redials to b: the redial takes R's place and b CANCELs the callback (one CDR for
the redial, none for the cancelled callback)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
import takeover_steps as steps  # noqa: E402
h = cl.h

TALK_MS = 1500
DELAY_S = 1
BUSY = "--busy" in sys.argv[1:]
REDIAL = "--redial" in sys.argv[1:]
MODE = " --busy" if BUSY else " --redial" if REDIAL else ""


def test(chk):
    tenants = [h.tenant("acme", dids=("1000",), queue="main"),
               h.tenant("beta", dids=("2000",), queue="bq")]
    queues = [h.queue("main", "acme", ring_timeout=10, wrapup=1),
              h.queue("bq", "beta", ring_timeout=10, wrapup=1)]
    c = cl.Cluster(chk, n_sites=2, agents=[h.agent("3001", queues=("main", "bq"))],
                   tenants=tenants, queues=queues)
    a, b = c["a"], c["b"]
    # The carrier's trunk listens before the sites start: its port goes into the config.
    first_call = "busy" if BUSY else "ring" if REDIAL else "answer"
    trunk = b.sipp("trunk", "trunk_callback_uas.xml", uac=False, calls=2 if BUSY else 1,
                   sets={"ring_ms": 200, "first_call": first_call}, duration_ms=TALK_MS,
                   timeout_s=120)
    for s in c.sites:
        s.config["tenants"][0]["callback"] = {
            "trunk": "sip:%s:%d" % (cl.LOOPBACK, trunk.port), "delay": DELAY_S, "attempts": 2,
            "caller_id": "1000", "ring_timeout": 10}
    c.start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s; trunk UAS on %d, first call: %s" % (leader, trunk.port,
                                                                        first_call))

    # R (acme) and Q (beta) wait at a; 1 s later L (acme) waits at b.
    r1 = a.callers(name="R", scenario="caller_refuse_takeover.xml", calls=1, prefix="81",
                   send_rtp=False, timeout_s=60)
    q1 = a.callers(name="Q", scenario="caller_refuse_takeover.xml", calls=1, prefix="83",
                   did="2000", send_rtp=False, timeout_s=60)
    steps.wait_queued(chk, a, ["811", "831"], "R and Q wait at a")
    time.sleep(1.0)
    lat = b.callers(name="L", calls=1, prefix="82", talk_ms=TALK_MS, timeout_s=120)
    steps.wait_queued(chk, b, ["821"], "L waits at b")
    steps.kill_and_take_over(chk, c, 2)  # b adopts R's and Q's calls

    # Both refuse b's re-INVITE; b ends their calls and keeps their places.
    for s in (r1, q1):
        s.wait(30)
        s.check_ok(chk, 1)
    first = {}
    for x in c.cdrs():
        first.setdefault(str(x.get("caller")), []).append(x)
    for num in ("811", "831"):
        chk.eq([(x.get("_file"), x.get("disposition")) for x in first.get(num, [])], [("b", "failed")],
               "caller %s's first call: one CDR, by b, failed" % num)
    r_old = first["811"][0].get("call_id") if first.get("811") else None
    q_old = first["831"][0].get("call_id") if first.get("831") else None

    r2 = None
    if REDIAL:
        # b calls R back; while the trunk rings, R redials to b from the same number.
        rang = h.wait_for(lambda: trunk.log_records("CALLBACK"), 20, interval=0.1)
        chk.check(rang, "R's callback rings at the trunk")
        r2 = b.callers(name="R-redial", calls=1, prefix="81", talk_ms=TALK_MS, timeout_s=120)
        cancelled = h.wait_for(lambda: trunk.log_records("CANCELLED"), 10, interval=0.1)
        chk.check(cancelled, "the redial won: b CANCELled the ringing callback")
        trunk.wait(20)
        trunk.check_ok(chk, 1)
    # b calls R back through the trunk; the trunk answers and the call waits, first.
    answered = h.wait_for(lambda: cl.calls_at(b).get("811") == "queued", 20, interval=0.1)
    chk.check(answered, "R's %s waiting at b" % ("redial" if REDIAL else "callback answered"),
              repr(cl.calls_at(b)))
    st = b.status(quiet=True) or {}
    pos = {str(x.get("caller")): x.get("position") for x in st.get("calls", [])}
    chk.eq((pos.get("811"), pos.get("821")), (1, 2), "R's call is first in the queue, L second")
    logs = b.log_text().splitlines()
    starts = [l for l in logs if "ACD-CALLBACK-START" in l]
    chk.eq(len(starts), 2 if BUSY else 1, "b started the callback attempts expected")
    chk.check(all(("from=%s " % r_old) in l and "caller=811 " in l for l in starts),
              "every callback is R's, for its failed call", "\n".join(starts))
    if BUSY:
        failed = [l for l in logs if "ACD-CALLBACK-FAILED" in l]
        chk.eq(len(failed), 1, "one failed attempt")
        chk.check(failed and "status=486" in failed[0], "the first attempt failed busy", repr(failed))
        chk.check("attempt=1/2" in starts[0] and "attempt=2/2" in starts[1] if len(starts) == 2 else False,
                  "attempts 1/2 then 2/2", "\n".join(starts))
    chk.eq(len([l for l in logs if "ACD-CALLBACK-ANSWERED" in l]), 0 if REDIAL else 1,
           "ACD-CALLBACK-ANSWERED lines")
    if REDIAL:
        cancel = [l for l in logs if "ACD-CALLBACK-CANCELLED" in l]
        chk.check(len(cancel) == 1 and "reason=redial" in cancel[0], "b logged the cancel for the redial",
                  repr(cancel))
        chk.eq(len([l for l in logs if "ACD-CALL-RESTORED" in l]), 1, "b logged R's redial restored")
    chk.check(not any("caller=831" in l for l in logs if "ACD-CALLBACK" in l),
              "nobody calls Q back: beta has no callback")
    invites = trunk.log_records("CALLBACK")
    chk.eq([(x.get("user"), x.get("from")) for x in invites], [("811", "1000")] * (2 if BUSY else 1),
           "the trunk got INVITEs for R's number only, from the tenant's caller ID")
    chk.eq(len(trunk.log_records("BUSY")), 1 if BUSY else 0, "busy answers from the trunk")

    # The agent: R's call (callback or redial) first, then L.
    phone = b.agent_phones(name="phone-b", calls=2, ring_ms=100, timeout_s=120)
    b.register(["3001"], phone.port, chk=chk)
    for s in [lat] + ([r2] if r2 else []):
        s.wait(60)
        s.check_ok(chk, 1)
    if not REDIAL:
        trunk.wait(60)
        trunk.check_ok(chk, 2 if BUSY else 1)
    phone.wait(20)
    phone.check_ok(chk, 2)
    chk.eq(len(trunk.log_records("REINVITE")), 0 if REDIAL else 1,
           "the callback leg was moved to the agent (3PCC) when answered")

    cdrs = c.wait_cdrs(4, 20)
    c.check_invariants(chk, cdrs, 4)
    by = {}
    for x in cdrs:
        by.setdefault(str(x.get("caller")), []).append(x)
    cb = [x for x in by.get("811", []) if x.get("call_id") != r_old]
    later = by.get("821", [])
    chk.eq(len(cb), 1, "R's new call (callback or redial): one CDR")
    chk.eq(len(later), 1, "L: one CDR")
    chk.eq(len(by.get("831", [])), 1, "Q: its failed call's CDR only")
    if len(cb) == 1 and len(later) == 1 and first.get("811"):
        rr, ll = cb[0], later[0]
        chk.eq((rr.get("_file"), rr.get("disposition"), rr.get("agent")), ("b", "answered", "3001"),
               "R's new call answered at b by 3001")
        chk.eq((ll.get("_file"), ll.get("disposition"), ll.get("agent")), ("b", "answered", "3001"),
               "L answered at b by 3001")
        chk.eq(rr.get("restored_from"), r_old, "R's new CDR: restored_from R's failed call")
        chk.eq(rr.get("callback"), None if REDIAL else True, "R's new CDR: callback key")
        chk.check("restored_from" not in ll and "callback" not in ll, "L's CDR has neither key", repr(ll))
        chk.check("callback" not in first["811"][0], "R's failed call's CDR has no callback key")
        chk.eq(rr.get("enqueue_time"), first["811"][0].get("enqueue_time"),
               "R's new call kept its original enqueue time")
        chk.check(h.parse_time(rr["enqueue_time"]) < h.parse_time(ll["enqueue_time"]),
                  "R first entered before L")
        chk.check(h.parse_time(rr["answer_time"]) < h.parse_time(ll["answer_time"]),
                  "R's new call was answered by the agent before L",
                  "%s vs %s" % (rr.get("answer_time"), ll.get("answer_time")))
    chk.check(q_old is not None and "ACD-CALL-RESTORE-TICKET call=%s " % q_old in b.log_text(),
              "Q got a restore ticket (a redial would find its place), no callback")
    for s in c.sites:
        if s.alive():
            chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test, name="test_callback.py" + MODE)
