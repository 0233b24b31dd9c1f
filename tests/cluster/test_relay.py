#!/usr/bin/env python3
"""test_relay.py - in-dialog requests that reach a site which does not own the dialog
(ADR 0017). Two sites a and b: a call enters a and is answered by a's agent; a is drained
(`acdctl drain`: its route is withdrawn, it keeps its calls); then the carrier's route
points at b, so the caller's re-INVITE, its ACK and its BYE go to b. b holds a's dialog in
its replica, relays each request to a's SIP address as a stateless proxy, and relays a's
answers back: the re-INVITE gets 200, the BYE 200; a ends the call (its agent gets the
BYE) and writes the one CDR. b logs ACD-SIP-RELAYED for each, a relays nothing, and an
in-dialog request for a dialog nobody owns still gets 481 at b."""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h

TALK_MS = 2500


def acdctl(site, *args):
    r = subprocess.run([h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, site.admin_port)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def stray_bye(port):
    """A BYE for a dialog no site has, from a fresh UDP socket; the final status or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((h.LOOPBACK, 0))
    s.settimeout(2.0)
    me = "%s:%d" % (h.LOOPBACK, s.getsockname()[1])
    msg = ("BYE sip:acdd@{a}:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKstray1;rport\r\n"
           "From: <sip:5559@{a}>;tag=stray-from\r\nTo: <sip:1000@{a}>;tag=stray-to\r\n"
           "Call-ID: relay-stray@test\r\nCSeq: 7 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
           ).format(a=h.LOOPBACK, p=port, me=me)
    try:
        s.sendto(msg.encode(), (h.LOOPBACK, port))
        while True:
            code = int(s.recv(65535).decode("latin-1").split(" ", 2)[1])
            if code >= 200:
                return code
    except (socket.timeout, ValueError, IndexError):
        return None
    finally:
        s.close()


def relayed(site, method=None):
    """site's ACD-SIP-RELAYED log lines (for method only, when given)."""
    return [l for l in site.log_text().splitlines()
            if "ACD-SIP-RELAYED" in l and (method is None or "method=%s " % method in l)]


def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("3001")]).start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, b = c["a"], c["b"]
    keys = c.etcd.get("/acdd/sites/", prefix=True)
    chk.check(all('"sip":"%s:%d"' % (h.LOOPBACK, s.sip_port) in keys.get("/acdd/sites/" + s.name, "")
                  for s in (a, b)), "each site's liveness key names its SIP address", repr(keys))
    phone = a.agent_phones(name="phone-a", calls=1, ring_ms=100, timeout_s=60)
    a.register(["3001"], phone.port, chk=chk)

    caller = a.callers(name="moved", scenario="caller_relay.xml", calls=1, talk_ms=TALK_MS, prefix="61",
                       timeout_s=60, extra_args=["-set", "relay_host", h.LOOPBACK,
                                                 "-set", "relay_port", str(b.sip_port)])
    ok = h.wait_for(lambda: cl.calls_at(a).get("611") == "connected", 15)
    chk.check(ok, "the call is connected at a", repr(cl.calls_at(a)))
    ok = h.wait_for(lambda: cl.peer_view(b, "a").get("dialogs") == 2, 5)
    chk.check(ok, "b holds a's two dialogs", repr(cl.peer_view(b, "a")))
    rc, out = acdctl(a, "drain")
    chk.eq(rc, 0, "acdctl drain a exits 0 (%s)" % out.strip())

    caller.wait(40)
    phone.wait(20)
    caller.check_ok(chk, 1)
    phone.check_ok(chk, 1)
    got = {k: v for r in caller.log_records("RELAYED") for k, v in r.items() if k != "call_id"}
    chk.eq(got, {"reinvite": "200", "bye": "200"}, "the re-INVITE and the BYE sent to b got a's 200s")
    for m in ("INVITE", "ACK", "BYE"):
        lines = relayed(b, m)
        chk.eq(len(lines), 1, "b relayed the caller's %s once" % m)
        chk.check(all("to=a " in l for l in lines), "b relayed the %s to a" % m, repr(lines))
    chk.eq(relayed(a), [], "a relayed nothing")
    chk.check(len(phone.log_records("ACK")) == 1, "a's agent got the call (and then its BYE)")

    cdrs = c.wait_cdrs(1, 10)
    c.check_invariants(chk, cdrs, 1)
    for r in cdrs:
        chk.eq((r["_file"], r.get("disposition"), r.get("agent")), ("a", "answered", "3001"),
               "one CDR, by a, answered by 3001")
    chk.check(h.wait_for(lambda: cl.peer_view(b, "a").get("dialogs") == 0, 5), "b dropped a's dialogs",
              repr(cl.peer_view(b, "a")))

    chk.eq(stray_bye(b.sip_port), 481, "a BYE for a dialog nobody owns: 481 at b")
    chk.check(not any("relay-stray@test" in l for l in relayed(b, "BYE")), "b relayed no stray BYE")
    chk.eq(acdctl(a, "undrain")[0], 0, "acdctl undrain a exits 0")
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
