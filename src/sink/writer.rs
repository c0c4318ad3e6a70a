//! One table's files: batches in, files of at most `max_rows_per_file` rows (batches are split)
//! or about `max_bytes_per_file` bytes out, written into the run's staging area under their
//! deterministic final names (`part-00000.parquet`, ...).
//!
//! Encoding runs on the blocking pool, one batch at a time, so the async runtime never stalls on
//! compression; only one file per table is open at any time, which bounds memory to one row group
//! per table plus the upload buffers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::{Map, Value};

use super::encoder::{EncodeError, Encoder, Encoding};
use super::error::SinkError;
use super::layout::Target;
use super::options::{FileFormat, SinkOptions};
use super::output::{Counted, FileOutput};
use super::stats::{file_stats, ColumnStats};
use super::storage::join;
use super::upload::Uploads;

/// What one table wrote, for the commit and the run summary.
#[derive(Debug, Clone)]
pub struct WrittenTable {
    /// "" for a single-table export, else the table's folder.
    pub table: String,
    /// The table's Arrow schema.
    pub schema: SchemaRef,
    /// The files this run wrote (not those an append keeps).
    pub files: Vec<FileReport>,
    /// Rows in the files this run wrote.
    pub rows: u64,
    /// Bytes of the files this run wrote.
    pub bytes: u64,
    /// Keys the caller adds to the table's manifest entry (rows expected, sampling ratio, viz id,
    /// ...); an object, empty by default. Keys the manifest itself uses are ignored.
    pub extra: Value,
}

/// One file of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// Relative to the destination folder, `/`-separated, as it is once committed.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Bytes of the file.
    pub bytes: u64,
    /// Per column: nulls, min and max (Parquet files; empty for the other formats).
    pub stats: Vec<ColumnStats>,
}

/// What the writers of one run share with it.
#[derive(Debug)]
pub(crate) struct RunContext {
    pub target: Arc<Target>,
    pub options: SinkOptions,
    pub run_id: String,
    pub uploads: Arc<Uploads>,
    /// The tables handed out and not aborted, in order.
    pub tables: Mutex<Vec<String>>,
    /// Where files are written until they are visible.
    pub placement: Placement,
}

/// Where a run writes its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Under the run's staging folder; the commit moves them into place.
    Staged,
    /// At their final paths, under names no other run uses: a table format's log, not the
    /// folder, decides what readers see, so nothing needs moving.
    Final,
}

impl RunContext {
    /// The tables handed out and not aborted.
    pub(crate) fn tables(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the file that ends up at `final_path` is written.
    pub(crate) fn location(&self, final_path: &str) -> String {
        match self.placement {
            Placement::Staged => self.target.staged(&self.run_id, final_path),
            Placement::Final => final_path.to_string(),
        }
    }

    fn encoding(&self) -> Encoding {
        match self.options.format {
            FileFormat::Parquet => Encoding::Parquet,
            FileFormat::ArrowIpc => Encoding::ArrowFile,
            FileFormat::Csv => Encoding::Csv,
        }
    }
}

/// Hands out the final names of a table's files.
#[derive(Debug)]
pub(crate) enum FileNames {
    /// `<folder>/part-NNNNN.<extension>`, from `next` on, skipping names in `taken` (files at
    /// the destination that this run must not replace).
    Parts {
        folder: String,
        extension: &'static str,
        next: u32,
        taken: HashSet<String>,
    },
    /// The one file of a single-file destination.
    Single { name: String, used: bool },
    /// `<folder>/part-NNNNN-<run>.<extension>`: names that no other run can take, for files
    /// written at their final paths.
    OfRun {
        folder: String,
        run: String,
        extension: &'static str,
        next: u32,
    },
}

impl FileNames {
    /// The path of part `index` of the table in `folder`.
    pub(crate) fn part(folder: &str, index: u32, extension: &str) -> String {
        join(folder, &format!("part-{index:05}.{extension}"))
    }

