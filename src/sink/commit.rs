//! One export run at a destination: opened (which first finishes or clears what earlier runs left),
//! tables written into a staging area, then committed or aborted. Readers of the destination see
//! the previous export until the commit, and the new one after it; never a mix, never a part.
//!
//! The protocol, the same on local disk and object stores (`docs/guarantees.md`, Commit):
//! 1. `open`: roll interrupted commits forward and delete abandoned runs
//!    (`recovery::clear_leftovers`), then check the write mode against what is there.
//! 2. Tables write to `_tsexport_staging/<run-id>/<final path>`.
//! 3. `commit` writes the new manifest to `_tsexport_staging/<run-id>/_manifest.json`: the commit
//!    point. Then `recovery::roll_forward` makes it visible.
//! 4. `abort`, or dropping the run, deletes the staging folder and aborts uploads in flight.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_schema::SchemaRef;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::destination::Destination;
use super::error::SinkError;
use super::layout::{check_relative, Layout, Target, MANIFEST_FILE, STAGING_DIR};
use super::manifest::{
    arrow_schema_value, columns_of, Manifest, ManifestColumn, ManifestFile, ManifestTable,
    MANIFEST_FORMAT_VERSION, RESERVED_TABLE_KEYS,
};
use super::options::{FileFormat, SinkOptions, WriteMode};
use super::recovery;
use super::storage::{join, Storage};
use super::upload::Uploads;
use super::writer::{FileNames, FileReport, Placement, RunContext, TableWriter, WrittenTable};

/// What a commit made visible.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The files this run wrote, at their final paths relative to the destination.
    pub files: Vec<FileReport>,
    /// Where the manifest is: a full path or URL.
    pub manifest_path: String,
    /// Rows and bytes this run wrote (an append's earlier files not included).
    pub rows: u64,
    /// Bytes of the files this run wrote.
    pub bytes: u64,
    /// The run's id, as the manifest records it.
    pub run_id: String,
}

/// One export being written: opened on a destination, tables written into staging, then
/// committed or aborted. Dropped without either, it deletes what it staged (best effort).
#[derive(Debug)]
pub struct Staging {
    run: Arc<RunContext>,
    /// The manifest of the export already at the destination.
    existing: Option<Manifest>,
    /// Files at the destination (outside staging) when the run opened, for naming new files.
    present: Vec<String>,
    /// Local folders this run created (innermost first), removed again if it commits nothing.
    created_folders: Vec<PathBuf>,
    /// Committed or aborted: nothing left for `Drop` to do.
    settled: bool,
}

impl Staging {
    /// Clears leftovers of earlier runs (rolls committed ones forward, deletes abandoned ones),
    /// checks `options.mode` against what is at the destination, and opens a run.
    pub async fn open(
        destination: Destination,
        options: SinkOptions,
    ) -> Result<Staging, SinkError> {
        options.validate()?;
        let target = Target::for_writing(&destination, &options)?;
        let created_folders = missing_local_folders(&target)?;
        recovery::clear_leftovers(&target).await?;
        let existing = target.read_manifest(&target.manifest_path()).await?;
        check_mode(&target, &options, existing.as_ref()).await?;
        let present = match (&target.layout, options.mode) {
            (Layout::Folder, WriteMode::Overwrite | WriteMode::Append) => {
                let staging = format!("{STAGING_DIR}/");
                target
                    .storage
                    .list("")
                    .await?
                    .into_iter()
                    .map(|file| file.path)
                    .filter(|path| !path.starts_with(&staging))
                    .collect()
            }
            _ => Vec::new(),
        };
        let run_id = new_run_id();
        tracing::debug!(destination = %target.shown, %run_id, mode = %options.mode, "run opened");
        Ok(Staging {
            run: Arc::new(RunContext {
                target: Arc::new(target),
                options,
                run_id,
                uploads: Uploads::new(),
                tables: Mutex::new(Vec::new()),
                placement: Placement::Staged,
            }),
            existing,
            present,
            created_folders,
            settled: false,
        })
    }

