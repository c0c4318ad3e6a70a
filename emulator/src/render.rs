//! Data pages as JSON, written straight from the result into the response body.
//!
//! A page is a list of [`Segment`]s: fixed bytes (keys, counters) and row ranges. [`BodyStream`] renders
//! them into chunks of about [`CHUNK`] bytes as the client reads, so a 100,000-row page never exists as
//! a whole `String`, and a slow reader holds back rendering instead of growing a buffer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::data::Cell;
use super::profile::{BoolCells, FullDuplicates, Profile};
use super::search::ResultSet;

/// Target size of one body chunk: large enough that per-chunk costs (framing, a syscall) vanish, small
/// enough to keep a page's memory flat.
pub const CHUNK: usize = 128 * 1024;

/// How cells are spelled, from the profile and the fixture switches.
#[derive(Debug, Clone, Copy, Default)]
pub struct CellStyle {
    /// Dates as `{"v":{"s":..}}` (custom calendar).
    pub calendar: bool,
    /// In calendar form, add `"e"`, the day's last second, to DATE cells.
    pub calendar_end: bool,
    /// DATE_TIME cells wrapped even without a custom calendar (old builds).
    pub datetime_wrapped: bool,
    /// BOOL cells as `"true"`/`"false"` strings.
    pub bool_as_string: bool,
    /// VARCHAR cells lowercased.
    pub lowercase: bool,
}

impl CellStyle {
    /// The style `profile` serves, with or without a custom calendar.
    pub fn new(profile: &Profile, custom_calendar: bool) -> Self {
        Self {
            calendar: custom_calendar,
            calendar_end: profile.calendar_end,
            datetime_wrapped: profile.datetime_wrapped,
            bool_as_string: profile.bool_cells == BoolCells::String,
            lowercase: profile.lowercase_text,
        }
    }
}

/// COMPACT (arrays) or FULL (objects without null keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Each row an array of cells.
    Compact,
    /// Each row an object from column name to cell, null cells left out.
    Full,
}

/// Bytes that must be escaped inside a JSON string: control characters, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `s` as a JSON string literal. Runs of plain bytes are copied whole; the table lookup keeps
/// the common all-plain string to one pass and one copy.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The two ASCII digits of every value below 100, so integers are written two digits per division
/// (the technique `itoa` uses).
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// The most decimal digits a `u64` has.
const U64_DIGITS: usize = 20;

/// Appends `v` in decimal.
fn write_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// Appends `n` in decimal, written in place: the Vec grows by a fixed [`U64_DIGITS`] bytes (a
/// constant-size copy the compiler inlines), the digits are filled in from the right and the excess is
/// truncated ("over-allocate, then truncate"). Unlike formatting into a temporary buffer and appending
/// it, this needs no variable-length `memmove` call, which cost more than the digits themselves.
fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let len = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    let start = out.len();
    out.extend_from_slice(&[b'0'; U64_DIGITS]);
    let digits = &mut out[start..start + len];
    let mut end = len;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        digits[end - 2..end].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
        end -= 2;
    }
    if n >= 10 {
        let pair = n as usize * 2;
        digits[..2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        digits[0] = b'0' + n as u8;
    }
    out.truncate(start + len);
}

/// Appends one cell's JSON.
#[inline]
pub fn write_cell(out: &mut Vec<u8>, cell: Cell<'_>, style: &CellStyle) {
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Int(v) | Cell::Time(v) => write_int(out, v),
        Cell::Double(v) if v.is_finite() => {
            out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes())
        }
        Cell::Float(v) if v.is_finite() => {
            out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes())
        }
        Cell::Double(_) | Cell::Float(_) => out.extend_from_slice(b"null"),
        Cell::Bool(v) => out.extend_from_slice(match (v, style.bool_as_string) {
            (true, false) => b"true",
            (false, false) => b"false",
            (true, true) => b"\"true\"",
            (false, true) => b"\"false\"",
        }),
        Cell::Text(s) if style.lowercase => write_str(out, &s.to_lowercase()),
        Cell::Text(s) => write_str(out, s),
        Cell::Code(prefix, n) => {
            out.push(b'"');
            out.extend_from_slice(prefix.as_bytes());
            write_u64(out, n);
            out.push(b'"');
        }
        Cell::Date(v) if style.calendar => {
            out.extend_from_slice(b"{\"v\":{\"s\":");
            write_int(out, v);
            if style.calendar_end {
                out.extend_from_slice(b",\"e\":");
                write_int(out, v + 86_399);
            }
            out.extend_from_slice(b"}}");
        }
        Cell::DateTime(v) if style.calendar || style.datetime_wrapped => {
            out.extend_from_slice(b"{\"v\":{\"s\":");
            write_int(out, v);
            out.extend_from_slice(b"}}");
        }
        Cell::Period(start, end) if style.calendar => {
            out.extend_from_slice(b"{\"v\":{\"s\":");
            write_int(out, start);
            if style.calendar_end {
                out.extend_from_slice(b",\"e\":");
                write_int(out, end);
            }
            out.extend_from_slice(b"}}");
        }
        Cell::Date(v) | Cell::DateTime(v) | Cell::Period(v, _) => write_int(out, v),
    }
}

