//! Calendar arithmetic in the cluster's time zone: local midnights and date buckets.
//!
//! ThoughtSpot sends DATE and DATE_TIME values as epoch seconds meant to be read in the cluster's zone
//! (wire-protocol §3.4), so a DATE is the epoch of its local midnight and a bucket (`[Order Date].monthly`)
//! starts at the local midnight of its first day.

use chrono::{Datelike, Days, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// Epoch seconds of local midnight on `date` in `tz`.
pub fn midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // Where a zone skips midnight (a DST change at 00:00), the day starts an hour later.
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
        .unwrap_or_else(|| naive.and_utc().timestamp())
}

/// Epoch seconds of local midnight for `days` consecutive days from `start`.
pub fn midnights(tz: Tz, start: NaiveDate, days: u32) -> Vec<i64> {
    (0..days)
        .map(|d| midnight(tz, start + Days::new(u64::from(d))))
        .collect()
}

/// The local calendar date of an epoch second.
pub fn local_date(tz: Tz, epoch: i64) -> NaiveDate {
    tz.timestamp_opt(epoch, 0)
        .earliest()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// Date buckets of the search language (`[col].monthly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateBucket {
    /// By day.
    Daily,
    /// Weeks start on Sunday, as in the en-US locale searches are parsed in.
    Weekly,
    /// By month.
    Monthly,
    /// By calendar quarter.
    Quarterly,
    /// By year.
    Yearly,
}

impl DateBucket {
    /// The bucket a search names (`daily`, `monthly`, ...), in any case.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "daily" => DateBucket::Daily,
            "weekly" => DateBucket::Weekly,
            "monthly" => DateBucket::Monthly,
            "quarterly" => DateBucket::Quarterly,
            "yearly" => DateBucket::Yearly,
            _ => return None,
        })
    }

    /// The column's display name: `Month(Order Date)`.
    pub fn display_name(self, column: &str) -> String {
        let unit = match self {
            DateBucket::Daily => "Day",
            DateBucket::Weekly => "Week",
            DateBucket::Monthly => "Month",
            DateBucket::Quarterly => "Quarter",
            DateBucket::Yearly => "Year",
        };
        format!("{unit}({column})")
    }

    /// The first and last day of the bucket holding `date`.
    fn days(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let first_of = |year, month| NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(date);
        let start = match self {
            DateBucket::Daily => date,
            DateBucket::Weekly => {
                date - Days::new(u64::from(date.weekday().num_days_from_sunday()))
            }
            DateBucket::Monthly => first_of(date.year(), date.month()),
            DateBucket::Quarterly => first_of(date.year(), (date.month() - 1) / 3 * 3 + 1),
            DateBucket::Yearly => first_of(date.year(), 1),
        };
        let next = match self {
            DateBucket::Daily => start + Days::new(1),
            DateBucket::Weekly => start + Days::new(7),
            DateBucket::Monthly => start + Months::new(1),
            DateBucket::Quarterly => start + Months::new(3),
            DateBucket::Yearly => start + Months::new(12),
        };
        (start, next - Days::new(1))
    }

    /// The bucket of the instant `epoch` as `(start, end)`: the epoch seconds of its first local
    /// midnight and of its last second.
    pub fn bounds(self, tz: Tz, epoch: i64) -> (i64, i64) {
        let (first, last) = self.days(local_date(tz, epoch));
        (midnight(tz, first), midnight(tz, last + Days::new(1)) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_in_a_zone_with_daylight_saving() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // 2024-03-20 15:00 local; March 2024 spans the spring DST change.
        let instant = midnight(tz, day(2024, 3, 20)) + 15 * 3600;
        assert_eq!(
            DateBucket::Monthly.bounds(tz, instant),
            (
                midnight(tz, day(2024, 3, 1)),
                midnight(tz, day(2024, 4, 1)) - 1
            )
        );
        assert_eq!(
            DateBucket::Quarterly.bounds(tz, instant).0,
            midnight(tz, day(2024, 1, 1))
        );
        assert_eq!(
            DateBucket::Yearly.bounds(tz, instant).1,
            midnight(tz, day(2025, 1, 1)) - 1
        );
        // 2024-03-20 is a Wednesday: its week starts on Sunday the 17th.
        assert_eq!(
            DateBucket::Weekly.bounds(tz, instant).0,
            midnight(tz, day(2024, 3, 17))
        );
        assert_eq!(
            DateBucket::Daily.bounds(tz, instant),
            (
                midnight(tz, day(2024, 3, 20)),
                midnight(tz, day(2024, 3, 21)) - 1
            )
        );
        assert_eq!(
            local_date(tz, midnight(tz, day(2024, 11, 3))),
            day(2024, 11, 3)
        );
    }
}
