//! Property: any page the emulator can produce decodes to exactly its values.
//!
//! Each case draws, from a seeded generator, a data set (rows, seed, cluster time zone), a search over
//! it (columns, aggregations, date buckets, filters, sort, top N), a wire profile (COMPACT or FULL
//! rows, wrapped dates with or without an end, wrapped DATE_TIMEs, BOOL cells as strings, lower-cased
//! text, duplicate keys, `columnDetails`, a pinboard viz `name` first or last) and a page (size and
//! offset, past the end included). The page is rendered by the emulator's own renderer, in process,
//! exactly as it serves it; its schema is resolved the way an export does (inference from the page,
//! ThoughtSpot's metadata or `columnDetails`, sometimes a hint), and a value that does not fit widens
//! its column and the page is decoded again, as the export's restart does. Then every cell of the
//! batch must hold what serde_json reads from the same bytes, under the type mapping: DATE epoch
//! seconds are the local midnight of the Date32 day in the cluster's zone, DATE_TIME seconds are the
//! Timestamp's microseconds, TIME seconds the Time64's, `{"v":{"s":..}}` is its start.
//!
//! A dozen fixed cases cover corners a random draw reaches rarely. `DECODE_PROPERTY_CASES` (default
//! 1500) and `DECODE_PROPERTY_SEED` change the random run; a failure prints the case's settings and
//! how to replay it (`DECODE_PROPERTY_SEED=<seed> DECODE_PROPERTY_CASES=1`, which skips the fixed
//! cases).
//!
//! The same file writes the fuzz target's seed corpus (`fuzz/corpus/page_decoder/`) from emulator
//! pages: `cargo test --test it decode_property -- --ignored write_fuzz_seed_corpus`.

use std::sync::Arc;

use crate::common::decode_values::same_value;
use arrow_array::{Array, RecordBatch};
use chrono_tz::Tz;
use serde_json::Value;
use tsexport::decode::{
    first_page, resolve, ColumnMetadata, ColumnType, DecodeError, PageDecoder, TableSchema,
    TypeHint, TypeSource,
};
use tsexport_emulator::data::{DataSets, DataType, Table};
use tsexport_emulator::profile::Profile;
use tsexport_emulator::render::{
    data_block, BlockOptions, BodyStream, CellStyle, Counters, Format, RowRange,
};
use tsexport_emulator::rng::SplitMix64;
use tsexport_emulator::search;

/// Zones with half-hour and 45-minute offsets, the date line, and midnights that DST skips
/// (Havana, Santiago: those days start at 01:00). The fuzz target has the same list in the same
/// order: the seed corpus names a zone by its index.
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

struct Rng(SplitMix64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n.max(1)
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One generated case: everything needed to render its page and to say what it was.
#[derive(Debug)]
struct Case {
    seed: u64,
    rows: u64,
    zone: Tz,
    table: &'static str,
    query: String,
    overrides: Vec<&'static str>,
    calendar: bool,
    format: Format,
    offset: Offset,
    page_size: u64,
    name: Option<(String, bool)>,
    column_details: bool,
    types_from: TypesFrom,
    hint_string: Option<usize>,
}

/// Where a page starts, resolved against the result's size when it is rendered.
#[derive(Debug, Clone, Copy)]
enum Offset {
    At(u64),
    /// This many rows before the end (a last page cut short).
    BeforeEnd(u64),
    /// This many rows past the end (an empty page).
    PastEnd(u64),
    /// A random row, from the draw `n`.
    Anywhere(u64),
}

impl Offset {
    fn resolve(self, total: u64) -> u64 {
        match self {
            Offset::At(n) => n,
            Offset::BeforeEnd(n) => total.saturating_sub(n),
            Offset::PastEnd(n) => total + n,
            Offset::Anywhere(n) => n % (total + 1),
        }
    }
}

/// Where the schema's types come from, as an export would get them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TypesFrom {
    /// Inference from the page alone (no metadata call).
    Page,
    /// `metadata/details` of the data source.
    Metadata,
}

