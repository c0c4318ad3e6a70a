//! Faults under a Delta table destination (`--format delta`). The `tsexport` binary is SIGKILLed at
//! seeded random moments of an export to a local table and to one on the S3 test server, and the
//! destination fails under a second export: a full disk, a read-only folder, an S3 part that fails,
//! the S3 server stopping mid-upload or at the commit, the answer to the commit's put lost, a
//! checkpoint that cannot be written. After each, every reader reads one whole version of the
//! table: the previous one with the same rows, or the new one complete; never a part of one, and
//! never a version whose files are gone. A failed export adds no log entry, and the next export
//! completes.
//!
//! The binary runs where a fault can be made from outside it (kills, tmpfs mounts, a folder in the
//! way of a checkpoint); the faults an object store makes run through the library's table API
//! (`tsexport::lake`) with a `Faulty` store (`common::failing_store`) injected as `Destination::Store`, committing as
//! `src/export/table.rs` does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use serde_json::{json, Value};
use tsexport::lake::delta::{Committed, Table, TableCommit, CHECKPOINT_INTERVAL};
use tsexport::lake::{LakeError, Replace, TableFiles, TablePlan};
use tsexport::sink::{DataFiles, Destination, FileReport, WriteMode};
use tsexport_emulator::rng::SplitMix64;
use tsexport_emulator::Emulator;

use crate::common::delta::{column_index, log, read_by_both, read_with};
use crate::common::failing_store::{assert_part_failed, destination, uncompressed, Fault, Faulty};
use crate::common::kill;
use crate::common::s3::{eventually, incompressible, open_upload_parts, start_s3, S3Server};
use crate::common::tmpfs::Mount;
use crate::common::{emulator, files, output_text, run_cli, TempDir};

/// Two versions of one table, told apart by their second column (an overwrite may replace the
/// table's schema): the query, and the second column's name in the table.
const VERSIONS: [(&str, &str); 2] = [
    ("[Order Line ID] [Region] sort by [Order Line ID]", "region"),
    (
        "[Order Line ID] [Quantity] sort by [Order Line ID]",
        "total_quantity",
    ),
];

/// Rows of the killed exports: four pages, four files.
const KILL_ROWS: u64 = 20_000;
/// Kills per destination.
const KILLS: usize = 10;

