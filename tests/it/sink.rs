//! The sink end to end: real files on local disk and real objects on an S3-compatible server, read
//! back with the parquet, arrow-ipc and arrow-csv readers.

use crate::common::s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use serde_json::{json, Value};
use tsexport::sink::{
    read_manifest, Codec, Committed, Destination, FileFormat, SinkError, SinkOptions, Staging,
    StreamWriter, WriteMode, WrittenTable,
};

use crate::common::files::{parquet_batches, read_parquet, snapshot_with_folders};
use crate::common::TempDir;
use s3::{eventually, incompressible, open_upload_parts, start_s3};

// ---------------------------------------------------------------------------------------------
// Data and helpers

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
    ]))
}

/// Rows `start..start + count`; every seventh name is null.
fn rows(start: i64, count: usize) -> RecordBatch {
    let ids: Vec<i64> = (start..start + count as i64).collect();
    let names: Vec<Option<String>> = ids
        .iter()
        .map(|id| (id % 7 != 0).then(|| format!("name-{id}")))
        .collect();
    let amounts: Vec<f64> = ids.iter().map(|id| *id as f64 * 1.5).collect();
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(names)),
            Arc::new(Float64Array::from(amounts)),
        ],
    )
    .unwrap()
}

/// `total` rows from `start` in batches of `batch` rows.
fn batches(start: i64, total: usize, batch: usize) -> Vec<RecordBatch> {
    (0..total)
        .step_by(batch)
        .map(|offset| rows(start + offset as i64, batch.min(total - offset)))
        .collect()
}

fn ids(batches: &[RecordBatch]) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|batch| {
            let ids = batch
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            ids.values().to_vec()
        })
        .collect()
}

/// Checks every value of `batches` against what `rows` generates for the same ids.
fn assert_rows_match(batches: &[RecordBatch]) {
    for batch in batches {
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        let expected = rows(ids.value(0), batch.num_rows());
        assert_eq!(batch.columns(), expected.columns());
    }
}

fn metadata() -> Vec<(String, String)> {
    vec![("tsexport.query".to_string(), "[Sales] [Region]".to_string())]
}

async fn write_table(staging: &mut Staging, table: &str, data: Vec<RecordBatch>) -> WrittenTable {
    let mut writer = staging.table(table, schema(), metadata()).unwrap();
    for batch in data {
        writer.write(batch).await.unwrap();
    }
    writer.finish().await.unwrap()
}

/// Opens, writes each table, commits.
async fn export(
    destination: Destination,
    options: SinkOptions,
    tables: Vec<(&str, Vec<RecordBatch>)>,
) -> Committed {
    let mut staging = Staging::open(destination, options).await.unwrap();
    let mut reports = Vec::new();
    for (table, data) in tables {
        reports.push(write_table(&mut staging, table, data).await);
    }
    staging
        .commit(reports, json!({"query": "[Sales] [Region]"}))
        .await
        .unwrap()
}

fn local(path: &Path) -> Destination {
    Destination::Local(path.to_path_buf())
}

fn defaults() -> SinkOptions {
    SinkOptions::default()
}

fn names(dir: &Path) -> Vec<String> {
    snapshot_with_folders(dir).into_keys().collect()
}

fn manifest_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("_manifest.json")).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Local disk

