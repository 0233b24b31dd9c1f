#!/usr/bin/env python3
"""test_acdctl.py - every acdctl command against a real acdd with a token, read back.

One acdd (token file), agents 2001 and 2002 with SIPp phones, a caller waiting while both
are paused. For each command the human table (parsed back by its column heads) and the
--json output are compared with what the API answers at that moment; the verbs' effects
are read back through the API. Then:
  - --help of every command the top usage lists, and of each subcommand: usage on
    stdout, nothing on stderr, exit 0;
  - the exit codes: 0 done; 1 usage (unknown command, option, subcommand, a missing
    --reason, an unreadable --token-file); 2 nothing listens at --admin; 3 a server that
    answers with no JSON; 4 refused (409); 5 no token or the wrong one; 6 unknown agent,
    queue, call, tenant;
  - the token from --token, --token-file, ACDCTL_TOKEN and --config's admin.token_file.
"""

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as ta  # noqa: E402

ah = ta.ah
h = ta.h


def ctl(site, *args, token=ta.TOKEN, admin=None, env_token=None, timeout=15):
    """Runs acdctl --admin <site> args; returns (exit code, stdout, stderr). token goes
    in --token (None: none); env_token into ACDCTL_TOKEN (None: unset)."""
    env = dict(os.environ)
    env.pop("ACDCTL_TOKEN", None)
    if env_token is not None:
        env["ACDCTL_TOKEN"] = env_token
    argv = [h.ACDCTL]
    if admin is not False:
        argv += ["--admin", admin or "%s:%d" % (h.LOOPBACK, site.admin_port)]
    if token:
        argv += ["--token", token]
    argv += list(args)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def table(out, title):
    """The rows of the table titled title in acdctl's output, as dicts by column head
    (columns are cut at the heads' offsets: each is padded to its widest cell)."""
    lines = out.splitlines()
    try:
        i = lines.index(title)
    except ValueError:
        return None
    head = lines[i + 1]
    starts = [m.start() for m in re.finditer(r"\S+", head)]
    names = head.split()
    rows = []
    for line in lines[i + 2:]:
        if not line.strip() or line == "(none)":
            break
        cells = [line[s:(starts[k + 1] if k + 1 < len(starts) else None)].strip()
                 for k, s in enumerate(starts)]
        rows.append(dict(zip(names, cells)))
    return rows


def fields(out):
    """The "key  value" lines of a show command, as a dict (keys may hold one space)."""
    d = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+(?: \S+)*?)\s{2,}(.*)$", line)
        if m:
            d[m.group(1)] = m.group(2)
    return d


def api(site, path):
    r = ta.request(site, "GET", path, token=ta.TOKEN)
    return r.doc if r and r.status == 200 else {}


def dash(v):
    return "-" if v is None else str(v)


def check_json(chk, site, args, path, what, drop=("now", "uptime_s", "state_since", "idle_since")):
    """acdctl args --json prints the API's document for path (clock members aside)."""
    rc, out, err = ctl(site, *(list(args) + ["--json"]))
    chk.eq(rc, 0, "acdctl %s --json: exit 0 (%s)" % (" ".join(args), err.strip()))
    try:
        got = json.loads(out)
    except ValueError:
        got = None
    want = api(site, path)

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in drop and not k.endswith("_ms")
                    and k not in ("wait_s", "longest_wait_s", "sip")}
        if isinstance(o, list):
            return [strip(x) for x in o]
        return o
    chk.eq(strip(got), strip(want), "acdctl %s --json is GET %s (%s)" % (" ".join(args), path, what))


def check_agents(chk, site):
    rc, out, err = ctl(site, "agent", "list")
    rows = table(out, "AGENTS") or []
    want = api(site, "/v1/agents").get("agents", [])
    chk.eq(rc, 0, "agent list: exit 0")
    chk.eq([(r.get("ID"), r.get("STATE"), r.get("REASON"), r.get("SITE"), r.get("HOLD")) for r in rows],
           [(a["id"], a["state"], dash(a["pause_reason"]), dash(a["site"]),
             "held out" if a["held_out"] else "-") for a in want],
           "agent list's table is GET /v1/agents")
    check_json(chk, site, ["agent", "list"], "/v1/agents", "agents")
    rc, out, err = ctl(site, "agent", "show", "2001")
    f = fields(out)
    a = api(site, "/v1/agents/2001").get("agent", {})
    chk.eq((rc, f.get("agent"), f.get("state"), f.get("site"), f.get("held out")),
           (0, "2001", a.get("state"), dash(a.get("site")), "yes" if a.get("held_out") else "no"),
           "agent show 2001 is GET /v1/agents/2001")
    check_json(chk, site, ["agent", "show", "2001"], "/v1/agents/2001", "one agent")


