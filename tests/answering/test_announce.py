#!/usr/bin/env python3
"""test_announce.py - waiting callers hear their place and the expected wait.

Queue main has announce: 10 (s) and one agent, 2001, logged in, whose phone rings the
first caller for 25 s before answering (ring_timeout 30). The second caller, arriving 1 s
later, waits the whole time with nobody free: acdd announces to it every 10 s
(ACD-ANNOUNCE, logged at debug level: the harness runs acdd with log level debug) with
position=1 (the first caller is being offered, no longer waiting) and an expected wait
ewt_ms >= 0: at ~10 s and ~20 s after it arrived, 10 s apart, said in the tenant's
language with number prompts: words=position,n1,wait,<minutes>,minute(s) (Spanish:
n1m, the form before "minuto"). The first caller, ringing an agent, hears none. The
second caller hangs up after ~22 s (abandoned); the first talks to 2001 at 25 s.
Run as `test_announce.py [en|es]` (CTest runs both)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answering_harness as ah  # noqa: E402
h = ah.h

ANNOUNCE_S = 10
RING_MS = 25000
LANG = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in ("en", "es") else "en"


def test(chk):
    site = h.new_site(chk, "announce", agents=[ah.agent("2001", ["main"])],
                      tenants=[ah.tenant("acme", ["1000"], "main", language=LANG)],
                      queues=[ah.queue("main", "acme", ring_timeout=30, announce=ANNOUNCE_S)])
    ah.use_test_prompts(site)
    site.start()
    phones = site.agent_phones(calls=1, ring_ms=RING_MS)
    site.register(["2001"], phones.port, chk=chk)
    chk.check(ah.wait_available(site, ["2001"]), "agent 2001 available")

    first = ah.caller(site, "first", "sip:caller.xml", "1000", prefix="51", talk_ms=1000)
    h.wait_for(lambda: ah.events(site, "ACD-SCRIPT"), 5)
    h.wait_for(lambda: (lambda s: s and (h.agent_status(s, "2001") or {}).get("state") != "available")(
        site.status(quiet=True)), 5)
    second = ah.dtmf_caller(site, "second", "1000", prefix="52", talk_ms=21000)
    second.wait(40)
    first.wait(20)
    phones.wait(10)
    second.check_ok(chk, 1)
    first.check_ok(chk, 1)
    phones.check_ok(chk, 1)

    cdrs = ah.cdr_by_caller(site.wait_cdrs(2, 10))
    c1, c2 = cdrs.get("511") or {}, cdrs.get("521") or {}
    chk.eq((c1.get("disposition"), c1.get("agent")), ("answered", "2001"), "first caller: answered by 2001")
    chk.eq(c2.get("disposition"), "abandoned", "second caller: abandoned (hung up waiting)")

    ann = ah.events(site, "ACD-ANNOUNCE", call=c2.get("call_id"))
    chk.check(len(ann) == 2, "second caller: two announcements in ~22 s at %d s intervals" % ANNOUNCE_S,
              [a["_line"] for a in ann])
    chk.eq([a.get("position") for a in ann], ["1"] * len(ann), "announcements say position=1")
    chk.check(all(a.get("ewt_ms", "").isdigit() for a in ann), "announcements carry ewt_ms >= 0",
              [a.get("ewt_ms") for a in ann])
    for a in ann:
        words = (a.get("words") or "").split(",")
        mins = max(1, (int(a.get("ewt_ms") or 0) + 59999) // 60000)
        unit = "minute" if mins == 1 else "minutes"
        chk.eq(a.get("lang"), LANG, "announcement in the tenant's language")
        chk.eq(words[:2], ["position", "n1"], "'you are caller number one'")
        chk.check(len(words) >= 4 and words[2] == "wait" and words[-1] == unit,
                  "'your expected wait is about ... %s' (%d min)" % (unit, mins), words)
        if mins == 1:
            chk.eq(words[3], "n1m" if LANG == "es" else "n1",
                   "one minute said as %s" % ("'un' (before minuto)" if LANG == "es" else "'one'"))
    arrived = ah.events(site, "ACD-SCRIPT", call=c2.get("call_id"))
    t = [a["_t"] for a in ann]
    if arrived and arrived[0]["_t"] and t:
        chk.check(abs(t[0] - arrived[0]["_t"] - ANNOUNCE_S) <= 1.5,
                  "first announcement ~%d s after the second caller arrived" % ANNOUNCE_S,
                  "%.2f s" % (t[0] - arrived[0]["_t"]))
    if len(t) >= 2:
        chk.check(abs(t[1] - t[0] - ANNOUNCE_S) <= 1.5, "announcements %d s apart" % ANNOUNCE_S,
                  "%.2f s" % (t[1] - t[0]))
    chk.eq(ah.events(site, "ACD-ANNOUNCE", call=c1.get("call_id")), [],
           "the first caller (ringing an agent) hears no announcement")
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
