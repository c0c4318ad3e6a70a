//! Per-file statistics in the form the Delta protocol gives them (`add.stats`: `numRecords`,
//! `minValues`, `maxValues`, `nullCount`), from the bounds the sink read off each Parquet footer,
//! so that readers skip files whose range cannot match.
//!
//! Values are written as Delta readers parse them: numbers as JSON numbers (decimals as their exact
//! digits, never through a double), dates as `YYYY-MM-DD`, timestamps in milliseconds as ISO 8601
//! (a minimum rounded down and a maximum rounded up, so the range still holds every row), text as
//! text. Booleans get a null count only, as Spark writes them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};

use crate::lake::{ColumnKind, TablePlan};
use crate::sink::{FileReport, StatValue};

/// The `stats` JSON of `file`, written with `plan`.
pub(super) fn stats_json(plan: &TablePlan, file: &FileReport) -> String {
    let kinds: HashMap<&str, ColumnKind> = plan
        .columns
        .iter()
        .filter(|c| c.in_files)
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    let mut mins = Vec::new();
    let mut maxes = Vec::new();
    let mut nulls = Vec::new();
    for stats in &file.stats {
        let Some(kind) = kinds.get(stats.column.as_str()) else {
            continue;
        };
        let key = quoted(&stats.column);
        if let Some(count) = stats.nulls {
            nulls.push(format!("{key}:{count}"));
        }
        if let Some(min) = bound(*kind, stats.min.as_ref(), Round::Down) {
            mins.push(format!("{key}:{min}"));
        }
        if let Some(max) = bound(*kind, stats.max.as_ref(), Round::Up) {
            maxes.push(format!("{key}:{max}"));
        }
    }
    format!(
        "{{\"numRecords\":{},\"minValues\":{{{}}},\"maxValues\":{{{}}},\"nullCount\":{{{}}}}}",
        file.rows,
        mins.join(","),
        maxes.join(","),
        nulls.join(",")
    )
}

#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

/// One bound as JSON text, or None where Delta keeps none or the value cannot be told exactly.
fn bound(kind: ColumnKind, value: Option<&StatValue>, round: Round) -> Option<String> {
    match (kind, value?) {
        (ColumnKind::Long, StatValue::Int(v)) => Some(v.to_string()),
        (ColumnKind::Double, StatValue::Double(v)) if v.is_finite() => {
            Some(serde_json::to_string(v).ok()?)
        }
        (ColumnKind::Decimal { scale, .. }, StatValue::Int(unscaled)) => {
            Some(decimal_text(*unscaled, scale))
        }
        (ColumnKind::Date, StatValue::Int(days)) => {
            let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(*days).ok()? + 719_163)?;
            Some(format!("\"{}\"", date.format("%Y-%m-%d")))
        }
        (ColumnKind::Timestamp | ColumnKind::TimestampNtz, StatValue::Int(micros)) => {
            let micros = i64::try_from(*micros).ok()?;
            let millis = match round {
                Round::Down => micros.div_euclid(1000),
                Round::Up => micros.div_euclid(1000) + i64::from(micros.rem_euclid(1000) != 0),
            };
            let time = DateTime::from_timestamp_millis(millis)?;
            let zone = if kind == ColumnKind::Timestamp {
                "Z"
            } else {
                ""
            };
            Some(format!(
                "\"{}{zone}\"",
                time.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f")
            ))
        }
        (ColumnKind::Text, StatValue::Bytes(bytes)) => {
            Some(quoted(std::str::from_utf8(bytes).ok()?))
        }
        _ => None,
    }
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The exact decimal digits of `unscaled` × 10^-`scale`.
fn decimal_text(unscaled: i128, scale: u8) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = usize::from(scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_digits_and_timestamps_widen_to_whole_milliseconds() {
        assert_eq!(decimal_text(1234, 2), "12.34");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(7, 0), "7");
        let at = StatValue::Int(1_000_001);
        assert_eq!(
            bound(ColumnKind::Timestamp, Some(&at), Round::Down).unwrap(),
            "\"1970-01-01T00:00:01.000Z\""
        );
        assert_eq!(
            bound(ColumnKind::Timestamp, Some(&at), Round::Up).unwrap(),
            "\"1970-01-01T00:00:01.001Z\""
        );
        assert_eq!(
            bound(
                ColumnKind::Boolean,
                Some(&StatValue::Boolean(true)),
                Round::Up
            ),
            None
        );
    }
}
