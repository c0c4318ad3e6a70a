//! The run report: one JSON document per run, per export what was expected and written, how long
//! it took, and why it failed. Schedulers and dashboards read it; its fields only ever grow.

use arrow_schema::Schema;
use serde::Serialize;

use crate::api::RequestStats;
use crate::export::Summary;
use crate::failure::FailureKind;

/// A whole run of a job file.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The version of tsexport that ran.
    pub tsexport_version: &'static str,
    /// The date `{run_date}` stood for.
    pub run_date: String,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// How long the whole run took, in seconds.
    pub seconds: f64,
    /// `INDEX/COUNT` when the run was one shard of the file.
    pub shard: Option<String>,
    /// Where the shard came from, when the run was one: `explicit` (written as INDEX/COUNT), or
    /// the scheduler's variables `--shard auto` read: `JOB_COMPLETION_INDEX` (the count written
    /// after `auto/`) or `CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT` (both from the environment).
    pub shard_source: Option<String>,
    /// How many exports committed.
    pub succeeded: usize,
    /// How many exports failed.
    pub failed: usize,
    /// What the run's calls to ThoughtSpot met, over all its exports: requests, 429s, 5xx and
    /// timeouts, retries, and the most in flight at once.
    pub requests: RequestStats,
    /// Per export, in file order.
    pub exports: Vec<ExportReport>,
}

impl RunReport {
    /// The exit code `tsexport run` ends with for this report: 0 when every export committed; when
    /// some failed, the code of their kind if they share one (say, 4 when every failure was
    /// incomplete data), else 6.
    pub fn exit_code(&self) -> i32 {
        match self.failure_kinds()[..] {
            [] => 0,
            [kind] => kind.exit_code(),
            _ => 6,
        }
    }

    /// The kinds of the failed exports, each once, in order of first appearance.
    pub fn failure_kinds(&self) -> Vec<FailureKind> {
        let mut kinds = Vec::new();
        for kind in self
            .exports
            .iter()
            .filter_map(|e| e.error.as_ref().map(|e| e.kind))
        {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }
}

/// Whether an export committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Committed: every row is at the destination.
    Ok,
    /// Not committed: the destination is as it was.
    Failed,
}

/// One export of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The export's `name` in the job file.
    pub name: String,
    /// `search` or `pinboard`.
    pub kind: &'static str,
    /// The source as the job file names it (worksheet or pinboard, by id or name).
    pub source: String,
    /// The destination with its placeholders filled (for a windowed export, `{window_start}` and
    /// `{window_end}` as written).
    pub destination: String,
    /// Whether the export committed.
    pub status: ExportStatus,
    /// Rows written (0 when it failed).
    pub rows: u64,
    /// The largest `totalRowCount` ThoughtSpot reported, summed over tables.
    pub rows_expected: Option<u64>,
    /// Result pages read from ThoughtSpot, over all tables.
    pub pages: u64,
    /// Bytes of JSON received from ThoughtSpot, over all tables.
    pub json_bytes: u64,
    /// Data files written.
    pub files: usize,
    /// Bytes written, over all data files.
    pub bytes: u64,
    /// How long the export took, in seconds.
    pub seconds: f64,
    /// The lowest sampling ratio of any table (1 = not sampled).
    pub sampling_ratio: Option<f64>,
    /// The manifest the commit wrote.
    pub manifest: Option<String>,
    /// Per table (the search, or one viz) as committed; empty when nothing committed.
    pub tables: Vec<ExportedTable>,
    /// For an export with a window: each window this run exported, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowReport>,
    /// Why the export failed; None when it committed.
    pub error: Option<ErrorReport>,
}

/// One window of an export.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// First day of the window, YYYY-MM-DD.
    pub start: String,
    /// Day after the window's last day, YYYY-MM-DD.
    pub end: String,
    /// The window's destination, `{window_start}` and `{window_end}` filled.
    pub destination: String,
    /// Whether the window committed.
    pub status: ExportStatus,
    /// Rows written (0 when the window failed).
    pub rows: u64,
    /// The largest `totalRowCount` ThoughtSpot reported, summed over tables; None when it reported
    /// none or the window failed.
    pub rows_expected: Option<u64>,
    /// Data files written (0 when the window failed).
    pub files: usize,
}

