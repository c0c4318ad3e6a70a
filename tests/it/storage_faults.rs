//! Storage that fails under an export: a full disk and a read-only folder (real tmpfs mounts, when
//! the tests run as root, as CI does), an S3 server that fails a part mid-upload, and one that stops
//! mid-upload. Each ends in a clear error with the destination exactly as it was; an upload the
//! server can still hear about is aborted.

use crate::common::files;
use crate::common::s3;

use std::path::{Path, PathBuf};
use std::time::Duration;

use arrow_array::RecordBatch;
use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::ObjectStore;
use serde_json::Value;
use tsexport::sink::{Destination, Staging};
use tsexport_emulator::Emulator;

use crate::common::failing_store::{assert_part_failed, destination, uncompressed, Fault, Faulty};
use crate::common::tmpfs::Mount;
use crate::common::{emulator, output_text, run_cli};
use s3::{eventually, incompressible, open_upload_parts, start_s3};

const QUERY: &str = "[Order Line ID] [Region] [Sales] [Order Date] sort by [Order Line ID]";

async fn export(emu: &Emulator, out: &Path) -> std::process::Output {
    let url = emu.base_url();
    let out = out.display().to_string();
    run_cli(
        &["search", QUERY, "-s", "Retail Sales", "-o", &out],
        &[
            ("TSEXPORT_URL", url.as_str()),
            ("TSEXPORT_USERNAME", "tsadmin"),
            ("TSEXPORT_PASSWORD", "admin"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_cleanly_and_keeps_the_previous_version() {
    let Some(mount) = Mount::tmpfs("1m") else {
        return;
    };
    let out = mount.path().join("sales");
    let small = emulator(2_000).await;
    let output = export(&small, &out).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let before = files::snapshot(&out);

    // A few MB of Parquet into what is left of 1 MiB.
    let big = emulator(300_000).await;
    let output = export(&big, &out).await;
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains(&out.display().to_string()), "{text}");
    assert_eq!(
        files::snapshot(&out),
        before,
        "the previous version stays, and nothing staged is left"
    );
    assert!(
        !out.join(tsexport::sink::STAGING_DIR).exists()
            || std::fs::read_dir(out.join(tsexport::sink::STAGING_DIR))
                .map(|d| d.count() == 0)
                .unwrap_or(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_destination_fails_cleanly_and_changes_nothing() {
    let Some(mount) = Mount::tmpfs("4m") else {
        return;
    };
    let out = mount.path().join("sales");
    let emu = emulator(2_000).await;
    let output = export(&emu, &out).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let before = files::snapshot(&out);
    mount.read_only();

    let output = export(&emu, &out).await;
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("Read-only file system"), "{text}");
    assert!(text.contains(&out.display().to_string()), "{text}");
    assert_eq!(files::snapshot(&out), before);
}

/// 24 batches of 512 KiB: a 12 MiB file, which goes up in two 10 MiB-or-less parts.
fn big_table() -> Vec<RecordBatch> {
    (0..24)
        .map(|seed| incompressible(seed, 512, 1024))
        .collect()
}

/// Every object under `prefix`, with its size.
async fn listing(store: &dyn ObjectStore, prefix: &str) -> Vec<(String, u64)> {
    let mut objects: Vec<(String, u64)> = store
        .list(Some(&StorePath::from(prefix)))
        .map_ok(|meta| (meta.location.to_string(), meta.size))
        .try_collect()
        .await
        .expect("list");
    objects.sort();
    objects
}

/// Writes `data` as one table and commits; the error, if any, as text.
async fn write_and_commit(destination: Destination, data: Vec<RecordBatch>) -> Result<(), String> {
    let mut staging = Staging::open(destination, uncompressed())
        .await
        .map_err(|e| e.to_string())?;
    let mut writer = staging
        .table("", data[0].schema(), Vec::new())
        .map_err(|e| e.to_string())?;
    for batch in data {
        writer.write(batch).await.map_err(|e| e.to_string())?;
    }
    let report = writer.finish().await.map_err(|e| e.to_string())?;
    staging
        .commit(vec![report], Value::Null)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_failing_mid_upload_aborts_the_multipart_upload_and_changes_nothing() {
    let server = start_s3().await;
    write_and_commit(server.destination("big"), vec![incompressible(99, 64, 64)])
        .await
        .expect("the previous version");
    let before = listing(server.store.as_ref(), "big").await;

    let failing = Faulty::new(server.store.clone(), Fault::Parts);
    let error = write_and_commit(destination(failing.clone(), "big"), big_table())
        .await
        .expect_err("a failed part fails the export");
    assert_part_failed(&server, &failing, &error, "s3://lake/big", "destination").await;
    assert_eq!(listing(server.store.as_ref(), "big").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_stopping_mid_upload_fails_cleanly_and_the_next_run_completes() {
    let server = start_s3().await;
    write_and_commit(server.destination("big"), vec![incompressible(99, 64, 64)])
        .await
        .expect("the previous version");
    let before = listing(server.store.as_ref(), "big").await;
    let bucket: PathBuf = server.tempdir.path().join("lake");
    let objects_before = files::snapshot(&bucket);

    // Few, quick retries: a stopped server does not come back within this export.
    let retry = object_store::RetryConfig {
        max_retries: 1,
        retry_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let store = server.client(retry);
    let data = big_table();
    let mut staging = Staging::open(destination(store, "big"), uncompressed())
        .await
        .expect("open");
    let mut writer = staging
        .table("", data[0].schema(), Vec::new())
        .expect("table");
    let mut failed = None;
    for (index, batch) in data.into_iter().enumerate() {
        if index == 22 {
            // The first part is up or on its way: the server dies.
            assert!(eventually(|| !open_upload_parts(&server).is_empty()).await);
            server.stop();
        }
        if let Err(e) = writer.write(batch).await {
            failed = Some(e.to_string());
            break;
        }
    }
    let error = match failed {
        Some(error) => error,
        None => writer.finish().await.expect_err("finish fails").to_string(),
    };
    assert!(error.contains("s3://lake/big"), "{error}");
    drop(staging);
    // Nothing new among the objects the (stopped) server holds.
    assert_eq!(files::snapshot(&bucket), objects_before);

    // The server comes back; the next run completes and clears the staging area.
    let server = server.restart().await;
    assert_eq!(listing(server.store.as_ref(), "big").await, before);
    write_and_commit(server.destination("big"), big_table())
        .await
        .expect("the next run");
    let after = listing(server.store.as_ref(), "big").await;
    assert!(
        after
            .iter()
            .all(|(key, _)| !key.contains("_tsexport_staging")),
        "{after:?}"
    );
    assert!(after.iter().any(|(_, size)| *size > 12 << 20), "{after:?}");
    // The upload the stopped server held cannot be aborted through object_store, which has no way
    // to list open uploads; it holds no visible object. Say how many there are.
    println!(
        "multipart uploads the stopped server still holds: {}",
        open_upload_parts(&server)
            .iter()
            .filter(|name| name.ends_with(".json"))
            .count()
    );
}
