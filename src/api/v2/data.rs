//! The v2 data calls (wire-protocol §4.5–§4.7, §4.9): one page per call, returned as the page's data block
//! (`contents[i]`, untouched bytes) with its counters in the same [`Counters`] v1 pages have, so
//! the pager and the decoder treat both APIs alike.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::data::counters_of;
use crate::api::transport::Call;
use crate::api::{
    Client, Counters, DataFormat, Error, Page, ParamValue, PinboardRequest, SearchRequest, SortBy,
    SortOrder, VizPage,
};
use crate::json as scan;

/// A saved Answer, read through `metadata/answer/data` (v2 only: v1 has no public call for it).
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerRequest {
    /// The Answer's GUID or name.
    pub answer: String,
    /// Row shape asked for (`data_format`; COMPACT by default).
    pub format: DataFormat,
    /// Runtime filters `(column, operator, values)`, sent as `runtime_filter` `col<n>`/`op<n>`/`val<n>`.
    pub filters: Vec<(String, String, Vec<String>)>,
    /// Runtime sort, sent as `runtime_sort` `sortCol<n>`/`asc<n>`.
    pub sort: Vec<SortBy>,
    /// Parameter overrides `(name, value)`, sent as `runtime_param_override` `param<n>`/`paramVal<n>`.
    pub params: Vec<(String, ParamValue)>,
}

impl AnswerRequest {
    /// The Answer `answer` (GUID or name), in COMPACT rows and without filters.
    pub fn new(answer: impl Into<String>) -> Self {
        Self {
            answer: answer.into(),
            format: DataFormat::Compact,
            filters: Vec::new(),
            sort: Vec::new(),
            params: Vec::new(),
        }
    }
}

/// An `AnswerContent`'s counters (wire-protocol §4.5), read by key; numbers as integers or floats.
#[derive(Debug, Default, Deserialize)]
struct ContentCounters {
    #[serde(default)]
    column_names: Vec<String>,
    #[serde(default)]
    returned_data_row_count: Option<f64>,
    #[serde(default)]
    available_data_row_count: Option<f64>,
    #[serde(default)]
    record_offset: Option<f64>,
    #[serde(default)]
    record_size: Option<f64>,
    #[serde(default)]
    sampling_ratio: Option<f64>,
    #[serde(default)]
    visualization_id: Option<String>,
    #[serde(default)]
    visualization_name: Option<String>,
}

impl ContentCounters {
    /// The v1 counters with the same meaning. `available_data_row_count` is the page's row count on
    /// some releases and the result's on others (wire-protocol §4.5, §7 Q13), so it counts as a total, a floor
    /// for the rows received, only where it cannot be the page's count: when it exceeds the rows
    /// the page holds.
    fn into_counters(self, rows: f64) -> Counters {
        Counters {
            column_names: self.column_names,
            row_count: Some(rows),
            page_size: self.record_size,
            offset: self.record_offset,
            total_row_count: self.available_data_row_count.filter(|total| *total > rows),
            sampling_ratio: self.sampling_ratio,
            name: self.visualization_name,
        }
    }
}

/// The rows a block holds: `returned_data_row_count`, or where a server leaves it out, the rows of
/// `data_rows` counted (a missing count must not read as a short page and end the export early).
fn rows_in(block: &[u8], counters: &ContentCounters, endpoint: &str) -> Result<f64, Error> {
    if let Some(rows) = counters.returned_data_row_count {
        return Ok(rows);
    }
    let decode = |reason: String| Error::Decode {
        endpoint: endpoint.into(),
        reason,
    };
    let rows = scan::top_level(block)
        .map_err(|e| decode(e.to_string()))?
        .into_iter()
        .find(|(key, _)| key == "data_rows")
        .ok_or_else(|| decode("a data block has neither 'data_rows' nor a row count".into()))?;
    Ok(scan::array_items(block, rows.1)
        .map_err(|e| decode(e.to_string()))?
        .len() as f64)
}

/// The data blocks of a v2 data response: `contents[]`, each as its own bytes (sharing the
/// response's buffer) with its counters.
fn contents(body: &Bytes, endpoint: &str) -> Result<Vec<(Bytes, ContentCounters)>, Error> {
    let decode = |reason: String| Error::Decode {
        endpoint: endpoint.into(),
        reason,
    };
    let (_, range) = scan::top_level(body)
        .map_err(|e| decode(e.to_string()))?
        .into_iter()
        .find(|(key, _)| key == "contents")
        .ok_or_else(|| decode("the response has no 'contents'".into()))?;
    scan::array_items(body, range)
        .map_err(|e| decode(e.to_string()))?
        .into_iter()
        .map(|item| {
            let block = body.slice(item);
            let counters = counters_of(&block, endpoint)?;
            Ok((block, counters))
        })
        .collect()
}

