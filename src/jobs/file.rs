//! The job file: one TOML file declares a connection, defaults and many exports, so a nightly run is
//! `tsexport run jobs.toml`. Every key is known: an unknown key or a bad value is an error that names
//! the file, the line and the key, before anything connects.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use schemars::JsonSchema;
use serde::de::{self, Deserializer};
use serde::Deserialize;

use chrono::NaiveDate;

use super::window::WindowSize;
use crate::decode::{ColumnType, TypeHint};
use crate::export::{DriftPolicy, ExportOptions, OutputFormat, Settings, SettingsError};
use crate::sink::{Codec, PartitionBy, PartitionSpec, WriteMode};

/// A whole job file.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "tsexport job file")]
pub struct JobFile {
    /// How to reach and sign in to ThoughtSpot. `--url`, `TSEXPORT_URL`, `TSEXPORT_USERNAME`,
    /// `TSEXPORT_PASSWORD` (and the other `TSEXPORT_*` variables) override each setting.
    #[serde(default)]
    pub connection: ConnectionSettings,
    /// Settings every export takes unless it sets its own.
    #[serde(default)]
    pub defaults: ExportSettings,
    /// How the exports of a run share the machine and the cluster.
    #[serde(default)]
    pub run: RunSettings,
    /// The exports, each a search or a pinboard.
    #[serde(default, rename = "export")]
    pub exports: Vec<ExportEntry>,
}

impl JobFile {
    /// How a run's client paces its calls: one adaptive limit for the whole run, within
    /// [`RunSettings::request_cap`], unless every export fixes its `in_flight` (then the cap alone,
    /// as a fixed number). One limit, because the exports share one cluster.
    pub fn adaptive_limit(&self) -> Option<crate::api::AdaptiveLimit> {
        let every_one_fixed = self.exports.iter().all(|export| {
            matches!(
                export.settings_over(&self.defaults).in_flight,
                Some(crate::api::InFlight::Fixed(_))
            )
        });
        (!every_one_fixed).then(|| crate::api::AdaptiveLimit::up_to(self.run.request_cap()))
    }
}

/// How to reach ThoughtSpot. Secrets are never written here: only the path of a file that holds one,
/// or the environment (`TSEXPORT_PASSWORD`, `TSEXPORT_SECRET_KEY`, `TSEXPORT_TOKEN`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    /// A named connection (`[connections.NAME]`) of the config file, as `--connection NAME`; the
    /// settings here override it.
    pub profile: Option<String>,
    /// Cluster address, e.g. `https://example.thoughtspot.cloud`.
    pub url: Option<String>,
    /// `username`: the user to sign in as.
    pub username: Option<String>,
    /// File whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// File whose first line is the trusted-authentication secret key.
    pub secret_key_file: Option<PathBuf>,
    /// File whose first line is a bearer token.
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for one response.
    pub timeout: Option<u64>,
    /// Retries of a failed read before giving up (default 5).
    pub retries: Option<u32>,
    /// Largest response accepted, e.g. `"512M"` (the default).
    #[schemars(with = "Option<String>")]
    pub max_response_size: Option<ByteSize>,
    /// PEM file of a private CA to trust.
    pub ca_cert: Option<PathBuf>,
    /// The REST API data is read through: `v1`, `v2`, or `auto` (ask the cluster once; v2 when it
    /// is served) [default: auto].
    pub api: Option<Parsed<crate::api::ApiChoice>>,
}

/// How a run schedules its exports.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Exports running at once.
    #[serde(default = "RunSettings::default_concurrency")]
    #[schemars(range(min = 1, max = 64))]
    pub concurrency: usize,
    /// Requests in flight to ThoughtSpot at once, across every export of the run, so that a big job
    /// file cannot overload the cluster; with `in_flight = "auto"` the run's adaptive limit stays
    /// within it. Default: 8, or twice the concurrency when that is more.
    #[schemars(range(min = 1, max = 256))]
    pub max_requests: Option<usize>,
}

impl RunSettings {
    fn default_concurrency() -> usize {
        2
    }

    /// The request cap in effect.
    pub fn request_cap(&self) -> usize {
        self.max_requests
            .unwrap_or((self.concurrency * 2).max(crate::api::DEFAULT_MAX_IN_FLIGHT))
            .max(1)
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            concurrency: Self::default_concurrency(),
            max_requests: None,
        }
    }
}

