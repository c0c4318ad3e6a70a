//! `searchdata` and `pinboarddata` (wire-protocol §2.6, §2.7, §3): paging, formats, runtime filters, streaming.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Access, AppState, Ctx, DataFaults, Reply, RuntimeFilter};
use crate::catalog::{ObjectType, VizKind};
use crate::data::Table;
use crate::error::{code, ApiError, ErrorBody, V1Error, V1};
use crate::params::{parse_bool, parse_int, parse_list, Params};
use crate::profile::{PastEnd, TotalRowCount};
use crate::render::{
    data_block, BlockOptions, BodyStream, CellStyle, Counters, Format, RowRange, Segment,
};
use crate::search::{self, Filter, ResultSet};
use crate::{Endpoint, State as EmulatorState};

/// The paging and format parameters shared by both data endpoints.
#[derive(Debug, Clone)]
struct DataParams {
    batchsize: i64,
    pagenumber: i64,
    offset: i64,
    format: Format,
    runtime: Vec<RuntimeFilter>,
    column_details: bool,
}

/// Reads a parameter from the query string, or from the form body where the profile allows (Q10).
fn lookup<'a>(state: &EmulatorState, params: &'a Params, name: &str) -> Option<&'a str> {
    if state.profile.data_form_params {
        params.get(name)
    } else {
        params.query(name)
    }
}

impl DataParams {
    fn read(state: &EmulatorState, params: &Params) -> Result<Self, V1Error> {
        let get = |name: &str| lookup(state, params, name);
        let format = match get("formattype").map(str::to_ascii_uppercase).as_deref() {
            None | Some("") | Some("COMPACT") => Format::Compact,
            Some("FULL") => Format::Full,
            Some(other) => {
                return Err(V1Error::bad_request(format!(
                    "Invalid parameter value for formattype: '{other}' (use COMPACT or FULL)"
                )))
            }
        };
        let runtime = RuntimeFilter::read(params, state.profile.data_form_params);
        Ok(Self {
            batchsize: parse_int("batchsize", get("batchsize"), -1)?,
            pagenumber: parse_int("pagenumber", get("pagenumber"), -1)?,
            offset: parse_int("offset", get("offset"), -1)?,
            format,
            runtime,
            column_details: state.profile.column_details
                && parse_bool(
                    "include_column_details",
                    get("include_column_details"),
                    false,
                )?,
        })
    }

    /// Runtime filters against `table`; `Err` names a column or operator it does not know.
    fn filters_for(&self, table: &dyn Table) -> Result<Vec<Filter>, String> {
        self.runtime.iter().map(|f| f.resolve(table)).collect()
    }
}

/// The rows one call serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    offset: u64,
    size: u64,
}

/// Wire-protocol §3.1: `batchsize=-1` means the cap; `pagenumber>0` overrides `offset`; `offset=-1` means 0.
fn window(p: &DataParams, cap: u64, one_based_offset: bool) -> Result<Window, V1Error> {
    let size = match p.batchsize {
        -1 => cap,
        n if n >= 1 => (n as u64).min(cap),
        n => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for batchsize: {n} (use -1 or a positive number)"
            )))
        }
    };
    let offset = match (p.pagenumber, p.offset) {
        (0, _) => {
            return Err(V1Error::bad_request(
                "Invalid parameter value for pagenumber: pages are numbered from 1",
            ))
        }
        // Saturating: an absurd page number is past the end, not an overflow.
        (n, _) if n > 0 => (n as u64 - 1).saturating_mul(size).min(i64::MAX as u64),
        (-1, -1) => 0,
        (-1, o) if o >= 0 => {
            if one_based_offset {
                (o as u64).saturating_sub(1)
            } else {
                o as u64
            }
        }
        (-1, o) => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for offset: {o}"
            )))
        }
        (n, _) => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for pagenumber: {n}"
            )))
        }
    };
    Ok(Window { offset, size })
}

/// The rows of a result one page serves, after the `shift_rows` fault moved them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub start: u64,
    pub end: u64,
    /// The result's size as the page reports it: rows inserted or deleted by the shift count.
    pub shifted_total: u64,
}

