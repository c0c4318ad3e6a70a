//! How an export's Arrow schema becomes a lake table's columns: each column's table name
//! ([`super::names`]), its table type, the conversion its values need on the way into the files,
//! and the partition column. The plan is format-neutral; a format renders [`TableColumn::kind`] in
//! its own type names (`delta::schema`).
//!
//! Types: booleans, 64-bit integers, doubles, decimals, text and dates map one to one; a zoned
//! timestamp is an instant (its zone is kept in the column's metadata), a timestamp without a zone
//! a local date-time. A lake table has no time-of-day type, so a TIME column is written as text,
//! `HH:MM:SS.ffffff` (fixed width, so text order is time order, and exact to the microsecond); a
//! column that held only nulls is text too. Every column keeps ThoughtSpot's name and tsexport's
//! type in its metadata, so a later run reads the same types back.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Time64MicrosecondType;
use arrow_array::{new_null_array, Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::names::{table_column_names, NameClash};
use crate::decode::ColumnType;
use crate::sink::{PartitionBy, PartitionSpec};

/// What a table column holds, in the terms every lake format has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// true or false.
    Boolean,
    /// A 64-bit integer.
    Long,
    /// A double.
    Double,
    /// A decimal with `precision` digits, `scale` after the point.
    Decimal {
        /// Digits in all.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// Text.
    Text,
    /// A calendar date.
    Date,
    /// An instant, microseconds.
    Timestamp,
    /// A local date-time without a zone, microseconds.
    TimestampNtz,
}

/// How a column's values change on their way into the table's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Written as they are.
    None,
    /// Times of day as `HH:MM:SS.ffffff` text.
    TimeAsText,
    /// A column of nulls only, as text.
    NullAsText,
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// The name in the table (lower snake case).
    pub name: String,
    /// The column as ThoughtSpot names it.
    pub source_name: String,
    /// The table type.
    pub kind: ColumnKind,
    /// tsexport's type of the column, which a later run reads it with.
    pub column_type: Option<ColumnType>,
    /// The zone of a zoned timestamp, as the export read it.
    pub time_zone: Option<String>,
    /// What its values go through on the way into the files.
    pub conversion: Conversion,
    /// Whether the files hold it; a partition column lives only in the table's log.
    pub in_files: bool,
}

/// The partition column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionColumn {
    /// How each row's value is taken from the result.
    pub spec: PartitionSpec,
    /// The partition column's name in the table.
    pub name: String,
    /// Its table type.
    pub kind: ColumnKind,
    /// A date part (`Order Date:day`) adds a column of its own; a value partition is the column.
    pub derived: bool,
}

/// Why a result cannot be written as a lake table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Two columns would share a name.
    #[error(transparent)]
    Clash(#[from] NameClash),
    /// A column's Arrow type has no table type.
    #[error("column '{column}' is {data_type}, which tsexport cannot write to a lake table")]
    Unsupported {
        /// The column, as ThoughtSpot names it.
        column: String,
        /// Its Arrow type.
        data_type: DataType,
    },
    /// The partition column is not in the result.
    #[error("partition column '{column}' is not in the result; its columns are: {}", columns.join(", "))]
    NoPartitionColumn {
        /// The partition column asked for.
        column: String,
        /// The result's columns.
        columns: Vec<String>,
    },
    /// A value partition on a column whose values a partition cannot hold exactly.
    #[error("a lake table is partitioned by a text, integer, boolean or date column, or by a date part; '{column}' is {data_type}: partition by '{column}:day' (or :month, :year) instead")]
    PartitionType {
        /// The partition column.
        column: String,
        /// Its Arrow type.
        data_type: DataType,
    },
    /// A date part of a column that is not a date or timestamp.
    #[error("partition column '{column}' is {data_type}, not a date or timestamp, so it has no {by}; partition by its value instead")]
    NotTemporal {
        /// The partition column.
        column: String,
        /// Its Arrow type.
        data_type: DataType,
        /// The part asked for.
        by: PartitionBy,
    },
    /// `partition_key` with a value partition: the partition column is the column itself.
    #[error("partition_key names the column a date part adds; a table partitioned by '{column}' is partitioned by that column itself ('{name}'): leave partition_key out")]
    KeyOfValuePartition {
        /// The partition column.
        column: String,
        /// Its name in the table.
        name: String,
    },
    /// The column a date part adds has the name of a column of the result.
    #[error("the partition column '{name}' has the name of a column of the result; set partition_key to another name")]
    KeyClash {
        /// The clashing name.
        name: String,
    },
}

