#!/usr/bin/env python3
"""test_wallboard.py - the wallboard in headless Chromium against a real two-site cluster.

Two acdd sites (a, b) and one etcd member. At a: agent 2001 takes calls, 2002 is paused
("lunch"), 2004 serves another queue; at b: 2003 is paused ("training"). Callers at a:
one answered and ended (AHT measured), one answered and still talking (2001 busy), one
who abandons after 1.5 s, one who waits. A drill is set through b's API (etcd carries it
to a). Then Chromium (Debian's, through chromedriver's WebDriver API) loads a's
/wallboard and the test checks:
  - every element is there (totals, the queue cards' fields, the wait-bucket chart, the
    Erlang C box, every agent, both sites, the drill banner);
  - GET /wallboard/snapshot equals the API: this site's queue gauges = /v1/status, the
    cluster-wide waiting = a's + b's, agents' states and pause reasons = their owners'
    /v1/status (b's agent through a's replica), leader and liveness = /v1/status
    cluster, the sites = GET /v1/cluster's, each site's anycast = its own /v1/status
    (neither has a section here; test_wallboard_anycast.py has sites that do), the
    drill = GET /v1/drill; counters = what the callers did; the Erlang C
    recommendation = an independent computation from the snapshot's traffic and AHT;
  - the page shows the snapshot's values (data-value, and the text parsed back);
  - the page follows changes live: 2004 paused ("break") -> its tile within seconds;
    the drill stopped with `acdctl drill stop` -> the banner goes;
  - the stream is bounded: 64 clients at once, the 65th gets a 503, and a closed
    client's place is freed.
The screenshot goes to $ACD_BUILD_DIR/artifacts/wallboard.png (path printed).
"""

import json
import math
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
sys.path.insert(0, HERE)
import cluster as cl  # noqa: E402
import browser as br  # noqa: E402
h = cl.h

ARTIFACT = os.path.join(h.BUILD_DIR, "artifacts", "wallboard.png")
DRILL = "wallboard-test"
CLIENTS_MAX = 64  # ACD__WB_CLIENTS_MAX


def api(site, method, path, body=None, timeout=5):
    """(status, JSON document) of one admin request to site."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://%s:%d%s" % (h.LOOPBACK, site.admin_port, path), data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def acdctl(site, *args, code=False):
    """acdctl against site: its JSON output (or, with code, its exit status)."""
    r = subprocess.run([h.ACDCTL, "--admin", "%s:%d" % (h.LOOPBACK, site.admin_port)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    if code:
        return r.returncode
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"exit": r.returncode, "stderr": r.stderr.decode(errors="replace")}


def snapshot(site):
    st, doc = api(site, "GET", "/wallboard/snapshot")
    return doc if st == 200 else None


def by(items, key, value):
    return next((i for i in items if i.get(key) == value), None)


# ---- Erlang C, written again here from ../shared/DOMAIN.md to check acdd's ----

def erlang_c(n, a):
    if a == 0:
        return 0.0
    if n <= a:
        return 1.0
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1 - b))


def service_level(n, a, aht, t):
    return 1.0 if a == 0 else (0.0 if n <= a else 1 - erlang_c(n, a) * math.exp(-(n - a) * t / aht))


def agents_needed(a, aht, target, t):
    if a == 0:
        return 0
    n = int(math.floor(a)) + 1
    while service_level(n, a, aht, t) < target:
        n += 1
    return n


# ---- the page ----

COLLECT_JS = """
const v = (e) => e ? {value: e.dataset.value, text: e.textContent, hidden: e.hidden} : null;
const out = {ids: {}, queues: {}, agents: {}, sites: {}, states: {},
             seq: document.body.dataset.seq, updates: Number(document.body.dataset.updates)};
for (const id of arguments[0]) out.ids[id] = v(document.getElementById(id));
out.ids['drill-banner-visible'] = document.getElementById('drill-banner') &&
    !document.getElementById('drill-banner').hidden &&
    document.getElementById('drill-banner').offsetHeight > 0;
