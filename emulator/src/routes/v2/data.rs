//! `searchdata`, `metadata/liveboard/data` and `metadata/answer/data` (wire-protocol §4.5–§4.7, §4.9).
//!
//! They run the same search engine, over the same data sets, with the same cell encodings as v1
//! `searchdata`/`pinboarddata`: for the same query and offsets, v1 and v2 serve the same rows in the
//! same order. Only the request (JSON, `record_offset`/`record_size`) and the envelope differ.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::content::{answer_content, ContentCounters, VizKeys};
use super::{gate, read_json, required};
use crate::catalog::{Catalog, ObjectType, Viz, VizKind};
use crate::data::Table;
use crate::error::{V2Error, V2};
use crate::profile::V2AvailableRowCount;
use crate::render::{write_str, CellStyle, Format, RowRange, Segment};
use crate::routes::data::{respond, run_query_with, Span};
use crate::routes::{Access, AppState, Ctx, Reply, RuntimeFilter};
use crate::search::formula::{find_parameter, parameters};
use crate::search::{Filter, ParameterValues, ResultSet};
use crate::{State as EmulatorState, V2Endpoint};

/// Rows per call when the request gives no `record_size` (wire-protocol §4.9).
const DEFAULT_RECORD_SIZE: i64 = 10;

/// The fields every data call shares.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageRequest {
    data_format: Option<String>,
    record_offset: Option<i64>,
    record_size: Option<i64>,
    runtime_filter: Option<Map<String, Value>>,
    runtime_sort: Option<Value>,
    runtime_param_override: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchDataRequest {
    query_string: Option<String>,
    logical_table_identifier: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LiveboardDataRequest {
    metadata_identifier: Option<String>,
    visualization_identifiers: Option<Vec<String>>,
    #[serde(flatten)]
    page: PageRequest,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnswerDataRequest {
    metadata_identifier: Option<String>,
    #[serde(flatten)]
    page: PageRequest,
}

/// The paging and format of a call, validated, with the values to echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Paging {
    offset: u64,
    /// Rows to serve: `record_size`, or the row cap for -1 and anything above it (§7 Q15).
    size: u64,
    echo_offset: i64,
    echo_size: i64,
    format: Format,
}

impl Paging {
    fn read(page: &PageRequest, cap: u64) -> Result<Self, V2Error> {
        let offset = page.record_offset.unwrap_or(0);
        if offset < 0 {
            return Err(V2Error::bad_request(format!(
                "Invalid parameter value for record_offset: {offset} (rows are counted from 0)"
            )));
        }
        let size = page.record_size.unwrap_or(DEFAULT_RECORD_SIZE);
        let rows = match size {
            -1 => cap,
            n if n >= 1 => (n as u64).min(cap),
            n => {
                return Err(V2Error::bad_request(format!(
                    "Invalid parameter value for record_size: {n} (use a positive number)"
                )))
            }
        };
        let format = match page.data_format.as_deref().map(str::to_ascii_uppercase) {
            None => Format::Compact,
            Some(f) if f == "COMPACT" => Format::Compact,
            Some(f) if f == "FULL" => Format::Full,
            Some(other) => {
                return Err(V2Error::bad_request(format!(
                    "Invalid parameter value for data_format: '{other}' (use COMPACT or FULL)"
                )))
            }
        };
        Ok(Self {
            offset: offset as u64,
            size: rows,
            echo_offset: offset,
            echo_size: size,
            format,
        })
    }
}

/// A JSON runtime-filter value as the filter machinery's text.
fn filter_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `{"col1": .., "op1": .., "val1": "x" | ["x", ..], "col2": ..}` (wire-protocol §4.5); `op` defaults to EQ.
fn runtime_filters(page: &PageRequest) -> Result<Vec<RuntimeFilter>, V2Error> {
    let Some(map) = &page.runtime_filter else {
        return Ok(Vec::new());
    };
    let mut filters = Vec::new();
    for n in 1.. {
        let Some(column) = map.get(&format!("col{n}")) else {
            break;
        };
        let column = column.as_str().ok_or_else(|| {
            V2Error::bad_request(format!("Invalid runtime_filter: col{n} must be a string"))
        })?;
        let op = map
            .get(&format!("op{n}"))
            .and_then(Value::as_str)
            .unwrap_or("EQ");
        let values = match map.get(&format!("val{n}")) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().filter_map(filter_value).collect(),
            Some(one) => filter_value(one).into_iter().collect(),
        };
        filters.push(RuntimeFilter {
            column: column.to_string(),
            op: op.to_string(),
            values,
        });
    }
    Ok(filters)
}

