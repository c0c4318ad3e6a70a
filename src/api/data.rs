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

/// The direction of one runtime sort column (`asc<n>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first (`asc<n>: true`); the default.
    #[default]
    Ascending,
    /// Largest first (`asc<n>: false`).
    Descending,
}

/// One column of a runtime sort (REST v2 `runtime_sort`, `sortCol<n>`/`asc<n>`): the result is
/// sorted by the first, ties by the next, and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortBy {
    /// A column of the result, by name.
    pub column: String,
    /// Ascending or descending.
    pub order: SortOrder,
}

/// A sort that is not `COLUMN`, `COLUMN:asc` or `COLUMN:desc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sort '{0}': use COLUMN, COLUMN:asc or COLUMN:desc (a name that holds ':' needs the order, e.g. \"A:B:asc\")")]
pub struct InvalidSort(pub String);

impl std::str::FromStr for SortBy {
    type Err = InvalidSort;

    /// `Sales`, `Sales:asc`, `Sales:desc` (also `ascending`/`descending`, any case).
    fn from_str(text: &str) -> Result<Self, InvalidSort> {
        let bad = || InvalidSort(text.to_string());
        let (column, order) = match text.rsplit_once(':') {
            Some((column, order)) => {
                let order = match order.trim().to_ascii_lowercase().as_str() {
                    "asc" | "ascending" => SortOrder::Ascending,
                    "desc" | "descending" => SortOrder::Descending,
                    _ => return Err(bad()),
                };
                (column, order)
            }
            None => (text, SortOrder::Ascending),
        };
        let column = column.trim();
        if column.is_empty() {
            return Err(bad());
        }
        Ok(SortBy {
            column: column.to_string(),
            order,
        })
    }
}

impl std::fmt::Display for SortBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let order = match self.order {
            SortOrder::Ascending => "asc",
            SortOrder::Descending => "desc",
        };
        write!(f, "{}:{order}", self.column)
    }
}

/// The value of a runtime parameter override (REST v2 `runtime_param_override`, `paramVal<n>`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text.
    Text(String),
    /// A day, sent as epoch seconds of its midnight: reads ([`crate::read::ReadOptions::params`])
    /// take the midnight in the zone they read dates in; a request sent as it is takes UTC's.
    Date(chrono::NaiveDate),
}

impl ParamValue {
    /// A value as text gives it: `true`/`false`, a number, a `YYYY-MM-DD` date, else text.
    pub fn from_text(text: &str) -> Self {
        let trimmed = text.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "true" => return ParamValue::Bool(true),
            "false" => return ParamValue::Bool(false),
            _ => {}
        }
        if let Ok(n) = trimmed.parse::<i64>() {
            return ParamValue::Int(n);
        }
        if let Ok(x) = trimmed.parse::<f64>() {
            if x.is_finite() {
                return ParamValue::Float(x);
            }
        }
        if let Some(date) = Self::date(trimmed) {
            return ParamValue::Date(date);
        }
        ParamValue::Text(text.to_string())
    }

    /// `YYYY-MM-DD` (exactly: "2024-1-5" is text).
    pub(crate) fn date(text: &str) -> Option<chrono::NaiveDate> {
        (text.len() == 10)
            .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            .flatten()
    }

    /// A date as the epoch seconds of its midnight in `zone`; other values as they are.
    pub fn in_zone(&self, zone: chrono_tz::Tz) -> ParamValue {
        match self {
            ParamValue::Date(day) => ParamValue::Int(day_start_ms(zone, *day).div_euclid(1000)),
            other => other.clone(),
        }
    }

    /// The JSON value sent (a date at UTC midnight: see [`ParamValue::Date`]).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self.in_zone(chrono_tz::UTC) {
            ParamValue::Bool(b) => b.into(),
            ParamValue::Int(n) => n.into(),
            ParamValue::Float(x) => x.into(),
            ParamValue::Text(t) => t.into(),
            ParamValue::Date(_) => serde_json::Value::Null,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(n) => write!(f, "{n}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(t) => write!(f, "{t}"),
            ParamValue::Date(d) => write!(f, "{d}"),
        }
    }
}

/// A parameter override that is not `NAME=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("param '{0}': use NAME=VALUE, e.g. \"Discount Rate=0.15\" (VALUE: a number, true/false, a YYYY-MM-DD date, or text)")]
pub struct InvalidParam(pub String);

