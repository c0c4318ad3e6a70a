//! One pass over a page's JSON, straight into the column decoders: no `serde_json::Value` per
//! cell, no copy of a string that has no escapes. Rows may be COMPACT (arrays, by position), read by
//! the hand-written scanner of `scan.rs`, or FULL (objects, by column name, null cells missing),
//! read with serde, even mixed; object and array cells go through serde too.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::cells::CellDecoder;
use super::scan::{read_number, read_string, Number};
use super::types::{ColumnType, ValueKind};
use crate::json::{self, Malformed};

/// A `columnDetails` entry (9.10+): a result column and its ThoughtSpot type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ColumnDetail {
    /// The column name.
    pub name: String,
    /// ThoughtSpot's type (`INT64`, `DATE`, `VARCHAR`, ...).
    #[serde(alias = "dataType")]
    pub data_type: String,
}

/// The first value of a column that did not fit its type, with the type that holds every misfit of
/// the page (`None` when no type does).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FirstMisfit {
    /// 0-based row within the page.
    pub row: u64,
    /// The value as it appeared, shortened for messages.
    pub value: String,
    pub widened: Option<ColumnType>,
}

/// What a pass over a page found besides the cells it handed to the decoders.
#[derive(Debug, Default)]
pub(super) struct PageFacts {
    pub column_names: Option<Vec<String>>,
    pub column_details: Option<Vec<ColumnDetail>>,
    pub rows: usize,
    /// Per column, the first misfit, if any.
    pub misfits: Vec<Option<FirstMisfit>>,
}

/// Column types and FULL-row lookup for a pass.
#[derive(Debug)]
pub(super) struct Columns<'a> {
    pub types: &'a [ColumnType],
    /// `columnNames` entry -> column index, for FULL rows. With duplicate names the later column
    /// wins, as a FULL object keeps the later value (wire-protocol §7 Q23).
    pub by_name: &'a HashMap<String, usize>,
}

/// Parses `bytes` into `decoders` (one per column, in order).
///
/// The page is checked to be UTF-8 once, up front (SIMD), so strings are sliced out of it without
/// another check. The top level is walked by `json::walk_object`; `data` is read by
/// `RowScanner`, a hand-written scanner for the rows' common shape (arrays of scalars) that is
/// about twice as fast as driving serde cell by cell; FULL rows and object or array cells, which are
/// rare, are cut out and handed to serde.
pub(super) fn parse<D: CellDecoder>(
    bytes: &[u8],
    columns: &Columns<'_>,
    decoders: &mut [D],
) -> Result<PageFacts, Malformed> {
    let text = simdutf8::compat::from_utf8(bytes).map_err(|e| {
        Malformed(format!(
            "the page is not valid UTF-8 (byte {} is not): the server sent a broken body",
            e.valid_up_to()
        ))
    })?;
    let mut state = State {
        decoders,
        types: columns.types,
        by_name: columns.by_name,
        filled: vec![u64::MAX; columns.types.len()],
        row: 0,
        misfits: vec![None; columns.types.len()],
    };
    let mut column_names = None;
    let mut column_details = None;
    let mut saw_data = false;
    json::walk_object(bytes, |key, start| match key {
        "columnNames" | "column_names" => {
            let end = json::skip_value(bytes, start)?;
            column_names = Some(
                serde_json::from_slice(&bytes[start..end])
                    .map_err(|e| Malformed(format!("columnNames is not a list of names: {e}")))?,
            );
            Ok(end)
        }
        "columnDetails" => {
            let end = json::skip_value(bytes, start)?;
            column_details =
                Some(serde_json::from_slice(&bytes[start..end]).map_err(|e| {
                    Malformed(format!("columnDetails is not a list of columns: {e}"))
                })?);
            Ok(end)
        }
        "data" | "data_rows" => {
            // Two row arrays (a server bug, or two bodies run together) would give the rows of
            // both, where a JSON reader keeps the last: neither is safe to guess. Found by fuzzing.
            if saw_data {
                return Err(Malformed(format!(
                    "the page has a second \"{key}\" array at byte {start}"
                )));
            }
            saw_data = true;
            RowScanner {
                text,
                state: &mut state,
                unescaped: String::new(),
            }
            .rows(start)
        }
        _ => json::skip_value(bytes, start),
    })?;
    if !saw_data {
        return Err(Malformed("the page has no \"data\" array".into()));
    }
    Ok(PageFacts {
        column_names,
        column_details,
        rows: state.row as usize,
        misfits: state.misfits,
    })
}

