//! Hive-style partitioning by a column: each row goes to a folder named `key=value`
//! (`region=West/`, or `order_date_month=2026-11/` from a date), so query engines prune whole
//! folders. The column stays in the files, so every reader sees its exact value even where a
//! folder name cannot hold it. [`PartitionSpec::split`] splits batches; [`PartitionedWriter`]
//! writes each part into its folder of a [`Staging`], under the same commit.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDate};

use super::{SinkError, Staging, TableWriter, WrittenTable};

/// Why a table cannot be partitioned as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartitionError {
    /// The partition column is not in the result.
    #[error("partition column '{column}' is not in the result; its columns are: {}", columns.join(", "))]
    NoSuchColumn {
        /// The partition column asked for.
        column: String,
        /// The result's columns.
        columns: Vec<String>,
    },
    /// A year, month or day was asked of a column that is not a date or timestamp.
    #[error("partition column '{column}' is {data_type}, not a date or timestamp, so it has no {by}; partition by its value instead")]
    NotTemporal {
        /// The partition column.
        column: String,
        /// Its type.
        data_type: DataType,
        /// The date part asked for.
        by: PartitionBy,
    },
    /// The column's type cannot name a folder.
    #[error("partition column '{column}' is {data_type}, which cannot name a folder")]
    Unsupported {
        /// The partition column.
        column: String,
        /// Its type.
        data_type: DataType,
    },
    /// A timestamp outside what a date can hold.
    #[error("timestamp {micros} is out of range")]
    TimestampOutOfRange {
        /// Microseconds since the epoch.
        micros: i64,
    },
    /// One more folder than `max_partitions` allows.
    #[error("partitioning by '{column}' needs more than {max_partitions} folders ('{next}' would be one more); raise max_partitions or partition by a coarser key")]
    TooMany {
        /// The partition column.
        column: String,
        /// The limit reached.
        max_partitions: usize,
        /// The folder that would have been one more.
        next: String,
    },
    /// Arrow failed to select a partition's rows.
    #[error("splitting a batch by partition: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Writing a partition's files failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// What a partition's value is taken from the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionBy {
    /// The value itself: text, integers, booleans, dates as YYYY-MM-DD.
    Value,
    /// The year of a date or timestamp.
    Year,
    /// The month of a date or timestamp, as YYYY-MM.
    Month,
    /// The day of a date or timestamp, as YYYY-MM-DD.
    Day,
}

/// How an export is partitioned: `COLUMN` or `COLUMN:year|month|day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpec {
    /// The column whose value (or date part) names each row's folder.
    pub column: String,
    /// What of the column's value names the folder.
    pub by: PartitionBy,
    /// The folder key (default: the column in snake case, with `_year`, `_month`, `_day` for a date
    /// part: `Order Date:month` -> `order_date_month`).
    pub key: Option<String>,
    /// Partitions one export may write; past it the export stops (each open partition holds a
    /// file and its row group in memory; default 256).
    pub max_partitions: usize,
}

impl PartitionSpec {
    /// The default of [`PartitionSpec::max_partitions`].
    pub const DEFAULT_MAX_PARTITIONS: usize = 256;

    /// The key of the folders: `key=value`.
    pub fn key_name(&self) -> String {
        if let Some(key) = &self.key {
            return key.clone();
        }
        let mut snake = String::new();
        for c in self.column.chars() {
            if c.is_ascii_alphanumeric() {
                snake.push(c.to_ascii_lowercase());
            } else if !snake.ends_with('_') && !snake.is_empty() {
                snake.push('_');
            }
        }
        let snake = snake.trim_end_matches('_').to_string();
        match self.by {
            PartitionBy::Value => snake,
            PartitionBy::Year => format!("{snake}_year"),
            PartitionBy::Month => format!("{snake}_month"),
            PartitionBy::Day => format!("{snake}_day"),
        }
    }