#[tokio::test]
async fn two_tables_rotate_by_rows_commit_and_read_back() {
    let dir = TempDir::new("sink-rows");
    let dest = dir.path().join("lake");
    let options = SinkOptions {
        max_rows_per_file: Some(1000),
        ..defaults()
    };
    let committed = export(
        local(&dest),
        options,
        vec![
            ("orders", batches(0, 2500, 700)),
            ("stores", batches(10_000, 300, 300)),
        ],
    )
    .await;

    assert_eq!(
        names(&dest),
        [
            "_SUCCESS",
            "_manifest.json",
            "orders/",
            "orders/part-00000.parquet",
            "orders/part-00001.parquet",
            "orders/part-00002.parquet",
            "stores/",
            "stores/part-00000.parquet",
        ]
    );
    assert!(std::fs::read(dest.join("_SUCCESS")).unwrap().is_empty());
    assert_eq!(committed.rows, 2800);
    assert_eq!(committed.files.len(), 4);
    assert_eq!(
        committed.manifest_path,
        dest.join("_manifest.json").display().to_string()
    );

    let mut all = Vec::new();
    for (index, expected_rows) in [1000, 1000, 500].into_iter().enumerate() {
        let read = read_parquet(&dest.join(format!("orders/part-{index:05}.parquet")));
        assert_eq!(
            read.iter().map(RecordBatch::num_rows).sum::<usize>(),
            expected_rows
        );
        assert_rows_match(&read);
        all.extend(read);
    }
    assert_eq!(ids(&all), (0..2500).collect::<Vec<_>>());
    let stores = read_parquet(&dest.join("stores/part-00000.parquet"));
    assert_eq!(ids(&stores), (10_000..10_300).collect::<Vec<_>>());
    assert_rows_match(&stores);

    let manifest = manifest_json(&dest);
    assert_eq!(manifest["format_version"], 1);
    assert_eq!(manifest["tool"], "tsexport");
    assert_eq!(manifest["tool_version"], tsexport::VERSION);
    assert_eq!(manifest["mode"], "overwrite");
    assert_eq!(manifest["format"], "parquet");
    assert_eq!(manifest["codec"], "zstd:3");
    assert_eq!(manifest["source"], json!({"query": "[Sales] [Region]"}));
    assert_eq!(manifest["rows"], 2800);
    assert_eq!(manifest["bytes"], committed.bytes);
    assert_eq!(manifest["run_id"], committed.run_id.as_str());
    chrono::DateTime::parse_from_rfc3339(manifest["committed_at"].as_str().unwrap()).unwrap();
    let orders = &manifest["tables"][0];
    assert_eq!(orders["name"], "orders");
    assert_eq!(orders["rows"], 2500);
    assert_eq!(
        orders["schema"],
        json!([
            {"name": "id", "type": "Int64", "nullable": false},
            {"name": "name", "type": "Utf8", "nullable": true},
            {"name": "amount", "type": "Float64", "nullable": true},
        ])
    );
    let files = orders["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for (index, file) in files.iter().enumerate() {
        let path = format!("orders/part-{index:05}.parquet");
        assert_eq!(file["path"], path.as_str());
        assert_eq!(
            file["bytes"],
            std::fs::metadata(dest.join(&path)).unwrap().len()
        );
    }
    assert_eq!(files[2]["rows"], 500);
    assert_eq!(manifest["tables"][1]["name"], "stores");

    let parsed = read_manifest(&local(&dest)).await.unwrap().unwrap();
    assert_eq!(
        parsed.table("orders").unwrap().arrow_schema().unwrap(),
        schema()
    );
    assert_eq!(parsed.run_id, committed.run_id);
}

#[tokio::test]
async fn rotation_by_bytes_starts_a_new_file_once_the_limit_is_reached() {
    let dir = TempDir::new("sink-bytes");
    let options = SinkOptions {
        codec: Codec::None,
        row_group_rows: 200,
        max_bytes_per_file: Some(20_000),
        ..defaults()
    };
    let committed = export(
        local(dir.path()),
        options,
        vec![("", batches(0, 5000, 250))],
    )
    .await;
    assert!(committed.files.len() > 2, "{:?}", committed.files);
    let mut all = Vec::new();
    for (index, file) in committed.files.iter().enumerate() {
        assert_eq!(file.path, format!("part-{index:05}.parquet"));
        let on_disk = std::fs::metadata(dir.path().join(&file.path))
            .unwrap()
            .len();
        assert_eq!(file.bytes, on_disk);
        if index + 1 < committed.files.len() {
            // Rotation happens at a batch boundary once the limit is reached: each file but the
            // last reached it, and stayed within a batch of it.
            assert!(on_disk >= 15_000, "{file:?}");
            assert!(file.rows <= 20_000 / 10, "{file:?}");
        }
        let read = read_parquet(&dir.path().join(&file.path));
        assert_eq!(
            read.iter().map(RecordBatch::num_rows).sum::<usize>() as u64,
            file.rows
        );
        all.extend(read);
    }
    assert_eq!(ids(&all), (0..5000).collect::<Vec<_>>());
    assert_rows_match(&all);
}

#[tokio::test]
async fn every_codec_round_trips_and_is_recorded_in_the_file() {
    let dir = TempDir::new("sink-codecs");
    type Recorded = fn(Compression) -> bool;
    let cases: [(Codec, Recorded); 6] = [
        (Codec::Zstd(3), |c| matches!(c, Compression::ZSTD(_))),
        (Codec::Zstd(19), |c| matches!(c, Compression::ZSTD(_))),
        (Codec::Snappy, |c| matches!(c, Compression::SNAPPY)),
        (Codec::Lz4, |c| matches!(c, Compression::LZ4_RAW)),
        (Codec::Gzip(9), |c| matches!(c, Compression::GZIP(_))),
        (Codec::None, |c| matches!(c, Compression::UNCOMPRESSED)),
    ];
    for (codec, expected) in cases {
        let dest = dir.path().join(codec.to_string().replace(':', "-"));
        let options = SinkOptions {
            codec,
            ..defaults()
        };
        export(local(&dest), options, vec![("", batches(0, 3000, 1000))]).await;
        let file = std::fs::File::open(dest.join("part-00000.parquet")).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let metadata = builder.metadata().clone();
        for column in metadata.row_group(0).columns() {
            assert!(
                expected(column.compression()),
                "{codec}: {:?}",
                column.compression()
            );
        }
        let key_values = metadata.file_metadata().key_value_metadata().unwrap();
        let value_of = |key: &str| {
            key_values
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.clone())
        };
        assert_eq!(
            value_of("tsexport.version").as_deref(),
            Some(tsexport::VERSION)
        );
        assert_eq!(
            value_of("tsexport.query").as_deref(),
            Some("[Sales] [Region]")
        );
        let read = builder
            .build()
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(ids(&read), (0..3000).collect::<Vec<_>>());
        assert_rows_match(&read);
        assert_eq!(manifest_json(&dest)["codec"], codec.to_string());
    }
}

