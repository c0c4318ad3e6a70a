//! A search (or a viz, or an Answer; through REST v1 or v2) becomes an ordered stream of pages, with
//! up to `in_flight` requests at once, checked for completeness as `docs/guarantees.md` defines it: pages are
//! contiguous, the last one is short or empty, the rows add up to at least every `totalRowCount` the
//! server reported (a floor, not a stop rule: it is not trustworthy in every version), and the
//! sampling ratio is 1. Through v2, which reports no total to trust, each page must also begin with
//! the row the previous one ended on ([`Seams`]).
//!
//! The first page is fetched alone: its `pageSize` tells the effective page size (a cluster may cap
//! it below what was asked), and only then are later pages requested ahead, so the offsets asked for
//! are always the ones the server will page by.

mod seam;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, Stream, StreamExt};
use seam::Overlap;

use crate::api::{
    AnswerRequest, ApiVersion, Client, Error as ApiError, Page, PinboardRequest, SearchRequest,
};

/// How pages are fetched and what counts as complete.
#[derive(Debug, Clone)]
pub struct PagerConfig {
    /// Rows asked for per page; at most 100,000 (the documented per-call cap).
    pub page_size: u64,
    /// Page requests in flight at once.
    pub in_flight: usize,
    /// Accept a `samplingRatio` below 1.
    pub allow_sampled: bool,
    /// Accept fewer rows than the server reported, or a result that changed while paging.
    pub allow_incomplete: bool,
}

impl Default for PagerConfig {
    fn default() -> Self {
        Self {
            page_size: 100_000,
            in_flight: 2,
            allow_sampled: false,
            allow_incomplete: false,
        }
    }
}

/// The most rows one call may ask for (wire-protocol §3.1).
pub const MAX_PAGE_SIZE: u64 = 100_000;

/// The most page requests one read keeps in flight: more only queues on the cluster.
pub const MAX_IN_FLIGHT: usize = 16;

/// Why paging stopped short of a complete result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PagerError {
    /// A call failed (after its retries).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The data cannot be trusted to be all of the result.
    #[error("incomplete result: {reason} ({received} rows received{}). Nothing is wrong with your query; re-run it, add a 'sort by' so pages are stable, or allow incomplete results (the `allow_incomplete` setting) to accept it", reported(*.expected))]
    Incomplete {
        /// The most rows the server reported (0 when it reported none).
        expected: u64,
        /// The rows received.
        received: u64,
        /// What showed that rows are missing.
        reason: String,
    },
    /// ThoughtSpot sampled the result.
    #[error("sampled result: ThoughtSpot returned samplingRatio {ratio}, so rows are missing. Narrow the search, or allow sampled results (the `allow_sampled` setting) to accept it")]
    Sampled {
        /// The lowest `samplingRatio` seen.
        ratio: f64,
    },
    /// The configuration cannot page.
    #[error("invalid paging settings: {0}")]
    Config(String),
}

/// `, at least N reported`, when the server reported a total.
fn reported(expected: u64) -> String {
    if expected == 0 {
        String::new()
    } else {
        format!(", at least {expected} reported")
    }
}

/// One page in order, with where it sits in the result.
#[derive(Debug, Clone)]
pub struct PageAt {
    /// 0-based position of the page in the result.
    pub index: u64,
    /// The 0-based row of the result the page starts at.
    pub offset: u64,
    /// The page's rows, its overlap row left out.
    pub rows: u64,
    /// The page's bytes and counters, as the server sent them.
    pub page: Page,
    /// The page's first row repeats the previous page's last ([`Seams::Overlapped`]): the reader
    /// checks that it does and drops it.
    pub overlap: bool,
}

/// Completeness facts gathered while paging.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    received: u64,
    reported_total: Option<u64>,
}

fn rows_of(page: &Page) -> u64 {
    page.counters
        .row_count
        .filter(|r| *r >= 0.0)
        .map(|r| r as u64)
        .unwrap_or(0)
}

