//! Storage that fails under an export: a full disk and a read-only folder (real tmpfs mounts, when
//! the tests run as root, as CI does), an S3 server that fails a part mid-upload, and one that stops
//! mid-upload. Each ends in a clear error with the destination exactly as it was; an upload the
//! server can still hear about is aborted.

use crate::common::files;
use crate::common::s3;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use async_trait::async_trait;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use serde_json::Value;
use tsexport::sink::{Codec, Destination, SinkOptions, Staging};
use tsexport_emulator::Emulator;

use crate::common::TempDir;
use crate::common::{output_text, run_cli};
use s3::{eventually, incompressible, open_upload_parts, start_s3};

const QUERY: &str = "[Order Line ID] [Region] [Sales] [Order Date] sort by [Order Line ID]";

/// A tmpfs mounted for one test, unmounted on drop.
struct Mount {
    dir: TempDir,
}

impl Mount {
    /// A tmpfs of `size` (e.g. `1m`), or `None` where this process may not mount (not root). As root,
    /// a failed mount fails the test: CI runs as root and must run these.
    fn tmpfs(size: &str) -> Option<Mount> {
        let dir = TempDir::new("tmpfs");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        match status {
            Ok(status) if status.success() => Some(Mount { dir }),
            other if is_root() => panic!("mounting a tmpfs as root failed: {other:?}"),
            _ => {
                eprintln!("SKIPPED: not root, so no tmpfs to fill or make read-only");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() == 0 }
}

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

async fn emulator(rows: u64) -> Emulator {
    Emulator::builder()
        .rows(rows)
        .start()
        .await
        .expect("emulator")
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

/// An object store that passes everything through, but fails every multipart part after the first
/// `parts_ok`, as a server answering 503 or a network dropping mid-upload would.
#[derive(Debug)]
struct FailingParts {
    inner: Arc<dyn ObjectStore>,
    parts_ok: usize,
    parts_sent: Arc<AtomicUsize>,
}

impl fmt::Display for FailingParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FailingParts({})", self.inner)
    }
}

#[derive(Debug)]
struct FailingUpload {
    inner: Box<dyn MultipartUpload>,
    parts_ok: usize,
    parts_sent: Arc<AtomicUsize>,
}

#[async_trait]
impl MultipartUpload for FailingUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        if self.parts_sent.fetch_add(1, Ordering::SeqCst) < self.parts_ok {
            return self.inner.put_part(data);
        }
        Box::pin(async {
            Err(object_store::Error::Generic {
                store: "S3",
                source: "injected: 503 Slow Down while uploading a part".into(),
            })
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}

#[async_trait]
impl ObjectStore for FailingParts {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        Ok(Box::new(FailingUpload {
            inner: self.inner.put_multipart_opts(location, opts).await?,
            parts_ok: self.parts_ok,
            parts_sent: self.parts_sent.clone(),
        }))
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    /// Passed through whole, so that a single delete reaches the server as the inner store sends
    /// it (since object_store 0.13, S3's is a one-key bulk DeleteObjects request).
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    /// Both copy modes (overwrite, and create-if-absent) arrive here as options.
    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

fn destination(store: Arc<dyn ObjectStore>, prefix: &str) -> Destination {
    Destination::Store {
        url: format!("s3://lake/{prefix}"),
        store,
        path: StorePath::from(prefix),
    }
}

fn uncompressed() -> SinkOptions {
    SinkOptions {
        codec: Codec::None,
        row_group_rows: 1024,
        ..SinkOptions::default()
    }
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

    let failing = Arc::new(FailingParts {
        inner: server.store.clone(),
        parts_ok: 1,
        parts_sent: Arc::new(AtomicUsize::new(0)),
    });
    let error = write_and_commit(destination(failing.clone(), "big"), big_table())
        .await
        .expect_err("a failed part fails the export");
    assert!(error.contains("503 Slow Down"), "{error}");
    assert!(
        error.contains("s3://lake/big"),
        "the error names the destination: {error}"
    );
    assert!(
        failing.parts_sent.load(Ordering::SeqCst) >= 2,
        "it got to a second part"
    );
    assert!(
        eventually(|| open_upload_parts(&server).is_empty()).await,
        "the multipart upload is aborted: {:?}",
        open_upload_parts(&server)
    );
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