document.querySelectorAll('#queues [data-queue]').forEach((q) => {
  const f = {};
  q.querySelectorAll('[data-field]').forEach((e) => { f[e.dataset.field] = v(e); });
  f.buckets = Array.from(q.querySelectorAll('rect[data-bucket]')).map(
      (r) => [r.dataset.bucket, Number(r.dataset.value)]);
  out.queues[q.dataset.queue] = f;
});
document.querySelectorAll('#agents [data-agent]').forEach((a) => {
  const f = {_site: a.dataset.site, _state: a.dataset.state};
  a.querySelectorAll('[data-field]').forEach((e) => { f[e.dataset.field] = v(e); });
  out.agents[a.dataset.agent] = f;
});
document.querySelectorAll('#sites [data-site]').forEach((s) => {
  const f = {};
  s.querySelectorAll('[data-field]').forEach((e) => { f[e.dataset.field] = v(e); });
  out.sites[s.dataset.site] = f;
});
document.querySelectorAll('#agent-states [data-state]').forEach((s) => {
  out.states[s.dataset.state] = Number(s.querySelector('[data-field=count]').dataset.value);
});
return out;
"""

PAGE_IDS = ["site-name", "mode", "conn-status", "clock", "leader", "drill-name", "drill-by",
            "drill-started", "total-waiting", "total-longest-wait", "total-sl", "total-asa",
            "total-aht", "total-offered", "total-answered", "total-abandoned", "total-abandon-rate",
            "total-occupancy"]
QUEUE_FIELDS = ["name", "tenant", "waiting", "longest-wait", "service-level", "sl-target", "asa",
                "aht", "offered", "answered", "abandoned", "abandon-rate", "agents-needed",
                "staff-logged-in", "traffic", "sl-variant"]


def parse_duration(text):
    """'1:05' -> 65, '1:02:05' -> 3725; None for the dash."""
    if not re.fullmatch(r"\d+(:\d\d){1,2}", text or ""):
        return None
    s = 0
    for part in text.split(":"):
        s = s * 60 + int(part)
    return s


def parse_number(text):
    """The number in '66.7 %', '0.6 s', '4'; None for the dash."""
    m = re.search(r"-?\d+(\.\d+)?", text or "")
    return float(m.group(0)) if m else None


def raw(x):
    """A snapshot value as the page's data-value writes it."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def same_value(page_value, snap_value, tol=1e-9):
    if snap_value is None:
        return page_value == ""
    if isinstance(snap_value, (int, float)) and not isinstance(snap_value, bool):
        try:
            return abs(float(page_value) - float(snap_value)) < tol
        except (TypeError, ValueError):
            return False
    return page_value == raw(snap_value)