/// Declares the export settings once, for both `[defaults]` and each `[[export]]` (serde's
/// `flatten` would lose `deny_unknown_fields`, and with it the error for a misspelt key).
macro_rules! with_export_settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )* }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Format: `parquet`, `arrow` or `csv` files, or a `delta` table [default: from `out`'s extension, else parquet].
            pub format: Option<Parsed<OutputFormat>>,
            /// Parquet compression: `zstd` (`zstd:LEVEL`, 1-22), `snappy`, `lz4`, `gzip`
            /// (`gzip:LEVEL`), `none` [default: zstd].
            pub compression: Option<Parsed<Codec>>,
            /// Data already at the destination: `overwrite` (only files a previous export wrote),
            /// `append`, or `error-if-exists` [default: overwrite].
            pub mode: Option<Parsed<WriteMode>>,
            /// Column types that override ThoughtSpot's and the data's: `{ "Order Date" = "date" }`;
            /// types: string, int, float, bool, date, timestamp, time, decimal(P,S).
            pub types: Option<BTreeMap<String, Parsed<ColumnType>>>,
            /// A value that does not fit its column: `widen` the type and read again, or `fail`
            /// [default: widen].
            pub on_drift: Option<Parsed<DriftPolicy>>,
            /// Rows per request [default: 100000, the most ThoughtSpot serves].
            #[schemars(range(min = 1, max = crate::export::MAX_PAGE_SIZE))]
            pub page_size: Option<u64>,
            /// Page requests in flight at once per export: `"auto"` adapts to what the cluster
            /// sustains (up to `max_in_flight`, within the run's `max_requests`), a number fixes it
            /// [default: auto].
            pub in_flight: Option<crate::api::InFlight>,
            /// The most page requests `"auto"` keeps in flight per export [default: 8].
            #[schemars(range(min = 1, max = crate::export::MAX_IN_FLIGHT))]
            pub max_in_flight: Option<usize>,
            /// Rows per Parquet row group [default: 1048576].
            pub row_group_rows: Option<usize>,
            /// Start a new file after this many rows.
            pub max_rows_per_file: Option<u64>,
            /// Start a new file once one reaches this size: bytes, or a number with K, M or G.
            pub max_bytes_per_file: Option<ByteSize>,
            /// Accept a result ThoughtSpot sampled [default: false].
            pub allow_sampled: Option<bool>,
            /// Accept fewer rows than ThoughtSpot reported, or pages that moved [default: false].
            pub allow_incomplete: Option<bool>,
            /// IANA zone dates and times are read in [default: the cluster's].
            pub time_zone: Option<Parsed<chrono_tz::Tz>>,
            /// Hive-style folders by a column: `"Region"` (its value) or `"Order Date:month"` (`year`,
            /// `month` or `day` of a date or timestamp). The column stays in the files.
            pub partition_by: Option<Parsed<PartitionSpec>>,
            /// The folders' key [default: the column in snake case, plus `_month` etc.].
            pub partition_key: Option<String>,
            /// Partition folders one export may write before it stops [default: 256].
            pub max_partitions: Option<usize>,
            /// Sort the result, first column first: `["Sales:desc", "Order ID"]` (ascending unless
            /// `:desc`). REST API v2 only (`api = "v2"`). An export's own list replaces the defaults'.
            pub sort: Option<Vec<Parsed<crate::api::SortBy>>>,
            /// Override parameters of the data source: `{ "Discount Rate" = 0.15 }`; values are
            /// numbers, booleans, dates (`2024-01-31` or `"2024-01-31"`, sent as midnight in the
            /// export's zone) or text. REST API v2 only. Merged over the defaults' by name.
            pub params: Option<BTreeMap<String, ParamSetting>>,
        }

        impl $name {
            /// These settings, with `defaults` filling what they leave unset.
            pub fn settings_over(&self, defaults: &ExportSettings) -> ExportSettings {
                ExportSettings {
                    format: self.format.clone().or_else(|| defaults.format.clone()),
                    compression: self.compression.clone().or_else(|| defaults.compression.clone()),
                    mode: self.mode.clone().or_else(|| defaults.mode.clone()),
                    types: merge_types(&defaults.types, &self.types),
                    on_drift: self.on_drift.clone().or_else(|| defaults.on_drift.clone()),
                    page_size: self.page_size.or(defaults.page_size),
                    in_flight: self.in_flight.or(defaults.in_flight),
                    max_in_flight: self.max_in_flight.or(defaults.max_in_flight),
                    row_group_rows: self.row_group_rows.or(defaults.row_group_rows),
                    max_rows_per_file: self.max_rows_per_file.or(defaults.max_rows_per_file),
                    max_bytes_per_file: self.max_bytes_per_file.or(defaults.max_bytes_per_file),
                    allow_sampled: self.allow_sampled.or(defaults.allow_sampled),
                    allow_incomplete: self.allow_incomplete.or(defaults.allow_incomplete),
                    time_zone: self.time_zone.clone().or_else(|| defaults.time_zone.clone()),
                    partition_by: self.partition_by.clone().or_else(|| defaults.partition_by.clone()),
                    partition_key: self.partition_key.clone().or_else(|| defaults.partition_key.clone()),
                    max_partitions: self.max_partitions.or(defaults.max_partitions),
                    sort: self.sort.clone().or_else(|| defaults.sort.clone()),
                    params: merge_params(&defaults.params, &self.params),
                }
            }
        }
    };
}

