//! Inference: the narrowest type that holds every value a column has on the first page, found by the
//! same parser the decoders use. Integers never become dates here (`docs/guarantees.md`): dates come from
//! metadata or hints. A column of nulls stays `Null` until a later page shows a value, and then the
//! drift policy types it from that value.

use std::sync::Arc;

use arrow_array::{ArrayRef, NullArray};

use super::cells::CellDecoder;
use super::types::{ColumnType, ValueKind};

/// Folds each value into the type so far; an object or array makes the column text, where decoding
/// will then name the value that no type holds.
pub(super) struct InferDecoder {
    pub column_type: ColumnType,
}

impl Default for InferDecoder {
    fn default() -> Self {
        Self {
            column_type: ColumnType::Null,
        }
    }
}

impl InferDecoder {
    fn see(&mut self, value: ValueKind) -> bool {
        self.column_type = self.column_type.widen(value).unwrap_or(ColumnType::Utf8);
        true
    }
}

impl CellDecoder for InferDecoder {
    fn push_null(&mut self) {}

    fn push_bool(&mut self, _value: bool) -> bool {
        self.see(ValueKind::Bool)
    }

    fn push_int(&mut self, value: i64) -> bool {
        self.see(ValueKind::Int(value))
    }

    fn push_big_int(&mut self, _value: u64) -> bool {
        self.see(ValueKind::BigInt)
    }

    fn push_float(&mut self, value: f64) -> bool {
        self.see(ValueKind::Float(value))
    }

    fn push_str(&mut self, _value: &str) -> bool {
        self.see(ValueKind::Str)
    }

    fn push_wrapped_date(&mut self, start: i64) -> bool {
        self.see(ValueKind::WrappedDate(start))
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(NullArray::new(0))
    }
}
