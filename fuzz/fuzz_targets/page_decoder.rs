//! Fuzz target: arbitrary bytes into the page decoder's public entry points,
//! `tsexport::decode::first_page` and `PageDecoder::decode`, with schemas of every column type.
//!
//! Properties, for every input:
//! - no panic, no abort (errors are fine);
//! - an `Ok` batch has the page's shape: one column per schema column, as many rows as the page's
//!   `data` array has, and every cell holds the value serde_json reads from the same bytes, under the
//!   type mapping (epoch seconds to Date32/Timestamp/Time, a wrapped date is its start, ...);
//! - the `data` of a page the decoder accepts is JSON that serde_json accepts too, except for raw
//!   control characters in strings and numbers beyond a double, which the decoder allows, and no
//!   page with two `data` arrays is accepted;
//! - widening terminates: re-decoding with the types misfits ask for makes progress, and reaches a
//!   batch, an error, or a misfit no type holds within a few rounds (the export's restart loop).
//!
//! Input layout (the seed corpus in `fuzz/corpus/page_decoder/` is written by
//! `cargo test --test decode_property -- --ignored write_fuzz_seed_corpus`):
//!
//! ```text
//! byte 0  flags: bits 0-1 envelope (0, 3: the rest is the whole page; 1: the rest is the value of
//!         "data"; 2: the rest is the rows, wrapped in "data":[...]), bit 2: types inferred by
//!         first_page (else from the header), bit 3: every column named "c" (duplicates), bit 4:
//!         names from the page's own columnNames when it has them
//! byte 1  time zone (index into ZONES)
//! byte 2  first_row: 0..=249 -> n * 1000, else u64::MAX - (255 - n)
//! byte 3  column count (mod 17)
//! then    one byte per column: its type (see `column_type`)
//! then    the page bytes
//! ```
#![no_main]

use arrow_array::{Array, RecordBatch};
use chrono_tz::Tz;
use decode_values::same_value;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tsexport::decode::{
    first_page, unique_names, ColumnSpec, ColumnType, DecodeError, PageDecoder, TableSchema,
    TypeSource,
};

/// The value checks the property test `tests/it/decode_property.rs` makes too: one copy, so the
/// fuzzer and the test agree on what a decoded cell must hold.
#[path = "../../tests/it/common/decode_values.rs"]
mod decode_values;

/// Half-hour and 45-minute offsets, the date line, and DST that skips midnight (Havana, Santiago).
/// The same list, in the same order, as `tests/decode_property.rs`, which writes the seed corpus.
const ZONES: [Tz; 8] = [
    Tz::UTC,
    Tz::America__Chicago,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Chatham,
    Tz::America__Havana,
    Tz::America__Santiago,
    Tz::Pacific__Kiritimati,
];

/// Precisions and scales of decimal columns, valid ones and the invalid ones a hand-edited manifest
/// could hold (a precision beyond Decimal128's 38, a scale beyond the precision, negative scales).
const PRECISIONS: [u8; 8] = [1, 2, 5, 10, 18, 19, 38, 39];
const SCALES: [i8; 16] = [0, 1, 2, 3, 4, 6, 9, 12, 18, 30, 38, -1, -2, -10, 0, 2];

fn column_type(byte: u8) -> ColumnType {
    match byte & 0x0F {
        0 => ColumnType::Null,
        1 => ColumnType::Boolean,
        2 => ColumnType::Int64,
        3 => ColumnType::Float64,
        4 => ColumnType::Utf8,
        5 => ColumnType::Date,
        6 => ColumnType::Timestamp,
        7 => ColumnType::Time,
        _ => ColumnType::Decimal {
            precision: PRECISIONS[usize::from(byte & 7)],
            scale: SCALES[usize::from(byte >> 4)],
        },
    }
}

struct Input {
    envelope: u8,
    inferred: bool,
    duplicate_names: bool,
    names_from_page: bool,
    zone: Tz,
    first_row: u64,
    types: Vec<ColumnType>,
    page: Vec<u8>,
}

