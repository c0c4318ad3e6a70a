//! `tsexport search`, `tsexport pinboard` and `tsexport answer`: a one-shot export to Parquet (or Arrow, or CSV) on local
//! disk or an object store, or streamed to stdout. Parses flags, runs [`crate::export`], renders
//! progress and the summary.

use std::io::IsTerminal;
use std::sync::Arc;

use crate::api::{
    parse_param, AdaptiveLimit, AnswerRequest, ApiVersion, Client, InFlight, LogType, ObjectType,
    RequestStats, SearchRequest, SortBy, DEFAULT_MAX_IN_FLIGHT,
};
use crate::decode::TypeHint;
use crate::export::{
    DriftPolicy, Export, ExportError, ExportOptions, ExportSource, OutputFormat, Progress,
    Settings, SettingsError, Summary, MAX_IN_FLIGHT, MAX_PAGE_SIZE,
};
use crate::jobs::file::ByteSize;
use crate::logs::LogRequest;
use crate::sink::{Codec, FileFormat, PartitionSpec, WriteMode};
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::connect::ConnectionArgs;
use super::{output, resolve, CliError};

/// Flags shared by every export.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Where to write: a folder or file path, an object-store URL (s3://, gs://, az://, file://;
    /// credentials and endpoint from the standard environment), or `-` for stdout. A path ending in
    /// .parquet, .arrow or .csv is one file; anything else is a folder of part files with
    /// `_manifest.json` and `_SUCCESS`.
    #[arg(long, short, value_name = "PATH_OR_URL")]
    pub(crate) out: String,
    /// File format, or `delta` for a Delta Lake table whose root is --out [default: from the file
    /// name, else parquet; arrow on stdout].
    #[arg(long, value_name = "parquet|arrow|csv|delta")]
    pub(crate) format: Option<String>,
    /// Parquet compression: zstd (zstd:LEVEL, 1-22), snappy, lz4, gzip (gzip:LEVEL), none.
    #[arg(long, value_name = "CODEC", default_value = "zstd")]
    pub(crate) compression: String,
    /// What to do with data already at the destination: overwrite (only files a previous export
    /// wrote), append, or error-if-exists.
    #[arg(long, value_name = "MODE", default_value = "overwrite")]
    pub(crate) mode: String,
    /// A column's type, overriding ThoughtSpot's and the data's: "Order Date=date",
    /// "Amount=decimal(18,2)"; types: string, int, float, bool, date, timestamp, time, decimal(P,S).
    /// Repeat for several columns.
    #[arg(long = "type", value_name = "COLUMN=TYPE")]
    pub(crate) types: Vec<String>,
    /// When a value does not fit its column: widen the type and read again (nothing is committed
    /// before the end), or fail naming the column, row and value.
    #[arg(long, value_name = "widen|fail", default_value = "widen")]
    pub(crate) on_drift: String,
    /// Rows per request (at most 100000; a cluster may cap it lower).
    #[arg(long, value_name = "ROWS", default_value_t = 100_000)]
    pub(crate) page_size: u64,
    /// Page requests in flight at once: `auto` finds what the cluster sustains (backing off on 429,
    /// 5xx and rising latency) up to --max-in-flight; a number fixes it.
    #[arg(long, value_name = "auto|N", default_value = "auto")]
    pub(crate) in_flight: InFlight,
    /// The most page requests `--in-flight auto` keeps in flight.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    pub(crate) max_in_flight: usize,
    /// Rows per Parquet row group.
    #[arg(long, value_name = "ROWS")]
    pub(crate) row_group_rows: Option<usize>,
    /// Start a new file after this many rows.
    #[arg(long, value_name = "ROWS")]
    pub(crate) max_rows_per_file: Option<u64>,
    /// Start a new file once one reaches this size (bytes; K, M and G suffixes allowed).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_bytes_per_file: Option<u64>,
    /// Hive-style folders by a column: "Region" (its value) or "Order Date:month" (year, month or
    /// day of a date or timestamp); the column stays in the files.
    #[arg(long, value_name = "COLUMN[:year|month|day]")]
    pub(crate) partition_by: Option<PartitionSpec>,
    /// Partition folders an export may write before it stops.
    #[arg(long, value_name = "N", requires = "partition_by")]
    pub(crate) max_partitions: Option<usize>,
    /// Accept a result ThoughtSpot sampled (samplingRatio below 1).
    #[arg(long)]
    pub(crate) allow_sampled: bool,
    /// Accept fewer rows than ThoughtSpot reported, or pages that moved while paging.
    #[arg(long)]
    pub(crate) allow_incomplete: bool,
    /// The zone dates and times are read in [default: the cluster's, from session/info].
    #[arg(long, value_name = "ZONE")]
    pub(crate) time_zone: Option<String>,
    /// Sort the result by a column, ascending unless `:desc`: "Sales:desc". Repeat to break ties
    /// by more columns. REST API v2 only (runtime_sort).
    #[arg(long = "sort", value_name = "COLUMN[:asc|desc]")]
    pub(crate) sort: Vec<String>,
    /// Override a parameter of the data source: "Discount Rate=0.15". VALUE is a number, true or
    /// false, a YYYY-MM-DD date (sent as its midnight in the --time-zone, else the cluster's zone),
    /// or text. Repeat for several. REST API v2 only (runtime_param_override).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub(crate) params: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress bar (it only shows on a terminal anyway).
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The search, in ThoughtSpot's search language: "[Region] [Sales] sort by [Region]". Add a
    /// `sort by` so pages stay stable.
    pub(crate) query: String,
    /// The worksheet, view or table to search, by id or exact name.
    #[arg(long, short, value_name = "ID_OR_NAME")]
    pub(crate) source: String,
    #[command(flatten)]
    pub(crate) export: ExportArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AnswerArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The saved Answer, by id or exact name. Answers are read through REST API v2.
    pub(crate) answer: String,
    #[command(flatten)]
    pub(crate) export: ExportArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PinboardArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The pinboard (Liveboard), by id or exact name.
    pub(crate) pinboard: String,
    /// Only this viz, by id or exact name; repeat for several. Default: every viz with data, one
    /// folder each. With one --viz its files go straight into --out.
    #[arg(long = "viz", value_name = "ID_OR_NAME")]
    pub(crate) vizzes: Vec<String>,
    #[command(flatten)]
    pub(crate) export: ExportArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The log to export; ThoughtSpot serves one through logs/fetch.
    #[arg(long, value_name = "LOG", default_value = "security_audit")]
    pub(crate) log: LogType,
    /// The first day, YYYY-MM-DD, from its midnight in --time-zone (default: the cluster's zone).
    /// ThoughtSpot keeps security events about 30 days.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) from: NaiveDate,
    /// The day after the last, YYYY-MM-DD, to its midnight [default: up to now].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) to: Option<NaiveDate>,
    #[command(flatten)]
    pub(crate) export: ExportArgs,
}

