//! One decoder per Arrow type behind one trait, the shape of arrow-json's reader: the page parser
//! hands each cell to its column's decoder as the most specific JSON value it saw, and the decoder
//! either appends it unchanged or says it does not fit. It never rounds, truncates or guesses: a
//! value that does not fit is left to the schema policy (widen and restart, or fail).

mod boolean;
mod decimal;
mod null;
mod number;
mod temporal;
mod text;

use arrow_array::ArrayRef;
use chrono_tz::Tz;

use super::types::ColumnType;

/// Receives one column's cells in row order and builds its Arrow array. Each `push_*` appends the
/// value and returns `true`, or returns `false` and appends nothing when the value does not fit.
pub(super) trait CellDecoder: Send {
    fn push_null(&mut self);
    fn push_bool(&mut self, _value: bool) -> bool {
        false
    }
    fn push_int(&mut self, _value: i64) -> bool {
        false
    }
    /// An integer above `i64::MAX`.
    fn push_big_int(&mut self, _value: u64) -> bool {
        false
    }
    fn push_float(&mut self, _value: f64) -> bool {
        false
    }
    fn push_str(&mut self, _value: &str) -> bool {
        false
    }
    /// `{"v": {"s": start}}`: ThoughtSpot's wrapped date, in epoch seconds.
    fn push_wrapped_date(&mut self, _start: i64) -> bool {
        false
    }
    /// The array of everything pushed since the last call.
    fn finish(&mut self) -> ArrayRef;
}

/// The decoder of one column, as an enum rather than a `Box<dyn CellDecoder>`: the page scanner
/// calls it once per cell, and a `match` the branch predictor learns (the columns repeat in the
/// same order every row) lets each decoder's `push_*` be inlined, which a virtual call does not.
pub(crate) enum ColumnDecoder {
    Null(null::NullDecoder),
    Boolean(boolean::BooleanDecoder),
    Int64(number::Int64Decoder),
    Float64(number::Float64Decoder),
    Decimal(decimal::DecimalDecoder),
    Utf8(text::Utf8Decoder),
    Date(temporal::DateDecoder),
    Timestamp(temporal::TimestampDecoder),
    Time(temporal::TimeDecoder),
}

impl ColumnDecoder {
    /// The decoder for a column of `column_type`, with dates read in `time_zone`.
    pub(super) fn new(column_type: ColumnType, time_zone: Tz, capacity: usize) -> Self {
        match column_type {
            ColumnType::Null => Self::Null(null::NullDecoder::default()),
            ColumnType::Boolean => Self::Boolean(boolean::BooleanDecoder::new(capacity)),
            ColumnType::Int64 => Self::Int64(number::Int64Decoder::new(capacity)),
            ColumnType::Float64 => Self::Float64(number::Float64Decoder::new(capacity)),
            ColumnType::Decimal { precision, scale } => {
                Self::Decimal(decimal::DecimalDecoder::new(precision, scale, capacity))
            }
            ColumnType::Utf8 => Self::Utf8(text::Utf8Decoder::new(capacity)),
            ColumnType::Date => Self::Date(temporal::DateDecoder::new(time_zone, capacity)),
            ColumnType::Timestamp => {
                Self::Timestamp(temporal::TimestampDecoder::new(time_zone, capacity))
            }
            ColumnType::Time => Self::Time(temporal::TimeDecoder::new(capacity)),
        }
    }
}

/// Forwards a call to whichever decoder the column has.
macro_rules! each_decoder {
    ($self:ident, $decoder:ident => $call:expr) => {
        match $self {
            ColumnDecoder::Null($decoder) => $call,
            ColumnDecoder::Boolean($decoder) => $call,
            ColumnDecoder::Int64($decoder) => $call,
            ColumnDecoder::Float64($decoder) => $call,
            ColumnDecoder::Decimal($decoder) => $call,
            ColumnDecoder::Utf8($decoder) => $call,
            ColumnDecoder::Date($decoder) => $call,
            ColumnDecoder::Timestamp($decoder) => $call,
            ColumnDecoder::Time($decoder) => $call,
        }
    };
}

impl CellDecoder for ColumnDecoder {
    #[inline]
    fn push_null(&mut self) {
        each_decoder!(self, d => d.push_null())
    }
    #[inline]
    fn push_bool(&mut self, value: bool) -> bool {
        each_decoder!(self, d => d.push_bool(value))
    }
    #[inline]
    fn push_int(&mut self, value: i64) -> bool {
        each_decoder!(self, d => d.push_int(value))
    }
    #[inline]
    fn push_big_int(&mut self, value: u64) -> bool {
        each_decoder!(self, d => d.push_big_int(value))
    }
    #[inline]
    fn push_float(&mut self, value: f64) -> bool {
        each_decoder!(self, d => d.push_float(value))
    }
    #[inline]
    fn push_str(&mut self, value: &str) -> bool {
        each_decoder!(self, d => d.push_str(value))
    }
    #[inline]
    fn push_wrapped_date(&mut self, start: i64) -> bool {
        each_decoder!(self, d => d.push_wrapped_date(start))
    }
    fn finish(&mut self) -> ArrayRef {
        each_decoder!(self, d => d.finish())
    }
}

/// Epoch seconds given as a double, if they are a whole number of microseconds that fits an i64.
/// The double is read through its shortest exact text, as decimal columns read doubles: `1.1` is
/// 1,100,000 us. (`seconds * 1e6` in floating point rounds past 2^53: 2000000000002.0 s became
/// ...001999872 us, found by fuzzing; and 1.1 s was no whole number of microseconds.)
fn seconds_to_micros(seconds: f64) -> Option<i64> {
    if !seconds.is_finite() {
        return None;
    }
    let mut buffer = ryu::Buffer::new();
    let micros = decimal::parse_decimal(buffer.format_finite(seconds), 6)?;
    i64::try_from(micros).ok()
}

#[cfg(test)]
mod tests {
    use super::seconds_to_micros;

    #[test]
    fn seconds_become_exact_microseconds_or_nothing() {
        assert_eq!(seconds_to_micros(0.0), Some(0));
        assert_eq!(seconds_to_micros(-0.0), Some(0));
        assert_eq!(seconds_to_micros(1.5), Some(1_500_000));
        assert_eq!(seconds_to_micros(-2.25), Some(-2_250_000));
        assert_eq!(seconds_to_micros(0.000_001), Some(1));
        assert_eq!(seconds_to_micros(1.1), Some(1_100_000));
        assert_eq!(seconds_to_micros(0.5e-6), None);
        assert_eq!(seconds_to_micros(0.300_000_000_000_000_04), None);
        // Found by fuzzing: 2000000000002.0 * 1e6 rounds in floating point.
        assert_eq!(
            seconds_to_micros(2_000_000_000_002.0),
            Some(2_000_000_000_002_000_000)
        );
        assert_eq!(seconds_to_micros(9.2e12), Some(9_200_000_000_000_000_000));
        assert_eq!(seconds_to_micros(9.3e12), None);
        assert_eq!(seconds_to_micros(-9.2e12), Some(-9_200_000_000_000_000_000));
        assert_eq!(seconds_to_micros(f64::MAX), None);
        assert_eq!(seconds_to_micros(f64::MIN_POSITIVE), None);
        assert_eq!(seconds_to_micros(f64::NAN), None);
    }
}
