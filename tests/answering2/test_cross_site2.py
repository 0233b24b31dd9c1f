#!/usr/bin/env python3
"""test_cross_site2.py - more of the answering service across two sites (answering_cross_site2).

One etcd member, sites a and b (each the other's sister), the same tenants on both; the
parts run in this order (the last kills a):
  (e) schedule: three tenants in three time zones - one on a holiday today (hours mon-fri
      09-18), one after hours (one hour that starts 90 min from now, a lunch inside it),
      one open (an hour either side of now) - GET /v1/tenants at a and at b give the same
      mode, open and next_change_ms for each, and those are the values computed here
      (next local midnight; the hour's start; its end).
  (d) skills: queue sk requires es:1; 4001 (no skills) is logged in at a, 4002 (es:5) at b;
      a call of a goes to 4002 (a's CDR: agent 4002, agent_site b, 1 offer); 4001's phone
      is never offered anything.
  (c) outbound: POST /v1/tenants/obt/outbound at a -> 202 {"call": id}; the only agent of
      the tenant's queue, 3005, is registered at b; 3005 is offered the call (X-ACD-Delivery:
      outbound, X-ACD-Call: id), the customer trunk gets INVITE sip:<number>@trunk with
      3005's SDP, and 3005's ACK carries the customer's; a's CDR: answered by 3005 at b.
  (b) redial across sites: 3006 (queue rq, at b) talks to a first caller of b; X (541)
      waits 1.5 s at a and hangs up (abandoned, a's CDR); E (551) queues at b; 541 calls b
      within abandon_window -> b's status: 541 priority 5 position 1, E priority 0
      position 2; 3006 then answers 541 before E.
  (a) voicemail across a site loss: tenant vmt sends every call to voicemail; caller 921
      leaves ~2 s at a (ACD-VM-SAVED) and hangs up; no agent of vmq anywhere: the task waits
      at a; b holds it in its replica; a is killed (SIGKILL); b adopts it (ACD-TAKEOVER-CALL
      delivery=voicemail, takeovers adopted 1); 6001 registers at b and is offered it
      (X-ACD-Delivery: voicemail), hears the message (RTP to its port: b reads a's
      voicemail dir, same machine), is re-INVITEd without SDP; the customer trunk gets
      INVITE sip:921@trunk (From the callback caller_id) with 6001's new offer, answers,
      6001's ACK carries the customer's port: bridged. GET /v1/tenants/vmt/voicemail at b
      then lists a's message (site a) done by 6001, and b's CDR of the task is answered by
      6001 in vmq."""

import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering as an  # noqa: E402

cl = an.cl
h = an.h
ah = an._ah
NUMBER = "+15550002"
SPOKEN_S = 2.0
ZONES = ("Asia/Tokyo", "Europe/Madrid", "America/New_York", "Australia/Sydney",
         "America/Los_Angeles", "Asia/Kolkata")


# ---------------------------------------------------------------------------------------
# (e) schedule

def quiet_zones(n, now):
    """n zones whose local time is between 02:00 and 21:00 (no midnight, no wrap-around of
    the spans built below while the test runs)."""
    ok = [z for z in ZONES if 2 <= ah.local_now(z, now).hour < 21]
    return (ok + list(ZONES))[:n]


def local_ms(tz, date, minutes):
    """Unix ms of the local wall-clock time date + minutes in tz."""
    dt = datetime.datetime(date.year, date.month, date.day, minutes // 60, minutes % 60,
                           tzinfo=ah.zoneinfo.ZoneInfo(tz))
    return ah.ms(dt)


