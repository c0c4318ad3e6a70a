//! Whether a decoded Arrow cell holds what the page's JSON says, under the decoder's type mapping
//! (epoch seconds to Date32/Timestamp/Time, a wrapped date is its start, decimals by value). Shared
//! by the property test (`tests/it/decode_property.rs`, as `crate::common::decode_values`) and the
//! fuzz target (`fuzz/fuzz_targets/page_decoder.rs`, by `#[path]`), so both check the same thing;
//! it uses only what both build with (arrow, chrono, chrono-tz, serde_json).
#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, Time64MicrosecondType,
    TimestampMicrosecondType,
};
use arrow_array::Array;
use chrono::TimeZone;
use chrono_tz::Tz;
use serde_json::Value;

/// The number a JSON cell holds: itself, or a wrapped date's start.
pub fn number(cell: &Value) -> Option<&serde_json::Number> {
    match cell {
        Value::Number(n) => Some(n),
        Value::Object(_) => cell.pointer("/v/s").and_then(Value::as_number),
        _ => None,
    }
}

/// `n` as whole seconds, if it is a whole number.
pub fn whole(n: &serde_json::Number) -> Option<i128> {
    if let Some(v) = n.as_i64() {
        return Some(v.into());
    }
    if let Some(v) = n.as_u64() {
        return Some(v.into());
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

/// Whether `array[row]` holds what the JSON `cell` says, under the decoder's type mapping.
pub fn same_value(cell: &Value, array: &dyn Array, row: usize, zone: Tz) -> bool {
    use arrow_schema::DataType as D;
    // A NullArray has no validity buffer: `is_null` says false for it.
    if array.data_type() == &D::Null {
        return cell.is_null();
    }
    if cell.is_null() || array.is_null(row) {
        return cell.is_null() && array.is_null(row);
    }
    match array.data_type() {
        D::Boolean => {
            let v = array.as_boolean().value(row);
            match cell {
                Value::Bool(b) => *b == v,
                Value::String(s) => s.eq_ignore_ascii_case(if v { "true" } else { "false" }),
                _ => false,
            }
        }
        D::Int64 => {
            let v = array.as_primitive::<Int64Type>().value(row);
            number(cell).and_then(whole) == Some(v.into())
        }
        D::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            number(cell)
                .and_then(serde_json::Number::as_f64)
                .map(f64::to_bits)
                == Some(v.to_bits())
        }
        D::Utf8 => {
            let v = array.as_string::<i32>().value(row);
            match cell {
                Value::String(s) => s == v,
                Value::Bool(b) => v == if *b { "true" } else { "false" },
                _ => match (number(cell), serde_json::from_str::<Value>(v)) {
                    (Some(n), Ok(Value::Number(m))) => match (whole(n), whole(&m)) {
                        (Some(a), Some(b)) if n.is_i64() || n.is_u64() => a == b,
                        _ => n.as_f64().map(f64::to_bits) == m.as_f64().map(f64::to_bits),
                    },
                    _ => false,
                },
            }
        }
        D::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(row);
            let text = if *scale > 0 {
                let digits = format!("{:0>width$}", v.unsigned_abs(), width = *scale as usize + 1);
                let (int, fraction) = digits.split_at(digits.len() - *scale as usize);
                format!("{}{int}.{fraction}", if v < 0 { "-" } else { "" })
            } else {
                format!("{v}e{}", -i32::from(*scale))
            };
            let expected = match cell {
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => number(cell).and_then(serde_json::Number::as_f64),
            };
            expected.is_some() && text.parse::<f64>().ok() == expected
        }
        D::Date32 => {
            let day = array.as_primitive::<Date32Type>().value(row);
            let Some(date) = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(day.into())))
            else {
                return false;
            };
            // Where clocks go back over midnight, the day has two midnights: either is the date.
            // Where DST skips midnight, the day starts at the first local minute that exists.
            let seconds = number(cell).and_then(whole);
            let starts = (0..=180)
                .map(|minute| {
                    zone.from_local_datetime(
                        &(date.and_time(chrono::NaiveTime::MIN)
                            + chrono::TimeDelta::minutes(minute)),
                    )
                })
                .find(|start| start.earliest().is_some())
                .map_or(vec![], |start| vec![start.earliest(), start.latest()]);
            starts
                .into_iter()
                .flatten()
                .any(|start| Some(i128::from(start.timestamp())) == seconds)
        }
        D::Timestamp(_, _) => {
            let micros = array.as_primitive::<TimestampMicrosecondType>().value(row);
            micros_match(cell, micros)
        }
        D::Time64(_) => {
            let micros = array.as_primitive::<Time64MicrosecondType>().value(row);
            micros_match(cell, micros)
        }
        other => panic!("a column of type {other}"),
    }
}

/// Whether seconds in `cell` are `micros` microseconds.
pub fn micros_match(cell: &Value, micros: i64) -> bool {
    let Some(n) = number(cell) else {
        return false;
    };
    match whole(n) {
        Some(seconds) => seconds * 1_000_000 == i128::from(micros),
        // Fractional seconds: the microseconds, written as seconds, read back as the same double.
        None => {
            let sign = if micros < 0 { "-" } else { "" };
            let abs = micros.unsigned_abs();
            let text = format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000);
            n.as_f64() == text.parse::<f64>().ok()
        }
    }
}
