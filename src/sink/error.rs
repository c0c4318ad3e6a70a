//! Why writing an export failed. Each message names the destination or file and says what to do.

use super::options::InvalidOption;

/// What went wrong writing or committing an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// An option has a value no writer can honour.
    #[error(transparent)]
    Options(#[from] InvalidOption),
    /// The destination cannot be used the way it was asked for (a file destination with rotation,
    /// a table name with `..`, ...).
    #[error("cannot export to {destination}: {reason}")]
    Usage {
        /// The destination as given.
        destination: String,
        /// What is wrong.
        reason: String,
    },
    /// [`WriteMode::ErrorIfExists`](super::WriteMode::ErrorIfExists) and the destination holds something.
    #[error("{destination} is not empty (it holds {found}); use the overwrite mode (`mode` overwrite) to replace what tsexport wrote there, or append mode to add to it")]
    NotEmpty {
        /// The destination as given.
        destination: String,
        /// What is there, for the message.
        found: String,
    },
    /// Listing, reading, writing, moving or deleting at the destination failed.
    #[error("cannot {action} {path}: {reason}. Check that the destination is reachable and writable (for object stores: that the credentials may list, read, write and delete there)")]
    Storage {
        /// What was being done: list, read, write, move, delete.
        action: &'static str,
        /// The path or URL it was done to.
        path: String,
        /// What the file system or object store said.
        reason: String,
    },
    /// Encoding batches into a file failed.
    #[error("cannot encode {path}: {reason}")]
    Encode {
        /// The file being encoded.
        path: String,
        /// What the encoder said.
        reason: String,
    },
    /// A batch does not have the columns of the table it was written to.
    #[error("a batch for table '{table}' does not match the table's schema: {reason}")]
    BatchSchema {
        /// The table written to.
        table: String,
        /// How the batch differs.
        reason: String,
    },
    /// Append mode, and the data already there has other columns.
    #[error("table '{table}' at {destination} has the columns {existing}, but this export has {new}; use the overwrite mode (`mode` overwrite) to replace it, or export to another destination")]
    SchemaChanged {
        /// The destination as given.
        destination: String,
        /// The table appended to.
        table: String,
        /// The columns already there.
        existing: String,
        /// The columns of this export.
        new: String,
    },
    /// A manifest at the destination cannot be read.
    #[error("cannot read the manifest {path}: {reason}. If it was not written by tsexport, move it away or export to another destination")]
    Manifest {
        /// Where the manifest is.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// An interrupted commit cannot be finished.
    #[error("cannot finish the interrupted commit of run {run_id} at {destination}: {reason}. Inspect {staging}; delete it to give that run up")]
    RollForward {
        /// The destination as given.
        destination: String,
        /// The interrupted run.
        run_id: String,
        /// Its staging folder.
        staging: String,
        /// Why it cannot be finished.
        reason: String,
    },
    /// The commit point was passed but making the files visible failed; the next run finishes it.
    #[error("the export to {destination} is committed but not yet fully visible: {source}. The next tsexport run to this destination completes it")]
    NotYetVisible {
        /// The destination as given.
        destination: String,
        /// What failed after the commit point.
        source: Box<SinkError>,
    },
    /// A table writer was used after one of its writes failed.
    #[error("table '{table}' cannot take more data: an earlier write failed")]
    Poisoned {
        /// The table.
        table: String,
    },
    /// A background task of the sink stopped without an answer (a panic or a runtime shutdown).
    #[error("the {task} stopped unexpectedly: {reason}")]
    Task {
        /// What the task did.
        task: &'static str,
        /// Why it stopped, as the runtime said it.
        reason: String,
    },
}

impl SinkError {
    pub(crate) fn storage(
        action: &'static str,
        path: impl Into<String>,
        reason: impl ToString,
    ) -> Self {
        SinkError::Storage {
            action,
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn usage(destination: impl Into<String>, reason: impl Into<String>) -> Self {
        SinkError::Usage {
            destination: destination.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn task(task: &'static str, error: tokio::task::JoinError) -> Self {
        SinkError::Task {
            task,
            reason: error.to_string(),
        }
    }
}
