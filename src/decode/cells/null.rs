//! A column with no value yet: every cell must be null.

use std::sync::Arc;

use arrow_array::{ArrayRef, NullArray};

use super::CellDecoder;

#[derive(Debug, Default)]
pub(crate) struct NullDecoder {
    len: usize,
}

impl CellDecoder for NullDecoder {
    fn push_null(&mut self) {
        self.len += 1;
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(NullArray::new(std::mem::take(&mut self.len)))
    }
}