/// `{"<name>1": .., "<value>1": .., "<name>2": ..}`: the numbered pairs in order, from 1 until a
/// name is missing. Any other key (a gap, a value without its name, a misspelling) is a 400 rather
/// than an option silently dropped.
fn numbered(
    given: Option<&Value>,
    field: &str,
    name: &str,
    value: &str,
) -> Result<Vec<(String, Option<Value>)>, V2Error> {
    let map = match given {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(V2Error::bad_request(format!(
                "Invalid {field}: must be an object such as {{\"{name}1\": .., \"{value}1\": ..}}"
            )))
        }
    };
    let mut pairs = Vec::new();
    for n in 1.. {
        let Some(given) = map.get(&format!("{name}{n}")) else {
            break;
        };
        let text = given.as_str().ok_or_else(|| {
            V2Error::bad_request(format!("Invalid {field}: {name}{n} must be a string"))
        })?;
        pairs.push((text.to_string(), map.get(&format!("{value}{n}")).cloned()));
    }
    let known = |key: &str| {
        (1..=pairs.len()).any(|n| key == format!("{name}{n}") || key == format!("{value}{n}"))
    };
    if let Some(stray) = map.keys().find(|k| !known(k)) {
        return Err(V2Error::bad_request(format!(
            "Invalid {field}: unexpected key '{stray}' (keys are {name}<n> and {value}<n>, numbered from 1)"
        )));
    }
    Ok(pairs)
}

/// `{"sortCol1": "Sales", "asc1": false, ...}` (wire-protocol §4.5) as `(column, descending)`;
/// `asc<n>` defaults to true.
fn runtime_sort(page: &PageRequest) -> Result<Vec<(String, bool)>, V2Error> {
    numbered(page.runtime_sort.as_ref(), "runtime_sort", "sortCol", "asc")?
        .into_iter()
        .enumerate()
        .map(|(i, (column, asc))| match asc {
            None | Some(Value::Null) => Ok((column, false)),
            Some(Value::Bool(asc)) => Ok((column, !asc)),
            Some(other) => Err(V2Error::bad_request(format!(
                "Invalid runtime_sort: asc{} must be a boolean, got {other}",
                i + 1
            ))),
        })
        .collect()
}

/// `{"param1": "Discount Rate", "paramVal1": 0.15, ...}` (wire-protocol §4.5), every value given.
fn runtime_params(page: &PageRequest) -> Result<Vec<(String, Value)>, V2Error> {
    numbered(
        page.runtime_param_override.as_ref(),
        "runtime_param_override",
        "param",
        "paramVal",
    )?
    .into_iter()
    .enumerate()
    .map(|(i, (name, value))| match value {
        Some(value) if !value.is_null() => Ok((name, value)),
        _ => Err(V2Error::bad_request(format!(
            "Invalid runtime_param_override: param{} '{name}' has no paramVal{}",
            i + 1,
            i + 1
        ))),
    })
    .collect()
}

/// The parameter values of a search over `table`. A name `table` does not define is a 400, or
/// with `lenient` (a Liveboard's vizzes over several sources) left to the other vizzes; `used`
/// marks the names `table` defines. A value of the wrong type or out of range is always a 400.
fn resolve_params(
    table: &dyn Table,
    given: &[(String, Value)],
    lenient: bool,
    used: &mut [bool],
) -> Result<ParameterValues, V2Error> {
    let mut values = ParameterValues::default();
    for (n, (name, value)) in given.iter().enumerate() {
        let Some(index) = find_parameter(table, name) else {
            if lenient {
                continue;
            }
            return Err(V2Error::bad_request(format!(
                "Invalid runtime_param_override: param{} '{name}' is not a parameter of {}",
                n + 1,
                table.name()
            )));
        };
        used[n] = true;
        let parameter = parameters(table)[index];
        let number = value.as_f64().ok_or_else(|| {
            V2Error::bad_request(format!(
                "Invalid runtime_param_override: paramVal{} of '{}' must be a {} (a number), got {value}",
                n + 1,
                parameter.name,
                parameter.data_type.as_str()
            ))
        })?;
        if !(parameter.min..=parameter.max).contains(&number) {
            return Err(V2Error::bad_request(format!(
                "Invalid runtime_param_override: paramVal{} {number} is outside the range of '{}' ({} to {})",
                n + 1,
                parameter.name,
                parameter.min,
                parameter.max
            )));
        }
        values.overrides.push((index, number));
    }
    Ok(values)
}

