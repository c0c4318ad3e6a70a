//! Runs the planned exports of a job file, a few at a time, and reports on each. One export's
//! failure never stops the others: each commits or leaves its destination as it was, and the
//! report says which.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, SecondsFormat, Utc};
use futures_util::StreamExt;

use super::file::SourceSpec;
use super::plan::{PlannedExport, Shard};
use super::report::{ExportReport, ExportStatus, RunReport};
use crate::api::{Client, FindError, ObjectType, SearchRequest};
use crate::export::{Export, ExportSource};
use crate::failure::FailureKind;

/// What a run reports while it goes.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Started { name: String },
    Finished { report: Box<ExportReport> },
}

/// Receives [`RunEvent`]s.
pub type RunObserver = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// How a run goes.
#[derive(Clone)]
pub struct RunOptions {
    /// Exports at once.
    pub concurrency: usize,
    /// The date `{run_date}` stood for, recorded in the report.
    pub run_date: NaiveDate,
    pub shard: Option<Shard>,
    pub observer: Option<RunObserver>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("concurrency", &self.concurrency)
            .field("run_date", &self.run_date)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

/// Runs `plan` with `client`, `options.concurrency` exports at once; the report lists the exports
/// in plan order, whatever order they finished in.
pub async fn run(client: &Client, plan: Vec<PlannedExport>, options: &RunOptions) -> RunReport {
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let started = Instant::now();
    let exports: Vec<ExportReport> = futures_util::stream::iter(plan)
        .map(|planned| run_one(client, planned, options.observer.clone()))
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
        succeeded,
        failed: exports.len() - succeeded,
        exports,
    }
}

async fn run_one(
    client: &Client,
    planned: PlannedExport,
    observer: Option<RunObserver>,
) -> ExportReport {
    if let Some(observer) = &observer {
        observer(&RunEvent::Started {
            name: planned.name.clone(),
        });
    }
    let started = Instant::now();
    let (kind, given) = match &planned.source {
        SourceSpec::Search { source, .. } => ("search", source),
        SourceSpec::Pinboard { pinboard, .. } => ("pinboard", pinboard),
    };
    let report = ExportReport::new(&planned.name, kind, given, &planned.destination);
    let mut report = match export(client, &planned).await {
        Ok(summary) => report.committed(&summary),
        Err((kind, message)) => {
            tracing::warn!(export = planned.name, "export failed: {message}");
            report.failed(kind, message)
        }
    };
    report.seconds = started.elapsed().as_secs_f64();
    if let Some(observer) = &observer {
        observer(&RunEvent::Finished {
            report: Box::new(report.clone()),
        });
    }
    report
}

async fn export(
    client: &Client,
    planned: &PlannedExport,
) -> Result<crate::export::Summary, (FailureKind, String)> {
    let found = |e: FindError| match e {
        FindError::Api(api) => (api.kind(), api.to_string()),
        other => (FailureKind::Usage, other.to_string()),
    };
    let source = match &planned.source {
        SourceSpec::Search { query, source } => {
            let header = client
                .find_object(ObjectType::LogicalTable, &[], source)
                .await
                .map_err(found)?;
            ExportSource::Search(SearchRequest::new(query.clone(), header.id))
        }
        SourceSpec::Pinboard { pinboard, vizzes } => {
            let header = client
                .find_object(ObjectType::Pinboard, &[], pinboard)
                .await
                .map_err(found)?;
            ExportSource::Pinboard {
                pinboard: header.id,
                vizzes: vizzes.clone(),
            }
        }
    };
    Export::new(client, source)
        .to(planned.destination.clone())
        .options(planned.options.clone())
        .run()
        .await
        .map_err(|e| (e.kind(), e.to_string()))
}
