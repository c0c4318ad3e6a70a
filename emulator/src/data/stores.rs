//! "Stores": a small dimension table that Retail Sales joins to by Store ID.

use super::calendar::midnight;
use super::{Aggregation, Cell, ColumnDef, ColumnKind, DataType, Table};
use crate::ids;
use crate::rng::{below, hash3, named_guid};

const STORES: u64 = 40;

const CITIES: [(&str, &str); 10] = [
    ("Seattle", "West"),
    ("Portland", "West"),
    ("Boston", "East"),
    ("New York", "East"),
    ("Chicago", "Central"),
    ("Denver", "Central"),
    ("Austin", "South"),
    ("Atlanta", "South"),
    ("Minneapolis", "North"),
    ("Fargo", "North"),
];

/// The Stores table: 40 rows, fixed for a seed.
#[derive(Debug)]
pub struct Stores {
    seed: u64,
    id: String,
    columns: Vec<ColumnDef>,
    names: Vec<String>,
    opened: Vec<i64>,
    tz: chrono_tz::Tz,
}

impl Stores {
    /// The stores generated from `seed`, DATE cells local to `tz`.
    pub fn new(seed: u64, tz: chrono_tz::Tz) -> Self {
        let column = |name: &'static str, data_type, kind, aggregation| ColumnDef {
            id: named_guid(&format!("Stores/{name}")),
            name,
            description: Option::None,
            data_type,
            kind,
            aggregation,
            nullable: false,
            hidden: false,
        };
        use Aggregation::*;
        use ColumnKind::*;
        use DataType::*;
        let columns = vec![
            column("Store ID", Int32, Attribute, None),
            column("Store Name", Varchar, Attribute, None),
            column("City", Varchar, Attribute, None),
            column("Region", Varchar, Attribute, None),
            column("Opened", Date, Attribute, None),
            column("Square Feet", Int64, Measure, Sum),
        ];
        let names = (0..STORES)
            .map(|i| format!("{} #{}", CITIES[(i % 10) as usize].0, i / 10 + 1))
            .collect();
        let opened = (0..STORES)
            .map(|i| {
                let r = hash3(seed, 100, i);
                let date = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).unwrap_or_default()
                    + chrono::Days::new(below(r, 5_000));
                midnight(tz, date)
            })
            .collect();
        Self {
            seed,
            id: ids::STORES.to_string(),
            columns,
            names,
            opened,
            tz,
        }
    }
}

impl Table for Stores {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        "Stores"
    }

    fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }

    fn row_count(&self) -> u64 {
        STORES
    }

    fn key_column(&self) -> Option<usize> {
        Some(0)
    }

    fn cell(&self, column: usize, row: u64) -> Cell<'_> {
        let city = CITIES[(row % 10) as usize];
        match column {
            0 => Cell::Int(row as i64 + 1),
            1 => Cell::Text(&self.names[row as usize]),
            2 => Cell::Text(city.0),
            3 => Cell::Text(city.1),
            4 => Cell::Date(self.opened[row as usize]),
            5 => Cell::Int(8_000 + below(hash3(self.seed, 101, row), 40_000) as i64),
            _ => Cell::Null,
        }
    }

    fn time_zone(&self) -> chrono_tz::Tz {
        self.tz
    }
}
