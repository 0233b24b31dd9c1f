#!/usr/bin/env python3
"""test_tcp.py - the basic call (test_basic_call.py) with SIP over TCP for the caller, the
agent's REGISTER and acdd's INVITE to the agent (SIPp -t t1); acdd listens on TCP only."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_basic_call  # noqa: E402

if __name__ == "__main__":
    h.run(lambda chk: test_basic_call.test(chk, transport="t1", transports=("tcp",)))
