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
pub trait CellDecoder: Send {
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

impl CellDecoder for Box<dyn CellDecoder> {
    fn push_null(&mut self) {
        (**self).push_null()
    }
    fn push_bool(&mut self, value: bool) -> bool {
        (**self).push_bool(value)
    }
    fn push_int(&mut self, value: i64) -> bool {
        (**self).push_int(value)
    }
    fn push_big_int(&mut self, value: u64) -> bool {
        (**self).push_big_int(value)
    }
    fn push_float(&mut self, value: f64) -> bool {
        (**self).push_float(value)
    }
    fn push_str(&mut self, value: &str) -> bool {
        (**self).push_str(value)
    }
    fn push_wrapped_date(&mut self, start: i64) -> bool {
        (**self).push_wrapped_date(start)
    }
    fn finish(&mut self) -> ArrayRef {
        (**self).finish()
    }
}

/// The decoder for a column of `column_type`, with dates read in `time_zone`.
pub fn decoder_for(
    column_type: ColumnType,
    time_zone: Tz,
    capacity: usize,
) -> Box<dyn CellDecoder> {
    match column_type {
        ColumnType::Null => Box::new(null::NullDecoder::default()),
        ColumnType::Boolean => Box::new(boolean::BooleanDecoder::new(capacity)),
        ColumnType::Int64 => Box::new(number::Int64Decoder::new(capacity)),
        ColumnType::Float64 => Box::new(number::Float64Decoder::new(capacity)),
        ColumnType::Decimal { precision, scale } => {
            Box::new(decimal::DecimalDecoder::new(precision, scale, capacity))
        }
        ColumnType::Utf8 => Box::new(text::Utf8Decoder::new(capacity)),
        ColumnType::Date => Box::new(temporal::DateDecoder::new(time_zone, capacity)),
        ColumnType::Timestamp => Box::new(temporal::TimestampDecoder::new(time_zone, capacity)),
        ColumnType::Time => Box::new(temporal::TimeDecoder::new(capacity)),
    }
}

/// Epoch seconds given as a double, if they are a whole number of microseconds.
fn seconds_to_micros(seconds: f64) -> Option<i64> {
    let micros = seconds * 1e6;
    (micros.fract() == 0.0 && micros.abs() < 9.2e18).then_some(micros as i64)
}
