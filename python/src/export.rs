//! `tsexport.export` and `tsexport.run_jobs`: the library's export and job runner, with the same
//! commit protocol, returning the summary and the run report the command line prints as JSON.

use std::path::PathBuf;

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tsexport::api::{AnswerRequest, ObjectType, SearchRequest};
use tsexport::connect::Connection;
use tsexport::export::{Export, ExportSource, Settings};
use tsexport::failure::FailureKind;
use tsexport::jobs::{self, JobFile, Selection, ShardSpec};

use crate::client::Client;
use crate::errors::{of_kind, raise, usage};
use crate::json::to_python;
use crate::settings::{options, parse, ReadArgs};
use crate::wait::wait;

/// Exports a search (`search` with `source`), a pinboard's vizzes (`pinboard`, optionally `viz`) or
/// a saved Answer (`answer`) to `out`, committed whole or not at all; returns the summary.
#[pyfunction]
#[pyo3(signature = (
    client, *, out, search = None, source = None, pinboard = None, viz = None, answer = None,
    format = None, mode = None, compression = None, partition_by = None, types = None,
    on_drift = None, page_size = None, in_flight = None, allow_sampled = false,
    allow_incomplete = false, time_zone = None, sort = None, params = None, row_group_rows = None, max_rows_per_file = None,
    max_bytes_per_file = None, max_partitions = None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn export<'py>(
    py: Python<'py>,
    client: &Client,
    out: String,
    search: Option<String>,
    source: Option<String>,
    pinboard: Option<String>,
    viz: Option<Vec<String>>,
    answer: Option<String>,
    format: Option<&str>,
    mode: Option<&str>,
    compression: Option<&str>,
    partition_by: Option<&str>,
    types: Option<&Bound<'py, PyAny>>,
    on_drift: Option<&str>,
    page_size: Option<u64>,
    in_flight: Option<usize>,
    allow_sampled: bool,
    allow_incomplete: bool,
    time_zone: Option<String>,
    sort: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
    row_group_rows: Option<usize>,
    max_rows_per_file: Option<u64>,
    max_bytes_per_file: Option<u64>,
    max_partitions: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let read = ReadArgs::new(
        types,
        page_size,
        in_flight,
        allow_sampled,
        allow_incomplete,
        time_zone,
    )?
    .runtime(sort, params)?;
    let settings = Settings {
        format: format.map(|f| parse("format", f)).transpose()?,
        mode: mode.map(|m| parse("mode", m)).transpose()?,
        compression: compression.map(|c| parse("compression", c)).transpose()?,
        partition_by: partition_by.map(|p| parse("partition_by", p)).transpose()?,
        on_drift: on_drift.map(|d| parse("on_drift", d)).transpose()?,
        row_group_rows,
        max_rows_per_file,
        max_bytes_per_file,
        max_partitions,
        ..read.settings()?
    };
    let export_options = options(&settings, &out)?;
    if viz.is_some() && pinboard.is_none() {
        return Err(usage("viz applies only to pinboard exports"));
    }
    let client = &client.inner;
    let given = (search, source, pinboard, answer);
    let export_source =
        match given {
            (Some(query), Some(source), None, None) => {
                let found = wait(py, || {
                    client.find_object(ObjectType::LogicalTable, &[], &source)
                })?
                .map_err(raise)?;
                ExportSource::Search(SearchRequest::new(query, found.id))
            }
            (None, None, Some(pinboard), None) => {
                let found = wait(py, || {
                    client.find_object(ObjectType::Pinboard, &[], &pinboard)
                })?
                .map_err(raise)?;
                ExportSource::Pinboard {
                    pinboard: found.id,
                    vizzes: viz.unwrap_or_default(),
                }
            }
            (None, None, None, Some(answer)) => {
                let found = wait(py, || client.find_object(ObjectType::Answer, &[], &answer))?
                    .map_err(raise)?;
                ExportSource::Answer(AnswerRequest::new(found.id))
            }
            _ => return Err(usage(
                "export needs one source: search=QUERY with source=WORKSHEET, pinboard=PINBOARD \
                 (optionally viz=[...]), or answer=ANSWER",
            )),
        };
    let export = Export::new(client, export_source)
        .to(out)
        .options(export_options);
    let summary = wait(py, || export.run())?.map_err(raise)?;
    to_python(py, &summary.to_json())
}

/// Runs the exports of a job file, as `tsexport run` does, and returns the run report. The
/// connection comes from the job file, the `TSEXPORT_*` environment and the config file. When an
/// export failed, raises the exception of the failures' kind (`tsexport.Error` when they differ),
/// with the report as its `report` attribute.
#[pyfunction]
#[pyo3(signature = (path, *, run_date = None, only = None, shard = None, concurrency = None))]
pub(crate) fn run_jobs<'py>(
    py: Python<'py>,
    path: PathBuf,
    run_date: Option<&str>,
    only: Option<Vec<String>>,
    shard: Option<&str>,
    concurrency: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let file = JobFile::load(&path).map_err(|e| usage(e.to_string()))?;
    let run_date: NaiveDate = match run_date {
        Some(date) => parse("run_date", date)?,
        None => chrono::Utc::now().date_naive(),
    };
    // "auto" and "auto/COUNT" take the index (and count) from the scheduler's environment, as
    // `tsexport run --shard auto` does.
    let shard = shard
        .map(|s| parse::<ShardSpec>("shard", s))
        .transpose()?
        .map(|spec| {
            spec.resolve(|name| {
                std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
            })
            .map_err(|e| usage(format!("shard={spec}: {e}")))
        })
        .transpose()?;
    let selection = Selection {
        only: only.unwrap_or_default(),
        shard: shard.map(|s| s.shard),
    };
    let plan = jobs::plan(&file, &selection, run_date).map_err(|e| usage(e.to_string()))?;
    let concurrency = concurrency.unwrap_or(file.run.concurrency);
    if concurrency == 0 {
        return Err(usage("concurrency must be at least 1"));
    }
    let resolved = Connection::default()
        .resolve(&file.connection, None)
        .map_err(raise)?;
    let mut builder = resolved
        .builder
        .max_requests_in_flight(file.run.request_cap());
    if let Some(limit) = file.adaptive_limit() {
        builder = builder.adaptive_in_flight(limit);
    }
    let client = builder.build().map_err(raise)?;
    let options = jobs::RunOptions {
        concurrency,
        run_date,
        shard: shard.map(|s| s.shard),
        shard_source: shard.map(|s| s.source.to_string()),
        backfill: None,
        observer: None,
    };
    let report = wait(py, || async {
        // One sign-in up front: bad credentials are one clear error, not one per export.
        client.session_info().await?;
        let report = jobs::run(&client, plan, &options).await;
        let _ = client.logout().await;
        Ok::<_, tsexport::api::Error>(report)
    })?
    .map_err(raise)?;
    let report_py = to_python(py, &report)?;
    if report.failed == 0 {
        return Ok(report_py);
    }
    // Every failure of one kind raises that kind's class; failures of several kinds raise
    // `tsexport.Error` with the command line's exit code for them.
    let kind = match report.failure_kinds()[..] {
        [kind] => kind,
        _ => FailureKind::Other,
    };
    let error = of_kind(
        kind,
        format!(
            "{} of {} exports failed (the exception's `report` names each failure)",
            report.failed,
            report.exports.len()
        ),
    );
    error.value(py).setattr("report", report_py)?;
    error.value(py).setattr("exit_code", report.exit_code())?;
    Err(error)
}
