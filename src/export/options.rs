//! What shapes an export besides its source and destination: [`ExportOptions`], and the one place
//! they are built and checked from loose [`Settings`] (the command line's flags and a job file's
//! keys both fill a `Settings`), with the limits as named constants.

use std::str::FromStr;

use chrono_tz::Tz;

use crate::api::{InFlight, ParamValue, SortBy, DEFAULT_MAX_IN_FLIGHT};
use crate::decode::TypeHint;
use crate::lake::TableFormat;
use crate::pager::PagerConfig;
use crate::read::ReadOptions;
use crate::sink::{Codec, FileFormat, InvalidOption, PartitionSpec, SinkOptions, WriteMode};

/// The most page requests one export keeps in flight.
pub use crate::pager::MAX_IN_FLIGHT;
/// The most rows one page request may ask for (ThoughtSpot serves no more).
pub use crate::pager::MAX_PAGE_SIZE;

/// What to do when a value does not fit its column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftPolicy {
    /// Widen the type losslessly and read the table again (the default).
    #[default]
    Widen,
    /// Stop, naming the column, row and value.
    Fail,
}

/// A drift policy that is neither `widen` nor `fail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown drift policy '{0}': use widen or fail")]
pub struct UnknownDriftPolicy(pub String);

impl FromStr for DriftPolicy {
    type Err = UnknownDriftPolicy;

    fn from_str(text: &str) -> Result<Self, UnknownDriftPolicy> {
        match text.to_ascii_lowercase().as_str() {
            "widen" => Ok(DriftPolicy::Widen),
            "fail" => Ok(DriftPolicy::Fail),
            _ => Err(UnknownDriftPolicy(text.to_string())),
        }
    }
}

/// What an export writes: files of one format under a manifest, or a lake table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Parquet, Arrow IPC or CSV files, committed by `_manifest.json` and `_SUCCESS`.
    Files(FileFormat),
    /// A table (Parquet files committed by the table format's log).
    Table(TableFormat),
}

impl FromStr for OutputFormat {
    type Err = InvalidOption;

    fn from_str(given: &str) -> Result<Self, InvalidOption> {
        if let Ok(table) = given.trim().parse::<TableFormat>() {
            return Ok(OutputFormat::Table(table));
        }
        given.parse().map(OutputFormat::Files).map_err(|_| {
            InvalidOption::new(
                "format",
                given,
                "use parquet, arrow (alias ipc), csv or delta",
            )
        })
    }
}

/// Everything that shapes an export besides its source and destination.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// How tables are read: paging (`page_size`, `in_flight`), type hints (`types`), `time_zone`.
    pub read: ReadOptions,
    /// How files are written: format, compression, row groups, file limits.
    pub sink: SinkOptions,
    /// `on_drift`: what to do when a value does not fit its column's type (default: widen).
    pub on_drift: DriftPolicy,
    /// Restarts allowed per table; each one widens at least one column, so few are ever needed.
    pub max_restarts: u32,
    /// Hive-style folders by a column's value or date part, under each table's folder.
    pub partition: Option<PartitionSpec>,
    /// Write a lake table at the destination (its files are Parquet, as `sink` says) instead of
    /// files under a manifest.
    pub table: Option<TableFormat>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            sink: SinkOptions::default(),
            on_drift: DriftPolicy::Widen,
            max_restarts: 16,
            partition: None,
            table: None,
        }
    }
}

/// Export settings as a person gives them: each one optional, unset meaning the default.
/// [`ExportOptions::from_settings`] checks them and builds the options; the names are those of a
/// job file's keys (the command line's flags are the same with dashes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// Format [default: from the destination's extension, else Parquet files].
    pub format: Option<OutputFormat>,
    /// Parquet compression [default: zstd].
    pub compression: Option<Codec>,
    /// Data already at the destination [default: overwrite].
    pub mode: Option<WriteMode>,
    /// Column types that override ThoughtSpot's and the data's.
    pub types: Vec<TypeHint>,
    /// A value that does not fit its column [default: widen].
    pub on_drift: Option<DriftPolicy>,
    /// Rows per request, 1 to [`MAX_PAGE_SIZE`] [default: the most].
    pub page_size: Option<u64>,
    /// Page requests in flight: `auto` (adapt to the cluster, up to `max_in_flight`) or a fixed
    /// number, 1 to [`MAX_IN_FLIGHT`] [default: auto].
    pub in_flight: Option<InFlight>,
    /// The most page requests `auto` keeps in flight, 1 to [`MAX_IN_FLIGHT`] [default:
    /// [`DEFAULT_MAX_IN_FLIGHT`]]. The client's adaptive limit decides how many are sent.
    pub max_in_flight: Option<usize>,
    /// Rows per Parquet row group.
    pub row_group_rows: Option<usize>,
    /// Start a new file after this many rows.
    pub max_rows_per_file: Option<u64>,
    /// Start a new file once one reaches this many bytes.
    pub max_bytes_per_file: Option<u64>,
    /// Accept a sampled result [default: false].
    pub allow_sampled: Option<bool>,
    /// Accept fewer rows than reported, or pages that moved [default: false].
    pub allow_incomplete: Option<bool>,
    /// The zone dates and times are read in [default: the cluster's].
    pub time_zone: Option<Tz>,
    /// Hive-style folders by a column.
    pub partition_by: Option<PartitionSpec>,
    /// The folders' key [default: from the column].
    pub partition_key: Option<String>,
    /// Partition folders one export may write, at least 1 [default: 256].
    pub max_partitions: Option<usize>,
    /// A runtime sort, first column first (REST v2 `runtime_sort`; through v1 the read is refused).
    pub sort: Vec<SortBy>,
    /// Parameter overrides `(name, value)` (REST v2 `runtime_param_override`; through v1 the read is
    /// refused).
    pub params: Vec<(String, ParamValue)>,
}