    /// Proves that a run could open and commit at `destination`, without touching what is there:
    /// checks `options.mode` against the destination, writes a small object into a fresh staging
    /// folder and deletes it again, with any local folders it had to create. Leftovers of other runs
    /// are left alone, so a check never disturbs a run in progress.
    pub async fn probe(destination: Destination, options: SinkOptions) -> Result<(), SinkError> {
        options.validate()?;
        let target = Target::for_writing(&destination, &options)?;
        let created_folders = missing_local_folders(&target)?;
        let outcome = async {
            let existing = target.read_manifest(&target.manifest_path()).await?;
            check_mode(&target, &options, existing.as_ref()).await?;
            let run_dir = target.run_dir(&new_run_id());
            let probe = join(&run_dir, "probe");
            let written = target
                .storage
                .put(
                    &probe,
                    Bytes::from_static(b"tsexport write probe"),
                    &join(&run_dir, "probe.tmp"),
                )
                .await;
            let removed = target.storage.delete_tree(&run_dir).await;
            written.and(removed)
        }
        .await;
        for folder in &created_folders {
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
        outcome
    }

    /// This run's id, `20261127T234501Z-<pid>-<random>`: sortable by start time.
    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// The manifest of the export already at the destination, if any.
    pub fn existing_manifest(&self) -> Option<&Manifest> {
        self.existing.as_ref()
    }

    /// The schema of the committed data already at the destination (from its `_manifest.json`),
    /// per table name, so that an append (or any next run) can start from it.
    pub fn existing_schema(&self, table: &str) -> Option<SchemaRef> {
        self.existing.as_ref()?.table(table)?.arrow_schema().ok()
    }

    /// A writer for one table. `table` is "" for a single-table export (files at the destination
    /// root) or a relative folder name (already sanitised by the caller) for one table of many.
    /// `metadata` goes into each file (Parquet key-value metadata, Arrow IPC footer) along with
    /// `tsexport.version`.
    pub fn table(
        &mut self,
        table: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
    ) -> Result<TableWriter, SinkError> {
        let target = &self.run.target;
        let usage = |reason: String| Err(SinkError::usage(target.shown.clone(), reason));
        if !table.is_empty() {
            if let Err(reason) = check_relative(table) {
                return usage(format!("table name {reason}"));
            }
        }
        let opened = self.run.tables().clone();
        if opened.iter().any(|name| name == table) {
            return usage(format!("table '{table}' is written twice in one export"));
        }
        if matches!(target.layout, Layout::File { .. }) && !opened.is_empty() {
            return usage(
                "a single-file destination holds one table, and this export has several; give a folder instead".to_string(),
            );
        }
        let old = self
            .existing
            .as_ref()
            .and_then(|manifest| manifest.table(table));
        if self.run.options.mode == WriteMode::Append {
            if let Some(old) = old {
                let new = columns_of(&schema);
                if old.schema != new {
                    return Err(SinkError::SchemaChanged {
                        destination: target.shown.clone(),
                        table: table.to_string(),
                        existing: describe_columns(&old.schema),
                        new: describe_columns(&new),
                    });
                }
            }
        }
        let names = match &target.layout {
            Layout::File { name } => FileNames::Single {
                name: name.clone(),
                used: false,
            },
            Layout::Folder => self.part_names(table),
        };
        let needs_a_file = match (self.run.options.mode, old) {
            (WriteMode::Append, Some(old)) => old.files.is_empty(),
            _ => true,
        };
        self.run.tables().push(table.to_string());
        Ok(TableWriter::new(
            self.run.clone(),
            table.to_string(),
            schema,
            metadata,
            names,
            needs_a_file,
        ))
    }

    /// Makes everything written visible, then writes `_manifest.json` and `_SUCCESS`. `tables`
    /// are the reports of every table this run opened; `source` goes into the manifest as given.
    ///
    /// An error before the commit point deletes what was staged; an error after it
    /// ([`SinkError::NotYetVisible`]) leaves the run to be finished by the next one.
    pub async fn commit(
        mut self,
        tables: Vec<WrittenTable>,
        source: Value,
    ) -> Result<Committed, SinkError> {
        self.settled = true;
        // Tables that were never finished may still be uploading; they are not part of the commit.
        self.run.uploads.cancel_and_wait().await;
        if let Err(e) = self.check_reports(&tables) {
            self.discard().await;
            return Err(e);
        }
        let manifest = self.manifest(&tables, source);
        let target = &self.run.target;
        let run_dir = target.run_dir(&self.run.run_id);
        let staged = target.staged_manifest(&self.run.run_id);
        let temp = join(&run_dir, "_manifest.json.tmp");
        if let Err(e) = target
            .storage
            .put(&staged, Bytes::from(manifest.to_json()), &temp)
            .await
        {
            self.discard().await;
            return Err(e);
        }
        recovery::roll_forward(target, &manifest)
            .await
            .map_err(|e| SinkError::NotYetVisible {
                destination: target.shown.clone(),
                source: Box::new(e),
            })?;
        let files: Vec<FileReport> = tables
            .iter()
            .flat_map(|table| table.files.iter().cloned())
            .collect();
        Ok(Committed {
            rows: files.iter().map(|file| file.rows).sum(),
            bytes: files.iter().map(|file| file.bytes).sum(),
            files,
            manifest_path: target.storage.describe(&target.manifest_path()),
            run_id: self.run.run_id.clone(),
        })
    }

    /// Deletes what this run staged and aborts its uploads; the destination is as it was.
    pub async fn abort(mut self) -> Result<(), SinkError> {
        self.settled = true;
        self.run.uploads.cancel_and_wait().await;
        let target = &self.run.target;
        target
            .storage
            .delete_tree(&target.run_dir(&self.run.run_id))
            .await?;
        self.remove_created_folders();
        tracing::debug!(destination = %target.shown, run_id = %self.run.run_id, "run aborted");
        Ok(())
    }

    /// Best-effort abort after a failed commit step: the error that caused it is what matters.
    async fn discard(&self) {
        let target = &self.run.target;
        if let Err(e) = target
            .storage
            .delete_tree(&target.run_dir(&self.run.run_id))
            .await
        {
            tracing::warn!(error = %e, "could not delete the staged files of a failed run");
        }
        self.remove_created_folders();
    }

    fn remove_created_folders(&self) {
        for folder in &self.created_folders {
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
    }

    /// Names for a table's new files: overwrite starts at part 0 (replacing tsexport's old files)
    /// but skips names of files it does not own; append continues after every existing part.
    fn part_names(&self, table: &str) -> FileNames {
        let owned: HashSet<&str> = self
            .existing
            .iter()
            .flat_map(|manifest| manifest.files())
            .map(|file| file.path.as_str())
            .collect();
        let in_table =
            |path: &&String| path.rsplit_once('/').map_or("", |(folder, _)| folder) == table;
        let append = self.run.options.mode == WriteMode::Append;
        let mut taken: HashSet<String> = HashSet::new();
        for path in self.present.iter().filter(in_table) {
            if append || !owned.contains(path.as_str()) {
                taken.insert(path.clone());
            }
        }
        if append {
            taken.extend(
                owned
                    .iter()
                    .map(|path| path.to_string())
                    .filter(|path| in_table(&path)),
            );
        }
        let next = if append {
            taken
                .iter()
                .filter_map(|path| FileNames::index_of(path.rsplit('/').next().unwrap_or(path)))
                .max()
                .map_or(0, |last| last.saturating_add(1))
        } else {
            0
        };
        FileNames::Parts {
            folder: table.to_string(),
            extension: self.run.options.format.extension(),
            next,
            taken,
        }
    }

    fn check_reports(&self, tables: &[WrittenTable]) -> Result<(), SinkError> {
        let usage = |reason: String| Err(SinkError::usage(self.run.target.shown.clone(), reason));
        let opened = self.run.tables().clone();
        let mut reported = HashSet::new();
        for report in tables {
            if !opened.contains(&report.table) {
                return usage(format!(
                    "table '{}' was not written by this run",
                    report.table
                ));
            }
            if !reported.insert(report.table.as_str()) {
                return usage(format!("table '{}' is reported twice", report.table));
            }
        }
        if let Some(missing) = opened
            .iter()
            .find(|table| !reported.contains(table.as_str()))
        {
            return usage(format!(
                "table '{missing}' was opened but not reported; finish it and pass its report to commit, or abort the run"
            ));
        }
        Ok(())
    }

    /// The manifest after this run: its tables, plus (append) the tables and files already there.
    fn manifest(&self, tables: &[WrittenTable], source: Value) -> Manifest {
        let run = &self.run;
        let mut entries: BTreeMap<String, ManifestTable> = BTreeMap::new();
        if run.options.mode == WriteMode::Append {
            for table in self
                .existing
                .iter()
                .flat_map(|manifest| manifest.tables.iter())
            {
                entries.insert(table.name.clone(), table.clone());
            }
        }
        for report in tables {
            let entry = entries
                .entry(report.table.clone())
                .or_insert_with(|| ManifestTable {
                    name: report.table.clone(),
                    rows: 0,
                    bytes: 0,
                    schema: Vec::new(),
                    arrow_schema: Value::Null,
                    files: Vec::new(),
                    extra: Map::new(),
                });
            entry.schema = columns_of(&report.schema);
            entry.arrow_schema = arrow_schema_value(&report.schema);
            entry
                .files
                .extend(report.files.iter().map(|file| ManifestFile {
                    path: file.path.clone(),
                    rows: file.rows,
                    bytes: file.bytes,
                    run_id: run.run_id.clone(),
                }));
            entry.rows = entry.files.iter().map(|file| file.rows).sum();
            entry.bytes = entry.files.iter().map(|file| file.bytes).sum();
            entry.extra.extend(caller_extra(&report.extra));
        }
        let tables: Vec<ManifestTable> = entries.into_values().collect();
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            tool: "tsexport".to_string(),
            tool_version: crate::VERSION.to_string(),
            run_id: run.run_id.clone(),
            committed_at: DateTime::<Utc>::from(SystemTime::now())
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            mode: run.options.mode.to_string(),
            format: run.options.format.to_string(),
            codec: (run.options.format == FileFormat::Parquet)
                .then(|| run.options.codec.to_string()),
            source,
            rows: tables.iter().map(|table| table.rows).sum(),
            bytes: tables.iter().map(|table| table.bytes).sum(),
            tables,
        }
    }
}

impl Drop for Staging {
    /// A run dropped without commit or abort (an error unwound past it, a task was cancelled)
    /// cleans up as an abort would: uploads are cancelled; a local staging folder is removed here,
    /// an object-store one by a background task when a runtime is available. Whatever survives is
    /// cleared by the next run.
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        self.run.uploads.cancel();
        let run_dir = self.run.target.run_dir(&self.run.run_id);
        match &self.run.target.storage {
            Storage::Local { .. } => {
                self.run.target.storage.remove_local_tree_now(&run_dir);
                self.remove_created_folders();
            }
            Storage::Store { .. } => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let run = self.run.clone();
                    runtime.spawn(async move {
                        run.uploads.cancel_and_wait().await;
                        let _ = run.target.storage.delete_tree(&run_dir).await;
                    });
                }
            }
        }
    }
}

