//! Log entries -> Arrow: one row per event, its documented fields as typed columns, and the event's
//! JSON text as ThoughtSpot sent it, so a field ThoughtSpot adds later is kept even before a column
//! is made for it.

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use chrono::DateTime;
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::api::LogEntry;
use crate::decode::{ColumnSpec, ColumnType, TableSchema, TypeSource};

/// Why an entry could not become a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log entry {index} of {start} to {end}: {reason}")]
pub struct EventError {
    /// The entry's position in the cluster's answer (0-based).
    pub index: usize,
    /// The range asked for, as RFC 3339.
    pub start: String,
    /// Its end.
    pub end: String,
    /// What was wrong.
    pub reason: String,
}

/// The columns, in order: (name, type, the event's key or `None` for the entry's own fields).
const COLUMNS: [(&str, ColumnType, Option<&str>); 11] = [
    ("timestamp", ColumnType::Timestamp, None),
    ("event_id", ColumnType::Utf8, Some("id")),
    ("event_type", ColumnType::Utf8, Some("type")),
    ("description", ColumnType::Utf8, Some("desc")),
    ("user_name", ColumnType::Utf8, Some("userName")),
    ("user_guid", ColumnType::Utf8, Some("userGUID")),
    ("client_ip", ColumnType::Utf8, Some("cIP")),
    ("org_id", ColumnType::Int64, Some("orgId")),
    ("data", ColumnType::Utf8, Some("data")),
    ("version", ColumnType::Utf8, Some("version")),
    ("log", ColumnType::Utf8, None),
];

/// The schema every batch of a log has, timestamps shown in `zone`.
pub fn schema(zone: Tz) -> TableSchema {
    TableSchema {
        columns: COLUMNS
            .iter()
            .map(|(name, column_type, key)| ColumnSpec {
                name: name.to_string(),
                source_name: key.unwrap_or(name).to_string(),
                column_type: *column_type,
                type_source: TypeSource::Metadata,
            })
            .collect(),
        time_zone: zone,
    }
}

/// An entry's time in epoch microseconds.
pub(crate) fn entry_micros(entry: &LogEntry) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(entry.date.trim())
        .map(|d| d.timestamp_micros())
        .map_err(|e| format!("its date '{}' is not an RFC 3339 time: {e}", entry.date))
}

/// One batch of `entries` (already in order), each with its time in microseconds.
pub(crate) fn to_batch(
    table: &TableSchema,
    entries: &[(i64, LogEntry)],
    describe: impl Fn(usize, String) -> EventError,
) -> Result<RecordBatch, EventError> {
    let zone = table.time_zone.name();
    let mut timestamps = TimestampMicrosecondBuilder::with_capacity(entries.len())
        .with_timezone(Arc::<str>::from(zone));
    let mut strings: Vec<StringBuilder> =
        (0..COLUMNS.len()).map(|_| StringBuilder::new()).collect();
    let mut org_ids = Int64Builder::with_capacity(entries.len());
    for (index, (micros, entry)) in entries.iter().enumerate() {
        let event: Map<String, Value> = match serde_json::from_str(&entry.log) {
            Ok(Value::Object(event)) => event,
            Ok(_) => return Err(describe(index, "its log is JSON but not an object".into())),
            Err(e) => return Err(describe(index, format!("its log is not JSON: {e}"))),
        };
        timestamps.append_value(*micros);
        for (column, (_, column_type, key)) in COLUMNS.iter().enumerate() {
            match (column_type, key) {
                (ColumnType::Int64, Some(key)) => org_ids.append_option(
                    integer(event.get(*key))
                        .map_err(|reason| describe(index, format!("its '{key}' {reason}")))?,
                ),
                (ColumnType::Utf8, Some(key)) => {
                    strings[column].append_option(text(event.get(*key)))
                }
                (ColumnType::Utf8, None) => strings[column].append_value(&entry.log),
                _ => {}
            }
        }
    }
    let columns: Vec<ArrayRef> = COLUMNS
        .iter()
        .zip(&mut strings)
        .map(|((_, column_type, _), text)| -> ArrayRef {
            match column_type {
                ColumnType::Timestamp => Arc::new(timestamps.finish()),
                ColumnType::Int64 => Arc::new(org_ids.finish()),
                _ => Arc::new(text.finish()),
            }
        })
        .collect();
    RecordBatch::try_new(table.arrow(), columns).map_err(|e| describe(0, e.to_string()))
}

/// A value as text: strings as they are, objects and other values as their JSON, JSON null or
/// absent as null.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A whole number, or a string holding one; anything else is an error rather than a changed value.
fn integer(value: Option<&Value>) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("is {n}, not a whole number")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("is '{s}', not a whole number")),
        Some(other) => Err(format!("is {other}, not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMicrosecondType};
    use arrow_array::Array;

    fn entry(date: &str, log: &str) -> (i64, LogEntry) {
        let entry = LogEntry {
            date: date.into(),
            log: log.into(),
        };
        (entry_micros(&entry).expect("date"), entry)
    }

    fn error(index: usize, reason: String) -> EventError {
        EventError {
            index,
            start: "s".into(),
            end: "e".into(),
            reason,
        }
    }

    #[test]
    fn documented_fields_become_columns_and_the_event_is_kept_whole() {
        let table = schema(Tz::UTC);
        let log = r#"{"version":"1.1","id":"TS-1","ts":"2024-07-01T05:04:09Z","orgId":0,"userGUID":"g","userName":"User1","cIP":"10.0.0.1","type":"LOGIN_SUCCESSFUL","desc":"User login successful","data":{"userName":"User1"},"newField":7}"#;
        let failed = r#"{"id":"TS-2","orgId":"3","userGUID":null,"userName":null,"type":"LOGIN_FAILED","data":{}}"#;
        let batch = to_batch(
            &table,
            &[
                entry("2024-07-01T05:04:09.290175Z", log),
                entry("2024-07-01T10:09:32.410661Z", failed),
            ],
            error,
        )
        .expect("batch");
        let ts = batch.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(ts.value(0), 1_719_810_249_290_175);
        let strings = |c: usize| batch.column(c).as_string::<i32>();
        assert_eq!(strings(1).value(0), "TS-1");
        assert_eq!(strings(2).value(1), "LOGIN_FAILED");
        assert_eq!(strings(4).value(0), "User1");
        assert!(strings(4).is_null(1));
        assert!(strings(3).is_null(1), "an absent field is null");
        assert_eq!(strings(8).value(0), r#"{"userName":"User1"}"#);
        assert_eq!(
            strings(10).value(0),
            log,
            "the event as sent, new fields included"
        );
        let org = batch.column(7).as_primitive::<Int64Type>();
        assert_eq!((org.value(0), org.value(1)), (0, 3));
    }

    #[test]
    fn a_log_that_is_no_object_or_a_bad_org_id_is_an_error_not_a_changed_value() {
        let table = schema(Tz::UTC);
        let bad = to_batch(&table, &[entry("2024-07-01T00:00:00Z", "[1]")], error);
        assert!(bad.unwrap_err().reason.contains("not an object"));
        let bad = to_batch(
            &table,
            &[entry("2024-07-01T00:00:00Z", r#"{"orgId":1.5}"#)],
            error,
        );
        assert!(bad.unwrap_err().reason.contains("orgId"));
        let date = LogEntry {
            date: "yesterday".into(),
            log: "{}".into(),
        };
        assert!(entry_micros(&date).is_err());
    }
}
