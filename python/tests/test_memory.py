"""Memory stays bounded while streaming: only the batches in hand and the pages in flight are held."""

from conftest import EVERY_COLUMN, run_python

STREAM_ROWS = """
import resource, tsexport
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
    # 1,000,000 rows of every column are about 190 MB as Arrow; read batch by batch, only a few
    # pages are ever held.
    code = STREAM_ROWS.replace("ROWS", "1_000_000").replace("QUERY", repr(EVERY_COLUMN))
    process = run_python(code)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    seen, start_mb, peak_mb = (int(v) for v in out.split())
    assert seen == 1_000_000
    assert peak_mb - start_mb < 150, f"peak RSS grew from {start_mb} MB to {peak_mb} MB"