def check_verbs(chk, site):
    rc, out, err = ctl(site, "agent", "pause", "2001", "--reason", "lunch")
    chk.eq((rc, out.strip()), (0, "agent 2001 paused (lunch)"), "agent pause 2001 --reason lunch")
    chk.eq(ta.state_of(site, "2001")[:2], ("paused", "lunch"), "... the API shows it")
    rc, out, err = ctl(site, "agent", "pause", "2001", "--reason", "break")
    chk.eq(rc, 4, "pause with another reason: exit 4 (refused)")
    chk.check("unpause it first" in err, "... acdd's reason on stderr", err)
    chk.eq(ta.state_of(site, "2001")[:2], ("paused", "lunch"), "... and 2001 still paused for lunch")
    rc, out, err = ctl(site, "agent", "pause", "2001", "--reason", "a|b")
    chk.eq(rc, 4, "a bad reason: exit 4 (400)")
    rc, out, err = ctl(site, "agent", "unpause", "2001", "--json")
    doc = json.loads(out) if rc == 0 else {}
    chk.eq((rc, doc.get("changed"), (doc.get("agent") or {}).get("state")), (0, True, "available"),
           "agent unpause 2001 --json: acdd's answer")
    rc, out, err = ctl(site, "agent", "logout", "2001")
    chk.check(rc == 0 and out.startswith("agent 2001 logged out"), "agent logout 2001", out + err)
    chk.eq(ta.state_of(site, "2001"), ("logged-out", None, True), "... logged out and held out")
    rc, out, err = ctl(site, "agent", "list")
    row = [r for r in (table(out, "AGENTS") or []) if r.get("ID") == "2001"]
    chk.eq(row and row[0].get("HOLD"), "held out", "agent list shows the hold")
    rc, out, err = ctl(site, "agent", "login", "2001")
    chk.eq((rc, out.strip()), (0, "agent 2001 logged in: available"), "agent login 2001")
    rc, out, err = ctl(site, "agent", "login", "2001")
    chk.eq((rc, out.strip()), (0, "agent 2001 was already logged in: available"), "agent login again")


def check_queues_calls(chk, site):
    for a in ("2001", "2002"):
        chk.eq(ctl(site, "agent", "pause", a, "--reason", "meeting")[0], 0, "pause %s" % a)
    caller = site.callers("waiter", calls=1, talk_ms=60000, prefix="66", timeout_s=120)
    h.wait_for(lambda: api(site, "/v1/calls").get("calls"), 15)
    calls = api(site, "/v1/calls").get("calls", [])
    chk.eq([c.get("state") for c in calls], ["queued"], "a caller waits")
    cid = calls[0]["id"] if calls else "none"

    rc, out, err = ctl(site, "queue", "list")
    rows = table(out, "QUEUES") or []
    q = (api(site, "/v1/queues").get("queues") or [{}])[0]
    chk.eq([(r.get("NAME"), r.get("WAITING"), r.get("OFFERED"), r.get("AVAIL/IN"), r.get("AHT")) for r in rows],
           [(q.get("name"), str(q.get("waiting")), str(q.get("offered")),
             "%d/%d" % (q.get("agents_available"), q.get("agents_logged_in")), "3m00s")],
           "queue list's table is GET /v1/queues")
    check_json(chk, site, ["queue", "list"], "/v1/queues", "queues")
    rc, out, err = ctl(site, "queue", "show", "main")
    f = fields(out)
    chk.eq((rc, f.get("queue"), f.get("waiting"), f.get("logged in")), (0, "main", "1", "2"),
           "queue show main")
    chk.eq([r.get("ID") for r in (table(out, "CALLS") or [])], [cid], "queue show main lists its call")
    check_json(chk, site, ["queue", "show", "main"], "/v1/queues/main", "one queue")

    rc, out, err = ctl(site, "call", "list")
    rows = table(out, "CALLS") or []
    chk.eq([(r.get("ID"), r.get("CALLER"), r.get("STATE"), r.get("AGENT")) for r in rows],
           [(cid, "661", "queued", "-")], "call list's table is GET /v1/calls")
    chk.eq(table(out, "ANSWERING"), [], "call list: nobody outside the queue")
    check_json(chk, site, ["call", "list"], "/v1/calls", "calls")
    rc, out, err = ctl(site, "call", "show", cid)
    f = fields(out)
    chk.eq((rc, f.get("call"), f.get("caller"), f.get("state"), f.get("position")), (0, cid, "661", "queued", "1"),
           "call show <id>")
    check_json(chk, site, ["call", "show", cid], "/v1/calls/" + cid, "one call")

    rc, out, err = ctl(site, "status")
    chk.eq([r.get("ID") for r in (table(out, "CALLS") or [])], [cid], "status: its CALLS table")
    chk.eq([(r.get("ID"), r.get("STATE"), r.get("REASON")) for r in (table(out, "AGENTS") or [])],
           [("2001", "paused", "meeting"), ("2002", "paused", "meeting")], "status: its AGENTS table")
    check_json(chk, site, ["status"], "/v1/status", "the status document")
    caller.stop()
    for a in ("2001", "2002"):
        chk.eq(ctl(site, "agent", "unpause", a)[0], 0, "unpause %s" % a)


