//! Delta Lake tables: the log protocol, commits (one log entry, written put-if-absent), conflict
//! checks and checkpoints come from the `deltalake` crate; the Parquet files are tsexport's own
//! ([`crate::lake::TableFiles`]) and are committed as `add` actions with their statistics.
//!
//! - [`Table::open`] reads the table's log (or finds none) at a local path or any object store.
//! - [`Table::commit`] commits the files of a run with what they replace ([`crate::lake::Replace`]),
//!   application transactions (`txn`) and tsexport's commit information; see `commit.rs` for the
//!   rule for concurrent writers.
//! - [`Table::history`] and [`Table::vacuum`] are the upkeep (`upkeep.rs`).
//!
//! Tables tsexport creates: reader/writer protocol 1/2 (3/7 with `timestampNtz` when a column is a
//! local date-time), a checkpoint every 10 commits (`delta.checkpointInterval`), columns named as
//! [`crate::lake::table_column_name`] says.

mod commit;
mod schema;
mod stats;
mod upkeep;

use std::path::Path as FsPath;
use std::sync::Arc;

use deltalake_core::kernel::transaction::TransactionError;
use deltalake_core::logstore::{default_logstore, LogStoreRef, StorageConfig};
use deltalake_core::DeltaTableError;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;
use serde_json::Value;

pub use commit::{Committed, TableCommit};
pub use schema::{NAME_KEY, TYPE_KEY, ZONE_KEY};
pub use upkeep::{HistoryEntry, Vacuumed};

use super::LakeError;
use crate::decode::ColumnType;
use crate::sink::Destination;

/// Commits between two checkpoints of a table tsexport creates.
pub const CHECKPOINT_INTERVAL: u32 = 10;

/// A Delta table at a destination, with its log read (or known to be absent).
pub struct Table {
    inner: deltalake_core::DeltaTable,
    /// The table as the user gave it, for messages.
    shown: String,
    exists: bool,
    /// This handle committed since it last read the log.
    stale: bool,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("table", &self.shown)
            .field("version", &self.version())
            .finish()
    }
}

impl Table {
    /// Reads the log of the table at `destination` (a local folder or an object-store URL); a
    /// destination with no `_delta_log` is a table that does not exist yet.
    pub async fn open(destination: &Destination) -> Result<Table, LakeError> {
        let shown = destination.to_string();
        let log_store = log_store(destination, &shown)?;
        let mut inner = deltalake_core::DeltaTable::new(log_store);
        let exists = inner
            .verify_deltatable_existence()
            .await
            .map_err(|e| log_error(&shown, "read the log", e))?;
        if exists {
            inner
                .load()
                .await
                .map_err(|e| log_error(&shown, "read the log", e))?;
        }
        Ok(Table {
            inner,
            shown,
            exists,
            stale: false,
        })
    }

    /// The table as given, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether the table has a log.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// The version last read, None for a table that does not exist. A commit does not read the
    /// log again (its version is in [`Committed::version`]); the next commit does.
    pub fn version(&self) -> Option<u64> {
        self.exists.then(|| self.inner.version()).flatten()
    }

    /// The table's schema in the protocol's JSON form.
    pub fn schema_json(&self) -> Option<Value> {
        let state = self.inner.snapshot().ok()?;
        serde_json::to_value(state.schema().as_ref()).ok()
    }

    /// The table's partition columns.
    pub fn partition_columns(&self) -> Vec<String> {
        self.metadata_json()
            .and_then(|m| serde_json::from_value(m["partitionColumns"].clone()).ok())
            .unwrap_or_default()
    }

    fn metadata_json(&self) -> Option<Value> {
        let state = self.inner.snapshot().ok()?;
        serde_json::to_value(state.metadata()).ok()
    }

    /// tsexport's type of each column, by ThoughtSpot name, as the table's log records them.
    pub fn column_types(&self) -> Vec<(String, ColumnType)> {
        self.schema_json()
            .map(|schema| schema::column_types(&schema))
            .unwrap_or_default()
    }

    /// The version of application transaction `app_id` the table records, if any.
    pub async fn transaction_version(&self, app_id: &str) -> Result<Option<i64>, LakeError> {
        if !self.exists {
            return Ok(None);
        }
        let state = self
            .inner
            .snapshot()
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        state
            .transaction_version(self.inner.log_store().as_ref(), app_id)
            .await
            .map_err(|e| log_error(&self.shown, "read the log", e))
    }

    /// Reads the log again, to its newest version.
    async fn reload(&mut self) -> Result<(), LakeError> {
        self.stale = false;
        self.exists = self
            .inner
            .verify_deltatable_existence()
            .await
            .map_err(|e| log_error(&self.shown, "read the log", e))?;
        if self.exists {
            self.inner
                .load()
                .await
                .map_err(|e| log_error(&self.shown, "read the log", e))?;
        }
        Ok(())
    }

    fn log_store(&self) -> LogStoreRef {
        self.inner.log_store()
    }
}

/// The log store of the table at `destination`: the destination's own object store under the
/// table's path, or the local file system, whose create-if-absent writes are atomic.
fn log_store(destination: &Destination, shown: &str) -> Result<LogStoreRef, LakeError> {
    let bad = |reason: String| LakeError::Log {
        table: shown.to_string(),
        action: "open the table",
        reason,
    };
    let (root, prefix, location): (Arc<dyn ObjectStore>, StorePath, url::Url) = match destination {
        Destination::Store { url, store, path } if !url.starts_with("file:") => {
            let location =
                url::Url::parse(url.trim_end_matches('/')).map_err(|e| bad(e.to_string()))?;
            (store.clone(), path.clone(), location)
        }
        Destination::Store { path, .. } => {
            local(&FsPath::new("/").join(path.as_ref())).map_err(bad)?
        }
        Destination::Local(path) => local(path).map_err(bad)?,
    };
    let prefixed: Arc<dyn ObjectStore> = Arc::new(PrefixStore::new(root.clone(), prefix));
    Ok(default_logstore(
        prefixed,
        root,
        &location,
        &StorageConfig::default(),
    ))
}

fn local(path: &FsPath) -> Result<(Arc<dyn ObjectStore>, StorePath, url::Url), String> {
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    let prefix = StorePath::from_absolute_path(&absolute).map_err(|e| e.to_string())?;
    let location = url::Url::from_directory_path(&absolute)
        .map_err(|()| format!("{} is not an absolute path", absolute.display()))?;
    Ok((Arc::new(LocalFileSystem::new()), prefix, location))
}

/// A Delta library error as a [`LakeError`] naming what was being done.
fn log_error(table: &str, action: &'static str, error: DeltaTableError) -> LakeError {
    LakeError::Log {
        table: table.to_string(),
        action,
        reason: error.to_string(),
    }
}

/// Whether a commit lost the race for its version (another writer committed first).
fn lost_race(error: &DeltaTableError) -> bool {
    matches!(
        error,
        DeltaTableError::VersionAlreadyExists(_)
            | DeltaTableError::Transaction {
                source: TransactionError::MaxCommitAttempts(_)
                    | TransactionError::VersionAlreadyExists(_)
            }
    )
}