/// What shapes a data call's result besides its source: the runtime filter, sort and parameters.
struct Runtime<'a> {
    filters: &'a [(String, String, Vec<String>)],
    sort: &'a [SortBy],
    params: &'a [(String, ParamValue)],
}

/// The shared fields of the three data calls. `record_size` is always sent: v2's default is 10 rows.
/// The runtime objects are sent only when given: clusters before 10.0 do not know `runtime_sort`.
fn data_body(
    format: DataFormat,
    offset: u64,
    size: u64,
    runtime: Runtime<'_>,
) -> Map<String, Value> {
    let Runtime {
        filters,
        sort,
        params,
    } = runtime;
    let mut body = Map::new();
    body.insert("data_format".into(), json!(format.as_str()));
    body.insert("record_offset".into(), json!(offset));
    body.insert("record_size".into(), json!(size));
    if !filters.is_empty() {
        let mut filter = Map::new();
        for (i, (column, op, values)) in filters.iter().enumerate() {
            let n = i + 1;
            filter.insert(format!("col{n}"), json!(column));
            filter.insert(format!("op{n}"), json!(op));
            filter.insert(format!("val{n}"), json!(values));
        }
        body.insert("runtime_filter".into(), Value::Object(filter));
    }
    if !sort.is_empty() {
        let mut object = Map::new();
        for (i, by) in sort.iter().enumerate() {
            let n = i + 1;
            object.insert(format!("sortCol{n}"), json!(by.column));
            object.insert(format!("asc{n}"), json!(by.order == SortOrder::Ascending));
        }
        body.insert("runtime_sort".into(), Value::Object(object));
    }
    if !params.is_empty() {
        let mut object = Map::new();
        for (i, (name, value)) in params.iter().enumerate() {
            let n = i + 1;
            object.insert(format!("param{n}"), json!(name));
            object.insert(format!("paramVal{n}"), value.to_json());
        }
        body.insert("runtime_param_override".into(), Value::Object(object));
    }
    body
}

/// The single data block of a searchdata or answer response.
fn single_page(body: &Bytes, endpoint: &str) -> Result<Page, Error> {
    let mut blocks = contents(body, endpoint)?;
    if blocks.len() != 1 {
        return Err(Error::Decode {
            endpoint: endpoint.into(),
            reason: format!(
                "expected one data block in 'contents', got {}",
                blocks.len()
            ),
        });
    }
    let (bytes, counters) = blocks.remove(0);
    let rows = rows_in(&bytes, &counters, endpoint)?;
    Ok(Page {
        bytes,
        counters: counters.into_counters(rows),
    })
}

impl Client {
    /// One v2 `searchdata` page of `size` rows (1..=100,000) from the 0-based `offset`.
    pub async fn search_page_v2(
        &self,
        request: &SearchRequest,
        offset: u64,
        size: u64,
    ) -> Result<Page, Error> {
        let runtime = Runtime {
            filters: &request.filters,
            sort: &request.sort,
            params: &request.params,
        };
        let mut body = data_body(request.format, offset, size, runtime);
        body.insert("query_string".into(), json!(request.query));
        body.insert(
            "logical_table_identifier".into(),
            json!(request.data_source),
        );
        let call = Call::v2("searchdata", Value::Object(body));
        let (_, _, bytes) = self.inner.send_for_bytes(&call).await?;
        single_page(&bytes, &call.name())
    }

    /// One v2 `metadata/answer/data` page of a saved Answer.
    pub async fn answer_page_v2(
        &self,
        request: &AnswerRequest,
        offset: u64,
        size: u64,
    ) -> Result<Page, Error> {
        let runtime = Runtime {
            filters: &request.filters,
            sort: &request.sort,
            params: &request.params,
        };
        let mut body = data_body(request.format, offset, size, runtime);
        body.insert("metadata_identifier".into(), json!(request.answer));
        let call = Call::v2("metadata/answer/data", Value::Object(body));
        let (_, _, bytes) = self.inner.send_for_bytes(&call).await?;
        single_page(&bytes, &call.name())
    }

