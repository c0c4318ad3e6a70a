//! A read as a `pyarrow.RecordBatchReader`: pyarrow pulls batches from a [`BatchStream`], which
//! waits for each with the GIL released and hands it over through the Arrow C data interface, so
//! no value is copied.
//!
//! The reader is made by `pyarrow.RecordBatchReader.from_batches` over this iterator rather than by
//! exporting a C stream: a C stream can only report an error as text, while pyarrow re-raises what
//! a Python iterator raises, so an incomplete result surfaces as `tsexport.IncompleteError` and
//! Ctrl-C as `KeyboardInterrupt`.

use std::sync::Mutex;

use arrow_pyarrow::ToPyArrow;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use pyo3::prelude::*;
use tsexport::read::{ReadError, RecordBatchStream};

use crate::errors::raise;
use crate::wait::wait;

type Batches = BoxStream<'static, Result<arrow_array::RecordBatch, ReadError>>;

/// The batches of one read, in order; iterate it, or read it through the
/// `pyarrow.RecordBatchReader` `Client.search` returns. It ends only when the result is complete:
/// an incomplete or sampled result raises instead.
#[pyclass(module = "tsexport")]
pub(crate) struct BatchStream {
    /// `None` once the stream ended or failed: iterating again raises `StopIteration`.
    batches: Mutex<Option<Batches>>,
}

#[pymethods]
impl BatchStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut guard = self.batches.lock().unwrap_or_else(|e| e.into_inner());
        let Some(batches) = guard.as_mut() else {
            return Ok(None);
        };
        let next = wait(py, || batches.next());
        match next {
            Ok(Some(Ok(batch))) => batch.to_pyarrow(py).map(Some),
            Ok(Some(Err(error))) => {
                *guard = None;
                Err(raise(error))
            }
            Ok(None) => {
                *guard = None;
                Ok(None)
            }
            Err(interrupted) => {
                *guard = None;
                Err(interrupted)
            }
        }
    }
}

/// `stream` as a `pyarrow.RecordBatchReader` whose schema is known before the first batch.
pub(crate) fn reader<'py>(
    py: Python<'py>,
    stream: RecordBatchStream,
) -> PyResult<Bound<'py, PyAny>> {
    let schema = stream.schema().as_ref().to_pyarrow(py)?;
    let batches = BatchStream {
        batches: Mutex::new(Some(stream.boxed())),
    };
    py.import("pyarrow")?
        .getattr("RecordBatchReader")?
        .call_method1("from_batches", (schema, batches))
}
