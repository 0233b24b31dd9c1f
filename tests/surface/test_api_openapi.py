#!/usr/bin/env python3
"""test_api_openapi.py - docs/openapi.yaml held to a running acdd, both ways.

One acdd with a token, an agent, a tenant and a caller waiting in the queue (so that a
call id exists). From the YAML file (python3-yaml):
  1. every (path, method) it describes answers, with valid inputs (the path parameters'
     examples, the call id of the waiting caller, a valid body), with a status the file
     lists for that operation - never 404 or 405 - and, when the answer is JSON, a body
     that has every member the file's schema requires, of the types it gives;
  2. every other method of each path answers 405 (GET, HEAD, POST, PUT, DELETE, PATCH);
  3. an operation the file marks `security: []` answers without the token, every other
     one is 401 without it;
  4. every route GET /v1/routes lists (every method of it; a mounted subtree by its
     prefix) is in the file, and every route of the route tables in daemon/api/admin.c
     and routes.c is in the listing, so no route escapes the file.
"""

import os
import re
import sys
import time

try:
    import yaml
except ImportError:  # another python3 first on PATH: Debian's has python3-yaml (deploy/setup)
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_api as ta  # noqa: E402

ah = ta.ah
h = ta.h
SPEC = os.path.join(h.SOURCE_DIR, "docs", "openapi.yaml")
METHODS = ("get", "head", "post", "put", "delete", "patch")

# Valid bodies for the operations that take one.
BODIES = {
    ("/v1/agents/{agent}/pause", "post"): {"reason": "lunch"},
    ("/v1/tenants/{tenant}/override", "put"): {"kind": "closed", "minutes": 5},
    ("/v1/tenants/{tenant}/instructions", "put"): {"text": "back at 3 pm"},
    ("/v1/tenants/{tenant}/outbound", "post"): {"number": "+15550001"},
    ("/v1/drill", "put"): {"name": "openapi test", "by": "test_api_openapi"},
}


class Spec:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part]
        return node

    def check(self, value, schema, where, problems):
        """Appends to problems every way value breaks schema (required members, types,
        enums, nullable; allOf, oneOf), recursively."""
        schema = self.resolve(schema)
        if value is None:
            if not schema.get("nullable"):
                problems.append("%s: null" % where)
            return
        for sub in schema.get("allOf", []):
            self.check(value, sub, where, problems)
        if "oneOf" in schema:
            fits = []
            for sub in schema["oneOf"]:
                p = []
                self.check(value, sub, where, p)
                fits.append(not p)
            if not any(fits):
                problems.append("%s: fits none of oneOf" % where)
        kind = schema.get("type")
        types = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool,
                 "number": (int, float)}
        if kind and (not isinstance(value, types[kind]) or
                     (kind in ("integer", "number") and isinstance(value, bool))):
            problems.append("%s: %r is not %s" % (where, value, kind))
            return
        if "enum" in schema and value not in schema["enum"]:
            problems.append("%s: %r not in %s" % (where, value, schema["enum"]))
        if kind == "object":
            for r in schema.get("required", []):
                if r not in value:
                    problems.append("%s: no member %s" % (where, r))
            for k, sub in (schema.get("properties") or {}).items():
                if k in value:
                    self.check(value[k], sub, "%s.%s" % (where, k), problems)
        if kind == "array" and "items" in schema:
            for i, item in enumerate(value[:20]):
                self.check(item, schema["items"], "%s[%d]" % (where, i), problems)


def fill(path, params):
    return re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)


def path_params(spec, path, item, call_id):
    """A valid value for each parameter of path: its example (the waiting call for calls)."""
    out = {}
    for op in [item] + [item[m] for m in METHODS if m in item]:
        for p in op.get("parameters", []):
            p = spec.resolve(p)
            if p.get("in") == "path":
                out[p["name"]] = call_id if p["name"] == "call" else str(p.get("example"))
    for name in re.findall(r"\{(\w+)\}", path):
        if name not in out or out[name] in ("None", ""):
            raise AssertionError("%s: no example for {%s}" % (path, name))
    return out