struct State<'a, D> {
    decoders: &'a mut [D],
    types: &'a [ColumnType],
    by_name: &'a HashMap<String, usize>,
    /// The row in which each column last got a value (FULL rows fill the rest with nulls).
    filled: Vec<u64>,
    row: u64,
    misfits: Vec<Option<FirstMisfit>>,
}

/// One method per kind of JSON value: hand it to the column's decoder, and record a misfit when it
/// does not fit.
impl<D: CellDecoder> State<'_, D> {
    #[inline]
    fn null(&mut self, column: usize) {
        self.decoders[column].push_null();
    }

    #[inline]
    fn bool(&mut self, column: usize, value: bool) {
        if !self.decoders[column].push_bool(value) {
            self.misfit(column, ValueKind::Bool, || value.to_string());
        }
    }

    #[inline]
    fn int(&mut self, column: usize, value: i64) {
        if !self.decoders[column].push_int(value) {
            self.misfit(column, ValueKind::Int(value), || value.to_string());
        }
    }

    #[inline]
    fn big_int(&mut self, column: usize, value: u64) {
        if !self.decoders[column].push_big_int(value) {
            self.misfit(column, ValueKind::BigInt, || value.to_string());
        }
    }

    #[inline]
    fn float(&mut self, column: usize, value: f64) {
        if !self.decoders[column].push_float(value) {
            self.misfit(column, ValueKind::Float(value), || {
                ryu::Buffer::new().format(value).to_string()
            });
        }
    }

    /// A number no 64-bit type holds (an integer beyond them, a double beyond its range), handed
    /// over as its digits so no column takes a rounded value: only text or a decimal that holds it.
    #[inline]
    fn wide_number(&mut self, column: usize, digits: &str) {
        if !self.decoders[column].push_str(digits) {
            self.misfit(column, ValueKind::BigInt, || digits.to_string());
        }
    }

    #[inline]
    fn str(&mut self, column: usize, value: &str) {
        if !self.decoders[column].push_str(value) {
            self.misfit(column, ValueKind::Str, || quoted(value));
        }
    }

    #[inline]
    fn wrapped_date(&mut self, column: usize, start: i64) {
        if !self.decoders[column].push_wrapped_date(start) {
            self.misfit(column, ValueKind::WrappedDate(start), || {
                format!("{{\"v\":{{\"s\":{start}}}}}")
            });
        }
    }

    /// Records that `kind` did not fit `column` and gives the cell a null in its place.
    #[cold]
    fn misfit(&mut self, column: usize, kind: ValueKind, text: impl FnOnce() -> String) {
        self.decoders[column].push_null();
        let current = self.types[column];
        match &mut self.misfits[column] {
            Some(first) => first.widened = first.widened.and_then(|t| t.widen(kind)),
            slot => {
                *slot = Some(FirstMisfit {
                    row: self.row,
                    value: text(),
                    widened: current.widen(kind),
                })
            }
        }
    }
}

/// Shortens a text value for a message.
fn quoted(value: &str) -> String {
    const MAX: usize = 60;
    match value.char_indices().nth(MAX) {
        Some((at, _)) => format!("{:?}...", &value[..at]),
        None => format!("{value:?}"),
    }
}

