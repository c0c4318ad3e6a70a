#!/usr/bin/env python3
"""Checks that the benchmark's outputs hold the same data, so a fast wrong answer cannot look like a win.

Reads tsexport's part files, DuckDB's file and the Python script's file with pyarrow, sorts each by
Order Line ID and normalises every column by what it means, whatever type the tool gave it:

  int        exact integers (floats are truncated to int, so a lossy peer shows)
  float      the raw 64-bit pattern of the double
  string     the UTF-8 bytes
  bool       0/1
  date       days since 1970-01-01, the local day in --time-zone (an integer column is epoch seconds)
  timestamp  microseconds since the epoch (an integer column is epoch seconds)
  time       microseconds since midnight (an integer column is seconds)

Per column it compares the row count, null count, a checksum (ints, dates, times: exact sum; floats:
sum of the bit patterns mod 2^64; strings: total UTF-8 length; bools: count of true) and a hash of
the normalised values in Order Line ID order. Any difference is a MISMATCH line naming the column and
the first differing row. Exit status 1 only when tsexport disagrees with the Python path (the
reference the peers are measured against); DuckDB's differences are reported, not fatal.

    verify.py --tsexport DIR --peer duckdb=FILE --peer python=FILE [--reference python] [--json OUT]
"""

import argparse
import glob
import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KEY = "Order Line ID"

# What each result column of the benchmark query means.
SEMANTICS = {
    "Order Line ID": "int",
    "Order ID": "string",
    "Customer": "string",
    "Region": "string",
    "Product": "string",
    "Store ID": "int",
    "Is Returned": "bool",
    "Order Date": "date",
    "Ship Time": "timestamp",
    "Order Time": "time",
    "Total Quantity": "int",
    "Total Line Cents": "int",
    "Total Sales": "float",
    "Average Discount": "float",
    "Total Loyalty Points": "int",
}

UNIT_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}


class Unsupported(Exception):
    pass


def read_output(path: str) -> pa.Table:
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True))
        files = [f for f in files if "_tsexport_staging" not in f]
        if not files:
            raise SystemExit(f"verify: no Parquet files under {path}")
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    return pq.read_table(path)