/// Refuses to start when the mode does not allow what is at the destination.
async fn check_mode(
    target: &Target,
    options: &SinkOptions,
    existing: Option<&Manifest>,
) -> Result<(), SinkError> {
    let storage = &target.storage;
    match options.mode {
        WriteMode::Overwrite => Ok(()),
        WriteMode::Append => match existing {
            Some(manifest) if manifest.format != options.format.to_string() => Err(SinkError::usage(
                target.shown.clone(),
                format!(
                    "it holds {} files and this export writes {}; append with the same format, or use the overwrite mode",
                    manifest.format, options.format
                ),
            )),
            _ => Ok(()),
        },
        WriteMode::ErrorIfExists => {
            let not_empty = |found: String| {
                Err(SinkError::NotEmpty {
                    destination: target.shown.clone(),
                    found,
                })
            };
            if existing.is_some() {
                return not_empty(format!("an export: {}", storage.describe(&target.manifest_path())));
            }
            match &target.layout {
                Layout::Folder => {
                    let entries: Vec<String> = storage
                        .children("")
                        .await?
                        .into_iter()
                        .filter(|name| name != STAGING_DIR && name != MANIFEST_FILE)
                        .collect();
                    match entries.first() {
                        None => Ok(()),
                        Some(first) => not_empty(format!(
                            "{} entr{}, such as '{first}'",
                            entries.len(),
                            if entries.len() == 1 { "y" } else { "ies" }
                        )),
                    }
                }
                Layout::File { name } => {
                    if storage.exists(name).await? {
                        not_empty(format!("the file {}", storage.describe(name)))
                    } else {
                        Ok(())
                    }
                }
            }
        }
    }
}