#[tokio::test]
async fn row_groups_hold_at_most_row_group_rows() {
    let dir = TempDir::new("sink-row-groups");
    let options = SinkOptions {
        row_group_rows: 300,
        ..defaults()
    };
    export(
        local(dir.path()),
        options,
        vec![("", batches(0, 1000, 1000))],
    )
    .await;
    let file = std::fs::File::open(dir.path().join("part-00000.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let sizes: Vec<i64> = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|group| group.num_rows())
        .collect();
    assert_eq!(sizes, [300, 300, 300, 100]);
}

#[tokio::test]
async fn arrow_and_csv_files_read_back() {
    let dir = TempDir::new("sink-formats");
    let arrow = dir.path().join("arrow");
    let options = SinkOptions {
        format: FileFormat::ArrowIpc,
        max_rows_per_file: Some(600),
        ..defaults()
    };
    export(local(&arrow), options, vec![("", batches(0, 1000, 400))]).await;
    let mut all = Vec::new();
    for name in ["part-00000.arrow", "part-00001.arrow"] {
        let file = std::fs::File::open(arrow.join(name)).unwrap();
        let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
        assert_eq!(
            reader
                .custom_metadata()
                .get("tsexport.version")
                .map(String::as_str),
            Some(tsexport::VERSION)
        );
        all.extend(reader.collect::<Result<Vec<_>, _>>().unwrap());
    }
    assert_eq!(ids(&all), (0..1000).collect::<Vec<_>>());
    assert_rows_match(&all);
    assert_eq!(manifest_json(&arrow)["format"], "arrow");
    assert_eq!(manifest_json(&arrow)["codec"], Value::Null);

    let csv = dir.path().join("csv");
    let options = SinkOptions {
        format: FileFormat::Csv,
        ..defaults()
    };
    export(local(&csv), options, vec![("", batches(0, 500, 200))]).await;
    let text = std::fs::read_to_string(csv.join("part-00000.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,name,amount"));
    assert_eq!(lines.next(), Some("0,,0.0"));
    assert_eq!(lines.next(), Some("1,name-1,1.5"));
    assert_eq!(text.lines().count(), 501);
    let read = arrow_csv::ReaderBuilder::new(schema())
        .with_header(true)
        .build(std::fs::File::open(csv.join("part-00000.csv")).unwrap())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(ids(&read), (0..500).collect::<Vec<_>>());
    assert_rows_match(&read);
}

#[tokio::test]
async fn a_table_without_rows_still_gets_a_file_with_its_schema() {
    let dir = TempDir::new("sink-empty");
    let committed = export(local(dir.path()), defaults(), vec![("", Vec::new())]).await;
    assert_eq!(committed.files.len(), 1);
    assert_eq!(committed.rows, 0);
    let file = std::fs::File::open(dir.path().join("part-00000.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.schema().fields(), schema().fields());
}

#[tokio::test]
async fn overwrite_replaces_earlier_files_and_keeps_foreign_ones() {
    let dir = TempDir::new("sink-overwrite");
    let dest = dir.path();
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    export(
        local(dest),
        options.clone(),
        vec![("", batches(0, 300, 100)), ("old", batches(0, 10, 10))],
    )
    .await;
    std::fs::write(dest.join("notes.txt"), "mine").unwrap();
    std::fs::create_dir_all(dest.join("keep")).unwrap();
    std::fs::write(dest.join("keep/part-00000.parquet"), "not tsexport's").unwrap();

    let committed = export(local(dest), options, vec![("", batches(1000, 150, 150))]).await;
    assert_eq!(
        names(dest),
        [
            "_SUCCESS",
            "_manifest.json",
            "keep/",
            "keep/part-00000.parquet",
            "notes.txt",
            "part-00000.parquet",
            "part-00001.parquet",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("keep/part-00000.parquet")).unwrap(),
        "not tsexport's"
    );
    let mut all = read_parquet(&dest.join("part-00000.parquet"));
    all.extend(read_parquet(&dest.join("part-00001.parquet")));
    assert_eq!(ids(&all), (1000..1150).collect::<Vec<_>>());
    let manifest = manifest_json(dest);
    assert_eq!(manifest["rows"], 150);
    assert_eq!(manifest["tables"].as_array().unwrap().len(), 1);
    assert_eq!(committed.files.len(), 2);
}

#[tokio::test]
async fn overwrite_does_not_take_the_name_of_a_foreign_file() {
    let dir = TempDir::new("sink-foreign-name");
    std::fs::write(dir.path().join("part-00000.parquet"), "someone else's").unwrap();
    let committed = export(
        local(dir.path()),
        defaults(),
        vec![("", batches(0, 10, 10))],
    )
    .await;
    assert_eq!(committed.files[0].path, "part-00001.parquet");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("part-00000.parquet")).unwrap(),
        "someone else's"
    );
}

#[tokio::test]
async fn append_keeps_earlier_files_and_continues_numbering() {
    let dir = TempDir::new("sink-append");
    let dest = dir.path();
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    let first = export(
        local(dest),
        options.clone(),
        vec![("", batches(0, 200, 100))],
    )
    .await;
    let before_first = std::fs::read(dest.join("part-00000.parquet")).unwrap();

    let append = SinkOptions {
        mode: WriteMode::Append,
        ..options
    };
    let mut staging = Staging::open(local(dest), append.clone()).await.unwrap();
    assert_eq!(staging.existing_schema(""), Some(schema()));
    assert_eq!(staging.existing_schema("other"), None);
    let report = write_table(&mut staging, "", batches(200, 50, 50)).await;
    let second = staging
        .commit(vec![report], json!({"run": 2}))
        .await
        .unwrap();
    assert_eq!(second.files.len(), 1);
    assert_eq!(second.files[0].path, "part-00002.parquet");

    assert_eq!(
        std::fs::read(dest.join("part-00000.parquet")).unwrap(),
        before_first
    );
    let manifest = manifest_json(dest);
    assert_eq!(manifest["mode"], "append");
    assert_eq!(manifest["rows"], 250);
    let files = manifest["tables"][0]["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet"
        ]
    );
    assert_eq!(files[0]["run_id"], first.run_id.as_str());
    assert_eq!(files[2]["run_id"], second.run_id.as_str());
    let mut all = Vec::new();
    for path in paths {
        all.extend(read_parquet(&dest.join(path)));
    }
    assert_eq!(ids(&all), (0..250).collect::<Vec<_>>());

    // Appending other columns is refused before anything is written.
    let before = snapshot_with_folders(dest);
    let mut staging = Staging::open(local(dest), append).await.unwrap();
    let other = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, true)]));
    let e = staging.table("", other, Vec::new()).unwrap_err();
    assert!(matches!(e, SinkError::SchemaChanged { .. }), "{e}");
    assert!(e.to_string().contains("overwrite mode"), "{e}");
    staging.abort().await.unwrap();
    assert_eq!(snapshot_with_folders(dest), before);
}

