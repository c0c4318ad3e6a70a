//! The `tsexport` binary: `emulator` starts and serves; bad flags fail with exit code 2 and say why.

use crate::common;
use crate::common::TempDir;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tsexport");

/// Kills the child when dropped, so a failing assertion never leaves a server running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsexport runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let url = first
        .split(" at ")
        .nth(1)
        .expect("the base URL on the first line")
        .trim()
        .to_string();
    let rest: Vec<String> = lines.by_ref().take(3).map(|l| l.expect("line")).collect();
    // Keep reading what the server prints next: a closed pipe would fail its next line.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(
        rest.iter().any(|l| l.contains("tsadmin / admin")),
        "the login is printed: {rest:?}"
    );
    (Running(child), url)
}

#[tokio::test]
async fn emulator_command_prints_its_url_and_serves() {
    let (_child, base) = start(&[
        "emulator",
        "--bind",
        "127.0.0.1:0",
        "--rows",
        "50",
        "--profile",
        "modern",
    ]);
    let client = common::client();
    let login = common::v1(client.post(format!("{base}/callosum/v1/tspublic/v1/session/login")))
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        200,
        "the modern profile answers login with 200"
    );
    let page: serde_json::Value =
        common::v1(client.post(format!("{base}/callosum/v1/tspublic/v1/searchdata")))
            .query(&[
                ("query_string", "[Order Line ID]"),
                ("data_source_guid", common::RETAIL),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(page["totalRowCount"], 50);
}

#[tokio::test]
async fn settings_and_fault_plans_from_the_command_line() {
    let dir = TempDir::new("cli-basics");
    let plan = dir.join("faults.toml");
    std::fs::write(
        &plan,
        "[[rule]]\nendpoint = \"searchdata\"\nnth = [1]\nkind = \"status\"\nstatus = 503\n",
    )
    .unwrap();
    let (_child, base) = start(&[
        "emulator",
        "--bind",
        "127.0.0.1:0",
        "--rows",
        "10",
        "--set",
        "row_cap=4",
        "--faults",
        plan.to_str().unwrap(),
    ]);
    let client = common::client();
    common::v1(client.post(format!("{base}/callosum/v1/tspublic/v1/session/login")))
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .unwrap();
    let search = || {
        common::v1(client.post(format!("{base}/callosum/v1/tspublic/v1/searchdata")))
            .query(&[
                ("query_string", "[Order Line ID]"),
                ("data_source_guid", common::RETAIL),
            ])
            .send()
    };
    assert_eq!(search().await.unwrap().status(), 503);
    let page: serde_json::Value = search().await.unwrap().json().await.unwrap();
    assert_eq!(page["pageSize"], 4);
}

fn fails(args: &[&str], expected: &str) {
    let output = Command::new(BIN)
        .args(args)
        .output()
        .expect("tsexport runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?} should be a usage error"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(expected),
        "{args:?}: stderr lacks {expected:?}: {stderr}"
    );
}

#[test]
fn bad_flags_are_usage_errors_that_say_what_to_do() {
    fails(
        &["emulator", "--set", "nope=1"],
        "unknown emulator setting 'nope'",
    );
    fails(&["emulator", "--set", "past_end"], "write it as key=value");
    fails(&["emulator", "--set", "past_end=sideways"], "past_end");
    fails(
        &["emulator", "--faults", "/nonexistent/plan.toml"],
        "cannot read fault plan /nonexistent/plan.toml",
    );
    fails(&["emulator", "--profile", "v1999"], "v1999");
    fails(
        &["emulator", "--timezone", "Mars/Olympus"],
        "unknown time zone 'Mars/Olympus'",
    );
    fails(&["emulator", "--bind", "not-an-address"], "not-an-address");
}

#[test]
fn demo_tours_the_client_over_the_emulator_and_exits() {
    let dir = TempDir::new("demo");
    let out = dir.join("out");
    let output = Command::new(BIN)
        .args([
            "demo",
            "--rows",
            "2500",
            "--out",
            out.to_str().expect("path"),
        ])
        .output()
        .expect("tsexport runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("signed in as tsadmin"), "{stdout}");
    assert!(
        stdout.contains("pinboards: Retail Overview, Store Footprint"),
        "{stdout}"
    );
    assert!(stdout.contains("Sales DOUBLE"), "{stdout}");
    assert!(
        stdout.contains("2500 rows (2500 reported by ThoughtSpot) in 1 pages"),
        "{stdout}"
    );
    for (folder, rows) in [
        ("retail_sales", 2500),
        ("retail_pinboard/order_lines", 2500),
        ("retail_pinboard/sales_by_region", 5),
    ] {
        let file = std::fs::File::open(out.join(folder).join("part-00000.parquet")).expect(folder);
        let reader = parquet::file::reader::SerializedFileReader::new(file).expect("parquet");
        use parquet::file::reader::FileReader;
        assert_eq!(
            reader.metadata().file_metadata().num_rows(),
            rows,
            "{folder}"
        );
    }
    assert!(
        stdout.contains("exported the saved answer 'Sales by Product' through REST API v2"),
        "{stdout}"
    );
    for export in ["retail_sales", "retail_pinboard", "sales_by_product"] {
        assert!(out.join(export).join("_SUCCESS").exists(), "{export}");
    }
}