fn check(
    page: &Page,
    offset: u64,
    tally: &mut Tally,
    config: &PagerConfig,
) -> Result<(), PagerError> {
    let ratio = page.counters.sampling_ratio.unwrap_or(1.0);
    if ratio < 1.0 && !config.allow_sampled {
        return Err(PagerError::Sampled { ratio });
    }
    let incomplete = |tally: &Tally, reason: String| PagerError::Incomplete {
        expected: tally.reported_total.unwrap_or(0),
        received: tally.received,
        reason,
    };
    if let Some(reported) = page.counters.offset.filter(|o| *o >= 0.0).map(|o| o as u64) {
        if reported != offset && !config.allow_incomplete {
            return Err(incomplete(
                tally,
                format!("asked for rows from {offset}, got rows from {reported}"),
            ));
        }
    }
    if let Some(total) = page
        .counters
        .total_row_count
        .filter(|t| *t >= 0.0)
        .map(|t| t as u64)
    {
        match tally.reported_total {
            Some(previous) if previous != total && !config.allow_incomplete => {
                return Err(incomplete(
                    tally,
                    format!("the result changed while paging: totalRowCount went from {previous} to {total}"),
                ));
            }
            _ => tally.reported_total = Some(tally.reported_total.map_or(total, |p| p.max(total))),
        }
    }
    tally.received += rows_of(page);
    Ok(())
}

/// Fetches the page of `size` rows at `offset`.
pub type FetchPage =
    Arc<dyn Fn(u64, u64) -> BoxFuture<'static, Result<Page, ApiError>> + Send + Sync>;

/// How consecutive pages are checked to meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seams {
    /// v1: pages as asked; `totalRowCount` shows rows that moved, and a 400 after a full page is
    /// how some builds say "past the end" (wire-protocol §6, §7 Q1).
    Counted,
    /// v2: each later page is asked for from one row early, and that row must be the previous
    /// page's last, so rows inserted or deleted while paging are caught without a trustworthy total.
    /// Pages are then at most one row under the per-call cap.
    Overlapped,
}

impl Seams {
    /// The seams pages read through `api` are checked with.
    pub fn of(api: ApiVersion) -> Self {
        match api {
            ApiVersion::V1 => Seams::Counted,
            ApiVersion::V2 => Seams::Overlapped,
        }
    }
}

/// The pages of a search through `api`, in order. The stream ends after the short or empty last
/// page; a completeness failure ends it with an error.
pub fn search_pages(
    client: Client,
    request: SearchRequest,
    config: PagerConfig,
    api: ApiVersion,
) -> impl Stream<Item = Result<PageAt, PagerError>> {
    let fetch: FetchPage = Arc::new(move |offset, size| {
        let (client, request) = (client.clone(), request.clone());
        Box::pin(async move {
            match api {
                ApiVersion::V1 => client.search_page_v1(&request, offset, size).await,
                ApiVersion::V2 => client.search_page_v2(&request, offset, size).await,
            }
        })
    });
    pages(fetch, config, Seams::of(api))
}

/// The pages of one viz of a pinboard (a liveboard, in v2), in order: each viz is paged on its own
/// (wire-protocol §3.1, §7 Q21).
pub fn viz_pages(
    client: Client,
    pinboard: String,
    viz: String,
    config: PagerConfig,
    api: ApiVersion,
) -> impl Stream<Item = Result<PageAt, PagerError>> {
    viz_request_pages(client, PinboardRequest::new(pinboard), viz, config, api)
}

/// The pages of viz `viz` of `request`'s pinboard, with `request`'s runtime filters, sort and
/// parameters (its `vizzes` are replaced by `viz`).
pub fn viz_request_pages(
    client: Client,
    mut request: PinboardRequest,
    viz: String,
    config: PagerConfig,
    api: ApiVersion,
) -> impl Stream<Item = Result<PageAt, PagerError>> {
    request.vizzes = vec![viz.clone()];
    let fetch: FetchPage = Arc::new(move |offset, size| {
        let (client, request, viz) = (client.clone(), request.clone(), viz.clone());
        Box::pin(async move {
            let (blocks, endpoint) = match api {
                ApiVersion::V1 => (
                    client.pinboard_page_v1(&request, offset, size).await?,
                    "pinboarddata",
                ),
                ApiVersion::V2 => (
                    client.liveboard_page_v2(&request, offset, size).await?,
                    "v2/metadata/liveboard/data",
                ),
            };
            let block =
                blocks
                    .into_iter()
                    .find(|b| b.viz == viz)
                    .ok_or_else(|| ApiError::Decode {
                        endpoint: endpoint.into(),
                        reason: format!("the response has no block for viz {viz}"),
                    })?;
            Ok(Page {
                bytes: block.bytes,
                counters: block.counters,
            })
        })
    });
    pages(fetch, config, Seams::of(api))
}

