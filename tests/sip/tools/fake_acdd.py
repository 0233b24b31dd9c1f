#!/usr/bin/env python3
"""fake_acdd.py - a small stand-in that plays acdd's SIP contract, to validate the SIPp
scenarios and the harness without the daemon (harness self-check only; never shipped).

  ACDD=tests/sip/tools/fake_acdd.py ACDCTL=tests/sip/tools/fake_acdctl.py \
      python3 tests/sip/test_basic_call.py

It reads the harness' YAML subset, answers callers (100, optional 180, 200 + SDP), sends
them 20 ms RTP while queued, offers calls to registered agents (INVITE without SDP),
connects by re-INVITE (RFC 3725 flow 1), cancels offers after ring_timeout, pauses agents
after max_no_answer misses, writes CDR lines and serves GET /v1/status. Fault injection
for testing the tests: FAKE_ACDD_BUG=<name> (see BUGS).
"""

import datetime
import http.server
import json
import os
import random
import re
import selectors
import signal
import socket
import struct
import sys
import threading
import time

BUG = os.environ.get("FAKE_ACDD_BUG", "")
BUGS = ("no-rtp", "no-cdr", "double-book", "lifo", "no-pause", "abandon-as-answered", "no-cancel-487")


# ---- config -----------------------------------------------------------------------------

def _scalar(t):
    t = t.strip()
    if t == "" or t == "null":
        return None
    if t.startswith('"'):
        return json.loads(t)
    if t in ("true", "false"):
        return t == "true"
    if t.startswith("["):
        inner = t[1:-1].strip()
        return [_scalar(x) for x in inner.split(",")] if inner else []
    try:
        return int(t)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            return t


def load_yaml(text):
    """Parses the block-style subset written by harness.to_yaml (maps, lists, scalars)."""
    lines = [(len(l) - len(l.lstrip(" ")), l.strip()) for l in text.splitlines()
             if l.strip() and not l.strip().startswith("#")]
    pos = [0]

    def block(indent):
        if pos[0] >= len(lines):
            return None
        ind, txt = lines[pos[0]]
        if txt.startswith("- "):
            out = []
            while pos[0] < len(lines) and lines[pos[0]][0] == indent and lines[pos[0]][1].startswith("- "):
                ind, txt = lines[pos[0]]
                lines[pos[0]] = (ind + 2, txt[2:])
                out.append(block(ind + 2))
            return out
        out = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent:
            ind, txt = lines[pos[0]]
            k, _, v = txt.partition(":")
            pos[0] += 1
            if v.strip() == "":
                out[k.strip()] = block(lines[pos[0]][0]) if pos[0] < len(lines) and lines[pos[0]][0] > indent else None
            else:
                out[k.strip()] = _scalar(v)
        return out

    return block(lines[0][0]) if lines else {}


# ---- SIP messages -----------------------------------------------------------------------

