#!/usr/bin/env python3
"""test_vhold.py - virtual hold: a waiting caller asks to be called back (answering_vhold).

One site, no agent logged in at first. Tenants acme (queue main) and beta (queue bq), both
with callback_offer and a callback trunk, each trunk a SIPp UAS playing the customer.
  acme: V waits in main and presses 1 as RFC 4733 events (SIPp plays dtmf_2833_1.pcap):
      acdd logs ACD-DTMF via=rfc4733 and ACD-VHOLD, and sends V a BYE; `acdctl status`
      still lists V's call, queued. Agent 3001 logs in: its phone gets the INVITE with
      X-ACD-Delivery: callback; it answers; the customer UAS gets INVITE
      sip:<V's number>@127.0.0.1:<port> whose SDP is the agent's media port, From the
      tenant's caller_id, and answers; the agent's ACK carries the customer's media port.
      The customer hangs up, acdd BYEs the agent; one CDR, answered by 3001.
  beta: W presses 1 by SIP INFO (dtmf-relay). Agent 3002 logs in; the customer answers the
      first attempt 486: ACD-OUTCALL-FAILED attempt=1/2, a CDR failed; callback.delay (1 s)
      later a second attempt is offered to 3002 again, the customer answers, bridged:
      ACD-OUTCALL-CONNECTED attempt=2, a CDR answered."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

h = an.h
DELAY_S = 1


def callback_cfg(trunk, caller_id):
    return {"trunk": "sip:%s:%d" % (h.LOOPBACK, trunk.port), "caller_id": caller_id,
            "delay": DELAY_S, "attempts": 2, "ring_timeout": 10}


def take_callback(chk, site, sipp, number, via):
    """The caller pressed 1; checks the DTMF, the vhold log, the BYE and the queued call."""
    sipp.wait(30)
    sipp.check_ok(chk, 1)
    chk.eq(len(sipp.log_records("BYE_IN")), 1, "%s: acdd let the caller go (BYE)" % number)
    st = an.calls(site).get(number) or {}
    chk.eq(st.get("state"), "queued", "%s: the call stays queued in acdctl status after the BYE" % number)
    cid = st.get("id")
    dt = [e for e in an.events(site, "ACD-DTMF") if e.get("call") == cid]
    chk.eq([(e.get("digit"), e.get("via")) for e in dt][:1], [("1", via)], "%s: acdd heard 1 via %s" % (number, via))
    chk.eq(len([e for e in an.events(site, "ACD-VHOLD") if e.get("call") == cid]), 1,
           "%s: ACD-VHOLD logged" % number)
    return cid


def test(chk):
    tenants = [an.tenant("acme", "1000", "main"), an.tenant("beta", "2000", "bq")]
    queues = [an.queue("main", "acme", callback_offer=True, join_empty=True),
              an.queue("bq", "beta", callback_offer=True, join_empty=True)]
    agents = [an.agent("3001", ["main"]), an.agent("3002", ["bq"])]
    site = an.new_site(chk, "vhold", tenants=tenants, queues=queues, agents=agents)
    cust_a = an.customer(site, "cust-acme", calls=1, talk_ms=1500)
    cust_b = an.customer(site, "cust-beta", calls=2, first_call="busy", talk_ms=1500)
    site.config["tenants"][0]["callback"] = callback_cfg(cust_a, "1000")
    site.config["tenants"][1]["callback"] = callback_cfg(cust_b, "2000")
    site.start()
    ph = an.phone(site, "phones", calls=3)

    # acme: RFC 4733 key 1, then the agent logs in.
    v = an.caller(site, "V", "81", did="1000", dtmf=1, via="rfc4733", dtmf_ms=1200)
    vid = take_callback(chk, site, v, "811", "rfc4733")
    time.sleep(0.5)
    chk.eq((an.calls(site).get("811") or {}).get("state"), "queued", "811 still queued 0.5 s after its BYE")
    an.login(chk, site, ["3001"], ph.port, "reg-3001")
    cust_a.wait(40)
    cust_a.check_ok(chk, 1)
    got = cust_a.log_records("CUSTOMER")
    chk.eq([(g.get("user"), g.get("from"), g.get("sdp"), g.get("delivery"), g.get("acd")) for g in got],
           [("811", "1000", str(ph.media_port), "callback", vid)],
           "customer INVITE: (number, From, SDP port = agent's media, delivery, call)")
    h.wait_for(lambda: len(ph.log_records("ACK")) >= 1, 5)
    off = an.offers(ph)
    chk.eq([(o.get("user"), o.get("delivery"), o.get("acd")) for o in off], [("3001", "callback", vid)],
           "agent INVITE: 3001, X-ACD-Delivery callback, X-ACD-Call")
    chk.eq([(a.get("user"), a.get("port")) for a in an.acks(ph)], [("3001", str(cust_a.media_port))],
           "agent ACK carries the customer's media port")
    cd = site.wait_cdrs(1, 10)
    chk.eq([(c.get("call_id"), c.get("caller"), c.get("agent"), c.get("disposition")) for c in cd],
           [(vid, "811", "3001", "answered")], "acme: one CDR, the callback answered by 3001")
    chk.eq([e.get("attempt") for e in an.events(site, "ACD-OUTCALL-CONNECTED") if e.get("call") == vid],
           ["1"], "acme: connected at the first attempt")

    # beta: INFO key 1, the customer is busy at the first attempt.
    w = an.caller(site, "W", "82", did="2000", dtmf=1, via="info", dtmf_ms=1000)
    wid = take_callback(chk, site, w, "821", "info")
    an.login(chk, site, ["3002"], ph.port, "reg-3002")
    cust_b.wait(60)
    cust_b.check_ok(chk, 2)
    chk.eq(len(cust_b.log_records("BUSY")), 1, "beta: the customer was busy once")
    got = cust_b.log_records("CUSTOMER")
    chk.eq([(g.get("user"), g.get("from"), g.get("delivery")) for g in got], [("821", "2000", "callback")] * 2,
           "beta: two customer INVITEs for W's number")
    failed = [e for e in an.events(site, "ACD-OUTCALL-FAILED") if e.get("number") == "821"]
    chk.eq([e.get("attempt") for e in failed], ["1/2"], "beta: attempt 1/2 failed")
    dials = [e for e in an.events(site, "ACD-OUTCALL-DIAL") if e.get("number") == "821"]
    chk.eq([e.get("attempt") for e in dials], ["1", "2"], "beta: two dials")
    if failed and len(dials) == 2 and failed[0].get("_t") and dials[1].get("_t"):
        gap = dials[1]["_t"] - failed[0]["_t"]
        chk.check(gap >= DELAY_S - 0.05, "beta: the retry waited callback.delay", "%.2f s" % gap)
    conn = [e for e in an.events(site, "ACD-OUTCALL-CONNECTED") if e.get("number") == "821"]
    chk.eq([e.get("attempt") for e in conn], ["2"], "beta: connected at attempt 2")
    ph.wait(20)
    ph.check_ok(chk, 3)
    chk.eq([(o.get("user"), o.get("delivery")) for o in an.offers(ph)][1:],
           [("3002", "callback")] * 2, "beta: 3002 offered both attempts as callbacks")
    cd = [c for c in site.wait_cdrs(3, 10) if c.get("caller") == "821"]
    cd.sort(key=lambda c: c.get("end_ms") or 0)
    chk.eq([c.get("disposition") for c in cd], ["failed", "answered"], "beta: CDRs of the two attempts")
    chk.eq(cd[-1].get("agent") if cd else None, "3002", "beta: the second attempt answered by 3002")
    chk.check(cd and cd[0].get("call_id") == wid, "beta: the failed attempt is W's call", repr(cd))
    chk.eq(len(site.cdrs()), 3, "three CDRs in all")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
