//! The subset of ThoughtSpot's search language the emulator understands.
//!
//! ```text
//! query     := item*
//! item      := [aggregate] column | column op literal | "top" N | "bottom" N
//!            | "sort by" column ["ascending"|"descending"]
//! column    := "[" name "]" ["." bucket]     (names case-insensitive)
//! aggregate := sum | average | min | max | count
//! bucket    := daily | weekly | monthly | quarterly | yearly   (DATE and DATE_TIME columns)
//! op        := = | != | > | >= | < | <=
//! literal   := 'text' | number | true | false
//! ```
//! Anything else is rejected with the offending token named, as ThoughtSpot answers 400 for a query it
//! cannot parse.

use crate::data::calendar::DateBucket;
use crate::data::{Aggregation, ColumnDef, ColumnKind, DataType, Table};

/// A literal on the right of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text, quoted or not.
    Text(String),
    /// A number.
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl Literal {
    /// Reads an unquoted runtime-filter value: a number or boolean if it is one, text otherwise.
    pub fn from_runtime(value: &str) -> Self {
        if let Ok(n) = value.trim().parse::<f64>() {
            return Literal::Number(n);
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            _ => Literal::Text(value.to_string()),
        }
    }
}

/// Filter operators: those of the search bar and of runtime filters (wire-protocol §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// Text containing the value.
    Contains,
    /// Text starting with the value.
    BeginsWith,
    /// Text ending with the value.
    EndsWith,
    /// Between two values; the flags say which bounds are inclusive.
    Between {
        /// Whether the lower bound matches.
        low_inclusive: bool,
        /// Whether the upper bound matches.
        high_inclusive: bool,
    },
    /// Equal to one of the values.
    In,
}

impl FilterOp {
    /// A runtime-filter operator name (`EQ`, `BW_INC`, ...), case-insensitive.
    pub fn from_runtime(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "EQ" => FilterOp::Eq,
            "NE" => FilterOp::Ne,
            "LT" => FilterOp::Lt,
            "LE" => FilterOp::Le,
            "GT" => FilterOp::Gt,
            "GE" => FilterOp::Ge,
            "CONTAINS" => FilterOp::Contains,
            "BEGINS_WITH" => FilterOp::BeginsWith,
            "ENDS_WITH" => FilterOp::EndsWith,
            "BW_INC_MAX" => FilterOp::Between {
                low_inclusive: false,
                high_inclusive: true,
            },
            "BW_INC_MIN" => FilterOp::Between {
                low_inclusive: true,
                high_inclusive: false,
            },
            "BW_INC" => FilterOp::Between {
                low_inclusive: true,
                high_inclusive: true,
            },
            "BW" => FilterOp::Between {
                low_inclusive: false,
                high_inclusive: false,
            },
            "IN" => FilterOp::In,
            _ => return None,
        })
    }

    /// How many values the operator takes: `None` means one or more.
    pub fn arity(self) -> Option<usize> {
        match self {
            FilterOp::Between { .. } => Some(2),
            FilterOp::In => None,
            _ => Some(1),
        }
    }
}

/// `column op values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The table column, by index.
    pub column: usize,
    /// The comparison.
    pub op: FilterOp,
    /// The right-hand side: one value, two for `Between`, any number for `In`.
    pub values: Vec<Literal>,
}

/// One output column: a table column, bucketed (dates) or with an explicit aggregation if asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selection {
    /// The table column, by index.
    pub column: usize,
    /// The date bucket asked for (`monthly`, ...), if any.
    pub bucket: Option<DateBucket>,
    /// The aggregation asked for (`sum`, ...), if any.
    pub aggregation: Option<Aggregation>,
    /// The formula of the table this is (`column` is then the formula's base column), if any.
    pub formula: Option<usize>,
}

impl Selection {
    /// The column as it is: no bucket, no explicit aggregation.
    pub fn plain(column: usize) -> Self {
        Self {
            column,
            bucket: None,
            aggregation: None,
            formula: None,
        }
    }