    /// The index of a part file name (`part-00012.parquet` is 12).
    pub(crate) fn index_of(file_name: &str) -> Option<u32> {
        let rest = file_name.strip_prefix("part-")?;
        let digits = rest.split('.').next()?;
        if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    fn next(&mut self) -> Option<String> {
        match self {
            FileNames::Parts {
                folder,
                extension,
                next,
                taken,
            } => loop {
                let path = Self::part(folder, *next, extension);
                *next = next.checked_add(1)?;
                if !taken.contains(&path) {
                    return Some(path);
                }
            },
            FileNames::Single { name, used } => {
                (!std::mem::replace(used, true)).then(|| name.clone())
            }
            FileNames::OfRun {
                folder,
                run,
                extension,
                next,
            } => {
                let path = join(folder, &format!("part-{next:05}-{run}.{extension}"));
                *next = next.checked_add(1)?;
                Some(path)
            }
        }
    }
}

/// The file being written.
#[derive(Debug)]
struct OpenFile {
    /// The final path, relative to the destination.
    path: String,
    /// Where it is staged, for messages.
    shown: String,
    encoder: Encoder<Counted<FileOutput>>,
    written: Arc<AtomicU64>,
    rows: u64,
}

impl OpenFile {
    fn bytes(&self) -> u64 {
        self.written.load(Ordering::Relaxed) + self.encoder.buffered_bytes()
    }
}

/// Writes one table of an export into staging; get one from `Staging::table`.
#[derive(Debug)]
pub struct TableWriter {
    run: Arc<RunContext>,
    table: String,
    schema: SchemaRef,
    metadata: Vec<(String, String)>,
    names: FileNames,
    open: Option<OpenFile>,
    files: Vec<FileReport>,
    /// The destination has no file of this table yet: if no row comes, an empty file (which still
    /// carries the schema) is written so that the table exists for readers.
    needs_a_file: bool,
    poisoned: bool,
    /// Files given up half-written after a failed write, for `abort` to delete.
    discarded: Vec<String>,
}

impl TableWriter {
    pub(crate) fn new(
        run: Arc<RunContext>,
        table: String,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        names: FileNames,
        needs_a_file: bool,
    ) -> TableWriter {
        TableWriter {
            run,
            table,
            schema,
            metadata,
            names,
            open: None,
            files: Vec::new(),
            needs_a_file,
            poisoned: false,
            discarded: Vec::new(),
        }
    }

    /// The table's schema; every batch must have it.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|file| file.rows).sum::<u64>()
            + self.open.as_ref().map_or(0, |file| file.rows)
    }

    /// Encodes `batch`, starting new files as the options require. After an error the writer takes
    /// no more batches; its staged files go with the run's abort.
    pub async fn write(&mut self, batch: RecordBatch) -> Result<(), SinkError> {
        if self.poisoned {
            return Err(SinkError::Poisoned {
                table: self.table.clone(),
            });
        }
        let written = self.write_rotating(batch).await;
        if written.is_err() {
            self.poisoned = true;
            if let Some(file) = self.open.take() {
                self.discarded.push(file.path.clone());
                discard(file).await;
            }
        }
        written
    }

    /// Gives the table up: deletes what it staged and aborts its upload in flight. The run goes
    /// on without it, and `Staging::table` may open the same table again (to restart it with
    /// another schema, say); the new writer reuses the same file names.
    pub async fn abort(mut self) -> Result<(), SinkError> {
        let target = self.run.target.clone();
        let mut staged: Vec<String> = self
            .files
            .iter()
            .map(|file| &file.path)
            .chain(&self.discarded)
            .map(|path| self.run.location(path))
            .collect();
        if let Some(file) = self.open.take() {
            staged.push(self.run.location(&file.path));
            discard(file).await;
        }
        for path in staged {
            target.storage.delete(&path).await?;
        }
        self.run.tables().retain(|table| *table != self.table);
        tracing::debug!(table = %self.table, "table aborted");
        Ok(())
    }

    /// Closes the last file and reports what the table wrote.
    pub async fn finish(mut self) -> Result<WrittenTable, SinkError> {
        if self.poisoned {
            return Err(SinkError::Poisoned {
                table: self.table.clone(),
            });
        }
        if let Some(file) = self.open.take() {
            self.close(file).await?;
        }
        if self.files.is_empty() && self.needs_a_file {
            let file = self.open_file().await?;
            self.close(file).await?;
        }
        Ok(WrittenTable {
            table: self.table.clone(),
            schema: self.schema.clone(),
            rows: self.files.iter().map(|file| file.rows).sum(),
            bytes: self.files.iter().map(|file| file.bytes).sum(),
            files: std::mem::take(&mut self.files),
            extra: Value::Object(Map::new()),
        })
    }

    async fn write_rotating(&mut self, batch: RecordBatch) -> Result<(), SinkError> {
        let batch = self.conform(batch)?;
        let max_rows = self.run.options.max_rows_per_file.unwrap_or(u64::MAX);
        let mut offset = 0;
        while offset < batch.num_rows() {
            let file = match self.open.take() {
                Some(file) => file,
                None => self.open_file().await?,
            };
            let room = usize::try_from(max_rows.saturating_sub(file.rows)).unwrap_or(usize::MAX);
            let take = (batch.num_rows() - offset).min(room.max(1));
            let file = self.encode(file, batch.slice(offset, take)).await?;
            offset += take;
            if self.is_full(&file) {
                self.close(file).await?;
            } else {
                self.open = Some(file);
            }
        }
        Ok(())
    }