/// The output columns of `result` a runtime sort names: by the column's name as the result shows it
/// (`Total Sales`) or as the worksheet does (`Sales`), ignoring case. A name the result does not
/// have is a 400, or with `lenient` skipped (`used` marks the names found).
fn resolve_sort(
    result: &ResultSet,
    given: &[(String, bool)],
    lenient: bool,
    used: &mut [bool],
) -> Result<Vec<(usize, bool)>, V2Error> {
    let mut keys = Vec::new();
    for (n, (name, descending)) in given.iter().enumerate() {
        let name = name.trim();
        let found = result
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
            .or_else(|| {
                result
                    .columns
                    .iter()
                    .position(|c| c.source.eq_ignore_ascii_case(name))
            });
        match found {
            Some(column) => {
                used[n] = true;
                keys.push((column, *descending));
            }
            None if lenient => {}
            None => {
                let shown: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
                return Err(V2Error::bad_request(format!(
                    "Invalid runtime_sort: sortCol{} '{name}' is not a column of the result ({})",
                    n + 1,
                    shown.join(", ")
                )));
            }
        }
    }
    Ok(keys)
}

/// A runtime sort or parameter that no visualization of a Liveboard has.
fn unused(field: &str, key: &str, names: &[String], used: &[bool]) -> Result<(), V2Error> {
    match used.iter().position(|u| !u) {
        Some(n) => Err(V2Error::bad_request(format!(
            "Invalid {field}: {key}{} '{}' is in no visualization's data",
            n + 1,
            names[n]
        ))),
        None => Ok(()),
    }
}

/// Runs a search off the async runtime with its parameter values, then applies the runtime sort
/// (`resolve` picks its columns once the result's columns are known). An unparsable query is a 400
/// whose debug names the tokens search did not understand (§7 Q22). Results are cached by the
/// parameters and the sort too, so every page of a call sequence sees one order.
async fn search<R>(
    state: &AppState,
    table: Arc<dyn Table>,
    query: String,
    filters: Vec<Filter>,
    params: ParameterValues,
    resolve: R,
) -> Result<Arc<ResultSet>, V2Error>
where
    R: FnOnce(&ResultSet) -> Result<Vec<(usize, bool)>, V2Error> + Send + 'static,
{
    let worker = state.clone();
    tokio::task::spawn_blocking(move || {
        let bad = |e: String| V2Error::bad_request(format!("Bad tokens in query_string: {e}"));
        let result = if params.overrides.is_empty() {
            run_query_with(&worker, table.clone(), &query, &filters, bad)?
        } else {
            let key = format!("{}\u{1}{query}\u{1}{filters:?}\u{1}{params:?}", table.id());
            worker.cache.get_or_compute(key, || {
                let mut parsed =
                    crate::search::parse(&query, table.as_ref()).map_err(|e| bad(e.to_string()))?;
                parsed.parameters = params.clone();
                crate::search::execute(table.clone(), &parsed, &filters)
                    .map_err(|e| bad(e.to_string()))
            })?
        };
        let keys = resolve(&result)?;
        if keys.is_empty() {
            return Ok(result);
        }
        let key = format!(
            "{}\u{1}{query}\u{1}{filters:?}\u{1}{params:?}\u{1}sort {keys:?}",
            table.id()
        );
        worker.cache.get_or_compute(key, || {
            result
                .sorted(&keys)
                .map_err(|e| V2Error::bad_request(format!("Invalid runtime_sort: {e}")))
        })
    })
    .await
    .map_err(|e| V2Error::internal(format!("search failed: {e}")))?
}

/// The parameters and the runtime sort of a call to one data source (searchdata, an Answer):
/// every parameter must be known there.
fn strict_runtime(
    page: &PageRequest,
    table: &dyn Table,
) -> Result<(ParameterValues, Vec<(String, bool)>), V2Error> {
    let given = runtime_params(page)?;
    let params = resolve_params(table, &given, false, &mut vec![false; given.len()])?;
    Ok((params, runtime_sort(page)?))
}

