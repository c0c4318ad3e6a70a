//! The scanner of COMPACT rows' cells: JSON numbers and strings read straight from the page's
//! text, with escapes, to the exact value serde_json would give. The page walker (`page.rs`) calls
//! it for every cell, so it is written for speed: digits eight at a time, Clinger's fast path for
//! short decimals, strings borrowed from the page unless they hold escapes.

use crate::json::Malformed;

/// Reads the string that opens at `at`: the string (borrowed from `text` when it has no escapes,
/// else unescaped into `unescaped`) and where it ends.
#[inline]
pub(super) fn read_string<'x>(
    text: &'x str,
    at: usize,
    unescaped: &'x mut String,
) -> Result<(&'x str, usize), Malformed> {
    let bytes = text.as_bytes();
    let start = at + 1;
    let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[start..]) else {
        return Err(Malformed(format!("the string at byte {at} is not closed")));
    };
    let stop = start + found;
    if bytes[stop] == b'"' {
        // Both ends are ASCII bytes, so this slice is on character boundaries.
        return Ok((&text[start..stop], stop + 1));
    }
    unescaped.clear();
    let mut from = start;
    let mut stop = stop;
    loop {
        unescaped.push_str(&text[from..stop]);
        if bytes[stop] == b'"' {
            return Ok((unescaped.as_str(), stop + 1));
        }
        from = stop + 2;
        let escaped = match bytes.get(stop + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (c, next) = read_unicode_escape(bytes, stop)?;
                from = next;
                c
            }
            _ => return Err(Malformed(format!("invalid escape at byte {stop}"))),
        };
        unescaped.push(escaped);
        let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[from..]) else {
            return Err(Malformed(format!("the string at byte {at} is not closed")));
        };
        stop = from + found;
    }
}

/// Reads `\uXXXX` at `at` (a surrogate pair takes two); the character and where it ends.
fn read_unicode_escape(bytes: &[u8], at: usize) -> Result<(char, usize), Malformed> {
    // Four hex digits, each checked: `u32::from_str_radix` would also take a sign (`\u+041`, found
    // by fuzzing), which JSON does not.
    let hex = |at: usize| -> Option<u32> {
        bytes.get(at..at + 4)?.iter().try_fold(0, |value, &b| {
            Some(value * 16 + char::from(b).to_digit(16)?)
        })
    };
    let invalid = || Malformed(format!("invalid \\u escape at byte {at}"));
    let first = hex(at + 2).ok_or_else(invalid)?;
    let (code, end) = match first {
        0xD800..=0xDBFF => {
            let low = (bytes.get(at + 6..at + 8) == Some(b"\\u"))
                .then(|| hex(at + 8))
                .flatten()
                .filter(|low| (0xDC00..=0xDFFF).contains(low))
                .ok_or_else(|| Malformed(format!("lone surrogate in a \\u escape at byte {at}")))?;
            (0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00), at + 12)
        }
        0xDC00..=0xDFFF => {
            return Err(Malformed(format!(
                "lone surrogate in a \\u escape at byte {at}"
            )))
        }
        _ => (first, at + 6),
    };
    Ok((char::from_u32(code).ok_or_else(invalid)?, end))
}

