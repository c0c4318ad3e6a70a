//! Per-file column statistics (null count, min, max), read from the row groups of a Parquet file as
//! it is closed, so that a table format's log can carry them (Delta's `add.stats`) and readers skip
//! files whose range cannot match. Nothing is read back from storage: the footer is in memory
//! when the file closes.
//!
//! A bound is reported only where it is safe for skipping: a minimum may be a truncated prefix (it
//! is still a lower bound), a maximum only when exact, and a column whose row group lacks a bound
//! has none for the file.

use arrow_schema::Schema;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;

/// One column's statistics over a whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    /// The column, as named in the file's schema.
    pub column: String,
    /// Null values in the file, when every row group recorded them.
    pub nulls: Option<u64>,
    /// The smallest value (or a prefix of it, for text), when every row group recorded one.
    pub min: Option<StatValue>,
    /// The largest value, when every row group recorded it exactly.
    pub max: Option<StatValue>,
}

/// A bound as Parquet stores it; the column's Arrow type says what it means (days for a date,
/// microseconds for a timestamp, an unscaled integer for a decimal).
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum StatValue {
    /// Booleans.
    Boolean(bool),
    /// Integers of any width, dates, timestamps and decimals (unscaled).
    Int(i128),
    /// Floating point numbers; never NaN (Parquet leaves NaN out of bounds).
    Double(f64),
    /// Text, as UTF-8 bytes.
    Bytes(Vec<u8>),
}

/// The statistics of each top-level column of `schema`, merged over `row_groups`. Empty when the
/// file's layout is not one leaf per column (ThoughtSpot results are flat, so it always is).
pub(crate) fn file_stats(schema: &Schema, row_groups: &[RowGroupMetaData]) -> Vec<ColumnStats> {
    let columns = schema.fields().len();
    if row_groups
        .iter()
        .any(|group| group.num_columns() != columns)
    {
        return Vec::new();
    }
    schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let mut nulls = Some(0u64);
            // Bounds of the row groups that hold a value; one missing leaves the file without it.
            let mut mins = Some(Vec::new());
            let mut maxes = Some(Vec::new());
            for group in row_groups {
                let (group_nulls, min, max) = match group.column(index).statistics() {
                    Some(stats) => bounds(stats),
                    None => (None, None, None),
                };
                nulls = nulls.zip(group_nulls).map(|(a, b)| a + b);
                if group.num_rows() as u64 > group_nulls.unwrap_or(0) {
                    mins = mins.zip(min).map(|(mut all, min)| {
                        all.push(min);
                        all
                    });
                    maxes = maxes.zip(max).map(|(mut all, max)| {
                        all.push(max);
                        all
                    });
                }
            }
            let least = |a: StatValue, b: StatValue| if b < a { b } else { a };
            let most = |a: StatValue, b: StatValue| if b > a { b } else { a };
            ColumnStats {
                column: field.name().clone(),
                nulls,
                min: mins.and_then(|all| all.into_iter().reduce(least)),
                max: maxes.and_then(|all| all.into_iter().reduce(most)),
            }
        })
        .collect()
}

/// Null count, safe minimum and exact maximum of one row group's column chunk.
fn bounds(stats: &Statistics) -> (Option<u64>, Option<StatValue>, Option<StatValue>) {
    let nulls = stats.null_count_opt();
    let exact_max = stats.max_is_exact();
    let (min, max) = match stats {
        Statistics::Boolean(s) => (
            s.min_opt().map(|v| StatValue::Boolean(*v)),
            s.max_opt().map(|v| StatValue::Boolean(*v)),
        ),
        Statistics::Int32(s) => (
            s.min_opt().map(|v| StatValue::Int((*v).into())),
            s.max_opt().map(|v| StatValue::Int((*v).into())),
        ),
        Statistics::Int64(s) => (
            s.min_opt().map(|v| StatValue::Int((*v).into())),
            s.max_opt().map(|v| StatValue::Int((*v).into())),
        ),
        Statistics::Double(s) => (
            s.min_opt().map(|v| StatValue::Double(*v)),
            s.max_opt().map(|v| StatValue::Double(*v)),
        ),
        Statistics::ByteArray(s) => (
            s.min_opt().map(|v| StatValue::Bytes(v.data().to_vec())),
            s.max_opt().map(|v| StatValue::Bytes(v.data().to_vec())),
        ),
        // Decimals wider than 18 digits: big-endian two's complement.
        Statistics::FixedLenByteArray(s) => (
            s.min_opt().and_then(|v| signed_big_endian(v.data())),
            s.max_opt().and_then(|v| signed_big_endian(v.data())),
        ),
        Statistics::Int96(_) | Statistics::Float(_) => (None, None),
    };
    (nulls, min, max.filter(|_| exact_max))
}

fn signed_big_endian(bytes: &[u8]) -> Option<StatValue> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    Some(StatValue::Int(i128::from_be_bytes(wide)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bytes_are_sign_extended() {
        assert_eq!(signed_big_endian(&[0xff, 0xfe]), Some(StatValue::Int(-2)));
        assert_eq!(signed_big_endian(&[0x01, 0x00]), Some(StatValue::Int(256)));
        assert_eq!(signed_big_endian(&[]), None);
    }
}