def check_site(chk, site):
    rc, out, err = ctl(site, "cluster", "status")
    rows = table(out, "SITES") or []
    chk.eq((rc, [(r.get("SITE"), r.get("LIVE"), r.get("LEADER")) for r in rows]),
           (0, [("ctl (this site)", "live", "no")]), "cluster status: the site alone")
    chk.check("not in a cluster" in out, "cluster status says it is not in a cluster", out)
    check_json(chk, site, ["cluster", "status"], "/v1/cluster", "the cluster")
    rc, out, err = ctl(site, "reload", "--json")
    doc = json.loads(out) if rc == 0 else {}
    chk.eq((rc, doc.get("reloaded"), doc.get("queues")), (0, True, 1), "reload --json")
    rc, out, err = ctl(site, "reload")
    chk.eq((rc, out.splitlines()[0] if out else ""),
           (0, "reloaded %s: 1 tenants, 1 queues, 2 agents, 1 trunks" % site.config_path), "reload")
    rc, out, err = ctl(site, "drain")
    chk.check(rc == 0 and out.startswith("site drained"), "drain", out + err)
    chk.eq(api(site, "/v1/status").get("site", {}).get("draining"), True, "... the site drains")
    rc, out, err = ctl(site, "undrain")
    chk.check(rc == 0 and out.startswith("site undrained"), "undrain", out + err)
    rc, out, err = ctl(site, "tenant", "list")
    rows = table(out, "TENANTS") or []
    chk.eq((rc, [(r.get("TENANT"), r.get("MODE")) for r in rows]),
           (0, [(t["name"], t["mode"]) for t in api(site, "/v1/tenants").get("tenants", [])]),
           "tenant list's table is GET /v1/tenants")
    check_json(chk, site, ["tenant", "show", "acme"], "/v1/tenants/acme", "one tenant")


def usage_commands():
    """The commands of acdctl's top usage ("  status   ..." lines under Commands:)."""
    r = subprocess.run([h.ACDCTL, "--help"], stdout=subprocess.PIPE, timeout=10)
    text = r.stdout.decode()
    cmds = []
    for line in text.split("Commands", 1)[1].splitlines()[1:]:
        m = re.match(r"^  ([a-z]+)\b", line)
        if m and m.group(1) not in cmds:
            cmds.append(m.group(1))
        if line.startswith("Exit status"):
            break
    return cmds