def compare_page(page, snap):
    """The differences between what the page shows and snap: [] when they agree."""
    diffs = []

    def field(where, e, snap_value, kind="count", tol=1e-9):
        if e is None:
            diffs.append("%s: missing" % where)
            return
        if not same_value(e["value"], snap_value, tol):
            diffs.append("%s: data-value %r, snapshot %r" % (where, e["value"], snap_value))
            return
        text = e["text"]
        if snap_value is None:
            ok = "—" in text or text == ""
        elif kind == "duration":  # ticks between snapshots: seconds later, never earlier
            d = parse_duration(text)
            ok = d is not None and snap_value <= d <= snap_value + 3
        elif kind == "pct":
            ok = parse_number(text) is not None and abs(parse_number(text) - snap_value * 100) <= 0.051 + tol * 100
        elif kind == "secs":
            ok = parse_number(text) is not None and abs(parse_number(text) - snap_value) <= 0.051
        else:
            ok = text.strip() == raw(snap_value)
        if not ok:
            diffs.append("%s: text %r for %r" % (where, text, snap_value))

    t = snap["totals"]
    ids = page["ids"]
    field("total-waiting", ids["total-waiting"], t["waiting"])
    field("total-longest-wait", ids["total-longest-wait"], t["longest_wait_s"], "duration")
    field("total-sl", ids["total-sl"], t["service_level"], "pct")
    field("total-asa", ids["total-asa"], t["asa_s"], "secs")
    field("total-aht", ids["total-aht"], t["aht_s"], "secs")
    for k in ("offered", "answered", "abandoned"):
        field("total-" + k, ids["total-" + k], t[k])
    field("total-abandon-rate", ids["total-abandon-rate"], t["abandon_rate"], "pct")
    # Occupancy moves with time itself (agents' state time grows): a page a moment older
    # may differ in the last digits.
    field("total-occupancy", ids["total-occupancy"], t["occupancy"], "pct", tol=0.01)
    if ids["site-name"]["value"] != snap["site"]:
        diffs.append("site-name %r" % ids["site-name"])
    if ids["leader"]["value"] != raw(snap["leader"]):
        diffs.append("leader %r, snapshot %r" % (ids["leader"], snap["leader"]))
    d = snap["drill"]
    if (ids["drill-name"]["value"] or None) != (d and d["name"]) or ids["drill-banner-visible"] != bool(d):
        diffs.append("drill: page %r / banner %r, snapshot %r" % (ids["drill-name"], ids["drill-banner-visible"], d))

    for q in snap["queues"]:
        pq = page["queues"].get(q["name"])
        if pq is None:
            diffs.append("queue %s: no card" % q["name"])
            continue
        w = "queue %s " % q["name"]
        field(w + "waiting", pq.get("waiting"), q["waiting"])
        field(w + "longest-wait", pq.get("longest-wait"), q["longest_wait_s"], "duration")
        field(w + "service-level", pq.get("service-level"), q["service_level"], "pct")
        field(w + "asa", pq.get("asa"), q["asa_s"], "secs")
        field(w + "aht", pq.get("aht"), q["aht_s"], "secs")
        for k in ("offered", "answered", "abandoned"):
            field(w + k, pq.get(k), q[k])
        field(w + "abandon-rate", pq.get("abandon-rate"), q["abandon_rate"], "pct")
        st = q["staffing"] or {}
        field(w + "agents-needed", pq.get("agents-needed"), st.get("agents_needed"))
        want = [("inf" if b["le_s"] is None else str(b["le_s"]), b["calls"]) for b in q["abandon_buckets"]]
        if [tuple(x) for x in pq.get("buckets", [])] != want:
            diffs.append(w + "buckets %r, snapshot %r" % (pq.get("buckets"), want))

    for a in snap["agents"]:
        pa = page["agents"].get(a["id"])
        if pa is None:
            diffs.append("agent %s: no tile" % a["id"])
            continue
        if (pa["_state"], pa["_site"], pa["state"]["text"]) != (a["state"], a["site"], a["state"]):
            diffs.append("agent %s: page %s@%s, snapshot %s@%s" % (a["id"], pa["_state"], pa["_site"],
                                                                   a["state"], a["site"]))
        if (pa["pause-reason"]["value"] or None) != a["pause_reason"]:
            diffs.append("agent %s: reason %r, snapshot %r" % (a["id"], pa["pause-reason"], a["pause_reason"]))
    for s in snap["sites"]:
        ps = page["sites"].get(s["site"])
        if ps is None or ps["live"]["value"] != raw(s["live"]) or ps["leader"]["value"] != raw(s["leader"]):
            diffs.append("site %s: page %r, snapshot %r" % (s["site"], ps, s))
        elif (ps["anycast"]["value"], ps["anycast"]["text"]) != (raw((s["anycast"] or {}).get("announced")),
                                                                 anycast_text(s)):
            diffs.append("site %s: anycast %r, snapshot %r" % (s["site"], ps["anycast"], s["anycast"]))
    for state, n in snap["agent_states"].items():
        if page["states"].get(state) != n:
            diffs.append("agents %s: page %r, snapshot %r" % (state, page["states"].get(state), n))
    return diffs


# ---- the snapshot against the API ----

