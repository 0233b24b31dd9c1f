"""answering.py - what the answering-service tests (issue 5, label answering) share.

Builds on tests/sip/harness.py (sites, SIPp, cleanup on every way out) and
tests/cluster/cluster.py (etcd and several sites). Adds:
  - short voice prompts: every site gets its own prompt directory of 0.3 s tones (greeting
    0.4 s, music 2 s) under every name call control plays, so what a caller hears takes
    a known, short time whatever the installed prompts are;
  - the SIPp peers of scenarios/: callers that press a key (SIP INFO or RFC 4733) and
    then wait for an agent or for acdd's BYE, agent phones that log the X-ACD-* headers,
    the customer behind a tenant's outbound trunk, logging agents out;
  - the admin API (the client of tests/answering/answering_harness.py), acdd's log lines
    as records, waiting on `acdctl status`.
"""

import math
import os
import struct
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import cluster as cl  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "answering"))
import answering_harness as _ah  # noqa: E402

h = cl.h
SCENARIOS = os.path.join(HERE, "scenarios")

# Every prompt name call control plays (daemon/callctl); 0.3 s each unless listed.
PROMPT_NAMES = ("greeting", "moh", "busy_greeting", "lunch", "closed", "holiday", "back_soon",
                "hours", "dept_closed", "vm_offer", "vm_promise", "beep", "vm_saved", "goodbye",
                "invalid", "saturated", "callback_offer", "callback_taken", "urgent", "menu_main",
                "position", "wait", "minute", "minutes")
PROMPT_SECONDS = {"greeting": 0.4, "moh": 2.0}


def scenario(name):
    return os.path.join(SCENARIOS, name)


