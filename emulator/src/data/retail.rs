//! "Retail Sales": a worksheet at order-line grain with every ThoughtSpot data type.

use super::calendar::midnights;
use super::{Aggregation, Cell, ColumnDef, ColumnKind, DataType, Table};
use crate::ids;
use crate::rng::{below, mix64, named_guid, unit_f64};

/// "Loyalty Points" is null for exactly these first rows, then never: a column whose first pages say
/// nothing about its type.
pub const LATE_NULL_ROWS: u64 = 150_000;

/// The first order date; orders spread evenly over [`DAYS`] days from here.
const FIRST_DAY: (i32, u32, u32) = (2021, 1, 1);
const DAYS: u32 = 1461;

/// An INT64 value above 2^53, where a reader that goes through f64 loses the last digit.
pub(super) const BEYOND_F64_INTEGER: i64 = 9_007_199_254_740_993;

const REGIONS: [&str; 5] = ["West", "East", "Central", "South", "North"];

const PRODUCTS: [&str; 24] = [
    "Trail Runner 2",
    "Rain Shell",
    "Down Parka",
    "Wool Socks (3-pack)",
    "Camp Stove",
    "Headlamp 400",
    "Water Filter",
    "Dry Bag 20L",
    "Trekking Poles",
    "Sleeping Pad",
    "Bivy Sack",
    "Café Press",
    "Titanium Spork",
    "Map Case",
    "Gaiters",
    "Sun Hoodie",
    "Merino Base Layer",
    "Climbing Chalk",
    "Belay Device",
    "Rope 60m",
    "Approach Shoe",
    "Kids' Boot",
    "Tent 2P \"Ultralight\"",
    "Bear Canister",
];

/// Names that exercise JSON escaping and Unicode: quotes, backslashes, control characters, accents,
/// CJK, emoji, the empty string and a leading/trailing space.
const SPECIAL_CUSTOMERS: [&str; 14] = [
    "Zoë Ångström",
    "Łukasz Żółć",
    "東京アウトドア株式会社",
    "Café \"Le Bon\"",
    "O'Brien & Sons",
    "C:\\Users\\shop\\",
    "",
    "Tab\tSeparated",
    "Line\nBreak",
    "Emoji 🚀 Outfitters",
    "Ünïcödé Ltd.",
    " padded ",
    "Quote \\\" Backslash",
    "Ελληνικά Είδη",
];

const FIRST_NAMES: [&str; 16] = [
    "Ava", "Ben", "Chloé", "Dmitri", "Elif", "Femi", "Grace", "Hiro", "Inés", "Jonas", "Kavya",
    "Liam", "Mei", "Nadia", "Omar", "Priya",
];
const LAST_NAMES: [&str; 16] = [
    "Anders", "Brown", "Chen", "Díaz", "Evans", "Fischer", "García", "Horvat", "Ito", "Jensen",
    "Kowalski", "López", "Müller", "Nguyen", "Okafor", "Patel",
];

const DISCOUNTS: [f32; 8] = [0.0, 0.05, 0.1, 0.125, 0.15, 0.2, 0.25, 0.333];

/// Column positions, in `metadata/details` order.
mod col {
    pub(super) const LINE_ID: usize = 0;
    pub(super) const ORDER_ID: usize = 1;
    pub(super) const CUSTOMER: usize = 2;
    pub(super) const REGION: usize = 3;
    pub(super) const PRODUCT: usize = 4;
    pub(super) const STORE_ID: usize = 5;
    pub(super) const QUANTITY: usize = 6;
    pub(super) const LINE_CENTS: usize = 7;
    pub(super) const SALES: usize = 8;
    pub(super) const DISCOUNT: usize = 9;
    pub(super) const RETURNED: usize = 10;
    pub(super) const ORDER_DATE: usize = 11;
    pub(super) const SHIP_TIME: usize = 12;
    pub(super) const ORDER_TIME: usize = 13;
    pub(super) const LOYALTY: usize = 14;
    pub(super) const INTERNAL_COST: usize = 15;
}

