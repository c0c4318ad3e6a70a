//! `--in-flight auto` against the emulator's cluster model: it finds a slow cluster's capacity, gets
//! every row through a rate limit with fewer 429s than a fixed 15, and a run's report counts what
//! its calls met. Speed is measured in `benches/cluster.sh`, not here.

use serde_json::Value;
use tsexport_emulator::{Emulator, Profile};

use crate::common::files;
use crate::common::{run_cli, with_settings, TempDir};

const QUERY: &str = "[Order Line ID] [Sales] sort by [Order Line ID]";

async fn cluster(rows: u64, settings: &[&str]) -> Emulator {
    crate::common::start(rows, with_settings(Profile::v2021(), settings)).await
}

/// Runs `tsexport search` into `out` with `flags`; the exit code and the summary JSON (Null when
/// the export failed).
async fn search(emu: &Emulator, out: &std::path::Path, flags: &[&str]) -> (i32, Value, String) {
    let url = emu.base_url();
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["search", QUERY, "--source", "Retail Sales", "--out", out];
    args.extend(["--json", "--quiet"]);
    args.extend(flags);
    let env = [
        ("TSEXPORT_URL", url.as_str()),
        ("TSEXPORT_USERNAME", "tsadmin"),
        ("TSEXPORT_PASSWORD", "admin"),
    ];
    let output = run_cli(&args, &env).await;
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        summary,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rows_in(dir: &std::path::Path) -> usize {
    files::rows(&files::read_parquet_in(dir))
}

#[tokio::test]
async fn the_default_finds_a_slow_clusters_capacity_where_a_fixed_two_stays_at_two() {
    let slow = ["page_latency_ms=150", "max_concurrent=6"];
    let (auto_cluster, fixed_cluster) =
        (cluster(60_000, &slow).await, cluster(60_000, &slow).await);
    let dir = TempDir::new("in-flight-auto");

    let auto_out = dir.path().join("auto");
    let (code, summary, stderr) = search(&auto_cluster, &auto_out, &["--page-size", "2000"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rows_in(&auto_out), 60_000);
    assert_eq!(summary["rows"], 60_000);
    let requests = &summary["requests"];
    assert!(
        requests["peak_in_flight"].as_u64() >= Some(6),
        "auto must grow to the cluster's capacity: {requests}"
    );
    assert!(
        requests["peak_in_flight"].as_u64() <= Some(8),
        "never past the max: {requests}"
    );
    assert_eq!(
        auto_cluster.max_concurrent_queries(),
        6,
        "the cluster was kept busy"
    );

    let fixed_out = dir.path().join("fixed");
    let flags = ["--page-size", "2000", "--in-flight", "2"];
    let (code, summary, stderr) = search(&fixed_cluster, &fixed_out, &flags).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rows_in(&fixed_out), 60_000);
    assert_eq!(summary["requests"]["peak_in_flight"], 2);
    assert_eq!(fixed_cluster.max_concurrent_queries(), 2);
}

#[tokio::test]
async fn a_rate_limited_cluster_gets_every_row_with_fewer_429s_than_fifteen_at_once() {
    let limited = [
        "page_latency_ms=10",
        "rate_limit_per_sec=10",
        "rate_limit_burst=3",
    ];
    let (auto_cluster, fixed_cluster) = (
        cluster(20_000, &limited).await,
        cluster(20_000, &limited).await,
    );
    let dir = TempDir::new("in-flight-limited");

    let auto_out = dir.path().join("auto");
    let (code, summary, stderr) = search(&auto_cluster, &auto_out, &["--page-size", "1000"]).await;
    assert_eq!(code, 0, "a rate limit is waited out, not failed: {stderr}");
    assert_eq!(rows_in(&auto_out), 20_000);
    let requests = &summary["requests"];
    let auto_429s = auto_cluster.rate_limited_count();
    assert!(auto_429s >= 1, "the export met the limit: {requests}");
    assert_eq!(requests["rate_limited"], auto_429s, "every 429 counted");
    assert_eq!(requests["retries"], auto_429s, "each 429 retried once");

    // Fifteen at once may even run out of retries; what matters here is how hard it hit the limit.
    let flags = ["--page-size", "1000", "--in-flight", "15"];
    search(&fixed_cluster, &dir.path().join("fixed"), &flags).await;
    assert!(
        fixed_cluster.rate_limited_count() > auto_429s,
        "fixed 15 met {} 429s, auto {auto_429s}",
        fixed_cluster.rate_limited_count()
    );
}

#[tokio::test]
async fn a_runs_report_counts_the_requests_of_all_its_exports() {
    let emu = cluster(5_000, &["rate_limit_per_sec=20", "rate_limit_burst=2"]).await;
    let dir = TempDir::new("in-flight-report");
    let jobs = dir.path().join("jobs.toml");
    let lake = dir.path().join("lake");
    let mut text = format!(
        "[connection]\nurl = \"{}\"\nusername = \"tsadmin\"\n\n[defaults]\npage_size = 500\n",
        emu.base_url()
    );
    for name in ["one", "two", "three"] {
        text.push_str(&format!(
            "\n[[export]]\nname = \"{name}\"\nsearch = \"{QUERY}\"\nsource = \"Retail Sales\"\nout = \"{}/{{name}}\"\n",
            lake.display()
        ));
    }
    std::fs::write(&jobs, text).expect("job file");
    let report_path = dir.path().join("report.json");
    let args = [
        "run",
        jobs.to_str().expect("utf-8"),
        "--report",
        report_path.to_str().expect("utf-8"),
    ];
    let output = run_cli(&args, &[("TSEXPORT_PASSWORD", "admin")]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report"))
            .expect("json");
    for name in ["one", "two", "three"] {
        assert_eq!(rows_in(&lake.join(name)), 5_000, "{name}");
    }
    let requests = &report["requests"];
    assert!(
        requests["requests"].as_u64() >= Some(30),
        "three exports of ten pages: {requests}"
    );
    // The sign-in before the exports started is the run's too, but not its exports'.
    let rate_limited = requests["rate_limited"].as_u64().expect("a count");
    assert!(rate_limited <= emu.rate_limited_count(), "{requests}");
    assert!(
        requests["retries"].as_u64() >= Some(rate_limited),
        "{requests}"
    );
    assert!(requests["peak_in_flight"].as_u64() <= Some(8), "{requests}");
}