/// One table (the search, or one viz) of an export.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedTable {
    /// The folder under the destination ("" for a single table).
    pub name: String,
    /// The viz id for a pinboard's viz; None for a search.
    pub viz: Option<String>,
    /// Rows written.
    pub rows: u64,
    /// The largest `totalRowCount` ThoughtSpot reported; None when it reported none.
    pub rows_expected: Option<u64>,
    /// Result pages read.
    pub pages: u64,
    /// How many times the table was read again from its first row after a column was widened.
    pub restarts: u32,
    /// A hash of the column names and types: equal hashes, equal schemas, across runs.
    pub schema_hash: String,
}

/// Why an export failed.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// The kind of failure, which picks the exit code.
    pub kind: FailureKind,
    /// The error message.
    pub message: String,
}

impl ExportReport {
    /// The report of an export that has not run yet (or failed before it could write).
    pub fn new(name: &str, kind: &'static str, source: &str, destination: &str) -> Self {
        Self {
            name: name.to_string(),
            kind,
            source: source.to_string(),
            destination: destination.to_string(),
            status: ExportStatus::Failed,
            rows: 0,
            rows_expected: None,
            pages: 0,
            json_bytes: 0,
            files: 0,
            bytes: 0,
            seconds: 0.0,
            sampling_ratio: None,
            manifest: None,
            tables: Vec::new(),
            windows: Vec::new(),
            error: None,
        }
    }

    /// Adds a window's outcome; a committed window's figures add to the export's.
    pub fn add_window(
        &mut self,
        window: crate::jobs::window::Window,
        destination: &str,
        outcome: Result<&Summary, &String>,
    ) {
        let mut entry = WindowReport {
            start: window.start.to_string(),
            end: window.end.to_string(),
            destination: destination.to_string(),
            status: ExportStatus::Failed,
            rows: 0,
            rows_expected: None,
            files: 0,
        };
        if let Ok(summary) = outcome {
            let committed = ExportReport::new("", "", "", "").committed(summary);
            entry.status = ExportStatus::Ok;
            entry.rows = committed.rows;
            entry.rows_expected = committed.rows_expected;
            entry.files = committed.files;
            self.rows += committed.rows;
            self.files += committed.files;
            self.bytes += committed.bytes;
            self.pages += committed.pages;
            self.json_bytes += committed.json_bytes;
            self.rows_expected = match (self.rows_expected, committed.rows_expected) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
            self.sampling_ratio = match (self.sampling_ratio, committed.sampling_ratio) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.manifest = committed.manifest;
            self.tables = committed.tables;
        }
        self.windows.push(entry);
    }

    /// Fills in a committed export's figures.
    pub fn committed(mut self, summary: &Summary) -> Self {
        self.status = ExportStatus::Ok;
        self.rows = summary.rows;
        self.files = summary.files;
        self.bytes = summary.bytes;
        self.manifest = Some(summary.manifest.clone());
        self.pages = summary.tables.iter().map(|t| t.pages).sum();
        self.json_bytes = summary.tables.iter().map(|t| t.json_bytes).sum();
        self.rows_expected = summary
            .tables
            .iter()
            .map(|t| t.rows_expected)
            .sum::<Option<u64>>();
        self.sampling_ratio = summary
            .tables
            .iter()
            .map(|t| t.sampling_ratio)
            .reduce(f64::min);
        self.tables = summary
            .tables
            .iter()
            .map(|t| ExportedTable {
                name: t.name.clone(),
                viz: t.viz.clone(),
                rows: t.rows,
                rows_expected: t.rows_expected,
                pages: t.pages,
                restarts: t.restarts,
                schema_hash: schema_hash(&t.schema),
            })
            .collect();
        self
    }

    /// Marks the export failed, with the error's kind and message.
    pub fn failed(mut self, kind: FailureKind, message: String) -> Self {
        self.status = ExportStatus::Failed;
        self.error = Some(ErrorReport { kind, message });
        self
    }
}

/// FNV-1a (64 bits) over each column's name and Arrow type: stable across runs, machines and
/// versions, unlike the standard library's randomly seeded hasher.
pub fn schema_hash(schema: &Schema) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for field in schema.fields() {
        let text = format!("{}\u{1f}{}\u{1e}", field.name(), field.data_type());
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
