//! `metadata/*`: object headers, viz headers and column details (wire-protocol §2.9–§2.11).

use reqwest::Method;
use serde::{Deserialize, Deserializer};

use super::transport::Call;
use super::wire::{epoch_ms, flag, json_list, non_empty_list, wire_enum};
use super::{Client, Error};

wire_enum! {
    /// The `type` of a metadata object (wire-protocol §2.9).
    closed enum ObjectType {
        /// A saved Answer.
        Answer = "QUESTION_ANSWER_BOOK",
        /// A Liveboard (called pinboard in v1).
        Pinboard = "PINBOARD_ANSWER_BOOK",
        /// Tables, worksheets, views, uploaded files and SQL views; see [`SubType`].
        LogicalTable = "LOGICAL_TABLE",
        /// A column of a logical table.
        LogicalColumn = "LOGICAL_COLUMN",
        /// A join between two logical tables.
        LogicalRelationship = "LOGICAL_RELATIONSHIP",
        /// A tag that labels objects.
        Tag = "TAG",
        /// A data connection (database or file source).
        DataSource = "DATA_SOURCE",
        /// A user; its headers add `displayName`, `mail` and `groupNames`.
        User = "USER",
        /// A group of users.
        UserGroup = "USER_GROUP",
        /// Deprecated; kept for old clusters.
        AnswerSheet = "QUESTION_ANSWER_SHEET",
        /// Deprecated; kept for old clusters.
        PinboardSheet = "PINBOARD_ANSWER_SHEET",
    }
}

wire_enum! {
    /// The `subtypes` of a metadata object (wire-protocol §2.9). The first six go with
    /// [`ObjectType::LogicalTable`], the last three with columns and relationships; a subtype that does
    /// not fit the type is refused with 400.
    closed enum SubType {
        /// A table.
        OneToOneLogical = "ONE_TO_ONE_LOGICAL",
        /// A worksheet: joined tables presented as one.
        Worksheet = "WORKSHEET",
        /// An uploaded file.
        UserDefined = "USER_DEFINED",
        /// A view.
        AggrWorksheet = "AGGR_WORKSHEET",
        /// Deprecated.
        PrivateWorksheet = "PRIVATE_WORKSHEET",
        /// A view defined by SQL.
        SqlView = "SQL_VIEW",
        /// A formula column.
        Formula = "FORMULA",
        /// A custom calendar column.
        CalendarType = "CALENDAR_TYPE",
        /// A custom calendar table.
        CalendarTable = "CALENDAR_TABLE",
    }
}

wire_enum! {
    /// Which objects of the signed-in user to list (wire-protocol §2.9).
    closed enum Category {
        /// Every object the user can see.
        All = "ALL",
        /// Authored by the signed-in user.
        My = "MY",
        /// Marked as a favorite by the signed-in user.
        Favorite = "FAVORITE",
        /// Objects the user has asked for access to.
        Requested = "REQUESTED",
    }
}

wire_enum! {
    /// The order of listed headers (wire-protocol §2.9).
    closed enum SortKey {
        /// The server's own order.
        Default = "DEFAULT",
        /// By object name.
        Name = "NAME",
        /// By display name (users and groups).
        DisplayName = "DISPLAY_NAME",
        /// By author.
        Author = "AUTHOR",
        /// By creation time.
        Created = "CREATED",
        /// By time of the last change.
        Modified = "MODIFIED",
    }
}

wire_enum! {
    /// What a visualization shows (wire-protocol §2.10).
    open enum VizType {
        /// A single-value headline tile.
        Headline = "HEADLINE",
        /// A chart.
        Chart = "CHART",
        /// A table.
        Table = "TABLE",
        /// A filter tile: it holds no data and is never exported.
        Filter = "FILTER",
    }
}

wire_enum! {
    /// Whether a column is a dimension or a number to aggregate (wire-protocol §2.11).
    open enum ColumnKind {
        /// A dimension: grouped by, not aggregated.
        Attribute = "ATTRIBUTE",
        /// A number aggregated over the attributes (see `defaultAggrType`).
        Measure = "MEASURE",
    }
}