/// A search over `table` from random columns, aggregations, buckets, filters, sort and limit.
fn query_for(rng: &mut Rng, table: &dyn Table) -> String {
    let columns: Vec<_> = table.columns().iter().filter(|c| !c.hidden).collect();
    let mut parts = Vec::new();
    // Naming the key gives one row per table row; without it, measures aggregate over the attributes.
    let row_level = rng.chance(2);
    if row_level {
        if let Some(key) = table.key_column() {
            parts.push(format!("[{}]", table.columns()[key].name));
        }
    }
    for _ in 0..1 + rng.below(6) {
        let column = *rng.pick(&columns);
        let name = column.name;
        let temporal = matches!(column.data_type, DataType::Date | DataType::DateTime);
        parts.push(match rng.below(8) {
            0 if temporal => format!(
                "[{name}].{}",
                rng.pick(&["daily", "weekly", "monthly", "quarterly", "yearly"])
            ),
            1 => format!(
                "{} [{name}]",
                rng.pick(&["sum", "average", "min", "max", "count"])
            ),
            _ => format!("[{name}]"),
        });
    }
    if rng.chance(4) {
        parts.push(
            match table.name() {
                "Retail Sales" => *rng.pick(&[
                    "[Region] = 'West'",
                    "[Quantity] > 10",
                    "[Is Returned] = true",
                    "[Sales] <= 500",
                ]),
                _ => *rng.pick(&["[Region] != 'East'", "[Square Feet] >= 20000"]),
            }
            .to_string(),
        );
    }
    if rng.chance(2) {
        let column = *rng.pick(&columns);
        parts.push(format!(
            "sort by [{}]{}",
            column.name,
            rng.pick(&["", " descending", " ascending"])
        ));
    }
    if rng.chance(5) {
        parts.push(format!(
            "{} {}",
            rng.pick(&["top", "bottom"]),
            1 + rng.below(50)
        ));
    }
    parts.join(" ")
}

fn generate(seed: u64) -> Case {
    let mut rng = Rng(SplitMix64::new(seed));
    let table = if rng.chance(5) {
        "Stores"
    } else {
        "Retail Sales"
    };
    // Mostly small results (aggregation and sorting compute the whole result); now and then one past
    // the 150,000 rows where "Loyalty Points" starts to have values.
    let rows: u64 = *rng.pick(&[0, 1, 2, 10, 97, 500, 3_000, 3_000, 20_000, 150_010]);
    let zone = *rng.pick(&ZONES);
    let data = DataSets::new(rng.below(1000), 1, zone);
    let tables = data.tables();
    let t = tables
        .iter()
        .find(|t| t.name() == table)
        .expect("table")
        .as_ref();
    let mut query = query_for(&mut rng, t);
    if rows > 20_000 && table == "Retail Sales" {
        // Row-level, in table order: the lazy plain range the emulator pages without computing.
        let key = t.columns()[t.key_column().expect("key")].name;
        query = format!("[{key}] [Loyalty Points] [Order Date] [Customer] sort by [{key}]");
    }
    let mut overrides = Vec::new();
    for (setting, one_in) in [
        ("bool_cells=string", 3),
        ("calendar_end=true", 2),
        ("datetime_wrapped=true", 3),
        ("lowercase_text=true", 4),
        ("full_duplicates=keep_both", 3),
        ("column_details=true", 2),
    ] {
        if rng.chance(one_in) {
            overrides.push(setting);
        }
    }
    let calendar = rng.chance(3);
    let format = if rng.chance(3) {
        Format::Full
    } else {
        Format::Compact
    };
    let page_size: u64 = *rng.pick(&[1, 2, 7, 100, 1000, 3000]);
    let offset = match rng.below(10) {
        0 => Offset::At(0),
        1 => Offset::PastEnd(rng.below(3)),
        2 | 3 => Offset::BeforeEnd(1 + rng.below(page_size)),
        _ => Offset::Anywhere(rng.next()),
    };
    let name = rng.chance(4).then(|| {
        (
            rng.pick(&["Sales by \"Region\"", "Ünïcödé \\ viz", "plain"])
                .to_string(),
            rng.chance(2),
        )
    });
    let types_from = if rng.chance(3) {
        TypesFrom::Page
    } else {
        TypesFrom::Metadata
    };
    Case {
        seed: rng.below(1000),
        rows,
        zone,
        table,
        query,
        overrides,
        calendar,
        format,
        offset,
        page_size,
        name,
        column_details: rng.chance(2),
        types_from,
        hint_string: rng.chance(6).then(|| rng.below(8) as usize),
    }
}

