//! Runs a parsed [`Query`] over a [`Table`] the way ThoughtSpot does: measures aggregated over the
//! attributes named, unless the table's unique key is named, in which case every row is its own group.
//!
//! Results that are a plain range of rows (the common paged export: the key, no filter, sorted by the
//! key) stay lazy and cost no memory. Filtered or re-sorted row-level results keep one `u32` per matching
//! row; aggregated results keep one row per group.

use std::collections::HashMap;
use std::sync::Arc;

use super::parse::{Filter, FilterOp, Literal, ParseError, Query};
use crate::emulator::data::{Aggregation, Cell, ColumnKind, DataType, Table, Value};

/// One output column.
#[derive(Debug, Clone)]
pub struct OutColumn {
    /// The display name, with the aggregation prefix for measures (`Total Sales`).
    pub name: String,
    /// The type of the values served.
    pub data_type: DataType,
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

/// The full result of a search, addressable by row for paging.
#[derive(Debug)]
pub struct ResultSet {
    pub columns: Vec<OutColumn>,
    sources: Vec<usize>,
    rows: Rows,
    table: Arc<dyn Table>,
}

impl ResultSet {
    pub fn len(&self) -> u64 {
        match &self.rows {
            Rows::Range { len, .. } => *len,
            Rows::Indices(rows) => rows.len() as u64,
            Rows::Values(rows) => rows.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of output column `column` in result row `row` (`row < len()`).
    #[inline]
    pub fn cell(&self, column: usize, row: u64) -> Cell<'_> {
        match &self.rows {
            Rows::Range { descending, .. } => {
                let row = if *descending {
                    self.table.row_count() - 1 - row
                } else {
                    row
                };
                self.table.cell(self.sources[column], row)
            }
            Rows::Indices(rows) => self
                .table
                .cell(self.sources[column], u64::from(rows[row as usize])),
            Rows::Values(rows) => rows[row as usize][column].as_cell(),
        }
    }

    /// Every output cell of result row `row` (`row < len()`), appended to `out`. Resolving the row kind
    /// and the table row once per row, then one [`Table::row_cells`] call, keeps the per-cell work to
    /// generating the value.
    pub fn row_cells<'a>(&'a self, row: u64, out: &mut Vec<Cell<'a>>) {
        let table_row = match &self.rows {
            Rows::Range { descending, .. } if *descending => self.table.row_count() - 1 - row,
            Rows::Range { .. } => row,
            Rows::Indices(rows) => u64::from(rows[row as usize]),
            Rows::Values(rows) => {
                out.extend(rows[row as usize].iter().map(Value::as_cell));
                return;
            }
        };
        self.table.row_cells(&self.sources, table_row, out);
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
            let date =
                chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| bad(t))?;
            use chrono::Datelike;
            let epoch = table
                .local_midnight(date.year(), date.month(), date.day())
                .ok_or_else(|| bad(t))?;
            Operand::Number(epoch as f64)
        }
        (_, Literal::Number(n)) => Operand::Number(*n),
        (_, Literal::Text(t)) => Operand::Number(t.trim().parse().map_err(|_| bad(t))?),
        (_, Literal::Bool(b)) => return Err(bad(&b.to_string())),
    })
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
        (Aggregation::Sum, DataType::Int32 | DataType::Int64) => DataType::Int64,
        (Aggregation::Sum, DataType::Float | DataType::Double) => DataType::Double,
        (_, t) => t,
    }
}

/// A running aggregate. Integer sums saturate rather than wrap, so an overflow is visible as i64::MAX
/// instead of a plausible wrong number.
#[derive(Debug, Clone, Copy)]
enum Accumulator {
    IntSum { sum: i64, any: bool },
    FloatSum { sum: f64, any: bool },
    Average { sum: f64, count: u64 },
}

impl Accumulator {
    fn new(aggregation: Aggregation, data_type: DataType) -> Self {
        match aggregated_type(aggregation, data_type) {
            DataType::Int64 if aggregation == Aggregation::Sum => {
                Accumulator::IntSum { sum: 0, any: false }
            }
            _ if aggregation == Aggregation::Average => Accumulator::Average { sum: 0.0, count: 0 },
            _ => Accumulator::FloatSum {
                sum: 0.0,
                any: false,
            },
        }
    }

