"""Reads a Delta table with an independent reader and prints it as one JSON object.

    PYTHON delta_read.py READER TABLE_URI [--version N]

READER is `deltalake` (delta-rs's Python binding: log replay in Rust, Parquet decoded by pyarrow
with the partition values the log names) or `polars` (log replay through deltalake, Parquet
decoded by polars' own reader, partition values parsed from the hive-style `col=value/` paths).
The integration tests run it with the interpreter `scripts/python-readers` sets up
(TSEXPORT_TEST_PYTHON) and compare the output with what tsexport meant to write.

Output, on stdout:
    {"reader": ..., "version": N, "columns": [{"name": ..., "type": ...}, ...],
     "partition_columns": [...], "num_rows": N, "rows": [[...], ...]}
`type` is the reader's own type as a string (pyarrow's for deltalake, polars' for polars). Rows
are in column order, sorted by their JSON text so that the order is deterministic. Values are
rendered losslessly: ints as ints, finite floats as floats ("NaN", "Infinity", "-Infinity" as
strings: JSON has no such numbers), decimals as str(Decimal), dates as YYYY-MM-DD, timestamps as
ISO-8601 with microseconds (offset only when zoned), binary as lowercase hex, lists as arrays,
structs as objects, null as null.

S3: when AWS_ENDPOINT_URL (or AWS_ENDPOINT, as object_store names it) is set, the endpoint, the
credentials and region from the environment are passed as storage options, with plain HTTP allowed
and path-style addressing (the test server listens on 127.0.0.1 and has no bucket subdomains).

Any error: one line on stderr, exit status 1.
"""

import datetime as dt
import decimal
import json
import math
import os
import re
import sys


class UsageError(Exception):
    pass


def parse_args(argv):
    if len(argv) not in (2, 4):
        raise UsageError("usage: delta_read.py deltalake|polars TABLE_URI [--version N]")
    reader, uri = argv[0], argv[1]
    if reader not in ("deltalake", "polars"):
        raise UsageError(f"unknown reader {reader!r}: expected deltalake or polars")
    version = None
    if len(argv) == 4:
        if argv[2] != "--version":
            raise UsageError(f"unexpected argument {argv[2]!r}: expected --version N")
        try:
            version = int(argv[3])
        except ValueError:
            raise UsageError(f"--version takes a whole number, not {argv[3]!r}") from None
        if version < 0:
            raise UsageError(f"--version takes a non-negative number, not {version}")
    return reader, uri, version


def storage_options():
    """Options for an S3-compatible server named by the environment, or None."""
    env = os.environ
    endpoint = env.get("AWS_ENDPOINT_URL") or env.get("AWS_ENDPOINT")
    if not endpoint:
        return None
    options = {
        "AWS_ENDPOINT_URL": endpoint,
        # The test server speaks plain HTTP on loopback.
        "AWS_ALLOW_HTTP": "true",
        # Bucket in the path, not in the host name: 127.0.0.1 has no bucket subdomains.
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        # Never ask the instance metadata service for credentials.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        if env.get(key):
            options[key] = env[key]
    options["AWS_REGION"] = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return options


def render(value):
    """A JSON value that says exactly what `value` is."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    # datetime before date: a datetime is a date.
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.timedelta):
        return {"microseconds": (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): render(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render(v) for v in value]
    raise TypeError(f"cannot render a {type(value).__name__} value: {value!r}")


def open_table(uri, version, options):
    from deltalake import DeltaTable

    return DeltaTable(uri, version=version, storage_options=options)


def read_deltalake(uri, version, options):
    table = open_table(uri, version, options)
    data = table.to_pyarrow_table()
    columns = [{"name": f.name, "type": str(f.type)} for f in data.schema]
    names = [f.name for f in data.schema]
    rows = [[row[n] for n in names] for row in data.to_pylist()]
    return table.version(), table.metadata().partition_columns, columns, rows


def read_polars(uri, version, options):
    import polars as pl

    frame = pl.read_delta(uri, version=version, storage_options=options)
    # polars reports neither the version it read nor the partition columns: the log says them.
    # (polars replays the log through deltalake itself, so this adds no new dependency.)
    table = open_table(uri, version, options)
    columns = [{"name": n, "type": str(t)} for n, t in frame.schema.items()]
    rows = [list(row) for row in frame.rows()]
    return table.version(), table.metadata().partition_columns, columns, rows


def main(argv):
    reader, uri, version = parse_args(argv)
    options = storage_options()
    read = read_deltalake if reader == "deltalake" else read_polars
    table_version, partition_columns, columns, rows = read(uri, version, options)
    rendered = [render(row) for row in rows]
    rendered.sort(key=lambda row: json.dumps(row, sort_keys=True, allow_nan=False))
    out = {
        "reader": reader,
        "version": table_version,
        "columns": columns,
        "partition_columns": list(partition_columns),
        "num_rows": len(rendered),
        "rows": rendered,
    }
    sys.stdout.write(json.dumps(out, allow_nan=False) + "\n")


if __name__ == "__main__":
    status = 0
    try:
        main(sys.argv[1:])
    except Exception as error:  # noqa: BLE001  one line on stderr whatever failed
        # One line, without the colour codes delta-rs puts in its error chains.
        message = re.sub(r"\x1b\[[0-9;]*m", "", f"{type(error).__name__}: {error}")
        message = " ".join(message.split())
        sys.stderr.write(f"delta_read.py: {message}\n")
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit, not a normal exit: after to_pyarrow_table, the interpreter's shutdown races
    # delta-rs's runtime threads and pyarrow's thread pool and aborts now and then ("terminate
    # called without an active exception", status 134) after printing correct output (delta-rs
    # issue 2184, arrow issue 34314). Nothing is left to clean up here.
    os._exit(status)
