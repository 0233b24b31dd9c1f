#!/usr/bin/env python3
"""test_outbound.py - outbound calls placed through the admin API (answering_outbound).

One site; tenant acme has a callback trunk (a SIPp UAS playing the customer), tenant beta
has none; agent 3001 (queue main) is logged in.
  POST /v1/tenants/acme/outbound {"number": "+15550001"} -> 202 {"call": id}; the agent's
  phone gets the INVITE with X-ACD-Delivery: outbound and X-ACD-Call: id, answers; the
  customer gets INVITE sip:+15550001@127.0.0.1:<port> with the agent's SDP, From the
  tenant's caller_id, answers; the agent's ACK carries the customer's SDP; the customer
  hangs up, acdd BYEs the agent; one CDR (call id, caller +15550001, agent 3001, answered).
  Then refused, each with {"error": text} and no call placed: number "abc", "" or "1+5" (400),
  a body that is not a JSON object (400), priority 101 (400), an unknown tenant (404),
  beta without a trunk (409), GET (405)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

h = an.h
NUMBER = "+15550001"


def test(chk):
    tenants = [an.tenant("acme", "1000", "main"), an.tenant("beta", "2000", "bq")]
    queues = [an.queue("main", "acme"), an.queue("bq", "beta")]
    site = an.new_site(chk, "outb", tenants=tenants, queues=queues,
                       agents=[an.agent("3001", ["main"])])
    cust = an.customer(site, "customer", calls=1, talk_ms=1500)
    site.config["tenants"][0]["callback"] = {"trunk": "sip:%s:%d" % (h.LOOPBACK, cust.port),
                                             "caller_id": "1000", "delay": 1, "attempts": 1,
                                             "ring_timeout": 10}
    site.start()

    ph = an.phone(site, "phones", calls=1)
    an.login(chk, site, ["3001"], ph.port, "register")
    status, doc = an.api(site, "POST", "/v1/tenants/acme/outbound", {"number": NUMBER})
    chk.eq(status, 202, "POST outbound -> 202")
    cid = doc.get("call") if isinstance(doc, dict) else None
    chk.check(isinstance(cid, str) and cid, "202 names the call", repr(doc))
    cust.wait(40)
    ph.wait(20)
    cust.check_ok(chk, 1)
    ph.check_ok(chk, 1)
    chk.eq([(o.get("user"), o.get("delivery"), o.get("acd"), o.get("tenant")) for o in an.offers(ph)],
           [("3001", "outbound", cid, "acme")], "agent INVITE: X-ACD-Delivery outbound, X-ACD-Call")
    chk.eq([(g.get("user"), g.get("from"), g.get("sdp"), g.get("delivery"))
            for g in cust.log_records("CUSTOMER")],
           [(NUMBER, "1000", str(ph.media_port), "outbound")],
           "customer INVITE: (number, From caller_id, SDP = agent's media port, delivery)")
    chk.eq([a.get("port") for a in an.acks(ph)], [str(cust.media_port)], "agent ACK: the customer's port")
    cdrs = site.wait_cdrs(1, 10)
    chk.eq([(c.get("call_id"), c.get("caller"), c.get("tenant"), c.get("agent"), c.get("disposition"))
            for c in cdrs], [(cid, NUMBER, "acme", "3001", "answered")], "one CDR for the outbound call")
    chk.eq(len(an.events(site, "ACD-OUTCALL-CONNECTED")), 1, "ACD-OUTCALL-CONNECTED logged once")
    bad = [("POST", "/v1/tenants/acme/outbound", {"number": "abc"}, None, 400),
           ("POST", "/v1/tenants/acme/outbound", {"number": ""}, None, 400),
           ("POST", "/v1/tenants/acme/outbound", {"number": "1+5"}, None, 400),
           ("POST", "/v1/tenants/acme/outbound", None, b"[1]", 400),
           ("POST", "/v1/tenants/acme/outbound", {"number": NUMBER, "priority": 101}, None, 400),
           ("POST", "/v1/tenants/nosuch/outbound", {"number": NUMBER}, None, 404),
           ("POST", "/v1/tenants/beta/outbound", {"number": NUMBER}, None, 409),
           ("GET", "/v1/tenants/acme/outbound", None, None, 405)]
    for method, path, body, raw, want in bad:
        status, doc = an.api(site, method, path, body, raw)
        chk.eq(status, want, "%s %s %s -> status" % (method, path, raw or body))
        chk.check(isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"],
                  "%s %s %s -> {\"error\": text}" % (method, path, raw or body), repr(doc))
    h.wait_for(lambda: an.calls(site), 1.0)
    chk.eq(an.calls(site), {}, "no call placed by the refused requests")
    chk.eq(len(site.cdrs()), 1, "no CDR but the outbound call's")

    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
