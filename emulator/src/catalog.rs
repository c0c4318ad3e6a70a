//! Metadata objects: worksheets, tables, pinboards, answers, their vizzes, columns, tags.

use super::data::{DataSets, Table};
use super::directory::ADMIN_USER;
use super::ids;

/// Metadata types of `listobjectheaders` (wire-protocol §2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectType {
    Answer,
    Pinboard,
    LogicalTable,
    LogicalColumn,
    LogicalRelationship,
    Tag,
    DataSource,
    User,
    UserGroup,
    AnswerSheet,
    PinboardSheet,
}

impl ObjectType {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUESTION_ANSWER_BOOK" => ObjectType::Answer,
            "PINBOARD_ANSWER_BOOK" => ObjectType::Pinboard,
            "LOGICAL_TABLE" => ObjectType::LogicalTable,
            "LOGICAL_COLUMN" => ObjectType::LogicalColumn,
            "LOGICAL_RELATIONSHIP" => ObjectType::LogicalRelationship,
            "TAG" => ObjectType::Tag,
            "DATA_SOURCE" => ObjectType::DataSource,
            "USER" => ObjectType::User,
            "USER_GROUP" => ObjectType::UserGroup,
            "QUESTION_ANSWER_SHEET" => ObjectType::AnswerSheet,
            "PINBOARD_ANSWER_SHEET" => ObjectType::PinboardSheet,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ObjectType::Answer => "QUESTION_ANSWER_BOOK",
            ObjectType::Pinboard => "PINBOARD_ANSWER_BOOK",
            ObjectType::LogicalTable => "LOGICAL_TABLE",
            ObjectType::LogicalColumn => "LOGICAL_COLUMN",
            ObjectType::LogicalRelationship => "LOGICAL_RELATIONSHIP",
            ObjectType::Tag => "TAG",
            ObjectType::DataSource => "DATA_SOURCE",
            ObjectType::User => "USER",
            ObjectType::UserGroup => "USER_GROUP",
            ObjectType::AnswerSheet => "QUESTION_ANSWER_SHEET",
            ObjectType::PinboardSheet => "PINBOARD_ANSWER_SHEET",
        }
    }

    /// The subtypes that may be asked for with this type.
    pub(crate) fn subtypes(self) -> &'static [&'static str] {
        match self {
            ObjectType::LogicalTable => &[
                "ONE_TO_ONE_LOGICAL",
                "WORKSHEET",
                "USER_DEFINED",
                "AGGR_WORKSHEET",
                "PRIVATE_WORKSHEET",
                "SQL_VIEW",
            ],
            ObjectType::LogicalColumn | ObjectType::LogicalRelationship => {
                &["FORMULA", "CALENDAR_TYPE", "CALENDAR_TABLE"]
            }
            _ => &[],
        }
    }
}

/// A stored object's header fields.
#[derive(Debug, Clone)]
pub(crate) struct MetaObject {
    pub id: String,
    pub name: String,
    /// Absent on some objects, as in the spec's examples.
    pub description: Option<String>,
    pub object_type: ObjectType,
    pub subtype: Option<&'static str>,
    /// The author's user name (rendered as the user's GUID).
    pub author: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub modified_by: String,
    pub tags: Vec<String>,
    pub auto_created: bool,
    pub hidden: bool,
}

/// Visualisation kinds of `listvizheaders`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VizKind {
    Table,
    Chart,
    Headline,
    Filter,
}

impl VizKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            VizKind::Table => "TABLE",
            VizKind::Chart => "CHART",
            VizKind::Headline => "HEADLINE",
            VizKind::Filter => "FILTER",
        }
    }
}

/// A visualisation of an answer or pinboard, with the search behind it.
#[derive(Debug, Clone)]
pub(crate) struct Viz {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: VizKind,
    pub source: &'static str,
    pub query: &'static str,
    pub size: &'static str,
}

/// An answer or a pinboard with its vizzes.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub id: &'static str,
    pub vizzes: Vec<Viz>,
}

/// Every metadata object the emulator serves, except users and groups (those live in the directory).
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub objects: Vec<MetaObject>,
    pub books: Vec<Book>,
    /// `(user, object id)` pairs for `category=FAVORITE`.
    pub favorites: Vec<(String, String)>,
    /// `(user, object id)` pairs for `category=REQUESTED` (access requested by the user).
    pub requested: Vec<(String, String)>,
}

