//! Python waiting on Rust futures: on one runtime for the whole process, with the GIL released, and
//! stoppable with Ctrl-C.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;

/// How often a wait looks for a signal (Ctrl-C) Python has received. Python runs its signal handlers
/// only in the main thread between bytecodes, so a wait in Rust has to ask; a tenth of a second is
/// prompt for a person and costs nothing next to a page request.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The process's runtime, started on first use: a module imported before a fork (as schedulers do)
/// starts its threads in the process that uses it.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tsexport")
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "cannot start tsexport's async runtime: {e}"
            ))
        })?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// Runs the future `start` makes to its end with the GIL released, so other Python threads run
/// meanwhile. A signal whose Python handler raises (Ctrl-C's `KeyboardInterrupt`) drops the
/// future, which cancels its requests, and raises here. The future is made on the waiting thread
/// and never leaves it, so it need not be `Send` (an export's Parquet writers are not).
pub(crate) fn wait<S, F>(py: Python<'_>, start: S) -> PyResult<F::Output>
where
    S: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    let runtime = runtime()?;
    py.detach(|| {
        runtime.block_on(async {
            let mut future = std::pin::pin!(start());
            loop {
                tokio::select! {
                    output = &mut future => return Ok(output),
                    () = tokio::time::sleep(SIGNAL_CHECK) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}