with_export_settings! {
    /// Settings of an export; in `[defaults]`, of every export.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ExportSettings {}
}

with_export_settings! {
    /// One export: a search (`search` and `source`), a pinboard (`pinboard`, optionally `vizzes`) or
    /// a saved Answer (`answer`), and where it goes.
    #[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ExportEntry {
        /// Unique within the file: `--only` selects by it, reports and `{name}` use it.
        pub name: String,
        /// A search in ThoughtSpot's search language; add a `sort by` so pages stay stable.
        pub search: Option<String>,
        /// The worksheet, view or table the search runs on, by id or exact name.
        pub source: Option<String>,
        /// A pinboard (Liveboard), by id or exact name.
        pub pinboard: Option<String>,
        /// The pinboard's vizzes to export, by id or exact name [default: every viz with data].
        pub vizzes: Option<Vec<String>>,
        /// A saved Answer, by id or exact name; read through REST API v2 (`api = "v2"` or `"auto"`
        /// in `[connection]`).
        pub answer: Option<String>,
        /// One of ThoughtSpot's own logs: `security_audit` (REST v2 `logs/fetch`; the user needs the
        /// ADMINISTRATION privilege). Needs a `window`: each window's days are read, at most 24
        /// hours a request.
        pub logs: Option<Parsed<crate::api::LogType>>,
        /// Destination folder, file or object-store URL (`s3://`, `gs://`, `az://`, `file://`), with
        /// placeholders: `{name}`, `{run_date}` (YYYY-MM-DD), and with a window `{window_start}`,
        /// `{window_end}` (YYYY-MM-DD).
        pub out: String,
        /// Read one window of dates per run: `day`, `week` (from Monday) or `month`. The search must
        /// hold `{window_start}` (and usually `{window_end}`), and so must `out`, so that each window
        /// has its own folder; the last window committed is kept in `_tsexport_state/NAME.json`
        /// beside them.
        pub window: Option<Parsed<WindowSize>>,
        /// Windows before the first new one to export again, for rows that arrive late [default: 0].
        pub lookback: Option<u32>,
        /// The first window to export when there is no state yet, "YYYY-MM-DD" [default: only the
        /// newest complete window].
        pub first_window: Option<Parsed<NaiveDate>>,
        /// How `{window_start}` and `{window_end}` are written into the search, as strftime
        /// [default: "%Y-%m-%d"].
        pub window_date_format: Option<String>,
    }
}

/// Per-column hints: `[defaults]` first, the export's own on top.
fn merge_types(
    defaults: &Option<BTreeMap<String, Parsed<ColumnType>>>,
    own: &Option<BTreeMap<String, Parsed<ColumnType>>>,
) -> Option<BTreeMap<String, Parsed<ColumnType>>> {
    match (defaults, own) {
        (None, None) => None,
        (defaults, own) => {
            let mut merged = defaults.clone().unwrap_or_default();
            merged.extend(own.clone().unwrap_or_default());
            Some(merged)
        }
    }
}

/// Parameter overrides: `[defaults]` first, the export's own on top.
fn merge_params(
    defaults: &Option<BTreeMap<String, ParamSetting>>,
    own: &Option<BTreeMap<String, ParamSetting>>,
) -> Option<BTreeMap<String, ParamSetting>> {
    match (defaults, own) {
        (None, None) => None,
        (defaults, own) => {
            let mut merged = defaults.clone().unwrap_or_default();
            merged.extend(own.clone().unwrap_or_default());
            Some(merged)
        }
    }
}