/// Fixture creation times: one day apart from 2022-01-01, so sorting by time is meaningful.
const EPOCH_2022_MS: i64 = 1_640_995_200_000;

impl Catalog {
    pub(crate) fn fixture(data: &DataSets) -> Self {
        let mut objects = Vec::new();
        let mut day = 0;
        let mut object = |id: &str,
                          name: &str,
                          description: Option<&str>,
                          object_type,
                          subtype,
                          author: &str,
                          tags: &[&str]| {
            day += 1;
            objects.push(MetaObject {
                id: id.into(),
                name: name.into(),
                description: description.map(String::from),
                object_type,
                subtype,
                author: author.into(),
                created_ms: EPOCH_2022_MS + day * 86_400_000,
                modified_ms: EPOCH_2022_MS + day * 86_400_000 + 3_600_000,
                modified_by: author.into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                auto_created: false,
                hidden: false,
            });
        };
        use ObjectType::*;
        object(
            ids::DATA_SOURCE,
            "Retail Warehouse",
            Some("Snowflake connection"),
            DataSource,
            None,
            ADMIN_USER,
            &[],
        );
        object(
            ids::SALES_FACT,
            "Sales Fact",
            Some("Order lines as loaded"),
            LogicalTable,
            Some("ONE_TO_ONE_LOGICAL"),
            ADMIN_USER,
            &[],
        );
        object(
            ids::STORES,
            "Stores",
            Some("One row per store"),
            LogicalTable,
            Some("ONE_TO_ONE_LOGICAL"),
            ADMIN_USER,
            &["retail"],
        );
        object(
            ids::RETAIL_SALES,
            "Retail Sales",
            Some("Order-line worksheet over Sales Fact and Stores"),
            LogicalTable,
            Some("WORKSHEET"),
            ADMIN_USER,
            &["retail", "certified"],
        );
        object(
            ids::REGIONAL_VIEW,
            "Regional Sales View",
            None,
            LogicalTable,
            Some("AGGR_WORKSHEET"),
            "alice",
            &["retail"],
        );
        object(
            ids::TARGETS_UPLOAD,
            "Targets Upload",
            None,
            LogicalTable,
            Some("USER_DEFINED"),
            "bob",
            &[],
        );
        object(
            ids::RETURNS_SQL_VIEW,
            "Returns SQL View",
            Some(""),
            LogicalTable,
            Some("SQL_VIEW"),
            "carol",
            &[],
        );
        object(
            ids::RELATIONSHIP,
            "Sales Fact to Stores",
            None,
            LogicalRelationship,
            None,
            ADMIN_USER,
            &[],
        );
        object(
            ids::TAG_CERTIFIED,
            "certified",
            None,
            Tag,
            None,
            ADMIN_USER,
            &[],
        );
        object(ids::TAG_RETAIL, "retail", None, Tag, None, ADMIN_USER, &[]);
        object(
            ids::RETAIL_PINBOARD,
            "Retail Overview",
            Some("Order lines, sales by region and the sales total"),
            Pinboard,
            None,
            ADMIN_USER,
            &["retail", "certified"],
        );
        object(
            ids::STORES_PINBOARD,
            "Store Footprint",
            None,
            Pinboard,
            None,
            "alice",
            &["retail"],
        );
        object(
            ids::ANSWER_SALES_BY_PRODUCT,
            "Sales by Product",
            Some("Saved answer"),
            Answer,
            None,
            "alice",
            &["retail"],
        );
        object(
            ids::ANSWER_RETURNS,
            "Returned Lines",
            None,
            Answer,
            None,
            "bob",
            &[],
        );
        // The activity worksheet is added last, so the fixture's older objects keep their times.
        for table in data.tables().iter().filter(|t| t.id() != ids::BI_SERVER) {
            for column in table.columns() {
                object(
                    &column.id,
                    column.name,
                    column.description,
                    LogicalColumn,
                    None,
                    ADMIN_USER,
                    &[],
                );
            }
        }
        let formula_id = super::rng::named_guid("Retail Sales/Net Sales");
        object(
            &formula_id,
            "Net Sales",
            Some("Sales minus discount"),
            LogicalColumn,
            Some("FORMULA"),
            "alice",
            &[],
        );
        object(
            ids::BI_SERVER,
            "TS: BI Server",
            Some("System worksheet: one row per user request, kept about six months"),
            LogicalTable,
            Some("WORKSHEET"),
            "system",
            &[],
        );
        for column in data.bi_server.columns() {
            object(
                &column.id,
                column.name,
                column.description,
                LogicalColumn,
                None,
                "system",
                &[],
            );
        }
        if let Some(o) = objects.iter_mut().find(|o| o.id == formula_id) {
            o.auto_created = true;
        }

        Self {
            objects,
            books: fixture_books(),
            favorites: vec![
                (ADMIN_USER.into(), ids::RETAIL_PINBOARD.into()),
                ("alice".into(), ids::RETAIL_SALES.into()),
            ],
            requested: vec![("bob".into(), ids::STORES_PINBOARD.into())],
        }
    }

