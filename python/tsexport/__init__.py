"""tsexport: ThoughtSpot query results as verified-complete Arrow streams.

Read a search, a pinboard viz or a saved Answer as a ``pyarrow.RecordBatchReader`` that ends only
when the result is complete; export one to Parquet, Arrow, CSV or a Delta table on local disk or an
object store, committed whole or not at all; run a job file; or start the embedded ThoughtSpot
emulator to test a pipeline without a cluster::

    import tsexport

    with tsexport.Emulator(rows=10_000) as ts, tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
        table = client.search("[Region] [Sales]", "Retail Sales").read_all()

The work happens in Rust (the ``tsexport`` crate), with the GIL released while pages are fetched and
decoded. Failures raise ``tsexport.Error`` or one of its subclasses, whose ``exit_code`` is the
command line's.
"""

from ._native import (
    AuthError,
    BatchStream,
    Client,
    Emulator,
    Error,
    IncompleteError,
    ServerError,
    UsageError,
    __version__,
    export,
    run_jobs,
)

__all__ = [
    "AuthError",
    "BatchStream",
    "Client",
    "Emulator",
    "Error",
    "IncompleteError",
    "ServerError",
    "UsageError",
    "__version__",
    "export",
    "run_jobs",
]
