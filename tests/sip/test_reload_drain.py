#!/usr/bin/env python3
"""test_reload_drain.py - SIGHUP and SIGTERM with a call in progress.

Reload: while caller 1 talks to agent 2001, the config gains agent 2002 and acdd gets
SIGHUP: 2002 appears live, registers and takes caller 2; caller 1 is not dropped. A
second SIGHUP with a broken file is refused (the running config stays, logged
ACD-MAIN-RELOAD-INVALID). Drain: SIGTERM while caller 3 talks: a new INVITE gets 503,
caller 3's call finishes normally, acdd exits 0. Every call ends in exactly one CDR.
systemd notifications arrive on NOTIFY_SOCKET in order: READY, RELOADING+READY per
SIGHUP, STOPPING."""

import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def state(site, agent):
    return (h.agent_status(site.status(quiet=True) or {}, agent) or {}).get("state")


def test(chk):
    site = h.new_site(chk, "reload", agents=[h.agent("2001")],
                      queues=[h.queue("main", "acme", ring_timeout=10, wrapup=0, max_no_answer=3)])
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify_path = os.path.join(site.dir, "notify.sock")
    notify.bind(notify_path)
    notify.setblocking(False)
    os.environ["NOTIFY_SOCKET"] = notify_path
    try:
        site.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    phones = site.agent_phones(calls=3, ring_ms=200)
    site.register(["2001"], phones.port, name="reg1", chk=chk)
    chk.check(h.wait_for(lambda: state(site, "2001") == "available", 5), "2001 available")

    # -- reload with a call in progress ---------------------------------------------------
    c1 = site.callers("call1", calls=1, talk_ms=4000, prefix="55")
    chk.check(h.wait_for(lambda: state(site, "2001") == "on-call", 10), "2001 on call 1")
    chk.eq(state(site, "2002"), None, "2002 unknown before the reload")
    site.config["agents"].append(h.agent("2002"))
    site.write_config()
    site.proc.send_signal(signal.SIGHUP)
    chk.check(h.wait_for(lambda: state(site, "2002") == "logged-out", 5), "2002 added by SIGHUP")
    chk.eq(state(site, "2001"), "on-call", "2001 still on call 1 after the reload")
    site.register(["2002"], phones.port, name="reg2", chk=chk)
    chk.check(h.wait_for(lambda: state(site, "2002") == "available", 5), "2002 available")
    c2 = site.callers("call2", calls=1, talk_ms=500, prefix="66")
    c2.wait(30)
    c2.check_ok(chk, 1)

    # A broken file is refused and changes nothing.
    with open(site.config_path, "a") as f:
        f.write("\nqueues: [ {name: main, tenant: nobody} ]\n  bad indentation: [\n")
    site.proc.send_signal(signal.SIGHUP)
    chk.check(h.wait_for(lambda: "ACD-MAIN-RELOAD-INVALID" in site.log_text(), 5),
              "broken config refused (ACD-MAIN-RELOAD-INVALID)")
    chk.eq(state(site, "2002") is not None, True, "2002 still configured after the refused reload")
    c1.wait(30)
    c1.check_ok(chk, 1)
    chk.eq(site.proc.poll(), None, "acdd alive after both reloads")

    # -- drain -------------------------------------------------------------------------
    c3 = site.callers("call3", calls=1, talk_ms=3000, prefix="77")
    chk.check(h.wait_for(lambda: any(state(site, a) == "on-call" for a in ("2001", "2002")), 10),
              "call 3 connected")
    site.proc.send_signal(signal.SIGTERM)
    chk.check(h.wait_for(lambda: "ACD-SITE-DRAINING" in site.log_text(), 5), "acdd draining")
    c4 = site.callers("call4", calls=1, talk_ms=500, prefix="88", timeout_s=10)
    c4.wait(20)
    chk.check(h.wait_for(lambda: "ACD-CALL-REJECTED status=503" in site.log_text(), 5),
              "a new call while draining gets 503")
    chk.eq(c4.successful(), 0, "the call offered while draining was not connected")
    c3.wait(30)
    c3.check_ok(chk, 1)
    try:
        code = site.proc.wait(15)
    except Exception:
        code = None
    chk.eq(code, 0, "acdd exit code after the drain")

    notes = []
    while True:
        try:
            notes.append(notify.recv(4096).decode())
        except BlockingIOError:
            break
    notify.close()
    chk.eq(notes, ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1", "STOPPING=1"],
           "systemd notifications")

    cdrs = site.cdrs()
    chk.eq(len(cdrs), 3, "one CDR for each of the three connected calls (none for the 503)")
    for c in cdrs:
        h.check_cdr_shape(chk, c, "reload")
        chk.eq(c.get("disposition"), "answered", "CDR %s disposition" % c.get("caller"))


if __name__ == "__main__":
    h.run(test)