def anycast_text(s):
    """The sites panel's anycast line for snapshot row s, as docs/wallboard.md states it."""
    a = s.get("anycast")
    if not a:
        reported = s["self"] or s.get("anycast_reported")
        return "no anycast address configured" if reported else "anycast not reported"
    return "anycast %s%s%s" % ("announced" if a["announced"] else "withdrawn",
                               " (%s)" % a["why"] if a["why"] else "", "" if s["live"] else ", last report")


def anycast_diffs(snap, own):
    """The differences between snap's sites' anycast objects and each site's own
    /v1/status "anycast" object (own: site name -> its status document)."""
    diffs = []
    for name, st in own.items():
        s = by(snap["sites"], "site", name)
        a = st.get("anycast")
        want = {k: a.get(k) for k in ("announced", "address", "why")} if a else None
        if s is None or s.get("anycast") != want:
            diffs.append("site %s: anycast %r, its own /v1/status %r" % (name, s and s.get("anycast"), want))
        elif not s["self"] and not s.get("anycast_reported"):
            diffs.append("site %s: anycast not reported" % name)
    return diffs


def same_sites(snap_sites, api_sites):
    """The differences between the snapshot's sites and GET /v1/cluster's: the same rows
    (one function builds both), but for the ages that move between the two reads."""
    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("lag_ms", "heartbeat_age_ms")} for r in rows or []]
    return [] if strip(snap_sites) == strip(api_sites) else [
        "sites %r, GET /v1/cluster %r" % (snap_sites, api_sites)]


def compare_api(snap, st_a, st_b, drill, cluster):
    """The differences between snap (site a's) and the API's own documents."""
    diffs = []
    for q in st_a["queues"]:
        sq = by(snap["queues"], "name", q["name"])
        if sq is None:
            diffs.append("queue %s missing" % q["name"])
            continue
        for k in ("waiting", "longest_wait_s", "agents_logged_in", "agents_available"):
            if sq["here"][k] != q[k]:
                diffs.append("queue %s here.%s %r, /v1/status %r" % (q["name"], k, sq["here"][k], q[k]))
        qb = by(st_b["queues"], "name", q["name"]) or {}
        if sq["waiting"] != q["waiting"] + qb.get("waiting", 0):
            diffs.append("queue %s cluster waiting %r, a %r + b %r" % (q["name"], sq["waiting"], q["waiting"],
                                                                       qb.get("waiting")))
    # Each agent as its owner reports it (the owner: the site where it is logged in).
    for site, st in (("a", st_a), ("b", st_b)):
        for ag in st["agents"]:
            if ag["state"] == "logged-out":
                continue
            sa = by(snap["agents"], "id", ag["id"])
            got = sa and (sa["site"], sa["state"], sa["pause_reason"])
            if got != (site, ag["state"], ag["pause_reason"]):
                diffs.append("agent %s: snapshot %r, %s's /v1/status %r" % (
                    ag["id"], got, site, (ag["state"], ag["pause_reason"])))
    c = st_a["cluster"]
    if snap["leader"] != (c.get("leader") or {}).get("site"):
        diffs.append("leader %r, /v1/status %r" % (snap["leader"], c.get("leader")))
    for p in c["peers"]:
        s = by(snap["sites"], "site", p["site"])
        if s is None or s["live"] != p["live"]:
            diffs.append("site %s: %r, /v1/status peer %r" % (p["site"], s, p))
    diffs += anycast_diffs(snap, {"a": st_a, "b": st_b})  # neither has a section: null, reported
    diffs += same_sites(snap["sites"], cluster.get("sites"))
    if snap["leader"] != cluster.get("leader"):
        diffs.append("leader %r, GET /v1/cluster %r" % (snap["leader"], cluster.get("leader")))
    if snap["drill"] != drill:
        diffs.append("drill %r, GET /v1/drill %r" % (snap["drill"], drill))
    return diffs


