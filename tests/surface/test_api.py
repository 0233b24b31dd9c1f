#!/usr/bin/env python3
"""test_api.py - the admin API on a real acdd with a token, SIPp agent phones and callers.

Every route with valid and invalid input: status codes, the JSON error bodies, and the
state unchanged after each refusal. In order:
  1. The token (admin.token_file): /v1 paths answer 401 (WWW-Authenticate: Bearer, JSON
     error) without it and with a wrong one, 200 with it; /healthz, /metrics, /wallboard
     answer without it.
  2. Reads: agents, queues (with stats), calls, cluster, routes; 404 for unknown names,
     405 with Allow for other methods, 413 for a long body, 403 for a cross-origin change.
  3. Pause 2001 "lunch": bad bodies (not JSON, unknown member, wrong type, too long, '|')
     are 400 and 2001 stays paused for lunch; another reason is 409. A caller is offered
     to 2002 only (CDR: agent 2002, one offer). Unpause.
  4. Logout 2001: held out. Its phone unregisters and registers again (a fresh binding,
     which used to log it in): 2001 stays logged out (ACD-AGENT-HELD-OUT). With 2002
     paused a caller waits, offered to nobody; the login of 2001 connects it to 2001.
     A second login changes nothing.
  5. 2002 paused; a caller talks to 2001: the call in /v1/calls, /v1/calls/<id> and
     /v1/queues/main; pausing 2001 is 409 (on a call); logout is 202 and takes effect when
     the call ends.
  6. Reload: a queue added to the file shows in the answer and in /v1/queues; an invalid
     file is 400 with file:line errors and changes nothing; a new token file is taken
     (the old token is 401 from then on).
  7. drain/undrain and a tenant's override through the router (PUT 200, POST 405).

The client here (request) is shared by test_api_openapi.py and test_acdctl.py.
"""

import http.client
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "answering"))
sys.path.insert(0, os.path.join(HERE, "..", "answering2"))
import answering as an  # noqa: E402  (unregister)
import answering_harness as ah  # noqa: E402

h = ah.h
TOKEN = "surface-test-token-0123456789abcdef"


