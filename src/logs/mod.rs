//! ThoughtSpot's own logs as a table: the security audit log of `logs/fetch`, read over a range of
//! days as a [`RecordBatchStream`] that exports, windows and lake tables take like any search.
//!
//! The cluster answers at most 24 hours a request, with no count to check against, so completeness
//! here means coverage: the range is cut into spans of at most 24 hours laid end to end, each span is
//! asked for and answered in full, and a span the cluster refuses (400) is halved and asked again,
//! never dropped or cut short. Each answer is trimmed to its own span (a cluster may include both
//! ends, so an event on a boundary would otherwise come twice) and sorted by time, so every row
//! lands once and a rerun writes the same rows in the same order.
//!
//! The cluster keeps security events about 30 days. A range that starts before that cannot be
//! proven complete, so it is refused unless incomplete results are allowed.

mod events;

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::stream::{self, StreamExt};

pub use events::{schema, EventError};

use crate::api::{day_start_ms, Client, Error as ApiError, LogType};
use crate::pager::PagerError;
use crate::read::{DecodedPage, PageStats, ReadError, RecordBatchStream};

/// The longest span one `logs/fetch` call may cover, as ThoughtSpot documents.
pub const MAX_SPAN_MS: i64 = 24 * HOUR_MS;
/// A refused span is halved down to this, then the refusal stands.
const MIN_SPAN_MS: i64 = 60_000;
/// How long ThoughtSpot keeps security events.
pub const RETENTION_DAYS: i64 = 30;
const HOUR_MS: i64 = 3_600_000;

/// A log over a range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// Which log.
    pub log_type: LogType,
    /// The first day, from its midnight in the read's time zone.
    pub from: NaiveDate,
    /// The day after the last, to its midnight; `None`: up to now.
    pub to: Option<NaiveDate>,
}

impl LogRequest {
    /// `log_type` from the start of `from` up to now.
    pub fn since(log_type: LogType, from: NaiveDate) -> Self {
        Self {
            log_type,
            from,
            to: None,
        }
    }

    /// `log_type` over the days `from` up to (not including) `to`.
    pub fn days(log_type: LogType, from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            log_type,
            from,
            to: Some(to),
        }
    }

    /// The range in epoch milliseconds, `start` included, `end` excluded, with days starting at
    /// `zone`'s midnights and `now_ms` standing for an open end.
    pub fn range_ms(&self, zone: Tz, now_ms: i64) -> (i64, i64) {
        let start = day_start_ms(zone, self.from);
        let end = self.to.map_or(now_ms, |to| day_start_ms(zone, to));
        (start, end)
    }
}

/// `start..end` cut into spans of at most [`MAX_SPAN_MS`], end to end.
pub fn spans(start_ms: i64, end_ms: i64) -> Vec<(i64, i64)> {
    let mut spans = Vec::new();
    let mut at = start_ms;
    while at < end_ms {
        let next = end_ms.min(at + MAX_SPAN_MS);
        spans.push((at, next));
        at = next;
    }
    spans
}

/// Whether a refusal of a span is worth halving it for: the cluster said the request was wrong, and
/// the only thing that changes between requests is the range.
fn refused_range(error: &ApiError) -> bool {
    matches!(error, ApiError::Api { status: 400, .. })
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |t| t.to_rfc3339())
}

/// Opens a read of `request`'s log: every span is fetched in order, one request at a time (logs are
/// small, and the cluster documents sequential requests), each becoming one sorted batch.
pub async fn open(
    client: &Client,
    request: &LogRequest,
    zone: Tz,
    allow_incomplete: bool,
) -> Result<RecordBatchStream, ReadError> {
    let now = Utc::now().timestamp_millis();
    let (start, end) = request.range_ms(zone, now);
    if end <= start {
        return Err(ReadError::Config(format!(
            "the log range {} to {} is empty: `to` must come after `from`",
            rfc3339(start),
            rfc3339(end)
        )));
    }
    let kept_from = now - RETENTION_DAYS * 24 * HOUR_MS;
    if start < kept_from && !allow_incomplete {
        let first_kept = DateTime::<Utc>::from_timestamp_millis(kept_from)
            .map(|t| t.with_timezone(&zone).date_naive() + chrono::Days::new(1))
            .unwrap_or(request.from);
        return Err(ReadError::Pager(PagerError::Incomplete {
            expected: 0,
            received: 0,
            reason: format!(
                "ThoughtSpot keeps the {} log about {RETENTION_DAYS} days, and {} is older, so \
                 events may already be gone. Export from {first_kept} on, or allow incomplete \
                 results (the `allow_incomplete` setting) to take what is left",
                request.log_type, request.from,
            ),
        }));
    }
    let table = schema(zone);
    let arrow = table.arrow();
    let reader = SpanReader {
        client: client.clone(),
        log_type: request.log_type,
        table: table.clone(),
        pending: spans(start, end).into(),
        stats: PageStats {
            sampling_ratio: 1.0,
            ..PageStats::default()
        },
    };
    let pages = stream::unfold(reader, |mut reader| async move {
        let page = reader.next_page().await.transpose()?;
        if page.is_err() {
            // A failed span ends the read: the spans after it must not look like the whole log.
            reader.pending.clear();
        }
        Some((page, reader))
    });
    Ok(RecordBatchStream::from_parts(arrow, table, pages.boxed()))
}

