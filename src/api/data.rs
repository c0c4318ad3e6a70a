//! `searchdata` and `pinboarddata` (wire-protocol §2.6, §2.7, §3): one page per call, returned as the raw JSON
//! bytes plus its counters. Turning pages into Arrow is the decoder's job.

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use super::transport::Call;
use super::{Client, Error};
use crate::json as scan;

/// `formattype`. The client should use COMPACT (wire-protocol §3.3); FULL exists for completeness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// Rows as arrays of cells in `columnNames` order (`COMPACT`); the default.
    #[default]
    Compact,
    /// Rows as objects keyed by column name, null cells left out (`FULL`).
    Full,
}

impl DataFormat {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            DataFormat::Compact => "COMPACT",
            DataFormat::Full => "FULL",
        }
    }
}

/// A search over one data source.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// Search-language text, e.g. `[Region] [Sales] sort by [Region]`.
    pub query: String,
    /// The worksheet, view or table GUID.
    pub data_source: String,
    /// Row shape asked for (COMPACT arrays by default).
    pub format: DataFormat,
    /// Runtime filters `(column, operator, values)`, sent as `col<n>`/`op<n>`/`val<n>`.
    pub filters: Vec<(String, String, Vec<String>)>,
}

impl SearchRequest {
    /// `query` over `data_source` (a GUID), COMPACT rows, no runtime filters.
    pub fn new(query: impl Into<String>, data_source: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            data_source: data_source.into(),
            format: DataFormat::Compact,
            filters: Vec::new(),
        }
    }
}

/// A pinboard's vizzes (all, or those listed).
#[derive(Debug, Clone, PartialEq)]
pub struct PinboardRequest {
    /// The pinboard (liveboard) GUID.
    pub pinboard: String,
    /// The vizzes to read, by GUID; empty reads all of them.
    pub vizzes: Vec<String>,
    /// Row shape asked for (COMPACT arrays by default).
    pub format: DataFormat,
    /// Runtime filters `(column, operator, values)`, sent as `col<n>`/`op<n>`/`val<n>`.
    pub filters: Vec<(String, String, Vec<String>)>,
}

impl PinboardRequest {
    /// Every viz of `pinboard`, COMPACT rows, no runtime filters.
    pub fn new(pinboard: impl Into<String>) -> Self {
        Self {
            pinboard: pinboard.into(),
            vizzes: Vec::new(),
            format: DataFormat::Compact,
            filters: Vec::new(),
        }
    }
}

/// A page's counters (wire-protocol §3.2), read by key in any order; numbers as integers or floats.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// The result's column names, in order.
    #[serde(default)]
    pub column_names: Vec<String>,
    /// Rows in this page.
    #[serde(default)]
    pub row_count: Option<f64>,
    /// Effective page size; headline vizzes may echo -1.
    #[serde(default)]
    pub page_size: Option<f64>,
    /// Effective 0-based offset; headline vizzes may echo -1.
    #[serde(default)]
    pub offset: Option<f64>,
    /// Rows in the whole result as the server reports it: a floor, not a stop rule.
    #[serde(default)]
    pub total_row_count: Option<f64>,
    /// 1 = complete; below 1 the data was sampled.
    #[serde(default)]
    pub sampling_ratio: Option<f64>,
    /// pinboarddata's viz name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One page: the response's bytes, untouched, and its counters.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page as received, JSON.
    pub bytes: Bytes,
    /// The page's counters, read from its top level.
    pub counters: Counters,
}

/// One viz block of a pinboarddata page.
#[derive(Debug, Clone)]
pub struct VizPage {
    /// The viz's GUID.
    pub viz: String,
    /// The viz block's JSON bytes (the same shape as a searchdata page plus `name`).
    pub bytes: Bytes,
    /// The block's counters.
    pub counters: Counters,
}

