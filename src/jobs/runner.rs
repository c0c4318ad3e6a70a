//! Runs the planned exports of a job file, a few at a time, and reports on each. One export's
//! failure never stops the others: each commits or leaves its destination as it was, and the
//! report says which.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, SecondsFormat, Utc};
use futures_util::StreamExt;

use bytes::Bytes;

use super::file::SourceSpec;
use super::plan::{PlannedExport, Shard, WindowPlan};
use super::report::{ExportReport, ExportStatus, RunReport};
use super::window::{self, BackfillProgress, StateColumn, Window, WindowSize, WindowState};
use crate::api::{AnswerRequest, Client, FindError, ObjectType, SearchRequest};
use crate::decode::ColumnType;
use crate::export::{Export, ExportSource, Summary};
use crate::failure::FailureKind;
use crate::sink::{Destination, DestinationError, SideFile, SinkError};

/// What a run reports while it goes.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// An export began.
    Started {
        /// The export's name.
        name: String,
    },
    /// An export ended, committed or not.
    Finished {
        /// What it did.
        report: Box<ExportReport>,
    },
}

/// Receives [`RunEvent`]s.
pub type RunObserver = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// How a run goes.
#[derive(Clone)]
pub struct RunOptions {
    /// Exports at once.
    pub concurrency: usize,
    /// The date `{run_date}` stood for, recorded in the report; windows that ended by it are due.
    pub run_date: NaiveDate,
    /// Only the exports of this shard (`--shard INDEX/COUNT`); None: every export.
    pub shard: Option<Shard>,
    /// Where [`RunOptions::shard`] came from ([`super::plan::ShardSource`]'s text), for the report's
    /// `shard_source`; None with a shard: `explicit`.
    pub shard_source: Option<String>,
    /// Export these windows instead of the due ones (`tsexport backfill`).
    pub backfill: Option<Backfill>,
    /// Called with each [`RunEvent`] as the run goes; None: no progress.
    pub observer: Option<RunObserver>,
}

/// `tsexport backfill --from FROM --to TO [--resume]`: the windows from the one holding `from` up to
/// the one holding the day before `to`, whatever the state says; with `resume`, those a backfill of
/// the same range already committed are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backfill {
    /// First day to export (`--from`): the windows start with the one holding it.
    pub from: NaiveDate,
    /// The day after the last to export (`--to`), excluded.
    pub to: NaiveDate,
    /// `--resume`: skip the windows the same backfill already committed.
    pub resume: bool,
}

/// Why a backfill cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackfillError {
    /// `from` is not before `to`.
    #[error("the backfill's first day {from} must be before its end {to} (the day after the last to export)")]
    EmptyRange {
        /// The first day given.
        from: NaiveDate,
        /// The end given.
        to: NaiveDate,
    },
    /// An export picked by name has no window.
    #[error("export '{0}' has no window, so there is nothing to backfill")]
    NoWindow(String),
    /// No export of the selection has a window.
    #[error("no export of the selection has a window: backfill exports windows")]
    NothingWindowed,
}

impl Backfill {
    /// The windows from the one holding `from` to the one holding the day before `to`; `from` must
    /// be before `to`.
    pub fn new(from: NaiveDate, to: NaiveDate, resume: bool) -> Result<Backfill, BackfillError> {
        if from >= to {
            return Err(BackfillError::EmptyRange { from, to });
        }
        Ok(Backfill { from, to, resume })
    }

    /// The exports of `plan` a backfill runs: those with a window. An export picked by name (in
    /// `only`) without a window is an error, not silently skipped, and so is a selection with no
    /// window at all.
    pub fn select(
        &self,
        mut plan: Vec<PlannedExport>,
        only: &[String],
    ) -> Result<Vec<PlannedExport>, BackfillError> {
        if let Some(unwindowed) = plan
            .iter()
            .find(|e| e.window.is_none() && only.contains(&e.name))
        {
            return Err(BackfillError::NoWindow(unwindowed.name.clone()));
        }
        plan.retain(|e| e.window.is_some());
        if plan.is_empty() {
            return Err(BackfillError::NothingWindowed);
        }
        Ok(plan)
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("concurrency", &self.concurrency)
            .field("run_date", &self.run_date)
            .field("shard", &self.shard)
            .field("shard_source", &self.shard_source)
            .finish_non_exhaustive()
    }
}

