//! From a job file to the exports one run performs: selection (`--only`, `--shard`), destination
//! templates, and the options of each export. Pure: no network, so `--dry-run` shows exactly this.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::file::{ExportSettings, JobFile, SourceSpec, SourceSpecError};
use super::window::WindowSize;
use crate::export::{ExportOptions, SettingsError};

/// The placeholders a destination may hold.
const PLACEHOLDERS: &[&str] = &["name", "run_date", "window_start", "window_end"];

/// Why a destination template cannot be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A `{` with no `}` after it; holds the template.
    #[error("'{{' without '}}' in '{0}'")]
    Unclosed(String),
    /// A `}` with no `{` before it; holds the template.
    #[error("'}}' without '{{' in '{0}'")]
    Unopened(String),
    /// A placeholder other than `{name}`, `{run_date}`, `{window_start}` and `{window_end}`.
    #[error(
        "unknown placeholder {{{name}}} in '{template}'; known: {}",
        known_placeholders()
    )]
    Unknown {
        /// The placeholder's name, without braces.
        name: String,
        /// The template that holds it.
        template: String,
    },
}

fn known_placeholders() -> String {
    PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that every `{...}` in `template` is a known placeholder.
pub fn check_template(template: &str) -> Result<(), TemplateError> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| TemplateError::Unclosed(template.to_string()))?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(TemplateError::Unknown {
                name: name.to_string(),
                template: template.to_string(),
            });
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(TemplateError::Unopened(template.to_string()));
    }
    Ok(())
}

/// The folder a windowed export keeps its state in: `out` up to the last `/` before its first window
/// placeholder (`s3://lake/sales/day={window_start}/` -> `s3://lake/sales/`).
pub fn state_folder(out: &str) -> String {
    let before = out.find("{window_").map_or(out, |at| &out[..at]);
    before
        .rfind('/')
        .map_or(String::new(), |slash| before[..=slash].to_string())
}

/// `template` with its placeholders filled, but the window's (see [`super::window::fill`]).
fn render(template: &str, name: &str, run_date: NaiveDate) -> String {
    template
        .replace("{name}", name)
        .replace("{run_date}", &run_date.format("%Y-%m-%d").to_string())
}

/// One machine's share of a job file: `index/count`, 0-based, as a Kubernetes Indexed Job numbers
/// its pods (`--shard $JOB_COMPLETION_INDEX/4`). Export `k` of the file (in file order) belongs to
/// shard `k % count`: every export lands in exactly one shard, and shards differ by at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This machine's shard, 0-based, below `count`.
    pub index: usize,
    /// How many shards the exports are split into, at least 1.
    pub count: usize,
}

/// Text that is not a [`Shard`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a shard: use INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/4")]
pub struct InvalidShard(pub String);

impl FromStr for Shard {
    type Err = InvalidShard;

    fn from_str(text: &str) -> Result<Self, InvalidShard> {
        let bad = || InvalidShard(text.to_string());
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Which exports of the file a run performs.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these exports, by name (empty: all).
    pub only: Vec<String>,
    /// Only the exports of this shard (`--shard INDEX/COUNT`); None: every export.
    pub shard: Option<Shard>,
}

/// One export as a run performs it.
#[derive(Debug, Clone)]
pub struct PlannedExport {
    /// The export's `name` in the job file.
    pub name: String,
    /// The search, pinboard or answer it reads.
    pub source: SourceSpec,
    /// The destination with its placeholders filled.
    pub destination: String,
    /// The export's settings, its own over the file's `[defaults]`.
    pub settings: ExportSettings,
    /// The export options those settings stand for.
    pub options: ExportOptions,
    /// For an export with a window: which, and where its state is.
    pub window: Option<WindowPlan>,
}

impl PlannedExport {
    /// The search and the destination of this export for one window: `{window_start}` and
    /// `{window_end}` filled, in the search with `window_date_format`, in the destination as dates.
    /// Without a window plan, as they are.
    pub fn in_window(&self, window: &super::window::Window) -> (SourceSpec, String) {
        let Some(plan) = &self.window else {
            return (self.source.clone(), self.destination.clone());
        };
        let source = match &self.source {
            SourceSpec::Search { query, source } => SourceSpec::Search {
                query: super::window::fill(query, window, &plan.date_format),
                source: source.clone(),
            },
            SourceSpec::Log { log_type, .. } => SourceSpec::Log {
                log_type: *log_type,
                days: Some((window.start, window.end)),
            },
            other => other.clone(),
        };
        let destination = super::window::fill(&self.destination, window, "%Y-%m-%d");
        (source, destination)
    }
}

/// The windows of an export (see [`super::window`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPlan {
    /// `window`: day, week (from Monday) or month.
    pub size: WindowSize,
    /// `lookback`: how many windows before the first due one are exported again, for late rows
    /// (default 0).
    pub lookback: u32,
    /// `first_window`: the date whose window a new export starts at; None: only the newest
    /// complete window.
    pub first: Option<NaiveDate>,
    /// strftime for `{window_start}` and `{window_end}` in the search.
    pub date_format: String,
    /// The folder of `_tsexport_state/NAME.json`.
    pub state_folder: String,
}

