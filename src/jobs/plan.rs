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

/// Text that is not a [`Shard`] (nor, for [`ShardSpec`], `auto` or `auto/COUNT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a shard: use INDEX/COUNT with 0 <= INDEX < COUNT (e.g. 0/4), auto/COUNT (the \
     index from the scheduler's environment) or auto (index and count from it)"
)]
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

/// A shard as written (`--shard`, `run_jobs(shard=...)`): `INDEX/COUNT`, or `auto/COUNT` and `auto`,
/// whose index (and, for `auto`, count) come from the scheduler's environment when the run starts.
/// Parsing reads no environment: [`ShardSpec::resolve`] does, through a lookup function it is
/// given, so a command line is checked the same wherever it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSpec {
    /// `INDEX/COUNT`, written out.
    Fixed(Shard),
    /// `auto/COUNT` (`count: Some`) or `auto` (`count: None`).
    Auto {
        /// The count written after `auto/`; None: from the scheduler's environment.
        count: Option<usize>,
    },
}

impl FromStr for ShardSpec {
    type Err = InvalidShard;

    fn from_str(text: &str) -> Result<Self, InvalidShard> {
        let trimmed = text.trim();
        if trimmed == "auto" {
            return Ok(ShardSpec::Auto { count: None });
        }
        if let Some(count) = trimmed.strip_prefix("auto/") {
            return match count.trim().parse::<usize>() {
                Ok(count) if count > 0 => Ok(ShardSpec::Auto { count: Some(count) }),
                _ => Err(InvalidShard(text.to_string())),
            };
        }
        text.parse().map(ShardSpec::Fixed)
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSpec::Fixed(shard) => shard.fmt(f),
            ShardSpec::Auto { count: None } => f.write_str("auto"),
            ShardSpec::Auto { count: Some(count) } => write!(f, "auto/{count}"),
        }
    }
}

/// A scheduler that numbers the tasks of one job, and the variables it sets in each task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardScheduler {
    /// The scheduler, for messages ("Kubernetes Indexed Job").
    pub name: &'static str,
    /// The variable holding the task's index, 0-based.
    pub index_var: &'static str,
    /// The variable holding the number of tasks, if the scheduler sets one.
    pub count_var: Option<&'static str>,
    /// Where the count is in the scheduler's own configuration, for the message when it is missing.
    pub count_hint: &'static str,
}

/// The schedulers `auto` reads, in the order they are looked at: a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX`; Kubernetes sets no count), an AWS Batch array job
/// (`AWS_BATCH_JOB_ARRAY_INDEX`, `AWS_BATCH_JOB_ARRAY_SIZE`) and a Cloud Run job
/// (`CLOUD_RUN_TASK_INDEX`, `CLOUD_RUN_TASK_COUNT`).
pub const SHARD_SCHEDULERS: [ShardScheduler; 3] = [
    ShardScheduler {
        name: "Kubernetes Indexed Job",
        index_var: "JOB_COMPLETION_INDEX",
        count_var: None,
        count_hint: "the Job's spec.completions",
    },
    ShardScheduler {
        name: "AWS Batch array job",
        index_var: "AWS_BATCH_JOB_ARRAY_INDEX",
        count_var: Some("AWS_BATCH_JOB_ARRAY_SIZE"),
        count_hint: "the job's arrayProperties.size",
    },
    ShardScheduler {
        name: "Cloud Run job",
        index_var: "CLOUD_RUN_TASK_INDEX",
        count_var: Some("CLOUD_RUN_TASK_COUNT"),
        count_hint: "the job's task count",
    },
];

/// Where a run's shard came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSource {
    /// Written out as `INDEX/COUNT`.
    Explicit,
    /// The index from a scheduler's variable; the count from its count variable (`count_var`), or,
    /// when that is None, written after `auto/`.
    Environment {
        /// The variable that held the index.
        index_var: &'static str,
        /// The variable that held the count, for plain `auto`.
        count_var: Option<&'static str>,
    },
}

impl fmt::Display for ShardSource {
    /// `explicit`, `JOB_COMPLETION_INDEX` (index from it, count written), or
    /// `CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT` (both from the environment): the run report's
    /// `shard_source`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSource::Explicit => f.write_str("explicit"),
            ShardSource::Environment {
                index_var,
                count_var: None,
            } => f.write_str(index_var),
            ShardSource::Environment {
                index_var,
                count_var: Some(count_var),
            } => write!(f, "{index_var}/{count_var}"),
        }
    }
}

