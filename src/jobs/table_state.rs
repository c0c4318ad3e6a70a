//! The state of a windowed export to a lake table is the table's own log, so the table alone is
//! the source of truth and no state file can be lost or disagree with it. Each window's commit
//! records two application transactions (`txn`):
//!
//! - `tsexport/<export>/<window start>`, version the run date as `YYYYMMDD`: a run that committed
//!   a window and then crashed is recognised when run again for the same date, and the window is
//!   not committed twice;
//! - `tsexport/<export>`, version the start of the last window a nightly run committed, as
//!   `YYYYMMDD`: the windows a run owes start after it. It only moves forward, to the window right
//!   after it, as with a state file; a backfill never moves it.
//!
//! Column types come from the table's schema (each column keeps tsexport's type). Each window
//! replaces exactly the partitions its days fall in ([`window_partitions`]), so `lookback` and
//! reruns never duplicate a row.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Map};

use super::plan::PlannedExport;
use super::runner::Backfill;
use super::window::Window;
use crate::export::TableScope;
use crate::sink::{PartitionBy, PartitionSpec};

/// The application transaction of one window of `export`.
pub fn window_app(export: &str, start: NaiveDate) -> String {
    format!("tsexport/{export}/{}", start.format("%Y-%m-%d"))
}

/// The application transaction of `export`'s nightly progress.
pub fn progress_app(export: &str) -> String {
    format!("tsexport/{export}")
}

/// `date` as the number `YYYYMMDD`, the versions of the transactions.
pub fn date_number(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

#[cfg_attr(not(feature = "delta"), allow(dead_code))]
fn number_date(number: i64) -> Option<NaiveDate> {
    let year = i32::try_from(number / 10_000).ok()?;
    NaiveDate::from_ymd_opt(year, (number / 100 % 100) as u32, (number % 100) as u32)
}

/// The partition values a window covers: its days (`:day`), or its month (`:month` of a month
/// window). The job file's check makes sure the grain fits the window.
pub fn window_partitions(window: &Window, spec: &PartitionSpec) -> BTreeSet<String> {
    match spec.by {
        PartitionBy::Month => BTreeSet::from([window.start.format("%Y-%m").to_string()]),
        PartitionBy::Year => BTreeSet::from([window.start.format("%Y").to_string()]),
        _ => window
            .start
            .iter_days()
            .take_while(|day| *day < window.end)
            .map(|day| day.format("%Y-%m-%d").to_string())
            .collect(),
    }
}

/// What a commit of `window` records: the partitions it replaces, its transactions, and the
/// window in `commitInfo`.
pub fn scope(
    planned: &PlannedExport,
    window: &Window,
    run_date: NaiveDate,
    backfill: Option<Backfill>,
) -> TableScope {
    let partitions = planned
        .options
        .partition
        .as_ref()
        .map(|spec| window_partitions(window, spec));
    let mut info = Map::new();
    info.insert("export".into(), json!(planned.name));
    info.insert(
        "window".into(),
        json!({"start": window.start, "end": window.end}),
    );
    info.insert("run_date".into(), json!(run_date));
    info.insert("backfill".into(), json!(backfill.is_some()));
    TableScope {
        partitions,
        transactions: vec![(
            window_app(&planned.name, window.start),
            date_number(run_date),
        )],
        progress: backfill
            .is_none()
            .then(|| (progress_app(&planned.name), date_number(window.start))),
        info,
    }
}

/// The state the table's log holds for `planned`, as a [`WindowState`](super::window::WindowState), and the windows a run on
/// `run_date` (or `backfill`) owes: those after the last committed (with `lookback`), or the
/// backfill's, without the windows this run date already committed (a rerun after a crash; a
/// backfill skips them only with `--resume`).
#[cfg(feature = "delta")]
pub async fn windows(
    planned: &PlannedExport,
    plan: &super::plan::WindowPlan,
    run_date: NaiveDate,
    backfill: Option<Backfill>,
) -> Result<(Option<super::window::WindowState>, Vec<Window>), crate::lake::LakeError> {
    use super::window::{self, StateColumn, WindowState};

    let destination = crate::sink::Destination::parse(&planned.destination).map_err(|e| {
        crate::lake::LakeError::NotATable {
            table: format!("{} ({e})", planned.destination),
        }
    })?;
    let table = crate::lake::delta::Table::open(&destination).await?;
    let last = table
        .transaction_version(&progress_app(&planned.name))
        .await?
        .and_then(number_date);
    let candidates = match backfill {
        None => window::due(plan.size, run_date, last, plan.first, plan.lookback),
        Some(backfill) => plan.size.between(backfill.from, backfill.to),
    };
    let skip_done = backfill.is_none_or(|b| b.resume);
    let mut due = Vec::with_capacity(candidates.len());
    for window in candidates {
        let done = table
            .transaction_version(&window_app(&planned.name, window.start))
            .await?
            .is_some_and(|version| version >= date_number(run_date));
        if done && skip_done {
            tracing::info!(export = %planned.name, window = %window.start, "window already committed for this run date; skipped");
        } else {
            due.push(window);
        }
    }
    let state = last.map(|last_committed| WindowState {
        export: planned.name.clone(),
        window: plan.size,
        last_committed,
        columns: table
            .column_types()
            .into_iter()
            .map(|(name, column_type)| StateColumn {
                name,
                column_type: column_type.to_string(),
            })
            .collect(),
        backfill: None,
        updated_at: String::new(),
    });
    Ok((state, due))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::window;

    #[test]
    fn windows_cover_their_days_and_dates_number_both_ways() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let week = window::WindowSize::Week.window(day("2026-11-23"));
        let spec: PartitionSpec = "Order Date:day".parse().unwrap();
        let days = window_partitions(&week, &spec);
        assert_eq!(days.len(), 7);
        assert_eq!(days.first().unwrap(), "2026-11-23");
        assert_eq!(days.last().unwrap(), "2026-11-29");
        let month: PartitionSpec = "Order Date:month".parse().unwrap();
        let november = window::WindowSize::Month.window(day("2026-11-01"));
        assert_eq!(
            window_partitions(&november, &month),
            BTreeSet::from(["2026-11".to_string()])
        );
        assert_eq!(date_number(day("2026-11-05")), 20261105);
        assert_eq!(number_date(20261105), Some(day("2026-11-05")));
        assert_eq!(number_date(20261305), None);
    }
}
