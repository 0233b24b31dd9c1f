#!/usr/bin/env python3
"""rfc4475_sender.py - sends RFC 4475 torture messages, byte for byte, to one SIP server and
prints, as JSON, the responses each one got: {file: {"codes": [...], "first": code|null}}.

Run it ONLY inside a throw-away network namespace (test_rfc4475.py does): the messages name
outside hosts, and it refuses to run where any interface but lo exists.

  rfc4475_sender.py --host 127.0.0.1 --port 5099 --transport udp|tcp [--window 0.3] FILE...

UDP: the message goes from port 5060 (the Via sent-by port of most files); responses are
also collected on the other Via ports the files name (5050, 5061, 5070), since a server
sends a UDP response to received=<source> and the sent-by port. TCP: one connection per
message; responses come back on it. A response belongs to a message when its Call-ID is
the message's (so late retransmissions of earlier answers are ignored). The window closes
at the first final response or after --window seconds.
"""

import argparse
import json
import os
import re
import select
import socket
import sys
import time

UDP_PORTS = (5060, 5050, 5061, 5070)


def loopback_only():
    """True when the only network interface this process sees is lo (per-namespace
    /proc/self/net/dev): then nothing it sends can leave the machine."""
    try:
        with open("/proc/self/net/dev") as f:
            names = [l.split(":", 1)[0].strip() for l in f.readlines()[2:] if ":" in l]
    except OSError:
        return False
    return names == ["lo"]


def header(data, names):
    """The value of the first header named one of names (lowercase) in data's head, or None.
    Folded lines are unfolded."""
    head = data.split(b"\r\n\r\n", 1)[0]
    head = re.sub(rb"\r\n[ \t]+", b" ", head)
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() in names:
            return value.strip()
    return None


def call_id(data):
    return header(data, (b"call-id", b"i"))


def status_of(data):
    first = data.split(b"\r\n", 1)[0]
    parts = first.split(None, 2)
    if len(parts) >= 2 and parts[0] == b"SIP/2.0" and parts[1].isdigit():
        return int(parts[1])
    return None


def split_stream(buf):
    """Splits complete messages off a TCP byte stream (Content-Length framing)."""
    out = []
    while True:
        buf = buf.lstrip(b"\r\n")
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return out, buf
        m = re.search(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", buf[:i + 2], re.I)
        n = int(m.group(1)) if m else 0
        if len(buf) < i + 4 + n:
            return out, buf
        out.append(buf[:i + 4 + n])
        buf = buf[i + 4 + n:]


def send_udp(host, port, data, socks, window):
    cid = call_id(data)
    socks[0].sendto(data, (host, port))
    codes = []
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        r, _, _ = select.select(socks, [], [], max(0, deadline - time.monotonic()))
        for s in r:
            try:
                resp, _ = s.recvfrom(65535)
            except OSError:
                continue
            code = status_of(resp)
            if code is None or call_id(resp) != cid:
                continue  # not a response, or one to an earlier message
            codes.append(code)
        if any(c >= 200 for c in codes):
            break
    return codes


def send_tcp(host, port, data, window):
    cid = call_id(data)
    codes = []
    try:
        s = socket.create_connection((host, port), timeout=2)
    except OSError as e:
        return {"error": "connect: %s" % e}
    try:
        s.sendall(data)
        buf = b""
        deadline = time.monotonic() + window
        while time.monotonic() < deadline and not any(c >= 200 for c in codes):
            r, _, _ = select.select([s], [], [], max(0, deadline - time.monotonic()))
            if not r:
                continue
            chunk = s.recv(65535)
            if not chunk:
                break  # the server closed the connection
            msgs, buf = split_stream(buf + chunk)
            for m in msgs:
                code = status_of(m)
                if code is not None and call_id(m) == cid:
                    codes.append(code)
    except OSError:
        pass
    finally:
        s.close()
    return codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--transport", choices=("udp", "tcp"), required=True)
    ap.add_argument("--window", type=float, default=0.3)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    if not loopback_only():
        print("rfc4475_sender: refusing to run where an interface other than lo exists", file=sys.stderr)
        return 2
    if not a.host.startswith("127."):
        print("rfc4475_sender: only loopback targets are allowed", file=sys.stderr)
        return 2

    socks = []
    if a.transport == "udp":
        for p in UDP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            socks.append(s)

    results = {}
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.basename(path)
        if a.transport == "udp":
            codes = send_udp(a.host, a.port, data, socks, a.window)
        else:
            codes = send_tcp(a.host, a.port, data, a.window)
        if isinstance(codes, dict):
            results[name] = {"codes": [], "first": None, "error": codes["error"]}
            continue
        finals = [c for c in codes if c >= 200]
        results[name] = {"codes": codes, "first": finals[0] if finals else (codes[0] if codes else None)}
    json.dump(results, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