/// What an export reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// `search` with `source`: a search query run on a worksheet, view or table.
    Search {
        /// The search query (`search`), with any `{window_start}`/`{window_end}` placeholders.
        query: String,
        /// The worksheet, view or table the search runs on (`source`), by id or name.
        source: String,
    },
    /// `pinboard`: the vizzes of a pinboard, each its own table.
    Pinboard {
        /// The pinboard (`pinboard`), by id or name.
        pinboard: String,
        /// The vizzes to export (`vizzes`), by id or name; empty: all of them.
        vizzes: Vec<String>,
    },
    /// A saved Answer (read through REST API v2).
    Answer {
        /// The saved answer (`answer`), by id or name.
        answer: String,
    },
    /// One of ThoughtSpot's own logs (`logs`), over a window's days.
    Log {
        /// Which log.
        log_type: crate::api::LogType,
        /// The days read, the first included and the last excluded; `None` before a window is
        /// chosen (see [`PlannedExport::in_window`](super::PlannedExport::in_window)).
        days: Option<(NaiveDate, NaiveDate)>,
    },
}

/// Why an `[[export]]` does not say what it reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceSpecError {
    /// `answer` is given together with `search`, `source` or `pinboard`; holds the export's name.
    #[error("export '{0}': give one of `search` and `source`, `pinboard`, or `answer`")]
    AnswerAndMore(String),
    /// `vizzes` is given with `answer`; holds the export's name.
    #[error("export '{0}': `vizzes` belongs to a pinboard export, not an answer")]
    VizzesOfAnswer(String),
    /// `vizzes` is given with `search`; holds the export's name.
    #[error("export '{0}': `vizzes` belongs to a pinboard export, not a search")]
    VizzesOfSearch(String),
    /// `search` is given without `source`; holds the export's name.
    #[error("export '{0}': a search needs `source`, the worksheet, view or table it runs on")]
    SearchWithoutSource(String),
    /// `source` is given without `search`; holds the export's name.
    #[error("export '{0}': `source` goes with `search`; give the search too")]
    SourceWithoutSearch(String),
    /// `search` or `source` is given together with `pinboard`; holds the export's name.
    #[error("export '{0}': give either `search` and `source`, or `pinboard`, not both")]
    SearchAndPinboard(String),
    /// None of `search`, `pinboard`, `answer` and `logs` is given; holds the export's name.
    #[error(
        "export '{0}': say what to export: `search` and `source`, `pinboard`, `answer`, or `logs`"
    )]
    Nothing(String),
    /// `logs` is given together with another source; holds the export's name.
    #[error("export '{0}': `logs` is an export of its own: drop `search`, `source`, `pinboard`, `vizzes` and `answer`")]
    LogsAndMore(String),
}

impl SourceSpec {
    /// What a `logs` export reads: its window's days, or without one the day before today (UTC).
    pub fn log_request(
        log_type: crate::api::LogType,
        days: Option<(NaiveDate, NaiveDate)>,
    ) -> crate::logs::LogRequest {
        let (from, to) = days.unwrap_or_else(|| {
            let today = chrono::Utc::now().date_naive();
            (today - chrono::Days::new(1), today)
        });
        crate::logs::LogRequest::days(log_type, from, to)
    }
}

impl ExportEntry {
    /// The search, pinboard or answer this export reads; exactly one of them must be given.
    pub fn source_spec(&self) -> Result<SourceSpec, SourceSpecError> {
        let name = || self.name.clone();
        if let Some(Parsed(log_type)) = self.logs {
            let others = [&self.search, &self.source, &self.pinboard, &self.answer];
            if others.iter().any(|o| o.is_some()) || self.vizzes.is_some() {
                return Err(SourceSpecError::LogsAndMore(name()));
            }
            return Ok(SourceSpec::Log {
                log_type,
                days: None,
            });
        }
        if let Some(answer) = &self.answer {
            if self.search.is_some() || self.source.is_some() || self.pinboard.is_some() {
                return Err(SourceSpecError::AnswerAndMore(name()));
            }
            if self.vizzes.is_some() {
                return Err(SourceSpecError::VizzesOfAnswer(name()));
            }
            return Ok(SourceSpec::Answer {
                answer: answer.clone(),
            });
        }
        match (&self.search, &self.source, &self.pinboard) {
            (Some(query), Some(source), None) => {
                if self.vizzes.is_some() {
                    return Err(SourceSpecError::VizzesOfSearch(name()));
                }
                Ok(SourceSpec::Search {
                    query: query.clone(),
                    source: source.clone(),
                })
            }
            (None, None, Some(pinboard)) => Ok(SourceSpec::Pinboard {
                pinboard: pinboard.clone(),
                vizzes: self.vizzes.clone().unwrap_or_default(),
            }),
            (Some(_), None, _) => Err(SourceSpecError::SearchWithoutSource(name())),
            (None, Some(_), None) => Err(SourceSpecError::SourceWithoutSearch(name())),
            (_, _, Some(_)) if self.search.is_some() || self.source.is_some() => {
                Err(SourceSpecError::SearchAndPinboard(name()))
            }
            _ => Err(SourceSpecError::Nothing(name())),
        }
    }
}

