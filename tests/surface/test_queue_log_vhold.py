#!/usr/bin/env python3
"""test_queue_log_vhold.py - virtual hold in the queue_log: EXITWITHKEY, then the same call
enters again and is told to its end (ADR 0026).

One site, a tenant with a callback trunk (a SIPp UAS playing the customer) and a queue with
callback_offer. Caller V waits with no agent logged in and presses 1 (SIP INFO): acdd lets
V go and keeps the call's place. Agent 3001 logs in, is offered the callback, answers; the
customer is called and answers, then hangs up. The queue_log says, under V's call id (the
CDR's): DID, ENTERQUEUE, EXITWITHKEY(1|1|1|waittime) and ENTERQUEUE again at once, CONNECT,
COMPLETECALLER, every field against the CDR.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "answering2"))
import answering as an  # noqa: E402
import queue_log_lines as ql  # noqa: E402

h = an.h


def test(chk):
    site = an.new_site(chk, "vq", tenants=[an.tenant("acme", "1000", "main")],
                       queues=[an.queue("main", "acme", callback_offer=True, join_empty=True)],
                       agents=[an.agent("3001", ["main"])])
    cust = an.customer(site, "cust", calls=1, talk_ms=1500)
    site.config["tenants"][0]["callback"] = {"trunk": "sip:%s:%d" % (h.LOOPBACK, cust.port),
                                             "caller_id": "1000", "delay": 1, "attempts": 1,
                                             "ring_timeout": 10}
    qpath = os.path.join(site.dir, "queue_log-vq")
    t0 = time.time()
    site.start()
    ph = an.phone(site, "phone", calls=1)

    v = an.caller(site, "V", "81", did="1000", dtmf=1, via="info", dtmf_ms=1200)
    v.wait(30)
    v.check_ok(chk, 1)
    ql.wait_lines(qpath, lambda ls: any("|EXITWITHKEY|" in l for l in ls))
    an.login(chk, site, ["3001"], ph.port, "reg-3001")
    cust.wait(40)
    cust.check_ok(chk, 1)
    cdrs = site.wait_cdrs(1, 10)
    ql.wait_lines(qpath, lambda ls: any("|COMPLETECALLER|" in l for l in ls))
    t1 = time.time()

    lines = ql.parse(chk, ql.read(qpath), "queue_log-vq")
    ql.check_window(chk, lines, t0, t1)
    chk.eq(len(cdrs), 1, "one CDR")
    if len(cdrs) != 1:
        return
    c = cdrs[0]
    chk.eq((c.get("caller"), c.get("delivery"), c.get("agent")), ("811", "callback", "3001"),
           "the CDR: V's call, a callback, answered by 3001")
    calls = ql.by_callid(lines)
    ls = calls.get(c["call_id"], [])
    chk.eq([l.event for l in ls],
           ["DID", "ENTERQUEUE", "EXITWITHKEY", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"],
           "V's events, under the CDR's call id")
    chk.eq(sorted(k for k in calls if k != "NONE"), [c["call_id"]], "no other call in the log")
    if len(ls) == 6:
        ql.check_entry(chk, ls, c, "main")
        key, again = ls[2], ls[3]
        chk.eq((key.queue, key.agent, key.data),
               ("main", "NONE", ["1", "1", "1", str(key.epoch - ql.secs(c["enqueue_ms"]))]),
               "%s: EXITWITHKEY(key|position|origposition|waittime)" % key.where)
        chk.eq((again.queue, again.agent, again.data, again.epoch),
               ("main", "NONE", ["", "811", "1"], key.epoch),
               "%s: the call enters again at once, in its place" % again.where)
        ql.check_connected(chk, ls[4], ls[5], c, "main", "3001", "COMPLETECALLER", 1)
    sess = [(l.agent, l.event) for l in lines if l.callid == "NONE" and l.event != "QUEUESTART"]
    chk.eq(sess, [("Agent/3001", "AGENTLOGIN")], "3001's login")
    ph.wait(20)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
