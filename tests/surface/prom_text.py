"""prom_text.py - reads the Prometheus text exposition format 0.0.4 back (stdlib only), for
the /metrics tests: samples with their labels, and the HELP/TYPE of every family, with
the format's rules checked on the way (a family's lines together, TYPE before samples,
label values escaped)."""

import math
import re
import urllib.error
import urllib.request

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % _NAME)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
_SUFFIXES = ("_bucket", "_sum", "_count")


class FormatError(Exception):
    pass


def _unescape(v):
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v):
            n = v[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            raise FormatError("bad labels: %r" % text)
        if m.group(1) in labels:
            raise FormatError("label %s twice: %r" % (m.group(1), text))
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def _value(text):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    return float(text)


class Metrics:
    """A parsed exposition: families {name: {"type", "help"}} and samples, a list of
    (name, labels dict, value)."""

    def __init__(self, text):
        self.families = {}
        self.samples = []
        current = None
        seen_samples = set()
        for n, line in enumerate(text.split("\n"), 1):
            if not line:
                continue
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                parts = line.split(" ", 3)
                if len(parts) < 4:
                    raise FormatError("line %d: %r" % (n, line))
                kind, name, rest = parts[1], parts[2], parts[3]
                fam = self.families.setdefault(name, {})
                if kind in fam:
                    raise FormatError("line %d: second %s for %s" % (n, kind, name))
                if name in seen_samples:
                    raise FormatError("line %d: %s of %s after its samples" % (n, kind, name))
                fam[kind] = rest if kind == "TYPE" else _unescape(rest)
                current = name
                continue
            if line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if not m:
                raise FormatError("line %d: not a sample: %r" % (n, line))
            name, labels, value = m.group(1), _labels(m.group(3) or ""), _value(m.group(4))
            family = name
            for suf in _SUFFIXES:
                if name.endswith(suf) and name[: -len(suf)] in self.families:
                    family = name[: -len(suf)]
            if family != current:
                raise FormatError("line %d: sample %s outside its family's block" % (n, name))
            if "TYPE" not in self.families.get(family, {}):
                raise FormatError("line %d: %s has no TYPE" % (n, family))
            seen_samples.add(family)
            self.samples.append((name, labels, value))
        for name, fam in self.families.items():
            if "HELP" not in fam or "TYPE" not in fam:
                raise FormatError("family %s lacks HELP or TYPE" % name)

    def find(self, name, **labels):
        """Every (labels, value) of name whose labels include the given ones."""
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(w) for k, w in labels.items())]

    def value(self, name, **labels):
        """The one sample's value (None when there is none; an error when several)."""
        got = self.find(name, **labels)
        if len(got) > 1:
            raise FormatError("%d samples of %s %r" % (len(got), name, labels))
        return got[0][1] if got else None


def scrape(port, path="/metrics", method="GET", timeout=5):
    """(status, content type, body text) of one request to the admin endpoint."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode("utf-8", "replace")


def metrics(port):
    """The parsed /metrics of the site at port (raises on a bad status or format)."""
    status, ctype, body = scrape(port)
    if status != 200:
        raise FormatError("GET /metrics: %d %s" % (status, body[:200]))
    return Metrics(body)


def close(a, b, tol):
    """a and b within tol (NaN equals NaN); None is never close."""
    if a is None or b is None:
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol
