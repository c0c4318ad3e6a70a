//! The column types an export can produce, how each maps to Arrow, how a user writes one as a hint,
//! and the lattice that widens a type losslessly when a value does not fit it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use arrow_schema::{DataType, TimeUnit};

/// A column's type. Dates and times carry no zone here: the zone is the export's (the cluster's, from
/// `session/info`, unless overridden) and is applied when the Arrow type is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Every value seen so far is null; widened by the first value that is not.
    Null,
    /// true or false.
    Boolean,
    /// A 64-bit signed integer.
    Int64,
    /// A double.
    Float64,
    /// Decimal128 with `precision` digits, `scale` of them after the point. From hints only: JSON
    /// numbers arrive as doubles, so a decimal is never inferred.
    Decimal {
        /// Digits in all.
        precision: u8,
        /// Digits after the point.
        scale: i8,
    },
    /// Text.
    Utf8,
    /// A local calendar date (ThoughtSpot DATE), from epoch seconds of local midnight.
    Date,
    /// An instant (ThoughtSpot DATE_TIME / TIMESTAMP), microseconds, shown in the export's zone.
    Timestamp,
    /// A time of day (ThoughtSpot TIME), from seconds since midnight, microseconds.
    Time,
}

/// What a cell held, as far as widening needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind {
    /// true or false.
    Bool,
    /// An integer that fits i64.
    Int(i64),
    /// An integer above i64::MAX.
    BigInt,
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string.
    Str,
    /// `{"v": {"s": start}}`: ThoughtSpot's wrapped date, with its start in epoch seconds.
    WrappedDate(i64),
    /// Any other object or an array: no column type holds it.
    Other,
}

/// The largest magnitude below which every integer is exactly a double.
const F64_EXACT_INT: i64 = 1 << 53;

/// Whether `v` survives the trip to a double and back.
pub fn int_fits_f64(v: i64) -> bool {
    (-F64_EXACT_INT..=F64_EXACT_INT).contains(&v)
}

/// Whether `seconds` since the epoch are a timestamp in microseconds that fits an i64 (about
/// +-292,000 years).
pub fn seconds_fit_timestamp(seconds: i64) -> bool {
    seconds.checked_mul(1_000_000).is_some()
}

impl ColumnType {
    /// The type inference gives a single value.
    pub fn of(value: ValueKind) -> Option<ColumnType> {
        Some(match value {
            ValueKind::Bool => ColumnType::Boolean,
            ValueKind::Int(_) => ColumnType::Int64,
            ValueKind::BigInt => ColumnType::Utf8,
            ValueKind::Float(_) => ColumnType::Float64,
            ValueKind::Str => ColumnType::Utf8,
            ValueKind::WrappedDate(start) if seconds_fit_timestamp(start) => ColumnType::Timestamp,
            ValueKind::WrappedDate(_) => ColumnType::Utf8,
            ValueKind::Other => return None,
        })
    }

    /// The narrowest type that holds every value `self` holds and also `value`, without changing any
    /// of them: Null < Boolean | Int64 < Float64 < Utf8, Date < Timestamp < Utf8. `None` when no
    /// type can (an object in a text column): that is an error, never a silent change.
    ///
    /// A Float64 column only ever holds doubles exactly, so an integer beyond 2^53 sends it to
    /// Utf8, where the integer is written in full; likewise a date beyond the microsecond timestamp
    /// range sends a date or timestamp column to Utf8 (text holds a wrapped date as its start, as
    /// the text decoder writes it). Every widening changes the type, so an export's restarts end
    /// (found by fuzzing: a huge integer in a timestamp column once "widened" to Timestamp again,
    /// forever).
    pub fn widen(self, value: ValueKind) -> Option<ColumnType> {
        use ColumnType as T;
        use ValueKind as V;
        let widened = match (self, value) {
            (T::Null, v) => return ColumnType::of(v),
            (_, V::Other) => return None,
            (T::Boolean, V::Bool) => T::Boolean,
            (T::Int64, V::Int(_)) => T::Int64,
            (T::Int64, V::Float(_)) => T::Float64,
            (T::Float64, V::Float(_)) => T::Float64,
            (T::Float64, V::Int(v)) if int_fits_f64(v) => T::Float64,
            (T::Date | T::Timestamp, V::Int(v) | V::WrappedDate(v)) if seconds_fit_timestamp(v) => {
                T::Timestamp
            }
            (T::Time, V::Int(_)) => T::Int64,
            _ => T::Utf8,
        };
        Some(widened)
    }

    /// The Arrow type, with timestamps in `time_zone`.
    pub fn arrow(self, time_zone: &str) -> DataType {
        match self {
            ColumnType::Null => DataType::Null,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from(time_zone)))
            }
            ColumnType::Time => DataType::Time64(TimeUnit::Microsecond),
        }
    }

    /// The type that reads an Arrow type back (for a schema kept in a manifest).
    pub fn from_arrow(data_type: &DataType) -> Option<ColumnType> {
        Some(match data_type {
            DataType::Null => ColumnType::Null,
            DataType::Boolean => ColumnType::Boolean,
            DataType::Int64 => ColumnType::Int64,
            DataType::Float64 => ColumnType::Float64,
            DataType::Decimal128(precision, scale) => ColumnType::Decimal {
                precision: *precision,
                scale: *scale,
            },
            DataType::Utf8 => ColumnType::Utf8,
            DataType::Date32 => ColumnType::Date,
            DataType::Timestamp(TimeUnit::Microsecond, _) => ColumnType::Timestamp,
            DataType::Time64(TimeUnit::Microsecond) => ColumnType::Time,
            _ => return None,
        })
    }

    /// The type for a ThoughtSpot `dataType` (wire-protocol §2.11), `None` for one this build does not know
    /// (then the data decides).
    pub fn from_thoughtspot(data_type: &str) -> Option<ColumnType> {
        Some(match data_type.to_ascii_uppercase().as_str() {
            "VARCHAR" | "CHAR" | "TEXT" | "STRING" => ColumnType::Utf8,
            "BOOL" | "BOOLEAN" => ColumnType::Boolean,
            // INT32 too: a sum of INT32 values outgrows 32 bits, and one integer type is simpler to
            // query than two.
            "INT32" | "INT64" | "INT" | "BIGINT" => ColumnType::Int64,
            // FLOAT values arrive as JSON decimals; a double holds every one of them exactly.
            "FLOAT" | "DOUBLE" => ColumnType::Float64,
            "DATE" => ColumnType::Date,
            "DATE_TIME" | "DATETIME" | "TIMESTAMP" => ColumnType::Timestamp,
            "TIME" => ColumnType::Time,
            _ => return None,
        })
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Null => f.write_str("null"),
            ColumnType::Boolean => f.write_str("bool"),
            ColumnType::Int64 => f.write_str("int"),
            ColumnType::Float64 => f.write_str("float"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Utf8 => f.write_str("string"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Time => f.write_str("time"),
        }
    }
}

/// Why a type hint cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown type '{0}': use string, int, float, bool, date, timestamp, time or decimal(P,S) with P in 1..=38 and S in 0..=P")]
pub struct BadType(pub String);

impl FromStr for ColumnType {
    type Err = BadType;

