//! One pass over a page's JSON with serde, straight into the column decoders: no `serde_json::Value`
//! per cell, no copy of a string that has no escapes. Rows may be COMPACT (arrays, by position) or
//! FULL (objects, by column name, null cells missing), even mixed.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::cells::CellDecoder;
use super::types::{ColumnType, ValueKind};

/// A `columnDetails` entry (9.10+): a result column and its ThoughtSpot type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ColumnDetail {
    pub name: String,
    #[serde(alias = "dataType")]
    pub data_type: String,
}

/// The first value of a column that did not fit its type, with the type that holds every misfit of
/// the page (`None` when no type does).
#[derive(Debug, Clone, PartialEq)]
pub struct FirstMisfit {
    /// 0-based row within the page.
    pub row: u64,
    /// The value as it appeared, shortened for messages.
    pub value: String,
    pub widened: Option<ColumnType>,
}

/// What a pass over a page found besides the cells it handed to the decoders.
#[derive(Debug, Default)]
pub struct PageFacts {
    pub column_names: Option<Vec<String>>,
    pub column_details: Option<Vec<ColumnDetail>>,
    pub rows: usize,
    /// Per column, the first misfit, if any.
    pub misfits: Vec<Option<FirstMisfit>>,
}

/// Column types and FULL-row lookup for a pass.
#[derive(Debug)]
pub struct Columns<'a> {
    pub types: &'a [ColumnType],
    /// `columnNames` entry -> column index, for FULL rows. With duplicate names the later column
    /// wins, as a FULL object keeps the later value (spec §7 Q23).
    pub by_name: &'a HashMap<String, usize>,
}

/// Parses `bytes` into `decoders` (one per column, in order).
pub fn parse<D: CellDecoder>(
    bytes: &[u8],
    columns: &Columns<'_>,
    decoders: &mut [D],
) -> Result<PageFacts, serde_json::Error> {
    let mut state = State {
        decoders,
        types: columns.types,
        by_name: columns.by_name,
        filled: vec![u64::MAX; columns.types.len()],
        row: 0,
        misfits: vec![None; columns.types.len()],
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let (column_names, column_details) =
        PageSeed { state: &mut state }.deserialize(&mut deserializer)?;
    deserializer.end()?;
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

impl<D: CellDecoder> State<'_, D> {
    /// Records that `kind` did not fit `column` and gives the cell a null in its place.
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

struct PageSeed<'s, 'a, D> {
    state: &'s mut State<'a, D>,
}

type Header = (Option<Vec<String>>, Option<Vec<ColumnDetail>>);

impl<'de, C: CellDecoder> DeserializeSeed<'de> for PageSeed<'_, '_, C> {
    type Value = Header;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, C: CellDecoder> Visitor<'de> for PageSeed<'_, '_, C> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a data page: an object with columnNames and data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut names = None;
        let mut details = None;
        let mut saw_data = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "columnNames" | "column_names" => names = Some(map.next_value()?),
                "columnDetails" => details = Some(map.next_value()?),
                "data" | "data_rows" => {
                    map.next_value_seed(RowsSeed { state: self.state })?;
                    saw_data = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_data {
            return Err(de::Error::custom("the page has no \"data\" array"));
        }
        Ok((names, details))
    }
}

struct RowsSeed<'s, 'a, D> {
    state: &'s mut State<'a, D>,
}

impl<'de, C: CellDecoder> DeserializeSeed<'de> for RowsSeed<'_, '_, C> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, C: CellDecoder> Visitor<'de> for RowsSeed<'_, '_, C> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut rows: A) -> Result<(), A::Error> {
        while rows
            .next_element_seed(RowSeed {
                state: &mut *self.state,
            })?
            .is_some()
        {
            self.state.row += 1;
        }
        Ok(())
    }
}

struct RowSeed<'s, 'a, D> {
    state: &'s mut State<'a, D>,
}

impl<'de, C: CellDecoder> DeserializeSeed<'de> for RowSeed<'_, '_, C> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, C: CellDecoder> Visitor<'de> for RowSeed<'_, '_, C> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row: an array of cells (COMPACT) or an object (FULL)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut cells: A) -> Result<(), A::Error> {
        let width = self.state.types.len();
        for column in 0..width {
            let seed = CellSeed {
                state: &mut *self.state,
                column,
            };
            if cells.next_element_seed(seed)?.is_none() {
                return Err(de::Error::custom(format!(
                    "row {} has {column} cells but the page has {width} columns",
                    self.state.row + 1
                )));
            }
        }
        if cells.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(format!(
                "row {} has more cells than the page's {width} columns",
                self.state.row + 1
            )));
        }
        Ok(())
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
        // FULL drops null cells (spec §3.3).
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

impl<D: CellDecoder> CellSeed<'_, '_, D> {
    fn decoder(&mut self) -> &mut D {
        &mut self.state.decoders[self.column]
    }

    fn settle(self, fitted: bool, kind: ValueKind, text: impl FnOnce() -> String) {
        if !fitted {
            self.state.misfit(self.column, kind, text);
        }
    }
}

/// `{"s": start, "e": end}` inside a wrapped date.
#[derive(Deserialize)]
struct Span {
    s: Option<f64>,
}

impl<'de, C: CellDecoder> Visitor<'de> for CellSeed<'_, '_, C> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cell value")
    }

    fn visit_unit<E>(mut self) -> Result<(), E> {
        self.decoder().push_null();
        Ok(())
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<(), E> {
        let fitted = self.decoder().push_bool(v);
        self.settle(fitted, ValueKind::Bool, || v.to_string());
        Ok(())
    }

    fn visit_i64<E>(mut self, v: i64) -> Result<(), E> {
        let fitted = self.decoder().push_int(v);
        self.settle(fitted, ValueKind::Int(v), || v.to_string());
        Ok(())
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => {
                let fitted = self.decoder().push_big_int(v);
                self.settle(fitted, ValueKind::BigInt, || v.to_string());
                Ok(())
            }
        }
    }

    fn visit_f64<E>(mut self, v: f64) -> Result<(), E> {
        let fitted = self.decoder().push_float(v);
        self.settle(fitted, ValueKind::Float(v), || {
            ryu::Buffer::new().format(v).to_string()
        });
        Ok(())
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        let fitted = self.decoder().push_str(v);
        self.settle(fitted, ValueKind::Str, || quoted(v));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut start = None;
        let mut other_keys = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "v" {
                start = map.next_value::<Option<Span>>()?.and_then(|span| span.s);
            } else {
                map.next_value::<IgnoredAny>()?;
                other_keys = true;
            }
        }
        match start {
            Some(s) if !other_keys && s.fract() == 0.0 && s.abs() < 9.2e18 => {
                let start = s as i64;
                let fitted = self.decoder().push_wrapped_date(start);
                self.settle(fitted, ValueKind::WrappedDate, || {
                    format!("{{\"v\":{{\"s\":{start}}}}}")
                });
            }
            _ => self.settle(false, ValueKind::Other, || "an object".to_string()),
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.settle(false, ValueKind::Other, || "an array".to_string());
        Ok(())
    }
}