/// Filters and paging of [`Client::list_object_headers`]. Everything is optional; `Default` lists all
/// objects of the type in the server's order.
///
/// ```
/// use tsexport::api::{ListObjectHeaders, SortKey, SubType};
/// let worksheets = ListObjectHeaders::default().subtypes([SubType::Worksheet]).sort(SortKey::Name).pattern("retail%");
/// # let _ = worksheets;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListObjectHeaders {
    /// Only objects of these subtypes (`subtypes`); empty for all.
    pub subtypes: Vec<SubType>,
    /// Whose objects to list (`category`); unset for the server's default.
    pub category: Option<Category>,
    /// The sort key (`sort`); unset for the server's order.
    pub sort: Option<SortKey>,
    /// Unset keeps the sort key's default direction.
    pub sort_ascending: Option<bool>,
    /// 0-based index of the first header to return.
    pub offset: Option<u64>,
    /// Headers per call; unset returns all of them.
    pub batch_size: Option<u64>,
    /// Tag names; an object matches if it has any of them.
    pub tags: Vec<String>,
    /// Case-insensitive name match with `%` as the wildcard.
    pub pattern: Option<String>,
    /// Only these GUIDs.
    pub fetch_ids: Vec<String>,
    /// Never these GUIDs.
    pub skip_ids: Vec<String>,
    /// Only objects that were (or were not) created automatically.
    pub auto_created: Option<bool>,
}

impl ListObjectHeaders {
    /// Lists only objects of these subtypes.
    pub fn subtypes(mut self, subtypes: impl IntoIterator<Item = SubType>) -> Self {
        self.subtypes = subtypes.into_iter().collect();
        self
    }

    /// Lists only the signed-in user's objects of this category.
    pub fn category(mut self, category: Category) -> Self {
        self.category = Some(category);
        self
    }

    /// Sorts the headers by `key`.
    pub fn sort(mut self, key: SortKey) -> Self {
        self.sort = Some(key);
        self
    }

    /// Sorts ascending (`true`) or descending (`false`).
    pub fn sort_ascending(mut self, ascending: bool) -> Self {
        self.sort_ascending = Some(ascending);
        self
    }

    /// One page: `batch_size` headers from the 0-based `offset`.
    pub fn page(mut self, offset: u64, batch_size: u64) -> Self {
        self.offset = Some(offset);
        self.batch_size = Some(batch_size);
        self
    }

    /// Lists only objects with any of these tag names.
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Lists only objects whose name matches `pattern`, case-insensitively, with `%` as the wildcard.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// Lists only the objects with these GUIDs.
    pub fn fetch_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.fetch_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves out the objects with these GUIDs.
    pub fn skip_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.skip_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Lists only objects that were (`true`) or were not (`false`) created automatically.
    pub fn auto_created(mut self, auto_created: bool) -> Self {
        self.auto_created = Some(auto_created);
        self
    }

    /// Adds the set filters to `call`; unset ones are left out so the server's defaults apply.
    fn apply(&self, mut call: Call) -> Call {
        let lists = [
            ("subtypes", non_empty_list(&self.subtypes)),
            ("tagname", non_empty_list(&self.tags)),
            ("fetchids", non_empty_list(&self.fetch_ids)),
            ("skipids", non_empty_list(&self.skip_ids)),
        ];
        for (name, list) in lists {
            if let Some(list) = list {
                call = call.query(name, list);
            }
        }
        if let Some(category) = self.category {
            call = call.query("category", category.as_str());
        }
        if let Some(sort) = self.sort {
            call = call.query("sort", sort.as_str());
        }
        if let Some(ascending) = self.sort_ascending {
            call = call.query("sortascending", flag(ascending));
        }
        if let Some(offset) = self.offset {
            call = call.query("offset", offset.to_string());
        }
        if let Some(size) = self.batch_size {
            call = call.query("batchsize", size.to_string());
        }
        if let Some(pattern) = &self.pattern {
            call = call.query("pattern", pattern.clone());
        }
        if let Some(auto_created) = self.auto_created {
            call = call.query("auto_created", flag(auto_created));
        }
        call
    }
}

/// A tag on an object, from the richer headers of newer clusters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct TagRef {
    /// The tag's GUID, when the server sends it.
    #[serde(default)]
    pub id: Option<String>,
    /// The tag's name; empty when the server leaves it out.
    #[serde(default)]
    pub name: String,
}