#[tokio::test]
async fn error_if_exists_refuses_a_destination_with_anything_in_it() {
    let dir = TempDir::new("sink-error-if-exists");
    let strict = SinkOptions {
        mode: WriteMode::ErrorIfExists,
        ..defaults()
    };

    // A fresh folder is fine.
    let fresh = dir.path().join("fresh");
    export(
        local(&fresh),
        strict.clone(),
        vec![("", batches(0, 10, 10))],
    )
    .await;

    // A folder with someone's file in it, and one with an export in it.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    for dest in [foreign, fresh] {
        let before = snapshot_with_folders(&dest);
        let e = Staging::open(local(&dest), strict.clone())
            .await
            .unwrap_err();
        assert!(matches!(e, SinkError::NotEmpty { .. }), "{e}");
        let message = e.to_string();
        assert!(message.contains(&dest.display().to_string()), "{message}");
        assert!(message.contains("overwrite mode"), "{message}");
        assert!(message.contains("append mode"), "{message}");
        assert_eq!(snapshot_with_folders(&dest), before);
    }
}

#[tokio::test]
async fn abort_leaves_the_destination_exactly_as_it_was() {
    let dir = TempDir::new("sink-abort");
    let dest = dir.path().join("lake");
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    export(
        local(&dest),
        options.clone(),
        vec![("", batches(0, 250, 50))],
    )
    .await;
    std::fs::write(dest.join("notes.txt"), "mine").unwrap();
    let before = snapshot_with_folders(&dest);

    let mut staging = Staging::open(local(&dest), options.clone()).await.unwrap();
    let finished = write_table(&mut staging, "", batches(500, 250, 50)).await;
    assert_eq!(finished.files.len(), 3);
    let mut unfinished = staging.table("more", schema(), Vec::new()).unwrap();
    unfinished.write(rows(0, 150)).await.unwrap();
    assert!(dest.join("_tsexport_staging").exists());
    staging.abort().await.unwrap();
    drop(unfinished);
    assert_eq!(snapshot_with_folders(&dest), before);

    // A destination that did not exist does not exist afterwards either.
    let new = dir.path().join("new/lake");
    let mut staging = Staging::open(local(&new), options).await.unwrap();
    write_table(&mut staging, "", batches(0, 10, 10)).await;
    staging.abort().await.unwrap();
    assert!(!dir.path().join("new").exists());
}