/// The pages of a saved Answer, in order (REST v2 only).
pub fn answer_pages(
    client: Client,
    request: AnswerRequest,
    config: PagerConfig,
) -> impl Stream<Item = Result<PageAt, PagerError>> {
    let fetch: FetchPage = Arc::new(move |offset, size| {
        let (client, request) = (client.clone(), request.clone());
        Box::pin(async move { client.answer_page_v2(&request, offset, size).await })
    });
    pages(fetch, config, Seams::Overlapped)
}

/// Fetches a page and what it holds before its own rows.
type FetchSeamed =
    Arc<dyn Fn(u64, u64) -> BoxFuture<'static, Result<(Page, Overlap), ApiError>> + Send + Sync>;

/// The pages `fetch` returns, in order, checked for completeness and, by `seams`, that each meets
/// the one before.
pub fn pages(
    fetch: FetchPage,
    config: PagerConfig,
    seams: Seams,
) -> impl Stream<Item = Result<PageAt, PagerError>> {
    let (fetch, config): (FetchSeamed, PagerConfig) = match seams {
        Seams::Counted => (
            Arc::new(move |offset, size| {
                let page = fetch(offset, size);
                Box::pin(async move { page.await.map(|page| (page, Overlap::None)) })
            }),
            config,
        ),
        Seams::Overlapped => {
            let config = PagerConfig {
                page_size: config.page_size.min(MAX_PAGE_SIZE - 1),
                ..config
            };
            (
                Arc::new(move |offset, size| {
                    let fetch = fetch.clone();
                    Box::pin(async move { seam::fetch_overlapped(&fetch, offset, size).await })
                }),
                config,
            )
        }
    };
    stream::once(first_then_rest(fetch, config, seams)).flatten()
}

