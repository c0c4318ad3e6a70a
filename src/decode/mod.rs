//! Page bytes -> Arrow [`RecordBatch`]es, with the schema policy of `docs/guarantees.md`: each column's type
//! comes from the user's hint, else ThoughtSpot's column metadata, else the data; a value that does
//! not fit is never dropped or changed, but reported as a [`Misfit`] so the export can widen the type
//! and restart, or stop and name it.
//!
//! The shape follows arrow-json's reader: one decoder per Arrow type behind one trait
//! (`cells::CellDecoder`), fed by one pass over the page (`page.rs`): COMPACT rows (arrays) through
//! a hand-written scanner (`scan.rs`), FULL rows (objects) and object cells through serde. No cell
//! becomes a `serde_json::Value`, and doubles keep every bit (serde_json's `float_roundtrip`, and the
//! scanner hands number text to the same parser).

mod cells;
mod infer;
mod page;
mod scan;
/// Schema resolution: hints, ThoughtSpot column types and inference.
pub mod schema;
/// The column types and the lattice they widen along.
pub mod types;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::SchemaRef;

pub use page::ColumnDetail;
pub use schema::{
    resolve, unique_names, ColumnMetadata, ColumnSpec, HintError, TableSchema, TypeHint, TypeSource,
};
pub use types::ColumnType;

use cells::{CellDecoder, ColumnDecoder};
use infer::InferDecoder;
use page::{Columns, PageFacts};

/// A value that does not fit its column's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    /// The column the value is in.
    pub column: String,
    /// The column's type the value does not fit.
    pub column_type: ColumnType,
    /// Where that type came from: a hint calls for a different fix than inference.
    pub type_source: TypeSource,
    /// 0-based row in the whole result.
    pub row: u64,
    /// The value as it appeared, shortened for messages.
    pub value: String,
    /// The narrowest type that holds this and every other misfit of the column on the page; `None`
    /// when no type does.
    pub widened: Option<ColumnType>,
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column '{}' ({} from {}) cannot hold {} at row {}",
            self.column,
            self.column_type,
            self.type_source.as_str(),
            self.value,
            self.row.saturating_add(1)
        )
    }
}

/// Why a page could not become a batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a data page, or broken JSON.
    #[error("the data page at row {} is not valid: {reason}", first_row.saturating_add(1))]
    Malformed {
        /// The 0-based row of the result the page starts at.
        first_row: u64,
        /// What is wrong, and where in the page.
        reason: String,
    },
    /// The page's `columnNames` differ from the first page's.
    #[error("the columns changed while paging: the first page had [{}], the page at row {} has [{}]. Re-run the export", expected.join(", "), first_row.saturating_add(1), found.join(", "))]
    ColumnsChanged {
        /// The 0-based row of the result the page starts at.
        first_row: u64,
        /// The first page's column names.
        expected: Vec<String>,
        /// This page's column names.
        found: Vec<String>,
    },
    /// Values that do not fit their column's type (one per column, the first found).
    #[error("{}", misfits.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Misfits {
        /// The first misfit of each column that has one.
        misfits: Vec<Misfit>,
    },
}

/// Decodes the pages of one result with a fixed schema.
#[derive(Debug)]
pub struct PageDecoder {
    schema: TableSchema,
    arrow: SchemaRef,
    types: Vec<ColumnType>,
    by_name: HashMap<String, usize>,
    /// Rows of the last page decoded: the builders of the next start that big, so they never regrow.
    last_rows: AtomicUsize,
}

impl PageDecoder {
    /// A decoder for pages of `schema`.
    pub fn new(schema: TableSchema) -> Self {
        let arrow = schema.arrow();
        let types = schema.types();
        let by_name = schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.source_name.clone(), i))
            .collect();
        Self {
            schema,
            arrow,
            types,
            by_name,
            last_rows: AtomicUsize::new(1024),
        }
    }

    /// The schema with where each type came from.
    pub fn schema(&self) -> &TableSchema {
        &self.schema
    }

    /// The Arrow schema of the batches this decoder makes.
    pub fn arrow_schema(&self) -> SchemaRef {
        self.arrow.clone()
    }

    /// The batch of the page `bytes`, which starts at row `first_row` of the result.
    pub fn decode(&self, bytes: &[u8], first_row: u64) -> Result<RecordBatch, DecodeError> {
        let zone = self.schema.time_zone;
        let capacity = self.last_rows.load(Ordering::Relaxed);
        let mut decoders: Vec<ColumnDecoder> = self
            .types
            .iter()
            .map(|t| ColumnDecoder::new(*t, zone, capacity))
            .collect();
        let facts = self.parse(bytes, first_row, &mut decoders)?;
        self.last_rows.store(facts.rows.max(1), Ordering::Relaxed);
        let misfits: Vec<Misfit> = facts
            .misfits
            .into_iter()
            .zip(&self.schema.columns)
            .filter_map(|(misfit, column)| {
                misfit.map(|m| Misfit {
                    column: column.name.clone(),
                    column_type: column.column_type,
                    type_source: column.type_source,
                    row: first_row.saturating_add(m.row),
                    value: m.value,
                    widened: m.widened,
                })
            })
            .collect();
        if !misfits.is_empty() {
            return Err(DecodeError::Misfits { misfits });
        }
        let arrays = decoders.iter_mut().map(|d| d.finish()).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(facts.rows));
        RecordBatch::try_new_with_options(self.arrow.clone(), arrays, &options).map_err(|e| {
            DecodeError::Malformed {
                first_row,
                reason: e.to_string(),
            }
        })
    }

    fn parse(
        &self,
        bytes: &[u8],
        first_row: u64,
        decoders: &mut [ColumnDecoder],
    ) -> Result<PageFacts, DecodeError> {
        let columns = Columns {
            types: &self.types,
            by_name: &self.by_name,
        };
        let facts = page::parse(bytes, &columns, decoders).map_err(|e| DecodeError::Malformed {
            first_row,
            reason: e.to_string(),
        })?;
        if let Some(found) = &facts.column_names {
            if *found != self.schema.source_names() {
                return Err(DecodeError::ColumnsChanged {
                    first_row,
                    expected: self
                        .schema
                        .source_names()
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    found: found.clone(),
                });
            }
        }
        Ok(facts)
    }
}