/// Why [`Settings`] do not make valid options. Messages name the settings as a job file does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// `page_size` is outside 1 to [`MAX_PAGE_SIZE`]; holds the value given.
    #[error("page_size must be 1 to {MAX_PAGE_SIZE} (got {0})")]
    PageSize(u64),
    /// `in_flight` is outside 1 to [`MAX_IN_FLIGHT`]; holds the value given.
    #[error("in_flight must be `auto` or 1 to {MAX_IN_FLIGHT} (got {0})")]
    InFlight(usize),
    /// `max_in_flight` is outside 1 to [`MAX_IN_FLIGHT`]; holds the value given.
    #[error("max_in_flight must be 1 to {MAX_IN_FLIGHT} (got {0})")]
    MaxInFlight(usize),
    /// `max_partitions` is 0.
    #[error("max_partitions must be at least 1")]
    NoPartitions,
    /// `partition_key` or `max_partitions` is set without `partition_by`.
    #[error("`partition_key` and `max_partitions` need `partition_by`")]
    PartitionWithoutColumn,
    /// A file option (codec level, row group size, file limits) is out of range.
    #[error(transparent)]
    Sink(#[from] InvalidOption),
}

impl ExportOptions {
    /// The options `settings` stand for, checked: the one place export options are built from what
    /// a person gave. `destination` picks the format when none is set.
    pub fn from_settings(
        settings: &Settings,
        destination: &str,
    ) -> Result<ExportOptions, SettingsError> {
        let (format, table) = match settings.format {
            Some(OutputFormat::Files(format)) => (format, None),
            Some(OutputFormat::Table(table)) => (FileFormat::Parquet, Some(table)),
            None => (
                FileFormat::from_extension(destination).unwrap_or(FileFormat::Parquet),
                None,
            ),
        };
        let mut sink = SinkOptions {
            format,
            codec: settings.compression.unwrap_or_default(),
            mode: settings.mode.unwrap_or_default(),
            max_rows_per_file: settings.max_rows_per_file,
            max_bytes_per_file: settings.max_bytes_per_file,
            ..SinkOptions::default()
        };
        if let Some(rows) = settings.row_group_rows {
            sink.row_group_rows = rows;
        }
        sink.validate()?;
        let defaults = PagerConfig::default();
        let page_size = settings.page_size.unwrap_or(defaults.page_size);
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(SettingsError::PageSize(page_size));
        }
        let max_in_flight = settings.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if !(1..=MAX_IN_FLIGHT).contains(&max_in_flight) {
            return Err(SettingsError::MaxInFlight(max_in_flight));
        }
        let in_flight = match settings.in_flight.unwrap_or_default() {
            InFlight::Fixed(n) if !(1..=MAX_IN_FLIGHT).contains(&n) => {
                return Err(SettingsError::InFlight(n))
            }
            InFlight::Fixed(n) => n,
            InFlight::Auto => max_in_flight,
        };
        let partition = match &settings.partition_by {
            Some(spec) => {
                let mut spec = spec.clone();
                if settings.partition_key.is_some() {
                    spec.key = settings.partition_key.clone();
                }
                match settings.max_partitions {
                    Some(0) => return Err(SettingsError::NoPartitions),
                    Some(max) => spec.max_partitions = max,
                    None => {}
                }
                Some(spec)
            }
            None if settings.partition_key.is_some() || settings.max_partitions.is_some() => {
                return Err(SettingsError::PartitionWithoutColumn);
            }
            None => None,
        };
        Ok(ExportOptions {
            read: ReadOptions {
                pager: PagerConfig {
                    page_size,
                    in_flight,
                    allow_sampled: settings.allow_sampled.unwrap_or(false),
                    allow_incomplete: settings.allow_incomplete.unwrap_or(false),
                },
                hints: settings.types.clone(),
                time_zone: settings.time_zone,
                sort: settings.sort.clone(),
                params: settings.params.clone(),
                ..ReadOptions::default()
            },
            sink,
            on_drift: settings.on_drift.unwrap_or_default(),
            partition,
            table,
            ..ExportOptions::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_against_the_named_limits() {
        let options = ExportOptions::from_settings(&Settings::default(), "out/sales.csv").unwrap();
        assert_eq!(options.sink.format, FileFormat::Csv);
        assert_eq!(options.read.pager.page_size, MAX_PAGE_SIZE);
        let given =
            |settings: Settings| ExportOptions::from_settings(&settings, "out/").unwrap_err();
        let error = given(Settings {
            page_size: Some(MAX_PAGE_SIZE + 1),
            ..Settings::default()
        });
        assert!(matches!(error, SettingsError::PageSize(_)), "{error}");
        let error = given(Settings {
            in_flight: Some(InFlight::Fixed(MAX_IN_FLIGHT + 1)),
            ..Settings::default()
        });
        assert_eq!(
            error.to_string(),
            format!("in_flight must be `auto` or 1 to {MAX_IN_FLIGHT} (got 17)")
        );
        let error = given(Settings {
            max_partitions: Some(3),
            ..Settings::default()
        });
        assert!(
            matches!(error, SettingsError::PartitionWithoutColumn),
            "{error}"
        );
        let error = given(Settings {
            partition_by: Some("Region".parse().unwrap()),
            max_partitions: Some(0),
            ..Settings::default()
        });
        assert!(matches!(error, SettingsError::NoPartitions), "{error}");
    }
}
