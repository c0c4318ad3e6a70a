//! RecordBatch -> Parquet for each codec, one core (and zstd on every core with tsexport's
//! column-parallel writer): the batches of the same Retail Sales pages the
//! decode benchmark reads, encoded into memory with the writer settings an export uses. Reported as
//! MB/s of the JSON the batches came from (so it compares with decoding) and rows/s, with the size
//! of the file. Each file is read back and its row count checked.
//!
//! Run: `cargo bench --bench encode` (ROWS=1000000 by default; REPEAT=3 keeps the best run).

#[path = "pages/mod.rs"]
mod pages;

use std::time::Instant;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tsexport::sink::ParallelParquetWriter;

fn main() {
    let rows = pages::env_u64("ROWS", 1_000_000);
    let repeat = pages::env_u64("REPEAT", 3).max(1);
    let pages = pages::pages(rows);
    let json_bytes: usize = pages.iter().map(Vec::len).sum();
    let batches = decode(&pages);
    println!(
        "encode: {rows} rows x 15 columns ({:.0} MB of JSON) to Parquet in memory, one core, best of {repeat}\n",
        json_bytes as f64 / 1e6
    );
    let codecs = [
        (
            "zstd(1)",
            Compression::ZSTD(ZstdLevel::try_new(1).expect("level")),
        ),
        (
            "zstd(3)",
            Compression::ZSTD(ZstdLevel::try_new(3).expect("level")),
        ),
        ("snappy", Compression::SNAPPY),
        ("lz4", Compression::LZ4_RAW),
        (
            "gzip(6)",
            Compression::GZIP(GzipLevel::try_new(6).expect("level")),
        ),
        ("none", Compression::UNCOMPRESSED),
    ];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = codecs
        .iter()
        .map(|(name, codec)| (name.to_string(), *codec, 1))
        .chain([(
            format!("zstd(3) on {threads} threads (tsexport's writer)"),
            codecs[1].1,
            threads,
        )]);
    for (name, codec, threads) in runs {
        let mut best = f64::MAX;
        let mut size = 0;
        for _ in 0..repeat {
            let start = Instant::now();
            let file = encode(&batches, codec, threads);
            best = best.min(start.elapsed().as_secs_f64());
            size = file.len();
            let read: usize = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file))
                .expect("parquet")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch").num_rows())
                .sum();
            assert_eq!(read as u64, rows, "{name} lost rows");
        }
        println!(
            "{name:<8} {:>7.1} MB/s of JSON {:>6.2} M rows/s  {:>6.1} MB",
            json_bytes as f64 / 1e6 / best,
            rows as f64 / 1e6 / best,
            size as f64 / 1e6
        );
    }
}

fn decode(pages: &[Vec<u8>]) -> Vec<RecordBatch> {
    let decoder = pages::decoder(&pages[0]);
    pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            decoder
                .decode(p, i as u64 * pages::PAGE_ROWS)
                .expect("page")
        })
        .collect()
}

/// One core: parquet's `ArrowWriter`; more: tsexport's writer, which encodes columns in parallel.
fn encode(batches: &[RecordBatch], codec: Compression, threads: usize) -> Vec<u8> {
    let properties = WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_row_count(Some(1024 * 1024))
        .build();
    let schema = batches[0].schema();
    if threads > 1 {
        let mut writer = ParallelParquetWriter::try_new(Vec::new(), schema, properties, threads)
            .expect("writer");
        for batch in batches {
            writer.write(batch).expect("write");
        }
        return writer.into_inner().expect("close");
    }
    let mut writer = ArrowWriter::try_new(Vec::new(), schema, Some(properties)).expect("writer");
    for batch in batches {
        writer.write(batch).expect("write");
    }
    writer.into_inner().expect("close")
}
