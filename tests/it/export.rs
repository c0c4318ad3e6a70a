//! Exports end to end: the emulator over HTTP -> pager -> decoder -> Parquet on disk, read back with
//! the `parquet` crate and compared cell by cell with the JSON the emulator served.

use crate::common;
use crate::common::files::read_parquet_dir;
use crate::common::TempDir;

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, Time64MicrosecondType, TimestampMicrosecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use chrono::TimeZone;
use futures_util::TryStreamExt;
use serde_json::Value;
use tsexport::api::{Client, Credentials, Secret};
use tsexport::export::{DriftPolicy, Export, ExportError, ExportOptions};
use tsexport::pager::PagerConfig;
use tsexport::read::{ReadError, ReadOptions};
use tsexport_emulator::{ids, Emulator, Fault, FaultPlan, FaultRule, Profile};

const ALL_COLUMNS: &str = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] \
    [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] \
    [Loyalty Points] sort by [Order Line ID]";

fn client(emu: &Emulator) -> Client {
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()
        .expect("client")
}

fn options(page_size: u64) -> ExportOptions {
    ExportOptions {
        read: ReadOptions {
            pager: PagerConfig {
                page_size,
                ..PagerConfig::default()
            },
            ..ReadOptions::default()
        },
        ..ExportOptions::default()
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The pages the emulator serves for `query`, fetched with plain reqwest and parsed with serde_json:
/// an independent path to the expected values.
async fn served_rows(emu: &Emulator, query: &str, rows: u64) -> (Vec<String>, Vec<Vec<Value>>) {
    let http = common::login(emu).await;
    let mut names = Vec::new();
    let mut all = Vec::new();
    let mut offset = 0;
    while offset < rows.max(1) {
        let page: Value = common::v1(http.post(common::url(emu, "searchdata")))
            .query(&[
                ("query_string", query),
                ("data_source_guid", ids::RETAIL_SALES),
                ("batchsize", "100000"),
                ("offset", &offset.to_string()),
            ])
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        names = serde_json::from_value(page["columnNames"].clone()).expect("names");
        let data = page["data"].as_array().expect("data").clone();
        let n = data.len() as u64;
        all.extend(data.into_iter().map(|r| r.as_array().expect("row").clone()));
        offset += 100_000;
        if n < 100_000 {
            break;
        }
    }
    (names, all)
}

/// The wire form of the Arrow value at `row` of `array`: what ThoughtSpot would have sent.
fn wire_value(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    let chicago = chrono_tz::America::Chicago;
    match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row).into(),
        DataType::Utf8 => array.as_string::<i32>().value(row).into(),
        DataType::Boolean => array.as_boolean().value(row).into(),
        DataType::Date32 => {
            let day = array.as_primitive::<Date32Type>().value(row);
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Days::new(day as u64);
            let midnight = chicago
                .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
                .single()
                .expect("one midnight");
            midnight.timestamp().into()
        }
        DataType::Timestamp(_, _) => {
            (array.as_primitive::<TimestampMicrosecondType>().value(row) / 1_000_000).into()
        }
        DataType::Time64(_) => {
            (array.as_primitive::<Time64MicrosecondType>().value(row) / 1_000_000).into()
        }
        other => panic!("unexpected type {other}"),
    }
}

fn same(expected: &Value, got: &Value) -> bool {
    // A wrapped date (`{"v":{"s":...}}`) is its start.
    if let Some(start) = expected.pointer("/v/s") {
        return same(start, got);
    }
    match (expected, got) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits),
        },
        _ => expected == got,
    }
}

fn assert_same_values(batches: &[RecordBatch], names: &[String], rows: &[Vec<Value>]) {
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(total, rows.len(), "row count");
    let schema = batches[0].schema();
    let got_names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    assert_eq!(got_names, names.iter().collect::<Vec<_>>());
    let mut row = 0;
    for batch in batches {
        for r in 0..batch.num_rows() {
            for (c, column) in batch.columns().iter().enumerate() {
                let got = wire_value(column.as_ref(), r);
                assert!(
                    same(&rows[row][c], &got),
                    "row {row} column {}: served {} but wrote {}",
                    names[c],
                    rows[row][c],
                    got
                );
            }
            row += 1;
        }
    }
}

