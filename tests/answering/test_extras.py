#!/usr/bin/env python3
"""test_extras.py - overdue voicemail, the status of callers in the IVR, a saturated
queue, and outbound calls scheduled for later. One site, five tenants, in this order:

  vmx  (scripts: [{then: voicemail}], promise 1 s, voicemail queue vmq with nobody logged
       in): caller 931 leaves a 2 s message. Within 15 s acdd logs ACD-VM-OVERDUE
       message=<call> once, and 12 s later still once; GET /v1/tenants/vmx/voicemail lists
       it "overdue": true with "overdue_ms", "overdue": 1; `acdctl voicemail vmx --json`
       the same; the table says OVERDUE.
  ivt  (IVR main, 60 s timeout; a no-answer forward goes to the menu by a script): caller
       941 with Diversion reason=no-answer sits in the menu: GET /v1/status "answering"[]
       has it (stage menu, menu main, mode open, forward_reason no-answer, diverted_from).
  qt   (no IVR; queue qq join_empty, its agent never logs in; instructions set by PUT):
       caller 951 (same Diversion) waits: its calls[] entry has mode, forward_reason,
       diverted_from and the instructions.
  sat  (queue satq, saturated_at 1, join_empty, nobody logged in): caller 961 waits, caller
       971 arrives: ACD-QUEUE-SATURATED call=<971's call> waiting=1; none for 961.
  ob   (callback trunk: a SIPp customer; agent 7001 logged in): POST outbound {"number":
       "+15550002", "at_ms": now+3 s} -> 202, ACD-OUTCALL-SCHEDULED; ACD-OUTCALL-QUEUED not
       before at_ms; 7001 gets X-ACD-Delivery: outbound and, in its ACK, the customer's
       SDP. at_ms in the past -> 400; `acdctl outbound ob +15550003 --at-ms <in 1 h>` -> 0.
Then the first part's later checks (the 12 s already passed meanwhile, mostly)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

DIVERTER = "+34911000001"
NOANSWER = "Diversion: <sip:%s@carrier.example>;reason=no-answer;counter=1" % DIVERTER
IVR = {"entry": "main", "menus": [{"name": "main", "prompt": "menu_main", "timeout": 60,
                                   "options": {"1": "queue:ivq"}}]}
TEXT = "ask for the order number"
CUSTOMER = "+15550002"
SCHEDULE_MS = 3000
TIMER_SLACK_MS = 0  # acdd re-arms a timer that fires before at_ms


def now_ms():
    return int(time.time() * 1000)


def setup(chk):
    queues = [ah.queue("vq", "vmx"), ah.queue("vmq", "vmx", join_empty=True),
              ah.queue("ivq", "ivt"), ah.queue("qq", "qt", join_empty=True),
              ah.queue("satq", "sat", join_empty=True, saturated_at=1),
              ah.queue("obq", "ob")]
    agents = [ah.agent("7001", ["obq"]), ah.agent("7002", ["qq", "satq", "ivq"])]
    site = h.new_site(chk, "extras", agents=agents, tenants=[], queues=queues)
    site.vm_dir = os.path.join(site.dir, "vm")
    customer = ah.uas(site, "customer", "customer_uas.xml", sets={"ring_ms": 300}, calls=1,
                      talk_ms=1000)
    site.config["tenants"] = [
        ah.tenant("vmx", ["1001"], "vq", scripts=[{"then": "voicemail"}], voicemail={
            "promise": 1, "max_length": 30, "dir": site.vm_dir, "queue": "vmq"}),
        ah.tenant("ivt", ["1002"], "ivq", ivr=IVR,
                  scripts=[{"when": {"reasons": ["no-answer"]}, "then": "menu:main"}]),
        ah.tenant("qt", ["1003"], "qq"),
        ah.tenant("sat", ["1004"], "satq"),
        ah.tenant("ob", ["1005"], "obq", callback={
            "trunk": "sip:%s:%d" % (h.LOOPBACK, customer.port), "caller_id": "1005",
            "ring_timeout": 10, "attempts": 1, "delay": 1})]
    ah.use_test_prompts(site)
    ah.write_ulaw(site, "vm.ulaw", 2)
    site.start()
    phone = ah.uas(site, "agent", "agent_ctx.xml", sets={"ring_ms": 200}, calls=1)
    site.register(["7001"], phone.port, chk=chk)
    chk.check(ah.wait_available(site, ["7001"]), "agent 7001 (obq) available")
    return site, customer, phone


def leave_message(chk, site):
    """Part 1, first half: a 2 s message; returns (its id, when it was saved: epoch s)."""
    c = ah.dtmf_caller(site, "vmcaller", "1001", prefix="93", talk_ms=100, first_ms=100,
                       stream=1, stream_delay_ms=1200, stream_ms=2300)
    c.wait(30)
    c.check_ok(chk, 1)
    saved = ah.wait_events(site, "ACD-VM-SAVED", 1, 5)
    chk.eq(len(saved), 1, "vmx: the message is saved (ACD-VM-SAVED)")
    return (saved[0].get("call"), saved[0]["_t"]) if saved else (None, time.time())


def by_id(items, cid):
    return [o for o in items or [] if o.get("id") == cid]


def status_doc(site):
    st, doc = ah.api(site, "GET", "/v1/status")
    return doc if st == 200 else {}


def ivr_status(chk, site):
    """Part 2: a caller in the menu and a queued caller, both forwarded on no answer."""
    st, _ = ah.api(site, "PUT", "/v1/tenants/qt/instructions", {"text": TEXT})
    chk.eq(st, 200, "PUT /v1/tenants/qt/instructions: 200")
    menu = ah.dtmf_caller(site, "menucaller", "1002", prefix="94", talk_ms=8000, extra_hdr=NOANSWER)
    queued = ah.dtmf_caller(site, "qcaller", "1003", prefix="95", talk_ms=8000, extra_hdr=NOANSWER)
    ids = {}
    for tenant in ("ivt", "qt"):
        s = ah.wait_events(site, "ACD-SCRIPT", 1, 5, tenant=tenant)
        ids[tenant] = s[0].get("call") if s else None

    def both():
        doc = status_doc(site)
        a = [o for o in by_id(doc.get("answering"), ids["ivt"]) if o.get("stage") == "menu"]
        q = [o for o in by_id(doc.get("calls"), ids["qt"]) if o.get("state") == "queued"]
        return (a, q, doc) if a and q else None
    got = h.wait_for(both, 6)
    doc = got[2] if got else status_doc(site)
    chk.check(isinstance(doc.get("answering"), list), "GET /v1/status has an answering array",
              repr(doc)[:300])
    a = by_id(doc.get("answering"), ids["ivt"])
    if chk.eq(len(a), 1, "answering[] lists the caller in the menu once"):
        keys = ("tenant", "did", "stage", "menu", "mode", "forward_reason", "diverted_from")
        chk.eq({k: a[0].get(k) for k in keys},
               {"tenant": "ivt", "did": "1002", "stage": "menu", "menu": "main", "mode": "open",
                "forward_reason": "no-answer", "diverted_from": DIVERTER},
               "answering[]: the menu caller's stage, menu, mode and forward")
    chk.eq(by_id(doc.get("calls"), ids["ivt"]), [], "the menu caller is not in calls[]")
    q = by_id(doc.get("calls"), ids["qt"])
    if chk.eq(len(q), 1, "calls[] lists the queued caller once"):
        keys = ("state", "queue", "mode", "forward_reason", "diverted_from", "instructions")
        chk.eq({k: q[0].get(k) for k in keys},
               {"state": "queued", "queue": "qq", "mode": "open", "forward_reason": "no-answer",
                "diverted_from": DIVERTER, "instructions": TEXT},
               "calls[]: the queued caller's mode, forward and instructions")
    chk.eq(by_id(doc.get("answering"), ids["qt"]), [], "the queued caller is not in answering[]")
    for c in (menu, queued):
        c.wait(30)
        c.check_ok(chk, 1)


def saturated(chk, site):
    """Part 3: the second caller finds one waiting ahead in a queue saturated at 1."""
    first = ah.dtmf_caller(site, "sat1", "1004", prefix="96", talk_ms=6000)
    h.wait_for(lambda: [c for c in status_doc(site).get("calls", [])
                        if c.get("queue") == "satq" and c.get("state") == "queued"], 5)
    time.sleep(0.5)
    second = ah.dtmf_caller(site, "sat2", "1004", prefix="97", talk_ms=2000)
    second.wait(30)
    first.wait(30)
    first.check_ok(chk, 1)
    second.check_ok(chk, 1)
    h.wait_for(lambda: {"961", "971"} <= set(ah.cdr_by_caller(site.cdrs())), 10)
    cdrs = ah.cdr_by_caller(site.cdrs())
    c1, c2 = (cdrs.get("961") or {}).get("call_id"), (cdrs.get("971") or {}).get("call_id")
    chk.check(c1 and c2, "CDRs of both satq callers", sorted(cdrs))
    got = [(e.get("queue"), e.get("waiting"), e.get("saturated_at"))
           for e in ah.events(site, "ACD-QUEUE-SATURATED", call=c2)]
    chk.eq(got, [("satq", "1", "1")], "ACD-QUEUE-SATURATED call=<second> queue=satq waiting=1, once")
    chk.eq([e["_line"] for e in ah.events(site, "ACD-QUEUE-SATURATED", call=c1)], [],
           "the first caller (nobody ahead) was not told the queue is saturated")


def outbound(chk, site, customer, phone):
    """Part 4: an outbound call at a time, bridged then; bad and CLI requests."""
    at = now_ms() + SCHEDULE_MS
    st, doc = ah.api(site, "POST", "/v1/tenants/ob/outbound", {"number": CUSTOMER, "at_ms": at})
    chk.eq(st, 202, "POST outbound with at_ms: 202")
    cid = doc.get("call") if isinstance(doc, dict) else None
    chk.check(isinstance(cid, str) and cid, "202 names the call", repr(doc))
    sched = ah.wait_events(site, "ACD-OUTCALL-SCHEDULED", 1, 2, call=cid)
    chk.eq([(s.get("tenant"), s.get("at_ms")) for s in sched], [("ob", str(at))],
           "ACD-OUTCALL-SCHEDULED call=<id> tenant=ob at_ms=<at_ms>")
    time.sleep(max(0.0, (at - 700 - now_ms()) / 1000.0))
    chk.eq([e["_line"] for e in ah.events(site, "ACD-OUTCALL-QUEUED", call=cid)], [],
           "not queued 0.7 s before at_ms")
    chk.eq(ah.sipp_records(phone, "CTX"), [], "agent 7001 not offered anything before at_ms")
    queued = ah.wait_events(site, "ACD-OUTCALL-QUEUED", 1, 5, call=cid)
    if chk.eq(len(queued), 1, "ACD-OUTCALL-QUEUED for the scheduled call, once"):
        # acdd's libuv timer counts from the loop's cached time, which lags the wall
        # clock; a timer that fires before at_ms is re-armed, so never early.
        t = int(round(queued[0]["_t"] * 1000))
        h.log("ACD-OUTCALL-QUEUED %+d ms after at_ms" % (t - at))
        chk.check(at - TIMER_SLACK_MS <= t <= at + 1500,
                  "queued at at_ms (not before, but for %d ms of timer slack; within 1.5 s)"
                  % TIMER_SLACK_MS, "%+d ms" % (t - at))
        chk.eq(queued[0].get("delivery"), "outbound", "ACD-OUTCALL-QUEUED delivery=outbound")
    phone.wait(30)
    customer.wait(10)
    phone.check_ok(chk, 1)
    customer.check_ok(chk, 1)
    chk.eq([(o.get("user"), o.get("call"), o.get("delivery")) for o in ah.sipp_records(phone, "CTX")],
           [("7001", cid, "outbound")], "agent INVITE: X-ACD-Call, X-ACD-Delivery: outbound")
    chk.eq([(c.get("user"), c.get("from"), c.get("delivery")) for c in ah.sipp_records(customer, "CUSTOMER")],
           [(CUSTOMER, "1005", "outbound")], "customer INVITE to +15550002 from caller_id 1005")
    chk.eq([a.get("port") for a in ah.sipp_records(phone, "ACK")], [str(customer.media_port)],
           "agent's ACK carries the customer's SDP: bridged")

    st, doc = ah.api(site, "POST", "/v1/tenants/ob/outbound",
                     {"number": CUSTOMER, "at_ms": now_ms() - 1000})
    chk.eq(st, 400, "POST outbound with at_ms in the past: 400")
    chk.check(isinstance(doc.get("error"), str) and doc["error"], "400 carries an error", repr(doc))
    later = now_ms() + 3600 * 1000
    rc, out, err = ah.acdctl(site, "outbound", "ob", "+15550003", "--at-ms", str(later))
    chk.eq(rc, 0, "acdctl outbound ob +15550003 --at-ms <in 1 h>: exit 0 (%s)" % (err or out).strip())
    chk.eq([s.get("at_ms") for s in ah.wait_events(site, "ACD-OUTCALL-SCHEDULED", 2, 2, tenant="ob")],
           [str(at), str(later)], "scheduled: the POST's, then acdctl's (not the refused one)")


def overdue(chk, site, msg_id, saved_t):
    """Part 1, second half: reported once, listed overdue by the API and acdctl."""
    h.wait_for(lambda: ah.events(site, "ACD-VM-OVERDUE", message=msg_id),
               max(0.0, saved_t + 15 - time.time()))
    lines = ah.events(site, "ACD-VM-OVERDUE", message=msg_id)
    if chk.eq(len(lines), 1, "ACD-VM-OVERDUE message=<id> once"):
        late = lines[0]["_t"] - saved_t
        chk.check(0 < late <= 15, "ACD-VM-OVERDUE within 15 s of ACD-VM-SAVED", "%.1f s" % late)
        chk.eq((lines[0].get("tenant"), " level=warn " in lines[0]["_line"]), ("vmx", True),
               "ACD-VM-OVERDUE tenant=vmx, at warn level")
        time.sleep(max(0.0, lines[0]["_t"] + 12 - time.time()))
    chk.eq(len(ah.events(site, "ACD-VM-OVERDUE", message=msg_id)), 1, "ACD-VM-OVERDUE once, 12 s later too")
    chk.eq(len(ah.events(site, "ACD-VM-OVERDUE")), 1, "no other ACD-VM-OVERDUE line")

    def listed(doc):
        m = by_id(doc.get("messages"), msg_id)
        if not chk.eq(len(m), 1, "the message is listed once"):
            return
        chk.eq((m[0].get("overdue"), m[0].get("status")), (True, "open"), "listed open and overdue")
        chk.check(isinstance(m[0].get("overdue_ms"), int) and m[0]["overdue_ms"] > m[0].get("due_ms", 0),
                  "listed with overdue_ms after due_ms", repr(m[0])[:300])
        chk.eq(doc.get("overdue"), 1, "top-level overdue: 1")
    st, doc = ah.api(site, "GET", "/v1/tenants/vmx/voicemail")
    chk.eq(st, 200, "GET /v1/tenants/vmx/voicemail: 200")
    listed(doc)
    rc, out, err = ah.acdctl(site, "voicemail", "vmx", "--json")
    chk.eq(rc, 0, "acdctl voicemail vmx --json: exit 0 (%s)" % err.strip())
    try:
        listed(json.loads(out))
    except ValueError:
        chk.check(False, "acdctl voicemail vmx --json prints JSON", out[:200])
    rc, out, err = ah.acdctl(site, "voicemail", "vmx")
    rows = [l for l in out.splitlines() if msg_id and msg_id in l]
    chk.check(rc == 0 and len(rows) == 1 and "OVERDUE" in rows[0],
              "acdctl voicemail vmx: the message's row says OVERDUE", "rc %s: %s" % (rc, out[:300]))


def test(chk):
    site, customer, phone = setup(chk)
    msg_id, saved_t = leave_message(chk, site)
    ivr_status(chk, site)
    saturated(chk, site)
    outbound(chk, site, customer, phone)
    overdue(chk, site, msg_id, saved_t)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