/// Runs `plan` with `client`, `options.concurrency` exports at once; the report lists the exports
/// in plan order, whatever order they finished in.
pub async fn run(client: &Client, plan: Vec<PlannedExport>, options: &RunOptions) -> RunReport {
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let started = Instant::now();
    let requests_before = client.request_stats();
    let exports: Vec<ExportReport> = futures_util::stream::iter(plan)
        .map(|planned| run_one(client, planned, options))
        .buffered(options.concurrency.max(1))
        .collect()
        .await;
    let succeeded = exports
        .iter()
        .filter(|e| e.status == ExportStatus::Ok)
        .count();
    RunReport {
        tsexport_version: crate::VERSION,
        run_date: options.run_date.format("%Y-%m-%d").to_string(),
        started_at,
        seconds: started.elapsed().as_secs_f64(),
        shard: options.shard.map(|s| s.to_string()),
        shard_source: options.shard.map(|_| {
            options
                .shard_source
                .clone()
                .unwrap_or_else(|| super::plan::ShardSource::Explicit.to_string())
        }),
        succeeded,
        failed: exports.len() - succeeded,
        requests: client.request_stats().since(&requests_before),
        exports,
    }
}

async fn run_one(client: &Client, planned: PlannedExport, options: &RunOptions) -> ExportReport {
    let observer = &options.observer;
    if let Some(observer) = observer {
        observer(&RunEvent::Started {
            name: planned.name.clone(),
        });
    }
    let started = Instant::now();
    let (kind, given) = match &planned.source {
        SourceSpec::Search { source, .. } => ("search", source.clone()),
        SourceSpec::Pinboard { pinboard, .. } => ("pinboard", pinboard.clone()),
        SourceSpec::Answer { answer } => ("answer", answer.clone()),
        SourceSpec::Log { log_type, .. } => ("log", log_type.to_string()),
    };
    let report = ExportReport::new(&planned.name, kind, &given, &planned.destination);
    let mut report = match &planned.window {
        None => match export(
            client,
            &planned.source,
            &planned.destination,
            &planned.options,
            None,
        )
        .await
        {
            Ok(summary) => report.committed(&summary),
            Err(error) => report.failed(error.kind(), error.to_string()),
        },
        Some(window) => windowed(client, &planned, window, options, report).await,
    };
    if let Some(error) = &report.error {
        tracing::warn!(export = planned.name, "export failed: {}", error.message);
    }
    report.seconds = started.elapsed().as_secs_f64();
    if let Some(observer) = observer {
        observer(&RunEvent::Finished {
            report: Box::new(report.clone()),
        });
    }
    report
}

