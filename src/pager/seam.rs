//! Overlapped paging: each page after the first is asked for from one row early, and that row must
//! be the previous page's last.
//!
//! v1 pages carry `totalRowCount`, which moves when rows are inserted or deleted while a result is
//! paged. v2 has no counter to trust (`available_data_row_count` is the page's count on some
//! releases, wire-protocol §4.5), so rows that move between pages would be duplicated or skipped silently.
//! The one-row overlap catches that: with a sorted search, a row inserted or deleted before a page
//! shifts the row at its seam. It costs one row per page, and the page size stays one row under the
//! per-call cap so that `size + 1` rows can be asked for.
//!
//! The pager only asks for the row and keeps the counters honest (the page's `rows` leave it out);
//! the reader compares it with the previous page's last row once both are decoded, and drops it
//! (`crate::read`). Comparing decoded rows costs nothing; finding a page's last row in its JSON
//! would cost a scan of every page.

use super::FetchPage;
use crate::api::{Error as ApiError, Page};

/// What a page holds before its own rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overlap {
    /// Nothing: the first page, or a page read without overlap.
    None,
    /// The previous page's last row, asked for again.
    Row,
    /// Not even that row came back: rows were deleted while paging, or the result ended early.
    Missing,
}

/// `fetch` with overlap: `fetch(offset, size)` for the first page, `fetch(offset - 1, size + 1)`
/// for the others, whose counters then describe the page without its overlap row.
pub(super) async fn fetch_overlapped(
    fetch: &FetchPage,
    offset: u64,
    size: u64,
) -> Result<(Page, Overlap), ApiError> {
    if offset == 0 {
        return Ok((fetch(0, size).await?, Overlap::None));
    }
    let mut page = fetch(offset - 1, size + 1).await?;
    let counters = &mut page.counters;
    let rows = counters.row_count.unwrap_or(0.0);
    if rows < 1.0 {
        return Ok((page, Overlap::Missing));
    }
    counters.row_count = Some(rows - 1.0);
    if counters.offset == Some((offset - 1) as f64) {
        counters.offset = Some(offset as f64);
    }
    if counters.page_size == Some((size + 1) as f64) {
        counters.page_size = Some(size as f64);
    }
    Ok((page, Overlap::Row))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::api::Counters;

    /// A fetcher over `rows` numbers, echoing offsets and sizes, recording what was asked for.
    fn serving(rows: u64, asked: Arc<std::sync::Mutex<Vec<(u64, u64)>>>) -> FetchPage {
        Arc::new(move |offset, size| {
            asked.lock().expect("lock").push((offset, size));
            let served = (offset + size).min(rows).saturating_sub(offset);
            let page = Page {
                bytes: Bytes::new(),
                counters: Counters {
                    column_names: vec!["n".into()],
                    row_count: Some(served as f64),
                    page_size: Some(size as f64),
                    offset: Some(offset as f64),
                    total_row_count: None,
                    sampling_ratio: Some(1.0),
                    name: None,
                },
            };
            Box::pin(async move { Ok(page) })
        })
    }

    #[tokio::test]
    async fn later_pages_start_a_row_early_and_count_without_it() {
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let fetch = serving(10, asked.clone());
        let (first, overlap) = fetch_overlapped(&fetch, 0, 4).await.expect("first");
        assert_eq!(
            (first.counters.row_count, overlap),
            (Some(4.0), Overlap::None)
        );
        let (second, overlap) = fetch_overlapped(&fetch, 4, 4).await.expect("second");
        assert_eq!(overlap, Overlap::Row);
        let c = &second.counters;
        assert_eq!(
            (c.row_count, c.offset, c.page_size),
            (Some(4.0), Some(4.0), Some(4.0))
        );
        let (last, _) = fetch_overlapped(&fetch, 8, 4).await.expect("last");
        assert_eq!(last.counters.row_count, Some(2.0));
        assert_eq!(*asked.lock().expect("lock"), [(0, 4), (3, 5), (7, 5)]);
        // A result that ends on a full page: the next holds only the overlap row.
        let (end, overlap) = fetch_overlapped(&fetch, 12, 4).await.expect("past the end");
        assert_eq!(overlap, Overlap::Missing, "row 11 does not exist");
        assert_eq!(end.counters.row_count, Some(0.0));
        let fetch = serving(8, asked);
        let (end, overlap) = fetch_overlapped(&fetch, 8, 4).await.expect("end");
        assert_eq!((end.counters.row_count, overlap), (Some(0.0), Overlap::Row));
    }
}
