#!/usr/bin/env python3
"""The DuckDB peer: searchdata pages already on disk (one JSON file per page) -> one Parquet file.

DuckDB reads the page files with `read_json`, `unnest`s each page's `data` (a list of rows, each a
list of cells) and takes the cells by position with explicit casts, then
`COPY ... TO (FORMAT PARQUET, COMPRESSION ZSTD)`, with `SET threads=2`. Only the files are read: no
HTTP, so this measures DuckDB "on the page form".

Casts, per ThoughtSpot type:
  INT32/INT64  cell::BIGINT              (JSON -> BIGINT parses the digits: exact past 2^53)
  VARCHAR      cell->>'$'                (cell::VARCHAR would keep the JSON quotes and escapes)
  DOUBLE/FLOAT cell::DOUBLE
  BOOL         cell::BOOLEAN
  DATE         (to_timestamp(cell::BIGINT) AT TIME ZONE 'America/Chicago')::DATE
               (ThoughtSpot sends the local midnight as epoch seconds; this is its local day)
  DATE_TIME    to_timestamp(cell::BIGINT)  (TIMESTAMPTZ, stored in Parquet as UTC microseconds)
  TIME         TIME '00:00:00' + to_seconds(cell::BIGINT)

    duckdb_export.py --pages 'target/bench-data/1000000/page-*.json' --out duckdb.parquet
"""

import argparse
import glob
import json
import os
import re
import sys

import duckdb

TIME_ZONE = "America/Chicago"

# The result columns of the benchmark query, in the order ThoughtSpot returns them, with their types.
COLUMNS = [
    ("Order Line ID", "int"),
    ("Order ID", "string"),
    ("Customer", "string"),
    ("Region", "string"),
    ("Product", "string"),
    ("Store ID", "int"),
    ("Is Returned", "bool"),
    ("Order Date", "date"),
    ("Ship Time", "timestamp"),
    ("Order Time", "time"),
    ("Total Quantity", "int"),
    ("Total Line Cents", "int"),
    ("Total Sales", "double"),
    ("Average Discount", "double"),
    ("Total Loyalty Points", "int"),
]


def cast(cell: str, kind: str) -> str:
    return {
        "int": f"{cell}::BIGINT",
        "string": f"{cell}->>'$'",
        "double": f"{cell}::DOUBLE",
        "bool": f"{cell}::BOOLEAN",
        "date": f"(to_timestamp({cell}::BIGINT) AT TIME ZONE '{TIME_ZONE}')::DATE",
        "timestamp": f"to_timestamp({cell}::BIGINT)",
        "time": f"TIME '00:00:00' + to_seconds({cell}::BIGINT)",
    }[kind]


def column_names(first_page: str) -> list:
    """The page's columnNames, read from the file's head (the server sends them before the data)."""
    with open(first_page, "rb") as f:
        head = f.read(1 << 16).decode("utf-8", errors="replace")
    m = re.search(r'"columnNames"\s*:\s*(\[[^\]]*\])', head)
    if not m:
        sys.exit(f"duckdb_export: no columnNames at the start of {first_page}")
    return json.loads(m.group(1))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", required=True, help="glob of the page files")
    ap.add_argument("--out", required=True, help="Parquet file to write")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--print-sql", action="store_true")
    args = ap.parse_args()

    files = sorted(glob.glob(args.pages))
    if not files:
        sys.exit(f"duckdb_export: no files match {args.pages}")
    names = column_names(files[0])
    expected = [n for n, _ in COLUMNS]
    if names != expected:
        sys.exit(f"duckdb_export: the pages' columns are {names}, this script expects {expected}")

    select = ",\n       ".join(
        f"{cast(f'r[{i + 1}]', kind)} AS {quote_ident(name)}" for i, (name, kind) in enumerate(COLUMNS)
    )
    # Each page is one JSON object; DuckDB's default cap (16 MB) is about one 100,000-row page, and
    # its read buffers grow with the cap, so it is set to the largest page (rounded up to 1 MB).
    max_object = max(os.path.getsize(f) for f in files) // (1 << 20) * (1 << 20) + (1 << 20)
    file_list = "[" + ", ".join(quote_str(f) for f in files) + "]"
    sql = f"""COPY (
SELECT {select}
FROM (SELECT unnest(data) AS r
      FROM read_json({file_list}, format = 'auto', columns = {{data: 'JSON[][]'}},
                     maximum_object_size = {max_object}))
) TO {quote_str(args.out)} (FORMAT PARQUET, COMPRESSION ZSTD)"""
    if args.print_sql:
        print(sql, file=sys.stderr)

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    n = con.execute(sql).fetchone()[0]  # COPY answers the number of rows it wrote
    print(f"{n} rows -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