/// One entry of `listobjectheaders` (wire-protocol §2.9). Only `id` and `name` are always there; unknown keys
/// are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectHeader {
    /// The object's GUID.
    pub id: String,
    /// The object's name, as users see it.
    pub name: String,
    /// The object's description; `None` when it has none.
    #[serde(default)]
    pub description: Option<String>,
    /// The author's user GUID.
    #[serde(default)]
    pub author: Option<String>,
    /// Epoch milliseconds of creation (`created`).
    #[serde(default, deserialize_with = "epoch_ms")]
    pub created: Option<i64>,
    /// Epoch milliseconds of the last change, as ThoughtSpot reports it (`modified`).
    #[serde(default, deserialize_with = "epoch_ms")]
    pub modified: Option<i64>,
    /// User GUID of the last change.
    #[serde(default)]
    pub modified_by: Option<String>,
    /// A containment link, usually the object's own id: not a user (wire-protocol §2.9).
    #[serde(default)]
    pub owner: Option<String>,
    /// Whether ThoughtSpot created the object itself rather than a user (`isAutoCreated`); `false`
    /// when not sent.
    #[serde(default)]
    pub is_auto_created: bool,
    /// ThoughtSpot's `isAutoDelete` flag: the object is removed automatically; `false` when not sent.
    #[serde(default)]
    pub is_auto_delete: bool,
    // Richer fields some builds add (wire-protocol §2.9, §7 Q5).
    /// Whether the object is deleted (`isDeleted`); `None` on builds without rich headers.
    #[serde(default)]
    pub is_deleted: Option<bool>,
    /// Whether the object is hidden (`isHidden`); `None` on builds without rich headers.
    #[serde(default)]
    pub is_hidden: Option<bool>,
    /// The author's user name (`authorName`); `None` on builds without rich headers.
    #[serde(default)]
    pub author_name: Option<String>,
    /// The author's display name (`authorDisplayName`); `None` on builds without rich headers.
    #[serde(default)]
    pub author_display_name: Option<String>,
    /// The object's tags; empty when it has none or the build does not send them.
    #[serde(default)]
    pub tags: Vec<TagRef>,
    // Principal fields, on `USER` and `USER_GROUP` headers.
    /// The principal's display name (`displayName`); `None` on other types.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The user's e-mail address (`mail`); `None` on other types or when unset.
    #[serde(default)]
    pub mail: Option<String>,
    /// Names of the groups the principal belongs to (`groupNames`); empty on other types.
    #[serde(default)]
    pub group_names: Vec<String>,
    /// `DEFAULT` or `NON_SHARABLE` (`visibility`); `None` on other types.
    #[serde(default)]
    pub visibility: Option<String>,
}

/// One visualization of an Answer or Liveboard (wire-protocol §2.10). Older builds send only the basic header,
/// and filters have no size or title.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VizHeader {
    /// The viz's GUID, as `vizid` of `pinboarddata` takes it.
    pub id: String,
    /// The viz's name.
    pub name: String,
    /// What the viz shows (`vizType`); `None` on builds that send only the basic header.
    #[serde(default)]
    pub viz_type: Option<VizType>,
    /// Tile size: `xs`, `ms`, `m`, `ls`, ...
    #[serde(default)]
    pub size: Option<String>,
    /// The displayed title, unwrapped from `title.value.text`.
    #[serde(default, rename = "title", deserialize_with = "title_text")]
    pub title: Option<String>,
    /// The author's user GUID.
    #[serde(default)]
    pub author: Option<String>,
    /// Epoch milliseconds of creation (`created`).
    #[serde(default, deserialize_with = "epoch_ms")]
    pub created: Option<i64>,
    /// Epoch milliseconds of the last change (`modified`).
    #[serde(default, deserialize_with = "epoch_ms")]
    pub modified: Option<i64>,
    /// User GUID of the last change (`modifiedBy`).
    #[serde(default)]
    pub modified_by: Option<String>,
    /// The GUID of the Answer or Liveboard holding the viz.
    #[serde(default)]
    pub owner: Option<String>,
}

/// `{"value": {"text": "..."}}` -> the text; any other shape -> none.
fn title_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value
        .as_ref()
        .and_then(|t| t.pointer("/value/text"))
        .and_then(|t| t.as_str())
        .map(String::from))
}

/// A header inside `metadata/details`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DetailHeader {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    is_hidden: bool,
}