def schedule_tenants(now):
    """[(tenant entry, expected (mode, open, next_change_ms))] for the three schedules."""
    z_hol, z_aft, z_open = quiet_zones(3, now)
    out = []
    t = ah.local_now(z_hol, now)
    out.append((an.tenant("hol", "8100", "hq", timezone=z_hol,
                          hours=[{"days": "mon-fri", "open": "09:00", "close": "18:00"}],
                          holidays=["2021-12-25", t.date().isoformat()]),
                ("holiday", False, local_ms(z_hol, t.date() + datetime.timedelta(days=1), 0))))
    t = ah.local_now(z_aft, now)
    m = t.hour * 60 + t.minute
    start = m + 90  # m < 21:00, so the hour ends before midnight
    out.append((an.tenant("aft", "8200", "aq", timezone=z_aft,
                          hours=[{"days": "mon-sun", "open": ah.hhmm(start), "close": ah.hhmm(start + 60)}],
                          lunch=[{"days": "mon-sun", "start": ah.hhmm(start + 20), "end": ah.hhmm(start + 30)}]),
                ("after-hours", False, local_ms(z_aft, t.date(), start))))
    t = ah.local_now(z_open, now)
    m = t.hour * 60 + t.minute
    out.append((an.tenant("opn", "8300", "oq2", timezone=z_open,
                          hours=[{"days": "mon-sun", "open": ah.hhmm(m - 60), "close": ah.hhmm(m + 60)}],
                          holidays=["2021-01-01"]),
                ("open", True, local_ms(z_open, t.date(), m + 60))))
    return out


def part_schedule(chk, c, expected):
    a, b = c["a"], c["b"]
    at_a, at_b = ah.tenants_by_name(a), ah.tenants_by_name(b)
    for name, want in expected.items():
        got = [tuple((s.get(name) or {}).get(k) for k in ("mode", "open", "next_change_ms"))
               for s in (at_a, at_b)]
        chk.eq(got[0], got[1], "(e) %s: a and b agree on (mode, open, next_change_ms)" % name)
        chk.eq(got[0], want, "(e) %s: (mode, open, next_change_ms) at a" % name)
        chk.eq([(s.get(name) or {}).get("timezone") for s in (at_a, at_b)],
               [c.tz[name]] * 2, "(e) %s: timezone at a and b" % name)


# ---------------------------------------------------------------------------------------
# (d) skills, (c) outbound

def cdr_of(site, number):
    return (an.by_caller(site.cdrs()).get(number) or [{}])[-1]


def login_seen(chk, c, agent_id, port, part):
    """Logs agent_id in at b and waits until a's replica of b counts the registration."""
    a, b = c["a"], c["b"]
    before = cl.peer_view(a, "b").get("registrations") or 0
    an.login(chk, b, [agent_id], port, "reg-" + agent_id)
    ok = h.wait_for(lambda: (cl.peer_view(a, "b").get("registrations") or 0) > before, 5)
    chk.check(ok, "%s a sees b's registration of %s" % (part, agent_id), repr(cl.peer_view(a, "b")))


def part_skills(chk, c):
    a, b = c["a"], c["b"]
    ph_a = an.phone(a, "sk-phone-a", calls=1)
    ph_b = an.phone(b, "sk-phone-b", calls=1)
    an.login(chk, a, ["4001"], ph_a.port, "reg-4001")
    login_seen(chk, c, "4002", ph_b.port, "(d)")
    x = an.caller(a, "skill", "41", did="5100", talk_ms=800)
    x.wait(30)
    x.check_ok(chk, 1)
    ph_b.wait(10)
    ph_b.check_ok(chk, 1)
    r = cdr_of(a, "411")
    chk.eq((r.get("queue"), r.get("agent"), r.get("agent_site"), r.get("offers"), r.get("disposition")),
           ("sk", "4002", "b", 1, "answered"), "(d) a's CDR: the skilled agent at b, first offer")
    chk.eq([o.get("user") for o in an.offers(ph_b)], ["4002"], "(d) 4002 was offered the call")
    ph_a.stop()
    chk.eq(an.offers(ph_a), [], "(d) 4001 (no es) at a was never offered it")