/// Reads a page's `data` array straight into the column decoders: one pass, no intermediate values,
/// no copy of a string without escapes. It validates what it reads as strictly as serde_json does
/// (number grammar, escapes, literals), except that it leaves control characters in strings alone.
struct RowScanner<'t, 's, 'a, D> {
    /// The whole page, already checked to be UTF-8.
    text: &'t str,
    state: &'s mut State<'a, D>,
    /// Where a string with escapes is unescaped, reused across cells.
    unescaped: String,
}

impl<D: CellDecoder> RowScanner<'_, '_, '_, D> {
    /// Reads the rows array that starts at `at`; returns where it ends.
    fn rows(&mut self, at: usize) -> Result<usize, Malformed> {
        let bytes = self.text.as_bytes();
        match bytes.get(at) {
            Some(b'[') => {}
            Some(b'n') if bytes[at..].starts_with(b"null") => return Ok(at + 4),
            _ => {
                return Err(Malformed(format!(
                    "\"data\" is not an array of rows (byte {at})"
                )))
            }
        }
        let mut at = json::skip_space(bytes, at + 1);
        if bytes.get(at) == Some(&b']') {
            return Ok(at + 1);
        }
        loop {
            at = match bytes.get(at) {
                Some(b'[') => self.compact_row(at + 1)?,
                Some(b'{') => self.full_row(at)?,
                _ => {
                    return Err(Malformed(format!(
                        "row {} is neither an array of cells (COMPACT) nor an object (FULL), at byte {at}",
                        self.state.row + 1
                    )))
                }
            };
            self.state.row += 1;
            at = json::skip_space(bytes, at);
            match bytes.get(at) {
                Some(b',') => at = json::skip_space(bytes, at + 1),
                Some(b']') => return Ok(at + 1),
                _ => {
                    return Err(Malformed(format!(
                        "expected ',' or ']' after row {} at byte {at}",
                        self.state.row
                    )))
                }
            }
        }
    }

    /// Reads the cells of a COMPACT row from `at` (after its `[`); returns where the row ends.
    fn compact_row(&mut self, at: usize) -> Result<usize, Malformed> {
        let bytes = self.text.as_bytes();
        let width = self.state.types.len();
        let row = self.state.row + 1;
        let mut at = json::skip_space(bytes, at);
        let mut cells = 0;
        if bytes.get(at) != Some(&b']') {
            loop {
                if cells == width {
                    return Err(Malformed(format!(
                        "row {row} has more cells than the page's {width} columns"
                    )));
                }
                at = json::skip_space(bytes, self.cell(at, cells)?);
                cells += 1;
                match bytes.get(at) {
                    Some(b',') => at = json::skip_space(bytes, at + 1),
                    Some(b']') => break,
                    _ => {
                        return Err(Malformed(format!(
                            "row {row}: expected ',' or ']' after cell {cells} at byte {at}"
                        )))
                    }
                }
            }
        }
        if cells < width {
            return Err(Malformed(format!(
                "row {row} has {cells} cells but the page has {width} columns"
            )));
        }
        Ok(at + 1)
    }

    /// Reads one cell of `column` at `at`; returns where it ends.
    fn cell(&mut self, at: usize, column: usize) -> Result<usize, Malformed> {
        let bytes = self.text.as_bytes();
        let literal = |word: &str| {
            if bytes[at..].starts_with(word.as_bytes()) {
                Ok(at + word.len())
            } else {
                Err(self.not_a_value(at, column))
            }
        };
        match bytes.get(at) {
            Some(b'"') => {
                let (value, end) =
                    read_string(self.text, at, &mut self.unescaped).map_err(|e| {
                        Malformed(format!(
                            "row {}, column {}: {e}",
                            self.state.row + 1,
                            column + 1
                        ))
                    })?;
                self.state.str(column, value);
                Ok(end)
            }
            Some(b'-' | b'0'..=b'9') => {
                let (number, end) = read_number(self.text, at).map_err(|e| {
                    Malformed(format!(
                        "row {}, column {}: {e}",
                        self.state.row + 1,
                        column + 1
                    ))
                })?;
                match number {
                    Number::Int(v) => self.state.int(column, v),
                    Number::BigInt(v) => self.state.big_int(column, v),
                    Number::Float(v) => self.state.float(column, v),
                    Number::Wide(digits) => self.state.wide_number(column, digits),
                }
                Ok(end)
            }
            Some(b'n') => {
                let end = literal("null")?;
                self.state.null(column);
                Ok(end)
            }
            Some(b't') => {
                let end = literal("true")?;
                self.state.bool(column, true);
                Ok(end)
            }
            Some(b'f') => {
                let end = literal("false")?;
                self.state.bool(column, false);
                Ok(end)
            }
            Some(b'{' | b'[') => {
                let end = json::skip_value(bytes, at)?;
                let mut cell = serde_json::Deserializer::from_slice(&bytes[at..end]);
                CellSeed {
                    state: &mut *self.state,
                    column,
                }
                .deserialize(&mut cell)
                .map_err(|e| {
                    Malformed(format!(
                        "row {}, column {}: {e}",
                        self.state.row + 1,
                        column + 1
                    ))
                })?;
                Ok(end)
            }
            _ => Err(self.not_a_value(at, column)),
        }
    }

    /// Reads a FULL row (an object) that starts at `at`, through serde; returns where it ends.
    fn full_row(&mut self, at: usize) -> Result<usize, Malformed> {
        let bytes = self.text.as_bytes();
        let end = json::skip_value(bytes, at)?;
        let mut row = serde_json::Deserializer::from_slice(&bytes[at..end]);
        RowSeed {
            state: &mut *self.state,
        }
        .deserialize(&mut row)
        .map_err(|e| Malformed(format!("row {}: {e}", self.state.row + 1)))?;
        Ok(end)
    }

    fn not_a_value(&self, at: usize, column: usize) -> Malformed {
        let bytes = self.text.as_bytes();
        let shown = String::from_utf8_lossy(&bytes[at..(at + 12).min(bytes.len())]).into_owned();
        Malformed(format!(
            "row {}, column {}: {shown:?} at byte {at} is not a JSON value",
            self.state.row + 1,
            column + 1
        ))
    }
}