/// One column of a table or worksheet, with the data type the export needs (wire-protocol §2.11).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnDetails {
    /// The column's GUID (`header.id`).
    pub id: String,
    /// The display name, as `columnNames` of data pages use it (before any aggregation prefix).
    pub name: String,
    /// The column's description (`header.description`); `None` when it has none.
    pub description: Option<String>,
    /// Whether the column is hidden (`header.isHidden`); hidden columns come only with `showhidden`.
    pub is_hidden: bool,
    /// `VARCHAR`, `INT64`, `DATE_TIME`, ...: kept as text, since clusters add types.
    pub data_type: String,
    /// Attribute or measure (`type`).
    pub kind: ColumnKind,
    /// `defaultAggrType`: `NONE`, `SUM`, ...
    pub default_aggregation: Option<String>,
    /// Set on formula columns only.
    pub formula_id: Option<String>,
}

impl<'de> Deserialize<'de> for ColumnDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            header: DetailHeader,
            data_type: String,
            #[serde(rename = "type")]
            kind: ColumnKind,
            #[serde(default)]
            default_aggr_type: Option<String>,
            #[serde(default)]
            formula_id: Option<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Self {
            id: raw.header.id,
            name: raw.header.name,
            description: raw.header.description,
            is_hidden: raw.header.is_hidden,
            data_type: raw.data_type,
            kind: raw.kind,
            default_aggregation: raw.default_aggr_type,
            formula_id: raw.formula_id,
        })
    }
}

/// One object of `metadata/details`: its header and, for tables and worksheets, its columns. The rest of
/// the (large, version-dependent) object is ignored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDetails {
    /// The object's GUID (`header.id`).
    pub id: String,
    /// The object's name (`header.name`).
    pub name: String,
    /// The object's description (`header.description`); `None` when it has none.
    pub description: Option<String>,
    /// Whether the object is hidden (`header.isHidden`).
    pub is_hidden: bool,
    /// The detail's own `type`: the subtype for tables (`WORKSHEET`, ...), when the server sends one.
    pub subtype: Option<String>,
    /// Empty for objects without columns.
    pub columns: Vec<ColumnDetails>,
}

impl<'de> Deserialize<'de> for ObjectDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            header: DetailHeader,
            #[serde(default, rename = "type")]
            subtype: Option<String>,
            #[serde(default)]
            columns: Vec<ColumnDetails>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Self {
            id: raw.header.id,
            name: raw.header.name,
            description: raw.header.description,
            is_hidden: raw.header.is_hidden,
            subtype: raw.subtype,
            columns: raw.columns,
        })
    }
}

/// `{"storables": [...], "debugInfo": {}}`.
#[derive(Deserialize)]
struct DetailsResponse {
    #[serde(default)]
    storables: Vec<ObjectDetails>,
}

/// Objects per `metadata/details` call; ThoughtSpot's own tools ask for at most 10 at a time.
const DETAILS_BATCH: usize = 10;

impl Client {
    /// `GET metadata/listobjectheaders`: the headers of objects of one type. A bad subtype for the type
    /// is a 400 (code 10002); an unknown type is, oddly, a 500.
    pub async fn list_object_headers(
        &self,
        object_type: ObjectType,
        request: &ListObjectHeaders,
    ) -> Result<Vec<ObjectHeader>, Error> {
        let call = Call::read(Method::GET, "metadata/listobjectheaders")
            .query("type", object_type.as_str());
        self.inner.send_for_json(&request.apply(call)).await
    }

    /// `GET metadata/listvizheaders`: the visualizations of a saved Answer or Liveboard `id`.
    pub async fn list_viz_headers(&self, id: &str) -> Result<Vec<VizHeader>, Error> {
        let call = Call::read(Method::GET, "metadata/listvizheaders").query("id", id);
        self.inner.send_for_json(&call).await
    }

