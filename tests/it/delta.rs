//! Delta Lake tables as a destination (`--format delta`), over the emulator and the `tsexport`
//! binary: tables every reader reads the same (the `deltalake` crate's log, Python's `deltalake`
//! and `polars`), write modes, windows replaced exactly once night after night on local disk and
//! on the S3 test server, schema drift, concurrent writers, upkeep.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tsexport_emulator::Emulator;

use crate::common::delta::{commit_info, count_by, log, read_by_both, read_by_crate};
use crate::common::{output_text as text, s3, tsexport_on as tsexport, TempDir};

const ROWS: u64 = 6_000;

const QUERY: &str =
    "[Order Line ID] [Region] [Order Date] [Sales] [Quantity] sort by [Order Line ID]";

async fn emulator() -> Emulator {
    Emulator::builder()
        .rows(ROWS)
        .start()
        .await
        .expect("emulator")
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(output)))
}

async fn export_delta(
    emu: &Emulator,
    query: &str,
    table: &str,
    extra_args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut args = vec![
        "search",
        query,
        "--source",
        "Retail Sales",
        "--out",
        table,
        "--format",
        "delta",
        "--json",
    ];
    args.extend_from_slice(extra_args);
    tsexport(emu, &args, env).await
}

#[tokio::test]
async fn a_search_becomes_a_table_that_every_reader_reads_the_same() {
    let emu = emulator().await;
    let dir = TempDir::new("delta-table");
    let table = dir.path().join("sales");
    let table = table.to_str().unwrap();
    let output = export_delta(
        &emu,
        QUERY,
        table,
        &["--type", "Total Sales=decimal(38,18)"],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let summary = json_of(&output);
    assert_eq!(summary["rows"], ROWS);
    assert_eq!(summary["table_version"], 0);
    assert!(
        summary["manifest"]
            .as_str()
            .unwrap()
            .ends_with("_delta_log/00000000000000000000.json"),
        "{summary}"
    );
    // No folder protocol inside a table.
    for reserved in ["_SUCCESS", "_manifest.json", "_tsexport_staging"] {
        assert!(
            !Path::new(table).join(reserved).exists(),
            "{reserved} in the table"
        );
    }

    let read = read_by_both(table, &[]).await;
    assert_eq!(read["num_rows"], ROWS);
    assert_eq!(read["version"], 0);
    let (version, rows) = read_by_crate(Path::new(table)).await;
    assert_eq!((version, rows.values().sum::<usize>()), (0, ROWS as usize));
    let names: Vec<&str> = read["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "order_line_id",
            "region",
            "order_date",
            "total_sales",
            "total_quantity"
        ]
    );
    // Every Order Line ID once, decimals exact, dates as dates.
    let ids: Vec<i64> = read["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_i64().expect("an integer id"))
        .collect();
    let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ROWS as usize);
    assert!(read["columns"][3]["type"]
        .as_str()
        .unwrap()
        .starts_with("decimal128(38, 18)"));

    // The log: one commit, the table's schema keeps ThoughtSpot's names and types, every file
    // carries statistics, and commitInfo holds the export's record without a credential.
    let log = log(Path::new(table));
    assert_eq!(log.keys().copied().collect::<Vec<_>>(), [0]);
    let actions = &log[&0];
    let metadata = actions
        .iter()
        .find_map(|a| a.get("metaData"))
        .expect("metaData");
    let schema: Value = serde_json::from_str(metadata["schemaString"].as_str().unwrap()).unwrap();
    assert_eq!(
        schema["fields"][0]["metadata"]["tsexport.name"],
        "Order Line ID"
    );
    assert_eq!(schema["fields"][2]["type"], "date");
    assert_eq!(schema["fields"][3]["type"], "decimal(38,18)");
    assert_eq!(metadata["configuration"]["delta.checkpointInterval"], "10");
    for add in actions.iter().filter_map(|a| a.get("add")) {
        let stats: Value = serde_json::from_str(add["stats"].as_str().expect("stats")).unwrap();
        assert!(stats["numRecords"].as_u64().unwrap() > 0, "{stats}");
        assert!(stats["minValues"]["order_line_id"].is_i64(), "{stats}");
        assert!(stats["maxValues"]["order_date"].is_string(), "{stats}");
        assert_eq!(stats["nullCount"]["region"], 0, "{stats}");
    }
    let info = commit_info(actions);
    assert_eq!(info["tsexport"]["source"]["query"], QUERY);
    assert_eq!(info["tsexport"]["rows_expected"], ROWS);
    assert_eq!(info["tsexport"]["sampling_ratio"], 1.0);
    let all = serde_json::to_string(actions).unwrap();
    assert!(
        !crate::common::has_word(&all, "admin"),
        "a credential in the log: {all}"
    );
}