class Msg:
    def __init__(self, first, headers, body=b""):
        self.first = first
        self.headers = headers  # list of [name, value]
        self.body = body

    @staticmethod
    def parse(data):
        head, sep, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        hdrs = []
        for l in lines[1:]:
            if l[:1] in (" ", "\t") and hdrs:
                hdrs[-1][1] += " " + l.strip()
                continue
            n, _, v = l.partition(":")
            hdrs.append([n.strip(), v.strip()])
        return Msg(lines[0], hdrs, body)

    def get(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def is_response(self):
        return self.first.startswith("SIP/2.0 ")

    @property
    def code(self):
        return int(self.first.split()[1])

    @property
    def method(self):
        if self.is_response:
            return self.get("CSeq", "0 X").split()[1]
        return self.first.split()[0]

    @property
    def ruri(self):
        return self.first.split()[1]

    def branch(self):
        m = re.search(r"branch=([^;, ]+)", self.get("Via", ""))
        return m.group(1) if m else ""

    def encode(self):
        hdrs = [h for h in self.headers if h[0].lower() != "content-length"]
        hdrs.append(["Content-Length", str(len(self.body))])
        return (self.first + "\r\n" + "".join("%s: %s\r\n" % (n, v) for n, v in hdrs) + "\r\n").encode() + self.body


def tag_of(v):
    m = re.search(r";\s*tag=([^;> ]+)", v or "")
    return m.group(1) if m else None


def user_of(v):
    m = re.search(r"sips?:([^@;>]+)@", v or "")
    return m.group(1) if m else None


def uri_of(v):
    m = re.search(r"<([^>]+)>", v or "")
    return m.group(1) if m else (v or "").split(";")[0].strip()


def hostport(uri):
    m = re.match(r"sips?:(?:[^@]+@)?([^:;>]+)(?::(\d+))?", uri)
    return m.group(1), int(m.group(2) or 5060)


def sdp_media(body):
    b = body.decode("latin-1")
    c = re.search(r"c=IN IP4 ([0-9.]+)", b)
    m = re.search(r"m=audio (\d+)", b)
    return (c.group(1), int(m.group(1))) if c and m else None


def now_s():
    return time.time()


def rfc3339(t):
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % int((t % 1) * 1000)


# ---- the daemon -------------------------------------------------------------------------

class Leg:
    """One dialog: the caller's (we are UAS) or an agent's (we are UAC)."""

    def __init__(self, call_id, local_tag, remote_uri, target, transport, conn=None):
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = None
        self.remote_uri = remote_uri   # From/To of the other side
        self.target = target           # (host, port) where requests go
        self.transport = transport
        self.conn = conn               # TCP socket, when any
        self.cseq = 0
        self.pending = {}              # branch -> retransmission state
        self.sdp = None                # the remote's SDP body


class Call:
    def __init__(self, cid):
        self.id = cid
        self.state = "ringing"         # ringing -> queued -> offered -> connected -> ended
        self.caller_leg = None
        self.invite = None             # the caller's INVITE
        self.invite_src = None
        self.final = None              # our final response bytes to the INVITE
        self.tenant = self.did = self.caller = self.queue = None
        self.enqueue = self.answer = self.end = None
        self.offers = 0
        self.agent = None              # agent id offered/connected
        self.agent_leg = None
        self.offer_branch = None
        self.offer_deadline = None
        self.rtp = None
        self.agent_sdp = None
        self.reinvite_branch = None


class Agent:
    def __init__(self, cfg):
        self.id = str(cfg["id"])
        self.user = str(cfg.get("sip_user") or cfg["id"])
        self.queues = cfg.get("queues") or []
        self.contact = None
        self.state = "logged-out"
        self.reason = ""
        self.idle_since = 0.0
        self.missed = 0
        self.call = None
        self.wrapup_until = None


class Fake:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.site = cfg["site"]["name"]
        sip = cfg["sip"]
        self.addr = sip.get("listen", "127.0.0.1")
        self.port = int(sip["port"])
        self.sel = selectors.DefaultSelector()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((self.addr, self.port))
        self.udp.setblocking(False)
        self.sel.register(self.udp, selectors.EVENT_READ, ("udp", None))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((self.addr, self.port))
        self.tcp.listen(64)
        self.tcp.setblocking(False)
        self.sel.register(self.tcp, selectors.EVENT_READ, ("listen", None))
        self.tcp_bufs = {}
        self.tcp_out = {}               # (host, port) -> socket
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        lo, _ = [int(x) for x in str(cfg["media"]["rtp_ports"]).split("-")]
        self.rtp.bind((self.addr, lo))
        self.rtp.setblocking(False)
        self.rtp_rx = 0
        self.sel.register(self.rtp, selectors.EVENT_READ, ("rtp", None))
        self.rtp_port = lo
        self.tenants = {str(d): t for t in cfg.get("tenants", []) for d in t.get("dids", [])}
        self.queues = {q["name"]: q for q in cfg.get("queues", [])}
        self.agents = {}
        for a in cfg.get("agents", []) or []:
            ag = Agent(a)
            self.agents[ag.id] = ag
        self.calls = {}                  # our id -> Call
        self.by_caller_cid = {}          # caller SIP Call-ID -> Call
        self.by_agent_cid = {}           # agent SIP Call-ID -> Call
        self.timers = []                 # (when, fn)
        self.seq = 0
        self.cdr = open(cfg["cdr"]["path"], "a")
        self.stopping = False
        self.answered_server = {}        # (branch, method) -> response bytes, for retransmissions

    # -- plumbing ------------------------------------------------------------------

    def log(self, msg):
        print("%s fake-acdd: %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)

    def newid(self, p):
        self.seq += 1
        return "%s-%s%d-%d" % (self.site, p, os.getpid(), self.seq)

    def at(self, delay, fn):
        self.timers.append((time.monotonic() + delay, fn))

    def send(self, data, dest, transport, conn=None):
        if transport == "tcp":
            s = conn
            if s is None or s.fileno() < 0:
                s = self.tcp_out.get(dest)
                if s is None:
                    s = socket.create_connection(dest, timeout=2)
                    s.setblocking(False)
                    self.tcp_out[dest] = s
                    self.tcp_bufs[s] = b""
                    self.sel.register(s, selectors.EVENT_READ, ("conn", None))
            s.setblocking(True)
            s.sendall(data)
            s.setblocking(False)
        else:
            self.udp.sendto(data, dest)

    def respond(self, req, src, code, reason, extra=(), body=b"", to_tag=None, remember=True):
        hdrs = [[n, v] for n, v in req.headers if n.lower() in ("via", "from", "call-id", "cseq")]
        to = req.get("To", "")
        if to_tag and not tag_of(to):
            to += ";tag=" + to_tag
        hdrs.insert(2, ["To", to])
        hdrs += [list(e) for e in extra]
        if body:
            hdrs.append(["Content-Type", "application/sdp"])
        m = Msg("SIP/2.0 %d %s" % (code, reason), hdrs, body)
        data = m.encode()
        if remember:
            self.answered_server[(req.branch(), req.method)] = data
        self.send(data, src[0], src[1], src[2])
        return data

    def request(self, leg, method, body=b"", branch=None, cseq=None, extra=(), retrans=True):
        if cseq is None:
            leg.cseq += 1
            cseq = leg.cseq
        branch = branch or "z9hG4bK" + self.newid("b")
        to = "<%s>" % leg.remote_uri + (";tag=%s" % leg.remote_tag if leg.remote_tag else "")
        hdrs = [["Via", "SIP/2.0/%s %s:%d;branch=%s" % (leg.transport.upper(), self.addr, self.port, branch)],
                ["Max-Forwards", "70"],
                ["From", "<sip:acd@%s:%d>;tag=%s" % (self.addr, self.port, leg.local_tag)],
                ["To", to], ["Call-ID", leg.call_id], ["CSeq", "%d %s" % (cseq, method)],
                ["Contact", "<sip:acd@%s:%d;transport=%s>" % (self.addr, self.port, leg.transport)]]
        hdrs += [list(e) for e in extra]
        if body:
            hdrs.append(["Content-Type", "application/sdp"])
        m = Msg("%s %s SIP/2.0" % (method, leg.ruri), hdrs, body)
        data = m.encode()
        if method == "ACK":
            leg.pending["ack"] = data
        self.send(data, leg.target, leg.transport, leg.conn)
        if retrans and leg.transport == "udp" and method != "ACK":
            st = {"data": data, "interval": 0.5, "deadline": time.monotonic() + 32, "done": False}
            leg.pending[branch] = st
            self._retrans(leg, branch)
        return branch

    def _retrans(self, leg, branch):
        st = leg.pending.get(branch)
        if not st or st["done"] or time.monotonic() > st["deadline"]:
            return

        def again():
            st2 = leg.pending.get(branch)
            if st2 and not st2["done"] and time.monotonic() < st2["deadline"]:
                self.send(st2["data"], leg.target, "udp")
                st2["interval"] = min(st2["interval"] * 2, 4)
                self._retrans(leg, branch)
        self.at(st["interval"], again)

    def sdp(self):
        return ("v=0\r\no=acdd 1 1 IN IP4 %s\r\ns=acdd\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                "a=sendrecv\r\n" % (self.addr, self.addr, self.rtp_port)).encode()

    # -- main loop ---------------------------------------------------------------------

    def run(self):
        last_rtp = time.monotonic()
        while not self.stopping:
            now = time.monotonic()
            timeout = 0.02 - (now - last_rtp)
            for key, _ in self.sel.select(max(0, timeout)):
                kind, _ = key.data
                with self.lock:
                    try:
                        self.readable(kind, key.fileobj)
                    except Exception as e:  # a fake: log and go on
                        import traceback
                        self.log("error: %s" % traceback.format_exc())
            now = time.monotonic()
            with self.lock:
                due = [t for t in self.timers if t[0] <= now]
                self.timers = [t for t in self.timers if t[0] > now]
                for _, fn in due:
                    try:
                        fn()
                    except Exception:
                        import traceback
                        self.log("timer error: %s" % traceback.format_exc())
                if now - last_rtp >= 0.02:
                    last_rtp = now
                    self.rtp_tick()
        self.drain()

    def readable(self, kind, sock):
        if kind == "rtp":
            sock.recvfrom(65535)
            self.rtp_rx += 1
            return
        if kind == "udp":
            data, addr = sock.recvfrom(65535)
            if data.strip():
                self.handle(Msg.parse(data), (addr, "udp", None))
        elif kind == "listen":
            c, _ = sock.accept()
            c.setblocking(False)
            self.tcp_bufs[c] = b""
            self.sel.register(c, selectors.EVENT_READ, ("conn", None))
        else:
            try:
                d = sock.recv(65535)
            except OSError:
                d = b""
            if not d:
                self.sel.unregister(sock)
                self.tcp_bufs.pop(sock, None)
                for k, v in list(self.tcp_out.items()):
                    if v is sock:
                        del self.tcp_out[k]
                sock.close()
                return
            buf = self.tcp_bufs[sock] + d
            while True:
                buf = buf.lstrip(b"\r\n")
                i = buf.find(b"\r\n\r\n")
                if i < 0:
                    break
                m = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)", buf[:i + 2], re.I)
                n = int(m.group(1)) if m else 0
                if len(buf) < i + 4 + n:
                    break
                msg, buf = buf[:i + 4 + n], buf[i + 4 + n:]
                self.handle(Msg.parse(msg), (sock.getpeername(), "tcp", sock))
            self.tcp_bufs[sock] = buf

    def rtp_tick(self):
        if BUG == "no-rtp":
            return
        for c in self.calls.values():
            if c.rtp and c.state in ("queued", "offered"):
                dest, st = c.rtp
                st["seq"] = (st["seq"] + 1) & 0xFFFF
                st["ts"] = (st["ts"] + 160) & 0xFFFFFFFF
                pkt = struct.pack("!BBHII", 0x80, 0, st["seq"], st["ts"], st["ssrc"]) + b"\xff" * 160
                try:
                    self.rtp.sendto(pkt, dest)
                except OSError:
                    pass

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, m, src):
        if m.is_response:
            return self.on_response(m, src)
        meth = m.method
        if meth != "ACK":
            prev = self.answered_server.get((m.branch(), meth))
            if prev is not None:
                return self.send(prev, src[0], src[1], src[2])
        if meth == "OPTIONS":
            return self.respond(m, src, 200, "OK", extra=[("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER")])
        if meth == "REGISTER":
            return self.on_register(m, src)
        if meth == "INVITE":
            return self.on_invite(m, src)
        if meth == "ACK":
            return self.on_ack(m, src)
        if meth == "CANCEL":
            return self.on_cancel(m, src)
        if meth == "BYE":
            return self.on_bye(m, src)
        return self.respond(m, src, 405, "Method Not Allowed")

    def on_register(self, m, src):
        user = user_of(m.get("To"))
        ag = next((a for a in self.agents.values() if a.user == user), None)
        if ag is None:
            return self.respond(m, src, 404, "Not Found", to_tag=self.newid("t"))
        contact = uri_of(m.get("Contact"))
        exp = int(m.get("Expires", "3600"))
        ag.contact = (contact, "tcp" if "transport=tcp" in contact.lower() else "udp")
        if ag.state == "logged-out":
            self.agent_state(ag, "available")
        self.respond(m, src, 200, "OK", to_tag=self.newid("t"),
                     extra=[("Contact", "<%s>;expires=%d" % (contact, exp))])
        self.dispatch()

    def on_invite(self, m, src):
        if tag_of(m.get("To")):  # re-INVITE from a caller: keep the media as it is
            return self.respond(m, src, 200, "OK", body=self.sdp())
        did = user_of(m.ruri)
        t = self.tenants.get(did)
        if t is None:
            return self.respond(m, src, 404, "Not Found", to_tag=self.newid("t"))
        c = Call(self.newid("c"))
        c.invite, c.invite_src = m, src
        c.tenant, c.did, c.caller, c.queue = t["name"], did, user_of(m.get("From")), t["queue"]
        c.enqueue = now_s()
        leg = Leg(m.get("Call-ID"), self.newid("t"), uri_of(m.get("From")), None, src[1], src[2])
        leg.remote_tag = tag_of(m.get("From"))
        contact = uri_of(m.get("Contact"))
        leg.ruri = contact
        leg.target = hostport(contact) if src[1] == "udp" else src[0]
        leg.sdp = m.body
        c.caller_leg = leg
        self.calls[c.id] = c
        self.by_caller_cid[leg.call_id] = c
        self.respond(m, src, 100, "Trying", remember=False)
        delay = float(t.get("answer_after") or 0)
        if delay > 0:
            self.respond(m, src, 180, "Ringing", to_tag=leg.local_tag, remember=False)
            self.at(delay, lambda: self.answer_caller(c))
        else:
            self.answer_caller(c)

    def answer_caller(self, c):
        if c.state != "ringing":
            return
        m, src = c.invite, c.invite_src
        c.final = self.respond(m, src, 200, "OK", to_tag=c.caller_leg.local_tag, body=self.sdp(),
                               extra=[("Contact", "<sip:acd@%s:%d;transport=%s>" % (self.addr, self.port, src[1]))])
        c.state = "queued"
        media = sdp_media(c.caller_leg.sdp)
        if media:
            c.rtp = (media, {"seq": random.randrange(65536), "ts": random.randrange(1 << 31),
                             "ssrc": random.randrange(1 << 31)})
        self.dispatch()

    def on_ack(self, m, src):
        c = self.by_caller_cid.get(m.get("Call-ID"))
        if c:
            c.caller_leg.pending.clear()

    def on_cancel(self, m, src):
        c = self.by_caller_cid.get(m.get("Call-ID"))
        self.respond(m, src, 200, "OK", remember=False)
        if c and c.state == "ringing":
            if BUG != "no-cancel-487":
                self.respond(c.invite, c.invite_src, 487, "Request Terminated", to_tag=c.caller_leg.local_tag)
            self.end_call(c, "abandoned")

    def on_bye(self, m, src):
        cid = m.get("Call-ID")
        c = self.by_caller_cid.get(cid)
        if c:
            self.respond(m, src, 200, "OK")
            if c.state == "connected":
                self.request(c.agent_leg, "BYE")
                self.end_call(c, "answered")
            else:
                if c.state == "offered":
                    self.cancel_offer(c, miss=False)
                self.end_call(c, "answered" if BUG == "abandon-as-answered" else "abandoned")
            return
        c = self.by_agent_cid.get(cid, (None,))[0]
        if c:
            self.respond(m, src, 200, "OK")
            if c.state == "connected" and c.agent_leg.call_id == cid:
                self.request(c.caller_leg, "BYE")
                self.end_call(c, "answered")
            return
        self.respond(m, src, 481, "Call/Transaction Does Not Exist")

    # -- ACD -------------------------------------------------------------------------

    def agent_state(self, ag, st, reason=""):
        ag.state, ag.reason = st, reason
        if st == "available":
            ag.idle_since = now_s()

    def dispatch(self):
        waiting = sorted((c for c in self.calls.values() if c.state == "queued"), key=lambda c: c.enqueue)
        if BUG == "lifo":
            waiting.reverse()
        for c in waiting:
            free = [a for a in self.agents.values()
                    if c.queue in a.queues and a.contact and (a.state == "available" or
                                                              (BUG == "double-book" and a.state == "on-call"))]
            if not free:
                continue
            ag = min(free, key=lambda a: a.idle_since)
            self.offer(c, ag)

    def offer(self, c, ag):
        q = self.queues[c.queue]
        c.state, c.agent = "offered", ag.id
        c.offers += 1
        if BUG != "double-book":
            self.agent_state(ag, "ringing")
        ag.call = c.id
        uri, tr = ag.contact
        leg = Leg(self.newid("a") + "@" + self.addr, self.newid("t"), "sip:%s@%s" % (ag.user, hostport(uri)[0]),
                  hostport(uri), tr)
        leg.ruri = uri
        c.agent_leg = leg
        self.by_agent_cid[leg.call_id] = (c, leg)
        c.offer_branch = self.request(leg, "INVITE")
        c.offer_cseq = leg.cseq
        token = object()
        c.offer_token = token
        self.at(float(q.get("ring_timeout", 15)), lambda: self.ring_timeout(c, token))

    def ring_timeout(self, c, token):
        if c.state == "offered" and c.offer_token is token:
            self.cancel_offer(c, miss=True)
            c.state = "queued"
            self.dispatch()

    def cancel_offer(self, c, miss):
        leg = c.agent_leg
        st = leg.pending.get(c.offer_branch)
        if st:
            st["done"] = True
        self.request(leg, "CANCEL", branch=c.offer_branch, cseq=c.offer_cseq)
        ag = self.agents[c.agent]
        ag.call = None
        if miss:
            ag.missed += 1
            mx = int(self.queues[c.queue].get("max_no_answer", 3))
            if mx and ag.missed >= mx and BUG != "no-pause":
                self.agent_state(ag, "paused", "no-answer")
                return
        self.agent_state(ag, "available")
        c.agent = None

    def on_response(self, m, src):
        cid = m.get("Call-ID")
        c = self.by_agent_cid.get(cid, (None,))[0] or self.by_caller_cid.get(cid)
        if not c:
            return
        if cid in self.by_agent_cid:
            c, leg = self.by_agent_cid[cid]
        else:
            leg = c.caller_leg
        st = leg.pending.get(m.branch())
        if st and (m.code >= 200 or m.method == "INVITE"):
            st["done"] = True
        meth = m.method
        if leg is not c.caller_leg and meth == "INVITE":
            if m.code < 200:
                return
            leg.remote_tag = tag_of(m.get("To"))
            cseq = int(m.get("CSeq").split()[0])
            if m.code >= 300:  # 487 after our CANCEL, or a refusal: ACK it (same branch)
                self.request(leg, "ACK", branch=m.branch(), cseq=cseq)
                return
            if leg is c.agent_leg and c.state == "offered":
                leg.ruri = uri_of(m.get("Contact")) or leg.ruri
                if leg.transport == "udp":
                    leg.target = hostport(leg.ruri)
                c.agent_sdp = m.body
                c.agent_invite_cseq = cseq
                c.state = "connected"
                c.answer = now_s()
                ag = self.agents[c.agent]
                self.agent_state(ag, "on-call")
                ag.missed = 0
                c.reinvite_branch = self.request(c.caller_leg, "INVITE", body=m.body)
                return
            if leg is c.agent_leg and c.state == "connected":
                if leg.pending.get("ack"):  # a retransmitted 200: ACK again
                    self.send(leg.pending["ack"], leg.target, leg.transport, leg.conn)
                return
            if not leg.pending.get("late"):  # the offer is gone: ACK and hang up
                leg.pending["late"] = True
                self.request(leg, "ACK", cseq=cseq)
                self.request(leg, "BYE")
            return
        if leg is c.caller_leg and meth == "INVITE" and m.code == 200 and c.state == "connected":
            self.request(leg, "ACK", cseq=int(m.get("CSeq").split()[0]))
            self.request(c.agent_leg, "ACK", body=m.body, cseq=c.agent_invite_cseq)

    def end_call(self, c, disposition):
        c.state = "ended"
        c.end = now_s()
        if c.agent and disposition == "answered":
            ag = self.agents[c.agent]
            ag.call = None
            w = float(self.queues[c.queue].get("wrapup", 5))
            self.agent_state(ag, "wrap-up")

            def done(ag=ag):
                if ag.state == "wrap-up":
                    self.agent_state(ag, "available")
                    self.dispatch()
            self.at(w, done)
        rec = {"site": self.site, "call_id": c.id, "tenant": c.tenant, "did": c.did, "caller": c.caller,
               "queue": c.queue, "agent": c.agent if c.answer else None, "enqueue_time": rfc3339(c.enqueue),
               "answer_time": rfc3339(c.answer), "end_time": rfc3339(c.end),
               "wait_s": round((c.answer or c.end) - c.enqueue, 3), "talk_s": round(c.end - c.answer, 3) if c.answer else 0,
               "offers": c.offers, "disposition": disposition}
        if BUG != "no-cdr":
            self.cdr.write(json.dumps(rec) + "\n")
            self.cdr.flush()
        del self.calls[c.id]
        self.dispatch()

    def drain(self):
        self.log("stopping: %d RTP packets received" % self.rtp_rx)
        for c in list(self.calls.values()):
            self.end_call(c, "failed")

    def status(self):
        with self.lock:
            qs = []
            for q in self.queues.values():
                qs.append({"name": q["name"], "tenant": q["tenant"],
                           "waiting": sum(1 for c in self.calls.values() if c.queue == q["name"] and c.state == "queued"),
                           "offered": sum(1 for c in self.calls.values() if c.queue == q["name"] and c.state == "offered")})
            ags = [{"id": a.id, "sip_user": a.user, "state": a.state, "pause_reason": a.reason or None,
                    "call_id": a.call, "missed_in_row": a.missed} for a in self.agents.values()]
            cs = [{"id": c.id, "state": c.state, "caller": c.caller, "did": c.did, "queue": c.queue,
                   "agent": c.agent} for c in self.calls.values()]
            return {"site": {"name": self.site, "calls_in_progress": len(self.calls)},
                    "queues": qs, "agents": ags, "calls": cs}


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--check-config":
        load_yaml(open(args[1]).read())
        return 0
    if len(args) != 2 or args[0] != "--config":
        print("usage: fake_acdd.py --config FILE | --check-config FILE", file=sys.stderr)
        return 2
    cfg = load_yaml(open(args[1]).read())
    fake = Fake(cfg)

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/v1/status":
                body = json.dumps(fake.status()).encode()
                self.send_response(200)
            else:
                body = b'{"error":"not found"}'
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    adm = http.server.ThreadingHTTPServer((cfg["admin"].get("listen", "127.0.0.1"), int(cfg["admin"]["port"])), H)
    threading.Thread(target=adm.serve_forever, daemon=True).start()

    def term(*_):
        fake.stopping = True
    signal.signal(signal.SIGTERM, term)
    fake.log("listening on %s:%d (bug=%s)" % (fake.addr, fake.port, BUG or "none"))
    fake.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