/// Why a run of a job file cannot be planned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// [`Selection::only`] names an export the file does not have.
    #[error("no export is named '{name}'; the file has: {}", known.join(", "))]
    UnknownExport {
        /// The name `only` gave.
        name: String,
        /// The names of the file's exports.
        known: Vec<String>,
    },
    /// An export does not say what it reads.
    #[error(transparent)]
    Source(#[from] SourceSpecError),
    /// An export's settings are bad or do not fit together.
    #[error("export '{export}': {source}")]
    Settings {
        /// The export's name.
        export: String,
        /// What is wrong with them.
        source: SettingsError,
    },
}

/// The exports a run of `file` performs, in file order.
pub fn plan(
    file: &JobFile,
    selection: &Selection,
    run_date: NaiveDate,
) -> Result<Vec<PlannedExport>, PlanError> {
    if let Some(unknown) = selection
        .only
        .iter()
        .find(|name| !file.exports.iter().any(|e| &e.name == *name))
    {
        return Err(PlanError::UnknownExport {
            name: unknown.clone(),
            known: file.exports.iter().map(|e| e.name.clone()).collect(),
        });
    }
    file.exports
        .iter()
        .enumerate()
        .filter(|(k, _)| selection.shard.is_none_or(|s| k % s.count == s.index))
        .filter(|(_, e)| selection.only.is_empty() || selection.only.contains(&e.name))
        .map(|(_, entry)| {
            let settings = entry.settings_over(&file.defaults);
            let destination = render(&entry.out, &entry.name, run_date);
            let options = settings
                .options(&destination)
                .map_err(|source| PlanError::Settings {
                    export: entry.name.clone(),
                    source,
                })?;
            let window = entry.window.as_ref().map(|size| WindowPlan {
                size: size.0,
                lookback: entry.lookback.unwrap_or(0),
                first: entry.first_window.as_ref().map(|d| d.0),
                date_format: entry
                    .window_date_format
                    .clone()
                    .unwrap_or_else(|| "%Y-%m-%d".to_string()),
                state_folder: state_folder(&destination),
            });
            Ok(PlannedExport {
                name: entry.name.clone(),
                source: entry.source_spec()?,
                destination,
                settings,
                options,
                window,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_only_known_placeholders() {
        assert!(check_template("s3://lake/{name}/run_date={run_date}/").is_ok());
        assert!(check_template("out/plain").is_ok());
        assert_eq!(
            state_folder("s3://lake/sales/day={window_start}/"),
            "s3://lake/sales/"
        );
        assert_eq!(state_folder("{window_start}/"), "");
        for bad in ["out/{nme}", "out/{name", "out/name}", "out/{}"] {
            assert!(check_template(bad).is_err(), "{bad}");
        }
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert_eq!(
            render("s3://lake/{name}/run_date={run_date}/", "sales", date),
            "s3://lake/sales/run_date=2026-11-27/"
        );
    }

    #[test]
    fn shards_parse_zero_based() {
        assert_eq!("1/3".parse(), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
