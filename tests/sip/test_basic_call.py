#!/usr/bin/env python3
"""test_basic_call.py - one agent, one caller over UDP: the caller is answered, hears acdd's
RTP while queued, is connected to the agent by re-INVITE (RFC 3725 flow 1) and hangs up;
acdd BYEs the agent and writes one "answered" CDR."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

RING_MS = 1500   # the agent's phone rings this long: the caller hears acdd meanwhile
TALK_MS = 2000


def test(chk, transport="u1", transports=("udp", "tcp")):
    site = h.new_site(chk, "basic", agents=[h.agent("2001")], transports=transports)
    site.start()

    phones = site.agent_phones(calls=1, ring_ms=RING_MS, transport=transport)
    site.register(["2001"], phones.port, transport=transport, chk=chk)
    st = h.wait_for(lambda: (lambda s: s if s and (h.agent_status(s, "2001") or {}).get("state") == "available"
                             else None)(site.status(quiet=True)), 5)
    chk.check(st is not None, "acdctl status: agent 2001 available after REGISTER",
              repr(site.status()))
    if st:
        chk.eq((st.get("site") or {}).get("name"), "basic", "acdctl status: site name")
        chk.check(isinstance(st.get("queues"), list) and any(q.get("name") == "main" for q in st["queues"]),
                  "acdctl status: queue main listed", repr(st.get("queues")))
        chk.eq(st.get("calls"), [], "acdctl status: no calls before the call")

    sink = h.RtpSink()
    poll = site.poll_status(0.2)
    callers = site.callers(calls=1, talk_ms=TALK_MS, transport=transport,
                           rtp_port=sink.port if sink else None, send_rtp=sink is None)
    callers.wait(60)
    phones.wait(15)
    poll.stop()

    callers.check_ok(chk, 1)
    phones.check_ok(chk, 1)

    # Media: acdd sent RTP to the caller's SDP address while the agent's phone rang.
    if sink:
        chk.check(sink.packets >= 25, "acdd sent RTP to the caller while queued (>= 25 packets in %d ms)" % RING_MS,
                  "got %d packets, %d non-RTP datagrams" % (sink.packets, sink.bad))
        chk.check(sink.payload_types <= {0, 8}, "RTP payload type is PCMU/PCMA",
                  repr(sorted(sink.payload_types)))
        chk.check(sink.sizes <= {160, 80, 240}, "RTP payload is 20 ms of G.711 (160 bytes)", repr(sorted(sink.sizes)))

    # 3PCC: the caller's re-INVITE carries the agent's media; the agent's ACK the caller's.
    reinv = callers.log_records("REINVITE")
    chk.eq(len(reinv), 1, "caller got one re-INVITE")
    if reinv:
        chk.eq(reinv[0].get("port"), str(phones.media_port), "re-INVITE SDP is the agent's media port")
    acks = phones.log_records("ACK")
    chk.eq(len(acks), 1, "agent got one ACK with SDP")
    if acks:
        want = str(sink.port) if sink else str(callers.media_port)
        chk.eq(acks[0].get("port"), want, "agent's ACK SDP is the caller's media port")
        chk.eq(acks[0].get("user"), "2001", "the INVITE went to agent 2001's contact")

    # Seen live: the call connected to 2001, 2001 on a call.
    seen_connected = any(any(c.get("state") == "connected" for c in s.get("calls", []))
                         for _, s in poll.snapshots)
    seen_on_call = any((h.agent_status(s, "2001") or {}).get("state") == "on-call" for _, s in poll.snapshots)
    chk.check(seen_connected, "acdctl status showed the call connected", "%d snapshots" % len(poll.snapshots))
    chk.check(seen_on_call, "acdctl status showed agent 2001 on-call")

    cdrs = site.wait_cdrs(1, 5)
    chk.eq(len(cdrs), 1, "one CDR")
    for c in cdrs:
        h.check_cdr_shape(chk, c, "basic")
        chk.eq(c.get("disposition"), "answered", "CDR disposition")
        chk.eq(c.get("agent"), "2001", "CDR agent")
        chk.eq(c.get("did"), "1000", "CDR did")
        chk.eq(c.get("tenant"), "acme", "CDR tenant")
        chk.eq(c.get("queue"), "main", "CDR queue")
        chk.eq(c.get("caller"), "551", "CDR caller (From user)")
        chk.eq(c.get("offers"), 1, "CDR offers")
        talk = c.get("talk_s") or 0
        wait = c.get("wait_s") or 0
        chk.check(TALK_MS / 1000 - 0.3 <= talk <= TALK_MS / 1000 + 2.0, "CDR talk_s ~ caller's talk time", repr(talk))
        chk.check(RING_MS / 1000 - 0.3 <= wait <= RING_MS / 1000 + 3.0, "CDR wait_s ~ agent's ring time", repr(wait))

    # After the call: no calls left, the agent back to wrap-up/available.
    st = h.wait_for(lambda: (lambda s: s if s and s.get("calls") == [] else None)(site.status(quiet=True)), 5)
    chk.check(st is not None, "acdctl status: no calls after hang-up")
    if st:
        chk.check((h.agent_status(st, "2001") or {}).get("state") in ("available", "wrap-up"),
                  "agent 2001 available or in wrap-up after the call", repr(h.agent_status(st, "2001")))

    chk.eq(site.stop(), 0, "acdd exits 0 on SIGTERM")


if __name__ == "__main__":
    h.run(test)
