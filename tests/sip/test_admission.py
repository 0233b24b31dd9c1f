#!/usr/bin/env python3
"""test_admission.py - what acdd answers before any call exists: OPTIONS 200 (carrier
pings), INVITE from outside every trunk network 403, unknown DID 404, INVITE without an
SDP offer 488, offer without G.711 488, SUBSCRIBE 405 with Allow, unknown method 501,
BYE outside a dialog 481. None of them creates a call or a CDR, and acdd keeps serving."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SDP_PCMU = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
SDP_G729 = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")


def request(port, method, uri_user, n, body="", ctype=None, to_tag=None):
    """Sends one request from a fresh UDP socket; returns (status, response text) or (None, "")."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((h.LOOPBACK, 0))
    s.settimeout(1.0)
    lport = s.getsockname()[1]
    hdrs = [
        "%s sip:%s@%s:%d SIP/2.0" % (method, uri_user, h.LOOPBACK, port),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKadm%d;rport" % (h.LOOPBACK, lport, n),
        "From: <sip:5550@%s>;tag=adm%d" % (h.LOOPBACK, n),
        "To: <sip:%s@%s>%s" % (uri_user, h.LOOPBACK, ";tag=" + to_tag if to_tag else ""),
        "Call-ID: admission-%d@test" % n,
        "CSeq: 1 %s" % method,
        "Contact: <sip:5550@%s:%d>" % (h.LOOPBACK, lport),
        "Max-Forwards: 70",
    ]
    if ctype:
        hdrs.append("Content-Type: " + ctype)
    hdrs.append("Content-Length: %d" % len(body.encode()))
    s.sendto(("\r\n".join(hdrs) + "\r\n\r\n" + body).encode(), (h.LOOPBACK, port))
    try:
        while True:
            data = s.recv(65535).decode("utf-8", "replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code, data
    except (socket.timeout, ValueError, IndexError):
        return None, ""
    finally:
        s.close()


def test(chk):
    # Trunk "far" admits only a benchmarking network; trunk-less sites refuse every INVITE.
    site = h.new_site(chk, "admit", agents=[h.agent("2001")],
                      extra={"trunks": [{"name": "far", "networks": ["198.18.0.0/15"]}]})
    site.start()
    port = site.sip_port
    chk.eq(request(port, "OPTIONS", "ping", 1)[0], 200, "OPTIONS answered 200")
    chk.eq(request(port, "INVITE", "1000", 2, SDP_PCMU, "application/sdp")[0], 403,
           "INVITE from outside every trunk network: 403")
    site.config["trunks"] = [{"name": "local", "networks": ["127.0.0.0/8"]}]
    site.write_config()
    site.proc.send_signal(__import__("signal").SIGHUP)
    chk.check(h.wait_for(lambda: "ACD-SITE-RELOADED" in site.log_text(), 5), "trunks reloaded")
    chk.eq(request(port, "INVITE", "9999", 3, SDP_PCMU, "application/sdp")[0], 404,
           "INVITE to a number no tenant answers: 404")
    chk.eq(request(port, "INVITE", "1000", 4)[0], 488, "INVITE without an SDP offer: 488")
    chk.eq(request(port, "INVITE", "1000", 5, SDP_G729, "application/sdp")[0], 488,
           "INVITE offering no G.711: 488")
    code, text = request(port, "SUBSCRIBE", "1000", 6)
    chk.eq(code, 405, "SUBSCRIBE: 405")
    chk.check("Allow:" in text, "405 carries Allow", text[:300])
    chk.eq(request(port, "FOOBAR", "1000", 7)[0], 501, "unknown method: 501")
    chk.eq(request(port, "BYE", "1000", 8, to_tag="nosuch")[0], 481, "BYE outside a dialog: 481")
    chk.eq(site.options_ping(), 200, "still serving")
    st = site.status() or {}
    chk.eq(len(st.get("calls", [])), 0, "no call was created")
    chk.eq(site.cdrs(), [], "no CDR was written")


if __name__ == "__main__":
    h.run(test)
