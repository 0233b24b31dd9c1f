"""queue_log_lines.py - reads acdd's queue_log back (Asterisk's format) for the surface tests.

Every line is `epoch|callid|queue|agent|EVENT|data...` and ends in LF; DATA says how many
data fields each event has (Asterisk's apps/app_queue.c), an event without data keeps one
empty field (the line ends in '|'). parse() refuses a line that breaks that: a test reads
only lines it can check whole. The checks compare the lines with the CDRs, field by field.
"""

import os
import time

# Data fields per event, as acdd writes them (docs/queue_log.md).
DATA = {
    "QUEUESTART": 1, "CONFIGRELOAD": 1, "DID": 1, "ENTERQUEUE": 3, "CONNECT": 3,
    "COMPLETECALLER": 3, "COMPLETEAGENT": 3, "ABANDON": 3, "EXITWITHTIMEOUT": 3,
    "EXITEMPTY": 3, "EXITWITHKEY": 4, "RINGNOANSWER": 1, "RINGCANCELED": 1, "TRANSFER": 5,
    "PAUSE": 1, "UNPAUSE": 1, "PAUSEALL": 1, "UNPAUSEALL": 1, "AGENTLOGIN": 1,
    "AGENTLOGOFF": 2, "ADDMEMBER": 1, "REMOVEMEMBER": 1,
}
EMPTY_DATA = ("QUEUESTART", "CONFIGRELOAD", "PAUSEALL", "UNPAUSEALL", "ADDMEMBER", "REMOVEMEMBER")


class Line:
    def __init__(self, raw, fields, where):
        self.raw = raw
        self.where = where
        self.epoch = int(fields[0])
        self.callid, self.queue, self.agent, self.event = fields[1:5]
        self.data = fields[5:]

    def __repr__(self):
        return "%s: %s" % (self.where, self.raw)


def read(path):
    """The file's text ('' when it does not exist yet)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8")
    except OSError:
        return ""


def parse(chk, text, name):
    """Lines of text as Line objects; every problem is a failed check of chk."""
    out = []
    chk.check(text == "" or text.endswith("\n"), "%s: the last line ends in LF" % name)
    for i, raw in enumerate(text.split("\n")[:-1] if text else []):
        where = "%s:%d" % (name, i + 1)
        fields = raw.split("|")
        ok = chk.check("\r" not in raw and len(fields) >= 6, "%s has 6 fields or more" % where, raw)
        ok = ok and chk.check(fields[0].isdigit(), "%s: epoch is whole seconds" % where, raw)
        ok = ok and chk.check(fields[4] in DATA, "%s: event known" % where, raw)
        ok = ok and chk.eq(len(fields) - 5, DATA[fields[4]], "%s: data fields of %s" % (where, fields[4]))
        if ok and fields[4] in EMPTY_DATA:
            ok = chk.eq(fields[5:], [""], "%s: no data, still ending in '|'" % where)
        if ok:
            out.append(Line(raw, fields, where))
    return out


def wait_lines(path, pred, timeout=15):
    """Waits until pred(list of raw lines) is true; returns the raw lines."""
    deadline = time.monotonic() + timeout
    while True:
        lines = read(path).splitlines()
        if pred(lines) or time.monotonic() >= deadline:
            return lines
        time.sleep(0.1)


def has_event(lines, event, callid=None, agent=None):
    for l in lines:
        f = l.split("|")
        if len(f) >= 5 and f[4] == event and (callid is None or f[1] == callid) and \
                (agent is None or f[3] == agent):
            return True
    return False


def secs(ms):
    return int(ms) // 1000


def by_callid(lines):
    out = {}
    for l in lines:
        out.setdefault(l.callid, []).append(l)
    return out


def agent_name(agent_id):
    return "Agent/%s" % agent_id


def check_window(chk, lines, t0, t1):
    """Every epoch within the test's run [t0, t1] (whole seconds, time.time())."""
    for l in lines:
        chk.check(int(t0) <= l.epoch <= int(t1) + 1, "%s: epoch within the test's window" % l.where,
                  "%d not in [%d, %d]" % (l.epoch, int(t0), int(t1) + 1))