/// What the first page says about the result's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstPage {
    /// The type each column's values imply.
    pub inferred: Vec<ColumnType>,
    /// `columnDetails`, when the server sent them (9.10+).
    pub details: Vec<ColumnMetadata>,
}

/// Reads the first page of a result with `column_names` for inference and `columnDetails`.
pub fn first_page(bytes: &[u8], column_names: &[String]) -> Result<FirstPage, DecodeError> {
    let width = column_names.len();
    let types = vec![ColumnType::Null; width];
    let by_name = column_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let columns = Columns {
        types: &types,
        by_name: &by_name,
    };
    let mut decoders: Vec<InferDecoder> = (0..width).map(|_| InferDecoder::default()).collect();
    let facts =
        page::parse(bytes, &columns, &mut decoders).map_err(|e| DecodeError::Malformed {
            first_row: 0,
            reason: e.to_string(),
        })?;
    let inferred = decoders.iter().map(|d| d.column_type).collect();
    Ok(FirstPage {
        inferred,
        details: facts
            .column_details
            .unwrap_or_default()
            .into_iter()
            .map(|d| ColumnMetadata {
                name: d.name,
                data_type: d.data_type,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use chrono_tz::Tz;

    fn schema_for(bytes: &[u8], names: &[&str], hints: &[&str]) -> TableSchema {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let first = first_page(bytes, &names).expect("first page");
        let hints: Vec<TypeHint> = hints.iter().map(|h| h.parse().expect("hint")).collect();
        resolve(
            &names,
            &hints,
            &first.details,
            &[],
            &first.inferred,
            Tz::UTC,
        )
        .expect("schema")
    }

    #[test]
    fn compact_and_full_pages_decode_to_the_same_values() {
        let compact = br#"{"columnNames":["Region","Total Sales","Units"],"data":[["east",0.30000000000000004,3],["west",null,null]],"rowCount":2}"#;
        let full = br#"{"columnNames":["Region","Total Sales","Units"],"data":[{"Region":"east","Total Sales":0.30000000000000004,"Units":3},{"Region":"west"}],"rowCount":2}"#;
        let schema = schema_for(compact, &["Region", "Total Sales", "Units"], &[]);
        assert_eq!(
            schema.types(),
            [ColumnType::Utf8, ColumnType::Float64, ColumnType::Int64]
        );
        let decoder = PageDecoder::new(schema);
        let a = decoder.decode(compact, 0).expect("compact");
        let b = decoder.decode(full, 0).expect("full");
        assert_eq!(a, b);
        assert_eq!(
            a.column(1).as_primitive::<Float64Type>().value(0).to_bits(),
            (0.1f64 + 0.2).to_bits()
        );
        assert!(a.column(2).is_null(1));
    }

    #[test]
    fn a_fraction_in_an_integer_column_is_a_misfit_that_widens() {
        let first = br#"{"columnNames":["n"],"data":[[1],[2]]}"#;
        let later = br#"{"columnNames":["n"],"data":[[3],[4.5],[7.25]]}"#;
        let decoder = PageDecoder::new(schema_for(first, &["n"], &[]));
        let Err(DecodeError::Misfits { misfits }) = decoder.decode(later, 100) else {
            panic!("expected a misfit");
        };
        assert_eq!(misfits.len(), 1);
        assert_eq!(misfits[0].row, 101);
        assert_eq!(misfits[0].value, "4.5");
        assert_eq!(misfits[0].widened, Some(ColumnType::Float64));
    }

    #[test]
    fn integers_beyond_doubles_stay_exact() {
        let page = br#"{"columnNames":["n"],"data":[[9007199254740993],[-9223372036854775808]]}"#;
        let batch = PageDecoder::new(schema_for(page, &["n"], &[]))
            .decode(page, 0)
            .expect("page");
        assert_eq!(
            batch.column(0).as_primitive::<Int64Type>().values(),
            &[9_007_199_254_740_993, i64::MIN]
        );
    }

    #[test]
    fn hinted_columns_report_values_that_do_not_fit() {
        let page = br#"{"columnNames":["Amount"],"data":[[1.25],[1.255]]}"#;
        let decoder = PageDecoder::new(schema_for(page, &["Amount"], &["Amount=decimal(18,2)"]));
        let error = decoder
            .decode(page, 0)
            .expect_err("1.255 has three decimals");
        assert!(error.to_string().contains("1.255"), "{error}");
        assert!(error.to_string().contains("row 2"), "{error}");
    }

    #[test]
    fn wrapped_dates_and_plain_epochs_read_alike() {
        let page = br#"{"columnNames":["d"],"data":[[1633046400],[{"v":{"s":1633046400}}],[{"v":{"s":1633046400,"e":1635724799}}]]}"#;
        let decoder = PageDecoder::new(schema_for(page, &["d"], &["d=date"]));
        let batch = decoder.decode(page, 0).expect("dates");
        let days = batch
            .column(0)
            .as_primitive::<arrow_array::types::Date32Type>();
        assert_eq!(days.values(), &[18_901, 18_901, 18_901]);
    }

    /// Inputs the fuzzer (fuzz/fuzz_targets/page_decoder.rs) found a panic or a wrong value with,
    /// kept as regressions; their bytes are in fuzz/corpus/page_decoder/regression-*.
    #[test]
    fn fuzzer_findings_stay_fixed() {
        use arrow_array::cast::AsArray;
        let text = |column_type| TableSchema {
            columns: vec![ColumnSpec {
                name: "d".into(),
                source_name: "d".into(),
                column_type,
                type_source: TypeSource::Data,
            }],
            time_zone: Tz::UTC,
        };
        // A wrapped date's start beyond 2^53 was read as a double: the text column held
        // 16436538056613800.
        let page =
            br#"{"columnNames":["d"],"data":[[{"v":{"s":16436538056613799}}],[{"v":{"s":5.0}}]]}"#;
        let batch = PageDecoder::new(text(ColumnType::Utf8))
            .decode(page, 0)
            .expect("text holds wrapped dates");
        let values: Vec<_> = batch
            .column(0)
            .as_string::<i32>()
            .iter()
            .flatten()
            .collect();
        assert_eq!(values, ["16436538056613799", "5"]);
        // Row numbers in messages overflowed (a panic) for a page at the very end of u64.
        let error = PageDecoder::new(text(ColumnType::Int64))
            .decode(br#"{"columnNames":["d"],"data":[[1],["x"]]}"#, u64::MAX)
            .expect_err("text in an integer column");
        assert!(error.to_string().contains(&u64::MAX.to_string()), "{error}");
        let error = PageDecoder::new(text(ColumnType::Int64))
            .decode(b"{", u64::MAX)
            .expect_err("broken");
        assert!(error.to_string().contains(&u64::MAX.to_string()), "{error}");
        // A timestamp column "widened" to a timestamp again for a start beyond microseconds, so an
        // export restarted until it gave up.
        let Err(DecodeError::Misfits { misfits }) = PageDecoder::new(text(ColumnType::Timestamp))
            .decode(br#"{"columnNames":["d"],"data":[[200000000000000001]]}"#, 0)
        else {
            panic!("beyond microseconds");
        };
        assert_eq!(misfits[0].widened, Some(ColumnType::Utf8));
        // Two data arrays gave the rows of both.
        assert!(matches!(
            PageDecoder::new(text(ColumnType::Int64))
                .decode(br#"{"columnNames":["d"],"data":[[1]],"data":[[2]]}"#, 0),
            Err(DecodeError::Malformed { .. })
        ));
        // A decimal of precision 39 (a hand-edited manifest) overflowed 10^precision (a panic).
        let wide = text(ColumnType::Decimal {
            precision: 39,
            scale: 2,
        });
        assert!(PageDecoder::new(wide)
            .decode(br#"{"columnNames":["d"],"data":[[1]]}"#, 0)
            .is_err());
    }

    #[test]
    fn changed_columns_and_broken_pages_are_errors() {
        let first = br#"{"columnNames":["a","b"],"data":[[1,2]]}"#;
        let decoder = PageDecoder::new(schema_for(first, &["a", "b"], &[]));
        let changed = br#"{"columnNames":["b","a"],"data":[[1,2]]}"#;
        assert!(matches!(
            decoder.decode(changed, 1),
            Err(DecodeError::ColumnsChanged { .. })
        ));
        for broken in [
            &br#"{"columnNames":["a","b"],"data":[[1,2],[3]]}"#[..],
            br#"{"columnNames":["a","b"],"data":[[1,2,3]]}"#,
            br#"{"columnNames":["a","b"],"data":[[1,2]"#,
            br#"{"columnNames":["a","b"]}"#,
            br#"[]"#,
        ] {
            let error = decoder.decode(broken, 0).expect_err("broken page");
            assert!(matches!(error, DecodeError::Malformed { .. }), "{error}");
        }
    }
}
