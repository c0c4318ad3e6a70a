//! `tsexport search` and `tsexport pinboard` as a user runs them: the binary against the in-process
//! emulator, to a folder, to stdout, and to an S3-compatible server configured by the standard AWS
//! environment variables. Exit codes, flag errors, and no secret in any output.

use crate::common;
use crate::common::files::{self, parquet_batches, read_parquet_in, rows};
use crate::common::s3;
use crate::common::TempDir;

use std::path::Path;

use crate::common::{output_text as text, run_cli as run};
use arrow_array::RecordBatch;
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tsexport_emulator::{Emulator, Fault, FaultPlan, FaultRule};

const QUERY: &str = "[Order Line ID] [Region] [Sales] [Order Date] sort by [Order Line ID]";

fn env(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("TSEXPORT_URL", emu.base_url()),
        ("TSEXPORT_USERNAME", "tsadmin".into()),
        ("TSEXPORT_PASSWORD", "admin".into()),
    ]
}

async fn export(emu: &Emulator, args: &[&str], extra: &[(&str, &str)]) -> std::process::Output {
    let mut vars: Vec<(&str, &str)> = Vec::new();
    let base = env(emu);
    vars.extend(base.iter().map(|(k, v)| (*k, v.as_str())));
    vars.extend_from_slice(extra);
    run(args, &vars).await
}

