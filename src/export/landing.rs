//! Where the tables of an export land while they are read: a staging folder (files that a
//! manifest commits) or a lake table's data files (that the table's log commits). The export's
//! read loop (`write_table`: pages, restarts on a wider type, progress) is the same for both.

use std::collections::BTreeSet;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::Value;

use super::ExportError;
use crate::lake::{PartitionFiles, TableFiles, TablePlan};
use crate::sink::{DataFiles, FileReport, PartitionSpec, PartitionedWriter, Staging, WrittenTable};

/// Where a table's batches go.
pub(super) enum Landing<'a> {
    /// The run's staging folder.
    Folder(&'a mut Staging),
    /// A lake table's data files; rows must fall in `allowed` partitions (a window's), if set.
    #[cfg_attr(not(feature = "delta"), allow(dead_code))]
    Table {
        files: &'a DataFiles,
        allowed: Option<BTreeSet<String>>,
    },
}

/// The writer of one table, opened by [`Landing::open`].
pub(super) enum Writer {
    Folder(PartitionedWriter),
    Table(TableFiles),
}

/// What one table wrote.
pub(super) enum Landed {
    /// Per folder (partition), for the manifest.
    Folder(Vec<WrittenTable>),
    /// Per partition, with the plan of the table's columns, for the table's log.
    Table {
        plan: Box<TablePlan>,
        partitions: Vec<PartitionFiles>,
    },
}

impl Landing<'_> {
    /// A writer for the table in `folder` with `schema` (as read), `metadata` in every file.
    pub(super) fn open(
        &mut self,
        folder: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        partition: Option<&PartitionSpec>,
    ) -> Result<Writer, ExportError> {
        match self {
            Landing::Folder(staging) => Ok(Writer::Folder(PartitionedWriter::open(
                staging, folder, schema, metadata, partition,
            )?)),
            Landing::Table { files, allowed } => {
                let plan =
                    TablePlan::new(&schema, partition).map_err(crate::lake::LakeError::from)?;
                Ok(Writer::Table(TableFiles::new(
                    (*files).clone(),
                    plan,
                    metadata,
                    allowed.clone(),
                )))
            }
        }
    }
}

impl Writer {
    /// Writes one batch of the table.
    pub(super) async fn write(
        &mut self,
        landing: &mut Landing<'_>,
        batch: RecordBatch,
    ) -> Result<(), ExportError> {
        match (self, landing) {
            (Writer::Folder(writer), Landing::Folder(staging)) => {
                Ok(writer.write(staging, batch).await?)
            }
            (Writer::Table(files), _) => Ok(files.write(batch).await?),
            (Writer::Folder(_), Landing::Table { .. }) => Err(ExportError::StreamStopped(
                "a folder writer was handed a table destination".into(),
            )),
        }
    }

    /// Closes the table's files; `extra` (rows expected, sampling, ...) goes with each folder's
    /// manifest entry.
    pub(super) async fn finish(self, extra: Value) -> Result<Landed, ExportError> {
        match self {
            Writer::Folder(writer) => {
                let mut tables = writer.finish().await?;
                for table in &mut tables {
                    table.extra = extra.clone();
                }
                Ok(Landed::Folder(tables))
            }
            Writer::Table(files) => {
                let plan = Box::new(files.plan().clone());
                let partitions = files.finish().await?;
                Ok(Landed::Table { plan, partitions })
            }
        }
    }

    /// Gives the table up, deleting what it wrote.
    pub(super) async fn abort(self) -> Result<(), ExportError> {
        match self {
            Writer::Folder(writer) => Ok(writer.abort().await?),
            Writer::Table(files) => Ok(files.abort().await?),
        }
    }
}

impl Landed {
    /// Every data file written.
    pub(super) fn files(&self) -> Vec<FileReport> {
        match self {
            Landed::Folder(tables) => tables.iter().flat_map(|t| t.files.clone()).collect(),
            Landed::Table { partitions, .. } => {
                partitions.iter().flat_map(|p| p.files.clone()).collect()
            }
        }
    }

    /// The folders written (for a manifest), and the table's plan and partitions (for a table's
    /// log); each landing fills one of them.
    pub(super) fn into_parts(
        self,
    ) -> (Vec<WrittenTable>, Option<(TablePlan, Vec<PartitionFiles>)>) {
        match self {
            Landed::Folder(tables) => (tables, None),
            Landed::Table { plan, partitions } => (Vec::new(), Some((*plan, partitions))),
        }
    }
}