/// A sort whose every column must be in the result.
fn strictly(
    sort: Vec<(String, bool)>,
) -> impl FnOnce(&ResultSet) -> Result<Vec<(usize, bool)>, V2Error> + Send + 'static {
    move |result: &ResultSet| resolve_sort(result, &sort, false, &mut vec![false; sort.len()])
}

/// One AnswerContent for `result` at `paging`, with the page's faults applied, and the rows it
/// returns (for the cluster model's service time).
fn content(
    state: &EmulatorState,
    ctx: &Ctx,
    result: Arc<ResultSet>,
    paging: &Paging,
    viz: Option<VizKeys<'_>>,
) -> (Vec<Segment>, u64) {
    let span = Span::of(&ctx.data, result.len(), paging.offset, paging.size);
    let available = match state.profile.v2_available_row_count {
        V2AvailableRowCount::Page => span.rows(),
        V2AvailableRowCount::Total => span.shifted_total,
    };
    let counters = ContentCounters {
        available_data_row_count: ctx.data.wrong_total.unwrap_or(available),
        returned_data_row_count: span.rows(),
        record_offset: paging.echo_offset,
        record_size: paging.echo_size,
        sampling_ratio: ctx.data.sampling_ratio.unwrap_or(1.0),
    };
    let style = CellStyle::new(&state.profile, state.custom_calendar);
    let columns = result.columns.clone();
    let rows = RowRange::new(
        result,
        span.start,
        span.end,
        paging.format,
        style,
        state.profile.full_duplicates,
    );
    (answer_content(&columns, rows, &counters, viz), span.rows())
}

/// Fixed bytes: `"key":"value",` for the top-level `metadata_id`/`metadata_name`.
fn metadata_keys(id: &str, name: &str) -> Vec<u8> {
    let mut out = b"{\"metadata_id\":".to_vec();
    write_str(&mut out, id);
    out.extend_from_slice(b",\"metadata_name\":");
    write_str(&mut out, name);
    out.extend_from_slice(b",\"contents\":[");
    out
}

/// The response of a data call: `head`, then `contents`, then the close of the `contents` array and
/// of the body; with the page faults applied, and from the page cache when one is on, keyed by the
/// endpoint and the exact request body.
async fn respond_page(
    state: &AppState,
    ctx: &Ctx,
    endpoint: V2Endpoint,
    request_body: &Bytes,
    head: Vec<u8>,
    contents: Vec<Segment>,
) -> Response {
    let mut segments = vec![Segment::Fixed(head)];
    segments.extend(contents);
    segments.push(Segment::Fixed(b"]}".to_vec()));
    let key = format!(
        "{}?{}",
        endpoint.rule_name(),
        String::from_utf8_lossy(request_body)
    );
    ctx.finish(respond::<V2>(state, ctx, key, segments).await)
}

/// A data source by GUID, or by the name of a searchable table or worksheet.
fn data_source(state: &EmulatorState, identifier: &str) -> Option<Arc<dyn Table>> {
    state.data.table(identifier).or_else(|| {
        let catalog = state.catalog();
        catalog
            .objects
            .iter()
            .filter(|o| o.object_type == ObjectType::LogicalTable)
            .filter(|o| o.name.eq_ignore_ascii_case(identifier))
            .find_map(|o| state.data.table(&o.id))
    })
}

/// An answer or Liveboard by GUID or name: `(id, name, vizzes)`.
fn book_by_identifier(
    catalog: &Catalog,
    object_type: ObjectType,
    identifier: &str,
) -> Option<(String, String, Vec<Viz>)> {
    let of_type = || {
        catalog
            .objects
            .iter()
            .filter(|o| o.object_type == object_type)
    };
    let object = of_type()
        .find(|o| o.id == identifier)
        .or_else(|| of_type().find(|o| o.name == identifier))
        .or_else(|| of_type().find(|o| o.name.eq_ignore_ascii_case(identifier)))?;
    let book = catalog.book(&object.id)?;
    Some((object.id.clone(), object.name.clone(), book.vizzes.clone()))
}

