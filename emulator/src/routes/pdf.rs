//! `export/pinboard/pdf` (wire-protocol §2.8): parameters from the query string, an urlencoded form or multipart;
//! the answer is a real PDF naming the pinboard and its vizzes, drawn from their data.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Access, AppState, Reply, RuntimeFilter};
use crate::catalog::{ObjectType, VizKind};
use crate::data::Cell;
use crate::error::V1Error;
use crate::params::{parse_bool, parse_list, Params};
use crate::pdf::{self, Layout, Orientation, PdfOptions, PdfViz};
use crate::search;
use crate::{Endpoint, State as EmulatorState};

/// Rows drawn per table viz: more than fit on a page, so continuation and truncation both show.
const TABLE_ROWS: u64 = 120;

fn options(params: &Params) -> Result<PdfOptions, V1Error> {
    let defaults = PdfOptions::default();
    let flag = |name: &str, default: bool| parse_bool(name, params.get(name), default);
    let layout = match params
        .get("layout_type")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("PINBOARD") => Layout::Pinboard,
        Some("VISUALIZATION") => Layout::Visualization,
        Some(other) => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for layout_type: '{other}' (PINBOARD or VISUALIZATION)"
            )))
        }
    };
    let orientation = match params
        .get("orientation")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("LANDSCAPE") => Orientation::Landscape,
        Some("PORTRAIT") => Orientation::Portrait,
        Some(other) => {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for orientation: '{other}' (PORTRAIT or LANDSCAPE)"
            )))
        }
    };
    Ok(PdfOptions {
        layout,
        orientation,
        truncate_tables: flag("truncate_tables", defaults.truncate_tables)?,
        include_logo: flag("include_logo", defaults.include_logo)?,
        footer_text: params
            .get("footer_text")
            .filter(|t| !t.is_empty())
            .map(String::from),
        include_page_number: flag("include_page_number", defaults.include_page_number)?,
        include_cover_page: flag("include_cover_page", defaults.include_cover_page)?,
        include_filter_page: flag("include_filter_page", defaults.include_filter_page)?,
    })
}

/// A cell as the PDF shows it: dates and times in the cluster's zone.
fn cell_text(state: &EmulatorState, cell: Cell<'_>) -> String {
    use chrono::TimeZone;
    let local = |secs: i64, format: &str| {
        state
            .tz
            .timestamp_opt(secs, 0)
            .single()
            .map(|t| t.format(format).to_string())
            .unwrap_or_default()
    };
    match cell {
        Cell::Null => String::new(),
        Cell::Int(v) => v.to_string(),
        Cell::Double(v) => format!("{v:.2}"),
        Cell::Float(v) => format!("{v:.3}"),
        Cell::Bool(v) => v.to_string(),
        Cell::Text(s) => s.to_string(),
        Cell::Code(p, n) => format!("{p}{n}"),
        Cell::Date(v) | Cell::Period(v, _) => local(v, "%Y-%m-%d"),
        Cell::DateTime(v) => local(v, "%Y-%m-%d %H:%M"),
        Cell::Time(v) => format!("{:02}:{:02}:{:02}", v / 3600, v / 60 % 60, v % 60),
    }
}

pub(super) async fn export(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    // The multipart body is read before the gate can answer with a fault, as a real server reads a
    // request before failing it; otherwise the client may still be writing when the connection closes.
    let params = Params::read(&parts, body).await;
    let ctx = state
        .gate(Endpoint::ExportPinboardPdf, &parts, Access::Session)
        .await?;
    let params = params?;
    let options = options(&params)?;
    let transient = params
        .get("transient_pinboard_content")
        .filter(|t| !t.is_empty());
    let id = params.get("id").unwrap_or_default().trim().to_string();
    if id.is_empty() && transient.is_none() {
        return Err(V1Error::bad_request(
            "Missing required parameter: id (or transient_pinboard_content)",
        )
        .into());
    }
    let viz_ids = params
        .get("visualization_ids")
        .map(parse_list)
        .unwrap_or_default();
    if !viz_ids.is_empty() && options.layout != Layout::Visualization {
        return Err(V1Error::bad_request(
            "visualization_ids can only be used with layout_type=VISUALIZATION",
        )
        .into());
    }
    // Runtime filters travel in the query string only (wire-protocol §2.8).
    let runtime = RuntimeFilter::read(&params, false);
    let (title, vizzes) = if id.is_empty() {
        ("Unsaved Liveboard".to_string(), Vec::new())
    } else {
        let catalog = state.catalog();
        let object = catalog
            .object(&id)
            .filter(|o| o.object_type == ObjectType::Pinboard)
            .ok_or_else(|| {
                V1Error::not_found(format!("Object not found: no pinboard with id '{id}'"))
            })?;
        let book = catalog
            .book(&id)
            .ok_or_else(|| V1Error::not_found(format!("Object not found: {id}")))?;
        if let Some(unknown) = viz_ids
            .iter()
            .find(|v| !book.vizzes.iter().any(|z| z.id == v.as_str()))
        {
            return Err(V1Error::bad_request(format!(
                "Invalid parameter value for visualization_ids: {unknown}"
            ))
            .into());
        }
        let vizzes: Vec<_> = book
            .vizzes
            .iter()
            .filter(|v| v.kind != VizKind::Filter)
            .filter(|v| viz_ids.is_empty() || viz_ids.iter().any(|i| i == v.id))
            .cloned()
            .collect();
        (object.name.clone(), vizzes)
    };
    let filter_lines: Vec<String> = runtime
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f.column,
                f.op.to_ascii_uppercase(),
                f.values.join(", ")
            )
        })
        .collect();
    let worker = state.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, V1Error> {
        let mut drawn = Vec::new();
        for viz in &vizzes {
            let Some(table) = worker.data.table(viz.source) else {
                continue;
            };
            // A filter on a column this viz's source lacks does not apply to it.
            let filters: Vec<_> = runtime
                .iter()
                .filter_map(|f| f.resolve(table.as_ref()).ok())
                .collect();
            let query = search::parse(viz.query, table.as_ref())
                .map_err(|e| V1Error::internal(e.to_string()))?;
            let result = search::execute(table, &query, &filters)
                .map_err(|e| V1Error::bad_request(e.to_string()))?;
            let rows = result.len().min(TABLE_ROWS);
            drawn.push(PdfViz {
                name: viz.name.to_string(),
                kind: match viz.kind {
                    VizKind::Chart => pdf::VizKind::Chart,
                    VizKind::Headline => pdf::VizKind::Headline,
                    _ => pdf::VizKind::Table,
                },
                columns: result.columns.iter().map(|c| c.name.clone()).collect(),
                rows: (0..rows)
                    .map(|r| {
                        (0..result.columns.len())
                            .map(|c| cell_text(&worker, result.cell(c, r)))
                            .collect()
                    })
                    .collect(),
            });
        }
        Ok(pdf::render_pdf(&title, &drawn, &filter_lines, &options))
    })
    .await
    .map_err(|e| V1Error::internal(format!("PDF rendering failed: {e}")))??;
    let mut response: Response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.pdf\"",
        if id.is_empty() { "liveboard" } else { &id }
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(ctx.finish(response))
}
