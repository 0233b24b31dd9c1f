"""takeover_steps.py - steps the restore tests share (test_redial.py, test_callback.py):
callers waiting, and the kill of a site whose sister takes its waiting calls over."""

import cluster as cl

h = cl.h


def wait_queued(chk, site, numbers, what):
    """Checks that the calls from every caller number in numbers wait at site."""
    ok = h.wait_for(lambda: all(cl.calls_at(site).get(n) == "queued" for n in numbers), 10)
    chk.check(ok, what, repr(cl.calls_at(site)))


def kill_and_take_over(chk, c, calls, dark="a", sister="b"):
    """Checks that sister holds dark's `calls` waiting calls and their dialogs, kills dark
    (-9) and checks that sister's takeover adopts them all."""
    d, s = c[dark], c[sister]
    ok = h.wait_for(lambda: cl.peer_view(s, dark).get("dialogs") == calls and
                    cl.peer_view(s, dark).get("calls") == calls, 5)
    chk.check(ok, "%s holds %s's %d calls and dialogs before the kill" % (sister, dark, calls),
              repr(cl.peer_view(s, dark)))
    d.kill()
    h.log("killed site %s" % dark)

    def took_over():
        st = s.cluster_status() or {}
        return [t for t in st.get("takeovers", []) if (t.get("dark"), t.get("sister")) == (dark, sister)]
    took = h.wait_for(took_over, 15, interval=0.1) or []
    chk.eq([t.get("adopted") for t in took], [calls],
           "%s took %s's run over, adopting its %d waiting calls" % (sister, dark, calls))
