//! Runs a parsed [`Query`] over a [`Table`] the way ThoughtSpot does: measures aggregated over the
//! attributes named, unless the table's unique key is named, in which case every row is its own group.
//!
//! Results that are a plain range of rows (the common paged export: the key, no filter, sorted by the
//! key) stay lazy and cost no memory. Filtered or re-sorted row-level results keep one `u32` per matching
//! row; aggregated results keep one row per group.

use std::collections::HashMap;
use std::sync::Arc;

use super::parse::{Filter, FilterOp, Literal, ParseError, Query, Selection};
use crate::data::calendar::{midnight, DateBucket};
use crate::data::{Aggregation, Cell, ColumnKind, DataType, Table, Value};

/// One output column.
#[derive(Debug, Clone)]
pub struct OutColumn {
    /// The display name, with the aggregation prefix for measures (`Total Sales`).
    pub name: String,
    /// The type of the values served.
    pub data_type: DataType,
    /// The worksheet column (or formula) it shows, by name: `Sales` for `Total Sales`.
    pub source: String,
}

#[derive(Debug)]
enum Rows {
    /// Rows `0..len` of the table, or the last `len` rows backwards.
    Range { len: u64, descending: bool },
    /// Table rows in result order.
    Indices(Vec<u32>),
    /// Aggregated rows.
    Values(Vec<Vec<Value>>),
}

/// How a table cell becomes an output cell when every row is its own group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Derive {
    Raw,
    Bucket(DateBucket),
    /// `count [col]` over one row: 1, or 0 for a null.
    CountOne,
}

impl Derive {
    fn of(selection: &Selection) -> Self {
        match (selection.bucket, selection.aggregation) {
            (Some(bucket), _) => Derive::Bucket(bucket),
            (None, Some(Aggregation::Count)) => Derive::CountOne,
            _ => Derive::Raw,
        }
    }

    #[inline]
    fn apply<'a>(self, tz: chrono_tz::Tz, cell: Cell<'a>) -> Cell<'a> {
        match (self, cell) {
            (Derive::Raw, cell) => cell,
            (Derive::CountOne, cell) => Cell::Int(i64::from(!cell.is_null())),
            (Derive::Bucket(bucket), Cell::Date(t) | Cell::DateTime(t)) => {
                let (start, end) = bucket.bounds(tz, t);
                Cell::Period(start, end)
            }
            (Derive::Bucket(_), cell) => cell,
        }
    }
}

/// The full result of a search, addressable by row for paging.
#[derive(Debug)]
pub struct ResultSet {
    /// The output columns, in order.
    pub columns: Vec<OutColumn>,
    /// For table-backed rows: each output column's table column and how its cells are derived.
    sources: Vec<usize>,
    derive: Vec<Derive>,
    derived: bool,
    /// What each output column's values are multiplied by: a formula's factor, else 1.
    scale: Vec<f64>,
    scaled: bool,
    rows: Rows,
    table: Arc<dyn Table>,
}

impl ResultSet {
    /// Rows of the result.
    pub fn len(&self) -> u64 {
        match &self.rows {
            Rows::Range { len, .. } => *len,
            Rows::Indices(rows) => rows.len() as u64,
            Rows::Values(rows) => rows.len() as u64,
        }
    }