/// Why an export's window settings do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowRuleError {
    /// `{window_start}` or `{window_end}` appears in the search or `out` without a `window`.
    #[error("{{window_start}} and {{window_end}} need a `window` (day, week or month)")]
    PlaceholdersWithoutWindow,
    /// `lookback`, `first_window` or `window_date_format` is set without a `window`.
    #[error("`lookback`, `first_window` and `window_date_format` need a `window`")]
    SettingsWithoutWindow,
    /// A `window` is set on a pinboard or answer export.
    #[error("windows apply to searches and logs: give `search` with {{window_start}}")]
    NotASearch,
    /// A `logs` export has no `window`.
    #[error("a `logs` export reads one window of days per run: add window = \"day\" (and {{window_start}} in `out`)")]
    LogsWithoutWindow,
    /// A `window` is set but the search holds no `{window_start}`.
    #[error("with a window, the search must filter on it, e.g. [Order Date] >= '{{window_start}}' [Order Date] < '{{window_end}}'")]
    SearchWithoutWindow,
    /// A `window` is set but `out` holds no `{window_start}`.
    #[error("with a window, `out` must hold {{window_start}} so each window has its own folder, e.g. s3://lake/sales/order_date={{window_start}}/")]
    OutWithoutWindow,
    /// A `window` is set and `out` holds `{run_date}`.
    #[error(
        "with a window, `out` cannot hold {{run_date}}: the windows of every run belong together"
    )]
    OutWithRunDate,
    /// A `window` is set but `out` has no folder before `{window_start}` for the state.
    #[error("with a window, `out` needs a folder before {{window_start}} to keep the state in")]
    NoStateFolder,
    /// A windowed Delta export's `out` holds a window placeholder.
    #[error("a Delta table holds every window: `out` names the table's root, without {{window_start}} or {{window_end}}, e.g. s3://lake/retail/daily_lines/")]
    TableOutWithWindow,
    /// A windowed Delta export is not partitioned by a date part at the window's grain or finer.
    #[error("each window of a Delta table replaces exactly its own partitions, so the table must be partitioned by the window's date column at the {window}'s grain or finer: add partition_by = \"COLUMN:{grain}\" with the column the search's window filters on{got}")]
    TableWithoutWindowPartition {
        /// The window size.
        window: String,
        /// The grain to add.
        grain: &'static str,
        /// What the export has instead, as ` (it has ...)`, or empty.
        got: String,
    },
}

/// The window rules of an export to a Delta table (see [`ExportEntry::check_window`]).
fn check_table_window(
    entry: &ExportEntry,
    settings: &ExportSettings,
) -> Result<(), WindowRuleError> {
    if entry.out.contains("{window_start}") || entry.out.contains("{window_end}") {
        return Err(WindowRuleError::TableOutWithWindow);
    }
    if entry.out.contains("{run_date}") {
        return Err(WindowRuleError::OutWithRunDate);
    }
    let Some(Parsed(size)) = entry.window else {
        return Ok(());
    };
    let partition = settings.partition_by.as_ref().map(|p| &p.0);
    let fits = matches!(
        (size, partition.map(|p| p.by)),
        (_, Some(PartitionBy::Day)) | (WindowSize::Month, Some(PartitionBy::Month))
    );
    if fits {
        return Ok(());
    }
    Err(WindowRuleError::TableWithoutWindowPartition {
        window: size.to_string(),
        grain: if size == WindowSize::Month {
            "month"
        } else {
            "day"
        },
        got: partition.map_or_else(String::new, |p| {
            format!(" (it has partition_by = \"{}:{}\")", p.column, p.by)
        }),
    })
}

