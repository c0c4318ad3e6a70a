//! Job files as a scheduler runs them: `tsexport run`, `check`, `jobs init|schema`, against the
//! in-process emulator, to local folders and to an S3-compatible server. Reports, exit codes,
//! selection and shards, and errors that name the line and key.

use crate::common;
use crate::common::files::{
    self, parquet_batches, read_parquet, read_parquet_dir, read_parquet_in,
};
use crate::common::s3;
use crate::common::TempDir;

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{output_text as text, run_cli, tsexport_on as tsexport};
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt;
use serde_json::Value;
use tsexport_emulator::Emulator;

const ROWS: u64 = 9_000;

async fn emulator() -> Emulator {
    Emulator::builder()
        .rows(ROWS)
        .start()
        .await
        .expect("emulator")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write job file");
    path.to_string_lossy().into_owned()
}

fn report_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e}): {}", text(output)))
}

fn names_in_plan(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with(' ') && !line.starts_with("plan "))
        .map(str::to_string)
        .collect()
}

fn three_exports(out: &Path) -> String {
    let out = out.display();
    format!(
        r#"
[run]
concurrency = 2

[defaults]
compression = "zstd:1"

[[export]]
name = "sales"
search = "[Order Line ID] [Region] [Sales] sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}/{{name}}/run_date={{run_date}}/"
types = {{ "Total Sales" = "float" }}

[[export]]
name = "by_region"
search = "[Region] [Sales] sort by [Region]"
source = "Retail Sales"
out = "{out}/{{name}}.parquet"

[[export]]
name = "overview"
pinboard = "Retail Overview"
out = "{out}/{{name}}/"
"#
    )
}

