//! tsexport: get query results out of ThoughtSpot and into a data lake.
//!
//! Data flows one way: [`api`] (the ThoughtSpot REST client) -> [`pager`] (a search or viz as an
//! ordered, completeness-checked stream of pages) -> [`decode`] (pages into Arrow record batches, with
//! the schema policy) -> [`sink`] (Parquet, Arrow or CSV files on disk or any object store, committed
//! atomically with a manifest). [`read`] joins the first three into a `RecordBatch` stream;
//! [`export`] joins them all into one call that returns a summary. On top, [`jobs`] runs the exports
//! of a job file (windows, state, shards, a run report); [`select`] holds the one rule for picking a
//! pinboard's vizzes by id or name; [`failure`] names the kind of every failure, which is what exit
//! codes and reports are made of.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tsexport::api::{Client, Credentials, Secret};
//! use tsexport::export::Export;
//! let client = Client::builder("https://thoughtspot.example.com")
//!     .credentials(Credentials::password("etl", Secret::new(std::env::var("TS_PASSWORD")?)))
//!     .build()?;
//! let summary = Export::search(&client, "[Region] [Sales] sort by [Region]", "worksheet-guid")
//!     .to("s3://lake/retail/sales_by_region/")
//!     .run()
//!     .await?;
//! println!("{} rows committed", summary.rows);
//! # Ok(()) }
//! ```
//!
//! The ThoughtSpot emulator is its own crate, `tsexport-emulator` (in `emulator/`): it serves the REST
//! v1 API and the v2 data-access subset over real HTTP, so tsexport and users' own pipelines can be
//! tested without a cluster. Take it as a dev-dependency; see `examples/emulator_in_a_test.rs`. The
//! library itself never depends on it: the default cargo feature `emulator` only gives the binary
//! its `emulator` and `demo` commands, and `default-features = false` leaves it (and axum) out.

#![warn(missing_debug_implementations)]
#![warn(missing_docs, unreachable_pub)]
#![deny(rustdoc::broken_intra_doc_links)]

/// The version written into manifests and `User-Agent` headers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
pub mod connect;
pub mod decode;
pub mod export;
pub mod failure;
pub mod jobs;
mod json;
pub mod lake;
pub mod logs;
pub mod pager;
pub mod read;
pub mod select;
pub mod sink;
