//! Checking a job file's exports against the cluster without exporting them (`tsexport check
//! JOBS.toml`): per export, resolve the source, read and decode its first page to show the columns,
//! and prove the destination writable. Windowed exports are checked as a run today would read and
//! write their newest window.

use chrono::NaiveDate;

use super::file::SourceSpec;
use super::plan::PlannedExport;
use super::window;
use crate::api::{AnswerRequest, Client, FindError, ObjectType, SearchRequest, SessionInfo};
use crate::read::{ReadError, ReadOptions, TableSource};
use crate::select::{pinboard_vizzes_named, VizSelectionError};
use crate::sink::{Destination, DestinationError, SinkError, Staging};

/// The rows one check reads: enough to see the columns.
const CHECK_PAGE_ROWS: u64 = 1000;

/// What [`check`] found.
#[derive(Debug)]
pub struct CheckReport {
    /// Who the client signed in as.
    pub session: SessionInfo,
    /// One entry per export, in plan order.
    pub exports: Vec<ExportCheck>,
}

impl CheckReport {
    /// How many checks failed (a source and a destination per export).
    pub fn failed(&self) -> usize {
        self.exports
            .iter()
            .map(|e| usize::from(e.source.is_err()) + usize::from(e.destination.is_err()))
            .sum()
    }
}

/// The checks of one export.
#[derive(Debug)]
pub struct ExportCheck {
    /// The export's `name` in the job file.
    pub name: String,
    /// Each table of the export (the search, or each viz) with the columns its first page decodes
    /// to.
    pub source: Result<Vec<CheckedTable>, CheckError>,
    /// The destination that was proven writable (placeholders filled).
    pub destination: Result<String, CheckError>,
}

/// A table of an export and its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTable {
    /// The table as the job file names it: `'worksheet'`, `'pinboard' / 'viz'`, `answer 'name'`.
    pub label: String,
    /// The columns its first page decoded to, in order.
    pub columns: Vec<CheckedColumn>,
}

/// A column a first page decoded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedColumn {
    /// The column's name.
    pub name: String,
    /// The Arrow type, as Arrow prints it.
    pub data_type: String,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The source (worksheet, pinboard or answer) could not be found.
    #[error(transparent)]
    Find(#[from] FindError),
    /// A viz of `vizzes` is not on the pinboard, or its name is ambiguous.
    #[error(transparent)]
    Viz(#[from] VizSelectionError),
    /// The first page could not be read or decoded.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The destination is not a valid one.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// The destination could not be written.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Signs in, then checks each export of `plan` as a run on `today` would perform it. Only a failed
/// sign-in is an error: nothing else can be checked without a session; every other failure is in
/// the report.
pub async fn check(
    client: &Client,
    plan: &[PlannedExport],
    today: NaiveDate,
) -> Result<CheckReport, crate::api::Error> {
    let session = client.session_info().await?;
    let mut exports = Vec::with_capacity(plan.len());
    for export in plan {
        let export = newest_window(export, today);
        let source = source_tables(client, &export).await;
        let destination = probe(&export).await.map(|()| export.destination.clone());
        exports.push(ExportCheck {
            name: export.name.clone(),
            source,
            destination,
        });
    }
    Ok(CheckReport { session, exports })
}

async fn probe(export: &PlannedExport) -> Result<(), CheckError> {
    let destination = Destination::parse(&export.destination)?;
    Ok(Staging::probe(destination, export.options.sink.clone()).await?)
}

/// `export` as a run on `today` would read and write its newest window: the search and the
/// destination with `{window_start}` and `{window_end}` filled (a cluster would refuse them raw).
pub fn newest_window(export: &PlannedExport, today: NaiveDate) -> PlannedExport {
    let mut export = export.clone();
    let Some(plan) = &export.window else {
        return export;
    };
    let Some(window) = window::due(plan.size, today, None, None, 0).pop() else {
        return export;
    };
    (export.source, export.destination) = export.in_window(&window);
    export
}

/// Each table of an export (the search, or each viz), with the columns its first page decodes to.
async fn source_tables(
    client: &Client,
    export: &PlannedExport,
) -> Result<Vec<CheckedTable>, CheckError> {
    let read_options = ReadOptions {
        hints: export.options.read.hints.clone(),
        time_zone: export.options.read.time_zone,
        ..ReadOptions::default()
    };
    let mut tables = Vec::new();
    match &export.source {
        SourceSpec::Search { query, source } => {
            let header = client
                .find_object(ObjectType::LogicalTable, &[], source)
                .await?;
            let request = SearchRequest::new(query.clone(), header.id);
            let columns =
                first_page_columns(client, TableSource::Search(request), read_options).await?;
            tables.push(CheckedTable {
                label: format!("'{source}'"),
                columns,
            });
        }
        SourceSpec::Pinboard { pinboard, vizzes } => {
            let header = client
                .find_object(ObjectType::Pinboard, &[], pinboard)
                .await?;
            for viz in pinboard_vizzes_named(client, &header.id, pinboard, vizzes).await? {
                let source = TableSource::Viz {
                    pinboard: header.id.clone(),
                    viz: viz.id.clone(),
                };
                let columns = first_page_columns(client, source, read_options.clone()).await?;
                tables.push(CheckedTable {
                    label: format!("'{pinboard}' / '{}'", viz.name),
                    columns,
                });
            }
        }
        SourceSpec::Answer { answer } => {
            let header = client.find_object(ObjectType::Answer, &[], answer).await?;
            let source = TableSource::Answer(AnswerRequest::new(header.id));
            let columns = first_page_columns(client, source, read_options).await?;
            tables.push(CheckedTable {
                label: format!("answer '{answer}'"),
                columns,
            });
        }
        SourceSpec::Log { log_type, days } => {
            let source = TableSource::Log(SourceSpec::log_request(*log_type, *days));
            let columns = first_page_columns(client, source, read_options).await?;
            tables.push(CheckedTable {
                label: format!("the {log_type} log"),
                columns,
            });
        }
    }
    Ok(tables)
}

/// Opens a read of `source` and keeps only its schema: the first page is fetched and decoded, the
/// rest never asked for.
async fn first_page_columns(
    client: &Client,
    source: TableSource,
    mut options: ReadOptions,
) -> Result<Vec<CheckedColumn>, ReadError> {
    options.pager.page_size = CHECK_PAGE_ROWS;
    options.pager.in_flight = 1;
    let stream = client.read(source).options(options).batches().await?;
    // Dropping the stream stops the read after its first page.
    let columns = stream
        .schema()
        .fields()
        .iter()
        .map(|f| CheckedColumn {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
        })
        .collect();
    Ok(columns)
}