#[tokio::test]
async fn run_commits_every_export_and_reports_each() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-run");
    let out = dir.path().join("lake");
    let jobs = write(dir.path(), "jobs.toml", &three_exports(&out));
    let report_path = dir.path().join("report.json");
    let report_arg = report_path.to_string_lossy().into_owned();
    let output = tsexport(
        &emu,
        &[
            "run",
            &jobs,
            "--run-date",
            "2026-11-27",
            "--json",
            "--report",
            &report_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = report_of(&output);
    let from_file: Value =
        serde_json::from_slice(&std::fs::read(&report_path).expect("report file")).expect("json");
    assert_eq!(report, from_file);
    assert_eq!(report["run_date"], "2026-11-27");
    assert_eq!(report["succeeded"], 3);
    assert_eq!(report["failed"], 0);
    let exports = report["exports"].as_array().expect("exports");
    let names: Vec<&str> = exports
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sales", "by_region", "overview"], "plan order");

    let sales = &exports[0];
    assert_eq!(sales["status"], "ok");
    assert_eq!(sales["kind"], "search");
    assert_eq!(sales["rows"], ROWS);
    assert_eq!(sales["rows_expected"], ROWS);
    assert!(sales["error"].is_null());
    assert_eq!(
        sales["tables"][0]["schema_hash"].as_str().unwrap().len(),
        16
    );
    let sales_dir = out.join("sales").join("run_date=2026-11-27");
    assert_eq!(files::rows(&read_parquet_dir(&sales_dir)), ROWS as usize);
    assert!(sales_dir.join("_SUCCESS").exists());

    let by_region = &exports[1];
    let regions = by_region["rows"].as_u64().expect("rows");
    assert!(regions > 0 && regions < 20, "{regions} regions");
    assert_eq!(
        files::rows(&read_parquet(&out.join("by_region.parquet"))),
        regions as usize
    );

    let overview = &exports[2];
    assert_eq!(overview["kind"], "pinboard");
    let tables = overview["tables"].as_array().expect("tables");
    assert!(tables.len() >= 2, "{overview}");
    assert_eq!(
        files::rows(&read_parquet_dir(&out.join("overview"))) as u64,
        overview["rows"].as_u64().unwrap()
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        !common::has_word(&log, "admin"),
        "the password reached the log"
    );
}

#[tokio::test]
async fn only_and_shards_cover_every_export_exactly_once() {
    let dir = TempDir::new("jobs-shards");
    let mut file = String::new();
    for i in 0..7 {
        file.push_str(&format!(
            "[[export]]\nname = \"e{i}\"\nsearch = \"[Region]\"\nsource = \"Retail Sales\"\nout = \"{}/{{name}}/\"\n\n",
            dir.path().display()
        ));
    }
    let jobs = write(dir.path(), "jobs.toml", &file);
    // --dry-run needs no cluster: no URL or credentials at all.
    let mut seen = Vec::new();
    for index in 0..3 {
        let shard = format!("{index}/3");
        let output = run_cli(&["run", &jobs, "--dry-run", "--shard", &shard], &[]).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let names = names_in_plan(&output);
        assert!(names.len() == 2 || names.len() == 3, "{names:?}");
        seen.extend(names);
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(unique.len(), 7, "{seen:?}");

    let output = run_cli(
        &["run", &jobs, "--dry-run", "--only", "e5", "--only", "e1"],
        &[],
    )
    .await;
    assert_eq!(names_in_plan(&output), ["e1", "e5"], "file order");
    let output = run_cli(&["run", &jobs, "--dry-run", "--only", "e9"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("e9"), "{}", text(&output));
    for bad in ["3/3", "1", "a/b"] {
        let output = run_cli(&["run", &jobs, "--dry-run", "--shard", bad], &[]).await;
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", text(&output));
    }
}

#[tokio::test]
async fn bad_job_files_are_errors_that_name_the_line_and_key() {
    let dir = TempDir::new("jobs-bad");
    let good = "[[export]]\nname = \"a\"\nsearch = \"[Region]\"\nsource = \"Retail Sales\"\nout = \"x/{name}/\"\n";
    for (case, file, says) in [
        (
            "misspelt key",
            good.replace("search =", "serch ="),
            vec!["line 3", "serch"],
        ),
        (
            "bad codec",
            format!("{good}compression = \"zsd\"\n"),
            vec!["line 6", "compression", "zsd"],
        ),
        (
            "bad type",
            format!("{good}types = {{ \"Region\" = \"texty\" }}\n"),
            vec!["line 6", "texty"],
        ),
        (
            "bad size",
            format!("{good}max_bytes_per_file = \"12Q\"\n"),
            vec!["line 6", "12Q"],
        ),
        (
            "unknown table",
            format!("[conection]\nurl = \"x\"\n{good}"),
            vec!["line 1", "conection"],
        ),
        (
            "no source",
            good.replace("source = \"Retail Sales\"\n", ""),
            vec!["export 'a'", "source"],
        ),
        (
            "both kinds",
            format!("{good}pinboard = \"P\"\n"),
            vec!["export 'a'", "not both"],
        ),
        (
            "duplicate names",
            format!("{good}\n{good}"),
            vec!["two exports are named 'a'"],
        ),
        (
            "unknown placeholder",
            good.replace("{name}", "{nmae}"),
            vec!["{nmae}", "{run_date}"],
        ),
        (
            "no exports",
            "[run]\nconcurrency = 2\n".to_string(),
            vec!["[[export]]"],
        ),
        (
            "page size",
            format!("{good}page_size = 0\n"),
            vec!["page_size"],
        ),
    ] {
        let jobs = write(dir.path(), "bad.toml", &file);
        // No cluster is configured: a file error must come before any connection.
        let output = run_cli(&["run", &jobs], &[]).await;
        let all = text(&output);
        assert_eq!(output.status.code(), Some(2), "{case}: {all}");
        assert!(
            all.contains("bad.toml"),
            "{case}: the file is not named: {all}"
        );
        for word in says {
            assert!(all.contains(word), "{case}: '{word}' missing from: {all}");
        }
        assert!(!all.contains("panicked"), "{case}: {all}");
    }
    let output = run_cli(&["run", "/no/such/jobs.toml"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("/no/such/jobs.toml"));
}

#[tokio::test]
async fn failed_exports_do_not_stop_the_others_and_pick_the_exit_code() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-fail");
    let out = dir.path().display().to_string();
    let good = format!(
        "[[export]]\nname = \"good\"\nsearch = \"[Order Line ID] [Region] sort by [Order Line ID]\"\nsource = \"Retail Sales\"\nout = \"{out}/good/\"\n\n"
    );
    let unknown = format!(
        "[[export]]\nname = \"unknown\"\nsearch = \"[Region]\"\nsource = \"No Such Worksheet\"\nout = \"{out}/unknown/\"\n\n"
    );
    let misfit = format!(
        "[[export]]\nname = \"misfit\"\nsearch = \"[Order Line ID] [Region] sort by [Order Line ID]\"\nsource = \"Retail Sales\"\nout = \"{out}/misfit/\"\ntypes = {{ \"Region\" = \"int\" }}\n\n"
    );

    // One kind of failure: its own exit code (2, a usage error: the source does not exist).
    let jobs = write(dir.path(), "one.toml", &format!("{good}{unknown}"));
    let output = tsexport(&emu, &["run", &jobs, "--json"], &[]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let report = report_of(&output);
    assert_eq!(
        (report["succeeded"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let failed = &report["exports"][1];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["kind"], "usage");
    assert!(failed["error"]["message"]
        .as_str()
        .unwrap()
        .contains("No Such Worksheet"));
    assert_eq!(
        files::rows(&read_parquet_dir(&dir.path().join("good"))),
        ROWS as usize
    );
    assert!(
        !dir.path().join("unknown").exists(),
        "a failed export left files"
    );

    // Two kinds: exit 6, and the misfit's destination is left as it was (nothing).
    let jobs = write(dir.path(), "two.toml", &format!("{unknown}{misfit}{good}"));
    let output = tsexport(&emu, &["run", &jobs, "--json"], &[]).await;
    assert_eq!(output.status.code(), Some(6), "{}", text(&output));
    let report = report_of(&output);
    let kinds: Vec<&str> = report["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error"]["kind"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(kinds, ["usage", "other", "none"]);
    assert!(!dir.path().join("misfit").join("_SUCCESS").exists());

    // Bad credentials: one sign-in error up front, exit 3, no export attempted.
    let output = tsexport(
        &emu,
        &["run", &jobs],
        &[("TSEXPORT_PASSWORD", "wrong-password")],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(!text(&output).contains("wrong-password"));
}

#[tokio::test]
async fn check_shows_schemas_and_counts_failed_checks() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-check");
    let jobs = write(
        dir.path(),
        "jobs.toml",
        &three_exports(&dir.path().join("lake")),
    );
    let output = tsexport(&emu, &["check", &jobs], &[]).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(all.contains("sign-in as tsadmin"), "{all}");
    assert!(all.contains("Order Line ID: Int64"), "{all}");
    assert!(all.contains("Total Sales: Float64"), "{all}");
    assert!(all.contains("is writable"), "{all}");
    assert!(
        !dir.path().join("lake").exists(),
        "check left something at a destination"
    );

    // An unknown source and an unwritable destination (under a regular file): two failed checks.
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").expect("blocker");
    let broken = format!(
        "[[export]]\nname = \"bad_source\"\nsearch = \"[Region]\"\nsource = \"Nope\"\nout = \"{0}/ok/\"\n\n[[export]]\nname = \"bad_out\"\nsearch = \"[Region]\"\nsource = \"Retail Sales\"\nout = \"{0}/blocker/sub/\"\n",
        dir.path().display()
    );
    let jobs = write(dir.path(), "broken.toml", &broken);
    let output = tsexport(&emu, &["check", &jobs], &[]).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("FAILED  source"), "{all}");
    assert!(all.contains("FAILED  destination"), "{all}");
    assert!(all.contains("Nope"), "{all}");
}

#[tokio::test]
async fn jobs_init_writes_an_example_that_plans_and_the_schema_is_json() {
    let dir = TempDir::new("jobs-init");
    let path = dir.path().join("jobs.toml");
    let path_arg = path.to_string_lossy().into_owned();
    let output = run_cli(&["jobs", "init", &path_arg], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = run_cli(&["run", &path_arg, "--dry-run"], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        names_in_plan(&output),
        ["retail_sales", "sales_by_region", "retail_overview"]
    );
    // Never overwritten.
    let output = run_cli(&["jobs", "init", &path_arg], &[]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));

    let output = run_cli(&["jobs", "schema"], &[]).await;
    let schema: Value = serde_json::from_slice(&output.stdout).expect("schema is JSON");
    assert!(schema["properties"]["export"].is_object(), "{schema}");
    let export = schema.to_string();
    for key in [
        "pinboard",
        "compression",
        "max_bytes_per_file",
        "concurrency",
    ] {
        assert!(export.contains(key), "{key} missing from the schema");
    }
}

#[tokio::test]
async fn run_writes_to_s3_with_the_standard_environment() {
    let server = s3::start_s3().await;
    let emu = emulator().await;
    let dir = TempDir::new("jobs-s3");
    let file = format!(
        "[[export]]\nname = \"sales\"\nsearch = \"[Order Line ID] [Region] [Sales] sort by [Order Line ID]\"\nsource = \"Retail Sales\"\nout = \"s3://{}/lake/{{name}}/run_date={{run_date}}/\"\nmax_rows_per_file = 4000\n",
        server.bucket
    );
    let jobs = write(dir.path(), "jobs.toml", &file);
    let output = tsexport(
        &emu,
        &["-vvv", "run", &jobs, "--run-date", "2026-11-28", "--json"],
        &server.aws_env(),
    )
    .await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(
        !all.contains(server.secret_key.as_str()),
        "the secret key leaked"
    );
    let report = report_of(&output);
    assert_eq!(report["exports"][0]["files"], 3);
    let mut rows = 0;
    for index in 0..3 {
        let path = StorePath::from(format!(
            "lake/sales/run_date=2026-11-28/part-0000{index}.parquet"
        ));
        let bytes = server
            .store
            .get(&path)
            .await
            .expect("object")
            .bytes()
            .await
            .expect("bytes");
        rows += files::rows(&parquet_batches(bytes));
    }
    assert_eq!(rows, ROWS as usize);
}

/// Reads the `Order Date` column of every Parquet file in `dir` as days since 1970.
fn order_days(dir: &Path) -> Vec<i32> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Date32Type;
    read_parquet_in(dir)
        .iter()
        .flat_map(|batch| {
            let column = batch.column_by_name("Order Date").expect("Order Date");
            column.as_primitive::<Date32Type>().values().to_vec()
        })
        .collect()
}

fn day_number(date: &str) -> i32 {
    let date: chrono::NaiveDate = date.parse().expect("date");
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn window_starts(report: &Value) -> Vec<(String, String)> {
    report["exports"][0]["windows"]
        .as_array()
        .map(|windows| {
            windows
                .iter()
                .map(|w| {
                    (
                        w["start"].as_str().unwrap().to_string(),
                        w["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn windows_advance_night_after_night_and_a_failed_window_is_retried() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-windows");
    let daily = dir.path().join("daily");
    let file = format!(
        r#"
[[export]]
name = "daily"
search = "[Order Line ID] [Region] [Order Date] [Order Date] >= '{{window_start}}' [Order Date] < '{{window_end}}' sort by [Order Line ID]"
source = "Retail Sales"
out = "{}/order_date={{window_start}}/"
window = "day"
first_window = "2021-03-01"
"#,
        daily.display()
    );
    let jobs = write(dir.path(), "jobs.toml", &file);
    // `check` reads the newest window, with the placeholders filled, and writes nothing.
    let output = tsexport(&emu, &["check", &jobs], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        !daily.exists(),
        "check left {:?}",
        std::fs::read_dir(&daily).ok()
    );
    let night = |run_date: &'static str| {
        let jobs = jobs.clone();
        let emu = &emu;
        async move {
            let output =
                tsexport(emu, &["run", &jobs, "--run-date", run_date, "--json"], &[]).await;
            (output.status.code(), report_of(&output), text(&output))
        }
    };
    let ok = |start: &str| (start.to_string(), "ok".to_string());

    // Night 1 starts at first_window and stops at yesterday; night 2 takes one day; night 3 follows
    // a missed night and takes both days.
    let (code, report, all) = night("2021-03-03").await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(window_starts(&report), [ok("2021-03-01"), ok("2021-03-02")]);
    let (code, report, all) = night("2021-03-04").await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(window_starts(&report), [ok("2021-03-03")]);
    let (code, report, all) = night("2021-03-06").await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(window_starts(&report), [ok("2021-03-04"), ok("2021-03-05")]);
    // The same night again: nothing is due.
    let (code, report, all) = night("2021-03-06").await;
    assert_eq!(code, Some(0), "{all}");
    assert!(window_starts(&report).is_empty(), "{report}");

    let mut total = 0;
    for day in [
        "2021-03-01",
        "2021-03-02",
        "2021-03-03",
        "2021-03-04",
        "2021-03-05",
    ] {
        let days = order_days(&daily.join(format!("order_date={day}")));
        assert!(!days.is_empty(), "{day} is empty");
        assert!(
            days.iter().all(|d| *d == day_number(day)),
            "{day}: {days:?}"
        );
        total += days.len();
    }
    assert_eq!(total, 5 * 6, "six rows a day at {ROWS} rows");

    // A window that cannot be written fails the export there: the days after it wait.
    let blocker = daily.join("order_date=2021-03-07");
    std::fs::write(&blocker, "not a folder").expect("blocker");
    let (code, report, all) = night("2021-03-09").await;
    assert_ne!(code, Some(0), "{all}");
    assert_eq!(
        window_starts(&report),
        [ok("2021-03-06"), ("2021-03-07".into(), "failed".into())]
    );
    assert!(!daily.join("order_date=2021-03-08").exists());
    let state: Value = serde_json::from_slice(
        &std::fs::read(daily.join("_tsexport_state/daily.json")).expect("state"),
    )
    .expect("state JSON");
    assert_eq!(state["last_committed"], "2021-03-06");
    assert_eq!(state["window"], "day");
    assert!(state["columns"].as_array().unwrap().len() == 3, "{state}");

    // The next night retries it, then goes on.
    std::fs::remove_file(&blocker).expect("unblock");
    let (code, report, all) = night("2021-03-09").await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(window_starts(&report), [ok("2021-03-07"), ok("2021-03-08")]);

    // A backfill stops at a failure and, with --resume, picks up where it stopped.
    let blocker = daily.join("order_date=2021-02-03");
    std::fs::write(&blocker, "not a folder").expect("blocker");
    let backfill = |resume: bool| {
        let jobs = jobs.clone();
        let emu = &emu;
        async move {
            let mut args = vec![
                "backfill",
                jobs.as_str(),
                "--from",
                "2021-02-01",
                "--to",
                "2021-02-05",
                "--json",
            ];
            if resume {
                args.push("--resume");
            }
            let output = tsexport(emu, &args, &[]).await;
            (output.status.code(), report_of(&output), text(&output))
        }
    };
    let (code, report, all) = backfill(false).await;
    assert_ne!(code, Some(0), "{all}");
    assert_eq!(
        window_starts(&report),
        [
            ok("2021-02-01"),
            ok("2021-02-02"),
            ("2021-02-03".into(), "failed".into())
        ]
    );
    std::fs::remove_file(&blocker).expect("unblock");
    let (code, report, all) = backfill(true).await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(window_starts(&report), [ok("2021-02-03"), ok("2021-02-04")]);
    for day in ["2021-02-01", "2021-02-02", "2021-02-03", "2021-02-04"] {
        let days = order_days(&daily.join(format!("order_date={day}")));
        assert_eq!(days.len(), 6, "{day}");
    }
    // A backfill never moves the nightly state back.
    let state: Value = serde_json::from_slice(
        &std::fs::read(daily.join("_tsexport_state/daily.json")).expect("state"),
    )
    .expect("state JSON");
    assert_eq!(state["last_committed"], "2021-03-08");
}

/// The string values of `column` in every Parquet file of `dir`.
fn strings_in(dir: &Path, column: &str) -> Vec<String> {
    use arrow_array::cast::AsArray;
    read_parquet_in(dir)
        .iter()
        .flat_map(|batch| {
            let array = batch.column_by_name(column).expect("column");
            array
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn partitions_by_month_and_by_value_hold_exactly_their_rows() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-partitions");
    let out = dir.path().display();
    let file = format!(
        r#"
[[export]]
name = "by_month"
search = "[Order Line ID] [Order Date] [Order Date] >= '2021-01-01' [Order Date] < '2021-04-01' sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}/by_month/"
partition_by = "Order Date:month"
partition_key = "order_month"

[[export]]
name = "by_region"
search = "[Order Line ID] [Region] sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}/by_region/"
partition_by = "Region"

[[export]]
name = "too_many"
search = "[Order Line ID] [Order Date] sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}/too_many/"
partition_by = "Order Date:day"
max_partitions = 10
"#
    );
    let jobs = write(dir.path(), "jobs.toml", &file);
    let output = tsexport(&emu, &["run", &jobs, "--json"], &[]).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "only too_many fails: {all}");
    let report = report_of(&output);

    // By month: three folders, each holding exactly its month's days.
    let by_month = dir.path().join("by_month");
    let mut total = 0;
    for (month, first, next) in [
        ("2021-01", "2021-01-01", "2021-02-01"),
        ("2021-02", "2021-02-01", "2021-03-01"),
        ("2021-03", "2021-03-01", "2021-04-01"),
    ] {
        let days = order_days(&by_month.join(format!("order_month={month}")));
        assert!(!days.is_empty(), "{month}");
        assert!(
            days.iter()
                .all(|d| (day_number(first)..day_number(next)).contains(d)),
            "{month}: {days:?}"
        );
        total += days.len();
    }
    assert_eq!(total as u64, report["exports"][0]["rows"].as_u64().unwrap());
    assert_eq!(
        report["exports"][0]["rows"],
        report["exports"][0]["rows_expected"]
    );

    // By value: one folder per region, every row in the folder of its own region.
    let by_region = dir.path().join("by_region");
    let mut total = 0;
    let mut folders: Vec<String> = std::fs::read_dir(&by_region)
        .expect("folders")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("region="))
        .collect();
    folders.sort();
    assert!(folders.len() >= 3, "{folders:?}");
    for folder in &folders {
        let region = folder.trim_start_matches("region=");
        let values = strings_in(&by_region.join(folder), "Region");
        assert!(values.iter().all(|v| v == region), "{folder}: {values:?}");
        total += values.len();
    }
    assert_eq!(total, ROWS as usize);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(by_region.join("_manifest.json")).expect("one manifest for all folders"),
    )
    .expect("manifest");
    assert!(manifest.to_string().contains("region="), "{manifest}");

    // Past max_partitions: a clear error, and nothing at the destination.
    let failed = &report["exports"][2];
    assert_eq!(failed["status"], "failed");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.contains("more than 10 folders"), "{message}");
    assert!(!dir.path().join("too_many").join("_SUCCESS").exists());
    let left: Vec<_> = std::fs::read_dir(dir.path().join("too_many"))
        .map(|entries| entries.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_carry_no_secret() {
    let emu = emulator().await;
    let dir = TempDir::new("jobs-json-logs");
    let file = format!(
        "[[export]]\nname = \"good\"\nsearch = \"[Region] [Sales] sort by [Region]\"\nsource = \"Retail Sales\"\nout = \"{0}/good/\"\n\n[[export]]\nname = \"bad\"\nsearch = \"[Region]\"\nsource = \"Nope\"\nout = \"{0}/bad/\"\n",
        dir.path().display()
    );
    let jobs = write(dir.path(), "jobs.toml", &file);
    let output = tsexport(&emu, &["-vv", "--log-format", "json", "run", &jobs], &[]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut messages = Vec::new();
    for line in stderr.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(event["level"].is_string(), "{line}");
        messages.push(event["message"].as_str().unwrap_or_default().to_string());
    }
    assert!(
        messages.iter().any(|m| m == "export committed"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m == "export failed"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("1 of 2 exports failed")),
        "{messages:?}"
    );
    assert!(
        !common::has_word(&stderr, "admin"),
        "the password reached the log"
    );
}

#[tokio::test]
async fn max_requests_caps_the_requests_in_flight_across_exports() {
    use tsexport_emulator::{Fault, FaultPlan, FaultRule};
    let dir = TempDir::new("jobs-cap");
    let mut exports = String::new();
    for i in 0..4 {
        exports.push_str(&format!(
            "[[export]]\nname = \"e{i}\"\nsearch = \"[Order Line ID] [Region] sort by [Order Line ID]\"\nsource = \"Retail Sales\"\nout = \"{}/{{name}}/\"\npage_size = 1000\n\n",
            dir.path().display()
        ));
    }
    for (cap, expect_one) in [(1, true), (8, false)] {
        // Every request takes 30 ms, so uncapped exports overlap at the emulator.
        let plan = FaultPlan {
            rules: vec![FaultRule::new("*", Fault::Delay { millis: 30 })],
            ..FaultPlan::default()
        };
        let emu = Emulator::builder()
            .rows(3_000)
            .faults(plan)
            .start()
            .await
            .expect("emulator");
        let file = format!("[run]\nconcurrency = 4\nmax_requests = {cap}\n\n{exports}");
        let jobs = write(dir.path(), "jobs.toml", &file);
        let output = tsexport(&emu, &["run", &jobs], &[]).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let most = emu.max_requests_in_flight();
        if expect_one {
            assert_eq!(most, 1, "max_requests = 1 let {most} requests overlap");
        } else {
            assert!(
                most > 1,
                "four exports without a tight cap never overlapped"
            );
        }
    }
}

#[tokio::test]
async fn check_fails_a_viz_the_pinboard_does_not_have() {
    // `check` used to drop a viz it could not find and pass; a run of the same file fails on it, so
    // check must too, naming the viz and the vizzes there are.
    let emu = emulator().await;
    let dir = crate::common::TempDir::new("jobs-check-viz");
    let jobs = write(
        dir.path(),
        "jobs.toml",
        &format!(
            "[[export]]\nname = \"board\"\npinboard = \"Retail Overview\"\nvizzes = [\"Total Sales\", \"No Such Viz\"]\nout = \"{}/board/\"\n",
            dir.path().display()
        ),
    );
    let output = tsexport(&emu, &["check", &jobs], &[]).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains("FAILED  source"), "{all}");
    assert!(all.contains("'No Such Viz'"), "{all}");
    assert!(
        all.contains("'Total Sales'"),
        "the error lists the vizzes there are: {all}"
    );
    assert!(all.contains("is writable"), "{all}");
}
