//! Cell values: borrowed while streaming, owned once aggregated.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A value as a table produces it, borrowing text from the table so streaming allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// A 64-bit float.
    Double(f64),
    /// A 32-bit float.
    Float(f32),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// Generated text `prefix` + `number`, e.g. an order id `SO-1000042`.
    Code(&'static str, u64),
    /// Epoch seconds of local midnight.
    Date(i64),
    /// Epoch seconds.
    DateTime(i64),
    /// Seconds since midnight.
    Time(i64),
    /// A date bucket: the epoch seconds of its first local midnight and of its last second.
    Period(i64, i64),
}

impl Cell<'_> {
    /// Whether it is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The numeric value of number, date and time cells.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Int(v)
            | Cell::Date(v)
            | Cell::DateTime(v)
            | Cell::Time(v)
            | Cell::Period(v, _) => Some(v as f64),
            Cell::Double(v) => Some(v),
            Cell::Float(v) => Some(f64::from(v)),
            _ => None,
        }
    }

    /// The owned value.
    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Int(v) => Value::Int(v),
            Cell::Double(v) => Value::Double(v),
            Cell::Float(v) => Value::Float(v),
            Cell::Bool(v) => Value::Bool(v),
            Cell::Text(v) => Value::Text(Arc::from(v)),
            Cell::Code(p, n) => Value::Text(Arc::from(format!("{p}{n}"))),
            Cell::Date(v) => Value::Date(v),
            Cell::DateTime(v) => Value::DateTime(v),
            Cell::Time(v) => Value::Time(v),
            Cell::Period(start, end) => Value::Period(start, end),
        }
    }

    /// A total order: null first, then by value; text compares by its characters.
    pub fn total_cmp(&self, other: &Cell<'_>) -> Ordering {
        fn rank(c: &Cell<'_>) -> u8 {
            match c {
                Cell::Null => 0,
                Cell::Bool(_) => 1,
                Cell::Text(_) | Cell::Code(..) => 3,
                _ => 2,
            }
        }
        match (self, other) {
            (Cell::Null, Cell::Null) => Ordering::Equal,
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (Cell::Int(a), Cell::Int(b)) => a.cmp(b),
            (Cell::Code(pa, a), Cell::Code(pb, b)) => pa.cmp(pb).then(a.cmp(b)),
            (Cell::Text(a), Cell::Text(b)) => a.cmp(b),
            (Cell::Text(_) | Cell::Code(..), Cell::Text(_) | Cell::Code(..)) => self
                .to_value()
                .as_cell()
                .total_cmp(&other.to_value().as_cell()),
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a.total_cmp(&b),
                _ => rank(self).cmp(&rank(other)),
            },
        }
    }
}

/// An owned value, for aggregated and sorted results.
#[derive(Debug, Clone)]
pub enum Value {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// A 64-bit float.
    Double(f64),
    /// A 32-bit float.
    Float(f32),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(Arc<str>),
    /// Epoch seconds of local midnight.
    Date(i64),
    /// Epoch seconds.
    DateTime(i64),
    /// Seconds since midnight.
    Time(i64),
    /// A date bucket: the epoch seconds of its first local midnight and of its last second.
    Period(i64, i64),
}

impl Value {
    /// The value as a cell, borrowing its text.
    pub fn as_cell(&self) -> Cell<'_> {
        match self {
            Value::Null => Cell::Null,
            Value::Int(v) => Cell::Int(*v),
            Value::Double(v) => Cell::Double(*v),
            Value::Float(v) => Cell::Float(*v),
            Value::Bool(v) => Cell::Bool(*v),
            Value::Text(v) => Cell::Text(v),
            Value::Date(v) => Cell::Date(*v),
            Value::DateTime(v) => Cell::DateTime(*v),
            Value::Time(v) => Cell::Time(*v),
            Value::Period(start, end) => Cell::Period(*start, *end),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_cell().total_cmp(&other.as_cell())
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Consistent with `Ord`: numbers that compare equal hash equal because they hash as f64 bits.
        match self.as_cell() {
            Cell::Null => 0u8.hash(state),
            Cell::Bool(b) => b.hash(state),
            Cell::Text(t) => t.hash(state),
            cell => cell.as_f64().unwrap_or(0.0).to_bits().hash(state),
        }
    }
}
