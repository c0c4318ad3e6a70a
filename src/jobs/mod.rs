//! Job files: many exports declared in one TOML file, run together on a schedule.
//!
//! [`file`](mod@file) reads and checks the file, [`plan`](mod@plan) turns it into the exports one run performs (selection,
//! shards, destination templates), [`runner`](mod@runner) runs them a few at a time, and [`report`](mod@report) is what a run
//! says about each; [`check`](mod@check) tries each export's source and destination without exporting.
//! `tsexport run`, `tsexport backfill`, `tsexport check` and `tsexport jobs` are thin layers over these.

pub mod check;
pub mod file;
pub mod plan;
pub mod report;
pub mod runner;
pub mod table_state;
pub mod window;

pub use check::{check, CheckError, CheckReport, CheckedColumn, CheckedTable, ExportCheck};
pub use file::{
    ConnectionSettings, ExportEntry, ExportSettings, InvalidJobFile, JobFile, JobFileError,
    SourceSpec, SourceSpecError, WindowRuleError,
};
pub use plan::{
    plan, PlanError, PlannedExport, ResolvedShard, Selection, Shard, ShardEnvError, ShardSource,
    ShardSpec, TemplateError, WindowPlan,
};
pub use report::{ExportReport, ExportStatus, ExportedTable, RunReport};
pub use runner::{run, Backfill, BackfillError, RunEvent, RunObserver, RunOptions, StateError};
pub use window::{Window, WindowSize, WindowState};

/// A commented example job file, as `tsexport jobs init` writes it.
pub const EXAMPLE: &str = include_str!("example.toml");

/// The job files `tsexport jobs init --template NAME` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Template {
    /// Every kind of export, commented: searches, pinboards, windows, Delta tables.
    #[default]
    Example,
    /// Archive ThoughtSpot's own activity nightly: the TS: BI Server worksheet and the security
    /// audit log, a folder per day, with a lookback for late events.
    Activity,
}

impl Template {
    /// The job file's text.
    pub fn text(self) -> &'static str {
        match self {
            Template::Example => EXAMPLE,
            Template::Activity => include_str!("activity.toml"),
        }
    }
}
