#!/usr/bin/env python3
"""test_voicemail_task.py - a voicemail message becomes a task an agent returns.

Tenant vmt sends every call to voicemail (scripts: [{then: voicemail}]); its voicemail
queue vmq has agent 6001 logged in (agent_task.xml); its callback trunk is a SIPp UAS
playing the customer (customer_uas.xml). The caller (number 921) leaves 2 s of speech
and hangs up. Then acdd offers the task to 6001: INVITE with X-ACD-Delivery: voicemail;
6001 answers with SDP; acdd ACKs with its own SDP and plays the message to 6001's RTP
port (counted here: >= 75 packets of 20 ms PCMU/PCMA); then re-INVITEs 6001 WITHOUT SDP;
6001 answers with a new offer, which acdd puts in its INVITE to sip:921@<trunk> (From:
the tenant's callback caller_id, X-ACD-Delivery: voicemail); the customer answers, and
acdd's ACK to 6001 carries the customer's SDP port. The customer talks 1 s and hangs
up; acdd BYEs 6001. The message's record is then status done, agent 6001."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

SPOKEN_S = 2.0


def test(chk):
    site = h.new_site(chk, "vmtask", agents=[ah.agent("6001", ["vmq"])], tenants=[],
                      queues=[ah.queue("main", "vmt"), ah.queue("vmq", "vmt", join_empty=True)])
    vm_dir = os.path.join(site.dir, "vm")
    customer = ah.uas(site, "customer", "customer_uas.xml", sets={"ring_ms": 300}, calls=1,
                      talk_ms=1000)
    site.config["tenants"] = [ah.tenant(
        "vmt", ["1000"], "main", scripts=[{"then": "voicemail"}],
        voicemail={"promise": 600, "max_length": 30, "dir": vm_dir, "queue": "vmq"},
        callback={"trunk": "sip:%s:%d" % (h.LOOPBACK, customer.port), "caller_id": "1000",
                  "ring_timeout": 10, "attempts": 1, "delay": 1})]
    ah.use_test_prompts(site)
    ah.write_ulaw(site, "vm.ulaw", SPOKEN_S)
    site.start()

    sink = h.RtpSink()
    phone = ah.uas(site, "agent", "agent_task.xml", sets={"rtp_port": sink.port, "ring_ms": 300},
                   calls=1)
    site.register(["6001"], phone.port, chk=chk)
    chk.check(ah.wait_available(site, ["6001"]), "agent 6001 (vmq) available")

    # Greeting, promise, beep: 0.75 s; speech from 1.3 s on, BYE 0.3 s after it ends.
    caller = ah.dtmf_caller(site, "caller", "1000", prefix="92", talk_ms=100, first_ms=100,
                            stream=1, stream_delay_ms=1200, stream_ms=int(SPOKEN_S * 1000) + 300)
    caller.wait(30)
    caller.check_ok(chk, 1)
    saved = ah.wait_events(site, "ACD-VM-SAVED", 1, 5)
    chk.eq(len(saved), 1, "the message is saved (ACD-VM-SAVED)")
    msg_id = saved[0].get("call") if saved else None

    phone.wait(40)
    customer.wait(10)
    phone.check_ok(chk, 1)
    customer.check_ok(chk, 1)

    task = ah.sipp_records(phone, "TASK")
    if chk.eq(len(task), 1, "agent 6001 was offered the task once"):
        chk.eq((task[0].get("user"), task[0].get("delivery")), ("6001", "voicemail"),
               "the task's INVITE: to 6001, X-ACD-Delivery: voicemail")
    ack1 = ah.sipp_records(phone, "ACK1")
    chk.check(ack1 and ack1[0].get("port", "").isdigit() and ack1[0]["port"] != str(sink.port),
              "acdd's ACK to 6001 carries acdd's own media port", repr(ack1))
    chk.check(sink.packets >= int(SPOKEN_S * 50 * 0.75), "acdd played the message to 6001's RTP port",
              "%d packets" % sink.packets)
    chk.check(sink.payload_types <= {0, 8} and sink.payload_types, "message RTP is PCMU/PCMA",
              repr(sorted(sink.payload_types)))
    reinv = ah.sipp_records(phone, "REINVITE")
    if chk.eq(len(reinv), 1, "6001 got one re-INVITE"):
        chk.eq(reinv[0].get("sdp"), "", "the re-INVITE has no SDP (asks for an offer)")
    cust = ah.sipp_records(customer, "CUSTOMER")
    if chk.eq(len(cust), 1, "the customer was called once"):
        chk.eq((cust[0].get("user"), cust[0].get("from"), cust[0].get("sdp"), cust[0].get("delivery")),
               ("921", "1000", str(sink.port), "voicemail"),
               "customer INVITE: sip:921@trunk, From caller_id, the agent's offer, X-ACD-Delivery")
    ack2 = ah.sipp_records(phone, "ACK2")
    chk.eq([a.get("port") for a in ack2], [str(customer.media_port)],
           "acdd's ACK of 6001's new offer carries the customer's media port")

    # The record: done by 6001.
    rec_path = os.path.join(vm_dir, "%s.json" % msg_id)
    rec = h.wait_for(lambda: (lambda r: r if r and r.get("status") == "done" else None)(_read(rec_path)), 5) \
        or _read(rec_path) or {}
    chk.eq((rec.get("status"), rec.get("agent")), ("done", "6001"), "message record: status done, agent 6001")
    chk.check(ah.events(site, "ACD-VM-DONE", message=msg_id, agent="6001"), "ACD-VM-DONE logged")
    st, doc = ah.api(site, "GET", "/v1/tenants/vmt/voicemail")
    listed = [m for m in (doc.get("messages") or []) if m.get("id") == msg_id]
    chk.eq([(m.get("status"), m.get("overdue")) for m in listed], [("done", False)],
           "GET /v1/tenants/vmt/voicemail: the message is done, not overdue")

    cdrs = site.wait_cdrs(2, 10)
    by_disp = sorted(c.get("disposition") for c in cdrs)
    chk.eq(by_disp, ["answered", "voicemail"], "CDRs: the message (voicemail) and its task (answered)")
    for c in cdrs:
        if c.get("disposition") == "answered":
            chk.eq((c.get("agent"), c.get("queue"), c.get("caller")), ("6001", "vmq", "921"),
                   "task CDR: agent, queue, caller")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    h.run(test)