/// The columns of a table for an export's Arrow schema, and its partition column.
#[derive(Debug, Clone, PartialEq)]
pub struct TablePlan {
    /// The table's columns, the data columns in the result's order, then a derived partition
    /// column.
    pub columns: Vec<TableColumn>,
    /// The partition column, if the table is partitioned.
    pub partition: Option<PartitionColumn>,
    /// The schema of the files: the data columns with their table names and converted types.
    pub file_schema: SchemaRef,
}

impl TablePlan {
    /// The plan for `schema` (as the export reads it) partitioned by `partition`.
    pub fn new(
        schema: &Schema,
        partition: Option<&PartitionSpec>,
    ) -> Result<TablePlan, SchemaError> {
        let names = table_column_names(schema.fields().iter().map(|f| f.name().as_str()))?;
        let mut columns = Vec::with_capacity(schema.fields().len() + 1);
        for (field, name) in schema.fields().iter().zip(names) {
            columns.push(column(field, name)?);
        }
        let partition = match partition {
            None => None,
            Some(spec) => Some(partition_column(schema, spec, &mut columns)?),
        };
        let file_schema = Arc::new(Schema::new(
            columns
                .iter()
                .filter(|c| c.in_files)
                .map(|c| Field::new(&c.name, file_type(c), true))
                .collect::<Vec<_>>(),
        ));
        Ok(TablePlan {
            columns,
            partition,
            file_schema,
        })
    }

    /// `batch` (with the export's schema) as the files hold it: renamed, converted, without a
    /// value partition's column.
    pub fn file_batch(&self, batch: &RecordBatch) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.file_schema.fields().len());
        for (index, column) in self.columns.iter().enumerate().take(batch.num_columns()) {
            if !column.in_files {
                continue;
            }
            let array = batch.column(index);
            arrays.push(match column.conversion {
                Conversion::None => array.clone(),
                Conversion::TimeAsText => times_as_text(array.as_ref()),
                Conversion::NullAsText => new_null_array(&DataType::Utf8, array.len()),
            });
        }
        RecordBatch::try_new(self.file_schema.clone(), arrays)
    }
}

fn column(field: &Field, name: String) -> Result<TableColumn, SchemaError> {
    let (kind, conversion, time_zone) = match field.data_type() {
        DataType::Boolean => (ColumnKind::Boolean, Conversion::None, None),
        DataType::Int64 => (ColumnKind::Long, Conversion::None, None),
        DataType::Float64 => (ColumnKind::Double, Conversion::None, None),
        DataType::Decimal128(precision, scale) if *scale >= 0 && (*scale as u8) <= *precision => (
            ColumnKind::Decimal {
                precision: *precision,
                scale: *scale as u8,
            },
            Conversion::None,
            None,
        ),
        DataType::Utf8 => (ColumnKind::Text, Conversion::None, None),
        DataType::Date32 => (ColumnKind::Date, Conversion::None, None),
        DataType::Timestamp(TimeUnit::Microsecond, Some(zone)) => (
            ColumnKind::Timestamp,
            Conversion::None,
            Some(zone.to_string()),
        ),
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            (ColumnKind::TimestampNtz, Conversion::None, None)
        }
        DataType::Time64(TimeUnit::Microsecond) => (ColumnKind::Text, Conversion::TimeAsText, None),
        DataType::Null => (ColumnKind::Text, Conversion::NullAsText, None),
        other => {
            return Err(SchemaError::Unsupported {
                column: field.name().clone(),
                data_type: other.clone(),
            })
        }
    };
    Ok(TableColumn {
        name,
        source_name: field.name().clone(),
        kind,
        column_type: ColumnType::from_arrow(field.data_type()),
        time_zone,
        conversion,
        in_files: true,
    })
}

