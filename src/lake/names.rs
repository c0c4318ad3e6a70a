//! Column names a lake table can hold. ThoughtSpot names columns for people (`Order Line ID`,
//! `Sales ($)`); Spark, Databricks and Trino refuse a Delta column whose name holds a space or any
//! of `,;{}()=` unless the table uses column mapping, which the commit library this build uses
//! cannot write. So every column is named in lower snake case (`order_line_id`: letters and digits
//! kept, in any script; every other run of characters one `_`), which every engine reads without
//! quoting, and the ThoughtSpot name is kept in the column's metadata. Two columns that would share
//! a name are an error, never a silent suffix.

use std::collections::HashMap;

/// Why a result's columns cannot all be named in a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("columns '{first}' and '{second}' would both be named '{name}' in the table; rename one in the search (or the worksheet), or export to Parquet, which keeps ThoughtSpot's names")]
pub struct NameClash {
    /// The first column, as ThoughtSpot names it.
    pub first: String,
    /// The second column.
    pub second: String,
    /// The table name both map to.
    pub name: String,
}

/// The table name of the ThoughtSpot column `name`: lower snake case (see the module docs);
/// `column` for a name with no letter or digit.
pub fn table_column_name(name: &str) -> String {
    let mut snake = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            snake.push(c);
        } else if !snake.is_empty() && !snake.ends_with('_') {
            snake.push('_');
        }
    }
    let snake = snake.trim_end_matches('_');
    if snake.is_empty() {
        "column".to_string()
    } else {
        snake.to_string()
    }
}

/// The table names of `names`, in order, or the first clash.
pub fn table_column_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, NameClash> {
    let mut taken: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for name in names {
        let table = table_column_name(name);
        if let Some(first) = taken.insert(table.clone(), name) {
            return Err(NameClash {
                first: first.to_string(),
                second: name.to_string(),
                name: table,
            });
        }
        out.push(table);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_snake_case_that_engines_read_unquoted() {
        assert_eq!(table_column_name("Order Line ID"), "order_line_id");
        assert_eq!(table_column_name("Sales ($)"), "sales");
        assert_eq!(table_column_name("  Über Größe  "), "über_größe");
        assert_eq!(table_column_name("a,b;c{d}(e)=f\tg"), "a_b_c_d_e_f_g");
        assert_eq!(table_column_name("%%"), "column");
        let clash = table_column_names(["Order ID", "order id"]).unwrap_err();
        assert_eq!(clash.name, "order_id");
        assert_eq!(
            table_column_names(["Region", "Sales"]).unwrap(),
            ["region", "sales"]
        );
    }
}
