//! Library values as Python objects, by way of JSON: summaries, reports and metadata become the
//! dicts and lists the command line prints with `--json`, key for key.

use pyo3::prelude::*;

/// `value` as Python dicts, lists, strings and numbers.
pub(crate) fn to_python<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| {
        crate::errors::Error::new_err(format!("cannot convert a result to Python: {e}"))
    })?;
    py.import("json")?.call_method1("loads", (text,))
}