    /// Whether the result has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn table_row(&self, row: u64) -> Option<u64> {
        match &self.rows {
            Rows::Range {
                descending: true, ..
            } => Some(self.table.row_count() - 1 - row),
            Rows::Range { .. } => Some(row),
            Rows::Indices(rows) => Some(u64::from(rows[row as usize])),
            Rows::Values(_) => None,
        }
    }

    /// The value of output column `column` in result row `row` (`row < len()`).
    #[inline]
    pub fn cell(&self, column: usize, row: u64) -> Cell<'_> {
        match (self.table_row(row), &self.rows) {
            (Some(table_row), _) => self.table_cell(column, table_row),
            (None, Rows::Values(rows)) => self.scaled(column, rows[row as usize][column].as_cell()),
            (None, _) => Cell::Null,
        }
    }

    /// Output column `column`'s value from table row `table_row` (table-backed results).
    #[inline]
    fn table_cell(&self, column: usize, table_row: u64) -> Cell<'_> {
        let cell = self.table.cell(self.sources[column], table_row);
        let cell = self.derive[column].apply(self.table.time_zone(), cell);
        self.scaled(column, cell)
    }

    /// `cell` times output column `column`'s formula factor.
    #[inline]
    fn scaled<'a>(&self, column: usize, cell: Cell<'a>) -> Cell<'a> {
        if !self.scaled {
            return cell;
        }
        scale_cell(cell, self.scale[column])
    }

    /// The result sorted by output columns `(column, descending)`, the first deciding, then the
    /// next. The sort is stable, so rows that tie keep the search's own order: every call with the
    /// same request pages through the same order.
    pub fn sorted(&self, keys: &[(usize, bool)]) -> Result<Self, ParseError> {
        let order = |a: Cell<'_>, b: Cell<'_>, descending: bool| {
            let order = a.total_cmp(&b);
            if descending {
                order.reverse()
            } else {
                order
            }
        };
        let rows = match &self.rows {
            Rows::Values(rows) => {
                let mut rows = rows.clone();
                rows.sort_by(|a, b| {
                    keys.iter()
                        .fold(std::cmp::Ordering::Equal, |o, &(c, desc)| {
                            o.then_with(|| {
                                order(
                                    self.scaled(c, a[c].as_cell()),
                                    self.scaled(c, b[c].as_cell()),
                                    desc,
                                )
                            })
                        })
                });
                Rows::Values(rows)
            }
            rows => {
                let total = self.table.row_count();
                if total > u64::from(u32::MAX) {
                    return Err(ParseError(format!(
                        "the emulator re-sorts at most {} rows; search fewer rows or drop the runtime sort",
                        u32::MAX
                    )));
                }
                let mut list: Vec<u32> = match rows {
                    Rows::Range { len, descending } => (0..*len)
                        .map(|r| if *descending { total - 1 - r } else { r } as u32)
                        .collect(),
                    Rows::Indices(list) => list.clone(),
                    Rows::Values(_) => Vec::new(),
                };
                list.sort_by(|&a, &b| {
                    keys.iter()
                        .fold(std::cmp::Ordering::Equal, |o, &(c, desc)| {
                            o.then_with(|| {
                                order(
                                    self.table_cell(c, u64::from(a)),
                                    self.table_cell(c, u64::from(b)),
                                    desc,
                                )
                            })
                        })
                });
                Rows::Indices(list)
            }
        };
        Ok(ResultSet {
            columns: self.columns.clone(),
            sources: self.sources.clone(),
            derive: self.derive.clone(),
            derived: self.derived,
            scale: self.scale.clone(),
            scaled: self.scaled,
            rows,
            table: self.table.clone(),
        })
    }

    /// Every output cell of result row `row` (`row < len()`), appended to `out`. Resolving the row kind
    /// and the table row once per row, then one [`Table::row_cells`] call, keeps the per-cell work to
    /// generating the value.
    pub fn row_cells<'a>(&'a self, row: u64, out: &mut Vec<Cell<'a>>) {
        let first = out.len();
        let Some(table_row) = self.table_row(row) else {
            if let Rows::Values(rows) = &self.rows {
                out.extend(rows[row as usize].iter().map(Value::as_cell));
            }
            self.scale_row(&mut out[first..]);
            return;
        };
        self.table.row_cells(&self.sources, table_row, out);
        if self.derived {
            let tz = self.table.time_zone();
            for (cell, derive) in out[first..].iter_mut().zip(&self.derive) {
                *cell = derive.apply(tz, *cell);
            }
        }
        self.scale_row(&mut out[first..]);
    }

    fn scale_row(&self, cells: &mut [Cell<'_>]) {
        if self.scaled {
            for (cell, factor) in cells.iter_mut().zip(&self.scale) {
                *cell = scale_cell(*cell, *factor);
            }
        }
    }
}