#[tokio::test]
async fn every_type_round_trips_exactly_through_parquet() {
    let rows = 25_000;
    let emu = Emulator::builder()
        .rows(rows)
        .start()
        .await
        .expect("emulator");
    let out = TempDir::new("export-types");
    let summary = Export::search(&client(&emu), ALL_COLUMNS, ids::RETAIL_SALES)
        .to(out.display().to_string())
        .options(options(10_000))
        .run()
        .await
        .expect("export");
    assert_eq!(summary.rows, rows);
    assert_eq!(summary.tables[0].pages, 3);
    assert_eq!(summary.tables[0].rows_expected, Some(rows));
    assert_eq!(summary.tables[0].restarts, 0);

    let batches = read_parquet_dir(&out);
    let schema = batches[0].schema();
    let type_of = |name: &str| {
        schema
            .field_with_name(name)
            .expect(name)
            .data_type()
            .to_string()
    };
    assert_eq!(type_of("Order Line ID"), "Int64");
    assert_eq!(type_of("Order Date"), "Date32");
    assert_eq!(
        schema
            .field_with_name("Ship Time")
            .expect("ship")
            .data_type(),
        &DataType::Timestamp(
            arrow_schema::TimeUnit::Microsecond,
            Some("America/Chicago".into())
        )
    );
    assert_eq!(type_of("Is Returned"), "Boolean");
    assert_eq!(type_of("Total Sales"), "Float64");
    assert_eq!(type_of("Total Loyalty Points"), "Int64");
    assert_eq!(type_of("Average Discount"), "Float64");

    let (names, served) = served_rows(&emu, ALL_COLUMNS, rows).await;
    assert_same_values(&batches, &names, &served);
    assert!(out.join("_SUCCESS").exists());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).expect("manifest"))
            .expect("manifest json");
    assert_eq!(manifest["rows"], rows);
    assert_eq!(manifest["source"]["query"], ALL_COLUMNS);
}

#[tokio::test]
async fn every_wire_variant_of_dates_and_types_decodes_to_the_same_values() {
    // The encodings wire-protocol §3.4 lists as possible (calendar-wrapped dates, wrapped DATE_TIME on old
    // builds) and the 9.10+ columnDetails, each switched on in the emulator.
    let variants: Vec<(&str, Emulator)> = vec![
        (
            "custom calendar",
            Emulator::builder()
                .rows(3_000)
                .custom_calendar(true)
                .start()
                .await
                .expect("emulator"),
        ),
        (
            "wrapped DATE_TIME",
            Emulator::builder()
                .rows(3_000)
                .profile(common::with_settings(
                    Profile::v2021(),
                    &["datetime_wrapped=true"],
                ))
                .start()
                .await
                .expect("emulator"),
        ),
        (
            "modern with columnDetails",
            Emulator::builder()
                .rows(3_000)
                .profile(Profile::modern())
                .start()
                .await
                .expect("emulator"),
        ),
    ];
    for (variant, emu) in variants {
        let out = TempDir::new("export-variant");
        Export::search(&client(&emu), ALL_COLUMNS, ids::RETAIL_SALES)
            .to(out.display().to_string())
            .run()
            .await
            .unwrap_or_else(|e| panic!("{variant}: {e}"));
        let batches = read_parquet_dir(&out);
        let schema = batches[0].schema();
        assert_eq!(
            schema
                .field_with_name("Order Date")
                .expect("date")
                .data_type(),
            &DataType::Date32,
            "{variant}"
        );
        let (names, served) = served_rows(&emu, ALL_COLUMNS, 3_000).await;
        assert_same_values(&batches, &names, &served);
    }
}

