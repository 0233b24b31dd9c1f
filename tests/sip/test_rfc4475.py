#!/usr/bin/env python3
"""test_rfc4475.py - RFC 4475 torture messages against acdd, over UDP and over TCP, inside a
private network namespace (the messages name outside hosts: nothing may leave the machine).

acdd runs in the namespace on 127.0.0.1; rfc4475_sender.py runs there too and reports each
message's response (first final, else first provisional, else none within 300 ms). Each
verdict is compared with the table of shared/testdata/rfc4475/README.md, encoded below.
Messages that would be the same transaction (same branch, sent-by and method) go to
different acdd instances, so a correct retransmission answer is never misread. After each
round acdd must still answer OPTIONS with 200, over UDP and TCP, and exit 0 on SIGTERM."""

import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(h.SOURCE_DIR, "..", "shared", "testdata", "rfc4475"))

NON400 = "any response but 400"   # valid request: processed, whatever the answer (200, 404, 401, 405 ...)
ANY = "anything, even nothing"
DROP = {None}
BAD = {400, None}                  # invalid request: 400 or silently dropped

# file stem -> expected first status (a set), NON400 or ANY.
EXPECTED = {
    # 3.1.1 valid messages
    "WSINV": NON400, "INTMETH": NON400, "ESC01_V": NON400, "ESCNULL_V": NON400, "ESC02_V": NON400,
    "LWSDISP_V": NON400, "LONGREQ_V": NON400, "DBLREQ": NON400, "SEMIURI_V": NON400,
    "TRANSPORTS_V": NON400, "MPART01": NON400,
    "UNREASON_V": DROP, "NOREASON_V": DROP,          # responses matching no transaction
    # 3.1.2 invalid requests
    "BADINV01_I": BAD, "CLERR_I": BAD, "NCL_I": BAD, "SCALAR02_V": BAD, "QUOTBAL_I": BAD,
    "LTGTRURI_I": BAD, "LWSRURI_I": BAD, "LWSSTART_V": BAD, "TRWS_I": BAD, "ESCRURI_V": BAD,
    "BADDATE_V": BAD, "REGBADCT_I": BAD, "BADASPEC_I": BAD, "BADDN_I": BAD,
    "BADVERS_V": {505, 400, None}, "MISMATCH01_V": BAD, "MISMATCH02_V": BAD,
    # 3.1.2 invalid responses
    "SCALARLG_V": DROP, "BIGCODE_V": DROP,
    # 3.2 - 3.4
    "BADBRANCH_V": NON400,
    "INSUF_I": {400},
    "UNKSCM_V": {416},
    "NOVELSC_V": {416},
    "UNKSM2_V": NON400,
    "BEXT01_V": {420},
    "INVUT_V": {415},
    "REGAUT01_V": {401},
    "MULTI01_I": {400},
    "MCL01_I": {400},
    "BCAST_V": DROP,
    "ZEROMF_V": ANY,
    "CPARAM01_V": NON400, "CPARAM02_V": NON400, "REGESCRT_V": NON400,
    "SDP01_V": {406},
    "INV2543_I": ANY,
    "TEST_I": BAD,
}


def stem(path):
    return os.path.basename(path)[len("TC_"):-len(".dat")]


def verdict_ok(expect, first):
    if expect is ANY:
        return True
    if expect is NON400:
        return first is not None and first != 400
    return first in expect


def txn_key(data):
    """(top Via branch, sent-by, method) - what a server's transaction layer matches on."""
    head = re.sub(rb"\r\n[ \t]+", b" ", data.split(b"\r\n\r\n", 1)[0])
    lines = head.split(b"\r\n")
    via = b""
    for l in lines[1:]:
        n, _, v = l.partition(b":")
        if n.strip().lower() in (b"via", b"v"):
            via = v
            break
    br = re.search(rb"branch\s*=\s*([^;, ]+)", via)
    sb = re.search(rb"/\s*\w+\s+([^;, ]+)", via)
    return (br.group(1) if br else None, sb.group(1) if sb else None, lines[0].split(b" ")[0])


def rounds(files):
    """Splits files into rounds with no two messages of one transaction in a round."""
    out = []
    for f in files:
        with open(f, "rb") as fh:
            k = txn_key(fh.read())
        for r in out:
            if k not in r[0]:
                r[0].add(k)
                r[1].append(f)
                break
        else:
            out.append(({k}, [f]))
    return [r[1] for r in out]


def make_netns(chk):
    """Creates acdtest-<pid> with only loopback up; deleted at cleanup (and stale ones of
    dead test processes are removed first)."""
    r = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in r.stdout.decode().splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"acdtest-(\d+)$", name)
        if m and not h._pid_alive(int(m.group(1))):
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
    ns = "acdtest-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    h.on_cleanup(lambda: subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL))
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    links = subprocess.run(["ip", "-n", ns, "-o", "link"], stdout=subprocess.PIPE).stdout.decode()
    chk.check(links.count("\n") == 1 and " lo:" in links, "namespace %s has loopback only" % ns, links)
    return ns


def run_round(chk, ns, files, transport, n):
    site = h.new_site(chk, "torture%d%s" % (n, transport), netns=ns, log_level="info", trace_msg=False,
                      agents=[h.agent("2001"), dict(h.agent("j.user"), password="secret")])
    site.start()
    argv = ["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "rfc4475_sender.py"),
            "--host", h.LOOPBACK, "--port", str(site.sip_port), "--transport", transport] + files
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    chk.eq(r.returncode, 0, "sender (%s) ran" % transport)
    if r.returncode != 0:
        h.log("sender stderr: " + r.stderr.decode("utf-8", "replace"))
        return
    results = json.loads(r.stdout)
    for f in files:
        s = stem(f)
        res = results.get(os.path.basename(f), {})
        expect = EXPECTED.get(s)
        if expect is None:
            chk.check(False, "%s has a verdict in the table" % s)
            continue
        want = expect if isinstance(expect, str) else "one of %s" % sorted(expect, key=str)
        chk.check(verdict_ok(expect, res.get("first")), "%s/%s -> %s" % (s, transport, want),
                  "got %r (all: %r)" % (res.get("first"), res.get("codes")))
        chk.check(site.alive(), "acdd alive after %s/%s" % (s, transport))
    chk.eq(site.options_ping(timeout=1.0, transport="udp"), 200, "acdd answers OPTIONS (udp) after the %s round" % transport)
    chk.eq(site.options_ping(timeout=1.0, transport="tcp"), 200, "acdd answers OPTIONS (tcp) after the %s round" % transport)
    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM after the %s round" % transport)


def test(chk):
    files = sorted(glob.glob(os.path.join(DATA, "TC_*.dat")))
    chk.check(len(files) >= 50, "RFC 4475 files found in %s" % DATA, "%d files" % len(files))
    chk.eq(sorted(stem(f) for f in files), sorted(EXPECTED), "every file has a verdict and every verdict a file")
    ns = make_netns(chk)
    n = 0
    for transport in ("udp", "tcp"):
        for group in rounds(files):
            n += 1
            run_round(chk, ns, group, transport, n)


if __name__ == "__main__":
    h.run(test)
