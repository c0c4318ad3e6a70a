//! Search: the query language subset, its execution, and a small cache of results so that paging
//! through an aggregated or re-sorted result does not recompute it for every page.

pub mod exec;
pub mod formula;
pub mod parse;

use std::sync::{Arc, Mutex};

pub use exec::{execute, OutColumn, ResultSet};
pub use formula::ParameterValues;
pub use parse::{find_column, parse, Filter, FilterOp, Literal, ParseError, Query};

/// Most recently used results, keyed by source, query text and runtime filters.
#[derive(Debug)]
pub struct ResultCache {
    capacity: usize,
    entries: Mutex<Vec<(String, Arc<ResultSet>)>>,
}

impl ResultCache {
    /// A cache of the `capacity` most recent results.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The cached result for `key`, or the one `compute` makes (then cached).
    pub fn get_or_compute<E>(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<ResultSet, E>,
    ) -> Result<Arc<ResultSet>, E> {
        {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = entries.iter().position(|(k, _)| *k == key) {
                let entry = entries.remove(i);
                let result = entry.1.clone();
                entries.push(entry);
                return Ok(result);
            }
        }
        // Computed outside the lock: two identical first requests may both compute, which is harmless.
        let result = Arc::new(compute()?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push((key, result.clone()));
        Ok(result)
    }
}