fn read_input(data: &[u8]) -> Option<Input> {
    let (&[flags, zone, first_row, count], rest) = data.split_first_chunk::<4>()?;
    let count = usize::from(count % 17);
    let (types, body) = rest.split_at_checked(count)?;
    let names: Vec<String> = (0..count)
        .map(|i| {
            if flags & 8 != 0 {
                "c".into()
            } else {
                format!("c{i}")
            }
        })
        .collect();
    let envelope = flags & 3;
    let page = match envelope {
        1 | 2 => {
            let mut page =
                serde_json::to_vec(&serde_json::json!({ "columnNames": names })).expect("names");
            page.pop();
            page.extend_from_slice(if envelope == 1 {
                b",\"data\":"
            } else {
                b",\"data\":["
            });
            page.extend_from_slice(body);
            page.extend_from_slice(if envelope == 1 { b"}" } else { b"]}" });
            page
        }
        _ => body.to_vec(),
    };
    Some(Input {
        envelope,
        inferred: flags & 4 != 0,
        duplicate_names: flags & 8 != 0,
        names_from_page: flags & 16 != 0,
        zone: ZONES[usize::from(zone) % ZONES.len()],
        first_row: if first_row < 250 {
            u64::from(first_row) * 1000
        } else {
            u64::MAX - u64::from(255 - first_row)
        },
        types: types.iter().map(|&b| column_type(b)).collect(),
        page,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = read_input(data) else {
        return;
    };
    let mut names: Vec<String> = if input.duplicate_names {
        vec!["c".to_string(); input.types.len()]
    } else {
        (0..input.types.len()).map(|i| format!("c{i}")).collect()
    };
    if input.names_from_page && input.envelope == 0 {
        if let Some(page_names) = value_of(&input.page, &["columnNames", "column_names"])
            .and_then(|v| serde_json::from_slice::<Vec<String>>(v).ok())
        {
            names = page_names;
        }
    }
    let mut types: Vec<ColumnType> = (0..names.len())
        .map(|i| {
            input
                .types
                .get(i % input.types.len().max(1))
                .copied()
                .unwrap_or(ColumnType::Utf8)
        })
        .collect();

    match first_page(&input.page, &names) {
        Ok(first) => {
            assert_eq!(first.inferred.len(), names.len());
            if input.inferred {
                types = first.inferred;
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }

    // The export's restart loop: widen what did not fit and decode again. The lattice is five types
    // high, and every round must widen at least one column.
    let output_names = unique_names(&names);
    for _round in 0..8 {
        let schema = TableSchema {
            columns: names
                .iter()
                .zip(&output_names)
                .zip(&types)
                .map(|((name, output_name), &column_type)| ColumnSpec {
                    name: output_name.clone(),
                    source_name: name.clone(),
                    column_type,
                    type_source: TypeSource::Data,
                })
                .collect(),
            time_zone: input.zone,
        };
        let decoder = PageDecoder::new(schema);
        match decoder.decode(&input.page, input.first_row) {
            Ok(batch) => {
                check_batch(&input, &names, &batch);
                return;
            }
            Err(DecodeError::Misfits { misfits }) => {
                assert!(!misfits.is_empty());
                for misfit in &misfits {
                    let _ = misfit.to_string();
                    let column = output_names
                        .iter()
                        .position(|n| *n == misfit.column)
                        .expect("a misfit names a column of the schema");
                    assert_eq!(misfit.column_type, types[column]);
                    assert_ne!(
                        misfit.widened,
                        Some(misfit.column_type),
                        "widening must change the type: {misfit}"
                    );
                    match misfit.widened {
                        Some(wider) => types[column] = wider,
                        None => return,
                    }
                }
            }
            Err(error) => {
                let _ = error.to_string();
                return;
            }
        }
    }
    panic!("widening did not settle in 8 rounds: {types:?}");
});

/// The bytes of the last top-level value under one of `keys`, found as the decoder finds it.
fn value_of<'p>(page: &'p [u8], keys: &[&str]) -> Option<&'p [u8]> {
    let entries = tsexport::json::top_level(page).ok()?;
    let (_, range) = entries
        .iter()
        .rev()
        .find(|(k, _)| keys.contains(&k.as_str()))?;
    Some(&page[range.clone()])
}

/// Checks an `Ok` batch against what serde_json reads from the page's `data`.
fn check_batch(input: &Input, names: &[String], batch: &RecordBatch) {
    assert_eq!(batch.num_columns(), names.len());
    for column in batch.columns() {
        assert_eq!(column.len(), batch.num_rows());
    }
    let entries = tsexport::json::top_level(&input.page).expect("the decoder walked this page");
    let data_keys = entries
        .iter()
        .filter(|(k, _)| k == "data" || k == "data_rows")
        .count();
    assert_eq!(
        data_keys, 1,
        "the decoder accepted a page with {data_keys} data arrays"
    );
    let data = value_of(&input.page, &["data", "data_rows"]).expect("data");
    // The decoder reads `data` (only: other values are skipped, not validated) as strictly as
    // serde_json, except for raw control characters in strings and numbers beyond a double (it keeps
    // their digits as text), and serde_json's nesting limit counts from `data`, the decoder's from
    // the cell.
    let rows = match serde_json::from_slice::<Value>(data) {
        Ok(Value::Null) => {
            assert_eq!(batch.num_rows(), 0, "\"data\":null gave rows");
            return;
        }
        Ok(Value::Array(rows)) => rows,
        Ok(other) => panic!("the decoder accepted \"data\": {other}"),
        Err(error) => {
            let allowed = [
                "control character",
                "number out of range",
                "recursion limit",
            ];
            let message = error.to_string();
            assert!(
                allowed.iter().any(|a| message.contains(a)),
                "the decoder accepted a \"data\" value serde_json rejects: {message}"
            );
            return;
        }
    };
    assert_eq!(
        batch.num_rows(),
        rows.len(),
        "rows in the batch vs the page"
    );
    for (r, row) in rows.iter().enumerate() {
        for (c, name) in names.iter().enumerate() {
            let cell = match row {
                Value::Array(cells) => cells.get(c).unwrap_or(&Value::Null),
                // FULL rows: a missing key is a null; with duplicate names the key is the last
                // column's (spec Q23), and the earlier ones are null.
                Value::Object(_) if names[c + 1..].contains(name) => &Value::Null,
                Value::Object(cells) => cells.get(name).unwrap_or(&Value::Null),
                other => panic!("the decoder accepted a row that is {other}"),
            };
            assert!(
                same_value(cell, batch.column(c).as_ref(), r, input.zone),
                "row {r} column {c}: the page has {cell} but the batch has {:?}",
                arrow_cast_display(batch.column(c).as_ref(), r)
            );
        }
    }
}

fn arrow_cast_display(array: &dyn Array, row: usize) -> String {
    format!("{:?}", array.slice(row, 1))
}
