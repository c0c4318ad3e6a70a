"""Ctrl-C stops a long read promptly, as KeyboardInterrupt, and memory stays bounded while
streaming."""

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


STREAM_ROWS = """
import resource, sys, tsexport
rows = int(sys.argv[1]) if len(sys.argv) > 1 else 0
with tsexport.Emulator(rows=ROWS) as ts:
    with tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
        seen = 0
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for batch in client.search(QUERY, "Retail Sales", page_size=20_000):
            seen += batch.num_rows
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seen, start // 1024, peak // 1024, flush=True)
"""


def test_memory_stays_bounded_while_streaming():
    # 1,000,000 rows of every column are about 200 MB as Arrow; read batch by batch, only a few
    # pages are ever held.
    from conftest import EVERY_COLUMN

    code = STREAM_ROWS.replace("ROWS", "1_000_000").replace("QUERY", repr(EVERY_COLUMN))
    process = run_python(code)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    seen, start_mb, peak_mb = (int(v) for v in out.split())
    assert seen == 1_000_000
    assert peak_mb - start_mb < 150, f"peak RSS grew from {start_mb} MB to {peak_mb} MB"
