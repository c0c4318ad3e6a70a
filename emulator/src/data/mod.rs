//! The emulator's data sets: tables whose cells are computed on demand from `(seed, column, row)`.
//!
//! Nothing is stored per row, so memory does not grow with `--rows`, any page can be produced without
//! the pages before it, and equal seeds give equal data.

mod bi_server;
pub mod calendar;
mod retail;
mod stores;
mod value;

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};

pub use bi_server::{BiServer, DAYS as BI_SERVER_DAYS};
pub use retail::{RetailSales, LATE_NULL_ROWS};
pub use stores::Stores;
pub use value::{Cell, Value};

/// ThoughtSpot column data types, as `metadata/details` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Text.
    Varchar,
    /// 32-bit integer.
    Int32,
    /// 64-bit integer.
    Int64,
    /// 64-bit float.
    Double,
    /// 32-bit float.
    Float,
    /// Boolean.
    Bool,
    /// A day.
    Date,
    /// A moment, to the second.
    DateTime,
    /// A time of day.
    Time,
}

impl DataType {
    /// The name ThoughtSpot gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Varchar => "VARCHAR",
            DataType::Int32 => "INT32",
            DataType::Int64 => "INT64",
            DataType::Double => "DOUBLE",
            DataType::Float => "FLOAT",
            DataType::Bool => "BOOL",
            DataType::Date => "DATE",
            DataType::DateTime => "DATE_TIME",
            DataType::Time => "TIME",
        }
    }

    /// DATE, DATE_TIME or TIME.
    pub fn is_temporal(self) -> bool {
        matches!(self, DataType::Date | DataType::DateTime | DataType::Time)
    }
}

/// Whether a column groups (attribute) or is aggregated (measure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Groups rows.
    Attribute,
    /// Aggregated over the groups.
    Measure,
}

/// How a measure is aggregated: by default per column, or as the search asks (`max [Sales]`). It also
/// decides the display-name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregation {
    /// Not aggregated.
    None,
    /// Sum.
    Sum,
    /// Mean.
    Average,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Non-null values.
    Count,
}

impl Aggregation {
    /// The name ThoughtSpot gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::None => "NONE",
            Aggregation::Sum => "SUM",
            Aggregation::Average => "AVERAGE",
            Aggregation::Min => "MIN",
            Aggregation::Max => "MAX",
            Aggregation::Count => "COUNT",
        }
    }

    /// The search keyword that asks for it (`sum [Sales]`).
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "sum" => Aggregation::Sum,
            "average" | "avg" => Aggregation::Average,
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            "count" => Aggregation::Count,
            _ => return None,
        })
    }

    /// The name ThoughtSpot shows for an aggregated column: `Sales` -> `Total Sales`.
    pub fn display_name(self, column: &str) -> String {
        match self {
            Aggregation::None => column.to_string(),
            Aggregation::Sum => format!("Total {column}"),
            Aggregation::Average => format!("Average {column}"),
            Aggregation::Min => format!("Min {column}"),
            Aggregation::Max => format!("Max {column}"),
            Aggregation::Count => format!("Count {column}"),
        }
    }
}

/// One column of a table, with what `metadata/details` says about it.
#[derive(Debug, Clone)]
pub struct ColumnDef {
    /// The column GUID.
    pub id: String,
    /// The column name searches use.
    pub name: &'static str,
    /// The description `metadata/details` shows.
    pub description: Option<&'static str>,
    /// The data type.
    pub data_type: DataType,
    /// Attribute or measure.
    pub kind: ColumnKind,
    /// The default aggregation of a measure.
    pub aggregation: Aggregation,
    /// Whether cells can be null.
    pub nullable: bool,
    /// Hidden columns appear in `metadata/details?showhidden=true` only and cannot be searched.
    pub hidden: bool,
}

/// A searchable data source.
pub trait Table: Send + Sync + std::fmt::Debug {
    /// The table GUID.
    fn id(&self) -> &str;
    /// The table name.
    fn name(&self) -> &str;
    /// The columns, in table order.
    fn columns(&self) -> &[ColumnDef];
    /// Rows in the table.
    fn row_count(&self) -> u64;
    /// The column whose values are unique per row: naming it in a search returns one row per row.
    fn key_column(&self) -> Option<usize>;
    /// The value at `(column, row)`; `row < row_count()`.
    fn cell(&self, column: usize, row: u64) -> Cell<'_>;
    /// The values of `columns` in `row`, appended to `out`: one virtual call per row instead of one per
    /// cell. Large tables override it with the same loop over a statically dispatched, inlined `cell`.
    fn row_cells<'a>(&'a self, columns: &[usize], row: u64, out: &mut Vec<Cell<'a>>) {
        out.extend(columns.iter().map(|&c| self.cell(c, row)));
    }
    /// The cluster's time zone, in which DATE cells are local midnights.
    fn time_zone(&self) -> chrono_tz::Tz;
}

/// Every data set one emulator serves.
#[derive(Debug, Clone)]
pub struct DataSets {
    /// The Retail Sales worksheet.
    pub retail: Arc<RetailSales>,
    /// The Stores table.
    pub stores: Arc<Stores>,
    /// The "TS: BI Server" activity worksheet.
    pub bi_server: Arc<BiServer>,
}

impl DataSets {
    /// The data sets of `seed`, with `rows` rows of Retail Sales, DATE cells local to `timezone`, and
    /// the activity of the days before the system clock's now.
    pub fn new(seed: u64, rows: u64, timezone: chrono_tz::Tz) -> Self {
        Self::at(seed, rows, timezone, SystemClock.now_ms())
    }

    /// [`DataSets::new`] as of `now_ms` (epoch milliseconds): the activity worksheet keeps the days
    /// before it.
    pub fn at(seed: u64, rows: u64, timezone: chrono_tz::Tz, now_ms: i64) -> Self {
        Self {
            retail: Arc::new(RetailSales::new(seed, rows, timezone)),
            stores: Arc::new(Stores::new(seed, timezone)),
            bi_server: Arc::new(BiServer::new(seed, timezone, now_ms)),
        }
    }

    /// The searchable table with this id.
    pub fn table(&self, id: &str) -> Option<Arc<dyn Table>> {
        self.tables().into_iter().find(|t| t.id() == id)
    }

    /// Every searchable table.
    pub fn tables(&self) -> [Arc<dyn Table>; 3] {
        [
            self.retail.clone(),
            self.stores.clone(),
            self.bi_server.clone(),
        ]
    }
}
