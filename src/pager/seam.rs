//! Overlapped paging: each page after the first is asked for from one row early, and that row must
//! be the previous page's last, byte for byte.
//!
//! v1 pages carry `totalRowCount`, which moves when rows are inserted or deleted while a result is
//! paged. v2 has no counter to trust (`available_data_row_count` is the page's count on some
//! releases, spec §4.5), so rows that move between pages would be duplicated or skipped silently.
//! The one-row overlap catches that: with a sorted search, a row inserted or deleted before a page
//! shifts the row at its seam. It costs one row per page, and needs the page size to stay one row
//! under the per-call cap so that `size + 1` rows can be asked for.

use bytes::{Bytes, BytesMut};

use super::FetchPage;
use crate::api::{Error as ApiError, Page};
use crate::json;

/// The raw JSON rows where a page meets its neighbours.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Seam {
    /// The row asked for just before the page: `Some(None)` when it was asked for and is missing.
    pub before: Option<Option<Bytes>>,
    /// The page's last row.
    pub last: Option<Bytes>,
}

/// A page as the overlapped pager sees it.
pub(super) type SeamedPage = (Page, Seam);

/// `fetch` with overlap: `fetch(offset, size)` for the first page, `fetch(offset - 1, size + 1)`
/// for the others, which are handed on without their first row, and every page's seam rows.
pub(super) async fn fetch_overlapped(
    fetch: &FetchPage,
    offset: u64,
    size: u64,
) -> Result<SeamedPage, ApiError> {
    if offset == 0 {
        let page = fetch(0, size).await?;
        let rows = rows_of(&page)?;
        let last = rows.last().map(|r| page.bytes.slice(r.clone()));
        return Ok((page, Seam { before: None, last }));
    }
    let mut page = fetch(offset - 1, size + 1).await?;
    let rows = rows_of(&page)?;
    let Some(first) = rows.first().cloned() else {
        // Not even the row before the page: rows were deleted, or the result ended early.
        return Ok((
            page,
            Seam {
                before: Some(None),
                last: None,
            },
        ));
    };
    let before = page.bytes.slice(first.clone());
    let last = (rows.len() > 1).then(|| rows[rows.len() - 1].clone());
    // The page without its first row: the bytes before it, then those from the next row (or the
    // array's end) on.
    let resume = rows.get(1).map_or(first.end, |next| next.start);
    let mut bytes = BytesMut::with_capacity(page.bytes.len());
    bytes.extend_from_slice(&page.bytes[..first.start]);
    bytes.extend_from_slice(&page.bytes[resume..]);
    let shift = resume - first.start;
    let bytes = bytes.freeze();
    let last = last.map(|r| bytes.slice(r.start - shift..r.end - shift));
    let counters = &mut page.counters;
    counters.row_count = Some((rows.len() - 1) as f64);
    if counters.offset == Some((offset - 1) as f64) {
        counters.offset = Some(offset as f64);
    }
    if counters.page_size == Some((size + 1) as f64) {
        counters.page_size = Some(size as f64);
    }
    page.bytes = bytes;
    Ok((
        page,
        Seam {
            before: Some(Some(before)),
            last,
        },
    ))
}

/// The byte ranges of a page's rows (`data_rows` in v2, `data` in v1).
fn rows_of(page: &Page) -> Result<Vec<std::ops::Range<usize>>, ApiError> {
    let decode = |reason: String| ApiError::Decode {
        endpoint: "data page".into(),
        reason,
    };
    let (_, range) = json::top_level(&page.bytes)
        .map_err(decode)?
        .into_iter()
        .find(|(key, _)| key == "data_rows" || key == "data")
        .ok_or_else(|| decode("the page has no rows array".into()))?;
    json::array_items(&page.bytes, range).map_err(decode)
}