#[tokio::test]
async fn dropping_a_run_leaves_the_destination_exactly_as_it_was() {
    let dir = TempDir::new("sink-drop");
    let dest = dir.path();
    export(local(dest), defaults(), vec![("t", batches(0, 100, 50))]).await;
    let before = snapshot_with_folders(dest);

    let mut staging = Staging::open(local(dest), defaults()).await.unwrap();
    write_table(&mut staging, "t", batches(100, 100, 50)).await;
    let mut open = staging.table("u", schema(), Vec::new()).unwrap();
    open.write(rows(0, 10)).await.unwrap();
    drop(open);
    drop(staging);
    assert_eq!(snapshot_with_folders(dest), before);
}

#[tokio::test]
async fn a_table_can_be_given_up_and_written_again() {
    let dir = TempDir::new("sink-restart");
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    let mut staging = Staging::open(local(dir.path()), options).await.unwrap();
    let mut first = staging.table("t", schema(), Vec::new()).unwrap();
    for batch in batches(0, 250, 50) {
        first.write(batch).await.unwrap();
    }
    first.abort().await.unwrap();
    let wider = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let mut again = staging.table("t", wider.clone(), Vec::new()).unwrap();
    let batch =
        RecordBatch::try_new(wider, vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
    again.write(batch).await.unwrap();
    let report = again.finish().await.unwrap();
    let committed = staging.commit(vec![report], Value::Null).await.unwrap();
    assert_eq!(committed.rows, 3);
    assert_eq!(
        names(dir.path()),
        ["_SUCCESS", "_manifest.json", "t/", "t/part-00000.parquet"]
    );
    assert_eq!(
        ids(&read_parquet(&dir.path().join("t/part-00000.parquet"))),
        [1, 2, 3]
    );
}

#[test]
fn sink_types_can_move_between_tasks() {
    fn send<T: Send>(_: &T) {}
    fn send_type<T: Send>() {}
    send_type::<Staging>();
    send_type::<tsexport::sink::TableWriter>();
    send_type::<StreamWriter<Vec<u8>>>();
    let open = Staging::open(Destination::Local("unused".into()), defaults());
    send(&open);
}

#[tokio::test]
async fn a_file_url_is_written_like_a_local_path() {
    let dir = TempDir::new("sink-file-url");
    let url = format!("file://{}/lake/", dir.path().display());
    let options = SinkOptions {
        max_rows_per_file: Some(60),
        ..defaults()
    };
    let committed = export(
        Destination::parse(&url).unwrap(),
        options,
        vec![("t", batches(0, 100, 50))],
    )
    .await;
    assert_eq!(
        committed.manifest_path,
        dir.path().join("lake/_manifest.json").display().to_string()
    );
    assert_eq!(
        names(dir.path()),
        [
            "lake/",
            "lake/_SUCCESS",
            "lake/_manifest.json",
            "lake/t/",
            "lake/t/part-00000.parquet",
            "lake/t/part-00001.parquet",
        ]
    );
}

#[tokio::test]
async fn a_commit_reports_every_table_it_opened() {
    let dir = TempDir::new("sink-unreported");
    let before = snapshot_with_folders(dir.path());
    let mut staging = Staging::open(local(dir.path()), defaults()).await.unwrap();
    let report = write_table(&mut staging, "a", batches(0, 10, 10)).await;
    let _b = staging.table("b", schema(), Vec::new()).unwrap();
    let e = staging.commit(vec![report], Value::Null).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("table 'b' was opened but not reported"),
        "{e}"
    );
    assert_eq!(snapshot_with_folders(dir.path()), before);
}

#[tokio::test]
async fn tables_and_batches_are_checked() {
    let dir = TempDir::new("sink-checks");
    let mut staging = Staging::open(local(dir.path()), defaults()).await.unwrap();
    for bad in ["../up", "_SUCCESS", "a//b", "_tsexport_staging"] {
        let e = staging.table(bad, schema(), Vec::new()).unwrap_err();
        assert!(matches!(e, SinkError::Usage { .. }), "{bad}: {e}");
    }
    let mut writer = staging.table("t", schema(), Vec::new()).unwrap();
    let e = staging.table("t", schema(), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("written twice"), "{e}");
    let wrong = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)])),
        vec![Arc::new(Int64Array::from(vec![1]))],
    )
    .unwrap();
    let e = writer.write(wrong).await.unwrap_err();
    assert!(matches!(e, SinkError::BatchSchema { .. }), "{e}");
    let e = writer.write(rows(0, 1)).await.unwrap_err();
    assert!(matches!(e, SinkError::Poisoned { .. }), "{e}");
    staging.abort().await.unwrap();
    assert!(names(dir.path()).is_empty());
}