def write_prompts(root):
    """Writes root/<lang>/<name>.wav (8 kHz mono 16-bit) for en and es."""
    for lang in ("en", "es"):
        d = os.path.join(root, lang)
        os.makedirs(d, exist_ok=True)
        for i, name in enumerate(PROMPT_NAMES):
            n = int(8000 * PROMPT_SECONDS.get(name, 0.3))
            hz = 300 + 25 * i
            frames = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * hz * k / 8000)))
                              for k in range(n))
            with wave.open(os.path.join(d, name + ".wav"), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(frames)
    os.chmod(root, 0o755)


def short_prompts(site):
    """Points site's media.prompts at its own directory of short prompts."""
    d = os.path.join(site.dir, "prompts")
    write_prompts(d)
    site.config["media"]["prompts"] = d
    return site


def new_site(chk, name, **kw):
    return short_prompts(h.new_site(chk, name, **kw))


def queue(name, tenant, **extra):
    """harness.queue() (ring_timeout 10, wrapup 1) with the answering keys in extra."""
    q = h.queue(name, tenant, ring_timeout=10, wrapup=1)
    q.update(extra)
    return q


def tenant(name, did, queue_name, **extra):
    t = h.tenant(name, dids=(did,), queue=queue_name)
    t.update(extra)
    return t


def agent(id, queues, **extra):
    a = h.agent(id, queues=queues)
    a.update(extra)
    return a


# ---------------------------------------------------------------------------------------
# SIPp peers

def caller(site, name, prefix, did="1000", talk_ms=1000, dtmf=None, via="info", dtmf_ms=1000,
           timeout_s=90, scen="caller_ans.xml", calls=1, send_rtp=False):
    """Callers (numbers prefix + 1, 2 ... calls, one after the other) dialling did:
    caller_ans.xml (a key pressed dtmf_ms after the ACK when dtmf is set), or another
    scenario of tests/sip/scenarios. send_rtp streams a tone (a voice to record)."""
    path = scenario(scen) if os.path.exists(scenario(scen)) else scen
    extra = []
    if scen == "caller_ans.xml":
        extra = ["-set", "dtmf_via", via if dtmf is not None else "none",
                 "-set", "dtmf_digit", str(dtmf if dtmf is not None else "0"),
                 "-set", "dtmf_ms", str(int(dtmf_ms))]
    return site.callers(name=name, scenario=path, calls=calls, prefix=prefix, did=did,
                        talk_ms=talk_ms, send_rtp=send_rtp, timeout_s=timeout_s, extra_args=extra,
                        limit=1 if calls > 1 else None)


def abandoner(site, name, prefix, did="1000", wait_ms=1500):
    """A caller that waits wait_ms in the queue and hangs up (tests/sip caller_abandon.xml)."""
    return site.callers(name=name, scenario="caller_abandon.xml", calls=1, prefix=prefix, did=did,
                        talk_ms=wait_ms, send_rtp=False, timeout_s=60)


def phone(site, name, calls, ring_ms=200, timeout_s=150):
    """A SIPp UAS answering every agent registered to its port (agent_ans_uas.xml)."""
    return site.sipp(name, scenario("agent_ans_uas.xml"), uac=False, calls=calls,
                     sets={"ring_ms": ring_ms}, timeout_s=timeout_s)


def customer(site, name, calls, first_call="answer", ring_ms=200, talk_ms=1500, timeout_s=150):
    """The customer behind a tenant's outbound trunk (customer_uas.xml); its port goes
    into the tenant's callback.trunk, so start it before the site."""
    return site.sipp(name, scenario("customer_uas.xml"), uac=False, calls=calls,
                     sets={"ring_ms": ring_ms, "first_call": first_call}, duration_ms=talk_ms,
                     timeout_s=timeout_s)


def unregister(site, users, contact_port, chk, name="unregister"):
    """REGISTER with Expires: 0 for every user (bound to contact_port by register())."""
    csv = os.path.join(site.dir, "%s.csv" % name)
    with open(csv, "w") as f:
        f.write("SEQUENTIAL\n")
        for u in users:
            f.write("%s;%d;\n" % (u, contact_port))
    s = site.sipp(name, scenario("unregister.xml"), calls=len(users),
                  args=["-inf", csv, "-r", "50", "-recv_timeout", "5000"])
    s.wait(20)
    s.check_ok(chk, len(users))
    return s


def offers(ph):
    """The phone's OFFER lines as dicts: call_id, user, acd, tenant, delivery, context
    (context is the rest of the line, spaces included)."""
    out = []
    for line in ph.log_lines("OFFER "):
        head, _, context = line.partition(" context=")
        parts = head.split()
        rec = {"call_id": parts[1] if len(parts) > 1 else "", "context": context}
        for p in parts[2:]:
            k, _, v = p.partition("=")
            rec[k] = v
        out.append(rec)
    return out


def acks(ph):
    return ph.log_records("ACK")


# ---------------------------------------------------------------------------------------
# acdd

# The admin API client of the other answering tests (tests/answering): api(site, method,
# path, body=None, raw=None) -> (status, decoded JSON or {"_text": ...}).
api = _ah.api


def events(site, msg_id):
    """acdd's log lines with id=msg_id as dicts of their key=value fields, plus "_t"
    (the line's time, epoch seconds) and "_line"."""
    out = []
    mark = " id=%s " % msg_id
    for line in site.log_text().splitlines():
        if mark not in line:
            continue
        rec = {"_line": line}
        parts = line.split()
        try:
            rec["_t"] = h.parse_time(parts[0])
        except (ValueError, IndexError):
            rec["_t"] = None
        for p in parts[1:]:
            if "=" in p:
                k, _, v = p.partition("=")
                rec.setdefault(k, v)
        out.append(rec)
    return out


def calls(site):
    """{caller number: call dict} from site's own `acdctl status --json`."""
    return {str(c.get("caller")): c for c in (site.status(quiet=True) or {}).get("calls", [])}


def wait_state(chk, site, number, state, timeout=10, what=None):
    """Waits until site's status shows caller number's call in state; checks it."""
    ok = h.wait_for(lambda: (calls(site).get(number) or {}).get("state") == state, timeout)
    chk.check(ok, what or "call from %s is %s at %s" % (number, state, site.name),
              repr({k: v.get("state") for k, v in calls(site).items()}))
    return bool(ok)


def wait_agent(chk, site, agent_id, state="available", timeout=10):
    ok = h.wait_for(lambda: cl.agent_state(site, agent_id) == state, timeout)
    chk.check(ok, "agent %s %s at %s" % (agent_id, state, site.name), repr(cl.agent_state(site, agent_id)))
    return bool(ok)


def login(chk, site, users, port, name):
    """Registers users to the phone on port and waits until each is logged in (available,
    or already offered a waiting call)."""
    site.register(list(users), port, chk=chk, name=name)
    for u in users:
        ok = h.wait_for(lambda: cl.agent_state(site, u) not in (None, "logged-out"), 10)
        chk.check(ok, "agent %s logged in at %s" % (u, site.name), repr(cl.agent_state(site, u)))


def by_caller(cdrs):
    """{caller number: [CDRs in enqueue order]}."""
    out = {}
    for c in cdrs:
        out.setdefault(str(c.get("caller")), []).append(c)
    for v in out.values():
        v.sort(key=lambda c: c.get("enqueue_ms") or 0)
    return out


def answered_order(cdrs, numbers):
    """The numbers sorted by the answer time of their (last) answered CDR; a number with
    none answered is left out."""
    at = {}
    for c in cdrs:
        n = str(c.get("caller"))
        if n in numbers and c.get("disposition") == "answered" and c.get("answer_ms"):
            at[n] = c["answer_ms"]
    return sorted(at, key=lambda n: at[n])


def wait_all(sipps, timeout):
    """Waits for every SIPp in sipps, sharing one deadline."""
    deadline = time.monotonic() + timeout
    for s in sipps:
        if s.rc is None and not s.out.closed:
            s.wait(max(1.0, deadline - time.monotonic()))


def finish(chk, site, sipps, ph, phone_calls, n_cdrs, timeout=90):
    """Waits for the callers (one call each) and the phone, checks they all succeeded, and
    that site wrote n_cdrs CDRs with unique call ids and no agent on two calls at once.
    Returns the CDRs."""
    wait_all(sipps, timeout)
    ph.wait(20)
    for s in sipps:
        s.check_ok(chk, 1)
    ph.check_ok(chk, phone_calls)
    cdrs = site.wait_cdrs(n_cdrs, 10)
    h.check_unique_call_ids(chk, cdrs)
    chk.eq(len(cdrs), n_cdrs, "one CDR per call (%d)" % n_cdrs)
    h.check_no_agent_overlap(chk, cdrs)
    return cdrs