async fn first_then_rest(
    fetch: FetchSeamed,
    config: PagerConfig,
    seams: Seams,
) -> std::pin::Pin<Box<dyn Stream<Item = Result<PageAt, PagerError>> + Send>> {
    if !(1..=MAX_PAGE_SIZE).contains(&config.page_size)
        || !(1..=MAX_IN_FLIGHT).contains(&config.in_flight)
    {
        let message = format!(
            "page size must be 1..={MAX_PAGE_SIZE} and pages in flight 1..={MAX_IN_FLIGHT} (got {} and {})",
            config.page_size, config.in_flight
        );
        return Box::pin(stream::once(
            async move { Err(PagerError::Config(message)) },
        ));
    }
    let (first, _) = match fetch(0, config.page_size).await {
        Ok(page) => page,
        Err(e) => return Box::pin(stream::once(async move { Err(e.into()) })),
    };
    let mut tally = Tally::default();
    if let Err(e) = check(&first, 0, &mut tally, &config) {
        return Box::pin(stream::once(async move { Err(e) }));
    }
    // The server's page size rules; ask for the same from here on. REST v2's `record_size` only
    // echoes the size asked for, so it tells nothing.
    let told = match seams {
        Seams::Counted => first.counters.page_size.filter(|s| *s >= 1.0),
        Seams::Overlapped => None,
    };
    let size = told.map_or(config.page_size, |s| (s as u64).min(config.page_size));
    let first_rows = rows_of(&first);
    // A server that does not tell its page size may still cap pages below the size asked for, so
    // a short first page proves nothing: page by what it sent (less the overlap row later pages
    // ask for), and the page after it (empty for a result that fit) decides. One more request for
    // a one-page result.
    let size = match (told, seams) {
        (None, Seams::Counted) if (1..size).contains(&first_rows) => first_rows,
        (None, Seams::Overlapped) if (1..size).contains(&first_rows) => (first_rows - 1).max(1),
        _ => size,
    };
    let head = PageAt {
        index: 0,
        offset: 0,
        rows: first_rows,
        page: first,
        overlap: false,
    };
    if first_rows < size {
        let finished = finish(tally, &config).map(|()| head);
        return Box::pin(stream::once(async move { finished }));
    }
    let rest = stream::iter(1u64..)
        .map(move |index| {
            // The first page's rows, then pages of `size`.
            let offset = first_rows + (index - 1) * size;
            let page = fetch(offset, size);
            async move { (index, offset, page.await) }
        })
        .buffered(config.in_flight);
    let walk = Walk {
        tally,
        config,
        size,
        seams,
        done: false,
    };
    let walk = rest.scan(walk, |walk, (index, offset, page)| {
        futures_util::future::ready(walk.step(index, offset, page))
    });
    let pages = walk.filter_map(|item| async move {
        match item {
            Ok(Some(page)) => Some(Ok(page)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    });
    Box::pin(stream::once(async move { Ok(head) }).chain(pages))
}

/// The pages after the first, as they arrive in order: each is checked, and the walk ends at the
/// first short page, the first error, or a page past the end.
struct Walk {
    tally: Tally,
    config: PagerConfig,
    /// The page size the server settled on with the first page.
    size: u64,
    seams: Seams,
    done: bool,
}

impl Walk {
    /// What the page at `index` gives the stream: `None` once the walk has ended (the stream stops
    /// there), else a page, nothing (an empty last page), or an error.
    fn step(
        &mut self,
        index: u64,
        offset: u64,
        page: Result<(Page, Overlap), ApiError>,
    ) -> Option<Result<Option<PageAt>, PagerError>> {
        if self.done {
            return None;
        }
        let (item, more) = self.take(index, offset, page);
        self.done = !more;
        Some(item)
    }

    /// The page at `index`, checked, and whether more pages may follow.
    fn take(
        &mut self,
        index: u64,
        offset: u64,
        page: Result<(Page, Overlap), ApiError>,
    ) -> (Result<Option<PageAt>, PagerError>, bool) {
        let (page, overlap) = match page {
            // After a full page, a 400 is how some builds say "past the end" (wire-protocol §6, §7 Q1).
            Err(ApiError::Api { status: 400, .. }) if self.seams == Seams::Counted => {
                tracing::info!(
                    offset,
                    "a page past the end came back as 400; treating it as the end"
                );
                return (self.finish().map(|()| None), false);
            }
            Err(e) => return (Err(e.into()), false),
            // Not even the overlap row: rows were deleted before this page.
            Ok((_, Overlap::Missing)) => return (self.rows_deleted_before(offset), false),
            Ok(found) => found,
        };
        if let Err(e) = check(&page, offset, &mut self.tally, &self.config) {
            return (Err(e), false);
        }
        let rows = rows_of(&page);
        let at = PageAt {
            index,
            offset,
            rows,
            page,
            overlap: overlap == Overlap::Row,
        };
        if rows < self.size {
            // A short page is the last; an empty one is not handed out.
            (
                self.finish().map(|()| Some(at).filter(|p| p.rows > 0)),
                false,
            )
        } else {
            (Ok(Some(at)), true)
        }
    }

    fn rows_deleted_before(&self, offset: u64) -> Result<Option<PageAt>, PagerError> {
        if self.config.allow_incomplete {
            return self.finish().map(|()| None);
        }
        Err(PagerError::Incomplete {
            expected: self.tally.reported_total.unwrap_or(0),
            received: self.tally.received,
            reason: format!(
                "the row before offset {offset} is gone: rows were deleted while paging"
            ),
        })
    }

    fn finish(&self) -> Result<(), PagerError> {
        finish(self.tally, &self.config)
    }
}

/// The last check: at least as many rows as the largest total the server reported.
fn finish(tally: Tally, config: &PagerConfig) -> Result<(), PagerError> {
    match tally.reported_total {
        Some(expected) if tally.received < expected && !config.allow_incomplete => {
            Err(PagerError::Incomplete {
                expected,
                received: tally.received,
                reason: "fewer rows arrived than the server reported".into(),
            })
        }
        _ => Ok(()),
    }
}
