#!/usr/bin/env python3
"""A search read through the tsexport Python package, for benches/python.sh.

Signs in with `tsexport.Client(URL, username=..., api=...)` (the password from TSEXPORT_PASSWORD),
then either `client.search(QUERY, SOURCE).read_all()` (one `pyarrow.Table`, `--mode read-all`) or a
loop over the reader counting each batch's rows (`--mode batches`: one batch in memory at a time).
Prints one JSON line on stdout: rows, batches, columns, the seconds from before the `Client` to
after the last row (interpreter start-up and imports not included), and the module that was loaded.

    TSEXPORT_PASSWORD=admin python_read.py --url http://127.0.0.1:8787 \
        --query "[Region] [Sales]" --source 5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001 --mode read-all
"""

import argparse
import json
import sys
import time

import tsexport


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--query", required=True)
    ap.add_argument("--source", required=True, help="data source GUID or exact name")
    ap.add_argument("--username", default="tsadmin")
    ap.add_argument("--api", default="v2", choices=["v1", "v2", "auto"])
    ap.add_argument("--mode", default="read-all", choices=["read-all", "batches"])
    ap.add_argument("--expect-rows", type=int, help="exit 1 unless exactly this many rows arrived")
    args = ap.parse_args()

    t0 = time.perf_counter()
    with tsexport.Client(args.url, username=args.username, api=args.api) as client:
        reader = client.search(args.query, args.source)
        if args.mode == "read-all":
            table = reader.read_all()
            rows, columns = table.num_rows, table.num_columns
            batches = len(table.to_batches())
            del table
        else:
            rows = batches = 0
            columns = len(reader.schema)
            for batch in reader:
                rows += batch.num_rows
                batches += 1
    seconds = time.perf_counter() - t0
    print(json.dumps({"rows": rows, "batches": batches, "columns": columns, "seconds": round(seconds, 3),
                      "module": tsexport._native.__file__, "version": tsexport.__version__}))
    if args.expect_rows is not None and rows != args.expect_rows:
        print(f"python_read.py: {rows} rows, expected {args.expect_rows}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
