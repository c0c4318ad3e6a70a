//! A [`TablePlan`] as a Delta schema (the protocol's JSON form, which the log stores), and the
//! schema rules for a table that exists: the same columns and types, or new columns added where
//! `on_drift` allows, never a type changed; the same partitioning, unless a commit replaces the
//! whole table.
//!
//! Each field's metadata keeps what the Delta type cannot say: ThoughtSpot's column name
//! (`tsexport.name`, and as the column's `comment`, which Spark and Databricks show), tsexport's
//! type (`tsexport.type`: `time` for a TIME column held as text, so later runs read it the same
//! way) and a timestamp's zone (`tsexport.time_zone`).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::decode::ColumnType;
use crate::lake::{ColumnKind, TableColumn, TablePlan};

/// The metadata key holding ThoughtSpot's name of a column.
pub const NAME_KEY: &str = "tsexport.name";
/// The metadata key holding tsexport's type of a column.
pub const TYPE_KEY: &str = "tsexport.type";
/// The metadata key holding a zoned timestamp's zone.
pub const ZONE_KEY: &str = "tsexport.time_zone";

/// The Delta type name of `kind`.
pub(super) fn delta_type(kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Boolean => "boolean".into(),
        ColumnKind::Long => "long".into(),
        ColumnKind::Double => "double".into(),
        ColumnKind::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        ColumnKind::Text => "string".into(),
        ColumnKind::Date => "date".into(),
        ColumnKind::Timestamp => "timestamp".into(),
        ColumnKind::TimestampNtz => "timestamp_ntz".into(),
    }
}

/// One column as a Delta schema field.
pub(super) fn field(column: &TableColumn) -> Value {
    let mut metadata = Map::new();
    metadata.insert(NAME_KEY.into(), json!(column.source_name));
    if column.source_name != column.name {
        metadata.insert("comment".into(), json!(column.source_name));
    }
    if let Some(column_type) = column.column_type {
        metadata.insert(TYPE_KEY.into(), json!(column_type.to_string()));
    }
    if let Some(zone) = &column.time_zone {
        metadata.insert(ZONE_KEY.into(), json!(zone));
    }
    json!({
        "name": column.name,
        "type": delta_type(column.kind),
        "nullable": true,
        "metadata": metadata,
    })
}

/// The Delta schema of `plan`: `{"type": "struct", "fields": [...]}`.
pub(super) fn schema(plan: &TablePlan) -> Value {
    json!({
        "type": "struct",
        "fields": plan.columns.iter().map(field).collect::<Vec<_>>(),
    })
}

/// Whether `plan` holds a local date-time, which needs the `timestampNtz` table feature.
pub(super) fn needs_timestamp_ntz(plan: &TablePlan) -> bool {
    plan.columns
        .iter()
        .any(|c| c.kind == ColumnKind::TimestampNtz)
}

/// How a table's schema must change for a commit of `plan`.
#[derive(Debug, PartialEq)]
pub(super) enum Evolution {
    /// The table has every column, with the same types.
    Same,
    /// These columns are new; the merged schema adds them after the table's.
    Added { columns: Vec<String>, merged: Value },
}

/// What differs between the table's schema (`existing`, the log's JSON) and `plan`'s: Err with
/// the column and both types when a type changed.
pub(super) fn evolve(
    existing: &Value,
    plan: &TablePlan,
) -> Result<Evolution, (String, String, String)> {
    let fields = existing["fields"].as_array().cloned().unwrap_or_default();
    let by_name: HashMap<&str, &Value> = fields
        .iter()
        .filter_map(|f| Some((f["name"].as_str()?, &f["type"])))
        .collect();
    let mut added = Vec::new();
    let mut merged = fields.clone();
    for column in &plan.columns {
        let new_type = json!(delta_type(column.kind));
        match by_name.get(column.name.as_str()) {
            Some(old) if **old == new_type => {}
            Some(old) => return Err((column.name.clone(), type_text(old), type_text(&new_type))),
            None => {
                added.push(column.name.clone());
                merged.push(field(column));
            }
        }
    }
    if added.is_empty() {
        return Ok(Evolution::Same);
    }
    Ok(Evolution::Added {
        columns: added,
        merged: json!({"type": "struct", "fields": merged}),
    })
}

fn type_text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// tsexport's type of each column of the table's schema, by ThoughtSpot name, so that a later run
/// reads the same types (a run never changes a column's type).
pub(super) fn column_types(existing: &Value) -> Vec<(String, ColumnType)> {
    existing["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|field| {
            let metadata = &field["metadata"];
            let name = metadata[NAME_KEY].as_str()?;
            let column_type = metadata[TYPE_KEY].as_str()?.parse().ok()?;
            Some((name.to_string(), column_type))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType, Field, Schema, TimeUnit};

    fn plan(fields: Vec<Field>) -> TablePlan {
        TablePlan::new(&Schema::new(fields), None).unwrap()
    }

    #[test]
    fn schemas_grow_by_new_columns_and_never_change_a_type() {
        let first = plan(vec![
            Field::new("Order ID", DataType::Int64, true),
            Field::new("Ship Time", DataType::Time64(TimeUnit::Microsecond), true),
        ]);
        let table = schema(&first);
        assert_eq!(table["fields"][1]["type"], "string");
        assert_eq!(table["fields"][1]["metadata"][TYPE_KEY], "time");
        assert_eq!(table["fields"][0]["metadata"]["comment"], "Order ID");
        assert_eq!(evolve(&table, &first), Ok(Evolution::Same));
        let wider = plan(vec![
            Field::new("Order ID", DataType::Int64, true),
            Field::new("Region", DataType::Utf8, true),
        ]);
        match evolve(&table, &wider).unwrap() {
            Evolution::Added { columns, merged } => {
                assert_eq!(columns, ["region"]);
                assert_eq!(merged["fields"].as_array().unwrap().len(), 3);
            }
            other => panic!("{other:?}"),
        }
        let changed = plan(vec![Field::new("Order ID", DataType::Utf8, true)]);
        assert_eq!(
            evolve(&table, &changed),
            Err(("order_id".into(), "long".into(), "string".into()))
        );
        assert_eq!(
            column_types(&table),
            [
                ("Order ID".to_string(), ColumnType::Int64),
                ("Ship Time".to_string(), ColumnType::Time)
            ]
        );
    }
}