/// `NAME=VALUE` as a parameter override: the name before the first `=`, the value read by
/// [`ParamValue::from_text`].
pub fn parse_param(text: &str) -> Result<(String, ParamValue), InvalidParam> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), ParamValue::from_text(value)))
        }
        _ => Err(InvalidParam(text.to_string())),
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
    /// Runtime sort, sent as `runtime_sort` (REST v2 only).
    pub sort: Vec<SortBy>,
    /// Parameter overrides `(name, value)`, sent as `runtime_param_override` (REST v2 only).
    pub params: Vec<(String, ParamValue)>,
}

impl SearchRequest {
    /// `query` over `data_source` (a GUID), COMPACT rows, no runtime filters, sort or parameters.
    pub fn new(query: impl Into<String>, data_source: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            data_source: data_source.into(),
            format: DataFormat::Compact,
            filters: Vec::new(),
            sort: Vec::new(),
            params: Vec::new(),
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
    /// Runtime sort, sent as `runtime_sort` (REST v2 only).
    pub sort: Vec<SortBy>,
    /// Parameter overrides `(name, value)`, sent as `runtime_param_override` (REST v2 only).
    pub params: Vec<(String, ParamValue)>,
}

impl PinboardRequest {
    /// Every viz of `pinboard`, COMPACT rows, no runtime filters, sort or parameters.
    pub fn new(pinboard: impl Into<String>) -> Self {
        Self {
            pinboard: pinboard.into(),
            vizzes: Vec::new(),
            format: DataFormat::Compact,
            filters: Vec::new(),
            sort: Vec::new(),
            params: Vec::new(),
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

/// v1 has no runtime sort or parameter override: a request that asks for one is refused rather
/// than read without it.
fn refuse_v2_only(
    endpoint: &str,
    sort: &[SortBy],
    params: &[(String, ParamValue)],
) -> Result<(), Error> {
    if sort.is_empty() && params.is_empty() {
        return Ok(());
    }
    Err(Error::Config(format!(
        "{endpoint}: a runtime sort and parameter overrides exist only in REST API v2 \
         (runtime_sort, runtime_param_override); read through v2"
    )))
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
        refuse_v2_only("searchdata", &request.sort, &request.params)?;
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
        refuse_v2_only("pinboarddata", &request.sort, &request.params)?;
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

/// The first instant of `day` in `zone`, in epoch milliseconds: its midnight, the earlier one where
/// a clock change repeats it, or the first hour that exists where a clock change skips it.
pub(crate) fn day_start_ms(zone: chrono_tz::Tz, day: chrono::NaiveDate) -> i64 {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(
            || midnight.and_utc().timestamp_millis(),
            |t| t.timestamp_millis(),
        )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_read_column_then_an_optional_order() {
        let sort = |text: &str| text.parse::<SortBy>();
        assert_eq!(sort("Sales").unwrap().order, SortOrder::Ascending);
        assert_eq!(sort(" Sales : DESC ").unwrap().column, "Sales");
        assert_eq!(sort("Sales:desc").unwrap().order, SortOrder::Descending);
        assert_eq!(sort("A:B:asc").unwrap().column, "A:B");
        assert_eq!(sort("Sales:desc").unwrap().to_string(), "Sales:desc");
        for bad in ["Sales:sideways", ":desc", "", "A:B"] {
            assert!(sort(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameter_values_are_typed_from_their_text() {
        let value = |text: &str| parse_param(text).unwrap().1;
        assert_eq!(value("Rate=0.15"), ParamValue::Float(0.15));
        assert_eq!(value("Top=5"), ParamValue::Int(5));
        assert_eq!(value("On=TRUE"), ParamValue::Bool(true));
        assert_eq!(value("Region=west"), ParamValue::Text("west".into()));
        assert_eq!(value("Note=a=b"), ParamValue::Text("a=b".into()));
        assert_eq!(value("Inf=inf"), ParamValue::Text("inf".into()));
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(value("Since=2024-01-31"), ParamValue::Date(day));
        assert_eq!(
            value("Since=2024-1-31"),
            ParamValue::Text("2024-1-31".into())
        );
        // Midnight in the read's zone: Chicago is six hours behind UTC in January.
        assert_eq!(
            ParamValue::Date(day).in_zone(chrono_tz::America::Chicago),
            ParamValue::Int(1_706_680_800)
        );
        assert_eq!(
            ParamValue::Date(day).to_json(),
            serde_json::json!(1_706_659_200)
        );
        for bad in ["NoEquals", "=3", " =3"] {
            assert!(parse_param(bad).is_err(), "{bad}");
        }
    }
}