    /// Hint spellings: `string`, `int`, `float`, `bool`, `date`, `timestamp`, `time`,
    /// `decimal(P,S)`, with the usual aliases (`text`, `int64`, `double`, `boolean`, `datetime`, ...).
    fn from_str(text: &str) -> Result<Self, BadType> {
        let bad = || BadType(text.to_string());
        let word = text.trim().to_ascii_lowercase();
        if let Some(args) = word
            .strip_prefix("decimal(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let (p, s) = args.split_once(',').ok_or_else(bad)?;
            let precision: u8 = p.trim().parse().map_err(|_| bad())?;
            let scale: i8 = s.trim().parse().map_err(|_| bad())?;
            if !(1..=38).contains(&precision) || scale < 0 || scale as u8 > precision {
                return Err(bad());
            }
            return Ok(ColumnType::Decimal { precision, scale });
        }
        Ok(match word.as_str() {
            "string" | "text" | "utf8" | "varchar" => ColumnType::Utf8,
            "int" | "int64" | "integer" | "bigint" | "long" => ColumnType::Int64,
            "float" | "float64" | "double" => ColumnType::Float64,
            "bool" | "boolean" => ColumnType::Boolean,
            "date" => ColumnType::Date,
            "timestamp" | "datetime" | "date_time" => ColumnType::Timestamp,
            "time" => ColumnType::Time,
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_parse_with_aliases_and_decimals() {
        assert_eq!("Int".parse(), Ok(ColumnType::Int64));
        assert_eq!(" datetime ".parse(), Ok(ColumnType::Timestamp));
        assert_eq!(
            "decimal(18, 2)".parse(),
            Ok(ColumnType::Decimal {
                precision: 18,
                scale: 2
            })
        );
        for bad in ["decimal(0,0)", "decimal(39,2)", "decimal(5,6)", "money", ""] {
            assert!(bad.parse::<ColumnType>().is_err(), "{bad}");
        }
    }

    #[test]
    fn widening_never_loses_a_value() {
        use ColumnType as T;
        use ValueKind as V;
        assert_eq!(T::Null.widen(V::Int(3)), Some(T::Int64));
        assert_eq!(T::Int64.widen(V::Float(0.5)), Some(T::Float64));
        assert_eq!(T::Float64.widen(V::Int(1 << 53)), Some(T::Float64));
        assert_eq!(T::Float64.widen(V::Int((1 << 53) + 1)), Some(T::Utf8));
        assert_eq!(T::Int64.widen(V::BigInt), Some(T::Utf8));
        assert_eq!(T::Boolean.widen(V::Int(1)), Some(T::Utf8));
        assert_eq!(T::Date.widen(V::Int(5)), Some(T::Timestamp));
        assert_eq!(T::Timestamp.widen(V::Str), Some(T::Utf8));
        assert_eq!(T::Utf8.widen(V::Other), None);
        // Text holds a wrapped date (as its start): a double column that meets wrapped dates widens
        // to text and stays there (found by the decode property test: "Average Ship Time").
        assert_eq!(T::Utf8.widen(V::WrappedDate(0)), Some(T::Utf8));
        assert_eq!(T::Float64.widen(V::WrappedDate(0)), Some(T::Utf8));
        // Beyond the microsecond range, dates and timestamps widen to text (found by fuzzing).
        assert_eq!(T::Timestamp.widen(V::Int(i64::MAX / 10)), Some(T::Utf8));
        assert_eq!(T::Date.widen(V::Int(i64::MAX / 10)), Some(T::Utf8));
        assert_eq!(
            T::Timestamp.widen(V::WrappedDate(i64::MAX / 10)),
            Some(T::Utf8)
        );
        assert_eq!(T::Null.widen(V::WrappedDate(i64::MAX / 10)), Some(T::Utf8));
        assert_eq!(T::Date.widen(V::WrappedDate(86_400)), Some(T::Timestamp));
    }

    #[test]
    fn thoughtspot_types_map_to_arrow() {
        assert_eq!(
            ColumnType::from_thoughtspot("DATE_TIME")
                .map(|t| t.arrow("America/Chicago").to_string())
                .as_deref(),
            Some(r#"Timestamp(µs, "America/Chicago")"#)
        );
        assert_eq!(ColumnType::from_thoughtspot("GEO"), None);
        for t in [
            ColumnType::Int64,
            ColumnType::Date,
            ColumnType::Timestamp,
            ColumnType::Time,
        ] {
            assert_eq!(ColumnType::from_arrow(&t.arrow("UTC")), Some(t));
        }
    }
}
