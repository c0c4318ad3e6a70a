//! `tsexport run JOBS.toml`, `tsexport check JOBS.toml` and `tsexport jobs init|schema`: job files
//! from the command line. Parses flags, calls [`crate::jobs`], prints and picks the exit code.

use std::path::{Path, PathBuf};

use crate::jobs::{
    self, JobFile, PlannedExport, ResolvedShard, RunReport, Selection, ShardSpec, SourceSpec,
};
use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::connect::ConnectionArgs;
use super::{exit, CliError};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The job file (`tsexport jobs init` writes an example).
    pub(crate) jobs: PathBuf,
    /// Only the export with this name; repeat for several.
    #[arg(long = "only", value_name = "NAME")]
    pub(crate) only: Vec<String>,
    /// Run one share of the exports: INDEX/COUNT, 0-based (export k of the file runs in shard
    /// k % COUNT). `auto/COUNT` takes INDEX from the scheduler's environment (JOB_COMPLETION_INDEX
    /// of a Kubernetes Indexed Job, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX); `auto` takes
    /// COUNT from it too (AWS_BATCH_JOB_ARRAY_SIZE, CLOUD_RUN_TASK_COUNT; Kubernetes sets none).
    #[arg(long, value_name = "INDEX/COUNT|auto/COUNT|auto")]
    pub(crate) shard: Option<ShardSpec>,
    /// Print the plan (exports, sources, destinations, settings) and exit without connecting.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The date `{run_date}` stands for [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) run_date: Option<NaiveDate>,
    /// Exports at once [default: the file's [run] concurrency, else 2].
    #[arg(long, value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// Also write the JSON run report to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Print the JSON run report on stdout instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BackfillArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// The first day to export: its window is the first.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) from: NaiveDate,
    /// The day after the last to export (excluded).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) to: NaiveDate,
    /// Skip the windows an earlier backfill of the same range committed.
    #[arg(long)]
    pub(crate) resume: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JobsArgs {
    #[command(subcommand)]
    pub(crate) command: JobsCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// Write a commented job file (to stdout, or to FILE if it does not exist yet).
    Init {
        /// Where to write it.
        file: Option<PathBuf>,
        /// Which: `example` shows every kind of export; `activity` archives ThoughtSpot's own
        /// activity (TS: BI Server and the security audit log) nightly.
        #[arg(long, value_enum, default_value_t)]
        template: jobs::Template,
    },
    /// Print the JSON Schema of job files, for editors and CI linting.
    Schema,
}