/// `tsexport search QUERY -s "Retail Sales" -o OUT EXTRA...` as the default user.
async fn search_to(emu: &Emulator, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["search", QUERY, "-s", "Retail Sales", "-o", out];
    args.extend_from_slice(extra);
    export(emu, &args, &[]).await
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn search_writes_a_committed_folder_and_reports_it() {
    let emu = Emulator::builder()
        .rows(12_000)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("cli-search");
    let out = dir.path().join("sales");
    let output = search_to(
        &emu,
        out.to_str().expect("path"),
        &[
            "--page-size",
            "5000",
            "--max-rows-per-file",
            "5000",
            "--json",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json summary");
    assert_eq!(summary["rows"], 12_000);
    assert_eq!(summary["files"], 3);
    assert_eq!(summary["tables"][0]["pages"], 3);
    assert_eq!(
        listing(&out),
        [
            "_SUCCESS",
            "_manifest.json",
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet"
        ]
    );
    assert_eq!(rows(&read_parquet_in(&out)), 12_000);

    // error-if-exists refuses and leaves the folder alone; overwrite replaces it.
    let before = listing(&out);
    let refused = search_to(
        &emu,
        out.to_str().expect("path"),
        &["--mode", "error-if-exists"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("--mode overwrite"),
        "{}",
        text(&refused)
    );
    assert_eq!(listing(&out), before);
    let again = search_to(&emu, out.to_str().expect("path"), &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("exported 12000 rows"),
        "{}",
        text(&again)
    );
    assert_eq!(rows(&read_parquet_in(&out)), 12_000);
    assert_eq!(listing(&out).len(), 3, "one file now: {:?}", listing(&out));
}

#[tokio::test]
async fn stdout_streams_arrow_or_csv() {
    let emu = Emulator::builder()
        .rows(3_000)
        .start()
        .await
        .expect("emulator");
    let arrow = search_to(&emu, "-", &[]).await;
    assert_eq!(arrow.status.code(), Some(0), "{}", text(&arrow));
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(arrow.stdout), None)
        .expect("an Arrow IPC stream");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3_000);
    let schema = batches[0].schema();
    let order_date = schema.field_with_name("Order Date").expect("Order Date");
    assert_eq!(order_date.data_type().to_string(), "Date32");

    let csv = search_to(&emu, "-", &["--format", "csv"]).await;
    assert_eq!(csv.status.code(), Some(0), "{}", text(&csv));
    let body = String::from_utf8(csv.stdout).expect("utf-8");
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("Order Line ID,Region,Order Date,Total Sales")
    );
    assert_eq!(lines.count(), 3_000);
}

#[tokio::test]
async fn a_pinboard_goes_to_folders_or_one_viz_to_the_root() {
    let emu = Emulator::builder()
        .rows(2_000)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("cli-pinboard");
    let all = dir.path().join("all");
    let output = export(
        &emu,
        &[
            "pinboard",
            "Retail Overview",
            "--out",
            all.to_str().expect("path"),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let folders: Vec<String> = listing(&all)
        .into_iter()
        .filter(|n| !n.starts_with('_'))
        .collect();
    assert_eq!(folders.len(), 3, "{folders:?}");
    for folder in &folders {
        assert!(rows(&read_parquet_in(&all.join(folder))) > 0, "{folder}");
    }

    let one = dir.path().join("one");
    let output = export(
        &emu,
        &[
            "pinboard",
            tsexport_emulator::ids::RETAIL_PINBOARD,
            "--viz",
            tsexport_emulator::ids::VIZ_ORDER_LINES,
            "--out",
            one.to_str().expect("path"),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(rows(&read_parquet_in(&one)), 2_000);
}

#[tokio::test]
async fn bad_flags_fail_before_connecting_with_exit_code_2() {
    let emu = Emulator::builder()
        .rows(10)
        .start()
        .await
        .expect("emulator");
    for (flag, value, says) in [
        ("--type", "Order Date", "COLUMN=TYPE"),
        ("--type", "Order Date=datetimez", "unknown type"),
        ("--compression", "brotli", "brotli"),
        ("--mode", "replace", "replace"),
        ("--page-size", "0", "--page-size"),
        ("--on-drift", "ignore", "widen or fail"),
        ("--time-zone", "Mars/Olympus", "IANA"),
        ("--max-bytes-per-file", "12X", "not a size"),
    ] {
        let output = search_to(&emu, "unused-dir", &[flag, value]).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains(says),
            "{flag} {value}: {}",
            text(&output)
        );
    }
    assert_eq!(emu.total_requests(), 0, "nothing reached the cluster");
    assert!(!Path::new("unused-dir").exists());
}

#[tokio::test]
async fn an_incomplete_result_exits_4_and_commits_nothing() {
    let plan =
        FaultPlan::new().rule(FaultRule::new("searchdata", Fault::ShiftRows { rows: 2 }).nth([2]));
    let emu = Emulator::builder()
        .rows(9_000)
        .faults(plan)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("cli-incomplete");
    let out = dir.path().join("x");
    let output = search_to(&emu, out.to_str().expect("path"), &["--page-size", "4000"]).await;
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        text(&output).contains("--allow-incomplete"),
        "{}",
        text(&output)
    );
    assert!(
        listing(&out).iter().all(|n| n == "_tsexport_staging") || listing(&out).is_empty(),
        "nothing visible: {:?}",
        listing(&out)
    );
}

#[tokio::test]
async fn s3_exports_use_the_standard_aws_environment_and_leak_no_secret() {
    let server = s3::start_s3().await;
    let emu = Emulator::builder()
        .rows(8_000)
        .start()
        .await
        .expect("emulator");
    let url = format!("s3://{}/lake/sales/", server.bucket);
    let output = export(
        &emu,
        &[
            "-vvv",
            "search",
            QUERY,
            "-s",
            "Retail Sales",
            "-o",
            &url,
            "--max-rows-per-file",
            "3000",
        ],
        &server.aws_env(),
    )
    .await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    for secret in ["admin", server.secret_key.as_str()] {
        assert!(
            !common::has_word(&all, secret),
            "a secret reached the output"
        );
    }
    let mut rows = 0;
    for index in 0..3 {
        let path = StorePath::from(format!("lake/sales/part-0000{index}.parquet"));
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
    assert_eq!(rows, 8_000);
    let manifest = server
        .store
        .get(&StorePath::from("lake/sales/_manifest.json"))
        .await
        .expect("manifest")
        .bytes()
        .await
        .expect("bytes");
    let manifest_text = String::from_utf8_lossy(&manifest);
    assert!(!manifest_text.contains(&server.secret_key));
    assert!(server
        .store
        .head(&StorePath::from("lake/sales/_SUCCESS"))
        .await
        .is_ok());
}

#[tokio::test]
async fn append_adds_files_and_a_file_destination_gets_exactly_one_file() {
    let emu = Emulator::builder()
        .rows(4_000)
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("cli-append");
    let out = dir.path().join("lines");
    let path = out.to_str().expect("path");
    for run in 1..=2 {
        let output = search_to(&emu, path, &["--mode", "append"]).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {run}: {}",
            text(&output)
        );
    }
    assert_eq!(rows(&read_parquet_in(&out)), 8_000);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(
        manifest["tables"][0]["files"].as_array().map(Vec::len),
        Some(2)
    );

    let file = dir.path().join("one.parquet");
    let output = search_to(&emu, file.to_str().expect("path"), &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("file"))
            .expect("parquet");
    assert_eq!(reader.metadata().file_metadata().num_rows(), 4_000);
    let rotated = search_to(
        &emu,
        dir.path().join("two.parquet").to_str().expect("path"),
        &["--max-rows-per-file", "1000"],
    )
    .await;
    assert_eq!(rotated.status.code(), Some(2), "{}", text(&rotated));
}
