//! An export: a search, or the vizzes of a pinboard, read as batches ([`crate::read`]) and
//! written to a destination ([`crate::sink`]), committed only when every table is complete.
//!
//! A value that does not fit its column's type is never dropped or changed. By default the column is
//! widened losslessly and the table is read again from its first row: nothing was committed, so the
//! restart is invisible but for the summary's `restarts`. With [`DriftPolicy::Fail`] the export stops
//! and names the column, row and value. Progress goes to a callback, never to the terminal.
//!
//! ```no_run
//! # async fn run(client: tsexport::api::Client) -> Result<(), tsexport::export::ExportError> {
//! use tsexport::export::Export;
//! let summary = Export::search(&client, "[Region] [Sales] sort by [Region]", "5a1e9c84-0000-4000-8000-000000000001")
//!     .to("s3://lake/retail/sales_by_region/")
//!     .run()
//!     .await?;
//! println!("{} rows in {} files", summary.rows, summary.files);
//! # Ok(()) }
//! ```

mod landing;
mod options;
mod stream;
mod table;

pub use options::{
    DriftPolicy, ExportOptions, OutputFormat, Settings, SettingsError, UnknownDriftPolicy,
    MAX_IN_FLIGHT, MAX_PAGE_SIZE,
};
pub use stream::StreamSummary;
pub use table::TableScope;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow_schema::SchemaRef;
use chrono_tz::Tz;
use futures_util::StreamExt;
use serde_json::json;

use crate::api::{AnswerRequest, ApiVersion, Client, SearchRequest};
use crate::decode::{ColumnType, TypeSource};
use crate::lake::LakeError;
use crate::read::{self, PageStats, ReadError, TableSource};
use crate::select::{select_vizzes, VizSelectionError};
use crate::sink::{
    Destination, DestinationError, FileReport, InvalidOption, PartitionError, SinkError, Staging,
};
use landing::{Landed, Landing};

/// What to export.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportSource {
    /// A search query over one worksheet, view or table.
    Search(SearchRequest),
    /// A pinboard's vizzes: those listed, or every viz that holds data.
    Pinboard {
        /// The pinboard, by id or name.
        pinboard: String,
        /// The vizzes to export, by id or exact name; empty: every viz with data.
        vizzes: Vec<String>,
    },
    /// A saved Answer (REST v2 only).
    Answer(AnswerRequest),
    /// One of ThoughtSpot's own logs over a range of days (REST v2 `logs/fetch`).
    Log(crate::logs::LogRequest),
}

/// What an export reports while it runs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A table's schema is known and its pages are coming.
    TableStarted {
        /// The table's folder under the destination ("" for a single table).
        table: String,
        /// The table's Arrow schema, as written.
        schema: SchemaRef,
    },
    /// A page was written.
    Page {
        /// The table's folder under the destination.
        table: String,
        /// Rows of the table read so far (this attempt).
        rows: u64,
        /// The largest `totalRowCount` the server reported so far; None until it reports one.
        rows_expected: Option<u64>,
        /// Bytes of JSON received for the table so far.
        json_bytes: u64,
    },
    /// A value did not fit; the table is read again with a wider type.
    Restarted {
        /// The table's folder under the destination.
        table: String,
        /// The columns widened, each with the value and row that did not fit.
        reason: String,
    },
    /// A table was read to its end and its files finished.
    TableFinished {
        /// The table's folder under the destination.
        table: String,
        /// Rows written for the table.
        rows: u64,
    },
    /// Every table committed.
    Committed {
        /// Rows written, over all tables.
        rows: u64,
        /// Data files written, over all tables.
        files: usize,
    },
}

/// Receives [`Progress`] events, on the export's task.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// One table of a finished export.
#[derive(Debug, Clone)]
pub struct TableSummary {
    /// The folder under the destination ("" for a single table).
    pub name: String,
    /// The viz id, for a pinboard's viz; None for a search or an answer.
    pub viz: Option<String>,
    /// The viz's name, for a pinboard's viz; None for a search or an answer.
    pub viz_name: Option<String>,
    /// Rows written.
    pub rows: u64,
    /// The largest `totalRowCount` the server reported.
    pub rows_expected: Option<u64>,
    /// Result pages read.
    pub pages: u64,
    /// Bytes of JSON received.
    pub json_bytes: u64,
    /// The lowest sampling ratio the server reported (1 = not sampled).
    pub sampling_ratio: f64,
    /// The data files written for the table.
    pub files: Vec<FileReport>,
    /// The Arrow schema the table was written with.
    pub schema: SchemaRef,
    /// How many times the table was read again from its first row after a column was widened.
    pub restarts: u32,
}

