//! Page bytes -> Arrow, one core, on the same 100,000-row Retail Sales pages for every decoder:
//!
//! 1. `tsexport`: the crate's decoder (one serde pass straight into Arrow builders), with the schema an
//!    export resolves from ThoughtSpot's metadata (Date32, Timestamp in the cluster zone, ...).
//! 2. `arrow-json`: arrow-json's reader with `StructMode::ListOnly` on the rows, with the schema it can
//!    read (dates and times stay epoch integers: it has no notion of ThoughtSpot's encodings). The
//!    rows are cut out of each page beforehand, outside the timing.
//! 3. `serde_json::Value`: each page parsed to a `Value`, then appended to Arrow builders cell by cell:
//!    what a first implementation usually does.
//!
//! Every decoder must produce the same row count and the same sum of `Order Line ID`, or the run
//! fails: a fast wrong answer is not a result.
//!
//! Run: `cargo bench --bench decode` (ROWS=1000000 by default; REPEAT=5 by default: the decoders take
//! turns and each keeps its best run).

#[path = "pages/mod.rs"]
mod pages;

use std::sync::Arc;
use std::time::Instant;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

fn main() {
    let rows = pages::env_u64("ROWS", 1_000_000);
    let repeat = pages::env_u64("REPEAT", 5).max(1);
    let pages = pages::pages(rows);
    let bytes: usize = pages.iter().map(Vec::len).sum();
    println!(
        "decode: {rows} rows x 15 columns in {} pages, {:.0} MB of JSON, one core, best of {repeat}\n",
        pages.len(),
        bytes as f64 / 1e6
    );

    let decoder = pages::decoder(&pages[0]);
    let wire_schema = wire_schema(&decoder.arrow_schema());

    let tsexport = || -> Vec<RecordBatch> {
        pages
            .iter()
            .enumerate()
            .map(|(i, page)| {
                decoder
                    .decode(page, i as u64 * pages::PAGE_ROWS)
                    .expect("tsexport decodes")
            })
            .collect()
    };
    // PROFILE=1 measures tsexport's decoder alone, for perf.
    if std::env::var_os("PROFILE").is_some() {
        measure(&mut [("tsexport", &tsexport)], repeat, bytes);
        return;
    }
    let rows_only: Vec<Vec<u8>> = pages.iter().map(|p| rows_of(p)).collect();
    let arrow_json = || -> Vec<RecordBatch> {
        rows_only
            .iter()
            .flat_map(|rows| arrow_json_decode(&wire_schema, rows))
            .collect()
    };
    let serde_value = || -> Vec<RecordBatch> {
        pages
            .iter()
            .map(|page| value_decode(&wire_schema, page))
            .collect()
    };
    let results = measure(
        &mut [
            ("tsexport", &tsexport),
            ("arrow-json", &arrow_json),
            ("serde Value", &serde_value),
        ],
        repeat,
        bytes,
    );

    let (_, tsexport_secs, checksum) = results[0];
    println!();
    for (name, secs, sum) in &results {
        assert_eq!(*sum, checksum, "{name} decoded other values than tsexport");
        println!(
            "{name:<12} {:>7.1} MB/s {:>6.2} M rows/s  tsexport is {:.2}x",
            bytes as f64 / 1e6 / secs,
            rows as f64 / 1e6 / secs,
            secs / tsexport_secs
        );
    }
}

type Decode<'a> = &'a dyn Fn() -> Vec<RecordBatch>;

/// Runs every decoder `repeat` times, in turns (so a slow spell of a shared machine hits them all
/// alike); per decoder, the best time and (rows, sum of the first column) as a checksum.
fn measure(
    decoders: &mut [(&'static str, Decode<'_>)],
    repeat: u64,
    bytes: usize,
) -> Vec<(&'static str, f64, (usize, i64))> {
    let mut results: Vec<_> = decoders
        .iter()
        .map(|(name, _)| (*name, f64::MAX, (0, 0)))
        .collect();
    for _ in 0..repeat {
        for ((_, decode), (_, best, checksum)) in decoders.iter().zip(&mut results) {
            let start = Instant::now();
            let batches = decode();
            *best = best.min(start.elapsed().as_secs_f64());
            *checksum = batches.iter().fold((0, 0), |(rows, sum), b| {
                let keys = b.column(0).as_primitive::<Int64Type>();
                (rows + b.num_rows(), sum + keys.values().iter().sum::<i64>())
            });
        }
    }
    for (name, best, _) in &results {
        println!(
            "{name:<12} {best:.3} s ({:.1} MB/s)",
            bytes as f64 / 1e6 / best
        );
    }
    results
}

/// The same columns with the types a generic JSON reader can fill: temporal columns as integers.
fn wire_schema(schema: &Schema) -> Arc<Schema> {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let data_type = match f.data_type() {
                DataType::Date32 | DataType::Timestamp(_, _) | DataType::Time64(_) => {
                    DataType::Int64
                }
                other => other.clone(),
            };
            Field::new(f.name(), data_type, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// The rows of a page, one JSON array per line, for arrow-json.
fn rows_of(page: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(page).expect("page");
    let mut out = Vec::with_capacity(page.len());
    for row in value["data"].as_array().expect("data") {
        serde_json::to_writer(&mut out, row).expect("row");
        out.push(b'\n');
    }
    out
}

fn arrow_json_decode(schema: &Arc<Schema>, rows: &[u8]) -> Vec<RecordBatch> {
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(pages::PAGE_ROWS as usize)
        .with_struct_mode(arrow_json::StructMode::ListOnly)
        .build_decoder()
        .expect("decoder");
    let mut batches = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let used = decoder.decode(rest).expect("arrow-json decodes");
        rest = &rest[used..];
        if let Some(batch) = decoder.flush().expect("flush") {
            batches.push(batch);
        }
    }
    if let Some(batch) = decoder.flush().expect("flush") {
        batches.push(batch);
    }
    batches
}

/// `serde_json::Value` for the page, then builders cell by cell.
fn value_decode(schema: &Arc<Schema>, page: &[u8]) -> RecordBatch {
    let value: serde_json::Value = serde_json::from_slice(page).expect("page");
    let rows = value["data"].as_array().expect("data");
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(c, field)| -> ArrayRef {
            let cells = rows.iter().map(|r| &r[c]);
            match field.data_type() {
                DataType::Int64 => {
                    let mut b = Int64Builder::with_capacity(rows.len());
                    cells.for_each(|v| b.append_option(v.as_i64()));
                    Arc::new(b.finish())
                }
                DataType::Float64 => {
                    let mut b = Float64Builder::with_capacity(rows.len());
                    cells.for_each(|v| b.append_option(v.as_f64()));
                    Arc::new(b.finish())
                }
                DataType::Boolean => {
                    let mut b = BooleanBuilder::with_capacity(rows.len());
                    cells.for_each(|v| b.append_option(v.as_bool()));
                    Arc::new(b.finish())
                }
                _ => {
                    let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 16);
                    cells.for_each(|v| b.append_option(v.as_str()));
                    Arc::new(b.finish())
                }
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns).expect("batch")
}
