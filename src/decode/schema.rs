//! The schema policy (`docs/guarantees.md`): each column's type comes from the user's hint, else ThoughtSpot's
//! own column type, else the data. Output names are `columnNames` made unique.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use arrow_schema::{Field, Schema, SchemaRef};
use chrono_tz::Tz;

use super::types::{BadType, ColumnType};

/// Where a column's type came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeSource {
    /// The user asked for it: values that do not fit are an error, never a widening.
    Hint,
    /// ThoughtSpot's column metadata (`metadata/details` or `columnDetails`).
    Metadata,
    /// The data itself, or an earlier run's manifest.
    Data,
}

impl TypeSource {
    /// The name used in messages and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            TypeSource::Hint => "hint",
            TypeSource::Metadata => "metadata",
            TypeSource::Data => "data",
        }
    }
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The output name: the `columnNames` entry, made unique.
    pub name: String,
    /// The `columnNames` entry as ThoughtSpot sent it.
    pub source_name: String,
    /// The Arrow-facing type.
    pub column_type: ColumnType,
    /// Where the type came from.
    pub type_source: TypeSource,
}

/// The columns of one result, in `columnNames` order, and the zone its dates are read in.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// The columns, in result order.
    pub columns: Vec<ColumnSpec>,
    /// The zone DATE and DATE_TIME values are read in.
    pub time_zone: Tz,
}

/// Field metadata key holding the column's name as ThoughtSpot sent it.
pub const SOURCE_NAME_KEY: &str = "thoughtspot.column";
/// Field metadata key saying where the type came from (`hint`, `metadata`, `data`).
pub const TYPE_SOURCE_KEY: &str = "tsexport.type_source";

impl TableSchema {
    /// The Arrow schema: every field nullable, with the ThoughtSpot name and the type's source kept in
    /// field metadata.
    pub fn arrow(&self) -> SchemaRef {
        let zone = self.time_zone.name();
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| {
                Field::new(&c.name, c.column_type.arrow(zone), true).with_metadata(
                    [
                        (SOURCE_NAME_KEY.to_string(), c.source_name.clone()),
                        (
                            TYPE_SOURCE_KEY.to_string(),
                            c.type_source.as_str().to_string(),
                        ),
                    ]
                    .into(),
                )
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The `columnNames` entries, in order.
    pub fn source_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .map(|c| c.source_name.as_str())
            .collect()
    }

    /// Each column's type, in order.
    pub fn types(&self) -> Vec<ColumnType> {
        self.columns.iter().map(|c| c.column_type).collect()
    }
}

/// `columnNames` made unique and never empty: an empty name becomes `column_<position>` (1-based),
/// and a repeated name gets `_2`, `_3`, ... (skipping any suffix that is itself taken).
pub fn unique_names(column_names: &[String]) -> Vec<String> {
    // Names as sent are reserved, so a generated name never takes one that appears verbatim later.
    let verbatim: HashSet<&str> = column_names
        .iter()
        .map(String::as_str)
        .filter(|n| !n.trim().is_empty())
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    column_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let empty = name.trim().is_empty();
            let base = if empty {
                format!("column_{}", i + 1)
            } else {
                name.clone()
            };
            let mut candidate = base.clone();
            let mut generated = empty;
            let mut n = 1;
            while used.contains(&candidate) || generated && verbatim.contains(candidate.as_str()) {
                n += 1;
                generated = true;
                candidate = format!("{base}_{n}");
            }
            used.insert(candidate.clone());
            candidate
        })
        .collect()
}

/// `--type "Order Date=date"`: a column name and the type it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeHint {
    /// The column, by its name in the result.
    pub column: String,
    /// The type it must have.
    pub column_type: ColumnType,
}