/// The page the emulator serves for `case`, the data source's `metadata/details` types and the
/// page's first row; `None` when the generated search is one the emulator rejects.
fn render(case: &Case) -> Option<(Vec<u8>, Vec<ColumnMetadata>, u64)> {
    let profile = Profile::v2021()
        .with_overrides(case.overrides.iter().copied())
        .expect("profile");
    let data = DataSets::new(case.seed, case.rows, case.zone);
    let table: Arc<dyn Table> = data
        .tables()
        .into_iter()
        .find(|t| t.name() == case.table)
        .expect("table");
    let metadata = table
        .columns()
        .iter()
        .map(|c| ColumnMetadata {
            name: c.name.to_string(),
            data_type: c.data_type.as_str().to_string(),
        })
        .collect();
    let query = search::parse(&case.query, table.as_ref()).ok()?;
    let result = Arc::new(search::execute(table, &query, &[]).ok()?);
    let total = result.len();
    let offset = case.offset.resolve(total);
    let end = offset.saturating_add(case.page_size).min(total);
    let rows = RowRange::new(
        result,
        offset,
        end,
        case.format,
        CellStyle::new(&profile, case.calendar),
        profile.full_duplicates,
    );
    let counters = Counters {
        sampling_ratio: 1.0,
        total_row_count: total,
        row_count: end.saturating_sub(offset),
        page_size: case.page_size as i64,
        offset: offset as i64,
    };
    let options = BlockOptions {
        name: case.name.as_ref().map(|(n, first)| (n.as_str(), *first)),
        column_details: profile.column_details && case.column_details,
    };
    let page = BodyStream::new(data_block(rows, counters, &options)).render_all();
    Some((page, metadata, offset))
}

/// What the page's schema would be in an export: hints, then `columnDetails` or metadata, then
/// inference from the page.
fn schema_for(
    case: &Case,
    page: &[u8],
    names: &[String],
    metadata: &[ColumnMetadata],
) -> Result<TableSchema, DecodeError> {
    let first = first_page(page, names)?;
    let hints: Vec<TypeHint> = case
        .hint_string
        .filter(|&i| i < names.len())
        .map(|i| TypeHint {
            column: names[i].clone(),
            column_type: ColumnType::Utf8,
        })
        .into_iter()
        .collect();
    let (details, metadata) = match case.types_from {
        TypesFrom::Page => (&[][..], &[][..]),
        TypesFrom::Metadata => (&first.details[..], metadata),
    };
    Ok(resolve(names, &hints, details, metadata, &first.inferred, case.zone).expect("schema"))
}

/// Decodes `page` as an export would: a value that does not fit widens its column, then the page
/// is decoded again. Returns the batch and the widenings, as `column: from -> to`.
fn decode(
    mut schema: TableSchema,
    page: &[u8],
    first_row: u64,
) -> Result<(RecordBatch, Vec<String>), DecodeError> {
    let mut widenings = Vec::new();
    for _ in 0..6 {
        match PageDecoder::new(schema.clone()).decode(page, first_row) {
            Ok(batch) => return Ok((batch, widenings)),
            Err(DecodeError::Misfits { misfits }) => {
                for misfit in &misfits {
                    let wider = match (misfit.type_source, misfit.widened) {
                        (TypeSource::Hint, _) | (_, None) => {
                            return Err(DecodeError::Misfits { misfits })
                        }
                        (_, Some(wider)) => wider,
                    };
                    let column = schema
                        .columns
                        .iter_mut()
                        .find(|c| c.name == misfit.column)
                        .expect("misfit column");
                    assert_ne!(column.column_type, wider, "widening must change the type");
                    widenings.push(format!(
                        "{}: {} -> {wider}",
                        column.name, column.column_type
                    ));
                    column.column_type = wider;
                }
            }
            Err(other) => return Err(other),
        }
    }
    panic!("widening did not settle");
}

