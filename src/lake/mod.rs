//! Lake tables as destinations: a table format's log, not a folder's manifest, decides what
//! readers see, so every engine that reads the format gets atomic commits, history and the schema.
//! Delta Lake is the one format today ([`delta`]); a second is one more module beside it, using
//! the same parts:
//!
//! - `schema`: the export's columns as a table's ([`TablePlan`]: names every engine reads,
//!   types, the partition column, the conversions values need);
//! - `files`: the data files of one commit, Parquet written by the sink at final paths that no
//!   reader sees until the log names them, partitioned and checked against the commit's window;
//! - [`Replace`]: what a commit replaces (nothing, everything, or a window's partitions).
//!
//! The policies (`docs/guarantees.md`, Commit) are the folder protocol's: a commit is one log
//! entry written with put-if-absent, so readers see the previous version or the new one; a
//! failed export deletes the files it wrote; files of a killed run are never named by the log and
//! go with the next vacuum.

#[cfg(feature = "delta")]
pub mod delta;
mod files;
mod names;
mod schema;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

pub use files::{PartitionFiles, TableFiles};
pub use names::{table_column_name, table_column_names, NameClash};
pub use schema::{ColumnKind, Conversion, PartitionColumn, SchemaError, TableColumn, TablePlan};

use crate::failure::FailureKind;
use crate::sink::{PartitionError, SinkError};

/// A table format tsexport writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableFormat {
    /// Delta Lake.
    Delta,
}

impl FromStr for TableFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "delta" => Ok(TableFormat::Delta),
            _ => Err(format!("unknown table format '{text}': use delta")),
        }
    }
}

impl fmt::Display for TableFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TableFormat::Delta => "delta",
        })
    }
}

/// What the files a commit adds replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replace {
    /// Nothing: the files are added to the table (append).
    Nothing,
    /// Every file the table holds (overwrite).
    Everything,
    /// The files of these values of the partition column: a window's days, so that exporting a
    /// window again replaces it and never duplicates a row.
    Partitions(BTreeSet<String>),
}

/// Why a lake table export failed. The table is as it was: no commit names a file of this run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LakeError {
    /// Writing the data files failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The rows could not be partitioned.
    #[error(transparent)]
    Partition(#[from] PartitionError),
    /// The result's columns cannot be a table's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Arrow failed to convert or select rows.
    #[error("preparing rows for the table: {0}")]
    Arrow(String),
    /// A partition value that cannot name a folder exactly (readers take the value from it).
    #[error("partition column '{column}' holds '{value}', which cannot name a partition folder that every reader reads back the same (letters, digits, '-', '_', '.' and '+' only, not empty); partition by another column, or by a date part (COLUMN:day)")]
    PartitionValue {
        /// The partition column.
        column: String,
        /// The value.
        value: String,
    },
    /// A row of a window falls outside the window's partitions.
    #[error("a row has '{column}' = {value}, outside this window's partitions ({}); the search must keep to the window on the column the table is partitioned by", allowed.join(", "))]
    OutsideWindow {
        /// The partition column.
        column: String,
        /// The row's partition value.
        value: String,
        /// The window's partition values.
        allowed: Vec<String>,
    },
    /// `error-if-exists` at a table that exists.
    #[error("{table} is already a Delta table (version {version}); use the overwrite mode (`mode` overwrite) to replace its rows, or append mode to add to them")]
    Exists {
        /// The table, as given.
        table: String,
        /// Its current version.
        version: u64,
    },
    /// A column's type differs from the table's.
    #[error("column '{column}' is {new} in this export but {existing} in the table {table}; tsexport never rewrites a table's history: export to a new table, or overwrite it whole (`mode` overwrite without a window)")]
    TypeChanged {
        /// The table.
        table: String,
        /// The column, by its table name.
        column: String,
        /// Its type in the table.
        existing: String,
        /// Its type in this export.
        new: String,
    },
    /// A new column, with `on_drift` fail.
    #[error("column '{column}' is new to the table {table}, and `on_drift` is fail; set on_drift to widen to add it (earlier rows read it as null), or export to a new table")]
    NewColumn {
        /// The table.
        table: String,
        /// The column, by its table name.
        column: String,
    },
    /// The table is partitioned differently.
    #[error("the table {table} is partitioned by ({}), this export by ({}); export with the table's partitioning, or overwrite it whole (`mode` overwrite without a window)", existing.join(", "), new.join(", "))]
    PartitionChanged {
        /// The table.
        table: String,
        /// The table's partition columns.
        existing: Vec<String>,
        /// This export's.
        new: Vec<String>,
    },
    /// Another writer committed to the partitions this commit replaces.
    #[error("another writer committed version {version} of {table}, which {what}; this export committed nothing: run it again to export on top of that version")]
    Conflict {
        /// The table.
        table: String,
        /// The version that won.
        version: u64,
        /// What it changed that this commit depends on.
        what: String,
    },
    /// The log entry's write failed in a way that does not say whether it landed (an object
    /// store may apply a write whose answer was lost), and the log could not tell either.
    #[error("the commit of version {version} to {table} failed ({reason}), and whether it landed cannot be told now; this run's files stay in place: if `tsexport delta history` shows version {version} from run {run}, the export committed; otherwise `tsexport delta vacuum` removes them")]
    Unsettled {
        /// The table.
        table: String,
        /// The version attempted.
        version: u64,
        /// The run's id.
        run: String,
        /// What the write said.
        reason: String,
    },
    /// There is no Delta table where one is needed.
    #[error("{table} is not a Delta table (no _delta_log); check the path")]
    NotATable {
        /// The place given.
        table: String,
    },
    /// The table's log could not be read or written.
    #[error("Delta table {table}: cannot {action}: {reason}. Check that the table is reachable and writable (for object stores: that the credentials may list, read, write and delete there)")]
    Log {
        /// The table.
        table: String,
        /// What was being done.
        action: &'static str,
        /// What the Delta library said.
        reason: String,
    },
}

impl LakeError {
    /// The kind of this failure, for exit codes and reports.
    pub fn kind(&self) -> FailureKind {
        match self {
            LakeError::Sink(SinkError::Options(_) | SinkError::Usage { .. }) => FailureKind::Usage,
            LakeError::Sink(_)
            | LakeError::Partition(PartitionError::Sink(_))
            | LakeError::Arrow(_)
            | LakeError::Conflict { .. }
            | LakeError::Unsettled { .. }
            | LakeError::Log { .. } => FailureKind::Other,
            LakeError::Partition(_)
            | LakeError::Schema(_)
            | LakeError::PartitionValue { .. }
            | LakeError::OutsideWindow { .. }
            | LakeError::Exists { .. }
            | LakeError::TypeChanged { .. }
            | LakeError::NewColumn { .. }
            | LakeError::PartitionChanged { .. }
            | LakeError::NotATable { .. } => FailureKind::Usage,
        }
    }
}

impl From<arrow_schema::ArrowError> for LakeError {
    fn from(error: arrow_schema::ArrowError) -> Self {
        LakeError::Arrow(error.to_string())
    }
}