struct RowSeed<'s, 'a, D> {
    state: &'s mut State<'a, D>,
}

impl<'de, C: CellDecoder> DeserializeSeed<'de> for RowSeed<'_, '_, C> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, C: CellDecoder> Visitor<'de> for RowSeed<'_, '_, C> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FULL row: an object of cells by column name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut cells: A) -> Result<(), A::Error> {
        let row = self.state.row;
        while let Some(column) = cells.next_key_seed(ColumnKey {
            by_name: self.state.by_name,
        })? {
            match column {
                Some(column) if self.state.filled[column] != row => {
                    self.state.filled[column] = row;
                    cells.next_value_seed(CellSeed {
                        state: &mut *self.state,
                        column,
                    })?;
                }
                Some(_) => {
                    return Err(de::Error::custom(format!(
                        "row {} names a column twice",
                        row + 1
                    )))
                }
                None => {
                    return Err(de::Error::custom(format!(
                        "row {} has a key that is not in columnNames",
                        row + 1
                    )))
                }
            }
        }
        // FULL drops null cells (wire-protocol §3.3).
        for (column, filled) in self.state.filled.iter_mut().enumerate() {
            if *filled != row {
                *filled = row;
                self.state.decoders[column].push_null();
            }
        }
        Ok(())
    }
}

/// A FULL row's key, looked up without copying it.
struct ColumnKey<'a> {
    by_name: &'a HashMap<String, usize>,
}

impl<'de> DeserializeSeed<'de> for ColumnKey<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ColumnKey<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Option<usize>, E> {
        Ok(self.by_name.get(name).copied())
    }
}