    /// `batch` with the table's schema object, if its columns fit it.
    fn conform(&self, batch: RecordBatch) -> Result<RecordBatch, SinkError> {
        if Arc::ptr_eq(batch.schema_ref(), &self.schema) || batch.schema_ref() == &self.schema {
            return Ok(batch);
        }
        batch
            .with_schema(self.schema.clone())
            .map_err(|e| SinkError::BatchSchema {
                table: self.table.clone(),
                reason: e.to_string(),
            })
    }

    fn is_full(&self, file: &OpenFile) -> bool {
        let options = &self.run.options;
        options
            .max_rows_per_file
            .is_some_and(|max| file.rows >= max)
            || options
                .max_bytes_per_file
                .is_some_and(|max| file.bytes() >= max)
    }

    async fn open_file(&mut self) -> Result<OpenFile, SinkError> {
        let target = &self.run.target;
        let path = self.names.next().ok_or_else(|| {
            SinkError::usage(
                target.shown.clone(),
                format!(
                    "table '{}' needs more files than its destination can name",
                    self.table
                ),
            )
        })?;
        let staged = self.run.location(&path);
        let shown = target.storage.describe(&staged);
        let output = target.storage.create(&staged, &self.run.uploads).await?;
        let written = Arc::new(AtomicU64::new(0));
        let counted = Counted::new(output, written.clone());
        let (encoding, schema, metadata) = (
            self.run.encoding(),
            self.schema.clone(),
            self.metadata.clone(),
        );
        let options = self.run.options.clone();
        let encoder = encoding_step(&shown, move || {
            Encoder::new(encoding, counted, &schema, &options, &metadata)
        })
        .await?;
        tracing::debug!(table = %self.table, file = %shown, "file opened");
        Ok(OpenFile {
            path,
            shown,
            encoder,
            written,
            rows: 0,
        })
    }

    async fn encode(&self, mut file: OpenFile, piece: RecordBatch) -> Result<OpenFile, SinkError> {
        let rows = piece.num_rows() as u64;
        let shown = file.shown.clone();
        let mut file = encoding_step(&shown, move || {
            file.encoder.write(&piece)?;
            Ok(file)
        })
        .await?;
        file.rows += rows;
        Ok(file)
    }

    async fn close(&mut self, file: OpenFile) -> Result<(), SinkError> {
        let OpenFile {
            path,
            shown,
            encoder,
            written,
            rows,
        } = file;
        let finished = async {
            let (output, row_groups) = encoding_step(&shown, move || encoder.finish()).await?;
            output.into_inner().complete().await?;
            Ok::<_, SinkError>(row_groups)
        }
        .await;
        let row_groups = match finished {
            Ok(row_groups) => row_groups,
            Err(error) => {
                // Whatever of the file reached storage goes with the table's abort.
                self.discarded.push(path);
                return Err(error);
            }
        };
        let bytes = written.load(Ordering::Relaxed);
        tracing::debug!(table = %self.table, file = %shown, rows, bytes, "file written");
        let stats = file_stats(&self.schema, &row_groups);
        self.files.push(FileReport {
            path,
            rows,
            bytes,
            stats,
        });
        Ok(())
    }
}

/// Runs a step of the encoder (CPU-bound) on the blocking pool; a failure names the file `shown`.
async fn encoding_step<T: Send + 'static>(
    shown: &str,
    step: impl FnOnce() -> Result<T, EncodeError> + Send + 'static,
) -> Result<T, SinkError> {
    tokio::task::spawn_blocking(step)
        .await
        .map_err(|e| SinkError::task("encoder", e))?
        .map_err(|e| SinkError::Encode {
            path: shown.to_string(),
            reason: e.to_string(),
        })
}

/// Closes an unfinished file without completing it, on the blocking pool since a local file
/// flushes its buffer on drop. An upload that is not completed is aborted by its task.
async fn discard(file: OpenFile) {
    let _ = tokio::task::spawn_blocking(move || drop(file)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_numbered_and_skip_taken_ones() {
        assert_eq!(FileNames::part("", 3, "parquet"), "part-00003.parquet");
        assert_eq!(FileNames::part("sales", 12, "csv"), "sales/part-00012.csv");
        assert_eq!(FileNames::index_of("part-00012.parquet"), Some(12));
        assert_eq!(FileNames::index_of("part-123456.arrow"), Some(123456));
        assert_eq!(FileNames::index_of("part-1.parquet"), None);
        assert_eq!(FileNames::index_of("notes.txt"), None);
        let mut names = FileNames::Parts {
            folder: String::new(),
            extension: "parquet",
            next: 0,
            taken: HashSet::from(["part-00001.parquet".to_string()]),
        };
        assert_eq!(names.next().as_deref(), Some("part-00000.parquet"));
        assert_eq!(names.next().as_deref(), Some("part-00002.parquet"));
        let mut single = FileNames::Single {
            name: "s.csv".into(),
            used: false,
        };
        assert_eq!(single.next().as_deref(), Some("s.csv"));
        assert_eq!(single.next(), None);
    }
}