def check_operations(chk, site, spec, call_id):
    for path, item in spec.doc["paths"].items():
        params = path_params(spec, path, item, call_id)
        url = fill(path, params)
        listed = [m for m in METHODS if m in item]
        for m in listed:
            op = item[m]
            r = ta.request(site, m.upper(), url, body=BODIES.get((path, m)), token=ta.TOKEN)
            chk.check(r is not None and r.status not in (404, 405),
                      "%s %s answers (not 404/405)" % (m.upper(), url), repr(r))
            if r is None:
                continue
            declared = op.get("responses", {})
            chk.check(str(r.status) in declared, "%s %s: %d is a status the file lists (%s)" % (
                m.upper(), path, r.status, ",".join(declared)), repr(r))
            resp = spec.resolve(declared.get(str(r.status), {}))
            schema = ((resp.get("content") or {}).get("application/json") or {}).get("schema")
            if schema and m != "head":
                problems = []
                spec.check(r.doc, schema, "%s %s" % (m.upper(), path), problems)
                chk.check(not problems, "%s %s: the answer fits the file's schema" % (m.upper(), path),
                          "; ".join(problems[:5]) + " in " + repr(r))
            # security: [] is open; the rest needs the token.
            open_ = op.get("security", spec.doc.get("security")) == []
            if m in ("get", "head"):
                r2 = ta.request(site, m.upper(), url)
                chk.check(r2 is not None and (r2.status != 401) == open_,
                          "%s %s without the token: %s" % (m.upper(), path, "open" if open_ else "401"),
                          repr(r2))
        for m in METHODS:
            if m in listed:
                continue
            r = ta.request(site, m.upper(), url, body={} if m in ("post", "put", "patch") else None,
                           token=ta.TOKEN)
            chk.check(r is not None and r.status == 405,
                      "%s %s: 405 (the file does not list it)" % (m.upper(), url), repr(r))
            if r is not None and r.status == 405:
                allow = sorted(x.strip().lower() for x in r.headers.get("allow", "").split(","))
                chk.eq(allow, sorted(listed), "%s %s: Allow names the file's methods" % (m.upper(), path))


def source_routes():
    """The paths of the route tables in daemon/api/admin.c and routes.c."""
    out = set()
    for name in ("admin.c", "routes.c"):
        with open(os.path.join(h.SOURCE_DIR, "daemon", "api", name)) as f:
            text = f.read()
        out |= set(re.findall(r'\.path = "(/[^"]*)"', text))
        out |= set(re.findall(r'ADMIN_TENANTS\("(/[^"]*)"', text))
        out |= set(re.findall(r'ROUTES_AGENT\("(/[^"]*)"', text))
        out |= set(re.findall(r'\.prefix = "(/[^"]*)"', text))
    return out


def check_listing(chk, site, spec):
    r = ta.request(site, "GET", "/v1/routes", token=ta.TOKEN)
    routes = (r.doc.get("routes") if r and r.status == 200 else None) or []
    chk.check(len(routes) > 10, "GET /v1/routes lists the routes", repr(r))
    paths = spec.doc["paths"]
    listed = set()
    for rt in routes:
        p = rt.get("path")
        listed.add(p)
        if rt.get("subtree"):
            chk.check(p in paths, "mounted subtree %s is in openapi.yaml" % p)
            continue
        chk.check(p in paths, "route %s is in openapi.yaml" % p)
        for m in rt.get("methods", []):
            chk.check(m.lower() in (paths.get(p) or {}), "%s %s is in openapi.yaml" % (m, p))
        chk.eq(rt.get("auth"), p.startswith("/v1"), "%s: needs the token exactly under /v1" % p)
    # The file has no route the endpoint lacks (the subtrees' own paths aside).
    subtrees = [rt["path"] for rt in routes if rt.get("subtree")]
    for p in paths:
        inside = any(p == s or p.startswith(s + "/") for s in subtrees)
        chk.check(p in listed or inside, "openapi.yaml's %s is a route acdd serves" % p)
    for p in sorted(source_routes()):
        chk.check(p in listed, "the C route table's %s is listed by GET /v1/routes" % p)


def test(chk):
    site = ta.new_token_site(chk, "oapi", agents=[ah.agent("2001", ["main"])],
                             tenants=[ah.tenant("acme", ["1000"], "main")],
                             queues=[ah.queue("main", "acme")])
    with open(SPEC) as f:
        spec = Spec(yaml.safe_load(f))
    chk.check(str(spec.doc.get("openapi", "")).startswith("3."), "openapi.yaml is OpenAPI 3")
    site.start()
    # A caller nobody answers waits in the queue: /v1/calls/{call} gets its id.
    caller = site.callers("waiter", calls=1, talk_ms=120000, prefix="77", timeout_s=200)
    h.wait_for(lambda: ta.request(site, "GET", "/v1/calls", token=ta.TOKEN).doc.get("calls"), 15)
    calls = ta.request(site, "GET", "/v1/calls", token=ta.TOKEN).doc.get("calls") or []
    chk.eq([c.get("state") for c in calls], ["queued"], "a caller waits in the queue")
    call_id = calls[0]["id"] if calls else "none"
    check_listing(chk, site, spec)
    check_operations(chk, site, spec, call_id)
    caller.stop()
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