    /// Checks that `schema` has the column, of a type this partitioning can read.
    pub fn check(&self, schema: &Schema) -> Result<(), PartitionError> {
        let (_, field) =
            schema
                .column_with_name(&self.column)
                .ok_or_else(|| PartitionError::NoSuchColumn {
                    column: self.column.clone(),
                    columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
                })?;
        let temporal = matches!(
            field.data_type(),
            DataType::Date32 | DataType::Timestamp(TimeUnit::Microsecond, _)
        );
        if self.by != PartitionBy::Value && !temporal {
            return Err(PartitionError::NotTemporal {
                column: self.column.clone(),
                data_type: field.data_type().clone(),
                by: self.by,
            });
        }
        Ok(())
    }

    /// Splits `batch` by partition: `(folder, rows)` in the order the partitions first appear, the
    /// rows in their order, each with the file schema.
    pub fn split(&self, batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>, PartitionError> {
        self.check(&batch.schema())?;
        let index = batch.schema().index_of(&self.column)?;
        let values = batch.column(index);
        let key = self.key_name();
        let mut order: Vec<String> = Vec::new();
        let mut rows: HashMap<String, Vec<u32>> = HashMap::new();
        for row in 0..batch.num_rows() {
            let value = self.value(values.as_ref(), row)?;
            let folder = format!("{key}={}", folder_value(&value));
            rows.entry(folder.clone())
                .or_insert_with(|| {
                    order.push(folder);
                    Vec::new()
                })
                .push(row as u32);
        }
        order
            .into_iter()
            .map(|folder| {
                let indices = UInt32Array::from(rows.remove(&folder).unwrap_or_default());
                let part = arrow_select::take::take_record_batch(batch, &indices)?;
                Ok((folder, part))
            })
            .collect()
    }

    /// The partition value of `row`, as it appears in the folder name (before escaping).
    fn value(&self, values: &dyn Array, row: usize) -> Result<String, PartitionError> {
        // Hive's name for the partition of nulls; Spark, Trino and DuckDB read it as null.
        Ok(self
            .value_at(values, row)?
            .unwrap_or_else(|| "__HIVE_DEFAULT_PARTITION__".to_string()))
    }

    /// The partition value of row `row` of the partition column `values`: the value itself (text,
    /// integers, booleans, dates as YYYY-MM-DD) or its date part; None for a null.
    pub fn value_at(
        &self,
        values: &dyn Array,
        row: usize,
    ) -> Result<Option<String>, PartitionError> {
        if values.is_null(row) {
            return Ok(None);
        }
        let date = match values.data_type() {
            DataType::Date32 => {
                let days = values.as_primitive::<Date32Type>().value(row);
                NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            }
            DataType::Timestamp(TimeUnit::Microsecond, zone) => {
                let micros = values.as_primitive::<TimestampMicrosecondType>().value(row);
                let utc = DateTime::from_timestamp_micros(micros)
                    .ok_or(PartitionError::TimestampOutOfRange { micros })?;
                let zone: chrono_tz::Tz = zone
                    .as_deref()
                    .unwrap_or("UTC")
                    .parse()
                    .unwrap_or(chrono_tz::UTC);
                Some(utc.with_timezone(&zone).date_naive())
            }
            _ => None,
        };
        if let Some(date) = date {
            return Ok(Some(match self.by {
                PartitionBy::Year => format!("{:04}", date.year()),
                PartitionBy::Month => format!("{:04}-{:02}", date.year(), date.month()),
                PartitionBy::Day | PartitionBy::Value => date.format("%Y-%m-%d").to_string(),
            }));
        }
        Ok(Some(match values.data_type() {
            DataType::Utf8 => values.as_string::<i32>().value(row).to_string(),
            DataType::Int64 => values.as_primitive::<Int64Type>().value(row).to_string(),
            DataType::Boolean => values.as_boolean().value(row).to_string(),
            other => {
                if !matches!(other, DataType::Float64 | DataType::Decimal128(_, _)) {
                    return Err(PartitionError::Unsupported {
                        column: self.column.clone(),
                        data_type: other.clone(),
                    });
                }
                arrow_cast::display::array_value_to_string(values, row)?
            }
        }))
    }
}

/// Where a table's batches go: one [`TableWriter`], or with a [`PartitionSpec`] one per partition
/// folder, opened as partitions appear (at most `max_partitions`). The export writes through this
/// either way, so partitioned and plain tables share one path.
#[derive(Debug)]
pub struct PartitionedWriter(Output);

#[derive(Debug)]
enum Output {
    /// No partitioning: the table's one writer.
    Single(Box<TableWriter>),
    /// A writer per partition folder under `folder`.
    Partitioned {
        spec: PartitionSpec,
        folder: String,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        writers: Vec<TableWriter>,
        by_folder: HashMap<String, usize>,
    },
}

impl PartitionedWriter {
    /// Opens the table `folder` of `staging`, partitioned by `partition` if given; checks that the
    /// schema has the partition column before anything is written.
    pub fn open(
        staging: &mut Staging,
        folder: &str,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        partition: Option<&PartitionSpec>,
    ) -> Result<PartitionedWriter, PartitionError> {
        let Some(spec) = partition else {
            let writer = staging.table(folder, schema, metadata)?;
            return Ok(PartitionedWriter(Output::Single(Box::new(writer))));
        };
        spec.check(&schema)?;
        Ok(PartitionedWriter(Output::Partitioned {
            spec: spec.clone(),
            folder: folder.to_string(),
            schema,
            metadata,
            writers: Vec::new(),
            by_folder: HashMap::new(),
        }))
    }