/// Rows `next..end` of a result, rendered on demand.
#[derive(Debug)]
pub struct RowRange {
    result: Arc<ResultSet>,
    next: u64,
    first: u64,
    end: u64,
    format: Format,
    style: CellStyle,
    /// FULL only: each column's `"name":` prefix, or `None` when a later duplicate replaces it.
    keys: Vec<Option<Vec<u8>>>,
}

impl RowRange {
    /// Rows `start..end` of `result`, rendered in `format` and `style`; `duplicates` says which of
    /// two FULL keys with the same column name is kept.
    pub fn new(
        result: Arc<ResultSet>,
        start: u64,
        end: u64,
        format: Format,
        style: CellStyle,
        duplicates: FullDuplicates,
    ) -> Self {
        let names: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
        let keys = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let replaced_later = names[i + 1..].contains(name);
                (duplicates == FullDuplicates::KeepBoth || !replaced_later).then(|| {
                    let mut key = Vec::new();
                    write_str(&mut key, name);
                    key.push(b':');
                    key
                })
            })
            .collect();
        let end = end.min(result.len());
        Self {
            result,
            next: start.min(end),
            first: start.min(end),
            end,
            format,
            style,
            keys,
        }
    }

    fn done(&self) -> bool {
        self.next >= self.end
    }

    /// Renders rows until `out` reaches `limit` bytes or the range ends.
    fn render(&mut self, out: &mut Vec<u8>, limit: usize) {
        let mut cells = Vec::with_capacity(self.result.columns.len());
        while self.next < self.end && out.len() < limit {
            let row = self.next;
            if row != self.first {
                out.push(b',');
            }
            cells.clear();
            self.result.row_cells(row, &mut cells);
            match self.format {
                Format::Compact => self.write_compact(out, &cells),
                Format::Full => self.write_full(out, &cells),
            }
            self.next += 1;
        }
    }

    /// One row as a JSON array.
    fn write_compact(&self, out: &mut Vec<u8>, cells: &[Cell<'_>]) {
        out.push(b'[');
        for (c, &cell) in cells.iter().enumerate() {
            if c > 0 {
                out.push(b',');
            }
            write_cell(out, cell, &self.style);
        }
        out.push(b']');
    }

    /// One row as a JSON object, leaving out nulls and keys a later duplicate replaces.
    fn write_full(&self, out: &mut Vec<u8>, cells: &[Cell<'_>]) {
        out.push(b'{');
        let mut first = true;
        for (key, &cell) in self.keys.iter().zip(cells) {
            let Some(key) = key else { continue };
            if cell.is_null() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            write_cell(out, cell, &self.style);
        }
        out.push(b'}');
    }
}

/// A piece of a response body.
#[derive(Debug)]
pub enum Segment {
    /// These bytes as they are.
    Fixed(Vec<u8>),
    /// Rows rendered as the body is polled.
    Rows(RowRange),
}

/// Renders segments chunk by chunk as the body is polled.
#[derive(Debug)]
pub struct BodyStream {
    segments: VecDeque<Segment>,
}

impl BodyStream {
    /// A body of `segments`, in order.
    pub fn new(segments: Vec<Segment>) -> Self {
        Self {
            segments: segments.into(),
        }
    }

    /// Renders segments into `buf` until it holds `limit` bytes (a row may overshoot it) or the body
    /// ends.
    fn fill(&mut self, buf: &mut Vec<u8>, limit: usize) {
        while buf.len() < limit {
            match self.segments.front_mut() {
                None => break,
                Some(Segment::Fixed(bytes)) => {
                    buf.extend_from_slice(bytes);
                    self.segments.pop_front();
                }
                Some(Segment::Rows(rows)) => {
                    rows.render(buf, limit);
                    if rows.done() {
                        self.segments.pop_front();
                    }
                }
            }
        }
    }

    fn next_chunk(&mut self) -> Option<Vec<u8>> {
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        self.fill(&mut buf, CHUNK);
        (!buf.is_empty()).then_some(buf)
    }

    /// Renders everything at once (pre-rendered pages, tests and benchmarks), straight into one
    /// buffer rather than chunk by chunk and then copied.
    pub fn render_all(mut self) -> Vec<u8> {
        let mut all = Vec::new();
        self.fill(&mut all, usize::MAX);
        all
    }
}

impl futures_util::Stream for BodyStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.next_chunk().map(|chunk| Ok(Bytes::from(chunk))))
    }
}