def part_outbound(chk, c, cust):
    a, b = c["a"], c["b"]
    ph = an.phone(b, "ob-phone-b", calls=1)
    login_seen(chk, c, "3005", ph.port, "(c)")
    status, doc = an.api(a, "POST", "/v1/tenants/obt/outbound", {"number": NUMBER})
    chk.eq(status, 202, "(c) POST outbound at a -> 202")
    cid = doc.get("call") if isinstance(doc, dict) else None
    chk.check(isinstance(cid, str) and cid, "(c) the 202 names the call", repr(doc))
    an.wait_all([cust, ph], 40)
    for s in (cust, ph):
        s.check_ok(chk, 1)
    r = h.wait_for(lambda: cdr_of(a, NUMBER).get("call_id") and cdr_of(a, NUMBER), 10) or {}
    # (what, records, their fields, want)
    rows = [("3005 at b offered a's outbound call", an.offers(ph), ("user", "delivery", "acd", "tenant"),
             [("3005", "outbound", cid, "obt")]),
            ("customer INVITE: number, From caller_id, 3005's SDP, delivery", cust.log_records("CUSTOMER"),
             ("user", "from", "sdp", "delivery"), [(NUMBER, "8500", str(ph.media_port), "outbound")]),
            ("3005's ACK: the customer's media", an.acks(ph), ("port",), [(str(cust.media_port),)]),
            ("a's CDR of the outbound call", [r], ("call_id", "agent", "agent_site", "disposition"),
             [(cid, "3005", "b", "answered")])]
    for what, recs, keys, want in rows:
        chk.eq([tuple(x.get(k) for k in keys) for x in recs], want, "(c) " + what)


# ---------------------------------------------------------------------------------------
# (b) redial priority

def part_redial(chk, c):
    a, b = c["a"], c["b"]
    ph = an.phone(b, "rd-phone-b", calls=3)
    an.login(chk, b, ["3006"], ph.port, "reg-3006")
    occ = an.caller(b, "occupier", "52", did="5300", talk_ms=9000)
    an.wait_state(chk, b, "521", "connected", 15, "(b) 3006 talks to the first caller at b")
    x = an.abandoner(a, "abandon", "54", did="5300", wait_ms=1500)
    an.wait_state(chk, a, "541", "queued", 10, "(b) X waits at a")
    x.wait(20)
    x.check_ok(chk, 1)
    first = h.wait_for(lambda: cdr_of(a, "541").get("disposition"), 5)
    chk.eq(first, "abandoned", "(b) a's CDR of X: abandoned")
    e = an.caller(b, "early", "55", did="5300", talk_ms=800)
    an.wait_state(chk, b, "551", "queued", 10, "(b) E waits at b")
    r = an.caller(b, "redial", "54", did="5300", talk_ms=800)
    an.wait_state(chk, b, "541", "queued", 10, "(b) X's redial waits at b")
    calls = an.calls(b)
    got = {n: ((calls.get(n) or {}).get("priority"), (calls.get(n) or {}).get("position"))
           for n in ("541", "551")}
    chk.eq(got, {"541": (5, 1), "551": (0, 2)}, "(b) b's status: (priority, position) of X and E")
    an.wait_all([occ, e, r], 60)
    ph.wait(20)
    for s in (occ, e, r):
        s.check_ok(chk, 1)
    ph.check_ok(chk, 3)
    cdrs = b.wait_cdrs(3, 10)
    chk.eq(an.answered_order(cdrs, {"541", "551"}), ["541", "551"], "(b) 3006 answered X's redial before E")
    rr = cdr_of(b, "541")
    chk.eq((rr.get("agent"), rr.get("priority"), rr.get("disposition")), ("3006", 5, "answered"),
           "(b) b's CDR of the redial: 3006, priority 5")


# ---------------------------------------------------------------------------------------
# (a) voicemail across a site loss

def vm_message(site, msg_id):
    """The message's entry in GET /v1/tenants/vmt/voicemail at site (its record + overdue)."""
    st, doc = ah.api(site, "GET", "/v1/tenants/vmt/voicemail")
    got = [m for m in (doc.get("messages") or []) if m.get("id") == msg_id] if st == 200 else []
    return got[0] if got else {}