    fn add(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (_, Cell::Null) => {}
            (Accumulator::IntSum { sum, any }, Cell::Int(v)) => {
                *sum = sum.saturating_add(v);
                *any = true;
            }
            (Accumulator::FloatSum { sum, any }, c) => {
                *sum += c.as_f64().unwrap_or(0.0);
                *any = true;
            }
            (Accumulator::Average { sum, count }, c) => {
                *sum += c.as_f64().unwrap_or(0.0);
                *count += 1;
            }
            _ => {}
        }
    }

    fn finish(self) -> Value {
        match self {
            Accumulator::IntSum { sum, any: true } => Value::Int(sum),
            Accumulator::FloatSum { sum, any: true } => Value::Double(sum),
            Accumulator::Average { sum, count } if count > 0 => Value::Double(sum / count as f64),
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
    let defs = table.columns();
    let filters: Vec<Prepared> = query
        .filters
        .iter()
        .chain(extra)
        .map(|f| prepare(table.as_ref(), f))
        .collect::<Result<_, _>>()?;
    let key = table.key_column();
    let row_level = key.is_some_and(|k| query.columns.contains(&k));
    let measures: Vec<usize> = query
        .columns
        .iter()
        .copied()
        .filter(|&c| defs[c].kind == ColumnKind::Measure)
        .collect();
    let columns: Vec<OutColumn> = query
        .columns
        .iter()
        .map(|&c| {
            let def = &defs[c];
            let data_type = match (def.kind, row_level) {
                (ColumnKind::Measure, false) => aggregated_type(def.aggregation, def.data_type),
                _ => def.data_type,
            };
            OutColumn {
                name: def.aggregation.display_name(def.name),
                data_type,
            }
        })
        .collect();
    // Without an explicit sort, `top n` ranks by the first measure, as the search bar does.
    let sort = query.sort.or_else(|| {
        let (_, top) = query.limit?;
        measures.first().map(|&m| (m, top))
    });
    let limit = query.limit.map(|(n, _)| n);

    let rows = if row_level {
        row_level_rows(table.as_ref(), &filters, sort, key, limit)
    } else {
        aggregate(table.as_ref(), &query.columns, &filters, sort, limit)
    };
    Ok(ResultSet {
        columns,
        sources: query.columns.clone(),
        rows,
        table,
    })
}

fn row_level_rows(
    table: &dyn Table,
    filters: &[Prepared],
    sort: Option<(usize, bool)>,
    key: Option<usize>,
    limit: Option<u64>,
) -> Rows {
    let total = table.row_count();
    let sorted_by_key = match sort {
        None => Some(false),
        Some((c, descending)) if Some(c) == key => Some(descending),
        _ => None,
    };
    if let (true, Some(descending)) = (filters.is_empty(), sorted_by_key) {
        return Rows::Range {
            len: limit.map_or(total, |n| n.min(total)),
            descending,
        };
    }
    let mut rows: Vec<u32> = (0..total)
        .filter(|&r| filters.iter().all(|f| f.matches(table.cell(f.column, r))))
        .map(|r| r as u32)
        .collect();
    if let Some((column, descending)) = sort {
        rows.sort_by(|&a, &b| {
            let order = table
                .cell(column, u64::from(a))
                .total_cmp(&table.cell(column, u64::from(b)));
            if descending { order.reverse() } else { order }.then(a.cmp(&b))
        });
    }
    if let Some(n) = limit {
        rows.truncate(n.min(rows.len() as u64) as usize);
    }
    Rows::Indices(rows)
}

fn aggregate(
    table: &dyn Table,
    columns: &[usize],
    filters: &[Prepared],
    sort: Option<(usize, bool)>,
    limit: Option<u64>,
) -> Rows {
    let defs = table.columns();
    let is_measure = |c: usize| defs[c].kind == ColumnKind::Measure;
    let attributes: Vec<usize> = columns
        .iter()
        .copied()
        .filter(|&c| !is_measure(c))
        .collect();
    let (having, where_): (Vec<&Prepared>, Vec<&Prepared>) =
        filters.iter().partition(|f| is_measure(f.column));
    // Measures filtered on but not shown are aggregated too, then dropped after the HAVING step.
    let mut aggregated: Vec<usize> = columns.iter().copied().filter(|&c| is_measure(c)).collect();
    for f in &having {
        if !aggregated.contains(&f.column) {
            aggregated.push(f.column);
        }
    }
    let fresh: Vec<Accumulator> = aggregated
        .iter()
        .map(|&c| Accumulator::new(defs[c].aggregation, defs[c].data_type))
        .collect();

    let mut groups: HashMap<Vec<Value>, Vec<Accumulator>> = HashMap::new();
    for row in 0..table.row_count() {
        if !where_.iter().all(|f| f.matches(table.cell(f.column, row))) {
            continue;
        }
        let key: Vec<Value> = attributes
            .iter()
            .map(|&c| table.cell(c, row).to_value())
            .collect();
        let accumulators = groups.entry(key).or_insert_with(|| fresh.clone());
        for (acc, &c) in accumulators.iter_mut().zip(&aggregated) {
            acc.add(table.cell(c, row));
        }
    }
    if attributes.is_empty() && groups.is_empty() {
        // A headline over no rows still has its one row, of nulls.
        groups.insert(Vec::new(), fresh.clone());
    }
    let shown = columns.len();
    let mut rows: Vec<Vec<Value>> = groups
        .into_iter()
        .filter_map(|(mut key, accumulators)| {
            let values: Vec<Value> = accumulators.into_iter().map(Accumulator::finish).collect();
            let passes = having.iter().all(|f| {
                let i = aggregated.iter().position(|&c| c == f.column).unwrap_or(0);
                f.matches(values[i].as_cell())
            });
            key.extend(values);
            key.truncate(shown);
            passes.then_some(key)
        })
        .collect();
    rows.sort();
    if let Some((column, descending)) = sort {
        if let Some(i) = columns.iter().position(|&c| c == column) {
            rows.sort_by(|a, b| {
                if descending {
                    b[i].cmp(&a[i])
                } else {
                    a[i].cmp(&b[i])
                }
            });
        }
    }
    if let Some(n) = limit {
        rows.truncate(n.min(rows.len() as u64) as usize);
    }
    Rows::Values(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::data::RetailSales;
    use crate::emulator::search::parse::parse;

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
