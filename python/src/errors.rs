//! The exceptions Python sees: `tsexport.Error` and one subclass per failure kind, each with the
//! `exit_code` the command line ends with for it, so a script and a scheduler read failures alike.

use pyo3::create_exception;
use pyo3::prelude::*;
use tsexport::failure::FailureKind;

create_exception!(
    tsexport,
    Error,
    pyo3::exceptions::PyException,
    "A tsexport failure. `exit_code` is the command line's exit code for its kind; a subclass names \
     the kind. Failures of no kind below (storage, a value that does not fit under on_drift=\"fail\") \
     are this class itself, with exit code 1."
);
create_exception!(
    tsexport,
    UsageError,
    Error,
    "Bad arguments, job file or settings, or a request the cluster refused as invalid (exit code 2)."
);
create_exception!(
    tsexport,
    AuthError,
    Error,
    "Sign-in failed or the user lacks a privilege (exit code 3)."
);
create_exception!(
    tsexport,
    IncompleteError,
    Error,
    "The data is incomplete: fewer rows than reported, pages that moved, or a sampled result \
     (exit code 4). Nothing was committed, and a stream raises rather than ending short."
);
create_exception!(
    tsexport,
    ServerError,
    Error,
    "The cluster or the network failed after retries (exit code 5): a later run may succeed."
);

/// Adds the classes to the module, each with its `exit_code`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = [
        (py.get_type::<Error>(), FailureKind::Other),
        (py.get_type::<UsageError>(), FailureKind::Usage),
        (py.get_type::<AuthError>(), FailureKind::Auth),
        (py.get_type::<IncompleteError>(), FailureKind::Incomplete),
        (py.get_type::<ServerError>(), FailureKind::Server),
    ];
    for (class, kind) in classes {
        class.setattr("exit_code", kind.exit_code())?;
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// The exception for a failure of `kind`.
pub(crate) fn of_kind(kind: FailureKind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    match kind {
        FailureKind::Usage => UsageError::new_err(message),
        FailureKind::Auth => AuthError::new_err(message),
        FailureKind::Incomplete => IncompleteError::new_err(message),
        FailureKind::Server => ServerError::new_err(message),
        _ => Error::new_err(message),
    }
}

/// A usage error: arguments that cannot work.
pub(crate) fn usage(message: impl Into<String>) -> PyErr {
    UsageError::new_err(message.into())
}

/// Library errors that know their kind.
pub(crate) trait Kinded: std::fmt::Display {
    /// What kind of failure it is.
    fn failure_kind(&self) -> FailureKind;
}

macro_rules! kinded {
    ($($error:ty),* $(,)?) => {
        $(impl Kinded for $error {
            fn failure_kind(&self) -> FailureKind {
                self.kind()
            }
        })*
    };
}

kinded!(
    tsexport::api::Error,
    tsexport::read::ReadError,
    tsexport::export::ExportError,
    tsexport::select::VizSelectionError,
    tsexport::connect::ConnectError,
);

impl Kinded for tsexport::api::FindError {
    fn failure_kind(&self) -> FailureKind {
        match self {
            tsexport::api::FindError::Api(e) => e.kind(),
            _ => FailureKind::Usage,
        }
    }
}

/// The exception for a library error.
pub(crate) fn raise<E: Kinded>(error: E) -> PyErr {
    of_kind(error.failure_kind(), error.to_string())
}
