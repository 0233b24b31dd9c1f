"""answering_harness.py - helpers for the answering-service tests (issue 5), on top of
tests/sip/harness.py (stdlib only).

What it adds: config entries with the answering keys (tenant/queue/agent take any extra
YAML key), a prompts directory of short tones per site (so every prompt the daemon may
name exists and takes a known time: the tests time their digits by it), the admin API
over HTTP, acdd log records by message ID (`ACD-SCRIPT call=.. mode=..`), SIPp <log>
lines with quoted values (the X-ACD-Context header), and schedules computed around a
clock in a time zone.
"""

import datetime
import json
import math
import os
import re
import struct
import sys
import time
import urllib.error
import urllib.request
import wave
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

SCENARIOS = os.path.join(HERE, "scenarios")
SIP_SCENARIOS = h.SCENARIOS
PCAP_DIR = "/usr/share/sip-tester"
PROMPT_S = 0.25  # every generated prompt lasts this long

# Every prompt name the answering service plays: those deploy/prompts/en has texts for,
# and these (named by the behaviour notes and by the tests' IVRs) whether or not it has.
PROMPTS = ["greeting", "moh", "busy_greeting", "closed", "lunch", "holiday", "hours",
           "dept_closed", "vm_offer", "vm_promise", "beep", "vm_saved", "goodbye", "urgent",
           "invalid", "back_soon", "saturated", "callback_taken", "callback_offer", "position",
           "wait", "minute", "minutes", "menu_main", "menu_billing", "menu_night"] + \
          ["n%d" % i for i in range(0, 100)]


def _prompt_names():
    names = list(PROMPTS)
    d = os.path.join(h.SOURCE_DIR, "deploy", "prompts", "en")
    try:
        names += [f[:-4] for f in sorted(os.listdir(d)) if f.endswith(".txt")]
    except OSError:
        pass
    return sorted(set(names))


def scen(name):
    """The absolute path of a scenario here (or of tests/sip/scenarios/<name> with sip:)."""
    if name.startswith("sip:"):
        return os.path.join(SIP_SCENARIOS, name[4:])
    return os.path.join(SCENARIOS, name)


# ---------------------------------------------------------------------------------------
# Config entries

def tenant(name, dids, queue, **kw):
    """A tenant entry; kw adds answering keys (timezone, hours, ivr, voicemail ...)."""
    t = {"name": name, "dids": [str(d) for d in dids], "queue": queue, "language": "en",
         "answer_after": 0}
    t.update(kw)
    return t


def queue(name, tenant, **kw):
    q = {"name": name, "tenant": tenant, "strategy": "longest-idle", "ring_timeout": 15,
         "wrapup": 1, "max_no_answer": 3}
    q.update(kw)
    return q


def agent(id, queues, **kw):
    a = {"id": str(id), "sip_user": str(id), "queues": list(queues)}
    a.update(kw)
    return a


# ---------------------------------------------------------------------------------------
# Prompts and audio

def _tone_pcm(seconds, hz, amp=8000):
    n = int(8000 * seconds)
    return b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * hz * i / 8000)))
                    for i in range(n))


