//! Hostile and broken responses, served by the emulator's `body`, `pad` and `corrupt` faults to the
//! real `tsexport` binary: each ends in a clear error or a safe result, never a panic (exit 101),
//! never a file outside the destination, and, for a body far past the size cap, in bounded memory.

use crate::common;
use crate::common::files;
use crate::common::TempDir;

use std::path::Path;

use crate::common::{login, output_text, url, v1, PINBOARD};
use serde_json::{json, Value};
use tsexport_emulator::{Emulator, Fault, FaultPlan, FaultRule};

const QUERY: &str = "[Order Line ID] [Region] sort by [Order Line ID]";

/// A page as `searchdata` sends it, around `columns` and `rows`.
fn page(columns: &Value, rows: &str, count: usize) -> String {
    format!(
        r#"{{"columnNames":{columns},"data":{rows},"samplingRatio":1.0,"totalRowCount":{count},"rowCount":{count},"pageSize":100000,"offset":0}}"#
    )
}

async fn serving(endpoint: &str, fault: Fault) -> Emulator {
    Emulator::builder()
        .rows(500)
        .faults(FaultPlan::new().rule(FaultRule::new(endpoint, fault)))
        .start()
        .await
        .expect("emulator")
}

/// Runs `tsexport ARGS -o <tmp>/out` and returns the output, the folder around `out`, and `out`.
async fn run(emu: &Emulator, args: &[&str]) -> (std::process::Output, TempDir) {
    let dir = TempDir::new("hostile");
    let out = dir.path().join("out").display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", &out, "--max-response-size", "16M"]);
    let url = emu.base_url();
    let output = common::run_cli(
        &all,
        &[
            ("TSEXPORT_URL", url.as_str()),
            ("TSEXPORT_USERNAME", "tsadmin"),
            ("TSEXPORT_PASSWORD", "admin"),
        ],
    )
    .await;
    (output, dir)
}

/// Nothing outside `out`, and nothing in it unless the export succeeded.
fn contained(dir: &Path, succeeded: bool) -> Result<(), String> {
    let all = files::snapshot(dir);
    if let Some(stray) = all.keys().find(|name| !name.starts_with("out/")) {
        return Err(format!("a file outside the destination: {stray}"));
    }
    if !succeeded && !all.is_empty() {
        return Err(format!(
            "a failed export left files: {}",
            files::listing(&all)
        ));
    }
    Ok(())
}