impl ExportEntry {
    /// A window needs its placeholders in the search and in `out`; no window, no placeholders. A
    /// window of a Delta table (`settings`, the export's over the defaults) needs the table's root
    /// as `out` and a partitioning by a date part at the window's grain or finer.
    fn check_window(&self, settings: &ExportSettings) -> Result<(), WindowRuleError> {
        let query = self.search.as_deref().unwrap_or_default();
        let in_query = query.contains("{window_start}") || query.contains("{window_end}");
        let in_out = self.out.contains("{window_start}") || self.out.contains("{window_end}");
        if self.window.is_none() {
            if in_query || in_out {
                return Err(WindowRuleError::PlaceholdersWithoutWindow);
            }
            if self.lookback.is_some()
                || self.first_window.is_some()
                || self.window_date_format.is_some()
            {
                return Err(WindowRuleError::SettingsWithoutWindow);
            }
            if self.logs.is_some() {
                return Err(WindowRuleError::LogsWithoutWindow);
            }
            return Ok(());
        }
        if self.logs.is_none() {
            if self.search.is_none() {
                return Err(WindowRuleError::NotASearch);
            }
            if !query.contains("{window_start}") {
                return Err(WindowRuleError::SearchWithoutWindow);
            }
        }
        if let Some(Parsed(OutputFormat::Table(_))) = settings.format {
            return check_table_window(self, settings);
        }
        if !self.out.contains("{window_start}") {
            return Err(WindowRuleError::OutWithoutWindow);
        }
        if self.out.contains("{run_date}") {
            return Err(WindowRuleError::OutWithRunDate);
        }
        if super::plan::state_folder(&self.out).is_empty() {
            return Err(WindowRuleError::NoStateFolder);
        }
        Ok(())
    }
}

impl ExportSettings {
    /// These settings as the library takes them.
    pub fn settings(&self) -> Settings {
        Settings {
            format: self.format.as_ref().map(|f| f.0),
            compression: self.compression.as_ref().map(|c| c.0),
            mode: self.mode.as_ref().map(|m| m.0),
            types: self
                .types
                .iter()
                .flatten()
                .map(|(column, column_type)| TypeHint {
                    column: column.clone(),
                    column_type: column_type.0,
                })
                .collect(),
            on_drift: self.on_drift.as_ref().map(|d| d.0),
            page_size: self.page_size,
            in_flight: self.in_flight,
            max_in_flight: self.max_in_flight,
            row_group_rows: self.row_group_rows,
            max_rows_per_file: self.max_rows_per_file,
            max_bytes_per_file: self.max_bytes_per_file.map(|b| b.0),
            allow_sampled: self.allow_sampled,
            allow_incomplete: self.allow_incomplete,
            time_zone: self.time_zone.as_ref().map(|z| z.0),
            partition_by: self.partition_by.as_ref().map(|p| p.0.clone()),
            partition_key: self.partition_key.clone(),
            max_partitions: self.max_partitions,
            sort: self.sort.iter().flatten().map(|s| s.0.clone()).collect(),
            params: self
                .params
                .iter()
                .flatten()
                .map(|(name, value)| (name.clone(), value.0.clone()))
                .collect(),
        }
    }

    /// The export options these settings stand for ([`ExportOptions::from_settings`]); `out` picks
    /// the format when none is set.
    pub fn options(&self, out: &str) -> Result<ExportOptions, SettingsError> {
        ExportOptions::from_settings(&self.settings(), out)
    }
}

/// Why a job file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobFileError {
    /// The job file could not be read.
    #[error("cannot read the job file {}: {source}", path.display())]
    Read {
        /// The job file's path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown, a value is bad, or settings do not fit together.
    #[error("job file {}: {source}", path.display())]
    Invalid {
        /// The job file's path.
        path: PathBuf,
        /// What is wrong with it.
        source: InvalidJobFile,
    },
}