def check_help(chk, site):
    r = subprocess.run([h.ACDCTL, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    chk.check(r.returncode == 0 and r.stdout.startswith(b"Usage:") and not r.stderr, "acdctl --help")
    for code in ("0 ok", "2 cannot reach acdd", "4 acdd refused", "5 not authorized", "6 not found"):
        chk.check(code in " ".join(r.stdout.decode().split()), "the usage documents exit %s" % code)
    cmds = usage_commands()
    for c in ("status", "agent", "queue", "call", "cluster", "reload", "drain", "undrain", "tenant", "config"):
        chk.check(c in cmds, "the usage lists %s" % c, repr(cmds))
    subs = [[c] for c in cmds] + [["agent", s] for s in ("list", "show", "login", "logout", "pause", "unpause")] + \
        [["queue", "list"], ["queue", "show"], ["call", "list"], ["call", "show"], ["cluster", "status"],
         ["tenant", "list"], ["config", "push"]]
    for args in subs:
        # No token, no reachable acdd: --help needs neither.
        rc, out, err = ctl(site, *(args + ["--help"]), token=None, admin="127.0.0.1:1")
        chk.check(rc == 0 and out.startswith("Usage:") and not err.strip(),
                  "acdctl %s --help: usage on stdout, exit 0" % " ".join(args), "rc=%s err=%r" % (rc, err[:200]))
    rc, out, err = ctl(site, "agent", "pause", "--help", token=None)
    chk.check("--reason" in out, "agent pause --help names --reason")


class NotJson(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"hello, not JSON")

    def log_message(self, *a):
        pass


def check_exit_codes(chk, site):
    cases = [
        (["nosuch"], 1, "an unknown command"),
        (["--bogus", "status"], 1, "an unknown global option"),
        (["status", "--bogus"], 1, "an unknown command option"),
        (["agent"], 1, "agent without a subcommand"),
        (["agent", "fly", "2001"], 1, "an unknown subcommand"),
        (["agent", "pause", "2001"], 1, "pause without --reason"),
        (["agent", "show", "no such"], 1, "a name that cannot be one"),
        (["agent", "show", "nope"], 6, "an unknown agent"),
        (["agent", "login", "nope"], 6, "login of an unknown agent"),
        (["queue", "show", "nope"], 6, "an unknown queue"),
        (["call", "show", "nope"], 6, "an unknown call"),
        (["tenant", "show", "nope"], 6, "an unknown tenant"),
    ]
    for args, want, what in cases:
        rc, out, err = ctl(site, *args)
        chk.eq(rc, want, "%s: exit %d (%s)" % (what, want, err.strip()[:120]))
        if want == 6:
            chk.check("no such" in err, "... says no such (%s)" % what, err)
    s = socket.socket()
    s.bind((h.LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    rc, out, err = ctl(site, "status", admin="127.0.0.1:%d" % port)
    chk.eq(rc, 2, "nothing listening: exit 2")
    chk.check("cannot reach acdd at 127.0.0.1:%d" % port in err, "... naming the address", err)
    srv = http.server.HTTPServer((h.LOOPBACK, 0), NotJson)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        rc, out, err = ctl(site, "agent", "list", admin="127.0.0.1:%d" % srv.server_port)
        chk.eq(rc, 3, "a server that answers no JSON: exit 3")
    finally:
        srv.shutdown()
        srv.server_close()
    # The token: none, wrong, and every way of giving it.
    rc, out, err = ctl(site, "status", token=None)
    chk.eq(rc, 5, "no token: exit 5")
    chk.check("--token-file" in err, "... saying how to give one", err)
    chk.eq(ctl(site, "status", token="wrong-token-0123456789")[0], 5, "a wrong token: exit 5")
    chk.eq(ctl(site, "status", token=None, env_token=ta.TOKEN)[0], 0, "ACDCTL_TOKEN: exit 0")
    chk.eq(ctl(site, "--token-file", site.token_path, "status", token=None)[0], 0, "--token-file: exit 0")
    chk.eq(ctl(site, "--token-file", "/nonexistent/token", "status", token=None)[0], 1,
           "an unreadable --token-file: exit 1")
    chk.eq(ctl(site, "--config", site.config_path, "status", token=None, admin=False)[0], 0,
           "--config: the address and admin.token_file from acdd's config")
    chk.eq(ctl(site, "status", token="wrong-token-0123456789", env_token=ta.TOKEN)[0], 5,
           "--token wins over ACDCTL_TOKEN")


def test(chk):
    site = ta.new_token_site(chk, "ctl", agents=[ah.agent("2001", ["main"]), ah.agent("2002", ["main"])],
                             tenants=[ah.tenant("acme", ["1000"], "main")],
                             queues=[ah.queue("main", "acme", ring_timeout=5)])
    site.start()
    phones = site.agent_phones("phones", calls=None, ring_ms=200, timeout_s=200)
    site.register(["2001", "2002"], phones.port, chk=chk)
    chk.check(ta.wait_state(site, "2001", "available") and ta.wait_state(site, "2002", "available"),
              "2001 and 2002 available")
    check_agents(chk, site)
    check_verbs(chk, site)
    check_queues_calls(chk, site)
    check_site(chk, site)
    check_help(chk, site)
    check_exit_codes(chk, site)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