/// Walks the spans still to read.
struct SpanReader {
    client: Client,
    log_type: LogType,
    table: crate::decode::TableSchema,
    pending: VecDeque<(i64, i64)>,
    stats: PageStats,
}

impl SpanReader {
    /// The next span's rows, `None` after the last span. A span the cluster refuses is halved and
    /// its halves read in its place.
    async fn next_page(&mut self) -> Result<Option<DecodedPage>, ReadError> {
        while let Some((start, end)) = self.pending.pop_front() {
            let fetched = self.client.fetch_logs(self.log_type, start, end).await;
            let batch = match fetched {
                Ok(batch) => batch,
                Err(error) if refused_range(&error) && end - start > MIN_SPAN_MS => {
                    let middle = start + (end - start) / 2;
                    tracing::info!(%error, from = %rfc3339(start), to = %rfc3339(end), "the cluster refused this log range; asking for its halves");
                    self.pending.push_front((middle, end));
                    self.pending.push_front((start, middle));
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let json_bytes = batch.bytes;
            let describe = |index, reason| EventError {
                index,
                start: rfc3339(start),
                end: rfc3339(end),
                reason,
            };
            let mut entries = Vec::with_capacity(batch.entries.len());
            for (index, entry) in batch.entries.into_iter().enumerate() {
                let micros = events::entry_micros(&entry)
                    .map_err(|reason| unexpected(describe(index, reason)))?;
                // Both ends may be answered; each event belongs to the span holding it, start included.
                if (start * 1000..end * 1000).contains(&micros) {
                    entries.push((micros, entry));
                }
            }
            entries.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.log.cmp(&y.log)));
            let batch = events::to_batch(&self.table, &entries, describe).map_err(unexpected)?;
            self.stats.pages += 1;
            self.stats.rows += batch.num_rows() as u64;
            self.stats.bytes += json_bytes;
            return Ok(Some(DecodedPage {
                batch,
                stats: self.stats.clone(),
            }));
        }
        Ok(None)
    }
}

/// An entry the cluster sent that is not what `logs/fetch` documents.
fn unexpected(error: EventError) -> ReadError {
    ApiError::Decode {
        endpoint: "v2/logs/fetch".into(),
        reason: error.to_string(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_cut_into_spans_of_at_most_a_day_end_to_end() {
        assert_eq!(spans(0, 0), vec![]);
        assert_eq!(spans(0, 10), vec![(0, 10)]);
        let day = MAX_SPAN_MS;
        assert_eq!(spans(0, day), vec![(0, day)]);
        assert_eq!(
            spans(5, 2 * day + 7),
            vec![
                (5, day + 5),
                (day + 5, 2 * day + 5),
                (2 * day + 5, 2 * day + 7)
            ]
        );
    }

    #[test]
    fn days_start_at_the_zones_midnight_and_a_clock_change_day_is_longer() {
        let zone: Tz = "America/Chicago".parse().expect("zone");
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let request = LogRequest::days(LogType::SecurityAudit, d("2026-11-01"), d("2026-11-02"));
        let (start, end) = request.range_ms(zone, 0);
        assert_eq!(start, 1_793_509_200_000, "05:00 UTC, before the change");
        assert_eq!(
            end - start,
            25 * HOUR_MS,
            "the day clocks go back is 25 hours"
        );
        assert_eq!(spans(start, end).len(), 2);
        let open = LogRequest::since(LogType::SecurityAudit, d("2026-11-01"));
        assert_eq!(open.range_ms(zone, start + 42).1, start + 42);
    }
}
