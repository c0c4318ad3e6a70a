//! tsexport: get query results out of ThoughtSpot and into a data lake.
//!
//! This release carries the foundation: the embedded ThoughtSpot emulator ([`emulator`], behind the
//! default cargo feature `emulator`), which serves the v1 REST API over real HTTP so that every other
//! part of tsexport, and users' own pipelines, can be tested without a cluster. See
//! `examples/emulator_in_a_test.rs` for its use in a test.

#![warn(missing_debug_implementations)]

#[cfg(feature = "emulator")]
pub mod emulator;

/// The version written into manifests and `User-Agent` headers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod api;
pub mod decode;
pub mod pager;
pub mod export;
pub mod read;
pub mod sink;
