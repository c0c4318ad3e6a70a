//! Incremental windows: an export with `window = "day"` (or week, month) reads one window of its
//! data per run, with `{window_start}` / `{window_end}` in its search, and remembers the last window
//! it committed ([`WindowState`], beside the data). A run exports every complete window since then,
//! in order, plus `lookback` windows before it for late-arriving rows; a window that fails stops the
//! export there, so the next run starts from it again and no window is ever skipped.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long a window is. Weeks start on Monday (ISO 8601); months on the 1st.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSize {
    /// One calendar day.
    Day,
    /// Seven days from a Monday.
    Week,
    /// A calendar month from its 1st.
    Month,
}

/// Text that is not a [`WindowSize`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown window '{0}': use day, week or month")]
pub struct UnknownWindowSize(pub String);

impl FromStr for WindowSize {
    type Err = UnknownWindowSize;

    fn from_str(text: &str) -> Result<Self, UnknownWindowSize> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" => Ok(WindowSize::Day),
            "week" => Ok(WindowSize::Week),
            "month" => Ok(WindowSize::Month),
            _ => Err(UnknownWindowSize(text.to_string())),
        }
    }
}

impl fmt::Display for WindowSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WindowSize::Day => "day",
            WindowSize::Week => "week",
            WindowSize::Month => "month",
        })
    }
}

/// A window of dates, `start` included, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The window's first day.
    pub start: NaiveDate,
    /// The day after the window's last day.
    pub end: NaiveDate,
}

impl WindowSize {
    /// The start of the window holding `date`.
    pub fn floor(self, date: NaiveDate) -> NaiveDate {
        match self {
            WindowSize::Day => date,
            WindowSize::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            WindowSize::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The window that starts at the window start `start`.
    pub fn window(self, start: NaiveDate) -> Window {
        let end = match self {
            WindowSize::Day => start + Days::new(1),
            WindowSize::Week => start + Days::new(7),
            WindowSize::Month => start + Months::new(1),
        };
        Window { start, end }
    }

    fn previous(self, start: NaiveDate) -> NaiveDate {
        match self {
            WindowSize::Day => start - Days::new(1),
            WindowSize::Week => start - Days::new(7),
            WindowSize::Month => start - Months::new(1),
        }
    }

    /// The windows from the one holding `from` up to the one holding the day before `to`: what
    /// `backfill --from FROM --to TO` exports.
    pub fn between(self, from: NaiveDate, to: NaiveDate) -> Vec<Window> {
        let mut windows = Vec::new();
        let mut start = self.floor(from);
        while start < to {
            let window = self.window(start);
            windows.push(window);
            start = window.end;
        }
        windows
    }
}

/// The windows a run on `run_date` exports, oldest first: every complete window (one that ended on
/// or before `run_date`) after `last_committed`, or from `first` when nothing was committed yet (by
/// default only the newest complete window), plus the `lookback` windows before the first of them.
pub fn due(
    size: WindowSize,
    run_date: NaiveDate,
    last_committed: Option<NaiveDate>,
    first: Option<NaiveDate>,
    lookback: u32,
) -> Vec<Window> {
    let newest = size.previous(size.floor(run_date));
    let mut start = match (last_committed, first) {
        (Some(last), _) => size.window(last).end,
        (None, Some(first)) => size.floor(first),
        (None, None) => newest,
    };
    for _ in 0..lookback {
        start = size.previous(start);
    }
    size.between(start, size.window(newest).end)
}

/// What an export with windows remembers between runs, in `_tsexport_state/NAME.json` beside its
/// data. Written only after a window's commit, so it never claims a window that is not there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    /// The export's `name` the state belongs to.
    pub export: String,
    /// The window size the export used when the state was written.
    pub window: WindowSize,
    /// The start of the newest window committed.
    pub last_committed: NaiveDate,
    /// The columns and types the export settled on, so every window is written with the same schema
    /// (query engines read the windows' folders as one table).
    #[serde(default)]
    pub columns: Vec<StateColumn>,
    /// The progress of the latest backfill, so that `--resume` continues it.
    #[serde(default)]
    pub backfill: Option<BackfillProgress>,
    /// When the state was written, RFC 3339 in UTC.
    pub updated_at: String,
}

/// How far a backfill of `from..to` got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillProgress {
    /// The backfill's `--from` date.
    pub from: NaiveDate,
    /// The backfill's `--to` date, excluded.
    pub to: NaiveDate,
    /// The start of the last window it committed.
    pub done_through: NaiveDate,
}

