#!/usr/bin/env python3
"""test_queue_log.py - a site's queue_log, read back line by line against its CDRs.

One acdd, real SIPp callers and agent phones. Its queue_log is where the default puts it
(next to the CDR file: queue_log-<site>). In order:
  1. 2001 (a phone that never answers) and 2002 log in (REGISTER); caller 551 rings 2001
     for the ring timeout (RINGNOANSWER), then 2002 answers; the caller hangs up
     (COMPLETECALLER); 2001 logs off (REGISTER Expires: 0: AGENTLOGOFF).
  2. 2002 pauses "lunch" through the API (PAUSEALL, PAUSE); 2004 logs in; caller 661 is
     answered by 2004, who hangs up (COMPLETEAGENT); 2002 unpauses.
  3. The file is rotated: renamed, then SIGHUP; the site writes CONFIGRELOAD to the old
     file and goes on in a new one.
  4. Caller 771 waits in a queue nobody serves and hangs up (ABANDON).
  5. Caller 881 waits 2 s, the queue's max wait, and is sent away (EXITWITHTIMEOUT).
  6. 2003, the only member of a queue that empties its callers when the last member
     leaves, is paused "meeting" while 991 waits; 2003 logs off (EXITEMPTY).
Then every line of both files is parsed and each field compared with what the CDRs and
the steps say; no line may be left over.
"""

import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "answering"))
sys.path.insert(0, os.path.join(HERE, "..", "answering2"))
import answering as an  # noqa: E402  (unregister)
import answering_harness as ah  # noqa: E402
import queue_log_lines as ql  # noqa: E402

h = ah.h
RING_TIMEOUT = 1.5


def config():
    tenants = [ah.tenant("acme", ["1000"], "main"), ah.tenant("lone", ["1003"], "lonely"),
               ah.tenant("timer", ["1001"], "timed"), ah.tenant("empt", ["1002"], "emptyq")]
    queues = [ah.queue("main", "acme", ring_timeout=RING_TIMEOUT, max_no_answer=3),
              ah.queue("lonely", "lone"),
              ah.queue("timed", "timer", max_wait=2, overflow="hangup", join_empty=True),
              ah.queue("emptyq", "empt", overflow="hangup", join_empty=True, leave_empty=True)]
    agents = [ah.agent("2001", ["main"]), ah.agent("2002", ["main"]), ah.agent("2004", ["main"]),
              ah.agent("2003", ["emptyq"])]
    return tenants, queues, agents


def api_ok(chk, site, path, body):
    st, doc = ah.api(site, "POST", path, body)
    chk.eq(st, 200, "POST %s answered 200" % path)
    return doc


def available(site, agent):
    return ah.wait_available(site, [agent], timeout=10)


def test(chk):
    tenants, queues, agents = config()
    site = h.new_site(chk, "qa", agents=agents, tenants=tenants, queues=queues)
    ah.use_test_prompts(site)
    qpath = os.path.join(site.dir, "queue_log-qa")
    t0 = time.time()
    site.start()
    has = lambda ev, **kw: ql.wait_lines(qpath, lambda ls: ql.has_event(ls, ev, **kw))

    # 1. ring no answer, then another agent; the caller hangs up; logoff.
    deaf = site.agent_phones("deaf", scenario="agent_noanswer.xml", calls=1)
    good = site.agent_phones("good", calls=1, ring_ms=300)
    site.register(["2001"], deaf.port, name="reg1", chk=chk)
    chk.check(available(site, "2001"), "2001 available")
    time.sleep(0.3)  # 2001 idle longest: it is offered first
    site.register(["2002"], good.port, name="reg2", chk=chk)
    chk.check(available(site, "2002"), "2002 available")
    c1 = site.callers("c1", calls=1, talk_ms=2000, prefix="55")
    c1.wait(40)
    c1.check_ok(chk, 1)
    deaf.wait(10)
    an.unregister(site, ["2001"], deaf.port, chk, name="unreg1")
    has("AGENTLOGOFF", agent="Agent/2001")

    # 2. pause, the agent hangs up, unpause.
    api_ok(chk, site, "/v1/agents/2002/pause", {"reason": "lunch"})
    hang = site.agent_phones("hang", scenario="agent_uas_hangup.xml", calls=1, ring_ms=300,
                             talk_ms=1500)
    site.register(["2004"], hang.port, name="reg4", chk=chk)
    chk.check(available(site, "2004"), "2004 available")
    c2 = site.callers("c2", scenario="caller_wait_bye.xml", calls=1, talk_ms=None, prefix="66")
    c2.wait(40)
    c2.check_ok(chk, 1)
    hang.wait(10)
    has("COMPLETEAGENT")
    api_ok(chk, site, "/v1/agents/2002/unpause", {})
    has("UNPAUSEALL", agent="Agent/2002")

    # 3. logrotate: move the file away, SIGHUP.
    os.rename(qpath, qpath + ".1")
    os.kill(site.proc.pid, signal.SIGHUP)
    chk.check(ah.wait_events(site, "ACD-SITE-RELOADED", 1, timeout=10), "acdd reloaded on SIGHUP")
    chk.check(h.wait_for(lambda: os.path.exists(qpath), 5), "a new queue_log after SIGHUP")

    # 4. abandon; 5. max wait; 6. the queue empties.
    c3 = site.callers("c3", scenario="caller_abandon.xml", calls=1, talk_ms=1500, did="1003",
                      prefix="77")
    c4 = ah.dtmf_caller(site, "c4", "1001", prefix="88", end="wait")
    c3.wait(40)
    c4.wait(40)
    c3.check_ok(chk, 1)
    c4.check_ok(chk, 1)
    desk = site.agent_phones("desk", calls=1)
    site.register(["2003"], desk.port, name="reg3", chk=chk)
    chk.check(available(site, "2003"), "2003 available")
    api_ok(chk, site, "/v1/agents/2003/pause", {"reason": "meeting"})
    c5 = ah.dtmf_caller(site, "c5", "1002", prefix="99", end="wait", first_ms=0, gap_ms=0)
    ql.wait_lines(qpath, lambda ls: sum("|ENTERQUEUE|" in l for l in ls) >= 3)  # 991 waits
    an.unregister(site, ["2003"], desk.port, chk, name="unreg3")
    c5.wait(40)
    c5.check_ok(chk, 1)

    cdrs = site.wait_cdrs(5, 10)
    has("EXITEMPTY")
    t1 = time.time()
    check_file(chk, qpath, cdrs, t0, t1)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