    /// Writes `batch`, each row into its partition's folder.
    pub async fn write(
        &mut self,
        staging: &mut Staging,
        batch: RecordBatch,
    ) -> Result<(), PartitionError> {
        let (spec, folder, schema, metadata, writers, by_folder) = match &mut self.0 {
            Output::Single(writer) => return Ok(writer.write(batch).await?),
            Output::Partitioned {
                spec,
                folder,
                schema,
                metadata,
                writers,
                by_folder,
            } => (spec, folder, schema, metadata, writers, by_folder),
        };
        for (partition, rows) in spec.split(&batch)? {
            let index = match by_folder.get(&partition) {
                Some(index) => *index,
                None => {
                    if writers.len() >= spec.max_partitions {
                        return Err(PartitionError::TooMany {
                            column: spec.column.clone(),
                            max_partitions: spec.max_partitions,
                            next: partition,
                        });
                    }
                    let path = if folder.is_empty() {
                        partition.clone()
                    } else {
                        format!("{folder}/{partition}")
                    };
                    writers.push(staging.table(&path, schema.clone(), metadata.clone())?);
                    by_folder.insert(partition, writers.len() - 1);
                    writers.len() - 1
                }
            };
            writers[index].write(rows).await?;
        }
        Ok(())
    }

    /// Finishes every file: one report per folder written.
    pub async fn finish(self) -> Result<Vec<WrittenTable>, SinkError> {
        match self.0 {
            Output::Single(writer) => Ok(vec![writer.finish().await?]),
            Output::Partitioned { writers, .. } => {
                let mut reports = Vec::with_capacity(writers.len());
                for writer in writers {
                    reports.push(writer.finish().await?);
                }
                Ok(reports)
            }
        }
    }

    /// Removes what was written of this table from staging.
    pub async fn abort(self) -> Result<(), SinkError> {
        match self.0 {
            Output::Single(writer) => writer.abort().await,
            Output::Partitioned { writers, .. } => {
                for writer in writers {
                    writer.abort().await?;
                }
                Ok(())
            }
        }
    }
}

/// A value as a folder name can hold it: as it is when it has only letters, digits, space and
/// `-_.+` (ASCII), else those kept, the rest as `_`, and a hash of the value after a `-`, so that
/// two values never share a folder and no value makes a path outside the destination.
fn folder_value(value: &str) -> String {
    const MAX: usize = 60;
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".to_string();
    }
    let safe: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe == value && safe.len() <= MAX && !safe.ends_with(' ') {
        return safe;
    }
    // FNV-1a, 32 bits: stable across runs and machines.
    let hash = value.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let mut end = safe.len().min(MAX);
    while !safe.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}-{hash:08x}", safe[..end].trim_end())
}