#[tokio::test]
async fn overwrite_replaces_append_adds_and_error_if_exists_refuses() {
    let emu = emulator().await;
    let dir = TempDir::new("delta-modes");
    let table = dir.path().join("t");
    let table = table.to_str().unwrap();
    let query = "[Order Line ID] [Region] sort by [Order Line ID]";
    for _ in 0..2 {
        let output = export_delta(&emu, query, table, &[], &[]).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    let read = read_by_both(table, &[]).await;
    assert_eq!(
        (read["version"].as_i64(), read["num_rows"].as_u64()),
        (Some(1), Some(ROWS))
    );
    // The overwrite removed every file of version 0.
    let log = log(Path::new(table));
    let removed = log[&1].iter().filter(|a| a.get("remove").is_some()).count();
    let added = log[&0].iter().filter(|a| a.get("add").is_some()).count();
    assert_eq!(removed, added);

    let output = export_delta(&emu, query, table, &["--mode", "append"], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let read = read_by_both(table, &[]).await;
    assert_eq!(read["num_rows"], 2 * ROWS);

    let output = export_delta(&emu, query, table, &["--mode", "error-if-exists"], &[]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("already a Delta table (version 2)"),
        "{}",
        text(&output)
    );
    assert_eq!(log_versions(Path::new(table)), 3);

    // A new column: refused with on_drift fail, added with widen (earlier rows read it as null).
    let wider = "[Order Line ID] [Region] [Quantity] sort by [Order Line ID]";
    let output = export_delta(
        &emu,
        wider,
        table,
        &["--mode", "append", "--on-drift", "fail"],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("column 'total_quantity' is new"),
        "{}",
        text(&output)
    );
    let output = export_delta(&emu, wider, table, &["--mode", "append"], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let read = read_by_both(table, &[]).await;
    assert_eq!(read["num_rows"], 3 * ROWS);
    // The rows of the two earlier commits read the new column as null (the emulator's own data has
    // a few nulls too).
    let nulls = count_by(&read, "total_quantity")["null"];
    assert!((2 * ROWS..3 * ROWS).contains(&nulls), "{nulls}");
    // A changed type is never written over history.
    let output = export_delta(
        &emu,
        wider,
        table,
        &["--mode", "append", "--type", "Total Quantity=string"],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("is string in this export but long"),
        "{}",
        text(&output)
    );
}

fn log_versions(table: &Path) -> usize {
    log(table).len()
}

/// A daily window over Order Date, one week in March 2021.
fn daily_job(out: &str) -> String {
    format!(
        r#"
[[export]]
name = "daily_lines"
search = "[Order Line ID] [Region] [Order Date] [Sales] [Order Date] >= '{{window_start}}' [Order Date] < '{{window_end}}' sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}"
format = "delta"
window = "day"
lookback = 1
first_window = "2021-03-01"
partition_by = "Order Date:day"
"#
    )
}

fn windows_of(report: &Value) -> Vec<String> {
    report["exports"][0]["windows"]
        .as_array()
        .map(|windows| {
            windows
                .iter()
                .map(|w| {
                    format!(
                        "{} {}",
                        w["start"].as_str().unwrap(),
                        w["status"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The rows per Order Date that a plain Parquet export of the whole range holds: what the emulator
/// serves for those days, asked independently of the windows.
async fn rows_per_day(emu: &Emulator, from: &str, to: &str) -> BTreeMap<String, u64> {
    let dir = TempDir::new("delta-truth");
    let query = format!(
        "[Order Line ID] [Order Date] [Order Date] >= '{from}' [Order Date] < '{to}' sort by [Order Line ID]"
    );
    let out = dir.path().join("truth");
    let output = tsexport(
        emu,
        &[
            "search",
            &query,
            "--source",
            "Retail Sales",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    use arrow_array::cast::AsArray;
    use arrow_array::types::Date32Type;
    let mut days = BTreeMap::new();
    for batch in crate::common::files::read_parquet_in(&out) {
        let dates = batch
            .column_by_name("Order Date")
            .unwrap()
            .as_primitive::<Date32Type>();
        for days_since_epoch in dates.values() {
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Days::new(*days_since_epoch as u64);
            *days.entry(date.to_string()).or_insert(0) += 1;
        }
    }
    days
}

async fn nights_commit_each_day_exactly_once(
    out: &str,
    env: &[(&str, &str)],
    local: Option<&Path>,
) {
    let emu = emulator().await;
    let dir = TempDir::new("delta-nights");
    let jobs = dir.path().join("jobs.toml");
    std::fs::write(&jobs, daily_job(out)).unwrap();
    let jobs = jobs.to_str().unwrap();
    let night = |run_date: &'static str| {
        let emu = &emu;
        async move {
            let output = tsexport(emu, &["run", jobs, "--run-date", run_date, "--json"], env).await;
            assert_eq!(output.status.code(), Some(0), "{}", text(&output));
            windows_of(&json_of(&output))
        }
    };
    // The first night starts at first_window, with the lookback's day before it.
    assert_eq!(
        night("2021-03-03").await,
        ["2021-02-28 ok", "2021-03-01 ok", "2021-03-02 ok"]
    );
    // lookback = 1: the day before is exported again, and replaced, not added to.
    assert_eq!(
        night("2021-03-04").await,
        ["2021-03-02 ok", "2021-03-03 ok"]
    );
    // The same night again (a rerun after a crash): its windows are in the log already.
    assert!(night("2021-03-04").await.is_empty());
    assert_eq!(
        night("2021-03-06").await,
        ["2021-03-03 ok", "2021-03-04 ok", "2021-03-05 ok"]
    );

    let read = read_by_both(out, env).await;
    assert_eq!(
        read["partition_columns"],
        serde_json::json!(["order_date_day"])
    );
    let truth = rows_per_day(&emu, "2021-02-28", "2021-03-06").await;
    assert!(truth.values().all(|n| *n > 0), "{truth:?}");
    assert_eq!(count_by(&read, "order_date"), truth);
    assert_eq!(count_by(&read, "order_date_day"), truth);
    if let Some(local) = local {
        let (_, by_day) = read_by_crate(local).await;
        let by_day: BTreeMap<String, u64> = by_day
            .into_iter()
            .map(|(day, rows)| (day.expect("a day"), rows as u64))
            .collect();
        assert_eq!(by_day, truth);
        // No state file: the table's log is the state.
        assert!(!local.join("_tsexport_state").exists());
        let versions = log(local);
        assert_eq!(versions.len(), 8, "{:?}", versions.keys());
        // Each window's commit replaced exactly its own day.
        let info = commit_info(&versions[&2]);
        assert_eq!(info["tsexport"]["window"]["start"], "2021-03-02");
        assert_eq!(
            info["operationParameters"]["predicate"],
            "order_date_day IN ('2021-03-02')"
        );
        let txns: Vec<&Value> = versions[&3].iter().filter_map(|a| a.get("txn")).collect();
        assert!(
            txns.iter().any(
                |t| t["appId"] == "tsexport/daily_lines/2021-03-02" && t["version"] == 20210304
            ),
            "{txns:?}"
        );
    }
}

#[tokio::test]
async fn nights_of_a_daily_window_commit_each_day_exactly_once_on_disk() {
    let dir = TempDir::new("delta-nights-disk");
    let table = dir.path().join("daily_lines");
    nights_commit_each_day_exactly_once(table.to_str().unwrap(), &[], Some(&table)).await;
}

#[tokio::test]
async fn nights_of_a_daily_window_commit_each_day_exactly_once_on_s3() {
    let server = s3::start_s3().await;
    let out = format!("s3://{}/lake/daily_lines/", server.bucket);
    let env = server.aws_env();
    nights_commit_each_day_exactly_once(&out, &env, None).await;
}

#[tokio::test]
async fn a_window_without_day_partitions_is_refused_before_anything_runs() {
    let emu = emulator().await;
    let dir = TempDir::new("delta-refused");
    let table = dir.path().join("t");
    let job = daily_job(table.to_str().unwrap()).replace("partition_by = \"Order Date:day\"\n", "");
    let jobs = dir.path().join("jobs.toml");
    std::fs::write(&jobs, job).unwrap();
    let jobs = jobs.to_str().unwrap();
    for args in [
        vec!["check", jobs],
        vec!["run", jobs, "--dry-run"],
        vec!["run", jobs],
    ] {
        let output = tsexport(&emu, &args, &[]).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("add partition_by = \"COLUMN:day\""),
            "{args:?}: {}",
            text(&output)
        );
    }
    assert!(!table.exists());
}

#[tokio::test]
async fn history_lists_commits_and_a_checkpoint_comes_every_ten() {
    let emu = emulator().await;
    let dir = TempDir::new("delta-history");
    let table = dir.path().join("t");
    let table = table.to_str().unwrap();
    let query = "[Order Line ID] [Region] sort by [Order Line ID]";
    for _ in 0..10 {
        let output = export_delta(&emu, query, table, &["--mode", "append"], &[]).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    assert!(Path::new(table)
        .join("_delta_log/00000000000000000009.checkpoint.parquet")
        .exists());
    let read = read_by_both(table, &[]).await;
    assert_eq!(read["num_rows"], 10 * ROWS);

    let output = tsexport(
        &emu,
        &["delta", "history", table, "--limit", "3", "--json"],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let history = json_of(&output);
    let versions: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [9, 8, 7]);
    assert_eq!(history[0]["rows_added"], ROWS);
    assert_eq!(history[0]["operation"], "WRITE");

    // Files of a run that never committed are invisible, and vacuum removes them (retention 0 is
    // refused: readers of older versions may need their files).
    let orphan = Path::new(table).join("part-00000-orphan.parquet");
    std::fs::write(&orphan, b"not committed").unwrap();
    let output = tsexport(&emu, &["delta", "vacuum", table, "--retain", "0h"], &[]).await;
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let output = tsexport(&emu, &["delta", "vacuum", table, "--dry-run"], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(orphan.exists());
    let missing = tsexport(
        &emu,
        &[
            "delta",
            "history",
            dir.path().join("nothing").to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("is not a Delta table"),
        "{}",
        text(&missing)
    );
}

/// A job file with one windowed export named `name` into the table `out`.
fn daily_job_named(name: &str, out: &str) -> String {
    daily_job(out).replace("name = \"daily_lines\"", &format!("name = \"{name}\""))
}

/// Two `tsexport backfill` processes at once on one table: `first` and `second` are their
/// `--from`/`--to` ranges.
async fn race(
    emu: &Emulator,
    out: &str,
    env: &[(&str, &str)],
    first: (&str, &str),
    second: (&str, &str),
) -> [std::process::Output; 2] {
    let dir = TempDir::new("delta-race");
    let jobs_a = dir.path().join("a.toml");
    let jobs_b = dir.path().join("b.toml");
    std::fs::write(&jobs_a, daily_job_named("writer_a", out)).unwrap();
    std::fs::write(&jobs_b, daily_job_named("writer_b", out)).unwrap();
    let (a, b) = (jobs_a.to_str().unwrap(), jobs_b.to_str().unwrap());
    let args_a = ["backfill", a, "--from", first.0, "--to", first.1];
    let args_b = ["backfill", b, "--from", second.0, "--to", second.1];
    let (one, two) = tokio::join!(tsexport(emu, &args_a, env), tsexport(emu, &args_b, env));
    [one, two]
}

/// Two writers on one table: windows of different days both commit (the loser of a version
/// retries on top of it); two writers replacing the same days never leave a row twice: each
/// either commits or fails naming the conflict.
async fn racing_writers_lose_and_duplicate_nothing(out: &str, env: &[(&str, &str)]) {
    let emu = emulator().await;
    let [a, b] = race(
        &emu,
        out,
        env,
        ("2021-03-01", "2021-03-04"),
        ("2021-03-04", "2021-03-07"),
    )
    .await;
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b));
    let truth = rows_per_day(&emu, "2021-03-01", "2021-03-07").await;
    let read = read_by_both(out, env).await;
    assert_eq!(count_by(&read, "order_date_day"), truth);
    // Six windows, six commits, whatever order they landed in.
    assert_eq!(read["version"], 5);

    for _ in 0..3 {
        let [a, b] = race(
            &emu,
            out,
            env,
            ("2021-03-02", "2021-03-04"),
            ("2021-03-03", "2021-03-05"),
        )
        .await;
        for output in [&a, &b] {
            let all = text(output);
            assert!(
                output.status.code() == Some(0)
                    || (output.status.code() == Some(1)
                        && all.contains("another writer committed version")),
                "{all}"
            );
        }
        let read = read_by_both(out, env).await;
        assert_eq!(count_by(&read, "order_date_day"), truth);
    }
}

#[tokio::test]
async fn racing_writers_lose_and_duplicate_nothing_on_disk() {
    let dir = TempDir::new("delta-race-disk");
    let table = dir.path().join("t");
    racing_writers_lose_and_duplicate_nothing(table.to_str().unwrap(), &[]).await;
}

#[tokio::test]
async fn racing_writers_lose_and_duplicate_nothing_on_s3() {
    let server = s3::start_s3().await;
    let out = format!("s3://{}/lake/raced/", server.bucket);
    racing_writers_lose_and_duplicate_nothing(&out, &server.aws_env()).await;
}
