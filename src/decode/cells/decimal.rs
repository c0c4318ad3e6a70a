//! Decimal columns (from hints only). JSON numbers arrive as doubles; a double is taken through its
//! shortest exact text, so `30977.25` is 3097725 at scale 2, and a value with more fraction digits
//! than the scale, or more digits than the precision, does not fit (it is never rounded).

use std::sync::Arc;

use arrow_array::builder::Decimal128Builder;
use arrow_array::ArrayRef;

use super::CellDecoder;

pub struct DecimalDecoder {
    builder: Decimal128Builder,
    scale: i8,
    /// 10^precision: every value's magnitude stays below it.
    bound: i128,
}

impl DecimalDecoder {
    pub fn new(precision: u8, scale: i8, capacity: usize) -> Self {
        let builder = Decimal128Builder::with_capacity(capacity)
            .with_precision_and_scale(precision, scale)
            .unwrap_or_else(|_| Decimal128Builder::with_capacity(capacity));
        Self {
            builder,
            scale,
            bound: 10i128.pow(u32::from(precision)),
        }
    }

    fn push_unscaled(&mut self, unscaled: Option<i128>) -> bool {
        match unscaled.filter(|v| v.abs() < self.bound) {
            Some(v) => {
                self.builder.append_value(v);
                true
            }
            None => false,
        }
    }
}

/// `text` (`-12.345`, `1e-7`, `42`) as an integer at `scale`, if it has at most `scale` fraction
/// digits and fits an i128.
pub fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let fraction = fraction.trim_end_matches('0');
    // Value = 0.whole fraction digits x 10^(exponent - fraction digits).
    let shift = i32::from(scale) + exponent - fraction.len() as i32;
    let mut value: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let value = if shift >= 0 {
        value.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let divisor = 10i128.checked_pow(shift.unsigned_abs())?;
        if value % divisor != 0 {
            return None;
        }
        value / divisor
    };
    Some(if negative { -value } else { value })
}

impl CellDecoder for DecimalDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        let unscaled = 10i128
            .checked_pow(self.scale.max(0) as u32)
            .and_then(|f| i128::from(value).checked_mul(f));
        self.push_unscaled(unscaled)
    }

    fn push_big_int(&mut self, value: u64) -> bool {
        let unscaled = 10i128
            .checked_pow(self.scale.max(0) as u32)
            .and_then(|f| i128::from(value).checked_mul(f));
        self.push_unscaled(unscaled)
    }

    fn push_float(&mut self, value: f64) -> bool {
        if !value.is_finite() {
            return false;
        }
        let mut buffer = ryu::Buffer::new();
        let unscaled = parse_decimal(buffer.format_finite(value), self.scale);
        self.push_unscaled(unscaled)
    }

    fn push_str(&mut self, value: &str) -> bool {
        let unscaled = parse_decimal(value, self.scale);
        self.push_unscaled(unscaled)
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_parses_exactly_or_not_at_all() {
        assert_eq!(parse_decimal("30977.25", 2), Some(3_097_725));
        assert_eq!(parse_decimal("-1.5", 2), Some(-150));
        assert_eq!(parse_decimal("1e-7", 7), Some(1));
        assert_eq!(parse_decimal("1e-7", 6), None);
        assert_eq!(parse_decimal("12.3450", 3), Some(12_345));
        assert_eq!(parse_decimal("12.345", 2), None);
        assert_eq!(parse_decimal("4.2E1", 0), Some(42));
        assert_eq!(parse_decimal("abc", 2), None);
        assert_eq!(parse_decimal(".", 2), None);
    }

    #[test]
    fn values_beyond_the_precision_do_not_fit() {
        let mut d = DecimalDecoder::new(4, 2, 2);
        assert!(d.push_float(99.99));
        assert!(!d.push_float(100.0));
        assert!(!d.push_float(0.125));
        assert_eq!(d.finish().len(), 1);
    }
}