#[tokio::test]
async fn pinboard_vizzes_are_typed_by_column_details_where_the_cluster_sends_them() {
    let emu = Emulator::builder()
        .rows(1_000)
        .profile(Profile::modern())
        .start()
        .await
        .expect("emulator");
    // v1 sends `columnDetails` with pinboard pages (9.10+); v2 documents no column types for vizzes.
    let batches: Vec<RecordBatch> = v1_client(&emu)
        .pinboard(ids::RETAIL_PINBOARD)
        .viz(ids::VIZ_ORDER_LINES)
        .batches()
        .await
        .expect("stream")
        .try_collect()
        .await
        .expect("batches");
    let schema = batches[0].schema();
    let dates: Vec<_> = schema
        .fields()
        .iter()
        .filter(|f| f.data_type() == &DataType::Date32)
        .collect();
    assert!(!dates.is_empty(), "{schema}");
}

#[tokio::test]
async fn an_all_null_first_page_is_typed_by_later_data_after_a_restart() {
    // Loyalty Points is null for the first 150,000 rows. Without metadata (metadata/details fails),
    // page one types it Null; page two has numbers, so the export widens it and reads again.
    let plan = FaultPlan::new().rule(FaultRule::new(
        "metadata/details",
        Fault::Status {
            status: 500,
            code: None,
            retry_after: None,
            debug: None,
        },
    ));
    let emu = Emulator::builder()
        .rows(200_000)
        .faults(plan)
        .start()
        .await
        .expect("emulator");
    let out = TempDir::new("export-drift");
    let query = "[Order Line ID] [Loyalty Points] sort by [Order Line ID]";
    let summary = Export::search(&client(&emu), query, ids::RETAIL_SALES)
        .to(out.display().to_string())
        .run()
        .await
        .expect("export");
    assert_eq!(summary.tables[0].restarts, 1);
    assert_eq!(summary.rows, 200_000);
    let batches = read_parquet_dir(&out);
    assert_eq!(
        batches[0].schema().field(1).data_type(),
        &DataType::Int64,
        "widened from Null"
    );
    let non_null: usize = batches
        .iter()
        .map(|b| b.num_rows() - b.column(1).null_count())
        .sum();
    assert_eq!(non_null, 50_000);

    // With --on-drift fail the export stops, names the value, and leaves nothing behind.
    let strict = TempDir::new("export-drift-fail");
    let error = Export::search(&client(&emu), query, ids::RETAIL_SALES)
        .to(strict.display().to_string())
        .options(ExportOptions {
            on_drift: DriftPolicy::Fail,
            ..ExportOptions::default()
        })
        .run()
        .await
        .expect_err("drift fails");
    let message = error.to_string();
    assert!(message.contains("Loyalty Points"), "{message}");
    assert!(message.contains("row 150001"), "{message}");
    assert!(matches!(
        error,
        ExportError::Read(ReadError::Misfits { .. })
    ));
    assert_eq!(
        walk(&strict).len(),
        0,
        "nothing visible: {:?}",
        walk(&strict)
    );
}

#[tokio::test]
async fn a_pinboard_exports_one_folder_per_data_viz() {
    let emu = Emulator::builder()
        .rows(5_000)
        .start()
        .await
        .expect("emulator");
    let out = TempDir::new("export-pinboard");
    let summary = Export::pinboard(&client(&emu), ids::RETAIL_PINBOARD)
        .to(out.display().to_string())
        .run()
        .await
        .expect("export");
    let names: Vec<&str> = summary.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names.len(),
        3,
        "table, chart and headline; the filter has no data: {names:?}"
    );
    for table in &summary.tables {
        let batches = read_parquet_dir(&out.join(&table.name));
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows as u64, table.rows, "{}", table.name);
        assert_eq!(Some(table.rows), table.rows_expected, "{}", table.name);
    }
    let order_lines = summary
        .tables
        .iter()
        .find(|t| t.viz.as_deref() == Some(ids::VIZ_ORDER_LINES))
        .expect("order lines viz");
    assert_eq!(order_lines.rows, 5_000);
}