#[tokio::test]
async fn killed_runs_are_deleted_or_rolled_forward_by_the_next_run() {
    let dir = TempDir::new("sink-killed");
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    // `done` gets a first export, then a second one that overwrites it: the end state.
    let done = dir.path().join("done");
    export(
        local(&done),
        options.clone(),
        vec![("", batches(0, 300, 100))],
    )
    .await;
    let killed = dir.path().join("killed");
    copy_tree(&done, &killed);
    let second = export(
        local(&done),
        options.clone(),
        vec![("", batches(1000, 150, 50))],
    )
    .await;
    let expected = snapshot_with_folders(&done);

    // `killed` has the first export and the second one killed mid-commit: its manifest is staged
    // (the commit point), `_SUCCESS` is gone, one file is already moved, one is still staged.
    let run = killed.join("_tsexport_staging").join(&second.run_id);
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(done.join("_manifest.json"), run.join("_manifest.json")).unwrap();
    std::fs::copy(
        done.join("part-00000.parquet"),
        killed.join("part-00000.parquet"),
    )
    .unwrap();
    std::fs::copy(
        done.join("part-00001.parquet"),
        run.join("part-00001.parquet"),
    )
    .unwrap();
    std::fs::remove_file(killed.join("_SUCCESS")).unwrap();
    // And an older run that was killed before its commit point.
    let abandoned = killed.join("_tsexport_staging/20200101T000000Z-1-deadbeef/sales");
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join("part-00000.parquet"), "half a file").unwrap();

    let staging = Staging::open(local(&killed), options).await.unwrap();
    assert_eq!(snapshot_with_folders(&killed), expected);
    staging.abort().await.unwrap();
    assert_eq!(snapshot_with_folders(&killed), expected);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_file_destination_gets_exactly_one_file() {
    let dir = TempDir::new("sink-single");
    let path = dir.path().join("out/sales.parquet");
    let committed = export(local(&path), defaults(), vec![("", batches(0, 400, 100))]).await;
    assert_eq!(committed.files[0].path, "sales.parquet");
    assert_eq!(
        names(dir.path()),
        [
            "out/",
            "out/sales.parquet",
            "out/sales.parquet.manifest.json"
        ]
    );
    assert_eq!(ids(&read_parquet(&path)), (0..400).collect::<Vec<_>>());
    let manifest = read_manifest(&local(&path)).await.unwrap().unwrap();
    assert_eq!(manifest.rows, 400);
    assert_eq!(manifest.tables[0].files[0].path, "sales.parquet");

    // Overwriting replaces it.
    export(local(&path), defaults(), vec![("", batches(7, 3, 3))]).await;
    assert_eq!(ids(&read_parquet(&path)), [7, 8, 9]);

    // What a single file cannot do is refused.
    let rotating = SinkOptions {
        max_rows_per_file: Some(10),
        ..defaults()
    };
    let e = Staging::open(local(&path), rotating).await.unwrap_err();
    assert!(e.to_string().contains("exactly one file"), "{e}");
    let csv = SinkOptions {
        format: FileFormat::Csv,
        ..defaults()
    };
    let e = Staging::open(local(&path), csv).await.unwrap_err();
    assert!(
        e.to_string().contains("does not match the format csv"),
        "{e}"
    );
    let mut staging = Staging::open(local(&path), defaults()).await.unwrap();
    let first = staging.table("a", schema(), Vec::new()).unwrap();
    let e = staging.table("b", schema(), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("holds one table"), "{e}");
    drop(first);
    staging.abort().await.unwrap();
    assert_eq!(
        names(dir.path()),
        [
            "out/",
            "out/sales.parquet",
            "out/sales.parquet.manifest.json"
        ]
    );
}

#[test]
fn the_stream_writer_writes_ipc_streams_csv_and_parquet() {
    let data = batches(0, 1000, 300);
    let write = |format: FileFormat| {
        let options = SinkOptions {
            format,
            ..defaults()
        };
        let mut writer =
            StreamWriter::with_metadata(Vec::new(), schema(), &options, &metadata()).unwrap();
        for batch in &data {
            writer.write(batch).unwrap();
        }
        assert_eq!(writer.rows(), 1000);
        writer.into_inner().unwrap()
    };

    let ipc = write(FileFormat::ArrowIpc);
    let read = arrow_ipc::reader::StreamReader::try_new(ipc.as_slice(), None)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(ids(&read), (0..1000).collect::<Vec<_>>());
    assert_rows_match(&read);

    let parquet = write(FileFormat::Parquet);
    let read = parquet_batches(Bytes::from(parquet));
    assert_eq!(ids(&read), (0..1000).collect::<Vec<_>>());

    let csv = String::from_utf8(write(FileFormat::Csv)).unwrap();
    assert!(
        csv.starts_with("id,name,amount\n0,,0.0\n"),
        "{}",
        &csv[..40]
    );
    assert_eq!(csv.lines().count(), 1001);
}