/// The windows of `planned` due in this run (or the backfill's), each exported and committed in
/// order, the state written after each commit; the first failure ends the export.
async fn windowed(
    client: &Client,
    planned: &PlannedExport,
    plan: &WindowPlan,
    options: &RunOptions,
    mut report: ExportReport,
) -> ExportReport {
    let (store, mut state, windows) =
        match windows_of(planned, plan, options.run_date, options.backfill).await {
            Ok(found) => found,
            Err(error) => return report.failed(error.kind(), error.to_string()),
        };
    report.status = ExportStatus::Ok;
    for window in windows {
        let (source, destination) = planned.in_window(&window);
        let mut export_options = planned.options.clone();
        for column in state.iter().flat_map(|s| &s.columns) {
            if let Ok(column_type) = column.column_type.parse() {
                export_options
                    .read
                    .fixed_types
                    .insert(column.name.clone(), column_type);
            }
        }
        let scope = match store {
            StateStore::Table => Some(super::table_state::scope(
                planned,
                &window,
                options.run_date,
                options.backfill,
            )),
            StateStore::File(_) => None,
        };
        match export(client, &source, &destination, &export_options, scope).await {
            Ok(summary) => {
                report.add_window(window, &destination, Ok(&summary));
                let StateStore::File(state_file) = &store else {
                    continue;
                };
                let next = advance(state.take(), planned, plan, &window, &summary, options);
                let written = serde_json::to_vec_pretty(&next)
                    .map_err(|e| e.to_string())
                    .map(Bytes::from);
                let saved = match written {
                    Ok(bytes) => state_file.write(bytes).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                state = Some(next);
                if let Err(e) = saved {
                    let message = format!(
                        "window {} committed, but its state could not be written to {}: {e}; the next run exports the window again",
                        window.start,
                        state_file.location()
                    );
                    return report.failed(FailureKind::Other, message);
                }
            }
            Err(error) => {
                let message = format!("window {} to {}: {error}", window.start, window.end);
                report.add_window(window, &destination, Err(&message));
                return report.failed(error.kind(), message);
            }
        }
    }
    report
}

/// Why a windowed export's state cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The state's folder is not a destination.
    #[error(transparent)]
    Folder(#[from] DestinationError),
    /// The state file cannot be named in its folder.
    #[error(transparent)]
    Name(SinkError),
    /// The state file cannot be read.
    #[error(transparent)]
    Storage(#[from] SinkError),
    /// The state file is not a state.
    #[error("the state {location} is not valid ({source}); fix or delete it (deleting starts the windows over)")]
    Invalid {
        /// Where the state file is.
        location: String,
        /// Why its JSON is not a state.
        source: serde_json::Error,
    },
    /// The lake table that holds the state cannot be read.
    #[error(transparent)]
    Table(#[from] crate::lake::LakeError),
    /// This build cannot read lake tables.
    #[error(
        "this build of tsexport cannot write Delta tables (built without the `delta` feature)"
    )]
    NoTableSupport,
    /// The state belongs to another export or window size.
    #[error("the state {location} is for export '{found_export}' by {found_window}, not '{export}' by {window}; delete it to start the windows over")]
    OtherExport {
        /// Where the state file is.
        location: String,
        /// The export the state names.
        found_export: String,
        /// The window size the state names.
        found_window: WindowSize,
        /// The export that read it.
        export: String,
        /// That export's window size.
        window: WindowSize,
    },
}

impl StateError {
    /// The kind of this failure: a state that cannot be read for lack of storage is not the user's
    /// doing; the rest is theirs to fix.
    pub fn kind(&self) -> FailureKind {
        match self {
            StateError::Storage(_) => FailureKind::Other,
            StateError::Table(table) => table.kind(),
            _ => FailureKind::Usage,
        }
    }
}

/// Where a windowed export's state lives.
#[derive(Debug)]
pub enum StateStore {
    /// `_tsexport_state/NAME.json` beside the windows' folders.
    File(SideFile),
    /// The lake table's log (`super::table_state`): nothing to write after a commit.
    Table,
}

/// A windowed export's state store, its state, and the windows a run on `run_date` (or
/// `backfill`) exports, oldest first. Reads storage only: `--dry-run` shows the same windows the
/// run takes.
pub async fn windows_of(
    planned: &PlannedExport,
    plan: &WindowPlan,
    run_date: NaiveDate,
    backfill: Option<Backfill>,
) -> Result<(StateStore, Option<WindowState>, Vec<Window>), StateError> {
    if planned.options.table.is_some() {
        #[cfg(feature = "delta")]
        {
            let (state, windows) =
                super::table_state::windows(planned, plan, run_date, backfill).await?;
            return Ok((StateStore::Table, state, windows));
        }
        #[cfg(not(feature = "delta"))]
        return Err(StateError::NoTableSupport);
    }
    let folder = Destination::parse(&plan.state_folder)?;
    let state_file = SideFile::new(&folder, &format!("_tsexport_state/{}.json", planned.name))
        .map_err(StateError::Name)?;
    let state = read_state(&state_file, planned, plan).await?;
    let windows = match backfill {
        None => window::due(
            plan.size,
            run_date,
            state.as_ref().map(|s| s.last_committed),
            plan.first,
            plan.lookback,
        ),
        Some(backfill) => {
            let done = state
                .as_ref()
                .and_then(|s| s.backfill)
                .filter(|p| backfill.resume && p.from == backfill.from && p.to == backfill.to)
                .map(|p| p.done_through);
            plan.size
                .between(backfill.from, backfill.to)
                .into_iter()
                .filter(|w| done.is_none_or(|done| w.start > done))
                .collect()
        }
    };
    Ok((StateStore::File(state_file), state, windows))
}

async fn read_state(
    file: &SideFile,
    planned: &PlannedExport,
    plan: &WindowPlan,
) -> Result<Option<WindowState>, StateError> {
    let Some(bytes) = file.read().await? else {
        return Ok(None);
    };
    let state: WindowState =
        serde_json::from_slice(&bytes).map_err(|source| StateError::Invalid {
            location: file.location(),
            source,
        })?;
    if state.window != plan.size || state.export != planned.name {
        return Err(StateError::OtherExport {
            location: file.location(),
            found_export: state.export,
            found_window: state.window,
            export: planned.name.clone(),
            window: plan.size,
        });
    }
    Ok(Some(state))
}

/// The state after `window` committed. The last committed window moves only to the window right
/// after it (or to the first, when there is none), never past a gap and never back.
fn advance(
    previous: Option<WindowState>,
    planned: &PlannedExport,
    plan: &WindowPlan,
    window: &Window,
    summary: &Summary,
    options: &RunOptions,
) -> WindowState {
    let last_committed = match &previous {
        None => window.start,
        Some(state) if plan.size.window(state.last_committed).end == window.start => window.start,
        Some(state) => state.last_committed,
    };
    let columns = summary
        .tables
        .first()
        .map(|table| {
            table
                .schema
                .fields()
                .iter()
                .filter_map(|field| {
                    ColumnType::from_arrow(field.data_type())
                        .filter(|t| *t != ColumnType::Null)
                        .map(|t| StateColumn {
                            name: field.name().clone(),
                            column_type: t.to_string(),
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    let backfill = match options.backfill {
        Some(backfill) => Some(BackfillProgress {
            from: backfill.from,
            to: backfill.to,
            done_through: window.start,
        }),
        None => previous.as_ref().and_then(|s| s.backfill),
    };
    WindowState {
        export: planned.name.clone(),
        window: plan.size,
        last_committed,
        columns,
        backfill,
        updated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// Why one export (or one window of it) did not commit.
#[derive(Debug, thiserror::Error)]
enum ExportFailure {
    #[error(transparent)]
    Find(#[from] FindError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
}

impl ExportFailure {
    fn kind(&self) -> FailureKind {
        match self {
            ExportFailure::Find(FindError::Api(api)) => api.kind(),
            ExportFailure::Find(_) => FailureKind::Usage,
            ExportFailure::Export(export) => export.kind(),
        }
    }
}

async fn export(
    client: &Client,
    source: &SourceSpec,
    destination: &str,
    options: &crate::export::ExportOptions,
    scope: Option<crate::export::TableScope>,
) -> Result<Summary, ExportFailure> {
    let source = match source {
        SourceSpec::Search { query, source } => {
            let header = client
                .find_object(ObjectType::LogicalTable, &[], source)
                .await?;
            ExportSource::Search(SearchRequest::new(query.clone(), header.id))
        }
        SourceSpec::Pinboard { pinboard, vizzes } => {
            let header = client
                .find_object(ObjectType::Pinboard, &[], pinboard)
                .await?;
            ExportSource::Pinboard {
                pinboard: header.id,
                vizzes: vizzes.clone(),
            }
        }
        SourceSpec::Answer { answer } => {
            let header = client.find_object(ObjectType::Answer, &[], answer).await?;
            ExportSource::Answer(AnswerRequest::new(header.id))
        }
        SourceSpec::Log { log_type, days } => {
            ExportSource::Log(SourceSpec::log_request(*log_type, *days))
        }
    };
    let mut export = Export::new(client, source)
        .to(destination.to_string())
        .options(options.clone());
    if let Some(scope) = scope {
        export = export.table_scope(scope);
    }
    export.run().await.map_err(ExportFailure::from)
}