def check_file(chk, qpath, cdrs, t0, t1):
    old = ql.parse(chk, ql.read(qpath + ".1"), "queue_log.1")
    new = ql.parse(chk, ql.read(qpath), "queue_log")
    ql.check_window(chk, old + new, t0, t1)
    chk.check(old and old[0].raw.endswith("|NONE|NONE|NONE|QUEUESTART|"), "QUEUESTART opens the log",
              old[0].raw if old else "empty")
    chk.check(old and old[-1].event == "CONFIGRELOAD" and old[-1].raw.endswith("|NONE|NONE|NONE|CONFIGRELOAD|"),
              "the rotated file ends with the reload's CONFIGRELOAD", old[-1].raw if old else "empty")
    lines = [l for l in old + new if l.event not in ("QUEUESTART", "CONFIGRELOAD")]
    calls = ql.by_callid(lines)
    cdr = {c.get("caller"): c for c in cdrs}
    chk.eq(sorted(cdr), ["551", "661", "771", "881", "991"], "one CDR per caller")
    chk.eq(sorted(k for k in calls if k != "NONE"), sorted(c["call_id"] for c in cdrs),
           "queue_log call ids are the CDRs' call ids")
    if sorted(cdr) != ["551", "661", "771", "881", "991"]:
        return
    for c in cdrs:
        chk.check(c["call_id"].startswith("qa-"), "call id %s names its site" % c["call_id"])

    # 1: ring no answer at 2001, then 2002 answers; the caller hangs up.
    c = cdr["551"]
    ls = calls.get(c["call_id"], [])
    chk.eq([l.event for l in ls], ["DID", "ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"],
           "call 551's events")
    if len(ls) == 5:
        ql.check_entry(chk, ls, c, "main")
        rna = ls[2]
        chk.eq((rna.queue, rna.agent), ("main", "Agent/2001"), "%s: RINGNOANSWER of 2001" % rna.where)
        ms = int(rna.data[0]) if rna.data[0].isdigit() else -1
        chk.check(RING_TIMEOUT * 1000 <= ms <= (ls[3].epoch - ls[1].epoch + 1) * 1000,
                  "%s: rang at least the ring timeout, in ms" % rna.where, rna.raw)
        ql.check_connected(chk, ls[3], ls[4], c, "main", "2002", "COMPLETECALLER", 2)
        chk.eq(c.get("agent"), "2002", "CDR 551 answered by 2002")

    # 2: 2004 answers and hangs up.
    c = cdr["661"]
    ls = calls.get(c["call_id"], [])
    chk.eq([l.event for l in ls], ["DID", "ENTERQUEUE", "CONNECT", "COMPLETEAGENT"], "call 661's events")
    if len(ls) == 4:
        ql.check_entry(chk, ls, c, "main")
        ql.check_connected(chk, ls[2], ls[3], c, "main", "2004", "COMPLETEAGENT", 1)

    # 4, 5, 6: the calls nobody took.
    for caller, queue, event in (("771", "lonely", "ABANDON"), ("881", "timed", "EXITWITHTIMEOUT"),
                                 ("991", "emptyq", "EXITEMPTY")):
        c = cdr[caller]
        ls = calls.get(c["call_id"], [])
        chk.eq([l.event for l in ls], ["DID", "ENTERQUEUE", event], "call %s's events" % caller)
        if len(ls) == 3:
            ql.check_entry(chk, ls, c, queue)
            # An abandon ends the call in the core (the CDR's end); a queue rule's exit
            # happens at its line's epoch, before the goodbye and the CDR.
            ql.check_exit(chk, ls[2], c, queue, event, at_end=(event == "ABANDON"))
            if event == "EXITWITHTIMEOUT":
                chk.check(int(ls[2].data[2]) >= 2, "%s: waited the max wait" % ls[2].where)

    # The agents' sessions.
    agents = {}
    for l in calls.get("NONE", []):
        agents.setdefault(l.agent, []).append(l)
    chk.eq(sorted(agents), ["Agent/2001", "Agent/2002", "Agent/2003", "Agent/2004"], "agents in the log")
    ql.check_session(chk, agents.get("Agent/2001", []), "2001", "2001", [("AGENTLOGOFF",)])
    ql.check_session(chk, agents.get("Agent/2002", []), "2002", "2002",
                     [("PAUSEALL", "NONE", [""]), ("PAUSE", "main", ["lunch"]),
                      ("UNPAUSEALL", "NONE", [""]), ("UNPAUSE", "main", [""])])
    ql.check_session(chk, agents.get("Agent/2004", []), "2004", "2004", [])
    ql.check_session(chk, agents.get("Agent/2003", []), "2003", "2003",
                     [("PAUSEALL", "NONE", [""]), ("PAUSE", "emptyq", ["meeting"]), ("AGENTLOGOFF",)])


if __name__ == "__main__":
    h.run(test)