fn partition_column(
    schema: &Schema,
    spec: &PartitionSpec,
    columns: &mut Vec<TableColumn>,
) -> Result<PartitionColumn, SchemaError> {
    let index = schema
        .index_of(&spec.column)
        .map_err(|_| SchemaError::NoPartitionColumn {
            column: spec.column.clone(),
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
        })?;
    let data_type = schema.field(index).data_type();
    if spec.by == PartitionBy::Value {
        if !matches!(
            data_type,
            DataType::Utf8 | DataType::Int64 | DataType::Boolean | DataType::Date32
        ) {
            return Err(SchemaError::PartitionType {
                column: spec.column.clone(),
                data_type: data_type.clone(),
            });
        }
        let column = &mut columns[index];
        if spec.key.is_some() {
            return Err(SchemaError::KeyOfValuePartition {
                column: spec.column.clone(),
                name: column.name.clone(),
            });
        }
        column.in_files = false;
        return Ok(PartitionColumn {
            spec: spec.clone(),
            name: column.name.clone(),
            kind: column.kind,
            derived: false,
        });
    }
    if !matches!(
        data_type,
        DataType::Date32 | DataType::Timestamp(TimeUnit::Microsecond, _)
    ) {
        return Err(SchemaError::NotTemporal {
            column: spec.column.clone(),
            data_type: data_type.clone(),
            by: spec.by,
        });
    }
    let name = spec
        .key
        .clone()
        .unwrap_or_else(|| format!("{}_{}", columns[index].name, spec.by));
    if columns.iter().any(|c| c.name == name) {
        return Err(SchemaError::KeyClash { name });
    }
    // A day is a date; a month (YYYY-MM) and a year (YYYY) are text, as their folders show them.
    let kind = match spec.by {
        PartitionBy::Day => ColumnKind::Date,
        _ => ColumnKind::Text,
    };
    columns.push(TableColumn {
        name: name.clone(),
        source_name: format!("{}:{}", spec.column, spec.by),
        kind,
        column_type: None,
        time_zone: None,
        conversion: Conversion::None,
        in_files: false,
    });
    Ok(PartitionColumn {
        spec: spec.clone(),
        name,
        kind,
        derived: true,
    })
}

/// The Arrow type of a column in the files.
fn file_type(column: &TableColumn) -> DataType {
    match column.kind {
        ColumnKind::Boolean => DataType::Boolean,
        ColumnKind::Long => DataType::Int64,
        ColumnKind::Double => DataType::Float64,
        ColumnKind::Decimal { precision, scale } => DataType::Decimal128(precision, scale as i8),
        ColumnKind::Text => DataType::Utf8,
        ColumnKind::Date => DataType::Date32,
        ColumnKind::Timestamp => DataType::Timestamp(
            TimeUnit::Microsecond,
            Some(column.time_zone.as_deref().unwrap_or("UTC").into()),
        ),
        ColumnKind::TimestampNtz => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// Microseconds since midnight as `HH:MM:SS.ffffff`.
fn times_as_text(array: &dyn Array) -> ArrayRef {
    let times = array.as_primitive::<Time64MicrosecondType>();
    let text: StringArray = times
        .iter()
        .map(|micros| {
            micros.map(|micros| {
                let seconds = micros.div_euclid(1_000_000);
                format!(
                    "{:02}:{:02}:{:02}.{:06}",
                    seconds / 3600,
                    seconds / 60 % 60,
                    seconds % 60,
                    micros.rem_euclid(1_000_000)
                )
            })
        })
        .collect();
    Arc::new(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, Time64MicrosecondArray};

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("Order Line ID", DataType::Int64, true),
            Field::new("Order Date", DataType::Date32, true),
            Field::new("Region", DataType::Utf8, true),
            Field::new("Ship Time", DataType::Time64(TimeUnit::Microsecond), true),
        ])
    }

    #[test]
    fn a_date_part_adds_a_partition_column_and_times_become_text() {
        let spec: PartitionSpec = "Order Date:day".parse().unwrap();
        let plan = TablePlan::new(&schema(), Some(&spec)).unwrap();
        let names: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "order_line_id",
                "order_date",
                "region",
                "ship_time",
                "order_date_day"
            ]
        );
        assert_eq!(plan.file_schema.fields().len(), 4);
        let batch = RecordBatch::try_new(
            Arc::new(schema()),
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(arrow_array::Date32Array::from(vec![20_000])),
                Arc::new(StringArray::from(vec!["West"])),
                Arc::new(Time64MicrosecondArray::from(vec![Some(
                    (13 * 3600 + 5 * 60 + 9) * 1_000_000 + 42,
                )])),
            ],
        )
        .unwrap();
        let files = plan.file_batch(&batch).unwrap();
        assert_eq!(
            files.column(3).as_string::<i32>().value(0),
            "13:05:09.000042"
        );
    }

    #[test]
    fn a_value_partition_is_the_column_itself_and_leaves_the_files() {
        let spec: PartitionSpec = "Region".parse().unwrap();
        let plan = TablePlan::new(&schema(), Some(&spec)).unwrap();
        assert_eq!(plan.partition.as_ref().unwrap().name, "region");
        assert!(plan.file_schema.field_with_name("region").is_err());
        let spec: PartitionSpec = "Ship Time".parse().unwrap();
        assert!(matches!(
            TablePlan::new(&schema(), Some(&spec)),
            Err(SchemaError::PartitionType { .. })
        ));
    }
}