/// A JSON number, in the narrowest form that holds it exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Number<'t> {
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64`.
    BigInt(u64),
    Float(f64),
    /// An integer beyond 64 bits or a double beyond its range: the digits as written.
    Wide(&'t str),
}

/// Reads the number at `at` by JSON's grammar: the number and where it ends.
///
/// Digits are accumulated as they are scanned, eight at a time while they last ([`scan_digits`]).
/// An integer of up to 19 digits is then done. A decimal with at most 19 significant digits, no
/// exponent and a mantissa within 2^53 takes Clinger's fast path: mantissa and power of ten are
/// both exact doubles, so one IEEE division is correctly rounded. Anything else goes through the
/// standard library's correctly rounded parser (Eisel-Lemire with a big-number fallback), so every
/// double comes back bit for bit either way.
#[inline]
pub(super) fn read_number(text: &str, at: usize) -> Result<(Number<'_>, usize), Malformed> {
    let bytes = text.as_bytes();
    let negative = bytes[at] == b'-';
    let int_start = at + usize::from(negative);
    let (mut mantissa, int_end) = scan_digits(bytes, int_start, 0);
    let int_digits = int_end - int_start;
    let invalid = |end: usize| {
        Malformed(format!(
            "{:?} at byte {at} is not a JSON number",
            String::from_utf8_lossy(&bytes[at..(end + 1).min(bytes.len())])
        ))
    };
    if int_digits == 0 || (int_digits > 1 && bytes[int_start] == b'0') {
        return Err(invalid(int_end));
    }
    if !matches!(bytes.get(int_end), Some(b'.' | b'e' | b'E')) {
        return Ok((integer(text, at, int_end, negative, mantissa), int_end));
    }
    let mut end = int_end;
    let mut fraction_digits = 0;
    if bytes[end] == b'.' {
        let (with_fraction, fraction_end) = scan_digits(bytes, end + 1, mantissa);
        fraction_digits = fraction_end - end - 1;
        if fraction_digits == 0 {
            return Err(invalid(fraction_end));
        }
        mantissa = with_fraction;
        end = fraction_end;
    }
    let exponent = matches!(bytes.get(end), Some(b'e' | b'E'));
    if exponent {
        let mut digits = end + 1;
        if matches!(bytes.get(digits), Some(b'+' | b'-')) {
            digits += 1;
        }
        let (_, exponent_end) = scan_digits(bytes, digits, 0);
        if exponent_end == digits {
            return Err(invalid(exponent_end));
        }
        end = exponent_end;
    }
    if !exponent && int_digits + fraction_digits <= 19 && mantissa <= 1 << 53 {
        // 19 digits never overflow a u64; 10^19 is an exact double.
        let magnitude = mantissa as f64 / POWERS_OF_TEN[fraction_digits];
        return Ok((
            Number::Float(if negative { -magnitude } else { magnitude }),
            end,
        ));
    }
    let written = &text[at..end];
    Ok(match written.parse::<f64>() {
        Ok(v) if v.is_finite() => (Number::Float(v), end),
        _ => (Number::Wide(written), end),
    })
}

/// 10^0 to 10^19, each an exact double.
const POWERS_OF_TEN: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// An integer literal from `at` to `end` whose digits accumulated (wrapping) to `magnitude`.
#[inline]
fn integer(text: &str, at: usize, end: usize, negative: bool, magnitude: u64) -> Number<'_> {
    let digits = end - at - usize::from(negative);
    if digits > 19 {
        let written = &text[at..end];
        return match written.parse::<u64>() {
            Ok(v) => Number::BigInt(v),
            Err(_) => Number::Wide(written),
        };
    }
    // 19 digits never overflow a u64.
    match (negative, i64::try_from(magnitude)) {
        (false, Ok(v)) => Number::Int(v),
        (false, Err(_)) => Number::BigInt(magnitude),
        // `-0` stays a negative zero, as serde_json reads it.
        (true, Ok(0)) => Number::Float(-0.0),
        (true, Ok(v)) => Number::Int(-v),
        (true, Err(_)) if magnitude == 1 << 63 => Number::Int(i64::MIN),
        (true, Err(_)) => Number::Wide(&text[at..end]),
    }
}

/// Scans the digits from `at`, appending them to `value` (wrapping past 19 digits); the value and
/// where the digits end. Eight bytes are looked at together ([`leading_digits`]): a whole chunk of
/// digits, or the digits before the first other byte, are converted in one step.
#[inline]
fn scan_digits(bytes: &[u8], mut at: usize, mut value: u64) -> (u64, usize) {
    while let Some(chunk) = bytes.get(at..at + 8) {
        let chunk = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let digits = leading_digits(chunk);
        if digits == 0 {
            return (value, at);
        }
        value = value
            .wrapping_mul(POWERS_OF_TEN_U64[digits])
            .wrapping_add(convert_eight(pad_with_zeros(chunk, digits)));
        at += digits;
        if digits < 8 {
            return (value, at);
        }
    }
    while let Some(digit) = bytes.get(at).map(|b| b.wrapping_sub(b'0')) {
        if digit > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        at += 1;
    }
    (value, at)
}

/// 10^0 to 10^8.
const POWERS_OF_TEN_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of the eight bytes of `chunk` (little-endian, first byte lowest) are ASCII digits
/// before the first byte that is not. SWAR: adding 0x50 to a 7-bit byte sets its high bit when it
/// is >= '0', adding 0x46 when it is > '9', and no carry crosses into the next byte.
#[inline]
fn leading_digits(chunk: u64) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = chunk & !HIGH;
    let at_least_zero = low + 0x5050_5050_5050_5050;
    let above_nine = low + 0x4646_4646_4646_4646;
    let digit = at_least_zero & !above_nine & !chunk & HIGH;
    ((!digit & HIGH).trailing_zeros() / 8) as usize
}

/// The first `digits` (1 to 8) bytes of `chunk` moved to its end, with '0' before them: eight digits
/// with the same value.
#[inline]
fn pad_with_zeros(chunk: u64, digits: usize) -> u64 {
    if digits == 8 {
        return chunk;
    }
    let shift = 8 * (8 - digits);
    (chunk << shift) | (0x3030_3030_3030_3030 >> (64 - shift))
}

/// The value of eight ASCII digits in `chunk`, combined pairwise (1 digit -> 2 -> 4 -> 8) with
/// three multiplications instead of eight, as in simdjson and fast_float.
#[inline]
fn convert_eight(chunk: u64) -> u64 {
    let mut value = chunk - 0x3030_3030_3030_3030;
    value = value.wrapping_mul(10).wrapping_add(value >> 8);
    ((value & 0x0000_00FF_0000_00FF)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((value >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32))))
        >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_counted_and_converted_eight_bytes_at_a_time() {
        let chunk = |b: &[u8; 8]| u64::from_le_bytes(*b);
        assert_eq!(leading_digits(chunk(b"12345678")), 8);
        assert_eq!(leading_digits(chunk(b"1234567,")), 7);
        assert_eq!(leading_digits(chunk(b",1234567")), 0);
        for bad in [b'/', b':', b'.', b'e', b'-', b' ', 0xB0, 0xB5, 0xFF, 0x00] {
            for at in 0..8 {
                let mut bytes = *b"12345678";
                bytes[at] = bad;
                assert_eq!(leading_digits(chunk(&bytes)), at, "{bytes:?}");
            }
        }
        for (text, digits, value) in [
            (b"12345678", 8, 12_345_678),
            (b"00000000", 8, 0),
            (b"99999999", 8, 99_999_999),
            (b"1]]}xxxx", 1, 1),
            (b"4096,\"ab", 4, 4096),
            (b"9876543.", 7, 9_876_543),
        ] {
            assert_eq!(convert_eight(pad_with_zeros(chunk(text), digits)), value);
        }
        assert_eq!(
            scan_digits(b"1234567890123,", 0, 0),
            (1_234_567_890_123, 13)
        );
        assert_eq!(scan_digits(b"12", 0, 7), (712, 2));
    }

    #[test]
    fn numbers_follow_the_json_grammar_and_keep_their_value() {
        let read = |s: &str| read_number(s, 0).map(|(n, end)| (format!("{n:?}"), end));
        let ok = |s: &str, n: Number| assert_eq!(read(s), Ok((format!("{n:?}"), s.len())), "{s}");
        ok("0", Number::Int(0));
        ok("-0", Number::Float(-0.0));
        ok("1234567890123", Number::Int(1_234_567_890_123));
        ok("9223372036854775807", Number::Int(i64::MAX));
        ok("-9223372036854775808", Number::Int(i64::MIN));
        ok("9223372036854775808", Number::BigInt(1 << 63));
        ok("18446744073709551615", Number::BigInt(u64::MAX));
        ok("18446744073709551616", Number::Wide("18446744073709551616"));
        ok("-9223372036854775809", Number::Wide("-9223372036854775809"));
        ok("0.30000000000000004", Number::Float(0.30000000000000004));
        ok("1e-7", Number::Float(1e-7));
        ok("-2.5E+3", Number::Float(-2500.0));
        ok("1e400", Number::Wide("1e400"));
        assert_eq!(read("12,"), Ok(("Int(12)".into(), 2)));
        for bad in ["-", "01", "-01", "1.", "1.e5", "1e", "1e+", "-a"] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_are_unescaped_exactly() {
        let mut scratch = String::new();
        let mut read =
            |s: &str| read_string(s, 0, &mut scratch).map(|(v, end)| (v.to_string(), end));
        assert_eq!(read(r#""plain""#), Ok(("plain".into(), 7)));
        assert_eq!(
            read(r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#),
            Ok(("a\"b\\c/d\n\té😀".into(), 34))
        );
        for bad in [
            r#""open"#,
            r#""\x""#,
            r#""\ud83d""#,
            r#""\ude00x""#,
            r#""\u12""#,
            r#""\u+041""#,
            r#""\ud83d\u+e00""#,
            r#""\u-041""#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
