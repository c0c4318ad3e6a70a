//! Upkeep of a Delta table: its history (`tsexport delta history`) read straight from the log's
//! commit entries, so each entry names its exact version, and vacuum (`tsexport delta vacuum`),
//! which deletes the files no version within the retention needs, including those of killed runs
//! that no version ever named.

use std::time::Duration;

use deltalake_core::operations::vacuum::VacuumMode;
use serde::Serialize;
use serde_json::Value;

use super::{log_error, Table};
use crate::lake::LakeError;

/// One commit of a table's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The table version the commit made.
    pub version: u64,
    /// When, in milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// The operation (`WRITE`, `VACUUM START`, ...).
    pub operation: Option<String>,
    /// Its parameters (mode, partitioning, the predicate a window replaced).
    pub parameters: Value,
    /// Files it added.
    pub files_added: usize,
    /// Files it removed.
    pub files_removed: usize,
    /// Rows it added, from the added files' statistics.
    pub rows_added: u64,
    /// tsexport's record of the export (source, query, rows expected, ...), if tsexport wrote it.
    pub tsexport: Option<Value>,
    /// Application transactions it recorded, `app id` -> version.
    pub transactions: Vec<(String, i64)>,
}

/// What a vacuum did.
#[derive(Debug, Clone, Serialize)]
pub struct Vacuumed {
    /// Whether it only listed the files.
    pub dry_run: bool,
    /// The files deleted (or, for a dry run, that would be).
    pub files: Vec<String>,
}

impl Table {
    /// The newest `limit` commits, newest first (commits older than the log's retention are gone).
    pub async fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>, LakeError> {
        let Some(latest) = self.version() else {
            return Err(LakeError::NotATable {
                table: self.shown.clone(),
            });
        };
        let log_store = self.log_store();
        let mut entries = Vec::new();
        for version in (0..=latest).rev().take(limit) {
            let Some(bytes) = log_store
                .read_commit_entry(version)
                .await
                .map_err(|e| log_error(&self.shown, "read the log", e))?
            else {
                break;
            };
            entries.push(entry(version, &bytes));
        }
        Ok(entries)
    }

    /// Deletes the files that no version newer than `retain` ago needs, and files no version names
    /// (those of killed runs) once they are older than `retain`; `dry_run` only lists them.
    /// A retention shorter than the table's `delta.deletedFileRetentionDuration` (7 days unless
    /// set) is refused, as readers of older versions may still need the files.
    pub async fn vacuum(self, retain: Duration, dry_run: bool) -> Result<Vacuumed, LakeError> {
        if !self.exists {
            return Err(LakeError::NotATable { table: self.shown });
        }
        let retain = chrono::Duration::from_std(retain).unwrap_or(chrono::Duration::MAX);
        let (_, metrics) = self
            .inner
            .vacuum()
            .with_retention_period(retain)
            .with_mode(VacuumMode::Full)
            .with_dry_run(dry_run)
            .await
            .map_err(|e| log_error(&self.shown, "vacuum", e))?;
        Ok(Vacuumed {
            dry_run,
            files: metrics.files_deleted,
        })
    }
}

/// A history entry from one commit's log lines.
fn entry(version: u64, bytes: &[u8]) -> HistoryEntry {
    let mut entry = HistoryEntry {
        version,
        timestamp: None,
        operation: None,
        parameters: Value::Null,
        files_added: 0,
        files_removed: 0,
        rows_added: 0,
        tsexport: None,
        transactions: Vec::new(),
    };
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(action) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if let Some(info) = action.get("commitInfo") {
            entry.timestamp = info["timestamp"].as_i64();
            entry.operation = info["operation"].as_str().map(str::to_string);
            entry.parameters = info["operationParameters"].clone();
            entry.tsexport = info.get("tsexport").cloned();
        } else if let Some(add) = action.get("add") {
            entry.files_added += 1;
            let stats = add["stats"]
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok());
            entry.rows_added += stats.and_then(|s| s["numRecords"].as_u64()).unwrap_or(0);
        } else if action.get("remove").is_some() {
            entry.files_removed += 1;
        } else if let Some(txn) = action.get("txn") {
            if let (Some(app), Some(version)) = (txn["appId"].as_str(), txn["version"].as_i64()) {
                entry.transactions.push((app.to_string(), version));
            }
        }
    }
    entry
}