    /// Measures are aggregated; so is an attribute with an explicit aggregation (`count [Order ID]`).
    pub fn is_measure(&self, table: &dyn Table) -> bool {
        self.aggregation.is_some() || table.columns()[self.column].kind == ColumnKind::Measure
    }

    /// The aggregation applied when results are grouped.
    pub fn effective_aggregation(&self, table: &dyn Table) -> Aggregation {
        self.aggregation
            .unwrap_or(table.columns()[self.column].aggregation)
    }

    /// The display name: `Total Sales`, `Max Sales`, `Month(Order Date)`.
    pub fn display_name(&self, table: &dyn Table) -> String {
        let name = match self.formula {
            Some(formula) => super::formula::formulas(table)[formula].name,
            None => table.columns()[self.column].name,
        };
        match self.bucket {
            Some(bucket) => bucket.display_name(name),
            None if self.is_measure(table) => self.effective_aggregation(table).display_name(name),
            None => name.to_string(),
        }
    }
}

/// A parsed search over one table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// Output columns: attributes first, then measures, each in query order.
    pub columns: Vec<Selection>,
    /// Every filter must hold for a row to be kept.
    pub filters: Vec<Filter>,
    /// `(output column, descending)`; the column is also in `columns`.
    pub sort: Option<(Selection, bool)>,
    /// `(n, top)`: `top n` keeps the n largest, `bottom n` the n smallest.
    pub limit: Option<(u64, bool)>,
    /// The parameter values formulas read (set by the caller: a search's text names none).
    pub parameters: super::formula::ParameterValues,
}

/// Why a query was rejected; the text goes into the 400 body's `debug`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `[name]`, with the bucket word after a `.` if any.
    Column(String, Option<String>),
    Text(String),
    Number(f64),
    Word(String),
    Op(FilterOp),
}

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '[' => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, c)) => name.push(c),
                        None => {
                            return Err(ParseError(format!("unclosed '[' at position {start}")))
                        }
                    }
                }
                let mut bucket = None;
                if let Some(&(_, '.')) = chars.peek() {
                    chars.next();
                    let mut word = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_whitespace() || matches!(c, '[' | '=' | '!' | '<' | '>') {
                            break;
                        }
                        word.push(c);
                        chars.next();
                    }
                    bucket = Some(word);
                }
                tokens.push(Token::Column(name.trim().to_string(), bucket));
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => text.push(c),
                        None => {
                            return Err(ParseError(format!("unclosed quote at position {start}")))
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let next_is_eq = matches!(chars.peek(), Some(&(_, '=')));
                let op = match (c, next_is_eq) {
                    ('=', _) => FilterOp::Eq,
                    ('!', true) => FilterOp::Ne,
                    ('<', true) => FilterOp::Le,
                    ('>', true) => FilterOp::Ge,
                    ('<', false) => FilterOp::Lt,
                    ('>', false) => FilterOp::Gt,
                    _ => return Err(ParseError(format!("unexpected '{c}' at position {start}"))),
                };
                if next_is_eq && c != '=' {
                    chars.next();
                }
                tokens.push(Token::Op(op));
            }
            _ => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '[' | '\'' | '=' | '!' | '<' | '>') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                match word.parse::<f64>() {
                    Ok(n) if n.is_finite() => tokens.push(Token::Number(n)),
                    _ => tokens.push(Token::Word(word.to_ascii_lowercase())),
                }
            }
        }
    }
    Ok(tokens)
}

/// Finds a searchable column by name, ignoring case and surrounding space.
pub fn find_column(table: &dyn Table, name: &str) -> Option<usize> {
    let name = name.trim();
    table
        .columns()
        .iter()
        .position(|c: &ColumnDef| !c.hidden && c.name.eq_ignore_ascii_case(name))
}