/// A [`ShardSpec`] made concrete: the shard, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedShard {
    /// The shard this run performs.
    pub shard: Shard,
    /// Where it came from.
    pub source: ShardSource,
}

/// Why `auto` or `auto/COUNT` found no shard in the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardEnvError {
    /// None of the schedulers' index variables is set.
    #[error(
        "no scheduler's task index is set: none of {} is in the environment; run it as a task of \
         one of those, or give the shard as INDEX/COUNT (e.g. 0/4)",
        scheduler_list()
    )]
    NoScheduler,
    /// A variable holds something other than a whole number (a count: at least 1).
    #[error("{var} is '{value}', not {expected}")]
    NotANumber {
        /// The variable.
        var: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// The index is not below the count.
    #[error("the index {index} from {index_var} is not below the count {count} ({count_from})")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The variable that held it.
        index_var: &'static str,
        /// The count.
        count: usize,
        /// Where the count came from: `auto/COUNT`, or the count variable.
        count_from: String,
    },
    /// `auto/COUNT` and the scheduler's count variable disagree.
    #[error(
        "the count given, {given} (auto/{given}), differs from {count_var}={found}: make them \
         equal, or write plain auto to take the count from {count_var}"
    )]
    CountMismatch {
        /// The count after `auto/`.
        given: usize,
        /// The scheduler's count variable.
        count_var: &'static str,
        /// What it holds.
        found: usize,
    },
    /// Plain `auto`, but the scheduler set no count.
    #[error(
        "{index_var} gives this task's index but {}: write auto/COUNT with COUNT {count_hint}, \
         e.g. auto/4",
        missing_count(scheduler, *count_var)
    )]
    NoCount {
        /// The scheduler.
        scheduler: &'static str,
        /// Its index variable.
        index_var: &'static str,
        /// Its count variable, when it has one that is not set.
        count_var: Option<&'static str>,
        /// Where the count is in its configuration.
        count_hint: &'static str,
    },
    /// Two schedulers' variables are set and say different things.
    #[error(
        "the environment holds two schedulers' tasks that disagree, {first} and {second}: unset the \
         variables of the one this does not run under, or give the shard as INDEX/COUNT"
    )]
    Conflict {
        /// The first scheduler's variables and values (`JOB_COMPLETION_INDEX=1`).
        first: String,
        /// The second's.
        second: String,
    },
}

fn missing_count(scheduler: &str, count_var: Option<&str>) -> String {
    match count_var {
        Some(var) => format!("{var}, the number of tasks, is not set"),
        None => format!("a {scheduler} sets no task count"),
    }
}

