//! Integer and double columns. A double goes into an integer column only when it is a whole number
//! (a fraction is never truncated), an integer into a double column only when the double holds it
//! exactly (|v| <= 2^53).

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder};
use arrow_array::ArrayRef;

use super::CellDecoder;
use crate::decode::types::int_fits_f64;

pub(crate) struct Int64Decoder {
    builder: Int64Builder,
}

impl Int64Decoder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            builder: Int64Builder::with_capacity(capacity),
        }
    }
}

impl CellDecoder for Int64Decoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        self.builder.append_value(value);
        true
    }

    fn push_float(&mut self, value: f64) -> bool {
        // `-0.0` would come back as `0`: a different value, so it does not fit either.
        let negative_zero = value == 0.0 && value.is_sign_negative();
        let whole = value.fract() == 0.0 && value.abs() < 9.2e18 && !negative_zero;
        if whole {
            self.builder.append_value(value as i64);
        }
        whole
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

pub(crate) struct Float64Decoder {
    builder: Float64Builder,
}

impl Float64Decoder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            builder: Float64Builder::with_capacity(capacity),
        }
    }
}

impl CellDecoder for Float64Decoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        let exact = int_fits_f64(value);
        if exact {
            self.builder.append_value(value as f64);
        }
        exact
    }

    fn push_float(&mut self, value: f64) -> bool {
        self.builder.append_value(value);
        true
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;

    #[test]
    fn integer_columns_take_whole_doubles_only() {
        let mut d = Int64Decoder::new(4);
        assert!(d.push_float(5.0));
        assert!(d.push_float(-3.0));
        assert!(!d.push_float(0.5));
        assert!(!d.push_float(-0.0));
        assert!(!d.push_float(1e19));
        let array = d.finish();
        assert_eq!(array.as_primitive::<Int64Type>().values(), &[5, -3]);
    }

    #[test]
    fn double_columns_take_exact_integers_only() {
        let mut d = Float64Decoder::new(2);
        assert!(d.push_int(1 << 53));
        assert!(!d.push_int((1 << 53) + 1));
        assert_eq!(d.finish().len(), 1);
    }
}