/// Cases every run checks, whatever the seed: the corners a random draw reaches rarely.
fn fixed_cases() -> Vec<Case> {
    let case = |table: &'static str, query: &str, rows: u64, zone: Tz| Case {
        seed: 42,
        rows,
        zone,
        table,
        query: query.to_string(),
        overrides: Vec::new(),
        calendar: false,
        format: Format::Compact,
        offset: Offset::At(0),
        page_size: 5000,
        name: None,
        column_details: true,
        types_from: TypesFrom::Metadata,
        hint_string: None,
    };
    let all = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] \
        [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] \
        [Loyalty Points] sort by [Order Line ID]";
    vec![
        // Every day of the data in zones whose DST skips midnight (Havana, Santiago) or repeats it.
        case(
            "Retail Sales",
            "[Order Date].daily count [Order Line ID]",
            20_000,
            Tz::America__Havana,
        ),
        case(
            "Retail Sales",
            "[Order Date].daily sum [Sales]",
            20_000,
            Tz::America__Santiago,
        ),
        Case {
            calendar: true,
            overrides: vec!["calendar_end=true"],
            ..case(
                "Retail Sales",
                "[Order Date].weekly [Ship Time].monthly",
                20_000,
                Tz::America__Havana,
            )
        },
        // Row 9,999 holds an integer beyond doubles; read with metadata, and inferred from the page.
        Case {
            offset: Offset::At(9_990),
            page_size: 20,
            ..case("Retail Sales", all, 10_000, Tz::America__Chicago)
        },
        Case {
            offset: Offset::At(9_990),
            page_size: 20,
            types_from: TypesFrom::Page,
            format: Format::Full,
            ..case("Retail Sales", all, 10_000, Tz::America__Chicago)
        },
        // "Loyalty Points" turns from always null to set on this page.
        Case {
            offset: Offset::At(149_990),
            page_size: 40,
            types_from: TypesFrom::Page,
            ..case("Retail Sales", all, 150_010, Tz::UTC)
        },
        // FULL rows whose keys repeat: refused, never guessed.
        Case {
            format: Format::Full,
            overrides: vec!["full_duplicates=keep_both"],
            ..case(
                "Retail Sales",
                "[Region] [Quantity] sum [Quantity]",
                500,
                Tz::UTC,
            )
        },
        Case {
            format: Format::Full,
            ..case(
                "Retail Sales",
                "[Region] [Quantity] sum [Quantity]",
                500,
                Tz::UTC,
            )
        },
        // Aggregates of dates (the emulator serves an average DATE_TIME as a DATE_TIME).
        Case {
            calendar: true,
            overrides: vec!["datetime_wrapped=true"],
            ..case(
                "Retail Sales",
                "[Region] average [Ship Time] max [Order Date] min [Order Time]",
                3_000,
                Tz::Asia__Kolkata,
            )
        },
        // Every wire variant at once, as a pinboard viz.
        Case {
            calendar: true,
            overrides: vec![
                "bool_cells=string",
                "calendar_end=true",
                "datetime_wrapped=true",
                "lowercase_text=true",
                "column_details=true",
            ],
            name: Some(("Sales by \"Region\" \\ Ünïcödé".into(), false)),
            format: Format::Full,
            ..case("Retail Sales", all, 3_000, Tz::Pacific__Chatham)
        },
        case(
            "Stores",
            "[Store Name] [Opened] [Square Feet] [City]",
            1,
            Tz::Pacific__Kiritimati,
        ),
    ]
}

