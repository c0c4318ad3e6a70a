"""Exports and job runs from Python: the same commit protocol and summaries as the command line."""

import json
import subprocess

import deltalake
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import tsexport
from conftest import EVERY_COLUMN, ROWS


def test_export_commits_every_row_and_returns_the_summary(client, tmp_path):
    out = tmp_path / "sales"
    summary = tsexport.export(client, search=EVERY_COLUMN, source="Retail Sales", out=str(out))
    assert summary["rows"] == ROWS
    assert summary["tables"][0]["rows_expected"] in (None, ROWS)
    assert (out / "_SUCCESS").exists()
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["rows"] == ROWS
    table = ds.dataset(str(out), format="parquet").to_table()
    assert table.num_rows == ROWS
    streamed = client.search(EVERY_COLUMN, "Retail Sales").read_all()
    assert table.sort_by("Order Line ID").select(streamed.schema.names).cast(streamed.schema).equals(streamed)


def test_export_partitions_and_formats(client, tmp_path):
    summary = tsexport.export(
        client,
        search="[Order Line ID] [Region] [Sales]",
        source="Retail Sales",
        out=str(tmp_path / "by_region"),
        partition_by="Region",
        compression="snappy",
    )
    assert summary["rows"] == ROWS
    assert len([p for p in (tmp_path / "by_region").iterdir() if p.name.startswith("region=")]) >= 2
    csv = tsexport.export(client, search="[Order Line ID] [Region]", source="Retail Sales", out=str(tmp_path / "one.csv"))
    assert csv["rows"] == ROWS
    assert (tmp_path / "one.csv").read_text().count("\n") == ROWS + 1


def test_export_to_a_delta_table(client, tmp_path):
    table = tmp_path / "delta_sales"
    tsexport.export(client, search="[Order Line ID] [Sales]", source="Retail Sales", out=str(table), format="delta")
    summary = tsexport.export(
        client, search="[Order Line ID] [Sales]", source="Retail Sales", out=str(table), format="delta", mode="append"
    )
    assert summary["table_version"] == 1
    assert deltalake.DeltaTable(str(table)).to_pyarrow_table().num_rows == 2 * ROWS


def test_a_refused_export_leaves_the_destination_as_it_was(client, tmp_path):
    out = tmp_path / "kept"
    tsexport.export(client, search="[Order Line ID]", source="Retail Sales", out=str(out))
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(tsexport.UsageError, match="is not empty"):
        tsexport.export(client, search="[Order Line ID]", source="Retail Sales", out=str(out), mode="error-if-exists")
    with pytest.raises(tsexport.UsageError, match="one source"):
        tsexport.export(client, out=str(out))
    with pytest.raises(tsexport.UsageError, match="mode"):
        tsexport.export(client, search="[Order Line ID]", source="Retail Sales", out=str(out), mode="replace-all")
    assert sorted(p.name for p in out.iterdir()) == before


JOBS = """
[connection]
url = "{url}"
username = "tsadmin"
password_file = "{password_file}"

[[export]]
name = "sales"
search = "[Order Line ID] [Region] [Sales]"
source = "Retail Sales"
out = "{out}/sales"

[[export]]
name = "regions"
search = "[Region] [Sales]"
source = "Retail Sales"
out = "{out}/regions"

[[export]]
name = "broken"
search = "[No Such Column]"
source = "Retail Sales"
out = "{out}/broken"
"""


def test_run_jobs_returns_the_report_or_raises_with_it(emulator, tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("admin\n")
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(JOBS.format(url=emulator.url, password_file=password_file, out=tmp_path / "lake"))
    report = tsexport.run_jobs(jobs, only=["sales", "regions"], run_date="2026-12-01")
    assert report["succeeded"] == 2 and report["failed"] == 0
    assert report["run_date"] == "2026-12-01"
    assert {e["name"]: e["rows"] for e in report["exports"]}["sales"] == ROWS
    with pytest.raises(tsexport.UsageError) as raised:
        tsexport.run_jobs(jobs)
    assert raised.value.report["failed"] == 1
    assert raised.value.exit_code == 2
    shard = tsexport.run_jobs(jobs, shard="0/3")
    assert [e["name"] for e in shard["exports"]] == ["sales"]
    assert "admin" not in json.dumps(report)


def test_the_tsexport_command_is_the_rust_command_line(emulator, tmp_path):
    version = subprocess.run(["tsexport", "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"tsexport {tsexport.__version__}"
    bad = subprocess.run(["tsexport", "search", "--no-such-flag"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--no-such-flag" in bad.stderr
    out = tmp_path / "cli"
    env = {"TSEXPORT_PASSWORD": "admin", "PATH": __import__("os").environ["PATH"]}
    done = subprocess.run(
        ["tsexport", "search", "[Order Line ID] [Sales]", "--source", "Retail Sales", "--url", emulator.url,
         "--username", "tsadmin", "--out", str(out), "--json", "--quiet"],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == ROWS
    assert pq.read_table(str(out)).num_rows == ROWS
    wrong = subprocess.run(
        ["tsexport", "ls", "worksheets", "--url", emulator.url, "--username", "tsadmin"],
        capture_output=True, text=True, env={**env, "TSEXPORT_PASSWORD": "wrong"},
    )
    assert wrong.returncode == 3, wrong.stderr
    module = subprocess.run([__import__("sys").executable, "-m", "tsexport", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "Export a search" in module.stdout


def test_metadata_and_pdf(client, tmp_path):
    names = [w["name"] for w in client.list("worksheets")]
    assert "Retail Sales" in names
    assert [w["name"] for w in client.list("worksheets", "retail%")] == ["Retail Sales"]
    columns = {c["name"]: c for c in client.columns("Retail Sales")}
    assert columns["Order Date"]["dataType"] == "DATE"
    users = {u["name"] for u in client.users()}
    assert {"tsadmin", "alice"} <= users
    with pytest.raises(tsexport.UsageError, match="unknown kind"):
        client.list("cubes")
    size = client.pdf("Retail Overview", tmp_path / "overview.pdf")
    data = (tmp_path / "overview.pdf").read_bytes()
    assert size == len(data) and data.startswith(b"%PDF")