/// The Retail Sales worksheet.
#[derive(Debug)]
pub struct RetailSales {
    rows: u64,
    id: String,
    columns: Vec<ColumnDef>,
    customers: Vec<String>,
    day_midnights: Vec<i64>,
    /// Days per order line, so a row's day is one multiply (a division per cell cost 10% of serving).
    days_per_row: f64,
    /// One key per column: a cell's randomness is a single mix of its column key and its index.
    keys: Vec<u64>,
    tz: chrono_tz::Tz,
}

impl RetailSales {
    /// `rows` rows generated from `seed`, DATE cells local to `tz`.
    pub fn new(seed: u64, rows: u64, tz: chrono_tz::Tz) -> Self {
        let mut customers: Vec<String> = SPECIAL_CUSTOMERS.iter().map(|s| s.to_string()).collect();
        for first in FIRST_NAMES {
            for last in LAST_NAMES {
                customers.push(format!("{first} {last}"));
            }
        }
        let start = chrono::NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2)
            .unwrap_or_default();
        let columns = columns();
        let keys = (0..columns.len() as u64)
            .map(|c| mix64(seed ^ mix64(c.wrapping_mul(0xD6E8_FEB8_6659_FD93))))
            .collect();
        Self {
            rows,
            id: ids::RETAIL_SALES.to_string(),
            columns,
            customers,
            day_midnights: midnights(tz, start, DAYS),
            days_per_row: f64::from(DAYS) / rows.max(1) as f64,
            keys,
            tz,
        }
    }

    /// Order lines come three to an order; order-level values hash the order number, not the line.
    fn order(row: u64) -> u64 {
        row / 3
    }

    /// The random bits of item `index` of `column`.
    #[inline]
    fn random(&self, column: usize, index: u64) -> u64 {
        mix64(self.keys[column] ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Orders move forward in time with the row number, as an order-line key would.
    #[inline]
    fn day(&self, row: u64) -> i64 {
        let day = ((Self::order(row) * 3) as f64 * self.days_per_row) as usize;
        self.day_midnights[day.min(DAYS as usize - 1)]
    }
}

fn column(
    name: &'static str,
    data_type: DataType,
    kind: ColumnKind,
    aggregation: Aggregation,
    nullable: bool,
) -> ColumnDef {
    ColumnDef {
        id: named_guid(&format!("Retail Sales/{name}")),
        name,
        description: None,
        data_type,
        kind,
        aggregation,
        nullable,
        hidden: false,
    }
}

fn columns() -> Vec<ColumnDef> {
    use Aggregation::*;
    use ColumnKind::*;
    use DataType::*;
    let mut cols = vec![
        column("Order Line ID", Int64, Attribute, None, false),
        column("Order ID", Varchar, Attribute, None, false),
        column("Customer", Varchar, Attribute, None, true),
        column("Region", Varchar, Attribute, None, false),
        column("Product", Varchar, Attribute, None, true),
        column("Store ID", Int32, Attribute, None, false),
        column("Quantity", Int32, Measure, Sum, true),
        column("Line Cents", Int64, Measure, Sum, true),
        column("Sales", Double, Measure, Sum, true),
        column("Discount", Float, Measure, Average, true),
        column("Is Returned", Bool, Attribute, None, true),
        column("Order Date", Date, Attribute, None, false),
        column("Ship Time", DateTime, Attribute, None, true),
        column("Order Time", Time, Attribute, None, true),
        column("Loyalty Points", Int64, Measure, Sum, true),
        column("Internal Cost", Double, Measure, Sum, true),
    ];
    cols[col::LINE_ID].description = Some("Unique key: one row per order line");
    cols[col::SALES].description = Some("Line revenue in dollars, full double precision");
    cols[col::LOYALTY].description =
        Some("Null for the first 150,000 order lines, then always set");
    cols[col::INTERNAL_COST].hidden = true;
    cols
}

impl Table for RetailSales {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        "Retail Sales"
    }

    fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }

    fn row_count(&self) -> u64 {
        self.rows
    }

    fn key_column(&self) -> Option<usize> {
        Some(col::LINE_ID)
    }

    fn cell(&self, column: usize, row: u64) -> Cell<'_> {
        self.generate(column, row)
    }

    fn row_cells<'a>(&'a self, columns: &[usize], row: u64, out: &mut Vec<Cell<'a>>) {
        out.extend(columns.iter().map(|&c| self.generate(c, row)));
    }

    fn time_zone(&self) -> chrono_tz::Tz {
        self.tz
    }
}