impl Span {
    /// The page at `offset` of `size` rows in a result of `total` rows.
    pub(super) fn of(faults: &DataFaults, total: u64, offset: u64, size: u64) -> Self {
        // A shift of k rows means k rows were inserted before this page since the last one. The first
        // page has no last one: rows can only move between pages.
        let shift = if offset == 0 { 0 } else { faults.shift_rows };
        let start = (offset as i64).saturating_sub(shift).max(0) as u64;
        let end = start.saturating_add(size).min(total);
        Self {
            start,
            end,
            shifted_total: (total as i64).saturating_add(shift).max(0) as u64,
        }
    }

    pub(super) fn rows(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// One data block ready to render.
struct Block {
    segments: Vec<Segment>,
    past_end: bool,
    /// Rows the block serves, for the cluster model's service time.
    rows: u64,
}

fn block(
    state: &EmulatorState,
    ctx: &Ctx,
    result: Arc<ResultSet>,
    p: &DataParams,
    window: Window,
    headline: bool,
    name: Option<&str>,
) -> Block {
    let total = result.len();
    let span = Span::of(&ctx.data, total, window.offset, window.size);
    let (start, end, rows_here) = (span.start, span.end, span.rows());
    let past_end = window.offset > 0 && window.offset >= total;
    let reported_total = span.shifted_total;
    let reported_total = match state.profile.total_row_count {
        TotalRowCount::Exact => reported_total,
        TotalRowCount::Capped => reported_total.min(state.profile.row_cap),
    };
    let (page_size, offset) =
        if headline && state.profile.headline_echoes_unset && p.batchsize == -1 {
            (
                -1,
                if p.pagenumber > 0 {
                    window.offset as i64
                } else {
                    p.offset
                },
            )
        } else {
            (window.size as i64, window.offset as i64)
        };
    let counters = Counters {
        sampling_ratio: ctx.data.sampling_ratio.unwrap_or(1.0),
        total_row_count: ctx.data.wrong_total.unwrap_or(reported_total),
        row_count: rows_here,
        page_size,
        offset,
    };
    let style = CellStyle::new(&state.profile, state.custom_calendar);
    let rows = RowRange::new(
        result,
        start,
        end,
        p.format,
        style,
        state.profile.full_duplicates,
    );
    let options = BlockOptions {
        name: name.map(|n| (n, state.profile.viz_name_first)),
        column_details: p.column_details,
    };
    Block {
        segments: data_block(rows, counters, &options),
        past_end,
        rows: rows_here,
    }
}

/// Runs `query` with `filters` over `table`, through the result cache. Parse and execution errors
/// are 400s whose text names what search did not understand.
pub(super) fn run_query_with<E>(
    state: &EmulatorState,
    table: Arc<dyn Table>,
    query: &str,
    filters: &[Filter],
    error: impl Fn(String) -> E,
) -> Result<Arc<ResultSet>, E> {
    let key = format!("{}\u{1}{query}\u{1}{filters:?}", table.id());
    state.cache.get_or_compute(key, || {
        let parsed = search::parse(query, table.as_ref()).map_err(|e| error(e.to_string()))?;
        search::execute(table.clone(), &parsed, filters).map_err(|e| error(e.to_string()))
    })
}

fn run_query(
    state: &EmulatorState,
    table: Arc<dyn Table>,
    query: &str,
    filters: &[Filter],
) -> Result<Arc<ResultSet>, V1Error> {
    run_query_with(state, table, query, filters, |e| {
        V1Error::bad_request(format!("Invalid query/data source: {e}"))
    })
}

/// Serves a page from the page cache when one is configured (and no fault changes the page), else
/// streams it as it renders. `key` identifies the page: the endpoint and every parameter. `B` is the
/// body of the API that answers, for the one error left (rendering failed).
pub(super) async fn respond<B: ErrorBody>(
    state: &AppState,
    ctx: &Ctx,
    key: String,
    segments: Vec<Segment>,
) -> Response {
    let Some(cache) = state
        .page_cache
        .as_ref()
        .filter(|_| ctx.data == DataFaults::default())
    else {
        return streaming_json(segments);
    };
    let page = match cache.get(&key) {
        Some(page) => page,
        None => {
            let rendered =
                tokio::task::spawn_blocking(move || BodyStream::new(segments).render_all()).await;
            let Ok(rendered) = rendered else {
                return ApiError::<B>::internal("page rendering failed").into_response();
            };
            let page = bytes::Bytes::from(rendered);
            cache.insert(key, page.clone());
            page
        }
    };
    let mut response = Response::new(Body::from(page));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

/// The page-cache key of a v1 data request.
fn cache_key(endpoint: Endpoint, params: &Params) -> String {
    format!("{}?{:?}{:?}", endpoint.path(), params.query, params.body)
}

fn streaming_json(segments: Vec<Segment>) -> Response {
    let mut response = Response::new(Body::from_stream(BodyStream::new(segments)));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

/// Profile switch `require_first_page_one` (Q26): a query's first `pagenumber` call in a session is 1.
fn check_first_page(
    state: &EmulatorState,
    ctx: &Ctx,
    p: &DataParams,
    key: &str,
) -> Result<(), V1Error> {
    if !state.profile.require_first_page_one || p.pagenumber < 1 {
        return Ok(());
    }
    let mut seen = state.first_pages.lock().unwrap_or_else(|e| e.into_inner());
    let entry = (
        ctx.session
            .clone()
            .unwrap_or_else(|| ctx.user().to_string()),
        key.to_string(),
    );
    if p.pagenumber == 1 {
        seen.insert(entry);
        Ok(())
    } else if seen.contains(&entry) {
        Ok(())
    } else {
        Err(V1Error::bad_request(
            "Invalid parameter value for pagenumber: the first call must use pagenumber=1",
        ))
    }
}

fn past_end_error(offset: u64) -> V1Error {
    V1Error::bad_request(format!(
        "Invalid parameter value for offset: {offset} is past the end of the data"
    ))
}

pub(super) async fn searchdata(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::SearchData, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    let p = DataParams::read(&state, &params)?;
    let query = lookup(&state, &params, "query_string")
        .unwrap_or_default()
        .to_string();
    let source = lookup(&state, &params, "data_source_guid")
        .unwrap_or_default()
        .trim()
        .to_string();
    let table = state.data.table(&source).ok_or_else(|| {
        V1Error::bad_request(format!(
            "Invalid query/data source: no searchable data source '{source}'"
        ))
    })?;
    let filters = p.filters_for(table.as_ref()).map_err(|c| {
        V1Error::bad_request(format!(
            "Invalid runtime filter: column {c} is not in the data source"
        ))
    })?;
    let window = window(&p, state.profile.row_cap, state.profile.offset_one_based)?;
    check_first_page(&state, &ctx, &p, &format!("{source}/{query}"))?;
    // The cluster model: the query waits for a service slot, then runs and is served in it.
    let service = state.cluster.begin_query().await;
    let worker = state.clone();
    let result = tokio::task::spawn_blocking(move || run_query(&worker, table, &query, &filters))
        .await
        .map_err(|e| V1Error::internal(format!("search failed: {e}")))??;
    let block = block(&state, &ctx, result, &p, window, false, None);
    service.finish(block.rows).await;
    if block.past_end && state.profile.past_end == PastEnd::BadRequest {
        return Err(past_end_error(window.offset).into());
    }
    let response = respond::<V1>(
        &state,
        &ctx,
        cache_key(Endpoint::SearchData, &params),
        block.segments,
    )
    .await;
    Ok(ctx.finish(response))
}

pub(super) async fn pinboarddata(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::PinboardData, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    let p = DataParams::read(&state, &params)?;
    let id = lookup(&state, &params, "id")
        .unwrap_or_default()
        .trim()
        .to_string();
    let requested = match lookup(&state, &params, "vizid").map(str::trim) {
        // An unclosed array is "malformed JSON in a parameter": 500 with code 10000 (wire-protocol §1.8).
        Some(v) if v.starts_with('[') && !v.ends_with(']') => {
            return Err(V1Error::new(
                500,
                code::INTERNAL,
                format!("Malformed JSON in parameter vizid: {v}"),
            )
            .into())
        }
        Some(v) => parse_list(v),
        None => Vec::new(),
    };
    let vizzes = {
        let catalog = state.catalog();
        let is_pinboard = catalog
            .object(&id)
            .is_some_and(|o| o.object_type == ObjectType::Pinboard);
        let book = catalog.book(&id).filter(|_| is_pinboard).ok_or_else(|| {
            V1Error::bad_request(format!("Invalid Liveboard ID: no pinboard with id '{id}'"))
        })?;
        if let Some(unknown) = requested
            .iter()
            .find(|v| !book.vizzes.iter().any(|z| z.id == v.as_str()))
        {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for vizid: '{unknown}' is not a visualization of {id}"
            ))
            .into());
        }
        book.vizzes
            .iter()
            .filter(|v| v.kind != VizKind::Filter)
            .filter(|v| requested.is_empty() || requested.iter().any(|r| r == v.id))
            .cloned()
            .collect::<Vec<_>>()
    };
    let window = window(&p, state.profile.row_cap, state.profile.offset_one_based)?;
    check_first_page(&state, &ctx, &p, &id)?;
    // The cluster model: one service slot for the whole page, all its vizzes' queries.
    let service = state.cluster.begin_query().await;
    let mut results = Vec::new();
    let mut filtered_somewhere = p.runtime.is_empty();
    for viz in &vizzes {
        let table = state
            .data
            .table(viz.source)
            .ok_or_else(|| V1Error::internal(format!("viz {} has no data source", viz.id)))?;
        // Runtime filters apply to the vizzes whose source has the column.
        let filters = p.filters_for(table.as_ref()).unwrap_or_default();
        filtered_somewhere |= !filters.is_empty();
        let worker = state.clone();
        let query = viz.query;
        let result =
            tokio::task::spawn_blocking(move || run_query(&worker, table, query, &filters))
                .await
                .map_err(|e| V1Error::internal(format!("search failed: {e}")))??;
        results.push(result);
    }
    if !filtered_somewhere {
        return Err(V1Error::bad_request(
            "Invalid runtime filter: no visualization has the filtered column",
        )
        .into());
    }
    let mut segments = vec![Segment::Fixed(b"{".to_vec())];
    let mut all_past_end = !vizzes.is_empty();
    let mut rows = 0u64;
    for (i, (viz, result)) in vizzes.iter().zip(results).enumerate() {
        let mut key = Vec::new();
        if i > 0 {
            key.push(b',');
        }
        crate::render::write_str(&mut key, viz.id);
        key.push(b':');
        segments.push(Segment::Fixed(key));
        let b = block(
            &state,
            &ctx,
            result,
            &p,
            window,
            viz.kind == VizKind::Headline,
            Some(viz.name),
        );
        all_past_end &= b.past_end;
        rows = rows.saturating_add(b.rows);
        segments.extend(b.segments);
    }
    segments.push(Segment::Fixed(b"}".to_vec()));
    service.finish(rows).await;
    if all_past_end && state.profile.past_end == PastEnd::BadRequest {
        return Err(past_end_error(window.offset).into());
    }
    let response = respond::<V1>(
        &state,
        &ctx,
        cache_key(Endpoint::PinboardData, &params),
        segments,
    )
    .await;
    Ok(ctx.finish(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(batchsize: i64, pagenumber: i64, offset: i64) -> DataParams {
        DataParams {
            batchsize,
            pagenumber,
            offset,
            format: Format::Compact,
            runtime: Vec::new(),
            column_details: false,
        }
    }

    #[test]
    fn paging_arithmetic() {
        let w = |b, p, o| window(&params(b, p, o), 100_000, false);
        assert_eq!(
            w(-1, -1, -1).unwrap(),
            Window {
                offset: 0,
                size: 100_000
            }
        );
        assert_eq!(
            w(10, 3, 999).unwrap(),
            Window {
                offset: 20,
                size: 10
            }
        );
        assert_eq!(
            w(10, -1, 35).unwrap(),
            Window {
                offset: 35,
                size: 10
            }
        );
        assert_eq!(w(500_000, -1, -1).unwrap().size, 100_000);
        assert!(w(10, 0, -1).is_err());
        assert!(w(0, -1, -1).is_err());
        assert!(w(10, -1, -2).is_err());
        assert_eq!(window(&params(10, -1, 1), 100, true).unwrap().offset, 0);
    }
}