def settle(what, fn, timeout=10):
    """Calls fn() -> [differences] until it returns none; the last differences otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        diffs = fn()
        if not diffs or time.monotonic() > deadline:
            if diffs:
                h.log("%s still differ: %s" % (what, "; ".join(diffs)))
            return diffs
        time.sleep(0.3)


# ---- the stream's bound ----

def open_stream(site):
    """A raw GET /wallboard/events; returns (socket, status code)."""
    s = socket.create_connection((h.LOOPBACK, site.admin_port), timeout=5)
    s.sendall(b"GET /wallboard/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    head = b""
    while b"\r\n" not in head:
        chunk = s.recv(256)
        if not chunk:
            break
        head += chunk
    m = re.match(rb"HTTP/1\.1 (\d+)", head)
    return s, int(m.group(1)) if m else 0


def check_bound(chk, site, on_page):
    socks, codes = [], []
    try:
        for _ in range(CLIENTS_MAX - on_page):
            s, code = open_stream(site)
            socks.append(s)
            codes.append(code)
        chk.eq(codes.count(200), CLIENTS_MAX - on_page, "%d more streams open (the page holds %d)" % (
            CLIENTS_MAX - on_page, on_page))
        extra, code = open_stream(site)
        extra.close()
        chk.eq(code, 503, "stream %d is refused with 503" % (CLIENTS_MAX + 1))
    finally:
        for s in socks:
            s.close()
    # h2o notices a closed client at its next write (a tick or two): its place frees.
    freed = []

    def one_more():
        s, code = open_stream(site)
        s.close()
        freed.append(code)
        return code == 200
    chk.check(h.wait_for(one_more, 10, interval=0.5), "closed clients are cleaned up: a new stream gets 200",
              repr(freed[-3:]))


# ---- the test ----

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def start_world(chk):
    tenants = [h.tenant("acme", ["1000"], "main"), h.tenant("beta", ["2000"], "other")]
    queues = [h.queue("main", "acme", wrapup=1), h.queue("other", "beta")]
    agents = [h.agent("2001"), h.agent("2002"), h.agent("2003"), h.agent("2004", queues=("other",))]
    c = cl.Cluster(chk, n_sites=2, n_etcd=1, agents=agents, tenants=tenants, queues=queues).start()
    leader = c.wait_formed()
    h.log("cluster formed, leader %s" % leader)
    a, b = c["a"], c["b"]
    phones_a = a.agent_phones("phones-a", calls=4, ring_ms=200, timeout_s=180)
    phones_b = b.agent_phones("phones-b", calls=2, ring_ms=200, timeout_s=180)
    a.register(["2001", "2002", "2004"], phones_a.port, chk=chk)
    b.register(["2003"], phones_b.port, chk=chk)
    chk.eq(api(a, "POST", "/v1/agents/2002/pause", {"reason": "lunch"})[0], 200, "2002 paused at a (lunch)")
    chk.eq(api(b, "POST", "/v1/agents/2003/pause", {"reason": "training"})[0], 200, "2003 paused at b (training)")
    return c, a, b


def make_traffic(chk, a):
    """One call answered and ended, one answered and talking, one abandon, one waiting."""
    first = a.callers("c-short", calls=1, talk_ms=2000, prefix="51")
    first.wait(30)
    first.check_ok(chk, 1)
    a.wait_cdrs(1, 10)
    chk.check(h.wait_for(lambda: (h.agent_status(a.status(quiet=True) or {}, "2001") or {}).get("state") == "available",
                         10), "2001 free again after wrap-up")
    long_call = a.callers("c-long", calls=1, talk_ms=90000, prefix="52", timeout_s=180)
    chk.check(h.wait_for(lambda: (h.agent_status(a.status(quiet=True) or {}, "2001") or {}).get("state") == "on-call",
                         15), "2001 on the long call")
    gone = a.callers("c-abandon", scenario="caller_abandon.xml", calls=1, talk_ms=1500, prefix="53")
    waiting = a.callers("c-wait", scenario="caller_abandon.xml", calls=1, talk_ms=90000, prefix="54", timeout_s=180)
    gone.wait(30)
    gone.check_ok(chk, 1)
    chk.check(h.wait_for(lambda: h.queued_count(a.status(quiet=True) or {}) == 1, 10), "one caller waits at a")
    return [long_call, waiting]


def check_snapshot(chk, a, b):
    snap = snapshot(a)
    chk.check(snap is not None, "GET /wallboard/snapshot answers")
    q = by(snap["queues"], "name", "main")
    chk.eq((q["offered"], q["answered"], q["abandoned"], q["handled"]), (4, 2, 1, 1),
           "queue main counts what the callers did: offered, answered, abandoned, handled")
    chk.eq(q["abandon_buckets"][0]["calls"], 1, "the 1.5 s abandon is in the 10 s bucket")
    chk.eq(sum(x["calls"] for x in q["abandon_buckets"]), 1, "one abandon in all the buckets")
    chk.eq(q["waiting"], 1, "one caller waiting, cluster-wide")
    chk.check(q["service_level"] is not None and 0 < q["service_level"] <= 1, "a service level", repr(q))
    chk.check(q["aht_s"] is not None and q["aht_s"] >= 2, "AHT measured from the ended call", repr(q["aht_s"]))
    chk.eq(q["sl_variant"], "80/20 over answered + abandoned", "the SL variant is stated")
    st = q["staffing"]
    chk.check(st and st["agents_needed"] is not None and st["traffic_erlangs"] > 0, "an Erlang C recommendation",
              repr(st))
    if st and st.get("agents_needed") is not None:
        want = agents_needed(st["traffic_erlangs"], st["aht_s"], q["sl_target"], q["sl_threshold_s"])
        chk.eq(st["agents_needed"], want, "Erlang C agents needed = DOMAIN.md's formula on the snapshot's A and AHT")
        chk.eq(st["agents_logged_in"], q["agents_logged_in"], "Erlang C compares with the agents logged in")
    # DOMAIN.md's vector through the same Python, so the cross-check itself is checked.
    chk.eq(agents_needed(10.0, 180, 0.8, 20), 14, "the test's Erlang C gives DOMAIN.md's 14 agents")
    chk.eq(snap["mode"], "cluster", "mode cluster")
    chk.eq(sorted(s["site"] for s in snap["sites"]), ["a", "b"], "both sites listed")
    chk.check(by(snap["sites"], "site", "a")["self"], "a is this site")
    chk.check(all(s["live"] and not s["dark"] for s in snap["sites"]), "both sites live", repr(snap["sites"]))
    chk.eq(sum(1 for s in snap["sites"] if s["leader"]), 1, "exactly one site marked leader")
    ag = {x["id"]: x for x in snap["agents"]}
    chk.eq((ag["2002"]["state"], ag["2002"]["pause_reason"], ag["2002"]["site"]), ("paused", "lunch", "a"),
           "2002 paused for lunch at a")
    chk.eq((ag["2003"]["state"], ag["2003"]["pause_reason"], ag["2003"]["site"]), ("paused", "training", "b"),
           "2003, b's agent, paused for training (a's replica)")
    chk.eq(len(ag), len(snap["agents"]), "every agent once")

    def vs_api():
        s = snapshot(a)
        st_a, st_b = a.status(quiet=True), b.status(quiet=True)
        if not (s and st_a and st_b):
            return ["a document is missing"]
        return compare_api(s, st_a, st_b, api(a, "GET", "/v1/drill")[1].get("drill"),
                           api(a, "GET", "/v1/cluster")[1] or {})
    chk.eq(settle("snapshot and API", vs_api), [], "the snapshot's values equal the API's")


def check_page(chk, a, b, browser):
    browser.set_viewport(1920, 1080)
    browser.get("http://%s:%d/wallboard" % (h.LOOPBACK, a.admin_port))
    live = h.wait_for(lambda: (browser.script("return Number(document.body.dataset.updates)") or 0) >= 2, 15,
                      interval=0.2)
    chk.check(live, "the page got a snapshot on connect and a live update after it")
    page = browser.script(COLLECT_JS, PAGE_IDS)
    for i in PAGE_IDS:
        chk.check(page["ids"].get(i) is not None, "element #%s present" % i)
    chk.eq(page["ids"]["conn-status"]["value"], "live", "the page says it is live")
    chk.eq(sorted(page["queues"]), ["main", "other"], "a card per queue")
    for f in QUEUE_FIELDS:
        chk.check(f in page["queues"].get("main", {}), "queue card field %s present" % f)
    chk.eq(len(page["queues"].get("main", {}).get("buckets", [])), 7, "the wait-bucket chart has 7 bars")
    chk.eq(sorted(page["agents"]), ["2001", "2002", "2003", "2004"], "a tile per agent")
    chk.eq(sorted(page["sites"]), ["a", "b"], "a tile per site")
    chk.check(page["ids"]["drill-banner-visible"], "the drill banner shows")
    chk.eq(page["ids"]["drill-name"]["text"], DRILL, "the banner names the drill")

    def vs_snapshot():
        s = snapshot(a)
        return compare_page(browser.script(COLLECT_JS, PAGE_IDS), s) if s else ["no snapshot"]
    chk.eq(settle("page and snapshot", vs_snapshot), [], "the page shows the snapshot's values")
    return page


def check_live(chk, a, browser):
    before = browser.script(COLLECT_JS, PAGE_IDS)
    chk.eq(api(a, "POST", "/v1/agents/2004/pause", {"reason": "break"})[0], 200, "2004 paused at a (break)")

    def tile():
        t = browser.script(COLLECT_JS, PAGE_IDS)["agents"].get("2004") or {}
        return t.get("_state") == "paused" and (t.get("pause-reason") or {}).get("text") == "break"
    chk.check(h.wait_for(tile, 5, interval=0.2), "the grid shows 2004 paused (break) within 5 s")
    after = browser.script(COLLECT_JS, PAGE_IDS)
    chk.eq(after["states"].get("paused"), before["states"].get("paused", 0) + 1, "the paused count went up by one")


def test(chk):
    ok, why = br.available()
    chk.check(ok, "headless Chromium and chromedriver are installed", why)
    if not ok:
        return
    c, a, b = start_world(chk)
    calls = make_traffic(chk, a)
    st, doc = api(b, "PUT", "/v1/drill", {"name": DRILL, "by": "test_wallboard"})
    chk.eq(st, 202, "PUT /v1/drill at b: stored in etcd (202)")
    chk.check(h.wait_for(lambda: ((snapshot(a) or {}).get("drill") or {}).get("name") == DRILL, 10),
              "the drill set at b reaches a's wallboard through etcd")
    chk.eq(api(a, "PUT", "/v1/drill", {"name": ""})[0], 400, "a drill without a name is refused")
    check_snapshot(chk, a, b)

    browser = br.Browser().start()
    try:
        check_page(chk, a, b, browser)
        check_live(chk, a, browser)
        size = browser.screenshot(ARTIFACT)
        dims = png_size(ARTIFACT)
        chk.check(dims is not None and dims[0] >= 1920 and dims[1] >= 1080 and size > 20000,
                  "screenshot is a PNG of the whole 1920-wide page", repr((dims, size)))
        print("wallboard screenshot: %s" % ARTIFACT, flush=True)
        shown = acdctl(a, "drill", "show", "--json")
        chk.eq(shown, api(a, "GET", "/v1/drill")[1], "acdctl drill show --json is GET /v1/drill")
        chk.eq(acdctl(a, "drill", "stop", code=True), 0, "acdctl drill stop at a (DELETE /v1/drill) exits 0")
        chk.eq(api(a, "GET", "/v1/drill")[1], {"drill": None}, "no drill after the stop")
        chk.check(h.wait_for(lambda: browser.script(
            "return document.getElementById('drill-banner').hidden") is True, 5, interval=0.2),
            "the banner goes when the drill is cleared")
        check_bound(chk, a, on_page=1)
    except Exception:
        for line in browser.driver_log():
            h.log("chromedriver: " + line)
        raise
    finally:
        browser.close()
    for s in calls:
        s.stop()


if __name__ == "__main__":
    h.run(test)