    /// One v2 `metadata/liveboard/data` page: each viz paged with the same `offset` and `size`, keyed
    /// by viz id (by name where the cluster sends no id).
    pub async fn liveboard_page_v2(
        &self,
        request: &PinboardRequest,
        offset: u64,
        size: u64,
    ) -> Result<Vec<VizPage>, Error> {
        let runtime = Runtime {
            filters: &request.filters,
            sort: &request.sort,
            params: &request.params,
        };
        let mut body = data_body(request.format, offset, size, runtime);
        body.insert("metadata_identifier".into(), json!(request.pinboard));
        if !request.vizzes.is_empty() {
            body.insert("visualization_identifiers".into(), json!(request.vizzes));
        }
        let call = Call::v2("metadata/liveboard/data", Value::Object(body));
        let (_, _, bytes) = self.inner.send_for_bytes(&call).await?;
        let endpoint = call.name();
        contents(&bytes, &endpoint)?
            .into_iter()
            .map(|(bytes, counters)| {
                let viz = counters
                    .visualization_id
                    .clone()
                    .or_else(|| counters.visualization_name.clone())
                    .unwrap_or_default();
                let rows = rows_in(&bytes, &counters, &endpoint)?;
                Ok(VizPage {
                    viz,
                    bytes,
                    counters: counters.into_counters(rows),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_row_count_is_a_floor_only_where_it_cannot_be_the_page_count() {
        let page = |available: f64| ContentCounters {
            available_data_row_count: Some(available),
            ..ContentCounters::default()
        };
        assert_eq!(page(10.0).into_counters(10.0).total_row_count, None);
        assert_eq!(page(25.0).into_counters(10.0).total_row_count, Some(25.0));
        assert_eq!(page(3.0).into_counters(10.0).total_row_count, None);
    }

    #[test]
    fn blocks_are_sliced_and_missing_counts_are_counted() {
        let body = Bytes::from_static(
            br#"{"contents":[{"column_names":["a"],"data_rows":[[1],[2],[3]],"record_offset":0,"record_size":3}]}"#,
        );
        let page = single_page(&body, "v2/searchdata").expect("page");
        assert_eq!(page.counters.row_count, Some(3.0));
        assert_eq!(page.counters.page_size, Some(3.0));
        assert!(page.bytes.starts_with(b"{\"column_names\""));
        let two = Bytes::from_static(br#"{"contents":[{"data_rows":[]},{"data_rows":[]}]}"#);
        assert!(single_page(&two, "v2/searchdata").is_err());
        let none = Bytes::from_static(br#"{"contents":[{"column_names":["a"]}]}"#);
        assert!(single_page(&none, "v2/searchdata").is_err());
    }

    #[test]
    fn filters_and_an_explicit_record_size_are_always_sent() {
        let body = data_body(
            DataFormat::Compact,
            200,
            100,
            Runtime {
                filters: &[(
                    "Region".into(),
                    "IN".into(),
                    vec!["east".into(), "west".into()],
                )],
                sort: &[],
                params: &[],
            },
        );
        assert_eq!(
            Value::Object(body),
            json!({
                "data_format": "COMPACT", "record_offset": 200, "record_size": 100,
                "runtime_filter": {"col1": "Region", "op1": "IN", "val1": ["east", "west"]}
            })
        );
    }

    #[test]
    fn sort_and_parameters_are_numbered_and_sent_only_when_given() {
        let sort: Vec<SortBy> = vec!["Sales:desc".parse().unwrap(), "Order ID".parse().unwrap()];
        let params = [
            ("Discount Rate".to_string(), ParamValue::from_text("0.15")),
            ("Since".to_string(), ParamValue::from_text("2024-01-02")),
        ];
        let body = data_body(
            DataFormat::Compact,
            0,
            10,
            Runtime {
                filters: &[],
                sort: &sort,
                params: &params,
            },
        );
        assert_eq!(
            Value::Object(body),
            json!({
                "data_format": "COMPACT", "record_offset": 0, "record_size": 10,
                "runtime_sort": {"sortCol1": "Sales", "asc1": false, "sortCol2": "Order ID", "asc2": true},
                "runtime_param_override": {
                    "param1": "Discount Rate", "paramVal1": 0.15,
                    "param2": "Since", "paramVal2": 1_704_153_600
                }
            })
        );
        let plain = data_body(
            DataFormat::Full,
            0,
            10,
            Runtime {
                filters: &[],
                sort: &[],
                params: &[],
            },
        );
        assert!(
            !plain.contains_key("runtime_sort") && !plain.contains_key("runtime_param_override")
        );
    }
}