/// A finished, committed export.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The destination as given to [`Export::to`].
    pub destination: String,
    /// The manifest the commit wrote.
    pub manifest: String,
    /// Per table: the search, or each viz.
    pub tables: Vec<TableSummary>,
    /// Rows written, over all tables.
    pub rows: u64,
    /// Data files written, over all tables.
    pub files: usize,
    /// Bytes written, over all data files.
    pub bytes: u64,
    /// How long the export took, in seconds.
    pub seconds: f64,
    /// The table version the commit made, for a lake table.
    pub table_version: Option<u64>,
}

impl Summary {
    /// The summary as JSON: what `tsexport search --json` prints and the Python package's `export`
    /// returns, so both describe an export in the same words.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "destination": self.destination,
            "manifest": self.manifest,
            "table_version": self.table_version,
            "rows": self.rows,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": self.seconds,
            "tables": self.tables.iter().map(TableSummary::to_json).collect::<Vec<_>>(),
        })
    }
}

impl TableSummary {
    fn to_json(&self) -> serde_json::Value {
        let files = self
            .files
            .iter()
            .map(|f| serde_json::json!({"path": f.path, "rows": f.rows, "bytes": f.bytes}));
        let columns = self
            .schema
            .fields()
            .iter()
            .map(|f| serde_json::json!({"name": f.name(), "type": f.data_type().to_string()}));
        serde_json::json!({
            "name": self.name,
            "viz": self.viz,
            "viz_name": self.viz_name,
            "rows": self.rows,
            "rows_expected": self.rows_expected,
            "pages": self.pages,
            "json_bytes": self.json_bytes,
            "sampling_ratio": self.sampling_ratio,
            "restarts": self.restarts,
            "files": files.collect::<Vec<_>>(),
            "columns": columns.collect::<Vec<_>>(),
        })
    }
}