impl fmt::Display for PartitionBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartitionBy::Value => "value",
            PartitionBy::Year => "year",
            PartitionBy::Month => "month",
            PartitionBy::Day => "day",
        })
    }
}

/// Text that names no partition column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' names no column: use COLUMN or COLUMN:year|month|day")]
pub struct InvalidPartitionSpec(pub String);

impl FromStr for PartitionSpec {
    type Err = InvalidPartitionSpec;

    /// `COLUMN` or `COLUMN:year|month|day`; the last `:` splits, so a column name may hold one.
    fn from_str(text: &str) -> Result<Self, InvalidPartitionSpec> {
        let (column, by) = match text.rsplit_once(':') {
            Some((column, "year")) => (column, PartitionBy::Year),
            Some((column, "month")) => (column, PartitionBy::Month),
            Some((column, "day")) => (column, PartitionBy::Day),
            _ => (text, PartitionBy::Value),
        };
        let column = column.trim();
        if column.is_empty() {
            return Err(InvalidPartitionSpec(text.to_string()));
        }
        Ok(PartitionSpec {
            column: column.to_string(),
            by,
            key: None,
            max_partitions: Self::DEFAULT_MAX_PARTITIONS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Date32Array, Int64Array, StringArray};
    use arrow_schema::Field;
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Order Date", DataType::Date32, true),
            Field::new("Region", DataType::Utf8, true),
            Field::new("Sales", DataType::Int64, true),
        ]));
        let day = |s: &str| {
            (s.parse::<NaiveDate>().unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days() as i32
        };
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Date32Array::from(vec![
                    Some(day("2026-11-30")),
                    Some(day("2026-12-01")),
                    None,
                    Some(day("2026-11-02")),
                ])),
                Arc::new(StringArray::from(vec![
                    Some("West"),
                    Some("a/b=c"),
                    Some("West"),
                    None,
                ])),
                Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn dates_split_by_month_and_keep_their_column() {
        let spec: PartitionSpec = "Order Date:month".parse().unwrap();
        let parts = spec.split(&batch()).unwrap();
        let folders: Vec<&str> = parts.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            folders,
            [
                "order_date_month=2026-11",
                "order_date_month=2026-12",
                "order_date_month=__HIVE_DEFAULT_PARTITION__"
            ]
        );
        let sales = |i: usize| {
            parts[i]
                .1
                .column(2)
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        };
        assert_eq!(sales(0), [1, 4]);
        assert_eq!(parts[0].1.num_columns(), 3, "the column stays in the files");
    }

    #[test]
    fn values_split_into_safe_folders() {
        let spec: PartitionSpec = "Region".parse().unwrap();
        let parts = spec.split(&batch()).unwrap();
        let folders: Vec<&str> = parts.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(folders[0], "region=West");
        assert!(folders[1].starts_with("region=a_b_c-"), "{folders:?}");
        assert_eq!(folders[2], "region=__HIVE_DEFAULT_PARTITION__");
        assert_eq!(parts[0].1.num_rows(), 2);
        assert_ne!(folder_value("a/b"), folder_value("a_b"));
        assert_eq!(folder_value("a_b"), "a_b");
        assert!(folder_value("../../etc").starts_with(".._.._etc-"));
    }

    #[test]
    fn bad_specs_say_why() {
        let spec: PartitionSpec = "Region:month".parse().unwrap();
        assert!(spec
            .split(&batch())
            .unwrap_err()
            .to_string()
            .contains("not a date"));
        let spec: PartitionSpec = "Nope".parse().unwrap();
        assert!(spec
            .split(&batch())
            .unwrap_err()
            .to_string()
            .contains("Order Date, Region, Sales"));
    }
}