struct CellSeed<'s, 'a, D> {
    state: &'s mut State<'a, D>,
    column: usize,
}

impl<'de, C: CellDecoder> DeserializeSeed<'de> for CellSeed<'_, '_, C> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// `{"s": start, "e": end}` inside a wrapped date. The start is read as it was written (an integer
/// stays exact): read as a double, a start beyond 2^53 was rounded, and a text column held other
/// digits than the page's (found by fuzzing).
#[derive(Deserialize)]
struct Span {
    s: Option<serde_json::Number>,
}

impl Span {
    /// The start in whole seconds, if it is a whole number that fits an i64.
    fn start(&self) -> Option<i64> {
        let s = self.s.as_ref()?;
        s.as_i64().or_else(|| {
            s.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        })
    }
}

impl<'de, C: CellDecoder> Visitor<'de> for CellSeed<'_, '_, C> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cell value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.state.null(self.column);
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.state.bool(self.column, v);
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.state.int(self.column, v);
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(v) => self.state.int(self.column, v),
            Err(_) => self.state.big_int(self.column, v),
        }
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.state.float(self.column, v);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.state.str(self.column, v);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut start = None;
        let mut other_keys = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "v" {
                start = map
                    .next_value::<Option<Span>>()?
                    .and_then(|span| span.start());
            } else {
                map.next_value::<IgnoredAny>()?;
                other_keys = true;
            }
        }
        match start {
            Some(s) if !other_keys => self.state.wrapped_date(self.column, s),
            _ => self
                .state
                .misfit(self.column, ValueKind::Other, || "an object".to_string()),
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.state
            .misfit(self.column, ValueKind::Other, || "an array".to_string());
        Ok(())
    }
}

#[cfg(test)]
mod agrees_with_serde_json {
    //! The scanner against serde_json on many generated values: every cell decodes to what
    //! serde_json reads from the same text.
    use super::*;
    use crate::decode::cells::ColumnDecoder;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    fn parse_page(page: &str, types: &[ColumnType]) -> Vec<arrow_array::ArrayRef> {
        let by_name = HashMap::new();
        let columns = Columns {
            types,
            by_name: &by_name,
        };
        let mut decoders: Vec<_> = types
            .iter()
            .map(|t| ColumnDecoder::new(*t, chrono_tz::UTC, 16))
            .collect();
        let facts = parse(page.as_bytes(), &columns, &mut decoders).expect("page parses");
        assert!(facts.misfits.iter().all(Option::is_none), "{page}");
        decoders.iter_mut().map(|d| d.finish()).collect()
    }

