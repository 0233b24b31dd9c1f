"""harness.py - runs acdd against real SIPp peers for the integration tests (stdlib only).

A test builds a Site (a temp dir, free ports, a YAML config), starts acdd and SIPp
processes through it, and asserts on SIPp's exit codes and statistics, on the CDR file and
on `acdctl status --json`. Every process the harness starts runs in its own process group
and is killed, and the temp dir removed, whatever happens: normal end, exception, SIGTERM,
SIGINT (atexit and signal handlers back up the context manager).

Environment: ACDD, ACDCTL (binaries; default <build>/daemon/acdd and acdctl), ACD_SOURCE_DIR
(the repo), ACD_BUILD_DIR, ACD_TEST_KEEP=1 (keep the temp dir for a post-mortem),
ACD_TEST_VERBOSE=1 (print every command).
"""

import atexit
import datetime
import json
import os
import random
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("ACD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("ACD_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
ACDD = os.environ.get("ACDD") or os.path.join(BUILD_DIR, "daemon", "acdd")
ACDCTL = os.environ.get("ACDCTL") or os.path.join(BUILD_DIR, "daemon", "acdctl")
SCENARIOS = os.path.join(HERE, "scenarios")
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
LOOPBACK = "127.0.0.1"
VERBOSE = os.environ.get("ACD_TEST_VERBOSE") == "1"
KEEP = os.environ.get("ACD_TEST_KEEP") == "1"


def log(msg):
    """Prints a timestamped progress line (CTest shows it when the test fails)."""
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---------------------------------------------------------------------------------------
# Process bookkeeping: everything started is killed on every way out.

_procs = []          # Popen objects, each the leader of its own process group
_cleanups = []       # callables run once at exit (temp dirs, namespaces)
_cleanup_lock = threading.Lock()
_cleaned = False


def spawn(argv, **kw):
    """Starts argv in a new session (its own process group) and remembers it for cleanup."""
    if VERBOSE:
        log("spawn: " + " ".join(shlex.quote(a) for a in argv))
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    _procs.append(p)
    return p


def kill_group(p, sig=signal.SIGKILL):
    """Sends sig to p's process group; ignores groups that are already gone."""
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_proc(p, timeout=5.0):
    """SIGTERM, then SIGKILL after timeout; reaps p. Returns its exit status."""
    if p.poll() is None:
        kill_group(p, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    kill_group(p, signal.SIGKILL)
    try:
        return p.wait(5)
    except subprocess.TimeoutExpired:
        return None


def on_cleanup(fn):
    """Registers fn to run once when the test ends (after every process is killed)."""
    _cleanups.append(fn)


def cleanup_all():
    """Kills every process group started, then runs the cleanups (LIFO). Idempotent."""
    global _cleaned
    with _cleanup_lock:
        if _cleaned:
            return
        _cleaned = True
    for p in _procs:
        kill_group(p, signal.SIGKILL)
    for p in _procs:
        try:
            p.wait(5)
        except Exception:
            pass
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print("cleanup error: %r" % (e,), file=sys.stderr)


def _on_signal(signum, frame):
    cleanup_all()
    os._exit(128 + signum)


atexit.register(cleanup_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale_tmpdirs():
    """Removes /tmp/acdtest-<pid>-* left by test processes that were SIGKILLed."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith("acdtest-"):
            continue
        try:
            pid = int(name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid):
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Ports

_taken = set()


def _can_bind(port, kinds=("udp", "tcp"), host=LOOPBACK):
    socks = []
    try:
        for k in kinds:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if k == "udp" else socket.SOCK_STREAM)
            socks.append(s)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(kinds=("udp", "tcp")):
    """A port free for every kind in kinds on 127.0.0.1, picked at random below the kernel's
    ephemeral range (32768 and up), so that no outgoing connection made later (etcd
    clients, nng dialers, SIPp) can take it before its server binds it. Never returns the
    same port twice in one test."""
    for _ in range(500):
        port = random.randrange(10000, 32700)
        if port in _taken:
            continue
        if _can_bind(port, kinds):
            _taken.add(port)
            return port
    raise RuntimeError("no free port found")


def free_port_block(n, step=1, kinds=("udp",)):
    """A port p, even, with p, p+step, ... (n ports) all free (SIPp media takes p and p+2)."""
    for _ in range(200):
        p = free_port(kinds) & ~1
        ports = [p + i * step for i in range(n)]
        if any(q in _taken for q in ports[1:]) or ports[-1] > 65000:
            continue
        if all(_can_bind(q, kinds) for q in ports):
            _taken.update(ports)
            return p
    raise RuntimeError("no free port block found")


def free_range(size):
    """A random range of size UDP ports (for acdd's rtp_ports), checked free at both ends."""
    for _ in range(100):
        lo = random.randrange(30000, 60000 - size, 2)
        if _can_bind(lo, ("udp",)) and _can_bind(lo + size - 1, ("udp",)):
            return lo, lo + size - 1
    raise RuntimeError("no free RTP range")


# ---------------------------------------------------------------------------------------
# Checks

class Failures(Exception):
    pass


class Checker:
    """Collects failed assertions instead of stopping at the first one, so a report names
    everything that went wrong; finish() raises when any failed."""

    def __init__(self):
        self.failed = []
        self.passed = 0

    def check(self, cond, what, detail=None):
        if cond:
            self.passed += 1
            if VERBOSE:
                log("ok: " + what)
        else:
            msg = what if detail is None else "%s (%s)" % (what, detail)
            self.failed.append(msg)
            log("FAIL: " + msg)
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def finish(self):
        if self.failed:
            raise Failures("%d check(s) failed:\n  - %s" % (len(self.failed), "\n  - ".join(self.failed)))


def parse_time(v):
    """RFC 3339 text -> seconds since the epoch (float); None stays None."""
    if v is None:
        return None
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def wait_for(pred, timeout, interval=0.1, what="condition"):
    """Polls pred() until it returns a true value (returned) or timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# Config

def _yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a valid double-quoted YAML scalar


def to_yaml(obj, indent=0):
    """Block-style YAML for dicts/lists of scalars, dicts and lists (enough for configs)."""
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict):
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + 2))
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + 2))
            elif isinstance(v, list):
                out.append("%s%s: [%s]" % (pad, k, ", ".join(_yaml_scalar(x) for x in v)))
            else:
                out.append("%s%s: %s" % (pad, k, _yaml_scalar(v)))
    elif isinstance(obj, list):
        for item in obj:
            body = to_yaml(item, indent + 2).splitlines()
            out.append("%s- %s" % (pad, body[0].lstrip()))
            out.extend(body[1:])
    return "\n".join(out)


def agent(id, queues=("main",), sip_user=None):
    return {"id": str(id), "sip_user": str(sip_user or id), "queues": list(queues)}


def tenant(name="acme", dids=("1000",), queue="main", language="en", answer_after=0):
    return {"name": name, "dids": [str(d) for d in dids], "queue": queue,
            "language": language, "answer_after": answer_after}


def queue(name="main", tenant="acme", ring_timeout=15, wrapup=1, max_no_answer=3):
    return {"name": name, "tenant": tenant, "strategy": "longest-idle",
            "ring_timeout": ring_timeout, "wrapup": wrapup, "max_no_answer": max_no_answer}


# ---------------------------------------------------------------------------------------
# SIPp

class Sipp:
    """One SIPp process. Its statistics, errors, messages and <log> lines go to files in
    the site's temp dir, named after `name`."""

    def __init__(self, site, name, scenario, args, uac_target=None, transport="u1",
                 calls=None, sets=None, timeout_s=90, duration_ms=None, media_port=None):
        self.site = site
        self.name = name
        self.port = free_port(("udp", "tcp"))
        self.media_port = media_port or free_port_block(3, kinds=("udp",))
        d = site.dir
        self.files = {k: os.path.join(d, "%s.%s" % (name, k))
                      for k in ("stats.csv", "errors.log", "messages.log", "logs.log", "screen.log", "out")}
        scen = scenario if os.path.isabs(scenario) else os.path.join(SCENARIOS, scenario)
        argv = [SIPP, "-sf", scen, "-i", LOOPBACK, "-p", str(self.port),
                "-mi", LOOPBACK, "-mp", str(self.media_port), "-cp", str(free_port(("udp",))),
                "-t", transport, "-nostdin",
                "-trace_stat", "-stf", self.files["stats.csv"], "-fd", "1",
                "-trace_err", "-error_file", self.files["errors.log"],
                "-trace_logs", "-log_file", self.files["logs.log"],
                "-trace_screen", "-screen_file", self.files["screen.log"],
                "-timeout", "%ds" % timeout_s, "-timeout_error",
                "-max_recv_loops", "10000", "-max_sched_loops", "10000"]
        if site.trace_msg:
            argv += ["-trace_msg", "-message_file", self.files["messages.log"]]
        if calls is not None:
            argv += ["-m", str(calls)]
        if duration_ms is not None:
            argv += ["-d", str(int(duration_ms))]
        with open(scen, encoding="latin-1") as f:
            text = f.read()
        for k, v in (sets or {}).items():
            if "[$%s]" % k in text or 'variable="%s"' % k in text:  # SIPp refuses unknown globals
                argv += ["-set", k, str(v)]
        argv += list(args)
        if uac_target:
            argv.append(uac_target)
        self.argv = argv
        self.out = open(self.files["out"], "wb")
        self.proc = spawn(site._wrap(argv), stdout=self.out, stderr=subprocess.STDOUT, cwd=d)  # in the site's netns
        self.started = time.monotonic()
        self.rc = None

    def wait(self, timeout):
        """Waits for SIPp to exit; returns its exit code, or None (killed) on timeout."""
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log("%s: still running after %.0fs, killing it" % (self.name, timeout))
            stop_proc(self.proc, 2)
            self.rc = None
        self.out.close()
        return self.rc

    def running(self):
        return self.proc.poll() is None

    def stop(self):
        """Stops a SIPp that runs forever (a UAS with no -m); returns its exit code."""
        self.rc = stop_proc(self.proc, 3)
        self.out.close()
        return self.rc

    def stats(self):
        """The last row of the -trace_stat CSV as {column: text} ({} when missing)."""
        try:
            with open(self.files["stats.csv"], encoding="latin-1") as f:
                rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
        except OSError:
            return {}
        if len(rows) < 2:
            return {}
        return dict(zip(rows[0], rows[-1]))

    def counter(self, column):
        """An integer column of the last stats row, e.g. SuccessfulCall(C); -1 when absent."""
        try:
            return int(self.stats().get(column, "-1"))
        except ValueError:
            return -1

    def successful(self):
        return self.counter("SuccessfulCall(C)")

    def failed(self):
        return self.counter("FailedCall(C)")

    def log_lines(self, prefix=None):
        """The <log> lines the scenario wrote, optionally only those starting with prefix."""
        try:
            with open(self.files["logs.log"], encoding="latin-1") as f:
                lines = [l.strip() for l in f if l.strip()]
        except OSError:
            return []
        return [l for l in lines if prefix is None or l.startswith(prefix)]

    def log_records(self, prefix):
        """Parses "<PREFIX> <call_id> k=v k=v" log lines into dicts (call_id under "call_id")."""
        out = []
        for l in self.log_lines(prefix + " "):
            parts = l.split()
            rec = {"call_id": parts[1] if len(parts) > 1 else ""}
            for p in parts[2:]:
                if "=" in p:
                    k, v = p.split("=", 1)
                    rec[k] = v
            out.append(rec)
        return out

    def check_ok(self, chk, calls):
        """Asserts SIPp exited 0 with `calls` successful calls and no failed ones."""
        chk.eq(self.rc, 0, "%s: sipp exit code" % self.name)
        chk.eq(self.successful(), calls, "%s: successful calls" % self.name)
        chk.eq(self.failed(), 0, "%s: failed calls" % self.name)

    def diagnostics(self, max_lines=80):
        out = ["--- sipp %s (rc=%s): %s" % (self.name, self.rc, " ".join(shlex.quote(a) for a in self.argv))]
        st = self.stats()
        if st:
            keys = ["TotalCallCreated", "SuccessfulCall(C)", "FailedCall(C)", "FailedCallRejected(C)",
                    "FailedMaxUDPRetrans(C)", "FailedUnexpectedMessage(C)", "FailedCallTimeout(C)",
                    "FailedRegexpDoesntMatch(C)", "FailedRegexpShouldntMatch(C)", "FailedRegexpHdrNotFound(C)",
                    "FailedCmdNotSent(C)", "DeadCallMsgs(C)", "Retransmissions(C)", "CurrentCall",
                    "OutOfCallMsgs(C)", "AutoAnswered(C)"]
            out.append("    stats: " + ", ".join("%s=%s" % (k, st[k]) for k in keys if k in st and st[k] not in ("0", "")))
        for key in ("out", "errors.log", "logs.log"):
            out += _tail(self.files[key], 25, "    %s: " % key)
        out += _tail(self.files["messages.log"], max_lines, "    msg: ")
        return "\n".join(out)


def _tail(path, n, prefix):
    try:
        with open(path, encoding="latin-1", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    lines = [l for l in lines if l.strip()]
    if not lines:
        return []
    head = ["%s(last %d of %d lines)" % (prefix, min(n, len(lines)), len(lines))] if len(lines) > n else []
    return head + [prefix + l for l in lines[-n:]]


# ---------------------------------------------------------------------------------------
# RTP sink: counts what acdd sends to a caller's SDP address.

class RtpSink:
    """A UDP socket on 127.0.0.1 that counts RTP packets (version 2) and remembers payload
    types and sources, in a thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = free_port_block(1, kinds=("udp",))
        self.sock.bind((LOOPBACK, self.port))
        self.sock.settimeout(0.2)
        self.packets = 0
        self.bad = 0
        self.payload_types = set()
        self.sources = set()
        self.sizes = set()
        self.first_at = None
        self.last_at = None
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        on_cleanup(self.close)

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            if len(data) >= 12 and (data[0] >> 6) == 2:
                self.packets += 1
                self.payload_types.add(data[1] & 0x7F)
                self.sizes.add(len(data) - 12)
                self.sources.add(addr)
                self.first_at = self.first_at or now
                self.last_at = now
            else:
                self.bad += 1

    def close(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# Status poller

class StatusPoller:
    """Runs `acdctl status --json` every interval in a thread and keeps every snapshot
    (with its monotonic time) so tests can assert on what was seen while SIPp ran."""

    def __init__(self, site, interval=0.25):
        self.site = site
        self.interval = interval
        self.snapshots = []
        self.errors = 0
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            st = self.site.status(quiet=True)
            if st is None:
                self.errors += 1
            else:
                self.snapshots.append((time.monotonic(), st))
            time.sleep(self.interval)

    def stop(self):
        self._stop = True
        self._t.join(5)


def queued_count(status):
    """Callers waiting in a status document: the queues' `waiting` or calls in state queued."""
    n_calls = sum(1 for c in status.get("calls", []) if c.get("state") == "queued")
    n_queues = sum(int(q.get("waiting", 0) or 0) for q in status.get("queues", []))
    return max(n_calls, n_queues)


def agent_status(status, agent_id):
    for a in status.get("agents", []):
        if str(a.get("id")) == str(agent_id):
            return a
    return None


# ---------------------------------------------------------------------------------------
# Site: one acdd with its config, temp dir and the SIPp peers started against it.

class Site:
    def __init__(self, name, agents=(), tenants=None, queues=None, transports=("udp", "tcp"),
                 log_level="debug", netns=None, trace_msg=True, extra=None):
        reap_stale_tmpdirs()
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="acdtest-%d-%s-" % (os.getpid(), name))
        if not KEEP:
            on_cleanup(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        os.chmod(self.dir, 0o755)
        self.netns = netns
        self.transports = tuple(transports)
        self.trace_msg = trace_msg
        self.sip_port = free_port(("udp", "tcp"))
        self.admin_port = free_port(("tcp",))
        rtp_lo, rtp_hi = free_range(400)
        self.cdr_path = os.path.join(self.dir, "cdr.jsonl")
        self.log_path = os.path.join(self.dir, "acdd.log")
        self.config = {
            "site": {"name": name, "address": LOOPBACK},
            "sip": {"listen": LOOPBACK, "port": self.sip_port, "transports": list(transports), "t1_ms": 500},
            "media": {"rtp_ports": "%d-%d" % (rtp_lo, rtp_hi), "prompts": "/var/lib/acdd/prompts"},
            "admin": {"listen": LOOPBACK, "port": self.admin_port},
            "cdr": {"path": self.cdr_path},
            "log": {"level": log_level},
            "drain_timeout": 5,
            "trunks": [{"name": "local", "networks": ["127.0.0.0/8"]}],
            "tenants": list(tenants) if tenants is not None else [tenant()],
            "queues": list(queues) if queues is not None else [queue()],
            "agents": list(agents),
        }
        if extra:
            self.config.update(extra)
        self.config_path = os.path.join(self.dir, "acdd.yaml")
        self.proc = None
        self.exit_code = None
        self.sipps = []
        self.pollers = []
        self.ulaw = os.path.join(self.dir, "caller.ulaw")
        _write_ulaw_tone(self.ulaw)

    # -- acdd -------------------------------------------------------------------------

    def write_config(self):
        with open(self.config_path, "w") as f:
            f.write("# written by tests/sip/harness.py\n" + to_yaml(self.config) + "\n")

    def _wrap(self, argv):
        return (["ip", "netns", "exec", self.netns] + argv) if self.netns else argv

    def check_config(self):
        """Runs acdd --check-config; returns (exit code, output)."""
        self.write_config()
        r = subprocess.run(self._wrap([ACDD, "--check-config", self.config_path]),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def start(self, ready_timeout=15):
        """Starts acdd in the foreground (stderr to acdd.log) and waits until the admin port
        accepts connections and the SIP port answers OPTIONS. Raises when it does not."""
        if not (os.path.isfile(ACDD) and os.access(ACDD, os.X_OK)):
            raise RuntimeError("acdd binary not found: %s (set ACDD)" % ACDD)
        self.write_config()
        self.logf = open(self.log_path, "ab")
        self.proc = spawn(self._wrap([ACDD, "--config", self.config_path]),
                          stdout=self.logf, stderr=subprocess.STDOUT, cwd=self.dir)
        log("acdd pid %d: sip %s:%d admin %d dir %s" % (self.proc.pid, LOOPBACK, self.sip_port,
                                                         self.admin_port, self.dir))
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("acdd exited during start-up with status %s" % self.proc.returncode)
            if self._admin_up() and self.options_ping(timeout=0.3) is not None:
                return
            time.sleep(0.1)
        raise RuntimeError("acdd not ready after %ss (admin port %d, OPTIONS on %d)"
                           % (ready_timeout, self.admin_port, self.sip_port))

    def _admin_up(self):
        if self.netns:  # the admin port lives in the namespace; acdctl is run inside it
            return self.status(quiet=True) is not None
        try:
            with socket.create_connection((LOOPBACK, self.admin_port), timeout=0.3):
                return True
        except OSError:
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def options_ping(self, timeout=1.0, transport=None):
        """Sends OPTIONS to acdd (over UDP unless the site has TCP only); returns the
        response status code, or None."""
        transport = transport or ("udp" if "udp" in self.transports else "tcp")
        if self.netns:
            return None if not self.alive() else self._ns_options(timeout, transport)
        return sip_options(LOOPBACK, self.sip_port, timeout, transport)

    def _ns_options(self, timeout, transport):
        code = "import sys; sys.path.insert(0, %r); import harness; print(harness.sip_options(%r, %d, %r, %r))" % (
            HERE, LOOPBACK, self.sip_port, timeout, transport)
        try:
            r = subprocess.run(["ip", "netns", "exec", self.netns, sys.executable, "-c", code],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout + 5)
            v = r.stdout.decode().strip()
            return int(v) if v.isdigit() else None
        except (subprocess.TimeoutExpired, ValueError):
            return None

    def stop(self, timeout=15):
        """SIGTERM (drain) and wait; returns acdd's exit status (None when it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("acdd did not exit %ss after SIGTERM; killing it" % timeout)
                stop_proc(self.proc, 1)
                self.exit_code = None
        else:
            self.exit_code = self.proc.returncode
        return self.exit_code

    # -- observations -------------------------------------------------------------------

    def status(self, quiet=False):
        """`acdctl --admin 127.0.0.1:<port> status --json` as a dict, or None on failure."""
        argv = self._wrap([ACDCTL, "--admin", "%s:%d" % (LOOPBACK, self.admin_port), "status", "--json"])
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=5)
        except (subprocess.TimeoutExpired, OSError) as e:
            if not quiet:
                log("acdctl status: %r" % (e,))
            return None
        if r.returncode != 0:
            if not quiet:
                log("acdctl status exited %d: %s" % (r.returncode, r.stderr.decode("utf-8", "replace").strip()))
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            if not quiet:
                log("acdctl status printed no JSON: %r" % r.stdout[:200])
            return None

    def poll_status(self, interval=0.25):
        p = StatusPoller(self, interval)
        self.pollers.append(p)
        return p

    def cdrs(self):
        """Every CDR line parsed; a line that is not JSON is returned as {"_bad": text}."""
        out = []
        try:
            with open(self.cdr_path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        out.append({"_bad": line})
        except OSError:
            pass
        return out

    def wait_cdrs(self, n, timeout=10):
        """Waits until at least n CDRs are written; returns them."""
        wait_for(lambda: len(self.cdrs()) >= n, timeout)
        return self.cdrs()

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- SIPp peers ---------------------------------------------------------------------

    def target(self):
        return "%s:%d" % (LOOPBACK, self.sip_port)

    def sipp(self, name, scenario, uac=True, **kw):
        s = Sipp(self, name, scenario, kw.pop("args", ()), uac_target=self.target() if uac else None, **kw)
        self.sipps.append(s)
        return s

    def agent_phones(self, name="agents", scenario="agent_uas.xml", calls=None, ring_ms=300,
                     talk_ms=None, transport="u1", timeout_s=90):
        """Starts a SIPp UAS that answers acdd's offers for every agent registered to it."""
        return self.sipp(name, scenario, uac=False, calls=calls, transport=transport,
                         sets={"ring_ms": ring_ms}, duration_ms=talk_ms, timeout_s=timeout_s)

    def register(self, users, contact_port, transport="u1", name="register", chk=None, timeout=20,
                 rate=50):
        """Registers users (Contact port contact_port) with register.xml, waits, and checks
        (when chk is given) that every REGISTER got a 200 with Contact and expiry."""
        csv = os.path.join(self.dir, "%s.csv" % name)
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n")
            for u in users:
                f.write("%s;%d;\n" % (u, contact_port))
        s = self.sipp(name, "register.xml", calls=len(users), transport=transport,
                      args=["-inf", csv, "-r", str(rate), "-recv_timeout", "5000"])
        s.wait(timeout)
        if chk is not None:
            s.check_ok(chk, len(users))
        return s

    def callers(self, name="callers", scenario="caller.xml", calls=1, rate=10, talk_ms=1000,
                did="1000", transport="u1", rtp_port=None, send_rtp=True, prefix="55",
                timeout_s=90, limit=None, extra_args=()):
        """Starts SIPp callers dialing did; rtp_port defaults to the SIPp media port."""
        media = free_port_block(3, kinds=("udp",))
        sets = {"rtp_port": rtp_port or media, "caller_prefix": prefix, "send_rtp": 1 if send_rtp else 0}
        args = ["-s", str(did), "-r", str(rate), "-recv_timeout", "60000"] + list(extra_args)
        if limit:
            args += ["-l", str(limit)]
        s = self.sipp(name, scenario, calls=calls, transport=transport, sets=sets,
                      duration_ms=talk_ms, timeout_s=timeout_s, media_port=media, args=args)
        return s

    # -- end ----------------------------------------------------------------------------

    def diagnostics(self):
        out = ["=== diagnostics for site %s (dir %s)" % (self.name, self.dir)]
        out.append("--- config\n" + to_yaml(self.config))
        out.append("--- acdd exit: %s" % (self.proc.returncode if self.proc else "not started"))
        out += _tail(self.log_path, 120, "    acdd: ")
        out.append("--- CDRs")
        for c in self.cdrs():
            out.append("    " + json.dumps(c))
        for s in self.sipps:
            out.append(s.diagnostics())
        return "\n".join(out)

    def close(self):
        for p in self.pollers:
            p.stop()
        for s in self.sipps:
            if s.running():
                stop_proc(s.proc, 1)
        if self.alive():
            self.stop(5)


def _write_ulaw_tone(path, seconds=2, hz=440):
    """Raw PCMU (G.711 mu-law) samples of a sine, for SIPp's rtp_stream."""
    import math

    def lin2ulaw(s):
        sign = 0x80 if s < 0 else 0
        s = min(abs(s), 32635) + 0x84
        exp = 7
        for e in range(7, -1, -1):
            if s & (0x80 << e):
                exp = e
                break
        mant = (s >> (exp + 3)) & 0x0F
        return (~(sign | (exp << 4) | mant)) & 0xFF

    n = 8000 * seconds
    data = bytes(lin2ulaw(int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(n))
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------
# Raw SIP helpers

def sip_options(host, port, timeout=1.0, transport="udp"):
    """Sends one OPTIONS to host:port; returns the status code of the first response or None."""
    branch = "z9hG4bK-opt-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.bind((LOOPBACK, 0))
        lport = s.getsockname()[1]
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
               "Max-Forwards: 70\r\n"
               "From: <sip:probe@%s>;tag=probe%d\r\n"
               "To: <sip:%s:%d>\r\n"
               "Call-ID: opt-%d-%d@%s\r\n"
               "CSeq: 1 OPTIONS\r\n"
               "Accept: application/sdp\r\n"
               "Content-Length: 0\r\n\r\n") % (host, port, transport.upper(), LOOPBACK, lport, branch,
                                               LOOPBACK, os.getpid(), host, port, os.getpid(),
                                               random.randrange(1 << 30), LOOPBACK)
        if transport == "udp":
            s.sendto(msg.encode(), (host, port))
            data, _ = s.recvfrom(65535)
        else:
            s.connect((host, port))
            s.sendall(msg.encode())
            data = s.recv(65535)
        return status_code(data)
    except OSError:
        return None
    finally:
        s.close()


def status_code(data):
    """The status code of a SIP response's first line, or None when it is not a response."""
    line = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    parts = line.split()
    if len(parts) >= 2 and parts[0] == b"SIP/2.0" and parts[1].isdigit():
        return int(parts[1])
    return None


# ---------------------------------------------------------------------------------------
# CDR assertions shared by the tests

CDR_FIELDS = ("site", "call_id", "tenant", "did", "caller", "queue", "agent", "enqueue_time",
              "answer_time", "end_time", "wait_s", "talk_s", "offers", "disposition")


def check_cdr_shape(chk, cdr, site_name):
    """Every field present, times parse, numbers are numbers, the disposition is known."""
    cid = cdr.get("call_id", "?")
    missing = [f for f in CDR_FIELDS if f not in cdr]
    chk.check(not missing, "CDR %s has every field" % cid, "missing %s" % missing)
    chk.eq(cdr.get("site"), site_name, "CDR %s site" % cid)
    chk.check(cdr.get("disposition") in ("answered", "abandoned", "failed"),
              "CDR %s disposition known" % cid, repr(cdr.get("disposition")))
    for f in ("enqueue_time", "end_time"):
        try:
            chk.check(parse_time(cdr.get(f)) is not None, "CDR %s %s set" % (cid, f))
        except (ValueError, AttributeError, TypeError) as e:
            chk.check(False, "CDR %s %s is RFC 3339" % (cid, f), "%r: %s" % (cdr.get(f), e))
    for f in ("wait_s", "talk_s"):
        chk.check(isinstance(cdr.get(f), (int, float)) and cdr.get(f) >= 0,
                  "CDR %s %s is a number >= 0" % (cid, f), repr(cdr.get(f)))
    chk.check(isinstance(cdr.get("offers"), int), "CDR %s offers is an integer" % cid, repr(cdr.get("offers")))
    if cdr.get("disposition") == "answered":
        chk.check(cdr.get("agent") not in (None, ""), "CDR %s answered has an agent" % cid)
        try:
            a, e, q = parse_time(cdr.get("answer_time")), parse_time(cdr.get("end_time")), parse_time(cdr.get("enqueue_time"))
            chk.check(a is not None and q <= a + 0.001 and a <= e + 0.001,
                      "CDR %s enqueue <= answer <= end" % cid, "%s %s %s" % (
                          cdr.get("enqueue_time"), cdr.get("answer_time"), cdr.get("end_time")))
            chk.check(abs((a - q) - cdr.get("wait_s", -1)) < 0.05, "CDR %s wait_s = answer - enqueue" % cid,
                      "%s vs %.3f" % (cdr.get("wait_s"), a - q))
            chk.check(abs((e - a) - cdr.get("talk_s", -1)) < 0.05, "CDR %s talk_s = end - answer" % cid,
                      "%s vs %.3f" % (cdr.get("talk_s"), e - a))
        except (ValueError, TypeError, AttributeError) as ex:
            chk.check(False, "CDR %s times parse" % cid, str(ex))
    else:
        chk.check(cdr.get("answer_time") is None, "CDR %s not answered: answer_time null" % cid,
                  repr(cdr.get("answer_time")))
        chk.check(cdr.get("talk_s") in (0, 0.0), "CDR %s not answered: talk_s 0" % cid, repr(cdr.get("talk_s")))


def check_no_agent_overlap(chk, cdrs):
    """Invariant 1: per agent, the [answer, end] intervals of its calls never overlap."""
    by_agent = {}
    for c in cdrs:
        if c.get("disposition") == "answered" and c.get("agent"):
            try:
                by_agent.setdefault(c["agent"], []).append(
                    (parse_time(c["answer_time"]), parse_time(c["end_time"]), c.get("call_id")))
            except (ValueError, TypeError, KeyError, AttributeError):
                continue
    for a, iv in by_agent.items():
        iv.sort()
        for (s1, e1, c1), (s2, e2, c2) in zip(iv, iv[1:]):
            chk.check(s2 >= e1 - 0.001, "agent %s never on two calls at once" % a,
                      "%s [%.3f,%.3f] overlaps %s [%.3f,%.3f]" % (c1, s1, e1, c2, s2, e2))


def check_unique_call_ids(chk, cdrs):
    ids = [c.get("call_id") for c in cdrs]
    chk.eq(len(ids), len(set(ids)), "one CDR per call (call_ids unique)")


def caller_index(cdr, prefix):
    """The SIPp call number encoded in the CDR's caller (prefix + call_number), or None."""
    c = str(cdr.get("caller") or "")
    if c.startswith(prefix) and c[len(prefix):].isdigit():
        return int(c[len(prefix):])
    return None


# ---------------------------------------------------------------------------------------
# Entry point

def run(test_fn, name=None):
    """Runs test_fn(chk) -> sites; prints diagnostics of the sites it registered when anything
    fails; always cleans up; exits 0 on success, 1 on failure."""
    chk = Checker()
    chk.sites = []
    name = name or os.path.basename(sys.argv[0])
    ok = False
    t0 = time.monotonic()
    try:
        test_fn(chk)
        for s in chk.sites:
            s.close()
            check_sanitizers(chk, s)
        chk.finish()
        ok = True
    except Failures as e:
        log(str(e))
    except Exception:
        log("ERROR: " + traceback.format_exc())
    finally:
        for s in chk.sites:
            try:
                s.close()
            except Exception:
                pass
        if not ok:
            for s in chk.sites:
                print(s.diagnostics(), flush=True)
        cleanup_all()
    log("%s: %s (%d checks passed, %d failed, %.1fs)" % (name, "PASS" if ok else "FAIL", chk.passed,
                                                          len(chk.failed), time.monotonic() - t0))
    sys.exit(0 if ok else 1)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


def check_sanitizers(chk, site):
    """Fails the test when acdd's log holds an ASan/LSan/UBSan report (ACD_SANITIZE=ON)."""
    text = site.log_text()
    hits = [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKS)]
    chk.check(not hits, "site %s: no sanitizer report in acdd's log" % site.name, "; ".join(hits[:3]))


def new_site(chk, *args, **kw):
    """Creates a Site whose diagnostics are printed if the test fails."""
    s = Site(*args, **kw)
    chk.sites.append(s)
    return s