/// Why a hint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HintError {
    /// The hint is not `COLUMN=TYPE`.
    #[error("type hint '{0}' has no '=': write it as COLUMN=TYPE, e.g. \"Order Date=date\"")]
    NoEquals(String),
    #[error("type hint for '{column}': {source}")]
    /// The type is not one tsexport knows.
    BadType {
        /// The hinted column.
        column: String,
        /// Why the type does not parse.
        source: BadType,
    },
    #[error(
        "type hint for '{column}' matches no column of the result; its columns are: {columns}"
    )]
    /// No column of the result has the hinted name.
    NoSuchColumn {
        /// The hinted column.
        column: String,
        /// The result's columns, for the message.
        columns: String,
    },
}

impl FromStr for TypeHint {
    type Err = HintError;

    /// `NAME=TYPE`; the last `=` splits, so a column name may hold one.
    fn from_str(text: &str) -> Result<Self, HintError> {
        let (column, type_text) = text
            .rsplit_once('=')
            .ok_or_else(|| HintError::NoEquals(text.to_string()))?;
        let column = column.trim().to_string();
        let column_type = type_text.parse().map_err(|source| HintError::BadType {
            column: column.clone(),
            source,
        })?;
        Ok(TypeHint {
            column,
            column_type,
        })
    }
}

/// A ThoughtSpot column and its `dataType`, from `metadata/details` or a page's `columnDetails`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMetadata {
    /// The column name.
    pub name: String,
    /// ThoughtSpot's type (`INT64`, `DATE`, `VARCHAR`, ...).
    pub data_type: String,
}

/// Aggregation prefixes ThoughtSpot puts before a measure's name, and the type each gives the result
/// (`None`: the source column's type).
const AGGREGATIONS: &[(&str, Option<ColumnType>)] = &[
    ("Total ", None),
    ("Sum ", None),
    ("Min ", None),
    ("Max ", None),
    ("Minimum ", None),
    ("Maximum ", None),
    ("Unique Count ", Some(ColumnType::Int64)),
    ("Count ", Some(ColumnType::Int64)),
    ("Average ", Some(ColumnType::Float64)),
    ("Avg ", Some(ColumnType::Float64)),
    ("Std Deviation ", Some(ColumnType::Float64)),
    ("Variance ", Some(ColumnType::Float64)),
];

/// Date buckets shown as `Month(Order Date)`: the bucket's first day.
const BUCKETS: &[&str] = &["Day", "Week", "Month", "Quarter", "Year"];