#[tokio::test]
async fn the_stream_api_gives_the_schema_first_and_every_row() {
    let emu = Emulator::builder()
        .rows(30_000)
        .start()
        .await
        .expect("emulator");
    let stream = client(&emu)
        .search("[Region] [Sales] sort by [Region]", ids::RETAIL_SALES)
        .batches()
        .await
        .expect("stream");
    let schema = stream.schema();
    assert_eq!(schema.field(0).name(), "Region");
    assert_eq!(schema.field(1).name(), "Total Sales");
    assert_eq!(schema.field(1).data_type(), &DataType::Float64);
    let batches: Vec<RecordBatch> = stream.try_collect().await.expect("batches");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 5);

    let lines = client(&emu)
        .search("[Order Line ID] sort by [Order Line ID]", ids::RETAIL_SALES)
        .page_size(7_000)
        .batches()
        .await
        .expect("stream");
    let keys: Vec<i64> = lines
        .try_collect::<Vec<_>>()
        .await
        .expect("batches")
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(keys, (1..=30_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn hints_set_types_and_values_that_do_not_fit_a_hint_are_errors() {
    let emu = Emulator::builder()
        .rows(1_000)
        .start()
        .await
        .expect("emulator");
    let hinted = client(&emu)
        .search(
            "[Order Line ID] [Quantity] sort by [Order Line ID]",
            ids::RETAIL_SALES,
        )
        .hint("Order Line ID=string")
        .expect("hint")
        .hint("Total Quantity=decimal(10,2)")
        .expect("hint")
        .batches()
        .await
        .expect("stream");
    let schema = hinted.schema();
    assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
    assert_eq!(schema.field(1).data_type(), &DataType::Decimal128(10, 2));
    let batches: Vec<RecordBatch> = hinted.try_collect().await.expect("batches");
    assert_eq!(batches[0].column(0).as_string::<i32>().value(0), "1");

    let error = Export::search(&client(&emu), "[Sales] [Region]", ids::RETAIL_SALES)
        .to(TempDir::new("export-hint").display().to_string())
        .options(ExportOptions {
            read: ReadOptions {
                hints: vec!["Total Sales=decimal(18,2)".parse().expect("hint")],
                ..ReadOptions::default()
            },
            ..ExportOptions::default()
        })
        .run()
        .await
        .expect_err("sums of doubles have more than two decimals");
    assert!(
        error.to_string().contains("type hint for 'Total Sales'"),
        "{error}"
    );

    let unknown = client(&emu)
        .search("[Sales] [Region]", ids::RETAIL_SALES)
        .hint("Totl Sales=int")
        .expect("parses")
        .batches()
        .await
        .expect_err("no such column");
    assert!(unknown.to_string().contains("Total Sales"), "{unknown}");
}

#[tokio::test]
async fn an_incomplete_result_commits_nothing() {
    let plan = FaultPlan::new()
        .rule(FaultRule::new("searchdata", Fault::WrongTotal { total: 50_000 }).nth([2]));
    let emu = Emulator::builder()
        .rows(30_000)
        .faults(plan)
        .start()
        .await
        .expect("emulator");
    let out = TempDir::new("export-incomplete");
    std::fs::write(out.join("keep.txt"), "earlier").expect("write");
    let error = Export::search(
        &client(&emu),
        "[Order Line ID] sort by [Order Line ID]",
        ids::RETAIL_SALES,
    )
    .to(out.display().to_string())
    .options(options(10_000))
    .run()
    .await
    .expect_err("incomplete");
    assert!(error.to_string().contains("incomplete"), "{error}");
    assert_eq!(walk(&out), vec![out.join("keep.txt")]);
}

/// A v1 client: v1 lists every viz of an answer or pinboard (`listvizheaders`), which is how the
/// emulator's answer with two vizzes named alike can stand in for a pinboard with an ambiguous name.
fn v1_client(emu: &Emulator) -> Client {
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .api(tsexport::api::ApiChoice::V1)
        .build()
        .expect("client")
}

#[tokio::test]
async fn vizzes_are_picked_by_exact_id_or_name_and_nothing_else() {
    use tsexport::select::{pinboard_vizzes_named, VizSelectionError};
    let emu = Emulator::builder()
        .rows(50)
        .start()
        .await
        .expect("emulator");
    let client = v1_client(&emu);
    let pick = |pinboard: &'static str, wanted: &[&str]| {
        let wanted: Vec<String> = wanted.iter().map(|w| w.to_string()).collect();
        let client = client.clone();
        async move { pinboard_vizzes_named(&client, pinboard, "the board", &wanted).await }
    };

    // By id, and by exact name, in the order asked for.
    let ids =
        |vizzes: Vec<tsexport::read::DataViz>| vizzes.into_iter().map(|v| v.id).collect::<Vec<_>>();
    let found = pick(
        ids::RETAIL_PINBOARD,
        &["Total Sales", ids::VIZ_SALES_BY_REGION],
    )
    .await
    .expect("picked");
    assert_eq!(ids(found), [ids::VIZ_TOTAL_SALES, ids::VIZ_SALES_BY_REGION]);

    // A name differing only in case is unknown: the error names it and lists the vizzes.
    let error = pick(ids::RETAIL_PINBOARD, &["total sales"])
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, VizSelectionError::Unknown { .. }),
        "{message}"
    );
    assert!(message.contains("'total sales'"), "{message}");
    assert!(
        message.contains(&format!("'Total Sales' ({})", ids::VIZ_TOTAL_SALES)),
        "{message}"
    );

    // Two vizzes with the name: an error listing both ids; either id picks one.
    let error = pick(ids::ANSWER_SALES_BY_PRODUCT, &["Sales by Product"])
        .await
        .unwrap_err();
    let message = error.to_string();
    match error {
        VizSelectionError::Ambiguous { ids: found, .. } => assert_eq!(
            found,
            [ids::VIZ_ANSWER_PRODUCT_TABLE, ids::VIZ_ANSWER_PRODUCT_CHART]
        ),
        other => panic!("not ambiguous: {other}"),
    }
    assert!(message.contains(ids::VIZ_ANSWER_PRODUCT_CHART), "{message}");
    let found = pick(
        ids::ANSWER_SALES_BY_PRODUCT,
        &[ids::VIZ_ANSWER_PRODUCT_CHART],
    )
    .await
    .expect("picked by id");
    assert_eq!(ids(found), [ids::VIZ_ANSWER_PRODUCT_CHART]);

    // The export takes the same rule: an ambiguous name stops it before anything is written.
    let out = std::env::temp_dir().join(format!("tsexport-viz-pick-{}", std::process::id()));
    let error = Export::pinboard(&client, ids::ANSWER_SALES_BY_PRODUCT)
        .viz("Sales by Product")
        .to(out.display().to_string())
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Viz(VizSelectionError::Ambiguous { .. })),
        "{error}"
    );
    assert_eq!(error.kind(), tsexport::failure::FailureKind::Usage);
    assert!(!out.exists(), "a refused export wrote something");
}

/// A `Write` whose bytes the test can read after the export has taken it.
#[derive(Clone, Default)]
struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn to_writer_streams_every_row_as_arrow_and_a_pinboard_must_pick_one_viz() {
    let rows = 2_500;
    let emu = Emulator::builder()
        .rows(rows)
        .start()
        .await
        .expect("emulator");
    let client = client(&emu);
    let buffer = SharedBuffer::default();
    let mut options = options(1_000);
    options.sink.format = tsexport::sink::FileFormat::ArrowIpc;
    let summary = Export::search(&client, ALL_COLUMNS, ids::RETAIL_SALES)
        .options(options.clone())
        .to_writer(buffer.clone())
        .await
        .expect("streamed");
    assert_eq!(summary.rows, rows);
    let bytes = buffer.0.lock().expect("lock").clone();
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .expect("an Arrow IPC stream");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    let read: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(read as u64, rows);
    assert_eq!(batches[0].schema(), summary.schema);
    let ids_read: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(ids_read, (1..=rows as i64).collect::<Vec<_>>());

    let error = Export::pinboard(&client, ids::RETAIL_PINBOARD)
        .options(options)
        .to_writer(SharedBuffer::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::StreamNeedsOneViz { vizzes: 0 }),
        "{error}"
    );
}