/// The counters at the end of a data block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counters {
    /// `samplingRatio`: below 1 the data is incomplete.
    pub sampling_ratio: f64,
    /// `totalRowCount`: rows of the whole result.
    pub total_row_count: u64,
    /// `rowCount`: rows in this block.
    pub row_count: u64,
    /// `pageSize`, as the request asked.
    pub page_size: i64,
    /// `offset`, as the request asked.
    pub offset: i64,
}

/// What goes around the rows of one data block.
#[derive(Debug, Clone)]
pub struct BlockOptions<'a> {
    /// pinboarddata's `name`, and whether it comes first.
    pub name: Option<(&'a str, bool)>,
    /// 9.10+: `columnDetails`.
    pub column_details: bool,
}

/// The segments of one searchdata object (or one viz block of pinboarddata).
pub fn data_block(rows: RowRange, counters: Counters, options: &BlockOptions<'_>) -> Vec<Segment> {
    let result = rows.result.clone();
    let mut head = Vec::with_capacity(256);
    head.push(b'{');
    if let Some((name, true)) = options.name {
        head.extend_from_slice(b"\"name\":");
        write_str(&mut head, name);
        head.push(b',');
    }
    head.extend_from_slice(b"\"columnNames\":[");
    for (i, column) in result.columns.iter().enumerate() {
        if i > 0 {
            head.push(b',');
        }
        write_str(&mut head, &column.name);
    }
    head.extend_from_slice(b"],\"data\":[");

    let mut tail = Vec::with_capacity(256);
    tail.extend_from_slice(b"],\"samplingRatio\":");
    if counters.sampling_ratio == 1.0 {
        tail.push(b'1');
    } else {
        tail.extend_from_slice(
            ryu::Buffer::new()
                .format(counters.sampling_ratio)
                .as_bytes(),
        );
    }
    for (key, value) in [
        ("totalRowCount", counters.total_row_count as i64),
        ("rowCount", counters.row_count as i64),
        ("pageSize", counters.page_size),
        ("offset", counters.offset),
    ] {
        tail.extend_from_slice(format!(",\"{key}\":").as_bytes());
        write_int(&mut tail, value);
    }
    if options.column_details {
        tail.extend_from_slice(b",\"columnDetails\":[");
        for (i, column) in result.columns.iter().enumerate() {
            if i > 0 {
                tail.push(b',');
            }
            tail.extend_from_slice(b"{\"name\":");
            write_str(&mut tail, &column.name);
            tail.extend_from_slice(b",\"data_type\":");
            write_str(&mut tail, column.data_type.as_str());
            tail.push(b'}');
        }
        tail.push(b']');
    }
    if let Some((name, false)) = options.name {
        tail.extend_from_slice(b",\"name\":");
        write_str(&mut tail, name);
    }
    tail.push(b'}');
    vec![
        Segment::Fixed(head),
        Segment::Rows(rows),
        Segment::Fixed(tail),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for s in [
            "plain",
            "q\"uote",
            "back\\slash",
            "tab\tnl\nnul\u{0}",
            "Zoë 東京 🚀",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn cells_in_each_style() {
        let render = |cell, style: CellStyle| {
            let mut out = Vec::new();
            write_cell(&mut out, cell, &style);
            String::from_utf8(out).unwrap()
        };
        let plain = CellStyle::default();
        let calendar = CellStyle {
            calendar: true,
            calendar_end: true,
            ..plain
        };
        assert_eq!(
            render(Cell::Double(0.1 + 0.2), plain),
            "0.30000000000000004"
        );
        assert_eq!(render(Cell::Float(0.1), plain), "0.1");
        assert_eq!(render(Cell::Date(86_400), plain), "86400");
        assert_eq!(
            render(Cell::Date(86_400), calendar),
            r#"{"v":{"s":86400,"e":172799}}"#
        );
        assert_eq!(render(Cell::DateTime(5), calendar), r#"{"v":{"s":5}}"#);
        assert_eq!(
            render(
                Cell::Bool(true),
                CellStyle {
                    bool_as_string: true,
                    ..plain
                }
            ),
            r#""true""#
        );
        assert_eq!(render(Cell::Code("SO-", 7), plain), r#""SO-7""#);
        assert_eq!(render(Cell::Double(f64::NAN), plain), "null");
    }

    #[test]
    fn integers_match_the_standard_formatting() {
        let mut edges = vec![0, i64::MIN, i64::MAX, -1];
        for power in 0..19 {
            let p = 10i64.pow(power);
            edges.extend([p - 1, p, p + 1, -p]);
        }
        for v in edges {
            let mut out = b"x".to_vec();
            write_int(&mut out, v);
            assert_eq!(out, format!("x{v}").into_bytes());
        }
        let mut out = Vec::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string().into_bytes());
    }
}