/// `1000`, `64K`, `256M`, `1G` (powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    text.parse::<ByteSize>()
        .map(|size| size.0)
        .map_err(|e| e.to_string())
}

impl ExportArgs {
    /// Every flag checked before anything connects, so a typo costs no sign-in.
    fn options(&self) -> Result<ExportOptions, CliError> {
        let usage = |e: &dyn std::fmt::Display| CliError::usage(e.to_string());
        let types = self
            .types
            .iter()
            .map(|t| t.parse::<TypeHint>().map_err(|e| usage(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        let time_zone = self
            .time_zone
            .as_deref()
            .map(|z| {
                z.parse().map_err(|_| {
                    CliError::usage(format!(
                        "--time-zone '{z}' is not an IANA zone name such as America/Chicago or UTC"
                    ))
                })
            })
            .transpose()?;
        let sort = self
            .sort
            .iter()
            .map(|s| s.parse::<SortBy>().map_err(|e| usage(&format!("--{e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let params = self
            .params
            .iter()
            .map(|p| parse_param(p).map_err(|e| usage(&format!("--{e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let format = match &self.format {
            Some(f) => Some(f.parse::<OutputFormat>().map_err(|e| usage(&e))?),
            // Stdout has no file name to take a format from; Arrow streams best.
            None if self.out == "-" => Some(OutputFormat::Files(FileFormat::ArrowIpc)),
            None => None,
        };
        let settings = Settings {
            format,
            compression: Some(self.compression.parse::<Codec>().map_err(|e| usage(&e))?),
            mode: Some(self.mode.parse::<WriteMode>().map_err(|e| usage(&e))?),
            types,
            on_drift: Some(
                self.on_drift
                    .parse::<DriftPolicy>()
                    .map_err(|e| usage(&e))?,
            ),
            page_size: Some(self.page_size),
            in_flight: Some(self.in_flight),
            max_in_flight: Some(self.max_in_flight),
            row_group_rows: self.row_group_rows,
            max_rows_per_file: self.max_rows_per_file,
            max_bytes_per_file: self.max_bytes_per_file,
            allow_sampled: Some(self.allow_sampled),
            allow_incomplete: Some(self.allow_incomplete),
            time_zone,
            partition_by: self.partition_by.clone(),
            partition_key: None,
            max_partitions: self.max_partitions,
            sort,
            params,
        };
        ExportOptions::from_settings(&settings, &self.out).map_err(settings_error)
    }
}

impl ExportArgs {
    /// The adaptive limit of `--in-flight auto`, none for a fixed number.
    fn adaptive_limit(&self) -> Option<AdaptiveLimit> {
        (self.in_flight == InFlight::Auto).then(|| AdaptiveLimit::up_to(self.max_in_flight))
    }
}

/// A settings error in the words of the flags that set them.
fn settings_error(error: SettingsError) -> CliError {
    CliError::usage(match error {
        SettingsError::PageSize(got) => {
            format!("--page-size must be 1 to {MAX_PAGE_SIZE} (got {got})")
        }
        SettingsError::InFlight(got) => {
            format!("--in-flight must be auto or 1 to {MAX_IN_FLIGHT} (got {got})")
        }
        SettingsError::MaxInFlight(got) => {
            format!("--max-in-flight must be 1 to {MAX_IN_FLIGHT} (got {got})")
        }
        SettingsError::NoPartitions => "--max-partitions must be at least 1".to_string(),
        other => other.to_string(),
    })
}

pub(crate) async fn search(args: SearchArgs) -> Result<(), CliError> {
    let options = args.export.options()?;
    let client = args
        .connection
        .client_adapting(args.export.adaptive_limit())?;
    let source = resolve::object(&client, ObjectType::LogicalTable, &[], &args.source).await?;
    let request = SearchRequest::new(args.query, source.id);
    run(
        &client,
        ExportSource::Search(request),
        &args.export,
        options,
    )
    .await
}

pub(crate) async fn answer(args: AnswerArgs) -> Result<(), CliError> {
    let options = args.export.options()?;
    let client = args
        .connection
        .client_adapting(args.export.adaptive_limit())?;
    if client.data_api().await? == ApiVersion::V1 {
        return Err(CliError::usage(format!(
            "answer '{}': saved Answers can only be read through REST API v2, and this cluster \
             (or --api v1) means v1. Use --api v2 on a cluster that serves it",
            args.answer
        )));
    }
    let answer = resolve::object(&client, ObjectType::Answer, &[], &args.answer).await?;
    let source = ExportSource::Answer(AnswerRequest::new(answer.id));
    run(&client, source, &args.export, options).await
}

pub(crate) async fn logs(args: LogsArgs) -> Result<(), CliError> {
    let options = args.export.options()?;
    let client = args
        .connection
        .client_adapting(args.export.adaptive_limit())?;
    let request = LogRequest {
        log_type: args.log,
        from: args.from,
        to: args.to,
    };
    run(&client, ExportSource::Log(request), &args.export, options).await
}

pub(crate) async fn pinboard(args: PinboardArgs) -> Result<(), CliError> {
    let options = args.export.options()?;
    let client = args
        .connection
        .client_adapting(args.export.adaptive_limit())?;
    let pinboard = resolve::object(&client, ObjectType::Pinboard, &[], &args.pinboard).await?;
    let source = ExportSource::Pinboard {
        pinboard: pinboard.id,
        vizzes: args.vizzes,
    };
    run(&client, source, &args.export, options).await
}

async fn run(
    client: &Client,
    source: ExportSource,
    args: &ExportArgs,
    options: ExportOptions,
) -> Result<(), CliError> {
    if args.out == "-" {
        return to_stdout(client, source, options).await;
    }
    let bar = progress_bar(args.quiet);
    let export = Export::new(client, source)
        .to(args.out.clone())
        .options(options)
        .on_progress(render(bar.clone()));
    let result = export.run().await;
    bar.finish_and_clear();
    let summary = result.map_err(from_export_error)?;
    let requests = client.request_stats();
    if args.json {
        let mut json = summary.to_json();
        json["requests"] = serde_json::json!(requests);
        output::json(&json)
    } else {
        print_summary(&summary);
        print_requests(&requests);
        Ok(())
    }
}

/// `--out -`: batches straight to stdout as Arrow IPC stream, CSV or Parquet (see
/// [`Export::to_writer`]).
async fn to_stdout(
    client: &Client,
    source: ExportSource,
    options: ExportOptions,
) -> Result<(), CliError> {
    match Export::new(client, source)
        .options(options)
        .to_writer(std::io::stdout())
        .await
    {
        Ok(_) => Ok(()),
        Err(ExportError::StreamNeedsOneViz { .. }) => Err(CliError::usage(
            "stdout holds one table: pick one viz with --viz, or write to a folder",
        )),
        Err(error) => Err(from_export_error(error)),
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {human_pos}/{human_len} rows {per_sec} {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn render(bar: ProgressBar) -> impl Fn(&Progress) + Send + Sync + 'static {
    let bar = Arc::new(bar);
    move |event| match event {
        Progress::TableStarted { table, .. } => {
            bar.set_position(0);
            bar.set_message(if table.is_empty() {
                "exporting".to_string()
            } else {
                table.clone()
            });
        }
        Progress::Page {
            rows,
            rows_expected,
            ..
        } => {
            if let Some(total) = rows_expected {
                bar.set_length((*total).max(*rows));
            }
            bar.set_position(*rows);
        }
        Progress::Restarted { table, reason } => {
            bar.println(format!("restarting {table}: {reason}"));
        }
        Progress::TableFinished { .. } | Progress::Committed { .. } => {}
    }
}

fn print_summary(summary: &Summary) {
    println!(
        "exported {} rows to {} in {:.1} s ({} files, {})",
        summary.rows,
        summary.destination,
        summary.seconds,
        summary.files,
        human_bytes(summary.bytes)
    );
    let rows: Vec<[String; 6]> = summary
        .tables
        .iter()
        .map(|t| {
            [
                if t.name.is_empty() {
                    ".".into()
                } else {
                    t.name.clone()
                },
                t.rows.to_string(),
                t.rows_expected.map_or("-".into(), |r| r.to_string()),
                t.files.len().to_string(),
                t.schema.fields().len().to_string(),
                t.restarts.to_string(),
            ]
        })
        .collect();
    output::table(
        ["TABLE", "ROWS", "REPORTED", "FILES", "COLUMNS", "RESTARTS"],
        &rows,
    );
    match summary.table_version {
        Some(version) => println!("table version {version}: {}", summary.manifest),
        None => println!("manifest: {}", summary.manifest),
    }
}

/// What the export's calls met: a slow or rate-limited cluster shows here.
fn print_requests(stats: &RequestStats) {
    println!(
        "requests: {} sent, {} answered 429, {} 5xx or timed out, {} retries; up to {} in flight",
        stats.requests,
        stats.rate_limited,
        stats.server_errors,
        stats.retries,
        stats.peak_in_flight
    );
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The library's messages name its settings (`mode`, `allow_incomplete`); a CLI user also reads
/// the flag that sets it.
fn from_export_error(error: ExportError) -> CliError {
    match flag_hint(&error) {
        Some(hint) => CliError::of_kind(
            error.kind(),
            format!("{error} (on the command line: {hint})"),
        ),
        None => CliError::of_kind(error.kind(), error.to_string()),
    }
}

fn flag_hint(error: &ExportError) -> Option<&'static str> {
    use crate::pager::PagerError;
    use crate::read::ReadError;
    use crate::sink::{PartitionError, SinkError};
    let sink = match error {
        ExportError::Sink(sink) | ExportError::Partition(PartitionError::Sink(sink)) => Some(sink),
        _ => None,
    };
    match (sink, error) {
        (Some(SinkError::NotEmpty { .. }), _) => {
            Some("--mode overwrite replaces it, --mode append adds to it")
        }
        (Some(SinkError::SchemaChanged { .. }), _) => Some("--mode overwrite replaces it"),
        (_, ExportError::Read(ReadError::Pager(PagerError::Incomplete { .. }))) => {
            Some("--allow-incomplete accepts it")
        }
        (_, ExportError::Read(ReadError::Pager(PagerError::Sampled { .. }))) => {
            Some("--allow-sampled accepts it")
        }
        _ => None,
    }
}
