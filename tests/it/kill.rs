//! Kill tests: real `tsexport search` processes, SIGKILLed at seeded random moments of an export to
//! local disk and to an S3-compatible server. After every kill, what a reader sees (the files the
//! manifest lists, under `_SUCCESS`) is exactly one complete version, the previous or the new, or
//! no version at all while a commit is half rolled forward; never a mix, never a part. The next run
//! then completes, and no staging file is left behind.
//!
//! Each trial kills an export of one version over the other, then lets the same export run to the
//! end, so the versions alternate and every trial starts from a committed version.

use crate::common::files;
use crate::common::kill;
use crate::common::s3;
use crate::common::TempDir;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use tsexport::sink::Manifest;
use tsexport::sink::{MANIFEST_FILE, STAGING_DIR, SUCCESS_FILE};
use tsexport_emulator::rng::SplitMix64;
use tsexport_emulator::Emulator;

const ROWS: u64 = 120_000;
const TRIALS: usize = 20;
/// Two versions of one table, told apart by their second column.
const VERSIONS: [(&str, &str); 2] = [
    ("[Order Line ID] [Region] sort by [Order Line ID]", "Region"),
    (
        "[Order Line ID] [Quantity] sort by [Order Line ID]",
        "Total Quantity",
    ),
];

/// Where the exports go, and how to read back everything there.
enum Place<'a> {
    Disk(&'a std::path::Path),
    S3(&'a s3::S3Server, &'a str),
}

impl Place<'_> {
    fn out(&self) -> String {
        match self {
            Place::Disk(path) => path.display().to_string(),
            Place::S3(server, prefix) => format!("s3://{}/{prefix}", server.bucket),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Place::Disk(_) => Vec::new(),
            Place::S3(server, _) => server
                .aws_env()
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
        }
    }

    /// Every object or file under the destination, by relative path.
    async fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        match self {
            Place::Disk(path) => files::snapshot(path),
            Place::S3(server, prefix) => {
                let base = StorePath::from(*prefix);
                let listed: Vec<_> = server
                    .store
                    .list(Some(&base))
                    .try_collect()
                    .await
                    .expect("list");
                let mut found = BTreeMap::new();
                for object in listed {
                    let bytes = server
                        .store
                        .get(&object.location)
                        .await
                        .expect("get")
                        .bytes()
                        .await
                        .expect("body");
                    let relative = object.location.as_ref()[base.as_ref().len() + 1..].to_string();
                    found.insert(relative, bytes.to_vec());
                }
                found
            }
        }
    }
}

/// What a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Visible {
    /// No `_SUCCESS`: a commit is rolling forward; the next run finishes it.
    Nothing,
    Version(usize),
}

/// Classifies what is at the destination, or says what is wrong with it.
fn visible(files: &BTreeMap<String, Vec<u8>>, ids: &[i64]) -> Result<Visible, String> {
    if !files.contains_key(SUCCESS_FILE) {
        return Ok(Visible::Nothing);
    }
    let manifest = files
        .get(MANIFEST_FILE)
        .ok_or("_SUCCESS without a manifest")?;
    let manifest = Manifest::from_json(manifest, MANIFEST_FILE).map_err(|e| e.to_string())?;
    let listed: Vec<&str> = manifest.files().map(|f| f.path.as_str()).collect();
    let data: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|name| !name.starts_with('_'))
        .collect();
    if listed != data {
        return Err(format!(
            "the data files are not the manifest's: listed {listed:?}, present {data:?}"
        ));
    }
    let shown: BTreeMap<String, Vec<u8>> = listed
        .iter()
        .map(|name| (name.to_string(), files[*name].clone()))
        .collect();
    let got = files::int_column(&shown, "Order Line ID")?;
    if got != ids {
        return Err(format!(
            "{} rows visible, {} expected",
            got.len(),
            ids.len()
        ));
    }
    let first = files::parquet_files(&shown)
        .first()
        .map(|(_, bytes)| bytes.to_vec())
        .ok_or("no data file")?;
    let schema = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(first),
    )
    .map_err(|e| e.to_string())?
    .schema()
    .clone();
    VERSIONS
        .iter()
        .position(|(_, column)| schema.field_with_name(column).is_ok())
        .map(Visible::Version)
        .ok_or_else(|| format!("a schema of no version: {schema:?}"))
}