/// `tsexport search QUERY --out OUT --format delta`, with pages and files of 5,000 rows.
fn export_args(query: &str, out: &str) -> Vec<String> {
    [
        "search",
        query,
        "-s",
        "Retail Sales",
        "-o",
        out,
        "--format",
        "delta",
        "--page-size",
        "5000",
        "--max-rows-per-file",
        "5000",
        "--quiet",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs an export to the table at `out` to the end.
async fn export(
    emu: &Emulator,
    query: &str,
    out: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let url = emu.base_url();
    let mut all = vec![
        ("TSEXPORT_URL", url.as_str()),
        ("TSEXPORT_USERNAME", "tsadmin"),
        ("TSEXPORT_PASSWORD", "admin"),
    ];
    all.extend_from_slice(env);
    let args = export_args(query, out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_cli(&args, &all).await
}

/// The files the table's log names in its newest version (adds minus removes, replayed from
/// every commit entry).
fn live_files(table: &Path) -> BTreeSet<String> {
    let mut live = BTreeSet::new();
    for actions in log(table).values() {
        for action in actions {
            if let Some(path) = action.get("add").and_then(|a| a["path"].as_str()) {
                live.insert(path.to_string());
            }
            if let Some(path) = action.get("remove").and_then(|r| r["path"].as_str()) {
                live.remove(path);
            }
        }
    }
    live
}

/// The files the newest version names that are not there (the table's paths need no decoding:
/// tsexport's file names and unpartitioned tables). Empty for a table every reader can read.
fn missing_files(table: &Path) -> Vec<String> {
    live_files(table)
        .into_iter()
        .filter(|path| !table.join(path).is_file())
        .collect()
}

/// The data files under the table.
fn data_files(table: &Path) -> BTreeSet<String> {
    files::snapshot(table)
        .into_keys()
        .filter(|name| name.ends_with(".parquet") && !name.starts_with("_delta_log/"))
        .collect()
}

/// The versions the table's log holds.
fn log_versions(table: &Path) -> Vec<i64> {
    log(table).keys().copied().collect()
}

/// The `order_line_id` values a reader read, in order.
fn ids_read(read: &Value) -> Vec<i64> {
    let index = column_index(read, "order_line_id");
    let mut ids: Vec<i64> = read["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row[index].as_i64().expect("an integer id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn column_names(read: &Value) -> Vec<&str> {
    read["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().expect("a column name"))
        .collect()
}

/// Checks that `read` is the whole of a version written by `VERSIONS[which]`.
fn assert_whole(read: &Value, which: usize, rows: u64, context: &str) {
    assert_eq!(
        column_names(read),
        ["order_line_id", VERSIONS[which].1],
        "{context}: the columns of the version read"
    );
    let expected: Vec<i64> = (1..=rows as i64).collect();
    let ids = ids_read(read);
    assert!(
        ids == expected,
        "{context}: {} rows read ({} distinct ids), {rows} expected: a part of a version",
        ids.len(),
        ids.iter().collect::<BTreeSet<_>>().len()
    );
}

// ----------------------------------------------------------------------------------------------
// SIGKILL at random moments
// ----------------------------------------------------------------------------------------------

/// A table the binary exports to.
struct Place {
    /// `--out`, and the table as the readers open it.
    uri: String,
    /// What tsexport and the readers reach it with.
    env: Vec<(&'static str, String)>,
    /// The table's files on this machine (the S3 test server keeps each object as a file).
    dir: PathBuf,
}

impl Place {
    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Starts an export of `query` and SIGKILLs it after `after`; whether it was still running.
async fn kill_after(emu: &Emulator, place: &Place, query: &str, after: Duration) -> bool {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsexport"));
    command
        .args(export_args(query, &place.uri))
        .env("TSEXPORT_URL", emu.base_url())
        .env("TSEXPORT_USERNAME", "tsadmin")
        .env("TSEXPORT_PASSWORD", "admin")
        .envs(place.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    kill::kill_after(command, after).await
}

/// Version 0, then `KILLS` trials: an export of the other version is killed, the table must read
/// at the old version or as the new one complete, and the same export then runs to the end.
async fn kill_trials(place: Place, seed: u64) {
    let emu = emulator(KILL_ROWS).await;
    let env = place.env();
    let started = Instant::now();
    let output = export(&emu, VERSIONS[0].0, &place.uri, &env).await;
    // How long a whole export takes: the last one, as the machine's load changes.
    let mut full = started.elapsed();
    assert!(output.status.success(), "{}", output_text(&output));
    let read = read_by_both(&place.uri, &env).await;
    assert_eq!(read["version"], 0);
    assert_whole(&read, 0, KILL_ROWS, "version 0");

    let mut random = SplitMix64::new(seed);
    let (mut version, mut shown) = (0_i64, 0_usize);
    let (mut killed_running, mut committed_when_killed, mut left_files) = (0, 0, 0);
    for trial in 0..KILLS {
        let next = 1 - shown;
        // From a quarter into a whole export (past start-up and sign-in, mostly) to just past
        // its end: while files are written and committed.
        let after = full.mul_f64(0.25 + 0.85 * (random.next_u64() % 1000) as f64 / 1000.0);
        let context = format!(
            "{}, seed {seed:#x}, trial {trial}, killed after {after:?} (a whole export takes {full:?})",
            place.uri
        );
        let files_before = data_files(&place.dir);
        killed_running += usize::from(kill_after(&emu, &place, VERSIONS[next].0, after).await);
        // Killed between writing files and committing them: new files no version names.
        let live = live_files(&place.dir);
        left_files += usize::from(
            data_files(&place.dir)
                .iter()
                .any(|name| !files_before.contains(name) && !live.contains(name)),
        );

        let missing = missing_files(&place.dir);
        assert!(
            missing.is_empty(),
            "{context}: the log names files that are not there: {missing:?}"
        );
        let read = read_with("deltalake", &place.uri, None, &env).await;
        match read["version"].as_i64() {
            Some(seen) if seen == version => {
                assert_whole(&read, shown, KILL_ROWS, &format!("{context}, old version"))
            }
            Some(seen) if seen == version + 1 => {
                assert_whole(&read, next, KILL_ROWS, &format!("{context}, new version"));
                committed_when_killed += 1;
            }
            other => panic!(
                "{context}: the table reads at version {other:?}, not {version} or {}",
                version + 1
            ),
        }
        let seen = read["version"].as_i64().expect("version");

        // The next export completes, and every reader reads exactly its rows.
        let started = Instant::now();
        let output = export(&emu, VERSIONS[next].0, &place.uri, &env).await;
        full = started.elapsed();
        assert!(
            output.status.success(),
            "{context}: the export after the kill: {}",
            output_text(&output)
        );
        version = seen + 1;
        shown = next;
        let read = read_by_both(&place.uri, &env).await;
        assert_eq!(
            read["version"].as_i64(),
            Some(version),
            "{context}: the export after the kill"
        );
        assert_whole(
            &read,
            shown,
            KILL_ROWS,
            &format!("{context}, the export after it"),
        );
        assert!(
            missing_files(&place.dir).is_empty(),
            "{context}: the export after the kill"
        );
        assert_eq!(
            log_versions(&place.dir),
            (0..=version).collect::<Vec<_>>(),
            "{context}: one log entry per version, none torn or skipped"
        );
    }
    println!(
        "{}: {KILLS} kills over exports of {full:?} at the end ({killed_running} mid-run, {left_files} leaving files no version names, {committed_when_killed} after the commit); the table at version {version}",
        place.uri
    );
    kill::assert_most_landed_mid_run(killed_running, KILLS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_delta_exports_to_disk_leave_the_old_or_the_new_version() {
    let dir = TempDir::new("delta-kill-disk");
    let table = dir.path().join("sales");
    let place = Place {
        uri: table.display().to_string(),
        env: Vec::new(),
        dir: table,
    };
    kill_trials(place, 0x6b69_6c6c_6474).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_delta_exports_to_s3_leave_the_old_or_the_new_version() {
    let server = start_s3().await;
    let place = Place {
        uri: format!("s3://{}/retail/sales", server.bucket),
        env: server
            .aws_env()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        dir: server
            .tempdir
            .path()
            .join(&server.bucket)
            .join("retail/sales"),
    };
    kill_trials(place, 0x0053_3364_6c74).await;
}

// ----------------------------------------------------------------------------------------------
// The binary: a full disk, a read-only folder, a checkpoint that cannot be written
// ----------------------------------------------------------------------------------------------

/// A second export that fails on the destination: exit 1 with `reason` and the table named, and
/// the table exactly as it was, read the same by every reader.
async fn assert_failed_cleanly(
    output: &std::process::Output,
    table: &Path,
    reason: &str,
    before: &BTreeMap<String, Vec<u8>>,
    read_before: &Value,
) {
    let text = output_text(output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains(reason), "{text}");
    assert!(text.contains(&table.display().to_string()), "{text}");
    let after = files::snapshot(table);
    let log_of = |files: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .filter(|(name, _)| name.starts_with("_delta_log/"))
            .map(|(name, bytes)| (name.clone(), bytes.clone()))
            .collect()
    };
    assert!(
        log_of(&after) == log_of(before),
        "the log is as it was:\n{}",
        files::listing(&after)
    );
    assert!(missing_files(table).is_empty());
    let read = read_by_both(table.to_str().expect("a UTF-8 path"), &[]).await;
    assert_eq!(read, *read_before, "the readers read the previous version");
    // A failed export deletes the files it wrote (docs/delta.md, Commits).
    assert!(
        after == *before,
        "no file of the failed run stays:\nbefore\n{}\nafter\n{}",
        files::listing(before),
        files::listing(&after)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_export_and_the_table_keeps_its_version() {
    let Some(mount) = Mount::tmpfs("1m") else {
        return;
    };
    let table = mount.path().join("sales");
    let uri = table.to_str().expect("a UTF-8 path");
    let small = emulator(2_000).await;
    let output = export(&small, VERSIONS[0].0, uri, &[]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let before = files::snapshot(&table);
    let read_before = read_with("deltalake", uri, None, &[]).await;
    assert_eq!(read_before["version"], 0);
    assert_whole(&read_before, 0, 2_000, "version 0");

    // A few MB of Parquet into what is left of 1 MiB.
    let big = emulator(300_000).await;
    let output = export(&big, VERSIONS[1].0, uri, &[]).await;
    assert_failed_cleanly(
        &output,
        &table,
        "No space left on device",
        &before,
        &read_before,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_table_fails_the_export_and_keeps_its_version() {
    let Some(mount) = Mount::tmpfs("4m") else {
        return;
    };
    let table = mount.path().join("sales");
    let uri = table.to_str().expect("a UTF-8 path");
    let emu = emulator(2_000).await;
    let output = export(&emu, VERSIONS[0].0, uri, &[]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let before = files::snapshot(&table);
    let read_before = read_with("deltalake", uri, None, &[]).await;
    assert_eq!(read_before["version"], 0);
    mount.read_only();

    let output = export(&emu, VERSIONS[1].0, uri, &[]).await;
    assert_failed_cleanly(
        &output,
        &table,
        "Read-only file system",
        &before,
        &read_before,
    )
    .await;
}

/// Version 9 of a table tsexport creates comes with a checkpoint. The commit's log entry is written
/// first; when the checkpoint then cannot be written (a folder holds its name here, as a failed PUT
/// or a full quota would fail it), the version is in the log whatever the export reports, so its
/// files must stay: every reader must still read the table, the new version whole if the export
/// succeeded, the previous one if it failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_that_cannot_be_written_never_leaves_a_version_without_its_files() {
    const ROWS: u64 = 500;
    let emu = emulator(ROWS).await;
    let dir = TempDir::new("delta-checkpoint");
    let table = dir.path().join("sales");
    let uri = table.to_str().expect("a UTF-8 path");
    let before_checkpoint = i64::from(CHECKPOINT_INTERVAL) - 2;
    for _ in 0..=before_checkpoint {
        let output = export(&emu, VERSIONS[0].0, uri, &[]).await;
        assert!(output.status.success(), "{}", output_text(&output));
    }
    let versions = log_versions(&table);
    assert_eq!(versions.last(), Some(&before_checkpoint));
    let read_before = read_with("deltalake", uri, None, &[]).await;
    assert_eq!(read_before["version"], before_checkpoint);

    let checkpoint = table.join(format!(
        "_delta_log/{:020}.checkpoint.parquet",
        before_checkpoint + 1
    ));
    std::fs::create_dir(&checkpoint).expect("a folder in the checkpoint's way");
    let output = export(&emu, VERSIONS[1].0, uri, &[]).await;
    std::fs::remove_dir(&checkpoint).expect("the fault passes");

    let missing = missing_files(&table);
    assert!(
        missing.is_empty(),
        "the export {}, the log is at version {:?}, and that version names files that are gone \
         (every reader fails): {missing:?}\n{}",
        match output.status.code() {
            Some(0) => "succeeded".to_string(),
            code => format!("failed (exit {code:?})"),
        },
        log_versions(&table).last(),
        output_text(&output)
    );
    let read = read_by_both(uri, &[]).await;
    if output.status.success() {
        assert_eq!(read["version"], before_checkpoint + 1);
        assert_whole(&read, 1, ROWS, "the version committed");
    } else {
        assert_eq!(log_versions(&table), versions, "{}", output_text(&output));
        assert_eq!(read, read_before, "{}", output_text(&output));
    }

    // The next export completes.
    let output = export(&emu, VERSIONS[1].0, uri, &[]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let read = read_by_both(uri, &[]).await;
    assert_whole(&read, 1, ROWS, "the export after it");
    assert!(missing_files(&table).is_empty());
}

// ----------------------------------------------------------------------------------------------
// An object store that fails: through the library's table API
// ----------------------------------------------------------------------------------------------

/// `count` rows from `Order Line ID` `first` on, each with a `Blob` of `width` random hex digits.
fn rows(seed: u64, first: i64, count: usize, width: usize) -> RecordBatch {
    let random = incompressible(seed, count, width / 2);
    let blobs: StringArray = random
        .column(0)
        .as_binary::<i32>()
        .iter()
        .map(|bytes| bytes.map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
        .collect();
    let ids = Int64Array::from_iter_values(first..first + count as i64);
    RecordBatch::try_from_iter([
        ("Order Line ID", Arc::new(ids) as ArrayRef),
        ("Blob", Arc::new(blobs) as ArrayRef),
    ])
    .expect("batch")
}

/// 24 batches of 512 rows of 1 KiB: a 12 MiB file, which goes up in two parts.
fn big_table() -> Vec<RecordBatch> {
    (0..24)
        .map(|n| rows(n, 1 + 512 * n as i64, 512, 1024))
        .collect()
}

/// One commit to a Delta table through the library's table API, made as an export to a table
/// makes it (`Export::run_table`): the data files at their final paths, then one log entry that
/// replaces every file; when writing fails the writer is aborted, and when the commit fails the
/// run's files are deleted, unless the commit may have landed (`LakeError::Unsettled`).
struct TableRun {
    table: Table,
    files: DataFiles,
    writer: Option<TableFiles>,
}

impl TableRun {
    async fn open(destination: &Destination) -> Result<TableRun, String> {
        let table = Table::open(destination).await.map_err(|e| e.to_string())?;
        let files = DataFiles::open(destination, uncompressed()).map_err(|e| e.to_string())?;
        Ok(TableRun {
            table,
            files,
            writer: None,
        })
    }

    async fn write(&mut self, batch: RecordBatch) -> Result<(), String> {
        if self.writer.is_none() {
            let plan = TablePlan::new(&batch.schema(), None).map_err(|e| e.to_string())?;
            self.writer = Some(TableFiles::new(self.files.clone(), plan, Vec::new(), None));
        }
        let writer = self.writer.as_mut().expect("a writer");
        if let Err(error) = writer.write(batch).await {
            if let Some(writer) = self.writer.take() {
                let _ = writer.abort().await;
            }
            return Err(error.to_string());
        }
        Ok(())
    }

    async fn commit(mut self) -> Result<Committed, String> {
        let writer = self.writer.take().expect("rows were written");
        let plan = writer.plan().clone();
        let partitions = writer.finish().await.map_err(|e| e.to_string())?;
        let written: Vec<FileReport> = partitions
            .iter()
            .flat_map(|p| p.files.iter().cloned())
            .collect();
        let commit = TableCommit {
            plan: &plan,
            partitions: &partitions,
            replace: Replace::Everything,
            mode: WriteMode::Overwrite,
            add_columns: true,
            transactions: Vec::new(),
            progress: None,
            info: json!({ "run": self.files.run_id() }),
            run: self.files.run_id().to_string(),
        };
        match self.table.commit(&commit).await {
            Ok(committed) => Ok(committed),
            // A commit that may yet have landed keeps the files its log entry would name.
            Err(error @ LakeError::Unsettled { .. }) => Err(error.to_string()),
            Err(error) => {
                let _ = self.files.delete(&written).await;
                Err(error.to_string())
            }
        }
    }
}

async fn commit_rows(
    destination: &Destination,
    batches: Vec<RecordBatch>,
) -> Result<Committed, String> {
    let mut run = TableRun::open(destination).await?;
    for batch in batches {
        run.write(batch).await?;
    }
    run.commit().await
}

fn s3_uri(server: &S3Server, prefix: &str) -> String {
    format!("s3://{}/{prefix}", server.bucket)
}

/// The table's objects on the server, as files.
fn table_dir(server: &S3Server, prefix: &str) -> PathBuf {
    server.tempdir.path().join(&server.bucket).join(prefix)
}

/// Commits version 0 of the table at `prefix` (64 rows) and reads it.
async fn first_version(server: &S3Server, prefix: &str) -> Value {
    let committed = commit_rows(&server.destination(prefix), vec![rows(99, 1, 64, 32)])
        .await
        .expect("version 0");
    assert_eq!(committed.version, 0);
    let read = read_with(
        "deltalake",
        &s3_uri(server, prefix),
        None,
        &server.aws_env(),
    )
    .await;
    assert_eq!(
        (read["version"].as_i64(), read["num_rows"].as_u64()),
        (Some(0), Some(64))
    );
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_failing_a_part_fails_the_commit_and_the_table_keeps_its_version() {
    let server = start_s3().await;
    let read_before = first_version(&server, "parts").await;
    let before = files::snapshot(&table_dir(&server, "parts"));

    let faulty = Faulty::new(server.store.clone(), Fault::Parts);
    let error = commit_rows(&destination(faulty.clone(), "parts"), big_table())
        .await
        .expect_err("a failed part fails the commit");
    assert_part_failed(&server, &faulty, &error, "s3://lake/parts", "table").await;
    let after = files::snapshot(&table_dir(&server, "parts"));
    assert!(
        after == before,
        "no log entry and no file of the failed run:\nbefore\n{}\nafter\n{}",
        files::listing(&before),
        files::listing(&after)
    );
    let read = read_by_both(&s3_uri(&server, "parts"), &server.aws_env()).await;
    assert_eq!(read, read_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_stopping_mid_upload_fails_the_commit_and_the_next_one_completes() {
    let server = start_s3().await;
    let read_before = first_version(&server, "stop").await;
    let before = files::snapshot(&table_dir(&server, "stop"));

    // Few, quick retries: a stopped server does not come back within this commit.
    let retry = object_store::RetryConfig {
        max_retries: 1,
        retry_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let mut run = TableRun::open(&destination(server.client(retry), "stop"))
        .await
        .expect("open");
    let mut failed = None;
    for (index, batch) in big_table().into_iter().enumerate() {
        if index == 22 {
            // The first part is up or on its way: the server dies.
            assert!(eventually(|| !open_upload_parts(&server).is_empty()).await);
            server.stop();
        }
        if let Err(error) = run.write(batch).await {
            failed = Some(error);
            break;
        }
    }
    let error = match failed {
        Some(error) => error,
        None => run.commit().await.expect_err("the commit fails"),
    };
    assert!(error.contains("s3://lake/stop"), "{error}");

    // The server comes back: the table is as it was, and the next commit completes.
    let server = server.restart().await;
    let dir = table_dir(&server, "stop");
    assert_eq!(files::snapshot(&dir), before);
    let env = server.aws_env();
    let uri = s3_uri(&server, "stop");
    assert_eq!(read_by_both(&uri, &env).await, read_before);
    let committed = commit_rows(&server.destination("stop"), vec![rows(7, 1, 500, 32)])
        .await
        .expect("the next commit");
    assert_eq!(committed.version, 1);
    let read = read_by_both(&uri, &env).await;
    assert_eq!(
        (read["version"].as_i64(), read["num_rows"].as_u64()),
        (Some(1), Some(500))
    );
    assert!(missing_files(&dir).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_gone_at_the_commit_fails_it_and_leaves_only_files_no_version_names() {
    let server = start_s3().await;
    let read_before = first_version(&server, "gone").await;
    let dir = table_dir(&server, "gone");
    let before = files::snapshot(&dir);

    let faulty = Faulty::new(server.store.clone(), Fault::GoneAtCommit);
    let error = commit_rows(
        &destination(faulty.clone(), "gone"),
        vec![rows(5, 1, 2_000, 32)],
    )
    .await
    .expect_err("the commit fails");
    assert!(faulty.fired(), "the commit reached its log entry");
    assert!(
        error.contains("s3://lake/gone") && error.contains("the server is gone"),
        "{error}"
    );

    // Nothing in the log; the run's data files could not be deleted, and no version names them.
    let after = files::snapshot(&dir);
    let left: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(
        before.iter().all(|(k, v)| after.get(k) == Some(v)),
        "what was there is unchanged"
    );
    assert!(
        left.iter()
            .all(|k| !k.starts_with("_delta_log/") && k.ends_with(".parquet")),
        "only data files are left: {left:?}"
    );
    let env = server.aws_env();
    let uri = s3_uri(&server, "gone");
    assert_eq!(read_by_both(&uri, &env).await, read_before);

    // The server is back: the next commit completes, and still no version names those files.
    let committed = commit_rows(&server.destination("gone"), vec![rows(6, 1, 300, 32)])
        .await
        .expect("the next commit");
    assert_eq!(committed.version, 1);
    let read = read_by_both(&uri, &env).await;
    assert_eq!(
        (read["version"].as_i64(), read["num_rows"].as_u64()),
        (Some(1), Some(300))
    );
    let live = live_files(&dir);
    assert!(
        left.iter().all(|k| !live.contains(*k)),
        "{left:?} in {live:?}"
    );
    assert!(missing_files(&dir).is_empty());
}

/// The put of a commit's log entry lands but its answer is lost: the commit's outcome is unknown
/// to the writer, while the version is in the log for every reader. Whatever the commit returns,
/// the version's files must stay (a failed export deletes its files only when no version names
/// them), and every reader must read the table: the new version whole, or the previous one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_the_commit_never_leaves_a_version_without_its_files() {
    let server = start_s3().await;
    let env = server.aws_env();
    let mut problems = Vec::new();
    for (prefix, fault) in [
        ("lost", Fault::AnswerLost),
        ("again", Fault::AnswerLostAndSentAgain),
    ] {
        let read_before = first_version(&server, prefix).await;
        let dir = table_dir(&server, prefix);
        let faulty = Faulty::new(server.store.clone(), fault);
        let outcome = commit_rows(
            &destination(faulty.clone(), prefix),
            vec![rows(8, 1, 1_000, 32)],
        )
        .await;
        assert!(faulty.fired(), "{fault:?}: the fault fired");
        let outcome = match &outcome {
            Ok(committed) => format!("committed version {}", committed.version),
            Err(error) => format!("failed: {error}"),
        };
        let missing = missing_files(&dir);
        if !missing.is_empty() {
            problems.push(format!(
                "{fault:?}: the commit {outcome}; the log is at version {:?}, and that version \
                 names files that are gone (every reader fails): {missing:?}",
                log_versions(&dir).last()
            ));
            continue;
        }
        let read = read_by_both(&s3_uri(&server, prefix), &env).await;
        let whole_new = read["version"] == 1 && read["num_rows"] == 1_000;
        let old = read == read_before;
        if !(whole_new || (old && outcome.starts_with("failed"))) {
            problems.push(format!(
                "{fault:?}: the commit {outcome}; the readers read version {} with {} rows",
                read["version"], read["num_rows"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