/// Why an export did not commit. The destination is as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading a table failed (request, decoding, incompleteness or a value that did not fit).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing or committing the files failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The destination is not a valid one.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// The export's options are invalid.
    #[error(transparent)]
    Options(#[from] InvalidOption),
    /// The vizzes asked for are not (uniquely) on the pinboard.
    #[error(transparent)]
    Viz(#[from] VizSelectionError),
    /// The table cannot be partitioned as asked, or a partition could not be written.
    #[error(transparent)]
    Partition(#[from] PartitionError),
    /// [`Export::run`] without [`Export::to`].
    #[error("the export has no destination: give one with Export::to")]
    NoDestination,
    /// The pinboard has no viz that holds data.
    #[error("pinboard {pinboard} has no viz with data to export")]
    NoVizWithData {
        /// The pinboard, as given.
        pinboard: String,
    },
    /// [`Export::to_writer`] writes one table: a pinboard export must pick exactly one viz.
    #[error("a stream holds one table: pick one viz of the pinboard (got {vizzes}), or export to a destination")]
    StreamNeedsOneViz {
        /// How many vizzes the export picked.
        vizzes: usize,
    },
    /// The thread writing the stream stopped (panicked or was cancelled).
    #[error("writing the stream stopped: {0}")]
    StreamStopped(String),
    /// Writing or committing a lake table failed, or it cannot take this export.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// A lake table holds one table: a pinboard export must pick one viz.
    #[error("a table holds one result: pick one viz of the pinboard (got {vizzes}), or export to Parquet files")]
    TableNeedsOneViz {
        /// How many vizzes the export picked.
        vizzes: usize,
    },
    /// A lake table cannot be written to a stream.
    #[error("a {0} table is a folder of files and a log: give its root (a folder or an object-store URL), not a stream")]
    TableToStream(crate::lake::TableFormat),
    /// This build has no support for the table format asked for.
    #[error("this build of tsexport cannot write {0} tables (built without the `delta` feature)")]
    NoTableSupport(crate::lake::TableFormat),
}

impl ExportError {
    /// The kind of this failure, for exit codes and reports.
    pub fn kind(&self) -> crate::failure::FailureKind {
        use crate::failure::FailureKind as K;
        match self {
            ExportError::Read(read) => read.kind(),
            ExportError::Viz(viz) => viz.kind(),
            ExportError::Sink(sink) | ExportError::Partition(PartitionError::Sink(sink)) => {
                sink_kind(sink)
            }
            ExportError::StreamStopped(_) => K::Other,
            ExportError::Lake(lake) => lake.kind(),
            ExportError::TableNeedsOneViz { .. }
            | ExportError::TableToStream(_)
            | ExportError::NoTableSupport(_) => K::Usage,
            ExportError::Destination(_)
            | ExportError::Options(_)
            | ExportError::Partition(_)
            | ExportError::NoDestination
            | ExportError::NoVizWithData { .. }
            | ExportError::StreamNeedsOneViz { .. } => K::Usage,
        }
    }
}

/// Refusals of what was asked are usage errors; failures to write are not.
fn sink_kind(error: &SinkError) -> crate::failure::FailureKind {
    use crate::failure::FailureKind as K;
    use crate::sink::SinkError as S;
    match error {
        S::Options(_) | S::Usage { .. } | S::NotEmpty { .. } | S::SchemaChanged { .. } => K::Usage,
        _ => K::Other,
    }
}

impl From<crate::api::Error> for ExportError {
    fn from(error: crate::api::Error) -> Self {
        ExportError::Read(error.into())
    }
}

/// An export to build and [`run`](Export::run).
#[derive(Clone)]
pub struct Export {
    client: Client,
    source: ExportSource,
    destination: Option<String>,
    options: ExportOptions,
    progress: Option<ProgressFn>,
    scope: TableScope,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("source", &self.source)
            .field("destination", &self.destination)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Export {
    /// An export of `source`, with default options and no destination yet.
    pub fn new(client: &Client, source: ExportSource) -> Self {
        Self {
            client: client.clone(),
            source,
            destination: None,
            options: ExportOptions::default(),
            progress: None,
            scope: TableScope::default(),
        }
    }

    /// A search over one worksheet, view or table.
    pub fn search(
        client: &Client,
        query: impl Into<String>,
        data_source: impl Into<String>,
    ) -> Self {
        Self::new(
            client,
            ExportSource::Search(SearchRequest::new(query, data_source)),
        )
    }

    /// Every data viz of a pinboard, one folder each; narrow it with [`viz`](Export::viz).
    pub fn pinboard(client: &Client, pinboard: impl Into<String>) -> Self {
        Self::new(
            client,
            ExportSource::Pinboard {
                pinboard: pinboard.into(),
                vizzes: Vec::new(),
            },
        )
    }

    /// A saved Answer, by GUID or name (read through REST v2).
    pub fn answer(client: &Client, answer: impl Into<String>) -> Self {
        Self::new(client, ExportSource::Answer(AnswerRequest::new(answer)))
    }

    /// A log of the cluster's own (the security audit log) over a range of days.
    pub fn log(client: &Client, request: crate::logs::LogRequest) -> Self {
        Self::new(client, ExportSource::Log(request))
    }

    /// Adds a viz of the pinboard (ignored for searches).
    pub fn viz(mut self, viz: impl Into<String>) -> Self {
        if let ExportSource::Pinboard { vizzes, .. } = &mut self.source {
            vizzes.push(viz.into());
        }
        self
    }

    /// A local path or an object-store URL (`s3://`, `gs://`, `az://`, `file://`).
    pub fn to(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }

    /// Sets the export's options (format, compression, types, drift policy, ...).
    pub fn options(mut self, options: ExportOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `progress` with each [`Progress`] event, on the export's task.
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn report(&self, event: Progress) {
        if let Some(progress) = &self.progress {
            progress(&event);
        }
    }

    /// Reads every table, writes it to staging, and commits; on any error the staged files are
    /// removed and the destination is left as it was.
    pub async fn run(self) -> Result<Summary, ExportError> {
        let started = Instant::now();
        let given = self.destination.clone().ok_or(ExportError::NoDestination)?;
        self.options.sink.validate()?;
        let destination = Destination::parse(&given)?;
        let zone = match self.options.read.time_zone {
            Some(zone) => zone,
            None => read::cluster_time_zone(&self.client).await?,
        };
        let api = self.client.data_api().await?;
        let tables = self.tables(api).await?;
        if let Some(format) = self.options.table {
            return self
                .run_table(format, given, destination, zone, api, tables, started)
                .await;
        }
        let mut staging = Staging::open(destination, self.options.sink.clone()).await?;
        let mut summaries = Vec::with_capacity(tables.len());
        let mut reports = Vec::with_capacity(tables.len());
        for table in &tables {
            let known = known_types(staging.existing_schema(&table.folder));
            let mut landing = Landing::Folder(&mut staging);
            match self.write_table(&mut landing, table, zone, known).await {
                Ok((landed, summary)) => {
                    reports.extend(landed.into_parts().0);
                    summaries.push(summary);
                }
                Err(error) => {
                    if let Err(cleanup) = staging.abort().await {
                        tracing::warn!(%cleanup, "could not remove this run's staged files; the next run will");
                    }
                    return Err(error);
                }
            }
        }
        let committed = staging
            .commit(reports, self.source_json(&tables, api))
            .await?;
        self.report(Progress::Committed {
            rows: committed.rows,
            files: committed.files.len(),
        });
        Ok(Summary {
            destination: given,
            manifest: committed.manifest_path,
            tables: summaries,
            rows: committed.rows,
            files: committed.files.len(),
            bytes: committed.bytes,
            seconds: started.elapsed().as_secs_f64(),
            table_version: None,
        })
    }

    /// The tables to write: one for a search; one per viz for a pinboard, each in a folder named after
    /// the viz unless a single viz was asked for.
    async fn tables(&self, api: ApiVersion) -> Result<Vec<Table>, ExportError> {
        match &self.source {
            ExportSource::Search(request) => Ok(vec![Table {
                folder: String::new(),
                source: TableSource::Search(request.clone()),
                viz: None,
                viz_name: None,
                api,
            }]),
            ExportSource::Answer(request) => Ok(vec![Table {
                folder: String::new(),
                source: TableSource::Answer(request.clone()),
                viz: None,
                viz_name: None,
                api,
            }]),
            ExportSource::Log(request) => Ok(vec![Table {
                folder: String::new(),
                source: TableSource::Log(request.clone()),
                viz: None,
                viz_name: None,
                api: ApiVersion::V2,
            }]),
            ExportSource::Pinboard { pinboard, vizzes } => {
                let available = read::pinboard_vizzes(&self.client, pinboard).await?;
                let chosen = select_vizzes(pinboard, &available, vizzes)?;
                if chosen.is_empty() {
                    return Err(ExportError::NoVizWithData {
                        pinboard: pinboard.clone(),
                    });
                }
                let single = vizzes.len() == 1;
                let mut folders = HashSet::new();
                Ok(chosen
                    .into_iter()
                    .map(|header| {
                        let folder = if single {
                            String::new()
                        } else {
                            unique_folder(&header.name, &header.id, &mut folders)
                        };
                        Table {
                            folder,
                            source: TableSource::Viz {
                                pinboard: pinboard.clone(),
                                viz: header.id.clone(),
                            },
                            viz: Some(header.id),
                            viz_name: Some(header.name),
                            api,
                        }
                    })
                    .collect())
            }
        }
    }

    /// Reads one table into `landing`, widening and starting over while values do not fit. Columns
    /// in `known_types` (from the data already at the destination) keep their type.
    async fn write_table(
        &self,
        landing: &mut Landing<'_>,
        table: &Table,
        zone: Tz,
        known_types: Vec<(String, ColumnType)>,
    ) -> Result<(Landed, TableSummary), ExportError> {
        let metadata = read::source_metadata(&self.client, &table.source).await?;
        let mut options = self.options.read.clone();
        for (column, column_type) in known_types {
            options.fixed_types.entry(column).or_insert(column_type);
        }
        let mut restarts = 0;
        loop {
            let stream = read::open(&self.client, &table.source, &options, &metadata, zone).await?;
            let schema = stream.schema();
            self.report(Progress::TableStarted {
                table: table.folder.clone(),
                schema: schema.clone(),
            });
            let mut writer = landing.open(
                &table.folder,
                schema.clone(),
                self.file_metadata(table),
                self.options.partition.as_ref(),
            )?;
            let mut pages = stream.with_stats();
            let mut stats = PageStats::default();
            let mut misfits = None;
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => {
                        stats = page.stats;
                        if let Err(error) = writer.write(landing, page.batch).await {
                            drop(pages);
                            writer.abort().await?;
                            return Err(error);
                        }
                        self.report(Progress::Page {
                            table: table.folder.clone(),
                            rows: stats.rows,
                            rows_expected: stats.rows_expected,
                            json_bytes: stats.bytes,
                        });
                    }
                    Err(ReadError::Misfits { misfits: found }) => {
                        misfits = Some(found);
                        break;
                    }
                    Err(other) => {
                        drop(pages);
                        writer.abort().await?;
                        return Err(other.into());
                    }
                }
            }
            drop(pages);
            let Some(found) = misfits else {
                let extra = json!({
                    "viz": table.viz,
                    "viz_name": table.viz_name,
                    "rows_expected": stats.rows_expected,
                    "sampling_ratio": stats.sampling_ratio,
                    "pages": stats.pages,
                    "json_bytes": stats.bytes,
                    "restarts": restarts,
                });
                let landed = writer.finish(extra).await?;
                let files = landed.files();
                let rows = files.iter().map(|f| f.rows).sum();
                self.report(Progress::TableFinished {
                    table: table.folder.clone(),
                    rows,
                });
                let summary = TableSummary {
                    name: table.folder.clone(),
                    viz: table.viz.clone(),
                    viz_name: table.viz_name.clone(),
                    rows,
                    rows_expected: stats.rows_expected,
                    pages: stats.pages,
                    json_bytes: stats.bytes,
                    sampling_ratio: stats.sampling_ratio,
                    files,
                    schema,
                    restarts,
                };
                return Ok((landed, summary));
            };
            writer.abort().await?;
            let widened = self.widen(&mut options.fixed_types, &found, restarts)?;
            restarts += 1;
            tracing::info!(table = %table.folder, %widened, "a value did not fit; reading the table again with wider types");
            self.report(Progress::Restarted {
                table: table.folder.clone(),
                reason: widened,
            });
        }
    }

    /// Records the wider types `misfits` call for, or says why the export must stop instead.
    fn widen(
        &self,
        fixed: &mut HashMap<String, ColumnType>,
        misfits: &[crate::decode::Misfit],
        restarts: u32,
    ) -> Result<String, ExportError> {
        let stop = || ReadError::Misfits {
            misfits: misfits.to_vec(),
        };
        if self.options.on_drift == DriftPolicy::Fail || restarts >= self.options.max_restarts {
            return Err(stop().into());
        }
        let mut changes = Vec::new();
        for misfit in misfits {
            match (misfit.type_source, misfit.widened) {
                (TypeSource::Hint, _) | (_, None) => return Err(stop().into()),
                (_, Some(wider)) => {
                    fixed.insert(misfit.column.clone(), wider);
                    changes.push(format!(
                        "'{}' {} -> {wider} ({} at row {})",
                        misfit.column,
                        misfit.column_type,
                        misfit.value,
                        misfit.row + 1
                    ));
                }
            }
        }
        Ok(changes.join(", "))
    }

    /// Key-value metadata for every file: where the data came from, never a credential.
    fn file_metadata(&self, table: &Table) -> Vec<(String, String)> {
        let mut metadata = vec![
            (
                "tsexport.cluster".to_string(),
                self.client.root_url().to_string(),
            ),
            ("tsexport.api".to_string(), table.api.to_string()),
        ];
        match &table.source {
            TableSource::Search(request) => {
                metadata.push(("tsexport.source".into(), "search".into()));
                metadata.push(("tsexport.data_source".into(), request.data_source.clone()));
                metadata.push(("tsexport.query".into(), request.query.clone()));
            }
            TableSource::Viz { pinboard, viz } => {
                metadata.push(("tsexport.source".into(), "pinboard".into()));
                metadata.push(("tsexport.pinboard".into(), pinboard.clone()));
                metadata.push(("tsexport.viz".into(), viz.clone()));
                if let Some(name) = &table.viz_name {
                    metadata.push(("tsexport.viz_name".into(), name.clone()));
                }
            }
            TableSource::Answer(request) => {
                metadata.push(("tsexport.source".into(), "answer".into()));
                metadata.push(("tsexport.answer".into(), request.answer.clone()));
            }
            TableSource::Log(request) => {
                metadata.push(("tsexport.source".into(), "log".into()));
                metadata.push(("tsexport.log".into(), request.log_type.to_string()));
                metadata.push(("tsexport.log_from".into(), request.from.to_string()));
                if let Some(to) = request.to {
                    metadata.push(("tsexport.log_to".into(), to.to_string()));
                }
            }
        }
        metadata
    }

    fn source_json(&self, tables: &[Table], api: ApiVersion) -> serde_json::Value {
        let cluster = self.client.root_url();
        match &self.source {
            ExportSource::Search(request) => json!({
                "kind": "search",
                "cluster": cluster,
                "api": api,
                "data_source": request.data_source,
                "query": request.query,
            }),
            ExportSource::Pinboard { pinboard, .. } => json!({
                "kind": "pinboard",
                "cluster": cluster,
                "api": api,
                "pinboard": pinboard,
                "vizzes": tables.iter().map(|t| json!({"id": t.viz, "name": t.viz_name, "folder": t.folder})).collect::<Vec<_>>(),
            }),
            ExportSource::Answer(request) => json!({
                "kind": "answer",
                "cluster": cluster,
                "api": api,
                "answer": request.answer,
            }),
            ExportSource::Log(request) => json!({
                "kind": "log",
                "cluster": cluster,
                "api": ApiVersion::V2,
                "log": request.log_type.to_string(),
                "from": request.from,
                "to": request.to,
            }),
        }
    }
}

/// The types of the columns of `schema` (data already at the destination), which later runs keep.
fn known_types(schema: Option<SchemaRef>) -> Vec<(String, ColumnType)> {
    schema
        .iter()
        .flat_map(|schema| schema.fields().iter().cloned().collect::<Vec<_>>())
        .filter_map(|field| {
            ColumnType::from_arrow(field.data_type()).map(|t| (field.name().clone(), t))
        })
        .collect()
}

/// One table of an export.
#[derive(Debug, Clone)]
struct Table {
    folder: String,
    source: TableSource,
    viz: Option<String>,
    viz_name: Option<String>,
    /// The REST API its pages are read through.
    api: ApiVersion,
}

/// A folder name for a viz: its name in lower-case letters, digits and `_` (so `../x`, slashes and
/// control characters cannot leave the destination, and it never starts with `_` or `.`, which the
/// sink reserves), made unique with the start of the viz id.
pub fn unique_folder(name: &str, id: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let mut slug: String = slug.trim_matches('_').chars().take(64).collect();
    if slug.is_empty() {
        slug = "viz".into();
    }
    if !taken.insert(slug.clone()) {
        let short: String = id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect();
        let mut n = 1;
        slug = format!("{slug}_{short}");
        let base = slug.clone();
        while !taken.insert(slug.clone()) {
            n += 1;
            slug = format!("{base}_{n}");
        }
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viz_folders_are_safe_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(
            unique_folder("Sales by Region", "a1", &mut taken),
            "sales_by_region"
        );
        assert_eq!(
            unique_folder("Sales by Region", "b2c3d4e5f6", &mut taken),
            "sales_by_region_b2c3d4e5"
        );
        assert_eq!(
            unique_folder("../../etc/passwd", "x", &mut taken),
            "etc_passwd"
        );
        assert_eq!(unique_folder("_SUCCESS", "x", &mut taken), "success");
        assert_eq!(unique_folder("\u{1}\u{2}", "x", &mut taken), "viz");
        assert_eq!(unique_folder("Über Größe", "x", &mut taken), "über_größe");
    }
}
