//! The data every benchmark reads: the emulator's Retail Sales rows (15 columns of every type, with
//! nulls) rendered as 100,000-row searchdata pages, in files under `target/bench-data/ROWS/`.
//! `benches/compare.sh` writes the same files for the peers; whoever comes first renders them and
//! the rest read them, so every tool decodes the very same bytes.
#![allow(dead_code)] // each benchmark uses a part

use std::path::PathBuf;

use tsexport::decode::{first_page, resolve, ColumnMetadata, PageDecoder};
use tsexport_emulator::data::{DataSets, Table};
use tsexport_emulator::profile::FullDuplicates;
use tsexport_emulator::render::{
    data_block, BlockOptions, BodyStream, CellStyle, Counters, Format, RowRange,
};
use tsexport_emulator::search;

/// Every column of Retail Sales, sorted by its key, as users page it.
pub const QUERY: &str = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] \
    [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] \
    sort by [Order Line ID]";

pub const PAGE_ROWS: u64 = 100_000;

pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn folder(rows: u64) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target)
        .join("bench-data")
        .join(rows.to_string())
}

/// The pages of a `rows`-row result, from files, rendered first if they are not there yet.
pub fn pages(rows: u64) -> Vec<Vec<u8>> {
    let dir = folder(rows);
    let count = rows.div_ceil(PAGE_ROWS);
    let path = |i: u64| dir.join(format!("page-{i:04}.json"));
    if !(0..count).all(|i| path(i).exists()) {
        std::fs::create_dir_all(&dir).expect("bench data folder");
        for (i, page) in render(rows).into_iter().enumerate() {
            std::fs::write(path(i as u64), page).expect("write page");
        }
    }
    (0..count)
        .map(|i| std::fs::read(path(i)).expect("read page"))
        .collect()
}

/// The pages as the emulator serves them, rendered in-process with its own parts.
fn render(rows: u64) -> Vec<Vec<u8>> {
    let mut pages = Vec::new();
    render_each(QUERY, rows, PAGE_ROWS, |page| pages.push(page));
    pages
}

/// Renders the `page_rows`-row pages of `query` over `rows` rows of Retail Sales, handing each to
/// `each` as the emulator would serve it (COMPACT, no HTTP).
pub fn render_each(query: &str, rows: u64, page_rows: u64, mut each: impl FnMut(Vec<u8>)) {
    use std::sync::Arc;
    let data = DataSets::new(42, rows, chrono_tz::America::Chicago);
    let table: Arc<dyn Table> = data.retail.clone();
    let query = search::parse(query, table.as_ref()).expect("query");
    let result = Arc::new(search::execute(table, &query, &[]).expect("result"));
    let mut offset = 0;
    while offset < rows {
        let end = (offset + page_rows).min(rows);
        let range = RowRange::new(
            result.clone(),
            offset,
            end,
            Format::Compact,
            CellStyle::default(),
            FullDuplicates::LastWins,
        );
        let counters = Counters {
            sampling_ratio: 1.0,
            total_row_count: rows,
            row_count: end - offset,
            page_size: page_rows as i64,
            offset: offset as i64,
        };
        let options = BlockOptions {
            name: None,
            column_details: false,
        };
        each(BodyStream::new(data_block(range, counters, &options)).render_all());
        offset = end;
    }
}

/// The decoder an export would build: the schema from the first page and Retail Sales' metadata.
pub fn decoder(first: &[u8]) -> PageDecoder {
    let names: Vec<String> = serde_json::from_slice::<serde_json::Value>(first).expect("page")
        ["columnNames"]
        .as_array()
        .expect("columnNames")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect();
    let facts = first_page(first, &names).expect("first page");
    let metadata: Vec<ColumnMetadata> = [
        ("Order Date", "DATE"),
        ("Ship Time", "DATE_TIME"),
        ("Order Time", "TIME"),
        ("Loyalty Points", "INT64"),
    ]
    .iter()
    .map(|(name, data_type)| ColumnMetadata {
        name: name.to_string(),
        data_type: data_type.to_string(),
    })
    .collect();
    let schema = resolve(
        &names,
        &[],
        &facts.details,
        &metadata,
        &facts.inferred,
        chrono_tz::America::Chicago,
    )
    .expect("schema");
    PageDecoder::new(schema)
}
