//! Worksheet parameters and the formula columns that use them. ThoughtSpot keeps both in the
//! worksheet's definition; a search names a formula like a column, and a data call's
//! `runtime_param_override` (wire-protocol §4.5) sets a parameter for that call only.
//!
//! Retail Sales has one of each, the smallest believable pair: the parameter "Discount Rate"
//! (DOUBLE, 0 to 1, default 0) and the formula "Discounted Sales" = `[Sales] * (1 - [Discount
//! Rate])`. Neither is a column of the table, so `metadata/details` and every search that does not
//! name the formula are as they were.

use crate::data::{DataType, Table};
use crate::ids;

/// A worksheet parameter: a number a search's formulas read, set per call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parameter {
    /// The name `param<n>` gives.
    pub name: &'static str,
    /// Its type: the type `paramVal<n>` must have.
    pub data_type: DataType,
    /// The value when a call sets none.
    pub default: f64,
    /// The smallest value allowed.
    pub min: f64,
    /// The largest value allowed.
    pub max: f64,
}

/// A formula column `[base] * (1 - [parameter])`: a measure of the base column's type and
/// aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formula {
    /// The name a search gives it.
    pub name: &'static str,
    /// The table column it scales.
    pub base: &'static str,
    /// The parameter it reads.
    pub parameter: &'static str,
}

const RETAIL_PARAMETERS: &[Parameter] = &[Parameter {
    name: "Discount Rate",
    data_type: DataType::Double,
    default: 0.0,
    min: 0.0,
    max: 1.0,
}];

const RETAIL_FORMULAS: &[Formula] = &[Formula {
    name: "Discounted Sales",
    base: "Sales",
    parameter: "Discount Rate",
}];

/// The parameters `table` defines.
pub fn parameters(table: &dyn Table) -> &'static [Parameter] {
    if table.id() == ids::RETAIL_SALES {
        RETAIL_PARAMETERS
    } else {
        &[]
    }
}

/// The formula columns `table` defines.
pub fn formulas(table: &dyn Table) -> &'static [Formula] {
    if table.id() == ids::RETAIL_SALES {
        RETAIL_FORMULAS
    } else {
        &[]
    }
}

/// A parameter of `table` by name, ignoring case and surrounding space.
pub fn find_parameter(table: &dyn Table, name: &str) -> Option<usize> {
    parameters(table)
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

/// A formula of `table` by name, ignoring case and surrounding space.
pub fn find_formula(table: &dyn Table, name: &str) -> Option<usize> {
    formulas(table)
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case(name.trim()))
}

/// The parameter values of one search: each parameter's default unless overridden.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParameterValues {
    /// `(parameter index, value)`, in the order given; a later one wins.
    pub overrides: Vec<(usize, f64)>,
}

impl ParameterValues {
    /// The value of parameter `index` of `table`.
    pub fn value(&self, table: &dyn Table, index: usize) -> f64 {
        self.overrides
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map_or_else(|| parameters(table)[index].default, |(_, v)| *v)
    }

    /// What formula `formula` of `table` multiplies its base column by.
    pub fn factor(&self, table: &dyn Table, formula: usize) -> f64 {
        let formula = formulas(table)[formula];
        match find_parameter(table, formula.parameter) {
            Some(p) => 1.0 - self.value(table, p),
            None => 1.0,
        }
    }
}
