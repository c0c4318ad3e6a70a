"""Search ThoughtSpot into pandas, then export the same search to S3 (or any destination).

    python search_to_pandas.py --out s3://lake/retail/sales_by_region/
    python search_to_pandas.py --emulator --out ./retail      # no cluster: the embedded emulator

The cluster and credentials come from TSEXPORT_URL, TSEXPORT_USERNAME and TSEXPORT_PASSWORD (or
TSEXPORT_TOKEN); S3 credentials from the standard AWS environment.
"""

import argparse
import contextlib

import tsexport

QUERY = "[Region] [Product] [Order Date] [Sales] [Quantity] sort by [Region]"
SOURCE = "Retail Sales"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder or object-store URL for the Parquet export")
    parser.add_argument("--emulator", action="store_true", help="run against the embedded emulator")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if args.emulator:
            ts = stack.enter_context(tsexport.Emulator(rows=50_000))
            client = stack.enter_context(tsexport.Client(ts.url, username=ts.username, password=ts.password))
        else:
            client = stack.enter_context(tsexport.Client())

        # A stream of Arrow batches; read_pandas() gathers them. An incomplete result raises
        # tsexport.IncompleteError instead of handing back fewer rows. Types come from ThoughtSpot's
        # metadata; `types={"Total Sales": "decimal(38,17)"}` would keep the digits exactly.
        frame = client.search(QUERY, SOURCE).read_pandas()
        print(frame.groupby("Region")["Total Sales"].sum())

        # The same search as Parquet files, committed whole (with _manifest.json and _SUCCESS) or
        # not at all.
        summary = tsexport.export(client, search=QUERY, source=SOURCE, out=args.out, partition_by="Region")
        print(f"{summary['rows']} rows in {summary['files']} files at {summary['destination']}")


if __name__ == "__main__":
    main()