def to_int64(arr: pa.Array) -> np.ndarray:
    """An integer-valued array as int64 numpy, nulls as 0."""
    return np.asarray(pc.fill_null(arr, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def temporal_us(arr: pa.Array) -> np.ndarray:
    """Timestamps and times in microseconds; integers read as seconds."""
    t = arr.type
    if pa.types.is_integer(t):
        return to_int64(arr) * 1_000_000
    if pa.types.is_timestamp(t) or pa.types.is_time(t):
        raw = to_int64(arr.view(pa.int64() if t.bit_width == 64 else pa.int32()))
        return raw // 1000 if t.unit == "ns" else raw * UNIT_US[t.unit]
    raise Unsupported(f"cannot read {t} as a time")


def local_days(seconds: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """Epoch seconds -> days since 1970-01-01 of the local date in `zone` (through the distinct values)."""
    uniq, inverse = np.unique(seconds, return_inverse=True)
    epoch = datetime(1970, 1, 1).date()
    days = np.array(
        [(datetime.fromtimestamp(int(s), timezone.utc).astimezone(zone).date() - epoch).days for s in uniq],
        dtype=np.int64,
    )
    return days[inverse]


def normalise(arr: pa.Array, kind: str, zone: ZoneInfo):
    """(values, valid): values a numpy uint64 array (nulls 0) or, for strings, a large_string array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_null(t):
        n = len(arr)
        return (pa.array([None] * n, pa.large_string()) if kind == "string" else np.zeros(n, np.uint64)), valid

    if kind == "string":
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)):
            arr = arr.cast(pa.string())
        return arr.cast(pa.large_string()), valid
    if kind == "int":
        if pa.types.is_integer(t) or pa.types.is_boolean(t):
            v = to_int64(arr.cast(pa.int64()))
        elif pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
            # a lossy peer: each value as the integer it holds (2^53 + 1 read as a double is 2^53)
            v = np.array([int(x) if x is not None else 0 for x in arr.to_pylist()], dtype=np.int64)
        else:
            raise Unsupported(f"cannot read {t} as an integer")
        return v.view(np.uint64), valid
    if kind == "float":
        if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
            v = np.asarray(pc.fill_null(arr.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            raise Unsupported(f"cannot read {t} as a float")
        v = np.where(valid, v, 0.0)
        return v.view(np.uint64), valid
    if kind == "bool":
        if pa.types.is_boolean(t):
            v = np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.uint64)
        elif pa.types.is_integer(t):
            v = (to_int64(arr) != 0).astype(np.uint64)
        else:
            raise Unsupported(f"cannot read {t} as a bool")
        return v, valid
    if kind == "date":
        if pa.types.is_date32(t):
            v = to_int64(arr.view(pa.int32()))
        elif pa.types.is_date64(t):
            v = to_int64(arr.view(pa.int64())) // 86_400_000
        elif pa.types.is_timestamp(t) and t.tz is not None:
            v = local_days(temporal_us(arr) // 1_000_000, zone)
        elif pa.types.is_timestamp(t):  # a wall-clock timestamp: its calendar day
            v = temporal_us(arr) // 86_400_000_000
        elif pa.types.is_integer(t):  # epoch seconds of the local midnight
            v = local_days(to_int64(arr), zone)
        else:
            raise Unsupported(f"cannot read {t} as a date")
        return np.where(valid, v, 0).astype(np.int64).view(np.uint64), valid
    if kind in ("timestamp", "time"):
        v = temporal_us(arr)
        return np.where(valid, v, 0).astype(np.int64).view(np.uint64), valid
    raise AssertionError(kind)


def checksum(kind: str, values, valid: np.ndarray) -> dict:
    n = len(valid)
    nulls = int(n - valid.sum())
    h = hashlib.blake2b(digest_size=8)
    h.update(np.packbits(valid).tobytes())
    if kind == "string":
        s = values
        offsets = np.frombuffer(s.buffers()[1], dtype=np.int64)[s.offset : s.offset + len(s) + 1]
        data = s.buffers()[2]
        lo, hi = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
        lengths = np.diff(offsets)
        h.update(lengths.tobytes())
        if data is not None:
            h.update(memoryview(data)[lo:hi])
        return {"rows": n, "nulls": nulls, "utf8_bytes": hi - lo, "hash": h.hexdigest()}
    v = values
    h.update(v.tobytes())
    if kind == "float":
        s = int(v.sum(dtype=np.uint64))  # wraps: mod 2^64
    elif kind == "bool":
        s = int(v.sum())
    else:  # exact integer sum: high and low 32 bits summed apart, then joined in Python ints
        i = v.view(np.int64)
        s = int((i >> 32).sum()) * (1 << 32) + int((i & 0xFFFFFFFF).sum())
    return {"rows": n, "nulls": nulls, "sum": s, "hash": h.hexdigest()}


def first_difference(kind, a, va, b, vb):
    """Index of the first row whose normalised value differs, or None."""
    if kind == "string":
        diff = np.asarray(pc.fill_null(pc.not_equal(a, b), True).to_numpy(zero_copy_only=False), dtype=bool)
        diff &= va | vb
        diff |= va != vb
    else:
        diff = (a != b) | (va != vb)
    idx = np.flatnonzero(diff)
    return (int(idx[0]), int(len(idx))) if len(idx) else (None, 0)


def show(kind, values, valid, i, raw: pa.Array):
    if not valid[i]:
        return "null"
    r = raw[i].as_py()
    if kind == "string":
        return repr(values[i].as_py())
    if kind == "float":
        return f"{float(values[i:i+1].view(np.float64)[0])!r} (raw {r!r})"
    return f"{int(values[i:i+1].view(np.int64)[0])} (raw {r!r})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tsexport", required=True, help="tsexport's output folder (or file)")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=PATH", help="a peer's output")
    ap.add_argument("--reference", default="python", help="the peer tsexport must agree with")
    ap.add_argument("--time-zone", default="America/Chicago")
    ap.add_argument("--expect-rows", type=int)
    ap.add_argument("--json", help="write per-tool results (mismatching columns) here")
    args = ap.parse_args()
    zone = ZoneInfo(args.time_zone)

    outputs = {"tsexport": args.tsexport}
    for p in args.peer:
        name, _, path = p.partition("=")
        outputs[name] = path

    tables = {}
    for name, path in outputs.items():
        t = read_output(path)
        if KEY not in t.column_names:
            raise SystemExit(f"verify: {name} ({path}) has no {KEY!r} column")
        tables[name] = t.take(pc.array_sort_indices(t.column(KEY)))

    print(f"rows: " + ", ".join(f"{n} {t.num_rows:,}" for n, t in tables.items()))
    mismatches = {name: [] for name in tables}
    if args.expect_rows is not None:
        for name, t in tables.items():
            if t.num_rows != args.expect_rows:
                print(f"MISMATCH {name}: {t.num_rows} rows, expected {args.expect_rows}")
                mismatches[name].append("rows")

    base = tables["tsexport"]
    peers = [n for n in tables if n != "tsexport"]
    width = max(len(c) for c in SEMANTICS)
    header = f"{'column':<{width}}  {'tsexport':<34}" + "".join(f"  {p:<34}" for p in peers)
    print(header)
    for col, kind in SEMANTICS.items():
        norm = {}
        line = f"{col:<{width}}"
        for name, t in tables.items():
            if col not in t.column_names:
                norm[name] = None
                line += f"  {'(missing)':<34}"
                continue
            raw = t.column(col).combine_chunks()
            try:
                values, valid = normalise(raw, kind, zone)
                norm[name] = (values, valid, checksum(kind, values, valid), raw)
            except Unsupported as e:
                norm[name] = ("unsupported", str(e))
            line += f"  {str(raw.type):<34}"
        print(line)
        ref = norm["tsexport"]
        if ref is None or isinstance(ref[0], str):
            print(f"MISMATCH tsexport {col}: {'missing' if ref is None else ref[1]}")
            mismatches["tsexport"].append(col)
            continue
        for p in peers:
            got = norm[p]
            if got is None or isinstance(got[0], str):
                print(f"MISMATCH {p} {col}: {'missing' if got is None else got[1]}")
                mismatches[p].append(col)
                continue
            a_vals, a_valid, a_sum, a_raw = ref
            b_vals, b_valid, b_sum, b_raw = got
            if a_sum == b_sum:
                continue
            detail = ", ".join(f"{k} {a_sum[k]} vs {b_sum[k]}" for k in a_sum if a_sum[k] != b_sum.get(k))
            msg = f"MISMATCH {p} {col} ({kind}): tsexport vs {p}: {detail}"
            if len(a_valid) == len(b_valid):
                i, count = first_difference(kind, a_vals, a_valid, b_vals, b_valid)
                if i is not None:
                    key = base.column(KEY)[i].as_py()
                    msg += (
                        f"; {count} rows differ, first at {KEY}={key}: tsexport "
                        f"{show(kind, a_vals, a_valid, i, a_raw)}, {p} {show(kind, b_vals, b_valid, i, b_raw)}"
                    )
            print(msg)
            mismatches[p].append(col)

    for name, cols in mismatches.items():
        print(f"{name}: " + ("all columns agree with tsexport" if not cols else f"differs on {', '.join(cols)}")
              if name != "tsexport" else f"tsexport: {'ok' if not cols else 'problems with ' + ', '.join(cols)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({n: c for n, c in mismatches.items()}, f, indent=1)

    failed = bool(mismatches["tsexport"]) or bool(mismatches.get(args.reference))
    if args.reference not in tables:
        print(f"verify: no {args.reference} output to check tsexport against", file=sys.stderr)
        failed = True
    if failed:
        print(f"FAILED: tsexport and {args.reference} disagree", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