/// A number times `factor`, as a DOUBLE (a formula's type); anything else as it is.
#[inline]
fn scale_cell(cell: Cell<'_>, factor: f64) -> Cell<'_> {
    if factor == 1.0 {
        return cell;
    }
    match cell {
        Cell::Double(v) => Cell::Double(v * factor),
        Cell::Float(v) => Cell::Double(f64::from(v) * factor),
        Cell::Int(v) => Cell::Double(v as f64 * factor),
        other => other,
    }
}

/// A filter with its literals converted once to what the column compares with.
#[derive(Debug)]
struct Prepared {
    column: usize,
    op: FilterOp,
    operands: Vec<Operand>,
}

#[derive(Debug)]
enum Operand {
    Number(f64),
    Text(String),
    Bool(bool),
}

fn prepare(table: &dyn Table, filter: &Filter) -> Result<Prepared, ParseError> {
    let column = &table.columns()[filter.column];
    if let Some(n) = filter.op.arity() {
        if filter.values.len() != n {
            return Err(ParseError(format!(
                "filter on '{}' with {:?} needs {n} value(s), got {}",
                column.name,
                filter.op,
                filter.values.len()
            )));
        }
    } else if filter.values.is_empty() {
        return Err(ParseError(format!(
            "filter on '{}' needs at least one value",
            column.name
        )));
    }
    let operands = filter
        .values
        .iter()
        .map(|v| operand(table, column.data_type, v))
        .collect::<Result<_, _>>()?;
    Ok(Prepared {
        column: filter.column,
        op: filter.op,
        operands,
    })
}

fn operand(
    table: &dyn Table,
    data_type: DataType,
    literal: &Literal,
) -> Result<Operand, ParseError> {
    let bad = |what: &str| {
        ParseError(format!(
            "'{what}' is not a valid {} value",
            data_type.as_str()
        ))
    };
    Ok(match (data_type, literal) {
        (DataType::Varchar, Literal::Text(t)) => Operand::Text(t.to_lowercase()),
        (DataType::Varchar, Literal::Number(n)) => Operand::Text(n.to_string()),
        (DataType::Varchar, Literal::Bool(b)) => Operand::Text(b.to_string()),
        (DataType::Bool, Literal::Bool(b)) => Operand::Bool(*b),
        (DataType::Bool, Literal::Text(t)) => match t.to_ascii_lowercase().as_str() {
            "true" => Operand::Bool(true),
            "false" => Operand::Bool(false),
            _ => return Err(bad(t)),
        },
        (DataType::Bool, Literal::Number(n)) => Operand::Bool(*n != 0.0),
        (DataType::Date | DataType::DateTime, Literal::Text(t)) => {
            let text = t.trim();
            match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Operand::Number(midnight(table.time_zone(), date) as f64),
                // A moment, read in the cluster's zone like the dates (job windows may end mid-day).
                Err(_) => {
                    let moment = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                        .iter()
                        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                        .ok_or_else(|| bad(t))?;
                    Operand::Number(
                        local_instant(table.time_zone(), moment).ok_or_else(|| bad(t))? as f64,
                    )
                }
            }
        }
        (_, Literal::Number(n)) => Operand::Number(*n),
        (_, Literal::Text(t)) => Operand::Number(t.trim().parse().map_err(|_| bad(t))?),
        (_, Literal::Bool(b)) => return Err(bad(&b.to_string())),
    })
}

