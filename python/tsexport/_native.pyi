"""Type stubs of the extension module ``tsexport._native`` (re-exported by ``tsexport``)."""

import datetime
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import pyarrow

__version__: str

Types = Union[Mapping[str, str], Sequence[str]]
"""Column types: ``{"Order Date": "date"}`` or ``["Order Date=date"]``; types are string, int,
float, bool, date, timestamp, time and decimal(P,S)."""

class Error(Exception):
    """A tsexport failure; ``exit_code`` is the command line's exit code for its kind (1 here)."""

    exit_code: int

class UsageError(Error):
    """Bad arguments, job file or settings, or a request the cluster refused (exit code 2)."""

class AuthError(Error):
    """Sign-in failed or the user lacks a privilege (exit code 3)."""

class IncompleteError(Error):
    """Fewer rows than reported, pages that moved, or a sampled result (exit code 4)."""

class ServerError(Error):
    """The cluster or the network failed after retries (exit code 5)."""

class BatchStream(Iterator[pyarrow.RecordBatch]):
    """The batches of one read; ends only when the result is complete."""

    def __iter__(self) -> "BatchStream": ...
    def __next__(self) -> pyarrow.RecordBatch: ...

class Client:
    """A connection to a ThoughtSpot cluster.

    Unset arguments come from the ``TSEXPORT_*`` environment variables and the config file
    (``connection`` names one of its ``[connections.NAME]``), as on the command line. A token wins
    over a secret key, which wins over a password. It signs in on first use; ``close()`` or leaving
    a ``with`` block signs out and revokes the token it fetched.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        username: Optional[str] = None,
        password: Optional[str] = None,
        secret_key: Optional[str] = None,
        token: Optional[str] = None,
        api: Optional[str] = None,
        ca_cert: Optional[Union[str, os.PathLike]] = None,
        timeout: Optional[int] = None,
        retries: Optional[int] = None,
        connection: Optional[str] = None,
        config: Optional[Union[str, os.PathLike]] = None,
    ) -> None: ...
    def close(self) -> None:
        """Sign out and revoke the bearer token the client fetched."""
    def __enter__(self) -> "Client": ...
    def __exit__(self, *exc: Any) -> bool: ...
    def search(
        self,
        query: str,
        source: str,
        *,
        types: Optional[Types] = None,
        page_size: Optional[int] = None,
        in_flight: Optional[int] = None,
        allow_sampled: bool = False,
        allow_incomplete: bool = False,
        time_zone: Optional[str] = None,
        sort: Optional[Union[str, Sequence[str]]] = None,
        params: Optional[Dict[str, Union[bool, int, float, str, datetime.date]]] = None,
    ) -> pyarrow.RecordBatchReader:
        """A search over a worksheet, table or view (by id or exact name), streamed.

        The first page is fetched and the schema resolved before this returns. The reader ends only
        when every row arrived: an incomplete or sampled result raises ``IncompleteError``.
        """
    def pinboard(
        self,
        pinboard: str,
        *,
        viz: str,
        types: Optional[Types] = None,
        page_size: Optional[int] = None,
        in_flight: Optional[int] = None,
        allow_sampled: bool = False,
        allow_incomplete: bool = False,
        time_zone: Optional[str] = None,
        sort: Optional[Union[str, Sequence[str]]] = None,
        params: Optional[Dict[str, Union[bool, int, float, str, datetime.date]]] = None,
    ) -> pyarrow.RecordBatchReader:
        """One viz of a pinboard (liveboard), both by id or exact name, streamed."""
    def answer(
        self,
        answer: str,
        *,
        types: Optional[Types] = None,
        page_size: Optional[int] = None,
        in_flight: Optional[int] = None,
        allow_sampled: bool = False,
        allow_incomplete: bool = False,
        time_zone: Optional[str] = None,
        sort: Optional[Union[str, Sequence[str]]] = None,
        params: Optional[Dict[str, Union[bool, int, float, str, datetime.date]]] = None,
    ) -> pyarrow.RecordBatchReader:
        """A saved Answer (by id or exact name; REST API v2), streamed."""
    def logs(
        self,
        start: Union[datetime.date, str],
        end: Optional[Union[datetime.date, str]] = None,
        *,
        log: str = "security_audit",
        allow_incomplete: bool = False,
        time_zone: Optional[str] = None,
    ) -> pyarrow.RecordBatchReader:
        """ThoughtSpot's security audit log from midnight of ``start`` to midnight of ``end``.

        ``end`` defaults to now; days are in ``time_zone`` (default: the cluster's). Read through
        REST v2 ``logs/fetch`` (the user needs ADMINISTRATION), one batch per span of at most 24
        hours, oldest first: ``timestamp``, ``event_id``, ``event_type``, ``description``,
        ``user_name``, ``user_guid``, ``client_ip``, ``org_id``, ``data``, ``version`` and ``log``
        (the event's JSON as sent). A ``start`` older than the 30 days ThoughtSpot keeps raises
        ``IncompleteError`` unless ``allow_incomplete``.
        """
    def list(self, kind: str, pattern: Optional[str] = None) -> List[Dict[str, Any]]:
        """Object headers of a kind: pinboards, answers, worksheets, tables, views, users, groups.

        ``pattern`` keeps names matching a ThoughtSpot pattern (``%`` for any text). For
        ``"vizzes"``, ``pattern`` is the pinboard whose vizzes to list.
        """
    def columns(self, source: str) -> List[Dict[str, Any]]:
        """The columns of a worksheet, table or view: name, data type, kind, aggregation."""
    def users(self) -> List[Dict[str, Any]]:
        """The users and groups of the cluster."""
    def pdf(self, pinboard: str, out: Union[str, os.PathLike]) -> int:
        """Write a pinboard as a PDF to the file ``out``; returns its size in bytes."""

class Emulator:
    """The embedded ThoughtSpot emulator, serving on a free local port until closed.

    ``profile`` is ``"modern"`` (REST v1 and the v2 data calls) or ``"v2021"`` (v1 only);
    ``settings`` overrides profile settings (``{"max_page_size": 1000}``); ``faults`` is a fault
    plan as TOML text, or a path to a TOML file.
    """

    def __init__(
        self,
        rows: int = 1_000_000,
        *,
        seed: int = 42,
        profile: str = "modern",
        settings: Optional[Mapping[str, Any]] = None,
        faults: Optional[Union[str, os.PathLike]] = None,
        time_zone: str = "America/Chicago",
    ) -> None: ...
    @property
    def url(self) -> str:
        """The address to give ``tsexport.Client``."""
    @property
    def username(self) -> str:
        """The default login's user name (``tsadmin``)."""
    @property
    def password(self) -> str:
        """The default login's password (``admin``)."""
    def request_count(self, endpoint: str) -> int:
        """Requests an endpoint received: ``"searchdata"``, ``"session/login"``, ``"v2/searchdata"``."""
    def close(self) -> None:
        """Stop serving."""
    def __enter__(self) -> "Emulator": ...
    def __exit__(self, *exc: Any) -> bool: ...

def export(
    client: Client,
    *,
    out: str,
    search: Optional[str] = None,
    source: Optional[str] = None,
    pinboard: Optional[str] = None,
    viz: Optional[Sequence[str]] = None,
    answer: Optional[str] = None,
    format: Optional[str] = None,
    mode: Optional[str] = None,
    compression: Optional[str] = None,
    partition_by: Optional[str] = None,
    types: Optional[Types] = None,
    on_drift: Optional[str] = None,
    page_size: Optional[int] = None,
    in_flight: Optional[int] = None,
    allow_sampled: bool = False,
    allow_incomplete: bool = False,
    time_zone: Optional[str] = None,
    sort: Optional[Union[str, Sequence[str]]] = None,
    params: Optional[Dict[str, Union[bool, int, float, str, datetime.date]]] = None,
    row_group_rows: Optional[int] = None,
    max_rows_per_file: Optional[int] = None,
    max_bytes_per_file: Optional[int] = None,
    max_partitions: Optional[int] = None,
) -> Dict[str, Any]:
    """Export a search, a pinboard's vizzes or a saved Answer to ``out``; returns the summary.

    ``out`` is a folder or file path or an object-store URL (``s3://``, ``gs://``, ``az://``).
    ``format`` is parquet (default), arrow, csv or delta; ``mode`` overwrite (default), append or
    error-if-exists. The export commits whole or leaves the destination as it was.
    """

def run_jobs(
    path: Union[str, os.PathLike],
    *,
    run_date: Optional[str] = None,
    only: Optional[Sequence[str]] = None,
    shard: Optional[str] = None,
    concurrency: Optional[int] = None,
) -> Dict[str, Any]:
    """Run the exports of a job file, as ``tsexport run``; returns the run report.

    ``shard`` is ``"INDEX/COUNT"``, ``"auto/COUNT"`` (the index from the scheduler's environment:
    ``JOB_COMPLETION_INDEX``, ``AWS_BATCH_JOB_ARRAY_INDEX`` or ``CLOUD_RUN_TASK_INDEX``) or
    ``"auto"`` (the count from it too), as ``tsexport run --shard``.

    When an export failed, raises the failures' exception, whose ``report`` attribute is the run
    report and whose ``exit_code`` is ``tsexport run``'s.
    """

def main(argv: Sequence[str]) -> int:
    """Run the ``tsexport`` command line with ``argv`` (program name first); returns the exit code."""
