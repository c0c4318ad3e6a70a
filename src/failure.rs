//! What kind of failure stopped an operation: what a scheduler needs to choose between fixing the
//! configuration, the credentials, retrying later, or looking at the data. The CLI maps each kind to
//! an exit code; job reports name it beside the message.

use serde::Serialize;

/// The kind of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Bad flags, job file, settings or destination, or a request the cluster refused as invalid.
    Usage,
    /// Sign-in failed or the user lacks a privilege.
    Auth,
    /// The data is incomplete: fewer rows than reported, pages that moved, or a sampled result.
    Incomplete,
    /// The cluster or the network failed after retries (or the cluster sent no page): retrying
    /// later may succeed.
    Server,
    /// Anything else: a value that does not fit under `on_drift = "fail"`, storage errors, a
    /// response or page tsexport cannot read (retrying brings the same bytes back, so it needs a
    /// person to look, not a later run), a fault of tsexport itself.
    Other,
}

impl FailureKind {
    /// The exit code the command line ends with after a failure of this kind; the Python package's
    /// exceptions carry the same code. README.md, "Exit codes", lists them.
    pub const fn exit_code(self) -> i32 {
        match self {
            FailureKind::Usage => 2,
            FailureKind::Auth => 3,
            FailureKind::Incomplete => 4,
            FailureKind::Server => 5,
            FailureKind::Other => 1,
        }
    }
}