/// One column of [`WindowState::columns`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateColumn {
    /// The column's name.
    pub name: String,
    /// A type as `types` in the job file names it: `int`, `date`, `decimal(18,2)`, ...
    #[serde(rename = "type")]
    pub column_type: String,
}

/// `text` with `{window_start}` and `{window_end}` filled in `date_format` (strftime).
pub fn fill(text: &str, window: &Window, date_format: &str) -> String {
    text.replace(
        "{window_start}",
        &window.start.format(date_format).to_string(),
    )
    .replace("{window_end}", &window.end.format(date_format).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn starts(windows: &[Window]) -> Vec<String> {
        windows.iter().map(|w| w.start.to_string()).collect()
    }

    #[test]
    fn windows_start_on_days_mondays_and_firsts() {
        assert_eq!(WindowSize::Week.floor(d("2026-11-27")), d("2026-11-23"));
        assert_eq!(WindowSize::Week.floor(d("2026-11-23")), d("2026-11-23"));
        assert_eq!(WindowSize::Month.floor(d("2026-11-27")), d("2026-11-01"));
        assert_eq!(
            WindowSize::Month.window(d("2026-12-01")).end,
            d("2027-01-01")
        );
    }

    #[test]
    fn a_run_exports_complete_windows_since_the_last_commit() {
        let day = WindowSize::Day;
        // No state and no start: only yesterday.
        assert_eq!(
            starts(&due(day, d("2026-11-28"), None, None, 0)),
            ["2026-11-27"]
        );
        // Two nights missed: all three, oldest first.
        assert_eq!(
            starts(&due(day, d("2026-11-28"), Some(d("2026-11-24")), None, 0)),
            ["2026-11-25", "2026-11-26", "2026-11-27"]
        );
        // Up to date: nothing, unless there is a lookback.
        assert!(due(day, d("2026-11-28"), Some(d("2026-11-27")), None, 0).is_empty());
        assert_eq!(
            starts(&due(day, d("2026-11-28"), Some(d("2026-11-27")), None, 2)),
            ["2026-11-26", "2026-11-27"]
        );
        // A first date when there is no state.
        assert_eq!(
            starts(&due(
                WindowSize::Month,
                d("2026-11-28"),
                None,
                Some(d("2026-08-15")),
                0
            )),
            ["2026-08-01", "2026-09-01", "2026-10-01"]
        );
        // The current week is not complete.
        assert_eq!(
            starts(&due(WindowSize::Week, d("2026-11-28"), None, None, 0)),
            ["2026-11-16"]
        );
    }

    #[test]
    fn placeholders_take_the_date_form_asked_for() {
        let window = WindowSize::Day.window(d("2026-11-27"));
        assert_eq!(
            fill(
                "[Order Date] >= '{window_start}' [Order Date] < '{window_end}'",
                &window,
                "%Y-%m-%d"
            ),
            "[Order Date] >= '2026-11-27' [Order Date] < '2026-11-28'"
        );
        assert_eq!(fill("{window_start}", &window, "%m/%d/%Y"), "11/27/2026");
        assert_eq!(
            starts(&WindowSize::Day.between(d("2026-11-25"), d("2026-11-28"))),
            ["2026-11-25", "2026-11-26", "2026-11-27"]
        );
    }
}
