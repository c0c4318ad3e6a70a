//! DATE, DATE_TIME and TIME columns. ThoughtSpot sends epoch seconds (or `{"v":{"s":...}}`): a DATE is
//! local midnight in the cluster's zone, so it becomes that local calendar day; a value that is not a
//! local midnight does not fit (it would lose its time), and the policy widens the column to a
//! timestamp. DATE_TIME is an instant, kept as UTC microseconds and shown in the zone.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Date32Builder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder};
use arrow_array::ArrayRef;
use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use super::{seconds_to_micros, CellDecoder};

const UNIX_EPOCH_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// The local day number of `epoch` in `tz`, if `epoch` is that day's local midnight, or its first
/// instant where DST skips midnight (America/Havana, America/Santiago: the day starts at 01:00, as
/// Java's `LocalDate.atStartOfDay(zone)` and the emulator say). Found by the decode property test:
/// such dates used to widen the whole column to a timestamp.
fn local_midnight_day(tz: Tz, epoch: i64) -> Option<i32> {
    let local = tz.timestamp_opt(epoch, 0).single()?.naive_local();
    if local.time() != NaiveTime::MIN {
        let second_before = tz
            .timestamp_opt(epoch.checked_sub(1)?, 0)
            .single()?
            .naive_local();
        if second_before.date() >= local.date() {
            return None;
        }
    }
    i32::try_from((local.date() - UNIX_EPOCH_DAY).num_days()).ok()
}

pub(crate) struct DateDecoder {
    builder: Date32Builder,
    tz: Tz,
    /// Dates repeat a great deal within a page (and sorted results repeat the last one); the zone
    /// lookup does not need to.
    days: HashMap<i64, Option<i32>>,
    last: Option<(i64, Option<i32>)>,
}

impl DateDecoder {
    pub(crate) fn new(tz: Tz, capacity: usize) -> Self {
        Self {
            builder: Date32Builder::with_capacity(capacity),
            tz,
            days: HashMap::new(),
            last: None,
        }
    }
}

impl CellDecoder for DateDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        let day = match self.last {
            Some((last, day)) if last == value => day,
            _ => {
                if self.days.len() > 16_384 {
                    self.days.clear();
                }
                let tz = self.tz;
                let day = *self
                    .days
                    .entry(value)
                    .or_insert_with(|| local_midnight_day(tz, value));
                self.last = Some((value, day));
                day
            }
        };
        match day {
            Some(day) => {
                self.builder.append_value(day);
                true
            }
            None => false,
        }
    }

    fn push_float(&mut self, value: f64) -> bool {
        value.fract() == 0.0 && value.abs() < 9.2e18 && self.push_int(value as i64)
    }

    fn push_wrapped_date(&mut self, start: i64) -> bool {
        self.push_int(start)
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

pub(crate) struct TimestampDecoder {
    builder: TimestampMicrosecondBuilder,
    tz: Tz,
}

impl TimestampDecoder {
    pub(crate) fn new(tz: Tz, capacity: usize) -> Self {
        Self {
            builder: TimestampMicrosecondBuilder::with_capacity(capacity),
            tz,
        }
    }
}

impl CellDecoder for TimestampDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        match value.checked_mul(1_000_000) {
            Some(micros) => {
                self.builder.append_value(micros);
                true
            }
            None => false,
        }
    }

    fn push_float(&mut self, value: f64) -> bool {
        match seconds_to_micros(value) {
            Some(micros) => {
                self.builder.append_value(micros);
                true
            }
            None => false,
        }
    }

    fn push_wrapped_date(&mut self, start: i64) -> bool {
        self.push_int(start)
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(
            self.builder
                .finish()
                .with_timezone(self.tz.name().to_string()),
        )
    }
}

/// Seconds in a day; 86,400 itself is allowed for a leap second's end of day.
const DAY: i64 = 86_400;

pub(crate) struct TimeDecoder {
    builder: Time64MicrosecondBuilder,
}

impl TimeDecoder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            builder: Time64MicrosecondBuilder::with_capacity(capacity),
        }
    }
}

impl CellDecoder for TimeDecoder {
    fn push_null(&mut self) {
        self.builder.append_null();
    }

    fn push_int(&mut self, value: i64) -> bool {
        let fits = (0..=DAY).contains(&value);
        if fits {
            self.builder.append_value(value * 1_000_000);
        }
        fits
    }

    fn push_float(&mut self, value: f64) -> bool {
        match seconds_to_micros(value).filter(|m| (0..=DAY * 1_000_000).contains(m)) {
            Some(micros) => {
                self.builder.append_value(micros);
                true
            }
            None => false,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Date32Type;

    #[test]
    fn dates_are_local_midnights_in_the_cluster_zone() {
        let chicago: Tz = "America/Chicago".parse().expect("zone");
        let mut d = DateDecoder::new(chicago, 3);
        // 2021-10-01 00:00 in Chicago (CDT, UTC-5).
        assert!(d.push_int(1_633_064_400));
        // The same day at UTC midnight is 19:00 the day before in Chicago: not a date.
        assert!(!d.push_int(1_633_046_400));
        assert!(d.push_wrapped_date(1_633_064_400));
        let days = d.finish();
        let expected = (NaiveDate::from_ymd_opt(2021, 10, 1).expect("date") - UNIX_EPOCH_DAY)
            .num_days() as i32;
        assert_eq!(
            days.as_primitive::<Date32Type>().values(),
            &[expected, expected]
        );
    }

    #[test]
    fn a_day_whose_midnight_dst_skips_starts_at_its_first_instant() {
        let havana: Tz = "America/Havana".parse().expect("zone");
        let mut d = DateDecoder::new(havana, 3);
        // 2021-03-14: clocks go from 00:00 to 01:00 (CST to CDT), so the day starts at 01:00 CDT.
        assert!(d.push_int(1_615_698_000));
        // 02:00 CDT that day is not its start.
        assert!(!d.push_int(1_615_701_600));
        // 2021-11-07: clocks go back from 01:00 to 00:00; the first midnight is the day's start.
        assert!(d.push_int(1_636_257_600));
        let days = d.finish();
        let day = |y, m, d| {
            (NaiveDate::from_ymd_opt(y, m, d).expect("date") - UNIX_EPOCH_DAY).num_days() as i32
        };
        assert_eq!(
            days.as_primitive::<Date32Type>().values(),
            &[day(2021, 3, 14), day(2021, 11, 7)]
        );
    }

    #[test]
    fn timestamps_keep_the_zone_and_reject_overflow() {
        let mut d = TimestampDecoder::new(Tz::UTC, 2);
        assert!(d.push_int(1_633_046_400));
        assert!(!d.push_int(i64::MAX / 10));
        assert!(d.push_float(1.5));
        assert_eq!(
            d.finish().data_type().to_string(),
            arrow_schema::DataType::Timestamp(
                arrow_schema::TimeUnit::Microsecond,
                Some("UTC".into())
            )
            .to_string()
        );
    }
}