/// `POST searchdata`: `{"contents": [AnswerContent]}`, no metadata keys.
pub(super) async fn searchdata(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::SearchData, &parts, Access::Session).await?;
    let (req, raw) = read_json::<SearchDataRequest>(&parts, body).await?;
    let query = required(&req.query_string, "query_string")?.to_string();
    let source = required(&req.logical_table_identifier, "logical_table_identifier")?;
    let table = data_source(&state, source).ok_or_else(|| {
        V2Error::bad_request(format!(
            "Invalid parameter values: logical_table_identifier '{source}' is not a searchable data source"
        ))
    })?;
    let filters = runtime_filters(&req.page)?
        .iter()
        .map(|f| f.resolve(table.as_ref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|c| {
            V2Error::bad_request(format!(
                "Invalid runtime_filter: column {c} is not in the data source"
            ))
        })?;
    let paging = Paging::read(&req.page, state.profile.row_cap)?;
    let (params, sort) = strict_runtime(&req.page, table.as_ref())?;
    // The cluster model: the query waits for a service slot, then runs and is served in it.
    let service = state.cluster.begin_query().await;
    let result = search(&state, table, query, filters, params, strictly(sort)).await?;
    let (contents, rows) = content(&state, &ctx, result, &paging, None);
    service.finish(rows).await;
    let head = b"{\"contents\":[".to_vec();
    Ok(respond_page(&state, &ctx, V2Endpoint::SearchData, &raw, head, contents).await)
}

/// `POST metadata/liveboard/data`: one AnswerContent per data visualization (filters are left out),
/// each paged with the same offset and size (§7 Q21).
pub(super) async fn liveboard_data(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::LiveboardData, &parts, Access::Session).await?;
    let (req, raw) = read_json::<LiveboardDataRequest>(&parts, body).await?;
    let identifier = required(&req.metadata_identifier, "metadata_identifier")?;
    let (id, name, vizzes) = book_by_identifier(&state.catalog(), ObjectType::Pinboard, identifier)
        .ok_or_else(|| {
            V2Error::bad_request(format!(
                "Invalid parameter values: metadata_identifier '{identifier}' is not a Liveboard"
            ))
        })?;
    let requested = req.visualization_identifiers.unwrap_or_default();
    if let Some(unknown) = requested.iter().find(|r| {
        !vizzes
            .iter()
            .any(|v| v.id == r.as_str() || v.name == r.as_str())
    }) {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: visualization_identifiers '{unknown}' is not a visualization of {name}"
        ))
        .into());
    }
    let vizzes: Vec<Viz> = vizzes
        .into_iter()
        .filter(|v| v.kind != VizKind::Filter)
        .filter(|v| requested.is_empty() || requested.iter().any(|r| r == v.id || r == v.name))
        .collect();
    let runtime = runtime_filters(&req.page)?;
    let given_params = runtime_params(&req.page)?;
    let given_sort = runtime_sort(&req.page)?;
    let paging = Paging::read(&req.page, state.profile.row_cap)?;
    let mut filtered_somewhere = runtime.is_empty();
    // Like runtime filters, the sort and the parameters apply to the vizzes that have their columns
    // and parameters; one that no viz has is a 400.
    let mut params_used = vec![false; given_params.len()];
    let sort_used = Arc::new(std::sync::Mutex::new(vec![false; given_sort.len()]));
    let mut contents = Vec::new();
    // The cluster model: one service slot for the whole page, all its vizzes' queries.
    let service = state.cluster.begin_query().await;
    let mut rows = 0u64;
    for (i, viz) in vizzes.iter().enumerate() {
        let table = state
            .data
            .table(viz.source)
            .ok_or_else(|| V2Error::internal(format!("viz {} has no data source", viz.id)))?;
        // Runtime filters apply to the vizzes whose source has their columns, as on v1.
        let filters: Vec<Filter> = runtime
            .iter()
            .map(|f| f.resolve(table.as_ref()))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        filtered_somewhere |= !filters.is_empty();
        let params = resolve_params(table.as_ref(), &given_params, true, &mut params_used)?;
        let (sort, used) = (given_sort.clone(), sort_used.clone());
        let resolve = move |result: &ResultSet| {
            let mut used = used.lock().unwrap_or_else(|e| e.into_inner());
            resolve_sort(result, &sort, true, &mut used)
        };
        let result = search(
            &state,
            table,
            viz.query.to_string(),
            filters,
            params,
            resolve,
        )
        .await?;
        if i > 0 {
            contents.push(Segment::Fixed(b",".to_vec()));
        }
        let keys = VizKeys {
            id: viz.id,
            name: viz.name,
        };
        let (segments, viz_rows) = content(&state, &ctx, result, &paging, Some(keys));
        contents.extend(segments);
        rows = rows.saturating_add(viz_rows);
    }
    if !filtered_somewhere {
        return Err(V2Error::bad_request(
            "Invalid runtime_filter: no visualization has the filtered column",
        )
        .into());
    }
    let names: Vec<String> = given_params.iter().map(|(n, _)| n.clone()).collect();
    unused("runtime_param_override", "param", &names, &params_used)?;
    let names: Vec<String> = given_sort.iter().map(|(n, _)| n.clone()).collect();
    let sort_used = sort_used.lock().unwrap_or_else(|e| e.into_inner()).clone();
    unused("runtime_sort", "sortCol", &names, &sort_used)?;
    service.finish(rows).await;
    let head = metadata_keys(&id, &name);
    Ok(respond_page(
        &state,
        &ctx,
        V2Endpoint::LiveboardData,
        &raw,
        head,
        contents,
    )
    .await)
}

