#!/usr/bin/env python3
"""surface_bench.py - does watching acdd slow its calls? (not part of tests/run)

One acdd with AGENTS agents (one SIPp UAS answers for all after 50 ms of ringing) takes
RATE calls/s for SECONDS s, each the whole flow (INVITE, answer, agent INVITE, re-INVITE,
talk TALK_MS, BYEs, one CDR), in rounds that alternate two conditions on the same site:
  quiet    nobody reads the admin endpoint;
  watched  WALLBOARDS live wallboard clients hold GET /wallboard/events (SSE) open and
           read every event, and a Prometheus-like scraper GETs /metrics every second.
For each round it prints completed calls/s (from acdd's CDRs: calls / (last end - first
arrival)), failed calls, acdd CPU seconds per 1,000 calls (utime+stime from /proc), and
for watched rounds the SSE events and scrapes served. Then the median of each condition
and the change in throughput and CPU, in percent.

Usage: python3 tests/bench/surface_bench.py [rate]       (default 700)
Env: ACDD, ACDCTL (binaries; default build/daemon/), BENCH_SECONDS (default 10),
     BENCH_ROUNDS (rounds per condition, default 3).
"""

import os
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

AGENTS = 700
TALK_MS = 200
WALLBOARDS = 10
SCRAPE_S = 1.0
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watchers:
    """WALLBOARDS SSE readers and one scraper against the site's admin port, in threads."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.events = 0
        self.scrapes = 0
        self.errors = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._sse, daemon=True) for _ in range(WALLBOARDS)]
        self.threads.append(threading.Thread(target=self._scrape, daemon=True))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(5)

    def _count(self, what, n=1):
        with self.lock:
            setattr(self, what, getattr(self, what) + n)

    def _sse(self):
        try:
            s = socket.create_connection((h.LOOPBACK, self.port), timeout=2)
            s.sendall(b"GET /wallboard/events HTTP/1.1\r\nHost: bench\r\n"
                      b"Accept: text/event-stream\r\n\r\n")
            buf = b""
            while not self.stop.is_set():
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    self._count("errors")
                    return
                buf += data
                n = buf.count(b"\n\n")
                if n:
                    self._count("events", n)
                    buf = buf[buf.rfind(b"\n\n") + 2:]
            s.close()
        except OSError:
            self._count("errors")

    def _scrape(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                with socket.create_connection((h.LOOPBACK, self.port), timeout=2) as s:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                    got = b""
                    while True:
                        d = s.recv(65536)
                        if not d:
                            break
                        got += d
                if got.startswith(b"HTTP/1.1 200"):
                    self._count("scrapes")
                else:
                    self._count("errors")
            except OSError:
                self._count("errors")
            self.stop.wait(max(0.0, SCRAPE_S - (time.monotonic() - t0)))


def one_round(site, rate, watched):
    before = len(site.cdrs())
    calls = rate * SECONDS
    w = Watchers(site.admin_port) if watched else None
    if w:
        w.__enter__()
        time.sleep(1.5)  # every client connected and served its first event
    cpu0 = proc_cpu_s(site.proc.pid)
    try:
        callers = site.callers(name="callers%d" % time.monotonic_ns(), calls=calls, rate=rate,
                               talk_ms=TALK_MS, send_rtp=False, timeout_s=120)
        callers.wait(SECONDS * 6 + 60)
    finally:
        if w:
            w.__exit__()
    cpu = proc_cpu_s(site.proc.pid) - cpu0
    ok, failed = callers.successful(), callers.failed()
    cdrs = site.cdrs()[before:]
    span = 1e-3
    if cdrs:
        span = max(max(h.parse_time(c["end_time"]) for c in cdrs) -
                   min(h.parse_time(c["enqueue_time"]) for c in cdrs), 1e-3)
    r = {"ok": ok, "failed": failed, "cps": ok / span, "cpu_k": cpu / max(ok, 1) * 1000,
         "events": w.events if w else 0, "scrapes": w.scrapes if w else 0,
         "errors": w.errors if w else 0}
    print("%-8s %6d calls %6d ok %4d failed  completed %7.1f calls/s  acdd cpu %.3f s/1000 calls%s"
          % ("watched" if watched else "quiet", calls, ok, failed, r["cps"], r["cpu_k"],
             "  | %d SSE events, %d scrapes, %d errors" % (r["events"], r["scrapes"], r["errors"])
             if watched else ""), flush=True)
    return r


def main():
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 700
    print("acdd surface benchmark: %d calls/s for %d s per round, %d agents, talk %d ms; watched ="
          " %d SSE wallboard clients + /metrics every %.0f s; %d-core machine, SIPp on it too"
          % (rate, SECONDS, AGENTS, TALK_MS, WALLBOARDS, SCRAPE_S, os.cpu_count()), flush=True)
    site = h.Site("surfbench", agents=[h.agent(str(3000 + i)) for i in range(AGENTS)],
                  log_level="warn", trace_msg=False,
                  queues=[h.queue("main", "acme", ring_timeout=10, wrapup=0, max_no_answer=0)])
    site.config["media"]["rtp_ports"] = "20000-29999"
    chk = h.Checker()
    try:
        site.start()
        phones = site.agent_phones(ring_ms=50, timeout_s=600, calls=10 ** 6)
        site.register([str(3000 + i) for i in range(AGENTS)], phones.port, chk=chk, timeout=60,
                      rate=200)
        res = {False: [], True: []}
        for _ in range(ROUNDS):
            for watched in (False, True):
                res[watched].append(one_round(site, rate, watched))
        q = statistics.median(r["cps"] for r in res[False])
        wv = statistics.median(r["cps"] for r in res[True])
        qc = statistics.median(r["cpu_k"] for r in res[False])
        wc = statistics.median(r["cpu_k"] for r in res[True])
        print("median completed calls/s: quiet %.1f, watched %.1f -> change %+.2f %%" %
              (q, wv, (wv - q) / q * 100 if q else 0.0))
        print("median acdd CPU s/1000 calls: quiet %.3f, watched %.3f -> change %+.2f %%" %
              (qc, wc, (wc - qc) / qc * 100 if qc else 0.0))
        print("failed calls: quiet %d, watched %d; watcher errors %d" % (
            sum(r["failed"] for r in res[False]), sum(r["failed"] for r in res[True]),
            sum(r["errors"] for r in res[True])))
    finally:
        site.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        h.cleanup_all()