/// Reads `[name]` or `[name].bucket` as a selection.
fn selection(table: &dyn Table, name: &str, bucket: Option<&str>) -> Result<Selection, ParseError> {
    let not_found = || {
        ParseError(format!(
            "Search did not find '[{name}]' in data source '{}'",
            table.name()
        ))
    };
    let (column, formula) = match find_column(table, name) {
        Some(column) => (column, None),
        None => {
            let formula = super::formula::find_formula(table, name).ok_or_else(not_found)?;
            let base = super::formula::formulas(table)[formula].base;
            (
                find_column(table, base).ok_or_else(not_found)?,
                Some(formula),
            )
        }
    };
    let Some(word) = bucket else {
        return Ok(Selection {
            formula,
            ..Selection::plain(column)
        });
    };
    let bucket = DateBucket::parse(word).ok_or_else(|| {
        ParseError(format!(
            "'[{name}].{word}' is not a supported date bucket: use daily, weekly, monthly, quarterly or yearly"
        ))
    })?;
    if !matches!(
        table.columns()[column].data_type,
        DataType::Date | DataType::DateTime
    ) {
        return Err(ParseError(format!(
            "'[{name}].{word}': only DATE and DATE_TIME columns have buckets"
        )));
    }
    Ok(Selection {
        column,
        bucket: Some(bucket),
        aggregation: None,
        formula,
    })
}