/// What is wrong with a job file's text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidJobFile {
    /// Malformed TOML, an unknown key or a bad value; the message names the line and key.
    #[error("{0}")]
    Toml(String),
    /// There is no `[[export]]`.
    #[error("there is no [[export]]: add at least one (`tsexport jobs init` writes an example)")]
    NoExports,
    /// `[run] concurrency` is 0.
    #[error("[run] concurrency must be at least 1")]
    NoConcurrency,
    /// An export's `name` holds a character other than letters, digits, `_`, `-` and `.`; holds
    /// the name.
    #[error(
        "export name '{0}' must be letters, digits, '_', '-' or '.' (it names folders and reports)"
    )]
    BadName(String),
    /// Two exports share this `name`.
    #[error("two exports are named '{0}': names must be unique")]
    DuplicateName(String),
    /// An export does not say what it reads.
    #[error(transparent)]
    Source(#[from] SourceSpecError),
    /// An export's `out` is not a valid destination template.
    #[error("export '{export}': out: {source}")]
    Out {
        /// The export's name.
        export: String,
        /// What is wrong with the template.
        source: super::plan::TemplateError,
    },
    /// An export's window settings do not fit together.
    #[error("export '{export}': {source}")]
    Window {
        /// The export's name.
        export: String,
        /// What is wrong with them.
        source: WindowRuleError,
    },
    /// An export's settings are bad or do not fit together.
    #[error("export '{export}': {source}")]
    Settings {
        /// The export's name.
        export: String,
        /// What is wrong with them.
        source: SettingsError,
    },
}

impl JobFile {
    /// Reads and checks the job file at `path`.
    pub fn load(path: &Path) -> Result<JobFile, JobFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| JobFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|source| JobFileError::Invalid {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Parses and checks a job file's text: every key known, every value valid, every export
    /// complete, names unique, settings consistent.
    pub fn parse(text: &str) -> Result<JobFile, InvalidJobFile> {
        let file: JobFile = toml::from_str(text)
            .map_err(|e| InvalidJobFile::Toml(e.to_string().trim().to_string()))?;
        if file.exports.is_empty() {
            return Err(InvalidJobFile::NoExports);
        }
        if file.run.concurrency == 0 {
            return Err(InvalidJobFile::NoConcurrency);
        }
        let mut seen = std::collections::HashSet::new();
        for export in &file.exports {
            let name = &export.name;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(InvalidJobFile::BadName(name.clone()));
            }
            if !seen.insert(name.as_str()) {
                return Err(InvalidJobFile::DuplicateName(name.clone()));
            }
            export.source_spec()?;
            super::plan::check_template(&export.out).map_err(|source| InvalidJobFile::Out {
                export: name.clone(),
                source,
            })?;
            let settings = export.settings_over(&file.defaults);
            export
                .check_window(&settings)
                .map_err(|source| InvalidJobFile::Window {
                    export: name.clone(),
                    source,
                })?;
            settings
                .options(&export.out)
                .map_err(|source| InvalidJobFile::Settings {
                    export: name.clone(),
                    source,
                })?;
        }
        Ok(file)
    }

    /// The JSON Schema of the file, for editors and CI linting.
    pub fn json_schema() -> String {
        serde_json::to_string_pretty(&schemars::schema_for!(JobFile)).expect("a schema serialises")
    }
}

/// A value read from its text form with `FromStr`, so a bad value is reported by the TOML parser with
/// its line and key.
#[derive(Clone, PartialEq)]
pub struct Parsed<T>(pub T);

impl<T: fmt::Debug> fmt::Debug for Parsed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de, T> Deserialize<'de> for Parsed<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<T>(PhantomData<T>);
        impl<T> de::Visitor<'_> for Text<T>
        where
            T: FromStr,
            T::Err: fmt::Display,
        {
            type Value = Parsed<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Parsed<T>, E> {
                text.parse().map(Parsed).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text(PhantomData))
    }
}

impl JsonSchema for crate::api::InFlight {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "InFlight".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "\"auto\", or a fixed number of requests",
            "anyOf": [
                { "const": "auto" },
                { "type": "integer", "minimum": 1, "maximum": crate::export::MAX_IN_FLIGHT }
            ]
        })
    }
}

impl<T> JsonSchema for Parsed<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "string".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }

    fn inline_schema() -> bool {
        true
    }
}

/// A parameter override's value in a job file: a TOML boolean, integer, float, date (`2024-01-31`)
/// or string; a string in `YYYY-MM-DD` form is a date too, as on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSetting(pub crate::api::ParamValue);

