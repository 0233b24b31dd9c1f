#!/usr/bin/env python3
"""fake_acdctl.py - `acdctl --admin HOST:PORT status --json` against fake_acdd.py (harness self-check)."""
import sys
import urllib.request

args = sys.argv[1:]
if len(args) < 3 or args[0] != "--admin" or args[2] != "status":
    print("usage: fake_acdctl.py --admin HOST:PORT status [--json]", file=sys.stderr)
    sys.exit(2)
try:
    with urllib.request.urlopen("http://%s/v1/status" % args[1], timeout=3) as r:
        sys.stdout.write(r.read().decode() + "\n")
except OSError as e:
    print("acdctl: %s" % e, file=sys.stderr)
    sys.exit(1)
