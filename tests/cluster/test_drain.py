#!/usr/bin/env python3
"""test_drain.py - planned maintenance of one cluster site (`acdctl drain`): the drained
site answers new calls 503 and takes no new work for its own agents, but the callers
already waiting there are calls in progress - the leader still gives them to agents of
other sites. `acdctl undrain` puts the site and its agents back in service."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as cl  # noqa: E402
h = cl.h


def acdctl(site, *args):
    r = subprocess.run([h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, site.admin_port)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.returncode, r.stdout.decode("utf-8", "replace")



def test(chk):
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=[h.agent("3001"), h.agent("3002")]).start()
    h.log("cluster formed, leader %s" % c.wait_formed())
    a, b = c["a"], c["b"]
    phone_a = a.agent_phones(name="phone-a", calls=None, ring_ms=100, timeout_s=120)
    a.register(["3001"], phone_a.port, chk=chk)
    phone_b = b.agent_phones(name="phone-b", calls=None, ring_ms=100, timeout_s=120)
    b.register(["3002"], phone_b.port, chk=chk)

    # Both agents busy; then a caller waits at a.
    long_a = a.callers(name="long-a", calls=1, talk_ms=2500, prefix="51")
    long_b = b.callers(name="long-b", calls=1, talk_ms=5000, prefix="52")
    ok = h.wait_for(lambda: cl.agent_state(a, "3001") == "on-call" and cl.agent_state(b, "3002") == "on-call", 10)
    chk.check(ok, "both agents on a call")
    waiting = a.callers(name="waiting", calls=1, talk_ms=500, prefix="53")
    chk.check(h.wait_for(lambda: h.queued_count(a.status(quiet=True) or {}) == 1, 5), "a caller waits at a")

    rc, out = acdctl(a, "drain")
    chk.eq(rc, 0, "acdctl drain exits 0 (%s)" % out.strip())
    refused = a.callers(name="refused", calls=1, talk_ms=500, prefix="54", timeout_s=20)
    refused.wait(30)
    chk.check(refused.successful() == 0 and refused.failed() == 1, "a new call to the drained site is refused",
              "successful %d failed %d" % (refused.successful(), refused.failed()))
    chk.check(any(m.get("status") == "503" for m in [{"status": l.split()[1]} for l in
                  open(refused.files["messages.log"], encoding="latin-1").read().splitlines()
                  if l.startswith("SIP/2.0 ")]), "the drained site answered 503")

    # 3001 (a's own agent) frees first, but a is draining: the waiting caller goes to b's 3002.
    for s in (long_a, long_b, waiting):
        s.wait(40)
    for s in (long_a, long_b, waiting):
        s.check_ok(chk, 1)
    cdrs = c.cdrs()
    w = [r for r in cdrs if str(r.get("caller")).startswith("53")]
    chk.eq(len(w), 1, "the waiting caller has one CDR")
    if w:
        chk.eq((w[0].get("_file"), w[0].get("agent"), w[0].get("agent_site")), ("a", "3002", "b"),
               "the drained site's waiting caller was answered by b's agent")
    chk.eq(cl.agent_state(a, "3001") in ("available", "wrap-up"), True, "a's agent took no new call while draining")

    rc, out = acdctl(a, "undrain")
    chk.eq(rc, 0, "acdctl undrain exits 0 (%s)" % out.strip())
    again = a.callers(name="again", calls=1, talk_ms=500, prefix="55")
    again.wait(30)
    again.check_ok(chk, 1)
    phone_a.stop()
    phone_b.stop()
    c.check_invariants(chk, [r for r in c.cdrs()], 4)
    for s in c.sites:
        chk.eq(s.stop(), 0, "site %s exits 0 on SIGTERM" % s.name)


if __name__ == "__main__":
    h.run(test)
