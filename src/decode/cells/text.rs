//! Text columns. Numbers and booleans that land in a text column (it was widened, or a hint asked for
//! text) are written in their shortest exact form: integers in full, doubles as the shortest text that
//! reads back to the same double.

use std::fmt::Write;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::ArrayRef;

use super::CellDecoder;

pub(crate) struct Utf8Decoder {
    builder: StringBuilder,
    scratch: String,
}

impl Utf8Decoder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            builder: StringBuilder::with_capacity(capacity, capacity * 16),
            scratch: String::new(),
        }
    }

    fn push_display(&mut self, value: impl std::fmt::Display) -> bool {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        self.builder.append_value(&self.scratch);
        true
    }
}

impl CellDecoder for Utf8Decoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_bool(&mut self, value: bool) -> bool {
        self.builder
            .append_value(if value { "true" } else { "false" });
        true
    }

    fn push_int(&mut self, value: i64) -> bool {
        self.push_display(value)
    }

    fn push_big_int(&mut self, value: u64) -> bool {
        self.push_display(value)
    }

    fn push_float(&mut self, value: f64) -> bool {
        if !value.is_finite() {
            return false;
        }
        let mut buffer = ryu::Buffer::new();
        self.builder.append_value(buffer.format_finite(value));
        true
    }

    fn push_str(&mut self, value: &str) -> bool {
        self.builder.append_value(value);
        true
    }

    fn push_wrapped_date(&mut self, start: i64) -> bool {
        self.push_int(start)
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}
