//! BOOL columns: JSON `true`/`false`, and the strings `"true"`/`"false"` some builds may send.

use std::sync::Arc;

use arrow_array::builder::BooleanBuilder;
use arrow_array::ArrayRef;

use super::CellDecoder;

pub(crate) struct BooleanDecoder {
    builder: BooleanBuilder,
}

impl BooleanDecoder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            builder: BooleanBuilder::with_capacity(capacity),
        }
    }
}

impl CellDecoder for BooleanDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_bool(&mut self, value: bool) -> bool {
        self.builder.append_value(value);
        true
    }

    fn push_str(&mut self, value: &str) -> bool {
        let value = if value.eq_ignore_ascii_case("true") {
            true
        } else if value.eq_ignore_ascii_case("false") {
            false
        } else {
            return false;
        };
        self.builder.append_value(value);
        true
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}
