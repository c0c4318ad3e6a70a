//! Delta tables read back three ways: the `deltalake` crate for the log with the `parquet` crate
//! for the files, and two independent readers, Python's `deltalake` (delta-rs's own binding) and
//! `polars`, run through `delta_read.py` with the interpreter `scripts/python-readers` installs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// The Python with `deltalake` and `polars`: `TSEXPORT_TEST_PYTHON` (set by `scripts/test`), or
/// installed now by `scripts/python-readers` (fast when already installed).
pub fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(python) = std::env::var("TSEXPORT_TEST_PYTHON") {
            return python;
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let output = std::process::Command::new(format!("{root}/scripts/python-readers"))
            .output()
            .expect("scripts/python-readers runs");
        assert!(
            output.status.success(),
            "installing the Python Delta readers failed (they come from the Python package registry): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .expect("the interpreter's path")
            .trim()
            .to_string()
    })
}

/// The table at `uri` (a path, or `s3://bucket/prefix` with `env` naming the server) as `reader`
/// (`deltalake` or `polars`) reads it: `{"version", "columns", "partition_columns", "num_rows",
/// "rows"}`, rows sorted.
pub async fn read_with(
    reader: &str,
    uri: &str,
    version: Option<i64>,
    env: &[(&str, &str)],
) -> Value {
    let script = format!(
        "{}/tests/it/common/delta_read.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut args = vec![script, reader.to_string(), uri.to_string()];
    if let Some(version) = version {
        args.extend(["--version".to_string(), version.to_string()]);
    }
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let python = python().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(&args)
            .envs(env)
            .output()
            .expect("python runs")
    })
    .await
    .expect("reader thread");
    assert!(
        output.status.success(),
        "{reader} could not read {uri}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reader prints JSON")
}

/// Both independent readers read the table at `uri` identically; returns what they read.
pub async fn read_by_both(uri: &str, env: &[(&str, &str)]) -> Value {
    let delta = read_with("deltalake", uri, None, env).await;
    let polars = read_with("polars", uri, None, env).await;
    assert_eq!(
        delta["num_rows"], polars["num_rows"],
        "deltalake and polars disagree on {uri}"
    );
    assert_eq!(
        delta["rows"], polars["rows"],
        "deltalake and polars disagree on {uri}"
    );
    delta
}

/// The index of `column` in a reader's output.
pub fn column_index(read: &Value, column: &str) -> usize {
    read["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .position(|c| c["name"] == column)
        .unwrap_or_else(|| panic!("no column {column} in {}", read["columns"]))
}

/// Rows per value of `column` in a reader's output.
pub fn count_by(read: &Value, column: &str) -> BTreeMap<String, u64> {
    let index = column_index(read, column);
    let mut counts = BTreeMap::new();
    for row in read["rows"].as_array().expect("rows") {
        let key = match &row[index] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// The table at the local folder `dir` as the `deltalake` crate replays its log: its version, and
/// the rows of its live files (each read with the `parquet` crate) per partition value.
pub async fn read_by_crate(dir: &Path) -> (u64, BTreeMap<Option<String>, usize>) {
    let url = url::Url::from_directory_path(dir).expect("an absolute path");
    let table = deltalake_core::open_table(url)
        .await
        .expect("the deltalake crate opens the table");
    let state = table.snapshot().expect("a loaded table");
    let partition = state.metadata().partition_columns().first().cloned();
    let mut rows = BTreeMap::new();
    for file in state.log_data().iter() {
        let value = partition
            .as_ref()
            .and_then(|column| file.partition_values_map().remove(column).flatten());
        let batches = super::files::read_parquet(&dir.join(file.path().as_ref()));
        *rows.entry(value).or_insert(0) += super::files::rows(&batches);
    }
    (table.version().expect("a version"), rows)
}

/// Every action of every commit in the table's `_delta_log`, by version.
pub fn log(dir: &Path) -> BTreeMap<i64, Vec<Value>> {
    let mut versions = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("_delta_log")).expect("a _delta_log") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(version) = name
            .strip_suffix(".json")
            .and_then(|v| v.parse::<i64>().ok())
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("log entry");
        let actions = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("a JSON action"))
            .collect();
        versions.insert(version, actions);
    }
    versions
}

/// The `commitInfo` of one commit.
pub fn commit_info(actions: &[Value]) -> &Value {
    actions
        .iter()
        .find_map(|a| a.get("commitInfo"))
        .expect("a commitInfo")
}
