"""Reads as pyarrow streams: schema first, batches as pages arrive, every row, nothing short."""

import polars
import pyarrow as pa
import pytest

import tsexport
from conftest import EVERY_COLUMN, ROWS


def test_schema_is_known_before_the_first_batch_and_pages_stream():
    # An emulator of its own: requests other tests left in flight would count on the shared one.
    with tsexport.Emulator(rows=ROWS) as emulator, tsexport.Client(
        emulator.url, username="tsadmin", password="admin"
    ) as client:
        pages_as_read(emulator, client)


def pages_as_read(emulator, client):
    before = emulator.request_count("v2/searchdata")
    # Two pages ahead at most: the client's adaptive limit allows more, and a read's `in_flight`
    # caps how many of its own pages it asks for.
    reader = client.search(EVERY_COLUMN, "Retail Sales", page_size=2_000, in_flight=2)
    assert isinstance(reader, pa.RecordBatchReader)
    # Opening fetched the first page, and the pages in flight (2) may follow it in the background;
    # the schema is already whole.
    assert 1 <= emulator.request_count("v2/searchdata") - before <= 3
    assert reader.schema.names[:3] == ["Order Line ID", "Order ID", "Customer"]
    assert len(reader.schema) == 15
    batches = 0
    rows = 0
    for batch in reader:
        assert batch.schema == reader.schema
        batches += 1
        rows += batch.num_rows
    assert rows == ROWS
    assert batches == ROWS // 2_000
    # Ten pages, fetched as the batches were read, and at most the pages in flight (2) plus the
    # one that proves the end asked past it.
    fetched = emulator.request_count("v2/searchdata") - before
    assert ROWS // 2_000 <= fetched <= ROWS // 2_000 + 3


def test_every_row_arrives_in_order_through_each_reader(client):
    table = client.search(EVERY_COLUMN, "Retail Sales").read_all()
    assert table.num_rows == ROWS
    ids = table.column("Order Line ID").to_pylist()
    assert ids == list(range(1, ROWS + 1))
    frame = client.search("[Order Line ID] [Region]", "Retail Sales").read_pandas()
    assert len(frame) == ROWS
    assert frame["Order Line ID"].is_monotonic_increasing
    lazy = polars.from_arrow(client.search("[Order Line ID] [Region]", "Retail Sales"))
    assert lazy.height == ROWS


def test_a_server_capping_pages_still_gives_every_row():
    # The case a hand-written requests loop gets wrong: pages of at most 1,000 rows when 100,000
    # were asked for.
    with tsexport.Emulator(rows=2_345, settings={"row_cap": 1_000}) as ts:
        with tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
            table = client.search("[Order Line ID] [Sales]", "Retail Sales", in_flight=2).read_all()
        assert table.num_rows == 2_345
        # Three pages hold the rows; the page that proves the end and one asked ahead (of the two in
        # flight) may follow.
        assert 3 <= ts.request_count("v2/searchdata") <= 5


def test_pinboard_viz_and_answer_stream(client):
    vizzes = client.list("vizzes", "Retail Overview")
    assert vizzes, "the pinboard has vizzes"
    table_vizzes = [v for v in vizzes if v.get("vizType") in (None, "TABLE", "CHART")]
    viz = (table_vizzes or vizzes)[0]
    by_id = client.pinboard("Retail Overview", viz=viz["id"]).read_all()
    by_name = client.pinboard("Retail Overview", viz=viz["name"]).read_all()
    assert by_id.num_rows > 0
    assert by_id.equals(by_name)
    answers = client.list("answers")
    answer = client.answer(answers[0]["name"]).read_all()
    assert answer.num_rows > 0


def test_a_sampled_result_raises_unless_allowed(emulator):
    faults = """
[[rule]]
endpoint = "v2/searchdata"
kind = "sampling"
ratio = 0.5
"""
    with tsexport.Emulator(rows=3_000, faults=faults) as ts:
        with tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
            with pytest.raises(tsexport.IncompleteError, match="sampl") as raised:
                client.search("[Order Line ID]", "Retail Sales", page_size=1_000).read_all()
            assert raised.value.exit_code == 4
            table = client.search(
                "[Order Line ID]", "Retail Sales", page_size=1_000, allow_sampled=True
            ).read_all()
            assert table.num_rows == 3_000


def test_rows_missing_at_the_end_raise_instead_of_ending_short():
    faults = """
[[rule]]
endpoint = "v2/searchdata"
kind = "wrong_total"
total = 5000
"""
    with tsexport.Emulator(rows=3_000, faults=faults) as ts:
        with tsexport.Client(ts.url, username="tsadmin", password="admin") as client:
            reader = client.search("[Order Line ID]", "Retail Sales", page_size=1_000)
            seen = 0
            with pytest.raises(tsexport.IncompleteError):
                for batch in reader:
                    seen += batch.num_rows
            assert seen < 5_000


def test_sort_and_params_reach_the_search(emulator):
    query = "[Order Line ID] [Sales] [Discounted Sales] sort by [Order Line ID]"
    with tsexport.Client(emulator.url, username="tsadmin", password="admin", api="v2") as client:
        table = client.search(
            query, "Retail Sales", page_size=5_000, sort="Sales:desc",
            params={"Discount Rate": 0.5},
        ).read_all()
    sales = [s for s in table.column("Total Sales").to_pylist() if s is not None]
    assert sales == sorted(sales, reverse=True)
    for s, d in zip(table.column("Total Sales").to_pylist(), table.column("Total Discounted Sales").to_pylist()):
        assert s is None or abs(s * 0.5 - d) < 1e-9
    with tsexport.Client(emulator.url, username="tsadmin", password="admin", api="v1") as client:
        with pytest.raises(tsexport.UsageError, match="api v2"):
            client.search(query, "Retail Sales", sort=["Sales:desc"]).read_all()
        with pytest.raises(tsexport.UsageError, match="COLUMN:desc"):
            client.search(query, "Retail Sales", sort="Sales:up")


def test_the_audit_log_streams_typed_events_with_each_event_whole(client):
    import datetime
    import json

    today = datetime.date.today()
    start, end = today - datetime.timedelta(days=3), today - datetime.timedelta(days=1)
    reader = client.logs(start, end.isoformat())
    assert reader.schema.names == [
        "timestamp", "event_id", "event_type", "description", "user_name", "user_guid",
        "client_ip", "org_id", "data", "version", "log",
    ]
    assert pa.types.is_timestamp(reader.schema.field("timestamp").type)
    table = reader.read_all()
    assert table.num_rows > 0
    times = table.column("timestamp").to_pylist()
    assert times == sorted(times)
    for event_id, log in zip(table.column("event_id").to_pylist(), table.column("log").to_pylist()):
        assert json.loads(log)["id"] == event_id
    with pytest.raises(tsexport.IncompleteError):
        client.logs(today - datetime.timedelta(days=45)).read_all()
    with pytest.raises(tsexport.UsageError):
        client.logs(datetime.datetime.now())
