//! Memory of the emulator against the size of its data set: the process's resident set after serving
//! the last 100,000-row page of worksheets of growing size. Rows are computed on demand, so the
//! figure should not grow with the row count. Baseline: the resident set before any emulator starts.
//!
//! Run: `cargo bench --bench emulator_memory` (Linux: reads /proc/self/status).

use futures_util::StreamExt;
use tsexport_emulator::{ids, Emulator};

fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn serve_last_page(rows: u64) -> u64 {
    let emulator = Emulator::builder()
        .rows(rows)
        .start()
        .await
        .expect("emulator");
    let v1 = emulator.v1_url();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client");
    client
        .post(format!("{v1}/session/login"))
        .header("X-Requested-By", "bench")
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .expect("login");
    let offset = rows.saturating_sub(100_000).to_string();
    let response = client
        .post(format!("{v1}/searchdata"))
        .header("X-Requested-By", "bench")
        .query(&[
            (
                "query_string",
                "[Order Line ID] [Customer] [Sales] [Order Date] [Ship Time] [Loyalty Points]",
            ),
            ("data_source_guid", ids::RETAIL_SALES),
            ("batchsize", "100000"),
            ("offset", &offset),
        ])
        .send()
        .await
        .expect("searchdata");
    let mut body = response.bytes_stream();
    let mut bytes = 0;
    while let Some(chunk) = body.next().await {
        bytes += chunk.expect("chunk").len() as u64;
    }
    bytes
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("emulator memory: resident set after serving the last 100,000-row page");
    println!("{:<14} {:>10.1} MB", "baseline", resident_mb());
    for rows in [100_000u64, 1_000_000, 10_000_000, 1_000_000_000] {
        let bytes = runtime.block_on(serve_last_page(rows));
        println!(
            "{:<14} {:>10.1} MB  ({:.1} MB page)",
            format!("{rows} rows"),
            resident_mb(),
            bytes as f64 / 1e6
        );
    }
}