/// One hostile answer and what must come of it: `Ok(n)` = exit 0 with `n` Parquet columns, or
/// `Err((code, text))` = that exit code and a message holding `text`.
struct Case {
    name: &'static str,
    body: String,
    expect: Result<usize, (i32, &'static str)>,
}

fn cases() -> Vec<Case> {
    let ab = json!(["Order Line ID", "Region"]);
    let deep_cell = format!("[[{}1{}]]", "[".repeat(100_000), "]".repeat(100_000));
    let deep_extra = format!(
        r#"{{"extra":{}{}, "columnNames":["a"],"data":[[1]],"rowCount":1,"totalRowCount":1,"offset":0,"samplingRatio":1}}"#,
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    let wide: Vec<String> = (0..5_000).map(|i| format!("c{i}")).collect();
    let wide_row = format!("[[{}]]", vec!["1"; 5_000].join(","));
    vec![
        Case {
            name: "a cell nested 100,000 deep",
            body: page(&ab, &deep_cell, 1),
            expect: Err((1, "row 1")),
        },
        Case {
            name: "an unknown key nested 1,000,000 deep",
            body: deep_extra,
            expect: Err((1, "'extra' is not valid JSON: recursion limit exceeded")),
        },
        Case {
            name: "columnNames is a string",
            body: page(&json!("Order Line ID"), "[[1]]", 1),
            expect: Err((1, "columnNames")),
        },
        Case {
            name: "data is an object",
            body: page(&ab, r#"{"a":1}"#, 1),
            expect: Err((1, "data")),
        },
        Case {
            name: "totalRowCount is text",
            body: page(&ab, "[[1,\"East\"]]", 1)
                .replace(r#""totalRowCount":1"#, r#""totalRowCount":"many""#),
            expect: Err((1, "totalRowCount")),
        },
        Case {
            name: "NaN",
            body: page(&ab, "[[NaN,\"East\"]]", 1),
            expect: Err((1, "row 1")),
        },
        Case {
            name: "Infinity",
            body: page(&ab, "[[1,Infinity]]", 1),
            expect: Err((1, "row 1")),
        },
        Case {
            name: "integers past i64 and doubles past f64 stay exact as text",
            body: page(
                &ab,
                "[[123456789012345678901234567890,\"1e400\"],[1,\"-1e400\"]]",
                2,
            ),
            expect: Ok(2),
        },
        Case {
            name: "a row longer than columnNames",
            body: page(&ab, "[[1,\"East\",3]]", 1),
            expect: Err((1, "row 1")),
        },
        Case {
            name: "a row shorter than columnNames",
            body: page(&ab, "[[1]]", 1),
            expect: Err((1, "row 1")),
        },
        Case {
            name: "duplicate and empty column names",
            body: page(&json!(["a", "a", "", "a_2"]), "[[1,2,3,4]]", 1),
            expect: Ok(4),
        },
        Case {
            name: "5,000 columns",
            body: page(&json!(wide), &wide_row, 1),
            expect: Ok(5_000),
        },
        Case {
            name: "an HTML login page with status 200",
            body: "<html><body>Sign in</body></html>".into(),
            expect: Err((1, "searchdata")),
        },
        Case {
            name: "an empty body",
            body: String::new(),
            expect: Err((1, "searchdata")),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pages_end_in_a_clear_error_or_a_safe_result() {
    let mut failures = Vec::new();
    for case in cases() {
        let emu = serving("searchdata", Fault::Body { body: case.body }).await;
        let (output, dir) = run(&emu, &["search", QUERY, "-s", "Retail Sales"]).await;
        let code = output.status.code();
        let text = output_text(&output);
        let problem = match (&case.expect, code) {
            (_, Some(101)) | (_, None) => Some(format!("crashed: {text}")),
            (Ok(columns), Some(0)) => {
                let all = files::snapshot(&dir.path().join("out"));
                let parquet = files::parquet_files(&all);
                let got = parquet.first().map(|(_, bytes)| {
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                        bytes::Bytes::from(bytes.to_vec()),
                    )
                    .map(|b| b.schema().fields().len())
                });
                match got {
                    Some(Ok(n)) if n == *columns => None,
                    other => Some(format!("expected {columns} columns, got {other:?}")),
                }
            }
            (Err((want, needle)), Some(got)) if got == *want && text.contains(needle) => None,
            (expect, _) => Some(format!("expected {expect:?}, got exit {code:?}: {text}")),
        };
        let problem = problem.or_else(|| contained(dir.path(), code == Some(0)).err());
        println!(
            "{:<60} exit {:?}{}",
            case.name,
            code,
            if problem.is_some() { "  FAIL" } else { "" }
        );
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_past_i64_and_f64_are_kept_digit_for_digit() {
    let body = page(
        &json!(["big", "huge"]),
        "[[123456789012345678901234567890,1e400],[-9223372036854775809,-1e400]]",
        2,
    );
    let emu = serving("searchdata", Fault::Body { body }).await;
    let (output, dir) = run(&emu, &["search", QUERY, "-s", "Retail Sales"]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let all = files::snapshot(&dir.path().join("out"));
    let (_, bytes) = files::parquet_files(&all)[0];
    let batches = files::parquet_batches(bytes::Bytes::from(bytes.to_vec()));
    let shown: Vec<String> = (0..2)
        .flat_map(|column| {
            let array = batches[0].column(column).clone();
            (0..2).map(move |row| {
                arrow_cast::display::array_value_to_string(&array, row).expect("display")
            })
        })
        .collect();
    assert_eq!(
        shown,
        [
            "123456789012345678901234567890",
            "-9223372036854775809",
            "1e400",
            "-1e400"
        ]
    );
}

/// `VmHWM` of a `/proc/PID/status`: a process's peak resident memory, in KiB. None once the
/// process has exited (a zombie has no memory lines).
fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_far_past_the_cap_is_refused_in_bounded_memory() {
    // 2 GiB of whitespace before a real page: valid JSON, streamed by the emulator.
    let emu = serving("searchdata", Fault::Pad { bytes: 2 << 30 }).await;
    let dir = TempDir::new("hostile-pad");
    let out = dir.path().join("out");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tsexport"));
    command
        .args(["search", QUERY, "-s", "Retail Sales", "-o"])
        .arg(&out)
        .args(["--max-response-size", "64M"])
        .env("TSEXPORT_URL", emu.base_url())
        .env("TSEXPORT_USERNAME", "tsadmin")
        .env("TSEXPORT_PASSWORD", "admin");
    let (code, stderr, max_rss_kib) = tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tsexport starts");
        // The peak of the child's own address space (VmHWM), read until it exits. Not wait4's
        // ru_maxrss: a child spawned with CLONE_VM starts in this test process's address space,
        // and exec records that space's peak as the child's, so ru_maxrss reports the peak of
        // every test running in this binary.
        let status_file = format!("/proc/{}/status", child.id());
        let watcher = std::thread::spawn(move || {
            let mut peak_kib = 0;
            while let Some(hwm) = std::fs::read_to_string(&status_file)
                .ok()
                .and_then(|status| vm_hwm_kib(&status))
            {
                peak_kib = hwm;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            peak_kib
        });
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
            .expect("stderr");
        let status = child.wait().expect("tsexport exits");
        let peak_kib = watcher.join().expect("watcher");
        (status.code().unwrap_or(-1), stderr, peak_kib)
    })
    .await
    .expect("runner");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("larger than 64 MiB"), "{stderr}");
    println!(
        "peak RSS refusing a 2 GiB body with a 64 MiB cap: {} MiB",
        max_rss_kib >> 10
    );
    assert!(
        max_rss_kib < 256 << 10,
        "peak RSS {} MiB: the body was buffered",
        max_rss_kib >> 10
    );
    assert!(contained(dir.path(), false).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viz_names_that_are_paths_or_control_characters_stay_inside_the_destination() {
    // The real viz headers, with every name made hostile.
    let plain = Emulator::builder()
        .rows(500)
        .start()
        .await
        .expect("emulator");
    let client = login(&plain).await;
    let mut headers: Vec<Value> = v1(client.get(url(&plain, "metadata/listvizheaders")))
        .query(&[("id", PINBOARD)])
        .send()
        .await
        .expect("listvizheaders")
        .json()
        .await
        .expect("json");
    let hostile = [
        "../../etc",
        "/absolute/path",
        "a/b\\c",
        "..",
        "bell\u{7}\u{0}newline\n",
        "_tsexport_staging",
        "_SUCCESS",
        "CON",
    ];
    for (header, name) in headers.iter_mut().zip(hostile.iter().cycle()) {
        header["name"] = json!(name);
    }
    let emu = serving(
        "metadata/listvizheaders",
        Fault::Body {
            body: Value::Array(headers).to_string(),
        },
    )
    .await;
    let (output, dir) = run(&emu, &["pinboard", PINBOARD]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    contained(dir.path(), true).expect("inside the destination");
    let all = files::snapshot(&dir.path().join("out"));
    let folders: std::collections::BTreeSet<&str> = all
        .keys()
        .filter_map(|name| name.split_once('/').map(|(folder, _)| folder))
        .collect();
    for folder in &folders {
        assert!(
            folder
                .chars()
                .all(|c| c.is_alphanumeric() || "_-.".contains(c))
                && *folder != ".."
                && !folder.starts_with('.'),
            "unsafe folder {folder:?} in {folders:?}"
        );
    }
    println!("hostile viz names became {folders:?}");
}