/// `POST metadata/answer/data`: the answer's table (its first table visualization, else its first
/// data visualization) as one AnswerContent without visualization keys.
pub(super) async fn answer_data(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::AnswerData, &parts, Access::Session).await?;
    let (req, raw) = read_json::<AnswerDataRequest>(&parts, body).await?;
    let identifier = required(&req.metadata_identifier, "metadata_identifier")?;
    let (id, name, vizzes) = book_by_identifier(&state.catalog(), ObjectType::Answer, identifier)
        .ok_or_else(|| {
        V2Error::bad_request(format!(
            "Invalid parameter values: metadata_identifier '{identifier}' is not an Answer"
        ))
    })?;
    let viz = vizzes
        .iter()
        .find(|v| v.kind == VizKind::Table)
        .or_else(|| vizzes.iter().find(|v| v.kind != VizKind::Filter))
        .ok_or_else(|| V2Error::internal(format!("answer {id} has no data visualization")))?;
    let table = state
        .data
        .table(viz.source)
        .ok_or_else(|| V2Error::internal(format!("answer {id} has no data source")))?;
    let filters = runtime_filters(&req.page)?
        .iter()
        .map(|f| f.resolve(table.as_ref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|c| {
            V2Error::bad_request(format!(
                "Invalid runtime_filter: column {c} is not in the answer's data source"
            ))
        })?;
    let paging = Paging::read(&req.page, state.profile.row_cap)?;
    let (params, sort) = strict_runtime(&req.page, table.as_ref())?;
    // The cluster model: the query waits for a service slot, then runs and is served in it.
    let service = state.cluster.begin_query().await;
    let result = search(
        &state,
        table,
        viz.query.to_string(),
        filters,
        params,
        strictly(sort),
    )
    .await?;
    let (contents, rows) = content(&state, &ctx, result, &paging, None);
    service.finish(rows).await;
    let head = metadata_keys(&id, &name);
    Ok(respond_page(&state, &ctx, V2Endpoint::AnswerData, &raw, head, contents).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(offset: Option<i64>, size: Option<i64>) -> PageRequest {
        PageRequest {
            record_offset: offset,
            record_size: size,
            ..PageRequest::default()
        }
    }

    #[test]
    fn paging_defaults_caps_and_echoes() {
        let p = Paging::read(&page(None, None), 100_000).unwrap();
        assert_eq!(
            (p.offset, p.size, p.echo_offset, p.echo_size),
            (0, 10, 0, 10)
        );
        let p = Paging::read(&page(Some(30), Some(-1)), 500).unwrap();
        assert_eq!((p.offset, p.size, p.echo_size), (30, 500, -1));
        let p = Paging::read(&page(None, Some(900)), 500).unwrap();
        assert_eq!((p.size, p.echo_size), (500, 900));
        assert!(Paging::read(&page(Some(-1), None), 500).is_err());
        assert!(Paging::read(&page(None, Some(0)), 500).is_err());
    }

    #[test]
    fn runtime_filters_take_strings_numbers_and_arrays() {
        let p = PageRequest {
            runtime_filter: serde_json::from_str(
                r#"{"col1":"Region","op1":"IN","val1":["east","west"],"col2":"Quantity","op2":"GT","val2":5,"col3":"Region"}"#,
            )
            .unwrap(),
            ..PageRequest::default()
        };
        let f = runtime_filters(&p).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].values, ["east", "west"]);
        assert_eq!(
            (f[1].op.as_str(), f[1].values.as_slice()),
            ("GT", &["5".to_string()][..])
        );
        assert_eq!((f[2].op.as_str(), f[2].values.len()), ("EQ", 0));
    }
}