fn staging_leftovers(files: &BTreeMap<String, Vec<u8>>) -> Vec<&String> {
    files
        .keys()
        .filter(|name| name.starts_with(&format!("{STAGING_DIR}/")) || name.ends_with(".partial"))
        .collect()
}

fn command(emu: &Emulator, place: &Place<'_>, version: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsexport"));
    command
        .args(["search", VERSIONS[version].0, "-s", "Retail Sales", "-o"])
        .arg(place.out())
        .args([
            "--page-size",
            "10000",
            "--max-rows-per-file",
            "15000",
            "--quiet",
        ])
        .env("TSEXPORT_URL", emu.base_url())
        .env("TSEXPORT_USERNAME", "tsadmin")
        .env("TSEXPORT_PASSWORD", "admin")
        .envs(place.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs an export to the end; returns how long it took.
async fn complete(emu: &Emulator, place: &Place<'_>, version: usize) -> Duration {
    let mut command = command(emu, place, version);
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let output = command.output().expect("tsexport runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        started.elapsed()
    })
    .await
    .expect("runner")
}

/// Starts an export and SIGKILLs it after `after`; returns whether it was still running.
async fn kill_after(emu: &Emulator, place: &Place<'_>, version: usize, after: Duration) -> bool {
    kill::kill_after(command(emu, place, version), after).await
}

async fn kill_trials(place: Place<'_>, seed: u64) {
    let emu = Emulator::builder()
        .rows(ROWS)
        .start()
        .await
        .expect("emulator");
    let ids: Vec<i64> = (1..=ROWS as i64).collect();

    complete(&emu, &place, 0).await;
    assert_eq!(
        visible(&place.snapshot().await, &ids),
        Ok(Visible::Version(0))
    );
    // The fastest whole export seen so far: one slow run (a busy machine) must not spread the kills
    // past the end of the faster runs that follow.
    let mut full = complete(&emu, &place, 1).await;
    assert_eq!(
        visible(&place.snapshot().await, &ids),
        Ok(Visible::Version(1))
    );

    let mut random = SplitMix64::new(seed);
    let mut seen: BTreeMap<Visible, usize> = BTreeMap::new();
    let mut killed_running = 0;
    let mut version = 0;
    for trial in 0..TRIALS {
        // Anywhere from before sign-in to just past the end of a whole export.
        let after = full.mul_f64(1.1 * (random.next_u64() % 1000) as f64 / 1000.0);
        killed_running += usize::from(kill_after(&emu, &place, version, after).await);
        let files = place.snapshot().await;
        let state = visible(&files, &ids)
            .unwrap_or_else(|e| panic!("trial {trial}, killed after {after:?}: {e}"));
        // The kill cannot show a version that was never written.
        assert!(
            matches!(state, Visible::Nothing | Visible::Version(_)),
            "trial {trial}: {state:?}"
        );
        *seen.entry(state).or_default() += 1;

        full = full.min(complete(&emu, &place, version).await);
        let files = place.snapshot().await;
        assert_eq!(
            visible(&files, &ids),
            Ok(Visible::Version(version)),
            "trial {trial}: the run after the kill completes"
        );
        assert!(
            staging_leftovers(&files).is_empty(),
            "trial {trial}: leftovers {:?}",
            staging_leftovers(&files)
        );
        version = 1 - version;
    }
    println!(
        "{}: {TRIALS} kills over {full:?} exports ({killed_running} mid-run); seen after the kill: {seen:?}",
        place.out()
    );
    kill::assert_most_landed_mid_run(killed_running, TRIALS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_exports_to_disk_leave_one_complete_version() {
    let dir = TempDir::new("kill-disk");
    kill_trials(Place::Disk(&dir.path().join("sales")), 0x6b69_6c6c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_exports_to_s3_leave_one_complete_version() {
    let server = s3::start_s3().await;
    kill_trials(Place::S3(&server, "retail/sales"), 0x0053_3321).await;
}
