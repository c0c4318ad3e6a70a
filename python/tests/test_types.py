"""Values arrive exactly: dates, zoned timestamps, decimals, integers past 2^53."""

import datetime
import decimal

import pyarrow as pa

from conftest import EVERY_COLUMN


def test_types_from_metadata(client):
    schema = client.search(EVERY_COLUMN, "Retail Sales").schema
    assert schema.field("Order Date").type == pa.date32()
    assert schema.field("Ship Time").type == pa.timestamp("us", tz="America/Chicago")
    assert schema.field("Order Time").type == pa.time64("us")
    assert schema.field("Is Returned").type == pa.bool_()
    assert schema.field("Order Line ID").type == pa.int64()


def test_integers_past_two_to_the_53_are_exact(client):
    table = client.search("[Order Line ID] [Line Cents] sort by [Order Line ID]", "Retail Sales").read_all()
    ids = table.column("Order Line ID").to_pylist()
    cents = table.column("Total Line Cents").to_pylist()
    assert cents[ids.index(10_000)] == 2**53 + 1


def test_zoned_timestamps_and_dates_agree_with_the_cluster_zone(client):
    table = client.search("[Order Line ID] [Order Date] [Ship Time]", "Retail Sales").read_all()
    dates = table.column("Order Date").to_pylist()
    shipped = table.column("Ship Time").to_pylist()
    assert all(d is None or isinstance(d, datetime.date) for d in dates)
    zoned = [t for t in shipped if t is not None]
    assert zoned and all(t.tzinfo is not None for t in zoned)
    assert str(zoned[0].tzinfo) == "America/Chicago"
    # Read in another zone, the same instants (compared as microseconds: Python never calls an
    # instant in a repeated hour equal across zones).
    utc = client.search("[Order Line ID] [Ship Time]", "Retail Sales", time_zone="UTC").read_all()
    assert utc.schema.field("Ship Time").type == pa.timestamp("us", tz="UTC")
    instants = table.column("Ship Time").cast(pa.int64())
    assert utc.column("Ship Time").cast(pa.int64()).equals(instants)


def test_a_decimal_hint_keeps_every_digit(client):
    doubles = client.search("[Order Line ID] [Sales]", "Retail Sales").read_all()
    decimals = client.search(
        "[Order Line ID] [Sales]", "Retail Sales", types={"Total Sales": "decimal(38,17)"}
    ).read_all()
    assert decimals.schema.field("Total Sales").type == pa.decimal128(38, 17)
    for as_double, as_decimal in zip(
        doubles.column("Total Sales").to_pylist(), decimals.column("Total Sales").to_pylist()
    ):
        if as_double is None:
            assert as_decimal is None
        else:
            # The decimal holds the digits ThoughtSpot sent, which are the double's shortest form.
            assert as_decimal == decimal.Decimal(repr(as_double))
    # The list form of hints means the same.
    listed = client.search(
        "[Order Line ID] [Sales]", "Retail Sales", types=["Total Sales=decimal(38,17)"]
    ).read_all()
    assert listed.equals(decimals)