#[test]
fn every_emulator_page_decodes_to_exactly_its_values() {
    let cases: u64 = env_or("DECODE_PROPERTY_CASES", 1500);
    let base: u64 = env_or("DECODE_PROPERTY_SEED", 0x7E57_DA7A);
    let replay = std::env::var_os("DECODE_PROPERTY_SEED").is_some();
    let fixed = if replay { Vec::new() } else { fixed_cases() };
    let random = (0..cases).map(|i| {
        let seed = base.wrapping_add(i);
        (
            format!("DECODE_PROPERTY_SEED={seed} DECODE_PROPERTY_CASES=1"),
            generate(seed),
        )
    });
    let all = fixed
        .into_iter()
        .enumerate()
        .map(|(i, case)| (format!("fixed case {i}"), case))
        .chain(random);
    let (mut checked, mut empty, mut rejected_queries, mut cells, mut duplicate_errors) =
        (0, 0, 0, 0usize, 0);
    let mut widenings = std::collections::BTreeMap::<String, usize>::new();
    for (label, case) in all {
        let Some((page, metadata, first_row)) = render(&case) else {
            rejected_queries += 1;
            continue;
        };
        let context = || {
            format!(
                "{label}: {case:?}\npage: {}",
                String::from_utf8_lossy(&page[..page.len().min(2000)])
            )
        };
        let json: Value =
            serde_json::from_slice(&page).unwrap_or_else(|e| panic!("{e}: {}", context()));
        let names: Vec<String> =
            serde_json::from_value(json["columnNames"].clone()).expect("names");
        let rows = json["data"].as_array().expect("data");
        let full_duplicates = case.format == Format::Full
            && case.overrides.contains(&"full_duplicates=keep_both")
            && (1..names.len()).any(|i| names[..i].contains(&names[i]));
        let decoded = schema_for(&case, &page, &names, &metadata)
            .and_then(|schema| decode(schema, &page, first_row));
        let (batch, widened) = match decoded {
            Ok(decoded) => decoded,
            // FULL rows that name a column twice cannot say which column each key is: an error,
            // never a guess.
            Err(DecodeError::Malformed { reason, .. })
                if full_duplicates
                    && reason.contains("names a column twice")
                    && !rows.is_empty() =>
            {
                duplicate_errors += 1;
                continue;
            }
            Err(error) => panic!("{error}\n{}", context()),
        };
        assert!(
            !full_duplicates || rows.is_empty(),
            "FULL rows with duplicate keys decoded\n{}",
            context()
        );
        for w in widened {
            // Types inferred from the page hold all of it; metadata types hold every value but the
            // emulator's sums and averages of non-numeric columns ("Total Order Date" is a sum of
            // epoch seconds, "Average Customer" a name), which ThoughtSpot does not offer: they
            // widen, as an export would.
            let non_numeric_aggregate = ["Total ", "Average "].iter().any(|prefix| {
                let source = w.split(':').next().and_then(|n| n.strip_prefix(prefix));
                metadata.iter().any(|m| {
                    Some(m.name.as_str()) == source
                        && !["INT32", "INT64", "FLOAT", "DOUBLE"].contains(&m.data_type.as_str())
                })
            });
            assert!(
                case.types_from == TypesFrom::Metadata && non_numeric_aggregate,
                "a widening where none is due: {w}\n{}",
                context()
            );
            *widenings.entry(w).or_default() += 1;
        }
        assert_eq!(batch.num_rows(), rows.len(), "rows\n{}", context());
        assert_eq!(batch.num_columns(), names.len(), "columns\n{}", context());
        for (r, row) in rows.iter().enumerate() {
            for (c, name) in names.iter().enumerate() {
                let cell = match row {
                    Value::Array(cells) => &cells[c],
                    // A FULL key belongs to the last column of that name (spec Q23).
                    Value::Object(_) if names[c + 1..].contains(name) => &Value::Null,
                    Value::Object(cells) => cells.get(name).unwrap_or(&Value::Null),
                    other => panic!("row {other}\n{}", context()),
                };
                let column = batch.column(c);
                assert!(
                    same_value(cell, column.as_ref(), r, case.zone),
                    "row {r} column '{name}' ({}): the page has {cell} but the batch has {:?}\n{}",
                    column.data_type(),
                    column.slice(r, 1),
                    context()
                );
                cells += 1;
            }
        }
        checked += 1;
        empty += usize::from(rows.is_empty());
    }
    println!(
        "{checked} pages ({empty} empty), {cells} cells checked; {rejected_queries} generated searches rejected by the \
         emulator; {duplicate_errors} FULL pages with duplicate keys refused; widenings: {widenings:#?}"
    );
    assert!(
        checked * 4 >= cases * 3,
        "too many generated searches were rejected: {rejected_queries} of {cases}"
    );
    if !replay {
        assert!(
            duplicate_errors > 0,
            "the FULL duplicate-key case was not reached"
        );
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fuzz target's type byte for a column type (see `fuzz/fuzz_targets/page_decoder.rs`).
fn fuzz_type_byte(column_type: ColumnType) -> u8 {
    match column_type {
        ColumnType::Null => 0,
        ColumnType::Boolean => 1,
        ColumnType::Int64 => 2,
        ColumnType::Float64 => 3,
        ColumnType::Utf8 => 4,
        ColumnType::Date => 5,
        ColumnType::Timestamp => 6,
        ColumnType::Time => 7,
        // decimal(18,2), the one decimal the seeds use.
        ColumnType::Decimal { .. } => 0x2C,
    }
}

/// A fuzz input: the header (flags, zone, first row, column types) and the page.
fn fuzz_input(flags: u8, zone: u8, types: &[u8], page: &[u8]) -> Vec<u8> {
    let mut input = vec![flags, zone, 0, types.len() as u8];
    input.extend_from_slice(types);
    input.extend_from_slice(page);
    input
}

/// Writes the fuzz target's seed corpus: small emulator pages in every wire variant, with the types an
/// export would resolve for them, and hand-written edge cases. Run it after changing the emulator's
/// rendering or the fuzz input layout; it replaces the `emulator-*` and `edge-*` files.
#[test]
#[ignore = "writes fuzz/corpus/page_decoder; run by hand"]
fn write_fuzz_seed_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/page_decoder");
    std::fs::create_dir_all(&dir).expect("corpus folder");
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("emulator-") || name.starts_with("edge-") {
            std::fs::remove_file(&path).expect("remove old seed");
        }
    }
    // Emulator pages: a few rows each, one per wire variant that changes the bytes.
    let every_column = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] \
        [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] \
        [Order Time] [Loyalty Points] sort by [Order Line ID]";
    let aggregated =
        "[Region] [Order Date].monthly sum [Sales] average [Quantity] count [Customer] [Quantity]";
    let stores = "[Store Name] [Opened] [Square Feet] [Region]";
    let duplicates = "[Region] [Quantity] sum [Quantity]";
    #[rustfmt::skip]
    let variants: [(&str, &str, &[&str], bool, Format); 8] = [
        ("compact", every_column, &[], false, Format::Compact),
        ("full", every_column, &[], false, Format::Full),
        ("calendar", aggregated, &["calendar_end=true"], true, Format::Compact),
        ("calendar-full", every_column, &[], true, Format::Full),
        ("datetime-wrapped", stores, &["datetime_wrapped=true"], false, Format::Compact),
        ("bool-strings-lowercase", every_column, &["bool_cells=string", "lowercase_text=true"], false, Format::Compact),
        ("column-details", aggregated, &["column_details=true"], false, Format::Compact),
        ("full-duplicates", duplicates, &["full_duplicates=keep_both"], false, Format::Full),
    ];
    let mut written = 0;
    for (v, (label, query, overrides, calendar, format)) in variants.iter().enumerate() {
        let case = Case {
            seed: 42,
            rows: 10_000,
            zone: ZONES[v % ZONES.len()],
            table: if *query == stores {
                "Stores"
            } else {
                "Retail Sales"
            },
            query: query.to_string(),
            overrides: overrides.to_vec(),
            calendar: *calendar,
            format: *format,
            // Row 9,999 holds an integer beyond doubles.
            offset: Offset::At(match v {
                0 => 9_990,
                7 => 0,
                _ => 10,
            }),
            page_size: if *query == every_column { 12 } else { 8 },
            name: (v == 6).then(|| ("Sales by \"Region\"".to_string(), false)),
            column_details: true,
            types_from: TypesFrom::Metadata,
            hint_string: None,
        };
        let (page, metadata, _) = render(&case).expect("seed query runs");
        let names: Vec<String> = serde_json::from_value(
            serde_json::from_slice::<Value>(&page).expect("page")["columnNames"].clone(),
        )
        .expect("names");
        // FULL rows with duplicate keys have no schema (the decoder refuses them): text for all.
        let types: Vec<u8> = match schema_for(&case, &page, &names, &metadata) {
            Ok(schema) => schema.types().into_iter().map(fuzz_type_byte).collect(),
            Err(_) => vec![fuzz_type_byte(ColumnType::Utf8); names.len()],
        };
        let zone = ZONES.iter().position(|z| *z == case.zone).unwrap_or(0) as u8;
        // Bit 4: names from the page; bit 2: types inferred from the page instead.
        for (suffix, flags) in [("metadata", 0x10), ("inferred", 0x14)] {
            let input = fuzz_input(flags, zone, &types, &page);
            std::fs::write(dir.join(format!("emulator-{label}-{suffix}")), input).expect("write");
            written += 1;
        }
    }
    // Hand-written edge cases: (name, flags, types, page).
    let n = ColumnType::Null;
    let edges: &[(&str, u8, &[ColumnType], &str)] = &[
        (
            "empty-data",
            0x10,
            &[ColumnType::Int64],
            r#"{"columnNames":["a"],"data":[],"rowCount":0}"#,
        ),
        (
            "null-data",
            0x10,
            &[ColumnType::Int64],
            r#"{"columnNames":["a"],"data":null}"#,
        ),
        (
            "no-data",
            0x10,
            &[ColumnType::Int64],
            r#"{"columnNames":["a"],"rowCount":0}"#,
        ),
        (
            "data-rows",
            0x10,
            &[ColumnType::Utf8],
            r#"{"column_names":["a"],"data_rows":[["x"],[null]]}"#,
        ),
        (
            "two-data-keys",
            0x10,
            &[ColumnType::Int64],
            r#"{"columnNames":["a"],"data":[[1]],"data":[[2]]}"#,
        ),
        (
            "full-rows",
            0x10,
            &[ColumnType::Utf8, ColumnType::Float64, ColumnType::Int64],
            r#"{"columnNames":["Region","Total Sales","Units"],"data":[{"Region":"east","Total Sales":0.30000000000000004,"Units":3},{"Region":"west"},{},["south",1.5,null]]}"#,
        ),
        (
            "full-duplicate-key",
            0x10,
            &[ColumnType::Int64, ColumnType::Int64],
            r#"{"columnNames":["q","q"],"data":[{"q":1,"q":2}]}"#,
        ),
        (
            "wrapped-dates",
            0x10,
            &[ColumnType::Date, ColumnType::Timestamp, ColumnType::Utf8],
            r#"{"columnNames":["d","t","s"],"data":[[1633046400,1633046401,{"v":{"s":5}}],[{"v":{"s":1633046400}},{"v":{"s":1633046400,"e":1635724799}},null],[{"v":{"s":1633046400.0}},{"v":null},{"v":{"s":1},"x":2}]]}"#,
        ),
        (
            "escapes",
            0x10,
            &[ColumnType::Utf8, ColumnType::Utf8],
            r#"{"columnNames":["a\"b","c\\d"],"data":[["a\"b\\c\/d\n\t\u00e9\ud83d\ude00","\u0000\u001f\b\f\r"],["Zoë 東京 🚀",""],["\ud83d","x"]]}"#,
        ),
        (
            "raw-control-characters",
            0x10,
            &[ColumnType::Utf8],
            "{\"columnNames\":[\"a\"],\"data\":[[\"tab\there\"],[\"nul\u{0}\"]]}",
        ),
        (
            "huge-numbers",
            0x10,
            &[ColumnType::Utf8, ColumnType::Int64, ColumnType::Float64],
            r#"{"columnNames":["a","b","c"],"data":[[18446744073709551616,9223372036854775807,0.30000000000000004],[-9223372036854775809,-9223372036854775808,1e-7],[1e400,9007199254740993,1.7976931348623157e308],[123456789012345678901234567890,-0,-0],[18446744073709551615,1e18,5e-324]]}"#,
        ),
        (
            "bad-numbers",
            0x10,
            &[ColumnType::Float64],
            r#"{"columnNames":["a"],"data":[[01],[1.],[-],[1e],[.5],[NaN],[Infinity]]}"#,
        ),
        (
            "bools",
            0x10,
            &[ColumnType::Boolean, ColumnType::Boolean],
            r#"{"columnNames":["a","b"],"data":[[true,"true"],[false,"FALSE"],["yes",1]]}"#,
        ),
        (
            "times",
            0x10,
            &[ColumnType::Time, ColumnType::Time],
            r#"{"columnNames":["a","b"],"data":[[0,0.5],[86400,86399.999999],[86401,-1]]}"#,
        ),
        (
            "decimals",
            0x10,
            &[ColumnType::Decimal {
                precision: 18,
                scale: 2,
            }],
            r#"{"columnNames":["a"],"data":[[1.25],["12.3"],[30977.25],[1.255],[1e-7],["1e2147483647"],[99999999999999999999]]}"#,
        ),
        (
            "nested-cells",
            0x10,
            &[ColumnType::Utf8, n],
            r#"{"columnNames":["a","b"],"data":[[{"a":[1,{"b":2}]},[1,[2,[3]]]],[null,null]]}"#,
        ),
        (
            "details-and-counters",
            0x14,
            &[ColumnType::Int64],
            r#"{"name":"viz","columnNames":["Total Quantity"],"data":[[12],[13.5]],"samplingRatio":1,"totalRowCount":2,"rowCount":2,"pageSize":10,"offset":0,"columnDetails":[{"name":"Total Quantity","data_type":"INT32"}]}"#,
        ),
        (
            "dst-dates",
            0x10,
            &[ColumnType::Date, ColumnType::Date],
            r#"{"columnNames":["chicago","havana"],"data":[[1615705200,1615698000],[1636264800,1636257600]]}"#,
        ),
        (
            "columns-changed",
            0x00,
            &[ColumnType::Int64],
            r#"{"columnNames":["b"],"data":[[1]]}"#,
        ),
        (
            "short-row",
            0x10,
            &[ColumnType::Int64, ColumnType::Int64],
            r#"{"columnNames":["a","b"],"data":[[1,2],[3]]}"#,
        ),
        (
            "truncated",
            0x10,
            &[ColumnType::Int64],
            r#"{"columnNames":["a"],"data":[[1],[2"#,
        ),
    ];
    for (name, flags, types, page) in edges {
        let types: Vec<u8> = types.iter().map(|t| fuzz_type_byte(*t)).collect();
        let input = fuzz_input(*flags, 1, &types, page.as_bytes());
        std::fs::write(dir.join(format!("edge-{name}")), input).expect("write");
        written += 1;
    }
    // Envelope seeds: the bytes after the header are the rows only (flags 2: wrapped in "data":[..]).
    for (name, rows) in [
        (
            "rows-compact",
            r#"[1,"a",1.5,true],[null,"\u00e9",-0,"false"]"#,
        ),
        ("rows-full", r#"{"c0":1,"c1":"b"},{"c3":true}"#),
    ] {
        let types = [2u8, 4, 3, 1];
        std::fs::write(
            dir.join(format!("edge-{name}")),
            fuzz_input(2, 0, &types, rows.as_bytes()),
        )
        .expect("write");
        written += 1;
    }
    println!("{written} seeds written to {}", dir.display());
}