class Reply:
    """One HTTP answer: status, doc (the JSON body, or {"_text": ...}), headers (lower-case
    names), text."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text
        try:
            self.doc = json.loads(text) if text else {}
        except ValueError:
            self.doc = {"_text": text.decode("utf-8", "replace")}

    def error(self):
        return self.doc.get("error") if isinstance(self.doc, dict) else None

    def __repr__(self):
        return "HTTP %s %s" % (self.status, self.text[:300].decode("utf-8", "replace"))


def request(site, method, path, body=None, raw=None, token=None, headers=None, timeout=5):
    """One request to the site's admin endpoint (token: sent as a bearer token; body: sent
    as JSON; raw: bytes as they are). A streaming answer (text/event-stream) is not read.
    Returns a Reply, or None when acdd could not be reached."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    if data is not None:
        hdrs.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(h.LOOPBACK, site.admin_port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        got = {k.lower(): v for k, v in r.getheaders()}
        stream = "text/event-stream" in got.get("content-type", "")
        text = b"" if method == "HEAD" or stream else r.read()
        return Reply(r.status, got, text)
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def write_token(path, token):
    with open(path, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)


def new_token_site(chk, name, agents, tenants=None, queues=None):
    """A site whose admin API wants TOKEN (its file in the site's dir); acdctl, which the
    harness runs for status, gets it from ACDCTL_TOKEN."""
    site = h.new_site(chk, name, agents=agents, tenants=tenants, queues=queues)
    ah.use_test_prompts(site)
    site.token_path = os.path.join(site.dir, "admin.token")
    write_token(site.token_path, TOKEN)
    site.config["admin"]["token_file"] = site.token_path
    os.environ["ACDCTL_TOKEN"] = TOKEN
    return site


def agent(site, agent_id, token=TOKEN):
    r = request(site, "GET", "/v1/agents/" + agent_id, token=token)
    return r.doc.get("agent") if r and r.status == 200 else None


def state_of(site, agent_id):
    a = agent(site, agent_id) or {}
    return (a.get("state"), a.get("pause_reason"), a.get("held_out"))


def wait_state(site, agent_id, state, timeout=10):
    return h.wait_for(lambda: state_of(site, agent_id)[0] == state, timeout)


def post(site, path, body=None, raw=None, token=TOKEN, headers=None):
    return request(site, "POST", path, body=body, raw=raw, token=token, headers=headers)


# ---------------------------------------------------------------------------------------

def check_auth(chk, site):
    r = request(site, "GET", "/v1/status")
    chk.eq(r and r.status, 401, "no token: GET /v1/status is 401")
    chk.check(r and (r.headers.get("www-authenticate") or "").startswith("Bearer"),
              "401 carries WWW-Authenticate: Bearer", repr(r and r.headers))
    chk.check(r and isinstance(r.error(), str) and "Bearer" in r.error(),
              "401 has a JSON error saying what is wanted", repr(r))
    r = request(site, "GET", "/v1/agents", token="not-the-token-0123456789")
    chk.eq(r and r.status, 401, "wrong token: 401")
    chk.eq(r and r.error(), "wrong token", "wrong token: its error")
    chk.check(r and "invalid_token" in r.headers.get("www-authenticate", ""),
              "wrong token: error=\"invalid_token\"", repr(r and r.headers))
    r = request(site, "POST", "/v1/agents/2001/pause", body={"reason": "x"})
    chk.eq(r and r.status, 401, "no token: a change is 401 too")
    chk.eq(state_of(site, "2001")[0], "available", "... and changed nothing")
    r = request(site, "GET", "/v1/status", token=TOKEN)
    chk.eq(r and r.status, 200, "the token: GET /v1/status is 200")
    chk.eq(((r and r.doc) or {}).get("site", {}).get("name"), "api", "... the site's document")
    for path in ("/healthz", "/metrics", "/wallboard"):
        r = request(site, "GET", path)
        chk.eq(r and r.status, 200, "%s answers without the token" % path)
    chk.check(ah.events(site, "ACD-API-AUTH-REFUSED"), "refusals are logged (ACD-API-AUTH-REFUSED)")
    chk.check(TOKEN not in site.log_text(), "the token never appears in acdd's log")
    chk.check(not ah.events(site, "ACD-API-ADMIN-NO-TOKEN"), "no ACD-API-ADMIN-NO-TOKEN with a token")


def check_reads(chk, site):
    r = request(site, "GET", "/v1/agents", token=TOKEN)
    agents = {a["id"]: a for a in r.doc.get("agents", [])} if r and r.status == 200 else {}
    chk.eq(sorted(agents), ["2001", "2002"], "GET /v1/agents lists both agents")
    chk.eq((agents.get("2001") or {}).get("site"), "api", "2001's phone is registered here")
    chk.eq((agents.get("2001") or {}).get("held_out"), False, "2001 is not held out")
    r = request(site, "GET", "/v1/agents/nope", token=TOKEN)
    chk.eq((r.status, r.error()), (404, "no such agent: nope"), "GET /v1/agents/nope: 404")
    r = request(site, "GET", "/v1/queues", token=TOKEN)
    q = (r.doc.get("queues") or [{}])[0] if r else {}
    chk.eq(q.get("name"), "main", "GET /v1/queues: main")
    chk.eq((q.get("stats") or {}).get("logged_in"), 2, "main's stats: 2 logged in")
    chk.eq((q.get("stats") or {}).get("available"), 2, "main's stats: 2 available")
    r = request(site, "GET", "/v1/queues/main", token=TOKEN)
    chk.eq((r.status, (r.doc.get("queue") or {}).get("calls")), (200, []), "GET /v1/queues/main: no calls")
    r = request(site, "GET", "/v1/queues/nope", token=TOKEN)
    chk.eq((r.status, r.error()), (404, "no such queue: nope"), "GET /v1/queues/nope: 404")
    r = request(site, "GET", "/v1/calls", token=TOKEN)
    chk.eq(r.doc, {"calls": [], "answering": []}, "GET /v1/calls: none")
    r = request(site, "GET", "/v1/calls/api-0-1", token=TOKEN)
    chk.eq((r.status, r.error()), (404, "no such call: api-0-1"), "GET /v1/calls/<unknown>: 404")
    r = request(site, "GET", "/v1/cluster", token=TOKEN)
    chk.eq((r.doc.get("cluster"), r.doc.get("leader")), (None, None), "GET /v1/cluster: a site alone")
    chk.eq([s.get("site") for s in r.doc.get("sites", [])], ["api"], "... lists itself")
    r = request(site, "GET", "/v1/routes", token=TOKEN)
    paths = [x.get("path") for x in r.doc.get("routes", [])]
    for p in ("/v1/agents/{agent}/pause", "/v1/reload", "/v1/cluster", "/v1/tenants/{tenant}/override"):
        chk.check(p in paths, "GET /v1/routes lists %s" % p, repr(paths))
    r = request(site, "PUT", "/v1/agents", token=TOKEN, body={})
    chk.eq((r.status, r.headers.get("allow"), r.error()), (405, "GET", "method not allowed"),
           "PUT /v1/agents: 405, Allow: GET")
    r = request(site, "GET", "/v1/agents/2001/pause", token=TOKEN)
    chk.eq((r.status, r.headers.get("allow")), (405, "POST"), "GET .../pause: 405, Allow: POST")
    r = post(site, "/v1/agents/2001/pause", raw=b'{"reason": "lunch"}' + b" " * 20000)
    chk.eq((r.status, r.error()), (413, "the request body is too large"), "a 20 kB body: 413")
    r = post(site, "/v1/agents/2001/pause", body={"reason": "lunch"}, headers={"Origin": "http://x"})
    chk.eq((r.status, r.error()), (403, "cross-origin requests are refused"), "Origin: 403")
    chk.eq(state_of(site, "2001")[0], "available", "none of them changed 2001")


def check_pause(chk, site, phones):
    r = post(site, "/v1/agents/2001/pause", body={"reason": "lunch"})
    chk.eq(r.status, 200, "pause 2001 lunch: 200")
    chk.eq(((r.doc.get("agent") or {}).get("state"), (r.doc.get("agent") or {}).get("pause_reason")),
           ("paused", "lunch"), "the answer shows 2001 paused for lunch")
    chk.eq(state_of(site, "2001")[:2], ("paused", "lunch"), "GET shows 2001 paused for lunch")
    bad = [(b'{"reason": "break"', "not valid JSON"), (b'["break"]', "must be a JSON object"),
           (b'{"reason": "break", "minutes": 5}', 'unknown member "minutes"'),
           (b'{"reason": 5}', "must be a string"), (b'{"reason": ""}', "must not be empty"),
           (b'{"reason": "' + b"x" * 40 + b'"}', "at most 31 bytes"),
           (b'{"reason": "a|b"}', "'|'"), (b'{}', 'needs a "reason"')]
    for raw, want in bad:
        r = post(site, "/v1/agents/2001/pause", raw=raw)
        chk.check(r.status == 400 and want in (r.error() or ""), "pause %s: 400 '%s'" % (raw[:30], want), repr(r))
    r = post(site, "/v1/agents/2001/pause", body={"reason": "break"})
    chk.eq(r.status, 409, "pause 2001 break while paused for lunch: 409")
    chk.check("unpause it first" in (r.error() or ""), "... saying to unpause first", repr(r))
    r = post(site, "/v1/agents/nope/pause", body={"reason": "lunch"})
    chk.eq((r.status, r.error()), (404, "no such agent: nope"), "pause nope: 404")
    chk.eq(state_of(site, "2001")[:2], ("paused", "lunch"), "after every refusal 2001 is still paused for lunch")
    r = post(site, "/v1/agents/2001/pause", body={"reason": "lunch"})
    chk.eq((r.status, r.doc.get("changed")), (200, False), "pause lunch again: 200, changed false")

    c = site.callers("c1", calls=1, talk_ms=1000, prefix="51")
    c.wait(40)
    c.check_ok(chk, 1)
    cdr = ah.cdr_by_caller(site.wait_cdrs(1, 10)).get("511") or {}
    chk.eq((cdr.get("agent"), cdr.get("offers")), ("2002", 1), "a paused 2001 is offered no call: 2002 takes it")
    r = post(site, "/v1/agents/2001/unpause")
    chk.eq((r.status, (r.doc.get("agent") or {}).get("state")), (200, "available"), "unpause 2001: available")
    r = post(site, "/v1/agents/2001/unpause", body={})
    chk.eq((r.status, r.doc.get("changed")), (200, False), "unpause again: 200, changed false")


def check_logout_sticks(chk, site, p1):
    r = post(site, "/v1/agents/2001/logout")
    chk.eq(r.status, 200, "logout 2001: 200")
    chk.eq(state_of(site, "2001"), ("logged-out", None, True), "2001 logged out and held out")
    r = post(site, "/v1/agents/2001/logout", body={"now": True})
    chk.eq(r.status, 400, "logout with a member: 400")
    an.unregister(site, ["2001"], p1.port, chk, name="unreg1")
    h.wait_for(lambda: (agent(site, "2001") or {}).get("site") is None, 5)
    site.register(["2001"], p1.port, name="rereg1", chk=chk)
    held = ah.wait_events(site, "ACD-AGENT-HELD-OUT", agent="2001", timeout=5)
    chk.check(held, "the fresh registration is held out (ACD-AGENT-HELD-OUT agent=2001)")
    chk.eq(state_of(site, "2001"), ("logged-out", None, True), "2001 stays logged out after re-REGISTER")
    chk.eq((agent(site, "2001") or {}).get("site"), "api", "... though its phone is registered")
    # With 2002 paused, a caller finds nobody: it waits while 2001 is held out.
    chk.eq(post(site, "/v1/agents/2002/pause", body={"reason": "coffee"}).status, 200, "pause 2002")
    c = site.callers("c2", calls=1, talk_ms=1000, prefix="52")
    queued = h.wait_for(lambda: [x.get("state") for x in request(site, "GET", "/v1/calls", token=TOKEN)
                                 .doc.get("calls", [])] == ["queued"], 10)
    chk.check(queued, "the caller waits in the queue")
    time.sleep(2.0)  # long enough for an offer to 2001 to show, were it offered
    calls = request(site, "GET", "/v1/calls", token=TOKEN).doc.get("calls", [])
    chk.eq([(x.get("state"), x.get("agent")) for x in calls], [("queued", None)],
           "a held-out 2001 is offered no call: the caller still waits")
    chk.eq(state_of(site, "2001")[0], "logged-out", "2001 still logged out")
    r = post(site, "/v1/agents/2001/login")
    chk.eq((r.status, r.doc.get("changed")), (200, True), "login 2001: 200")
    c.wait(40)
    c.check_ok(chk, 1)
    cdr = ah.cdr_by_caller(site.wait_cdrs(2, 10)).get("521") or {}
    chk.eq(cdr.get("agent"), "2001", "after the login the waiting caller goes to 2001")
    chk.check((cdr.get("wait_s") or 0) >= 2.0, "... after waiting the held-out time", repr(cdr.get("wait_s")))
    chk.check(wait_state(site, "2001", "available"), "2001 available, no hold", repr(state_of(site, "2001")))
    chk.eq(state_of(site, "2001")[2], False, "no hold")
    r = post(site, "/v1/agents/2001/login")
    chk.eq((r.status, r.doc.get("changed")), (200, False), "login again: 200, changed false")
    chk.eq(post(site, "/v1/agents/2002/unpause").status, 200, "unpause 2002")


def check_on_call(chk, site):
    chk.eq(post(site, "/v1/agents/2002/pause", body={"reason": "training"}).status, 200, "pause 2002")
    wait_state(site, "2002", "paused")
    c = site.callers("c3", calls=1, talk_ms=5000, prefix="53")
    ok = wait_state(site, "2001", "on-call", 15)
    chk.check(ok, "2001 on a call", repr(state_of(site, "2001")))
    calls = request(site, "GET", "/v1/calls", token=TOKEN).doc.get("calls") or []
    chk.eq([(x.get("state"), x.get("agent")) for x in calls], [("connected", "2001")], "GET /v1/calls: the call")
    cid = calls[0].get("id") if calls else "?"
    r = request(site, "GET", "/v1/calls/" + cid, token=TOKEN)
    chk.eq((r.status, (r.doc.get("call") or {}).get("caller")), (200, "531"), "GET /v1/calls/<id>")
    r = request(site, "GET", "/v1/queues/main", token=TOKEN)
    chk.eq([x.get("id") for x in (r.doc.get("queue") or {}).get("calls", [])], [cid], "the queue shows its call")
    r = post(site, "/v1/agents/2001/pause", body={"reason": "lunch"})
    chk.eq(r.status, 409, "pause 2001 on a call: 409")
    chk.check("when the call ends" in (r.error() or ""), "... pause it when the call ends", repr(r))
    r = post(site, "/v1/agents/2001/logout")
    chk.eq((r.status, r.doc.get("pending")), (202, "logged out when its call ends"), "logout on a call: 202")
    chk.eq(state_of(site, "2001")[0], "on-call", "2001 still on its call")
    c.wait(40)
    c.check_ok(chk, 1)
    chk.check(wait_state(site, "2001", "logged-out", 10), "2001 logged out when the call ended",
              repr(state_of(site, "2001")))
    chk.eq(state_of(site, "2001")[2], True, "... and held out")
    chk.eq(post(site, "/v1/agents/2001/login").status, 200, "login 2001")
    chk.eq(post(site, "/v1/agents/2002/unpause").status, 200, "unpause 2002")


def check_reload(chk, site):
    site.config["queues"].append(ah.queue("q2", "acme"))
    site.write_config()
    r = post(site, "/v1/reload")
    chk.eq(r.status, 200, "reload: 200")
    chk.eq((r.doc.get("added") or {}).get("queues"), ["q2"], "reload says q2 was added")
    chk.eq((r.doc.get("removed") or {}).get("queues"), [], "... and nothing removed")
    chk.eq(request(site, "GET", "/v1/queues/q2", token=TOKEN).status, 200, "q2 exists")
    with open(site.config_path, "a") as f:
        f.write("bogus_key: 1\n")
    r = post(site, "/v1/reload", body={})
    chk.eq(r.status, 400, "reload of an invalid file: 400")
    errs = r.doc.get("errors") or []
    chk.check(errs and all(e.startswith(site.config_path + ":") for e in errs) and
              any("bogus_key" in e for e in errs), "the errors are file:line messages naming the key", repr(r))
    chk.eq(request(site, "GET", "/v1/queues/q2", token=TOKEN).status, 200, "q2 still exists: nothing changed")
    r = post(site, "/v1/reload", body={"force": 1})
    chk.eq(r.status, 400, "reload with a member: 400")
    site.config["queues"] = [q for q in site.config["queues"] if q["name"] != "q2"]
    site.write_config()
    r = post(site, "/v1/reload")
    chk.eq(((r.doc.get("removed") or {}).get("queues"), r.doc.get("lists_changed")), (["q2"], True),
           "reload without q2: removed")
    # A new token: taken by the reload; the old one is refused from then on.
    new = TOKEN[::-1]
    write_token(site.token_path, new)
    chk.eq(post(site, "/v1/reload").status, 200, "reload with a new token file (asked with the old one)")
    chk.eq(request(site, "GET", "/v1/status", token=TOKEN).status, 401, "the old token: 401")
    chk.eq(request(site, "GET", "/v1/status", token=new).status, 200, "the new token: 200")
    write_token(site.token_path, TOKEN)
    chk.eq(post(site, "/v1/reload", token=new).status, 200, "back to the first token")
    os.chmod(site.token_path, 0o644)
    r = post(site, "/v1/reload")
    chk.check(r.status == 400 and "every user" in (r.error() or ""), "a world-readable token file: 400", repr(r))
    chk.eq(request(site, "GET", "/v1/status", token=TOKEN).status, 200, "... and the token in force stays")
    os.chmod(site.token_path, 0o600)


def check_site_verbs(chk, site):
    r = post(site, "/v1/drain")
    chk.eq((r.status, r.doc.get("draining")), (200, True), "drain: 200")
    chk.eq(request(site, "GET", "/healthz").status, 503, "/healthz 503 while drained")
    r = post(site, "/v1/undrain")
    chk.eq((r.status, r.doc.get("draining")), (200, False), "undrain: 200")
    r = request(site, "PUT", "/v1/tenants/acme/override", body={"kind": "closed", "minutes": 5}, token=TOKEN)
    chk.eq((r.status, ((r.doc.get("tenant") or {}).get("override") or {}).get("kind")), (200, "closed"),
           "PUT override: 200 closed")
    r = request(site, "POST", "/v1/tenants/acme/override", body={"kind": "open"}, token=TOKEN)
    chk.eq((r.status, r.headers.get("allow")), (405, "PUT, DELETE"), "POST override: 405, Allow: PUT, DELETE")
    r = request(site, "GET", "/v1/tenants/acme", token=TOKEN)
    chk.eq(((r.doc.get("tenant") or {}).get("override") or {}).get("kind"), "closed", "... the override stayed")
    r = request(site, "DELETE", "/v1/tenants/acme/override", token=TOKEN)
    chk.eq((r.status, (r.doc.get("tenant") or {}).get("override")), (200, None), "DELETE override: 200")
    r = request(site, "GET", "/v1/tenants/nope", token=TOKEN)
    chk.eq(r.status, 404, "GET /v1/tenants/nope: 404")


def test(chk):
    queues = [ah.queue("main", "acme", ring_timeout=5, wrapup=0)]
    site = new_token_site(chk, "api", agents=[ah.agent("2001", ["main"]), ah.agent("2002", ["main"])],
                          tenants=[ah.tenant("acme", ["1000"], "main")], queues=queues)
    site.start()
    p1 = site.agent_phones("p1", calls=None, ring_ms=200, timeout_s=200)
    p2 = site.agent_phones("p2", calls=None, ring_ms=200, timeout_s=200)
    site.register(["2001"], p1.port, name="reg1", chk=chk)
    site.register(["2002"], p2.port, name="reg2", chk=chk)
    chk.check(wait_state(site, "2001", "available") and wait_state(site, "2002", "available"),
              "2001 and 2002 available after REGISTER")
    check_auth(chk, site)
    check_reads(chk, site)
    check_pause(chk, site, (p1, p2))
    check_logout_sticks(chk, site, p1)
    check_on_call(chk, site)
    check_reload(chk, site)
    check_site_verbs(chk, site)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