    pub(crate) fn object(&self, id: &str) -> Option<&MetaObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    pub(crate) fn book(&self, id: &str) -> Option<&Book> {
        self.books.iter().find(|b| b.id == id)
    }

    /// Moves authorship of objects from one user to another; `only` limits it to those ids.
    /// Returns how many objects moved.
    pub(crate) fn transfer(
        &mut self,
        from: &str,
        to: &str,
        only: Option<&[String]>,
        now_ms: i64,
    ) -> usize {
        let mut moved = 0;
        for o in self.objects.iter_mut() {
            if o.author == from && only.is_none_or(|ids| ids.contains(&o.id)) {
                o.author = to.to_string();
                o.modified_by = to.to_string();
                o.modified_ms = now_ms;
                moved += 1;
            }
        }
        moved
    }
}

/// The fixture answers and pinboards with their vizzes; the activity worksheet draws its events from
/// them too.
pub(crate) fn fixture_books() -> Vec<Book> {
    let viz = |id, name, kind, source, query, size| Viz {
        id,
        name,
        kind,
        source,
        query,
        size,
    };
    vec![
            Book {
                id: ids::RETAIL_PINBOARD,
                vizzes: vec![
                    viz(ids::VIZ_ORDER_LINES, "Order Lines", VizKind::Table, ids::RETAIL_SALES,
                        "[Order Line ID] [Order Date] [Customer] [Region] [Quantity] [Sales] sort by [Order Line ID]", "l"),
                    viz(ids::VIZ_SALES_BY_REGION, "Sales by Region", VizKind::Chart, ids::RETAIL_SALES,
                        "[Region] [Sales] sort by [Region]", "m"),
                    viz(ids::VIZ_TOTAL_SALES, "Total Sales", VizKind::Headline, ids::RETAIL_SALES, "[Sales]", "xs"),
                    viz(ids::VIZ_REGION_FILTER, "Untitled", VizKind::Filter, ids::RETAIL_SALES, "[Region]", ""),
                ],
            },
            Book {
                id: ids::STORES_PINBOARD,
                vizzes: vec![
                    viz(ids::VIZ_STORES_TABLE, "All Stores", VizKind::Table, ids::STORES,
                        "[Store ID] [Store Name] [City] [Region] [Opened] [Square Feet] sort by [Store ID]", "m"),
                    viz(ids::VIZ_FLOOR_SPACE, "Floor Space by City", VizKind::Chart, ids::STORES,
                        "[City] [Square Feet] sort by [City]", "ms"),
                ],
            },
            Book {
                id: ids::ANSWER_SALES_BY_PRODUCT,
                vizzes: vec![
                    viz(ids::VIZ_ANSWER_PRODUCT_TABLE, "Sales by Product", VizKind::Table, ids::RETAIL_SALES,
                        "[Product] [Sales] [Quantity] sort by [Product]", "l"),
                    viz(ids::VIZ_ANSWER_PRODUCT_CHART, "Sales by Product", VizKind::Chart, ids::RETAIL_SALES,
                        "[Product] [Sales] sort by [Product]", "m"),
                ],
            },
            Book {
                id: ids::ANSWER_RETURNS,
                vizzes: vec![viz(ids::VIZ_ANSWER_RETURNS_TABLE, "Returned Lines", VizKind::Table, ids::RETAIL_SALES,
                    "[Order Line ID] [Product] [Sales] [Is Returned] = true sort by [Order Line ID]", "l")],
            },
    ]
}
