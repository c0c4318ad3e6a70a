//! v2 `metadata/search` (wire-protocol §4.8): one call that replaces v1's listings and details. The exporter
//! needs it for column types (`include_details` on a `LOGICAL_TABLE`); the typed request and result
//! serve library callers too.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::transport::Call;
use crate::api::{Client, ColumnDetails, Error};

/// One selector of `metadata[]`: objects by id or name, name pattern, type and subtypes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetadataSelector {
    /// A GUID or name (a name needs `kind`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Case-insensitive; `%` is the wildcard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_pattern: Option<String>,
    /// `LIVEBOARD`, `ANSWER`, `LOGICAL_TABLE`, `LOGICAL_COLUMN`, ...
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For `LOGICAL_TABLE`: `WORKSHEET`, `ONE_TO_ONE_LOGICAL`, ...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subtypes: Vec<String>,
}

impl MetadataSelector {
    /// Objects of one type, e.g. `"LIVEBOARD"`.
    pub fn of_type(kind: impl Into<String>) -> Self {
        Self {
            kind: Some(kind.into()),
            ..Self::default()
        }
    }

    /// One object by GUID (or by name, with its type).
    pub fn object(identifier: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            identifier: Some(identifier.into()),
            kind: Some(kind.into()),
            ..Self::default()
        }
    }
}

/// A `metadata/search` request. `record_size` is always sent (v2's default is 10).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetadataSearch {
    /// What to find (`metadata[]`). Give each selector a type or an id: with neither, a cluster may
    /// list Liveboards only (wire-protocol §7 Q18).
    pub metadata: Vec<MetadataSelector>,
    /// 0-based index of the first object to return.
    pub record_offset: u64,
    /// Objects per call (5000 by default).
    pub record_size: u64,
    /// Fill `metadata_detail` (for tables: their columns and data types).
    pub include_details: bool,
    /// Fill `visualization_headers` (for Answers and Liveboards).
    pub include_visualization_headers: bool,
}

impl Default for MetadataSearch {
    fn default() -> Self {
        Self {
            metadata: Vec::new(),
            record_offset: 0,
            // ThoughtSpot's own CLI pages listings by 5000 (wire-protocol §4.8).
            record_size: 5000,
            include_details: false,
            include_visualization_headers: false,
        }
    }
}

/// One object found. Sections not asked for are `None`; the header and detail are kept as JSON,
/// since their shape depends on the object's type and the release.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MetadataSearchItem {
    /// The object's GUID (`metadata_id`).
    pub metadata_id: String,
    /// The object's name (`metadata_name`); empty when not sent.
    #[serde(default)]
    pub metadata_name: String,
    /// The object's v2 type (`metadata_type`): `LIVEBOARD`, `ANSWER`, `LOGICAL_TABLE`, ...; empty
    /// when not sent.
    #[serde(default)]
    pub metadata_type: String,
    /// The object's header as sent (`metadata_header`); `None` when the server sends `null`.
    #[serde(default)]
    pub metadata_header: Option<Value>,
    /// The object's details (`metadata_detail`); `None` unless asked with `include_details`.
    #[serde(default)]
    pub metadata_detail: Option<Value>,
    /// The headers of the object's vizzes (`visualization_headers`); `None` unless asked with
    /// `include_visualization_headers`.
    #[serde(default)]
    pub visualization_headers: Option<Vec<Value>>,
}

impl MetadataSearchItem {
    /// The columns of a `LOGICAL_TABLE` found with `include_details` (`metadata_detail.columns[]`, in
    /// the shape of v1 `metadata/details`).
    pub fn columns(&self) -> Result<Vec<ColumnDetails>, Error> {
        let Some(columns) = self.metadata_detail.as_ref().and_then(|d| d.get("columns")) else {
            return Ok(Vec::new());
        };
        serde_json::from_value(columns.clone()).map_err(|e| Error::Decode {
            endpoint: "v2/metadata/search".into(),
            reason: format!("the columns of {} cannot be read: {e}", self.metadata_id),
        })
    }
}

impl Client {
    /// One page of v2 `metadata/search`: past the end the page is empty.
    pub async fn metadata_search(
        &self,
        request: &MetadataSearch,
    ) -> Result<Vec<MetadataSearchItem>, Error> {
        let body = serde_json::to_value(request).map_err(|e| Error::Config(e.to_string()))?;
        self.inner
            .send_for_json(&Call::v2("metadata/search", body))
            .await
    }

    /// Every object `request` selects, paging by its `record_size` until a short or empty page.
    pub async fn metadata_search_all(
        &self,
        request: &MetadataSearch,
    ) -> Result<Vec<MetadataSearchItem>, Error> {
        let size = request.record_size.max(1);
        let mut request = MetadataSearch {
            record_size: size,
            ..request.clone()
        };
        let mut found = Vec::new();
        loop {
            let page = self.metadata_search(&request).await?;
            let short = (page.len() as u64) < size;
            found.extend(page);
            if short {
                return Ok(found);
            }
            request.record_offset += size;
        }
    }

    /// The columns of a worksheet, view or table through v2, with their ThoughtSpot types: empty if
    /// the cluster finds no such table for this user.
    pub async fn table_columns_v2(&self, table: &str) -> Result<Vec<ColumnDetails>, Error> {
        let request = MetadataSearch {
            metadata: vec![MetadataSelector::object(table, "LOGICAL_TABLE")],
            // Details are heavy (wire-protocol §4.8): ask for the one table.
            record_size: 1,
            include_details: true,
            ..MetadataSearch::default()
        };
        match self.metadata_search(&request).await?.first() {
            Some(item) => item.columns(),
            None => Ok(Vec::new()),
        }
    }
}
