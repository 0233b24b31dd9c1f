#!/usr/bin/env python3
"""sip_bench.py - acdd under SIPp load at rising call rates (not part of tests/run).

For each rate: a fresh acdd with max(300, rate) agents (one SIPp UAS answers for all of them after
50 ms of ringing; with 0 ms acdd's re-INVITE can reach the SIPp caller before it has stepped
past the <nop>s that follow its ACK, which SIPp counts as an unexpected message), SIPp callers placing rate*SECONDS calls at that rate with TALK_MS of
talk, every call going through the whole flow (INVITE, 200, ACK, agent INVITE, 200,
re-INVITE, ACK, ACK, BYE, BYE). Prints completed calls/s, failures, and acdd CPU seconds
per 1,000 calls (utime+stime from /proc). Then a queueing phase with no agents measures
acdd's RSS growth per queued call (each hearing greeting + music).

Usage: python3 tests/bench/sip_bench.py [rate ...]     (default 100 200 400 700 1000 1300)
Env: ACDD, ACDCTL (binaries; default build/daemon/), BENCH_SECONDS (default 5).
"""

import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

AGENTS_MIN = 300
TALK_MS = 200
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
QUEUED = 2000


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def agents_for(rate):
    """Enough agents that staffing never limits the rate: a call holds one ~0.3 s."""
    return max(AGENTS_MIN, rate)


def agents_cfg(n):
    return [h.agent(str(3000 + i)) for i in range(n)]


def run_rate(rate):
    chk = h.Checker()
    n_agents = agents_for(rate)
    site = h.Site("bench%d" % rate, agents=agents_cfg(n_agents), log_level="warn", trace_msg=False,
                  queues=[h.queue("main", "acme", ring_timeout=10, wrapup=0, max_no_answer=0)])
    site.config["media"]["rtp_ports"] = "20000-29999"
    try:
        site.start()
        phones = site.agent_phones(ring_ms=50, timeout_s=120)
        site.register([str(3000 + i) for i in range(n_agents)], phones.port, chk=chk, timeout=60,
                      rate=200)
        calls = rate * SECONDS
        cpu0 = proc_cpu_s(site.proc.pid)
        agents0 = proc_cpu_s(phones.proc.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        callers = site.callers(calls=calls, rate=rate, talk_ms=TALK_MS, send_rtp=False,
                               timeout_s=120)
        callers.wait(SECONDS * 6 + 60)
        wall = time.monotonic() - t0
        cpu = proc_cpu_s(site.proc.pid) - cpu0
        agents_cpu = proc_cpu_s(phones.proc.pid) - agents0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        callers_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        ok, failed = callers.successful(), callers.failed()
        cdrs = site.cdrs()
        answered = sum(1 for c in cdrs if c.get("disposition") == "answered")
        # Completed calls/s from acdd's own record: first arrival to last call end.
        span = 1e-3
        if cdrs:
            span = max(max(h.parse_time(c["end_time"]) for c in cdrs) -
                       min(h.parse_time(c["enqueue_time"]) for c in cdrs), 1e-3)
        busy = span
        print("rate %5d/s: %6d calls  %6d ok  %4d failed  %6d CDR answered  completed %7.1f calls/s"
              "  acdd cpu %.3f s per 1000 calls | cores used: acdd %.2f, SIPp callers %.2f,"
              " SIPp agents %.2f" % (rate, calls, ok, failed, answered, ok / busy,
                                     cpu / max(ok, 1) * 1000, cpu / wall, callers_cpu / wall,
                                     agents_cpu / wall), flush=True)
        return failed == 0 and ok == calls
    finally:
        site.close()


def run_queue():
    site = h.Site("benchq", agents=[h.agent("2001")], log_level="warn", trace_msg=False)
    site.config["media"]["rtp_ports"] = "20000-29999"
    try:
        site.start()
        time.sleep(0.5)
        rss0 = proc_rss_kib(site.proc.pid)
        callers = site.callers(calls=QUEUED, rate=500, talk_ms=1000, send_rtp=False, timeout_s=120,
                               limit=QUEUED + 100)
        h.wait_for(lambda: h.queued_count(site.status(quiet=True) or {}) >= QUEUED, 60,
                   interval=0.5, what="all callers queued")
        time.sleep(1)
        st = site.status(quiet=True) or {}
        queued = h.queued_count(st)
        rss1 = proc_rss_kib(site.proc.pid)
        cpu0 = proc_cpu_s(site.proc.pid)
        time.sleep(5)
        cpu = proc_cpu_s(site.proc.pid) - cpu0
        print("queued %d callers hearing music: RSS %d -> %d KiB = %.1f KiB per queued call;"
              " media CPU %.2f cores (%d RTP packets/s)" % (
                  queued, rss0, rss1, (rss1 - rss0) / max(queued, 1), cpu / 5, queued * 50), flush=True)
        callers.stop()
    finally:
        site.close()


def main():
    rates = [int(a) for a in sys.argv[1:]] or [100, 200, 400, 700, 1000, 1300]
    print("acdd SIP benchmark: max(%d, rate) agents, talk %d ms, %d s per rate, SIPp on the same"
          " %d-core machine" % (AGENTS_MIN, TALK_MS, SECONDS, os.cpu_count()), flush=True)
    for r in rates:
        if not run_rate(r):
            print("  (failures at %d/s: stopping the ramp)" % r)
            break
    run_queue()


if __name__ == "__main__":
    try:
        main()
    finally:
        h.cleanup_all()