def write_wav(path, seconds, hz=440):
    """An 8 kHz mono 16-bit WAV of a sine, what acdd's prompt loader reads."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(_tone_pcm(seconds, hz))


def use_test_prompts(site, seconds=PROMPT_S):
    """Points the site's media.prompts at <site dir>/prompts with every name in PROMPTS
    (en and es) as a short tone, music 2 s; call before site.start()."""
    root = os.path.join(site.dir, "prompts")
    for lang in ("en", "es"):
        d = os.path.join(root, lang)
        os.makedirs(d, exist_ok=True)
        for i, name in enumerate(_prompt_names()):
            write_wav(os.path.join(d, name + ".wav"), 2.0 if name == "moh" else seconds,
                      300 + 7 * (i % 100))
    site.config["media"]["prompts"] = root
    return root


def write_ulaw(site, name, seconds, hz=700):
    """Raw PCMU for SIPp's rtp_stream, seconds (whole) long, in the site's dir (SIPp's cwd)."""
    path = os.path.join(site.dir, name)
    h._write_ulaw_tone(path, seconds=int(round(seconds)), hz=hz)
    return path


def _soxi(flag, path):
    import subprocess
    try:
        r = subprocess.run(["soxi", flag, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        return r.stdout.decode().strip() if r.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def wav_seconds(path):
    """The duration of a sound file by `soxi -D` (sox), or None when soxi fails."""
    v = _soxi("-D", path)
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


def wav_format(path):
    """(sample rate, channels, bits per sample) by soxi, or None."""
    v = [_soxi(f, path) for f in ("-r", "-c", "-b")]
    try:
        return tuple(int(x) for x in v) if None not in v else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Admin API

def api(site, method, path, body=None, raw=None, timeout=5):
    """One HTTP request to the site's admin endpoint; returns (status, parsed JSON or
    {"_text": body} when it is not JSON). body: an object sent as JSON; raw: bytes."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request("http://%s:%d%s" % (h.LOOPBACK, site.admin_port, path),
                                 data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return None, {"_text": repr(e)}
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"_text": text.decode("utf-8", "replace")}


def tenant_state(site, name):
    """GET /v1/tenants/<name> -> the tenant object, or None."""
    st, doc = api(site, "GET", "/v1/tenants/" + name)
    if st != 200:
        return None
    return doc.get("tenant", doc)


def tenants_by_name(site):
    st, doc = api(site, "GET", "/v1/tenants")
    if st != 200 or not isinstance(doc.get("tenants"), list):
        return {}
    return {t.get("name"): t for t in doc["tenants"]}


def acdctl(site, *args, timeout=10):
    """Runs acdctl --admin <site> args...; returns (exit code, stdout, stderr)."""
    import subprocess
    argv = [h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, site.admin_port)] + list(args)
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "", repr(e)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------
# Log records

_KV = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)=("(?:[^"\\]|\\.)*"|[^ ;]*)')
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")


def parse_kv(text):
    """k=v pairs of text (values may be "quoted"; a ';' also ends a value) -> dict."""
    out = {}
    for k, v in _KV.findall(text):
        if v.startswith('"') and v.endswith('"') and len(v) >= 2:
            v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.setdefault(k, v)
    return out


def events(site, msg_id, **match):
    """acdd log lines with id=<msg_id>, as dicts of their k=v fields plus "_t" (epoch s,
    from the line's timestamp) and "_line"; only those whose fields equal every match."""
    out = []
    needle = " id=%s " % msg_id
    for line in site.log_text().splitlines():
        if needle not in line:
            continue
        rest = line.split(needle, 1)[1]
        rec = parse_kv(rest)
        m = _LOG_TIME.match(line)
        rec["_t"] = (datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp() if m else None)
        rec["_line"] = line
        if all(rec.get(k) == str(v) for k, v in match.items()):
            out.append(rec)
    return out


def wait_events(site, msg_id, n=1, timeout=10, **match):
    """Waits until at least n such records exist; returns them (maybe fewer on timeout)."""
    h.wait_for(lambda: len(events(site, msg_id, **match)) >= n, timeout)
    return events(site, msg_id, **match)


def sipp_records(sipp, prefix, tail="ctx"):
    """SIPp <log> lines "<PREFIX> k=v k=\"v v\" ..." as dicts (quoted values allowed); the
    key tail, when present, takes the rest of the line (a header value with ';' and '=')."""
    out = []
    for line in sipp.log_lines(prefix + " "):
        body = line[len(prefix) + 1:]
        rest = None
        if (" %s=" % tail) in " " + body:
            body, rest = (" " + body).split(" %s=" % tail, 1)
        rec = parse_kv(body)
        if rest is not None:
            rec[tail] = rest
        out.append(rec)
    return out


def context_fields(ctx):
    """X-ACD-Context: tenant=..;mode=..;instructions="..." -> dict."""
    return parse_kv(ctx or "")


# ---------------------------------------------------------------------------------------
# SIPp peers

def uas(site, name, scenario, sets=None, calls=None, talk_ms=None, timeout_s=90, args=()):
    """A SIPp UAS (an agent's phone, a trunk) with a scenario of this directory."""
    return site.sipp(name, scen(scenario), uac=False, calls=calls, sets=sets or {},
                     duration_ms=talk_ms, timeout_s=timeout_s, args=list(args))


def caller(site, name, scenario, did, sets=None, talk_ms=1000, prefix="55", rtp_port=None,
           timeout_s=60, calls=1):
    """One SIPp caller dialling did; sets adds scenario variables (extra_hdr, digits ...)."""
    media = h.free_port_block(3, kinds=("udp",))
    allsets = {"rtp_port": rtp_port or media, "caller_prefix": prefix, "send_rtp": 0,
               "extra_hdr": "X-Test-Case: " + name}
    allsets.update(sets or {})
    args = ["-s", str(did), "-r", "1", "-recv_timeout", "60000"]
    return site.sipp(name, scen(scenario), calls=calls, sets=allsets, duration_ms=talk_ms,
                     timeout_s=timeout_s, media_port=media, args=args)


# caller_dtmf.xml with nothing to do: answered, it hangs up after -d ms.
DTMF_NONE = {"first_ms": 1000, "gap_ms": 700, "info1": "none", "junk": 0, "info2": "none",
             "pcap": "none", "stream": 0, "stream_delay_ms": 0, "stream_ms": 0, "end": "bye"}


def dtmf_caller(site, name, did, talk_ms=1000, prefix="55", extra_hdr=None, rtp_port=None,
                timeout_s=60, **steps):
    """A caller_dtmf.xml caller; steps override DTMF_NONE (info1="3", pcap="2", end=...).
    SIPp loads ./vm.ulaw at start-up even when it does not stream: a 1 s one is written
    unless the test wrote its own (write_ulaw)."""
    if not os.path.exists(os.path.join(site.dir, "vm.ulaw")):
        write_ulaw(site, "vm.ulaw", 1)
    sets = dict(DTMF_NONE)
    sets.update(steps)
    sets["extra_hdr"] = extra_hdr or "X-Test-Case: " + name
    return caller(site, name, "caller_dtmf.xml", did, sets=sets, talk_ms=talk_ms, prefix=prefix,
                  rtp_port=rtp_port, timeout_s=timeout_s)


def wait_available(site, agent_ids, timeout=5):
    """True once acdctl status shows every agent available."""
    def ok():
        st = site.status(quiet=True)
        return st and all((h.agent_status(st, a) or {}).get("state") == "available"
                          for a in agent_ids)
    return bool(h.wait_for(ok, timeout))


def cdr_by_caller(cdrs):
    """A list of CDRs (site.wait_cdrs()) keyed by their caller (From user); the last wins."""
    return {c.get("caller"): c for c in cdrs}


# ---------------------------------------------------------------------------------------
# Schedules

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local_now(tz, now=None):
    """now (epoch s; default the real clock) as an aware datetime in zone tz."""
    return datetime.datetime.fromtimestamp(now if now is not None else time.time(),
                                           zoneinfo.ZoneInfo(tz))


def hhmm(minutes):
    return "%02d:%02d" % (minutes // 60, minutes % 60)


def hours_excluding(tz, now=None, margin_min=90):
    """`hours` that are closed at now in tz whatever the day: every day, one hour that
    starts margin_min after now (local), kept inside the day so that it never covers now."""
    t = local_now(tz, now)
    m = t.hour * 60 + t.minute
    start = min((m + margin_min) % 1440, 1440 - 60)
    assert not start <= m < start + 60
    return [{"days": "mon-sun", "open": hhmm(start), "close": hhmm(start + 60)}]


def ms(dt):
    """An aware datetime -> Unix ms."""
    return int(round(dt.timestamp() * 1000))