/// ThoughtSpot's type for the result column `name`: its own column when the names are equal (ignoring
/// case), else the column an aggregation prefix (`Total Sales`) or a date bucket (`Month(Order Date)`)
/// was made from, with the type that aggregation gives.
pub fn metadata_type(name: &str, metadata: &[ColumnMetadata]) -> Option<ColumnType> {
    let lookup = |wanted: &str| {
        metadata
            .iter()
            .find(|c| c.name == wanted)
            .or_else(|| {
                metadata
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(wanted))
            })
            .and_then(|c| ColumnType::from_thoughtspot(&c.data_type))
    };
    if let Some(t) = lookup(name) {
        return Some(t);
    }
    for (prefix, result) in AGGREGATIONS {
        let Some(base) = strip_prefix_ignore_case(name, prefix) else {
            continue;
        };
        let Some(base_type) = lookup(base) else {
            continue;
        };
        return match result {
            Some(t) => Some(*t),
            // A sum of integers is an integer, of doubles a double; a min or max keeps its type.
            None if prefix.trim().eq_ignore_ascii_case("Total")
                || prefix.trim().eq_ignore_ascii_case("Sum") =>
            {
                matches!(base_type, ColumnType::Int64 | ColumnType::Float64).then_some(base_type)
            }
            None => Some(base_type),
        };
    }
    for unit in BUCKETS {
        let inner = strip_prefix_ignore_case(name, unit)
            .and_then(|rest| rest.strip_prefix('('))
            .and_then(|rest| rest.strip_suffix(')'));
        if let Some(base) = inner {
            if matches!(lookup(base), Some(ColumnType::Date | ColumnType::Timestamp)) {
                return Some(ColumnType::Date);
            }
        }
    }
    None
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The schema of a result with `column_names`: hints first, then metadata (a page's `columnDetails`
/// before `metadata/details`), then `inferred` (the types the first page's values imply). Every hint
/// must name a column, by output or ThoughtSpot name.
pub fn resolve(
    column_names: &[String],
    hints: &[TypeHint],
    details: &[ColumnMetadata],
    metadata: &[ColumnMetadata],
    inferred: &[ColumnType],
    time_zone: Tz,
) -> Result<TableSchema, HintError> {
    let names = unique_names(column_names);
    let mut hinted: HashMap<usize, ColumnType> = HashMap::new();
    for hint in hints {
        let position = names
            .iter()
            .position(|n| *n == hint.column)
            .or_else(|| column_names.iter().position(|n| *n == hint.column))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(&hint.column))
            })
            .ok_or_else(|| HintError::NoSuchColumn {
                column: hint.column.clone(),
                columns: names.join(", "),
            })?;
        hinted.insert(position, hint.column_type);
    }
    let columns = names
        .into_iter()
        .zip(column_names)
        .enumerate()
        .map(|(i, (name, source_name))| {
            let (column_type, type_source) = if let Some(t) = hinted.get(&i) {
                (*t, TypeSource::Hint)
            } else if let Some(t) =
                metadata_type(source_name, details).or_else(|| metadata_type(source_name, metadata))
            {
                (t, TypeSource::Metadata)
            } else {
                (
                    inferred.get(i).copied().unwrap_or(ColumnType::Null),
                    TypeSource::Data,
                )
            };
            ColumnSpec {
                name,
                source_name: source_name.clone(),
                column_type,
                type_source,
            }
        })
        .collect();
    Ok(TableSchema { columns, time_zone })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn duplicate_and_empty_names_become_unique() {
        assert_eq!(
            unique_names(&strings(&[
                "Region", "Region", "", "Region_2", "Region", " "
            ])),
            strings(&["Region", "Region_3", "column_3", "Region_2", "Region_4", "column_6"])
        );
        assert_eq!(unique_names(&strings(&["a", "b"])), strings(&["a", "b"]));
    }

    #[test]
    fn aggregated_names_find_their_source_column() {
        let metadata = vec![
            ColumnMetadata {
                name: "Quantity".into(),
                data_type: "INT32".into(),
            },
            ColumnMetadata {
                name: "Order Date".into(),
                data_type: "DATE".into(),
            },
            ColumnMetadata {
                name: "Is Returned".into(),
                data_type: "BOOL".into(),
            },
        ];
        let t = |name| metadata_type(name, &metadata);
        assert_eq!(t("Quantity"), Some(ColumnType::Int64));
        assert_eq!(t("Total Quantity"), Some(ColumnType::Int64));
        assert_eq!(t("average quantity"), Some(ColumnType::Float64));
        assert_eq!(t("Count Order Date"), Some(ColumnType::Int64));
        assert_eq!(t("Max Order Date"), Some(ColumnType::Date));
        assert_eq!(t("Month(Order Date)"), Some(ColumnType::Date));
        assert_eq!(t("Total Is Returned"), None);
        assert_eq!(t("Something Else"), None);
    }

    #[test]
    fn hints_beat_metadata_beat_data() {
        let metadata = vec![ColumnMetadata {
            name: "Sales".into(),
            data_type: "DOUBLE".into(),
        }];
        let hints = vec!["Total Sales=decimal(18,2)".parse().expect("hint")];
        let schema = resolve(
            &strings(&["Region", "Total Sales", "Rows"]),
            &hints,
            &[],
            &metadata,
            &[ColumnType::Utf8, ColumnType::Float64, ColumnType::Int64],
            Tz::UTC,
        )
        .expect("schema");
        let sources: Vec<_> = schema.columns.iter().map(|c| c.type_source).collect();
        assert_eq!(
            sources,
            [TypeSource::Data, TypeSource::Hint, TypeSource::Data]
        );
        let bad = vec!["Totl Sales=int".parse().expect("hint")];
        let error = resolve(&strings(&["Total Sales"]), &bad, &[], &[], &[], Tz::UTC)
            .expect_err("unknown column");
        assert!(error.to_string().contains("Total Sales"), "{error}");
    }
}