impl<'de> Deserialize<'de> for ParamSetting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use crate::api::ParamValue;
        struct Value;
        impl<'de> de::Visitor<'de> for Value {
            type Value = ParamSetting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a boolean, a date or a string")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<ParamSetting, E> {
                Ok(ParamSetting(ParamValue::Bool(b)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<ParamSetting, E> {
                Ok(ParamSetting(ParamValue::Int(n)))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<ParamSetting, E> {
                i64::try_from(n)
                    .map(|n| ParamSetting(ParamValue::Int(n)))
                    .map_err(|_| E::custom(format!("{n} is too large for a parameter")))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<ParamSetting, E> {
                Ok(ParamSetting(ParamValue::Float(x)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<ParamSetting, E> {
                Ok(ParamSetting(match ParamValue::date(text) {
                    Some(day) => ParamValue::Date(day),
                    None => ParamValue::Text(text.to_string()),
                }))
            }
            // TOML hands a date to serde as a one-entry map holding its text.
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ParamSetting, A::Error> {
                let entry: Option<(String, String)> = map.next_entry()?;
                let text = entry.map(|(_, text)| text).unwrap_or_default();
                ParamValue::date(&text)
                    .map(|day| ParamSetting(ParamValue::Date(day)))
                    .ok_or_else(|| {
                        de::Error::custom(format!(
                            "'{text}': a parameter takes a date (YYYY-MM-DD), not a time"
                        ))
                    })
            }
        }
        deserializer.deserialize_any(Value)
    }
}

impl JsonSchema for ParamSetting {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ParamValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number, a boolean, a date (YYYY-MM-DD) or text",
            "type": ["number", "boolean", "string"]
        })
    }
}

/// A size in bytes: an integer, or a string with a K, M or G suffix (powers of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

/// Text that is not a [`ByteSize`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a size: use bytes, or a number with K, M or G")]
pub struct InvalidByteSize(pub String);

impl FromStr for ByteSize {
    type Err = InvalidByteSize;

    fn from_str(text: &str) -> Result<Self, InvalidByteSize> {
        let text = text.trim();
        let (digits, factor) = match text.char_indices().last() {
            Some((at, 'k' | 'K')) => (&text[..at], 1u64 << 10),
            Some((at, 'm' | 'M')) => (&text[..at], 1 << 20),
            Some((at, 'g' | 'G')) => (&text[..at], 1 << 30),
            _ => (text, 1),
        };
        digits
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .filter(|n| *n > 0)
            .map(ByteSize)
            .ok_or_else(|| InvalidByteSize(text.to_string()))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Bytes(u64),
            Text(String),
        }
        match Given::deserialize(deserializer)? {
            Given::Bytes(0) => Err(de::Error::custom("a size must be above 0")),
            Given::Bytes(n) => Ok(ByteSize(n)),
            Given::Text(text) => text.parse().map_err(de::Error::custom),
        }
    }
}

impl JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Bytes, or a number with a K, M or G suffix",
            "type": ["integer", "string"],
            "minimum": 1,
            "pattern": "^[0-9]+ *[KkMmGg]?$"
        })
    }
}

#[cfg(test)]
mod runtime_tests {
    use super::*;
    use crate::api::{ParamValue, SortOrder};

    #[test]
    fn sort_and_params_keys_merge_over_the_defaults() {
        let file = JobFile::parse(
            r#"
[defaults]
sort = ["Region"]
params = { "Discount Rate" = 0.5, "Since" = 2024-01-31, "Until" = "2024-02-29", "On" = true, "Top" = 3 }

[[export]]
name = "a"
search = "[Region] [Sales]"
source = "Retail Sales"
sort = ["Sales:desc", "Region"]
params = { "Discount Rate" = 0.25, "Label" = "q1" }
out = "/tmp/a"
"#,
        )
        .expect("job file");
        let export = &file.exports[0];
        let settings = export.settings_over(&file.defaults).settings();
        assert_eq!(
            settings.sort.len(),
            2,
            "the export's list replaces the defaults'"
        );
        assert_eq!(settings.sort[0].order, SortOrder::Descending);
        let params: BTreeMap<String, ParamValue> = settings.params.into_iter().collect();
        let day = |d| NaiveDate::from_ymd_opt(2024, 1, 31).unwrap() + chrono::Days::new(d);
        assert_eq!(params["Discount Rate"], ParamValue::Float(0.25));
        assert_eq!(params["Since"], ParamValue::Date(day(0)));
        assert_eq!(params["Until"], ParamValue::Date(day(29)));
        assert_eq!(params["On"], ParamValue::Bool(true));
        assert_eq!(params["Top"], ParamValue::Int(3));
        assert_eq!(params["Label"], ParamValue::Text("q1".into()));

        let error = JobFile::parse(
            "[[export]]\nname = \"x\"\nsearch = \"[Region]\"\nsource = \"s\"\nsort = [\"Sales:up\"]\nout = \"/tmp/x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("sort") && error.contains("COLUMN:desc"),
            "{error}"
        );
    }
}