    #[test]
    fn numbers_and_strings_decode_as_serde_json_reads_them() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let chars = [
            'a', '"', '\\', '/', '\n', '\u{1}', 'é', '😀', ' ', '\t', '\u{7f}',
        ];
        let mut rows = Vec::new();
        for _ in 0..20_000 {
            let float = loop {
                let f = f64::from_bits(rng.next());
                if f.is_finite() {
                    break f;
                }
            };
            let float_text = match rng.next() % 4 {
                0 => ryu::Buffer::new().format(float).to_string(),
                1 => format!("{float:e}"),
                2 => format!("{:.3}", (rng.next() % 2_000_000) as f64 / 1000.0 - 1000.0),
                // Decimals of up to 20 significant digits, around the fast path's limits.
                _ => {
                    let digits = 1 + rng.next() % 20;
                    let mantissa = (u128::from(rng.next()) << 64 | u128::from(rng.next()))
                        % 10u128.pow(digits as u32);
                    let point = rng.next() % (digits + 1);
                    let text = format!("{mantissa:0width$}", width = digits as usize);
                    let (int, fraction) = text.split_at((digits - point) as usize);
                    let int = int.trim_start_matches('0');
                    let int = if int.is_empty() { "0" } else { int };
                    let sign = if rng.next().is_multiple_of(2) {
                        "-"
                    } else {
                        ""
                    };
                    if fraction.is_empty() {
                        format!("{sign}{int}.0")
                    } else {
                        format!("{sign}{int}.{fraction}")
                    }
                }
            };
            let int = match rng.next() % 3 {
                0 => rng.next() as i64,
                1 => (rng.next() % 2000) as i64 - 1000,
                _ => (rng.next() >> (rng.next() % 64)) as i64,
            };
            let text: String = (0..rng.next() % 12)
                .map(|_| chars[(rng.next() % chars.len() as u64) as usize])
                .collect();
            let text = serde_json::to_string(&text).expect("string");
            rows.push(format!("[{float_text},{int},{text}]"));
        }
        let page = format!(
            "{{\"columnNames\":[\"f\",\"i\",\"s\"],\"data\":[{}]}}",
            rows.join(",\n ")
        );
        let types = [ColumnType::Float64, ColumnType::Int64, ColumnType::Utf8];
        let arrays = parse_page(&page, &types);
        let expected: serde_json::Value = serde_json::from_str(&page).expect("serde_json");
        let (floats, ints, texts) = (
            arrays[0].as_primitive::<Float64Type>(),
            arrays[1].as_primitive::<Int64Type>(),
            arrays[2].as_string::<i32>(),
        );
        for (row, cells) in expected["data"]
            .as_array()
            .expect("rows")
            .iter()
            .enumerate()
        {
            let float = cells[0].as_f64().expect("f64");
            assert_eq!(
                floats.value(row).to_bits(),
                float.to_bits(),
                "row {row}: {}",
                cells[0]
            );
            assert_eq!(
                ints.value(row),
                cells[1].as_i64().expect("i64"),
                "row {row}"
            );
            assert_eq!(
                texts.value(row),
                cells[2].as_str().expect("str"),
                "row {row}"
            );
        }
        assert_eq!(floats.len(), 20_000);
    }

    #[test]
    fn broken_rows_are_errors_that_name_the_row() {
        let types = [ColumnType::Int64, ColumnType::Utf8];
        let by_name = HashMap::new();
        let columns = Columns {
            types: &types,
            by_name: &by_name,
        };
        for (rows, says) in [
            (r#"[[1,"a"],[2]]"#, "row 2 has 1 cells"),
            (r#"[[1,"a","b"]]"#, "row 1 has more cells"),
            (r#"[[1 "a"]]"#, "row 1: expected ','"),
            (r#"[[NaN,"a"]]"#, "row 1, column 1"),
            (r#"[[1,"a"]"#, "after row 1"),
            (r#"[[01,"a"]]"#, "not a JSON number"),
            (r#"[[1,"a\q"]]"#, "invalid escape"),
            (r#"[[1,nul]]"#, "row 1, column 2"),
            (r#"[3]"#, "row 1 is neither"),
            (
                r#"[[1,"a"]],"data_rows":[[2,"b"]]"#,
                "a second \"data_rows\" array",
            ),
        ] {
            let page = format!(r#"{{"columnNames":["a","b"],"data":{rows}}}"#);
            let mut decoders: Vec<_> = types
                .iter()
                .map(|t| ColumnDecoder::new(*t, chrono_tz::UTC, 4))
                .collect();
            let error = parse(page.as_bytes(), &columns, &mut decoders).expect_err(rows);
            assert!(error.to_string().contains(says), "{rows}: {error}");
        }
        let mut decoders: Vec<_> = types
            .iter()
            .map(|t| ColumnDecoder::new(*t, chrono_tz::UTC, 4))
            .collect();
        let error =
            parse(b"{\"data\":[[1,\"\xff\"]]}", &columns, &mut decoders).expect_err("utf-8");
        assert!(error.to_string().contains("not valid UTF-8"), "{error}");
    }
}