/// Epoch seconds of a local wall-clock time in `tz`; in a daylight-saving gap, the moment an hour later
/// (where the clocks went), and in an overlap, the first of the two.
fn local_instant(tz: chrono_tz::Tz, moment: chrono::NaiveDateTime) -> Option<i64> {
    use chrono::TimeZone;
    tz.from_local_datetime(&moment)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(moment + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
}

impl Prepared {
    fn matches(&self, cell: Cell<'_>) -> bool {
        use std::cmp::Ordering::*;
        let cmp = |operand: &Operand| -> Option<std::cmp::Ordering> {
            match (operand, cell) {
                (Operand::Text(t), Cell::Text(s)) => {
                    Some(s.to_lowercase().as_str().cmp(t.as_str()))
                }
                (Operand::Text(t), Cell::Code(p, n)) => {
                    Some(format!("{p}{n}").to_lowercase().as_str().cmp(t.as_str()))
                }
                (Operand::Bool(b), Cell::Bool(v)) => Some(v.cmp(b)),
                (Operand::Number(n), c) => c.as_f64().and_then(|v| v.partial_cmp(n)),
                _ => None,
            }
        };
        let text = || match cell {
            Cell::Text(s) => Some(s.to_lowercase()),
            Cell::Code(p, n) => Some(format!("{p}{n}").to_lowercase()),
            _ => None,
        };
        let first = &self.operands[0];
        match self.op {
            FilterOp::Eq => cmp(first) == Some(Equal),
            FilterOp::Ne => matches!(cmp(first), Some(Less | Greater)),
            FilterOp::Lt => cmp(first) == Some(Less),
            FilterOp::Le => matches!(cmp(first), Some(Less | Equal)),
            FilterOp::Gt => cmp(first) == Some(Greater),
            FilterOp::Ge => matches!(cmp(first), Some(Greater | Equal)),
            FilterOp::In => self.operands.iter().any(|o| cmp(o) == Some(Equal)),
            FilterOp::Between {
                low_inclusive,
                high_inclusive,
            } => {
                let low = cmp(first);
                let high = cmp(&self.operands[1]);
                let above = if low_inclusive {
                    matches!(low, Some(Greater | Equal))
                } else {
                    low == Some(Greater)
                };
                let below = if high_inclusive {
                    matches!(high, Some(Less | Equal))
                } else {
                    high == Some(Less)
                };
                above && below
            }
            FilterOp::Contains | FilterOp::BeginsWith | FilterOp::EndsWith => {
                let (Some(s), Operand::Text(t)) = (text(), first) else {
                    return false;
                };
                match self.op {
                    FilterOp::Contains => s.contains(t.as_str()),
                    FilterOp::BeginsWith => s.starts_with(t.as_str()),
                    _ => s.ends_with(t.as_str()),
                }
            }
        }
    }
}

/// The type a measure's values have after aggregation.
fn aggregated_type(aggregation: Aggregation, data_type: DataType) -> DataType {
    match (aggregation, data_type) {
        (Aggregation::Average, _) => DataType::Double,
        (Aggregation::Count, _) => DataType::Int64,
        (Aggregation::Sum, DataType::Int32 | DataType::Int64) => DataType::Int64,
        (Aggregation::Sum, DataType::Float | DataType::Double) => DataType::Double,
        (_, t) => t,
    }
}

/// A running aggregate. Integer sums saturate rather than wrap, so an overflow is visible as i64::MAX
/// instead of a plausible wrong number.
#[derive(Debug, Clone)]
enum Accumulator {
    IntSum { sum: i64, any: bool },
    FloatSum { sum: f64, any: bool },
    Average { sum: f64, count: u64 },
    Extreme { best: Option<Value>, max: bool },
    Count(u64),
}

impl Accumulator {
    fn new(aggregation: Aggregation, data_type: DataType) -> Self {
        match (aggregation, aggregated_type(aggregation, data_type)) {
            (Aggregation::Sum, DataType::Int64) => Accumulator::IntSum { sum: 0, any: false },
            (Aggregation::Average, _) => Accumulator::Average { sum: 0.0, count: 0 },
            (Aggregation::Min | Aggregation::Max, _) => Accumulator::Extreme {
                best: None,
                max: aggregation == Aggregation::Max,
            },
            (Aggregation::Count, _) => Accumulator::Count(0),
            _ => Accumulator::FloatSum {
                sum: 0.0,
                any: false,
            },
        }
    }

    fn add(&mut self, cell: Cell<'_>) {
        if cell.is_null() {
            return;
        }
        match self {
            Accumulator::IntSum { sum, any } => {
                if let Cell::Int(v) = cell {
                    *sum = sum.saturating_add(v);
                    *any = true;
                }
            }
            Accumulator::FloatSum { sum, any } => {
                *sum += cell.as_f64().unwrap_or(0.0);
                *any = true;
            }
            Accumulator::Average { sum, count } => {
                *sum += cell.as_f64().unwrap_or(0.0);
                *count += 1;
            }
            Accumulator::Extreme { best, max } => {
                let better = best.as_ref().is_none_or(|b| {
                    let order = cell.total_cmp(&b.as_cell());
                    if *max {
                        order.is_gt()
                    } else {
                        order.is_lt()
                    }
                });
                if better {
                    *best = Some(cell.to_value());
                }
            }
            Accumulator::Count(n) => *n += 1,
        }
    }

    fn finish(self) -> Value {
        match self {
            Accumulator::IntSum { sum, any: true } => Value::Int(sum),
            Accumulator::FloatSum { sum, any: true } => Value::Double(sum),
            Accumulator::Average { sum, count } if count > 0 => Value::Double(sum / count as f64),
            Accumulator::Extreme { best: Some(v), .. } => v,
            Accumulator::Count(n) => Value::Int(n as i64),
            _ => Value::Null,
        }
    }
}

/// Runs `query` plus runtime `extra` filters over `table`.
pub fn execute(
    table: Arc<dyn Table>,
    query: &Query,
    extra: &[Filter],
) -> Result<ResultSet, ParseError> {
    let t = table.as_ref();
    let filters: Vec<Prepared> = query
        .filters
        .iter()
        .chain(extra)
        .map(|f| prepare(t, f))
        .collect::<Result<_, _>>()?;
    let key = table.key_column();
    let row_level = key.is_some_and(|k| query.columns.contains(&Selection::plain(k)));
    let columns: Vec<OutColumn> = query
        .columns
        .iter()
        .map(|s| {
            let source = t.columns()[s.column].data_type;
            let data_type = match (s.bucket, s.is_measure(t), row_level) {
                (Some(_), _, _) => DataType::Date,
                (None, true, false) => aggregated_type(s.effective_aggregation(t), source),
                (None, true, true) if s.aggregation == Some(Aggregation::Count) => DataType::Int64,
                _ => source,
            };
            OutColumn {
                name: s.display_name(t),
                data_type,
                source: match s.formula {
                    Some(f) => super::formula::formulas(t)[f].name.to_string(),
                    None => t.columns()[s.column].name.to_string(),
                },
            }
        })
        .collect();
    // Without an explicit sort, `top n` ranks by the first measure, as the search bar does.
    let sort = match query.sort {
        Some((selection, descending)) => query
            .columns
            .iter()
            .position(|c| *c == selection)
            .map(|i| (i, descending)),
        None => query.limit.and_then(|(_, top)| {
            query
                .columns
                .iter()
                .position(|c| c.is_measure(t))
                .map(|i| (i, top))
        }),
    };
    let limit = query.limit.map(|(n, _)| n);
    let derive: Vec<Derive> = query.columns.iter().map(Derive::of).collect();
    // A count of a formula counts rows, which no factor changes.
    let scale: Vec<f64> = query
        .columns
        .iter()
        .map(|s| match s.formula {
            Some(f) if s.aggregation != Some(Aggregation::Count) => query.parameters.factor(t, f),
            _ => 1.0,
        })
        .collect();
    let mut result = ResultSet {
        columns,
        sources: query.columns.iter().map(|s| s.column).collect(),
        derived: derive.iter().any(|d| *d != Derive::Raw),
        derive,
        scaled: scale.iter().any(|f| *f != 1.0),
        scale,
        rows: Rows::Values(Vec::new()),
        table: table.clone(),
    };
    // Row lists hold `u32` row numbers: 4 bytes a row rather than 8, which caps them.
    let needs_list = !filters.is_empty()
        || sort
            .is_some_and(|(i, _)| query.columns[i] != Selection::plain(key.unwrap_or(usize::MAX)));
    if row_level && needs_list && table.row_count() > u64::from(u32::MAX) {
        return Err(ParseError(format!(
            "the emulator filters or re-sorts at most {} rows; search fewer rows or drop the filter",
            u32::MAX
        )));
    }
    result.rows = if row_level {
        let by_key = match sort {
            None => Some(false),
            Some((i, descending))
                if query.columns[i] == Selection::plain(key.unwrap_or(usize::MAX)) =>
            {
                Some(descending)
            }
            _ => None,
        };
        row_level_rows(&result, &filters, by_key, sort, limit)
    } else {
        aggregate(t, &query.columns, &filters, sort, limit)
    };
    Ok(result)
}

/// Row-level results: a lazy range when no filter applies and the order is the key's, else the
/// matching table rows in result order.
fn row_level_rows(
    result: &ResultSet,
    filters: &[Prepared],
    by_key: Option<bool>,
    sort: Option<(usize, bool)>,
    limit: Option<u64>,
) -> Rows {
    let table = result.table.as_ref();
    let total = table.row_count();
    if let (true, Some(descending)) = (filters.is_empty(), by_key) {
        return Rows::Range {
            len: limit.map_or(total, |n| n.min(total)),
            descending,
        };
    }
    let mut rows: Vec<u32> = (0..total)
        .filter(|&r| filters.iter().all(|f| f.matches(table.cell(f.column, r))))
        .map(|r| r as u32)
        .collect();
    if let (Some((i, descending)), None) = (sort, by_key) {
        let tz = table.time_zone();
        let value =
            |row: u32| result.derive[i].apply(tz, table.cell(result.sources[i], u64::from(row)));
        rows.sort_by(|&a, &b| {
            let order = value(a).total_cmp(&value(b));
            if descending { order.reverse() } else { order }.then(a.cmp(&b))
        });
    } else if by_key == Some(true) {
        rows.reverse();
    }
    if let Some(n) = limit {
        rows.truncate(n.min(rows.len() as u64) as usize);
    }
    Rows::Indices(rows)
}

/// Grouped results: one row per distinct combination of the attribute selections, measures
/// aggregated, measure filters applied to the aggregates (ThoughtSpot's HAVING), then sorted.
fn aggregate(
    table: &dyn Table,
    selections: &[Selection],
    filters: &[Prepared],
    sort: Option<(usize, bool)>,
    limit: Option<u64>,
) -> Rows {
    let defs = table.columns();
    let tz = table.time_zone();
    let attributes: Vec<Selection> = selections
        .iter()
        .copied()
        .filter(|s| !s.is_measure(table))
        .collect();
    let (having, where_): (Vec<&Prepared>, Vec<&Prepared>) = filters
        .iter()
        .partition(|f| defs[f.column].kind == ColumnKind::Measure);
    // Measures filtered on but not shown are aggregated too (with their default), then dropped.
    let mut measures: Vec<(usize, Aggregation)> = selections
        .iter()
        .filter(|s| s.is_measure(table))
        .map(|s| (s.column, s.effective_aggregation(table)))
        .collect();
    for f in &having {
        let default = (f.column, defs[f.column].aggregation);
        if !measures.contains(&default) {
            measures.push(default);
        }
    }
    let fresh: Vec<Accumulator> = measures
        .iter()
        .map(|&(c, aggregation)| Accumulator::new(aggregation, defs[c].data_type))
        .collect();

    let mut groups: HashMap<Vec<Value>, Vec<Accumulator>> = HashMap::new();
    for row in 0..table.row_count() {
        if !where_.iter().all(|f| f.matches(table.cell(f.column, row))) {
            continue;
        }
        let key: Vec<Value> = attributes
            .iter()
            .map(|s| {
                Derive::of(s)
                    .apply(tz, table.cell(s.column, row))
                    .to_value()
            })
            .collect();
        let accumulators = groups.entry(key).or_insert_with(|| fresh.clone());
        for (acc, &(c, _)) in accumulators.iter_mut().zip(&measures) {
            acc.add(table.cell(c, row));
        }
    }
    if attributes.is_empty() && groups.is_empty() {
        // A headline over no rows still has its one row, of nulls.
        groups.insert(Vec::new(), fresh.clone());
    }
    let shown = selections.len();
    let mut rows: Vec<Vec<Value>> = groups
        .into_iter()
        .filter_map(|(mut key, accumulators)| {
            let values: Vec<Value> = accumulators.into_iter().map(Accumulator::finish).collect();
            let passes = having.iter().all(|f| {
                let default = (f.column, defs[f.column].aggregation);
                let i = measures.iter().position(|m| *m == default).unwrap_or(0);
                f.matches(values[i].as_cell())
            });
            key.extend(values);
            key.truncate(shown);
            passes.then_some(key)
        })
        .collect();
    rows.sort();
    if let Some((i, descending)) = sort {
        rows.sort_by(|a, b| {
            if descending {
                b[i].cmp(&a[i])
            } else {
                a[i].cmp(&b[i])
            }
        });
    }
    if let Some(n) = limit {
        rows.truncate(n.min(rows.len() as u64) as usize);
    }
    Rows::Values(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::RetailSales;
    use crate::search::parse::parse;

    fn run(query: &str, rows: u64) -> ResultSet {
        let table: Arc<dyn Table> = Arc::new(RetailSales::new(3, rows, chrono_tz::UTC));
        let q = parse(query, table.as_ref()).unwrap();
        execute(table, &q, &[]).unwrap()
    }

    #[test]
    fn key_queries_are_lazy_ranges() {
        let r = run("[Order Line ID] [Sales]", 1000);
        assert_eq!(r.len(), 1000);
        assert_eq!(r.columns[1].name, "Total Sales");
        assert_eq!(r.cell(0, 999), Cell::Int(1000));
        assert!(matches!(r.rows, Rows::Range { .. }));
        let r = run(
            "[Order Line ID] sort by [Order Line ID] descending top 3",
            1000,
        );
        assert_eq!((r.len(), r.cell(0, 0)), (3, Cell::Int(1000)));
    }

    #[test]
    fn measures_aggregate_over_attributes() {
        let by_region = run("[Region] [Quantity]", 3000);
        let total = run("[Quantity]", 3000);
        let sum: i64 = (0..by_region.len())
            .map(|r| match by_region.cell(1, r) {
                Cell::Int(v) => v,
                _ => 0,
            })
            .sum();
        assert_eq!(total.len(), 1);
        assert_eq!(total.cell(0, 0), Cell::Int(sum));
        assert_eq!(by_region.len(), 5);
        assert_eq!(by_region.columns[1].name, "Total Quantity");
    }

    #[test]
    fn whole_rows_match_single_cells() {
        for query in [
            "[Order Line ID] [Customer] [Sales] [Order Date] [Customer]",
            "[Order Line ID] [Sales] sort by [Order Line ID] descending",
            "[Order Line ID] [Region] [Ship Time] [Region] = 'west'",
            "[Region] [Quantity] [Discount]",
        ] {
            let result = run(query, 3000);
            let mut cells = Vec::new();
            for row in 0..result.len() {
                cells.clear();
                result.row_cells(row, &mut cells);
                let single: Vec<Cell<'_>> = (0..result.columns.len())
                    .map(|c| result.cell(c, row))
                    .collect();
                assert_eq!(cells, single, "{query}, row {row}");
            }
        }
    }

    #[test]
    fn filters_and_top() {
        let west = run("[Order Line ID] [Region] [Region] = 'west'", 3000);
        assert!(west.len() > 100 && west.len() < 3000);
        assert!((0..west.len()).all(|r| west.cell(1, r) == Cell::Text("West")));
        let top = run("[Region] [Sales] top 2", 3000);
        assert_eq!(top.len(), 2);
        assert!(top.cell(1, 0).total_cmp(&top.cell(1, 1)).is_ge());
    }
}
