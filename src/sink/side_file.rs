//! Small documents tsexport keeps beside the data, such as a job's window state: read whole, and
//! replaced atomically (one PUT on object stores; a write then a rename on disk), so a reader sees
//! the old version or the new, never a part.

use bytes::Bytes;

use super::destination::Destination;
use super::error::SinkError;
use super::layout::{Layout, Target};
use super::storage::Storage;

/// A named document in a folder destination.
#[derive(Debug)]
pub struct SideFile {
    storage: Storage,
    name: String,
}

impl SideFile {
    /// The document `name` (a `/`-separated path) under the folder `folder`.
    pub fn new(folder: &Destination, name: &str) -> Result<SideFile, SinkError> {
        let target = Target::for_reading(folder)?;
        if let Layout::File { .. } = target.layout {
            return Err(SinkError::usage(
                target.shown,
                "side files (such as job state) live in a folder, not beside a single file",
            ));
        }
        Ok(SideFile {
            storage: target.storage,
            name: name.to_string(),
        })
    }

    /// Where the document is, for messages and reports.
    pub fn location(&self) -> String {
        self.storage.describe(&self.name)
    }

    /// The document, or `None` if there is none yet.
    pub async fn read(&self) -> Result<Option<Bytes>, SinkError> {
        self.storage.read(&self.name).await
    }

    /// Replaces the document with `content`.
    pub async fn write(&self, content: Bytes) -> Result<(), SinkError> {
        let temp = format!("{}.tmp", self.name);
        self.storage.put(&self.name, content, &temp).await
    }
}