/// The local folders from the destination root up that do not exist yet (innermost first), so
/// that a run that commits nothing can leave the disk as it found it. Also refuses a folder
/// destination that is a file.
fn missing_local_folders(target: &Target) -> Result<Vec<PathBuf>, SinkError> {
    let Storage::Local { root } = &target.storage else {
        return Ok(Vec::new());
    };
    if target.layout == Layout::Folder && root.is_file() {
        return Err(SinkError::usage(
            target.shown.clone(),
            "it is a file; give a folder, or a file name ending in .parquet, .arrow or .csv",
        ));
    }
    Ok(root
        .ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .map(|folder| folder.to_path_buf())
        .collect())
}

/// The caller's extra keys for a table entry, without the keys the manifest itself uses.
fn caller_extra(extra: &Value) -> Map<String, Value> {
    match extra {
        Value::Object(map) => map
            .iter()
            .filter(|(key, _)| !RESERVED_TABLE_KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        Value::Null => Map::new(),
        other => Map::from_iter([("extra".to_string(), other.clone())]),
    }
}

fn describe_columns(columns: &[ManifestColumn]) -> String {
    let listed: Vec<String> = columns
        .iter()
        .map(|column| {
            let null = if column.nullable { "" } else { " not null" };
            format!("{} {}{null}", column.name, column.data_type)
        })
        .collect();
    format!("({})", listed.join(", "))
}

/// A run id sortable by start time: `20261127T234501Z-<pid>-<8 hex digits>`. The random part
/// (std's per-process random hash keys, mixed with the clock) keeps two runs started in the
/// same second by the same process apart.
pub(crate) fn new_run_id() -> String {
    let now = SystemTime::now();
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!(
        "{}-{}-{:08x}",
        DateTime::<Utc>::from(now).format("%Y%m%dT%H%M%SZ"),
        std::process::id(),
        hasher.finish() as u32
    )
}