def part_voicemail(chk, c, cust, vm_dir):
    a, b = c["a"], c["b"]
    ah.write_ulaw(a, "vm.ulaw", SPOKEN_S)
    # Greeting 0.4 s, promise and beep 0.3 s each: speech from 1.5 s, BYE 0.3 s after it.
    x = ah.dtmf_caller(a, "vm-caller", "5400", prefix="92", talk_ms=100, first_ms=100, stream=1,
                       stream_delay_ms=1500, stream_ms=int(SPOKEN_S * 1000) + 300)
    x.wait(30)
    x.check_ok(chk, 1)
    saved = ah.wait_events(a, "ACD-VM-SAVED", 1, 5)
    chk.eq(len(saved), 1, "(a) a saved the message (ACD-VM-SAVED)")
    msg_id = saved[0].get("call") if saved else None
    dur = int(saved[0].get("duration_ms") or 0) if saved else 0
    chk.check(1500 <= dur <= 3500, "(a) the message lasts about 2 s", repr(dur))
    queued = ah.wait_events(a, "ACD-OUTCALL-QUEUED", 1, 5, delivery="voicemail")
    chk.eq([q.get("queue") for q in queued], ["vmq"], "(a) the task waits in vmq at a")
    task_id = queued[0].get("call") if queued else None
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("calls") == 1, 5)
    chk.check(ok, "(a) b holds a's waiting task", repr(cl.peer_view(b, "a")))
    disp = h.wait_for(lambda: cdr_of(a, "921").get("disposition"), 5)
    chk.eq(disp, "voicemail", "(a) a's CDR of the message call: voicemail")

    a.kill()
    h.log("killed site a")
    took = h.wait_for(lambda: [t for t in (b.cluster_status() or {}).get("takeovers", [])
                               if t.get("dark") == "a"], 20, interval=0.2) or []
    chk.eq([(t.get("sister"), t.get("adopted")) for t in took], [("b", 1)], "(a) b adopted a's one call")
    adopted = ah.wait_events(b, "ACD-TAKEOVER-CALL", 1, 5, delivery="voicemail")
    chk.eq([(e.get("call"), e.get("from"), e.get("rc")) for e in adopted], [(task_id, "a", "0")],
           "(a) b logged ACD-TAKEOVER-CALL for the task, delivery=voicemail")
    an.wait_state(chk, b, "921", "queued", 10, "(a) the task waits at b")

    sink = h.RtpSink()
    ph = ah.uas(b, "vm-phone-b", "agent_task.xml", sets={"rtp_port": sink.port, "ring_ms": 200},
                calls=1, timeout_s=60)
    an.login(chk, b, ["6001"], ph.port, "reg-6001")
    ph.wait(40)
    cust.wait(10)
    ph.check_ok(chk, 1)
    cust.check_ok(chk, 1)
    task = ah.sipp_records(ph, "TASK")
    chk.eq([(t.get("user"), t.get("delivery"), t.get("call")) for t in task],
           [("6001", "voicemail", task_id)], "(a) 6001 offered the task: X-ACD-Delivery voicemail")
    chk.check(sink.packets >= int(SPOKEN_S * 50 * 0.75), "(a) b played a's message to 6001's RTP port",
              "%d packets" % sink.packets)
    play = ah.events(b, "ACD-VM-PLAY")
    chk.eq([(p.get("agent"), p.get("rc")) for p in play], [("6001", "0")], "(a) b's ACD-VM-PLAY rc=0")
    chk.eq([r.get("sdp") for r in ah.sipp_records(ph, "REINVITE")], [""], "(a) one re-INVITE, no SDP")
    chk.eq([(g.get("user"), g.get("from"), g.get("sdp"), g.get("delivery"))
            for g in cust.log_records("CUSTOMER")],
           [("921", "5400", str(sink.port), "voicemail")],
           "(a) customer INVITE: sip:921@trunk, From caller_id, 6001's new offer, delivery")
    chk.eq([k.get("port") for k in ah.sipp_records(ph, "ACK2")], [str(cust.media_port)],
           "(a) 6001's second ACK: the customer's media port")
    chk.eq(len(ah.events(b, "ACD-OUTCALL-CONNECTED", delivery="voicemail")), 1,
           "(a) b logged ACD-OUTCALL-CONNECTED")
    chk.check(os.path.exists(os.path.join(vm_dir, "%s.json" % msg_id)), "(a) the record is in a's dir")
    rec = h.wait_for(lambda: vm_message(b, msg_id).get("status") == "done", 5) and vm_message(b, msg_id)
    rec = rec or vm_message(b, msg_id)
    chk.eq(tuple(rec.get(k) for k in ("status", "agent", "site", "overdue")), ("done", "6001", "a", False),
           "(a) GET /v1/tenants/vmt/voicemail at b: a's message, done by 6001")
    r = h.wait_for(lambda: cdr_of(b, "921").get("disposition") and cdr_of(b, "921"), 10) or {}
    chk.eq((r.get("call_id"), r.get("queue"), r.get("agent"), r.get("disposition")),
           (task_id, "vmq", "6001", "answered"), "(a) b's CDR of the task")