fn scheduler_list() -> String {
    SHARD_SCHEDULERS
        .iter()
        .map(|s| format!("{} ({})", s.index_var, s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One scheduler's task as its variables say: the index and, if set, the count.
struct SchedulerTask {
    scheduler: &'static ShardScheduler,
    index: usize,
    count: Option<usize>,
}

impl SchedulerTask {
    fn describe(&self) -> String {
        let mut text = format!("{}={}", self.scheduler.index_var, self.index);
        if let (Some(var), Some(count)) = (self.scheduler.count_var, self.count) {
            text.push_str(&format!(" ({var}={count})"));
        }
        text
    }
}

fn number(
    env: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    expected: &'static str,
    least: usize,
) -> Result<Option<usize>, ShardEnvError> {
    let Some(value) = env(var) else {
        return Ok(None);
    };
    match value.trim().parse::<usize>() {
        Ok(n) if n >= least => Ok(Some(n)),
        _ => Err(ShardEnvError::NotANumber {
            var,
            value,
            expected,
        }),
    }
}

impl ShardSpec {
    /// The shard this spec stands for, with `env` as the environment (`|name|
    /// std::env::var(name).ok()` for the process's; a map in tests).
    ///
    /// `auto` looks at the [`SHARD_SCHEDULERS`] in order and takes the index of the first whose
    /// index variable is set. When more than one is set they must agree (same index, and the same
    /// count where both give one): otherwise the shard is ambiguous and this is
    /// [`ShardEnvError::Conflict`], never a silent pick. A count variable is read only beside its
    /// own index variable. Plain `auto` takes the count from the environment (an error when no set
    /// scheduler gives one: Kubernetes never does); a count written after `auto/` must equal it
    /// when it is set. A [`ShardSpec::Fixed`] reads nothing.
    pub fn resolve(
        self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ResolvedShard, ShardEnvError> {
        let given = match self {
            ShardSpec::Fixed(shard) => {
                return Ok(ResolvedShard {
                    shard,
                    source: ShardSource::Explicit,
                })
            }
            ShardSpec::Auto { count } => count,
        };
        let mut tasks = Vec::new();
        for scheduler in &SHARD_SCHEDULERS {
            let Some(index) = number(
                &env,
                scheduler.index_var,
                "a task index (a whole number from 0)",
                0,
            )?
            else {
                continue;
            };
            let count = match scheduler.count_var {
                Some(var) => number(&env, var, "a task count (a whole number from 1)", 1)?,
                None => None,
            };
            tasks.push(SchedulerTask {
                scheduler,
                index,
                count,
            });
        }
        let Some(task) = tasks.first() else {
            return Err(ShardEnvError::NoScheduler);
        };
        if let Some(other) = tasks.iter().skip(1).find(|other| {
            other.index != task.index
                || matches!((other.count, task.count), (Some(a), Some(b)) if a != b)
        }) {
            return Err(ShardEnvError::Conflict {
                first: task.describe(),
                second: other.describe(),
            });
        }
        let scheduler = task.scheduler;
        // The tasks agree: the count is that of the first that gives one.
        let found = tasks
            .iter()
            .find_map(|t| Some((t.count?, t.scheduler.count_var?)));
        let (count, count_from, count_var) = match (given, found) {
            (Some(given), Some((found, count_var))) if given != found => {
                return Err(ShardEnvError::CountMismatch {
                    given,
                    count_var,
                    found,
                })
            }
            (Some(given), _) => (given, format!("auto/{given}"), None),
            (None, Some((found, var))) => (found, format!("{var}={found}"), Some(var)),
            (None, None) => {
                return Err(ShardEnvError::NoCount {
                    scheduler: scheduler.name,
                    index_var: scheduler.index_var,
                    count_var: scheduler.count_var,
                    count_hint: scheduler.count_hint,
                })
            }
        };
        if task.index >= count {
            return Err(ShardEnvError::IndexOutOfRange {
                index: task.index,
                index_var: scheduler.index_var,
                count,
                count_from,
            });
        }
        Ok(ResolvedShard {
            shard: Shard {
                index: task.index,
                count,
            },
            source: ShardSource::Environment {
                index_var: scheduler.index_var,
                count_var,
            },
        })
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

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolve(spec: &str, vars: &[(&str, &str)]) -> Result<(String, String), String> {
        let spec: ShardSpec = spec.parse().map_err(|e: InvalidShard| e.to_string())?;
        spec.resolve(env(vars))
            .map(|r| (r.shard.to_string(), r.source.to_string()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn shard_specs_parse_without_the_environment() {
        assert_eq!(
            "auto".parse(),
            Ok(ShardSpec::Auto { count: None }),
            "plain auto"
        );
        assert_eq!("auto/4".parse(), Ok(ShardSpec::Auto { count: Some(4) }));
        assert_eq!(
            "2/4".parse(),
            Ok(ShardSpec::Fixed(Shard { index: 2, count: 4 }))
        );
        for bad in [
            "auto/0", "auto/x", "auto/", "Auto", "auto4", "4/4", "auto/-1",
        ] {
            let error = bad.parse::<ShardSpec>().expect_err(bad).to_string();
            assert!(error.contains("auto/COUNT"), "{bad}: {error}");
        }
        for text in ["auto", "auto/3", "1/3"] {
            assert_eq!(text.parse::<ShardSpec>().unwrap().to_string(), text);
        }
        // A fixed shard reads nothing, whatever the environment holds.
        let fixed = resolve("1/3", &[("JOB_COMPLETION_INDEX", "x")]);
        assert_eq!(fixed, Ok(("1/3".into(), "explicit".into())));
    }

    #[test]
    fn auto_takes_each_schedulers_variables() {
        let ok = |spec, vars: &[(&str, &str)], shard: &str, source: &str| {
            assert_eq!(
                resolve(spec, vars),
                Ok((shard.to_string(), source.to_string())),
                "{spec} {vars:?}"
            );
        };
        ok(
            "auto/2",
            &[("JOB_COMPLETION_INDEX", "1")],
            "1/2",
            "JOB_COMPLETION_INDEX",
        );
        ok(
            "auto",
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "3"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "5"),
            ],
            "3/5",
            "AWS_BATCH_JOB_ARRAY_INDEX/AWS_BATCH_JOB_ARRAY_SIZE",
        );
        ok(
            "auto/5",
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "3"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "5"),
            ],
            "3/5",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        );
        ok(
            "auto",
            &[
                ("CLOUD_RUN_TASK_INDEX", " 0 "),
                ("CLOUD_RUN_TASK_COUNT", "1"),
            ],
            "0/1",
            "CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT",
        );
        // Two schedulers that agree: the first in order names the index's source.
        ok(
            "auto/3",
            &[
                ("JOB_COMPLETION_INDEX", "1"),
                ("CLOUD_RUN_TASK_INDEX", "1"),
                ("CLOUD_RUN_TASK_COUNT", "3"),
            ],
            "1/3",
            "JOB_COMPLETION_INDEX",
        );
        ok(
            "auto",
            &[
                ("JOB_COMPLETION_INDEX", "1"),
                ("CLOUD_RUN_TASK_INDEX", "1"),
                ("CLOUD_RUN_TASK_COUNT", "3"),
            ],
            "1/3",
            "JOB_COMPLETION_INDEX/CLOUD_RUN_TASK_COUNT",
        );
    }

    #[test]
    fn auto_errors_name_the_variables_and_what_to_do() {
        let fails = |spec, vars: &[(&str, &str)], says: &[&str]| {
            let error = resolve(spec, vars).expect_err(spec);
            for word in says {
                assert!(error.contains(word), "{spec} {vars:?}: {error}");
            }
        };
        fails(
            "auto/2",
            &[("UNRELATED", "1")],
            &[
                "JOB_COMPLETION_INDEX",
                "AWS_BATCH_JOB_ARRAY_INDEX",
                "CLOUD_RUN_TASK_INDEX",
                "INDEX/COUNT",
            ],
        );
        fails(
            "auto/2",
            &[("JOB_COMPLETION_INDEX", "one")],
            &["JOB_COMPLETION_INDEX is 'one'", "not a task index"],
        );
        fails(
            "auto/2",
            &[("JOB_COMPLETION_INDEX", "")],
            &["JOB_COMPLETION_INDEX is ''"],
        );
        fails(
            "auto",
            &[("CLOUD_RUN_TASK_INDEX", "0"), ("CLOUD_RUN_TASK_COUNT", "0")],
            &["CLOUD_RUN_TASK_COUNT is '0'", "not a task count"],
        );
        fails(
            "auto/2",
            &[("JOB_COMPLETION_INDEX", "2")],
            &["index 2", "JOB_COMPLETION_INDEX", "count 2", "auto/2"],
        );
        fails(
            "auto",
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "7"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "7"),
            ],
            &["index 7", "AWS_BATCH_JOB_ARRAY_SIZE=7"],
        );
        fails(
            "auto/4",
            &[("CLOUD_RUN_TASK_INDEX", "0"), ("CLOUD_RUN_TASK_COUNT", "3")],
            &["4", "CLOUD_RUN_TASK_COUNT=3", "plain auto"],
        );
        fails(
            "auto",
            &[("JOB_COMPLETION_INDEX", "0")],
            &["JOB_COMPLETION_INDEX", "auto/COUNT", "spec.completions"],
        );
        fails(
            "auto",
            &[("AWS_BATCH_JOB_ARRAY_INDEX", "0")],
            &["AWS_BATCH_JOB_ARRAY_SIZE", "is not set", "auto/COUNT"],
        );
        fails(
            "auto/3",
            &[("JOB_COMPLETION_INDEX", "1"), ("CLOUD_RUN_TASK_INDEX", "2")],
            &[
                "JOB_COMPLETION_INDEX=1",
                "CLOUD_RUN_TASK_INDEX=2",
                "disagree",
            ],
        );
        fails(
            "auto/4",
            &[
                ("JOB_COMPLETION_INDEX", "1"),
                ("CLOUD_RUN_TASK_INDEX", "1"),
                ("CLOUD_RUN_TASK_COUNT", "3"),
            ],
            &["auto/4", "CLOUD_RUN_TASK_COUNT=3"],
        );
        fails(
            "auto",
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
                ("CLOUD_RUN_TASK_INDEX", "1"),
                ("CLOUD_RUN_TASK_COUNT", "3"),
            ],
            &["AWS_BATCH_JOB_ARRAY_SIZE=2", "CLOUD_RUN_TASK_COUNT=3"],
        );
    }
}