// ---------------------------------------------------------------------------------------------
// S3

/// Every object under `prefix` with its size and ETag (an MD5 of the content, or of the parts).
async fn s3_listing(store: &dyn ObjectStore, prefix: &str) -> BTreeMap<String, (u64, String)> {
    store
        .list(Some(&StorePath::from(prefix)))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .map(|object| {
            (
                object.location.to_string(),
                (object.size, object.e_tag.unwrap_or_default()),
            )
        })
        .collect()
}

async fn s3_get(store: &dyn ObjectStore, key: &str) -> Bytes {
    store
        .get(&StorePath::from(key))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_multi_file_export_commits_and_reads_back() {
    let server = start_s3().await;
    let store = server.store.as_ref();
    let options = SinkOptions {
        max_rows_per_file: Some(400),
        ..defaults()
    };
    let committed = export(
        server.destination("exports/sales"),
        options,
        vec![
            ("orders", batches(0, 1000, 300)),
            ("stores", batches(5000, 100, 100)),
        ],
    )
    .await;
    assert_eq!(
        committed.manifest_path,
        "s3://lake/exports/sales/_manifest.json"
    );

    let listing = s3_listing(store, "exports").await;
    let keys: Vec<&str> = listing.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "exports/sales/_SUCCESS",
            "exports/sales/_manifest.json",
            "exports/sales/orders/part-00000.parquet",
            "exports/sales/orders/part-00001.parquet",
            "exports/sales/orders/part-00002.parquet",
            "exports/sales/stores/part-00000.parquet",
        ]
    );
    let mut all = Vec::new();
    for index in 0..3 {
        let key = format!("exports/sales/orders/part-{index:05}.parquet");
        all.extend(parquet_batches(s3_get(store, &key).await));
    }
    assert_eq!(ids(&all), (0..1000).collect::<Vec<_>>());
    assert_rows_match(&all);

    let manifest = read_manifest(&server.destination("exports/sales"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(manifest.rows, 1100);
    assert_eq!(manifest.run_id, committed.run_id);
    for file in manifest.files() {
        let (size, _) = &listing[&format!("exports/sales/{}", file.path)];
        assert_eq!(*size, file.bytes);
    }
    assert!(s3_get(store, "exports/sales/_SUCCESS").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_overwrite_replaces_and_abort_leaves_things_as_they_were() {
    let server = start_s3().await;
    let store = server.store.as_ref();
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    export(
        server.destination("t"),
        options.clone(),
        vec![("", batches(0, 300, 100))],
    )
    .await;
    store
        .put(&StorePath::from("t/notes.txt"), Bytes::from("mine").into())
        .await
        .unwrap();

    export(
        server.destination("t"),
        options.clone(),
        vec![("", batches(500, 100, 100))],
    )
    .await;
    let listing = s3_listing(store, "t").await;
    let keys: Vec<&str> = listing.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "t/_SUCCESS",
            "t/_manifest.json",
            "t/notes.txt",
            "t/part-00000.parquet"
        ]
    );
    let read = parquet_batches(s3_get(store, "t/part-00000.parquet").await);
    assert_eq!(ids(&read), (500..600).collect::<Vec<_>>());

    let mut staging = Staging::open(server.destination("t"), options)
        .await
        .unwrap();
    write_table(&mut staging, "", batches(0, 250, 50)).await;
    assert!(!s3_listing(store, "t/_tsexport_staging").await.is_empty());
    staging.abort().await.unwrap();
    assert_eq!(s3_listing(store, "t").await, listing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_dropped_run_is_cleaned_up_in_the_background() {
    let server = start_s3().await;
    let store = server.store.as_ref();
    export(
        server.destination("d"),
        defaults(),
        vec![("", batches(0, 10, 10))],
    )
    .await;
    let before = s3_listing(store, "d").await;
    let mut staging = Staging::open(server.destination("d"), defaults())
        .await
        .unwrap();
    write_table(&mut staging, "", batches(0, 100, 10)).await;
    assert_ne!(s3_listing(store, "d").await, before);
    drop(staging);
    let mut cleaned = false;
    for _ in 0..200 {
        if s3_listing(store, "d").await == before {
            cleaned = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(cleaned, "{:?}", s3_listing(store, "d").await);
}

/// The listing under `prefix` with keys relative to it.
async fn s3_relative_listing(
    store: &dyn ObjectStore,
    prefix: &str,
) -> BTreeMap<String, (u64, String)> {
    s3_listing(store, prefix)
        .await
        .into_iter()
        .map(|(key, value)| (key[prefix.len() + 1..].to_string(), value))
        .collect()
}

async fn s3_copy(store: &dyn ObjectStore, from: &str, to: &str) {
    store
        .copy(&StorePath::from(from), &StorePath::from(to))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_killed_runs_are_deleted_or_rolled_forward_by_the_next_run() {
    let server = start_s3().await;
    let store = server.store.as_ref();
    let options = SinkOptions {
        max_rows_per_file: Some(100),
        ..defaults()
    };
    // `done` ends with the second export over the first; `killed` had the first, and the second
    // was killed mid-commit with one file moved and one still staged.
    for prefix in ["done", "killed"] {
        export(
            server.destination(prefix),
            options.clone(),
            vec![("", batches(0, 300, 100))],
        )
        .await;
    }
    let second = export(
        server.destination("done"),
        options.clone(),
        vec![("", batches(1000, 150, 50))],
    )
    .await;
    let expected = s3_relative_listing(store, "done").await;

    let run = format!("killed/_tsexport_staging/{}", second.run_id);
    s3_copy(
        store,
        "done/_manifest.json",
        &format!("{run}/_manifest.json"),
    )
    .await;
    s3_copy(
        store,
        "done/part-00000.parquet",
        "killed/part-00000.parquet",
    )
    .await;
    s3_copy(
        store,
        "done/part-00001.parquet",
        &format!("{run}/part-00001.parquet"),
    )
    .await;
    store
        .delete(&StorePath::from("killed/_SUCCESS"))
        .await
        .unwrap();
    store
        .put(
            &StorePath::from("killed/_tsexport_staging/20200101T000000Z-1-deadbeef/x.parquet"),
            Bytes::from("half a file").into(),
        )
        .await
        .unwrap();

    let staging = Staging::open(server.destination("killed"), options)
        .await
        .unwrap();
    assert_eq!(s3_relative_listing(store, "killed").await, expected);
    staging.abort().await.unwrap();
    assert_eq!(s3_relative_listing(store, "killed").await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_big_files_go_up_in_parts_and_aborted_uploads_leave_nothing() {
    let server = start_s3().await;
    let store = server.store.as_ref();
    let options = SinkOptions {
        codec: Codec::None,
        row_group_rows: 1024,
        ..defaults()
    };
    // 24 batches of 512 KiB: 12 MiB in one file.
    let data: Vec<RecordBatch> = (0..24)
        .map(|seed| incompressible(seed, 512, 1024))
        .collect();
    let expected_blobs: usize = data.iter().map(RecordBatch::num_rows).sum();

    let mut staging = Staging::open(server.destination("big"), options.clone())
        .await
        .unwrap();
    let mut writer = staging.table("", data[0].schema(), Vec::new()).unwrap();
    for batch in data.clone() {
        writer.write(batch).await.unwrap();
    }
    let report = writer.finish().await.unwrap();
    assert!(report.bytes > 12 << 20, "{}", report.bytes);
    let committed = staging.commit(vec![report], Value::Null).await.unwrap();

    let key = "big/part-00000.parquet";
    let head = store.head(&StorePath::from(key)).await.unwrap();
    assert_eq!(head.size, committed.bytes);
    // A multipart object's ETag is `<md5 of the part md5s>-<number of parts>`.
    let e_tag = head.e_tag.unwrap();
    assert!(e_tag.trim_matches('"').ends_with("-2"), "{e_tag}");
    let read = parquet_batches(s3_get(store, key).await);
    assert_eq!(
        read.iter().map(RecordBatch::num_rows).sum::<usize>(),
        expected_blobs
    );
    assert_eq!(&read[0].column(0).slice(0, 512), data[0].column(0));
    assert!(s3_listing(store, "big/_tsexport_staging").await.is_empty());
    assert!(open_upload_parts(&server).is_empty());

    // An upload that is already in parts when the run is aborted is aborted too.
    let before = s3_listing(store, "big").await;
    let mut staging = Staging::open(server.destination("big"), options)
        .await
        .unwrap();
    let mut writer = staging.table("", data[0].schema(), Vec::new()).unwrap();
    for batch in data {
        writer.write(batch).await.unwrap();
    }
    assert!(eventually(|| !open_upload_parts(&server).is_empty()).await);
    staging.abort().await.unwrap();
    drop(writer);
    assert!(open_upload_parts(&server).is_empty());
    assert_eq!(s3_listing(store, "big").await, before);
}
