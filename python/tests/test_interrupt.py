"""Ctrl-C stops a long read promptly, as KeyboardInterrupt."""

import signal
import time

from conftest import run_python

SLOW_READ = """
import sys, tsexport
faults = '''
[[rule]]
endpoint = "v2/searchdata"
kind = "delay"
millis = 400
'''
with tsexport.Emulator(rows=1_000_000, faults=faults) as ts:
    with tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
        reader = client.search("[Order Line ID] [Sales]", "Retail Sales", page_size=1_000, in_flight=1)
        print("reading", flush=True)
        try:
            for batch in reader:
                pass
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
print("finished", flush=True)
"""


def test_ctrl_c_stops_a_long_read_promptly():
    process = run_python(SLOW_READ)
    assert process.stdout.readline().strip() == "reading"
    time.sleep(1.0)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    stopped_after = time.monotonic() - sent
    assert process.returncode == 130, err
    assert "interrupted" in out
    # One page is 400 ms away at most, and signals are looked at every 100 ms.
    assert stopped_after < 5, f"stopped {stopped_after:.1f} s after Ctrl-C"
