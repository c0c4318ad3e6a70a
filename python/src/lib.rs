//! `tsexport._native`: the extension module of the Python package `tsexport` (the package's
//! `__init__.py` re-exports it). Everything here is a thin layer over the `tsexport` library:
//! connection settings through [`tsexport::connect`], reads through [`tsexport::read`] handed to
//! pyarrow without copies, exports and job runs through [`tsexport::export`] and
//! [`tsexport::jobs`], the command line through [`tsexport::cli::main`], and the emulator through
//! `tsexport_emulator`. Python sees one exception per failure kind, with the CLI's exit code.

#![warn(missing_docs, unreachable_pub)]

mod client;
mod emulator;
mod errors;
mod export;
mod json;
mod settings;
mod stream;
mod wait;

use pyo3::prelude::*;

/// Runs the `tsexport` command line with `argv` (the program name first) and returns its exit
/// code: the same commands as the binary, by the same code.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> i32 {
    py.detach(|| tsexport::cli::main(argv))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", tsexport::VERSION)?;
    errors::register(m)?;
    m.add_class::<client::Client>()?;
    m.add_class::<stream::BatchStream>()?;
    m.add_class::<emulator::Emulator>()?;
    m.add_function(wrap_pyfunction!(export::export, m)?)?;
    m.add_function(wrap_pyfunction!(export::run_jobs, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    Ok(())
}