/// Paging and format parameters, plus `include_column_details`: 9.10+ clusters then type every
/// result column (`columnDetails`), which is the only source of types for pinboard vizzes; older
/// clusters ignore parameters they do not know (wire-protocol §1.5).
fn paging(call: Call, format: DataFormat, offset: u64, size: u64) -> Call {
    call.query("batchsize", size.to_string())
        .query("offset", offset.to_string())
        .query("formattype", format.as_str())
        .query("include_column_details", "true")
}

fn with_filters(mut call: Call, filters: &[(String, String, Vec<String>)]) -> Call {
    for (i, (column, op, values)) in filters.iter().enumerate() {
        let n = i + 1;
        call = call
            .query(&format!("col{n}"), column.clone())
            .query(&format!("op{n}"), op.clone());
        for value in values {
            call = call.query(&format!("val{n}"), value.clone());
        }
    }
    call
}

impl Client {
    /// One `searchdata` page of `size` rows (at most 100,000) from the 0-based `offset`.
    pub async fn search_page_v1(
        &self,
        request: &SearchRequest,
        offset: u64,
        size: u64,
    ) -> Result<Page, Error> {
        let call = Call::read(Method::POST, "searchdata")
            .query("query_string", request.query.clone())
            .query("data_source_guid", request.data_source.clone());
        let call = with_filters(paging(call, request.format, offset, size), &request.filters);
        let (_, _, bytes) = self.inner.send_for_bytes(&call).await?;
        let counters = counters_of(&bytes, "searchdata")?;
        Ok(Page { bytes, counters })
    }

    /// One `pinboarddata` page: each viz paged with the same `offset` and `size`, keyed by viz id.
    pub async fn pinboard_page_v1(
        &self,
        request: &PinboardRequest,
        offset: u64,
        size: u64,
    ) -> Result<Vec<VizPage>, Error> {
        let mut call =
            Call::read(Method::POST, "pinboarddata").query("id", request.pinboard.clone());
        if !request.vizzes.is_empty() {
            let list = serde_json::to_string(&request.vizzes).unwrap_or_default();
            call = call.query("vizid", list);
        }
        let call = with_filters(paging(call, request.format, offset, size), &request.filters);
        let (_, _, bytes) = self.inner.send_for_bytes(&call).await?;
        let blocks = scan::top_level(&bytes).map_err(|e| Error::Decode {
            endpoint: "pinboarddata".into(),
            reason: e.to_string(),
        })?;
        blocks
            .into_iter()
            .map(|(viz, range)| {
                // Each viz block shares the response's buffer: no copy of its rows.
                let bytes = bytes.slice(range);
                let counters = counters_of(&bytes, "pinboarddata")?;
                Ok(VizPage {
                    viz,
                    bytes,
                    counters,
                })
            })
            .collect()
    }
}

/// The counters of one data block, from its small top-level values only: the rows are left to the
/// decoder, which parses them once (see `crate::json`). `T`'s fields must all have defaults.
pub(super) fn counters_of<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    endpoint: &str,
) -> Result<T, Error> {
    let decode = |reason: String| Error::Decode {
        endpoint: endpoint.into(),
        reason,
    };
    let mut fields = serde_json::Map::new();
    for (key, range) in scan::top_level(bytes).map_err(|e| decode(e.to_string()))? {
        if matches!(key.as_str(), "data" | "data_rows" | "columnDetails") {
            continue;
        }
        let value = serde_json::from_slice(&bytes[range])
            .map_err(|e| decode(format!("'{key}' is not valid JSON: {e}")))?;
        fields.insert(key, value);
    }
    serde_json::from_value(serde_json::Value::Object(fields.clone())).map_err(|e| {
        // Name the field that does not fit: the error alone says only what type it expected.
        let culprit = fields.into_iter().find(|(key, value)| {
            let alone = serde_json::Map::from_iter([(key.clone(), value.clone())]);
            serde_json::from_value::<T>(serde_json::Value::Object(alone)).is_err()
        });
        match culprit {
            Some((key, _)) => decode(format!("'{key}' does not fit: {e}")),
            None => decode(e.to_string()),
        }
    })
}