pub(crate) fn jobs(args: JobsArgs) -> Result<(), CliError> {
    match args.command {
        JobsCommand::Schema => {
            println!("{}", JobFile::json_schema());
            Ok(())
        }
        JobsCommand::Init {
            file: None,
            template,
        } => {
            print!("{}", template.text());
            Ok(())
        }
        JobsCommand::Init {
            file: Some(path),
            template,
        } => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| {
                    CliError::usage(format!(
                        "cannot create {}: {e} (an existing file is never overwritten)",
                        path.display()
                    ))
                })?;
            std::io::Write::write_all(&mut file, template.text().as_bytes())
                .map_err(|e| CliError::other(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

fn load(path: &Path) -> Result<JobFile, CliError> {
    JobFile::load(path).map_err(|e| CliError::usage(e.to_string()))
}

/// `tsexport backfill`: the exports with a window, over the windows of `--from .. --to`.
pub(crate) async fn backfill(args: BackfillArgs) -> Result<(), CliError> {
    let backfill = jobs::Backfill::new(args.from, args.to, args.resume).map_err(backfill_error)?;
    run_with(args.run, Some(backfill)).await
}

/// `--shard`, with `auto` read from the process's environment.
fn resolve_shard(spec: Option<ShardSpec>) -> Result<Option<ResolvedShard>, CliError> {
    spec.map(|spec| {
        spec.resolve(|name| {
            std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
        })
        .map_err(|e| CliError::usage(format!("--shard {spec}: {e}")))
    })
    .transpose()
}

/// A planning error in the words of the flags.
fn plan_error(error: jobs::PlanError) -> CliError {
    CliError::usage(match error {
        jobs::PlanError::UnknownExport { name, known } => format!(
            "--only {name}: no export has that name; the file has: {}",
            known.join(", ")
        ),
        other => other.to_string(),
    })
}

/// A backfill error in the words of the flags.
fn backfill_error(error: jobs::BackfillError) -> CliError {
    CliError::usage(match error {
        jobs::BackfillError::EmptyRange { from, to } => {
            format!("--from {from} must be before --to {to} (the day after the last to export)")
        }
        other => other.to_string(),
    })
}

pub(crate) async fn run(args: RunArgs) -> Result<(), CliError> {
    run_with(args, None).await
}

async fn run_with(args: RunArgs, backfill: Option<jobs::runner::Backfill>) -> Result<(), CliError> {
    let shard = resolve_shard(args.shard)?;
    let file = load(&args.jobs)?;
    let run_date = args
        .run_date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let selection = Selection {
        only: args.only.clone(),
        shard: shard.map(|s| s.shard),
    };
    let mut plan = jobs::plan(&file, &selection, run_date).map_err(plan_error)?;
    if let Some(backfill) = &backfill {
        plan = backfill.select(plan, &args.only).map_err(backfill_error)?;
    }
    if args.dry_run {
        print_plan(&plan, run_date, shard, backfill).await;
        return Ok(());
    }
    let concurrency = args.concurrency.unwrap_or(file.run.concurrency);
    if concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let client = args.connection.client_for_jobs(
        &file.connection,
        file.run.request_cap(),
        file.adaptive_limit(),
    )?;
    // One sign-in up front: bad credentials are one clear error, not one per export.
    client.session_info().await?;
    let json_logs = super::JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed);
    let observer: jobs::RunObserver =
        std::sync::Arc::new(move |event: &jobs::RunEvent| match event {
            jobs::RunEvent::Started { name } => tracing::info!(export = name, "export started"),
            jobs::RunEvent::Finished { report } if json_logs => {
                let error = report.error.as_ref().map(|e| e.message.as_str());
                if error.is_some() {
                    tracing::error!(
                        export = report.name,
                        rows = report.rows,
                        seconds = report.seconds,
                        error,
                        "export failed"
                    );
                } else {
                    tracing::info!(
                        export = report.name,
                        rows = report.rows,
                        seconds = report.seconds,
                        "export committed"
                    );
                }
            }
            jobs::RunEvent::Finished { report } => eprintln!(
                "{:<8} {} ({} rows, {:.1} s){}",
                if report.error.is_none() {
                    "ok"
                } else {
                    "FAILED"
                },
                report.name,
                report.rows,
                report.seconds,
                report
                    .error
                    .as_ref()
                    .map(|e| format!(": {}", e.message))
                    .unwrap_or_default()
            ),
        });
    let options = jobs::RunOptions {
        concurrency,
        run_date,
        shard: shard.map(|s| s.shard),
        shard_source: shard.map(|s| s.source.to_string()),
        backfill,
        observer: Some(observer),
    };
    let report = jobs::run(&client, plan, &options).await;
    let json = serde_json::to_string_pretty(&report).map_err(|e| CliError::other(e.to_string()))?;
    if let Some(path) = &args.report {
        std::fs::write(path, format!("{json}\n")).map_err(|e| {
            CliError::other(format!(
                "cannot write the report to {}: {e}",
                path.display()
            ))
        })?;
    }
    if args.json {
        println!("{json}");
    } else {
        print_report(&report);
    }
    match report.exit_code() {
        exit::OK => Ok(()),
        code => Err(CliError {
            message: format!(
                "{} of {} exports failed (the report names each failure)",
                report.failed,
                report.exports.len()
            ),
            exit_code: code,
        }),
    }
}

/// The plan, offline: no sign-in, no page. Windows come from each export's state (storage is read),
/// columns from the hints and, for windowed exports, the types the state recorded; `tsexport check`
/// shows the columns the cluster returns.
async fn print_plan(
    plan: &[PlannedExport],
    run_date: NaiveDate,
    shard: Option<ResolvedShard>,
    backfill: Option<jobs::Backfill>,
) {
    println!(
        "plan for {run_date}{}: {} export(s), nothing is exported",
        shard
            .map(|s| format!(", shard {} ({})", s.shard, s.source))
            .unwrap_or_default(),
        plan.len()
    );
    for export in plan {
        let source = match &export.source {
            SourceSpec::Search { query, source } => format!("search on '{source}': {query}"),
            SourceSpec::Pinboard { pinboard, vizzes } if vizzes.is_empty() => {
                format!("pinboard '{pinboard}', every viz with data")
            }
            SourceSpec::Pinboard { pinboard, vizzes } => {
                format!("pinboard '{pinboard}', vizzes {}", vizzes.join(", "))
            }
            SourceSpec::Answer { answer } => format!("answer '{answer}' (REST API v2)"),
            SourceSpec::Log { log_type, .. } => {
                format!("the {log_type} log (REST API v2 logs/fetch), one window a request span")
            }
        };
        let sink = &export.options.sink;
        println!("\n{}", export.name);
        println!("  source       {source}");
        println!("  destination  {}", export.destination);
        println!(
            "  writes       {} ({}), mode {}",
            sink.format.extension(),
            sink.codec,
            sink.mode
        );
        for hint in &export.options.read.hints {
            println!(
                "  column       {} = {} (hint)",
                hint.column, hint.column_type
            );
        }
        if let Some(partition) = &export.options.partition {
            println!(
                "  partitions   {}=... by {} of '{}', at most {}",
                partition.key_name(),
                partition.by,
                partition.column,
                partition.max_partitions
            );
        }
        let Some(window) = &export.window else {
            continue;
        };
        let state = match export.options.table {
            Some(format) => format!("the {format} table's log"),
            None => format!(
                "{}_tsexport_state/{}.json",
                window.state_folder, export.name
            ),
        };
        println!(
            "  windows      by {}, lookback {}, state in {state}",
            window.size, window.lookback
        );
        match jobs::runner::windows_of(export, window, run_date, backfill).await {
            Ok((_, state, windows)) => {
                match &state {
                    Some(state) => {
                        println!(
                            "  committed    through the window of {}",
                            state.last_committed
                        );
                        for column in &state.columns {
                            println!(
                                "  column       {} = {} (state)",
                                column.name, column.column_type
                            );
                        }
                    }
                    None => println!("  committed    nothing yet"),
                }
                if windows.is_empty() {
                    println!("  due          nothing");
                }
                for due in windows {
                    println!(
                        "  due          {} to {} -> {}",
                        due.start,
                        due.end,
                        jobs::window::fill(&export.destination, &due, "%Y-%m-%d")
                    );
                }
            }
            Err(error) => println!("  state        cannot be read: {error}"),
        }
    }
}

fn print_report(report: &RunReport) {
    println!(
        "{:<24} {:<7} {:>12} {:>12} {:>6} {:>9}",
        "export", "status", "rows", "expected", "files", "seconds"
    );
    for export in &report.exports {
        println!(
            "{:<24} {:<7} {:>12} {:>12} {:>6} {:>9.1}",
            export.name,
            if export.error.is_none() {
                "ok"
            } else {
                "failed"
            },
            export.rows,
            export
                .rows_expected
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            export.files,
            export.seconds
        );
    }
    println!(
        "{} ok, {} failed, {:.1} s",
        report.succeeded, report.failed, report.seconds
    );
}

/// `tsexport check JOBS.toml`: sign in, then per export resolve the source, read its first page and
/// show the schema, and prove the destination writable ([`jobs::check`]). The exit code is the
/// number of failed checks.
pub(crate) async fn check(connection: &ConnectionArgs, path: &Path) -> Result<(), CliError> {
    let file = load(path)?;
    let today = chrono::Utc::now().date_naive();
    let plan = jobs::plan(&file, &Selection::default(), today).map_err(plan_error)?;
    let client = connection.client_for_jobs(
        &file.connection,
        file.run.request_cap(),
        file.adaptive_limit(),
    )?;
    let report = match jobs::check(&client, &plan, today).await {
        Ok(report) => report,
        Err(e) => {
            println!("FAILED  sign-in: {e}");
            // Nothing else can be checked without a session.
            return Err(CliError {
                message: format!("1 check failed: {e}"),
                exit_code: 1,
            });
        }
    };
    println!("ok      sign-in as {}", report.session.user_name);
    for export in &report.exports {
        println!("\n{}", export.name);
        match &export.source {
            Ok(tables) => {
                for table in tables {
                    println!("ok      source {}", table.label);
                    for column in &table.columns {
                        println!("          {}: {}", column.name, column.data_type);
                    }
                }
            }
            Err(e) => println!("FAILED  source: {e}"),
        }
        match &export.destination {
            Ok(destination) => println!("ok      destination {destination} is writable"),
            Err(e) => println!("FAILED  destination: {e}"),
        }
    }
    let failed = report.failed();
    if failed == 0 {
        println!("\nall checks passed");
        return Ok(());
    }
    Err(CliError {
        message: format!("{failed} check(s) failed"),
        exit_code: failed.min(100) as i32,
    })
}