    /// `GET metadata/details`: the objects `ids` with their columns and data types, in the order asked
    /// for. Hidden columns are included only with `show_hidden`. Ids go in batches of 10, as ThoughtSpot's
    /// tools send them, so a long list does not make one huge request.
    pub async fn metadata_details<S: AsRef<str>>(
        &self,
        object_type: ObjectType,
        ids: &[S],
        show_hidden: bool,
    ) -> Result<Vec<ObjectDetails>, Error> {
        let mut details = Vec::with_capacity(ids.len());
        for batch in ids.chunks(DETAILS_BATCH) {
            let call = Call::read(Method::GET, "metadata/details")
                .query("type", object_type.as_str())
                .query("id", json_list(batch))
                .query("showhidden", flag(show_hidden));
            let response: DetailsResponse = self.inner.send_for_json(&call).await?;
            details.extend(response.storables);
        }
        Ok(details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_use_the_wire_strings() {
        assert_eq!(ObjectType::Pinboard.to_string(), "PINBOARD_ANSWER_BOOK");
        assert_eq!(
            serde_json::to_string(&SubType::AggrWorksheet).unwrap(),
            r#""AGGR_WORKSHEET""#
        );
        assert_eq!("display_name".parse::<SortKey>(), Ok(SortKey::DisplayName));
        let e = "BOOK".parse::<ObjectType>().unwrap_err().to_string();
        assert!(
            e.contains("'BOOK' is not a known ObjectType") && e.contains("LOGICAL_TABLE"),
            "{e}"
        );
        assert_eq!(
            serde_json::from_str::<VizType>(r#""MAP""#).unwrap(),
            VizType::Other("MAP".into())
        );
        assert_eq!(
            serde_json::to_string(&VizType::Other("MAP".into())).unwrap(),
            r#""MAP""#
        );
        assert!(ObjectType::ALL
            .iter()
            .all(|t| t.as_str().parse::<ObjectType>() == Ok(*t)));
    }

    #[test]
    fn lists_are_strict_json_and_unset_filters_are_left_out() {
        assert_eq!(json_list(&["a", "b\"c"]), r#"["a","b\"c"]"#);
        let request = ListObjectHeaders::default()
            .subtypes([SubType::Worksheet, SubType::SqlView])
            .sort_ascending(false)
            .page(0, 50)
            .fetch_ids(["x"]);
        let call = request.apply(Call::read(Method::GET, "metadata/listobjectheaders"));
        let query: Vec<(&str, &str)> = call
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            query,
            [
                ("subtypes", r#"["WORKSHEET","SQL_VIEW"]"#),
                ("fetchids", r#"["x"]"#),
                ("sortascending", "false"),
                ("offset", "0"),
                ("batchsize", "50")
            ]
        );
        assert!(ListObjectHeaders::default()
            .apply(Call::read(Method::GET, "x"))
            .query
            .is_empty());
    }

    #[test]
    fn headers_tolerate_missing_and_unknown_keys_and_float_times() {
        let headers: Vec<ObjectHeader> = serde_json::from_str(
            r#"[{"id":"a","name":"A","created":1641203355120.0,"modified":"","isAutoCreated":true,"surprise":{}},
                {"name":"B","id":"b","description":"","tags":[{"id":"t","name":"retail","extra":1}]}]"#,
        )
        .unwrap();
        assert_eq!(headers[0].created, Some(1_641_203_355_120));
        assert_eq!(
            (headers[0].modified, headers[0].description.as_deref()),
            (None, None)
        );
        assert!(headers[0].is_auto_created && !headers[1].is_auto_created);
        assert_eq!(headers[1].tags[0].name, "retail");

        let vizzes: Vec<VizHeader> = serde_json::from_str(
            r#"[{"size":"m","vizType":"CHART","title":{"value":{"text":"Hours"}},"id":"v","name":"Hours by Tier"},
                {"vizType":"FILTER","id":"f","name":"Untitled","owner":"p"},{"id":"o","name":"Old","title":"odd"}]"#,
        )
        .unwrap();
        assert_eq!(
            (vizzes[0].title.as_deref(), vizzes[0].viz_type.clone()),
            (Some("Hours"), Some(VizType::Chart))
        );
        assert_eq!(
            (vizzes[1].size.as_deref(), vizzes[1].title.as_deref()),
            (None, None)
        );
        assert_eq!(
            (vizzes[2].viz_type.as_ref(), vizzes[2].title.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn details_flatten_headers() {
        let details: DetailsResponse = serde_json::from_str(
            r#"{"storables":[{"header":{"id":"w","name":"WS","isHidden":false},"type":"WORKSHEET","columns":[
                {"header":{"id":"c","name":"Units","description":"qty","isHidden":true},"dataType":"INT64",
                 "type":"MEASURE","defaultAggrType":"SUM","synonyms":["qty"]}]}],"debugInfo":{}}"#,
        )
        .unwrap();
        let ws = &details.storables[0];
        assert_eq!(
            (ws.id.as_str(), ws.subtype.as_deref()),
            ("w", Some("WORKSHEET"))
        );
        let c = &ws.columns[0];
        assert_eq!(
            (c.name.as_str(), c.data_type.as_str(), &c.kind),
            ("Units", "INT64", &ColumnKind::Measure)
        );
        assert!(c.is_hidden && c.default_aggregation.as_deref() == Some("SUM"));
    }
}
