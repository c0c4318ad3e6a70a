//! The data files of one lake table commit: batches in, Parquet files out at their final paths
//! ([`DataFiles`]), one writer per partition (`order_date_day=2026-11-05/part-00000-<run>.parquet`),
//! each row checked against the partitions the commit may write. Nothing is visible until the
//! format's log names the files; [`TableFiles::abort`] deletes them.

use std::collections::{BTreeSet, HashMap};

use arrow_array::{RecordBatch, UInt32Array};

use super::schema::TablePlan;
use super::LakeError;
use crate::sink::{DataFiles, FileReport, PartitionError, TableWriter};

/// Whether `value` can name a partition folder as it is. Readers such as polars take a partition's
/// value from its folder name (`region=West/`), not from the log, so the folder must be the value
/// itself: no character any layer would escape (object stores, the log's URL-encoded paths, Hive's
/// escaping), and not empty (read as null).
fn names_a_folder(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
        && value != "."
        && value != ".."
}

/// The files of one partition (or of an unpartitioned table).
#[derive(Debug, Clone)]
pub struct PartitionFiles {
    /// The partition value (None: null, or no partitioning).
    pub value: Option<String>,
    /// The files written, paths relative to the table's root.
    pub files: Vec<FileReport>,
}

/// Writes a commit's batches into partition files.
#[derive(Debug)]
pub struct TableFiles {
    files: DataFiles,
    plan: TablePlan,
    metadata: Vec<(String, String)>,
    /// The partition values this commit may write (a window's days); None: any.
    allowed: Option<BTreeSet<String>>,
    max_partitions: usize,
    writers: Vec<(Option<String>, TableWriter)>,
    by_value: HashMap<Option<String>, usize>,
    /// Files of partitions already finished or given up, to delete on abort.
    written: Vec<FileReport>,
}

impl TableFiles {
    /// Files for `plan` under `files`' root; `metadata` goes into every file; `allowed` limits the
    /// partition values rows may have.
    pub fn new(
        files: DataFiles,
        plan: TablePlan,
        metadata: Vec<(String, String)>,
        allowed: Option<BTreeSet<String>>,
    ) -> TableFiles {
        let max_partitions = plan
            .partition
            .as_ref()
            .map_or(1, |partition| partition.spec.max_partitions);
        TableFiles {
            files,
            plan,
            metadata,
            allowed,
            max_partitions,
            writers: Vec::new(),
            by_value: HashMap::new(),
            written: Vec::new(),
        }
    }

    /// The plan the files follow.
    pub fn plan(&self) -> &TablePlan {
        &self.plan
    }

    /// Writes `batch` (with the export's schema) into its partitions' files.
    pub async fn write(&mut self, batch: RecordBatch) -> Result<(), LakeError> {
        let Some(partition) = self.plan.partition.clone() else {
            let rows = self.plan.file_batch(&batch)?;
            let writer = self.writer(None)?;
            return Ok(writer.write(rows).await?);
        };
        let index = batch
            .schema()
            .index_of(&partition.spec.column)
            .map_err(|e| LakeError::Arrow(e.to_string()))?;
        let column = batch.column(index).clone();
        let mut order: Vec<Option<String>> = Vec::new();
        let mut rows: HashMap<Option<String>, Vec<u32>> = HashMap::new();
        for row in 0..batch.num_rows() {
            let value = partition.spec.value_at(column.as_ref(), row)?;
            if let Some(text) = value.as_deref() {
                if !names_a_folder(text) {
                    return Err(LakeError::PartitionValue {
                        column: partition.spec.column.clone(),
                        value: text.to_string(),
                    });
                }
            }
            rows.entry(value.clone())
                .or_insert_with(|| {
                    order.push(value);
                    Vec::new()
                })
                .push(row as u32);
        }
        for value in order {
            if let Some(allowed) = &self.allowed {
                if !value.as_ref().is_some_and(|v| allowed.contains(v)) {
                    return Err(LakeError::OutsideWindow {
                        column: partition.spec.column.clone(),
                        value: value.unwrap_or_else(|| "null".into()),
                        allowed: allowed.iter().cloned().collect(),
                    });
                }
            }
            let indices = UInt32Array::from(rows.remove(&value).unwrap_or_default());
            let part = arrow_select::take::take_record_batch(&batch, &indices)?;
            let part = self.plan.file_batch(&part)?;
            self.writer(value)?.write(part).await?;
        }
        Ok(())
    }

    fn writer(&mut self, value: Option<String>) -> Result<&mut TableWriter, LakeError> {
        if let Some(index) = self.by_value.get(&value) {
            return Ok(&mut self.writers[*index].1);
        }
        if self.writers.len() >= self.max_partitions {
            let partition = self.plan.partition.as_ref();
            return Err(PartitionError::TooMany {
                column: partition.map_or_else(String::new, |p| p.spec.column.clone()),
                max_partitions: self.max_partitions,
                next: value.unwrap_or_else(|| "null".into()),
            }
            .into());
        }
        let folder = match &self.plan.partition {
            None => String::new(),
            Some(partition) => {
                let shown = value.as_deref().unwrap_or("__HIVE_DEFAULT_PARTITION__");
                format!("{}={shown}", partition.name)
            }
        };
        let writer = self.files.folder(
            &folder,
            self.plan.file_schema.clone(),
            self.metadata.clone(),
        )?;
        self.writers.push((value.clone(), writer));
        self.by_value.insert(value, self.writers.len() - 1);
        Ok(&mut self.writers.last_mut().expect("just pushed").1)
    }

    /// Closes every file; the partitions with their files. On an error every file is deleted.
    pub async fn finish(mut self) -> Result<Vec<PartitionFiles>, LakeError> {
        let mut partitions = Vec::with_capacity(self.writers.len());
        let writers = std::mem::take(&mut self.writers);
        let mut failed = None;
        for (value, writer) in writers {
            if failed.is_some() {
                let _ = writer.abort().await;
                continue;
            }
            match writer.finish().await {
                Ok(table) => {
                    self.written.extend(table.files.iter().cloned());
                    partitions.push(PartitionFiles {
                        value,
                        files: table.files,
                    });
                }
                Err(error) => failed = Some(error),
            }
        }
        if let Some(error) = failed {
            let _ = self.files.delete(&self.written).await;
            return Err(error.into());
        }
        Ok(partitions)
    }

    /// Gives the commit up: deletes every file written.
    pub async fn abort(mut self) -> Result<(), LakeError> {
        for (_, writer) in std::mem::take(&mut self.writers) {
            writer.abort().await?;
        }
        self.files.delete(&self.written).await?;
        Ok(())
    }
}