# ---------------------------------------------------------------------------------------

def test(chk):
    now = time.time()
    sched = schedule_tenants(now)
    tenants = [an.tenant("skt", "5100", "sk"), an.tenant("obt", "5200", "oq"),
               an.tenant("rdt", "5300", "rq", abandon_window=60),
               an.tenant("vmt", "5400", "vmmain", scripts=[{"then": "voicemail"}])]
    tenants += [t for t, _ in sched]
    queues = [an.queue("sk", "skt", skills={"es": 1}), an.queue("oq", "obt"),
              an.queue("rq", "rdt"), an.queue("vmmain", "vmt"),
              an.queue("vmq", "vmt", join_empty=True),
              an.queue("hq", "hol"), an.queue("aq", "aft"), an.queue("oq2", "opn")]
    agents = [an.agent("4001", ["sk"]), an.agent("4002", ["sk"], skills={"es": 5}),
              an.agent("3005", ["oq"]), an.agent("3006", ["rq"]), an.agent("6001", ["vmq"])]
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=agents, tenants=tenants, queues=queues)
    c.tz = {t["name"]: t["timezone"] for t, _ in sched}
    a, b = c["a"], c["b"]
    for s in c.sites:
        an.short_prompts(s)
    vm_dir = os.path.join(a.dir, "vm")  # a's messages: b reads them on the same machine
    cust_ob = an.customer(b, "cust-ob", calls=1, talk_ms=1000, timeout_s=170)
    cust_vm = an.customer(b, "cust-vm", calls=1, talk_ms=1000, timeout_s=170)
    tenants[1]["callback"] = {"trunk": "sip:%s:%d" % (h.LOOPBACK, cust_ob.port), "caller_id": "8500",
                              "delay": 1, "attempts": 1, "ring_timeout": 10}
    tenants[3]["voicemail"] = {"promise": 600, "max_length": 30, "dir": vm_dir, "queue": "vmq"}
    tenants[3]["callback"] = {"trunk": "sip:%s:%d" % (h.LOOPBACK, cust_vm.port), "caller_id": "5400",
                              "delay": 1, "attempts": 1, "ring_timeout": 10}
    c.start()
    h.log("cluster formed, leader %s" % c.wait_formed())

    part_schedule(chk, c, {t["name"]: want for t, want in sched})
    part_skills(chk, c)
    part_outbound(chk, c, cust_ob)
    part_redial(chk, c)
    time.sleep(0.5)
    part_voicemail(chk, c, cust_vm, vm_dir)

    cdrs = c.cdrs()
    h.check_unique_call_ids(chk, cdrs)
    h.check_no_agent_overlap(chk, cdrs)
    chk.eq(sorted((x["_file"], str(x.get("caller"))) for x in cdrs),
           sorted([("a", "411"), ("a", NUMBER), ("a", "541"), ("b", "521"), ("b", "541"),
                   ("b", "551"), ("a", "921"), ("b", "921")]), "one CDR per call, by the site that held it")
    chk.eq(b.stop(), 0, "site b exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