impl RetailSales {
    /// The value at `(column, row)`, statically dispatched so that [`Table::row_cells`] inlines it.
    #[inline(always)]
    fn generate(&self, column: usize, row: u64) -> Cell<'_> {
        let order = Self::order(row);
        // Order-level columns draw from the order number, line-level ones from the row. The low ten
        // bits decide nulls, the high bits the value, so one mix serves both.
        let line = || self.random(column, row);
        let per_order = || self.random(column, order);
        let null = |r: u64, per_mille: u64| (r & 1023) < per_mille * 1024 / 1000;
        match column {
            col::LINE_ID => Cell::Int(row as i64 + 1),
            col::ORDER_ID => Cell::Code("SO-", 1_000_000 + order),
            col::CUSTOMER => {
                let r = per_order();
                if null(r, 30) {
                    return Cell::Null;
                }
                // Every 50th order goes to a customer with a difficult name.
                let i = if below(r, 50) == 0 {
                    below(r.rotate_left(17), SPECIAL_CUSTOMERS.len() as u64)
                } else {
                    below(r.rotate_left(31), self.customers.len() as u64)
                };
                Cell::Text(&self.customers[i as usize])
            }
            col::REGION => Cell::Text(REGIONS[below(per_order(), 5) as usize]),
            col::PRODUCT => {
                let r = line();
                if null(r, 10) {
                    return Cell::Null;
                }
                Cell::Text(PRODUCTS[below(r, PRODUCTS.len() as u64) as usize])
            }
            col::STORE_ID => Cell::Int(1 + below(per_order(), 40) as i64),
            col::QUANTITY => {
                let r = line();
                if null(r, 20) {
                    return Cell::Null;
                }
                Cell::Int(1 + below(r, 20) as i64)
            }
            col::LINE_CENTS => {
                if row % 10_000 == 9_999 {
                    return Cell::Int(BEYOND_F64_INTEGER);
                }
                let r = line();
                if null(r, 10) {
                    return Cell::Null;
                }
                Cell::Int(100 + below(r, 5_000_000) as i64)
            }
            col::SALES => {
                match row % 1000 {
                    // Values that catch lossy float handling: 0.1 + 0.2, a tiny and a large magnitude.
                    7 => return Cell::Double(0.1 + 0.2),
                    8 => return Cell::Double(1e-7),
                    9 => return Cell::Double(123_456_789.123_456_79),
                    _ => {}
                }
                let r = line();
                if null(r, 20) {
                    return Cell::Null;
                }
                // 53 random bits scaled: almost every value needs 16 or 17 significant digits.
                Cell::Double(unit_f64(r) * 2_000.0)
            }
            col::DISCOUNT => {
                let r = line();
                if null(r, 50) {
                    return Cell::Null;
                }
                Cell::Float(DISCOUNTS[below(r, 8) as usize])
            }
            col::RETURNED => {
                let r = line();
                if null(r, 10) {
                    return Cell::Null;
                }
                Cell::Bool(below(r, 100) < 4)
            }
            col::ORDER_DATE => Cell::Date(self.day(row)),
            col::SHIP_TIME => {
                let r = line();
                if null(r, 30) {
                    return Cell::Null;
                }
                Cell::DateTime(self.day(row) + 86_400 + below(r, 6 * 86_400) as i64)
            }
            col::ORDER_TIME => {
                let r = per_order();
                if null(r, 20) {
                    return Cell::Null;
                }
                Cell::Time(below(r, 86_400) as i64)
            }
            col::LOYALTY => {
                if row < LATE_NULL_ROWS {
                    return Cell::Null;
                }
                Cell::Int(below(line(), 5_000) as i64)
            }
            col::INTERNAL_COST => Cell::Double(unit_f64(line()) * 900.0),
            _ => Cell::Null,
        }
    }
}
