//! Files written straight to their final paths under a root folder, for a table format whose
//! log, not the folder, decides what readers see (`crate::lake`). A file no log entry names is
//! invisible, so nothing is staged or moved: each file gets a name no other run can take
//! (`part-00000-<run-id>.parquet`), and a run that fails deletes what it wrote. A run killed
//! before it could leaves files no reader sees, for the format's vacuum to remove.

use std::sync::{Arc, Mutex};

use arrow_schema::SchemaRef;

use super::commit::new_run_id;
use super::destination::Destination;
use super::error::SinkError;
use super::layout::{check_relative, Layout, Target};
use super::options::SinkOptions;
use super::upload::Uploads;
use super::writer::{FileNames, FileReport, Placement, RunContext, TableWriter};

/// One run's data files under a table's root; see the module documentation. Clones share the run.
#[derive(Debug, Clone)]
pub struct DataFiles {
    run: Arc<RunContext>,
}

impl DataFiles {
    /// A run writing under `destination`, which must be a folder, with `options` (format,
    /// compression, row groups, file limits).
    pub fn open(destination: &Destination, options: SinkOptions) -> Result<DataFiles, SinkError> {
        options.validate()?;
        let target = Target::for_reading(destination)?;
        if let Layout::File { name } = &target.layout {
            return Err(SinkError::usage(
                target.shown.clone(),
                format!("a table is a folder, not the file '{name}'; give the table's folder"),
            ));
        }
        Ok(DataFiles {
            run: Arc::new(RunContext {
                target: Arc::new(target),
                options,
                run_id: new_run_id(),
                uploads: Uploads::new(),
                tables: Mutex::new(Vec::new()),
                placement: Placement::Final,
            }),
        })
    }

    /// This run's id, part of every file name it writes.
    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// A writer of files in `folder` ("" for the root; a relative path such as
    /// `order_date_day=2026-11-05`), each file with `schema` and `metadata`. A folder gets no
    /// file when no row comes: the table's log holds its schema.
    pub fn folder(
        &self,
        folder: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
    ) -> Result<TableWriter, SinkError> {
        if !folder.is_empty() {
            if let Err(reason) = check_relative(folder) {
                return Err(SinkError::usage(
                    self.run.target.shown.clone(),
                    format!("folder {reason}"),
                ));
            }
        }
        self.run.tables().push(folder.to_string());
        Ok(TableWriter::new(
            self.run.clone(),
            folder.to_string(),
            schema,
            metadata,
            FileNames::OfRun {
                folder: folder.to_string(),
                run: self.run.run_id.clone(),
                extension: self.run.options.format.extension(),
                next: 0,
            },
            false,
        ))
    }

    /// Deletes `files` (written by this run and not committed), after stopping uploads in flight.
    pub async fn delete(&self, files: &[FileReport]) -> Result<(), SinkError> {
        self.run.uploads.cancel_and_wait().await;
        for file in files {
            self.run.target.storage.delete(&file.path).await?;
        }
        Ok(())
    }

    /// The root as a full path or URL, for messages.
    pub fn shown(&self) -> &str {
        &self.run.target.shown
    }
}