def check_entry(chk, ls, cdr, queue, position="1"):
    """ls starts with DID and ENTERQUEUE of the CDR's call into queue: every field."""
    cid = cdr["call_id"]
    chk.check(len(ls) >= 2, "call %s has DID and ENTERQUEUE" % cid, repr(ls))
    if len(ls) < 2:
        return
    for l, ev, data in ((ls[0], "DID", [cdr["did"]]), (ls[1], "ENTERQUEUE", ["", cdr["caller"], position])):
        chk.eq((l.event, l.queue, l.agent, l.data), (ev, queue, "NONE", data), "%s fields" % l.where)
        chk.check(0 <= l.epoch - secs(cdr["enqueue_ms"]) <= 1, "%s: epoch at the enqueue time" % l.where,
                  "%d vs enqueue_ms %s" % (l.epoch, cdr["enqueue_ms"]))


def check_connected(chk, connect, complete, cdr, queue, agent, event, offers):
    """CONNECT(holdtime|member-uniqueid|ringtime) and COMPLETE*(holdtime|calltime|origposition)
    against the CDR: holdtime is the wait, calltime the talk time, both between whole-second
    epochs; the epochs are the answer and end times."""
    cid = cdr["call_id"]
    hold = secs(cdr["answer_ms"]) - secs(cdr["enqueue_ms"])
    talk = secs(cdr["end_ms"]) - secs(cdr["answer_ms"])
    chk.eq((connect.event, connect.queue, connect.agent), ("CONNECT", queue, agent_name(agent)),
           "%s: CONNECT of %s" % (connect.where, cid))
    chk.eq(connect.data[:2], [str(hold), "%s.%d" % (cid, offers)], "%s: holdtime = CDR wait, member uniqueid"
           % connect.where)
    chk.check(connect.data[2].isdigit() and 0 <= int(connect.data[2]) <= hold,
              "%s: ringtime whole seconds within the hold time" % connect.where, connect.raw)
    chk.eq(connect.epoch, secs(cdr["answer_ms"]), "%s: CONNECT epoch = answer time" % connect.where)
    chk.eq((complete.event, complete.queue, complete.agent, complete.data),
           (event, queue, agent_name(agent), [str(hold), str(talk), "1"]),
           "%s: %s = CDR wait, talk, origposition" % (complete.where, event))
    chk.eq(complete.epoch, secs(cdr["end_ms"]), "%s: epoch = the CDR's end" % complete.where)


def check_exit(chk, l, cdr, queue, event, at_end=True):
    """event(position|origposition|waittime) of a call that waited alone."""
    wait = (secs(cdr["end_ms"]) if at_end else l.epoch) - secs(cdr["enqueue_ms"])
    chk.eq((l.event, l.queue, l.agent, l.data), (event, queue, "NONE", ["1", "1", str(wait)]),
           "%s: %s of %s (waittime from the CDR's enqueue)" % (l.where, event, cdr["call_id"]))
    if at_end:
        chk.eq(l.epoch, secs(cdr["end_ms"]), "%s: epoch = the CDR's end" % l.where)


def check_session(chk, ls, agent, sip_user, middle):
    """An agent's lines (callid NONE): AGENTLOGIN, the (event, queue, data) of middle, and
    AGENTLOGOFF when middle ends with it; logintime = the two epochs' difference."""
    name = agent_name(agent)
    got = [(l.event, l.queue, l.data) for l in ls]
    want = [("AGENTLOGIN", "NONE", ["SIP/%s" % sip_user])] + [m for m in middle if m[0] != "AGENTLOGOFF"]
    off = [m for m in middle if m[0] == "AGENTLOGOFF"]
    if off:
        secs_on = str(ls[-1].epoch - ls[0].epoch) if len(ls) >= 2 else "?"
        want.append(("AGENTLOGOFF", "NONE", ["SIP/%s" % sip_user, secs_on]))
    chk.eq(got, want, "%s's lines (login, pauses, logoff with its login time)" % name)
    for l in ls:
        chk.eq((l.callid, l.agent), ("NONE", name), "%s: callid NONE, agent %s" % (l.where, name))


def files_of(path):
    """The rotated files first (path.1), then path."""
    return [p for p in (path + ".1", path) if os.path.exists(p)]
