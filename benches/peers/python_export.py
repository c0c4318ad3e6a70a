#!/usr/bin/env python3
"""The Python peer: a searchdata export written the way users write it.

Signs in with requests, pages through `searchdata` (100,000 rows a page, COMPACT) until a page comes
back short, turns every row into a dict (`dict(zip(columnNames, row))`), keeps all of them in a list,
builds one `pyarrow.Table.from_pylist(rows)` at the end and writes it with
`pq.write_table(..., compression="zstd")`.

Types are whatever pyarrow infers from the Python values: ints -> int64 (exact, also past 2^53),
floats -> double, str -> string, bool -> bool, None -> null. Dates, timestamps and times stay the
integers ThoughtSpot sends (epoch seconds, seconds since midnight). Memory grows with the whole result
(every row is a dict until the end), which is the usual cost of this style: about 1.3 KB per row of the
benchmark's 15 columns (1.3 GB peak for 1,000,000 rows), so 10 million rows come close to filling a 24 GB machine.

--per-page is the other common shape, for results too big for that: each page's rows become a table
and their own file, OUT/part-NNNNN.parquet (one schema per page: a column that is all null on a
page is typed null in that file).

    python_export.py --url http://127.0.0.1:8787 --query "[Region] [Sales]" \
        --source 5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001 --out sales.parquet

The password comes from TS_PASSWORD (default: the emulator's demo password "admin").
"""

import argparse
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import requests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="cluster address, e.g. http://127.0.0.1:8787")
    ap.add_argument("--query", required=True)
    ap.add_argument("--source", required=True, help="data source GUID")
    ap.add_argument("--out", required=True, help="Parquet file to write")
    ap.add_argument("--username", default="tsadmin")
    ap.add_argument("--batch-size", type=int, default=100_000)
    ap.add_argument("--per-page", action="store_true", help="OUT is a folder; one Parquet file per page")
    args = ap.parse_args()

    api = args.url.rstrip("/") + "/callosum/v1/tspublic/v1"
    session = requests.Session()
    session.headers["X-Requested-By"] = "ThoughtSpot"
    r = session.post(
        f"{api}/session/login",
        data={"username": args.username, "password": os.environ.get("TS_PASSWORD", "admin")},
    )
    r.raise_for_status()

    if args.per_page:
        os.makedirs(args.out, exist_ok=True)
    rows = []
    offset = 0
    pages = 0
    total = 0
    while True:
        r = session.post(
            f"{api}/searchdata",
            params={
                "query_string": args.query,
                "data_source_guid": args.source,
                "batchsize": args.batch_size,
                "offset": offset,
                "formattype": "COMPACT",
            },
        )
        r.raise_for_status()
        page = r.json()
        names = page["columnNames"]
        rows.extend(dict(zip(names, row)) for row in page["data"])
        if args.per_page and rows:
            table = pa.Table.from_pylist(rows)
            pq.write_table(table, os.path.join(args.out, f"part-{pages:05d}.parquet"), compression="zstd")
            total += table.num_rows
            pages += 1
            rows = []
        if page["rowCount"] < page["pageSize"]:
            break
        offset += page["rowCount"]

    if not args.per_page:
        table = pa.Table.from_pylist(rows)
        pq.write_table(table, args.out, compression="zstd")
        total = table.num_rows
    session.post(f"{api}/session/logout")
    print(f"{total} rows -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
