//! Decimal columns (from hints only). JSON numbers arrive as doubles; a double is taken through its
//! shortest exact text, so `30977.25` is 3097725 at scale 2, and a value with more fraction digits
//! than the scale, or more digits than the precision, does not fit (it is never rounded).

use std::sync::Arc;

use arrow_array::builder::Decimal128Builder;
use arrow_array::ArrayRef;

use super::CellDecoder;

pub(crate) struct DecimalDecoder {
    builder: Decimal128Builder,
    scale: i8,
    /// 10^precision: every value's magnitude stays below it.
    bound: i128,
}

impl DecimalDecoder {
    pub(crate) fn new(precision: u8, scale: i8, capacity: usize) -> Self {
        let builder = Decimal128Builder::with_capacity(capacity)
            .with_precision_and_scale(precision, scale)
            .unwrap_or_else(|_| Decimal128Builder::with_capacity(capacity));
        Self {
            builder,
            scale,
            // A precision beyond Decimal128's 38 digits (a hand-edited manifest) has no bound here;
            // the batch then fails to build with a message, never a panic.
            bound: 10i128
                .checked_pow(u32::from(precision))
                .unwrap_or(i128::MAX),
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
pub(super) fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
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
    let mut value: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    // Value = whole and fraction digits x 10^(exponent - fraction digits), at `scale`. In i64: an
    // exponent near i32's limits must not overflow.
    let shift = i64::from(scale) + i64::from(exponent) - fraction.len() as i64;
    let value = rescale(value, shift)?;
    Some(if negative { -value } else { value })
}

/// `value` x 10^`shift`, if that is a whole number that fits an i128 (zero always is).
fn rescale(value: i128, shift: i64) -> Option<i128> {
    if value == 0 {
        return Some(0);
    }
    let power = 10i128.checked_pow(u32::try_from(shift.unsigned_abs()).ok()?)?;
    if shift >= 0 {
        value.checked_mul(power)
    } else if value % power == 0 {
        Some(value / power)
    } else {
        None
    }
}

impl CellDecoder for DecimalDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        self.push_unscaled(rescale(value.into(), self.scale.into()))
    }

    fn push_big_int(&mut self, value: u64) -> bool {
        self.push_unscaled(rescale(value.into(), self.scale.into()))
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
    use arrow_array::cast::AsArray;

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
        // Exponents at i32's limits, found by fuzzing (an overflow panic before).
        assert_eq!(parse_decimal("1e2147483647", 2), None);
        assert_eq!(parse_decimal("1.5e-2147483648", 2), None);
        assert_eq!(parse_decimal("0e2147483647", 2), Some(0));
        // A negative scale counts hundreds at -2: 1200 is 12, 1250 does not fit.
        assert_eq!(parse_decimal("1200", -2), Some(12));
        assert_eq!(parse_decimal("1250", -2), None);
    }

    #[test]
    fn integers_keep_their_value_at_any_scale() {
        // Integers were multiplied by 10^max(scale, 0) before: 1200 at scale -2 was 120000.
        let mut d = DecimalDecoder::new(38, -2, 4);
        assert!(d.push_int(1200));
        assert!(!d.push_int(1250));
        assert!(d.push_big_int(9_223_372_036_854_775_900));
        let array = d.finish();
        let values = array.as_primitive::<arrow_array::types::Decimal128Type>();
        assert_eq!(values.values(), &[12, 92_233_720_368_547_759]);
        // A precision beyond Decimal128's (a hand-edited manifest) is no panic: found by fuzzing.
        let mut d = DecimalDecoder::new(39, 2, 1);
        assert!(d.push_int(1));
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