/// Parses `query` against `table`'s columns.
pub fn parse(query: &str, table: &dyn Table) -> Result<Query, ParseError> {
    let tokens = tokenize(query)?;
    let mut named: Vec<Selection> = Vec::new();
    fn name(named: &mut Vec<Selection>, s: Selection) {
        if !named.contains(&s) {
            named.push(s);
        }
    }
    let mut query = Query::default();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Column(column, bucket) => {
                let selected = selection(table, column, bucket.as_deref())?;
                if let Some(Token::Op(op)) = tokens.get(i + 1) {
                    if selected.bucket.is_some() {
                        return Err(ParseError(format!(
                            "filters on date buckets such as '[{column}]' are not supported"
                        )));
                    }
                    if selected.formula.is_some() {
                        return Err(ParseError(format!(
                            "filters on formulas such as '[{column}]' are not supported by the emulator"
                        )));
                    }
                    let value = match tokens.get(i + 2) {
                        Some(Token::Text(t)) => Literal::Text(t.clone()),
                        Some(Token::Number(n)) => Literal::Number(*n),
                        Some(Token::Word(w)) if w == "true" || w == "false" => Literal::Bool(w == "true"),
                        _ => {
                            return Err(ParseError(format!(
                                "filter on '[{column}]' needs a value: a number or text in single quotes"
                            )))
                        }
                    };
                    query.filters.push(Filter {
                        column: selected.column,
                        op: *op,
                        values: vec![value],
                    });
                    i += 3;
                } else {
                    name(&mut named, selected);
                    i += 1;
                }
            }
            Token::Word(w) if Aggregation::from_keyword(w).is_some() => {
                let Some(Token::Column(column, None)) = tokens.get(i + 1) else {
                    return Err(ParseError(format!("'{w}' must be followed by a [column]")));
                };
                let mut selected = selection(table, column, None)?;
                selected.aggregation = Aggregation::from_keyword(w);
                name(&mut named, selected);
                i += 2;
            }
            Token::Word(w) if w == "top" || w == "bottom" => {
                let n = match tokens.get(i + 1) {
                    Some(Token::Number(n)) if *n >= 1.0 && n.fract() == 0.0 => *n as u64,
                    // Older builds accepted quoted numbers (`top '5'`).
                    Some(Token::Text(t)) if t.parse::<u64>().is_ok_and(|n| n >= 1) => {
                        t.parse().unwrap_or(1)
                    }
                    _ => return Err(ParseError(format!("'{w}' needs a positive whole number"))),
                };
                query.limit = Some((n, w == "top"));
                i += 2;
            }
            Token::Word(w) if w == "sort" => match (tokens.get(i + 1), tokens.get(i + 2)) {
                (Some(Token::Word(by)), Some(Token::Column(column, bucket))) if by == "by" => {
                    let selected = selection(table, column, bucket.as_deref())?;
                    let mut descending = false;
                    i += 3;
                    if let Some(Token::Word(dir)) = tokens.get(i) {
                        if dir == "descending" || dir == "ascending" {
                            descending = dir == "descending";
                            i += 1;
                        }
                    }
                    query.sort = Some((selected, descending));
                }
                _ => {
                    return Err(ParseError(
                        "'sort' must be followed by 'by [column]'".into(),
                    ))
                }
            },
            other => {
                let shown = match other {
                    Token::Word(w) => w.clone(),
                    Token::Text(t) => format!("'{t}'"),
                    Token::Number(n) => n.to_string(),
                    Token::Op(op) => format!("{op:?}"),
                    Token::Column(c, _) => c.clone(),
                };
                return Err(ParseError(format!("Search did not understand '{shown}'")));
            }
        }
    }
    if let Some((sort, descending)) = query.sort {
        // Sorting by a column shown with an aggregation sorts by that output column.
        let shown = named
            .iter()
            .find(|s| {
                s.column == sort.column && s.bucket == sort.bucket && s.formula == sort.formula
            })
            .copied();
        match shown {
            Some(s) => query.sort = Some((s, descending)),
            None => name(&mut named, sort),
        }
    }
    if named.is_empty() {
        return Err(ParseError(
            "the search names no columns: add at least one [column]".into(),
        ));
    }
    let (measures, attributes): (Vec<Selection>, Vec<Selection>) =
        named.into_iter().partition(|s| s.is_measure(table));
    query.columns = attributes.into_iter().chain(measures).collect();
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::RetailSales;

    fn table() -> RetailSales {
        RetailSales::new(1, 10, chrono_tz::UTC)
    }

    #[test]
    fn attributes_come_first_and_names_ignore_case() {
        let q = parse("[sales] [REGION] [Order Date]", &table()).unwrap();
        let names: Vec<_> = q.columns.iter().map(|s| s.display_name(&table())).collect();
        assert_eq!(names, ["Region", "Order Date", "Total Sales"]);
    }

    #[test]
    fn filters_sort_and_top() {
        let q = parse(
            "[Region] [Sales] [Region] = 'West' [Quantity] >= 3 top 5 sort by [Sales] descending",
            &table(),
        )
        .unwrap();
        assert_eq!(q.filters.len(), 2);
        assert_eq!(q.filters[1].op, FilterOp::Ge);
        assert_eq!(q.filters[1].values, vec![Literal::Number(3.0)]);
        assert_eq!(q.limit, Some((5, true)));
        assert_eq!(q.sort, Some((Selection::plain(8), true)));
    }

    #[test]
    fn bad_queries_name_the_problem() {
        let t = table();
        assert!(parse("[Nope]", &t).unwrap_err().0.contains("[Nope]"));
        assert!(parse("[Region] frobnicate", &t)
            .unwrap_err()
            .0
            .contains("frobnicate"));
        assert!(parse("[Region", &t).unwrap_err().0.contains("unclosed"));
        assert!(parse("", &t).is_err());
        assert!(
            parse("[Internal Cost]", &t).is_err(),
            "hidden columns are not searchable"
        );
    }

    #[test]
    fn buckets_and_explicit_aggregations() {
        let t = table();
        let q = parse(
            "max [Sales] [Order Date].monthly [Sales] count [Order ID]",
            &t,
        )
        .unwrap();
        let names: Vec<_> = q.columns.iter().map(|s| s.display_name(&t)).collect();
        assert_eq!(
            names,
            [
                "Month(Order Date)",
                "Max Sales",
                "Total Sales",
                "Count Order ID"
            ]
        );
        assert!(parse("[Order Date].fortnightly", &t)
            .unwrap_err()
            .0
            .contains("fortnightly"));
        assert!(parse("[Region].monthly", &t)
            .unwrap_err()
            .0
            .contains("DATE"));
        assert!(parse("[Region] max", &t).unwrap_err().0.contains("max"));
        assert!(parse("[Order Date].monthly = 3", &t).is_err());
    }
}