/// Why `seam` does not meet the previous page's last row, if it does not.
pub(super) fn mismatch(previous_last: Option<&Bytes>, seam: &Seam, offset: u64) -> Option<String> {
    match (&seam.before, previous_last) {
        (None, _) | (_, None) => None,
        (Some(None), Some(_)) => Some(format!(
            "the row before offset {offset} is gone: rows were deleted while paging"
        )),
        (Some(Some(before)), Some(last)) if before != last => Some(format!(
            "the row before offset {offset} changed between pages: rows were inserted or deleted while paging"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::api::Counters;

    /// A fetcher over `rows` (numbers), serving v2-shaped blocks with echoed offsets and sizes.
    fn serving(rows: Vec<i64>) -> FetchPage {
        Arc::new(move |offset, size| {
            let from = (offset as usize).min(rows.len());
            let to = (from + size as usize).min(rows.len());
            let slice = &rows[from..to];
            let body = format!(
                r#"{{"column_names":["n"],"data_rows":[{}],"record_offset":{offset},"record_size":{size}}}"#,
                slice
                    .iter()
                    .map(|n| format!("[{n}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let page = Page {
                bytes: Bytes::from(body),
                counters: Counters {
                    column_names: vec!["n".into()],
                    row_count: Some(slice.len() as f64),
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

    fn values(page: &Page) -> Vec<i64> {
        let json: serde_json::Value = serde_json::from_slice(&page.bytes).expect("json");
        json["data_rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r[0].as_i64().expect("n"))
            .collect()
    }

    #[tokio::test]
    async fn later_pages_lose_their_overlap_row_and_keep_their_counters_honest() {
        let fetch = serving((0..10).collect());
        let (first, seam) = fetch_overlapped(&fetch, 0, 4).await.expect("first");
        assert_eq!(values(&first), [0, 1, 2, 3]);
        assert_eq!(seam.last.as_deref(), Some(&b"[3]"[..]));
        let (second, seam2) = fetch_overlapped(&fetch, 4, 4).await.expect("second");
        assert_eq!(values(&second), [4, 5, 6, 7]);
        assert_eq!(
            (
                second.counters.row_count,
                second.counters.offset,
                second.counters.page_size
            ),
            (Some(4.0), Some(4.0), Some(4.0))
        );
        assert_eq!(seam2.before, Some(Some(Bytes::from_static(b"[3]"))));
        assert_eq!(seam2.last.as_deref(), Some(&b"[7]"[..]));
        assert_eq!(mismatch(seam.last.as_ref(), &seam2, 4), None);
        let (last, seam3) = fetch_overlapped(&fetch, 8, 4).await.expect("last");
        assert_eq!(values(&last), [8, 9]);
        assert_eq!(mismatch(seam2.last.as_ref(), &seam3, 8), None);
        // A page that is only the overlap row ends the data with nothing more.
        let fetch = serving((0..8).collect());
        let (end, seam) = fetch_overlapped(&fetch, 8, 4).await.expect("end");
        assert!(values(&end).is_empty());
        assert_eq!(end.counters.row_count, Some(0.0));
        assert_eq!(seam.last, None);
    }

    #[tokio::test]
    async fn rows_moved_or_gone_at_a_seam_are_reported() {
        let fetch = serving((0..10).collect());
        let (_, first) = fetch_overlapped(&fetch, 0, 4).await.expect("first");
        // One row inserted before the second page: it starts a row late.
        let inserted = serving(std::iter::once(-1).chain(0..10).collect());
        let (_, moved) = fetch_overlapped(&inserted, 4, 4).await.expect("second");
        assert!(mismatch(first.last.as_ref(), &moved, 4)
            .expect("moved")
            .contains("changed"));
        // Every row from the seam on deleted.
        let shrunk = serving((0..3).collect());
        let (_, gone) = fetch_overlapped(&shrunk, 4, 4).await.expect("second");
        assert!(mismatch(first.last.as_ref(), &gone, 4)
            .expect("gone")
            .contains("gone"));
    }
}
